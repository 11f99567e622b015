/* Power model: hand-computed power, energy and DVFS re-timing on hand-built steps; the cap solver
 * against closed forms; real steps from the step-time model (DeepSeek-V3 FP8 decode on 8xH200 EP8,
 * Llama-3.1-70B prefill on 8xH100 TP8) under a cap; monotonicity of power in the clock; system
 * and facility power from catalogue systems (TF_CATALOG_DIR). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "diag.h"
#include "error.h"
#include "gpu_profile.h"
#include "perf.h"
#include "power.h"
#include "tf_test.h"

static tf_catalog *cat;

#define CHECK_REL(a, b, rel) TF_CHECK_NEAR((a), (b), (rel) * fabs((double)(b)))

/* The default profile's constants, recomputed from their sources (models/power.c). */
/* splitwise-sim configs/power_model/constant.yaml: H100 idle 75 W, prompt 700 W, token 380 W. */
static const double A_COMPUTE = (700.0 - 75.0) / (700.0 - 75.0); /* = 1 */
static const double A_HBM = (380.0 - 75.0) / (700.0 - 75.0);     /* = 0.488 */
/* Ma et al., arXiv:2605.11999: H200 (700 W) decode from 137 W; catalogue idle 70 W. */
static const double A_LATENCY = (137.0 - 70.0) / (700.0 - 70.0); /* = 0.10635 */
static const double A_COMM = 0.25;                               /* assumption */
static const double K = 3;                                        /* CMOS P ~ C V^2 f, V ~ f */
/* H100 minimum power limit 200 W (nvidia-smi), idle 70 W, TDP 700 W. */
#define F_MIN cbrt((200.0 - 70.0) / (700.0 - 70.0)) /* = 0.59093 */
/* The catalogue's H100 and H200: 70 W idle, 700 W TDP. */
static const double IDLE = 70, TDP = 700;

/* ---- hand-built steps ---- */

static bool comm_component(int c) {
  return c == TF_PERF_EP_DISPATCH || c == TF_PERF_EP_COMBINE || c == TF_PERF_TP_ALLREDUCE ||
         c == TF_PERF_PP_SEND;
}

/* Fills a step's sums from its parts the way perf does: one stage (pp = 1), 8 GPUs, 64 tokens
 * out and 1024 prefill tokens. */
static void finish(tf_perf_step *s, bool overlap) {
  s->compute_s = 0;
  s->comm_s = 0;
  for (int c = 0; c < TF_PERF_COMPONENT_COUNT_; c++) {
    if (c == TF_PERF_OVERHEAD)
      continue;
    if (comm_component(c))
      s->comm_s += s->part[c].time_s;
    else
      s->compute_s += s->part[c].time_s;
  }
  s->hidden_comm_s = overlap ? fmin(s->comm_s, s->compute_s) : 0;
  s->stage_s = s->compute_s + s->comm_s - s->hidden_comm_s + s->part[TF_PERF_OVERHEAD].time_s;
  s->step_s = s->stage_s;
  s->tokens_out = 64;
  s->tokens_out_per_s_per_gpu = s->stage_s > 0 ? 64 / s->stage_s / 8 : 0;
  s->prefill_tokens_per_s_per_gpu = s->stage_s > 0 ? 1024 / s->stage_s / 8 : 0;
}

static tf_perf_step empty_step(void) {
  tf_perf_step s;
  memset(&s, 0, sizeof s);
  for (int c = 0; c < TF_PERF_COMPONENT_COUNT_; c++)
    s.part[c].bound = TF_BOUND_NONE;
  return s;
}

static void set_part(tf_perf_step *s, tf_perf_component c, double time_s, tf_perf_bound b) {
  s->part[c].time_s = time_s;
  s->part[c].bound = b;
}

/* A mixed step, 10 ms without overlap: 4 ms compute-bound FFN, 3 ms HBM-bound attention, 1 ms
 * NVLink dispatch, 0.8 ms NIC combine, 0.5 ms latency-bound all-reduce, 0.7 ms overhead. */
static tf_perf_step mixed_step(bool overlap) {
  tf_perf_step s = empty_step();
  set_part(&s, TF_PERF_DENSE_FFN, 4e-3, TF_BOUND_COMPUTE);
  set_part(&s, TF_PERF_ATTN_CORE, 3e-3, TF_BOUND_HBM);
  set_part(&s, TF_PERF_EP_DISPATCH, 1e-3, TF_BOUND_SCALE_UP);
  set_part(&s, TF_PERF_EP_COMBINE, 0.8e-3, TF_BOUND_SCALE_OUT);
  set_part(&s, TF_PERF_TP_ALLREDUCE, 0.5e-3, TF_BOUND_LATENCY);
  set_part(&s, TF_PERF_OVERHEAD, 0.7e-3, TF_BOUND_LATENCY);
  finish(&s, overlap);
  return s;
}

/* Communication-heavy with overlap: 1 ms compute under 3 ms of NVLink all-to-all, 0.5 ms
 * overhead. */
static tf_perf_step comm_heavy_step(void) {
  tf_perf_step s = empty_step();
  set_part(&s, TF_PERF_ATTN_PROJ, 1e-3, TF_BOUND_COMPUTE);
  set_part(&s, TF_PERF_EP_DISPATCH, 3e-3, TF_BOUND_SCALE_UP);
  set_part(&s, TF_PERF_OVERHEAD, 0.5e-3, TF_BOUND_LATENCY);
  finish(&s, true);
  return s;
}

/* Field by field (padding bytes are not compared). */
static bool same_step(const tf_perf_step *a, const tf_perf_step *b) {
  for (int c = 0; c < TF_PERF_COMPONENT_COUNT_; c++) {
    const tf_perf_part *x = &a->part[c], *y = &b->part[c];
    if (x->time_s != y->time_s || x->flops != y->flops || x->hbm_bytes != y->hbm_bytes ||
        x->net_bytes != y->net_bytes || x->bound != y->bound)
      return false;
  }
  return a->compute_s == b->compute_s && a->comm_s == b->comm_s &&
         a->hidden_comm_s == b->hidden_comm_s && a->stage_s == b->stage_s &&
         a->step_s == b->step_s && a->tokens_in == b->tokens_in &&
         a->tokens_out == b->tokens_out && a->accepted_per_seq == b->accepted_per_seq &&
         a->imbalance == b->imbalance && a->experts_touched == b->experts_touched &&
         a->tokens_out_per_s_per_gpu == b->tokens_out_per_s_per_gpu &&
         a->prefill_tokens_per_s_per_gpu == b->prefill_tokens_per_s_per_gpu;
}

