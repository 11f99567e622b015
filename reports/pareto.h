/* Pareto frontiers of sweep results in two objectives: which scenarios no other scenario beats in
 * both (tokens/s per MW against tokens/s per user, cost per Mtok against a latency percentile).
 * Pure functions over caller-owned arrays; no I/O. The definitions: docs/SWEEPS.md. */
#ifndef TF_PARETO_H
#define TF_PARETO_H

#include <stdbool.h>
#include <stddef.h>

/* Whether larger (MAX) or smaller (MIN) values of an objective are better. */
typedef enum tf_pareto_sense { TF_PARETO_MAX, TF_PARETO_MIN } tf_pareto_sense;

/* Marks on_front[i] = true for every point (x[i], y[i]) that no other point dominates, false for
 * the rest. Point j dominates point i when j is at least as good as i in both objectives and
 * strictly better in one (better per sx for x, per sy for y). Points with a NaN in either
 * objective are never on the front and dominate nothing; infinities compare as numbers and -0.0
 * equals 0.0. Duplicates (equal in both objectives) do not dominate each other, so either all
 * copies of a point are on the front or none is. The result depends only on the values, never on
 * the order of the points.
 *
 * O(n log n) time (sort by x, sweep y) and O(n) temporary memory. x, y and on_front hold n
 * elements each and may be NULL when n is 0. Returns the number of points on the front, or
 * TF_ENOMEM with on_front untouched. */
long tf_pareto_front(size_t n, const double *x, tf_pareto_sense sx, const double *y,
                     tf_pareto_sense sy, bool *on_front);

/* The indices i with on_front[i], ordered by x ascending, ties by y ascending, then by index, for
 * plotting the front as a step line. Writes the first min(front size, cap) of them into order
 * and returns how many it wrote: compare with tf_pareto_front's count to detect a short order.
 * order may be NULL when cap is 0. O(n log cap) time, no allocation. on_front may mark any points
 * (not only a front); a marked point with a NaN sorts after every number in that objective. */
size_t tf_pareto_order(size_t n, const double *x, const double *y, const bool *on_front,
                       size_t *order, size_t cap);

#endif
