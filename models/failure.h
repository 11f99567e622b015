/* Failure and repair of the fleet's components: time-to-failure distributions (exponential,
 * Weibull), component classes with published default rates, a failure process per class that
 * says which instance fails when, and a repair shop (spares, and crews working one FIFO line,
 * its own or a team's shared by several classes) that says when the capacity comes back. The
 * module reports instances; what depends on a failed instance (its replica, its node's GPUs) is
 * the caller's business. See docs/FAILURES.md. */
#ifndef TF_FAILURE_H
#define TF_FAILURE_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

#include "dist.h"

#define TF_FAILURE_HOUR_S 3600.0
/* A year of 365 days: the unit of the Llama 3 arithmetic below (54 days = 54/365 year). */
#define TF_FAILURE_YEAR_S (365.0 * 86400.0)
/* An instant past the clock's range (INT64_MAX ns, 292 years): "not within this simulation". */
#define TF_FAILURE_NEVER INT64_MAX
/* crews = TF_FAILURE_UNLIMITED: every failed part is repaired at once, nobody waits. */
#define TF_FAILURE_UNLIMITED INT64_MAX
/* Most instances a process may have; instance draws need a generator of >= 30 bits (every GSL
 * generator tokenfab uses). */
#define TF_FAILURE_MAX_INSTANCES (INT64_C(1) << 30)
/* Weibull shapes outside this are refused: below 0.05 the mean is over 10^18 scales (Gamma(21))
 * and nearly every draw is 0 or beyond the clock; above 50 the distribution is a spike no field
 * data supports. */
#define TF_FAILURE_MIN_SHAPE 0.05
#define TF_FAILURE_MAX_SHAPE 50.0
/* Failure rates above one per instance-second and Weibull scales under one second are refused:
 * times are rounded to whole ns, and nothing in a data centre fails that often. */
#define TF_FAILURE_MAX_RATE_PER_S 1.0
#define TF_FAILURE_MIN_SCALE_S 1.0
/* The longest swap time accepted (about 31.7 years). */
#define TF_FAILURE_MAX_SWAP_S 1e9

/* ---- Time to failure of one instance ---- */

typedef enum tf_failure_ttf_kind {
  TF_FAILURE_EXPONENTIAL, /* rate_per_s */
  TF_FAILURE_WEIBULL,     /* shape, scale_s */
} tf_failure_ttf_kind;

/* The time from an instance entering service (new, repaired or swapped in: always as good as new)
 * to its next failure. Only the fields its kind names are read. */
typedef struct tf_failure_ttf {
  tf_failure_ttf_kind kind;
  double rate_per_s; /* EXPONENTIAL: failures per instance-second, [0, TF_FAILURE_MAX_RATE_PER_S];
                        0: never fails. MTBF = 1 / rate. */
  double shape;      /* WEIBULL: k, [TF_FAILURE_MIN_SHAPE, TF_FAILURE_MAX_SHAPE]; k < 1 infant
                        mortality (falling hazard), 1 exponential, k > 1 wear-out */
  double scale_s;    /* WEIBULL: lambda, >= TF_FAILURE_MIN_SCALE_S: P(T > t) = exp(-(t/lambda)^k) */
} tf_failure_ttf;

/* Builders: exponential from a rate (per s) or from its MTBF (s, > 0); Weibull (k, lambda s).
 * For per-hour or per-year figures divide by TF_FAILURE_HOUR_S or TF_FAILURE_YEAR_S. */
tf_failure_ttf tf_failure_ttf_exponential(double rate_per_s);
tf_failure_ttf tf_failure_ttf_mtbf(double mtbf_s);
tf_failure_ttf tf_failure_ttf_weibull(double shape, double scale_s);

/* "exponential", "weibull". */
const char *tf_failure_ttf_kind_name(tf_failure_ttf_kind k);
/* TF_ENOTFOUND (with a message listing the names) if name is none of them. */
int tf_failure_ttf_kind_parse(const char *name, tf_failure_ttf_kind *out);

/* 0 if the fields t's kind reads are valid, else TF_ERANGE with a message led by `what` that names
 * the field: "GPU time to failure: weibull shape = 0 (expected a number in [0.05, 50])". */
int tf_failure_ttf_check(const tf_failure_ttf *t, const char *what);
/* One draw in seconds from r (+inf for rate 0). t must pass the check. */
double tf_failure_ttf_sample_s(const tf_failure_ttf *t, gsl_rng *r);
/* The exact mean in seconds: 1 / rate (+inf for rate 0); lambda Gamma(1 + 1/k) (gsl_sf_gamma). */
double tf_failure_ttf_mean_s(const tf_failure_ttf *t);

/* ---- Component classes and their defaults ---- */

