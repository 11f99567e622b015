/* A fixed-size log-linear histogram of non-negative integers (durations in ns) for streaming
 * quantiles: memory does not grow with the number of values recorded. */
#ifndef TF_HIST_H
#define TF_HIST_H

#include <stdint.h>

/* Values below 256 have a bucket each (exact). Above, every power-of-two octave [2^e, 2^(e+1))
 * is split into 128 equal buckets, so a bucket is at most 1/128 of its lower edge wide and a
 * quantile reported at a bucket's midpoint is within 1/256 (0.4 %) of a value recorded in that
 * bucket. 7296 buckets of 8 bytes (57 KiB) cover 0 .. INT64_MAX. The layout is HdrHistogram's
 * idea (Gil Tene) with 7 significant bits; the code is ours. */
typedef struct tf_hist tf_hist;

int tf_hist_create(tf_hist **out);
/* NULL is fine. */
void tf_hist_destroy(tf_hist *h);

/* Adds what `from` holds into `into`, as if each value had been recorded there. O(buckets). */
void tf_hist_merge(tf_hist *into, const tf_hist *from);

/* Records value (>= 0). O(1). */
void tf_hist_add(tf_hist *h, int64_t value);
uint64_t tf_hist_count(const tf_hist *h);
/* Smallest and largest values recorded, exactly (0 when empty). */
int64_t tf_hist_min(const tf_hist *h);
int64_t tf_hist_max(const tf_hist *h);

/* The p-quantile, 0 <= p <= 1: the value at rank max(1, ceil(p n)) in sorted order, reported as
 * the midpoint of its bucket (exact below 256), clamped to [min, max], so p = 0 and p = 1 give
 * min and max exactly. 0 when empty. O(buckets). */
int64_t tf_hist_quantile(const tf_hist *h, double p);

/* Number of buckets, and the [lo, hi] value range of the bucket holding value: for tests. */
uint32_t tf_hist_buckets(void);
void tf_hist_bucket_range(int64_t value, int64_t *lo, int64_t *hi);

#endif
