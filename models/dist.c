/* Time distributions: names, parameter checks, exact moments and sampling with GSL. */
#include "dist.h"

#include <assert.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static const char *const kind_names[] = {
    [TF_DIST_EXPONENTIAL] = "exponential",
    [TF_DIST_DETERMINISTIC] = "deterministic",
    [TF_DIST_UNIFORM] = "uniform",
    [TF_DIST_LOGNORMAL] = "lognormal",
    [TF_DIST_GAMMA] = "gamma",
};
#define N_KINDS (sizeof kind_names / sizeof kind_names[0])

const char *tf_dist_kind_name(tf_dist_kind k) {
  if ((unsigned)k >= N_KINDS)
    return "unknown";
  return kind_names[k];
}

int tf_dist_kind_parse(const char *name, tf_dist_kind *out) {
  assert(name && out);
  for (size_t i = 0; i < N_KINDS; i++) {
    if (strcmp(name, kind_names[i]) == 0) {
      *out = (tf_dist_kind)i;
      return 0;
    }
  }
  return TF_FAIL(TF_ENOTFOUND,
                 "unknown distribution \"%s\" (expected exponential, deterministic, uniform, "
                 "lognormal or gamma)",
                 name);
}

static int check_positive(const char *what, const char *kind, const char *field, double v) {
  if (!(isfinite(v) && v > 0))
    return TF_FAIL(TF_ERANGE, "%s: %s %s = %g, expected a finite number > 0", what, kind, field,
                   v);
  return 0;
}

int tf_dist_check_as(const tf_dist *d, const char *what) {
  assert(d && what);
  const char *kind = tf_dist_kind_name(d->kind);
  switch (d->kind) {
  case TF_DIST_EXPONENTIAL:
  case TF_DIST_DETERMINISTIC:
    return check_positive(what, kind, "mean", d->mean);
  case TF_DIST_LOGNORMAL:
  case TF_DIST_GAMMA: {
    int rc = check_positive(what, kind, "mean", d->mean);
    return rc ? rc : check_positive(what, kind, "cv", d->cv);
  }
  case TF_DIST_UNIFORM:
    if (!(isfinite(d->min) && isfinite(d->max) && d->min >= 0 && d->min < d->max))
      return TF_FAIL(TF_ERANGE, "%s: uniform min = %g, max = %g, expected 0 <= min < max", what,
                     d->min, d->max);
    return 0;
  }
  return TF_FAIL(TF_ERANGE, "%s: unknown distribution kind %d", what, (int)d->kind);
}

int tf_dist_check(const tf_dist *d) { return tf_dist_check_as(d, "distribution"); }

double tf_dist_mean(const tf_dist *d) {
  assert(d);
  return d->kind == TF_DIST_UNIFORM ? 0.5 * (d->min + d->max) : d->mean;
}

double tf_dist_scv(const tf_dist *d) {
  assert(d);
  switch (d->kind) {
  case TF_DIST_EXPONENTIAL:
    return 1.0;
  case TF_DIST_DETERMINISTIC:
    return 0.0;
  case TF_DIST_UNIFORM: {
    /* Var = (max - min)^2 / 12. */
    double m = tf_dist_mean(d), w = d->max - d->min;
    return w * w / (12.0 * m * m);
  }
  case TF_DIST_LOGNORMAL:
  case TF_DIST_GAMMA:
    return d->cv * d->cv;
  }
  return NAN;
}

double tf_dist_second_moment(const tf_dist *d) {
  double m = tf_dist_mean(d);
  return m * m * (1.0 + tf_dist_scv(d));
}

double tf_dist_sample(const tf_dist *d, gsl_rng *r) {
  assert(d && r);
  switch (d->kind) {
  case TF_DIST_EXPONENTIAL:
    return gsl_ran_exponential(r, d->mean);
  case TF_DIST_DETERMINISTIC:
    return d->mean;
  case TF_DIST_UNIFORM:
    return gsl_ran_flat(r, d->min, d->max);
  case TF_DIST_LOGNORMAL: {
    /* X = exp(N(mu, sigma^2)) has E[X] = exp(mu + sigma^2/2) and cv^2 = exp(sigma^2) - 1, so
     * sigma^2 = ln(1 + cv^2) and mu = ln(mean) - sigma^2/2. */
    double sigma2 = log1p(d->cv * d->cv);
    return gsl_ran_lognormal(r, log(d->mean) - 0.5 * sigma2, sqrt(sigma2));
  }
  case TF_DIST_GAMMA: {
    /* Shape k, scale theta: mean k theta, cv^2 = 1/k. */
    double k = 1.0 / (d->cv * d->cv);
    return gsl_ran_gamma(r, k, d->mean / k);
  }
  }
  assert(0 && "tf_dist_sample: unknown kind");
  return NAN;
}

int tf_dist_format(const tf_dist *d, char *buf, size_t size) {
  assert(d && buf && size > 0);
  int n;
  switch (d->kind) {
  case TF_DIST_EXPONENTIAL:
  case TF_DIST_DETERMINISTIC:
    n = snprintf(buf, size, "%s(mean %g s)", tf_dist_kind_name(d->kind), d->mean);
    break;
  case TF_DIST_UNIFORM:
    n = snprintf(buf, size, "uniform(%g s, %g s)", d->min, d->max);
    break;
  case TF_DIST_LOGNORMAL:
  case TF_DIST_GAMMA:
    n = snprintf(buf, size, "%s(mean %g s, cv %g)", tf_dist_kind_name(d->kind), d->mean, d->cv);
    break;
  default:
    n = snprintf(buf, size, "unknown(%d)", (int)d->kind);
    break;
  }
  if (n < 0 || (size_t)n >= size)
    return TF_FAIL(TF_EFULL, "describing a distribution needs %d bytes, have %zu", n + 1, size);
  return 0;
}
