/* The results database: schema, identity checks and one transaction per run (see store.h and
 * docs/DATABASE.md). */
#include "store.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appendf.h"
#include "error.h"

#define TF_STR_(x) #x
#define TF_STR(x) TF_STR_(x)

/* Schema version 1. The child tables are WITHOUT ROWID: their primary key is how every query
 * reaches them (a run's rows, a view's pivot), so the key is the table and no second b-tree is
 * kept. AUTOINCREMENT keeps run ids from being reused after the newest run is deleted, so an id
 * quoted in a note keeps meaning one run. PRAGMA values cannot be bound; these are constants. */
static const char *const SCHEMA_SQL[] = {
    "CREATE TABLE runs (\n"
    "  run_id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  scenario_name TEXT NOT NULL,\n"
    "  scenario_path TEXT,\n"
    "  scenario_sha256 TEXT NOT NULL,\n"
    "  scenario_text TEXT NOT NULL,\n"
    "  overrides TEXT NOT NULL,\n"
    "  seed INTEGER NOT NULL,\n"
    "  tokenfab_version TEXT NOT NULL,\n"
    "  started_utc TEXT NOT NULL,\n"
    "  wall_s REAL NOT NULL);\n",
    /* Comparing runs of one scenario text, or of one scenario name. */
    "CREATE INDEX runs_by_scenario_sha256 ON runs(scenario_sha256, run_id);\n",
    "CREATE INDEX runs_by_scenario_name ON runs(scenario_name, run_id);\n",
    "CREATE TABLE metrics (\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,\n"
    "  name TEXT NOT NULL,\n"
    "  unit TEXT NOT NULL,\n"
    "  value REAL,\n"
    "  text TEXT,\n"
    "  PRIMARY KEY (run_id, name)) WITHOUT ROWID;\n",
    "CREATE TABLE class_metrics (\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,\n"
    "  class TEXT NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  unit TEXT NOT NULL,\n"
    "  value REAL,\n"
    "  text TEXT,\n"
    "  PRIMARY KEY (run_id, class, name)) WITHOUT ROWID;\n",
    /* One class's metric over runs ("chat's ttft_p99_s in every run"). */
    "CREATE INDEX class_metrics_by_class ON class_metrics(class, name, run_id);\n",
    "CREATE TABLE series (\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,\n"
    "  t_s REAL NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  unit TEXT NOT NULL,\n"
    "  value REAL,\n"
    "  PRIMARY KEY (run_id, t_s, name)) WITHOUT ROWID;\n",
    "CREATE TABLE costs (\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,\n"
    "  component TEXT NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  unit TEXT NOT NULL,\n"
    "  value REAL,\n"
    "  PRIMARY KEY (run_id, component, name)) WITHOUT ROWID;\n",
/* run_summary: correlated look-ups on metrics' primary key keep the view a plain SELECT over
 * runs, so a WHERE on runs' columns narrows it before any metric is read. */
#define RUN_METRIC(name) \
  ",\n  (SELECT m.value FROM metrics m WHERE m.run_id = r.run_id AND m.name = '" name "') AS " name
    "CREATE VIEW run_summary AS SELECT\n"
    "  r.run_id, r.scenario_name, r.started_utc, r.seed, r.tokenfab_version, r.wall_s"
    RUN_METRIC("output_tokens_per_s") RUN_METRIC("goodput_output_tokens_per_s")
    RUN_METRIC("slo_attainment") RUN_METRIC("ttft_p99_s") RUN_METRIC("tpot_p99_s")
    RUN_METRIC("it_power_avg_mw") RUN_METRIC("facility_power_avg_mw")
    RUN_METRIC("joules_per_output_token") RUN_METRIC("output_tokens_per_s_per_mw_facility")
    RUN_METRIC("availability") RUN_METRIC("tco_per_year_usd") RUN_METRIC("cost_per_mtok_in_usd")
    RUN_METRIC("cost_per_mtok_out_usd")
    ",\n  (SELECT m.text FROM metrics m"
    " WHERE m.run_id = r.run_id AND m.name = 'binding_constraint') AS binding_constraint\n"
    "FROM runs r;\n",
#undef RUN_METRIC
/* class_summary and cost_breakdown: one row per (run, key), pivoted by grouping along the
 * primary key; the key is unique per name, so max() picks the one value (NULL when absent).
 * SQLite pushes a WHERE on run_id or on the key down into the grouping. */
#define PIVOT(name) ",\n  max(CASE name WHEN '" name "' THEN value END) AS " name
    "CREATE VIEW class_summary AS SELECT\n"
    "  run_id, class"
    PIVOT("requests_per_s") PIVOT("output_tokens_per_s") PIVOT("slo_attainment")
    PIVOT("ttft_p99_s") PIVOT("tpot_p99_s")
    "\nFROM class_metrics GROUP BY run_id, class;\n",
    "CREATE VIEW cost_breakdown AS SELECT\n"
    "  run_id, component"
    PIVOT("usd_per_year") PIVOT("usd_window") PIVOT("share") PIVOT("cost_per_mtok_out_usd")
    "\nFROM costs GROUP BY run_id, component;\n",
#undef PIVOT
    "PRAGMA application_id = " TF_STR(TF_STORE_APPLICATION_ID),
};
enum { SCHEMA_STATEMENTS = sizeof SCHEMA_SQL / sizeof SCHEMA_SQL[0] };

/* Version 2 adds sweeps: a sweep, its axes, and which run is which (point, replication) of it
 * with the point's axis values; a version 1 file is upgraded by these statements alone. */
