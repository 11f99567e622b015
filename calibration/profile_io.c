/* GPU profile files: SQLite and CSV writers, and the reader (profile_io.h). */
#include "profile_io.h"

#include <assert.h>
#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "csv_out.h"
#include "error.h"

#define EOL "\r\n" /* RFC 4180 section 2 */
#define STR_(x) #x
#define STR(x) STR_(x)

/* ---- Numbers ---- */

/* v in plain decimal notation with the fewest significant digits (1 to 17) that read back as v:
 * 0.000012, 1979000000000000, 0.78322385042951. "" for a non-finite v; "0" for zeros. The
 * rewriting is the CSV export's (tf_csv_plain); only the digit count differs. */
static void plain_number(double v, char *buf, size_t size) {
  if (!isfinite(v)) {
    buf[0] = '\0';
    return;
  }
  char e[48];
  for (int prec = 0; prec <= 16; prec++) { /* %.16e has 17 digits: always exact */
    snprintf(e, sizeof e, "%.*e", prec, v);
    if (strtod(e, NULL) == v)
      break;
  }
  tf_csv_plain(e, buf, size);
}

/* ---- Atomic files ---- */

/* mkstemp creates files readable by their owner only; profiles get the permissions any new file
 * would (0666 less the umask), like the files they replace. */
static mode_t file_mode(void) {
  mode_t mask = umask(0);
  umask(mask);
  return 0666 & ~mask;
}

/* A file written under a temporary name beside its final one. */
typedef struct out_file {
  char path[PATH_MAX], tmp[PATH_MAX + 16];
} out_file;

/* Fills o for path and creates the temporary file; returns its descriptor, or -1 with the
 * TF_FAIL context set (tmp is then empty). */
static int out_open(out_file *o, const char *path) {
  o->tmp[0] = '\0';
  const char *slash = strrchr(path, '/');
  int dir_len = slash ? (int)(slash - path) : 1;
  int n = snprintf(o->path, sizeof o->path, "%s", path);
  int m = snprintf(o->tmp, sizeof o->tmp, "%.*s/.%s.XXXXXX", dir_len, slash ? path : ".",
                   slash ? slash + 1 : path);
  if (n < 0 || m < 0 || (size_t)n >= sizeof o->path || (size_t)m >= sizeof o->tmp) {
    o->tmp[0] = '\0';
    TF_FAIL(TF_EIO, "%s: the file name is too long", path);
    return -1;
  }
  int fd = mkstemp(o->tmp);
  if (fd >= 0 && fchmod(fd, file_mode()) != 0) {
    int e = errno;
    close(fd);
    remove(o->tmp);
    errno = e;
    fd = -1;
  }
  if (fd < 0) {
    TF_FAIL(TF_EIO, "%s: cannot create a file in its folder: %s", path, strerror(errno));
    o->tmp[0] = '\0';
  }
  return fd;
}

static void out_discard(out_file *o) {
  if (o->tmp[0])
    remove(o->tmp);
  o->tmp[0] = '\0';
}

/* ---- CSV ---- */

static int text(FILE *f, const char *s) {
  /* Every text written here is tokenfab's own (names, units, sources starting with a word), never
   * one a spreadsheet would take for a formula, so none needs neutralising (docs/RESULTS.md). */
  assert(!s[0] || !strchr("=+-@\t\r", s[0]));
  return csv_fwrite(f, s, strlen(s)) == 0 ? 0 : TF_EIO;
}

static int number(FILE *f, double v) {
  char buf[TF_CSV_NUMBER_MAX];
  plain_number(v, buf, sizeof buf);
  return fputs(buf, f) < 0 ? TF_EIO : 0;
}

static int sep(FILE *f, const char *s) { return fputs(s, f) < 0 ? TF_EIO : 0; }

static int write_params(FILE *f, const tf_fit *fit) {
  int rc = sep(f, "name,value,std_error,unit,source,default_value" EOL);
  for (int i = 0; i < TF_FIT_N_PARAMS && !rc; i++) {
    const tf_fit_param *p = &fit->param[i];
    if (!p->present)
      continue;
    rc = text(f, p->name);
    rc = rc ? rc : sep(f, ",");
    rc = rc ? rc : number(f, p->value);
    rc = rc ? rc : sep(f, ",");
    rc = rc ? rc : number(f, p->std_error);
    rc = rc ? rc : sep(f, ",");
    rc = rc ? rc : text(f, p->unit);
    rc = rc ? rc : sep(f, ",");
    rc = rc ? rc : text(f, p->source);
    rc = rc ? rc : sep(f, ",");
    rc = rc ? rc : number(f, p->default_value);
    rc = rc ? rc : sep(f, EOL);
  }
  return rc;
}

