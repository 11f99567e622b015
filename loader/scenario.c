/* Scenario loading: read, --set, validate every section against its schema, build the catalogue,
 * resolve names, cross-field checks, and fill tf_scenario. */
#include "scenario.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "override.h"
#include "schema.h"

/* ---- the sections' raw values, as the schemas store them ---- */

typedef struct top_raw {
  char *name, *description, *model;
  int64_t seed, duration_ns, warmup_ns;
  bool has_seed, has_warmup;
} top_raw;

enum { TOP_NAME, TOP_DESCRIPTION, TOP_SEED, TOP_DURATION, TOP_WARMUP, TOP_CATALOGS,
       TOP_OVERRIDES, TOP_SITE, TOP_HARDWARE, TOP_MODEL, TOP_QUEUE, TOP_N };

static const tf_schema_field top_fields[TOP_N] = {
    [TOP_NAME] = {.key = "name", .type = TF_SCHEMA_STRING, .required = true,
                  .offset = offsetof(top_raw, name), .help = "the scenario's name"},
    [TOP_DESCRIPTION] = {.key = "description", .type = TF_SCHEMA_STRING,
                         .offset = offsetof(top_raw, description), .help = "a short sentence"},
    [TOP_SEED] = {.key = "seed", .type = TF_SCHEMA_COUNT, .lo_bound = TF_SCHEMA_INCLUSIVE,
                  .offset = offsetof(top_raw, seed), .present = TF_SCHEMA_FLAG(top_raw, has_seed),
                  .help = "master random seed, default 1"},
    [TOP_DURATION] = {.key = "duration", .type = TF_SCHEMA_TIME_NS, .required = true,
                      .lo_bound = TF_SCHEMA_EXCLUSIVE, .offset = offsetof(top_raw, duration_ns),
                      .help = "simulated time"},
    [TOP_WARMUP] = {.key = "warmup", .type = TF_SCHEMA_TIME_NS, .lo_bound = TF_SCHEMA_INCLUSIVE,
                    .offset = offsetof(top_raw, warmup_ns),
                    .present = TF_SCHEMA_FLAG(top_raw, has_warmup),
                    .help = "time excluded from statistics, < duration"},
    [TOP_CATALOGS] = {.key = "catalogs", .type = TF_SCHEMA_CUSTOM,
                      .help = "extra catalogue files, relative to this file"},
    [TOP_OVERRIDES] = {.key = "overrides", .type = TF_SCHEMA_CUSTOM,
                       .help = "catalogue fields changed for this scenario"},
    [TOP_SITE] = {.key = "site", .type = TF_SCHEMA_CUSTOM, .help = "power envelope and prices"},
    [TOP_HARDWARE] = {.key = "hardware", .type = TF_SCHEMA_CUSTOM,
                      .help = "systems from the catalogue, with counts"},
    [TOP_MODEL] = {.key = "model", .type = TF_SCHEMA_STRING, .offset = offsetof(top_raw, model),
                   .help = "a model from the catalogue"},
    [TOP_QUEUE] = {.key = "queue", .type = TF_SCHEMA_CUSTOM,
                   .help = "the engine's reference queueing model"},
};
static const tf_schema top_schema = {"scenario", top_fields, TOP_N};

typedef struct site_raw {
  double power_w, pue, price;
  bool has_pue, has_price;
} site_raw;

static const tf_schema_field site_fields[] = {
    {.key = "power", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_POWER, .required = true,
     .lo_bound = TF_SCHEMA_EXCLUSIVE, .offset = offsetof(site_raw, power_w),
     .help = "facility power envelope"},
    {.key = "pue", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_RATIO,
     .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 1, .offset = offsetof(site_raw, pue),
     .present = TF_SCHEMA_FLAG(site_raw, has_pue), .help = "power usage effectiveness"},
    {.key = "electricity_price", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_ENERGY_PRICE,
     .lo_bound = TF_SCHEMA_INCLUSIVE, .offset = offsetof(site_raw, price),
     .present = TF_SCHEMA_FLAG(site_raw, has_price), .help = "price of energy"},
};
static const tf_schema site_schema = {"site", site_fields, 3};

typedef struct hardware_raw {
  char *system;
  int64_t count;
} hardware_raw;

enum { HW_SYSTEM, HW_COUNT, HW_N };
static const tf_schema_field hardware_fields[HW_N] = {
    [HW_SYSTEM] = {.key = "system", .type = TF_SCHEMA_STRING, .required = true,
                   .offset = offsetof(hardware_raw, system), .help = "a system name"},
    [HW_COUNT] = {.key = "count", .type = TF_SCHEMA_COUNT, .required = true,
                  .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 1,
                  .offset = offsetof(hardware_raw, count), .help = "how many systems"},
};
static const tf_schema hardware_schema = {"hardware item", hardware_fields, HW_N};

