/* Serving simulation: queueing theory at batch size 1, Little's law, token and request
 * conservation with preemptions, coalesced runs against iteration-by-iteration steps, and
 * determinism. */
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "diag.h"
#include "error.h"
#include "gpu_profile.h"
#include "queueing.h"
#include "serving.h"
#include "tf_test.h"

static tf_catalog *cat;

/* A Poisson source with fixed lengths, or lengths uniform in [len, 2 len] when spread. */
typedef struct poisson {
  double rate_per_s;
  int64_t input, output;
  bool spread;
  int64_t last_ns;
} poisson;

static int poisson_next(void *ctx, gsl_rng *r, int64_t now_ns, int64_t *at, int64_t *in,
                        int64_t *out) {
  poisson *p = ctx;
  (void)now_ns;
  p->last_ns += 1 + (int64_t)(gsl_ran_exponential(r, 1.0 / p->rate_per_s) * 1e9);
  *at = p->last_ns;
  *in = p->input + (p->spread ? (int64_t)gsl_rng_uniform_int(r, (unsigned long)p->input) : 0);
  *out = p->output + (p->spread ? (int64_t)gsl_rng_uniform_int(r, (unsigned long)p->output) : 0);
  return 0;
}

static tf_perf_config perf(const char *model, const char *gpu, int64_t tp, int64_t dp,
                           int64_t ep, tf_precision p) {
  return (tf_perf_config){
      .model = tf_catalog_find_model(cat, model),
      .hw = {.gpu = tf_catalog_find_gpu(cat, gpu), .scale_up_domain = 8},
      .profile = tf_gpu_profile_default(),
      .layout = {.tp = tp, .dp = dp, .ep = ep, .pp = 1},
      .precision = {p, p, p, p},
      .memory_utilisation = 0.9,
      .max_batch_tokens = 8192,
  };
}

/* Batch size 1, Poisson arrivals, fixed lengths: every request takes the same service time S (a
 * prefill step and output - 1 decode steps), so the replica is an M/D/1 queue. */
static void test_md1(void) {
  tf_perf_config pc = perf("llama-3.1-70b", "h200", 8, 1, 1, TF_PREC_BF16);
  const int64_t in = 512, out = 32;
  /* S by hand from the step model, rounding each step to whole ns as the simulation does. */
  tf_perf_step st;
  tf_perf_batch pre = tf_perf_prefill(1, (double)in, 0);
  TF_CHECK_INT(tf_perf_step_time(&pc, &pre, &st), 0);
  int64_t s_ns = (int64_t)nearbyint(st.stage_s * 1e9);
  for (int64_t g = 1; g < out; g++) {
    tf_perf_batch d = tf_perf_decode(1, (double)(in + g));
    TF_CHECK_INT(tf_perf_step_time(&pc, &d, &st), 0);
    s_ns += (int64_t)nearbyint(st.stage_s * 1e9);
  }
  double s = (double)s_ns * 1e-9, rho = 0.6, lambda = rho / s;
  poisson src = {.rate_per_s = lambda, .input = in, .output = out};
  tf_serving_class cls = {.name = "md1", .source = {poisson_next, &src}};
  tf_serving_config cfg = {
      .classes = &cls,
      .n_classes = 1,
      .pool = {.perf = pc, .replicas = 1, .max_batch_seqs = 1, .kv_tokens = 100000},
      .warmup_ns = (int64_t)(500 * s * 1e9),
      .duration_ns = (int64_t)(40500 * s * 1e9),
  };
  tf_serving_result r;
  TF_CHECK_INT(tf_serving_run(&cfg, 1, &r, NULL), 0);
  tf_queueing_result th;
  TF_CHECK_INT(tf_queueing_md1(lambda, s, &th), 0);
  printf("  M/D/1, S = %.4f s, rho %.2f: Wq %.4f s (theory %.4f), W %.4f s (theory %.4f), "
         "busy %.4f, %llu requests\n",
         s, rho, r.total.queueing.mean, th.wq_s, r.total.e2e.mean, th.w_s, r.busy_fraction,
         (unsigned long long)r.total.completed);
  TF_CHECK(r.total.completed > 23000);
  TF_CHECK_NEAR(r.total.queueing.mean, th.wq_s, 0.05 * th.wq_s);
  TF_CHECK_NEAR(r.total.e2e.mean, th.w_s, 0.02 * th.w_s);
  TF_CHECK_NEAR(r.busy_fraction, rho, 0.02);
  /* Without waiting, TTFT is exactly the prefill step and E2E exactly S. */
  TF_CHECK_NEAR(r.total.e2e.mean - r.total.queueing.mean, s, 1e-9);
  tf_serving_result_fini(&r);
}

static tf_serving_config moe_config(tf_serving_class *cls, poisson *src, int64_t kv_tokens,
                                    bool exact) {
  tf_perf_config pc = perf("deepseek-v3", "h200", 1, 8, 8, TF_PREC_FP8);
  pc.speculation = (tf_perf_speculation){.draft_tokens = 1, .acceptance = 0.7};
  *cls = (tf_serving_class){.name = "chat",
                            .source = {poisson_next, src},
                            .prefix_hit = 0.25,
                            .slo_ttft_s = 2,
                            .slo_tpot_s = 0.05,
                            .router = TF_ROUTER_POWER_OF_TWO};
  return (tf_serving_config){
      .classes = cls,
      .n_classes = 1,
      .pool = {.perf = pc, .replicas = 3, .max_batch_seqs = 64, .kv_tokens = kv_tokens},
      .warmup_ns = 5000000000,
      .duration_ns = 60000000000,
      .exact_steps = exact,
      .series_interval_ns = 1000000000,
  };
}