static tf_perf_step single_part_step(tf_perf_component c, double time_s, tf_perf_bound b) {
  tf_perf_step s = empty_step();
  set_part(&s, c, time_s, b);
  finish(&s, false);
  return s;
}

static void test_profile(void) {
  const tf_power_profile *p = tf_power_profile_default();
  TF_CHECK_INT(tf_power_profile_check(p), 0);
  CHECK_REL(p->activity_compute, A_COMPUTE, 1e-15);
  CHECK_REL(p->activity_hbm, A_HBM, 1e-15);
  CHECK_REL(p->activity_scale_up, A_COMM, 0);
  CHECK_REL(p->activity_scale_out, A_COMM, 0);
  CHECK_REL(p->activity_latency, A_LATENCY, 1e-15);
  CHECK_REL(p->clock_exponent, K, 0);
  CHECK_REL(p->min_clock, F_MIN, 1e-15);
  /* The default sits in the region where power is proven monotone with overlap. */
  TF_CHECK((p->clock_exponent - 1) * fmin(p->activity_compute, p->activity_hbm) >=
           2 * fmax(fmax(p->activity_scale_up, p->activity_scale_out), p->activity_latency));
  tf_power_profile bad = *p;
  bad.activity_hbm = 1.2;
  TF_CHECK_INT(tf_power_profile_check(&bad), TF_ERANGE);
  bad = *p;
  bad.activity_latency = -0.1;
  TF_CHECK_INT(tf_power_profile_check(&bad), TF_ERANGE);
  bad = *p;
  bad.clock_exponent = 0.5;
  TF_CHECK_INT(tf_power_profile_check(&bad), TF_ERANGE);
  bad = *p;
  bad.min_clock = 0;
  TF_CHECK_INT(tf_power_profile_check(&bad), TF_ERANGE);
  bad = *p;
  bad.min_clock = NAN;
  TF_CHECK_INT(tf_power_profile_check(&bad), TF_ERANGE);
}

static void test_gpu_check(void) {
  const tf_catalog_gpu *h100 = tf_catalog_find_gpu(cat, "h100-sxm");
  TF_CHECK_INT(tf_power_gpu_check(h100), 0);
  TF_CHECK_NEAR(h100->idle_power_w, IDLE, 0);
  TF_CHECK_NEAR(h100->tdp_w, TDP, 0);
  tf_catalog_gpu g = *h100;
  g.has.idle_power = false;
  TF_CHECK_INT(tf_power_gpu_check(&g), TF_EINVAL);
  TF_CHECK(strstr(tf_err_reason(), "h100-sxm") != NULL);
  g = *h100;
  g.idle_power_w = 800;
  TF_CHECK_INT(tf_power_gpu_check(&g), TF_EINVAL);
  /* Every catalogue GPU can be used. */
  for (size_t i = 0; i < tf_catalog_count(cat, TF_CATALOG_GPUS); i++)
    TF_CHECK_INT(tf_power_gpu_check((const tf_catalog_gpu *)tf_catalog_at(cat, TF_CATALOG_GPUS, i)),
                 0);
}

/* Idle for a step that does nothing; TDP for one that is all compute at activity 1; the
 * hand-weighted average for mixed steps, with and without overlap. */
static void test_gpu_power(void) {
  const tf_power_profile *p = tf_power_profile_default();
  const tf_catalog_gpu *h100 = tf_catalog_find_gpu(cat, "h100-sxm");
  tf_perf_step none = empty_step();
  finish(&none, false);
  TF_CHECK_NEAR(tf_power_activity(p, &none), 0, 0);
  TF_CHECK_NEAR(tf_power_gpu_w(h100, p, &none), IDLE, 0);
  TF_CHECK_NEAR(tf_power_gpu_energy_j(h100, p, &none), 0, 0);

  tf_perf_step compute = single_part_step(TF_PERF_DENSE_FFN, 5e-3, TF_BOUND_COMPUTE);
  TF_CHECK_NEAR(tf_power_gpu_w(h100, p, &compute), TDP, 1e-12);
  tf_perf_step hbm = single_part_step(TF_PERF_ATTN_CORE, 5e-3, TF_BOUND_HBM);
  /* 70 + 630 x 0.488 = 377.44 W: Splitwise's 380 W token phase on our 70 W idle. */
  TF_CHECK_NEAR(tf_power_gpu_w(h100, p, &hbm), 377.44, 1e-9);

  /* (4 x 1 + 3 x 0.488 + (1 + 0.8) x 0.25 + (0.5 + 0.7) x 0.10635) / 10 = 0.604162 */
  tf_perf_step s = mixed_step(false);
  CHECK_REL(s.stage_s, 10e-3, 1e-15);
  double a = (4 * A_COMPUTE + 3 * A_HBM + 1.8 * A_COMM + 1.2 * A_LATENCY) / 10;
  TF_CHECK_NEAR(a, 0.6041619047619048, 1e-15);
  CHECK_REL(tf_power_activity(p, &s), a, 1e-12);
  CHECK_REL(tf_power_gpu_w(h100, p, &s), IDLE + (TDP - IDLE) * a, 1e-12); /* 450.62 W */
  TF_CHECK_NEAR(tf_power_gpu_w(h100, p, &s), 450.622, 1e-3);

  /* Overlap hides all 2.3 ms of communication behind 7 ms of compute: 7.7 ms, and the hidden
   * collectives add no energy. */
  s = mixed_step(true);
  CHECK_REL(s.stage_s, 7.7e-3, 1e-12);
  a = (4 * A_COMPUTE + 3 * A_HBM + 0.7 * A_LATENCY) / 7.7;
  CHECK_REL(tf_power_activity(p, &s), a, 1e-12);

  /* Overlap with more communication than compute: 1 ms of the 3 ms all-to-all is hidden, 2 ms
   * exposed; 3.5 ms in all. */
  s = comm_heavy_step();
  CHECK_REL(s.stage_s, 3.5e-3, 1e-12);
  a = (1 * A_COMPUTE + 2 * A_COMM + 0.5 * A_LATENCY) / 3.5;
  CHECK_REL(tf_power_activity(p, &s), a, 1e-12);

  /* Another GPU: B200, 100 W idle, 1000 W TDP. */
  const tf_catalog_gpu *b200 = tf_catalog_find_gpu(cat, "b200");
  s = mixed_step(false);
  CHECK_REL(tf_power_gpu_w(b200, p, &s), 100 + 900 * 0.6041619047619048, 1e-12);
}

