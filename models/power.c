/* GPU power from a step's breakdown, DVFS under a power cap, and system and facility power. */
#include "power.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "error.h"

/* ---- the default profile ---- */

/* Splitwise's simulator (github.com/Mutinifni/splitwise-sim, configs/power_model/constant.yaml,
 * the constants of Patel et al., "Splitwise", ISCA 2024) draws an H100 at 75 W idle, 700 W in the
 * prompt phase and 380 W in the token phase. The prompt phase is compute-bound and the token
 * phase HBM-bound (the paper's characterisation), so these fix the two largest classes. */
#define SPLITWISE_H100_IDLE_W 75.0
#define SPLITWISE_H100_PROMPT_W 700.0
#define SPLITWISE_H100_TOKEN_W 380.0
#define H100_TDP_W 700.0

/* Ma, Afzal, Eitzinger, Wellein, "The Illusion of Power Capping in LLM Decode" (arXiv:2605.11999,
 * 2026): decode on a 700 W H200 draws 137-300 W. The low end, small batches where launches and
 * short reads leave the GPU mostly waiting, sets the latency class, over the catalogue's 70 W
 * H200 idle (assumed 10 % of TDP there; Splitwise's 75 W H100 idle and public nvidia-smi dumps
 * of idle Hopper SXM boards at 71-75 W agree). */
#define MA2026_DECODE_MIN_W 137.0
#define H200_IDLE_W 70.0
#define H200_TDP_W 700.0

/* nvidia-smi -q on Hopper SXM (H100/H800): Min Power Limit 200 W, Max Power Limit 700 W; the
 * same 200-700 W range Ujeniya et al. sweep on H100 and H200 (arXiv:2604.11391, 2026). */
#define H100_MIN_POWER_LIMIT_W 200.0
#define H100_IDLE_W 70.0 /* catalogue: 10 % of TDP */
#define H100_MIN_CLOCK 0.5909275903484276 /* cbrt((H100_MIN_POWER_LIMIT_W - H100_IDLE_W) /
                                                   (H100_TDP_W - H100_IDLE_W)) */

/* CMOS dynamic power P = a C V^2 f (Weste & Harris, "CMOS VLSI Design", ch. 5) with the supply
 * voltage scaled in proportion to the clock over the DVFS range: P ~ f^3. */
#define CMOS_CLOCK_EXPONENT 3.0

static const tf_power_profile default_profile = {
    .name = "default (H100/H200 inference power measurements, CMOS f^3)",
    .activity_compute = (SPLITWISE_H100_PROMPT_W - SPLITWISE_H100_IDLE_W) /
                        (H100_TDP_W - SPLITWISE_H100_IDLE_W),
    .activity_hbm = (SPLITWISE_H100_TOKEN_W - SPLITWISE_H100_IDLE_W) /
                    (H100_TDP_W - SPLITWISE_H100_IDLE_W),
    /* Assumption (no published per-collective power): an exposed all-to-all or all-reduce runs
     * on a few SMs (20 of 132 in DeepSeek-V3's, arXiv:2412.19437 sec. 3.2.2) while the links and
     * HBM move data at link rate: between the latency floor (0.106) and HBM streaming (0.488). */
    .activity_scale_up = 0.25,
    .activity_scale_out = 0.25,
    .activity_latency = (MA2026_DECODE_MIN_W - H200_IDLE_W) / (H200_TDP_W - H200_IDLE_W),
    .clock_exponent = CMOS_CLOCK_EXPONENT,
    /* The clock at which an all-compute step on an H100 meets the lowest cap the driver accepts,
     * cbrt((200 - 70) / (700 - 70)) (a static initialiser cannot call cbrt; the test recomputes
     * it): no legal cap asks for less. It also keeps the f^3 law off the voltage floor, below
     * which power falls only linearly with the clock. */
    .min_clock = H100_MIN_CLOCK,
    .source = "activity_compute, activity_hbm: splitwise-sim constant.yaml (H100 idle 75 W, "
              "prompt 700 W, token 380 W); activity_latency: Ma et al. 2026 (H200 decode from "
              "137 W) over 70 W idle; activity_scale_up/out: assumption 0.25; clock_exponent: "
              "CMOS P = aCV^2f with V ~ f; min_clock: H100 200 W minimum power limit "
              "(docs/POWER.md)",
};

