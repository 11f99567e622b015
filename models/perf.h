/* The step-time model: how long one serving step of a model takes on a group of GPUs, component
 * by component, and whether the model fits in their memory. Physics first (FLOPs and bytes
 * against the hardware's limits), scaled by a GPU profile's efficiency curves. SI units:
 * seconds, bytes, FLOP/s, bytes/s. See docs/PERF_MODEL.md for the equations and sources. */
#ifndef TF_PERF_H
#define TF_PERF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "gpu_profile.h"
#include "moe_routing.h"

/* Number formats of weights, activations and the KV cache. */
typedef enum tf_precision { TF_PREC_BF16, TF_PREC_FP8, TF_PREC_FP4, TF_PREC_COUNT_ } tf_precision;

/* "bf16", "fp8", "fp4"; and back (TF_ENOTFOUND for another word). */
const char *tf_precision_name(tf_precision p);
int tf_precision_parse(const char *word, tf_precision *out);
/* Bytes per stored value, block scales included (see perf.c for the sources). */
double tf_precision_bytes(tf_precision p);

/* How a model replica is laid out over GPUs. A replica has pp pipeline stages of tp * dp GPUs:
 * attention and dense layers run as dp data-parallel groups of tp-way tensor parallelism; routed
 * experts are spread over ep ranks, each expert split tensor-parallel over (tp * dp) / ep GPUs.
 * Invariants (tf_perf_layout_check): all >= 1, ep divides tp * dp. */
typedef struct tf_perf_layout {
  int64_t tp, dp, ep, pp;
  bool overlap; /* two micro-batches: communication hides behind the other's compute */
} tf_perf_layout;

typedef struct tf_perf_precisions {
  tf_precision weights;     /* attention, dense FFN, shared experts, embeddings */
  tf_precision experts;     /* routed experts' weights */
  tf_precision activations; /* GEMM inputs and the EP dispatch payload */
  tf_precision kv_cache;
} tf_perf_precisions;

/* Multi-token prediction / speculative decoding: each decode step drafts draft_tokens tokens per
 * sequence, verifies them in the same forward pass, and accepts each draft with probability
 * acceptance given the previous one was accepted. draft_tokens 0 turns it off. */
typedef struct tf_perf_speculation {
  int64_t draft_tokens;
  double acceptance; /* in [0, 1] */
} tf_perf_speculation;

/* Expert routing statistics that set the load of the busiest EP rank. imbalance > 0 fixes the
 * factor (busiest rank's load / mean); 0 derives it from random routing with the given skew and
 * redundant experts (models/moe_routing.h). */
typedef struct tf_perf_routing {
  double imbalance;
  double skew;
  int64_t redundant_experts;
} tf_perf_routing;

/* The GPUs a replica runs on. scale_up_domain: GPUs joined by the scale-up fabric (NVLink
 * domain) around each GPU; traffic to GPUs outside it crosses the scale-out NICs. */
typedef struct tf_perf_hardware {
  const tf_catalog_gpu *gpu;
  int64_t scale_up_domain;
} tf_perf_hardware;

/* Everything fixed for a deployment. */
typedef struct tf_perf_config {
  const tf_catalog_model *model;
  tf_perf_hardware hw;
  const tf_gpu_profile *profile;
  tf_perf_layout layout;
  tf_perf_precisions precision;
  tf_perf_speculation speculation;
  tf_perf_routing routing;
  double memory_utilisation;   /* share of HBM the server may use, (0, 1] */
  int64_t max_batch_tokens;    /* most tokens one step processes per replica (workspace size) */
  /* Optional: the routing model's plan for this model, EP and routing (tf_perf_routing_plan).
   * NULL builds one per step, 10-100 us for DeepSeek-V3 (bench/bench_perf); a simulation that
   * evaluates many steps of one deployment keeps a plan. */
  const tf_moe_plan *routing_plan;
  /* Optional: expert loads already computed, by whole token count (tf_perf_load_cache_*). With a
   * cache a MoE step costs about as much as a dense one; the simulation keeps one per pool. */
  struct tf_perf_load_cache *load_cache;
} tf_perf_config;

