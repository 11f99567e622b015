/* A run's results as tables: the one form that the results database (store.h), the CSV export
 * (csv_out.h) and the terminal share. A table has named columns, each with its unit, and rows of
 * cells; column names are stable from version to version and carry their unit as a suffix
 * (`it_power_avg_mw`, `ttft_p99_s`, `cost_per_mtok_out_usd`). The column list: docs/RESULTS.md. */
#ifndef TF_RESULTS_H
#define TF_RESULTS_H

#include <stddef.h>
#include <stdint.h>

typedef enum tf_cell_kind {
  TF_CELL_NULL, /* not applicable: SQL NULL, an empty CSV field */
  TF_CELL_REAL,
  TF_CELL_INT,
  TF_CELL_TEXT,
} tf_cell_kind;

typedef struct tf_cell {
  tf_cell_kind kind;
  double real;      /* TF_CELL_REAL; a non-finite value is stored as NULL */
  int64_t integer;  /* TF_CELL_INT */
  const char *text; /* TF_CELL_TEXT: UTF-8, owned by the table (tf_table_fini frees it) */
} tf_cell;

typedef struct tf_column {
  const char *name; /* static string: lower-case, [a-z0-9_], unit suffix included */
  const char *unit; /* static string: "MW", "s", "USD", "1" for a ratio or count, "" for text */
} tf_column;

/* A table: n_rows x n_cols cells, row-major. The first column of a table with several rows is
 * its key (a class name, an interval's start, a cost component). */
typedef struct tf_table {
  const char *name; /* static: "summary", "classes", "series", "costs" */
  size_t n_cols, n_rows;
  const tf_column *cols; /* static array */
  tf_cell *cells;        /* owned */
  size_t cap_rows;
} tf_table;

/* Starts an empty table. */
void tf_table_init(tf_table *t, const char *name, const tf_column *cols, size_t n_cols);
/* Appends a row of NULL cells and returns it (n_cols cells), or NULL when out of memory. */
tf_cell *tf_table_add_row(tf_table *t);
/* The cell at row r of the column named col, or NULL when there is no such column or row. */
const tf_cell *tf_table_get(const tf_table *t, size_t r, const char *col);
/* Setters for a row returned by tf_table_add_row; set_text copies s (TF_ENOMEM when it cannot). */
void tf_cell_set_real(tf_cell *c, double v);
void tf_cell_set_int(tf_cell *c, int64_t v);
int tf_cell_set_text(tf_cell *c, const char *s);
void tf_table_fini(tf_table *t);

/* Everything one run leaves behind. */
typedef struct tf_run_record {
  /* Identity. */
  const char *scenario_name;
  const char *scenario_path;
  const char *scenario_text;    /* the file's bytes as read */
  size_t scenario_len;
  char scenario_sha256[65];     /* lower-case hex of SHA-256 over scenario_text, NUL-terminated */
  const char *overrides;        /* the --set arguments, one per line ("" when none) */
  uint64_t seed;
  const char *version;          /* tokenfab's version */
  char started_utc[32];         /* ISO 8601, "2026-11-25T19:04:40Z" */
  double wall_s;                /* wall time of the run */
  /* Results. */
  tf_table summary; /* exactly one row */
  tf_table classes; /* one row per request class, key column `class` */
  tf_table series;  /* one row per interval, key column `t_s` (empty without a time series) */
  tf_table costs;   /* one row per cost component, key column `component` (empty without an
                       economics section) */
} tf_run_record;

void tf_run_record_fini(tf_run_record *r); /* frees the four tables */

#endif
