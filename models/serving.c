/* The serving simulation: router, continuous batching, KV cache, coalesced decode runs. */
#include "serving.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "hist.h"

/* Tokens are counted in thousandths so that speculation's expected accepted tokens per step
 * (1 + a + a^2 ...) accumulate exactly and identically in both step modes. */
#define MILLI INT64_C(1000)

enum { EV_ARRIVAL = 1, EV_STEP = 2, EV_KV_DONE = 3, EV_FAIL = 4, EV_REPAIR = 5,
       EV_START_FAILURES = 6, EV_CAP_TICK = 7, EV_CAP_RAISE = 8, EV_RECONF = 9 };
/* The power controller acts first at an instant: it sees the replicas as they were just before
 * it, and every pass that starts at that instant takes its decision, in both step modes. */
enum { PRIO_CAP = 0 };
/* An arrival at the instant a step ends is queued before the step's end is handled, so it can
 * join the next step in both modes. */
enum { PRIO_ARRIVAL = 1, PRIO_STEP = 2 };
/* A failure at the instant a pass ends comes after it: both step modes have applied that pass. */
enum { PRIO_FAIL = 3 };
/* RNG streams of the fleet entity: the router, then one per workload class. Failures draw from
 * a second entity's streams (two per failure class: times to failure, repair durations), so
 * adding a failure class changes no request and adding a class no failure. */
enum { STREAM_ROUTER = 0, STREAM_CLASS0 = 1 };
#define NONE (-1)

typedef struct req {
  int64_t arrival_ns, admit_ns, first_token_ns;
  int64_t input, output; /* tokens */
  int64_t cached;        /* prompt tokens found in the prefix cache */
  int64_t prompt;        /* tokens to compute before decoding (grows on recompute) */
  int64_t prefilled;     /* of prompt */
  int64_t chunk;         /* prompt tokens computed in the current step */
  int64_t gen_milli;     /* output tokens emitted, x 1000 (stale while decoding: see below) */
  int64_t kv_milli;      /* KV-cache tokens held, x 1000 (likewise) */
  /* While decoding on a replica, gen and kv grow with the replica's decode clock: they are
   * gen0 + (clock - clock0) and kv0 + (clock - clock0), and the request finishes when the clock
   * reaches fin (sync_decoding writes them back). */
  int64_t clock0, gen0, kv0, fin;
  uint64_t admit_seq;    /* order of (re)admission: preemption takes the newest */
  int32_t cls, replica;
  int32_t next;          /* waiting queue */
  int32_t run_prev, run_next; /* the replica's running requests, in admission order */
  int32_t pre_next;      /* the replica's requests still prefilling, in admission order */
  int32_t heap_pos;      /* in the replica's heap of decoding requests by fin */
  uint32_t epoch;        /* in a KV transfer: its source replica's epoch when it left */
  bool in_window;
} req;

/* A decoding request in a replica's heap, its key inline (fin, then admission order). */
typedef struct heap_entry {
  int64_t fin;
  uint64_t seq;
  int32_t i;
} heap_entry;

enum { DT_CACHE = 8 };

/* A FIFO of requests linked through req.next. */
typedef struct fifo {
  int32_t head, tail;
} fifo;

typedef struct replica {
  fifo wait;
  int64_t n_wait;
  /* Running requests: a list in admission order; those still prefilling, a list in the same
   * order; the decoding ones, a binary heap by finishing point on the decode clock, which every
   * decode iteration advances by the accepted tokens of a step. So a step costs O(log n) per
   * request that starts or stops decoding, not O(running). */
  int32_t run_head, run_tail, pre_head, pre_tail;
  int64_t n_run, n_decoding;
  struct heap_entry *heap;
  int64_t heap_n;
  /* The current step's iteration lengths, as planned (the first DT_CACHE of them), so ending
   * the step does not evaluate the step model again. */
  int64_t dt[DT_CACHE];
  int64_t n_dt;
  /* and each one's energy above idle per GPU (uJ) and clock fraction */
  int64_t extra_uj[DT_CACHE];
  double clk[DT_CACHE];
  double dem[DT_CACHE];  /* and demand (dynamic capping) */
  uint8_t bnd[DT_CACHE]; /* and bound */
  int64_t single_extra_uj, single_prefill_ns;
  double single_clock, single_demand_w;
  tf_perf_bound single_bound;
  /* Window totals: energy above idle of the replica's GPUs (uJ), GPU-stepping time below full
   * clock (ns), and stepping time weighted by clock. */
  int64_t extra_uj_total, capped_ns;
  double clock_ns;
  int64_t clock;       /* milli-tokens every decoding sequence has gained here */
  int64_t prefill_kv;  /* KV held by running requests still prefilling */
  int64_t kv_milli;
  bool busy, pure;     /* stepping; the step is a decode-only run */
  int64_t start_ns, iters, single_ns; /* current step: start, iterations, length if not pure */
  int64_t n_dec;                      /* decoding sequences in the current step */
  /* Dynamic capping: the cap the current step was planned under, the one the next pass takes,
   * and a raise waiting for the controller's cuts to take effect (NAN: none). */
  double step_cap_w, cap_w, raise_w;
  double peak_w; /* the highest demand of the passes applied that started since the last tick */
  int32_t pool;                       /* index into fleet.pool */
  tf_evq_handle ev;
  double busy_ns, kv_integral; /* inside the window; kv in milli-token ns */
  double prefill_busy_ns;      /* of busy_ns, the prompt chunks' share */
  double bound_ns[TF_BOUND_COUNT_]; /* busy_ns by what bound each pass */
  /* Failures: components down covering the replica, failures so far (transfers from before
   * the last one are lost), when it last went down, its first GPU in the fleet. */
  int32_t down;
  uint32_t epoch;
  /* GPUs the failed parts covering it take (overlaps counted per part); running in the degraded
   * layout, or restarting into a layout (a pending EV_RECONF of this epoch). */
  int64_t lost, due_ns; /* and when the last of them is due back (their repair tickets) */
  bool degraded, reconfiguring;
  int64_t degraded_since;
  double degraded_ns; /* inside the window */
  int64_t down_since, gpu_first;
  double down_ns; /* inside the window */
} replica;

/* A failure class: its process, repair shop and pending failure event. */
typedef struct fail_state {
  tf_failure_process *proc;
  tf_repair_shop *shop;
  tf_evq_handle ev;
  bool pending;
  int64_t span; /* GPUs an instance covers */
} fail_state;

typedef struct class_stats {
  uint64_t arrivals, completed, slo_met, preemptions, rejected;
  double input_tokens, output_tokens, good_tokens;
  double sum_ttft, sum_tpot, sum_e2e, sum_queue;
  tf_hist *ttft, *tpot, *e2e, *queue;
} class_stats;

typedef struct tf_serving_run_args {
  const tf_serving_config *cfg;
  tf_serving_result *out;
} tf_serving_run_args;

/* A pool of identical replicas and what its steps need. */
typedef struct pool_state {
  const tf_serving_pool *cfg;
  tf_perf_config perf;       /* the pool's, with the load cache attached */
  tf_perf_load_cache cache;
  int64_t acc_milli;         /* output tokens a decode step emits per sequence, x 1000 */
  int64_t tokens_per_decode; /* tokens a decode sequence puts through a step: 1 + drafts */
  int64_t cap_milli;         /* a replica's KV cache */
  int32_t first, count;      /* its replicas in fleet.rep */
  /* Degraded mode (cfg->degraded_kv_tokens > 0): the layout, its load cache, KV cache and GPUs. */
  bool has_degraded;
  tf_perf_config deg_perf;
  tf_perf_load_cache deg_cache;
  int64_t deg_cap_milli, deg_gpus;
  bool prefill_only;         /* disaggregated prefill pool: requests leave after prefill */
  /* Power (with a profile): a GPU's idle draw, the cap on it (static and envelope policies),
   * GPUs and host power a replica. Dynamic capping: the most a GPU may be given (TDP, or its
   * system's share) and the floor a GPU not stepping keeps (the most any pass draws at the
   * profile's lowest clock, so that a pass starting between ticks stays within it). */
  const tf_catalog_gpu *gpu;
  double idle_w, cap_w, host_w;
  double top_w, floor_w;
  int64_t gpus;
} pool_state;

typedef struct fleet {
  tf_engine *e;
  uint32_t self;
  bool finishing; /* final handler: apply what ended, start nothing */
  const tf_serving_config *cfg;
  pool_state pool[2]; /* colocated: pool[0] only; disaggregated: prefill, decode */
  int n_pools;
  int32_t n_rep;
  double kv_bytes_per_token, kv_bytes_per_s, kv_latency_s; /* prefill -> decode transfers */
  replica *rep;
  req *reqs;
  int32_t n_reqs, cap_reqs, free_head;
  class_stats *cls;
  int64_t *pend_at, *pend_in, *pend_out; /* each class's next request */
  uint64_t rr[2]; /* round-robin positions, per pool */
  int64_t in_transfer; /* requests whose KV cache is moving between pools */
  double in_transfer_arrival_sum;
  int64_t in_system, waiting, last_change_ns;
  uint64_t admit_seq;
  int64_t *series_extra_uj; /* per interval, energy above idle of every GPU */
  /* What routing reads of every replica, dense so that a least-work scan over many replicas
   * stays in cache: the input + output tokens of unfinished requests routed to it, and whether
   * it is up. */
  int64_t *work;
  uint8_t *up;
  fail_state *fail;
  tf_repair_team *repair_team; /* cfg->failure_crews > 0: the line every class's shop shares */
  uint32_t fail_rng_entity; /* the entity whose streams failures draw from */
  int64_t total_gpus;
  bool no_restart;               /* taking a replica down: end its step without a new one */
  /* Dynamic capping: what the IT envelope leaves the GPUs after the hosts; the controller's
   * claims and each busy replica's next boundary (scratch per tick); a raise scheduled. */
  double gpu_budget_w;
  int64_t last_tick_ns;
  tf_power_claim *claims; /* one per replica */
  struct cut_point *cap_cuts;
  bool raise_pending;
  fifo orphans; /* requests no up replica could take */
  int64_t n_orphans[2];          /* of them, for each pool */
  tf_serving_result *out;
  double win_in_system, win_waiting;
  int err;
} fleet;

const char *tf_router_policy_name(tf_router_policy p) {
  static const char *const names[TF_ROUTER_COUNT_] = {"round_robin", "least_work",
                                                      "power_of_two"};
  return (unsigned)p < TF_ROUTER_COUNT_ ? names[p] : "unknown";
}

const char *tf_power_cap_policy_name(tf_power_cap_policy p) {
  static const char *const names[TF_CAP_COUNT_] = {"none", "static", "envelope", "dynamic"};
  return (unsigned)p < TF_CAP_COUNT_ ? names[p] : "unknown";
}

static int check_pool(const tf_serving_pool *p) {
  int rc = tf_perf_config_check(&p->perf);
  if (rc)
    return rc;
  if (p->replicas < 1 || p->replicas > INT32_MAX)
    return TF_FAIL(TF_ERANGE, "replicas must be in 1 .. %d", INT32_MAX);
  if (p->max_batch_seqs < 1)
    return TF_FAIL(TF_ERANGE, "max_batch_seqs must be >= 1");
  if (p->kv_tokens < 1)
    return TF_FAIL(TF_ERANGE, "the KV cache must hold at least one token");
  if (p->perf.max_batch_tokens <= p->perf.speculation.draft_tokens)
    return TF_FAIL(TF_ERANGE, "the step token budget must exceed 1 + draft tokens");
  if (p->degraded_kv_tokens < 0)
    return TF_FAIL(TF_ERANGE, "the degraded layout's KV cache must be >= 0 tokens");
  if (p->degraded_kv_tokens > 0) {
    const tf_perf_config *d = &p->degraded, *full = &p->perf;
    if ((rc = tf_perf_config_check(d)))
      return rc;
    if (d->layout.tp * d->layout.dp * d->layout.pp >=
        full->layout.tp * full->layout.dp * full->layout.pp)
      return TF_FAIL(TF_ERANGE, "the degraded layout must use fewer GPUs than the replica's");
    if (d->hw.gpu != full->hw.gpu || d->max_batch_tokens != full->max_batch_tokens ||
        d->speculation.draft_tokens != full->speculation.draft_tokens ||
        d->speculation.acceptance != full->speculation.acceptance)
      return TF_FAIL(TF_EINVAL, "the degraded layout must keep the replica's GPU, step token "
                                "budget and speculation");
  }
  return 0;
}

