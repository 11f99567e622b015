/* Expert-parallel MoE load: inclusion probabilities, static placement with redundant replicas,
 * per-rank load moments, the expected busiest rank, experts touched, and the Monte-Carlo
 * reference they are held to. */
#include "moe_routing.h"

#include <assert.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_erf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Largest token count accepted: keeps T k exact in a double and far beyond any batch. */
#define TOKENS_MAX 1e12
static const double LN2 = 0.69314718055994530942;
static const double LN_SQRT_2PI = 0.91893853320467274178;
static const double M_PI_VALUE = 3.14159265358979323846;

/* The routing's constraints, silently (for tf_moe_plan_is_valid); 0 if they hold. */
static int routing_fault(const tf_moe_routing *r) {
  if (r->experts < 1 || r->experts > TF_MOE_EXPERTS_MAX)
    return 1;
  if (r->experts_per_token < 1 || r->experts_per_token > r->experts)
    return 2;
  if (r->redundant_experts < 0 || r->redundant_experts > r->experts)
    return 3;
  if (r->ranks < 1 || r->ranks > r->experts + r->redundant_experts || r->ranks > TF_MOE_RANKS_MAX)
    return 4;
  if (!(r->skew >= 0 && r->skew <= TF_MOE_SKEW_MAX)) /* also NaN */
    return 5;
  return 0;
}

int tf_moe_routing_check(const tf_moe_routing *r) {
  assert(r);
  long long e = r->experts, k = r->experts_per_token, ranks = r->ranks, x = r->redundant_experts;
  switch (routing_fault(r)) {
  case 0:
    return 0;
  case 1:
    return TF_FAIL(TF_EINVAL, "MoE routing: experts = %lld; expected 1..%d", e, TF_MOE_EXPERTS_MAX);
  case 2:
    return TF_FAIL(TF_EINVAL, "MoE routing: experts_per_token = %lld; expected 1..experts (%lld)",
                   k, e);
  case 3:
    return TF_FAIL(TF_EINVAL, "MoE routing: redundant_experts = %lld; expected 0..experts (%lld)",
                   x, e);
  case 4:
    return TF_FAIL(TF_EINVAL,
                   "MoE routing: ranks = %lld; expected 1..experts + redundant_experts (%lld), "
                   "at most %d, so that every rank holds an expert",
                   ranks, e + x, TF_MOE_RANKS_MAX);
  default:
    return TF_FAIL(TF_ERANGE, "MoE routing: skew = %g; expected a Zipf exponent in 0..%g",
                   r->skew, TF_MOE_SKEW_MAX);
  }
}

/* Popularity weights i^-s, i = 1..E: decreasing, so the hottest experts are a prefix. */
static double popularity_weights(const tf_moe_routing *r, double *w) {
  double sum = 0;
  for (int64_t i = 0; i < r->experts; i++) {
    w[i] = pow((double)(i + 1), -r->skew);
    sum += w[i];
  }
  return sum;
}

/* Successive sampling with weights w picks the k experts with the smallest keys Exp_j / w_j
 * (P. Efraimidis and P. Spirakis, "Weighted random sampling with a reservoir", Inf. Process.
 * Lett. 97, 2006), so
 *   p_i = int_0^inf w_i e^(-w_i t) P(N_-i(t) <= k - 1) dt,
 * N_-i(t) the number of other keys below t: Poisson-binomial with q_j = 1 - e^(-w_j t). The
 * integral is a trapezoid sum in u = ln t, which converges geometrically for integrands analytic
 * in a strip; the strip narrows as k grows, so the step is QUAD_STEP / sqrt(k + 1) (measured:
 * sum p_i = k to 5e-15 for E up to 1024, k 2..128, s up to 1.5), about 25 sqrt(k + 1) nodes
 * from t = 1e-16 / W (below which expert i gains at most 1e-16 p_i) until P(N <= k) < 1e-18.
 * Per node the distribution of N is built as cold (q <= 1/2, truncated at degree k) times hot
 * (q > 1/2, full) products, and expert i is divided out of its own part in the direction that is
 * stable (forward for cold, backward for hot): O(E k) per node. */
