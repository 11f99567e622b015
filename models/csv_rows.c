#include "csv_rows.h"

#include <assert.h>
#include <csv.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"

void tf_csv_problem(tf_csv_rows *rd, int line, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (rd->problems == 0) {
    memcpy(rd->first_problem, msg, sizeof msg);
    rd->first_line = line;
  }
  rd->problems++;
  if (rd->problems <= rd->max_reported && rd->report)
    rd->report(rd->ctx, rd->path, line, msg);
}

/* Field text for a message: at most 48 bytes, non-printable bytes as '?', "..." if cut. */
const char *tf_csv_show(char *dst, size_t size, const char *s, size_t n) {
  assert(size > 4);
  size_t keep = n < 48 ? n : 48, j = 0;
  for (size_t i = 0; i < keep && j + 4 < size; i++)
    dst[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
  if (keep < n && j + 4 <= size) {
    memcpy(dst + j, "...", 3);
    j += 3;
  }
  dst[j] = '\0';
  return dst;
}

int tf_grow_array(void **p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap)
    return 0;
  size_t n = *cap ? *cap : 16;
  while (n < need) {
    if (n > SIZE_MAX / 2 / elem)
      return TF_ENOMEM;
    n *= 2;
  }
  void *q = realloc(*p, n * elem);
  if (!q)
    return TF_ENOMEM;
  *p = q;
  *cap = n;
  return 0;
}

static void csv_on_field(void *s, size_t n, void *data) {
  tf_csv_rows *rd = data;
  if (rd->nomem || rd->stop)
    return;
  size_t fcap = rd->fields_cap;
  if (tf_grow_array((void **)&rd->at, &fcap, rd->n_fields + 1, sizeof *rd->at) ||
      tf_grow_array((void **)&rd->len, &rd->fields_cap, rd->n_fields + 1, sizeof *rd->len) ||
      (rd->buf_len > SIZE_MAX - n - 1) ||
      tf_grow_array((void **)&rd->buf, &rd->buf_cap, rd->buf_len + n + 1, 1)) {
    rd->nomem = 1;
    return;
  }
  rd->at[rd->n_fields] = rd->buf_len;
  rd->len[rd->n_fields] = n;
  if (n)
    memcpy(rd->buf + rd->buf_len, s, n);
  rd->buf[rd->buf_len + n] = '\0';
  rd->buf_len += n + 1;
  rd->n_fields++;
}

static void csv_reset_row(tf_csv_rows *rd) {
  rd->n_fields = 0;
  rd->buf_len = 0;
  rd->in_row = 0;
}

static void csv_on_row(int c, void *data) {
  (void)c;
  tf_csv_rows *rd = data;
  if (!rd->nomem && !rd->stop) {
    if (!rd->header_done) {
      rd->header_done = 1;
      if (rd->on_header(rd))
        rd->stop = 1;
    } else {
      rd->on_row(rd);
    }
  }
  csv_reset_row(rd);
}

const char *tf_csv_field(const tf_csv_rows *rd, size_t i, size_t *n) {
  assert(i < rd->n_fields);
  *n = rd->len[i];
  return rd->buf + rd->at[i];
}

int tf_csv_is_blank(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
      return 0;
  return 1;
}

/* Reads the whole file. 0, TF_EIO (cannot open or read, reported) or TF_ENOMEM; problems in the
 * contents are counted in rd->problems for the caller to turn into TF_EPARSE. */
int tf_csv_read(tf_csv_rows *rd) {
  FILE *f = fopen(rd->path, "rb");
  if (!f) {
    tf_csv_problem(rd, 0, "cannot open: %s", strerror(errno));
    return TF_EIO;
  }
  /* Strict: a quote inside an unquoted field, or text after a closing quote, is an error rather
   * than silently kept; an unterminated quote at the end of the file too. */
  const unsigned char opts = CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL;
  struct csv_parser p;
  if (csv_init(&p, opts) != 0) {
    fclose(f);
    return TF_ENOMEM;
  }
  int rc = 0;
  char *line = NULL;
  size_t line_cap = 0;
  ssize_t got;
  while (!rd->stop && (got = getline(&line, &line_cap, f)) != -1) {
    const char *s = line;
    size_t n = (size_t)got;
    if (rd->line < INT_MAX)
      rd->line++;
    if (rd->line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
      s += 3; /* a UTF-8 byte-order mark, as spreadsheets write */
      n -= 3;
    }
    if (!rd->in_row && !tf_csv_is_blank(s, n)) {
      rd->in_row = 1;
      rd->row_line = rd->line;
    }
    size_t used = csv_parse(&p, s, n, csv_on_field, csv_on_row, rd);
    if (rd->nomem)
      break;
    if (used != n) {
      if (csv_error(&p) != CSV_EPARSE) {
        rd->nomem = 1;
        break;
      }
      tf_csv_problem(rd, rd->row_line,
                  "misplaced quote (expected a quoted field to be quoted whole, as in "
                  "\"a,b\", with \"\" for a quote inside)");
      /* Start afresh on the next line; a broken header leaves nothing to read rows by. */
      csv_free(&p);
      if (csv_init(&p, opts) != 0) {
        rd->nomem = 1;
        break;
      }
      csv_reset_row(rd);
      if (!rd->header_done)
        rd->stop = 1;
    }
  }
  if (ferror(f)) {
    tf_csv_problem(rd, 0, "cannot read: %s", strerror(errno));
    rc = TF_EIO;
  } else if (!rd->nomem && !rd->stop) {
    if (csv_fini(&p, csv_on_field, csv_on_row, rd) != 0 && csv_error(&p) == CSV_EPARSE)
      tf_csv_problem(rd, rd->row_line, "unterminated quoted field (expected a closing \")");
    if (!rd->header_done && !rd->nomem && rd->problems == 0)
      tf_csv_problem(rd, 0, "empty file (expected a header row: %s)", rd->expect_header);
  }
  csv_free(&p);
  free(line);
  fclose(f);
  if (rd->nomem)
    rc = TF_ENOMEM;
  return rc;
}

