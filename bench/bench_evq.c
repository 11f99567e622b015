/* Engine event-queue benchmark: the classic hold model at 10^3, 10^5 and 10^6 pending events.
 *
 * Each hold operation pops the earliest event and pushes one at its time plus a random increment,
 * so the number pending stays constant (Vaucher and Duval, "A comparison of simulation event list
 * algorithms", CACM 1975). The queue is filled with n events and warmed up with 2n holds; the
 * timed phase runs max(2n, 4 million) holds. An event is one hold (pop + push).
 *
 * stdout, one line per case, the figure docs/PERFORMANCE.md records:
 *   pending=<n> events_per_s=<x>            tokenfab's queue, increments uniform on [1, 2 ms]
 * stderr, for context:
 *   ... increment=exponential               the same with exponential increments (mean 1 ms);
 *                                           the log in each draw costs about a third of a hold
 *   ... queue=4ary-heap                     a plain 4-ary heap of 32-byte events, uniform
 *                                           increments: the baseline the radix heap replaces
 * Usage: bench_evq [n]   (one case of n pending events) */
#include <gsl/gsl_randist.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "evq.h"
#include "rng.h"

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const double mean_increment_ns = 1e6;

static inline tf_time_ns increment(gsl_rng *r, bool exponential) {
  double x = exponential ? gsl_ran_exponential(r, mean_increment_ns)
                         : 2.0 * mean_increment_ns * gsl_rng_uniform(r);
  return 1 + (tf_time_ns)x;
}

/* --- the baseline: a plain 4-ary min-heap on (time, sequence) --- */
typedef struct heap4 {
  tf_event *ev;
  size_t len;
  uint64_t seq;
} heap4;

static inline bool before(const tf_event *a, const tf_event *b) {
  return a->time_ns < b->time_ns || (a->time_ns == b->time_ns && a->order < b->order);
}

static void heap4_push(heap4 *h, tf_time_ns t, uint32_t target) {
  tf_event ev = {.time_ns = t, .order = ++h->seq, .target = target};
  size_t i = h->len++;
  while (i > 0) {
    size_t parent = (i - 1) / 4;
    if (!before(&ev, &h->ev[parent]))
      break;
    h->ev[i] = h->ev[parent];
    i = parent;
  }
  h->ev[i] = ev;
}

static tf_event heap4_pop(heap4 *h) {
  tf_event top = h->ev[0], moved = h->ev[--h->len];
  size_t n = h->len, i = 0;
  for (;;) {
    size_t c = 4 * i + 1, best = c;
    if (c >= n)
      break;
    for (size_t k = c + 1; k < c + 4 && k < n; k++)
      if (before(&h->ev[k], &h->ev[best]))
        best = k;
    if (!before(&h->ev[best], &moved))
      break;
    h->ev[i] = h->ev[best];
    i = best;
  }
  if (n > 0)
    h->ev[i] = moved;
  return top;
}

static size_t timed_holds(size_t n) { return 2 * n > 4000000 ? 2 * n : 4000000; }

/* Holds per second of the 4-ary heap, or a negative number on failure. */
static double run_heap4(size_t n) {
  gsl_rng *r;
  heap4 h = {.ev = malloc(n * sizeof(tf_event))};
  if (!h.ev || tf_rng_stream_create(&r, 1, 0, 0))
    return -1;
  for (size_t i = 0; i < n; i++)
    heap4_push(&h, increment(r, false), (uint32_t)i);
  for (size_t i = 0; i < 2 * n; i++) {
    tf_event ev = heap4_pop(&h);
    heap4_push(&h, ev.time_ns + increment(r, false), ev.target);
  }
  size_t holds = timed_holds(n);
  double t0 = wall_now();
  for (size_t i = 0; i < holds; i++) {
    tf_event ev = heap4_pop(&h);
    heap4_push(&h, ev.time_ns + increment(r, false), ev.target);
  }
  double t1 = wall_now();
  free(h.ev);
  gsl_rng_free(r);
  return (double)holds / (t1 - t0);
}

/* --- tokenfab's queue --- */
static inline int hold(tf_evq *q, gsl_rng *r, bool exponential) {
  tf_event ev;
  if (tf_evq_pop(q, &ev) != 1)
    return -1;
  return tf_evq_push(q, ev.time_ns + increment(r, exponential), 0, ev.target, ev.type, ev.arg,
                     NULL);
}

/* Holds per second, or a negative number on failure. */
static double run_evq(size_t n, bool exponential) {
  tf_evq *q;
  gsl_rng *r;
  if (tf_evq_create(&q) || tf_rng_stream_create(&r, 1, 0, 0))
    return -1;
  for (size_t i = 0; i < n; i++)
    if (tf_evq_push(q, increment(r, exponential), 0, (uint32_t)i, 0, 0, NULL))
      return -1;
  for (size_t i = 0; i < 2 * n; i++)
    if (hold(q, r, exponential))
      return -1;
  size_t holds = timed_holds(n);
  double t0 = wall_now();
  for (size_t i = 0; i < holds; i++)
    if (hold(q, r, exponential))
      return -1;
  double t1 = wall_now();
  tf_evq_destroy(q);
  gsl_rng_free(r);
  return (double)holds / (t1 - t0);
}

static int run_case(size_t n) {
  double uniform = run_evq(n, false), expo = run_evq(n, true), base = run_heap4(n);
  if (uniform < 0 || expo < 0 || base < 0)
    return 1;
  printf("pending=%zu events_per_s=%.0f\n", n, uniform);
  fflush(stdout);
  fprintf(stderr, "pending=%zu events_per_s=%.0f increment=exponential\n", n, expo);
  fprintf(stderr, "pending=%zu events_per_s=%.0f queue=4ary-heap\n", n, base);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1) {
    char *end;
    size_t n = (size_t)strtoull(argv[1], &end, 10);
    if (*end || n == 0) {
      fprintf(stderr, "usage: bench_evq [pending-events]\n");
      return 2;
    }
    return run_case(n);
  }
  size_t cases[] = {1000, 100000, 1000000};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (run_case(cases[i]))
      return 1;
  return 0;
}
