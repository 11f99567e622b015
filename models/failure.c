/* Failure and repair of the fleet's components: time-to-failure sampling, defaults, the failure
 * process of a group of instances and the repair shop. */
#include "failure.h"

#include <assert.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* ---- Time ---- */

/* Seconds to whole ns, rounded to nearest; TF_FAILURE_NEVER at or past the clock's range (and for
 * +inf). s >= 0. */
static int64_t s_to_ns(double s) {
  assert(!(s < 0));
  if (!(s < 9.2e9)) /* INT64_MAX ns is 9.22e9 s */
    return TF_FAILURE_NEVER;
  return (int64_t)llround(s * 1e9);
}

/* a + d, saturating at TF_FAILURE_NEVER; d >= 0. */
static int64_t add_ns(int64_t a, int64_t d) {
  assert(d >= 0);
  return a > INT64_MAX - d ? TF_FAILURE_NEVER : a + d;
}

/* ---- Time to failure ---- */

tf_failure_ttf tf_failure_ttf_exponential(double rate_per_s) {
  return (tf_failure_ttf){.kind = TF_FAILURE_EXPONENTIAL, .rate_per_s = rate_per_s};
}

tf_failure_ttf tf_failure_ttf_mtbf(double mtbf_s) {
  return tf_failure_ttf_exponential(1.0 / mtbf_s);
}

tf_failure_ttf tf_failure_ttf_weibull(double shape, double scale_s) {
  return (tf_failure_ttf){.kind = TF_FAILURE_WEIBULL, .shape = shape, .scale_s = scale_s};
}

static const char *const ttf_names[] = {
    [TF_FAILURE_EXPONENTIAL] = "exponential",
    [TF_FAILURE_WEIBULL] = "weibull",
};
#define N_TTF (sizeof ttf_names / sizeof ttf_names[0])

const char *tf_failure_ttf_kind_name(tf_failure_ttf_kind k) {
  return (unsigned)k < N_TTF ? ttf_names[k] : "unknown";
}

int tf_failure_ttf_kind_parse(const char *name, tf_failure_ttf_kind *out) {
  assert(name && out);
  for (size_t i = 0; i < N_TTF; i++) {
    if (strcmp(name, ttf_names[i]) == 0) {
      *out = (tf_failure_ttf_kind)i;
      return 0;
    }
  }
  return TF_FAIL(TF_ENOTFOUND,
                 "unknown time-to-failure distribution \"%s\" (expected exponential or weibull)",
                 name);
}

int tf_failure_ttf_check(const tf_failure_ttf *t, const char *what) {
  assert(t && what);
  switch (t->kind) {
  case TF_FAILURE_EXPONENTIAL:
    if (!(isfinite(t->rate_per_s) && t->rate_per_s >= 0 &&
          t->rate_per_s <= TF_FAILURE_MAX_RATE_PER_S))
      return TF_FAIL(TF_ERANGE,
                     "%s: exponential rate_per_s = %g (expected a number in [0, %g]; 0 never "
                     "fails)",
                     what, t->rate_per_s, TF_FAILURE_MAX_RATE_PER_S);
    return 0;
  case TF_FAILURE_WEIBULL:
    if (!(t->shape >= TF_FAILURE_MIN_SHAPE && t->shape <= TF_FAILURE_MAX_SHAPE))
      return TF_FAIL(TF_ERANGE, "%s: weibull shape = %g (expected a number in [%g, %g])", what,
                     t->shape, TF_FAILURE_MIN_SHAPE, TF_FAILURE_MAX_SHAPE);
    if (!(isfinite(t->scale_s) && t->scale_s >= TF_FAILURE_MIN_SCALE_S))
      return TF_FAIL(TF_ERANGE, "%s: weibull scale_s = %g (expected a finite number >= %g)", what,
                     t->scale_s, TF_FAILURE_MIN_SCALE_S);
    return 0;
  }
  return TF_FAIL(TF_ERANGE, "%s: kind = %d (expected exponential or weibull)", what, (int)t->kind);
}

double tf_failure_ttf_sample_s(const tf_failure_ttf *t, gsl_rng *r) {
  assert(t && r);
  switch (t->kind) {
  case TF_FAILURE_EXPONENTIAL:
    return t->rate_per_s > 0 ? gsl_ran_exponential(r, 1.0 / t->rate_per_s) : INFINITY;
  case TF_FAILURE_WEIBULL:
    /* GSL's (a, b) are (scale, shape): p(x) = b/a (x/a)^(b-1) exp(-(x/a)^b). */
    return gsl_ran_weibull(r, t->scale_s, t->shape);
  }
  assert(0 && "tf_failure_ttf_sample_s: unknown kind");
  return NAN;
}

