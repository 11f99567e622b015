/* Internals of the tokenfab command shared by its subcommands. */
#ifndef TF_CLI_H
#define TF_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses (DESIGN.md principle 7). */
enum { TF_EXIT_OK = 0, TF_EXIT_FAILURE = 1, TF_EXIT_USAGE = 2 };

/* What run and validate take: one scenario file, --set overrides, a catalogue folder. */
typedef struct tf_cli_scenario_args {
  const char *file;
  const char **sets; /* the PATH=VALUE texts, in command-line order */
  size_t n_sets;
  const char *catalog_dir; /* --catalog-dir, else $TOKENFAB_CATALOG_DIR, else the built-in one */
} tf_cli_scenario_args;

/* Parses argv (argv[0] is the subcommand's name) into *out; on a usage error prints it and
 * returns TF_EXIT_USAGE. out->sets is allocated: free it. */
int tf_cli_parse_scenario_args(int argc, char **argv, tf_cli_scenario_args *out);

/* Prints `tokenfab CMD: <fmt with arg>` and where to find CMD's usage; returns TF_EXIT_USAGE. */
int tf_cli_usage_error(const char *cmd, const char *fmt, const char *arg);

/* True if argv[*i] is the option name ("--csv"), written "--csv VALUE" or "--csv=VALUE"; then
 * *value is its value (NULL when missing) and *i has moved past a separate value. */
bool tf_cli_option(int argc, char **argv, int *i, const char *name, const char **value);

/* The catalogue folder to use when the command line names none. */
const char *tf_cli_default_catalog_dir(void);

/* The candidate nearest to word, or NULL if none is near enough to suggest. */
const char *tf_cli_nearest(const char *word, const char *const *candidates, size_t n);

/* Loads the scenario args names, printing every diagnostic (cmd names the subcommand in
 * messages). Returns TF_EXIT_OK with *s filled, or the exit status to return. */
struct tf_scenario;
int tf_cli_load_scenario(const tf_cli_scenario_args *a, const char *cmd, struct tf_scenario *s);

/* Resolves the scenario's serving.profile (its file, or the profile its name finds in
 * $TOKENFAB_PROFILE_PATH's folders, then the shipped profiles/), reads it, checks it was fitted
 * for the serving system's GPU and attaches it as s->fitted_profile; nothing without
 * serving.profile. Problems go to d at serving.profile's value. 0; TF_EPARSE when d holds the
 * reason; TF_ENOMEM. (cli/profile.c) */
struct tf_diags;
int tf_cli_profile_attach(struct tf_scenario *s, struct tf_diags *d);

/* tf_cli_parse_scenario_args then tf_cli_load_scenario, argv[0] naming the subcommand. */
int tf_cli_open_scenario(int argc, char **argv, struct tf_scenario *s);

/* The step model's configuration of a scenario's `serving` deployment; on a problem prints it at
 * the scenario's lines and returns TF_EXIT_USAGE. */
struct tf_perf_config;
int tf_cli_perf_config(const struct tf_scenario *s, struct tf_perf_config *cfg);

/* What `run` does beyond simulating: see tf_cli_serve. */
typedef struct tf_cli_run_opts {
  int64_t series_ns;   /* > 0: print a time series in intervals this long */
  bool exact_steps;    /* every model iteration an event */
  const char *csv_dir; /* NULL: no CSV */
  const char *db_path; /* NULL: the default (docs/DATABASE.md) */
  bool no_db;          /* write no database */
  const char *const *sets; /* the --set texts, recorded with the run */
  size_t n_sets;
  FILE *out;               /* the summary goes here; NULL: nothing printed (sweeps) */
  struct tf_run_record *record; /* not NULL: the run's record is handed over here (the caller
                                   frees it and its overrides) instead of being saved */
} tf_cli_run_opts;

/* Simulates a scenario's workload on its serving fleet, prints the summary (with costs when the
 * scenario has `economics`), and records the run in the results database and, with csv_dir, as
 * CSV files. */
int tf_cli_serve(struct tf_scenario *s, const tf_cli_run_opts *o);

/* Checks a scenario's `serving` deployment against its model and hardware: layout, GPUs
 * available, memory fit. Prints what is wrong at the scenario's lines (with suggestions) and
 * returns TF_EXIT_USAGE, or TF_EXIT_OK. */
int tf_cli_check_serving(const struct tf_scenario *s);

/* The degraded layout of `serving.degraded` (docs/FAILURES.md) on the replica's configuration
 * full, and the KV tokens a replica holds in it (*kv_tokens 0 without one). A layout the model
 * refuses, or one the model's weights do not fit, is printed at the scenario's line:
 * TF_EXIT_USAGE. */
int tf_cli_degraded_config(const struct tf_scenario *s, const struct tf_perf_config *full,
                           struct tf_perf_config *out, int64_t *kv_tokens);

int tf_cli_run(int argc, char **argv);
int tf_cli_perf(int argc, char **argv);
int tf_cli_validate(int argc, char **argv);
int tf_cli_catalog(int argc, char **argv);
int tf_cli_sweep(int argc, char **argv);
int tf_cli_merge(int argc, char **argv);
int tf_cli_report(int argc, char **argv);
int tf_cli_fit(int argc, char **argv);
int tf_cli_calibrate(int argc, char **argv);

/* What fit and calibrate take (cli/fit.c): a measurement folder fitted into a GPU profile. */
typedef struct tf_cli_fit_opts {
  const char *dir;         /* the measurement folder (fit's argument; calibrate's own folder) */
  const char *gpu;         /* --gpu; NULL: the catalogue GPU device.csv's gpu_name matches */
  const char *out;         /* --out: the profile database */
  const char *csv;         /* --csv: where profile.csv and fits.csv go; NULL: none written */
  const char *catalog_dir; /* --catalog-dir, else the default */
  const char *keep;        /* calibrate's --keep DIR: measure there and keep the files */
  bool quick;              /* calibrate's --quick: the small sweep */
} tf_cli_fit_opts;

/* Parses fit's or calibrate's arguments (argv[0] says which: calibrate takes no folder, and
 * --quick and --keep besides) into *o; out and csv stay NULL unless given, the command's defaults
 * being its own. TF_EXIT_OK, or TF_EXIT_USAGE after printing why. */
int tf_cli_fit_parse(int argc, char **argv, tf_cli_fit_opts *o);

/* Reads o->dir's measurements, fits them against the catalogue GPU and writes the profile to
 * o->out (and o->csv), as `tokenfab fit` does: the table on standard output, problems and what
 * was written on standard error as `tokenfab CMD: ...`. Returns the exit status. */
int tf_cli_fit_folder(const char *cmd, const tf_cli_fit_opts *o);

#endif
