/* CSV export: plain-decimal numbers, neutralised formula text, the files of a run written whole
 * into a folder, and nothing left behind when the folder cannot be written. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv_out.h"
#include "error.h"
#include "tf_test.h"

static const char *num(double v) {
  static char buf[TF_CSV_NUMBER_MAX];
  tf_csv_number(v, buf, sizeof buf);
  return buf;
}

static void test_numbers(void) {
  TF_CHECK_STR(num(0), "0");
  TF_CHECK_STR(num(-0.0), "0");
  TF_CHECK_STR(num(1), "1");
  TF_CHECK_STR(num(-2.5), "-2.5");
  TF_CHECK_STR(num(6.5e-5), "0.000065");
  TF_CHECK_STR(num(1234567.5), "1234567.5");
  TF_CHECK_STR(num(2e20), "200000000000000000000");
  TF_CHECK_STR(num(0.1), "0.1");               /* 15 digits: no 0.10000000000000001 */
  TF_CHECK_STR(num(1.0 / 3), "0.333333333333333");
  TF_CHECK_STR(num(123456789012345678.0), "123456789012346000");
  TF_CHECK_STR(num(NAN), "");
  TF_CHECK_STR(num(INFINITY), "");
  /* Every finite double fits, and reads back to within 15 significant digits. */
  double hard[] = {1.5e308, 4.9e-324, -4.9e-324, 2.2250738585072014e-308, 655075.227777778};
  for (size_t i = 0; i < sizeof hard / sizeof hard[0]; i++) {
    const char *s = num(hard[i]);
    TF_CHECK(strchr(s, 'e') == NULL && strlen(s) < TF_CSV_NUMBER_MAX);
    double back = strtod(s, NULL);
    TF_CHECK(fabs(back - hard[i]) <= 5e-15 * fabs(hard[i]));
  }
}

/* What tf_csv_text writes for text. */
static const char *field(const char *text) {
  static char buf[256];
  FILE *f = tmpfile();
  TF_CHECK_INT(tf_csv_text(f, text), 0);
  rewind(f);
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static void test_text(void) {
  TF_CHECK_STR(field("chat"), "\"chat\"");
  TF_CHECK_STR(field("a \"b\", c"), "\"a \"\"b\"\", c\"");
  TF_CHECK_STR(field(""), "\"\"");
  const char *formulas[] = {"=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"};
  for (size_t i = 0; i < sizeof formulas / sizeof formulas[0]; i++) {
    char want[64];
    snprintf(want, sizeof want, "\"'%s\"", formulas[i]);
    TF_CHECK_STR(field(formulas[i]), want);
  }
  TF_CHECK_STR(field("a=1"), "\"a=1\""); /* only a leading sign makes a formula */
}

static const tf_column cols[] = {{"class", ""}, {"ttft_p99_s", "s"}, {"completed", "1"}};

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  static char buf[4096];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static void test_files(void) {
  char dir[] = "/tmp/tf-csv-XXXXXX";
  TF_CHECK(mkdtemp(dir) != NULL);
  tf_run_record rec = {.scenario_name = "demo", .seed = 7, .version = "0.1.0",
                       .started_utc = "2026-11-25T19:00:00Z", .overrides = "seed=7"};
  strcpy(rec.scenario_sha256, "ab");
  static const tf_column summary_cols[] = {{"window_s", "s"}};
  tf_table_init(&rec.summary, "summary", summary_cols, 1);
  tf_cell_set_real(tf_table_add_row(&rec.summary), 60);
  tf_table_init(&rec.classes, "classes", cols, 3);
  tf_cell *row = tf_table_add_row(&rec.classes);
  TF_CHECK_INT(tf_cell_set_text(&row[0], "=chat"), 0);
  tf_cell_set_real(&row[1], 0.000125);
  tf_cell_set_int(&row[2], 42);
  row = tf_table_add_row(&rec.classes);
  TF_CHECK_INT(tf_cell_set_text(&row[0], "agent"), 0); /* latency NULL: an empty field */
  tf_table_init(&rec.series, "series", cols, 0);
  tf_table_init(&rec.costs, "costs", cols, 0);
  char out[64], err[256] = "";
  snprintf(out, sizeof out, "%s/out", dir);
  TF_CHECK_INT(tf_csv_write_run(out, &rec, 3, err, sizeof err), 0);
  char path[128];
  snprintf(path, sizeof path, "%s/classes.csv", out);
  TF_CHECK_STR(slurp(path), "run_id,scenario,seed,class,ttft_p99_s,completed\r\n"
                            "3,\"demo\",7,\"'=chat\",0.000125,42\r\n"
                            "3,\"demo\",7,\"agent\",,\r\n");
  snprintf(path, sizeof path, "%s/summary.csv", out);
  TF_CHECK_STR(slurp(path), "run_id,scenario,scenario_sha256,seed,tokenfab_version,started_utc,"
                            "wall_s,overrides,window_s\r\n"
                            "3,\"demo\",\"ab\",7,\"0.1.0\",\"2026-11-25T19:00:00Z\",0,\"seed=7\","
                            "60\r\n");
  /* A folder that cannot be made: TF_EIO, a message, no file. */
  snprintf(out, sizeof out, "%s/classes.csv/x", dir);
  TF_CHECK_INT(tf_csv_write_run(out, &rec, 0, err, sizeof err), TF_EIO);
  TF_CHECK(strstr(err, "cannot create the folder") != NULL);
  tf_run_record_fini(&rec);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  TF_CHECK_INT(system(cmd), 0);
}

int main(void) {
  test_numbers();
  test_text();
  test_files();
  return tf_test_report("reports_csv_out");
}
