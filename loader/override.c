/* --set PATH=VALUE: path walking (keys, [N] and .N indexes), node creation, value replacement. */
#include "override.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define F TF_OVERRIDE_FILE

/* One path step: a key, or a list index. begin is the 0-based offset of its text in arg. */
typedef struct step {
  const char *text;
  size_t len, begin;
  bool bracket;     /* written [N]: must be an index */
  bool numeric;     /* all digits: an index when it meets a list */
  unsigned long index;
} step;

static bool all_digits(const char *s, size_t n) {
  if (n == 0 || n > 9)
    return false;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

/* Splits arg[0, end) into steps. false (with a diagnostic) on a malformed path. */
static bool split(const char *arg, size_t end, step *steps, size_t *n, size_t max, tf_diags *d) {
  size_t i = 0;
  *n = 0;
  while (i < end) {
    if (*n == max) {
      tf_diags_error(d, F, 1, (int)i + 1, "path is too deep (at most %zu steps)", max);
      return false;
    }
    step *s = &steps[*n];
    if (arg[i] == '[') {
      size_t j = i + 1;
      while (j < end && arg[j] != ']')
        j++;
      if (j == end || !all_digits(arg + i + 1, j - i - 1)) {
        tf_diags_error(d, F, 1, (int)i + 1,
                       "expected a list index such as [0] in the path, got \"%.*s\"",
                       (int)((j < end ? j + 1 : end) - i), arg + i);
        return false;
      }
      *s = (step){arg + i + 1, j - i - 1, i + 1, true, true, strtoul(arg + i + 1, NULL, 10)};
      i = j + 1;
    } else {
      size_t j = i;
      while (j < end && arg[j] != '.' && arg[j] != '[')
        j++;
      if (j == i) {
        tf_diags_error(d, F, 1, (int)i + 1, "empty name in path \"%.*s\"", (int)end, arg);
        return false;
      }
      bool num = all_digits(arg + i, j - i);
      *s = (step){arg + i, j - i, i, false, num, num ? strtoul(arg + i, NULL, 10) : 0};
      i = j;
    }
    (*n)++;
    if (i < end && arg[i] == '.') {
      i++;
      if (i == end) {
        tf_diags_error(d, F, 1, (int)i + 1, "empty name at the end of path \"%.*s\"", (int)end,
                       arg);
        return false;
      }
    } else if (i < end && arg[i] != '[') {
      tf_diags_error(d, F, 1, (int)i + 1, "expected \".\" or \"[\" in path, got \"%c\"", arg[i]);
      return false;
    }
  }
  return true;
}

static tf_ytree_node *key_node(const step *s) {
  tf_ytree_node *k = tf_ytree_new(TF_YTREE_SCALAR, F, 1, (int)s->begin + 1);
  if (!k)
    return NULL;
  char *text = malloc(s->len + 1);
  if (!text) {
    tf_ytree_free(k);
    return NULL;
  }
  memcpy(text, s->text, s->len);
  text[s->len] = '\0';
  free(k->text);
  k->text = text;
  k->len = s->len;
  k->plain = true;
  k->text_col = k->col;
  return k;
}

/* The length of the path before step s (its "." or "[" excluded), for messages. */
#define PREFIX(s) ((int)((s)->begin ? (s)->begin - 1 : 0))

/* The child of node named by s, or NULL with a diagnostic. create: missing mapping keys get an
 * empty mapping. */
static int child(tf_ytree_node *node, const step *s, const char *arg, tf_ytree_node **out,
                 tf_diags *d) {
  *out = NULL;
  int col = (int)s->begin + 1;
  if (node->kind == TF_YTREE_SEQUENCE) {
    if (!s->numeric) {
      tf_diags_error(d, F, 1, col, "\"%.*s\" is a list: expected an index such as 0, got \"%.*s\"",
                     PREFIX(s), arg, (int)s->len, s->text);
      return 0;
    }
    if (s->index >= node->n) {
      tf_diags_error(d, F, 1, col, "list index %lu out of range: \"%.*s\" has %zu item%s",
                     s->index, PREFIX(s), arg, node->n,
                     node->n == 1 ? "" : "s");
      return 0;
    }
    *out = node->items[s->index];
    return 0;
  }
  if (node->kind != TF_YTREE_MAPPING) {
    tf_diags_error(d, F, 1, col, "cannot set \"%.*s\": \"%.*s\" is %s, not a mapping",
                   (int)s->len, s->text, PREFIX(s), arg,
                   tf_ytree_kind_noun(node));
    return 0;
  }
  if (s->bracket) {
    tf_diags_error(d, F, 1, col, "\"%.*s\" is a mapping, not a list: [%lu] does not apply",
                   PREFIX(s), arg, s->index);
    return 0;
  }
  for (size_t i = 0; i < node->n; i++)
    if (node->keys[i]->len == s->len && memcmp(node->keys[i]->text, s->text, s->len) == 0) {
      *out = node->items[i];
      return 0;
    }
  tf_ytree_node *k = key_node(s), *m = tf_ytree_new(TF_YTREE_MAPPING, F, 1, col);
  if (!k || !m) {
    tf_ytree_free(k);
    tf_ytree_free(m);
    return TF_FAIL(TF_ENOMEM, "--set");
  }
  int rc = tf_ytree_set(node, k, m);
  if (rc == 0)
    *out = m;
  return rc;
}

int tf_override_apply(tf_ytree_node **root, const char *arg, tf_diags *d) {
  const char *eq = strchr(arg, '=');
  if (!eq) {
    tf_diags_error(d, F, 1, 1, "expected PATH=VALUE, as in queue.servers=16; got \"%s\"", arg);
    return 0;
  }
  size_t path_len = (size_t)(eq - arg);
  if (path_len == 0) {
    tf_diags_error(d, F, 1, 1, "empty path before \"=\": expected PATH=VALUE, as in "
                               "queue.servers=16");
    return 0;
  }
  enum { MAX_STEPS = 32 };
  step steps[MAX_STEPS];
  size_t n;
  if (!split(arg, path_len, steps, &n, MAX_STEPS, d))
    return 0;
  /* Parse the value first: a value that is not YAML changes nothing. */
  const char *value = eq + 1;
  size_t value_off = path_len + 1;
  tf_ytree_node *v;
  int rc = tf_ytree_parse(value, strlen(value), F, (int)value_off, &v, d);
  if (rc == TF_EPARSE)
    return 0;
  if (rc)
    return rc;
  if (!v) { /* "--set seed=": an empty value, like "seed:" in the file */
    v = tf_ytree_new(TF_YTREE_SCALAR, F, 1, (int)value_off + 1);
    if (!v)
      return TF_FAIL(TF_ENOMEM, "--set");
    v->plain = true;
  }
  if (!*root || tf_ytree_is_null(*root)) {
    tf_ytree_free(*root);
    *root = tf_ytree_new(TF_YTREE_MAPPING, F, 1, 1);
    if (!*root) {
      tf_ytree_free(v);
      return TF_FAIL(TF_ENOMEM, "--set");
    }
  }
  tf_ytree_node *node = *root;
  for (size_t i = 0; i + 1 < n; i++) {
    tf_ytree_node *next;
    rc = child(node, &steps[i], arg, &next, d);
    if (rc || !next) {
      tf_ytree_free(v);
      return rc;
    }
    node = next;
  }
  const step *last = &steps[n - 1];
  if (node->kind == TF_YTREE_SEQUENCE) {
    tf_ytree_node *slot;
    child(node, last, arg, &slot, d); /* reports a bad index; never allocates for lists */
    if (!slot) {
      tf_ytree_free(v);
      return 0;
    }
    tf_ytree_free(node->items[last->index]);
    node->items[last->index] = v;
    return 0;
  }
  if (node->kind != TF_YTREE_MAPPING || last->bracket) {
    tf_ytree_node *ignored;
    child(node, last, arg, &ignored, d); /* reports why */
    tf_ytree_free(v);
    return 0;
  }
  tf_ytree_node *k = key_node(last);
  if (!k) {
    tf_ytree_free(v);
    return TF_FAIL(TF_ENOMEM, "--set");
  }
  return tf_ytree_set(node, k, v);
}
