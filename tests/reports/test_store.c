/* The results store: a record round trip read back with plain SQL (tables and views), identity
 * checks on open, concurrent writers, and writes killed or failing mid-way that leave nothing. */
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "results.h"
#include "sha256.h"
#include "store.h"
#include "tf_test.h"

/* ---- temporary files ---- */

/* A fresh directory under /tmp; every test puts its database there and removes both. */
typedef struct tmp_dir {
  char dir[64];
  char db[128];      /* dir/results.db */
  char journal[160]; /* its rollback journal */
} tmp_dir;

static bool tmp_dir_make(tmp_dir *t) {
  snprintf(t->dir, sizeof t->dir, "/tmp/tf-store-XXXXXX");
  if (!mkdtemp(t->dir))
    return false;
  snprintf(t->db, sizeof t->db, "%s/results.db", t->dir);
  snprintf(t->journal, sizeof t->journal, "%s-journal", t->db);
  return true;
}

static void tmp_dir_remove(const tmp_dir *t) {
  unlink(t->journal);
  unlink(t->db);
  TF_CHECK_INT(rmdir(t->dir), 0);
}

static bool file_exists(const char *path) { return access(path, F_OK) == 0; }

/* ---- plain SQL reads ---- */

static sqlite3 *raw_open(const char *path) {
  sqlite3 *db = NULL;
  TF_CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
  return db;
}

static void raw_exec(sqlite3 *db, const char *sql) {
  char *msg = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
  if (rc != SQLITE_OK)
    fprintf(stderr, "%s: %s\n", sql, msg ? msg : "?");
  TF_CHECK_INT(rc, SQLITE_OK);
  sqlite3_free(msg);
}

/* The first column of the first row of sql, with ?1 = run_id and ?2, ?3 = a, b (when not NULL),
 * as "NULL", "INT:7", "REAL:0.25" (%.17g), "TEXT:..." or "NOROW", so a check names the type
 * SQLite holds as well as the value. The buffer is reused by the next call. */
static const char *q(sqlite3 *db, const char *sql, int64_t run_id, const char *a, const char *b) {
  static char out[1024];
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    snprintf(out, sizeof out, "ERROR:%s", sqlite3_errmsg(db));
    return out;
  }
  int n = sqlite3_bind_parameter_count(st);
  if (n >= 1)
    sqlite3_bind_int64(st, 1, run_id);
  if (n >= 2)
    sqlite3_bind_text(st, 2, a, -1, SQLITE_STATIC);
  if (n >= 3)
    sqlite3_bind_text(st, 3, b, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    snprintf(out, sizeof out, rc == SQLITE_DONE ? "NOROW" : "ERROR:%s", sqlite3_errmsg(db));
  } else {
    switch (sqlite3_column_type(st, 0)) {
    case SQLITE_NULL:
      snprintf(out, sizeof out, "NULL");
      break;
    case SQLITE_INTEGER:
      snprintf(out, sizeof out, "INT:%lld", (long long)sqlite3_column_int64(st, 0));
      break;
    case SQLITE_FLOAT:
      snprintf(out, sizeof out, "REAL:%.17g", sqlite3_column_double(st, 0));
      break;
    default:
      snprintf(out, sizeof out, "TEXT:%s", (const char *)sqlite3_column_text(st, 0));
      break;
    }
  }
  sqlite3_finalize(st);
  return out;
}

static int64_t q_int(sqlite3 *db, const char *sql, int64_t run_id) {
  const char *v = q(db, sql, run_id, NULL, NULL);
  if (strncmp(v, "INT:", 4) != 0) {
    fprintf(stderr, "%s: %s\n", sql, v);
    return -1;
  }
  return strtoll(v + 4, NULL, 10);
}

/* Rows in every table the store writes, to show that a failed write added none. */
typedef struct row_counts {
  int64_t runs, metrics, class_metrics, series, costs;
} row_counts;

static row_counts count_rows(sqlite3 *db) {
  return (row_counts){
      .runs = q_int(db, "SELECT count(*) FROM runs", 0),
      .metrics = q_int(db, "SELECT count(*) FROM metrics", 0),
      .class_metrics = q_int(db, "SELECT count(*) FROM class_metrics", 0),
      .series = q_int(db, "SELECT count(*) FROM series", 0),
      .costs = q_int(db, "SELECT count(*) FROM costs", 0),
  };
}

static void check_same_counts(row_counts a, row_counts b) {
  TF_CHECK_INT(a.runs, b.runs);
  TF_CHECK_INT(a.metrics, b.metrics);
  TF_CHECK_INT(a.class_metrics, b.class_metrics);
  TF_CHECK_INT(a.series, b.series);
  TF_CHECK_INT(a.costs, b.costs);
}

static void check_integrity(sqlite3 *db) {
  TF_CHECK_STR(q(db, "PRAGMA integrity_check", 0, NULL, NULL), "TEXT:ok");
  TF_CHECK_STR(q(db, "PRAGMA foreign_key_check", 0, NULL, NULL), "NOROW");
}

/* ---- a record with every kind of cell ---- */

static const tf_column SUMMARY_COLS[] = {
    {"output_tokens_per_s", "1/s"},
    {"goodput_output_tokens_per_s", "1/s"},
    {"slo_attainment", "1"},
    {"ttft_p99_s", "s"},
    {"tpot_p99_s", "s"},
    {"it_power_avg_mw", "MW"},
    {"facility_power_avg_mw", "MW"},
    {"joules_per_output_token", "J"},
    {"output_tokens_per_s_per_mw_facility", "1/(s MW)"},
    {"availability", "1"}, /* NaN: stored as NULL */
    {"tco_per_year_usd", "USD"},
    {"cost_per_mtok_in_usd", "USD"}, /* a NULL cell */
    {"cost_per_mtok_out_usd", "USD"},
    {"binding_constraint", ""},    /* a TEXT cell */
    {"requests_completed", "1"},   /* an INT cell */
    {"peak_queue_s", "s"},         /* +Inf: stored as NULL */
};
enum { N_SUMMARY = sizeof SUMMARY_COLS / sizeof SUMMARY_COLS[0] };

