/* SHA-256 (FIPS 180-4, section 6.2): the digest that identifies a scenario file's bytes in the
 * results database, so runs of the same scenario text can be found and compared. */
#ifndef TF_SHA256_H
#define TF_SHA256_H

#include <stddef.h>
#include <stdint.h>

enum { TF_SHA256_BYTES = 32, TF_SHA256_HEX_SIZE = 2 * TF_SHA256_BYTES + 1 };

/* The 32-byte digest of len bytes at data (data may be NULL when len is 0). */
void tf_sha256(const void *data, size_t len, uint8_t out[32]);
/* The same as 64 lower-case hex digits and a NUL. */
void tf_sha256_hex(const void *data, size_t len, char out[65]);

#endif
