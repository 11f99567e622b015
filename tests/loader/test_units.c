/* Known answers for every unit kind, exact nanoseconds, and the errors with their columns. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "error.h"
#include "suggest.h"
#include "tf_test.h"
#include "units.h"

static double parse(const char *text, tf_unit_kind kind) {
  double v = -12345;
  tf_unit_error err;
  int rc = tf_unit_parse(text, kind, &v, &err);
  if (rc) {
    fprintf(stderr, "unexpected error for \"%s\": %s\n", text, err.message);
    TF_CHECK_INT(rc, 0);
  }
  return v;
}

/* Expects text to fail with code at offset, and the message to contain want. */
static void bad(const char *text, tf_unit_kind kind, int code, size_t offset, const char *want) {
  double v;
  tf_unit_error err = {0};
  int rc = tf_unit_parse(text, kind, &v, &err);
  TF_CHECK_INT(rc, code);
  TF_CHECK_INT(err.offset, offset);
  if (!strstr(err.message, want)) {
    fprintf(stderr, "for \"%s\": message \"%s\" lacks \"%s\"\n", text, err.message, want);
    TF_CHECK(0);
  }
}

static void known_answers(void) {
  TF_CHECK(parse("50 MW", TF_UNIT_POWER) == 50e6);
  TF_CHECK(parse("1.2 kW", TF_UNIT_POWER) == 1200);
  TF_CHECK(parse("700W", TF_UNIT_POWER) == 700);
  TF_CHECK(parse("  2 GW  ", TF_UNIT_POWER) == 2e9);
  TF_CHECK(parse("1 kWh", TF_UNIT_ENERGY) == 3.6e6);
  TF_CHECK(parse("3 MJ", TF_UNIT_ENERGY) == 3e6);
  TF_CHECK(parse("1 GiB", TF_UNIT_BYTES) == 1073741824.0);
  TF_CHECK(parse("80 GB", TF_UNIT_BYTES) == 80e9);
  TF_CHECK(parse("2 KB", TF_UNIT_BYTES) == 2000);
  TF_CHECK(parse("400 Gb/s", TF_UNIT_BANDWIDTH) == 5e10);
  TF_CHECK(parse("400 Gbps", TF_UNIT_BANDWIDTH) == 5e10);
  TF_CHECK(parse("900 GB/s", TF_UNIT_BANDWIDTH) == 9e11);
  TF_CHECK(parse("3.35 TB/s", TF_UNIT_BANDWIDTH) == 3.35e12);
  TF_CHECK(parse("1 KiB/s", TF_UNIT_BANDWIDTH) == 1024);
  TF_CHECK(parse("989 TFLOP/s", TF_UNIT_COMPUTE) == 989e12);
  TF_CHECK(parse("2 PFLOPS", TF_UNIT_COMPUTE) == 2e15);
  TF_CHECK(parse("90 s", TF_UNIT_TIME) == 90);
  TF_CHECK(parse("1 y", TF_UNIT_TIME) == 365.25 * 86400);
  TF_CHECK(parse("5 min", TF_UNIT_TIME) == 300);
  TF_CHECK(parse("250 ms", TF_UNIT_TIME) == 0.25);
  TF_CHECK(parse("3 \xC2\xB5s", TF_UNIT_TIME) == 3e-6);
  TF_CHECK(parse("1.5e6 USD", TF_UNIT_MONEY) == 1.5e6);
  TF_CHECK(parse("0.08 USD/kWh", TF_UNIT_ENERGY_PRICE) == 0.08 / 3.6e6);
  TF_CHECK(parse("40 USD/MWh", TF_UNIT_ENERGY_PRICE) == 40 / 3.6e9);
  TF_CHECK(parse("2 USD/GPU-hour", TF_UNIT_RENTAL_PRICE) == 2.0 / 3600);
  TF_CHECK(parse("2 USD/GPU-h", TF_UNIT_RENTAL_PRICE) == 2.0 / 3600);
  TF_CHECK(parse("10 USD/kW", TF_UNIT_POWER_PRICE) == 0.01);
  TF_CHECK(parse("3 /min", TF_UNIT_RATE) == 0.05);
  TF_CHECK(parse("15 /s", TF_UNIT_RATE) == 15);
  TF_CHECK(parse("7200 req/h", TF_UNIT_RATE) == 2);
  TF_CHECK(parse("80 %", TF_UNIT_RATIO) == 0.8);
  TF_CHECK(parse("80%", TF_UNIT_RATIO) == 0.8);
  TF_CHECK(parse("0.8", TF_UNIT_RATIO) == 0.8);
  TF_CHECK(parse("8", TF_UNIT_COUNT) == 8);
  TF_CHECK(parse("-5 MW", TF_UNIT_POWER) == -5e6); /* sign is the range check's business */
}

