/* Catalogue loading (files, replacement by name, overrides), checks, lookup, listing, describe. */
#include "catalog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "schema.h"
#include "suggest.h"

/* ---- schemas: the field tables of docs/SCENARIOS.md ---- */

static const char *const vendor_names[] = {"nvidia", "amd", NULL};
static const char *const attention_names[] = {"mha", "gqa", "mla", NULL};

#define ENTRY_FIELDS(T)                                                                       \
  {.key = "name", .type = TF_SCHEMA_STRING, .required = true, .offset = offsetof(T, entry.name), \
   .help = "catalogue key, lower-case"},                                                      \
      {.key = "display_name", .type = TF_SCHEMA_STRING,                                       \
       .offset = offsetof(T, entry.display_name), .help = "human name"},                      \
      {.key = "sources", .type = TF_SCHEMA_CUSTOM, .help = "field -> citation"}

/* A positive quantity of unit kind U stored in member M with flag has.F. */
#define QTY(T, K, M, U, HELP)                                                                  \
  {.key = #K, .type = TF_SCHEMA_QUANTITY, .unit = U, .lo_bound = TF_SCHEMA_EXCLUSIVE,          \
   .offset = offsetof(T, M), .present = TF_SCHEMA_FLAG(T, has.K), .help = HELP}
/* A count >= LO. */
#define CNT(T, K, LO, HELP)                                                                    \
  {.key = #K, .type = TF_SCHEMA_COUNT, .lo_bound = TF_SCHEMA_INCLUSIVE, .lo = LO,              \
   .offset = offsetof(T, K), .present = TF_SCHEMA_FLAG(T, has.K), .help = HELP}

static const tf_schema_field gpu_fields[] = {
    ENTRY_FIELDS(tf_catalog_gpu),
    {.key = "vendor", .type = TF_SCHEMA_ENUM, .offset = offsetof(tf_catalog_gpu, vendor),
     .present = TF_SCHEMA_FLAG(tf_catalog_gpu, has.vendor), .names = vendor_names},
    QTY(tf_catalog_gpu, bf16_dense, bf16_dense_flops, TF_UNIT_COMPUTE,
        "dense BF16 tensor throughput"),
    QTY(tf_catalog_gpu, fp8_dense, fp8_dense_flops, TF_UNIT_COMPUTE, "dense FP8 tensor throughput"),
    QTY(tf_catalog_gpu, fp4_dense, fp4_dense_flops, TF_UNIT_COMPUTE, "dense FP4 tensor throughput"),
    QTY(tf_catalog_gpu, hbm_capacity, hbm_capacity_bytes, TF_UNIT_BYTES, "HBM capacity"),
    QTY(tf_catalog_gpu, hbm_bandwidth, hbm_bandwidth_bytes_per_s, TF_UNIT_BANDWIDTH,
        "HBM bandwidth"),
    QTY(tf_catalog_gpu, tdp, tdp_w, TF_UNIT_POWER, "board power (TDP / TGP)"),
    {.key = "idle_power", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_POWER,
     .lo_bound = TF_SCHEMA_INCLUSIVE, .offset = offsetof(tf_catalog_gpu, idle_power_w),
     .present = TF_SCHEMA_FLAG(tf_catalog_gpu, has.idle_power), .help = "board power when idle"},
    QTY(tf_catalog_gpu, scale_up_bandwidth, scale_up_bandwidth_bytes_per_s, TF_UNIT_BANDWIDTH,
        "scale-up bandwidth per GPU, both directions"),
    QTY(tf_catalog_gpu, scale_out_bandwidth, scale_out_bandwidth_bytes_per_s, TF_UNIT_BANDWIDTH,
        "scale-out NIC bandwidth per GPU, one direction"),
};

