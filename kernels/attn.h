/* Decode attention over a paged KV cache on the GPU (attn.cu), GQA and MLA layouts, and the
 * host-side launch plan (attn_plan.c, tested without a GPU). The CPU reference it is checked
 * against is tf_ref_attn_decode (ref.h), whose comment defines the cache layout.
 *
 * The kernel is split-K "flash decoding" (T. Dao et al., Flash-Decoding for long-context
 * inference, 2023): the context of each sequence is cut into chunks; one thread block takes one
 * chunk of one sequence for a block of query heads that share one KV head, streams the chunk's
 * keys and values through shared memory 32 tokens at a time, keeps a running softmax (maximum and
 * sum per head) and an unnormalised output; a second small kernel merges the chunks. Keys and
 * values go through shared memory as BF16 (FP8 E4M3 is widened on the way, exactly). Two variants:
 *  - small head groups (GQA: 8 query heads per KV head, about 8 FLOPs per cached byte, well below
 *    any GPU's ratio of arithmetic to bandwidth): FP32 arithmetic on CUDA cores, bound by HBM;
 *  - large head groups (16 or more; MLA: 128 heads over one 576-wide latent row, about 240 FLOPs
 *    per cached byte, near an H100's ratio): tensor cores through WMMA (BF16 operands, FP32
 *    accumulation; probabilities rounded to BF16 for the second product, as FlashAttention does),
 *    32 heads per block. CUDA cores alone would make MLA ten times compute-bound.
 * Ampere (compute capability 8.0) or newer: BF16 WMMA needs it. */
#ifndef TF_ATTN_H
#define TF_ATTN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TF_ATTN_TILE 32        /* tokens per shared-memory tile: one per lane of a warp */
#define TF_ATTN_THREADS 256    /* threads per block of the chunk kernel */
#define TF_ATTN_SPLITS_MAX 256 /* chunks per sequence at most */

/* One decode-attention launch. Pointers are device memory, 16-byte aligned (cudaMalloc's are);
 * indices and layout as tf_ref_attn. */
typedef struct tf_attn_desc {
  int32_t batch, heads, kv_heads; /* heads % kv_heads == 0, batch <= 65535 */
  int32_t qk_dim;                 /* a multiple of 8 (of 16 for conflict-free shared loads) */
  int32_t v_dim;                  /* 8, 16, 32, 64, 128, 256 or 512 */
  int32_t page_size, max_pages;
  bool v_in_k;                    /* MLA: values are the first v_dim elements of each key row */
  const int32_t *page_table;      /* batch x max_pages */
  const int32_t *context;         /* batch */
  const void *q;                  /* BF16, batch x heads x qk_dim */
  const void *k_pool;             /* kv_type */
  int64_t k_stride;               /* elements, a multiple of 8 */
  const void *v_pool;             /* kv_type; ignored with v_in_k */
  int64_t v_stride;
  tf_dtype kv_type;               /* BF16 or E4M3 */
  float scale;
  float *out;                     /* FP32, batch x heads x v_dim */
} tf_attn_desc;

/* How a descriptor is launched; computed on the host, read by tf_attn_decode. */
typedef struct tf_attn_plan {
  bool tensor_cores;      /* the WMMA variant (large head groups) */
  int32_t head_block;     /* query heads per block, all of one KV head */
  int32_t head_block_max; /* rows of the compiled variant: 8 or 32 (unused rows are padding) */
  int32_t splits;         /* chunks per sequence (grid), for the longest context */
  int32_t chunk;          /* tokens per chunk, a multiple of TF_ATTN_TILE */
  /* Shared memory of the chunk kernel, byte offsets of its parts (128-byte aligned): queries
   * (head_block_max rows), key tile, value tile (= key tile with v_in_k), scores, probabilities,
   * the WMMA variant's per-warp scratch, running maximum, sum and rescale factor per head. */
  size_t q_off, k_off, v_off, s_off, p_off, scratch_off, stat_off, smem_bytes;
  int32_t k_row, v_row;   /* shared row strides in BF16 elements (dims + 8: odd 16-byte words) */
  size_t workspace_bytes; /* partial outputs: batch x heads x splits x (v_dim + 2) floats */
} tf_attn_plan;

/* Shared-memory row strides of the WMMA variant: scores (FP32) and probabilities (BF16). */
#define TF_ATTN_TC_S_LD 36
#define TF_ATTN_TC_P_LD 40

/* Plans d for contexts up to max_context on a GPU with sm_count multiprocessors and smem_max
 * bytes of shared memory per block (opt-in): the variant (tensor cores for head groups of 16 or
 * more when qk_dim is a multiple of 16 and v_dim of 64), enough chunks for four blocks per
 * multiprocessor, the shared-memory layout. Only d's sizes are read. 0 or TF_EINVAL (a size the
 * kernel does not take; err says which). */
int tf_attn_plan_make(const tf_attn_desc *d, int32_t max_context, int32_t sm_count,
                      size_t smem_max, tf_attn_plan *out, char *err, size_t err_size);

/* Enqueues the attention on stream (a cudaStream_t); workspace holds plan->workspace_bytes.
 * Every context must be <= the max_context planned for. 0 or TF_EIO with err. */
int tf_attn_decode(const tf_attn_desc *d, const tf_attn_plan *p, void *workspace, void *stream,
                   char *err, size_t err_size);

#ifdef __cplusplus
}
#endif

#endif
