/* Random-number streams keyed by (master seed, entity id, stream index), as GSL generators. */
#ifndef TF_RNG_H
#define TF_RNG_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

/* xoshiro256** (Blackman and Vigna, "Scrambled linear pseudorandom number generators", ACM TOMS
 * 2021) as a GSL generator type, so every gsl_ran_* distribution draws from it. Chosen over
 * taus2 because its 256-bit state is seeded from 64 bits: taus2 takes only 2^32 seeds, and among
 * 10^5 streams two would share a seed with probability about 0.7 (birthday bound). 32 bits per
 * gsl_rng_get (the upper half, the best bits); gsl_rng_uniform uses 53. */
extern const gsl_rng_type *tf_rng_xoshiro256ss;

/* The splitmix64 mixing function (Steele, Lea, Flood 2014), used to derive stream seeds. */
uint64_t tf_rng_mix64(uint64_t x);

/* The seed of stream (entity, stream) under master: a pure function, so a stream never depends on
 * the order entities were created in, on threads, or on ranks. */
uint64_t tf_rng_stream_seed(uint64_t master, uint64_t entity, uint64_t stream);

/* A new generator for (master, entity, stream); gsl_rng_free it. TF_ENOMEM on failure. */
int tf_rng_stream_create(gsl_rng **out, uint64_t master, uint64_t entity, uint64_t stream);

#endif
