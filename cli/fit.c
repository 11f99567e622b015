/* The fit subcommand: a calibration's measurement folder fitted into a GPU profile; calibrate
 * (cli/calibrate.c) measures a folder first and fits it here. */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog.h"
#include "cli.h"
#include "diag.h"
#include "error.h"
#include "fit.h"
#include "measurements.h"
#include "profile_io.h"

static void print_problem(void *ctx, const char *file, int line, const char *msg) {
  (void)ctx;
  if (line > 0)
    fprintf(stderr, "%s:%d: %s\n", file, line, msg);
  else
    fprintf(stderr, "%s: %s\n", file, msg);
}

/* ---- Which catalogue GPU was measured ---- */

enum { MAX_TOKENS = 16, TOKEN_MAX = 32 };
typedef struct tokens {
  size_t n;
  char word[MAX_TOKENS][TOKEN_MAX];
} tokens;

/* The lower-case alphanumeric words of s ("NVIDIA H100 80GB HBM3" -> nvidia, h100, 80gb, hbm3). */
static void tokenize(const char *s, tokens *t) {
  t->n = 0;
  while (*s && t->n < MAX_TOKENS) {
    while (*s && !isalnum((unsigned char)*s))
      s++;
    size_t n = 0;
    while (*s && isalnum((unsigned char)*s)) {
      if (n + 1 < TOKEN_MAX)
        t->word[t->n][n++] = (char)tolower((unsigned char)*s);
      s++;
    }
    if (n) {
      t->word[t->n][n] = '\0';
      t->n++;
    }
  }
}

static bool has(const tokens *t, const char *w) {
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(t->word[i], w) == 0)
      return true;
  return false;
}

/* Form factors a driver name may carry that change a GPU's power and clocks: a device name with
 * one matches only a catalogue entry that names it too. */
static const char *const form_factors[] = {"pcie", "nvl"};

/* A catalogue GPU matches the driver's name when the first word of its catalogue name (the model:
 * h100 of h100-sxm, mi300x) is a word of the driver's name, and every form factor the driver's
 * name carries is in the entry's name or display name. Sets *count to the matches; returns the
 * first. */
static const tf_catalog_gpu *match_gpu(const tf_catalog *c, const char *device_name,
                                       size_t *count) {
  tokens dev;
  tokenize(device_name, &dev);
  const tf_catalog_gpu *first = NULL;
  *count = 0;
  for (size_t i = 0; i < tf_catalog_count(c, TF_CATALOG_GPUS); i++) {
    const tf_catalog_entry *e = tf_catalog_at(c, TF_CATALOG_GPUS, i);
    tokens name, display;
    tokenize(e->name, &name);
    tokenize(e->display_name ? e->display_name : "", &display);
    if (name.n == 0 || !has(&dev, name.word[0]))
      continue;
    bool ok = true;
    for (size_t f = 0; f < sizeof form_factors / sizeof form_factors[0]; f++)
      if (has(&dev, form_factors[f]) && !has(&name, form_factors[f]) &&
          !has(&display, form_factors[f]))
        ok = false;
    if (!ok)
      continue;
    if (!first)
      first = tf_catalog_find_gpu(c, e->name);
    (*count)++;
  }
  return first;
}

static void list_gpus(const tf_catalog *c, FILE *f) {
  for (size_t i = 0; i < tf_catalog_count(c, TF_CATALOG_GPUS); i++)
    fprintf(f, "%s%s", i ? ", " : "", tf_catalog_at(c, TF_CATALOG_GPUS, i)->name);
}

/* ---- The table ---- */

/* Prints s left-aligned in width display columns (UTF-8: continuation bytes take none). */
static void pad(const char *s, int width) {
  int cols = 0;
  for (const char *p = s; *p; p++)
    cols += ((unsigned char)*p & 0xC0) != 0x80;
  fputs(s, stdout);
  for (; cols < width; cols++)
    putchar(' ');
}

static void print_value(double v, double se) {
  char buf[64];
  if (isnan(se))
    snprintf(buf, sizeof buf, "%.4g", v);
  else
    snprintf(buf, sizeof buf, "%.4g ± %.2g", v, se);
  pad(buf, 24);
}