typedef struct queue_raw {
  int64_t servers;
} queue_raw;

enum { Q_SERVERS, Q_ARRIVAL, Q_SERVICE, Q_N };
static const tf_schema_field queue_fields[Q_N] = {
    [Q_SERVERS] = {.key = "servers", .type = TF_SCHEMA_COUNT, .required = true,
                   .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 1,
                   .offset = offsetof(queue_raw, servers), .help = "identical servers"},
    [Q_ARRIVAL] = {.key = "arrival", .type = TF_SCHEMA_CUSTOM, .required = true,
                   .help = "arrival process"},
    [Q_SERVICE] = {.key = "service", .type = TF_SCHEMA_CUSTOM, .required = true,
                   .help = "service-time distribution"},
};
static const tf_schema queue_schema = {"queue", queue_fields, Q_N};

/* Arrival processes, in this order. */
enum { PROC_POISSON, PROC_GAMMA, PROC_DETERMINISTIC };
static const char *const process_names[] = {"poisson", "gamma", "deterministic", NULL};

typedef struct arrival_raw {
  int process;
  double rate, cv;
  bool has_process, has_rate, has_cv;
} arrival_raw;

enum { A_PROCESS, A_RATE, A_CV, A_N };
static const tf_schema_field arrival_fields[A_N] = {
    [A_PROCESS] = {.key = "process", .type = TF_SCHEMA_ENUM, .required = true,
                   .offset = offsetof(arrival_raw, process),
                   .present = TF_SCHEMA_FLAG(arrival_raw, has_process), .names = process_names},
    [A_RATE] = {.key = "rate", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_RATE,
                .required = true, .lo_bound = TF_SCHEMA_EXCLUSIVE,
                .offset = offsetof(arrival_raw, rate),
                .present = TF_SCHEMA_FLAG(arrival_raw, has_rate), .help = "mean arrival rate"},
    [A_CV] = {.key = "cv", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_RATIO,
              .lo_bound = TF_SCHEMA_EXCLUSIVE, .offset = offsetof(arrival_raw, cv),
              .present = TF_SCHEMA_FLAG(arrival_raw, has_cv),
              .help = "coefficient of variation of inter-arrival times"},
};
static const tf_schema arrival_schema = {"queue.arrival", arrival_fields, A_N};

/* Service distributions, in this order; mapped to tf_dist_kind by service_kind. */
enum { SVC_EXPONENTIAL, SVC_DETERMINISTIC, SVC_UNIFORM, SVC_LOGNORMAL, SVC_GAMMA };
static const char *const service_names[] = {"exponential", "deterministic", "uniform",
                                            "lognormal", "gamma", NULL};

typedef struct service_raw {
  int distribution;
  double mean, cv, min, max;
  bool has_distribution, has_mean, has_cv, has_min, has_max;
} service_raw;

enum { S_DISTRIBUTION, S_MEAN, S_CV, S_MIN, S_MAX, S_N };
#define SERVICE_TIME(K, M, LO)                                                                 \
  {.key = #K, .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_TIME, .lo_bound = LO,               \
   .offset = offsetof(service_raw, M), .present = TF_SCHEMA_FLAG(service_raw, has_##M)}
static const tf_schema_field service_fields[S_N] = {
    [S_DISTRIBUTION] = {.key = "distribution", .type = TF_SCHEMA_ENUM, .required = true,
                        .offset = offsetof(service_raw, distribution),
                        .present = TF_SCHEMA_FLAG(service_raw, has_distribution),
                        .names = service_names},
    [S_MEAN] = SERVICE_TIME(mean, mean, TF_SCHEMA_EXCLUSIVE),
    [S_CV] = {.key = "cv", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_RATIO,
              .lo_bound = TF_SCHEMA_EXCLUSIVE, .offset = offsetof(service_raw, cv),
              .present = TF_SCHEMA_FLAG(service_raw, has_cv)},
    [S_MIN] = SERVICE_TIME(min, min, TF_SCHEMA_INCLUSIVE),
    [S_MAX] = SERVICE_TIME(max, max, TF_SCHEMA_EXCLUSIVE),
};
static const tf_schema service_schema = {"queue.service", service_fields, S_N};

/* ---- helpers ---- */

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p)
    memcpy(p, s, n);
  return p;
}

