/* Reading a calibration's measurement folder (measurements.h). */
#include "measurements.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "csv_rows.h"
#include "error.h"

/* A decimal number filling the whole field (s is NUL-terminated at n by tf_csv_rows). 0 and *out,
 * or -1 when the field is not a number. Non-finite values come back for the caller to refuse. */
static int parse_number(const char *s, size_t n, double *out) {
  if (n == 0 || tf_csv_is_blank(s, n))
    return -1;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  while (*end == ' ' || *end == '\t')
    end++;
  if (end == s || (size_t)(end - s) != n)
    return -1;
  *out = v;
  return 0;
}

/* ---- Names ---- */

static const char *const kernel_names[TF_MEAS_KERNEL_COUNT_] = {
    "gemm", "grouped_gemm", "attn_decode", "hbm_stream", "idle", "p2p", "all_reduce",
    "all_to_all"};

const char *tf_meas_kernel_name(tf_meas_kernel k) {
  assert(k >= 0 && k < TF_MEAS_KERNEL_COUNT_);
  return kernel_names[k];
}

const char *tf_meas_dtype_name(tf_meas_dtype d) {
  return d == TF_MEAS_BF16 ? "bf16" : d == TF_MEAS_FP8 ? "fp8" : "";
}

const char *tf_meas_layout_name(tf_meas_layout l) {
  return l == TF_MEAS_GQA ? "gqa" : l == TF_MEAS_MLA ? "mla" : "";
}

static bool field_is(const char *s, size_t n, const char *word) {
  return n == strlen(word) && memcmp(s, word, n) == 0;
}

/* ---- device.csv ---- */

/* Every key of docs/CALIBRATION.md, in the order tokenfab calibrate writes them. A file that
 * lacks one was cut short or made by hand. */
static const char *const device_keys[] = {
    "format",        "gpu_name",         "gpu_uuid",        "compute_capability",
    "driver_version", "cuda_runtime_version", "cublas_version", "sm_count",
    "sm_clock_max_mhz", "mem_clock_max_mhz", "hbm_bytes",     "power_limit_default_w",
    "power_limit_min_w", "power_limit_max_w", "started_utc",  "mode"};
enum { N_DEVICE_KEYS = sizeof device_keys / sizeof device_keys[0] };

/* Keys whose value, when not empty, is a number >= 0. */
static const char *const device_numeric[] = {
    "sm_count",          "sm_clock_max_mhz",  "mem_clock_max_mhz", "hbm_bytes",
    "power_limit_default_w", "power_limit_min_w", "power_limit_max_w"};
enum { N_DEVICE_NUMERIC = sizeof device_numeric / sizeof device_numeric[0] };

typedef struct device_load {
  tf_meas *m;
  size_t cap;
  int *key_line;
} device_load;

static int device_header(tf_csv_rows *rd) {
  static const char *const names[] = {"key", "value"};
  size_t col[2];
  int bad = tf_csv_find_columns(rd, names, col, 2);
  for (int i = 0; i < 2; i++)
    if (col[i] == SIZE_MAX) {
      tf_csv_missing_column(rd, names[i], "the header key,value");
      bad++;
    }
  if (!bad && (col[0] != 0 || col[1] != 1 || rd->n_fields != 2)) {
    char hdr[160];
    tf_csv_problem(rd, rd->row_line, "the header is %s (expected key,value)",
                   tf_csv_header_text(rd, hdr, sizeof hdr));
    bad++;
  }
  return bad;
}

