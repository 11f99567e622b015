/* The tokenfab command: run, validate, catalog, help; exit 0 ok, 1 failure running, 2 bad input. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef TF_VERSION
#error "TF_VERSION is defined by the build"
#endif

typedef struct command {
  const char *name;
  const char *summary;
  const char *help; /* full text for `tokenfab help NAME` */
  int (*main)(int argc, char **argv);
} command;

static int cmd_help(int argc, char **argv);

static const command commands[] = {
    {"run", "simulate a scenario and print its results",
     "usage: tokenfab run FILE [--set PATH=VALUE]... [--catalog-dir DIR] [--series INTERVAL]\n"
     "                        [--exact-steps] [--csv DIR] [--db FILE | --no-db]\n"
     "\n"
     "Simulates the scenario in FILE and prints its results on standard output; engine\n"
     "statistics (events, events per second, wall time by phase) go to standard error.\n"
     "The same scenario and seed always print the same results, byte for byte.\n"
     "\n"
     "With a `workload`, the fleet of `serving` replicas serves it: routing, continuous\n"
     "batching, KV cache, preemption; the summary gives throughput, goodput and latency\n"
     "percentiles (TTFT, TPOT, end to end, queueing) per class, power and energy, costs and\n"
     "cost per million tokens (with an `economics` section) and the binding constraint. The\n"
     "run is recorded in a SQLite results database (docs/DATABASE.md). Without a workload, the\n"
     "`queue` section runs as a reference queue beside its exact values.\n"
     "\n"
     "options:\n"
     "  --set PATH=VALUE   change one scenario value, written as in the file, units included:\n"
     "                     --set queue.servers=40  --set 'site.power=2 MW'\n"
     "                     --set hardware[0].count=8  --set seed=7   (repeatable)\n"
     "  --series INTERVAL  also print a time series of the run in intervals this long\n"
     "                     (arrivals, completions, tokens, queue, busy), e.g. --series 10min\n"
     "  --exact-steps      make every model iteration an event instead of coalescing decode\n"
     "                     runs (slower; the results are identical)\n"
     "  --csv DIR          also write summary.csv, classes.csv, series.csv and costs.csv into\n"
     "                     DIR, created if missing (columns: docs/RESULTS.md)\n"
     "  --db FILE          the results database to add the run to (default: DIR/results.db\n"
     "                     with --csv DIR, else tokenfab-results.db here)\n"
     "  --no-db            write no database\n"
     "  --catalog-dir DIR  read the built-in catalogues from DIR (default: $TOKENFAB_CATALOG_DIR,\n"
     "                     else the catalogues tokenfab was built with)\n"
     "\n"
     "exit status: 0 done, 1 the simulation failed, 2 bad scenario or usage (every mistake is\n"
     "reported as file:line:col: message, and nothing runs).\n",
     tf_cli_run},
    {"validate", "check a scenario and report every mistake",
     "usage: tokenfab validate FILE [--set PATH=VALUE]... [--catalog-dir DIR]\n"
     "\n"
     "Reads FILE, its catalogues and overrides, and reports every problem as\n"
     "file:line:col: message: unknown keys (with the nearest known key), wrong types, missing or\n"
     "wrong units, values out of range, unknown catalogue names, missing files. With a\n"
     "`serving` section it also checks the deployment: the layout suits the model, the hardware\n"
     "has the GPUs, and the model fits in their memory (saying by how much it does not, and\n"
     "what would). Prints a one-line summary of the scenario when it is valid.\n"
     "\n"
     "exit status: 0 valid, 2 mistakes found or bad usage.\n",
     tf_cli_validate},
    {"perf", "explain step times and memory fit of a scenario's deployment",
     "usage: tokenfab perf FILE [--set PATH=VALUE]... [--catalog-dir DIR] [--csv DIR]\n"
     "\n"
     "For the scenario's model on the hardware its `serving` section names (tp, dp, ep, pp,\n"
     "precisions, speculation, routing), prints the memory fit per GPU (weights, workspace, KV\n"
     "cache, tokens it holds) and the step-time breakdown of representative batches: a prefill\n"
     "chunk, and decode at several batch sizes and context lengths. Each component (attention,\n"
     "GEMMs, routed experts, all-to-all, all-reduce, overheads) shows its time and the limit it\n"
     "hits: compute, HBM, scale-up or scale-out bandwidth, or latency. docs/PERF_MODEL.md gives\n"
     "the equations and the source of every constant. Kernel efficiencies come from the GPU\n"
     "profile `serving.profile` names (tokenfab calibrate; docs/CALIBRATION.md), else from the\n"
     "documented defaults; the `profile` line says which.\n"
     "\n"
     "options:\n"
     "  --set PATH=VALUE   change one scenario value (--set serving.ep=16,\n"
     "                     --set serving.precision.experts=fp4)\n"
     "  --catalog-dir DIR  read the built-in catalogues from DIR\n"
     "  --csv DIR          also write DIR/perf_steps.csv and DIR/perf_memory.csv\n"
     "\n"
     "exit status: 0 done, 1 output could not be written, 2 bad scenario or usage, or a\n"
     "deployment that does not fit in memory (the message says by how much and what would fit).\n",
     tf_cli_perf},
    {"sweep", "run every point of a parameter sweep; frontiers and a sweep table",
     "usage: tokenfab sweep FILE [--sweep PATH=V1,V2,...]... [--replications N] [--jobs N]\n"
     "                          [--shard I/N | --shard slurm] [--resume] [--dry-run]\n"
     "                          [--db FILE] [--csv DIR] [--quiet] [--set PATH=VALUE]...\n"
     "\n"
     "Runs the scenario once for each point of its `sweep` section and the --sweep axes (grids,\n"
     "zipped lists, named variants, ranges such as 'serving.dp=2..8 step 2'), each point with\n"
     "its own seed derived from the scenario's seed and the point, so a point gives the same\n"
     "result alone, in a sweep, on any worker or shard. Every run goes to the results database;\n"
     "the sweep table (one row per point: the swept values, headline metrics with 95%\n"
     "confidence half-widths over replications, Pareto frontier flags) goes to DIR/sweep.csv and\n"
     "the frontiers to standard output (docs/SWEEPS.md).\n"
     "\n"
     "options:\n"
     "  --sweep AXIS       add a grid axis: PATH=V1,V2,... or 'PATH=A..B step S' (repeatable)\n"
     "  --replications N   seeds per point (default: the section's, else 1)\n"
     "  --jobs N           run points in N worker processes (default 1)\n"
     "  --shard I/N        run only the I-th of N disjoint slices of the points; `slurm` reads\n"
     "                     SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT; merge the\n"
     "                     databases afterwards with tokenfab merge\n"
     "  --resume           finish a sweep the database already holds runs of (after a kill)\n"
     "  --dry-run          list the points (and check each loads) without running them\n"
     "  --db FILE          the results database (default: DIR/results.db with --csv DIR, else\n"
     "                     tokenfab-results.db)\n"
     "  --csv DIR          write the sweep table to DIR/sweep.csv\n"
     "  --quiet            no progress line (it is shown only on a terminal anyway)\n"
     "\n"
     "exit status: 0 done, 1 a run or the database failed, 2 bad scenario, sweep or usage.\n",
     tf_cli_sweep},
    {"merge", "combine the databases of a sweep's shards",
     "usage: tokenfab merge OUT.db IN.db...\n"
     "\n"
     "Adds to OUT.db (created if missing) every sweep run of each IN.db that it lacks, one\n"
     "input per transaction. Inputs must hold the same sweep (same scenario text, overrides,\n"
     "sweep definition and seed) as OUT.db and each other; a different sweep is refused with a\n"
     "message naming both, and OUT.db keeps what the earlier inputs added.\n"
     "\n"
     "exit status: 0 merged, 1 a database could not be read or written, 2 mismatched inputs or\n"
     "bad usage.\n",
     tf_cli_merge},
    {"report", "write a run or a sweep as one self-contained HTML page with charts",
     "usage: tokenfab report DB [--run ID | --sweep ID] --html FILE [--chartjs FILE]\n"
     "\n"
     "Turns a results database into one HTML file that opens offline in any browser and can\n"
     "be mailed or archived: the data is embedded as JSON and Chart.js is inlined. For a run\n"
     "(default: the latest in DB): the scenario in brief, headline numbers (tokens/s, goodput,\n"
     "SLO attainment, tokens/s per MW, J/token, cost per million tokens, TCO a year, the\n"
     "binding constraint), latency per class against its SLO targets, power and load over\n"
     "time against the IT envelope, the cost breakdown and failure impact. For a sweep: the\n"
     "Pareto frontiers (tokens/s per MW against tokens/s per user; cost per million tokens\n"
     "against p99 TTFT and TPOT) with every point and its parameters on hover, a sortable\n"
     "table of the points (means over replications) and the cost per token by each swept\n"
     "parameter. Numbers and tables are plain HTML, readable without JavaScript\n"
     "(docs/REPORTS.md).\n"
     "\n"
     "options:\n"
     "  --run ID           the run to show (default: the latest run)\n"
     "  --sweep ID         show sweep ID instead (the sweeps table's sweep_id)\n"
     "  --html FILE        the page to write (required); written to a temporary file beside\n"
     "                     it and renamed over it when complete\n"
     "  --chartjs FILE     the Chart.js build to inline (default: Debian's libjs-chart.js in\n"
     "                     /usr/share/javascript/chart.js)\n"
     "\n"
     "exit status: 0 written, 1 Chart.js missing, the database unreadable or the page not\n"
     "written, 2 bad usage, a file that is not a results database, or an unknown run or sweep\n"
     "(the message lists those there are).\n",
     tf_cli_report},
    {"catalog", "list catalogue entries, or show one with its sources",
     "usage: tokenfab catalog [gpus|systems|models] [NAME] [--catalog-dir DIR]\n"
     "\n"
     "Without arguments, lists every GPU, system and model in the built-in catalogues. With a\n"
     "kind, lists that kind; with a name, prints every field of that entry with its unit and\n"
     "the source of each number.\n"
     "\n"
     "exit status: 0 found, 2 unknown kind or name (the nearest names are suggested).\n",
     tf_cli_catalog},
    {"calibrate", "measure this machine's GPU and fit a profile of it",
     "usage: tokenfab calibrate [--quick] [--out FILE.db] [--keep DIR] [--csv DIR] [--gpu NAME]\n"
     "                          [--catalog-dir DIR]\n"
     "\n"
     "Runs the measuring program tokenfab-calibrate (built from kernels/ where the CUDA\n"
     "Toolkit is found) on this machine's GPU into a fresh temporary folder, then fits the\n"
     "measurements exactly as `tokenfab fit` does and writes the profile; the temporary folder\n"
     "is removed whatever happens. The measuring program's progress and messages go to\n"
     "standard error; standard output holds the fit's table. A scenario uses the profile with\n"
     "`serving: {profile: FILE-or-NAME}` (docs/CALIBRATION.md).\n"
     "\n"
     "The measuring program is $TOKENFAB_CALIBRATE, else tokenfab-calibrate beside tokenfab,\n"
     "in ../kernels from it (the build tree), or on PATH. Without one, measure on a GPU node\n"
     "(tokenfab-calibrate --out DIR) and run `tokenfab fit DIR` here.\n"
     "\n"
     "options:\n"
     "  --quick            the small sweep (under 2 minutes); default: the full one (under 10)\n"
     "  --out FILE.db      the profile database (default: DIR/profile.db with --keep DIR, else\n"
     "                     profile.db here)\n"
     "  --keep DIR         measure into DIR (created) and keep it, with profile.csv and\n"
     "                     fits.csv beside the measurements, as tokenfab fit DIR leaves them\n"
     "  --csv DIR          where profile.csv and fits.csv go, created if missing (default: the\n"
     "                     --keep folder, else none)\n"
     "  --gpu NAME         the catalogue GPU whose peaks to fit against (default: the one whose\n"
     "                     name matches the GPU's, as for tokenfab fit)\n"
     "  --catalog-dir DIR  read the built-in catalogues from DIR\n"
     "\n"
     "exit status: 0 profile written, 1 no measuring program, a measuring run that failed (no\n"
     "GPU, the self-check disagreed, ...), a refused fit or a file that could not be written,\n"
     "2 bad usage or a GPU no catalogue entry matches (name it with --gpu).\n",
     tf_cli_calibrate},
    {"fit", "fit a GPU profile to calibration measurements",
     "usage: tokenfab fit DIR [--gpu NAME] [--out FILE.db] [--csv DIR] [--catalog-dir DIR]\n"
     "\n"
     "Reads DIR/device.csv and DIR/measurements.csv (written by tokenfab-calibrate on a GPU\n"
     "node; docs/CALIBRATION.md) and fits the curves the performance and power models use,\n"
     "against the catalogue GPU's peak figures: HBM stream bandwidth and latency, GEMM and\n"
     "grouped GEMM efficiency against tokens (e_max, m_half), decode attention bandwidth and\n"
     "latency, idle power, power activities and the clock exponent under power limits. Prints\n"
     "each curve's rows, RMS relative error and status, and each fitted parameter with its\n"
     "standard error, unit, the default it replaces and its source. Every problem in the files\n"
     "is reported as file:line: message.\n"
     "\n"
     "A curve is refused, and no profile written, when it has fewer rows than its parameters\n"
     "+ 2, does not converge, leaves a parameter undetermined, misses its rows by more than\n"
     "15% RMS, or lands outside the physical range (an efficiency outside (0, 1], a negative\n"
     "m_half or latency, a clock exponent below 1).\n"
     "\n"
     "options:\n"
     "  --gpu NAME         the catalogue GPU whose peaks to fit against (default: the one\n"
     "                     whose name matches device.csv's gpu_name, e.g. \"NVIDIA H100 80GB\n"
     "                     HBM3\" -> h100-sxm)\n"
     "  --out FILE.db      the profile database (default: DIR/profile.db)\n"
     "  --csv DIR          where profile.csv and fits.csv go, created if missing (default: the\n"
     "                     measurement folder)\n"
     "  --catalog-dir DIR  read the built-in catalogues from DIR\n"
     "\n"
     "exit status: 0 profile written, 1 the fit was refused (the data were read but support no\n"
     "profile; the reasons are printed) or a file could not be written, 2 bad measurement files,\n"
     "unknown or unmatched GPU, or bad usage.\n",
     tf_cli_fit},
    {"help", "show help for a command",
     "usage: tokenfab help [COMMAND]\n", cmd_help},
};
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