static const tf_schema_field system_fields[] = {
    ENTRY_FIELDS(tf_catalog_system),
    {.key = "gpu", .type = TF_SCHEMA_STRING, .required = true,
     .offset = offsetof(tf_catalog_system, gpu), .help = "a GPU name from the catalogue"},
    CNT(tf_catalog_system, gpus, 1, "GPUs in one system"),
    CNT(tf_catalog_system, scale_up_domain, 1, "GPUs in one scale-up domain"),
    QTY(tf_catalog_system, power, power_w, TF_UNIT_POWER, "maximum power of one system"),
    {.key = "host_power", .type = TF_SCHEMA_QUANTITY, .unit = TF_UNIT_POWER,
     .lo_bound = TF_SCHEMA_INCLUSIVE, .offset = offsetof(tf_catalog_system, host_power_w),
     .present = TF_SCHEMA_FLAG(tf_catalog_system, has.host_power),
     .help = "power beyond the GPUs at load"},
};

static const tf_schema_field model_fields[] = {
    ENTRY_FIELDS(tf_catalog_model),
    CNT(tf_catalog_model, params_total, 1, "parameters, all experts included"),
    CNT(tf_catalog_model, params_active, 1, "parameters active per token"),
    CNT(tf_catalog_model, layers, 1, "transformer layers"),
    CNT(tf_catalog_model, dense_layers, 0, "layers with a dense FFN"),
    CNT(tf_catalog_model, hidden_size, 1, "model dimension"),
    {.key = "attention", .type = TF_SCHEMA_ENUM, .offset = offsetof(tf_catalog_model, attention),
     .present = TF_SCHEMA_FLAG(tf_catalog_model, has.attention), .names = attention_names,
     .help = "attention type"},
    CNT(tf_catalog_model, heads, 1, "query heads"),
    CNT(tf_catalog_model, kv_heads, 1, "key/value heads"),
    CNT(tf_catalog_model, head_dim, 1, "dimension per head"),
    CNT(tf_catalog_model, kv_lora_rank, 1, "MLA: compressed KV dimension"),
    CNT(tf_catalog_model, qk_rope_head_dim, 1, "MLA: decoupled rotary key dimension"),
    CNT(tf_catalog_model, experts, 0, "routed experts per MoE layer"),
    CNT(tf_catalog_model, experts_per_token, 0, "routed experts activated per token"),
    CNT(tf_catalog_model, shared_experts, 0, "always-active experts per MoE layer"),
    CNT(tf_catalog_model, expert_ffn, 1, "intermediate size of one expert"),
    CNT(tf_catalog_model, dense_ffn, 1, "intermediate size of the dense FFN"),
    CNT(tf_catalog_model, vocab, 1, "vocabulary size"),
    CNT(tf_catalog_model, mtp_heads, 0, "multi-token-prediction modules"),
};

#define SCHEMA(name, fields) {name, fields, sizeof fields / sizeof fields[0]}
static const tf_schema gpu_schema = SCHEMA("gpu", gpu_fields);
static const tf_schema system_schema = SCHEMA("system", system_fields);
static const tf_schema model_schema = SCHEMA("model", model_fields);

enum { SOURCES_FIELD = 2, MAX_FIELDS = 32 }; /* "sources" is third in every table */

static const struct kind_desc {
  const char *plural, *singular;
  const tf_schema *schema;
  size_t size;
} kinds[TF_CATALOG_KIND_COUNT_] = {
    [TF_CATALOG_GPUS] = {"gpus", "gpu", &gpu_schema, sizeof(tf_catalog_gpu)},
    [TF_CATALOG_SYSTEMS] = {"systems", "system", &system_schema, sizeof(tf_catalog_system)},
    [TF_CATALOG_MODELS] = {"models", "model", &model_schema, sizeof(tf_catalog_model)},
};

/* ---- the catalogue ---- */

/* Entries per kind, each separately allocated (pointers stay put when the arrays grow); files
 * holds the name of every file read, which entries' origins point into. */
struct tf_catalog {
  tf_catalog_entry **entries[TF_CATALOG_KIND_COUNT_];
  size_t n[TF_CATALOG_KIND_COUNT_], cap[TF_CATALOG_KIND_COUNT_];
  char **files;
  size_t n_files, cap_files;
};

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p)
    memcpy(p, s, n);
  return p;
}

