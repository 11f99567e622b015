/* MoE expert-parallel load: hand-computed answers, the analytic model against Monte Carlo over
 * real model shapes (the table on stdout is the one in docs/MOE_ROUTING.md), properties, and the
 * error contract. */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "moe_routing.h"
#include "tf_test.h"

static tf_moe_routing shape(int64_t experts, int64_t k, int64_t ranks, int64_t redundant,
                            double skew) {
  return (tf_moe_routing){.experts = experts, .experts_per_token = k, .ranks = ranks,
                          .redundant_experts = redundant, .skew = skew};
}

static double imbalance_at(const tf_moe_plan *pl, double tokens) {
  tf_moe_load l;
  int rc = tf_moe_plan_load(pl, tokens, &l);
  TF_CHECK_INT(rc, 0);
  return l.imbalance;
}

static void test_known_answers(void) {
  tf_moe_load l;
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 1);

  /* Mixtral shape, one expert per rank, one token: its 2 distinct experts sit on 2 distinct
   * ranks, so the busiest holds exactly 1 against a mean of 2/8: imbalance 4. */
  tf_moe_routing mixtral = shape(8, 2, 8, 0, 0);
  TF_CHECK_INT(tf_moe_load_expected(&mixtral, 1, &l), 0);
  TF_CHECK_NEAR(l.max_per_rank, 1, 0);
  TF_CHECK_NEAR(l.mean_per_rank, 0.25, 0);
  TF_CHECK_NEAR(l.imbalance, 4, 0);
  TF_CHECK_NEAR(l.experts_touched, 2, 1e-14);
  TF_CHECK_NEAR(l.tokens_per_touched_expert, 1, 1e-14);
  TF_CHECK_INT(tf_moe_load_monte_carlo(&mixtral, 1, 1000, rng, &l), 0);
  TF_CHECK_NEAR(l.imbalance, 4, 0);
  TF_CHECK_NEAR(l.max_per_rank_stderr, 0, 0);

  /* Four ranks of two experts: both picks share a rank with probability 4 C(2,2) / C(8,2) = 1/7,
   * so E[max] = 1 + 1/7 = 8/7 against a mean of 1/2: imbalance 16/7. */
  TF_CHECK_INT(tf_moe_load_expected(&(tf_moe_routing){8, 2, 4, 0, 0}, 1, &l), 0);
  TF_CHECK_NEAR(l.max_per_rank, 8.0 / 7.0, 1e-14);
  TF_CHECK_NEAR(l.imbalance, 16.0 / 7.0, 1e-14);
  /* Two ranks of four: counts (c, 2 - c), c hypergeometric with P(c = 1) = 4 * 4 / 28, so
   * E[max] = 1 + P(c != 1) = 1 + 12/28 = 10/7 against a mean of 1. */
  TF_CHECK_INT(tf_moe_load_expected(&(tf_moe_routing){8, 2, 2, 0, 0}, 1, &l), 0);
  TF_CHECK_NEAR(l.imbalance, 10.0 / 7.0, 1e-14);

  /* Experts touched, DeepSeek-V3 shape (E 256, k 8, uniform): exactly k at one token; at T tokens
   * 256 (1 - (31/32)^T): (31/32)^16 = exp(16 ln 0.96875) = exp(-0.50797917) = 0.60171030, so
   * 101.962162; (31/32)^1000 = exp(-31.748698) = 1.633e-14, so 256 - 4.18e-12. */
  tf_moe_routing dsv3 = shape(256, 8, 32, 0, 0);
  TF_CHECK_INT(tf_moe_load_expected(&dsv3, 1, &l), 0);
  TF_CHECK_NEAR(l.experts_touched, 8, 1e-12);
  TF_CHECK_INT(tf_moe_load_expected(&dsv3, 16, &l), 0);
  TF_CHECK_NEAR(l.experts_touched, 101.962162321389, 1e-9);
  TF_CHECK_NEAR(l.tokens_per_touched_expert, 128 / 101.962162321389, 1e-9);
  TF_CHECK_INT(tf_moe_load_expected(&dsv3, 1000, &l), 0);
  TF_CHECK_NEAR(l.experts_touched, 255.99999999999582, 1e-9);
  TF_CHECK(l.experts_touched < 256);

  /* One rank takes everything: imbalance exactly 1, whatever the skew or replicas. */
  TF_CHECK_INT(tf_moe_load_expected(&(tf_moe_routing){256, 8, 1, 0, 0}, 37, &l), 0);
  TF_CHECK_NEAR(l.imbalance, 1, 0);
  TF_CHECK_NEAR(l.max_per_rank, 37 * 8, 0);
  TF_CHECK_INT(tf_moe_load_expected(&(tf_moe_routing){256, 8, 1, 16, 1.0}, 5.5, &l), 0);
  TF_CHECK_NEAR(l.imbalance, 1, 0);
  TF_CHECK_INT(tf_moe_load_monte_carlo(&(tf_moe_routing){64, 4, 1, 8, 0.5}, 7, 10, rng, &l), 0);
  TF_CHECK_NEAR(l.imbalance, 1, 0);

  /* Every expert picked (k = E = 16) on 3 ranks holding 6, 5, 5: the busiest takes 6 T against a
   * mean of 16 T / 3, imbalance 9/8 at any T, skewed or not. */
  for (int skewed = 0; skewed <= 1; skewed++)
    for (double t = 1; t <= 4096; t *= 8) {
      TF_CHECK_INT(tf_moe_load_expected(&(tf_moe_routing){16, 16, 3, 0, skewed}, t, &l), 0);
      TF_CHECK_NEAR(l.imbalance, 9.0 / 8.0, 1e-12);
      TF_CHECK_NEAR(l.experts_touched, 16, 1e-12);
    }

  /* No tokens: imbalance 1 by definition, nothing touched. */
  TF_CHECK_INT(tf_moe_load_expected(&dsv3, 0, &l), 0);
  TF_CHECK_NEAR(l.imbalance, 1, 0);
  TF_CHECK_NEAR(l.max_per_rank, 0, 0);
  TF_CHECK_NEAR(l.experts_touched, 0, 0);
  TF_CHECK_NEAR(l.tokens_per_touched_expert, 0, 0);
  TF_CHECK_INT(tf_moe_load_monte_carlo(&dsv3, 0, 3, rng, &l), 0);
  TF_CHECK_NEAR(l.imbalance, 1, 0);

  /* A fractional batch mixes its neighbours: T = 0.5 is a 1-token step half the time, so the
   * busiest rank's load halves and the imbalance is that of T = 1; T = 2.25 is 3/4 of T = 2 and
   * 1/4 of T = 3. */
  tf_moe_load one, two, three;
  TF_CHECK_INT(tf_moe_load_expected(&mixtral, 1, &one), 0);
  TF_CHECK_INT(tf_moe_load_expected(&mixtral, 0.5, &l), 0);
  TF_CHECK_NEAR(l.max_per_rank, 0.5 * one.max_per_rank, 1e-15);
  TF_CHECK_NEAR(l.imbalance, one.imbalance, 1e-14);
  TF_CHECK_NEAR(l.experts_touched, 0.5 * one.experts_touched, 1e-15);
  TF_CHECK_INT(tf_moe_load_expected(&dsv3, 2, &two), 0);
  TF_CHECK_INT(tf_moe_load_expected(&dsv3, 3, &three), 0);
  TF_CHECK_INT(tf_moe_load_expected(&dsv3, 2.25, &l), 0);
  TF_CHECK_NEAR(l.max_per_rank, 0.75 * two.max_per_rank + 0.25 * three.max_per_rank, 1e-12);
  TF_CHECK_NEAR(l.experts_touched, 0.75 * two.experts_touched + 0.25 * three.experts_touched,
                1e-12);
  TF_CHECK_NEAR(l.mean_per_rank, 2.25 * 8 / 32, 1e-15);
  gsl_rng_free(rng);
}

