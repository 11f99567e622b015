/* Scenario loading: read, --set, validate every section against its schema, build the catalogue,
 * resolve names, cross-field checks, and fill tf_scenario. */
#include "scenario.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "moe_routing.h"
#include "override.h"
#include "schema.h"
#include "suggest.h"

/* ---- the sections' raw values, as the schemas store them ---- */

typedef struct top_raw {
  char *name, *description, *model;
  int64_t seed, duration_ns, warmup_ns;
  bool has_seed, has_warmup;
} top_raw;

enum { TOP_NAME, TOP_DESCRIPTION, TOP_SEED, TOP_DURATION, TOP_WARMUP, TOP_CATALOGS,
       TOP_OVERRIDES, TOP_SITE, TOP_HARDWARE, TOP_MODEL, TOP_QUEUE, TOP_SERVING, TOP_N };

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
    [TOP_SERVING] = {.key = "serving", .type = TF_SCHEMA_CUSTOM,
                     .help = "how one model replica is deployed"},
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

/* `serving:`. Layout counts past this bound are typos, not deployments (4096-way parallelism on
 * one axis is far beyond any published serving system); it also keeps tp * dp exact. */
#define SERVING_LAYOUT_MAX 4096
/* vLLM's default gpu_memory_utilization (vllm/engine/arg_utils.py, EngineArgs). */
#define SERVING_MEMORY_UTILISATION_DEFAULT 0.9
/* vLLM's default max_num_batched_tokens for its OpenAI server on GPUs with >= 70 GiB (H100,
 * MI300X): the chunked-prefill token budget of one step (vllm/engine/arg_utils.py,
 * EngineArgs.get_batch_defaults). */
#define SERVING_MAX_BATCH_TOKENS_DEFAULT 8192
/* Speculative decoders draft a few tokens per step (DeepSeek-V3's MTP module drafts one);
 * 16 is beyond them and catches typos. */
#define SERVING_DRAFT_TOKENS_MAX 16

typedef struct serving_raw {
  char *system;
  int64_t tp, dp, ep, pp; /* in tf_scenario_layout_key order */
  int overlap;            /* index in bool_names: 0 false, 1 true */
  double memory_utilisation;
  int64_t max_batch_tokens;
  bool has_tp, has_dp, has_ep, has_pp, has_overlap;
} serving_raw;

static const char *const bool_names[] = {"false", "true", NULL};

/* SV_TP .. SV_PP follow tf_scenario_layout_key, so where[SV_TP + k] is layout key k's value. */
enum { SV_SYSTEM, SV_TP, SV_DP, SV_EP, SV_PP, SV_OVERLAP, SV_PRECISION, SV_SPECULATION,
       SV_ROUTING, SV_MEMORY, SV_MAX_BATCH, SV_N };
static_assert(SV_DP - SV_TP == TF_SCENARIO_DP && SV_EP - SV_TP == TF_SCENARIO_EP &&
                  SV_PP - SV_TP == TF_SCENARIO_PP && SV_PP - SV_TP + 1 == TF_SCENARIO_LAYOUT_KEYS_,
              "serving's layout keys follow tf_scenario_layout_key");
