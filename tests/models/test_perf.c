/* Step-time model: hand-computed cases (a dense GEMM, decode attention bytes for GQA and MLA,
 * all-to-all inside and across a scale-up domain, memory fit), and the qualitative facts
 * planners rely on. Catalogue figures come from scenarios/catalog (TF_CATALOG_DIR). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "diag.h"
#include "error.h"
#include "gpu_profile.h"
#include "moe_routing.h"
#include "perf.h"
#include "tf_test.h"

static tf_catalog *cat;

/* Relative closeness. */
#define CHECK_REL(a, b, rel) TF_CHECK_NEAR((a), (b), (rel) * fabs((double)(b)))

/* The default profile's constants, recomputed here from their sources (gpu_profile.c). */
static const double GEMM_EFF = 1550.0 / 1979.0;        /* DeepGEMM peak / H800 FP8 */
static const double HBM_EFF = 3000.0 / 3350.0;         /* FlashMLA / H800 HBM3 */
static const double UP_EFF = 153.0 / 200.0;            /* DeepEP NVLink / H800 one-way */
static const double OUT_EFF = 43.0 / 50.0;             /* DeepEP RDMA / CX7 */
static const double UP_LAT = 4.0e-6, OUT_LAT = 8.6e-6; /* NCCL tuning.cc */

static tf_perf_config config(const char *model, const char *gpu, int64_t domain, int64_t tp,
                             int64_t dp, int64_t ep, tf_precision p) {
  tf_perf_config c = {
      .model = tf_catalog_find_model(cat, model),
      .hw = {.gpu = tf_catalog_find_gpu(cat, gpu), .scale_up_domain = domain},
      .profile = tf_gpu_profile_default(),
      .layout = {.tp = tp, .dp = dp, .ep = ep, .pp = 1},
      .precision = {.weights = p, .experts = p, .activations = p, .kv_cache = p},
      .memory_utilisation = 0.9,
      .max_batch_tokens = 8192,
  };
  return c;
}

static void test_profile(void) {
  const tf_gpu_profile *p = tf_gpu_profile_default();
  TF_CHECK_INT(tf_gpu_profile_check(p), 0);
  CHECK_REL(p->gemm_eff, GEMM_EFF, 1e-12);
  CHECK_REL(p->hbm_eff, HBM_EFF, 1e-12);
  tf_gpu_profile bad = *p;
  bad.hbm_eff = 1.5;
  TF_CHECK_INT(tf_gpu_profile_check(&bad), TF_ERANGE);
  bad = *p;
  bad.kernel_gap_s = -1;
  TF_CHECK_INT(tf_gpu_profile_check(&bad), TF_ERANGE);
}

/* The GEMM model against DeepGEMM's published FP8 timings on H800 (README, 2025-02): within 9%
 * for the wide shapes, optimistic by about 30% for the narrow N = 2112 ones. */
static void test_gemm_vs_deepgemm(void) {
  const tf_catalog_gpu *h800 = tf_catalog_find_gpu(cat, "h800");
  static const struct {
    double m, n, k, tflops, lo, hi; /* measured; accepted model/measured time ratio */
  } pts[] = {
      {64, 2112, 7168, 206, 0.6, 0.8},
      {128, 2112, 7168, 352, 0.6, 0.8},
      {128, 4096, 7168, 533, 0.91, 1.09},
      {128, 7168, 2048, 510, 0.91, 1.09},
  };
  for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
    tf_perf_part p;
    TF_CHECK_INT(tf_perf_gemm(tf_gpu_profile_default(), h800, TF_PREC_FP8, TF_PREC_FP8, pts[i].m,
                              pts[i].n, pts[i].k, &p),
                 0);
    double measured = 2 * pts[i].m * pts[i].n * pts[i].k / (pts[i].tflops * 1e12);
    double ratio = p.time_s / measured;
    printf("  GEMM %4.0f x %4.0f x %4.0f FP8 on H800: model %6.2f us, DeepGEMM %6.2f us (%.3f)\n",
           pts[i].m, pts[i].n, pts[i].k, p.time_s * 1e6, measured * 1e6, ratio);
    TF_CHECK(ratio >= pts[i].lo && ratio <= pts[i].hi);
  }
  tf_perf_part p;
  TF_CHECK_INT(tf_perf_gemm(tf_gpu_profile_default(), h800, TF_PREC_FP8, TF_PREC_FP8, -1, 1, 1, &p),
               TF_EINVAL);
}

