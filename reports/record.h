/* A serving run as result tables (results.h): the summary, per-class metrics, the time series
 * and the cost breakdown, with the column names docs/RESULTS.md lists; and the run's binding
 * constraint. */
#ifndef TF_RECORD_H
#define TF_RECORD_H

#include <stddef.h>

#include "results.h"
#include "serving.h"
#include "tco.h"

/* What limits the factory, in the order the rule checks (docs/RESULTS.md). */
typedef enum tf_binding {
  TF_BINDING_POWER,        /* power caps lowered clocks for >= 5% of stepping time */
  TF_BINDING_KV,           /* KV cache >= 90% full on average, or preemptions / rejections */
  TF_BINDING_SLO,          /* fewer than 95% of requests meet their SLO */
  TF_BINDING_DEMAND,       /* latencies well inside their targets: capacity to spare, the
                              traffic is the limit */
  TF_BINDING_COMPUTE,      /* otherwise what the steps spend most time on: compute, */
  TF_BINDING_HBM,          /* HBM, */
  TF_BINDING_INTERCONNECT, /* exposed scale-up or scale-out communication, */
  TF_BINDING_OVERHEAD,     /* kernel launch gaps and per-step latencies */
  TF_BINDING_COUNT_
} tf_binding;
const char *tf_binding_name(tf_binding b); /* "power", "kv_capacity", "compute", "hbm", ... */

/* The binding constraint of a run, and one sentence (into why) giving the numbers behind it. */
tf_binding tf_binding_of(const tf_serving_config *cfg, const tf_serving_result *r, char *why,
                         size_t why_size);

/* Fills rec's four tables from a serving run. base: the same run without failures (NULL when
 * the run had none). tco, tco_in: the run's economics (NULL without). gpus: GPUs serving.
 * 0, or TF_ENOMEM (rec's tables are then freed). */
int tf_record_serving(tf_run_record *rec, const tf_serving_config *cfg, const tf_serving_result *r,
                      const tf_serving_result *base, const tf_tco_inputs *tco_in,
                      const tf_tco_result *tco, double gpus);

#endif
