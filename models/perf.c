/* The step-time model: FLOPs and bytes of each part of a serving step against the hardware's
 * limits, scaled by the GPU profile. Equations and sources: docs/PERF_MODEL.md. */
#include "perf.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Bytes per stored value. BF16: 2 (16-bit format). FP8: 1; its block scales (one FP32 per
 * 128 x 128 weights, DeepSeek-V3 report arXiv:2412.19437 sec. 3.3.1) add 0.02% and are left out.
 * FP4: NVFP4 stores 4-bit E2M1 values with one FP8 scale per 16 (NVIDIA, "Introducing NVFP4 for
 * efficient and accurate low-precision inference", developer.nvidia.com blog, 2025). */
static const double precision_bytes[TF_PREC_COUNT_] = {
    [TF_PREC_BF16] = 2.0,
    [TF_PREC_FP8] = 1.0,
    [TF_PREC_FP4] = 0.5 + 1.0 / 16.0,
};
static const char *const precision_names[TF_PREC_COUNT_] = {"bf16", "fp8", "fp4"};

const char *tf_precision_name(tf_precision p) {
  return (unsigned)p < TF_PREC_COUNT_ ? precision_names[p] : "unknown";
}

int tf_precision_parse(const char *word, tf_precision *out) {
  for (int i = 0; i < TF_PREC_COUNT_; i++)
    if (strcmp(word, precision_names[i]) == 0) {
      *out = (tf_precision)i;
      return 0;
    }
  return TF_FAIL(TF_ENOTFOUND, "unknown precision \"%s\" (expected bf16, fp8 or fp4)", word);
}

double tf_precision_bytes(tf_precision p) {
  assert((unsigned)p < TF_PREC_COUNT_);
  return precision_bytes[p];
}

const char *tf_perf_bound_name(tf_perf_bound b) {
  static const char *const names[TF_BOUND_COUNT_] = {"compute", "HBM",     "scale-up",
                                                     "scale-out", "latency", "-"};
  return (unsigned)b < TF_BOUND_COUNT_ ? names[b] : "unknown";
}

const char *tf_perf_component_name(tf_perf_component c) {
  static const char *const names[TF_PERF_COMPONENT_COUNT_] = {
      [TF_PERF_ATTN_PROJ] = "attention projections",
      [TF_PERF_ATTN_CORE] = "attention",
      [TF_PERF_DENSE_FFN] = "dense FFN + shared experts",
      [TF_PERF_EXPERTS] = "routed experts",
      [TF_PERF_EP_DISPATCH] = "EP dispatch",
      [TF_PERF_EP_COMBINE] = "EP combine",
      [TF_PERF_TP_ALLREDUCE] = "TP all-reduce",
      [TF_PERF_PP_SEND] = "PP send",
      [TF_PERF_LM_HEAD] = "LM head",
      [TF_PERF_DRAFT] = "MTP / draft",
      [TF_PERF_OVERHEAD] = "kernel gaps + scheduler",
  };
  return (unsigned)c < TF_PERF_COMPONENT_COUNT_ ? names[c] : "unknown";
}

static bool is_comm(tf_perf_component c) {
  return c == TF_PERF_EP_DISPATCH || c == TF_PERF_EP_COMBINE || c == TF_PERF_TP_ALLREDUCE ||
         c == TF_PERF_PP_SEND;
}

tf_perf_batch tf_perf_prefill(double sequences, double tokens, double cached) {
  return (tf_perf_batch){.prefill_tokens = sequences * tokens,
                         .prefill_attended =
                             sequences * (tokens * cached + tokens * (tokens + 1) / 2)};
}

tf_perf_batch tf_perf_decode(double sequences, double context) {
  return (tf_perf_batch){.decode_sequences = sequences, .decode_context = sequences * context};
}

tf_perf_batch tf_perf_batch_add(tf_perf_batch a, tf_perf_batch b) {
  return (tf_perf_batch){.prefill_tokens = a.prefill_tokens + b.prefill_tokens,
                         .prefill_attended = a.prefill_attended + b.prefill_attended,
                         .decode_sequences = a.decode_sequences + b.decode_sequences,
                         .decode_context = a.decode_context + b.decode_context};
}

/* ---- model shape ---- */

/* Every FFN here is gated (SwiGLU: gate, up and down projections), as in all catalogue models. */
enum { GLU_MATRICES = 3 };

int tf_perf_shape_of(const tf_catalog_model *m, tf_perf_shape *out) {
  memset(out, 0, sizeof *out);
  if (!m->has.layers || !m->has.hidden_size || !m->has.heads || !m->has.vocab ||
      !m->has.attention || !m->has.head_dim)
    return TF_FAIL(TF_EINVAL,
                   "model \"%s\": the step model needs layers, hidden_size, attention, heads, "
                   "head_dim and vocab",
                   m->entry.name);
  double h = (double)m->hidden_size, heads = (double)m->heads, d = (double)m->head_dim;
  int64_t experts = m->has.experts ? m->experts : 0;
  if (experts > 0) {
    if (!m->has.experts_per_token || !m->has.expert_ffn)
      return TF_FAIL(TF_EINVAL, "model \"%s\": a MoE model needs experts_per_token and expert_ffn",
                     m->entry.name);
    int64_t dense = m->has.dense_layers ? m->dense_layers : 0;
    out->dense_layers = dense;
    out->moe_layers = m->layers - dense;
    out->expert_params = GLU_MATRICES * h * (double)m->expert_ffn;
    out->shared_params = (double)(m->has.shared_experts ? m->shared_experts : 0) * out->expert_params;
    out->router_params = (double)experts * h;
  } else {
    out->dense_layers = m->layers;
  }
  if (out->dense_layers > 0) {
    if (!m->has.dense_ffn)
      return TF_FAIL(TF_EINVAL, "model \"%s\": dense layers need dense_ffn", m->entry.name);
    out->dense_ffn_params = GLU_MATRICES * h * (double)m->dense_ffn;
  }
  out->embed_params = 2.0 * (double)m->vocab * h; /* untied input embedding and output head */

  if (m->attention == TF_CATALOG_MLA) {
    if (!m->has.kv_lora_rank || !m->has.qk_rope_head_dim || !m->has.params_total)
      return TF_FAIL(TF_EINVAL, "model \"%s\": MLA needs kv_lora_rank, qk_rope_head_dim and "
                                "params_total", m->entry.name);
    double rank = (double)m->kv_lora_rank, rope = (double)m->qk_rope_head_dim;
    /* MLA's projections depend on q_lora_rank, which the catalogue does not hold: take them as
     * what params_total leaves after FFNs, routers and embeddings (for DeepSeek-V3 this gives
     * 187.8 M per layer; the config's shapes give 187.1 M). */
    double ffn = (double)out->moe_layers *
                     ((double)experts * out->expert_params + out->shared_params + out->router_params) +
                 (double)out->dense_layers * out->dense_ffn_params;
    double rest = (double)m->params_total - ffn - out->embed_params;
    if (!(rest > 0))
      return TF_FAIL(TF_EINVAL, "model \"%s\": params_total leaves nothing for attention",
                     m->entry.name);
    out->attn_params_per_layer = rest / (double)m->layers;
    out->kv_values_per_token_layer = rank + rope; /* the compressed latent and the rope key */
    /* Prefill runs MLA expanded: per head, QK over head_dim + rope, PV over head_dim. */
    out->attn_flops_per_pair = 2 * heads * (d + rope) + 2 * heads * d;
    /* Decode runs it absorbed: per head, QK over rank + rope, PV over rank (DeepSeek-V2 paper
     * arXiv:2405.04434 sec. 2.1.3; FlashMLA). */
    out->decode_attn_flops_per_pair = 2 * heads * (rank + rope) + 2 * heads * rank;
  } else {
    double kv = (double)(m->has.kv_heads ? m->kv_heads : m->heads);
    out->attn_params_per_layer = 2 * h * heads * d + 2 * h * kv * d; /* Q, O; K, V */
    out->kv_values_per_token_layer = 2 * kv * d;                     /* K and V */
    out->attn_flops_per_pair = 4 * heads * d; /* QK^T and PV, 2 FLOPs per multiply-add */
    out->decode_attn_flops_per_pair = out->attn_flops_per_pair;
  }
  return 0;
}

/* ---- configuration ---- */

static double peak_flops(const tf_catalog_gpu *g, tf_precision p) {
  /* A GPU without FP4 math (Hopper, MI300X) runs FP4 weights at its FP8 rate after unpacking;
   * without FP8 at the BF16 rate. */
  if (p == TF_PREC_FP4 && g->has.fp4_dense)
    return g->fp4_dense_flops;
  if (p != TF_PREC_BF16 && g->has.fp8_dense)
    return g->fp8_dense_flops;
  return g->bf16_dense_flops;
}

/* A GEMM multiplies in the wider of its two operand formats (W4A8 runs at the FP8 rate). */
static tf_precision gemm_precision(tf_precision weights, tf_precision activations) {
  return weights < activations ? weights : activations;
}

int tf_perf_config_check(const tf_perf_config *cfg) {
  const tf_catalog_model *m = cfg->model;
  const tf_catalog_gpu *g = cfg->hw.gpu;
  const tf_perf_layout *l = &cfg->layout;
  if (!m || !g || !cfg->profile)
    return TF_FAIL(TF_EINVAL, "the step model needs a model, a GPU and a GPU profile");
  int rc = tf_gpu_profile_check(cfg->profile);
  if (rc)
    return rc;
  if (!g->has.bf16_dense || !g->has.hbm_bandwidth || !g->has.hbm_capacity ||
      !g->has.scale_up_bandwidth || !g->has.scale_out_bandwidth)
    return TF_FAIL(TF_EINVAL, "GPU \"%s\": the step model needs bf16_dense, hbm_capacity, "
                              "hbm_bandwidth, scale_up_bandwidth and scale_out_bandwidth",
                   g->entry.name);
  tf_perf_shape sh;
  if ((rc = tf_perf_shape_of(m, &sh)))
    return rc;
  if (l->tp < 1 || l->dp < 1 || l->ep < 1 || l->pp < 1)
    return TF_FAIL(TF_ERANGE, "tp, dp, ep and pp must be >= 1");
  if ((l->tp * l->dp) % l->ep != 0)
    return TF_FAIL(TF_ERANGE, "ep must divide tp * dp = %lld, got %lld",
                   (long long)(l->tp * l->dp), (long long)l->ep);
  if (m->heads % l->tp != 0)
    return TF_FAIL(TF_ERANGE, "tp must divide the model's %lld attention heads, got tp = %lld",
                   (long long)m->heads, (long long)l->tp);
  if (l->pp > m->layers)
    return TF_FAIL(TF_ERANGE, "pp = %lld is more than the model's %lld layers", (long long)l->pp,
                   (long long)m->layers);
  int64_t experts = m->has.experts ? m->experts : 0;
  if (experts == 0 && l->ep > 1)
    return TF_FAIL(TF_ERANGE, "ep = %lld, but %s is a dense model (no experts)", (long long)l->ep,
                   m->entry.name);
  if (experts > 0 && l->ep > experts + cfg->routing.redundant_experts)
    return TF_FAIL(TF_ERANGE, "ep = %lld is more than the %lld experts (with redundant copies)",
                   (long long)l->ep, (long long)(experts + cfg->routing.redundant_experts));
  if (cfg->hw.scale_up_domain < 1)
    return TF_FAIL(TF_ERANGE, "the scale-up domain must hold at least one GPU");
  if (!(cfg->memory_utilisation > 0 && cfg->memory_utilisation <= 1))
    return TF_FAIL(TF_ERANGE, "memory utilisation must be in (0, 1], got %g",
                   cfg->memory_utilisation);
  if (cfg->max_batch_tokens < 1)
    return TF_FAIL(TF_ERANGE, "max_batch_tokens must be >= 1");
  if (cfg->speculation.draft_tokens < 0 ||
      !(cfg->speculation.acceptance >= 0 && cfg->speculation.acceptance <= 1))
    return TF_FAIL(TF_ERANGE, "speculation: draft_tokens >= 0 and acceptance in [0, 1]");
  if (cfg->routing.imbalance != 0 && !(cfg->routing.imbalance >= 1))
    return TF_FAIL(TF_ERANGE, "routing imbalance must be >= 1 (or 0 for auto), got %g",
                   cfg->routing.imbalance);
  return 0;
}

/* ---- step time ---- */

/* A roofline part: time is the larger of compute and memory time (the two overlap inside one
 * kernel). */
static tf_perf_part roofline(double flops, double peak_flops_per_s, double eff, double bytes,
                             double hbm_bytes_per_s, double hbm_eff) {
  tf_perf_part p = {.flops = flops, .hbm_bytes = bytes, .bound = TF_BOUND_NONE};
  double tc = flops > 0 ? flops / (peak_flops_per_s * eff) : 0;
  double tm = bytes > 0 ? bytes / (hbm_bytes_per_s * hbm_eff) : 0;
  if (tc <= 0 && tm <= 0)
    return p;
  p.time_s = tc >= tm ? tc : tm;
  p.bound = tc >= tm ? TF_BOUND_COMPUTE : TF_BOUND_HBM;
  return p;
}

/* A GEMM. Inside one GEMM kernel, reading the operands and computing do not overlap well at the
 * sizes inference runs: the sum of the two times matches DeepGEMM's published FP8 H800 timings
 * within 9% at M = 128 with N = 4096 and 7168, where the larger of the two is 30% short; narrow
 * GEMMs (N = 2112) run slower than either (tests/models/test_perf.c, docs/PERF_MODEL.md). The sum also gives the shape dependence: the effective FLOP rate grows with
 * token rows m as m / (m + m*), m* = peak x gemm_eff x bytes per weight / (2 x HBM x hbm_eff), the
 * weights' read amortised over more rows. */
static tf_perf_part gemm_sum(const tf_catalog_gpu *g, const tf_gpu_profile *pr, tf_precision prec,
                             double flops, double bytes) {
  tf_perf_part p = {.flops = flops, .hbm_bytes = bytes, .bound = TF_BOUND_NONE};
  double tc = flops > 0 ? flops / (peak_flops(g, prec) * pr->gemm_eff) : 0;
  double tm = bytes > 0 ? bytes / (g->hbm_bandwidth_bytes_per_s * pr->hbm_eff) : 0;
  if (tc <= 0 && tm <= 0)
    return p;
  p.time_s = tc + tm;
  p.bound = tc >= tm ? TF_BOUND_COMPUTE : TF_BOUND_HBM;
  return p;
}

int tf_perf_gemm(const tf_gpu_profile *pr, const tf_catalog_gpu *g, tf_precision weights,
                 tf_precision activations, double m, double n, double k, tf_perf_part *out) {
  if (!(m >= 0 && n >= 0 && k >= 0))
    return TF_FAIL(TF_EINVAL, "GEMM dimensions must be >= 0");
  double bytes = n * k * tf_precision_bytes(weights) + m * k * tf_precision_bytes(activations) +
                 m * n * tf_precision_bytes(TF_PREC_BF16);
  *out = gemm_sum(g, pr, gemm_precision(weights, activations), 2 * m * n * k, bytes);
  return 0;
}

static void add_part(tf_perf_part *into, tf_perf_part p) {
  if (p.time_s > into->time_s)
    into->bound = p.bound; /* the heavier piece names the bound of the sum */
  else if (into->bound == TF_BOUND_NONE)
    into->bound = p.bound;
  into->time_s += p.time_s;
  into->flops += p.flops;
  into->hbm_bytes += p.hbm_bytes;
  into->net_bytes += p.net_bytes;
}

static tf_perf_part scaled(tf_perf_part p, double k) {
  p.time_s *= k;
  p.flops *= k;
  p.hbm_bytes *= k;
  p.net_bytes *= k;
  return p;
}

/* Bytes a GPU sends in one collective, split between the scale-up domain (in_frac of its peers)
 * and the scale-out fabric; the slower path sets the time, plus the collective's latency. */
static tf_perf_part transfer(const tf_perf_config *cfg, double bytes, double in_frac) {
  const tf_gpu_profile *pr = cfg->profile;
  tf_perf_part p = {.net_bytes = bytes, .bound = TF_BOUND_NONE};
  if (!(bytes > 0))
    return p;
  /* The catalogue quotes scale-up bandwidth both directions together; a GPU sends at half. */
  double up = cfg->hw.gpu->scale_up_bandwidth_bytes_per_s / 2 * pr->scale_up_eff;
  double out = cfg->hw.gpu->scale_out_bandwidth_bytes_per_s * pr->scale_out_eff;
  double t_up = bytes * in_frac / up, t_out = bytes * (1 - in_frac) / out;
  bool crosses = in_frac < 1;
  double latency = crosses ? pr->scale_out_latency_s : pr->scale_up_latency_s;
  double t = (t_up > t_out ? t_up : t_out);
  p.time_s = t + latency;
  p.bound = latency > t ? TF_BOUND_LATENCY : t_out > t_up ? TF_BOUND_SCALE_OUT : TF_BOUND_SCALE_UP;
  return p;
}

/* The share of a layer's KV cache one GPU holds and reads. GQA splits KV heads over TP
 * (replicating them when there are fewer heads than ranks); MLA's latent is shared by all heads,
 * so every TP rank holds all of it. */
static double kv_share(const tf_catalog_model *m, double tp) {
  if (m->attention == TF_CATALOG_MLA)
    return 1;
  double kv_heads = (double)(m->has.kv_heads ? m->kv_heads : m->heads);
  return kv_heads >= tp ? 1 / tp : 1 / kv_heads;
}

/* The busiest pipeline stage: ceil(layers / pp) layers, MoE layers first (they cost more). */
typedef struct stage {
  int64_t layers, moe, dense;
} stage;

static stage busiest_stage(const tf_catalog_model *m, const tf_perf_shape *sh, int64_t pp) {
  stage st = {.layers = (m->layers + pp - 1) / pp};
  st.moe = sh->moe_layers < st.layers ? sh->moe_layers : st.layers;
  st.dense = st.layers - st.moe;
  return st;
}

/* Work of one step, as seen by one GPU of the busiest stage. */
typedef struct work {
  double tokens;    /* tokens through the layers, whole replica stage (all dp groups) */
  double attended;  /* prefill (query, key) pairs, whole stage */
  double decode_pairs; /* decode (query, key) pairs: drafts attend the context too */
  double decode_kv;    /* decode context tokens read (once per sequence), whole stage */
  double logits;    /* tokens whose logits are computed */
} work;

/* The time of each component for one transformer layer (moe: a MoE layer, else dense). */
static void layer_parts(const tf_perf_config *cfg, const tf_perf_shape *sh, const work *w,
                        bool moe, const tf_moe_load *load, tf_perf_part part[]) {
  const tf_catalog_gpu *g = cfg->hw.gpu;
  const tf_gpu_profile *pr = cfg->profile;
  const tf_perf_layout *l = &cfg->layout;
  const tf_catalog_model *m = cfg->model;
  double tp = (double)l->tp, dp = (double)l->dp, ep = (double)l->ep;
  double gpus = tp * dp, etp = gpus / ep;
  double h = (double)m->hidden_size;
  double act = tf_precision_bytes(cfg->precision.activations);
  double wb = tf_precision_bytes(cfg->precision.weights);
  double eb = tf_precision_bytes(cfg->precision.experts);
  double hbm = g->hbm_bandwidth_bytes_per_s, he = pr->hbm_eff;
  double t_dp = w->tokens / dp; /* tokens one attention group processes */
  double bf16 = peak_flops(g, TF_PREC_BF16);

  /* Projections: each TP rank holds 1/tp of the weights and sees all of its group's tokens. */
  double proj_params = sh->attn_params_per_layer / tp + (moe ? sh->router_params : 0);
  tf_precision gp = gemm_precision(cfg->precision.weights, cfg->precision.activations);
  part[TF_PERF_ATTN_PROJ] =
      gemm_sum(g, pr, gp, 2 * t_dp * proj_params, proj_params * wb + 2 * t_dp * h * act);

  /* Attention over the cache: prefill compute-bound, decode reading this GPU's share of it. */
  double kvb = tf_precision_bytes(cfg->precision.kv_cache);
  tf_perf_part pre = roofline(w->attended / dp * sh->attn_flops_per_pair / tp, bf16, pr->attn_eff,
                              0, hbm, he);
  tf_perf_part dec = roofline(w->decode_pairs / dp * sh->decode_attn_flops_per_pair / tp, bf16,
                              pr->attn_eff,
                              w->decode_kv / dp * sh->kv_values_per_token_layer * kv_share(m, tp) * kvb,
                              hbm, he);
  part[TF_PERF_ATTN_CORE] = (tf_perf_part){.bound = TF_BOUND_NONE};
  add_part(&part[TF_PERF_ATTN_CORE], pre);
  add_part(&part[TF_PERF_ATTN_CORE], dec);

  /* Dense FFN (dense layers) or shared experts (MoE layers): tensor-parallel like attention. */
  double ffn_params = (moe ? sh->shared_params : sh->dense_ffn_params) / tp;
  part[TF_PERF_DENSE_FFN] =
      gemm_sum(g, pr, gp, 2 * t_dp * ffn_params, ffn_params * wb + 2 * t_dp * h * act);

  for (int c = TF_PERF_EXPERTS; c <= TF_PERF_EP_COMBINE; c++)
    part[c] = (tf_perf_part){.bound = TF_BOUND_NONE};
  if (moe && w->tokens > 0) {
    double k = (double)m->experts_per_token;
    /* The busiest EP rank computes imbalance x its mean share of the token-expert pairs; it
     * reads the weights of the experts it holds that got a token. */
    double pairs = w->tokens * k / ep * load->imbalance;
    double touched_on_rank = load->rank_experts_touched_max;
    tf_precision ge = gemm_precision(cfg->precision.experts, cfg->precision.activations);
    part[TF_PERF_EXPERTS] = gemm_sum(g, pr, ge, 2 * pairs * sh->expert_params / etp,
                                     touched_on_rank * sh->expert_params / etp * eb +
                                         2 * pairs * h * act);
    if (l->ep > 1) {
      /* Each GPU dispatches its 1/gpus share of the tokens, k copies each, to the EP ranks;
       * (ep - 1) / ep of them leave the GPU. The busiest rank receives imbalance x the mean.
       * Dispatch carries activations, combine returns BF16 (DeepEP: FP8 dispatch, BF16
       * combine). */
      double copies = w->tokens / gpus * k * (ep - 1) / ep * load->imbalance;
      double domain = (double)cfg->hw.scale_up_domain;
      double ranks_in_domain = fmin(ep, fmax(1, domain / etp));
      double in_frac = (ranks_in_domain - 1) / (ep - 1);
      part[TF_PERF_EP_DISPATCH] = transfer(cfg, copies * h * act, in_frac);
      part[TF_PERF_EP_COMBINE] =
          transfer(cfg, copies * h * tf_precision_bytes(TF_PREC_BF16), in_frac);
    }
  }

  /* Two all-reduces per layer when tensor-parallel (after attention, after the FFN): a ring
   * moves 2 (tp - 1) / tp of the BF16 activations per GPU. */
  part[TF_PERF_TP_ALLREDUCE] = (tf_perf_part){.bound = TF_BOUND_NONE};
  if (l->tp > 1 && t_dp > 0) {
    double bytes = 2 * (tp - 1) / tp * t_dp * h * tf_precision_bytes(TF_PREC_BF16);
    double in_frac = l->tp <= cfg->hw.scale_up_domain
                         ? 1
                         : ((double)cfg->hw.scale_up_domain - 1) / (tp - 1);
    part[TF_PERF_TP_ALLREDUCE] = scaled(transfer(cfg, bytes, in_frac), 2);
  }
}

static tf_moe_routing routing_of(const tf_perf_config *cfg) {
  return (tf_moe_routing){.experts = cfg->model->experts,
                          .experts_per_token = cfg->model->experts_per_token,
                          .ranks = cfg->layout.ep,
                          .redundant_experts = cfg->routing.redundant_experts,
                          .skew = cfg->routing.skew};
}

int tf_perf_routing_plan(const tf_perf_config *cfg, tf_moe_plan *plan) {
  tf_moe_routing r = routing_of(cfg);
  return tf_moe_plan_init(plan, &r);
}

/* Expected expert load of a step of `tokens`; the scenario's fixed imbalance replaces the
 * routing model's when set (experts touched still come from it). */
int tf_perf_load_cache_init(tf_perf_load_cache *c, int64_t max_tokens) {
  *c = (tf_perf_load_cache){.max_tokens = max_tokens};
  if (max_tokens < 0)
    return TF_FAIL(TF_ERANGE, "a load cache needs max_tokens >= 0");
  c->load = calloc((size_t)max_tokens + 1, sizeof *c->load);
  c->filled = calloc((size_t)max_tokens + 1, 1);
  if (!c->load || !c->filled) {
    tf_perf_load_cache_fini(c);
    return TF_FAIL(TF_ENOMEM, "a load cache of %lld entries", (long long)max_tokens + 1);
  }
  return 0;
}

void tf_perf_load_cache_fini(tf_perf_load_cache *c) {
  free(c->load);
  free(c->filled);
  *c = (tf_perf_load_cache){.max_tokens = 0};
}

static int moe_load(const tf_perf_config *cfg, double tokens, tf_moe_load *load) {
  int rc;
  tf_perf_load_cache *cache = cfg->load_cache;
  if (cache && tokens >= 0 && tokens <= (double)cache->max_tokens && tokens == floor(tokens)) {
    size_t i = (size_t)tokens;
    if (!cache->filled[i]) {
      tf_perf_config uncached = *cfg;
      uncached.load_cache = NULL;
      uncached.routing.imbalance = 0; /* the cache holds the routing model's own values */
      if ((rc = moe_load(&uncached, tokens, &cache->load[i])))
        return rc;
      cache->filled[i] = 1;
    }
    *load = cache->load[i];
    if (cfg->routing.imbalance > 0)
      load->imbalance = cfg->routing.imbalance;
    return 0;
  }
  if (cfg->routing_plan) {
    rc = tf_moe_plan_load(cfg->routing_plan, tokens, load);
  } else {
    tf_moe_routing r = routing_of(cfg);
    rc = tf_moe_load_expected(&r, tokens, load);
  }
  if (rc)
    return rc;
  if (cfg->routing.imbalance > 0)
    load->imbalance = cfg->routing.imbalance;
  return 0;
}

int tf_perf_step_time(const tf_perf_config *cfg, const tf_perf_batch *b, tf_perf_step *out) {
  assert(cfg && b && out);
  assert(tf_perf_config_check(cfg) == 0);
  memset(out, 0, sizeof *out);
  if (!(b->prefill_tokens >= 0 && b->prefill_attended >= 0 && b->decode_sequences >= 0 &&
        b->decode_context >= 0))
    return TF_FAIL(TF_EINVAL, "a batch's token counts must be >= 0");
  const tf_catalog_model *m = cfg->model;
  const tf_catalog_gpu *g = cfg->hw.gpu;
  const tf_gpu_profile *pr = cfg->profile;
  const tf_perf_layout *l = &cfg->layout;
  tf_perf_shape sh;
  int rc = tf_perf_shape_of(m, &sh);
  if (rc)
    return rc;
  double drafts = (double)cfg->speculation.draft_tokens, a = cfg->speculation.acceptance;
  double per_seq = 1 + drafts;
  work w = {.tokens = b->prefill_tokens + b->decode_sequences * per_seq,
            .attended = b->prefill_attended,
            .decode_pairs = b->decode_context * per_seq,
            .decode_kv = b->decode_context,
            .logits = b->decode_sequences * per_seq};

  /* Expected tokens a sequence emits per step: the verified token plus each draft accepted
   * while all before it were: 1 + a + a^2 + ... + a^drafts. */
  double accepted = 1, ak = 1;
  for (int64_t i = 0; i < cfg->speculation.draft_tokens; i++) {
    ak *= a;
    accepted += ak;
  }
  out->accepted_per_seq = accepted;

  tf_moe_load load = {.imbalance = 1};
  bool has_moe = sh.moe_layers > 0;
  if (has_moe && (rc = moe_load(cfg, w.tokens, &load)))
    return rc;
  out->imbalance = load.imbalance;
  out->experts_touched = load.experts_touched;

  stage sg = busiest_stage(m, &sh, l->pp);
  int64_t moe_s = sg.moe, dense_s = sg.dense;

  tf_perf_part moe_part[TF_PERF_COMPONENT_COUNT_], dense_part[TF_PERF_COMPONENT_COUNT_];
  memset(moe_part, 0, sizeof moe_part);
  memset(dense_part, 0, sizeof dense_part);
  for (int c = 0; c < TF_PERF_COMPONENT_COUNT_; c++)
    out->part[c].bound = TF_BOUND_NONE;
  if (moe_s > 0)
    layer_parts(cfg, &sh, &w, true, &load, moe_part);
  if (dense_s > 0)
    layer_parts(cfg, &sh, &w, false, &load, dense_part);
  for (int c = 0; c <= TF_PERF_TP_ALLREDUCE; c++) {
    if (moe_s > 0)
      add_part(&out->part[c], scaled(moe_part[c], (double)moe_s));
    if (dense_s > 0)
      add_part(&out->part[c], scaled(dense_part[c], (double)dense_s));
  }

  double tp = (double)l->tp, dp = (double)l->dp, h = (double)m->hidden_size;
  /* Pipeline: each stage sends its activations (1/tp per TP rank) to the next. */
  if (l->pp > 1 && w.tokens > 0) {
    double gpus_per_replica = tp * dp * (double)l->pp;
    double in_frac = gpus_per_replica <= (double)cfg->hw.scale_up_domain ? 1 : 0;
    out->part[TF_PERF_PP_SEND] =
        transfer(cfg, w.tokens / dp / tp * h * tf_precision_bytes(TF_PREC_BF16), in_frac);
  }

  /* Output head on the last stage, vocabulary split over TP. Prefill computes logits only for a
   * sequence's last token, which this aggregate batch does not track; decode does for all. */
  double head_params = (double)m->vocab * h / tp;
  tf_precision gp = gemm_precision(cfg->precision.weights, cfg->precision.activations);
  double wb = tf_precision_bytes(cfg->precision.weights);
  if (w.logits > 0)
    out->part[TF_PERF_LM_HEAD] =
        gemm_sum(g, pr, gp, 2 * w.logits / dp * head_params, head_params * wb);

  /* Drafting: each draft token runs one more layer of the model (DeepSeek-V3's MTP module is one
   * transformer block, arXiv:2412.19437 sec. 2.2) and the head, for the decode sequences. */
  if (cfg->speculation.draft_tokens > 0 && b->decode_sequences > 0) {
    work dw = {.tokens = b->decode_sequences,
               .decode_pairs = b->decode_context,
               .decode_kv = b->decode_context,
               .logits = b->decode_sequences};
    tf_moe_load dload = load;
    if (has_moe && (rc = moe_load(cfg, dw.tokens, &dload)))
      return rc;
    tf_perf_part dpart[TF_PERF_COMPONENT_COUNT_];
    memset(dpart, 0, sizeof dpart);
    layer_parts(cfg, &sh, &dw, has_moe, &dload, dpart);
    tf_perf_part draft = {.bound = TF_BOUND_NONE};
    for (int c = 0; c <= TF_PERF_TP_ALLREDUCE; c++)
      add_part(&draft, dpart[c]);
    add_part(&draft, gemm_sum(g, pr, gp, 2 * dw.logits / dp * head_params, head_params * wb));
    out->part[TF_PERF_DRAFT] = scaled(draft, drafts);
  }

  /* Fixed costs: gaps between the kernels of every layer (drafts included), and the step's
   * scheduling and sampling. */
  double layers_run = (double)sg.layers + drafts;
  out->part[TF_PERF_OVERHEAD].time_s =
      layers_run * pr->kernels_per_layer * pr->kernel_gap_s + pr->step_overhead_s;
  out->part[TF_PERF_OVERHEAD].bound = TF_BOUND_LATENCY;

  for (int c = 0; c < TF_PERF_COMPONENT_COUNT_; c++) {
    if (c == TF_PERF_OVERHEAD)
      continue;
    if (is_comm((tf_perf_component)c))
      out->comm_s += out->part[c].time_s;
    else
      out->compute_s += out->part[c].time_s;
  }
  /* With two micro-batches one's communication runs under the other's compute. */
  out->hidden_comm_s = l->overlap ? fmin(out->comm_s, out->compute_s) : 0;
  out->stage_s = out->compute_s + out->comm_s - out->hidden_comm_s +
                 out->part[TF_PERF_OVERHEAD].time_s;
  out->step_s = out->stage_s * (double)l->pp;
  out->tokens_in = w.tokens;
  out->tokens_out = b->decode_sequences * accepted;
  double gpus = tp * dp * (double)l->pp;
  out->tokens_out_per_s_per_gpu = out->tokens_out / out->stage_s / gpus;
  out->prefill_tokens_per_s_per_gpu = b->prefill_tokens / out->stage_s / gpus;
  return 0;
}

/* ---- memory ---- */

int tf_perf_memory_fit(const tf_perf_config *cfg, tf_perf_memory *out) {
  assert(cfg && out);
  assert(tf_perf_config_check(cfg) == 0);
  memset(out, 0, sizeof *out);
  const tf_catalog_model *m = cfg->model;
  const tf_perf_layout *l = &cfg->layout;
  tf_perf_shape sh;
  int rc = tf_perf_shape_of(m, &sh);
  if (rc)
    return rc;
  double tp = (double)l->tp, dp = (double)l->dp, ep = (double)l->ep;
  double etp = tp * dp / ep;
  double wb = tf_precision_bytes(cfg->precision.weights);
  double eb = tf_precision_bytes(cfg->precision.experts);
  stage sg = busiest_stage(m, &sh, l->pp);
  int64_t moe_s = sg.moe, dense_s = sg.dense;
  double experts_per_rank =
      m->has.experts && m->experts > 0
          ? ceil((double)(m->experts + cfg->routing.redundant_experts) / ep)
          : 0;
  double per_moe_expert = experts_per_rank * sh.expert_params / etp * eb;
  double per_moe_rest = (sh.attn_params_per_layer + sh.shared_params) / tp * wb +
                        sh.router_params * wb;
  double per_dense = (sh.attn_params_per_layer + sh.dense_ffn_params) / tp * wb;
  /* With one stage it holds both embedding and head; with several, the heaviest holds one. */
  double embed = (l->pp == 1 ? sh.embed_params : sh.embed_params / 2) / tp * wb;
  /* A draft module (MTP) is one more MoE (or dense) layer. */
  double draft = 0;
  if (cfg->speculation.draft_tokens > 0)
    draft = sh.moe_layers > 0 ? per_moe_expert + per_moe_rest : per_dense;
  out->expert_weight_bytes = (double)moe_s * per_moe_expert +
                             (cfg->speculation.draft_tokens > 0 && sh.moe_layers > 0
                                  ? per_moe_expert
                                  : 0);
  out->weight_bytes = (double)moe_s * (per_moe_expert + per_moe_rest) +
                      (double)dense_s * per_dense + embed + draft;

  /* Activation workspace for a step of max_batch_tokens: per token the residual stream, the
   * layer input and output, and the widest intermediate (FFN gate and up outputs, or the k
   * experts' on a MoE layer), BF16, double-buffered. */
  double h = (double)m->hidden_size;
  double widest = fmax(m->has.dense_ffn ? 2.0 * (double)m->dense_ffn / tp : 0,
                       sh.moe_layers > 0 ? 2.0 * (double)m->experts_per_token *
                                               (double)m->expert_ffn / etp
                                         : 0);
  double tokens = (double)cfg->max_batch_tokens / dp;
  out->workspace_bytes = 2 * tokens * (3 * h + widest) * tf_precision_bytes(TF_PREC_BF16);

  out->hbm_bytes = cfg->hw.gpu->hbm_capacity_bytes;
  out->usable_bytes = out->hbm_bytes * cfg->memory_utilisation;
  out->kv_bytes = out->usable_bytes - out->weight_bytes - out->workspace_bytes;
  out->kv_bytes_per_token = (double)sg.layers * sh.kv_values_per_token_layer * kv_share(m, tp) *
                            tf_precision_bytes(cfg->precision.kv_cache);
  out->max_tokens = out->kv_bytes > 0 ? floor(out->kv_bytes / out->kv_bytes_per_token) : 0;
  out->fits = out->max_tokens >= tokens;
  return 0;
}

tf_perf_bound tf_perf_step_bound(const tf_perf_step *st) {
  double exposed = st->comm_s > 0 ? (st->comm_s - fmin(st->hidden_comm_s, st->comm_s)) / st->comm_s
                                  : 0;
  double t[TF_BOUND_COUNT_] = {0};
  for (int c = 0; c < TF_PERF_COMPONENT_COUNT_; c++) {
    const tf_perf_part *p = &st->part[c];
    t[p->bound] += p->time_s * (is_comm((tf_perf_component)c) ? exposed : 1);
  }
  tf_perf_bound best = TF_BOUND_NONE;
  for (int b = 0; b < TF_BOUND_NONE; b++)
    if (t[b] > 0 && (best == TF_BOUND_NONE || t[b] > t[best]))
      best = (tf_perf_bound)b;
  return best;
}
