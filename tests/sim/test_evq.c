/* Event queue: total order (time, priority, sequence), cancel and reschedule, against a sorted
 * reference on random workloads. */
#include <gsl/gsl_rng.h>
#include <stdint.h>
#include <stdlib.h>

#include "error.h"
#include "evq.h"
#include "rng.h"
#include "tf_test.h"

static void test_order_and_ties(void) {
  tf_evq *q;
  TF_CHECK_INT(tf_evq_create(&q), 0);
  tf_event ev;
  TF_CHECK_INT(tf_evq_pop(q, &ev), 0);
  /* Pushed out of order, with ties at t=10 broken by priority then push order. */
  TF_CHECK_INT(tf_evq_push(q, 30, 0, 1, 0, 0, NULL), 0);
  TF_CHECK_INT(tf_evq_push(q, 10, 5, 2, 0, 0, NULL), 0);
  TF_CHECK_INT(tf_evq_push(q, 10, 1, 3, 0, 0, NULL), 0);
  TF_CHECK_INT(tf_evq_push(q, 10, 5, 4, 0, 0, NULL), 0);
  TF_CHECK_INT(tf_evq_push(q, -7, 0, 5, 0, 0, NULL), 0); /* negative times are fine before start */
  TF_CHECK_INT(tf_evq_size(q), 5);
  uint32_t expect[] = {5, 3, 2, 4, 1};
  for (int i = 0; i < 5; i++) {
    TF_CHECK_INT(tf_evq_pop(q, &ev), 1);
    TF_CHECK_INT(ev.target, expect[i]);
    TF_CHECK(tf_evq_is_valid(q));
  }
  TF_CHECK_INT(tf_evq_last_time(q), 30);
  /* Monotone: nothing before the last popped time. */
  TF_CHECK_INT(tf_evq_push(q, 29, 0, 0, 0, 0, NULL), TF_EPAST);
  /* Same time as now, higher priority than what was popped at this time: still accepted and next. */
  TF_CHECK_INT(tf_evq_push(q, 31, 0, 7, 0, 0, NULL), 0);
  TF_CHECK_INT(tf_evq_push(q, 30, 9, 6, 0, 0, NULL), 0);
  TF_CHECK_INT(tf_evq_pop(q, &ev), 1);
  TF_CHECK_INT(ev.target, 6);
  TF_CHECK_INT(tf_evq_peak(q), 5);
  tf_evq_destroy(q);
}

static void test_cancel_reschedule(void) {
  tf_evq *q;
  TF_CHECK_INT(tf_evq_create(&q), 0);
  tf_evq_handle h[4];
  for (uint32_t i = 0; i < 4; i++)
    TF_CHECK_INT(tf_evq_push(q, 100 + (tf_time_ns)i, 0, i, 7, 1000 + i, &h[i]), 0);
  TF_CHECK_INT(tf_evq_cancel(q, 0), TF_EINVAL);
  TF_CHECK_INT(tf_evq_cancel(q, 99), TF_EINVAL);
  TF_CHECK_INT(tf_evq_cancel(q, h[1]), 0);
  TF_CHECK_INT(tf_evq_cancel(q, h[1]), TF_EINVAL); /* twice */
  TF_CHECK_INT(tf_evq_size(q), 3);
  TF_CHECK(tf_evq_is_valid(q));
  /* Move event 0 after event 3. */
  tf_evq_handle old = h[0];
  TF_CHECK_INT(tf_evq_reschedule(q, &h[0], 200, 0, 0, 7, 1000), 0);
  TF_CHECK(h[0] != old);
  TF_CHECK_INT(tf_evq_size(q), 3);
  tf_event ev;
  uint32_t expect[] = {2, 3, 0};
  for (int i = 0; i < 3; i++) {
    TF_CHECK_INT(tf_evq_pop(q, &ev), 1);
    TF_CHECK_INT(ev.target, expect[i]);
    TF_CHECK_INT(ev.type, 7);
    TF_CHECK_INT(ev.arg, 1000 + expect[i]);
  }
  TF_CHECK_INT(tf_evq_pop(q, &ev), 0);
  TF_CHECK_INT(tf_evq_size(q), 0);
  TF_CHECK(tf_evq_is_valid(q));
  tf_evq_destroy(q);
}

