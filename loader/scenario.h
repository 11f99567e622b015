/* A scenario file read, overridden (--set), validated and resolved against the catalogue into
 * typed values in SI units. */
#ifndef TF_SCENARIO_H
#define TF_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "diag.h"
#include "dist.h"
#include "perf.h"
#include "serving.h"
#include "tco.h"
#include "traffic.h"

/* The layout counts of `serving:`, in the order of serving.layout_origin[]. */
typedef enum tf_scenario_layout_key {
  TF_SCENARIO_TP,
  TF_SCENARIO_DP,
  TF_SCENARIO_EP,
  TF_SCENARIO_PP,
  TF_SCENARIO_LAYOUT_KEYS_
} tf_scenario_layout_key;

/* One `hardware:` item. entry points into the scenario's catalogue. */
typedef struct tf_scenario_hardware {
  char *system;
  int64_t count;
  const tf_catalog_system *entry;
} tf_scenario_hardware;

/* One `workload:` item: a class of requests, its traffic and its service targets. Invariants
 * after a successful load: name is unique in the workload; arrivals passes tf_traffic_check and
 * points only at this class's own storage below (piece arrays, trace); unless lengths_from_trace,
 * input and output pass tf_length_check (an empirical one's hist is input_hist or output_hist);
 * with lengths_from_trace (process trace) both are {kind FIXED, value 0}, unused; prefix_hit in
 * [0, 1); slo times > 0 or 0 for none. Every pointer is owned by the scenario. */
typedef struct tf_scenario_class {
  char *name;
  tf_traffic_arrivals arrivals; /* pieces arrays and trace owned by the scenario */
  tf_length_dist input, output; /* tokens; for a trace: unused (kind FIXED, value 0) */
  bool lengths_from_trace;      /* process trace: each request's lengths are its row's */
  double prefix_hit;            /* share of each prompt already cached, default 0 */
  double slo_ttft_s, slo_tpot_s; /* time to first token, time per output token; 0 = none */
  tf_router_policy router;      /* default TF_ROUTER_LEAST_WORK */
  tf_catalog_origin origin;     /* where the class item was written */
  /* owned storage, NULL where the class's kinds need none */
  int64_t *piece_start_ns;
  double *piece_rate_per_s;
  tf_traffic_trace *trace;
  tf_length_hist *input_hist, *output_hist;
} tf_scenario_class;

/* `economics:`: what the factory costs (docs/ECONOMICS.md). Money in USD, times in s, prices per
 * SI unit (per J, per GPU-second, per W-second, per token). Invariants after a successful load:
 * rented ones have rental_usd_per_gpu_s > 0 and no owned-only field set; owned ones have
 * system_price_usd > 0, life_s > 0, facility_life_s > 0 when facility_usd_per_w > 0, at most one
 * of networking_share and networking_per_gpu_usd, cost_of_capital only with the annuity method;
 * the site has an electricity price whenever energy is billed; a workload is present. */
typedef struct tf_scenario_economics {
  bool present;
  bool rented;
  double rental_usd_per_gpu_s;
  bool energy_in_price;          /* rented: the price includes power (default true) */
  double system_price_usd;       /* owned: one system of the serving hardware item */
  double networking_share;       /* of systems capex (0: none) */
  double networking_per_gpu_usd; /* or an amount per GPU (0: none) */
  double storage_per_gpu_usd;
  double facility_usd_per_w;     /* build cost per W of provisioned IT power (0: none) */
  double life_s;                 /* depreciation life of systems, networking and storage */
  double facility_life_s;
  tf_tco_method method;
  double cost_of_capital;        /* per year */
  double maintenance_per_year;   /* share of hardware capex */
  double colocation_usd_per_w_s;
  double staff_software_usd_per_gpu_s;
  double horizon_s;              /* default: life_s (owned), one year (rented) */
  tf_tco_allocation allocation;  /* default gpu_time */
  bool has_prices;
  double price_input_usd, price_input_cached_usd, price_output_usd; /* per token */
  tf_catalog_origin origin;      /* where `economics:` was written */
} tf_scenario_economics;

