/* A run record as bytes and back (record_wire.h), so that sweep workers can hand their runs to
 * the one process that writes the results database.
 *
 * Format, version 1. Every integer is little-endian whatever the host; nothing is padded or
 * aligned, so the same record always gives the same bytes.
 *
 *   record  = magic version identity table{4} (end of buffer: no byte may follow)
 *   magic   = "TFRW" (54 46 52 57)
 *   version = u32: 1 (a reader refuses any other: change it with every change below)
 *   identity= ostr scenario_name, ostr scenario_path,
 *             ostr scenario_text    (scenario_len bytes, any byte values, NUL included),
 *             str  scenario_sha256  (at most 64 bytes),
 *             ostr overrides, u64 seed, ostr version,
 *             str  started_utc      (at most 31 bytes),
 *             f64  wall_s
 *   table   = ostr name, u64 n_cols, u64 n_rows,
 *             n_cols x (ostr column name, ostr column unit),
 *             n_rows x n_cols cells, row-major (n_rows is 0 when n_cols is)
 *             (the four tables in the order summary, classes, series, costs)
 *   cell    = u8 kind then its value: 0 NULL (nothing), 1 REAL f64, 2 INT i64, 3 TEXT ostr
 *   str     = u64 byte count, then the bytes (no terminator)
 *   ostr    = u8 0 for a NULL pointer, or u8 1 then str
 *   u8/u32/u64 = 1/4/8 bytes; i64 = the two's-complement bits as u64;
 *   f64     = the IEEE-754 binary64 bits as u64 (NaN payloads, infinities and -0.0 survive)
 *
 * Reading checks every count against the bytes left before it allocates (a string of n bytes
 * needs n more, a column at least 2, a cell at least 1), so a corrupted count fails as TF_EPARSE
 * and allocations stay within a small multiple of the buffer's size (a cell is 32 bytes in memory
 * and at least 1 on the wire). The strings that are C strings in memory (all but scenario_text)
 * must hold no NUL byte; tokenfab never packs one, so a buffer that has one is corrupt. */
#include "record_wire.h"

#include <assert.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static const uint8_t wire_magic[4] = {'T', 'F', 'R', 'W'};
enum { WIRE_VERSION = 1 };

/* Cell kinds on the wire: fixed here so that reordering tf_cell_kind cannot change the format. */
enum { WIRE_NULL = 0, WIRE_REAL = 1, WIRE_INT = 2, WIRE_TEXT = 3 };

/* ---- Writing ---------------------------------------------------------------------------- */

/* Packing runs twice over the record: once with buf NULL to count the bytes, then into a buffer
 * of exactly that size, so the encoding lives in one place and there is one allocation. */
typedef struct wire_writer {
  uint8_t *buf;  /* NULL while counting */
  size_t len;    /* bytes written (or counted) so far */
  bool overflow; /* the count passed SIZE_MAX: the record cannot be packed */
} wire_writer;

static void put_bytes(wire_writer *w, const void *p, size_t n) {
  if (n > SIZE_MAX - w->len) {
    w->overflow = true;
    return;
  }
  if (w->buf && n > 0)
    memcpy(w->buf + w->len, p, n);
  w->len += n;
}

static void put_u8(wire_writer *w, uint8_t v) { put_bytes(w, &v, 1); }

static void put_u32(wire_writer *w, uint32_t v) {
  uint8_t b[4];
  for (int i = 0; i < 4; i++)
    b[i] = (uint8_t)(v >> (8 * i));
  put_bytes(w, b, sizeof b);
}

static void put_u64(wire_writer *w, uint64_t v) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++)
    b[i] = (uint8_t)(v >> (8 * i));
  put_bytes(w, b, sizeof b);
}

static void put_f64(wire_writer *w, double v) {
  uint64_t bits;
  static_assert(sizeof bits == sizeof v, "double is IEEE-754 binary64");
  memcpy(&bits, &v, sizeof bits);
  put_u64(w, bits);
}

/* The bits of v as the u64 the format stores, without an implementation-defined conversion. */
static void put_i64(wire_writer *w, int64_t v) {
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits); /* int64_t is two's complement by definition (C17 7.20.1.1) */
  put_u64(w, bits);
}

static void put_str(wire_writer *w, const char *s, size_t n) {
  put_u64(w, (uint64_t)n);
  put_bytes(w, s, n);
}

static void put_ostr_n(wire_writer *w, const char *s, size_t n) {
  put_u8(w, s != NULL);
  if (s)
    put_str(w, s, n);
}

static void put_ostr(wire_writer *w, const char *s) { put_ostr_n(w, s, s ? strlen(s) : 0); }

/* The length of the string in a fixed char array; the array must hold its terminator. */
static size_t fixed_len(const char *s, size_t cap) {
  const char *end = memchr(s, '\0', cap);
  assert(end != NULL);
  return end ? (size_t)(end - s) : cap - 1;
}

