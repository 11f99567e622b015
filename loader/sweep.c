/* Sweep definitions: reading `sweep:` and `--sweep`, ranges with units, a YAML flow-style
 * emitter for --set values, expansion of points, the canonical text and per-run seeds. */
#include "sweep.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "schema.h"
#include "units.h"
#include "ytree.h"

#define CLI TF_SWEEP_CLI_FILE
#define MAXP ((size_t)TF_SWEEP_MAX_POINTS)

/* ---- growable text ---- */

typedef struct sbuf {
  char *p;
  size_t len, cap;
  bool nomem;
} sbuf;

static void sb_putn(sbuf *b, const char *s, size_t n) {
  if (b->nomem)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
      b->nomem = true;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void sb_printf(sbuf *b, const char *fmt, ...) {
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->nomem = true;
    return;
  }
  if ((size_t)n < sizeof small) {
    sb_putn(b, small, (size_t)n);
    return;
  }
  char *big = malloc((size_t)n + 1);
  if (!big) {
    b->nomem = true;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  sb_putn(b, big, (size_t)n);
  free(big);
}

/* The text built (NUL-terminated, the caller's to free), or NULL when memory ran out. */
static char *sb_take(sbuf *b) {
  sb_putn(b, "", 0);
  char *p = b->nomem ? NULL : b->p;
  if (b->nomem)
    free(b->p);
  *b = (sbuf){0};
  return p;
}

static char *dup_n(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

static bool is_space(char c) { return c == ' ' || c == '\t'; }

/* ---- YAML flow-style emitter: a ytree node back into the text a --set value takes ---- */

/* True if s can be written as a plain scalar anywhere in flow style and read back as the same
 * text: conservative (a ':' or '#' anywhere gets quotes), since quoting costs nothing. */
static bool plain_safe(const char *s, size_t n) {
  if (n == 0 || is_space(s[0]) || is_space(s[n - 1]))
    return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7f || strchr(",[]{}#:\"", c))
      return false;
  }
  if (strchr("!&*|>'%@`", s[0]))
    return false;
  if ((s[0] == '-' || s[0] == '?') && (n == 1 || is_space(s[1])))
    return false;
  if (n >= 3 && (memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0))
    return false;
  return true;
}

static void emit_quoted(sbuf *b, const char *s, size_t n) {
  sb_putn(b, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      sb_putn(b, e, 2);
    } else if (c == '\n') {
      sb_puts(b, "\\n");
    } else if (c == '\t') {
      sb_puts(b, "\\t");
    } else if (c < 0x20 || c == 0x7f) {
      sb_printf(b, "\\x%02X", c);
    } else {
      sb_putn(b, s + i, 1);
    }
  }
  sb_putn(b, "\"", 1);
}

/* Text as a scalar: plain when that reads back the same, else double-quoted. */
static void emit_text(sbuf *b, const char *s, size_t n) {
  if (plain_safe(s, n))
    sb_putn(b, s, n);
  else
    emit_quoted(b, s, n);
}

/* True if text, written plain, would read as a null (tf_ytree_is_null's spellings). */
static bool null_spelling(const char *s, size_t n) {
  return n == 0 || (n == 1 && s[0] == '~') ||
         (n == 4 && (memcmp(s, "null", 4) == 0 || memcmp(s, "Null", 4) == 0 ||
                     memcmp(s, "NULL", 4) == 0));
}

/* A node in flow style. A null is "~". Other scalars are plain where that reads back as the same
 * text, else double-quoted: the loader reads a scalar's text whatever its style, and the style
 * only decides whether it is a null, so "8" and 8 are one value, but "null" keeps its quotes. */
static void emit_node(sbuf *b, const tf_ytree_node *v) {
  switch (v->kind) {
  case TF_YTREE_SCALAR:
    if (tf_ytree_is_null(v))
      sb_putn(b, "~", 1);
    else if (null_spelling(v->text, v->len))
      emit_quoted(b, v->text, v->len);
    else
      emit_text(b, v->text, v->len);
    return;
  case TF_YTREE_MAPPING:
    sb_putn(b, "{", 1);
    for (size_t i = 0; i < v->n; i++) {
      if (i)
        sb_putn(b, ", ", 2);
      emit_node(b, v->keys[i]);
      sb_putn(b, ": ", 2);
      emit_node(b, v->items[i]);
    }
    sb_putn(b, "}", 1);
    return;
  case TF_YTREE_SEQUENCE:
    sb_putn(b, "[", 1);
    for (size_t i = 0; i < v->n; i++) {
      if (i)
        sb_putn(b, ", ", 2);
      emit_node(b, v->items[i]);
    }
    sb_putn(b, "]", 1);
    return;
  }
}

/* ---- the sweep ---- */

/* One column of the sweep table: a swept PATH with its values (or the variants' names). While
 * loading, file and position say where it was written (file points into the parsed tree or is
 * static); they are not used afterwards. */
typedef struct column {
  char *path;    /* as written; "variant" for the variant column */
  char *norm;    /* normal form (every [N] as .N), for finding a PATH swept twice; NULL: variant */
  size_t n;      /* values */
  char **labels; /* n: what the sweep table shows */
  char **texts;  /* n: the VALUE of PATH=VALUE; NULL for the variant column */
  size_t dim;    /* its dimension, once assembled */
  const char *file;
  int line, col;
  size_t cli_index; /* 1-based --sweep argument; 0: from the file */
} column;

typedef struct variant {
  char *name;
  char **sets; /* "PATH=VALUE", in the set mapping's order */
  size_t n_sets;
} variant;

/* One dimension of the expansion: n values, columns [first, first + n_cols) of cols[]. */
typedef struct dim {
  size_t n, stride, first, n_cols;
  bool variant;
} dim;

/* Invariants: dims[] in expansion order, each with n >= 1, its columns all holding n values;
 * the variant dimension (if any) is first, has one column and n == n_variants; points is the
 * product of the dims' n, in [1, TF_SWEEP_MAX_POINTS]; dims[d].stride is the product of the n
 * of the dims after d, so point p's value in dim d is p / stride % n (the last varies fastest). */
struct tf_sweep {
  dim *dims;
  size_t n_dims;
  column *cols;
  size_t n_cols;
  variant *variants;
  size_t n_variants;
  size_t points, replications;
  char *canonical;
};

static void column_fini(column *a) {
  for (size_t i = 0; i < a->n; i++) {
    if (a->labels)
      free(a->labels[i]);
    if (a->texts)
      free(a->texts[i]);
  }
  free(a->labels);
  free(a->texts);
  free(a->path);
  free(a->norm);
  *a = (column){0};
}

static void variant_fini(variant *v) {
  for (size_t i = 0; i < v->n_sets; i++)
    free(v->sets[i]);
  free(v->sets);
  free(v->name);
  *v = (variant){0};
}