static const tf_column CLASS_COLS[] = {
    {"class", ""},          {"requests_per_s", "1/s"}, {"output_tokens_per_s", "1/s"},
    {"slo_attainment", "1"}, {"ttft_p99_s", "s"},       {"tpot_p99_s", "s"},
    {"completed", "1"},     {"note", ""},
};
enum { N_CLASS_COLS = sizeof CLASS_COLS / sizeof CLASS_COLS[0] };

static const tf_column SERIES_COLS[] = {
    {"t_s", "s"}, {"it_power_mw", "MW"}, {"queued", "1"}, {"ttft_p99_s", "s"}};
enum { N_SERIES_COLS = sizeof SERIES_COLS / sizeof SERIES_COLS[0] };

static const tf_column COST_COLS[] = {{"component", ""},
                                      {"usd_per_year", "USD"},
                                      {"usd_window", "USD"},
                                      {"share", "1"},
                                      {"cost_per_mtok_out_usd", "USD"}};
enum { N_COST_COLS = sizeof COST_COLS / sizeof COST_COLS[0] };

/* Class names with SQL quotes and multi-byte UTF-8: bound parameters must carry them intact. */
static const char *const CLASSES[] = {"chat", "it's \"batch\"; DROP TABLE runs;--",
                                      "r\xc3\xa9sum\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac"};
enum { N_CLASSES = 3, N_SERIES_ROWS = 4, N_COSTS = 3 };
static const char *const COMPONENTS[N_COSTS] = {"capex_systems", "energy", "maintenance"};

static const char SCENARIO_TEXT[] = "name: \"caf\xc3\xa9 o'clock\"\nseed: 42\n";

static void set_text(tf_cell *c, const char *s) { TF_CHECK_INT(tf_cell_set_text(c, s), 0); }

static void fill_identity(tf_run_record *r, uint64_t seed) {
  r->scenario_name = "caf\xc3\xa9 o'clock";
  r->scenario_path = "scenarios/cafe.yaml";
  r->scenario_text = SCENARIO_TEXT;
  r->scenario_len = strlen(SCENARIO_TEXT);
  tf_sha256_hex(SCENARIO_TEXT, strlen(SCENARIO_TEXT), r->scenario_sha256);
  r->overrides = "serving.tp=8\nseed=7";
  r->seed = seed;
  r->version = "0.1.0-test";
  snprintf(r->started_utc, sizeof r->started_utc, "2026-11-25T19:04:40Z");
  r->wall_s = 1.25;
}

static void fill_summary(tf_table *t, double scale) {
  tf_table_init(t, "summary", SUMMARY_COLS, N_SUMMARY);
  tf_cell *row = tf_table_add_row(t);
  TF_CHECK(row != NULL);
  for (size_t i = 0; i < 9; i++) /* the first nine: (i + 1) x scale + 0.5 */
    tf_cell_set_real(&row[i], scale * (double)(i + 1) + 0.5);
  tf_cell_set_real(&row[9], NAN);
  tf_cell_set_real(&row[10], 1.5e8);
  /* row[11] stays NULL */
  tf_cell_set_real(&row[12], 0.125);
  set_text(&row[13], "power");
  tf_cell_set_int(&row[14], 123456789);
  tf_cell_set_real(&row[15], INFINITY);
}

static void fill_classes(tf_table *t) {
  tf_table_init(t, "classes", CLASS_COLS, N_CLASS_COLS);
  for (size_t c = 0; c < N_CLASSES; c++) {
    tf_cell *row = tf_table_add_row(t);
    TF_CHECK(row != NULL);
    set_text(&row[0], CLASSES[c]);
    tf_cell_set_real(&row[1], 10.0 * (double)(c + 1));
    tf_cell_set_real(&row[2], 1000.0 * (double)(c + 1));
    tf_cell_set_real(&row[3], 0.99 - 0.01 * (double)c);
    tf_cell_set_real(&row[4], 0.25 * (double)(c + 1));
    tf_cell_set_real(&row[5], -NAN);
    tf_cell_set_int(&row[6], (int64_t)(c + 1) * 1000);
    set_text(&row[7], "quote ' and \" and \xe2\x82\xac");
  }
}

/* Interval i of the series: 20 s long. */
static void add_series_row(tf_table *t, size_t i) {
  tf_cell *row = tf_table_add_row(t);
  TF_CHECK(row != NULL);
  if (!row)
    return;
  tf_cell_set_real(&row[0], 20.0 * (double)i);
  tf_cell_set_real(&row[1], 0.5 + 0.01 * (double)i);
  tf_cell_set_int(&row[2], (int64_t)i * 3);
  /* row[3] stays NULL in the first interval (no request finished yet) */
  if (i > 0)
    tf_cell_set_real(&row[3], 0.1 * (double)i);
}

static void fill_series(tf_table *t) {
  tf_table_init(t, "series", SERIES_COLS, N_SERIES_COLS);
  for (size_t i = 0; i < N_SERIES_ROWS; i++)
    add_series_row(t, i);
}

static void fill_costs(tf_table *t) {
  tf_table_init(t, "costs", COST_COLS, N_COST_COLS);
  for (size_t i = 0; i < N_COSTS; i++) {
    tf_cell *row = tf_table_add_row(t);
    TF_CHECK(row != NULL);
    set_text(&row[0], COMPONENTS[i]);
    tf_cell_set_real(&row[1], 1e6 * (double)(i + 1));
    tf_cell_set_real(&row[2], 1e3 * (double)(i + 1));
    tf_cell_set_real(&row[3], (double)(i + 1) / 6.0);
    tf_cell_set_real(&row[4], 0.01 * (double)(i + 1));
  }
}