const tf_power_profile *tf_power_profile_default(void) { return &default_profile; }

static bool unit_interval(double x) { return x >= 0 && x <= 1; }

int tf_power_profile_check(const tf_power_profile *p) {
  if (!unit_interval(p->activity_compute) || !unit_interval(p->activity_hbm) ||
      !unit_interval(p->activity_scale_up) || !unit_interval(p->activity_scale_out) ||
      !unit_interval(p->activity_latency))
    return TF_FAIL(TF_ERANGE, "power profile \"%s\": activities must be in [0, 1]", p->name);
  if (!(p->clock_exponent >= 1) || !isfinite(p->clock_exponent))
    return TF_FAIL(TF_ERANGE, "power profile \"%s\": clock exponent must be >= 1, got %g",
                   p->name, p->clock_exponent);
  if (!(p->min_clock > 0 && p->min_clock <= 1))
    return TF_FAIL(TF_ERANGE, "power profile \"%s\": minimum clock must be in (0, 1], got %g",
                   p->name, p->min_clock);
  return 0;
}

int tf_power_gpu_check(const tf_catalog_gpu *g) {
  if (!g->has.tdp || !g->has.idle_power)
    return TF_FAIL(TF_EINVAL, "GPU \"%s\": power needs both tdp and idle_power", g->entry.name);
  if (!(g->idle_power_w >= 0 && g->idle_power_w <= g->tdp_w))
    return TF_FAIL(TF_EINVAL, "GPU \"%s\": idle power %g W must be in [0, tdp = %g W]",
                   g->entry.name, g->idle_power_w, g->tdp_w);
  return 0;
}

/* ---- activity ---- */

/* Mirrors perf.c: these components are communication, the others (OVERHEAD aside) compute. */
static bool is_comm(int c) {
  return c == TF_PERF_EP_DISPATCH || c == TF_PERF_EP_COMBINE || c == TF_PERF_TP_ALLREDUCE ||
         c == TF_PERF_PP_SEND;
}

static double bound_activity(const tf_power_profile *p, tf_perf_bound b) {
  switch (b) {
  case TF_BOUND_COMPUTE:
    return p->activity_compute;
  case TF_BOUND_HBM:
    return p->activity_hbm;
  case TF_BOUND_SCALE_UP:
    return p->activity_scale_up;
  case TF_BOUND_SCALE_OUT:
    return p->activity_scale_out;
  case TF_BOUND_LATENCY:
  case TF_BOUND_NONE:
  case TF_BOUND_COUNT_:
  default:
    return p->activity_latency;
  }
}

/* Parts whose time stretches as 1 / f when the SM clock drops. */
static bool stretches(int c, tf_perf_bound b) {
  return c == TF_PERF_OVERHEAD || b == TF_BOUND_COMPUTE || b == TF_BOUND_LATENCY ||
         b == TF_BOUND_NONE;
}

