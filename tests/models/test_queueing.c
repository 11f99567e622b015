/* Exact queueing formulas: hand-computed answers, Erlang C against an independent direct sum,
 * stability, and which formula applies. */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <string.h>

#include "error.h"
#include "queueing.h"
#include "tf_test.h"

/* Erlang C straight from its definition,
 *   C = (a^c / c!) (c / (c - a)) / (sum_{k<c} a^k / k! + (a^c / c!) (c / (c - a))),
 * each term as exp(k ln a - ln k! - shift) in long double, the shift the largest exponent so
 * nothing overflows: independent of the library's Erlang B recurrence. */
static double erlang_c_direct(unsigned c, double a) {
  long double shift = -INFINITY;
  for (unsigned k = 0; k <= c; k++) {
    long double x = (long double)k * logl((long double)a) - (long double)gsl_sf_lnfact(k);
    shift = x > shift ? x : shift;
  }
  long double sum = 0;
  for (unsigned k = 0; k < c; k++)
    sum += expl((long double)k * logl((long double)a) - (long double)gsl_sf_lnfact(k) - shift);
  long double last = expl((long double)c * logl((long double)a) - (long double)gsl_sf_lnfact(c) -
                          shift) *
                     (long double)c / ((long double)c - (long double)a);
  return (double)(last / (sum + last));
}

static void test_known_answers(void) {
  tf_queueing_result r;
  /* M/M/1, lambda 0.5, mu 1: rho 0.5, C = rho, Wq = rho / (mu - lambda) = 1, W = 2. */
  TF_CHECK_INT(tf_queueing_mmc(1, 0.5, 1.0, &r), 0);
  TF_CHECK_INT(r.model, TF_QUEUEING_MMC);
  TF_CHECK_NEAR(r.rho, 0.5, 1e-15);
  TF_CHECK_NEAR(r.wait_prob, 0.5, 1e-15);
  TF_CHECK_NEAR(r.wq_s, 1.0, 1e-14);
  TF_CHECK_NEAR(r.w_s, 2.0, 1e-14);
  TF_CHECK_NEAR(r.lq, 0.5, 1e-14);
  TF_CHECK_NEAR(r.l, 1.0, 1e-14);

  /* M/M/2, lambda 1.5, mu 1: a = 1.5, C = (a^2/2 * 2/(2 - a)) / (1 + a + 4.5) = 4.5 / 7 = 9/14,
   * Wq = C / (2 - 1.5) = 9/7. */
  TF_CHECK_INT(tf_queueing_mmc(2, 1.5, 1.0, &r), 0);
  TF_CHECK_NEAR(r.wait_prob, 9.0 / 14.0, 1e-14);
  TF_CHECK_NEAR(r.wait_prob, 0.6428571428571429, 1e-14);
  TF_CHECK_NEAR(r.wq_s, 9.0 / 7.0, 1e-14);
  TF_CHECK_NEAR(r.rho, 0.75, 1e-15);
  TF_CHECK_NEAR(r.lq, 1.5 * 9.0 / 7.0, 1e-14);
  TF_CHECK_NEAR(r.l, 1.5 * (9.0 / 7.0 + 1.0), 1e-14);

  /* Time scale: mu 4 /s (E[S] = 0.25 s), lambda 2 /s is M/M/1 at rho 0.5: Wq = 0.25 s. */
  TF_CHECK_INT(tf_queueing_mmc(1, 2.0, 4.0, &r), 0);
  TF_CHECK_NEAR(r.wq_s, 0.25, 1e-15);
  TF_CHECK_NEAR(r.service_mean_s, 0.25, 0);

  /* M/D/1, rho 0.5, S = 1: Wq = rho S / (2 (1 - rho)) = 0.5. */
  TF_CHECK_INT(tf_queueing_md1(0.5, 1.0, &r), 0);
  TF_CHECK_INT(r.model, TF_QUEUEING_MG1);
  TF_CHECK_NEAR(r.wq_s, 0.5, 1e-15);
  TF_CHECK_NEAR(r.w_s, 1.5, 1e-15);
  TF_CHECK_NEAR(r.wait_prob, 0.5, 0);

  /* P-K with exponential service (E[S^2] = 2 E[S]^2) is M/M/1: Wq = 1. */
  TF_CHECK_INT(tf_queueing_mg1(0.5, 1.0, 2.0, &r), 0);
  TF_CHECK_NEAR(r.wq_s, 1.0, 1e-15);
  /* Gamma cv 2, mean 1 (E[S^2] = 5), rho 0.5: Wq = 0.5 * 5 / (2 * 0.5) = 2.5. */
  TF_CHECK_INT(tf_queueing_mg1(0.5, 1.0, 5.0, &r), 0);
  TF_CHECK_NEAR(r.wq_s, 2.5, 1e-15);
  TF_CHECK_INT(tf_queueing_mg1(0.5, 1.0, 0.5, &r), TF_ERANGE); /* E[S^2] < E[S]^2 */

  TF_CHECK_NEAR(tf_queueing_utilisation(8, 3.0, 2.0), 0.75, 0);
  TF_CHECK_STR(tf_queueing_model_name(TF_QUEUEING_MMC), "M/M/c");
  TF_CHECK_STR(tf_queueing_model_name(TF_QUEUEING_MG1), "M/G/1");
  TF_CHECK_STR(tf_queueing_model_name(TF_QUEUEING_NONE), "none");
}

