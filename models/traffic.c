/* Traffic: arrival processes, request lengths, and the trace and histogram CSV loaders. */
#include "traffic.h"

#include <assert.h>
#include <errno.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "csv_rows.h"
#include "error.h"

/* ---- Names ---- */

static const char *const traffic_names[] = {
    [TF_TRAFFIC_POISSON] = "poisson",
    [TF_TRAFFIC_GAMMA] = "gamma",
    [TF_TRAFFIC_PIECEWISE] = "piecewise",
    [TF_TRAFFIC_TRACE] = "trace",
};
#define N_TRAFFIC_KINDS (sizeof traffic_names / sizeof traffic_names[0])

static const char *const length_names[] = {
    [TF_LENGTH_FIXED] = "fixed",
    [TF_LENGTH_UNIFORM] = "uniform",
    [TF_LENGTH_LOGNORMAL] = "lognormal",
    [TF_LENGTH_EMPIRICAL] = "empirical",
};
#define N_LENGTH_KINDS (sizeof length_names / sizeof length_names[0])

const char *tf_traffic_kind_name(tf_traffic_kind k) {
  return (unsigned)k < N_TRAFFIC_KINDS ? traffic_names[k] : "unknown";
}

int tf_traffic_kind_parse(const char *name, tf_traffic_kind *out) {
  assert(name && out);
  for (size_t i = 0; i < N_TRAFFIC_KINDS; i++) {
    if (strcmp(name, traffic_names[i]) == 0) {
      *out = (tf_traffic_kind)i;
      return 0;
    }
  }
  return TF_FAIL(TF_ENOTFOUND,
                 "unknown arrival process \"%s\" (expected poisson, gamma, piecewise or trace)",
                 name);
}

const char *tf_length_kind_name(tf_length_kind k) {
  return (unsigned)k < N_LENGTH_KINDS ? length_names[k] : "unknown";
}

int tf_length_kind_parse(const char *name, tf_length_kind *out) {
  assert(name && out);
  for (size_t i = 0; i < N_LENGTH_KINDS; i++) {
    if (strcmp(name, length_names[i]) == 0) {
      *out = (tf_length_kind)i;
      return 0;
    }
  }
  return TF_FAIL(TF_ENOTFOUND,
                 "unknown length distribution \"%s\" (expected fixed, uniform, lognormal or "
                 "empirical)",
                 name);
}

/* ---- Numbers in fields ---- */

/* A token count: optional sign, decimal digits. 0 and *out; -1 not an integer; -2 below 1;
 * -3 above TF_LENGTH_MAX_TOKENS. */
static int parse_tokens(const char *s, size_t n, int64_t *out) {
  size_t i = 0;
  int neg = 0;
  if (i < n && (s[i] == '+' || s[i] == '-'))
    neg = s[i++] == '-';
  if (i == n)
    return -1;
  int64_t v = 0;
  int big = 0;
  for (; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    if (!big) {
      v = v * 10 + (s[i] - '0');
      big = v > TF_LENGTH_MAX_TOKENS;
    }
  }
  if (neg && (v > 0 || big))
    return -2;
  if (big)
    return -3;
  if (v < 1)
    return -2;
  *out = v;
  return 0;
}

/* Decimal seconds, "[+-]digits[.digits][e[+-]digits]", to ns rounded to nearest (halves away
 * from zero), exactly: the digits are shifted in decimal, never through a double. 0 and *out;
 * -1 not a number; -2 beyond the int64 ns range (292 years). */
static int parse_seconds_ns(const char *s, size_t n, int64_t *out) {
  char d[64]; /* mantissa digits, leading zeros dropped */
  size_t nd = 0, i = 0;
  long point = 0; /* digits before the decimal point, after leading zeros */
  int neg = 0, any = 0, dot = 0;
  if (i < n && (s[i] == '+' || s[i] == '-'))
    neg = s[i++] == '-';
  for (; i < n; i++) {
    char c = s[i];
    if (c == '.') {
      if (dot)
        return -1;
      dot = 1;
    } else if (c >= '0' && c <= '9') {
      any = 1;
      if (nd == 0 && c == '0') {
        if (dot)
          point--;
        continue;
      }
      if (nd == sizeof d)
        return -1; /* 64 significant digits: not a time anyone wrote */
      d[nd++] = c;
      if (!dot)
        point++;
    } else {
      break;
    }
  }
  if (!any)
    return -1;
  long e = 0;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    int eneg = 0, edig = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
      eneg = s[i++] == '-';
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
      edig = 1;
      if (e < 100000)
        e = e * 10 + (s[i] - '0');
    }
    if (!edig)
      return -1;
    if (eneg)
      e = -e;
  }
  if (i != n)
    return -1;
  if (nd == 0) {
    *out = 0;
    return 0;
  }
  /* The value is 0.d[0]d[1]... * 10^(point + e) s; in ns the first `whole` digits are the integer
   * part. */
  long whole = point + e + 9;
  if (whole > 19)
    return -2;
  int64_t v = 0;
  for (long k = 0; k < whole; k++) {
    int digit = (size_t)k < nd ? d[k] - '0' : 0;
    if (v > (INT64_MAX - digit) / 10)
      return -2;
    v = v * 10 + digit;
  }
  long next = whole < 0 ? -1 : whole; /* the first dropped digit */
  if (next >= 0 && (size_t)next < nd && d[next] >= '5') {
    if (v == INT64_MAX)
      return -2;
    v++;
  }
  *out = neg ? -v : v;
  return 0;
}