/* A record with all four tables; scale varies the summary so runs differ. */
static void make_full_record(tf_run_record *r, uint64_t seed, double scale) {
  *r = (tf_run_record){0};
  fill_identity(r, seed);
  fill_summary(&r->summary, scale);
  fill_classes(&r->classes);
  fill_series(&r->series);
  fill_costs(&r->costs);
}

/* A run whose series (some 120,000 rows) outgrows SQLite's default page cache of 2,000 KiB
 * (SQLITE_DEFAULT_CACHE_SIZE, -2000), so the write spills pages into the database file before
 * COMMIT: killed then, the file is half-written and only the journal can make it whole. */
enum { SPILL_SERIES_ROWS = 40000 };
static void make_big_record(tf_run_record *r, uint64_t seed) {
  make_full_record(r, seed, 5.0);
  for (size_t i = N_SERIES_ROWS; i < SPILL_SERIES_ROWS; i++)
    add_series_row(&r->series, i);
}

/* Rows tf_store_write_run inserts for r: the run, each summary cell, and each non-key cell of
 * the other tables. */
static size_t record_rows(const tf_run_record *r) {
  size_t rows = 1 + r->summary.n_rows * r->summary.n_cols;
  const tf_table *keyed[] = {&r->classes, &r->series, &r->costs};
  for (size_t i = 0; i < 3; i++)
    if (keyed[i]->n_rows > 0)
      rows += keyed[i]->n_rows * (keyed[i]->n_cols - 1);
  return rows;
}

/* A run that reports only throughput: no classes, series or costs (tables never initialised). */
static const tf_column SPARSE_COLS[] = {{"output_tokens_per_s", "1/s"}};
static void make_sparse_record(tf_run_record *r, uint64_t seed) {
  *r = (tf_run_record){0};
  fill_identity(r, seed);
  r->scenario_path = NULL;
  r->overrides = "";
  tf_table_init(&r->summary, "summary", SPARSE_COLS, 1);
  tf_cell *row = tf_table_add_row(&r->summary);
  TF_CHECK(row != NULL);
  tf_cell_set_real(&row[0], 777.0);
}

static int64_t write_ok(tf_store *s, const tf_run_record *r) {
  char err[512] = "";
  int64_t id = -1;
  int rc = tf_store_write_run(s, r, &id, err, sizeof err);
  if (rc != 0)
    fprintf(stderr, "write failed: %s\n", err);
  TF_CHECK_INT(rc, 0);
  return id;
}

static tf_store *open_ok(const char *path) {
  char err[512] = "";
  tf_store *s = NULL;
  int rc = tf_store_open(path, &s, err, sizeof err);
  if (rc != 0)
    fprintf(stderr, "open failed: %s\n", err);
  TF_CHECK_INT(rc, 0);
  return s;
}

static void count_rows_hook(void *ctx, size_t rows) {
  size_t *last = ctx;
  TF_CHECK_INT(rows, *last + 1); /* one call per row, counting up */
  *last = rows;
}

/* ---- round trip ---- */

static void check_run_row(sqlite3 *db, int64_t id) {
  TF_CHECK_STR(q(db, "SELECT scenario_name FROM runs WHERE run_id = ?1", id, NULL, NULL),
               "TEXT:caf\xc3\xa9 o'clock");
  TF_CHECK_STR(q(db, "SELECT scenario_path FROM runs WHERE run_id = ?1", id, NULL, NULL),
               "TEXT:scenarios/cafe.yaml");
  char hex[TF_SHA256_HEX_SIZE], expect[80];
  tf_sha256_hex(SCENARIO_TEXT, strlen(SCENARIO_TEXT), hex);
  snprintf(expect, sizeof expect, "TEXT:%s", hex);
  TF_CHECK_STR(q(db, "SELECT scenario_sha256 FROM runs WHERE run_id = ?1", id, NULL, NULL),
               expect);
  TF_CHECK_STR(q(db, "SELECT scenario_text FROM runs WHERE run_id = ?1", id, NULL, NULL) + 5,
               SCENARIO_TEXT);
  TF_CHECK_STR(q(db, "SELECT overrides FROM runs WHERE run_id = ?1", id, NULL, NULL),
               "TEXT:serving.tp=8\nseed=7");
  /* UINT64_MAX - 5: the same 64 bits, read back signed and printed unsigned. */
  TF_CHECK_STR(q(db, "SELECT seed FROM runs WHERE run_id = ?1", id, NULL, NULL), "INT:-6");
  TF_CHECK_STR(q(db, "SELECT printf('%llu', seed) FROM runs WHERE run_id = ?1", id, NULL, NULL),
               "TEXT:18446744073709551610");
  TF_CHECK_STR(q(db, "SELECT tokenfab_version FROM runs WHERE run_id = ?1", id, NULL, NULL),
               "TEXT:0.1.0-test");
  TF_CHECK_STR(q(db, "SELECT started_utc FROM runs WHERE run_id = ?1", id, NULL, NULL),
               "TEXT:2026-11-25T19:04:40Z");
  TF_CHECK_STR(q(db, "SELECT wall_s FROM runs WHERE run_id = ?1", id, NULL, NULL), "REAL:1.25");
}

static const char METRIC_VALUE[] = "SELECT value FROM metrics WHERE run_id = ?1 AND name = ?2";
static const char METRIC_TEXT[] = "SELECT text FROM metrics WHERE run_id = ?1 AND name = ?2";
static const char METRIC_UNIT[] = "SELECT unit FROM metrics WHERE run_id = ?1 AND name = ?2";

