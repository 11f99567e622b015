/* Expert-parallel load of a mixture-of-experts layer: how unevenly one step's routed tokens land
 * on the EP ranks (the busiest rank sets the step's pace) and how many experts they touch.
 *
 * The layer has E routed experts; each token picks k distinct ones. Expert popularity is
 * Zipf-like: expert i (1-based, most popular first) has weight i^-s, s >= 0 (s = 0 is uniform),
 * and a token draws its k experts one at a time proportionally to the weights of those it has not
 * drawn yet (successive sampling; uniform: k draws without replacement); tokens are independent.
 * Placement is static and a function of the configuration alone:
 *  - expert i (0-based) goes on rank i mod R, so with E mod R != 0 the first E mod R ranks hold
 *    one expert more (uneven E is allowed);
 *  - the `redundant_experts` hottest experts (0, 1, ... in popularity order) get a second
 *    replica, placed one at a time, hottest first, on the rank other than the primary's with the
 *    least expected load (then fewest slots, then lowest index): a simplified EPLB (DeepSeek-V3
 *    technical report, arXiv:2412.19437, section 3.4). A token that picks a replicated expert goes
 *    to either replica with probability 1/2, so each carries half its load.
 *
 * The analytic model (tf_moe_plan_load), checked against tf_moe_load_monte_carlo in
 * tests/models/test_moe_routing.c; docs/MOE_ROUTING.md has the derivations and measured errors.
 *  - Inclusion probabilities p_i = P(a token picks expert i): k/E when uniform, w_i / W for
 *    k = 1; otherwise exact for successive sampling (an integral over exponential keys, by
 *    quadrature) for k <= 64 and Rosén's approximation above (error about 0.25 % at k = 64).
 *  - Per token, rank r's count has mean a_r = sum over its replicas of f p_i (f = 1, or 1/2 for a
 *    replicated expert) and a variance built from the pairwise covariances of the picks: exact
 *    (hypergeometric) when uniform, Hájek's approximation with skew. Over T tokens: T a_r, T v_r.
 *  - The loads sum to T k, which correlates them negatively. For R >= 3 they are replaced by
 *    independent loads with variance v_r / (1 - a_r / k) ("Poissonisation"; for exchangeable
 *    Gaussians with a fixed sum this is exact for E[max], and it multiplies the spread by
 *    sqrt(R / (R - 1)), not by sqrt(1 - 1/R)). While every rank's standard deviation is at most
 *    TF_MOE_DISCRETE_SIGMA_MAX, E[max] = sum_{x >= 1} P(max >= x) is summed over binomials matched
 *    in mean and variance, with P(max >= x) = 1 up to ceil(T k / R) (pigeonhole) and 0 above what
 *    a rank can hold. Beyond it (after a blend over a third of that width) the loads are normal
 *    and E[max] solves prod_r Phi((x - mu_r) / sigma_r) = ((R - 0.375) / (R + 0.25))^R, which for
 *    identical ranks is Blom's mu + sigma Phi^-1((R - 0.375) / (R + 0.25)) (G. Blom, Statistical
 *    Estimates and Transformed Beta-Variables, Wiley 1958).
 *  - R = 2: max = T k / 2 + |L - T k / 2| exactly, from one rank's marginal load L.
 *  - One token (T = 1) with uniform routing and no replicas: exact (multivariate hypergeometric).
 *  - Experts touched: sum_i 1 - (1 - p_i)^T; with uniform routing E (1 - (1 - k/E)^T), exact.
 * Measured against Monte Carlo: from T = 16, within 0.35 % for uniform routing and skew without
 * replicas on the DeepSeek-V3, Qwen3 and Mixtral shapes, within 2.2 % with skew and redundant
 * experts, and within 1 % on every other shape tried (s <= 1.5). One- and two-token steps of
 * skewed routing are the weak spot: 2-3.5 % on those shapes, up to 8 % at s = 1.5 and 18 % for
 * E = 8 on 4 ranks.
 * A fractional T is read as a batch of floor(T) or ceil(T) tokens with the probabilities that make
 * its mean T, so every output is the matching linear interpolation between the integers. */
#ifndef TF_MOE_ROUTING_H
#define TF_MOE_ROUTING_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

/* Bounds that keep the plan a fixed-size, caller-owned struct (no allocation on the hot path).
 * DeepSeek-V3 has 256 routed experts and decodes with EP 320 (arXiv:2412.19437, section 3.4);
 * 1024 leaves room. */
#define TF_MOE_EXPERTS_MAX 1024
#define TF_MOE_RANKS_MAX 1024
/* Largest Zipf exponent accepted (TF_ERANGE beyond): the range over which the analytic imbalance
 * was held to Monte Carlo (docs/MOE_ROUTING.md). */
#define TF_MOE_SKEW_MAX 1.5
/* Per-rank load standard deviation up to which E[max] is summed over the discrete loads
 * (O(classes x 30 sigma) per call); above 4/3 of it the normal (Blom) form alone is used. */
#define TF_MOE_DISCRETE_SIGMA_MAX 24.0

