/* tokenfab-calibrate: measures the calibration kernels on one GPU and writes the measurement
 * folder of docs/CALIBRATION.md; exit 0 done, 1 failure while running, 2 bad usage. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "device.h"
#include "error.h"
#include "measure.h"
#include "mfile.h"
#include "nvml.h"
#include "plan.h"
#include "selfcheck.h"

static const char usage[] =
    "usage: tokenfab-calibrate --out DIR [--quick] [--device N] [--power-limits W[,W...] |\n"
    "                          --no-power-limits] [--nvml-library PATH]\n"
    "       tokenfab-calibrate --plan [--quick]\n"
    "       tokenfab-calibrate --selfcheck [--device N]\n"
    "\n"
    "Measures GEMMs (cuBLASLt, BF16 and FP8), grouped expert GEMMs, paged decode attention\n"
    "(GQA and MLA) and HBM bandwidth on one GPU, with board power and SM clock from NVML, and\n"
    "writes DIR/device.csv and DIR/measurements.csv for `tokenfab fit` (docs/CALIBRATION.md).\n"
    "A self-check against the CPU references runs first; a GPU that disagrees is not measured.\n"
    "\n"
    "options:\n"
    "  --out DIR            the measurement folder (created; its two files are replaced whole)\n"
    "  --quick              the small sweep (under 2 minutes); default: the full one (under 10)\n"
    "  --device N           CUDA device index (default 0)\n"
    "  --power-limits LIST  also measure a subset at these board power limits, in watts, below\n"
    "                       the one in force (needs root); the full sweep takes 75 % and 50 %\n"
    "                       of the default on its own\n"
    "  --no-power-limits    measure at the current power limit only\n"
    "  --nvml-library PATH  NVML to load (default " TF_NVML_LIBRARY ")\n"
    "  --plan               print the sweep and its estimated duration; measure nothing\n"
    "  --selfcheck          run the self-check only\n"
    "  -h, --help           this text\n";

enum { MAX_LIMITS = 8 };

typedef struct options {
  const char *out;
  const char *nvml_library;
  bool quick, plan_only, selfcheck_only, no_limits;
  int device;
  double limits_w[MAX_LIMITS];
  size_t n_limits;
} options;

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "tokenfab-calibrate: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n(tokenfab-calibrate --help shows the options)\n");
  return 2;
}

/* "W[,W...]" in watts. */
static bool parse_limits(const char *text, options *o) {
  const char *p = text;
  while (*p) {
    char *end;
    errno = 0;
    double w = strtod(p, &end);
    if (end == p || errno != 0 || !(w > 0) || !isfinite(w) || o->n_limits == MAX_LIMITS)
      return false;
    o->limits_w[o->n_limits++] = w;
    p = end;
    if (*p == 'W' || *p == 'w')
      p++;
    if (*p == ',')
      p++;
    else if (*p)
      return false;
  }
  return o->n_limits > 0;
}

/* 0, or 2 after a message; 1 with help printed. */
static int parse(int argc, char **argv, options *o) {
  *o = (options){.device = 0};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *value = NULL;
    bool needs_value = strcmp(a, "--out") == 0 || strcmp(a, "--device") == 0 ||
                       strcmp(a, "--power-limits") == 0 || strcmp(a, "--nvml-library") == 0;
    if (needs_value) {
      if (i + 1 >= argc)
        return usage_error("%s needs a value", a);
      value = argv[++i];
    }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage, stdout);
      return 1;
    } else if (strcmp(a, "--out") == 0) {
      o->out = value;
    } else if (strcmp(a, "--quick") == 0) {
      o->quick = true;
    } else if (strcmp(a, "--plan") == 0) {
      o->plan_only = true;
    } else if (strcmp(a, "--selfcheck") == 0) {
      o->selfcheck_only = true;
    } else if (strcmp(a, "--no-power-limits") == 0) {
      o->no_limits = true;
    } else if (strcmp(a, "--nvml-library") == 0) {
      o->nvml_library = value;
    } else if (strcmp(a, "--device") == 0) {
      char *end;
      errno = 0;
      long d = strtol(value, &end, 10);
      if (*value == '\0' || *end != '\0' || errno != 0 || d < 0 || d > 1024)
        return usage_error("--device wants a device index, not '%s'", value);
      o->device = (int)d;
    } else if (strcmp(a, "--power-limits") == 0) {
      if (!parse_limits(value, o))
        return usage_error("--power-limits wants watts such as 500,350 (at most 8), not '%s'",
                           value);
    } else {
      return usage_error("unknown argument '%s'", a);
    }
  }
  if (o->n_limits > 0 && o->no_limits)
    return usage_error("%s", "--power-limits and --no-power-limits exclude each other");
  if (!o->out && !o->plan_only && !o->selfcheck_only)
    return usage_error("%s", "--out DIR is required (the folder for the measurement files)");
  return 0;
}