/* Expert loads of steps of 0 .. max_tokens whole tokens, filled on first use. Owned by the
 * caller; valid only for the model, EP and routing it was first used with. */
typedef struct tf_perf_load_cache {
  int64_t max_tokens;
  tf_moe_load *load;     /* max_tokens + 1 entries */
  unsigned char *filled; /* 1 where load[i] is computed */
} tf_perf_load_cache;

/* 0 or TF_ENOMEM / TF_ERANGE (max_tokens < 0). */
int tf_perf_load_cache_init(tf_perf_load_cache *c, int64_t max_tokens);
void tf_perf_load_cache_fini(tf_perf_load_cache *c);

/* Builds the routing plan of a MoE cfg into plan (caller-owned, about 40 KiB); set
 * cfg->routing_plan = plan afterwards. 0, or the routing model's errors. */
int tf_perf_routing_plan(const tf_perf_config *cfg, tf_moe_plan *plan);

/* Checks cfg: model and GPU fields the model needs are present, layout invariants hold, the
 * model's heads and experts divide as the layout needs. 0 or TF_EINVAL / TF_ERANGE with a
 * message (tf_err_context) naming what is wrong. */
int tf_perf_config_check(const tf_perf_config *cfg);

/* One step's work for a whole replica. Prefill tokens attend to prefill_attended keys in total
 * (a chunk of c tokens after o cached ones attends c*o + c*(c+1)/2); decode_sequences each add
 * one token (1 + draft_tokens with speculation) and read their whole context, decode_context in
 * total over the sequences. Spread evenly over the dp groups. */
typedef struct tf_perf_batch {
  double prefill_tokens;
  double prefill_attended;
  double decode_sequences;
  double decode_context;
} tf_perf_batch;

/* Helpers that fill a batch: a prefill chunk of `tokens` after `cached` tokens of the same
 * sequence, times `sequences`; and `sequences` decodes at `context` tokens each. */
tf_perf_batch tf_perf_prefill(double sequences, double tokens, double cached);
tf_perf_batch tf_perf_decode(double sequences, double context);
tf_perf_batch tf_perf_batch_add(tf_perf_batch a, tf_perf_batch b);

/* What limits a component. */
typedef enum tf_perf_bound {
  TF_BOUND_COMPUTE,
  TF_BOUND_HBM,
  TF_BOUND_SCALE_UP,
  TF_BOUND_SCALE_OUT,
  TF_BOUND_LATENCY, /* fixed latencies and overheads dominate */
  TF_BOUND_NONE,    /* the component does no work in this step */
  TF_BOUND_COUNT_
} tf_perf_bound;
const char *tf_perf_bound_name(tf_perf_bound b); /* "compute", "HBM", "scale-up", ... */

/* Step components, in the order a layer runs them. */
typedef enum tf_perf_component {
  TF_PERF_ATTN_PROJ,     /* QKV and output projections (GEMMs), router gate */
  TF_PERF_ATTN_CORE,     /* attention over the KV cache */
  TF_PERF_DENSE_FFN,     /* dense layers' FFN and shared experts */
  TF_PERF_EXPERTS,       /* routed experts' GEMMs on the busiest EP rank */
  TF_PERF_EP_DISPATCH,   /* all-to-all of tokens to their experts */
  TF_PERF_EP_COMBINE,    /* all-to-all of expert outputs back */
  TF_PERF_TP_ALLREDUCE,  /* tensor-parallel all-reduces */
  TF_PERF_PP_SEND,       /* activations between pipeline stages */
  TF_PERF_LM_HEAD,       /* embedding lookup is free; the output projection is not */
  TF_PERF_DRAFT,         /* multi-token-prediction draft layers */
  TF_PERF_OVERHEAD,      /* kernel gaps and the per-step scheduler */
  TF_PERF_COMPONENT_COUNT_
} tf_perf_component;
const char *tf_perf_component_name(tf_perf_component c); /* "attention projections", ... */

/* One component's share of a step, on one GPU of the busiest stage. time_s is what it adds to
 * the step (after overlap); flops and bytes are per GPU for the whole step. */