static void print_fit(const char *dir, const tf_meas *m, const tf_catalog_gpu *g,
                      const tf_fit *f) {
  const char *device = tf_meas_device(m, "gpu_name");
  printf("%zu measurements from %s (%s), peaks of catalogue GPU %s\n\n", m->n_rows, dir,
         device && *device ? device : "gpu_name unknown", g->entry.name);
  printf("%-16s %6s %8s  %s\n", "curve", "rows", "rms", "status");
  for (int i = 0; i < TF_FIT_N_CURVES; i++) {
    const tf_fit_curve *c = &f->curve[i];
    char rms[16] = "-";
    if (!isnan(c->rms_rel_error))
      snprintf(rms, sizeof rms, "%.2f%%", 100 * c->rms_rel_error);
    printf("%-16s %6zu %8s  %s\n", c->name, c->n_points, rms, tf_fit_status_name(c->status));
  }
  printf("\n%-22s  ", "parameter");
  pad("value ± std error", 24);
  printf("  %-6s  %-10s  %s\n", "unit", "default", "source");
  size_t kept = 0;
  for (int i = 0; i < TF_FIT_N_PARAMS; i++) {
    const tf_fit_param *p = &f->param[i];
    if (!p->fitted) {
      kept += p->present;
      continue;
    }
    printf("%-22s  ", p->name);
    print_value(p->value, p->std_error);
    char def[24] = "-";
    if (!isnan(p->default_value))
      snprintf(def, sizeof def, "%.4g", p->default_value);
    printf("  %-6s  %-10s  %s\n", p->unit, def, p->source);
  }
  if (kept) {
    printf("\nkept at their defaults:");
    size_t k = 0;
    for (int i = 0; i < TF_FIT_N_PARAMS; i++)
      if (f->param[i].present && !f->param[i].fitted)
        printf("%s %s", k++ ? "," : "", f->param[i].name);
    printf("\n");
  }
}

/* ---- The command line (fit's, and calibrate's, which adds two options) ---- */

/* Value options: fit takes the first N_FIT_OPTIONS, calibrate all. */
static const char *const value_options[] = {"--gpu", "--out", "--csv", "--catalog-dir", "--keep"};
static const char *const value_wants[] = {"a catalogue GPU name, as in --gpu h100-sxm",
                                          "a database file, as in --out h100.db", "a folder",
                                          "a folder", "a folder, as in --keep calib-h100"};
enum { N_VALUE_OPTIONS = sizeof value_options / sizeof value_options[0], N_FIT_OPTIONS = 4 };
static const char quick_option[] = "--quick";

static const char **value_slot(tf_cli_fit_opts *o, int i) {
  const char **slots[N_VALUE_OPTIONS] = {&o->gpu, &o->out, &o->csv, &o->catalog_dir, &o->keep};
  return slots[i];
}

/* Reports an unknown option of cmd, suggesting the nearest it takes. TF_EXIT_USAGE. */
static int unknown_option(const char *cmd, const char *arg, bool calibrate) {
  const char *known[N_VALUE_OPTIONS + 1];
  size_t n = 0;
  for (int o = 0; o < (calibrate ? N_VALUE_OPTIONS : N_FIT_OPTIONS); o++)
    known[n++] = value_options[o];
  if (calibrate)
    known[n++] = quick_option;
  char name[64];
  snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, "="), arg);
  const char *near = tf_cli_nearest(name, known, n);
  fprintf(stderr, "tokenfab %s: unknown option '%s'", cmd, name);
  if (near)
    fprintf(stderr, "; did you mean '%s'?", near);
  fprintf(stderr, "\nRun 'tokenfab help %s' for its usage.\n", cmd);
  return TF_EXIT_USAGE;
}

