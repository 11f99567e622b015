/* Element types of the calibration kernels' operands: FP32, BF16 and FP8 E4M3 (OCP 8-bit
 * floating point, the `fn` variant NVIDIA GPUs implement: no infinities, one NaN per sign). */
#ifndef TF_DTYPE_H
#define TF_DTYPE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tf_dtype {
  TF_DTYPE_F32 = 0, /* IEEE 754 binary32 */
  TF_DTYPE_BF16,    /* bfloat16: binary32's sign and exponent, 7 stored mantissa bits */
  TF_DTYPE_E4M3     /* FP8 E4M3: exponent bias 7, 3 mantissa bits, largest finite 448 */
} tf_dtype;

/* Bytes of one element. */
static inline size_t tf_dtype_size(tf_dtype t) {
  return t == TF_DTYPE_F32 ? 4 : t == TF_DTYPE_BF16 ? 2 : 1;
}

/* The name docs/CALIBRATION.md uses in measurements.csv's `dtype` column ("fp8" for E4M3). */
static inline const char *tf_dtype_name(tf_dtype t) {
  return t == TF_DTYPE_F32 ? "f32" : t == TF_DTYPE_BF16 ? "bf16" : "fp8";
}

#ifdef __cplusplus
}
#endif

#endif
