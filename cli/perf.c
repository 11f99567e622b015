/* tokenfab perf: the step-time model explained for a scenario's model and hardware. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "diag.h"
#include "error.h"
#include "gpu_profile.h"
#include "perf.h"
#include "perf_report.h"
#include "scenario.h"

/* The representative batches: a prefill chunk, then decode at several batch sizes and contexts.
 * Sequences are per attention (DP) group. */
static const struct {
  bool prefill;
  double sequences, context;
} batches[] = {
    {true, 1, 0},      {false, 1, 2048},   {false, 16, 2048},
    {false, 64, 2048}, {false, 256, 2048}, {false, 64, 8192},
};
enum { N_BATCHES = sizeof batches / sizeof batches[0] };

int tf_cli_perf_config(const tf_scenario *s, tf_perf_config *cfg) {
  const char *file = s->serving.origin.line ? s->serving.origin.file : s->path;
  int line = s->serving.origin.line, col = s->serving.origin.col;
  if (!s->model.present || s->n_hardware == 0) {
    fprintf(stderr, "%s: error: perf needs a `model` and at least one `hardware` item\n",
            s->path);
    return TF_EXIT_USAGE;
  }
  const tf_scenario_hardware *hw = &s->hardware[s->serving.hardware_index];
  const tf_catalog_system *sys = hw->entry;
  *cfg = (tf_perf_config){
      .model = s->model.entry,
      .hw = {.gpu = sys->gpu_entry,
             .scale_up_domain = sys->has.scale_up_domain ? sys->scale_up_domain : sys->gpus},
      .profile = s->fitted_profile.gpu ? s->fitted_profile.gpu : tf_gpu_profile_default(),
      .layout = s->serving.layout,
      .precision = s->serving.precision,
      .speculation = s->serving.speculation,
      .routing = s->serving.routing,
      .memory_utilisation = s->serving.memory_utilisation,
      .max_batch_tokens = s->serving.max_batch_tokens,
  };
  tf_err_clear();
  if (tf_perf_config_check(cfg) != 0) {
    /* The model's messages start with the layout key they concern ("tp must divide ..."): point
     * at that key when the scenario wrote it, else at the section. */
    const char *why = tf_err_reason();
    static const char *const keys[TF_SCENARIO_LAYOUT_KEYS_] = {"tp ", "dp ", "ep ", "pp "};
    for (int k = 0; k < TF_SCENARIO_LAYOUT_KEYS_; k++)
      if (strncmp(why, keys[k], 3) == 0 && s->serving.layout_origin[k].line) {
        file = s->serving.layout_origin[k].file;
        line = s->serving.layout_origin[k].line;
        col = s->serving.layout_origin[k].col;
      }
    if (line)
      fprintf(stderr, "%s:%d:%d: error: serving: %s\n", file, line, col, why);
    else
      fprintf(stderr, "%s: error: serving (defaults): %s\n", file, why);
    return TF_EXIT_USAGE;
  }
  int64_t replica = cfg->layout.tp * cfg->layout.dp * cfg->layout.pp;
  int64_t have = hw->count * (sys->has.gpus ? sys->gpus : 0);
  if (replica > have) {
    fprintf(stderr,
            "%s:%d:%d: error: serving: a replica needs tp x dp x pp = %" PRId64
            " GPUs, but the scenario has %" PRId64 " (%" PRId64 " x %s)\n",
            file, line ? line : 1, line ? col : 1, replica, have, hw->count, hw->system);
    return TF_EXIT_USAGE;
  }
  return TF_EXIT_OK;
}

static double fit_shortfall(const tf_perf_config *cfg) {
  tf_perf_memory m;
  tf_perf_memory_fit(cfg, &m);
  double need_kv = (double)cfg->max_batch_tokens / (double)cfg->layout.dp * m.kv_bytes_per_token;
  return need_kv - m.kv_bytes; /* > 0: bytes missing per GPU */
}