static void free_sources(tf_catalog_sources *s) {
  for (size_t i = 0; i < s->n; i++) {
    free(s->fields[i]);
    free(s->citations[i]);
  }
  free(s->fields);
  free(s->citations);
  *s = (tf_catalog_sources){0};
}

static void free_entry(tf_catalog_kind k, tf_catalog_entry *e) {
  if (!e)
    return;
  tf_schema_free(kinds[k].schema, e);
  free_sources(&e->sources);
  free(e);
}

int tf_catalog_create(tf_catalog **out) {
  *out = calloc(1, sizeof **out);
  return *out ? 0 : TF_FAIL(TF_ENOMEM, "catalogue");
}

void tf_catalog_destroy(tf_catalog *c) {
  if (!c)
    return;
  for (int k = 0; k < TF_CATALOG_KIND_COUNT_; k++) {
    for (size_t i = 0; i < c->n[k]; i++)
      free_entry((tf_catalog_kind)k, c->entries[k][i]);
    free(c->entries[k]);
  }
  for (size_t i = 0; i < c->n_files; i++)
    free(c->files[i]);
  free(c->files);
  free(c);
}

const char *tf_catalog_kind_name(tf_catalog_kind k) {
  return (unsigned)k < TF_CATALOG_KIND_COUNT_ ? kinds[k].plural : "?";
}

int tf_catalog_kind_parse(const char *word, tf_catalog_kind *out) {
  for (int k = 0; k < TF_CATALOG_KIND_COUNT_; k++)
    if (strcmp(word, kinds[k].plural) == 0) {
      *out = (tf_catalog_kind)k;
      return 0;
    }
  return TF_FAIL(TF_ENOTFOUND, "no catalogue kind \"%s\"", word);
}

size_t tf_catalog_count(const tf_catalog *c, tf_catalog_kind k) { return c->n[k]; }

const tf_catalog_entry *tf_catalog_at(const tf_catalog *c, tf_catalog_kind k, size_t i) {
  return i < c->n[k] ? c->entries[k][i] : NULL;
}

static size_t index_of(const tf_catalog *c, tf_catalog_kind k, const char *name) {
  for (size_t i = 0; i < c->n[k]; i++)
    if (strcmp(c->entries[k][i]->name, name) == 0)
      return i;
  return (size_t)-1;
}

const tf_catalog_entry *tf_catalog_find(const tf_catalog *c, tf_catalog_kind k, const char *name) {
  size_t i = index_of(c, k, name);
  return i == (size_t)-1 ? NULL : c->entries[k][i];
}

const tf_catalog_gpu *tf_catalog_find_gpu(const tf_catalog *c, const char *name) {
  return (const tf_catalog_gpu *)tf_catalog_find(c, TF_CATALOG_GPUS, name);
}

const tf_catalog_system *tf_catalog_find_system(const tf_catalog *c, const char *name) {
  return (const tf_catalog_system *)tf_catalog_find(c, TF_CATALOG_SYSTEMS, name);
}

const tf_catalog_model *tf_catalog_find_model(const tf_catalog *c, const char *name) {
  return (const tf_catalog_model *)tf_catalog_find(c, TF_CATALOG_MODELS, name);
}

void tf_catalog_unknown(const tf_catalog *c, tf_catalog_kind k, const char *name, char *buf,
                        size_t size) {
  const char **names = malloc((c->n[k] + 1) * sizeof *names);
  const char *near = NULL;
  if (names) {
    for (size_t i = 0; i < c->n[k]; i++)
      names[i] = c->entries[k][i]->name;
    near = tf_suggest_nearest(name, names, c->n[k]);
  }
  free(names);
  int used = near ? snprintf(buf, size, "unknown %s \"%s\"; did you mean \"%s\"?",
                             kinds[k].singular, name, near)
                  : snprintf(buf, size, "unknown %s \"%s\"", kinds[k].singular, name);
  if (used < 0 || (size_t)used >= size)
    return;
  size_t at = (size_t)used;
  if (c->n[k] == 0) {
    snprintf(buf + at, size - at, " (the catalogue has no %s)", kinds[k].plural);
    return;
  }
  for (size_t i = 0; i < c->n[k]; i++) {
    int w = snprintf(buf + at, size - at, "%s%s", i ? ", " : " (known: ", c->entries[k][i]->name);
    if (w < 0 || (size_t)w >= size - at)
      return;
    at += (size_t)w;
  }
  snprintf(buf + at, size - at, ")");
}