#define QUAD_STEP 0.45
static void inclusion_exact(const tf_moe_routing *r, double *p) {
  int64_t e = r->experts, k = r->experts_per_token;
  double w[TF_MOE_EXPERTS_MAX], q[TF_MOE_EXPERTS_MAX], cold[TF_MOE_EXPERTS_MAX + 1],
      hot[TF_MOE_EXPERTS_MAX + 1], part[TF_MOE_EXPERTS_MAX + 1],
      cold_cdf[TF_MOE_EXPERTS_MAX + 1];
  double w_sum = popularity_weights(r, w), step = QUAD_STEP / sqrt((double)k + 1);
  for (int64_t i = 0; i < e; i++)
    p[i] = 0;
  for (double u = log(1e-16 / w_sum); u < 700; u += step) {
    double t = exp(u);
    int64_t n_hot = 0;
    for (int64_t j = 0; j < e; j++) {
      q[j] = -expm1(-w[j] * t);
      n_hot += q[j] > 0.5;
    }
    /* cold[n] = P(n cold keys below t), n <= k; hot[n] likewise over the hot ones, n <= n_hot. */
    cold[0] = 1;
    for (int64_t n = 1; n <= k; n++)
      cold[n] = 0;
    for (int64_t j = n_hot; j < e; j++) {
      for (int64_t n = k; n > 0; n--)
        cold[n] = cold[n] * (1 - q[j]) + cold[n - 1] * q[j];
      cold[0] *= 1 - q[j];
    }
    hot[0] = 1;
    for (int64_t j = 0; j < n_hot; j++) {
      hot[j + 1] = hot[j] * q[j];
      for (int64_t n = j; n > 0; n--)
        hot[n] = hot[n] * (1 - q[j]) + hot[n - 1] * q[j];
      hot[0] *= 1 - q[j];
    }
    cold_cdf[0] = cold[0];
    for (int64_t n = 1; n <= k; n++)
      cold_cdf[n] = cold_cdf[n - 1] + cold[n];
    double all_at_most_k = 0; /* P(N <= k) over every expert: bounds each integrand */
    for (int64_t b = 0; b <= n_hot && b <= k; b++)
      all_at_most_k += hot[b] * cold_cdf[k - b];

    for (int64_t i = 0; i < e; i++) {
      double below = 0; /* P(N_-i <= k - 1) */
      if (i < n_hot) { /* hot without i: backward division by (1 - q_i) + q_i z */
        part[n_hot - 1] = hot[n_hot] / q[i];
        for (int64_t n = n_hot - 1; n > 0; n--)
          part[n - 1] = (hot[n] - (1 - q[i]) * part[n]) / q[i];
        for (int64_t b = 0; b < n_hot && b < k; b++)
          below += part[b] * cold_cdf[k - 1 - b];
      } else { /* cold without i: forward division, then its running sum in place */
        part[0] = cold[0] / (1 - q[i]);
        for (int64_t n = 1; n < k; n++)
          part[n] = (cold[n] - q[i] * part[n - 1]) / (1 - q[i]);
        for (int64_t n = 1; n < k; n++)
          part[n] += part[n - 1];
        for (int64_t b = 0; b <= n_hot && b < k; b++)
          below += hot[b] * part[k - 1 - b];
      }
      p[i] += step * t * w[i] * (1 - q[i]) * fmax(0, below);
    }
    if (all_at_most_k < 1e-18 && n_hot >= k)
      break;
  }
}

/* Rosén's approximation for successive sampling: the k-th smallest key replaced by a constant
 * tau, p_i = 1 - exp(-tau w_i) with sum p_i = k (B. Rosén, "Asymptotic theory for successive
 * sampling with varying probabilities without replacement", Ann. Math. Stat. 43, 1972). The sum
 * is concave and increasing in tau, so Newton from tau = 0 climbs monotonically to the root;
 * O(E) per step, tens of steps. Asymptotically exact as k grows; used above EXACT_K_MAX. */
static void inclusion_rosen(const tf_moe_routing *r, double *p) {
  int64_t e = r->experts;
  double k = (double)r->experts_per_token, w[TF_MOE_EXPERTS_MAX], tau = 0;
  popularity_weights(r, w);
  for (int iter = 0; iter < 200; iter++) {
    double sum = 0, slope = 0;
    for (int64_t i = 0; i < e; i++) {
      sum += -expm1(-tau * w[i]);
      slope += w[i] * exp(-tau * w[i]);
    }
    if (k - sum <= 1e-14 * k)
      break;
    tau += (k - sum) / slope;
  }
  for (int64_t i = 0; i < e; i++)
    p[i] = -expm1(-tau * w[i]);
}

/* Above this many experts per token the exact inclusion probabilities (O(E k^1.5) per plan) give
 * way to Rosén's. Measured against the exact ones (E 8..1024, s 0.5..1.5) Rosén's worst relative
 * error per expert is 4-10 % at k = 2, 1.7 % at k = 8 and 0.25 % at k = 64, shrinking like 1/k. */
#define EXACT_K_MAX 64

/* p_i = P(a token picks expert i), summing to k (rescaled to it exactly). Uniform, or every
 * expert picked: k / E. One expert per token: w_i / W. Otherwise exact up to quadrature for
 * k <= EXACT_K_MAX, Rosén's approximation above. */
static void inclusion_probabilities(const tf_moe_routing *r, double *p) {
  int64_t e = r->experts, k = r->experts_per_token;
  if (r->skew == 0 || k == e) {
    for (int64_t i = 0; i < e; i++)
      p[i] = (double)k / (double)e;
    return;
  }
  if (k == 1) {
    double w_sum = popularity_weights(r, p);
    for (int64_t i = 0; i < e; i++)
      p[i] /= w_sum;
    return;
  }
  if (k <= EXACT_K_MAX)
    inclusion_exact(r, p);
  else
    inclusion_rosen(r, p);
  double sum = 0;
  for (int64_t i = 0; i < e; i++)
    sum += p[i];
  for (int64_t i = 0; i < e; i++)
    p[i] = fmin(1, p[i] * (double)k / sum);
}

/* Primary replicas round-robin by popularity; second replicas of the hottest, hottest first, on
 * the least expectedly loaded other rank (ties, within rounding: fewer slots, then lower index).
 * O(E + X R). With one rank there is nowhere else to put a replica, so none is made. */
