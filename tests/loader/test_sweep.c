/* Sweep definitions: expansion order, counts, sets and labels of a section with every kind of
 * axis, --sweep axes and where they go, ranges (units, inclusivity, float drift), values
 * re-emitted as --set texts that the scenario loader accepts point by point, canonical texts,
 * per-run seeds, and the golden lists of mistakes in a section and in --sweep texts. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "override.h"
#include "scenario.h"
#include "sweep.h"
#include "tf_test.h"
#include "ytree.h"

#ifndef TF_TEST_FIXTURES
#error "TF_TEST_FIXTURES is defined by the build"
#endif
#ifndef TF_CATALOG_DIR
#error "TF_CATALOG_DIR is defined by the build"
#endif

/* Loads a sweep; the printed diagnostics go to *text (free it). */
static int load(const char *file, const char *const *cli, size_t n, int64_t reps, tf_sweep **s,
                char **text) {
  tf_diags *d;
  if (tf_diags_create(&d))
    abort();
  int rc = tf_sweep_load(file, cli, n, reps, s, d);
  size_t len;
  FILE *f = open_memstream(text, &len);
  tf_diags_print(d, f);
  fclose(f);
  tf_diags_destroy(d);
  return rc;
}

/* Checks point p's sets against want (n texts). */
static void check_sets(const tf_sweep *s, size_t p, const char *const *want, size_t n) {
  char **sets;
  size_t got;
  TF_CHECK_INT(tf_sweep_sets(s, p, &sets, &got), 0);
  TF_CHECK_INT(got, n);
  for (size_t i = 0; i < n && i < got; i++)
    TF_CHECK_STR(sets[i], want[i]);
  tf_sweep_sets_free(sets, got);
}

/* Loads the scenario file with point p's sets; 0 with *out filled, else prints why. */
static int load_point(const char *file, const tf_sweep *s, size_t p, tf_scenario *out) {
  char **sets;
  size_t n;
  if (tf_sweep_sets(s, p, &sets, &n))
    abort();
  tf_diags *d;
  if (tf_diags_create(&d))
    abort();
  int rc = tf_scenario_load(file, (const char *const *)sets, n, TF_CATALOG_DIR, out, d);
  if (rc) {
    fprintf(stderr, "point %zu of %s:\n", p, file);
    for (size_t i = 0; i < n; i++)
      fprintf(stderr, "  --set '%s'\n", sets[i]);
    tf_diags_print(d, stderr);
  }
  tf_diags_destroy(d);
  tf_sweep_sets_free(sets, n);
  return rc;
}

