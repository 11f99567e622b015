/* The queueing station on the engine: exact answers on deterministic stations (waits, counts,
 * time averages, the warm-up window, ties), determinism, stream independence, composition of
 * several stations in one engine, an unstable station, and config errors. */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <string.h>

#include "error.h"
#include "queue.h"
#include "queueing.h"
#include "tf_test.h"

#define S_TO_NS(s) ((int64_t)((s) * 1e9))

static tf_queue_config dd1(double gap_s, double service_s, double warmup_s, double duration_s) {
  return (tf_queue_config){.servers = 1,
                           .interarrival = {.kind = TF_DIST_DETERMINISTIC, .mean = gap_s},
                           .service = {.kind = TF_DIST_DETERMINISTIC, .mean = service_s},
                           .warmup_ns = S_TO_NS(warmup_s),
                           .duration_ns = S_TO_NS(duration_s)};
}

/* Arrivals every 2 s from t = 2, service 1 s, run to 100 s: the customer arriving at 100 s would
 * leave at 101 s, after the end, so 49 of 50 count; servers busy 49 s of 100. */
static void test_dd1_underloaded(void) {
  tf_queue_config cfg = dd1(2, 1, 0, 100);
  tf_queue_result r;
  tf_engine_stats st;
  TF_CHECK_INT(tf_queue_run(&cfg, 1, &r, &st), 0);
  TF_CHECK_NEAR(r.window_s, 100, 0);
  TF_CHECK_INT(r.arrivals, 50);
  TF_CHECK_INT(r.completed, 49);
  TF_CHECK_INT(r.departures, 49);
  TF_CHECK_NEAR(r.arrival_rate_per_s, 0.5, 1e-15);
  TF_CHECK_NEAR(r.throughput_per_s, 0.49, 1e-15);
  TF_CHECK_NEAR(r.wq_mean_s, 0, 0);
  TF_CHECK_NEAR(r.wq_sd_s, 0, 0);
  TF_CHECK_NEAR(r.w_mean_s, 1, 1e-15);
  TF_CHECK_NEAR(r.w_sd_s, 0, 1e-15);
  TF_CHECK_NEAR(r.w_p50_s, 1, 0); /* a single value: quantiles clamp to it exactly */
  TF_CHECK_NEAR(r.w_p99_s, 1, 0);
  TF_CHECK_NEAR(r.wait_prob, 0, 0);
  TF_CHECK_NEAR(r.wq_ci_half_s, 0, 0);
  TF_CHECK_NEAR(r.utilisation, 0.49, 1e-15);
  TF_CHECK_NEAR(r.l, 0.49, 1e-15);
  TF_CHECK_NEAR(r.lq, 0, 0);
  TF_CHECK_INT(r.max_queue, 0);
  TF_CHECK_INT(r.queue_at_end, 0);
  TF_CHECK_INT(r.busy_at_end, 1);
  TF_CHECK_INT(st.events_processed, 50 + 49 + 1); /* arrivals, departures, window opening */
  TF_CHECK_INT(st.end_time_ns, S_TO_NS(100));
}

/* Arrivals every 1 s from t = 1, service 2 s, run to 20 s (rho = 2). Customer i arrives at i,
 * starts at 2i - 1, leaves at 2i + 1 and waits i - 1 s; customers 1..9 leave by 20 s. After the
 * events at whole second k, floor(k / 2) wait, so the waiting area is 2 (1 + ... + 9) = 90. */
static void test_dd1_overloaded(void) {
  tf_queue_config cfg = dd1(1, 2, 0, 20);
  tf_queue_result r;
  TF_CHECK_INT(tf_queue_run(&cfg, 1, &r, NULL), 0);
  TF_CHECK_INT(r.arrivals, 20);
  TF_CHECK_INT(r.completed, 9);
  TF_CHECK_INT(r.departures, 9);
  TF_CHECK_NEAR(r.wq_mean_s, 4, 1e-14);
  TF_CHECK_NEAR(r.wq_sd_s, sqrt(7.5), 1e-14);
  TF_CHECK_NEAR(r.w_mean_s, 6, 1e-14);
  TF_CHECK_NEAR(r.wait_prob, 8.0 / 9.0, 1e-15);
  TF_CHECK_NEAR(r.wq_p50_s, 4, 4.0 / 256); /* within the histogram's resolution */
  TF_CHECK_NEAR(r.wq_p99_s, 8, 8.0 / 256);
  TF_CHECK_NEAR(r.wq_max_s, 8, 0);
  TF_CHECK_NEAR(r.lq, 90.0 / 20.0, 1e-14);
  TF_CHECK_NEAR(r.utilisation, 19.0 / 20.0, 1e-15);
  TF_CHECK_NEAR(r.l, 90.0 / 20.0 + 19.0 / 20.0, 1e-14);
  TF_CHECK_INT(r.max_queue, 10);
  TF_CHECK_INT(r.queue_at_end, 10);
  TF_CHECK_INT(r.busy_at_end, 1);
}