static void place(tf_moe_plan *pl, double *load, int32_t *slots) {
  int64_t e = pl->routing.experts, ranks = pl->routing.ranks, x = pl->routing.redundant_experts;
  for (int64_t r = 0; r < ranks; r++) {
    load[r] = 0;
    slots[r] = 0;
  }
  for (int64_t i = 0; i < e; i++) {
    int32_t r = (int32_t)(i % ranks);
    pl->expert_rank[i] = r;
    pl->replica_rank[i] = -1;
    load[r] += pl->inclusion[i];
    slots[r]++;
  }
  if (ranks == 1)
    return;
  double tie = 1e-12 * (double)pl->routing.experts_per_token;
  for (int64_t i = 0; i < x; i++) {
    int32_t home = pl->expert_rank[i], best = -1;
    for (int32_t r = 0; r < (int32_t)ranks; r++) {
      if (r == home)
        continue;
      if (best < 0 || load[r] < load[best] - tie ||
          (load[r] <= load[best] + tie && slots[r] < slots[best]))
        best = r;
    }
    pl->replica_rank[i] = best;
    load[home] -= pl->inclusion[i] / 2;
    load[best] += pl->inclusion[i] / 2;
    slots[best]++;
  }
}

typedef struct rank_moments {
  double mean, var;
  int32_t cap;
} rank_moments;

/* Decreasing mean, then variance, then capacity: the busiest ranks first. */
static int by_decreasing_load(const void *pa, const void *pb) {
  const rank_moments *a = pa, *b = pb;
  if (a->mean != b->mean)
    return a->mean < b->mean ? 1 : -1;
  if (a->var != b->var)
    return a->var < b->var ? 1 : -1;
  return (a->cap < b->cap) - (a->cap > b->cap);
}

/* Per-token moments of each rank's count Y_r = sum over its replicas of I_i C, with I_i the
 * indicator that the token picks expert i and C a fair coin for a replicated expert (f = 1/2),
 * 1 otherwise (f = 1):
 *   E Y_r = sum f_i p_i,
 *   Var Y_r = sum f_i p_i (1 - f_i p_i) + sum_{i != j} f_i f_j Cov(I_i, I_j),
 * with Cov(I_i, I_j) = -c_i c_j / D, c = p (1 - p), D = (1 - 1/E) sum c: exactly
 * -p (1 - p) / (E - 1), the hypergeometric's, when uniform; Hájek's approximation otherwise.
 * Clamped to [0, mean] (the covariances are negative, so only rounding can leave it). Ranks with
 * equal moments and capacity become one class, so the uniform case has one or two. */
static void rank_classes(tf_moe_plan *pl, rank_moments *m) {
  int64_t e = pl->routing.experts, ranks = pl->routing.ranks;
  double c_sum = 0;
  for (int64_t i = 0; i < e; i++)
    c_sum += pl->inclusion[i] * (1 - pl->inclusion[i]);
  double kappa = e > 1 && c_sum > 0 ? 1 / (c_sum * (1 - 1 / (double)e)) : 0;

  double fc[TF_MOE_RANKS_MAX], fc2[TF_MOE_RANKS_MAX];
  int32_t slots[TF_MOE_RANKS_MAX];
  for (int64_t r = 0; r < ranks; r++) {
    m[r] = (rank_moments){0};
    fc[r] = fc2[r] = 0;
    slots[r] = 0;
  }
  for (int64_t i = 0; i < e; i++) {
    double p = pl->inclusion[i], c = p * (1 - p);
    int replicated = pl->replica_rank[i] >= 0;
    double f = replicated ? 0.5 : 1.0;
    for (int copy = 0; copy <= replicated; copy++) {
      int32_t r = copy ? pl->replica_rank[i] : pl->expert_rank[i];
      m[r].mean += f * p;
      m[r].var += f * p * (1 - f * p);
      fc[r] += f * c;
      fc2[r] += f * f * c * c;
      slots[r]++;
    }
  }
  for (int64_t r = 0; r < ranks; r++) {
    double v = m[r].var - kappa * (fc[r] * fc[r] - fc2[r]);
    m[r].var = fmin(fmax(v, 0), m[r].mean);
    m[r].cap = slots[r] < pl->routing.experts_per_token ? slots[r]
                                                         : (int32_t)pl->routing.experts_per_token;
  }
  qsort(m, (size_t)ranks, sizeof *m, by_decreasing_load);
  pl->classes = 0;
  for (int64_t r = 0; r < ranks; r++) {
    int32_t c = pl->classes - 1;
    if (c >= 0 && pl->class_cap[c] == m[r].cap &&
        fabs(pl->class_mean[c] - m[r].mean) <= 1e-12 * pl->class_mean[c] &&
        fabs(pl->class_var[c] - m[r].var) <= 1e-12 * pl->class_mean[c]) {
      pl->class_ranks[c]++;
      continue;
    }
    c = pl->classes++;
    pl->class_ranks[c] = 1;
    pl->class_cap[c] = m[r].cap;
    pl->class_mean[c] = m[r].mean;
    pl->class_var[c] = m[r].var;
  }
}

int tf_moe_plan_init(tf_moe_plan *pl, const tf_moe_routing *r) {
  assert(pl && r);
  memset(pl, 0, sizeof *pl);
  int rc = tf_moe_routing_check(r);
  if (rc)
    return rc;
  pl->routing = *r;
  inclusion_probabilities(r, pl->inclusion);
  double load[TF_MOE_RANKS_MAX];
  int32_t slots[TF_MOE_RANKS_MAX];
  place(pl, load, slots);
  rank_moments m[TF_MOE_RANKS_MAX];
  rank_classes(pl, m);
  assert(tf_moe_plan_is_valid(pl));
  return 0;
}

