/* SHA-256: the FIPS 180-4 examples (NIST's "Examples with Intermediate Values", SHA256.pdf,
 * and the one-million-'a' message of FIPS 180-2 appendix B.3), and messages whose lengths
 * straddle the padding's block boundaries, with digests from Python's hashlib (an independent
 * implementation). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "tf_test.h"

static void check_hex(const void *data, size_t len, const char *expect) {
  char hex[TF_SHA256_HEX_SIZE];
  memset(hex, 'x', sizeof hex);
  tf_sha256_hex(data, len, hex);
  TF_CHECK_STR(hex, expect);
  TF_CHECK_INT(strlen(hex), 64);
}

static void test_nist_vectors(void) {
  check_hex("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  check_hex(NULL, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  check_hex("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  TF_CHECK_INT(strlen(m448) * 8, 448);
  check_hex(m448, strlen(m448),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                     "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
  TF_CHECK_INT(strlen(m896) * 8, 896);
  check_hex(m896, strlen(m896),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_million_a(void) {
  enum { N = 1000000 };
  char *a = malloc(N);
  TF_CHECK(a != NULL);
  if (!a)
    return;
  memset(a, 'a', N);
  check_hex(a, N, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  free(a);
}

/* 55 bytes is the longest tail that pads into one block, 56 the shortest that needs two. */
static void test_block_boundaries(void) {
  static const struct {
    size_t len;
    const char *hex;
  } cases[] = {
      {55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"},
      {56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"},
      {57, "35df609437dcfea3279283ab79fd554e2bf78f8f7ae2de532d8ee300b09e8f73"},
      {63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"},
      {64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"},
      {65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"},
      {119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"},
      {120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"},
      {128, "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6"},
  };
  uint8_t data[128];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)(i * 7 + 3); /* the pattern hashed by hashlib: (7i + 3) mod 256 */
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    check_hex(data, cases[i].len, cases[i].hex);
}

/* The raw digest is the hex digest's bytes, most significant first. */
static void test_raw_digest(void) {
  uint8_t d[TF_SHA256_BYTES];
  tf_sha256("abc", 3, d);
  TF_CHECK_INT(d[0], 0xba);
  TF_CHECK_INT(d[1], 0x78);
  TF_CHECK_INT(d[30], 0x15);
  TF_CHECK_INT(d[31], 0xad);
}

int main(void) {
  test_nist_vectors();
  test_million_a();
  test_block_boundaries();
  test_raw_digest();
  return tf_test_report("reports_sha256");
}