/* sweep.yaml: variants (2) x site.power (2) x arrival rate range (3) x zip (2) = 24 points. */
static void section(void) {
  tf_sweep *s;
  char *text;
  TF_CHECK_INT(load("sweep.yaml", NULL, 0, 0, &s, &text), 0);
  TF_CHECK_STR(text, "");
  free(text);
  if (!s)
    return;
  TF_CHECK_INT(tf_sweep_points(s), 24);
  TF_CHECK_INT(tf_sweep_replications(s), 2);
  TF_CHECK_INT(tf_sweep_axes(s), 6);
  const char *names[] = {"variant",    "site.power", "workload[0].arrival.rate",
                         "serving.tp", "serving.dp", "workload[0].input"};
  for (size_t a = 0; a < 6 && a < tf_sweep_axes(s); a++)
    TF_CHECK_STR(tf_sweep_axis_name(s, a), names[a]);

  /* The last dimension (the zip group) varies fastest, the variants slowest. */
  const char *first[] = {"hardware[0].count=1",
                         "serving.max_batch_seqs=64",
                         "site.power=1 MW",
                         "workload[0].arrival.rate=100 /s",
                         "serving.tp=1",
                         "serving.dp=8",
                         "workload[0].input={distribution: fixed, value: 256}"};
  check_sets(s, 0, first, 7);
  const char *second[] = {"hardware[0].count=1",
                          "serving.max_batch_seqs=64",
                          "site.power=1 MW",
                          "workload[0].arrival.rate=100 /s",
                          "serving.tp=2",
                          "serving.dp=4",
                          "workload[0].input={distribution: lognormal, mean: 1024, cv: 150 %}"};
  check_sets(s, 1, second, 7);
  const char *p2[] = {"hardware[0].count=1",
                      "serving.max_batch_seqs=64",
                      "site.power=1 MW",
                      "workload[0].arrival.rate=200 /s",
                      "serving.tp=1",
                      "serving.dp=8",
                      "workload[0].input={distribution: fixed, value: 256}"};
  check_sets(s, 2, p2, 7);
  const char *p6[] = {"hardware[0].count=1",
                      "serving.max_batch_seqs=64",
                      "site.power=2.5 MW",
                      "workload[0].arrival.rate=100 /s",
                      "serving.tp=1",
                      "serving.dp=8",
                      "workload[0].input={distribution: fixed, value: 256}"};
  check_sets(s, 6, p6, 7);
  const char *last[] = {"hardware[0].count=2",
                        "serving.max_batch_seqs=128",
                        "site.power=2.5 MW",
                        "workload[0].arrival.rate=300 /s",
                        "serving.tp=2",
                        "serving.dp=4",
                        "workload[0].input={distribution: lognormal, mean: 1024, cv: 150 %}"};
  check_sets(s, 23, last, 7);

  /* Labels: the variant's name, scalars as written, mappings in flow style. */
  TF_CHECK_STR(tf_sweep_label(s, 0, 0), "one-node");
  TF_CHECK_STR(tf_sweep_label(s, 12, 0), "two-nodes");
  TF_CHECK_STR(tf_sweep_label(s, 5, 1), "1 MW");
  TF_CHECK_STR(tf_sweep_label(s, 11, 1), "2.5 MW");
  TF_CHECK_STR(tf_sweep_label(s, 12, 1), "1 MW");
  TF_CHECK_STR(tf_sweep_label(s, 6, 1), "2.5 MW");
  TF_CHECK_STR(tf_sweep_label(s, 5, 2), "300 /s");
  TF_CHECK_STR(tf_sweep_label(s, 5, 3), "2");
  TF_CHECK_STR(tf_sweep_label(s, 4, 4), "8");
  TF_CHECK_STR(tf_sweep_label(s, 1, 5),
               "{distribution: lognormal, mean: 1024, cv: 150 %}");

  /* Every point is a scenario the loader accepts, with the values the point says. */
  for (size_t p = 0; p < tf_sweep_points(s); p++) {
    tf_scenario sc;
    if (load_point("sweep.yaml", s, p, &sc) != 0) {
      TF_CHECK(0);
      continue;
    }
    size_t variant = p / 12, power = p / 6 % 2, rate = p / 2 % 3, zip = p % 2;
    TF_CHECK_INT(sc.hardware[0].count, variant ? 2 : 1);
    TF_CHECK_INT(sc.serving.max_batch_seqs, variant ? 128 : 64);
    TF_CHECK(sc.site.power_w == (power ? 2.5e6 : 1e6));
    TF_CHECK(sc.workload[0].arrivals.rate_per_s == 100.0 * (double)(rate + 1));
    TF_CHECK_INT(sc.serving.layout.tp, zip ? 2 : 1);
    TF_CHECK_INT(sc.serving.layout.dp, zip ? 4 : 8);
    TF_CHECK_INT(sc.serving.layout.ep, 8);
    TF_CHECK_INT(sc.workload[0].input.kind, zip ? TF_LENGTH_LOGNORMAL : TF_LENGTH_FIXED);
    if (zip)
      TF_CHECK(sc.workload[0].input.mean == 1024 && sc.workload[0].input.cv == 1.5);
    else
      TF_CHECK_INT(sc.workload[0].input.value, 256);
    tf_scenario_destroy(&sc);
  }
  tf_sweep_free(s);

  /* The scenario loader accepts the section and ignores it. */
  tf_scenario sc;
  tf_diags *d;
  if (tf_diags_create(&d))
    abort();
  TF_CHECK_INT(tf_scenario_load("sweep.yaml", NULL, 0, TF_CATALOG_DIR, &sc, d), 0);
  TF_CHECK_INT(tf_diags_count(d), 0);
  tf_scenario_destroy(&sc);
  tf_diags_destroy(d);
}

/* --sweep axes go after the file's grid and range axes and before its zip group; replications
 * from the command line replace the file's. */