int tf_moe_plan_is_valid(const tf_moe_plan *pl) {
  if (!pl || routing_fault(&pl->routing))
    return 0;
  int64_t e = pl->routing.experts, ranks = pl->routing.ranks, x = pl->routing.redundant_experts;
  double k = (double)pl->routing.experts_per_token, sum = 0;
  for (int64_t i = 0; i < e; i++) {
    double p = pl->inclusion[i];
    if (!(p > 0 && p <= 1) || pl->expert_rank[i] < 0 || pl->expert_rank[i] >= ranks)
      return 0;
    sum += p;
    int32_t rep = pl->replica_rank[i];
    if ((i < x && ranks > 1) != (rep >= 0))
      return 0;
    if (rep >= 0 && (rep >= ranks || rep == pl->expert_rank[i]))
      return 0;
  }
  if (fabs(sum - k) > 1e-9 * k || pl->classes < 1 || pl->classes > ranks)
    return 0;
  int64_t counted = 0;
  double mass = 0;
  for (int32_t c = 0; c < pl->classes; c++) {
    if (pl->class_ranks[c] < 1 || pl->class_cap[c] < 1 || pl->class_cap[c] > k ||
        !(pl->class_var[c] >= 0 && pl->class_var[c] <= pl->class_mean[c]) ||
        (c > 0 && pl->class_mean[c] > pl->class_mean[c - 1]))
      return 0;
    counted += pl->class_ranks[c];
    mass += pl->class_ranks[c] * pl->class_mean[c];
  }
  return counted == ranks && fabs(mass - k) <= 1e-9 * k;
}

/* log Phi(z), accurate in both tails. */
static double log_ugaussian_p(double z) {
  if (z >= 0)
    return log1p(-gsl_cdf_ugaussian_Q(z));
  return gsl_sf_log_erfc(-z / sqrt(2.0)) - LN2;
}

/* One class of ranks at t tokens: each rank's load mean, variance and most it can hold. */
typedef struct class_load {
  double mu, var, cap;
} class_load;

/* Poissonised unless `marginal`: the variance divided by 1 - a / k, so that the ranks can be
 * treated as independent (see the header), and at most the mean. */
static class_load class_at(const tf_moe_plan *pl, int32_t c, double t, int marginal) {
  double a = pl->class_mean[c], v = pl->class_var[c];
  double share = a / (double)pl->routing.experts_per_token;
  if (!marginal)
    v = share < 1 ? fmin(a, v / (1 - share)) : 0;
  return (class_load){.mu = t * a, .var = t * v, .cap = t * pl->class_cap[c]};
}

/* The distribution standing in for one rank's load: a binomial matched in mean and variance (its
 * trials rounded, then its probability set to keep the mean), a Poisson when the variance is
 * within 1e-6 of the mean, a point when it is 0; walked upward one value at a time keeping
 * tail = P(X >= x) and pmf = P(X = x). Capping the trials at what a rank can hold was tried and
 * is worse: it shrinks the variance, and E[max] with it, by up to 5 % at T = 1..4. */
typedef enum { LOAD_POINT, LOAD_BINOMIAL, LOAD_POISSON } load_kind;
typedef struct load_walk {
  load_kind kind;
  double n, p, mu; /* binomial trials and probability; Poisson mean; the point */
  double tail, pmf;
} load_walk;

/* P(X = x + 1) from P(X = x). */
static double next_pmf(const load_walk *w, double pmf, double x) {
  switch (w->kind) {
  case LOAD_POINT:
    return x + 1 == w->n ? 1 : 0;
  case LOAD_POISSON:
    return pmf * w->mu / (x + 1);
  case LOAD_BINOMIAL:
    break;
  }
  if (w->p >= 1)
    return x + 1 == w->n ? 1 : 0;
  return x + 1 > w->n ? 0 : pmf * (w->n - x) / (x + 1) * w->p / (1 - w->p);
}

/* Sets w to the load l positioned at x0 >= 0. Near the origin (x0 <= 64) the start comes from
 * summing the pmf up from 0, which is cheaper than GSL's incomplete beta and gamma functions and
 * accurate to about 1e-16 absolute, all that the sums over x need. 0, or -1 if the binomial
 * would need more trials than GSL's unsigned arguments hold (the caller then uses the normal
 * form). */
static int walk_start(load_walk *w, class_load l, double x0) {
  *w = (load_walk){.mu = l.mu};
  double log_pmf0;
  if (l.var <= 1e-12 * l.mu) {
    w->kind = LOAD_POINT;
    w->n = round(l.mu);
    w->tail = x0 <= w->n ? 1 : 0;
    w->pmf = x0 == w->n ? 1 : 0;
    return 0;
  }
  double p = 1 - l.var / l.mu;
  if (p < 1e-6) {
    if (x0 > 2147483647.0)
      return -1;
    w->kind = LOAD_POISSON;
    log_pmf0 = -l.mu;
  } else {
    double n = fmax(1, round(l.mu / p));
    if (n > 2147483647.0)
      return -1;
    w->kind = LOAD_BINOMIAL;
    w->n = n;
    w->p = p = fmin(1, l.mu / n);
    log_pmf0 = p < 1 ? n * log1p(-p) : -INFINITY;
  }
  if (x0 <= 64 && log_pmf0 > -700) {
    double pmf = exp(log_pmf0), below = 0;
    for (double x = 0; x < x0; x++) {
      below += pmf;
      pmf = next_pmf(w, pmf, x);
    }
    w->tail = fmax(0, 1 - below);
    w->pmf = pmf;
  } else if (w->kind == LOAD_POISSON) {
    w->tail = x0 < 1 ? 1 : gsl_cdf_poisson_Q((unsigned)(x0 - 1), l.mu);
    w->pmf = gsl_ran_poisson_pdf((unsigned)x0, l.mu);
  } else {
    unsigned n = (unsigned)w->n;
    w->tail = x0 < 1 ? 1 : x0 - 1 >= w->n ? 0 : gsl_cdf_binomial_Q((unsigned)(x0 - 1), w->p, n);
    w->pmf = x0 > w->n ? 0 : gsl_ran_binomial_pdf((unsigned)x0, w->p, n);
  }
  return 0;
}