/* One line naming a configuration, for progress and --plan. */
static void describe(const tf_plan_item *it, char *buf, size_t size) {
  int n = 0;
  switch (it->kernel) {
  case TF_KERNEL_IDLE: n = snprintf(buf, size, "idle %.1f s", it->idle_s); break;
  case TF_KERNEL_HBM_STREAM:
    n = snprintf(buf, size, "hbm_stream %.0f MiB", (double)it->bytes / (1 << 20));
    break;
  case TF_KERNEL_GEMM:
  case TF_KERNEL_GROUPED_GEMM:
    n = snprintf(buf, size, "%s %s m=%lld n=%lld k=%lld", tf_plan_kernel_name(it->kernel),
                 tf_dtype_name(it->dtype), (long long)it->m, (long long)it->n, (long long)it->k);
    if (it->groups > 1 && n > 0 && (size_t)n < size)
      n += snprintf(buf + n, size - (size_t)n, " groups=%lld", (long long)it->groups);
    break;
  case TF_KERNEL_ATTN_DECODE:
    n = snprintf(buf, size, "attn_decode %s %s batch=%lld context=%lld",
                 tf_plan_layout_name(it->layout), tf_dtype_name(it->dtype), (long long)it->batch,
                 (long long)it->context);
    break;
  default: n = snprintf(buf, size, "?"); break;
  }
  if (it->power_limit_w > 0 && n > 0 && (size_t)n < size)
    snprintf(buf + n, size - (size_t)n, " at %.0f W", it->power_limit_w);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void sleep_s(double s) {
  struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - floor(s)) * 1e9)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static int print_plan(const tf_plan *p) {
  char line[256];
  for (size_t i = 0; i < p->n; i++) {
    describe(&p->items[i], line, sizeof line);
    printf("%4zu  %s  (%s)\n", i + 1, line, p->items[i].shape);
  }
  tf_plan_rates r = tf_plan_rates_h100();
  double with_nvml = tf_plan_estimate_s(p, &r);
  r.nvml = false;
  double without = tf_plan_estimate_s(p, &r);
  printf("%zu configurations; estimated %.0f s on an H100 SXM with NVML (%.0f s without), "
         "deadline %.0f s\n",
         p->n, with_nvml, without, p->timing.deadline_s);
  return 0;
}

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

/* The board power limit: what it was, whether tokenfab may change it, what is set now. */
typedef struct limits {
  tf_nvml *nvml;
  bool settable;
  double original_w;  /* in force when the run started */
  double base_row_w;  /* power_limit_w of rows measured at the original limit: empty (0) when
                         that is the default */
  double applied_w;   /* the plan's power_limit_w now in force (0: the original) */
  double failed_w;    /* a limit that could not be set: its items are skipped */
} limits;