static void command_line(void) {
  const char *cli[] = {"serving.max_batch_tokens=4096, 8192"};
  tf_sweep *s;
  char *text;
  TF_CHECK_INT(load("sweep.yaml", cli, 1, 5, &s, &text), 0);
  TF_CHECK_STR(text, "");
  free(text);
  if (!s)
    return;
  TF_CHECK_INT(tf_sweep_points(s), 48);
  TF_CHECK_INT(tf_sweep_replications(s), 5);
  TF_CHECK_INT(tf_sweep_axes(s), 7);
  TF_CHECK_STR(tf_sweep_axis_name(s, 3), "serving.max_batch_tokens");
  const char *p3[] = {"hardware[0].count=1",
                      "serving.max_batch_seqs=64",
                      "site.power=1 MW",
                      "workload[0].arrival.rate=100 /s",
                      "serving.max_batch_tokens=8192",
                      "serving.tp=2",
                      "serving.dp=4",
                      "workload[0].input={distribution: lognormal, mean: 1024, cv: 150 %}"};
  check_sets(s, 3, p3, 8);
  TF_CHECK_STR(tf_sweep_label(s, 3, 3), "8192");
  tf_sweep_free(s);

  /* Only command-line axes; values that are mappings, lists and strings needing quotes. */
  const char *axes[] = {
      "workload[1].arrival={process: piecewise, pieces: [{start: 0 s, rate: 5 /s}, "
      "{start: 30 s, rate: 20 /s}], period: 1 min},{process: gamma, rate: 5 /s, cv: 2}",
      "workload[0].name=\"chat: fast\", 'chat #2',plain",
  };
  TF_CHECK_INT(load("sweep-base.yaml", axes, 2, 0, &s, &text), 0);
  TF_CHECK_STR(text, "");
  free(text);
  if (!s)
    return;
  TF_CHECK_INT(tf_sweep_points(s), 6);
  TF_CHECK_INT(tf_sweep_replications(s), 1);
  const char *q0[] = {"workload[1].arrival={process: piecewise, pieces: [{start: 0 s, rate: 5 "
                      "/s}, {start: 30 s, rate: 20 /s}], period: 1 min}",
                      "workload[0].name=\"chat: fast\""};
  check_sets(s, 0, q0, 2);
  const char *q4[] = {"workload[1].arrival={process: gamma, rate: 5 /s, cv: 2}",
                      "workload[0].name=\"chat #2\""};
  check_sets(s, 4, q4, 2);
  TF_CHECK_STR(tf_sweep_label(s, 0, 1), "chat: fast");
  TF_CHECK_STR(tf_sweep_label(s, 5, 1), "plain");
  const char *names[] = {"chat: fast", "chat #2", "plain"};
  for (size_t p = 0; p < tf_sweep_points(s); p++) {
    tf_scenario sc;
    if (load_point("sweep-base.yaml", s, p, &sc) != 0) {
      TF_CHECK(0);
      continue;
    }
    TF_CHECK_STR(sc.workload[0].name, names[p % 3]);
    if (p < 3) {
      TF_CHECK_INT(sc.workload[1].arrivals.kind, TF_TRAFFIC_PIECEWISE);
      TF_CHECK_INT(sc.workload[1].arrivals.pieces, 2);
      TF_CHECK(sc.workload[1].arrivals.piece_rate_per_s[1] == 20);
      TF_CHECK_INT(sc.workload[1].arrivals.period_ns, 60000000000LL);
    } else {
      TF_CHECK_INT(sc.workload[1].arrivals.kind, TF_TRAFFIC_GAMMA);
      TF_CHECK(sc.workload[1].arrivals.cv == 2);
    }
    tf_scenario_destroy(&sc);
  }
  tf_sweep_free(s);

  /* A whole list as a value: commas inside [...] do not split; a range of percentages. */
  const char *lists[] = {"workload[1].arrival.pieces=[{start: 0 s, rate: 9 /s}],"
                         "[{start: 0 s, rate: 1 /s}, {start: 10 s, rate: 3 /s}]",
                         "serving.memory_utilisation=80 %..90 % step 5 %"};
  TF_CHECK_INT(load("sweep-base.yaml", lists, 2, 0, &s, &text), 0);
  TF_CHECK_STR(text, "");
  free(text);
  if (!s)
    return;
  TF_CHECK_INT(tf_sweep_points(s), 6);
  const char *r0[] = {"workload[1].arrival.pieces=[{start: 0 s, rate: 9 /s}]",
                      "serving.memory_utilisation=80 %"};
  check_sets(s, 0, r0, 2);
  const char *r5[] = {
      "workload[1].arrival.pieces=[{start: 0 s, rate: 1 /s}, {start: 10 s, rate: 3 /s}]",
      "serving.memory_utilisation=90 %"};
  check_sets(s, 5, r5, 2);
  for (size_t p = 0; p < tf_sweep_points(s); p++) {
    tf_scenario sc;
    if (load_point("sweep-base.yaml", s, p, &sc) != 0) {
      TF_CHECK(0);
      continue;
    }
    TF_CHECK_INT(sc.workload[1].arrivals.pieces, p < 3 ? 1 : 2);
    TF_CHECK_NEAR(sc.serving.memory_utilisation, 0.8 + 0.05 * (double)(p % 3), 1e-12);
    tf_scenario_destroy(&sc);
  }
  tf_sweep_free(s);
}

