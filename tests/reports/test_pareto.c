/* Pareto frontiers: a hand-checked set under all four sense combinations, ties, duplicates, NaN
 * and infinities, the empty and one-point cases, the plotting order and its cap, and 200 random
 * sets against the O(n^2) definition of dominance. */
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "pareto.h"
#include "tf_test.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

enum { MAX_POINTS = 96 };

/* Checks that exactly the indices in want[0..want_n) are on the front, that the count says so,
 * and that the plotting order lists want in the order given (want is written in x order). */
static void check_front(size_t n, const double *x, tf_pareto_sense sx, const double *y,
                        tf_pareto_sense sy, const size_t *want, size_t want_n, int line) {
  bool on_front[MAX_POINTS], expected[MAX_POINTS] = {false};
  for (size_t k = 0; k < want_n; k++)
    expected[want[k]] = true;
  long count = tf_pareto_front(n, x, sx, y, sy, on_front);
  TF_CHECK_INT(count, (long)want_n);
  for (size_t i = 0; i < n; i++) {
    TF_CHECK(on_front[i] == expected[i]);
    if (on_front[i] != expected[i])
      fprintf(stderr, "  (line %d: point %zu)\n", line, i);
  }
  size_t order[MAX_POINTS];
  TF_CHECK_INT(tf_pareto_order(n, x, y, on_front, order, MAX_POINTS), want_n);
  for (size_t k = 0; k < want_n; k++)
    TF_CHECK_INT(order[k], want[k]);
}

/* Twelve points, x = 1..12 and y a permutation of 0..11, so no ties: the front under each sense
 * combination is a sequence of records along x.
 *
 *   point  0  1  2  3  4  5  6  7  8  9 10 11
 *   x      1  2  3  4  5  6  7  8  9 10 11 12
 *   y      5  9  2  8 11  0  6 10  3  7  1  4
 */