/* Explains a layout that does not fit and suggests ones that would. */
static void explain_no_fit(const tf_scenario *s, const tf_perf_config *cfg,
                           const tf_perf_memory *m) {
  const char *file = s->serving.origin.line ? s->serving.origin.file : s->path;
  int line = s->serving.origin.line ? s->serving.origin.line : 1;
  int col = s->serving.origin.line ? s->serving.origin.col : 1;
  fprintf(stderr,
          "%s:%d:%d: error: serving: %s does not fit on %s with tp %" PRId64 ", dp %" PRId64
          ", ep %" PRId64 ", pp %" PRId64 ": weights %.1f GB + workspace %.1f GB per GPU, "
          "%.1f GB usable (%.0f%% of %.0f GB); short by %.1f GB for the KV cache of one %" PRId64
          "-token step\n",
          file, line, col, cfg->model->entry.name, cfg->hw.gpu->entry.name, cfg->layout.tp,
          cfg->layout.dp, cfg->layout.ep, cfg->layout.pp, m->weight_bytes / 1e9,
          m->workspace_bytes / 1e9, m->usable_bytes / 1e9, 100 * cfg->memory_utilisation,
          m->hbm_bytes / 1e9, fit_shortfall(cfg) / 1e9, cfg->max_batch_tokens);

  bool any = false;
  /* Narrower expert or weight formats. */
  for (int p = TF_PREC_FP8; p <= TF_PREC_FP4; p++) {
    tf_perf_config c = *cfg;
    if (c.precision.experts >= (tf_precision)p)
      continue;
    c.precision.experts = (tf_precision)p;
    if (fit_shortfall(&c) <= 0) {
      fprintf(stderr, "  note: would fit with --set serving.precision.experts=%s\n",
              tf_precision_name((tf_precision)p));
      any = true;
      break;
    }
  }
  /* More GPUs: double dp (and ep with it when experts are spread over all of them). */
  tf_perf_config c = *cfg;
  for (int i = 0; i < 6; i++) {
    bool ep_follows = c.layout.ep == c.layout.tp * c.layout.dp;
    c.layout.dp *= 2;
    if (ep_follows)
      c.layout.ep = c.layout.tp * c.layout.dp;
    if (tf_perf_config_check(&c) != 0)
      break;
    if (fit_shortfall(&c) <= 0) {
      fprintf(stderr,
              "  note: would fit on %" PRId64 " GPUs: --set serving.dp=%" PRId64
              " --set serving.ep=%" PRId64 "\n",
              c.layout.tp * c.layout.dp * c.layout.pp, c.layout.dp, c.layout.ep);
      any = true;
      break;
    }
  }
  /* The same layout on a GPU with more memory. */
  size_t n = tf_catalog_count(s->catalog, TF_CATALOG_GPUS);
  char names[512] = "";
  size_t used = 0;
  for (size_t i = 0; i < n; i++) {
    const tf_catalog_gpu *g = (const tf_catalog_gpu *)tf_catalog_at(s->catalog, TF_CATALOG_GPUS, i);
    tf_perf_config c2 = *cfg;
    c2.hw.gpu = g;
    if (g == cfg->hw.gpu || tf_perf_config_check(&c2) != 0 || fit_shortfall(&c2) > 0)
      continue;
    int k = snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "", g->entry.name);
    if (k < 0 || (size_t)k >= sizeof names - used)
      break;
    used += (size_t)k;
  }
  if (used) {
    fprintf(stderr, "  note: the same layout fits on these GPUs: %s\n", names);
    any = true;
  }
  if (!any)
    fprintf(stderr, "  note: no nearby layout fits; try more GPUs or a smaller model\n");
}

int tf_cli_degraded_config(const tf_scenario *s, const tf_perf_config *full,
                           tf_perf_config *out, int64_t *kv_tokens) {
  *out = *full;
  *kv_tokens = 0;
  if (!s->serving.degraded.present)
    return TF_EXIT_OK;
  const tf_catalog_origin *o = &s->serving.degraded.origin;
  out->layout = s->serving.degraded.layout;
  tf_err_clear();
  if (tf_perf_config_check(out) != 0) {
    fprintf(stderr, "%s:%d:%d: error: serving.degraded: %s\n", o->file, o->line, o->col,
            tf_err_reason());
    return TF_EXIT_USAGE;
  }
  tf_perf_memory m;
  tf_perf_memory_fit(out, &m);
  if (!m.fits) {
    fprintf(stderr,
            "%s:%d:%d: error: serving.degraded: %s does not fit on %" PRId64 " x %s (tp %" PRId64
            ", dp %" PRId64 ", ep %" PRId64 ", pp %" PRId64 "): weights %.1f GB + workspace "
            "%.1f GB per GPU, %.1f GB usable; a degraded layout needs more GPUs\n",
            o->file, o->line, o->col, out->model->entry.name,
            out->layout.tp * out->layout.dp * out->layout.pp, out->hw.gpu->entry.name,
            out->layout.tp, out->layout.dp, out->layout.ep, out->layout.pp,
            m.weight_bytes / 1e9, m.workspace_bytes / 1e9, m.usable_bytes / 1e9);
    return TF_EXIT_USAGE;
  }
  *kv_tokens = (int64_t)(m.max_tokens * (double)out->layout.dp); /* as the replica's */
  return TF_EXIT_OK;
}

int tf_cli_check_serving(const tf_scenario *s) {
  tf_perf_config cfg;
  int rc = tf_cli_perf_config(s, &cfg);
  if (rc != TF_EXIT_OK)
    return rc;
  tf_perf_memory m;
  tf_perf_memory_fit(&cfg, &m);
  if (!m.fits) {
    explain_no_fit(s, &cfg, &m);
    return TF_EXIT_USAGE;
  }
  tf_perf_config deg;
  int64_t kv;
  return tf_cli_degraded_config(s, &cfg, &deg, &kv);
}