/* The economics units: a month is a twelfth of the 365.25-day year (2629800 s). Each expected
 * value is the quotient the parser computes (number / factor), correctly rounded once. */
static void economics_units(void) {
  TF_CHECK(parse("3000 USD/GPU-year", TF_UNIT_RENTAL_PRICE) == 3000.0 / 31557600);
  TF_CHECK(parse("150 USD/kW-month", TF_UNIT_POWER_RENT) == 150.0 / (1000.0 * 2629800));
  TF_CHECK(parse("1800 USD/kW-year", TF_UNIT_POWER_RENT) == 1800.0 / (1000.0 * 31557600));
  /* 12 months are a year: the same price either way, to rounding. */
  double month = parse("150 USD/kW-month", TF_UNIT_POWER_RENT);
  double year = parse("1800 USD/kW-year", TF_UNIT_POWER_RENT);
  TF_CHECK(fabs(month - year) <= 1e-15 * year);
  TF_CHECK(parse("2.19 USD/Mtok", TF_UNIT_TOKEN_PRICE) == 2.19 / 1e6);
  TF_CHECK(parse("0.55USD/Mtok", TF_UNIT_TOKEN_PRICE) == 0.55 / 1e6);
  TF_CHECK(parse("0.002 USD/ktok", TF_UNIT_TOKEN_PRICE) == 0.002 / 1e3);
  TF_CHECK(parse("3e-6 USD/token", TF_UNIT_TOKEN_PRICE) == 3e-6);
  TF_CHECK(parse("0 USD/Mtok", TF_UNIT_TOKEN_PRICE) == 0);

  /* Wrong kinds both ways, a missing unit, and a near miss. */
  bad("150 USD/kW", TF_UNIT_POWER_RENT, TF_EUNIT, 4,
      "expected a colocation price such as \"150 USD/kW-month\", got a power price "
      "\"150 USD/kW\"");
  bad("11.7 USD/W", TF_UNIT_POWER_RENT, TF_EUNIT, 5, "got a power price");
  bad("150 USD/kW-month", TF_UNIT_POWER_PRICE, TF_EUNIT, 4,
      "expected a power price such as \"10 USD/kW\", got a colocation price");
  bad("2 USD/GPU-hour", TF_UNIT_TOKEN_PRICE, TF_EUNIT, 2,
      "expected a token price such as \"2.19 USD/Mtok\", got a rental price");
  bad("2.19 USD/Mtok", TF_UNIT_RENTAL_PRICE, TF_EUNIT, 5,
      "expected a rental price such as \"2 USD/GPU-hour\", got a token price");
  bad("3000 USD/GPU-year", TF_UNIT_MONEY, TF_EUNIT, 5, "got a rental price");
  bad("3 MW", TF_UNIT_MONEY, TF_EUNIT, 2, "got a power \"3 MW\"");
  bad("2.19", TF_UNIT_TOKEN_PRICE, TF_EUNIT, 4,
      "missing unit: expected a token price such as \"2.19 USD/Mtok\"");
  bad("150", TF_UNIT_POWER_RENT, TF_EUNIT, 3,
      "missing unit: expected a colocation price such as \"150 USD/kW-month\"");
  bad("2.19 USD/MTok", TF_UNIT_TOKEN_PRICE, TF_EUNIT, 5,
      "unknown unit \"USD/MTok\"; did you mean \"USD/Mtok\"?");
}

