/* The calibration sweep (which configurations, FLOPs and bytes of hand-picked ones, the estimated
 * duration of each mode against its budget, the power-limit subset), the attention launch plan
 * and the timing percentiles. No GPU needed. */
#include <math.h>
#include <string.h>

#include "attn.h"
#include "error.h"
#include "plan.h"
#include "tf_test.h"
#include "timing.h"

typedef struct counts {
  int idle, hbm, gemm, grouped, attn, fp8_gemm, fp8_attn, mla;
  int64_t min_m, max_m, max_grouped_m, max_batch, min_context, max_context, min_bytes, max_bytes;
} counts;

static counts count(const tf_plan *p) {
  counts c = {.min_m = INT64_MAX, .min_context = INT64_MAX, .min_bytes = INT64_MAX};
  for (size_t i = 0; i < p->n; i++) {
    const tf_plan_item *it = &p->items[i];
    TF_CHECK(it->power_limit_w == 0);
    TF_CHECK(it->shape != NULL);
    switch (it->kernel) {
    case TF_KERNEL_IDLE: c.idle++; break;
    case TF_KERNEL_HBM_STREAM:
      c.hbm++;
      c.min_bytes = it->bytes < c.min_bytes ? it->bytes : c.min_bytes;
      c.max_bytes = it->bytes > c.max_bytes ? it->bytes : c.max_bytes;
      break;
    case TF_KERNEL_GEMM:
      c.gemm++;
      c.fp8_gemm += it->dtype == TF_DTYPE_E4M3;
      c.min_m = it->m < c.min_m ? it->m : c.min_m;
      c.max_m = it->m > c.max_m ? it->m : c.max_m;
      TF_CHECK_INT(it->groups, 1);
      break;
    case TF_KERNEL_GROUPED_GEMM:
      c.grouped++;
      c.max_grouped_m = it->m > c.max_grouped_m ? it->m : c.max_grouped_m;
      TF_CHECK(it->groups == 8 || it->groups == 32);
      break;
    case TF_KERNEL_ATTN_DECODE:
      c.attn++;
      c.fp8_attn += it->dtype == TF_DTYPE_E4M3;
      c.mla += it->layout == TF_LAYOUT_MLA;
      c.max_batch = it->batch > c.max_batch ? it->batch : c.max_batch;
      c.min_context = it->context < c.min_context ? it->context : c.min_context;
      c.max_context = it->context > c.max_context ? it->context : c.max_context;
      TF_CHECK_INT(it->page_size, TF_PLAN_PAGE_TOKENS);
      break;
    }
  }
  return c;
}

/* tokenfab fit refuses a configuration measured twice (docs/CALIBRATION.md): no two items share
 * kernel, dtype, layout, shape, bytes and power limit. O(n^2), fine for a few hundred. */
static int duplicates(const tf_plan *p) {
  int n = 0;
  for (size_t i = 0; i < p->n; i++)
    for (size_t j = i + 1; j < p->n; j++) {
      const tf_plan_item *a = &p->items[i], *b = &p->items[j];
      n += a->kernel != TF_KERNEL_IDLE && a->kernel == b->kernel && a->dtype == b->dtype &&
           a->layout == b->layout && a->m == b->m && a->n == b->n && a->k == b->k &&
           a->groups == b->groups && a->batch == b->batch && a->context == b->context &&
           a->heads == b->heads && a->kv_heads == b->kv_heads && a->head_dim == b->head_dim &&
           a->bytes == b->bytes && a->power_limit_w == b->power_limit_w;
    }
  return n;
}