/* The same requests with every iteration an event, and with decode runs coalesced. */
static void test_coalesced_equals_exact(void) {
  for (int tight = 0; tight < 3; tight++) {
    tf_serving_class c1, c2;
    poisson s1 = {.rate_per_s = 6, .input = 600, .output = 150, .spread = true};
    poisson s2 = s1;
    /* tight: a small KV cache forces preemptions. */
    int64_t kv = tight == 1 ? 3000 : 400000;
    tf_serving_config exact = moe_config(&c1, &s1, kv, true);
    tf_serving_config fast = moe_config(&c2, &s2, kv, false);
    if (tight == 2) {
      /* A step budget the decoders nearly fill: prompts advance in small chunks and stall. */
      exact.pool.perf.max_batch_tokens = fast.pool.perf.max_batch_tokens = 100;
      exact.pool.max_batch_seqs = fast.pool.max_batch_seqs = 56;
    }
    tf_serving_result a, b;
    tf_engine_stats sa, sb;
    TF_CHECK_INT(tf_serving_run(&exact, 7, &a, &sa), 0);
    TF_CHECK_INT(tf_serving_run(&fast, 7, &b, &sb), 0);
    printf("  coalescing (%s): %llu iterations, exact %llu events, coalesced %llu events; "
           "%lld preemptions, %llu completed\n",
           tight == 2 ? "small step budget" : tight ? "small KV" : "large KV", (unsigned long long)a.iterations,
           (unsigned long long)sa.events_processed, (unsigned long long)sb.events_processed,
           (long long)a.preemptions, (unsigned long long)a.total.completed);
    TF_CHECK(a.total.completed > 100);
    TF_CHECK(tight == 1 ? a.preemptions > 0 : a.preemptions == 0);
    TF_CHECK(sb.events_processed * 3 < sa.events_processed);
    TF_CHECK(memcmp(&a.total, &b.total, sizeof a.total) == 0);
    TF_CHECK(memcmp(a.per_class, b.per_class, sizeof *a.per_class) == 0);
    TF_CHECK(a.iterations == b.iterations);
    TF_CHECK(a.busy_fraction == b.busy_fraction && a.kv_utilisation == b.kv_utilisation);
    TF_CHECK(a.mean_in_system == b.mean_in_system && a.mean_waiting == b.mean_waiting);
    TF_CHECK(a.prefill_tokens_done == b.prefill_tokens_done);
    TF_CHECK(a.output_tokens_done == b.output_tokens_done);
    TF_CHECK(a.in_system_ns_integral == b.in_system_ns_integral);
    TF_CHECK(a.n_series == 55 && b.n_series == 55);
    TF_CHECK(memcmp(a.series, b.series, a.n_series * sizeof *a.series) == 0);
    /* The series adds up to the window's figures. */
    uint64_t arrivals = 0;
    double busy = 0;
    for (size_t k = 0; k < a.n_series; k++) {
      arrivals += a.series[k].arrivals;
      busy += a.series[k].busy_fraction / (double)a.n_series;
      TF_CHECK(a.series[k].waiting >= 0 && a.series[k].in_system >= a.series[k].waiting);
    }
    TF_CHECK_INT(arrivals, a.total.arrivals);
    TF_CHECK_NEAR(busy, a.busy_fraction, 1e-9);
    /* GPU time split between prompts and generation, and by bound: the same in both modes,
     * adding up to the replicas' stepping time (3 replicas of 8 GPUs over the 55 s window). */
    double gpu_s = a.busy_fraction * 3 * 8 * 55;
    TF_CHECK(a.prefill_gpu_s > 0 && a.decode_gpu_s > 0);
    TF_CHECK_NEAR(a.prefill_gpu_s + a.decode_gpu_s, gpu_s, 1e-9 * gpu_s);
    TF_CHECK_NEAR(a.prefill_gpu_s, b.prefill_gpu_s, 1e-9 * a.prefill_gpu_s);
    TF_CHECK_NEAR(a.decode_gpu_s, b.decode_gpu_s, 1e-9 * a.decode_gpu_s);
    double by_bound = 0;
    for (int k = 0; k < TF_BOUND_COUNT_; k++) {
      by_bound += a.bound_gpu_s[k];
      TF_CHECK_NEAR(a.bound_gpu_s[k], b.bound_gpu_s[k], 1e-9 * gpu_s);
    }
    TF_CHECK_NEAR(by_bound, gpu_s, 1e-9 * gpu_s);
    TF_CHECK(a.bound_gpu_s[TF_BOUND_NONE] == 0);
    tf_serving_result_fini(&a);
    tf_serving_result_fini(&b);
  }
}

/* Little's law as an identity: the integral of the number in the system equals the sum of the
 * time each request spent in it (the finished ones' whole stay, the others' stay so far); and
 * in the window L = lambda W statistically. Tokens and requests are conserved, preemptions
 * included. */
static void test_little_and_conservation(void) {
  for (int tight = 0; tight < 2; tight++) {
    tf_serving_class c;
    poisson s = {.rate_per_s = 6, .input = 600, .output = 150, .spread = true};
    tf_serving_config cfg = moe_config(&c, &s, tight ? 3000 : 400000, false);
    cfg.duration_ns = 200000000000;
    tf_serving_result r;
    TF_CHECK_INT(tf_serving_run(&cfg, 3, &r, NULL), 0);
    double stays = r.sojourn_ns_sum + r.in_flight_age_ns_sum;
    TF_CHECK_NEAR(r.in_system_ns_integral, stays, 1e-9 * stays);
    TF_CHECK_INT(r.requests_arrived,
                 r.requests_finished + r.requests_in_flight + r.requests_rejected);
    TF_CHECK_INT(r.prefill_tokens_done + r.prefill_tokens_left,
                 r.prompt_tokens_admitted + r.recompute_tokens);
    TF_CHECK(r.output_tokens_done <= r.output_tokens_expected);
    double l = r.mean_in_system, lw = r.total.requests_per_s * r.total.e2e.mean;
    printf("  Little (%s KV): L %.3f, lambda W %.3f; %lld preemptions, KV use %.3f, busy %.3f\n",
           tight ? "small" : "large", l, lw, (long long)r.preemptions, r.kv_utilisation,
           r.busy_fraction);
    TF_CHECK_NEAR(l, lw, 0.05 * l);
    TF_CHECK(r.kv_utilisation > 0 && r.kv_utilisation <= 1);
    if (tight)
      TF_CHECK(r.preemptions > 0 && r.recompute_tokens > 0);
    tf_serving_result_fini(&r);
  }
}

/* Prefill and decode in separate pools, the KV cache moving between them: both step modes agree,
 * requests and tokens are conserved, and every request that decoded was transferred. */
static void test_disaggregated(void) {
  tf_serving_result res[2];
  tf_engine_stats st[2];
  for (int exact = 0; exact < 2; exact++) {
    tf_serving_class c;
    poisson src = {.rate_per_s = 8, .input = 2000, .output = 200, .spread = true};
    tf_serving_config cfg = moe_config(&c, &src, 400000, exact);
    cfg.disaggregated = true;
    cfg.pool.replicas = 1;
    cfg.decode_pool = cfg.pool;
    cfg.decode_pool.replicas = 3;
    cfg.arrivals_end_ns = 40000000000;
    TF_CHECK_INT(tf_serving_run(&cfg, 5, &res[exact], &st[exact]), 0);
  }
  tf_serving_result *a = &res[1], *b = &res[0];
  printf("  disaggregated: %llu transfers, %llu completed, TTFT p50 %.3f s, TPOT p50 %.4f s, "
         "busy prefill %.3f decode %.3f; exact %llu events, coalesced %llu\n",
         (unsigned long long)a->kv_transfers, (unsigned long long)a->total.completed,
         a->total.ttft.p50, a->total.tpot.p50, a->pool_busy_fraction[0],
         a->pool_busy_fraction[1], (unsigned long long)st[1].events_processed,
         (unsigned long long)st[0].events_processed);
  TF_CHECK(a->total.completed > 200);
  TF_CHECK(memcmp(&a->total, &b->total, sizeof a->total) == 0);
  TF_CHECK(a->iterations == b->iterations && a->kv_transfers == b->kv_transfers);
  TF_CHECK(a->pool_busy_fraction[1] == b->pool_busy_fraction[1]);
  TF_CHECK(st[0].events_processed * 2 < st[1].events_processed);
  TF_CHECK_INT(a->requests_arrived, a->requests_finished + a->requests_in_flight +
                                        a->requests_rejected);
  TF_CHECK((int64_t)a->kv_transfers >= a->requests_finished); /* every output > 1 */
  double stays = a->sojourn_ns_sum + a->in_flight_age_ns_sum;
  TF_CHECK_NEAR(a->in_system_ns_integral, stays, 1e-9 * stays);
  TF_CHECK_INT(a->prefill_tokens_done + a->prefill_tokens_left,
               a->prompt_tokens_admitted + a->recompute_tokens);
  /* The prefill pool's stepping is all prompt work, the decode pool's all generation (one and
   * three replicas of 8 GPUs over the 55 s window). */
  double prefill_s = a->pool_busy_fraction[0] * 1 * 8 * 55, decode_s =
                                                                a->pool_busy_fraction[1] * 3 * 8 * 55;
  TF_CHECK_NEAR(a->prefill_gpu_s, prefill_s, 1e-9 * prefill_s);
  TF_CHECK_NEAR(a->decode_gpu_s, decode_s, 1e-9 * decode_s);
  tf_serving_result_fini(a);
  tf_serving_result_fini(b);
}

/* A source of exactly one request, at a given instant. */
typedef struct single {
  int64_t at, input, output;
  bool done;
} single;