static const char *const SCHEMA_V2_SQL[] = {
    "CREATE TABLE sweeps (\n"
    "  sweep_id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  sweep_key TEXT NOT NULL UNIQUE,\n"
    "  scenario_name TEXT NOT NULL,\n"
    "  scenario_sha256 TEXT NOT NULL,\n"
    "  definition TEXT NOT NULL,\n"
    "  points INTEGER NOT NULL,\n"
    "  replications INTEGER NOT NULL,\n"
    "  master_seed INTEGER NOT NULL);\n",
    "CREATE TABLE sweep_axes (\n"
    "  sweep_id INTEGER NOT NULL REFERENCES sweeps(sweep_id) ON DELETE CASCADE,\n"
    "  axis INTEGER NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  PRIMARY KEY (sweep_id, axis)) WITHOUT ROWID;\n",
    "CREATE TABLE sweep_runs (\n"
    "  sweep_id INTEGER NOT NULL REFERENCES sweeps(sweep_id) ON DELETE CASCADE,\n"
    "  point INTEGER NOT NULL,\n"
    "  replication INTEGER NOT NULL,\n"
    "  run_id INTEGER NOT NULL UNIQUE REFERENCES runs(run_id) ON DELETE CASCADE,\n"
    "  PRIMARY KEY (sweep_id, point, replication)) WITHOUT ROWID;\n",
    "CREATE TABLE sweep_labels (\n"
    "  sweep_id INTEGER NOT NULL REFERENCES sweeps(sweep_id) ON DELETE CASCADE,\n"
    "  point INTEGER NOT NULL,\n"
    "  axis INTEGER NOT NULL,\n"
    "  value TEXT NOT NULL,\n"
    "  PRIMARY KEY (sweep_id, point, axis)) WITHOUT ROWID;\n",
    /* One row per sweep run with its headline metrics (the axis values: sweep_labels). */
    "CREATE VIEW sweep_summary AS SELECT\n"
    "  w.sweep_id, w.point, w.replication, s.*\n"
    "FROM sweep_runs w JOIN run_summary s ON s.run_id = w.run_id;\n",
    "PRAGMA user_version = " TF_STR(TF_STORE_SCHEMA_VERSION),
};
enum { SCHEMA_V2_STATEMENTS = sizeof SCHEMA_V2_SQL / sizeof SCHEMA_V2_SQL[0] };

static const char INSERT_RUN_SQL[] =
    "INSERT INTO runs(scenario_name, scenario_path, scenario_sha256, scenario_text, overrides,"
    " seed, tokenfab_version, started_utc, wall_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
enum run_param {
  RUN_NAME = 1, RUN_PATH, RUN_SHA256, RUN_TEXT, RUN_OVERRIDES, RUN_SEED, RUN_VERSION, RUN_STARTED,
  RUN_WALL,
};

/* The four result tables and the SQL table each goes to. Every insert numbers its parameters
 * the same way (enum cell_param), so one routine binds a cell for any of them. */
enum cell_param { P_RUN_ID = 1, P_NAME, P_UNIT, P_VALUE, P_TEXT, P_KEY };
typedef enum sink_id { SINK_METRICS, SINK_CLASSES, SINK_SERIES, SINK_COSTS, SINK_COUNT_ } sink_id;
typedef struct sink {
  const char *table; /* the SQL table, for messages */
  const char *key;   /* the record table's first column, its key; NULL: no key (summary) */
  bool has_text;     /* the SQL table has a `text` column for TEXT cells */
  const char *sql;
} sink;
static const sink SINKS[SINK_COUNT_] = {
    [SINK_METRICS] = {"metrics", NULL, true,
                      "INSERT INTO metrics(run_id, name, unit, value, text)"
                      " VALUES (?1, ?2, ?3, ?4, ?5)"},
    [SINK_CLASSES] = {"class_metrics", "class", true,
                      "INSERT INTO class_metrics(run_id, class, name, unit, value, text)"
                      " VALUES (?1, ?6, ?2, ?3, ?4, ?5)"},
    [SINK_SERIES] = {"series", "t_s", false,
                     "INSERT INTO series(run_id, t_s, name, unit, value)"
                     " VALUES (?1, ?6, ?2, ?3, ?4)"},
    [SINK_COSTS] = {"costs", "component", false,
                    "INSERT INTO costs(run_id, component, name, unit, value)"
                    " VALUES (?1, ?6, ?2, ?3, ?4)"},
};

/* An open database. Statements are prepared once at open; between writes every statement is
 * reset with its parameters cleared, so an unbound parameter is NULL. */
struct tf_store {
  sqlite3 *db;
  char *path; /* as given, for messages */
  sqlite3_stmt *insert_run;
  sqlite3_stmt *insert[SINK_COUNT_];
  void (*row_hook)(void *ctx, size_t rows);
  void *row_hook_ctx;
  size_t rows; /* rows the current write has inserted */
};

static char *copy_string(const char *s) {
  size_t n = strlen(s) + 1;
  char *c = malloc(n);
  if (c)
    memcpy(c, s, n);
  return c;
}

int tf_store_query_int(sqlite3 *db, const char *sql, int64_t *v) {
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc != SQLITE_OK)
    return rc;
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *v = sqlite3_column_int64(st, 0);
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return rc;
}

/* Ends the open transaction, if any, leaving the file as it was before it began. Some errors
 * (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM, ...) have already rolled it back ("Response To
 * Errors Within A Transaction", https://www.sqlite.org/lang_transaction.html); a second
 * ROLLBACK would only fail. */
