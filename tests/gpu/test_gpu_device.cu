/* GPU smoke test (ctest label `gpu`): a device answers, and a kernel's result matches the CPU. */
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <vector>

__global__ void axpy(int n, float a, const float *x, float *y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    y[i] = a * x[i] + y[i];
}

int main() {
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    std::fprintf(stderr, "no CUDA device: %s\n", cudaGetErrorString(err));
    return 1;
  }
  const int n = 1 << 20;
  std::vector<float> x(n), y(n), ref(n);
  for (int i = 0; i < n; i++) {
    x[i] = (float)(i % 97) * 0.5f;
    y[i] = (float)(i % 13);
    ref[i] = 3.0f * x[i] + y[i];
  }
  float *dx, *dy;
  if (cudaMalloc(&dx, n * sizeof(float)) != cudaSuccess ||
      cudaMalloc(&dy, n * sizeof(float)) != cudaSuccess)
    return 1;
  cudaMemcpy(dx, x.data(), n * sizeof(float), cudaMemcpyHostToDevice);
  cudaMemcpy(dy, y.data(), n * sizeof(float), cudaMemcpyHostToDevice);
  axpy<<<(n + 255) / 256, 256>>>(n, 3.0f, dx, dy);
  cudaMemcpy(y.data(), dy, n * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dx);
  cudaFree(dy);
  int bad = 0;
  for (int i = 0; i < n; i++)
    bad += std::fabs(y[i] - ref[i]) > 1e-6f * std::fabs(ref[i]);
  std::printf("gpu_device: %d devices, %d mismatches\n", count, bad);
  return bad == 0 ? 0 : 1;
}
