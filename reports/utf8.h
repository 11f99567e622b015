/* UTF-8 checking for text written into reports (JSON, HTML): text from a results database is
 * meant to be UTF-8 but is not guaranteed to be, and a page must stay valid either way. */
#ifndef TF_UTF8_H
#define TF_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The replacement character U+FFFD, written in place of bytes that are not UTF-8. */
#define TF_UTF8_REPLACEMENT "\xEF\xBF\xBD"

/* The length (1 to 4) of the well-formed UTF-8 sequence at the start of s[0..n), with its code
 * point in *cp; 0 when the bytes there are not one (a stray continuation byte, a truncated or
 * overlong sequence, a surrogate, a value above U+10FFFF: RFC 3629, section 4). n > 0. */
size_t tf_utf8_next(const unsigned char *s, size_t n, uint32_t *cp);

#endif