/* Service time equal to the gap: every departure coincides with the next arrival. Departures
 * fire first, so nobody ever waits. */
static void test_ties_departure_first(void) {
  tf_queue_config cfg = dd1(1, 1, 0, 50);
  tf_queue_result r;
  TF_CHECK_INT(tf_queue_run(&cfg, 1, &r, NULL), 0);
  TF_CHECK_INT(r.completed, 49);
  TF_CHECK_NEAR(r.wait_prob, 0, 0);
  TF_CHECK_INT(r.max_queue, 0);
  TF_CHECK_NEAR(r.utilisation, 49.0 / 50.0, 1e-15);
}

/* Warm-up 50 s of 100: arrivals at 50, 52, .., 100 are in the window (26); those up to 98 leave
 * in it (25); busy 25 s of the 50 s window. */
static void test_warmup_window(void) {
  tf_queue_config cfg = dd1(2, 1, 50, 100);
  tf_queue_result r;
  TF_CHECK_INT(tf_queue_run(&cfg, 1, &r, NULL), 0);
  TF_CHECK_NEAR(r.window_s, 50, 0);
  TF_CHECK_INT(r.arrivals, 26);
  TF_CHECK_INT(r.completed, 25);
  TF_CHECK_INT(r.departures, 25);
  TF_CHECK_NEAR(r.utilisation, 0.5, 1e-15);
  TF_CHECK_NEAR(r.l, 0.5, 1e-15);
}

static tf_queue_config mm4(double duration_s) {
  return (tf_queue_config){.servers = 4,
                           .interarrival = {.kind = TF_DIST_EXPONENTIAL, .mean = 1 / 3.2},
                           .service = {.kind = TF_DIST_EXPONENTIAL, .mean = 1.0},
                           .warmup_ns = S_TO_NS(100),
                           .duration_ns = S_TO_NS(duration_s)};
}

static void test_determinism(void) {
  tf_queue_config cfg = mm4(2e4);
  tf_queue_result a, b, c;
  tf_engine_stats sa, sb;
  TF_CHECK_INT(tf_queue_run(&cfg, 42, &a, &sa), 0);
  TF_CHECK_INT(tf_queue_run(&cfg, 42, &b, &sb), 0);
  TF_CHECK(memcmp(&a, &b, sizeof a) == 0);
  TF_CHECK_INT(sa.events_processed, sb.events_processed);
  TF_CHECK_INT(sa.events_scheduled, sb.events_scheduled);
  TF_CHECK_INT(sa.peak_pending, sb.peak_pending);
  TF_CHECK(a.completed > 50000);
  TF_CHECK_NEAR(a.ci_level, 0.95, 0); /* confidence 0 means 0.95 */
  TF_CHECK_INT(tf_queue_run(&cfg, 43, &c, NULL), 0);
  TF_CHECK(memcmp(&a, &c, sizeof a) != 0);
  TF_CHECK(a.wq_mean_s != c.wq_mean_s);
  TF_CHECK(a.arrivals != c.arrivals);
}

/* Arrivals come from their own stream: changing the service or the servers leaves them alone,
 * changing the inter-arrival distribution does not. */
static void test_stream_independence(void) {
  tf_queue_config base = mm4(1e4);
  tf_queue_result r0, r;
  TF_CHECK_INT(tf_queue_run(&base, 7, &r0, NULL), 0);
  tf_queue_config cfg = base;
  cfg.service = (tf_dist){.kind = TF_DIST_LOGNORMAL, .mean = 0.5, .cv = 3};
  TF_CHECK_INT(tf_queue_run(&cfg, 7, &r, NULL), 0);
  TF_CHECK_INT(r.arrivals, r0.arrivals);
  TF_CHECK(r.wq_mean_s != r0.wq_mean_s);
  cfg = base;
  cfg.servers = 9;
  TF_CHECK_INT(tf_queue_run(&cfg, 7, &r, NULL), 0);
  TF_CHECK_INT(r.arrivals, r0.arrivals);
  cfg = base;
  cfg.interarrival.mean *= 1.01;
  TF_CHECK_INT(tf_queue_run(&cfg, 7, &r, NULL), 0);
  TF_CHECK(r.arrivals != r0.arrivals);
}

/* Two stations in one engine: events interleave, yet each station sees only its own streams, so
 * station 0 reproduces a solo run bit for bit and station 1 (other streams) differs. */