static void check_metrics(sqlite3 *db, int64_t id) {
  TF_CHECK_INT(q_int(db, "SELECT count(*) FROM metrics WHERE run_id = ?1", id), N_SUMMARY);
  TF_CHECK_STR(q(db, METRIC_VALUE, id, "output_tokens_per_s", NULL), "REAL:1.5");
  TF_CHECK_STR(q(db, METRIC_UNIT, id, "output_tokens_per_s", NULL), "TEXT:1/s");
  TF_CHECK_STR(q(db, METRIC_TEXT, id, "output_tokens_per_s", NULL), "NULL");
  TF_CHECK_STR(q(db, METRIC_VALUE, id, "ttft_p99_s", NULL), "REAL:4.5");
  TF_CHECK_STR(q(db, METRIC_UNIT, id, "it_power_avg_mw", NULL), "TEXT:MW");
  /* Non-finite and NULL cells: a row with NULL value and text (the metric was reported). */
  TF_CHECK_STR(q(db, METRIC_VALUE, id, "availability", NULL), "NULL");
  TF_CHECK_STR(q(db, METRIC_TEXT, id, "availability", NULL), "NULL");
  TF_CHECK_STR(q(db, METRIC_VALUE, id, "peak_queue_s", NULL), "NULL");
  TF_CHECK_STR(q(db, METRIC_VALUE, id, "cost_per_mtok_in_usd", NULL), "NULL");
  /* INT goes to the REAL column: REAL affinity turns it into a floating value. */
  TF_CHECK_STR(q(db, METRIC_VALUE, id, "requests_completed", NULL), "REAL:123456789");
  /* TEXT goes to `text`, value NULL. */
  TF_CHECK_STR(q(db, METRIC_TEXT, id, "binding_constraint", NULL), "TEXT:power");
  TF_CHECK_STR(q(db, METRIC_VALUE, id, "binding_constraint", NULL), "NULL");
  TF_CHECK_STR(q(db, METRIC_UNIT, id, "binding_constraint", NULL), "TEXT:");
}

static void check_tables(sqlite3 *db, int64_t id) {
  TF_CHECK_INT(q_int(db, "SELECT count(*) FROM class_metrics WHERE run_id = ?1", id),
               N_CLASSES * (N_CLASS_COLS - 1));
  const char *cm = "SELECT value FROM class_metrics WHERE run_id = ?1 AND class = ?2 AND name = ?3";
  const char *ct = "SELECT text FROM class_metrics WHERE run_id = ?1 AND class = ?2 AND name = ?3";
  TF_CHECK_STR(q(db, cm, id, CLASSES[1], "ttft_p99_s"), "REAL:0.5");
  TF_CHECK_STR(q(db, cm, id, CLASSES[2], "requests_per_s"), "REAL:30");
  TF_CHECK_STR(q(db, cm, id, CLASSES[2], "tpot_p99_s"), "NULL"); /* NaN */
  TF_CHECK_STR(q(db, cm, id, CLASSES[0], "completed"), "REAL:1000");
  TF_CHECK_STR(q(db, ct, id, CLASSES[2], "note"), "TEXT:quote ' and \" and \xe2\x82\xac");
  TF_CHECK_STR(q(db, "SELECT class FROM class_metrics WHERE run_id = ?1 ORDER BY class DESC", id,
                 NULL, NULL),
               "TEXT:r\xc3\xa9sum\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac");

  TF_CHECK_INT(q_int(db, "SELECT count(*) FROM series WHERE run_id = ?1", id),
               N_SERIES_ROWS * (N_SERIES_COLS - 1));
  const char *sv = "SELECT value FROM series WHERE run_id = ?1 AND t_s = CAST(?2 AS REAL)"
                   " AND name = ?3";
  TF_CHECK_STR(q(db, sv, id, "40", "it_power_mw"), "REAL:0.52000000000000002");
  TF_CHECK_STR(q(db, sv, id, "60", "queued"), "REAL:9");
  TF_CHECK_STR(q(db, sv, id, "0", "ttft_p99_s"), "NULL");
  TF_CHECK_STR(q(db, "SELECT typeof(t_s) FROM series WHERE run_id = ?1 LIMIT 1", id, NULL, NULL),
               "TEXT:real");

  TF_CHECK_INT(q_int(db, "SELECT count(*) FROM costs WHERE run_id = ?1", id),
               N_COSTS * (N_COST_COLS - 1));
  TF_CHECK_STR(q(db, "SELECT value FROM costs WHERE run_id = ?1 AND component = ?2 AND name = ?3",
                 id, "energy", "usd_per_year"),
               "REAL:2000000");
  TF_CHECK_STR(q(db, "SELECT unit FROM costs WHERE run_id = ?1 AND component = ?2 AND name = ?3",
                 id, "energy", "share"),
               "TEXT:1");
}

