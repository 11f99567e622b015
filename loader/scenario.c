/* Scenario loading: read, --set, validate every section against its schema, read the workload's
 * trace and histogram files, build the catalogue, resolve names, cross-field checks, and fill
 * tf_scenario. */
#include "scenario.h"

#include <assert.h>
#include <gsl/gsl_sf_gamma.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "economics.h"
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
       TOP_OVERRIDES, TOP_SITE, TOP_HARDWARE, TOP_MODEL, TOP_QUEUE, TOP_SERVING, TOP_WORKLOAD,
       TOP_FAILURES, TOP_ECONOMICS, TOP_SWEEP, TOP_N };

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
    [TOP_FAILURES] = {.key = "failures", .type = TF_SCHEMA_CUSTOM,
                      .help = "component failures and repairs (gpu, node, rack, link)"},
    [TOP_WORKLOAD] = {.key = "workload", .type = TF_SCHEMA_CUSTOM,
                      .help = "request classes: the traffic the fleet serves"},
    [TOP_ECONOMICS] = {.key = "economics", .type = TF_SCHEMA_CUSTOM,
                       .help = "what the factory costs: own or rent, prices"},
    [TOP_SWEEP] = {.key = "sweep", .type = TF_SCHEMA_CUSTOM,
                   .help = "parameter sweep (tokenfab sweep)"}, /* read by loader/sweep.c */
};
static const tf_schema top_schema = {"scenario", top_fields, TOP_N};

typedef struct site_raw {
  double power_w, pue, price, gpu_cap_w, system_limit_w;
  int64_t period_ns;
  int capping;
  bool has_pue, has_price, has_gpu_cap, has_capping, has_system_limit, has_period;
} site_raw;

/* In tf_power_cap_policy order (models/serving.h). */
static const char *const capping_names[] = {"none", "static", "envelope", "dynamic", NULL};
static_assert(TF_CAP_NONE == 0 && TF_CAP_STATIC == 1 && TF_CAP_ENVELOPE == 2 &&
                  TF_CAP_DYNAMIC == 3 && TF_CAP_COUNT_ == 4,
              "capping_names follows tf_power_cap_policy");

enum { SITE_POWER, SITE_PUE, SITE_PRICE, SITE_CAPPING, SITE_GPU_CAP, SITE_SYSTEM_LIMIT,
       SITE_PERIOD };
static const tf_schema_field site_fields[] = {
    [SITE_POWER] = {.key = "power", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_POWER, .required = true,
     .lo_bound = TF_SCHEMA_EXCLUSIVE, .offset = offsetof(site_raw, power_w),
     .help = "facility power envelope"},
    [SITE_PUE] = {.key = "pue", .type = TF_SCHEMA_CUSTOM,
     .help = "power usage effectiveness: a ratio, or a mapping (PUE by load and temperature)"},
    [SITE_PRICE] = {.key = "electricity_price", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_ENERGY_PRICE,
     .lo_bound = TF_SCHEMA_INCLUSIVE, .offset = offsetof(site_raw, price),
     .present = TF_SCHEMA_FLAG(site_raw, has_price), .help = "price of energy"},
    [SITE_CAPPING] = {.key = "power_capping", .type = TF_SCHEMA_ENUM, .offset = offsetof(site_raw, capping),
     .present = TF_SCHEMA_FLAG(site_raw, has_capping), .names = capping_names,
     .help = "none, static (gpu_power_cap on every GPU), envelope (GPUs share the envelope "
             "equally) or dynamic (power moved to the GPUs that need it)"},
    [SITE_GPU_CAP] = {.key = "gpu_power_cap", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_POWER,
     .lo_bound = TF_SCHEMA_EXCLUSIVE, .offset = offsetof(site_raw, gpu_cap_w),
     .present = TF_SCHEMA_FLAG(site_raw, has_gpu_cap),
     .help = "the per-GPU power limit of static capping"},
    [SITE_SYSTEM_LIMIT] = {.key = "system_power_limit", .type = TF_SCHEMA_QUANTITY,
                           .unit = TF_UNIT_POWER, .lo_bound = TF_SCHEMA_EXCLUSIVE,
                           .offset = offsetof(site_raw, system_limit_w),
                           .present = TF_SCHEMA_FLAG(site_raw, has_system_limit),
                           .help = "power limit of one system (rack power shelves, node PSUs)"},
    [SITE_PERIOD] = {.key = "power_control_period", .type = TF_SCHEMA_TIME_NS,
                     .lo_bound = TF_SCHEMA_EXCLUSIVE, .offset = offsetof(site_raw, period_ns),
                     .present = TF_SCHEMA_FLAG(site_raw, has_period),
                     .help = "how often dynamic capping re-divides the envelope, default 1 s"},
};
enum { SITE_N = sizeof site_fields / sizeof site_fields[0] };
static const tf_schema site_schema = {"site", site_fields, SITE_N};

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
/* vLLM's default max_num_seqs, the running sequences one engine batches (EngineArgs,
 * vllm/engine/arg_utils.py; 256 through v0.6, later versions raise it on large GPUs). */
#define SERVING_MAX_BATCH_SEQS_DEFAULT 256

typedef struct serving_raw {
  char *system;
  char *profile;
  int64_t tp, dp, ep, pp; /* in tf_scenario_layout_key order */
  int overlap;            /* index in bool_names: 0 false, 1 true */
  double memory_utilisation;
  int64_t max_batch_tokens;
  int64_t replicas, max_batch_seqs, prefill_replicas;
  bool has_tp, has_dp, has_ep, has_pp, has_overlap, has_replicas, has_prefill_replicas;
} serving_raw;

static const char *const bool_names[] = {"false", "true", NULL};

/* SV_TP .. SV_PP follow tf_scenario_layout_key, so where[SV_TP + k] is layout key k's value. */
enum { SV_SYSTEM, SV_TP, SV_DP, SV_EP, SV_PP, SV_OVERLAP, SV_PRECISION, SV_SPECULATION,
       SV_ROUTING, SV_MEMORY, SV_MAX_BATCH, SV_REPLICAS, SV_MAX_BATCH_SEQS, SV_PREFILL_REPLICAS,
       SV_PROFILE, SV_DEGRADED, SV_N };
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
    [SV_REPLICAS] = {.key = "replicas", .type = TF_SCHEMA_COUNT, .lo_bound = TF_SCHEMA_INCLUSIVE,
                     .lo = 1, .offset = offsetof(serving_raw, replicas),
                     .present = TF_SCHEMA_FLAG(serving_raw, has_replicas),
                     .help = "replicas in the fleet, default as many as the system's GPUs hold"},
    [SV_MAX_BATCH_SEQS] = {.key = "max_batch_seqs", .type = TF_SCHEMA_COUNT,
                           .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 1,
                           .offset = offsetof(serving_raw, max_batch_seqs),
                           .help = "most sequences one replica runs at once"},
    [SV_PREFILL_REPLICAS] = {.key = "prefill_replicas", .type = TF_SCHEMA_COUNT,
                             .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 1,
                             .offset = offsetof(serving_raw, prefill_replicas),
                             .present = TF_SCHEMA_FLAG(serving_raw, has_prefill_replicas),
                             .help = "disaggregated serving: replicas that only prefill; the "
                                     "rest decode"},
    [SV_PROFILE] = {.key = "profile", .type = TF_SCHEMA_STRING,
                    .offset = offsetof(serving_raw, profile),
                    .help = "a GPU profile: a file relative to this one (.db or profile.csv), "
                            "or a name looked up in $TOKENFAB_PROFILE_PATH and profiles/"},
    [SV_DEGRADED] = {.key = "degraded", .type = TF_SCHEMA_CUSTOM,
                     .help = "the layout a replica that lost GPUs to failures restarts in"},
};
static const tf_schema serving_schema = {"serving", serving_fields, SV_N};

/* serving.degraded: a smaller layout (each count defaults to the replica's) and the restart. */
typedef struct degraded_raw {
  int64_t tp, dp, ep, pp; /* in tf_scenario_layout_key order */
  int64_t restart_ns;
  bool has_tp, has_dp, has_ep, has_pp, has_restart;
} degraded_raw;