typedef enum tf_failure_component {
  TF_FAILURE_GPU,  /* one accelerator with its HBM */
  TF_FAILURE_NODE, /* a host: CPUs, memory, PSU, chassis, SSD, IO board */
  TF_FAILURE_RACK, /* a rack or scale-up domain as a whole (power shelf, NVLink switch trays) */
  TF_FAILURE_LINK, /* one scale-out endpoint: NIC, cable and its share of the switches */
  TF_FAILURE_COMPONENTS_
} tf_failure_component;

/* How a class's failed instances come back (see tf_repair_shop). */
typedef struct tf_failure_repair {
  tf_dist time;   /* a crew's time to repair one failed instance or part, s (models/dist.h:
                     FIXED is TF_DIST_DETERMINISTIC; EXPONENTIAL and LOGNORMAL take mean and cv) */
  int64_t crews;  /* repairs at once on the class's own line, >= 1, or TF_FAILURE_UNLIMITED;
                     not read for a shop on a shared team (tf_repair_shop_create_shared) */
  int64_t spares; /* spare instances on site at the start, >= 0 */
  double swap_s;  /* time to put a spare in service, [0, TF_FAILURE_MAX_SWAP_S] */
} tf_failure_repair;

typedef struct tf_failure_class {
  tf_failure_component component;
  int64_t count; /* instances, [0, TF_FAILURE_MAX_INSTANCES] */
  tf_failure_ttf ttf;
  tf_failure_repair repair;
} tf_failure_class;

/* The Llama 3 405B pre-training snapshot: 16,384 H100 GPUs over 54 days, unexpected
 * interruptions by root cause (Llama Team, "The Llama 3 Herd of Models", arXiv:2407.21783,
 * Sec. 3.3.4, Table 5; reference-inputs.csv `reliability` rows). Rates are interruptions per
 * instance-year: each attributed interruption takes its component out of service, whether it
 * ended with a reset, a reboot or a replacement (docs/FAILURES.md). */
#define TF_FAILURE_LLAMA3_GPUS 16384.0
#define TF_FAILURE_LLAMA3_DAYS 54.0
#define TF_FAILURE_LLAMA3_GPU_YEARS (TF_FAILURE_LLAMA3_GPUS * TF_FAILURE_LLAMA3_DAYS / 365.0)
/* Grand Teton hosts carry 8 GPUs each (Llama 3 paper, Sec. 3.3.1): 2,048 hosts. */
#define TF_FAILURE_LLAMA3_GPUS_PER_HOST 8.0
/* Faulty GPU 148 + HBM3 72 + SRAM 19 + GPU system processor 17 + thermal interface and sensor 6
 * + silent data corruption 6 = 268. */
#define TF_FAILURE_LLAMA3_GPU_EVENTS (148.0 + 72.0 + 19.0 + 17.0 + 6.0 + 6.0)
/* Host maintenance (unplanned) 32 + CPU 2 + system memory 2 + power supply 3 + server chassis 2
 * + SSD 3 + IO expansion board 2 = 46. */
#define TF_FAILURE_LLAMA3_HOST_EVENTS (32.0 + 2.0 + 2.0 + 3.0 + 2.0 + 3.0 + 2.0)
/* Network switch/cable 35 + NIC 7 = 42, over one 400 Gb/s scale-out endpoint per GPU. */
#define TF_FAILURE_LLAMA3_NET_EVENTS (35.0 + 7.0)
/* 268 / 2423.93 = 0.11056 per GPU-year (MTBF 9.04 years). */
#define TF_FAILURE_GPU_RATE_PER_YEAR (TF_FAILURE_LLAMA3_GPU_EVENTS / TF_FAILURE_LLAMA3_GPU_YEARS)
/* 46 / (2423.93 / 8 = 302.99 host-years) = 0.15182 per host-year (MTBF 6.59 years). */
#define TF_FAILURE_NODE_RATE_PER_YEAR                                                              \
  (TF_FAILURE_LLAMA3_HOST_EVENTS / (TF_FAILURE_LLAMA3_GPU_YEARS / TF_FAILURE_LLAMA3_GPUS_PER_HOST))
/* 42 / 2423.93 = 0.017327 per link-year (MTBF 57.7 years). */
#define TF_FAILURE_LINK_RATE_PER_YEAR (TF_FAILURE_LLAMA3_NET_EVENTS / TF_FAILURE_LLAMA3_GPU_YEARS)

/* "gpu", "node", "rack", "link". */
const char *tf_failure_component_name(tf_failure_component c);
int tf_failure_component_parse(const char *name, tf_failure_component *out);

/* The defaults for component c with count instances into *out (docs/FAILURES.md has the table):
 * exponential time to failure at the rates above (rack: 0, no published figure), lognormal
 * repair times with cv 1 (GPU mean 72 h, node 24 h, link 8 h, rack 72 h), swap times (GPU 24 h,
 * node 4 h, link 1 h, rack 24 h), unlimited crews, no spares. TF_ERANGE for an unknown c or a
 * count out of range. */
