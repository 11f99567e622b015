/* The serving simulation's terminal summary: throughput, goodput and latency per class, the
 * fleet's busy and KV figures, and the time series when one was kept. */
#ifndef TF_SERVING_REPORT_H
#define TF_SERVING_REPORT_H

#include <stdio.h>

#include "serving.h"
#include "tco.h"

/* Numbers print with 4-6 significant digits, so the same results
 * print the same bytes. */
void tf_serving_report_print(FILE *f, const tf_serving_config *cfg, const tf_serving_result *r);

/* Failures' cost: availability, failures, retries, tokens lost, and throughput and SLO
 * attainment against base, the same run without failures. */
void tf_serving_report_failures(FILE *f, const tf_serving_result *r, const tf_serving_result *base);

/* What the factory costs: per year and per component, per million tokens under the allocation
 * rule, and revenue and margin when prices are given. */
void tf_serving_report_costs(FILE *f, const tf_tco_inputs *in, const tf_tco_result *r);

/* The time series, one line per interval (nothing without one). */
void tf_serving_report_series(FILE *f, const tf_serving_result *r);

#endif