static int write_fits(FILE *f, const tf_fit *fit) {
  int rc = sep(f, "curve,n_points,rms_rel_error,status,reason" EOL);
  for (int i = 0; i < TF_FIT_N_CURVES && !rc; i++) {
    const tf_fit_curve *c = &fit->curve[i];
    rc = text(f, c->name);
    rc = rc ? rc : sep(f, ",");
    rc = rc ? rc : number(f, (double)c->n_points);
    rc = rc ? rc : sep(f, ",");
    rc = rc ? rc : number(f, c->rms_rel_error);
    rc = rc ? rc : sep(f, ",");
    rc = rc ? rc : text(f, tf_fit_status_name(c->status));
    rc = rc ? rc : sep(f, ",");
    rc = rc ? rc : text(f, c->why);
    rc = rc ? rc : sep(f, EOL);
  }
  return rc;
}

int tf_profile_write_csv(const char *dir, const tf_fit *fit) {
  assert(dir && fit);
  static const char *const names[] = {"profile.csv", "fits.csv"};
  int (*const writers[])(FILE *, const tf_fit *) = {write_params, write_fits};
  enum { N_FILES = 2 };
  out_file o[N_FILES];
  for (int i = 0; i < N_FILES; i++)
    o[i].tmp[0] = '\0';
  int rc = 0;
  for (int i = 0; i < N_FILES && !rc; i++) {
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    if (n < 0 || (size_t)n >= sizeof path) {
      rc = TF_FAIL(TF_EIO, "%s: the folder name is too long", dir);
      break;
    }
    int fd = out_open(&o[i], path);
    if (fd < 0) {
      rc = TF_EIO;
      break;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
      close(fd);
      rc = TF_FAIL(TF_EIO, "%s: cannot write: %s", path, strerror(errno));
      break;
    }
    int wrc = writers[i](f, fit);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
      wrc = TF_EIO;
    if (fclose(f) != 0)
      wrc = TF_EIO;
    if (wrc)
      rc = TF_FAIL(TF_EIO, "%s: cannot write: %s", path, strerror(errno));
  }
  /* Both whole: now they replace the old ones. */
  for (int i = 0; i < N_FILES && !rc; i++) {
    if (rename(o[i].tmp, o[i].path) != 0)
      rc = TF_FAIL(TF_EIO, "cannot rename %s to %s: %s", o[i].tmp, o[i].path, strerror(errno));
    else
      o[i].tmp[0] = '\0';
  }
  for (int i = 0; i < N_FILES; i++)
    out_discard(&o[i]);
  return rc;
}

/* ---- SQLite ---- */

static int db_fail(sqlite3 *db, const char *path, const char *what) {
  return TF_FAIL(TF_EDB, "%s: cannot %s: %s", path, what, db ? sqlite3_errmsg(db) : "no memory");
}

static const char schema[] =
    "PRAGMA journal_mode = OFF;" /* a fresh temporary file, renamed only when whole */
    "PRAGMA synchronous = OFF;"  /* synced once, before the rename */
    "PRAGMA application_id = " STR(TF_PROFILE_APPLICATION_ID) ";"
    "PRAGMA user_version = " STR(TF_PROFILE_SCHEMA_VERSION) ";"
    "BEGIN;"
    "CREATE TABLE device (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE parameters (name TEXT PRIMARY KEY, value REAL NOT NULL, std_error REAL,"
    " unit TEXT NOT NULL, source TEXT NOT NULL, default_value REAL);"
    "CREATE TABLE fits (curve TEXT PRIMARY KEY, n_points INTEGER NOT NULL, rms_rel_error REAL,"
    " status TEXT NOT NULL, reason TEXT NOT NULL);";

