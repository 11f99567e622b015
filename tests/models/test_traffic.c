/* Traffic: arrival processes against their exact rates and dispersion, trace replay against
 * hand-computed instants, every loader error message word for word, length distributions
 * against their exact means, and determinism. */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "rng.h"
#include "tf_test.h"
#include "traffic.h"

#define FIX(name) TF_TRAFFIC_FIXTURES "/" name
#define SEED 20240917u

static gsl_rng *stream(uint64_t entity, uint64_t s) {
  gsl_rng *r = NULL;
  TF_CHECK_INT(tf_rng_stream_create(&r, SEED, entity, s), 0);
  return r;
}

/* ---- Report collection: "file:line: msg\n" lines, as a printer would write them ---- */

typedef struct reports {
  char text[8192];
  size_t len;
  int calls;
} reports;

static void collect(void *ctx, const char *file, int line, const char *msg) {
  reports *rp = ctx;
  int n = line > 0 ? snprintf(rp->text + rp->len, sizeof rp->text - rp->len, "%s:%d: %s\n", file,
                              line, msg)
                   : snprintf(rp->text + rp->len, sizeof rp->text - rp->len, "%s: %s\n", file, msg);
  if (n > 0 && (size_t)n < sizeof rp->text - rp->len)
    rp->len += (size_t)n;
  rp->calls++;
}

/* The expected report text: `@` in the template stands for the path. */
static void check_reports(const reports *rp, const char *path, const char *tmpl, int line) {
  char want[8192];
  size_t j = 0;
  for (const char *p = tmpl; *p && j + strlen(path) + 1 < sizeof want; p++) {
    if (*p == '@') {
      memcpy(want + j, path, strlen(path));
      j += strlen(path);
    } else {
      want[j++] = *p;
    }
  }
  want[j] = '\0';
  tf_test_checks++;
  if (strcmp(rp->text, want) != 0) {
    tf_test_failures++;
    fprintf(stderr, "%s:%d: reports differ\n--- got\n%s--- want\n%s---\n", __FILE__, line, rp->text,
            want);
  }
}

/* A scratch file with the given contents; the path goes into path (>= 32 bytes). */
static void scratch(char *path, const char *contents) {
  strcpy(path, "/tmp/tf_traffic_XXXXXX");
  int fd = mkstemp(path);
  TF_CHECK(fd >= 0);
  FILE *f = fdopen(fd, "wb");
  TF_CHECK(f != NULL);
  fputs(contents, f);
  fclose(f);
}

/* ---- Poisson ---- */

/* Index of dispersion of counts in windows of w_ns over [start, start + windows w_ns): for a
 * Poisson process (W - 1) D is chi-square with W - 1 degrees of freedom, so D = 1 with standard
 * deviation sqrt(2 / (W - 1)). */
static double dispersion(const int64_t *t, size_t n, int64_t start, int64_t w_ns, size_t windows) {
  long *count = calloc(windows, sizeof *count);
  for (size_t i = 0; i < n; i++) {
    int64_t k = (t[i] - start) / w_ns;
    if (k >= 0 && (size_t)k < windows)
      count[k]++;
  }
  double mean = 0, m2 = 0;
  for (size_t k = 0; k < windows; k++)
    mean += (double)count[k];
  mean /= (double)windows;
  for (size_t k = 0; k < windows; k++)
    m2 += ((double)count[k] - mean) * ((double)count[k] - mean);
  free(count);
  return m2 / (double)(windows - 1) / mean;
}

enum { N_ARRIVALS = 100000 };

/* Draws N_ARRIVALS instants from start_ns; checks they strictly increase. */
static void draw(const tf_traffic_arrivals *a, gsl_rng *r, int64_t start_ns, int64_t *t) {
  tf_traffic_state st;
  tf_traffic_state_init(&st, a, start_ns);
  int64_t prev = start_ns, bad = 0;
  for (size_t i = 0; i < N_ARRIVALS; i++) {
    TF_CHECK_INT(tf_traffic_next(a, &st, r, &t[i]), 0);
    bad += t[i] <= prev;
    prev = t[i];
  }
  TF_CHECK_INT(bad, 0);
}

/* Sample mean and cv of the gaps t[i] - t[i-1], i >= 1 (the first gap is left out). */
static void gap_moments(const int64_t *t, size_t n, double *mean, double *cv) {
  double m = 0, m2 = 0;
  for (size_t i = 1; i < n; i++) {
    double x = (double)(t[i] - t[i - 1]), dx = x - m;
    m += dx / (double)i;
    m2 += dx * (x - m);
  }
  *mean = m;
  *cv = sqrt(m2 / (double)(n - 2)) / m;
}

static void test_poisson(void) {
  tf_traffic_arrivals a = {.kind = TF_TRAFFIC_POISSON, .rate_per_s = 1000};
  TF_CHECK_INT(tf_traffic_check(&a), 0);
  TF_CHECK_NEAR(tf_traffic_mean_rate(&a), 1000, 0);
  int64_t *t = malloc(N_ARRIVALS * sizeof *t);
  gsl_rng *r = stream(1, 0);
  draw(&a, r, 0, t);
  /* Mean gap 1 ms; its standard error is mean / sqrt(N) (exponential sd = mean): 4 SE. */
  double mean, cv;
  gap_moments(t, N_ARRIVALS, &mean, &cv);
  TF_CHECK_NEAR(mean, 1e6, 4 * 1e6 / sqrt(N_ARRIVALS));
  TF_CHECK_NEAR(cv, 1, 0.02); /* SE of the sample cv of an exponential is about 1/sqrt(N) */
  /* Counts in 10 ms windows (mean 10): index of dispersion 1 +- 4 sqrt(2 / (W - 1)). */
  size_t windows = (size_t)(t[N_ARRIVALS - 1] / 10000000);
  double d = dispersion(t, N_ARRIVALS, 0, 10000000, windows);
  TF_CHECK_NEAR(d, 1, 4 * sqrt(2.0 / (double)(windows - 1)));
  gsl_rng_free(r);
  free(t);
}

/* ---- Gamma ---- */

