/* Profiles as files: a fit written as SQLite and CSV reads back into the same values, the files
 * are replaced whole and leave nothing behind, the same fit gives the same bytes, and bad profile
 * files are refused with file:line sentences. */
#include <dirent.h>
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "diag.h"
#include "error.h"
#include "fit.h"
#include "measurements.h"
#include "profile_io.h"
#include "tf_test.h"

#ifndef TF_CALIB_FIXTURES
#error "TF_CALIB_FIXTURES is defined by the build"
#endif
#ifndef TF_CATALOG_DIR
#error "TF_CATALOG_DIR is defined by the build"
#endif

static char tmp[] = "/tmp/tf_calib_profile_XXXXXX";

static void path_in(char *buf, size_t size, const char *name) {
  snprintf(buf, size, "%s/%s", tmp, name);
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = malloc(1 << 20);
  *len = buf ? fread(buf, 1, 1 << 20, f) : 0;
  fclose(f);
  return buf;
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  TF_CHECK(f != NULL);
  if (f) {
    fputs(text, f);
    fclose(f);
  }
}

/* Every parameter of p equals f's, bit for bit, and the models' profiles carry them. */
static void check_equal(const tf_profile *p, const tf_fit *f) {
  for (int i = 0; i < TF_FIT_N_PARAMS; i++) {
    const tf_fit_param *a = &p->param[i], *b = &f->param[i];
    TF_CHECK_INT(a->present, b->present);
    if (!b->present)
      continue;
    TF_CHECK(memcmp(&a->value, &b->value, sizeof(double)) == 0);
    TF_CHECK((isnan(a->std_error) && isnan(b->std_error)) || a->std_error == b->std_error);
    TF_CHECK_STR(a->source, b->source);
    TF_CHECK_INT(a->fitted, b->fitted);
  }
  TF_CHECK(p->gpu.gemm_eff == f->param[TF_FIT_GEMM_EFF].value);
  TF_CHECK(p->gpu.hbm_eff == f->param[TF_FIT_HBM_EFF].value);
  TF_CHECK(p->power.activity_compute == f->param[TF_FIT_ACTIVITY_COMPUTE].value);
  TF_CHECK(p->power.activity_hbm == f->param[TF_FIT_ACTIVITY_HBM].value);
  TF_CHECK(p->power.clock_exponent == f->param[TF_FIT_CLOCK_EXPONENT].value);
  /* What was not fitted keeps its documented default, and says so. */
  TF_CHECK(p->gpu.attn_eff == tf_gpu_profile_default()->attn_eff);
  TF_CHECK(p->gpu.step_overhead_s == tf_gpu_profile_default()->step_overhead_s);
  TF_CHECK(p->power.min_clock == tf_power_profile_default()->min_clock);
  TF_CHECK(strstr(p->gpu.source, "gemm_eff: fit of 72 gemm rows, rms 1.7%\n") == p->gpu.source);
  TF_CHECK(strstr(p->gpu.source, "\nattn_eff: default (docs/PERF_MODEL.md); not measured yet\n"));
  TF_CHECK(strstr(p->power.source, "clock_exponent: log-log fit of 10 rows of 2 compute-bound GEMMs"));
  TF_CHECK(strstr(p->power.source, "min_clock: default (docs/POWER.md); not measured yet"));
  TF_CHECK(p->gpu.name == p->name && p->power.name == p->name);
  TF_CHECK_INT(tf_gpu_profile_check(&p->gpu), 0);
  TF_CHECK_INT(tf_power_profile_check(&p->power), 0);
}

static sqlite3_int64 count(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  sqlite3_int64 n = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

/* Nothing but the named files in the folder: no temporary file left behind. */
static size_t hidden_files(void) {
  DIR *d = opendir(tmp);
  size_t n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)))
    n += e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
  if (d)
    closedir(d);
  return n;
}