static void test_quick(void) {
  tf_plan p;
  TF_CHECK_INT(tf_plan_init(&p, TF_PLAN_QUICK), 0);
  counts c = count(&p);
  TF_CHECK_INT(c.idle, 1);
  TF_CHECK_INT(c.hbm, 4);        /* 1 MiB, 16 MiB, 256 MiB, 4 GiB */
  TF_CHECK_INT(c.gemm, 20);      /* 2 shapes x 2 types x 5 token counts */
  TF_CHECK_INT(c.fp8_gemm, 10);
  TF_CHECK_INT(c.grouped, 16);   /* 1 shape x 2 types x 2 expert counts x 4 */
  TF_CHECK_INT(c.attn, 18);      /* 2 layouts x 3 batches x 3 contexts */
  TF_CHECK_INT(c.mla, 9);
  TF_CHECK_INT(c.min_m, 1);
  TF_CHECK_INT(c.max_m, 16384);
  TF_CHECK_INT(c.max_batch, 256);
  TF_CHECK_INT(c.max_context, 32768);
  TF_CHECK_INT(c.min_bytes, 1 << 20);
  TF_CHECK_INT(c.max_bytes, (int64_t)1 << 32);
  TF_CHECK_INT(p.n, 59);
  TF_CHECK_INT(p.items[0].kernel, TF_KERNEL_IDLE);
  TF_CHECK_INT(duplicates(&p), 0);
  tf_plan_rates r = tf_plan_rates_h100();
  double est = tf_plan_estimate_s(&p, &r);
  printf("quick: %zu configurations, estimated %.1f s with NVML\n", p.n, est);
  TF_CHECK(est < 90); /* the quick sweep is to take under 2 minutes, self-check included */
  TF_CHECK(p.timing.deadline_s < 120);
  r.nvml = false;
  TF_CHECK(tf_plan_estimate_s(&p, &r) < est);
  tf_plan_fini(&p);
}

static void test_full(void) {
  tf_plan p;
  TF_CHECK_INT(tf_plan_init(&p, TF_PLAN_FULL), 0);
  counts c = count(&p);
  TF_CHECK_INT(c.idle, 1);
  TF_CHECK_INT(c.hbm, 13);       /* 2^20 .. 2^32 bytes */
  TF_CHECK_INT(c.gemm, 270);     /* 9 shapes x 2 types x 15 token counts (1 .. 16384) */
  TF_CHECK_INT(c.grouped, 80);   /* 2 shapes x 2 types x 2 expert counts x 10 (1 .. 512) */
  TF_CHECK_INT(c.attn, 156);     /* 2 layouts x (9 batches x 6 contexts BF16 + 4 x 6 FP8) */
  TF_CHECK_INT(c.fp8_attn, 48);
  TF_CHECK_INT(c.min_m, 1);
  TF_CHECK_INT(c.max_m, 16384);
  TF_CHECK_INT(c.max_grouped_m, 512);
  TF_CHECK_INT(c.max_batch, 256);
  TF_CHECK_INT(c.min_context, 1024);
  TF_CHECK_INT(c.max_context, 32768);
  tf_plan_rates r = tf_plan_rates_h100();
  double est = tf_plan_estimate_s(&p, &r);
  printf("full: %zu configurations, estimated %.1f s with NVML\n", p.n, est);
  TF_CHECK(est < 480); /* under 10 minutes with room for the power-limit subsets */
  TF_CHECK(p.timing.deadline_s < 600);

  /* Two power limits add two subsets, every item at its limit. */
  size_t before = p.n;
  TF_CHECK_INT(tf_plan_add_power_limit(&p, 525), 0);
  size_t subset = p.n - before;
  TF_CHECK_INT(tf_plan_add_power_limit(&p, 350), 0);
  TF_CHECK_INT(p.n - before, 2 * subset);
  TF_CHECK(subset >= 20 && subset <= 40);
  for (size_t i = before; i < p.n; i++)
    TF_CHECK(p.items[i].power_limit_w == (i < before + subset ? 525 : 350));
  TF_CHECK_INT(tf_plan_add_power_limit(&p, 0), TF_EINVAL);
  TF_CHECK_INT(tf_plan_add_power_limit(&p, NAN), TF_EINVAL);
  TF_CHECK_INT(duplicates(&p), 0);
  double with_limits = tf_plan_estimate_s(&p, &r);
  printf("full with two power limits: estimated %.1f s\n", with_limits);
  TF_CHECK(with_limits < 560);
  tf_plan_fini(&p);
  tf_plan_fini(&p); /* twice is harmless */
}

