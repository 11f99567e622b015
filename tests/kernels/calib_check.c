/* Test support: a measurement folder against docs/CALIBRATION.md (calib_check.h). */
#include "calib_check.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_FIELDS = 32, MAX_FIELD = 512 };

typedef struct reader {
  const char *path;
  char *text;
  size_t len, pos;
  int line;
} reader;

typedef struct record {
  int n;
  char field[MAX_FIELDS][MAX_FIELD];
  bool quoted[MAX_FIELDS];
} record;

static int fail(char *err, size_t err_size, const char *path, int line, const char *fmt, ...) {
  int n = snprintf(err, err_size, "%s:%d: ", path, line);
  va_list ap;
  va_start(ap, fmt);
  if (n > 0 && (size_t)n < err_size)
    vsnprintf(err + n, err_size - (size_t)n, fmt, ap);
  va_end(ap);
  return -1;
}

static int load(reader *r, const char *dir, const char *name, char *path, size_t path_size) {
  snprintf(path, path_size, "%s/%s", dir, name);
  r->path = path;
  r->line = 0;
  r->pos = 0;
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  r->text = malloc((size_t)size + 1);
  r->len = r->text ? fread(r->text, 1, (size_t)size, f) : 0;
  fclose(f);
  if (!r->text || r->len != (size_t)size) {
    free(r->text);
    r->text = NULL;
    return -1;
  }
  r->text[r->len] = '\0';
  return 0;
}

/* The next record: 1, 0 at the end, -1 on malformed text (err). Fields end at ',' or CRLF; a
 * quoted field may hold commas, doubled quotes and line breaks. */
static int next(reader *r, record *rec, char *err, size_t err_size) {
  if (r->pos >= r->len)
    return 0;
  r->line++;
  rec->n = 0;
  for (;;) {
    if (rec->n == MAX_FIELDS)
      return fail(err, err_size, r->path, r->line, "more than %d fields", MAX_FIELDS);
    char *out = rec->field[rec->n];
    size_t k = 0;
    bool quoted = r->pos < r->len && r->text[r->pos] == '"';
    rec->quoted[rec->n] = quoted;
    if (quoted) {
      r->pos++;
      for (;;) {
        if (r->pos >= r->len)
          return fail(err, err_size, r->path, r->line, "unterminated quoted field");
        char c = r->text[r->pos++];
        if (c == '"') {
          if (r->pos < r->len && r->text[r->pos] == '"')
            r->pos++;
          else
            break;
        }
        if (k + 1 < MAX_FIELD)
          out[k++] = c;
      }
    } else {
      while (r->pos < r->len && r->text[r->pos] != ',' && r->text[r->pos] != '\r' &&
             r->text[r->pos] != '\n') {
        if (r->text[r->pos] == '"')
          return fail(err, err_size, r->path, r->line, "a quote inside an unquoted field");
        if (k + 1 < MAX_FIELD)
          out[k++] = r->text[r->pos];
        r->pos++;
      }
    }
    out[k] = '\0';
    rec->n++;
    if (r->pos < r->len && r->text[r->pos] == ',') {
      r->pos++;
      continue;
    }
    if (r->pos + 1 < r->len && r->text[r->pos] == '\r' && r->text[r->pos + 1] == '\n') {
      r->pos += 2;
      return 1;
    }
    return fail(err, err_size, r->path, r->line, "the record does not end in CRLF");
  }
}

static const char *const device_keys[] = {
    "format",           "gpu_name",          "gpu_uuid",
    "compute_capability", "driver_version",  "cuda_runtime_version",
    "cublas_version",   "sm_count",          "sm_clock_max_mhz",
    "mem_clock_max_mhz", "hbm_bytes",        "power_limit_default_w",
    "power_limit_min_w", "power_limit_max_w", "started_utc",
    "mode"};

static const char *const columns[] = {
    "kernel",  "dtype",        "m",          "n",          "k",       "groups",
    "batch",   "context",      "heads",      "kv_heads",   "head_dim", "layout",
    "bytes",   "flops",        "bytes_moved", "power_limit_w", "reps", "time_s",
    "time_p10_s", "time_p90_s", "power_w",   "sm_clock_mhz"};
