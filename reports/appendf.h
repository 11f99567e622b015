/* Formatted text into fixed buffers, cut (never overflowing) when full: one-line messages and
 * table rows built piece by piece, and failures reported both to a caller's buffer and to the
 * error funnel (sim/error.h). */
#ifndef TF_APPENDF_H
#define TF_APPENDF_H

#include <stddef.h>

/* printf-formats at buf + *used (buf holds size bytes, size >= 1, *used < size) and advances
 * *used past what fitted; the text stays NUL-terminated, cut at size - 1 bytes. */
void tf_appendf(char *buf, size_t size, size_t *used, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Formats a failure into err (when not NULL: err_size bytes, cut if longer), passes the same
 * sentence to TF_FAIL with code, and returns code. For the reports' functions that fill a
 * caller's err buffer. */
int tf_fail_into(char *err, size_t err_size, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

#endif