int tf_serving_config_check(const tf_serving_config *cfg) {
  if (!cfg->classes || cfg->n_classes == 0)
    return TF_FAIL(TF_EINVAL, "serving needs at least one workload class");
  for (size_t i = 0; i < cfg->n_classes; i++) {
    const tf_serving_class *c = &cfg->classes[i];
    if (!c->source.next)
      return TF_FAIL(TF_EINVAL, "class %zu has no request source", i);
    if (!(c->prefix_hit >= 0 && c->prefix_hit < 1))
      return TF_FAIL(TF_ERANGE, "class %s: prefix_hit must be in [0, 1)", c->name);
    if (!(c->slo_ttft_s >= 0) || !(c->slo_tpot_s >= 0))
      return TF_FAIL(TF_ERANGE, "class %s: SLO targets must be >= 0", c->name);
    if ((unsigned)c->router >= TF_ROUTER_COUNT_)
      return TF_FAIL(TF_EINVAL, "class %s: unknown router policy", c->name);
  }
  for (int k = 0; k < (cfg->disaggregated ? 2 : 1); k++) {
    int rc = check_pool(k ? &cfg->decode_pool : &cfg->pool);
    if (rc)
      return rc;
  }
  if (cfg->duration_ns <= 0 || cfg->warmup_ns < 0 || cfg->warmup_ns >= cfg->duration_ns)
    return TF_FAIL(TF_ERANGE, "need 0 <= warmup < duration");
  if (cfg->arrivals_end_ns < 0)
    return TF_FAIL(TF_ERANGE, "arrivals_end must be >= 0");
  if (cfg->reconfigure_ns < 0)
    return TF_FAIL(TF_ERANGE, "the reconfiguration time must be >= 0");
  if (cfg->system_limit_w < 0)
    return TF_FAIL(TF_ERANGE, "a system power limit must be > 0 W");
  if (cfg->power_profile) {
    int rc = tf_power_profile_check(cfg->power_profile);
    for (int k = 0; rc == 0 && k < (cfg->disaggregated ? 2 : 1); k++) {
      const tf_serving_pool *p = k ? &cfg->decode_pool : &cfg->pool;
      rc = tf_power_gpu_check(p->perf.hw.gpu);
      if (rc == 0 && p->system)
        rc = tf_power_system_check(p->system);
    }
    if (rc)
      return rc;
    if ((unsigned)cfg->cap_policy >= TF_CAP_COUNT_)
      return TF_FAIL(TF_EINVAL, "unknown power cap policy");
    if (cfg->cap_policy == TF_CAP_STATIC && !(cfg->gpu_cap_w > 0))
      return TF_FAIL(TF_ERANGE, "a static power cap needs gpu_cap > 0 W");
    if ((cfg->cap_policy == TF_CAP_ENVELOPE || cfg->cap_policy == TF_CAP_DYNAMIC) &&
        !(cfg->it_envelope_w > 0))
      return TF_FAIL(TF_ERANGE, "an %s power cap needs the site's power envelope",
                     tf_power_cap_policy_name(cfg->cap_policy));
    if (cfg->cap_policy == TF_CAP_DYNAMIC && cfg->cap_period_ns <= 0)
      return TF_FAIL(TF_ERANGE, "a dynamic power cap needs a control period > 0");
  } else if (cfg->cap_policy != TF_CAP_NONE) {
    return TF_FAIL(TF_EINVAL, "a power cap needs a power profile");
  }
  if (cfg->pue < 0)
    return TF_FAIL(TF_ERANGE, "pue must be >= 1 (or 0 for 1)");
  if (cfg->pue_model) {
    int rc = tf_pue_check(cfg->pue_model);
    if (rc)
      return rc;
  }
  if (cfg->n_failures > 0 && !cfg->failures)
    return TF_FAIL(TF_EINVAL, "failure classes missing");
  for (size_t c = 0; c < cfg->n_failures; c++) {
    int rc = tf_failure_class_check(&cfg->failures[c]);
    if (rc)
      return rc;
    if (cfg->failures[c].count > UINT32_MAX)
      return TF_FAIL(TF_ERANGE, "a failure class may have at most %u instances", UINT32_MAX);
  }
  if (cfg->failure_crews < 0)
    return TF_FAIL(TF_ERANGE, "failure_crews = %lld (expected 0 for a line per class, at least 1, "
                   "or unlimited)", (long long)cfg->failure_crews);
  if (cfg->series_interval_ns < 0 ||
      (cfg->series_interval_ns > 0 &&
       (cfg->duration_ns - cfg->warmup_ns) / cfg->series_interval_ns >= TF_SERVING_SERIES_MAX))
    return TF_FAIL(TF_ERANGE, "the time series interval must be > 0 and give at most %d intervals",
                   TF_SERVING_SERIES_MAX);
  return 0;
}

/* ---- bookkeeping ---- */

static double clip_len(int64_t a, int64_t b, int64_t lo, int64_t hi) {
  int64_t s = a > lo ? a : lo, e = b < hi ? b : hi;
  return e > s ? (double)(e - s) : 0;
}

/* The time-series interval holding t, or NULL outside the window (or without a series). */
static tf_serving_interval *interval_at(fleet *f, int64_t t) {
  const tf_serving_config *cfg = f->cfg;
  if (!f->out->series || t < cfg->warmup_ns || t >= cfg->duration_ns)
    return NULL;
  return &f->out->series[(t - cfg->warmup_ns) / cfg->series_interval_ns];
}

/* Adds the part of [a, b) each interval holds to its busy time (a fraction later). */
static void series_busy(fleet *f, int64_t a, int64_t b) {
  const tf_serving_config *cfg = f->cfg;
  if (!f->out->series)
    return;
  int64_t lo = a > cfg->warmup_ns ? a : cfg->warmup_ns;
  int64_t hi = b < cfg->duration_ns ? b : cfg->duration_ns;
  while (lo < hi) {
    int64_t k = (lo - cfg->warmup_ns) / cfg->series_interval_ns;
    int64_t edge = cfg->warmup_ns + (k + 1) * cfg->series_interval_ns;
    int64_t e = edge < hi ? edge : hi;
    f->out->series[k].busy_fraction += (double)(e - lo);
    lo = e;
  }
}

/* Integrates the number in system and waiting up to now; call before either changes. */
static void tick(fleet *f, int64_t now) {
  if (f->out->series) {
    /* The counts hold from last_change_ns to now: they are the state at every interval end
     * passed in between. */
    const tf_serving_config *cfg = f->cfg;
    int64_t iv = cfg->series_interval_ns;
    int64_t from = f->last_change_ns < cfg->warmup_ns ? cfg->warmup_ns : f->last_change_ns;
    int64_t k = (from - cfg->warmup_ns) / iv; /* first interval whose end may be passed */
    for (; k < (int64_t)f->out->n_series; k++) {
      int64_t edge = cfg->warmup_ns + (k + 1) * iv;
      if (edge > now || edge <= f->last_change_ns)
        break;
      f->out->series[k].waiting = f->waiting;
      f->out->series[k].in_system = f->in_system;
    }
  }
  if (now > f->last_change_ns) {
    double dt = (double)(now - f->last_change_ns);
    f->out->in_system_ns_integral += (double)f->in_system * dt;
    double w = clip_len(f->last_change_ns, now, f->cfg->warmup_ns, f->cfg->duration_ns);
    f->win_in_system += (double)f->in_system * w;
    f->win_waiting += (double)f->waiting * w;
    f->last_change_ns = now;
  }
}

static int32_t new_req(fleet *f) {
  if (f->free_head != NONE) {
    int32_t i = f->free_head;
    f->free_head = f->reqs[i].next;
    return i;
  }
  if (f->n_reqs == f->cap_reqs) {
    int32_t cap = f->cap_reqs ? f->cap_reqs * 2 : 1024;
    req *p = realloc(f->reqs, (size_t)cap * sizeof *p);
    if (!p)
      return NONE;
    f->reqs = p;
    f->cap_reqs = cap;
  }
  return f->n_reqs++;
}

static void free_req(fleet *f, int32_t i) {
  f->reqs[i].next = f->free_head;
  f->free_head = i;
}

static const fifo EMPTY_FIFO = {NONE, NONE};

static void fifo_push(fifo *l, req *reqs, int32_t i, bool front) {
  reqs[i].next = NONE;
  if (l->head == NONE) {
    l->head = l->tail = i;
  } else if (front) {
    reqs[i].next = l->head;
    l->head = i;
  } else {
    reqs[l->tail].next = i;
    l->tail = i;
  }
}

static int32_t fifo_pop(fifo *l, req *reqs) {
  int32_t i = l->head;
  l->head = reqs[i].next;
  if (l->head == NONE)
    l->tail = NONE;
  return i;
}

/* Puts all of src ahead of dst. */
static void fifo_prepend(fifo *dst, fifo src, req *reqs) {
  if (src.head == NONE)
    return;
  reqs[src.tail].next = dst->head;
  if (dst->head == NONE)
    dst->tail = src.tail;
  dst->head = src.head;
}

static void push_wait(replica *r, req *reqs, int32_t i, bool front) {
  fifo_push(&r->wait, reqs, i, front);
  r->n_wait++;
}

static int32_t pop_wait(replica *r, req *reqs) {
  r->n_wait--;
  return fifo_pop(&r->wait, reqs);
}

/* The request loses its work and will start again from its prompt: counted as a retry, its
 * computed prompt and generated tokens as lost, the prompt as owed again. */
static void restart(fleet *f, req *q) {
  f->out->requests_retried++;
  f->out->tokens_lost += q->prefilled + q->gen_milli / MILLI;
  f->out->recompute_tokens += (q->input - q->cached) - (q->prompt - q->prefilled);
  q->prompt = q->input - q->cached;
  q->prefilled = 0;
  q->gen_milli = 0;
  q->chunk = 0;
}

/* KV a request needs when admitted: its whole context so far. */
static int64_t kv_need(const req *q) { return (q->input + q->gen_milli / MILLI) * MILLI; }

static bool decoding(const req *q) { return q->prefilled == q->prompt; }

/* ---- step times ---- */

static int64_t to_ns(double s) {
  double ns = nearbyint(s * 1e9);
  return ns < 1 ? 1 : (int64_t)ns;
}

/* One forward pass of batch b in pool P: its length in ns, and with a power profile the energy
 * each GPU draws above idle (uJ) and the clock it runs at under cap_w (INFINITY: none). */
typedef struct pass {
  int64_t ns, extra_uj;
  double clock;
  int64_t prefill_ns; /* of ns, the time the prompt chunks add (0 for decode-only passes) */
  tf_perf_bound bound; /* what takes most of the pass's time (tf_perf_step_bound) */
  double full_clock_s; /* the pass's stage time at full clock */
  double demand_w;     /* dynamic capping: a GPU's mean power over the pass at full clock */
} pass;

/* What replica r runs as: its pool's layout, or the degraded one. */
static const tf_perf_config *perf_of(const fleet *f, const replica *r) {
  const pool_state *P = &f->pool[r->pool];
  return r->degraded ? &P->deg_perf : &P->perf;
}
static int64_t kv_cap_of(const fleet *f, const replica *r) {
  const pool_state *P = &f->pool[r->pool];
  return r->degraded ? P->deg_cap_milli : P->cap_milli;
}
static int64_t gpus_of(const fleet *f, const replica *r) {
  const pool_state *P = &f->pool[r->pool];
  return r->degraded ? P->deg_gpus : P->gpus;
}

static int eval_pass(const fleet *f, const replica *r, double cap_w, const tf_perf_batch *b,
                     pass *out) {
  const pool_state *P = &f->pool[r->pool];
  tf_perf_step st;
  int rc = tf_perf_step_time(perf_of(f, r), b, &st);
  if (rc)
    return rc;
  const tf_power_profile *prof = f->cfg->power_profile;
  *out = (pass){.ns = to_ns(st.stage_s), .clock = 1, .bound = tf_perf_step_bound(&st),
                .full_clock_s = st.stage_s};
  if (!prof)
    return 0;
  double clock = isfinite(cap_w) ? tf_power_clock_for_cap(P->gpu, prof, &st, cap_w) : 1;
  double w = tf_power_gpu_w_at(P->gpu, prof, &st, clock);
  if (f->cfg->cap_policy == TF_CAP_DYNAMIC)
    out->demand_w = clock < 1 ? tf_power_gpu_w(P->gpu, prof, &st) : w;
  if (clock < 1) {
    tf_perf_step slow;
    if ((rc = tf_power_retime(&st, clock, &slow)))
      return rc;
    out->ns = to_ns(slow.stage_s);
    out->bound = tf_perf_step_bound(&slow);
  }
  out->clock = clock;
  out->extra_uj = (int64_t)nearbyint((w - P->idle_w) * (double)out->ns * 1e-3);
  return 0;
}