static void test_flops_bytes(void) {
  /* Llama 3.1 70B attention output, 16 tokens, BF16: 2 x 16 x 8192 x 8192 FLOPs; bytes:
   * (16 x 8192 + 8192 x 8192) x 2 read, 16 x 8192 x 2 written. */
  tf_plan_item g = {.kernel = TF_KERNEL_GEMM, .dtype = TF_DTYPE_BF16, .m = 16, .n = 8192,
                    .k = 8192, .groups = 1};
  TF_CHECK_NEAR(tf_plan_flops(&g), 2147483648.0, 0);
  TF_CHECK_NEAR(tf_plan_bytes_moved(&g), 134742016.0, 0);
  /* 8 experts of DeepSeek-V3 gate+up, 4 tokens each, FP8: 2 x 4 x 4096 x 7168 x 8 FLOPs; bytes
   * 8 x ((4 x 7168 + 4096 x 7168) x 1 + 4 x 4096 x 2). */
  tf_plan_item e = {.kernel = TF_KERNEL_GROUPED_GEMM, .dtype = TF_DTYPE_E4M3, .m = 4, .n = 4096,
                    .k = 7168, .groups = 8};
  TF_CHECK_NEAR(tf_plan_flops(&e), 1879048192.0, 0);
  TF_CHECK_NEAR(tf_plan_bytes_moved(&e), 235372544.0, 0);
  /* MLA, 2 sequences of 1024 tokens, BF16: 2 x 2 x 128 x 1024 x (576 + 512) FLOPs; bytes: queries
   * 2 x 128 x 576 x 2, one 576-wide row per token 2 x 1024 x 576 x 2, output 2 x 128 x 512 x 4. */
  tf_plan_item m = {.kernel = TF_KERNEL_ATTN_DECODE, .dtype = TF_DTYPE_BF16, .batch = 2,
                    .context = 1024, .heads = 128, .kv_heads = 1, .head_dim = 512,
                    .rope_dim = 64, .layout = TF_LAYOUT_MLA, .groups = 1};
  TF_CHECK_INT(tf_plan_qk_dim(&m), 576);
  TF_CHECK_INT(tf_plan_v_dim(&m), 512);
  TF_CHECK_NEAR(tf_plan_flops(&m), 570425344.0, 0);
  TF_CHECK_NEAR(tf_plan_bytes_moved(&m), 3178496.0, 0);
  /* GQA (64 heads on 8 KV heads of 128), 1 sequence of 1024 tokens, FP8 cache: 2 x 64 x 1024 x
   * 256 FLOPs; bytes: queries 64 x 128 x 2, keys and values 1024 x 8 x 256 x 1, output
   * 64 x 128 x 4. */
  tf_plan_item q = {.kernel = TF_KERNEL_ATTN_DECODE, .dtype = TF_DTYPE_E4M3, .batch = 1,
                    .context = 1024, .heads = 64, .kv_heads = 8, .head_dim = 128,
                    .layout = TF_LAYOUT_GQA, .groups = 1};
  TF_CHECK_NEAR(tf_plan_flops(&q), 33554432.0, 0);
  TF_CHECK_NEAR(tf_plan_bytes_moved(&q), 2146304.0, 0);
  tf_plan_item h = {.kernel = TF_KERNEL_HBM_STREAM, .bytes = 1 << 20, .groups = 1};
  TF_CHECK_NEAR(tf_plan_flops(&h), 131072.0, 0);
  TF_CHECK_NEAR(tf_plan_bytes_moved(&h), 1048576.0, 0);
  tf_plan_item idle = {.kernel = TF_KERNEL_IDLE, .idle_s = 1, .groups = 1};
  TF_CHECK_NEAR(tf_plan_flops(&idle), 0, 0);
  TF_CHECK_NEAR(tf_plan_bytes_moved(&idle), 0, 0);
  TF_CHECK_STR(tf_plan_kernel_name(TF_KERNEL_GROUPED_GEMM), "grouped_gemm");
  TF_CHECK_STR(tf_plan_kernel_name(TF_KERNEL_ATTN_DECODE), "attn_decode");
  TF_CHECK_STR(tf_plan_kernel_name(TF_KERNEL_HBM_STREAM), "hbm_stream");
  TF_CHECK_STR(tf_plan_layout_name(TF_LAYOUT_MLA), "mla");
  TF_CHECK_STR(tf_plan_layout_name(TF_LAYOUT_NONE), "");
  TF_CHECK_STR(tf_dtype_name(TF_DTYPE_E4M3), "fp8");
}