static void test_energy(void) {
  const tf_power_profile *p = tf_power_profile_default();
  const tf_catalog_gpu *h100 = tf_catalog_find_gpu(cat, "h100-sxm");
  tf_perf_step s = mixed_step(false);
  double w = IDLE + (TDP - IDLE) * 0.6041619047619048;
  CHECK_REL(tf_power_gpu_energy_j(h100, p, &s), w * 10e-3, 1e-12); /* 4.506 J */
  s = single_part_step(TF_PERF_DENSE_FFN, 0.25, TF_BOUND_COMPUTE);
  CHECK_REL(tf_power_gpu_energy_j(h100, p, &s), 700 * 0.25, 1e-15);
}

/* Re-timing by each part's law, by hand. */
static void test_retime(void) {
  const tf_power_profile *p = tf_power_profile_default();
  const tf_catalog_gpu *h100 = tf_catalog_find_gpu(cat, "h100-sxm");
  tf_perf_step s = mixed_step(false), r;
  TF_CHECK_INT(tf_power_retime(&s, 0.8, &r), 0);
  /* 4 / 0.8 = 5 ms compute; HBM 3, dispatch 1, combine 0.8 unchanged; all-reduce (latency)
   * 0.5 / 0.8 = 0.625; overhead 0.7 / 0.8 = 0.875. */
  CHECK_REL(r.part[TF_PERF_DENSE_FFN].time_s, 5e-3, 1e-15);
  TF_CHECK_NEAR(r.part[TF_PERF_ATTN_CORE].time_s, 3e-3, 0);
  TF_CHECK_NEAR(r.part[TF_PERF_EP_DISPATCH].time_s, 1e-3, 0);
  TF_CHECK_NEAR(r.part[TF_PERF_EP_COMBINE].time_s, 0.8e-3, 0);
  CHECK_REL(r.part[TF_PERF_TP_ALLREDUCE].time_s, 0.625e-3, 1e-15);
  CHECK_REL(r.part[TF_PERF_OVERHEAD].time_s, 0.875e-3, 1e-15);
  CHECK_REL(r.compute_s, 8e-3, 1e-15);
  CHECK_REL(r.comm_s, 2.425e-3, 1e-15);
  TF_CHECK_NEAR(r.hidden_comm_s, 0, 0);
  CHECK_REL(r.stage_s, 11.3e-3, 1e-14);
  CHECK_REL(r.step_s, 11.3e-3, 1e-14);
  CHECK_REL(r.tokens_out_per_s_per_gpu, s.tokens_out_per_s_per_gpu * 10 / 11.3, 1e-14);
  CHECK_REL(r.prefill_tokens_per_s_per_gpu, s.prefill_tokens_per_s_per_gpu * 10 / 11.3, 1e-14);
  TF_CHECK_NEAR(r.tokens_out, s.tokens_out, 0);
  /* Power at 0.8: the activity of the stretched step, times 0.8^3 on the dynamic share. */
  double a = (5 * A_COMPUTE + 3 * A_HBM + 1.8 * A_COMM + 1.5 * A_LATENCY) / 11.3;
  CHECK_REL(tf_power_gpu_w_at(h100, p, &s, 0.8), IDLE + (TDP - IDLE) * a * 0.512, 1e-12);

  /* Overlap is kept: at f = 0.5 the 1 ms of compute becomes 2 ms, hiding 2 of the 3 ms; the
   * overhead doubles to 1 ms: 2 + 3 - 2 + 1 = 4 ms. */
  s = comm_heavy_step();
  TF_CHECK_INT(tf_power_retime(&s, 0.5, &r), 0);
  CHECK_REL(r.compute_s, 2e-3, 1e-15);
  CHECK_REL(r.hidden_comm_s, 2e-3, 1e-15);
  CHECK_REL(r.stage_s, 4e-3, 1e-15);
  /* At full clock re-timing changes nothing; out may alias the input. */
  s = mixed_step(true);
  TF_CHECK_INT(tf_power_retime(&s, 1, &r), 0);
  TF_CHECK(same_step(&r, &s));
  r = s;
  TF_CHECK_INT(tf_power_retime(&r, 0.5, &r), 0);
  CHECK_REL(r.part[TF_PERF_DENSE_FFN].time_s, 8e-3, 1e-15);

  TF_CHECK_INT(tf_power_retime(&s, 0, &r), TF_ERANGE);
  TF_CHECK_INT(tf_power_retime(&s, 1.5, &r), TF_ERANGE);
  TF_CHECK_INT(tf_power_retime(&s, NAN, &r), TF_ERANGE);
  TF_CHECK_INT(tf_power_retime(&s, -0.5, &r), TF_ERANGE);
}

