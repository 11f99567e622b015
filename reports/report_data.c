/* The report's queries: a read-only connection, one read transaction per load so a run or sweep
 * is seen whole even while a sweep writes, and the sweep aggregated as cli/sweep.c aggregates
 * it (report_data.h). */
#include "report_data.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appendf.h"
#include "error.h"
#include "pareto.h"
#include "store.h"

const char *const tf_report_sweep_metric_names[TF_RSM_COUNT] = {
    [TF_RSM_OUTPUT_TOKENS_PER_S] = "output_tokens_per_s",
    [TF_RSM_GOODPUT_OUTPUT_TOKENS_PER_S] = "goodput_output_tokens_per_s",
    [TF_RSM_SLO_ATTAINMENT] = "slo_attainment",
    [TF_RSM_TTFT_P99_S] = "ttft_p99_s",
    [TF_RSM_TPOT_P99_S] = "tpot_p99_s",
    [TF_RSM_OUTPUT_TOKENS_PER_S_PER_USER] = "output_tokens_per_s_per_user",
    [TF_RSM_IT_POWER_AVG_MW] = "it_power_avg_mw",
    [TF_RSM_OUTPUT_TOKENS_PER_S_PER_MW_FACILITY] = "output_tokens_per_s_per_mw_facility",
    [TF_RSM_JOULES_PER_OUTPUT_TOKEN] = "joules_per_output_token",
    [TF_RSM_COST_PER_MTOK_OUT_USD] = "cost_per_mtok_out_usd",
    [TF_RSM_TCO_PER_YEAR_USD] = "tco_per_year_usd",
    [TF_RSM_BINDING_CONSTRAINT] = "binding_constraint",
};

/* How long a read waits for a writer's transaction (a sweep writing) before giving up. */
enum { BUSY_TIMEOUT_MS = TF_STORE_BUSY_TIMEOUT_MS };
/* At most this many runs or sweeps are listed when an id is unknown ("1-40, 42, ..."). */
enum { MAX_LISTED_RANGES = 12 };

struct tf_report_db {
  sqlite3 *db;
  char *path;           /* as given, for messages */
  int64_t user_version; /* the schema: 1 has no sweep tables */
};

static int db_fail(const tf_report_db *d, char *err, size_t err_size, const char *what) {
  return tf_fail_into(err, err_size, TF_EDB, "%s: cannot read %s: %s", d->path, what,
                      sqlite3_errmsg(d->db));
}

static int no_memory(const tf_report_db *d, char *err, size_t err_size) {
  return tf_fail_into(err, err_size, TF_ENOMEM, "%s: out of memory reading the results", d->path);
}

static char *copy_n(const char *s, size_t n) {
  char *c = malloc(n + 1);
  if (c) {
    if (n)
      memcpy(c, s, n);
    c[n] = '\0';
  }
  return c;
}

/* A TEXT column as a new string; NULL stays NULL (*ok stays true), failure sets *ok false. */
static char *column_text(sqlite3_stmt *st, int col, bool *ok) {
  if (sqlite3_column_type(st, col) == SQLITE_NULL)
    return NULL;
  const char *t = (const char *)sqlite3_column_text(st, col);
  size_t n = (size_t)sqlite3_column_bytes(st, col);
  char *c = t ? copy_n(t, n) : NULL;
  if (!c)
    *ok = false;
  return c;
}

/* A column's number, NaN for NULL or text. */
static double column_real(sqlite3_stmt *st, int col) {
  int type = sqlite3_column_type(st, col);
  return type == SQLITE_FLOAT || type == SQLITE_INTEGER ? sqlite3_column_double(st, col) : NAN;
}

/* Makes room for one more element in *items (of *cap, n in use). */
static bool grow(void **items, size_t *cap, size_t n, size_t size) {
  if (n < *cap)
    return true;
  size_t c = *cap ? 2 * *cap : 8;
  void *p = realloc(*items, c * size);
  if (!p)
    return false;
  *items = p;
  *cap = c;
  return true;
}

/* ---- opening ---- */

static int refuse(tf_report_db *d, char *err, size_t err_size, int rc) {
  if (rc == SQLITE_NOTADB)
    return tf_fail_into(err, err_size, TF_EINVAL, "%s: not a tokenfab results database (%s)",
                        d->path, sqlite3_errmsg(d->db));
  if (rc == SQLITE_NOMEM)
    return no_memory(d, err, err_size);
  return tf_fail_into(err, err_size, TF_EINVAL, "%s: cannot open the results database: %s", d->path,
                      d->db ? sqlite3_errmsg(d->db) : sqlite3_errstr(rc));
}