static void setup_limits(limits *l, const options *o, tf_plan *plan) {
  double def_w, min_w, max_w;
  if (!l->nvml || tf_nvml_power_limits(l->nvml, &def_w, &min_w, &max_w) != 0 ||
      tf_nvml_power_limit(l->nvml, &l->original_w) != 0) {
    if (o->n_limits > 0 || (!o->quick && !o->no_limits))
      fprintf(stderr, "power limits: not swept (%s)\n",
              l->nvml ? "NVML does not report them" : "no NVML");
    return;
  }
  if (fabs(l->original_w - def_w) >= 1.0) {
    l->base_row_w = l->original_w;
    fprintf(stderr, "power limits: %.0f W is in force, not the default %.0f W\n", l->original_w,
            def_w);
  }
  if (o->no_limits || (o->quick && o->n_limits == 0))
    return;
  char err[256];
  if (tf_nvml_set_power_limit(l->nvml, l->original_w, err, sizeof err) != 0) {
    fprintf(stderr, "power limits: not swept: %s\n", err);
    return;
  }
  l->settable = true;
  double wanted[MAX_LIMITS];
  size_t n = o->n_limits;
  if (n > 0)
    memcpy(wanted, o->limits_w, n * sizeof *wanted);
  else {
    wanted[0] = 0.75 * def_w;
    wanted[1] = 0.5 * def_w;
    n = 2;
  }
  double added[MAX_LIMITS];
  size_t n_added = 0;
  for (size_t i = 0; i < n; i++) {
    double w = round(wanted[i]);
    if (w < min_w || w > max_w) {
      if (o->n_limits > 0) {
        fprintf(stderr, "power limits: %.0f W is outside this GPU's %.0f to %.0f W; skipped\n", w,
                min_w, max_w);
        continue;
      }
      w = w < min_w ? ceil(min_w) : floor(max_w);
    }
    if (fabs(w - l->original_w) < 1.0)
      continue; /* the main sweep runs there */
    if (w > l->original_w) {
      /* tokenfab fit takes the rows at the highest limit as the main sweep. */
      fprintf(stderr, "power limits: %.0f W is above the %.0f W in force; skipped (raise the "
              "limit before calibrating instead)\n", w, l->original_w);
      continue;
    }
    bool again = false; /* two limits clamped to the same one: tokenfab fit refuses repeats */
    for (size_t j = 0; j < n_added; j++)
      again = again || added[j] == w;
    if (again)
      continue;
    added[n_added++] = w;
    if (tf_plan_add_power_limit(plan, w) != 0) {
      fprintf(stderr, "power limits: out of memory\n");
      return;
    }
    fprintf(stderr, "power limits: a subset will be measured again at %.0f W\n", w);
  }
}

/* Sets the limit the item wants. false: skip the item. */
static bool apply_limit(limits *l, const tf_plan_item *it, double settle_s) {
  double want = it->power_limit_w;
  if (want == l->applied_w)
    return true;
  if (want > 0 && (!l->settable || want == l->failed_w))
    return false;
  char err[256];
  if (tf_nvml_set_power_limit(l->nvml, want > 0 ? want : l->original_w, err, sizeof err) != 0) {
    fprintf(stderr, "power limits: %s; skipping what was to run at %.0f W\n", err, want);
    l->failed_w = want;
    return false;
  }
  l->applied_w = want;
  sleep_s(settle_s);
  return true;
}

static void restore_limit(limits *l) {
  if (l->applied_w == 0)
    return;
  char err[256];
  if (tf_nvml_set_power_limit(l->nvml, l->original_w, err, sizeof err) != 0)
    fprintf(stderr, "power limits: cannot restore %.0f W (%s): run nvidia-smi -pl %.0f as root\n",
            l->original_w, err, l->original_w);
  else
    l->applied_w = 0;
}

