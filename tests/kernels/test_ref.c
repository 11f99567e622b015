/* The CPU references of the calibration kernels against hand-computed results: BF16 and FP8 E4M3
 * roundings of chosen values (ties, subnormals, saturation, NaN), a 2x3 by 3x2 GEMM with and
 * without operand rounding, a grouped GEMM, paged decode attention with pages out of order (GQA
 * with one and two KV heads, MLA), the HBM stream. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "ref.h"
#include "tf_test.h"

static float from_bits(uint32_t u) {
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}

static void test_bf16(void) {
  TF_CHECK_INT(tf_ref_f32_to_bf16(1.0f), 0x3f80);
  TF_CHECK_INT(tf_ref_f32_to_bf16(-2.5f), 0xc020);
  TF_CHECK_INT(tf_ref_f32_to_bf16(3.140625f), 0x4049); /* exact */
  TF_CHECK_INT(tf_ref_f32_to_bf16(0.0f), 0x0000);
  TF_CHECK_INT(tf_ref_f32_to_bf16(-0.0f), 0x8000);
  /* Ties: 1 + 2^-8 lies halfway between 1 (even) and 1 + 2^-7: down; 1 + 3 2^-8 halfway between
   * 1 + 2^-7 (odd) and 1 + 2^-6: up; a hair above the first tie: up. */
  TF_CHECK_INT(tf_ref_f32_to_bf16(1.0f + 0x1p-8f), 0x3f80);
  TF_CHECK_INT(tf_ref_f32_to_bf16(1.0f + 0x3p-8f), 0x3f82);
  TF_CHECK_INT(tf_ref_f32_to_bf16(from_bits(0x3f808001u)), 0x3f81);
  TF_CHECK_INT(tf_ref_f32_to_bf16(-(1.0f + 0x3p-8f)), 0xbf82);
  /* Subnormals: 2^-133 is BF16's smallest; half of it ties to 0; 1.5 times it ties to 2^-132. */
  TF_CHECK_INT(tf_ref_f32_to_bf16(0x1p-133f), 0x0001);
  TF_CHECK_INT(tf_ref_f32_to_bf16(0x1p-134f), 0x0000);
  TF_CHECK_INT(tf_ref_f32_to_bf16(0x3p-134f), 0x0002);
  TF_CHECK_INT(tf_ref_f32_to_bf16(-0x3p-134f), 0x8002);
  TF_CHECK_NEAR(tf_ref_bf16_to_f32(0x0001), 0x1p-133, 0);
  /* Overflow is IEEE rounding: the largest finite stays, half a step above it is infinity. */
  TF_CHECK_INT(tf_ref_f32_to_bf16(from_bits(0x7f7f0000u)), 0x7f7f);
  TF_CHECK_INT(tf_ref_f32_to_bf16(from_bits(0x7f7f7fffu)), 0x7f7f);
  TF_CHECK_INT(tf_ref_f32_to_bf16(from_bits(0x7f7f8000u)), 0x7f80);
  TF_CHECK_INT(tf_ref_f32_to_bf16(INFINITY), 0x7f80);
  TF_CHECK_INT(tf_ref_f32_to_bf16(-INFINITY), 0xff80);
  /* NaN stays NaN, quiet, sign kept; a signalling NaN whose payload lies in the low bits does not
   * truncate to infinity. */
  TF_CHECK_INT(tf_ref_f32_to_bf16(from_bits(0x7fc00000u)), 0x7fc0);
  TF_CHECK_INT(tf_ref_f32_to_bf16(from_bits(0x7f800001u)), 0x7fc0);
  TF_CHECK_INT(tf_ref_f32_to_bf16(from_bits(0xffc00000u)), 0xffc0);
  TF_CHECK(isnan(tf_ref_bf16_to_f32(0x7fc0)));
  TF_CHECK_NEAR(tf_ref_bf16_to_f32(0x4049), 3.140625, 0);
  TF_CHECK_NEAR(tf_ref_bf16_to_f32(0xc020), -2.5, 0);
  /* Every BF16 value converts back to itself. */
  int bad = 0;
  for (uint32_t b = 0; b < 0x10000u; b++) {
    float x = tf_ref_bf16_to_f32((uint16_t)b);
    if (!isnan(x) && tf_ref_f32_to_bf16(x) != b)
      bad++;
  }
  TF_CHECK_INT(bad, 0);
}

