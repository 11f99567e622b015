/* The run, validate and catalog subcommands. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "cli.h"
#include "diag.h"
#include "error.h"
#include "queue.h"
#include "queueing.h"
#include "scenario.h"
#include "suggest.h"
#include "summary.h"
#include "units.h"

const char *tf_cli_nearest(const char *word, const char *const *candidates, size_t n) {
  return tf_suggest_nearest(word, candidates, n);
}

int tf_cli_open_scenario(int argc, char **argv, tf_scenario *s) {
  tf_cli_scenario_args a;
  int rc = tf_cli_parse_scenario_args(argc, argv, &a);
  if (rc == TF_EXIT_OK)
    rc = tf_cli_load_scenario(&a, argv[0], s);
  free(a.sets);
  return rc;
}

int tf_cli_load_scenario(const tf_cli_scenario_args *a, const char *cmd, tf_scenario *s) {
  tf_diags *d = NULL;
  if (tf_diags_create(&d) != 0) {
    fprintf(stderr, "tokenfab %s: out of memory\n", cmd);
    return TF_EXIT_FAILURE;
  }
  int rc = tf_scenario_load(a->file, a->sets, a->n_sets, a->catalog_dir, s, d);
  if (rc == 0 && (rc = tf_cli_profile_attach(s, d)) != 0)
    tf_scenario_destroy(s);
  tf_diags_sort(d);
  tf_diags_print(d, stderr);
  size_t errors = tf_diags_error_count(d);
  bool nomem = tf_diags_nomem(d);
  tf_diags_destroy(d);
  if (rc == TF_ENOMEM || nomem) {
    fprintf(stderr, "tokenfab %s: out of memory\n", cmd);
    tf_scenario_destroy(s);
    return TF_EXIT_FAILURE;
  }
  if (rc != 0) {
    if (errors > 0)
      fprintf(stderr, "tokenfab %s: %zu error%s in %s; nothing was run\n", cmd, errors,
              errors == 1 ? "" : "s", a->file);
    return TF_EXIT_USAGE;
  }
  return TF_EXIT_OK;
}

/* Total GPUs and power at full load of the scenario's hardware. A system without a rack power
 * figure counts its GPUs' TDP (and host power when given). Sets *complete false when a figure
 * is missing from the catalogue. */
static void hardware_totals(const tf_scenario *s, int64_t *gpus, double *power_w, bool *complete) {
  *gpus = 0;
  *power_w = 0;
  *complete = true;
  for (size_t i = 0; i < s->n_hardware; i++) {
    const tf_scenario_hardware *h = &s->hardware[i];
    const tf_catalog_system *sys = h->entry;
    if (!sys || !sys->has.gpus) {
      *complete = false;
      continue;
    }
    *gpus += h->count * sys->gpus;
    if (sys->has.power) {
      *power_w += (double)h->count * sys->power_w;
    } else if (sys->gpu_entry && sys->gpu_entry->has.tdp) {
      double host = sys->has.host_power ? sys->host_power_w : 0;
      *power_w += (double)h->count * ((double)sys->gpus * sys->gpu_entry->tdp_w + host);
      if (!sys->has.host_power)
        *complete = false;
    } else {
      *complete = false;
    }
  }
}