/* The cap solver on steps with closed forms. */
static void test_clock_for_cap(void) {
  const tf_power_profile *p = tf_power_profile_default();
  const tf_catalog_gpu *h100 = tf_catalog_find_gpu(cat, "h100-sxm");

  /* All compute: P(f) = 70 + 630 f^3, time 10 ms / f. A 490 W cap (70 % of TDP) gives
   * f = cbrt(420 / 630) = 0.87358 and 1 / f = 1.1447 x the time. */
  tf_perf_step s = single_part_step(TF_PERF_DENSE_FFN, 10e-3, TF_BOUND_COMPUTE), r;
  double f = tf_power_clock_for_cap(h100, p, &s, 490);
  TF_CHECK_NEAR(f, cbrt(420.0 / 630.0), 1e-10);
  TF_CHECK(tf_power_gpu_w_at(h100, p, &s, f) <= 490);
  TF_CHECK_NEAR(tf_power_gpu_w_at(h100, p, &s, f), 490, 1e-6);
  TF_CHECK_INT(tf_power_retime(&s, f, &r), 0);
  CHECK_REL(r.stage_s, 10e-3 / f, 1e-15); /* exactly 1 / f */
  CHECK_REL(r.prefill_tokens_per_s_per_gpu / s.prefill_tokens_per_s_per_gpu, f, 1e-14);
  for (double g = 0.6; g <= 1.0; g += 0.1) {
    TF_CHECK_INT(tf_power_retime(&s, g, &r), 0);
    CHECK_REL(r.stage_s * g, s.stage_s, 1e-15);
    CHECK_REL(tf_power_gpu_w_at(h100, p, &s, g), IDLE + (TDP - IDLE) * g * g * g, 1e-12);
  }
  /* At the driver's 200 W floor an all-compute step runs at exactly min_clock. */
  TF_CHECK_NEAR(tf_power_clock_for_cap(h100, p, &s, 200), F_MIN, 1e-10);
  /* Below it, min_clock, still drawing 200 W: the caller sees the excess. */
  TF_CHECK_NEAR(tf_power_clock_for_cap(h100, p, &s, 150), F_MIN, 1e-15);
  TF_CHECK_NEAR(tf_power_gpu_w_at(h100, p, &s, F_MIN), 200, 1e-9);
  /* Above the uncapped power, or uncapped: full clock. */
  TF_CHECK_NEAR(tf_power_clock_for_cap(h100, p, &s, 700), 1, 0);
  TF_CHECK_NEAR(tf_power_clock_for_cap(h100, p, &s, INFINITY), 1, 0);

  /* All HBM: the time does not move, so the activity stays 0.488 and
   * P(f) = 70 + 307.44 f^3; a 300 W cap gives f = cbrt(230 / 307.44) = 0.9078 at no cost. */
  s = single_part_step(TF_PERF_ATTN_CORE, 10e-3, TF_BOUND_HBM);
  f = tf_power_clock_for_cap(h100, p, &s, 300);
  TF_CHECK_NEAR(f, cbrt(230.0 / (630.0 * A_HBM)), 1e-10);
  TF_CHECK_INT(tf_power_retime(&s, f, &r), 0);
  TF_CHECK_NEAR(r.stage_s, s.stage_s, 0);
  TF_CHECK_NEAR(r.tokens_out_per_s_per_gpu, s.tokens_out_per_s_per_gpu, 0);
  TF_CHECK_NEAR(tf_power_clock_for_cap(h100, p, &s, 380), 1, 0); /* 377.44 W uncapped */

  /* Mixed: the returned clock meets the cap to within a milliwatt. */
  s = mixed_step(true);
  f = tf_power_clock_for_cap(h100, p, &s, 400);
  TF_CHECK(f > F_MIN && f < 1);
  TF_CHECK(tf_power_gpu_w_at(h100, p, &s, f) <= 400);
  TF_CHECK_NEAR(tf_power_gpu_w_at(h100, p, &s, f), 400, 1e-3);
}

/* ---- real steps ---- */

static tf_perf_config config(const char *model, const char *gpu, int64_t tp, int64_t dp,
                             int64_t ep, int64_t pp, tf_precision prec, bool overlap) {
  tf_perf_config c = {
      .model = tf_catalog_find_model(cat, model),
      .hw = {.gpu = tf_catalog_find_gpu(cat, gpu), .scale_up_domain = 8},
      .profile = tf_gpu_profile_default(),
      .layout = {.tp = tp, .dp = dp, .ep = ep, .pp = pp, .overlap = overlap},
      .precision = {.weights = prec, .experts = prec, .activations = prec, .kv_cache = prec},
      .memory_utilisation = 0.9,
      .max_batch_tokens = 8192,
  };
  return c;
}

/* The stage time at clock f by each part's law, summed here from the real step's parts
 * without overlap. */
static double stage_at(const tf_perf_step *s, double f) {
  double t = 0;
  for (int c = 0; c < TF_PERF_COMPONENT_COUNT_; c++) {
    tf_perf_bound b = s->part[c].bound;
    bool stretch = c == TF_PERF_OVERHEAD || b == TF_BOUND_COMPUTE || b == TF_BOUND_LATENCY;
    t += stretch ? s->part[c].time_s / f : s->part[c].time_s;
  }
  return t;
}

static bool monotone(const tf_catalog_gpu *g, const tf_power_profile *p, const tf_perf_step *s) {
  double prev = 0;
  for (int i = 0; i <= 200; i++) {
    double f = p->min_clock + (1 - p->min_clock) * i / 200.0;
    double w = tf_power_gpu_w_at(g, p, s, f);
    if (w < prev - 1e-9 || w < g->idle_power_w || w > g->tdp_w)
      return false;
    prev = w;
  }
  return true;
}

/* Capping a memory-bound decode costs it little throughput; capping a compute-bound prefill
 * costs it throughput in proportion to the clock. One 350 W cap (half the TDP) on both. */