/* Reference: (time, order) pairs pending, kept unsorted; the minimum is found by scanning. */
typedef struct ref_ev {
  tf_time_ns t;
  uint64_t order;
  tf_evq_handle h;
  int live;
} ref_ev;

static void test_random_against_reference(void) {
  gsl_rng *r;
  TF_CHECK_INT(tf_rng_stream_create(&r, 2024, 0, 0), 0);
  tf_evq *q;
  TF_CHECK_INT(tf_evq_create(&q), 0);
  enum { N = 4000 };
  ref_ev *ref = calloc(N * 4, sizeof *ref);
  size_t nref = 0, live = 0, mismatches = 0, pops = 0;
  tf_time_ns now = 0;
  for (int step = 0; step < N * 3; step++) {
    double u = gsl_rng_uniform(r);
    if (u < 0.5 && nref < N * 4) {
      /* Times cluster on a coarse grid so ties are frequent; priorities 0..3. */
      tf_time_ns t = now + (tf_time_ns)gsl_rng_uniform_int(r, 50) * 1000;
      uint16_t prio = (uint16_t)gsl_rng_uniform_int(r, 4);
      tf_evq_handle h;
      TF_CHECK_INT(tf_evq_push(q, t, prio, (uint32_t)nref, 0, 0, &h), 0);
      ref[nref] = (ref_ev){t, ((uint64_t)prio << TF_EVQ_SEQ_BITS) | h, h, 1};
      nref++;
      live++;
    } else if (u < 0.6 && live > 0) {
      size_t k = gsl_rng_uniform_int(r, nref);
      if (ref[k].live) {
        TF_CHECK_INT(tf_evq_cancel(q, ref[k].h), 0);
        ref[k].live = 0;
        live--;
      }
    } else {
      size_t best = SIZE_MAX;
      for (size_t k = 0; k < nref; k++)
        if (ref[k].live && (best == SIZE_MAX || ref[k].t < ref[best].t ||
                            (ref[k].t == ref[best].t && ref[k].order < ref[best].order)))
          best = k;
      tf_event ev;
      int got = tf_evq_pop(q, &ev);
      if (best == SIZE_MAX) {
        TF_CHECK_INT(got, 0);
        continue;
      }
      pops++;
      if (got != 1 || ev.target != best)
        mismatches++;
      ref[best].live = 0;
      live--;
      now = ref[best].t;
    }
    if (step % 997 == 0)
      TF_CHECK(tf_evq_is_valid(q));
    TF_CHECK_INT(tf_evq_size(q), live);
  }
  TF_CHECK(pops > 1000);
  TF_CHECK_INT(mismatches, 0);
  free(ref);
  tf_evq_destroy(q);
  gsl_rng_free(r);
}

/* Memory follows what is pending: a long hold run at constant n does not accumulate capacity as
 * the busy buckets move with time (each bucket keeping its busiest size would reach ~16 n). */
static void test_memory_bounded(void) {
  gsl_rng *r;
  tf_evq *q;
  TF_CHECK_INT(tf_rng_stream_create(&r, 5, 0, 0), 0);
  TF_CHECK_INT(tf_evq_create(&q), 0);
  enum { N = 50000 };
  for (uint32_t i = 0; i < N; i++)
    TF_CHECK_INT(tf_evq_push(q, (tf_time_ns)(2e6 * gsl_rng_uniform(r)), 0, i, 0, 0, NULL), 0);
  size_t worst = 0;
  for (int i = 0; i < 40 * N; i++) {
    tf_event ev;
    TF_CHECK_INT(tf_evq_pop(q, &ev), 1);
    TF_CHECK_INT(tf_evq_push(q, ev.time_ns + 1 + (tf_time_ns)(2e6 * gsl_rng_uniform(r)), 0,
                             ev.target, 0, 0, NULL), 0);
    if (i % 1000 == 0 && tf_evq_capacity(q) > worst)
      worst = tf_evq_capacity(q);
  }
  TF_CHECK(tf_evq_is_valid(q));
  TF_CHECK_INT(tf_evq_size(q), N);
  TF_CHECK(worst <= 6 * (size_t)N);
  fprintf(stderr, "hold run: most capacity %zu slots for %d pending\n", worst, N);
  tf_evq_destroy(q);
  gsl_rng_free(r);
}

int main(void) {
  test_order_and_ties();
  test_cancel_reschedule();
  test_random_against_reference();
  test_memory_bounded();
  return tf_test_report("sim_evq");
}