static void test_precision(void) {
  TF_CHECK_NEAR(tf_precision_bytes(TF_PREC_BF16), 2, 0);
  TF_CHECK_NEAR(tf_precision_bytes(TF_PREC_FP8), 1, 0);
  TF_CHECK_NEAR(tf_precision_bytes(TF_PREC_FP4), 0.5625, 0); /* 4 bits + FP8 scale per 16 */
  tf_precision p;
  TF_CHECK_INT(tf_precision_parse("fp4", &p), 0);
  TF_CHECK_INT(p, TF_PREC_FP4);
  TF_CHECK_INT(tf_precision_parse("int4", &p), TF_ENOTFOUND);
}

/* Shapes against the models' config.json arithmetic. */
static void test_shapes(void) {
  tf_perf_shape s;
  TF_CHECK_INT(tf_perf_shape_of(tf_catalog_find_model(cat, "llama-3.1-70b"), &s), 0);
  /* Q and O: 8192 x 64 x 128 each; K and V: 8192 x 8 x 128 each. */
  TF_CHECK_NEAR(s.attn_params_per_layer, 2.0 * 8192 * 8192 + 2.0 * 8192 * 1024, 0);
  TF_CHECK_NEAR(s.dense_ffn_params, 3.0 * 8192 * 28672, 0);
  TF_CHECK_NEAR(s.kv_values_per_token_layer, 2.0 * 8 * 128, 0);
  TF_CHECK_INT(s.moe_layers, 0);
  /* The parts add up to the published parameter count (norms, 0.002%, aside). */
  double total = 80 * (s.attn_params_per_layer + s.dense_ffn_params) + s.embed_params;
  CHECK_REL(total, 70553706496.0, 1e-4);

  TF_CHECK_INT(tf_perf_shape_of(tf_catalog_find_model(cat, "deepseek-v3"), &s), 0);
  TF_CHECK_INT(s.moe_layers, 58);
  TF_CHECK_INT(s.dense_layers, 3);
  TF_CHECK_NEAR(s.expert_params, 3.0 * 7168 * 2048, 0);
  TF_CHECK_NEAR(s.kv_values_per_token_layer, 512 + 64, 0);
  /* From the config's shapes: q_a 7168x1536, q_b 1536x(128x192), kv_a 7168x576,
   * kv_b 512x(128x256), o (128x128)x7168 = 187.1 M; the remainder method gives within 1%. */
  double mla = 7168.0 * 1536 + 1536.0 * 128 * 192 + 7168.0 * 576 + 512.0 * 128 * 256 +
               128.0 * 128 * 7168;
  CHECK_REL(s.attn_params_per_layer, mla, 0.01);
  /* Absorbed decode: 2 x 128 x (512 + 64) + 2 x 128 x 512 FLOPs per (query, key). */
  TF_CHECK_NEAR(s.decode_attn_flops_per_pair, 2.0 * 128 * 576 + 2.0 * 128 * 512, 0);
}

/* A dense GEMM at a known shape: Llama-3.1-70B's FFN on one H100 in BF16, a 4096-token prefill.
 * Per layer 2 x 4096 x (3 x 8192 x 28672) FLOPs at 989 TFLOP/s x eff(4096); compute-bound. */
