/* A YAML document as a tree of scalars, mappings and sequences, each node knowing where it was
 * written (file, line, column), built with libyaml's event parser. */
#ifndef TF_YTREE_H
#define TF_YTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

typedef enum tf_ytree_kind {
  TF_YTREE_SCALAR,
  TF_YTREE_MAPPING,
  TF_YTREE_SEQUENCE,
} tf_ytree_kind;

/* One node. The loader walks these directly, so the struct is open; build and change trees only
 * through the functions below. Invariants: a mapping has n keys (all scalars, no two equal) and
 * n values; a sequence has n items; a scalar has text (len bytes, NUL-terminated) and n == 0.
 * Every node owns its children and its copy of file. */
typedef struct tf_ytree_node {
  tf_ytree_kind kind;
  char *file;
  int line, col; /* 1-based, as people count */
  /* Scalars: the column where text's first byte was written when it can be counted from
   * (plain or quoted on one line); 0 if unknown. Errors inside the text add their offset to it. */
  int text_col;
  bool plain; /* unquoted scalar: "" or "~" or "null" then mean no value */
  char *text;
  size_t len;
  size_t n, cap;
  struct tf_ytree_node **keys;  /* mappings */
  struct tf_ytree_node **items; /* mapping values, or sequence items */
} tf_ytree_node;

/* Parses text (len bytes) as one YAML document named file in messages. Positions on the first
 * line are shifted right by col_shift columns (so a --set value points into the argument).
 * *root is NULL for an empty document. Syntax errors, duplicate keys, aliases, non-scalar keys and
 * second documents are diagnostics; returns 0, TF_EPARSE (diagnostics added) or TF_ENOMEM. */
int tf_ytree_parse(const char *text, size_t len, const char *file, int col_shift,
                   tf_ytree_node **root, tf_diags *d);

/* Reads the whole file at path into *text (NUL-terminated, *len bytes; free it). 0, or TF_EIO with
 * errno set by the failing call, or TF_ENOMEM. */
int tf_ytree_read_file(const char *path, char **text, size_t *len);

/* Frees node and everything under it; NULL is fine. */
void tf_ytree_free(tf_ytree_node *node);

/* A new empty node of kind at file:line:col, or NULL when out of memory. */
tf_ytree_node *tf_ytree_new(tf_ytree_kind kind, const char *file, int line, int col);

/* The value of key in mapping m, or NULL (also when m is NULL or not a mapping). */
tf_ytree_node *tf_ytree_get(const tf_ytree_node *m, const char *key);

/* Sets key in mapping m to value, taking ownership of value (and of key, a scalar node): an
 * existing value is freed, and the existing key node kept. 0 or TF_ENOMEM (then both are freed). */
int tf_ytree_set(tf_ytree_node *m, tf_ytree_node *key, tf_ytree_node *value);

/* True for a plain scalar that means "no value": empty, "~", "null", "Null" or "NULL". */
bool tf_ytree_is_null(const tf_ytree_node *node);

/* "a mapping", "a list", "a value" (scalar): for messages. */
const char *tf_ytree_kind_noun(const tf_ytree_node *node);

#endif