static int check_identity(tf_report_db *d, char *err, size_t err_size) {
  int64_t app = 0, version = 0;
  int rc = tf_store_query_int(d->db, "PRAGMA application_id", &app);
  if (rc == SQLITE_OK)
    rc = tf_store_query_int(d->db, "PRAGMA user_version", &version);
  if (rc != SQLITE_OK)
    return refuse(d, err, err_size, rc);
  if (app != TF_STORE_APPLICATION_ID)
    return tf_fail_into(
        err, err_size, TF_EINVAL,
        "%s: not a tokenfab results database (SQLite application_id %#llx, tokenfab's "
        "is %#llx)",
        d->path, (unsigned long long)(uint32_t)app, (unsigned long long)TF_STORE_APPLICATION_ID);
  if (version > TF_STORE_SCHEMA_VERSION)
    return tf_fail_into(
        err, err_size, TF_EINVAL,
        "%s: schema version %lld is newer than this tokenfab (%d); use a newer tokenfab", d->path,
        (long long)version, TF_STORE_SCHEMA_VERSION);
  if (version < 1)
    return tf_fail_into(err, err_size, TF_EINVAL,
                        "%s: schema version %lld is not one this tokenfab knows (it reads 1 to %d)",
                        d->path, (long long)version, TF_STORE_SCHEMA_VERSION);
  d->user_version = version;
  return 0;
}

int tf_report_open(const char *path, tf_report_db **out, char *err, size_t err_size) {
  assert(path && out);
  *out = NULL;
  tf_report_db *d = calloc(1, sizeof *d);
  if (!d || !(d->path = copy_n(path, strlen(path)))) {
    free(d);
    return tf_fail_into(err, err_size, TF_ENOMEM, "%s: out of memory opening the results database",
                        path);
  }
  /* SQLite's message for a missing file is "unable to open database file": say why. */
  FILE *probe = fopen(path, "rb");
  if (!probe) {
    int status = tf_fail_into(err, err_size, TF_EINVAL, "%s: cannot open the results database: %s",
                              path, strerror(errno));
    tf_report_close(d);
    return status;
  }
  fclose(probe);
  int rc = sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READONLY, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_busy_timeout(d->db, BUSY_TIMEOUT_MS);
  int status = rc == SQLITE_OK ? check_identity(d, err, err_size) : refuse(d, err, err_size, rc);
  if (status) {
    tf_report_close(d);
    return status;
  }
  *out = d;
  return 0;
}

void tf_report_close(tf_report_db *d) {
  if (!d)
    return;
  int rc = sqlite3_close(d->db); /* every statement is finalized where it was used */
  assert(rc == SQLITE_OK);
  (void)rc;
  free(d->path);
  free(d);
}