enum { N_COLUMNS = sizeof columns / sizeof columns[0] };
enum { C_KERNEL, C_DTYPE, C_M, C_N, C_K, C_GROUPS, C_BATCH, C_CONTEXT, C_HEADS, C_KV_HEADS,
       C_HEAD_DIM, C_LAYOUT, C_BYTES, C_FLOPS, C_BYTES_MOVED, C_LIMIT, C_REPS, C_TIME, C_P10,
       C_P90, C_POWER, C_CLOCK };

/* A plain non-negative finite decimal number (unquoted); *present false for an empty field. */
static bool number(const record *rec, int i, double *v, bool *present) {
  const char *s = rec->field[i];
  *present = s[0] != '\0';
  if (!*present)
    return !rec->quoted[i];
  if (rec->quoted[i] || strpbrk(s, "eEnNiI+") != NULL)
    return false;
  char *end;
  *v = strtod(s, &end);
  return *end == '\0' && isfinite(*v) && *v >= 0;
}

static int check_device(const char *dir, char *err, size_t err_size) {
  char path[1024];
  reader r;
  if (load(&r, dir, "device.csv", path, sizeof path) != 0)
    return fail(err, err_size, path, 0, "cannot read");
  record *rec = malloc(sizeof *rec);
  int rc = rec ? 0 : fail(err, err_size, path, 0, "out of memory");
  if (rc == 0 && (next(&r, rec, err, err_size) != 1 || rec->n != 2 ||
                  strcmp(rec->field[0], "key") != 0 || strcmp(rec->field[1], "value") != 0))
    rc = err[0] ? -1 : fail(err, err_size, path, r.line, "the header is not key,value");
  for (size_t i = 0; rc == 0 && i < sizeof device_keys / sizeof device_keys[0]; i++) {
    int got = next(&r, rec, err, err_size);
    if (got < 0)
      rc = -1;
    else if (got == 0)
      rc = fail(err, err_size, path, r.line + 1, "missing key %s", device_keys[i]);
    else if (rec->n != 2 || strcmp(rec->field[0], device_keys[i]) != 0)
      rc = fail(err, err_size, path, r.line, "expected key %s, found %s", device_keys[i],
                rec->field[0]);
    else if (i == 0 && strcmp(rec->field[1], "tokenfab-calibration-1") != 0)
      rc = fail(err, err_size, path, r.line, "unknown format %s", rec->field[1]);
    else if (strcmp(device_keys[i], "mode") == 0 && strcmp(rec->field[1], "quick") != 0 &&
             strcmp(rec->field[1], "full") != 0)
      rc = fail(err, err_size, path, r.line, "mode is %s", rec->field[1]);
    else if (strcmp(device_keys[i], "sm_count") == 0 || strstr(device_keys[i], "_mhz") ||
             strstr(device_keys[i], "_w") || strcmp(device_keys[i], "hbm_bytes") == 0) {
      double v;
      bool present;
      if (!number(rec, 1, &v, &present))
        rc = fail(err, err_size, path, r.line, "%s is not a number: '%s'", device_keys[i],
                  rec->field[1]);
    }
  }
  if (rc == 0 && next(&r, rec, err, err_size) != 0)
    rc = err[0] ? -1 : fail(err, err_size, path, r.line, "a key after mode");
  free(rec);
  free(r.text);
  return rc;
}

static bool one_of(const char *s, const char *a, const char *b) {
  return strcmp(s, a) == 0 || (b && strcmp(s, b) == 0);
}

