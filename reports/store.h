/* The results database: every run appended to one SQLite file, in one transaction, so a sweep's
 * runs can be queried together (schema, views and example queries: docs/DATABASE.md). */
#ifndef TF_STORE_H
#define TF_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "results.h"

/* PRAGMA application_id of a tokenfab results database: "TFAB" in ASCII (0x54464142), which
 * tells tokenfab's files from other applications' SQLite databases. Never changes. */
#define TF_STORE_APPLICATION_ID 1413890370
/* PRAGMA user_version: the schema this build writes. Raised by one with every change to tables
 * or views; a build opens files up to its own version (migrating older ones) and refuses newer. */
#define TF_STORE_SCHEMA_VERSION 2
/* How long a writer waits for another process's transaction on the same file to finish. */
#define TF_STORE_BUSY_TIMEOUT_MS 10000

typedef struct tf_store tf_store;

/* Opens (creating when absent or empty) the results database at path. A new file gets the schema;
 * an existing one must carry TF_STORE_APPLICATION_ID and a schema version this build knows, else
 * TF_EDB with a sentence in err ("results.db: not a tokenfab results database", "results.db:
 * schema version 7 is newer than this tokenfab (1); use a newer tokenfab") and the file as it was.
 * Turns foreign keys on and waits up to TF_STORE_BUSY_TIMEOUT_MS for other writers. err may be
 * NULL; failures also pass through TF_FAIL. */
int tf_store_open(const char *path, tf_store **out, char *err, size_t err_size);

/* Writes one run in one transaction (BEGIN IMMEDIATE ... COMMIT) and sets *run_id to its id.
 * On failure (TF_EDB with err) the transaction is rolled back: nothing of the run remains, and
 * *run_id is left as it was. A process killed mid-write leaves nothing either: the next
 * connection rolls the journal back. Non-finite REAL cells are stored as NULL. */
int tf_store_write_run(tf_store *s, const tf_run_record *r, int64_t *run_id, char *err,
                       size_t err_size);

/* A sweep as the database knows it (docs/SWEEPS.md). key identifies it: the same scenario text,
 * overrides and sweep definition give the same key, so runs of one sweep from several processes,
 * shards or sessions (--resume) land in one sweep and runs of different sweeps never mix. */
typedef struct tf_store_sweep {
  const char *key;             /* hex SHA-256 of what defines the sweep */
  const char *scenario_name, *scenario_sha256;
  const char *definition;      /* the sweep's canonical text */
  int64_t points, replications;
  uint64_t master_seed;
  size_t n_axes;
  const char *const *axis_names;
} tf_store_sweep;

/* Finds the sweep with w->key, or adds it with its axes; *sweep_id its id. 0 or TF_EDB. */
int tf_store_open_sweep(tf_store *s, const tf_store_sweep *w, int64_t *sweep_id, char *err,
                        size_t err_size);

/* Sets done[p x replications + r] for every run of the sweep the file holds (others are left
 * as they are). 0 or TF_EDB. */
int tf_store_sweep_done(tf_store *s, int64_t sweep_id, int64_t points, int64_t replications,
                        bool *done, char *err, size_t err_size);

/* Writes run r as (point, replication) of the sweep, with the point's axis values, in one
 * transaction like tf_store_write_run: a run is in the file with its place in the sweep, or not
 * at all. A (point, replication) already there is TF_EDB and nothing is written. */
int tf_store_write_sweep_run(tf_store *s, const tf_run_record *r, int64_t sweep_id,
                             int64_t point, int64_t replication, const char *const *labels,
                             size_t n_labels, int64_t *run_id, char *err, size_t err_size);

/* Several runs of sweeps written in one transaction (tf_store_write_sweep_runs): all or none. A
 * sweep worker batches its runs so that the commit's fsyncs are paid once per batch. */
typedef struct tf_store_sweep_run {
  const tf_run_record *record;
  int64_t sweep_id, point, replication;
  const char *const *labels;
  size_t n_labels;
} tf_store_sweep_run;
int tf_store_write_sweep_runs(tf_store *s, const tf_store_sweep_run *runs, size_t n, char *err,
                              size_t err_size);

/* One run of a sweep with the summary metrics asked for. */
typedef struct tf_store_sweep_row {
  int64_t point, replication;
  double *values;     /* one per name asked for; NaN when absent, NULL or text */
  char *text;         /* the first text metric among the names (NULL: none) */
  size_t text_metric; /* its index among the names */
} tf_store_sweep_row;

/* Every run of the sweep, ordered by point then replication, with the summary metrics named.
 * Free with tf_store_sweep_rows_free. 0, TF_EDB or TF_ENOMEM. */
int tf_store_sweep_metrics(tf_store *s, int64_t sweep_id, const char *const *names, size_t n,
                           tf_store_sweep_row **rows, size_t *n_rows, char *err,
                           size_t err_size);
void tf_store_sweep_rows_free(tf_store_sweep_row *rows, size_t n);

/* Adds to s every sweep run of the results database at src_path that s lacks (same sweep,
 * point and replication), with its tables, in one transaction; *copied and *skipped count the
 * runs. src must hold the same sweep as s (or s none yet): merging different sweeps is
 * TF_EINVAL with a message naming both; a file that is not a tokenfab database, or holds no
 * sweep, TF_EINVAL; SQLite failures TF_EDB. On failure s is as it was. */
int tf_store_merge(tf_store *s, const char *src_path, int64_t *copied, int64_t *skipped,
                   char *err, size_t err_size);

/* (Re)creates the view sweep_table_<sweep_id>: one row per point with results, ordered by
 * point: `point`, one column per axis (named as the axis, holding the point's value as
 * written), `replications`, and the mean over replications of each summary metric named (text
 * metrics give NULL). 0, TF_EDB or TF_ENOMEM. */
int tf_store_sweep_view(tf_store *s, int64_t sweep_id, const char *const *axes, size_t n_axes,
                        const char *const *metrics, size_t n_metrics, char *err,
                        size_t err_size);

/* Closes the database; s may be NULL. */
void tf_store_close(tf_store *s);

/* Tests only: hook(ctx, rows) runs after each row tf_store_write_run inserts (the runs row
 * included, so rows is 1 after it), inside the open transaction. NULL removes it. */
void tf_store_set_row_hook(tf_store *s, void (*hook)(void *ctx, size_t rows), void *ctx);

/* The one integer a statement without parameters returns (a PRAGMA, a count) from db, an
 * sqlite3 handle: SQLITE_OK with *v, or SQLite's result code. For the store and the reports that
 * read its files. */
struct sqlite3;
int tf_store_query_int(struct sqlite3 *db, const char *sql, int64_t *v);

#endif