/* A decode-only iteration of n sequences holding kv_milli of KV between them, in pool P. */
static int decode_pass(const fleet *f, const replica *r, double cap_w, int64_t n,
                       int64_t kv_milli, pass *out) {
  tf_perf_batch b = tf_perf_decode((double)n, (double)kv_milli / (double)MILLI / (double)n);
  b.decode_context = (double)kv_milli / (double)MILLI; /* exactly, not n x the mean */
  return eval_pass(f, r, cap_w, &b, out);
}

/* ---- finishing, preempting ---- */

static void record(fleet *f, req *q, int64_t now) {
  const tf_serving_class *c = &f->cfg->classes[q->cls];
  class_stats *s = &f->cls[q->cls];
  f->out->requests_finished++;
  f->out->sojourn_ns_sum += (double)(now - q->arrival_ns);
  f->out->output_tokens_done += q->output;
  tf_serving_interval *iv = interval_at(f, now);
  if (iv) {
    iv->completed++;
    iv->output_tokens += (double)q->output;
  }
  if (!q->in_window || now > f->cfg->duration_ns)
    return;
  int64_t ttft = q->first_token_ns - q->arrival_ns, e2e = now - q->arrival_ns;
  int64_t queue = q->admit_ns - q->arrival_ns;
  int64_t tpot = q->output > 1 ? (now - q->first_token_ns) / (q->output - 1) : 0;
  s->completed++;
  s->input_tokens += (double)q->input;
  s->output_tokens += (double)q->output;
  tf_hist_add(s->ttft, ttft);
  tf_hist_add(s->e2e, e2e);
  tf_hist_add(s->queue, queue);
  s->sum_ttft += (double)ttft;
  s->sum_e2e += (double)e2e;
  s->sum_queue += (double)queue;
  if (q->output > 1) {
    tf_hist_add(s->tpot, tpot);
    s->sum_tpot += (double)tpot;
  }
  bool ok = (c->slo_ttft_s <= 0 || (double)ttft <= c->slo_ttft_s * 1e9) &&
            (c->slo_tpot_s <= 0 || q->output <= 1 || (double)tpot <= c->slo_tpot_s * 1e9);
  if (ok) {
    s->slo_met++;
    s->good_tokens += (double)q->output;
  }
}

/* ---- a replica's running requests ---- */

static bool heap_less(const heap_entry *a, const heap_entry *b) {
  return a->fin < b->fin || (a->fin == b->fin && a->seq < b->seq);
}

static void heap_set(replica *r, req *reqs, int64_t pos, heap_entry e) {
  r->heap[pos] = e;
  reqs[e.i].heap_pos = (int32_t)pos;
}

static void heap_up(replica *r, req *reqs, int64_t pos) {
  heap_entry e = r->heap[pos];
  while (pos > 0) {
    int64_t parent = (pos - 1) / 2;
    if (!heap_less(&e, &r->heap[parent]))
      break;
    heap_set(r, reqs, pos, r->heap[parent]);
    pos = parent;
  }
  heap_set(r, reqs, pos, e);
}

static void heap_down(replica *r, req *reqs, int64_t pos) {
  heap_entry e = r->heap[pos];
  for (;;) {
    int64_t c = 2 * pos + 1;
    if (c >= r->heap_n)
      break;
    if (c + 1 < r->heap_n && heap_less(&r->heap[c + 1], &r->heap[c]))
      c++;
    if (!heap_less(&r->heap[c], &e))
      break;
    heap_set(r, reqs, pos, r->heap[c]);
    pos = c;
  }
  heap_set(r, reqs, pos, e);
}

static void heap_remove(replica *r, req *reqs, int32_t i) {
  int64_t pos = reqs[i].heap_pos;
  heap_entry last = r->heap[--r->heap_n];
  if (pos == r->heap_n)
    return;
  heap_set(r, reqs, pos, last);
  heap_up(r, reqs, pos);
  heap_down(r, reqs, reqs[last.i].heap_pos);
}

/* Writes a decoding request's gen and kv back from the decode clock. */
static void sync_decoding(const replica *r, req *q) {
  int64_t d = r->clock - q->clock0;
  q->gen_milli = q->gen0 + d;
  q->kv_milli = q->kv0 + d;
}

static void run_append(replica *r, req *reqs, int32_t i) {
  reqs[i].run_prev = r->run_tail;
  reqs[i].run_next = NONE;
  if (r->run_tail == NONE)
    r->run_head = i;
  else
    reqs[r->run_tail].run_next = i;
  r->run_tail = i;
  r->n_run++;
}

static void run_unlink(replica *r, req *reqs, int32_t i) {
  req *q = &reqs[i];
  if (q->run_prev == NONE)
    r->run_head = q->run_next;
  else
    reqs[q->run_prev].run_next = q->run_next;
  if (q->run_next == NONE)
    r->run_tail = q->run_prev;
  else
    reqs[q->run_next].run_prev = q->run_prev;
  r->n_run--;
}

static void pre_append(replica *r, req *reqs, int32_t i) {
  reqs[i].pre_next = NONE;
  if (r->pre_tail == NONE)
    r->pre_head = i;
  else
    reqs[r->pre_tail].pre_next = i;
  r->pre_tail = i;
  r->prefill_kv += reqs[i].kv_milli;
}

/* Removes i from the prefilling list (a short walk: few requests prefill at once). */
static void pre_unlink(replica *r, req *reqs, int32_t i) {
  int32_t prev = NONE;
  for (int32_t j = r->pre_head; j != i; j = reqs[j].pre_next)
    prev = j;
  if (prev == NONE)
    r->pre_head = reqs[i].pre_next;
  else
    reqs[prev].pre_next = reqs[i].pre_next;
  if (r->pre_tail == i)
    r->pre_tail = prev;
  r->prefill_kv -= reqs[i].kv_milli;
}

/* A running request starts decoding: it joins the heap at its finishing point. */
static void start_decoding(replica *r, req *reqs, int32_t i) {
  req *q = &reqs[i];
  q->clock0 = r->clock;
  q->gen0 = q->gen_milli;
  q->kv0 = q->kv_milli;
  q->fin = r->clock + q->output * MILLI - q->gen_milli;
  r->heap[r->heap_n] = (heap_entry){.fin = q->fin, .seq = q->admit_seq, .i = i};
  q->heap_pos = (int32_t)r->heap_n++;
  heap_up(r, reqs, q->heap_pos);
  r->n_decoding++;
}

/* Takes running request i off r (whatever its state), releasing its KV. */
static void remove_running(replica *r, req *reqs, int32_t i) {
  req *q = &reqs[i];
  if (q->heap_pos >= 0) { /* decoding */
    sync_decoding(r, q);
    heap_remove(r, reqs, i);
    q->heap_pos = -1;
    r->n_decoding--;
  } else {
    pre_unlink(r, reqs, i);
  }
  run_unlink(r, reqs, i);
  r->kv_milli -= q->kv_milli;
  q->kv_milli = 0;
}

/* Preempts the newest running request: its KV is dropped and it waits at the head of the queue
 * to recompute its context (vLLM's recompute preemption, newest first). */
static void preempt_newest(fleet *f, replica *r, int64_t now) {
  int32_t i = r->run_tail;
  req *q = &f->reqs[i];
  remove_running(r, f->reqs, i);
  int64_t context = q->input - q->cached + q->gen_milli / MILLI;
  f->out->recompute_tokens += context - (q->prompt - q->prefilled);
  f->out->preemptions++;
  if (q->in_window)
    f->cls[q->cls].preemptions++;
  q->prompt = context;
  q->prefilled = 0;
  q->chunk = 0;
  tick(f, now);
  f->waiting++;
  push_wait(r, f->reqs, i, true);
}

/* ---- stepping ---- */

static int start_step(fleet *f, int32_t ri, int64_t now);
static int maybe_cut_run(fleet *f, int32_t ri, int64_t now);

/* Iteration j of the current step, which holds kv_milli of KV by then. */
static int iteration_pass(fleet *f, replica *r, int64_t j, int64_t kv_milli, pass *out) {
  if (!r->pure) {
    *out = (pass){.ns = r->single_ns, .extra_uj = r->single_extra_uj, .clock = r->single_clock,
                  .prefill_ns = r->single_prefill_ns, .bound = r->single_bound,
                  .demand_w = r->single_demand_w};
    return 0;
  }
  if (j < r->n_dt) {
    *out = (pass){.ns = r->dt[j], .extra_uj = r->extra_uj[j], .clock = r->clk[j],
                  .bound = (tf_perf_bound)r->bnd[j], .demand_w = r->dem[j]};
    return 0;
  }
  /* Sequences still prefilling (starved of budget) hold KV the decoders do not read. */
  return decode_pass(f, r, r->step_cap_w, r->n_dec, kv_milli - r->prefill_kv, out);
}

/* Adds a pass of r over [t, t + p.ns) to the window's and the time series' accounts. */
static void account_pass(fleet *f, replica *r, int64_t t, const pass *p) {
  const tf_serving_config *cfg = f->cfg;
  double w = clip_len(t, t + p->ns, cfg->warmup_ns, cfg->duration_ns);
  r->busy_ns += w;
  r->bound_ns[p->bound] += w;
  if (p->prefill_ns > 0 && w > 0)
    r->prefill_busy_ns += w * ((double)p->prefill_ns / (double)p->ns);
  series_busy(f, t, t + p->ns);
  if (!cfg->power_profile || w <= 0)
    return;
  int64_t uj = p->extra_uj * gpus_of(f, r);
  int64_t inside = w == (double)p->ns ? uj : (int64_t)nearbyint((double)uj * w / (double)p->ns);
  r->extra_uj_total += inside;
  if (p->clock < 1)
    r->capped_ns += (int64_t)w;
  r->clock_ns += p->clock * w;
  if (!f->series_extra_uj)
    return;
  /* Spread over the intervals the pass overlaps, in proportion. */
  int64_t lo = t > cfg->warmup_ns ? t : cfg->warmup_ns;
  int64_t hi = t + p->ns < cfg->duration_ns ? t + p->ns : cfg->duration_ns;
  while (lo < hi) {
    int64_t k = (lo - cfg->warmup_ns) / cfg->series_interval_ns;
    int64_t edge = cfg->warmup_ns + (k + 1) * cfg->series_interval_ns;
    int64_t e = edge < hi ? edge : hi;
    f->series_extra_uj[k] += e - lo == p->ns
                                 ? uj
                                 : (int64_t)nearbyint((double)uj * (double)(e - lo) /
                                                      (double)p->ns);
    lo = e;
  }
}

/* Applies the first m iterations of r's step, which began at r->start_ns, and ends it at now.
 * One pass over the running requests whatever m is. */