static void test_real_steps(void) {
  const tf_power_profile *p = tf_power_profile_default();
  const double cap = 350;

  /* DeepSeek-V3 FP8 decode on 8xH200, DP attention + EP8, two micro-batches overlapped, 128
   * sequences per GPU at 2048 context. */
  tf_perf_config c = config("deepseek-v3", "h200", 1, 8, 8, 1, TF_PREC_FP8, true);
  c.routing.imbalance = 1.2;
  const tf_catalog_gpu *h200 = c.hw.gpu;
  tf_perf_step dec, r;
  tf_perf_batch b = tf_perf_decode(128 * 8, 2048);
  TF_CHECK_INT(tf_perf_step_time(&c, &b, &dec), 0);
  TF_CHECK(dec.hidden_comm_s > 0);
  /* Re-timing at full clock reproduces the step model's own sums: the comm/compute split here
   * matches perf.c's. */
  TF_CHECK_INT(tf_power_retime(&dec, 1, &r), 0);
  TF_CHECK(same_step(&r, &dec));
  double w_dec = tf_power_gpu_w(h200, p, &dec);
  double f_dec = tf_power_clock_for_cap(h200, p, &dec, cap);
  TF_CHECK_INT(tf_power_retime(&dec, f_dec, &r), 0);
  double keep_dec = r.tokens_out_per_s_per_gpu / dec.tokens_out_per_s_per_gpu;
  printf("  deepseek-v3 FP8 decode 8xH200 EP8: %.1f W uncapped (activity %.3f), %.0f W cap -> "
         "clock %.3f, %.1f%% of tokens/s kept\n",
         w_dec, tf_power_activity(p, &dec), cap, f_dec, 100 * keep_dec);
  TF_CHECK(w_dec > 350 && w_dec < 500);
  TF_CHECK(f_dec < 1);
  TF_CHECK(tf_power_gpu_w_at(h200, p, &dec, f_dec) <= cap);
  TF_CHECK_NEAR(tf_power_gpu_w_at(h200, p, &dec, f_dec), cap, 1e-3);
  /* The clock falls by a fifth-odd, throughput by much less: HBM-bound time does not stretch. */
  TF_CHECK(keep_dec > f_dec + 0.5 * (1 - f_dec));

  /* Llama-3.1-70B FP8 prefill on 2xH100 TP2 (70 GB of weights in 160 GB): one 8192-token
   * prompt. Not overlapped, so its re-timed stage is the plain sum by each part's law. */
  c = config("llama-3.1-70b", "h100-sxm", 2, 1, 1, 1, TF_PREC_FP8, false);
  const tf_catalog_gpu *h100 = c.hw.gpu;
  tf_perf_step pre;
  b = tf_perf_prefill(1, 8192, 0);
  TF_CHECK_INT(tf_perf_step_time(&c, &b, &pre), 0);
  double w_pre = tf_power_gpu_w(h100, p, &pre);
  double f_pre = tf_power_clock_for_cap(h100, p, &pre, cap);
  TF_CHECK_INT(tf_power_retime(&pre, f_pre, &r), 0);
  double keep_pre = r.prefill_tokens_per_s_per_gpu / pre.prefill_tokens_per_s_per_gpu;
  printf("  llama-3.1-70b FP8 prefill 2xH100 TP2: %.1f W uncapped (activity %.3f), %.0f W cap "
         "-> clock %.3f, %.1f%% of tokens/s kept\n",
         w_pre, tf_power_activity(p, &pre), cap, f_pre, 100 * keep_pre);
  TF_CHECK(w_pre > 600 && w_pre < 700);
  CHECK_REL(r.stage_s, stage_at(&pre, f_pre), 1e-12);
  CHECK_REL(keep_pre, pre.stage_s / stage_at(&pre, f_pre), 1e-12);
  /* 90 % compute by time: throughput follows the clock to within 3 points (0.784 -> 80.6 %). */
  TF_CHECK(keep_pre >= f_pre && keep_pre < f_pre + 0.03);
  TF_CHECK_NEAR(tf_power_gpu_w_at(h100, p, &pre, f_pre), cap, 1e-3);
  /* The decode keeps far more of its throughput than the prefill under the same cap. */
  TF_CHECK(keep_dec - keep_pre > 0.1);

  TF_CHECK(monotone(h200, p, &dec));
  TF_CHECK(monotone(h100, p, &pre));

  /* A pipelined layout keeps its depth: step_s = 2 x stage_s before and after. */
  c = config("llama-3.1-70b", "h100-sxm", 4, 1, 1, 2, TF_PREC_FP8, false);
  b = tf_perf_decode(32, 32 * 1024.0);
  TF_CHECK_INT(tf_perf_step_time(&c, &b, &dec), 0);
  CHECK_REL(dec.step_s, 2 * dec.stage_s, 1e-15);
  TF_CHECK_INT(tf_power_retime(&dec, 0.7, &r), 0);
  CHECK_REL(r.step_s, 2 * r.stage_s, 1e-15);
  CHECK_REL(r.stage_s, stage_at(&dec, 0.7), 1e-12);
}

/* Power against published measurements: Splitwise's 380 W H100 token phase for Llama-2-70B (TP8
 * in its simulator's data), where our HBM activity comes from, and the 137-300 W Ma et al.
 * measure for H200 decode. The model's decode carries overheads and collectives at lower
 * activity, so it lands a little under 380 W; a small batch lands inside Ma et al.'s range. */
static void test_against_measurements(void) {
  const tf_power_profile *p = tf_power_profile_default();
  tf_perf_config c = config("llama-3.1-70b", "h100-sxm", 8, 1, 1, 1, TF_PREC_BF16, false);
  tf_perf_step s;
  tf_perf_batch b = tf_perf_decode(16, 16 * 1024.0);
  TF_CHECK_INT(tf_perf_step_time(&c, &b, &s), 0);
  double w = tf_power_gpu_w(c.hw.gpu, p, &s);
  printf("  llama-3.1-70b BF16 decode 8xH100 TP8, 16 x 1k: %.1f W (Splitwise token phase 380 W)\n",
         w);
  TF_CHECK(w > 300 && w < 380);
  c = config("llama-3.1-70b", "h200", 8, 1, 1, 1, TF_PREC_BF16, false);
  b = tf_perf_decode(1, 1024);
  TF_CHECK_INT(tf_perf_step_time(&c, &b, &s), 0);
  w = tf_power_gpu_w(c.hw.gpu, p, &s);
  printf("  llama-3.1-70b BF16 decode 8xH200 TP8, 1 x 1k: %.1f W (Ma et al. 137-300 W)\n", w);
  TF_CHECK(w > 137 && w < 300);
}

/* Power is monotone in the clock for random steps under the default profile, with and without
 * overlap (docs/POWER.md proves it), and the solver's clock meets the cap. */