static int64_t days_from_civil(int64_t y, int m, int d) {
  /* Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant, "chrono-Compatible
   * Low-Level Date Algorithms", 2013). */
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int read_digits(const char *s, size_t n, size_t *i, int count, int *out) {
  int v = 0;
  for (int k = 0; k < count; k++, (*i)++) {
    if (*i >= n || s[*i] < '0' || s[*i] > '9')
      return -1;
    v = v * 10 + (s[*i] - '0');
  }
  *out = v;
  return 0;
}

/* "YYYY-MM-DD HH:MM:SS[.f...][Z|+HH:MM|-HH:MM]" to ns since 1970-01-01 00:00:00 UTC, exactly.
 * NULL and *out, or what is wrong. Years 1900 to 2200 keep ns in int64. */
static const char *parse_timestamp(const char *s, size_t n, int64_t *out) {
  size_t i = 0;
  int y, mo, d, h, mi, sec;
  const char *bad = "is not a timestamp";
  if (read_digits(s, n, &i, 4, &y) || i >= n || s[i++] != '-' || read_digits(s, n, &i, 2, &mo) ||
      i >= n || s[i++] != '-' || read_digits(s, n, &i, 2, &d) || i >= n ||
      (s[i] != ' ' && s[i] != 'T'))
    return bad;
  i++;
  if (read_digits(s, n, &i, 2, &h) || i >= n || s[i++] != ':' || read_digits(s, n, &i, 2, &mi) ||
      i >= n || s[i++] != ':' || read_digits(s, n, &i, 2, &sec))
    return bad;
  int64_t frac = 0;
  if (i < n && s[i] == '.') {
    i++;
    int digits = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++)
      if (digits < 9)
        frac = frac * 10 + (s[i] - '0');
    if (digits == 0)
      return bad;
    if (digits > 9)
      return "has more than 9 fractional digits";
    for (; digits < 9; digits++)
      frac *= 10;
  }
  int64_t offset_s = 0;
  if (i < n && s[i] == 'Z') {
    i++;
  } else if (i < n && (s[i] == '+' || s[i] == '-')) {
    int sign = s[i++] == '-' ? -1 : 1, oh, om;
    if (read_digits(s, n, &i, 2, &oh) || i >= n || s[i++] != ':' || read_digits(s, n, &i, 2, &om))
      return bad;
    if (oh > 23 || om > 59)
      return "has a UTC offset out of range";
    offset_s = sign * (oh * 3600 + om * 60);
  }
  if (i != n)
    return bad;
  if (y < 1900 || y > 2200)
    return "has a year outside 1900 to 2200";
  if (mo < 1 || mo > 12)
    return "has a month out of range";
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d < 1 || d > mdays[mo - 1] + (mo == 2 && leap))
    return "has a day out of range";
  if (h > 23)
    return "has an hour out of range";
  if (mi > 59)
    return "has a minute out of range";
  if (sec > 59)
    return "has a second out of range";
  int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_s;
  *out = secs * INT64_C(1000000000) + frac;
  return NULL;
}

/* A weight: a finite decimal number >= 0. 0; -1 not a number; -2 negative or not finite. */
static int parse_weight(const char *s, size_t n, double *out) {
  if (n == 0)
    return -1;
  for (size_t i = 0; i < n; i++) /* strtod would also take hex, "inf", "nan" and spaces */
    if (!strchr("0123456789+-.eE", s[i]))
      return -1;
  char *end;
  double v = strtod(s, &end); /* s is NUL-terminated at n (tf_csv_rows's buffer) */
  if (end != s + n)
    return -1;
  if (!(isfinite(v) && v >= 0))
    return -2;
  *out = v;
  return 0;
}

/* Checks a token field; reports and returns -1 if bad. */
static int token_field(tf_csv_rows *rd, size_t col, const char *name, int64_t *out) {
  size_t n;
  const char *s = tf_csv_field(rd, col, &n);
  char txt[64];
  switch (parse_tokens(s, n, out)) {
  case 0:
    return 0;
  case -1:
    if (n == 0)
      tf_csv_problem(rd, rd->row_line, "%s is empty (expected a whole number of tokens >= 1)",
                     name);
    else
      tf_csv_problem(rd, rd->row_line,
                     "%s \"%s\" is not a whole number (expected a whole number of tokens >= 1)",
                     name, tf_csv_show(txt, sizeof txt, s, n));
    return -1;
  case -2:
    tf_csv_problem(rd, rd->row_line, "%s = %s (expected at least 1 token)", name,
                   tf_csv_show(txt, sizeof txt, s, n));
    return -1;
  default:
    tf_csv_problem(rd, rd->row_line, "%s = %s (expected at most %" PRId64 " tokens)", name,
                   tf_csv_show(txt, sizeof txt, s, n), TF_LENGTH_MAX_TOKENS);
    return -1;
  }
}

/* ---- Traces ---- */

struct tf_traffic_trace {
  size_t n;
  int64_t *time_ns; /* relative to the first row, non-decreasing */
  int64_t *input, *output;
};

static tf_traffic_trace *trace_alloc(size_t n) {
  if (n == 0 || n > SIZE_MAX / sizeof(int64_t))
    return NULL;
  tf_traffic_trace *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  t->time_ns = malloc(n * sizeof *t->time_ns);
  t->input = malloc(n * sizeof *t->input);
  t->output = malloc(n * sizeof *t->output);
  if (!t->time_ns || !t->input || !t->output) {
    tf_traffic_trace_destroy(t);
    return NULL;
  }
  t->n = n;
  return t;
}

void tf_traffic_trace_destroy(tf_traffic_trace *t) {
  if (!t)
    return;
  free(t->time_ns);
  free(t->input);
  free(t->output);
  free(t);
}

int tf_traffic_trace_create(tf_traffic_trace **out, size_t n, const int64_t *time_ns,
                            const int64_t *input_tokens, const int64_t *output_tokens) {
  assert(out);
  *out = NULL;
  if (n == 0 || !time_ns || !input_tokens || !output_tokens)
    return TF_FAIL(TF_EINVAL, "trace: %zu rows and %s arrays (expected at least one row)", n,
                   (time_ns && input_tokens && output_tokens) ? "all" : "missing");
  for (size_t i = 0; i < n; i++) {
    if (input_tokens[i] < 1 || input_tokens[i] > TF_LENGTH_MAX_TOKENS || output_tokens[i] < 1 ||
        output_tokens[i] > TF_LENGTH_MAX_TOKENS)
      return TF_FAIL(TF_ERANGE,
                     "trace: row %zu has %" PRId64 " input and %" PRId64
                     " output tokens (expected 1 to %" PRId64 ")",
                     i, input_tokens[i], output_tokens[i], TF_LENGTH_MAX_TOKENS);
    if (i > 0 && time_ns[i] < time_ns[i - 1])
      return TF_FAIL(TF_ERANGE,
                     "trace: time_ns[%zu] = %" PRId64 " is before time_ns[%zu] = %" PRId64
                     " (expected rows in time order)",
                     i, time_ns[i], i - 1, time_ns[i - 1]);
    if (time_ns[0] < 0 && time_ns[i] > INT64_MAX + time_ns[0])
      return TF_FAIL(TF_ERANGE, "trace: time_ns[%zu] is more than 292 years after time_ns[0]", i);
  }
  tf_traffic_trace *t = trace_alloc(n);
  if (!t)
    return TF_FAIL(TF_ENOMEM, "trace: no memory for %zu rows", n);
  for (size_t i = 0; i < n; i++) {
    t->time_ns[i] = time_ns[i] - time_ns[0];
    t->input[i] = input_tokens[i];
    t->output[i] = output_tokens[i];
  }
  *out = t;
  return 0;
}

