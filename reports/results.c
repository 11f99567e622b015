/* Result tables: see results.h. */
#include "results.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

void tf_table_init(tf_table *t, const char *name, const tf_column *cols, size_t n_cols) {
  *t = (tf_table){.name = name, .n_cols = n_cols, .cols = cols};
}

tf_cell *tf_table_add_row(tf_table *t) {
  if (t->n_rows == t->cap_rows) {
    size_t cap = t->cap_rows ? 2 * t->cap_rows : 8;
    tf_cell *c = realloc(t->cells, cap * t->n_cols * sizeof *c);
    if (!c)
      return NULL;
    t->cells = c;
    t->cap_rows = cap;
  }
  tf_cell *row = &t->cells[t->n_rows++ * t->n_cols];
  for (size_t i = 0; i < t->n_cols; i++)
    row[i] = (tf_cell){.kind = TF_CELL_NULL};
  return row;
}

const tf_cell *tf_table_get(const tf_table *t, size_t r, const char *col) {
  if (r >= t->n_rows)
    return NULL;
  for (size_t i = 0; i < t->n_cols; i++)
    if (strcmp(t->cols[i].name, col) == 0)
      return &t->cells[r * t->n_cols + i];
  return NULL;
}

void tf_cell_set_real(tf_cell *c, double v) { *c = (tf_cell){.kind = TF_CELL_REAL, .real = v}; }

void tf_cell_set_int(tf_cell *c, int64_t v) { *c = (tf_cell){.kind = TF_CELL_INT, .integer = v}; }

int tf_cell_set_text(tf_cell *c, const char *s) {
  size_t n = strlen(s) + 1;
  char *copy = malloc(n);
  if (!copy)
    return TF_ENOMEM;
  memcpy(copy, s, n);
  if (c->kind == TF_CELL_TEXT)
    free((char *)c->text);
  *c = (tf_cell){.kind = TF_CELL_TEXT, .text = copy};
  return 0;
}

void tf_table_fini(tf_table *t) {
  for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
    if (t->cells[i].kind == TF_CELL_TEXT)
      free((char *)t->cells[i].text);
  free(t->cells);
  t->cells = NULL;
  t->n_rows = t->cap_rows = 0;
}

void tf_run_record_fini(tf_run_record *r) {
  tf_table_fini(&r->summary);
  tf_table_fini(&r->classes);
  tf_table_fini(&r->series);
  tf_table_fini(&r->costs);
}