/* path's folder joined with rel (rel unchanged when absolute or path has no folder). */
static char *relative_to(const char *path, const char *rel) {
  const char *slash = strrchr(path, '/');
  if (rel[0] == '/' || !slash)
    return dup_str(rel);
  size_t dir = (size_t)(slash - path) + 1, n = strlen(rel);
  char *p = malloc(dir + n + 1);
  if (p) {
    memcpy(p, path, dir);
    memcpy(p + dir, rel, n + 1);
  }
  return p;
}

/* Whether key k is used by the chosen kind: a diagnostic either way it is wrong. needs: the kind
 * requires it; uses: the kind reads it; users names the kinds that do, for the message. */
static void check_use(const tf_schema *s, size_t k, const tf_ytree_node *section,
                      const tf_ytree_node *const *where, bool uses, bool needs,
                      const char *what, const char *kind, const char *users, tf_diags *d) {
  const tf_ytree_node *v = where[k];
  if (v && !uses)
    tf_diags_error(d, v->file, v->line, v->col,
                   "%s.%s: not used by %s \"%s\" (only %s use%s it)", s->name, s->fields[k].key,
                   what, kind, users, strchr(users, ' ') ? "" : "s");
  else if (!v && needs)
    tf_diags_error(d, section->file, section->line, section->col,
                   "missing key \"%s\" in %s: %s \"%s\" needs it", s->fields[k].key, s->name,
                   what, kind);
}

static void load_arrival(const tf_ytree_node *node, tf_dist *out, tf_diags *d) {
  arrival_raw a = {0};
  const tf_ytree_node *where[A_N];
  tf_schema_apply(&arrival_schema, node, "queue.arrival", &a, where, d);
  if (!a.has_process)
    return;
  const char *kind = process_names[a.process];
  check_use(&arrival_schema, A_CV, node, where, a.process == PROC_GAMMA,
            a.process == PROC_GAMMA, "process", kind, "gamma", d);
  double mean = a.has_rate ? 1 / a.rate : 0;
  switch (a.process) {
  case PROC_POISSON:
    *out = (tf_dist){.kind = TF_DIST_EXPONENTIAL, .mean = mean};
    break;
  case PROC_GAMMA:
    *out = (tf_dist){.kind = TF_DIST_GAMMA, .mean = mean, .cv = a.cv};
    break;
  default:
    *out = (tf_dist){.kind = TF_DIST_DETERMINISTIC, .mean = mean};
    break;
  }
}

static void load_service(const tf_ytree_node *node, tf_dist *out, tf_diags *d) {
  service_raw s = {0};
  const tf_ytree_node *where[S_N];
  tf_schema_apply(&service_schema, node, "queue.service", &s, where, d);
  if (!s.has_distribution)
    return;
  int k = s.distribution;
  const char *kind = service_names[k];
  bool uniform = k == SVC_UNIFORM, shaped = k == SVC_LOGNORMAL || k == SVC_GAMMA;
  check_use(&service_schema, S_MEAN, node, where, !uniform, !uniform, "distribution", kind,
            "exponential, deterministic, lognormal and gamma", d);
  check_use(&service_schema, S_CV, node, where, shaped, shaped, "distribution", kind,
            "lognormal and gamma", d);
  check_use(&service_schema, S_MIN, node, where, uniform, uniform, "distribution", kind,
            "uniform", d);
  check_use(&service_schema, S_MAX, node, where, uniform, uniform, "distribution", kind,
            "uniform", d);
  if (uniform && s.has_min && s.has_max && !(s.min < s.max)) {
    char lo[64], hi[64];
    tf_unit_format(s.min, TF_UNIT_TIME, lo, sizeof lo);
    tf_unit_format(s.max, TF_UNIT_TIME, hi, sizeof hi);
    const tf_ytree_node *v = where[S_MAX];
    tf_diags_error(d, v->file, v->line, v->col,
                   "queue.service.max: must be greater than min (%s), got %s", lo, hi);
  }
  static const tf_dist_kind kinds[] = {
      [SVC_EXPONENTIAL] = TF_DIST_EXPONENTIAL, [SVC_DETERMINISTIC] = TF_DIST_DETERMINISTIC,
      [SVC_UNIFORM] = TF_DIST_UNIFORM,         [SVC_LOGNORMAL] = TF_DIST_LOGNORMAL,
      [SVC_GAMMA] = TF_DIST_GAMMA,
  };
  *out = (tf_dist){.kind = kinds[k], .mean = s.mean, .cv = s.cv, .min = s.min, .max = s.max};
  if (uniform)
    out->mean = (s.min + s.max) / 2;
}