double tf_failure_ttf_mean_s(const tf_failure_ttf *t) {
  assert(t);
  switch (t->kind) {
  case TF_FAILURE_EXPONENTIAL:
    return t->rate_per_s > 0 ? 1.0 / t->rate_per_s : INFINITY;
  case TF_FAILURE_WEIBULL:
    /* 1 + 1/k <= 21 for k >= TF_FAILURE_MIN_SHAPE: far from gsl_sf_gamma's overflow at 171. */
    assert(t->shape >= TF_FAILURE_MIN_SHAPE);
    return t->scale_s * gsl_sf_gamma(1.0 + 1.0 / t->shape);
  }
  return NAN;
}

/* ---- Component classes ---- */

static const char *const component_names[] = {
    [TF_FAILURE_GPU] = "gpu",
    [TF_FAILURE_NODE] = "node",
    [TF_FAILURE_RACK] = "rack",
    [TF_FAILURE_LINK] = "link",
};

const char *tf_failure_component_name(tf_failure_component c) {
  return (unsigned)c < TF_FAILURE_COMPONENTS_ ? component_names[c] : "unknown";
}

int tf_failure_component_parse(const char *name, tf_failure_component *out) {
  assert(name && out);
  for (int i = 0; i < TF_FAILURE_COMPONENTS_; i++) {
    if (strcmp(name, component_names[i]) == 0) {
      *out = (tf_failure_component)i;
      return 0;
    }
  }
  return TF_FAIL(TF_ENOTFOUND, "unknown component \"%s\" (expected gpu, node, rack or link)", name);
}

/* The defaults (docs/FAILURES.md). Rates: Llama 3 interruptions (failure.h). Repair and swap
 * times are documented assumptions, anchored where a figure was found:
 *   - GPU: a replacement under an advance-replacement contract arrives next business day, without
 *     one in 3-14 business days; a technician swap takes 2-4 h plus diagnostics; with spares on
 *     site the whole cycle takes under a day (amcompute.com, "When a GPU Dies in Production",
 *     2026). Repair mean 72 h (next business day over weekends, plus swap and burn-in); swap 24 h.
 *   - Node: its FRUs (PSU, DIMM, SSD, boards) are stocked on site; 24 h mean, the top of the
 *     "under an hour to over a day" range of mean repair times across the LANL systems
 *     (Schroeder and Gibson, DSN 2006); swap 4 h (the 2-4 h technician swap above).
 *   - Link: optic or cable swaps, occasionally a switch; 8 h mean, swap 1 h.
 *   - Rack: as the GPU. No failure rate is published for a rack as a whole: 0 until a scenario
 *     sets one.
 * Lognormal: repair times at the LANL systems are "well modeled by a lognormal distribution"
 * (Schroeder and Gibson); cv 1 is an assumption. */
typedef struct class_default {
  double rate_per_year, repair_mean_h, swap_h;
} class_default;

static const class_default class_defaults[] = {
    [TF_FAILURE_GPU] = {TF_FAILURE_GPU_RATE_PER_YEAR, 72.0, 24.0},
    [TF_FAILURE_NODE] = {TF_FAILURE_NODE_RATE_PER_YEAR, 24.0, 4.0},
    [TF_FAILURE_RACK] = {0.0, 72.0, 24.0},
    [TF_FAILURE_LINK] = {TF_FAILURE_LINK_RATE_PER_YEAR, 8.0, 1.0},
};
#define DEFAULT_REPAIR_CV 1.0

int tf_failure_class_default(tf_failure_component c, int64_t count, tf_failure_class *out) {
  assert(out);
  if ((unsigned)c >= TF_FAILURE_COMPONENTS_)
    return TF_FAIL(TF_ERANGE, "component = %d (expected gpu, node, rack or link)", (int)c);
  if (count < 0 || count > TF_FAILURE_MAX_INSTANCES)
    return TF_FAIL(TF_ERANGE, "%s class: count = %lld (expected a number in [0, %lld])",
                   component_names[c], (long long)count, (long long)TF_FAILURE_MAX_INSTANCES);
  const class_default *d = &class_defaults[c];
  *out = (tf_failure_class){
      .component = c,
      .count = count,
      .ttf = tf_failure_ttf_exponential(d->rate_per_year / TF_FAILURE_YEAR_S),
      .repair = {.time = {.kind = TF_DIST_LOGNORMAL,
                          .mean = d->repair_mean_h * TF_FAILURE_HOUR_S,
                          .cv = DEFAULT_REPAIR_CV},
                 .crews = TF_FAILURE_UNLIMITED,
                 .spares = 0,
                 .swap_s = d->swap_h * TF_FAILURE_HOUR_S},
  };
  return 0;
}