int tf_failure_class_default(tf_failure_component c, int64_t count, tf_failure_class *out);
/* 0 if every field is valid, else TF_ERANGE naming the class and the field. */
int tf_failure_repair_check(const tf_failure_repair *rp, const char *what);
int tf_failure_class_check(const tf_failure_class *c);

/* ---- Analytic helpers (checks and summaries) ---- */

/* Steady-state availability of one instance without queueing for crews or spares:
 * MTTF / (MTTF + MTTR). 1 for an infinite MTTF. */
double tf_failure_availability(double mttf_s, double mttr_s);
/* Expected failures of n exponential instances renewed at once over t_s seconds: n rate t. */
double tf_failure_expected_count(double rate_per_s, int64_t n, double t_s);

/* ---- The failure process of a group of instances ---- */

/* n identical instances numbered 0 .. n-1, each failing by its time-to-failure distribution from
 * the moment it enters service. The process is the superposition of the instances' own
 * processes, so one process (one pending engine event) covers a whole class: instance
 * i / gpus_per_replica is the replica a GPU failure hits.
 *
 * EXPONENTIAL: memoryless, so the group's next failure comes after Exp(n_up x rate) from the last
 * change, at an instance drawn uniformly among those up. O(1) per failure plus O(d) for the d
 * instances down; memory O(d).
 * WEIBULL: a clock per instance up (its failure instant, drawn when it enters service) in a
 * min-heap ordered by (instant, instance): O(log n) per failure or return, 16 bytes per
 * instance (16,384 GPUs: 256 KiB), and n draws at creation.
 * Every instance is new at start_ns and as good as new each time it returns (a Weibull k < 1
 * group therefore starts with a burst of infant failures; use a warm-up to skip it). Instances
 * down do not age. */
typedef struct tf_failure_process tf_failure_process;

/* ttf must pass tf_failure_ttf_check; instances in [0, TF_FAILURE_MAX_INSTANCES]. Weibull draws
 * the n first clocks from r. 0, TF_ERANGE or TF_ENOMEM; *out is NULL on failure. */
int tf_failure_process_create(tf_failure_process **out, const tf_failure_ttf *ttf,
                              int64_t instances, int64_t start_ns, gsl_rng *r);
void tf_failure_process_destroy(tf_failure_process *p);

/* The group's pending failure: its instant (ns, >= the last change) and instance. Repeated calls
 * without a change in between return the same answer; exponential draws it on the first call
 * after a change, Weibull reads its heap and draws nothing. TF_ENOTFOUND, without recording a
 * failure, when no instance is up, the rate is 0, or the failure would fall past the clock. */
int tf_failure_next(tf_failure_process *p, gsl_rng *r, int64_t *at_ns, int64_t *instance);
/* The pending failure happens: now_ns must be its instant (TF_EINVAL otherwise, or if none is
 * pending); its instance goes down and comes back into *instance. */
int tf_failure_down(tf_failure_process *p, int64_t now_ns, int64_t *instance);
/* Instance (down) is in service again at now_ns, as new: Weibull draws its next failure from r.
 * Afterwards the pending failure may have changed: call tf_failure_next and reschedule if it did
 * (exponential always redraws). TF_EINVAL if instance is not down; TF_EPAST if now_ns is before
 * the last change or after a pending failure not yet taken down. */
int tf_failure_up(tf_failure_process *p, int64_t now_ns, int64_t instance, gsl_rng *r);

int64_t tf_failure_process_instances(const tf_failure_process *p);
int64_t tf_failure_process_down_count(const tf_failure_process *p);
/* Structural invariants, for assert(). */
int tf_failure_process_is_valid(const tf_failure_process *p);

/* ---- Repair capacity ---- */

/* A repair team: `crews` crews working one FIFO line for the repair shops of one or more classes
 * (a site's one team of technicians for GPUs, hosts, racks and links alike). A job takes the first
 * crew free: at its failure if one is, else at the earliest instant a busy crew frees. Only jobs
 * issued earlier, from any class, decide that, so each ticket is final when issued, shared line
 * or not. Jobs are served in the order of the tf_repair_shop_fail calls: two classes failing at
 * the same instant take the line in call order (the serving simulation makes the calls in event
 * order, (time, priority, insertion sequence), so the order is the same for the same seed). At
 * equal instants, repairs finish before a failure arrives, whatever its class. The team holds the
 * one clock of all its shops: calls on any of them must come in non-decreasing time.
 * Memory: O(parts waiting or in repair), over all its shops. */
typedef struct tf_repair_team tf_repair_team;

