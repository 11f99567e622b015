/* Streaming statistics: the log-linear histogram's buckets and quantiles, batch means. */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "batch_means.h"
#include "hist.h"
#include "rng.h"
#include "tf_test.h"

static void test_bucket_layout(void) {
  TF_CHECK_INT(tf_hist_buckets(), 7296);
  int64_t lo, hi;
  for (int64_t v = 0; v < 256; v++) {
    tf_hist_bucket_range(v, &lo, &hi);
    TF_CHECK(lo == v && hi == v);
  }
  tf_hist_bucket_range(256, &lo, &hi);
  TF_CHECK_INT(lo, 256);
  TF_CHECK_INT(hi, 257);
  tf_hist_bucket_range(INT64_MAX, &lo, &hi);
  TF_CHECK(hi == INT64_MAX);
  /* Every bucket holds its value, is at most 1/128 of its lower edge wide, and buckets tile:
   * the one after [lo, hi] starts at hi + 1. Walk a spread of values across all octaves. */
  for (int e = 8; e < 63; e++) {
    for (int k = 0; k < 300; k++) {
      int64_t v = (int64_t)(((uint64_t)1 << e) + ((uint64_t)k << (e > 9 ? e - 9 : 0)));
      if (v < 0)
        continue;
      tf_hist_bucket_range(v, &lo, &hi);
      TF_CHECK(lo <= v && v <= hi);
      TF_CHECK((double)(hi - lo + 1) <= (double)lo / 128.0);
      if (hi < INT64_MAX) {
        int64_t lo2, hi2;
        tf_hist_bucket_range(hi + 1, &lo2, &hi2);
        TF_CHECK(lo2 == hi + 1);
      }
    }
  }
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static void test_quantiles(void) {
  tf_hist *h;
  TF_CHECK_INT(tf_hist_create(&h), 0);
  TF_CHECK_INT(tf_hist_quantile(h, 0.5), 0);
  TF_CHECK_INT(tf_hist_count(h), 0);
  /* Small values are exact: 1..100, p50 = rank 50. */
  for (int64_t v = 1; v <= 100; v++)
    tf_hist_add(h, v);
  TF_CHECK_INT(tf_hist_quantile(h, 0.5), 50);
  TF_CHECK_INT(tf_hist_quantile(h, 0.99), 99);
  TF_CHECK_INT(tf_hist_quantile(h, 0.0), 1);
  TF_CHECK_INT(tf_hist_quantile(h, 1.0), 100);
  TF_CHECK_INT(tf_hist_min(h), 1);
  TF_CHECK_INT(tf_hist_max(h), 100);
  tf_hist_destroy(h);

  /* Large values (exponential, mean 1 s in ns) against the exact order statistics of the same
   * sample: within the bucket's relative half-width, 1/256. */
  enum { N = 100000 };
  int64_t *v = malloc(N * sizeof *v);
  TF_CHECK(v != NULL);
  if (!v)
    return;
  gsl_rng *r;
  TF_CHECK_INT(tf_rng_stream_create(&r, 5, 0, 0), 0);
  TF_CHECK_INT(tf_hist_create(&h), 0);
  for (int i = 0; i < N; i++) {
    v[i] = (int64_t)llround(-1e9 * log(1 - gsl_rng_uniform(r)));
    tf_hist_add(h, v[i]);
  }
  qsort(v, N, sizeof *v, cmp_i64);
  const double ps[] = {0.001, 0.1, 0.5, 0.9, 0.99, 0.999};
  for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
    int64_t exact = v[(size_t)ceil(ps[i] * N) - 1];
    TF_CHECK_NEAR(tf_hist_quantile(h, ps[i]), exact, (double)exact / 256.0 + 1);
  }
  TF_CHECK_INT(tf_hist_quantile(h, 1.0), v[N - 1]);
  TF_CHECK_INT(tf_hist_quantile(h, 0.0), v[0]);
  TF_CHECK_INT(tf_hist_count(h), N);
  tf_hist_destroy(h);
  gsl_rng_free(r);
  free(v);
  tf_hist_destroy(NULL);
}

static void test_batch_means(void) {
  tf_batch_means b;
  tf_batch_means_init(&b);
  TF_CHECK(isnan(tf_batch_means_mean(&b)));
  TF_CHECK(isnan(tf_batch_means_half_width(&b, 0.95)));
  tf_batch_means_add(&b, 1.0);
  TF_CHECK(isnan(tf_batch_means_half_width(&b, 0.95)));
  tf_batch_means_add(&b, 3.0);
  TF_CHECK_INT(tf_batch_means_batches(&b), 2);
  /* Two batch means 1 and 3: s = sqrt(2), t_{1, 0.975} = 12.7062047..., hw = t s / sqrt 2. */
  TF_CHECK_NEAR(tf_batch_means_half_width(&b, 0.95), 12.706204736174707, 1e-9);
  TF_CHECK_NEAR(tf_batch_means_mean(&b), 2.0, 0);

  /* Batch count stays in [20, 40) and the mean is over every observation. */
  tf_batch_means_init(&b);
  double sum = 0;
  for (int i = 1; i <= 100001; i++) {
    tf_batch_means_add(&b, (double)(i % 7));
    sum += (double)(i % 7);
    uint32_t k = tf_batch_means_batches(&b);
    if (i >= 20)
      TF_CHECK(k >= 20 && k < 40);
  }
  TF_CHECK_NEAR(tf_batch_means_mean(&b), sum / 100001, 1e-12);

  /* Coverage: independent N(0, 1) data, 400 replications of a 95 % interval for the mean: the
   * count that misses 0 is Binomial(400, 0.05), mean 20, sd 4.4; accept 6 .. 36. */
  gsl_rng *r;
  TF_CHECK_INT(tf_rng_stream_create(&r, 11, 0, 0), 0);
  int misses = 0;
  for (int rep = 0; rep < 400; rep++) {
    tf_batch_means_init(&b);
    for (int i = 0; i < 1000; i++) {
      double u1 = gsl_rng_uniform_pos(r), u2 = gsl_rng_uniform(r);
      tf_batch_means_add(&b, sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2));
    }
    misses += fabs(tf_batch_means_mean(&b)) > tf_batch_means_half_width(&b, 0.95);
  }
  gsl_rng_free(r);
  TF_CHECK(misses >= 6 && misses <= 36);
  printf("batch means: %d of 400 95%% intervals missed\n", misses);
}

int main(void) {
  gsl_set_error_handler_off();
  test_bucket_layout();
  test_quantiles();
  test_batch_means();
  return tf_test_report("models_stats");
}