/* 0 if crews is >= 1 (TF_FAILURE_UNLIMITED included), else TF_ERANGE led by what. */
static int crews_check(int64_t crews, const char *what) {
  if (crews < 1)
    return TF_FAIL(TF_ERANGE, "%s: crews = %lld (expected at least 1, or unlimited)", what,
                   (long long)crews);
  return 0;
}

int tf_failure_repair_check(const tf_failure_repair *rp, const char *what) {
  assert(rp && what);
  int rc = crews_check(rp->crews, what);
  if (rc)
    return rc;
  if (rp->spares < 0)
    return TF_FAIL(TF_ERANGE, "%s: spares = %lld (expected a number >= 0)", what,
                   (long long)rp->spares);
  if (!(rp->swap_s >= 0 && rp->swap_s <= TF_FAILURE_MAX_SWAP_S))
    return TF_FAIL(TF_ERANGE, "%s: swap_s = %g (expected a number in [0, %g])", what, rp->swap_s,
                   TF_FAILURE_MAX_SWAP_S);
  char name[96];
  snprintf(name, sizeof name, "%s repair time", what);
  return tf_dist_check_as(&rp->time, name);
}

int tf_failure_class_check(const tf_failure_class *c) {
  assert(c);
  if ((unsigned)c->component >= TF_FAILURE_COMPONENTS_)
    return TF_FAIL(TF_ERANGE, "component = %d (expected gpu, node, rack or link)",
                   (int)c->component);
  const char *name = component_names[c->component];
  if (c->count < 0 || c->count > TF_FAILURE_MAX_INSTANCES)
    return TF_FAIL(TF_ERANGE, "%s class: count = %lld (expected a number in [0, %lld])", name,
                   (long long)c->count, (long long)TF_FAILURE_MAX_INSTANCES);
  char what[64];
  snprintf(what, sizeof what, "%s time to failure", name);
  int rc = tf_failure_ttf_check(&c->ttf, what);
  if (rc)
    return rc;
  snprintf(what, sizeof what, "%s class", name);
  return tf_failure_repair_check(&c->repair, what);
}

/* ---- Analytic helpers ---- */

double tf_failure_availability(double mttf_s, double mttr_s) {
  assert(mttf_s > 0 && mttr_s >= 0);
  return isinf(mttf_s) ? 1.0 : mttf_s / (mttf_s + mttr_s);
}

double tf_failure_expected_count(double rate_per_s, int64_t n, double t_s) {
  return (double)n * rate_per_s * t_s;
}

/* ---- The failure process ---- */

/* A Weibull instance's clock: when it fails. Heap order (at_ns, id): ties never depend on
 * memory. */
typedef struct clock_entry {
  int64_t at_ns;
  int64_t id;
} clock_entry;

/* Invariants: down[0 .. n_down) is strictly increasing, the instances down; the others are up.
 * EXPONENTIAL: the pending failure (has_pending) was drawn at clock_ns for n - n_down instances
 * and names an instance up. WEIBULL: heap holds exactly the instances up, a min-heap by
 * (at_ns, id), every at_ns >= the clock_ns of the change that drew it; the pending failure is
 * heap[0]. clock_ns never decreases. */
struct tf_failure_process {
  tf_failure_ttf ttf;
  int64_t n;
  int64_t clock_ns; /* the last change: creation, a failure, a return */
  int64_t *down;
  size_t n_down, cap_down;
  bool has_pending; /* EXPONENTIAL */
  clock_entry pending;
  clock_entry *heap; /* WEIBULL: n entries allocated */
  size_t n_heap;
};

static bool clock_less(clock_entry a, clock_entry b) {
  return a.at_ns < b.at_ns || (a.at_ns == b.at_ns && a.id < b.id);
}

static void heap_push(clock_entry *h, size_t *n, clock_entry e) {
  size_t i = (*n)++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!clock_less(e, h[parent]))
      break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = e;
}