static void check_views(sqlite3 *db, int64_t full, int64_t sparse) {
  const char *rs = "SELECT %s FROM run_summary WHERE run_id = ?1";
  char sql[256];
  snprintf(sql, sizeof sql, rs, "output_tokens_per_s");
  TF_CHECK_STR(q(db, sql, full, NULL, NULL), "REAL:1.5");
  TF_CHECK_STR(q(db, sql, sparse, NULL, NULL), "REAL:777");
  snprintf(sql, sizeof sql, rs, "output_tokens_per_s_per_mw_facility");
  TF_CHECK_STR(q(db, sql, full, NULL, NULL), "REAL:9.5");
  snprintf(sql, sizeof sql, rs, "cost_per_mtok_out_usd");
  TF_CHECK_STR(q(db, sql, full, NULL, NULL), "REAL:0.125");
  snprintf(sql, sizeof sql, rs, "tco_per_year_usd");
  TF_CHECK_STR(q(db, sql, full, NULL, NULL), "REAL:150000000");
  snprintf(sql, sizeof sql, rs, "availability"); /* NaN in the record */
  TF_CHECK_STR(q(db, sql, full, NULL, NULL), "NULL");
  snprintf(sql, sizeof sql, rs, "binding_constraint");
  TF_CHECK_STR(q(db, sql, full, NULL, NULL), "TEXT:power");
  TF_CHECK_STR(q(db, sql, sparse, NULL, NULL), "NULL"); /* missing in the run */
  snprintf(sql, sizeof sql, rs, "ttft_p99_s");
  TF_CHECK_STR(q(db, sql, sparse, NULL, NULL), "NULL");
  snprintf(sql, sizeof sql, rs, "seed");
  TF_CHECK_STR(q(db, sql, sparse, NULL, NULL), "INT:17");
  snprintf(sql, sizeof sql, rs, "scenario_name || '|' || started_utc || '|' || tokenfab_version");
  TF_CHECK_STR(q(db, sql, full, NULL, NULL),
               "TEXT:caf\xc3\xa9 o'clock|2026-11-25T19:04:40Z|0.1.0-test");
  snprintf(sql, sizeof sql, rs, "wall_s");
  TF_CHECK_STR(q(db, sql, full, NULL, NULL), "REAL:1.25");

  TF_CHECK_INT(q_int(db, "SELECT count(*) FROM class_summary WHERE run_id = ?1", full), N_CLASSES);
  TF_CHECK_INT(q_int(db, "SELECT count(*) FROM class_summary WHERE run_id = ?1", sparse), 0);
  const char *cs = "SELECT requests_per_s || '|' || output_tokens_per_s || '|' || slo_attainment"
                   " || '|' || ttft_p99_s || '|' || ifnull(tpot_p99_s, 'null')"
                   " FROM class_summary WHERE run_id = ?1 AND class = ?2";
  TF_CHECK_STR(q(db, cs, full, CLASSES[1], NULL), "TEXT:20.0|2000.0|0.98|0.5|null");

  TF_CHECK_INT(q_int(db, "SELECT count(*) FROM cost_breakdown WHERE run_id = ?1", full), N_COSTS);
  const char *cb = "SELECT usd_per_year || '|' || usd_window || '|' || round(share, 6) || '|'"
                   " || cost_per_mtok_out_usd"
                   " FROM cost_breakdown WHERE run_id = ?1 AND component = ?2";
  TF_CHECK_STR(q(db, cb, full, "maintenance", NULL), "TEXT:3000000.0|3000.0|0.5|0.03");
  TF_CHECK_STR(q(db, "SELECT sum(share) FROM cost_breakdown WHERE run_id = ?1", full, NULL, NULL),
               "REAL:1");
}

/* The example queries of docs/DATABASE.md run as written. */
static void check_doc_queries(sqlite3 *db, int64_t newest) {
  TF_CHECK_INT(q_int(db, "SELECT * FROM run_summary ORDER BY run_id DESC LIMIT 1", 0), newest);
  /* Runs of the newest run's scenario text, cheapest output tokens first. */
  TF_CHECK_INT(q_int(db,
                     "SELECT count(*) FROM ("
                     "SELECT s.run_id, r.started_utc, r.overrides, s.cost_per_mtok_in_usd,"
                     " s.cost_per_mtok_out_usd"
                     " FROM run_summary s JOIN runs r USING (run_id)"
                     " WHERE r.scenario_sha256 ="
                     "  (SELECT scenario_sha256 FROM runs ORDER BY run_id DESC LIMIT 1)"
                     " ORDER BY s.cost_per_mtok_out_usd)",
                     0),
               q_int(db, "SELECT count(*) FROM runs", 0));
  TF_CHECK_STR(q(db,
                 "SELECT group_concat(ttft_p99_s) FROM ("
                 "SELECT c.run_id, r.started_utc, r.seed, c.ttft_p99_s"
                 " FROM class_summary c JOIN runs r USING (run_id)"
                 " WHERE c.class = 'chat' ORDER BY c.run_id)",
                 0, NULL, NULL),
               "TEXT:0.25,0.25");
}

