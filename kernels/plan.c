/* The calibration sweep: configurations per mode, their FLOPs and bytes, and duration estimates. */
#include "plan.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "error.h"

/* Model shapes, scenarios/catalog/models.yaml. DeepSeek-V3: hidden_size 7168, dense_ffn 18432,
 * expert_ffn 2048, heads 128, head_dim 128, kv_lora_rank 512, qk_rope_head_dim 64. Llama 3.1 70B:
 * hidden_size 8192, dense_ffn 28672, heads 64, kv_heads 8, head_dim 128. Gate and up projections
 * are one fused GEMM (n = 2 x FFN width) as serving engines run them. */
enum {
  DSV3_HIDDEN = 7168,
  DSV3_DENSE_FFN = 18432,
  DSV3_EXPERT_FFN = 2048,
  DSV3_HEADS = 128,
  DSV3_HEAD_DIM = 128,
  DSV3_KV_LORA = 512,
  DSV3_ROPE = 64,
  L70_HIDDEN = 8192,
  L70_FFN = 28672,
  L70_HEADS = 64,
  L70_KV_HEADS = 8,
  L70_HEAD_DIM = 128
};

typedef struct gemm_shape {
  int64_t n, k;
  const char *what;
} gemm_shape;

static const gemm_shape dense_shapes[] = {
    {L70_HIDDEN, L70_HIDDEN, "llama-3.1-70b attention output"},
    {2 * DSV3_DENSE_FFN, DSV3_HIDDEN, "deepseek-v3 dense FFN gate+up"},
    {DSV3_HIDDEN, DSV3_DENSE_FFN, "deepseek-v3 dense FFN down"},
    {2 * DSV3_EXPERT_FFN, DSV3_HIDDEN, "deepseek-v3 shared expert gate+up"},
    {DSV3_KV_LORA + DSV3_ROPE, DSV3_HIDDEN, "deepseek-v3 MLA KV down-projection"},
    {DSV3_HIDDEN, DSV3_HEADS * DSV3_HEAD_DIM, "deepseek-v3 attention output"},
    {(L70_HEADS + 2 * L70_KV_HEADS) * L70_HEAD_DIM, L70_HIDDEN, "llama-3.1-70b QKV projection"},
    {2 * L70_FFN, L70_HIDDEN, "llama-3.1-70b FFN gate+up"},
    {L70_HIDDEN, L70_FFN, "llama-3.1-70b FFN down"},
};
enum { QUICK_DENSE_SHAPES = 2 }; /* the quick sweep takes the first two */

static const gemm_shape expert_shapes[] = {
    {2 * DSV3_EXPERT_FFN, DSV3_HIDDEN, "deepseek-v3 routed experts gate+up"},
    {DSV3_HIDDEN, DSV3_EXPERT_FFN, "deepseek-v3 routed experts down"},
};

/* Experts on one GPU: DeepSeek-V3's 256 routed experts over EP 32 and EP 8. */
static const int64_t experts_per_gpu[] = {8, 32};

static int push(tf_plan *p, tf_plan_item it) {
  if (p->n == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 256;
    tf_plan_item *items = realloc(p->items, cap * sizeof *items);
    if (!items)
      return TF_ENOMEM;
    p->items = items;
    p->cap = cap;
  }
  p->items[p->n++] = it;
  return 0;
}

static tf_plan_item base(tf_plan_kernel kernel, double limit_w) {
  return (tf_plan_item){.kernel = kernel, .dtype = TF_DTYPE_F32, .groups = 1,
                        .power_limit_w = limit_w};
}

static int add_idle(tf_plan *p, double seconds, double limit_w) {
  tf_plan_item it = base(TF_KERNEL_IDLE, limit_w);
  it.idle_s = seconds;
  it.shape = "idle";
  return push(p, it);
}

static int add_hbm(tf_plan *p, int64_t bytes, double limit_w) {
  tf_plan_item it = base(TF_KERNEL_HBM_STREAM, limit_w);
  it.bytes = bytes;
  it.shape = "stream scale";
  return push(p, it);
}

static int add_gemm(tf_plan *p, tf_plan_kernel kernel, tf_dtype dtype, const gemm_shape *s,
                    int64_t m, int64_t groups, double limit_w) {
  tf_plan_item it = base(kernel, limit_w);
  it.dtype = dtype;
  it.m = m;
  it.n = s->n;
  it.k = s->k;
  it.groups = groups;
  it.shape = s->what;
  return push(p, it);
}