static clock_entry heap_pop(clock_entry *h, size_t *n) {
  assert(*n > 0);
  clock_entry top = h[0], last = h[--*n];
  size_t i = 0, m = *n;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= m)
      break;
    if (c + 1 < m && clock_less(h[c + 1], h[c]))
      c++;
    if (!clock_less(h[c], last))
      break;
    h[i] = h[c];
    i = c;
  }
  if (m > 0)
    h[i] = last;
  return top;
}

/* Where id is, or would be inserted, in the sorted down list. */
static size_t down_find(const tf_failure_process *p, int64_t id) {
  size_t lo = 0, hi = p->n_down;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (p->down[mid] < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static bool is_down(const tf_failure_process *p, int64_t id) {
  size_t i = down_find(p, id);
  return i < p->n_down && p->down[i] == id;
}

/* The k-th instance up (0-based) in id order: O(n_down). */
static int64_t kth_up(const tf_failure_process *p, int64_t k) {
  int64_t id = k;
  for (size_t i = 0; i < p->n_down && p->down[i] <= id; i++)
    id++;
  return id;
}

/* Instance id enters service at from_ns: its Weibull clock goes on the heap. */
static void weibull_clock(tf_failure_process *p, int64_t from_ns, int64_t id, gsl_rng *r) {
  clock_entry e = {add_ns(from_ns, s_to_ns(tf_failure_ttf_sample_s(&p->ttf, r))), id};
  heap_push(p->heap, &p->n_heap, e);
}

/* The pending failure's instant, or INT64_MAX if none is known. */
static int64_t pending_ns(const tf_failure_process *p) {
  if (p->ttf.kind == TF_FAILURE_WEIBULL)
    return p->n_heap ? p->heap[0].at_ns : INT64_MAX;
  return p->has_pending ? p->pending.at_ns : INT64_MAX;
}

int tf_failure_process_create(tf_failure_process **out, const tf_failure_ttf *ttf,
                              int64_t instances, int64_t start_ns, gsl_rng *r) {
  assert(out && ttf);
  *out = NULL;
  int rc = tf_failure_ttf_check(ttf, "failure process");
  if (rc)
    return rc;
  if (instances < 0 || instances > TF_FAILURE_MAX_INSTANCES)
    return TF_FAIL(TF_ERANGE, "failure process: instances = %lld (expected a number in [0, %lld])",
                   (long long)instances, (long long)TF_FAILURE_MAX_INSTANCES);
  assert(ttf->kind == TF_FAILURE_EXPONENTIAL || r);
  tf_failure_process *p = calloc(1, sizeof *p);
  if (!p)
    return TF_FAIL(TF_ENOMEM, "failure process: no memory");
  p->ttf = *ttf;
  p->n = instances;
  p->clock_ns = start_ns;
  if (ttf->kind == TF_FAILURE_WEIBULL && instances > 0) {
    p->heap = malloc((size_t)instances * sizeof *p->heap);
    if (!p->heap) {
      free(p);
      return TF_FAIL(TF_ENOMEM, "failure process: no memory for %lld Weibull clocks",
                     (long long)instances);
    }
    for (int64_t i = 0; i < instances; i++)
      weibull_clock(p, start_ns, i, r);
  }
  assert(tf_failure_process_is_valid(p));
  *out = p;
  return 0;
}

void tf_failure_process_destroy(tf_failure_process *p) {
  if (!p)
    return;
  free(p->down);
  free(p->heap);
  free(p);
}

int tf_failure_next(tf_failure_process *p, gsl_rng *r, int64_t *at_ns, int64_t *instance) {
  assert(p && at_ns && instance);
  clock_entry e;
  if (p->ttf.kind == TF_FAILURE_WEIBULL) {
    if (p->n_heap == 0)
      return TF_ENOTFOUND;
    e = p->heap[0];
  } else {
    if (!p->has_pending) {
      int64_t up = p->n - (int64_t)p->n_down;
      if (up == 0 || p->ttf.rate_per_s == 0)
        return TF_ENOTFOUND;
      assert(r && (uint64_t)up <= gsl_rng_max(r) - gsl_rng_min(r)); /* gsl_rng_uniform_int's limit */
      double gap_s = gsl_ran_exponential(r, 1.0 / ((double)up * p->ttf.rate_per_s));
      int64_t k = (int64_t)gsl_rng_uniform_int(r, (unsigned long)up);
      p->pending = (clock_entry){add_ns(p->clock_ns, s_to_ns(gap_s)), kth_up(p, k)};
      p->has_pending = true;
    }
    e = p->pending;
  }
  if (e.at_ns == TF_FAILURE_NEVER)
    return TF_ENOTFOUND;
  *at_ns = e.at_ns;
  *instance = e.id;
  return 0;
}

/* Room for one more instance down. */
static int down_reserve(tf_failure_process *p) {
  if (p->n_down < p->cap_down)
    return 0;
  size_t cap = p->cap_down ? 2 * p->cap_down : 16;
  int64_t *d = realloc(p->down, cap * sizeof *d);
  if (!d)
    return TF_FAIL(TF_ENOMEM, "failure process: no memory for %zu instances down", cap);
  p->down = d;
  p->cap_down = cap;
  return 0;
}

/* The full tf_failure_process_is_valid is O(n) over the Weibull clocks, too slow to assert on
 * every failure of a large group: down and up assert what they touch. */
int tf_failure_down(tf_failure_process *p, int64_t now_ns, int64_t *instance) {
  assert(p && instance);
  assert(p->n_down <= (size_t)p->n);
  clock_entry e;
  if (p->ttf.kind == TF_FAILURE_WEIBULL) {
    if (p->n_heap == 0)
      return TF_FAIL(TF_EINVAL, "failure process: no failure is pending (every instance is down)");
    e = p->heap[0];
  } else {
    if (!p->has_pending)
      return TF_FAIL(TF_EINVAL, "failure process: no failure is pending (call tf_failure_next)");
    e = p->pending;
  }
  if (e.at_ns != now_ns)
    return TF_FAIL(TF_EINVAL,
                   "failure process: the pending failure is at %lld ns, not at %lld ns",
                   (long long)e.at_ns, (long long)now_ns);
  int rc = down_reserve(p);
  if (rc)
    return rc;
  if (p->ttf.kind == TF_FAILURE_WEIBULL)
    heap_pop(p->heap, &p->n_heap);
  p->has_pending = false;
  size_t i = down_find(p, e.id);
  assert(i == p->n_down || p->down[i] != e.id);
  memmove(p->down + i + 1, p->down + i, (p->n_down - i) * sizeof *p->down);
  p->down[i] = e.id;
  p->n_down++;
  p->clock_ns = now_ns;
  *instance = e.id;
  assert(i == 0 || p->down[i - 1] < e.id);
  return 0;
}

int tf_failure_up(tf_failure_process *p, int64_t now_ns, int64_t instance, gsl_rng *r) {
  assert(p);
  if (instance < 0 || instance >= p->n || !is_down(p, instance))
    return TF_FAIL(TF_EINVAL, "failure process: instance %lld is not down", (long long)instance);
  if (now_ns < p->clock_ns)
    return TF_FAIL(TF_EPAST, "failure process: return at %lld ns, before the last change at %lld ns",
                   (long long)now_ns, (long long)p->clock_ns);
  int64_t pend = pending_ns(p);
  if (pend < now_ns)
    return TF_FAIL(TF_EPAST,
                   "failure process: return at %lld ns, after the pending failure at %lld ns "
                   "(take it down first)",
                   (long long)now_ns, (long long)pend);
  size_t i = down_find(p, instance);
  memmove(p->down + i, p->down + i + 1, (p->n_down - i - 1) * sizeof *p->down);
  p->n_down--;
  p->clock_ns = now_ns;
  if (p->ttf.kind == TF_FAILURE_WEIBULL) {
    assert(r);
    weibull_clock(p, now_ns, instance, r);
  } else {
    p->has_pending = false; /* memoryless: redrawn from now for one more instance up */
  }
  assert(p->ttf.kind != TF_FAILURE_WEIBULL || p->n_heap + p->n_down == (size_t)p->n);
  return 0;
}

int64_t tf_failure_process_instances(const tf_failure_process *p) { return p->n; }

int64_t tf_failure_process_down_count(const tf_failure_process *p) { return (int64_t)p->n_down; }

int tf_failure_process_is_valid(const tf_failure_process *p) {
  if (!p || p->n < 0 || p->n_down > (size_t)p->n || p->n_down > p->cap_down)
    return 0;
  for (size_t i = 0; i < p->n_down; i++)
    if (p->down[i] < 0 || p->down[i] >= p->n || (i > 0 && p->down[i] <= p->down[i - 1]))
      return 0;
  if (p->ttf.kind == TF_FAILURE_WEIBULL) {
    if (p->n_heap + p->n_down != (size_t)p->n || p->has_pending)
      return 0;
    for (size_t i = 1; i < p->n_heap; i++)
      if (clock_less(p->heap[i], p->heap[(i - 1) / 2]))
        return 0;
  } else if (p->has_pending) {
    if (p->pending.at_ns < p->clock_ns || is_down(p, p->pending.id) || p->pending.id >= p->n)
      return 0;
  }
  return 1;
}

/* ---- The repair shop ---- */

/* A failed part not yet repaired. */
typedef struct job {
  int64_t end_ns;
  int spare; /* returns to the spare pool when repaired */
} job;

/* Invariants: crew is a min-heap of the instants the busy crews are next free (at most `crews`
 * entries, and no more than the shops' unfinished repairs together); shops lists every shop
 * drawing on the team, each pointing back to it. clock_ns is the clock of the team and all its
 * shops: advancing one advances all, so every shop's repairs are retired up to the same instant
 * and the crews busy (the shops' repairs started, not finished) are at most `crews`. */
struct tf_repair_team {
  int64_t crews;
  int64_t clock_ns;
  job *crew; /* keyed by end_ns, the instant the crew is free; spare unused */
  size_t n_crew, cap_crew;
  tf_repair_shop **shops;
  size_t n_shops, cap_shops;
};

/* Invariants: jobs is a min-heap by end_ns of this class's unfinished repairs (every end_ns >
 * the team's clock once retired); wait[head ..] (a ring) holds, non-decreasing, the start instants
 * of this class's repairs still after the clock (FIFO starts never decrease, and a class's starts
 * are a subsequence of its team's); spares_free + spare_jobs == cfg.spares: a part swapped out
 * takes its place in the pool while it is repaired. */
struct tf_repair_shop {
  tf_failure_repair cfg;
  tf_repair_team *team;
  bool owns_team; /* tf_repair_shop_create: its own line, destroyed with the shop */
  int64_t swap_ns;
  int64_t spares_free;
  int64_t spare_jobs;
  job *jobs;
  size_t n_jobs, cap_jobs;
  int64_t *wait;
  size_t wait_head, n_wait, cap_wait;
  uint64_t failures, swaps;
};

static void job_heap_push(job *h, size_t *n, job v) {
  size_t i = (*n)++;
  while (i > 0 && v.end_ns < h[(i - 1) / 2].end_ns) {
    h[i] = h[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  h[i] = v;
}

static job job_heap_pop(job *h, size_t *n) {
  assert(*n > 0);
  job top = h[0], last = h[--*n];
  size_t i = 0, m = *n;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= m)
      break;
    if (c + 1 < m && h[c + 1].end_ns < h[c].end_ns)
      c++;
    if (h[c].end_ns >= last.end_ns)
      break;
    h[i] = h[c];
    i = c;
  }
  if (m > 0)
    h[i] = last;
  return top;
}

/* Grows *buf (n in use, *cap allocated, elements of size sz) to hold one more; what names the
 * elements in the message. */
static int reserve(void **buf, size_t n, size_t *cap, size_t sz, const char *what) {
  if (n < *cap)
    return 0;
  size_t c = *cap ? 2 * *cap : 16;
  void *b = realloc(*buf, c * sz);
  if (!b)
    return TF_FAIL(TF_ENOMEM, "repair shop: no memory for %zu %s", c, what);
  *buf = b;
  *cap = c;
  return 0;
}

/* The wait ring grows by unrolling into a larger buffer. */
static int wait_reserve(tf_repair_shop *s) {
  if (s->n_wait < s->cap_wait)
    return 0;
  size_t c = s->cap_wait ? 2 * s->cap_wait : 16;
  int64_t *b = malloc(c * sizeof *b);
  if (!b)
    return TF_FAIL(TF_ENOMEM, "repair shop: no memory for %zu waiting repairs", c);
  for (size_t i = 0; i < s->n_wait; i++)
    b[i] = s->wait[(s->wait_head + i) % s->cap_wait];
  free(s->wait);
  s->wait = b;
  s->wait_head = 0;
  s->cap_wait = c;
  return 0;
}

/* The shop's repairs done by now_ns return their spares; its starts up to now_ns leave the wait
 * ring. Its team retires the crews. */
static void shop_retire(tf_repair_shop *s, int64_t now_ns) {
  while (s->n_jobs > 0 && s->jobs[0].end_ns <= now_ns) {
    job j = job_heap_pop(s->jobs, &s->n_jobs);
    if (j.spare) {
      s->spare_jobs--;
      s->spares_free++;
    }
  }
  while (s->n_wait > 0 && s->wait[s->wait_head] <= now_ns) {
    s->wait_head = (s->wait_head + 1) % s->cap_wait;
    s->n_wait--;
  }
}

/* The shop's own invariants (the team's are tf_repair_team_is_valid). */
static bool shop_is_valid(const tf_repair_shop *s) {
  if (!s->team || s->spares_free < 0 || s->spare_jobs < 0 ||
      s->spares_free + s->spare_jobs != s->cfg.spares || s->n_wait > s->n_jobs)
    return false;
  for (size_t i = 1; i < s->n_jobs; i++)
    if (s->jobs[i].end_ns < s->jobs[(i - 1) / 2].end_ns)
      return false;
  for (size_t i = 1; i < s->n_wait; i++)
    if (s->wait[(s->wait_head + i) % s->cap_wait] <
        s->wait[(s->wait_head + i - 1) % s->cap_wait])
      return false;
  return true;
}

int tf_repair_team_create(tf_repair_team **out, int64_t crews, int64_t start_ns) {
  assert(out);
  *out = NULL;
  int rc = crews_check(crews, "repair team");
  if (rc)
    return rc;
  tf_repair_team *t = calloc(1, sizeof *t);
  if (!t)
    return TF_FAIL(TF_ENOMEM, "repair team: no memory");
  t->crews = crews;
  t->clock_ns = start_ns;
  assert(tf_repair_team_is_valid(t));
  *out = t;
  return 0;
}

void tf_repair_team_destroy(tf_repair_team *t) {
  if (!t)
    return;
  assert(t->n_shops == 0); /* its shops are destroyed first */
  free(t->crew);
  free(t->shops);
  free(t);
}

int tf_repair_team_done(tf_repair_team *t, int64_t now_ns) {
  assert(t);
  if (now_ns < t->clock_ns)
    return TF_FAIL(TF_EPAST, "repair shop: %lld ns is before its clock at %lld ns",
                   (long long)now_ns, (long long)t->clock_ns);
  t->clock_ns = now_ns;
  while (t->n_crew > 0 && t->crew[0].end_ns <= now_ns)
    job_heap_pop(t->crew, &t->n_crew);
  for (size_t i = 0; i < t->n_shops; i++)
    shop_retire(t->shops[i], now_ns);
  assert(tf_repair_team_is_valid(t));
  return 0;
}

void tf_repair_team_get_status(const tf_repair_team *t, tf_repair_team_status *out) {
  assert(t && out);
  *out = (tf_repair_team_status){.clock_ns = t->clock_ns, .shops = (int64_t)t->n_shops};
  for (size_t i = 0; i < t->n_shops; i++) {
    tf_repair_shop_status q;
    tf_repair_shop_get_status(t->shops[i], &q);
    out->repairs_waiting += q.repairs_waiting;
    out->repairs_active += q.repairs_active;
    out->failures += q.failures;
  }
}

int tf_repair_team_is_valid(const tf_repair_team *t) {
  if (!t || t->crews < 1 || (int64_t)t->n_crew > t->crews || t->n_shops > t->cap_shops)
    return 0;
  for (size_t i = 1; i < t->n_crew; i++)
    if (t->crew[i].end_ns < t->crew[(i - 1) / 2].end_ns)
      return 0;
  size_t jobs = 0, active = 0;
  for (size_t i = 0; i < t->n_shops; i++) {
    const tf_repair_shop *s = t->shops[i];
    if (!s || s->team != t || !shop_is_valid(s))
      return 0;
    jobs += s->n_jobs;
    active += s->n_jobs - s->n_wait;
  }
  return t->n_crew <= jobs && (int64_t)active <= t->crews;
}

/* A shop on team (cfg checked by the caller). */
static int shop_new(tf_repair_shop **out, const tf_failure_repair *cfg, tf_repair_team *team) {
  tf_repair_shop *s = calloc(1, sizeof *s);
  if (!s)
    return TF_FAIL(TF_ENOMEM, "repair shop: no memory");
  int rc = reserve((void **)&team->shops, team->n_shops, &team->cap_shops, sizeof *team->shops,
                   "shops");
  if (rc) {
    free(s);
    return rc;
  }
  s->cfg = *cfg;
  s->team = team;
  s->swap_ns = s_to_ns(cfg->swap_s);
  s->spares_free = cfg->spares;
  team->shops[team->n_shops++] = s;
  assert(tf_repair_shop_is_valid(s));
  *out = s;
  return 0;
}

int tf_repair_shop_create(tf_repair_shop **out, const tf_failure_repair *cfg, int64_t start_ns) {
  assert(out && cfg);
  *out = NULL;
  tf_repair_team *team = NULL;
  int rc = tf_failure_repair_check(cfg, "repair shop");
  if (rc || (rc = tf_repair_team_create(&team, cfg->crews, start_ns)))
    return rc;
  if ((rc = shop_new(out, cfg, team))) {
    tf_repair_team_destroy(team);
    return rc;
  }
  (*out)->owns_team = true;
  return 0;
}

int tf_repair_shop_create_shared(tf_repair_shop **out, const tf_failure_repair *cfg,
                                 tf_repair_team *team) {
  assert(out && cfg && team);
  *out = NULL;
  int rc = tf_failure_repair_check(cfg, "repair shop");
  return rc ? rc : shop_new(out, cfg, team);
}

void tf_repair_shop_destroy(tf_repair_shop *s) {
  if (!s)
    return;
  /* Leave the team, keeping the others in order: O(shops), once per shop. */
  tf_repair_team *t = s->team;
  size_t i = 0;
  while (i < t->n_shops && t->shops[i] != s)
    i++;
  assert(i < t->n_shops);
  memmove(&t->shops[i], &t->shops[i + 1], (t->n_shops - i - 1) * sizeof *t->shops);
  t->n_shops--;
  if (s->owns_team)
    tf_repair_team_destroy(t);
  free(s->jobs);
  free(s->wait);
  free(s);
}

int tf_repair_shop_done(tf_repair_shop *s, int64_t now_ns) {
  assert(s);
  return tf_repair_team_done(s->team, now_ns);
}

int tf_repair_shop_fail(tf_repair_shop *s, int64_t now_ns, gsl_rng *r, tf_repair_ticket *ticket) {
  assert(s && r && ticket);
  tf_repair_team *t = s->team;
  int rc = tf_repair_team_done(t, now_ns);
  if (rc)
    return rc;
  /* Reserve everything first, so that running out of memory leaves the shop as it was. */
  if ((rc = reserve((void **)&t->crew, t->n_crew, &t->cap_crew, sizeof *t->crew, "repairs")) ||
      (rc = reserve((void **)&s->jobs, s->n_jobs, &s->cap_jobs, sizeof *s->jobs, "repairs")) ||
      (rc = wait_reserve(s)))
    return rc;
  double d_s = tf_dist_sample(&s->cfg.time, r);
  int64_t dur = s_to_ns(d_s > 0 ? d_s : 0);
  /* FIFO over the team's crews: the job starts at once if a crew is free, else when the earliest
   * busy crew frees; only jobs issued earlier (by any of the team's shops) decide that, so the
   * answer is final now. */
  int64_t start =
      (int64_t)t->n_crew < t->crews ? now_ns : job_heap_pop(t->crew, &t->n_crew).end_ns;
  int64_t end = add_ns(start, dur);
  job_heap_push(t->crew, &t->n_crew, (job){end, 0});
  if (start > now_ns) {
    s->wait[(s->wait_head + s->n_wait) % s->cap_wait] = start;
    s->n_wait++;
  }
  int spare = s->spares_free > 0;
  if (spare) {
    s->spares_free--;
    s->spare_jobs++;
    s->swaps++;
  }
  job_heap_push(s->jobs, &s->n_jobs, (job){end, spare});
  s->failures++;
  *ticket = (tf_repair_ticket){
      .back_ns = spare ? add_ns(now_ns, s->swap_ns) : end,
      .repair_start_ns = start,
      .repair_end_ns = end,
      .spare = spare,
  };
  assert(tf_repair_shop_is_valid(s));
  return 0;
}

void tf_repair_shop_get_status(const tf_repair_shop *s, tf_repair_shop_status *out) {
  assert(s && out);
  *out = (tf_repair_shop_status){
      .clock_ns = s->team->clock_ns,
      .spares_free = s->spares_free,
      .repairs_waiting = (int64_t)s->n_wait,
      .repairs_active = (int64_t)(s->n_jobs - s->n_wait),
      .failures = s->failures,
      .spare_swaps = s->swaps,
  };
}

int tf_repair_shop_is_valid(const tf_repair_shop *s) {
  if (!s || !shop_is_valid(s))
    return 0;
  /* The team checks every shop again, this one among them: fine for asserts. */
  for (size_t i = 0; i < s->team->n_shops; i++)
    if (s->team->shops[i] == s)
      return tf_repair_team_is_valid(s->team);
  return 0;
}
