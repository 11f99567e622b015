/* Unit table, quantity parser (double and exact integer paths) and human formatter. */
#include "units.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "suggest.h"

/* One accepted unit: si = number * mul / div (two factors so that "0.08 USD/kWh" is the correctly
 * rounded 0.08 / 3.6e6 and "3 /min" is exactly 3 / 60), plus unit_offset for Celsius. ns is the
 * exact nanoseconds per unit for times (0 otherwise). display marks the units tf_unit_format may
 * choose. */
typedef struct unit {
  const char *symbol;
  tf_unit_kind kind;
  double mul, div;
  int64_t ns;
  bool display;
} unit;

/* Order matters twice: within a kind, display units run from largest to smallest (the
 * formatter takes the first that keeps the number >= 1), and suggestions prefer earlier rows. */
static const unit units[] = {
    {"GW", TF_UNIT_POWER, 1e9, 1, 0, true},
    {"MW", TF_UNIT_POWER, 1e6, 1, 0, true},
    {"kW", TF_UNIT_POWER, 1e3, 1, 0, true},
    {"W", TF_UNIT_POWER, 1, 1, 0, true},

    {"GWh", TF_UNIT_ENERGY, 3.6e12, 1, 0, true},
    {"MWh", TF_UNIT_ENERGY, 3.6e9, 1, 0, true},
    {"kWh", TF_UNIT_ENERGY, 3.6e6, 1, 0, true},
    {"Wh", TF_UNIT_ENERGY, 3600, 1, 0, true},
    {"GJ", TF_UNIT_ENERGY, 1e9, 1, 0, false},
    {"MJ", TF_UNIT_ENERGY, 1e6, 1, 0, false},
    {"kJ", TF_UNIT_ENERGY, 1e3, 1, 0, false},
    {"J", TF_UNIT_ENERGY, 1, 1, 0, true},

    {"PB", TF_UNIT_BYTES, 1e15, 1, 0, true},
    {"TB", TF_UNIT_BYTES, 1e12, 1, 0, true},
    {"GB", TF_UNIT_BYTES, 1e9, 1, 0, true},
    {"MB", TF_UNIT_BYTES, 1e6, 1, 0, true},
    {"kB", TF_UNIT_BYTES, 1e3, 1, 0, true},
    {"KB", TF_UNIT_BYTES, 1e3, 1, 0, false},
    {"B", TF_UNIT_BYTES, 1, 1, 0, true},
    {"PiB", TF_UNIT_BYTES, 1125899906842624.0, 1, 0, false},
    {"TiB", TF_UNIT_BYTES, 1099511627776.0, 1, 0, false},
    {"GiB", TF_UNIT_BYTES, 1073741824.0, 1, 0, false},
    {"MiB", TF_UNIT_BYTES, 1048576.0, 1, 0, false},
    {"KiB", TF_UNIT_BYTES, 1024.0, 1, 0, false},

    {"TB/s", TF_UNIT_BANDWIDTH, 1e12, 1, 0, true},
    {"GB/s", TF_UNIT_BANDWIDTH, 1e9, 1, 0, true},
    {"MB/s", TF_UNIT_BANDWIDTH, 1e6, 1, 0, true},
    {"kB/s", TF_UNIT_BANDWIDTH, 1e3, 1, 0, true},
    {"KB/s", TF_UNIT_BANDWIDTH, 1e3, 1, 0, false},
    {"B/s", TF_UNIT_BANDWIDTH, 1, 1, 0, true},
    {"TiB/s", TF_UNIT_BANDWIDTH, 1099511627776.0, 1, 0, false},
    {"GiB/s", TF_UNIT_BANDWIDTH, 1073741824.0, 1, 0, false},
    {"MiB/s", TF_UNIT_BANDWIDTH, 1048576.0, 1, 0, false},
    {"KiB/s", TF_UNIT_BANDWIDTH, 1024.0, 1, 0, false},
    {"Tb/s", TF_UNIT_BANDWIDTH, 1e12, 8, 0, false},
    {"Gb/s", TF_UNIT_BANDWIDTH, 1e9, 8, 0, false},
    {"Mb/s", TF_UNIT_BANDWIDTH, 1e6, 8, 0, false},
    {"kb/s", TF_UNIT_BANDWIDTH, 1e3, 8, 0, false},
    {"b/s", TF_UNIT_BANDWIDTH, 1, 8, 0, false},
    {"Tbps", TF_UNIT_BANDWIDTH, 1e12, 8, 0, false},
    {"Gbps", TF_UNIT_BANDWIDTH, 1e9, 8, 0, false},
    {"Mbps", TF_UNIT_BANDWIDTH, 1e6, 8, 0, false},
    {"Kbps", TF_UNIT_BANDWIDTH, 1e3, 8, 0, false},
    {"bps", TF_UNIT_BANDWIDTH, 1, 8, 0, false},

    {"EFLOP/s", TF_UNIT_COMPUTE, 1e18, 1, 0, true},
    {"PFLOP/s", TF_UNIT_COMPUTE, 1e15, 1, 0, true},
    {"TFLOP/s", TF_UNIT_COMPUTE, 1e12, 1, 0, true},
    {"GFLOP/s", TF_UNIT_COMPUTE, 1e9, 1, 0, true},
    {"MFLOP/s", TF_UNIT_COMPUTE, 1e6, 1, 0, true},
    {"kFLOP/s", TF_UNIT_COMPUTE, 1e3, 1, 0, true},
    {"FLOP/s", TF_UNIT_COMPUTE, 1, 1, 0, true},
    {"EFLOPS", TF_UNIT_COMPUTE, 1e18, 1, 0, false},
    {"PFLOPS", TF_UNIT_COMPUTE, 1e15, 1, 0, false},
    {"TFLOPS", TF_UNIT_COMPUTE, 1e12, 1, 0, false},
    {"GFLOPS", TF_UNIT_COMPUTE, 1e9, 1, 0, false},
    {"MFLOPS", TF_UNIT_COMPUTE, 1e6, 1, 0, false},
    {"kFLOPS", TF_UNIT_COMPUTE, 1e3, 1, 0, false},
    {"FLOPS", TF_UNIT_COMPUTE, 1, 1, 0, false},

    /* A year is the Julian year, 365.25 d (docs/SCENARIOS.md). */
    {"y", TF_UNIT_TIME, 31557600, 1, INT64_C(31557600000000000), false},
    {"d", TF_UNIT_TIME, 86400, 1, INT64_C(86400000000000), true},
    {"h", TF_UNIT_TIME, 3600, 1, INT64_C(3600000000000), true},
    {"min", TF_UNIT_TIME, 60, 1, INT64_C(60000000000), true},
    {"s", TF_UNIT_TIME, 1, 1, INT64_C(1000000000), true},
    {"ms", TF_UNIT_TIME, 1, 1e3, INT64_C(1000000), true},
    {"us", TF_UNIT_TIME, 1, 1e6, INT64_C(1000), true},
    {"\xC2\xB5s", TF_UNIT_TIME, 1, 1e6, INT64_C(1000), false}, /* µs, MICRO SIGN */
    {"\xCE\xBCs", TF_UNIT_TIME, 1, 1e6, INT64_C(1000), false}, /* μs, GREEK SMALL LETTER MU */
    {"ns", TF_UNIT_TIME, 1, 1e9, INT64_C(1), true},

    {"USD", TF_UNIT_MONEY, 1, 1, 0, true},

    {"USD/kWh", TF_UNIT_ENERGY_PRICE, 1, 3.6e6, 0, true},
    {"USD/MWh", TF_UNIT_ENERGY_PRICE, 1, 3.6e9, 0, false},
    {"USD/J", TF_UNIT_ENERGY_PRICE, 1, 1, 0, false},

    {"USD/GPU-hour", TF_UNIT_RENTAL_PRICE, 1, 3600, 0, true},
    {"USD/GPU-h", TF_UNIT_RENTAL_PRICE, 1, 3600, 0, false},
    {"USD/GPU-month", TF_UNIT_RENTAL_PRICE, 1, 2629800, 0, false},
    {"USD/GPU-year", TF_UNIT_RENTAL_PRICE, 1, 31557600, 0, false},

    /* A month is a twelfth of the Julian year: 2629800 s. */
    {"USD/kW-month", TF_UNIT_POWER_RENT, 1, 1e3 * 2629800, 0, true},
    {"USD/kW-year", TF_UNIT_POWER_RENT, 1, 1e3 * 31557600, 0, false},

    {"USD/Mtok", TF_UNIT_TOKEN_PRICE, 1, 1e6, 0, true},
    {"USD/Mtoken", TF_UNIT_TOKEN_PRICE, 1, 1e6, 0, false},
    {"USD/ktok", TF_UNIT_TOKEN_PRICE, 1, 1e3, 0, false},
    {"USD/token", TF_UNIT_TOKEN_PRICE, 1, 1, 0, false},

    {"USD/kW", TF_UNIT_POWER_PRICE, 1, 1e3, 0, true},
    {"USD/MW", TF_UNIT_POWER_PRICE, 1, 1e6, 0, false},
    {"USD/W", TF_UNIT_POWER_PRICE, 1, 1, 0, false},

    {"/s", TF_UNIT_RATE, 1, 1, 0, true},
    {"/min", TF_UNIT_RATE, 1, 60, 0, false},
    {"/h", TF_UNIT_RATE, 1, 3600, 0, false},
    {"/d", TF_UNIT_RATE, 1, 86400, 0, false},
    {"req/s", TF_UNIT_RATE, 1, 1, 0, false},
    {"req/min", TF_UNIT_RATE, 1, 60, 0, false},
    {"req/h", TF_UNIT_RATE, 1, 3600, 0, false},

    {"%", TF_UNIT_RATIO, 1, 100, 0, false},

    /* Celsius is the one display unit, so temperatures print as written; 0 C is 273.15 K
     * (SI brochure, 9th ed., 2.3.4). */
    {"C", TF_UNIT_TEMPERATURE, 1, 1, 0, true},
    {"\xC2\xB0" "C", TF_UNIT_TEMPERATURE, 1, 1, 0, false}, /* °C, DEGREE SIGN */
    {"K", TF_UNIT_TEMPERATURE, 1, 1, 0, false},

    /* A kelvin and a degree Celsius are the same step. */
    {"/K", TF_UNIT_PER_TEMPERATURE, 1, 1, 0, true},
    {"/C", TF_UNIT_PER_TEMPERATURE, 1, 1, 0, false},
    {"/\xC2\xB0" "C", TF_UNIT_PER_TEMPERATURE, 1, 1, 0, false}, /* /°C */
};
enum { N_UNITS = sizeof units / sizeof units[0] };