static void test_attn_plan(void) {
  char err[256];
  tf_attn_plan p;
  /* DeepSeek-V3 MLA on an H100 (132 SMs, 227 KiB): 4 blocks of 32 heads per sequence; one
   * sequence of 32768 tokens wants 528 / 4 = 132 chunks: 1024 tiles in chunks of 8 tiles, 128. */
  tf_attn_desc mla = {.batch = 1, .heads = 128, .kv_heads = 1, .qk_dim = 576, .v_dim = 512,
                      .page_size = 64, .max_pages = 512, .v_in_k = true, .k_stride = 576,
                      .kv_type = TF_DTYPE_BF16, .scale = 1};
  TF_CHECK_INT(tf_attn_plan_make(&mla, 32768, 132, 227 * 1024, &p, err, sizeof err), 0);
  TF_CHECK(p.tensor_cores);
  TF_CHECK_INT(p.head_block, 32);
  TF_CHECK_INT(p.head_block_max, 32);
  TF_CHECK_INT(p.chunk, 256);
  TF_CHECK_INT(p.splits, 128);
  TF_CHECK_INT(p.k_row, 584);
  TF_CHECK_INT(p.q_off, 0);
  TF_CHECK_INT(p.k_off, 37376);       /* 32 x 584 x 2 */
  TF_CHECK_INT(p.v_off, 37376);       /* values are the key tile */
  TF_CHECK_INT(p.s_off, 74752);       /* + 32 x 584 x 2 */
  TF_CHECK_INT(p.p_off, 83968);       /* + 2 x 32 x 36 x 4 */
  TF_CHECK_INT(p.scratch_off, 86528); /* + 32 x 40 x 2 */
  TF_CHECK_INT(p.stat_off, 94720);    /* + 8 x 256 x 4 */
  TF_CHECK_INT(p.smem_bytes, 95104);  /* + 3 x 32 x 4 */
  TF_CHECK_INT(p.workspace_bytes, 1ull * 128 * 128 * 514 * 4);
  /* Fits Ada's 99 KiB, not the 48 KiB without opt-in. */
  TF_CHECK_INT(tf_attn_plan_make(&mla, 32768, 132, 99 * 1024, &p, err, sizeof err), 0);
  TF_CHECK_INT(tf_attn_plan_make(&mla, 32768, 132, 48 * 1024, &p, err, sizeof err), TF_EINVAL);
  TF_CHECK(strstr(err, "shared memory") != NULL);
  /* Llama 3.1 70B GQA, 256 sequences: 2048 blocks already, one chunk per sequence. */
  tf_attn_desc gqa = {.batch = 256, .heads = 64, .kv_heads = 8, .qk_dim = 128, .v_dim = 128,
                      .page_size = 64, .max_pages = 512, .k_stride = 128, .v_stride = 128,
                      .kv_type = TF_DTYPE_E4M3, .scale = 1};
  TF_CHECK_INT(tf_attn_plan_make(&gqa, 32768, 132, 227 * 1024, &p, err, sizeof err), 0);
  TF_CHECK(!p.tensor_cores);
  TF_CHECK_INT(p.head_block, 8);
  TF_CHECK_INT(p.head_block_max, 8);
  TF_CHECK_INT(p.splits, 1);
  TF_CHECK_INT(p.chunk, 32768);
  TF_CHECK_INT(p.k_off, 2176);  /* 8 x 136 x 2 */
  TF_CHECK_INT(p.v_off, 10880); /* + 32 x 136 x 2 */
  TF_CHECK_INT(p.p_off, 19584); /* + the value tile */
  TF_CHECK_INT(p.stat_off, 20736);
  TF_CHECK_INT(p.smem_bytes, 20864);
  /* Head blocks: the largest divisor of the group up to 32. */
  gqa.batch = 1;
  gqa.heads = 40; /* group 5 */
  TF_CHECK_INT(tf_attn_plan_make(&gqa, 100, 132, 227 * 1024, &p, err, sizeof err), 0);
  TF_CHECK_INT(p.head_block, 5);
  TF_CHECK_INT(p.head_block_max, 8);
  TF_CHECK(!p.tensor_cores);
  gqa.heads = 8 * 48; /* group 48: tensor cores, 24 heads padded to 32 rows */
  TF_CHECK_INT(tf_attn_plan_make(&gqa, 100, 132, 227 * 1024, &p, err, sizeof err), 0);
  TF_CHECK_INT(p.head_block, 24);
  TF_CHECK_INT(p.head_block_max, 32);
  TF_CHECK(p.tensor_cores);
  gqa.heads = 8 * 16;
  gqa.v_dim = 32; /* not a multiple of 64: CUDA cores */
  gqa.v_stride = 32;
  TF_CHECK_INT(tf_attn_plan_make(&gqa, 100, 132, 227 * 1024, &p, err, sizeof err), 0);
  TF_CHECK(!p.tensor_cores);
  TF_CHECK_INT(p.head_block_max, 32);
  gqa.v_dim = 128;
  gqa.v_stride = 128;
  /* Nothing cached: one chunk of one tile. */
  TF_CHECK_INT(tf_attn_plan_make(&gqa, 0, 132, 227 * 1024, &p, err, sizeof err), 0);
  TF_CHECK_INT(p.splits, 1);
  TF_CHECK_INT(p.chunk, 32);
  /* Sizes the kernel does not take. */
  tf_attn_desc bad = gqa;
  bad.heads = 12;
  bad.kv_heads = 8;
  TF_CHECK_INT(tf_attn_plan_make(&bad, 100, 132, 227 * 1024, &p, err, sizeof err), TF_EINVAL);
  bad = gqa;
  bad.v_dim = 96;
  TF_CHECK_INT(tf_attn_plan_make(&bad, 100, 132, 227 * 1024, &p, err, sizeof err), TF_EINVAL);
  bad = gqa;
  bad.qk_dim = 12;
  TF_CHECK_INT(tf_attn_plan_make(&bad, 100, 132, 227 * 1024, &p, err, sizeof err), TF_EINVAL);
  bad = gqa;
  TF_CHECK_INT(tf_attn_plan_make(&bad, 64 * 512 + 1, 132, 227 * 1024, &p, err, sizeof err),
               TF_EINVAL); /* longer than the page table holds */
  bad.kv_type = TF_DTYPE_F32;
  TF_CHECK_INT(tf_attn_plan_make(&bad, 100, 132, 227 * 1024, &p, err, sizeof err), TF_EINVAL);
  bad = gqa;
  bad.k_stride = 100;
  TF_CHECK_INT(tf_attn_plan_make(&bad, 100, 132, 227 * 1024, &p, err, sizeof err), TF_EINVAL);
}

