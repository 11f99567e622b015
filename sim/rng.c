/* xoshiro256** as a GSL generator type, and stream seeds derived from (master, entity, stream). */
#include "rng.h"

#include <stdlib.h>

#include "error.h"

/* GSL seeds through unsigned long: the 64-bit stream seeds need it to be 64 bits (LP64). */
_Static_assert(sizeof(unsigned long) == 8, "tokenfab needs 64-bit unsigned long (LP64)");

typedef struct xoshiro_state {
  uint64_t s[4];
} xoshiro_state;

uint64_t tf_rng_mix64(uint64_t x) {
  /* splitmix64's output function: constants from Steele, Lea, Flood, "Fast splittable
   * pseudorandom number generators", OOPSLA 2014 (Stafford's Mix13 variant). */
  x += UINT64_C(0x9e3779b97f4a7c15);
  x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
  return x ^ (x >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t next64(xoshiro_state *st) {
  uint64_t *s = st->s;
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

/* Seeding: four successive splitmix64 outputs, the initialisation the generator's authors
 * recommend; never all zero, since splitmix64 is a bijection of a counter. */
static void xoshiro_set(void *vstate, unsigned long seed) {
  xoshiro_state *st = vstate;
  uint64_t x = (uint64_t)seed;
  for (int i = 0; i < 4; i++) {
    st->s[i] = tf_rng_mix64(x);
    x += UINT64_C(0x9e3779b97f4a7c15);
  }
}

static unsigned long xoshiro_get(void *vstate) {
  return (unsigned long)(next64(vstate) >> 32);
}

static double xoshiro_get_double(void *vstate) {
  /* 53 high bits to [0, 1): every value a multiple of 2^-53. */
  return (double)(next64(vstate) >> 11) * 0x1.0p-53;
}

static const gsl_rng_type xoshiro_type = {
    "tf_xoshiro256ss", 0xffffffffUL, 0, sizeof(xoshiro_state),
    xoshiro_set,       xoshiro_get,  xoshiro_get_double};

const gsl_rng_type *tf_rng_xoshiro256ss = &xoshiro_type;

uint64_t tf_rng_stream_seed(uint64_t master, uint64_t entity, uint64_t stream) {
  /* Nested mixing, not a sum, so (e, s) and (s, e) or neighbouring masters never collide
   * systematically. */
  return tf_rng_mix64(tf_rng_mix64(tf_rng_mix64(master) ^ entity) ^ stream);
}

int tf_rng_stream_create(gsl_rng **out, uint64_t master, uint64_t entity, uint64_t stream) {
  gsl_rng *r = gsl_rng_alloc(tf_rng_xoshiro256ss);
  if (!r)
    return TF_FAIL(TF_ENOMEM, "random-number stream");
  gsl_rng_set(r, (unsigned long)tf_rng_stream_seed(master, entity, stream));
  *out = r;
  return 0;
}