/* A read transaction around each load: what it reads is one consistent state of the file. */
static int begin_read(tf_report_db *d, char *err, size_t err_size) {
  if (sqlite3_exec(d->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
    return db_fail(d, err, err_size, "the results");
  return 0;
}

static void end_read(tf_report_db *d) {
  if (!sqlite3_get_autocommit(d->db))
    sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL);
}

/* "1-6, 9, 12" for the ids sql returns in ascending order, at most MAX_LISTED_RANGES ranges
 * then ", ...", with the count in *count. */
static int list_ids(tf_report_db *d, const char *sql, char *buf, size_t size, int64_t *count) {
  sqlite3_stmt *st;
  buf[0] = '\0';
  *count = 0;
  int rc = sqlite3_prepare_v2(d->db, sql, -1, &st, NULL);
  if (rc != SQLITE_OK)
    return rc;
  size_t len = 0, ranges = 0;
  int64_t lo = 0, hi = 0;
  bool open = false;
  for (;;) {
    rc = sqlite3_step(st);
    bool more = rc == SQLITE_ROW;
    int64_t id = more ? sqlite3_column_int64(st, 0) : 0;
    if (more)
      (*count)++;
    if (open && more && id == hi + 1) {
      hi = id;
      continue;
    }
    if (open && ranges < MAX_LISTED_RANGES && len < size) {
      int n = lo == hi ? snprintf(buf + len, size - len, "%s%" PRId64, ranges ? ", " : "", lo)
                       : snprintf(buf + len, size - len, "%s%" PRId64 "-%" PRId64,
                                  ranges ? ", " : "", lo, hi);
      len += n > 0 ? (size_t)n : 0;
    } else if (open && ranges == MAX_LISTED_RANGES && len < size) {
      int n = snprintf(buf + len, size - len, ", ...");
      len += n > 0 ? (size_t)n : 0;
    }
    if (open)
      ranges++;
    if (!more)
      break;
    lo = hi = id;
    open = true;
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int tf_report_latest_run(tf_report_db *d, int64_t *run_id, char *err, size_t err_size) {
  assert(d && run_id);
  int64_t id = 0;
  int rc = tf_store_query_int(d->db, "SELECT coalesce(max(run_id), 0) FROM runs", &id);
  if (rc != SQLITE_OK)
    return db_fail(d, err, err_size, "its runs");
  if (id <= 0)
    return tf_fail_into(err, err_size, TF_ENOTFOUND,
                        "%s: holds no runs (tokenfab run and tokenfab sweep "
                        "record them)",
                        d->path);
  *run_id = id;
  return 0;
}

/* ---- metrics and groups ---- */

static void metrics_free(tf_report_metric *m, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(m[i].name);
    free(m[i].unit);
    free(m[i].text);
  }
  free(m);
}

static void groups_free(tf_report_group *g, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(g[i].key);
    metrics_free(g[i].metrics, g[i].n_metrics);
  }
  free(g);
}

/* Appends the metric in columns first.. (name, unit, value, text) of st. */
static bool add_metric(tf_report_metric **m, size_t *n, size_t *cap, sqlite3_stmt *st,
                       int first) {
  if (!grow((void **)m, cap, *n, sizeof **m))
    return false;
  bool ok = true;
  tf_report_metric *x = &(*m)[*n];
  *x = (tf_report_metric){.name = column_text(st, first, &ok),
                          .unit = column_text(st, first + 1, &ok),
                          .value = column_real(st, first + 2),
                          .text = first + 3 < sqlite3_column_count(st)
                                      ? column_text(st, first + 3, &ok)
                                      : NULL};
  (*n)++; /* counted even when a copy failed, so that it is freed */
  return ok && x->name && x->unit;
}

/* The summary metrics of run_id. */
static int read_metrics(tf_report_db *d, tf_report_run *r, char *err, size_t err_size) {
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(d->db,
                              "SELECT name, unit, value, text FROM metrics WHERE run_id = ?1 "
                              "ORDER BY name",
                              -1, &st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(st, 1, r->run_id);
  size_t cap = 0;
  bool ok = true;
  while (ok && rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    rc = SQLITE_OK;
    ok = add_metric(&r->metrics, &r->n_metrics, &cap, st, 0);
  }
  sqlite3_finalize(st);
  if (!ok)
    return no_memory(d, err, err_size);
  return rc == SQLITE_DONE ? 0 : db_fail(d, err, err_size, "the run's metrics");
}

/* A keyed table (class_metrics, costs) of run_id as groups, by key then name. sql selects key,
 * name, unit, value[, text] for ?1. */
static int read_groups(tf_report_db *d, int64_t run_id, const char *sql, const char *what,
                       tf_report_group **groups, size_t *n_groups, char *err, size_t err_size) {
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(d->db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(st, 1, run_id);
  size_t cap = 0, mcap = 0;
  bool ok = true;
  while (ok && rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    rc = SQLITE_OK;
    const char *key = (const char *)sqlite3_column_text(st, 0);
    key = key ? key : "";
    tf_report_group *g = *n_groups ? &(*groups)[*n_groups - 1] : NULL;
    if (!g || strcmp(g->key, key) != 0) {
      if (!grow((void **)groups, &cap, *n_groups, sizeof **groups)) {
        ok = false;
        break;
      }
      g = &(*groups)[(*n_groups)++];
      *g = (tf_report_group){.key = copy_n(key, strlen(key))};
      mcap = 0;
      if (!g->key) {
        ok = false;
        break;
      }
    }
    ok = add_metric(&g->metrics, &g->n_metrics, &mcap, st, 1);
  }
  sqlite3_finalize(st);
  if (!ok)
    return no_memory(d, err, err_size);
  return rc == SQLITE_DONE ? 0 : db_fail(d, err, err_size, what);
}

/* The time series as columns: the names and times first, then every value in its cell. */
static int read_series(tf_report_db *d, tf_report_run *r, char *err, size_t err_size) {
  sqlite3_stmt *st = NULL;
  size_t cap = 0;
  bool ok = true;
  int rc = sqlite3_prepare_v2(d->db,
                              "SELECT name, min(unit) FROM series WHERE run_id = ?1 "
                              "GROUP BY name ORDER BY name",
                              -1, &st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(st, 1, r->run_id);
  size_t ucap = 0;
  while (ok && rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    rc = SQLITE_OK;
    ok = grow((void **)&r->series_names, &cap, r->n_series, sizeof *r->series_names) &&
         grow((void **)&r->series_units, &ucap, r->n_series, sizeof *r->series_units);
    if (!ok)
      break;
    r->series_names[r->n_series] = column_text(st, 0, &ok);
    r->series_units[r->n_series] = column_text(st, 1, &ok);
    r->n_series++;
    ok = ok && r->series_names[r->n_series - 1];
  }
  sqlite3_finalize(st);
  st = NULL;
  cap = 0;
  if (ok && rc == SQLITE_DONE)
    rc = sqlite3_prepare_v2(d->db,
                            "SELECT DISTINCT t_s FROM series WHERE run_id = ?1 ORDER BY t_s", -1,
                            &st, NULL);
  if (ok && rc == SQLITE_OK)
    rc = sqlite3_bind_int64(st, 1, r->run_id);
  while (ok && rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    rc = SQLITE_OK;
    if (!(ok = grow((void **)&r->t_s, &cap, r->n_times, sizeof *r->t_s)))
      break;
    r->t_s[r->n_times++] = sqlite3_column_double(st, 0);
  }
  sqlite3_finalize(st);
  st = NULL;
  if (ok && rc == SQLITE_DONE && r->n_times > 0) {
    r->series_values = malloc(r->n_times * r->n_series * sizeof *r->series_values);
    ok = r->series_values != NULL;
    for (size_t i = 0; ok && i < r->n_times * r->n_series; i++)
      r->series_values[i] = NAN;
    if (ok)
      rc = sqlite3_prepare_v2(d->db,
                              "SELECT t_s, name, value FROM series WHERE run_id = ?1 "
                              "ORDER BY t_s, name",
                              -1, &st, NULL);
    if (ok && rc == SQLITE_OK)
      rc = sqlite3_bind_int64(st, 1, r->run_id);
    /* Both queries order by t_s, so the time index only moves forward; O(rows x names). */
    size_t t = 0;
    while (ok && rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
      rc = SQLITE_OK;
      double time = sqlite3_column_double(st, 0);
      while (t + 1 < r->n_times && r->t_s[t] < time)
        t++;
      const char *name = (const char *)sqlite3_column_text(st, 1);
      for (size_t k = 0; name && k < r->n_series; k++)
        if (strcmp(r->series_names[k], name) == 0)
          r->series_values[t * r->n_series + k] = column_real(st, 2);
    }
    sqlite3_finalize(st);
  }
  if (!ok)
    return no_memory(d, err, err_size);
  return rc == SQLITE_DONE ? 0 : db_fail(d, err, err_size, "the run's time series");
}

/* The run's place in a sweep, if any (schema 2). */
static int read_sweep_place(tf_report_db *d, tf_report_run *r, char *err, size_t err_size) {
  r->sweep_id = r->sweep_point = -1;
  if (d->user_version < 2)
    return 0;
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(d->db, "SELECT sweep_id, point FROM sweep_runs WHERE run_id = ?1",
                              -1, &st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(st, 1, r->run_id);
  if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    r->sweep_id = sqlite3_column_int64(st, 0);
    r->sweep_point = sqlite3_column_int64(st, 1);
    rc = SQLITE_DONE;
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? 0 : db_fail(d, err, err_size, "the run's sweep");
}

/* The runs row; TF_ENOTFOUND listing the runs there are when run_id is not one. */
static int read_run_row(tf_report_db *d, tf_report_run *r, char *err, size_t err_size) {
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(d->db,
                              "SELECT scenario_name, scenario_path, scenario_sha256, "
                              "scenario_text, overrides, seed, tokenfab_version, started_utc, "
                              "wall_s FROM runs WHERE run_id = ?1",
                              -1, &st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(st, 1, r->run_id);
  bool ok = true, found = false;
  if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    found = true;
    r->scenario_name = column_text(st, 0, &ok);
    r->scenario_path = column_text(st, 1, &ok);
    r->scenario_sha256 = column_text(st, 2, &ok);
    r->scenario_text = column_text(st, 3, &ok);
    r->scenario_len = r->scenario_text ? (size_t)sqlite3_column_bytes(st, 3) : 0;
    r->overrides = column_text(st, 4, &ok);
    /* Stored as the seed's 64 bits in a signed INTEGER (docs/DATABASE.md). */
    r->seed = (uint64_t)sqlite3_column_int64(st, 5);
    r->version = column_text(st, 6, &ok);
    r->started_utc = column_text(st, 7, &ok);
    r->wall_s = column_real(st, 8);
    ok = ok && r->scenario_name && r->scenario_sha256 && r->scenario_text && r->overrides &&
         r->version && r->started_utc;
    rc = SQLITE_DONE;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return db_fail(d, err, err_size, "its runs");
  if (!ok)
    return no_memory(d, err, err_size);
  if (found)
    return 0;
  char ids[512];
  int64_t count;
  if (list_ids(d, "SELECT run_id FROM runs ORDER BY run_id", ids, sizeof ids, &count) !=
      SQLITE_OK)
    return db_fail(d, err, err_size, "its runs");
  if (count == 0)
    return tf_fail_into(err, err_size, TF_ENOTFOUND,
                        "%s: no run %" PRId64 ": the file holds no runs", d->path, r->run_id);
  return tf_fail_into(err, err_size, TF_ENOTFOUND, "%s: no run %" PRId64 "; its runs: %s", d->path,
                      r->run_id, ids);
}

int tf_report_load_run(tf_report_db *d, int64_t run_id, tf_report_run **out, char *err,
                       size_t err_size) {
  assert(d && out);
  *out = NULL;
  tf_report_run *r = calloc(1, sizeof *r);
  if (!r)
    return no_memory(d, err, err_size);
  r->run_id = run_id;
  int status = begin_read(d, err, err_size);
  if (status == 0)
    status = read_run_row(d, r, err, err_size);
  if (status == 0)
    status = read_metrics(d, r, err, err_size);
  if (status == 0)
    status = read_groups(d, run_id,
                         "SELECT class, name, unit, value, text FROM class_metrics "
                         "WHERE run_id = ?1 ORDER BY class, name",
                         "the run's classes", &r->classes, &r->n_classes, err, err_size);
  if (status == 0)
    status = read_groups(d, run_id,
                         "SELECT component, name, unit, value FROM costs "
                         "WHERE run_id = ?1 ORDER BY component, name",
                         "the run's costs", &r->costs, &r->n_costs, err, err_size);
  if (status == 0)
    status = read_series(d, r, err, err_size);
  if (status == 0)
    status = read_sweep_place(d, r, err, err_size);
  end_read(d);
  if (status) {
    tf_report_run_free(r);
    return status;
  }
  *out = r;
  return 0;
}

void tf_report_run_free(tf_report_run *r) {
  if (!r)
    return;
  free(r->scenario_name);
  free(r->scenario_path);
  free(r->scenario_sha256);
  free(r->scenario_text);
  free(r->overrides);
  free(r->version);
  free(r->started_utc);
  metrics_free(r->metrics, r->n_metrics);
  groups_free(r->classes, r->n_classes);
  groups_free(r->costs, r->n_costs);
  for (size_t k = 0; k < r->n_series; k++) {
    free(r->series_names[k]);
    free(r->series_units[k]);
  }
  free(r->series_names);
  free(r->series_units);
  free(r->t_s);
  free(r->series_values);
  free(r);
}

const tf_report_metric *tf_report_metric_find(const tf_report_metric *m, size_t n,
                                              const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(m[i].name, name) == 0)
      return &m[i];
  return NULL;
}

double tf_report_value(const tf_report_metric *m, size_t n, const char *name) {
  const tf_report_metric *x = tf_report_metric_find(m, n, name);
  return x ? x->value : NAN;
}

const char *tf_report_text(const tf_report_metric *m, size_t n, const char *name) {
  const tf_report_metric *x = tf_report_metric_find(m, n, name);
  return x ? x->text : NULL;
}

/* ---- sweeps ---- */

static int read_sweep_row(tf_report_db *d, tf_report_sweep *s, char *err, size_t err_size) {
  int64_t count = 0;
  char ids[512] = "";
  int rc = d->user_version >= 2 ? list_ids(d, "SELECT sweep_id FROM sweeps ORDER BY sweep_id",
                                           ids, sizeof ids, &count)
                                : SQLITE_OK;
  if (rc != SQLITE_OK)
    return db_fail(d, err, err_size, "its sweeps");
  if (count == 0)
    return tf_fail_into(
        err, err_size, TF_ENOTFOUND,
        "%s: holds no sweeps (tokenfab sweep records them; for a run, leave --sweep out "
        "or give --run ID)",
        d->path);
  sqlite3_stmt *st;
  rc = sqlite3_prepare_v2(d->db,
                          "SELECT sweep_key, scenario_name, scenario_sha256, definition, points, "
                          "replications, master_seed FROM sweeps WHERE sweep_id = ?1",
                          -1, &st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(st, 1, s->sweep_id);
  bool ok = true, found = false;
  if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    found = true;
    s->key = column_text(st, 0, &ok);
    s->scenario_name = column_text(st, 1, &ok);
    s->scenario_sha256 = column_text(st, 2, &ok);
    s->definition = column_text(st, 3, &ok);
    s->points = sqlite3_column_int64(st, 4);
    s->replications = sqlite3_column_int64(st, 5);
    s->master_seed = (uint64_t)sqlite3_column_int64(st, 6);
    ok = ok && s->key && s->scenario_name && s->scenario_sha256 && s->definition;
    rc = SQLITE_DONE;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return db_fail(d, err, err_size, "its sweeps");
  if (!ok)
    return no_memory(d, err, err_size);
  if (!found)
    return tf_fail_into(err, err_size, TF_ENOTFOUND, "%s: no sweep %" PRId64 "; its sweeps: %s",
                        d->path, s->sweep_id, ids);
  return 0;
}

static int read_axes(tf_report_db *d, tf_report_sweep *s, char *err, size_t err_size) {
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(d->db,
                              "SELECT name FROM sweep_axes WHERE sweep_id = ?1 ORDER BY axis", -1,
                              &st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(st, 1, s->sweep_id);
  size_t cap = 0;
  bool ok = true;
  while (ok && rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    rc = SQLITE_OK;
    if (!(ok = grow((void **)&s->axes, &cap, s->n_axes, sizeof *s->axes)))
      break;
    s->axes[s->n_axes] = column_text(st, 0, &ok);
    ok = ok && s->axes[s->n_axes++];
  }
  sqlite3_finalize(st);
  if (!ok)
    return no_memory(d, err, err_size);
  return rc == SQLITE_DONE ? 0 : db_fail(d, err, err_size, "the sweep's axes");
}

/* The earliest and latest start and the versions among the sweep's runs. */
static int read_sweep_runs_span(tf_report_db *d, tf_report_sweep *s, char *err,
                                size_t err_size) {
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(d->db,
                              "SELECT min(r.started_utc), max(r.started_utc), "
                              "min(r.tokenfab_version), max(r.tokenfab_version) "
                              "FROM sweep_runs w JOIN runs r ON r.run_id = w.run_id "
                              "WHERE w.sweep_id = ?1",
                              -1, &st, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(st, 1, s->sweep_id);
  bool ok = true;
  if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    s->started_first = column_text(st, 0, &ok);
    s->started_last = column_text(st, 1, &ok);
    s->version_first = column_text(st, 2, &ok);
    s->version_last = column_text(st, 3, &ok);
    rc = SQLITE_DONE;
  }
  sqlite3_finalize(st);
  if (!ok)
    return no_memory(d, err, err_size);
  return rc == SQLITE_DONE ? 0 : db_fail(d, err, err_size, "the sweep's runs");
}

/* Running sums of one point's replications. */
typedef struct point_sums {
  double sum[TF_RSM_COUNT];
  size_t n[TF_RSM_COUNT];
} point_sums;

/* Starts point p (a new element of s->pts) with its axis values. */
static int start_point(tf_report_sweep *s, size_t *cap, int64_t p, sqlite3_stmt *labels) {
  if (!grow((void **)&s->pts, cap, s->n_pts, sizeof *s->pts))
    return SQLITE_NOMEM;
  tf_report_sweep_point *pt = &s->pts[s->n_pts++];
  *pt = (tf_report_sweep_point){.point = p};
  pt->labels = calloc(s->n_axes ? s->n_axes : 1, sizeof *pt->labels);
  if (!pt->labels)
    return SQLITE_NOMEM;
  sqlite3_bind_int64(labels, 2, p);
  int rc;
  bool ok = true;
  while ((rc = sqlite3_step(labels)) == SQLITE_ROW) {
    int64_t axis = sqlite3_column_int64(labels, 0);
    if (axis >= 0 && (uint64_t)axis < s->n_axes && !pt->labels[axis])
      pt->labels[axis] = column_text(labels, 1, &ok);
  }
  sqlite3_reset(labels);
  for (size_t a = 0; ok && a < s->n_axes; a++)
    if (!pt->labels[a])
      ok = (pt->labels[a] = copy_n("", 0)) != NULL;
  if (!ok)
    return SQLITE_NOMEM;
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Means of the finite values, as cli/sweep.c's aggregate(). */
static void finish_point(tf_report_sweep_point *pt, const point_sums *sums) {
  for (int m = 0; m < TF_RSM_COUNT; m++)
    pt->mean[m] = sums->n[m] ? sums->sum[m] / (double)sums->n[m] : NAN;
}

/* Every run of the sweep, its metrics summed per point: one query for the runs in (point,
 * replication) order and one primary-key look-up per metric, as tf_store_sweep_metrics does. */
static int read_points(tf_report_db *d, tf_report_sweep *s, char *err, size_t err_size) {
  sqlite3_stmt *runs = NULL, *metric = NULL, *labels = NULL;
  int rc = sqlite3_prepare_v2(d->db,
                              "SELECT point, replication, run_id FROM sweep_runs "
                              "WHERE sweep_id = ?1 ORDER BY point, replication",
                              -1, &runs, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(d->db,
                            "SELECT value, text FROM metrics WHERE run_id = ?1 AND name = ?2", -1,
                            &metric, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(d->db,
                            "SELECT axis, value FROM sweep_labels WHERE sweep_id = ?1 AND "
                            "point = ?2 ORDER BY axis",
                            -1, &labels, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(runs, 1, s->sweep_id);
  if (rc == SQLITE_OK)
    rc = sqlite3_bind_int64(labels, 1, s->sweep_id);
  size_t cap = 0;
  point_sums sums = {0};
  bool ok = true;
  while (rc == SQLITE_OK && (rc = sqlite3_step(runs)) == SQLITE_ROW) {
    rc = SQLITE_OK;
    int64_t p = sqlite3_column_int64(runs, 0), run_id = sqlite3_column_int64(runs, 2);
    bool first = s->n_pts == 0 || s->pts[s->n_pts - 1].point != p;
    if (first) {
      if (s->n_pts)
        finish_point(&s->pts[s->n_pts - 1], &sums);
      sums = (point_sums){0};
      if ((rc = start_point(s, &cap, p, labels)) != SQLITE_OK)
        break;
    }
    tf_report_sweep_point *pt = &s->pts[s->n_pts - 1];
    pt->replications++;
    for (int m = 0; rc == SQLITE_OK && m < TF_RSM_COUNT; m++) {
      sqlite3_bind_int64(metric, 1, run_id);
      sqlite3_bind_text(metric, 2, tf_report_sweep_metric_names[m], -1, SQLITE_STATIC);
      rc = sqlite3_step(metric);
      if (rc == SQLITE_ROW) {
        double v = column_real(metric, 0);
        if (isfinite(v)) {
          sums.sum[m] += v;
          sums.n[m]++;
        } else if (first && m == TF_RSM_BINDING_CONSTRAINT && !pt->binding &&
                   sqlite3_column_type(metric, 1) != SQLITE_NULL) {
          pt->binding = column_text(metric, 1, &ok);
        }
      }
      rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
      sqlite3_reset(metric);
    }
    if (!ok)
      rc = SQLITE_NOMEM;
  }
  if (rc == SQLITE_DONE && s->n_pts)
    finish_point(&s->pts[s->n_pts - 1], &sums);
  sqlite3_finalize(runs);
  sqlite3_finalize(metric);
  sqlite3_finalize(labels);
  if (rc == SQLITE_NOMEM)
    return no_memory(d, err, err_size);
  return rc == SQLITE_DONE ? 0 : db_fail(d, err, err_size, "the sweep's runs");
}

/* The frontiers over the points' means, as cli/sweep.c marks them. */
static int mark_fronts(tf_report_sweep *s) {
  static const struct {
    tf_report_sweep_metric x, y;
    tf_pareto_sense sx, sy;
  } fronts[TF_REPORT_FRONTS] = {
      [TF_REPORT_FRONT_POWER] = {TF_RSM_OUTPUT_TOKENS_PER_S_PER_MW_FACILITY,
                                 TF_RSM_OUTPUT_TOKENS_PER_S_PER_USER, TF_PARETO_MAX,
                                 TF_PARETO_MAX},
      [TF_REPORT_FRONT_COST_TTFT] = {TF_RSM_COST_PER_MTOK_OUT_USD, TF_RSM_TTFT_P99_S,
                                     TF_PARETO_MIN, TF_PARETO_MIN},
      [TF_REPORT_FRONT_COST_TPOT] = {TF_RSM_COST_PER_MTOK_OUT_USD, TF_RSM_TPOT_P99_S,
                                     TF_PARETO_MIN, TF_PARETO_MIN},
  };
  size_t n = s->n_pts;
  double *x = malloc((n ? n : 1) * sizeof *x), *y = malloc((n ? n : 1) * sizeof *y);
  bool *on = malloc((n ? n : 1) * sizeof *on);
  int status = x && y && on ? 0 : TF_ENOMEM;
  for (int f = 0; status == 0 && f < TF_REPORT_FRONTS; f++) {
    for (size_t p = 0; p < n; p++) {
      x[p] = s->pts[p].mean[fronts[f].x];
      y[p] = s->pts[p].mean[fronts[f].y];
    }
    if (tf_pareto_front(n, x, fronts[f].sx, y, fronts[f].sy, on) < 0)
      status = TF_ENOMEM;
    for (size_t p = 0; status == 0 && p < n; p++)
      s->pts[p].front[f] = on[p];
  }
  free(x);
  free(y);
  free(on);
  return status;
}

/* Per axis and value, the mean over points of their mean cost. O(points x values) per axis. */
static int axis_effects(tf_report_sweep *s) {
  s->effects = calloc(s->n_axes ? s->n_axes : 1, sizeof *s->effects);
  if (!s->effects)
    return TF_ENOMEM;
  for (size_t a = 0; a < s->n_axes; a++) {
    tf_report_axis_effect *e = &s->effects[a];
    size_t cap = s->n_pts ? s->n_pts : 1;
    e->values = calloc(cap, sizeof *e->values);
    e->mean_cost_usd = calloc(cap, sizeof *e->mean_cost_usd);
    e->n_points = calloc(cap, sizeof *e->n_points);
    if (!e->values || !e->mean_cost_usd || !e->n_points)
      return TF_ENOMEM;
    for (size_t p = 0; p < s->n_pts; p++) {
      const char *v = s->pts[p].labels[a];
      size_t k = 0;
      while (k < e->n_values && strcmp(e->values[k], v) != 0)
        k++;
      if (k == e->n_values) {
        if (!(e->values[k] = copy_n(v, strlen(v))))
          return TF_ENOMEM;
        e->n_values++;
      }
      double c = s->pts[p].mean[TF_RSM_COST_PER_MTOK_OUT_USD];
      if (isfinite(c)) {
        e->mean_cost_usd[k] += c;
        e->n_points[k]++;
      }
    }
    for (size_t k = 0; k < e->n_values; k++)
      e->mean_cost_usd[k] = e->n_points[k] ? e->mean_cost_usd[k] / (double)e->n_points[k] : NAN;
  }
  return 0;
}

int tf_report_load_sweep(tf_report_db *d, int64_t sweep_id, tf_report_sweep **out, char *err,
                         size_t err_size) {
  assert(d && out);
  *out = NULL;
  tf_report_sweep *s = calloc(1, sizeof *s);
  if (!s)
    return no_memory(d, err, err_size);
  s->sweep_id = sweep_id;
  int status = begin_read(d, err, err_size);
  if (status == 0)
    status = read_sweep_row(d, s, err, err_size);
  if (status == 0)
    status = read_axes(d, s, err, err_size);
  if (status == 0)
    status = read_sweep_runs_span(d, s, err, err_size);
  if (status == 0)
    status = read_points(d, s, err, err_size);
  end_read(d);
  if (status == 0 && (mark_fronts(s) != 0 || axis_effects(s) != 0))
    status = no_memory(d, err, err_size);
  if (status) {
    tf_report_sweep_free(s);
    return status;
  }
  *out = s;
  return 0;
}

void tf_report_sweep_free(tf_report_sweep *s) {
  if (!s)
    return;
  free(s->key);
  free(s->scenario_name);
  free(s->scenario_sha256);
  free(s->definition);
  free(s->version_first);
  free(s->version_last);
  free(s->started_first);
  free(s->started_last);
  for (size_t p = 0; p < s->n_pts; p++) {
    for (size_t a = 0; s->pts[p].labels && a < s->n_axes; a++)
      free(s->pts[p].labels[a]);
    free(s->pts[p].labels);
    free(s->pts[p].binding);
  }
  free(s->pts);
  for (size_t a = 0; s->effects && a < s->n_axes; a++) {
    for (size_t k = 0; k < s->effects[a].n_values; k++)
      free(s->effects[a].values[k]);
    free(s->effects[a].values);
    free(s->effects[a].mean_cost_usd);
    free(s->effects[a].n_points);
  }
  free(s->effects);
  for (size_t a = 0; a < s->n_axes; a++)
    free(s->axes[a]);
  free(s->axes);
  free(s);
}