static void test_dense_gemm(void) {
  tf_perf_config c = config("llama-3.1-70b", "h100-sxm", 8, 1, 1, 1, TF_PREC_BF16);
  TF_CHECK_INT(tf_perf_config_check(&c), 0);
  tf_perf_batch b = tf_perf_prefill(1, 4096, 0);
  TF_CHECK_NEAR(b.prefill_attended, 4096.0 * 4097 / 2, 0);
  tf_perf_step st;
  TF_CHECK_INT(tf_perf_step_time(&c, &b, &st), 0);
  /* FLOPs at 989 TFLOP/s x gemm_eff plus weights (BF16) and activations in and out at HBM. */
  double flops = 2.0 * 4096 * 3 * 8192 * 28672;
  double bytes = 3.0 * 8192 * 28672 * 2 + 2.0 * 4096 * 8192 * 2;
  double per_layer = flops / (989e12 * GEMM_EFF) + bytes / (3.35e12 * HBM_EFF);
  const tf_perf_part *ffn = &st.part[TF_PERF_DENSE_FFN];
  CHECK_REL(ffn->time_s, 80 * per_layer, 1e-9);
  CHECK_REL(ffn->flops, 80 * flops, 1e-12);
  TF_CHECK_INT(ffn->bound, TF_BOUND_COMPUTE);
  TF_CHECK_NEAR(st.part[TF_PERF_EXPERTS].time_s, 0, 0);
  TF_CHECK_NEAR(st.part[TF_PERF_TP_ALLREDUCE].time_s, 0, 0);
  /* Prefill attention: 4 x 64 x 128 FLOPs per pair at 660 TFLOPS (FlashMLA's fraction). */
  double attn = 80 * 4096.0 * 4097 / 2 * 4 * 64 * 128 / (989e12 * 660.0 / 989.0);
  CHECK_REL(st.part[TF_PERF_ATTN_CORE].time_s, attn, 1e-9);
  /* The same GEMM at one token is bound by reading the weights from HBM. */
  tf_perf_batch one = tf_perf_decode(1, 0);
  TF_CHECK_INT(tf_perf_step_time(&c, &one, &st), 0);
  TF_CHECK_INT(st.part[TF_PERF_DENSE_FFN].bound, TF_BOUND_HBM);
  double t1 = 2.0 * 3 * 8192 * 28672 / (989e12 * GEMM_EFF) +
               (3.0 * 8192 * 28672 * 2 + 2.0 * 8192 * 2) / (3.35e12 * HBM_EFF);
  CHECK_REL(st.part[TF_PERF_DENSE_FFN].time_s, 80 * t1, 1e-9);
}

/* Decode attention reads the whole KV cache: GQA 2 x kv_heads x head_dim values per token per
 * layer, MLA kv_lora_rank + rope values. */
static void test_decode_attention_bytes(void) {
  tf_perf_step st;
  tf_perf_batch b = tf_perf_decode(1, 1000);
  tf_perf_config c = config("llama-3.1-70b", "h200", 8, 1, 1, 1, TF_PREC_BF16);
  TF_CHECK_INT(tf_perf_step_time(&c, &b, &st), 0);
  TF_CHECK_NEAR(st.part[TF_PERF_ATTN_CORE].hbm_bytes, 80 * 1000.0 * (2 * 8 * 128) * 2, 0);
  TF_CHECK_INT(st.part[TF_PERF_ATTN_CORE].bound, TF_BOUND_HBM);
  /* TP 8 splits the 8 KV heads: one per GPU. */
  c = config("llama-3.1-70b", "h200", 8, 8, 1, 1, TF_PREC_BF16);
  TF_CHECK_INT(tf_perf_step_time(&c, &b, &st), 0);
  TF_CHECK_NEAR(st.part[TF_PERF_ATTN_CORE].hbm_bytes, 80 * 1000.0 * (2 * 1 * 128) * 2, 0);

  c = config("deepseek-v3", "h200", 8, 1, 8, 8, TF_PREC_FP8);
  c.routing.imbalance = 1;
  b = tf_perf_decode(8, 1000); /* one sequence per attention group */
  TF_CHECK_INT(tf_perf_step_time(&c, &b, &st), 0);
  TF_CHECK_NEAR(st.part[TF_PERF_ATTN_CORE].hbm_bytes, 61 * 1000.0 * 576 * 1, 0);
  /* MLA under TP: every rank reads the whole latent (why DP attention is used). */
  c = config("deepseek-v3", "h200", 8, 8, 1, 8, TF_PREC_BF16);
  b = tf_perf_decode(1, 1000);
  TF_CHECK_INT(tf_perf_step_time(&c, &b, &st), 0);
  TF_CHECK_NEAR(st.part[TF_PERF_ATTN_CORE].hbm_bytes, 61 * 1000.0 * 576 * 2, 0);
}

