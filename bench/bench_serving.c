/* Serving simulation benchmark: requests simulated per wall-second.
 *
 *   colocated  125 replicas of DeepSeek-V3 FP8 (DP 8 + EP 8 on 8 x H200): 1,000 GPUs, Poisson
 *              arrivals at about 70% of capacity, prompts 256..767 tokens, outputs 64..319
 *   colocated_power  the colocated case with energy accounted per pass and a 500 W GPU cap
 *   disaggregated  the same 1,000 GPUs as 25 prefill and 100 decode replicas, the KV cache
 *              moving over 400 Gb/s NICs
 *   dense      the colocated fleet serving Llama-3.1-70B (TP 8, BF16)
 * Each case prints `case=<name> requests=<n> requests_per_s=<x> events_per_s=<y>
 * peak_rss_mb=<z>` (peak RSS of the process so far, after the case). Usage:
 *   bench_serving CATALOG_DIR [requests]   (default 10^6 requests per case) */
#include <gsl/gsl_randist.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "catalog.h"
#include "diag.h"
#include "gpu_profile.h"
#include "serving.h"

typedef struct source {
  double rate_per_s;
  int64_t last_ns;
} source;

static int next(void *ctx, gsl_rng *r, int64_t now_ns, int64_t *at, int64_t *in, int64_t *out) {
  source *s = ctx;
  (void)now_ns;
  s->last_ns += 1 + (int64_t)(gsl_ran_exponential(r, 1.0 / s->rate_per_s) * 1e9);
  *at = s->last_ns;
  *in = 256 + (int64_t)gsl_rng_uniform_int(r, 512);
  *out = 64 + (int64_t)gsl_rng_uniform_int(r, 256);
  return 0;
}

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A power case: energy per pass on power_system's hosts under policy. */
typedef struct power_case {
  const tf_catalog_system *system; /* NULL: no power accounting */
  tf_power_cap_policy policy;
} power_case;

static void run(const char *name, tf_perf_config pc, double rate_per_s, double requests,
                int64_t prefill_replicas, power_case power) {
  source src = {.rate_per_s = rate_per_s};
  tf_serving_class cls = {.name = name, .source = {next, &src}, .router = TF_ROUTER_LEAST_WORK};
  tf_perf_memory mem;
  tf_perf_memory_fit(&pc, &mem);
  tf_serving_config cfg = {
      .classes = &cls,
      .n_classes = 1,
      .pool = {.perf = pc,
               .replicas = 125,
               .max_batch_seqs = 256,
               .kv_tokens = (int64_t)(mem.max_tokens * (double)pc.layout.dp)},
      .warmup_ns = 1000000000,
      .duration_ns = (int64_t)(requests / rate_per_s * 1e9),
  };
  if (power.system) {
    /* Energy accounting for every pass; a static cap that binds on prefill, or an envelope at
     * the same 500 W a GPU plus hosts that a controller re-divides every second. */
    cfg.pool.system = power.system;
    cfg.power_profile = tf_power_profile_default();
    cfg.cap_policy = power.policy;
    cfg.gpu_cap_w = 500;
    double gpus = 125.0 * 8, host_w = tf_power_host_w(power.system) / (double)power.system->gpus;
    cfg.it_envelope_w = gpus * (500 + host_w);
    cfg.cap_period_ns = TF_CAP_PERIOD_DEFAULT_NS;
  }
  if (prefill_replicas > 0) {
    /* Disaggregated: prefill_replicas replicas prefill, the rest of the 125 decode. */
    cfg.disaggregated = true;
    cfg.decode_pool = cfg.pool;
    cfg.pool.replicas = prefill_replicas;
    cfg.decode_pool.replicas = 125 - prefill_replicas;
  }
  tf_serving_result r;
  tf_engine_stats st;
  double t0 = wall_now();
  int rc = tf_serving_run(&cfg, 1, &r, &st);
  double dt = wall_now() - t0;
  if (rc) {
    fprintf(stderr, "bench_serving: %s failed (%d)\n", name, rc);
    return;
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("case=%s requests=%lld requests_per_s=%.0f events_per_s=%.0f peak_rss_mb=%.1f\n", name,
         (long long)r.requests_arrived, (double)r.requests_arrived / dt,
         (double)st.events_processed / dt, (double)ru.ru_maxrss / 1024.0);
  fprintf(stderr,
          "  %s: %.0f s simulated, %.0f output tok/s, TTFT p50 %.3f s, TPOT p50 %.4f s, busy "
          "%.3f, KV %.3f, %llu iterations in %llu runs, %lld preemptions\n",
          name, (double)cfg.duration_ns * 1e-9, r.total.output_tokens_per_s, r.total.ttft.p50,
          r.total.tpot.p50, r.busy_fraction, r.kv_utilisation, (unsigned long long)r.iterations,
          (unsigned long long)r.runs, (long long)r.preemptions);
  tf_serving_result_fini(&r);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_serving CATALOG_DIR [requests]\n");
    return 2;
  }
  double requests = argc > 2 ? atof(argv[2]) : 1e6;
  tf_diags *d = NULL;
  tf_catalog *cat = NULL;
  if (tf_diags_create(&d) != 0 || tf_catalog_open(argv[1], &cat, d) != 0) {
    if (d)
      tf_diags_print(d, stderr);
    return 1;
  }
  tf_diags_destroy(d);
  tf_perf_config moe = {
      .model = tf_catalog_find_model(cat, "deepseek-v3"),
      .hw = {.gpu = tf_catalog_find_gpu(cat, "h200"), .scale_up_domain = 8},
      .profile = tf_gpu_profile_default(),
      .layout = {.tp = 1, .dp = 8, .ep = 8, .pp = 1, .overlap = true},
      .precision = {TF_PREC_FP8, TF_PREC_FP8, TF_PREC_FP8, TF_PREC_FP8},
      .memory_utilisation = 0.9,
      .max_batch_tokens = 8192,
  };
  const tf_catalog_system *hgx = tf_catalog_find_system(cat, "hgx-h200");
  run("colocated", moe, 4000, requests, 0, (power_case){0});
  run("colocated_power", moe, 4000, requests, 0, (power_case){hgx, TF_CAP_STATIC});
  run("colocated_dynamic", moe, 4000, requests, 0, (power_case){hgx, TF_CAP_DYNAMIC});
  run("disaggregated", moe, 4000, requests, 25, (power_case){0});
  tf_perf_config dense = moe;
  dense.model = tf_catalog_find_model(cat, "llama-3.1-70b");
  dense.layout = (tf_perf_layout){.tp = 8, .dp = 1, .ep = 1, .pp = 1};
  dense.precision = (tf_perf_precisions){TF_PREC_BF16, TF_PREC_BF16, TF_PREC_BF16, TF_PREC_BF16};
  run("dense", dense, 3000, requests, 0, (power_case){0});
  tf_catalog_destroy(cat);
  return 0;
}
