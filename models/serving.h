/* The serving simulation: a fleet of model replicas serving classes of requests, with a router,
 * continuous batching (token budget, chunked prefill, batch-size limit), a KV cache with
 * admission control and preemption by recompute, and step times from the step-time model.
 *
 * Events scale with state changes, not iterations: a decode batch whose membership cannot change
 * runs as one event however many iterations it lasts (a "run"); an arrival that could join cuts
 * the run at the next iteration boundary. With exact_steps every iteration is an event; the two
 * modes give identical results (tests/models/test_serving.c). */
#ifndef TF_SERVING_H
#define TF_SERVING_H

#include <gsl/gsl_rng.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "perf.h"
#include "failure.h"
#include "power.h"

typedef enum tf_router_policy {
  TF_ROUTER_ROUND_ROBIN,
  TF_ROUTER_LEAST_WORK,   /* fewest outstanding tokens (input + output of unfinished requests) */
  TF_ROUTER_POWER_OF_TWO, /* the less loaded of two replicas drawn at random */
  TF_ROUTER_COUNT_
} tf_router_policy;
const char *tf_router_policy_name(tf_router_policy p); /* "round_robin", ... */

/* Where a class's requests come from: the caller's traffic model. next() gives the next
 * request's arrival instant (>= now_ns) and its input and output lengths in tokens (>= 1), drawing
 * from r (the class's own stream); it returns 0, 1 when the class has no more requests, or a
 * negative TF_E* code. */
typedef struct tf_serving_source {
  int (*next)(void *ctx, gsl_rng *r, int64_t now_ns, int64_t *arrival_ns, int64_t *input,
              int64_t *output);
  void *ctx;
} tf_serving_source;

typedef struct tf_serving_class {
  const char *name;
  tf_serving_source source;
  double prefix_hit;   /* share of each prompt already in the prefix cache, [0, 1) */
  double slo_ttft_s;   /* a request meets its SLO when TTFT <= this and TPOT <= slo_tpot_s; */
  double slo_tpot_s;   /* 0 means no target */
  tf_router_policy router;
} tf_serving_class;

/* How GPU power is limited (docs/POWER.md). */
typedef enum tf_power_cap_policy {
  TF_CAP_NONE,     /* GPUs draw what their steps need */
  TF_CAP_STATIC,   /* every GPU limited to gpu_cap_w (a "MaxQ"-style power limit) */
  TF_CAP_ENVELOPE, /* every GPU limited to an equal share of what the IT envelope leaves after
                      the hosts; binding only when the fleet at full power exceeds it */
  TF_CAP_DYNAMIC,  /* a site controller re-divides that budget every cap_period_ns: GPUs not
                      stepping keep a floor, those stepping share the rest (docs/POWER.md) */
  TF_CAP_COUNT_
} tf_power_cap_policy;
/* The dynamic controller's default period: 1 s. nvPAX (Sivan, Shabat and Shkolnisky, arXiv
 * 2605.01837, 2026), NVIDIA's allocator for GPU datacentres, takes 265 ms on average to compute
 * one allocation of a large site, so it cannot act much faster than once a second; the round
 * second is this project's assumption (docs/POWER.md). */
#define TF_CAP_PERIOD_DEFAULT_NS INT64_C(1000000000)

/* "none", "static", "envelope", "dynamic" */
const char *tf_power_cap_policy_name(tf_power_cap_policy p);

/* One pool of identical replicas serving prefill and decode together (colocated). */
typedef struct tf_serving_pool {
  tf_perf_config perf;      /* one replica's deployment; perf.max_batch_tokens is the per-step
                               token budget */
  int64_t replicas;         /* >= 1 */
  int64_t max_batch_seqs;   /* running sequences per replica, >= 1 */
  int64_t kv_tokens;        /* KV-cache capacity of a replica in tokens, >= 1 (tf_perf_memory:
                               max_tokens x dp) */
  const tf_catalog_system *system; /* for host power; NULL: GPUs only */
  /* Optional degraded mode (docs/FAILURES.md): a replica that failures leave with at least
   * degraded.layout's GPUs (tp x dp x pp, fewer than perf's) restarts on them in that layout, with
   * degraded_kv_tokens of KV cache, until its parts are repaired; then it restarts in its own
   * layout. degraded_kv_tokens == 0: no degraded mode (a failure takes the replica down). */
  tf_perf_config degraded;
  int64_t degraded_kv_tokens;
} tf_serving_pool;

