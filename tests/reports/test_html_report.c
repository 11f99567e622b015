/* The HTML report's parts: JSON strings escaped for JSON and for <script> (hand-checked bytes),
 * the JSON writer's separators and numbers, numbers for people, HTML text escaping; then a
 * results database read back read-only (a run with hostile names, a sweep's means, frontiers
 * and per-axis costs, unknown ids, files that are not results databases) and written as pages
 * whose data cannot break out of its <script> element, atomically. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "html_report.h"
#include "json_out.h"
#include "numfmt.h"
#include "report_data.h"
#include "store.h"
#include "tf_test.h"

/* What f wrote, as a string (caller frees). */
static char *contents(FILE *f) {
  long n = ftell(f);
  char *s = malloc((size_t)n + 1);
  rewind(f);
  size_t got = fread(s, 1, (size_t)n, f);
  s[got] = '\0';
  return s;
}

static void check_quote(const char *in, size_t n, const char *want, int line) {
  FILE *f = tmpfile();
  tf_json_quote(f, in, n);
  char *got = contents(f);
  TF_CHECK_STR(got, want);
  if (strcmp(got, want) != 0)
    fprintf(stderr, "  (line %d)\n", line);
  free(got);
  fclose(f);
}
#define QUOTE(in, want) check_quote((in), sizeof(in) - 1, (want), __LINE__)