static int single_next(void *ctx, gsl_rng *r, int64_t now_ns, int64_t *at, int64_t *in,
                       int64_t *out) {
  single *s = ctx;
  (void)r;
  (void)now_ns;
  if (s->done)
    return 1;
  s->done = true;
  *at = s->at;
  *in = s->input;
  *out = s->output;
  return 0;
}

/* Energy is the integral of power: one request on one replica, every pass hand-computed from
 * the step and power models; idle GPUs and hosts draw all the time. */
static void test_energy(void) {
  tf_perf_config pc = perf("llama-3.1-70b", "h200", 8, 1, 1, TF_PREC_BF16);
  const tf_catalog_system *sys = tf_catalog_find_system(cat, "hgx-h200");
  single src = {.at = 2000000000, .input = 1000, .output = 20};
  tf_serving_class cls = {.name = "one", .source = {single_next, &src}};
  tf_serving_config cfg = {
      .classes = &cls,
      .n_classes = 1,
      .pool = {.perf = pc, .replicas = 1, .max_batch_seqs = 4, .kv_tokens = 100000,
               .system = sys},
      .warmup_ns = 1000000000,
      .duration_ns = 10000000000,
      .power_profile = tf_power_profile_default(),
      .pue = 1.25,
  };
  tf_serving_result r;
  TF_CHECK_INT(tf_serving_run(&cfg, 1, &r, NULL), 0);
  const tf_catalog_gpu *g = pc.hw.gpu;
  const tf_power_profile *prof = tf_power_profile_default();
  /* The passes: the prompt, then output - 1 decodes at growing context. */
  double extra_j = 0, busy_s = 0;
  tf_perf_step st;
  tf_perf_batch b = tf_perf_prefill(1, 1000, 0);
  TF_CHECK_INT(tf_perf_step_time(&pc, &b, &st), 0);
  double ns = nearbyint(st.stage_s * 1e9);
  extra_j += nearbyint((tf_power_gpu_w(g, prof, &st) - g->idle_power_w) * ns * 1e-3) * 8 * 1e-6;
  busy_s += ns * 1e-9;
  for (int64_t k = 1; k < 20; k++) {
    b = tf_perf_decode(1, (double)(1000 + k));
    TF_CHECK_INT(tf_perf_step_time(&pc, &b, &st), 0);
    ns = nearbyint(st.stage_s * 1e9);
    extra_j += nearbyint((tf_power_gpu_w(g, prof, &st) - g->idle_power_w) * ns * 1e-3) * 8 * 1e-6;
    busy_s += ns * 1e-9;
  }
  double host_w = tf_power_host_w(sys);
  double base_w = 8 * g->idle_power_w + host_w;
  double expect = base_w * 9 + extra_j;
  printf("  energy: one request, %.4f s of passes, IT %.6g J (hand %.6g J), facility %.6g J\n",
         busy_s, r.it_energy_j, expect, r.facility_energy_j);
  TF_CHECK_INT(r.total.completed, 1);
  TF_CHECK_NEAR(r.it_energy_j, expect, 1e-9 * expect);
  TF_CHECK_NEAR(r.facility_energy_j, 1.25 * r.it_energy_j, 1e-9 * r.facility_energy_j);
  TF_CHECK_NEAR(r.it_power_mean_w, expect / 9, 1e-9 * expect);
  TF_CHECK_NEAR(r.full_power_it_w, 8 * g->tdp_w + host_w, 1e-9);
  TF_CHECK_NEAR(r.joules_per_output_token, expect / 20, 1e-9 * expect);
  TF_CHECK(r.capped_fraction == 0 && r.mean_clock == 1);
  tf_serving_result_fini(&r);
}

/* Power caps: a fleet inside its envelope is never capped (and runs exactly as without power
 * accounting); an oversubscribed one is, and a compute-bound prefill workload loses throughput
 * as the DVFS curve predicts; both step modes agree under a cap. */
static void test_power_caps(void) {
  tf_perf_config pc = perf("llama-3.1-70b", "h100-sxm", 2, 1, 1, TF_PREC_FP8);
  const tf_catalog_system *sys = tf_catalog_find_system(cat, "hgx-h100");
  /* Saturating long prompts with one output token: the fleet prefills all the time. */
  poisson src = {.rate_per_s = 50, .input = 8192, .output = 1};
  tf_serving_class cls = {.name = "prefill", .source = {poisson_next, &src}};
  tf_serving_config base = {
      .classes = &cls,
      .n_classes = 1,
      .pool = {.perf = pc, .replicas = 4, .max_batch_seqs = 8, .kv_tokens = 200000,
               .system = sys},
      .warmup_ns = 5000000000,
      .duration_ns = 60000000000,
      .power_profile = tf_power_profile_default(),
  };
  double host_w = tf_power_host_w(sys) / 8 * 2;
  double full_w = 4 * (2 * pc.hw.gpu->tdp_w + host_w);
  tf_serving_result plain, fits, capped, capped_exact;
  tf_serving_config cfg = base;
  cfg.power_profile = NULL;
  src.last_ns = 0;
  TF_CHECK_INT(tf_serving_run(&cfg, 2, &plain, NULL), 0);
  cfg = base;
  cfg.cap_policy = TF_CAP_ENVELOPE;
  cfg.it_envelope_w = full_w; /* exactly enough */
  src.last_ns = 0;
  TF_CHECK_INT(tf_serving_run(&cfg, 2, &fits, NULL), 0);
  TF_CHECK(isinf(fits.gpu_cap_w) && fits.capped_fraction == 0);
  TF_CHECK(memcmp(&plain.total, &fits.total, sizeof plain.total) == 0);
  /* 70% of the nameplate: every GPU gets (0.7 full - hosts) / 8. */
  cfg.it_envelope_w = 0.7 * full_w;
  src.last_ns = 0;
  TF_CHECK_INT(tf_serving_run(&cfg, 2, &capped, NULL), 0);
  double cap = (0.7 * full_w - 4 * host_w) / 8;
  TF_CHECK_NEAR(capped.gpu_cap_w, cap, 1e-9 * cap);
  /* The predicted clock for a full 8192-token prefill step under that cap. */
  tf_perf_batch b = tf_perf_prefill(1, 8192, 0);
  tf_perf_step st;
  TF_CHECK_INT(tf_perf_step_time(&pc, &b, &st), 0);
  double f = tf_power_clock_for_cap(pc.hw.gpu, tf_power_profile_default(), &st, cap);
  tf_perf_step slow;
  TF_CHECK_INT(tf_power_retime(&st, f, &slow), 0);
  double predicted = st.stage_s / slow.stage_s; /* throughput kept */
  /* Saturated throughout: prompt tokens computed over the run measure capacity. */
  double measured = (double)capped.prefill_tokens_done / (double)plain.prefill_tokens_done;
  printf("  power cap %.0f W per GPU: clock %.3f, prefill throughput kept %.4f (DVFS predicts "
         "%.4f), IT power %.0f W of envelope %.0f W, capped %.3f of stepping time\n",
         cap, f, measured, predicted, capped.it_power_mean_w, 0.7 * full_w,
         capped.capped_fraction);
  TF_CHECK(capped.capped_fraction > 0.95);
  TF_CHECK_NEAR(measured, predicted, 0.02);
  TF_CHECK(measured < 0.95);
  TF_CHECK(capped.it_power_mean_w <= 0.7 * full_w * 1.001);
  cfg.exact_steps = true;
  src.last_ns = 0;
  TF_CHECK_INT(tf_serving_run(&cfg, 2, &capped_exact, NULL), 0);
  TF_CHECK(memcmp(&capped.total, &capped_exact.total, sizeof capped.total) == 0);
  TF_CHECK(capped.it_energy_j == capped_exact.it_energy_j);
  /* A static limit above what the steps draw changes nothing. */
  tf_serving_result loose;
  cfg = base;
  cfg.cap_policy = TF_CAP_STATIC;
  cfg.gpu_cap_w = 5000;
  src.last_ns = 0;
  TF_CHECK_INT(tf_serving_run(&cfg, 2, &loose, NULL), 0);
  TF_CHECK(memcmp(&plain.total, &loose.total, sizeof plain.total) == 0);
  tf_serving_result_fini(&plain);
  tf_serving_result_fini(&fits);
  tf_serving_result_fini(&capped);
  tf_serving_result_fini(&capped_exact);
  tf_serving_result_fini(&loose);
}