static void exact_integers(void) {
  int64_t ns = 0, c = 0;
  TF_CHECK_INT(tf_unit_parse_ns("90 s", &ns, NULL), 0);
  TF_CHECK_INT(ns, INT64_C(90000000000));
  TF_CHECK_INT(tf_unit_parse_ns("1.5 us", &ns, NULL), 0);
  TF_CHECK_INT(ns, 1500);
  TF_CHECK_INT(tf_unit_parse_ns("0.3 ms", &ns, NULL), 0);
  TF_CHECK_INT(ns, 300000);
  TF_CHECK_INT(tf_unit_parse_ns("1 y", &ns, NULL), 0);
  TF_CHECK_INT(ns, INT64_C(31557600000000000));
  TF_CHECK_INT(tf_unit_parse_ns("0.5 min", &ns, NULL), 0);
  TF_CHECK_INT(ns, INT64_C(30000000000));
  TF_CHECK_INT(tf_unit_parse_ns("1e-9 s", &ns, NULL), 0);
  TF_CHECK_INT(ns, 1);
  TF_CHECK_INT(tf_unit_parse_ns("0 s", &ns, NULL), 0);
  TF_CHECK_INT(ns, 0);
  TF_CHECK_INT(tf_unit_parse_ns("-2 h", &ns, NULL), 0);
  TF_CHECK_INT(ns, INT64_C(-7200000000000));
  tf_unit_error err;
  TF_CHECK_INT(tf_unit_parse_ns("2.5 ns", &ns, &err), TF_ERANGE);
  TF_CHECK(strstr(err.message, "not a whole number of nanoseconds") != NULL);
  TF_CHECK_INT(tf_unit_parse_ns("300 y", &ns, &err), TF_ERANGE);
  TF_CHECK(strstr(err.message, "out of range") != NULL);
  TF_CHECK_INT(tf_unit_parse_ns("90", &ns, &err), TF_EUNIT);
  TF_CHECK_INT(err.offset, 2);
  TF_CHECK_INT(tf_unit_parse_count("671000000000", &c, NULL), 0);
  TF_CHECK_INT(c, INT64_C(671000000000));
  TF_CHECK_INT(tf_unit_parse_count("671e9", &c, NULL), 0);
  TF_CHECK_INT(c, INT64_C(671000000000));
  TF_CHECK_INT(tf_unit_parse_count("1.5", &c, &err), TF_ERANGE);
  TF_CHECK_INT(tf_unit_parse_count("8 GPUs", &c, &err), TF_EUNIT);
  TF_CHECK_INT(err.offset, 2);
  TF_CHECK_INT(tf_unit_parse_count("99999999999999999999", &c, &err), TF_ERANGE);
}

static void errors(void) {
  bad("50", TF_UNIT_POWER, TF_EUNIT, 2, "missing unit: expected a power such as \"50 MW\"");
  bad("400", TF_UNIT_BANDWIDTH, TF_EUNIT, 3,
      "missing unit: expected a bandwidth such as \"400 Gb/s\"");
  bad("50 GB", TF_UNIT_POWER, TF_EUNIT, 3,
      "expected a power such as \"50 MW\", got a size \"50 GB\"");
  bad("50 MWW", TF_UNIT_POWER, TF_EUNIT, 3, "unknown unit \"MWW\"; did you mean \"MW\"?");
  bad("50 mw", TF_UNIT_POWER, TF_EUNIT, 3, "unknown unit \"mw\"; did you mean \"MW\"?");
  bad("50 furlongs", TF_UNIT_POWER, TF_EUNIT, 3,
      "unknown unit \"furlongs\": expected a power in GW, MW, kW, W");
  bad("50 MW please", TF_UNIT_POWER, TF_EPARSE, 6, "unexpected text \"please\" after \"50 MW\"");
  bad("", TF_UNIT_POWER, TF_EPARSE, 0, "empty value: expected a power");
  bad("   ", TF_UNIT_TIME, TF_EPARSE, 3, "empty value: expected a time such as \"90 s\"");
  bad("MW", TF_UNIT_POWER, TF_EPARSE, 0, "missing number");
  bad("1e400 W", TF_UNIT_POWER, TF_ERANGE, 0, "out of range");
  bad("  1e400 W", TF_UNIT_POWER, TF_ERANGE, 2, "out of range");
  bad("5 s", TF_UNIT_RATE, TF_EUNIT, 2, "expected a request rate such as \"3 /s\", got a time");
  bad("0.8 W", TF_UNIT_RATIO, TF_EUNIT, 4, "expected a ratio such as \"0.8\" or \"80 %\"");
}