static void usage(FILE *f) {
  fprintf(f, "tokenfab %s: a discrete-event capacity simulator for AI factories\n\n", TF_VERSION);
  fprintf(f, "usage: tokenfab COMMAND [ARGS]\n\ncommands:\n");
  for (int i = 0; i < N_COMMANDS; i++)
    fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\noptions:\n  --help     show this help\n  --version  print the version\n");
  fprintf(f, "\n`tokenfab help COMMAND` describes a command. Documentation: docs/ in the source.\n");
}

static const command *find_command(const char *name) {
  for (int i = 0; i < N_COMMANDS; i++)
    if (strcmp(commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

/* Reports an unknown command, suggesting the nearest. */
static int unknown_command(const char *name) {
  const char *names[N_COMMANDS];
  for (int i = 0; i < N_COMMANDS; i++)
    names[i] = commands[i].name;
  const char *near = tf_cli_nearest(name, names, N_COMMANDS);
  if (near)
    fprintf(stderr, "tokenfab: unknown command '%s'; did you mean '%s'?\n", name, near);
  else
    fprintf(stderr, "tokenfab: unknown command '%s'\n", name);
  fprintf(stderr, "Run 'tokenfab --help' for the list of commands.\n");
  return TF_EXIT_USAGE;
}

static int cmd_help(int argc, char **argv) {
  if (argc <= 1) {
    usage(stdout);
    return TF_EXIT_OK;
  }
  if (argc > 2) {
    fprintf(stderr, "tokenfab help: expected at most one command name\n");
    return TF_EXIT_USAGE;
  }
  const command *c = find_command(argv[1]);
  if (!c)
    return unknown_command(argv[1]);
  fputs(c->help, stdout);
  return TF_EXIT_OK;
}

/* True if a subcommand's arguments ask for its help. */
static bool wants_help(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0)
      return false;
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
      return true;
  }
  return false;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return TF_EXIT_USAGE;
  }
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
    usage(stdout);
    return TF_EXIT_OK;
  }
  if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
    printf("tokenfab %s\n", TF_VERSION);
    return TF_EXIT_OK;
  }
  if (name[0] == '-') {
    fprintf(stderr, "tokenfab: unknown option '%s' (expected a command first)\n", name);
    fprintf(stderr, "Run 'tokenfab --help' for the list of commands.\n");
    return TF_EXIT_USAGE;
  }
  const command *c = find_command(name);
  if (!c)
    return unknown_command(name);
  if (c->main != cmd_help && wants_help(argc - 1, argv + 1)) {
    fputs(c->help, stdout);
    return TF_EXIT_OK;
  }
  int rc = c->main(argc - 1, argv + 1);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "tokenfab: cannot write output: %s\n", strerror(errno));
    return TF_EXIT_FAILURE;
  }
  return rc;
}