/* From x to x + 1. */
static void walk_step(load_walk *w, double x) {
  w->tail = fmax(0, w->tail - w->pmf);
  w->pmf = next_pmf(w, w->pmf, x);
}

/* E[max] for the independent (Poissonised) class loads at integer t, summed as
 * sum_{x >= 1} P(max >= x): 1 up to the pigeonhole bound ceil(t k / R) and below every class's
 * bulk (the largest mu - 8 sigma), 0 above the most any rank can hold, and
 * 1 - prod_c P(X_c < x)^ranks_c in between. -1 if a class cannot be represented. */
static double expected_max_discrete(const tf_moe_plan *pl, double t) {
  double k = (double)pl->routing.experts_per_token, ranks = (double)pl->routing.ranks;
  double pigeon = ceil(t * k / ranks - 1e-9), bulk = 1, x_cap = 0;
  for (int32_t c = 0; c < pl->classes; c++) {
    class_load l = class_at(pl, c, t, 0);
    bulk = fmax(bulk, floor(l.mu - 8 * sqrt(l.var)));
    x_cap = fmax(x_cap, l.cap);
  }
  double x0 = fmax(pigeon + 1, bulk), sum = x0 - 1;
  if (x0 > x_cap)
    return fmin(sum, x_cap);
  load_walk walks[TF_MOE_RANKS_MAX];
  int32_t active[TF_MOE_RANKS_MAX], n_active = 0;
  for (int32_t c = 0; c < pl->classes; c++) {
    class_load l = class_at(pl, c, t, 0);
    /* Bernstein: a sum of 0/1 draws (binomial, Poisson) exceeds its mean by d with probability
     * at most exp(-d^2 / (2 (var + d / 3))); below 1e-18 the class is never the max. */
    double d = x0 - l.mu;
    if (d > 0 && d * d > 2 * 41.5 * (l.var + d / 3))
      continue;
    if (walk_start(&walks[n_active], l, x0) != 0)
      return -1;
    if (walks[n_active].tail > 0)
      active[n_active++] = c;
  }
  for (double x = x0; x <= x_cap; x++) {
    double log_all_below = 0;
    for (int32_t a = 0; a < n_active; a++)
      log_all_below += pl->class_ranks[active[a]] * log1p(-walks[a].tail);
    double at_least_x = -expm1(log_all_below);
    sum += at_least_x;
    if (at_least_x <= 1e-16 * sum)
      break;
    for (int32_t a = 0; a < n_active; a++) {
      walk_step(&walks[a], x);
      if (walks[a].tail < 1e-18 && x > walks[a].mu) { /* it only shrinks: drop the class */
        walks[a] = walks[--n_active];
        active[a--] = active[n_active];
      }
    }
  }
  return sum;
}

/* E[max] for independent normal (Poissonised) class loads: the x with
 * prod_c Phi((x - mu_c) / sd_c)^ranks_c = beta_R, beta_R = ((R - 0.375) / (R + 0.25))^R, which for
 * one class is Blom's mu + sd Phi^-1((R - 0.375) / (R + 0.25)). The root lies above the largest
 * mean (there the product is at most 1/2 < beta_R for R >= 2) and below every mu_c + 12 sd_c;
 * safeguarded Newton. Classes more than 12 sd_c below x change the product by < 1e-32 and are
 * skipped. */
static double expected_max_normal(const tf_moe_plan *pl, double t) {
  double ranks = (double)pl->routing.ranks;
  double q = (ranks - 0.375) / (ranks + 0.25); /* Blom 1958 */
  class_load top = class_at(pl, 0, t, 0);
  if (pl->classes == 1)
    return top.mu + sqrt(top.var) * gsl_cdf_ugaussian_Pinv(q);
  double target = ranks * log(q), lo = top.mu, hi = top.mu;
  for (int32_t c = 0; c < pl->classes; c++) {
    class_load l = class_at(pl, c, t, 0);
    hi = fmax(hi, l.mu + 12 * sqrt(l.var));
  }
  double x = 0.5 * (lo + hi);
  for (int iter = 0; iter < 100 && hi - lo > 1e-12 * hi; iter++) {
    double g = -target, slope = 0;
    for (int32_t c = 0; c < pl->classes; c++) {
      class_load l = class_at(pl, c, t, 0);
      double sd = sqrt(l.var);
      if (sd <= 0) {
        if (x < l.mu)
          g = -INFINITY;
        continue;
      }
      double z = (x - l.mu) / sd;
      if (z > 12)
        continue;
      double log_phi = log_ugaussian_p(z);
      g += pl->class_ranks[c] * log_phi;
      slope += pl->class_ranks[c] * exp(-0.5 * z * z - LN_SQRT_2PI - log_phi) / sd;
    }
    if (g < 0)
      lo = x;
    else
      hi = x;
    double next = x - g / slope;
    x = isfinite(next) && next > lo && next < hi ? next : 0.5 * (lo + hi);
  }
  return x;
}

/* Two ranks: their loads sum to t k, so max = t k / 2 + |L - t k / 2| with L either rank's load,
 * exactly; only L's own (marginal, not Poissonised) distribution is needed. Discrete while its
 * standard deviation is small, else the folded normal mean
 * sd sqrt(2 / pi) exp(-d^2 / (2 sd^2)) + d (1 - 2 Phi(-d / sd)), d = mu - t k / 2. */
