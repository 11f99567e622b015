/* YAML tree: libyaml events folded into nodes with positions; lookup and replacement. */
#include "ytree.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "error.h"

static char *dup_n(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = '\0';
  }
  return p;
}

int tf_ytree_read_file(const char *path, char **text, size_t *len) {
  *text = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f)
    return TF_FAIL(TF_EIO, "%s: cannot open", path);
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n - 1, f);
    if (n < cap - 1)
      break;
    char *bigger = realloc(buf, 2 * cap);
    if (!bigger) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = bigger;
    cap *= 2;
  }
  int saved = errno;
  bool failed = buf && ferror(f);
  fclose(f);
  if (!buf)
    return TF_FAIL(TF_ENOMEM, "%s: reading", path);
  if (failed) {
    free(buf);
    errno = saved;
    return TF_FAIL(TF_EIO, "%s: cannot read", path);
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return 0;
}

tf_ytree_node *tf_ytree_new(tf_ytree_kind kind, const char *file, int line, int col) {
  tf_ytree_node *node = calloc(1, sizeof *node);
  if (!node)
    return NULL;
  node->kind = kind;
  node->line = line;
  node->col = col;
  node->file = dup_n(file, strlen(file));
  if (kind == TF_YTREE_SCALAR)
    node->text = dup_n("", 0);
  if (!node->file || (kind == TF_YTREE_SCALAR && !node->text)) {
    tf_ytree_free(node);
    return NULL;
  }
  return node;
}

void tf_ytree_free(tf_ytree_node *node) {
  if (!node)
    return;
  for (size_t i = 0; i < node->n; i++) {
    if (node->keys)
      tf_ytree_free(node->keys[i]);
    tf_ytree_free(node->items[i]);
  }
  free(node->keys);
  free(node->items);
  free(node->text);
  free(node->file);
  free(node);
}

/* Appends (key, value) to a mapping or value to a sequence (key NULL). */
static int append(tf_ytree_node *parent, tf_ytree_node *key, tf_ytree_node *value) {
  if (parent->n == parent->cap) {
    size_t cap = parent->cap ? 2 * parent->cap : 4;
    tf_ytree_node **items = realloc(parent->items, cap * sizeof *items);
    if (!items)
      return TF_FAIL(TF_ENOMEM, "yaml tree");
    parent->items = items;
    if (parent->kind == TF_YTREE_MAPPING) {
      tf_ytree_node **keys = realloc(parent->keys, cap * sizeof *keys);
      if (!keys)
        return TF_FAIL(TF_ENOMEM, "yaml tree");
      parent->keys = keys;
    }
    parent->cap = cap;
  }
  if (parent->kind == TF_YTREE_MAPPING)
    parent->keys[parent->n] = key;
  parent->items[parent->n++] = value;
  return 0;
}

static tf_ytree_node *find_key(const tf_ytree_node *m, const char *key, size_t len) {
  for (size_t i = 0; i < m->n; i++)
    if (m->keys[i]->len == len && memcmp(m->keys[i]->text, key, len) == 0)
      return m->keys[i];
  return NULL;
}

tf_ytree_node *tf_ytree_get(const tf_ytree_node *m, const char *key) {
  if (!m || m->kind != TF_YTREE_MAPPING)
    return NULL;
  size_t len = strlen(key);
  for (size_t i = 0; i < m->n; i++)
    if (m->keys[i]->len == len && memcmp(m->keys[i]->text, key, len) == 0)
      return m->items[i];
  return NULL;
}

int tf_ytree_set(tf_ytree_node *m, tf_ytree_node *key, tf_ytree_node *value) {
  if (!m || m->kind != TF_YTREE_MAPPING || !key || key->kind != TF_YTREE_SCALAR) {
    tf_ytree_free(key);
    tf_ytree_free(value);
    return TF_FAIL(TF_EINVAL, "tf_ytree_set needs a mapping and a scalar key");
  }
  for (size_t i = 0; i < m->n; i++) {
    if (m->keys[i]->len == key->len && memcmp(m->keys[i]->text, key->text, key->len) == 0) {
      tf_ytree_free(m->items[i]);
      m->items[i] = value;
      tf_ytree_free(key);
      return 0;
    }
  }
  int rc = append(m, key, value);
  if (rc) {
    tf_ytree_free(key);
    tf_ytree_free(value);
  }
  return rc;
}