static void test_gamma(void) {
  int64_t *t = malloc(N_ARRIVALS * sizeof *t);
  /* Bursty: rate 500 / s, cv 2.5 (shape k = 0.16, excess kurtosis 6 cv^2 = 37.5). The sample
   * mean has SE cv * mean / sqrt(N); the sample cv's relative SE is at most half the relative SE
   * of the sample variance, sqrt((kurtosis + 2) / N), plus the mean's, cv / sqrt(N): 4 x that. */
  tf_traffic_arrivals a = {.kind = TF_TRAFFIC_GAMMA, .rate_per_s = 500, .cv = 2.5};
  TF_CHECK_INT(tf_traffic_check(&a), 0);
  TF_CHECK_NEAR(tf_traffic_mean_rate(&a), 500, 0);
  gsl_rng *r = stream(2, 0);
  draw(&a, r, 0, t);
  double mean, cv;
  gap_moments(t, N_ARRIVALS, &mean, &cv);
  double n = N_ARRIVALS;
  TF_CHECK_NEAR(mean, 2e6, 4 * 2.5 * 2e6 / sqrt(n));
  double rel = 0.5 * sqrt((6 * 2.5 * 2.5 + 2) / n) + 2.5 / sqrt(n);
  TF_CHECK_NEAR(cv, 2.5, 4 * rel * 2.5);
  /* Long-run rate: N / (time of the N-th arrival), a Gamma-renewal sum, relative SE cv/sqrt(N). */
  TF_CHECK_NEAR(n / ((double)t[N_ARRIVALS - 1] * 1e-9), 500, 4 * 500 * 2.5 / sqrt(n));

  /* cv = 1 is Poisson: exponential gaps, dispersion 1. */
  tf_traffic_arrivals p = {.kind = TF_TRAFFIC_GAMMA, .rate_per_s = 1000, .cv = 1};
  draw(&p, r, 0, t);
  gap_moments(t, N_ARRIVALS, &mean, &cv);
  TF_CHECK_NEAR(mean, 1e6, 4 * 1e6 / sqrt(n));
  TF_CHECK_NEAR(cv, 1, 0.02);
  size_t windows = (size_t)(t[N_ARRIVALS - 1] / 10000000);
  TF_CHECK_NEAR(dispersion(t, N_ARRIVALS, 0, 10000000, windows), 1,
                4 * sqrt(2.0 / (double)(windows - 1)));

  /* Stationary from the start: E[N(0, t)] = rate t. With cv 3 an ordinary renewal start would
   * give about rate t + (cv^2 - 1)/2 = 5 + 4 arrivals in 10 ms; 4000 replications, 4 SE. */
  tf_traffic_arrivals b = {.kind = TF_TRAFFIC_GAMMA, .rate_per_s = 500, .cv = 3};
  enum { REPS = 4000 };
  double cm = 0, cm2 = 0;
  for (int k = 1; k <= REPS; k++) {
    tf_traffic_state st;
    tf_traffic_state_init(&st, &b, 1000);
    int64_t when;
    int c = 0;
    while (tf_traffic_next(&b, &st, r, &when) == 0 && when <= 1000 + 10000000)
      c++;
    double dx = c - cm;
    cm += dx / k;
    cm2 += dx * (c - cm);
  }
  TF_CHECK_NEAR(cm, 5, 4 * sqrt(cm2 / (REPS - 1) / REPS));
  gsl_rng_free(r);
  free(t);
}

/* ---- Piecewise ---- */

static void test_piecewise(void) {
  /* One period of 4 s: 1000 / s for 1 s, nothing for 0.5 s, 200 / s for 1.5 s, 5000 / s for 1 s:
   * 6300 arrivals a period, mean rate 1575 / s exactly. 50 periods from a start at 7 s. */
  const int64_t start[] = {0, 1000000000, 1500000000, 3000000000};
  const double rate[] = {1000, 0, 200, 5000};
  const double len_s[] = {1, 0.5, 1.5, 1};
  tf_traffic_arrivals a = {.kind = TF_TRAFFIC_PIECEWISE,
                           .pieces = 4,
                           .piece_start_ns = start,
                           .piece_rate_per_s = rate,
                           .period_ns = 4000000000};
  TF_CHECK_INT(tf_traffic_check(&a), 0);
  TF_CHECK(tf_traffic_mean_rate(&a) == 1575.0);
  gsl_rng *r = stream(3, 0);
  tf_traffic_state st;
  const int64_t origin = 7000000000, periods = 50, period = 4000000000;
  tf_traffic_state_init(&st, &a, origin);
  long count[4] = {0}, half[2] = {0}; /* half: piece 3 in the first / last 25 periods */
  double pos0 = 0;                    /* sum of positions within piece 0, s */
  int64_t when, prev = origin, bad = 0;
  while (tf_traffic_next(&a, &st, r, &when) == 0 && when < origin + periods * period) {
    bad += when <= prev;
    prev = when;
    int64_t cyc = (when - origin) / period, x = (when - origin) % period;
    int p = x < start[1] ? 0 : x < start[2] ? 1 : x < start[3] ? 2 : 3;
    count[p]++;
    if (p == 0)
      pos0 += (double)x * 1e-9;
    if (p == 3)
      half[cyc >= periods / 2]++;
  }
  TF_CHECK_INT(bad, 0);
  /* Counts per piece are Poisson(rate x length x periods): |z| <= 4.5 each (4 tests: a false
   * alarm below 3e-5). */
  for (int p = 0; p < 4; p++) {
    double expect = rate[p] * len_s[p] * (double)periods;
    TF_CHECK_NEAR((double)count[p], expect, 4.5 * sqrt(expect > 0 ? expect : 0));
  }
  TF_CHECK_INT(count[1], 0);
  /* Periodic repetition: the busy piece's count in each half of the run, 125000 expected. */
  TF_CHECK_NEAR((double)half[0], 125000, 4.5 * sqrt(125000));
  TF_CHECK_NEAR((double)half[1], 125000, 4.5 * sqrt(125000));
  /* Inside a piece arrivals are uniform: mean position 0.5 s, SE sqrt(1/12 / n). */
  TF_CHECK_NEAR(pos0 / (double)count[0], 0.5, 4 * sqrt(1.0 / 12.0 / (double)count[0]));

  /* Without a period the last rate holds for ever; a last rate of 0 ends the process. */
  const int64_t start2[] = {0, 1000000000};
  const double rate2[] = {2000, 0};
  tf_traffic_arrivals e = {.kind = TF_TRAFFIC_PIECEWISE,
                           .pieces = 2,
                           .piece_start_ns = start2,
                           .piece_rate_per_s = rate2};
  TF_CHECK_INT(tf_traffic_check(&e), 0);
  TF_CHECK_NEAR(tf_traffic_mean_rate(&e), 0, 0);
  tf_traffic_state_init(&st, &e, 0);
  long n = 0;
  int64_t last = 0;
  int rc;
  while ((rc = tf_traffic_next(&e, &st, r, &when)) == 0) {
    n++;
    last = when;
  }
  TF_CHECK_INT(rc, TF_ENOTFOUND);
  TF_CHECK_INT(tf_traffic_next(&e, &st, r, &when), TF_ENOTFOUND);
  TF_CHECK(last < 1000000000);
  TF_CHECK_NEAR((double)n, 2000, 4.5 * sqrt(2000));

  /* A sparse profile: 0.01 expected arrivals a 1 s period, only in its second half. Inversion
   * skips whole periods; every arrival lands in a second half; 2000 arrivals take about 2e5 s,
   * the N-th arrival's operational time is Gamma(N, 1): relative SE 1/sqrt(N). */
  const int64_t start3[] = {0, 500000000};
  const double rate3[] = {0, 0.02};
  tf_traffic_arrivals s = {.kind = TF_TRAFFIC_PIECEWISE,
                           .pieces = 2,
                           .piece_start_ns = start3,
                           .piece_rate_per_s = rate3,
                           .period_ns = 1000000000};
  TF_CHECK_NEAR(tf_traffic_mean_rate(&s), 0.01, 1e-18);
  tf_traffic_state_init(&st, &s, 0);
  bad = 0;
  for (int i = 0; i < 2000; i++) {
    TF_CHECK_INT(tf_traffic_next(&s, &st, r, &when), 0);
    bad += when % 1000000000 < 500000000;
  }
  TF_CHECK_INT(bad, 0);
  TF_CHECK_NEAR(2000.0 / ((double)when * 1e-9), 0.01, 4.5 * 0.01 / sqrt(2000));

  /* All rates 0: no arrivals at all. */
  const double zero[] = {0, 0};
  s.piece_rate_per_s = zero;
  TF_CHECK_INT(tf_traffic_check(&s), 0);
  tf_traffic_state_init(&st, &s, 0);
  TF_CHECK_INT(tf_traffic_next(&s, &st, r, &when), TF_ENOTFOUND);
  gsl_rng_free(r);
}