/* The time of one prefill pass of `chunk` prompt tokens after `done`, under cap_w (INFINITY:
 * none), as serving times it: the step re-timed at the clock the cap allows, in whole ns. */
static int64_t capped_prefill_ns(const tf_perf_config *pc, double done, double chunk,
                                 double cap_w) {
  tf_perf_batch b = {.prefill_tokens = chunk,
                     .prefill_attended = chunk * done + chunk * (chunk + 1) / 2};
  tf_perf_step st;
  TF_CHECK_INT(tf_perf_step_time(pc, &b, &st), 0);
  double f = isfinite(cap_w) ? tf_power_clock_for_cap(pc->hw.gpu, tf_power_profile_default(),
                                                       &st, cap_w)
                             : 1;
  if (f < 1)
    TF_CHECK_INT(tf_power_retime(&st, f, &st), 0);
  return (int64_t)nearbyint(st.stage_s * 1e9);
}

/* The 24 GPUs of three 8-GPU replicas failing exponentially, repaired in a fixed time by
 * unlimited crews, no spares. */
static tf_failure_class gpu_failures(double mtbf_h, double repair_h) {
  tf_failure_class gpu;
  TF_CHECK_INT(tf_failure_class_default(TF_FAILURE_GPU, 24, &gpu), 0);
  gpu.ttf = tf_failure_ttf_mtbf(mtbf_h * 3600);
  gpu.repair.time = (tf_dist){.kind = TF_DIST_DETERMINISTIC, .mean = repair_h * 3600};
  gpu.repair.spares = 0;
  return gpu;
}

/* Gives cfg's pool a degraded layout on 4 of its 8 GPUs (dp 4, ep 4) holding 1,000 KV tokens. */
static void with_degraded(tf_serving_config *cfg) {
  cfg->pool.degraded = cfg->pool.perf;
  cfg->pool.degraded.layout.dp = 4;
  cfg->pool.degraded.layout.ep = 4;
  cfg->pool.degraded_kv_tokens = 1000;
}

/* Degraded mode (docs/FAILURES.md): replicas of 8 GPUs that may restart on 4 of them. With
 * independent exponential GPU failures and fixed repairs by unlimited crews, each GPU is up a
 * share u = MTBF / (MTBF + MTTR) of the time, independently; with instant restarts a replica
 * serves while at most 4 of its 8 GPUs are down, in its own layout only while none is:
 *   serving = sum_{j <= 4} C(8, j) u^(8 - j) (1 - u)^j,   own layout = u^8.
 * With a restart time, both step modes agree and no request is lost; a request too long for the
 * degraded KV cache waits for a replica that can hold it; repairs quicker than two restarts are
 * waited for. */
static void test_degraded(void) {
  const double mtbf_h = 4, repair_h = 0.8, hours = 3000;
  tf_failure_class gpu = gpu_failures(mtbf_h, repair_h);
  tf_serving_class c;
  poisson src = {.rate_per_s = 0.005, .input = 600, .output = 150, .spread = true};
  tf_serving_config cfg = moe_config(&c, &src, 400000, false);
  with_degraded(&cfg);
  cfg.series_interval_ns = 0;
  cfg.duration_ns = (int64_t)(hours * 3600e9);
  cfg.warmup_ns = (int64_t)(3600e9);
  cfg.failures = &gpu;
  cfg.n_failures = 1;
  tf_serving_result r;
  TF_CHECK_INT(tf_serving_run(&cfg, 13, &r, NULL), 0);
  double u = mtbf_h / (mtbf_h + repair_h), serving = 0, own = pow(u, 8), binom = 1;
  for (int j = 0; j <= 4; j++) {
    serving += binom * pow(u, 8 - j) * pow(1 - u, j);
    binom = binom * (8 - j) / (j + 1);
  }
  printf("  degraded mode: serving %.4f of the time (theory %.4f), in the degraded layout %.4f "
         "(theory %.4f); %llu restarts, %llu failures\n",
         r.availability, serving, r.degraded_fraction, serving - own,
         (unsigned long long)r.reconfigurations, (unsigned long long)r.failures);
  /* Standard errors as in test_failures: episodes at about 8 / MTBF lasting about MTTR. */
  double se = repair_h * sqrt(8 / (mtbf_h * hours)) / sqrt(3);
  TF_CHECK_NEAR(r.availability, serving, 4.5 * se);
  TF_CHECK_NEAR(r.degraded_fraction, serving - own, 4.5 * se);
  TF_CHECK(r.reconfigurations > 0);
  TF_CHECK_INT(r.requests_arrived, r.requests_finished + r.requests_in_flight + r.requests_rejected);
  tf_serving_result_fini(&r);

  /* Busier traffic, frequent failures, a 2-minute restart: both step modes agree. Some prompts
   * need more KV than the degraded layout holds (1,000 tokens): they go elsewhere or wait. */
  gpu.ttf = tf_failure_ttf_mtbf(1800);
  gpu.repair.time = (tf_dist){.kind = TF_DIST_DETERMINISTIC, .mean = 600};
  poisson busy = {.rate_per_s = 3, .input = 500, .output = 150, .spread = true};
  tf_serving_result m[2];
  for (int exact = 0; exact < 2; exact++) {
    busy.last_ns = 0;
    cfg = moe_config(&c, &busy, 400000, exact);
    with_degraded(&cfg);
    cfg.reconfigure_ns = 120000000000;
    cfg.duration_ns = (int64_t)(2 * 3600e9);
    cfg.failures = &gpu;
    cfg.n_failures = 1;
    TF_CHECK_INT(tf_serving_run(&cfg, 17, &m[exact], NULL), 0);
  }
  printf("  degraded mode, both step modes: serving %.4f, degraded %.4f, %llu restarts, %llu "
         "retried, %llu completed\n",
         m[0].availability, m[0].degraded_fraction, (unsigned long long)m[0].reconfigurations,
         (unsigned long long)m[0].requests_retried, (unsigned long long)m[0].total.completed);
  TF_CHECK(m[0].reconfigurations > 5 && m[0].degraded_fraction > 0.05);
  TF_CHECK(memcmp(&m[0].total, &m[1].total, sizeof m[0].total) == 0);
  TF_CHECK(m[0].availability == m[1].availability &&
           m[0].degraded_fraction == m[1].degraded_fraction);
  TF_CHECK(m[0].tokens_lost == m[1].tokens_lost && m[0].reconfigurations == m[1].reconfigurations);
  TF_CHECK_INT(m[0].requests_arrived,
               m[0].requests_finished + m[0].requests_in_flight + m[0].requests_rejected);
  TF_CHECK_INT(m[0].prefill_tokens_done + m[0].prefill_tokens_left,
               m[0].prompt_tokens_admitted + m[0].recompute_tokens);
  tf_serving_result_fini(&m[0]);
  tf_serving_result_fini(&m[1]);

  /* Repairs (10 min) shorter than two restarts (2 x 6 min): waiting is quicker, so no replica
   * restarts, and the run is the one without a degraded layout. */
  cfg.exact_steps = false;
  cfg.reconfigure_ns = 360000000000;
  busy.last_ns = 0;
  TF_CHECK_INT(tf_serving_run(&cfg, 17, &m[0], NULL), 0);
  cfg.pool.degraded_kv_tokens = 0;
  busy.last_ns = 0;
  TF_CHECK_INT(tf_serving_run(&cfg, 17, &m[1], NULL), 0);
  TF_CHECK(m[0].reconfigurations == 0 && m[0].degraded_fraction == 0);
  TF_CHECK(memcmp(&m[0].total, &m[1].total, sizeof m[0].total) == 0);
  TF_CHECK(m[0].availability == m[1].availability);
  tf_serving_result_fini(&m[0]);
  tf_serving_result_fini(&m[1]);
  cfg.pool.degraded_kv_tokens = 1000;

  /* A degraded layout as large as the replica, or on another GPU, is refused. */
  cfg.pool.degraded.layout.dp = 8;
  TF_CHECK_INT(tf_serving_config_check(&cfg), TF_ERANGE);
  cfg.pool.degraded.layout.dp = 4;
  cfg.pool.degraded.hw.gpu = tf_catalog_find_gpu(cat, "h100-sxm");
  TF_CHECK_INT(tf_serving_config_check(&cfg), TF_EINVAL);
  cfg.pool.degraded.hw.gpu = cfg.pool.perf.hw.gpu;
  cfg.reconfigure_ns = -1;
  TF_CHECK_INT(tf_serving_config_check(&cfg), TF_ERANGE);
}