int tf_cli_fit_parse(int argc, char **argv, tf_cli_fit_opts *a) {
  const char *cmd = argv[0];
  const bool calibrate = strcmp(cmd, "calibrate") == 0;
  const int n_options = calibrate ? N_VALUE_OPTIONS : N_FIT_OPTIONS;
  *a = (tf_cli_fit_opts){0};
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    bool matched = false;
    for (int o = 0; o < n_options && !matched; o++) {
      const char *value = NULL;
      if (!tf_cli_option(argc, argv, &i, value_options[o], &value))
        continue;
      matched = true;
      if (!value || !*value) {
        fprintf(stderr, "tokenfab %s: %s needs %s\nRun 'tokenfab help %s' for its usage.\n", cmd,
                value_options[o], value_wants[o], cmd);
        return TF_EXIT_USAGE;
      }
      *value_slot(a, o) = value;
    }
    if (matched)
      continue;
    if (calibrate && strcmp(arg, quick_option) == 0) {
      a->quick = true;
      continue;
    }
    if (arg[0] == '-' && arg[1] != '\0')
      return unknown_option(cmd, arg, calibrate);
    if (calibrate)
      return tf_cli_usage_error(cmd, "unexpected argument '%s' (calibrate measures the GPU it "
                                "runs on into a temporary folder, or into --keep DIR)", arg);
    if (a->dir)
      return tf_cli_usage_error(cmd, "expected one measurement folder, got a second: '%s'", arg);
    a->dir = arg;
  }
  if (!a->dir && !calibrate)
    return tf_cli_usage_error(cmd,
                              "expected a measurement folder, as in: tokenfab fit DIR%s "
                              "(the --out DIR of tokenfab-calibrate)",
                              "");
  if (!a->catalog_dir)
    a->catalog_dir = tf_cli_default_catalog_dir();
  return TF_EXIT_OK;
}

/* ---- Fitting a folder ---- */

/* Picks the catalogue GPU: --gpu, else the one device.csv's gpu_name matches. NULL after
 * printing why (exit 2). */
static const tf_catalog_gpu *pick_gpu(const char *cmd, const tf_catalog *c, const tf_meas *m,
                                      const char *name) {
  if (name) {
    const tf_catalog_gpu *g = tf_catalog_find_gpu(c, name);
    if (!g) {
      char msg[1024];
      tf_catalog_unknown(c, TF_CATALOG_GPUS, name, msg, sizeof msg);
      fprintf(stderr, "tokenfab %s: --gpu: %s\n", cmd, msg);
    }
    return g;
  }
  const char *device = tf_meas_device(m, "gpu_name");
  size_t count = 0;
  const tf_catalog_gpu *g = device && *device ? match_gpu(c, device, &count) : NULL;
  if (count == 1)
    return g;
  if (count == 0)
    fprintf(stderr, "tokenfab %s: no catalogue GPU matches \"%s\" (gpu_name in %s); name the GPU "
            "with --gpu (known: ", cmd, device ? device : "", m->device_path);
  else
    fprintf(stderr, "tokenfab %s: \"%s\" (gpu_name in %s) matches %zu catalogue GPUs; name one "
            "with --gpu (known: ", cmd, device, m->device_path, count);
  list_gpus(c, stderr);
  fprintf(stderr, ")\n");
  return NULL;
}

/* Writes the profile: the database, and the CSV files when a->csv names a folder. TF_EXIT_OK or
 * TF_EXIT_FAILURE. */
static int write_profile(const char *cmd, const tf_cli_fit_opts *a, const tf_meas *m,
                         const tf_fit *f) {
  const char *csv = a->csv;
  if (csv && mkdir(csv, 0777) != 0 && errno != EEXIST) {
    fprintf(stderr, "tokenfab %s: cannot create the folder %s: %s\n", cmd, csv, strerror(errno));
    return TF_EXIT_FAILURE;
  }
  if (tf_profile_write_db(a->out, m, f) != 0) {
    fprintf(stderr, "tokenfab %s: %s\n", cmd, tf_err_reason());
    return TF_EXIT_FAILURE;
  }
  if (csv && tf_profile_write_csv(csv, f) != 0) {
    fprintf(stderr, "tokenfab %s: %s\n", cmd, tf_err_reason());
    return TF_EXIT_FAILURE;
  }
  if (csv)
    fprintf(stderr, "tokenfab %s: wrote %s, %s/profile.csv and %s/fits.csv\n", cmd, a->out, csv,
            csv);
  else
    fprintf(stderr, "tokenfab %s: wrote %s\n", cmd, a->out);
  return TF_EXIT_OK;
}

