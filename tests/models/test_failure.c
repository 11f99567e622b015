/* Failures and repairs: time-to-failure samples against exact means and the Weibull CDF, failure
 * counts of superposed instances against Poisson and binomial laws, availability against
 * MTTF / (MTTF + MTTR), hand-computed repair-shop timelines (crews, FIFO, spares), the defaults
 * against the Llama 3 arithmetic, and every check naming its field. Statistical checks allow
 * |z| <= 4.5 (about 7e-6 two-sided per check under a normal law); the seed is fixed, so a run is
 * reproducible. */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "failure.h"
#include "rng.h"
#include "tf_test.h"

#define SEED 20250611u
#define Z_MAX 4.5
#define H TF_FAILURE_HOUR_S
#define H_NS INT64_C(3600000000000)

static gsl_rng *stream(uint64_t entity, uint64_t s) {
  gsl_rng *r = NULL;
  TF_CHECK_INT(tf_rng_stream_create(&r, SEED, entity, s), 0);
  return r;
}

#define CHECK_Z(z)                                                                     \
  do {                                                                                 \
    double z_ = (z);                                                                   \
    tf_test_checks++;                                                                  \
    if (!(fabs(z_) <= Z_MAX)) {                                                        \
      tf_test_failures++;                                                              \
      fprintf(stderr, "%s:%d: |z| = %g > %g for %s\n", __FILE__, __LINE__, fabs(z_), Z_MAX, #z); \
    }                                                                                  \
  } while (0)

/* The last failure's message contains needle. */
static void check_reason(const char *needle, int line) {
  tf_test_checks++;
  if (!strstr(tf_err_reason(), needle)) {
    tf_test_failures++;
    fprintf(stderr, "%s:%d: message \"%s\" lacks \"%s\"\n", __FILE__, line, tf_err_reason(),
            needle);
  }
}
#define CHECK_REASON(needle) check_reason((needle), __LINE__)

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* ---- Weibull: means, k = 1, the CDF ---- */

static void test_weibull(void) {
  const double lambda = 1000 * H;
  /* Known answers: k = 1 is the exponential of mean lambda, k = 2 has mean lambda sqrt(pi) / 2. */
  tf_failure_ttf w1 = tf_failure_ttf_weibull(1.0, lambda);
  tf_failure_ttf e1 = tf_failure_ttf_mtbf(lambda);
  TF_CHECK_NEAR(tf_failure_ttf_mean_s(&w1), lambda, 1e-12 * lambda);
  TF_CHECK_NEAR(tf_failure_ttf_mean_s(&e1), lambda, 1e-12 * lambda);
  tf_failure_ttf w2 = tf_failure_ttf_weibull(2.0, lambda);
  TF_CHECK_NEAR(tf_failure_ttf_mean_s(&w2), lambda * sqrt(3.14159265358979323846) / 2, 1e-12 * lambda);

  /* Sample means against lambda Gamma(1 + 1/k), sd from Gamma(1 + 2/k) - Gamma(1 + 1/k)^2. */
  const double shapes[] = {0.7, 1.0, 2.5};
  enum { N_MEAN = 200000, N_KS = 20000 };
  static double x[N_KS];
  for (size_t s = 0; s < 3; s++) {
    double k = shapes[s];
    tf_failure_ttf w = tf_failure_ttf_weibull(k, lambda);
    TF_CHECK_INT(tf_failure_ttf_check(&w, "test"), 0);
    double g1 = gsl_sf_gamma(1 + 1 / k), g2 = gsl_sf_gamma(1 + 2 / k);
    double mean = lambda * g1, sd = lambda * sqrt(g2 - g1 * g1);
    TF_CHECK_NEAR(tf_failure_ttf_mean_s(&w), mean, 1e-12 * mean);
    gsl_rng *r = stream(1, s);
    double sum = 0;
    for (int i = 0; i < N_MEAN; i++)
      sum += tf_failure_ttf_sample_s(&w, r);
    CHECK_Z((sum / N_MEAN - mean) / (sd / sqrt(N_MEAN)));

    /* Kolmogorov-Smirnov against gsl_cdf_weibull_P: sqrt(n) D_n < 2.2 (asymptotic false-alarm
     * probability 2 exp(-2 x 2.2^2) = 1.2e-4). */
    for (int i = 0; i < N_KS; i++)
      x[i] = tf_failure_ttf_sample_s(&w, r);
    qsort(x, N_KS, sizeof x[0], cmp_double);
    double d = 0;
    for (int i = 0; i < N_KS; i++) {
      double f = gsl_cdf_weibull_P(x[i], lambda, k);
      d = fmax(d, fmax(fabs((i + 1.0) / N_KS - f), fabs(f - (double)i / N_KS)));
    }
    TF_CHECK(sqrt((double)N_KS) * d < 2.2);
    gsl_rng_free(r);
  }

  /* k = 1 matches the exponential in distribution: the same KS bound between the Weibull(1)
   * sample and the exponential CDF. */
  gsl_rng *r = stream(1, 9);
  for (int i = 0; i < N_KS; i++)
    x[i] = tf_failure_ttf_sample_s(&w1, r);
  qsort(x, N_KS, sizeof x[0], cmp_double);
  double d = 0;
  for (int i = 0; i < N_KS; i++) {
    double f = gsl_cdf_exponential_P(x[i], lambda);
    d = fmax(d, fmax(fabs((i + 1.0) / N_KS - f), fabs(f - (double)i / N_KS)));
  }
  TF_CHECK(sqrt((double)N_KS) * d < 2.2);
  gsl_rng_free(r);
}

/* ---- Superposed instances: counts ---- */

/* Failures of n instances over [0, t_ns], each renewed the instant it fails (so the group keeps n
 * instances up): the count, the mean gap between failures (s), and failures per tenth of the
 * instances (bins, n divisible by 10). */
static int64_t renewal_count(const tf_failure_ttf *ttf, int64_t n, int64_t t_ns, uint64_t entity,
                             double *mean_gap_s, int64_t bins[10]) {
  gsl_rng *r = stream(entity, 0);
  tf_failure_process *p = NULL;
  TF_CHECK_INT(tf_failure_process_create(&p, ttf, n, 0, r), 0);
  int64_t count = 0, at = 0, id = 0, last = 0;
  memset(bins, 0, 10 * sizeof bins[0]);
  int ok = 1; /* every call succeeded, and a repeated next gave the same answer */
  while (tf_failure_next(p, r, &at, &id) == 0 && at <= t_ns) {
    int64_t again_at = -1, again_id = -1, got = -1;
    ok &= tf_failure_next(p, r, &again_at, &again_id) == 0 && again_at == at && again_id == id;
    ok &= tf_failure_down(p, at, &got) == 0 && got == id;
    ok &= tf_failure_up(p, at, id, r) == 0;
    bins[id / (n / 10)]++;
    last = at;
    count++;
  }
  TF_CHECK(ok);
  *mean_gap_s = count ? (double)last / 1e9 / (double)count : 0;
  TF_CHECK(tf_failure_process_is_valid(p));
  tf_failure_process_destroy(p);
  gsl_rng_free(r);
  return count;
}

static void test_counts(void) {
  /* N = 1000 instances at 1 / (1000 h) each over T = 10,000 h: Poisson with mean N rate T =
   * 10,000; gaps exponential with mean 1 h. Exponential (one superposed draw per failure) and
   * Weibull k = 1 (a clock per instance) must both give it. */
  const int64_t n = 1000;
  const double rate = 1.0 / (1000 * H);
  const int64_t t_ns = 10000 * H_NS;
  double mu = tf_failure_expected_count(rate, n, (double)t_ns / 1e9);
  TF_CHECK_NEAR(mu, 10000, 1e-9);
  tf_failure_ttf ttfs[2] = {tf_failure_ttf_exponential(rate), tf_failure_ttf_weibull(1.0, 1 / rate)};
  for (int v = 0; v < 2; v++) {
    double gap = 0;
    int64_t bins[10];
    int64_t k = renewal_count(&ttfs[v], n, t_ns, (uint64_t)(10 + v), &gap, bins);
    CHECK_Z(((double)k - mu) / sqrt(mu));
    double mean_gap = 1 / ((double)n * rate);
    CHECK_Z((gap - mean_gap) / (mean_gap / sqrt((double)k)));
    /* Which instance fails is uniform: chi-square over ten bins of 100 instances, 9 degrees of
     * freedom, upper tail above 1e-6. */
    double chi2 = 0, e = (double)k / 10;
    for (int b = 0; b < 10; b++)
      chi2 += ((double)bins[b] - e) * ((double)bins[b] - e) / e;
    TF_CHECK(gsl_cdf_chisq_Q(chi2, 9) > 1e-6);
  }

  /* Weibull clocks without repair: the number of n new instances failed by t is Binomial(n, F(t)),
   * for k = 0.7 and 2.5 at t = lambda (F = 1 - 1/e) and t = lambda / 2. */
  const double shapes[] = {0.7, 2.5};
  const double lambda = 500 * H;
  for (int s = 0; s < 2; s++) {
    for (int half = 0; half < 2; half++) {
      tf_failure_ttf w = tf_failure_ttf_weibull(shapes[s], lambda);
      gsl_rng *r = stream(20, (uint64_t)(2 * s + half));
      tf_failure_process *p = NULL;
      const int64_t m = 20000;
      TF_CHECK_INT(tf_failure_process_create(&p, &w, m, 0, r), 0);
      int64_t t_end = (int64_t)llround(lambda * 1e9 / (half ? 2 : 1));
      int64_t failed = 0, at, id, prev = 0;
      int ok = 1; /* instants never go back; every failure is taken down */
      while (tf_failure_next(p, r, &at, &id) == 0 && at <= t_end) {
        ok &= at >= prev;
        prev = at;
        ok &= tf_failure_down(p, at, &id) == 0;
        failed++;
      }
      TF_CHECK(ok);
      TF_CHECK_INT(tf_failure_process_down_count(p), failed);
      double f = gsl_cdf_weibull_P((double)t_end / 1e9, lambda, shapes[s]);
      CHECK_Z(((double)failed - (double)m * f) / sqrt((double)m * f * (1 - f)));
      tf_failure_process_destroy(p);
      gsl_rng_free(r);
    }
  }
}

/* ---- The process's contract ---- */

static void test_process_contract(void) {
  gsl_rng *r = stream(30, 0);
  int64_t at, id, at2, id2;

  /* Exponential: next is idempotent; a return redraws from the return's instant. */
  tf_failure_ttf e = tf_failure_ttf_exponential(1 / (10 * H));
  tf_failure_process *p = NULL;
  TF_CHECK_INT(tf_failure_process_create(&p, &e, 4, 100, r), 0);
  TF_CHECK_INT(tf_failure_process_instances(p), 4);
  TF_CHECK_INT(tf_failure_next(p, r, &at, &id), 0);
  TF_CHECK(at >= 100 && id >= 0 && id < 4);
  TF_CHECK_INT(tf_failure_next(p, r, &at2, &id2), 0);
  TF_CHECK(at2 == at && id2 == id);
  TF_CHECK_INT(tf_failure_down(p, at + 1, &id2), TF_EINVAL); /* not its instant */
  CHECK_REASON("pending failure is at");
  TF_CHECK_INT(tf_failure_down(p, at, &id2), 0);
  TF_CHECK_INT(id2, id);
  TF_CHECK_INT(tf_failure_down(p, at, &id2), TF_EINVAL); /* nothing pending */
  TF_CHECK_INT(tf_failure_up(p, at, (id + 1) % 4, r), TF_EINVAL); /* not down */
  CHECK_REASON("is not down");
  TF_CHECK_INT(tf_failure_up(p, at - 1, id, r), TF_EPAST); /* before the last change */
  TF_CHECK_INT(tf_failure_next(p, r, &at2, &id2), 0);
  TF_CHECK(id2 != id && at2 >= at);
  TF_CHECK_INT(tf_failure_up(p, at2 + 1, id, r), TF_EPAST); /* past the pending failure */
  CHECK_REASON("take it down first");
  TF_CHECK_INT(tf_failure_up(p, at2, id, r), 0);
  TF_CHECK_INT(tf_failure_process_down_count(p), 0);
  /* Every instance down: nothing pending. */
  for (int i = 0; i < 4; i++) {
    TF_CHECK_INT(tf_failure_next(p, r, &at, &id), 0);
    TF_CHECK_INT(tf_failure_down(p, at, &id), 0);
  }
  TF_CHECK_INT(tf_failure_next(p, r, &at, &id), TF_ENOTFOUND);
  TF_CHECK(tf_failure_process_is_valid(p));
  tf_failure_process_destroy(p);

  /* Rate 0 never fails; no instances never fail. */
  tf_failure_ttf zero = tf_failure_ttf_exponential(0);
  TF_CHECK_INT(tf_failure_ttf_check(&zero, "test"), 0);
  TF_CHECK(isinf(tf_failure_ttf_mean_s(&zero)));
  TF_CHECK_INT(tf_failure_process_create(&p, &zero, 8, 0, r), 0);
  TF_CHECK_INT(tf_failure_next(p, r, &at, &id), TF_ENOTFOUND);
  tf_failure_process_destroy(p);
  TF_CHECK_INT(tf_failure_process_create(&p, &e, 0, 0, r), 0);
  TF_CHECK_INT(tf_failure_next(p, r, &at, &id), TF_ENOTFOUND);
  tf_failure_process_destroy(p);

  /* Weibull: the pending failure is the earliest clock; a return adds a clock drawn from then. */
  tf_failure_ttf w = tf_failure_ttf_weibull(1.5, 10 * H);
  TF_CHECK_INT(tf_failure_process_create(&p, &w, 16, 0, r), 0);
  TF_CHECK_INT(tf_failure_next(p, r, &at, &id), 0);
  TF_CHECK_INT(tf_failure_down(p, at, &id2), 0);
  TF_CHECK_INT(id2, id);
  TF_CHECK_INT(tf_failure_next(p, r, &at2, &id2), 0);
  TF_CHECK(at2 >= at && id2 != id);
  TF_CHECK_INT(tf_failure_up(p, at, id, r), 0);
  int64_t at3, id3;
  TF_CHECK_INT(tf_failure_next(p, r, &at3, &id3), 0);
  TF_CHECK(at3 <= at2 && at3 >= at); /* the new clock can only bring it forward */
  TF_CHECK(tf_failure_process_is_valid(p));
  tf_failure_process_destroy(p);

  /* Determinism: the same stream gives the same Weibull failures. */
  int64_t seq[2][50];
  for (int v = 0; v < 2; v++) {
    gsl_rng *rv = stream(31, 0);
    TF_CHECK_INT(tf_failure_process_create(&p, &w, 100, 0, rv), 0);
    for (int i = 0; i < 50; i++) {
      TF_CHECK_INT(tf_failure_next(p, rv, &at, &id), 0);
      TF_CHECK_INT(tf_failure_down(p, at, &id), 0);
      TF_CHECK_INT(tf_failure_up(p, at, id, rv), 0);
      seq[v][i] = at ^ (id << 48);
    }
    tf_failure_process_destroy(p);
    gsl_rng_free(rv);
  }
  TF_CHECK(memcmp(seq[0], seq[1], sizeof seq[0]) == 0);
  gsl_rng_free(r);
}

/* ---- Availability of one instance ---- */

/* One instance failing by ttf and repaired by the shop (unlimited crews, no spares), over n
 * cycles: the regenerative (ratio) estimate of its availability and its standard error. */
static void availability(const tf_failure_ttf *ttf, const tf_dist *repair, int n, uint64_t entity,
                         double *a_hat, double *se) {
  gsl_rng *rf = stream(entity, 0), *rr = stream(entity, 1);
  tf_failure_process *p = NULL;
  tf_repair_shop *shop = NULL;
  tf_failure_repair cfg = {.time = *repair, .crews = TF_FAILURE_UNLIMITED, .spares = 0};
  TF_CHECK_INT(tf_failure_process_create(&p, ttf, 1, 0, rf), 0);
  TF_CHECK_INT(tf_repair_shop_create(&shop, &cfg, 0), 0);
  double *up = malloc((size_t)n * sizeof *up), *cyc = malloc((size_t)n * sizeof *cyc);
  double su = 0, sc = 0;
  int64_t start = 0;
  int ok = 1; /* every call succeeded; no repair waited; no spare */
  for (int i = 0; i < n; i++) {
    int64_t at = 0, id = 0;
    tf_repair_ticket t = {0};
    ok &= tf_failure_next(p, rf, &at, &id) == 0 && tf_failure_down(p, at, &id) == 0;
    ok &= tf_repair_shop_fail(shop, at, rr, &t) == 0;
    ok &= t.repair_start_ns == at && t.back_ns == t.repair_end_ns && !t.spare;
    ok &= tf_failure_up(p, t.back_ns, id, rf) == 0;
    up[i] = (double)(at - start) / 1e9;
    cyc[i] = (double)(t.back_ns - start) / 1e9;
    su += up[i];
    sc += cyc[i];
    start = t.back_ns;
  }
  TF_CHECK(ok);
  TF_CHECK(tf_failure_process_is_valid(p) && tf_repair_shop_is_valid(shop));
  *a_hat = su / sc;
  double ss = 0;
  for (int i = 0; i < n; i++)
    ss += (up[i] - *a_hat * cyc[i]) * (up[i] - *a_hat * cyc[i]);
  *se = sqrt(ss / (n - 1)) / (sc / n) / sqrt((double)n);
  free(up);
  free(cyc);
  tf_repair_shop_destroy(shop);
  tf_failure_process_destroy(p);
  gsl_rng_free(rf);
  gsl_rng_free(rr);
}

static void test_availability(void) {
  TF_CHECK_NEAR(tf_failure_availability(100 * H, 25 * H), 0.8, 1e-15);
  TF_CHECK_NEAR(tf_failure_availability(INFINITY, 25 * H), 1.0, 0);
  /* MTTF 100 h, MTTR 25 h: A = 0.8 whatever the shapes (renewal-reward). */
  tf_dist logn = {.kind = TF_DIST_LOGNORMAL, .mean = 25 * H, .cv = 0.5};
  tf_dist fixed = {.kind = TF_DIST_DETERMINISTIC, .mean = 25 * H};
  tf_failure_ttf ex = tf_failure_ttf_mtbf(100 * H);
  tf_failure_ttf wb = tf_failure_ttf_weibull(2.5, 100 * H / gsl_sf_gamma(1 + 1 / 2.5));
  TF_CHECK_NEAR(tf_failure_ttf_mean_s(&wb), 100 * H, 1e-9 * H);
  const struct {
    const tf_failure_ttf *ttf;
    const tf_dist *rep;
  } cases[] = {{&ex, &logn}, {&wb, &logn}, {&ex, &fixed}};
  for (int c = 0; c < 3; c++) {
    double a, se;
    availability(cases[c].ttf, cases[c].rep, 20000, (uint64_t)(40 + c), &a, &se);
    double want = tf_failure_availability(tf_failure_ttf_mean_s(cases[c].ttf),
                                          tf_dist_mean(cases[c].rep));
    TF_CHECK_NEAR(want, 0.8, 1e-12);
    TF_CHECK(se > 0 && se < 0.005);
    CHECK_Z((a - want) / se);
  }
}

/* ---- The repair shop ---- */

static tf_failure_repair repair_fixed(int64_t crews, int64_t spares, double repair_h,
                                      double swap_h) {
  return (tf_failure_repair){.time = {.kind = TF_DIST_DETERMINISTIC, .mean = repair_h * H},
                             .crews = crews,
                             .spares = spares,
                             .swap_s = swap_h * H};
}

static tf_repair_shop *shop_fixed(int64_t crews, int64_t spares, double repair_h, double swap_h) {
  tf_failure_repair cfg = repair_fixed(crews, spares, repair_h, swap_h);
  tf_repair_shop *s = NULL;
  TF_CHECK_INT(tf_repair_shop_create(&s, &cfg, 0), 0);
  return s;
}

/* A failure at fail_h hours into s (failure i of a script); the ticket's back, start and end
 * instants (hours) and spare flag must be exactly as given. */
static void expect_ticket(tf_repair_shop *s, gsl_rng *r, int64_t fail_h, int64_t back_h,
                          int64_t start_h, int64_t end_h, int spare, int i, int line) {
  tf_repair_ticket t;
  TF_CHECK_INT(tf_repair_shop_fail(s, fail_h * H_NS, r, &t), 0);
  if (t.back_ns != back_h * H_NS || t.repair_start_ns != start_h * H_NS ||
      t.repair_end_ns != end_h * H_NS || t.spare != spare) {
    tf_test_failures++;
    fprintf(stderr,
            "%s:%d: failure %d at %lld h: back %g start %g end %g spare %d, want %lld %lld "
            "%lld %d\n",
            __FILE__, line, i, (long long)fail_h, (double)t.back_ns / (double)H_NS,
            (double)t.repair_start_ns / (double)H_NS, (double)t.repair_end_ns / (double)H_NS,
            t.spare, (long long)back_h, (long long)start_h, (long long)end_h, spare);
  }
  tf_test_checks++;
  TF_CHECK(tf_repair_shop_is_valid(s));
}

/* Scripted failures (hours) into a shop; the tickets' back, start and end instants (hours) and
 * spare flags must be exactly as listed. */
static void script(tf_repair_shop *s, gsl_rng *r, int n, const int64_t *fail_h,
                   const int64_t *back_h, const int64_t *start_h, const int64_t *end_h,
                   const int *spare, int line) {
  for (int i = 0; i < n; i++)
    expect_ticket(s, r, fail_h[i], back_h[i], start_h[i], end_h[i], spare[i], i, line);
}

static void test_repair_shop(void) {
  gsl_rng *r = stream(50, 0);
  const int64_t fail_h[] = {0, 1, 2, 25};
  const int none[] = {0, 0, 0, 0};
  {
    /* One crew, repairs of 10 h, failures at 0, 1, 2, 25 h: FIFO gives 0-10, 10-20, 20-30, 30-40. */
    tf_repair_shop *s = shop_fixed(1, 0, 10, 0);
    const int64_t st[] = {0, 10, 20, 30}, en[] = {10, 20, 30, 40};
    script(s, r, 4, fail_h, en, st, en, none, __LINE__);
    tf_repair_shop_status q;
    tf_repair_shop_get_status(s, &q);
    TF_CHECK_INT(q.clock_ns, 25 * H_NS);
    TF_CHECK_INT(q.repairs_active, 1);  /* 20-30 */
    TF_CHECK_INT(q.repairs_waiting, 1); /* 30-40 */
    TF_CHECK_INT(tf_repair_shop_done(s, 30 * H_NS), 0);
    tf_repair_shop_get_status(s, &q);
    TF_CHECK_INT(q.repairs_active, 1);
    TF_CHECK_INT(q.repairs_waiting, 0);
    TF_CHECK_INT(tf_repair_shop_done(s, 40 * H_NS), 0);
    tf_repair_shop_get_status(s, &q);
    TF_CHECK_INT(q.repairs_active + q.repairs_waiting, 0);
    TF_CHECK_INT((int64_t)q.failures, 4);
    TF_CHECK_INT(tf_repair_shop_done(s, 39 * H_NS), TF_EPAST);
    tf_repair_ticket t;
    TF_CHECK_INT(tf_repair_shop_fail(s, 39 * H_NS, r, &t), TF_EPAST);
    tf_repair_shop_destroy(s);
  }
  {
    /* Two crews: 0-10, 1-11, 2 waits for the first free crew (10) -> 10-20, 25 finds one free. */
    tf_repair_shop *s = shop_fixed(2, 0, 10, 0);
    const int64_t st[] = {0, 1, 10, 25}, en[] = {10, 11, 20, 35};
    script(s, r, 4, fail_h, en, st, en, none, __LINE__);
    tf_repair_shop_destroy(s);
  }
  {
    /* Unlimited crews: every repair starts at its failure. */
    tf_repair_shop *s = shop_fixed(TF_FAILURE_UNLIMITED, 0, 10, 0);
    const int64_t st[] = {0, 1, 2, 25}, en[] = {10, 11, 12, 35};
    script(s, r, 4, fail_h, en, st, en, none, __LINE__);
    tf_repair_shop_destroy(s);
  }
  {
    /* One spare, swap 1 h, one crew, repairs 10 h. 0: spare in, back at 1; the part is repaired
     * 0-10 and returns to the pool at 10. 2: no spare free, waits for the crew: 10-20, back 20.
     * 12: the spare is back, in at 13; its part waits for the crew: 20-30, pool at 30. 30: that
     * repair finishes at the instant of the failure, so the spare is there: back at 31; part
     * repaired 30-40. */
    tf_repair_shop *s = shop_fixed(1, 1, 10, 1);
    const int64_t f[] = {0, 2, 12, 30}, back[] = {1, 20, 13, 31}, st[] = {0, 10, 20, 30},
                  en[] = {10, 20, 30, 40};
    const int sp[] = {1, 0, 1, 1};
    script(s, r, 4, f, back, st, en, sp, __LINE__);
    tf_repair_shop_status q;
    tf_repair_shop_get_status(s, &q);
    TF_CHECK_INT(q.spares_free, 0);
    TF_CHECK_INT((int64_t)q.spare_swaps, 3);
    TF_CHECK_INT(tf_repair_shop_done(s, 40 * H_NS), 0);
    tf_repair_shop_get_status(s, &q);
    TF_CHECK_INT(q.spares_free, 1);
    tf_repair_shop_destroy(s);
  }
  {
    /* Three spares and failures every hour: the first three get spares (back after the 2 h swap),
     * the fourth falls back to repair. */
    tf_repair_shop *s = shop_fixed(TF_FAILURE_UNLIMITED, 3, 10, 2);
    const int64_t f[] = {0, 1, 2, 3}, back[] = {2, 3, 4, 13}, st[] = {0, 1, 2, 3},
                  en[] = {10, 11, 12, 13};
    const int sp[] = {1, 1, 1, 0};
    script(s, r, 4, f, back, st, en, sp, __LINE__);
    tf_repair_shop_destroy(s);
  }
  gsl_rng_free(r);

  /* Queueing: 50 instances failing at 1 / (20 h) each, repairs of 1 h, over 2,000 h. With one
   * crew capacity comes back later (and in FIFO order); with unlimited crews after exactly 1 h.
   * Offered load 50 x 1/20 = 2.5 crews, so one crew queues heavily. */
  double mean_down[2];
  for (int v = 0; v < 2; v++) {
    gsl_rng *rf = stream(51, 0), *rr = stream(51, 1);
    tf_failure_ttf e = tf_failure_ttf_mtbf(20 * H);
    tf_failure_process *p = NULL;
    TF_CHECK_INT(tf_failure_process_create(&p, &e, 50, 0, rf), 0);
    tf_repair_shop *s = shop_fixed(v == 0 ? 1 : TF_FAILURE_UNLIMITED, 0, 1, 0);
    /* Returns pending, as an engine would hold them: (back, instance), few at a time. */
    int64_t back[50], who[50];
    int nb = 0;
    int64_t prev_back = 0, failures = 0;
    double down = 0;
    int fifo_ok = 1, no_less = 1, exact = 1, calls_ok = 1;
    for (;;) {
      int64_t at = INT64_MAX, id = -1;
      int rc = tf_failure_next(p, rf, &at, &id);
      int first = 0;
      for (int i = 1; i < nb; i++)
        if (back[i] < back[first])
          first = i;
      if (nb > 0 && (rc != 0 || back[first] <= at)) { /* a return comes first */
        if (back[first] > 2000 * H_NS)
          break;
        calls_ok &= tf_failure_up(p, back[first], who[first], rf) == 0;
        back[first] = back[--nb];
        who[first] = who[nb];
        continue;
      }
      if (rc != 0 || at > 2000 * H_NS)
        break;
      tf_repair_ticket t = {0};
      calls_ok &= tf_failure_down(p, at, &id) == 0 && tf_repair_shop_fail(s, at, rr, &t) == 0;
      no_less &= t.back_ns - at >= H_NS;
      exact &= t.back_ns - at == H_NS;
      fifo_ok &= t.back_ns >= prev_back;
      prev_back = t.back_ns;
      down += (double)(t.back_ns - at) / 1e9;
      failures++;
      back[nb] = t.back_ns;
      who[nb++] = id;
    }
    TF_CHECK(calls_ok);
    TF_CHECK(failures > 1000);
    TF_CHECK(no_less);
    if (v == 0)
      TF_CHECK(fifo_ok); /* one crew: capacity returns in failure order */
    else
      TF_CHECK(exact);
    mean_down[v] = down / (double)failures;
    tf_repair_shop_destroy(s);
    tf_failure_process_destroy(p);
    gsl_rng_free(rf);
    gsl_rng_free(rr);
  }
  TF_CHECK_NEAR(mean_down[1], H, 1e-9);
  TF_CHECK(mean_down[0] > 2 * mean_down[1]);
}

/* ---- Repair teams shared by classes ---- */

/* One scripted failure of a class on a shared team: which shop, and the ticket expected. */
typedef struct team_step {
  int shop;
  int64_t fail_h, back_h, start_h, end_h;
  int spare;
} team_step;

enum { SHOP_GPU, SHOP_NODE, TEAM_SHOPS };

static void team_script(tf_repair_shop *const *shops, gsl_rng *r, int n, const team_step *st,
                        int line) {
  for (int i = 0; i < n; i++)
    expect_ticket(shops[st[i].shop], r, st[i].fail_h, st[i].back_h, st[i].start_h, st[i].end_h,
                  st[i].spare, i, line);
}

/* The worked example of docs/FAILURES.md: one crew shared by a GPU class (repairs 10 h, one
 * spare, swap 1 h) and a node class (repairs 4 h, no spare), in both call orders of a tie. */
static void test_team_example(void) {
  gsl_rng *r = stream(52, 0);
  for (int node_first = 1; node_first >= 0; node_first--) {
    tf_repair_team *team = NULL;
    TF_CHECK_INT(tf_repair_team_create(&team, 1, 0), 0);
    tf_failure_repair gpu = repair_fixed(TF_FAILURE_UNLIMITED, 1, 10, 1),
                      node = repair_fixed(TF_FAILURE_UNLIMITED, 0, 4, 0);
    tf_repair_shop *shops[TEAM_SHOPS] = {NULL, NULL};
    TF_CHECK_INT(tf_repair_shop_create_shared(&shops[SHOP_GPU], &gpu, team), 0);
    TF_CHECK_INT(tf_repair_shop_create_shared(&shops[SHOP_NODE], &node, team), 0);
    /*  0 gpu: the spare goes in, back at 1; the crew repairs its part 0-10.
     *  2 node: no spare; the crew is busy with the GPU's part: 10-14, back at 14.
     *  3 gpu: the spare is out being repaired; in line behind the node: 14-24, back at 24.
     * 12 gpu: the spare has been back since 10: in at 13, its part waits: 24-34. */
    const team_step head[] = {
        {SHOP_GPU, 0, 1, 0, 10, 1},
        {SHOP_NODE, 2, 14, 10, 14, 0},
        {SHOP_GPU, 3, 24, 14, 24, 0},
        {SHOP_GPU, 12, 13, 24, 34, 1},
    };
    team_script(shops, r, 4, head, __LINE__);
    /* At 12 the node's part is under repair and two GPU parts wait. */
    tf_repair_team_status ts;
    tf_repair_shop_status gs, ns;
    tf_repair_team_get_status(team, &ts);
    tf_repair_shop_get_status(shops[SHOP_GPU], &gs);
    tf_repair_shop_get_status(shops[SHOP_NODE], &ns);
    TF_CHECK_INT(ts.clock_ns, 12 * H_NS);
    TF_CHECK_INT(ns.clock_ns, 12 * H_NS); /* one clock for the team's shops */
    TF_CHECK_INT(ts.shops, TEAM_SHOPS);
    TF_CHECK_INT(ts.repairs_active, 1);
    TF_CHECK_INT(ts.repairs_waiting, 2);
    TF_CHECK_INT((int64_t)ts.failures, 4);
    TF_CHECK_INT(gs.repairs_active, 0);
    TF_CHECK_INT(gs.repairs_waiting, 2);
    TF_CHECK_INT(gs.spares_free, 0);
    TF_CHECK_INT(ns.repairs_active, 1);
    TF_CHECK_INT(ns.repairs_waiting, 0);
    /* A tie at 40, the crew free since 34 and the GPU spare back then. The first call takes the
     * crew: node first, it is repaired 40-44 and the GPU swaps in at 41 while its part waits
     * (44-54); GPU first, its part is repaired 40-50 and the node waits (50-54). */
    const team_step tie_node[] = {
        {SHOP_NODE, 40, 44, 40, 44, 0},
        {SHOP_GPU, 40, 41, 44, 54, 1},
    };
    const team_step tie_gpu[] = {
        {SHOP_GPU, 40, 41, 40, 50, 1},
        {SHOP_NODE, 40, 54, 50, 54, 0},
    };
    team_script(shops, r, 2, node_first ? tie_node : tie_gpu, __LINE__);
    /* The team's clock binds every shop: the node cannot fail before the GPU's last call. */
    tf_repair_ticket t;
    TF_CHECK_INT(tf_repair_shop_fail(shops[SHOP_NODE], 39 * H_NS, r, &t), TF_EPAST);
    TF_CHECK_INT(tf_repair_team_done(team, 39 * H_NS), TF_EPAST);
    TF_CHECK_INT(tf_repair_team_done(team, 54 * H_NS), 0);
    tf_repair_team_get_status(team, &ts);
    tf_repair_shop_get_status(shops[SHOP_GPU], &gs);
    TF_CHECK_INT(ts.repairs_active + ts.repairs_waiting, 0);
    TF_CHECK_INT((int64_t)ts.failures, 6);
    TF_CHECK_INT(gs.spares_free, 1);
    TF_CHECK_INT((int64_t)gs.spare_swaps, 3);
    TF_CHECK(tf_repair_team_is_valid(team));
    tf_repair_shop_destroy(shops[SHOP_GPU]);
    tf_repair_team_get_status(team, &ts);
    TF_CHECK_INT(ts.shops, 1);
    TF_CHECK(tf_repair_shop_is_valid(shops[SHOP_NODE]));
    tf_repair_shop_destroy(shops[SHOP_NODE]);
    tf_repair_team_destroy(team);
  }
  gsl_rng_free(r);

  tf_repair_team *team = (tf_repair_team *)&r; /* must come back NULL */
  TF_CHECK_INT(tf_repair_team_create(&team, 0, 0), TF_ERANGE);
  TF_CHECK(team == NULL);
  CHECK_REASON("repair team: crews = 0");
}

/* Random failures of three classes (random spares, swaps and exponential repairs) on one team:
 * invariants hold after every call, the team's status is the sum of its shops', starts never
 * decrease across classes (one FIFO line), at most `crews` repairs overlap, and with one crew
 * each repair starts when the previous one (of any class) ends or at its failure. A shop alone
 * on a team gets exactly the tickets of a shop with its own line. */
static void test_team_random(void) {
  enum { CLASSES = 3, FAILURES = 3000 };
  const int64_t crews_of[] = {1, 2, 5, TF_FAILURE_UNLIMITED};
  for (size_t v = 0; v < sizeof crews_of / sizeof crews_of[0]; v++) {
    int64_t crews = crews_of[v];
    gsl_rng *pick = stream(53, v), *rr = stream(54, v);
    tf_repair_team *team = NULL;
    TF_CHECK_INT(tf_repair_team_create(&team, crews, 0), 0);
    tf_repair_shop *shops[CLASSES];
    for (int k = 0; k < CLASSES; k++) {
      tf_failure_repair cfg = {
          .time = {.kind = TF_DIST_EXPONENTIAL, .mean = (double)(k + 1) * H},
          .crews = TF_FAILURE_UNLIMITED,
          .spares = (int64_t)gsl_rng_uniform_int(pick, 3),
          .swap_s = 0.25 * H * (double)k};
      TF_CHECK_INT(tf_repair_shop_create_shared(&shops[k], &cfg, team), 0);
    }
    /* The repairs' end instants, in the order issued: at most `crews` of them are after a start. */
    int64_t *ends = malloc(FAILURES * sizeof *ends);
    int64_t now = 0, prev_start = 0, prev_end = 0;
    int ok = 1, fifo = 1, one_crew = 1, overlap = 1, sums = 1;
    for (int i = 0; i < FAILURES; i++) {
      /* Gaps of mean 40 min, one in five a tie with the previous failure. */
      if (gsl_rng_uniform_int(pick, 5) != 0)
        now += (int64_t)(gsl_ran_exponential(pick, H * 2 / 3) * 1e9);
      int k = (int)gsl_rng_uniform_int(pick, CLASSES);
      tf_repair_ticket t = {0};
      ok &= tf_repair_shop_fail(shops[k], now, rr, &t) == 0 && tf_repair_team_is_valid(team);
      ok &= t.repair_start_ns >= now && t.repair_end_ns >= t.repair_start_ns &&
            (t.spare ? t.back_ns >= now : t.back_ns == t.repair_end_ns);
      fifo &= t.repair_start_ns >= prev_start;
      if (crews == 1)
        one_crew &= t.repair_start_ns == (now > prev_end ? now : prev_end);
      int64_t busy = 0; /* repairs issued earlier still running at this start */
      for (int j = 0; j < i; j++)
        busy += ends[j] > t.repair_start_ns;
      overlap &= busy < crews;
      ends[i] = t.repair_end_ns;
      prev_start = t.repair_start_ns;
      prev_end = t.repair_end_ns;
      tf_repair_team_status ts;
      tf_repair_team_get_status(team, &ts);
      int64_t waiting = 0, active = 0;
      for (int c = 0; c < CLASSES; c++) {
        tf_repair_shop_status q;
        tf_repair_shop_get_status(shops[c], &q);
        waiting += q.repairs_waiting;
        active += q.repairs_active;
      }
      sums &= ts.repairs_waiting == waiting && ts.repairs_active == active &&
              ts.repairs_active <= crews && ts.failures == (uint64_t)i + 1;
    }
    TF_CHECK(ok);
    TF_CHECK(fifo);
    TF_CHECK(one_crew);
    TF_CHECK(overlap);
    TF_CHECK(sums);
    free(ends);
    for (int k = 0; k < CLASSES; k++)
      tf_repair_shop_destroy(shops[k]);
    tf_repair_team_destroy(team);
    gsl_rng_free(pick);
    gsl_rng_free(rr);
  }

  /* Alone on a team of two crews, or with its own line of two: the same tickets. */
  gsl_rng *ra = stream(55, 0), *rb = stream(55, 0), *gaps = stream(55, 1);
  tf_failure_repair cfg = {.time = {.kind = TF_DIST_LOGNORMAL, .mean = H, .cv = 1},
                           .crews = 2, .spares = 1, .swap_s = 0.1 * H};
  tf_repair_team *team = NULL;
  tf_repair_shop *own = NULL, *on_team = NULL;
  TF_CHECK_INT(tf_repair_shop_create(&own, &cfg, 0), 0);
  TF_CHECK_INT(tf_repair_team_create(&team, cfg.crews, 0), 0);
  TF_CHECK_INT(tf_repair_shop_create_shared(&on_team, &cfg, team), 0);
  int same = 1;
  int64_t now = 0;
  for (int i = 0; i < FAILURES; i++) {
    now += (int64_t)(gsl_ran_exponential(gaps, H / 2) * 1e9);
    tf_repair_ticket a = {0}, b = {0};
    same &= tf_repair_shop_fail(own, now, ra, &a) == 0 &&
            tf_repair_shop_fail(on_team, now, rb, &b) == 0 && memcmp(&a, &b, sizeof a) == 0;
  }
  TF_CHECK(same);
  tf_repair_shop_destroy(own);
  tf_repair_shop_destroy(on_team);
  tf_repair_team_destroy(team);
  gsl_rng_free(ra);
  gsl_rng_free(rb);
  gsl_rng_free(gaps);
}

/* ---- Defaults ---- */

static void test_defaults(void) {
  /* reference-inputs.csv, reliability rows: Llama 3, 16,384 H100 over 54 days. GPU-attributed:
   * Faulty GPU 148, HBM3 72, SRAM 19, GPU system processor 17, thermal interface + sensor 6,
   * silent data corruption 6. */
  const double gpu_years = 16384.0 * 54.0 / 365.0;
  const double gpu_events = 148 + 72 + 19 + 17 + 6 + 6;
  TF_CHECK_NEAR(gpu_events, 268, 0);
  tf_failure_class c;
  TF_CHECK_INT(tf_failure_class_default(TF_FAILURE_GPU, 16384, &c), 0);
  TF_CHECK_INT(tf_failure_class_check(&c), 0);
  TF_CHECK_INT(c.ttf.kind, TF_FAILURE_EXPONENTIAL);
  double gpu_rate = c.ttf.rate_per_s * TF_FAILURE_YEAR_S;
  TF_CHECK_NEAR(gpu_rate, 268.0 / gpu_years, 1e-12 * gpu_rate);
  TF_CHECK_NEAR(gpu_rate, 0.111, 0.0005); /* the row's rounded value */
  TF_CHECK_INT(c.count, 16384);
  TF_CHECK(c.repair.crews == TF_FAILURE_UNLIMITED && c.repair.spares == 0);
  TF_CHECK_NEAR(tf_dist_mean(&c.repair.time), 72 * H, 1e-9);
  /* Expected GPU interruptions of the Llama 3 run from the default: 268 exactly. */
  TF_CHECK_NEAR(tf_failure_expected_count(c.ttf.rate_per_s, 16384, 54 * 86400.0), 268, 1e-9);

  /* Host rows (32 + 2 + 2 + 3 + 2 + 3 + 2 = 46) over 16,384 / 8 hosts; network rows (35 + 7 = 42)
   * over one endpoint per GPU. */
  TF_CHECK_INT(tf_failure_class_default(TF_FAILURE_NODE, 2048, &c), 0);
  TF_CHECK_INT(tf_failure_class_check(&c), 0);
  double host_rate = c.ttf.rate_per_s * TF_FAILURE_YEAR_S;
  TF_CHECK_NEAR(host_rate, (32 + 2 + 2 + 3 + 2 + 3 + 2) / (2048.0 * 54 / 365), 1e-12);
  TF_CHECK_NEAR(host_rate, 0.1518, 0.0001);
  TF_CHECK_INT(tf_failure_class_default(TF_FAILURE_LINK, 16384, &c), 0);
  TF_CHECK_INT(tf_failure_class_check(&c), 0);
  double link_rate = c.ttf.rate_per_s * TF_FAILURE_YEAR_S;
  TF_CHECK_NEAR(link_rate, (35 + 7) / gpu_years, 1e-12);
  TF_CHECK_INT(tf_failure_class_default(TF_FAILURE_RACK, 4, &c), 0);
  TF_CHECK_INT(tf_failure_class_check(&c), 0);
  TF_CHECK(c.ttf.rate_per_s == 0);
  /* The attributed hardware share, per GPU-year, stays under the all-cause 0.173 row. */
  TF_CHECK(gpu_rate + host_rate / 8 + link_rate < 419 / gpu_years);

  TF_CHECK_INT(tf_failure_class_default((tf_failure_component)9, 1, &c), TF_ERANGE);
  TF_CHECK_INT(tf_failure_class_default(TF_FAILURE_GPU, -1, &c), TF_ERANGE);
}

/* ---- Checks and names ---- */

static void test_checks(void) {
  tf_failure_ttf t = tf_failure_ttf_exponential(-1e-6);
  TF_CHECK_INT(tf_failure_ttf_check(&t, "GPU time to failure"), TF_ERANGE);
  CHECK_REASON("GPU time to failure: exponential rate_per_s = -1e-06");
  t = tf_failure_ttf_exponential(NAN);
  TF_CHECK_INT(tf_failure_ttf_check(&t, "x"), TF_ERANGE);
  t = tf_failure_ttf_exponential(2.0);
  TF_CHECK_INT(tf_failure_ttf_check(&t, "x"), TF_ERANGE);
  t = tf_failure_ttf_weibull(0, 100 * H);
  TF_CHECK_INT(tf_failure_ttf_check(&t, "x"), TF_ERANGE);
  CHECK_REASON("weibull shape = 0");
  t = tf_failure_ttf_weibull(-2, 100 * H);
  TF_CHECK_INT(tf_failure_ttf_check(&t, "x"), TF_ERANGE);
  t = tf_failure_ttf_weibull(1, 0);
  TF_CHECK_INT(tf_failure_ttf_check(&t, "x"), TF_ERANGE);
  CHECK_REASON("weibull scale_s = 0");
  t = tf_failure_ttf_weibull(1, -5);
  TF_CHECK_INT(tf_failure_ttf_check(&t, "x"), TF_ERANGE);
  t = (tf_failure_ttf){.kind = (tf_failure_ttf_kind)7};
  TF_CHECK_INT(tf_failure_ttf_check(&t, "x"), TF_ERANGE);

  tf_failure_class c;
  TF_CHECK_INT(tf_failure_class_default(TF_FAILURE_GPU, 8, &c), 0);
  c.repair.crews = 0;
  TF_CHECK_INT(tf_failure_class_check(&c), TF_ERANGE);
  CHECK_REASON("gpu class: crews = 0");
  c.repair.crews = -3;
  TF_CHECK_INT(tf_failure_class_check(&c), TF_ERANGE);
  c.repair.crews = 2;
  c.repair.spares = -1;
  TF_CHECK_INT(tf_failure_class_check(&c), TF_ERANGE);
  CHECK_REASON("spares = -1");
  c.repair.spares = 0;
  c.repair.swap_s = -1;
  TF_CHECK_INT(tf_failure_class_check(&c), TF_ERANGE);
  CHECK_REASON("swap_s = -1");
  c.repair.swap_s = 0;
  c.repair.time.mean = -5;
  TF_CHECK_INT(tf_failure_class_check(&c), TF_ERANGE);
  CHECK_REASON("gpu class repair time: lognormal mean = -5");
  c.repair.time.mean = 3600;
  c.ttf.rate_per_s = -1;
  TF_CHECK_INT(tf_failure_class_check(&c), TF_ERANGE);
  CHECK_REASON("gpu time to failure: exponential rate_per_s = -1");
  c.ttf.rate_per_s = 1e-8;
  c.count = -1;
  TF_CHECK_INT(tf_failure_class_check(&c), TF_ERANGE);
  CHECK_REASON("gpu class: count = -1");
  c.count = 8;
  TF_CHECK_INT(tf_failure_class_check(&c), 0);

  /* Creating refuses what the checks refuse. */
  tf_failure_process *p = (tf_failure_process *)&c; /* must come back NULL */
  t = tf_failure_ttf_weibull(0, H);
  TF_CHECK_INT(tf_failure_process_create(&p, &t, 4, 0, NULL), TF_ERANGE);
  TF_CHECK(p == NULL);
  t = tf_failure_ttf_exponential(1e-6);
  TF_CHECK_INT(tf_failure_process_create(&p, &t, -1, 0, NULL), TF_ERANGE);
  CHECK_REASON("instances = -1");
  tf_repair_shop *s = (tf_repair_shop *)&c;
  tf_failure_repair rp = {.time = {.kind = TF_DIST_EXPONENTIAL, .mean = H}, .crews = 0};
  TF_CHECK_INT(tf_repair_shop_create(&s, &rp, 0), TF_ERANGE);
  TF_CHECK(s == NULL);
  CHECK_REASON("repair shop: crews = 0");

  /* Names. */
  tf_failure_ttf_kind k;
  TF_CHECK_INT(tf_failure_ttf_kind_parse("weibull", &k), 0);
  TF_CHECK_INT(k, TF_FAILURE_WEIBULL);
  TF_CHECK_STR(tf_failure_ttf_kind_name(TF_FAILURE_EXPONENTIAL), "exponential");
  TF_CHECK_INT(tf_failure_ttf_kind_parse("gamma", &k), TF_ENOTFOUND);
  tf_failure_component comp;
  for (int i = 0; i < TF_FAILURE_COMPONENTS_; i++) {
    TF_CHECK_INT(tf_failure_component_parse(tf_failure_component_name((tf_failure_component)i),
                                            &comp),
                 0);
    TF_CHECK_INT(comp, i);
  }
  TF_CHECK_INT(tf_failure_component_parse("psu", &comp), TF_ENOTFOUND);
  CHECK_REASON("expected gpu, node, rack or link");
}

int main(void) {
  gsl_set_error_handler_off();
  test_weibull();
  test_counts();
  test_process_contract();
  test_availability();
  test_repair_shop();
  test_team_example();
  test_team_random();
  test_defaults();
  test_checks();
  return tf_test_report("models_failure");
}
