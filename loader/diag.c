/* The diagnostics list: append, sort stably by position, print. */
#include "diag.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

typedef struct entry {
  char *file;
  char *message;
  int line, col;
  tf_diag_severity severity;
  size_t seq; /* recording order: the last sort key, so sorting is stable */
} entry;

struct tf_diags {
  entry *v;
  size_t n, cap;
  size_t seq;
  bool nomem;
};

int tf_diags_create(tf_diags **out) {
  *out = calloc(1, sizeof **out);
  return *out ? 0 : TF_FAIL(TF_ENOMEM, "diagnostics list");
}

void tf_diags_destroy(tf_diags *d) {
  if (!d)
    return;
  for (size_t i = 0; i < d->n; i++) {
    free(d->v[i].file);
    free(d->v[i].message);
  }
  free(d->v);
  free(d);
}

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p)
    memcpy(p, s, n);
  return p;
}

static void add(tf_diags *d, tf_diag_severity sev, const char *file, int line, int col,
                const char *fmt, va_list ap) {
  if (d->n == d->cap) {
    size_t cap = d->cap ? 2 * d->cap : 16;
    entry *v = realloc(d->v, cap * sizeof *v);
    if (!v) {
      d->nomem = true;
      return;
    }
    d->v = v;
    d->cap = cap;
  }
  va_list aq;
  va_copy(aq, ap);
  int len = vsnprintf(NULL, 0, fmt, aq);
  va_end(aq);
  char *msg = len >= 0 ? malloc((size_t)len + 1) : NULL;
  char *f = dup_str(file ? file : "");
  if (!msg || !f) {
    free(msg);
    free(f);
    d->nomem = true;
    return;
  }
  vsnprintf(msg, (size_t)len + 1, fmt, ap);
  d->v[d->n++] = (entry){f, msg, line, col, sev, d->seq++};
}

void tf_diags_error(tf_diags *d, const char *file, int line, int col, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  add(d, TF_DIAG_ERROR, file, line, col, fmt, ap);
  va_end(ap);
}

void tf_diags_warning(tf_diags *d, const char *file, int line, int col, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  add(d, TF_DIAG_WARNING, file, line, col, fmt, ap);
  va_end(ap);
}

size_t tf_diags_count(const tf_diags *d) { return d->n; }

size_t tf_diags_error_count(const tf_diags *d) {
  size_t n = d->nomem ? 1 : 0;
  for (size_t i = 0; i < d->n; i++)
    n += d->v[i].severity == TF_DIAG_ERROR;
  return n;
}

bool tf_diags_nomem(const tf_diags *d) { return d->nomem; }

static int compare(const void *pa, const void *pb) {
  const entry *a = pa, *b = pb;
  int c = strcmp(a->file, b->file);
  if (c)
    return c;
  if (a->line != b->line)
    return a->line < b->line ? -1 : 1;
  if (a->col != b->col)
    return a->col < b->col ? -1 : 1;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void tf_diags_sort(tf_diags *d) {
  if (d->n > 1)
    qsort(d->v, d->n, sizeof *d->v, compare);
  size_t w = 0;
  for (size_t i = 0; i < d->n; i++) {
    entry *e = &d->v[i];
    if (w > 0) {
      entry *p = &d->v[w - 1];
      if (p->line == e->line && p->col == e->col && p->severity == e->severity &&
          strcmp(p->file, e->file) == 0 && strcmp(p->message, e->message) == 0) {
        free(e->file);
        free(e->message);
        continue;
      }
    }
    d->v[w++] = *e;
  }
  d->n = w;
}

tf_diag tf_diags_get(const tf_diags *d, size_t i) {
  const entry *e = &d->v[i];
  return (tf_diag){e->file, e->line, e->col, e->severity, e->message};
}

void tf_diags_print(tf_diags *d, FILE *f) {
  tf_diags_sort(d);
  for (size_t i = 0; i < d->n; i++) {
    const entry *e = &d->v[i];
    const char *sev = e->severity == TF_DIAG_ERROR ? "error" : "warning";
    if (e->line > 0 && e->col > 0)
      fprintf(f, "%s:%d:%d: %s: %s\n", e->file, e->line, e->col, sev, e->message);
    else if (e->line > 0) /* a whole line, as CSV rows are reported */
      fprintf(f, "%s:%d: %s: %s\n", e->file, e->line, sev, e->message);
    else
      fprintf(f, "%s: %s: %s\n", e->file, sev, e->message);
  }
  if (d->nomem)
    fprintf(f, "error: out of memory: some diagnostics were lost\n");
}