double tf_power_activity(const tf_power_profile *p, const tf_perf_step *st) {
  assert(p && st);
  double compute = 0, comm = 0, compute_a = 0, comm_a = 0;
  for (int c = 0; c < TF_PERF_COMPONENT_COUNT_; c++) {
    if (c == TF_PERF_OVERHEAD)
      continue;
    const tf_perf_part *pt = &st->part[c];
    assert(pt->time_s >= 0);
    double a = bound_activity(p, pt->bound) * pt->time_s;
    if (is_comm(c)) {
      comm += pt->time_s;
      comm_a += a;
    } else {
      compute += pt->time_s;
      compute_a += a;
    }
  }
  double overhead = st->part[TF_PERF_OVERHEAD].time_s;
  /* Hidden communication runs while compute runs; the compute's activity covers that time (the
   * collectives' own SMs are a small share), so only the exposed share of comm adds energy. */
  double hidden = fmin(fmax(st->hidden_comm_s, 0), comm);
  double exposed = comm > 0 ? (comm - hidden) / comm : 0;
  double busy = compute + comm - hidden + overhead;
  assert(fabs(busy - st->stage_s) <= 1e-9 * fmax(busy, st->stage_s));
  if (!(busy > 0))
    return 0;
  double active = compute_a + exposed * comm_a + p->activity_latency * overhead;
  return fmin(fmax(active / busy, 0), 1);
}

/* ---- power and energy ---- */

static double dynamic_w(const tf_catalog_gpu *g) { return g->tdp_w - g->idle_power_w; }

double tf_power_gpu_w(const tf_catalog_gpu *g, const tf_power_profile *p,
                      const tf_perf_step *st) {
  assert(g && p && st);
  assert(tf_power_gpu_check(g) == 0 && tf_power_profile_check(p) == 0);
  return g->idle_power_w + dynamic_w(g) * tf_power_activity(p, st);
}

double tf_power_gpu_energy_j(const tf_catalog_gpu *g, const tf_power_profile *p,
                             const tf_perf_step *st) {
  return tf_power_gpu_w(g, p, st) * st->stage_s;
}

/* ---- DVFS ---- */

int tf_power_retime(const tf_perf_step *st, double f, tf_perf_step *out) {
  assert(st && out);
  if (!(f > 0 && f <= 1))
    return TF_FAIL(TF_ERANGE, "clock fraction must be in (0, 1], got %g", f);
  tf_perf_step r = *st;
  r.compute_s = 0;
  r.comm_s = 0;
  for (int c = 0; c < TF_PERF_COMPONENT_COUNT_; c++) {
    if (stretches(c, st->part[c].bound))
      r.part[c].time_s = st->part[c].time_s / f;
    if (c == TF_PERF_OVERHEAD)
      continue;
    if (is_comm(c))
      r.comm_s += r.part[c].time_s;
    else
      r.compute_s += r.part[c].time_s;
  }
  /* perf hides min(comm, compute) whenever the layout overlaps; a step with nothing hidden either
   * does not overlap or has nothing to hide, and re-timing cannot create either. */
  r.hidden_comm_s = st->hidden_comm_s > 0 ? fmin(r.comm_s, r.compute_s) : 0;
  r.stage_s = r.compute_s + r.comm_s - r.hidden_comm_s + r.part[TF_PERF_OVERHEAD].time_s;
  if (st->stage_s > 0) {
    r.step_s = st->step_s / st->stage_s * r.stage_s; /* the pipeline depth, pp */
    double speed = st->stage_s / r.stage_s;
    r.tokens_out_per_s_per_gpu = st->tokens_out_per_s_per_gpu * speed;
    r.prefill_tokens_per_s_per_gpu = st->prefill_tokens_per_s_per_gpu * speed;
  }
  *out = r;
  return 0;
}

double tf_power_gpu_w_at(const tf_catalog_gpu *g, const tf_power_profile *p,
                         const tf_perf_step *st, double f) {
  assert(g && p && st);
  assert(tf_power_gpu_check(g) == 0 && tf_power_profile_check(p) == 0);
  tf_perf_step r;
  int rc = tf_power_retime(st, f, &r);
  assert(rc == 0);
  (void)rc;
  return g->idle_power_w + dynamic_w(g) * tf_power_activity(p, &r) * pow(f, p->clock_exponent);
}