bool tf_ytree_is_null(const tf_ytree_node *node) {
  if (!node || node->kind != TF_YTREE_SCALAR || !node->plain)
    return false;
  const char *t = node->text;
  return t[0] == '\0' || strcmp(t, "~") == 0 || strcmp(t, "null") == 0 ||
         strcmp(t, "Null") == 0 || strcmp(t, "NULL") == 0;
}

const char *tf_ytree_kind_noun(const tf_ytree_node *node) {
  if (!node)
    return "nothing";
  switch (node->kind) {
  case TF_YTREE_MAPPING:
    return "a mapping";
  case TF_YTREE_SEQUENCE:
    return "a list";
  case TF_YTREE_SCALAR:
    break;
  }
  return tf_ytree_is_null(node) ? "no value" : "a value";
}

/* ---- building from events ---- */

/* An open container while its events arrive. A mapping alternates key and value: have_key says a
 * key arrived and its value is awaited; skip says that value is to be dropped (its key was a
 * duplicate or not a scalar). */
typedef struct frame {
  tf_ytree_node *node;
  tf_ytree_node *key;
  bool have_key, skip;
} frame;

typedef struct builder {
  const char *text;
  size_t len;
  const char *file;
  int col_shift;
  tf_diags *diags;
  frame *stack;
  size_t depth, cap;
  tf_ytree_node *root;
  int documents;
} builder;

/* libyaml places end-of-input errors on the line after the last when the text has no final
 * newline (a --set value never has one); move them to the end of the last line. */
static yaml_mark_t clamp_mark(const builder *b, yaml_mark_t m) {
  if (b->len == 0 || b->text[b->len - 1] == '\n')
    return m;
  size_t lines = 0, last_start = 0;
  for (size_t i = 0; i < b->len; i++)
    if (b->text[i] == '\n') {
      lines++;
      last_start = i + 1;
    }
  if (m.line <= lines)
    return m;
  m.line = lines;
  m.column = b->len - last_start; /* bytes; exact for ASCII, which --set values mostly are */
  return m;
}

static int line_of(yaml_mark_t m) { return m.line + 1 > INT32_MAX ? INT32_MAX : (int)m.line + 1; }

static int col_of(const builder *b, yaml_mark_t m) {
  size_t col = m.column + 1 + (m.line == 0 ? (size_t)b->col_shift : 0);
  return col > INT32_MAX ? INT32_MAX : (int)col;
}

/* Hands a finished node to the open container on top (or makes it the root). */
static int attach(builder *b, tf_ytree_node *x) {
  if (b->depth == 0) {
    b->root = x;
    return 0;
  }
  frame *f = &b->stack[b->depth - 1];
  if (f->node->kind == TF_YTREE_SEQUENCE) {
    int rc = append(f->node, NULL, x);
    if (rc)
      tf_ytree_free(x);
    return rc;
  }
  if (!f->have_key) {
    f->have_key = true;
    f->skip = false;
    if (x->kind != TF_YTREE_SCALAR) {
      tf_diags_error(b->diags, x->file, x->line, x->col,
                     "%s used as a mapping key; keys must be plain names",
                     tf_ytree_kind_noun(x));
      f->skip = true;
      tf_ytree_free(x);
      return 0;
    }
    const tf_ytree_node *first = find_key(f->node, x->text, x->len);
    if (first) {
      tf_diags_error(b->diags, x->file, x->line, x->col,
                     "duplicate key \"%s\" (first given at line %d, column %d)", x->text,
                     first->line, first->col);
      f->skip = true;
      tf_ytree_free(x);
      return 0;
    }
    f->key = x;
    return 0;
  }
  f->have_key = false;
  tf_ytree_node *key = f->key;
  f->key = NULL;
  if (f->skip) {
    tf_ytree_free(x);
    return 0;
  }
  int rc = append(f->node, key, x);
  if (rc) {
    tf_ytree_free(key);
    tf_ytree_free(x);
  }
  return rc;
}

static int push(builder *b, tf_ytree_node *node) {
  if (b->depth == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 8;
    frame *s = realloc(b->stack, cap * sizeof *s);
    if (!s) {
      tf_ytree_free(node);
      return TF_FAIL(TF_ENOMEM, "yaml tree");
    }
    b->stack = s;
    b->cap = cap;
  }
  b->stack[b->depth++] = (frame){node, NULL, false, false};
  return 0;
}

