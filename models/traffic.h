/* The traffic that drives the serving simulation: arrival processes (Poisson, gamma renewal,
 * piecewise-constant rate, trace replay), request length distributions, and the CSV loaders for
 * traces and length histograms. */
#ifndef TF_TRAFFIC_H
#define TF_TRAFFIC_H

#include <gsl/gsl_rng.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Reporting problems in files ---- */

/* Called once for each problem a loader finds in a file, in file order. file is the path as the
 * caller gave it; line counts from 1, and 0 means the message concerns the whole file (cannot
 * open, empty file, "... and N more errors"), so a printer writes `file:line: msg` or
 * `file: msg`. msg is one sentence ending in what was expected, without a trailing newline; both
 * strings live only for the call. The loaders report at most TF_TRAFFIC_MAX_REPORTED problems,
 * then one "... and N more errors" line; the loader's tf_diags adapts to this with
 * tf_diags_error(d, file, line, 0, "%s", msg). report may be NULL: the first problem then
 * survives only as the TF_FAIL context (tf_err_reason). */
typedef void (*tf_traffic_report_fn)(void *ctx, const char *file, int line, const char *msg);

#define TF_TRAFFIC_MAX_REPORTED 20

/* ---- Traces ---- */

/* A recorded sequence of requests: arrival time, input (prompt) and output (generated) tokens,
 * rows in time order, times relative to the first row (time_ns[0] == 0, non-decreasing). The
 * whole trace is held in memory, 24 bytes a row (the Azure 2024 week-long conversation trace,
 * 27 million rows, takes 650 MB): it is the user's file, and replay must be exact. Immutable
 * once built, so one trace can drive any number of classes and threads. */
typedef struct tf_traffic_trace tf_traffic_trace;

/* Reads a trace CSV with libcsv. The header row names the columns (exact, case-sensitive; order
 * free; other columns ignored), in one of two layouts:
 *   Azure LLM inference trace:  TIMESTAMP,ContextTokens,GeneratedTokens
 *     TIMESTAMP is "YYYY-MM-DD HH:MM:SS[.fraction]" (up to 9 fractional digits; 'T' may replace
 *     the space; an optional "Z" or "+HH:MM"/"-HH:MM" offset is applied), read exactly in ns.
 *   tokenfab:                   time_s,input_tokens,output_tokens
 *     time_s is seconds as a decimal ("12.5", "1.5e-3"), rounded to the nearest ns.
 * Token counts are integers in [1, TF_LENGTH_MAX_TOKENS]; times must not decrease. Every problem
 * is reported through report(ctx, ...) (see above) and loading goes on to find them all.
 * Returns 0 and *out (free with tf_traffic_trace_destroy); TF_EIO if the file cannot be opened or
 * read; TF_EPARSE if any problem was found; TF_ENOMEM. *out is NULL on failure. */
int tf_traffic_trace_load(const char *path, tf_traffic_trace **out, tf_traffic_report_fn report,
                          void *ctx);
/* A trace from arrays of n >= 1 rows (copied): time_ns non-decreasing (any origin; stored
 * relative to time_ns[0]), tokens in [1, TF_LENGTH_MAX_TOKENS]. 0, TF_EINVAL, TF_ERANGE or
 * TF_ENOMEM. */
int tf_traffic_trace_create(tf_traffic_trace **out, size_t n, const int64_t *time_ns,
                            const int64_t *input_tokens, const int64_t *output_tokens);
void tf_traffic_trace_destroy(tf_traffic_trace *t);

size_t tf_traffic_trace_count(const tf_traffic_trace *t);
/* Time from the first row to the last, ns. */
int64_t tf_traffic_trace_span_ns(const tf_traffic_trace *t);
/* Row i: its time relative to the first row, ns, and its token counts; any out pointer may be
 * NULL. TF_ERANGE if i >= count. */
int tf_traffic_trace_request(const tf_traffic_trace *t, size_t i, int64_t *time_ns,
                             int64_t *input_tokens, int64_t *output_tokens);

/* ---- Arrival processes ---- */

typedef enum tf_traffic_kind {
  TF_TRAFFIC_POISSON,   /* rate_per_s */
  TF_TRAFFIC_GAMMA,     /* rate_per_s, cv */
  TF_TRAFFIC_PIECEWISE, /* pieces, piece_start_ns, piece_rate_per_s, period_ns */
  TF_TRAFFIC_TRACE,     /* trace, time_scale, loop */
} tf_traffic_kind;

/* Rates above this are refused. The clock ticks in ns and two arrivals never share a tick
 * (except in traces), so at 10^6 / s one gap in a thousand is under 1 ns and is stretched; no
 * single class of LLM requests comes near it. */
