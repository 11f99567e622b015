/* GEMM and grouped GEMM through cuBLASLt (gemm.h). */
#include "gemm.h"

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>

#include "error.h"

struct tf_gemm {
  cublasLtHandle_t lt;
  void *workspace;
  size_t workspace_bytes;
};

struct tf_gemm_op {
  tf_gemm *g;
  cublasLtMatmulDesc_t desc;
  cublasLtMatrixLayout_t w_layout, a_layout, c_layout;
  cublasLtMatmulAlgo_t algo;
};

int tf_gemm_create(tf_gemm **out, size_t workspace_bytes, char *err, size_t err_size) {
  *out = nullptr;
  tf_gemm *g = static_cast<tf_gemm *>(calloc(1, sizeof *g));
  if (!g) {
    snprintf(err, err_size, "out of memory");
    return TF_ENOMEM;
  }
  cublasStatus_t s = cublasLtCreate(&g->lt);
  if (s != CUBLAS_STATUS_SUCCESS) {
    snprintf(err, err_size, "cublasLtCreate: %s", cublasLtGetStatusString(s));
    free(g);
    return TF_EIO;
  }
  cudaError_t e = cudaMalloc(&g->workspace, workspace_bytes);
  if (e != cudaSuccess) {
    snprintf(err, err_size, "cuBLASLt workspace: %s", cudaGetErrorString(e));
    cublasLtDestroy(g->lt);
    free(g);
    return TF_EIO;
  }
  g->workspace_bytes = workspace_bytes;
  *out = g;
  return 0;
}

void tf_gemm_destroy(tf_gemm *g) {
  if (!g)
    return;
  cudaFree(g->workspace);
  cublasLtDestroy(g->lt);
  free(g);
}

void tf_gemm_op_destroy(tf_gemm_op *op) {
  if (!op)
    return;
  if (op->c_layout)
    cublasLtMatrixLayoutDestroy(op->c_layout);
  if (op->a_layout)
    cublasLtMatrixLayoutDestroy(op->a_layout);
  if (op->w_layout)
    cublasLtMatrixLayoutDestroy(op->w_layout);
  if (op->desc)
    cublasLtMatmulDescDestroy(op->desc);
  free(op);
}

namespace {

/* A column-major rows x cols layout with leading dimension rows, batched when groups > 1. */
cublasStatus_t make_layout(cublasLtMatrixLayout_t *l, cudaDataType_t type, int64_t rows,
                           int64_t cols, int64_t groups) {
  cublasStatus_t s = cublasLtMatrixLayoutCreate(l, type, static_cast<uint64_t>(rows),
                                                static_cast<uint64_t>(cols), rows);
  if (s != CUBLAS_STATUS_SUCCESS || groups <= 1)
    return s;
  int32_t count = static_cast<int32_t>(groups);
  int64_t stride = rows * cols;
  s = cublasLtMatrixLayoutSetAttribute(*l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count,
                                       sizeof count);
  if (s == CUBLAS_STATUS_SUCCESS)
    s = cublasLtMatrixLayoutSetAttribute(*l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET,
                                         &stride, sizeof stride);
  return s;
}

} // namespace

