/* SHA-256 after FIPS 180-4 (August 2015): padding (5.1.1), parsing into 512-bit blocks (5.2.1),
 * the initial hash value (5.3.3), the constants (4.2.2) and the compression function (6.2.2).
 * One-shot over a buffer in memory: scenario files are small, so no streaming interface. */
#include "sha256.h"

#include <string.h>

enum {
  BLOCK_BYTES = 64,  /* 512-bit message blocks (FIPS 180-4, 5.2.1) */
  LENGTH_BYTES = 8,  /* the message length in bits, a 64-bit big-endian field (5.1.1) */
  SCHEDULE_WORDS = 64,
};

/* FIPS 180-4, 4.2.2: the first 32 bits of the fractional parts of the cube roots of the first
 * 64 primes. */
static const uint32_t K[SCHEDULE_WORDS] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

/* FIPS 180-4, 5.3.3: the first 32 bits of the fractional parts of the square roots of the first
 * 8 primes. */
static const uint32_t H0[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* The functions of FIPS 180-4, 4.1.2 (n is always 1..31, so no shift by 32). */
static uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32u - n)); }
static uint32_t ch(uint32_t x, uint32_t y, uint32_t z) { return (x & y) ^ (~x & z); }
static uint32_t maj(uint32_t x, uint32_t y, uint32_t z) { return (x & y) ^ (x & z) ^ (y & z); }
static uint32_t big_sigma0(uint32_t x) { return rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22); }
static uint32_t big_sigma1(uint32_t x) { return rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25); }
static uint32_t small_sigma0(uint32_t x) { return rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3); }
static uint32_t small_sigma1(uint32_t x) { return rotr(x, 17) ^ rotr(x, 19) ^ (x >> 10); }

static uint32_t load_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void store_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* FIPS 180-4, 6.2.2: folds one 512-bit block into the hash value h. */
static void compress(uint32_t h[8], const uint8_t block[BLOCK_BYTES]) {
  uint32_t w[SCHEDULE_WORDS];
  for (int t = 0; t < 16; t++)
    w[t] = load_be32(block + 4 * t);
  for (int t = 16; t < SCHEDULE_WORDS; t++)
    w[t] = small_sigma1(w[t - 2]) + w[t - 7] + small_sigma0(w[t - 15]) + w[t - 16];

  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int t = 0; t < SCHEDULE_WORDS; t++) {
    uint32_t t1 = hh + big_sigma1(e) + ch(e, f, g) + K[t] + w[t];
    uint32_t t2 = big_sigma0(a) + maj(a, b, c);
    hh = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += hh;
}

void tf_sha256(const void *data, size_t len, uint8_t out[32]) {
  const uint8_t *p = data;
  uint32_t h[8];
  memcpy(h, H0, sizeof h);

  size_t whole = len - len % BLOCK_BYTES;
  for (size_t i = 0; i < whole; i += BLOCK_BYTES)
    compress(h, p + i);

  /* 5.1.1: the tail, a 1 bit, zeros up to 56 bytes mod 64, the length in bits; one block when
   * the tail leaves room for the 9 bytes of 0x80 and the length, else two. */
  uint8_t tail[2 * BLOCK_BYTES] = {0};
  size_t rest = len - whole;
  if (rest > 0)
    memcpy(tail, p + whole, rest);
  tail[rest] = 0x80;
  size_t tail_len = rest + 1 + LENGTH_BYTES <= BLOCK_BYTES ? BLOCK_BYTES : 2 * BLOCK_BYTES;
  /* The length in bits modulo 2^64 (5.1.1 allows messages below 2^64 bits). */
  uint64_t bits = (uint64_t)len * 8u;
  for (int i = 0; i < LENGTH_BYTES; i++)
    tail[tail_len - 1 - (size_t)i] = (uint8_t)(bits >> (8 * i));
  for (size_t i = 0; i < tail_len; i += BLOCK_BYTES)
    compress(h, tail + i);

  for (int i = 0; i < 8; i++)
    store_be32(out + 4 * i, h[i]);
}

void tf_sha256_hex(const void *data, size_t len, char out[65]) {
  static const char digits[] = "0123456789abcdef";
  uint8_t digest[TF_SHA256_BYTES];
  tf_sha256(data, len, digest);
  for (int i = 0; i < TF_SHA256_BYTES; i++) {
    out[2 * i] = digits[digest[i] >> 4];
    out[2 * i + 1] = digits[digest[i] & 0x0f];
  }
  out[2 * TF_SHA256_BYTES] = '\0';
}