static double expected_max_two(const tf_moe_plan *pl, double t) {
  double half = 0.5 * t * (double)pl->routing.experts_per_token;
  class_load l = class_at(pl, 0, t, 1);
  double sd = sqrt(l.var), d = l.mu - half;
  load_walk w;
  if (sd <= TF_MOE_DISCRETE_SIGMA_MAX) {
    double x0 = fmax(0, floor(l.mu - 12 * sd)), x1 = fmin(l.cap, ceil(l.mu + 12 * sd) + 1);
    if (walk_start(&w, l, x0) == 0) {
      double dev = 0;
      for (double x = x0; x <= x1; x++) {
        dev += fabs(x - half) * w.pmf;
        walk_step(&w, x);
      }
      return half + dev;
    }
  }
  if (sd <= 0)
    return half + fabs(d);
  return half + sd * sqrt(2 / M_PI_VALUE) * exp(-0.5 * d * d / (sd * sd)) +
         d * (1 - 2 * gsl_cdf_ugaussian_P(-d / sd));
}

/* One token, uniform routing, no replicas: the counts on the ranks are multivariate
 * hypergeometric (k draws from E experts, m_r of them on rank r), which is independent
 * Binomial(m_r, q) counts conditioned on their sum being k, for any q (q = k / E keeps the numbers
 * O(1)). So P(max < x) = [z^k] prod_r (the pmf of Binomial(m_r, q) below x) / P(Bin(E, q) = k),
 * exactly. O(R k x) per x, x up to min(k, m); -1 when that would exceed about 1e7 operations. */
static double expected_max_one_token(const tf_moe_plan *pl) {
  int64_t e = pl->routing.experts, k = pl->routing.experts_per_token, ranks = pl->routing.ranks;
  int64_t m_small = e / ranks, n_big = e % ranks, m_big = m_small + (n_big > 0);
  int64_t x_max = k < m_big ? k : m_big;
  if ((double)ranks * (double)k * (double)x_max * (double)x_max > 1e7)
    return -1;
  double q = (double)k / (double)e, all = gsl_ran_binomial_pdf((unsigned)k, q, (unsigned)e);
  double poly[TF_MOE_EXPERTS_MAX + 1], next[TF_MOE_EXPERTS_MAX + 1];
  double pmf_small[TF_MOE_EXPERTS_MAX + 1], pmf_big[TF_MOE_EXPERTS_MAX + 1], sum = 0;
  for (int64_t j = 0; j <= x_max; j++) {
    pmf_small[j] = j > m_small ? 0 : gsl_ran_binomial_pdf((unsigned)j, q, (unsigned)m_small);
    pmf_big[j] = gsl_ran_binomial_pdf((unsigned)j, q, (unsigned)m_big);
  }
  for (int64_t x = 1; x <= x_max; x++) {
    for (int64_t n = 0; n <= k; n++)
      poly[n] = n == 0;
    for (int64_t r = 0; r < ranks; r++) {
      const double *pmf = r < n_big ? pmf_big : pmf_small;
      for (int64_t n = 0; n <= k; n++) {
        next[n] = 0;
        for (int64_t j = 0; j < x && j <= n; j++)
          next[n] += pmf[j] * poly[n - j];
      }
      memcpy(poly, next, (size_t)(k + 1) * sizeof *poly);
    }
    double at_least_x = fmax(0, 1 - poly[k] / all);
    sum += at_least_x;
    if (at_least_x < 1e-17)
      break;
  }
  return sum;
}

/* The statistics at an integer token count t >= 1. */
typedef struct point {
  double max, touched, rank_touched_max;
} point;

static point evaluate(const tf_moe_plan *pl, double t) {
  int64_t e = pl->routing.experts, ranks = pl->routing.ranks;
  point pt = {0};
  /* P(>= 1 of t tokens reaches an expert, or one replica of it), each token independently. */
  double rank_touched[TF_MOE_RANKS_MAX] = {0};
  int uniform = pl->routing.skew == 0;
  double p0 = pl->inclusion[0];
  double whole0 = p0 >= 1 ? 1 : -expm1(t * log1p(-p0)), half0 = -expm1(t * log1p(-p0 / 2));
  for (int64_t i = 0; i < e; i++) {
    double p = pl->inclusion[i];
    double whole = uniform ? whole0 : p >= 1 ? 1 : -expm1(t * log1p(-p));
    pt.touched += whole;
    if (pl->replica_rank[i] < 0) {
      rank_touched[pl->expert_rank[i]] += whole;
    } else {
      double half = uniform ? half0 : -expm1(t * log1p(-p / 2));
      rank_touched[pl->expert_rank[i]] += half;
      rank_touched[pl->replica_rank[i]] += half;
    }
  }
  for (int64_t r = 0; r < ranks; r++)
    pt.rank_touched_max = fmax(pt.rank_touched_max, rank_touched[r]);

  if (ranks == 1) { /* one rank takes every assignment */
    pt.max = t * (double)pl->routing.experts_per_token;
    return pt;
  }
  if (t == 1 && uniform && pl->routing.redundant_experts == 0 &&
      (pt.max = expected_max_one_token(pl)) >= 0)
    return pt;
  if (ranks == 2) {
    pt.max = expected_max_two(pl, t);
    return pt;
  }
  double sd_max = 0, x_cap = 0;
  for (int32_t c = 0; c < pl->classes; c++) {
    class_load l = class_at(pl, c, t, 0);
    sd_max = fmax(sd_max, sqrt(l.var));
    x_cap = fmax(x_cap, l.cap);
  }
  /* Discrete up to TF_MOE_DISCRETE_SIGMA_MAX, normal from 4/3 of it, a linear blend between:
   * Blom's approximation is 1-3 % off in z for R <= 8, which would otherwise show as a step of
   * up to 0.1 % in the imbalance where the two meet, enough to break its monotony in T. */
  double weight = fmin(1, fmax(0, (sd_max / TF_MOE_DISCRETE_SIGMA_MAX - 1) * 3));
  double discrete = weight < 1 ? expected_max_discrete(pl, t) : -1;
  if (discrete < 0)
    weight = 1;
  double normal = weight > 0 ? fmin(expected_max_normal(pl, t), x_cap) : 0;
  pt.max = (1 - weight) * discrete + weight * normal;
  return pt;
}