void tf_sweep_free(tf_sweep *s) {
  if (!s)
    return;
  for (size_t i = 0; i < s->n_cols; i++)
    column_fini(&s->cols[i]);
  for (size_t i = 0; i < s->n_variants; i++)
    variant_fini(&s->variants[i]);
  free(s->cols);
  free(s->variants);
  free(s->dims);
  free(s->canonical);
  free(s);
}

/* A variant's set key, kept while loading to find a PATH the variants and an axis both set. */
typedef struct vkey {
  char *norm;
  const tf_ytree_node *key;
  size_t variant;
} vkey;

/* Loading state. Axes are gathered by group and ordered when the sweep is assembled. */
typedef struct loader {
  tf_diags *d;
  int rc; /* TF_ENOMEM once memory ran out; then everything else is moot */
  column *axes; /* grid and range axes in file order, then --sweep axes */
  size_t n_axes, cap_axes;
  column *zip;
  size_t n_zip, cap_zip;
  variant *variants;
  size_t n_variants;
  const tf_ytree_node *variants_at;
  vkey *vkeys;
  size_t n_vkeys, cap_vkeys;
} loader;

static void nomem(loader *L) {
  if (!L->rc)
    L->rc = TF_FAIL(TF_ENOMEM, "sweep");
}

/* items (n used of *cap, each size bytes) with room for one more: items itself, or a larger
 * copy (then *cap grows), or NULL when out of memory (items is then untouched). */
static void *grown(void *items, size_t *cap, size_t n, size_t size) {
  if (n < *cap)
    return items;
  size_t c = *cap ? 2 * *cap : 8;
  void *p = realloc(items, c * size);
  if (p)
    *cap = c;
  return p;
}

/* Appends a (zeroed) column to *list; NULL when out of memory. */
static column *new_column(loader *L, column **list, size_t *n, size_t *cap) {
  column *items = grown(*list, cap, *n, sizeof **list);
  if (!items) {
    nomem(L);
    return NULL;
  }
  *list = items;
  column *a = &(*list)[(*n)++];
  *a = (column){0};
  return a;
}

/* Allocates room for n values in a. */
static bool column_values(loader *L, column *a, size_t n) {
  a->labels = calloc(n ? n : 1, sizeof *a->labels);
  a->texts = calloc(n ? n : 1, sizeof *a->texts);
  if (!a->labels || !a->texts) {
    nomem(L);
    return false;
  }
  a->n = n;
  return true;
}

/* ---- paths ---- */

static bool name_char(char c) {
  unsigned char u = (unsigned char)c;
  return u > 0x20 && u != 0x7f && c != '.' && c != '[' && c != ']' && c != '=';
}

/* Checks that path is a --set path (a name, then ".name", ".N" or "[N]" steps) and writes its
 * normal form, every [N] as .N, into *norm (malloc'd). 0, 1 when malformed, or TF_ENOMEM. */
static int normal_path(const char *path, size_t len, char **norm) {
  *norm = NULL;
  char *out = malloc(len + 1);
  if (!out)
    return TF_FAIL(TF_ENOMEM, "sweep");
  size_t i = 0, o = 0;
  bool first = true;
  while (i < len) {
    if (path[i] == '[') {
      size_t j = i + 1;
      while (j < len && path[j] >= '0' && path[j] <= '9')
        j++;
      if (first || j == i + 1 || j == len || path[j] != ']')
        goto bad;
      out[o++] = '.';
      memcpy(out + o, path + i + 1, j - i - 1);
      o += j - i - 1;
      i = j + 1;
    } else {
      if (!first) {
        if (path[i] != '.')
          goto bad;
        out[o++] = '.';
        i++;
      }
      size_t j = i;
      while (j < len && name_char(path[j]))
        j++;
      if (j == i)
        goto bad;
      memcpy(out + o, path + i, j - i);
      o += j - i;
      i = j;
    }
    first = false;
  }
  if (first)
    goto bad;
  out[o] = '\0';
  *norm = out;
  return 0;
bad:
  free(out);
  return 1;
}

/* Sets a->path and a->norm from path (len bytes) written at file:line:col; a diagnostic and
 * false when it is not a path. prefix names the section in the message ("sweep.grid."). */
static bool column_path(loader *L, column *a, const char *path, size_t len, const char *prefix,
                      const char *file, int line, int col) {
  a->file = file;
  a->line = line;
  a->col = col;
  int rc = normal_path(path, len, &a->norm);
  if (rc == 1) {
    tf_diags_error(L->d, file, line, col,
                   "%s\"%.*s\" is not a path such as serving.tp or hardware[0].count", prefix,
                   (int)len, path);
    return false;
  }
  if (rc || !(a->path = dup_n(path, len))) {
    nomem(L);
    return false;
  }
  return true;
}

/* ---- values ---- */

/* Stores node v as value i of a: its --set text, and its label (a scalar's text as written). */
static bool set_value(loader *L, column *a, size_t i, const tf_ytree_node *v) {
  sbuf b = {0};
  emit_node(&b, v);
  a->texts[i] = sb_take(&b);
  if (v->kind == TF_YTREE_SCALAR && !tf_ytree_is_null(v))
    a->labels[i] = dup_n(v->text, v->len);
  else
    a->labels[i] = a->texts[i] ? dup_n(a->texts[i], strlen(a->texts[i])) : NULL;
  if (!a->texts[i] || !a->labels[i]) {
    nomem(L);
    return false;
  }
  return true;
}

/* Stores text (formatted by a range) as value i of a. */
static bool set_text(loader *L, column *a, size_t i, const char *text) {
  sbuf b = {0};
  emit_text(&b, text, strlen(text));
  a->texts[i] = sb_take(&b);
  a->labels[i] = dup_n(text, strlen(text));
  if (!a->texts[i] || !a->labels[i]) {
    nomem(L);
    return false;
  }
  return true;
}

/* ---- ranges: "A..B step S" ---- */

/* Where a text was written, to point into it: col_at(w, offset) is the column of its byte at
 * offset, or w->col when the text's own column is unknown (a multi-line scalar). */
typedef struct where {
  const char *file;
  int line, col, text_col;
} where;

static int col_at(const where *w, size_t offset) {
  if (w->text_col <= 0)
    return w->col;
  return w->text_col + (int)(offset > 100000 ? 100000 : offset);
}

/* One end or the step of a range: a number and an optional unit. */
typedef struct qty {
  size_t begin, end;        /* the quantity's text, trimmed */
  double number;            /* as written, in its own unit */
  bool exact;               /* number == mantissa x 10^exp10 exactly */
  int64_t mantissa;
  int exp10;
  size_t unit_begin, unit_end; /* equal: a plain number */
  tf_unit_kind kind;           /* with a unit */
  double scale, zero;          /* with a unit: SI = number * scale + zero */
} qty;