/* A loaded scenario. The caller owns the struct (it may live on the stack); every field is filled
 * by tf_scenario_load and read-only afterwards; tf_scenario_destroy frees what it points to.
 * Absent optional sections have present == false and zero fields, except `serving`, whose fields
 * hold the defaults either way. */
typedef struct tf_scenario {
  char *path;      /* as given to tf_scenario_load */
  char *text;      /* the file's bytes as read (before --set), NUL-terminated, for hashing */
  size_t text_len;
  char *name;
  char *description; /* NULL if absent */
  uint64_t seed;     /* default 1 */
  int64_t duration_ns;
  int64_t warmup_ns; /* default 0; < duration_ns */
  struct {
    bool present;
    double power_w;               /* facility envelope, > 0 (required in a site section) */
    double pue;                   /* >= 1, default 1: the PUE at full load and the reference
                                     temperature (pue_model.at_full_load), which sizes the IT
                                     envelope power_w / pue */
    /* `pue:` as a model (docs/POWER.md); a plain ratio gives {.at_full_load = pue}. Passes
     * tf_pue_check; its temperature profile points at the arrays below. */
    tf_pue_model pue_model;
    int64_t *temperature_start_ns; /* owned; NULL without a temperature profile */
    double *temperature_k;         /* owned */
    tf_power_cap_policy capping;  /* default none */
    double gpu_cap_w;             /* static capping's per-GPU limit, > 0; else 0 */
    int64_t cap_period_ns;        /* dynamic capping's control period, > 0; else 0 */
    double system_limit_w;        /* power limit of one system (rack shelves, node PSUs); 0 none */
    bool has_electricity_price;
    double electricity_usd_per_j; /* 0 if absent */
  } site;
  tf_scenario_hardware *hardware;
  size_t n_hardware;
  struct {
    bool present;
    char *name;
    const tf_catalog_model *entry;
  } model;
  struct {
    bool present;
    int64_t servers;
    tf_dist interarrival; /* poisson: exponential with mean 1/rate; gamma: mean 1/rate, cv */
    tf_dist service;
  } queue;
  /* How one model replica is deployed, for the step-time model (perf.h). Invariants after a
   * successful load: layout counts in [1, 4096] and ep divides tp * dp; precision.experts is
   * precision.weights unless given; speculation.acceptance in [0, 1] (0 when draft_tokens is 0);
   * routing.imbalance 0 (auto) or >= 1, skew in [0, TF_MOE_SKEW_MAX]; memory_utilisation in (0, 1];
   * max_batch_tokens >= 1; max_batch_seqs >= 1; replicas as its comment says. Origins' file
   * strings point at path or at the static "--set", so they live as long as the scenario; line 0
   * means not written (defaulted). */
  struct {
    bool present;          /* false: absent section; the fields then hold the defaults anyway */
    size_t hardware_index; /* index into hardware[] of the system the replica runs on; default 0,
                              the first item (no item at all when n_hardware is 0, which only an
                              absent section allows) */
    tf_perf_layout layout;           /* default tp = dp = ep = pp = 1, no overlap */
    tf_perf_precisions precision;    /* default bf16 throughout */
    tf_perf_speculation speculation; /* default off: draft_tokens 0, acceptance 0 */
    tf_perf_routing routing;         /* imbalance 0 = auto; default skew 0, no redundant experts */
    double memory_utilisation;       /* default 0.9 (vLLM's gpu_memory_utilization default) */
    int64_t max_batch_tokens;        /* default 8192 (vLLM's per-step token budget on H100) */
    /* Replicas of the deployment above in the fleet. Default: the GPUs of the hardware item at
     * hardware_index (count x the system's gpus) divided by tp * dp * pp, rounded down; 0 when
     * that cannot be known (no hardware, a system without gpus) or is 0. When `replicas` is
     * written or a workload is present, a successful load guarantees replicas >= 1 and replicas
     * x tp * dp * pp <= those GPUs (where the system's gpus are known). */
    int64_t replicas;
    int64_t max_batch_seqs;          /* running sequences per replica, default 256 (vLLM's
                                        max_num_seqs) */
    tf_catalog_origin replicas_origin; /* where replicas was written (line 0: defaulted) */
    int64_t prefill_replicas;        /* > 0: disaggregated, this many of the replicas only
                                        prefill and the rest decode (< replicas); 0: colocated */
    tf_catalog_origin origin;        /* where `serving:` was written (line 0: absent) */
    /* where tp, dp, ep, pp were written, indexed by tf_scenario_layout_key (line 0: defaulted) */
    tf_catalog_origin layout_origin[TF_SCENARIO_LAYOUT_KEYS_];
    /* `profile:` as written, a GPU profile file or name (docs/CALIBRATION.md); NULL: none, the
     * documented defaults. A value with a '/' or ending in .db or .csv names a file:
     * profile_file is then its path relative to the scenario file's folder (as `file:` keys
     * are); else profile_file is NULL and the value is a name. The loader only records them and
     * where the value was written (its column): reading profiles is calibration's, which
     * depends on the loader, so the caller looks the name up, reads the file and attaches the
     * result as fitted_profile (cli/profile.c). */
    char *profile, *profile_file;
    tf_catalog_origin profile_origin;
    /* `degraded:` (docs/FAILURES.md): the layout a replica that failures leave with enough GPUs
     * restarts in (each count defaulting to the replica's; fewer GPUs than a replica; overlap as
     * the replica's) and how long a restart takes. present false: a failure takes a replica
     * down until its parts are repaired. */
    struct {
      bool present;
      tf_perf_layout layout;
      int64_t restart_ns;
      tf_catalog_origin origin; /* where the mapping starts */
    } degraded;
  } serving;
  /* `workload:` in file order; empty (NULL, 0) when the section is absent, else >= 1 classes,
   * and then model.entry and hardware[serving.hardware_index].entry are set. */
  tf_scenario_class *workload;
  size_t n_workload;
  /* `failures:` component classes, in gpu, node, rack, link order of those given (their counts
   * 0: the fleet sets them); NULL, 0 when absent. */
  tf_failure_class *failures;
  size_t n_failures;
  /* `failures.crews`: > 0, one team of this many crews repairs every class's parts (the classes'
   * repair.crews then keep their default); 0 when not given: each class its own line. */
  int64_t failure_crews;
  tf_scenario_economics economics; /* present == false when absent */
  tf_catalog *catalog; /* built-in + `catalogs:` files + `overrides:`; owned */
  /* The profiles serving.profile names, attached by the caller after loading (the loader leaves
   * this zeroed: the documented defaults). gpu and power point into owner, which
   * tf_scenario_destroy hands to release, so they live exactly as long as the scenario. */
  struct {
    const tf_gpu_profile *gpu;     /* NULL: tf_gpu_profile_default() */
    const tf_power_profile *power; /* NULL: tf_power_profile_default() */
    void *owner;
    void (*release)(void *owner);
  } fitted_profile;
} tf_scenario;

/* Loads the scenario at path. sets are `--set PATH=VALUE` texts applied in order before
 * validation. catalog_dir holds the built-in gpus.yaml, systems.yaml, models.yaml (NULL: start
 * from an empty catalogue). Every problem goes to d (print with tf_diags_print).
 * Returns 0 with *out filled; TF_EIO if the file cannot be read (d says `path: cannot open: ...`);
 * TF_EPARSE if d holds errors (then *out is zeroed); TF_ENOMEM. */
int tf_scenario_load(const char *path, const char *const *sets, size_t n_sets,
                     const char *catalog_dir, tf_scenario *out, tf_diags *d);

/* Frees everything out points to and zeroes it; a zeroed struct is fine. */
void tf_scenario_destroy(tf_scenario *s);

#endif
