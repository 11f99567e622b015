/* A minimal assertion kit for tokenfab's test executables: each check that fails prints
 * file:line and the values, and the executable's exit status tells ctest the outcome. */
#ifndef TF_TEST_H
#define TF_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int tf_test_failures;
static int tf_test_checks;

#define TF_CHECK(cond)                                                   \
  do {                                                                   \
    tf_test_checks++;                                                    \
    if (!(cond)) {                                                       \
      tf_test_failures++;                                                \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                    \
  } while (0)

#define TF_CHECK_INT(a, b)                                                          \
  do {                                                                              \
    long long tf_a_ = (long long)(a), tf_b_ = (long long)(b);                       \
    tf_test_checks++;                                                               \
    if (tf_a_ != tf_b_) {                                                           \
      tf_test_failures++;                                                           \
      fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, #b, \
              tf_a_, tf_b_);                                                        \
    }                                                                               \
  } while (0)

/* |a - b| <= tol */
#define TF_CHECK_NEAR(a, b, tol)                                                       \
  do {                                                                                 \
    double tf_a_ = (double)(a), tf_b_ = (double)(b), tf_t_ = (double)(tol);            \
    tf_test_checks++;                                                                  \
    if (!(fabs(tf_a_ - tf_b_) <= tf_t_)) {                                             \
      tf_test_failures++;                                                              \
      fprintf(stderr, "%s:%d: %s ~ %s failed: %.17g vs %.17g (tolerance %g)\n", __FILE__, \
              __LINE__, #a, #b, tf_a_, tf_b_, tf_t_);                                  \
    }                                                                                  \
  } while (0)

#define TF_CHECK_STR(a, b)                                                             \
  do {                                                                                 \
    const char *tf_a_ = (a), *tf_b_ = (b);                                             \
    tf_test_checks++;                                                                  \
    if (tf_a_ == NULL || tf_b_ == NULL || strcmp(tf_a_, tf_b_) != 0) {                 \
      tf_test_failures++;                                                              \
      fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, #a, \
              #b, tf_a_ ? tf_a_ : "(null)", tf_b_ ? tf_b_ : "(null)");                 \
    }                                                                                  \
  } while (0)

/* Call last in main: prints the tally and returns the exit status. */
static inline int tf_test_report(const char *name) {
  printf("%s: %d checks, %d failed\n", name, tf_test_checks, tf_test_failures);
  return tf_test_failures == 0 ? 0 : 1;
}

#endif