typedef struct tf_serving_config {
  const tf_serving_class *classes;
  size_t n_classes;
  tf_serving_pool pool; /* colocated: serves prefill and decode; disaggregated: prefill only */
  bool disaggregated;   /* prefill in `pool`, then the KV cache moves to `decode_pool` */
  tf_serving_pool decode_pool;
  int64_t warmup_ns;   /* statistics cover requests arriving in [warmup_ns, duration_ns] */
  int64_t duration_ns; /* the run ends here */
  int64_t arrivals_end_ns; /* no arrivals after this (0: duration_ns): lets a run drain */
  bool exact_steps;    /* one event per iteration instead of per run */
  int64_t series_interval_ns; /* > 0: time series over the window in intervals this long */
  /* Power (all optional): with a profile, energy is accounted and caps apply. */
  const tf_power_profile *power_profile; /* NULL: no power accounting, no caps */
  tf_power_cap_policy cap_policy;
  double gpu_cap_w;      /* TF_CAP_STATIC: the limit per GPU, > 0 */
  double it_envelope_w;  /* TF_CAP_ENVELOPE and _DYNAMIC, and the report: facility power / PUE;
                            0 = none */
  int64_t cap_period_ns; /* TF_CAP_DYNAMIC: the controller's period, > 0 (default below) */
  double system_limit_w; /* > 0: the power limit of one system (an NVL72 rack's power shelves, a
                            node's supplies): its GPUs share what its host leaves, whatever the
                            policy; 0 = none */
  double pue;            /* facility power = IT power x pue; 0 means 1 (unused with pue_model) */
  /* NULL: the constant pue above. Else facility power follows the model (power.h) with the load
   * share taken against it_envelope_w, or against the fleet's nameplate IT power when there is no
   * envelope; per time-series interval (its mean IT power and mean temperature excess) when a
   * series is kept, else once over the window. A model that does not vary (tf_pue_varies) gives
   * IT x its at_full_load, exactly as the constant pue does. Must outlive the run. */
  const tf_pue_model *pue_model;
  /* Failures (optional): component classes whose instances, in order, cover equal runs of the
   * fleet's GPUs (replicas in order, prefill pool first): instance i of a class of count n covers
   * GPUs [i s, (i + 1) s), s = ceil(GPUs / n). A replica is down while any instance covering one
   * of its GPUs is; its running requests are retried elsewhere from the start. */
  const tf_failure_class *failures;
  size_t n_failures;
  /* > 0 (TF_FAILURE_UNLIMITED included): one repair team of this many crews works a single FIFO
   * line for every failure class (tf_repair_shop_create_shared; each class keeps its spares and
   * swap time, its repair.crews is not read); 0: each class its own line of repair.crews. */
  int64_t failure_crews;
  /* Restarting a replica in another layout (into degraded mode and back): it serves nothing for
   * this long, >= 0. */
  int64_t reconfigure_ns;
} tf_serving_config;

/* Most intervals a time series may have (TF_ERANGE beyond). */
#define TF_SERVING_SERIES_MAX 1000000

/* One interval of the time series, [start_s, start_s + interval). */
typedef struct tf_serving_interval {
  double start_s;
  uint64_t arrivals, completed; /* requests arriving, finishing in the interval */
  double output_tokens;         /* of the requests finishing in it */
  int64_t waiting, in_system;   /* at the interval's end */
  double busy_fraction;         /* replica stepping time / (replicas x interval) */
  double it_power_w;            /* mean IT power over the interval (with a power profile) */
  double facility_power_w;      /* mean facility power over the interval: IT x PUE */
} tf_serving_interval;

/* Latency statistics, seconds. */
typedef struct tf_serving_latency {
  uint64_t count;
  double mean, p50, p90, p99, p999, max;
} tf_serving_latency;

typedef struct tf_serving_class_result {
  uint64_t arrivals;    /* in the window */
  uint64_t completed;   /* arrived in the window and finished by its end */
  uint64_t slo_met;     /* of those, meeting the class's TTFT and TPOT targets */
  uint64_t preemptions; /* of requests arriving in the window */
  uint64_t rejected;    /* arrived in the window needing more KV than a replica has */
  double input_tokens_per_s, output_tokens_per_s; /* of completed requests, over the window */
  double requests_per_s, goodput_requests_per_s, goodput_tokens_per_s;
  tf_serving_latency ttft, tpot, e2e, queueing; /* queueing: arrival to first admission */
} tf_serving_class_result;