static int add_attn(tf_plan *p, tf_plan_layout layout, tf_dtype kv, int64_t batch,
                    int64_t context, double limit_w) {
  tf_plan_item it = base(TF_KERNEL_ATTN_DECODE, limit_w);
  it.dtype = kv;
  it.layout = layout;
  it.batch = batch;
  it.context = context;
  it.page_size = TF_PLAN_PAGE_TOKENS;
  if (layout == TF_LAYOUT_MLA) {
    it.heads = DSV3_HEADS;
    it.kv_heads = 1;
    it.head_dim = DSV3_KV_LORA;
    it.rope_dim = DSV3_ROPE;
    it.shape = "deepseek-v3 MLA decode";
  } else {
    it.heads = L70_HEADS;
    it.kv_heads = L70_KV_HEADS;
    it.head_dim = L70_HEAD_DIM;
    it.shape = "llama-3.1-70b GQA decode";
  }
  return push(p, it);
}

static const tf_plan_timing quick_timing = {
    .warmup = 2, .reps_min = 5, .reps_max = 50, .target_s = 0.02, .settle_s = 0.05,
    .window_s = 0.15, .limit_settle_s = 0.5, .deadline_s = 105.0};
static const tf_plan_timing full_timing = {
    .warmup = 3, .reps_min = 10, .reps_max = 200, .target_s = 0.05, .settle_s = 0.15,
    .window_s = 0.4, .limit_settle_s = 0.5, .deadline_s = 560.0};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int build(tf_plan *p) {
  bool full = p->mode == TF_PLAN_FULL;
  const tf_dtype gemm_types[] = {TF_DTYPE_BF16, TF_DTYPE_E4M3};
  int rc = add_idle(p, full ? 2.0 : 0.5, 0);

  /* HBM: 1 MiB (inside L2, which the flush before each timed launch empties) to 4 GiB, read
   * plus written. */
  for (int s = 20; rc == 0 && s <= 32; s += full ? 1 : 4)
    rc = add_hbm(p, (int64_t)1 << s, 0);

  /* Dense GEMMs: 1 to 16384 tokens (decode batches to long prefill chunks). */
  size_t n_dense = full ? COUNT(dense_shapes) : QUICK_DENSE_SHAPES;
  static const int64_t quick_tokens[] = {1, 16, 128, 1024, 16384};
  for (size_t s = 0; rc == 0 && s < n_dense; s++)
    for (size_t t = 0; rc == 0 && t < COUNT(gemm_types); t++) {
      if (full)
        for (int64_t m = 1; rc == 0 && m <= 16384; m *= 2)
          rc = add_gemm(p, TF_KERNEL_GEMM, gemm_types[t], &dense_shapes[s], m, 1, 0);
      else
        for (size_t i = 0; rc == 0 && i < COUNT(quick_tokens); i++)
          rc = add_gemm(p, TF_KERNEL_GEMM, gemm_types[t], &dense_shapes[s], quick_tokens[i], 1,
                        0);
    }

  /* Grouped expert GEMMs: 1 to 512 tokens per expert, 8 or 32 experts on the GPU. */
  size_t n_expert = full ? COUNT(expert_shapes) : 1;
  static const int64_t quick_per_expert[] = {1, 16, 128, 512};
  for (size_t s = 0; rc == 0 && s < n_expert; s++)
    for (size_t t = 0; rc == 0 && t < COUNT(gemm_types); t++)
      for (size_t e = 0; rc == 0 && e < COUNT(experts_per_gpu); e++) {
        if (full)
          for (int64_t m = 1; rc == 0 && m <= 512; m *= 2)
            rc = add_gemm(p, TF_KERNEL_GROUPED_GEMM, gemm_types[t], &expert_shapes[s], m,
                          experts_per_gpu[e], 0);
        else
          for (size_t i = 0; rc == 0 && i < COUNT(quick_per_expert); i++)
            rc = add_gemm(p, TF_KERNEL_GROUPED_GEMM, gemm_types[t], &expert_shapes[s],
                          quick_per_expert[i], experts_per_gpu[e], 0);
      }

  /* Decode attention: batch 1 to 256, context 1K to 32K; BF16 KV caches everywhere, FP8 ones on
   * a coarser batch grid (full sweep only). */
  const tf_plan_layout layouts[] = {TF_LAYOUT_GQA, TF_LAYOUT_MLA};
  static const int64_t quick_batch[] = {1, 16, 256};
  static const int64_t quick_context[] = {1024, 8192, 32768};
  static const int64_t fp8_batch[] = {1, 8, 64, 256};
  for (size_t l = 0; rc == 0 && l < COUNT(layouts); l++) {
    if (!full) {
      for (size_t b = 0; rc == 0 && b < COUNT(quick_batch); b++)
        for (size_t c = 0; rc == 0 && c < COUNT(quick_context); c++)
          rc = add_attn(p, layouts[l], TF_DTYPE_BF16, quick_batch[b], quick_context[c], 0);
      continue;
    }
    for (int64_t b = 1; rc == 0 && b <= 256; b *= 2)
      for (int64_t c = 1024; rc == 0 && c <= 32768; c *= 2)
        rc = add_attn(p, layouts[l], TF_DTYPE_BF16, b, c, 0);
    for (size_t b = 0; rc == 0 && b < COUNT(fp8_batch); b++)
      for (int64_t c = 1024; rc == 0 && c <= 32768; c *= 2)
        rc = add_attn(p, layouts[l], TF_DTYPE_E4M3, fp8_batch[b], c, 0);
  }
  return rc;
}

