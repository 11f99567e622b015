/* Diagnostics: every problem found in a scenario, with file:line:col, printed in order. */
#ifndef TF_DIAG_H
#define TF_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum tf_diag_severity { TF_DIAG_ERROR, TF_DIAG_WARNING } tf_diag_severity;

/* One problem. line and col count from 1, as people count; line 0 means the problem concerns the
 * whole file (printed as `file: message`). The strings belong to the list. */
typedef struct tf_diag {
  const char *file;
  int line, col;
  tf_diag_severity severity;
  const char *message;
} tf_diag;

/* A growing list of problems. Validation keeps going after an error and adds every problem here,
 * so the user sees all mistakes in one run. */
typedef struct tf_diags tf_diags;

/* 0 or TF_ENOMEM. */
int tf_diags_create(tf_diags **out);
void tf_diags_destroy(tf_diags *d);

/* Records an error at file:line:col. Never fails from the caller's view: if memory runs out the
 * list remembers it (tf_diags_nomem) and tf_diags_print says so. */
void tf_diags_error(tf_diags *d, const char *file, int line, int col, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
void tf_diags_warning(tf_diags *d, const char *file, int line, int col, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

size_t tf_diags_count(const tf_diags *d);
size_t tf_diags_error_count(const tf_diags *d);
/* True if a diagnostic could not be recorded for lack of memory. */
bool tf_diags_nomem(const tf_diags *d);

/* Sorts by file name, line, column, then order of recording, and drops exact duplicates. */
void tf_diags_sort(tf_diags *d);
/* The i-th diagnostic (in recorded order, or sorted order after tf_diags_sort). */
tf_diag tf_diags_get(const tf_diags *d, size_t i);

/* Sorts, then prints each as `file:line:col: error: message` (or `warning:`), one a line. */
void tf_diags_print(tf_diags *d, FILE *f);

#endif