#define TF_TRAFFIC_MAX_RATE_PER_S 1e6
/* Gamma cv above this is refused: at cv 10 most gaps already fall under one 1-ns tick. */
#define TF_TRAFFIC_MAX_CV 10.0

/* An arrival process: the caller owns it and the arrays it points to, which must outlive every
 * state using it; only the fields its kind names are read.
 *
 * PIECEWISE is a non-homogeneous Poisson process whose rate is piece_rate_per_s[i] on
 * [piece_start_ns[i], piece_start_ns[i+1]) (times from the process start; piece_start_ns[0] == 0,
 * strictly increasing). The last piece runs to period_ns, after which the profile repeats; with
 * period_ns == 0 it does not repeat and the last rate holds for ever (a last rate of 0 ends the
 * process). A diurnal profile is 24 hourly pieces with period_ns 86400e9. Rates may be 0.
 *
 * TRACE replays trace's rows at start + time_ns * time_scale (0.5 plays twice as fast). With loop
 * set, the trace repeats with period span + span / (rows - 1) (the trace's own mean gap after its
 * last row, rounded to ns), scaled likewise; otherwise the process ends after the last row. */
typedef struct tf_traffic_arrivals {
  tf_traffic_kind kind;
  double rate_per_s; /* POISSON, GAMMA: mean arrivals per second, (0, TF_TRAFFIC_MAX_RATE_PER_S] */
  double cv;         /* GAMMA: coefficient of variation of the gaps, (0, TF_TRAFFIC_MAX_CV] */
  size_t pieces;     /* PIECEWISE: >= 1 */
  const int64_t *piece_start_ns;  /* PIECEWISE: pieces breakpoints */
  const double *piece_rate_per_s; /* PIECEWISE: pieces rates, [0, TF_TRAFFIC_MAX_RATE_PER_S] */
  int64_t period_ns;              /* PIECEWISE: 0, or > piece_start_ns[pieces - 1] */
  const tf_traffic_trace *trace;  /* TRACE: borrowed */
  double time_scale;              /* TRACE: > 0 */
  int loop;                       /* TRACE: nonzero to repeat */
} tf_traffic_arrivals;

/* Where a process is: small, caller-owned, nothing to free. Fields are private to traffic.c
 * except `row`. Invariant: the process's exact (continuous) position is last_ns + resid_ns;
 * arrivals are that position rounded to the nearest ns, so rounding never accumulates. */
typedef struct tf_traffic_state {
  int64_t origin_ns; /* the process start */
  int64_t last_ns;   /* the last arrival returned (origin_ns before the first) */
  double resid_ns;   /* exact position minus last_ns; <= 0.5, negative after a stretched gap */
  uint64_t cycle;    /* PIECEWISE periods / TRACE loops completed */
  size_t piece;      /* PIECEWISE: the piece holding the exact position; TRACE: the next row */
  size_t row;        /* TRACE: the trace row of the arrival just returned (its lengths) */
  int started;       /* an arrival has been returned */
  int ended;         /* the process has no more arrivals */
} tf_traffic_state;

/* "poisson", "gamma", "piecewise", "trace". */
const char *tf_traffic_kind_name(tf_traffic_kind k);
/* TF_ENOTFOUND (with a message listing the names) if name is none of them. */
int tf_traffic_kind_parse(const char *name, tf_traffic_kind *out);

/* 0 if the fields a's kind reads are valid, else TF_ERANGE (a value out of range) or TF_EINVAL
 * (a missing array or trace, breakpoints out of order), with a message naming the field. */
int tf_traffic_check(const tf_traffic_arrivals *a);

/* Starts a process at start_ns. a must pass tf_traffic_check. */
void tf_traffic_state_init(tf_traffic_state *st, const tf_traffic_arrivals *a, int64_t start_ns);

/* The next arrival instant into *next_ns. Generated processes draw from r (only r: one stream per
 * class keeps classes independent and runs reproducible) and return instants strictly after the
 * previous one (and after the start); traces ignore r, start at start_ns exactly and may repeat
 * an instant. Poisson and gamma gaps are sampled directly; PIECEWISE inverts the cumulative
 * intensity exactly (no thinning). Returns 0; TF_ENOTFOUND, without recording a failure, when the
 * process has ended (a trace without loop after its last row; a piecewise process whose rate is
 * 0 from some time on), and on every later call; TF_ERANGE if the next instant would pass
 * INT64_MAX ns (292 years). */
int tf_traffic_next(const tf_traffic_arrivals *a, tf_traffic_state *st, gsl_rng *r,
                    int64_t *next_ns);

/* Long-run mean arrivals per second: rate_per_s; for PIECEWISE with a period the integral of the
 * rate over one period divided by it, without one the last rate; for TRACE rows / (period *
 * time_scale) with the loop period above (for a trace without loop: the rate while it plays). NaN
 * for a trace of one row or zero span. */
