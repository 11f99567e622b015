/* csv_tool: reads CSV files with libcsv for the end-to-end tests.
 *
 *   csv_tool get FILE ROW COLUMN   prints the cell of data row ROW (1 = the first after the
 *                                  header) in the column named COLUMN
 *   csv_tool compare A B           exit 0 when B holds A's values: the same shape and header,
 *                                  numbers equal to 1e-14 relative, text equal (a text cell of A
 *                                  that starts with an apostrophe, a neutralised formula, equals
 *                                  B's cell without it: a spreadsheet reads the apostrophe as
 *                                  "this is text"; an ISO 8601 timestamp equals a
 *                                  spreadsheet's date with the same digits)
 * Exit 1 with a message on a difference, 2 on bad usage or an unreadable file. */
#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct table {
  char **cells;
  size_t n, cap, cols, rows, row_len;
  int ragged;
} table;

static void on_field(void *s, size_t len, void *data) {
  table *t = data;
  if (t->n == t->cap) {
    t->cap = t->cap ? 2 * t->cap : 64;
    t->cells = realloc(t->cells, t->cap * sizeof *t->cells);
    if (!t->cells)
      exit(2);
  }
  char *c = malloc(len + 1);
  if (!c)
    exit(2);
  memcpy(c, s, len);
  c[len] = '\0';
  t->cells[t->n++] = c;
  t->row_len++;
}

static void on_row(int ch, void *data) {
  (void)ch;
  table *t = data;
  if (t->rows == 0)
    t->cols = t->row_len;
  else if (t->row_len != t->cols)
    t->ragged = 1;
  t->rows++;
  t->row_len = 0;
}

static int load(const char *path, table *t) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "csv_tool: %s: %s\n", path, strerror(errno));
    return 2;
  }
  struct csv_parser p;
  csv_init(&p, CSV_STRICT | CSV_STRICT_FINI);
  char buf[65536];
  size_t got;
  int rc = 0;
  while ((got = fread(buf, 1, sizeof buf, f)) > 0)
    if (csv_parse(&p, buf, got, on_field, on_row, t) != got)
      rc = 2;
  if (rc == 0 && csv_fini(&p, on_field, on_row, t) != 0)
    rc = 2;
  if (rc)
    fprintf(stderr, "csv_tool: %s: %s\n", path, csv_strerror(csv_error(&p)));
  csv_free(&p);
  fclose(f);
  if (rc == 0 && t->ragged) {
    fprintf(stderr, "csv_tool: %s: rows of different lengths\n", path);
    rc = 2;
  }
  return rc;
}

static int number(const char *s, double *v) {
  if (!*s)
    return 0;
  char *end;
  errno = 0;
  *v = strtod(s, &end);
  return *end == '\0' && errno == 0;
}

/* An ISO 8601 UTC timestamp ("2026-11-25T19:19:48Z") and a spreadsheet's rendering of the same
 * date ("2026/11/25 19:19:48") hold the same digits in the same order. */
static int same_timestamp(const char *iso, const char *other) {
  if (strlen(iso) != 20 || iso[10] != 'T' || iso[19] != 'Z')
    return 0;
  const char *p = iso, *q = other;
  for (;;) {
    while (*p && (*p < '0' || *p > '9'))
      p++;
    while (*q && (*q < '0' || *q > '9'))
      q++;
    if (!*p || !*q)
      return !*p && !*q;
    if (*p++ != *q++)
      return 0;
  }
}

static int compare(const table *a, const table *b, const char *na, const char *nb) {
  if (a->rows != b->rows || a->cols != b->cols) {
    fprintf(stderr, "%s is %zu x %zu, %s is %zu x %zu\n", na, a->rows, a->cols, nb, b->rows,
            b->cols);
    return 1;
  }
  int bad = 0;
  for (size_t i = 0; i < a->n; i++) {
    const char *x = a->cells[i], *y = b->cells[i];
    double u, v;
    int same;
    if (number(x, &u) && number(y, &v))
      same = u == v || fabs(u - v) <= 1e-14 * fmax(fabs(u), fabs(v));
    else
      same = strcmp(x, y) == 0 || (x[0] == '\'' && strcmp(x + 1, y) == 0) ||
             same_timestamp(x, y);
    if (!same) {
      fprintf(stderr, "row %zu, column %s: %s has \"%s\", %s has \"%s\"\n", i / a->cols,
              a->cells[i % a->cols], na, x, nb, y);
      bad = 1;
    }
  }
  return bad;
}

static void drop(table *t) {
  for (size_t i = 0; i < t->n; i++)
    free(t->cells[i]);
  free(t->cells);
}

static int get(table *a, const char *path, const char *row_text, const char *col) {
  if (load(path, a))
    return 2;
  size_t row = (size_t)strtoul(row_text, NULL, 10);
  for (size_t c = 0; c < a->cols; c++)
    if (strcmp(a->cells[c], col) == 0 && row >= 1 && row < a->rows) {
      printf("%s\n", a->cells[row * a->cols + c]);
      return 0;
    }
  fprintf(stderr, "csv_tool: %s has no row %s with a column %s\n", path, row_text, col);
  return 1;
}

int main(int argc, char **argv) {
  table a = {0}, b = {0};
  int rc = 2;
  if (argc == 5 && strcmp(argv[1], "get") == 0)
    rc = get(&a, argv[2], argv[3], argv[4]);
  else if (argc == 4 && strcmp(argv[1], "compare") == 0)
    rc = load(argv[2], &a) || load(argv[3], &b) ? 2 : compare(&a, &b, argv[2], argv[3]);
  else
    fprintf(stderr, "usage: csv_tool get FILE ROW COLUMN | csv_tool compare A B\n");
  drop(&a);
  drop(&b);
  return rc;
}