static int end_step(fleet *f, int32_t ri, int64_t m, int64_t now) {
  replica *r = &f->rep[ri];
  pool_state *P = &f->pool[r->pool];
  const tf_serving_config *cfg = f->cfg;
  int64_t t = r->start_ns, kv = r->kv_milli, per_iter = r->n_dec * P->acc_milli;
  for (int64_t j = 0; j < m; j++) {
    pass p;
    int rc = iteration_pass(f, r, j, kv, &p);
    if (rc)
      return rc;
    account_pass(f, r, t, &p);
    if (t >= f->last_tick_ns && p.demand_w > r->peak_w)
      r->peak_w = p.demand_w;
    r->kv_integral += (double)kv * clip_len(t, t + p.ns, cfg->warmup_ns, cfg->duration_ns);
    t += p.ns;
    kv += per_iter; /* every decoding sequence emits a step's expected accepted tokens */
  }
  assert(t == now);
  r->kv_milli = kv;
  r->clock += m * P->acc_milli;
  f->out->iterations += (uint64_t)m;
  f->out->runs++;
  /* Prefill chunks (single-iteration steps only); a finished prompt emits the first token. */
  for (int32_t i = r->pre_head, next; i != NONE; i = next) {
    req *q = &f->reqs[i];
    next = q->pre_next;
    if (q->chunk == 0)
      continue;
    q->prefilled += q->chunk;
    f->out->prefill_tokens_done += q->chunk;
    q->chunk = 0;
    if (!decoding(q))
      continue;
    pre_unlink(r, f->reqs, i);
    if (q->first_token_ns < 0) {
      q->first_token_ns = now;
      q->gen_milli += MILLI;
      q->kv_milli += MILLI;
      r->kv_milli += MILLI;
    }
    if (P->prefill_only && q->gen_milli < q->output * MILLI) {
      /* Prefilled in a prefill pool: its KV cache goes to the decode pool; the prefill replica
       * holds it until the transfer ends. */
      run_unlink(r, f->reqs, i);
      f->work[ri] -= q->input + q->output;
      q->epoch = r->epoch;
      f->in_transfer++;
      f->in_transfer_arrival_sum += (double)q->arrival_ns;
      int64_t tokens = q->kv_milli / MILLI;
      int64_t at = now + to_ns((double)tokens * f->kv_bytes_per_token / f->kv_bytes_per_s +
                               f->kv_latency_s);
      int rc = tf_engine_schedule(f->e, at, PRIO_STEP, f->self, EV_KV_DONE, (uint64_t)i, NULL);
      if (rc)
        return rc;
      f->out->kv_transfers++;
      continue;
    }
    start_decoding(r, f->reqs, i);
  }
  /* Finished sequences leave, soonest finishing point first. */
  while (r->heap_n > 0 && r->heap[0].fin <= r->clock) {
    int32_t i = r->heap[0].i;
    req *q = &f->reqs[i];
    tick(f, now);
    f->in_system--;
    f->work[ri] -= q->input + q->output;
    remove_running(r, f->reqs, i);
    record(f, q, now);
    free_req(f, i);
  }
  r->busy = false;
  return f->finishing || f->no_restart ? 0 : start_step(f, ri, now);
}

/* Whether the head of r's queue can join a step that starts with kv_milli of KV in use, budget
 * tokens left and n_dec decoding sequences. A request already prefilled (a decode pool's) joins
 * as a decoder: it needs a decode slot in the budget and room to grow by one step with the
 * others. */
static bool admissible(const fleet *f, const replica *r, int64_t kv_milli, int64_t budget,
                       int64_t n_dec) {
  const pool_state *P = &f->pool[r->pool];
  if (r->wait.head == NONE || r->n_run >= P->cfg->max_batch_seqs || budget <= 0)
    return false;
  const req *q = &f->reqs[r->wait.head];
  if (decoding(q))
    return budget >= P->tokens_per_decode &&
           kv_milli + kv_need(q) + (n_dec + 1) * P->acc_milli <= kv_cap_of(f, r);
  return kv_milli + kv_need(q) <= kv_cap_of(f, r);
}

/* Builds and starts r's next step at now (nothing if it has no work). */
static int start_step(fleet *f, int32_t ri, int64_t now) {
  replica *r = &f->rep[ri];
  if (r->busy)
    return 0;
  pool_state *P = &f->pool[r->pool];
  /* Room for one more step of every decoding sequence, else preempt the newest. */
  int64_t kv_cap = kv_cap_of(f, r);
  while (r->n_decoding > 0 && r->kv_milli + r->n_decoding * P->acc_milli > kv_cap)
    preempt_newest(f, r, now);
  int64_t n_dec = r->n_decoding;
  int64_t budget = P->perf.max_batch_tokens - n_dec * P->tokens_per_decode;
  tf_perf_batch batch = {0};
  int64_t dec_kv = r->kv_milli - r->prefill_kv;
  for (int32_t i = r->pre_head; i != NONE && budget > 0; i = f->reqs[i].pre_next) {
    req *q = &f->reqs[i];
    int64_t left = q->prompt - q->prefilled;
    q->chunk = left < budget ? left : budget;
    budget -= q->chunk;
  }
  while (admissible(f, r, r->kv_milli, budget, n_dec)) {
    int32_t i = pop_wait(r, f->reqs);
    req *q = &f->reqs[i];
    tick(f, now);
    f->waiting--;
    q->admit_seq = f->admit_seq++;
    q->kv_milli = kv_need(q);
    r->kv_milli += q->kv_milli;
    run_append(r, f->reqs, i);
    if (q->admit_ns < 0) {
      q->admit_ns = now;
      f->out->prompt_tokens_admitted += q->prompt;
    }
    if (decoding(q)) { /* arrived prefilled from a prefill pool */
      start_decoding(r, f->reqs, i);
      n_dec++;
      dec_kv += q->kv_milli;
      budget -= P->tokens_per_decode;
      continue;
    }
    pre_append(r, f->reqs, i);
    q->chunk = q->prompt < budget ? q->prompt : budget;
    budget -= q->chunk;
  }
  if (r->n_run == 0)
    return 0;

  bool prefill = false;
  for (int32_t i = r->pre_head; i != NONE; i = f->reqs[i].pre_next) {
    req *q = &f->reqs[i];
    if (q->chunk > 0) {
      prefill = true;
      /* A chunk after `done` computed tokens (cached prefix included) attends to them all. */
      double done = (double)(q->cached + q->prefilled), c = (double)q->chunk;
      batch.prefill_tokens += c;
      batch.prefill_attended += c * done + c * (c + 1) / 2;
    }
  }
  r->busy = true;
  r->start_ns = now;
  r->n_dec = n_dec;
  r->step_cap_w = r->cap_w;
  int64_t end;
  if (prefill) {
    batch.decode_sequences = (double)n_dec;
    batch.decode_context = (double)dec_kv / (double)MILLI;
    pass p;
    int rc = eval_pass(f, r, r->step_cap_w, &batch, &p);
    if (rc)
      return rc;
    /* The prompt chunks' share: what the step takes beyond its decoders alone, at full clock
     * (a cap stretches both alike; one step-model evaluation, no power search). */
    double dec_share = 0;
    if (n_dec > 0 && p.full_clock_s > 0) {
      tf_perf_batch db = tf_perf_decode((double)n_dec, (double)dec_kv / (double)MILLI / (double)n_dec);
      db.decode_context = (double)dec_kv / (double)MILLI;
      tf_perf_step dst;
      if ((rc = tf_perf_step_time(perf_of(f, r), &db, &dst)))
        return rc;
      dec_share = fmin(dst.stage_s / p.full_clock_s, 1);
    }
    r->pure = false;
    r->single_prefill_ns = p.ns - (int64_t)nearbyint((double)p.ns * dec_share);
    r->single_ns = p.ns;
    r->single_extra_uj = p.extra_uj;
    r->single_clock = p.clock;
    r->single_bound = p.bound;
    r->single_demand_w = p.demand_w;
    r->iters = 1;
    end = now + r->single_ns;
  } else {
    /* Decode only: run until a sequence finishes or the KV cache fills, one event. */
    r->pure = true;
    /* Iterations until the soonest finishing sequence is done. */
    int64_t left = r->heap[0].fin - r->clock;
    int64_t iters = (left + P->acc_milli - 1) / P->acc_milli;
    int64_t by_kv = (kv_cap - r->kv_milli) / (n_dec * P->acc_milli);
    if (by_kv < iters)
      iters = by_kv;
    if (f->cfg->exact_steps || iters < 1)
      iters = 1;
    end = now;
    int64_t kv = r->kv_milli;
    r->n_dt = 0;
    for (int64_t j = 0; j < iters; j++) {
      pass p;
      int rc = decode_pass(f, r, r->step_cap_w, n_dec, kv - r->prefill_kv, &p);
      if (rc)
        return rc;
      if (j < DT_CACHE) {
        r->dt[r->n_dt] = p.ns;
        r->extra_uj[r->n_dt] = p.extra_uj;
        r->clk[r->n_dt] = p.clock;
        r->dem[r->n_dt] = p.demand_w;
        r->bnd[r->n_dt++] = (uint8_t)p.bound;
      }
      end += p.ns;
      kv += n_dec * P->acc_milli;
    }
    r->iters = iters;
  }
  return tf_engine_schedule(f->e, end, PRIO_STEP, f->self, EV_STEP, (uint64_t)ri, &r->ev);
}

/* ---- arrivals and routing ---- */

/* The least loaded replica up in [base, base + n), or NONE. */
static int32_t least_work(const fleet *f, int32_t base, int32_t n) {
  int32_t best = NONE;
  int64_t best_work = INT64_MAX;
  for (int32_t i = base; i < base + n; i++) {
    int64_t w = f->up[i] ? f->work[i] : INT64_MAX; /* the scan runs per request: no branches */
    if (w < best_work) {
      best_work = w;
      best = i;
    }
  }
  return best;
}

/* A replica of pool P for a request of class c among those up, or NONE when none is. */
static int32_t route(fleet *f, const pool_state *P, const tf_serving_class *c) {
  int32_t n = P->count, base = P->first;
  switch (c->router) {
  case TF_ROUTER_ROUND_ROBIN:
    for (int32_t k = 0; k < n; k++) {
      int32_t i = base + (int32_t)(f->rr[P == &f->pool[1]]++ % (uint64_t)n);
      if (f->up[i])
        return i;
    }
    return NONE;
  case TF_ROUTER_LEAST_WORK:
    return least_work(f, base, n);
  default: {
    gsl_rng *g = tf_engine_rng(f->e, f->self, STREAM_ROUTER);
    int32_t a = base + (int32_t)gsl_rng_uniform_int(g, (unsigned long)n);
    int32_t b = a;
    if (n > 1) {
      b = base + (int32_t)gsl_rng_uniform_int(g, (unsigned long)(n - 1));
      if (b >= a)
        b++;
    }
    if (!f->up[a] && !f->up[b]) /* both down: the least loaded of those up */
      return least_work(f, base, n);
    if (!f->up[a] || !f->up[b])
      return f->up[a] ? a : b;
    int64_t wa = f->work[a], wb = f->work[b];
    return wb < wa || (wb == wa && b < a) ? b : a;
  }
  }
}

/* Queues request i (waiting, not counted yet) at a replica of pool k chosen by its class's
 * router, or among the orphans when no replica of the pool is up. */
/* Whether replica ri's KV cache can ever hold q: its whole context (its prompt and first token,
 * in a prefill pool), as on_arrival checks against a replica in its own layout. */
static bool holds(const fleet *f, int32_t ri, const req *q) {
  const replica *r = &f->rep[ri];
  const pool_state *P = &f->pool[r->pool];
  int64_t need = P->prefill_only ? q->input + 1 : q->input + q->output + P->tokens_per_decode;
  return need * MILLI <= kv_cap_of(f, r);
}

/* The least loaded replica up in pool P that can hold q, or NONE. */
static int32_t least_work_holding(const fleet *f, const pool_state *P, const req *q) {
  int32_t best = NONE;
  for (int32_t i = P->first; i < P->first + P->count; i++)
    if (f->up[i] && holds(f, i, q) && (best == NONE || f->work[i] < f->work[best]))
      best = i;
  return best;
}

static int assign(fleet *f, int k, int32_t i, int64_t now) {
  req *q = &f->reqs[i];
  tick(f, now);
  f->waiting++;
  int32_t ri = route(f, &f->pool[k], &f->cfg->classes[q->cls]);
  /* A replica in the degraded layout may have too little KV cache for the request. */
  if (ri != NONE && f->rep[ri].degraded && !holds(f, ri, q))
    ri = least_work_holding(f, &f->pool[k], q);
  if (ri == NONE) {
    q->replica = (int32_t)k; /* the pool it waits for */
    fifo_push(&f->orphans, f->reqs, i, false);
    f->n_orphans[k]++;
    return 0;
  }
  q->replica = ri;
  replica *r = &f->rep[ri];
  f->work[ri] += q->input + q->output;
  bool was_empty = r->wait.head == NONE;
  push_wait(r, f->reqs, i, false);
  return !r->busy ? start_step(f, ri, now) : was_empty ? maybe_cut_run(f, ri, now) : 0;
}