static const double hand_x[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
static const double hand_y[12] = {5, 9, 2, 8, 11, 0, 6, 10, 3, 7, 1, 4};

static void test_hand_checked(void) {
  /* max x, max y: front {4, 7, 9, 11} (each beats the y of every point to its right).
   *   0 (1,5), 1 (2,9), 2 (3,2), 3 (4,8): dominated by 4 (5,11).
   *   4 (5,11): front; the points right of it have y <= 10.
   *   5 (6,0), 6 (7,6): dominated by 7 (8,10).
   *   7 (8,10): front; the points right of it have y 3, 7, 1, 4.
   *   8 (9,3): dominated by 9 (10,7).
   *   9 (10,7): front; the points right of it have y 1, 4.
   *   10 (11,1): dominated by 11 (12,4).
   *   11 (12,4): front; the largest x. */
  const size_t max_max[] = {4, 7, 9, 11};
  check_front(12, hand_x, TF_PARETO_MAX, hand_y, TF_PARETO_MAX, max_max, COUNT(max_max),
              __LINE__);

  /* max x, min y: front {5, 10, 11}.
   *   0..4 (x 1..5, y 5, 9, 2, 8, 11): dominated by 5 (6,0).
   *   5 (6,0): front; 0 is the smallest y of all.
   *   6 (7,6), 7 (8,10), 8 (9,3), 9 (10,7): dominated by 10 (11,1).
   *   10 (11,1): front; the only point right of it, 11, has y 4 > 1.
   *   11 (12,4): front; the largest x. */
  const size_t max_min[] = {5, 10, 11};
  check_front(12, hand_x, TF_PARETO_MAX, hand_y, TF_PARETO_MIN, max_min, COUNT(max_min),
              __LINE__);

  /* min x, max y: front {0, 1, 4}.
   *   0 (1,5): front; the smallest x.
   *   1 (2,9): front; the only point left of it, 0, has y 5 < 9.
   *   2 (3,2), 3 (4,8): dominated by 1 (2,9).
   *   4 (5,11): front; 11 is the largest y of all.
   *   5..11 (x 6..12, y <= 10): dominated by 4 (5,11). */
  const size_t min_max[] = {0, 1, 4};
  check_front(12, hand_x, TF_PARETO_MIN, hand_y, TF_PARETO_MAX, min_max, COUNT(min_max),
              __LINE__);

  /* min x, min y: front {0, 2, 5}.
   *   0 (1,5): front; the smallest x.
   *   1 (2,9): dominated by 0 (1,5).
   *   2 (3,2): front; the points left of it have y 5, 9.
   *   3 (4,8), 4 (5,11): dominated by 2 (3,2).
   *   5 (6,0): front; 0 is the smallest y of all.
   *   6..11 (x 7..12, y >= 1): dominated by 5 (6,0). */
  const size_t min_min[] = {0, 2, 5};
  check_front(12, hand_x, TF_PARETO_MIN, hand_y, TF_PARETO_MIN, min_min, COUNT(min_min),
              __LINE__);
}

static void test_ties_and_duplicates(void) {
  /* Duplicates on the front stay there together; 2 (0,0) is dominated by both. */
  {
    const double x[] = {1, 1, 0}, y[] = {1, 1, 0};
    const size_t want[] = {0, 1};
    check_front(3, x, TF_PARETO_MAX, y, TF_PARETO_MAX, want, COUNT(want), __LINE__);
  }
  /* Duplicates off the front leave together: 2 (6,6) dominates both copies of (5,5). */
  {
    const double x[] = {5, 5, 6}, y[] = {5, 5, 6};
    const size_t want[] = {2};
    check_front(3, x, TF_PARETO_MAX, y, TF_PARETO_MAX, want, COUNT(want), __LINE__);
  }
  /* Equal x: the better y dominates (at least as good in x, strictly better in y). */
  {
    const double x[] = {3, 3}, y[] = {1, 2};
    const size_t want_max[] = {1}, want_min[] = {0};
    check_front(2, x, TF_PARETO_MAX, y, TF_PARETO_MAX, want_max, 1, __LINE__);
    check_front(2, x, TF_PARETO_MAX, y, TF_PARETO_MIN, want_min, 1, __LINE__);
  }
  /* Equal y: the better x dominates. */
  {
    const double x[] = {1, 2}, y[] = {4, 4};
    const size_t want_max[] = {1}, want_min[] = {0};
    check_front(2, x, TF_PARETO_MAX, y, TF_PARETO_MAX, want_max, 1, __LINE__);
    check_front(2, x, TF_PARETO_MIN, y, TF_PARETO_MAX, want_min, 1, __LINE__);
  }
  /* Duplicated front points beside others: 5 (2,2) is dominated by (3,3); (5,1) and both copies
   * of (1,5) and (3,3) stay. Plotting order: x ascending, copies by index. */
  {
    const double x[] = {1, 3, 5, 1, 3, 2}, y[] = {5, 3, 1, 5, 3, 2};
    const size_t want[] = {0, 3, 1, 4, 2};
    check_front(6, x, TF_PARETO_MAX, y, TF_PARETO_MAX, want, COUNT(want), __LINE__);
  }
  /* The group of equal x below an earlier group's best y: (2,5) and (2,3) both lose to (3,5). */
  {
    const double x[] = {3, 2, 2, 1}, y[] = {5, 5, 3, 6};
    const size_t want[] = {3, 0};
    check_front(4, x, TF_PARETO_MAX, y, TF_PARETO_MAX, want, COUNT(want), __LINE__);
  }
  /* -0.0 equals 0.0, so these are duplicates; under MIN the negation must not split them. */
  {
    const double x[] = {0.0, -0.0, 1}, y[] = {1, 1, 2};
    const size_t want[] = {0, 1};
    check_front(3, x, TF_PARETO_MIN, y, TF_PARETO_MIN, want, COUNT(want), __LINE__);
  }
  /* Infinities compare as numbers: (inf,0) and (0,inf) do not dominate (1,1); (-inf,-inf) loses
   * to all of them. */
  {
    const double x[] = {INFINITY, 0, 1, -INFINITY}, y[] = {0, INFINITY, 1, -INFINITY};
    const size_t want[] = {1, 2, 0};
    check_front(4, x, TF_PARETO_MAX, y, TF_PARETO_MAX, want, COUNT(want), __LINE__);
  }
}

static void test_nan(void) {
  /* NaN points are off the front and dominate nothing: (1,1) stays although (NaN,100) and
   * (100,NaN) would beat it in their numeric objective; (0,0) still loses to (1,1). */
  {
    const double x[] = {NAN, 100, NAN, 1, 0}, y[] = {100, NAN, NAN, 1, 0};
    const size_t want[] = {3};
    check_front(5, x, TF_PARETO_MAX, y, TF_PARETO_MAX, want, COUNT(want), __LINE__);
    check_front(5, x, TF_PARETO_MIN, y, TF_PARETO_MIN, (const size_t[]){4}, 1, __LINE__);
  }
  /* Nothing but NaN: an empty front. */
  {
    const double x[] = {NAN, 1, NAN}, y[] = {2, NAN, NAN};
    check_front(3, x, TF_PARETO_MAX, y, TF_PARETO_MIN, NULL, 0, __LINE__);
  }
}

static void test_small(void) {
  /* n = 0: nothing read or written, NULL arrays allowed. */
  TF_CHECK_INT(tf_pareto_front(0, NULL, TF_PARETO_MAX, NULL, TF_PARETO_MAX, NULL), 0);
  TF_CHECK_INT(tf_pareto_order(0, NULL, NULL, NULL, NULL, 0), 0);
  /* n = 1: the point is the front, unless it has a NaN. */
  const double one = 7, nan = NAN;
  bool on = false;
  TF_CHECK_INT(tf_pareto_front(1, &one, TF_PARETO_MIN, &one, TF_PARETO_MAX, &on), 1);
  TF_CHECK(on);
  TF_CHECK_INT(tf_pareto_front(1, &one, TF_PARETO_MIN, &nan, TF_PARETO_MAX, &on), 0);
  TF_CHECK(!on);
}

static void test_too_large(void) {
  /* A workspace size that wraps is refused before anything is read, written or allocated. */
  const double v = 1;
  bool on = true;
  long rc = tf_pareto_front(SIZE_MAX / 8, &v, TF_PARETO_MAX, &v, TF_PARETO_MAX, &on);
  TF_CHECK_INT(rc, TF_ENOMEM);
  TF_CHECK(on);
  tf_err_clear();
}

static void test_order(void) {
  /* Any marked points, not only a front: ties in x go by y, then by index; NaN sorts last;
   * unmarked point 5 is skipped. Full order: 2 (0,5), 1 (1,1), 3 (1,1), 0 (1,2), 4 (NaN,0). */
  const double x[] = {1, 1, 0, 1, NAN, -1}, y[] = {2, 1, 5, 1, 0, 0};
  const bool marked[] = {true, true, true, true, true, false};
  const size_t full[] = {2, 1, 3, 0, 4};
  for (size_t cap = 0; cap <= 7; cap++) {
    size_t order[8];
    for (size_t k = 0; k < 8; k++)
      order[k] = 99;
    size_t got = tf_pareto_order(6, x, y, marked, order, cap);
    size_t want = cap < 5 ? cap : 5;
    TF_CHECK_INT(got, want);
    for (size_t k = 0; k < want; k++)
      TF_CHECK_INT(order[k], full[k]); /* the first cap of the full order */
    for (size_t k = want; k < 8; k++)
      TF_CHECK_INT(order[k], 99); /* nothing written past the count */
  }
  TF_CHECK_INT(tf_pareto_order(6, x, y, marked, NULL, 0), 0);
}

/* 64-bit LCG with Knuth's MMIX constants (TAOCP vol. 2, 3.3.4); the high bits are used. */
static uint64_t lcg_state = 20240601u;
static uint32_t lcg_next(void) {
  lcg_state = lcg_state * 6364136223846793005u + 1442695040888963407u;
  return (uint32_t)(lcg_state >> 33);
}
static size_t lcg_below(size_t bound) { return (size_t)lcg_next() % bound; }
static double lcg_unit(void) { return (double)lcg_next() / 2147483648.0; }

static bool at_least(double a, double b, tf_pareto_sense s) {
  return s == TF_PARETO_MAX ? a >= b : a <= b;
}
static bool strictly(double a, double b, tf_pareto_sense s) {
  return s == TF_PARETO_MAX ? a > b : a < b;
}

/* The definition, O(n^2): i is on the front when it has no NaN and no NaN-free j dominates it. */
static bool brute_on_front(size_t n, const double *x, tf_pareto_sense sx, const double *y,
                           tf_pareto_sense sy, size_t i) {
  if (isnan(x[i]) || isnan(y[i]))
    return false;
  for (size_t j = 0; j < n; j++) {
    if (j == i || isnan(x[j]) || isnan(y[j]))
      continue;
    if (at_least(x[j], x[i], sx) && at_least(y[j], y[i], sy) &&
        (strictly(x[j], x[i], sx) || strictly(y[j], y[i], sy)))
      return false;
  }
  return true;
}

static bool brute_before(const double *x, const double *y, size_t i, size_t j) {
  if (x[i] != x[j])
    return x[i] < x[j];
  if (y[i] != y[j])
    return y[i] < y[j];
  return i < j;
}

/* One value of a random set. Small integers make ties and duplicates common; a few NaN, signed
 * zeros and infinities exercise the edge rules. */
static double random_value(int kind) {
  size_t r = lcg_below(100);
  if (kind >= 1 && r < 6)
    return NAN;
  if (kind >= 2 && r < 9)
    return r == 6 ? -0.0 : r == 7 ? INFINITY : -INFINITY;
  if (kind % 2 == 0)
    return (double)lcg_below(8);
  return 1e3 * lcg_unit() - 250.0;
}

static void test_property(void) {
  enum { SETS = 200 };
  const tf_pareto_sense senses[2] = {TF_PARETO_MAX, TF_PARETO_MIN};
  long mismatches = 0;
  for (int set = 0; set < SETS; set++) {
    const size_t n = lcg_below(MAX_POINTS + 1);
    const int kind = (int)lcg_below(4);
    double x[MAX_POINTS], y[MAX_POINTS];
    for (size_t i = 0; i < n; i++) {
      x[i] = random_value(kind);
      y[i] = random_value(kind);
    }
    const tf_pareto_sense sx = senses[set % 2], sy = senses[(set / 2) % 2];

    bool on_front[MAX_POINTS];
    long count = tf_pareto_front(n, x, sx, y, sy, on_front);
    long brute_count = 0;
    for (size_t i = 0; i < n; i++) {
      bool want = brute_on_front(n, x, sx, y, sy, i);
      brute_count += want;
      mismatches += on_front[i] != want;
    }
    TF_CHECK_INT(count, brute_count);

    /* The same points reversed give the same front, reversed: no dependence on input order. */
    double rx[MAX_POINTS], ry[MAX_POINTS];
    bool r_on_front[MAX_POINTS];
    for (size_t i = 0; i < n; i++) {
      rx[i] = x[n - 1 - i];
      ry[i] = y[n - 1 - i];
    }
    TF_CHECK_INT(tf_pareto_front(n, rx, sx, ry, sy, r_on_front), count);
    for (size_t i = 0; i < n; i++)
      mismatches += r_on_front[i] != on_front[n - 1 - i];

    /* The plotting order against an insertion sort of the front, under a random cap. */
    size_t want_order[MAX_POINTS], m = 0;
    for (size_t i = 0; i < n; i++) {
      if (!on_front[i])
        continue;
      size_t k = m++;
      for (; k > 0 && brute_before(x, y, i, want_order[k - 1]); k--)
        want_order[k] = want_order[k - 1];
      want_order[k] = i;
    }
    size_t cap = lcg_below(m + 3), order[MAX_POINTS + 2];
    size_t got = tf_pareto_order(n, x, y, on_front, order, cap);
    TF_CHECK_INT(got, cap < m ? cap : m);
    for (size_t k = 0; k < got; k++)
      mismatches += order[k] != want_order[k];
  }
  TF_CHECK_INT(mismatches, 0);
}

int main(void) {
  test_hand_checked();
  test_ties_and_duplicates();
  test_nan();
  test_small();
  test_too_large();
  test_order();
  test_property();
  return tf_test_report("reports_pareto");
}
