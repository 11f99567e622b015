/* The step-time model's report: a breakdown table for the terminal and the same as CSV. */
#ifndef TF_PERF_REPORT_H
#define TF_PERF_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "perf.h"

enum { TF_PERF_REPORT_BATCHES_MAX = 8 };

typedef struct tf_perf_report_batch {
  bool prefill;
  double sequences; /* per attention (DP) group */
  double context;   /* prefill: chunk tokens; decode: context tokens per sequence */
  bool fits_kv;     /* the batch's KV cache fits in memory */
  tf_perf_batch batch;
  tf_perf_step step;
} tf_perf_report_batch;

typedef struct tf_perf_report {
  const tf_perf_config *cfg;
  const char *system; /* the catalogue system the replica runs on */
  tf_perf_memory memory;
  size_t n_batches;
  tf_perf_report_batch batch[TF_PERF_REPORT_BATCHES_MAX];
} tf_perf_report;

/* The deployment, its memory fit, and one column per batch with each component's time and bound. */
void tf_perf_report_print(FILE *f, const tf_perf_report *r);

/* CSV, one row per batch and component (plus a `step` row per batch); 0, or TF_EIO. */
int tf_perf_report_steps_csv(FILE *f, const tf_perf_report *r);
/* CSV of the memory fit: quantity, value, unit. 0, or TF_EIO. */
int tf_perf_report_memory_csv(FILE *f, const tf_perf_report *r);

#endif
