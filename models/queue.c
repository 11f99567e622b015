/* The G/G/c FCFS station as one engine entity: arrival and departure events, a waiting line of
 * arrival times, and streamed statistics. */
#include "queue.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "batch_means.h"
#include "error.h"
#include "hist.h"

/* Event types; each fires at the priority of the same value, so at equal times the window opens
 * first, then departures free their servers, then arrivals take them: a customer arriving at
 * the instant a server frees starts at once (waits 0). */
enum { EV_WARMUP = 0, EV_DEPARTURE = 1, EV_ARRIVAL = 2 };

/* One station. Invariants: busy <= servers; line_len > 0 only when busy == servers (work
 * conserving); the line holds arrival times in FCFS order, line[line_head] the oldest; areas are
 * integrated up to last_change_ns and only while in_window. */
typedef struct queue_state {
  tf_queue_config cfg;
  uint32_t servers;
  gsl_rng *rng_arrivals, *rng_service; /* owned by the engine */

  tf_time_ns *line; /* ring buffer of waiting customers' arrival times; grows by doubling */
  size_t line_cap, line_head, line_len;
  uint32_t busy;

  bool in_window;
  tf_time_ns last_change_ns;
  double area_queue;  /* integral of line_len over the window, customer-ns */
  double area_busy;   /* integral of busy over the window, server-ns */

  uint64_t arrivals, departures, completed, waited, max_queue;
  double wq_mean, wq_m2, w_mean, w_m2; /* Welford running mean and sum of squares, s */
  tf_batch_means bm_wq, bm_w;
  tf_hist *hist_wq, *hist_w; /* ns */
} queue_state;

int tf_queue_config_check(const tf_queue_config *cfg) {
  assert(cfg);
  if (cfg->servers < 1 || cfg->servers > TF_QUEUE_MAX_SERVERS)
    return TF_FAIL(TF_ERANGE, "queue: servers = %lld, expected 1 .. %lld",
                   (long long)cfg->servers, (long long)TF_QUEUE_MAX_SERVERS);
  int rc = tf_dist_check_as(&cfg->interarrival, "queue: inter-arrival time");
  if (rc)
    return rc;
  rc = tf_dist_check_as(&cfg->service, "queue: service time");
  if (rc)
    return rc;
  const struct {
    const char *what;
    const tf_dist *d;
  } times[] = {{"inter-arrival", &cfg->interarrival}, {"service", &cfg->service}};
  for (size_t i = 0; i < 2; i++) {
    double m = tf_dist_mean(times[i].d);
    if (m < TF_QUEUE_MIN_MEAN_S)
      return TF_FAIL(TF_ERANGE,
                     "queue: mean %s time %g s is below %g s, where rounding samples to whole "
                     "nanoseconds would distort it",
                     times[i].what, m, TF_QUEUE_MIN_MEAN_S);
  }
  if (cfg->duration_ns <= 0)
    return TF_FAIL(TF_ERANGE, "queue: duration = %lld ns, expected > 0",
                   (long long)cfg->duration_ns);
  if (cfg->warmup_ns < 0 || cfg->warmup_ns >= cfg->duration_ns)
    return TF_FAIL(TF_ERANGE, "queue: warm-up = %lld ns, expected 0 <= warm-up < duration (%lld ns)",
                   (long long)cfg->warmup_ns, (long long)cfg->duration_ns);
  if (!(cfg->confidence == 0 || (cfg->confidence > 0 && cfg->confidence < 1)))
    return TF_FAIL(TF_ERANGE, "queue: confidence = %g, expected 0 < confidence < 1 (0: 0.95)",
                   cfg->confidence);
  return 0;
}

/* A sampled duration (s) rounded to whole ns into *out; false when it would end more than
 * room_ns from now, past the end of the run, where no event is needed. Rounding moves a time by
 * at most 0.5 ns: against means of at least 1 us (ms to s in practice) that is a relative
 * change below 5e-4 (5e-7 at 1 ms), and unbiased to first order. Samples beyond 9e18 ns
 * (285 years) count as never. */
static bool to_ns(double seconds, tf_time_ns room_ns, tf_time_ns *out) {
  assert(seconds >= 0 && room_ns >= 0);
  double ns = seconds * 1e9;
  if (!(ns < (double)room_ns + 1.0) || ns >= 9e18)
    return false;
  long long v = llround(ns);
  if (v > room_ns)
    return false;
  *out = (tf_time_ns)v;
  return true;
}

static void integrate(queue_state *s, tf_time_ns now) {
  if (!s->in_window)
    return;
  assert(now >= s->last_change_ns);
  double dt = (double)(now - s->last_change_ns);
  s->area_queue += dt * (double)s->line_len;
  s->area_busy += dt * (double)s->busy;
  s->last_change_ns = now;
}

