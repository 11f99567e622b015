/* Engine: dispatch order, the run horizon, stop, handler failures, statistics, RNG streams. */
#include <gsl/gsl_rng.h>
#include <stdint.h>
#include <string.h>

#include "engine.h"
#include "error.h"
#include "tf_test.h"

/* A ticker fires every `period` ns, logging (time, id) into a shared log, and fails on request. */
typedef struct tick_cfg {
  tf_time_ns period;
  uint64_t fail_at_count; /* 0: never */
} tick_cfg;

typedef struct tick_state {
  tick_cfg cfg;
  uint64_t count;
  tf_time_ns final_now;
  int finals;
} tick_state;

typedef struct log_entry {
  tf_time_ns t;
  uint32_t id;
} log_entry;
static log_entry tick_log[1000];
static size_t tick_log_n;

static int tick_init(tf_engine *e, uint32_t id, void *state, const void *config) {
  tick_state *s = state;
  s->cfg = *(const tick_cfg *)config;
  return tf_engine_schedule(e, s->cfg.period, 0, id, 0, 0, NULL);
}

static int tick_event(tf_engine *e, uint32_t id, void *state, const tf_event *ev) {
  tick_state *s = state;
  if (tick_log_n < 1000)
    tick_log[tick_log_n++] = (log_entry){ev->time_ns, id};
  s->count++;
  if (s->cfg.fail_at_count && s->count == s->cfg.fail_at_count)
    return TF_EHANDLER;
  return tf_engine_schedule(e, tf_engine_now(e) + s->cfg.period, 0, id, 0, 0, NULL);
}

static int tick_final(tf_engine *e, uint32_t id, void *state) {
  (void)id;
  tick_state *s = state;
  s->final_now = tf_engine_now(e);
  s->finals++;
  return 0;
}

static const tf_entity_type tick_type = {
    .name = "ticker", .state_size = sizeof(tick_state), .init = tick_init,
    .event = tick_event, .final = tick_final};

static void test_dispatch_and_horizon(void) {
  tf_engine *e;
  TF_CHECK_INT(tf_engine_create(&e, 1), 0);
  tick_log_n = 0;
  uint32_t a, b;
  tick_cfg ca = {.period = 30}, cb = {.period = 20};
  TF_CHECK_INT(tf_engine_add_entity(e, &tick_type, &ca, &a), 0);
  TF_CHECK_INT(tf_engine_add_entity(e, &tick_type, &cb, &b), 0);
  TF_CHECK_INT(tf_engine_entity_count(e), 2);
  TF_CHECK_INT(tf_engine_run(e, 100), 0);
  /* a fires at 30, 60, 90; b at 20, 40, 60, 80, 100. At 60 both: a was scheduled first (at 30)
   * but b's event at 60 was pushed at 40, after a's at 30, so a fires first. */
  log_entry expect[] = {{20, 1}, {30, 0}, {40, 1}, {60, 0}, {60, 1}, {80, 1}, {90, 0}, {100, 1}};
  TF_CHECK_INT(tick_log_n, 8);
  for (size_t i = 0; i < 8 && i < tick_log_n; i++) {
    TF_CHECK_INT(tick_log[i].t, expect[i].t);
    TF_CHECK_INT(tick_log[i].id, expect[i].id);
  }
  tick_state *sa = tf_engine_state(e, a);
  TF_CHECK_INT(sa->finals, 1);
  TF_CHECK_INT(sa->final_now, 100);
  const tf_engine_stats *st = tf_engine_get_stats(e);
  TF_CHECK_INT(st->events_processed, 8);
  TF_CHECK_INT(st->events_scheduled, 10); /* 2 at init + 8 from handlers */
  TF_CHECK_INT(st->peak_pending, 2);
  TF_CHECK_INT(st->end_time_ns, 100);
  TF_CHECK(st->wall_run_s >= 0 && st->events_per_s >= 0);
  /* Scheduling in the past and running twice are refused. */
  TF_CHECK_INT(tf_engine_schedule(e, 99, 0, a, 0, 0, NULL), TF_EPAST);
  TF_CHECK_INT(tf_engine_schedule(e, 200, 0, 7, 0, 0, NULL), TF_EINVAL);
  TF_CHECK_INT(tf_engine_run(e, 200), TF_EINVAL);
  tf_engine_destroy(e);
}

