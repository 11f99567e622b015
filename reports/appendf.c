#include "appendf.h"

#include <stdarg.h>
#include <stdio.h>

#include "error.h"

void tf_appendf(char *buf, size_t size, size_t *used, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + *used, size - *used, fmt, ap);
  va_end(ap);
  if (n > 0)
    *used = *used + (size_t)n < size ? *used + (size_t)n : size - 1;
}

int tf_fail_into(char *err, size_t err_size, int code, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (err && err_size > 0)
    snprintf(err, err_size, "%s", msg);
  return TF_FAIL(code, "%s", msg);
}