static void test_monotone_random(void) {
  const tf_power_profile *p = tf_power_profile_default();
  const tf_catalog_gpu *h100 = tf_catalog_find_gpu(cat, "h100-sxm");
  static const tf_perf_bound compute_bounds[] = {TF_BOUND_COMPUTE, TF_BOUND_HBM};
  static const tf_perf_bound comm_bounds[] = {TF_BOUND_SCALE_UP, TF_BOUND_SCALE_OUT,
                                              TF_BOUND_LATENCY};
  uint64_t x = 0x9E3779B97F4A7C15u;
  int bad = 0, over = 0;
  for (int trial = 0; trial < 300; trial++) {
    tf_perf_step s = empty_step();
    for (int c = 0; c < TF_PERF_COMPONENT_COUNT_; c++) {
      x = x * 6364136223846793005u + 1442695040888963407u;
      double t = (double)(x >> 11) / 9007199254740992.0 * 1e-3; /* [0, 1 ms) */
      x = x * 6364136223846793005u + 1442695040888963407u;
      tf_perf_bound bnd = c == TF_PERF_OVERHEAD ? TF_BOUND_LATENCY
                          : comm_component(c)  ? comm_bounds[(x >> 33) % 3]
                                               : compute_bounds[(x >> 33) % 2];
      if ((x >> 20) % 4 == 0)
        t = 0; /* some parts idle */
      set_part(&s, (tf_perf_component)c, t, bnd);
    }
    finish(&s, trial % 2 == 0);
    if (!monotone(h100, p, &s))
      bad++;
    double cap = 150 + (double)(trial % 11) * 50;
    double f = tf_power_clock_for_cap(h100, p, &s, cap);
    double w = tf_power_gpu_w_at(h100, p, &s, f);
    if (f > p->min_clock && (w > cap || (f < 1 && w < cap - 1e-3)))
      over++;
  }
  TF_CHECK_INT(bad, 0);
  TF_CHECK_INT(over, 0);
}

/* ---- systems and facilities ---- */

static void test_system(void) {
  const tf_catalog_system *hgx = tf_catalog_find_system(cat, "hgx-h200");
  TF_CHECK_INT(tf_power_system_check(hgx), 0);
  TF_CHECK(hgx->has.host_power);
  /* With the catalogue's host power: 8 x 400 W + 4.6 kW. */
  TF_CHECK_NEAR(tf_power_host_w(hgx), 4600, 0);
  TF_CHECK_NEAR(tf_power_system_w(hgx, 400), 8 * 400.0 + 4600, 1e-9);
  /* Without it: 10.2 kW system maximum - 8 x 700 W TDP = 4.6 kW, the same. */
  tf_catalog_system s = *hgx;
  s.has.host_power = false;
  s.host_power_w = 0;
  TF_CHECK_INT(tf_power_system_check(&s), 0);
  TF_CHECK_NEAR(tf_power_host_w(&s), 10200 - 8 * 700.0, 1e-9);
  TF_CHECK_NEAR(tf_power_system_w(&s, 400), 7800, 1e-9);
  /* A rack: GB200 NVL72 at TDP is its 120 kW envelope. */
  const tf_catalog_system *nvl = tf_catalog_find_system(cat, "gb200-nvl72");
  TF_CHECK_NEAR(tf_power_system_w(nvl, 1200), 120000, 1e-6);
  /* Every catalogue system can be used. */
  for (size_t i = 0; i < tf_catalog_count(cat, TF_CATALOG_SYSTEMS); i++)
    TF_CHECK_INT(tf_power_system_check(
                     (const tf_catalog_system *)tf_catalog_at(cat, TF_CATALOG_SYSTEMS, i)),
                 0);

  /* Neither host power nor system power: an error naming the system. */
  s.has.power = false;
  TF_CHECK_INT(tf_power_system_check(&s), TF_EINVAL);
  TF_CHECK(strstr(tf_err_reason(), "hgx-h200") != NULL);
  s = *hgx;
  s.has.host_power = false;
  s.power_w = 5000; /* below 8 x 700 W */
  TF_CHECK_INT(tf_power_system_check(&s), TF_EINVAL);
  s = *hgx;
  s.gpus = 0;
  TF_CHECK_INT(tf_power_system_check(&s), TF_EINVAL);

  /* Facility = IT x PUE: 7.8 kW at PUE 1.3 (reference-inputs: new large facilities, Uptime
   * 2024) is 10.14 kW. */
  TF_CHECK_NEAR(tf_power_facility_w(7800, 1.3), 10140, 1e-9);
  TF_CHECK_NEAR(tf_power_facility_w(7800, 1), 7800, 0);
}

/* ---- PUE by load and outside temperature ---- */

#define H_NS INT64_C(3600000000000) /* an hour */