/* Writes path atomically: to path.tmp, then renamed over path. */
static int write_csv(const char *dir, const char *name, const tf_perf_report *r,
                     int (*write)(FILE *, const tf_perf_report *)) {
  char path[4096], tmp[4200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) {
    fprintf(stderr, "tokenfab perf: cannot write %s: %s\n", tmp, strerror(errno));
    return TF_EXIT_FAILURE;
  }
  int rc = write(f, r);
  if (fclose(f) != 0 || rc != 0) {
    fprintf(stderr, "tokenfab perf: cannot write %s: %s\n", tmp, strerror(errno));
    remove(tmp);
    return TF_EXIT_FAILURE;
  }
  if (rename(tmp, path) != 0) {
    fprintf(stderr, "tokenfab perf: cannot rename %s to %s: %s\n", tmp, path, strerror(errno));
    remove(tmp);
    return TF_EXIT_FAILURE;
  }
  return TF_EXIT_OK;
}

int tf_cli_perf(int argc, char **argv) {
  /* --csv DIR is perf's own; the rest is shared with run and validate. */
  const char *csv_dir = NULL;
  char **rest = calloc((size_t)argc + 1, sizeof *rest);
  if (!rest) {
    fprintf(stderr, "tokenfab perf: out of memory\n");
    return TF_EXIT_FAILURE;
  }
  int n = 0;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      for (; i < argc; i++)
        rest[n++] = argv[i];
      break;
    }
    if (tf_cli_option(argc, argv, &i, "--csv", &csv_dir)) {
      if (!csv_dir || !*csv_dir) {
        free(rest);
        return tf_cli_usage_error("perf", "--csv needs a folder%s", "");
      }
      continue;
    }
    rest[n++] = argv[i];
  }
  tf_scenario s = {0};
  int rc = tf_cli_open_scenario(n, rest, &s);
  free(rest);
  if (rc != TF_EXIT_OK)
    return rc;

  tf_perf_config cfg;
  rc = tf_cli_perf_config(&s, &cfg);
  if (rc != TF_EXIT_OK) {
    tf_scenario_destroy(&s);
    return rc;
  }
  tf_perf_report r = {.cfg = &cfg,
                      .system = s.hardware[s.serving.hardware_index].system,
                      .n_batches = N_BATCHES};
  tf_perf_memory_fit(&cfg, &r.memory);
  if (!r.memory.fits) {
    explain_no_fit(&s, &cfg, &r.memory);
    tf_scenario_destroy(&s);
    return TF_EXIT_USAGE;
  }
  double dp = (double)cfg.layout.dp;
  for (int i = 0; i < N_BATCHES; i++) {
    tf_perf_report_batch *b = &r.batch[i];
    b->prefill = batches[i].prefill;
    b->sequences = batches[i].sequences;
    b->context = batches[i].context;
    if (b->prefill) {
      b->sequences = 1;
      b->context = (double)cfg.max_batch_tokens / dp; /* one chunk per attention group */
      b->batch = tf_perf_prefill(dp, b->context, 0);
    } else {
      b->batch = tf_perf_decode(b->sequences * dp, b->context);
    }
    double kv_tokens = b->prefill ? b->context : b->sequences * (b->context + 1);
    b->fits_kv = kv_tokens <= r.memory.max_tokens;
    if (tf_perf_step_time(&cfg, &b->batch, &b->step) != 0) {
      fprintf(stderr, "tokenfab perf: %s\n", tf_err_reason());
      tf_scenario_destroy(&s);
      return TF_EXIT_FAILURE;
    }
  }

  /* The CSV files first: if they cannot be written, nothing is printed as if it worked. */
  if (csv_dir) {
    if (mkdir(csv_dir, 0777) != 0 && errno != EEXIST) {
      fprintf(stderr, "tokenfab perf: cannot create %s: %s\n", csv_dir, strerror(errno));
      tf_scenario_destroy(&s);
      return TF_EXIT_FAILURE;
    }
    rc = write_csv(csv_dir, "perf_steps.csv", &r, tf_perf_report_steps_csv);
    if (rc == TF_EXIT_OK)
      rc = write_csv(csv_dir, "perf_memory.csv", &r, tf_perf_report_memory_csv);
    if (rc != TF_EXIT_OK) {
      tf_scenario_destroy(&s);
      return rc;
    }
  }
  tf_perf_report_print(stdout, &r);
  if (csv_dir)
    printf("\nwrote %s/perf_steps.csv and %s/perf_memory.csv\n", csv_dir, csv_dir);
  tf_scenario_destroy(&s);
  return rc;
}
