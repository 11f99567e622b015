/* Scenario loading: SI values of a valid file, the golden list of diagnostics for a file full of
 * mistakes, --set overrides and their errors, catalogue includes and overrides, YAML errors; the
 * serving section's values, defaults, mistakes and overrides. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
  return tf_test_report("loader_scenario");
}