static void test_pue(void) {
  /* Constant: 1.3 at every load and temperature (reference-inputs: new large facilities). */
  tf_pue_model c = {.at_full_load = 1.3};
  TF_CHECK_INT(tf_pue_check(&c), 0);
  TF_CHECK(!tf_pue_varies(&c));
  TF_CHECK(tf_pue_fixed(&c) == 0 && tf_pue_proportional(&c) == 1.3);
  TF_CHECK(tf_pue_at(&c, 0.05, 320) == 1.3);
  TF_CHECK(tf_pue_facility_w(&c, 7800, 1e6, 0) == tf_power_facility_w(7800, 1.3));
  TF_CHECK(tf_pue_mean_excess_k(&c, 0, H_NS) == 0);

  /* The load curve through (1, 1.2) and (0.2, 1.6): fixed = 0.4 x 0.2 / 0.8 = 0.1 of the
   * capacity, proportional 1.1; PUE(u) = 1.1 + 0.1 / u. */
  tf_pue_model m = {.at_full_load = 1.2, .at_low_load = 1.6, .low_load = 0.2};
  TF_CHECK_INT(tf_pue_check(&m), 0);
  TF_CHECK(tf_pue_varies(&m));
  TF_CHECK_NEAR(tf_pue_fixed(&m), 0.1, 1e-15);
  TF_CHECK_NEAR(tf_pue_proportional(&m), 1.1, 1e-15);
  TF_CHECK_NEAR(tf_pue_at(&m, 1, 400), 1.2, 1e-15);   /* no temperature term: T ignored */
  TF_CHECK_NEAR(tf_pue_at(&m, 0.2, 250), 1.6, 1e-15); /* both points of the curve */
  TF_CHECK_NEAR(tf_pue_at(&m, 0.5, 293), 1.3, 1e-15);
  TF_CHECK_NEAR(tf_pue_at(&m, 2, 293), 1.15, 1e-15);  /* past the envelope: not clamped */
  /* Facility power is linear in IT power with a fixed part: an idle hall of 10 MW capacity
   * still draws 1 MW of overhead; 5 MW of IT draws 5 x 1.1 + 1 = 6.5 MW = 5 MW x PUE(0.5). */
  TF_CHECK_NEAR(tf_pue_facility_w(&m, 0, 1e7, 0), 1e6, 1e-6);
  TF_CHECK_NEAR(tf_pue_facility_w(&m, 5e6, 1e7, 0), 6.5e6, 1e-6);
  TF_CHECK_NEAR(tf_pue_facility_w(&m, 5e6, 1e7, 0), 5e6 * tf_pue_at(&m, 0.5, 0), 1e-6);
  /* Equal points: no load dependence. */
  tf_pue_model flat = {.at_full_load = 1.2, .at_low_load = 1.2, .low_load = 0.3};
  TF_CHECK(!tf_pue_varies(&flat));
  TF_CHECK(tf_pue_fixed(&flat) == 0);

  /* Outside temperature: 0.01 per K above 20 C; 18 C from midnight, 28 C from 06:00, 23 C from
   * 18:00, every day. */
  static const int64_t starts[] = {0, 6 * H_NS, 18 * H_NS};
  static const double temps[] = {291.15, 301.15, 296.15};
  tf_pue_model t = m;
  t.per_degree = 0.01;
  t.reference_k = 293.15;
  t.pieces = 3;
  t.start_ns = starts;
  t.temperature_k = temps;
  t.period_ns = 24 * H_NS;
  TF_CHECK_INT(tf_pue_check(&t), 0);
  TF_CHECK_NEAR(tf_pue_at(&t, 1, 303.15), 1.2 + 0.1, 1e-12);        /* 10 K above */
  TF_CHECK_NEAR(tf_pue_at(&t, 0.2, 298.15), 1.6 + 0.05, 1e-12);     /* both terms */
  TF_CHECK_NEAR(tf_pue_at(&t, 1, 283.15), 1.2, 1e-15);              /* below: no term */
  TF_CHECK_NEAR(tf_pue_at(&t, 1, 293.15), 1.2, 1e-15);
  TF_CHECK_NEAR(tf_pue_facility_w(&t, 5e6, 1e7, 8), 5e6 * (1.1 + 0.08) + 1e6, 1e-6);
  /* The profile: each piece from its start, repeating daily. */
  TF_CHECK(tf_pue_outside_k(&t, 0) == 291.15);
  TF_CHECK(tf_pue_outside_k(&t, 6 * H_NS - 1) == 291.15);
  TF_CHECK(tf_pue_outside_k(&t, 6 * H_NS) == 301.15);
  TF_CHECK(tf_pue_outside_k(&t, 20 * H_NS) == 296.15);
  TF_CHECK(tf_pue_outside_k(&t, 24 * H_NS) == 291.15);
  TF_CHECK(tf_pue_outside_k(&t, 31 * H_NS) == 301.15);
  TF_CHECK(tf_pue_outside_k(&t, 365 * 24 * H_NS + 19 * H_NS) == 296.15);
  /* Mean excess over intervals: 8 K from 06:00, 3 K from 18:00, nothing before. */
  TF_CHECK_NEAR(tf_pue_mean_excess_k(&t, 0, 6 * H_NS), 0, 1e-12);
  TF_CHECK_NEAR(tf_pue_mean_excess_k(&t, 7 * H_NS, 8 * H_NS), 8, 1e-12);
  TF_CHECK_NEAR(tf_pue_mean_excess_k(&t, 5 * H_NS, 7 * H_NS), 4, 1e-12);   /* half at 8 K */
  TF_CHECK_NEAR(tf_pue_mean_excess_k(&t, 17 * H_NS, 19 * H_NS), 5.5, 1e-12); /* 8 then 3 */
  TF_CHECK_NEAR(tf_pue_mean_excess_k(&t, 23 * H_NS, 25 * H_NS), 1.5, 1e-12); /* across midnight */
  /* Over whole days: (12 h x 8 + 6 h x 3) / 24 = 4.75 K. */
  TF_CHECK_NEAR(tf_pue_mean_excess_k(&t, 0, 24 * H_NS), 4.75, 1e-12);
  TF_CHECK_NEAR(tf_pue_mean_excess_k(&t, 0, 10 * 24 * H_NS), 4.75, 1e-12);
  TF_CHECK_NEAR(tf_pue_mean_excess_k(&t, 100 * 24 * H_NS + 7 * H_NS, 100 * 24 * H_NS + 8 * H_NS),
                8, 1e-9);
  /* Without a period the last piece lasts: 23 C on day 100. */
  t.period_ns = 0;
  TF_CHECK_INT(tf_pue_check(&t), 0);
  TF_CHECK(tf_pue_outside_k(&t, 100 * 24 * H_NS + 3 * H_NS) == 296.15);
  TF_CHECK_NEAR(tf_pue_mean_excess_k(&t, 0, 24 * H_NS), 4.75, 1e-12);
  TF_CHECK_NEAR(tf_pue_mean_excess_k(&t, 0, 48 * H_NS), (12 * 8 + 30 * 3) / 48.0, 1e-12);
  /* A constant temperature is one piece from 0. */
  static const int64_t zero[] = {0};
  static const double hot[] = {308.15};
  tf_pue_model one = {.at_full_load = 1.1, .per_degree = 0.004, .reference_k = 293.15,
                      .pieces = 1, .start_ns = zero, .temperature_k = hot};
  TF_CHECK_INT(tf_pue_check(&one), 0);
  TF_CHECK(tf_pue_varies(&one));
  TF_CHECK_NEAR(tf_pue_mean_excess_k(&one, 5, 5 + H_NS), 15, 1e-12);
  TF_CHECK_NEAR(tf_pue_at(&one, 0.01, 308.15), 1.1 + 0.06, 1e-12);

  /* Ranges. */
  tf_pue_model b = {.at_full_load = 0.99};
  TF_CHECK_INT(tf_pue_check(&b), TF_ERANGE);
  b = m;
  b.low_load = 1;
  TF_CHECK_INT(tf_pue_check(&b), TF_ERANGE);
  b = m;
  b.at_low_load = 1.19; /* PUE lower at low load: a negative fixed overhead */
  TF_CHECK_INT(tf_pue_check(&b), TF_ERANGE);
  b = m;
  b.at_low_load = 2; /* the limit 1 + 0.2 / 0.2: everything fixed, proportional exactly 1 */
  TF_CHECK_INT(tf_pue_check(&b), 0);
  TF_CHECK_NEAR(tf_pue_proportional(&b), 1, 1e-12);
  TF_CHECK_NEAR(tf_pue_at(&b, 0.5, 0), 1.4, 1e-12);
  b.at_low_load = 2.01; /* beyond: the overhead that follows the load would be negative */
  TF_CHECK_INT(tf_pue_check(&b), TF_ERANGE);
  b = t;
  b.per_degree = -0.01;
  TF_CHECK_INT(tf_pue_check(&b), TF_ERANGE);
  b = t;
  b.pieces = 0;
  TF_CHECK_INT(tf_pue_check(&b), TF_EINVAL);
  b = t;
  b.period_ns = 18 * H_NS; /* not past the last start */
  TF_CHECK_INT(tf_pue_check(&b), TF_ERANGE);
  static const int64_t late[] = {H_NS, 2 * H_NS, 3 * H_NS};
  b = t;
  b.start_ns = late;
  TF_CHECK_INT(tf_pue_check(&b), TF_ERANGE);
  static const int64_t back[] = {0, 6 * H_NS, 6 * H_NS};
  b.start_ns = back;
  TF_CHECK_INT(tf_pue_check(&b), TF_ERANGE);
  static const double cold[] = {291.15, -1, 296.15};
  b = t;
  b.temperature_k = cold;
  TF_CHECK_INT(tf_pue_check(&b), TF_ERANGE);
}