#define LAYOUT_COUNT(K, HELP)                                                                  \
  {.key = #K, .type = TF_SCHEMA_COUNT, .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 1,               \
   .hi_bound = TF_SCHEMA_INCLUSIVE, .hi = SERVING_LAYOUT_MAX, .offset = offsetof(serving_raw, K), \
   .present = TF_SCHEMA_FLAG(serving_raw, has_##K), .help = HELP}
static const tf_schema_field serving_fields[SV_N] = {
    [SV_SYSTEM] = {.key = "system", .type = TF_SCHEMA_STRING,
                   .offset = offsetof(serving_raw, system),
                   .help = "the system a replica runs on, one of hardware's"},
    [SV_TP] = LAYOUT_COUNT(tp, "tensor-parallel GPUs per attention group"),
    [SV_DP] = LAYOUT_COUNT(dp, "attention data-parallel groups"),
    [SV_EP] = LAYOUT_COUNT(ep, "expert-parallel ranks, dividing tp * dp"),
    [SV_PP] = LAYOUT_COUNT(pp, "pipeline stages"),
    [SV_OVERLAP] = {.key = "overlap", .type = TF_SCHEMA_ENUM,
                    .offset = offsetof(serving_raw, overlap),
                    .present = TF_SCHEMA_FLAG(serving_raw, has_overlap), .names = bool_names,
                    .help = "two micro-batches hide communication"},
    [SV_PRECISION] = {.key = "precision", .type = TF_SCHEMA_CUSTOM,
                      .help = "number formats of weights, experts, activations, KV cache"},
    [SV_SPECULATION] = {.key = "speculation", .type = TF_SCHEMA_CUSTOM,
                        .help = "multi-token prediction / speculative decoding"},
    [SV_ROUTING] = {.key = "routing", .type = TF_SCHEMA_CUSTOM,
                    .help = "expert routing statistics"},
    [SV_MEMORY] = {.key = "memory_utilisation", .type = TF_SCHEMA_QUANTITY,
                   .unit = TF_UNIT_RATIO, .lo_bound = TF_SCHEMA_EXCLUSIVE, .lo = 0,
                   .hi_bound = TF_SCHEMA_INCLUSIVE, .hi = 1,
                   .offset = offsetof(serving_raw, memory_utilisation),
                   .help = "share of HBM the server may use"},
    [SV_MAX_BATCH] = {.key = "max_batch_tokens", .type = TF_SCHEMA_COUNT,
                      .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 1,
                      .offset = offsetof(serving_raw, max_batch_tokens),
                      .help = "most tokens one step processes per replica"},
};
static const tf_schema serving_schema = {"serving", serving_fields, SV_N};

/* Precision words, mapped to perf.h's tf_precision by precision_of (the loader does not link the
 * models library, whose tf_precision_parse does the same). */
enum { PREC_BF16, PREC_FP8, PREC_FP4, PREC_N };
static const char *const precision_names[] = {"bf16", "fp8", "fp4", NULL};
static const tf_precision precision_of[PREC_N] = {
    [PREC_BF16] = TF_PREC_BF16, [PREC_FP8] = TF_PREC_FP8, [PREC_FP4] = TF_PREC_FP4};
static_assert(PREC_BF16 == (int)TF_PREC_BF16 && PREC_FP8 == (int)TF_PREC_FP8 &&
                  PREC_FP4 == (int)TF_PREC_FP4 && PREC_N == (int)TF_PREC_COUNT_,
              "the precision words follow tf_precision: a new one needs a word here");

typedef struct precision_raw {
  int weights, experts, activations, kv_cache; /* PREC_* */
  bool has_experts;
} precision_raw;

#define PRECISION(K, FLAG, HELP)                                                               \
  {.key = #K, .type = TF_SCHEMA_ENUM, .offset = offsetof(precision_raw, K), .present = FLAG,   \
   .names = precision_names, .help = HELP}
static const tf_schema_field precision_fields[] = {
    PRECISION(weights, 0, "attention, dense FFN, shared experts, embeddings"),
    PRECISION(experts, TF_SCHEMA_FLAG(precision_raw, has_experts), "routed experts' weights"),
    PRECISION(activations, 0, "GEMM inputs and the expert-parallel dispatch payload"),
    PRECISION(kv_cache, 0, "the KV cache"),
};
static const tf_schema precision_schema = {"serving.precision", precision_fields, 4};

typedef struct speculation_raw {
  int64_t draft_tokens;
  double acceptance;
  bool has_draft_tokens, has_acceptance;
} speculation_raw;

enum { SP_DRAFT_TOKENS, SP_ACCEPTANCE, SP_N };
static const tf_schema_field speculation_fields[SP_N] = {
    [SP_DRAFT_TOKENS] = {.key = "draft_tokens", .type = TF_SCHEMA_COUNT,
                         .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 0,
                         .hi_bound = TF_SCHEMA_INCLUSIVE, .hi = SERVING_DRAFT_TOKENS_MAX,
                         .offset = offsetof(speculation_raw, draft_tokens),
                         .present = TF_SCHEMA_FLAG(speculation_raw, has_draft_tokens),
                         .help = "tokens drafted per sequence per decode step, 0 for none"},
    [SP_ACCEPTANCE] = {.key = "acceptance", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_RATIO,
                       .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 0,
                       .hi_bound = TF_SCHEMA_INCLUSIVE, .hi = 1,
                       .offset = offsetof(speculation_raw, acceptance),
                       .present = TF_SCHEMA_FLAG(speculation_raw, has_acceptance),
                       .help = "chance a draft is accepted given the previous one was"},
};
static const tf_schema speculation_schema = {"serving.speculation", speculation_fields, SP_N};

typedef struct routing_raw {
  double skew;
  int64_t redundant_experts;
} routing_raw;

enum { RT_IMBALANCE, RT_SKEW, RT_REDUNDANT, RT_N };
static const tf_schema_field routing_fields[RT_N] = {
    [RT_IMBALANCE] = {.key = "imbalance", .type = TF_SCHEMA_CUSTOM,
                      .help = "\"auto\" or the busiest EP rank's load over the mean, >= 1"},
    /* Up to the largest exponent the routing model is tested for against Monte Carlo
     * (moe_routing.h); at 1.5 a handful of experts already take most tokens. */
    [RT_SKEW] = {.key = "skew", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_RATIO,
                 .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 0, .hi_bound = TF_SCHEMA_INCLUSIVE,
                 .hi = TF_MOE_SKEW_MAX, .offset = offsetof(routing_raw, skew),
                 .help = "Zipf exponent of expert popularity, 0 for uniform routing"},
    [RT_REDUNDANT] = {.key = "redundant_experts", .type = TF_SCHEMA_COUNT,
                      .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 0,
                      .offset = offsetof(routing_raw, redundant_experts),
                      .help = "extra replicas of popular experts per MoE layer"},
};
static const tf_schema routing_schema = {"serving.routing", routing_fields, RT_N};

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

/* ---- serving ---- */

/* The key node named key in mapping m, or NULL. */
static const tf_ytree_node *key_named(const tf_ytree_node *m, const char *key) {
  for (size_t i = 0; m->kind == TF_YTREE_MAPPING && i < m->n; i++)
    if (strcmp(m->keys[i]->text, key) == 0)
      return m->keys[i];
  return NULL;
}

/* The scenario's lasting copy of a tree node's file name, for origins: the trees are freed after
 * loading. A scenario's nodes come from its file (path) or from --set (a static string). */
static const char *lasting_file(const tf_scenario *out, const char *file) {
  if (strcmp(file, TF_OVERRIDE_FILE) == 0)
    return TF_OVERRIDE_FILE;
  assert(strcmp(file, out->path) == 0);
  return out->path;
}

static tf_catalog_origin origin_of(const tf_scenario *out, const tf_ytree_node *n) {
  return (tf_catalog_origin){lasting_file(out, n->file), n->line, n->col};
}

/* The column of a scalar's first byte, where the schema walker reports bad values. */
static int value_col(const tf_ytree_node *v) {
  return v->text_col > 0 ? v->text_col : v->col;
}

/* The defaults every scenario gets, with or without a `serving:` section. */
static void serving_defaults(tf_scenario *out) {
  out->serving.hardware_index = 0;
  out->serving.layout = (tf_perf_layout){.tp = 1, .dp = 1, .ep = 1, .pp = 1, .overlap = false};
  out->serving.precision = (tf_perf_precisions){.weights = TF_PREC_BF16,
                                                .experts = TF_PREC_BF16,
                                                .activations = TF_PREC_BF16,
                                                .kv_cache = TF_PREC_BF16};
  out->serving.speculation = (tf_perf_speculation){.draft_tokens = 0, .acceptance = 0};
  out->serving.routing = (tf_perf_routing){.imbalance = 0, .skew = 0, .redundant_experts = 0};
  out->serving.memory_utilisation = SERVING_MEMORY_UTILISATION_DEFAULT;
  out->serving.max_batch_tokens = SERVING_MAX_BATCH_TOKENS_DEFAULT;
}

static void load_precision(const tf_ytree_node *node, tf_perf_precisions *out, tf_diags *d) {
  precision_raw p = {.weights = PREC_BF16, .experts = PREC_BF16, .activations = PREC_BF16,
                     .kv_cache = PREC_BF16};
  tf_schema_apply(&precision_schema, node, "serving.precision", &p, NULL, d);
  if (!p.has_experts)
    p.experts = p.weights;
  *out = (tf_perf_precisions){.weights = precision_of[p.weights],
                              .experts = precision_of[p.experts],
                              .activations = precision_of[p.activations],
                              .kv_cache = precision_of[p.kv_cache]};
}

/* acceptance is needed exactly when draft_tokens >= 1, as a queue kind's keys are. */
static void load_speculation(const tf_ytree_node *node, tf_perf_speculation *out, tf_diags *d) {
  speculation_raw sp = {0};
  const tf_ytree_node *where[SP_N];
  tf_schema_apply(&speculation_schema, node, "serving.speculation", &sp, where, d);
  if (where[SP_DRAFT_TOKENS] && !sp.has_draft_tokens)
    return; /* draft_tokens is wrong (reported): whether acceptance belongs is unknown */
  const tf_ytree_node *acceptance = where[SP_ACCEPTANCE];
  if (sp.draft_tokens > 0 && !acceptance)
    tf_diags_error(d, node->file, node->line, node->col,
                   "missing key \"acceptance\" in serving.speculation: draft_tokens %lld needs it",
                   (long long)sp.draft_tokens);
  else if (sp.draft_tokens == 0 && acceptance)
    tf_diags_error(d, acceptance->file, acceptance->line, acceptance->col,
                   "serving.speculation.acceptance: not used when draft_tokens is 0 (only "
                   "draft_tokens >= 1 uses it)");
  out->draft_tokens = sp.draft_tokens;
  out->acceptance = sp.draft_tokens > 0 ? sp.acceptance : 0;
}

/* imbalance: "auto" (stored as 0) or a ratio >= 1. */
static void load_imbalance(const tf_ytree_node *v, double *out, tf_diags *d) {
  static const char path[] = "serving.routing.imbalance";
  static const char want[] = "\"auto\" or a number >= 1 such as \"1.3\"";
  if (v->kind != TF_YTREE_SCALAR) {
    tf_diags_error(d, v->file, v->line, v->col, "%s: expected %s, got %s", path, want,
                   tf_ytree_kind_noun(v));
    return;
  }
  if (tf_ytree_is_null(v)) {
    tf_diags_error(d, v->file, v->line, v->col, "%s: missing value: expected %s", path, want);
    return;
  }
  if (strcmp(v->text, "auto") == 0) {
    *out = 0;
    return;
  }
  double x;
  if (tf_unit_parse(v->text, TF_UNIT_RATIO, &x, NULL) == 0) {
    if (x >= 1) {
      *out = x;
      return;
    }
    char got[64];
    tf_unit_format(x, TF_UNIT_RATIO, got, sizeof got);
    tf_diags_error(d, v->file, v->line, value_col(v),
                   "%s: must be >= 1 (the busiest EP rank's load over the mean) or \"auto\", "
                   "got %s", path, got);
    return;
  }
  static const char *const words[] = {"auto"};
  if (tf_suggest_nearest(v->text, words, 1))
    tf_diags_error(d, v->file, v->line, v->col,
                   "%s: unknown value \"%s\"; did you mean \"auto\"? (expected %s)", path, v->text,
                   want);
  else
    tf_diags_error(d, v->file, v->line, v->col, "%s: expected %s, got \"%s\"", path, want,
                   v->text);
}

static void load_routing(const tf_ytree_node *node, tf_perf_routing *out, tf_diags *d) {
  routing_raw r = {0};
  const tf_ytree_node *where[RT_N];
  tf_schema_apply(&routing_schema, node, "serving.routing", &r, where, d);
  out->skew = r.skew;
  out->redundant_experts = r.redundant_experts;
  if (where[RT_IMBALANCE])
    load_imbalance(where[RT_IMBALANCE], &out->imbalance, d);
}

/* Points serving at the hardware item whose system is named system (the first such), or reports
 * at `at` that no item names it, suggesting the nearest. O(n^2) in hardware items to list each
 * system once: a scenario lists a handful. 0 or TF_ENOMEM. */
static int resolve_serving_system(tf_scenario *out, const char *system, const tf_ytree_node *at,
                                  tf_diags *d) {
  for (size_t i = 0; i < out->n_hardware; i++)
    if (out->hardware[i].system && strcmp(out->hardware[i].system, system) == 0) {
      out->serving.hardware_index = i;
      return 0;
    }
  const char **names = calloc(out->n_hardware, sizeof *names);
  if (!names)
    return TF_FAIL(TF_ENOMEM, "serving.system");
  size_t n = 0, used = 0;
  char list[512] = "none";
  for (size_t i = 0; i < out->n_hardware; i++) {
    const char *name = out->hardware[i].system;
    bool seen = name == NULL;
    for (size_t j = 0; j < n && !seen; j++)
      seen = strcmp(names[j], name) == 0;
    if (seen)
      continue;
    names[n] = name;
    if (used < sizeof list) {
      int k = snprintf(list + used, sizeof list - used, "%s%s", n ? ", " : "", name);
      used = k < 0 ? sizeof list : used + (size_t)k;
    }
    n++;
  }
  const char *near = tf_suggest_nearest(system, names, n);
  if (near)
    tf_diags_error(d, at->file, at->line, value_col(at),
                   "serving.system: expected a system listed in hardware, got \"%s\"; did you "
                   "mean \"%s\"? (hardware: %s)", system, near, list);
  else
    tf_diags_error(d, at->file, at->line, value_col(at),
                   "serving.system: expected a system listed in hardware, got \"%s\" "
                   "(hardware: %s)", system, list);
  free(names);
  return 0;
}

/* Validates `serving:` (key: the `serving` key node; node: its value) into out->serving, whose
 * defaults are already set. Needs out->hardware. hardware_reported: `hardware:` was malformed and
 * said so, so its emptiness is not news. 0 or TF_ENOMEM. */
static int load_serving(const tf_ytree_node *key, const tf_ytree_node *node,
                        bool hardware_reported, tf_scenario *out, tf_diags *d) {
  serving_raw raw = {.tp = 1, .dp = 1, .ep = 1, .pp = 1,
                     .memory_utilisation = SERVING_MEMORY_UTILISATION_DEFAULT,
                     .max_batch_tokens = SERVING_MAX_BATCH_TOKENS_DEFAULT};
  const tf_ytree_node *where[SV_N];
  tf_schema_apply(&serving_schema, node, "serving", &raw, where, d);
  out->serving.present = true;
  out->serving.origin = origin_of(out, key);
  for (size_t k = 0; k < TF_SCENARIO_LAYOUT_KEYS_; k++)
    if (where[SV_TP + k])
      out->serving.layout_origin[k] = origin_of(out, where[SV_TP + k]);
  out->serving.layout = (tf_perf_layout){.tp = raw.tp, .dp = raw.dp, .ep = raw.ep, .pp = raw.pp,
                                         .overlap = raw.overlap == 1};
  /* A wrong tp, dp or ep was reported and left at its default: dividing would mislead. */
  bool counts_ok = (!where[SV_TP] || raw.has_tp) && (!where[SV_DP] || raw.has_dp) &&
                   (!where[SV_EP] || raw.has_ep);
  if (counts_ok && (raw.tp * raw.dp) % raw.ep != 0) {
    const tf_ytree_node *v = where[SV_EP]; /* given: the default ep = 1 divides anything */
    assert(v);
    tf_diags_error(d, v->file, v->line, value_col(v),
                   "serving.ep: must divide tp * dp = %lld, got %lld",
                   (long long)(raw.tp * raw.dp), (long long)raw.ep);
  }
  if (where[SV_PRECISION])
    load_precision(where[SV_PRECISION], &out->serving.precision, d);
  if (where[SV_SPECULATION])
    load_speculation(where[SV_SPECULATION], &out->serving.speculation, d);
  if (where[SV_ROUTING])
    load_routing(where[SV_ROUTING], &out->serving.routing, d);
  out->serving.memory_utilisation = raw.memory_utilisation;
  out->serving.max_batch_tokens = raw.max_batch_tokens;
  int rc = 0;
  if (out->n_hardware == 0) {
    if (!hardware_reported)
      tf_diags_error(d, key->file, key->line, key->col,
                     "serving: expected a hardware section listing at least one system for the "
                     "replica to run on");
  } else if (raw.system) {
    rc = resolve_serving_system(out, raw.system, where[SV_SYSTEM], d);
  }
  tf_schema_free(&serving_schema, &raw);
  return rc;
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
  serving_defaults(out);
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
  const tf_ytree_node *hardware = where[TOP_HARDWARE];
  if (hardware)
    rc = load_hardware(hardware, out, &system_at, d);
  if (rc == 0 && where[TOP_SERVING]) {
    const tf_ytree_node *key = key_named(root, "serving"); /* there: where[] came from root */
    assert(key);
    bool hardware_reported = hardware && !tf_ytree_is_null(hardware) &&
                             hardware->kind != TF_YTREE_SEQUENCE;
    rc = load_serving(key, where[TOP_SERVING], hardware_reported, out, d);
  }
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
