/* Step-time model benchmark: how many step evaluations per second, the cost the serving
 * simulation pays once per batch-changing event.
 *
 * Cases (DeepSeek-V3 FP8, DP attention + EP, built-in catalogue):
 *   ep8    8 x H200, EP 8        decode batches of 1..256 sequences per GPU, varied contexts
 *   ep72   GB200 NVL72, EP 72    the same
 *   dense  Llama-3.1-70B TP 8 on 8 x H200 (no routing model)
 * stdout, one line per case: case=<name> steps_per_s=<x> ns_per_step=<y>
 * Each MoE case runs three ways: rebuilding the routing model's plan on every call
 * (routing_plan NULL), with a plan kept for the deployment (+plan), and with the expert loads
 * cached by token count as well (+cache), as the serving simulation does; the cached figure
 * includes filling the cache (the 20,000 calls cycle through 20 batch sizes).
 * Usage: bench_perf CATALOG_DIR */
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "catalog.h"
#include "diag.h"
#include "gpu_profile.h"
#include "perf.h"

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void run(const char *name, const tf_perf_config *c0, bool with_plan, bool with_cache) {
  tf_perf_config cfg = *c0, *c = &cfg;
  static tf_moe_plan plan;
  tf_perf_load_cache cache = {.max_tokens = 0};
  if (with_cache) {
    if (tf_perf_load_cache_init(&cache, 1 << 16) != 0)
      return;
    cfg.load_cache = &cache;
  }
  if (with_plan) {
    if (tf_perf_routing_plan(c, &plan) != 0) {
      fprintf(stderr, "bench_perf: %s: no plan\n", name);
      return;
    }
    cfg.routing_plan = &plan;
  }
  enum { CALLS = 20000 };
  static const double seqs[] = {1, 4, 16, 64, 256};
  static const double ctx[] = {512, 2048, 8192, 32768};
  double gpus = (double)(c->layout.tp * c->layout.dp);
  double sink = 0;
  double t0 = wall_now();
  for (int i = 0; i < CALLS; i++) {
    tf_perf_batch b = tf_perf_decode(seqs[i % 5] * gpus / (double)c->layout.tp, ctx[i % 4]);
    tf_perf_step st;
    if (tf_perf_step_time(c, &b, &st) != 0) {
      fprintf(stderr, "bench_perf: %s: step failed\n", name);
      return;
    }
    sink += st.stage_s;
  }
  double dt = wall_now() - t0;
  printf("case=%s%s%s steps_per_s=%.0f ns_per_step=%.0f\n", name, with_plan ? "+plan" : "",
         with_cache ? "+cache" : "", CALLS / dt, dt / CALLS * 1e9);
  if (with_cache)
    tf_perf_load_cache_fini(&cache);
  fprintf(stderr, "(checksum %g)\n", sink);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: bench_perf CATALOG_DIR\n");
    return 2;
  }
  tf_diags *d = NULL;
  tf_catalog *cat = NULL;
  if (tf_diags_create(&d) != 0 || tf_catalog_open(argv[1], &cat, d) != 0) {
    if (d)
      tf_diags_print(d, stderr);
    return 1;
  }
  tf_diags_destroy(d);
  tf_perf_config c = {
      .model = tf_catalog_find_model(cat, "deepseek-v3"),
      .hw = {.gpu = tf_catalog_find_gpu(cat, "h200"), .scale_up_domain = 8},
      .profile = tf_gpu_profile_default(),
      .layout = {.tp = 1, .dp = 8, .ep = 8, .pp = 1, .overlap = true},
      .precision = {TF_PREC_FP8, TF_PREC_FP8, TF_PREC_FP8, TF_PREC_FP8},
      .memory_utilisation = 0.9,
      .max_batch_tokens = 8192,
  };
  run("ep8", &c, false, false);
  run("ep8", &c, true, false);
  run("ep8", &c, true, true);
  c.hw = (tf_perf_hardware){.gpu = tf_catalog_find_gpu(cat, "gb200"), .scale_up_domain = 72};
  c.layout.dp = c.layout.ep = 72;
  run("ep72", &c, false, false);
  run("ep72", &c, true, false);
  run("ep72", &c, true, true);
  c.model = tf_catalog_find_model(cat, "llama-3.1-70b");
  c.hw = (tf_perf_hardware){.gpu = tf_catalog_find_gpu(cat, "h200"), .scale_up_domain = 8};
  c.layout = (tf_perf_layout){.tp = 8, .dp = 1, .ep = 1, .pp = 1};
  c.precision = (tf_perf_precisions){TF_PREC_BF16, TF_PREC_BF16, TF_PREC_BF16, TF_PREC_BF16};
  run("dense", &c, false, false);
  tf_catalog_destroy(cat);
  return 0;
}