/* Dividing a budget (dynamic capping), by hand: two stepping groups of 2 GPUs asking 300 W and
 * 650 W, four idle GPUs; floors 200 W, tops 700 W.
 *   2540 W: floors take 1600; 940 left: A reaches its 300 W (200 more), B gets the 740 left
 *           between 2 GPUs: 570 W; the idle ones keep 200 W.
 *   4000 W: 2400 left: A 300, B 650 (1300 left); above demand B reaches 700 (100), A 700 (800);
 *           400 left raise the four idle GPUs by 100 each: 300 W.
 *   6000 W: everyone at the top, exactly. 1599 W: below the floors, refused.
 * The result does not depend on the claims' order; demands are clamped to [floor, top]. */
static void test_divide(void) {
  tf_power_claim base[3] = {
      {.gpus = 2, .floor_w = 200, .top_w = 700, .demand_w = 300, .stepping = true},
      {.gpus = 2, .floor_w = 200, .top_w = 700, .demand_w = 650, .stepping = true},
      {.gpus = 4, .floor_w = 200, .top_w = 700},
  };
  tf_power_claim c[3];
  static const double budget[3] = {2540, 4000, 6000};
  static const double want[3][3] = {{300, 570, 200}, {700, 700, 300}, {700, 700, 700}};
  for (int b = 0; b < 3; b++) {
    memcpy(c, base, sizeof c);
    TF_CHECK_INT(tf_power_divide(c, 3, budget[b]), 0);
    double sum = 0;
    for (int i = 0; i < 3; i++) {
      TF_CHECK_NEAR(c[i].cap_w, want[b][i], 1e-9);
      sum += c[i].gpus * c[i].cap_w;
    }
    TF_CHECK(sum <= budget[b] * (1 + 1e-12));
    /* reversed order, the same caps */
    tf_power_claim r[3] = {base[2], base[1], base[0]};
    TF_CHECK_INT(tf_power_divide(r, 3, budget[b]), 0);
    for (int i = 0; i < 3; i++)
      TF_CHECK(r[2 - i].cap_w == c[i].cap_w);
  }
  TF_CHECK(c[0].cap_w == 700 && c[2].cap_w == 700); /* the top itself, not a sum near it */
  memcpy(c, base, sizeof c);
  c[0].cap_w = -1;
  TF_CHECK_INT(tf_power_divide(c, 3, 1599), TF_ERANGE);
  TF_CHECK(c[0].cap_w == -1);
  /* A demand below the floor asks for the floor; one above the top, for the top. */
  memcpy(c, base, sizeof c);
  c[0].demand_w = 150;
  c[1].demand_w = 900;
  TF_CHECK_INT(tf_power_divide(c, 3, 2540), 0);
  TF_CHECK_NEAR(c[0].cap_w, 200, 1e-9);
  TF_CHECK_NEAR(c[1].cap_w, 670, 1e-9); /* 940 left, all to B: 200 + 470 */
  TF_CHECK_INT(tf_power_divide(c, 0, 0), 0);
}

int main(void) {
  tf_diags *d;
  if (tf_diags_create(&d) != 0)
    return 1;
  if (tf_catalog_open(TF_CATALOG_DIR, &cat, d) != 0) {
    tf_diags_print(d, stderr);
    tf_diags_destroy(d);
    return 1;
  }
  tf_diags_destroy(d);
  test_profile();
  test_gpu_check();
  test_gpu_power();
  test_energy();
  test_retime();
  test_clock_for_cap();
  test_real_steps();
  test_against_measurements();
  test_monotone_random();
  test_system();
  test_pue();
  test_divide();
  tf_catalog_destroy(cat);
  return tf_test_report("models_power");
}