static void test_two_stations_in_one_engine(void) {
  tf_queue_config cfg = mm4(5e3);
  tf_queue_result solo, r0, r1;
  TF_CHECK_INT(tf_queue_run(&cfg, 99, &solo, NULL), 0);
  tf_engine *e;
  TF_CHECK_INT(tf_engine_create(&e, 99), 0);
  uint32_t id0, id1;
  TF_CHECK_INT(tf_engine_add_entity(e, &tf_queue_entity_type, &cfg, &id0), 0);
  TF_CHECK_INT(tf_engine_add_entity(e, &tf_queue_entity_type, &cfg, &id1), 0);
  TF_CHECK_INT(tf_engine_run(e, cfg.duration_ns), 0);
  tf_queue_entity_result(e, id0, &r0);
  tf_queue_entity_result(e, id1, &r1);
  tf_engine_destroy(e);
  TF_CHECK(memcmp(&solo, &r0, sizeof solo) == 0);
  TF_CHECK(r1.arrivals != r0.arrivals);
}

/* rho = 1.5: the simulation runs and its queue grows about (lambda - mu) t; theory refuses. */
static void test_unstable(void) {
  tf_queue_config cfg = {.servers = 1,
                         .interarrival = {.kind = TF_DIST_EXPONENTIAL, .mean = 1 / 1.5},
                         .service = {.kind = TF_DIST_EXPONENTIAL, .mean = 1.0},
                         .duration_ns = S_TO_NS(2000)};
  tf_queue_result r;
  TF_CHECK_INT(tf_queue_run(&cfg, 3, &r, NULL), 0);
  TF_CHECK(r.queue_at_end > 800 && r.queue_at_end < 1200);
  TF_CHECK(r.max_queue >= r.queue_at_end);
  TF_CHECK(r.utilisation > 0.99);
  tf_queueing_result th;
  TF_CHECK_INT(tf_queueing_theory(cfg.servers, &cfg.interarrival, &cfg.service, &th), TF_ERANGE);
  TF_CHECK_NEAR(th.rho, 1.5, 1e-15);
  TF_CHECK(strstr(tf_err_context(), "unstable") != NULL);
}

static void expect_error(const tf_queue_config *cfg, int code, const char *words) {
  tf_queue_result r;
  memset(&r, 0xab, sizeof r);
  tf_err_clear();
  TF_CHECK_INT(tf_queue_run(cfg, 1, &r, NULL), code);
  TF_CHECK_INT(tf_queue_config_check(cfg), code);
  TF_CHECK(strstr(tf_err_context(), words) != NULL);
  if (!strstr(tf_err_context(), words))
    fprintf(stderr, "  context: %s\n", tf_err_context());
  TF_CHECK_INT(r.arrivals, 0); /* zeroed on failure */
}

static void test_config_errors(void) {
  const tf_queue_config good = mm4(1000);
  TF_CHECK_INT(tf_queue_config_check(&good), 0);
  tf_queue_config c = good;
  c.servers = 0;
  expect_error(&c, TF_ERANGE, "servers = 0");
  c.servers = -3;
  expect_error(&c, TF_ERANGE, "servers = -3");
  c = good;
  c.service.mean = 0;
  expect_error(&c, TF_ERANGE, "service time: exponential mean = 0");
  c = good;
  c.service = (tf_dist){.kind = TF_DIST_UNIFORM, .min = 2, .max = 1};
  expect_error(&c, TF_ERANGE, "service time: uniform");
  c = good;
  c.interarrival = (tf_dist){.kind = TF_DIST_GAMMA, .mean = 1, .cv = -1};
  expect_error(&c, TF_ERANGE, "inter-arrival time: gamma cv");
  c = good;
  c.interarrival.mean = 1e-9;
  expect_error(&c, TF_ERANGE, "nanoseconds");
  c = good;
  c.duration_ns = 0;
  c.warmup_ns = 0;
  expect_error(&c, TF_ERANGE, "duration");
  c = good;
  c.warmup_ns = c.duration_ns;
  expect_error(&c, TF_ERANGE, "warm-up");
  c = good;
  c.warmup_ns = -1;
  expect_error(&c, TF_ERANGE, "warm-up");
  c = good;
  c.confidence = 1;
  expect_error(&c, TF_ERANGE, "confidence");

  /* Through the engine, a bad config fails the entity's init with the same message. */
  tf_engine *e;
  TF_CHECK_INT(tf_engine_create(&e, 1), 0);
  c = good;
  c.servers = 0;
  uint32_t id;
  TF_CHECK_INT(tf_engine_add_entity(e, &tf_queue_entity_type, &c, &id), TF_ERANGE);
  tf_engine_destroy(e);
}

int main(void) {
  gsl_set_error_handler_off();
  test_dd1_underloaded();
  test_dd1_overloaded();
  test_ties_departure_first();
  test_warmup_window();
  test_determinism();
  test_stream_independence();
  test_two_stations_in_one_engine();
  test_unstable();
  test_config_errors();
  return tf_test_report("models_queue");
}