/* What a unit adds after scaling: 273.15 K for Celsius temperatures (the kelvin of 0 C, SI
 * brochure, 9th ed., 2.3.4); 0 for every other unit, whose zero is the SI zero. */
static double unit_offset(const unit *u) {
  size_t n = strlen(u->symbol);
  return u->kind == TF_UNIT_TEMPERATURE && u->symbol[n - 1] == 'C' ? 273.15 : 0;
}

static const struct {
  const char *noun, *example;
} kinds[TF_UNIT_KIND_COUNT_] = {
    [TF_UNIT_RATIO] = {"a ratio", "0.8\" or \"80 %"},
    [TF_UNIT_COUNT] = {"a count", "8"},
    [TF_UNIT_TIME] = {"a time", "90 s"},
    [TF_UNIT_POWER] = {"a power", "50 MW"},
    [TF_UNIT_ENERGY] = {"an energy", "1.2 MWh"},
    [TF_UNIT_BYTES] = {"a size", "80 GB"},
    [TF_UNIT_BANDWIDTH] = {"a bandwidth", "400 Gb/s"},
    [TF_UNIT_COMPUTE] = {"a compute rate", "989 TFLOP/s"},
    [TF_UNIT_MONEY] = {"an amount of money", "1.5e6 USD"},
    [TF_UNIT_ENERGY_PRICE] = {"an energy price", "0.08 USD/kWh"},
    [TF_UNIT_RENTAL_PRICE] = {"a rental price", "2 USD/GPU-hour"},
    [TF_UNIT_POWER_PRICE] = {"a power price", "10 USD/kW"},
    [TF_UNIT_RATE] = {"a request rate", "3 /s"},
    [TF_UNIT_POWER_RENT] = {"a colocation price", "150 USD/kW-month"},
    [TF_UNIT_TOKEN_PRICE] = {"a token price", "2.19 USD/Mtok"},
    [TF_UNIT_TEMPERATURE] = {"a temperature", "20 C"},
    [TF_UNIT_PER_TEMPERATURE] = {"a change per degree", "0.01 /K"},
};

