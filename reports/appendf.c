#include "appendf.h"

#include <stdarg.h>
#include <stdio.h>

void tf_appendf(char *buf, size_t size, size_t *used, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + *used, size - *used, fmt, ap);
  va_end(ap);
  if (n > 0)
    *used = *used + (size_t)n < size ? *used + (size_t)n : size - 1;
}