static void rollback(sqlite3 *db) {
  if (!sqlite3_get_autocommit(db))
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* What the file holds, read inside the open transaction. */
typedef struct identity {
  int64_t application_id, user_version, schema_objects;
} identity;

static int read_identity(sqlite3 *db, identity *id) {
  int rc = tf_store_query_int(db, "PRAGMA application_id", &id->application_id);
  if (rc == SQLITE_OK)
    rc = tf_store_query_int(db, "PRAGMA user_version", &id->user_version);
  if (rc == SQLITE_OK)
    rc = tf_store_query_int(db, "SELECT count(*) FROM sqlite_master", &id->schema_objects);
  return rc;
}

/* A message for an SQLite failure while opening: a file that is not SQLite gets the same
 * sentence as another application's database. */
static int open_failed(const tf_store *s, int rc, char *err, size_t err_size) {
  if (rc == SQLITE_NOTADB)
    return tf_fail_into(err, err_size, TF_EDB, "%s: not a tokenfab results database (%s)", s->path,
                        sqlite3_errmsg(s->db));
  return tf_fail_into(err, err_size, TF_EDB, "%s: cannot open the results database: %s", s->path,
                      sqlite3_errmsg(s->db));
}

/* Refuses a file that is not a tokenfab database of a schema this build knows. */
static int check_identity(const tf_store *s, const identity *id, char *err, size_t err_size) {
  if (id->application_id != TF_STORE_APPLICATION_ID)
    return tf_fail_into(err, err_size, TF_EDB,
                        "%s: not a tokenfab results database (SQLite application_id %#llx, "
                        "tokenfab's is %#llx)",
                        s->path, (unsigned long long)(uint32_t)id->application_id,
                        (unsigned long long)TF_STORE_APPLICATION_ID);
  if (id->user_version > TF_STORE_SCHEMA_VERSION)
    return tf_fail_into(err, err_size, TF_EDB,
                        "%s: schema version %lld is newer than this tokenfab (%d); use a newer "
                        "tokenfab",
                        s->path, (long long)id->user_version, TF_STORE_SCHEMA_VERSION);
  /* Version 1 files are upgraded (adopt_schema); nothing is older. */
  if (id->user_version < 1)
    return tf_fail_into(err, err_size, TF_EDB,
                        "%s: schema version %lld is not one this tokenfab knows (it writes %d)",
                        s->path, (long long)id->user_version, TF_STORE_SCHEMA_VERSION);
  return 0;
}

/* Gives a new (empty) file the schema, or checks an existing one. Both happen under the write
 * lock of BEGIN IMMEDIATE, so two processes creating one file cannot both lay the schema down. */
static int adopt_schema(tf_store *s, char *err, size_t err_size) {
  int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  identity id = {0};
  if (rc == SQLITE_OK)
    rc = read_identity(s->db, &id);
  bool empty = id.application_id == 0 && id.user_version == 0 && id.schema_objects == 0;
  for (int i = 0; rc == SQLITE_OK && empty && i < SCHEMA_STATEMENTS; i++)
    rc = sqlite3_exec(s->db, SCHEMA_SQL[i], NULL, NULL, NULL);
  bool upgrade = empty || (id.application_id == TF_STORE_APPLICATION_ID && id.user_version == 1);
  for (int i = 0; rc == SQLITE_OK && upgrade && i < SCHEMA_V2_STATEMENTS; i++)
    rc = sqlite3_exec(s->db, SCHEMA_V2_SQL[i], NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    int status = open_failed(s, rc, err, err_size);
    rollback(s->db);
    return status;
  }
  int status = empty ? 0 : check_identity(s, &id, err, err_size);
  if (status != 0) {
    rollback(s->db);
    return status;
  }
  rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    status = open_failed(s, rc, err, err_size);
    rollback(s->db);
  }
  return status;
}

static int prepare_statements(tf_store *s) {
  int rc = sqlite3_prepare_v3(s->db, INSERT_RUN_SQL, -1, SQLITE_PREPARE_PERSISTENT,
                              &s->insert_run, NULL);
  for (int i = 0; i < SINK_COUNT_ && rc == SQLITE_OK; i++)
    rc = sqlite3_prepare_v3(s->db, SINKS[i].sql, -1, SQLITE_PREPARE_PERSISTENT, &s->insert[i],
                            NULL);
  return rc;
}

int tf_store_open(const char *path, tf_store **out, char *err, size_t err_size) {
  assert(path);
  assert(out);
  *out = NULL;
  tf_store *s = calloc(1, sizeof *s);
  if (!s || !(s->path = copy_string(path))) {
    free(s);
    return tf_fail_into(err, err_size, TF_ENOMEM, "%s: out of memory opening the results database",
                        path);
  }
  int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_busy_timeout(s->db, TF_STORE_BUSY_TIMEOUT_MS);
  /* Per connection, and a no-op inside a transaction: set before the first BEGIN. */
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
  int status = 0;
  if (rc != SQLITE_OK) {
    status = s->db ? open_failed(s, rc, err, err_size)
                   : tf_fail_into(err, err_size, TF_ENOMEM,
                                  "%s: out of memory opening the results database", path);
  }
  if (status == 0)
    status = adopt_schema(s, err, err_size);
  if (status == 0 && (rc = prepare_statements(s)) != SQLITE_OK)
    status = open_failed(s, rc, err, err_size);
  if (status != 0) {
    tf_store_close(s);
    return status;
  }
  *out = s;
  return 0;
}

void tf_store_close(tf_store *s) {
  if (!s)
    return;
  sqlite3_finalize(s->insert_run);
  for (int i = 0; i < SINK_COUNT_; i++)
    sqlite3_finalize(s->insert[i]);
  /* Every statement is finalized, so the connection closes now. */
  int rc = sqlite3_close(s->db);
  assert(rc == SQLITE_OK);
  (void)rc;
  free(s->path);
  free(s);
}

void tf_store_set_row_hook(tf_store *s, void (*hook)(void *ctx, size_t rows), void *ctx) {
  assert(s);
  s->row_hook = hook;
  s->row_hook_ctx = ctx;
}

/* Steps an INSERT, then readies it for the next row. The message of a failure is still
 * sqlite3_errmsg's afterwards: sqlite3_reset reports the same error. */
static int insert_row(tf_store *s, sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE)
    return rc;
  s->rows++;
  if (s->row_hook)
    s->row_hook(s->row_hook_ctx, s->rows);
  return SQLITE_OK;
}

