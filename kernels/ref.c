/* CPU references of the calibration kernels: BF16 and FP8 E4M3 rounding in software, GEMM,
 * grouped GEMM, paged decode attention, the HBM stream. */
#include "ref.h"

#include <assert.h>
#include <math.h>
#include <string.h>

static uint32_t f32_bits(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}

static float bits_f32(uint32_t u) {
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}

uint16_t tf_ref_f32_to_bf16(float x) {
  uint32_t u = f32_bits(x);
  if ((u & 0x7fffffffu) > 0x7f800000u) /* NaN: keep sign and top payload, set the quiet bit */
    return (uint16_t)((u >> 16) | 0x0040u);
  /* Adding 0x7fff plus the kept part's lowest bit rounds to nearest with ties to even; a carry
   * out of the mantissa increments the exponent, up to infinity (0x7f80), as it should. */
  uint32_t lsb = (u >> 16) & 1u;
  return (uint16_t)((u + 0x7fffu + lsb) >> 16);
}

float tf_ref_bf16_to_f32(uint16_t b) { return bits_f32((uint32_t)b << 16); }

/* E4M3 constants (OFP8 rev. 1.0, table 1): largest finite 0x7e = 1.75 x 2^8, NaN 0x7f. */
enum { E4M3_MAX_FINITE = 0x7e, E4M3_NAN = 0x7f };

uint8_t tf_ref_f32_to_e4m3(float x) {
  uint32_t u = f32_bits(x);
  uint8_t sign = (uint8_t)((u >> 24) & 0x80u);
  uint32_t mag = u & 0x7fffffffu;
  if (mag > 0x7f800000u)
    return (uint8_t)(sign | E4M3_NAN);
  if (mag >= 0x43e00000u) /* |x| >= 448 (infinity included): saturate */
    return (uint8_t)(sign | E4M3_MAX_FINITE);
  if (mag < 0x3c800000u) { /* |x| < 2^-6: the subnormal grid, step 2^-9 */
    /* |x| 2^9 is exact (a power-of-two scaling of a value far from overflow); rounding it to an
     * integer with ties to even picks the grid point. 8 (from 7.5 or above) is 2^-6, whose
     * encoding 0x08 is the smallest normal: the integer is the encoding in both cases. */
    float q = nearbyintf(bits_f32(mag) * 512.0f);
    return (uint8_t)(sign | (uint8_t)q);
  }
  /* Normal: exponent field e + 7, the top 3 of FP32's 23 mantissa bits, rounded on the other 20
   * bits to nearest, ties to even; a carry moves into the exponent. The result stays <= 0x7e
   * because |x| < 448 here. */
  uint32_t exp_field = (mag >> 23) - 127u + 7u;
  uint32_t mant = mag & 0x7fffffu;
  uint32_t v = (exp_field << 3) | (mant >> 20);
  uint32_t rest = mant & 0xfffffu;
  if (rest > 0x80000u || (rest == 0x80000u && (v & 1u)))
    v++;
  assert(v <= E4M3_MAX_FINITE);
  return (uint8_t)(sign | v);
}

float tf_ref_e4m3_to_f32(uint8_t b) {
  float sign = (b & 0x80u) ? -1.0f : 1.0f;
  unsigned e = (b >> 3) & 0xfu, m = b & 7u;
  if (e == 15 && m == 7)
    return copysignf(NAN, sign);
  if (e == 0)
    return sign * ldexpf((float)m, -9);
  return sign * ldexpf(1.0f + (float)m / 8.0f, (int)e - 7);
}

float tf_ref_round(tf_dtype t, float x) {
  switch (t) {
  case TF_DTYPE_BF16: return tf_ref_bf16_to_f32(tf_ref_f32_to_bf16(x));
  case TF_DTYPE_E4M3: return tf_ref_e4m3_to_f32(tf_ref_f32_to_e4m3(x));
  case TF_DTYPE_F32:
  default: return x;
  }
}

void tf_ref_gemm(tf_dtype in_type, tf_dtype out_type, size_t m, size_t n, size_t k,
                 const float *a, const float *w, float *c) {
  assert(m == 0 || n == 0 || (a && w && c));
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < n; j++) {
      float sum = 0.0f;
      for (size_t l = 0; l < k; l++)
        sum += tf_ref_round(in_type, a[i * k + l]) * tf_ref_round(in_type, w[j * k + l]);
      c[i * n + j] = tf_ref_round(out_type, sum);
    }
}

void tf_ref_grouped_gemm(tf_dtype in_type, tf_dtype out_type, size_t groups, size_t m, size_t n,
                         size_t k, const float *a, const float *w, float *c) {
  for (size_t g = 0; g < groups; g++)
    tf_ref_gemm(in_type, out_type, m, n, k, a + g * m * k, w + g * n * k, c + g * m * n);
}

/* The cache row of token t of sequence b for KV head h: its first element's index in a pool. */
static size_t kv_row(const tf_ref_attn *p, size_t b, size_t t, size_t h, size_t stride) {
  int32_t page = p->page_table[b * p->max_pages + t / p->page_size];
  assert(page >= 0);
  return (((size_t)page * p->page_size + t % p->page_size) * p->kv_heads + h) * stride;
}

static float score(const tf_ref_attn *p, const float *q, size_t b, size_t t, size_t h) {
  const float *key = p->k_pool + kv_row(p, b, t, h, p->k_stride);
  float dot = 0.0f;
  for (size_t d = 0; d < p->qk_dim; d++)
    dot += tf_ref_round(p->q_type, q[d]) * tf_ref_round(p->kv_type, key[d]);
  return p->scale * dot;
}

void tf_ref_attn_decode(const tf_ref_attn *p, float *out) {
  assert(p && out && p->kv_heads > 0 && p->heads % p->kv_heads == 0 && p->page_size > 0);
  size_t group = p->heads / p->kv_heads;
  for (size_t b = 0; b < p->batch; b++) {
    size_t ctx = (size_t)p->context[b];
    assert(p->context[b] >= 0 && ctx <= p->max_pages * p->page_size);
    for (size_t qh = 0; qh < p->heads; qh++) {
      const float *q = p->q + (b * p->heads + qh) * p->qk_dim;
      float *o = out + (b * p->heads + qh) * p->v_dim;
      size_t h = qh / group;
      for (size_t d = 0; d < p->v_dim; d++)
        o[d] = 0.0f;
      if (ctx == 0)
        continue;
      float max = -INFINITY;
      for (size_t t = 0; t < ctx; t++)
        max = fmaxf(max, score(p, q, b, t, h));
      float sum = 0.0f;
      for (size_t t = 0; t < ctx; t++) {
        float e = expf(score(p, q, b, t, h) - max);
        const float *v = p->v_pool + kv_row(p, b, t, h, p->v_stride);
        sum += e;
        for (size_t d = 0; d < p->v_dim; d++)
          o[d] += e * tf_ref_round(p->kv_type, v[d]);
      }
      for (size_t d = 0; d < p->v_dim; d++)
        o[d] /= sum;
    }
  }
}

void tf_ref_stream_scale(size_t n, float a, const float *x, float *y) {
  for (size_t i = 0; i < n; i++)
    y[i] = a * x[i];
}
