/* Distributions: exact moments, sample moments against them, names, parameter checks. */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <string.h>

#include "dist.h"
#include "error.h"
#include "rng.h"
#include "tf_test.h"

/* Excess kurtosis of each kind, for the standard error of a sample variance:
 * SE(s^2) = sigma^2 sqrt((kurtosis_excess + 2) / n). */
static double excess_kurtosis(const tf_dist *d) {
  switch (d->kind) {
  case TF_DIST_EXPONENTIAL:
    return 6.0;
  case TF_DIST_UNIFORM:
    return -6.0 / 5.0;
  case TF_DIST_GAMMA:
    return 6.0 * d->cv * d->cv;
  case TF_DIST_LOGNORMAL: {
    double w = 1.0 + d->cv * d->cv; /* exp(sigma^2) */
    return w * w * w * w + 2 * w * w * w + 3 * w * w - 6.0;
  }
  case TF_DIST_DETERMINISTIC:
    return 0.0;
  }
  return NAN;
}

/* Draws n samples on a fixed stream; sample mean within 4 standard errors of the exact mean,
 * sample variance within 4 standard errors of the exact variance. */
static void check_sample_moments(const tf_dist *d, uint64_t stream, int check_variance) {
  enum { N = 400000 };
  gsl_rng *r;
  TF_CHECK_INT(tf_rng_stream_create(&r, 20240601, 7, stream), 0);
  double mean = 0, m2 = 0, lo = INFINITY;
  for (int i = 1; i <= N; i++) {
    double x = tf_dist_sample(d, r);
    lo = x < lo ? x : lo;
    double dx = x - mean;
    mean += dx / i;
    m2 += dx * (x - mean);
  }
  gsl_rng_free(r);
  double var = m2 / (N - 1);
  double mu = tf_dist_mean(d), sigma2 = tf_dist_scv(d) * mu * mu;
  TF_CHECK(lo >= 0);
  TF_CHECK_NEAR(mean, mu, 4 * sqrt(sigma2 / N));
  if (check_variance)
    TF_CHECK_NEAR(var, sigma2, 4 * sigma2 * sqrt((excess_kurtosis(d) + 2) / N));
  if (d->kind == TF_DIST_UNIFORM)
    TF_CHECK(lo >= d->min);
}

static void test_exact_moments(void) {
  tf_dist e = {.kind = TF_DIST_EXPONENTIAL, .mean = 2, .cv = 99, .min = -5};
  TF_CHECK_NEAR(tf_dist_mean(&e), 2, 0);
  TF_CHECK_NEAR(tf_dist_scv(&e), 1, 0);
  TF_CHECK_NEAR(tf_dist_second_moment(&e), 8, 1e-15);
  tf_dist dt = {.kind = TF_DIST_DETERMINISTIC, .mean = 3};
  TF_CHECK_NEAR(tf_dist_scv(&dt), 0, 0);
  TF_CHECK_NEAR(tf_dist_second_moment(&dt), 9, 0);
  tf_dist u = {.kind = TF_DIST_UNIFORM, .min = 1, .max = 3, .mean = 100};
  TF_CHECK_NEAR(tf_dist_mean(&u), 2, 0);
  TF_CHECK_NEAR(tf_dist_scv(&u), (4.0 / 12.0) / 4.0, 1e-15);
  TF_CHECK_NEAR(tf_dist_second_moment(&u), 4 + 1.0 / 3.0, 1e-14);
  tf_dist g = {.kind = TF_DIST_GAMMA, .mean = 2, .cv = 0.5};
  TF_CHECK_NEAR(tf_dist_scv(&g), 0.25, 0);
  TF_CHECK_NEAR(tf_dist_second_moment(&g), 5, 1e-14);
  tf_dist l = {.kind = TF_DIST_LOGNORMAL, .mean = 2, .cv = 2};
  TF_CHECK_NEAR(tf_dist_scv(&l), 4, 0);
  TF_CHECK_NEAR(tf_dist_second_moment(&l), 20, 1e-13);
}