static char *dup_text(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

static void device_row(tf_csv_rows *rd) {
  device_load *L = rd->user;
  tf_meas *m = L->m;
  if (rd->n_fields != 2) {
    tf_csv_problem(rd, rd->row_line, "%zu field%s (expected 2: key,value)", rd->n_fields,
                   rd->n_fields == 1 ? "" : "s");
    return;
  }
  size_t kn, vn;
  const char *k = tf_csv_field(rd, 0, &kn), *v = tf_csv_field(rd, 1, &vn);
  char txt[64], txt2[64];
  if (kn == 0) {
    tf_csv_problem(rd, rd->row_line, "empty key (expected a key of docs/CALIBRATION.md)");
    return;
  }
  for (size_t i = 0; i < m->n_device; i++) {
    if (field_is(k, kn, m->device_key[i])) {
      tf_csv_problem(rd, rd->row_line,
                     "key \"%s\" again, first at line %d (expected each key once)",
                     tf_csv_show(txt, sizeof txt, k, kn), L->key_line[i]);
      return;
    }
  }
  if (field_is(k, kn, "format") && !field_is(v, vn, TF_MEAS_FORMAT))
    tf_csv_problem(rd, rd->row_line, "format \"%s\" (expected %s)",
                   tf_csv_show(txt, sizeof txt, v, vn), TF_MEAS_FORMAT);
  if (field_is(k, kn, "mode") && vn > 0 && !field_is(v, vn, "quick") && !field_is(v, vn, "full"))
    tf_csv_problem(rd, rd->row_line, "mode \"%s\" (expected quick or full)",
                   tf_csv_show(txt, sizeof txt, v, vn));
  for (int i = 0; i < N_DEVICE_NUMERIC; i++) {
    double x;
    if (!field_is(k, kn, device_numeric[i]) || vn == 0)
      continue;
    if (parse_number(v, vn, &x) != 0 || !isfinite(x) || x < 0)
      tf_csv_problem(rd, rd->row_line, "%s = \"%s\" (expected a number >= 0, or empty if unknown)",
                     tf_csv_show(txt2, sizeof txt2, k, kn), tf_csv_show(txt, sizeof txt, v, vn));
  }
  /* Three parallel arrays grown to the same capacity: each keeps its old block if realloc
   * fails, so whatever happens they stay freeable. */
  size_t kcap = L->cap, vcap = L->cap, lcap = L->cap;
  if (tf_grow_array((void **)&m->device_key, &kcap, m->n_device + 1, sizeof *m->device_key) ||
      tf_grow_array((void **)&m->device_value, &vcap, m->n_device + 1, sizeof *m->device_value) ||
      tf_grow_array((void **)&L->key_line, &lcap, m->n_device + 1, sizeof *L->key_line)) {
    rd->nomem = 1;
    return;
  }
  assert(kcap == vcap && vcap == lcap);
  L->cap = kcap;
  char *kc = dup_text(k, kn), *vc = dup_text(v, vn);
  if (!kc || !vc) {
    free(kc);
    free(vc);
    rd->nomem = 1;
    return;
  }
  m->device_key[m->n_device] = kc;
  m->device_value[m->n_device] = vc;
  L->key_line[m->n_device] = rd->row_line;
  m->n_device++;
}

static int load_device(tf_meas *m, tf_meas_report_fn report, void *ctx) {
  device_load L = {.m = m};
  tf_csv_rows rd = {.max_reported = TF_MEAS_MAX_REPORTED,
                    .path = m->device_path,
                    .report = report,
                    .ctx = ctx,
                    .expect_header = "key,value",
                    .on_header = device_header,
                    .on_row = device_row,
                    .user = &L};
  int rc = tf_csv_read(&rd);
  if (rc == 0 && !rd.stop && rd.header_done) {
    for (int i = 0; i < N_DEVICE_KEYS; i++)
      if (!tf_meas_device(m, device_keys[i]))
        tf_csv_problem(
            &rd, 0,
            "missing key \"%s\" (expected all %d keys of docs/CALIBRATION.md, from format "
            "to mode; a file cut short loses its last keys)",
            device_keys[i], N_DEVICE_KEYS);
  }
  free(L.key_line);
  tf_csv_rows_fini(&rd);
  return tf_csv_finish(&rd, rc);
}

/* ---- measurements.csv ---- */

enum { KERNEL_COL, DTYPE_COL, LAYOUT_COL, N_TEXT_COLS };

/* Numeric columns in the contract's order; their place in tf_meas_row; whether a count. */
enum {
  C_M, C_N, C_K, C_GROUPS, C_BATCH, C_CONTEXT, C_HEADS, C_KV_HEADS, C_HEAD_DIM, C_BYTES, C_FLOPS,
  C_BYTES_MOVED, C_POWER_LIMIT, C_REPS, C_TIME, C_TIME_P10, C_TIME_P90, C_POWER, C_SM_CLOCK,
  N_NUMERIC
};

#define COL(name, whole) {#name, offsetof(tf_meas_row, name), whole}
static const tf_meas_column numeric_columns[N_NUMERIC] = {
    COL(m, true),           COL(n, true),          COL(k, true),          COL(groups, true),
    COL(batch, true),       COL(context, true),    COL(heads, true),      COL(kv_heads, true),
    COL(head_dim, true),    COL(bytes, false),     COL(flops, false),     COL(bytes_moved, false),
    COL(power_limit_w, false), COL(reps, true),    COL(time_s, false),    COL(time_p10_s, false),
    COL(time_p90_s, false), COL(power_w, false),   COL(sm_clock_mhz, false)};
#undef COL

size_t tf_meas_numeric_columns(const tf_meas_column **out) {
  *out = numeric_columns;
  return N_NUMERIC;
}

static double *row_value(tf_meas_row *r, int c) {
  return (double *)(void *)((char *)r + numeric_columns[c].offset);
}

#define BIT(c) (1u << (c))
/* What each kernel's rows must give (docs/CALIBRATION.md); every row also needs reps and the
 * three times. Collectives (a later issue) need no more until they are fitted. */
static const struct kernel_needs {
  unsigned numeric; /* BIT(C_...) */
  bool dtype, layout;
} needs[TF_MEAS_KERNEL_COUNT_] = {
    [TF_MEAS_GEMM] = {BIT(C_M) | BIT(C_N) | BIT(C_K) | BIT(C_FLOPS) | BIT(C_BYTES_MOVED), true,
                      false},
    [TF_MEAS_GROUPED_GEMM] = {BIT(C_M) | BIT(C_N) | BIT(C_K) | BIT(C_GROUPS) | BIT(C_FLOPS) |
                                  BIT(C_BYTES_MOVED),
                              true, false},
    [TF_MEAS_ATTN_DECODE] = {BIT(C_BATCH) | BIT(C_CONTEXT) | BIT(C_HEADS) | BIT(C_KV_HEADS) |
                                 BIT(C_HEAD_DIM) | BIT(C_BYTES_MOVED),
                             true, true},
    [TF_MEAS_HBM_STREAM] = {BIT(C_BYTES), false, false},
    [TF_MEAS_IDLE] = {BIT(C_POWER), false, false},
};
static const unsigned needed_by_all = BIT(C_REPS) | BIT(C_TIME) | BIT(C_TIME_P10) | BIT(C_TIME_P90);

/* Relative disagreement allowed between `flops` and 2 m n k (x groups): the contract's plain
 * decimals keep 15 significant digits (docs/RESULTS.md); 1e-6 leaves room for a writer that
 * keeps 7. */
#define FLOPS_REL_TOL 1e-6

/* What a missing or bad value of each numeric column should have been, for messages. */
static const char *expected_of(int c) {
  switch (c) {
  case C_BYTES:
  case C_FLOPS:
  case C_BYTES_MOVED:
    return "a number > 0";
  case C_POWER_LIMIT:
    return "a power limit > 0 W, or empty for the default";
  case C_TIME:
    return "a median time > 0 s";
  case C_TIME_P10:
  case C_TIME_P90:
    return "a time >= 0 s";
  case C_POWER:
    return "a board power >= 0 W";
  case C_SM_CLOCK:
    return "a clock >= 0 MHz";
  default:
    return "a whole number >= 1";
  }
}

/* An open-addressing set of row indices keyed by configuration (kernel, dtype, layout, shape,
 * bytes, power limit): finds a configuration measured twice in O(1) per row. */
typedef struct config_set {
  size_t *slot; /* row index + 1; 0 empty */
  size_t cap, used;
} config_set;

static const int config_columns[] = {C_M,       C_N,        C_K,     C_GROUPS,   C_BATCH,
                                     C_CONTEXT, C_HEADS,    C_KV_HEADS, C_HEAD_DIM, C_BYTES,
                                     C_POWER_LIMIT};
enum { N_CONFIG_COLUMNS = sizeof config_columns / sizeof config_columns[0] };

static uint64_t mix(uint64_t h, uint64_t v) {
  /* FNV-1a over the 8 bytes of v (Fowler, Noll, Vo; 64-bit offset basis and prime). */
  for (int i = 0; i < 8; i++) {
    h ^= (v >> (8 * i)) & 0xffu;
    h *= 0x100000001b3ULL;
  }
  return h;
}

static uint64_t double_bits(double v) {
  if (isnan(v))
    return 0x7ff8000000000000ULL; /* every empty field alike */
  if (v == 0)
    v = 0; /* -0 as 0 */
  uint64_t b;
  memcpy(&b, &v, sizeof b);
  return b;
}

static uint64_t config_hash(const tf_meas_row *r) {
  uint64_t h = 0xcbf29ce484222325ULL;
  h = mix(h, (uint64_t)r->kernel);
  h = mix(h, (uint64_t)r->dtype);
  h = mix(h, (uint64_t)r->layout);
  for (int i = 0; i < N_CONFIG_COLUMNS; i++)
    h = mix(h, double_bits(*row_value((tf_meas_row *)r, config_columns[i])));
  return h;
}

static bool same_config(const tf_meas_row *a, const tf_meas_row *b) {
  if (a->kernel != b->kernel || a->dtype != b->dtype || a->layout != b->layout)
    return false;
  for (int i = 0; i < N_CONFIG_COLUMNS; i++)
    if (double_bits(*row_value((tf_meas_row *)a, config_columns[i])) !=
        double_bits(*row_value((tf_meas_row *)b, config_columns[i])))
      return false;
  return true;
}

/* Adds rows[i]; returns the index of an earlier row with the same configuration, SIZE_MAX if
 * none, or SIZE_MAX - 1 when out of memory. */
static size_t config_add(config_set *s, const tf_meas_row *rows, size_t i) {
  if ((s->used + 1) * 2 > s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    size_t *slot = calloc(cap, sizeof *slot);
    if (!slot)
      return SIZE_MAX - 1;
    for (size_t j = 0; j < s->cap; j++) {
      if (!s->slot[j])
        continue;
      size_t h = (size_t)config_hash(&rows[s->slot[j] - 1]) & (cap - 1);
      while (slot[h])
        h = (h + 1) & (cap - 1);
      slot[h] = s->slot[j];
    }
    free(s->slot);
    s->slot = slot;
    s->cap = cap;
  }
  size_t h = (size_t)config_hash(&rows[i]) & (s->cap - 1);
  while (s->slot[h]) {
    if (same_config(&rows[s->slot[h] - 1], &rows[i]))
      return s->slot[h] - 1;
    h = (h + 1) & (s->cap - 1);
  }
  s->slot[h] = i + 1;
  s->used++;
  return SIZE_MAX;
}

typedef struct meas_load {
  tf_meas *m;
  size_t cap;
  size_t text_col[N_TEXT_COLS], num_col[N_NUMERIC]; /* SIZE_MAX where the header lacks one */
  size_t n_header;
  unsigned reported_missing; /* BIT(C_...) of absent columns already reported */
  bool reported_missing_dtype, reported_missing_layout;
  config_set configs;
} meas_load;

static const char *const text_names[N_TEXT_COLS] = {"kernel", "dtype", "layout"};

static int meas_header(tf_csv_rows *rd) {
  meas_load *L = rd->user;
  const char *names[N_TEXT_COLS + N_NUMERIC];
  size_t col[N_TEXT_COLS + N_NUMERIC];
  for (int i = 0; i < N_TEXT_COLS; i++)
    names[i] = text_names[i];
  for (int i = 0; i < N_NUMERIC; i++)
    names[N_TEXT_COLS + i] = numeric_columns[i].name;
  int bad = tf_csv_find_columns(rd, names, col, N_TEXT_COLS + N_NUMERIC);
  for (int i = 0; i < N_TEXT_COLS; i++)
    L->text_col[i] = col[i];
  for (int i = 0; i < N_NUMERIC; i++)
    L->num_col[i] = col[N_TEXT_COLS + i];
  L->n_header = rd->n_fields;
  const char *layout = "the columns of docs/CALIBRATION.md";
  if (L->text_col[KERNEL_COL] == SIZE_MAX) {
    tf_csv_missing_column(rd, "kernel", layout);
    bad++;
  }
  for (int c = 0; c < N_NUMERIC; c++)
    if ((needed_by_all & BIT(c)) && L->num_col[c] == SIZE_MAX) {
      tf_csv_missing_column(rd, numeric_columns[c].name, layout);
      bad++;
    }
  return bad;
}

/* Reads one text field into an enum: 0 and *out, 1 when the field is empty (or the column
 * absent), -1 when the word is unknown. */
static int text_value(tf_csv_rows *rd, size_t col, const char *const *words, int n_words, int *out,
                      const char **text, size_t *len) {
  *text = "";
  *len = 0;
  if (col == SIZE_MAX)
    return 1;
  *text = tf_csv_field(rd, col, len);
  if (*len == 0)
    return 1;
  for (int i = 0; i < n_words; i++)
    if (words[i] && field_is(*text, *len, words[i])) {
      *out = i;
      return 0;
    }
  return -1;
}

static void meas_row(tf_csv_rows *rd) {
  meas_load *L = rd->user;
  tf_meas *m = L->m;
  char txt[64];
  if (rd->n_fields != L->n_header) {
    tf_csv_problem(rd, rd->row_line, "%zu field%s (expected %zu, one per header column)",
                   rd->n_fields, rd->n_fields == 1 ? "" : "s", L->n_header);
    return;
  }
  tf_meas_row r = {.line = rd->row_line};
  size_t problems = rd->problems;
  const char *s;
  size_t n;

  int kernel = 0;
  int got = text_value(rd, L->text_col[KERNEL_COL], kernel_names, TF_MEAS_KERNEL_COUNT_, &kernel,
                       &s, &n);
  if (got != 0) {
    tf_csv_problem(rd, rd->row_line,
                   got > 0 ? "no kernel%s (expected gemm, grouped_gemm, attn_decode, hbm_stream, "
                             "idle, p2p, all_reduce or all_to_all)"
                           : "unknown kernel \"%s\" (expected gemm, grouped_gemm, attn_decode, "
                             "hbm_stream, idle, p2p, all_reduce or all_to_all)",
                   got > 0 ? "" : tf_csv_show(txt, sizeof txt, s, n));
    return; /* without a kernel there is nothing to check the row against */
  }
  r.kernel = (tf_meas_kernel)kernel;
  const struct kernel_needs *need = &needs[r.kernel];
  const char *kname = kernel_names[r.kernel];

  static const char *const dtype_words[] = {NULL, "bf16", "fp8"};
  int dtype = TF_MEAS_DTYPE_NONE;
  got = text_value(rd, L->text_col[DTYPE_COL], dtype_words, 3, &dtype, &s, &n);
  if (got < 0)
    tf_csv_problem(rd, rd->row_line, "dtype \"%s\" (expected bf16 or fp8)",
                   tf_csv_show(txt, sizeof txt, s, n));
  else if (got > 0 && need->dtype && L->text_col[DTYPE_COL] == SIZE_MAX) {
    if (!L->reported_missing_dtype)
      tf_csv_problem(rd, rd->row_line,
                     "%s needs column \"dtype\", which the header lacks (expected the columns of "
                     "docs/CALIBRATION.md)",
                     kname);
    L->reported_missing_dtype = true;
  } else if (got > 0 && need->dtype)
    tf_csv_problem(rd, rd->row_line, "%s row without dtype (expected bf16 or fp8)", kname);
  r.dtype = (tf_meas_dtype)dtype;

  static const char *const layout_words[] = {NULL, "gqa", "mla"};
  int layout = TF_MEAS_LAYOUT_NONE;
  got = text_value(rd, L->text_col[LAYOUT_COL], layout_words, 3, &layout, &s, &n);
  if (got < 0)
    tf_csv_problem(rd, rd->row_line, "layout \"%s\" (expected gqa or mla)",
                   tf_csv_show(txt, sizeof txt, s, n));
  else if (got > 0 && need->layout && L->text_col[LAYOUT_COL] == SIZE_MAX) {
    if (!L->reported_missing_layout)
      tf_csv_problem(rd, rd->row_line,
                     "%s needs column \"layout\", which the header lacks (expected the columns of "
                     "docs/CALIBRATION.md)",
                     kname);
    L->reported_missing_layout = true;
  } else if (got > 0 && need->layout)
    tf_csv_problem(rd, rd->row_line, "%s row without layout (expected gqa or mla)", kname);
  r.layout = (tf_meas_layout)layout;

  unsigned required = need->numeric | needed_by_all;
  for (int c = 0; c < N_NUMERIC; c++) {
    double *v = row_value(&r, c);
    *v = NAN;
    const char *name = numeric_columns[c].name;
    if (L->num_col[c] == SIZE_MAX) {
      if ((required & BIT(c)) && !(L->reported_missing & BIT(c))) {
        tf_csv_problem(rd, rd->row_line,
                       "%s needs column \"%s\", which the header lacks (expected the columns of "
                       "docs/CALIBRATION.md)",
                       kname, name);
        L->reported_missing |= BIT(c);
      }
      continue;
    }
    s = tf_csv_field(rd, L->num_col[c], &n);
    if (n == 0) {
      if (required & BIT(c))
        tf_csv_problem(rd, rd->row_line, "%s row without %s (expected %s)", kname, name,
                       expected_of(c));
      continue;
    }
    double x;
    if (parse_number(s, n, &x) != 0) {
      tf_csv_problem(rd, rd->row_line, "%s \"%s\" is not a number (expected %s)", name,
                     tf_csv_show(txt, sizeof txt, s, n), expected_of(c));
      continue;
    }
    /* Zero is refused where the quantity must be positive: counts the kernel needs, sizes, the
     * median time, a power limit. */
    bool positive = (numeric_columns[c].whole && (required & BIT(c))) || c == C_REPS ||
                    c == C_TIME || c == C_POWER_LIMIT ||
                    ((c == C_BYTES || c == C_FLOPS || c == C_BYTES_MOVED) && (required & BIT(c)));
    if (!isfinite(x) || x < 0 || (positive && x == 0)) {
      tf_csv_problem(rd, rd->row_line, "%s = %s (expected %s)", name,
                     tf_csv_show(txt, sizeof txt, s, n),
                     positive || x < 0 ? expected_of(c) : "a finite number >= 0");
      continue;
    }
    if (numeric_columns[c].whole && x != floor(x)) {
      tf_csv_problem(rd, rd->row_line, "%s = %s (expected a whole number)", name,
                     tf_csv_show(txt, sizeof txt, s, n));
      continue;
    }
    *v = x;
  }

  /* The times as written, for messages (their columns exist: the header was checked). */
  char t10[64], t50[64], t90[64];
  s = tf_csv_field(rd, L->num_col[C_TIME_P10], &n);
  tf_csv_show(t10, sizeof t10, s, n);
  s = tf_csv_field(rd, L->num_col[C_TIME], &n);
  tf_csv_show(t50, sizeof t50, s, n);
  s = tf_csv_field(rd, L->num_col[C_TIME_P90], &n);
  tf_csv_show(t90, sizeof t90, s, n);
  if (tf_meas_has(r.time_s) && tf_meas_has(r.time_p10_s) && r.time_p10_s > r.time_s)
    tf_csv_problem(rd, rd->row_line,
                   "time_p10_s = %s is above time_s = %s (expected p10 <= median <= p90)", t10,
                   t50);
  if (tf_meas_has(r.time_s) && tf_meas_has(r.time_p90_s) && r.time_s > r.time_p90_s)
    tf_csv_problem(rd, rd->row_line,
                   "time_s = %s is above time_p90_s = %s (expected p10 <= median <= p90)", t50,
                   t90);
  if (r.kernel == TF_MEAS_GEMM && tf_meas_has(r.groups) && r.groups != 1)
    tf_csv_problem(rd, rd->row_line,
                   "groups = %.17g in a gemm row (expected 1; several groups are "
                   "a grouped_gemm)",
                   r.groups);
  if ((r.kernel == TF_MEAS_GEMM || r.kernel == TF_MEAS_GROUPED_GEMM) && tf_meas_has(r.flops) &&
      tf_meas_has(r.m) && tf_meas_has(r.n) && tf_meas_has(r.k)) {
    double groups = r.kernel == TF_MEAS_GROUPED_GEMM && tf_meas_has(r.groups) ? r.groups : 1;
    double want = 2 * r.m * r.n * r.k * groups;
    if (fabs(r.flops - want) > FLOPS_REL_TOL * want)
      tf_csv_problem(rd, rd->row_line,
                     "flops = %.17g, but %s = %.17g (expected the FLOPs of one "
                     "launch)",
                     r.flops, r.kernel == TF_MEAS_GEMM ? "2 m n k" : "2 m n k groups", want);
  }
  if (rd->problems != problems)
    return; /* a broken row is not compared with others */

  if (tf_grow_array((void **)&m->rows, &L->cap, m->n_rows + 1, sizeof *m->rows) != 0) {
    rd->nomem = 1;
    return;
  }
  m->rows[m->n_rows] = r;
  /* Idle rows are repeated samples of the one idle state, not configurations. */
  size_t twin = r.kernel == TF_MEAS_IDLE ? SIZE_MAX : config_add(&L->configs, m->rows, m->n_rows);
  if (twin == SIZE_MAX - 1) {
    rd->nomem = 1;
    return;
  }
  if (twin != SIZE_MAX) {
    tf_csv_problem(rd, rd->row_line,
                   "the same configuration as line %d (expected each kernel, dtype, layout, shape "
                   "and power limit measured once)",
                   m->rows[twin].line);
    return;
  }
  m->n_rows++;
}

static int load_measurements(tf_meas *m, tf_meas_report_fn report, void *ctx) {
  meas_load L = {.m = m};
  tf_csv_rows rd = {.max_reported = TF_MEAS_MAX_REPORTED,
                    .path = m->measurements_path,
                    .report = report,
                    .ctx = ctx,
                    .expect_header = "kernel,dtype,m,n,k,... (docs/CALIBRATION.md)",
                    .on_header = meas_header,
                    .on_row = meas_row,
                    .user = &L};
  int rc = tf_csv_read(&rd);
  if (rc == 0 && !rd.stop && rd.header_done && m->n_rows == 0 && rd.problems == 0)
    tf_csv_problem(&rd, 0, "no rows after the header (expected at least one measurement)");
  free(L.configs.slot);
  tf_csv_rows_fini(&rd);
  return tf_csv_finish(&rd, rc);
}

/* ---- The folder ---- */

static char *join(const char *dir, const char *name) {
  size_t a = strlen(dir), b = strlen(name);
  char *p = malloc(a + b + 2);
  if (p) {
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
  }
  return p;
}

static double device_number(const tf_meas *m, const char *key) {
  const char *v = tf_meas_device(m, key);
  double x;
  if (!v || !*v || parse_number(v, strlen(v), &x) != 0)
    return NAN;
  return x;
}

int tf_meas_load(const char *dir, tf_meas **out, tf_meas_report_fn report, void *ctx) {
  assert(dir && out);
  *out = NULL;
  tf_meas *m = calloc(1, sizeof *m);
  if (!m)
    return TF_FAIL(TF_ENOMEM, "out of memory");
  m->device_path = join(dir, "device.csv");
  m->measurements_path = join(dir, "measurements.csv");
  if (!m->device_path || !m->measurements_path) {
    tf_meas_destroy(m);
    return TF_FAIL(TF_ENOMEM, "out of memory");
  }
  int rc_dev = load_device(m, report, ctx);
  char first[600] = "";
  if (rc_dev)
    snprintf(first, sizeof first, "%s", tf_err_reason());
  int rc_meas = rc_dev == TF_ENOMEM ? 0 : load_measurements(m, report, ctx);
  if (rc_dev || rc_meas) {
    tf_meas_destroy(m);
    if (rc_dev == TF_ENOMEM || rc_meas == TF_ENOMEM)
      return TF_FAIL(TF_ENOMEM, "out of memory while reading %s", dir);
    /* TF_EIO (a file missing) outranks TF_EPARSE: the first file's problem is the context. */
    int rc = rc_dev == TF_EIO || rc_meas == TF_EIO ? TF_EIO : TF_EPARSE;
    if (!rc_dev) /* the measurements' first problem, copied: TF_FAIL formats into the context */
      snprintf(first, sizeof first, "%s", tf_err_reason());
    return TF_FAIL(rc, "%s", first);
  }
  m->sm_clock_max_mhz = device_number(m, "sm_clock_max_mhz");
  m->power_limit_default_w = device_number(m, "power_limit_default_w");
  *out = m;
  return 0;
}

void tf_meas_destroy(tf_meas *m) {
  if (!m)
    return;
  for (size_t i = 0; i < m->n_device; i++) {
    free(m->device_key[i]);
    free(m->device_value[i]);
  }
  free(m->device_key);
  free(m->device_value);
  free(m->rows);
  free(m->device_path);
  free(m->measurements_path);
  free(m);
}

const char *tf_meas_device(const tf_meas *m, const char *key) {
  for (size_t i = 0; i < m->n_device; i++)
    if (strcmp(m->device_key[i], key) == 0)
      return m->device_value[i];
  return NULL;
}
