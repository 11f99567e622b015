/* The results store's sweeps: a sweep found again by its key, runs recorded with their place in
 * it and refused twice, the finished runs read back for --resume, shards merged (copying what is
 * missing, skipping what is there, refusing another sweep or a file that is not tokenfab's), and
 * a version 1 file upgraded. */
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "store.h"
#include "tf_test.h"

static const tf_column cols[] = {{"output_tokens_per_s", "1/s"}, {"binding_constraint", ""}};

/* A run record whose one metric is v. */
static void record(tf_run_record *r, double v) {
  *r = (tf_run_record){.scenario_name = "s", .scenario_text = "name: s", .scenario_len = 7,
                       .overrides = "", .version = "t", .started_utc = "2026-11-25T00:00:00Z"};
  strcpy(r->scenario_sha256, "00");
  tf_table_init(&r->summary, "summary", cols, 2);
  tf_cell *row = tf_table_add_row(&r->summary);
  tf_cell_set_real(&row[0], v);
  tf_cell_set_text(&row[1], "demand");
  static const tf_column none[] = {{"class", ""}};
  tf_table_init(&r->classes, "classes", none, 1);
  tf_table_init(&r->series, "series", none, 0);
  tf_table_init(&r->costs, "costs", none, 0);
}

static const char *const axes[] = {"serving.dp"};

static tf_store_sweep sweep(const char *key) {
  return (tf_store_sweep){.key = key, .scenario_name = "s", .scenario_sha256 = "00",
                          .definition = "d", .points = 3, .replications = 2, .master_seed = 1,
                          .n_axes = 1, .axis_names = axes};
}

/* Writes runs (p, r) for the given points into a new database at path. */
static void shard(const char *path, const char *key, const int *points, size_t n) {
  tf_store *s;
  char err[256];
  TF_CHECK_INT(tf_store_open(path, &s, err, sizeof err), 0);
  tf_store_sweep w = sweep(key);
  int64_t id;
  TF_CHECK_INT(tf_store_open_sweep(s, &w, &id, err, sizeof err), 0);
  for (size_t i = 0; i < n; i++)
    for (int r = 0; r < 2; r++) {
      tf_run_record rec;
      record(&rec, points[i] * 10 + r);
      char label[16];
      snprintf(label, sizeof label, "%d", points[i] + 1);
      const char *labels[] = {label};
      int64_t run;
      TF_CHECK_INT(tf_store_write_sweep_run(s, &rec, id, points[i], r, labels, 1, &run, err,
                                            sizeof err), 0);
      tf_run_record_fini(&rec);
    }
  tf_store_close(s);
}