/* Runs cfg coalesced and step by step from the same seed, checks that they agree on everything
 * power and traffic, and releases both (the caller reads co's scalars before the next run). */
static void run_both_modes(tf_serving_config *cfg, poisson *src, uint64_t seed,
                           tf_serving_result *co, tf_serving_result *ex) {
  cfg->exact_steps = false;
  src->last_ns = 0;
  TF_CHECK_INT(tf_serving_run(cfg, seed, co, NULL), 0);
  cfg->exact_steps = true;
  src->last_ns = 0;
  TF_CHECK_INT(tf_serving_run(cfg, seed, ex, NULL), 0);
  cfg->exact_steps = false;
  TF_CHECK(memcmp(&co->total, &ex->total, sizeof co->total) == 0);
  TF_CHECK(co->it_energy_j == ex->it_energy_j && co->cap_changes == ex->cap_changes);
  TF_CHECK(co->capped_fraction == ex->capped_fraction);
  tf_serving_result_fini(co);
  tf_serving_result_fini(ex);
}

/* Dynamic capping (docs/POWER.md): one long prompt on one of four replicas, the site at 70% of
 * the nameplate. The envelope policy holds the busy replica to the equal share for the whole
 * prompt; the dynamic controller starts from that share and, at its first tick (1 s), lends the
 * busy GPUs what the six idle ones leave above their floors: every pass from the first one
 * starting at or after the tick runs at the lent cap. Both by hand, pass by pass, to the ns. A
 * busy random workload: the caps of the passes never add up to more than the envelope (peak
 * interval power within it), both step modes agree to the joule, disaggregated too; a fleet
 * inside its envelope is never capped and the controller changes nothing. */
static void test_dynamic_caps(void) {
  tf_perf_config pc = perf("llama-3.1-70b", "h100-sxm", 2, 1, 1, TF_PREC_FP8);
  const tf_catalog_system *sys = tf_catalog_find_system(cat, "hgx-h100");
  const tf_catalog_gpu *g = pc.hw.gpu;
  const tf_power_profile *prof = tf_power_profile_default();
  const int64_t s_ns = 1000000000, chunks = 10, arrival = s_ns / 2;
  single one = {.at = arrival, .input = 8192 * chunks, .output = 1};
  tf_serving_class cls = {.name = "long", .source = {single_next, &one}};
  double host_w = tf_power_host_w(sys) / 8 * 2;
  double full_w = 4 * (2 * g->tdp_w + host_w), budget = 0.7 * full_w - 4 * host_w;
  tf_serving_config cfg = {
      .classes = &cls,
      .n_classes = 1,
      .pool = {.perf = pc, .replicas = 4, .max_batch_seqs = 8, .kv_tokens = 8192 * chunks + 16,
               .system = sys},
      .warmup_ns = s_ns / 10,
      .duration_ns = 60 * s_ns,
      .power_profile = prof,
      .cap_policy = TF_CAP_ENVELOPE,
      .it_envelope_w = 0.7 * full_w,
      .cap_period_ns = s_ns,
  };
  double equal = budget / 8;
  double floor_w = g->idle_power_w + (g->tdp_w - g->idle_power_w) *
                                         pow(prof->min_clock, prof->clock_exponent);
  double lent = fmin(g->tdp_w, (budget - 6 * floor_w) / 2);
  int64_t t_env = arrival, t_dyn = arrival;
  for (int64_t c = 0; c < chunks; c++) {
    t_env += capped_prefill_ns(&pc, 8192.0 * (double)c, 8192, equal);
    t_dyn += capped_prefill_ns(&pc, 8192.0 * (double)c, 8192,
                               t_dyn >= s_ns ? (lent >= g->tdp_w ? INFINITY : lent) : equal);
  }
  tf_serving_result env, dyn;
  TF_CHECK_INT(tf_serving_run(&cfg, 3, &env, NULL), 0);
  cfg.cap_policy = TF_CAP_DYNAMIC;
  one.done = false;
  TF_CHECK_INT(tf_serving_run(&cfg, 3, &dyn, NULL), 0);
  double ttft_env = (double)(t_env - arrival) * 1e-9, ttft_dyn = (double)(t_dyn - arrival) * 1e-9;
  printf("  dynamic capping: one 81,920-token prompt, equal share %.1f W, lent %.1f W (floor "
         "%.1f W): TTFT %.4f s (hand %.4f s) against %.4f s (hand %.4f s) under the envelope "
         "policy; %llu cap changes\n",
         equal, lent, floor_w, dyn.total.ttft.mean, ttft_dyn, env.total.ttft.mean, ttft_env,
         (unsigned long long)dyn.cap_changes);
  TF_CHECK_INT(env.total.completed, 1);
  TF_CHECK_INT(dyn.total.completed, 1);
  TF_CHECK_NEAR(env.total.ttft.mean, ttft_env, 1e-12);
  TF_CHECK_NEAR(dyn.total.ttft.mean, ttft_dyn, 1e-12);
  TF_CHECK(ttft_dyn < 0.97 * ttft_env);
  TF_CHECK_NEAR(dyn.gpu_cap_w, equal, 1e-9 * equal); /* the share when every GPU steps */
  TF_CHECK(dyn.cap_changes >= 2); /* lent at the first tick, taken back after the prompt */
  tf_serving_result_fini(&env);
  tf_serving_result_fini(&dyn);

  /* Busy random traffic, decode-heavy so that ticks cut coalesced runs. */
  poisson src = {.rate_per_s = 2, .input = 2000, .output = 100, .spread = true};
  cls = (tf_serving_class){.name = "chat", .source = {poisson_next, &src}};
  cfg.pool.kv_tokens = 200000;
  cfg.pool.max_batch_seqs = 64;
  cfg.duration_ns = 20 * s_ns;
  cfg.series_interval_ns = s_ns / 10;
  cfg.cap_period_ns = s_ns / 4;
  tf_serving_result co, ex;
  run_both_modes(&cfg, &src, 4, &co, &ex);
  printf("  dynamic capping, random traffic: %llu cap changes, capped %.3f of stepping, mean "
         "clock %.4f, peak interval IT power %.0f W of envelope %.0f W; %llu iterations in %llu "
         "events\n",
         (unsigned long long)co.cap_changes, co.capped_fraction, co.mean_clock, co.it_power_peak_w,
         0.7 * full_w, (unsigned long long)co.iterations, (unsigned long long)co.runs);
  TF_CHECK(co.cap_changes > 5 && co.capped_fraction > 0.1);
  TF_CHECK(co.it_power_peak_w <= 0.7 * full_w * (1 + 1e-6)); /* uJ and ns rounding */
  TF_CHECK(co.runs < co.iterations);

  /* Disaggregated: one prefill replica, three decoding; both modes agree. */
  cfg.disaggregated = true;
  cfg.pool.replicas = 1;
  cfg.decode_pool = cfg.pool;
  cfg.decode_pool.replicas = 3;
  run_both_modes(&cfg, &src, 5, &co, &ex);
  TF_CHECK(co.cap_changes > 0 && co.it_power_peak_w <= 0.7 * full_w * (1 + 1e-6));

  /* Inside the envelope: never capped, no change, the same as without caps. */
  cfg.disaggregated = false;
  cfg.pool.replicas = 4;
  cfg.it_envelope_w = full_w;
  tf_serving_result free_run, none;
  src.last_ns = 0;
  TF_CHECK_INT(tf_serving_run(&cfg, 4, &free_run, NULL), 0);
  cfg.cap_policy = TF_CAP_NONE;
  src.last_ns = 0;
  TF_CHECK_INT(tf_serving_run(&cfg, 4, &none, NULL), 0);
  TF_CHECK(isinf(free_run.gpu_cap_w) && free_run.cap_changes == 0);
  TF_CHECK(free_run.capped_fraction == 0);
  TF_CHECK(memcmp(&free_run.total, &none.total, sizeof none.total) == 0);
  tf_serving_result_fini(&free_run);
  tf_serving_result_fini(&none);

  /* An envelope that cannot keep every GPU at its floor is refused. */
  cfg.cap_policy = TF_CAP_DYNAMIC;
  cfg.it_envelope_w = 4 * host_w + 8 * floor_w * 0.99;
  TF_CHECK_INT(tf_serving_run(&cfg, 4, &none, NULL), TF_ERANGE);
  cfg.it_envelope_w = 0.7 * full_w;
  cfg.cap_period_ns = 0;
  TF_CHECK_INT(tf_serving_config_check(&cfg), TF_ERANGE);
}

