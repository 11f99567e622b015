/* The JSON writer: separators from a stack of "container has a member" flags; strings escaped
 * for JSON and for HTML script data (json_out.h). */
#include "json_out.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

void tf_json_init(tf_json *j, FILE *f) {
  assert(j && f);
  memset(j, 0, sizeof *j);
  j->f = f;
}

/* Before any value: the comma that separates it from the previous member, unless a key has
 * just been written (the key wrote the comma). */
static void before_value(tf_json *j) {
  if (j->after_key) {
    j->after_key = false;
    return;
  }
  assert(!j->in_object[j->depth] && "a value inside an object needs a key first");
  if (j->need_comma[j->depth])
    fputc(',', j->f);
  j->need_comma[j->depth] = true;
}

static void open_container(tf_json *j, char c, bool object) {
  before_value(j);
  assert(j->depth < TF_JSON_MAX_DEPTH);
  fputc(c, j->f);
  j->depth++;
  j->need_comma[j->depth] = false;
  j->in_object[j->depth] = object;
}

static void close_container(tf_json *j, char c, bool object) {
  assert(j->depth > 0 && j->in_object[j->depth] == object && !j->after_key);
  (void)object;
  fputc(c, j->f);
  j->depth--;
}

void tf_json_begin_object(tf_json *j) { open_container(j, '{', true); }
void tf_json_end_object(tf_json *j) { close_container(j, '}', true); }
void tf_json_begin_array(tf_json *j) { open_container(j, '[', false); }
void tf_json_end_array(tf_json *j) { close_container(j, ']', false); }

void tf_json_key(tf_json *j, const char *key) {
  assert(j->depth > 0 && j->in_object[j->depth] && !j->after_key && key);
  if (j->need_comma[j->depth])
    fputc(',', j->f);
  j->need_comma[j->depth] = true;
  tf_json_quote(j->f, key, strlen(key));
  fputc(':', j->f);
  j->after_key = true;
}

void tf_json_string(tf_json *j, const char *s) {
  if (!s) {
    tf_json_null(j);
    return;
  }
  tf_json_string_n(j, s, strlen(s));
}

void tf_json_string_n(tf_json *j, const char *s, size_t n) {
  before_value(j);
  tf_json_quote(j->f, s, n);
}

void tf_json_number(tf_json *j, double v) {
  if (!isfinite(v)) {
    tf_json_null(j);
    return;
  }
  before_value(j);
  char buf[32];
  snprintf(buf, sizeof buf, "%.15g", v);
  if (strtod(buf, NULL) != v)
    snprintf(buf, sizeof buf, "%.17g", v);
  fputs(buf, j->f);
}

void tf_json_int(tf_json *j, int64_t v) {
  before_value(j);
  fprintf(j->f, "%" PRId64, v);
}

void tf_json_bool(tf_json *j, bool v) {
  before_value(j);
  fputs(v ? "true" : "false", j->f);
}

void tf_json_null(tf_json *j) {
  before_value(j);
  fputs("null", j->f);
}

void tf_json_quote(FILE *f, const char *s, size_t n) {
  assert(f && (s || n == 0));
  const unsigned char *p = (const unsigned char *)s;
  fputc('"', f);
  for (size_t i = 0; i < n;) {
    unsigned char c = p[i];
    uint32_t cp;
    size_t len = c ? tf_utf8_next(p + i, n - i, &cp) : 0;
    if (len == 0) {
      fputs("\\ufffd", f);
      i++;
      continue;
    }
    if (len > 1) {
      if (cp == 0x2028u || cp == 0x2029u)
        fprintf(f, "\\u%04" PRIx32, cp);
      else
        fwrite(p + i, 1, len, f);
      i += len;
      continue;
    }
    switch (c) {
    case '"': fputs("\\\"", f); break;
    case '\\': fputs("\\\\", f); break;
    case '\b': fputs("\\b", f); break;
    case '\f': fputs("\\f", f); break;
    case '\n': fputs("\\n", f); break;
    case '\r': fputs("\\r", f); break;
    case '\t': fputs("\\t", f); break;
    case '<':
      if (i + 1 < n && p[i + 1] == '/') {
        fputs("<\\/", f);
        i++; /* the slash is written */
      } else if (n - i >= 4 && memcmp(p + i, "<!--", 4) == 0)
        fputs("\\u003c", f);
      else
        fputc('<', f);
      break;
    default:
      if (c < 0x20 || c == 0x7F)
        fprintf(f, "\\u%04x", (unsigned)c);
      else
        fputc(c, f);
    }
    i++;
  }
  fputc('"', f);
}