/* One MoE layer's routing and EP placement. All fields are the caller's. */
typedef struct tf_moe_routing {
  int64_t experts;           /* E routed experts per MoE layer, 1..TF_MOE_EXPERTS_MAX */
  int64_t experts_per_token; /* k, 1..E */
  int64_t ranks;             /* R EP ranks, 1..E + redundant_experts (every rank holds an expert),
                                at most TF_MOE_RANKS_MAX */
  int64_t redundant_experts; /* second replicas of the hottest experts, 0..E */
  double skew;               /* Zipf exponent s of popularity, 0 (uniform)..TF_MOE_SKEW_MAX */
} tf_moe_routing;

/* Load statistics of one step of T tokens. "Assignments" are token-expert pairs: T k per step. */
typedef struct tf_moe_load {
  double tokens;                    /* T */
  double mean_per_rank;             /* T k / R */
  double max_per_rank;              /* E[max over ranks of assignments]: the busiest rank */
  double max_per_rank_stderr;       /* Monte Carlo: standard error of max_per_rank; analytic: 0 */
  double imbalance;                 /* max_per_rank / mean_per_rank, >= 1; 1 when T = 0 */
  double experts_touched;           /* E[distinct experts with >= 1 token], <= E */
  double rank_experts_touched_max;  /* max over ranks of E[distinct expert replicas touched on the
                                       rank] (a max of means, not E[max]): weights the busiest-
                                       reading rank must stream at small batch */
  double tokens_per_touched_expert; /* T k / experts_touched; 0 when T = 0 */
} tf_moe_load;

/* What tf_moe_plan_load needs, computed once per routing by tf_moe_plan_init: O(E) uniform;
 * O(E k^1.5) for the skewed inclusion probabilities (about 2 ms for E = 256, k = 8) plus O(X R)
 * for the replica placement. About 40 KiB, owned by the caller; placement and inclusion
 * probabilities may be read, the rest is private and maintained by this module.
 * Invariants (tf_moe_plan_is_valid): sum of inclusion = k; every expert has a primary rank in
 * 0..R-1 and a replica rank iff it is among the redundant_experts hottest; rank classes are in
 * decreasing order of mean, their rank counts sum to R and their means (times counts) to k. */
typedef struct tf_moe_plan {
  tf_moe_routing routing;                  /* a checked copy */
  double inclusion[TF_MOE_EXPERTS_MAX];    /* p_i = P(a token picks expert i), popularity order */
  int32_t expert_rank[TF_MOE_EXPERTS_MAX]; /* rank of expert i's primary replica */
  int32_t replica_rank[TF_MOE_EXPERTS_MAX]; /* rank of its second replica, -1 if none */
  /* Private: ranks grouped into classes of equal per-token load moments and capacity. */
  int32_t classes;
  int32_t class_ranks[TF_MOE_RANKS_MAX]; /* ranks in the class */
  int32_t class_cap[TF_MOE_RANKS_MAX];   /* most assignments one token can put on such a rank */
  double class_mean[TF_MOE_RANKS_MAX];   /* per-token mean count a_r */
  double class_var[TF_MOE_RANKS_MAX];    /* per-token variance v_r (marginal), 0..a_r */
} tf_moe_plan;

/* 0, or TF_EINVAL for an impossible layer shape (experts, experts_per_token, ranks,
 * redundant_experts outside the ranges above) or TF_ERANGE for a skew that is negative, not
 * finite or above TF_MOE_SKEW_MAX; the context names the field. */
int tf_moe_routing_check(const tf_moe_routing *r);

/* Checks r and fills plan; errors as tf_moe_routing_check. */
int tf_moe_plan_init(tf_moe_plan *plan, const tf_moe_routing *r);
/* 1 if the invariants above hold (for asserts). */
int tf_moe_plan_is_valid(const tf_moe_plan *plan);

/* Analytic load of a step of `tokens` (0..1e12; fractional reads as a mix of the two
 * neighbouring integers) into out. No allocation (up to about 100 KiB of stack); O(E + R) plus
 * E[max]: O(classes x 30 sigma) while discrete, O(classes x Newton steps) when normal, where
 * classes (ranks with equal load moments) is 1 or 2 for uniform routing and up to R with skew.
 * Measured: 2-30 us for uniform routing, up to about 0.4 ms for skewed routing on 256 ranks.
 * TF_ERANGE for bad tokens (out is then zero but for tokens). */
int tf_moe_plan_load(const tf_moe_plan *plan, double tokens, tf_moe_load *out);

/* One-shot tf_moe_plan_init + tf_moe_plan_load with the plan on the stack. Callers evaluating one
 * routing many times (per simulated step) should keep a plan instead. */
int tf_moe_load_expected(const tf_moe_routing *r, double tokens, tf_moe_load *out);

/* The reference: `trials` independent steps of `tokens` tokens (>= 0) routed as described above
 * with draws from rng (GSL: uniform_int for uniform routing, a Walker alias table with rejection
 * of repeats for skewed, a fair coin between replicas), averaged, on the plan's placement.
 * O(trials T k) draws; allocates O(E + R). TF_ERANGE for tokens < 0 or trials < 1, TF_ENOMEM. */
int tf_moe_plan_monte_carlo(const tf_moe_plan *plan, int64_t tokens, int64_t trials, gsl_rng *rng,
                            tf_moe_load *out);
/* One-shot tf_moe_plan_init + tf_moe_plan_monte_carlo; also the routing's errors. */
int tf_moe_load_monte_carlo(const tf_moe_routing *r, int64_t tokens, int64_t trials, gsl_rng *rng,
                            tf_moe_load *out);

#endif
