/* Terminal and CSV reports of the step-time model. */
#include "perf_report.h"

#include <csv.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "appendf.h"
#include "error.h"

/* Human sizes without pulling in the loader's unit formatter: GB with 3 significant digits. */
static const char *gb(double bytes, char *buf, size_t size) {
  snprintf(buf, size, "%.3g GB", bytes / 1e9);
  return buf;
}

/* A table line, built cell by cell and printed without trailing blanks. */
typedef struct line {
  char text[512];
  size_t used;
} line;

/* Appends to a line, cut when full. */
#define put(l, ...) tf_appendf((l)->text, sizeof (l)->text, &(l)->used, __VA_ARGS__)

static void flush_line(FILE *f, line *l) {
  while (l->used > 0 && l->text[l->used - 1] == ' ')
    l->used--;
  l->text[l->used] = '\0';
  fprintf(f, "%s\n", l->text);
  l->used = 0;
}

static char bound_letter(tf_perf_bound b) {
  static const char letters[TF_BOUND_COUNT_] = {'C', 'H', 'U', 'O', 'L', ' '};
  return (unsigned)b < TF_BOUND_COUNT_ ? letters[b] : '?';
}

static void batch_label(const tf_perf_report_batch *b, char *buf, size_t size) {
  if (b->prefill)
    snprintf(buf, size, "prefill %.0f", b->context);
  else if (b->context >= 1024 && fmod(b->context, 1024) == 0)
    snprintf(buf, size, "%.0f x %.0fk", b->sequences, b->context / 1024);
  else
    snprintf(buf, size, "%.0f x %.0f", b->sequences, b->context);
}

void tf_perf_report_print(FILE *f, const tf_perf_report *r) {
  const tf_perf_config *c = r->cfg;
  const tf_perf_layout *l = &c->layout;
  char a[32], b2[32], c2[32], d[32];
  fprintf(f, "perf       %s on %s (%s GPUs, scale-up domain %" PRId64 ")\n",
          c->model->entry.name, r->system, c->hw.gpu->entry.name, c->hw.scale_up_domain);
  fprintf(f,
          "layout     tp %" PRId64 ", dp %" PRId64 ", ep %" PRId64 ", pp %" PRId64
          ": %" PRId64 " GPUs per replica; %s\n",
          l->tp, l->dp, l->ep, l->pp, l->tp * l->dp * l->pp,
          l->overlap ? "two micro-batches overlap communication" : "no overlap");
  fprintf(f, "precision  weights %s, experts %s, activations %s, KV cache %s\n",
          tf_precision_name(c->precision.weights), tf_precision_name(c->precision.experts),
          tf_precision_name(c->precision.activations), tf_precision_name(c->precision.kv_cache));
  if (c->speculation.draft_tokens > 0)
    fprintf(f, "drafts     %" PRId64 " per step, acceptance %g\n", c->speculation.draft_tokens,
            c->speculation.acceptance);
  fprintf(f, "profile    %s\n", c->profile->name);
  if (c->profile != tf_gpu_profile_default()) /* a calibrated one: what it says, in short */
    fprintf(f, "           efficiency GEMM %.4g, attention %.4g, HBM %.4g, scale-up %.4g, "
               "scale-out %.4g\n",
            c->profile->gemm_eff, c->profile->attn_eff, c->profile->hbm_eff,
            c->profile->scale_up_eff, c->profile->scale_out_eff);
  const tf_perf_memory *m = &r->memory;
  char e[32];
  fprintf(f, "memory     per GPU: %s HBM, %s usable (%.0f%%): weights %s (routed experts %s), "
             "workspace %s\n",
          gb(m->hbm_bytes, a, sizeof a), gb(m->usable_bytes, b2, sizeof b2),
          100 * c->memory_utilisation, gb(m->weight_bytes, c2, sizeof c2),
          gb(m->expert_weight_bytes, d, sizeof d), gb(m->workspace_bytes, e, sizeof e));
  fprintf(f, "           KV cache %s: %.0f bytes per token, %.0f tokens per attention group\n",
          gb(m->kv_bytes, a, sizeof a), m->kv_bytes_per_token, m->max_tokens);
  fprintf(f, "\nstep time (ms) and bound, per batch: prefill CHUNK tokens per attention group, "
             "or SEQUENCES x CONTEXT decoding per attention group\n");
  line ln = {.used = 0};
  put(&ln, "%-28s", "");
  for (size_t i = 0; i < r->n_batches; i++) {
    char label[32];
    batch_label(&r->batch[i], label, sizeof label);
    put(&ln, " %12s", label);
  }
  flush_line(f, &ln);
  for (int k = 0; k < TF_PERF_COMPONENT_COUNT_; k++) {
    bool used = false;
    for (size_t i = 0; i < r->n_batches; i++)
      used |= r->batch[i].step.part[k].time_s > 0;
    if (!used)
      continue;
    put(&ln, "%-28s", tf_perf_component_name((tf_perf_component)k));
    for (size_t i = 0; i < r->n_batches; i++) {
      const tf_perf_part *p = &r->batch[i].step.part[k];
      if (p->time_s > 0)
        put(&ln, " %10.3f %c", p->time_s * 1e3, bound_letter(p->bound));
      else
        put(&ln, " %10s  ", "-");
    }
    flush_line(f, &ln);
  }
  static const char *const labels[] = {"communication hidden", "step (one stage)",
                                       "tokens out per step",  "tokens/s per GPU",
                                       "expert imbalance",     "KV cache fits"};
  for (int j = 0; j < 6; j++) {
    if (j == 0 && !c->layout.overlap)
      continue;
    if (j == 4 && !(c->model->has.experts && c->model->experts > 0))
      continue;
    put(&ln, "%-28s", labels[j]);
    for (size_t i = 0; i < r->n_batches; i++) {
      const tf_perf_report_batch *b = &r->batch[i];
      const tf_perf_step *s = &b->step;
      switch (j) {
      case 0: put(&ln, " %10.3f  ", -s->hidden_comm_s * 1e3); break;
      case 1: put(&ln, " %10.3f  ", s->stage_s * 1e3); break;
      case 2: put(&ln, " %10.6g  ", b->prefill ? s->tokens_in : s->tokens_out); break;
      case 3:
        put(&ln, " %10.6g  ",
            b->prefill ? s->prefill_tokens_per_s_per_gpu : s->tokens_out_per_s_per_gpu);
        break;
      case 4: put(&ln, " %10.4g  ", s->imbalance); break;
      default: put(&ln, " %10s  ", b->fits_kv ? "yes" : "NO"); break;
      }
    }
    flush_line(f, &ln);
  }
  fprintf(f, "bounds: C compute, H HBM, U scale-up, O scale-out, L latency and overheads. "
             "Prefill rows count tokens in.\n");
}