/* What the scenario describes besides the queue: site, hardware, model. */
static void print_header(FILE *f, const tf_scenario *s) {
  char a[64], b[64];
  fprintf(f, "scenario   %s (%s)\n", s->name, s->path);
  if (s->description)
    fprintf(f, "           %s\n", s->description);
  fprintf(f, "seed       %" PRIu64 "\n", s->seed);
  fprintf(f, "simulated  %s, statistics after a warm-up of %s\n",
          tf_unit_format((double)s->duration_ns * 1e-9, TF_UNIT_TIME, a, sizeof a),
          tf_unit_format((double)s->warmup_ns * 1e-9, TF_UNIT_TIME, b, sizeof b));
  double it_w = 0;
  if (s->site.present) {
    it_w = s->site.power_w / s->site.pue;
    fprintf(f, "site       %s facility envelope, PUE %g: %s for IT equipment\n",
            tf_unit_format(s->site.power_w, TF_UNIT_POWER, a, sizeof a), s->site.pue,
            tf_unit_format(it_w, TF_UNIT_POWER, b, sizeof b));
  }
  for (size_t i = 0; i < s->n_hardware; i++) {
    const tf_scenario_hardware *h = &s->hardware[i];
    const tf_catalog_system *sys = h->entry;
    fprintf(f, "%s %" PRId64 " x %s", i == 0 ? "hardware  " : "          ", h->count, h->system);
    if (sys && sys->has.gpus)
      fprintf(f, " (%" PRId64 " x %s each)", sys->gpus, sys->gpu);
    fputc('\n', f);
  }
  if (s->n_hardware > 0) {
    int64_t gpus;
    double power_w;
    bool complete;
    hardware_totals(s, &gpus, &power_w, &complete);
    fprintf(f, "           %" PRId64 " GPUs, %s%s at full load", gpus, complete ? "" : "at least ",
            tf_unit_format(power_w, TF_UNIT_POWER, a, sizeof a));
    if (it_w > 0)
      fprintf(f, ", %.1f%% of the IT envelope%s", 100.0 * power_w / it_w,
              power_w > it_w ? ": OVER THE ENVELOPE" : "");
    fputc('\n', f);
  }
  if (s->fitted_profile.gpu) /* without serving.profile, the defaults go unsaid as before */
    fprintf(f, "profile    %s\n", s->fitted_profile.gpu->name);
  if (s->model.present) {
    const tf_catalog_model *m = s->model.entry;
    fprintf(f, "model      %s", s->model.name);
    if (m && m->has.params_total)
      fprintf(f, ": %.4g B parameters", (double)m->params_total * 1e-9);
    if (m && m->has.params_active && m->has.params_total && m->params_active != m->params_total)
      fprintf(f, ", %.4g B active per token", (double)m->params_active * 1e-9);
    fputc('\n', f);
  }
}

/* A value option that must not be empty: 0, or the usage error's exit status. */
static int need_value(const char *opt, const char *value, const char *what) {
  if (value && *value)
    return 0;
  char msg[128];
  snprintf(msg, sizeof msg, "%s needs %s%%s", opt, what);
  return tf_cli_usage_error("run", msg, "");
}