/* Draws class ci's next request and schedules its arrival, unless arrivals have ended. */
static int schedule_next(fleet *f, size_t ci, int64_t now) {
  const tf_serving_class *c = &f->cfg->classes[ci];
  gsl_rng *g = tf_engine_rng(f->e, f->self, STREAM_CLASS0 + (uint32_t)ci);
  if (!g)
    return TF_FAIL(TF_ENOMEM, "an RNG stream");
  int64_t at = 0, in = 0, out = 0;
  int rc = c->source.next(c->source.ctx, g, now, &at, &in, &out);
  if (rc < 0)
    return rc;
  int64_t end = f->cfg->arrivals_end_ns ? f->cfg->arrivals_end_ns : f->cfg->duration_ns;
  if (rc == 1 || at > end || at > f->cfg->duration_ns)
    return 0;
  if (at < now || in < 1 || out < 1)
    return TF_FAIL(TF_EINVAL, "class %s: the source gave an arrival in the past or a length < 1",
                   c->name);
  f->pend_in[ci] = in;
  f->pend_out[ci] = out;
  return tf_engine_schedule(f->e, at, PRIO_ARRIVAL, f->self, EV_ARRIVAL, (uint64_t)ci, NULL);
}

/* Where busy replica r's step may be cut at or after now: its first iteration boundary there
 * (t), the KV held from then on (kv), the iterations up to it (m: r->iters when that is the
 * step's end), and the highest demand of its passes up to there that started at or after the
 * last tick (demand_w: those not applied yet, the one running at now included). */
typedef struct cut_point {
  int64_t t, kv, m;
  double demand_w;
} cut_point;

static int boundary_after(fleet *f, const replica *r, int64_t now, cut_point *c) {
  const pool_state *P = &f->pool[r->pool];
  *c = (cut_point){.t = r->start_ns, .kv = r->kv_milli};
  for (int64_t j = 0; j < r->iters; j++) {
    pass p;
    int rc = iteration_pass(f, (replica *)r, j, c->kv, &p);
    if (rc)
      return rc;
    c->t += p.ns;
    c->kv += r->n_dec * P->acc_milli;
    c->m = j + 1;
    if (c->t - p.ns >= f->last_tick_ns && p.demand_w > c->demand_w)
      c->demand_w = p.demand_w;
    if (c->t >= now)
      break;
  }
  return 0;
}

/* Ends r's current step at c's boundary instead of later (nothing when that is its end). */
static int cut_at(fleet *f, int32_t ri, const cut_point *c) {
  replica *r = &f->rep[ri];
  if (c->m >= r->iters)
    return 0;
  r->iters = c->m;
  int rc = tf_engine_cancel(f->e, r->ev);
  return rc ? rc
            : tf_engine_schedule(f->e, c->t, PRIO_STEP, f->self, EV_STEP, (uint64_t)ri, &r->ev);
}

/* Cuts r's decode run at the first iteration boundary at or after now when the request now at
 * the head of its queue could join there. KV only grows during a run, so if it cannot join at
 * that boundary it cannot join at any later one before the run ends. */
static int maybe_cut_run(fleet *f, int32_t ri, int64_t now) {
  replica *r = &f->rep[ri];
  if (!r->busy || !r->pure || r->iters <= 1)
    return 0;
  pool_state *P = &f->pool[r->pool];
  int64_t budget = P->perf.max_batch_tokens - r->n_dec * P->tokens_per_decode;
  cut_point c;
  int rc = boundary_after(f, r, now, &c);
  if (rc || c.m >= r->iters || !admissible(f, r, c.kv, budget, r->n_dec))
    return rc;
  return cut_at(f, ri, &c);
}

/* ---- dynamic power capping ----
 *
 * Every cap_period_ns a site controller re-divides what the IT envelope leaves after the hosts
 * (tf_power_divide, after NVIDIA's nvPAX; docs/POWER.md): every GPU keeps its pool's floor, the
 * replicas stepping at the tick get up to their demand (the peak full-clock power of their passes
 * since the last tick), levelled when the budget falls short, and what is left goes above demand
 * and then to the idle replicas, none above its top. A pass runs under the cap its replica had
 * when it started, so a change reaches a replica at its next iteration boundary: a decode run is
 * cut there. Lowered caps go first; raised ones wait until every lowered replica has passed a
 * boundary, so the caps of the passes running never add up to more than the budget. A tick
 * that comes while a raise waits does nothing (the next one acts). */

/* A cap as passes take it: INFINITY at or above TDP. */
static double as_cap(const pool_state *P, double w) { return w >= P->gpu->tdp_w ? INFINITY : w; }

static int apply_raises(fleet *f, int64_t now);

static int on_cap_tick(fleet *f, int64_t now) {
  const tf_serving_config *cfg = f->cfg;
  int rc;
  if (now + cfg->cap_period_ns < cfg->duration_ns &&
      (rc = tf_engine_schedule(f->e, now + cfg->cap_period_ns, PRIO_CAP, f->self, EV_CAP_TICK, 0,
                               NULL)))
    return rc;
  if (f->raise_pending)
    return 0;
  /* Each replica's claim: a stepping one asks for the most any of its passes since the last
   * tick drew at full clock, the one running now included. */
  cut_point *cut = f->cap_cuts;
  for (int32_t i = 0; i < f->n_rep; i++) {
    replica *r = &f->rep[i];
    tf_power_claim *c = &f->claims[i];
    c->stepping = r->busy;
    if (r->busy && (rc = boundary_after(f, r, now, &cut[i])))
      return rc;
    c->demand_w = r->busy ? fmax(r->peak_w, cut[i].demand_w) : 0;
    r->peak_w = 0;
  }
  f->last_tick_ns = now;
  if ((rc = tf_power_divide(f->claims, (size_t)f->n_rep, f->gpu_budget_w)))
    return rc;
  /* Lower first, at each replica's next boundary; note the raises and when they may start. */
  int64_t raise_at = now;
  bool any_raise = false, changed = false;
  for (int32_t i = 0; i < f->n_rep; i++) {
    replica *r = &f->rep[i];
    double want = as_cap(&f->pool[r->pool], f->claims[i].cap_w);
    if (want == r->cap_w)
      continue;
    changed = true;
    if (want > r->cap_w) {
      r->raise_w = want;
      any_raise = true;
      continue;
    }
    r->cap_w = want;
    if (!r->busy)
      continue;
    if ((rc = cut_at(f, i, &cut[i])))
      return rc;
    if (cut[i].t > raise_at)
      raise_at = cut[i].t;
  }
  f->out->cap_changes += changed;
  if (!any_raise)
    return 0;
  if (raise_at == now)
    return apply_raises(f, now);
  f->raise_pending = true;
  return tf_engine_schedule(f->e, raise_at, PRIO_CAP, f->self, EV_CAP_RAISE, 0, NULL);
}

/* The raises the last tick decided, now that the lowered replicas run under their new caps. */
static int apply_raises(fleet *f, int64_t now) {
  f->raise_pending = false;
  for (int32_t i = 0; i < f->n_rep; i++) {
    replica *r = &f->rep[i];
    if (isnan(r->raise_w))
      continue;
    r->cap_w = r->raise_w;
    r->raise_w = NAN;
    if (!r->busy)
      continue;
    cut_point c;
    int rc = boundary_after(f, r, now, &c);
    if (rc || (rc = cut_at(f, i, &c)))
      return rc;
  }
  return 0;
}

static int on_arrival(fleet *f, size_t ci, int64_t now) {
  const tf_serving_class *c = &f->cfg->classes[ci];
  class_stats *s = &f->cls[ci];
  bool in_window = now >= f->cfg->warmup_ns;
  if (in_window)
    s->arrivals++;
  tf_serving_interval *iv = interval_at(f, now);
  if (iv)
    iv->arrivals++;
  f->out->requests_arrived++;
  int64_t in = f->pend_in[ci], outl = f->pend_out[ci];
  /* A request whose whole context cannot fit in one replica's KV cache could never run. */
  const pool_state *last = &f->pool[f->n_pools - 1];
  if ((in + outl + last->tokens_per_decode) * MILLI > last->cap_milli ||
      (in + 1) * MILLI > f->pool[0].cap_milli) {
    if (in_window)
      s->rejected++;
    f->out->requests_rejected++;
    return schedule_next(f, ci, now);
  }
  int32_t i = new_req(f);
  if (i == NONE)
    return TF_FAIL(TF_ENOMEM, "request records");
  req *q = &f->reqs[i];
  int64_t cached = (int64_t)floor(c->prefix_hit * (double)in);
  if (cached >= in)
    cached = in - 1; /* at least the last prompt token is computed */
  *q = (req){.arrival_ns = now,
             .admit_ns = -1,
             .first_token_ns = -1,
             .input = in,
             .output = outl,
             .cached = cached,
             .prompt = in - cached,
             .cls = (int32_t)ci,
             .next = NONE,
             .heap_pos = -1,
             .in_window = in_window};
  f->out->output_tokens_expected += outl;
  tick(f, now);
  f->in_system++;
  int rc = assign(f, 0, i, now);
  if (rc)
    return rc;
  return schedule_next(f, ci, now);
}

/* A request's KV cache has reached the decode pool: the prefill replica frees it, and the
 * request queues at a decode replica, already prefilled. */
static int on_kv_done(fleet *f, int32_t i, int64_t now) {
  req *q = &f->reqs[i];
  int32_t from = q->replica;
  f->rep[from].kv_milli -= q->kv_milli;
  q->kv_milli = 0;
  f->in_transfer--;
  f->in_transfer_arrival_sum -= (double)q->arrival_ns;
  if (q->epoch != f->rep[from].epoch) {
    /* Its prefill replica failed during the transfer: the KV cache is lost; prefill again. */
    restart(f, q);
    return assign(f, 0, i, now);
  }
  int rc = start_step(f, from, now); /* the freed KV may admit a waiting prompt */
  if (rc)
    return rc;
  return assign(f, 1, i, now);
}

/* ---- failures ---- */

/* The replicas whose GPUs instance `inst` of failure class c covers: [*lo, *hi). */
static void covered(const fleet *f, int c, int64_t inst, int32_t *lo, int32_t *hi) {
  int64_t a = inst * f->fail[c].span, b = a + f->fail[c].span;
  if (b > f->total_gpus)
    b = f->total_gpus;
  *lo = *hi = 0;
  bool found = false;
  for (int32_t i = 0; i < f->n_rep; i++) {
    int64_t ra = f->rep[i].gpu_first, rb = ra + f->pool[f->rep[i].pool].gpus;
    if (ra < b && a < rb) {
      if (!found)
        *lo = i;
      found = true;
      *hi = i + 1;
    }
  }
}

/* Replica ri fails at now: passes that ended by now stand, the one in progress is lost; its
 * running requests restart elsewhere from the beginning, its queue moves as it is. */
static int take_down(fleet *f, int32_t ri, int64_t now) {
  replica *r = &f->rep[ri];
  if (r->degraded)
    r->degraded_ns += clip_len(r->degraded_since, now, f->cfg->warmup_ns, f->cfg->duration_ns);
  r->epoch++;
  r->down_since = now;
  int rc;
  if (r->busy) {
    int64_t m = 0, t = r->start_ns, kv = r->kv_milli;
    if (r->pure) {
      for (; m < r->iters; m++) {
        pass p;
        if ((rc = iteration_pass(f, r, m, kv, &p)))
          return rc;
        if (t + p.ns > now)
          break;
        t += p.ns;
        kv += r->n_dec * f->pool[r->pool].acc_milli;
      }
    }
    if ((rc = tf_engine_cancel(f->e, r->ev)))
      return rc;
    if (m > 0) {
      f->no_restart = true;
      rc = end_step(f, ri, m, t);
      f->no_restart = false;
      if (rc)
        return rc;
    }
    r->busy = false;
  }
  /* Running requests lose their work. */
  fifo evicted = EMPTY_FIFO;
  while (r->run_tail != NONE) {
    int32_t i = r->run_tail;
    req *q = &f->reqs[i];
    remove_running(r, f->reqs, i); /* syncs a decoder's tokens, releases its KV */
    restart(f, q);
    f->work[ri] -= q->input + q->output;
    fifo_push(&evicted, f->reqs, i, true); /* taken newest first: keeps admission order */
  }
  /* Then the queue, in order, behind them. A decode replica's queue holds prefilled requests
   * whose KV caches were sent to it: lost too. */
  bool decode_pool = r->pool == 1;
  while (r->wait.head != NONE) {
    int32_t i = pop_wait(r, f->reqs);
    req *q = &f->reqs[i];
    f->work[ri] -= q->input + q->output;
    tick(f, now);
    f->waiting--;
    if (decode_pool)
      restart(f, q);
    fifo_push(&evicted, f->reqs, i, false);
  }
  /* Everything restarts at the pool that prefills. */
  while (evicted.head != NONE)
    if ((rc = assign(f, 0, fifo_pop(&evicted, f->reqs), now)))
      return rc;
  return 0;
}