static void test_round_trip(void) {
  tmp_dir t;
  TF_CHECK(tmp_dir_make(&t));
  tf_store *s = open_ok(t.db);
  if (!s)
    return;
  tf_run_record full, sparse;
  make_full_record(&full, UINT64_MAX - 5, 1.0);
  make_sparse_record(&sparse, 17);

  size_t rows = 0;
  tf_store_set_row_hook(s, count_rows_hook, &rows);
  int64_t id_full = write_ok(s, &full);
  TF_CHECK_INT(rows, record_rows(&full));
  TF_CHECK_INT(rows, 1 + N_SUMMARY + N_CLASSES * (N_CLASS_COLS - 1) +
                         N_SERIES_ROWS * (N_SERIES_COLS - 1) + N_COSTS * (N_COST_COLS - 1));
  tf_store_set_row_hook(s, NULL, NULL);
  int64_t id_sparse = write_ok(s, &sparse);
  TF_CHECK(id_full > 0);
  TF_CHECK(id_sparse > id_full);
  tf_store_close(s);

  /* Reopening a database that has runs works, and a third run gets a new id. */
  s = open_ok(t.db);
  int64_t id_third = s ? write_ok(s, &full) : -1;
  TF_CHECK(id_third > id_sparse);
  tf_store_close(s);

  sqlite3 *db = raw_open(t.db);
  TF_CHECK_STR(q(db, "PRAGMA application_id", 0, NULL, NULL), "INT:1413890370");
  TF_CHECK_INT(TF_STORE_APPLICATION_ID, 0x54464142);
  TF_CHECK_STR(q(db, "PRAGMA user_version", 0, NULL, NULL), "INT:2");
  TF_CHECK_STR(q(db, "PRAGMA journal_mode", 0, NULL, NULL), "TEXT:delete");
  check_run_row(db, id_full);
  TF_CHECK_STR(q(db, "SELECT scenario_path FROM runs WHERE run_id = ?1", id_sparse, NULL, NULL),
               "NULL");
  TF_CHECK_STR(q(db, "SELECT overrides FROM runs WHERE run_id = ?1", id_sparse, NULL, NULL),
               "TEXT:");
  check_metrics(db, id_full);
  check_tables(db, id_full);
  check_views(db, id_full, id_sparse);
  check_doc_queries(db, id_third);
  check_integrity(db);

  /* Deleting a run takes its rows with it (ON DELETE CASCADE with foreign keys on), and the
   * newest id is not handed out again (AUTOINCREMENT). */
  raw_exec(db, "PRAGMA foreign_keys = ON");
  char del[96];
  snprintf(del, sizeof del, "DELETE FROM runs WHERE run_id = %lld", (long long)id_third);
  raw_exec(db, del);
  TF_CHECK_INT(q_int(db, "SELECT count(*) FROM metrics WHERE run_id = ?1", id_third), 0);
  TF_CHECK_INT(q_int(db, "SELECT count(*) FROM class_metrics WHERE run_id = ?1", id_third), 0);
  TF_CHECK_INT(q_int(db, "SELECT count(*) FROM series WHERE run_id = ?1", id_third), 0);
  TF_CHECK_INT(q_int(db, "SELECT count(*) FROM costs WHERE run_id = ?1", id_third), 0);
  TF_CHECK_INT(q_int(db, "SELECT count(*) FROM metrics WHERE run_id = ?1", id_full), N_SUMMARY);
  sqlite3_close(db);
  s = open_ok(t.db);
  int64_t id_fourth = s ? write_ok(s, &sparse) : -1;
  TF_CHECK(id_fourth > id_third);
  tf_store_close(s);

  tf_run_record_fini(&full);
  tf_run_record_fini(&sparse);
  tmp_dir_remove(&t);
}

/* ---- identity checks on open ---- */

/* Opening path must fail with exactly expect (after "PATH: ") and leave *out NULL. */
static void check_open_fails(const char *path, const char *expect) {
  char err[512] = "", want[512];
  static int not_a_store;
  tf_store *s = (tf_store *)(void *)&not_a_store; /* open must clear it */
  TF_CHECK_INT(tf_store_open(path, &s, err, sizeof err), TF_EDB);
  TF_CHECK(s == NULL);
  snprintf(want, sizeof want, "%s: %s", path, expect);
  TF_CHECK_STR(err, want);
  TF_CHECK_STR(tf_err_reason(), want); /* the funnel saw the same sentence */
  /* err may be NULL: the message still reaches the funnel. */
  TF_CHECK_INT(tf_store_open(path, &s, NULL, 0), TF_EDB);
  TF_CHECK_STR(tf_err_reason(), want);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  TF_CHECK(f != NULL);
  if (!f)
    return;
  fputs(text, f);
  fclose(f);
}

static bool file_equals(const char *path, const char *text) {
  char buf[1024];
  FILE *f = fopen(path, "r");
  if (!f)
    return false;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  return strcmp(buf, text) == 0;
}

static void test_not_sqlite(void) {
  tmp_dir t;
  TF_CHECK(tmp_dir_make(&t));
  char text[600];
  snprintf(text, sizeof text, "%s", "run,ttft_p99_s\n");
  for (int i = 0; i < 30; i++) /* well past SQLite's 100-byte header */
    strncat(text, "1,0.25\n", sizeof text - strlen(text) - 1);
  write_file(t.db, text);
  check_open_fails(t.db, "not a tokenfab results database (file is not a database)");
  TF_CHECK(file_equals(t.db, text)); /* untouched */
  TF_CHECK(!file_exists(t.journal));
  tmp_dir_remove(&t);
}

static void test_other_application(void) {
  tmp_dir t;
  TF_CHECK(tmp_dir_make(&t));
  sqlite3 *db = NULL;
  TF_CHECK_INT(sqlite3_open(t.db, &db), SQLITE_OK);
  raw_exec(db, "CREATE TABLE photos(id INTEGER PRIMARY KEY, name TEXT);"
               "INSERT INTO photos(name) VALUES ('cat.jpg');"
               "PRAGMA application_id = 305419896;"); /* 0x12345678 */
  sqlite3_close(db);
  check_open_fails(t.db, "not a tokenfab results database (SQLite application_id 0x12345678, "
                         "tokenfab's is 0x54464142)");
  db = raw_open(t.db);
  TF_CHECK_STR(q(db, "PRAGMA application_id", 0, NULL, NULL), "INT:305419896");
  TF_CHECK_STR(q(db, "SELECT count(*) FROM sqlite_master", 0, NULL, NULL), "INT:1");
  TF_CHECK_STR(q(db, "SELECT name FROM photos", 0, NULL, NULL), "TEXT:cat.jpg");
  sqlite3_close(db);

  /* A database with tables and no application_id is someone else's too. */
  unlink(t.db);
  TF_CHECK_INT(sqlite3_open(t.db, &db), SQLITE_OK);
  raw_exec(db, "CREATE TABLE runs(x)");
  sqlite3_close(db);
  check_open_fails(t.db, "not a tokenfab results database (SQLite application_id 0, "
                         "tokenfab's is 0x54464142)");
  tmp_dir_remove(&t);
}