size_t tf_traffic_trace_count(const tf_traffic_trace *t) {
  assert(t);
  return t->n;
}

int64_t tf_traffic_trace_span_ns(const tf_traffic_trace *t) {
  assert(t && t->n > 0);
  return t->time_ns[t->n - 1];
}

int tf_traffic_trace_request(const tf_traffic_trace *t, size_t i, int64_t *time_ns,
                             int64_t *input_tokens, int64_t *output_tokens) {
  assert(t);
  if (i >= t->n)
    return TF_FAIL(TF_ERANGE, "trace: row %zu of %zu", i, t->n);
  if (time_ns)
    *time_ns = t->time_ns[i];
  if (input_tokens)
    *input_tokens = t->input[i];
  if (output_tokens)
    *output_tokens = t->output[i];
  return 0;
}

#define AZURE_LAYOUT "the Azure layout TIMESTAMP,ContextTokens,GeneratedTokens"
#define TOKENFAB_LAYOUT "the tokenfab layout time_s,input_tokens,output_tokens"

/* Loading state: the columns, the rows so far (absolute times), the previous good time. */
typedef struct trace_load {
  int azure; /* layout */
  const char *time_name, *input_name, *output_name;
  size_t col_time, col_input, col_output, columns;
  int64_t *time_ns, *input, *output;
  size_t n, cap;
  int have_prev;
  int64_t prev_ns;
  int prev_line;
  char prev_text[64];
} trace_load;

static int trace_header(tf_csv_rows *rd) {
  trace_load *L = rd->user;
  static const char *const names[] = {"TIMESTAMP", "ContextTokens", "GeneratedTokens",
                                      "time_s",    "input_tokens",  "output_tokens"};
  size_t col[6];
  int bad = tf_csv_find_columns(rd, names, col, 6);
  L->columns = rd->n_fields;
  int azure = (col[0] != SIZE_MAX) + (col[1] != SIZE_MAX) + (col[2] != SIZE_MAX);
  int tokenfab = (col[3] != SIZE_MAX) + (col[4] != SIZE_MAX) + (col[5] != SIZE_MAX);
  if (col[0] != SIZE_MAX && col[3] != SIZE_MAX) {
    tf_csv_problem(rd, rd->row_line,
                   "both TIMESTAMP and time_s columns (expected one layout: " AZURE_LAYOUT
                   ", or " TOKENFAB_LAYOUT ")");
    return 1;
  }
  if (azure == 0 && tokenfab == 0) {
    char hdr[160];
    tf_csv_problem(rd, rd->row_line,
                   "no trace columns (expected a header row with " AZURE_LAYOUT
                   ", or " TOKENFAB_LAYOUT "; the header is %s)",
                   tf_csv_header_text(rd, hdr, sizeof hdr));
    return 1;
  }
  /* The layout of the time column present, else the one with more of its columns. */
  L->azure = col[0] != SIZE_MAX || (col[3] == SIZE_MAX && azure >= tokenfab);
  const size_t *c = L->azure ? col : col + 3;
  const char *const *nm = L->azure ? names : names + 3;
  for (int k = 0; k < 3; k++) {
    if (c[k] == SIZE_MAX) {
      tf_csv_missing_column(rd, nm[k], L->azure ? AZURE_LAYOUT : TOKENFAB_LAYOUT);
      bad++;
    }
  }
  L->time_name = nm[0];
  L->input_name = nm[1];
  L->output_name = nm[2];
  L->col_time = c[0];
  L->col_input = c[1];
  L->col_output = c[2];
  return bad != 0;
}

static void trace_row(tf_csv_rows *rd) {
  trace_load *L = rd->user;
  if (rd->n_fields != L->columns) {
    tf_csv_problem(rd, rd->row_line, "%zu field%s (expected %zu, one per header column)",
                   rd->n_fields, rd->n_fields == 1 ? "" : "s", L->columns);
    return;
  }
  int bad = 0;
  size_t n;
  const char *s = tf_csv_field(rd, L->col_time, &n);
  char txt[64];
  int64_t t = 0;
  if (L->azure) {
    const char *why = parse_timestamp(s, n, &t);
    if (why) {
      tf_csv_problem(rd, rd->row_line,
                     "TIMESTAMP \"%s\" %s (expected YYYY-MM-DD HH:MM:SS with up to 9 fractional "
                     "digits, e.g. 2023-11-16 18:15:46.6805900)",
                     tf_csv_show(txt, sizeof txt, s, n), why);
      bad = 1;
    }
  } else {
    int rc = parse_seconds_ns(s, n, &t);
    if (rc == -1) {
      tf_csv_problem(rd, rd->row_line,
                     "time_s \"%s\" is not a number (expected seconds as a decimal, e.g. 12.5)",
                     tf_csv_show(txt, sizeof txt, s, n));
      bad = 1;
    } else if (rc == -2) {
      tf_csv_problem(rd, rd->row_line,
                     "time_s = %s is out of range (expected at most 292 years in seconds)",
                     tf_csv_show(txt, sizeof txt, s, n));
      bad = 1;
    }
  }
  if (!bad && L->have_prev && t < L->prev_ns) {
    tf_csv_problem(rd, rd->row_line, "%s %s is before %s at line %d (expected rows in time order)",
                   L->time_name, tf_csv_show(txt, sizeof txt, s, n), L->prev_text, L->prev_line);
    bad = 1;
  } else if (!bad && L->n > 0 && L->time_ns[0] < 0 && t > INT64_MAX + L->time_ns[0]) {
    tf_csv_problem(rd, rd->row_line,
                   "%s %s is more than 292 years after the first row (expected a shorter trace)",
                   L->time_name, tf_csv_show(txt, sizeof txt, s, n));
    bad = 1;
  } else if (!bad) {
    L->have_prev = 1;
    L->prev_ns = t;
    L->prev_line = rd->row_line;
    tf_csv_show(L->prev_text, sizeof L->prev_text, s, n);
  }
  int64_t in = 0, out = 0;
  bad |= token_field(rd, L->col_input, L->input_name, &in) != 0;
  bad |= token_field(rd, L->col_output, L->output_name, &out) != 0;
  if (bad || rd->problems > 0)
    return; /* once anything is wrong the rows are not kept, only checked */
  size_t c1 = L->cap, c2 = L->cap;
  if (tf_grow_array((void **)&L->time_ns, &c1, L->n + 1, sizeof(int64_t)) ||
      tf_grow_array((void **)&L->input, &c2, L->n + 1, sizeof(int64_t)) ||
      tf_grow_array((void **)&L->output, &L->cap, L->n + 1, sizeof(int64_t))) {
    rd->nomem = 1;
    return;
  }
  L->time_ns[L->n] = t;
  L->input[L->n] = in;
  L->output[L->n] = out;
  L->n++;
}

