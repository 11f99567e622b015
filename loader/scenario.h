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
    double pue;                   /* >= 1, default 1 */
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
   * max_batch_tokens >= 1. Origins' file strings point at path or at the static "--set", so they
   * live as long as the scenario; line 0 means not written (defaulted). */
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
    tf_catalog_origin origin;        /* where `serving:` was written (line 0: absent) */
    /* where tp, dp, ep, pp were written, indexed by tf_scenario_layout_key (line 0: defaulted) */
    tf_catalog_origin layout_origin[TF_SCENARIO_LAYOUT_KEYS_];
  } serving;
  tf_catalog *catalog; /* built-in + `catalogs:` files + `overrides:`; owned */
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