const char *tf_catalog_source(const tf_catalog_entry *e, const char *field) {
  for (size_t i = 0; i < e->sources.n; i++)
    if (strcmp(e->sources.fields[i], field) == 0)
      return e->sources.citations[i];
  return NULL;
}

/* Sets (or replaces) field's citation. 0 or TF_ENOMEM. */
static int set_source(tf_catalog_sources *s, const char *field, const char *citation) {
  char *cite = dup_str(citation);
  if (!cite)
    return TF_FAIL(TF_ENOMEM, "source");
  for (size_t i = 0; i < s->n; i++) {
    if (strcmp(s->fields[i], field) == 0) {
      free(s->citations[i]);
      s->citations[i] = cite;
      return 0;
    }
  }
  char *f = dup_str(field);
  char **fields = realloc(s->fields, (s->n + 1) * sizeof *fields);
  if (fields)
    s->fields = fields;
  char **cites = fields ? realloc(s->citations, (s->n + 1) * sizeof *cites) : NULL;
  if (cites)
    s->citations = cites;
  if (!f || !fields || !cites) {
    free(f);
    free(cite);
    return TF_FAIL(TF_ENOMEM, "source");
  }
  s->fields[s->n] = f;
  s->citations[s->n++] = cite;
  return 0;
}

static const char *intern_file(tf_catalog *c, const char *path) {
  if (c->n_files == c->cap_files) {
    size_t cap = c->cap_files ? 2 * c->cap_files : 8;
    char **files = realloc(c->files, cap * sizeof *files);
    if (!files)
      return NULL;
    c->files = files;
    c->cap_files = cap;
  }
  char *copy = dup_str(path);
  if (copy)
    c->files[c->n_files++] = copy;
  return copy;
}

static bool is_numeric(const tf_schema_field *f) {
  return f->type == TF_SCHEMA_QUANTITY || f->type == TF_SCHEMA_COUNT;
}

/* Reads an entry's `sources` mapping: every key a field of the entry, every value a citation. */
static int read_sources(tf_catalog_kind k, tf_catalog_entry *e, const tf_ytree_node *node,
                        const char *label, tf_diags *d) {
  if (tf_ytree_is_null(node))
    return 0;
  if (node->kind != TF_YTREE_MAPPING) {
    tf_diags_error(d, node->file, node->line, node->col,
                   "%s.sources: expected a mapping of field: citation, got %s", label,
                   tf_ytree_kind_noun(node));
    return 0;
  }
  const tf_schema *s = kinds[k].schema;
  for (size_t i = 0; i < node->n; i++) {
    const tf_ytree_node *key = node->keys[i], *value = node->items[i];
    const tf_schema_field *f = tf_schema_find(s, key->text);
    char section[256];
    snprintf(section, sizeof section, "%s.sources", label);
    if (!f || f->type == TF_SCHEMA_CUSTOM || strcmp(f->key, "name") == 0) {
      tf_schema_unknown_key(s, key, section, d);
      continue;
    }
    if (value->kind != TF_YTREE_SCALAR || tf_ytree_is_null(value)) {
      tf_diags_error(d, value->file, value->line, value->col,
                     "%s.%s: expected a citation (text), got %s", section, key->text,
                     tf_ytree_kind_noun(value));
      continue;
    }
    int rc = set_source(&e->sources, key->text, value->text);
    if (rc)
      return rc;
  }
  return 0;
}

/* Puts e into the catalogue: a new name is appended; a name read from an earlier file is
 * replaced in place; a name repeated within one file is an error. Takes ownership of e. */