/* Facility power under a PUE model (docs/POWER.md): a constant model gives exactly IT x PUE, as
 * the plain pue does; one that varies with load and outside temperature integrates over the time
 * series to the hand sum of IT energy_k x PUE(load_k, T_k), the interval's temperature excess
 * averaged over a piece that changes inside it; without a series, once over the window; both step
 * modes agree. */
static void test_pue(void) {
  tf_perf_config pc = perf("llama-3.1-70b", "h100-sxm", 2, 1, 1, TF_PREC_FP8);
  const tf_catalog_system *sys = tf_catalog_find_system(cat, "hgx-h100");
  poisson src = {.rate_per_s = 6, .input = 2000, .output = 150, .spread = true};
  tf_serving_class cls = {.name = "chat", .source = {poisson_next, &src}};
  const int64_t s_ns = 1000000000;
  tf_serving_config base = {
      .classes = &cls,
      .n_classes = 1,
      .pool = {.perf = pc, .replicas = 4, .max_batch_seqs = 64, .kv_tokens = 200000,
               .system = sys},
      .warmup_ns = 2 * s_ns,
      .duration_ns = 20 * s_ns,
      .series_interval_ns = s_ns,
      .power_profile = tf_power_profile_default(),
      .pue = 1.25,
  };
  /* Constant: the plain pue, a constant model, and a model whose low-load PUE equals its
   * full-load one all give IT x 1.25 to the bit. */
  tf_serving_result plain, constant, flat;
  src.last_ns = 0;
  TF_CHECK_INT(tf_serving_run(&base, 3, &plain, NULL), 0);
  tf_pue_model cm = {.at_full_load = 1.25};
  tf_serving_config cfg = base;
  cfg.pue = 0;
  cfg.pue_model = &cm;
  src.last_ns = 0;
  TF_CHECK_INT(tf_serving_run(&cfg, 3, &constant, NULL), 0);
  tf_pue_model fm = {.at_full_load = 1.25, .at_low_load = 1.25, .low_load = 0.3};
  cfg.pue_model = &fm;
  src.last_ns = 0;
  TF_CHECK_INT(tf_serving_run(&cfg, 3, &flat, NULL), 0);
  TF_CHECK(plain.facility_energy_j == plain.it_energy_j * 1.25);
  TF_CHECK(constant.facility_energy_j == plain.facility_energy_j);
  TF_CHECK(flat.facility_energy_j == plain.facility_energy_j);
  TF_CHECK(constant.facility_power_mean_w == plain.facility_power_mean_w);
  TF_CHECK_INT(plain.n_series, 18);
  for (size_t k = 0; k < plain.n_series; k++) {
    TF_CHECK(plain.series[k].facility_power_w == plain.series[k].it_power_w * 1.25);
    TF_CHECK(constant.series[k].facility_power_w == plain.series[k].facility_power_w);
  }

  /* Varying: 1.2 at full load, 1.6 at 20 % (fixed 0.1, proportional 1.1), 0.01 per K above
   * 20 C; outside 18 C, 28 C from 8 s, 23 C from 14.5 s (inside the interval [14 s, 15 s)). */
  static const int64_t starts[] = {0, 8000000000, 14500000000};
  static const double temps[] = {291.15, 301.15, 296.15};
  tf_pue_model vm = {.at_full_load = 1.2, .at_low_load = 1.6, .low_load = 0.2,
                     .per_degree = 0.01, .reference_k = 293.15,
                     .pieces = 3, .start_ns = starts, .temperature_k = temps};
  TF_CHECK_INT(tf_pue_check(&vm), 0);
  /* An envelope a quarter above the fleet's nameplate (every GPU at TDP plus hosts). */
  double envelope = 1.25 * 4 * (2 * pc.hw.gpu->tdp_w + tf_power_host_w(sys) / 8 * 2);
  tf_serving_result var, var_exact, no_env, no_series;
  cfg = base;
  cfg.pue_model = &vm;
  cfg.it_envelope_w = envelope;
  src.last_ns = 0;
  TF_CHECK_INT(tf_serving_run(&cfg, 3, &var, NULL), 0);
  cfg.exact_steps = true;
  src.last_ns = 0;
  TF_CHECK_INT(tf_serving_run(&cfg, 3, &var_exact, NULL), 0);
  cfg.exact_steps = false;
  cfg.it_envelope_w = 0; /* the load share is taken against the nameplate */
  src.last_ns = 0;
  TF_CHECK_INT(tf_serving_run(&cfg, 3, &no_env, NULL), 0);
  cfg.it_envelope_w = envelope;
  cfg.series_interval_ns = 0;
  src.last_ns = 0;
  TF_CHECK_INT(tf_serving_run(&cfg, 3, &no_series, NULL), 0);
  TF_CHECK(var.it_energy_j == plain.it_energy_j); /* the PUE does not change the IT side */
  /* The hand sum: interval k is [2 + k, 3 + k) s; its mean excess over 20 C is 0 before 8 s,
   * 8 K to 14 s, (0.5 x 8 + 0.5 x 3) = 5.5 K in [14, 15), 3 K after. */
  double hand = 0, hand_nameplate = 0, it_j = 0, lo_u = 1, hi_u = 0;
  for (size_t k = 0; k < var.n_series; k++) {
    double t = 2.0 + (double)k;
    double excess = t < 8 ? 0 : t < 14 ? 8 : t < 15 ? 5.5 : 3;
    double it_w = var.series[k].it_power_w;
    double u = it_w / envelope;
    double pue = 1.1 + 0.1 / u + 0.01 * excess;
    double pue_nameplate = 1.1 + 0.1 / (it_w / no_env.full_power_it_w) + 0.01 * excess;
    hand += it_w * pue; /* x 1 s */
    hand_nameplate += it_w * pue_nameplate;
    it_j += it_w;
    TF_CHECK_NEAR(var.series[k].facility_power_w, it_w * pue, 1e-9 * it_w);
    if (t < 8) /* at 18 C the model's PUE is the curve's alone */
      TF_CHECK_NEAR(var.series[k].facility_power_w / it_w, tf_pue_at(&vm, u, 291.15), 1e-12);
    lo_u = fmin(lo_u, u);
    hi_u = fmax(hi_u, u);
  }
  printf("  PUE model: load share %.3f-%.3f of a %.0f kW envelope, facility %.6g J (hand %.6g J) "
         "for IT %.6g J: mean PUE %.4f (constant 1.25: %.6g J); against the nameplate %.4f\n",
         lo_u, hi_u, envelope * 1e-3, var.facility_energy_j, hand, var.it_energy_j,
         var.facility_energy_j / var.it_energy_j, plain.facility_energy_j,
         no_env.facility_energy_j / no_env.it_energy_j);
  TF_CHECK(lo_u > 0.3 && hi_u < 0.8 && hi_u - lo_u > 0.02);
  TF_CHECK_NEAR(it_j, var.it_energy_j, 1e-9 * it_j);
  TF_CHECK_NEAR(var.facility_energy_j, hand, 1e-12 * hand);
  TF_CHECK_NEAR(no_env.facility_energy_j, hand_nameplate, 1e-12 * hand_nameplate);
  TF_CHECK(var.facility_power_mean_w == var.facility_energy_j / var.window_s);
  TF_CHECK(var.facility_energy_j > var.it_energy_j * 1.2);
  /* Both step modes: the same integers of energy, so the same joules, bit for bit. */
  TF_CHECK(memcmp(&var.total, &var_exact.total, sizeof var.total) == 0);
  TF_CHECK(var.facility_energy_j == var_exact.facility_energy_j);
  for (size_t k = 0; k < var.n_series; k++)
    TF_CHECK(var.series[k].facility_power_w == var_exact.series[k].facility_power_w);
  /* Without a series: once over the window, with the window's mean IT power and mean excess
   * (6 s at 8 K, 0.5 s at 8 K, 0.5 s at 3 K, 5 s at 3 K over 18 s). */
  double excess = (6.5 * 8 + 5.5 * 3) / 18;
  double it_w = no_series.it_energy_j / 18;
  double once = (it_w * (1.1 + 0.01 * excess) + 0.1 * envelope) * 18;
  TF_CHECK(no_series.n_series == 0);
  TF_CHECK_NEAR(no_series.it_energy_j, var.it_energy_j, 1e-9 * var.it_energy_j);
  TF_CHECK_NEAR(no_series.facility_energy_j, once, 1e-12 * once);
  /* A bad model is refused before the run. */
  tf_pue_model bad = vm;
  bad.at_low_load = 1.1;
  cfg.pue_model = &bad;
  TF_CHECK_INT(tf_serving_config_check(&cfg), TF_ERANGE);
  tf_serving_result_fini(&plain);
  tf_serving_result_fini(&constant);
  tf_serving_result_fini(&flat);
  tf_serving_result_fini(&var);
  tf_serving_result_fini(&var_exact);
  tf_serving_result_fini(&no_env);
  tf_serving_result_fini(&no_series);
}