int tf_gemm_op_create(tf_gemm *g, tf_dtype dtype, int64_t m, int64_t n, int64_t k, int64_t groups,
                      tf_gemm_op **out, char *err, size_t err_size) {
  *out = nullptr;
  if (m < 1 || n < 1 || k < 1 || groups < 1 || groups > 65535 ||
      (dtype != TF_DTYPE_BF16 && dtype != TF_DTYPE_E4M3)) {
    snprintf(err, err_size, "GEMM: sizes must be positive and operands BF16 or FP8");
    return TF_EINVAL;
  }
  tf_gemm_op *op = static_cast<tf_gemm_op *>(calloc(1, sizeof *op));
  if (!op) {
    snprintf(err, err_size, "out of memory");
    return TF_ENOMEM;
  }
  op->g = g;
  cudaDataType_t in = dtype == TF_DTYPE_BF16 ? CUDA_R_16BF : CUDA_R_8F_E4M3;
  cublasOperation_t transpose = CUBLAS_OP_T, keep = CUBLAS_OP_N;
  cublasStatus_t s = cublasLtMatmulDescCreate(&op->desc, CUBLAS_COMPUTE_32F, CUDA_R_32F);
  if (s == CUBLAS_STATUS_SUCCESS)
    s = cublasLtMatmulDescSetAttribute(op->desc, CUBLASLT_MATMUL_DESC_TRANSA, &transpose,
                                       sizeof transpose);
  if (s == CUBLAS_STATUS_SUCCESS)
    s = cublasLtMatmulDescSetAttribute(op->desc, CUBLASLT_MATMUL_DESC_TRANSB, &keep, sizeof keep);
  if (s == CUBLAS_STATUS_SUCCESS && dtype == TF_DTYPE_E4M3) {
    /* Inference runs FP8 GEMMs with fast accumulation (Transformer Engine's forward pass). */
    int8_t fast = 1;
    s = cublasLtMatmulDescSetAttribute(op->desc, CUBLASLT_MATMUL_DESC_FAST_ACCUM, &fast,
                                       sizeof fast);
  }
  /* cuBLASLt's A: the weights, stored k x n column-major (n x k row-major), transposed. B: the
   * tokens, k x m. C = D: n x m column-major, which is m x n row-major. */
  if (s == CUBLAS_STATUS_SUCCESS)
    s = make_layout(&op->w_layout, in, k, n, groups);
  if (s == CUBLAS_STATUS_SUCCESS)
    s = make_layout(&op->a_layout, in, k, m, groups);
  if (s == CUBLAS_STATUS_SUCCESS)
    s = make_layout(&op->c_layout, CUDA_R_16BF, n, m, groups);
  if (s != CUBLAS_STATUS_SUCCESS) {
    snprintf(err, err_size, "cuBLASLt descriptors: %s", cublasLtGetStatusString(s));
    tf_gemm_op_destroy(op);
    return TF_EIO;
  }
  cublasLtMatmulPreference_t pref = nullptr;
  uint64_t ws = g->workspace_bytes;
  s = cublasLtMatmulPreferenceCreate(&pref);
  if (s == CUBLAS_STATUS_SUCCESS)
    s = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws,
                                             sizeof ws);
  cublasLtMatmulHeuristicResult_t result = {};
  int found = 0;
  if (s == CUBLAS_STATUS_SUCCESS)
    s = cublasLtMatmulAlgoGetHeuristic(g->lt, op->desc, op->w_layout, op->a_layout, op->c_layout,
                                       op->c_layout, pref, 1, &result, &found);
  if (pref)
    cublasLtMatmulPreferenceDestroy(pref);
  if (s != CUBLAS_STATUS_SUCCESS || found < 1 || result.state != CUBLAS_STATUS_SUCCESS) {
    snprintf(err, err_size, "cuBLASLt has no %s algorithm for %lld x %lld x %lld (groups %lld): %s",
             tf_dtype_name(dtype), static_cast<long long>(m), static_cast<long long>(n),
             static_cast<long long>(k), static_cast<long long>(groups),
             s != CUBLAS_STATUS_SUCCESS ? cublasLtGetStatusString(s) : "none offered");
    tf_gemm_op_destroy(op);
    return TF_ENOTFOUND;
  }
  op->algo = result.algo;
  *out = op;
  return 0;
}

int tf_gemm_op_run(tf_gemm_op *op, const void *a, const void *w, void *c, void *stream) {
  const float alpha = 1.0f, beta = 0.0f;
  cublasStatus_t s = cublasLtMatmul(op->g->lt, op->desc, &alpha, w, op->w_layout, a,
                                    op->a_layout, &beta, c, op->c_layout, c, op->c_layout,
                                    &op->algo, op->g->workspace, op->g->workspace_bytes,
                                    static_cast<cudaStream_t>(stream));
  return s == CUBLAS_STATUS_SUCCESS ? 0 : TF_EIO;
}
