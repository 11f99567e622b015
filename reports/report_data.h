/* What an HTML report shows, read from a results database (docs/DATABASE.md) without changing
 * it: one run with its summary, classes, time series and costs, or one sweep aggregated the way
 * `tokenfab sweep` builds its table (means over replications per point, Pareto frontiers), plus
 * the sensitivity of cost per token to each swept parameter. */
#ifndef TF_REPORT_DATA_H
#define TF_REPORT_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An open results database, read-only (SQLITE_OPEN_READONLY): opening never creates, upgrades
 * or writes the file. */
typedef struct tf_report_db tf_report_db;

/* Opens path read-only and checks it is a tokenfab results database of a schema this build
 * reads (application_id TF_STORE_APPLICATION_ID, user_version 1 to TF_STORE_SCHEMA_VERSION).
 * 0; TF_EINVAL with a sentence in err for a missing or unreadable file, a file that is not
 * SQLite or not tokenfab's, or a newer schema; TF_ENOMEM. */
int tf_report_open(const char *path, tf_report_db **out, char *err, size_t err_size);
void tf_report_close(tf_report_db *d); /* d may be NULL */

/* The newest run (highest run_id). 0, TF_ENOTFOUND when the file holds no run, TF_EDB. */
int tf_report_latest_run(tf_report_db *d, int64_t *run_id, char *err, size_t err_size);

/* One named result: a number (NaN when NULL or not a number) or a text (NULL when none). */
typedef struct tf_report_metric {
  char *name, *unit;
  double value;
  char *text;
} tf_report_metric;

/* The rows of one key of a keyed table: a request class, a cost component. */
typedef struct tf_report_group {
  char *key;
  tf_report_metric *metrics; /* by name */
  size_t n_metrics;
} tf_report_group;

/* A run as the database holds it. All memory is the struct's (tf_report_run_free). */
typedef struct tf_report_run {
  int64_t run_id;
  char *scenario_name, *scenario_path; /* path NULL when the run had no file */
  char *scenario_sha256;
  char *scenario_text; /* scenario_len bytes (NUL-terminated besides) */
  size_t scenario_len;
  char *overrides; /* the --set texts, one per line */
  uint64_t seed;
  char *version, *started_utc;
  double wall_s;
  int64_t sweep_id, sweep_point; /* the run's place in a sweep; -1 when it is not a sweep run */
  tf_report_metric *metrics;     /* the summary, by name */
  size_t n_metrics;
  tf_report_group *classes; /* by class name */
  size_t n_classes;
  tf_report_group *costs; /* by component, `total` included */
  size_t n_costs;
  /* The time series: n_times interval starts and, per name, one value per interval (NaN when
   * missing): series_values[t * n_series + k] is series_names[k] at t_s[t]. */
  size_t n_times, n_series;
  double *t_s;
  char **series_names, **series_units;
  double *series_values;
} tf_report_run;

/* Reads run run_id. 0; TF_ENOTFOUND when there is no such run (err lists the runs there are);
 * TF_EDB, TF_ENOMEM. */
int tf_report_load_run(tf_report_db *d, int64_t run_id, tf_report_run **out, char *err,
                       size_t err_size);
void tf_report_run_free(tf_report_run *r); /* r may be NULL */

/* The summary metric name (NULL: none), its value (NaN: none or text) and its text. */
const tf_report_metric *tf_report_metric_find(const tf_report_metric *m, size_t n,
                                              const char *name);
double tf_report_value(const tf_report_metric *m, size_t n, const char *name);
const char *tf_report_text(const tf_report_metric *m, size_t n, const char *name);

/* The headline metrics of a sweep table, as `tokenfab sweep` lists them (cli/sweep.c,
 * docs/SWEEPS.md); binding_constraint is text, the others numbers. */
typedef enum tf_report_sweep_metric {
  TF_RSM_OUTPUT_TOKENS_PER_S,
  TF_RSM_GOODPUT_OUTPUT_TOKENS_PER_S,
  TF_RSM_SLO_ATTAINMENT,
  TF_RSM_TTFT_P99_S,
  TF_RSM_TPOT_P99_S,
  TF_RSM_OUTPUT_TOKENS_PER_S_PER_USER,
  TF_RSM_IT_POWER_AVG_MW,
  TF_RSM_OUTPUT_TOKENS_PER_S_PER_MW_FACILITY,
  TF_RSM_JOULES_PER_OUTPUT_TOKEN,
  TF_RSM_COST_PER_MTOK_OUT_USD,
  TF_RSM_TCO_PER_YEAR_USD,
  TF_RSM_BINDING_CONSTRAINT,
  TF_RSM_COUNT
} tf_report_sweep_metric;
extern const char *const tf_report_sweep_metric_names[TF_RSM_COUNT];

/* The frontiers of docs/SWEEPS.md: tokens/s per MW of facility power against tokens/s per user
 * (both maximised); cost per million output tokens against p99 TTFT, and against p99 TPOT (both
 * minimised). */
typedef enum tf_report_front {
  TF_REPORT_FRONT_POWER,
  TF_REPORT_FRONT_COST_TTFT,
  TF_REPORT_FRONT_COST_TPOT,
  TF_REPORT_FRONTS
} tf_report_front;

/* One point of the sweep that has results. */
typedef struct tf_report_sweep_point {
  int64_t point;
  int64_t replications;          /* runs of the point in the file */
  char **labels;                 /* one per axis: the value as written ("" if missing) */
  double mean[TF_RSM_COUNT];     /* means over replications of the finite values; NaN: none */
  char *binding;                 /* the first replication's binding constraint, or NULL */
  bool front[TF_REPORT_FRONTS];  /* on that frontier */
} tf_report_sweep_point;

/* How one axis moves the cost: for each of its values (in the order the points meet them), the
 * mean over the points with that value of their mean cost per million output tokens, so the
 * other axes are averaged over. n_points counts the points with a cost; NaN when none has. */
typedef struct tf_report_axis_effect {
  size_t n_values;
  char **values;
  double *mean_cost_usd;
  size_t *n_points;
} tf_report_axis_effect;

/* A sweep with its points' aggregates. All memory is the struct's (tf_report_sweep_free). */
typedef struct tf_report_sweep {
  int64_t sweep_id;
  char *key, *scenario_name, *scenario_sha256, *definition;
  int64_t points, replications; /* as defined: the points of the whole sweep, runs of each */
  uint64_t master_seed;
  char *version_first, *version_last; /* lowest and highest tokenfab version among its runs */
  char *started_first, *started_last; /* earliest and latest start among its runs */
  size_t n_axes;
  char **axes;                 /* the axis names in order: `variant` or a PATH */
  tf_report_sweep_point *pts;  /* the points with at least one run, ordered by point */
  size_t n_pts;
  tf_report_axis_effect *effects; /* one per axis */
} tf_report_sweep;

/* Reads sweep sweep_id and aggregates it. 0; TF_ENOTFOUND when the file holds no sweep or not
 * this one (err lists those there are); TF_EDB, TF_ENOMEM. */
int tf_report_load_sweep(tf_report_db *d, int64_t sweep_id, tf_report_sweep **out, char *err,
                         size_t err_size);
void tf_report_sweep_free(tf_report_sweep *s); /* s may be NULL */

#endif