/* EP all-to-all of DeepSeek-V3 decode, 256 sequences, FP8 dispatch, BF16 combine, imbalance
 * fixed at 1. Inside one 8-GPU NVLink node and across two. */
static void test_all_to_all(void) {
  tf_perf_step st;
  tf_perf_batch b = tf_perf_decode(256, 1000);
  tf_perf_config c = config("deepseek-v3", "h200", 8, 1, 8, 8, TF_PREC_FP8);
  c.routing.imbalance = 1;
  TF_CHECK_INT(tf_perf_step_time(&c, &b, &st), 0);
  /* Each GPU sends 256/8 tokens x 8 copies x 7/8 remote x 7168 B; NVLink 900/2 GB/s one way. */
  double bytes = 256.0 / 8 * 8 * 7 / 8 * 7168;
  double t = bytes / (450e9 * UP_EFF) + UP_LAT;
  CHECK_REL(st.part[TF_PERF_EP_DISPATCH].time_s, 58 * t, 1e-9);
  CHECK_REL(st.part[TF_PERF_EP_DISPATCH].net_bytes, 58 * bytes, 1e-12);
  TF_CHECK_INT(st.part[TF_PERF_EP_DISPATCH].bound, TF_BOUND_SCALE_UP);
  CHECK_REL(st.part[TF_PERF_EP_COMBINE].time_s, 58 * (2 * bytes / (450e9 * UP_EFF) + UP_LAT),
            1e-9);

  /* 16 GPUs in two nodes: 7 of 15 peers over NVLink, 8 over one 400 Gb/s NIC per GPU. */
  c = config("deepseek-v3", "h200", 8, 1, 16, 16, TF_PREC_FP8);
  c.routing.imbalance = 1;
  TF_CHECK_INT(tf_perf_step_time(&c, &b, &st), 0);
  bytes = 256.0 / 16 * 8 * 15 / 16 * 7168;
  double t_up = bytes * 7 / 15 / (450e9 * UP_EFF), t_out = bytes * 8 / 15 / (50e9 * OUT_EFF);
  TF_CHECK(t_out > t_up);
  CHECK_REL(st.part[TF_PERF_EP_DISPATCH].time_s, 58 * (t_out + OUT_LAT), 1e-9);
  TF_CHECK_INT(st.part[TF_PERF_EP_DISPATCH].bound, TF_BOUND_SCALE_OUT);

  /* TP all-reduce, Llama-70B on 8 GPUs: 2 per layer, ring 2 x 7/8 x tokens x 8192 x 2 B. */
  c = config("llama-3.1-70b", "h100-sxm", 8, 8, 1, 1, TF_PREC_BF16);
  b = tf_perf_decode(64, 1000);
  TF_CHECK_INT(tf_perf_step_time(&c, &b, &st), 0);
  double ar = 2.0 * 7 / 8 * 64 * 8192 * 2;
  CHECK_REL(st.part[TF_PERF_TP_ALLREDUCE].time_s, 80 * 2 * (ar / (450e9 * UP_EFF) + UP_LAT),
            1e-9);
}

/* Memory fit of DeepSeek-V3 in FP8 with DP attention and EP over 8 GPUs: fits on H200
 * (141 GB), not on H100 (80 GB). Per GPU: all attention weights (DP), 1/8 of the experts. */