static void put_table(wire_writer *w, const tf_table *t) {
  assert(t->n_cols == 0 || t->cols != NULL);
  assert(t->n_cols > 0 || t->n_rows == 0); /* rows of no cells: refused when read */
  assert(t->n_rows * t->n_cols == 0 || t->cells != NULL);
  put_ostr(w, t->name);
  put_u64(w, (uint64_t)t->n_cols);
  put_u64(w, (uint64_t)t->n_rows);
  for (size_t i = 0; i < t->n_cols; i++) {
    put_ostr(w, t->cols[i].name);
    put_ostr(w, t->cols[i].unit);
  }
  for (size_t i = 0; i < t->n_rows * t->n_cols; i++) {
    const tf_cell *c = &t->cells[i];
    switch (c->kind) {
    case TF_CELL_NULL:
      put_u8(w, WIRE_NULL);
      break;
    case TF_CELL_REAL:
      put_u8(w, WIRE_REAL);
      put_f64(w, c->real);
      break;
    case TF_CELL_INT:
      put_u8(w, WIRE_INT);
      put_i64(w, c->integer);
      break;
    case TF_CELL_TEXT:
      put_u8(w, WIRE_TEXT);
      put_ostr(w, c->text);
      break;
    default:
      assert(!"tf_cell_kind out of range");
      put_u8(w, WIRE_NULL);
    }
  }
}

static void put_record(wire_writer *w, const tf_run_record *r) {
  put_bytes(w, wire_magic, sizeof wire_magic);
  put_u32(w, WIRE_VERSION);
  put_ostr(w, r->scenario_name);
  put_ostr(w, r->scenario_path);
  put_ostr_n(w, r->scenario_text, r->scenario_text ? r->scenario_len : 0);
  put_str(w, r->scenario_sha256, fixed_len(r->scenario_sha256, sizeof r->scenario_sha256));
  put_ostr(w, r->overrides);
  put_u64(w, r->seed);
  put_ostr(w, r->version);
  put_str(w, r->started_utc, fixed_len(r->started_utc, sizeof r->started_utc));
  put_f64(w, r->wall_s);
  put_table(w, &r->summary);
  put_table(w, &r->classes);
  put_table(w, &r->series);
  put_table(w, &r->costs);
}

int tf_record_pack(const tf_run_record *r, uint8_t **buf, size_t *len) {
  assert(r != NULL && buf != NULL && len != NULL);
  assert(r->scenario_text != NULL || r->scenario_len == 0);
  *buf = NULL;
  *len = 0;
  wire_writer count = {0};
  put_record(&count, r);
  if (count.overflow)
    return TF_FAIL(TF_ENOMEM, "run record: too large to pack");
  wire_writer w = {.buf = malloc(count.len)};
  if (!w.buf)
    return TF_FAIL(TF_ENOMEM, "run record: %zu bytes", count.len);
  put_record(&w, r);
  assert(!w.overflow && w.len == count.len);
  *buf = w.buf;
  *len = w.len;
  return 0;
}

/* ---- Reading ---------------------------------------------------------------------------- */

/* A cursor over the buffer: p + left is never past its end, and every read checks left first. */
typedef struct wire_reader {
  const uint8_t *p;    /* next byte */
  size_t left;         /* bytes from p to the end */
  size_t len;          /* the buffer's size, for the byte offsets in messages */
} wire_reader;

/* Records the failure and returns TF_EPARSE as a constant the compiler can see, so that it can
 * tell a read that failed from one that filled its output (gcc's -Wmaybe-uninitialized). */
static int parse_error(const wire_reader *rd, const char *what) {
  (void)TF_FAIL(TF_EPARSE, "run record: %s at byte %zu", what, rd->len - rd->left);
  return TF_EPARSE;
}

/* The same for a failed allocation: what, and how many of its items (bytes, columns, cells). */
static int no_memory(const char *what, size_t n) {
  (void)TF_FAIL(TF_ENOMEM, "run record: out of memory for %s (%zu)", what, n);
  return TF_ENOMEM;
}

static int get_bytes(wire_reader *rd, void *out, size_t n, const char *what) {
  if (n > rd->left)
    return parse_error(rd, what);
  memcpy(out, rd->p, n);
  rd->p += n;
  rd->left -= n;
  return 0;
}

static int get_u8(wire_reader *rd, uint8_t *v, const char *what) {
  return get_bytes(rd, v, 1, what);
}

static int get_u32(wire_reader *rd, uint32_t *v, const char *what) {
  uint8_t b[4];
  int rc = get_bytes(rd, b, sizeof b, what);
  if (rc)
    return rc;
  *v = 0;
  for (int i = 0; i < 4; i++)
    *v |= (uint32_t)b[i] << (8 * i);
  return 0;
}