int tf_plan_init(tf_plan *p, tf_plan_mode mode) {
  assert(p && (mode == TF_PLAN_QUICK || mode == TF_PLAN_FULL));
  *p = (tf_plan){.mode = mode, .timing = mode == TF_PLAN_FULL ? full_timing : quick_timing};
  int rc = build(p);
  if (rc)
    tf_plan_fini(p);
  return rc;
}

void tf_plan_fini(tf_plan *p) {
  if (!p)
    return;
  free(p->items);
  p->items = NULL;
  p->n = p->cap = 0;
}

int tf_plan_add_power_limit(tf_plan *p, double limit_w) {
  assert(p);
  if (!(limit_w > 0) || !isfinite(limit_w))
    return TF_EINVAL;
  static const int64_t tokens[] = {1, 64, 1024, 16384};
  const tf_dtype gemm_types[] = {TF_DTYPE_BF16, TF_DTYPE_E4M3};
  int rc = add_idle(p, p->mode == TF_PLAN_FULL ? 1.0 : 0.5, limit_w);
  for (int s = 24; rc == 0 && s <= 32; s += 4)
    rc = add_hbm(p, (int64_t)1 << s, limit_w);
  for (size_t s = 0; rc == 0 && s < QUICK_DENSE_SHAPES; s++)
    for (size_t t = 0; rc == 0 && t < COUNT(gemm_types); t++)
      for (size_t i = 0; rc == 0 && i < COUNT(tokens); i++)
        rc = add_gemm(p, TF_KERNEL_GEMM, gemm_types[t], &dense_shapes[s], tokens[i], 1, limit_w);
  for (int64_t m = 16; rc == 0 && m <= 256; m *= 16)
    rc = add_gemm(p, TF_KERNEL_GROUPED_GEMM, TF_DTYPE_BF16, &expert_shapes[0], m, 8, limit_w);
  static const int64_t batch[] = {1, 32, 256};
  for (int l = 0; rc == 0 && l < 2; l++)
    for (size_t b = 0; rc == 0 && b < COUNT(batch); b++)
      rc = add_attn(p, l ? TF_LAYOUT_MLA : TF_LAYOUT_GQA, TF_DTYPE_BF16, batch[b], 8192, limit_w);
  return rc;
}

int64_t tf_plan_qk_dim(const tf_plan_item *it) { return it->head_dim + it->rope_dim; }

int64_t tf_plan_v_dim(const tf_plan_item *it) { return it->head_dim; }

double tf_plan_flops(const tf_plan_item *it) {
  switch (it->kernel) {
  case TF_KERNEL_GEMM:
  case TF_KERNEL_GROUPED_GEMM:
    return 2.0 * (double)it->m * (double)it->n * (double)it->k * (double)it->groups;
  case TF_KERNEL_ATTN_DECODE:
    return 2.0 * (double)it->batch * (double)it->heads * (double)it->context *
           (double)(tf_plan_qk_dim(it) + tf_plan_v_dim(it));
  case TF_KERNEL_HBM_STREAM: return (double)it->bytes / 8.0;
  case TF_KERNEL_IDLE:
  default: return 0.0;
  }
}