double tf_traffic_mean_rate(const tf_traffic_arrivals *a);

/* ---- Request lengths (tokens) ---- */

/* Every length is an integer in [1, TF_LENGTH_MAX_TOKENS] (2^30, far above any model's context):
 * it bounds sampled values when no cap is given and keeps every count exact in a double. */
#define TF_LENGTH_MAX_TOKENS (INT64_C(1) << 30)

typedef enum tf_length_kind {
  TF_LENGTH_FIXED,     /* value */
  TF_LENGTH_UNIFORM,   /* min, max */
  TF_LENGTH_LOGNORMAL, /* mean, cv */
  TF_LENGTH_EMPIRICAL, /* hist */
} tf_length_kind;

/* A histogram of lengths: bins [lo, hi] (inclusive integers) with weights; a draw picks a bin
 * with probability weight / total (gsl_ran_discrete, Walker's alias method, O(1)), then an integer
 * uniformly in it. Bins may be in any order and may overlap. Immutable once built. */
typedef struct tf_length_hist tf_length_hist;

/* A histogram from n >= 1 bins (copied): 1 <= lo[i] <= hi[i] <= TF_LENGTH_MAX_TOKENS, weight[i]
 * finite >= 0, total > 0. 0, TF_EINVAL, TF_ERANGE or TF_ENOMEM. */
int tf_length_hist_create(tf_length_hist **out, size_t n, const int64_t *lo, const int64_t *hi,
                          const double *weight);
/* Reads a histogram CSV with a header naming lo, hi and weight (order free, other columns
 * ignored), one bin a row. Errors as tf_traffic_trace_load. */
int tf_length_hist_load(const char *path, tf_length_hist **out, tf_traffic_report_fn report,
                        void *ctx);
void tf_length_hist_destroy(tf_length_hist *h);
size_t tf_length_hist_bins(const tf_length_hist *h);
/* Bin i's bounds and its probability (weight / total); out pointers may be NULL. TF_ERANGE if
 * i >= bins. */
int tf_length_hist_bin(const tf_length_hist *h, size_t i, int64_t *lo, int64_t *hi, double *p);

/* A distribution of request lengths in tokens; the caller owns it, only the fields its kind
 * names are read (and cap, always).
 *
 * LOGNORMAL draws X from the lognormal with the given mean and cv (of X, before rounding) and
 * rounds to the nearest integer, halves up, values under 1.5 giving 1.
 * cap: 0 for none, else in [1, TF_LENGTH_MAX_TOKENS]; a draw above it is clamped to it, not
 * redrawn, so the cap carries the clipped tail's probability (what a max_tokens limit does to real
 * requests). Without a cap, TF_LENGTH_MAX_TOKENS clamps the same way. (Named cap rather than max
 * because UNIFORM's max is a bound of the distribution itself.) */
typedef struct tf_length_dist {
  tf_length_kind kind;
  int64_t value;              /* FIXED: the length, [1, TF_LENGTH_MAX_TOKENS] */
  int64_t min, max;           /* UNIFORM: inclusive, 1 <= min <= max <= TF_LENGTH_MAX_TOKENS */
  double mean, cv;            /* LOGNORMAL: mean in (0, TF_LENGTH_MAX_TOKENS], cv in (0, 100] */
  const tf_length_hist *hist; /* EMPIRICAL: borrowed */
  int64_t cap;                /* 0, or the most tokens a draw may have */
} tf_length_dist;

/* "fixed", "uniform", "lognormal", "empirical". */
const char *tf_length_kind_name(tf_length_kind k);
int tf_length_kind_parse(const char *name, tf_length_kind *out);

/* 0 if the fields d's kind reads are valid; TF_ERANGE or TF_EINVAL naming the field. */
int tf_length_check(const tf_length_dist *d);
/* One draw into *out. d must pass tf_length_check; r's generator must span at least 30 bits
 * (every GSL generator tokenfab uses). Returns 0. */
int tf_length_sample(const tf_length_dist *d, gsl_rng *r, int64_t *out);
/* The exact mean of what tf_length_sample returns, cap and rounding included. Closed forms for
 * FIXED, UNIFORM and EMPIRICAL. LOGNORMAL: E = 1 + sum_{k=2}^{c} P(X >= k - 1/2) for the cap c,
 * summed term by term over the body of the distribution (up to 4096 terms past the point where
 * P = 1 to double precision) and beyond that by the midpoint rule on the closed-form integral
 * E[(X - a)+] plus its first Euler-Maclaurin correction; relative error below 1e-9. */
double tf_length_mean(const tf_length_dist *d);

#endif