const char *tf_unit_kind_noun(tf_unit_kind kind) {
  return (unsigned)kind < TF_UNIT_KIND_COUNT_ ? kinds[kind].noun : "a quantity";
}

const char *tf_unit_kind_example(tf_unit_kind kind) {
  return (unsigned)kind < TF_UNIT_KIND_COUNT_ ? kinds[kind].example : "1";
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int fail(tf_unit_error *err, int code, size_t offset, const char *fmt, ...) {
  if (err) {
    err->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return TF_FAIL(code, "%s", err->message);
  }
  return TF_FAIL(code, "bad quantity");
}

static bool is_space(char c) { return c == ' ' || c == '\t'; }

/* A scanned quantity: the number's text span, its exact decimal form (digits x 10^exp10, at most
 * 19 significant digits), and the unit's span. */
typedef struct scan {
  size_t num_begin, num_end;
  bool negative;
  uint64_t digits;
  int exp10;
  bool too_many_digits;
  size_t unit_begin, unit_end;
} scan;

/* Scans "  -1.5e3  MW  " into s. Errors: empty text, no number, text after the unit. */
static int scan_quantity(const char *text, tf_unit_kind kind, scan *s, tf_unit_error *err) {
  size_t len = strlen(text), i = 0;
  while (i < len && is_space(text[i]))
    i++;
  while (len > i && is_space(text[len - 1]))
    len--;
  *s = (scan){.num_begin = i};
  if (i == len)
    return fail(err, TF_EPARSE, i, "empty value: expected %s such as \"%s\"",
                tf_unit_kind_noun(kind), tf_unit_kind_example(kind));
  if (text[i] == '+' || text[i] == '-')
    s->negative = text[i++] == '-';
  size_t mantissa_digits = 0, significant = 0;
  bool seen_point = false;
  for (; i < len; i++) {
    char c = text[i];
    if (c == '.' && !seen_point) {
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9')
      break;
    mantissa_digits++;
    if (significant == 0 && c == '0') {
      if (seen_point)
        s->exp10--;
      continue;
    }
    if (significant < 19) {
      s->digits = s->digits * 10 + (uint64_t)(c - '0');
      significant++;
      if (seen_point)
        s->exp10--;
    } else if (c != '0') {
      s->too_many_digits = true;
    } else if (!seen_point) {
      s->exp10++; /* trailing zero beyond 19 digits: keep it as a power of ten */
    }
  }
  if (mantissa_digits == 0)
    return fail(err, TF_EPARSE, s->num_begin, "missing number: expected %s such as \"%s\"",
                tf_unit_kind_noun(kind), tf_unit_kind_example(kind));
  if (i < len && (text[i] == 'e' || text[i] == 'E')) {
    size_t j = i + 1;
    bool neg = false;
    if (j < len && (text[j] == '+' || text[j] == '-'))
      neg = text[j++] == '-';
    if (j < len && text[j] >= '0' && text[j] <= '9') {
      long e = 0;
      for (; j < len && text[j] >= '0' && text[j] <= '9'; j++)
        if (e < 100000)
          e = e * 10 + (text[j] - '0');
      s->exp10 += (int)(neg ? -e : e);
      i = j;
    }
  }
  s->num_end = i;
  while (i < len && is_space(text[i]))
    i++;
  s->unit_begin = i;
  while (i < len && !is_space(text[i]))
    i++;
  s->unit_end = i;
  while (i < len && is_space(text[i]))
    i++;
  if (i < len)
    return fail(err, TF_EPARSE, i, "unexpected text \"%.*s\" after \"%.*s\"", (int)(len - i),
                text + i, (int)(s->unit_end - s->num_begin), text + s->num_begin);
  return 0;
}

static const unit *find_unit(const char *sym, size_t n) {
  for (size_t k = 0; k < N_UNITS; k++)
    if (strlen(units[k].symbol) == n && memcmp(units[k].symbol, sym, n) == 0)
      return &units[k];
  return NULL;
}

/* Appends "W, kW, MW, GW"-style list of kind's units to buf. */
static void list_units(tf_unit_kind kind, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t k = 0; k < N_UNITS; k++) {
    if (units[k].kind != kind)
      continue;
    int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", units[k].symbol);
    if (n < 0 || (size_t)n >= size - used)
      return;
    used += (size_t)n;
  }
}

/* Resolves the scanned unit against kind: *u is NULL for a plain number (allowed only for ratio
 * and count), else the unit row. */
static int resolve_unit(const char *text, tf_unit_kind kind, const scan *s, const unit **u,
                        tf_unit_error *err) {
  size_t n = s->unit_end - s->unit_begin;
  const char *sym = text + s->unit_begin;
  *u = NULL;
  if (n == 0) {
    if (kind == TF_UNIT_RATIO || kind == TF_UNIT_COUNT)
      return 0;
    return fail(err, TF_EUNIT, s->num_end, "missing unit: expected %s such as \"%s\"",
                tf_unit_kind_noun(kind), tf_unit_kind_example(kind));
  }
  const unit *found = find_unit(sym, n);
  if (found && found->kind == kind) {
    *u = found;
    return 0;
  }
  if (found)
    return fail(err, TF_EUNIT, s->unit_begin, "expected %s such as \"%s\", got %s \"%.*s\"",
                tf_unit_kind_noun(kind), tf_unit_kind_example(kind),
                tf_unit_kind_noun(found->kind), (int)(s->unit_end - s->num_begin),
                text + s->num_begin);
  if (kind == TF_UNIT_COUNT)
    return fail(err, TF_EUNIT, s->unit_begin,
                "unexpected unit \"%.*s\": a count is a plain whole number such as \"8\"",
                (int)n, sym);
  /* Unknown: suggest among this kind's units only (a near unit of another kind, such as
   * "USD/kW-month" for "USD/GPU-month", would be a different quantity); else list them. */
  char word[64];
  snprintf(word, sizeof word, "%.*s", (int)n, sym);
  const char *same_kind[N_UNITS];
  size_t n_same = 0;
  for (size_t k = 0; k < N_UNITS; k++)
    if (units[k].kind == kind)
      same_kind[n_same++] = units[k].symbol;
  const char *near = tf_suggest_nearest(word, same_kind, n_same);
  if (near)
    return fail(err, TF_EUNIT, s->unit_begin, "unknown unit \"%s\"; did you mean \"%s\"?", word,
                near);
  char list[160];
  list_units(kind, list, sizeof list);
  return fail(err, TF_EUNIT, s->unit_begin, "unknown unit \"%s\": expected %s in %s", word,
              tf_unit_kind_noun(kind), kind == TF_UNIT_RATIO ? "%" : list);
}

int tf_unit_parse(const char *text, tf_unit_kind kind, double *si, tf_unit_error *err) {
  scan s;
  int rc = scan_quantity(text, kind, &s, err);
  if (rc)
    return rc;
  const unit *u;
  if ((rc = resolve_unit(text, kind, &s, &u, err)))
    return rc;
  char number[128];
  size_t n = s.num_end - s.num_begin;
  if (n >= sizeof number || s.too_many_digits)
    return fail(err, TF_ERANGE, s.num_begin, "number \"%.*s\" has too many digits", (int)n,
                text + s.num_begin);
  memcpy(number, text + s.num_begin, n);
  number[n] = '\0';
  errno = 0;
  double v = strtod(number, NULL);
  if (errno == ERANGE || !isfinite(v))
    return fail(err, TF_ERANGE, s.num_begin, "number \"%s\" is out of range", number);
  if (kind == TF_UNIT_COUNT) {
    int64_t c;
    if ((rc = tf_unit_parse_count(text, &c, err)))
      return rc;
    v = (double)c;
  } else if (u) {
    v = v * u->mul / u->div;
    if (unit_offset(u) != 0)
      v += unit_offset(u);
  }
  if (!isfinite(v))
    return fail(err, TF_ERANGE, s.num_begin, "number \"%s\" is out of range", number);
  *si = v;
  return 0;
}

/* digits x 10^exp10 x factor as an exact int64, or an error. */
static int exact_integer(const scan *s, int64_t factor, int64_t *out, const char *what,
                         tf_unit_error *err) {
  if (s->too_many_digits)
    return fail(err, TF_ERANGE, s->num_begin, "%s has too many significant digits", what);
  uint64_t v = s->digits;
  int e = s->exp10;
  if (v == 0) {
    *out = 0;
    return 0;
  }
  uint64_t f = (uint64_t)factor;
  /* Cancel negative powers of ten against the factor's and the digits' own factors of ten. */
  while (e < 0 && f % 10 == 0) {
    f /= 10;
    e++;
  }
  uint64_t p;
  if (__builtin_mul_overflow(v, f, &p))
    return fail(err, TF_ERANGE, s->num_begin, "%s is out of range", what);
  while (e < 0 && p % 10 == 0) {
    p /= 10;
    e++;
  }
  if (e < 0)
    return fail(err, TF_ERANGE, s->num_begin, "%s is not a whole number", what);
  for (; e > 0; e--)
    if (__builtin_mul_overflow(p, (uint64_t)10, &p))
      return fail(err, TF_ERANGE, s->num_begin, "%s is out of range", what);
  if (p > (uint64_t)INT64_MAX)
    return fail(err, TF_ERANGE, s->num_begin, "%s is out of range", what);
  *out = s->negative ? -(int64_t)p : (int64_t)p;
  return 0;
}

int tf_unit_parse_ns(const char *text, int64_t *ns, tf_unit_error *err) {
  scan s;
  int rc = scan_quantity(text, TF_UNIT_TIME, &s, err);
  if (rc)
    return rc;
  const unit *u;
  if ((rc = resolve_unit(text, TF_UNIT_TIME, &s, &u, err)))
    return rc;
  rc = exact_integer(&s, u->ns, ns, "time in nanoseconds", err);
  if (rc == TF_ERANGE && err && strstr(err->message, "whole"))
    return fail(err, TF_ERANGE, s.num_begin, "\"%.*s\" is not a whole number of nanoseconds",
                (int)(s.unit_end - s.num_begin), text + s.num_begin);
  if (rc == TF_ERANGE && err && strstr(err->message, "out of range"))
    return fail(err, TF_ERANGE, s.num_begin,
                "\"%.*s\" is out of range (simulated time is at most about 292 y)",
                (int)(s.unit_end - s.num_begin), text + s.num_begin);
  return rc;
}

int tf_unit_parse_count(const char *text, int64_t *count, tf_unit_error *err) {
  scan s;
  int rc = scan_quantity(text, TF_UNIT_COUNT, &s, err);
  if (rc)
    return rc;
  const unit *u;
  if ((rc = resolve_unit(text, TF_UNIT_COUNT, &s, &u, err)))
    return rc;
  if (u)
    return fail(err, TF_EUNIT, s.unit_begin,
                "unexpected unit \"%.*s\": a count is a plain whole number such as \"8\"",
                (int)(s.unit_end - s.unit_begin), text + s.unit_begin);
  rc = exact_integer(&s, 1, count, "count", err);
  if (rc == TF_ERANGE && err && strstr(err->message, "whole"))
    return fail(err, TF_ERANGE, s.num_begin, "expected a whole number, got \"%.*s\"",
                (int)(s.num_end - s.num_begin), text + s.num_begin);
  return rc;
}

char *tf_unit_format(double si, tf_unit_kind kind, char *buf, size_t size) {
  if (size == 0)
    return buf;
  if (kind == TF_UNIT_COUNT) {
    snprintf(buf, size, "%.0f", si);
    return buf;
  }
  if (kind == TF_UNIT_RATIO || (unsigned)kind >= TF_UNIT_KIND_COUNT_) {
    snprintf(buf, size, "%.6g", si);
    return buf;
  }
  const unit *chosen = NULL;
  for (size_t k = 0; k < N_UNITS; k++) {
    if (units[k].kind != kind || !units[k].display)
      continue;
    chosen = &units[k]; /* the smallest display unit so far: the fallback for tiny values */
    if (fabs(si) * units[k].div / units[k].mul >= 1)
      break;
  }
  if (si == 0) {
    for (size_t k = 0; k < N_UNITS; k++)
      if (units[k].kind == kind && units[k].display && units[k].mul == 1 && units[k].div == 1)
        chosen = &units[k];
  }
  double zero = unit_offset(chosen);
  double v = (zero != 0 ? si - zero : si) * chosen->div / chosen->mul;
  snprintf(buf, size, "%.6g %s", v, chosen->symbol);
  return buf;
}