static int check_measurements(const char *dir, size_t *rows, char *err, size_t err_size) {
  char path[1024];
  reader r;
  if (load(&r, dir, "measurements.csv", path, sizeof path) != 0)
    return fail(err, err_size, path, 0, "cannot read");
  record *rec = malloc(sizeof *rec);
  int rc = rec ? 0 : fail(err, err_size, path, 0, "out of memory");
  if (rc == 0 && next(&r, rec, err, err_size) != 1)
    rc = err[0] ? -1 : fail(err, err_size, path, 1, "no header");
  for (int i = 0; rc == 0 && i < N_COLUMNS; i++)
    if (i >= rec->n || strcmp(rec->field[i], columns[i]) != 0)
      rc = fail(err, err_size, path, 1, "column %d should be %s", i + 1, columns[i]);
  if (rc == 0 && rec->n != N_COLUMNS)
    rc = fail(err, err_size, path, 1, "%d columns, expected %d", rec->n, N_COLUMNS);
  size_t n = 0;
  int got;
  while (rc == 0 && (got = next(&r, rec, err, err_size)) == 1) {
    n++;
    if (rec->n != N_COLUMNS) {
      rc = fail(err, err_size, path, r.line, "%d fields, expected %d", rec->n, N_COLUMNS);
      break;
    }
    double v[N_COLUMNS] = {0};
    bool present[N_COLUMNS] = {false};
    for (int i = 0; rc == 0 && i < N_COLUMNS; i++) {
      if (i == C_KERNEL || i == C_DTYPE || i == C_LAYOUT) {
        present[i] = rec->field[i][0] != '\0';
        if (present[i] && !rec->quoted[i])
          rc = fail(err, err_size, path, r.line, "%s should be quoted text", columns[i]);
      } else if (!number(rec, i, &v[i], &present[i])) {
        rc = fail(err, err_size, path, r.line, "%s is not a plain non-negative number: '%s'",
                  columns[i], rec->field[i]);
      }
    }
    if (rc)
      break;
    const char *kernel = rec->field[C_KERNEL];
    bool gemm = one_of(kernel, "gemm", "grouped_gemm"), attn = one_of(kernel, "attn_decode", NULL);
    bool hbm = one_of(kernel, "hbm_stream", NULL), idle = one_of(kernel, "idle", NULL);
    const char *need = NULL;
    if (!gemm && !attn && !hbm && !idle)
      rc = fail(err, err_size, path, r.line, "unknown kernel '%s'", kernel);
    else if (!present[C_REPS] || v[C_REPS] < 1 || v[C_REPS] != floor(v[C_REPS]))
      need = "reps >= 1";
    else if (!present[C_TIME] || !(v[C_TIME] > 0))
      need = "time_s > 0";
    else if (!present[C_P10] || !present[C_P90] || v[C_P10] > v[C_TIME] || v[C_TIME] > v[C_P90])
      need = "time_p10_s <= time_s <= time_p90_s";
    else if (!present[C_FLOPS] || !present[C_BYTES_MOVED] || !present[C_GROUPS])
      need = "flops, bytes_moved and groups";
    else if (present[C_POWER] != present[C_CLOCK])
      need = "power_w and sm_clock_mhz together";
    else if (gemm && (!one_of(rec->field[C_DTYPE], "bf16", "fp8") || !present[C_M] ||
                      !present[C_N] || !present[C_K] || v[C_M] < 1 || v[C_N] < 1 || v[C_K] < 1 ||
                      v[C_GROUPS] < 1 || v[C_FLOPS] != 2 * v[C_M] * v[C_N] * v[C_K] * v[C_GROUPS]))
      need = "a GEMM's dtype, m, n, k, groups and flops = 2 m n k groups";
    else if (attn && (!one_of(rec->field[C_DTYPE], "bf16", "fp8") ||
                      !one_of(rec->field[C_LAYOUT], "gqa", "mla") || !present[C_BATCH] ||
                      !present[C_CONTEXT] || !present[C_HEADS] || !present[C_KV_HEADS] ||
                      !present[C_HEAD_DIM] || v[C_BATCH] < 1 || v[C_CONTEXT] < 1 ||
                      v[C_KV_HEADS] < 1 || v[C_HEADS] < v[C_KV_HEADS] ||
                      (one_of(rec->field[C_LAYOUT], "mla", NULL) && v[C_KV_HEADS] != 1)))
      need = "attention's dtype, layout, batch, context, heads, kv_heads (MLA: 1), head_dim";
    else if (hbm && (!present[C_BYTES] || v[C_BYTES] <= 0 || v[C_BYTES_MOVED] != v[C_BYTES]))
      need = "hbm_stream's bytes (= bytes_moved)";
    else if (!gemm && v[C_GROUPS] != 1)
      need = "groups 1 outside grouped GEMMs";
    if (rc == 0 && need)
      rc = fail(err, err_size, path, r.line, "%s row needs %s", kernel, need);
  }
  if (rc == 0 && got < 0)
    rc = -1;
  if (rows)
    *rows = n;
  free(rec);
  free(r.text);
  return rc;
}

int calib_check_dir(const char *dir, size_t *rows, char *err, size_t err_size) {
  err[0] = '\0';
  if (check_device(dir, err, err_size) != 0)
    return -1;
  return check_measurements(dir, rows, err, err_size);
}
