/* GEMMs of a serving step through cuBLASLt (gemm.cu): tokens times a weight matrix, BF16 or FP8
 * E4M3 operands, FP32 accumulation, BF16 output; and grouped GEMMs (the experts of a mixture-of-
 * experts layer), as one strided-batched cuBLASLt call.
 *
 * Layout (row-major, as ref.h's tf_ref_gemm): tokens a are m x k, weights w are n x k, the result
 * c is m x n. cuBLASLt is column-major, so it computes c^T = w a^T with the weights as its
 * transposed A operand and the tokens as its B: the "TN" layout that FP8 requires on Hopper and
 * Ada (cuBLAS documentation, cublasLtMatmul, FP8 restrictions). The algorithm is cuBLASLt's first
 * heuristic choice with a 32 MiB workspace, as a serving engine that does not autotune gets.
 *
 * Grouped: g groups of the same m, n, k at fixed strides (a + i m k, w + i n k, c + i m n), one
 * strided-batched call: one launch for all experts, like the grouped kernels of serving engines,
 * with every expert receiving the same number of tokens (routing imbalance is modelled elsewhere,
 * models/moe_routing.h). */
#ifndef TF_GEMM_H
#define TF_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The workspace cuBLASLt may use: NVIDIA recommends 32 MiB on Hopper (cuBLAS documentation,
 * cublasSetWorkspace). */
#define TF_GEMM_WORKSPACE_BYTES (32u << 20)

typedef struct tf_gemm tf_gemm;       /* a cuBLASLt handle and its workspace */
typedef struct tf_gemm_op tf_gemm_op; /* one shape: descriptors and the chosen algorithm */

/* 0 or TF_EIO (err says why). */
int tf_gemm_create(tf_gemm **out, size_t workspace_bytes, char *err, size_t err_size);
void tf_gemm_destroy(tf_gemm *g);

/* Plans groups x (m x k tokens times n x k weights) with operands of type dtype (BF16 or E4M3).
 * 0; TF_ENOTFOUND when cuBLASLt has no algorithm for it on this GPU (FP8 before compute
 * capability 8.9, or a shape it does not take): err says so; TF_EINVAL; TF_EIO. */
int tf_gemm_op_create(tf_gemm *g, tf_dtype dtype, int64_t m, int64_t n, int64_t k, int64_t groups,
                      tf_gemm_op **out, char *err, size_t err_size);
void tf_gemm_op_destroy(tf_gemm_op *op);

/* Enqueues c = a w^T (per group) on stream (a cudaStream_t); device pointers, 16-byte aligned.
 * 0 or TF_EIO. */
int tf_gemm_op_run(tf_gemm_op *op, const void *a, const void *w, void *c, void *stream);

#ifdef __cplusplus
}
#endif

#endif
