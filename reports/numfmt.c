/* Three significant digits by printf's own rounding (%.2e), then the decimal point placed by
 * string surgery, so 999.6 becomes "1 k" rather than "1000" and no binary error shows. */
#include "numfmt.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  SIG = 3,
  /* Below 10^-6 plain decimals would be a row of zeros: %.3g's exponent reads better. */
  MIN_PLAIN_EXP = -6,
  MAX_PLAIN_EXP = 5,
};

/* |v| rounded to SIG significant digits: digits[0..SIG) and the decimal exponent of the first,
 * so |v| ~ d0.d1d2 x 10^exp. */
static void round_sig(double a, char digits[SIG + 1], int *exp) {
  char tmp[32];
  snprintf(tmp, sizeof tmp, "%.*e", SIG - 1, a); /* "6.55e+05" */
  digits[0] = tmp[0];
  memcpy(digits + 1, tmp + 2, SIG - 1);
  digits[SIG] = '\0';
  *exp = atoi(strchr(tmp, 'e') + 1);
}

/* digits with int_digits of them before the decimal point (<= 0: leading zeros after "0."),
 * trailing fractional zeros and a bare point dropped. */
static void place(const char digits[SIG + 1], int int_digits, char *out, size_t size) {
  char s[48];
  size_t k = 0;
  if (int_digits >= SIG) {
    memcpy(s, digits, SIG);
    k = SIG;
    for (int z = SIG; z < int_digits && k < sizeof s - 1; z++)
      s[k++] = '0';
  } else {
    if (int_digits >= 1) {
      memcpy(s, digits, (size_t)int_digits);
      k = (size_t)int_digits;
      s[k++] = '.';
      memcpy(s + k, digits + int_digits, (size_t)(SIG - int_digits));
      k += (size_t)(SIG - int_digits);
    } else {
      s[k++] = '0';
      s[k++] = '.';
      for (int z = 0; z < -int_digits && k < sizeof s - SIG - 1; z++)
        s[k++] = '0';
      memcpy(s + k, digits, SIG);
      k += SIG;
    }
    while (s[k - 1] == '0')
      k--;
    if (s[k - 1] == '.')
      k--;
  }
  s[k] = '\0';
  snprintf(out, size, "%s", s);
}

/* floor(e / 3) for negative e too. */
static int group_of(int e) { return e >= 0 ? e / 3 : -((-e + 2) / 3); }

void tf_numfmt_si(double v, const char *unit, char *buf, size_t size) {
  assert(unit && buf && size > 0);
  static const char *const prefixes[] = {"p", "n", "\xC2\xB5", "m", "", "k", "M", "G", "T"};
  enum { LOWEST = -4, HIGHEST = 4 };
  if (!isfinite(v)) {
    snprintf(buf, size, "%s", TF_NUMFMT_NA);
    return;
  }
  char digits[SIG + 1], num[48];
  int e;
  round_sig(fabs(v), digits, &e);
  int g = v == 0 ? 0 : group_of(e);
  if (g < LOWEST || g > HIGHEST) {
    snprintf(buf, size, "%.3g %s", v, unit);
    return;
  }
  place(digits, e - 3 * g + 1, num, sizeof num);
  snprintf(buf, size, "%s%s %s%s", v < 0 ? "-" : "", num, prefixes[g - LOWEST], unit);
}

/* The count's text without its unit: "655 k", "0.00123", "-1.2 M". */
static void count_number(double v, char *buf, size_t size) {
  static const char *const multipliers[] = {"", " k", " M", " G", " T"};
  enum { HIGHEST = 4 };
  char digits[SIG + 1], num[48];
  int e;
  round_sig(fabs(v), digits, &e);
  int g = e >= 3 ? e / 3 : 0;
  if (g > HIGHEST || e < MIN_PLAIN_EXP) {
    snprintf(buf, size, "%.3g", v);
    return;
  }
  place(digits, e - 3 * g + 1, num, sizeof num);
  snprintf(buf, size, "%s%s%s", v < 0 ? "-" : "", num, multipliers[g]);
}

void tf_numfmt_count(double v, const char *unit, char *buf, size_t size) {
  assert(unit && buf && size > 0);
  if (!isfinite(v)) {
    snprintf(buf, size, "%s", TF_NUMFMT_NA);
    return;
  }
  char num[64];
  count_number(v, num, sizeof num);
  snprintf(buf, size, "%s%s%s", num, unit[0] ? " " : "", unit);
}

void tf_numfmt_usd(double v, char *buf, size_t size) {
  assert(buf && size > 0);
  if (!isfinite(v)) {
    snprintf(buf, size, "%s", TF_NUMFMT_NA);
    return;
  }
  char num[64];
  count_number(fabs(v), num, sizeof num);
  snprintf(buf, size, "%s$%s", v < 0 ? "-" : "", num);
}

void tf_numfmt_percent(double v, char *buf, size_t size) {
  assert(buf && size > 0);
  if (!isfinite(v)) {
    snprintf(buf, size, "%s", TF_NUMFMT_NA);
    return;
  }
  char digits[SIG + 1], num[48];
  int e;
  round_sig(fabs(v * 100), digits, &e);
  if (e < MIN_PLAIN_EXP || e > MAX_PLAIN_EXP) {
    snprintf(buf, size, "%.3g %%", v * 100);
    return;
  }
  place(digits, e + 1, num, sizeof num);
  snprintf(buf, size, "%s%s %%", v < 0 ? "-" : "", num);
}