/* ---- Traces ---- */

static void test_trace_replay(void) {
  reports rp = {0};
  tf_traffic_trace *t = NULL;
  TF_CHECK_INT(tf_traffic_trace_load(FIX("trace_azure.csv"), &t, collect, &rp), 0);
  TF_CHECK_INT(rp.calls, 0);
  if (!t)
    return;
  TF_CHECK_INT(tf_traffic_trace_count(t), 10);
  /* By hand: 18:15:50.9951690 - 18:15:46.6805900 = 4.3145790 s; 18:15:51.2058530 - 46.6805900
   * = 4.5252630 s; 18:16:00.4417230 - 18:15:46.6805900 = 13.7611330 s. */
  const int64_t at[10] = {0,          4314579000, 4525263000, 4831857000,  6324097000,
                          7085401000, 8302827000, 8691440000, 10329058000, 13761133000};
  const int64_t in[10] = {374, 396, 879, 91, 91, 381, 1313, 2519, 706, 4808};
  const int64_t out[10] = {44, 109, 143, 7, 39, 227, 71, 12, 293, 10};
  TF_CHECK_INT(tf_traffic_trace_span_ns(t), 13761133000);
  for (size_t i = 0; i < 10; i++) {
    int64_t ti, ii, oi;
    TF_CHECK_INT(tf_traffic_trace_request(t, i, &ti, &ii, &oi), 0);
    TF_CHECK_INT(ti, at[i]);
    TF_CHECK_INT(ii, in[i]);
    TF_CHECK_INT(oi, out[i]);
  }
  TF_CHECK_INT(tf_traffic_trace_request(t, 10, NULL, NULL, NULL), TF_ERANGE);

  /* Replay from 5 s, once: the rows' instants exactly, then the end. */
  tf_traffic_arrivals a = {.kind = TF_TRAFFIC_TRACE, .trace = t, .time_scale = 1};
  TF_CHECK_INT(tf_traffic_check(&a), 0);
  tf_traffic_state st;
  int64_t when;
  tf_traffic_state_init(&st, &a, 5000000000);
  for (size_t i = 0; i < 10; i++) {
    TF_CHECK_INT(tf_traffic_next(&a, &st, NULL, &when), 0);
    TF_CHECK_INT(when, 5000000000 + at[i]);
    TF_CHECK_INT(st.row, i);
  }
  TF_CHECK_INT(tf_traffic_next(&a, &st, NULL, &when), TF_ENOTFOUND);
  TF_CHECK_INT(tf_traffic_next(&a, &st, NULL, &when), TF_ENOTFOUND);

  /* Twice as fast: every instant halved (all even here, so exact). */
  a.time_scale = 0.5;
  tf_traffic_state_init(&st, &a, 0);
  for (size_t i = 0; i < 10; i++) {
    TF_CHECK_INT(tf_traffic_next(&a, &st, NULL, &when), 0);
    TF_CHECK_INT(when, at[i] / 2);
  }
  TF_CHECK_INT(tf_traffic_next(&a, &st, NULL, &when), TF_ENOTFOUND);

  /* Looped: period = span + span / 9 rounded = 13761133000 + 1529014778 ns. */
  const int64_t period = 15290147778;
  a.time_scale = 1;
  a.loop = 1;
  TF_CHECK_INT(tf_traffic_check(&a), 0);
  TF_CHECK_NEAR(tf_traffic_mean_rate(&a), 10 / ((double)period * 1e-9), 1e-12);
  tf_traffic_state_init(&st, &a, 0);
  for (int64_t k = 0; k < 3; k++) {
    for (size_t i = 0; i < 10; i++) {
      TF_CHECK_INT(tf_traffic_next(&a, &st, NULL, &when), 0);
      TF_CHECK_INT(when, k * period + at[i]);
      TF_CHECK_INT(st.row, i);
    }
  }
  /* Looped and scaled: the period scales too. */
  a.time_scale = 0.5;
  TF_CHECK_NEAR(tf_traffic_mean_rate(&a), 20 / ((double)period * 1e-9), 1e-12);
  tf_traffic_state_init(&st, &a, 0);
  for (int i = 0; i <= 10; i++)
    TF_CHECK_INT(tf_traffic_next(&a, &st, NULL, &when), 0);
  TF_CHECK_INT(when, period / 2);
  tf_traffic_trace_destroy(t);

  /* Leap day and midnight, columns in another order with an extra one, 'T', Z and an offset. */
  TF_CHECK_INT(tf_traffic_trace_load(FIX("trace_azure_leap.csv"), &t, collect, &rp), 0);
  TF_CHECK_INT(rp.calls, 0);
  if (t) {
    const int64_t at2[4] = {0, 200, 1000000100, 2000000100};
    for (size_t i = 0; i < 4; i++) {
      int64_t ti, ii;
      TF_CHECK_INT(tf_traffic_trace_request(t, i, &ti, &ii, NULL), 0);
      TF_CHECK_INT(ti, at2[i]);
      if (i == 0)
        TF_CHECK_INT(ii, 1021);
    }
    tf_traffic_trace_destroy(t);
  }

  /* tokenfab layout: decimal seconds (an exponent too), a tie, a quoted field with a comma. */
  TF_CHECK_INT(tf_traffic_trace_load(FIX("trace_tokenfab.csv"), &t, collect, &rp), 0);
  TF_CHECK_INT(rp.calls, 0);
  if (t) {
    const int64_t at3[5] = {0, 250000000, 250000000, 1000000001, 15000000000};
    const int64_t in3[5] = {512, 2048, 2048, 100, 7}, out3[5] = {128, 256, 64, 1, 900};
    TF_CHECK_INT(tf_traffic_trace_count(t), 5);
    for (size_t i = 0; i < 5; i++) {
      int64_t ti, ii, oi;
      TF_CHECK_INT(tf_traffic_trace_request(t, i, &ti, &ii, &oi), 0);
      TF_CHECK_INT(ti, at3[i]);
      TF_CHECK_INT(ii, in3[i]);
      TF_CHECK_INT(oi, out3[i]);
    }
    /* Ties replay as ties. */
    tf_traffic_arrivals b = {.kind = TF_TRAFFIC_TRACE, .trace = t, .time_scale = 1};
    tf_traffic_state_init(&st, &b, 0);
    int64_t w[5];
    for (size_t i = 0; i < 5; i++)
      TF_CHECK_INT(tf_traffic_next(&b, &st, NULL, &w[i]), 0);
    TF_CHECK_INT(w[1], w[2]);
    tf_traffic_trace_destroy(t);
  }

  /* A byte-order mark and CRLF line ends, as spreadsheets write; blank lines are skipped. */
  char path[32];
  scratch(path, "\xEF\xBB\xBFtime_s,input_tokens,output_tokens\r\n0,1,2\r\n\r\n0.5,3,4\r\n");
  TF_CHECK_INT(tf_traffic_trace_load(path, &t, collect, &rp), 0);
  TF_CHECK_INT(rp.calls, 0);
  if (t) {
    int64_t ti, oi;
    TF_CHECK_INT(tf_traffic_trace_count(t), 2);
    TF_CHECK_INT(tf_traffic_trace_request(t, 1, &ti, NULL, &oi), 0);
    TF_CHECK_INT(ti, 500000000);
    TF_CHECK_INT(oi, 4);
    tf_traffic_trace_destroy(t);
  }
  remove(path);

  /* From arrays. */
  const int64_t ts[] = {-5, 0, 10}, ones[] = {1, 1, 1};
  TF_CHECK_INT(tf_traffic_trace_create(&t, 3, ts, ones, ones), 0);
  if (t) {
    TF_CHECK_INT(tf_traffic_trace_span_ns(t), 15);
    tf_traffic_trace_destroy(t);
  }
  const int64_t back[] = {0, 10, 5};
  TF_CHECK_INT(tf_traffic_trace_create(&t, 3, back, ones, ones), TF_ERANGE);
  TF_CHECK(t == NULL);
}

