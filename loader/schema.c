/* The schema walker: one pass over a mapping, every problem a diagnostic, every good value stored. */
#include "schema.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suggest.h"

void tf_schema_join(char *buf, size_t size, const char *parent, const char *key) {
  if (parent && parent[0])
    snprintf(buf, size, "%s.%s", parent, key);
  else
    snprintf(buf, size, "%s", key);
}

const tf_schema_field *tf_schema_find(const tf_schema *s, const char *key) {
  for (size_t i = 0; i < s->n_fields; i++)
    if (strcmp(s->fields[i].key, key) == 0)
      return &s->fields[i];
  return NULL;
}

static void list_names(const char *const *names, size_t n, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n && names[i]; i++) {
    int k = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
    if (k < 0 || (size_t)k >= size - used)
      return;
    used += (size_t)k;
  }
}

static size_t count_names(const char *const *names) {
  size_t n = 0;
  while (names[n])
    n++;
  return n;
}

void tf_schema_unknown_key(const tf_schema *s, const tf_ytree_node *key, const char *section,
                           tf_diags *d) {
  const char *keys[64] = {0};
  size_t n = s->n_fields < 64 ? s->n_fields : 64;
  for (size_t i = 0; i < n; i++)
    keys[i] = s->fields[i].key;
  const char *near = tf_suggest_nearest(key->text, keys, n);
  if (near) {
    tf_diags_error(d, key->file, key->line, key->col,
                   "unknown key \"%s\" in %s; did you mean \"%s\"?", key->text, section, near);
  } else {
    char list[512];
    list_names(keys, n, list, sizeof list);
    tf_diags_error(d, key->file, key->line, key->col, "unknown key \"%s\" in %s (known keys: %s)",
                   key->text, section, list);
  }
}

void tf_schema_expected(const tf_schema_field *f, char *buf, size_t size) {
  char list[256];
  switch (f->type) {
  case TF_SCHEMA_STRING:
    snprintf(buf, size, "a name");
    return;
  case TF_SCHEMA_QUANTITY:
    snprintf(buf, size, "%s such as \"%s\"", tf_unit_kind_noun(f->unit),
             tf_unit_kind_example(f->unit));
    return;
  case TF_SCHEMA_COUNT:
    snprintf(buf, size, "a whole number such as \"8\"");
    return;
  case TF_SCHEMA_TIME_NS:
    snprintf(buf, size, "a time such as \"90 s\"");
    return;
  case TF_SCHEMA_ENUM:
    list_names(f->names, count_names(f->names), list, sizeof list);
    snprintf(buf, size, "one of: %s", list);
    return;
  case TF_SCHEMA_CUSTOM:
    break;
  }
  snprintf(buf, size, "a value");
}

static int text_col(const tf_ytree_node *v, size_t offset) {
  if (v->text_col <= 0)
    return v->col;
  return v->text_col + (int)(offset > 100000 ? 100000 : offset);
}

static tf_unit_kind field_unit(const tf_schema_field *f) {
  return f->type == TF_SCHEMA_TIME_NS ? TF_UNIT_TIME
         : f->type == TF_SCHEMA_COUNT ? TF_UNIT_COUNT
                                      : f->unit;
}

static void format_bound(const tf_schema_field *f, double x, char *buf, size_t size) {
  tf_unit_format(x, field_unit(f), buf, size);
}

/* Checks value (SI) against f's bounds; a diagnostic at v if outside. */
static bool in_range(const tf_schema_field *f, double value, const tf_ytree_node *v,
                     const char *path, tf_diags *d) {
  const char *op = NULL;
  double bound = 0;
  if ((f->lo_bound == TF_SCHEMA_INCLUSIVE && !(value >= f->lo)) ||
      (f->lo_bound == TF_SCHEMA_EXCLUSIVE && !(value > f->lo))) {
    op = f->lo_bound == TF_SCHEMA_INCLUSIVE ? ">=" : ">";
    bound = f->lo;
  } else if ((f->hi_bound == TF_SCHEMA_INCLUSIVE && !(value <= f->hi)) ||
             (f->hi_bound == TF_SCHEMA_EXCLUSIVE && !(value < f->hi))) {
    op = f->hi_bound == TF_SCHEMA_INCLUSIVE ? "<=" : "<";
    bound = f->hi;
  }
  if (!op)
    return true;
  char want[64], got[64];
  format_bound(f, bound, want, sizeof want);
  format_bound(f, value, got, sizeof got);
  tf_diags_error(d, v->file, v->line, text_col(v, 0), "%s: must be %s %s, got %s", path, op, want,
                 got);
  return false;
}

static void set_flag(const tf_schema_field *f, void *obj) {
  if (f->present)
    *(bool *)((char *)obj + f->present - 1) = true;
}

bool tf_schema_scalar(const tf_ytree_node *v, const char *path, const char *want, tf_diags *d) {
  if (v->kind != TF_YTREE_SCALAR) {
    tf_diags_error(d, v->file, v->line, v->col, "%s: expected %s, got %s", path, want,
                   tf_ytree_kind_noun(v));
    return false;
  }
  if (tf_ytree_is_null(v)) {
    tf_diags_error(d, v->file, v->line, v->col, "%s: missing value: expected %s", path, want);
    return false;
  }
  return true;
}

