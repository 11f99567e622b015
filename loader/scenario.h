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

/* One `hardware:` item. entry points into the scenario's catalogue. */
typedef struct tf_scenario_hardware {
  char *system;
  int64_t count;
  const tf_catalog_system *entry;
} tf_scenario_hardware;

/* A loaded scenario. The caller owns the struct (it may live on the stack); every field is filled
 * by tf_scenario_load and read-only afterwards; tf_scenario_destroy frees what it points to.
 * Absent optional sections have present == false and zero fields. */
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