static void check_load_fails(const char *path, int code, const char *tmpl, int line) {
  reports rp = {0};
  tf_traffic_trace *t = (tf_traffic_trace *)&rp; /* must come back NULL */
  TF_CHECK_INT(tf_traffic_trace_load(path, &t, collect, &rp), code);
  TF_CHECK(t == NULL);
  check_reports(&rp, path, tmpl, line);
}

static void test_trace_errors(void) {
  const char *expect_time = "(expected YYYY-MM-DD HH:MM:SS with up to 9 fractional digits, e.g. "
                            "2023-11-16 18:15:46.6805900)";
  char want[4096];
  snprintf(
      want, sizeof want,
      "@:3: ContextTokens \"39x\" is not a whole number (expected a whole number of tokens >= 1)\n"
      "@:4: GeneratedTokens = 0 (expected at least 1 token)\n"
      "@:5: TIMESTAMP 2023-11-16 18:15:49.0000000 is before 2023-11-16 18:15:51.2058530 at line 4 "
      "(expected rows in time order)\n"
      "@:6: 2 fields (expected 3, one per header column)\n"
      "@:7: TIMESTAMP \"2023-11-16 25:15:52.1000000\" has an hour out of range %s\n"
      "@:7: GeneratedTokens = -5 (expected at least 1 token)\n"
      "@:8: TIMESTAMP \"2023-11-16 18:15:53.1234567890\" has more than 9 fractional digits %s\n"
      "@:10: misplaced quote (expected a quoted field to be quoted whole, as in \"a,b\", with \"\" "
      "for a quote inside)\n"
      "@:11: TIMESTAMP \"2023-02-30 18:15:55.0000000\" has a day out of range %s\n"
      "@:12: GeneratedTokens = 5000000000 (expected at most 1073741824 tokens)\n"
      "@:13: ContextTokens is empty (expected a whole number of tokens >= 1)\n",
      expect_time, expect_time, expect_time);
  check_load_fails(FIX("trace_bad_azure.csv"), TF_EPARSE, want, __LINE__);
  check_load_fails(
      FIX("trace_bad_tokenfab.csv"), TF_EPARSE,
      "@:3: time_s \"abc\" is not a number (expected seconds as a decimal, e.g. 12.5)\n"
      "@:4: time_s 0.25 is before 0.5 at line 2 (expected rows in time order)\n"
      "@:5: time_s = 1e30 is out of range (expected at most 292 years in seconds)\n"
      "@:6: input_tokens \"12.0\" is not a whole number (expected a whole number of tokens >= 1)\n"
      "@:7: 4 fields (expected 3, one per header column)\n"
      "@:8: unterminated quoted field (expected a closing \")\n",
      __LINE__);
  check_load_fails(FIX("trace_missing_column.csv"), TF_EPARSE,
                   "@:1: missing column \"GeneratedTokens\" (expected the Azure layout "
                   "TIMESTAMP,ContextTokens,GeneratedTokens; column 3 is \"generatedtokens\" but "
                   "names are case-sensitive)\n",
                   __LINE__);
  check_load_fails(FIX("trace_empty.csv"), TF_EPARSE,
                   "@: empty file (expected a header row: TIMESTAMP,ContextTokens,GeneratedTokens "
                   "(Azure) or time_s,input_tokens,output_tokens (tokenfab))\n",
                   __LINE__);
  check_load_fails(FIX("no_such_trace.csv"), TF_EIO, "@: cannot open: No such file or directory\n",
                   __LINE__);

  /* Without a report function the first problem is the failure's context. */
  tf_traffic_trace *t;
  TF_CHECK_INT(tf_traffic_trace_load(FIX("trace_bad_tokenfab.csv"), &t, NULL, NULL), TF_EPARSE);
  TF_CHECK(strstr(tf_err_reason(), "trace_bad_tokenfab.csv:3: time_s \"abc\" is not a number") !=
           NULL);
  TF_CHECK(strstr(tf_err_reason(), "(and 5 more errors)") != NULL);

  /* Scratch files: the cap on reported problems, headers without data, odd headers. */
  char path[32], text[2048];
  size_t j = (size_t)snprintf(text, sizeof text, "time_s,input_tokens,output_tokens\n");
  for (int i = 0; i < 25; i++)
    j += (size_t)snprintf(text + j, sizeof text - j, "%d,0,1\n", i);
  scratch(path, text);
  reports rp = {0};
  TF_CHECK_INT(tf_traffic_trace_load(path, &t, collect, &rp), TF_EPARSE);
  TF_CHECK_INT(rp.calls, TF_TRAFFIC_MAX_REPORTED + 1);
  TF_CHECK(strstr(rp.text, ":21: input_tokens = 0 (expected at least 1 token)\n") != NULL);
  TF_CHECK(strstr(rp.text, ":22:") == NULL);
  char last[64];
  snprintf(last, sizeof last, "%s: ... and 5 more errors\n", path);
  TF_CHECK(rp.len >= strlen(last) && strcmp(rp.text + rp.len - strlen(last), last) == 0);
  remove(path);

  scratch(path, "TIMESTAMP,ContextTokens,GeneratedTokens\n");
  check_load_fails(path, TF_EPARSE, "@: no rows after the header (expected at least one request)\n",
                   __LINE__);
  remove(path);
  scratch(path, "when,prompt,completion\n1,2,3\n");
  check_load_fails(path, TF_EPARSE,
                   "@:1: no trace columns (expected a header row with the Azure layout "
                   "TIMESTAMP,ContextTokens,GeneratedTokens, or the tokenfab layout "
                   "time_s,input_tokens,output_tokens; the header is when,prompt,completion)\n",
                   __LINE__);
  remove(path);
  scratch(path, "\n\ntime_s,input_tokens,time_s\n");
  check_load_fails(path, TF_EPARSE,
                   "@:3: column \"time_s\" appears twice, as columns 1 and 3 (expected each column "
                   "once)\n"
                   "@:3: missing column \"output_tokens\" (expected the tokenfab layout "
                   "time_s,input_tokens,output_tokens; the header is time_s,input_tokens,time_s)\n",
                   __LINE__);
  remove(path);
  scratch(path, "TIMESTAMP,time_s,ContextTokens\n");
  check_load_fails(path, TF_EPARSE,
                   "@:1: both TIMESTAMP and time_s columns (expected one layout: the Azure layout "
                   "TIMESTAMP,ContextTokens,GeneratedTokens, or the tokenfab layout "
                   "time_s,input_tokens,output_tokens)\n",
                   __LINE__);
  remove(path);
  /* Junk: control bytes and a NUL in a field never crash and are shown as '?'. */
  FILE *f;
  strcpy(path, "/tmp/tf_traffic_XXXXXX");
  int fd = mkstemp(path);
  f = fdopen(fd, "wb");
  fwrite("time_s,input_tokens,output_tokens\n1,\x01\0x,2\n", 1, 42, f);
  fclose(f);
  check_load_fails(path, TF_EPARSE,
                   "@:2: input_tokens \"??x\" is not a whole number (expected a whole number of "
                   "tokens >= 1)\n",
                   __LINE__);
  remove(path);
}