int tf_cli_run(int argc, char **argv) {
  /* run's own options; the rest is shared with validate and perf. */
  char **rest = calloc((size_t)argc + 1, sizeof *rest);
  if (!rest) {
    fprintf(stderr, "tokenfab run: out of memory\n");
    return TF_EXIT_FAILURE;
  }
  int n = 0, rc = TF_EXIT_OK;
  const char *series = NULL;
  tf_cli_run_opts o = {.out = stdout};
  for (int i = 0; rc == TF_EXIT_OK && i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      for (; i < argc; i++)
        rest[n++] = argv[i];
      break;
    }
    if (strcmp(argv[i], "--exact-steps") == 0)
      o.exact_steps = true;
    else if (strcmp(argv[i], "--no-db") == 0)
      o.no_db = true;
    else if (tf_cli_option(argc, argv, &i, "--series", &series))
      rc = need_value("--series", series, "an interval, as in --series 10min");
    else if (tf_cli_option(argc, argv, &i, "--csv", &o.csv_dir))
      rc = need_value("--csv", o.csv_dir, "a folder, as in --csv results");
    else if (tf_cli_option(argc, argv, &i, "--db", &o.db_path))
      rc = need_value("--db", o.db_path, "a file, as in --db results.db");
    else
      rest[n++] = argv[i];
  }
  if (rc == TF_EXIT_OK && o.no_db && o.db_path)
    rc = tf_cli_usage_error("run", "--db and --no-db contradict each other%s", "");
  if (rc == TF_EXIT_OK && series) {
    tf_unit_error err;
    if (tf_unit_parse_ns(series, &o.series_ns, &err) != 0 || o.series_ns <= 0)
      rc = tf_cli_usage_error("run", "--series: expected a time such as \"10 min\", got '%s'",
                              series);
  }
  tf_cli_scenario_args args = {0};
  if (rc == TF_EXIT_OK)
    rc = tf_cli_parse_scenario_args(n, rest, &args);
  free(rest);
  if (rc != TF_EXIT_OK) {
    free(args.sets);
    return rc;
  }
  tf_scenario s = {0};
  rc = tf_cli_load_scenario(&args, "run", &s);
  o.sets = args.sets;
  o.n_sets = args.n_sets;
  if (rc != TF_EXIT_OK) {
    free(args.sets);
    return rc;
  }
  if (s.n_workload > 0) {
    print_header(stdout, &s);
    rc = tf_cli_serve(&s, &o);
    tf_scenario_destroy(&s);
    free(args.sets);
    return rc;
  }
  free(args.sets);
  if (!s.queue.present) {
    fprintf(stderr,
            "%s: nothing to run: the scenario has neither a `workload` (served by the fleet) nor "
            "a `queue` section (see docs/SCENARIOS.md)\n",
            s.path);
    tf_scenario_destroy(&s);
    return TF_EXIT_USAGE;
  }
  if (o.csv_dir || o.db_path) {
    fprintf(stderr, "%s: --csv and --db record serving runs; this scenario runs the reference "
                    "queue (no `workload`), whose results are printed only\n",
            s.path);
    tf_scenario_destroy(&s);
    return TF_EXIT_USAGE;
  }
  tf_queue_config cfg = {.servers = s.queue.servers,
                         .interarrival = s.queue.interarrival,
                         .service = s.queue.service,
                         .warmup_ns = s.warmup_ns,
                         .duration_ns = s.duration_ns,
                         .confidence = 0.95};
  tf_queue_result res;
  tf_engine_stats st;
  tf_err_clear();
  rc = tf_queue_run(&cfg, s.seed, &res, &st);
  if (rc != 0) {
    fprintf(stderr, "tokenfab run: %s: the simulation failed: %s\n", s.path,
            tf_err_reason()[0] ? tf_err_reason() : tf_err_message(rc));
    tf_scenario_destroy(&s);
    return rc == TF_ERANGE || rc == TF_EINVAL ? TF_EXIT_USAGE : TF_EXIT_FAILURE;
  }
  tf_queueing_result th;
  int th_rc = tf_queueing_theory(cfg.servers, &cfg.interarrival, &cfg.service, &th);

  print_header(stdout, &s);
  char ia[96], svc[96];
  tf_dist_format(&cfg.interarrival, ia, sizeof ia);
  tf_dist_format(&cfg.service, svc, sizeof svc);
  printf("queue      %" PRId64 " server%s, first come first served\n", cfg.servers,
         cfg.servers == 1 ? "" : "s");
  printf("           time between arrivals %s\n           service time %s\n", ia, svc);
  if (th_rc == 0)
    printf("           offered load %.6g erlangs, utilisation %.6g; exact values: %s\n",
           th.offered_erlangs, th.rho, tf_queueing_model_name(th.model));
  else if (th_rc == TF_ENOTFOUND)
    printf("           offered load %.6g erlangs, utilisation %.6g; no exact formula for this "
           "station\n",
           th.offered_erlangs, th.rho);
  else
    printf("           offered load %.6g erlangs, utilisation %.6g: UNSTABLE, the queue grows "
           "without bound; the figures below depend on the run length\n",
           th.offered_erlangs, th.rho);
  printf("\n");
  tf_summary_queue(stdout, &res, th_rc == 0 ? &th : NULL);

  fprintf(stderr,
          "engine: %" PRIu64 " events (%" PRIu64 " scheduled, %" PRIu64 " cancelled), peak %zu "
          "pending, %.3g events/s; wall time: setup %.3f s, run %.3f s, final %.3f s\n",
          st.events_processed, st.events_scheduled, st.events_cancelled, st.peak_pending,
          st.events_per_s, st.wall_setup_s, st.wall_run_s, st.wall_final_s);
  tf_scenario_destroy(&s);
  return TF_EXIT_OK;
}