static void test_handler_failure_stops_run(void) {
  tf_engine *e;
  TF_CHECK_INT(tf_engine_create(&e, 1), 0);
  tick_log_n = 0;
  tick_cfg c = {.period = 10, .fail_at_count = 3};
  uint32_t id;
  TF_CHECK_INT(tf_engine_add_entity(e, &tick_type, &c, &id), 0);
  TF_CHECK_INT(tf_engine_run(e, 1000), TF_EHANDLER);
  TF_CHECK_INT(tick_log_n, 3);
  TF_CHECK_INT(tf_engine_now(e), 30);
  TF_CHECK_INT(((tick_state *)tf_engine_state(e, id))->finals, 0);
  tf_engine_destroy(e);
}

/* A stopper asks the engine to stop at its first event. */
static int stop_event(tf_engine *e, uint32_t id, void *state, const tf_event *ev) {
  (void)id, (void)state, (void)ev;
  tf_engine_stop(e);
  return 0;
}
static const tf_entity_type stop_type = {.name = "stopper", .event = stop_event};

static void test_stop(void) {
  tf_engine *e;
  TF_CHECK_INT(tf_engine_create(&e, 1), 0);
  tick_cfg c = {.period = 10};
  uint32_t t, s;
  TF_CHECK_INT(tf_engine_add_entity(e, &tick_type, &c, &t), 0);
  TF_CHECK_INT(tf_engine_add_entity(e, &stop_type, NULL, &s), 0);
  TF_CHECK_INT(tf_engine_schedule(e, 55, 0, s, 0, 0, NULL), 0);
  TF_CHECK_INT(tf_engine_run(e, 1000), 0);
  TF_CHECK_INT(tf_engine_now(e), 55); /* stopped early: the clock stays at the stop */
  TF_CHECK_INT(((tick_state *)tf_engine_state(e, t))->count, 5);
  tf_engine_destroy(e);
}

/* An entity's stream depends on (seed, entity, stream), not on what else drew first. */
static void test_rng_streams(void) {
  tf_engine *e1, *e2;
  tf_engine_create(&e1, 99);
  tf_engine_create(&e2, 99);
  tick_cfg c = {.period = 1};
  for (int i = 0; i < 3; i++) {
    tf_engine_add_entity(e1, &tick_type, &c, NULL);
    tf_engine_add_entity(e2, &tick_type, &c, NULL);
  }
  gsl_rng *x = tf_engine_rng(e2, 0, 0); /* e2 draws from another stream first */
  for (int i = 0; i < 5; i++)
    gsl_rng_get(x);
  gsl_rng *r1 = tf_engine_rng(e1, 2, 4), *r2 = tf_engine_rng(e2, 2, 4);
  TF_CHECK(r1 && r2 && r1 != r2);
  int same = 1;
  for (int i = 0; i < 50; i++)
    same &= gsl_rng_get(r1) == gsl_rng_get(r2);
  TF_CHECK(same);
  TF_CHECK(tf_engine_rng(e1, 2, 4) == r1); /* owned and reused */
  gsl_rng *other = tf_engine_rng(e1, 1, 4);
  TF_CHECK(gsl_rng_get(other) != gsl_rng_get(tf_engine_rng(e2, 2, 4)));
  tf_engine_destroy(e1);
  tf_engine_destroy(e2);
}

int main(void) {
  test_dispatch_and_horizon();
  test_handler_failure_stops_run();
  test_stop();
  test_rng_streams();
  return tf_test_report("sim_engine");
}