static void test_schema_versions(void) {
  tmp_dir t;
  TF_CHECK(tmp_dir_make(&t));
  tf_store_close(open_ok(t.db));
  sqlite3 *db = raw_open(t.db);
  raw_exec(db, "PRAGMA user_version = 7");
  sqlite3_close(db);
  check_open_fails(t.db,
                   "schema version 7 is newer than this tokenfab (2); use a newer tokenfab");
  db = raw_open(t.db);
  TF_CHECK_STR(q(db, "PRAGMA user_version", 0, NULL, NULL), "INT:7"); /* untouched */
  raw_exec(db, "PRAGMA user_version = 0");
  sqlite3_close(db);
  check_open_fails(t.db, "schema version 0 is not one this tokenfab knows (it writes 2)");
  tmp_dir_remove(&t);

  /* An empty file (as mkstemp leaves one) is a new database. */
  char path[] = "/tmp/tf-store-empty-XXXXXX";
  int fd = mkstemp(path);
  TF_CHECK(fd >= 0);
  close(fd);
  tf_store *s = open_ok(path);
  tf_store_close(s);
  db = raw_open(path);
  TF_CHECK_STR(q(db, "PRAGMA application_id", 0, NULL, NULL), "INT:1413890370");
  sqlite3_close(db);
  unlink(path);

  check_open_fails("/tmp/tf-store-no-such-dir/x/results.db",
                   "cannot open the results database: unable to open database file");
}

/* ---- writes that fail ---- */

static void check_write_fails(tf_store *s, sqlite3 *db, const tf_run_record *r,
                              const char *expect) {
  row_counts before = count_rows(db);
  char err[512] = "";
  int64_t id = -7;
  TF_CHECK_INT(tf_store_write_run(s, r, &id, err, sizeof err), TF_EDB);
  TF_CHECK_STR(err, expect);
  TF_CHECK_INT(id, -7); /* untouched */
  check_same_counts(count_rows(db), before);
  /* No transaction left open: another connection, which does not wait, can take the write lock. */
  raw_exec(db, "BEGIN IMMEDIATE; ROLLBACK");
}

static void test_failed_writes(void) {
  tmp_dir t;
  TF_CHECK(tmp_dir_make(&t));
  tf_store *s = open_ok(t.db);
  if (!s)
    return;
  tf_run_record r;
  make_full_record(&r, UINT64_MAX - 5, 1.0);
  int64_t first = write_ok(s, &r);
  sqlite3 *db = raw_open(t.db);
  char want[512];

  /* A second row for class "chat": the primary key fails on its first metric, many rows in. */
  tf_cell *dup = tf_table_add_row(&r.classes);
  TF_CHECK(dup != NULL);
  set_text(&dup[0], "chat");
  snprintf(want, sizeof want,
           "%s: cannot write the run: class_metrics row 4, column requests_per_s: UNIQUE "
           "constraint failed: class_metrics.run_id, class_metrics.class, class_metrics.name",
           t.db);
  check_write_fails(s, db, &r, want);

  /* A class without a name: NOT NULL. */
  tf_table_fini(&r.classes);
  fill_classes(&r.classes);
  tf_cell *key = &r.classes.cells[N_CLASS_COLS]; /* row 2's */
  free((char *)key->text);
  *key = (tf_cell){.kind = TF_CELL_NULL};
  snprintf(want, sizeof want,
           "%s: cannot write the run: class_metrics row 2, column requests_per_s: NOT NULL "
           "constraint failed: class_metrics.class",
           t.db);
  check_write_fails(s, db, &r, want);
  tf_table_fini(&r.classes);
  fill_classes(&r.classes);

  /* Text in the series, which holds numbers only. */
  set_text(&r.series.cells[2 * N_SERIES_COLS + 2], "lots");
  snprintf(want, sizeof want,
           "%s: cannot write the run: series row 3, column queued: text in a table that holds "
           "numbers only",
           t.db);
  check_write_fails(s, db, &r, want);
  tf_table_fini(&r.series);
  fill_series(&r.series);

  /* A run row that breaks NOT NULL (no tokenfab version). */
  const char *version = r.version;
  r.version = NULL;
  snprintf(want, sizeof want,
           "%s: cannot write the run: runs: NOT NULL constraint failed: runs.tokenfab_version",
           t.db);
  check_write_fails(s, db, &r, want);
  r.version = version;

  /* After all that, the store writes again, and the first run is as it was. */
  int64_t next = write_ok(s, &r);
  TF_CHECK(next > first);
  TF_CHECK_INT(q_int(db, "SELECT count(*) FROM runs", 0), 2);
  check_metrics(db, first);
  check_integrity(db);
  sqlite3_close(db);
  tf_store_close(s);
  tf_run_record_fini(&r);
  tmp_dir_remove(&t);
}

/* ---- writes that are killed ---- */

/* A rollback journal starts with these 8 bytes once it has been synced (SQLite file format,
 * https://www.sqlite.org/fileformat.html, 4.1 "The Rollback Journal"); before that they are zero,
 * the journal is not hot, and the database file has not been touched. */
static const unsigned char JOURNAL_MAGIC[8] = {0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7};

static bool journal_is_hot(const char *path) {
  unsigned char head[8] = {0};
  FILE *f = fopen(path, "rb");
  if (!f)
    return false;
  size_t n = fread(head, 1, sizeof head, f);
  fclose(f);
  return n == sizeof head && memcmp(head, JOURNAL_MAGIC, sizeof head) == 0;
}

static long long file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

typedef enum kill_point { KILL_FIRST_ROW, KILL_MIDDLE_ROW, KILL_LAST_ROW } kill_point;

static void kill_after_rows(void *ctx, size_t rows) {
  if (rows == *(const size_t *)ctx)
    raise(SIGKILL);
}

/* In a child: open, write a run and die by SIGKILL after the row at `at`. Exits 3 if it lived. */
static void child_write_killed(const char *path, kill_point at, bool big) {
  tf_store *s = NULL;
  if (tf_store_open(path, &s, NULL, 0) != 0)
    _exit(2);
  tf_run_record r;
  if (big)
    make_big_record(&r, 99);
  else
    make_full_record(&r, 99, 5.0);
  size_t rows = record_rows(&r);
  size_t kill_at = at == KILL_FIRST_ROW ? 1 : at == KILL_MIDDLE_ROW ? rows / 2 : rows;
  tf_store_set_row_hook(s, kill_after_rows, &kill_at);
  int64_t id;
  tf_store_write_run(s, &r, &id, NULL, 0);
  _exit(3);
}

