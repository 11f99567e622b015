/* HBM bandwidth: a streaming kernel of our own (hbm.cu), STREAM's "scale" (J. D. McCalpin,
 * STREAM: Sustainable Memory Bandwidth in High Performance Computers, 1995): y = a x over FP32
 * arrays, each element read once and written once with 16-byte accesses. Its CPU reference is
 * tf_ref_stream_scale (ref.h). */
#ifndef TF_HBM_H
#define TF_HBM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Enqueues y[i] = a x[i], i < n, on stream (a cudaStream_t), with enough blocks for sm_count
 * multiprocessors; x and y are device memory, 16-byte aligned, not overlapping. 0 or TF_EIO. */
int tf_hbm_scale(const float *x, float *y, size_t n, float a, int sm_count, void *stream);

#ifdef __cplusplus
}
#endif

#endif
