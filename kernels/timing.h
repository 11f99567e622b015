/* Timing GPU launches with CUDA events: warm-up, then timed launches each between its own pair
 * of events, summarised as median, 10th and 90th percentiles.
 *
 * Method (docs/CALIBRATION.md, "Timing"): before the timed launches a delay kernel holds the
 * stream for long enough that the host enqueues them all behind it, so the GPU runs them back to
 * back and host launch overhead does not leak into small kernels' times (the "blocking kernel"
 * of NVIDIA's nvbench). Before each timed launch, outside its events, the L2 cache is flushed by
 * writing a buffer of twice its size: every launch reads its operands from HBM, as a serving step
 * does with the next layer's weights and KV cache.
 *
 * timing_stats.c has the host-side summary (built everywhere, tested without a GPU); timing.cu the
 * CUDA part. */
#ifndef TF_TIMING_H
#define TF_TIMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tf_timing_stats {
  int64_t reps;   /* timed launches */
  double median_s, p10_s, p90_s;
} tf_timing_stats;

/* The q-quantile (0 <= q <= 1) of n >= 1 sorted values, by linear interpolation between order
 * statistics (Hyndman and Fan's type 7, R's and NumPy's default). */
double tf_timing_quantile(const double *sorted, size_t n, double q);

/* Sorts times_s (n >= 1) in place and summarises it. */
void tf_timing_summarise(double *times_s, size_t n, tf_timing_stats *out);

/* ---- CUDA (timing.cu) ---- */

/* One launch of the work being timed, enqueued on stream (a cudaStream_t); 0 or a TF_E code. */
typedef int (*tf_timing_launch_fn)(void *ctx, void *stream);

typedef struct tf_timing_opts {
  int warmup;             /* untimed launches first */
  int reps_min, reps_max; /* timed launches: enough for target_s of GPU time, within these */
  double target_s;
  bool flush_l2;          /* flush the L2 cache before each timed launch */
} tf_timing_opts;

typedef struct tf_timer tf_timer;

/* A timer on stream for up to reps_max timed launches; l2_bytes is the GPU's L2 size (the flush
 * buffer is twice that). 0, TF_ENOMEM or TF_EIO (CUDA error, err says which). */
int tf_timer_create(tf_timer **out, void *stream, size_t l2_bytes, int reps_max, char *err,
                    size_t err_size);
void tf_timer_destroy(tf_timer *t);

/* Times fn: warm-up launches (timed together, giving the estimate that sets the number of timed
 * launches), then the timed launches. est_launch_s gets the warm-up estimate of one launch.
 * 0, the callback's code, or TF_EIO with err. */
int tf_timer_measure(tf_timer *t, tf_timing_launch_fn fn, void *ctx, const tf_timing_opts *o,
                     tf_timing_stats *out, double *est_launch_s, char *err, size_t err_size);

/* Keeps the GPU running fn for seconds of wall time (launches in batches of about 10 ms of GPU
 * time, est_launch_s each), for power to be sampled meanwhile. 0, the callback's code or TF_EIO. */
int tf_timer_sustain(tf_timer *t, tf_timing_launch_fn fn, void *ctx, double seconds,
                     double est_launch_s, char *err, size_t err_size);

#ifdef __cplusplus
}
#endif

#endif
