/* Timing launches with CUDA events behind a delay kernel, with L2 flushes (timing.h). */
#include "timing.h"

#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "error.h"

struct tf_timer {
  cudaStream_t stream;
  void *flush;
  size_t flush_bytes;
  int reps_max;
  cudaEvent_t *events; /* 2 reps_max: start and stop of each timed launch */
  double *times_s;
};

namespace {

/* Holds the stream for ns nanoseconds of the GPU's global timer, sleeping between reads. */
__global__ void delay_kernel(unsigned long long ns) {
  unsigned long long start, now;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(start));
  do {
    __nanosleep(1000);
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
  } while (now - start < ns);
}

int cuda_fail(cudaError_t e, const char *what, char *err, size_t err_size) {
  snprintf(err, err_size, "%s: %s", what, cudaGetErrorString(e));
  return TF_EIO;
}

double now_s() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

} // namespace

void tf_timer_destroy(tf_timer *t) {
  if (!t)
    return;
  if (t->events)
    for (int i = 0; i < 2 * t->reps_max; i++)
      if (t->events[i])
        cudaEventDestroy(t->events[i]);
  free(t->events);
  free(t->times_s);
  cudaFree(t->flush);
  free(t);
}

int tf_timer_create(tf_timer **out, void *stream, size_t l2_bytes, int reps_max, char *err,
                    size_t err_size) {
  *out = nullptr;
  if (reps_max < 1)
    reps_max = 1;
  tf_timer *t = static_cast<tf_timer *>(calloc(1, sizeof *t));
  if (!t) {
    snprintf(err, err_size, "out of memory");
    return TF_ENOMEM;
  }
  t->stream = static_cast<cudaStream_t>(stream);
  t->reps_max = reps_max;
  t->events = static_cast<cudaEvent_t *>(calloc(2 * static_cast<size_t>(reps_max),
                                                sizeof *t->events));
  t->times_s = static_cast<double *>(calloc(static_cast<size_t>(reps_max), sizeof *t->times_s));
  if (!t->events || !t->times_s) {
    tf_timer_destroy(t);
    snprintf(err, err_size, "out of memory");
    return TF_ENOMEM;
  }
  for (int i = 0; i < 2 * reps_max; i++) {
    cudaError_t e = cudaEventCreate(&t->events[i]);
    if (e != cudaSuccess) {
      tf_timer_destroy(t);
      return cuda_fail(e, "creating CUDA events", err, err_size);
    }
  }
  t->flush_bytes = 2 * (l2_bytes ? l2_bytes : (size_t)64 << 20);
  cudaError_t e = cudaMalloc(&t->flush, t->flush_bytes);
  if (e != cudaSuccess) {
    tf_timer_destroy(t);
    return cuda_fail(e, "allocating the L2 flush buffer", err, err_size);
  }
  *out = t;
  return 0;
}

int tf_timer_measure(tf_timer *t, tf_timing_launch_fn fn, void *ctx, const tf_timing_opts *o,
                     tf_timing_stats *out, double *est_launch_s, char *err, size_t err_size) {
  /* Warm-up, timed as a whole for the estimate of one launch (at least one launch). */
  int warm = o->warmup > 0 ? o->warmup : 1;
  cudaError_t e = cudaEventRecord(t->events[0], t->stream);
  for (int i = 0; e == cudaSuccess && i < warm; i++) {
    int rc = fn(ctx, t->stream);
    if (rc) {
      snprintf(err, err_size, "launch failed during warm-up");
      return rc;
    }
  }
  if (e == cudaSuccess)
    e = cudaEventRecord(t->events[1], t->stream);
  if (e == cudaSuccess)
    e = cudaEventSynchronize(t->events[1]);
  float ms = 0;
  if (e == cudaSuccess)
    e = cudaEventElapsedTime(&ms, t->events[0], t->events[1]);
  if (e == cudaSuccess)
    e = cudaGetLastError();
  if (e != cudaSuccess)
    return cuda_fail(e, "warm-up", err, err_size);
  double est = fmax(1e-3 * ms / warm, 1e-7);
  *est_launch_s = est;

  int reps_max = o->reps_max < t->reps_max ? o->reps_max : t->reps_max;
  int reps_min = o->reps_min < reps_max ? o->reps_min : reps_max;
  double want = ceil(o->target_s / est);
  int reps = want > reps_max ? reps_max : want < reps_min ? reps_min : static_cast<int>(want);
  if (reps < 1)
    reps = 1;

  /* Enqueueing one timed launch costs the host about 20 us (events, flush, the launch); the delay
   * covers that for every launch, within 100 ms. */
  double delay_s = fmin(200e-6 + 30e-6 * reps, 0.1);
  delay_kernel<<<1, 1, 0, t->stream>>>(static_cast<unsigned long long>(delay_s * 1e9));
  e = cudaGetLastError();
  for (int r = 0; e == cudaSuccess && r < reps; r++) {
    if (o->flush_l2)
      e = cudaMemsetAsync(t->flush, r & 0xff, t->flush_bytes, t->stream);
    if (e == cudaSuccess)
      e = cudaEventRecord(t->events[2 * r], t->stream);
    if (e != cudaSuccess)
      break;
    int rc = fn(ctx, t->stream);
    if (rc) {
      cudaStreamSynchronize(t->stream);
      snprintf(err, err_size, "launch failed");
      return rc;
    }
    e = cudaEventRecord(t->events[2 * r + 1], t->stream);
  }
  if (e == cudaSuccess)
    e = cudaStreamSynchronize(t->stream);
  for (int r = 0; e == cudaSuccess && r < reps; r++) {
    e = cudaEventElapsedTime(&ms, t->events[2 * r], t->events[2 * r + 1]);
    t->times_s[r] = 1e-3 * ms;
  }
  if (e == cudaSuccess)
    e = cudaGetLastError();
  if (e != cudaSuccess)
    return cuda_fail(e, "timed launches", err, err_size);
  tf_timing_summarise(t->times_s, static_cast<size_t>(reps), out);
  return 0;
}

int tf_timer_sustain(tf_timer *t, tf_timing_launch_fn fn, void *ctx, double seconds,
                     double est_launch_s, char *err, size_t err_size) {
  /* Batches of about 10 ms of GPU work; the host waits for the batch before last, so the GPU
   * always has the next one queued. */
  double per_batch = ceil(0.01 / fmax(est_launch_s, 1e-7));
  int batch = per_batch > 1000 ? 1000 : per_batch < 1 ? 1 : static_cast<int>(per_batch);
  cudaEvent_t done[2] = {t->events[0], t->events[1]};
  bool pending[2] = {false, false};
  cudaError_t e = cudaSuccess;
  double start = now_s();
  for (int i = 0; e == cudaSuccess && now_s() - start < seconds; i ^= 1) {
    for (int j = 0; j < batch; j++) {
      int rc = fn(ctx, t->stream);
      if (rc) {
        cudaStreamSynchronize(t->stream);
        snprintf(err, err_size, "launch failed");
        return rc;
      }
    }
    e = cudaEventRecord(done[i], t->stream);
    pending[i] = e == cudaSuccess;
    if (e == cudaSuccess && pending[i ^ 1])
      e = cudaEventSynchronize(done[i ^ 1]);
  }
  if (e == cudaSuccess)
    e = cudaStreamSynchronize(t->stream);
  if (e == cudaSuccess)
    e = cudaGetLastError();
  return e == cudaSuccess ? 0 : cuda_fail(e, "sustained launches", err, err_size);
}