static int bind_number(sqlite3_stmt *st, int i, double v, bool whole) {
  if (isnan(v))
    return sqlite3_bind_null(st, i);
  if (whole && fabs(v) < 9007199254740992.0) /* 2^53: every whole double below is exact */
    return sqlite3_bind_int64(st, i, (sqlite3_int64)v);
  return sqlite3_bind_double(st, i, v);
}

static int bind_text(sqlite3_stmt *st, int i, const char *s) {
  return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* Runs a prepared statement once to completion and resets it. SQLITE_OK or the error. */
static int step_reset(sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  int rc2 = sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_DONE ? rc2 : rc;
}

/* The measurements table: line, kernel, dtype, the numeric columns with layout after head_dim
 * (the contract's order). */
static int create_measurements(sqlite3 *db, sqlite3_stmt **ins) {
  const tf_meas_column *cols;
  size_t n = tf_meas_numeric_columns(&cols);
  char create[2048], insert[512];
  size_t a = (size_t)snprintf(create, sizeof create,
                              "CREATE TABLE measurements (line INTEGER PRIMARY KEY, kernel TEXT "
                              "NOT NULL, dtype TEXT");
  size_t b = (size_t)snprintf(insert, sizeof insert, "INSERT INTO measurements VALUES (?,?,?");
  for (size_t i = 0; i < n; i++) {
    a += (size_t)snprintf(create + a, sizeof create - a, ", %s %s", cols[i].name,
                          cols[i].whole ? "INTEGER" : "REAL");
    b += (size_t)snprintf(insert + b, sizeof insert - b, ",?");
    if (strcmp(cols[i].name, "head_dim") == 0) {
      a += (size_t)snprintf(create + a, sizeof create - a, ", layout TEXT");
      b += (size_t)snprintf(insert + b, sizeof insert - b, ",?");
    }
  }
  snprintf(create + a, sizeof create - a, ")");
  snprintf(insert + b, sizeof insert - b, ")");
  assert(a < sizeof create - 1 && b < sizeof insert - 1);
  int rc = sqlite3_exec(db, create, NULL, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(db, insert, -1, ins, NULL);
  return rc;
}

static int insert_measurements(sqlite3 *db, const tf_meas *m) {
  sqlite3_stmt *st = NULL;
  int rc = create_measurements(db, &st);
  const tf_meas_column *cols;
  size_t n = tf_meas_numeric_columns(&cols);
  for (size_t r = 0; r < m->n_rows && rc == SQLITE_OK; r++) {
    const tf_meas_row *row = &m->rows[r];
    int i = 1;
    rc = sqlite3_bind_int64(st, i++, row->line);
    rc = rc ? rc : bind_text(st, i++, tf_meas_kernel_name(row->kernel));
    if (!rc && row->dtype != TF_MEAS_DTYPE_NONE)
      rc = bind_text(st, i, tf_meas_dtype_name(row->dtype));
    i++;
    for (size_t c = 0; c < n && !rc; c++) {
      double v = *(const double *)(const void *)((const char *)row + cols[c].offset);
      rc = bind_number(st, i++, v, cols[c].whole);
      if (!rc && strcmp(cols[c].name, "head_dim") == 0) {
        if (row->layout != TF_MEAS_LAYOUT_NONE)
          rc = bind_text(st, i, tf_meas_layout_name(row->layout));
        i++;
      }
    }
    rc = rc ? rc : step_reset(st);
  }
  sqlite3_finalize(st);
  return rc;
}

static int insert_device(sqlite3 *db, const tf_meas *m, const tf_fit *f) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO device VALUES (?, ?)", -1, &st, NULL);
  for (size_t i = 0; i < m->n_device && rc == SQLITE_OK; i++) {
    rc = bind_text(st, 1, m->device_key[i]);
    rc = rc ? rc : bind_text(st, 2, m->device_value[i]);
    rc = rc ? rc : step_reset(st);
  }
  /* What the fit adds: the profile's layout and the catalogue GPU whose peaks it used. */
  const char *extra[][2] = {{"profile_format", TF_PROFILE_FORMAT}, {"catalog_gpu", f->gpu}};
  for (size_t i = 0; i < 2 && rc == SQLITE_OK; i++) {
    rc = bind_text(st, 1, extra[i][0]);
    rc = rc ? rc : bind_text(st, 2, extra[i][1]);
    rc = rc ? rc : step_reset(st);
  }
  sqlite3_finalize(st);
  return rc;
}

static int insert_fit(sqlite3 *db, const tf_fit *f) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, "INSERT INTO parameters VALUES (?, ?, ?, ?, ?, ?)", -1, &st,
                              NULL);
  for (int i = 0; i < TF_FIT_N_PARAMS && rc == SQLITE_OK; i++) {
    const tf_fit_param *p = &f->param[i];
    if (!p->present)
      continue;
    rc = bind_text(st, 1, p->name);
    rc = rc ? rc : bind_number(st, 2, p->value, false);
    rc = rc ? rc : bind_number(st, 3, p->std_error, false);
    rc = rc ? rc : bind_text(st, 4, p->unit);
    rc = rc ? rc : bind_text(st, 5, p->source);
    rc = rc ? rc : bind_number(st, 6, p->default_value, false);
    rc = rc ? rc : step_reset(st);
  }
  sqlite3_finalize(st);
  st = NULL;
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(db, "INSERT INTO fits VALUES (?, ?, ?, ?, ?)", -1, &st, NULL);
  for (int i = 0; i < TF_FIT_N_CURVES && rc == SQLITE_OK; i++) {
    const tf_fit_curve *c = &f->curve[i];
    rc = bind_text(st, 1, c->name);
    rc = rc ? rc : sqlite3_bind_int64(st, 2, (sqlite3_int64)c->n_points);
    rc = rc ? rc : bind_number(st, 3, c->rms_rel_error, false);
    rc = rc ? rc : bind_text(st, 4, tf_fit_status_name(c->status));
    rc = rc ? rc : bind_text(st, 5, c->why);
    rc = rc ? rc : step_reset(st);
  }
  sqlite3_finalize(st);
  return rc;
}