/* Mutated fixtures (random bytes replaced, inserted or cut off) never crash a loader (run under
 * ASan in CI), and a load either succeeds with a well-formed result or fails with a report. */
static void test_loader_mutations(void) {
  static const char *const files[] = {FIX("trace_azure.csv"), FIX("trace_tokenfab.csv"),
                                      FIX("trace_bad_azure.csv"), FIX("lengths_hist.csv")};
  static const char alphabet[] = ",\"\n\r\t .:-+eE0123456789TZx";
  gsl_rng *r = stream(11, 0);
  char path[32];
  strcpy(path, "/tmp/tf_traffic_XXXXXX");
  int fd = mkstemp(path);
  TF_CHECK(fd >= 0);
  close(fd);
  int bad = 0;
  for (int it = 0; it < 400; it++) {
    size_t which = (size_t)it % (sizeof files / sizeof files[0]);
    char text[1024];
    FILE *f = fopen(files[which], "rb");
    size_t n = f ? fread(text, 1, sizeof text - 8, f) : 0;
    if (f)
      fclose(f);
    for (unsigned long m = 1 + gsl_rng_uniform_int(r, 4); m > 0 && n > 0; m--) {
      size_t at = (size_t)gsl_rng_uniform_int(r, n);
      char c = gsl_rng_uniform(r) < 0.2 ? (char)gsl_rng_uniform_int(r, 256)
                                        : alphabet[gsl_rng_uniform_int(r, sizeof alphabet - 1)];
      double what = gsl_rng_uniform(r);
      if (what < 0.6) {
        text[at] = c;
      } else if (what < 0.9) {
        memmove(text + at + 1, text + at, n - at);
        text[at] = c;
        n++;
      } else {
        n = at;
      }
    }
    f = fopen(path, "wb");
    fwrite(text, 1, n, f);
    fclose(f);
    reports rp = {0};
    int rc;
    if (which == 3) {
      tf_length_hist *h;
      rc = tf_length_hist_load(path, &h, collect, &rp);
      bad += rc == 0 ? h == NULL : h != NULL;
      tf_length_hist_destroy(h);
    } else {
      tf_traffic_trace *t;
      rc = tf_traffic_trace_load(path, &t, collect, &rp);
      bad += rc == 0 ? t == NULL : t != NULL;
      for (size_t i = 1; rc == 0 && t && i < tf_traffic_trace_count(t); i++) {
        int64_t a, b;
        tf_traffic_trace_request(t, i - 1, &a, NULL, NULL);
        tf_traffic_trace_request(t, i, &b, NULL, NULL);
        bad += b < a;
      }
      tf_traffic_trace_destroy(t);
    }
    bad += rc != 0 && rc != TF_EPARSE;
    bad += (rc == 0) != (rp.calls == 0);
    bad += rp.calls > TF_TRAFFIC_MAX_REPORTED + 1;
  }
  TF_CHECK_INT(bad, 0);
  remove(path);
  gsl_rng_free(r);
}

/* ---- Lengths ---- */

enum { N_LENGTHS = 100000 };

typedef struct sample_stats {
  double mean, sd;
  int64_t lo, hi;
  long at_cap;
} sample_stats;

