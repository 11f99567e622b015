/* Decode attention over a paged KV cache: launching the kernels of attn_kernels.cuh (attn.h). */
#include "attn.h"

#include <cuda_runtime.h>

#include <cstdio>

#include "attn_kernels.cuh"
#include "error.h"

namespace {

using tf_attn_kernels::Params;

/* Launches kernel over the chunk grid with the plan's shared memory, then the merge. */
template <typename Kernel>
cudaError_t launch(Kernel kernel, const Params &prm, const tf_attn_plan *pl, cudaStream_t stream) {
  /* Above 48 KiB a block must opt in to its dynamic shared memory. */
  cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                       static_cast<int>(pl->smem_bytes));
  if (e != cudaSuccess)
    return e;
  kernel<<<tf_attn_kernels::chunk_grid(prm), TF_ATTN_THREADS, pl->smem_bytes, stream>>>(prm);
  if ((e = cudaGetLastError()) != cudaSuccess)
    return e;
  tf_attn_kernels::attn_merge<<<tf_attn_kernels::merge_grid(prm),
                                tf_attn_kernels::kMergeThreads, 0, stream>>>(prm);
  return cudaGetLastError();
}

} // namespace

int tf_attn_decode(const tf_attn_desc *d, const tf_attn_plan *pl, void *workspace, void *stream,
                   char *err, size_t err_size) {
  Params prm = tf_attn_kernels::make_params(d, pl, workspace);
  cudaStream_t st = static_cast<cudaStream_t>(stream);
  bool fp8 = d->kv_type == TF_DTYPE_E4M3;
  using tf_attn_kernels::attn_chunk;
  using tf_attn_kernels::attn_chunk_tc;
  cudaError_t e;
  if (pl->tensor_cores)
    e = fp8 ? launch(attn_chunk_tc<uint8_t>, prm, pl, st)
            : launch(attn_chunk_tc<uint16_t>, prm, pl, st);
  else if (pl->head_block_max == 8)
    e = fp8 ? launch(attn_chunk<uint8_t, 8>, prm, pl, st)
            : launch(attn_chunk<uint16_t, 8>, prm, pl, st);
  else
    e = fp8 ? launch(attn_chunk<uint8_t, 32>, prm, pl, st)
            : launch(attn_chunk<uint16_t, 32>, prm, pl, st);
  if (e != cudaSuccess) {
    snprintf(err, err_size, "attention launch: %s", cudaGetErrorString(e));
    return TF_EIO;
  }
  return 0;
}