/* A class's repair shop: its pool of spares, and the FIFO line of a repair team, its own (made by
 * tf_repair_shop_create with cfg->crews crews) or shared with other classes
 * (tf_repair_shop_create_shared). A failure at now either
 *   - takes a free spare: capacity is back at now + swap_s, and the failed part joins the line;
 *     when repaired it returns to this shop's pool; or, with no spare free,
 *   - puts the failed instance itself in the line: capacity is back when a crew has repaired it.
 * An instance that found no spare free waits for its own repair even if a spare returns first
 * (pessimistic when spares are scarce). Swaps need no crew. Repair durations are drawn at the
 * failure, so each ticket is final when issued (see tf_repair_team). Memory: O(failed parts
 * waiting or in repair). */
typedef struct tf_repair_shop tf_repair_shop;

/* What tf_repair_shop_fail decided for one failure. */
typedef struct tf_repair_ticket {
  int64_t back_ns;         /* the instance (or its replacement) is in service again */
  int64_t repair_start_ns; /* a crew takes the failed part; minus now: the wait for a crew */
  int64_t repair_end_ns;   /* the part is repaired: in service (no spare) or in the pool */
  int spare;               /* 1 if a spare was swapped in */
} tf_repair_ticket;

/* One class's shop. With a shared team, repairs waiting and active are this class's parts. */
typedef struct tf_repair_shop_status {
  int64_t clock_ns;        /* the shop's last instant (its team's: a fail or done on any shop) */
  int64_t spares_free;     /* in the pool */
  int64_t repairs_waiting; /* failed parts waiting for a crew */
  int64_t repairs_active;  /* failed parts being repaired */
  uint64_t failures;       /* tf_repair_shop_fail calls */
  uint64_t spare_swaps;    /* of which a spare went in */
} tf_repair_shop_status;

/* A team, summed over its shops. */
typedef struct tf_repair_team_status {
  int64_t clock_ns;        /* the team's last instant */
  int64_t shops;           /* shops drawing on the team */
  int64_t repairs_waiting; /* failed parts waiting for a crew, every class */
  int64_t repairs_active;  /* failed parts being repaired: at most crews */
  uint64_t failures;       /* tf_repair_shop_fail calls on its shops */
} tf_repair_team_status;

/* crews >= 1 or TF_FAILURE_UNLIMITED, all free at start_ns. 0, TF_ERANGE (a message naming
 * crews) or TF_ENOMEM. */
int tf_repair_team_create(tf_repair_team **out, int64_t crews, int64_t start_ns);
/* Destroy a team after the shops drawing on it. */
void tf_repair_team_destroy(tf_repair_team *t);
/* Advances the team and all its shops to now_ns (see tf_repair_shop_done). TF_EPAST if now_ns is
 * before the team's clock. */
int tf_repair_team_done(tf_repair_team *t, int64_t now_ns);
void tf_repair_team_get_status(const tf_repair_team *t, tf_repair_team_status *out);
/* Structural invariants of the team and every shop drawing on it (heap order, at most crews
 * busy, spares conserved), for assert(). O(parts waiting or in repair). */
int tf_repair_team_is_valid(const tf_repair_team *t);

/* A shop with its own team of cfg->crews crews, free at start_ns: one FIFO line for this class
 * alone. cfg must pass tf_failure_repair_check (it is copied). 0, TF_ERANGE or TF_ENOMEM. */
int tf_repair_shop_create(tf_repair_shop **out, const tf_failure_repair *cfg, int64_t start_ns);
/* A shop whose failed parts join team's line, shared with the team's other shops; its clock is
 * the team's. cfg (copied) must pass tf_failure_repair_check; its spares, swap_s and repair time
 * are the class's own, its crews is not read (the team's crews work the line). team must outlive
 * the shop. 0, TF_ERANGE or TF_ENOMEM. */
int tf_repair_shop_create_shared(tf_repair_shop **out, const tf_failure_repair *cfg,
                                 tf_repair_team *team);
/* Leaves the team (and destroys the shop's own team). */
void tf_repair_shop_destroy(tf_repair_shop *s);
/* A failure at now_ns (>= the shop's clock): draws the repair duration from r and fills *ticket.
 * TF_EPAST, TF_ENOMEM (the shop and its team unchanged). */
int tf_repair_shop_fail(tf_repair_shop *s, int64_t now_ns, gsl_rng *r, tf_repair_ticket *ticket);
/* Advances the shop's team, and so the shop, to now_ns: the repairs done by then free their crews
 * and return swapped-out parts to their pools. tf_repair_shop_fail does this itself; call it
 * before reading the status at other instants. TF_EPAST if now_ns is before the clock. */
int tf_repair_shop_done(tf_repair_shop *s, int64_t now_ns);
void tf_repair_shop_get_status(const tf_repair_shop *s, tf_repair_shop_status *out);
/* Structural invariants (heap order, spares conserved) of the shop and its team, for assert(). */
int tf_repair_shop_is_valid(const tf_repair_shop *s);

#endif