/* Replica ri is back: the orphans waiting for its pool queue again. */
static int bring_up(fleet *f, int32_t ri, int64_t now) {
  replica *r = &f->rep[ri];
  const tf_serving_config *cfg = f->cfg;
  r->down_ns += clip_len(r->down_since, now, cfg->warmup_ns, cfg->duration_ns);
  int k = r->pool;
  if (f->n_orphans[k] == 0)
    return 0;
  fifo all = f->orphans, keep = EMPTY_FIFO;
  f->orphans = EMPTY_FIFO;
  f->n_orphans[k] = 0;
  while (all.head != NONE) {
    int32_t i = fifo_pop(&all, f->reqs);
    if (f->reqs[i].replica != k) { /* waiting for the other pool */
      fifo_push(&keep, f->reqs, i, false);
      continue;
    }
    tick(f, now);
    f->waiting--; /* assign counts it again */
    int rc = assign(f, k, i, now);
    if (rc)
      return rc;
  }
  /* Put back those waiting for the other pool, ahead of any just orphaned again. */
  fifo_prepend(&f->orphans, keep, f->reqs);
  return 0;
}

static int schedule_failure(fleet *f, int c, int64_t now);

/* Creates every failure class's process and repair shop (on the shared team, if any) and
 * schedules its first failure. With a shared team, classes take its line in the order their
 * failures are handled: event order, so failures at one instant (one priority) go by insertion
 * sequence, the same for the same seed. */
static int start_failures(fleet *f) {
  int rc;
  if (f->cfg->failure_crews > 0 &&
      (rc = tf_repair_team_create(&f->repair_team, f->cfg->failure_crews, 0)))
    return rc;
  for (size_t c = 0; c < f->cfg->n_failures; c++) {
    const tf_failure_class *fc = &f->cfg->failures[c];
    fail_state *fs = &f->fail[c];
    fs->span = (f->total_gpus + fc->count - 1) / fc->count;
    gsl_rng *g = tf_engine_rng(f->e, f->fail_rng_entity, 2 * (uint32_t)c);
    if (!g)
      return TF_FAIL(TF_ENOMEM, "an RNG stream");
    if ((rc = tf_failure_process_create(&fs->proc, &fc->ttf, fc->count, 0, g)) ||
        (rc = f->repair_team
                  ? tf_repair_shop_create_shared(&fs->shop, &fc->repair, f->repair_team)
                  : tf_repair_shop_create(&fs->shop, &fc->repair, 0)) ||
        (rc = schedule_failure(f, (int)c, 0)))
      return rc;
  }
  return 0;
}

/* (Re)schedules failure class c's pending failure. */
static int schedule_failure(fleet *f, int c, int64_t now) {
  fail_state *fs = &f->fail[c];
  int rc;
  if (fs->pending) {
    if ((rc = tf_engine_cancel(f->e, fs->ev)))
      return rc;
    fs->pending = false;
  }
  int64_t at, inst;
  rc = tf_failure_next(fs->proc, tf_engine_rng(f->e, f->fail_rng_entity, 2 * (uint32_t)c), &at,
                       &inst);
  if (rc == TF_ENOTFOUND || (rc == 0 && at > f->cfg->duration_ns))
    return 0;
  if (rc)
    return rc;
  if (at < now)
    at = now;
  fs->pending = true;
  return tf_engine_schedule(f->e, at, PRIO_FAIL, f->self, EV_FAIL, (uint64_t)c, &fs->ev);
}

/* GPUs of replica ri under instance inst of class c. */
static int64_t overlap(const fleet *f, int c, int64_t inst, int32_t ri) {
  int64_t a = inst * f->fail[c].span, b = a + f->fail[c].span;
  int64_t ra = f->rep[ri].gpu_first, rb = ra + f->pool[f->rep[ri].pool].gpus;
  int64_t lo = a > ra ? a : ra, hi = b < rb ? b : rb;
  return hi > lo ? hi - lo : 0;
}

/* Degraded mode (docs/FAILURES.md). A replica's layout changes only through a restart: its work
 * is lost (take_down, if it was serving) and it serves nothing for cfg->reconfigure_ns; then
 * EV_RECONF, tagged with the epoch, brings it up in the layout it restarted into. A failure or a
 * repair meanwhile moves the epoch on and so cancels the restart. */

/* Whether replica ri should restart in the degraded layout at now: its healthy GPUs hold it,
 * and its parts are due back later than two restarts (into it and back) would take. */
static bool can_degrade(const fleet *f, int32_t ri, int64_t now) {
  const replica *r = &f->rep[ri];
  const pool_state *P = &f->pool[r->pool];
  return P->has_degraded && r->down > 0 && P->gpus - r->lost >= P->deg_gpus &&
         r->due_ns - now > 2 * f->cfg->reconfigure_ns;
}

/* Starts replica ri's restart into the degraded layout or back into its own. */
static int reconfigure(fleet *f, int32_t ri, bool degraded, int64_t now) {
  replica *r = &f->rep[ri];
  int rc;
  if (f->up[ri]) {
    f->up[ri] = 0;
    if ((rc = take_down(f, ri, now)))
      return rc;
  } else {
    r->epoch++; /* cancels a restart under way */
  }
  r->reconfiguring = true;
  f->out->reconfigurations++;
  uint64_t arg = (uint64_t)r->epoch << 32 | (uint64_t)ri << 1 | (uint64_t)degraded;
  return tf_engine_schedule(f->e, now + f->cfg->reconfigure_ns, PRIO_FAIL, f->self, EV_RECONF,
                            arg, NULL);
}

/* A restart ends: the replica serves in its new layout. */
static int on_reconf(fleet *f, uint64_t arg, int64_t now) {
  int32_t ri = (int32_t)((arg & UINT32_MAX) >> 1);
  replica *r = &f->rep[ri];
  if ((uint32_t)(arg >> 32) != r->epoch)
    return 0; /* cancelled */
  r->reconfiguring = false;
  r->degraded = arg & 1;
  r->degraded_since = now;
  f->up[ri] = 1;
  return bring_up(f, ri, now);
}

static int on_failure(fleet *f, int c, int64_t now) {
  fail_state *fs = &f->fail[c];
  fs->pending = false;
  int64_t inst;
  int rc = tf_failure_down(fs->proc, now, &inst);
  if (rc)
    return rc;
  f->out->failures++;
  tf_repair_ticket t;
  gsl_rng *g = tf_engine_rng(f->e, f->fail_rng_entity, 2 * (uint32_t)c + 1);
  if ((rc = tf_repair_shop_fail(fs->shop, now, g, &t)))
    return rc;
  int32_t lo, hi;
  covered(f, c, inst, &lo, &hi);
  for (int32_t i = lo; i < hi; i++) {
    replica *r = &f->rep[i];
    r->lost += overlap(f, c, inst, i);
    if (t.back_ns > r->due_ns)
      r->due_ns = t.back_ns;
    if (r->down++ > 0 && !f->up[i] && !r->reconfiguring)
      continue; /* already down, and staying so */
    /* Serving (in either layout) or restarting: it stops. With enough GPUs left, and long
     * enough to wait, it restarts in the degraded layout. */
    if (can_degrade(f, i, now)) {
      if ((rc = reconfigure(f, i, true, now)))
        return rc;
      continue;
    }
    if (f->up[i]) {
      f->up[i] = 0;
      if ((rc = take_down(f, i, now)))
        return rc;
    } else {
      r->epoch++; /* cancels the restart under way */
      r->reconfiguring = false;
    }
  }
  uint64_t arg = (uint64_t)c << 32 | (uint64_t)inst;
  if (t.back_ns <= f->cfg->duration_ns &&
      (rc = tf_engine_schedule(f->e, t.back_ns, PRIO_FAIL, f->self, EV_REPAIR, arg, NULL)))
    return rc;
  return schedule_failure(f, c, now);
}

static int on_repair(fleet *f, uint64_t arg, int64_t now) {
  int c = (int)(arg >> 32);
  int64_t inst = (int64_t)(arg & UINT32_MAX);
  fail_state *fs = &f->fail[c];
  int rc = tf_failure_up(fs->proc, now, inst, tf_engine_rng(f->e, f->fail_rng_entity, 2 * (uint32_t)c));
  if (rc)
    return rc;
  int32_t lo, hi;
  covered(f, c, inst, &lo, &hi);
  for (int32_t i = lo; i < hi; i++) {
    replica *r = &f->rep[i];
    r->lost -= overlap(f, c, inst, i);
    bool going_degraded = r->reconfiguring || (f->up[i] && r->degraded);
    if (--r->down > 0) { /* something else keeps it from its own layout */
      if (!f->up[i] && !r->reconfiguring && can_degrade(f, i, now) &&
          (rc = reconfigure(f, i, true, now)))
        return rc;
      continue;
    }
    r->due_ns = 0;
    if (r->degraded || going_degraded) { /* whole again: back to its own layout */
      if ((rc = reconfigure(f, i, false, now)))
        return rc;
      continue;
    }
    f->up[i] = 1;
    if ((rc = bring_up(f, i, now)))
      return rc;
  }
  return schedule_failure(f, c, now);
}

/* ---- the fleet as an engine entity ---- */