static void load_queue(const tf_ytree_node *node, tf_scenario *out, tf_diags *d) {
  queue_raw q = {0};
  const tf_ytree_node *where[Q_N];
  tf_schema_apply(&queue_schema, node, "queue", &q, where, d);
  out->queue.present = true;
  out->queue.servers = q.servers;
  if (where[Q_ARRIVAL])
    load_arrival(where[Q_ARRIVAL], &out->queue.interarrival, d);
  if (where[Q_SERVICE])
    load_service(where[Q_SERVICE], &out->queue.service, d);
}

static void load_site(const tf_ytree_node *node, tf_scenario *out, tf_diags *d) {
  site_raw s = {0};
  tf_schema_apply(&site_schema, node, "site", &s, NULL, d);
  out->site.present = true;
  out->site.power_w = s.power_w;
  out->site.pue = s.has_pue ? s.pue : 1.0;
  out->site.has_electricity_price = s.has_price;
  out->site.electricity_usd_per_j = s.has_price ? s.price : 0;
}

/* Validates `hardware:` into out->hardware; system_at[i] receives item i's system value node
 * (for name errors once the catalogue is read). */
static int load_hardware(const tf_ytree_node *node, tf_scenario *out,
                         const tf_ytree_node ***system_at, tf_diags *d) {
  *system_at = NULL;
  if (tf_ytree_is_null(node))
    return 0;
  if (node->kind != TF_YTREE_SEQUENCE) {
    tf_diags_error(d, node->file, node->line, node->col,
                   "hardware: expected a list of {system, count}, got %s",
                   tf_ytree_kind_noun(node));
    return 0;
  }
  if (node->n == 0)
    return 0;
  out->hardware = calloc(node->n, sizeof *out->hardware);
  *system_at = calloc(node->n, sizeof **system_at);
  if (!out->hardware || !*system_at)
    return TF_FAIL(TF_ENOMEM, "hardware");
  for (size_t i = 0; i < node->n; i++) {
    char path[64];
    snprintf(path, sizeof path, "hardware[%zu]", i);
    hardware_raw h = {0};
    const tf_ytree_node *where[HW_N];
    tf_schema_apply(&hardware_schema, node->items[i], path, &h, where, d);
    out->hardware[out->n_hardware++] = (tf_scenario_hardware){h.system, h.count, NULL};
    (*system_at)[i] = h.system ? where[HW_SYSTEM] : NULL;
  }
  return 0;
}

static int load_catalog(const char *path, const char *catalog_dir,
                        const tf_ytree_node *const *where, tf_scenario *out, tf_diags *d) {
  int rc = tf_catalog_create(&out->catalog);
  if (rc)
    return rc;
  if (catalog_dir && (rc = tf_catalog_load_dir(out->catalog, catalog_dir, d)))
    return rc;
  const tf_ytree_node *list = where[TOP_CATALOGS];
  if (list && !tf_ytree_is_null(list) && list->kind != TF_YTREE_SEQUENCE) {
    tf_diags_error(d, list->file, list->line, list->col,
                   "catalogs: expected a list of file names, got %s", tf_ytree_kind_noun(list));
  } else if (list && list->kind == TF_YTREE_SEQUENCE) {
    for (size_t i = 0; i < list->n; i++) {
      const tf_ytree_node *item = list->items[i];
      if (item->kind != TF_YTREE_SCALAR || tf_ytree_is_null(item)) {
        tf_diags_error(d, item->file, item->line, item->col,
                       "catalogs[%zu]: expected a file name, got %s", i, tf_ytree_kind_noun(item));
        continue;
      }
      char *file = relative_to(path, item->text);
      if (!file)
        return TF_FAIL(TF_ENOMEM, "catalogue path");
      rc = tf_catalog_load_file(out->catalog, file, item, d);
      free(file);
      if (rc)
        return rc;
    }
  }
  if ((rc = tf_catalog_apply_overrides(out->catalog, where[TOP_OVERRIDES], d)))
    return rc;
  return tf_catalog_check(out->catalog, d);
}