int tf_moe_plan_load(const tf_moe_plan *pl, double tokens, tf_moe_load *out) {
  assert(pl && out);
  assert(tf_moe_plan_is_valid(pl));
  *out = (tf_moe_load){.tokens = tokens};
  if (!(tokens >= 0 && tokens <= TOKENS_MAX))
    return TF_FAIL(TF_ERANGE, "MoE load: tokens = %g; expected 0..%g", tokens, TOKENS_MAX);
  double k = (double)pl->routing.experts_per_token;
  out->mean_per_rank = tokens * k / (double)pl->routing.ranks;
  out->imbalance = 1;
  if (tokens == 0)
    return 0;
  /* A fractional batch: floor(T) tokens with probability 1 - frac, ceil(T) with frac. */
  double whole = floor(tokens), frac = tokens - whole;
  point lo = whole >= 1 ? evaluate(pl, whole) : (point){0};
  point hi = frac > 0 ? evaluate(pl, whole + 1) : lo;
  out->max_per_rank = (1 - frac) * lo.max + frac * hi.max;
  out->experts_touched = (1 - frac) * lo.touched + frac * hi.touched;
  out->rank_experts_touched_max = (1 - frac) * lo.rank_touched_max + frac * hi.rank_touched_max;
  out->imbalance = fmax(1, out->max_per_rank / out->mean_per_rank);
  out->tokens_per_touched_expert = tokens * k / out->experts_touched;
  return 0;
}

int tf_moe_load_expected(const tf_moe_routing *r, double tokens, tf_moe_load *out) {
  assert(r && out);
  tf_moe_plan pl;
  int rc = tf_moe_plan_init(&pl, r);
  if (rc) {
    *out = (tf_moe_load){.tokens = tokens};
    return rc;
  }
  return tf_moe_plan_load(&pl, tokens, out);
}

/* Monte-Carlo workspace. Stamps hold the serial of the token (picked) or trial (seen) that last
 * set them, so nothing is cleared between tokens or trials. */
typedef struct mc_work {
  const tf_moe_plan *plan;
  int64_t *load;          /* per rank, this trial */
  int64_t *rank_touched;  /* per rank, replicas touched this trial */
  double *rank_touched_sum; /* per rank, over trials */
  int64_t *picked;        /* per expert: token serial */
  int64_t *expert_seen;   /* per expert: trial serial */
  int64_t *slot_seen;     /* per replica (i, then E + i): trial serial */
  size_t *perm;           /* uniform routing: a permutation of the experts */
  size_t *chosen;         /* skewed routing: this token's experts */
  double *weight;         /* skewed routing: popularity weights */
} mc_work;

/* Draws a token's k experts into `chosen` (a prefix of w->perm when uniform). Skewed: draws
 * from the full popularity distribution and rejects repeats, which is sampling proportionally to
 * the weights not yet drawn; after 16 rejections in a row (a heavy skew with k near E) the draw
 * is a linear scan of the remaining weights instead, O(E). */
static const size_t *draw_token(mc_work *w, gsl_rng *rng, const gsl_ran_discrete_t *alias,
                                int64_t serial) {
  size_t e = (size_t)w->plan->routing.experts, k = (size_t)w->plan->routing.experts_per_token;
  if (!alias) {
    for (size_t j = 0; j + 1 < e && j < k; j++) {
      size_t m = j + (size_t)gsl_rng_uniform_int(rng, (unsigned long)(e - j));
      size_t tmp = w->perm[j];
      w->perm[j] = w->perm[m];
      w->perm[m] = tmp;
    }
    return w->perm;
  }
  for (size_t j = 0; j < k; j++) {
    size_t i = 0;
    int found = 0;
    for (int attempt = 0; attempt < 16 && !found; attempt++) {
      i = gsl_ran_discrete(rng, alias);
      found = w->picked[i] != serial;
    }
    if (!found) {
      double total = 0;
      for (size_t m = 0; m < e; m++)
        total += w->picked[m] != serial ? w->weight[m] : 0;
      double u = gsl_rng_uniform(rng) * total;
      for (i = 0; i < e; i++) {
        if (w->picked[i] == serial)
          continue;
        if (u < w->weight[i])
          break;
        u -= w->weight[i];
      }
      if (i == e) /* rounding left u past the end: the last remaining expert */
        for (i = e; i-- > 0 && w->picked[i] == serial;)
          ;
    }
    w->picked[i] = serial;
    w->chosen[j] = i;
  }
  return w->chosen;
}

