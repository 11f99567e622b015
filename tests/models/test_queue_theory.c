/* The engine's guardians: the FCFS station simulated on the engine must agree with exact
 * queueing theory (Erlang C for M/M/c, Pollaczek-Khinchine for M/G/1) within its own 99 %
 * batch-means confidence interval, with intervals narrow enough (< 5 % of the exact value; 10 %
 * for 32 servers, whose mostly-zero waits need ~4 M customers for 5 %) that the comparison has
 * power; Little's law must hold on each run; utilisation must match rho.
 * Fixed seeds: the outcome is deterministic. Run lengths keep each case under 0.5 s in a
 * RelWithDebInfo build (about 2.8 s for all five under ASan + UBSan); wall time is printed, not
 * asserted, so a loaded machine cannot fail the test. */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>

#include "error.h"
#include "queue.h"
#include "queueing.h"
#include "tf_test.h"

enum { SEED = 1 };
#define S_TO_NS(s) ((int64_t)((s) * 1e9))

static tf_queue_config poisson_station(int64_t servers, double lambda, tf_dist service,
                                       double duration_s) {
  return (tf_queue_config){.servers = servers,
                           .interarrival = {.kind = TF_DIST_EXPONENTIAL, .mean = 1.0 / lambda},
                           .service = service,
                           .warmup_ns = S_TO_NS(1000),
                           .duration_ns = S_TO_NS(duration_s),
                           .confidence = 0.99};
}

/* Runs cfg and checks it against its exact result; returns the run for case-specific checks. */
static tf_queue_result guard(const char *name, const tf_queue_config *cfg,
                             tf_queueing_model expect_model, double max_rel_half_width) {
  tf_queue_result r;
  tf_engine_stats st;
  tf_queueing_result th;
  TF_CHECK_INT(tf_queue_run(cfg, SEED, &r, &st), 0);
  TF_CHECK_INT(tf_queueing_theory(cfg->servers, &cfg->interarrival, &cfg->service, &th), 0);
  TF_CHECK_INT(th.model, expect_model);
  printf("%-22s Wq %.5f s (exact %.5f, |diff| %.5f, 99%% half-width %.5f = %.2f%%, %u batches)\n"
         "%-22s W %.5f s (exact %.5f, hw %.5f)  L %.5f vs lambda W %.5f  Lq %.5f vs %.5f\n"
         "%-22s util %.5f (rho %.5f)  P(wait) %.4f (exact %.4f)  %llu customers, %llu events, "
         "%.3f s wall, %.2g events/s\n",
         name, r.wq_mean_s, th.wq_s, fabs(r.wq_mean_s - th.wq_s), r.wq_ci_half_s,
         100 * r.wq_ci_half_s / th.wq_s, r.ci_batches, "", r.w_mean_s, th.w_s, r.w_ci_half_s, r.l,
         r.arrival_rate_per_s * r.w_mean_s, r.lq, r.arrival_rate_per_s * r.wq_mean_s, "",
         r.utilisation, th.rho, r.wait_prob, th.wait_prob, (unsigned long long)r.completed,
         (unsigned long long)st.events_processed, st.wall_run_s, st.events_per_s);

  /* Exact value inside the simulation's 99 % interval, and the interval tight. */
  TF_CHECK_NEAR(r.wq_mean_s, th.wq_s, r.wq_ci_half_s);
  TF_CHECK(r.wq_ci_half_s < max_rel_half_width * th.wq_s);
  TF_CHECK_NEAR(r.w_mean_s, th.w_s, r.w_ci_half_s);
  TF_CHECK(r.ci_batches >= 20 && r.ci_batches < 40);
  /* Little's law on the run itself: time averages against rate times mean, equal up to the
   * customers present at the window's edges (O(1 / customers)). */
  TF_CHECK_NEAR(r.l, r.arrival_rate_per_s * r.w_mean_s, 1e-3 * r.l);
  TF_CHECK_NEAR(r.lq, r.arrival_rate_per_s * r.wq_mean_s, 1e-3 * r.lq);
  /* Flow and utilisation: with 10^5 .. 10^6 customers these estimates are within a few 1e-3 of
   * the truth; the tolerances are several standard errors. */
  TF_CHECK_NEAR(r.utilisation, th.rho, 0.005);
  TF_CHECK_NEAR(r.throughput_per_s, th.lambda_per_s, 0.01 * th.lambda_per_s);
  TF_CHECK_NEAR(r.arrival_rate_per_s, th.lambda_per_s, 0.01 * th.lambda_per_s);
  TF_CHECK_NEAR(r.wait_prob, th.wait_prob, 0.01);
  TF_CHECK(r.wq_p50_s <= r.wq_p90_s && r.wq_p90_s <= r.wq_p99_s && r.wq_p99_s <= r.wq_max_s);
  return r;
}