static void test_sampling(void) {
  tf_dist cases[] = {
      {.kind = TF_DIST_EXPONENTIAL, .mean = 0.25},
      {.kind = TF_DIST_UNIFORM, .min = 0.5, .max = 2.5},
      {.kind = TF_DIST_UNIFORM, .min = 0, .max = 1e-3},
      {.kind = TF_DIST_GAMMA, .mean = 2, .cv = 0.5},
      {.kind = TF_DIST_GAMMA, .mean = 2, .cv = 2}, /* shape 1/4 < 1: GSL's other branch */
      {.kind = TF_DIST_GAMMA, .mean = 1, .cv = 1}, /* the exponential */
      {.kind = TF_DIST_LOGNORMAL, .mean = 3, .cv = 0.5},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    check_sample_moments(&cases[i], i, 1);
  /* Heavy tail: the sample variance converges too slowly to test, the mean is fine. */
  tf_dist heavy = {.kind = TF_DIST_LOGNORMAL, .mean = 1, .cv = 2};
  check_sample_moments(&heavy, 100, 0);

  tf_dist det = {.kind = TF_DIST_DETERMINISTIC, .mean = 1.5};
  gsl_rng *r, *twin;
  TF_CHECK_INT(tf_rng_stream_create(&r, 1, 2, 3), 0);
  TF_CHECK_INT(tf_rng_stream_create(&twin, 1, 2, 3), 0);
  for (int i = 0; i < 10; i++)
    TF_CHECK_NEAR(tf_dist_sample(&det, r), 1.5, 0);
  /* A constant draws nothing: the stream is where it started. */
  TF_CHECK(gsl_rng_get(r) == gsl_rng_get(twin));
  gsl_rng_free(r);
  gsl_rng_free(twin);
}

static void test_names(void) {
  const tf_dist_kind kinds[] = {TF_DIST_EXPONENTIAL, TF_DIST_DETERMINISTIC, TF_DIST_UNIFORM,
                                TF_DIST_LOGNORMAL, TF_DIST_GAMMA};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    tf_dist_kind k = (tf_dist_kind)-1;
    TF_CHECK_INT(tf_dist_kind_parse(tf_dist_kind_name(kinds[i]), &k), 0);
    TF_CHECK_INT(k, kinds[i]);
  }
  TF_CHECK_STR(tf_dist_kind_name(TF_DIST_LOGNORMAL), "lognormal");
  TF_CHECK_STR(tf_dist_kind_name((tf_dist_kind)42), "unknown");
  tf_dist_kind k;
  TF_CHECK_INT(tf_dist_kind_parse("Exponential", &k), TF_ENOTFOUND);
  TF_CHECK_INT(tf_dist_kind_parse("", &k), TF_ENOTFOUND);
  TF_CHECK_INT(tf_dist_kind_parse("poisson", &k), TF_ENOTFOUND);
  TF_CHECK(strstr(tf_err_context(), "\"poisson\"") != NULL);

  char buf[64];
  tf_dist g = {.kind = TF_DIST_GAMMA, .mean = 2, .cv = 0.5};
  TF_CHECK_INT(tf_dist_format(&g, buf, sizeof buf), 0);
  TF_CHECK_STR(buf, "gamma(mean 2 s, cv 0.5)");
  tf_dist u = {.kind = TF_DIST_UNIFORM, .min = 1, .max = 3};
  TF_CHECK_INT(tf_dist_format(&u, buf, sizeof buf), 0);
  TF_CHECK_STR(buf, "uniform(1 s, 3 s)");
  TF_CHECK_INT(tf_dist_format(&u, buf, 5), TF_EFULL);
  TF_CHECK_STR(buf, "unif");
}

static void test_check(void) {
  const tf_dist good[] = {
      {.kind = TF_DIST_EXPONENTIAL, .mean = 1, .cv = -1}, /* cv is not read */
      {.kind = TF_DIST_DETERMINISTIC, .mean = 1e-9},
      {.kind = TF_DIST_UNIFORM, .min = 0, .max = 1e-9, .mean = -3},
      {.kind = TF_DIST_LOGNORMAL, .mean = 1, .cv = 10},
      {.kind = TF_DIST_GAMMA, .mean = 1, .cv = 0.01},
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    TF_CHECK_INT(tf_dist_check(&good[i]), 0);
  const tf_dist bad[] = {
      {.kind = TF_DIST_EXPONENTIAL, .mean = 0},
      {.kind = TF_DIST_EXPONENTIAL, .mean = -1},
      {.kind = TF_DIST_EXPONENTIAL, .mean = NAN},
      {.kind = TF_DIST_DETERMINISTIC, .mean = INFINITY},
      {.kind = TF_DIST_UNIFORM, .min = 1, .max = 1},
      {.kind = TF_DIST_UNIFORM, .min = 2, .max = 1},
      {.kind = TF_DIST_UNIFORM, .min = -1, .max = 1},
      {.kind = TF_DIST_UNIFORM, .min = 0, .max = INFINITY},
      {.kind = TF_DIST_LOGNORMAL, .mean = 1, .cv = 0},
      {.kind = TF_DIST_LOGNORMAL, .mean = 0, .cv = 1},
      {.kind = TF_DIST_GAMMA, .mean = 1, .cv = -0.5},
      {.kind = TF_DIST_GAMMA, .mean = 1, .cv = NAN},
      {.kind = (tf_dist_kind)17, .mean = 1, .cv = 1},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    TF_CHECK_INT(tf_dist_check(&bad[i]), TF_ERANGE);
  tf_dist g = {.kind = TF_DIST_GAMMA, .mean = 1, .cv = 0};
  TF_CHECK_INT(tf_dist_check_as(&g, "service time"), TF_ERANGE);
  TF_CHECK(strstr(tf_err_context(), "service time: gamma cv = 0") != NULL);
}

int main(void) {
  gsl_set_error_handler_off();
  test_exact_moments();
  test_sampling();
  test_names();
  test_check();
  return tf_test_report("models_dist");
}