static void test_memory_fit(void) {
  tf_perf_memory h200, h100;
  tf_perf_config c = config("deepseek-v3", "h200", 8, 1, 8, 8, TF_PREC_FP8);
  TF_CHECK_INT(tf_perf_memory_fit(&c, &h200), 0);
  c.hw.gpu = tf_catalog_find_gpu(cat, "h100-sxm");
  TF_CHECK_INT(tf_perf_memory_fit(&c, &h100), 0);
  tf_perf_shape s;
  tf_perf_shape_of(c.model, &s);
  double weights = 61 * s.attn_params_per_layer + 58 * (s.shared_params + s.router_params) +
                   58 * 256.0 / 8 * s.expert_params + 3 * s.dense_ffn_params + s.embed_params;
  CHECK_REL(h200.weight_bytes, weights, 1e-12); /* FP8: one byte each */
  TF_CHECK(weights > 95e9 && weights < 100e9);
  TF_CHECK(h200.fits);
  TF_CHECK(!h100.fits);
  TF_CHECK(h100.kv_bytes < 0);
  CHECK_REL(h200.usable_bytes, 0.9 * 141e9, 1e-12);
  CHECK_REL(h200.kv_bytes_per_token, 61 * 576.0, 1e-12);
  CHECK_REL(h200.kv_bytes, h200.usable_bytes - h200.weight_bytes - h200.workspace_bytes, 1e-12);
  /* Tensor parallelism shares attention weights too, but 671 GB / 8 still exceeds 72 GB. */
  c = config("deepseek-v3", "h100-sxm", 8, 8, 1, 8, TF_PREC_FP8);
  TF_CHECK_INT(tf_perf_memory_fit(&c, &h100), 0);
  TF_CHECK(!h100.fits);
  TF_CHECK(h100.weight_bytes > 671e9 / 8 * 0.99);
  /* FP4 experts bring it within an H100. */
  c.precision.experts = TF_PREC_FP4;
  TF_CHECK_INT(tf_perf_memory_fit(&c, &h100), 0);
  TF_CHECK(h100.fits);
}

/* The step uses the routing model's imbalance, and a fixed one when the scenario sets it. */
static void test_imbalance(void) {
  tf_perf_config c = config("deepseek-v3", "h200", 8, 1, 8, 8, TF_PREC_FP8);
  tf_perf_batch b = tf_perf_decode(128, 1000);
  tf_perf_step st, st1;
  TF_CHECK_INT(tf_perf_step_time(&c, &b, &st), 0);
  tf_moe_routing r = {.experts = 256, .experts_per_token = 8, .ranks = 8};
  tf_moe_load load;
  TF_CHECK_INT(tf_moe_load_expected(&r, 128, &load), 0);
  CHECK_REL(st.imbalance, load.imbalance, 1e-12);
  TF_CHECK(st.imbalance > 1);
  c.routing.imbalance = 1;
  TF_CHECK_INT(tf_perf_step_time(&c, &b, &st1), 0);
  CHECK_REL(st.part[TF_PERF_EXPERTS].flops, st1.part[TF_PERF_EXPERTS].flops * load.imbalance,
            1e-9);
  TF_CHECK(st.stage_s > st1.stage_s);
}

