/* Schema tables: what keys a YAML mapping may hold, their kinds, units, ranges and where each
 * lands in a C struct; one walker validates a mapping against a table and fills the struct. */
#ifndef TF_SCHEMA_H
#define TF_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "units.h"
#include "ytree.h"

typedef enum tf_schema_type {
  TF_SCHEMA_STRING,   /* char *, owned by the struct (free with tf_schema_free); NULL if absent */
  TF_SCHEMA_QUANTITY, /* double in SI units of .unit (ratio: a fraction) */
  TF_SCHEMA_COUNT,    /* int64_t, a whole number without unit */
  TF_SCHEMA_TIME_NS,  /* int64_t nanoseconds, exact */
  TF_SCHEMA_ENUM,     /* int: the index of the value in .names */
  TF_SCHEMA_CUSTOM,   /* not stored: the caller reads the value node from the where array */
} tf_schema_type;

typedef enum tf_schema_bound {
  TF_SCHEMA_UNBOUNDED, /* the default: no check */
  TF_SCHEMA_INCLUSIVE, /* value >= lo (or <= hi) */
  TF_SCHEMA_EXCLUSIVE, /* value > lo (or < hi) */
} tf_schema_bound;

/* The offset + 1 of a bool member set when the key is given (0 in a table means no flag). */
#define TF_SCHEMA_FLAG(type, member) (offsetof(type, member) + 1)

/* One key. Ranges are in SI units (seconds for times, the number for counts). */
typedef struct tf_schema_field {
  const char *key;
  tf_schema_type type;
  tf_unit_kind unit; /* QUANTITY only */
  bool required;
  tf_schema_bound lo_bound, hi_bound;
  double lo, hi;
  size_t offset;            /* where the value lands in the struct (not CUSTOM) */
  size_t present;           /* TF_SCHEMA_FLAG(...) or 0 */
  const char *const *names; /* ENUM: the accepted values, NULL-terminated */
  const char *help;         /* one line: what the key means */
} tf_schema_field;

typedef struct tf_schema {
  const char *name; /* the section as messages name it when no path is given ("scenario") */
  const tf_schema_field *fields;
  size_t n_fields;
} tf_schema;

/* Validates mapping node against s and stores every valid value into obj. path names the mapping
 * in messages ("site", "queue.arrival", "" for s->name). where, if not NULL, has s->n_fields
 * slots and receives each given key's value node (NULL if not given), for CUSTOM fields and for
 * cross-field checks. A null node counts as an empty mapping. Problems go to d: unknown keys
 * (with the nearest known key), wrong types, units, ranges, enum values, missing required keys
 * (at node's position). */
void tf_schema_apply(const tf_schema *s, const tf_ytree_node *node, const char *path, void *obj,
                     const tf_ytree_node **where, tf_diags *d);

/* True if v is a scalar with a value; else reports "path: expected want, got ..." or "path:
 * missing value: expected want" at v and returns false. For custom fields' own parsers. */
bool tf_schema_scalar(const tf_ytree_node *v, const char *path, const char *want, tf_diags *d);

/* Validates one value for field f and stores it into obj (and sets its flag). path is the key's
 * full name in messages ("site.power"). true if stored; false with a diagnostic otherwise. */
bool tf_schema_apply_field(const tf_schema_field *f, const tf_ytree_node *value, const char *path,
                           void *obj, tf_diags *d);

/* The field named key, or NULL. */
const tf_schema_field *tf_schema_find(const tf_schema *s, const char *key);

/* Reports key (a scalar node) as unknown in section, suggesting the nearest known key. */
void tf_schema_unknown_key(const tf_schema *s, const tf_ytree_node *key, const char *section,
                           tf_diags *d);

/* Writes "parent.key" (or "key" when parent is empty) into buf. */
void tf_schema_join(char *buf, size_t size, const char *parent, const char *key);

/* Writes field's value in obj as a human reads it (units formatted) into buf. */
void tf_schema_format(const tf_schema_field *f, const void *obj, char *buf, size_t size);

/* True if field's value is present in obj: its flag is set, or (strings) it is not NULL. Fields
 * without a flag count as present. */
bool tf_schema_present(const tf_schema_field *f, const void *obj);

/* Frees the strings s stored into obj. */
void tf_schema_free(const tf_schema *s, void *obj);

/* "a time such as "90 s"", "one of: a, b, c", ...: what field f expects, for messages. */
void tf_schema_expected(const tf_schema_field *f, char *buf, size_t size);

#endif