static int line_push(queue_state *s, tf_time_ns arrival_ns) {
  if (s->line_len == s->line_cap) {
    size_t cap = s->line_cap ? 2 * s->line_cap : 64;
    tf_time_ns *line = malloc(cap * sizeof *line);
    if (!line)
      return TF_FAIL(TF_ENOMEM, "queue: waiting line of %zu customers", cap);
    for (size_t i = 0; i < s->line_len; i++)
      line[i] = s->line[(s->line_head + i) % s->line_cap];
    free(s->line);
    s->line = line;
    s->line_cap = cap;
    s->line_head = 0;
  }
  s->line[(s->line_head + s->line_len) % s->line_cap] = arrival_ns;
  s->line_len++;
  return 0;
}

static tf_time_ns line_pop(queue_state *s) {
  assert(s->line_len > 0);
  tf_time_ns a = s->line[s->line_head];
  s->line_head = (s->line_head + 1) % s->line_cap;
  s->line_len--;
  return a;
}

static void welford(double x, uint64_t n, double *mean, double *m2) {
  double d = x - *mean;
  *mean += d / (double)n;
  *m2 += d * (x - *mean);
}

/* A customer that arrived at arrival_ns takes a free server now. Its statistics are recorded
 * here, where its departure time is first known, if it counts (arrived in the window, departs
 * by the end). A departure past the end is not scheduled: the server stays busy to the end. */
static int start_service(tf_engine *e, uint32_t id, queue_state *s, tf_time_ns arrival_ns) {
  assert(s->busy < s->servers);
  tf_time_ns now = tf_engine_now(e);
  s->busy++;
  tf_time_ns service_ns;
  if (!to_ns(tf_dist_sample(&s->cfg.service, s->rng_service), s->cfg.duration_ns - now,
             &service_ns))
    return 0;
  tf_time_ns departure_ns = now + service_ns;
  if (arrival_ns >= s->cfg.warmup_ns) {
    tf_time_ns wq_ns = now - arrival_ns, w_ns = departure_ns - arrival_ns;
    double wq = 1e-9 * (double)wq_ns, w = 1e-9 * (double)w_ns;
    s->completed++;
    s->waited += wq_ns > 0;
    welford(wq, s->completed, &s->wq_mean, &s->wq_m2);
    welford(w, s->completed, &s->w_mean, &s->w_m2);
    tf_batch_means_add(&s->bm_wq, wq);
    tf_batch_means_add(&s->bm_w, w);
    tf_hist_add(s->hist_wq, wq_ns);
    tf_hist_add(s->hist_w, w_ns);
  }
  return tf_engine_schedule(e, departure_ns, EV_DEPARTURE, id, EV_DEPARTURE, 0, NULL);
}

static int schedule_next_arrival(tf_engine *e, uint32_t id, queue_state *s) {
  tf_time_ns now = tf_engine_now(e), gap_ns;
  if (!to_ns(tf_dist_sample(&s->cfg.interarrival, s->rng_arrivals), s->cfg.duration_ns - now,
             &gap_ns))
    return 0;
  return tf_engine_schedule(e, now + gap_ns, EV_ARRIVAL, id, EV_ARRIVAL, 0, NULL);
}

static int on_arrival(tf_engine *e, uint32_t id, queue_state *s) {
  tf_time_ns now = tf_engine_now(e);
  integrate(s, now);
  s->arrivals += s->in_window;
  int rc;
  if (s->busy < s->servers) {
    rc = start_service(e, id, s, now);
  } else {
    rc = line_push(s, now);
    if (s->in_window && s->line_len > s->max_queue)
      s->max_queue = s->line_len;
  }
  return rc ? rc : schedule_next_arrival(e, id, s);
}

static int on_departure(tf_engine *e, uint32_t id, queue_state *s) {
  integrate(s, tf_engine_now(e));
  s->departures += s->in_window;
  assert(s->busy > 0);
  s->busy--;
  return s->line_len ? start_service(e, id, s, line_pop(s)) : 0;
}

static int queue_init(tf_engine *e, uint32_t id, void *state, const void *config) {
  queue_state *s = state;
  const tf_queue_config *cfg = config;
  int rc = tf_queue_config_check(cfg);
  if (rc)
    return rc;
  s->cfg = *cfg;
  if (s->cfg.confidence == 0)
    s->cfg.confidence = 0.95;
  s->servers = (uint32_t)cfg->servers;
  s->rng_arrivals = tf_engine_rng(e, id, TF_QUEUE_STREAM_ARRIVALS);
  s->rng_service = tf_engine_rng(e, id, TF_QUEUE_STREAM_SERVICE);
  if (!s->rng_arrivals || !s->rng_service)
    return TF_FAIL(TF_ENOMEM, "queue: random-number streams");
  tf_batch_means_init(&s->bm_wq);
  tf_batch_means_init(&s->bm_w);
  if ((rc = tf_hist_create(&s->hist_wq)) || (rc = tf_hist_create(&s->hist_w)))
    return rc;
  rc = tf_engine_schedule(e, cfg->warmup_ns, EV_WARMUP, id, EV_WARMUP, 0, NULL);
  return rc ? rc : schedule_next_arrival(e, id, s);
}