int tf_traffic_trace_load(const char *path, tf_traffic_trace **out, tf_traffic_report_fn report,
                          void *ctx) {
  assert(path && out);
  *out = NULL;
  trace_load L = {0};
  tf_csv_rows rd = {.max_reported = TF_TRAFFIC_MAX_REPORTED,
                    .path = path,
                    .report = report,
                    .ctx = ctx,
                    .expect_header = "TIMESTAMP,ContextTokens,GeneratedTokens (Azure) or "
                                     "time_s,input_tokens,output_tokens (tokenfab)",
                    .on_header = trace_header,
                    .on_row = trace_row,
                    .user = &L};
  int rc = tf_csv_read(&rd);
  if (rc == 0 && rd.problems == 0 && L.n == 0)
    tf_csv_problem(&rd, 0, "no rows after the header (expected at least one request)");
  if (rc == 0 && rd.problems == 0) {
    tf_traffic_trace *t = calloc(1, sizeof *t);
    if (!t) {
      rc = TF_ENOMEM;
    } else {
      int64_t t0 = L.time_ns[0];
      for (size_t i = 0; i < L.n; i++)
        L.time_ns[i] -= t0;
      t->n = L.n;
      t->time_ns = L.time_ns;
      t->input = L.input;
      t->output = L.output;
      L.time_ns = L.input = L.output = NULL;
      *out = t;
    }
  }
  free(L.time_ns);
  free(L.input);
  free(L.output);
  tf_csv_rows_fini(&rd);
  return tf_csv_finish(&rd, rc);
}

/* ---- Length histograms ---- */

struct tf_length_hist {
  size_t n;
  int64_t *lo, *hi;
  double *p; /* weight / total */
  gsl_ran_discrete_t *table;
};

void tf_length_hist_destroy(tf_length_hist *h) {
  if (!h)
    return;
  free(h->lo);
  free(h->hi);
  free(h->p);
  if (h->table)
    gsl_ran_discrete_free(h->table);
  free(h);
}

int tf_length_hist_create(tf_length_hist **out, size_t n, const int64_t *lo, const int64_t *hi,
                          const double *weight) {
  assert(out);
  *out = NULL;
  if (n == 0 || !lo || !hi || !weight)
    return TF_FAIL(TF_EINVAL, "length histogram: %zu bins%s (expected at least one bin)", n,
                   (lo && hi && weight) ? "" : " and missing arrays");
  double total = 0;
  for (size_t i = 0; i < n; i++) {
    if (!(lo[i] >= 1 && lo[i] <= hi[i] && hi[i] <= TF_LENGTH_MAX_TOKENS))
      return TF_FAIL(TF_ERANGE,
                     "length histogram: bin %zu is [%" PRId64 ", %" PRId64
                     "] (expected 1 <= lo <= hi <= %" PRId64 ")",
                     i, lo[i], hi[i], TF_LENGTH_MAX_TOKENS);
    if (!(isfinite(weight[i]) && weight[i] >= 0))
      return TF_FAIL(TF_ERANGE,
                     "length histogram: weight[%zu] = %g (expected a finite number >= 0)", i,
                     weight[i]);
    total += weight[i];
  }
  if (!(total > 0 && isfinite(total)))
    return TF_FAIL(TF_ERANGE, "length histogram: total weight %g (expected a finite number > 0)",
                   total);
  tf_length_hist *h = calloc(1, sizeof *h);
  if (!h)
    return TF_FAIL(TF_ENOMEM, "length histogram: no memory for %zu bins", n);
  h->n = n;
  h->lo = malloc(n * sizeof *h->lo);
  h->hi = malloc(n * sizeof *h->hi);
  h->p = malloc(n * sizeof *h->p);
  if (h->lo && h->hi && h->p) {
    for (size_t i = 0; i < n; i++) {
      h->lo[i] = lo[i];
      h->hi[i] = hi[i];
      h->p[i] = weight[i] / total;
    }
    h->table = gsl_ran_discrete_preproc(n, h->p);
  }
  if (!h->table) {
    tf_length_hist_destroy(h);
    return TF_FAIL(TF_ENOMEM, "length histogram: no memory for %zu bins", n);
  }
  *out = h;
  return 0;
}

size_t tf_length_hist_bins(const tf_length_hist *h) {
  assert(h);
  return h->n;
}

int tf_length_hist_bin(const tf_length_hist *h, size_t i, int64_t *lo, int64_t *hi, double *p) {
  assert(h);
  if (i >= h->n)
    return TF_FAIL(TF_ERANGE, "length histogram: bin %zu of %zu", i, h->n);
  if (lo)
    *lo = h->lo[i];
  if (hi)
    *hi = h->hi[i];
  if (p)
    *p = h->p[i];
  return 0;
}