/* GPU failures: a replica is down while any of its GPUs is (unlimited crews, fixed repairs), so
 * its availability is (MTTF / (MTTF + MTTR))^8; failures arrive at the rate of the GPUs up; no
 * request is lost; both step modes agree. */
static void test_failures(void) {
  const double mtbf_h = 4, repair_h = 0.2, hours = 3000;
  tf_failure_class gpu = gpu_failures(mtbf_h, repair_h);
  tf_serving_result res[2];
  /* [0]: a long run for the statistics; [1]: a short one, in both step modes. */
  tf_serving_class c;
  poisson src = {.rate_per_s = 0.005, .input = 600, .output = 150, .spread = true};
  tf_serving_config cfg = moe_config(&c, &src, 400000, false);
  cfg.series_interval_ns = 0;
  cfg.duration_ns = (int64_t)(hours * 3600e9);
  cfg.warmup_ns = (int64_t)(3600e9);
  cfg.failures = &gpu;
  cfg.n_failures = 1;
  TF_CHECK_INT(tf_serving_run(&cfg, 13, &res[0], NULL), 0);
  tf_serving_result *a = &res[0], *b = &res[1];
  double up = mtbf_h / (mtbf_h + repair_h), expect = pow(up, 8);
  /* 24 GPUs fail at 1 / MTBF while up. */
  double mean_failures = 24 * up * hours / mtbf_h;
  printf("  failures: availability %.4f (theory %.4f), %llu failures (expected %.0f), %llu retried, "
         "%lld tokens lost, %llu completed\n",
         a->availability, expect, (unsigned long long)a->failures, mean_failures,
         (unsigned long long)a->requests_retried, (long long)a->tokens_lost,
         (unsigned long long)a->total.completed);
  /* A replica's down episodes come at about 8 / MTBF and last about the repair time d, so its
   * down fraction has a standard error of about d sqrt(8 / (MTBF T)); the mean of 3 replicas. */
  double se = repair_h * sqrt(8 / (mtbf_h * hours)) / sqrt(3);
  TF_CHECK_NEAR(a->availability, expect, 4.5 * se);
  TF_CHECK_NEAR((double)a->failures, mean_failures, 4.5 * sqrt(mean_failures));
  TF_CHECK(a->requests_retried > 0 && a->tokens_lost > 0);
  TF_CHECK_INT(a->requests_arrived,
               a->requests_finished + a->requests_in_flight + a->requests_rejected);
  TF_CHECK_INT(a->prefill_tokens_done + a->prefill_tokens_left,
               a->prompt_tokens_admitted + a->recompute_tokens);
  double stays = a->sojourn_ns_sum + a->in_flight_age_ns_sum;
  TF_CHECK_NEAR(a->in_system_ns_integral, stays, 1e-9 * stays);
  tf_serving_result_fini(a);
  /* Both step modes, a short run with frequent failures and busier traffic. */
  gpu.ttf = tf_failure_ttf_mtbf(3600);
  gpu.repair.time = (tf_dist){.kind = TF_DIST_DETERMINISTIC, .mean = 300};
  for (int exact = 0; exact < 2; exact++) {
    poisson busy = {.rate_per_s = 3, .input = 600, .output = 150, .spread = true};
    cfg = moe_config(&c, &busy, 400000, exact);
    cfg.duration_ns = (int64_t)(2 * 3600e9);
    cfg.failures = &gpu;
    cfg.n_failures = 1;
    TF_CHECK_INT(tf_serving_run(&cfg, 17, &res[exact], NULL), 0);
  }
  a = &res[0];
  printf("  failures, both step modes: availability %.4f, %llu failures, %llu retried\n",
         a->availability, (unsigned long long)a->failures, (unsigned long long)a->requests_retried);
  TF_CHECK(a->failures > 10 && a->requests_retried > 0);
  TF_CHECK(memcmp(&a->total, &b->total, sizeof a->total) == 0);
  TF_CHECK(a->availability == b->availability && a->tokens_lost == b->tokens_lost);
  TF_CHECK(a->failures == b->failures && a->requests_retried == b->requests_retried);
  TF_CHECK_INT(a->requests_arrived,
               a->requests_finished + a->requests_in_flight + a->requests_rejected);
  tf_serving_result_fini(a);
  tf_serving_result_fini(b);

  /* Disaggregated, with node failures taking both pools' replicas down now and then. */
  tf_failure_class node;
  TF_CHECK_INT(tf_failure_class_default(TF_FAILURE_NODE, 4, &node), 0);
  node.ttf = tf_failure_ttf_mtbf(600);
  node.repair.time = (tf_dist){.kind = TF_DIST_EXPONENTIAL, .mean = 120};
  for (int exact = 0; exact < 2; exact++) {
    poisson src8 = {.rate_per_s = 8, .input = 2000, .output = 200, .spread = true};
    cfg = moe_config(&c, &src8, 400000, exact);
    cfg.disaggregated = true;
    cfg.pool.replicas = 1;
    cfg.decode_pool = cfg.pool;
    cfg.decode_pool.replicas = 3;
    cfg.failures = &node;
    cfg.n_failures = 1;
    cfg.duration_ns = 900000000000;
    TF_CHECK_INT(tf_serving_run(&cfg, 21, &res[exact], NULL), 0);
  }
  a = &res[0];
  b = &res[1];
  printf("  disaggregated with node failures: availability %.4f, %llu failures, %llu retried, "
         "%lld orphaned at the end, %llu completed\n",
         a->availability, (unsigned long long)a->failures,
         (unsigned long long)a->requests_retried, (long long)a->requests_orphaned,
         (unsigned long long)a->total.completed);
  TF_CHECK(a->failures > 0 && a->requests_retried > 0);
  TF_CHECK_INT(a->requests_arrived,
               a->requests_finished + a->requests_in_flight + a->requests_rejected);
  TF_CHECK_INT(a->prefill_tokens_done + a->prefill_tokens_left,
               a->prompt_tokens_admitted + a->recompute_tokens);
  TF_CHECK(memcmp(&a->total, &b->total, sizeof a->total) == 0);
  TF_CHECK(a->availability == b->availability && a->tokens_lost == b->tokens_lost);
  tf_serving_result_fini(a);
  tf_serving_result_fini(b);
}