static void test_e4m3(void) {
  TF_CHECK_INT(tf_ref_f32_to_e4m3(1.0f), 0x38);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(-1.0f), 0xb8);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(0.0f), 0x00);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(-0.0f), 0x80);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(240.0f), 0x77); /* 1.875 x 2^7 */
  /* 0.3 = 1.2 x 2^-2: mantissa 1.6 eighths rounds to 2: 1.25 x 2^-2 = 0.3125. */
  TF_CHECK_INT(tf_ref_f32_to_e4m3(0.3f), 0x2a);
  TF_CHECK_NEAR(tf_ref_e4m3_to_f32(0x2a), 0.3125, 0);
  /* Ties to even: 1 + 1/16 halfway between 1 (mantissa 0) and 1.125 (1): down; 1 + 3/16 between
   * 1.125 (1) and 1.25 (2): up; 1 + 15/16 between 1.875 (7) and 2: up, into the exponent. */
  TF_CHECK_INT(tf_ref_f32_to_e4m3(1.0625f), 0x38);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(1.1875f), 0x3a);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(1.0625f + 0x1p-20f), 0x39);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(1.9375f), 0x40);
  /* Subnormals, step 2^-9: half a step ties to 0, 1.5 and 2.5 steps tie to 2, 7.5 steps to the
   * smallest normal 2^-6; far below, a signed zero. */
  TF_CHECK_INT(tf_ref_f32_to_e4m3(0x1p-9f), 0x01);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(0x1p-10f), 0x00);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(0x3p-10f), 0x02);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(0x5p-10f), 0x02);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(0x7p-9f), 0x07);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(0xfp-10f), 0x08);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(0x1p-6f), 0x08);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(-0x3p-10f), 0x82);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(0x1p-20f), 0x00);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(-0x1p-20f), 0x80);
  TF_CHECK_NEAR(tf_ref_e4m3_to_f32(0x01), 0x1p-9, 0);
  TF_CHECK_NEAR(tf_ref_e4m3_to_f32(0x07), 0x7p-9, 0);
  /* Saturation: 448 is the largest finite; beyond it (464 would round to the NaN encoding
   * without saturation), and infinity, give 448. */
  TF_CHECK_INT(tf_ref_f32_to_e4m3(448.0f), 0x7e);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(449.0f), 0x7e);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(464.0f), 0x7e);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(1e9f), 0x7e);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(INFINITY), 0x7e);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(-500.0f), 0xfe);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(-INFINITY), 0xfe);
  TF_CHECK_NEAR(tf_ref_e4m3_to_f32(0x7e), 448, 0);
  /* NaN. */
  TF_CHECK_INT(tf_ref_f32_to_e4m3(NAN), 0x7f);
  TF_CHECK_INT(tf_ref_f32_to_e4m3(-NAN), 0xff);
  TF_CHECK(isnan(tf_ref_e4m3_to_f32(0x7f)));
  TF_CHECK(isnan(tf_ref_e4m3_to_f32(0xff)));
  TF_CHECK(signbit(tf_ref_e4m3_to_f32(0x80)));
  /* Every E4M3 value converts back to itself. */
  int bad = 0;
  for (unsigned b = 0; b < 256; b++) {
    float x = tf_ref_e4m3_to_f32((uint8_t)b);
    if (!isnan(x) && tf_ref_f32_to_e4m3(x) != b)
      bad++;
  }
  TF_CHECK_INT(bad, 0);
  TF_CHECK_NEAR(tf_ref_round(TF_DTYPE_E4M3, 500.0f), 448, 0);
  TF_CHECK_NEAR(tf_ref_round(TF_DTYPE_BF16, 1.0f + 0x1p-8f), 1, 0);
  TF_CHECK_NEAR(tf_ref_round(TF_DTYPE_F32, 1.0f + 0x1p-8f), 1.00390625, 0);
}