/* A child killed at `at` while writing a run (a big one spills pages into the file before
 * COMMIT); the next connection must find the earlier run intact and nothing of the killed one. */
static void test_killed_write(kill_point at, bool big) {
  tmp_dir t;
  TF_CHECK(tmp_dir_make(&t));
  tf_store *s = open_ok(t.db);
  if (!s)
    return;
  tf_run_record r;
  make_full_record(&r, UINT64_MAX - 5, 1.0);
  int64_t first = write_ok(s, &r);
  tf_store_close(s);
  sqlite3 *db = raw_open(t.db);
  row_counts before = count_rows(db);
  sqlite3_close(db);
  long long size_before = file_size(t.db);

  fflush(NULL); /* the child must not print the parent's buffered output again */
  pid_t pid = fork();
  TF_CHECK(pid >= 0);
  if (pid == 0)
    child_write_killed(t.db, at, big);
  int status = 0;
  TF_CHECK_INT(waitpid(pid, &status, 0), pid);
  TF_CHECK(WIFSIGNALED(status));
  TF_CHECK_INT(WIFSIGNALED(status) ? WTERMSIG(status) : -1, SIGKILL);
  TF_CHECK(file_exists(t.journal));
  if (big) {
    /* The spill synced the journal and wrote pages of the unfinished run into the file. */
    TF_CHECK(journal_is_hot(t.journal));
    TF_CHECK(file_size(t.db) > size_before);
  } else {
    /* Everything was still in the page cache: the file is as it was. */
    TF_CHECK(!journal_is_hot(t.journal));
    TF_CHECK_INT(file_size(t.db), size_before);
  }

  /* Opening the store plays a hot journal back: the file is its old self again. */
  s = open_ok(t.db);
  if (big)
    TF_CHECK(!file_exists(t.journal));
  TF_CHECK_INT(file_size(t.db), size_before);
  db = raw_open(t.db);
  check_integrity(db);
  check_same_counts(count_rows(db), before);
  TF_CHECK_INT(q_int(db, "SELECT max(run_id) FROM runs", 0), first);
  check_run_row(db, first);
  check_metrics(db, first);
  check_tables(db, first);
  int64_t next = s ? write_ok(s, &r) : -1;
  TF_CHECK(next > first);
  TF_CHECK_INT(q_int(db, "SELECT count(*) FROM runs", 0), 2);
  TF_CHECK(!file_exists(t.journal)); /* a committed write leaves no journal behind */
  check_integrity(db);
  sqlite3_close(db);
  tf_store_close(s);
  tf_run_record_fini(&r);
  tmp_dir_remove(&t);
}

/* ---- several processes, one file ---- */

enum { WRITERS = 4, RUNS_PER_WRITER = 8 };

/* Each writer opens the file (the first of them creating it) and appends its runs; the busy
 * timeout makes them take turns. Exits 0 when every write succeeded. */
static void child_write_runs(const char *path, int writer) {
  char err[512] = "";
  tf_store *s = NULL;
  if (tf_store_open(path, &s, err, sizeof err) != 0) {
    fprintf(stderr, "writer %d: %s\n", writer, err);
    _exit(1);
  }
  tf_run_record r;
  make_full_record(&r, (uint64_t)writer, (double)writer);
  for (int i = 0; i < RUNS_PER_WRITER; i++) {
    int64_t id;
    if (tf_store_write_run(s, &r, &id, err, sizeof err) != 0) {
      fprintf(stderr, "writer %d: %s\n", writer, err);
      _exit(1);
    }
  }
  tf_run_record_fini(&r);
  tf_store_close(s);
  _exit(0);
}

static void test_concurrent_writers(void) {
  tmp_dir t;
  TF_CHECK(tmp_dir_make(&t));
  fflush(NULL);
  pid_t pids[WRITERS];
  for (int w = 0; w < WRITERS; w++) {
    pids[w] = fork();
    TF_CHECK(pids[w] >= 0);
    if (pids[w] == 0)
      child_write_runs(t.db, w);
  }
  for (int w = 0; w < WRITERS; w++) {
    int status = -1;
    TF_CHECK_INT(waitpid(pids[w], &status, 0), pids[w]);
    TF_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  sqlite3 *db = raw_open(t.db);
  TF_CHECK_INT(q_int(db, "SELECT count(*) FROM runs", 0), WRITERS * RUNS_PER_WRITER);
  TF_CHECK_INT(q_int(db, "SELECT count(DISTINCT seed) FROM runs", 0), WRITERS);
  TF_CHECK_INT(q_int(db, "SELECT count(*) FROM metrics", 0),
               WRITERS * RUNS_PER_WRITER * N_SUMMARY);
  TF_CHECK_INT(q_int(db, "SELECT count(*) FROM run_summary", 0), WRITERS * RUNS_PER_WRITER);
  check_integrity(db);
  sqlite3_close(db);
  tmp_dir_remove(&t);
}

int main(void) {
  test_round_trip();
  test_not_sqlite();
  test_other_application();
  test_schema_versions();
  test_failed_writes();
  test_killed_write(KILL_FIRST_ROW, false); /* right after the runs row */
  test_killed_write(KILL_MIDDLE_ROW, false); /* in the middle of the class metrics */
  test_killed_write(KILL_LAST_ROW, false);   /* the last row, before COMMIT */
  test_killed_write(KILL_MIDDLE_ROW, true);  /* after pages have spilled into the file */
  test_killed_write(KILL_LAST_ROW, true);
  test_concurrent_writers();
  return tf_test_report("reports_store");
}
