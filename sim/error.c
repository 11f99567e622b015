/* The error table's names and messages, and the failure funnel that records context. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_context[512];
static _Thread_local size_t reason_at; /* where the reason starts, after "file:line: " */

const char *tf_err_name(int code) {
  switch (code) {
  case TF_OK:
    return "TF_OK";
#define TF_ERRNO_NAME_(name, value, msg) \
  case value:                            \
    return "TF_E" #name;
    TF_ERRNO_MAP(TF_ERRNO_NAME_)
#undef TF_ERRNO_NAME_
  default:
    return "TF_E?";
  }
}

const char *tf_err_message(int code) {
  switch (code) {
  case TF_OK:
    return "success";
#define TF_ERRNO_MSG_(name, value, msg) \
  case value:                           \
    return msg;
    TF_ERRNO_MAP(TF_ERRNO_MSG_)
#undef TF_ERRNO_MSG_
  default:
    return "unknown error";
  }
}

int tf_fail_at(int code, const char *file, int line, const char *fmt, ...) {
  int n = snprintf(last_context, sizeof last_context, "%s:%d: ", file, line);
  reason_at = 0;
  if (n < 0 || (size_t)n >= sizeof last_context)
    return code;
  reason_at = (size_t)n;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_context + n, sizeof last_context - (size_t)n, fmt, ap);
  va_end(ap);
  return code;
}

const char *tf_err_context(void) { return last_context; }

const char *tf_err_reason(void) { return last_context + reason_at; }

void tf_err_clear(void) {
  last_context[0] = '\0';
  reason_at = 0;
}
