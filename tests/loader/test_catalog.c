/* Catalogue: loading the fixture catalogue, lookup and suggestions, listing and describe, the
 * sources check, referential integrity, duplicates, and a missing folder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "error.h"
#include "tf_test.h"

#ifndef TF_TEST_FIXTURES
#error "TF_TEST_FIXTURES is defined by the build"
#endif

static char *printed(tf_diags *d) {
  char *text;
  size_t len;
  FILE *f = open_memstream(&text, &len);
  tf_diags_print(d, f);
  fclose(f);
  return text;
}

static void check_contains(const char *text, const char *want) {
  if (!strstr(text, want)) {
    fprintf(stderr, "text lacks \"%s\"; got:\n%s", want, text);
    TF_CHECK(0);
  }
}

static void fixture_catalogue(void) {
  tf_diags *d;
  tf_catalog *c;
  TF_CHECK_INT(tf_diags_create(&d), 0);
  int rc = tf_catalog_open(TF_TEST_FIXTURES, &c, d);
  TF_CHECK_INT(rc, 0);
  TF_CHECK_INT(tf_diags_count(d), 0);
  if (rc) {
    tf_diags_print(d, stderr);
    tf_diags_destroy(d);
    return;
  }
  TF_CHECK_INT(tf_catalog_count(c, TF_CATALOG_GPUS), 2);
  TF_CHECK_INT(tf_catalog_count(c, TF_CATALOG_SYSTEMS), 2);
  TF_CHECK_INT(tf_catalog_count(c, TF_CATALOG_MODELS), 2);
  TF_CHECK_STR(tf_catalog_at(c, TF_CATALOG_GPUS, 1)->name, "mi300x");
  TF_CHECK(tf_catalog_at(c, TF_CATALOG_GPUS, 2) == NULL);

  const tf_catalog_gpu *g = tf_catalog_find_gpu(c, "h100-sxm");
  TF_CHECK(g != NULL);
  TF_CHECK(g->bf16_dense_flops == 989e12 && g->has.bf16_dense);
  TF_CHECK(g->scale_out_bandwidth_bytes_per_s == 5e10);
  TF_CHECK(!g->has.fp4_dense && g->fp4_dense_flops == 0);
  TF_CHECK_INT(g->vendor, TF_CATALOG_NVIDIA);
  TF_CHECK_STR(tf_catalog_source(&g->entry, "tdp"), "fixture: NVIDIA H100 datasheet");
  TF_CHECK(tf_catalog_source(&g->entry, "fp4_dense") == NULL);
  const tf_catalog_system *s = tf_catalog_find_system(c, "mi300x-8");
  TF_CHECK(s && s->gpu_entry == tf_catalog_find_gpu(c, "mi300x") && s->gpus == 8);
  TF_CHECK(s && !s->has.power && s->entry.display_name == NULL);
  const tf_catalog_model *m = tf_catalog_find_model(c, "deepseek-v3");
  TF_CHECK(m && m->params_active == 37000000000LL && m->attention == TF_CATALOG_MLA);
  TF_CHECK(tf_catalog_find_model(c, "h100-sxm") == NULL);

  tf_catalog_kind k;
  TF_CHECK_INT(tf_catalog_kind_parse("systems", &k), 0);
  TF_CHECK_INT(k, TF_CATALOG_SYSTEMS);
  TF_CHECK_INT(tf_catalog_kind_parse("system", &k), TF_ENOTFOUND);
  TF_CHECK_STR(tf_catalog_kind_name(TF_CATALOG_MODELS), "models");

  char msg[512];
  tf_catalog_unknown(c, TF_CATALOG_SYSTEMS, "hgx-h10", msg, sizeof msg);
  TF_CHECK_STR(msg, "unknown system \"hgx-h10\"; did you mean \"hgx-h100\"? (known: hgx-h100, "
                    "mi300x-8)");
  tf_catalog_unknown(c, TF_CATALOG_GPUS, "tpu-v5", msg, sizeof msg);
  TF_CHECK_STR(msg, "unknown gpu \"tpu-v5\" (known: h100-sxm, mi300x)");

  char *out;
  size_t len;
  FILE *f = open_memstream(&out, &len);
  TF_CHECK_INT(tf_catalog_describe(c, TF_CATALOG_GPUS, "h100-sxm", f), 0);
  TF_CHECK_INT(tf_catalog_describe(c, TF_CATALOG_GPUS, "nope", f), TF_ENOTFOUND);
  tf_catalog_list(c, TF_CATALOG_SYSTEMS, f);
  fclose(f);
  check_contains(out, "gpu h100-sxm: NVIDIA H100 SXM5 80GB\n");
  check_contains(out, "  hbm_bandwidth        3.35 TB/s\n"
                      "                         source: fixture: NVIDIA H100 datasheet\n");
  check_contains(out, "  fp4_dense            absent\n");
  check_contains(out, "  vendor               nvidia\n");
  check_contains(out, "8 x h100-sxm, 10.2 kW");
  free(out);
  tf_catalog_destroy(c);
  tf_diags_destroy(d);
}

static void bad_catalogue(void) {
  tf_diags *d;
  tf_catalog *c;
  TF_CHECK_INT(tf_diags_create(&d), 0);
  TF_CHECK_INT(tf_catalog_open(TF_TEST_FIXTURES "/bad-catalog", &c, d), TF_EPARSE);
  TF_CHECK(c == NULL);
  char *text = printed(d);
  const char *dir = TF_TEST_FIXTURES "/bad-catalog/";
  char want[1024];
  static const char *const expected[] = {
      /* a source naming no field: the typo is caught, so hbm_capacity has no source */
      "gpus.yaml:4:19: error: g1.hbm_capacity: no source given",
      "gpus.yaml:7:7: error: unknown key \"hbm_capacty\" in g1.sources; did you mean "
      "\"hbm_capacity\"?",
      "gpus.yaml:8:5: error: duplicate gpu \"g1\" (first defined at line 2)",
      "gpus.yaml:12:13: error: g2.vendor: unknown value \"nvidea\"; did you mean \"nvidia\"?",
      "gpus.yaml:13:13: error: g2.tdp: missing unit: expected a power such as \"50 MW\"",
      "systems.yaml:3:10: error: s1.gpu: unknown gpu \"g3\"; did you mean \"g1\"? (known: g1, g2)",
  };
  for (size_t i = 0; i < sizeof expected / sizeof *expected; i++) {
    snprintf(want, sizeof want, "%s%s", dir, expected[i]);
    check_contains(text, want);
  }
  TF_CHECK_INT(tf_diags_error_count(d), sizeof expected / sizeof *expected);
  free(text);
  tf_diags_destroy(d);

  /* A folder without catalogue files: each missing file is reported, as a whole-file error. */
  TF_CHECK_INT(tf_diags_create(&d), 0);
  TF_CHECK_INT(tf_catalog_open(TF_TEST_FIXTURES "/no-such-dir", &c, d), TF_EPARSE);
  text = printed(d);
  check_contains(text, "/no-such-dir/gpus.yaml: error: cannot open: No such file or directory\n");
  check_contains(text, "/no-such-dir/models.yaml: error: cannot open");
  TF_CHECK_INT(tf_diags_error_count(d), 3);
  free(text);
  tf_diags_destroy(d);
}

int main(void) {
  fixture_catalogue();
  bad_catalogue();
  return tf_test_report("loader_catalog");
}