static int on_event(builder *b, const yaml_event_t *ev) {
  int line = line_of(ev->start_mark), col = col_of(b, ev->start_mark);
  tf_ytree_node *node;
  switch (ev->type) {
  case YAML_DOCUMENT_START_EVENT:
    if (++b->documents > 1) {
      tf_diags_error(b->diags, b->file, line, col,
                     "a second YAML document; one file holds one document");
      return TF_EPARSE;
    }
    return 0;
  case YAML_SCALAR_EVENT:
  case YAML_ALIAS_EVENT:
    node = tf_ytree_new(TF_YTREE_SCALAR, b->file, line, col);
    if (!node)
      return TF_FAIL(TF_ENOMEM, "yaml tree");
    if (ev->type == YAML_ALIAS_EVENT) {
      tf_diags_error(b->diags, b->file, line, col,
                     "aliases (*%s) are not supported; write the value out in full",
                     (const char *)ev->data.alias.anchor);
      node->plain = true; /* a null stands in, so the rest still gets checked */
    } else {
      free(node->text);
      node->text = dup_n((const char *)ev->data.scalar.value, ev->data.scalar.length);
      if (!node->text) {
        tf_ytree_free(node);
        return TF_FAIL(TF_ENOMEM, "yaml tree");
      }
      node->len = ev->data.scalar.length;
      yaml_scalar_style_t style = ev->data.scalar.style;
      node->plain = style == YAML_PLAIN_SCALAR_STYLE;
      bool one_line = ev->start_mark.line == ev->end_mark.line;
      if (one_line && node->plain)
        node->text_col = col;
      else if (one_line &&
               (style == YAML_SINGLE_QUOTED_SCALAR_STYLE || style == YAML_DOUBLE_QUOTED_SCALAR_STYLE))
        node->text_col = col + 1;
    }
    return attach(b, node);
  case YAML_SEQUENCE_START_EVENT:
  case YAML_MAPPING_START_EVENT:
    node = tf_ytree_new(ev->type == YAML_MAPPING_START_EVENT ? TF_YTREE_MAPPING
                                                             : TF_YTREE_SEQUENCE,
                        b->file, line, col);
    if (!node)
      return TF_FAIL(TF_ENOMEM, "yaml tree");
    return push(b, node);
  case YAML_SEQUENCE_END_EVENT:
  case YAML_MAPPING_END_EVENT: {
    frame f = b->stack[--b->depth];
    tf_ytree_free(f.key); /* only set if a mapping ended between key and value: cannot happen */
    return attach(b, f.node);
  }
  default:
    return 0;
  }
}

int tf_ytree_parse(const char *text, size_t len, const char *file, int col_shift,
                   tf_ytree_node **root, tf_diags *d) {
  *root = NULL;
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser))
    return TF_FAIL(TF_ENOMEM, "yaml parser");
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  builder b = {.text = text, .len = len, .file = file, .col_shift = col_shift, .diags = d};
  int rc = 0;
  for (bool done = false; !done && rc == 0;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&parser, &ev)) {
      if (parser.error == YAML_MEMORY_ERROR) {
        rc = TF_FAIL(TF_ENOMEM, "yaml parser");
        break;
      }
      const char *problem = parser.problem ? parser.problem : "malformed YAML";
      parser.problem_mark = clamp_mark(&b, parser.problem_mark);
      if (parser.context)
        tf_diags_error(d, file, line_of(parser.problem_mark), col_of(&b, parser.problem_mark),
                       "syntax error: %s (%s at line %d, column %d)", problem, parser.context,
                       line_of(parser.context_mark), col_of(&b, parser.context_mark));
      else
        tf_diags_error(d, file, line_of(parser.problem_mark), col_of(&b, parser.problem_mark),
                       "syntax error: %s", problem);
      rc = TF_FAIL(TF_EPARSE, "%s: YAML syntax error", file);
      break;
    }
    done = ev.type == YAML_STREAM_END_EVENT;
    rc = on_event(&b, &ev);
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&parser);
  if (rc) {
    while (b.depth > 0) {
      frame f = b.stack[--b.depth];
      tf_ytree_free(f.key);
      tf_ytree_free(f.node);
    }
    tf_ytree_free(b.root);
    b.root = NULL;
  }
  free(b.stack);
  *root = b.root;
  return rc;
}