static int fleet_init(tf_engine *e, uint32_t id, void *state, const void *config) {
  fleet *f = state;
  const tf_serving_run_args *args = config;
  const tf_serving_config *cfg = args->cfg;
  f->e = e;
  f->self = id;
  f->cfg = cfg;
  f->out = args->out;
  f->free_head = NONE;
  if (cfg->series_interval_ns > 0) {
    int64_t window = cfg->duration_ns - cfg->warmup_ns;
    int64_t n = (window + cfg->series_interval_ns - 1) / cfg->series_interval_ns;
    f->out->series = calloc((size_t)n, sizeof *f->out->series);
    if (!f->out->series)
      return TF_FAIL(TF_ENOMEM, "a time series of %lld intervals", (long long)n);
    f->out->n_series = (size_t)n;
    for (int64_t k = 0; k < n; k++)
      f->out->series[k].start_s = (double)(k * cfg->series_interval_ns) * 1e-9;
    if (cfg->power_profile && !(f->series_extra_uj = calloc((size_t)n, sizeof(int64_t))))
      return TF_FAIL(TF_ENOMEM, "a power time series");
  }
  f->n_pools = cfg->disaggregated ? 2 : 1;
  int32_t first = 0;
  int rc;
  for (int k = 0; k < f->n_pools; k++) {
    pool_state *P = &f->pool[k];
    P->cfg = k ? &cfg->decode_pool : &cfg->pool;
    P->perf = P->cfg->perf;
    if ((rc = tf_perf_load_cache_init(&P->cache, P->cfg->perf.max_batch_tokens)))
      return rc;
    P->perf.load_cache = &P->cache;
    tf_perf_batch one = tf_perf_decode(1, 1);
    tf_perf_step st;
    if ((rc = tf_perf_step_time(&P->perf, &one, &st)))
      return rc;
    P->acc_milli = (int64_t)nearbyint(st.accepted_per_seq * (double)MILLI);
    P->tokens_per_decode = 1 + P->cfg->perf.speculation.draft_tokens;
    P->cap_milli = P->cfg->kv_tokens * MILLI;
    P->has_degraded = P->cfg->degraded_kv_tokens > 0;
    if (P->has_degraded) {
      P->deg_perf = P->cfg->degraded;
      if ((rc = tf_perf_load_cache_init(&P->deg_cache, P->deg_perf.max_batch_tokens)))
        return rc;
      P->deg_perf.load_cache = &P->deg_cache;
      P->deg_cap_milli = P->cfg->degraded_kv_tokens * MILLI;
      P->deg_gpus = P->deg_perf.layout.tp * P->deg_perf.layout.dp * P->deg_perf.layout.pp;
    }
    P->first = first;
    P->count = (int32_t)P->cfg->replicas;
    P->prefill_only = cfg->disaggregated && k == 0;
    first += P->count;
  }
  f->n_rep = first;
  f->orphans = EMPTY_FIFO;
  for (int k = 0; k < f->n_pools; k++)
    f->pool[k].gpus = f->pool[k].perf.layout.tp * f->pool[k].perf.layout.dp *
                      f->pool[k].perf.layout.pp;
  if (cfg->power_profile) {
    /* Every GPU's cap: the static limit, or an equal share of what the IT envelope leaves after
     * the hosts (no cap when that share reaches TDP). */
    double hosts = 0, gpus = 0;
    for (int k = 0; k < f->n_pools; k++) {
      pool_state *P = &f->pool[k];
      P->gpu = P->perf.hw.gpu;
      P->idle_w = P->gpu->idle_power_w;
      P->host_w = P->cfg->system ? tf_power_host_w(P->cfg->system) /
                                       (double)P->cfg->system->gpus * (double)P->gpus
                                 : 0;
      hosts += P->host_w * (double)P->count;
      gpus += (double)P->gpus * (double)P->count;
    }
    f->gpu_budget_w = cfg->it_envelope_w - hosts;
    double floors = 0;
    for (int k = 0; k < f->n_pools; k++) {
      pool_state *P = &f->pool[k];
      double cap = INFINITY;
      if (cfg->cap_policy == TF_CAP_STATIC)
        cap = cfg->gpu_cap_w;
      else if (cfg->cap_policy == TF_CAP_ENVELOPE)
        cap = f->gpu_budget_w / gpus;
      P->top_w = P->gpu->tdp_w;
      if (cfg->system_limit_w > 0) {
        if (!P->cfg->system || !P->cfg->system->has.gpus)
          return TF_FAIL(TF_EINVAL, "a system power limit needs the serving system's GPU count");
        double share = (cfg->system_limit_w - tf_power_host_w(P->cfg->system)) /
                       (double)P->cfg->system->gpus;
        if (share < cap)
          cap = share;
        if (share < P->top_w)
          P->top_w = share;
      }
      /* No pass draws more at the lowest clock than every part at full activity would. */
      const tf_power_profile *prof = cfg->power_profile;
      P->floor_w = fmin(P->top_w, P->idle_w + (P->gpu->tdp_w - P->idle_w) *
                                                  pow(prof->min_clock, prof->clock_exponent));
      floors += P->floor_w * (double)P->gpus * (double)P->count;
      if (cap < P->gpu->idle_power_w)
        return TF_FAIL(TF_ERANGE,
                       "the power cap leaves %.4g W per GPU, below the %s's idle power (%.4g W): "
                       "the site cannot run this fleet (hosts %.4g kW, %.0f GPUs, IT envelope "
                       "%.4g kW)",
                       cap, P->gpu->entry.name, P->gpu->idle_power_w, hosts * 1e-3, gpus,
                       cfg->it_envelope_w * 1e-3);
      P->cap_w = as_cap(P, cap);
    }
    f->out->gpu_cap_w = f->pool[0].cap_w;
    if (cfg->cap_policy == TF_CAP_DYNAMIC) {
      if (f->gpu_budget_w < floors)
        return TF_FAIL(TF_ERANGE,
                       "dynamic capping: the IT envelope (%.4g kW) leaves %.4g kW for the GPUs "
                       "after the hosts (%.4g kW), less than the %.4g kW that keep every GPU "
                       "at its lowest clock",
                       cfg->it_envelope_w * 1e-3, f->gpu_budget_w * 1e-3, hosts * 1e-3,
                       floors * 1e-3);
      /* Per pool: the caps while nothing steps (every replica's first), and while every GPU
       * steps at its top (the report's figure: the envelope policy's share). */
      tf_power_claim pools[2];
      for (int step = 0; step < 2; step++) {
        for (int k = 0; k < f->n_pools; k++)
          pools[k] = (tf_power_claim){
              .gpus = (double)f->pool[k].gpus * (double)f->pool[k].count,
              .floor_w = f->pool[k].floor_w, .top_w = f->pool[k].top_w,
              .demand_w = f->pool[k].top_w, .stepping = step};
        if ((rc = tf_power_divide(pools, (size_t)f->n_pools, f->gpu_budget_w)))
          return rc;
        for (int k = 0; k < f->n_pools && !step; k++)
          f->pool[k].cap_w = as_cap(&f->pool[k], pools[k].cap_w);
      }
      f->out->gpu_cap_w = as_cap(&f->pool[0], pools[0].cap_w);
      f->claims = calloc((size_t)f->n_rep, sizeof *f->claims);
      f->cap_cuts = calloc((size_t)f->n_rep, sizeof *f->cap_cuts);
      if (!f->claims || !f->cap_cuts)
        return TF_FAIL(TF_ENOMEM, "power controller state");
      for (int k = 0; k < f->n_pools; k++)
        for (int32_t i = f->pool[k].first; i < f->pool[k].first + f->pool[k].count; i++)
          f->claims[i] = (tf_power_claim){.gpus = (double)f->pool[k].gpus,
                                          .floor_w = f->pool[k].floor_w,
                                          .top_w = f->pool[k].top_w};
      if (cfg->cap_period_ns < cfg->duration_ns &&
          (rc = tf_engine_schedule(e, cfg->cap_period_ns, PRIO_CAP, id, EV_CAP_TICK, 0, NULL)))
        return rc;
    }
  } else {
    for (int k = 0; k < f->n_pools; k++)
      f->pool[k].cap_w = INFINITY;
    f->out->gpu_cap_w = INFINITY;
  }
  if (cfg->disaggregated) {
    /* Each prefill GPU sends its share of the KV cache over its scale-out NIC (DeepEP-measured
     * efficiency and NCCL latency from the profile). */
    const tf_perf_config *pp = &cfg->pool.perf;
    tf_perf_memory m;
    if ((rc = tf_perf_memory_fit(pp, &m)))
      return rc;
    f->kv_bytes_per_token = m.kv_bytes_per_token;
    f->kv_bytes_per_s = pp->hw.gpu->scale_out_bandwidth_bytes_per_s * pp->profile->scale_out_eff;
    f->kv_latency_s = pp->profile->scale_out_latency_s;
  }
  size_t n = (size_t)f->n_rep, nc = cfg->n_classes;
  f->rep = calloc(n, sizeof *f->rep);
  f->work = calloc(n, sizeof *f->work);
  f->up = malloc(n);
  if (!f->work || !f->up)
    return TF_FAIL(TF_ENOMEM, "fleet state");
  memset(f->up, 1, n);
  f->cls = calloc(nc, sizeof *f->cls);
  f->pend_in = calloc(nc, sizeof *f->pend_in);
  f->pend_out = calloc(nc, sizeof *f->pend_out);
  if (!f->rep || !f->cls || !f->pend_in || !f->pend_out)
    return TF_FAIL(TF_ENOMEM, "fleet state");
  for (int k = 0; k < f->n_pools; k++)
    for (int32_t i = f->pool[k].first; i < f->pool[k].first + f->pool[k].count; i++) {
      replica *r = &f->rep[i];
      r->pool = k;
      r->cap_w = f->pool[k].cap_w;
      r->raise_w = NAN;
      r->wait = EMPTY_FIFO;
      r->run_head = r->run_tail = r->pre_head = r->pre_tail = NONE;
      r->heap = malloc((size_t)f->pool[k].cfg->max_batch_seqs * sizeof *r->heap);
      if (!r->heap)
        return TF_FAIL(TF_ENOMEM, "decoding heaps");
    }
  for (int32_t i = 0; i < f->n_rep; i++) {
    f->rep[i].gpu_first = f->total_gpus;
    f->total_gpus += f->pool[f->rep[i].pool].gpus;
  }
  if (cfg->n_failures > 0) {
    /* The failure processes start at time 0, once the entity owning their streams exists. */
    f->fail = calloc(cfg->n_failures, sizeof *f->fail);
    if (!f->fail)
      return TF_FAIL(TF_ENOMEM, "failure state");
    f->fail_rng_entity = id + 1;
    if ((rc = tf_engine_schedule(e, 0, PRIO_ARRIVAL, id, EV_START_FAILURES, 0, NULL)))
      return rc;
  }
  for (size_t c = 0; c < nc; c++) {
    class_stats *s = &f->cls[c];
    if (tf_hist_create(&s->ttft) || tf_hist_create(&s->tpot) || tf_hist_create(&s->e2e) ||
        tf_hist_create(&s->queue))
      return TF_FAIL(TF_ENOMEM, "histograms");
    if ((rc = schedule_next(f, c, 0)))
      return rc;
  }
  return 0;
}

static int fleet_event(tf_engine *e, uint32_t id, void *state, const tf_event *ev) {
  (void)id;
  fleet *f = state;
  int64_t now = tf_engine_now(e);
  if (ev->type == EV_ARRIVAL)
    return on_arrival(f, (size_t)ev->arg, now);
  if (ev->type == EV_KV_DONE)
    return on_kv_done(f, (int32_t)ev->arg, now);
  if (ev->type == EV_FAIL)
    return on_failure(f, (int)ev->arg, now);
  if (ev->type == EV_REPAIR)
    return on_repair(f, ev->arg, now);
  if (ev->type == EV_START_FAILURES)
    return start_failures(f);
  if (ev->type == EV_CAP_TICK)
    return on_cap_tick(f, now);
  if (ev->type == EV_CAP_RAISE)
    return apply_raises(f, now);
  if (ev->type == EV_RECONF)
    return on_reconf(f, ev->arg, now);
  int32_t ri = (int32_t)ev->arg;
  return end_step(f, ri, f->rep[ri].iters, now);
}

/* At the end, a run still going applies the iterations that ended by then, as the exact mode's
 * events up to the end would have; the step that follows them is never simulated. */
static int fleet_final(tf_engine *e, uint32_t id, void *state) {
  (void)id;
  fleet *f = state;
  int64_t end = tf_engine_now(e);
  f->finishing = true;
  for (int32_t ri = 0; ri < f->n_rep; ri++) {
    replica *r = &f->rep[ri];
    if (!r->busy || !r->pure)
      continue;
    pool_state *P = &f->pool[r->pool];
    int64_t t = r->start_ns, kv = r->kv_milli, m = 0;
    for (; m < r->iters; m++) {
      pass p;
      int rc = iteration_pass(f, r, m, kv, &p);
      if (rc)
        return rc;
      if (t + p.ns > end)
        break;
      t += p.ns;
      kv += r->n_dec * P->acc_milli;
    }
    if (m > 0) {
      int rc = end_step(f, ri, m, t);
      if (rc)
        return rc;
    }
  }
  tick(f, end);
  return 0;
}

static void fleet_destroy(void *state) {
  fleet *f = state;
  free(f->claims);
  free(f->cap_cuts);
  for (int k = 0; k < f->n_pools; k++) {
    tf_perf_load_cache_fini(&f->pool[k].cache);
    if (f->pool[k].has_degraded)
      tf_perf_load_cache_fini(&f->pool[k].deg_cache);
  }
  if (f->rep)
    for (int32_t i = 0; i < f->n_rep; i++)
      free(f->rep[i].heap);
  if (f->cls)
    for (size_t c = 0; c < f->cfg->n_classes; c++) {
      tf_hist_destroy(f->cls[c].ttft);
      tf_hist_destroy(f->cls[c].tpot);
      tf_hist_destroy(f->cls[c].e2e);
      tf_hist_destroy(f->cls[c].queue);
    }
  free(f->rep);
  free(f->work);
  free(f->up);
  free(f->cls);
  free(f->pend_in);
  free(f->pend_out);
  free(f->reqs);
  free(f->series_extra_uj);
  if (f->fail) {
    for (size_t c = 0; c < f->cfg->n_failures; c++) {
      tf_failure_process_destroy(f->fail[c].proc);
      tf_repair_shop_destroy(f->fail[c].shop);
    }
    free(f->fail);
  }
  tf_repair_team_destroy(f->repair_team); /* after its shops */
}

/* An entity that only owns the failure processes' RNG streams; it gets no events. */
static int no_event(tf_engine *e, uint32_t id, void *state, const tf_event *ev) {
  (void)e;
  (void)id;
  (void)state;
  (void)ev;
  return TF_FAIL(TF_EINVAL, "the failure streams entity takes no events");
}

static const tf_entity_type failure_streams_type = {
    .name = "failure streams",
    .event = no_event,
};

static const tf_entity_type fleet_type = {
    .name = "fleet",
    .state_size = sizeof(fleet),
    .init = fleet_init,
    .event = fleet_event,
    .final = fleet_final,
    .destroy = fleet_destroy,
};

/* ---- results ---- */