typedef struct hist_load {
  size_t col_lo, col_hi, col_weight, columns;
  int64_t *lo, *hi;
  double *w;
  size_t n, cap;
  double total;
} hist_load;

static int hist_header(tf_csv_rows *rd) {
  hist_load *L = rd->user;
  static const char *const names[] = {"lo", "hi", "weight"};
  size_t col[3];
  int bad = tf_csv_find_columns(rd, names, col, 3);
  for (int k = 0; k < 3; k++) {
    if (col[k] == SIZE_MAX) {
      tf_csv_missing_column(rd, names[k], "the histogram layout lo,hi,weight");
      bad++;
    }
  }
  L->col_lo = col[0];
  L->col_hi = col[1];
  L->col_weight = col[2];
  L->columns = rd->n_fields;
  return bad != 0;
}

static void hist_row(tf_csv_rows *rd) {
  hist_load *L = rd->user;
  if (rd->n_fields != L->columns) {
    tf_csv_problem(rd, rd->row_line, "%zu field%s (expected %zu, one per header column)",
                   rd->n_fields, rd->n_fields == 1 ? "" : "s", L->columns);
    return;
  }
  int64_t lo = 0, hi = 0;
  int bad_lo = token_field(rd, L->col_lo, "lo", &lo) != 0;
  int bad_hi = token_field(rd, L->col_hi, "hi", &hi) != 0;
  int bad = bad_lo || bad_hi;
  if (!bad && hi < lo) {
    tf_csv_problem(rd, rd->row_line,
                   "hi = %" PRId64 " is below lo = %" PRId64 " (expected lo <= hi: a bin's tokens "
                   "from lo to hi inclusive)",
                   hi, lo);
    bad = 1;
  }
  size_t n;
  const char *s = tf_csv_field(rd, L->col_weight, &n);
  char txt[64];
  double w = 0;
  int rc = parse_weight(s, n, &w);
  if (rc) {
    if (rc == -1)
      tf_csv_problem(rd, rd->row_line, "weight \"%s\" is not a number (expected a number >= 0)",
                     tf_csv_show(txt, sizeof txt, s, n));
    else
      tf_csv_problem(rd, rd->row_line, "weight = %s (expected a finite number >= 0)",
                     tf_csv_show(txt, sizeof txt, s, n));
    bad = 1;
  }
  if (bad || rd->problems > 0)
    return;
  size_t c1 = L->cap, c2 = L->cap;
  if (tf_grow_array((void **)&L->lo, &c1, L->n + 1, sizeof(int64_t)) ||
      tf_grow_array((void **)&L->hi, &c2, L->n + 1, sizeof(int64_t)) ||
      tf_grow_array((void **)&L->w, &L->cap, L->n + 1, sizeof(double))) {
    rd->nomem = 1;
    return;
  }
  L->lo[L->n] = lo;
  L->hi[L->n] = hi;
  L->w[L->n] = w;
  L->total += w;
  L->n++;
}

int tf_length_hist_load(const char *path, tf_length_hist **out, tf_traffic_report_fn report,
                        void *ctx) {
  assert(path && out);
  *out = NULL;
  hist_load L = {0};
  tf_csv_rows rd = {.max_reported = TF_TRAFFIC_MAX_REPORTED,
                    .path = path,
                    .report = report,
                    .ctx = ctx,
                    .expect_header = "lo,hi,weight",
                    .on_header = hist_header,
                    .on_row = hist_row,
                    .user = &L};
  int rc = tf_csv_read(&rd);
  if (rc == 0 && rd.problems == 0 && L.n == 0)
    tf_csv_problem(&rd, 0, "no rows after the header (expected at least one lo,hi,weight bin)");
  else if (rc == 0 && rd.problems == 0 && !(L.total > 0 && isfinite(L.total)))
    tf_csv_problem(&rd, 0, "total weight is %g (expected a finite total > 0)", L.total);
  if (rc == 0 && rd.problems == 0) {
    rc = tf_length_hist_create(out, L.n, L.lo, L.hi, L.w);
    if (rc == TF_ENOMEM)
      rd.nomem = 1;
    else
      assert(rc == 0); /* every row was checked as create checks it */
  }
  free(L.lo);
  free(L.hi);
  free(L.w);
  tf_csv_rows_fini(&rd);
  return tf_csv_finish(&rd, rc);
}

/* ---- Arrival processes ---- */

static int check_rate(const char *kind, const char *name, double v, int zero_ok) {
  if (!(isfinite(v) && (zero_ok ? v >= 0 : v > 0) && v <= TF_TRAFFIC_MAX_RATE_PER_S))
    return TF_FAIL(TF_ERANGE, "arrivals: %s %s = %g (expected a number in %s0, %g])", kind, name, v,
                   zero_ok ? "[" : "(", TF_TRAFFIC_MAX_RATE_PER_S);
  return 0;
}

/* The loop period of a trace of n >= 2 rows and nonzero span: span plus its mean gap. */
static int64_t trace_period_ns(const tf_traffic_trace *t) {
  int64_t span = t->time_ns[t->n - 1];
  return span + (int64_t)llround((double)span / (double)(t->n - 1));
}