void tf_csv_rows_fini(tf_csv_rows *rd) {
  free(rd->buf);
  free(rd->at);
  free(rd->len);
}

/* The end of a load: the "... and N more" line, and the return code. */
int tf_csv_finish(tf_csv_rows *rd, int rc) {
  if (rd->problems > rd->max_reported && rd->report) {
    char msg[64];
    snprintf(msg, sizeof msg, "... and %zu more errors", rd->problems - rd->max_reported);
    rd->report(rd->ctx, rd->path, 0, msg);
  }
  if (rc == TF_ENOMEM)
    return TF_FAIL(TF_ENOMEM, "%s: out of memory while reading", rd->path);
  if (rc == 0 && rd->problems == 0)
    return 0;
  /* The first problem as the failure's context: a caller without a report function still has
   * the sentence to show. */
  char more[48] = "";
  if (rd->problems > 1)
    snprintf(more, sizeof more, " (and %zu more errors)", rd->problems - 1);
  if (rd->first_line > 0)
    return TF_FAIL(rc ? rc : TF_EPARSE, "%s:%d: %s%s", rd->path, rd->first_line, rd->first_problem,
                   more);
  return TF_FAIL(rc ? rc : TF_EPARSE, "%s: %s%s", rd->path, rd->first_problem, more);
}

/* A header's columns joined by commas, for messages ("..." once it would pass size). */
const char *tf_csv_header_text(const tf_csv_rows *rd, char *dst, size_t size) {
  assert(size >= 4);
  size_t j = 0;
  dst[0] = '\0';
  for (size_t i = 0; i < rd->n_fields; i++) {
    size_t n;
    const char *s = tf_csv_field(rd, i, &n);
    char part[64];
    size_t w = strlen(tf_csv_show(part, sizeof part, s, n));
    if (j + w + 1 + 4 > size) {
      memcpy(dst + j, "...", 4);
      break;
    }
    if (i)
      dst[j++] = ',';
    memcpy(dst + j, part, w + 1);
    j += w;
  }
  return dst;
}

/* Finds the columns named in names[0..n) in the header into col[] (SIZE_MAX where missing).
 * Reports a column named twice. Returns the number of problems. */
int tf_csv_find_columns(tf_csv_rows *rd, const char *const *names, size_t *col, size_t n) {
  int bad = 0;
  for (size_t k = 0; k < n; k++) {
    col[k] = SIZE_MAX;
    for (size_t i = 0; i < rd->n_fields; i++) {
      size_t len;
      const char *s = tf_csv_field(rd, i, &len);
      if (len != strlen(names[k]) || memcmp(s, names[k], len) != 0)
        continue;
      if (col[k] == SIZE_MAX) {
        col[k] = i;
      } else {
        tf_csv_problem(rd, rd->row_line,
                    "column \"%s\" appears twice, as columns %zu and %zu (expected each column "
                    "once)",
                    names[k], col[k] + 1, i + 1);
        bad++;
      }
    }
  }
  return bad;
}

/* Reports a missing column, pointing out a name that differs only in case. */
void tf_csv_missing_column(tf_csv_rows *rd, const char *name, const char *layout) {
  char hdr[160];
  for (size_t i = 0; i < rd->n_fields; i++) {
    size_t len;
    const char *s = tf_csv_field(rd, i, &len);
    if (len == strlen(name) && strcasecmp(s, name) == 0) {
      tf_csv_problem(rd, rd->row_line,
                  "missing column \"%s\" (expected %s; column %zu is \"%s\" but names are "
                  "case-sensitive)",
                  name, layout, i + 1, s);
      return;
    }
  }
  tf_csv_problem(rd, rd->row_line, "missing column \"%s\" (expected %s; the header is %s)", name,
              layout, tf_csv_header_text(rd, hdr, sizeof hdr));
}