/* A repair team shared by the GPU and node classes (fixed repairs, same seed): a team of
 * unlimited crews is exactly each class's own unlimited line; a single crew, offered 0.75 crews
 * of work, makes failed parts queue, so replicas are up less of the time. */
static void test_shared_crews(void) {
  const double hours = 500;
  tf_failure_class cls[2];
  TF_CHECK_INT(tf_failure_class_default(TF_FAILURE_GPU, 24, &cls[0]), 0);
  cls[0].ttf = tf_failure_ttf_mtbf(24 * 3600);
  cls[0].repair.time = (tf_dist){.kind = TF_DIST_DETERMINISTIC, .mean = 0.5 * 3600};
  TF_CHECK_INT(tf_failure_class_default(TF_FAILURE_NODE, 3, &cls[1]), 0);
  cls[1].ttf = tf_failure_ttf_mtbf(12 * 3600);
  cls[1].repair.time = (tf_dist){.kind = TF_DIST_DETERMINISTIC, .mean = 3600};
  const int64_t team_of[] = {0, TF_FAILURE_UNLIMITED, 1}; /* 0: a line per class */
  tf_serving_result res[3];
  for (int v = 0; v < 3; v++) {
    tf_serving_class c;
    poisson src = {.rate_per_s = 0.005, .input = 600, .output = 150, .spread = true};
    tf_serving_config cfg = moe_config(&c, &src, 400000, false);
    cfg.series_interval_ns = 0;
    cfg.duration_ns = (int64_t)(hours * 3600e9);
    cfg.warmup_ns = (int64_t)(3600e9);
    cfg.failures = cls;
    cfg.n_failures = 2;
    cfg.failure_crews = team_of[v];
    TF_CHECK_INT(tf_serving_run(&cfg, 23, &res[v], NULL), 0);
  }
  printf("  shared crews: availability %.4f with a line per class, %.4f with one crew; %llu and "
         "%llu failures\n",
         res[0].availability, res[2].availability, (unsigned long long)res[0].failures,
         (unsigned long long)res[2].failures);
  TF_CHECK(memcmp(&res[0].total, &res[1].total, sizeof res[0].total) == 0);
  TF_CHECK(res[0].availability == res[1].availability && res[0].failures == res[1].failures);
  TF_CHECK(res[0].failures > 100 && res[2].failures > 100);
  TF_CHECK(res[2].availability < res[0].availability);
  for (int v = 0; v < 3; v++)
    tf_serving_result_fini(&res[v]);

  /* A negative team is refused. */
  tf_serving_class c;
  poisson src = {.rate_per_s = 1, .input = 600, .output = 150};
  tf_serving_config cfg = moe_config(&c, &src, 400000, false);
  cfg.failures = cls;
  cfg.n_failures = 2;
  cfg.failure_crews = -1;
  TF_CHECK_INT(tf_serving_config_check(&cfg), TF_ERANGE);
}

static void test_determinism_and_errors(void) {
  tf_serving_class c;
  poisson s1 = {.rate_per_s = 6, .input = 600, .output = 150, .spread = true}, s2 = s1, s3 = s1;
  tf_serving_config cfg = moe_config(&c, &s1, 400000, false);
  tf_serving_result a, b, d;
  TF_CHECK_INT(tf_serving_run(&cfg, 11, &a, NULL), 0);
  c.source.ctx = &s2;
  TF_CHECK_INT(tf_serving_run(&cfg, 11, &b, NULL), 0);
  c.source.ctx = &s3;
  TF_CHECK_INT(tf_serving_run(&cfg, 12, &d, NULL), 0);
  TF_CHECK(memcmp(&a.total, &b.total, sizeof a.total) == 0);
  TF_CHECK(memcmp(&a.total, &d.total, sizeof a.total) != 0);
  tf_serving_result_fini(&a);
  tf_serving_result_fini(&b);
  tf_serving_result_fini(&d);

  /* A request larger than a replica's KV cache is rejected, not stuck. */
  poisson big = {.rate_per_s = 1, .input = 5000, .output = 100};
  c.source.ctx = &big;
  cfg.pool.kv_tokens = 4000;
  TF_CHECK_INT(tf_serving_run(&cfg, 1, &a, NULL), 0);
  TF_CHECK(a.total.rejected > 0 && a.total.completed == 0);
  TF_CHECK_INT(a.requests_rejected, a.requests_arrived);
  tf_serving_result_fini(&a);

  cfg.pool.replicas = 0;
  TF_CHECK_INT(tf_serving_run(&cfg, 1, &a, NULL), TF_ERANGE);
  cfg.pool.replicas = 1;
  cfg.warmup_ns = cfg.duration_ns;
  TF_CHECK_INT(tf_serving_run(&cfg, 1, &a, NULL), TF_ERANGE);
}

int main(void) {
  tf_diags *d;
  if (tf_diags_create(&d) != 0 || tf_catalog_open(TF_CATALOG_DIR, &cat, d) != 0) {
    tf_diags_print(d, stderr);
    return 1;
  }
  tf_diags_destroy(d);
  test_md1();
  test_coalesced_equals_exact();
  test_little_and_conservation();
  test_disaggregated();
  test_energy();
  test_power_caps();
  test_dynamic_caps();
  test_pue();
  test_failures();
  test_degraded();
  test_shared_crews();
  test_determinism_and_errors();
  tf_catalog_destroy(cat);
  return tf_test_report("models_serving");
}
