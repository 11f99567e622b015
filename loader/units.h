/* Quantities with units ("50 MW", "400 Gb/s", "90 s"): parsing into SI doubles, and formatting. */
#ifndef TF_UNITS_H
#define TF_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* What a quantity measures; decides which units are accepted and what SI unit it is stored in
 * (docs/SCENARIOS.md, "Quantities carry units"). */
typedef enum tf_unit_kind {
  TF_UNIT_RATIO,        /* plain number or percentage; stored as a fraction */
  TF_UNIT_COUNT,        /* plain integer */
  TF_UNIT_TIME,         /* s (simulated time: integer ns, see tf_unit_parse_ns) */
  TF_UNIT_POWER,        /* W */
  TF_UNIT_ENERGY,       /* J */
  TF_UNIT_BYTES,        /* B */
  TF_UNIT_BANDWIDTH,    /* B/s */
  TF_UNIT_COMPUTE,      /* FLOP/s */
  TF_UNIT_MONEY,        /* USD */
  TF_UNIT_ENERGY_PRICE, /* USD/J */
  TF_UNIT_RENTAL_PRICE, /* USD per GPU-second */
  TF_UNIT_POWER_PRICE,  /* USD/W */
  TF_UNIT_RATE,         /* requests per second */
  TF_UNIT_POWER_RENT,   /* USD per W per second (a colocation price per kW-month) */
  TF_UNIT_TOKEN_PRICE,  /* USD per token */
  TF_UNIT_TEMPERATURE,  /* K (written in C or K: "20 C" is 293.15 K) */
  TF_UNIT_PER_TEMPERATURE, /* 1/K: a change per kelvin (= per degree Celsius) */
  TF_UNIT_KIND_COUNT_
} tf_unit_kind;

/* Why a text did not parse. offset is the byte offset inside the text where the problem starts
 * (0-based); message says what is wrong and what was expected, without position. */
typedef struct tf_unit_error {
  size_t offset;
  char message[240];
} tf_unit_error;

/* Parses text (a number, optional spaces, a unit of kind) into SI units. Leading and trailing
 * spaces are ignored. Returns 0, or TF_EPARSE (no number, trailing text), TF_EUNIT (missing,
 * unknown or wrong-kind unit) or TF_ERANGE (number not representable), with *err filled. Signs
 * are accepted: whether a value may be negative is the caller's range check. err may be NULL. */
int tf_unit_parse(const char *text, tf_unit_kind kind, double *si, tf_unit_error *err);

/* Parses a time exactly into integer nanoseconds ("1.5 us" = 1500). TF_ERANGE if the value is not
 * a whole number of nanoseconds or does not fit in int64_t; other errors as tf_unit_parse. */
int tf_unit_parse_ns(const char *text, int64_t *ns, tf_unit_error *err);

/* Parses a count: a whole number without unit ("8", "671e9"), exactly. */
int tf_unit_parse_count(const char *text, int64_t *count, tf_unit_error *err);

/* Writes si as a human reads it, in the unit of kind that suits its size ("50 MW", "3.35 TB/s",
 * "2 h"), NUL-terminated, truncated to size. Returns buf. */
char *tf_unit_format(double si, tf_unit_kind kind, char *buf, size_t size);

/* "a power", "a size", "a bandwidth", ...: the kind as a message names it. */
const char *tf_unit_kind_noun(tf_unit_kind kind);
/* An example of a well-written quantity of kind: "50 MW". */
const char *tf_unit_kind_example(tf_unit_kind kind);

#endif