/* Equal as YAML values: same shape, same texts; nulls equal whatever their spelling. */
static bool same_yaml(const tf_ytree_node *a, const tf_ytree_node *b) {
  if (!a || !b || a->kind != b->kind || a->n != b->n)
    return false;
  if (a->kind == TF_YTREE_SCALAR)
    return tf_ytree_is_null(a) == tf_ytree_is_null(b) &&
           (tf_ytree_is_null(a) || (a->len == b->len && memcmp(a->text, b->text, a->len) == 0));
  for (size_t i = 0; i < a->n; i++)
    if ((a->kind == TF_YTREE_MAPPING && !same_yaml(a->keys[i], b->keys[i])) ||
        !same_yaml(a->items[i], b->items[i]))
      return false;
  return true;
}

/* Point p's one set applied by the --set parser gives back values[p]. */
static void check_round_trip(const tf_sweep *s, const tf_ytree_node *values) {
  TF_CHECK_INT(tf_sweep_points(s), values->n);
  for (size_t p = 0; p < tf_sweep_points(s) && p < values->n; p++) {
    char **sets;
    size_t n;
    TF_CHECK_INT(tf_sweep_sets(s, p, &sets, &n), 0);
    TF_CHECK_INT(n, 1);
    tf_diags *d;
    if (tf_diags_create(&d))
      abort();
    tf_ytree_node *root = NULL;
    TF_CHECK_INT(tf_override_apply(&root, sets[0], d), 0);
    TF_CHECK_INT(tf_diags_count(d), 0);
    if (!same_yaml(tf_ytree_get(root, "v"), values->items[p])) {
      fprintf(stderr, "value %zu does not read back the same from --set '%s'\n", p, sets[0]);
      TF_CHECK(0);
    }
    tf_diags_print(d, stderr);
    tf_diags_destroy(d);
    tf_ytree_free(root);
    tf_sweep_sets_free(sets, n);
  }
}

/* Scalars that need quotes, nulls, escapes, lists and mappings nested: each value written back as
 * --set text reads back as the same YAML; so do --sweep items with commas inside quotes. */
static void round_trip(void) {
  char *file;
  size_t len;
  TF_CHECK_INT(tf_ytree_read_file("sweep-values.yaml", &file, &len), 0);
  tf_diags *d;
  if (tf_diags_create(&d))
    abort();
  tf_ytree_node *tree;
  TF_CHECK_INT(tf_ytree_parse(file, len, "sweep-values.yaml", 0, &tree, d), 0);
  tf_diags_destroy(d);
  const tf_ytree_node *grid = tf_ytree_get(tf_ytree_get(tree, "sweep"), "grid");
  const tf_ytree_node *values = tf_ytree_get(grid, "v");
  TF_CHECK(values && values->kind == TF_YTREE_SEQUENCE && values->n == 37);
  tf_sweep *s;
  char *text;
  TF_CHECK_INT(load("sweep-values.yaml", NULL, 0, 0, &s, &text), 0);
  TF_CHECK_STR(text, "");
  free(text);
  if (s && values) {
    check_round_trip(s, values);
    TF_CHECK_STR(tf_sweep_label(s, 0, 0), "plain text");
    TF_CHECK_STR(tf_sweep_label(s, 6, 0), "a: b");
    TF_CHECK_STR(tf_sweep_label(s, 3, 0), "~");
    TF_CHECK_STR(tf_sweep_label(s, 34, 0), "multi line plain");
    TF_CHECK_STR(tf_sweep_label(s, 35, 0), "[a, \"b, c\", {k: \"v: w\"}, [], {}]");
    char **sets;
    size_t n;
    TF_CHECK_INT(tf_sweep_sets(s, 36, &sets, &n), 0);
    TF_CHECK_STR(sets[0], "v={\"key: colon\": 1, \"x[0]\": [1, 2], nested: {deep: \"~\"}, "
                          "empty: ~}");
    tf_sweep_sets_free(sets, n);
    TF_CHECK_INT(tf_sweep_sets(s, 11, &sets, &n), 0);
    TF_CHECK_STR(sets[0], "v=\"back\\\\slash \\\"q\\\"\"");
    tf_sweep_sets_free(sets, n);
  }
  tf_sweep_free(s);
  tf_ytree_free(tree);
  free(file);

  const char *cli[] = {"v=\"comma, here\", 'it''s, ok',[1, \"x,y\"], {a: [1, 2]} ,plain"};
  d = NULL;
  if (tf_diags_create(&d))
    abort();
  const char *want = "- comma, here\n- it's, ok\n- [1, \"x,y\"]\n- {a: [1, 2]}\n- plain\n";
  TF_CHECK_INT(tf_ytree_parse(want, strlen(want), "want", 0, &tree, d), 0);
  tf_diags_destroy(d);
  TF_CHECK_INT(load(NULL, cli, 1, 0, &s, &text), 0);
  TF_CHECK_STR(text, "");
  free(text);
  if (s && tree)
    check_round_trip(s, tree);
  tf_sweep_free(s);
  tf_ytree_free(tree);
}