static void resolve_names(tf_scenario *out, const tf_ytree_node *const *system_at,
                          const tf_ytree_node *model_at, tf_diags *d) {
  char msg[1024];
  for (size_t i = 0; i < out->n_hardware; i++) {
    tf_scenario_hardware *h = &out->hardware[i];
    if (!h->system)
      continue;
    h->entry = tf_catalog_find_system(out->catalog, h->system);
    if (!h->entry) {
      tf_catalog_unknown(out->catalog, TF_CATALOG_SYSTEMS, h->system, msg, sizeof msg);
      tf_diags_error(d, system_at[i]->file, system_at[i]->line, system_at[i]->col,
                     "hardware[%zu].system: %s", i, msg);
    }
  }
  if (out->model.name) {
    out->model.entry = tf_catalog_find_model(out->catalog, out->model.name);
    if (!out->model.entry) {
      tf_catalog_unknown(out->catalog, TF_CATALOG_MODELS, out->model.name, msg, sizeof msg);
      tf_diags_error(d, model_at->file, model_at->line, model_at->col, "model: %s", msg);
    }
  }
}

/* Validates root into out. 0 or TF_ENOMEM; problems go to d. */
static int load_tree(const char *path, const tf_ytree_node *root, const char *catalog_dir,
                     tf_scenario *out, tf_diags *d) {
  top_raw top = {0};
  const tf_ytree_node *where[TOP_N];
  tf_schema_apply(&top_schema, root, "", &top, where, d);
  out->name = top.name;
  out->description = top.description;
  out->model.name = top.model;
  out->model.present = top.model != NULL;
  out->seed = top.has_seed ? (uint64_t)top.seed : 1;
  out->duration_ns = top.duration_ns;
  out->warmup_ns = top.has_warmup ? top.warmup_ns : 0;
  if (top.has_warmup && top.duration_ns > 0 && top.warmup_ns >= top.duration_ns) {
    char w[64], du[64];
    tf_unit_format((double)top.warmup_ns * 1e-9, TF_UNIT_TIME, w, sizeof w);
    tf_unit_format((double)top.duration_ns * 1e-9, TF_UNIT_TIME, du, sizeof du);
    const tf_ytree_node *v = where[TOP_WARMUP];
    tf_diags_error(d, v->file, v->line, v->col,
                   "warmup: must be shorter than duration (%s), got %s", du, w);
  }
  if (where[TOP_SITE])
    load_site(where[TOP_SITE], out, d);
  if (where[TOP_QUEUE])
    load_queue(where[TOP_QUEUE], out, d);
  const tf_ytree_node **system_at = NULL;
  int rc = 0;
  if (where[TOP_HARDWARE])
    rc = load_hardware(where[TOP_HARDWARE], out, &system_at, d);
  if (rc == 0)
    rc = load_catalog(path, catalog_dir, where, out, d);
  if (rc == 0)
    resolve_names(out, system_at, where[TOP_MODEL], d);
  free(system_at);
  return rc;
}

int tf_scenario_load(const char *path, const char *const *sets, size_t n_sets,
                     const char *catalog_dir, tf_scenario *out, tf_diags *d) {
  *out = (tf_scenario){0};
  size_t errors_before = tf_diags_error_count(d);
  out->path = dup_str(path);
  if (!out->path)
    return TF_FAIL(TF_ENOMEM, "scenario");
  int rc = tf_ytree_read_file(path, &out->text, &out->text_len);
  if (rc == TF_EIO)
    tf_diags_error(d, path, 0, 0, "cannot open: %s", strerror(errno));
  tf_ytree_node *root = NULL;
  if (rc == 0)
    rc = tf_ytree_parse(out->text, out->text_len, path, 0, &root, d);
  for (size_t i = 0; rc == 0 && i < n_sets; i++)
    rc = tf_override_apply(&root, sets[i], d);
  if (rc == 0 && !root) {
    root = tf_ytree_new(TF_YTREE_MAPPING, path, 1, 1); /* an empty file: report what is missing */
    if (!root)
      rc = TF_FAIL(TF_ENOMEM, "scenario");
  }
  if (rc == 0)
    rc = load_tree(path, root, catalog_dir, out, d);
  tf_ytree_free(root);
  if (rc == 0 && (tf_diags_nomem(d)))
    rc = TF_FAIL(TF_ENOMEM, "diagnostics");
  if (rc == 0 && tf_diags_error_count(d) > errors_before)
    rc = TF_FAIL(TF_EPARSE, "%s: %zu errors", path, tf_diags_error_count(d) - errors_before);
  if (rc)
    tf_scenario_destroy(out);
  return rc;
}

void tf_scenario_destroy(tf_scenario *s) {
  if (!s)
    return;
  for (size_t i = 0; i < s->n_hardware; i++)
    free(s->hardware[i].system);
  free(s->hardware);
  free(s->path);
  free(s->text);
  free(s->name);
  free(s->description);
  free(s->model.name);
  tf_catalog_destroy(s->catalog);
  *s = (tf_scenario){0};
}