int tf_traffic_check(const tf_traffic_arrivals *a) {
  assert(a);
  const char *kind = tf_traffic_kind_name(a->kind);
  switch (a->kind) {
  case TF_TRAFFIC_POISSON:
    return check_rate(kind, "rate_per_s", a->rate_per_s, 0);
  case TF_TRAFFIC_GAMMA: {
    int rc = check_rate(kind, "rate_per_s", a->rate_per_s, 0);
    if (rc)
      return rc;
    if (!(isfinite(a->cv) && a->cv > 0 && a->cv <= TF_TRAFFIC_MAX_CV))
      return TF_FAIL(TF_ERANGE, "arrivals: gamma cv = %g (expected a number in (0, %g])", a->cv,
                     TF_TRAFFIC_MAX_CV);
    return 0;
  }
  case TF_TRAFFIC_PIECEWISE: {
    size_t n = a->pieces;
    if (n == 0)
      return TF_FAIL(TF_EINVAL, "arrivals: piecewise pieces = 0 (expected at least one piece)");
    if (!a->piece_start_ns || !a->piece_rate_per_s)
      return TF_FAIL(TF_EINVAL, "arrivals: piecewise %s is NULL (expected %zu values)",
                     a->piece_start_ns ? "piece_rate_per_s" : "piece_start_ns", n);
    if (a->piece_start_ns[0] != 0)
      return TF_FAIL(TF_ERANGE,
                     "arrivals: piecewise piece_start_ns[0] = %" PRId64
                     " (expected 0: breakpoints count from the process start)",
                     a->piece_start_ns[0]);
    for (size_t i = 0; i < n; i++) {
      if (i > 0 && a->piece_start_ns[i] <= a->piece_start_ns[i - 1])
        return TF_FAIL(TF_EINVAL,
                       "arrivals: piecewise piece_start_ns[%zu] = %" PRId64
                       " is not after piece_start_ns[%zu] = %" PRId64
                       " (expected strictly increasing breakpoints)",
                       i, a->piece_start_ns[i], i - 1, a->piece_start_ns[i - 1]);
      char name[48];
      snprintf(name, sizeof name, "piece_rate_per_s[%zu]", i);
      int rc = check_rate(kind, name, a->piece_rate_per_s[i], 1);
      if (rc)
        return rc;
    }
    if (a->period_ns < 0 || (a->period_ns != 0 && a->period_ns <= a->piece_start_ns[n - 1]))
      return TF_FAIL(TF_ERANGE,
                     "arrivals: piecewise period_ns = %" PRId64
                     " (expected 0 for no repetition, or a period after the last breakpoint "
                     "piece_start_ns[%zu] = %" PRId64 ")",
                     a->period_ns, n - 1, a->piece_start_ns[n - 1]);
    return 0;
  }
  case TF_TRAFFIC_TRACE: {
    if (!a->trace)
      return TF_FAIL(TF_EINVAL, "arrivals: trace trace is NULL (expected a loaded trace)");
    if (!(isfinite(a->time_scale) && a->time_scale > 0))
      return TF_FAIL(TF_ERANGE, "arrivals: trace time_scale = %g (expected a number > 0)",
                     a->time_scale);
    int64_t span = tf_traffic_trace_span_ns(a->trace);
    if (!((double)span * a->time_scale < 0x1p62))
      return TF_FAIL(TF_ERANGE,
                     "arrivals: trace time_scale = %g stretches the trace's %" PRId64
                     " ns past the clock's range (expected a smaller scale)",
                     a->time_scale, span);
    if (a->loop && (a->trace->n < 2 || span == 0))
      return TF_FAIL(TF_ERANGE,
                     "arrivals: trace loop = %d with a trace of %zu rows over %" PRId64
                     " ns (expected two rows or more, not all at one instant, to repeat)",
                     a->loop, a->trace->n, span);
    return 0;
  }
  }
  return TF_FAIL(TF_EINVAL, "arrivals: kind = %d (expected poisson, gamma, piecewise or trace)",
                 (int)a->kind);
}

void tf_traffic_state_init(tf_traffic_state *st, const tf_traffic_arrivals *a, int64_t start_ns) {
  assert(st && a);
  (void)a;
  memset(st, 0, sizeof *st);
  st->origin_ns = start_ns;
  st->last_ns = start_ns;
}

static int past_clock(void) {
  return TF_FAIL(TF_ERANGE, "arrivals: the next arrival is past the clock's range (INT64_MAX ns, "
                            "292 years)");
}

/* The process's exact position moves to base_ns + offset_ns; the arrival is that rounded to the
 * nearest ns, but at least 1 ns after the previous arrival (the stretch is carried in resid_ns and
 * taken back from later gaps, so the long-run rate stays exact). */
static int arrive(tf_traffic_state *st, int64_t base_ns, double offset_ns, int64_t *next_ns) {
  assert(isfinite(offset_ns));
  double whole = floor(offset_ns + 0.5);
  if (!(whole < 0x1p63 - (double)base_ns - 1024.0))
    return past_clock();
  int64_t t = base_ns + (int64_t)whole;
  if (t <= st->last_ns) {
    if (st->last_ns == INT64_MAX)
      return past_clock();
    t = st->last_ns + 1;
  }
  st->resid_ns = (double)(base_ns - t) + offset_ns;
  st->last_ns = t;
  st->started = 1;
  *next_ns = t;
  return 0;
}

/* The integral of the rate over one period of a periodic piecewise profile, in (arrivals per s)
 * x ns: whole-ns lengths times rates, divided only at the end. */
static double period_rate_ns(const tf_traffic_arrivals *a) {
  double m = 0;
  for (size_t i = 0; i < a->pieces; i++) {
    int64_t end = i + 1 < a->pieces ? a->piece_start_ns[i + 1] : a->period_ns;
    m += a->piece_rate_per_s[i] * (double)(end - a->piece_start_ns[i]);
  }
  return m;
}

/* Non-homogeneous Poisson by inversion of the cumulative intensity: the next arrival comes when
 * the integral of the rate from the current position reaches an Exp(1) draw, walked piece by
 * piece (whole periods skipped at once). One draw per arrival, no rejections. */
static int piecewise_next(const tf_traffic_arrivals *a, tf_traffic_state *st, gsl_rng *r,
                          int64_t *next_ns) {
  const size_t n = a->pieces;
  const int64_t period = a->period_ns;
  double e = gsl_ran_exponential(r, 1.0);
  int64_t base = st->last_ns;
  double off = st->resid_ns;
  size_t i = st->piece;
  uint64_t c = st->cycle;
  /* The start of cycle c; cycles before INT64_MAX only (checked as c grows). */
  int64_t cycle_start = st->origin_ns + (int64_t)c * period;
  for (;;) {
    int open_end = i + 1 == n && period == 0;
    int64_t end = 0;
    if (!open_end) {
      int64_t rel_end = i + 1 < n ? a->piece_start_ns[i + 1] : period;
      if (cycle_start > INT64_MAX - rel_end)
        return past_clock();
      end = cycle_start + rel_end;
    }
    double rate_ns = a->piece_rate_per_s[i] * 1e-9;
    double room = open_end ? INFINITY : (double)(end - base) - off;
    if (rate_ns > 0) {
      double need = e / rate_ns;
      if (need < room) {
        st->piece = i;
        st->cycle = c;
        return arrive(st, base, off + need, next_ns);
      }
      e -= room * rate_ns;
    } else if (open_end) {
      st->ended = 1;
      return TF_ENOTFOUND;
    }
    base = end;
    off = 0;
    if (++i < n)
      continue;
    /* A new period. */
    i = 0;
    c++;
    cycle_start = end;
    double mass = period_rate_ns(a) * 1e-9; /* expected arrivals a period */
    if (mass <= 0) {
      st->ended = 1;
      return TF_ENOTFOUND;
    }
    if (e >= mass) {
      double skip = floor(e / mass);
      if (!(skip * (double)period < 0x1p63 - (double)cycle_start - 1e6))
        return past_clock();
      e -= skip * mass;
      if (e < 0)
        e = 0;
      c += (uint64_t)skip;
      cycle_start += (int64_t)skip * period;
      base = cycle_start;
    }
  }
}

