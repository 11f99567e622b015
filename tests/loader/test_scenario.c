/* Scenario loading: SI values of a valid file, the golden list of diagnostics for a file full of
 * mistakes, --set overrides and their errors, catalogue includes and overrides, YAML errors; the
 * serving section's values, defaults, mistakes and overrides; the workload's values, defaults,
 * fleet, mistakes, overrides, and trace and histogram files with their errors; the economics
 * section's values (owned and rented), defaults, mistakes and what it needs of other sections. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "economics.h"
#include "error.h"
#include "scenario.h"
#include "tf_test.h"

#ifndef TF_TEST_FIXTURES
#error "TF_TEST_FIXTURES is defined by the build"
#endif

/* Loads file (relative to the fixtures folder, the current directory) with sets; returns the
 * code and the printed diagnostics in *text (free it). */
static int load(const char *file, const char *const *sets, size_t n, tf_scenario *s,
                char **text) {
  tf_diags *d;
  if (tf_diags_create(&d))
    abort();
  int rc = tf_scenario_load(file, sets, n, ".", s, d);
  size_t len;
  FILE *f = open_memstream(text, &len);
  tf_diags_print(d, f);
  fclose(f);
  tf_diags_destroy(d);
  return rc;
}

static void check_contains(const char *text, const char *want) {
  if (!strstr(text, want)) {
    fprintf(stderr, "diagnostics lack \"%s\"; got:\n%s", want, text);
    TF_CHECK(0);
  }
}

static void valid(void) {
  tf_scenario s;
  char *text;
  int rc = load("valid.yaml", NULL, 0, &s, &text);
  TF_CHECK_INT(rc, 0);
  TF_CHECK_STR(text, "");
  free(text);
  if (rc)
    return;
  TF_CHECK_STR(s.name, "valid");
  TF_CHECK_STR(s.description, "every section, SI values known");
  TF_CHECK_INT(s.seed, 7);
  TF_CHECK_INT(s.duration_ns, 7200000000000LL);
  TF_CHECK_INT(s.warmup_ns, 90000000000LL);
  TF_CHECK(s.site.present);
  TF_CHECK(s.site.power_w == 20e6);
  TF_CHECK(s.site.pue == 1.25);
  TF_CHECK(s.site.has_electricity_price);
  TF_CHECK(s.site.electricity_usd_per_j == 0.08 / 3.6e6);
  TF_CHECK_INT(s.n_hardware, 2);
  TF_CHECK_STR(s.hardware[0].system, "hgx-h100");
  TF_CHECK_INT(s.hardware[0].count, 16);
  TF_CHECK(s.hardware[0].entry != NULL);
  TF_CHECK(s.hardware[1].entry != NULL && s.hardware[1].entry->gpu_entry != NULL);
  TF_CHECK(s.model.present && s.model.entry != NULL);
  TF_CHECK_INT(s.model.entry->params_active, 37000000000LL);
  TF_CHECK(s.queue.present);
  TF_CHECK_INT(s.queue.servers, 8);
  TF_CHECK_INT(s.queue.interarrival.kind, TF_DIST_GAMMA);
  TF_CHECK(s.queue.interarrival.mean == 20);
  TF_CHECK(s.queue.interarrival.cv == 1.5);
  TF_CHECK_INT(s.queue.service.kind, TF_DIST_UNIFORM);
  TF_CHECK(s.queue.service.min == 1 && s.queue.service.max == 3);
  TF_CHECK(s.text != NULL && strncmp(s.text, "# Test fixture: a valid", 23) == 0);
  TF_CHECK_INT(s.text_len, strlen(s.text));

  /* catalogs: extra-gpus.yaml added b200 and hgx-b200 and replaced h100-sxm as a whole. */
  const tf_catalog_gpu *h100 = tf_catalog_find_gpu(s.catalog, "h100-sxm");
  TF_CHECK(h100 != NULL);
  if (h100) {
    TF_CHECK_STR(h100->entry.display_name, "H100 (replaced)");
    TF_CHECK(h100->hbm_capacity_bytes == 96e9);
    TF_CHECK(!h100->has.tdp); /* the replaced entry had it; the new one does not */
    TF_CHECK(s.hardware[0].entry->gpu_entry == h100);
  }
  TF_CHECK(tf_catalog_find_gpu(s.catalog, "b200") != NULL);
  TF_CHECK_INT(tf_catalog_count(s.catalog, TF_CATALOG_GPUS), 3);
  /* overrides: single fields, with their source. */
  const tf_catalog_gpu *mi = tf_catalog_find_gpu(s.catalog, "mi300x");
  TF_CHECK(mi && mi->hbm_bandwidth_bytes_per_s == 6e12 && mi->tdp_w == 750);
  TF_CHECK(mi && strncmp(tf_catalog_source(&mi->entry, "hbm_bandwidth"), "override at valid.yaml:",
                         23) == 0);
  const tf_catalog_system *hgx = tf_catalog_find_system(s.catalog, "hgx-h100");
  TF_CHECK(hgx && hgx->power_w == 11e3 && hgx->host_power_w == 4.6e3);
  tf_scenario_destroy(&s);
  TF_CHECK(s.name == NULL && s.catalog == NULL);
  tf_scenario_destroy(&s); /* twice is harmless */
}