static int insert(tf_catalog *c, tf_catalog_kind k, tf_catalog_entry *e, tf_diags *d) {
  size_t i = index_of(c, k, e->name);
  if (i != (size_t)-1) {
    tf_catalog_entry *old = c->entries[k][i];
    if (old->origin.file == e->origin.file) {
      tf_diags_error(d, e->origin.file, e->origin.line, e->origin.col,
                     "duplicate %s \"%s\" (first defined at line %d)", kinds[k].singular, e->name,
                     old->origin.line);
      free_entry(k, e);
      return 0;
    }
    free_entry(k, old);
    c->entries[k][i] = e;
    return 0;
  }
  if (c->n[k] == c->cap[k]) {
    size_t cap = c->cap[k] ? 2 * c->cap[k] : 16;
    tf_catalog_entry **v = realloc(c->entries[k], cap * sizeof *v);
    if (!v) {
      free_entry(k, e);
      return TF_FAIL(TF_ENOMEM, "catalogue");
    }
    c->entries[k] = v;
    c->cap[k] = cap;
  }
  c->entries[k][c->n[k]++] = e;
  return 0;
}

static int load_entry(tf_catalog *c, tf_catalog_kind k, const tf_ytree_node *item, size_t index,
                      const char *file, tf_diags *d) {
  const struct kind_desc *kd = &kinds[k];
  char label[160];
  const tf_ytree_node *name = tf_ytree_get(item, "name");
  if (name && name->kind == TF_YTREE_SCALAR && !tf_ytree_is_null(name))
    snprintf(label, sizeof label, "%s", name->text);
  else
    snprintf(label, sizeof label, "%s[%zu]", kd->plural, index);
  if (item->kind != TF_YTREE_MAPPING) {
    tf_diags_error(d, item->file, item->line, item->col, "%s: expected a mapping, got %s", label,
                   tf_ytree_kind_noun(item));
    return 0;
  }
  tf_catalog_entry *e = calloc(1, kd->size);
  if (!e)
    return TF_FAIL(TF_ENOMEM, "catalogue entry");
  const tf_ytree_node *where[MAX_FIELDS];
  tf_schema_apply(kd->schema, item, label, e, where, d);
  e->origin = (tf_catalog_origin){file, item->line, item->col};
  int rc = 0;
  if (where[SOURCES_FIELD])
    rc = read_sources(k, e, where[SOURCES_FIELD], label, d);
  /* Keep the data honest: every number given must say where it came from. */
  for (size_t i = 0; i < kd->schema->n_fields && rc == 0; i++) {
    const tf_schema_field *f = &kd->schema->fields[i];
    if (!where[i] || !is_numeric(f) || tf_catalog_source(e, f->key))
      continue;
    tf_diags_error(d, where[i]->file, where[i]->line, where[i]->col,
                   "%s.%s: no source given; add \"%s: <citation>\" under sources", label, f->key,
                   f->key);
  }
  if (k == TF_CATALOG_SYSTEMS) {
    const tf_ytree_node *gpu = tf_ytree_get(item, "gpu");
    if (gpu)
      ((tf_catalog_system *)e)->gpu_origin = (tf_catalog_origin){file, gpu->line, gpu->col};
  }
  if (rc || !e->name) {
    free_entry(k, e);
    return rc;
  }
  return insert(c, k, e, d);
}

static const char *const kind_words[] = {"gpus", "systems", "models"};