/* Inclusion probabilities against closed forms, and the plan's placement. */
static void test_plan(void) {
  tf_moe_plan pl;
  /* k = 1: a token picks expert i with probability w_i / W. */
  TF_CHECK_INT(tf_moe_plan_init(&pl, &(tf_moe_routing){64, 1, 8, 0, 1.2}), 0);
  double w_sum = 0;
  for (int i = 1; i <= 64; i++)
    w_sum += pow(i, -1.2);
  TF_CHECK_NEAR(pl.inclusion[0], 1 / w_sum, 1e-15);
  TF_CHECK_NEAR(pl.inclusion[63], pow(64, -1.2) / w_sum, 1e-15);

  /* k = 2 successive sampling, Mixtral shape at s = 1: p_i = w_i / W + sum_{j != i} (w_j / W)
   * w_i / (W - w_j) (first draw, or second after j). The quadrature must reproduce it. */
  TF_CHECK_INT(tf_moe_plan_init(&pl, &(tf_moe_routing){8, 2, 8, 0, 1.0}), 0);
  w_sum = 0;
  for (int i = 1; i <= 8; i++)
    w_sum += 1.0 / i;
  for (int i = 1; i <= 8; i++) {
    double p = (1.0 / i) / w_sum;
    for (int j = 1; j <= 8; j++)
      if (j != i)
        p += (1.0 / j / w_sum) * (1.0 / i) / (w_sum - 1.0 / j);
    TF_CHECK_NEAR(pl.inclusion[i - 1], p, 1e-13);
  }
  TF_CHECK_NEAR(pl.inclusion[0], 0.6310063367494203, 1e-13);

  /* Larger E and k (quadrature) and k above 64 (Rosén): probabilities decrease with popularity
   * rank, lie in (0, 1] and sum to k (tf_moe_plan_is_valid checks the sum). */
  const tf_moe_routing wide[] = {{256, 8, 64, 0, 1.5}, {1024, 16, 64, 0, 1.0},
                                 {256, 96, 16, 0, 1.0}};
  for (size_t c = 0; c < sizeof wide / sizeof wide[0]; c++) {
    TF_CHECK_INT(tf_moe_plan_init(&pl, &wide[c]), 0);
    TF_CHECK(tf_moe_plan_is_valid(&pl));
    int decreasing = 1;
    for (int64_t i = 1; i < wide[c].experts; i++)
      decreasing &= pl.inclusion[i] <= pl.inclusion[i - 1];
    TF_CHECK(decreasing);
  }

  /* Uneven E: 100 experts on 7 ranks, round-robin, the first 100 mod 7 = 2 ranks hold 15. */
  TF_CHECK_INT(tf_moe_plan_init(&pl, &(tf_moe_routing){100, 6, 7, 0, 0}), 0);
  int held[7] = {0};
  for (int i = 0; i < 100; i++)
    held[pl.expert_rank[i]]++;
  TF_CHECK_INT(held[0], 15);
  TF_CHECK_INT(held[1], 15);
  for (int r = 2; r < 7; r++)
    TF_CHECK_INT(held[r], 14);

  /* 32 replicas over 8 uniform ranks pair up (expert 0's replica to rank 1, expert 1's to rank
   * 0, ...): every rank ends with 36 slots. With skew, the hottest expert's replica leaves its
   * rank. More ranks than experts are filled by replicas. */
  TF_CHECK_INT(tf_moe_plan_init(&pl, &(tf_moe_routing){256, 8, 8, 32, 0}), 0);
  int slots[8] = {0};
  for (int i = 0; i < 256; i++) {
    slots[pl.expert_rank[i]]++;
    if (pl.replica_rank[i] >= 0)
      slots[pl.replica_rank[i]]++;
  }
  for (int r = 0; r < 8; r++)
    TF_CHECK_INT(slots[r], 36);
  TF_CHECK_INT(pl.replica_rank[0], 1);
  TF_CHECK_INT(pl.replica_rank[1], 0);
  TF_CHECK_INT(pl.replica_rank[32], -1);
  TF_CHECK_INT(tf_moe_plan_init(&pl, &(tf_moe_routing){256, 8, 64, 32, 1.0}), 0);
  TF_CHECK(pl.replica_rank[0] >= 0 && pl.replica_rank[0] != pl.expert_rank[0]);
  TF_CHECK_INT(tf_moe_plan_init(&pl, &(tf_moe_routing){8, 2, 12, 4, 0.5}), 0);
  for (int i = 0; i < 4; i++)
    TF_CHECK(pl.replica_rank[i] >= 8); /* the empty ranks 8..11 first */
  TF_CHECK(tf_moe_plan_is_valid(&pl));

  /* At a large batch every replica is touched: the busiest-reading rank streams 36. */
  tf_moe_load l;
  TF_CHECK_INT(tf_moe_load_expected(&(tf_moe_routing){256, 8, 8, 32, 0}, 8192, &l), 0);
  TF_CHECK_NEAR(l.rank_experts_touched_max, 36, 1e-9);
}

