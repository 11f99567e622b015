/* Exact steady-state queueing formulas: M/M/c (Erlang C), M/G/1 (Pollaczek-Khinchine), M/D/1, to
 * set next to a simulation's estimates. Times in s, rates in 1/s. */
#ifndef TF_QUEUEING_H
#define TF_QUEUEING_H

#include <stdint.h>

#include "dist.h"

/* Which exact result describes a station. */
typedef enum tf_queueing_model {
  TF_QUEUEING_NONE, /* no exact formula here (G/G/c in general) */
  TF_QUEUEING_MMC,  /* Poisson arrivals, c exponential servers */
  TF_QUEUEING_MG1,  /* Poisson arrivals, one server, any service time */
} tf_queueing_model;

/* Steady-state values. Lq = lambda Wq and L = lambda W (Little), W = Wq + E[S]. */
typedef struct tf_queueing_result {
  tf_queueing_model model;
  int64_t servers;
  double lambda_per_s;     /* arrival rate */
  double service_mean_s;   /* E[S] */
  double offered_erlangs;  /* a = lambda E[S] */
  double rho;              /* per-server utilisation a / c */
  double wait_prob;        /* P(Wq > 0): Erlang C for M/M/c; rho for M/G/1 */
  double wq_s, w_s, lq, l; /* mean wait in queue, in system; mean number waiting, in system */
} tf_queueing_result;

const char *tf_queueing_model_name(tf_queueing_model m); /* "M/M/c", "M/G/1", "none" */

/* Per-server utilisation rho = lambda E[S] / c (no stability requirement). */
double tf_queueing_utilisation(int64_t servers, double lambda_per_s, double service_mean_s);

/* Erlang C: the probability that an arrival waits in M/M/c with offered load a = lambda / mu
 * erlangs, requiring 0 < a < c. Computed from Erlang B's recurrence B(k) = a B(k-1) /
 * (k + a B(k-1)), B(0) = 1, then C = c B / (c - a (1 - B)): every step is a ratio in [0, 1],
 * so nothing overflows and it is stable for c in the millions. O(c). TF_ERANGE when unstable
 * (a >= c) or out of domain. */
int tf_queueing_erlang_c(int64_t servers, double offered_erlangs, double *p_wait_out);

/* M/M/c with arrival rate lambda and service rate mu (E[S] = 1/mu):
 * Wq = C(c, a) / (c mu - lambda). TF_ERANGE if rho >= 1 (out->rho and the inputs are still
 * filled in, the means are NaN) or an input is out of range. */
int tf_queueing_mmc(int64_t servers, double lambda_per_s, double mu_per_s,
                    tf_queueing_result *out);

/* M/G/1 (Pollaczek-Khinchine): Wq = lambda E[S^2] / (2 (1 - rho)), rho = lambda E[S].
 * TF_ERANGE as for tf_queueing_mmc. */
int tf_queueing_mg1(double lambda_per_s, double service_mean_s, double service_second_moment_s2,
                    tf_queueing_result *out);

/* M/D/1: M/G/1 with E[S^2] = E[S]^2, so Wq = rho E[S] / (2 (1 - rho)). */
int tf_queueing_md1(double lambda_per_s, double service_s, tf_queueing_result *out);

/* Which exact result applies to a station of `servers` with these inter-arrival and service
 * distributions: M/M/c when arrivals are Poisson (exponential, or gamma with cv 1) and service
 * is exponential (likewise), M/G/1 for Poisson arrivals to one server; M/M/1 reports M/M/c. */
tf_queueing_model tf_queueing_formula_for(int64_t servers, const tf_dist *interarrival,
                                          const tf_dist *service);

/* The exact values for such a station: 0 with *out filled; TF_ENOTFOUND when no formula applies
 * (out->model NONE, rho filled); TF_ERANGE when unstable (rho filled, means NaN) or the
 * distributions are invalid. The failure context says why, for printing. */
int tf_queueing_theory(int64_t servers, const tf_dist *interarrival, const tf_dist *service,
                       tf_queueing_result *out);

#endif