static int queue_event(tf_engine *e, uint32_t id, void *state, const tf_event *ev) {
  queue_state *s = state;
  switch (ev->type) {
  case EV_ARRIVAL:
    return on_arrival(e, id, s);
  case EV_DEPARTURE:
    return on_departure(e, id, s);
  case EV_WARMUP:
    s->in_window = true;
    s->last_change_ns = ev->time_ns;
    s->max_queue = s->line_len;
    return 0;
  }
  return TF_FAIL(TF_EINVAL, "queue: unknown event type %u", ev->type);
}

static int queue_final(tf_engine *e, uint32_t id, void *state) {
  (void)id;
  queue_state *s = state;
  integrate(s, tf_engine_now(e));
  return 0;
}

static void queue_destroy(void *state) {
  queue_state *s = state;
  free(s->line);
  tf_hist_destroy(s->hist_wq);
  tf_hist_destroy(s->hist_w);
}

const tf_entity_type tf_queue_entity_type = {
    .name = "queue",
    .state_size = sizeof(queue_state),
    .init = queue_init,
    .event = queue_event,
    .final = queue_final,
    .destroy = queue_destroy,
};

void tf_queue_entity_result(tf_engine *e, uint32_t id, tf_queue_result *out) {
  assert(e && out);
  const queue_state *s = tf_engine_state(e, id);
  memset(out, 0, sizeof *out);
  double window_ns = (double)(s->cfg.duration_ns - s->cfg.warmup_ns);
  double n = (double)s->completed;
  out->window_s = 1e-9 * window_ns;
  out->arrivals = s->arrivals;
  out->departures = s->departures;
  out->completed = s->completed;
  out->arrival_rate_per_s = (double)s->arrivals / out->window_s;
  out->throughput_per_s = (double)s->departures / out->window_s;

  out->wq_mean_s = s->completed ? s->wq_mean : NAN;
  out->w_mean_s = s->completed ? s->w_mean : NAN;
  out->wq_sd_s = s->completed > 1 ? sqrt(s->wq_m2 / (n - 1)) : NAN;
  out->w_sd_s = s->completed > 1 ? sqrt(s->w_m2 / (n - 1)) : NAN;
  out->ci_level = s->cfg.confidence;
  out->ci_batches = tf_batch_means_batches(&s->bm_wq);
  out->wq_ci_half_s = tf_batch_means_half_width(&s->bm_wq, s->cfg.confidence);
  out->w_ci_half_s = tf_batch_means_half_width(&s->bm_w, s->cfg.confidence);
  out->wait_prob = s->completed ? (double)s->waited / n : NAN;

  const struct {
    const tf_hist *h;
    double *p50, *p90, *p99, *max;
  } q[] = {{s->hist_wq, &out->wq_p50_s, &out->wq_p90_s, &out->wq_p99_s, &out->wq_max_s},
           {s->hist_w, &out->w_p50_s, &out->w_p90_s, &out->w_p99_s, &out->w_max_s}};
  for (size_t i = 0; i < 2; i++) {
    bool any = tf_hist_count(q[i].h) > 0;
    *q[i].p50 = any ? 1e-9 * (double)tf_hist_quantile(q[i].h, 0.50) : NAN;
    *q[i].p90 = any ? 1e-9 * (double)tf_hist_quantile(q[i].h, 0.90) : NAN;
    *q[i].p99 = any ? 1e-9 * (double)tf_hist_quantile(q[i].h, 0.99) : NAN;
    *q[i].max = any ? 1e-9 * (double)tf_hist_max(q[i].h) : NAN;
  }

  out->lq = s->area_queue / window_ns;
  out->l = (s->area_queue + s->area_busy) / window_ns;
  out->utilisation = s->area_busy / ((double)s->servers * window_ns);
  out->max_queue = s->max_queue;
  out->queue_at_end = s->line_len;
  out->busy_at_end = s->busy;
}

int tf_queue_run(const tf_queue_config *cfg, uint64_t seed, tf_queue_result *out,
                 tf_engine_stats *stats_out) {
  assert(cfg && out);
  memset(out, 0, sizeof *out);
  int rc = tf_queue_config_check(cfg);
  if (rc)
    return rc;
  tf_engine *e;
  if ((rc = tf_engine_create(&e, seed)))
    return rc;
  uint32_t id;
  rc = tf_engine_add_entity(e, &tf_queue_entity_type, cfg, &id);
  if (rc == 0)
    rc = tf_engine_run(e, cfg->duration_ns);
  if (rc == 0) {
    tf_queue_entity_result(e, id, out);
    if (stats_out)
      *stats_out = *tf_engine_get_stats(e);
  }
  tf_engine_destroy(e);
  return rc;
}