static void test_quantiles(void) {
  double x[] = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
  tf_timing_stats s;
  tf_timing_summarise(x, 10, &s);
  TF_CHECK_INT(s.reps, 10);
  TF_CHECK_NEAR(x[0], 1, 0); /* sorted in place */
  TF_CHECK_NEAR(s.median_s, 5.5, 1e-12);
  TF_CHECK_NEAR(s.p10_s, 1.9, 1e-12); /* position 0.9 between 1 and 2 */
  TF_CHECK_NEAR(s.p90_s, 9.1, 1e-12); /* position 8.1 between 9 and 10 */
  double y[] = {3, 1, 2};
  tf_timing_summarise(y, 3, &s);
  TF_CHECK_NEAR(s.median_s, 2, 0);
  TF_CHECK_NEAR(s.p10_s, 1.2, 1e-12);
  TF_CHECK_NEAR(s.p90_s, 2.8, 1e-12);
  double one[] = {4e-6};
  tf_timing_summarise(one, 1, &s);
  TF_CHECK(s.median_s == 4e-6 && s.p10_s == 4e-6 && s.p90_s == 4e-6);
  TF_CHECK_NEAR(tf_timing_quantile(x, 10, 0), 1, 0);
  TF_CHECK_NEAR(tf_timing_quantile(x, 10, 1), 10, 0);
}

int main(void) {
  test_quick();
  test_full();
  test_flops_bytes();
  test_attn_plan();
  test_quantiles();
  return tf_test_report("kernels_plan");
}