/* One CSV field through libcsv's quoting. */
static void field(FILE *f, const char *s, bool last) {
  csv_fwrite(f, s, strlen(s));
  fputc(last ? '\n' : ',', f);
}

static void number(FILE *f, double x, bool last) {
  fprintf(f, "%.9g%c", x, last ? '\n' : ',');
}

int tf_perf_report_steps_csv(FILE *f, const tf_perf_report *r) {
  fputs("batch,kind,sequences,context_tokens,component,time_s,flops,hbm_bytes,net_bytes,bound\n",
        f);
  for (size_t i = 0; i < r->n_batches; i++) {
    const tf_perf_report_batch *b = &r->batch[i];
    char label[32];
    batch_label(b, label, sizeof label);
    for (int k = 0; k <= TF_PERF_COMPONENT_COUNT_; k++) {
      bool total = k == TF_PERF_COMPONENT_COUNT_;
      const tf_perf_part *p = total ? NULL : &b->step.part[k];
      field(f, label, false);
      field(f, b->prefill ? "prefill" : "decode", false);
      number(f, b->sequences, false);
      number(f, b->context, false);
      field(f, total ? "step" : tf_perf_component_name((tf_perf_component)k), false);
      number(f, total ? b->step.stage_s : p->time_s, false);
      double flops = 0, hbm = 0, net = 0;
      for (int j = 0; j < TF_PERF_COMPONENT_COUNT_; j++)
        if (total || j == k) {
          flops += b->step.part[j].flops;
          hbm += b->step.part[j].hbm_bytes;
          net += b->step.part[j].net_bytes;
        }
      number(f, flops, false);
      number(f, hbm, false);
      number(f, net, false);
      field(f, total ? "" : p->bound == TF_BOUND_NONE ? "" : tf_perf_bound_name(p->bound), true);
    }
  }
  return ferror(f) ? TF_FAIL(TF_EIO, "writing CSV failed") : 0;
}

int tf_perf_report_memory_csv(FILE *f, const tf_perf_report *r) {
  const tf_perf_memory *m = &r->memory;
  fputs("quantity,value,unit\n", f);
  const struct {
    const char *name;
    double value;
    const char *unit;
  } rows[] = {
      {"hbm", m->hbm_bytes, "B"},
      {"usable", m->usable_bytes, "B"},
      {"weights", m->weight_bytes, "B"},
      {"routed_expert_weights", m->expert_weight_bytes, "B"},
      {"workspace", m->workspace_bytes, "B"},
      {"kv_cache", m->kv_bytes, "B"},
      {"kv_bytes_per_token", m->kv_bytes_per_token, "B"},
      {"max_kv_tokens_per_attention_group", m->max_tokens, "tokens"},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    field(f, rows[i].name, false);
    number(f, rows[i].value, false);
    field(f, rows[i].unit, true);
  }
  return ferror(f) ? TF_FAIL(TF_EIO, "writing CSV failed") : 0;
}