static sample_stats sample(const tf_length_dist *d, gsl_rng *r, int64_t *keep) {
  sample_stats s = {.lo = INT64_MAX, .hi = INT64_MIN};
  double m2 = 0;
  for (int i = 1; i <= N_LENGTHS; i++) {
    int64_t v;
    TF_CHECK_INT(tf_length_sample(d, r, &v), 0);
    if (keep)
      keep[i - 1] = v;
    s.lo = v < s.lo ? v : s.lo;
    s.hi = v > s.hi ? v : s.hi;
    s.at_cap += d->cap && v == d->cap;
    double dx = (double)v - s.mean;
    s.mean += dx / i;
    m2 += dx * ((double)v - s.mean);
  }
  s.sd = sqrt(m2 / (N_LENGTHS - 1));
  return s;
}

/* E[min(c, max(1, round(X)))] for the lognormal, straight from its definition as a sum of
 * survival probabilities, term by term up to kmax. */
static double lognormal_brute(double mean, double cv, int64_t c, int64_t kmax) {
  double s2 = log1p(cv * cv), s = sqrt(s2), mu = log(mean) - 0.5 * s2, sum = 1;
  for (int64_t k = 2; k <= c && k <= kmax; k++)
    sum += gsl_cdf_ugaussian_Q((log((double)k - 0.5) - mu) / s);
  return sum;
}

static void test_lengths(void) {
  gsl_rng *r = stream(4, 0);
  const double sqn = sqrt((double)N_LENGTHS);

  tf_length_dist fx = {.kind = TF_LENGTH_FIXED, .value = 128};
  TF_CHECK_INT(tf_length_check(&fx), 0);
  sample_stats s = sample(&fx, r, NULL);
  TF_CHECK_INT(s.lo, 128);
  TF_CHECK_INT(s.hi, 128);
  TF_CHECK_NEAR(tf_length_mean(&fx), 128, 0);
  fx.cap = 100;
  s = sample(&fx, r, NULL);
  TF_CHECK_INT(s.hi, 100);
  TF_CHECK_NEAR(tf_length_mean(&fx), 100, 0);

  /* Uniform 3..7 inclusive: both ends hit, nothing outside, mean 5; sd sqrt((5^2 - 1)/12). */
  tf_length_dist u = {.kind = TF_LENGTH_UNIFORM, .min = 3, .max = 7};
  TF_CHECK_INT(tf_length_check(&u), 0);
  s = sample(&u, r, NULL);
  TF_CHECK_INT(s.lo, 3);
  TF_CHECK_INT(s.hi, 7);
  TF_CHECK_NEAR(tf_length_mean(&u), 5, 0);
  TF_CHECK_NEAR(s.mean, 5, 4 * sqrt(2.0) / sqn);
  u.cap = 5; /* (3 + 4 + 5 + 5 + 5) / 5 */
  s = sample(&u, r, NULL);
  TF_CHECK_INT(s.hi, 5);
  TF_CHECK_NEAR(tf_length_mean(&u), 4.4, 1e-12);
  TF_CHECK_NEAR(s.mean, 4.4, 4 * s.sd / sqn);

  /* Lognormal, capped: the exact mean after rounding and cap against the definition, and the
   * sample mean within 4 SE of it; the cap is hit as often as P(X >= cap - 1/2). */
  tf_length_dist ln = {.kind = TF_LENGTH_LOGNORMAL, .mean = 500, .cv = 1.2, .cap = 2000};
  TF_CHECK_INT(tf_length_check(&ln), 0);
  double exact = tf_length_mean(&ln);
  TF_CHECK_NEAR(exact, lognormal_brute(500, 1.2, 2000, 2000), 1e-9 * exact);
  s = sample(&ln, r, NULL);
  TF_CHECK_NEAR(s.mean, exact, 4 * s.sd / sqn);
  TF_CHECK_INT(s.hi, 2000);
  TF_CHECK(s.lo >= 1);
  double s2 = log1p(1.2 * 1.2),
         p_cap = gsl_cdf_ugaussian_Q((log(1999.5) - (log(500) - 0.5 * s2)) / sqrt(s2));
  TF_CHECK_NEAR((double)s.at_cap, N_LENGTHS * p_cap, 4.5 * sqrt(N_LENGTHS * p_cap));
  /* No cap: the sample cv is the lognormal's (rounding adds 1/12 token^2, negligible); relative
   * SE of the sample cv <= half that of the variance, sqrt((kurtosis + 2)/N) with kurtosis
   * w^4 + 2w^3 + 3w^2 - 6 for w = 1 + cv^2, plus the mean's, cv/sqrt(N): 4 x. */
  tf_length_dist l2 = {.kind = TF_LENGTH_LOGNORMAL, .mean = 500, .cv = 0.8};
  s = sample(&l2, r, NULL);
  double w = 1 + 0.8 * 0.8, kurt = w * w * w * w + 2 * w * w * w + 3 * w * w - 6;
  TF_CHECK_NEAR(s.sd / s.mean, 0.8, 4 * 0.8 * (0.5 * sqrt((kurt + 2) / N_LENGTHS) + 0.8 / sqn));
  TF_CHECK_NEAR(tf_length_mean(&l2), lognormal_brute(500, 0.8, TF_LENGTH_MAX_TOKENS, 200000),
                1e-9 * 500);
  TF_CHECK_NEAR(s.mean, tf_length_mean(&l2), 4 * s.sd / sqn);
  /* Small mean, where the floor at 1 matters: 1.2 before rounding, 1.28377 after (an
   * independent sum in Python agrees to 1e-12). */
  tf_length_dist l3 = {.kind = TF_LENGTH_LOGNORMAL, .mean = 1.2, .cv = 0.5};
  exact = tf_length_mean(&l3);
  TF_CHECK_NEAR(exact, lognormal_brute(1.2, 0.5, TF_LENGTH_MAX_TOKENS, 1000), 1e-12);
  TF_CHECK_NEAR(exact, 1.2837698507104716, 1e-9);
  s = sample(&l3, r, NULL);
  TF_CHECK_NEAR(s.mean, exact, 4 * s.sd / sqn);
  /* The tail beyond 4096 terms by the integral rule, against the plain sum. */
  tf_length_dist l4 = {.kind = TF_LENGTH_LOGNORMAL, .mean = 20000, .cv = 1, .cap = 100000};
  exact = tf_length_mean(&l4);
  TF_CHECK_NEAR(exact, lognormal_brute(20000, 1, 100000, 100000), 1e-9 * exact);
  tf_length_dist l5 = {.kind = TF_LENGTH_LOGNORMAL, .mean = 3000, .cv = 0.001};
  exact = tf_length_mean(&l5); /* narrow: the bulk is summed term by term */
  TF_CHECK_NEAR(exact, lognormal_brute(3000, 0.001, 4000, 4000), 1e-9 * exact);

  /* Empirical from the fixture: bin frequencies within 4.5 binomial SE of the weights, every
   * value inside its bin, the mean exact: (10*32.5 + 30*160.5 + 40*640.5 + 20*2560.5) / 100. */
  reports rp = {0};
  tf_length_hist *h = NULL;
  TF_CHECK_INT(tf_length_hist_load(FIX("lengths_hist.csv"), &h, collect, &rp), 0);
  TF_CHECK_INT(rp.calls, 0);
  if (h) {
    TF_CHECK_INT(tf_length_hist_bins(h), 4);
    const int64_t lo[] = {1, 65, 257, 1025}, hi[] = {64, 256, 1024, 4096};
    const double p[] = {0.1, 0.3, 0.4, 0.2};
    for (size_t i = 0; i < 4; i++) {
      int64_t l, hh;
      double pp;
      TF_CHECK_INT(tf_length_hist_bin(h, i, &l, &hh, &pp), 0);
      TF_CHECK_INT(l, lo[i]);
      TF_CHECK_INT(hh, hi[i]);
      TF_CHECK_NEAR(pp, p[i], 1e-15);
    }
    tf_length_dist em = {.kind = TF_LENGTH_EMPIRICAL, .hist = h};
    TF_CHECK_INT(tf_length_check(&em), 0);
    TF_CHECK_NEAR(tf_length_mean(&em), 819.7, 1e-9);
    int64_t *v = malloc(N_LENGTHS * sizeof *v);
    s = sample(&em, r, v);
    long count[4] = {0}, edge = 0;
    for (int i = 0; i < N_LENGTHS; i++) {
      int b = v[i] <= 64 ? 0 : v[i] <= 256 ? 1 : v[i] <= 1024 ? 2 : 3;
      count[b]++;
      edge += v[i] == 1 || v[i] == 64 || v[i] == 65 || v[i] == 256 || v[i] == 257;
    }
    for (int b = 0; b < 4; b++)
      TF_CHECK_NEAR((double)count[b], N_LENGTHS * p[b], 4.5 * sqrt(N_LENGTHS * p[b] * (1 - p[b])));
    TF_CHECK_INT(s.lo, 1);
    TF_CHECK(s.hi <= 4096);
    TF_CHECK(edge > 0);
    TF_CHECK_NEAR(s.mean, 819.7, 4 * s.sd / sqn);
    /* Capped at 2000: the top bin's mean of min(k, 2000), k = 1025..4096, by a plain sum. */
    em.cap = 2000;
    double top = 0;
    for (int64_t k = 1025; k <= 4096; k++)
      top += (double)(k < 2000 ? k : 2000);
    top /= 3072;
    TF_CHECK_NEAR(tf_length_mean(&em), 3.25 + 48.15 + 256.2 + 0.2 * top, 1e-9);
    s = sample(&em, r, NULL);
    TF_CHECK_INT(s.hi, 2000);
    TF_CHECK_NEAR(s.mean, tf_length_mean(&em), 4 * s.sd / sqn);
    free(v);
    tf_length_hist_destroy(h);
  }

  /* Bad histograms, word for word. */
  const char *bad = FIX("lengths_bad_hist.csv");
  rp = (reports){0};
  h = (tf_length_hist *)&rp;
  TF_CHECK_INT(tf_length_hist_load(bad, &h, collect, &rp), TF_EPARSE);
  TF_CHECK(h == NULL);
  check_reports(&rp, bad,
                "@:2: lo = 0 (expected at least 1 token)\n"
                "@:3: hi = 256 is below lo = 300 (expected lo <= hi: a bin's tokens from lo to hi "
                "inclusive)\n"
                "@:4: weight = -1 (expected a finite number >= 0)\n"
                "@:5: weight \"x\" is not a number (expected a number >= 0)\n"
                "@:6: 2 fields (expected 3, one per header column)\n"
                "@:7: hi = 99999999999 (expected at most 1073741824 tokens)\n",
                __LINE__);
  char path[32];
  scratch(path, "lo,hi,weight\n1,2,0\n3,4,0\n");
  rp = (reports){0};
  TF_CHECK_INT(tf_length_hist_load(path, &h, collect, &rp), TF_EPARSE);
  check_reports(&rp, path, "@: total weight is 0 (expected a finite total > 0)\n", __LINE__);
  remove(path);
  scratch(path, "lo,weight\n1,2\n");
  rp = (reports){0};
  TF_CHECK_INT(tf_length_hist_load(path, &h, collect, &rp), TF_EPARSE);
  check_reports(&rp, path,
                "@:1: missing column \"hi\" (expected the histogram layout lo,hi,weight; the "
                "header is lo,weight)\n",
                __LINE__);
  remove(path);
  rp = (reports){0};
  TF_CHECK_INT(tf_length_hist_load(FIX("trace_empty.csv"), &h, collect, &rp), TF_EPARSE);
  check_reports(&rp, FIX("trace_empty.csv"),
                "@: empty file (expected a header row: lo,hi,weight)\n", __LINE__);
  gsl_rng_free(r);
}