static int trace_next(const tf_traffic_arrivals *a, tf_traffic_state *st, int64_t *next_ns) {
  const tf_traffic_trace *t = a->trace;
  size_t i = st->piece;
  if (i == t->n) {
    if (!a->loop) {
      st->ended = 1;
      return TF_ENOTFOUND;
    }
    i = 0;
    st->cycle++;
  }
  int64_t rel = t->time_ns[i];
  if (st->cycle > 0) {
    int64_t period = trace_period_ns(t);
    if (st->cycle > (uint64_t)((INT64_MAX - rel) / period))
      return past_clock();
    rel += (int64_t)st->cycle * period;
  }
  int64_t scaled = rel;
  if (a->time_scale != 1.0) {
    double x = floor((double)rel * a->time_scale + 0.5);
    if (!(x < 0x1p63))
      return past_clock();
    scaled = (int64_t)x;
  }
  if (st->origin_ns > INT64_MAX - scaled)
    return past_clock();
  int64_t when = st->origin_ns + scaled;
  st->row = i;
  st->piece = i + 1;
  st->last_ns = when;
  st->started = 1;
  *next_ns = when;
  return 0;
}

int tf_traffic_next(const tf_traffic_arrivals *a, tf_traffic_state *st, gsl_rng *r,
                    int64_t *next_ns) {
  assert(a && st && next_ns);
  if (st->ended)
    return TF_ENOTFOUND;
  switch (a->kind) {
  case TF_TRAFFIC_POISSON: {
    assert(r);
    double gap_ns = gsl_ran_exponential(r, 1e9 / a->rate_per_s);
    return arrive(st, st->last_ns, st->resid_ns + gap_ns, next_ns);
  }
  case TF_TRAFFIC_GAMMA: {
    assert(r);
    /* Shape k = 1/cv^2, scale 1/(rate k) so the mean gap is 1/rate. The first gap is the
     * equilibrium residual life, U times a length-biased gap (D. R. Cox, Renewal Theory,
     * Methuen 1962, the equilibrium renewal process); the length-biased gamma(k, theta), density
     * x f(x) / (k theta), is gamma(k + 1, theta). The process is then stationary from its start:
     * E[N(0, t)] = rate t exactly, where an ordinary start would add about (cv^2 - 1)/2. */
    double k = 1.0 / (a->cv * a->cv);
    double theta_ns = 1e9 / (a->rate_per_s * k);
    double gap_ns = st->started ? gsl_ran_gamma(r, k, theta_ns)
                                : gsl_rng_uniform(r) * gsl_ran_gamma(r, k + 1.0, theta_ns);
    return arrive(st, st->last_ns, st->resid_ns + gap_ns, next_ns);
  }
  case TF_TRAFFIC_PIECEWISE:
    assert(r);
    return piecewise_next(a, st, r, next_ns);
  case TF_TRAFFIC_TRACE:
    return trace_next(a, st, next_ns);
  }
  assert(0 && "tf_traffic_next: unknown kind");
  return TF_FAIL(TF_EINVAL, "arrivals: kind = %d", (int)a->kind);
}

double tf_traffic_mean_rate(const tf_traffic_arrivals *a) {
  assert(a);
  switch (a->kind) {
  case TF_TRAFFIC_POISSON:
  case TF_TRAFFIC_GAMMA:
    return a->rate_per_s;
  case TF_TRAFFIC_PIECEWISE:
    if (a->period_ns == 0)
      return a->piece_rate_per_s[a->pieces - 1];
    return period_rate_ns(a) / (double)a->period_ns;
  case TF_TRAFFIC_TRACE: {
    const tf_traffic_trace *t = a->trace;
    if (t->n < 2 || t->time_ns[t->n - 1] == 0)
      return NAN;
    return (double)t->n * 1e9 / ((double)trace_period_ns(t) * a->time_scale);
  }
  }
  return NAN;
}

/* ---- Request lengths ---- */

static int64_t effective_cap(const tf_length_dist *d) {
  return d->cap > 0 ? d->cap : TF_LENGTH_MAX_TOKENS;
}

static int check_tokens(const char *kind, const char *name, int64_t v) {
  if (v < 1 || v > TF_LENGTH_MAX_TOKENS)
    return TF_FAIL(TF_ERANGE, "length: %s %s = %" PRId64 " (expected 1 to %" PRId64 " tokens)",
                   kind, name, v, TF_LENGTH_MAX_TOKENS);
  return 0;
}