bool tf_schema_apply_field(const tf_schema_field *f, const tf_ytree_node *v, const char *path,
                           void *obj, tf_diags *d) {
  char want[320];
  tf_schema_expected(f, want, sizeof want);
  if (f->type == TF_SCHEMA_CUSTOM)
    return true;
  if (!tf_schema_scalar(v, path, want, d))
    return false;
  char *at = (char *)obj + f->offset;
  tf_unit_error err;
  switch (f->type) {
  case TF_SCHEMA_STRING: {
    char *copy = malloc(v->len + 1);
    if (!copy) {
      tf_diags_error(d, v->file, v->line, v->col, "%s: out of memory", path);
      return false;
    }
    memcpy(copy, v->text, v->len + 1);
    free(*(char **)at);
    *(char **)at = copy;
    break;
  }
  case TF_SCHEMA_QUANTITY: {
    double x;
    if (tf_unit_parse(v->text, f->unit, &x, &err)) {
      tf_diags_error(d, v->file, v->line, text_col(v, err.offset), "%s: %s", path, err.message);
      return false;
    }
    if (!in_range(f, x, v, path, d))
      return false;
    *(double *)at = x;
    break;
  }
  case TF_SCHEMA_COUNT:
  case TF_SCHEMA_TIME_NS: {
    int64_t x;
    int rc = f->type == TF_SCHEMA_COUNT ? tf_unit_parse_count(v->text, &x, &err)
                                        : tf_unit_parse_ns(v->text, &x, &err);
    if (rc) {
      tf_diags_error(d, v->file, v->line, text_col(v, err.offset), "%s: %s", path, err.message);
      return false;
    }
    double si = f->type == TF_SCHEMA_COUNT ? (double)x : (double)x * 1e-9;
    if (!in_range(f, si, v, path, d))
      return false;
    *(int64_t *)at = x;
    break;
  }
  case TF_SCHEMA_ENUM: {
    size_t n = count_names(f->names);
    for (size_t i = 0; i < n; i++) {
      if (strcmp(v->text, f->names[i]) == 0) {
        *(int *)at = (int)i;
        set_flag(f, obj);
        return true;
      }
    }
    const char *near = tf_suggest_nearest(v->text, f->names, n);
    if (near)
      tf_diags_error(d, v->file, v->line, v->col,
                     "%s: unknown value \"%s\"; did you mean \"%s\"? (expected %s)", path,
                     v->text, near, want);
    else
      tf_diags_error(d, v->file, v->line, v->col, "%s: unknown value \"%s\" (expected %s)", path,
                     v->text, want);
    return false;
  }
  case TF_SCHEMA_CUSTOM:
    break;
  }
  set_flag(f, obj);
  return true;
}

void tf_schema_apply(const tf_schema *s, const tf_ytree_node *node, const char *path, void *obj,
                     const tf_ytree_node **where, tf_diags *d) {
  const char *section = path && path[0] ? path : s->name;
  bool given[64] = {false};
  if (where)
    for (size_t i = 0; i < s->n_fields; i++)
      where[i] = NULL;
  if (node->kind != TF_YTREE_MAPPING && !tf_ytree_is_null(node)) {
    tf_diags_error(d, node->file, node->line, node->col, "%s: expected a mapping, got %s",
                   section, tf_ytree_kind_noun(node));
    return;
  }
  for (size_t k = 0; k < (node->kind == TF_YTREE_MAPPING ? node->n : 0); k++) {
    const tf_ytree_node *key = node->keys[k], *value = node->items[k];
    const tf_schema_field *f = tf_schema_find(s, key->text);
    if (!f) {
      tf_schema_unknown_key(s, key, section, d);
      continue;
    }
    size_t i = (size_t)(f - s->fields);
    if (i < 64)
      given[i] = true;
    if (where)
      where[i] = value;
    char full[256];
    tf_schema_join(full, sizeof full, path, f->key);
    tf_schema_apply_field(f, value, full, obj, d);
  }
  for (size_t i = 0; i < s->n_fields && i < 64; i++)
    if (s->fields[i].required && !given[i])
      tf_diags_error(d, node->file, node->line, node->col, "missing required key \"%s\" in %s",
                     s->fields[i].key, section);
}

bool tf_schema_present(const tf_schema_field *f, const void *obj) {
  const char *at = (const char *)obj + f->offset;
  if (f->type == TF_SCHEMA_STRING)
    return *(char *const *)at != NULL;
  if (f->present)
    return *(const bool *)((const char *)obj + f->present - 1);
  return f->type != TF_SCHEMA_CUSTOM;
}

void tf_schema_format(const tf_schema_field *f, const void *obj, char *buf, size_t size) {
  const char *at = (const char *)obj + f->offset;
  switch (f->type) {
  case TF_SCHEMA_STRING:
    snprintf(buf, size, "%s", *(char *const *)at ? *(char *const *)at : "");
    return;
  case TF_SCHEMA_QUANTITY:
    tf_unit_format(*(const double *)at, f->unit, buf, size);
    return;
  case TF_SCHEMA_COUNT:
    snprintf(buf, size, "%lld", (long long)*(const int64_t *)at);
    return;
  case TF_SCHEMA_TIME_NS:
    tf_unit_format((double)*(const int64_t *)at * 1e-9, TF_UNIT_TIME, buf, size);
    return;
  case TF_SCHEMA_ENUM: {
    int i = *(const int *)at;
    snprintf(buf, size, "%s", i >= 0 && (size_t)i < count_names(f->names) ? f->names[i] : "?");
    return;
  }
  case TF_SCHEMA_CUSTOM:
    break;
  }
  snprintf(buf, size, "-");
}

void tf_schema_free(const tf_schema *s, void *obj) {
  for (size_t i = 0; i < s->n_fields; i++) {
    if (s->fields[i].type != TF_SCHEMA_STRING)
      continue;
    char **at = (char **)((char *)obj + s->fields[i].offset);
    free(*at);
    *at = NULL;
  }
}
