/* The GPU being calibrated: properties through the CUDA runtime, random operand fills. */
#include "device.h"

#include <cublasLt.h>
#include <cuda_bf16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>

#include "error.h"

int tf_device_open(int index, tf_device_info *out, char *err, size_t err_size) {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0) {
    snprintf(err, err_size, "no CUDA device: %s",
             e != cudaSuccess ? cudaGetErrorString(e) : "none found");
    return TF_ENOTFOUND;
  }
  if (index < 0 || index >= count) {
    snprintf(err, err_size, "no CUDA device %d (there are %d)", index, count);
    return TF_ENOTFOUND;
  }
  cudaDeviceProp prop;
  if ((e = cudaSetDevice(index)) != cudaSuccess ||
      (e = cudaGetDeviceProperties(&prop, index)) != cudaSuccess) {
    snprintf(err, err_size, "CUDA device %d: %s", index, cudaGetErrorString(e));
    return TF_ENOTFOUND;
  }
  tf_device_info d = {};
  d.index = index;
  snprintf(d.name, sizeof d.name, "%s", prop.name);
  const unsigned char *u = reinterpret_cast<const unsigned char *>(prop.uuid.bytes);
  snprintf(d.uuid, sizeof d.uuid,
           "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
           u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
           u[15]);
  d.cc_major = prop.major;
  d.cc_minor = prop.minor;
  d.sm_count = prop.multiProcessorCount;
  d.hbm_bytes = static_cast<double>(prop.totalGlobalMem);
  d.l2_bytes = static_cast<size_t>(prop.l2CacheSize);
  d.smem_optin_bytes = prop.sharedMemPerBlockOptin;
  /* Clock attributes are in kHz (cudaDeviceProp's clock fields are gone in CUDA 13). */
  int khz = 0;
  d.sm_clock_max_mhz = cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, index) == cudaSuccess
                           ? khz / 1000.0
                           : NAN;
  d.mem_clock_max_mhz =
      cudaDeviceGetAttribute(&khz, cudaDevAttrMemoryClockRate, index) == cudaSuccess
          ? khz / 1000.0
          : NAN;
  if (cudaRuntimeGetVersion(&d.runtime_version) != cudaSuccess)
    d.runtime_version = 0;
  d.cublaslt_version = cublasLtGetVersion();
  *out = d;
  return 0;
}

namespace {

/* SplitMix64 (S. Vigna, 2015): a good 64-bit mix of (seed, index), so every element is
 * independent of the launch geometry. */
__device__ __forceinline__ unsigned long long mix(unsigned long long z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

__global__ void fill_kernel(void *p, size_t count, int type, unsigned long long seed) {
  size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += stride) {
    /* 24 random bits -> [-1, 1) exactly representable in FP32. */
    float x = static_cast<float>(mix(seed ^ (i * 0xd1b54a32d192ed03ull)) >> 40) *
                  (1.0f / 8388608.0f) -
              1.0f;
    if (type == TF_DTYPE_F32)
      static_cast<float *>(p)[i] = x;
    else if (type == TF_DTYPE_BF16)
      static_cast<__nv_bfloat16 *>(p)[i] = __float2bfloat16_rn(x);
    else
      static_cast<__nv_fp8_storage_t *>(p)[i] = __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3);
  }
}

} // namespace

int tf_device_fill(void *p, size_t count, tf_dtype t, uint64_t seed, void *stream, char *err,
                   size_t err_size) {
  if (count == 0)
    return 0;
  size_t blocks = (count + 255) / 256;
  if (blocks > 65536)
    blocks = 65536;
  fill_kernel<<<static_cast<unsigned>(blocks), 256, 0, static_cast<cudaStream_t>(stream)>>>(
      p, count, static_cast<int>(t), static_cast<unsigned long long>(seed));
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) {
    snprintf(err, err_size, "filling operands: %s", cudaGetErrorString(e));
    return TF_EIO;
  }
  return 0;
}