static void test_erlang_c_against_direct_sum(void) {
  const struct {
    unsigned c;
    double a;
  } cases[] = {{1, 0.3}, {2, 1.5}, {4, 3.2}, {10, 8.0}, {50, 45.0}, {100, 99.9},
               {1000, 950.0}, {1000, 10.0}, {5000, 4900.0}, {20000, 19800.0}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    double got, want = erlang_c_direct(cases[i].c, cases[i].a);
    TF_CHECK_INT(tf_queueing_erlang_c(cases[i].c, cases[i].a, &got), 0);
    TF_CHECK_NEAR(got, want, 1e-10 * want + 1e-300);
  }
  double p;
  TF_CHECK_INT(tf_queueing_erlang_c(1, 0.3, &p), 0);
  TF_CHECK_NEAR(p, 0.3, 1e-15); /* one server: C = rho */
  TF_CHECK_INT(tf_queueing_erlang_c(4, 4.0, &p), TF_ERANGE);
  TF_CHECK(isnan(p));
  TF_CHECK_INT(tf_queueing_erlang_c(0, 0.5, &p), TF_ERANGE);
  TF_CHECK_INT(tf_queueing_erlang_c(4, 0.0, &p), TF_ERANGE);
}

static void test_stability(void) {
  tf_queueing_result r;
  TF_CHECK_INT(tf_queueing_mmc(2, 2.0, 1.0, &r), TF_ERANGE); /* rho = 1 exactly */
  TF_CHECK_NEAR(r.rho, 1.0, 0);
  TF_CHECK(isnan(r.wq_s) && isnan(r.l));
  TF_CHECK(strstr(tf_err_context(), "unstable") != NULL);
  TF_CHECK_INT(tf_queueing_mg1(1.2, 1.0, 1.0, &r), TF_ERANGE);
  TF_CHECK_NEAR(r.rho, 1.2, 1e-15);
  TF_CHECK_INT(tf_queueing_mmc(0, 1.0, 1.0, &r), TF_ERANGE);
  TF_CHECK_INT(tf_queueing_mmc(1, -1.0, 1.0, &r), TF_ERANGE);
  TF_CHECK_INT(tf_queueing_mmc(1, 0.5, 0.0, &r), TF_ERANGE);
  TF_CHECK_INT(tf_queueing_mmc(1, NAN, 1.0, &r), TF_ERANGE);
  TF_CHECK_INT(tf_queueing_md1(0.5, -1.0, &r), TF_ERANGE);
}

