/* Device code of decode attention (attn.h): the chunk kernels (CUDA-core and tensor-core
 * variants), the merge kernel and the parameters they read. Included by attn.cu, and by
 * tests/kernels/test_attn_emu.cpp, which runs these same kernels on the CPU through a small
 * emulation of CUDA threads (tests/kernels/simt.h) to check their indexing against the CPU
 * reference on machines without a GPU. */
#ifndef TF_ATTN_KERNELS_CUH
#define TF_ATTN_KERNELS_CUH

#include <cmath>
#include <cstdint>

#ifndef TF_SIMT_HOST
#include <cuda_bf16.h>
#include <mma.h>
#endif

#include "attn.h"

/* The block's dynamic shared memory; the emulation defines its own. */
#ifndef TF_DYNAMIC_SMEM
#define TF_DYNAMIC_SMEM(name) extern __shared__ __align__(16) unsigned char name[]
#endif

namespace tf_attn_kernels {

constexpr int kTile = TF_ATTN_TILE;
constexpr int kThreads = TF_ATTN_THREADS;
constexpr unsigned kFullWarp = 0xffffffffu;
static_assert(kTile == 32, "one token per lane");
static_assert(kThreads == 256, "eight warps");

/* Everything both kernels read; plain data passed by value. */
struct Params {
  const int32_t *page_table, *context;
  const uint16_t *q; /* BF16 bits */
  const void *k_pool, *v_pool;
  long long k_stride, v_stride;
  int batch, heads, kv_heads, qk_dim, v_dim, page_size, max_pages;
  int head_block, splits, chunk, k_row, v_row;
  unsigned q_off, k_off, v_off, s_off, p_off, scratch_off, stat_off;
  bool v_in_k;
  float scale_log2; /* softmax scale times log2(e): the kernel works in powers of two */
  float *o_part;    /* batch x heads x splits x v_dim unnormalised outputs */
  float *ml_part;   /* batch x heads x splits x (running maximum, sum) */
  float *out;
};

/* Eight BF16 values (a 16-byte word, element 0 in the low half of .x) as FP32. */
__device__ __forceinline__ void unpack8(uint4 v, float f[8]) {
  const unsigned w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
  for (int i = 0; i < 4; i++) {
    f[2 * i] = __uint_as_float(w[i] << 16);
    f[2 * i + 1] = __uint_as_float(w[i] & 0xffff0000u);
  }
}

/* FP32 -> BF16 bits, round to nearest even (tf_ref_f32_to_bf16 without the NaN case: the values
 * are probabilities in [0, 1]). */
__device__ __forceinline__ unsigned short bf16_bits(float x) {
  const unsigned u = __float_as_uint(x);
  return static_cast<unsigned short>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

/* FP8 E4M3 -> BF16 bits, exactly (3 mantissa bits fit in BF16's 7; the exponent range too).
 * Same decoding as tf_ref_e4m3_to_f32. */
__device__ __forceinline__ unsigned e4m3_to_bf16(unsigned b) {
  unsigned sign = (b & 0x80u) << 8, e = (b >> 3) & 0xfu, m = b & 7u;
  if (e == 15 && m == 7)
    return sign | 0x7fc0u;
  if (e == 0) /* m 2^-9 is exact in FP32 with 3 significant bits: its BF16 is the top half */
    return sign | (__float_as_uint(static_cast<float>(m) * 0.001953125f) >> 16);
  return sign | ((e + 120u) << 7) | (m << 4); /* exponent bias 7 -> 127 */
}

/* Eight consecutive cache elements, from element index elem of pool, as BF16 in a 16-byte word. */
template <typename KV> struct Load8;

template <> struct Load8<uint16_t> { /* BF16 */
  __device__ static uint4 at(const void *pool, long long elem) {
    return __ldg(reinterpret_cast<const uint4 *>(static_cast<const uint16_t *>(pool) + elem));
  }
};

template <> struct Load8<uint8_t> { /* FP8 E4M3, widened */
  __device__ static uint4 at(const void *pool, long long elem) {
    uint2 raw =
        __ldg(reinterpret_cast<const uint2 *>(static_cast<const uint8_t *>(pool) + elem));
    unsigned b[8] = {raw.x & 0xffu,         (raw.x >> 8) & 0xffu, (raw.x >> 16) & 0xffu,
                     raw.x >> 24,           raw.y & 0xffu,        (raw.y >> 8) & 0xffu,
                     (raw.y >> 16) & 0xffu, raw.y >> 24};
    uint4 r;
    r.x = e4m3_to_bf16(b[0]) | (e4m3_to_bf16(b[1]) << 16);
    r.y = e4m3_to_bf16(b[2]) | (e4m3_to_bf16(b[3]) << 16);
    r.z = e4m3_to_bf16(b[4]) | (e4m3_to_bf16(b[5]) << 16);
    r.w = e4m3_to_bf16(b[6]) | (e4m3_to_bf16(b[7]) << 16);
    return r;
  }
};

/* Copies the tile of rows tokens from t0 (zeros beyond) of KV head kvh of sequence b into a
 * shared tile of kTile rows of row_stride BF16 elements; dim elements per row. */
template <typename KV>
__device__ __forceinline__ void load_tile(const Params &p, const void *pool, long long stride,
                                          int dim, uint16_t *tile, int row_stride, int b, int kvh,
                                          int t0, int rows) {
  const int vecs = dim / 8;
  for (int i = threadIdx.x; i < kTile * vecs; i += kThreads) {
    const int r = i / vecs, c = (i - r * vecs) * 8;
    uint4 val = make_uint4(0, 0, 0, 0);
    if (r < rows) {
      const int tok = t0 + r;
      const long long page = p.page_table[static_cast<long long>(b) * p.max_pages +
                                          tok / p.page_size];
      const long long row = (page * p.page_size + tok % p.page_size) * p.kv_heads + kvh;
      val = Load8<KV>::at(pool, row * stride + c);
    }
    *reinterpret_cast<uint4 *>(tile + r * row_stride + c) = val;
  }
}

/* One chunk of one sequence for head_block query heads of one KV head.
 * Grid: x = query-head block (all blocks of a KV head adjacent), y = chunk, z = sequence.
 * HBMAX: heads per block at most (8 or 32): QK gives each warp HBMAX / 8 heads (lanes are tokens);
 * PV gives each thread 8 output columns of up to HBMAX / 4 heads. */
template <typename KV, int HBMAX>
__global__ void __launch_bounds__(kThreads) attn_chunk(Params p) {
  constexpr int kHeadsPerWarp = HBMAX / 8;
  constexpr int kHeadsPerThread = HBMAX / 4;
  constexpr int kPStride = HBMAX + 1; /* odd: lanes writing column h hit distinct banks */
  TF_DYNAMIC_SMEM(smem);
  uint16_t *q_s = reinterpret_cast<uint16_t *>(smem + p.q_off);
  uint16_t *k_s = reinterpret_cast<uint16_t *>(smem + p.k_off);
  uint16_t *v_s = reinterpret_cast<uint16_t *>(smem + p.v_off);
  float *p_s = reinterpret_cast<float *>(smem + p.p_off); /* [token][head] */
  float *m_s = reinterpret_cast<float *>(smem + p.stat_off);
  float *l_s = m_s + HBMAX, *a_s = l_s + HBMAX;

  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int hb = p.head_block;
  const int blocks_per_kv = p.heads / p.kv_heads / hb;
  const int kvh = blockIdx.x / blocks_per_kv;
  const int h0 = blockIdx.x * hb; /* first query head */
  const int split = blockIdx.y, b = blockIdx.z;
  const int t_begin = split * p.chunk;
  const int t_end = min(p.context[b], t_begin + p.chunk);
  if (t_begin >= t_end)
    return; /* a shorter sequence: the merge reads only its own chunks */

  const int qvec = p.qk_dim / 8;
  const uint16_t *q = p.q + (static_cast<long long>(b) * p.heads + h0) * p.qk_dim;
  for (int i = tid; i < hb * qvec; i += kThreads) {
    const int h = i / qvec, c = (i - h * qvec) * 8;
    *reinterpret_cast<uint4 *>(q_s + h * p.k_row + c) =
        __ldg(reinterpret_cast<const uint4 *>(q + h * p.qk_dim + c));
  }
  if (tid < HBMAX) {
    m_s[tid] = -INFINITY;
    l_s[tid] = 0.0f;
    a_s[tid] = 0.0f;
  }

  const int n_oct = p.v_dim / 8;         /* 8-column groups of the output */
  const int n_grp = kThreads / n_oct;    /* >= 4 (v_dim <= 512) */
  const int grp = tid / n_oct, oct = tid - grp * n_oct;
  float acc[kHeadsPerThread][8];
#pragma unroll
  for (int i = 0; i < kHeadsPerThread; i++)
#pragma unroll
    for (int j = 0; j < 8; j++)
      acc[i][j] = 0.0f;

  for (int t0 = t_begin; t0 < t_end; t0 += kTile) {
    const int rows = min(kTile, t_end - t0);
    __syncthreads(); /* the previous tile is consumed; queries and statistics are in place */
    load_tile<KV>(p, p.k_pool, p.k_stride, p.qk_dim, k_s, p.k_row, b, kvh, t0, rows);
    if (!p.v_in_k)
      load_tile<KV>(p, p.v_pool, p.v_stride, p.v_dim, v_s, p.v_row, b, kvh, t0, rows);
    __syncthreads();

    { /* scores of token `lane` for this warp's heads, in log2 units */
      float s[kHeadsPerWarp];
#pragma unroll
      for (int i = 0; i < kHeadsPerWarp; i++)
        s[i] = 0.0f;
      const uint16_t *krow = k_s + lane * p.k_row;
      for (int c = 0; c < p.qk_dim; c += 8) {
        float kf[8];
        unpack8(*reinterpret_cast<const uint4 *>(krow + c), kf);
#pragma unroll
        for (int i = 0; i < kHeadsPerWarp; i++) {
          const int h = warp * kHeadsPerWarp + i;
          if (h < hb) {
            float qf[8];
            unpack8(*reinterpret_cast<const uint4 *>(q_s + h * p.k_row + c), qf);
#pragma unroll
            for (int j = 0; j < 8; j++)
              s[i] = fmaf(qf[j], kf[j], s[i]);
          }
        }
      }
#pragma unroll
      for (int i = 0; i < kHeadsPerWarp; i++) {
        const int h = warp * kHeadsPerWarp + i;
        if (h < hb)
          p_s[lane * kPStride + h] = lane < rows ? s[i] * p.scale_log2 : -INFINITY;
      }
    }
    __syncthreads();

    /* Online softmax, one warp per head: new maximum, probabilities, rescale of the past. Row 0
     * is always a real token, so the maximum is finite. */
    for (int h = warp; h < hb; h += 8) {
      const float x = p_s[lane * kPStride + h];
      float mx = x;
#pragma unroll
      for (int off = 16; off > 0; off >>= 1)
        mx = fmaxf(mx, __shfl_xor_sync(kFullWarp, mx, off));
      const float m_old = m_s[h];
      const float m_new = fmaxf(m_old, mx);
      const float e = exp2f(x - m_new);
      float sum = e;
#pragma unroll
      for (int off = 16; off > 0; off >>= 1)
        sum += __shfl_xor_sync(kFullWarp, sum, off);
      p_s[lane * kPStride + h] = e;
      __syncwarp(); /* every lane has read m_s[h] */
      if (lane == 0) {
        const float alpha = exp2f(m_old - m_new); /* 0 on the first tile (m_old = -inf) */
        m_s[h] = m_new;
        l_s[h] = l_s[h] * alpha + sum;
        a_s[h] = alpha;
      }
    }
    __syncthreads();

    /* Output: rescale, then add probabilities times values. */
#pragma unroll
    for (int i = 0; i < kHeadsPerThread; i++) {
      const int h = grp + n_grp * i;
      if (h < hb) {
        const float alpha = a_s[h];
#pragma unroll
        for (int j = 0; j < 8; j++)
          acc[i][j] *= alpha;
      }
    }
    for (int r = 0; r < rows; r++) {
      float vf[8];
      unpack8(*reinterpret_cast<const uint4 *>(v_s + r * p.v_row + oct * 8), vf);
#pragma unroll
      for (int i = 0; i < kHeadsPerThread; i++) {
        const int h = grp + n_grp * i;
        if (h < hb) {
          const float pr = p_s[r * kPStride + h];
#pragma unroll
          for (int j = 0; j < 8; j++)
            acc[i][j] = fmaf(pr, vf[j], acc[i][j]);
        }
      }
    }
  }

#pragma unroll
  for (int i = 0; i < kHeadsPerThread; i++) {
    const int h = grp + n_grp * i;
    if (h < hb) {
      float *dst = p.o_part +
                   ((static_cast<long long>(b) * p.heads + h0 + h) * p.splits + split) * p.v_dim +
                   oct * 8;
      reinterpret_cast<float4 *>(dst)[0] = make_float4(acc[i][0], acc[i][1], acc[i][2], acc[i][3]);
      reinterpret_cast<float4 *>(dst)[1] = make_float4(acc[i][4], acc[i][5], acc[i][6], acc[i][7]);
    }
  }
  if (tid < hb) {
    float *ml =
        p.ml_part + ((static_cast<long long>(b) * p.heads + h0 + tid) * p.splits + split) * 2;
    ml[0] = m_s[tid];
    ml[1] = l_s[tid];
  }
}

/* The tensor-core variant: 32 query-head rows per block (rows beyond head_block are zero
 * padding), 8 warps. Scores: the 2 x 2 tiles of 16 x 16 of a 32-token tile, each tile's key width
 * halved between two warps (warps 0-3 the first half into s_a, 4-7 the second into s_b).
 * Output: warp w owns rows 16 (w / 4) .. + 16 and the 16-column tiles w % 4, w % 4 + 4, ...; each
 * tile's product goes through the warp's scratch into registers, where lane l holds row l / 2,
 * columns 8 (l % 2) .. + 8, so the running rescale needs no knowledge of WMMA's fragment layout. */
template <typename KV>
__global__ void __launch_bounds__(kThreads) attn_chunk_tc(Params p) {
  namespace wmma = nvcuda::wmma;
  constexpr int kRows = 32;
  constexpr int kSLd = TF_ATTN_TC_S_LD;
  constexpr int kPLd = TF_ATTN_TC_P_LD;
  constexpr int kMaxColTiles = 8; /* v_dim <= 512: 32 tiles over 4 warps */
  TF_DYNAMIC_SMEM(smem);
  uint16_t *q_s = reinterpret_cast<uint16_t *>(smem + p.q_off);
  uint16_t *k_s = reinterpret_cast<uint16_t *>(smem + p.k_off);
  uint16_t *v_s = reinterpret_cast<uint16_t *>(smem + p.v_off);
  float *s_a = reinterpret_cast<float *>(smem + p.s_off), *s_b = s_a + kRows * kSLd;
  uint16_t *p_s = reinterpret_cast<uint16_t *>(smem + p.p_off);
  float *m_s = reinterpret_cast<float *>(smem + p.stat_off);
  float *l_s = m_s + kRows, *a_s = l_s + kRows;

  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  float *scratch = reinterpret_cast<float *>(smem + p.scratch_off) + warp * 256;
  const int hb = p.head_block;
  const int blocks_per_kv = p.heads / p.kv_heads / hb;
  const int kvh = blockIdx.x / blocks_per_kv;
  const int h0 = blockIdx.x * hb;
  const int split = blockIdx.y, b = blockIdx.z;
  const int t_begin = split * p.chunk;
  const int t_end = min(p.context[b], t_begin + p.chunk);
  if (t_begin >= t_end)
    return;

  const int qvec = p.qk_dim / 8;
  const uint16_t *q = p.q + (static_cast<long long>(b) * p.heads + h0) * p.qk_dim;
  for (int i = tid; i < kRows * qvec; i += kThreads) {
    const int h = i / qvec, c = (i - h * qvec) * 8;
    *reinterpret_cast<uint4 *>(q_s + h * p.k_row + c) =
        h < hb ? __ldg(reinterpret_cast<const uint4 *>(q + h * p.qk_dim + c))
               : make_uint4(0, 0, 0, 0);
  }
  for (int i = tid; i < kRows * kPLd; i += kThreads) /* padding rows stay zero */
    p_s[i] = 0;
  if (tid < kRows) {
    m_s[tid] = -INFINITY;
    l_s[tid] = 0.0f;
    a_s[tid] = 0.0f;
  }

  /* Scores: this warp's tile and half of the key width. */
  const int s_tile = warp & 3, s_rt = s_tile >> 1, s_ct = s_tile & 1;
  const int ksteps = p.qk_dim / 16;
  const int k_lo = warp < 4 ? 0 : ksteps / 2, k_hi = warp < 4 ? ksteps / 2 : ksteps;
  float *s_mine = warp < 4 ? s_a : s_b;
  /* Output: this warp's rows and column tiles, this lane's row and columns. */
  const int o_rt = warp >> 2, o_cg = warp & 3;
  const int n_ct = p.v_dim / 64;
  const int my_row = 16 * o_rt + (lane >> 1), my_col = (lane & 1) * 8;
  float acc[kMaxColTiles][8];
#pragma unroll
  for (int i = 0; i < kMaxColTiles; i++)
#pragma unroll
    for (int j = 0; j < 8; j++)
      acc[i][j] = 0.0f;

  for (int t0 = t_begin; t0 < t_end; t0 += kTile) {
    const int rows = min(kTile, t_end - t0);
    __syncthreads();
    load_tile<KV>(p, p.k_pool, p.k_stride, p.qk_dim, k_s, p.k_row, b, kvh, t0, rows);
    if (!p.v_in_k)
      load_tile<KV>(p, p.v_pool, p.v_stride, p.v_dim, v_s, p.v_row, b, kvh, t0, rows);
    __syncthreads();

    {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> s_frag;
      wmma::fill_fragment(s_frag, 0.0f);
      for (int kk = k_lo; kk < k_hi; kk++) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> a;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major> kt;
        wmma::load_matrix_sync(
            a, reinterpret_cast<const __nv_bfloat16 *>(q_s + 16 * s_rt * p.k_row + 16 * kk),
            static_cast<unsigned>(p.k_row));
        wmma::load_matrix_sync(
            kt, reinterpret_cast<const __nv_bfloat16 *>(k_s + 16 * s_ct * p.k_row + 16 * kk),
            static_cast<unsigned>(p.k_row));
        wmma::mma_sync(s_frag, a, kt, s_frag);
      }
      wmma::store_matrix_sync(s_mine + 16 * s_rt * kSLd + 16 * s_ct, s_frag, kSLd,
                              wmma::mem_row_major);
    }
    __syncthreads();

    /* Online softmax, one warp per head, lane = token; the BF16-rounded probabilities are what
     * the sum adds, so numerator and denominator agree. */
    for (int h = warp; h < hb; h += 8) {
      const float x =
          lane < rows ? (s_a[h * kSLd + lane] + s_b[h * kSLd + lane]) * p.scale_log2 : -INFINITY;
      float mx = x;
#pragma unroll
      for (int off = 16; off > 0; off >>= 1)
        mx = fmaxf(mx, __shfl_xor_sync(kFullWarp, mx, off));
      const float m_old = m_s[h];
      const float m_new = fmaxf(m_old, mx);
      const unsigned short e_bits = bf16_bits(exp2f(x - m_new));
      float sum = __uint_as_float(static_cast<unsigned>(e_bits) << 16);
#pragma unroll
      for (int off = 16; off > 0; off >>= 1)
        sum += __shfl_xor_sync(kFullWarp, sum, off);
      p_s[h * kPLd + lane] = e_bits;
      __syncwarp();
      if (lane == 0) {
        const float alpha = exp2f(m_old - m_new);
        m_s[h] = m_new;
        l_s[h] = l_s[h] * alpha + sum;
        a_s[h] = alpha;
      }
    }
    __syncthreads();

    const float alpha = my_row < hb ? a_s[my_row] : 0.0f;
#pragma unroll
    for (int i = 0; i < kMaxColTiles; i++) {
      if (i < n_ct) {
#pragma unroll
        for (int j = 0; j < 8; j++)
          acc[i][j] *= alpha;
        const int ct = o_cg + 4 * i;
        wmma::fragment<wmma::accumulator, 16, 16, 16, float> o_frag;
        wmma::fill_fragment(o_frag, 0.0f);
#pragma unroll
        for (int kk = 0; kk < kTile / 16; kk++) {
          wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> pa;
          wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::row_major> vb;
          wmma::load_matrix_sync(
              pa, reinterpret_cast<const __nv_bfloat16 *>(p_s + 16 * o_rt * kPLd + 16 * kk),
              static_cast<unsigned>(kPLd));
          wmma::load_matrix_sync(
              vb, reinterpret_cast<const __nv_bfloat16 *>(v_s + 16 * kk * p.v_row + 16 * ct),
              static_cast<unsigned>(p.v_row));
          wmma::mma_sync(o_frag, pa, vb, o_frag);
        }
        wmma::store_matrix_sync(scratch, o_frag, 16, wmma::mem_row_major);
        __syncwarp();
#pragma unroll
        for (int j = 0; j < 8; j++)
          acc[i][j] += scratch[(lane >> 1) * 16 + my_col + j];
        __syncwarp();
      }
    }
  }

  if (my_row < hb) {
    float *dst = p.o_part +
                 ((static_cast<long long>(b) * p.heads + h0 + my_row) * p.splits + split) * p.v_dim;
#pragma unroll
    for (int i = 0; i < kMaxColTiles; i++) {
      if (i < n_ct) {
        float *d = dst + 16 * (o_cg + 4 * i) + my_col;
        reinterpret_cast<float4 *>(d)[0] = make_float4(acc[i][0], acc[i][1], acc[i][2], acc[i][3]);
        reinterpret_cast<float4 *>(d)[1] = make_float4(acc[i][4], acc[i][5], acc[i][6], acc[i][7]);
      }
    }
  }
  if (tid < hb) {
    float *ml =
        p.ml_part + ((static_cast<long long>(b) * p.heads + h0 + tid) * p.splits + split) * 2;
    ml[0] = m_s[tid];
    ml[1] = l_s[tid];
  }
}

/* Merges the chunks of one (query head, sequence): weights 2^(m_i - max), normalised by the
 * weighted sums. Grid: x = query head, y = sequence. */
__global__ void attn_merge(Params p) {
  const int h = blockIdx.x, b = blockIdx.y;
  const int ctx = p.context[b];
  const int n = (ctx + p.chunk - 1) / p.chunk;
  const long long base = (static_cast<long long>(b) * p.heads + h) * p.splits;
  float *out = p.out + (static_cast<long long>(b) * p.heads + h) * p.v_dim;
  float mx = -INFINITY;
  for (int s = 0; s < n; s++)
    mx = fmaxf(mx, p.ml_part[(base + s) * 2]);
  float l = 0.0f;
  for (int s = 0; s < n; s++)
    l += exp2f(p.ml_part[(base + s) * 2] - mx) * p.ml_part[(base + s) * 2 + 1];
  const float inv = n > 0 ? 1.0f / l : 0.0f;
  for (int d = threadIdx.x; d < p.v_dim; d += blockDim.x) {
    float acc = 0.0f;
    for (int s = 0; s < n; s++)
      acc += exp2f(p.ml_part[(base + s) * 2] - mx) * p.o_part[(base + s) * p.v_dim + d];
    out[d] = acc * inv;
  }
}

constexpr int kMergeThreads = 128;

/* Grids: chunk kernel x = query-head block, y = chunk, z = sequence; merge x = query head,
 * y = sequence. */
inline dim3 chunk_grid(const Params &p) {
  return dim3(static_cast<unsigned>(p.heads / p.head_block), static_cast<unsigned>(p.splits),
              static_cast<unsigned>(p.batch));
}
inline dim3 merge_grid(const Params &p) {
  return dim3(static_cast<unsigned>(p.heads), static_cast<unsigned>(p.batch));
}

/* The kernels' parameters for d planned as pl, with workspace of pl->workspace_bytes. */
inline Params make_params(const tf_attn_desc *d, const tf_attn_plan *pl, void *workspace) {
  Params prm;
  prm.page_table = d->page_table;
  prm.context = d->context;
  prm.q = static_cast<const uint16_t *>(d->q);
  prm.k_pool = d->k_pool;
  prm.v_pool = d->v_in_k ? d->k_pool : d->v_pool;
  prm.k_stride = d->k_stride;
  prm.v_stride = d->v_in_k ? d->k_stride : d->v_stride;
  prm.batch = d->batch;
  prm.heads = d->heads;
  prm.kv_heads = d->kv_heads;
  prm.qk_dim = d->qk_dim;
  prm.v_dim = d->v_dim;
  prm.page_size = d->page_size;
  prm.max_pages = d->max_pages;
  prm.head_block = pl->head_block;
  prm.splits = pl->splits;
  prm.chunk = pl->chunk;
  prm.k_row = pl->k_row;
  prm.v_row = pl->v_row;
  prm.q_off = static_cast<unsigned>(pl->q_off);
  prm.k_off = static_cast<unsigned>(pl->k_off);
  prm.v_off = static_cast<unsigned>(pl->v_off);
  prm.s_off = static_cast<unsigned>(pl->s_off);
  prm.p_off = static_cast<unsigned>(pl->p_off);
  prm.scratch_off = static_cast<unsigned>(pl->scratch_off);
  prm.stat_off = static_cast<unsigned>(pl->stat_off);
  prm.v_in_k = d->v_in_k;
  prm.scale_log2 = d->scale * 1.4426950408889634f; /* log2(e) */
  prm.o_part = static_cast<float *>(workspace);
  prm.ml_part = prm.o_part + static_cast<size_t>(d->batch) * static_cast<size_t>(d->heads) *
                                 static_cast<size_t>(pl->splits) * static_cast<size_t>(d->v_dim);
  prm.out = d->out;
  return prm;
}

} // namespace tf_attn_kernels

#endif