/* The values of one --sweep range axis (on a file without a sweep section). */
static void check_range(const char *arg, const char *const *want, size_t n) {
  tf_sweep *s;
  char *text;
  int rc = load("sweep-base.yaml", &arg, 1, 0, &s, &text);
  TF_CHECK_INT(rc, 0);
  if (rc)
    fprintf(stderr, "--sweep '%s':\n%s", arg, text);
  free(text);
  if (!s)
    return;
  TF_CHECK_INT(tf_sweep_points(s), n);
  for (size_t p = 0; p < n && p < tf_sweep_points(s); p++) {
    TF_CHECK_STR(tf_sweep_label(s, p, 0), want[p]);
    char **sets;
    size_t k;
    TF_CHECK_INT(tf_sweep_sets(s, p, &sets, &k), 0);
    TF_CHECK_INT(k, 1);
    char expected[200];
    snprintf(expected, sizeof expected, "x=%s", want[p]);
    if (k == 1)
      TF_CHECK_STR(sets[0], expected);
    tf_sweep_sets_free(sets, k);
  }
  tf_sweep_free(s);
}

static void ranges(void) {
  /* float drift: 0.1 + 2 x 0.1 is 0.30000000000000004, yet B is in and printed as written */
  const char *drift[] = {"0.1", "0.2", "0.3"};
  check_range("x=0.1..0.3 step 0.1", drift, 3);
  const char *mw[] = {"1 MW", "1.5 MW", "2 MW", "2.5 MW", "3 MW"};
  check_range("x=1 MW..3 MW step 0.5 MW", mw, 5);
  const char *counts[] = {"8", "16", "24", "32", "40", "48", "56", "64"};
  check_range("x=8..64 step 8", counts, 8);
  /* B off the grid is left out */
  const char *off[] = {"1", "1.3", "1.6", "1.9"};
  check_range("x=1..2 step 0.3", off, 4);
  const char *tenths[] = {"0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1"};
  check_range("x=0..1 step 0.1", tenths, 11);
  /* through zero: no "5.55e-17" */
  const char *signed_[] = {"-0.3", "-0.2", "-0.1", "0", "0.1", "0.2", "0.3"};
  check_range("x=-0.3..0.3 step 0.1", signed_, 7);
  const char *single[] = {"5 /s"};
  check_range("x=5 /s..5 /s step 1 /s", single, 1);
  const char *rates[] = {"100 /s", "200 /s", "300 /s", "400 /s"};
  check_range("x=100 /s .. 400 /s  step  100 /s", rates, 4);
  check_range("x=100/s..400/s step 100/s", (const char *const[]){"100 /s", "200 /s", "300 /s",
                                                                 "400 /s"},
              4);
  /* mixed units of one kind: values in the start's unit */
  const char *kw[] = {"500 kW", "1000 kW", "1500 kW", "2000 kW"};
  check_range("x=500 kW..2 MW step 500 kW", kw, 4);
  const char *hours[] = {"1 h", "1.5 h", "2 h", "2.5 h", "3 h"};
  check_range("x=1 h..3 h step 30 min", hours, 5);
  /* the double path (mixed units): (0.3 - 0.1) / 0.1 is 1.9999999999999998, still 3 values */
  const char *mixed[] = {"0.1 MW", "0.2 MW", "0.3 MW"};
  check_range("x=0.1 MW..300 kW step 100 kW", mixed, 3);
  /* exponents */
  const char *big[] = {"1000000", "2000000", "3000000"};
  check_range("x=1e6..3e6 step 1e6", big, 3);
  const char *small[] = {"0.00001", "0.00002"};
  check_range("x=1e-5..2e-5 step 1e-5", small, 2);
  const char *pct[] = {"10 %", "12.5 %", "15 %"};
  check_range("x=10 %..15 % step 2.5 %", pct, 3);
  /* the largest range allowed */
  tf_sweep *s;
  char *text;
  const char *max[] = {"x=1..1000000 step 1"};
  TF_CHECK_INT(load("sweep-base.yaml", max, 1, 0, &s, &text), 0);
  free(text);
  if (s) {
    TF_CHECK_INT(tf_sweep_points(s), 1000000);
    TF_CHECK_STR(tf_sweep_label(s, 999999, 0), "1000000");
    TF_CHECK_STR(tf_sweep_label(s, 499999, 0), "500000");
    tf_sweep_free(s);
  }
}