static void test_round_trip(const tf_catalog_gpu *h100) {
  tf_meas *m = NULL;
  TF_CHECK_INT(tf_meas_load(TF_CALIB_FIXTURES "/h100", &m, NULL, NULL), 0);
  if (!m)
    return;
  tf_fit f;
  TF_CHECK_INT(tf_fit_run(m, h100, &f), 0);

  char db[600], csv[600], fits[600];
  path_in(db, sizeof db, "h100.db");
  path_in(csv, sizeof csv, "profile.csv");
  path_in(fits, sizeof fits, "fits.csv");
  write_file(db, "an old file the profile replaces whole");
  TF_CHECK_INT(tf_profile_write_db(db, m, &f), 0);
  TF_CHECK_INT(tf_profile_write_csv(tmp, &f), 0);
  TF_CHECK_INT(hidden_files(), 0);

  tf_profile p;
  TF_CHECK_INT(tf_profile_read(db, &p), 0);
  check_equal(&p, &f);
  char want[700];
  snprintf(want, sizeof want, "fitted for h100-sxm from NVIDIA H100 80GB HBM3 (%s)", db);
  TF_CHECK_STR(p.name, want);
  TF_CHECK_STR(p.catalog_gpu, f.gpu); /* the database says which GPU; profile.csv does not */
  tf_profile_fini(&p);
  TF_CHECK_INT(tf_profile_read(csv, &p), 0);
  check_equal(&p, &f);
  snprintf(want, sizeof want, "profile %s", csv);
  TF_CHECK_STR(p.name, want);
  TF_CHECK_STR(p.catalog_gpu, "");
  tf_profile_fini(&p);

  /* The database's tables: every raw row, every present parameter, every curve. */
  sqlite3 *h = NULL;
  TF_CHECK_INT(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  TF_CHECK_INT(count(h, "PRAGMA application_id"), TF_PROFILE_APPLICATION_ID);
  TF_CHECK_INT(count(h, "PRAGMA user_version"), TF_PROFILE_SCHEMA_VERSION);
  TF_CHECK_INT(count(h, "SELECT count(*) FROM measurements"), 169);
  TF_CHECK_INT(count(h, "SELECT count(*) FROM measurements WHERE kernel = 'gemm' AND m = 8192 AND "
                        "n = 14336 AND power_limit_w IS NOT NULL"),
               8);
  TF_CHECK_INT(count(h, "SELECT line FROM measurements WHERE kernel = 'attn_decode' AND layout = "
                        "'mla' ORDER BY line LIMIT 1"),
               142);
  TF_CHECK_INT(count(h, "SELECT count(*) FROM parameters"), TF_FIT_N_PARAMS);
  TF_CHECK_INT(count(h, "SELECT count(*) FROM parameters WHERE std_error IS NOT NULL"), 12);
  TF_CHECK_INT(count(h, "SELECT count(*) FROM fits WHERE status = 'fitted'"), TF_FIT_N_CURVES);
  TF_CHECK_INT(count(h, "SELECT count(*) FROM device"), 18);
  TF_CHECK_INT(count(h, "SELECT count(*) FROM device WHERE key = 'catalog_gpu' AND value = "
                        "'h100-sxm'"),
               1);
  sqlite3_close(h);

  /* The same fit gives the same bytes; the header and a row as written. */
  size_t n1 = 0, n2 = 0;
  char *a = slurp(csv, &n1);
  TF_CHECK_INT(tf_profile_write_csv(tmp, &f), 0);
  char *b = slurp(csv, &n2);
  TF_CHECK(a && b && n1 == n2 && memcmp(a, b, n1) == 0);
  if (a) {
    a[n1 < (1 << 20) ? n1 : (1 << 20) - 1] = '\0';
    TF_CHECK(strncmp(a, "name,value,std_error,unit,source,default_value\r\n\"gemm_eff\",0.78",
                     strlen("name,value,std_error,unit,source,default_value\r\n\"gemm_eff\",0.78")) ==
             0);
    TF_CHECK(strstr(a, "\r\n\"kernels_per_layer\",12,,\"kernels\",\"default (docs/PERF_MODEL.md); "
                       "not measured yet\",12\r\n"));
    /* Plain decimals, never exponents such as 2.5e-06 (text like "compute-bound" aside). */
    bool exponent = false;
    for (const char *q = a; (q = strstr(q, "e-")) != NULL; q++)
      exponent = exponent || (q > a && q[-1] >= '0' && q[-1] <= '9');
    TF_CHECK(!exponent);
  }
  free(a);
  free(b);
  char *fc = slurp(fits, &n1);
  if (fc) {
    fc[n1] = '\0';
    TF_CHECK(strncmp(fc, "curve,n_points,rms_rel_error,status,reason\r\n\"hbm_stream\",12,0.01",
                     strlen("curve,n_points,rms_rel_error,status,reason\r\n\"hbm_stream\",12,0.01")) ==
             0);
  }
  free(fc);

  /* A refused fit writes its status and reason into the fits table too. */
  tf_fit refused = f;
  refused.curve[TF_FIT_CURVE_GEMM].status = TF_FIT_REFUSED;
  snprintf(refused.curve[TF_FIT_CURVE_GEMM].why, sizeof refused.curve[0].why, "gemm: a reason");
  TF_CHECK_INT(tf_profile_write_db(db, m, &refused), 0);
  TF_CHECK_INT(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  TF_CHECK_INT(count(h, "SELECT count(*) FROM fits WHERE curve = 'gemm' AND status = 'refused' "
                        "AND reason = 'gemm: a reason'"),
               1);
  sqlite3_close(h);

  /* Files that cannot be written: nothing half-written is left. */
  TF_CHECK_INT(tf_profile_write_csv("/no/such/folder", &f), TF_EIO);
  TF_CHECK(strncmp(tf_err_reason(), "/no/such/folder/profile.csv: cannot create a file in its "
                   "folder: ", strlen("/no/such/folder/profile.csv: cannot create a file in its "
                                      "folder: ")) == 0);
  TF_CHECK_INT(tf_profile_write_db("/no/such/folder/p.db", m, &f), TF_EIO);
  TF_CHECK_INT(hidden_files(), 0);
  tf_meas_destroy(m);
}

/* A profile.csv with one mistake must fail with want (its path replaced by the temp file's). */
static void expect_bad_csv(const char *text, int rc, const char *want_after_path) {
  char path[600], want[1200];
  path_in(path, sizeof path, "bad.csv");
  write_file(path, text);
  tf_profile p;
  TF_CHECK_INT(tf_profile_read(path, &p), rc);
  snprintf(want, sizeof want, "%s%s", path, want_after_path);
  TF_CHECK_STR(tf_err_reason(), want);
  TF_CHECK(p.name == NULL && p.gpu_source == NULL);
}

#define HEADER "name,value,std_error,unit,source,default_value\r\n"

static void test_bad_profiles(void) {
  expect_bad_csv(HEADER "\"gemm_eff\",0.7,0.01,\"1\",\"fit\",0.78\r\n\"gemm_efff\",0.7,,\"1\","
                        "\"x\",\r\n",
                 TF_EPARSE,
                 ":3: unknown parameter \"gemm_efff\" (expected a parameter of "
                 "docs/CALIBRATION.md, such as gemm_eff or clock_exponent)");
  expect_bad_csv(HEADER "\"hbm_latency_s\",2,,\"us\",\"fit\",\r\n", TF_EPARSE,
                 ":2: hbm_latency_s in \"us\" (expected s)");
  expect_bad_csv(HEADER "\"hbm_eff\",0.9,,\"1\",\"fit\",\r\n\"hbm_eff\",0.8,,\"1\",\"fit\",\r\n",
                 TF_EPARSE, ":3: parameter \"hbm_eff\" again (expected each parameter once)");
  expect_bad_csv(HEADER "\"hbm_eff\",high,,\"1\",\"fit\",\r\n", TF_EPARSE,
                 ":2: hbm_eff has a value or std_error that is not a number (expected plain "
                 "decimals)");
  expect_bad_csv(HEADER "\"hbm_eff\",0.9,,\"1\"\r\n", TF_EPARSE,
                 ":2: 4 fields (expected 6, one per header column)");
  expect_bad_csv(HEADER "\"hbm_eff\",0.9,,\"1\",\"fit\r\n", TF_EPARSE,
                 ":2: unterminated quoted field (expected a closing \")");
  expect_bad_csv("name,value,unit\r\n", TF_EPARSE,
                 ":1: missing column \"source\" (expected the header name,value,std_error,unit,"
                 "source,default_value)");
  expect_bad_csv("", TF_EPARSE,
                 ": empty file (expected a header row: name,value,std_error,unit,source,"
                 "default_value)");
  /* Readable, but not a profile the models accept. */
  char want[700];
  path_in(want, sizeof want, "bad.csv");
  char sentence[1600];
  snprintf(sentence, sizeof sentence, ": GPU profile \"profile %s\": efficiencies must be in (0, 1]",
           want);
  expect_bad_csv(HEADER "\"gemm_eff\",1.5,,\"1\",\"fit\",\r\n", TF_ERANGE, sentence);
}

int main(void) {
  if (!mkdtemp(tmp)) {
    perror("mkdtemp");
    return 1;
  }
  tf_diags *d = NULL;
  tf_catalog *cat = NULL;
  TF_CHECK_INT(tf_diags_create(&d), 0);
  TF_CHECK_INT(tf_catalog_open(TF_CATALOG_DIR, &cat, d), 0);
  tf_diags_destroy(d);
  const tf_catalog_gpu *h100 = cat ? tf_catalog_find_gpu(cat, "h100-sxm") : NULL;
  TF_CHECK(h100 != NULL);
  if (h100)
    test_round_trip(h100);
  test_bad_profiles();

  /* Not a profile: another SQLite database, and a missing file. */
  char other[600];
  path_in(other, sizeof other, "other.db");
  sqlite3 *h = NULL;
  TF_CHECK_INT(sqlite3_open(other, &h), SQLITE_OK);
  TF_CHECK_INT(sqlite3_exec(h, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(h);
  tf_profile p;
  TF_CHECK_INT(tf_profile_read(other, &p), TF_EPARSE);
  TF_CHECK(strstr(tf_err_reason(), ": not a tokenfab profile (SQLite application_id 0, expected "
                                   "1413894214 as tokenfab fit writes)"));
  TF_CHECK_INT(tf_profile_read("/no/such/profile.db", &p), TF_EIO);
  TF_CHECK_STR(tf_err_reason(), "/no/such/profile.db: cannot open: No such file or directory");

  tf_catalog_destroy(cat);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  TF_CHECK_INT(system(cmd), 0);
  return tf_test_report("calibration_profile_io");
}
