/* tokenfab report: a results database's run or sweep as one self-contained HTML page. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "html_report.h"
#include "report_data.h"

#ifndef TF_VERSION
#error "TF_VERSION is defined by the build"
#endif

typedef struct report_opts {
  const char *db;      /* the results database */
  const char *html;    /* the page to write */
  const char *chartjs; /* NULL: Debian's libjs-chart.js */
  int64_t run_id;      /* 0: the latest run */
  int64_t sweep_id;    /* 0: not a sweep */
} report_opts;

/* A run or sweep id: a whole number from 1. */
static int parse_id(const char *opt, const char *v, int64_t *out) {
  char *end;
  errno = 0;
  long long n = v && *v ? strtoll(v, &end, 10) : 0;
  if (!v || !*v || *end || errno || n < 1) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s needs an id, a whole number from 1 (got '%%s')", opt);
    return tf_cli_usage_error("report", msg, v ? v : "");
  }
  *out = n;
  return TF_EXIT_OK;
}

static int parse_opts(int argc, char **argv, report_opts *o) {
  static const char *const options[] = {"--run", "--sweep", "--html", "--chartjs"};
  *o = (report_opts){0};
  bool only_files = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = NULL;
    int rc = TF_EXIT_OK;
    if (!only_files && strcmp(a, "--") == 0) {
      only_files = true;
    } else if (!only_files && tf_cli_option(argc, argv, &i, "--run", &v)) {
      rc = parse_id("--run", v, &o->run_id);
    } else if (!only_files && tf_cli_option(argc, argv, &i, "--sweep", &v)) {
      rc = parse_id("--sweep", v, &o->sweep_id);
    } else if (!only_files && tf_cli_option(argc, argv, &i, "--html", &v)) {
      if (!v || !*v)
        return tf_cli_usage_error("report", "--html needs the file to write%s", "");
      o->html = v;
    } else if (!only_files && tf_cli_option(argc, argv, &i, "--chartjs", &v)) {
      if (!v || !*v)
        return tf_cli_usage_error("report", "--chartjs needs the Chart.js file%s", "");
      o->chartjs = v;
    } else if (!only_files && a[0] == '-' && a[1] != '\0') {
      char name[64];
      snprintf(name, sizeof name, "%.*s", (int)strcspn(a, "="), a);
      const char *near = tf_cli_nearest(name, options, sizeof options / sizeof options[0]);
      fprintf(stderr, "tokenfab report: unknown option '%s'", name);
      if (near)
        fprintf(stderr, "; did you mean '%s'?", near);
      fprintf(stderr, "\nRun 'tokenfab help report' for its usage.\n");
      return TF_EXIT_USAGE;
    } else if (o->db) {
      return tf_cli_usage_error("report", "expected one results database, got a second: '%s'",
                                a);
    } else {
      o->db = a;
    }
    if (rc != TF_EXIT_OK)
      return rc;
  }
  if (!o->db)
    return tf_cli_usage_error("report", "expected a results database, as in: tokenfab report "
                                        "results.db --html report.html%s",
                              "");
  if (o->run_id && o->sweep_id)
    return tf_cli_usage_error("report", "--run and --sweep exclude each other: a page shows a "
                                        "run or a sweep%s",
                              "");
  if (!o->html)
    return tf_cli_usage_error("report", "--html FILE is missing: the page to write, as in "
                                        "--html report.html%s",
                              "");
  return TF_EXIT_OK;
}

/* Exit status for a report_data failure: an unknown id or a file that is not a results
 * database is bad input, anything else a failure while running. */
static int data_status(int code) {
  return code == TF_ENOTFOUND || code == TF_EINVAL ? TF_EXIT_USAGE : TF_EXIT_FAILURE;
}

int tf_cli_report(int argc, char **argv) {
  report_opts o;
  int rc = parse_opts(argc, argv, &o);
  if (rc != TF_EXIT_OK)
    return rc;
  char err[1024];
  tf_report_db *db = NULL;
  tf_report_run *run = NULL;
  tf_report_sweep *sweep = NULL;
  char *chartjs = NULL;
  size_t chartjs_len = 0;
  int code = tf_report_open(o.db, &db, err, sizeof err);
  if (code == 0 && !o.sweep_id && !o.run_id)
    code = tf_report_latest_run(db, &o.run_id, err, sizeof err);
  if (code == 0)
    code = o.sweep_id ? tf_report_load_sweep(db, o.sweep_id, &sweep, err, sizeof err)
                      : tf_report_load_run(db, o.run_id, &run, err, sizeof err);
  if (code) {
    fprintf(stderr, "tokenfab report: %s\n", err);
    rc = data_status(code);
  }
  if (rc == TF_EXIT_OK &&
      tf_html_report_load_chartjs(o.chartjs, &chartjs, &chartjs_len, err, sizeof err)) {
    fprintf(stderr, "tokenfab report: %s\n", err);
    rc = TF_EXIT_FAILURE;
  }
  if (rc == TF_EXIT_OK) {
    tf_html_report_opts ho = {.chartjs = chartjs, .chartjs_len = chartjs_len, .db_name = o.db,
                              .version = TF_VERSION};
    if (tf_html_report_save(o.html, run, sweep, &ho, err, sizeof err)) {
      fprintf(stderr, "tokenfab report: %s\n", err);
      rc = TF_EXIT_FAILURE;
    } else if (run) {
      fprintf(stderr, "report: run %" PRId64 " of %s written to %s\n", run->run_id, o.db,
              o.html);
    } else {
      fprintf(stderr, "report: sweep %" PRId64 " of %s (%zu points) written to %s\n",
              sweep->sweep_id, o.db, sweep->n_pts, o.html);
    }
  }
  free(chartjs);
  tf_report_run_free(run);
  tf_report_sweep_free(sweep);
  tf_report_close(db);
  return rc;
}