/* No axes: one point with no sets; a missing file. */
static void empty(void) {
  tf_sweep *s;
  char *text;
  TF_CHECK_INT(load("sweep-base.yaml", NULL, 0, 0, &s, &text), 0);
  TF_CHECK_STR(text, "");
  free(text);
  if (s) {
    TF_CHECK_INT(tf_sweep_points(s), 1);
    TF_CHECK_INT(tf_sweep_replications(s), 1);
    TF_CHECK_INT(tf_sweep_axes(s), 0);
    char **sets = (char **)1;
    size_t n = 9;
    TF_CHECK_INT(tf_sweep_sets(s, 0, &sets, &n), 0);
    TF_CHECK(sets == NULL && n == 0);
    TF_CHECK_STR(tf_sweep_canonical(s), "tokenfab sweep 1\npoints 1\nreplications 1\n");
    tf_sweep_free(s);
  }
  TF_CHECK_INT(load(NULL, NULL, 0, 4, &s, &text), 0);
  free(text);
  if (s) {
    TF_CHECK_INT(tf_sweep_points(s), 1);
    TF_CHECK_INT(tf_sweep_replications(s), 4);
    tf_sweep_free(s);
  }
  TF_CHECK_INT(load("no-such-file.yaml", NULL, 0, 0, &s, &text), TF_EIO);
  TF_CHECK(s == NULL);
  TF_CHECK(strncmp(text, "no-such-file.yaml: error: cannot open: ", 39) == 0);
  free(text);
  tf_sweep_free(NULL);
}

static char *canonical(const char *file, const char *const *cli, size_t n, int64_t reps) {
  tf_sweep *s;
  char *text;
  int rc = load(file, cli, n, reps, &s, &text);
  TF_CHECK_INT(rc, 0);
  if (rc)
    fprintf(stderr, "%s", text);
  free(text);
  if (!s)
    return NULL;
  const char *c = tf_sweep_canonical(s);
  char *copy = malloc(strlen(c) + 1);
  strcpy(copy, c);
  tf_sweep_free(s);
  return copy;
}

static void check_same(char *a, char *b, bool same) {
  TF_CHECK(a && b && (strcmp(a, b) == 0) == same);
  free(a);
  free(b);
}

static void canonical_text(void) {
  char *c = canonical("sweep.yaml", NULL, 0, 0);
  const char *want =
      "tokenfab sweep 1\n"
      "points 24\n"
      "replications 2\n"
      "dimension 1: 2 values\n"
      "  variant one-node\n"
      "    set hardware[0].count=1\n"
      "    set serving.max_batch_seqs=64\n"
      "  variant two-nodes\n"
      "    set hardware[0].count=2\n"
      "    set serving.max_batch_seqs=128\n"
      "dimension 2: 2 values\n"
      "  axis site.power\n"
      "    value 1 MW\n"
      "    value 2.5 MW\n"
      "dimension 3: 3 values\n"
      "  axis workload[0].arrival.rate\n"
      "    value 100 /s\n"
      "    value 200 /s\n"
      "    value 300 /s\n"
      "dimension 4: 2 values\n"
      "  axis serving.tp\n"
      "    value 1\n"
      "    value 2\n"
      "  axis serving.dp\n"
      "    value 8\n"
      "    value 4\n"
      "  axis workload[0].input\n"
      "    value {distribution: fixed, value: 256}\n"
      "    value {distribution: lognormal, mean: 1024, cv: 150 %}\n";
  TF_CHECK_STR(c, want);
  check_same(c, canonical("sweep.yaml", NULL, 0, 0), true);
  check_same(canonical("sweep.yaml", NULL, 0, 2), canonical("sweep.yaml", NULL, 0, 0), true);
  check_same(canonical("sweep.yaml", NULL, 0, 3), canonical("sweep.yaml", NULL, 0, 0), false);
  /* a range is the list of its values */
  const char *list[] = {"serving.tp=1,2,4"}, *range[] = {"serving.tp=1..4 step 1"},
             *fewer[] = {"serving.tp=1,2"}, *other[] = {"serving.dp=1,2,4"},
             *range2[] = {"serving.tp=1..3 step 1"}, *two[] = {"serving.tp=1,2", "serving.dp=1"},
             *two_swapped[] = {"serving.dp=1", "serving.tp=1,2"};
  const char *range3[] = {"serving.tp=1..3 step 1"}, *list3[] = {"serving.tp=1, 2,3"};
  check_same(canonical("sweep-base.yaml", range3, 1, 0), canonical("sweep-base.yaml", list3, 1, 0),
             true);
  check_same(canonical("sweep-base.yaml", list, 1, 0), canonical("sweep-base.yaml", range, 1, 0),
             false);
  check_same(canonical("sweep-base.yaml", list, 1, 0), canonical("sweep-base.yaml", fewer, 1, 0),
             false);
  check_same(canonical("sweep-base.yaml", list, 1, 0), canonical("sweep-base.yaml", other, 1, 0),
             false);
  check_same(canonical("sweep-base.yaml", range2, 1, 0),
             canonical("sweep-base.yaml", fewer, 1, 0), false);
  /* the order of axes is the order of points: a different sweep */
  check_same(canonical("sweep-base.yaml", two, 2, 0),
             canonical("sweep-base.yaml", two_swapped, 2, 0), false);
  const char *tokens[] = {"serving.max_batch_tokens=4096"};
  check_same(canonical("sweep.yaml", tokens, 1, 0), canonical("sweep.yaml", NULL, 0, 0), false);
}