/* The grid of the brief: DeepSeek-V3 (E 256, k 8) on 8..256 ranks with and without 32 redundant
 * experts, Mixtral (8, 2) on 8, Qwen3-235B (128, 8) on 8 and 16, uniform and skewed.
 *
 * Tolerance on the imbalance: 4 % at T = 1 (a single token: the analytic form is exact for
 * uniform routing without replicas, approximate otherwise, worst seen 3.4 % for s = 1 on 64
 * ranks) and 2.5 % from T = 16 (worst seen 2.1 %, where 10^6-token runs put the analytic
 * value within 0.3 %: the rest is Monte-Carlo noise), each plus three Monte-Carlo standard errors
 * (at most about 1 %). Trials are 16384 / T, at least 8, so a cell costs 16384 routed tokens
 * (65536 at T = 8192). TF_MOE_MC_TOKENS in the environment sets another budget per cell: the
 * table in docs/MOE_ROUTING.md was made with TF_MOE_MC_TOKENS=1048576 (about a minute). */
static void test_against_monte_carlo(void) {
  typedef struct {
    const char *name;
    int64_t experts, k;
  } model;
  const model models[] = {{"DeepSeek-V3", 256, 8}, {"Mixtral", 8, 2}, {"Qwen3-235B", 128, 8}};
  const int64_t ranks_of[3][4] = {{8, 32, 64, 256}, {8, 0, 0, 0}, {8, 16, 0, 0}};
  const int64_t tokens[] = {1, 16, 128, 1024, 8192};
  const struct {
    int64_t redundant;
    double skew;
  } variants[] = {{0, 0}, {0, 0.5}, {0, 1.0}, {32, 0}, {32, 1.0}};
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 1);
  double worst[2] = {0, 0}; /* T = 1, T >= 16 */
  const char *budget_env = getenv("TF_MOE_MC_TOKENS");
  int64_t budget = budget_env ? atoll(budget_env) : 16384;
  budget = budget < 1 ? 16384 : budget;

  printf("%-11s %4s %2s %4s %3s %4s %5s | %9s %9s %7s | %7s %6s | %8s %8s\n", "model", "E", "k",
         "R", "X", "s", "T", "analytic", "MC", "MC se", "error", "tol", "touched", "MC");
  for (size_t m = 0; m < sizeof models / sizeof models[0]; m++)
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
      if (variants[v].redundant > 0 && m != 0)
        continue; /* redundant experts: DeepSeek only, as deployed */
      for (size_t ri = 0; ri < 4 && ranks_of[m][ri] > 0; ri++) {
        tf_moe_routing r = shape(models[m].experts, models[m].k, ranks_of[m][ri],
                                 variants[v].redundant, variants[v].skew);
        tf_moe_plan pl;
        TF_CHECK_INT(tf_moe_plan_init(&pl, &r), 0);
        for (size_t ti = 0; ti < sizeof tokens / sizeof tokens[0]; ti++) {
          int64_t t = tokens[ti], trials = budget / t < 8 ? 8 : budget / t;
          tf_moe_load a, mc;
          TF_CHECK_INT(tf_moe_plan_load(&pl, (double)t, &a), 0);
          TF_CHECK_INT(tf_moe_plan_monte_carlo(&pl, t, trials, rng, &mc), 0);
          double err = a.imbalance / mc.imbalance - 1;
          double se = mc.max_per_rank_stderr / mc.max_per_rank;
          double tol = (t == 1 ? 0.04 : 0.025) + 3 * se;
          worst[t > 1] = fmax(worst[t > 1], fabs(err));
          printf("%-11s %4lld %2lld %4lld %3lld %4.1f %5lld | %9.4f %9.4f %6.2f%% "
                 "| %+6.2f%% %5.2f%% | %8.3f %8.3f%s\n",
                 models[m].name, (long long)r.experts, (long long)r.experts_per_token,
                 (long long)r.ranks, (long long)r.redundant_experts, r.skew, (long long)t,
                 a.imbalance, mc.imbalance, 100 * se, 100 * err, 100 * tol, a.experts_touched,
                 mc.experts_touched, fabs(err) > tol ? "  <-- out of tolerance" : "");
          TF_CHECK(fabs(err) <= tol);
          /* Experts touched is exact given the inclusion probabilities. Its indicators are
           * negatively associated, so one trial's count has variance at most E / 4: four
           * standard errors are at most 2 sqrt(E / trials). */
          TF_CHECK_NEAR(a.experts_touched, mc.experts_touched,
                        2 * sqrt((double)r.experts / (double)trials));
        }
      }
    }
  printf("worst |analytic / MC - 1| of the imbalance: %.2f %% at T = 1, %.2f %% at T >= 16\n",
         100 * worst[0], 100 * worst[1]);
  gsl_rng_free(rng);
}