enum { DG_TP, DG_DP, DG_EP, DG_PP, DG_RESTART, DG_N };
#define DEGRADED_COUNT(K, HELP)                                                                \
  {.key = #K, .type = TF_SCHEMA_COUNT, .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 1,               \
   .hi_bound = TF_SCHEMA_INCLUSIVE, .hi = SERVING_LAYOUT_MAX,                                  \
   .offset = offsetof(degraded_raw, K), .present = TF_SCHEMA_FLAG(degraded_raw, has_##K),      \
   .help = HELP}
static const tf_schema_field degraded_fields[DG_N] = {
    [DG_TP] = DEGRADED_COUNT(tp, "tensor-parallel GPUs per attention group, default serving's"),
    [DG_DP] = DEGRADED_COUNT(dp, "attention data-parallel groups, default serving's"),
    [DG_EP] = DEGRADED_COUNT(ep, "expert-parallel ranks, default serving's"),
    [DG_PP] = DEGRADED_COUNT(pp, "pipeline stages, default serving's"),
    [DG_RESTART] = {.key = "restart", .type = TF_SCHEMA_TIME_NS, .required = true,
                    .lo_bound = TF_SCHEMA_INCLUSIVE, .offset = offsetof(degraded_raw, restart_ns),
                    .present = TF_SCHEMA_FLAG(degraded_raw, has_restart),
                    .help = "time a replica serves nothing while it restarts in another layout"},
};
static const tf_schema degraded_schema = {"serving.degraded", degraded_fields, DG_N};

/* Precision words, mapped to perf.h's tf_precision by precision_of (a table, so the schema walker
 * can suggest the nearest word; perf.c's tf_precision_parse knows the same words). */
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

/* Whether key k of schema s is used by the chosen kind: a diagnostic either way it is wrong.
 * path names the mapping in messages ("queue.arrival", "workload[2].input"); needs: the kind
 * requires it; uses: the kind reads it; users names the kinds that do, for the message. */
static void check_use(const tf_schema *s, const char *path, size_t k,
                      const tf_ytree_node *section, const tf_ytree_node *const *where, bool uses,
                      bool needs, const char *what, const char *kind, const char *users,
                      tf_diags *d) {
  const tf_ytree_node *v = where[k];
  if (v && !uses)
    tf_diags_error(d, v->file, v->line, v->col,
                   "%s.%s: not used by %s \"%s\" (only %s use%s it)", path, s->fields[k].key,
                   what, kind, users, strchr(users, ' ') ? "" : "s");
  else if (!v && needs)
    tf_diags_error(d, section->file, section->line, section->col,
                   "missing key \"%s\" in %s: %s \"%s\" needs it", s->fields[k].key, path,
                   what, kind);
}

static void load_arrival(const tf_ytree_node *node, tf_dist *out, tf_diags *d) {
  arrival_raw a = {0};
  const tf_ytree_node *where[A_N];
  tf_schema_apply(&arrival_schema, node, "queue.arrival", &a, where, d);
  if (!a.has_process)
    return;
  const char *kind = process_names[a.process];
  check_use(&arrival_schema, arrival_schema.name, A_CV, node, where, a.process == PROC_GAMMA,
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
  const char *path = service_schema.name;
  check_use(&service_schema, path, S_MEAN, node, where, !uniform, !uniform, "distribution", kind,
            "exponential, deterministic, lognormal and gamma", d);
  check_use(&service_schema, path, S_CV, node, where, shaped, shaped, "distribution", kind,
            "lognormal and gamma", d);
  check_use(&service_schema, path, S_MIN, node, where, uniform, uniform, "distribution", kind,
            "uniform", d);
  check_use(&service_schema, path, S_MAX, node, where, uniform, uniform, "distribution", kind,
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

/* ---- site.pue: a ratio, or a model of load and outside temperature (docs/POWER.md) ---- */

static int value_col(const tf_ytree_node *v);

/* `pue: 1.3`, as it was before PUE could be a mapping. */
static const tf_schema_field pue_ratio_field = {
    .key = "pue", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_RATIO,
    .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 1, .offset = offsetof(site_raw, pue),
    .present = TF_SCHEMA_FLAG(site_raw, has_pue), .help = "power usage effectiveness"};

typedef struct pue_raw {
  double at_full_load, at_low_load, low_load, reference_k, per_degree;
  bool has_full, has_at_low, has_low_load, has_reference, has_per_degree;
} pue_raw;

enum { PUE_FULL, PUE_AT_LOW, PUE_LOW_LOAD, PUE_REFERENCE, PUE_PER_DEGREE, PUE_OUTSIDE, PUE_N };
static const tf_schema_field pue_fields[PUE_N] = {
    [PUE_FULL] = {.key = "at_full_load", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_RATIO,
                  .required = true, .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 1,
                  .offset = offsetof(pue_raw, at_full_load),
                  .present = TF_SCHEMA_FLAG(pue_raw, has_full),
                  .help = "PUE with the IT envelope fully used, at the reference temperature"},
    [PUE_AT_LOW] = {.key = "at_low_load", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_RATIO,
                    .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 1,
                    .offset = offsetof(pue_raw, at_low_load),
                    .present = TF_SCHEMA_FLAG(pue_raw, has_at_low),
                    .help = "PUE at the low_load share of the IT envelope"},
    [PUE_LOW_LOAD] = {.key = "low_load", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_RATIO,
                      .lo_bound = TF_SCHEMA_EXCLUSIVE, .lo = 0, .hi_bound = TF_SCHEMA_EXCLUSIVE,
                      .hi = 1, .offset = offsetof(pue_raw, low_load),
                      .present = TF_SCHEMA_FLAG(pue_raw, has_low_load),
                      .help = "the share of the IT envelope where at_low_load holds"},
    [PUE_REFERENCE] = {.key = "reference_temperature", .type = TF_SCHEMA_QUANTITY,
                       .unit = TF_UNIT_TEMPERATURE, .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 0,
                       .offset = offsetof(pue_raw, reference_k),
                       .present = TF_SCHEMA_FLAG(pue_raw, has_reference),
                       .help = "outside temperature up to which cooling needs no extra power"},
    [PUE_PER_DEGREE] = {.key = "per_degree", .type = TF_SCHEMA_QUANTITY,
                        .unit = TF_UNIT_PER_TEMPERATURE, .lo_bound = TF_SCHEMA_INCLUSIVE,
                        .lo = 0, .offset = offsetof(pue_raw, per_degree),
                        .present = TF_SCHEMA_FLAG(pue_raw, has_per_degree),
                        .help = "PUE added per degree of outside temperature above the reference"},
    [PUE_OUTSIDE] = {.key = "outside_temperature", .type = TF_SCHEMA_CUSTOM,
                     .help = "a temperature, or {pieces: [{start, value}], period}"},
};
static const tf_schema pue_schema = {"site.pue", pue_fields, PUE_N};

typedef struct temperature_raw {
  double temperature_k;
  bool has;
} temperature_raw;

/* `outside_temperature: 25 C`. */
static const tf_schema_field temperature_field = {
    .key = "outside_temperature", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_TEMPERATURE,
    .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 0, .offset = offsetof(temperature_raw, temperature_k),
    .present = TF_SCHEMA_FLAG(temperature_raw, has), .help = "the outside temperature"};

typedef struct profile_raw {
  int64_t period_ns;
  bool has_period;
} profile_raw;

enum { PR_PIECES, PR_PERIOD, PR_N };
static const tf_schema_field profile_fields[PR_N] = {
    [PR_PIECES] = {.key = "pieces", .type = TF_SCHEMA_CUSTOM, .required = true,
                   .help = "list of {start, value}: the temperature from each start on"},
    [PR_PERIOD] = {.key = "period", .type = TF_SCHEMA_TIME_NS, .lo_bound = TF_SCHEMA_EXCLUSIVE,
                   .offset = offsetof(profile_raw, period_ns),
                   .present = TF_SCHEMA_FLAG(profile_raw, has_period),
                   .help = "the pieces repeat with this period"},
};
static const tf_schema profile_schema = {"site.pue.outside_temperature", profile_fields, PR_N};

typedef struct temperature_piece_raw {
  int64_t start_ns;
  double temperature_k;
  bool has_start;
} temperature_piece_raw;

enum { TP_START, TP_VALUE, TP_N };
static const tf_schema_field temperature_piece_fields[TP_N] = {
    [TP_START] = {.key = "start", .type = TF_SCHEMA_TIME_NS, .required = true,
                  .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 0,
                  .offset = offsetof(temperature_piece_raw, start_ns),
                  .present = TF_SCHEMA_FLAG(temperature_piece_raw, has_start),
                  .help = "when the piece starts, from the start of the run"},
    [TP_VALUE] = {.key = "value", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_TEMPERATURE,
                  .required = true, .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 0,
                  .offset = offsetof(temperature_piece_raw, temperature_k),
                  .help = "the outside temperature from start on"},
};
static const tf_schema temperature_piece_schema = {"piece", temperature_piece_fields, TP_N};

/* `outside_temperature:` (node, named path) into out->site's profile arrays: one piece from 0 for a
 * scalar, else the mapping's pieces and period. 0 or TF_ENOMEM. */
static int load_outside_temperature(const tf_ytree_node *node, const char *path, tf_scenario *out,
                                    tf_diags *d) {
  tf_pue_model *m = &out->site.pue_model;
  static const char want[] =
      "a temperature such as \"20 C\", or a mapping {pieces: [{start, value}], period}";
  if (node->kind == TF_YTREE_SEQUENCE) {
    tf_diags_error(d, node->file, node->line, node->col, "%s: expected %s, got %s", path, want,
                   tf_ytree_kind_noun(node));
    return 0;
  }
  if (node->kind != TF_YTREE_MAPPING) {
    temperature_raw t = {0};
    if (!tf_schema_apply_field(&temperature_field, node, path, &t, d))
      return 0;
    out->site.temperature_start_ns = calloc(1, sizeof *out->site.temperature_start_ns);
    out->site.temperature_k = calloc(1, sizeof *out->site.temperature_k);
    if (!out->site.temperature_start_ns || !out->site.temperature_k)
      return TF_FAIL(TF_ENOMEM, "%s", path);
    out->site.temperature_k[0] = t.temperature_k;
    m->pieces = 1;
    m->start_ns = out->site.temperature_start_ns;
    m->temperature_k = out->site.temperature_k;
    return 0;
  }
  profile_raw p = {0};
  const tf_ytree_node *where[PR_N];
  tf_schema_apply(&profile_schema, node, path, &p, where, d);
  const tf_ytree_node *pieces = where[PR_PIECES];
  if (!pieces)
    return 0;
  char pieces_path[160];
  tf_schema_join(pieces_path, sizeof pieces_path, path, "pieces");
  if (pieces->kind != TF_YTREE_SEQUENCE || pieces->n == 0) {
    if (tf_ytree_is_null(pieces))
      tf_diags_error(d, pieces->file, pieces->line, pieces->col,
                     "%s: missing value: expected a list of {start, value}", pieces_path);
    else
      tf_diags_error(d, pieces->file, pieces->line, pieces->col,
                     "%s: expected a list of {start, value}, got %s", pieces_path,
                     pieces->kind == TF_YTREE_SEQUENCE ? "an empty list"
                                                       : tf_ytree_kind_noun(pieces));
    return 0;
  }
  size_t n = pieces->n;
  out->site.temperature_start_ns = calloc(n, sizeof *out->site.temperature_start_ns);
  out->site.temperature_k = calloc(n, sizeof *out->site.temperature_k);
  if (!out->site.temperature_start_ns || !out->site.temperature_k)
    return TF_FAIL(TF_ENOMEM, "%s", pieces_path);
  bool starts_ok = true;
  for (size_t i = 0; i < n; i++) {
    char item[192];
    snprintf(item, sizeof item, "%s[%zu]", pieces_path, i);
    temperature_piece_raw tp = {0};
    const tf_ytree_node *at[TP_N];
    tf_schema_apply(&temperature_piece_schema, pieces->items[i], item, &tp, at, d);
    out->site.temperature_start_ns[i] = tp.start_ns;
    out->site.temperature_k[i] = tp.temperature_k;
    if (!tp.has_start) {
      starts_ok = false;
      continue;
    }
    const tf_ytree_node *v = at[TP_START];
    char got[64], prev[64];
    tf_unit_format((double)tp.start_ns * 1e-9, TF_UNIT_TIME, got, sizeof got);
    if (i == 0 && tp.start_ns != 0) {
      tf_diags_error(d, v->file, v->line, value_col(v),
                     "%s.start: must be 0 s (the first piece starts with the run), got %s", item,
                     got);
      starts_ok = false;
    } else if (i > 0 && starts_ok && tp.start_ns <= out->site.temperature_start_ns[i - 1]) {
      tf_unit_format((double)out->site.temperature_start_ns[i - 1] * 1e-9, TF_UNIT_TIME, prev,
                     sizeof prev);
      tf_diags_error(d, v->file, v->line, value_col(v),
                     "%s.start: must be after the previous piece's start (%s), got %s", item,
                     prev, got);
      starts_ok = false;
    }
  }
  int64_t last = out->site.temperature_start_ns[n - 1];
  if (p.has_period && starts_ok && p.period_ns <= last) {
    const tf_ytree_node *v = where[PR_PERIOD];
    char l[64], got[64];
    tf_unit_format((double)last * 1e-9, TF_UNIT_TIME, l, sizeof l);
    tf_unit_format((double)p.period_ns * 1e-9, TF_UNIT_TIME, got, sizeof got);
    tf_diags_error(d, v->file, v->line, value_col(v),
                   "%s.period: must be longer than the last piece's start (%s), got %s", path, l,
                   got);
  }
  m->pieces = n;
  m->start_ns = out->site.temperature_start_ns;
  m->temperature_k = out->site.temperature_k;
  m->period_ns = p.has_period ? p.period_ns : 0;
  return 0;
}

/* `pue:` as a mapping (node) into out->site.pue_model, with the rules between its keys. 0 or
 * TF_ENOMEM. */
static int load_pue_model(const tf_ytree_node *node, tf_scenario *out, tf_diags *d) {
  static const char path[] = "site.pue";
  pue_raw p = {0};
  const tf_ytree_node *where[PUE_N];
  tf_schema_apply(&pue_schema, node, path, &p, where, d);
  tf_pue_model *m = &out->site.pue_model;
  *m = (tf_pue_model){.at_full_load = p.has_full ? p.at_full_load : 1};
  /* at_low_load and low_load come together. */
  if (where[PUE_AT_LOW] && !where[PUE_LOW_LOAD])
    tf_diags_error(d, node->file, node->line, node->col,
                   "missing key \"low_load\" in %s: at_low_load needs it (the load share where "
                   "it holds)",
                   path);
  else if (where[PUE_LOW_LOAD] && !where[PUE_AT_LOW])
    tf_diags_error(d, node->file, node->line, node->col,
                   "missing key \"at_low_load\" in %s: low_load needs it (the PUE there)", path);
  if (p.has_full && p.has_at_low && p.has_low_load) {
    const tf_ytree_node *v = where[PUE_AT_LOW];
    double most = 1 + (p.at_full_load - 1) / p.low_load;
    char low[64];
    tf_unit_format(p.low_load * 100, TF_UNIT_RATIO, low, sizeof low);
    if (p.at_low_load < p.at_full_load)
      tf_diags_error(d, v->file, v->line, value_col(v),
                     "%s.at_low_load: must be >= at_full_load (%g): a facility's fixed overhead "
                     "weighs more at low load, got %g",
                     path, p.at_full_load, p.at_low_load);
    else if (p.at_low_load > most * (1 + 1e-12)) /* as tf_pue_check: rounding at the limit */
      tf_diags_error(d, v->file, v->line, value_col(v),
                     "%s.at_low_load: must be <= %.6g with at_full_load %g at low_load %s %%: "
                     "more would make the fixed overhead exceed the whole overhead at full load, "
                     "got %g",
                     path, most, p.at_full_load, low, p.at_low_load);
    m->at_low_load = p.at_low_load;
    m->low_load = p.low_load;
  }
  /* per_degree needs a reference and a temperature; they are not used without it. */
  static const int temperature_keys[] = {PUE_REFERENCE, PUE_OUTSIDE};
  for (size_t i = 0; i < sizeof temperature_keys / sizeof temperature_keys[0]; i++) {
    int k = temperature_keys[i];
    if (where[PUE_PER_DEGREE] && !where[k])
      tf_diags_error(d, node->file, node->line, node->col,
                     "missing key \"%s\" in %s: per_degree needs it", pue_fields[k].key, path);
    else if (!where[PUE_PER_DEGREE] && where[k])
      tf_diags_error(d, where[k]->file, where[k]->line, where[k]->col,
                     "%s.%s: not used without per_degree (the PUE added per degree above the "
                     "reference)",
                     path, pue_fields[k].key);
  }
  int rc = 0;
  if (where[PUE_OUTSIDE] && where[PUE_PER_DEGREE])
    rc = load_outside_temperature(where[PUE_OUTSIDE], "site.pue.outside_temperature", out, d);
  if (p.has_per_degree && p.has_reference && m->pieces > 0) {
    m->per_degree = p.per_degree;
    m->reference_k = p.reference_k;
  }
  return rc;
}

/* `pue:` (value node v): a ratio, or a mapping. Fills out->site.pue and pue_model. 0 or
 * TF_ENOMEM. */
static int load_pue(const tf_ytree_node *v, tf_scenario *out, tf_diags *d) {
  if (v->kind == TF_YTREE_MAPPING) {
    int rc = load_pue_model(v, out, d);
    out->site.pue = out->site.pue_model.at_full_load;
    return rc;
  }
  site_raw s = {0};
  if (v->kind == TF_YTREE_SEQUENCE)
    tf_diags_error(d, v->file, v->line, v->col,
                   "site.pue: expected a ratio such as \"1.3\", or a mapping with at_full_load, "
                   "got %s",
                   tf_ytree_kind_noun(v));
  else
    tf_schema_apply_field(&pue_ratio_field, v, "site.pue", &s, d);
  out->site.pue = s.has_pue ? s.pue : 1.0;
  out->site.pue_model = (tf_pue_model){.at_full_load = out->site.pue};
  return 0;
}

static int load_site(const tf_ytree_node *node, tf_scenario *out, tf_diags *d) {
  site_raw s = {0};
  const tf_ytree_node *where[SITE_N];
  tf_schema_apply(&site_schema, node, "site", &s, where, d);
  out->site.present = true;
  out->site.capping = s.has_capping ? (tf_power_cap_policy)s.capping : TF_CAP_NONE;
  out->site.gpu_cap_w = s.has_gpu_cap ? s.gpu_cap_w : 0;
  out->site.system_limit_w = s.has_system_limit ? s.system_limit_w : 0;
  const tf_ytree_node *cap = where[SITE_GPU_CAP];
  bool is_static = s.has_capping && s.capping == TF_CAP_STATIC;
  if (is_static && !cap)
    tf_diags_error(d, node->file, node->line, node->col,
                   "missing key \"gpu_power_cap\" in site: power_capping \"static\" needs it");
  else if (cap && !is_static)
    tf_diags_error(d, cap->file, cap->line, cap->col,
                   "site.gpu_power_cap: not used unless power_capping is \"static\"");
  const tf_ytree_node *period = where[SITE_PERIOD];
  bool is_dynamic = s.has_capping && s.capping == TF_CAP_DYNAMIC;
  if (period && !is_dynamic)
    tf_diags_error(d, period->file, period->line, period->col,
                   "site.power_control_period: not used unless power_capping is \"dynamic\"");
  out->site.cap_period_ns =
      !is_dynamic ? 0 : s.has_period ? s.period_ns : TF_CAP_PERIOD_DEFAULT_NS;
  out->site.power_w = s.power_w;
  out->site.has_electricity_price = s.has_price;
  out->site.electricity_usd_per_j = s.has_price ? s.price : 0;
  out->site.pue = 1.0;
  out->site.pue_model = (tf_pue_model){.at_full_load = 1.0};
  return where[SITE_PUE] ? load_pue(where[SITE_PUE], out, d) : 0;
}

/* ---- failures ---- */

/* failures: {gpu: {...}, node: {...}, rack: {...}, link: {...}, crews: N}: the class keys in
 * tf_failure_component order, then the shared repair team. */
enum { FAILURES_CREWS = TF_FAILURE_COMPONENTS_, FAILURES_N };

typedef struct failures_raw {
  int64_t crews;
  bool has_crews;
} failures_raw;

static const tf_schema_field failures_fields[] = {
    {.key = "gpu", .type = TF_SCHEMA_CUSTOM, .help = "each GPU"},
    {.key = "node", .type = TF_SCHEMA_CUSTOM, .help = "each node (host)"},
    {.key = "rack", .type = TF_SCHEMA_CUSTOM, .help = "each rack or scale-up domain"},
    {.key = "link", .type = TF_SCHEMA_CUSTOM, .help = "each GPU's scale-out link"},
    [FAILURES_CREWS] = {.key = "crews", .type = TF_SCHEMA_COUNT, .lo_bound = TF_SCHEMA_INCLUSIVE,
                        .lo = 1, .offset = offsetof(failures_raw, crews),
                        .present = TF_SCHEMA_FLAG(failures_raw, has_crews),
                        .help = "one team of this many crews repairs every class, default a "
                                "line per class"},
};
static_assert(sizeof failures_fields / sizeof failures_fields[0] == FAILURES_N,
              "one key per tf_failure_component, then crews");
static const tf_schema failures_schema = {"failures", failures_fields, FAILURES_N};

typedef struct failure_raw {
  double mtbf_s, shape, repair_s, swap_s;
  int64_t spares, crews;
  bool has_mtbf, has_shape, has_repair, has_swap, has_spares, has_crews;
} failure_raw;

static const tf_schema_field failure_fields[] = {
    {.key = "mtbf", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_TIME,
     .lo_bound = TF_SCHEMA_EXCLUSIVE, .offset = offsetof(failure_raw, mtbf_s),
     .present = TF_SCHEMA_FLAG(failure_raw, has_mtbf),
     .help = "mean time between failures of one instance"},
    {.key = "weibull_shape", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_RATIO,
     .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 0.05, .hi_bound = TF_SCHEMA_INCLUSIVE, .hi = 50,
     .offset = offsetof(failure_raw, shape), .present = TF_SCHEMA_FLAG(failure_raw, has_shape),
     .help = "Weibull times to failure with this shape (mean mtbf) instead of exponential"},
    {.key = "repair", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_TIME,
     .lo_bound = TF_SCHEMA_EXCLUSIVE, .offset = offsetof(failure_raw, repair_s),
     .present = TF_SCHEMA_FLAG(failure_raw, has_repair),
     .help = "mean repair time (lognormal, cv 1)"},
    {.key = "swap", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_TIME,
     .lo_bound = TF_SCHEMA_INCLUSIVE, .offset = offsetof(failure_raw, swap_s),
     .present = TF_SCHEMA_FLAG(failure_raw, has_swap), .help = "time to swap in a spare"},
    {.key = "spares", .type = TF_SCHEMA_COUNT, .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 0,
     .offset = offsetof(failure_raw, spares), .present = TF_SCHEMA_FLAG(failure_raw, has_spares),
     .help = "spare parts on site"},
    {.key = "crews", .type = TF_SCHEMA_COUNT, .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 1,
     .offset = offsetof(failure_raw, crews), .present = TF_SCHEMA_FLAG(failure_raw, has_crews),
     .help = "repairs in parallel, default unlimited"},
};
static const tf_schema failure_schema = {"failure", failure_fields,
                                         sizeof failure_fields / sizeof failure_fields[0]};

/* Reads `failures:`: each named component class gets the defaults of docs/FAILURES.md with the
 * keys given replacing them; counts are set by the caller once the fleet is known (0 here). With
 * a shared team (`crews` beside the classes) a class cannot have crews of its own, and the team
 * needs a class to repair. */
static int load_failures(const tf_ytree_node *node, tf_scenario *out, tf_diags *d) {
  const tf_ytree_node *where[FAILURES_N];
  failures_raw team = {0};
  tf_schema_apply(&failures_schema, node, "failures", &team, where, d);
  out->failure_crews = team.has_crews ? team.crews : 0;
  out->failures = calloc(TF_FAILURE_COMPONENTS_, sizeof *out->failures);
  if (!out->failures)
    return TF_FAIL(TF_ENOMEM, "failure classes");
  for (int k = 0; k < TF_FAILURE_COMPONENTS_; k++) {
    if (!where[k])
      continue;
    char path[64];
    snprintf(path, sizeof path, "failures.%s", failures_fields[k].key);
    failure_raw raw = {0};
    tf_schema_apply(&failure_schema, where[k], path, &raw, NULL, d);
    const tf_ytree_node *own = tf_ytree_get(where[k], "crews");
    if (own && where[FAILURES_CREWS])
      tf_diags_error(d, own->file, own->line, value_col(own),
                     "%s.crews: a class cannot have its own crews when failures.crews sets a "
                     "shared team (give one or the other)",
                     path);
    tf_failure_class fc;
    if (tf_failure_class_default((tf_failure_component)k, 1, &fc) != 0)
      return TF_FAIL(TF_EINVAL, "no failure defaults for %s", path);
    double mtbf = raw.has_mtbf ? raw.mtbf_s : tf_failure_ttf_mean_s(&fc.ttf);
    if (raw.has_shape)
      fc.ttf = tf_failure_ttf_weibull(raw.shape, mtbf / gsl_sf_gamma(1 + 1 / raw.shape));
    else if (raw.has_mtbf)
      fc.ttf = tf_failure_ttf_mtbf(raw.mtbf_s);
    if (raw.has_repair)
      fc.repair.time.mean = raw.repair_s;
    if (raw.has_swap)
      fc.repair.swap_s = raw.swap_s;
    if (raw.has_spares)
      fc.repair.spares = raw.spares;
    if (raw.has_crews)
      fc.repair.crews = raw.crews;
    fc.count = 0;
    out->failures[out->n_failures++] = fc;
  }
  const tf_ytree_node *crews = where[FAILURES_CREWS];
  if (crews && out->n_failures == 0)
    tf_diags_error(d, crews->file, crews->line, value_col(crews),
                   "failures.crews: not used without a failure class (gpu, node, rack or link)");
  return 0;
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
  out->serving.max_batch_seqs = SERVING_MAX_BATCH_SEQS_DEFAULT;
  out->serving.replicas = 0; /* resolve_fleet fills it once the catalogue is read */
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
  if (!tf_schema_scalar(v, path, want, d))
    return;
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

/* What resolve_fleet needs to know from the sections, once the catalogue is read. */
typedef struct fleet_check {
  const tf_ytree_node *section_at;  /* the `serving` key; NULL when the section is absent */
  const tf_ytree_node *replicas_at; /* the replicas value when written and valid, else NULL */
  const tf_ytree_node *prefill_at;  /* the prefill_replicas value when written and valid */
  const tf_ytree_node *workload_at; /* the `workload` key; NULL when the section is absent */
  bool unknown; /* tp, dp, pp or replicas was written wrong (reported): the fleet is unknown */
} fleet_check;

/* Whether a serving.profile value names a file rather than a profile to look up by name: it has
 * a folder in it, or a profile file's extension (docs/CALIBRATION.md, "Using a profile"). */
static bool profile_names_file(const char *value) {
  static const char *const extensions[] = {".db", ".csv"};
  size_t n = strlen(value);
  if (strchr(value, '/'))
    return true;
  for (size_t i = 0; i < sizeof extensions / sizeof *extensions; i++) {
    size_t e = strlen(extensions[i]);
    if (n >= e && strcmp(value + n - e, extensions[i]) == 0)
      return true;
  }
  return false;
}

/* serving.profile, its value at v: taken from *raw (the scenario owns it after) with where it was
 * written, and for a file (profile_names_file) its path relative to the scenario file, as `file:`
 * keys are. The name lookup and the reading are the caller's. 0 or TF_ENOMEM. */
static int load_profile(const tf_ytree_node *v, char **raw, tf_scenario *out, tf_diags *d) {
  if (!**raw) {
    tf_diags_error(d, v->file, v->line, value_col(v),
                   "serving.profile: expected a profile file or name, got an empty string");
    return 0;
  }
  out->serving.profile = *raw;
  *raw = NULL;
  out->serving.profile_origin = origin_of(out, v);
  out->serving.profile_origin.col = value_col(v);
  if (!profile_names_file(out->serving.profile))
    return 0;
  out->serving.profile_file = relative_to(out->path, out->serving.profile);
  return out->serving.profile_file ? 0 : TF_FAIL(TF_ENOMEM, "serving.profile");
}

/* Validates `serving:` (key: the `serving` key node; node: its value) into out->serving, whose
 * defaults are already set. Needs out->hardware. hardware_reported: `hardware:` was malformed and
 * said so, so its emptiness is not news. fleet receives what resolve_fleet needs. 0 or
 * TF_ENOMEM. */
/* serving.degraded, after serving's own layout: fewer GPUs than a replica, ep dividing tp * dp. */
static void load_degraded(const tf_ytree_node *node, tf_scenario *out, tf_diags *d) {
  const tf_perf_layout *full = &out->serving.layout;
  degraded_raw raw = {.tp = full->tp, .dp = full->dp, .ep = full->ep, .pp = full->pp};
  const tf_ytree_node *where[DG_N];
  tf_schema_apply(&degraded_schema, node, "serving.degraded", &raw, where, d);
  const bool given[] = {raw.has_tp, raw.has_dp, raw.has_ep, raw.has_pp};
  for (int k = DG_TP; k <= DG_PP; k++)
    if (where[k] && !given[k])
      return; /* a count was wrong (reported): the checks below would mislead */
  if (node->kind != TF_YTREE_MAPPING)
    return; /* reported */
  int64_t gpus = raw.tp * raw.dp * raw.pp, replica = full->tp * full->dp * full->pp;
  if (gpus >= replica)
    tf_diags_error(d, node->file, node->line, node->col,
                   "serving.degraded: must use fewer GPUs than a replica (tp x dp x pp = %lld), "
                   "got %lld",
                   (long long)replica, (long long)gpus);
  else if ((raw.tp * raw.dp) % raw.ep != 0)
    tf_diags_error(d, node->file, node->line, node->col,
                   "serving.degraded.ep: must divide tp * dp = %lld, got %lld%s",
                   (long long)(raw.tp * raw.dp), (long long)raw.ep,
                   raw.has_ep ? "" : " (serving's ep, the default: give degraded.ep)");
  out->serving.degraded.present = true;
  out->serving.degraded.layout = (tf_perf_layout){
      .tp = raw.tp, .dp = raw.dp, .ep = raw.ep, .pp = raw.pp, .overlap = full->overlap};
  out->serving.degraded.restart_ns = raw.restart_ns;
  out->serving.degraded.origin = origin_of(out, node);
}

static int load_serving(const tf_ytree_node *key, const tf_ytree_node *node,
                        bool hardware_reported, tf_scenario *out, fleet_check *fleet,
                        tf_diags *d) {
  serving_raw raw = {.tp = 1, .dp = 1, .ep = 1, .pp = 1,
                     .memory_utilisation = SERVING_MEMORY_UTILISATION_DEFAULT,
                     .max_batch_tokens = SERVING_MAX_BATCH_TOKENS_DEFAULT,
                     .max_batch_seqs = SERVING_MAX_BATCH_SEQS_DEFAULT};
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
  out->serving.max_batch_seqs = raw.max_batch_seqs;
  if (where[SV_DEGRADED])
    load_degraded(where[SV_DEGRADED], out, d);
  int rc = raw.profile ? load_profile(where[SV_PROFILE], &raw.profile, out, d) : 0;
  fleet->section_at = key;
  if (raw.has_prefill_replicas) {
    out->serving.prefill_replicas = raw.prefill_replicas;
    fleet->prefill_at = where[SV_PREFILL_REPLICAS];
  }
  if (raw.has_replicas) {
    out->serving.replicas = raw.replicas;
    out->serving.replicas_origin = origin_of(out, where[SV_REPLICAS]);
    fleet->replicas_at = where[SV_REPLICAS];
  }
  fleet->unknown = (where[SV_TP] && !raw.has_tp) || (where[SV_DP] && !raw.has_dp) ||
                   (where[SV_PP] && !raw.has_pp) || (where[SV_REPLICAS] && !raw.has_replicas);
  if (out->n_hardware == 0) {
    if (!hardware_reported)
      tf_diags_error(d, key->file, key->line, key->col,
                     "serving: expected a hardware section listing at least one system for the "
                     "replica to run on");
  } else if (raw.system && rc == 0) {
    rc = resolve_serving_system(out, raw.system, where[SV_SYSTEM], d);
  }
  tf_schema_free(&serving_schema, &raw);
  return rc;
}

/* ---- fleet ---- */

/* Fills out->serving.replicas once the catalogue has resolved the serving system: the written
 * count, or as many replicas as the system's GPUs hold. When replicas was written or a workload
 * is to be served, a fleet that does not fit the hardware is an error: at `replicas` when
 * written, else at `serving` (or at `workload` when the section is absent). */
static void resolve_fleet_count(tf_scenario *out, const fleet_check *fleet, tf_diags *d);

/* The fleet's replica count, then the prefill pool's share of it. */
static void resolve_fleet(tf_scenario *out, const fleet_check *fleet, tf_diags *d) {
  resolve_fleet_count(out, fleet, d);
  const tf_ytree_node *v = fleet->prefill_at;
  if (v && !fleet->unknown && out->serving.replicas > 0 &&
      out->serving.prefill_replicas >= out->serving.replicas)
    tf_diags_error(d, v->file, v->line, value_col(v),
                   "serving.prefill_replicas: must be < replicas (%lld), leaving at least one "
                   "replica to decode, got %lld",
                   (long long)out->serving.replicas, (long long)out->serving.prefill_replicas);
}

static void resolve_fleet_count(tf_scenario *out, const fleet_check *fleet, tf_diags *d) {
  if (fleet->unknown || out->n_hardware == 0)
    return;
  const size_t index = out->serving.hardware_index;
  const tf_scenario_hardware *hw = &out->hardware[index];
  if (!hw->entry || hw->count < 1)
    return; /* an unknown system or a wrong count: reported */
  const tf_catalog_system *sys = hw->entry;
  const tf_ytree_node *at = fleet->section_at ? fleet->section_at : fleet->workload_at;
  if (!sys->has.gpus || sys->gpus < 1) {
    if (!fleet->replicas_at && fleet->workload_at)
      tf_diags_error(d, at->file, at->line, at->col,
                     "serving.replicas: no default: system \"%s\" gives no gpus in the "
                     "catalogue (expected a replicas count, or gpus in the system's entry)",
                     hw->system);
    return;
  }
  const tf_perf_layout *l = &out->serving.layout;
  const int64_t per_replica = l->tp * l->dp * l->pp; /* <= 4096^3: exact */
  const int64_t gpus = hw->count > INT64_MAX / sys->gpus ? INT64_MAX : hw->count * sys->gpus;
  const int64_t fit = gpus / per_replica;
  if (fleet->replicas_at) {
    if (out->serving.replicas > fit) {
      const tf_ytree_node *v = fleet->replicas_at;
      tf_diags_error(d, v->file, v->line, value_col(v),
                     "serving.replicas: must be <= %lld, the replicas of tp x dp x pp = %lld "
                     "GPUs that hardware[%zu] holds (%lld x %s: %lld GPUs), got %lld",
                     (long long)fit, (long long)per_replica, index, (long long)hw->count,
                     hw->system, (long long)gpus, (long long)out->serving.replicas);
    }
    return;
  }
  out->serving.replicas = fit;
  if (fit == 0 && fleet->workload_at)
    tf_diags_error(d, at->file, at->line, at->col,
                   "serving: a replica needs tp x dp x pp = %lld GPUs, but hardware[%zu] has "
                   "%lld (%lld x %s)",
                   (long long)per_replica, index, (long long)gpus, (long long)hw->count,
                   hw->system);
}

/* ---- workload ---- */

/* The traffic model's words and the router policies', in their enums' order (workload_words_ok
 * checks them against the models' own names). */
static const char *const traffic_names[] = {"poisson", "gamma", "piecewise", "trace", NULL};
static const char *const length_names[] = {"fixed", "uniform", "lognormal", "empirical", NULL};
static const char *const router_names[] = {"round_robin", "least_work", "power_of_two", NULL};
static_assert(TF_TRAFFIC_POISSON == 0 && TF_TRAFFIC_GAMMA == 1 && TF_TRAFFIC_PIECEWISE == 2 &&
                  TF_TRAFFIC_TRACE == 3,
              "traffic_names follows tf_traffic_kind");
static_assert(TF_LENGTH_FIXED == 0 && TF_LENGTH_UNIFORM == 1 && TF_LENGTH_LOGNORMAL == 2 &&
                  TF_LENGTH_EMPIRICAL == 3,
              "length_names follows tf_length_kind");
static_assert(TF_ROUTER_ROUND_ROBIN == 0 && TF_ROUTER_LEAST_WORK == 1 &&
                  TF_ROUTER_POWER_OF_TWO == 2 && TF_ROUTER_COUNT_ == 3,
              "router_names follows tf_router_policy: a new policy needs a word here");

#ifndef NDEBUG
/* True if the word tables above spell what the models call their kinds; for an assert. */
static bool workload_words_ok(void) {
  for (int i = 0; traffic_names[i]; i++)
    if (strcmp(traffic_names[i], tf_traffic_kind_name((tf_traffic_kind)i)) != 0)
      return false;
  for (int i = 0; length_names[i]; i++)
    if (strcmp(length_names[i], tf_length_kind_name((tf_length_kind)i)) != 0)
      return false;
  for (int i = 0; router_names[i]; i++)
    if (strcmp(router_names[i], tf_router_policy_name((tf_router_policy)i)) != 0)
      return false;
  return true;
}
#endif

/* Lognormal lengths' cv bound: tf_length_check's (models/traffic.h). */
#define LENGTH_CV_MAX 100.0
/* traffic.c refuses a trace whose scaled span reaches 2^62 ns (about 146 years). */
#define TRACE_SCALED_SPAN_MAX_NS 0x1p62

typedef struct class_raw {
  char *name;
  double prefix_hit;
  int router; /* tf_router_policy */
} class_raw;

enum { CL_NAME, CL_ARRIVAL, CL_INPUT, CL_OUTPUT, CL_PREFIX_HIT, CL_SLO, CL_ROUTER, CL_N };
static const tf_schema_field class_fields[CL_N] = {
    [CL_NAME] = {.key = "name", .type = TF_SCHEMA_STRING, .required = true,
                 .offset = offsetof(class_raw, name), .help = "the class's name, unique"},
    [CL_ARRIVAL] = {.key = "arrival", .type = TF_SCHEMA_CUSTOM, .required = true,
                    .help = "when requests arrive"},
    [CL_INPUT] = {.key = "input", .type = TF_SCHEMA_CUSTOM,
                  .help = "prompt tokens (a trace gives them)"},
    [CL_OUTPUT] = {.key = "output", .type = TF_SCHEMA_CUSTOM,
                   .help = "generated tokens (a trace gives them)"},
    [CL_PREFIX_HIT] = {.key = "prefix_hit", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_RATIO,
                       .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 0, .hi_bound = TF_SCHEMA_EXCLUSIVE,
                       .hi = 1, .offset = offsetof(class_raw, prefix_hit),
                       .help = "share of each prompt already in the prefix cache"},
    [CL_SLO] = {.key = "slo", .type = TF_SCHEMA_CUSTOM, .help = "latency targets"},
    [CL_ROUTER] = {.key = "router", .type = TF_SCHEMA_ENUM, .offset = offsetof(class_raw, router),
                   .names = router_names, .help = "how a request picks its replica"},
};
static const tf_schema class_schema = {"workload item", class_fields, CL_N};

typedef struct traffic_raw {
  int process; /* tf_traffic_kind */
  double rate_per_s, cv, time_scale;
  int64_t period_ns;
  char *file;
  int loop; /* index in bool_names */
  bool has_process, has_rate, has_cv, has_period, has_time_scale, has_loop;
} traffic_raw;

enum { TR_PROCESS, TR_RATE, TR_CV, TR_PIECES, TR_PERIOD, TR_FILE, TR_TIME_SCALE, TR_LOOP, TR_N };
static const tf_schema_field traffic_fields[TR_N] = {
    [TR_PROCESS] = {.key = "process", .type = TF_SCHEMA_ENUM, .required = true,
                    .offset = offsetof(traffic_raw, process),
                    .present = TF_SCHEMA_FLAG(traffic_raw, has_process), .names = traffic_names,
                    .help = "the arrival process"},
    [TR_RATE] = {.key = "rate", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_RATE,
                 .lo_bound = TF_SCHEMA_EXCLUSIVE, .lo = 0, .hi_bound = TF_SCHEMA_INCLUSIVE,
                 .hi = TF_TRAFFIC_MAX_RATE_PER_S, .offset = offsetof(traffic_raw, rate_per_s),
                 .present = TF_SCHEMA_FLAG(traffic_raw, has_rate), .help = "mean arrival rate"},
    [TR_CV] = {.key = "cv", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_RATIO,
               .lo_bound = TF_SCHEMA_EXCLUSIVE, .lo = 0, .hi_bound = TF_SCHEMA_INCLUSIVE,
               .hi = TF_TRAFFIC_MAX_CV, .offset = offsetof(traffic_raw, cv),
               .present = TF_SCHEMA_FLAG(traffic_raw, has_cv),
               .help = "coefficient of variation of the gaps between arrivals"},
    [TR_PIECES] = {.key = "pieces", .type = TF_SCHEMA_CUSTOM,
                   .help = "list of {start, rate}: the rate from each start on"},
    [TR_PERIOD] = {.key = "period", .type = TF_SCHEMA_TIME_NS, .lo_bound = TF_SCHEMA_EXCLUSIVE,
                   .offset = offsetof(traffic_raw, period_ns),
                   .present = TF_SCHEMA_FLAG(traffic_raw, has_period),
                   .help = "the pieces repeat with this period"},
    [TR_FILE] = {.key = "file", .type = TF_SCHEMA_STRING, .offset = offsetof(traffic_raw, file),
                 .help = "trace CSV, relative to the scenario file"},
    [TR_TIME_SCALE] = {.key = "time_scale", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_RATIO,
                       .lo_bound = TF_SCHEMA_EXCLUSIVE, .lo = 0,
                       .offset = offsetof(traffic_raw, time_scale),
                       .present = TF_SCHEMA_FLAG(traffic_raw, has_time_scale),
                       .help = "trace times are multiplied by this (0.5: twice as fast)"},
    [TR_LOOP] = {.key = "loop", .type = TF_SCHEMA_ENUM, .offset = offsetof(traffic_raw, loop),
                 .present = TF_SCHEMA_FLAG(traffic_raw, has_loop), .names = bool_names,
                 .help = "the trace repeats after its last row"},
};
static const tf_schema traffic_schema = {"workload item's arrival", traffic_fields, TR_N};

typedef struct piece_raw {
  int64_t start_ns;
  double rate_per_s;
  bool has_start;
} piece_raw;

enum { PC_START, PC_RATE, PC_N };
static const tf_schema_field piece_fields[PC_N] = {
    [PC_START] = {.key = "start", .type = TF_SCHEMA_TIME_NS, .required = true,
                  .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 0, .offset = offsetof(piece_raw, start_ns),
                  .present = TF_SCHEMA_FLAG(piece_raw, has_start),
                  .help = "when the piece starts, from the process start"},
    [PC_RATE] = {.key = "rate", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_RATE, .required = true,
                 .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 0, .hi_bound = TF_SCHEMA_INCLUSIVE,
                 .hi = TF_TRAFFIC_MAX_RATE_PER_S, .offset = offsetof(piece_raw, rate_per_s),
                 .help = "arrival rate from start on, 0 for none"},
};
static const tf_schema piece_schema = {"piece", piece_fields, PC_N};

typedef struct length_raw {
  int distribution; /* tf_length_kind */
  int64_t value, min, max, cap;
  double cv;
  char *file;
  bool has_distribution, has_min, has_max, has_cap;
} length_raw;

enum { LN_DISTRIBUTION, LN_VALUE, LN_MIN, LN_MAX, LN_MEAN, LN_CV, LN_FILE, LN_CAP, LN_N };
#define LENGTH_TOKENS(K, FLAG, HELP)                                                           \
  {.key = #K, .type = TF_SCHEMA_COUNT, .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = 1,               \
   .hi_bound = TF_SCHEMA_INCLUSIVE, .hi = (double)TF_LENGTH_MAX_TOKENS,                        \
   .offset = offsetof(length_raw, K), .present = FLAG, .help = HELP}
static const tf_schema_field length_fields[LN_N] = {
    [LN_DISTRIBUTION] = {.key = "distribution", .type = TF_SCHEMA_ENUM, .required = true,
                         .offset = offsetof(length_raw, distribution),
                         .present = TF_SCHEMA_FLAG(length_raw, has_distribution),
                         .names = length_names, .help = "the shape of the lengths"},
    [LN_VALUE] = LENGTH_TOKENS(value, 0, "every request's length"),
    [LN_MIN] = LENGTH_TOKENS(min, TF_SCHEMA_FLAG(length_raw, has_min), "shortest, inclusive"),
    [LN_MAX] = LENGTH_TOKENS(max, TF_SCHEMA_FLAG(length_raw, has_max), "longest, inclusive"),
    [LN_MEAN] = {.key = "mean", .type = TF_SCHEMA_CUSTOM, .help = "mean tokens, not rounded"},
    [LN_CV] = {.key = "cv", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_RATIO,
               .lo_bound = TF_SCHEMA_EXCLUSIVE, .lo = 0, .hi_bound = TF_SCHEMA_INCLUSIVE,
               .hi = LENGTH_CV_MAX, .offset = offsetof(length_raw, cv),
               .help = "coefficient of variation"},
    [LN_FILE] = {.key = "file", .type = TF_SCHEMA_STRING, .offset = offsetof(length_raw, file),
                 .help = "histogram CSV (lo,hi,weight), relative to the scenario file"},
    [LN_CAP] = LENGTH_TOKENS(cap, TF_SCHEMA_FLAG(length_raw, has_cap),
                             "longest length drawn; longer draws are cut to it"),
};
static const tf_schema length_schema = {"length", length_fields, LN_N};

typedef struct slo_raw {
  int64_t ttft_ns, tpot_ns;
} slo_raw;

static const tf_schema_field slo_fields[] = {
    {.key = "ttft", .type = TF_SCHEMA_TIME_NS, .lo_bound = TF_SCHEMA_EXCLUSIVE,
     .offset = offsetof(slo_raw, ttft_ns), .help = "time to first token"},
    {.key = "tpot", .type = TF_SCHEMA_TIME_NS, .lo_bound = TF_SCHEMA_EXCLUSIVE,
     .offset = offsetof(slo_raw, tpot_ns), .help = "time per output token after the first"},
};
static const tf_schema slo_schema = {"slo", slo_fields, 2};

/* The traffic loaders' report callback: each problem into the tf_diags ctx at the CSV's file and
 * line (column 0: the loaders count lines, not columns). */
static void report_csv_problem(void *ctx, const char *file, int line, const char *msg) {
  tf_diags_error(ctx, file, line, 0, "%s", msg);
}

/* The path of the CSV file named by the scalar at (a `file:` value), relative to the scenario
 * file, into *file (free it); *file is NULL when it cannot be opened or is a folder, which is
 * reported at `at`: the loaders would report it at the CSV's own name, which does not say where
 * the scenario named it. 0 or TF_ENOMEM. */
static int find_csv(const tf_scenario *out, const tf_ytree_node *at, const char *path,
                    char **file, tf_diags *d) {
  *file = relative_to(out->path, at->text);
  if (!*file)
    return TF_FAIL(TF_ENOMEM, "%s", path);
  FILE *f = fopen(*file, "rb");
  struct stat st;
  int why = !f ? errno : fstat(fileno(f), &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
  if (f)
    fclose(f);
  if (why) {
    tf_diags_error(d, at->file, at->line, value_col(at), "%s: cannot open \"%s\": %s", path,
                   *file, strerror(why));
    free(*file);
    *file = NULL;
  }
  return 0;
}

/* After a loader failed with rc: TF_ENOMEM is the caller's; any other failure has been reported
 * through report_csv_problem, unless the loader said nothing (then its reason goes at `at`). */
static int csv_failed(int rc, size_t errors_before, const tf_ytree_node *at, const char *path,
                      tf_diags *d) {
  if (rc == TF_ENOMEM)
    return rc;
  if (tf_diags_error_count(d) == errors_before)
    tf_diags_error(d, at->file, at->line, value_col(at), "%s: %s", path, tf_err_reason());
  return 0;
}

/* `pieces:` (node, named path) into c's piece arrays. *last_start receives the last piece's start
 * when every start is valid, else -1. 0 or TF_ENOMEM. */
static int load_pieces(const tf_ytree_node *node, const char *path, tf_scenario_class *c,
                       int64_t *last_start, tf_diags *d) {
  *last_start = -1;
  static const char want[] = "a list of {start, rate}";
  if (tf_ytree_is_null(node)) {
    tf_diags_error(d, node->file, node->line, node->col, "%s: missing value: expected %s", path,
                   want);
    return 0;
  }
  if (node->kind != TF_YTREE_SEQUENCE || node->n == 0) {
    tf_diags_error(d, node->file, node->line, node->col, "%s: expected %s, got %s", path, want,
                   node->kind == TF_YTREE_SEQUENCE ? "an empty list" : tf_ytree_kind_noun(node));
    return 0;
  }
  size_t n = node->n;
  c->piece_start_ns = calloc(n, sizeof *c->piece_start_ns);
  c->piece_rate_per_s = calloc(n, sizeof *c->piece_rate_per_s);
  if (!c->piece_start_ns || !c->piece_rate_per_s)
    return TF_FAIL(TF_ENOMEM, "%s", path);
  c->arrivals.pieces = n;
  c->arrivals.piece_start_ns = c->piece_start_ns;
  c->arrivals.piece_rate_per_s = c->piece_rate_per_s;
  bool starts_ok = true;
  for (size_t i = 0; i < n; i++) {
    char item[192];
    snprintf(item, sizeof item, "%s[%zu]", path, i);
    piece_raw p = {0};
    const tf_ytree_node *where[PC_N];
    tf_schema_apply(&piece_schema, node->items[i], item, &p, where, d);
    c->piece_start_ns[i] = p.start_ns;
    c->piece_rate_per_s[i] = p.rate_per_s;
    if (!p.has_start) {
      starts_ok = false;
      continue;
    }
    const tf_ytree_node *v = where[PC_START];
    char got[64], prev[64];
    tf_unit_format((double)p.start_ns * 1e-9, TF_UNIT_TIME, got, sizeof got);
    if (i == 0 && p.start_ns != 0) {
      tf_diags_error(d, v->file, v->line, value_col(v),
                     "%s.start: must be 0 s (the first piece starts with the process), got %s",
                     item, got);
      starts_ok = false;
    } else if (i > 0 && starts_ok && p.start_ns <= c->piece_start_ns[i - 1]) {
      tf_unit_format((double)c->piece_start_ns[i - 1] * 1e-9, TF_UNIT_TIME, prev, sizeof prev);
      tf_diags_error(d, v->file, v->line, value_col(v),
                     "%s.start: must be after the previous piece's start (%s), got %s", item,
                     prev, got);
      starts_ok = false;
    }
  }
  if (starts_ok)
    *last_start = c->piece_start_ns[n - 1];
  return 0;
}

/* A trace class's `file:` (at) and its checks against the trace: loop needs two rows or more at
 * different times; time_scale must keep the scaled trace within the clock. 0 or TF_ENOMEM. */
static int load_trace(const tf_scenario *out, const tf_ytree_node *at, const char *path,
                      const traffic_raw *a, const tf_ytree_node *const *where,
                      tf_scenario_class *c, tf_diags *d) {
  char file_path[160];
  snprintf(file_path, sizeof file_path, "%s.file", path);
  char *file;
  int rc = find_csv(out, at, file_path, &file, d);
  if (rc || !file)
    return rc;
  size_t errors = tf_diags_error_count(d);
  tf_err_clear();
  rc = tf_traffic_trace_load(file, &c->trace, report_csv_problem, d);
  free(file);
  if (rc)
    return csv_failed(rc, errors, at, file_path, d);
  c->arrivals.trace = c->trace;
  size_t rows = tf_traffic_trace_count(c->trace);
  int64_t span = tf_traffic_trace_span_ns(c->trace);
  if (c->arrivals.loop && (rows < 2 || span == 0)) {
    const tf_ytree_node *v = where[TR_LOOP];
    char why[64];
    if (rows < 2)
      snprintf(why, sizeof why, "it has one row");
    else
      snprintf(why, sizeof why, "its %zu rows are all at one instant", rows);
    tf_diags_error(d, v->file, v->line, value_col(v),
                   "%s.loop: the trace cannot repeat: %s (expected two rows or more at "
                   "different times)",
                   path, why);
  }
  if (a->has_time_scale && !((double)span * a->time_scale < TRACE_SCALED_SPAN_MAX_NS)) {
    const tf_ytree_node *v = where[TR_TIME_SCALE];
    char got[64];
    tf_unit_format(a->time_scale, TF_UNIT_RATIO, got, sizeof got);
    tf_diags_error(d, v->file, v->line, value_col(v),
                   "%s.time_scale: stretches the trace's %.6g s past the clock's range (about "
                   "146 years), got %s",
                   path, (double)span * 1e-9, got);
  }
  return 0;
}

/* `arrival:` of class c (node, named path) into c->arrivals. *process receives the process
 * (a tf_traffic_kind), or -1 when it is missing or wrong. 0 or TF_ENOMEM. */
static int load_class_arrival(const tf_scenario *out, const tf_ytree_node *node, const char *path,
                              tf_scenario_class *c, int *process, tf_diags *d) {
  traffic_raw a = {0};
  const tf_ytree_node *where[TR_N];
  tf_schema_apply(&traffic_schema, node, path, &a, where, d);
  *process = a.has_process ? a.process : -1;
  int rc = 0;
  if (!a.has_process)
    goto done;
  const tf_schema *s = &traffic_schema;
  const char *kind = traffic_names[a.process];
  bool rated = a.process == TF_TRAFFIC_POISSON || a.process == TF_TRAFFIC_GAMMA;
  bool gamma = a.process == TF_TRAFFIC_GAMMA, piecewise = a.process == TF_TRAFFIC_PIECEWISE;
  bool trace = a.process == TF_TRAFFIC_TRACE;
  check_use(s, path, TR_RATE, node, where, rated, rated, "process", kind, "poisson and gamma", d);
  check_use(s, path, TR_CV, node, where, gamma, gamma, "process", kind, "gamma", d);
  check_use(s, path, TR_PIECES, node, where, piecewise, piecewise, "process", kind, "piecewise",
            d);
  check_use(s, path, TR_PERIOD, node, where, piecewise, false, "process", kind, "piecewise", d);
  check_use(s, path, TR_FILE, node, where, trace, trace, "process", kind, "trace", d);
  check_use(s, path, TR_TIME_SCALE, node, where, trace, false, "process", kind, "trace", d);
  check_use(s, path, TR_LOOP, node, where, trace, false, "process", kind, "trace", d);
  c->arrivals = (tf_traffic_arrivals){.kind = (tf_traffic_kind)a.process};
  switch ((tf_traffic_kind)a.process) {
  case TF_TRAFFIC_GAMMA:
    c->arrivals.cv = a.cv;
    /* fall through */
  case TF_TRAFFIC_POISSON:
    c->arrivals.rate_per_s = a.rate_per_s;
    break;
  case TF_TRAFFIC_PIECEWISE: {
    int64_t last_start = -1;
    char pieces_path[128];
    tf_schema_join(pieces_path, sizeof pieces_path, path, "pieces");
    if (where[TR_PIECES] &&
        (rc = load_pieces(where[TR_PIECES], pieces_path, c, &last_start, d)) != 0)
      goto done;
    c->arrivals.period_ns = a.has_period ? a.period_ns : 0;
    if (a.has_period && last_start >= 0 && a.period_ns <= last_start) {
      const tf_ytree_node *v = where[TR_PERIOD];
      char last[64], got[64];
      tf_unit_format((double)last_start * 1e-9, TF_UNIT_TIME, last, sizeof last);
      tf_unit_format((double)a.period_ns * 1e-9, TF_UNIT_TIME, got, sizeof got);
      tf_diags_error(d, v->file, v->line, value_col(v),
                     "%s.period: must be longer than the last piece's start (%s), got %s", path,
                     last, got);
    }
    break;
  }
  case TF_TRAFFIC_TRACE:
    c->arrivals.time_scale = a.has_time_scale ? a.time_scale : 1;
    c->arrivals.loop = a.has_loop && a.loop == 1;
    if (a.file)
      rc = load_trace(out, where[TR_FILE], path, &a, where, c, d);
    break;
  }
done:
  tf_schema_free(&traffic_schema, &a);
  return rc;
}

/* A lognormal mean: a number of tokens, whole or not, in (0, TF_LENGTH_MAX_TOKENS]. A custom
 * field because a ratio quantity would take "50 %" and name itself "a ratio" in messages. */
static bool load_token_mean(const tf_ytree_node *v, const char *path, double *out,
                            tf_diags *d) {
  static const char want[] = "a number of tokens such as \"1024\"";
  if (!tf_schema_scalar(v, path, want, d))
    return false;
  double x;
  if (strchr(v->text, '%') || tf_unit_parse(v->text, TF_UNIT_RATIO, &x, NULL) != 0) {
    tf_diags_error(d, v->file, v->line, value_col(v), "%s: expected %s, got \"%s\"", path, want,
                   v->text);
    return false;
  }
  if (!(x > 0)) {
    tf_diags_error(d, v->file, v->line, value_col(v), "%s: must be > 0, got %.6g", path, x);
    return false;
  }
  if (!(x <= (double)TF_LENGTH_MAX_TOKENS)) {
    tf_diags_error(d, v->file, v->line, value_col(v), "%s: must be <= %lld, got %.6g", path,
                   (long long)TF_LENGTH_MAX_TOKENS, x);
    return false;
  }
  *out = x;
  return true;
}

/* `input:` or `output:` (node, named path) into *dist; an empirical histogram is read into *hist.
 * 0 or TF_ENOMEM. */
static int load_length(const tf_scenario *out, const tf_ytree_node *node, const char *path,
                       tf_length_dist *dist, tf_length_hist **hist, tf_diags *d) {
  length_raw l = {0};
  const tf_ytree_node *where[LN_N];
  tf_schema_apply(&length_schema, node, path, &l, where, d);
  double mean = 0;
  if (where[LN_MEAN]) {
    char mean_path[160];
    tf_schema_join(mean_path, sizeof mean_path, path, "mean");
    load_token_mean(where[LN_MEAN], mean_path, &mean, d);
  }
  int rc = 0;
  if (!l.has_distribution)
    goto done;
  const tf_schema *s = &length_schema;
  const char *kind = length_names[l.distribution];
  bool fixed = l.distribution == TF_LENGTH_FIXED, uniform = l.distribution == TF_LENGTH_UNIFORM;
  bool lognormal = l.distribution == TF_LENGTH_LOGNORMAL;
  bool empirical = l.distribution == TF_LENGTH_EMPIRICAL;
  check_use(s, path, LN_VALUE, node, where, fixed, fixed, "distribution", kind, "fixed", d);
  check_use(s, path, LN_MIN, node, where, uniform, uniform, "distribution", kind, "uniform", d);
  check_use(s, path, LN_MAX, node, where, uniform, uniform, "distribution", kind, "uniform", d);
  check_use(s, path, LN_MEAN, node, where, lognormal, lognormal, "distribution", kind,
            "lognormal", d);
  check_use(s, path, LN_CV, node, where, lognormal, lognormal, "distribution", kind, "lognormal",
            d);
  check_use(s, path, LN_FILE, node, where, empirical, empirical, "distribution", kind,
            "empirical", d);
  if (uniform && l.has_min && l.has_max && l.max < l.min) {
    const tf_ytree_node *v = where[LN_MAX];
    tf_diags_error(d, v->file, v->line, value_col(v), "%s.max: must be >= min (%lld), got %lld",
                   path, (long long)l.min, (long long)l.max);
  }
  *dist = (tf_length_dist){.kind = (tf_length_kind)l.distribution, .cap = l.has_cap ? l.cap : 0};
  if (fixed)
    dist->value = l.value;
  if (uniform) {
    dist->min = l.min;
    dist->max = l.max;
  }
  if (lognormal) {
    dist->mean = mean;
    dist->cv = l.cv;
  }
  if (empirical && l.file) {
    char file_path[160];
    tf_schema_join(file_path, sizeof file_path, path, "file");
    char *file;
    if ((rc = find_csv(out, where[LN_FILE], file_path, &file, d)) != 0 || !file)
      goto done;
    size_t errors = tf_diags_error_count(d);
    tf_err_clear();
    rc = tf_length_hist_load(file, hist, report_csv_problem, d);
    free(file);
    if (rc)
      rc = csv_failed(rc, errors, where[LN_FILE], file_path, d);
    dist->hist = *hist;
  }
done:
  tf_schema_free(&length_schema, &l);
  return rc;
}

/* The traffic model's own checks, after the loader's found nothing: a mistake they catch is a
 * loader bug, so it is reported (at the class's key) rather than asserted, since a user's file
 * still deserves a message. */
static void check_class(const tf_scenario_class *c, const tf_ytree_node *const *where,
                        const char *path, tf_diags *d) {
  tf_err_clear();
  const tf_ytree_node *v = where[CL_ARRIVAL];
  if (tf_traffic_check(&c->arrivals) != 0)
    tf_diags_error(d, v->file, v->line, v->col, "%s.arrival: %s", path, tf_err_reason());
  if (c->lengths_from_trace)
    return;
  if (tf_length_check(&c->input) != 0 && (v = where[CL_INPUT]))
    tf_diags_error(d, v->file, v->line, v->col, "%s.input: %s", path, tf_err_reason());
  if (tf_length_check(&c->output) != 0 && (v = where[CL_OUTPUT]))
    tf_diags_error(d, v->file, v->line, v->col, "%s.output: %s", path, tf_err_reason());
}

/* Workload item i (node) into out->workload[i]. 0 or TF_ENOMEM. */
static int load_class(tf_scenario *out, const tf_ytree_node *node, size_t i, tf_diags *d) {
  tf_scenario_class *c = &out->workload[i];
  char path[64];
  snprintf(path, sizeof path, "workload[%zu]", i);
  size_t errors = tf_diags_error_count(d);
  class_raw raw = {.router = TF_ROUTER_LEAST_WORK};
  const tf_ytree_node *where[CL_N];
  tf_schema_apply(&class_schema, node, path, &raw, where, d);
  c->name = raw.name; /* the class owns it now */
  c->prefix_hit = raw.prefix_hit;
  c->router = (tf_router_policy)raw.router;
  c->origin = origin_of(out, node);
  c->input = c->output = (tf_length_dist){.kind = TF_LENGTH_FIXED, .value = 0};
  for (size_t j = 0; c->name && j < i; j++)
    if (out->workload[j].name && strcmp(out->workload[j].name, c->name) == 0) {
      const tf_ytree_node *v = where[CL_NAME];
      tf_diags_error(d, v->file, v->line, value_col(v),
                     "%s.name: \"%s\" is already the name of workload[%zu] (expected a name "
                     "of its own)",
                     path, c->name, j);
      break;
    }
  int process = -1, rc = 0;
  char arrival_path[96];
  tf_schema_join(arrival_path, sizeof arrival_path, path, "arrival");
  if (where[CL_ARRIVAL] &&
      (rc = load_class_arrival(out, where[CL_ARRIVAL], arrival_path, c, &process, d)) != 0)
    return rc;
  c->lengths_from_trace = process == TF_TRAFFIC_TRACE;
  static const int length_keys[] = {CL_INPUT, CL_OUTPUT};
  for (size_t k = 0; k < 2; k++) {
    const tf_ytree_node *v = where[length_keys[k]];
    const char *key = class_fields[length_keys[k]].key;
    if (c->lengths_from_trace && v) {
      tf_diags_error(d, v->file, v->line, v->col,
                     "%s.%s: not used by process \"trace\" (the trace gives each request's "
                     "lengths)",
                     path, key);
    } else if (!v && process >= 0 && !c->lengths_from_trace) {
      tf_diags_error(d, node->file, node->line, node->col,
                     "missing key \"%s\" in %s: process \"%s\" needs it", key, path,
                     traffic_names[process]);
    } else if (v && !c->lengths_from_trace) {
      char length_path[96];
      tf_schema_join(length_path, sizeof length_path, path, key);
      rc = load_length(out, v, length_path, k == 0 ? &c->input : &c->output,
                       k == 0 ? &c->input_hist : &c->output_hist, d);
      if (rc)
        return rc;
    }
  }
  if (where[CL_SLO]) {
    char slo_path[96];
    tf_schema_join(slo_path, sizeof slo_path, path, "slo");
    slo_raw slo = {0};
    tf_schema_apply(&slo_schema, where[CL_SLO], slo_path, &slo, NULL, d);
    c->slo_ttft_s = (double)slo.ttft_ns * 1e-9;
    c->slo_tpot_s = (double)slo.tpot_ns * 1e-9;
  }
  if (tf_diags_error_count(d) == errors)
    check_class(c, where, path, d);
  return 0;
}

/* Validates `workload:` (key: the `workload` key node; node: its value) into out->workload. Needs
 * out->model and out->hardware; hardware_reported as for load_serving. 0 or TF_ENOMEM. */
static int load_workload(const tf_ytree_node *key, const tf_ytree_node *node,
                         bool hardware_reported, tf_scenario *out, tf_diags *d) {
  assert(workload_words_ok());
  if (!out->model.present || (out->n_hardware == 0 && !hardware_reported))
    tf_diags_error(d, key->file, key->line, key->col,
                   "workload: needs a model and hardware to serve it");
  static const char want[] = "a list of request classes";
  if (tf_ytree_is_null(node)) {
    tf_diags_error(d, node->file, node->line, node->col, "workload: missing value: expected %s",
                   want);
    return 0;
  }
  if (node->kind != TF_YTREE_SEQUENCE || node->n == 0) {
    tf_diags_error(d, node->file, node->line, node->col, "workload: expected %s, got %s", want,
                   node->kind == TF_YTREE_SEQUENCE ? "an empty list" : tf_ytree_kind_noun(node));
    return 0;
  }
  out->workload = calloc(node->n, sizeof *out->workload);
  if (!out->workload)
    return TF_FAIL(TF_ENOMEM, "workload");
  for (size_t i = 0; i < node->n; i++) {
    out->n_workload = i + 1; /* so tf_scenario_destroy frees what the class holds so far */
    int rc = load_class(out, node->items[i], i, d);
    if (rc)
      return rc;
  }
  return 0;
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

/* `economics:`, and what it needs of the other sections: a workload to cost, and an electricity
 * price whenever energy is billed. */
static void load_economics(const tf_ytree_node *root, const tf_ytree_node *const *where,
                           tf_scenario *out, tf_diags *d) {
  const tf_ytree_node *key = key_named(root, "economics");
  assert(key);
  tf_economics_load(key, where[TOP_ECONOMICS], &out->economics, d);
  out->economics.origin = origin_of(out, key); /* the tree's strings die with it */
  if (!where[TOP_WORKLOAD])
    tf_diags_error(d, key->file, key->line, key->col,
                   "economics: needs a workload section: the costs are spread over the tokens it "
                   "generates");
  if (tf_economics_bills_energy(&out->economics) && !out->site.has_electricity_price)
    tf_diags_error(d, key->file, key->line, key->col,
                   "economics: energy is billed (%s), so site.electricity_price is needed",
                   out->economics.rented ? "energy_in_price: false" : "ownership \"own\"");
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
  int rc = 0;
  if (where[TOP_SITE])
    rc = load_site(where[TOP_SITE], out, d);
  if (where[TOP_QUEUE])
    load_queue(where[TOP_QUEUE], out, d);
  const tf_ytree_node **system_at = NULL;
  const tf_ytree_node *hardware = where[TOP_HARDWARE];
  if (rc == 0 && hardware)
    rc = load_hardware(hardware, out, &system_at, d);
  bool hardware_reported = hardware && !tf_ytree_is_null(hardware) &&
                           hardware->kind != TF_YTREE_SEQUENCE;
  fleet_check fleet = {0};
  if (rc == 0 && where[TOP_SERVING]) {
    const tf_ytree_node *key = key_named(root, "serving"); /* there: where[] came from root */
    assert(key);
    rc = load_serving(key, where[TOP_SERVING], hardware_reported, out, &fleet, d);
  }
  if (rc == 0 && where[TOP_FAILURES])
    rc = load_failures(where[TOP_FAILURES], out, d);
  if (rc == 0 && where[TOP_WORKLOAD]) {
    fleet.workload_at = key_named(root, "workload");
    assert(fleet.workload_at);
    rc = load_workload(fleet.workload_at, where[TOP_WORKLOAD], hardware_reported, out, d);
  }
  if (rc == 0 && where[TOP_ECONOMICS])
    load_economics(root, where, out, d);
  if (rc == 0)
    rc = load_catalog(path, catalog_dir, where, out, d);
  if (rc == 0) {
    resolve_names(out, system_at, where[TOP_MODEL], d);
    resolve_fleet(out, &fleet, d);
  }
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
  free(s->failures);
  free(s->site.temperature_start_ns);
  free(s->site.temperature_k);
  for (size_t i = 0; i < s->n_hardware; i++)
    free(s->hardware[i].system);
  free(s->hardware);
  for (size_t i = 0; i < s->n_workload; i++) {
    tf_scenario_class *c = &s->workload[i];
    free(c->name);
    free(c->piece_start_ns);
    free(c->piece_rate_per_s);
    tf_traffic_trace_destroy(c->trace);
    tf_length_hist_destroy(c->input_hist);
    tf_length_hist_destroy(c->output_hist);
  }
  free(s->workload);
  free(s->path);
  free(s->text);
  free(s->name);
  free(s->description);
  free(s->model.name);
  free(s->serving.profile);
  free(s->serving.profile_file);
  if (s->fitted_profile.release)
    s->fitted_profile.release(s->fitted_profile.owner);
  tf_catalog_destroy(s->catalog);
  *s = (tf_scenario){0};
}
