/* A small streaming JSON writer (RFC 8259) for data embedded in HTML reports: values go straight
 * to a FILE, commas and nesting are tracked, strings are escaped so that the text is also safe
 * inside an HTML <script> element. */
#ifndef TF_JSON_OUT_H
#define TF_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Deepest nesting of objects and arrays; deeper is a programmer error (assert). */
#define TF_JSON_MAX_DEPTH 32

/* A writer. The caller owns it (on the stack, typically) and its FILE; the fields are the
 * writer's. Invariant: need_comma[d] says whether the container open at depth d already holds a
 * member; after_key is set between tf_json_key and the value that follows it. Write errors are
 * the FILE's: check ferror (or fflush) at the end. */
typedef struct tf_json {
  FILE *f;
  int depth;
  bool need_comma[TF_JSON_MAX_DEPTH + 1];
  bool in_object[TF_JSON_MAX_DEPTH + 1];
  bool after_key;
} tf_json;

void tf_json_init(tf_json *j, FILE *f);
void tf_json_begin_object(tf_json *j);
void tf_json_end_object(tf_json *j);
void tf_json_begin_array(tf_json *j);
void tf_json_end_array(tf_json *j);
/* A member's name inside an object; the next call writes its value. */
void tf_json_key(tf_json *j, const char *key);
/* A string (NULL writes null), escaped by tf_json_quote. */
void tf_json_string(tf_json *j, const char *s);
/* The same for n bytes that may hold NUL. */
void tf_json_string_n(tf_json *j, const char *s, size_t n);
/* A number in the shortest of %.15g and %.17g that reads back as v; NaN and infinities, which
 * JSON cannot hold, as null. */
void tf_json_number(tf_json *j, double v);
void tf_json_int(tf_json *j, int64_t v);
void tf_json_bool(tf_json *j, bool v);
void tf_json_null(tf_json *j);

/* Writes s[0..n) as a quoted JSON string: `"` and `\` escaped, control characters as \n, \t,
 * ... or \u00XX, DEL as \u007f, U+2028 and U+2029 as \u2028 and \u2029 (line ends to older
 * JavaScript); bytes that are not UTF-8 (NUL included) as \ufffd. For HTML <script> elements,
 * `</` becomes `<\/` and `<!--` becomes `\u003c!--`, so the text can neither close the element
 * nor switch the HTML parser into its escaped script states. */
void tf_json_quote(FILE *f, const char *s, size_t n);

#endif