int tf_cli_validate(int argc, char **argv) {
  tf_scenario s = {0};
  int rc = tf_cli_open_scenario(argc, argv, &s);
  if (rc != TF_EXIT_OK)
    return rc;
  if (s.serving.present && (rc = tf_cli_check_serving(&s)) != TF_EXIT_OK) {
    tf_scenario_destroy(&s);
    return rc;
  }
  int64_t gpus = 0;
  double power_w = 0;
  bool complete;
  hardware_totals(&s, &gpus, &power_w, &complete);
  char dur[64];
  printf("%s: valid: scenario \"%s\", %" PRId64 " GPUs%s%s, %s simulated", s.path, s.name, gpus,
         s.model.present ? " serving " : "", s.model.present ? s.model.name : "",
         tf_unit_format((double)s.duration_ns * 1e-9, TF_UNIT_TIME, dur, sizeof dur));
  if (s.n_workload > 0)
    printf(", %zu workload class%s on %" PRId64 " replica%s\n", s.n_workload,
           s.n_workload == 1 ? "" : "es", s.serving.replicas, s.serving.replicas == 1 ? "" : "s");
  else if (s.queue.present)
    printf(", the reference queue\n");
  else
    printf(" (no workload or queue: `run` has nothing to simulate)\n");
  tf_scenario_destroy(&s);
  return TF_EXIT_OK;
}

int tf_cli_catalog(int argc, char **argv) {
  const char *dir = NULL;
  const char *pos[2] = {NULL, NULL};
  int n_pos = 0;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (tf_cli_option(argc, argv, &i, "--catalog-dir", &dir)) {
      if (!dir || !*dir)
        return tf_cli_usage_error("catalog", "--catalog-dir needs a folder%s", "");
    } else if (arg[0] == '-' && arg[1] != '\0') {
      return tf_cli_usage_error("catalog", "unknown option '%s'", arg);
    } else if (n_pos == 2) {
      return tf_cli_usage_error("catalog",
                                "unexpected argument '%s' (expected a kind and a name at most)",
                                arg);
    } else {
      pos[n_pos++] = arg;
    }
  }
  if (!dir)
    dir = tf_cli_default_catalog_dir();

  tf_catalog_kind kind = TF_CATALOG_GPUS;
  if (pos[0] && tf_catalog_kind_parse(pos[0], &kind) != 0) {
    const char *kinds[TF_CATALOG_KIND_COUNT_];
    for (int k = 0; k < TF_CATALOG_KIND_COUNT_; k++)
      kinds[k] = tf_catalog_kind_name((tf_catalog_kind)k);
    const char *near = tf_cli_nearest(pos[0], kinds, TF_CATALOG_KIND_COUNT_);
    fprintf(stderr, "tokenfab catalog: unknown kind '%s'", pos[0]);
    if (near)
      fprintf(stderr, "; did you mean '%s'?", near);
    fprintf(stderr, " (expected gpus, systems or models)\n");
    return TF_EXIT_USAGE;
  }

  tf_diags *d = NULL;
  if (tf_diags_create(&d) != 0) {
    fprintf(stderr, "tokenfab catalog: out of memory\n");
    return TF_EXIT_FAILURE;
  }
  tf_catalog *c = NULL;
  int rc = tf_catalog_open(dir, &c, d);
  tf_diags_sort(d);
  tf_diags_print(d, stderr);
  tf_diags_destroy(d);
  if (rc != 0) {
    if (rc == TF_ENOMEM) {
      fprintf(stderr, "tokenfab catalog: out of memory\n");
      return TF_EXIT_FAILURE;
    }
    fprintf(stderr, "tokenfab catalog: the catalogue in %s has errors\n", dir);
    return TF_EXIT_USAGE;
  }
  int status = TF_EXIT_OK;
  if (!pos[0]) {
    for (int k = 0; k < TF_CATALOG_KIND_COUNT_; k++) {
      printf("%s%s:\n", k ? "\n" : "", tf_catalog_kind_name((tf_catalog_kind)k));
      tf_catalog_list(c, (tf_catalog_kind)k, stdout);
    }
  } else if (!pos[1]) {
    tf_catalog_list(c, kind, stdout);
  } else if (tf_catalog_describe(c, kind, pos[1], stdout) != 0) {
    char msg[1024];
    tf_catalog_unknown(c, kind, pos[1], msg, sizeof msg);
    fprintf(stderr, "tokenfab catalog: %s\n", msg);
    status = TF_EXIT_USAGE;
  }
  tf_catalog_destroy(c);
  return status;
}
