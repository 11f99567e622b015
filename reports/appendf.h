/* Appending formatted text to a fixed buffer, cutting (never overflowing) when it is full: for
 * one-line messages and table rows built piece by piece. */
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

#endif