static void test_gemm(void) {
  /* [1 2 3; 4 5 6] times [7 8 9; 10 11 12]^T = [50 68; 122 167] (every value exact in BF16). */
  const float a[] = {1, 2, 3, 4, 5, 6}, w[] = {7, 8, 9, 10, 11, 12};
  float c[4];
  tf_ref_gemm(TF_DTYPE_F32, TF_DTYPE_F32, 2, 2, 3, a, w, c);
  TF_CHECK_NEAR(c[0], 50, 0);
  TF_CHECK_NEAR(c[1], 68, 0);
  TF_CHECK_NEAR(c[2], 122, 0);
  TF_CHECK_NEAR(c[3], 167, 0);
  tf_ref_gemm(TF_DTYPE_BF16, TF_DTYPE_BF16, 2, 2, 3, a, w, c);
  TF_CHECK_NEAR(c[3], 167, 0);
  /* BF16 operands: 1 + 2^-8 is read as 1, so 1 x 1 + 2 + 3 = 6, not 6.00390625. */
  const float a1[] = {1.0f + 0x1p-8f, 2, 3}, ones[] = {1, 1, 1};
  tf_ref_gemm(TF_DTYPE_BF16, TF_DTYPE_F32, 1, 1, 3, a1, ones, c);
  TF_CHECK_NEAR(c[0], 6, 0);
  tf_ref_gemm(TF_DTYPE_F32, TF_DTYPE_F32, 1, 1, 3, a1, ones, c);
  TF_CHECK_NEAR(c[0], 6.00390625, 0);
  /* BF16 output: 256 + 1 = 257 ties between 256 (even) and 258: 256. */
  const float a2[] = {256, 1, 0};
  tf_ref_gemm(TF_DTYPE_F32, TF_DTYPE_BF16, 1, 1, 3, a2, ones, c);
  TF_CHECK_NEAR(c[0], 256, 0);
  /* FP8 operands: 0.3 -> 0.3125, 1.0625 -> 1, 500 -> 448; 0.001 -> 2^-9 (0.512 steps round to
   * one). 0.3125 + 2 + 448 x 2^-9 = 3.1875. */
  const float a3[] = {0.3f, 1.0625f, 500}, w3[] = {1, 2, 0.001f};
  tf_ref_gemm(TF_DTYPE_E4M3, TF_DTYPE_F32, 1, 1, 3, a3, w3, c);
  TF_CHECK_NEAR(c[0], 3.1875, 0);
  /* Grouped: [1 2].[5 6] = 17 and [3 4].[7 8] = 53. */
  const float ga[] = {1, 2, 3, 4}, gw[] = {5, 6, 7, 8};
  tf_ref_grouped_gemm(TF_DTYPE_F32, TF_DTYPE_F32, 2, 1, 1, 2, ga, gw, c);
  TF_CHECK_NEAR(c[0], 17, 0);
  TF_CHECK_NEAR(c[1], 53, 0);
}

/* Two sequences, two query heads on one KV head, one token per page, pages out of order:
 * sequence 0 (2 tokens) in pages 3, 1; sequence 1 (3 tokens) in pages 0, 4, 2. */
