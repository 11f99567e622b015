/* Reading a CSV file row by row with every problem located (file:line), for the loaders of
 * traffic traces and histograms (models/traffic.c) and of calibration measurements
 * (calibration/measurements.c). One pass with libcsv, fed a physical line at a time so that
 * every row knows the line it starts on. The first row is the header (on_header), the others
 * data (on_row). Problems are counted, the first max_reported passed to report, the first kept
 * for TF_FAIL. Memory: the current row's fields and one line, whatever the file's length. */
#ifndef TF_CSV_ROWS_H
#define TF_CSV_ROWS_H

#include <stddef.h>

/* Called for each reported problem: file, its line (0: the whole file) and the sentence. */
typedef void (*tf_csv_report_fn)(void *ctx, const char *file, int line, const char *msg);

/* The caller sets path, report, ctx, max_reported, expect_header, on_header, on_row and user,
 * and zeroes the rest; the callbacks read the current row with tf_csv_field. */
typedef struct tf_csv_rows tf_csv_rows;
struct tf_csv_rows {
  const char *path;
  tf_csv_report_fn report;
  void *ctx;
  size_t max_reported;              /* problems passed to report; the rest are counted */
  const char *expect_header;        /* for "empty file (expected ...)" */
  int (*on_header)(tf_csv_rows *rd); /* 0, or nonzero to stop reading (problems reported) */
  void (*on_row)(tf_csv_rows *rd);
  void *user;

  size_t problems;
  char first_problem[512]; /* the first problem's message, and its line */
  int first_line;
  int line;     /* physical line being parsed, from 1 */
  int row_line; /* line the current row starts on */
  int in_row;   /* a row has started and not ended */
  int header_done, stop, nomem;

  /* The current row: fields packed NUL-terminated in buf, field i at buf + at[i], len[i] bytes. */
  char *buf;
  size_t buf_len, buf_cap;
  size_t *at, *len;
  size_t n_fields, fields_cap;
};

/* Reads the whole file. 0, TF_EIO (cannot open or read, reported) or TF_ENOMEM; problems in the
 * contents are counted in rd->problems for the caller to turn into TF_EPARSE (tf_csv_finish). */
int tf_csv_read(tf_csv_rows *rd);
/* The end of one file: the "... and N more errors" line, and the return code for rc (the
 * tf_csv_read result): 0, TF_EIO, TF_EPARSE or TF_ENOMEM, the first problem as the TF_FAIL
 * context so that a caller without a report function still has the sentence. */
int tf_csv_finish(tf_csv_rows *rd, int rc);
void tf_csv_rows_fini(tf_csv_rows *rd);

/* Counts and reports a problem at line (0: the whole file). */
void tf_csv_problem(tf_csv_rows *rd, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Field i of the current row (i < n_fields): its text, NUL-terminated at *n bytes. */
const char *tf_csv_field(const tf_csv_rows *rd, size_t i, size_t *n);
/* Field text for a message: at most 48 bytes, non-printable bytes as '?', "..." if cut. */
const char *tf_csv_show(char *dst, size_t size, const char *s, size_t n);
/* Whether s[0..n) is only spaces, tabs and line ends. */
int tf_csv_is_blank(const char *s, size_t n);
/* The current (header) row's columns joined by commas, for messages ("..." once it would pass
 * size). */
const char *tf_csv_header_text(const tf_csv_rows *rd, char *dst, size_t size);
/* Finds the columns named in names[0..n) in the header into col[] (SIZE_MAX where missing).
 * Reports a column named twice. Returns the number of problems. */
int tf_csv_find_columns(tf_csv_rows *rd, const char *const *names, size_t *col, size_t n);
/* Reports a missing column, pointing out a name that differs only in case. */
void tf_csv_missing_column(tf_csv_rows *rd, const char *name, const char *layout);

/* Grows the array *p of *cap elements of elem bytes to hold need (doubling, from 16). 0 or
 * TF_ENOMEM (*p untouched). */
int tf_grow_array(void **p, size_t *cap, size_t need, size_t elem);

#endif