/* Measures every item into rows (*n_rows of them). 0, or 1 after a message. */
static int sweep(const tf_plan *plan, tf_measure *m, limits *lim, double t_start,
                 tf_mfile_row *rows, size_t *n_rows) {
  char line[256], err[512], last_skip[512] = "";
  size_t skipped = 0, late = 0;
  for (size_t i = 0; i < plan->n; i++) {
    const tf_plan_item *it = &plan->items[i];
    if (stop_requested) {
      fprintf(stderr, "interrupted: nothing written\n");
      return 1;
    }
    if (now_s() - t_start > plan->timing.deadline_s) {
      late = plan->n - i;
      break;
    }
    describe(it, line, sizeof line);
    if (!apply_limit(lim, it, plan->timing.limit_settle_s)) {
      skipped++;
      continue;
    }
    tf_mfile_row *row = &rows[*n_rows];
    tf_mfile_row_from_item(row, it);
    if (!(it->power_limit_w > 0) && lim->base_row_w > 0)
      row->power_limit_w = lim->base_row_w;
    err[0] = '\0';
    int rc = tf_measure_run(m, it, row, err, sizeof err);
    if (rc == TF_ENOTFOUND || rc == TF_EFULL) {
      skipped++;
      if (strcmp(err, last_skip) != 0) /* once per reason in a row, not once per configuration */
        fprintf(stderr, "[%4zu/%zu] %s: skipped: %s\n", i + 1, plan->n, line, err);
      snprintf(last_skip, sizeof last_skip, "%s", err);
      continue;
    }
    if (rc) {
      fprintf(stderr, "tokenfab-calibrate: %s: %s\n", line, err[0] ? err : "failed");
      return 1;
    }
    last_skip[0] = '\0';
    (*n_rows)++;
    fprintf(stderr, "[%4zu/%zu] %s: %.4g us (p10 %.4g, p90 %.4g), %lld reps", i + 1, plan->n,
            line, row->time_s * 1e6, row->time_p10_s * 1e6, row->time_p90_s * 1e6,
            (long long)row->reps);
    if (isfinite(row->power_w))
      fprintf(stderr, ", %.0f W, %.0f MHz", row->power_w, row->sm_clock_mhz);
    fputc('\n', stderr);
  }
  if (skipped)
    fprintf(stderr, "%zu configurations skipped (reasons above)\n", skipped);
  if (late)
    fprintf(stderr, "the %.0f s budget ran out: the last %zu configurations were not measured\n",
            plan->timing.deadline_s, late);
  return 0;
}