int tf_catalog_load_file(tf_catalog *c, const char *path, const tf_ytree_node *cited_at,
                         tf_diags *d) {
  char *text;
  size_t len;
  int rc = tf_ytree_read_file(path, &text, &len);
  if (rc == TF_EIO) {
    if (cited_at)
      tf_diags_error(d, cited_at->file, cited_at->line, cited_at->col,
                     "cannot open catalogue \"%s\": %s", path, strerror(errno));
    else
      tf_diags_error(d, path, 0, 0, "cannot open: %s", strerror(errno));
    return 0;
  }
  if (rc)
    return rc;
  const char *file = intern_file(c, path);
  if (!file) {
    free(text);
    return TF_FAIL(TF_ENOMEM, "catalogue");
  }
  tf_ytree_node *root;
  rc = tf_ytree_parse(text, len, file, 0, &root, d);
  free(text);
  if (rc == TF_EPARSE)
    return 0;
  if (rc)
    return rc;
  if (root && root->kind != TF_YTREE_MAPPING && !tf_ytree_is_null(root))
    tf_diags_error(d, root->file, root->line, root->col,
                   "a catalogue file is a mapping with keys gpus, systems, models; got %s",
                   tf_ytree_kind_noun(root));
  for (size_t i = 0; rc == 0 && root && root->kind == TF_YTREE_MAPPING && i < root->n; i++) {
    const tf_ytree_node *key = root->keys[i], *list = root->items[i];
    tf_catalog_kind k = TF_CATALOG_GPUS;
    if (tf_catalog_kind_parse(key->text, &k)) {
      const char *near = tf_suggest_nearest(key->text, kind_words, 3);
      tf_diags_error(d, key->file, key->line, key->col,
                     "unknown key \"%s\" in catalogue%s%s%s (known keys: gpus, systems, models)",
                     key->text, near ? "; did you mean \"" : "", near ? near : "",
                     near ? "\"?" : "");
      continue;
    }
    if (tf_ytree_is_null(list))
      continue;
    if (list->kind != TF_YTREE_SEQUENCE) {
      tf_diags_error(d, list->file, list->line, list->col, "%s: expected a list of entries, got %s",
                     key->text, tf_ytree_kind_noun(list));
      continue;
    }
    for (size_t j = 0; rc == 0 && j < list->n; j++)
      rc = load_entry(c, k, list->items[j], j, file, d);
  }
  tf_ytree_free(root);
  return rc;
}