/* The seed's 64 bits as SQLite's signed INTEGER: seeds of 2^63 and above read back negative
 * (the same bits; SQL's printf('%llu', seed) shows them unsigned). Written without the
 * implementation-defined conversion of an out-of-range unsigned value. */
static int64_t seed_bits(uint64_t seed) {
  return seed <= (uint64_t)INT64_MAX ? (int64_t)seed : -(int64_t)(UINT64_MAX - seed) - 1;
}

static int insert_run(tf_store *s, const tf_run_record *r, int64_t *run_id, char *err,
                      size_t err_size) {
  sqlite3_stmt *st = s->insert_run;
  int rc = sqlite3_bind_text(st, RUN_NAME, r->scenario_name, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_text(st, RUN_PATH, r->scenario_path, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_text(st, RUN_SHA256, r->scenario_sha256, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_text64(st, RUN_TEXT, r->scenario_text, r->scenario_len, SQLITE_STATIC,
                             SQLITE_UTF8);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_text(st, RUN_OVERRIDES, r->overrides, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(st, RUN_SEED, seed_bits(r->seed));
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_text(st, RUN_VERSION, r->version, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_text(st, RUN_STARTED, r->started_utc, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK && isfinite(r->wall_s))
    rc = sqlite3_bind_double(st, RUN_WALL, r->wall_s);
  if (rc == SQLITE_OK)
    rc = insert_row(s, st);
  else
    sqlite3_clear_bindings(st);
  if (rc != SQLITE_OK)
    return tf_fail_into(err, err_size, TF_EDB, "%s: cannot write the run: runs: %s", s->path,
                        sqlite3_errmsg(s->db));
  *run_id = sqlite3_last_insert_rowid(s->db);
  return 0;
}

/* Binds a key cell to P_KEY; NULL and non-finite keys stay NULL, which NOT NULL refuses. */
static int bind_key(sqlite3_stmt *st, const tf_cell *c) {
  switch (c->kind) {
  case TF_CELL_TEXT:
    return sqlite3_bind_text(st, P_KEY, c->text, -1, SQLITE_STATIC);
  case TF_CELL_INT:
    return sqlite3_bind_int64(st, P_KEY, c->integer);
  case TF_CELL_REAL:
    return isfinite(c->real) ? sqlite3_bind_double(st, P_KEY, c->real) : SQLITE_OK;
  case TF_CELL_NULL:
    break;
  }
  return SQLITE_OK;
}

/* Binds a metric cell: numbers to P_VALUE, text to P_TEXT; NULL and non-finite stay NULL. */
static int bind_value(sqlite3_stmt *st, const tf_cell *c) {
  switch (c->kind) {
  case TF_CELL_REAL:
    return isfinite(c->real) ? sqlite3_bind_double(st, P_VALUE, c->real) : SQLITE_OK;
  case TF_CELL_INT:
    return sqlite3_bind_int64(st, P_VALUE, c->integer);
  case TF_CELL_TEXT:
    return sqlite3_bind_text(st, P_TEXT, c->text, -1, SQLITE_STATIC);
  case TF_CELL_NULL:
    break;
  }
  return SQLITE_OK;
}

/* Inserts one metric: column col of a row whose key cell is key (NULL for the summary). */
static int insert_metric(tf_store *s, sqlite3_stmt *st, int64_t run_id, const tf_cell *key,
                         const tf_column *col, const tf_cell *cell) {
  int rc = sqlite3_bind_int64(st, P_RUN_ID, run_id);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_text(st, P_NAME, col->name, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_text(st, P_UNIT, col->unit, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK && key)
    rc = bind_key(st, key);
  if (rc == SQLITE_OK)
    rc = bind_value(st, cell);
  if (rc != SQLITE_OK) {
    sqlite3_clear_bindings(st);
    return rc;
  }
  return insert_row(s, st);
}

/* Inserts every cell of table t but its key column, one row per (key, column). */
static int insert_table(tf_store *s, sink_id which, int64_t run_id, const tf_table *t, char *err,
                        size_t err_size) {
  const sink *k = &SINKS[which];
  if (t->n_rows == 0)
    return 0;
  assert(!k->key || (t->n_cols > 0 && strcmp(t->cols[0].name, k->key) == 0));
  size_t first = k->key ? 1 : 0; /* the first metric column */
  for (size_t r = 0; r < t->n_rows; r++) {
    const tf_cell *row = &t->cells[r * t->n_cols];
    for (size_t c = first; c < t->n_cols; c++) {
      if (row[c].kind == TF_CELL_TEXT && !k->has_text)
        return tf_fail_into(err, err_size, TF_EDB,
                            "%s: cannot write the run: %s row %zu, column %s: text in a table that "
                            "holds numbers only",
                            s->path, k->table, r + 1, t->cols[c].name);
      int rc = insert_metric(s, s->insert[which], run_id, k->key ? &row[0] : NULL, &t->cols[c],
                             &row[c]);
      if (rc != SQLITE_OK)
        return tf_fail_into(err, err_size, TF_EDB,
                            "%s: cannot write the run: %s row %zu, column %s: %s", s->path,
                            k->table, r + 1, t->cols[c].name, sqlite3_errmsg(s->db));
    }
  }
  return 0;
}

/* Inserts run r and its tables inside the open transaction; *run_id its id. */
static int insert_record(tf_store *s, const tf_run_record *r, int64_t *run_id, char *err,
                         size_t err_size) {
  assert(r->summary.n_rows <= 1);
  int status = insert_run(s, r, run_id, err, err_size);
  const tf_table *tables[SINK_COUNT_] = {
      [SINK_METRICS] = &r->summary,
      [SINK_CLASSES] = &r->classes,
      [SINK_SERIES] = &r->series,
      [SINK_COSTS] = &r->costs,
  };
  for (int i = 0; i < SINK_COUNT_ && status == 0; i++)
    status = insert_table(s, (sink_id)i, *run_id, tables[i], err, err_size);
  return status;
}

static int begin(tf_store *s, const char *what, char *err, size_t err_size) {
  s->rows = 0;
  if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return tf_fail_into(err, err_size, TF_EDB, "%s: cannot start writing %s: %s", s->path, what,
                        sqlite3_errmsg(s->db));
  return 0;
}

/* Commits when status is 0, else (or when the commit fails) rolls back. */
static int end(tf_store *s, int status, const char *what, char *err, size_t err_size) {
  if (status == 0 && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    status = tf_fail_into(err, err_size, TF_EDB, "%s: cannot commit %s: %s", s->path, what,
                          sqlite3_errmsg(s->db));
  if (status != 0)
    rollback(s->db);
  return status;
}

int tf_store_write_run(tf_store *s, const tf_run_record *r, int64_t *run_id, char *err,
                       size_t err_size) {
  assert(s);
  assert(r);
  assert(run_id);
  int status = begin(s, "the run", err, err_size);
  if (status)
    return status;
  int64_t id = 0;
  status = end(s, insert_record(s, r, &id, err, err_size), "the run", err, err_size);
  if (status == 0)
    *run_id = id;
  return status;
}

/* ---- sweeps ---- */

/* Runs sql with its ?1.. parameters bound to the int64s in v (n of them); a row's first column
 * goes to *out when out is given (else the statement must return no row). SQLITE_DONE when the
 * query returned no row. */
static int exec_int(sqlite3 *db, const char *sql, const int64_t *v, int n, int64_t *out) {
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  for (int i = 0; rc == SQLITE_OK && i < n; i++)
    rc = sqlite3_bind_int64(st, i + 1, v[i]);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && out) {
      *out = sqlite3_column_int64(st, 0);
      rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE && !out) {
      rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(st);
  return rc;
}

static int find_sweep(sqlite3 *db, const char *schema, const char *key, int64_t *id) {
  char sql[160];
  snprintf(sql, sizeof sql, "SELECT sweep_id FROM %s.sweeps WHERE sweep_key = ?1", schema);
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      *id = sqlite3_column_int64(st, 0);
      rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(st);
  return rc;
}

static int insert_sweep(tf_store *s, const tf_store_sweep *w, int64_t *id) {
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(s->db,
                              "INSERT INTO sweeps(sweep_key, scenario_name, scenario_sha256, "
                              "definition, points, replications, master_seed) "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                              -1, &st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_text(st, 1, w->key, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_text(st, 2, w->scenario_name, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_text(st, 3, w->scenario_sha256, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_text(st, 4, w->definition, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(st, 5, w->points);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(st, 6, w->replications);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(st, 7, seed_bits(w->master_seed));
  if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_DONE)
    rc = SQLITE_OK;
  sqlite3_finalize(st);
  if (rc != SQLITE_OK)
    return rc;
  *id = sqlite3_last_insert_rowid(s->db);
  st = NULL;
  rc = sqlite3_prepare_v2(s->db, "INSERT INTO sweep_axes(sweep_id, axis, name) VALUES (?1, ?2, ?3)",
                          -1, &st, NULL);
  for (size_t a = 0; rc == SQLITE_OK && a < w->n_axes; a++) {
    sqlite3_bind_int64(st, 1, *id);
    sqlite3_bind_int64(st, 2, (int64_t)a);
    sqlite3_bind_text(st, 3, w->axis_names[a], -1, SQLITE_STATIC);
    rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->db);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  return rc;
}

int tf_store_open_sweep(tf_store *s, const tf_store_sweep *w, int64_t *sweep_id, char *err,
                   size_t err_size) {
  int status = begin(s, "the sweep", err, err_size);
  if (status)
    return status;
  int64_t id = 0;
  int rc = find_sweep(s->db, "main", w->key, &id);
  if (rc == SQLITE_DONE)
    rc = insert_sweep(s, w, &id);
  if (rc != SQLITE_OK)
    status = tf_fail_into(err, err_size, TF_EDB, "%s: cannot record the sweep: %s", s->path,
                          sqlite3_errmsg(s->db));
  status = end(s, status, "the sweep", err, err_size);
  if (status == 0)
    *sweep_id = id;
  return status;
}

int tf_store_sweep_done(tf_store *s, int64_t sweep_id, int64_t points, int64_t replications,
                        bool *done, char *err, size_t err_size) {
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(s->db,
                              "SELECT point, replication FROM sweep_runs WHERE sweep_id = ?1",
                              -1, &st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(st, 1, sweep_id);
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t p = sqlite3_column_int64(st, 0), r = sqlite3_column_int64(st, 1);
    if (p >= 0 && p < points && r >= 0 && r < replications)
      done[p * replications + r] = true;
    rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return tf_fail_into(err, err_size, TF_EDB, "%s: cannot read the sweep's finished runs: %s",
                        s->path, sqlite3_errmsg(s->db));
  return 0;
}

static int insert_labels(tf_store *s, int64_t sweep_id, int64_t point, const char *const *labels,
                         size_t n) {
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(s->db,
                              "INSERT OR IGNORE INTO sweep_labels(sweep_id, point, axis, value) "
                              "VALUES (?1, ?2, ?3, ?4)",
                              -1, &st, NULL);
  for (size_t a = 0; rc == SQLITE_OK && a < n; a++) {
    sqlite3_bind_int64(st, 1, sweep_id);
    sqlite3_bind_int64(st, 2, point);
    sqlite3_bind_int64(st, 3, (int64_t)a);
    sqlite3_bind_text(st, 4, labels[a], -1, SQLITE_STATIC);
    rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->db);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  return rc;
}

/* The run id of (point, replication) of the sweep, 0 when there is none. */
static int64_t run_of(tf_store *s, int64_t sweep_id, int64_t point, int64_t replication) {
  int64_t v[] = {sweep_id, point, replication}, id = 0;
  if (exec_int(s->db,
               "SELECT run_id FROM sweep_runs WHERE sweep_id = ?1 AND point = ?2 AND "
               "replication = ?3",
               v, 3, &id) != SQLITE_OK)
    return 0;
  return id;
}

/* Inserts one sweep run (record, place, labels) inside the open transaction. */
static int insert_sweep_run(tf_store *s, const tf_store_sweep_run *w, char *err,
                            size_t err_size) {
  int64_t id = 0;
  int status = insert_record(s, w->record, &id, err, err_size);
  if (status)
    return status;
  int64_t v[] = {w->sweep_id, w->point, w->replication, id};
  int rc = exec_int(s->db,
                    "INSERT INTO sweep_runs(sweep_id, point, replication, run_id) "
                    "VALUES (?1, ?2, ?3, ?4)",
                    v, 4, NULL);
  if (rc == SQLITE_OK)
    rc = insert_labels(s, w->sweep_id, w->point, w->labels, w->n_labels);
  if (rc != SQLITE_OK)
    return tf_fail_into(err, err_size, TF_EDB,
                        "%s: cannot record point %lld, replication %lld of the sweep: %s", s->path,
                        (long long)w->point, (long long)w->replication, sqlite3_errmsg(s->db));
  return 0;
}

int tf_store_write_sweep_runs(tf_store *s, const tf_store_sweep_run *runs, size_t n, char *err,
                              size_t err_size) {
  int status = begin(s, "the runs", err, err_size);
  for (size_t i = 0; status == 0 && i < n; i++)
    status = insert_sweep_run(s, &runs[i], err, err_size);
  return end(s, status, "the runs", err, err_size);
}

int tf_store_write_sweep_run(tf_store *s, const tf_run_record *r, int64_t sweep_id,
                             int64_t point, int64_t replication, const char *const *labels,
                             size_t n_labels, int64_t *run_id, char *err, size_t err_size) {
  int status = begin(s, "the run", err, err_size);
  if (status)
    return status;
  tf_store_sweep_run w = {.record = r, .sweep_id = sweep_id, .point = point,
                          .replication = replication, .labels = labels, .n_labels = n_labels};
  status = end(s, insert_sweep_run(s, &w, err, err_size), "the run", err, err_size);
  if (status == 0)
    *run_id = run_of(s, sweep_id, point, replication);
  return status;
}

int tf_store_sweep_metrics(tf_store *s, int64_t sweep_id, const char *const *names, size_t n,
                           tf_store_sweep_row **rows, size_t *n_rows, char *err,
                           size_t err_size) {
  *rows = NULL;
  *n_rows = 0;
  sqlite3_stmt *runs = NULL, *metric = NULL;
  int rc = sqlite3_prepare_v2(s->db,
                              "SELECT point, replication, run_id FROM sweep_runs "
                              "WHERE sweep_id = ?1 ORDER BY point, replication",
                              -1, &runs, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(s->db,
                            "SELECT value, text FROM metrics WHERE run_id = ?1 AND name = ?2", -1,
                            &metric, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(runs, 1, sweep_id);
  size_t cap = 0;
  int status = 0;
  while (rc == SQLITE_OK && (rc = sqlite3_step(runs)) == SQLITE_ROW) {
    rc = SQLITE_OK;
    if (*n_rows == cap) {
      cap = cap ? 2 * cap : 64;
      tf_store_sweep_row *grown = realloc(*rows, cap * sizeof **rows);
      if (!grown) {
        status = TF_ENOMEM;
        break;
      }
      *rows = grown;
    }
    tf_store_sweep_row *row = &(*rows)[*n_rows];
    *row = (tf_store_sweep_row){.point = sqlite3_column_int64(runs, 0),
                                .replication = sqlite3_column_int64(runs, 1),
                                .values = calloc(n ? n : 1, sizeof(double))};
    if (!row->values) {
      status = TF_ENOMEM;
      break;
    }
    (*n_rows)++;
    int64_t run_id = sqlite3_column_int64(runs, 2);
    for (size_t k = 0; rc == SQLITE_OK && k < n; k++) {
      row->values[k] = NAN;
      sqlite3_bind_int64(metric, 1, run_id);
      sqlite3_bind_text(metric, 2, names[k], -1, SQLITE_STATIC);
      rc = sqlite3_step(metric);
      if (rc == SQLITE_ROW) {
        if (sqlite3_column_type(metric, 0) != SQLITE_NULL)
          row->values[k] = sqlite3_column_double(metric, 0);
        else if (sqlite3_column_type(metric, 1) != SQLITE_NULL && !row->text) {
          row->text = copy_string((const char *)sqlite3_column_text(metric, 1));
          row->text_metric = k;
        }
        rc = SQLITE_OK;
      } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
      }
      sqlite3_reset(metric);
    }
  }
  sqlite3_finalize(runs);
  sqlite3_finalize(metric);
  if (status == 0 && rc != SQLITE_DONE)
    status = tf_fail_into(err, err_size, TF_EDB, "%s: cannot read the sweep's results: %s", s->path,
                          sqlite3_errmsg(s->db));
  else if (status == TF_ENOMEM)
    status = tf_fail_into(err, err_size, TF_ENOMEM, "%s: out of memory reading the sweep", s->path);
  if (status) {
    tf_store_sweep_rows_free(*rows, *n_rows);
    *rows = NULL;
    *n_rows = 0;
  }
  return status;
}

void tf_store_sweep_rows_free(tf_store_sweep_row *rows, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(rows[i].values);
    free(rows[i].text);
  }
  free(rows);
}

/* ---- merging shards ---- */

/* Runs one statement with int64 parameters; no rows expected. */
static int run_ids(sqlite3 *db, const char *sql, int64_t a, int64_t b) {
  int64_t v[] = {a, b};
  return exec_int(db, sql, v, 2, NULL);
}

/* Copies run old_id of src into main with its four tables; *new_id its id in main. */
static int copy_run(sqlite3 *db, int64_t old_id, int64_t *new_id) {
  int64_t v[] = {old_id};
  int rc = exec_int(db,
                    "INSERT INTO main.runs(scenario_name, scenario_path, scenario_sha256, "
                    "scenario_text, overrides, seed, tokenfab_version, started_utc, wall_s) "
                    "SELECT scenario_name, scenario_path, scenario_sha256, scenario_text, "
                    "overrides, seed, tokenfab_version, started_utc, wall_s FROM src.runs "
                    "WHERE run_id = ?1",
                    v, 1, NULL);
  if (rc != SQLITE_OK)
    return rc;
  *new_id = sqlite3_last_insert_rowid(db);
  static const char *const copies[] = {
      "INSERT INTO main.metrics SELECT ?1, name, unit, value, text FROM src.metrics "
      "WHERE run_id = ?2",
      "INSERT INTO main.class_metrics SELECT ?1, class, name, unit, value, text "
      "FROM src.class_metrics WHERE run_id = ?2",
      "INSERT INTO main.series SELECT ?1, t_s, name, unit, value FROM src.series "
      "WHERE run_id = ?2",
      "INSERT INTO main.costs SELECT ?1, component, name, unit, value FROM src.costs "
      "WHERE run_id = ?2",
  };
  for (size_t i = 0; rc == SQLITE_OK && i < sizeof copies / sizeof copies[0]; i++)
    rc = run_ids(db, copies[i], *new_id, old_id);
  return rc;
}

/* The sweep in main with src's sweep src_id's key: found, or copied when main holds no other
 * sweep; TF_EINVAL (with a message) when main holds a different one. */
static int match_sweep(tf_store *s, int64_t src_id, const char *src_path, int64_t *dst_id,
                       char *err, size_t err_size) {
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(s->db,
                              "SELECT sweep_key, scenario_name FROM src.sweeps WHERE sweep_id = ?1",
                              -1, &st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(st, 1, src_id);
  if (rc == SQLITE_OK && sqlite3_step(st) != SQLITE_ROW)
    rc = sqlite3_errcode(s->db);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(st);
    return rc;
  }
  char *key = copy_string((const char *)sqlite3_column_text(st, 0));
  char *name = copy_string((const char *)sqlite3_column_text(st, 1));
  sqlite3_finalize(st);
  if (!key || !name) {
    free(key);
    free(name);
    return SQLITE_NOMEM;
  }
  rc = find_sweep(s->db, "main", key, dst_id);
  if (rc == SQLITE_DONE) {
    int64_t others = 0;
    rc = tf_store_query_int(s->db, "SELECT count(*) FROM main.sweeps", &others);
    if (rc == SQLITE_OK && others > 0) {
      rc = tf_fail_into(err, err_size, TF_EINVAL,
                        "%s: its sweep (of scenario \"%s\", key %.12s) is not the sweep %s holds: "
                        "only shards of one sweep can be merged",
                        src_path, name, key, s->path);
    } else if (rc == SQLITE_OK) {
      int64_t v[] = {src_id};
      rc = exec_int(s->db,
                    "INSERT INTO main.sweeps(sweep_key, scenario_name, scenario_sha256, "
                    "definition, points, replications, master_seed) SELECT sweep_key, "
                    "scenario_name, scenario_sha256, definition, points, replications, "
                    "master_seed FROM src.sweeps WHERE sweep_id = ?1",
                    v, 1, NULL);
      if (rc == SQLITE_OK) {
        *dst_id = sqlite3_last_insert_rowid(s->db);
        rc = run_ids(s->db,
                     "INSERT INTO main.sweep_axes SELECT ?1, axis, name FROM src.sweep_axes "
                     "WHERE sweep_id = ?2",
                     *dst_id, src_id);
      }
    }
  }
  free(key);
  free(name);
  return rc;
}

/* Copies every run of src's sweep src_id that main lacks. */
static int merge_sweep(tf_store *s, int64_t src_id, int64_t dst_id, int64_t *copied,
                       int64_t *skipped) {
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(s->db,
                              "SELECT w.point, w.replication, w.run_id, EXISTS (SELECT 1 FROM "
                              "main.sweep_runs d WHERE d.sweep_id = ?2 AND d.point = w.point AND "
                              "d.replication = w.replication) FROM src.sweep_runs w WHERE "
                              "w.sweep_id = ?1 ORDER BY w.point, w.replication",
                              -1, &st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(st, 1, src_id);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(st, 2, dst_id);
  while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t point = sqlite3_column_int64(st, 0), rep = sqlite3_column_int64(st, 1);
    int64_t old_id = sqlite3_column_int64(st, 2), new_id = 0;
    rc = SQLITE_OK;
    if (sqlite3_column_int64(st, 3)) {
      (*skipped)++;
      continue;
    }
    rc = copy_run(s->db, old_id, &new_id);
    int64_t v[] = {dst_id, point, rep, new_id};
    if (rc == SQLITE_OK)
      rc = exec_int(s->db,
                    "INSERT INTO main.sweep_runs(sweep_id, point, replication, run_id) "
                    "VALUES (?1, ?2, ?3, ?4)",
                    v, 4, NULL);
    int64_t l[] = {dst_id, src_id, point};
    if (rc == SQLITE_OK)
      rc = exec_int(s->db,
                    "INSERT OR IGNORE INTO main.sweep_labels SELECT ?1, point, axis, value "
                    "FROM src.sweep_labels WHERE sweep_id = ?2 AND point = ?3",
                    l, 3, NULL);
    if (rc == SQLITE_OK)
      (*copied)++;
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int check_source(tf_store *s, const char *src_path, char *err, size_t err_size) {
  int64_t app = 0, version = 0;
  int rc = tf_store_query_int(s->db, "PRAGMA src.application_id", &app);
  if (rc == SQLITE_OK)
    rc = tf_store_query_int(s->db, "PRAGMA src.user_version", &version);
  if (rc == SQLITE_NOTADB || (rc == SQLITE_OK && app != TF_STORE_APPLICATION_ID))
    return tf_fail_into(err, err_size, TF_EINVAL, "%s: not a tokenfab results database", src_path);
  if (rc != SQLITE_OK)
    return tf_fail_into(err, err_size, TF_EDB, "%s: cannot read it: %s", src_path,
                        sqlite3_errmsg(s->db));
  if (version > TF_STORE_SCHEMA_VERSION)
    return tf_fail_into(err, err_size, TF_EINVAL,
                        "%s: schema version %lld is newer than this tokenfab (%d)", src_path,
                        (long long)version, TF_STORE_SCHEMA_VERSION);
  if (version < 2)
    return tf_fail_into(err, err_size, TF_EINVAL, "%s: holds no sweep (schema version %lld)",
                        src_path, (long long)version);
  return 0;
}

int tf_store_merge(tf_store *s, const char *src_path, int64_t *copied, int64_t *skipped,
                   char *err, size_t err_size) {
  *copied = *skipped = 0;
  FILE *probe = fopen(src_path, "rb"); /* ATTACH would create a missing file */
  if (!probe)
    return tf_fail_into(err, err_size, TF_EINVAL, "%s: cannot open: %s", src_path, strerror(errno));
  fclose(probe);
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(s->db, "ATTACH DATABASE ?1 AS src", -1, &st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_text(st, 1, src_path, -1, SQLITE_STATIC);
  if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_DONE)
    rc = SQLITE_OK;
  sqlite3_finalize(st);
  if (rc == SQLITE_NOTADB)
    return tf_fail_into(err, err_size, TF_EINVAL, "%s: not a tokenfab results database (%s)",
                        src_path, sqlite3_errmsg(s->db));
  if (rc != SQLITE_OK)
    return tf_fail_into(err, err_size, TF_EDB, "%s: cannot attach it: %s", src_path,
                        sqlite3_errmsg(s->db));
  int status = check_source(s, src_path, err, err_size);
  if (status == 0)
    status = begin(s, "the merge", err, err_size);
  if (status == 0) {
    sqlite3_stmt *sweeps;
    rc = sqlite3_prepare_v2(s->db, "SELECT sweep_id FROM src.sweeps ORDER BY sweep_id", -1,
                            &sweeps, NULL);
    while (status == 0 && rc == SQLITE_OK && (rc = sqlite3_step(sweeps)) == SQLITE_ROW) {
      int64_t src_id = sqlite3_column_int64(sweeps, 0), dst_id = 0;
      rc = match_sweep(s, src_id, src_path, &dst_id, err, err_size);
      if (rc == TF_EINVAL) {
        status = TF_EINVAL;
        break;
      }
      if (rc == SQLITE_OK)
        rc = merge_sweep(s, src_id, dst_id, copied, skipped);
    }
    sqlite3_finalize(sweeps);
    if (status == 0 && rc != SQLITE_DONE)
      status = tf_fail_into(err, err_size, TF_EDB, "%s: cannot merge %s: %s", s->path, src_path,
                            sqlite3_errmsg(s->db));
    status = end(s, status, "the merge", err, err_size);
  }
  sqlite3_exec(s->db, "DETACH DATABASE src", NULL, NULL, NULL);
  if (status)
    *copied = *skipped = 0;
  return status;
}

/* ---- a sweep's table as a view ---- */

int tf_store_sweep_view(tf_store *s, int64_t sweep_id, const char *const *axes, size_t n_axes,
                        const char *const *metrics, size_t n_metrics, char *err,
                        size_t err_size) {
  /* Identifiers are quoted with %w and literals with %Q: axis names are PATHs as written. */
  char *sql = sqlite3_mprintf("DROP VIEW IF EXISTS \"sweep_table_%lld\";\n"
                              "CREATE VIEW \"sweep_table_%lld\" AS SELECT r.point AS point",
                              (long long)sweep_id, (long long)sweep_id);
  for (size_t a = 0; sql && a < n_axes; a++) {
    char *next = sqlite3_mprintf("%s,\n  (SELECT l.value FROM sweep_labels l WHERE l.sweep_id = "
                                 "r.sweep_id AND l.point = r.point AND l.axis = %lld) AS \"%w\"",
                                 sql, (long long)a, axes[a]);
    sqlite3_free(sql);
    sql = next;
  }
  if (sql) {
    char *next = sqlite3_mprintf("%s,\n  count(*) AS replications", sql);
    sqlite3_free(sql);
    sql = next;
  }
  for (size_t m = 0; sql && m < n_metrics; m++) {
    char *next = sqlite3_mprintf("%s,\n  avg((SELECT v.value FROM metrics v WHERE v.run_id = "
                                 "r.run_id AND v.name = %Q)) AS \"%w\"",
                                 sql, metrics[m], metrics[m]);
    sqlite3_free(sql);
    sql = next;
  }
  if (sql) {
    char *next = sqlite3_mprintf("%s\nFROM sweep_runs r WHERE r.sweep_id = %lld GROUP BY r.point "
                                 "ORDER BY r.point;",
                                 sql, (long long)sweep_id);
    sqlite3_free(sql);
    sql = next;
  }
  if (!sql)
    return tf_fail_into(err, err_size, TF_ENOMEM, "%s: out of memory describing the sweep table",
                        s->path);
  int status = begin(s, "the sweep table", err, err_size);
  if (status == 0 && sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    status = tf_fail_into(err, err_size, TF_EDB, "%s: cannot create the sweep table view: %s",
                          s->path, sqlite3_errmsg(s->db));
  sqlite3_free(sql);
  return end(s, status, "the sweep table", err, err_size);
}