/* Properties of the analytic model over the grid and a fine range of T. Two that hold only once
 * each rank expects work: at T = 1 redundant replicas can raise the imbalance (a rank holding a
 * replica can receive two of one token's experts: E 256, R 256, X 32 gives 32.23 against 32 in
 * Monte Carlo) and skew can lower it (round-robin placement spreads the hot experts over distinct
 * ranks: E 256, R 8 gives 2.57 uniform, 2.44 at s = 1 in Monte Carlo). They are asserted for
 * T >= 16. */
static void test_properties(void) {
  const tf_moe_routing uniform[] = {{256, 8, 8, 0, 0},  {256, 8, 32, 0, 0},  {256, 8, 64, 0, 0},
                                    {256, 8, 256, 0, 0}, {256, 8, 8, 32, 0}, {256, 8, 256, 32, 0},
                                    {8, 2, 8, 0, 0},    {8, 2, 4, 0, 0},     {8, 2, 3, 0, 0},
                                    {8, 2, 2, 0, 0},    {128, 8, 16, 0, 0},  {100, 6, 7, 0, 0},
                                    {64, 1, 16, 0, 0}};
  tf_moe_plan pl;
  /* Non-increasing in T for uniform routing, up to 1e-4 relative: the binomials' trial counts are
   * rounded, which leaves steps of that size (5e-5 seen, E 8 on 4 ranks near T = 99). */
  for (size_t c = 0; c < sizeof uniform / sizeof uniform[0]; c++) {
    TF_CHECK_INT(tf_moe_plan_init(&pl, &uniform[c]), 0);
    double prev = INFINITY, prev_touched = 0, experts = (double)uniform[c].experts;
    int rises = 0, below_one = 0, touched_bad = 0;
    for (double t = 1; t <= 1e5; t = t < 64 ? t + 1 : floor(t * 1.05)) {
      tf_moe_load l;
      TF_CHECK_INT(tf_moe_plan_load(&pl, t, &l), 0);
      rises += l.imbalance > prev * (1 + 1e-4);
      below_one += !(l.imbalance >= 1);
      touched_bad += !(l.experts_touched >= prev_touched &&
                       (l.experts_touched > prev_touched || prev_touched > experts - 1e-6) &&
                       l.experts_touched <= experts);
      prev = l.imbalance;
      prev_touched = l.experts_touched;
    }
    TF_CHECK_INT(rises, 0);
    TF_CHECK_INT(below_one, 0);
    TF_CHECK_INT(touched_bad, 0);
  }

  /* Over the DeepSeek-V3, Qwen3 and Mixtral grid from T = 16: skew never lowers the imbalance;
   * redundant experts never raise it under skew and leave it within 1 % when uniform (there they
   * have nothing to even out). Touched experts grow with T and skew lowers them. */
  const int64_t shapes[][3] = {{256, 8, 8}, {256, 8, 32}, {256, 8, 64}, {256, 8, 256},
                               {128, 8, 8}, {128, 8, 16}, {8, 2, 8}};
  const double ts[] = {16, 128, 1024, 8192};
  for (size_t c = 0; c < sizeof shapes / sizeof shapes[0]; c++) {
    int64_t e = shapes[c][0], k = shapes[c][1], ranks = shapes[c][2];
    tf_moe_plan by_skew[3], replicated[3];
    const double skews[] = {0, 0.5, 1.0};
    int64_t redundant = e >= 128 ? 32 : 2;
    for (int s = 0; s < 3; s++) {
      TF_CHECK_INT(tf_moe_plan_init(&by_skew[s], &(tf_moe_routing){e, k, ranks, 0, skews[s]}), 0);
      TF_CHECK_INT(tf_moe_plan_init(&replicated[s],
                                    &(tf_moe_routing){e, k, ranks, redundant, skews[s]}),
                   0);
    }
    for (size_t ti = 0; ti < sizeof ts / sizeof ts[0]; ti++) {
      double plain[3], extra[3];
      for (int s = 0; s < 3; s++) {
        plain[s] = imbalance_at(&by_skew[s], ts[ti]);
        extra[s] = imbalance_at(&replicated[s], ts[ti]);
        TF_CHECK(plain[s] >= 1 && extra[s] >= 1);
      }
      TF_CHECK(plain[1] >= plain[0] && plain[2] >= plain[1]);
      TF_CHECK(fabs(extra[0] / plain[0] - 1) <= 0.01);
      TF_CHECK(extra[1] <= plain[1] && extra[2] <= plain[2]);
      tf_moe_load u, z;
      TF_CHECK_INT(tf_moe_plan_load(&by_skew[0], ts[ti], &u), 0);
      TF_CHECK_INT(tf_moe_plan_load(&by_skew[2], ts[ti], &z), 0);
      TF_CHECK(z.experts_touched <= u.experts_touched + 1e-9);
    }
  }
}

