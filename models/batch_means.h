/* Batch means: a confidence interval for the mean of a correlated output sequence (waiting times
 * of successive customers) in fixed memory, whatever the number of observations. */
#ifndef TF_BATCH_MEANS_H
#define TF_BATCH_MEANS_H

#include <stdint.h>

/* Observations are grouped in arrival order into batches of batch_size; when 2 K batches are
 * full, neighbours merge pairwise into K batches of twice the size. (Batch means: Law and Kelton,
 * "Simulation Modeling and Analysis", the chapter on output analysis; doubling the batch size so
 * that memory stays fixed is a common streaming variant.) So at any time between K and
 * 2 K - 1 full batches are held (fewer only while fewer than K observations have arrived), and a
 * batch grows with the run, which is what makes batch means nearly independent. The incomplete
 * last batch counts toward the overall mean, not toward the interval.
 * Callers embed the struct (fixed size, no allocation); its fields are the module's. */
enum { TF_BATCH_MEANS_MIN = 20 };

typedef struct tf_batch_means {
  double batch_sum[2 * TF_BATCH_MEANS_MIN];
  uint32_t n_full;     /* full batches held */
  uint64_t batch_size; /* observations per full batch */
  double open_sum;     /* the batch being filled */
  uint64_t open_n;
  uint64_t n;          /* observations in all */
  double sum;          /* of all observations */
} tf_batch_means;

void tf_batch_means_init(tf_batch_means *b);
void tf_batch_means_add(tf_batch_means *b, double x);
/* Full batches that enter the interval. */
uint32_t tf_batch_means_batches(const tf_batch_means *b);
/* Mean of all observations (NaN when none). */
double tf_batch_means_mean(const tf_batch_means *b);
/* Half-width of the Student-t confidence interval at level (0 < level < 1) from the full
 * batches: t_{k-1, (1 + level)/2} s / sqrt(k), s the standard deviation of the k batch means.
 * NaN with fewer than 2 batches. */
double tf_batch_means_half_width(const tf_batch_means *b, double level);

#endif