/* splitmix64's output function, written out again from its published constants. */
static uint64_t mix(uint64_t z) {
  z += 0x9E3779B97F4A7C15u;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void seeds(void) {
  /* Known answer: splitmix64 seeded with 0 first returns 0xE220A8397B1DCDAF (Vigna,
   * splitmix64.c; the value every port checks). */
  TF_CHECK(mix(0) == 0xE220A8397B1DCDAFu);
  TF_CHECK(tf_sweep_seed(42, 3, 1) == mix(mix(mix(42) ^ 3) ^ 1));
  TF_CHECK(tf_sweep_seed(42, 3, 1) == tf_sweep_seed(42, 3, 1));
  enum { P = 80, R = 50 };
  static uint64_t all[P * R];
  size_t n = 0;
  for (uint64_t p = 0; p < P; p++)
    for (uint64_t r = 0; r < R; r++) {
      all[n++] = tf_sweep_seed(7, p, r);
      TF_CHECK(tf_sweep_seed(7, p, r) != tf_sweep_seed(8, p, r));
    }
  qsort(all, n, sizeof all[0], cmp_u64);
  size_t dup = 0;
  for (size_t i = 1; i < n; i++)
    dup += all[i] == all[i - 1];
  TF_CHECK_INT(dup, 0);
  TF_CHECK(tf_sweep_seed(0, 0, 0) != 0);
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

/* Every mistake in sweep-bad.yaml, exactly as ../sweep-bad.expected holds them. To accept a
 * change, run with TF_UPDATE_GOLDEN=1 and review the diff of tests/loader/sweep-bad.expected. */
static void golden(void) {
  tf_sweep *s;
  char *text;
  TF_CHECK_INT(load("sweep-bad.yaml", NULL, 0, 0, &s, &text), TF_EPARSE);
  TF_CHECK(s == NULL);
  const char *expected_path = "../sweep-bad.expected";
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
    fprintf(stderr, "golden mismatch for sweep-bad.yaml.\n--- expected\n%s--- got\n%s", expected,
            text);
    TF_CHECK(0);
  }
  free(expected);
  free(text);
}

/* Bad --sweep texts (and --replications), each with its whole diagnostic output. */
static void bad_cli(void) {
  static const struct {
    const char *args[2];
    int64_t reps;
    const char *want;
  } bad[] = {
      {{"serving.tp"}, 0,
       "--sweep:1:1: error: expected PATH=V1,V2,... or PATH=START..END step STEP, as in "
       "serving.tp=1,2,4; got \"serving.tp\"\n"},
      {{"serving.tp="}, 0, "--sweep:1:12: error: serving.tp: no values after \"=\"\n"},
      {{"=1,2"}, 0,
       "--sweep:1:1: error: \"\" is not a path such as serving.tp or hardware[0].count\n"},
      {{"serving tp=1"}, 0,
       "--sweep:1:1: error: \"serving tp\" is not a path such as serving.tp or "
       "hardware[0].count\n"},
      {{"hardware[x].count=1"}, 0,
       "--sweep:1:1: error: \"hardware[x].count\" is not a path such as serving.tp or "
       "hardware[0].count\n"},
      {{"serving.tp=1,,4"}, 0, "--sweep:1:14: error: serving.tp: empty value 2 in the list\n"},
      {{"serving.tp=1, 2,"}, 0, "--sweep:1:17: error: serving.tp: empty value 3 in the list\n"},
      {{"serving.tp=1,{a: 1"}, 0,
       "--sweep:1:19: error: syntax error: did not find expected ',' or '}' (while parsing a "
       "flow mapping at line 1, column 14)\n"},
      {{"x=1 MW..3 GB step 1 MW"}, 0,
       "--sweep:1:11: error: x: the end \"3 GB\" is a size, but the start \"1 MW\" is a power: a "
       "range's start, end and step need units of one kind\n"},
      {{"x=1 MW..3 step 1 MW"}, 0,
       "--sweep:1:9: error: x: the end \"3\" has no unit, but the start \"1 MW\" is a power\n"},
      {{"x=1..3 step 1 MW"}, 0,
       "--sweep:1:15: error: x: the step \"1 MW\" has a unit, but the start \"1\" is a plain "
       "number\n"},
      {{"x=1 XW..3 XW step 1 XW"}, 0,
       "--sweep:1:5: error: x: unknown unit \"XW\" in the start\n"
       "--sweep:1:11: error: x: unknown unit \"XW\" in the end\n"
       "--sweep:1:21: error: x: unknown unit \"XW\" in the step\n"},
      {{"x=3..1 step 1"}, 0, "--sweep:1:6: error: x: the end \"1\" is below the start \"3\"\n"},
      {{"x=1..3 step 0"}, 0, "--sweep:1:13: error: x: the step must be > 0, got \"0\"\n"},
      {{"x=1..3 step -1"}, 0, "--sweep:1:13: error: x: the step must be > 0, got \"-1\"\n"},
      {{"x=0..1 step 1e-7"}, 0,
       "--sweep:1:13: error: x: the range has 10000001 values; a sweep has at most 1000000 "
       "points\n"},
      {{"x=a..b step 1"}, 0,
       "--sweep:1:3: error: x: the start \"a\" is not a number\n"
       "--sweep:1:6: error: x: the end \"b\" is not a number\n"},
      {{"x=..3 step 1"}, 0,
       "--sweep:1:3: error: x: missing start: expected a range such as \"1 MW..3 MW step 0.5 "
       "MW\"\n"},
      {{"x=1..3 step"}, 0,
       "--sweep:1:12: error: x: missing step: expected a range such as \"1 MW..3 MW step 0.5 "
       "MW\"\n"},
      {{"x=1..8"}, 0,
       "--sweep:1:3: error: x: a range needs a step: START..END step STEP, as in \"1..8 step "
       "1\"; got \"1..8\"\n"},
      {{"x=1 MW..3 MW"}, 0,
       "--sweep:1:3: error: x: a range needs a step: START..END step STEP, as in \"1..8 step "
       "1\"; got \"1 MW..3 MW\"\n"},
      {{"x=1 MW 2..3 MW step 1 MW"}, 0,
       "--sweep:1:8: error: x: unexpected text \"2\" after the start \"1 MW\"\n"},
      {{"serving.tp=1,2", "serving.tp=4"}, 0,
       "--sweep:1:1: error: \"serving.tp\" is swept twice: also at --sweep argument 1\n"},
      {{"hardware[0].count=1,2", "hardware.0.count=4"}, 0,
       "--sweep:1:1: error: \"hardware.0.count\" is swept twice: also at --sweep argument 1\n"},
      {{"x=1..1000 step 1", "y=1..1001 step 1"}, 0,
       "--sweep:1:1: error: the sweep has more than 1000000 points with this axis's 1001 values "
       "(1000 before it)\n"},
      {{"x=1"}, -1, "--replications: error: expected a count from 1 to 1000000, got -1\n"},
      {{"x=1"}, 1000001,
       "--replications: error: expected a count from 1 to 1000000, got 1000001\n"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    size_t n = bad[i].args[1] ? 2 : 1;
    tf_sweep *s;
    char *text;
    TF_CHECK_INT(load("sweep-base.yaml", bad[i].args, n, bad[i].reps, &s, &text), TF_EPARSE);
    TF_CHECK(s == NULL);
    if (strcmp(text, bad[i].want) != 0) {
      fprintf(stderr, "--sweep '%s': expected\n%sgot\n%s", bad[i].args[0], bad[i].want, text);
      TF_CHECK(0);
    }
    free(text);
  }
  /* Command-line mistakes next to the file's: a PATH the file's variants already set. */
  const char *dup[] = {"serving.max_batch_seqs=1,2"};
  tf_sweep *s;
  char *text;
  TF_CHECK_INT(load("sweep.yaml", dup, 1, 0, &s, &text), TF_EPARSE);
  TF_CHECK_STR(text, "--sweep:1:1: error: \"serving.max_batch_seqs\" is swept twice: variant "
                     "\"one-node\" sets it too (at sweep.yaml:24:37)\n");
  free(text);
}

int main(void) {
  if (chdir(TF_TEST_FIXTURES) != 0) {
    perror(TF_TEST_FIXTURES);
    return 1;
  }
  section();
  command_line();
  round_trip();
  ranges();
  empty();
  canonical_text();
  seeds();
  golden();
  bad_cli();
  return tf_test_report("loader_sweep");
}