/* Fits m against g and writes the profile. The exit status. */
static int fit_and_write(const char *cmd, const tf_cli_fit_opts *a, const tf_meas *m,
                         const tf_catalog_gpu *g) {
  tf_fit *f = malloc(sizeof *f);
  if (!f) {
    fprintf(stderr, "tokenfab %s: out of memory\n", cmd);
    return TF_EXIT_FAILURE;
  }
  int status;
  int rc = tf_fit_run(m, g, f);
  if (rc == TF_ENOMEM || rc == TF_EINVAL) {
    fprintf(stderr, "tokenfab %s: %s\n", cmd, rc == TF_ENOMEM ? "out of memory" : f->why);
    status = rc == TF_ENOMEM ? TF_EXIT_FAILURE : TF_EXIT_USAGE;
  } else {
    print_fit(a->dir, m, g, f);
    if (rc == TF_ENUMERIC) {
      /* The data were read but do not support a profile: a failure, not bad input. */
      if (f->n_refused == 0)
        fprintf(stderr, "tokenfab %s: refused: %s\n", cmd, f->why);
      for (int i = 0; i < TF_FIT_N_CURVES; i++)
        if (f->curve[i].status == TF_FIT_REFUSED)
          fprintf(stderr, "tokenfab %s: refused: %s\n", cmd, f->curve[i].why);
      fprintf(stderr, "tokenfab %s: no profile written\n", cmd);
      status = TF_EXIT_FAILURE;
    } else {
      status = write_profile(cmd, a, m, f);
    }
  }
  free(f);
  return status;
}

int tf_cli_fit_folder(const char *cmd, const tf_cli_fit_opts *a) {
  assert(a->dir && a->out && a->catalog_dir);
  tf_meas *m = NULL;
  int rc = tf_meas_load(a->dir, &m, print_problem, NULL);
  if (rc == TF_ENOMEM) {
    fprintf(stderr, "tokenfab %s: out of memory\n", cmd);
    return TF_EXIT_FAILURE;
  }
  if (rc) {
    fprintf(stderr, "tokenfab %s: the measurements in %s cannot be used (every problem is listed "
            "above; docs/CALIBRATION.md describes the files)\n", cmd, a->dir);
    return TF_EXIT_USAGE;
  }

  tf_diags *d = NULL;
  tf_catalog *c = NULL;
  if (tf_diags_create(&d) != 0) {
    tf_meas_destroy(m);
    fprintf(stderr, "tokenfab %s: out of memory\n", cmd);
    return TF_EXIT_FAILURE;
  }
  rc = tf_catalog_open(a->catalog_dir, &c, d);
  tf_diags_sort(d);
  tf_diags_print(d, stderr);
  tf_diags_destroy(d);
  int status;
  if (rc == TF_ENOMEM) {
    fprintf(stderr, "tokenfab %s: out of memory\n", cmd);
    status = TF_EXIT_FAILURE;
  } else if (rc) {
    fprintf(stderr, "tokenfab %s: the catalogue in %s has errors\n", cmd, a->catalog_dir);
    status = TF_EXIT_USAGE;
  } else {
    const tf_catalog_gpu *g = pick_gpu(cmd, c, m, a->gpu);
    status = g ? fit_and_write(cmd, a, m, g) : TF_EXIT_USAGE;
  }
  tf_catalog_destroy(c);
  tf_meas_destroy(m);
  return status;
}

int tf_cli_fit(int argc, char **argv) {
  tf_cli_fit_opts a;
  int status = tf_cli_fit_parse(argc, argv, &a);
  if (status != TF_EXIT_OK)
    return status;
  /* Defaults: the profile beside the measurements it was fitted from. */
  char db[PATH_MAX];
  if (!a.out) {
    int n = snprintf(db, sizeof db, "%s/profile.db", a.dir);
    if (n < 0 || (size_t)n >= sizeof db) {
      fprintf(stderr, "tokenfab fit: the folder name %s is too long\n", a.dir);
      return TF_EXIT_FAILURE;
    }
    a.out = db;
  }
  if (!a.csv)
    a.csv = a.dir;
  return tf_cli_fit_folder("fit", &a);
}
