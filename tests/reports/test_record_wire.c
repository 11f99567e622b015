/* A run record through bytes and back (record_wire.h): every field and cell survives exactly
 * (doubles bit for bit), packing is deterministic and matches the documented format byte for
 * byte, and truncated, foreign or corrupted buffers fail as TF_EPARSE without reading outside
 * the buffer or leaking (run under ASan: every buffer handed to unpack is a heap block of exactly
 * its length, so an over-read is caught). */
#include <float.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "record_wire.h"
#include "tf_test.h"

/* ---- A record with every kind of content ------------------------------------------------- */

static const tf_column summary_cols[] = {
    {"scenario", ""}, {"it_power_avg_mw", "MW"}, {"requests", "1"}, {"note", ""}};
static const tf_column classes_cols[] = {
    {"class", ""}, {"ttft_p99_s", "s"}, {"completed", "1"}, {"label", ""}};
static const tf_column series_cols[] = {{"t_s", "s"}, {"it_power_mw", "MW"}};
static const tf_column costs_cols[] = {{"component", ""}, {"cost_usd", "USD"}};

/* A scenario file's bytes with NULs and bytes that are not UTF-8: the text is binary-safe. */
static const char scenario_bytes[] = "name: wire\0\x01\xff\xfe tail\0";
#define SCENARIO_LEN (sizeof scenario_bytes - 1) /* the literal's own terminator left out */

static double from_bits(uint64_t bits) {
  double v;
  memcpy(&v, &bits, sizeof v);
  return v;
}

static uint64_t bits_of(double v) {
  uint64_t b;
  memcpy(&b, &v, sizeof b);
  return b;
}

/* Reals that a careless encoding (printf, a float cast, a NaN test) would change. */
static const uint64_t real_bits[] = {
    0x7ff8000000000000u, /* quiet NaN */
    0xfff8000000000123u, /* negative NaN with a payload */
    0x7ff0000000000001u, /* signalling NaN */
    0x7ff0000000000000u, /* +inf */
    0xfff0000000000000u, /* -inf */
    0x8000000000000000u, /* -0.0 */
    0x0000000000000001u, /* smallest denormal */
    0x800fffffffffffffu, /* largest negative denormal */
    0x7fefffffffffffffu, /* DBL_MAX */
    0x3ff8000000000000u, /* 1.5 */
};
#define N_REALS (sizeof real_bits / sizeof real_bits[0])

static const int64_t ints[] = {INT64_MIN, INT64_MAX, 0, -1, 1};
#define N_INTS (sizeof ints / sizeof ints[0])

/* Empty, UTF-8 ("héllo — 世界 🚀"), quotes, separators and escapes, plain. */
static const char *const texts[] = {
    "", "h\xc3\xa9llo \xe2\x80\x94 \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x9a\x80",
    "say \"hi\", 'x'", "a,b\nc\t\\", "chat"};
#define N_TEXTS (sizeof texts / sizeof texts[0])

