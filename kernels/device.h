/* The GPU being calibrated: what CUDA says about it, and filling its memory with operands
 * (device.cu). */
#ifndef TF_DEVICE_H
#define TF_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tf_device_info {
  int index;                      /* CUDA device index */
  char name[256];                 /* "NVIDIA H100 80GB HBM3" */
  char uuid[64];                  /* "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", as nvidia-smi */
  int cc_major, cc_minor;         /* compute capability */
  int sm_count;
  double sm_clock_max_mhz;        /* CUDA's peak clocks (NVML's, where present, are preferred) */
  double mem_clock_max_mhz;
  double hbm_bytes;
  size_t l2_bytes;
  size_t smem_optin_bytes;        /* shared memory a block may opt in to */
  int runtime_version;            /* cudaRuntimeGetVersion: 1000 major + 10 minor */
  size_t cublaslt_version;        /* cublasLtGetVersion: 10000 major + 100 minor + patch */
} tf_device_info;

/* Makes device index current and describes it. 0, or TF_ENOTFOUND (no such device, no driver:
 * err has CUDA's reason). */
int tf_device_open(int index, tf_device_info *out, char *err, size_t err_size);

/* count elements of type t at p (device memory) become pseudo-random values uniform in [-1, 1),
 * a function of seed and the element's index; enqueued on stream. Random operands matter: the
 * power a GEMM draws depends on its data (zeros draw far less). 0 or TF_EIO. */
int tf_device_fill(void *p, size_t count, tf_dtype t, uint64_t seed, void *stream, char *err,
                   size_t err_size);

#ifdef __cplusplus
}
#endif

#endif