/* A load cache changes the cost, never the result. */
static void test_load_cache(void) {
  tf_perf_config c = config("deepseek-v3", "h200", 8, 1, 8, 8, TF_PREC_FP8);
  tf_perf_load_cache cache;
  TF_CHECK_INT(tf_perf_load_cache_init(&cache, 4096), 0);
  tf_perf_config cached = c;
  cached.load_cache = &cache;
  const tf_perf_batch batches[] = {tf_perf_decode(64, 1000), tf_perf_decode(3, 100),
                                   tf_perf_prefill(8, 512, 0), tf_perf_decode(64, 1000),
                                   tf_perf_decode(1000, 10) /* beyond the cache */};
  for (size_t i = 0; i < sizeof batches / sizeof batches[0]; i++) {
    tf_perf_step a, b;
    TF_CHECK_INT(tf_perf_step_time(&c, &batches[i], &a), 0);
    TF_CHECK_INT(tf_perf_step_time(&cached, &batches[i], &b), 0);
    TF_CHECK(memcmp(&a, &b, sizeof a) == 0);
  }
  TF_CHECK(cache.filled[64] && cache.filled[3] && cache.filled[4096]);
  TF_CHECK(!cache.filled[65]);
  /* A fixed imbalance still applies over cached loads. */
  cached.routing.imbalance = 1.25;
  tf_perf_step st;
  TF_CHECK_INT(tf_perf_step_time(&cached, &batches[0], &st), 0);
  TF_CHECK_NEAR(st.imbalance, 1.25, 0);
  tf_perf_load_cache_fini(&cache);
  TF_CHECK_INT(tf_perf_load_cache_init(&cache, -1), TF_ERANGE);
}

static double decode_rate(tf_perf_config *c, double seqs_per_gpu, double ctx) {
  double gpus = (double)(c->layout.tp * c->layout.dp * c->layout.pp);
  tf_perf_batch b = tf_perf_decode(seqs_per_gpu * gpus, ctx);
  tf_perf_step st;
  if (tf_perf_step_time(c, &b, &st) != 0)
    return -1;
  return st.tokens_out_per_s_per_gpu;
}

/* Decode tokens/s per GPU grows with batch until HBM or compute saturates. */
static void test_batch_growth(void) {
  tf_perf_config c = config("deepseek-v3", "h200", 8, 1, 8, 8, TF_PREC_FP8);
  double prev = 0, first_gain = 0, last_gain = 0;
  for (double n = 1; n <= 1024; n *= 2) {
    double r = decode_rate(&c, n, 2048);
    TF_CHECK(r > prev);
    double gain = prev > 0 ? r / prev : 0;
    if (n == 2)
      first_gain = gain;
    last_gain = gain;
    printf("  deepseek-v3 8xH200 EP8 FP8 decode, %5.0f seq/GPU at 2048 ctx: %8.1f tok/s/GPU\n",
           n, r);
    prev = r;
  }
  /* Small MoE batches gain less than 2x per doubling: each new token also activates experts
   * whose weights must be read. Large batches saturate. */
  TF_CHECK(first_gain > 1.4);
  TF_CHECK(last_gain < 1.3);
  /* A dense model reads the same weights whatever the batch: doubling a small batch nearly
   * doubles tokens/s. */
  c = config("llama-3.1-70b", "h200", 8, 8, 1, 1, TF_PREC_FP8);
  double r1 = decode_rate(&c, 1.0 / 8, 2048), r2 = decode_rate(&c, 2.0 / 8, 2048);
  TF_CHECK(r2 / r1 > 1.9);
  prev = 0;
  for (double n = 1; n <= 512; n *= 2) {
    double r = decode_rate(&c, n / 8, 2048);
    TF_CHECK(r > prev);
    prev = r;
  }
}

/* Wide EP over a 72-GPU NVLink domain beats the same EP over 8-GPU nodes on a 400 Gb/s fabric. */
static void test_nvl72_vs_nodes(void) {
  tf_perf_config nvl = config("deepseek-v3", "gb200", 72, 1, 72, 72, TF_PREC_FP8);
  tf_perf_config nodes = nvl;
  nodes.hw.scale_up_domain = 8;
  for (double n = 8; n <= 256; n *= 2) {
    double a = decode_rate(&nvl, n, 4096), b = decode_rate(&nodes, n, 4096);
    printf("  deepseek-v3 EP72 decode %3.0f seq/GPU: NVL72 %8.1f, 8-GPU nodes %8.1f tok/s/GPU\n",
           n, a, b);
    TF_CHECK(a > b * 1.1);
  }
}