static void test_json_quote(void) {
  QUOTE("", "\"\"");
  QUOTE("plain text", "\"plain text\"");
  QUOTE("a\"b\\c", "\"a\\\"b\\\\c\"");
  QUOTE("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
  QUOTE("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
  /* Safe inside <script>: no `</` and no `<!--` survive. */
  QUOTE("</script><b>", "\"<\\/script><b>\"");
  QUOTE("a</", "\"a<\\/\"");
  QUOTE("<!-- x -->", "\"\\u003c!-- x -->\"");
  QUOTE("<!-", "\"<!-\"");
  QUOTE("1 < 2 / 3", "\"1 < 2 / 3\"");
  /* UTF-8 passes; what is not UTF-8 becomes U+FFFD, one per byte that starts nothing. */
  QUOTE("\xC2\xB5s \xE2\x82\xAC \xF0\x9F\x98\x80", "\"\xC2\xB5s \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  QUOTE("\xff", "\"\\ufffd\"");
  QUOTE("\xC0\xAF", "\"\\ufffd\\ufffd\"");             /* overlong '/' */
  QUOTE("\xE2\x82", "\"\\ufffd\\ufffd\"");             /* truncated */
  QUOTE("\xED\xA0\x80", "\"\\ufffd\\ufffd\\ufffd\"");  /* a surrogate */
  QUOTE("\xF4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* above U+10FFFF */
  QUOTE("a\0b", "\"a\\ufffdb\"");
  /* Line ends that older JavaScript refuses in string literals. */
  QUOTE("\xE2\x80\xA8\xE2\x80\xA9", "\"\\u2028\\u2029\"");
}

static void test_json_writer(void) {
  FILE *f = tmpfile();
  tf_json j;
  tf_json_init(&j, f);
  tf_json_begin_object(&j);
  tf_json_key(&j, "a");
  tf_json_begin_array(&j);
  tf_json_number(&j, 0.1);
  tf_json_number(&j, 1.0 / 3.0);
  tf_json_number(&j, NAN);
  tf_json_number(&j, INFINITY);
  tf_json_number(&j, -0.0);
  tf_json_number(&j, 1e300);
  tf_json_int(&j, INT64_MIN);
  tf_json_bool(&j, true);
  tf_json_null(&j);
  tf_json_string(&j, NULL);
  tf_json_begin_object(&j);
  tf_json_end_object(&j);
  tf_json_begin_array(&j);
  tf_json_end_array(&j);
  tf_json_end_array(&j);
  tf_json_key(&j, "k\"</");
  tf_json_string_n(&j, "x\0y", 3);
  tf_json_end_object(&j);
  TF_CHECK_INT(j.depth, 0);
  char *got = contents(f);
  TF_CHECK_STR(got, "{\"a\":[0.1,0.33333333333333331,null,null,-0,1e+300,-9223372036854775808,"
                    "true,null,null,{},[]],\"k\\\"<\\/\":\"x\\ufffdy\"}");
  free(got);
  fclose(f);
}

static void check_fmt(const char *got, const char *want, int line) {
  TF_CHECK_STR(got, want);
  if (strcmp(got, want) != 0)
    fprintf(stderr, "  (line %d)\n", line);
}
#define SI(v, unit, want)                                                                      \
  do {                                                                                         \
    char b_[TF_NUMFMT_MAX];                                                                    \
    tf_numfmt_si((v), (unit), b_, sizeof b_);                                                  \
    check_fmt(b_, (want), __LINE__);                                                           \
  } while (0)
#define COUNT(v, unit, want)                                                                   \
  do {                                                                                         \
    char b_[TF_NUMFMT_MAX];                                                                    \
    tf_numfmt_count((v), (unit), b_, sizeof b_);                                               \
    check_fmt(b_, (want), __LINE__);                                                           \
  } while (0)
#define ONE(fn, v, want)                                                                       \
  do {                                                                                         \
    char b_[TF_NUMFMT_MAX];                                                                    \
    fn((v), b_, sizeof b_);                                                                    \
    check_fmt(b_, (want), __LINE__);                                                           \
  } while (0)

static void test_numfmt(void) {
  SI(1.2e6, "W", "1.2 MW");
  SI(21251.9, "W", "21.3 kW");
  SI(0.0612, "s", "61.2 ms");
  SI(0.061, "s", "61 ms");
  SI(0.887095295, "s", "887 ms");
  SI(1.58125, "s", "1.58 s");
  SI(2.8184533981685, "J", "2.82 J");
  SI(3.45e-5, "s", "34.5 \xC2\xB5s");
  SI(0, "W", "0 W");
  SI(-1500, "W", "-1.5 kW");
  SI(999.4, "W", "999 W");
  SI(999.6, "W", "1 kW"); /* rounding carries into the next prefix */
  SI(100, "W", "100 W");
  SI(1e-15, "W", "1e-15 W");
  SI(NAN, "s", "n/a");
  SI(INFINITY, "s", "n/a");
  COUNT(655000, "tok/s", "655 k tok/s");
  COUNT(6032.22, "tok/s", "6.03 k tok/s");
  COUNT(283843.614558204, "tok/s/MW", "284 k tok/s/MW");
  COUNT(26.3, "req/s", "26.3 req/s");
  COUNT(752, "", "752");
  COUNT(1e6, "", "1 M");
  COUNT(999999, "", "1 M");
  COUNT(1.9e11, "tokens", "190 G tokens");
  COUNT(0.00123, "", "0.00123");
  COUNT(0.5, "", "0.5");
  COUNT(0, "", "0");
  COUNT(-2500, "", "-2.5 k");
  COUNT(1.5e18, "", "1.5e+18");
  COUNT(1.5e-9, "", "1.5e-09");
  COUNT(NAN, "tok/s", "n/a");
  ONE(tf_numfmt_usd, 0.18, "$0.18");
  ONE(tf_numfmt_usd, 1.43276019741025, "$1.43");
  ONE(tf_numfmt_usd, 0.0210509195643508, "$0.0211");
  ONE(tf_numfmt_usd, 272743.649561454, "$273 k");
  ONE(tf_numfmt_usd, 1363718.2478, "$1.36 M");
  ONE(tf_numfmt_usd, 20.5e6, "$20.5 M");
  ONE(tf_numfmt_usd, -5, "-$5");
  ONE(tf_numfmt_usd, 0, "$0");
  ONE(tf_numfmt_usd, NAN, "n/a");
  ONE(tf_numfmt_percent, 0.714828897338403, "71.5 %");
  ONE(tf_numfmt_percent, 1, "100 %");
  ONE(tf_numfmt_percent, 0.0546430395769361, "5.46 %");
  ONE(tf_numfmt_percent, 0.99995, "100 %");
  ONE(tf_numfmt_percent, 0.000123, "0.0123 %");
  ONE(tf_numfmt_percent, 0, "0 %");
  ONE(tf_numfmt_percent, -0.25, "-25 %");
  ONE(tf_numfmt_percent, NAN, "n/a");
  /* Small buffers truncate, never overflow. */
  char small[4];
  tf_numfmt_count(655000, "tok/s", small, sizeof small);
  TF_CHECK_STR(small, "655");
}

static void check_html(const char *in, size_t n, const char *want, int line) {
  FILE *f = tmpfile();
  tf_html_report_escape(f, in, n);
  char *got = contents(f);
  check_fmt(got, want, line);
  free(got);
  fclose(f);
}
#define HTML(in, want) check_html((in), sizeof(in) - 1, (want), __LINE__)

static void test_html_escape(void) {
  HTML("<a href=\"x\">&'", "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  HTML("caf\xC3\xA9 \xE2\x82\xAC", "caf\xC3\xA9 \xE2\x82\xAC");
  HTML("tab\tline\ncr\r", "tab\tline\ncr\r");
  HTML("\x01\x7f", "\xEF\xBF\xBD\xEF\xBF\xBD");
  HTML("\xff\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  HTML("a\0b", "a\xEF\xBF\xBD" "b");
}

/* ---- a results database read back and written as pages ---- */

static const tf_column SUMMARY_COLS[] = {
    {"output_tokens_per_s", "1/s"},
    {"output_tokens_per_s_per_mw_facility", "1/(s MW)"},
    {"output_tokens_per_s_per_user", "1/s"},
    {"ttft_p99_s", "s"},
    {"tpot_p99_s", "s"},
    {"cost_per_mtok_out_usd", "USD"},
    {"binding_constraint", ""},
};
static const tf_column CLASS_COLS[] = {{"class", ""}, {"ttft_p50_s", "s"}, {"slo_ttft_s", "s"}};
static const tf_column SERIES_COLS[] = {{"t_s", "s"}, {"it_power_mw", "MW"}, {"waiting", "1"}};
static const tf_column COST_COLS[] = {{"component", ""}, {"usd_per_year", "USD"}};

/* A run named to break pages: HTML and </script> in its names and text, bytes that are not
 * UTF-8 in its scenario text. per_mw, per_user and cost set the frontier figures. */
static void record(tf_run_record *r, double per_mw, double per_user, double cost) {
  static const char text[] = "name: \"</script><script>alert(1)</script>\"\n# \xff\xfe <!--\n";
  *r = (tf_run_record){.scenario_name = "</script><b>x", .scenario_text = text,
                       .scenario_len = sizeof text - 1, .overrides = "seed=3",
                       .version = "t", .started_utc = "2026-11-25T00:00:00Z", .seed = UINT64_MAX,
                       .wall_s = 0.5};
  strcpy(r->scenario_sha256, "ab");
  tf_table_init(&r->summary, "summary", SUMMARY_COLS, 7);
  tf_cell *row = tf_table_add_row(&r->summary);
  tf_cell_set_real(&row[0], 1000);
  tf_cell_set_real(&row[1], per_mw);
  tf_cell_set_real(&row[2], per_user);
  tf_cell_set_real(&row[3], 0.5);
  tf_cell_set_real(&row[4], 0.02);
  if (isfinite(cost))
    tf_cell_set_real(&row[5], cost);
  tf_cell_set_text(&row[6], "demand");
  tf_table_init(&r->classes, "classes", CLASS_COLS, 3);
  row = tf_table_add_row(&r->classes);
  tf_cell_set_text(&row[0], "<img src=x onerror=alert(1)>");
  tf_cell_set_real(&row[1], 0.25);
  tf_cell_set_real(&row[2], 1);
  tf_table_init(&r->series, "series", SERIES_COLS, 3);
  for (int t = 0; t < 3; t++) {
    row = tf_table_add_row(&r->series);
    tf_cell_set_real(&row[0], 10.0 * t);
    tf_cell_set_real(&row[1], 0.5 + 0.1 * t);
    if (t != 1) /* a gap: the reader must leave NaN there */
      tf_cell_set_real(&row[2], t);
  }
  tf_table_init(&r->costs, "costs", COST_COLS, 2);
  row = tf_table_add_row(&r->costs);
  tf_cell_set_text(&row[0], "energy");
  tf_cell_set_real(&row[1], 100);
  row = tf_table_add_row(&r->costs);
  tf_cell_set_text(&row[0], "total");
  tf_cell_set_real(&row[1], 100);
}

/* Point p, replication r of a 2 x 2 sweep (axes "a" and "b </script>"). */
static void sweep_record(tf_run_record *rec, int p, int r) {
  /* per MW, per user, cost by point; replications differ by +-1 around these means. */
  static const double per_mw[] = {10, 20, 30, 40}, per_user[] = {40, 30, 20, 10};
  static const double cost[] = {4, 3, 2, NAN};
  double d = r ? 1 : -1;
  record(rec, per_mw[p] + d, per_user[p] + d, cost[p] + d);
}

/* A file holding 2 single runs and a 2 x 2 sweep with 2 replications. */
static void make_db(const char *path) {
  tf_store *s;
  char err[512];
  TF_CHECK_INT(tf_store_open(path, &s, err, sizeof err), 0);
  for (int i = 0; i < 2; i++) {
    tf_run_record rec;
    record(&rec, 1, 2, 3);
    int64_t id;
    TF_CHECK_INT(tf_store_write_run(s, &rec, &id, err, sizeof err), 0);
    tf_run_record_fini(&rec);
  }
  static const char *const axes[] = {"a", "b </script>"};
  tf_store_sweep w = {.key = "K", .scenario_name = "sw", .scenario_sha256 = "cd",
                      .definition = "d <x>", .points = 4, .replications = 2, .master_seed = 9,
                      .n_axes = 2, .axis_names = axes};
  int64_t sweep_id;
  TF_CHECK_INT(tf_store_open_sweep(s, &w, &sweep_id, err, sizeof err), 0);
  for (int p = 0; p < 4; p++)
    for (int r = 0; r < 2; r++) {
      tf_run_record rec;
      sweep_record(&rec, p, r);
      const char *labels[] = {p < 2 ? "1" : "2", p % 2 ? "y" : "x"};
      int64_t id;
      TF_CHECK_INT(tf_store_write_sweep_run(s, &rec, sweep_id, p, r, labels, 2, &id, err,
                                            sizeof err), 0);
      tf_run_record_fini(&rec);
    }
  tf_store_close(s);
}

static size_t count_of(const char *s, const char *word) {
  size_t n = 0;
  for (const char *p = s; (p = strstr(p, word)) != NULL; p += strlen(word))
    n++;
  return n;
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  char *s = contents(f);
  fclose(f);
  return s;
}

/* The page's <script> elements: the error hook, the data, Chart.js, the page's own; the data
 * and Chart.js never close one early. */
static void check_page(const char *path, bool run) {
  char *page = read_file(path);
  TF_CHECK(page != NULL);
  if (!page)
    return;
  TF_CHECK_INT(count_of(page, "<script"), 4);
  TF_CHECK_INT(count_of(page, "</script>"), 4);
  TF_CHECK_INT(count_of(page, "<!--"), 0);
  TF_CHECK(strstr(page, "var Chart = {}; /* <\\/script> <\\!-- */") != NULL);
  /* The class name is text in the table and a JSON string in the data, never a tag. */
  TF_CHECK_INT(count_of(page, "<img"), run ? 1 : 0);
  if (run) {
    TF_CHECK(strstr(page, "\"class\":\"<img src=x onerror=alert(1)>\"") != NULL);
    TF_CHECK(strstr(page, "&lt;img src=x onerror=alert(1)&gt;") != NULL);
  } else {
    TF_CHECK(strstr(page, "\"axes\":[\"a\",\"b <\\/script>\"]") != NULL);
  }
  TF_CHECK(strncmp(page, "<!DOCTYPE html>", 15) == 0);
  free(page);
}

static void test_pages(const char *dir) {
  char db_path[256], page[300], err[1024];
  snprintf(db_path, sizeof db_path, "%s/r.db", dir);
  make_db(db_path);
  tf_report_db *db;
  TF_CHECK_INT(tf_report_open(db_path, &db, err, sizeof err), 0);
  int64_t latest = 0;
  TF_CHECK_INT(tf_report_latest_run(db, &latest, err, sizeof err), 0);
  TF_CHECK_INT(latest, 10);

  /* A run read back. */
  tf_report_run *run;
  TF_CHECK_INT(tf_report_load_run(db, 1, &run, err, sizeof err), 0);
  TF_CHECK_STR(run->scenario_name, "</script><b>x");
  TF_CHECK_INT(run->scenario_len, strlen(run->scenario_text));
  TF_CHECK(run->seed == UINT64_MAX);
  TF_CHECK_INT(run->sweep_id, -1);
  TF_CHECK_NEAR(tf_report_value(run->metrics, run->n_metrics, "cost_per_mtok_out_usd"), 3, 0);
  TF_CHECK_STR(tf_report_text(run->metrics, run->n_metrics, "binding_constraint"), "demand");
  TF_CHECK(isnan(tf_report_value(run->metrics, run->n_metrics, "no_such_metric")));
  TF_CHECK_INT(run->n_classes, 1);
  TF_CHECK_INT(run->n_costs, 2);
  TF_CHECK_INT(run->n_times, 3);
  TF_CHECK_INT(run->n_series, 2); /* it_power_mw, waiting */
  TF_CHECK_STR(run->series_names[0], "it_power_mw");
  TF_CHECK_NEAR(run->series_values[2 * 2 + 0], 0.7, 1e-12);
  TF_CHECK(isnan(run->series_values[1 * 2 + 1]));
  const char chartjs[] = "var Chart = {}; /* </script> <!-- */";
  tf_html_report_opts o = {.chartjs = chartjs, .chartjs_len = sizeof chartjs - 1,
                           .db_name = "r.db </script>", .version = "t"};
  snprintf(page, sizeof page, "%s/run.html", dir);
  TF_CHECK_INT(tf_html_report_save(page, run, NULL, &o, err, sizeof err), 0);
  check_page(page, true);
  /* A folder that does not exist: an error, and nothing written. */
  snprintf(page, sizeof page, "%s/missing/run.html", dir);
  TF_CHECK_INT(tf_html_report_save(page, run, NULL, &o, err, sizeof err), TF_EIO);
  TF_CHECK(strstr(err, "missing/run.html") != NULL);
  tf_report_run_free(run);
  TF_CHECK_INT(tf_report_load_run(db, 5, &run, err, sizeof err), 0);
  TF_CHECK_INT(run->sweep_id, 1);
  TF_CHECK_INT(run->sweep_point, 1);
  tf_report_run_free(run);

  /* Unknown ids list what there is. */
  TF_CHECK_INT(tf_report_load_run(db, 11, &run, err, sizeof err), TF_ENOTFOUND);
  TF_CHECK(run == NULL);
  TF_CHECK(strstr(err, "no run 11; its runs: 1-10") != NULL);
  tf_report_sweep *sw;
  TF_CHECK_INT(tf_report_load_sweep(db, 2, &sw, err, sizeof err), TF_ENOTFOUND);
  TF_CHECK(strstr(err, "no sweep 2; its sweeps: 1") != NULL);

  /* The sweep: means over replications, frontiers, cost by axis value. */
  int rc = tf_report_load_sweep(db, 1, &sw, err, sizeof err);
  TF_CHECK_INT(rc, 0);
  if (rc) {
    fprintf(stderr, "  %s\n", err);
    tf_report_close(db);
    return;
  }
  TF_CHECK_INT(sw->n_pts, 4);
  TF_CHECK_INT(sw->n_axes, 2);
  TF_CHECK_STR(sw->axes[1], "b </script>");
  for (size_t p = 0; p < 4; p++) {
    TF_CHECK_INT(sw->pts[p].replications, 2);
    double per_mw = sw->pts[p].mean[TF_RSM_OUTPUT_TOKENS_PER_S_PER_MW_FACILITY];
    TF_CHECK_NEAR(per_mw, 10.0 * (double)(p + 1), 1e-12);
    TF_CHECK_STR(sw->pts[p].binding, "demand");
    /* per MW rises as per user falls: every point is on the efficiency frontier */
    TF_CHECK(sw->pts[p].front[TF_REPORT_FRONT_POWER]);
  }
  TF_CHECK_STR(sw->pts[2].labels[0], "2");
  TF_CHECK_STR(sw->pts[2].labels[1], "x");
  TF_CHECK(isnan(sw->pts[3].mean[TF_RSM_COST_PER_MTOK_OUT_USD]));
  /* Costs 4, 3, 2 at equal latencies: only the cheapest is on the cost frontiers; a point
   * without a cost is on none. */
  TF_CHECK(!sw->pts[0].front[TF_REPORT_FRONT_COST_TTFT] &&
           sw->pts[2].front[TF_REPORT_FRONT_COST_TTFT] &&
           !sw->pts[3].front[TF_REPORT_FRONT_COST_TPOT]);
  /* Axis a: value 1 holds points 0, 1 (costs 4, 3), value 2 points 2, 3 (2 and none). */
  TF_CHECK_INT(sw->effects[0].n_values, 2);
  TF_CHECK_NEAR(sw->effects[0].mean_cost_usd[0], 3.5, 1e-12);
  TF_CHECK_NEAR(sw->effects[0].mean_cost_usd[1], 2, 1e-12);
  TF_CHECK_INT(sw->effects[0].n_points[1], 1);
  TF_CHECK_STR(sw->effects[1].values[1], "y");
  TF_CHECK_NEAR(sw->effects[1].mean_cost_usd[0], 3, 1e-12); /* points 0, 2 */
  snprintf(page, sizeof page, "%s/sweep.html", dir);
  TF_CHECK_INT(tf_html_report_save(page, NULL, sw, &o, err, sizeof err), 0);
  check_page(page, false);
  tf_report_sweep_free(sw);
  tf_report_close(db);

  /* Files that are not results databases, or hold no sweeps: refused, and left alone. */
  char other[256];
  snprintf(other, sizeof other, "%s/missing.db", dir);
  TF_CHECK_INT(tf_report_open(other, &db, err, sizeof err), TF_EINVAL);
  TF_CHECK(access(other, F_OK) != 0); /* read-only: not created */
  snprintf(other, sizeof other, "%s/text.db", dir);
  FILE *f = fopen(other, "w");
  fputs("not a database, though long enough to have a header of one: 0123456789abcdef\n", f);
  fclose(f);
  TF_CHECK_INT(tf_report_open(other, &db, err, sizeof err), TF_EINVAL);
  TF_CHECK(strstr(err, "not a tokenfab results database") != NULL);
  snprintf(other, sizeof other, "%s/runs.db", dir);
  tf_store *s;
  TF_CHECK_INT(tf_store_open(other, &s, err, sizeof err), 0);
  tf_store_close(s);
  TF_CHECK_INT(tf_report_open(other, &db, err, sizeof err), 0);
  TF_CHECK_INT(tf_report_latest_run(db, &latest, err, sizeof err), TF_ENOTFOUND);
  TF_CHECK(strstr(err, "holds no runs") != NULL);
  TF_CHECK_INT(tf_report_load_sweep(db, 1, &sw, err, sizeof err), TF_ENOTFOUND);
  TF_CHECK(strstr(err, "holds no sweeps") != NULL);
  tf_report_close(db);
}

int main(void) {
  test_json_quote();
  test_json_writer();
  test_numfmt();
  test_html_escape();
  char dir[] = "/tmp/tf-html-report-XXXXXX";
  TF_CHECK(mkdtemp(dir) != NULL);
  test_pages(dir);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  TF_CHECK_INT(system(cmd), 0);
  return tf_test_report("reports_html_report");
}