static void format(void) {
  char buf[64];
  TF_CHECK_STR(tf_unit_format(50e6, TF_UNIT_POWER, buf, sizeof buf), "50 MW");
  TF_CHECK_STR(tf_unit_format(3.35e12, TF_UNIT_BANDWIDTH, buf, sizeof buf), "3.35 TB/s");
  TF_CHECK_STR(tf_unit_format(5e10, TF_UNIT_BANDWIDTH, buf, sizeof buf), "50 GB/s");
  TF_CHECK_STR(tf_unit_format(989e12, TF_UNIT_COMPUTE, buf, sizeof buf), "989 TFLOP/s");
  TF_CHECK_STR(tf_unit_format(80e9, TF_UNIT_BYTES, buf, sizeof buf), "80 GB");
  TF_CHECK_STR(tf_unit_format(7200, TF_UNIT_TIME, buf, sizeof buf), "2 h");
  TF_CHECK_STR(tf_unit_format(0.002, TF_UNIT_TIME, buf, sizeof buf), "2 ms");
  TF_CHECK_STR(tf_unit_format(0.08 / 3.6e6, TF_UNIT_ENERGY_PRICE, buf, sizeof buf),
               "0.08 USD/kWh");
  TF_CHECK_STR(tf_unit_format(2.0 / 3600, TF_UNIT_RENTAL_PRICE, buf, sizeof buf),
               "2 USD/GPU-hour");
  TF_CHECK_STR(tf_unit_format(0.8, TF_UNIT_RATIO, buf, sizeof buf), "0.8");
  TF_CHECK_STR(tf_unit_format(15, TF_UNIT_RATE, buf, sizeof buf), "15 /s");
  TF_CHECK_STR(tf_unit_format(0, TF_UNIT_POWER, buf, sizeof buf), "0 W");
  TF_CHECK_STR(tf_unit_format(8, TF_UNIT_COUNT, buf, sizeof buf), "8");
  TF_CHECK_STR(tf_unit_format(150.0 / 2.6298e9, TF_UNIT_POWER_RENT, buf, sizeof buf),
               "150 USD/kW-month");
  TF_CHECK_STR(tf_unit_format(2.19 / 1e6, TF_UNIT_TOKEN_PRICE, buf, sizeof buf),
               "2.19 USD/Mtok");
  /* Round trip: what is formatted parses back to the same kind. */
  double v;
  TF_CHECK_INT(tf_unit_parse(tf_unit_format(1.2e3, TF_UNIT_POWER, buf, sizeof buf),
                             TF_UNIT_POWER, &v, NULL),
               0);
  TF_CHECK(v == 1200);
}

static void suggestions(void) {
  static const char *const keys[] = {"name", "duration", "warmup", "seed"};
  TF_CHECK_STR(tf_suggest_nearest("duraton", keys, 4), "duration");
  TF_CHECK_STR(tf_suggest_nearest("Duration", keys, 4), "duration");
  TF_CHECK_STR(tf_suggest_nearest("wramup", keys, 4), "warmup");
  TF_CHECK(tf_suggest_nearest("colour", keys, 4) == NULL);
  TF_CHECK_INT(tf_suggest_distance("abc", "abc"), 0);
  TF_CHECK_INT(tf_suggest_distance("abc", "acb"), 1);
  TF_CHECK_INT(tf_suggest_distance("kitten", "sitting"), 3);
}

int main(void) {
  known_answers();
  exact_integers();
  errors();
  economics_units();
  format();
  suggestions();
  return tf_test_report("loader_units");
}
