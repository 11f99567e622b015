/* A host emulation of the few CUDA features the attention kernels use, so that their device code
 * (kernels/attn_kernels.cuh) runs on a CPU in tests: every CUDA thread of a block is a
 * std::thread, __syncthreads and __syncwarp are std::barriers, a warp shuffle goes through a
 * per-warp exchange buffer between two warp barriers, and WMMA's fragments hold, in every lane,
 * the whole 16 x 16 tile (real fragments spread it over the warp in a layout CUDA keeps private,
 * which correct code never depends on). Blocks run one after another on the same threads.
 * Dynamic shared memory is a heap buffer of exactly the requested size filled with NaN bytes
 * before each block, so AddressSanitizer catches an access beyond it and a read of a value never
 * written shows as NaN.
 *
 * What it cannot show: timing, memory coalescing, bank conflicts, races between warps that real
 * hardware would expose but these barriers order (each thread is preemptive, so many such races
 * still surface), and anything of the real compiler. Slow: small grids only. */
#ifndef TF_SIMT_H
#define TF_SIMT_H

#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>
#include <type_traits>
#include <vector>

#define TF_SIMT_HOST 1

struct dim3 {
  unsigned x, y, z;
  dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
struct uint2 {
  unsigned x, y;
};
struct uint4 {
  unsigned x, y, z, w;
};
struct float4 {
  float x, y, z, w;
};
inline uint4 make_uint4(unsigned a, unsigned b, unsigned c, unsigned d) { return {a, b, c, d}; }
inline float4 make_float4(float a, float b, float c, float d) { return {a, b, c, d}; }

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __align__(n) alignas(n)

namespace simt {

struct block {
  dim3 idx, dim, grid;
  unsigned char *smem;
  std::unique_ptr<std::barrier<>> all;
  std::vector<std::unique_ptr<std::barrier<>>> warps;
  std::vector<float> exchange; /* 32 per warp */
};

inline thread_local block *current;
inline thread_local dim3 thread_idx;

inline void warp_sync() { current->warps[thread_idx.x / 32]->arrive_and_wait(); }

/* Runs kernel(args...) over grid blocks of block_dim.x threads (a multiple of 32); the same
 * block_dim.x host threads run every block in turn. */
template <class Kernel, class... Args>
void launch(Kernel kernel, dim3 grid, dim3 block_dim, size_t smem_bytes, Args... args) {
  unsigned threads = block_dim.x;
  block b;
  b.dim = block_dim;
  b.grid = grid;
  std::vector<unsigned char> smem(smem_bytes ? smem_bytes : 1);
  b.smem = smem.data();
  b.all = std::make_unique<std::barrier<>>(static_cast<std::ptrdiff_t>(threads));
  for (unsigned w = 0; w < (threads + 31) / 32; w++)
    b.warps.push_back(std::make_unique<std::barrier<>>(32));
  b.exchange.assign(threads, 0.0f);
  std::barrier<> between(static_cast<std::ptrdiff_t>(threads));
  auto body = [&](unsigned t) {
    current = &b;
    thread_idx = dim3(t, 0, 0);
    for (unsigned z = 0; z < grid.z; z++)
      for (unsigned y = 0; y < grid.y; y++)
        for (unsigned x = 0; x < grid.x; x++) {
          if (t == 0) {
            b.idx = dim3(x, y, z);
            std::memset(b.smem, 0xff, smem.size()); /* NaN bytes: nothing carries over */
          }
          between.arrive_and_wait();
          kernel(args...);
          between.arrive_and_wait();
        }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; t++)
    pool.emplace_back(body, t);
  for (auto &th : pool)
    th.join();
}

} // namespace simt

#define threadIdx (simt::thread_idx)
#define blockIdx (simt::current->idx)
#define blockDim (simt::current->dim)
#define gridDim (simt::current->grid)
#define TF_DYNAMIC_SMEM(name) unsigned char *name = simt::current->smem

inline void __syncthreads() { simt::current->all->arrive_and_wait(); }
inline void __syncwarp(unsigned = 0xffffffffu) { simt::warp_sync(); }
inline float __shfl_xor_sync(unsigned, float v, int lane_mask) {
  float *x = &simt::current->exchange[simt::thread_idx.x / 32 * 32];
  unsigned lane = simt::thread_idx.x % 32;
  x[lane] = v;
  simt::warp_sync();
  float r = x[lane ^ static_cast<unsigned>(lane_mask)];
  simt::warp_sync();
  return r;
}
template <class T> inline T __ldg(const T *p) { return *p; }
inline float __uint_as_float(unsigned u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
inline unsigned __float_as_uint(float f) {
  unsigned u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
using std::min;

/* BF16 as stored: its bits. */
struct __nv_bfloat16 {
  unsigned short bits;
};

/* WMMA for 16 x 16 x 16 BF16 tiles with FP32 accumulation, as the tensor-core attention uses it:
 * each lane holds the whole tile, loads and products are computed by every lane (the same values),
 * a store is done by lane 0 between warp barriers. Products accumulate in FP32 in index order;
 * hardware sums in its own order, so results agree to FP32 rounding. */
namespace nvcuda {
namespace wmma {
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };

template <class Use, int M, int N, int K, class T, class Layout = void> struct fragment {
  float x[16 * 16]; /* element (row, column) at x[16 row + column] */
};

template <class Use, class T, class L>
inline void fill_fragment(fragment<Use, 16, 16, 16, T, L> &f, float v) {
  for (float &e : f.x)
    e = v;
}

inline float bf16_value(__nv_bfloat16 b) {
  return __uint_as_float(static_cast<unsigned>(b.bits) << 16);
}

/* A: rows x k; B: k x columns. row_major: element (r, c) at p[r ldm + c]; col_major:
 * p[c ldm + r]. */
template <class Use, class L>
inline void load_matrix_sync(fragment<Use, 16, 16, 16, __nv_bfloat16, L> &f, const __nv_bfloat16 *p,
                             unsigned ldm) {
  simt::warp_sync(); /* like the real one, every lane reads what the warp wrote before */
  for (unsigned r = 0; r < 16; r++)
    for (unsigned c = 0; c < 16; c++)
      f.x[16 * r + c] = bf16_value(std::is_same_v<L, row_major> ? p[r * ldm + c] : p[c * ldm + r]);
}

template <class LA, class LB>
inline void mma_sync(fragment<accumulator, 16, 16, 16, float> &d,
                     const fragment<matrix_a, 16, 16, 16, __nv_bfloat16, LA> &a,
                     const fragment<matrix_b, 16, 16, 16, __nv_bfloat16, LB> &b,
                     const fragment<accumulator, 16, 16, 16, float> &c) {
  float out[16 * 16];
  for (int r = 0; r < 16; r++)
    for (int n = 0; n < 16; n++) {
      float sum = c.x[16 * r + n];
      for (int k = 0; k < 16; k++)
        sum += a.x[16 * r + k] * b.x[16 * k + n];
      out[16 * r + n] = sum;
    }
  std::memcpy(d.x, out, sizeof out);
}

inline void store_matrix_sync(float *p, const fragment<accumulator, 16, 16, 16, float> &f,
                              unsigned ldm, layout_t layout) {
  simt::warp_sync();
  if (simt::thread_idx.x % 32 == 0)
    for (unsigned r = 0; r < 16; r++)
      for (unsigned c = 0; c < 16; c++)
        p[layout == mem_row_major ? r * ldm + c : c * ldm + r] = f.x[16 * r + c];
  simt::warp_sync();
}
} // namespace wmma
} // namespace nvcuda

#endif