/* ---- Determinism ---- */

static void test_determinism(void) {
  const int64_t start[] = {0, 300000000};
  const double rate[] = {50, 400};
  tf_traffic_arrivals procs[] = {
      {.kind = TF_TRAFFIC_POISSON, .rate_per_s = 300},
      {.kind = TF_TRAFFIC_GAMMA, .rate_per_s = 300, .cv = 4},
      {.kind = TF_TRAFFIC_PIECEWISE,
       .pieces = 2,
       .piece_start_ns = start,
       .piece_rate_per_s = rate,
       .period_ns = 1000000000},
  };
  for (size_t p = 0; p < sizeof procs / sizeof procs[0]; p++) {
    gsl_rng *r1 = stream(9, p), *r2 = stream(9, p), *r3 = stream(9, p + 10);
    tf_traffic_state s1, s2, s3;
    tf_traffic_state_init(&s1, &procs[p], 0);
    tf_traffic_state_init(&s2, &procs[p], 0);
    tf_traffic_state_init(&s3, &procs[p], 0);
    int same = 1, differ = 0;
    for (int i = 0; i < 1000; i++) {
      int64_t a, b, c;
      TF_CHECK_INT(tf_traffic_next(&procs[p], &s1, r1, &a), 0);
      TF_CHECK_INT(tf_traffic_next(&procs[p], &s2, r2, &b), 0);
      TF_CHECK_INT(tf_traffic_next(&procs[p], &s3, r3, &c), 0);
      same &= a == b;
      differ |= a != c;
    }
    TF_CHECK(same);
    TF_CHECK(differ);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
    gsl_rng_free(r3);
  }
  const int64_t lo[] = {1, 100}, hi[] = {10, 1000};
  const double wt[] = {1, 3};
  tf_length_hist *h;
  TF_CHECK_INT(tf_length_hist_create(&h, 2, lo, hi, wt), 0);
  tf_length_dist ds[] = {{.kind = TF_LENGTH_UNIFORM, .min = 1, .max = 1000},
                         {.kind = TF_LENGTH_LOGNORMAL, .mean = 300, .cv = 2, .cap = 4000},
                         {.kind = TF_LENGTH_EMPIRICAL, .hist = h}};
  for (size_t k = 0; k < 3; k++) {
    gsl_rng *r1 = stream(10, k), *r2 = stream(10, k);
    int same = 1;
    for (int i = 0; i < 1000; i++) {
      int64_t a, b;
      tf_length_sample(&ds[k], r1, &a);
      tf_length_sample(&ds[k], r2, &b);
      same &= a == b;
    }
    TF_CHECK(same);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
  }
  tf_length_hist_destroy(h);
}

