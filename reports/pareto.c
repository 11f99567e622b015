/* Pareto frontiers in two objectives: a sort by the first objective and one sweep of the second
 * (Kung, Luccio and Preparata, "On finding the maxima of a set of vectors", JACM 1975, the
 * two-dimensional case), and the front's plotting order by an in-place heap selection. */
#include "pareto.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "error.h"

/* One valid (NaN-free) point with both objectives turned into "larger is better": a MIN
 * objective is negated, which is exact for every double and keeps -0.0 == 0.0. */
typedef struct pareto_point {
  double better_x; /* x, or -x when x is minimised */
  double better_y; /* y, or -y when y is minimised */
  size_t index;    /* the point's position in the caller's arrays */
} pareto_point;

static double as_max(double v, tf_pareto_sense sense) { return sense == TF_PARETO_MAX ? v : -v; }

/* Best x first, then best y, then lowest index: a total order, so qsort's lack of stability
 * cannot make the sweep depend on the input order or on the C library. */
static int compare_best_first(const void *pa, const void *pb) {
  const pareto_point *a = pa, *b = pb;
  if (a->better_x != b->better_x)
    return a->better_x > b->better_x ? -1 : 1;
  if (a->better_y != b->better_y)
    return a->better_y > b->better_y ? -1 : 1;
  return (a->index > b->index) - (a->index < b->index);
}

long tf_pareto_front(size_t n, const double *x, tf_pareto_sense sx, const double *y,
                     tf_pareto_sense sy, bool *on_front) {
  assert(n == 0 || (x != NULL && y != NULL && on_front != NULL));
  assert(sx == TF_PARETO_MAX || sx == TF_PARETO_MIN);
  assert(sy == TF_PARETO_MAX || sy == TF_PARETO_MIN);
  if (n == 0)
    return 0;
  /* n * sizeof(pareto_point) must not wrap; the bound also keeps the count within a long. */
  if (n > SIZE_MAX / sizeof(pareto_point) || n > (size_t)LONG_MAX)
    return TF_FAIL(TF_ENOMEM, "Pareto front of %zu points: workspace too large", n);
  pareto_point *points = malloc(n * sizeof *points);
  if (points == NULL)
    return TF_FAIL(TF_ENOMEM, "Pareto front of %zu points: out of memory", n);

  size_t valid = 0;
  for (size_t i = 0; i < n; i++) {
    on_front[i] = false;
    if (isnan(x[i]) || isnan(y[i]))
      continue; /* never on the front, dominates nothing: left out of the sweep */
    points[valid++] = (pareto_point){as_max(x[i], sx), as_max(y[i], sy), i};
  }
  qsort(points, valid, sizeof *points, compare_best_first);

  /* Sweep groups of equal x from the best x down. A point is dominated by a point of its own
   * group exactly when its y is below the group's best y (the group's first), and by a point of
   * an earlier (strictly better x) group exactly when its y is at most the best y seen there.
   * So the front is each group's best-y points whose y beats every earlier group's. */
  long count = 0;
  bool seen_earlier_group = false;
  double best_y_earlier = 0.0; /* meaningful only once seen_earlier_group */
  for (size_t g = 0; g < valid;) {
    const double group_x = points[g].better_x, group_best_y = points[g].better_y;
    const bool group_on_front = !seen_earlier_group || group_best_y > best_y_earlier;
    size_t k = g;
    for (; k < valid && points[k].better_x == group_x; k++) {
      if (group_on_front && points[k].better_y == group_best_y) {
        on_front[points[k].index] = true;
        count++;
      }
    }
    if (group_on_front)
      best_y_earlier = group_best_y; /* a group off the front has best y <= best_y_earlier */
    seen_earlier_group = true;
    g = k;
  }
  free(points);
  return count;
}

/* Numeric order with NaN after every number and equal to itself: total, so the plotting order
 * stays well defined for any marked points. */
static int compare_nan_last(double a, double b) {
  if (isnan(a) || isnan(b))
    return (isnan(a) != 0) - (isnan(b) != 0); /* isnan's nonzero need not be 1 */
  return (a > b) - (a < b);
}

/* Whether point i comes before point j in the plotting order (x, then y, then index). */
static bool plots_before(const double *x, const double *y, size_t i, size_t j) {
  int c = compare_nan_last(x[i], x[j]);
  if (c == 0)
    c = compare_nan_last(y[i], y[j]);
  return c != 0 ? c < 0 : i < j;
}

/* Restores the max-heap property (the root plots last) below slot at in heap[0..size). */
static void sift_down(const double *x, const double *y, size_t *heap, size_t size, size_t at) {
  for (;;) {
    size_t largest = at, left = 2 * at + 1, right = left + 1;
    if (left < size && plots_before(x, y, heap[largest], heap[left]))
      largest = left;
    if (right < size && plots_before(x, y, heap[largest], heap[right]))
      largest = right;
    if (largest == at)
      return;
    size_t tmp = heap[at];
    heap[at] = heap[largest];
    heap[largest] = tmp;
    at = largest;
  }
}

static void sift_up(const double *x, const double *y, size_t *heap, size_t at) {
  while (at > 0) {
    size_t parent = (at - 1) / 2;
    if (!plots_before(x, y, heap[parent], heap[at]))
      return;
    size_t tmp = heap[at];
    heap[at] = heap[parent];
    heap[parent] = tmp;
    at = parent;
  }
}

size_t tf_pareto_order(size_t n, const double *x, const double *y, const bool *on_front,
                       size_t *order, size_t cap) {
  assert(n == 0 || (x != NULL && y != NULL && on_front != NULL));
  assert(cap == 0 || order != NULL);
  /* order[0..size) is a max-heap of the cap earliest marked points seen so far: a later point
   * replaces the root (the latest kept) when it plots before it. */
  size_t size = 0;
  for (size_t i = 0; i < n && cap > 0; i++) {
    if (!on_front[i])
      continue;
    if (size < cap) {
      order[size] = i;
      sift_up(x, y, order, size++);
    } else if (plots_before(x, y, i, order[0])) {
      order[0] = i;
      sift_down(x, y, order, size, 0);
    }
  }
  /* Heapsort the kept points into ascending plotting order. */
  for (size_t end = size; end > 1; end--) {
    size_t tmp = order[0];
    order[0] = order[end - 1];
    order[end - 1] = tmp;
    sift_down(x, y, order, end - 1, 0);
  }
  return size;
}