static char *read_all(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = calloc(1, 1 << 16);
  size_t n = fread(buf, 1, (1 << 16) - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

/* A golden test: every mistake in fixture, in order, exactly as expected_path (relative to the
 * fixtures folder) holds them. To accept a change, run with TF_UPDATE_GOLDEN=1 and review the diff
 * of the .expected files in tests/loader. */
static void golden_file(const char *fixture, const char *expected_path) {
  tf_scenario s;
  char *text;
  TF_CHECK_INT(load(fixture, NULL, 0, &s, &text), TF_EPARSE);
  TF_CHECK(s.name == NULL && s.catalog == NULL && s.hardware == NULL);
  if (getenv("TF_UPDATE_GOLDEN")) {
    FILE *f = fopen(expected_path, "wb");
    TF_CHECK(f != NULL);
    if (f) {
      fputs(text, f);
      fclose(f);
    }
  }
  char *expected = read_all(expected_path);
  TF_CHECK(expected != NULL);
  if (expected && strcmp(text, expected) != 0) {
    fprintf(stderr, "golden mismatch for %s.\n--- expected\n%s--- got\n%s", fixture, expected,
            text);
    TF_CHECK(0);
  }
  free(expected);
  free(text);
}

/* Every kind of mistake outside serving (golden-bad.yaml) and inside it (serving-bad.yaml). */
static void golden(void) {
  golden_file("golden-bad.yaml", "../golden-bad.expected");
  golden_file("serving-bad.yaml", "../serving-bad.expected");
  golden_file("workload-bad.yaml", "../workload-bad.expected");
  golden_file("economics-bad.yaml", "../economics-bad.expected");
  golden_file("economics-rent-bad.yaml", "../economics-rent-bad.expected");
}

static void errors_elsewhere(void) {
  tf_scenario s;
  char *text;
  TF_CHECK_INT(load("warmup-bad.yaml", NULL, 0, &s, &text), TF_EPARSE);
  TF_CHECK_STR(text, "warmup-bad.yaml:3:9: error: warmup: must be shorter than duration (5 min), "
                     "got 10 min\n");
  free(text);

  TF_CHECK_INT(load("no-such-scenario.yaml", NULL, 0, &s, &text), TF_EIO);
  TF_CHECK_STR(text, "no-such-scenario.yaml: error: cannot open: No such file or directory\n");
  free(text);

  /* YAML syntax errors and duplicate keys, from a scratch file. */
  char path[] = "/tmp/tf_loader_XXXXXX";
  int fd = mkstemp(path);
  TF_CHECK(fd >= 0);
  FILE *f = fdopen(fd, "w");
  fputs("name: dup\nduration: 1 h\nname: again\nseed: 1\n", f);
  fclose(f);
  char file[64];
  snprintf(file, sizeof file, "%s", path);
  TF_CHECK_INT(load(file, NULL, 0, &s, &text), TF_EPARSE);
  check_contains(text, ":3:1: error: duplicate key \"name\" (first given at line 1, column 1)");
  free(text);
  f = fopen(path, "w");
  fputs("name: x\nduration: [1 h\nseed: 1\n", f);
  fclose(f);
  TF_CHECK_INT(load(file, NULL, 0, &s, &text), TF_EPARSE);
  check_contains(text, "error: syntax error:");
  TF_CHECK(strstr(text, ":0:") == NULL);
  free(text);
  f = fopen(path, "w");
  fputs("name: &a x\nduration: 1 h\ndescription: *a\n", f);
  fclose(f);
  TF_CHECK_INT(load(file, NULL, 0, &s, &text), TF_EPARSE);
  check_contains(text, ":3:14: error: aliases (*a) are not supported");
  free(text);
  f = fopen(path, "w");
  fputs("- just\n- a list\n", f);
  fclose(f);
  TF_CHECK_INT(load(file, NULL, 0, &s, &text), TF_EPARSE);
  check_contains(text, ":1:1: error: scenario: expected a mapping, got a list");
  free(text);
  f = fopen(path, "w"); /* empty: every required key is missing, at 1:1 */
  fclose(f);
  TF_CHECK_INT(load(file, NULL, 0, &s, &text), TF_EPARSE);
  check_contains(text, ":1:1: error: missing required key \"name\" in scenario");
  check_contains(text, ":1:1: error: missing required key \"duration\" in scenario");
  free(text);
  remove(path);

  /* Queue cross-field checks. */
  static const char *const gamma_no_cv[] = {
      "queue={servers: 2, arrival: {process: gamma, rate: 1 /s}, "
      "service: {distribution: uniform, min: 3 s, max: 1 s, mean: 2 s}}"};
  TF_CHECK_INT(load("minimal.yaml", gamma_no_cv, 1, &s, &text), TF_EPARSE);
  check_contains(text, "--set:1:29: error: missing key \"cv\" in queue.arrival: process \"gamma\" "
                       "needs it");
  check_contains(text, "error: queue.service.max: must be greater than min (3 s), got 1 s");
  check_contains(text, "error: queue.service.mean: not used by distribution \"uniform\" (only "
                       "exponential, deterministic, lognormal and gamma use it)");
  free(text);
}

/* --set: values parsed like the file, paths created, errors at the argument's column. */
static void sets(void) {
  tf_scenario s;
  char *text;
  static const char *const good[] = {
      "queue.servers=16",
      "site.power=30 MW",
      "hardware[0].count=32",
      "hardware.1.count=3",
      "queue.arrival={process: gamma, rate: 5 /s, cv: 2}",
      "seed=99",
      "catalogs=[]", /* drops extra-gpus.yaml: hgx-b200 is then unknown... */
      "hardware[1].system=mi300x-8",  /* ...so point item 1 elsewhere */
      "overrides.systems={}",
      "overrides.gpus.h100-sxm.tdp=650 W",
  };
  int rc = load("valid.yaml", good, sizeof good / sizeof *good, &s, &text);
  TF_CHECK_INT(rc, 0);
  TF_CHECK_STR(text, "");
  free(text);
  if (rc == 0) {
    TF_CHECK_INT(s.queue.servers, 16);
    TF_CHECK(s.site.power_w == 30e6);
    TF_CHECK_INT(s.hardware[0].count, 32);
    TF_CHECK_INT(s.hardware[1].count, 3);
    TF_CHECK_STR(s.hardware[1].system, "mi300x-8");
    TF_CHECK_INT(s.queue.interarrival.kind, TF_DIST_GAMMA);
    TF_CHECK(s.queue.interarrival.mean == 0.2 && s.queue.interarrival.cv == 2);
    TF_CHECK_INT(s.seed, 99);
    const tf_catalog_gpu *h100 = tf_catalog_find_gpu(s.catalog, "h100-sxm");
    TF_CHECK(h100 && h100->tdp_w == 650 && h100->hbm_capacity_bytes == 80e9);
    TF_CHECK(h100 && strcmp(tf_catalog_source(&h100->entry, "tdp"), "override at --set:1:29") == 0);
    TF_CHECK(tf_catalog_find_system(s.catalog, "hgx-h100")->power_w == 10.2e3);
    tf_scenario_destroy(&s);
  }

  /* A section created from nothing. */
  static const char *const create[] = {"site.power=1 MW", "site.pue=80 %"};
  TF_CHECK_INT(load("minimal.yaml", create, 2, &s, &text), TF_EPARSE);
  TF_CHECK_STR(text, "--set:1:10: error: site.pue: must be >= 1, got 0.8\n");
  free(text);

  static const struct {
    const char *arg, *want;
  } bad[] = {
      {"queue.servers=x", "--set:1:15: error: queue.servers: missing number: expected a count"},
      {"queue.servers=2.5", "--set:1:15: error: queue.servers: expected a whole number, got "
                            "\"2.5\""},
      {"site.power=30 GB", "--set:1:15: error: site.power: expected a power such as \"50 MW\", "
                           "got a size \"30 GB\""},
      {"site.power=30", "--set:1:14: error: site.power: missing unit"},
      {"duration", "--set:1:1: error: expected PATH=VALUE"},
      {"=5", "--set:1:1: error: empty path before \"=\""},
      {"queue..servers=5", "--set:1:7: error: empty name in path"},
      {"hardware[5].count=1", "--set:1:10: error: list index 5 out of range: \"hardware\" has 2 "
                              "items"},
      {"hardware.7=1", "--set:1:10: error: list index 7 out of range"},
      {"hardware[x].count=1", "--set:1:9: error: expected a list index such as [0]"},
      {"name.first=x", "--set:1:6: error: cannot set \"first\": \"name\" is a value, not a "
                       "mapping"},
      {"site[0]=x", "--set:1:6: error: \"site\" is a mapping, not a list"},
      {"queue.arrival={process: gamma, rate: 5 /s", "--set:1:42: error: syntax error: did not "
                                                   "find expected ',' or '}'"},
      {"queue.arrival={process: gamma, rate: 5 /s, cv: 0}",
       "--set:1:48: error: queue.arrival.cv: must be > 0, got 0"},
      {"queue.arrival.process=poison", "--set:1:23: error: queue.arrival.process: unknown value "
                                       "\"poison\"; did you mean \"poisson\"?"},
      {"qeue.servers=3", "--set:1:1: error: unknown key \"qeue\" in scenario; did you mean "
                         "\"queue\"?"},
      {"model=llama", "--set:1:7: error: model: unknown model \"llama\""},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    const char *args[] = {bad[i].arg};
    TF_CHECK_INT(load("valid.yaml", args, 1, &s, &text), TF_EPARSE);
    if (strncmp(text, bad[i].want, strlen(bad[i].want)) != 0) {
      fprintf(stderr, "--set %s: expected \"%s...\", got:\n%s", bad[i].arg, bad[i].want, text);
      TF_CHECK(0);
    }
    free(text);
  }
}

/* True if o is file:line:col. */
static bool origin_is(tf_catalog_origin o, const char *file, int line, int col) {
  return o.file && strcmp(o.file, file) == 0 && o.line == line && o.col == col;
}

/* serving.yaml: every key given, every value other than its default. */
static void serving_valid(void) {
  tf_scenario s;
  char *text;
  int rc = load("serving.yaml", NULL, 0, &s, &text);
  TF_CHECK_INT(rc, 0);
  TF_CHECK_STR(text, "");
  free(text);
  if (rc)
    return;
  TF_CHECK(s.serving.present);
  TF_CHECK_INT(s.serving.hardware_index, 1);
  TF_CHECK_STR(s.hardware[s.serving.hardware_index].system, "mi300x-8");
  TF_CHECK_INT(s.serving.layout.tp, 4);
  TF_CHECK_INT(s.serving.layout.dp, 2);
  TF_CHECK_INT(s.serving.layout.ep, 8);
  TF_CHECK_INT(s.serving.layout.pp, 2);
  TF_CHECK(s.serving.layout.overlap);
  TF_CHECK_INT(s.serving.precision.weights, TF_PREC_FP8);
  TF_CHECK_INT(s.serving.precision.experts, TF_PREC_FP4);
  TF_CHECK_INT(s.serving.precision.activations, TF_PREC_FP8);
  TF_CHECK_INT(s.serving.precision.kv_cache, TF_PREC_FP8);
  TF_CHECK_INT(s.serving.speculation.draft_tokens, 1);
  TF_CHECK(s.serving.speculation.acceptance == 0.8);
  TF_CHECK(s.serving.routing.imbalance == 1.25);
  TF_CHECK(s.serving.routing.skew == 0.5);
  TF_CHECK_INT(s.serving.routing.redundant_experts, 32);
  TF_CHECK(s.serving.memory_utilisation == 0.85);
  TF_CHECK_INT(s.serving.max_batch_tokens, 16384);
  /* Origins point into the scenario's own path string, which outlives the YAML tree. */
  TF_CHECK(origin_is(s.serving.origin, "serving.yaml", 10, 1));
  TF_CHECK(s.serving.origin.file == s.path);
  TF_CHECK(origin_is(s.serving.layout_origin[TF_SCENARIO_TP], "serving.yaml", 12, 7));
  TF_CHECK(origin_is(s.serving.layout_origin[TF_SCENARIO_DP], "serving.yaml", 13, 7));
  TF_CHECK(origin_is(s.serving.layout_origin[TF_SCENARIO_EP], "serving.yaml", 14, 7));
  TF_CHECK(origin_is(s.serving.layout_origin[TF_SCENARIO_PP], "serving.yaml", 15, 7));
  tf_scenario_destroy(&s);
}

static void check_serving_defaults(const tf_scenario *s) {
  TF_CHECK_INT(s->serving.hardware_index, 0);
  TF_CHECK_INT(s->serving.layout.tp, 1);
  TF_CHECK_INT(s->serving.layout.dp, 1);
  TF_CHECK_INT(s->serving.layout.ep, 1);
  TF_CHECK_INT(s->serving.layout.pp, 1);
  TF_CHECK(!s->serving.layout.overlap);
  TF_CHECK_INT(s->serving.precision.weights, TF_PREC_BF16);
  TF_CHECK_INT(s->serving.precision.experts, TF_PREC_BF16);
  TF_CHECK_INT(s->serving.precision.activations, TF_PREC_BF16);
  TF_CHECK_INT(s->serving.precision.kv_cache, TF_PREC_BF16);
  TF_CHECK_INT(s->serving.speculation.draft_tokens, 0);
  TF_CHECK(s->serving.speculation.acceptance == 0);
  TF_CHECK(s->serving.routing.imbalance == 0); /* auto */
  TF_CHECK(s->serving.routing.skew == 0);
  TF_CHECK_INT(s->serving.routing.redundant_experts, 0);
  TF_CHECK(s->serving.memory_utilisation == 0.9);
  TF_CHECK_INT(s->serving.max_batch_tokens, 8192);
  for (int k = 0; k < TF_SCENARIO_LAYOUT_KEYS_; k++)
    TF_CHECK(s->serving.layout_origin[k].line == 0 && s->serving.layout_origin[k].file == NULL);
}

/* Defaults: without the section (with and without hardware), and with an empty one. */
static void serving_defaults(void) {
  static const char *const files[] = {"minimal.yaml", "valid.yaml"};
  for (size_t i = 0; i < 2; i++) {
    tf_scenario s;
    char *text;
    int rc = load(files[i], NULL, 0, &s, &text);
    TF_CHECK_INT(rc, 0);
    TF_CHECK_STR(text, "");
    free(text);
    if (rc)
      continue;
    TF_CHECK(!s.serving.present);
    TF_CHECK(s.serving.origin.line == 0 && s.serving.origin.file == NULL);
    check_serving_defaults(&s);
    tf_scenario_destroy(&s);
  }
  /* `serving:` with no value is an empty section: present, all defaults. */
  static const char *const empty[] = {"serving="};
  tf_scenario s;
  char *text;
  int rc = load("valid.yaml", empty, 1, &s, &text);
  TF_CHECK_INT(rc, 0);
  TF_CHECK_STR(text, "");
  free(text);
  if (rc == 0) {
    TF_CHECK(s.serving.present);
    TF_CHECK(origin_is(s.serving.origin, "--set", 1, 1));
    check_serving_defaults(&s);
    tf_scenario_destroy(&s);
  }
}

/* --set creates the section and its sub-mappings, and replaces values the file gave. */
static void serving_sets(void) {
  tf_scenario s;
  char *text;
  static const char *const create[] = {"serving.tp=4", "serving.precision.experts=fp4",
                                       "serving.routing.imbalance=auto"};
  int rc = load("valid.yaml", create, 3, &s, &text);
  TF_CHECK_INT(rc, 0);
  TF_CHECK_STR(text, "");
  free(text);
  if (rc == 0) {
    TF_CHECK(s.serving.present);
    TF_CHECK(origin_is(s.serving.origin, "--set", 1, 1));
    TF_CHECK(origin_is(s.serving.layout_origin[TF_SCENARIO_TP], "--set", 1, 12));
    TF_CHECK(s.serving.layout_origin[TF_SCENARIO_DP].line == 0);
    TF_CHECK_INT(s.serving.layout.tp, 4);
    TF_CHECK_INT(s.serving.layout.dp, 1);
    TF_CHECK_INT(s.serving.precision.experts, TF_PREC_FP4);
    TF_CHECK_INT(s.serving.precision.weights, TF_PREC_BF16);
    TF_CHECK(s.serving.routing.imbalance == 0);
    TF_CHECK_INT(s.serving.hardware_index, 0); /* the first hardware item */
    tf_scenario_destroy(&s);
  }

  static const char *const change[] = {
      "serving.tp=8",
      "serving.ep=16",
      "serving.system=hgx-h100",
      "serving.precision={weights: fp4, kv_cache: fp8}", /* experts follow weights */
      "serving.speculation={draft_tokens: 0}",           /* off: acceptance must go too */
      "serving.routing.imbalance=auto",
      "serving.overlap=false",
  };
  rc = load("serving.yaml", change, sizeof change / sizeof *change, &s, &text);
  TF_CHECK_INT(rc, 0);
  TF_CHECK_STR(text, "");
  free(text);
  if (rc == 0) {
    TF_CHECK(origin_is(s.serving.origin, "serving.yaml", 10, 1));
    TF_CHECK(origin_is(s.serving.layout_origin[TF_SCENARIO_TP], "--set", 1, 12));
    TF_CHECK(origin_is(s.serving.layout_origin[TF_SCENARIO_DP], "serving.yaml", 13, 7));
    TF_CHECK_INT(s.serving.layout.tp, 8);
    TF_CHECK_INT(s.serving.layout.ep, 16);
    TF_CHECK_INT(s.serving.hardware_index, 0);
    TF_CHECK_INT(s.serving.precision.weights, TF_PREC_FP4);
    TF_CHECK_INT(s.serving.precision.experts, TF_PREC_FP4);
    TF_CHECK_INT(s.serving.precision.activations, TF_PREC_BF16);
    TF_CHECK_INT(s.serving.precision.kv_cache, TF_PREC_FP8);
    TF_CHECK_INT(s.serving.speculation.draft_tokens, 0);
    TF_CHECK(s.serving.speculation.acceptance == 0);
    TF_CHECK(s.serving.routing.imbalance == 0);
    TF_CHECK(!s.serving.layout.overlap);
    tf_scenario_destroy(&s);
  }

  /* One mistake each, the whole output exact. */
  static const struct {
    const char *file, *arg, *want;
  } bad[] = {
      {"minimal.yaml", "serving.tp=4",
       "--set:1:1: error: serving: expected a hardware section listing at least one system for "
       "the replica to run on\n"},
      {"minimal.yaml", "serving.system=hgx-h100", /* no hardware: the system is not the news */
       "--set:1:1: error: serving: expected a hardware section listing at least one system for "
       "the replica to run on\n"},
      {"serving.yaml", "serving=8", "--set:1:9: error: serving: expected a mapping, got a value\n"},
      {"serving.yaml", "serving.tpp=2",
       "--set:1:9: error: unknown key \"tpp\" in serving; did you mean \"tp\"?\n"},
      {"serving.yaml", "serving.tp=5000", /* ep = 8 is then not checked against tp * dp */
       "--set:1:12: error: serving.tp: must be <= 4096, got 5000\n"},
      {"serving.yaml", "serving.dp=0", "--set:1:12: error: serving.dp: must be >= 1, got 0\n"},
      {"serving.yaml", "serving.ep=3",
       "--set:1:12: error: serving.ep: must divide tp * dp = 8, got 3\n"},
      {"serving.yaml", "serving.dp=3",
       "serving.yaml:14:7: error: serving.ep: must divide tp * dp = 12, got 8\n"},
      {"serving.yaml", "serving.pp=1.5",
       "--set:1:12: error: serving.pp: expected a whole number, got \"1.5\"\n"},
      {"serving.yaml", "serving.overlap=yes",
       "--set:1:17: error: serving.overlap: unknown value \"yes\" (expected one of: false, "
       "true)\n"},
      {"serving.yaml", "serving.overlap=ture",
       "--set:1:17: error: serving.overlap: unknown value \"ture\"; did you mean \"true\"? "
       "(expected one of: false, true)\n"},
      {"serving.yaml", "serving.system=gb200-nvl72",
       "--set:1:16: error: serving.system: expected a system listed in hardware, got "
       "\"gb200-nvl72\" (hardware: hgx-h100, mi300x-8)\n"},
      {"serving.yaml", "serving.system=mi300x",
       "--set:1:16: error: serving.system: expected a system listed in hardware, got \"mi300x\"; "
       "did you mean \"mi300x-8\"? (hardware: hgx-h100, mi300x-8)\n"},
      {"serving.yaml", "serving.system=[hgx-h100]",
       "--set:1:16: error: serving.system: expected a name, got a list\n"},
      {"serving.yaml", "serving.precision=fp8",
       "--set:1:19: error: serving.precision: expected a mapping, got a value\n"},
      {"serving.yaml", "serving.precision.kv_cache=bf61",
       "--set:1:28: error: serving.precision.kv_cache: unknown value \"bf61\"; did you mean "
       "\"bf16\"? (expected one of: bf16, fp8, fp4)\n"},
      {"serving.yaml", "serving.precision.experts=int4",
       "--set:1:27: error: serving.precision.experts: unknown value \"int4\" (expected one of: "
       "bf16, fp8, fp4)\n"},
      {"serving.yaml", "serving.precision.activation=fp8",
       "--set:1:19: error: unknown key \"activation\" in serving.precision; did you mean "
       "\"activations\"?\n"},
      {"serving.yaml", "serving.speculation={draft_tokens: 2}",
       "--set:1:21: error: missing key \"acceptance\" in serving.speculation: draft_tokens 2 "
       "needs it\n"},
      {"serving.yaml", "serving.speculation={acceptance: 0.7}",
       "--set:1:34: error: serving.speculation.acceptance: not used when draft_tokens is 0 (only "
       "draft_tokens >= 1 uses it)\n"},
      {"serving.yaml", "serving.speculation.draft_tokens=0",
       "serving.yaml:24:17: error: serving.speculation.acceptance: not used when draft_tokens is "
       "0 (only draft_tokens >= 1 uses it)\n"},
      {"serving.yaml", "serving.speculation.draft_tokens=17", /* acceptance then unjudged */
       "--set:1:34: error: serving.speculation.draft_tokens: must be <= 16, got 17\n"},
      {"serving.yaml", "serving.speculation.acceptance=1.5",
       "--set:1:32: error: serving.speculation.acceptance: must be <= 1, got 1.5\n"},
      {"serving.yaml", "serving.speculation.acceptance=-10 %",
       "--set:1:32: error: serving.speculation.acceptance: must be >= 0, got -0.1\n"},
      {"serving.yaml", "serving.routing.imbalance=atuo",
       "--set:1:27: error: serving.routing.imbalance: unknown value \"atuo\"; did you mean "
       "\"auto\"? (expected \"auto\" or a number >= 1 such as \"1.3\")\n"},
      {"serving.yaml", "serving.routing.imbalance=high",
       "--set:1:27: error: serving.routing.imbalance: expected \"auto\" or a number >= 1 such as "
       "\"1.3\", got \"high\"\n"},
      {"serving.yaml", "serving.routing.imbalance=1.2 MW",
       "--set:1:27: error: serving.routing.imbalance: expected \"auto\" or a number >= 1 such as "
       "\"1.3\", got \"1.2 MW\"\n"},
      {"serving.yaml", "serving.routing.imbalance=0.9",
       "--set:1:27: error: serving.routing.imbalance: must be >= 1 (the busiest EP rank's load "
       "over the mean) or \"auto\", got 0.9\n"},
      {"serving.yaml", "serving.routing.imbalance=[2]",
       "--set:1:27: error: serving.routing.imbalance: expected \"auto\" or a number >= 1 such as "
       "\"1.3\", got a list\n"},
      {"serving.yaml", "serving.routing.imbalance=",
       "--set:1:27: error: serving.routing.imbalance: missing value: expected \"auto\" or a "
       "number >= 1 such as \"1.3\"\n"},
      {"serving.yaml", "serving.routing.skew=2.5",
       "--set:1:22: error: serving.routing.skew: must be <= 1.5, got 2.5\n"},
      {"serving.yaml", "serving.routing.skew=-1",
       "--set:1:22: error: serving.routing.skew: must be >= 0, got -1\n"},
      {"serving.yaml", "serving.routing.redundant_experts=-1",
       "--set:1:35: error: serving.routing.redundant_experts: must be >= 0, got -1\n"},
      {"serving.yaml", "serving.memory_utilisation=0",
       "--set:1:28: error: serving.memory_utilisation: must be > 0, got 0\n"},
      {"serving.yaml", "serving.memory_utilisation=120 %",
       "--set:1:28: error: serving.memory_utilisation: must be <= 1, got 1.2\n"},
      {"serving.yaml", "serving.max_batch_tokens=0",
       "--set:1:26: error: serving.max_batch_tokens: must be >= 1, got 0\n"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    const char *args[] = {bad[i].arg};
    TF_CHECK_INT(load(bad[i].file, args, 1, &s, &text), TF_EPARSE);
    if (strcmp(text, bad[i].want) != 0) {
      fprintf(stderr, "%s --set %s: expected\n%sgot\n%s", bad[i].file, bad[i].arg, bad[i].want,
              text);
      TF_CHECK(0);
    }
    free(text);
  }
}

/* workload.yaml: every workload key, in SI (rates per second, times in ns, SLOs in seconds). */
static void check_workload_file(const tf_scenario *s, const char *dir) {
  TF_CHECK_INT(s->n_workload, 4);
  if (s->n_workload != 4)
    return;
  TF_CHECK_INT(s->serving.replicas, 30);
  TF_CHECK_INT(s->serving.max_batch_seqs, 128);

  const tf_scenario_class *chat = &s->workload[0];
  TF_CHECK_STR(chat->name, "chat");
  TF_CHECK_INT(chat->arrivals.kind, TF_TRAFFIC_POISSON);
  TF_CHECK(chat->arrivals.rate_per_s == 40);
  TF_CHECK(!chat->lengths_from_trace);
  TF_CHECK_INT(chat->input.kind, TF_LENGTH_LOGNORMAL);
  TF_CHECK(chat->input.mean == 1024.5 && chat->input.cv == 1.5);
  TF_CHECK_INT(chat->input.cap, 8192);
  TF_CHECK_INT(chat->output.kind, TF_LENGTH_FIXED);
  TF_CHECK_INT(chat->output.value, 512);
  TF_CHECK_INT(chat->output.cap, 0);
  TF_CHECK(chat->prefix_hit == 0.3);
  TF_CHECK(chat->slo_ttft_s == 2 && chat->slo_tpot_s == 0.05);
  TF_CHECK_INT(chat->router, TF_ROUTER_POWER_OF_TWO);
  TF_CHECK(chat->trace == NULL && chat->input_hist == NULL && chat->piece_start_ns == NULL);

  const tf_scenario_class *batch = &s->workload[1];
  TF_CHECK_STR(batch->name, "batch");
  TF_CHECK_INT(batch->arrivals.kind, TF_TRAFFIC_GAMMA);
  TF_CHECK(batch->arrivals.rate_per_s == 40 && batch->arrivals.cv == 2);
  TF_CHECK_INT(batch->input.kind, TF_LENGTH_UNIFORM);
  TF_CHECK(batch->input.min == 128 && batch->input.max == 2048);
  TF_CHECK_INT(batch->output.kind, TF_LENGTH_EMPIRICAL);
  TF_CHECK(batch->output.hist != NULL && batch->output.hist == batch->output_hist);
  TF_CHECK_INT(batch->output.cap, 300);
  if (batch->output_hist) {
    TF_CHECK_INT(tf_length_hist_bins(batch->output_hist), 2);
    int64_t lo, hi;
    double p;
    TF_CHECK_INT(tf_length_hist_bin(batch->output_hist, 1, &lo, &hi, &p), 0);
    TF_CHECK(lo == 65 && hi == 512 && p == 0.5);
  }
  TF_CHECK(batch->prefix_hit == 0);
  TF_CHECK(batch->slo_ttft_s == 0 && batch->slo_tpot_s == 0);
  TF_CHECK_INT(batch->router, TF_ROUTER_ROUND_ROBIN);

  const tf_scenario_class *diurnal = &s->workload[2];
  TF_CHECK_INT(diurnal->arrivals.kind, TF_TRAFFIC_PIECEWISE);
  TF_CHECK_INT(diurnal->arrivals.pieces, 3);
  TF_CHECK(diurnal->arrivals.piece_start_ns == diurnal->piece_start_ns);
  TF_CHECK(diurnal->arrivals.piece_rate_per_s == diurnal->piece_rate_per_s);
  if (diurnal->piece_start_ns && diurnal->piece_rate_per_s) {
    TF_CHECK_INT(diurnal->piece_start_ns[0], 0);
    TF_CHECK_INT(diurnal->piece_start_ns[1], 8 * 3600 * INT64_C(1000000000));
    TF_CHECK_INT(diurnal->piece_start_ns[2], 20 * 3600 * INT64_C(1000000000));
    TF_CHECK(diurnal->piece_rate_per_s[0] == 10 && diurnal->piece_rate_per_s[1] == 40 &&
             diurnal->piece_rate_per_s[2] == 0);
  }
  TF_CHECK_INT(diurnal->arrivals.period_ns, 86400 * INT64_C(1000000000));
  TF_CHECK_INT(diurnal->input.kind, TF_LENGTH_EMPIRICAL);
  TF_CHECK(diurnal->input.hist == diurnal->input_hist && diurnal->input_hist != NULL);
  TF_CHECK(diurnal->input_hist && tf_length_hist_bins(diurnal->input_hist) == 3);
  TF_CHECK_INT(diurnal->output.kind, TF_LENGTH_UNIFORM);
  TF_CHECK(diurnal->output.min == 16 && diurnal->output.max == 16);
  TF_CHECK_INT(diurnal->router, TF_ROUTER_LEAST_WORK);

  const tf_scenario_class *replay = &s->workload[3];
  TF_CHECK_INT(replay->arrivals.kind, TF_TRAFFIC_TRACE);
  TF_CHECK(replay->lengths_from_trace);
  TF_CHECK(replay->arrivals.trace == replay->trace && replay->trace != NULL);
  TF_CHECK(replay->arrivals.time_scale == 0.5);
  TF_CHECK(replay->arrivals.loop);
  TF_CHECK_INT(replay->input.kind, TF_LENGTH_FIXED);
  TF_CHECK_INT(replay->input.value, 0);
  TF_CHECK_INT(replay->output.value, 0);
  if (replay->trace) {
    TF_CHECK_INT(tf_traffic_trace_count(replay->trace), 4);
    TF_CHECK_INT(tf_traffic_trace_span_ns(replay->trace), 4000000000LL);
    int64_t t, in, out;
    TF_CHECK_INT(tf_traffic_trace_request(replay->trace, 2, &t, &in, &out), 0);
    TF_CHECK(t == 1750000000LL && in == 879 && out == 143);
  }
  /* Every class passes the traffic model's own checks. */
  for (size_t i = 0; i < s->n_workload; i++) {
    TF_CHECK_INT(tf_traffic_check(&s->workload[i].arrivals), 0);
    if (!s->workload[i].lengths_from_trace) {
      TF_CHECK_INT(tf_length_check(&s->workload[i].input), 0);
      TF_CHECK_INT(tf_length_check(&s->workload[i].output), 0);
    }
  }
  char file[64];
  snprintf(file, sizeof file, "%sworkload.yaml", dir);
  TF_CHECK(origin_is(chat->origin, file, 13, 5));
  TF_CHECK(chat->origin.file == s->path);
  TF_CHECK(origin_is(replay->origin, file, 48, 5));
  TF_CHECK(origin_is(s->serving.replicas_origin, file, 10, 13));
}

static void workload_valid(void) {
  /* From the fixtures folder, and from elsewhere: CSV paths are relative to the scenario. */
  static const char *const dirs[] = {"", "../fixtures/"};
  for (size_t i = 0; i < 2; i++) {
    char path[64];
    snprintf(path, sizeof path, "%sworkload.yaml", dirs[i]);
    tf_scenario s;
    char *text;
    int rc = load(path, NULL, 0, &s, &text);
    TF_CHECK_INT(rc, 0);
    TF_CHECK_STR(text, "");
    free(text);
    if (rc)
      continue;
    check_workload_file(&s, dirs[i]);
    tf_scenario_destroy(&s);
    TF_CHECK(s.workload == NULL && s.n_workload == 0);
  }
}

/* Defaults: without a workload (replicas from the hardware, or 0 without any), and a workload
 * with nothing but what it needs. */
static void workload_defaults(void) {
  static const struct {
    const char *file;
    int64_t replicas;
  } without[] = {{"minimal.yaml", 0}, {"valid.yaml", 128}, {"serving.yaml", 1}};
  for (size_t i = 0; i < sizeof without / sizeof *without; i++) {
    tf_scenario s;
    char *text;
    int rc = load(without[i].file, NULL, 0, &s, &text);
    TF_CHECK_INT(rc, 0);
    TF_CHECK_STR(text, "");
    free(text);
    if (rc)
      continue;
    TF_CHECK(s.workload == NULL && s.n_workload == 0);
    TF_CHECK_INT(s.serving.replicas, without[i].replicas);
    TF_CHECK(s.serving.replicas_origin.line == 0 && s.serving.replicas_origin.file == NULL);
    TF_CHECK_INT(s.serving.max_batch_seqs, 256);
    tf_scenario_destroy(&s);
  }

  tf_scenario s;
  char *text;
  int rc = load("workload-min.yaml", NULL, 0, &s, &text);
  TF_CHECK_INT(rc, 0);
  TF_CHECK_STR(text, "");
  free(text);
  if (rc)
    return;
  TF_CHECK(!s.serving.present);
  TF_CHECK_INT(s.serving.replicas, 32); /* 4 x 8 GPUs, one each */
  TF_CHECK_INT(s.serving.max_batch_seqs, 256);
  TF_CHECK_INT(s.n_workload, 1);
  const tf_scenario_class *c = &s.workload[0];
  TF_CHECK_STR(c->name, "only");
  TF_CHECK(c->prefix_hit == 0 && c->slo_ttft_s == 0 && c->slo_tpot_s == 0);
  TF_CHECK_INT(c->router, TF_ROUTER_LEAST_WORK);
  TF_CHECK_INT(c->input.cap, 0);
  TF_CHECK(origin_is(c->origin, "workload-min.yaml", 9, 5));
  tf_scenario_destroy(&s);

  /* A trace's defaults: time_scale 1, no loop. */
  static const char *const trace[] = {
      "workload=[{name: r, arrival: {process: trace, file: traces/azure-conv.csv}}]"};
  rc = load("workload-min.yaml", trace, 1, &s, &text);
  TF_CHECK_INT(rc, 0);
  TF_CHECK_STR(text, "");
  free(text);
  if (rc == 0) {
    TF_CHECK(s.workload[0].arrivals.time_scale == 1 && !s.workload[0].arrivals.loop);
    TF_CHECK(s.workload[0].lengths_from_trace);
    TF_CHECK(origin_is(s.workload[0].origin, "--set", 1, 11));
    tf_scenario_destroy(&s);
  }
}

/* --set reaches every workload key and the fleet keys. */
static void workload_sets(void) {
  tf_scenario s;
  char *text;
  static const char *const good[] = {
      "workload[0].arrival.rate=80/s",
      "workload[0].slo.ttft=500 ms",
      "workload[0].input.cap=4096",
      "workload.1.router=least_work",
      "workload[2].arrival.pieces[1].rate=20 /s",
      "workload[2].arrival.period=",  /* a null: an error, so replaced next */
      "workload[2].arrival={process: piecewise, pieces: [{start: 0 s, rate: 3 /s}]}",
      "workload[3].arrival.loop=false",
      "workload[3].arrival.time_scale=2",
      "serving.replicas=4",
      "serving.max_batch_seqs=64",
      "serving.profile=h100-run",
  };
  int rc = load("workload.yaml", good, sizeof good / sizeof *good, &s, &text);
  TF_CHECK_INT(rc, 0);
  TF_CHECK_STR(text, "");
  free(text);
  if (rc == 0) {
    TF_CHECK(s.workload[0].arrivals.rate_per_s == 80);
    TF_CHECK(s.workload[0].slo_ttft_s == 0.5 && s.workload[0].slo_tpot_s == 0.05);
    TF_CHECK_INT(s.workload[0].input.cap, 4096);
    TF_CHECK_INT(s.workload[1].router, TF_ROUTER_LEAST_WORK);
    TF_CHECK_INT(s.workload[2].arrivals.pieces, 1);
    TF_CHECK(s.workload[2].piece_rate_per_s[0] == 3);
    TF_CHECK_INT(s.workload[2].arrivals.period_ns, 0);
    TF_CHECK(!s.workload[3].arrivals.loop && s.workload[3].arrivals.time_scale == 2);
    TF_CHECK_INT(s.serving.replicas, 4);
    TF_CHECK(origin_is(s.serving.replicas_origin, "--set", 1, 18));
    TF_CHECK_INT(s.serving.max_batch_seqs, 64);
    /* Recorded as written, with the value's place: the caller resolves it (cli/profile.c). */
    TF_CHECK_STR(s.serving.profile, "h100-run");
    TF_CHECK(origin_is(s.serving.profile_origin, "--set", 1, 17));
    TF_CHECK(s.fitted_profile.gpu == NULL && s.fitted_profile.power == NULL);
    TF_CHECK(s.serving.profile_file == NULL); /* a name, not a file */
    tf_scenario_destroy(&s);
  }

  /* A value with a folder or a profile file's extension names a file, relative to the scenario
   * file (here in the current folder); anything else is a name. */
  static const struct {
    const char *set, *file;
  } profiles[] = {{"serving.profile=runs/h100", "runs/h100"},
                  {"serving.profile=h100.db", "h100.db"},
                  {"serving.profile=h100.csv", "h100.csv"},
                  {"serving.profile=/abs/p.db", "/abs/p.db"},
                  {"serving.profile=h100.dbx", NULL}};
  for (size_t i = 0; i < sizeof profiles / sizeof *profiles; i++) {
    const char *args[] = {profiles[i].set};
    rc = load("workload.yaml", args, 1, &s, &text);
    TF_CHECK_INT(rc, 0);
    free(text);
    if (rc == 0) {
      if (profiles[i].file)
        TF_CHECK_STR(s.serving.profile_file, profiles[i].file);
      else
        TF_CHECK(s.serving.profile_file == NULL);
      tf_scenario_destroy(&s);
    }
  }

  /* The default replica count follows the layout and the system. */
  static const struct {
    const char *arg;
    int64_t replicas;
  } fleets[] = {{"serving.tp=3", 10}, {"serving.pp=32", 1}, {"hardware[0].count=1", 8},
                {"serving.replicas=32", 32}};
  for (size_t i = 0; i < sizeof fleets / sizeof *fleets; i++) {
    const char *args[] = {fleets[i].arg};
    rc = load("workload-min.yaml", args, 1, &s, &text);
    TF_CHECK_INT(rc, 0);
    TF_CHECK_STR(text, "");
    free(text);
    if (rc == 0) {
      TF_CHECK_INT(s.serving.replicas, fleets[i].replicas);
      tf_scenario_destroy(&s);
    }
  }
  /* Without a workload, a written replicas count is still checked against the hardware. */
  static const char *const spare[] = {"serving.replicas=128"};
  rc = load("valid.yaml", spare, 1, &s, &text);
  TF_CHECK_INT(rc, 0);
  TF_CHECK_STR(text, "");
  free(text);
  if (rc == 0)
    tf_scenario_destroy(&s);
}

/* One mistake each (two arguments where the first sets the stage), the whole output exact. */
static void workload_set_errors(void) {
  static const struct {
    const char *file, *arg1, *arg2, *want;
  } bad[] = {
      {"minimal.yaml",
       "workload=[{name: a, arrival: {process: poisson, rate: 1 /s}, input: {distribution: "
       "fixed, value: 1}, output: {distribution: fixed, value: 1}}]",
       NULL, "--set:1:1: error: workload: needs a model and hardware to serve it\n"},
      {"workload-min.yaml", "model=", NULL,
       "--set:1:7: error: model: missing value: expected a name\n"
       "workload-min.yaml:8:1: error: workload: needs a model and hardware to serve it\n"},
      {"workload-min.yaml", "workload=", NULL,
       "--set:1:10: error: workload: missing value: expected a list of request classes\n"},
      {"workload-min.yaml", "workload=[]", NULL,
       "--set:1:10: error: workload: expected a list of request classes, got an empty list\n"},
      {"workload-min.yaml", "workload={}", NULL,
       "--set:1:10: error: workload: expected a list of request classes, got a mapping\n"},
      {"workload-min.yaml", "workload[0].nam=x", NULL,
       "--set:1:13: error: unknown key \"nam\" in workload[0]; did you mean \"name\"?\n"},
      {"workload-min.yaml", "workload[0].arrival.rate=0/s", NULL,
       "--set:1:26: error: workload[0].arrival.rate: must be > 0 /s, got 0 /s\n"},
      {"workload-min.yaml", "workload[0].arrival.rate=2e6 /s", NULL,
       "--set:1:26: error: workload[0].arrival.rate: must be <= 1e+06 /s, got 2e+06 /s\n"},
      {"workload-min.yaml", "workload[0].arrival.rate=3", NULL,
       "--set:1:27: error: workload[0].arrival.rate: missing unit"},
      {"workload-min.yaml", "workload[0].arrival.process=poison", NULL,
       "--set:1:29: error: workload[0].arrival.process: unknown value \"poison\"; did you mean "
       "\"poisson\"? (expected one of: poisson, gamma, piecewise, trace)\n"},
      {"workload-min.yaml", "workload[0].arrival.process=bursty", NULL,
       "--set:1:29: error: workload[0].arrival.process: unknown value \"bursty\" (expected one "
       "of: poisson, gamma, piecewise, trace)\n"},
      {"workload-min.yaml", "workload[0].arrival.cv=2", NULL,
       "--set:1:24: error: workload[0].arrival.cv: not used by process \"poisson\" (only gamma "
       "uses it)\n"},
      {"workload-min.yaml", "workload[0].arrival={process: gamma, rate: 1 /s, cv: 11}", NULL,
       "--set:1:54: error: workload[0].arrival.cv: must be <= 10, got 11\n"},
      {"workload-min.yaml", "workload[0].arrival={process: gamma, rate: 1 /s}", NULL,
       "--set:1:21: error: missing key \"cv\" in workload[0].arrival: process \"gamma\" needs "
       "it\n"},
      {"workload-min.yaml", "workload[0].arrival={process: piecewise}", NULL,
       "--set:1:21: error: missing key \"pieces\" in workload[0].arrival: process \"piecewise\" "
       "needs it\n"},
      {"workload-min.yaml", "workload[0].arrival={process: piecewise, pieces: []}", NULL,
       "--set:1:50: error: workload[0].arrival.pieces: expected a list of {start, rate}, got an "
       "empty list\n"},
      {"workload-min.yaml", "workload[0].arrival={process: piecewise, pieces: {start: 0 s}}",
       NULL,
       "--set:1:50: error: workload[0].arrival.pieces: expected a list of {start, rate}, got a "
       "mapping\n"},
      {"workload-min.yaml", "workload[0].arrival={process: piecewise, pieces: [{start: 0 s}]}",
       NULL,
       "--set:1:51: error: missing required key \"rate\" in workload[0].arrival.pieces[0]\n"},
      {"workload-min.yaml",
       "workload[0].arrival={process: piecewise, pieces: [{start: 0 s, rate: 1 /s}], "
       "period: 0 s}",
       NULL, "--set:1:86: error: workload[0].arrival.period: must be > 0 s, got 0 s\n"},
      {"workload-min.yaml", "workload[0].arrival={process: trace}", NULL,
       "--set:1:21: error: missing key \"file\" in workload[0].arrival: process \"trace\" needs "
       "it\n"
       "workload-min.yaml:11:12: error: workload[0].input: not used by process \"trace\" (the "
       "trace gives each request's lengths)\n"
       "workload-min.yaml:12:13: error: workload[0].output: not used by process \"trace\" (the "
       "trace gives each request's lengths)\n"},
      {"workload-min.yaml", "workload[0].arrival.loop=true", NULL,
       "--set:1:26: error: workload[0].arrival.loop: not used by process \"poisson\" (only "
       "trace uses it)\n"},
      {"workload-min.yaml", "workload[0].input=", NULL, /* a null is an empty mapping */
       "--set:1:19: error: missing required key \"distribution\" in workload[0].input\n"},
      {"workload-min.yaml", "workload[0].output=512", NULL,
       "--set:1:20: error: workload[0].output: expected a mapping, got a value\n"},
      {"workload-min.yaml", "workload[0].input={value: 5}", NULL,
       "--set:1:19: error: missing required key \"distribution\" in workload[0].input\n"},
      {"workload-min.yaml", "workload[0].input.distribution=normal", NULL,
       "--set:1:32: error: workload[0].input.distribution: unknown value \"normal\" (expected "
       "one of: fixed, uniform, lognormal, empirical)\n"},
      {"workload-min.yaml", "workload[0].input={distribution: uniform, min: 5}", NULL,
       "--set:1:19: error: missing key \"max\" in workload[0].input: distribution \"uniform\" "
       "needs it\n"},
      {"workload-min.yaml", "workload[0].input={distribution: lognormal, mean: 0, cv: 1}", NULL,
       "--set:1:51: error: workload[0].input.mean: must be > 0, got 0\n"},
      {"workload-min.yaml", "workload[0].input={distribution: lognormal, mean: 2e9, cv: 1}", NULL,
       "--set:1:51: error: workload[0].input.mean: must be <= 1073741824, got 2e+09\n"},
      {"workload-min.yaml", "workload[0].input={distribution: lognormal, mean: [1], cv: 1}",
       NULL, "--set:1:51: error: workload[0].input.mean: expected a number of tokens such as "
             "\"1024\", got a list\n"},
      {"workload-min.yaml", "workload[0].input={distribution: lognormal, mean: 9, cv: 101}",
       NULL, "--set:1:58: error: workload[0].input.cv: must be <= 100, got 101\n"},
      {"workload-min.yaml", "workload[0].input.mean=3", NULL,
       "--set:1:24: error: workload[0].input.mean: not used by distribution \"fixed\" (only "
       "lognormal uses it)\n"},
      {"workload-min.yaml", "workload[0].input.value=2e9", NULL,
       "--set:1:25: error: workload[0].input.value: must be <= 1073741824, got 2000000000\n"},
      {"workload-min.yaml", "workload[0].input.value=1.5", NULL,
       "--set:1:25: error: workload[0].input.value: expected a whole number, got \"1.5\"\n"},
      {"workload-min.yaml", "workload[0].input.cap=0", NULL,
       "--set:1:23: error: workload[0].input.cap: must be >= 1, got 0\n"},
      {"workload-min.yaml", "workload[0].input={distribution: empirical}", NULL,
       "--set:1:19: error: missing key \"file\" in workload[0].input: distribution "
       "\"empirical\" needs it\n"},
      {"workload-min.yaml", "workload[0].prefix_hit=100 %", NULL,
       "--set:1:24: error: workload[0].prefix_hit: must be < 1, got 1\n"},
      {"workload-min.yaml", "workload[0].prefix_hit=-0.1", NULL,
       "--set:1:24: error: workload[0].prefix_hit: must be >= 0, got -0.1\n"},
      {"workload-min.yaml", "workload[0].slo.ttft=-1 s", NULL,
       "--set:1:22: error: workload[0].slo.ttft: must be > 0 s, got -1 s\n"},
      {"workload-min.yaml", "workload[0].slo.tpot=50", NULL,
       "--set:1:24: error: workload[0].slo.tpot: missing unit"},
      {"workload-min.yaml", "workload[0].slo=2 s", NULL,
       "--set:1:17: error: workload[0].slo: expected a mapping, got a value\n"},
      {"workload-min.yaml", "workload[0].router=random", NULL,
       "--set:1:20: error: workload[0].router: unknown value \"random\" (expected one of: "
       "round_robin, least_work, power_of_two)\n"},
      {"workload-min.yaml", "workload[0]=chat", NULL,
       "--set:1:13: error: workload[0]: expected a mapping, got a value\n"},
      {"workload-min.yaml", "workload[1].name=x", NULL,
       "--set:1:10: error: list index 1 out of range: \"workload\" has 1 item\n"},
      {"workload.yaml", "workload[3].name=chat", NULL,
       "--set:1:18: error: workload[3].name: \"chat\" is already the name of workload[0] "
       "(expected a name of its own)\n"},
      {"workload.yaml", "workload[3].arrival.time_scale=1e20", NULL,
       "--set:1:32: error: workload[3].arrival.time_scale: stretches the trace's 4 s past the "
       "clock's range (about 146 years), got 1e+20\n"},
      {"workload.yaml", "workload[2].arrival.pieces[0].start=1 s", NULL,
       "--set:1:37: error: workload[2].arrival.pieces[0].start: must be 0 s (the first piece "
       "starts with the process), got 1 s\n"},
      {"workload.yaml", "workload[2].arrival.pieces[2].start=8 h", NULL,
       "--set:1:37: error: workload[2].arrival.pieces[2].start: must be after the previous "
       "piece's start (8 h), got 8 h\n"},
      {"workload.yaml", "workload[2].arrival.period=20 h", NULL,
       "--set:1:28: error: workload[2].arrival.period: must be longer than the last piece's "
       "start (20 h), got 20 h\n"},
      {"workload.yaml", "workload[1].input.max=127", NULL,
       "--set:1:23: error: workload[1].input.max: must be >= min (128), got 127\n"},
      /* The fleet. */
      {"workload.yaml", "serving.replicas=37", NULL,
       "--set:1:18: error: serving.replicas: must be <= 36, the replicas of tp x dp x pp = 8 "
       "GPUs that hardware[0] holds (36 x hgx-h100: 288 GPUs), got 37\n"},
      {"workload.yaml", "serving.replicas=0", NULL,
       "--set:1:18: error: serving.replicas: must be >= 1, got 0\n"},
      {"workload.yaml", "serving.max_batch_seqs=0", NULL,
       "--set:1:24: error: serving.max_batch_seqs: must be >= 1, got 0\n"},
      {"workload.yaml", "serving.max_batch_seqs=x", NULL,
       "--set:1:24: error: serving.max_batch_seqs: missing number: expected a count"},
      {"workload.yaml", "serving.profile=''", NULL,
       "--set:1:18: error: serving.profile: expected a profile file or name, got an empty "
       "string\n"},
      {"valid.yaml", "serving.replicas=129", NULL,
       "--set:1:18: error: serving.replicas: must be <= 128, the replicas of tp x dp x pp = 1 "
       "GPUs that hardware[0] holds (16 x hgx-h100: 128 GPUs), got 129\n"},
      {"workload-min.yaml", "serving.tp=64", NULL,
       "--set:1:1: error: serving: a replica needs tp x dp x pp = 64 GPUs, but hardware[0] has "
       "32 (4 x hgx-h100)\n"},
      {"workload-min.yaml", "hardware[0].count=1", "serving.pp=16",
       "--set:1:1: error: serving: a replica needs tp x dp x pp = 16 GPUs, but hardware[0] has "
       "8 (1 x hgx-h100)\n"},
      {"workload-min.yaml", "catalogs=[no-gpus-system.yaml]", "hardware[0].system=pod-x",
       "workload-min.yaml:8:1: error: serving.replicas: no default: system \"pod-x\" gives no "
       "gpus in the catalogue (expected a replicas count, or gpus in the system's entry)\n"},
      /* Files: CSV problems at their own file:line, an unreadable file at its `file:` key. */
      {"workload-min.yaml", "workload[0].input={distribution: empirical, file: hist/none.csv}",
       NULL,
       "--set:1:51: error: workload[0].input.file: cannot open \"hist/none.csv\": No such file "
       "or directory\n"},
      {"workload-min.yaml", "workload[0].input={distribution: empirical, file: hist/bad.csv}",
       NULL,
       "hist/bad.csv:2: error: hi = 1 is below lo = 64 (expected lo <= hi: a bin's tokens "
       "from lo to hi inclusive)\n"
       "hist/bad.csv:3: error: weight \"x\" is not a number (expected a number >= 0)\n"},
      {"workload-min.yaml", "workload[0].input={distribution: empirical, file: traces}", NULL,
       "--set:1:51: error: workload[0].input.file: cannot open \"traces\": Is a directory\n"},
      {"workload-min.yaml", "workload=[{name: r, arrival: {process: trace, file: traces/x.csv}}]",
       NULL,
       "--set:1:53: error: workload[0].arrival.file: cannot open \"traces/x.csv\": No such file "
       "or directory\n"},
      {"workload-min.yaml",
       "workload=[{name: r, arrival: {process: trace, file: traces/bad.csv}}]", NULL,
       "traces/bad.csv:3: error: ContextTokens \"39x\" is not a whole number (expected a "
       "whole number of tokens >= 1)\n"
       "traces/bad.csv:4: error: GeneratedTokens = 0 (expected at least 1 token)\n"
       "traces/bad.csv:5: error: TIMESTAMP 2023-11-16 18:15:40.0 is before 2023-11-16 "
       "18:15:48.0 at line 4 (expected rows in time order)\n"},
      {"workload-min.yaml",
       "workload=[{name: r, arrival: {process: trace, file: hist/input.csv}}]", NULL,
       "hist/input.csv:1: error: "}, /* the header's problem, in traffic.c's words */
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    const char *args[] = {bad[i].arg1, bad[i].arg2};
    tf_scenario s;
    char *text;
    TF_CHECK_INT(load(bad[i].file, args, bad[i].arg2 ? 2 : 1, &s, &text), TF_EPARSE);
    /* Messages that end in a unit parser's explanation are checked up to it. */
    bool prefix = bad[i].want[strlen(bad[i].want) - 1] != '\n';
    if (prefix ? strncmp(text, bad[i].want, strlen(bad[i].want)) != 0
               : strcmp(text, bad[i].want) != 0) {
      fprintf(stderr, "%s --set %s%s%s: expected\n%s\ngot\n%s", bad[i].file, bad[i].arg1,
              bad[i].arg2 ? " --set " : "", bad[i].arg2 ? bad[i].arg2 : "", bad[i].want, text);
      TF_CHECK(0);
    }
    free(text);
  }
}

/* The Julian year of the `y` unit and of models/tco.h, and the unit conversions spelt out. */
#define YEAR_S (365.25 * 86400)
#define MONTH_S (YEAR_S / 12)

/* Loads file with sets and expects it valid; false (having checked why) if it was not. */
static bool load_valid(const char *file, const char *const *sets, size_t n, tf_scenario *s) {
  char *text;
  int rc = load(file, sets, n, s, &text);
  TF_CHECK_INT(rc, 0);
  if (strcmp(text, "") != 0) {
    fprintf(stderr, "%s: expected no diagnostics, got:\n%s", file, text);
    TF_CHECK(0);
  }
  free(text);
  return rc == 0;
}

/* The owned-only fields of e all at their zero (for a rented factory). */
static void check_no_owned_fields(const tf_scenario_economics *e) {
  TF_CHECK(e->system_price_usd == 0 && e->networking_share == 0 &&
           e->networking_per_gpu_usd == 0 && e->storage_per_gpu_usd == 0);
  TF_CHECK(e->facility_usd_per_w == 0 && e->life_s == 0 && e->facility_life_s == 0);
  TF_CHECK_INT(e->method, TF_TCO_STRAIGHT_LINE);
  TF_CHECK(e->cost_of_capital == 0 && e->maintenance_per_year == 0 &&
           e->colocation_usd_per_w_s == 0);
}

/* economics-own.yaml: every owned key given, each value other than its default. */
static void economics_owned(void) {
  tf_scenario s;
  if (!load_valid("economics-own.yaml", NULL, 0, &s))
    return;
  const tf_scenario_economics *e = &s.economics;
  TF_CHECK(e->present);
  TF_CHECK(!e->rented);
  TF_CHECK(e->rental_usd_per_gpu_s == 0);
  TF_CHECK(e->system_price_usd == 3.1e6);
  TF_CHECK(e->networking_share == 0);
  TF_CHECK(e->networking_per_gpu_usd == 5000);
  TF_CHECK(e->storage_per_gpu_usd == 1200);
  TF_CHECK(e->facility_usd_per_w == 11.7);
  TF_CHECK(e->life_s == 6 * YEAR_S);
  TF_CHECK(e->facility_life_s == 20 * YEAR_S);
  TF_CHECK_INT(e->method, TF_TCO_ANNUITY);
  TF_CHECK(e->cost_of_capital == 0.08);
  TF_CHECK(e->maintenance_per_year == 0.05);
  TF_CHECK(e->colocation_usd_per_w_s == 150 / (1000 * MONTH_S));
  TF_CHECK(e->staff_software_usd_per_gpu_s == 3000 / YEAR_S);
  TF_CHECK(e->horizon_s == 5 * YEAR_S);
  TF_CHECK_INT(e->allocation, TF_ALLOC_BLENDED);
  TF_CHECK(e->has_prices);
  TF_CHECK(e->price_input_usd == 0.55 / 1e6);
  TF_CHECK(e->price_input_cached_usd == 0.14 / 1e6);
  TF_CHECK(e->price_output_usd == 2.19 / 1e6);
  /* The origin outlives the YAML tree: its file is the scenario's own path string. Compared as
   * a pointer first, so a dangling one fails here instead of being read. */
  TF_CHECK(e->origin.file == s.path);
  TF_CHECK(e->origin.file == s.path && origin_is(e->origin, "economics-own.yaml", 16, 1));
  TF_CHECK(tf_economics_bills_energy(e));
  TF_CHECK(s.site.electricity_usd_per_j == 0.08 / 3.6e6);
  tf_scenario_destroy(&s);
  TF_CHECK(!s.economics.present);
}

/* economics-min.yaml: only system_price and life, the rest defaulted; then --set reaches the
 * keys, and the annuity with its cost of capital. */
static void economics_owned_defaults(void) {
  tf_scenario s;
  if (load_valid("economics-min.yaml", NULL, 0, &s)) {
    const tf_scenario_economics *e = &s.economics;
    TF_CHECK(e->present && !e->rented);
    TF_CHECK(e->system_price_usd == 3.1e6);
    TF_CHECK(e->life_s == 6 * YEAR_S);
    TF_CHECK(e->networking_share == 0 && e->networking_per_gpu_usd == 0);
    TF_CHECK(e->storage_per_gpu_usd == 0);
    TF_CHECK(e->facility_usd_per_w == 0 && e->facility_life_s == 0);
    TF_CHECK_INT(e->method, TF_TCO_STRAIGHT_LINE);
    TF_CHECK(e->cost_of_capital == 0);
    TF_CHECK(e->maintenance_per_year == 0);
    TF_CHECK(e->colocation_usd_per_w_s == 0);
    TF_CHECK(e->staff_software_usd_per_gpu_s == 0);
    TF_CHECK(e->horizon_s == e->life_s); /* the horizon defaults to the life */
    TF_CHECK_INT(e->allocation, TF_ALLOC_GPU_TIME);
    TF_CHECK(!e->has_prices);
    TF_CHECK(e->price_input_usd == 0 && e->price_input_cached_usd == 0 &&
             e->price_output_usd == 0);
    TF_CHECK(e->rental_usd_per_gpu_s == 0);
    TF_CHECK(e->origin.file == s.path && origin_is(e->origin, "economics-min.yaml", 16, 1));
    TF_CHECK(tf_economics_bills_energy(e));
    tf_scenario_destroy(&s);
  }

  /* The cached price follows the input price; a written horizon replaces the life; a share of
   * systems capex for networking; a longer life moves the default horizon with it. */
  static const char *const more[] = {
      "economics.token_prices={input: 0.55 USD/Mtok, output: 2.19 USD/Mtok}",
      "economics.networking_share=20 %",
      "economics.horizon=3 y",
      "economics.life=5 y",
      "economics.depreciation=straight_line",
      "economics.facility_cost=9.3 USD/W",
      "economics.facility_life=25 y",
      "economics.allocation=output",
  };
  if (load_valid("economics-min.yaml", more, sizeof more / sizeof *more, &s)) {
    const tf_scenario_economics *e = &s.economics;
    TF_CHECK(e->has_prices);
    TF_CHECK(e->price_input_usd == 0.55 / 1e6);
    TF_CHECK(e->price_input_cached_usd == e->price_input_usd);
    TF_CHECK(e->price_output_usd == 2.19 / 1e6);
    TF_CHECK(e->networking_share == 0.2 && e->networking_per_gpu_usd == 0);
    TF_CHECK(e->horizon_s == 3 * YEAR_S);
    TF_CHECK(e->life_s == 5 * YEAR_S);
    TF_CHECK_INT(e->method, TF_TCO_STRAIGHT_LINE);
    TF_CHECK(e->facility_usd_per_w == 9.3 && e->facility_life_s == 25 * YEAR_S);
    TF_CHECK_INT(e->allocation, TF_ALLOC_OUTPUT);
    tf_scenario_destroy(&s);
  }
  static const char *const longer[] = {"economics.life=4 y"};
  if (load_valid("economics-min.yaml", longer, 1, &s)) {
    TF_CHECK(s.economics.horizon_s == 4 * YEAR_S);
    tf_scenario_destroy(&s);
  }

  /* The annuity needs its cost of capital; 0 % is a valid one (the annuity is then C / n). */
  static const struct {
    const char *rate;
    double want;
  } annuities[] = {{"economics.cost_of_capital=8 %", 0.08},
                   {"economics.cost_of_capital=0.1", 0.1},
                   {"economics.cost_of_capital=0 %", 0}};
  for (size_t i = 0; i < sizeof annuities / sizeof *annuities; i++) {
    const char *args[] = {"economics.depreciation=annuity", annuities[i].rate};
    if (!load_valid("economics-min.yaml", args, 2, &s))
      continue;
    TF_CHECK_INT(s.economics.method, TF_TCO_ANNUITY);
    TF_CHECK(s.economics.cost_of_capital == annuities[i].want);
    TF_CHECK(s.economics.life_s == 6 * YEAR_S && s.economics.horizon_s == 6 * YEAR_S);
    tf_scenario_destroy(&s);
  }

  /* Without the section: absent, every field zero. */
  if (load_valid("workload-min.yaml", NULL, 0, &s)) {
    const tf_scenario_economics *e = &s.economics;
    TF_CHECK(!e->present && !e->rented && !e->has_prices);
    TF_CHECK(e->system_price_usd == 0 && e->life_s == 0 && e->horizon_s == 0);
    TF_CHECK(e->origin.file == NULL && e->origin.line == 0);
    TF_CHECK(!tf_economics_bills_energy(e));
    tf_scenario_destroy(&s);
  }
}

/* economics-rent.yaml: a price per GPU-hour with power in it; no site needed. */
static void economics_rented(void) {
  tf_scenario s;
  if (load_valid("economics-rent.yaml", NULL, 0, &s)) {
    const tf_scenario_economics *e = &s.economics;
    TF_CHECK(e->present && e->rented);
    TF_CHECK(e->rental_usd_per_gpu_s == 2.0 / 3600);
    TF_CHECK(e->energy_in_price);
    TF_CHECK(e->horizon_s == YEAR_S && e->horizon_s == TF_TCO_YEAR_S);
    TF_CHECK_INT(e->allocation, TF_ALLOC_GPU_TIME);
    TF_CHECK(e->staff_software_usd_per_gpu_s == 0);
    TF_CHECK(!e->has_prices);
    check_no_owned_fields(e);
    TF_CHECK(e->origin.file == s.path && origin_is(e->origin, "economics-rent.yaml", 13, 1));
    TF_CHECK(!tf_economics_bills_energy(e));
    TF_CHECK(!s.site.present && !s.site.has_electricity_price);
    tf_scenario_destroy(&s);
  }

  /* Power billed on top needs the site's electricity price; the keys both modes share. */
  static const char *const on_top[] = {
      "economics.energy_in_price=false",
      "site={power: 1 MW, electricity_price: 60 USD/MWh}",
      "economics.gpu_hour_price=3000 USD/GPU-year",
      "economics.staff_software=2000 USD/GPU-year",
      "economics.horizon=3 y",
      "economics.allocation=output",
      "economics.token_prices={input: 0.55 USD/Mtok, input_cached: 0.14 USD/Mtok, output: 2.19 "
      "USD/Mtok}",
  };
  if (load_valid("economics-rent.yaml", on_top, sizeof on_top / sizeof *on_top, &s)) {
    const tf_scenario_economics *e = &s.economics;
    TF_CHECK(e->rented && !e->energy_in_price);
    TF_CHECK(e->rental_usd_per_gpu_s == 3000 / YEAR_S);
    TF_CHECK(e->staff_software_usd_per_gpu_s == 2000 / YEAR_S);
    TF_CHECK(e->horizon_s == 3 * YEAR_S);
    TF_CHECK_INT(e->allocation, TF_ALLOC_OUTPUT);
    TF_CHECK(e->has_prices && e->price_input_cached_usd == 0.14 / 1e6);
    check_no_owned_fields(e);
    TF_CHECK(tf_economics_bills_energy(e));
    TF_CHECK(s.site.electricity_usd_per_j == 60 / 3.6e9);
    tf_scenario_destroy(&s);
  }
  static const char *const included[] = {"economics.energy_in_price=true"};
  if (load_valid("economics-rent.yaml", included, 1, &s)) {
    TF_CHECK(s.economics.energy_in_price && !tf_economics_bills_energy(&s.economics));
    tf_scenario_destroy(&s);
  }
}

/* What economics needs of the other sections, and single mistakes; the whole output exact. The
 * golden files hold many mistakes at once. */
static void economics_errors(void) {
  static const struct {
    const char *file, *arg1, *arg2, *want;
  } bad[] = {
      {"economics-no-workload.yaml", NULL, NULL,
       "economics-no-workload.yaml:11:1: error: economics: needs a workload section: the costs "
       "are spread over the tokens it generates\n"},
      {"economics-rent.yaml", "economics.energy_in_price=false", NULL,
       "economics-rent.yaml:13:1: error: economics: energy is billed (energy_in_price: false), "
       "so site.electricity_price is needed\n"},
      {"economics-rent.yaml", "economics.energy_in_price=false", "site={power: 1 MW}",
       "economics-rent.yaml:13:1: error: economics: energy is billed (energy_in_price: false), "
       "so site.electricity_price is needed\n"},
      {"economics-rent.yaml", "economics={system_price: 3.1e6 USD, life: 6 y}", NULL,
       "economics-rent.yaml:13:1: error: economics: energy is billed (ownership \"own\"), so "
       "site.electricity_price is needed\n"},
      {"economics-min.yaml", "economics=", NULL,
       "economics-min.yaml:16:1: error: missing key \"system_price\" in economics: an owned "
       "factory needs the price of a system\n"
       "economics-min.yaml:16:1: error: missing key \"life\" in economics: an owned factory "
       "needs the depreciation life of its hardware\n"},
      {"economics-min.yaml", "economics.depreciation=annuity", NULL,
       "economics-min.yaml:17:3: error: missing key \"cost_of_capital\" in economics: "
       "depreciation \"annuity\" needs it\n"},
      {"economics-min.yaml", "economics.cost_of_capital=8 %", NULL,
       "--set:1:27: error: economics.cost_of_capital: not used unless depreciation is "
       "\"annuity\"\n"},
      {"economics-min.yaml", "economics.depreciation=straight_line",
       "economics.cost_of_capital=8 %",
       "--set:1:27: error: economics.cost_of_capital: not used unless depreciation is "
       "\"annuity\"\n"},
      {"economics-min.yaml", "economics.facility_cost=11.7 USD/W", NULL,
       "economics-min.yaml:17:3: error: missing key \"facility_life\" in economics: "
       "facility_cost needs it\n"},
      {"economics-min.yaml", "economics.facility_life=20 y", NULL,
       "--set:1:25: error: economics.facility_life: not used without facility_cost\n"},
      {"economics-min.yaml", "economics.networking_share=20 %",
       "economics.networking_per_gpu=5000 USD",
       "--set:1:30: error: economics.networking_per_gpu: give networking_share or "
       "networking_per_gpu, not both\n"},
      {"economics-min.yaml", "economics.ownership=rent", NULL,
       "economics-min.yaml:17:3: error: missing key \"gpu_hour_price\" in economics: a rented "
       "factory needs its price per GPU-hour\n"
       "economics-min.yaml:17:17: error: economics.system_price: not used with ownership "
       "\"rent\" (only with \"own\")\n"
       "economics-min.yaml:18:9: error: economics.life: not used with ownership \"rent\" "
       "(only with \"own\")\n"},
      {"economics-min.yaml", "economics.energy_in_price=false", NULL,
       "--set:1:27: error: economics.energy_in_price: not used with ownership \"own\" (only "
       "with \"rent\")\n"},
      {"economics-min.yaml", "economics.ownership=lease", NULL,
       "--set:1:21: error: economics.ownership: unknown value \"lease\" (expected one of: own, "
       "rent)\n"},
      {"economics-min.yaml", "economics.token_prices=2 USD/Mtok", NULL,
       "--set:1:24: error: economics.token_prices: expected a mapping, got a value\n"},
      {"economics-min.yaml", "economics.token_prices={input: 1 USD/Mtok}", NULL,
       "--set:1:24: error: missing required key \"output\" in economics.token_prices\n"},
      {"economics-min.yaml", "economics.token_prices={input: 1 USD/Mtok, output: 2 USD/kWh}",
       NULL,
       "--set:1:54: error: economics.token_prices.output: expected a token price such as \"2.19 "
       "USD/Mtok\", got an energy price \"2 USD/kWh\"\n"},
      {"economics-min.yaml", "economics.colocation_price=150 USD/kW", NULL,
       "--set:1:32: error: economics.colocation_price: expected a colocation price such as "
       "\"150 USD/kW-month\", got a power price \"150 USD/kW\"\n"},
      {"economics-min.yaml", "economics.staff_software=-1 USD/GPU-year", NULL,
       "--set:1:26: error: economics.staff_software: must be >= 0 USD/GPU-hour, got "},
      {"economics-min.yaml", "economics.horizon=0 s", NULL,
       "--set:1:19: error: economics.horizon: must be > 0 s, got 0 s\n"},
      {"economics-min.yaml", "economics.allocation=tokens", NULL,
       "--set:1:22: error: economics.allocation: unknown value \"tokens\" (expected one of: "
       "output, gpu_time, blended)\n"},
      {"economics-rent.yaml", "economics.energy_in_price=1", NULL,
       "--set:1:27: error: economics.energy_in_price: expected true or false, got \"1\"\n"},
      {"economics-rent.yaml", "economics.energy_in_price=[true]", NULL,
       "--set:1:27: error: economics.energy_in_price: expected true or false, got a list\n"},
      {"economics-rent.yaml", "economics.maintenance=5 %", NULL,
       "--set:1:23: error: economics.maintenance: not used with ownership \"rent\" (only with "
       "\"own\")\n"},
      /* A required key's bad value. Checked up to the first message: the loader then also
       * reports the key as missing. */
      {"economics-min.yaml", "economics.system_price=3e6", NULL,
       "--set:1:27: error: economics.system_price: missing unit"},
      {"economics-min.yaml", "economics.system_price=-3e6 USD", NULL,
       "--set:1:24: error: economics.system_price: must be > 0 USD, got -3e+06 USD"},
      {"economics-min.yaml", "economics.life=0 s", NULL,
       "--set:1:16: error: economics.life: must be > 0 s, got 0 s"},
      {"economics-rent.yaml", "economics.gpu_hour_price=2 USD/Mtok", NULL,
       "--set:1:28: error: economics.gpu_hour_price: expected a rental price such as \"2 "
       "USD/GPU-hour\", got a token price \"2 USD/Mtok\""},
      {"economics-rent.yaml", "economics.gpu_hour_price=0 USD/GPU-hour", NULL,
       "--set:1:26: error: economics.gpu_hour_price: must be > 0 USD/GPU-hour, got 0 "
       "USD/GPU-hour"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    const char *args[] = {bad[i].arg1, bad[i].arg2};
    size_t n = bad[i].arg2 ? 2 : bad[i].arg1 ? 1 : 0;
    tf_scenario s;
    char *text;
    TF_CHECK_INT(load(bad[i].file, args, n, &s, &text), TF_EPARSE);
    TF_CHECK(!s.economics.present && s.catalog == NULL);
    /* Messages that end in a unit parser's explanation are checked up to it. */
    bool prefix = bad[i].want[strlen(bad[i].want) - 1] != '\n';
    if (prefix ? strncmp(text, bad[i].want, strlen(bad[i].want)) != 0
               : strcmp(text, bad[i].want) != 0) {
      fprintf(stderr, "%s --set %s%s%s: expected\n%s\ngot\n%s", bad[i].file,
              bad[i].arg1 ? bad[i].arg1 : "", bad[i].arg2 ? " --set " : "",
              bad[i].arg2 ? bad[i].arg2 : "", bad[i].want, text);
      TF_CHECK(0);
    }
    free(text);
  }
}

/* failures.crews: a shared repair team for every class; each class alone without it; the
 * mistakes: a team below one crew, a class's own crews beside the team, a team with no class. */
static void failures_crews(void) {
  tf_scenario s;
  char *text;
  static const char *const shared[] = {"failures={crews: 3, gpu: {spares: 4}, node: {}}"};
  int rc = load("valid.yaml", shared, 1, &s, &text);
  TF_CHECK_INT(rc, 0);
  TF_CHECK_STR(text, "");
  free(text);
  if (rc == 0) {
    TF_CHECK_INT(s.failure_crews, 3);
    TF_CHECK_INT(s.n_failures, 2);
    TF_CHECK_INT(s.failures[0].repair.spares, 4);
    TF_CHECK(s.failures[0].repair.crews == TF_FAILURE_UNLIMITED); /* not read with a team */
    tf_scenario_destroy(&s);
  }
  static const char *const own[] = {"failures={gpu: {crews: 2}}"};
  rc = load("valid.yaml", own, 1, &s, &text);
  TF_CHECK_INT(rc, 0);
  free(text);
  if (rc == 0) {
    TF_CHECK_INT(s.failure_crews, 0);
    TF_CHECK_INT(s.failures[0].repair.crews, 2);
    tf_scenario_destroy(&s);
  }
  static const char *const both[] = {"failures={crews: 1, gpu: {crews: 2}, node: {crews: 0}}"};
  TF_CHECK_INT(load("valid.yaml", both, 1, &s, &text), TF_EPARSE);
  TF_CHECK_STR(text,
               "--set:1:34: error: failures.gpu.crews: a class cannot have its own crews when "
               "failures.crews sets a shared team (give one or the other)\n"
               "--set:1:52: error: failures.node.crews: must be >= 1, got 0\n"
               "--set:1:52: error: failures.node.crews: a class cannot have its own crews when "
               "failures.crews sets a shared team (give one or the other)\n");
  free(text);
  static const char *const bad[] = {"failures={crews: 0, rack: {}}"};
  TF_CHECK_INT(load("valid.yaml", bad, 1, &s, &text), TF_EPARSE);
  TF_CHECK_STR(text, "--set:1:18: error: failures.crews: must be >= 1, got 0\n");
  free(text);
  static const char *const alone[] = {"failures={crews: 2}"};
  TF_CHECK_INT(load("valid.yaml", alone, 1, &s, &text), TF_EPARSE);
  TF_CHECK_STR(text, "--set:1:18: error: failures.crews: not used without a failure class (gpu, "
                     "node, rack or link)\n");
  free(text);
}

int main(void) {
  if (chdir(TF_TEST_FIXTURES) != 0) {
    perror(TF_TEST_FIXTURES);
    return 1;
  }
  valid();
  golden();
  errors_elsewhere();
  sets();
  serving_valid();
  serving_defaults();
  serving_sets();
  workload_valid();
  workload_defaults();
  workload_sets();
  workload_set_errors();
  economics_owned();
  economics_owned_defaults();
  economics_rented();
  economics_errors();
  failures_crews();
  return tf_test_report("loader_scenario");
}
