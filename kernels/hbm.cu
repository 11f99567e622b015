/* The HBM streaming kernel (hbm.h). */
#include "hbm.h"

#include <cuda_runtime.h>

#include "error.h"

namespace {

/* Grid-stride over float4s; the last n % 4 elements by the first threads of block 0. */
__global__ void scale_kernel(const float4 *__restrict__ x, float4 *__restrict__ y, size_t n4,
                             float a, const float *__restrict__ x_tail, float *__restrict__ y_tail,
                             unsigned tail) {
  size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n4;
       i += stride) {
    float4 v = x[i];
    v.x *= a;
    v.y *= a;
    v.z *= a;
    v.w *= a;
    y[i] = v;
  }
  if (blockIdx.x == 0 && threadIdx.x < tail)
    y_tail[threadIdx.x] = a * x_tail[threadIdx.x];
}

} // namespace

int tf_hbm_scale(const float *x, float *y, size_t n, float a, int sm_count, void *stream) {
  if (n == 0)
    return 0;
  size_t n4 = n / 4;
  /* Eight 256-thread blocks per multiprocessor keep enough loads in flight to saturate HBM;
   * more only adds scheduling. */
  size_t blocks = (n4 + 255) / 256;
  size_t cap = static_cast<size_t>(sm_count > 0 ? sm_count : 1) * 8;
  if (blocks > cap)
    blocks = cap;
  if (blocks < 1)
    blocks = 1;
  scale_kernel<<<static_cast<unsigned>(blocks), 256, 0, static_cast<cudaStream_t>(stream)>>>(
      reinterpret_cast<const float4 *>(x), reinterpret_cast<float4 *>(y), n4, a, x + 4 * n4,
      y + 4 * n4, static_cast<unsigned>(n - 4 * n4));
  return cudaGetLastError() == cudaSuccess ? 0 : TF_EIO;
}
