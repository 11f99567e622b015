/* RNG streams: known answers for the generator and mixer, and stream independence of order. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdint.h>

#include "rng.h"
#include "tf_test.h"

int main(void) {
  /* splitmix64 of state 0: first output of the reference implementation is 0xe220a8397b1dcdaf. */
  TF_CHECK(tf_rng_mix64(0) == UINT64_C(0xe220a8397b1dcdaf));

  /* xoshiro256** from state {1, 2, 3, 4}: the reference implementation's first outputs are
   * 11520, 0, 1509978240, 1215971899390074240; gsl_rng_uniform returns their top 53 bits / 2^53. */
  gsl_rng *r = gsl_rng_alloc(tf_rng_xoshiro256ss);
  uint64_t *s = gsl_rng_state(r);
  s[0] = 1, s[1] = 2, s[2] = 3, s[3] = 4;
  const uint64_t expect[] = {11520u, 0u, 1509978240u, UINT64_C(1215971899390074240)};
  for (int i = 0; i < 4; i++)
    TF_CHECK(gsl_rng_uniform(r) * 0x1.0p53 == (double)(expect[i] >> 11));
  /* gsl_rng_get gives the upper 32 bits of each output. */
  s[0] = 1, s[1] = 2, s[2] = 3, s[3] = 4;
  for (int i = 0; i < 4; i++)
    TF_CHECK_INT(gsl_rng_get(r), expect[i] >> 32);
  TF_CHECK_STR(gsl_rng_name(r), "tf_xoshiro256ss");

  /* Uniform doubles in [0, 1) with the right mean. */
  gsl_rng_set(r, 7);
  double sum = 0;
  int out_of_range = 0;
  enum { N = 200000 };
  for (int i = 0; i < N; i++) {
    double u = gsl_rng_uniform(r);
    out_of_range += u < 0 || u >= 1;
    sum += u;
  }
  TF_CHECK_INT(out_of_range, 0);
  TF_CHECK_NEAR(sum / N, 0.5, 4 * 0.2887 / 447.2); /* 4 standard errors */
  gsl_rng_free(r);

  /* A stream depends only on (master, entity, stream): creating others in between changes nothing. */
  gsl_rng *a, *b, *c;
  tf_rng_stream_create(&a, 42, 3, 1);
  tf_rng_stream_create(&c, 42, 9, 0);
  for (int i = 0; i < 10; i++)
    gsl_rng_get(c);
  tf_rng_stream_create(&b, 42, 3, 1);
  int same = 1;
  for (int i = 0; i < 100; i++)
    same &= gsl_rng_get(a) == gsl_rng_get(b);
  TF_CHECK(same);
  TF_CHECK(tf_rng_stream_seed(42, 3, 1) != tf_rng_stream_seed(42, 1, 3));
  TF_CHECK(tf_rng_stream_seed(42, 3, 1) != tf_rng_stream_seed(43, 3, 1));
  gsl_rng_free(a);
  gsl_rng_free(b);
  gsl_rng_free(c);

  /* GSL distributions draw from it: exponential mean. */
  tf_rng_stream_create(&a, 1, 0, 0);
  sum = 0;
  for (int i = 0; i < N; i++)
    sum += gsl_ran_exponential(a, 2.0);
  TF_CHECK_NEAR(sum / N, 2.0, 4 * 2.0 / 447.2);
  gsl_rng_free(a);
  return tf_test_report("sim_rng");
}
