/* The calibration sweep: which configurations tokenfab-calibrate measures, in which order, with
 * which timing policy, what each one computes (FLOPs) and moves (bytes), and how long the whole
 * sweep should take. Plain C without the GPU, so the sweep is tested on any machine.
 *
 * Shapes are one layer of the models in scenarios/catalog/models.yaml: DeepSeek-V3 (hidden 7168,
 * dense FFN 18432, expert FFN 2048, 128 heads of 128, kv_lora_rank 512, qk_rope_head_dim 64) and
 * Llama 3.1 70B (hidden 8192, FFN 28672, 64 query and 8 KV heads of 128). Why these shapes and
 * ranges: docs/CALIBRATION.md, "Measuring". */
#ifndef TF_PLAN_H
#define TF_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tf_plan_mode { TF_PLAN_QUICK, TF_PLAN_FULL } tf_plan_mode;

/* The `kernel` column of measurements.csv. */
typedef enum tf_plan_kernel {
  TF_KERNEL_IDLE,
  TF_KERNEL_GEMM,
  TF_KERNEL_GROUPED_GEMM,
  TF_KERNEL_ATTN_DECODE,
  TF_KERNEL_HBM_STREAM
} tf_plan_kernel;

typedef enum tf_plan_layout { TF_LAYOUT_NONE, TF_LAYOUT_GQA, TF_LAYOUT_MLA } tf_plan_layout;

/* KV-cache page of the attention sweeps, in tokens: FlashMLA's block size (64), also a common
 * vLLM and SGLang setting; pages are scattered through the pool in a shuffled order. */
#define TF_PLAN_PAGE_TOKENS 64

/* One configuration. Fields that do not apply to the kernel are 0 (groups: 1). */
typedef struct tf_plan_item {
  tf_plan_kernel kernel;
  tf_dtype dtype;           /* GEMM operands, attention KV cache; F32 where the column is empty */
  int64_t m, n, k, groups;  /* GEMMs: m tokens (per group) times an n x k weight matrix */
  int64_t batch, context;   /* attention: sequences, cached tokens per sequence */
  int64_t heads, kv_heads;  /* attention: query heads, KV heads (MLA: 1) */
  int64_t head_dim;         /* attention: GQA head width; MLA the latent width (kv_lora_rank) */
  int64_t rope_dim;         /* attention: MLA keys' RoPE part beyond the latent; GQA 0 */
  tf_plan_layout layout;
  int64_t page_size;        /* attention: tokens per KV-cache page */
  int64_t bytes;            /* HBM stream: bytes read plus bytes written by one launch */
  double idle_s;            /* idle: seconds of power sampling with nothing running */
  double power_limit_w;     /* the board power limit to set first; 0 keeps the default */
  const char *shape;        /* where the shape comes from, for progress lines (static text) */
} tf_plan_item;

/* How each configuration is timed (docs/CALIBRATION.md, "Timing"). */
typedef struct tf_plan_timing {
  int warmup;             /* untimed launches first (clocks, caches, cuBLASLt's first call) */
  int reps_min, reps_max; /* bounds on the timed launches */
  double target_s;        /* timed launches are added up to this much GPU time */
  double settle_s;        /* power: launches run this long before sampling starts ... */
  double window_s;        /* ... and this long while NVML is sampled */
  double limit_settle_s;  /* wait after changing the power limit */
  double deadline_s;      /* the whole run's budget: configurations still left are skipped */
} tf_plan_timing;

/* The sweep, owned by the caller; items in measuring order. */
typedef struct tf_plan {
  tf_plan_mode mode;
  tf_plan_timing timing;
  tf_plan_item *items;
  size_t n, cap;
} tf_plan;

/* The sweep of mode: idle, HBM stream, GEMMs, grouped GEMMs, attention. 0 or TF_ENOMEM. */
int tf_plan_init(tf_plan *p, tf_plan_mode mode);
void tf_plan_fini(tf_plan *p);

/* Appends the power-limit subset (a few configurations of every kernel) at limit_w. 0,
 * TF_EINVAL (limit_w not positive and finite) or TF_ENOMEM. */
int tf_plan_add_power_limit(tf_plan *p, double limit_w);

/* Floating-point operations of one launch: 2 m n k per GEMM (times groups), 2 (qk_dim + v_dim)
 * per query head and cached token for attention, one multiply per 4-byte element streamed. */
double tf_plan_flops(const tf_plan_item *it);
/* The least HBM traffic of one launch: operands read once, results written once (GEMM output
 * BF16, attention output FP32 as the kernels write them). */
double tf_plan_bytes_moved(const tf_plan_item *it);

/* Attention key and value widths of an item: GQA head_dim and head_dim; MLA head_dim + rope_dim
 * (the whole latent row) and head_dim. */
int64_t tf_plan_qk_dim(const tf_plan_item *it);
int64_t tf_plan_v_dim(const tf_plan_item *it);

/* "gemm", "grouped_gemm", "attn_decode", "hbm_stream", "idle"; "gqa", "mla", "". */
const char *tf_plan_kernel_name(tf_plan_kernel k);
const char *tf_plan_layout_name(tf_plan_layout l);

/* What a GPU sustains, for estimating a sweep's duration before running it. */
typedef struct tf_plan_rates {
  double gemm_bf16_flops_per_s, gemm_fp8_flops_per_s;
  double attn_flops_per_s; /* the attention kernel runs on CUDA cores, not tensor cores */
  double hbm_bytes_per_s;
  double launch_s;          /* one launch's fixed cost */
  double l2_flush_s;        /* the cache flush before each timed launch */
  double config_overhead_s; /* per configuration: allocation, filling, cuBLASLt heuristics */
  bool nvml;                /* power windows are run only with NVML */
} tf_plan_rates;

/* Rates of an H100 SXM (datasheet peaks from scenarios/catalog/gpus.yaml, h100-sxm, at the
 * efficiencies docs/CALIBRATION.md assumes), with NVML. */
tf_plan_rates tf_plan_rates_h100(void);

/* Estimated seconds of item i and of the whole sweep under the plan's timing policy. */
double tf_plan_item_estimate_s(const tf_plan *p, const tf_plan_item *it, const tf_plan_rates *r);
double tf_plan_estimate_s(const tf_plan *p, const tf_plan_rates *r);

#ifdef __cplusplus
}
#endif

#endif
