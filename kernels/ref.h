/* CPU references of the calibration kernels: the plain C the GPU results are checked against
 * (on small sizes, at the start of every calibration run and in the `gpu` tests), and whose own
 * results are checked against hand-computed cases in tests/kernels/test_ref.c.
 *
 * Numerics follow the GPU kernels they stand for: operands rounded to their storage type as they
 * are read (BF16 or FP8 E4M3, emulated in software with the converters below), products summed in
 * FP32 in index order, results rounded to their storage type. Summation order differs from the
 * GPU's, so comparisons allow the rounding of the output type (docs/CALIBRATION.md, "Measuring").
 * None of these functions allocates; all are O(size of the operands) or the usual O(m n k). */
#ifndef TF_REF_H
#define TF_REF_H

#include <stddef.h>
#include <stdint.h>

#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* FP32 -> BF16, round to nearest, ties to even (what __float2bfloat16_rn does on the GPU). BF16
 * has FP32's exponent range, so only values within half a BF16 step of FLT_MAX or beyond round to
 * infinity, as IEEE 754 rounding does; there is nothing to saturate. Subnormals round like any
 * other value; a NaN stays a NaN of the same sign, made quiet (a signalling NaN's payload could
 * otherwise truncate to infinity). */
uint16_t tf_ref_f32_to_bf16(float x);
/* BF16 -> FP32, exact. */
float tf_ref_bf16_to_f32(uint16_t b);

/* FP32 -> FP8 E4M3, round to nearest, ties to even, saturating: a finite value or infinity beyond
 * the largest finite 448 becomes +-448 (cuda_fp8.h's __NV_SATFINITE; without saturation 464 and
 * above would round to the NaN encoding), NaN becomes 0x7F or 0xFF. Values below the smallest
 * normal 2^-6 round onto the subnormal grid of step 2^-9; zero keeps its sign. Format: OCP 8-bit
 * Floating Point Specification (OFP8) rev. 1.0, 2023, E4M3. */
uint8_t tf_ref_f32_to_e4m3(float x);
/* FP8 E4M3 -> FP32, exact (0x7F and 0xFF are NaN). */
float tf_ref_e4m3_to_f32(uint8_t b);

/* x rounded to type t and back (FP32: x itself). */
float tf_ref_round(tf_dtype t, float x);

/* GEMM of a serving step: c[i][j] = sum_l a[i][l] w[j][l], i < m tokens, j < n outputs, l < k
 * inputs; a is m x k, w is n x k (a weight matrix as stored, one output row each), c is m x n, all
 * row-major FP32. Operands are rounded to in_type as read, products summed in FP32 in order of l,
 * each result rounded to out_type. */
void tf_ref_gemm(tf_dtype in_type, tf_dtype out_type, size_t m, size_t n, size_t k,
                 const float *a, const float *w, float *c);

/* Grouped GEMM (mixture-of-experts layer): groups independent GEMMs of the same shape, group g
 * reading a + g m k, w + g n k and writing c + g m n (m tokens routed to each expert). */
void tf_ref_grouped_gemm(tf_dtype in_type, tf_dtype out_type, size_t groups, size_t m, size_t n,
                         size_t k, const float *a, const float *w, float *c);

/* Decode attention over a paged KV cache: one new query token per sequence attends to the
 * context[b] cached tokens of sequence b.
 *
 * Cache: token t of sequence b lives in page page_table[b * max_pages + t / page_size], slot
 * t % page_size; its key for KV head h starts at element
 * ((page * page_size + slot) * kv_heads + h) * k_stride of k_pool (qk_dim elements), its value
 * likewise in v_pool with v_stride (v_dim elements). Pages need not be contiguous or in order.
 *
 * Layouts (docs/CALIBRATION.md, "Measuring"):
 *  - GQA: query head q reads KV head q / (heads / kv_heads); qk_dim = v_dim = head_dim.
 *  - MLA (DeepSeek-V3 decode with the up-projections absorbed into the query and output): one
 *    latent KV row per token (kv_heads = 1) of kv_lora_rank + qk_rope_head_dim elements; keys
 *    are the whole row (qk_dim = 512 + 64), values its first kv_lora_rank elements (v_pool =
 *    k_pool, v_stride = k_stride, v_dim = 512). The RoPE part is already rotated in the cache,
 *    so attention needs nothing beyond the dot products.
 *
 * out[b][q][:] = sum_t softmax_t(scale q . k_t) v_t, queries q[b][q][qk_dim] rounded to q_type,
 * keys and values rounded to kv_type as read; FP32 arithmetic, the softmax shifted by its maximum.
 * A sequence with context 0 gets zeros. Two passes over the keys (maximum, then weights), so no
 * workspace is needed. */
typedef struct tf_ref_attn {
  size_t batch, heads, kv_heads; /* heads % kv_heads == 0 */
  size_t qk_dim, v_dim;
  size_t page_size, max_pages;
  const int32_t *page_table; /* batch x max_pages page indices */
  const int32_t *context;    /* batch cached-token counts, each <= max_pages * page_size */
  const float *q;            /* batch x heads x qk_dim */
  const float *k_pool;
  size_t k_stride; /* elements from one token's (page, slot, kv head) row to the next */
  const float *v_pool;
  size_t v_stride;
  tf_dtype q_type, kv_type;
  float scale; /* softmax scale, usually 1 / sqrt(qk_dim of the model) */
} tf_ref_attn;

/* out: batch x heads x v_dim. */
void tf_ref_attn_decode(const tf_ref_attn *p, float *out);

/* The HBM streaming kernel (STREAM's "scale", J. D. McCalpin, 1995): y[i] = a x[i], i < n. */
void tf_ref_stream_scale(size_t n, float a, const float *x, float *y);

#ifdef __cplusplus
}
#endif

#endif
