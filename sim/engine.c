/* The discrete-event engine: entities with handler tables, the clock, dispatch and statistics. */
#include "engine.h"

#include <assert.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "error.h"
#include "rng.h"

/* One simulated entity. Its RNG streams are created on first use, indexed by stream number. */
typedef struct entity {
  const tf_entity_type *type;
  void *state;
  gsl_rng **rng;
  uint32_t n_rng;
} entity;

struct tf_engine {
  tf_evq *q;
  entity *ent;
  uint32_t n_ent, cap_ent;
  tf_time_ns now;
  uint64_t seed;
  bool stop_requested;
  bool has_run;
  double created_at; /* monotonic wall clock, s */
  tf_engine_stats stats;
};

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int tf_engine_create(tf_engine **out, uint64_t master_seed) {
  assert(out);
  tf_engine *e = calloc(1, sizeof *e);
  if (!e)
    return TF_FAIL(TF_ENOMEM, "engine");
  int rc = tf_evq_create(&e->q);
  if (rc) {
    free(e);
    return rc;
  }
  e->seed = master_seed;
  e->now = 0;
  e->created_at = wall_now();
  *out = e;
  return 0;
}

void tf_engine_destroy(tf_engine *e) {
  if (!e)
    return;
  for (uint32_t i = 0; i < e->n_ent; i++) {
    entity *en = &e->ent[i];
    if (en->type->destroy)
      en->type->destroy(en->state);
    free(en->state);
    for (uint32_t s = 0; s < en->n_rng; s++)
      gsl_rng_free(en->rng[s]);
    free(en->rng);
  }
  free(e->ent);
  tf_evq_destroy(e->q);
  free(e);
}

int tf_engine_add_entity(tf_engine *e, const tf_entity_type *t, const void *config,
                         uint32_t *id_out) {
  assert(e && t && t->event);
  if (e->has_run)
    return TF_FAIL(TF_EINVAL, "entity \"%s\" added after the run", t->name);
  if (e->n_ent == UINT32_MAX)
    return TF_FAIL(TF_EFULL, "more than 2^32 - 1 entities");
  if (e->n_ent == e->cap_ent) {
    uint32_t cap = e->cap_ent ? e->cap_ent * 2 : 16;
    entity *ent = realloc(e->ent, (size_t)cap * sizeof *ent);
    if (!ent)
      return TF_FAIL(TF_ENOMEM, "%u entities", cap);
    e->ent = ent;
    e->cap_ent = cap;
  }
  void *state = calloc(1, t->state_size ? t->state_size : 1);
  if (!state)
    return TF_FAIL(TF_ENOMEM, "state of entity \"%s\" (%zu bytes)", t->name, t->state_size);
  uint32_t id = e->n_ent++;
  e->ent[id] = (entity){.type = t, .state = state};
  if (id_out)
    *id_out = id;
  if (t->init) {
    int rc = t->init(e, id, state, config);
    if (rc)
      return rc; /* the entity stays registered; tf_engine_destroy releases it */
  }
  return 0;
}

void *tf_engine_state(tf_engine *e, uint32_t id) {
  assert(e && id < e->n_ent);
  return e->ent[id].state;
}

uint32_t tf_engine_entity_count(const tf_engine *e) { return e->n_ent; }

int tf_engine_schedule(tf_engine *e, tf_time_ns at_ns, uint16_t priority, uint32_t target,
                       uint32_t type, uint64_t arg, tf_evq_handle *handle_out) {
  assert(e);
  if (target >= e->n_ent)
    return TF_FAIL(TF_EINVAL, "event for entity %u of %u", target, e->n_ent);
  if (at_ns < e->now)
    return TF_FAIL(TF_EPAST, "event at %lld ns scheduled at %lld ns", (long long)at_ns,
                   (long long)e->now);
  int rc = tf_evq_push(e->q, at_ns, priority, target, type, arg, handle_out);
  if (rc == 0)
    e->stats.events_scheduled++;
  return rc;
}

int tf_engine_cancel(tf_engine *e, tf_evq_handle h) {
  assert(e);
  int rc = tf_evq_cancel(e->q, h);
  if (rc == 0)
    e->stats.events_cancelled++;
  return rc;
}

tf_time_ns tf_engine_now(const tf_engine *e) { return e->now; }
uint64_t tf_engine_seed(const tf_engine *e) { return e->seed; }

gsl_rng *tf_engine_rng(tf_engine *e, uint32_t id, uint32_t stream) {
  assert(e && id < e->n_ent);
  entity *en = &e->ent[id];
  if (stream >= en->n_rng) {
    if (stream == UINT32_MAX)
      return NULL;
    gsl_rng **rng = realloc(en->rng, ((size_t)stream + 1) * sizeof *rng);
    if (!rng)
      return NULL;
    for (uint32_t s = en->n_rng; s <= stream; s++)
      rng[s] = NULL;
    en->rng = rng;
    en->n_rng = stream + 1;
  }
  if (!en->rng[stream] && tf_rng_stream_create(&en->rng[stream], e->seed, id, stream))
    return NULL;
  return en->rng[stream];
}

int tf_engine_run(tf_engine *e, tf_time_ns until_ns) {
  assert(e);
  if (e->has_run)
    return TF_FAIL(TF_EINVAL, "tf_engine_run called twice");
  e->has_run = true;
  double t0 = wall_now();
  e->stats.wall_setup_s = t0 - e->created_at;

  int rc = 0;
  uint64_t processed = 0;
  for (;;) {
    tf_time_ns next;
    rc = tf_evq_peek_time(e->q, &next);
    if (rc <= 0 || next > until_ns)
      break;
    tf_event ev;
    rc = tf_evq_pop(e->q, &ev);
    if (rc < 0)
      break;
    assert(rc == 1 && ev.target < e->n_ent && ev.time_ns >= e->now);
    e->now = ev.time_ns;
    entity *en = &e->ent[ev.target];
    processed++;
    rc = en->type->event(e, ev.target, en->state, &ev);
    if (rc || e->stop_requested)
      break;
  }
  if (rc > 0)
    rc = 0;
  if (rc == 0 && !e->stop_requested && until_ns > e->now)
    e->now = until_ns;
  double t1 = wall_now();

  for (uint32_t i = 0; i < e->n_ent && rc == 0; i++) {
    entity *en = &e->ent[i];
    if (en->type->final)
      rc = en->type->final(e, i, en->state);
  }
  double t2 = wall_now();

  tf_engine_stats *st = &e->stats;
  st->events_processed = processed;
  st->peak_pending = tf_evq_peak(e->q);
  st->wall_run_s = t1 - t0;
  st->wall_final_s = t2 - t1;
  st->events_per_s = st->wall_run_s > 0 ? (double)processed / st->wall_run_s : 0.0;
  st->end_time_ns = e->now;
  return rc;
}

void tf_engine_stop(tf_engine *e) { e->stop_requested = true; }

const tf_engine_stats *tf_engine_get_stats(const tf_engine *e) { return &e->stats; }