static void test_formula_for(void) {
  const tf_dist poisson = {.kind = TF_DIST_EXPONENTIAL, .mean = 0.5};
  const tf_dist gamma1 = {.kind = TF_DIST_GAMMA, .mean = 0.5, .cv = 1};
  const tf_dist bursty = {.kind = TF_DIST_GAMMA, .mean = 0.5, .cv = 2};
  const tf_dist regular = {.kind = TF_DIST_DETERMINISTIC, .mean = 0.5};
  const tf_dist exp_service = {.kind = TF_DIST_EXPONENTIAL, .mean = 1.5};
  const tf_dist det_service = {.kind = TF_DIST_DETERMINISTIC, .mean = 1};
  const tf_dist ln_service = {.kind = TF_DIST_LOGNORMAL, .mean = 1, .cv = 2};
  TF_CHECK_INT(tf_queueing_formula_for(4, &poisson, &exp_service), TF_QUEUEING_MMC);
  TF_CHECK_INT(tf_queueing_formula_for(1, &poisson, &exp_service), TF_QUEUEING_MMC);
  TF_CHECK_INT(tf_queueing_formula_for(3, &gamma1, &exp_service), TF_QUEUEING_MMC);
  TF_CHECK_INT(tf_queueing_formula_for(1, &poisson, &det_service), TF_QUEUEING_MG1);
  TF_CHECK_INT(tf_queueing_formula_for(1, &poisson, &ln_service), TF_QUEUEING_MG1);
  TF_CHECK_INT(tf_queueing_formula_for(2, &poisson, &det_service), TF_QUEUEING_NONE);
  TF_CHECK_INT(tf_queueing_formula_for(4, &bursty, &exp_service), TF_QUEUEING_NONE);
  TF_CHECK_INT(tf_queueing_formula_for(1, &regular, &exp_service), TF_QUEUEING_NONE);

  tf_queueing_result r;
  /* lambda 2 /s, E[S] 1.5 s, 4 servers: rho 0.75, a = 3. */
  TF_CHECK_INT(tf_queueing_theory(4, &poisson, &exp_service, &r), 0);
  TF_CHECK_INT(r.model, TF_QUEUEING_MMC);
  TF_CHECK_NEAR(r.rho, 0.75, 1e-15);
  TF_CHECK_NEAR(r.wait_prob, erlang_c_direct(4, 3.0), 1e-13);
  TF_CHECK_NEAR(r.wq_s, r.wait_prob / (4 / 1.5 - 2), 1e-13);
  /* M/D/1 at rho 0.5 (lambda 2 /s... needs E[S] 0.25 s). */
  const tf_dist quarter = {.kind = TF_DIST_DETERMINISTIC, .mean = 0.25};
  TF_CHECK_INT(tf_queueing_theory(1, &poisson, &quarter, &r), 0);
  TF_CHECK_INT(r.model, TF_QUEUEING_MG1);
  TF_CHECK_NEAR(r.wq_s, 0.125, 1e-15);
  /* No formula: rho still reported. */
  TF_CHECK_INT(tf_queueing_theory(2, &poisson, &det_service, &r), TF_ENOTFOUND);
  TF_CHECK_INT(r.model, TF_QUEUEING_NONE);
  TF_CHECK_NEAR(r.rho, 1.0, 1e-15);
  TF_CHECK(isnan(r.wq_s));
  /* Unstable M/M/c: TF_ERANGE with rho. */
  TF_CHECK_INT(tf_queueing_theory(1, &poisson, &exp_service, &r), TF_ERANGE);
  TF_CHECK_NEAR(r.rho, 3.0, 1e-15);
  /* Invalid distribution. */
  const tf_dist broken = {.kind = TF_DIST_LOGNORMAL, .mean = 1, .cv = 0};
  TF_CHECK_INT(tf_queueing_theory(1, &poisson, &broken, &r), TF_ERANGE);
  TF_CHECK(strstr(tf_err_context(), "service time") != NULL);
}

int main(void) {
  gsl_set_error_handler_off();
  test_known_answers();
  test_erlang_c_against_direct_sum();
  test_stability();
  test_formula_for();
  return tf_test_report("models_queueing");
}