/* Finds the kind of unit u (NUL-terminated): the first kind whose parser takes "1 u". */
static bool unit_kind(const char *u, tf_unit_kind *kind, double *scale, double *zero) {
  char one[96], nil[96];
  snprintf(one, sizeof one, "1 %s", u);
  snprintf(nil, sizeof nil, "0 %s", u);
  for (int k = 0; k < (int)TF_UNIT_KIND_COUNT_; k++) {
    if (k == (int)TF_UNIT_COUNT)
      continue;
    double a, b;
    if (tf_unit_parse(one, (tf_unit_kind)k, &a, NULL) == 0 &&
        tf_unit_parse(nil, (tf_unit_kind)k, &b, NULL) == 0) {
      *kind = (tf_unit_kind)k;
      *scale = a - b;
      *zero = b;
      return true;
    }
  }
  return false;
}

/* Scans t[b, e) into q. false with a diagnostic (what names the part: "start", "end", "step"). */
static bool scan_qty(loader *L, const char *t, size_t b, size_t e, const char *what,
                     const char *path, const where *w, qty *q) {
  while (b < e && is_space(t[b]))
    b++;
  while (e > b && is_space(t[e - 1]))
    e--;
  *q = (qty){.begin = b, .end = e, .exact = true};
  if (b == e) {
    tf_diags_error(L->d, w->file, w->line, col_at(w, b),
                   "%s: missing %s: expected a range such as \"1 MW..3 MW step 0.5 MW\"", path,
                   what);
    return false;
  }
  size_t i = b;
  bool negative = false;
  if (t[i] == '+' || t[i] == '-')
    negative = t[i++] == '-';
  uint64_t m = 0;
  int significant = 0, exp10 = 0;
  size_t digits = 0;
  bool point = false;
  for (; i < e; i++) {
    char c = t[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    if (c < '0' || c > '9')
      break;
    digits++;
    if (m == 0 && c == '0') {
      if (point)
        exp10--;
      continue;
    }
    if (significant < 18) {
      m = m * 10 + (uint64_t)(c - '0');
      significant++;
      if (point)
        exp10--;
    } else if (c != '0') {
      q->exact = false;
    } else if (!point) {
      exp10++;
    }
  }
  if (digits == 0) {
    tf_diags_error(L->d, w->file, w->line, col_at(w, b), "%s: the %s \"%.*s\" is not a number",
                   path, what, (int)(e - b), t + b);
    return false;
  }
  if (i < e && (t[i] == 'e' || t[i] == 'E')) {
    size_t j = i + 1;
    bool neg = false;
    if (j < e && (t[j] == '+' || t[j] == '-'))
      neg = t[j++] == '-';
    if (j < e && t[j] >= '0' && t[j] <= '9') {
      long x = 0;
      for (; j < e && t[j] >= '0' && t[j] <= '9'; j++)
        if (x < 100000)
          x = x * 10 + (t[j] - '0');
      exp10 += (int)(neg ? -x : x);
      i = j;
    }
  }
  char number[128];
  if (i - b >= sizeof number) {
    tf_diags_error(L->d, w->file, w->line, col_at(w, b), "%s: the %s has too many digits", path,
                   what);
    return false;
  }
  memcpy(number, t + b, i - b);
  number[i - b] = '\0';
  q->number = strtod(number, NULL);
  if (!isfinite(q->number)) {
    tf_diags_error(L->d, w->file, w->line, col_at(w, b), "%s: the %s \"%s\" is out of range",
                   path, what, number);
    return false;
  }
  if (exp10 > 300 || exp10 < -300)
    q->exact = false;
  q->mantissa = negative ? -(int64_t)m : (int64_t)m;
  q->exp10 = exp10;
  while (i < e && is_space(t[i]))
    i++;
  q->unit_begin = i;
  q->unit_end = e;
  if (i == e)
    return true;
  for (size_t j = i; j < e; j++)
    if (is_space(t[j])) {
      size_t k = j;
      while (is_space(t[k]))
        k++;
      tf_diags_error(L->d, w->file, w->line, col_at(w, k),
                     "%s: unexpected text \"%.*s\" after the %s \"%.*s\"", path, (int)(e - k),
                     t + k, what, (int)(j - b), t + b);
      return false;
    }
  char unit[80] = "";
  if (e - i < sizeof unit)
    snprintf(unit, sizeof unit, "%.*s", (int)(e - i), t + i);
  if (!unit[0] || !unit_kind(unit, &q->kind, &q->scale, &q->zero)) {
    tf_diags_error(L->d, w->file, w->line, col_at(w, i), "%s: unknown unit \"%.*s\" in the %s",
                   path, (int)(e - i), t + i, what);
    return false;
  }
  return true;
}

static bool has_unit(const qty *q) { return q->unit_end > q->unit_begin; }

static bool same_unit(const char *t, const qty *a, const qty *b) {
  size_t n = a->unit_end - a->unit_begin;
  return n == b->unit_end - b->unit_begin && memcmp(t + a->unit_begin, t + b->unit_begin, n) == 0;
}

/* Checks that q's unit is of the start's kind. */
static bool same_kind(loader *L, const char *t, const qty *start, const qty *q, const char *what,
                      const char *path, const where *w) {
  int qb = (int)(q->end - q->begin), sb = (int)(start->end - start->begin);
  if (has_unit(start) && !has_unit(q)) {
    tf_diags_error(L->d, w->file, w->line, col_at(w, q->begin),
                   "%s: the %s \"%.*s\" has no unit, but the start \"%.*s\" is %s", path, what, qb,
                   t + q->begin, sb, t + start->begin, tf_unit_kind_noun(start->kind));
    return false;
  }
  if (!has_unit(start) && has_unit(q)) {
    tf_diags_error(L->d, w->file, w->line, col_at(w, q->unit_begin),
                   "%s: the %s \"%.*s\" has a unit, but the start \"%.*s\" is a plain number",
                   path, what, qb, t + q->begin, sb, t + start->begin);
    return false;
  }
  if (has_unit(start) && q->kind != start->kind) {
    tf_diags_error(L->d, w->file, w->line, col_at(w, q->unit_begin),
                   "%s: the %s \"%.*s\" is %s, but the start \"%.*s\" is %s: a range's start, end "
                   "and step need units of one kind",
                   path, what, qb, t + q->begin, tf_unit_kind_noun(q->kind), sb, t + start->begin,
                   tf_unit_kind_noun(start->kind));
    return false;
  }
  return true;
}

/* m x 10^by in *out, or false when it does not fit in int64_t. */
static bool scale_pow10(int64_t m, int by, int64_t *out) {
  for (; by > 0; by--)
    if (__builtin_mul_overflow(m, (int64_t)10, &m))
      return false;
  *out = m;
  return true;
}

/* m x 10^e as the shortest decimal ("0.3", "1500", "-2.25", "1e+30"). */
static void format_decimal(int64_t m, int e, char *buf, size_t size) {
  while (m != 0 && m % 10 == 0) {
    m /= 10;
    e++;
  }
  if (m == 0) {
    snprintf(buf, size, "0");
    return;
  }
  char digits[24];
  snprintf(digits, sizeof digits, "%llu",
           m < 0 ? 0 - (unsigned long long)m : (unsigned long long)m);
  int n = (int)strlen(digits);
  const char *sign = m < 0 ? "-" : "";
  if (e >= 0 && n + e <= 18)
    snprintf(buf, size, "%s%s%.*s", sign, digits, e, "000000000000000000");
  else if (e < 0 && -e < n)
    snprintf(buf, size, "%s%.*s.%s", sign, n + e, digits, digits + n + e);
  else if (e < 0 && -e - n <= 12)
    snprintf(buf, size, "%s0.%.*s%s", sign, -e - n, "000000000000", digits);
  else
    snprintf(buf, size, "%s%se%+d", sign, digits, e);
}

/* Parses "A..B step S" in text (its path named in messages, written at w) into out's
 * values. false (with a diagnostic) when it is not a good range. */
static bool parse_range(loader *L, const char *text, const char *path, const where *w,
                        column *out) {
  size_t len = strlen(text);
  const char *dots = strstr(text, "..");
  size_t step = 0;
  if (dots) {
    for (size_t p = (size_t)(dots - text) + 2; p + 4 <= len; p++)
      if (memcmp(text + p, "step", 4) == 0 && (p + 4 == len || is_space(text[p + 4])) &&
          (p == (size_t)(dots - text) + 2 || is_space(text[p - 1]))) {
        step = p;
        break;
      }
  }
  if (!dots || !step) {
    tf_diags_error(L->d, w->file, w->line, col_at(w, 0),
                   "%s: expected a range such as \"1 MW..3 MW step 0.5 MW\" (START..END step "
                   "STEP), got \"%s\"",
                   path, text);
    return false;
  }
  size_t dd = (size_t)(dots - text);
  qty A, B, S;
  bool ok = scan_qty(L, text, 0, dd, "start", path, w, &A);
  ok = scan_qty(L, text, dd + 2, step, "end", path, w, &B) && ok;
  ok = scan_qty(L, text, step + 4, len, "step", path, w, &S) && ok;
  if (!ok)
    return false;
  ok = same_kind(L, text, &A, &B, "end", path, w);
  ok = same_kind(L, text, &A, &S, "step", path, w) && ok;
  if (!ok)
    return false;
  /* Exact decimals when the three share one unit as written and fit: the values are then the
   * decimals a person would write, whatever binary floating point makes of 0.1. */
  bool exact = A.exact && B.exact && S.exact && same_unit(text, &A, &B) && same_unit(text, &A, &S);
  int e = A.exp10;
  if (B.exp10 < e)
    e = B.exp10;
  if (S.exp10 < e)
    e = S.exp10;
  int64_t ma = 0, mb = 0, ms = 0, diff = 0;
  exact = exact && scale_pow10(A.mantissa, A.exp10 - e, &ma) &&
          scale_pow10(B.mantissa, B.exp10 - e, &mb) && scale_pow10(S.mantissa, S.exp10 - e, &ms) &&
          !__builtin_sub_overflow(mb, ma, &diff);
  /* Otherwise in the start's unit, as doubles. */
  double a = A.number, b = B.number, s = S.number;
  if (has_unit(&A) && !same_unit(text, &A, &B))
    b = (B.number * B.scale + B.zero - A.zero) / A.scale;
  if (has_unit(&A) && !same_unit(text, &A, &S))
    s = S.number * S.scale / A.scale;
  int sl = (int)(S.end - S.begin), al = (int)(A.end - A.begin), bl = (int)(B.end - B.begin);
  if (!(s > 0)) {
    tf_diags_error(L->d, w->file, w->line, col_at(w, S.begin),
                   "%s: the step must be > 0, got \"%.*s\"", path, sl, text + S.begin);
    return false;
  }
  if (b < a) {
    tf_diags_error(L->d, w->file, w->line, col_at(w, B.begin),
                   "%s: the end \"%.*s\" is below the start \"%.*s\"", path, bl, text + B.begin,
                   al, text + A.begin);
    return false;
  }
  /* n = floor((B - A) / S + 1e-9) + 1: B is in when it lands on the grid, give or take the
   * rounding of (B - A) / S; exactly (B - A) div S + 1 for exact decimals. */
  double steps = exact ? (double)(diff / ms) : floor((b - a) / s + 1e-9);
  if (!(steps < (double)MAXP)) {
    tf_diags_error(L->d, w->file, w->line, col_at(w, S.begin),
                   "%s: the range has %.15g values; a sweep has at most %zu points", path,
                   steps + 1, MAXP);
    return false;
  }
  size_t n = (size_t)steps + 1;
  if (!column_values(L, out, n))
    return false;
  char unit[80] = "";
  if (has_unit(&A))
    snprintf(unit, sizeof unit, " %.*s", (int)(A.unit_end - A.unit_begin), text + A.unit_begin);
  for (size_t k = 0; k < n; k++) {
    char number[64], value[160];
    if (exact) {
      format_decimal(ma + (int64_t)k * ms, e, number, sizeof number);
    } else {
      double v = a + (double)k * s;
      if (fabs(v) < 1e-9 * s)
        v = 0; /* A + k S that should be zero but for rounding (-0.3 + 3 x 0.1) */
      snprintf(number, sizeof number, "%.15g", v);
    }
    snprintf(value, sizeof value, "%s%s", number, unit);
    if (!set_text(L, out, k, value))
      return false;
  }
  return true;
}

/* True if text looks like "A..B step S": a --sweep value that is a range, not a list. */
static bool looks_like_range(const char *text) {
  const char *dots = strstr(text, "..");
  if (!dots)
    return false;
  for (const char *p = dots + 2; (p = strstr(p, "step")) != NULL; p++)
    if (is_space(p[-1]) && (p[4] == '\0' || is_space(p[4])))
      return true;
  return false;
}

/* True if text looks like a range that forgot its step ("1..8", "1 MW..3 MW"): a number, "..",
 * and no comma. A list of one such value is almost surely that mistake. */
static bool looks_like_stepless_range(const char *t) {
  size_t i = t[0] == '+' || t[0] == '-';
  return t[i] >= '0' && t[i] <= '9' && strstr(t, "..") && !strchr(t, ',') &&
         !looks_like_range(t);
}

/* ---- the file's section ---- */

enum { SW_GRID, SW_ZIP, SW_VARIANTS, SW_RANGE, SW_REPLICATIONS, SW_N };

typedef struct sweep_raw {
  int64_t replications;
  bool has_replications;
} sweep_raw;

static const tf_schema_field sweep_fields[SW_N] = {
    [SW_GRID] = {.key = "grid", .type = TF_SCHEMA_CUSTOM,
                 .help = "PATH: [values]: every combination of these"},
    [SW_ZIP] = {.key = "zip", .type = TF_SCHEMA_CUSTOM,
                .help = "PATH: [values]: lists of equal length that advance together"},
    [SW_VARIANTS] = {.key = "variants", .type = TF_SCHEMA_CUSTOM,
                     .help = "named blocks of PATH: VALUE, one dimension"},
    [SW_RANGE] = {.key = "range", .type = TF_SCHEMA_CUSTOM,
                  .help = "PATH: START..END step STEP, with units"},
    [SW_REPLICATIONS] = {.key = "replications", .type = TF_SCHEMA_COUNT,
                         .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 1,
                         .hi_bound = TF_SCHEMA_INCLUSIVE, .hi = TF_SWEEP_MAX_POINTS,
                         .offset = offsetof(sweep_raw, replications),
                         .present = TF_SCHEMA_FLAG(sweep_raw, has_replications),
                         .help = "runs per point with different seeds, default 1"},
};
static const tf_schema sweep_schema = {"sweep", sweep_fields, SW_N};

enum { VA_NAME, VA_SET, VA_N };

typedef struct variant_raw {
  char *name;
} variant_raw;

static const tf_schema_field variant_fields[VA_N] = {
    [VA_NAME] = {.key = "name", .type = TF_SCHEMA_STRING, .required = true,
                 .offset = offsetof(variant_raw, name), .help = "the variant's name in results"},
    [VA_SET] = {.key = "set", .type = TF_SCHEMA_CUSTOM, .required = true,
                .help = "PATH: VALUE pairs applied as --set"},
};
static const tf_schema variant_schema = {"variant", variant_fields, VA_N};

/* Checks that m (the value of section, e.g. "sweep.grid") is a mapping; null is an empty one. */
static bool want_mapping(loader *L, const tf_ytree_node *m, const char *section,
                         const char *want) {
  if (m->kind == TF_YTREE_MAPPING || tf_ytree_is_null(m))
    return m->kind == TF_YTREE_MAPPING;
  tf_diags_error(L->d, m->file, m->line, m->col, "%s: expected a mapping of %s, got %s", section,
                 want, tf_ytree_kind_noun(m));
  return false;
}

/* `PATH: [values]` of grid or zip into a new axis of *list. */
static void read_list_axis(loader *L, const char *section, const tf_ytree_node *key,
                           const tf_ytree_node *v, column **list, size_t *n, size_t *cap) {
  char prefix[64];
  snprintf(prefix, sizeof prefix, "%s: ", section);
  column *a = new_column(L, list, n, cap);
  if (!a)
    return;
  if (!column_path(L, a, key->text, key->len, prefix, key->file, key->line, key->col)) {
    column_fini(a);
    (*n)--;
    return;
  }
  bool ok = true;
  if (v->kind != TF_YTREE_SEQUENCE) {
    const char *hint = v->kind == TF_YTREE_SCALAR && looks_like_range(v->text)
                           ? " (a range goes under sweep.range)"
                           : "";
    tf_diags_error(L->d, v->file, v->line, v->col,
                   "%s.%s: expected a list of values such as [1, 2, 4], got %s%s", section,
                   key->text, tf_ytree_kind_noun(v), hint);
    ok = false;
  } else if (v->n == 0) {
    tf_diags_error(L->d, v->file, v->line, v->col,
                   "%s.%s: empty list: an axis needs at least one value", section, key->text);
    ok = false;
  }
  if (ok && column_values(L, a, v->n))
    for (size_t i = 0; ok && i < v->n; i++)
      ok = set_value(L, a, i, v->items[i]);
  else
    ok = false;
  if (!ok) {
    column_fini(a);
    (*n)--;
  }
}

static void read_grid(loader *L, const tf_ytree_node *m) {
  if (!want_mapping(L, m, "sweep.grid", "PATH: [values]"))
    return;
  for (size_t i = 0; i < m->n && !L->rc; i++)
    read_list_axis(L, "sweep.grid", m->keys[i], m->items[i], &L->axes, &L->n_axes, &L->cap_axes);
}

static void read_ranges(loader *L, const tf_ytree_node *m) {
  if (!want_mapping(L, m, "sweep.range", "PATH: START..END step STEP"))
    return;
  for (size_t i = 0; i < m->n && !L->rc; i++) {
    const tf_ytree_node *key = m->keys[i], *v = m->items[i];
    column *a = new_column(L, &L->axes, &L->n_axes, &L->cap_axes);
    if (!a)
      return;
    char path[300];
    snprintf(path, sizeof path, "sweep.range.%s", key->text);
    bool ok = column_path(L, a, key->text, key->len, "sweep.range: ", key->file, key->line,
                        key->col);
    if (ok && !tf_schema_scalar(v, path, "a range such as \"1 MW..3 MW step 0.5 MW\"", L->d))
      ok = false;
    if (ok) {
      where w = {v->file, v->line, v->col, v->text_col};
      ok = parse_range(L, v->text, path, &w, a);
    }
    if (!ok) {
      column_fini(a);
      L->n_axes--;
    }
  }
}

static void read_zip(loader *L, const tf_ytree_node *m) {
  if (!want_mapping(L, m, "sweep.zip", "PATH: [values]"))
    return;
  for (size_t i = 0; i < m->n && !L->rc; i++)
    read_list_axis(L, "sweep.zip", m->keys[i], m->items[i], &L->zip, &L->n_zip, &L->cap_zip);
  for (size_t i = 1; i < L->n_zip; i++)
    if (L->zip[i].n != L->zip[0].n) {
      tf_diags_error(L->d, L->zip[i].file, L->zip[i].line, L->zip[i].col,
                     "sweep.zip.%s: %zu value%s, but sweep.zip.%s has %zu: zipped lists advance "
                     "together and need equal lengths",
                     L->zip[i].path, L->zip[i].n, L->zip[i].n == 1 ? "" : "s", L->zip[0].path,
                     L->zip[0].n);
    }
}

/* One variant's `set:` mapping into v->sets, recording its keys for the PATH check. */
static void read_variant_sets(loader *L, const tf_ytree_node *m, const char *where_name,
                              variant *v, size_t index) {
  char section[80];
  snprintf(section, sizeof section, "%s.set", where_name);
  if (m->kind != TF_YTREE_MAPPING) {
    tf_diags_error(L->d, m->file, m->line, m->col,
                   "%s: expected a mapping of PATH: VALUE such as {serving.tp: 8}, got %s",
                   section, tf_ytree_kind_noun(m));
    return;
  }
  v->sets = calloc(m->n ? m->n : 1, sizeof *v->sets);
  if (!v->sets) {
    nomem(L);
    return;
  }
  for (size_t i = 0; i < m->n && !L->rc; i++) {
    const tf_ytree_node *key = m->keys[i];
    char *norm;
    int rc = normal_path(key->text, key->len, &norm);
    if (rc == 1) {
      tf_diags_error(L->d, key->file, key->line, key->col,
                     "%s: \"%s\" is not a path such as serving.tp or hardware[0].count", section,
                     key->text);
      continue;
    }
    vkey *vkeys = rc ? NULL : grown(L->vkeys, &L->cap_vkeys, L->n_vkeys, sizeof *L->vkeys);
    if (!vkeys) {
      free(norm);
      nomem(L);
      return;
    }
    L->vkeys = vkeys;
    L->vkeys[L->n_vkeys++] = (vkey){norm, key, index};
    sbuf b = {0};
    sb_putn(&b, key->text, key->len);
    sb_putn(&b, "=", 1);
    emit_node(&b, m->items[i]);
    if (!(v->sets[v->n_sets++] = sb_take(&b))) {
      v->n_sets--;
      nomem(L);
      return;
    }
  }
}

static void read_variants(loader *L, const tf_ytree_node *list) {
  L->variants_at = list;
  if (tf_ytree_is_null(list))
    return;
  if (list->kind != TF_YTREE_SEQUENCE) {
    tf_diags_error(L->d, list->file, list->line, list->col,
                   "sweep.variants: expected a list of {name: NAME, set: {PATH: VALUE, ...}}, "
                   "got %s",
                   tf_ytree_kind_noun(list));
    return;
  }
  if (list->n == 0) {
    tf_diags_error(L->d, list->file, list->line, list->col,
                   "sweep.variants: empty list: an axis needs at least one value");
    return;
  }
  L->variants = calloc(list->n, sizeof *L->variants);
  const tf_ytree_node **names = calloc(list->n, sizeof *names);
  if (!L->variants || !names) {
    free(names);
    nomem(L);
    return;
  }
  for (size_t i = 0; i < list->n && !L->rc; i++) {
    const tf_ytree_node *item = list->items[i];
    char path[48];
    snprintf(path, sizeof path, "sweep.variants[%zu]", i);
    variant_raw raw = {0};
    const tf_ytree_node *at[VA_N];
    tf_schema_apply(&variant_schema, item, path, &raw, at, L->d);
    variant *v = &L->variants[L->n_variants++];
    v->name = raw.name;
    if (v->name) {
      names[i] = at[VA_NAME];
      for (size_t j = 0; j < i; j++)
        if (names[j] && strcmp(L->variants[j].name, v->name) == 0) {
          tf_diags_error(L->d, at[VA_NAME]->file, at[VA_NAME]->line, at[VA_NAME]->col,
                         "%s.name: duplicate variant name \"%s\" (first given at line %d, column "
                         "%d)",
                         path, v->name, names[j]->line, names[j]->col);
          break;
        }
    }
    if (at[VA_SET])
      read_variant_sets(L, at[VA_SET], path, v, i);
  }
  free(names);
}

static void read_section(loader *L, const tf_ytree_node *node, int64_t *replications) {
  sweep_raw raw = {0};
  const tf_ytree_node *at[SW_N];
  tf_schema_apply(&sweep_schema, node, "sweep", &raw, at, L->d);
  if (raw.has_replications)
    *replications = raw.replications;
  if (node->kind != TF_YTREE_MAPPING)
    return;
  if (at[SW_VARIANTS])
    read_variants(L, at[SW_VARIANTS]);
  /* grid and range axes in the order the two sections are written */
  for (size_t i = 0; i < node->n && !L->rc; i++) {
    if (node->items[i] == at[SW_GRID])
      read_grid(L, node->items[i]);
    else if (node->items[i] == at[SW_RANGE])
      read_ranges(L, node->items[i]);
  }
  if (at[SW_ZIP] && !L->rc)
    read_zip(L, at[SW_ZIP]);
}

/* ---- --sweep ---- */

/* Splits arg[b, e) at commas outside {...}, [...] and quotes, and stores each piece, parsed as
 * YAML, as a value of a: a first pass counts the pieces, a second parses them. */
static void read_cli_list(loader *L, const char *arg, size_t b, size_t e, column *a, bool *ok) {
  size_t n = 0;
  for (int pass = 0; pass < 2 && *ok; pass++) {
    if (pass == 1 && !column_values(L, a, n)) {
      *ok = false;
      return;
    }
    size_t k = 0, begin = b;
    int depth = 0;
    char quote = 0;
    for (size_t i = b; i <= e; i++) {
      char c = i < e ? arg[i] : ',';
      if (i < e && quote) {
        if (quote == '"' && c == '\\' && i + 1 < e)
          i++;
        else if (c == quote)
          quote = 0;
        continue;
      }
      if (i < e && (c == '"' || c == '\'')) {
        quote = c;
        continue;
      }
      if (c == '{' || c == '[')
        depth++;
      else if ((c == '}' || c == ']') && depth > 0)
        depth--;
      if (c != ',' || (i < e && depth > 0))
        continue;
      if (pass == 1) {
        size_t s = begin, t = i;
        while (s < t && is_space(arg[s]))
          s++;
        while (t > s && is_space(arg[t - 1]))
          t--;
        tf_ytree_node *v = NULL;
        int rc = s == t ? 0 : tf_ytree_parse(arg + s, t - s, CLI, (int)s, &v, L->d);
        if (rc == TF_ENOMEM) {
          nomem(L);
          *ok = false;
          return;
        }
        if (rc == 0 && !v) {
          tf_diags_error(L->d, CLI, 1, (int)s + 1, "%s: empty value %zu in the list", a->path,
                         k + 1);
          *ok = false;
        } else if (rc) {
          *ok = false;
        } else if (!set_value(L, a, k, v)) {
          *ok = false;
        }
        tf_ytree_free(v);
      }
      k++;
      begin = i + 1;
    }
    n = k;
  }
}

static void read_cli(loader *L, const char *arg, size_t index) {
  column *a = new_column(L, &L->axes, &L->n_axes, &L->cap_axes);
  if (!a)
    return;
  a->cli_index = index;
  const char *eq = strchr(arg, '=');
  bool ok = false;
  if (!eq) {
    tf_diags_error(L->d, CLI, 1, 1,
                   "expected PATH=V1,V2,... or PATH=START..END step STEP, as in serving.tp=1,2,4; "
                   "got \"%s\"",
                   arg);
  } else if (column_path(L, a, arg, (size_t)(eq - arg), "", CLI, 1, 1)) {
    size_t b = (size_t)(eq - arg) + 1, e = strlen(arg);
    while (b < e && is_space(arg[b]))
      b++;
    ok = true;
    if (b == e) {
      tf_diags_error(L->d, CLI, 1, (int)b + 1, "%s: no values after \"=\"", a->path);
      ok = false;
    } else if (looks_like_stepless_range(arg + b)) {
      tf_diags_error(L->d, CLI, 1, (int)b + 1,
                     "%s: a range needs a step: START..END step STEP, as in \"1..8 step 1\"; "
                     "got \"%s\"",
                     a->path, arg + b);
      ok = false;
    } else if (looks_like_range(arg + b)) {
      where w = {CLI, 1, 1, (int)b + 1};
      ok = parse_range(L, arg + b, a->path, &w, a);
    } else {
      read_cli_list(L, arg, b, e, a, &ok);
    }
  }
  if (!ok) {
    column_fini(a);
    L->n_axes--;
  }
}

/* ---- checks across axes ---- */

static void describe(const column *a, char *buf, size_t size) {
  if (a->cli_index)
    snprintf(buf, size, "--sweep argument %zu", a->cli_index);
  else
    snprintf(buf, size, "%s:%d:%d", a->file, a->line, a->col);
}

/* A PATH set by two axes (or by the variants and an axis) would have one value silently win. */
static void check_paths(loader *L) {
  /* in expansion order: the variants' keys, grid/range/--sweep axes, zip */
  for (size_t i = 0; i < L->n_axes + L->n_zip; i++) {
    const column *a = i < L->n_axes ? &L->axes[i] : &L->zip[i - L->n_axes];
    char there[300];
    bool reported = false;
    for (size_t k = 0; k < L->n_vkeys && !reported; k++)
      if (strcmp(L->vkeys[k].norm, a->norm) == 0) {
        const tf_ytree_node *key = L->vkeys[k].key;
        tf_diags_error(L->d, a->file, a->line, a->col,
                       "\"%s\" is swept twice: variant \"%s\" sets it too (at %s:%d:%d)", a->path,
                       L->variants[L->vkeys[k].variant].name
                           ? L->variants[L->vkeys[k].variant].name
                           : "?",
                       key->file, key->line, key->col);
        reported = true;
      }
    for (size_t j = 0; j < i && !reported; j++) {
      const column *b = j < L->n_axes ? &L->axes[j] : &L->zip[j - L->n_axes];
      if (strcmp(a->norm, b->norm) == 0) {
        describe(b, there, sizeof there);
        tf_diags_error(L->d, a->file, a->line, a->col, "\"%s\" is swept twice: also at %s",
                       a->path, there);
        reported = true;
      }
    }
  }
}

/* ---- assembly ---- */

static int build_canonical(tf_sweep *s) {
  sbuf b = {0};
  sb_printf(&b, "tokenfab sweep 1\npoints %zu\nreplications %zu\n", s->points, s->replications);
  for (size_t d = 0; d < s->n_dims; d++) {
    const dim *m = &s->dims[d];
    sb_printf(&b, "dimension %zu: %zu values\n", d + 1, m->n);
    if (m->variant) {
      for (size_t v = 0; v < s->n_variants; v++) {
        sb_puts(&b, "  variant ");
        emit_text(&b, s->variants[v].name, strlen(s->variants[v].name));
        sb_puts(&b, "\n");
        for (size_t k = 0; k < s->variants[v].n_sets; k++)
          sb_printf(&b, "    set %s\n", s->variants[v].sets[k]);
      }
      continue;
    }
    for (size_t c = m->first; c < m->first + m->n_cols; c++) {
      sb_printf(&b, "  axis %s\n", s->cols[c].path);
      for (size_t i = 0; i < m->n; i++)
        sb_printf(&b, "    value %s\n", s->cols[c].texts[i]);
    }
  }
  s->canonical = sb_take(&b);
  return s->canonical ? 0 : TF_FAIL(TF_ENOMEM, "sweep");
}

/* Checks the product of the dimensions against TF_SWEEP_MAX_POINTS (reported at the axis that
 * passes it) and moves the loader's axes and variants into a new sweep. */
static int assemble(loader *L, size_t replications, tf_sweep **out) {
  assert(replications >= 1 && replications <= MAXP);
  for (size_t i = 1; i < L->n_zip; i++)
    assert(L->zip[i].n == L->zip[0].n); /* else read_zip reported it and we are not here */
  size_t n_dims = (L->n_variants > 0) + L->n_axes + (L->n_zip > 0);
  size_t points = 1;
  for (size_t d = 0; d < n_dims; d++) {
    size_t n;
    const char *file;
    int line, col;
    if (d == 0 && L->n_variants) {
      n = L->n_variants;
      file = L->variants_at->file;
      line = L->variants_at->line;
      col = L->variants_at->col;
    } else {
      size_t i = d - (L->n_variants > 0);
      const column *a = i < L->n_axes ? &L->axes[i] : &L->zip[0];
      n = a->n;
      file = a->file;
      line = a->line;
      col = a->col;
    }
    if (points > MAXP / n) {
      tf_diags_error(L->d, file, line, col,
                     "the sweep has more than %zu points with this axis's %zu values (%zu before "
                     "it)",
                     MAXP, n, points);
      return TF_FAIL(TF_EPARSE, "sweep: more than %zu points", MAXP);
    }
    points *= n;
  }
  tf_sweep *s = calloc(1, sizeof *s);
  if (!s)
    return TF_FAIL(TF_ENOMEM, "sweep");
  size_t n_cols = (L->n_variants > 0) + L->n_axes + L->n_zip;
  s->dims = calloc(n_dims ? n_dims : 1, sizeof *s->dims);
  s->cols = calloc(n_cols ? n_cols : 1, sizeof *s->cols);
  if (!s->dims || !s->cols) {
    tf_sweep_free(s);
    return TF_FAIL(TF_ENOMEM, "sweep");
  }
  s->points = points;
  s->replications = replications;
  if (L->n_variants) {
    column *c = &s->cols[s->n_cols++];
    c->path = dup_n("variant", 7);
    c->labels = calloc(L->n_variants, sizeof *c->labels);
    if (c->path && c->labels)
      for (size_t v = 0; v < L->n_variants; v++, c->n++)
        if (!(c->labels[v] = dup_n(L->variants[v].name, strlen(L->variants[v].name))))
          break;
    s->variants = L->variants;
    s->n_variants = L->n_variants;
    L->variants = NULL;
    L->n_variants = 0;
    s->dims[s->n_dims++] = (dim){.n = s->n_variants, .first = 0, .n_cols = 1, .variant = true};
    if (!c->path || !c->labels || c->n < s->n_variants) {
      tf_sweep_free(s);
      return TF_FAIL(TF_ENOMEM, "sweep");
    }
  }
  for (size_t i = 0; i < L->n_axes; i++) {
    s->dims[s->n_dims++] = (dim){.n = L->axes[i].n, .first = s->n_cols, .n_cols = 1};
    s->cols[s->n_cols++] = L->axes[i];
  }
  L->n_axes = 0;
  if (L->n_zip) {
    s->dims[s->n_dims++] = (dim){.n = L->zip[0].n, .first = s->n_cols, .n_cols = L->n_zip};
    for (size_t i = 0; i < L->n_zip; i++)
      s->cols[s->n_cols++] = L->zip[i];
  }
  L->n_zip = 0;
  size_t stride = 1;
  for (size_t d = s->n_dims; d-- > 0;) {
    s->dims[d].stride = stride;
    stride *= s->dims[d].n;
    for (size_t c = s->dims[d].first; c < s->dims[d].first + s->dims[d].n_cols; c++) {
      s->cols[c].dim = d;
      s->cols[c].file = NULL; /* pointed into the tree, which is about to go */
    }
  }
  int rc = build_canonical(s);
  if (rc) {
    tf_sweep_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

static void loader_fini(loader *L) {
  for (size_t i = 0; i < L->n_axes; i++)
    column_fini(&L->axes[i]);
  for (size_t i = 0; i < L->n_zip; i++)
    column_fini(&L->zip[i]);
  for (size_t i = 0; i < L->n_variants; i++)
    variant_fini(&L->variants[i]);
  for (size_t i = 0; i < L->n_vkeys; i++)
    free(L->vkeys[i].norm);
  free(L->axes);
  free(L->zip);
  free(L->variants);
  free(L->vkeys);
}

int tf_sweep_load(const char *scenario_path, const char *const *cli_axes, size_t n_cli_axes,
                  int64_t replications, tf_sweep **out, tf_diags *d) {
  assert(out && d && (cli_axes || n_cli_axes == 0));
  *out = NULL;
  size_t errors_before = tf_diags_error_count(d);
  loader L = {.d = d};
  char *text = NULL;
  size_t len = 0;
  tf_ytree_node *root = NULL;
  int rc = 0;
  int64_t reps = 1;
  if (scenario_path) {
    rc = tf_ytree_read_file(scenario_path, &text, &len);
    if (rc == TF_EIO)
      tf_diags_error(d, scenario_path, 0, 0, "cannot open: %s", strerror(errno));
    if (rc == 0)
      rc = tf_ytree_parse(text, len, scenario_path, 0, &root, d);
    const tf_ytree_node *section = tf_ytree_get(root, "sweep");
    if (rc == 0 && section)
      read_section(&L, section, &reps);
  }
  if (rc == TF_ENOMEM || L.rc)
    goto done;
  for (size_t i = 0; i < n_cli_axes && !L.rc; i++)
    read_cli(&L, cli_axes[i], i + 1);
  if (replications < 0 || replications > TF_SWEEP_MAX_POINTS)
    tf_diags_error(d, "--replications", 0, 0, "expected a count from 1 to %d, got %lld",
                   TF_SWEEP_MAX_POINTS, (long long)replications);
  else if (replications > 0)
    reps = replications;
  if (!L.rc)
    check_paths(&L);
  if (rc == 0 && L.rc == 0 && tf_diags_error_count(d) == errors_before)
    rc = assemble(&L, (size_t)reps, out);
done:
  if (rc == 0 && L.rc)
    rc = L.rc;
  if (rc == 0 && tf_diags_nomem(d))
    rc = TF_FAIL(TF_ENOMEM, "diagnostics");
  if (rc == 0 && tf_diags_error_count(d) > errors_before)
    rc = TF_FAIL(TF_EPARSE, "sweep: %zu errors", tf_diags_error_count(d) - errors_before);
  if (rc) {
    tf_sweep_free(*out);
    *out = NULL;
  }
  loader_fini(&L);
  tf_ytree_free(root);
  free(text);
  return rc;
}

/* ---- reading a sweep ---- */

size_t tf_sweep_points(const tf_sweep *s) { return s->points; }

size_t tf_sweep_replications(const tf_sweep *s) { return s->replications; }

size_t tf_sweep_axes(const tf_sweep *s) { return s->n_cols; }

const char *tf_sweep_axis_name(const tf_sweep *s, size_t axis) {
  assert(axis < s->n_cols);
  return s->cols[axis].path;
}

static size_t value_index(const tf_sweep *s, size_t p, size_t dim_index) {
  const dim *m = &s->dims[dim_index];
  return p / m->stride % m->n;
}

const char *tf_sweep_label(const tf_sweep *s, size_t p, size_t axis) {
  assert(p < s->points && axis < s->n_cols);
  const column *c = &s->cols[axis];
  return c->labels[value_index(s, p, c->dim)];
}

void tf_sweep_sets_free(char **sets, size_t n) {
  if (!sets)
    return;
  for (size_t i = 0; i < n; i++)
    free(sets[i]);
  free(sets);
}

int tf_sweep_sets(const tf_sweep *s, size_t p, char ***sets, size_t *n) {
  assert(s && p < s->points && sets && n);
  *sets = NULL;
  *n = 0;
  size_t total = 0;
  for (size_t d = 0; d < s->n_dims; d++)
    total += s->dims[d].variant ? s->variants[value_index(s, p, d)].n_sets : s->dims[d].n_cols;
  if (total == 0)
    return 0;
  char **out = calloc(total, sizeof *out);
  if (!out)
    return TF_FAIL(TF_ENOMEM, "sweep sets");
  size_t k = 0;
  for (size_t d = 0; d < s->n_dims; d++) {
    const dim *m = &s->dims[d];
    size_t i = value_index(s, p, d);
    if (m->variant) {
      const variant *v = &s->variants[i];
      for (size_t j = 0; j < v->n_sets; j++) {
        if (!(out[k] = dup_n(v->sets[j], strlen(v->sets[j]))))
          goto oom;
        k++;
      }
      continue;
    }
    for (size_t c = m->first; c < m->first + m->n_cols; c++) {
      sbuf b = {0};
      sb_printf(&b, "%s=%s", s->cols[c].path, s->cols[c].texts[i]);
      if (!(out[k] = sb_take(&b)))
        goto oom;
      k++;
    }
  }
  assert(k == total);
  *sets = out;
  *n = total;
  return 0;
oom:
  tf_sweep_sets_free(out, k);
  return TF_FAIL(TF_ENOMEM, "sweep sets");
}

const char *tf_sweep_canonical(const tf_sweep *s) { return s->canonical; }

/* splitmix64's output function applied to z + its golden-ratio increment (Steele, Lea and Flood,
 * "Fast splittable pseudorandom number generators", OOPSLA 2014; constants from Vigna's
 * splitmix64.c). A bijection of 64-bit integers. */
static uint64_t splitmix64(uint64_t z) {
  z += UINT64_C(0x9E3779B97F4A7C15);
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

uint64_t tf_sweep_seed(uint64_t master_seed, uint64_t point, uint64_t replication) {
  return splitmix64(splitmix64(splitmix64(master_seed) ^ point) ^ replication);
}