double tf_power_clock_for_cap(const tf_catalog_gpu *g, const tf_power_profile *p,
                              const tf_perf_step *st, double cap_w) {
  assert(cap_w > 0);
  if (tf_power_gpu_w_at(g, p, st, 1) <= cap_w)
    return 1;
  double lo = p->min_clock, hi = 1;
  if (lo >= 1 || tf_power_gpu_w_at(g, p, st, lo) > cap_w)
    return lo;
  /* Invariant: P(lo) <= cap < P(hi). The scan makes hi - lo at most 1/16 of the range and lo the
   * highest grid point under the cap, so a power curve with a bump (a profile outside the proven
   * region) still yields the highest crossing to within the grid; for a monotone curve the scan
   * changes nothing but the starting bracket. */
  enum { SCAN = 16 };
  for (int i = 1; i < SCAN; i++) {
    double f = 1 - (1 - p->min_clock) * (double)i / SCAN;
    if (tf_power_gpu_w_at(g, p, st, f) <= cap_w) {
      lo = f;
      break;
    }
    hi = f;
  }
  for (int i = 0; i < 64 && hi - lo > 1e-12; i++) {
    double mid = 0.5 * (lo + hi);
    if (tf_power_gpu_w_at(g, p, st, mid) <= cap_w)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

/* ---- systems and facilities ---- */

int tf_power_system_check(const tf_catalog_system *s) {
  const char *name = s->entry.name;
  if (!s->has.gpus || s->gpus < 1)
    return TF_FAIL(TF_EINVAL, "system \"%s\": power needs its GPU count", name);
  if (s->has.host_power) {
    if (!(s->host_power_w >= 0))
      return TF_FAIL(TF_EINVAL, "system \"%s\": host power %g W must be >= 0", name,
                     s->host_power_w);
    return 0;
  }
  if (!s->has.power || !s->gpu_entry || !s->gpu_entry->has.tdp)
    return TF_FAIL(TF_EINVAL,
                   "system \"%s\": power needs host_power, or power and its GPU's tdp", name);
  double host = s->power_w - (double)s->gpus * s->gpu_entry->tdp_w;
  if (!(host >= 0))
    return TF_FAIL(TF_EINVAL, "system \"%s\": power %g W is less than its %lld GPUs' TDP (%g W)",
                   name, s->power_w, (long long)s->gpus, (double)s->gpus * s->gpu_entry->tdp_w);
  return 0;
}

double tf_power_host_w(const tf_catalog_system *s) {
  assert(s && tf_power_system_check(s) == 0);
  if (s->has.host_power)
    return s->host_power_w;
  return s->power_w - (double)s->gpus * s->gpu_entry->tdp_w;
}

double tf_power_system_w(const tf_catalog_system *s, double gpu_w_each) {
  assert(gpu_w_each >= 0);
  return (double)s->gpus * gpu_w_each + tf_power_host_w(s);
}

double tf_power_facility_w(double it_w, double pue) {
  assert(it_w >= 0 && pue >= 1);
  return it_w * pue;
}

/* ---- PUE as a function of IT load and outside temperature ---- */

int tf_pue_check(const tf_pue_model *m) {
  assert(m);
  if (!(m->at_full_load >= 1 && isfinite(m->at_full_load)))
    return TF_FAIL(TF_ERANGE, "PUE at full load must be >= 1, got %g", m->at_full_load);
  if (m->low_load != 0) {
    if (!(m->low_load > 0 && m->low_load < 1))
      return TF_FAIL(TF_ERANGE, "PUE low load share must be in (0, 1), got %g", m->low_load);
    /* proportional >= 1; the tolerance forgives the rounding of a value written at the limit */
    double most = 1 + (m->at_full_load - 1) / m->low_load;
    if (!(m->at_low_load >= m->at_full_load && m->at_low_load <= most * (1 + 1e-12)))
      return TF_FAIL(TF_ERANGE,
                     "PUE at low load must be in [%g, %g] (at full load %g, low load %g), got %g",
                     m->at_full_load, most, m->at_full_load, m->low_load, m->at_low_load);
  }
  if (!(m->per_degree >= 0 && isfinite(m->per_degree)))
    return TF_FAIL(TF_ERANGE, "PUE per degree must be >= 0, got %g", m->per_degree);
  if (m->per_degree == 0)
    return 0;
  if (!(m->reference_k >= 0 && isfinite(m->reference_k)))
    return TF_FAIL(TF_ERANGE, "PUE reference temperature must be >= 0 K, got %g K",
                   m->reference_k);
  if (m->pieces == 0 || !m->start_ns || !m->temperature_k)
    return TF_FAIL(TF_EINVAL, "a PUE temperature term needs an outside temperature profile");
  if (m->start_ns[0] != 0)
    return TF_FAIL(TF_ERANGE, "the outside temperature profile must start at 0");
  for (size_t i = 0; i < m->pieces; i++) {
    if (i > 0 && !(m->start_ns[i] > m->start_ns[i - 1]))
      return TF_FAIL(TF_ERANGE, "outside temperature piece %zu does not start after the last",
                     i);
    if (!(m->temperature_k[i] >= 0 && isfinite(m->temperature_k[i])))
      return TF_FAIL(TF_ERANGE, "outside temperature piece %zu must be >= 0 K, got %g K", i,
                     m->temperature_k[i]);
  }
  if (m->period_ns != 0 && !(m->period_ns > m->start_ns[m->pieces - 1]))
    return TF_FAIL(TF_ERANGE, "the outside temperature period must be past the last start");
  return 0;
}

bool tf_pue_varies(const tf_pue_model *m) {
  assert(m);
  return (m->low_load > 0 && m->at_low_load != m->at_full_load) || m->per_degree > 0;
}

double tf_pue_fixed(const tf_pue_model *m) {
  assert(m && tf_pue_check(m) == 0);
  if (m->low_load == 0)
    return 0;
  return (m->at_low_load - m->at_full_load) * m->low_load / (1 - m->low_load);
}

double tf_pue_proportional(const tf_pue_model *m) {
  return m->at_full_load - tf_pue_fixed(m);
}

double tf_pue_at(const tf_pue_model *m, double load_share, double outside_k) {
  assert(load_share > 0);
  double excess = m->per_degree > 0 && outside_k > m->reference_k ? outside_k - m->reference_k : 0;
  return tf_pue_proportional(m) + tf_pue_fixed(m) / load_share + m->per_degree * excess;
}

/* The piece in force at t (0 <= t, and t < period_ns when there is one): the last start <= t. */
static size_t piece_at(const tf_pue_model *m, int64_t t) {
  size_t lo = 0, hi = m->pieces; /* start_ns[lo] <= t < start_ns[hi] (hi = pieces: beyond) */
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (m->start_ns[mid] <= t)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

double tf_pue_outside_k(const tf_pue_model *m, int64_t t_ns) {
  assert(m && t_ns >= 0);
  if (m->pieces == 0)
    return m->reference_k;
  if (m->period_ns > 0)
    t_ns %= m->period_ns;
  return m->temperature_k[piece_at(m, t_ns)];
}

/* The integral of max(0, T - reference) over [0, t) in kelvin-nanoseconds, for 0 <= t and, with a
 * period, t <= period_ns: the pieces that start before t, each up to the next start (or t). */
static double excess_within(const tf_pue_model *m, int64_t t) {
  double sum = 0;
  for (size_t i = 0; i < m->pieces && m->start_ns[i] < t; i++) {
    int64_t end = i + 1 < m->pieces ? m->start_ns[i + 1] : t;
    if (end > t)
      end = t;
    double excess = m->temperature_k[i] - m->reference_k;
    if (excess > 0)
      sum += excess * (double)(end - m->start_ns[i]);
  }
  return sum;
}

/* The same over [0, t) for any t >= 0: whole periods, then the rest. */
static double excess_integral(const tf_pue_model *m, int64_t t) {
  if (m->period_ns == 0)
    return excess_within(m, t);
  int64_t cycles = t / m->period_ns;
  double whole = cycles > 0 ? (double)cycles * excess_within(m, m->period_ns) : 0;
  return whole + excess_within(m, t - cycles * m->period_ns);
}

double tf_pue_mean_excess_k(const tf_pue_model *m, int64_t a_ns, int64_t b_ns) {
  assert(m && 0 <= a_ns && a_ns < b_ns);
  if (m->per_degree == 0 || m->pieces == 0)
    return 0;
  double mean = (excess_integral(m, b_ns) - excess_integral(m, a_ns)) / (double)(b_ns - a_ns);
  return mean > 0 ? mean : 0; /* rounding of the difference, never a negative excess */
}

double tf_pue_facility_w(const tf_pue_model *m, double it_w, double capacity_w, double excess_k) {
  assert(it_w >= 0 && capacity_w > 0 && excess_k >= 0);
  return it_w * (tf_pue_proportional(m) + m->per_degree * excess_k) +
         tf_pue_fixed(m) * capacity_w;
}

/* ---- dividing a power budget ---- */

typedef struct room_slot {
  double room;   /* how far the claim may rise in this phase */
  double target; /* its cap_w once it has: set exactly, not summed */
  size_t i;
} room_slot;

/* A claim within this fraction of its target counts as there: rounding in the sums must not
 * leave a GPU a nanowatt short of its TDP, and capped for nothing. */
#define LEVEL_SLACK 1e-12

static int by_room(const void *a, const void *b) {
  const room_slot *x = a, *y = b;
  return x->room < y->room ? -1 : x->room > y->room ? 1 : (x->i > y->i) - (x->i < y->i);
}

/* Raises each claim of slots[0 .. m) from its cap_w by min(room, y), the same y for all, so that
 * together they use `left` (or all reach their room). Returns what is left over. */
static double level(tf_power_claim *c, room_slot *slots, size_t m, double left) {
  double count = 0;
  for (size_t k = 0; k < m; k++)
    count += c[slots[k].i].gpus;
  qsort(slots, m, sizeof *slots, by_room);
  for (size_t k = 0; k < m; k++) {
    double y = left / count;
    if (y < slots[k].room - LEVEL_SLACK * slots[k].target) { /* the rest get y each */
      for (size_t j = k; j < m; j++)
        c[slots[j].i].cap_w += y;
      return 0;
    }
    c[slots[k].i].cap_w = slots[k].target;
    left -= c[slots[k].i].gpus * slots[k].room;
    count -= c[slots[k].i].gpus;
  }
  return left > 0 ? left : 0;
}

int tf_power_divide(tf_power_claim *c, size_t n, double budget_w) {
  double floors = 0, gpus = 0;
  for (size_t i = 0; i < n; i++) {
    assert(c[i].gpus > 0 && c[i].floor_w >= 0 && c[i].top_w >= c[i].floor_w);
    floors += c[i].gpus * c[i].floor_w;
    gpus += c[i].gpus;
  }
  if (budget_w < floors)
    return TF_FAIL(TF_ERANGE, "a power budget of %.6g W cannot keep %.6g GPUs at their floors "
                              "(%.6g W)", budget_w, gpus, floors);
  room_slot *slots = malloc(n ? n * sizeof *slots : 1);
  if (!slots)
    return TF_FAIL(TF_ENOMEM, "dividing a power budget");
  for (size_t i = 0; i < n; i++)
    c[i].cap_w = c[i].floor_w;
  double left = budget_w - floors;
  /* Stepping GPUs up to their demand; then above it, up to their tops; then the idle ones. */
  for (int phase = 0; phase < 3; phase++) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
      if (phase == 2 ? c[i].stepping : !c[i].stepping)
        continue;
      double demand = fmin(fmax(c[i].demand_w, c[i].floor_w), c[i].top_w);
      double target = phase == 0 ? demand : c[i].top_w;
      slots[m++] = (room_slot){target - c[i].cap_w, target, i};
    }
    left = level(c, slots, m, left);
  }
  free(slots);
  return 0;
}