/* Fills r (built the way a run builds one: static names and columns, cells set by the setters). */
static void build_record(tf_run_record *r) {
  *r = (tf_run_record){.scenario_name = "llama-70b \xe2\x9c\x93", .scenario_path = NULL,
                       .scenario_text = scenario_bytes, .scenario_len = SCENARIO_LEN,
                       .overrides = "economics.pue=1.3\nseed=7\n", .version = "0.1.0",
                       .seed = UINT64_MAX - 5, /* >= 2^63 */
                       .wall_s = 12.25};
  strcpy(r->scenario_sha256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
  strcpy(r->started_utc, "2026-11-25T19:04:40Z");

  tf_table_init(&r->summary, "summary", summary_cols, 4);
  tf_cell *row = tf_table_add_row(&r->summary);
  TF_CHECK(row != NULL);
  TF_CHECK_INT(tf_cell_set_text(&row[0], "wire"), 0);
  tf_cell_set_real(&row[1], 3.75);
  tf_cell_set_int(&row[2], 123456789012345);
  /* row[3] stays NULL */

  /* Enough rows to take every real, integer and text in some cell, with NULLs between. */
  tf_table_init(&r->classes, "classes", classes_cols, 4);
  for (size_t i = 0; i < N_REALS + 2; i++) {
    row = tf_table_add_row(&r->classes);
    TF_CHECK(row != NULL);
    if (!row)
      return;
    TF_CHECK_INT(tf_cell_set_text(&row[0], texts[i % N_TEXTS]), 0);
    if (i < N_REALS)
      tf_cell_set_real(&row[1], from_bits(real_bits[i]));
    if (i % 3 != 2)
      tf_cell_set_int(&row[2], ints[i % N_INTS]);
    if (i % 2 == 0)
      TF_CHECK_INT(tf_cell_set_text(&row[3], texts[(i + 1) % N_TEXTS]), 0);
  }

  tf_table_init(&r->series, "series", series_cols, 2); /* empty: no time series */

  tf_table_init(&r->costs, "costs", costs_cols, 2);
  for (int i = 0; i < 3; i++) {
    row = tf_table_add_row(&r->costs);
    TF_CHECK(row != NULL);
    if (!row)
      return;
    TF_CHECK_INT(tf_cell_set_text(&row[0], i == 0 ? "capex" : i == 1 ? "energy" : "total"), 0);
    tf_cell_set_real(&row[1], 1e6 * (i + 1));
  }
}

/* ---- Equality ---------------------------------------------------------------------------- */

static bool str_eq(const char *a, const char *b) {
  return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static bool cell_eq(const tf_cell *a, const tf_cell *b) {
  if (a->kind != b->kind)
    return false;
  switch (a->kind) {
  case TF_CELL_NULL:
    return true;
  case TF_CELL_REAL:
    return bits_of(a->real) == bits_of(b->real);
  case TF_CELL_INT:
    return a->integer == b->integer;
  case TF_CELL_TEXT:
    return str_eq(a->text, b->text);
  }
  return false;
}

static void check_table_eq(const tf_table *a, const tf_table *b) {
  TF_CHECK(str_eq(a->name, b->name));
  TF_CHECK_INT(a->n_cols, b->n_cols);
  TF_CHECK_INT(a->n_rows, b->n_rows);
  if (a->n_cols != b->n_cols || a->n_rows != b->n_rows)
    return;
  for (size_t i = 0; i < a->n_cols; i++) {
    TF_CHECK(str_eq(a->cols[i].name, b->cols[i].name));
    TF_CHECK(str_eq(a->cols[i].unit, b->cols[i].unit));
  }
  size_t mismatched = 0;
  for (size_t i = 0; i < a->n_rows * a->n_cols; i++)
    mismatched += !cell_eq(&a->cells[i], &b->cells[i]);
  TF_CHECK_INT(mismatched, 0);
}

static void check_record_eq(const tf_run_record *a, const tf_run_record *b) {
  TF_CHECK(str_eq(a->scenario_name, b->scenario_name));
  TF_CHECK(str_eq(a->scenario_path, b->scenario_path));
  TF_CHECK_INT(a->scenario_len, b->scenario_len);
  TF_CHECK((a->scenario_text == NULL) == (b->scenario_text == NULL));
  if (a->scenario_text && b->scenario_text && a->scenario_len == b->scenario_len)
    TF_CHECK(memcmp(a->scenario_text, b->scenario_text, a->scenario_len) == 0);
  TF_CHECK_STR(a->scenario_sha256, b->scenario_sha256);
  TF_CHECK(str_eq(a->overrides, b->overrides));
  TF_CHECK(a->seed == b->seed);
  TF_CHECK(str_eq(a->version, b->version));
  TF_CHECK_STR(a->started_utc, b->started_utc);
  TF_CHECK(bits_of(a->wall_s) == bits_of(b->wall_s));
  check_table_eq(&a->summary, &b->summary);
  check_table_eq(&a->classes, &b->classes);
  check_table_eq(&a->series, &b->series);
  check_table_eq(&a->costs, &b->costs);
}

static bool table_zeroed(const tf_table *t) {
  return t->name == NULL && t->cols == NULL && t->cells == NULL && t->n_cols == 0 &&
         t->n_rows == 0 && t->cap_rows == 0;
}

/* What a failed unpack leaves: every pointer NULL, every count 0. */
static bool record_zeroed(const tf_run_record *r) {
  return r->scenario_name == NULL && r->scenario_path == NULL && r->scenario_text == NULL &&
         r->scenario_len == 0 && r->overrides == NULL && r->version == NULL && r->seed == 0 &&
         r->scenario_sha256[0] == '\0' && r->started_utc[0] == '\0' && table_zeroed(&r->summary) &&
         table_zeroed(&r->classes) && table_zeroed(&r->series) && table_zeroed(&r->costs);
}

/* Unpacks a heap copy of exactly n bytes of buf (so ASan sees any read past n). On success the
 * record is checked to pack again and is freed; returns unpack's code. */
static int unpack_exact(const uint8_t *buf, size_t n) {
  uint8_t *copy = malloc(n ? n : 1);
  TF_CHECK(copy != NULL);
  if (!copy)
    return TF_ENOMEM;
  if (n)
    memcpy(copy, buf, n);
  tf_run_record out;
  memset(&out, 0xab, sizeof out); /* whatever was there: a failure must zero it */
  int rc = tf_record_unpack(copy, n, &out);
  if (rc == 0) {
    /* A usable record: packing it reads every string and cell. */
    uint8_t *again = NULL;
    size_t again_len = 0;
    TF_CHECK_INT(tf_record_pack(&out, &again, &again_len), 0);
    free(again);
    tf_record_unpacked_free(&out);
    TF_CHECK(record_zeroed(&out));
  } else {
    TF_CHECK(record_zeroed(&out));
  }
  free(copy);
  return rc;
}

/* ---- The tests ----------------------------------------------------------------------------- */

static void test_round_trip(void) {
  tf_run_record r;
  build_record(&r);
  uint8_t *buf = NULL;
  size_t len = 0;
  TF_CHECK_INT(tf_record_pack(&r, &buf, &len), 0);
  TF_CHECK(buf != NULL && len > 0);

  tf_run_record u;
  TF_CHECK_INT(tf_record_unpack(buf, len, &u), 0);
  check_record_eq(&r, &u);
  /* Owned copies, not pointers into the buffer or the original. */
  TF_CHECK(u.classes.cols != classes_cols && u.classes.name != r.classes.name);
  TF_CHECK(u.scenario_text != r.scenario_text && u.scenario_text[u.scenario_len] == '\0');
  TF_CHECK(u.series.n_rows == 0 && u.series.cells == NULL);
  /* The unpacked record can grow like any other (tf_table_add_row, tf_cell_set_text). */
  tf_cell *row = tf_table_add_row(&u.costs);
  TF_CHECK(row != NULL);
  if (row)
    TF_CHECK_INT(tf_cell_set_text(&row[0], "added"), 0);
  TF_CHECK_STR(tf_table_get(&u.costs, 3, "component")->text, "added");
  tf_record_unpacked_free(&u);
  TF_CHECK(record_zeroed(&u));

  free(buf);
  tf_run_record_fini(&r);
}

/* A record with every pointer NULL and every table empty survives too. */
static void test_empty_record(void) {
  tf_run_record r = {0}, u;
  uint8_t *buf = NULL;
  size_t len = 0;
  TF_CHECK_INT(tf_record_pack(&r, &buf, &len), 0);
  TF_CHECK_INT(tf_record_unpack(buf, len, &u), 0);
  check_record_eq(&r, &u);
  TF_CHECK(record_zeroed(&u));
  tf_record_unpacked_free(&u);
  free(buf);
  tf_record_unpacked_free(&r); /* a zeroed record is fine to free */
}

static void test_deterministic(void) {
  tf_run_record a, b;
  build_record(&a);
  build_record(&b); /* the same content at other addresses */
  uint8_t *ba = NULL, *ba2 = NULL, *bb = NULL, *bu = NULL;
  size_t la = 0, la2 = 0, lb = 0, lu = 0;
  TF_CHECK_INT(tf_record_pack(&a, &ba, &la), 0);
  TF_CHECK_INT(tf_record_pack(&a, &ba2, &la2), 0);
  TF_CHECK_INT(tf_record_pack(&b, &bb, &lb), 0);
  TF_CHECK(la == la2 && memcmp(ba, ba2, la) == 0);
  TF_CHECK(la == lb && memcmp(ba, bb, la) == 0);
  /* An unpacked record packs to the same bytes. */
  tf_run_record u;
  TF_CHECK_INT(tf_record_unpack(ba, la, &u), 0);
  TF_CHECK_INT(tf_record_pack(&u, &bu, &lu), 0);
  TF_CHECK(la == lu && memcmp(ba, bu, la) == 0);
  tf_record_unpacked_free(&u);
  free(ba);
  free(ba2);
  free(bb);
  free(bu);
  tf_run_record_fini(&a);
  tf_run_record_fini(&b);
}

/* The format as record_wire.c documents it, byte for byte, on a small record. */
static void test_known_bytes(void) {
  static const tf_column cols[] = {{"x", "1"}};
  tf_run_record r = {.scenario_name = "ab", .scenario_text = "z", .scenario_len = 1,
                     .overrides = "", .seed = 0x0102030405060708u, .wall_s = 1.0};
  strcpy(r.scenario_sha256, "f");
  tf_table_init(&r.summary, "s", cols, 1);
  tf_cell *row = tf_table_add_row(&r.summary);
  TF_CHECK(row != NULL);
  if (!row)
    return;
  tf_cell_set_real(&row[0], -0.0);
  row = tf_table_add_row(&r.summary);
  TF_CHECK(row != NULL);
  if (!row)
    return;
  tf_cell_set_int(&row[0], -2);
  static const uint8_t want[] = {
      'T', 'F', 'R', 'W', 1, 0, 0, 0,                  /* magic, version 1 */
      1, 2, 0, 0, 0, 0, 0, 0, 0, 'a', 'b',             /* scenario_name "ab" */
      0,                                               /* scenario_path NULL */
      1, 1, 0, 0, 0, 0, 0, 0, 0, 'z',                  /* scenario_text "z" */
      1, 0, 0, 0, 0, 0, 0, 0, 'f',                     /* scenario_sha256 "f" */
      1, 0, 0, 0, 0, 0, 0, 0, 0,                       /* overrides "" */
      8, 7, 6, 5, 4, 3, 2, 1,                          /* seed */
      0,                                               /* version NULL */
      0, 0, 0, 0, 0, 0, 0, 0,                          /* started_utc "" */
      0, 0, 0, 0, 0, 0, 0xf0, 0x3f,                    /* wall_s 1.0 */
      1, 1, 0, 0, 0, 0, 0, 0, 0, 's',                  /* summary: name "s" */
      1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0,  /* 1 column, 2 rows */
      1, 1, 0, 0, 0, 0, 0, 0, 0, 'x',                  /* column name "x" */
      1, 1, 0, 0, 0, 0, 0, 0, 0, '1',                  /* column unit "1" */
      1, 0, 0, 0, 0, 0, 0, 0, 0x80,                    /* REAL -0.0 */
      2, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* INT -2 */
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* classes: NULL name, 0 x 0 */
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* series */
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* costs */
  };
  uint8_t *buf = NULL;
  size_t len = 0;
  TF_CHECK_INT(tf_record_pack(&r, &buf, &len), 0);
  TF_CHECK_INT(len, sizeof want);
  TF_CHECK(len == sizeof want && memcmp(buf, want, len) == 0);
  free(buf);
  tf_run_record_fini(&r);
}

/* ---- Damaged buffers ----------------------------------------------------------------------- */

/* Where a valid buffer keeps its counts and tags, found by walking it with the documented
 * format: an independent reading of the spec, checked to end exactly at the buffer's end. */
typedef struct wire_map {
  size_t counts[512]; /* offsets of u64 string lengths, column and row counts */
  size_t n_counts;
  size_t tags[512]; /* offsets of ostr presence bytes and cell kinds */
  size_t n_tags;
  size_t name_str;     /* offset of scenario_name's first byte */
  size_t sha_len;      /* offset of scenario_sha256's length */
  size_t utc_len;      /* offset of started_utc's length */
  size_t costs_n_rows; /* offset of the last table's row count */
} wire_map;

typedef struct walker {
  const uint8_t *buf;
  size_t at, len;
  wire_map *m;
  bool ok;
} walker;

static uint64_t w_u64(walker *w) {
  if (w->len - w->at < 8) {
    w->ok = false;
    return 0;
  }
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v |= (uint64_t)w->buf[w->at + (size_t)i] << (8 * i);
  w->at += 8;
  return v;
}

static void w_skip(walker *w, uint64_t n) {
  if (n > w->len - w->at)
    w->ok = false;
  else
    w->at += (size_t)n;
}

static uint64_t w_count(walker *w) {
  if (w->m->n_counts < 512)
    w->m->counts[w->m->n_counts++] = w->at;
  return w_u64(w);
}

static void w_str(walker *w) { w_skip(w, w_count(w)); }

static uint8_t w_tag(walker *w) {
  if (w->at >= w->len) {
    w->ok = false;
    return 0;
  }
  if (w->m->n_tags < 512)
    w->m->tags[w->m->n_tags++] = w->at;
  return w->buf[w->at++];
}

static void w_ostr(walker *w) {
  if (w_tag(w) == 1)
    w_str(w);
}

static void w_table(walker *w, bool last) {
  w_ostr(w);
  uint64_t n_cols = w_count(w);
  if (last)
    w->m->costs_n_rows = w->at;
  uint64_t n_rows = w_count(w);
  for (uint64_t i = 0; w->ok && i < n_cols; i++) {
    w_ostr(w);
    w_ostr(w);
  }
  for (uint64_t i = 0; w->ok && i < n_cols * n_rows; i++) {
    uint8_t kind = w_tag(w);
    if (kind == 1 || kind == 2)
      w_skip(w, 8);
    else if (kind == 3)
      w_ostr(w);
  }
}

static bool map_buffer(const uint8_t *buf, size_t len, wire_map *m) {
  *m = (wire_map){0};
  walker w = {.buf = buf, .len = len, .m = m, .ok = true};
  w_skip(&w, 8); /* magic, version */
  m->name_str = w.at + 9;
  w_ostr(&w); /* scenario_name */
  w_ostr(&w); /* scenario_path */
  w_ostr(&w); /* scenario_text */
  m->sha_len = w.at;
  w_str(&w);  /* scenario_sha256 */
  w_ostr(&w); /* overrides */
  w_skip(&w, 8);
  w_ostr(&w); /* version */
  m->utc_len = w.at;
  w_str(&w); /* started_utc */
  w_skip(&w, 8);
  for (int i = 0; i < 4; i++)
    w_table(&w, i == 3);
  return w.ok && w.at == len;
}

static void put_u64_at(uint8_t *buf, size_t at, uint64_t v) {
  for (int i = 0; i < 8; i++)
    buf[at + (size_t)i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64_at(const uint8_t *buf, size_t at) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v |= (uint64_t)buf[at + (size_t)i] << (8 * i);
  return v;
}

/* xorshift64* (Vigna, "An experiment with xorshift generators", 2016): a fixed seed, so every
 * run tries the same corruptions. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rng_next(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1du;
}

static void test_truncated_and_foreign(void) {
  tf_run_record r;
  build_record(&r);
  uint8_t *buf = NULL;
  size_t len = 0;
  TF_CHECK_INT(tf_record_pack(&r, &buf, &len), 0);
  size_t refused = 0;
  for (size_t n = 0; n < len; n++)
    refused += unpack_exact(buf, n) == TF_EPARSE;
  TF_CHECK_INT(refused, len);
  TF_CHECK_INT(unpack_exact(buf, len), 0);
  tf_run_record none;
  TF_CHECK_INT(tf_record_unpack(NULL, 0, &none), TF_EPARSE);
  TF_CHECK(record_zeroed(&none));

  /* A flipped bit anywhere in the magic or the version. */
  uint8_t *bad = malloc(len + 1);
  TF_CHECK(bad != NULL);
  if (!bad)
    return;
  for (size_t at = 0; at < 8; at++)
    for (int bit = 0; bit < 8; bit++) {
      memcpy(bad, buf, len);
      bad[at] ^= (uint8_t)(1u << bit);
      TF_CHECK_INT(unpack_exact(bad, len), TF_EPARSE);
    }
  /* Version 1 written big-endian, version 2. */
  memcpy(bad, buf, len);
  bad[4] = 0;
  bad[7] = 1;
  TF_CHECK_INT(unpack_exact(bad, len), TF_EPARSE);
  bad[4] = 2;
  bad[7] = 0;
  TF_CHECK_INT(unpack_exact(bad, len), TF_EPARSE);
  /* A byte too many. */
  memcpy(bad, buf, len);
  bad[len] = 0;
  TF_CHECK_INT(unpack_exact(bad, len + 1), TF_EPARSE);
  /* Someone else's bytes. */
  static const char sqlite_header[] = "SQLite format 3";
  TF_CHECK_INT(unpack_exact((const uint8_t *)sqlite_header, sizeof sqlite_header), TF_EPARSE);
  for (size_t i = 0; i < len; i++)
    bad[i] = (uint8_t)rng_next();
  TF_CHECK_INT(unpack_exact(bad, len), TF_EPARSE);
  free(bad);
  free(buf);
  tf_run_record_fini(&r);
}

/* Unpacks buf with the str whose length is at offset at made `extra` bytes longer ('a's). */
static int unpack_grown(const uint8_t *buf, size_t len, size_t at, size_t extra) {
  uint64_t n = get_u64_at(buf, at);
  size_t end = at + 8 + (size_t)n;
  uint8_t *longer = malloc(len + extra);
  TF_CHECK(longer != NULL);
  if (!longer)
    return TF_ENOMEM;
  memcpy(longer, buf, end);
  memset(longer + end, 'a', extra);
  memcpy(longer + end + extra, buf + end, len - end);
  put_u64_at(longer, at, n + extra);
  int rc = unpack_exact(longer, len + extra);
  free(longer);
  return rc;
}

/* Damage the format's own rules refuse, each checked on its own. */
static void test_rules(void) {
  tf_run_record r;
  build_record(&r);
  uint8_t *buf = NULL;
  size_t len = 0;
  TF_CHECK_INT(tf_record_pack(&r, &buf, &len), 0);
  wire_map m;
  TF_CHECK(map_buffer(buf, len, &m));
  uint8_t *bad = malloc(len);
  TF_CHECK(bad != NULL);
  if (!bad)
    return;

  memcpy(bad, buf, len);
  bad[m.name_str + 1] = '\0'; /* a NUL inside a C string */
  TF_CHECK_INT(unpack_exact(bad, len), TF_EPARSE);
  memcpy(bad, buf, len);
  put_u64_at(bad, m.sha_len, 65); /* longer than the SHA-256 field */
  TF_CHECK_INT(unpack_exact(bad, len), TF_EPARSE);
  /* The fixed fields at and past their limits, the rest of the buffer intact: only the limits
   * stop an overflow of the char arrays. */
  TF_CHECK_INT(unpack_grown(buf, len, m.sha_len, 1), TF_EPARSE);              /* 65 bytes */
  TF_CHECK_INT(unpack_grown(buf, len, m.utc_len, 31 - strlen(r.started_utc)), 0); /* 31 */
  TF_CHECK_INT(unpack_grown(buf, len, m.utc_len, 32 - strlen(r.started_utc)), TF_EPARSE);
  TF_CHECK_INT(unpack_grown(buf, len, m.counts[0], 1000), 0); /* scenario_name: no limit */
  for (size_t i = 0; i < m.n_tags; i++) { /* a tag out of range, each in turn */
    memcpy(bad, buf, len);
    bad[m.tags[i]] = 4;
    TF_CHECK_INT(unpack_exact(bad, len), TF_EPARSE);
  }
  /* Rows without columns: no cells follow, yet refused. */
  tf_run_record z = {0};
  uint8_t *zb = NULL;
  size_t zlen = 0;
  TF_CHECK_INT(tf_record_pack(&z, &zb, &zlen), 0);
  wire_map zm;
  TF_CHECK(map_buffer(zb, zlen, &zm));
  TF_CHECK_INT(unpack_exact(zb, zlen), 0);
  put_u64_at(zb, zm.costs_n_rows, 1);
  TF_CHECK_INT(unpack_exact(zb, zlen), TF_EPARSE);
  free(zb);

  free(bad);
  free(buf);
  tf_run_record_fini(&r);
}

/* Counts and bytes changed at random (a fixed seed): never a crash, an over-read or a leak; either
 * TF_EPARSE or a record that packs again and frees. */
static void test_corruption(void) {
  tf_run_record r;
  build_record(&r);
  uint8_t *buf = NULL;
  size_t len = 0;
  TF_CHECK_INT(tf_record_pack(&r, &buf, &len), 0);
  wire_map m;
  TF_CHECK(map_buffer(buf, len, &m));
  TF_CHECK(m.n_counts > 50 && m.n_counts < 512 && m.n_tags > 50 && m.n_tags < 512);
  uint8_t *bad = malloc(len);
  TF_CHECK(bad != NULL);
  if (!bad || m.n_counts == 0)
    return;
  const uint64_t special[] = {0, 1, 2, 7, 8, 31, 64, 65, (uint64_t)len, (uint64_t)len - 1,
                              UINT32_MAX, (uint64_t)UINT32_MAX + 1, (uint64_t)INT64_MAX,
                              (uint64_t)INT64_MAX + 1, UINT64_MAX, UINT64_MAX / 2 + 3};
  const size_t n_special = sizeof special / sizeof special[0];
  size_t failed = 0, accepted = 0, other = 0;
  for (int i = 0; i < 600; i++) {
    memcpy(bad, buf, len);
    if (i < 400) { /* a count */
      size_t at = m.counts[rng_next() % m.n_counts];
      uint64_t v = get_u64_at(bad, at);
      switch (rng_next() % 4) {
      case 0:
        v = rng_next();
        break;
      case 1:
        v += rng_next() % 7 - 3;
        break;
      case 2:
        v ^= (uint64_t)1 << (rng_next() % 64);
        break;
      default:
        v = special[rng_next() % n_special];
      }
      put_u64_at(bad, at, v);
    } else { /* one to three bytes anywhere */
      for (uint64_t k = 0, n = 1 + rng_next() % 3; k < n; k++)
        bad[rng_next() % len] = (uint8_t)rng_next();
    }
    int rc = unpack_exact(bad, len);
    if (rc == TF_EPARSE)
      failed++;
    else if (rc == 0)
      accepted++;
    else
      other++;
  }
  TF_CHECK_INT(other, 0);
  TF_CHECK(failed > 300);
  printf("corruptions: %zu refused, %zu still valid records\n", failed, accepted);
  free(bad);
  free(buf);
  tf_run_record_fini(&r);
}

int main(void) {
  test_round_trip();
  test_empty_record();
  test_deterministic();
  test_known_bytes();
  test_truncated_and_foreign();
  test_rules();
  test_corruption();
  return tf_test_report("reports_record_wire");
}