double tf_plan_bytes_moved(const tf_plan_item *it) {
  double es = (double)tf_dtype_size(it->dtype);
  switch (it->kernel) {
  case TF_KERNEL_GEMM:
  case TF_KERNEL_GROUPED_GEMM: {
    double m = (double)it->m, n = (double)it->n, k = (double)it->k;
    return (double)it->groups * ((m * k + n * k) * es + m * n * 2.0);
  }
  case TF_KERNEL_ATTN_DECODE: {
    double b = (double)it->batch, h = (double)it->heads;
    double qk = (double)tf_plan_qk_dim(it), v = (double)tf_plan_v_dim(it);
    /* MLA's values are the first head_dim elements of the key row: one row per token. */
    double row = it->layout == TF_LAYOUT_MLA ? qk : qk + v;
    return b * h * qk * 2.0 + b * (double)it->context * (double)it->kv_heads * row * es +
           b * h * v * 4.0;
  }
  case TF_KERNEL_HBM_STREAM: return (double)it->bytes;
  case TF_KERNEL_IDLE:
  default: return 0.0;
  }
}

const char *tf_plan_kernel_name(tf_plan_kernel k) {
  switch (k) {
  case TF_KERNEL_IDLE: return "idle";
  case TF_KERNEL_GEMM: return "gemm";
  case TF_KERNEL_GROUPED_GEMM: return "grouped_gemm";
  case TF_KERNEL_ATTN_DECODE: return "attn_decode";
  case TF_KERNEL_HBM_STREAM: return "hbm_stream";
  default: return "?";
  }
}

const char *tf_plan_layout_name(tf_plan_layout l) {
  return l == TF_LAYOUT_GQA ? "gqa" : l == TF_LAYOUT_MLA ? "mla" : "";
}

tf_plan_rates tf_plan_rates_h100(void) {
  /* Peaks: gpus.yaml h100-sxm (989 TFLOP/s BF16 dense, 1979 FP8 dense, 3.35 TB/s). Efficiencies
   * are deliberately low so the estimate errs long: 60 % and 50 % of the tensor peaks, 80 % of
   * HBM; the attention kernel's FP32 CUDA-core arithmetic at 20 % of H100 SXM's 67 TFLOP/s FP32
   * (NVIDIA H100 Tensor Core GPU datasheet, 2023). A flush writes twice the 50 MB L2. */
  return (tf_plan_rates){.gemm_bf16_flops_per_s = 0.6 * 989e12,
                         .gemm_fp8_flops_per_s = 0.5 * 1979e12,
                         .attn_flops_per_s = 0.2 * 67e12,
                         .hbm_bytes_per_s = 0.8 * 3.35e12,
                         .launch_s = 10e-6,
                         .l2_flush_s = 2 * 50e6 / (0.8 * 3.35e12),
                         .config_overhead_s = 0.03,
                         .nvml = true};
}

double tf_plan_item_estimate_s(const tf_plan *p, const tf_plan_item *it, const tf_plan_rates *r) {
  const tf_plan_timing *tm = &p->timing;
  if (it->kernel == TF_KERNEL_IDLE)
    return r->nvml ? it->idle_s : 0.0;
  double rate = it->kernel == TF_KERNEL_ATTN_DECODE ? r->attn_flops_per_s
                : it->kernel == TF_KERNEL_HBM_STREAM
                    ? INFINITY
                    : (it->dtype == TF_DTYPE_E4M3 ? r->gemm_fp8_flops_per_s
                                                  : r->gemm_bf16_flops_per_s);
  double bytes = tf_plan_bytes_moved(it);
  double t = fmax(tf_plan_flops(it) / rate, bytes / r->hbm_bytes_per_s) + r->launch_s;
  double reps = fmin(fmax(ceil(tm->target_s / t), tm->reps_min), tm->reps_max);
  double timed = (double)tm->warmup * t + reps * (t + r->l2_flush_s);
  double power = r->nvml ? fmax(tm->settle_s + tm->window_s, 2.0 * t) : 0.0;
  /* Filling the operands with random values writes them once. */
  return r->config_overhead_s + bytes / r->hbm_bytes_per_s + timed + power;
}

double tf_plan_estimate_s(const tf_plan *p, const tf_plan_rates *r) {
  double s = 0.0, limit = 0.0;
  for (size_t i = 0; i < p->n; i++) {
    const tf_plan_item *it = &p->items[i];
    if (r->nvml && it->power_limit_w != limit) {
      s += p->timing.limit_settle_s;
      limit = it->power_limit_w;
    }
    s += tf_plan_item_estimate_s(p, it, r);
  }
  return s;
}