static int get_u64(wire_reader *rd, uint64_t *v, const char *what) {
  uint8_t b[8];
  int rc = get_bytes(rd, b, sizeof b, what);
  if (rc)
    return rc;
  *v = 0;
  for (int i = 0; i < 8; i++)
    *v |= (uint64_t)b[i] << (8 * i);
  return 0;
}

static int get_f64(wire_reader *rd, double *v, const char *what) {
  uint64_t bits;
  int rc = get_u64(rd, &bits, what);
  if (rc == 0)
    memcpy(v, &bits, sizeof *v);
  return rc;
}

static int get_i64(wire_reader *rd, int64_t *v, const char *what) {
  uint64_t bits;
  int rc = get_u64(rd, &bits, what);
  if (rc == 0)
    memcpy(v, &bits, sizeof *v);
  return rc;
}

/* A str into a new NUL-terminated copy (*s, length *n). binary: NUL bytes allowed inside.
 * max_len: the most bytes the field may have. */
static int get_str(wire_reader *rd, char **s, size_t *n, bool binary, size_t max_len,
                   const char *what) {
  uint64_t wire_len;
  int rc = get_u64(rd, &wire_len, what);
  if (rc)
    return rc;
  if (wire_len > rd->left) /* also keeps it within size_t */
    return parse_error(rd, what);
  size_t len = (size_t)wire_len;
  if (len > max_len || (!binary && memchr(rd->p, '\0', len)))
    return parse_error(rd, what);
  char *copy = malloc(len + 1); /* len <= left < SIZE_MAX: no overflow */
  if (!copy)
    return no_memory(what, len + 1);
  if (len > 0)
    memcpy(copy, rd->p, len);
  copy[len] = '\0';
  rd->p += len;
  rd->left -= len;
  *s = copy;
  if (n)
    *n = len;
  return 0;
}

/* An ostr: *s stays NULL when the field was a NULL pointer. */
static int get_ostr_n(wire_reader *rd, const char **s, size_t *n, bool binary, const char *what) {
  uint8_t present;
  int rc = get_u8(rd, &present, what);
  if (rc)
    return rc;
  if (present > 1)
    return parse_error(rd, what);
  if (present == 0) {
    *s = NULL;
    if (n)
      *n = 0;
    return 0;
  }
  char *copy = NULL;
  rc = get_str(rd, &copy, n, binary, SIZE_MAX, what);
  if (rc == 0)
    *s = copy;
  return rc;
}

static int get_ostr(wire_reader *rd, const char **s, const char *what) {
  return get_ostr_n(rd, s, NULL, false, what);
}

/* A str into a fixed char array of cap bytes, its terminator included. */
static int get_fixed(wire_reader *rd, char *dst, size_t cap, const char *what) {
  char *copy = NULL;
  size_t n;
  int rc = get_str(rd, &copy, &n, false, cap - 1, what);
  if (rc)
    return rc;
  memcpy(dst, copy, n + 1);
  free(copy);
  return 0;
}

static int get_cell(wire_reader *rd, tf_cell *c) {
  uint8_t kind;
  int rc = get_u8(rd, &kind, "cell kind");
  if (rc)
    return rc;
  switch (kind) {
  case WIRE_NULL:
    *c = (tf_cell){.kind = TF_CELL_NULL};
    return 0;
  case WIRE_REAL: {
    double v;
    rc = get_f64(rd, &v, "real cell");
    if (rc == 0)
      *c = (tf_cell){.kind = TF_CELL_REAL, .real = v};
    return rc;
  }
  case WIRE_INT: {
    int64_t v;
    rc = get_i64(rd, &v, "integer cell");
    if (rc == 0)
      *c = (tf_cell){.kind = TF_CELL_INT, .integer = v};
    return rc;
  }
  case WIRE_TEXT: {
    const char *text = NULL;
    rc = get_ostr(rd, &text, "text cell");
    if (rc == 0)
      *c = (tf_cell){.kind = TF_CELL_TEXT, .text = text};
    return rc;
  }
  default:
    return parse_error(rd, "cell kind");
  }
}

/* Reads one table into *t, which starts zeroed. Whatever it allocated is reachable from *t at
 * every step (counts are set only once their arrays exist), so that tf_record_unpacked_free
 * can clean up after a failure anywhere. */