/* M/M/c waiting-time quantile: P(Wq > t) = C exp(-(c mu - lambda) t). */
static double mmc_wq_quantile(const tf_queueing_result *th, double p) {
  double theta = (double)th->servers / th->service_mean_s - th->lambda_per_s;
  return 1 - p >= th->wait_prob ? 0.0 : log(th->wait_prob / (1 - p)) / theta;
}

static void check_mmc_quantiles(const tf_queue_config *cfg, const tf_queue_result *r) {
  tf_queueing_result th;
  TF_CHECK_INT(tf_queueing_theory(cfg->servers, &cfg->interarrival, &cfg->service, &th), 0);
  double q90 = mmc_wq_quantile(&th, 0.90), q99 = mmc_wq_quantile(&th, 0.99);
  printf("%-22s Wq p90 %.4f s (exact %.4f)  p99 %.4f s (exact %.4f)\n", "", r->wq_p90_s, q90,
         r->wq_p99_s, q99);
  /* No interval for quantiles here; 5 % is about 3x the errors seen over several seeds. */
  TF_CHECK_NEAR(r->wq_p90_s, q90, 0.05 * q90);
  TF_CHECK_NEAR(r->wq_p99_s, q99, 0.05 * q99);
}

int main(void) {
  gsl_set_error_handler_off();
  const tf_dist exp1 = {.kind = TF_DIST_EXPONENTIAL, .mean = 1.0};

  /* M/M/4 at rho 0.8: Erlang C 0.5964, Wq 0.7455 s; 1.9 M customers. */
  tf_queue_config mm4 = poisson_station(4, 3.2, exp1, 6e5);
  tf_queue_result r = guard("M/M/4 rho 0.8", &mm4, TF_QUEUEING_MMC, 0.05);
  check_mmc_quantiles(&mm4, &r);

  /* M/M/32 at rho 0.9: many servers, short waits, over half the customers not waiting. */
  tf_queue_config mm32 = poisson_station(32, 28.8, exp1, 5e4);
  r = guard("M/M/32 rho 0.9", &mm32, TF_QUEUEING_MMC, 0.10);
  check_mmc_quantiles(&mm32, &r);

  /* M/D/1 at rho 0.7: Wq = 0.7 / (2 * 0.3) = 1.1667 s. */
  tf_queue_config md1 =
      poisson_station(1, 0.7, (tf_dist){.kind = TF_DIST_DETERMINISTIC, .mean = 1.0}, 5e5);
  guard("M/D/1 rho 0.7", &md1, TF_QUEUEING_MG1, 0.05);

  /* M/G/1, gamma service cv 2 (E[S^2] = 5 s^2) at rho 0.5: Wq = 0.5 * 5 / 1 = 2.5 s. */
  tf_queue_config mg1g =
      poisson_station(1, 0.5, (tf_dist){.kind = TF_DIST_GAMMA, .mean = 1.0, .cv = 2.0}, 2e6);
  guard("M/G/1 gamma cv 2", &mg1g, TF_QUEUEING_MG1, 0.05);

  /* M/G/1, lognormal service cv 1 at rho 0.6: Wq = 0.6 * 2 / 0.8 = 1.5 s. (cv 2 works too but
   * its E[S^4] = 15625 E[S]^4 needs ~10x the run for the same interval width.) */
  tf_queue_config mg1l =
      poisson_station(1, 0.6, (tf_dist){.kind = TF_DIST_LOGNORMAL, .mean = 1.0, .cv = 1.0}, 1e6);
  guard("M/G/1 lognormal cv 1", &mg1l, TF_QUEUEING_MG1, 0.05);

  return tf_test_report("models_queue_theory");
}