typedef struct tf_perf_part {
  double time_s;
  double flops;
  double hbm_bytes;
  double net_bytes; /* bytes sent over scale-up + scale-out */
  tf_perf_bound bound;
} tf_perf_part;

typedef struct tf_perf_step {
  tf_perf_part part[TF_PERF_COMPONENT_COUNT_];
  double compute_s;        /* sum of compute components, one stage */
  double comm_s;           /* sum of communication components, one stage, before overlap */
  double hidden_comm_s;    /* communication hidden behind compute by overlap */
  double stage_s;          /* one pipeline stage's step time */
  double step_s;           /* a token's time through all stages: pp * stage_s */
  double tokens_in;        /* tokens the step processes: prefill + decode * (1 + drafts) */
  double tokens_out;       /* tokens emitted: decode_sequences * accepted per step */
  double accepted_per_seq; /* expected tokens emitted per decode sequence per step */
  double imbalance;        /* busiest EP rank's load / mean */
  double experts_touched;  /* expected routed experts with >= 1 token per MoE layer */
  double tokens_out_per_s_per_gpu; /* tokens_out / stage_s / GPUs per stage (pipelined) */
  double prefill_tokens_per_s_per_gpu;
} tf_perf_step;

/* One GEMM of m token rows by an n x k weight matrix (output in BF16), as the step model times
 * it: FLOPs at the peak of the wider operand format x gemm_eff, plus bytes at HBM x hbm_eff.
 * 0, or TF_EINVAL for negative dimensions. */
int tf_perf_gemm(const tf_gpu_profile *profile, const tf_catalog_gpu *gpu, tf_precision weights,
                 tf_precision activations, double m, double n, double k, tf_perf_part *out);

/* Computes the step for batch. cfg must pass tf_perf_config_check. 0, or TF_EINVAL for a
 * negative batch. */
int tf_perf_step_time(const tf_perf_config *cfg, const tf_perf_batch *batch, tf_perf_step *out);

/* The bound that takes most of the step's stage time: each part's time goes to its bound class,
 * communication parts only for their exposed share (comm_s - hidden_comm_s of comm_s). Ties go
 * to the earlier class in tf_perf_bound order; TF_BOUND_NONE for a step that takes no time. */
tf_perf_bound tf_perf_step_bound(const tf_perf_step *st);

/* Memory on one GPU of the heaviest stage. */
typedef struct tf_perf_memory {
  double hbm_bytes;          /* the GPU's capacity */
  double usable_bytes;       /* hbm_bytes * memory_utilisation */
  double weight_bytes;       /* weights held by the GPU */
  double expert_weight_bytes;/* of which routed experts (redundant replicas included) */
  double workspace_bytes;    /* activations for max_batch_tokens */
  double kv_bytes;           /* left for the KV cache (negative: does not fit) */
  double kv_bytes_per_token; /* per token of context, on this GPU */
  double max_tokens;         /* KV tokens one dp group can hold: kv_bytes / kv_bytes_per_token */
  bool fits;                 /* kv_bytes holds at least one max_batch_tokens step */
} tf_perf_memory;

int tf_perf_memory_fit(const tf_perf_config *cfg, tf_perf_memory *out);

/* Model dimensions the step model derives from the catalogue, exposed for tests and reports. */
typedef struct tf_perf_shape {
  int64_t moe_layers, dense_layers;
  double attn_params_per_layer;   /* Q, K, V and output projections */
  double router_params;           /* one MoE layer's gate */
  double dense_ffn_params;        /* one dense layer's FFN */
  double shared_params;           /* one MoE layer's shared experts */
  double expert_params;           /* one routed expert */
  double embed_params;            /* input embedding + output head */
  double kv_values_per_token_layer; /* cached values per token per layer (all heads) */
  double attn_flops_per_pair;     /* FLOPs per (query token, attended key), all heads */
  double decode_attn_flops_per_pair;
} tf_perf_shape;

int tf_perf_shape_of(const tf_catalog_model *m, tf_perf_shape *out);

#endif