static int get_table(wire_reader *rd, tf_table *t) {
  const char *name = NULL;
  int rc = get_ostr(rd, &name, "table name");
  if (rc)
    return rc;
  t->name = name;
  uint64_t n_cols, n_rows;
  rc = get_u64(rd, &n_cols, "column count");
  if (rc == 0)
    rc = get_u64(rd, &n_rows, "row count");
  if (rc)
    return rc;
  /* A column takes 2 bytes at least (two ostr), a cell 1: both counts must fit in what is left,
   * which also bounds n_cols * n_rows without overflow. */
  if (n_cols > rd->left / 2)
    return parse_error(rd, "column count");
  if (n_cols == 0 ? n_rows != 0 : n_rows > (rd->left - 2 * n_cols) / n_cols)
    return parse_error(rd, "row count");
  size_t n_cells = (size_t)(n_cols * n_rows);
  if (n_cols > 0) {
    tf_column *cols = calloc((size_t)n_cols, sizeof *cols);
    if (!cols)
      return no_memory("columns", (size_t)n_cols);
    t->cols = cols;
    t->n_cols = (size_t)n_cols;
    for (size_t i = 0; i < t->n_cols; i++) {
      rc = get_ostr(rd, &cols[i].name, "column name");
      if (rc == 0)
        rc = get_ostr(rd, &cols[i].unit, "column unit");
      if (rc)
        return rc;
    }
  }
  if (n_cells > 0) {
    /* calloc'd cells are TF_CELL_NULL (0), which tf_table_fini skips until they are read */
    static_assert(TF_CELL_NULL == 0, "zeroed cells are NULL cells");
    tf_cell *cells = calloc(n_cells, sizeof *cells);
    if (!cells)
      return no_memory("cells", n_cells);
    t->cells = cells;
    t->n_rows = t->cap_rows = (size_t)n_rows;
    for (size_t i = 0; i < n_cells; i++) {
      rc = get_cell(rd, &cells[i]);
      if (rc)
        return rc;
    }
  }
  return 0;
}

static int get_record(wire_reader *rd, tf_run_record *r) {
  uint8_t magic[sizeof wire_magic];
  int rc = get_bytes(rd, magic, sizeof magic, "magic");
  if (rc)
    return rc;
  if (memcmp(magic, wire_magic, sizeof magic) != 0)
    return parse_error(rd, "not a packed run record: bad magic");
  uint32_t version;
  rc = get_u32(rd, &version, "version");
  if (rc)
    return rc;
  if (version != WIRE_VERSION)
    return TF_FAIL(TF_EPARSE, "run record: format version %lu, this tokenfab reads %d",
                   (unsigned long)version, WIRE_VERSION);
  if ((rc = get_ostr(rd, &r->scenario_name, "scenario name")) ||
      (rc = get_ostr(rd, &r->scenario_path, "scenario path")) ||
      (rc = get_ostr_n(rd, &r->scenario_text, &r->scenario_len, true, "scenario text")) ||
      (rc = get_fixed(rd, r->scenario_sha256, sizeof r->scenario_sha256, "scenario SHA-256")) ||
      (rc = get_ostr(rd, &r->overrides, "overrides")) ||
      (rc = get_u64(rd, &r->seed, "seed")) || (rc = get_ostr(rd, &r->version, "version")) ||
      (rc = get_fixed(rd, r->started_utc, sizeof r->started_utc, "start time")) ||
      (rc = get_f64(rd, &r->wall_s, "wall time")) || (rc = get_table(rd, &r->summary)) ||
      (rc = get_table(rd, &r->classes)) || (rc = get_table(rd, &r->series)) ||
      (rc = get_table(rd, &r->costs)))
    return rc;
  if (rd->left != 0)
    return parse_error(rd, "trailing bytes");
  return 0;
}

int tf_record_unpack(const uint8_t *buf, size_t len, tf_run_record *out) {
  assert(buf != NULL || len == 0);
  assert(out != NULL);
  tf_run_record r = {0};
  wire_reader rd = {.p = buf, .left = len, .len = len};
  int rc = get_record(&rd, &r);
  if (rc) {
    tf_record_unpacked_free(&r);
    *out = (tf_run_record){0};
    return rc;
  }
  *out = r;
  return 0;
}

/* Frees what get_table allocated beyond the cells: the name and the columns. */
static void free_table_shape(tf_table *t) {
  tf_column *cols = (tf_column *)t->cols; /* allocated by get_table, const only for users */
  for (size_t i = 0; cols && i < t->n_cols; i++) {
    free((char *)cols[i].name);
    free((char *)cols[i].unit);
  }
  free(cols);
  free((char *)t->name);
  t->cols = NULL;
  t->name = NULL;
  t->n_cols = 0;
}

void tf_record_unpacked_free(tf_run_record *r) {
  assert(r != NULL);
  free((char *)r->scenario_name);
  free((char *)r->scenario_path);
  free((char *)r->scenario_text);
  free((char *)r->overrides);
  free((char *)r->version);
  tf_run_record_fini(r); /* the cells, while n_cols still counts them */
  free_table_shape(&r->summary);
  free_table_shape(&r->classes);
  free_table_shape(&r->series);
  free_table_shape(&r->costs);
  *r = (tf_run_record){0};
}
