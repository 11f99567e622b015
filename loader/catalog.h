/* The hardware and model catalogue: GPUs, systems and models read from YAML data files, each
 * field with its unit, a presence flag and the source it was taken from. */
#ifndef TF_CATALOG_H
#define TF_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "ytree.h"

typedef enum tf_catalog_kind {
  TF_CATALOG_GPUS,
  TF_CATALOG_SYSTEMS,
  TF_CATALOG_MODELS,
  TF_CATALOG_KIND_COUNT_
} tf_catalog_kind;

/* An entry's `sources`: fields[i] is cited by citations[i]. */
typedef struct tf_catalog_sources {
  size_t n;
  char **fields;
  char **citations;
} tf_catalog_sources;

/* Where something was written; file is owned by the catalogue. */
typedef struct tf_catalog_origin {
  const char *file;
  int line, col;
} tf_catalog_origin;

/* The head every entry starts with. display_name is NULL when absent. */
typedef struct tf_catalog_entry {
  char *name;
  char *display_name;
  tf_catalog_sources sources;
  tf_catalog_origin origin;
} tf_catalog_entry;

enum tf_catalog_vendor { TF_CATALOG_NVIDIA, TF_CATALOG_AMD };
enum tf_catalog_attention { TF_CATALOG_MHA, TF_CATALOG_GQA, TF_CATALOG_MLA };

/* One GPU; SI units. A field is meaningful only when its has. flag is set: absent fields are
 * left 0 and reported as absent, never invented. */
typedef struct tf_catalog_gpu {
  tf_catalog_entry entry;
  int vendor; /* enum tf_catalog_vendor */
  double bf16_dense_flops, fp8_dense_flops, fp4_dense_flops;
  double hbm_capacity_bytes, hbm_bandwidth_bytes_per_s;
  double tdp_w, idle_power_w;
  double scale_up_bandwidth_bytes_per_s;  /* both directions together, as vendors quote it */
  double scale_out_bandwidth_bytes_per_s; /* one direction */
  struct {
    bool vendor, bf16_dense, fp8_dense, fp4_dense, hbm_capacity, hbm_bandwidth, tdp, idle_power,
        scale_up_bandwidth, scale_out_bandwidth;
  } has;
} tf_catalog_gpu;

typedef struct tf_catalog_system {
  tf_catalog_entry entry;
  char *gpu;                     /* a GPU name (required) */
  const tf_catalog_gpu *gpu_entry; /* resolved by tf_catalog_check; NULL before or if unknown */
  int64_t gpus, scale_up_domain;
  double power_w, host_power_w;
  tf_catalog_origin gpu_origin; /* where `gpu` was written, for reference errors */
  struct {
    bool gpus, scale_up_domain, power, host_power;
  } has;
} tf_catalog_system;

typedef struct tf_catalog_model {
  tf_catalog_entry entry;
  int64_t params_total, params_active, layers, dense_layers, hidden_size;
  int attention; /* enum tf_catalog_attention */
  int64_t heads, kv_heads, head_dim, kv_lora_rank, qk_rope_head_dim;
  int64_t experts, experts_per_token, shared_experts, expert_ffn, dense_ffn, vocab, mtp_heads;
  struct {
    bool params_total, params_active, layers, dense_layers, hidden_size, attention, heads,
        kv_heads, head_dim, kv_lora_rank, qk_rope_head_dim, experts, experts_per_token,
        shared_experts, expert_ffn, dense_ffn, vocab, mtp_heads;
  } has;
} tf_catalog_model;

/* All entries of all kinds. Built by create, load_dir / load_file (later files replace whole
 * entries of the same name), apply_overrides, then check; read-only afterwards. Entry pointers
 * stay valid until tf_catalog_destroy once check has run. */
typedef struct tf_catalog tf_catalog;

int tf_catalog_create(tf_catalog **out);
void tf_catalog_destroy(tf_catalog *c);

/* Reads gpus.yaml, systems.yaml and models.yaml from dir. Problems (a missing file included) go
 * to d; returns 0, or TF_ENOMEM. Callers test tf_diags_error_count. */
int tf_catalog_load_dir(tf_catalog *c, const char *dir, tf_diags *d);

/* Reads one catalogue file. cited_at, if not NULL, is where the file was named (a `catalogs:`
 * item): a file that cannot be opened is reported there. 0 or TF_ENOMEM. */
int tf_catalog_load_file(tf_catalog *c, const char *path, const tf_ytree_node *cited_at,
                         tf_diags *d);

/* Applies a scenario's `overrides:` mapping ({gpus: {NAME: {FIELD: VALUE}}, ...}): each value is
 * validated like the catalogue's own, and the field's source becomes "override at FILE:LINE". */
int tf_catalog_apply_overrides(tf_catalog *c, const tf_ytree_node *overrides, tf_diags *d);

/* Checks references (a system's gpu must exist) and resolves them. */
int tf_catalog_check(tf_catalog *c, tf_diags *d);

/* create + load_dir + check: the built-in catalogue alone, for `tokenfab catalog`. On error *out
 * is NULL. Returns 0, TF_ENOMEM, or TF_EPARSE when d holds errors. */
int tf_catalog_open(const char *dir, tf_catalog **out, tf_diags *d);

/* "gpus", "systems", "models"; and back (TF_ENOTFOUND for another word). */
const char *tf_catalog_kind_name(tf_catalog_kind k);
int tf_catalog_kind_parse(const char *word, tf_catalog_kind *out);

size_t tf_catalog_count(const tf_catalog *c, tf_catalog_kind k);
/* Entries in file order (a replaced entry keeps its place). */
const tf_catalog_entry *tf_catalog_at(const tf_catalog *c, tf_catalog_kind k, size_t i);
const tf_catalog_entry *tf_catalog_find(const tf_catalog *c, tf_catalog_kind k, const char *name);
const tf_catalog_gpu *tf_catalog_find_gpu(const tf_catalog *c, const char *name);
const tf_catalog_system *tf_catalog_find_system(const tf_catalog *c, const char *name);
const tf_catalog_model *tf_catalog_find_model(const tf_catalog *c, const char *name);

/* Writes `unknown system "x"; did you mean "y"? (known: a, b, c)` into buf. */
void tf_catalog_unknown(const tf_catalog *c, tf_catalog_kind k, const char *name, char *buf,
                        size_t size);

/* The citation for field in e, or NULL. */
const char *tf_catalog_source(const tf_catalog_entry *e, const char *field);

/* One line per entry of kind k: name, display name, headline numbers. */
void tf_catalog_list(const tf_catalog *c, tf_catalog_kind k, FILE *f);

/* Prints every field of entry name (value with unit, or "absent") and its source.
 * TF_ENOTFOUND if there is no such entry. */
int tf_catalog_describe(const tf_catalog *c, tf_catalog_kind k, const char *name, FILE *f);

#endif