/* FP4 experts beat FP8 experts on Blackwell, in decode and in prefill. */
static void test_fp4_experts(void) {
  tf_perf_config fp8 = config("deepseek-v3", "b200", 8, 1, 8, 8, TF_PREC_FP8);
  tf_perf_config fp4 = fp8;
  fp4.precision.experts = TF_PREC_FP4;
  fp4.precision.activations = TF_PREC_FP4;
  for (double n = 1; n <= 256; n *= 4)
    TF_CHECK(decode_rate(&fp4, n, 2048) > decode_rate(&fp8, n, 2048));
  tf_perf_batch b = tf_perf_prefill(8, 8192, 0);
  tf_perf_step s8, s4;
  TF_CHECK_INT(tf_perf_step_time(&fp8, &b, &s8), 0);
  TF_CHECK_INT(tf_perf_step_time(&fp4, &b, &s4), 0);
  TF_CHECK(s4.prefill_tokens_per_s_per_gpu > s8.prefill_tokens_per_s_per_gpu);
  TF_CHECK(s4.part[TF_PERF_EXPERTS].time_s < s8.part[TF_PERF_EXPERTS].time_s * 0.6);
}

/* Speculation: accepted tokens 1 + a for one draft; the draft costs a layer. */
static void test_speculation(void) {
  tf_perf_config c = config("deepseek-v3", "h200", 8, 1, 8, 8, TF_PREC_FP8);
  c.speculation = (tf_perf_speculation){.draft_tokens = 2, .acceptance = 0.8};
  tf_perf_batch b = tf_perf_decode(64, 1000);
  tf_perf_step st;
  TF_CHECK_INT(tf_perf_step_time(&c, &b, &st), 0);
  TF_CHECK_NEAR(st.accepted_per_seq, 1 + 0.8 + 0.64, 1e-12);
  TF_CHECK_NEAR(st.tokens_out, 64 * 2.44, 1e-9);
  TF_CHECK_NEAR(st.tokens_in, 64 * 3, 0);
  TF_CHECK(st.part[TF_PERF_DRAFT].time_s > 0);
}

static void test_errors(void) {
  tf_perf_config c = config("deepseek-v3", "h200", 8, 3, 1, 2, TF_PREC_FP8);
  TF_CHECK_INT(tf_perf_config_check(&c), TF_ERANGE); /* ep 2 does not divide 3 */
  c = config("deepseek-v3", "h200", 8, 3, 1, 1, TF_PREC_FP8);
  TF_CHECK_INT(tf_perf_config_check(&c), TF_ERANGE); /* 128 heads over tp 3 */
  c = config("llama-3.1-70b", "h200", 8, 1, 8, 8, TF_PREC_BF16);
  TF_CHECK_INT(tf_perf_config_check(&c), TF_ERANGE); /* EP on a dense model */
  c = config("llama-3.1-70b", "h200", 8, 1, 1, 1, TF_PREC_BF16);
  c.memory_utilisation = 0;
  TF_CHECK_INT(tf_perf_config_check(&c), TF_ERANGE);
  c.memory_utilisation = 0.9;
  tf_perf_batch bad = {.decode_sequences = -1};
  tf_perf_step st;
  TF_CHECK_INT(tf_perf_step_time(&c, &bad, &st), TF_EINVAL);
}

int main(void) {
  tf_diags *d;
  if (tf_diags_create(&d) != 0 || tf_catalog_open(TF_CATALOG_DIR, &cat, d) != 0) {
    tf_diags_print(d, stderr);
    return 1;
  }
  tf_diags_destroy(d);
  test_profile();
  test_gemm_vs_deepgemm();
  test_precision();
  test_shapes();
  test_dense_gemm();
  test_decode_attention_bytes();
  test_all_to_all();
  test_memory_fit();
  test_imbalance();
  test_load_cache();
  test_batch_growth();
  test_nvl72_vs_nodes();
  test_fp4_experts();
  test_speculation();
  test_errors();
  tf_catalog_destroy(cat);
  return tf_test_report("models_perf");
}