int tf_moe_load_monte_carlo(const tf_moe_routing *r, int64_t tokens, int64_t trials, gsl_rng *rng,
                            tf_moe_load *out) {
  assert(r && rng && out);
  tf_moe_plan *pl = malloc(sizeof *pl);
  if (!pl) {
    *out = (tf_moe_load){.tokens = (double)tokens};
    return TF_FAIL(TF_ENOMEM, "MoE Monte Carlo: %zu bytes", sizeof *pl);
  }
  int rc = tf_moe_plan_init(pl, r);
  if (rc)
    *out = (tf_moe_load){.tokens = (double)tokens};
  else
    rc = tf_moe_plan_monte_carlo(pl, tokens, trials, rng, out);
  free(pl);
  return rc;
}

int tf_moe_plan_monte_carlo(const tf_moe_plan *pl, int64_t tokens, int64_t trials, gsl_rng *rng,
                            tf_moe_load *out) {
  assert(pl && rng && out);
  assert(tf_moe_plan_is_valid(pl));
  *out = (tf_moe_load){.tokens = (double)tokens};
  if (tokens < 0 || (double)tokens > TOKENS_MAX || trials < 1)
    return TF_FAIL(TF_ERANGE, "MoE Monte Carlo: tokens = %lld, trials = %lld; expected tokens "
                              "in 0..%g and trials >= 1",
                   (long long)tokens, (long long)trials, TOKENS_MAX);
  mc_work work = {.plan = pl}, *w = &work;
  int rc = 0;
  const tf_moe_routing *r = &pl->routing;
  size_t e = (size_t)r->experts, ranks = (size_t)r->ranks, k = (size_t)r->experts_per_token;
  w->load = calloc(ranks, sizeof *w->load);
  w->rank_touched = calloc(ranks, sizeof *w->rank_touched);
  w->rank_touched_sum = calloc(ranks, sizeof *w->rank_touched_sum);
  w->picked = calloc(e, sizeof *w->picked);
  w->expert_seen = calloc(e, sizeof *w->expert_seen);
  w->slot_seen = calloc(2 * e, sizeof *w->slot_seen);
  w->perm = calloc(e, sizeof *w->perm);
  w->chosen = calloc(k, sizeof *w->chosen);
  w->weight = calloc(e, sizeof *w->weight);
  gsl_ran_discrete_t *alias = NULL;
  if (w->load && w->rank_touched && w->rank_touched_sum && w->picked && w->expert_seen &&
      w->slot_seen && w->perm && w->chosen && w->weight) {
    for (size_t i = 0; i < e; i++) {
      w->perm[i] = i;
      w->weight[i] = pow((double)(i + 1), -r->skew);
    }
    if (r->skew > 0 && k < e && !(alias = gsl_ran_discrete_preproc(e, w->weight)))
      rc = TF_FAIL(TF_ENOMEM, "MoE Monte Carlo: alias table for %zu experts", e);
  } else {
    rc = TF_FAIL(TF_ENOMEM, "MoE Monte Carlo: workspace for %zu experts, %zu ranks", e, ranks);
  }

  /* Welford's running mean and variance of the busiest rank's load. */
  double max_mean = 0, max_m2 = 0, touched_sum = 0;
  int64_t serial = 0;
  for (int64_t trial = 1; rc == 0 && trial <= trials; trial++) {
    memset(w->load, 0, ranks * sizeof *w->load);
    memset(w->rank_touched, 0, ranks * sizeof *w->rank_touched);
    int64_t touched = 0;
    for (int64_t token = 0; token < tokens; token++) {
      const size_t *chosen = draw_token(w, rng, alias, ++serial);
      for (size_t j = 0; j < k; j++) {
        size_t i = chosen[j], slot = i;
        int32_t rank = w->plan->expert_rank[i];
        if (w->plan->replica_rank[i] >= 0 && gsl_rng_uniform_int(rng, 2)) {
          slot = e + i;
          rank = w->plan->replica_rank[i];
        }
        w->load[rank]++;
        if (w->slot_seen[slot] != trial) {
          w->slot_seen[slot] = trial;
          w->rank_touched[rank]++;
        }
        if (w->expert_seen[i] != trial) {
          w->expert_seen[i] = trial;
          touched++;
        }
      }
    }
    int64_t busiest = 0;
    for (size_t q = 0; q < ranks; q++) {
      busiest = w->load[q] > busiest ? w->load[q] : busiest;
      w->rank_touched_sum[q] += (double)w->rank_touched[q];
    }
    double delta = (double)busiest - max_mean;
    max_mean += delta / (double)trial;
    max_m2 += delta * ((double)busiest - max_mean);
    touched_sum += (double)touched;
  }
  if (rc == 0) {
    double n = (double)trials, kk = (double)k;
    out->mean_per_rank = (double)tokens * kk / (double)ranks;
    out->max_per_rank = max_mean;
    out->max_per_rank_stderr = trials > 1 ? sqrt(max_m2 / (n - 1) / n) : 0;
    out->imbalance = tokens > 0 ? max_mean / out->mean_per_rank : 1;
    out->experts_touched = touched_sum / n;
    for (size_t q = 0; q < ranks; q++)
      out->rank_experts_touched_max =
          fmax(out->rank_experts_touched_max, w->rank_touched_sum[q] / n);
    out->tokens_per_touched_expert =
        out->experts_touched > 0 ? (double)tokens * kk / out->experts_touched : 0;
  }
  if (alias)
    gsl_ran_discrete_free(alias);
  free(w->load);
  free(w->rank_touched);
  free(w->rank_touched_sum);
  free(w->picked);
  free(w->expert_seen);
  free(w->slot_seen);
  free(w->perm);
  free(w->chosen);
  free(w->weight);
  return rc;
}