/* ---- Checks and names ---- */

static void check_fails(const tf_traffic_arrivals *a, int code, const char *needle) {
  TF_CHECK_INT(tf_traffic_check(a), code);
  if (!strstr(tf_err_reason(), needle)) {
    tf_test_failures++;
    fprintf(stderr, "check message \"%s\" lacks \"%s\"\n", tf_err_reason(), needle);
  }
}

static void check_length_fails(const tf_length_dist *d, int code, const char *needle) {
  TF_CHECK_INT(tf_length_check(d), code);
  if (!strstr(tf_err_reason(), needle)) {
    tf_test_failures++;
    fprintf(stderr, "check message \"%s\" lacks \"%s\"\n", tf_err_reason(), needle);
  }
}

static void test_checks(void) {
  check_fails(&(tf_traffic_arrivals){.kind = TF_TRAFFIC_POISSON, .rate_per_s = 0}, TF_ERANGE,
              "poisson rate_per_s = 0");
  check_fails(&(tf_traffic_arrivals){.kind = TF_TRAFFIC_POISSON, .rate_per_s = 2e6}, TF_ERANGE,
              "rate_per_s = 2e+06");
  check_fails(&(tf_traffic_arrivals){.kind = TF_TRAFFIC_GAMMA, .rate_per_s = 1, .cv = NAN},
              TF_ERANGE, "gamma cv = nan");
  const int64_t st[] = {0, 5, 5}, st1[] = {3, 5};
  const double rt[] = {1, 2, 3}, neg[] = {1, -1};
  tf_traffic_arrivals pw = {.kind = TF_TRAFFIC_PIECEWISE, .pieces = 0};
  check_fails(&pw, TF_EINVAL, "pieces = 0");
  pw.pieces = 3;
  check_fails(&pw, TF_EINVAL, "piece_start_ns is NULL");
  pw.piece_start_ns = st;
  pw.piece_rate_per_s = rt;
  check_fails(&pw, TF_EINVAL, "piece_start_ns[2] = 5 is not after piece_start_ns[1] = 5");
  pw.pieces = 2;
  pw.piece_start_ns = st1;
  check_fails(&pw, TF_ERANGE, "piece_start_ns[0] = 3");
  pw.piece_start_ns = st;
  pw.piece_rate_per_s = neg;
  check_fails(&pw, TF_ERANGE, "piece_rate_per_s[1] = -1");
  pw.piece_rate_per_s = rt;
  pw.period_ns = 5;
  check_fails(&pw, TF_ERANGE, "period_ns = 5");
  pw.period_ns = 6;
  TF_CHECK_INT(tf_traffic_check(&pw), 0);
  tf_traffic_arrivals tr = {.kind = TF_TRAFFIC_TRACE};
  check_fails(&tr, TF_EINVAL, "trace is NULL");
  const int64_t one_t[] = {7}, one[] = {1};
  tf_traffic_trace *t;
  TF_CHECK_INT(tf_traffic_trace_create(&t, 1, one_t, one, one), 0);
  tr.trace = t;
  check_fails(&tr, TF_ERANGE, "time_scale = 0");
  tr.time_scale = 1;
  TF_CHECK_INT(tf_traffic_check(&tr), 0);
  TF_CHECK(isnan(tf_traffic_mean_rate(&tr)));
  tr.loop = 1;
  check_fails(&tr, TF_ERANGE, "loop = 1 with a trace of 1 rows");
  tf_traffic_trace_destroy(t);
  check_fails(&(tf_traffic_arrivals){.kind = (tf_traffic_kind)9}, TF_EINVAL, "kind = 9");

  check_length_fails(&(tf_length_dist){.kind = TF_LENGTH_FIXED, .value = 0}, TF_ERANGE,
                     "fixed value = 0");
  check_length_fails(&(tf_length_dist){.kind = TF_LENGTH_UNIFORM, .min = 5, .max = 3}, TF_ERANGE,
                     "uniform min = 5 is above max = 3");
  check_length_fails(&(tf_length_dist){.kind = TF_LENGTH_LOGNORMAL, .mean = 5, .cv = 0}, TF_ERANGE,
                     "lognormal cv = 0");
  check_length_fails(&(tf_length_dist){.kind = TF_LENGTH_FIXED, .value = 3, .cap = -1}, TF_ERANGE,
                     "fixed cap = -1");
  check_length_fails(&(tf_length_dist){.kind = TF_LENGTH_EMPIRICAL}, TF_EINVAL,
                     "empirical hist is NULL");

  tf_traffic_kind k;
  TF_CHECK_INT(tf_traffic_kind_parse("piecewise", &k), 0);
  TF_CHECK_INT(k, TF_TRAFFIC_PIECEWISE);
  TF_CHECK_STR(tf_traffic_kind_name(TF_TRAFFIC_GAMMA), "gamma");
  TF_CHECK_INT(tf_traffic_kind_parse("diurnal", &k), TF_ENOTFOUND);
  tf_length_kind lk;
  TF_CHECK_INT(tf_length_kind_parse("empirical", &lk), 0);
  TF_CHECK_INT(lk, TF_LENGTH_EMPIRICAL);
  TF_CHECK_STR(tf_length_kind_name(TF_LENGTH_LOGNORMAL), "lognormal");
}

int main(void) {
  gsl_set_error_handler_off();
  test_poisson();
  test_gamma();
  test_piecewise();
  test_trace_replay();
  test_trace_errors();
  test_loader_mutations();
  test_lengths();
  test_determinism();
  test_checks();
  return tf_test_report("models_traffic");
}