static void test_attn_gqa(void) {
  const float ln2 = logf(2.0f), ln3 = logf(3.0f);
  const int32_t table[] = {3, 1, 0, /* sequence 0 (third entry unused) */ 0, 4, 2};
  const int32_t context[] = {2, 3};
  const float k[] = {0, 0, /* page 0 */ 0, 1, /* 1 */ 2, 0, /* 2 */ 1, 0, /* 3 */ 1, 1 /* 4 */};
  const float v[] = {1, 1, 3, 4, 0, 2, 1, 2, 2, 0};
  /* Sequence 0: head 0 scores ln 3 and 0, weights 3/4 and 1/4: 3/4 [1 2] + 1/4 [3 4] = [1.5 2.5];
   * head 1 scores equal: [2 3]. Sequence 1: head 0 scores 0, ln 4, ln 4, weights 1:4:4:
   * ([1 1] + 4 [2 0] + 4 [0 2]) / 9 = [1 1]; head 1 scores 0, ln 2, 0, weights 1:2:1:
   * ([1 1] + 2 [2 0] + [0 2]) / 4 = [1.25 0.75]. */
  const float q[] = {ln3, 0, 0, 0, ln2, ln2, 0, ln2};
  tf_ref_attn p = {.batch = 2, .heads = 2, .kv_heads = 1, .qk_dim = 2, .v_dim = 2,
                   .page_size = 1, .max_pages = 3, .page_table = table, .context = context,
                   .q = q, .k_pool = k, .k_stride = 2, .v_pool = v, .v_stride = 2,
                   .q_type = TF_DTYPE_F32, .kv_type = TF_DTYPE_F32, .scale = 1.0f};
  float out[8];
  tf_ref_attn_decode(&p, out);
  const float want[] = {1.5f, 2.5f, 2, 3, 1, 1, 1.25f, 0.75f};
  for (int i = 0; i < 8; i++)
    TF_CHECK_NEAR(out[i], want[i], 1e-6);
  /* The softmax scale multiplies the scores: doubled queries at scale 1/2 give the same. */
  float q2[8];
  for (int i = 0; i < 8; i++)
    q2[i] = 2 * q[i];
  p.q = q2;
  p.scale = 0.5f;
  tf_ref_attn_decode(&p, out);
  for (int i = 0; i < 8; i++)
    TF_CHECK_NEAR(out[i], want[i], 1e-6);
}

/* Four query heads on two KV heads (heads 0, 1 read KV head 0; 2, 3 read KV head 1), two tokens
 * per page, three tokens in pages 1 then 0: token 0 is page 1 slot 0, token 1 page 1 slot 1,
 * token 2 page 0 slot 0. Row of (page, slot, kv head) = (page x 2 + slot) x 2 + kv head. */
static void test_attn_two_kv_heads(void) {
  const float ln2 = logf(2.0f);
  const int32_t table[] = {1, 0}, context[] = {3};
  /* rows:           0  1   2   3   4  5    6  7 */
  const float k[] = {0, 0, 99, 99, 0, 0, ln2, 0};
  const float v[] = {0, 9, 999, 999, 4, 3, 8, 6};
  /* KV head 0: keys 0, ln 2, 0 for tokens 0..2, values 4, 8, 0. Head 0 (q 1): weights 1:2:1,
   * (4 + 16 + 0) / 4 = 5; head 1 (q 0): (4 + 8 + 0) / 3 = 4. KV head 1: keys all 0, values 3, 6,
   * 9: 6 for heads 2 and 3. Rows 2 and 3 (page 0 slot 1) are never read. */
  const float q[] = {1, 0, 1, 1};
  tf_ref_attn p = {.batch = 1, .heads = 4, .kv_heads = 2, .qk_dim = 1, .v_dim = 1,
                   .page_size = 2, .max_pages = 2, .page_table = table, .context = context,
                   .q = q, .k_pool = k, .k_stride = 1, .v_pool = v, .v_stride = 1,
                   .q_type = TF_DTYPE_F32, .kv_type = TF_DTYPE_F32, .scale = 1.0f};
  float out[4];
  tf_ref_attn_decode(&p, out);
  TF_CHECK_NEAR(out[0], 5, 1e-6);
  TF_CHECK_NEAR(out[1], 4, 1e-6);
  TF_CHECK_NEAR(out[2], 6, 1e-6);
  TF_CHECK_NEAR(out[3], 6, 1e-6);
}

