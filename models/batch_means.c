/* Batch means with batch doubling; the t quantile comes from GSL. */
#include "batch_means.h"

#include <assert.h>
#include <gsl/gsl_cdf.h>
#include <math.h>

void tf_batch_means_init(tf_batch_means *b) {
  assert(b);
  *b = (tf_batch_means){.batch_size = 1};
}

void tf_batch_means_add(tf_batch_means *b, double x) {
  assert(b && b->batch_size >= 1);
  b->n++;
  b->sum += x;
  b->open_sum += x;
  if (++b->open_n < b->batch_size)
    return;
  b->batch_sum[b->n_full++] = b->open_sum;
  b->open_sum = 0;
  b->open_n = 0;
  if (b->n_full == 2 * TF_BATCH_MEANS_MIN) {
    for (uint32_t i = 0; i < TF_BATCH_MEANS_MIN; i++)
      b->batch_sum[i] = b->batch_sum[2 * i] + b->batch_sum[2 * i + 1];
    b->n_full = TF_BATCH_MEANS_MIN;
    b->batch_size *= 2;
  }
}

uint32_t tf_batch_means_batches(const tf_batch_means *b) { return b->n_full; }

double tf_batch_means_mean(const tf_batch_means *b) {
  return b->n ? b->sum / (double)b->n : NAN;
}

double tf_batch_means_half_width(const tf_batch_means *b, double level) {
  assert(b && level > 0 && level < 1);
  uint32_t k = b->n_full;
  if (k < 2)
    return NAN;
  /* Two passes over at most 2 K batch means: exact enough, and k is small. */
  double size = (double)b->batch_size, mean = 0;
  for (uint32_t i = 0; i < k; i++)
    mean += b->batch_sum[i] / size;
  mean /= k;
  double ss = 0;
  for (uint32_t i = 0; i < k; i++) {
    double d = b->batch_sum[i] / size - mean;
    ss += d * d;
  }
  double s = sqrt(ss / (k - 1));
  double t = gsl_cdf_tdist_Pinv(0.5 * (1.0 + level), (double)(k - 1));
  return t * s / sqrt((double)k);
}