static void test_errors(void) {
  tf_moe_load l;
  tf_moe_plan pl;
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  const struct {
    tf_moe_routing r;
    int code;
    const char *field;
  } bad[] = {
      {{8, 9, 8, 0, 0}, TF_EINVAL, "experts_per_token"}, /* k > E */
      {{8, 0, 8, 0, 0}, TF_EINVAL, "experts_per_token"},
      {{0, 1, 1, 0, 0}, TF_EINVAL, "experts"},
      {{TF_MOE_EXPERTS_MAX + 1, 8, 8, 0, 0}, TF_EINVAL, "experts"},
      {{8, 2, 0, 0, 0}, TF_EINVAL, "ranks"}, /* R < 1 */
      {{8, 2, 9, 0, 0}, TF_EINVAL, "ranks"}, /* R > E */
      {{8, 2, 11, 2, 0}, TF_EINVAL, "ranks"}, /* R > E + redundant */
      {{8, 2, 8, -1, 0}, TF_EINVAL, "redundant_experts"},
      {{8, 2, 8, 9, 0}, TF_EINVAL, "redundant_experts"},
      {{8, 2, 8, 0, -0.1}, TF_ERANGE, "skew"}, /* skew < 0 */
      {{8, 2, 8, 0, NAN}, TF_ERANGE, "skew"},
      {{8, 2, 8, 0, TF_MOE_SKEW_MAX + 0.01}, TF_ERANGE, "skew"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    tf_err_clear();
    TF_CHECK_INT(tf_moe_routing_check(&bad[i].r), bad[i].code);
    TF_CHECK(strstr(tf_err_context(), bad[i].field) != NULL);
    TF_CHECK_INT(tf_moe_plan_init(&pl, &bad[i].r), bad[i].code);
    TF_CHECK_INT(tf_moe_load_expected(&bad[i].r, 4, &l), bad[i].code);
    TF_CHECK_NEAR(l.tokens, 4, 0);
    TF_CHECK_NEAR(l.imbalance, 0, 0);
    TF_CHECK_INT(tf_moe_load_monte_carlo(&bad[i].r, 4, 2, rng, &l), bad[i].code);
  }
  /* The largest valid shapes and the edges of the ranges are accepted. */
  TF_CHECK_INT(tf_moe_routing_check(&(tf_moe_routing){8, 8, 8, 0, 0}), 0);
  TF_CHECK_INT(tf_moe_routing_check(&(tf_moe_routing){8, 2, 10, 2, TF_MOE_SKEW_MAX}), 0);
  TF_CHECK_INT(tf_moe_routing_check(&(tf_moe_routing){1, 1, 1, 1, 0}), 0);

  tf_moe_routing ok = shape(256, 8, 32, 0, 0);
  const double bad_tokens[] = {-1, -1e-9, NAN, INFINITY, 2e12};
  for (size_t i = 0; i < sizeof bad_tokens / sizeof bad_tokens[0]; i++) {
    tf_err_clear();
    TF_CHECK_INT(tf_moe_load_expected(&ok, bad_tokens[i], &l), TF_ERANGE);
    TF_CHECK(strstr(tf_err_context(), "tokens") != NULL);
  }
  TF_CHECK_INT(tf_moe_load_monte_carlo(&ok, -1, 10, rng, &l), TF_ERANGE);
  TF_CHECK_INT(tf_moe_load_monte_carlo(&ok, 10, 0, rng, &l), TF_ERANGE);
  gsl_rng_free(rng);
}

/* Same seed, same answer; the analytic form carries no randomness. */
static void test_determinism(void) {
  tf_moe_routing r = shape(256, 8, 64, 32, 1.0);
  tf_moe_load a, b;
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  gsl_rng_set(rng, 7);
  TF_CHECK_INT(tf_moe_load_monte_carlo(&r, 64, 50, rng, &a), 0);
  gsl_rng_set(rng, 7);
  TF_CHECK_INT(tf_moe_load_monte_carlo(&r, 64, 50, rng, &b), 0);
  TF_CHECK(memcmp(&a, &b, sizeof a) == 0);
  TF_CHECK_INT(tf_moe_load_expected(&r, 64, &a), 0);
  TF_CHECK_INT(tf_moe_load_expected(&r, 64, &b), 0);
  TF_CHECK(memcmp(&a, &b, sizeof a) == 0);
  gsl_rng_free(rng);
}

int main(void) {
  gsl_set_error_handler_off();
  test_known_answers();
  test_plan();
  test_errors();
  test_determinism();
  test_properties();
  test_against_monte_carlo();
  return tf_test_report("models_moe_routing");
}