/* MLA: one latent row per token of 2 latent + 1 RoPE element; keys are the whole row, values its
 * first 2. One page of 4 tokens (page 1 of 2), 2 tokens cached: rows 4 and 5. Head 0's query
 * reads only the RoPE part: scores ln 3 and 0, 3/4 [1 2] + 1/4 [5 6] = [2 3]; head 1: equal,
 * [3 4]. */
static void test_attn_mla(void) {
  const float ln3 = logf(3.0f);
  const int32_t table[] = {1}, context[] = {2};
  float rows[8 * 3];
  for (int i = 0; i < 24; i++)
    rows[i] = 77; /* never read */
  const float r4[] = {1, 2, ln3}, r5[] = {5, 6, 0};
  memcpy(&rows[4 * 3], r4, sizeof r4);
  memcpy(&rows[5 * 3], r5, sizeof r5);
  const float q[] = {0, 0, 1, 0, 0, 0};
  tf_ref_attn p = {.batch = 1, .heads = 2, .kv_heads = 1, .qk_dim = 3, .v_dim = 2,
                   .page_size = 4, .max_pages = 1, .page_table = table, .context = context,
                   .q = q, .k_pool = rows, .k_stride = 3, .v_pool = rows, .v_stride = 3,
                   .q_type = TF_DTYPE_F32, .kv_type = TF_DTYPE_F32, .scale = 1.0f};
  float out[4];
  tf_ref_attn_decode(&p, out);
  TF_CHECK_NEAR(out[0], 2, 1e-6);
  TF_CHECK_NEAR(out[1], 3, 1e-6);
  TF_CHECK_NEAR(out[2], 3, 1e-6);
  TF_CHECK_NEAR(out[3], 4, 1e-6);
}

/* KV rounding as read; a sequence with nothing cached gets zeros. */
static void test_attn_types(void) {
  const int32_t table[] = {0, 0}, context[] = {1, 0};
  const float k[] = {0.5f}, q[] = {1, 1};
  float v[] = {1.0f + 0x1p-8f};
  tf_ref_attn p = {.batch = 2, .heads = 1, .kv_heads = 1, .qk_dim = 1, .v_dim = 1,
                   .page_size = 1, .max_pages = 1, .page_table = table, .context = context,
                   .q = q, .k_pool = k, .k_stride = 1, .v_pool = v, .v_stride = 1,
                   .q_type = TF_DTYPE_F32, .kv_type = TF_DTYPE_BF16, .scale = 1.0f};
  float out[2] = {-1, -1};
  tf_ref_attn_decode(&p, out);
  TF_CHECK_NEAR(out[0], 1, 0); /* one token: its value, rounded to BF16 */
  TF_CHECK_NEAR(out[1], 0, 0);
  v[0] = 500;
  p.kv_type = TF_DTYPE_E4M3;
  tf_ref_attn_decode(&p, out);
  TF_CHECK_NEAR(out[0], 448, 0);
  p.kv_type = TF_DTYPE_F32;
  tf_ref_attn_decode(&p, out);
  TF_CHECK_NEAR(out[0], 500, 0);
}

static void test_stream(void) {
  const float x[] = {1, -2, 0.5f};
  float y[3];
  tf_ref_stream_scale(3, 2.0f, x, y);
  TF_CHECK_NEAR(y[0], 2, 0);
  TF_CHECK_NEAR(y[1], -4, 0);
  TF_CHECK_NEAR(y[2], 1, 0);
}

int main(void) {
  test_bf16();
  test_e4m3();
  test_gemm();
  test_attn_gqa();
  test_attn_two_kv_heads();
  test_attn_mla();
  test_attn_types();
  test_stream();
  return tf_test_report("kernels_ref");
}