static void test_sweeps(const char *dir) {
  char a[256], b[256], c[256], out[256], err[512];
  snprintf(a, sizeof a, "%s/a.db", dir);
  snprintf(b, sizeof b, "%s/b.db", dir);
  snprintf(c, sizeof c, "%s/c.db", dir);
  snprintf(out, sizeof out, "%s/out.db", dir);
  shard(a, "K", (const int[]){0, 2}, 2);
  shard(b, "K", (const int[]){1}, 1);
  shard(c, "OTHER", (const int[]){0}, 1);

  tf_store *s;
  TF_CHECK_INT(tf_store_open(a, &s, err, sizeof err), 0);
  tf_store_sweep w = sweep("K");
  int64_t id, id2;
  TF_CHECK_INT(tf_store_open_sweep(s, &w, &id, err, sizeof err), 0);
  TF_CHECK_INT(tf_store_open_sweep(s, &w, &id2, err, sizeof err), 0);
  TF_CHECK_INT(id, id2); /* found again by its key */
  bool done[6] = {0};
  TF_CHECK_INT(tf_store_sweep_done(s, id, 3, 2, done, err, sizeof err), 0);
  TF_CHECK(done[0] && done[1] && !done[2] && !done[3] && done[4] && done[5]);
  /* The same (point, replication) twice: refused, nothing written. */
  tf_run_record rec;
  record(&rec, 1);
  const char *labels[] = {"1"};
  int64_t run = -1;
  TF_CHECK_INT(tf_store_write_sweep_run(s, &rec, id, 0, 1, labels, 1, &run, err, sizeof err),
               TF_EDB);
  TF_CHECK(strstr(err, "point 0, replication 1") != NULL);
  TF_CHECK_INT(run, -1);
  tf_run_record_fini(&rec);
  tf_store_close(s);

  /* Merging: b's point 1 joins a's 0 and 2; a again adds nothing; another sweep is refused. */
  TF_CHECK_INT(tf_store_open(out, &s, err, sizeof err), 0);
  int64_t copied, skipped;
  TF_CHECK_INT(tf_store_merge(s, a, &copied, &skipped, err, sizeof err), 0);
  TF_CHECK_INT(copied, 4);
  TF_CHECK_INT(tf_store_merge(s, b, &copied, &skipped, err, sizeof err), 0);
  TF_CHECK_INT(copied, 2);
  TF_CHECK_INT(skipped, 0);
  TF_CHECK_INT(tf_store_merge(s, a, &copied, &skipped, err, sizeof err), 0);
  TF_CHECK_INT(copied, 0);
  TF_CHECK_INT(skipped, 4);
  TF_CHECK_INT(tf_store_merge(s, c, &copied, &skipped, err, sizeof err), TF_EINVAL);
  TF_CHECK(strstr(err, "only shards of one sweep can be merged") != NULL);
  char missing[256];
  snprintf(missing, sizeof missing, "%s/none.db", dir);
  TF_CHECK_INT(tf_store_merge(s, missing, &copied, &skipped, err, sizeof err), TF_EINVAL);
  TF_CHECK(access(missing, F_OK) != 0); /* not created by the attempt */
  char text[256];
  snprintf(text, sizeof text, "%s/text.db", dir);
  FILE *f = fopen(text, "w");
  fputs("not a database, just text long enough to fill a header page.............\n", f);
  fclose(f);
  TF_CHECK_INT(tf_store_merge(s, text, &copied, &skipped, err, sizeof err), TF_EINVAL);
  TF_CHECK(strstr(err, "not a tokenfab results database") != NULL);
  /* Every run is there once, in point order, with its metric and label. */
  TF_CHECK_INT(tf_store_open_sweep(s, &w, &id, err, sizeof err), 0);
  tf_store_sweep_row *rows;
  size_t n;
  const char *names[] = {"output_tokens_per_s", "binding_constraint", "missing"};
  TF_CHECK_INT(tf_store_sweep_metrics(s, id, names, 3, &rows, &n, err, sizeof err), 0);
  TF_CHECK_INT(n, 6);
  for (size_t i = 0; i < n && i < 6; i++) {
    TF_CHECK_INT(rows[i].point, (int64_t)(i / 2));
    TF_CHECK_INT(rows[i].replication, (int64_t)(i % 2));
    TF_CHECK_NEAR(rows[i].values[0], (double)(i / 2 * 10 + i % 2), 0);
    TF_CHECK(isnan(rows[i].values[1]) && isnan(rows[i].values[2]));
    TF_CHECK_STR(rows[i].text, "demand");
    TF_CHECK_INT(rows[i].text_metric, 1);
  }
  tf_store_sweep_rows_free(rows, n);
  /* The sweep table as a view: one row per point, its axis value, means over replications. */
  const char *metric[] = {"output_tokens_per_s"};
  TF_CHECK_INT(tf_store_sweep_view(s, id, axes, 1, metric, 1, err, sizeof err), 0);
  TF_CHECK_INT(tf_store_sweep_view(s, id, axes, 1, metric, 1, err, sizeof err), 0); /* again */
  tf_store_close(s);
  sqlite3 *db;
  TF_CHECK_INT(sqlite3_open(out, &db), SQLITE_OK);
  char sql[128];
  snprintf(sql, sizeof sql,
           "SELECT point, \"serving.dp\", replications, output_tokens_per_s FROM "
           "sweep_table_%lld",
           (long long)id);
  sqlite3_stmt *st;
  TF_CHECK_INT(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  for (int p = 0; p < 3; p++) {
    TF_CHECK_INT(sqlite3_step(st), SQLITE_ROW);
    TF_CHECK_INT(sqlite3_column_int(st, 0), p);
    char want[8];
    snprintf(want, sizeof want, "%d", p + 1);
    TF_CHECK_STR((const char *)sqlite3_column_text(st, 1), want);
    TF_CHECK_INT(sqlite3_column_int(st, 2), 2);
    TF_CHECK_NEAR(sqlite3_column_double(st, 3), p * 10 + 0.5, 1e-12);
  }
  TF_CHECK_INT(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

/* A batch of sweep runs is written whole or not at all. */
static void test_batch(const char *dir) {
  char path[256], err[512];
  snprintf(path, sizeof path, "%s/batch.db", dir);
  tf_store *s;
  TF_CHECK_INT(tf_store_open(path, &s, err, sizeof err), 0);
  tf_store_sweep w = sweep("B");
  int64_t id;
  TF_CHECK_INT(tf_store_open_sweep(s, &w, &id, err, sizeof err), 0);
  tf_run_record rec[3];
  const char *labels[] = {"1"};
  tf_store_sweep_run runs[3];
  for (int i = 0; i < 3; i++) {
    record(&rec[i], i);
    /* the third repeats the first's place: the batch must fail as a whole */
    runs[i] = (tf_store_sweep_run){.record = &rec[i], .sweep_id = id, .point = i == 2 ? 0 : i,
                                   .replication = 0, .labels = labels, .n_labels = 1};
  }
  TF_CHECK_INT(tf_store_write_sweep_runs(s, runs, 3, err, sizeof err), TF_EDB);
  bool done[6] = {0};
  TF_CHECK_INT(tf_store_sweep_done(s, id, 3, 2, done, err, sizeof err), 0);
  for (int i = 0; i < 6; i++)
    TF_CHECK(!done[i]);
  TF_CHECK_INT(tf_store_write_sweep_runs(s, runs, 2, err, sizeof err), 0);
  TF_CHECK_INT(tf_store_sweep_done(s, id, 3, 2, done, err, sizeof err), 0);
  TF_CHECK(done[0] && done[2] && !done[1] && !done[4]);
  for (int i = 0; i < 3; i++)
    tf_run_record_fini(&rec[i]);
  tf_store_close(s);
}

/* A version 1 file (no sweep tables) is upgraded when opened. */
static void test_upgrade(const char *dir) {
  char path[256], err[256];
  snprintf(path, sizeof path, "%s/v1.db", dir);
  tf_store *s;
  TF_CHECK_INT(tf_store_open(path, &s, err, sizeof err), 0);
  tf_store_close(s);
  sqlite3 *db;
  TF_CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
  TF_CHECK_INT(sqlite3_exec(db, "DROP VIEW sweep_summary; DROP TABLE sweep_labels; "
                                "DROP TABLE sweep_runs; DROP TABLE sweep_axes; DROP TABLE sweeps; "
                                "PRAGMA user_version = 1",
                            NULL, NULL, NULL),
               SQLITE_OK);
  sqlite3_close(db);
  TF_CHECK_INT(tf_store_open(path, &s, err, sizeof err), 0);
  tf_store_sweep w = sweep("K");
  int64_t id = 0;
  TF_CHECK_INT(tf_store_open_sweep(s, &w, &id, err, sizeof err), 0);
  TF_CHECK(id > 0);
  tf_store_close(s);
  TF_CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_stmt *st;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
  TF_CHECK_INT(sqlite3_step(st), SQLITE_ROW);
  TF_CHECK_INT(sqlite3_column_int(st, 0), TF_STORE_SCHEMA_VERSION);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

int main(void) {
  char dir[] = "/tmp/tf-sweep-store-XXXXXX";
  TF_CHECK(mkdtemp(dir) != NULL);
  test_sweeps(dir);
  test_upgrade(dir);
  test_batch(dir);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  TF_CHECK_INT(system(cmd), 0);
  return tf_test_report("reports_store_sweep");
}