static tf_serving_latency latency(const tf_hist *h, double sum_ns) {
  tf_serving_latency l = {.count = tf_hist_count(h)};
  if (l.count == 0)
    return l;
  l.mean = sum_ns / (double)l.count * 1e-9;
  l.p50 = (double)tf_hist_quantile(h, 0.5) * 1e-9;
  l.p90 = (double)tf_hist_quantile(h, 0.9) * 1e-9;
  l.p99 = (double)tf_hist_quantile(h, 0.99) * 1e-9;
  l.p999 = (double)tf_hist_quantile(h, 0.999) * 1e-9;
  l.max = (double)tf_hist_max(h) * 1e-9;
  return l;
}

static void class_result(const class_stats *s, double window_s, tf_serving_class_result *o) {
  *o = (tf_serving_class_result){
      .arrivals = s->arrivals,
      .completed = s->completed,
      .slo_met = s->slo_met,
      .preemptions = s->preemptions,
      .rejected = s->rejected,
      .input_tokens_per_s = s->input_tokens / window_s,
      .output_tokens_per_s = s->output_tokens / window_s,
      .requests_per_s = (double)s->completed / window_s,
      .goodput_requests_per_s = (double)s->slo_met / window_s,
      .goodput_tokens_per_s = s->good_tokens / window_s,
      .ttft = latency(s->ttft, s->sum_ttft),
      .tpot = latency(s->tpot, s->sum_tpot),
      .e2e = latency(s->e2e, s->sum_e2e),
      .queueing = latency(s->queue, s->sum_queue),
  };
}

/* Adds b's histograms and sums into a, for the all-classes result. */
static void merge(class_stats *a, const class_stats *b) {
  a->arrivals += b->arrivals;
  a->completed += b->completed;
  a->slo_met += b->slo_met;
  a->preemptions += b->preemptions;
  a->rejected += b->rejected;
  a->input_tokens += b->input_tokens;
  a->output_tokens += b->output_tokens;
  a->good_tokens += b->good_tokens;
  a->sum_ttft += b->sum_ttft;
  a->sum_tpot += b->sum_tpot;
  a->sum_e2e += b->sum_e2e;
  a->sum_queue += b->sum_queue;
  tf_hist_merge(a->ttft, b->ttft);
  tf_hist_merge(a->tpot, b->tpot);
  tf_hist_merge(a->e2e, b->e2e);
  tf_hist_merge(a->queue, b->queue);
}

static int collect(fleet *f, tf_serving_result *out) {
  const tf_serving_config *cfg = f->cfg;
  double window_s = (double)(cfg->duration_ns - cfg->warmup_ns) * 1e-9;
  double window_ns = window_s * 1e9;
  out->window_s = window_s;
  out->n_classes = cfg->n_classes;
  out->per_class = calloc(cfg->n_classes, sizeof *out->per_class);
  if (!out->per_class)
    return TF_FAIL(TF_ENOMEM, "results");
  class_stats all = {0};
  int rc = 0;
  if (tf_hist_create(&all.ttft) || tf_hist_create(&all.tpot) || tf_hist_create(&all.e2e) ||
      tf_hist_create(&all.queue))
    rc = TF_FAIL(TF_ENOMEM, "histograms");
  for (size_t c = 0; c < cfg->n_classes && rc == 0; c++) {
    class_result(&f->cls[c], window_s, &out->per_class[c]);
    merge(&all, &f->cls[c]);
  }
  if (rc == 0)
    class_result(&all, window_s, &out->total);
  tf_hist_destroy(all.ttft);
  tf_hist_destroy(all.tpot);
  tf_hist_destroy(all.e2e);
  tf_hist_destroy(all.queue);
  double busy = 0, kv = 0, kv_cap = 0;
  for (int k = 0; k < f->n_pools; k++) {
    const pool_state *P = &f->pool[k];
    double pb = 0, pk = 0;
    for (int32_t i = P->first; i < P->first + P->count; i++) {
      pb += f->rep[i].busy_ns;
      pk += f->rep[i].kv_integral;
      out->prefill_gpu_s += f->rep[i].prefill_busy_ns * 1e-9 * (double)P->gpus;
      out->decode_gpu_s += (f->rep[i].busy_ns - f->rep[i].prefill_busy_ns) * 1e-9 * (double)P->gpus;
      for (int b = 0; b < TF_BOUND_COUNT_; b++)
        out->bound_gpu_s[b] += f->rep[i].bound_ns[b] * 1e-9 * (double)P->gpus;
    }
    out->pool_busy_fraction[k] = pb / ((double)P->count * window_ns);
    out->pool_kv_utilisation[k] = pk / ((double)P->cap_milli * (double)P->count * window_ns);
    busy += pb;
    kv += pk;
    kv_cap += (double)P->cap_milli * (double)P->count;
  }
  double reps = (double)f->n_rep;
  out->busy_fraction = busy / (reps * window_ns);
  out->kv_utilisation = kv / (kv_cap * window_ns);
  out->mean_in_system = f->win_in_system / window_ns;
  out->mean_waiting = f->win_waiting / window_ns;
  if (cfg->power_profile) {
    /* IT power: every GPU's idle draw and every host all the time, plus the passes' energy
     * above idle. */
    double base_w = 0, full_w = 0, extra_j = 0, capped = 0, clock = 0, busy_gpu = 0;
    for (int k = 0; k < f->n_pools; k++) {
      const pool_state *P = &f->pool[k];
      base_w += (P->idle_w * (double)P->gpus + P->host_w) * (double)P->count;
      full_w += (P->gpu->tdp_w * (double)P->gpus + P->host_w) * (double)P->count;
      for (int32_t i = P->first; i < P->first + P->count; i++) {
        extra_j += (double)f->rep[i].extra_uj_total * 1e-6;
        capped += (double)f->rep[i].capped_ns;
        clock += f->rep[i].clock_ns;
        busy_gpu += f->rep[i].busy_ns;
      }
    }
    /* A PUE that varies is integrated over the series' intervals; a constant one multiplies
     * (the same arithmetic as before there was a model, so results are unchanged). */
    const tf_pue_model *pm = cfg->pue_model;
    bool varies = pm && tf_pue_varies(pm);
    double pue = pm ? pm->at_full_load : cfg->pue > 0 ? cfg->pue : 1;
    double capacity_w = cfg->it_envelope_w > 0 ? cfg->it_envelope_w : full_w;
    out->full_power_it_w = full_w;
    out->it_energy_j = base_w * window_s + extra_j;
    out->facility_energy_j = out->it_energy_j * pue;
    out->it_power_mean_w = out->it_energy_j / window_s;
    out->facility_power_mean_w = out->it_power_mean_w * pue;
    out->it_power_peak_w = out->it_power_mean_w;
    out->capped_fraction = busy_gpu > 0 ? capped / busy_gpu : 0;
    out->mean_clock = busy_gpu > 0 ? clock / busy_gpu : 1;
    if (out->n_series > 0) {
      out->it_power_peak_w = 0;
      double facility_j = 0;
      for (size_t k = 0; k < out->n_series; k++) {
        int64_t a = cfg->warmup_ns + (int64_t)k * cfg->series_interval_ns;
        int64_t b = a + cfg->series_interval_ns < cfg->duration_ns ? a + cfg->series_interval_ns
                                                                    : cfg->duration_ns;
        tf_serving_interval *iv = &out->series[k];
        iv->it_power_w = base_w + (double)f->series_extra_uj[k] * 1e-6 / ((double)(b - a) * 1e-9);
        if (iv->it_power_w > out->it_power_peak_w)
          out->it_power_peak_w = iv->it_power_w;
        if (!varies) {
          iv->facility_power_w = iv->it_power_w * pue;
          continue;
        }
        iv->facility_power_w = tf_pue_facility_w(pm, iv->it_power_w, capacity_w,
                                                 tf_pue_mean_excess_k(pm, a, b));
        facility_j += iv->facility_power_w * ((double)(b - a) * 1e-9);
      }
      if (varies)
        out->facility_energy_j = facility_j;
    } else if (varies) {
      double excess = tf_pue_mean_excess_k(pm, cfg->warmup_ns, cfg->duration_ns);
      out->facility_energy_j =
          tf_pue_facility_w(pm, out->it_power_mean_w, capacity_w, excess) * window_s;
    }
    if (varies)
      out->facility_power_mean_w = out->facility_energy_j / window_s;
    double tokens = out->total.output_tokens_per_s * window_s;
    out->joules_per_output_token = tokens > 0 ? out->it_energy_j / tokens : 0;
    out->output_tokens_per_s_per_mw_it = out->total.output_tokens_per_s / (out->it_power_mean_w * 1e-6);
    out->output_tokens_per_s_per_mw_facility =
        out->total.output_tokens_per_s / (out->facility_power_mean_w * 1e-6);
  }
  for (size_t k = 0; k < out->n_series; k++) {
    int64_t a = cfg->warmup_ns + (int64_t)k * cfg->series_interval_ns;
    int64_t b = a + cfg->series_interval_ns < cfg->duration_ns ? a + cfg->series_interval_ns
                                                                : cfg->duration_ns;
    out->series[k].busy_fraction /= reps * (double)(b - a);
  }
  /* What is still in flight at the end. */
  int64_t end = cfg->duration_ns;
  double down = 0, degraded = 0;
  for (int32_t i = 0; i < f->n_rep; i++) {
    const replica *r = &f->rep[i];
    down += r->down_ns;
    degraded += r->degraded_ns;
    if (!f->up[i])
      down += clip_len(r->down_since, end, cfg->warmup_ns, end);
    else if (r->degraded)
      degraded += clip_len(r->degraded_since, end, cfg->warmup_ns, end);
  }
  out->availability = 1 - down / ((double)f->n_rep * window_ns);
  out->degraded_fraction = degraded / ((double)f->n_rep * window_ns);
  for (int32_t j = f->orphans.head; j != NONE; j = f->reqs[j].next) {
    const req *q = &f->reqs[j];
    out->in_flight_age_ns_sum += (double)(end - q->arrival_ns);
    if (q->admit_ns >= 0)
      out->prefill_tokens_left += q->prompt - q->prefilled;
    out->requests_in_flight++;
    out->requests_orphaned++;
  }
  out->requests_in_flight += f->in_transfer;
  out->in_flight_age_ns_sum += (double)f->in_transfer * (double)end - f->in_transfer_arrival_sum;
  for (int32_t i = 0; i < f->n_rep; i++) {
    const replica *r = &f->rep[i];
    for (int32_t j = r->run_head; j != NONE; j = f->reqs[j].run_next) {
      const req *q = &f->reqs[j];
      out->in_flight_age_ns_sum += (double)(end - q->arrival_ns);
      out->prefill_tokens_left += q->prompt - q->prefilled;
      out->requests_in_flight++;
    }
    for (int32_t j = r->wait.head; j != NONE; j = f->reqs[j].next) {
      const req *q = &f->reqs[j];
      out->in_flight_age_ns_sum += (double)(end - q->arrival_ns);
      /* Never admitted: not yet counted as admitted; preempted: its recompute is owed. */
      if (q->admit_ns >= 0)
        out->prefill_tokens_left += q->prompt - q->prefilled;
      out->requests_in_flight++;
    }
  }
  return rc;
}

int tf_serving_run(const tf_serving_config *cfg, uint64_t seed, tf_serving_result *out,
                   tf_engine_stats *stats_out) {
  memset(out, 0, sizeof *out);
  int rc = tf_serving_config_check(cfg);
  if (rc)
    return rc;
  tf_engine *e = NULL;
  if ((rc = tf_engine_create(&e, seed)))
    return rc;
  tf_serving_run_args args = {.cfg = cfg, .out = out};
  uint32_t id;
  rc = tf_engine_add_entity(e, &fleet_type, &args, &id);
  uint32_t streams_id;
  if (rc == 0 && cfg->n_failures > 0)
    rc = tf_engine_add_entity(e, &failure_streams_type, NULL, &streams_id);
  if (rc == 0)
    rc = tf_engine_run(e, cfg->duration_ns);
  if (rc == 0)
    rc = collect(tf_engine_state(e, id), out);
  if (rc == 0 && stats_out)
    *stats_out = *tf_engine_get_stats(e);
  tf_engine_destroy(e);
  if (rc)
    tf_serving_result_fini(out);
  return rc;
}

void tf_serving_result_fini(tf_serving_result *r) {
  free(r->per_class);
  free(r->series);
  r->per_class = NULL;
  r->series = NULL;
  r->n_series = 0;
}
