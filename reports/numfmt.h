/* Numbers for people: three significant digits and a prefix ("1.2 MW", "655 k tok/s", "61.2 ms",
 * "$0.18", "71.5 %"), for the tables of the HTML report. The report's JavaScript formats chart
 * ticks and tooltips with the same rules (html_report.c), so a table and a tooltip agree. */
#ifndef TF_NUMFMT_H
#define TF_NUMFMT_H

#include <stddef.h>

/* Room every tf_numfmt_* result needs, NUL included, with a unit of up to 32 bytes. */
#define TF_NUMFMT_MAX 80

/* The text for a number that is not finite (a metric that does not apply). */
#define TF_NUMFMT_NA "n/a"

/* v rounded to 3 significant digits, trailing zeros dropped, with an SI prefix glued to the unit
 * symbol: (1.2e6, "W") "1.2 MW", (0.0612, "s") "61.2 ms", (2.818, "J") "2.82 J", (0, "W")
 * "0 W". Prefixes p n µ m k M G T; outside them, %.3g. */
void tf_numfmt_si(double v, const char *unit, char *buf, size_t size);

/* A count or rate with a multiplier word before the unit: (655000, "tok/s") "655 k tok/s",
 * (26.3, "req/s") "26.3 req/s", (0.00123, "") "0.00123"; multipliers k M G T. unit may be "". */
void tf_numfmt_count(double v, const char *unit, char *buf, size_t size);

/* US dollars: 0.18 "$0.18", 1.4328 "$1.43", 272743.6 "$273 k", 1.36e6 "$1.36 M", -5 "-$5". */
void tf_numfmt_usd(double v, char *buf, size_t size);

/* A fraction as a percentage: 0.71483 "71.5 %", 1 "100 %", 0.0546 "5.46 %". */
void tf_numfmt_percent(double v, char *buf, size_t size);

#endif
