/* Probability distributions of times (inter-arrival, service): a spec, its moments, and sampling. */
#ifndef TF_DIST_H
#define TF_DIST_H

#include <gsl/gsl_rng.h>
#include <stddef.h>

typedef enum tf_dist_kind {
  TF_DIST_EXPONENTIAL,   /* mean */
  TF_DIST_DETERMINISTIC, /* mean (the constant value) */
  TF_DIST_UNIFORM,       /* min, max */
  TF_DIST_LOGNORMAL,     /* mean, cv */
  TF_DIST_GAMMA,         /* mean, cv */
} tf_dist_kind;

/* A distribution of a non-negative quantity, parameters in SI units (seconds for times). Only the
 * fields its kind names are read. */
typedef struct tf_dist {
  tf_dist_kind kind;
  double mean; /* > 0 */
  double cv;   /* coefficient of variation (standard deviation / mean), > 0 */
  double min;  /* uniform: 0 <= min < max */
  double max;
} tf_dist;

/* "exponential", "deterministic", ... */
const char *tf_dist_kind_name(tf_dist_kind k);
/* Parses a kind name; TF_ENOTFOUND if it is none of them. */
int tf_dist_kind_parse(const char *name, tf_dist_kind *out);

/* 0 if the parameters its kind reads are valid, else TF_ERANGE (with context via TF_FAIL). */
int tf_dist_check(const tf_dist *d);
double tf_dist_mean(const tf_dist *d);
/* Squared coefficient of variation, Var/mean^2. */
double tf_dist_scv(const tf_dist *d);
/* E[X^2]. */
double tf_dist_second_moment(const tf_dist *d);
/* One draw from r. */
double tf_dist_sample(const tf_dist *d, gsl_rng *r);

/* Additions beyond the fixed interface above. */

/* tf_dist_check with `what` ("service time", "inter-arrival time") leading the failure context,
 * so a caller checking several distributions says which one is wrong. */
int tf_dist_check_as(const tf_dist *d, const char *what);
/* A short human description, "lognormal(mean 2 s, cv 0.5)", into buf (NUL-terminated).
 * 0, or TF_EFULL if it did not fit (buf then holds a truncated text). */
int tf_dist_format(const tf_dist *d, char *buf, size_t size);

#endif
