/* Exact queueing formulas: Erlang C by the Erlang B recurrence, Pollaczek-Khinchine, Little. */
#include "queueing.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "error.h"

const char *tf_queueing_model_name(tf_queueing_model m) {
  switch (m) {
  case TF_QUEUEING_MMC:
    return "M/M/c";
  case TF_QUEUEING_MG1:
    return "M/G/1";
  case TF_QUEUEING_NONE:
    break;
  }
  return "none";
}

double tf_queueing_utilisation(int64_t servers, double lambda_per_s, double service_mean_s) {
  assert(servers >= 1);
  return lambda_per_s * service_mean_s / (double)servers;
}

int tf_queueing_erlang_c(int64_t servers, double offered_erlangs, double *p_wait_out) {
  assert(p_wait_out);
  *p_wait_out = NAN;
  double a = offered_erlangs, c = (double)servers;
  if (servers < 1 || !(isfinite(a) && a > 0))
    return TF_FAIL(TF_ERANGE, "Erlang C: servers = %lld, load = %g erlangs; expected c >= 1, load > 0",
                   (long long)servers, a);
  if (a >= c)
    return TF_FAIL(TF_ERANGE, "Erlang C: load %g erlangs >= %lld servers: unstable", a,
                   (long long)servers);
  double b = 1.0;
  for (int64_t k = 1; k <= servers; k++)
    b = a * b / ((double)k + a * b);
  *p_wait_out = c * b / (c - a * (1.0 - b));
  return 0;
}

/* Fills the inputs and rho, the means NaN. */
static void fill(tf_queueing_result *out, tf_queueing_model m, int64_t servers, double lambda,
                 double mean_s) {
  *out = (tf_queueing_result){.model = m, .servers = servers, .lambda_per_s = lambda,
                              .service_mean_s = mean_s, .offered_erlangs = lambda * mean_s,
                              .wait_prob = NAN, .wq_s = NAN, .w_s = NAN, .lq = NAN, .l = NAN};
  out->rho = servers >= 1 ? out->offered_erlangs / (double)servers : NAN;
}

/* fill, then 0 if the inputs are valid and the station stable, else TF_ERANGE. */
static int start(tf_queueing_result *out, tf_queueing_model m, int64_t servers, double lambda,
                 double mean_s) {
  fill(out, m, servers, lambda, mean_s);
  if (servers < 1 || !(isfinite(lambda) && lambda > 0) || !(isfinite(mean_s) && mean_s > 0))
    return TF_FAIL(TF_ERANGE,
                   "%s: servers = %lld, arrival rate = %g /s, mean service = %g s; expected "
                   "servers >= 1 and positive finite rate and mean",
                   tf_queueing_model_name(m), (long long)servers, lambda, mean_s);
  if (out->rho >= 1)
    return TF_FAIL(TF_ERANGE,
                   "%s: utilisation rho = %g >= 1 (arrival rate %g /s, %lld servers, mean service "
                   "%g s): unstable, the queue grows without bound and has no steady state",
                   tf_queueing_model_name(m), out->rho, lambda, (long long)servers, mean_s);
  return 0;
}

static void finish(tf_queueing_result *out, double wq_s) {
  out->wq_s = wq_s;
  out->w_s = wq_s + out->service_mean_s;
  out->lq = out->lambda_per_s * out->wq_s;
  out->l = out->lambda_per_s * out->w_s;
}

int tf_queueing_mmc(int64_t servers, double lambda_per_s, double mu_per_s,
                    tf_queueing_result *out) {
  assert(out);
  if (!(isfinite(mu_per_s) && mu_per_s > 0)) {
    fill(out, TF_QUEUEING_MMC, servers, lambda_per_s, NAN);
    return TF_FAIL(TF_ERANGE, "M/M/c: service rate = %g /s, expected > 0", mu_per_s);
  }
  int rc = start(out, TF_QUEUEING_MMC, servers, lambda_per_s, 1.0 / mu_per_s);
  if (rc)
    return rc;
  rc = tf_queueing_erlang_c(servers, out->offered_erlangs, &out->wait_prob);
  if (rc)
    return rc;
  finish(out, out->wait_prob / ((double)servers * mu_per_s - lambda_per_s));
  return 0;
}

int tf_queueing_mg1(double lambda_per_s, double service_mean_s, double service_second_moment_s2,
                    tf_queueing_result *out) {
  assert(out);
  int rc = start(out, TF_QUEUEING_MG1, 1, lambda_per_s, service_mean_s);
  if (rc)
    return rc;
  double m2 = service_second_moment_s2;
  /* E[S^2] >= E[S]^2 for any distribution; allow rounding just below it. */
  if (!(isfinite(m2) && m2 >= service_mean_s * service_mean_s * (1 - 1e-12)))
    return TF_FAIL(TF_ERANGE, "M/G/1: E[S^2] = %g s^2 is below E[S]^2 = %g s^2", m2,
                   service_mean_s * service_mean_s);
  out->wait_prob = out->rho;
  finish(out, lambda_per_s * m2 / (2.0 * (1.0 - out->rho)));
  return 0;
}

int tf_queueing_md1(double lambda_per_s, double service_s, tf_queueing_result *out) {
  return tf_queueing_mg1(lambda_per_s, service_s, service_s * service_s, out);
}

/* Exponential, or a gamma with cv exactly 1 (which is the exponential). */
static int is_exponential(const tf_dist *d) {
  return d->kind == TF_DIST_EXPONENTIAL || (d->kind == TF_DIST_GAMMA && d->cv == 1.0);
}

tf_queueing_model tf_queueing_formula_for(int64_t servers, const tf_dist *interarrival,
                                          const tf_dist *service) {
  assert(interarrival && service);
  if (servers < 1 || !is_exponential(interarrival))
    return TF_QUEUEING_NONE;
  if (is_exponential(service))
    return TF_QUEUEING_MMC;
  return servers == 1 ? TF_QUEUEING_MG1 : TF_QUEUEING_NONE;
}

int tf_queueing_theory(int64_t servers, const tf_dist *interarrival, const tf_dist *service,
                       tf_queueing_result *out) {
  assert(interarrival && service && out);
  int rc = tf_dist_check_as(interarrival, "inter-arrival time");
  if (rc == 0)
    rc = tf_dist_check_as(service, "service time");
  if (rc) {
    fill(out, TF_QUEUEING_NONE, servers, NAN, NAN);
    return rc;
  }
  double lambda = 1.0 / tf_dist_mean(interarrival), mean = tf_dist_mean(service);
  switch (tf_queueing_formula_for(servers, interarrival, service)) {
  case TF_QUEUEING_MMC:
    return tf_queueing_mmc(servers, lambda, 1.0 / mean, out);
  case TF_QUEUEING_MG1:
    return tf_queueing_mg1(lambda, mean, tf_dist_second_moment(service), out);
  case TF_QUEUEING_NONE:
    break;
  }
  fill(out, TF_QUEUEING_NONE, servers, lambda, mean);
  return TF_FAIL(TF_ENOTFOUND,
                 "no exact formula for %lld servers with %s inter-arrival and %s service times "
                 "(exact: Poisson arrivals with exponential service, or with one server)",
                 (long long)servers, tf_dist_kind_name(interarrival->kind),
                 tf_dist_kind_name(service->kind));
}