int tf_profile_write_db(const char *path, const tf_meas *m, const tf_fit *f) {
  assert(path && m && f);
  out_file o;
  int fd = out_open(&o, path);
  if (fd < 0)
    return TF_EIO;
  close(fd);
  sqlite3 *db = NULL;
  int rc = 0;
  if (sqlite3_open_v2(o.tmp, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
    rc = db_fail(db, path, "create the database");
  if (!rc && sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK)
    rc = db_fail(db, path, "create the tables");
  if (!rc && insert_device(db, m, f) != SQLITE_OK)
    rc = db_fail(db, path, "write the device table");
  if (!rc && insert_measurements(db, m) != SQLITE_OK)
    rc = db_fail(db, path, "write the measurements table");
  if (!rc && insert_fit(db, f) != SQLITE_OK)
    rc = db_fail(db, path, "write the parameters and fits tables");
  if (!rc && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    rc = db_fail(db, path, "commit");
  if (sqlite3_close(db) != SQLITE_OK && !rc)
    rc = TF_FAIL(TF_EDB, "%s: cannot close the database", path);
  if (!rc) {
    /* journal and synchronous are off: one fsync makes the whole file durable before it
     * replaces the old one. */
    int sfd = open(o.tmp, O_RDONLY);
    if (sfd < 0 || fsync(sfd) != 0)
      rc = TF_FAIL(TF_EIO, "%s: cannot sync: %s", path, strerror(errno));
    if (sfd >= 0)
      close(sfd);
  }
  if (!rc && rename(o.tmp, o.path) != 0)
    rc = TF_FAIL(TF_EIO, "cannot rename %s to %s: %s", o.tmp, o.path, strerror(errno));
  if (!rc)
    o.tmp[0] = '\0';
  out_discard(&o);
  return rc;
}

/* ---- Reading ---- */

/* Takes one parameter row into out; seen marks those already read. 0, or TF_EPARSE with the
 * context `where: sentence`. */
static int take_param(tf_profile *out, bool *seen, const char *where, const char *name,
                      double value, double se, const char *unit, const char *source) {
  int id = tf_fit_param_find(name);
  if (id < 0)
    return TF_FAIL(TF_EPARSE, "%s: unknown parameter \"%s\" (expected a parameter of "
                   "docs/CALIBRATION.md, such as gemm_eff or clock_exponent)", where, name);
  tf_fit_param *p = &out->param[id];
  if (seen[id])
    return TF_FAIL(TF_EPARSE, "%s: parameter \"%s\" again (expected each parameter once)", where,
                   name);
  if (strcmp(unit, p->unit) != 0)
    return TF_FAIL(TF_EPARSE, "%s: %s in \"%s\" (expected %s)", where, name, unit, p->unit);
  if (!isfinite(value))
    return TF_FAIL(TF_EPARSE, "%s: %s has no finite value (expected a number)", where, name);
  seen[id] = true;
  p->present = true;
  p->value = value;
  p->std_error = se;
  snprintf(p->source, sizeof p->source, "%s", source);
  p->fitted = strcmp(source, tf_fit_default_source((tf_fit_param_id)id)) != 0;
  return 0;
}

/* "name: source" lines for parameters [from, to]. NULL when out of memory. */
static char *source_lines(const tf_profile *p, int from, int to) {
  size_t n = 1;
  for (int i = from; i <= to; i++)
    n += strlen(p->param[i].name) + 2 + strlen(p->param[i].source) + 1;
  char *s = malloc(n), *q = s;
  if (!s)
    return NULL;
  for (int i = from; i <= to; i++)
    q += sprintf(q, "%s%s: %s", i > from ? "\n" : "", p->param[i].name, p->param[i].source);
  return s;
}

/* Builds gpu and power from the parameters read, names the profile, checks the values. */
static int finish_profile(tf_profile *out, const char *path, char *name) {
  out->name = name;
  out->gpu = *tf_gpu_profile_default();
  out->power = *tf_power_profile_default();
  tf_fit_apply(out->param, &out->gpu, &out->power);
  out->gpu_source = source_lines(out, TF_FIT_GEMM_EFF, TF_FIT_STEP_OVERHEAD_S);
  out->power_source = source_lines(out, TF_FIT_ACTIVITY_COMPUTE, TF_FIT_MIN_CLOCK);
  if (!out->name || !out->gpu_source || !out->power_source) {
    tf_profile_fini(out);
    return TF_FAIL(TF_ENOMEM, "out of memory reading %s", path);
  }
  out->gpu.name = out->power.name = out->name;
  out->gpu.source = out->gpu_source;
  out->power.source = out->power_source;
  if (tf_gpu_profile_check(&out->gpu) != 0 || tf_power_profile_check(&out->power) != 0) {
    char why[400];
    snprintf(why, sizeof why, "%s", tf_err_reason());
    tf_profile_fini(out);
    return TF_FAIL(TF_ERANGE, "%s: %s", path, why);
  }
  return 0;
}

static char *format_name(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
static char *format_name(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return NULL;
  char *s = malloc((size_t)n + 1);
  if (s) {
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  return s;
}

static double column_number(sqlite3_stmt *st, int i) {
  return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static const char *column_text(sqlite3_stmt *st, int i) {
  const unsigned char *s = sqlite3_column_text(st, i);
  return s ? (const char *)s : "";
}

static int query_int(sqlite3 *db, const char *sql, sqlite3_int64 *out) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      *out = sqlite3_column_int64(st, 0);
      rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(st);
  return rc;
}

/* device.csv's value for key in the database, "" when absent; NULL when out of memory. */
static char *device_value(sqlite3 *db, const char *key) {
  sqlite3_stmt *st = NULL;
  char *v = NULL;
  if (sqlite3_prepare_v2(db, "SELECT value FROM device WHERE key = ?", -1, &st, NULL) ==
          SQLITE_OK &&
      bind_text(st, 1, key) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    const char *s = column_text(st, 0);
    v = format_name("%s", s);
  } else {
    v = format_name("%s", "");
  }
  sqlite3_finalize(st);
  return v;
}

static int read_db(const char *path, tf_profile *out) {
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    int rc = db_fail(db, path, "open the database");
    sqlite3_close(db);
    return rc;
  }
  sqlite3_int64 app = 0, version = 0;
  int rc = 0;
  if (query_int(db, "PRAGMA application_id", &app) != SQLITE_OK ||
      query_int(db, "PRAGMA user_version", &version) != SQLITE_OK)
    rc = db_fail(db, path, "read the database header");
  else if (app != TF_PROFILE_APPLICATION_ID)
    rc = TF_FAIL(TF_EPARSE, "%s: not a tokenfab profile (SQLite application_id %lld, expected %d "
                 "as tokenfab fit writes)", path, (long long)app, TF_PROFILE_APPLICATION_ID);
  else if (version != TF_PROFILE_SCHEMA_VERSION)
    rc = TF_FAIL(TF_EPARSE, "%s: profile schema version %lld (expected %d; written by another "
                 "tokenfab version)", path, (long long)version, TF_PROFILE_SCHEMA_VERSION);
  sqlite3_stmt *st = NULL;
  if (!rc && sqlite3_prepare_v2(db, "SELECT name, value, std_error, unit, source FROM parameters "
                                "ORDER BY rowid", -1, &st, NULL) != SQLITE_OK)
    rc = db_fail(db, path, "read the parameters table");
  bool seen[TF_FIT_N_PARAMS] = {false};
  int step = SQLITE_DONE;
  while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
    char where[PATH_MAX + 64];
    snprintf(where, sizeof where, "%s: parameters row %s", path, column_text(st, 0));
    rc = take_param(out, seen, where, column_text(st, 0), column_number(st, 1),
                    column_number(st, 2), column_text(st, 3), column_text(st, 4));
  }
  if (!rc && step != SQLITE_DONE)
    rc = db_fail(db, path, "read the parameters table");
  sqlite3_finalize(st);
  char *name = NULL;
  if (!rc) {
    char *gpu = device_value(db, "catalog_gpu"), *device = device_value(db, "gpu_name");
    if (gpu && device)
      name = format_name("fitted for %s from %s (%s)", gpu, device, path);
    if (gpu)
      snprintf(out->catalog_gpu, sizeof out->catalog_gpu, "%s", gpu);
    free(gpu);
    free(device);
  }
  sqlite3_close(db);
  if (rc)
    return rc;
  return finish_profile(out, path, name);
}

/* The profile.csv reader: one pass with libcsv, a physical line at a time so a row knows its
 * line; rows are short, so fields live in fixed buffers. */
enum { CSV_FIELDS = 6, CSV_FIELD_MAX = 512 };
typedef struct csv_state {
  const char *path;
  tf_profile *out;
  bool seen[TF_FIT_N_PARAMS];
  char field[CSV_FIELDS][CSV_FIELD_MAX];
  size_t n_fields;
  bool too_many, too_long;
  int line, row_line, in_row, header_done;
  int col[CSV_FIELDS]; /* header position of name, value, std_error, unit, source, default */
  int n_header;
  int rc;
} csv_state;

static const char *const profile_columns[CSV_FIELDS] = {"name", "value", "std_error",
                                                         "unit", "source", "default_value"};

static void on_field(void *s, size_t n, void *data) {
  csv_state *c = data;
  if (c->n_fields >= CSV_FIELDS) {
    c->too_many = true;
    return;
  }
  if (n >= CSV_FIELD_MAX) {
    c->too_long = true;
    n = CSV_FIELD_MAX - 1;
  }
  memcpy(c->field[c->n_fields], s, n);
  c->field[c->n_fields][n] = '\0';
  c->n_fields++;
}

/* A number field: "" is NaN. 0, or -1 when it is not a number. */
static int field_number(const char *s, double *out) {
  if (!*s) {
    *out = NAN;
    return 0;
  }
  char *end;
  *out = strtod(s, &end);
  return *end ? -1 : 0;
}

static void on_row(int term, void *data) {
  (void)term;
  csv_state *c = data;
  size_t n = c->n_fields;
  c->n_fields = 0;
  c->in_row = 0;
  if (c->rc)
    return;
  if (c->too_long || c->too_many) {
    c->rc = TF_FAIL(TF_EPARSE, "%s:%d: %s (expected the columns name,value,std_error,unit,"
                    "source,default_value)", c->path, c->row_line,
                    c->too_long ? "a field too long" : "too many fields");
    return;
  }
  if (!c->header_done) {
    c->header_done = 1;
    c->n_header = (int)n;
    for (int k = 0; k < CSV_FIELDS; k++) {
      c->col[k] = -1;
      for (size_t i = 0; i < n; i++)
        if (strcmp(c->field[i], profile_columns[k]) == 0)
          c->col[k] = (int)i;
    }
    for (int k = 0; k < CSV_FIELDS; k++)
      if (c->col[k] < 0 && k != 2 && k != 5) /* std_error and default_value may be left out */
        c->rc = TF_FAIL(TF_EPARSE, "%s:%d: missing column \"%s\" (expected the header name,"
                        "value,std_error,unit,source,default_value)", c->path, c->row_line,
                        profile_columns[k]);
    return;
  }
  if ((int)n != c->n_header) {
    c->rc = TF_FAIL(TF_EPARSE, "%s:%d: %zu field%s (expected %d, one per header column)",
                    c->path, c->row_line, n, n == 1 ? "" : "s", c->n_header);
    return;
  }
  double value, se = NAN;
  const char *name = c->field[c->col[0]];
  if (field_number(c->field[c->col[1]], &value) != 0 ||
      (c->col[2] >= 0 && field_number(c->field[c->col[2]], &se) != 0)) {
    c->rc = TF_FAIL(TF_EPARSE, "%s:%d: %s has a value or std_error that is not a number "
                    "(expected plain decimals)", c->path, c->row_line, name);
    return;
  }
  char where[PATH_MAX + 32];
  snprintf(where, sizeof where, "%s:%d", c->path, c->row_line);
  c->rc = take_param(c->out, c->seen, where, name, value, se, c->field[c->col[3]],
                     c->field[c->col[4]]);
}

static int read_csv(const char *path, FILE *f, tf_profile *out) {
  csv_state *c = calloc(1, sizeof *c);
  struct csv_parser p;
  if (!c || csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
    free(c);
    return TF_FAIL(TF_ENOMEM, "out of memory reading %s", path);
  }
  c->path = path;
  c->out = out;
  char *line = NULL;
  size_t cap = 0;
  ssize_t got;
  while (!c->rc && (got = getline(&line, &cap, f)) != -1) {
    if (c->line < INT_MAX)
      c->line++;
    if (!c->in_row && got > 0 && line[0] != '\r' && line[0] != '\n') {
      c->in_row = 1;
      c->row_line = c->line;
    }
    if (csv_parse(&p, line, (size_t)got, on_field, on_row, c) != (size_t)got && !c->rc)
      c->rc = TF_FAIL(TF_EPARSE, "%s:%d: misplaced quote (expected a quoted field to be quoted "
                      "whole)", path, c->row_line);
  }
  if (!c->rc && ferror(f))
    c->rc = TF_FAIL(TF_EIO, "%s: cannot read: %s", path, strerror(errno));
  if (!c->rc && csv_fini(&p, on_field, on_row, c) != 0)
    c->rc = TF_FAIL(TF_EPARSE, "%s:%d: unterminated quoted field (expected a closing \")", path,
                    c->row_line);
  if (!c->rc && !c->header_done)
    c->rc = TF_FAIL(TF_EPARSE, "%s: empty file (expected a header row: name,value,std_error,"
                    "unit,source,default_value)", path);
  csv_free(&p);
  free(line);
  int rc = c->rc;
  free(c);
  if (rc)
    return rc;
  return finish_profile(out, path, format_name("profile %s", path));
}

int tf_profile_read(const char *path, tf_profile *out) {
  assert(path && out);
  memset(out, 0, sizeof *out);
  tf_fit tmp;
  tf_fit_defaults(NULL, &tmp);
  memcpy(out->param, tmp.param, sizeof out->param);
  FILE *f = fopen(path, "rb");
  if (!f)
    return TF_FAIL(TF_EIO, "%s: cannot open: %s", path, strerror(errno));
  /* SQLite's file header (sqlite.org/fileformat.html, 1.3.1): "SQLite format 3" and a NUL. */
  static const char magic[16] = "SQLite format 3";
  char head[16];
  size_t got = fread(head, 1, sizeof head, f);
  int rc;
  if (got == sizeof head && memcmp(head, magic, sizeof head) == 0) {
    fclose(f);
    rc = read_db(path, out);
  } else {
    rewind(f);
    rc = read_csv(path, f, out);
    fclose(f);
  }
  if (rc)
    memset(out, 0, sizeof *out);
  return rc;
}

void tf_profile_fini(tf_profile *p) {
  if (!p)
    return;
  free(p->name);
  free(p->gpu_source);
  free(p->power_source);
  p->name = p->gpu_source = p->power_source = NULL;
}