int main(int argc, char **argv) {
  double t_start = now_s();
  char started[32] = "";
  time_t wall = time(NULL);
  struct tm utc;
  if (gmtime_r(&wall, &utc))
    strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", &utc);

  options o;
  int rc = parse(argc, argv, &o);
  if (rc)
    return rc == 1 ? 0 : rc;
  tf_plan plan;
  if (tf_plan_init(&plan, o.quick ? TF_PLAN_QUICK : TF_PLAN_FULL) != 0) {
    fprintf(stderr, "tokenfab-calibrate: out of memory\n");
    return 1;
  }
  if (o.plan_only) {
    print_plan(&plan);
    tf_plan_fini(&plan);
    return 0;
  }

  char err[512];
  tf_device_info dev;
  if (tf_device_open(o.device, &dev, err, sizeof err) != 0) {
    fprintf(stderr, "tokenfab-calibrate: %s\n", err);
    tf_plan_fini(&plan);
    return 1;
  }
  fprintf(stderr, "device %d: %s, compute capability %d.%d, %d SMs, %.1f GiB, %s\n", dev.index,
          dev.name, dev.cc_major, dev.cc_minor, dev.sm_count, dev.hbm_bytes / (1 << 30),
          dev.uuid);
  if (dev.cc_major < 8) { /* BF16 tensor cores (cuBLASLt, WMMA) and the compiled kernels */
    fprintf(stderr, "tokenfab-calibrate: needs compute capability 8.0 (Ampere) or later\n");
    tf_plan_fini(&plan);
    return 1;
  }
  if (tf_selfcheck_run(&dev, false, stderr, err, sizeof err) != 0) {
    fprintf(stderr, "tokenfab-calibrate: self-check failed, refusing to measure: %s\n", err);
    tf_plan_fini(&plan);
    return 1;
  }
  if (o.selfcheck_only) {
    tf_plan_fini(&plan);
    return 0;
  }

  tf_nvml *nvml = NULL;
  if (tf_nvml_open(&nvml, o.nvml_library, dev.uuid, (unsigned)o.device, err, sizeof err) != 0)
    fprintf(stderr, "NVML: %s; power, clocks and power limits will be empty\n", err);
  limits lim = {.nvml = nvml};
  setup_limits(&lim, &o, &plan);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);

  tf_plan_rates rates = tf_plan_rates_h100();
  rates.nvml = nvml != NULL;
  fprintf(stderr, "%s sweep: %zu configurations, about %.0f s on an H100 SXM\n",
          o.quick ? "quick" : "full", plan.n, tf_plan_estimate_s(&plan, &rates));

  tf_measure *m = NULL;
  tf_mfile_row *rows = calloc(plan.n ? plan.n : 1, sizeof *rows);
  size_t n_rows = 0;
  rc = rows ? tf_measure_create(&m, &dev, &plan.timing, nvml, err, sizeof err) : TF_ENOMEM;
  if (rc) {
    fprintf(stderr, "tokenfab-calibrate: %s\n", rows ? err : "out of memory");
    rc = 1;
  } else {
    rc = sweep(&plan, m, &lim, t_start, rows, &n_rows);
  }
  restore_limit(&lim);
  tf_measure_destroy(m);

  if (rc == 0) {
    char cc[16], runtime[16], cublas[32], driver[96] = "", name[96] = "";
    snprintf(cc, sizeof cc, "%d.%d", dev.cc_major, dev.cc_minor);
    snprintf(runtime, sizeof runtime, "%d.%d", dev.runtime_version / 1000,
             dev.runtime_version % 1000 / 10);
    snprintf(cublas, sizeof cublas, "%zu.%zu.%zu", dev.cublaslt_version / 10000,
             dev.cublaslt_version / 100 % 100, dev.cublaslt_version % 100);
    tf_mfile_device d = {.gpu_name = dev.name,
                         .gpu_uuid = dev.uuid,
                         .compute_capability = cc,
                         .cuda_runtime_version = runtime,
                         .cublas_version = cublas,
                         .sm_count = dev.sm_count,
                         .sm_clock_max_mhz = dev.sm_clock_max_mhz,
                         .mem_clock_max_mhz = dev.mem_clock_max_mhz,
                         .hbm_bytes = dev.hbm_bytes,
                         .power_limit_default_w = NAN,
                         .power_limit_min_w = NAN,
                         .power_limit_max_w = NAN,
                         .started_utc = started,
                         .mode = o.quick ? "quick" : "full"};
    if (nvml) {
      if (tf_nvml_driver_version(nvml, driver, sizeof driver) == 0)
        d.driver_version = driver;
      if (tf_nvml_name(nvml, name, sizeof name) == 0 && name[0])
        d.gpu_name = name;
      /* NVML's maximum clocks are the board's; CUDA's are the same where both answer. */
      double sm_mhz, mem_mhz;
      if (tf_nvml_max_clocks_mhz(nvml, &sm_mhz, &mem_mhz) == 0) {
        d.sm_clock_max_mhz = sm_mhz;
        d.mem_clock_max_mhz = mem_mhz;
      }
      if (tf_nvml_power_limits(nvml, &d.power_limit_default_w, &d.power_limit_min_w,
                               &d.power_limit_max_w) != 0)
        d.power_limit_default_w = d.power_limit_min_w = d.power_limit_max_w = NAN;
    }
    if (tf_mfile_write(o.out, &d, rows, n_rows, err, sizeof err) != 0) {
      fprintf(stderr, "tokenfab-calibrate: %s\n", err);
      rc = 1;
    } else {
      fprintf(stderr, "%zu configurations measured in %.0f s: %s/device.csv, %s/measurements.csv\n",
              n_rows, now_s() - t_start, o.out, o.out);
    }
  }
  free(rows);
  tf_nvml_close(nvml);
  tf_plan_fini(&plan);
  return rc;
}
