/* The host side of timing: percentiles of the measured launch times. */
#include "timing.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double tf_timing_quantile(const double *sorted, size_t n, double q) {
  assert(n >= 1 && q >= 0 && q <= 1);
  double h = q * (double)(n - 1);
  size_t lo = (size_t)floor(h);
  if (lo + 1 >= n)
    return sorted[n - 1];
  double frac = h - (double)lo;
  return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

void tf_timing_summarise(double *times_s, size_t n, tf_timing_stats *out) {
  assert(n >= 1);
  qsort(times_s, n, sizeof *times_s, cmp_double);
  out->reps = (int64_t)n;
  out->median_s = tf_timing_quantile(times_s, n, 0.5);
  out->p10_s = tf_timing_quantile(times_s, n, 0.1);
  out->p90_s = tf_timing_quantile(times_s, n, 0.9);
}