int tf_catalog_load_dir(tf_catalog *c, const char *dir, tf_diags *d) {
  static const char *const files[] = {"gpus.yaml", "systems.yaml", "models.yaml"};
  for (size_t i = 0; i < 3; i++) {
    size_t n = strlen(dir) + strlen(files[i]) + 2;
    char *path = malloc(n);
    if (!path)
      return TF_FAIL(TF_ENOMEM, "catalogue path");
    if (dir[0] == '\0' || strcmp(dir, ".") == 0)
      snprintf(path, n, "%s", files[i]);
    else
      snprintf(path, n, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", files[i]);
    int rc = tf_catalog_load_file(c, path, NULL, d);
    free(path);
    if (rc)
      return rc;
  }
  return 0;
}

/* Applies one entry's overrides ({FIELD: VALUE}). */
static int override_entry(tf_catalog *c, tf_catalog_kind k, tf_catalog_entry *e, const tf_ytree_node *fields,
                          const char *section, tf_diags *d) {
  const tf_schema *s = kinds[k].schema;
  if (fields->kind != TF_YTREE_MAPPING) {
    tf_diags_error(d, fields->file, fields->line, fields->col,
                   "%s: expected a mapping of field: value, got %s", section,
                   tf_ytree_kind_noun(fields));
    return 0;
  }
  for (size_t i = 0; i < fields->n; i++) {
    const tf_ytree_node *key = fields->keys[i], *value = fields->items[i];
    const tf_schema_field *f = tf_schema_find(s, key->text);
    if (!f) {
      tf_schema_unknown_key(s, key, section, d);
      continue;
    }
    if (f->type == TF_SCHEMA_CUSTOM || strcmp(f->key, "name") == 0) {
      tf_diags_error(d, key->file, key->line, key->col,
                     "%s: \"%s\" cannot be overridden (%s)", section, key->text,
                     f->type == TF_SCHEMA_CUSTOM ? "an override is its own source"
                                                 : "add an entry under a new name instead");
      continue;
    }
    char path[320];
    tf_schema_join(path, sizeof path, section, f->key);
    if (!tf_schema_apply_field(f, value, path, e, d))
      continue;
    char cite[320];
    snprintf(cite, sizeof cite, "override at %s:%d:%d", value->file, value->line, value->col);
    int rc = set_source(&e->sources, f->key, cite);
    if (rc)
      return rc;
    if (k == TF_CATALOG_SYSTEMS && strcmp(f->key, "gpu") == 0) {
      /* The origin must outlive the tree: the catalogue keeps its own copy of the file name. */
      const char *file = intern_file(c, value->file);
      if (!file)
        return TF_FAIL(TF_ENOMEM, "catalogue");
      ((tf_catalog_system *)e)->gpu_origin = (tf_catalog_origin){file, value->line, value->col};
    }
  }
  return 0;
}

int tf_catalog_apply_overrides(tf_catalog *c, const tf_ytree_node *overrides, tf_diags *d) {
  if (!overrides || tf_ytree_is_null(overrides))
    return 0;
  if (overrides->kind != TF_YTREE_MAPPING) {
    tf_diags_error(d, overrides->file, overrides->line, overrides->col,
                   "overrides: expected a mapping with keys gpus, systems, models, got %s",
                   tf_ytree_kind_noun(overrides));
    return 0;
  }
  for (size_t i = 0; i < overrides->n; i++) {
    const tf_ytree_node *key = overrides->keys[i], *byname = overrides->items[i];
    tf_catalog_kind k = TF_CATALOG_GPUS;
    if (tf_catalog_kind_parse(key->text, &k)) {
      const char *near = tf_suggest_nearest(key->text, kind_words, 3);
      tf_diags_error(d, key->file, key->line, key->col,
                     "unknown key \"%s\" in overrides%s%s%s (known keys: gpus, systems, models)",
                     key->text, near ? "; did you mean \"" : "", near ? near : "",
                     near ? "\"?" : "");
      continue;
    }
    if (tf_ytree_is_null(byname))
      continue;
    if (byname->kind != TF_YTREE_MAPPING) {
      tf_diags_error(d, byname->file, byname->line, byname->col,
                     "overrides.%s: expected a mapping of name: {field: value}, got %s",
                     key->text, tf_ytree_kind_noun(byname));
      continue;
    }
    for (size_t j = 0; j < byname->n; j++) {
      const tf_ytree_node *name = byname->keys[j];
      size_t at = index_of(c, k, name->text);
      if (at == (size_t)-1) {
        char msg[1024];
        tf_catalog_unknown(c, k, name->text, msg, sizeof msg);
        tf_diags_error(d, name->file, name->line, name->col, "overrides.%s: %s", key->text, msg);
        continue;
      }
      char section[256];
      snprintf(section, sizeof section, "overrides.%s.%s", key->text, name->text);
      int rc = override_entry(c, k, c->entries[k][at], byname->items[j], section, d);
      if (rc)
        return rc;
    }
  }
  return 0;
}

int tf_catalog_check(tf_catalog *c, tf_diags *d) {
  for (size_t i = 0; i < c->n[TF_CATALOG_SYSTEMS]; i++) {
    tf_catalog_system *s = (tf_catalog_system *)c->entries[TF_CATALOG_SYSTEMS][i];
    s->gpu_entry = s->gpu ? tf_catalog_find_gpu(c, s->gpu) : NULL;
    if (s->gpu && !s->gpu_entry) {
      char msg[1024];
      tf_catalog_unknown(c, TF_CATALOG_GPUS, s->gpu, msg, sizeof msg);
      tf_diags_error(d, s->gpu_origin.file, s->gpu_origin.line, s->gpu_origin.col,
                     "%s.gpu: %s", s->entry.name, msg);
    }
  }
  return 0;
}

int tf_catalog_open(const char *dir, tf_catalog **out, tf_diags *d) {
  *out = NULL;
  tf_catalog *c;
  int rc = tf_catalog_create(&c);
  if (rc)
    return rc;
  size_t before = tf_diags_error_count(d);
  if ((rc = tf_catalog_load_dir(c, dir, d)) || (rc = tf_catalog_check(c, d))) {
    tf_catalog_destroy(c);
    return rc;
  }
  if (tf_diags_error_count(d) > before) {
    tf_catalog_destroy(c);
    return TF_FAIL(TF_EPARSE, "%s: catalogue has errors", dir);
  }
  *out = c;
  return 0;
}

/* ---- listing and describing ---- */

static const tf_schema_field *field_named(tf_catalog_kind k, const char *key) {
  return tf_schema_find(kinds[k].schema, key);
}

/* Appends "  LABEL VALUE" for field key of e to buf when present. */
static void headline(tf_catalog_kind k, const tf_catalog_entry *e, const char *key,
                     const char *suffix, char *buf, size_t size) {
  const tf_schema_field *f = field_named(k, key);
  if (!f || !tf_schema_present(f, e))
    return;
  char v[64];
  tf_schema_format(f, e, v, sizeof v);
  if (f->type == TF_SCHEMA_COUNT) { /* parameter counts read better as "671B" */
    int64_t x = *(const int64_t *)((const char *)e + f->offset);
    if (x >= 1000000000)
      snprintf(v, sizeof v, "%.4gB", (double)x / 1e9);
  }
  size_t used = strlen(buf);
  snprintf(buf + used, size - used, "%s%s%s", used ? ", " : "", v, suffix);
}

void tf_catalog_list(const tf_catalog *c, tf_catalog_kind k, FILE *f) {
  static const struct {
    const char *key, *suffix;
  } heads[TF_CATALOG_KIND_COUNT_][4] = {
      [TF_CATALOG_GPUS] = {{"bf16_dense", " BF16"},
                           {"hbm_capacity", " HBM"},
                           {"hbm_bandwidth", ""},
                           {"tdp", ""}},
      [TF_CATALOG_SYSTEMS] = {{"gpus", " x"}, {"gpu", ""}, {"power", ""}, {NULL, NULL}},
      [TF_CATALOG_MODELS] = {{"params_total", " params"},
                             {"params_active", " active"},
                             {"layers", " layers"},
                             {"attention", ""}},
  };
  for (size_t i = 0; i < c->n[k]; i++) {
    const tf_catalog_entry *e = c->entries[k][i];
    char line[256] = "";
    for (int h = 0; h < 4 && heads[k][h].key; h++)
      headline(k, e, heads[k][h].key, heads[k][h].suffix, line, sizeof line);
    /* "8 x, h100-sxm" reads better as "8 x h100-sxm". */
    char *comma = strstr(line, " x, ");
    if (comma)
      memmove(comma + 2, comma + 3, strlen(comma + 3) + 1);
    fprintf(f, "%-18s %-44s %s\n", e->name, e->display_name ? e->display_name : "", line);
  }
}

int tf_catalog_describe(const tf_catalog *c, tf_catalog_kind k, const char *name, FILE *f) {
  const tf_catalog_entry *e = tf_catalog_find(c, k, name);
  if (!e)
    return TF_FAIL(TF_ENOTFOUND, "no %s \"%s\"", kinds[k].singular, name);
  fprintf(f, "%s %s", kinds[k].singular, e->name);
  if (e->display_name)
    fprintf(f, ": %s", e->display_name);
  fprintf(f, "\n  defined at %s:%d:%d\n", e->origin.file, e->origin.line, e->origin.col);
  const tf_schema *s = kinds[k].schema;
  for (size_t i = 0; i < s->n_fields; i++) {
    const tf_schema_field *fld = &s->fields[i];
    if (fld->type == TF_SCHEMA_CUSTOM || strcmp(fld->key, "name") == 0 ||
        strcmp(fld->key, "display_name") == 0)
      continue;
    if (!tf_schema_present(fld, e)) {
      fprintf(f, "  %-20s absent\n", fld->key);
      continue;
    }
    char v[128];
    tf_schema_format(fld, e, v, sizeof v);
    fprintf(f, "  %-20s %s\n", fld->key, v);
    const char *src = tf_catalog_source(e, fld->key);
    if (src)
      fprintf(f, "  %-20s   source: %s\n", "", src);
    else if (is_numeric(fld))
      fprintf(f, "  %-20s   source: none given\n", "");
  }
  return 0;
}