int tf_length_check(const tf_length_dist *d) {
  assert(d);
  const char *kind = tf_length_kind_name(d->kind);
  if (d->cap != 0) {
    int rc = check_tokens(kind, "cap", d->cap);
    if (rc)
      return rc;
  }
  switch (d->kind) {
  case TF_LENGTH_FIXED:
    return check_tokens(kind, "value", d->value);
  case TF_LENGTH_UNIFORM: {
    int rc = check_tokens(kind, "min", d->min);
    rc = rc ? rc : check_tokens(kind, "max", d->max);
    if (rc)
      return rc;
    if (d->min > d->max)
      return TF_FAIL(TF_ERANGE,
                     "length: uniform min = %" PRId64 " is above max = %" PRId64
                     " (expected min <= max, both inclusive)",
                     d->min, d->max);
    return 0;
  }
  case TF_LENGTH_LOGNORMAL:
    if (!(isfinite(d->mean) && d->mean > 0 && d->mean <= (double)TF_LENGTH_MAX_TOKENS))
      return TF_FAIL(TF_ERANGE,
                     "length: lognormal mean = %g (expected a number in (0, %" PRId64 "])", d->mean,
                     TF_LENGTH_MAX_TOKENS);
    if (!(isfinite(d->cv) && d->cv > 0 && d->cv <= 100))
      return TF_FAIL(TF_ERANGE, "length: lognormal cv = %g (expected a number in (0, 100])", d->cv);
    return 0;
  case TF_LENGTH_EMPIRICAL:
    if (!d->hist)
      return TF_FAIL(TF_EINVAL, "length: empirical hist is NULL (expected a loaded histogram)");
    return 0;
  }
  return TF_FAIL(TF_EINVAL, "length: kind = %d (expected fixed, uniform, lognormal or empirical)",
                 (int)d->kind);
}

/* An integer uniform on lo..hi inclusive (gsl_rng_uniform_int: exact, by rejection). */
static int64_t uniform_between(gsl_rng *r, int64_t lo, int64_t hi) {
  unsigned long width = (unsigned long)(hi - lo) + 1;
  assert(width - 1 <= gsl_rng_max(r) - gsl_rng_min(r));
  return lo + (int64_t)gsl_rng_uniform_int(r, width);
}

int tf_length_sample(const tf_length_dist *d, gsl_rng *r, int64_t *out) {
  assert(d && r && out);
  int64_t c = effective_cap(d), v;
  switch (d->kind) {
  case TF_LENGTH_FIXED:
    v = d->value;
    break;
  case TF_LENGTH_UNIFORM:
    v = uniform_between(r, d->min, d->max);
    break;
  case TF_LENGTH_LOGNORMAL: {
    /* sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2/2 (as models/dist.c). */
    double s2 = log1p(d->cv * d->cv);
    double x = gsl_ran_lognormal(r, log(d->mean) - 0.5 * s2, sqrt(s2));
    if (!(x < (double)c - 0.5))
      v = c;
    else if (x < 1.5)
      v = 1;
    else
      v = (int64_t)floor(x + 0.5);
    break;
  }
  case TF_LENGTH_EMPIRICAL: {
    const tf_length_hist *h = d->hist;
    size_t i = gsl_ran_discrete(r, h->table);
    v = uniform_between(r, h->lo[i], h->hi[i]);
    break;
  }
  default:
    assert(0 && "tf_length_sample: unknown kind");
    return TF_FAIL(TF_EINVAL, "length: kind = %d", (int)d->kind);
  }
  *out = v < c ? v : c;
  return 0;
}

/* Mean of min(K, c) for K uniform on the integers a..b. */
static double uniform_capped_mean(int64_t a, int64_t b, int64_t c) {
  if (c >= b)
    return 0.5 * ((double)a + (double)b);
  if (c <= a)
    return (double)c;
  double below = 0.5 * (double)(c - a) * (double)(a + c - 1); /* a + ... + (c - 1) */
  double at_cap = (double)(b - c + 1) * (double)c;
  return (below + at_cap) / (double)(b - a + 1);
}

/* E[min(c, max(1, round(X)))] for X lognormal(mu, s), as the header describes. */
static double lognormal_rounded_mean(double mean, double cv, int64_t c) {
  if (c == 1)
    return 1.0;
  double s2 = log1p(cv * cv), s = sqrt(s2), mu = log(mean) - 0.5 * s2;
  /* P(X >= x); exactly 1.0 in double below exp(mu - 38 s). */
  double q1 = exp(mu - 38.0 * s);
  int64_t k1 = q1 >= (double)c ? c : (int64_t)floor(q1 + 0.5);
  if (k1 < 1)
    k1 = 1;
  double sum = 1.0 + (double)(k1 - 1);
  int64_t k2 = c - k1 > 4096 ? k1 + 4096 : c;
  for (int64_t k = k1 + 1; k <= k2; k++)
    sum += gsl_cdf_ugaussian_Q((log((double)k - 0.5) - mu) / s);
  if (k2 < c) {
    /* sum_{k=k2+1}^{c} P(X >= k - 1/2) by the midpoint rule: the integral of P(X >= x) over
     * [k2, c], which is E[(X - k2)+] - E[(X - c)+], with E[(X - a)+] = mean Q(d - s) - a Q(d),
     * d = (ln a - mu)/s; plus the rule's first correction (pdf(c) - pdf(k2)) / 24. Past 4096
     * terms beyond the bulk's start the pdf is smooth on the scale of one token, so what is left
     * is of order pdf'' / 1000. */
    double a1 = (double)k2, a2 = (double)c;
    double d1 = (log(a1) - mu) / s, d2 = (log(a2) - mu) / s;
    double ex1 = mean * gsl_cdf_ugaussian_Q(d1 - s) - a1 * gsl_cdf_ugaussian_Q(d1);
    double ex2 = mean * gsl_cdf_ugaussian_Q(d2 - s) - a2 * gsl_cdf_ugaussian_Q(d2);
    sum +=
        (ex1 - ex2) + (gsl_ran_lognormal_pdf(a2, mu, s) - gsl_ran_lognormal_pdf(a1, mu, s)) / 24.0;
  }
  return sum;
}

double tf_length_mean(const tf_length_dist *d) {
  assert(d);
  int64_t c = effective_cap(d);
  switch (d->kind) {
  case TF_LENGTH_FIXED:
    return (double)(d->value < c ? d->value : c);
  case TF_LENGTH_UNIFORM:
    return uniform_capped_mean(d->min, d->max, c);
  case TF_LENGTH_LOGNORMAL:
    return lognormal_rounded_mean(d->mean, d->cv, c);
  case TF_LENGTH_EMPIRICAL: {
    const tf_length_hist *h = d->hist;
    double m = 0;
    for (size_t i = 0; i < h->n; i++)
      m += h->p[i] * uniform_capped_mean(h->lo[i], h->hi[i], c);
    return m;
  }
  }
  return NAN;
}