/* What a run measured. Time averages cover [warmup_ns, duration_ns]. */
typedef struct tf_serving_result {
  double window_s;
  size_t n_classes;
  tf_serving_class_result *per_class; /* n_classes entries, owned (tf_serving_result_fini) */
  tf_serving_class_result total;
  size_t n_series;
  tf_serving_interval *series; /* n_series entries when series_interval_ns > 0, owned */
  double busy_fraction;    /* replica-time spent stepping / (replicas x window) */
  double kv_utilisation;   /* time-average KV tokens in use / capacity, over replicas */
  double pool_busy_fraction[2], pool_kv_utilisation[2]; /* per pool (prefill, decode) */
  /* GPU-seconds stepping over the window, split between prompt work and generation: a pass's
   * prefill share is its time beyond what its decoders alone would take (all of a prefill pool's
   * passes; none of a decode-only pass). */
  double prefill_gpu_s, decode_gpu_s;
  double bound_gpu_s[TF_BOUND_COUNT_]; /* GPU-seconds stepping, by each pass's dominant bound */
  uint64_t kv_transfers;   /* prefill-to-decode KV transfers started, whole run */
  /* Power and energy over the window (with a power profile; else 0). Energies are summed in
   * whole microjoules per iteration, so both step modes add the same integers. */
  double gpu_cap_w;          /* the per-GPU limit that applied (INFINITY: none); dynamic: the
                                share each GPU gets while every GPU steps, the least a stepping
                                GPU is given */
  uint64_t cap_changes;      /* dynamic: controller ticks that changed some GPU's cap */
  double it_energy_j, facility_energy_j; /* facility / IT: the run's effective mean PUE */
  double it_power_mean_w, facility_power_mean_w;
  double it_power_peak_w;    /* highest interval mean (with a time series; else the mean) */
  double full_power_it_w;    /* every GPU at TDP plus hosts: the fleet's nameplate IT power */
  double joules_per_output_token;
  double output_tokens_per_s_per_mw_it, output_tokens_per_s_per_mw_facility;
  double capped_fraction;    /* share of GPU stepping time run below full clock */
  /* Failures (whole run, except availability: the window). */
  double availability;       /* replica-time up / (replicas x window), degraded mode included */
  double degraded_fraction;  /* of replica-time, serving in degraded mode (window) */
  uint64_t reconfigurations; /* restarts into degraded mode or back (whole run) */
  uint64_t failures;         /* component failures */
  uint64_t requests_retried; /* requests restarted because their replica went down */
  int64_t tokens_lost;       /* prompt tokens computed and output tokens generated, then lost */
  int64_t requests_orphaned; /* requests waiting at the end with no replica up to take them */
  double mean_clock;         /* stepping-time-weighted clock fraction */
  double mean_in_system;   /* time-average requests in the system (waiting + running) */
  double mean_waiting;     /* time-average requests waiting for admission */
  uint64_t iterations;     /* model forward passes, all replicas, whole run */
  uint64_t runs;           /* events that advanced replicas (iterations / runs: coalescing) */
  /* Whole-run accounting, every request (warm-up included), for invariants:
   * Little:  in_system_ns_integral == sojourn_ns_sum + in_flight_age_ns_sum at the end;
   * tokens:  prefill_tokens_done + prefill_tokens_left == prompt_tokens_admitted
   *          + recompute_tokens;  output_tokens_done == sum of outputs of finished requests. */
  double in_system_ns_integral;
  double sojourn_ns_sum;
  double in_flight_age_ns_sum;
  int64_t requests_arrived, requests_finished, requests_in_flight, requests_rejected;
  int64_t prompt_tokens_admitted, recompute_tokens, prefill_tokens_done, prefill_tokens_left;
  int64_t output_tokens_done, output_tokens_expected;
  int64_t preemptions;
} tf_serving_result;

/* Checks cfg: 0, or TF_EINVAL / TF_ERANGE with a message naming the field. */
int tf_serving_config_check(const tf_serving_config *cfg);

/* Simulates cfg with master seed `seed` and fills *out (free it with tf_serving_result_fini);
 * stats_out (may be NULL) receives the engine's statistics. 0, TF_ENOMEM, or a source's error. */
int tf_serving_run(const tf_serving_config *cfg, uint64_t seed, tf_serving_result *out,
                   tf_engine_stats *stats_out);
void tf_serving_result_fini(tf_serving_result *r);

#endif
