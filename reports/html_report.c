/* The HTML report's page: plain HTML for the numbers and tables, JSON for the charts' data, the
 * page's own style and script (at the end of this file, as arrays of lines) and Chart.js inlined
 * (html_report.h). The same database gives the same bytes: the page records no time of its own
 * making. */
#include "html_report.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appendf.h"
#include "error.h"
#include "json_out.h"
#include "numfmt.h"
#include "pareto.h"
#include "utf8.h"

const char *const tf_html_report_chartjs_paths[] = {
    "/usr/share/javascript/chart.js/chart.umd.min.js",
    "/usr/share/javascript/chart.js/chart.umd.js",
    "/usr/share/javascript/chart.js/chart.min.js",
    "/usr/share/javascript/chart.js/Chart.min.js",
    "/usr/share/javascript/chart.js/chart.js",
    NULL,
};

/* Chart.js is about 200 kB minified (3.9.1, Debian 12); a file far larger is not it. */
#define CHARTJS_MAX_BYTES ((size_t)16 << 20)

/* The page's own style and script, at the end of this file. */
static void write_page_css(FILE *f);
static void write_page_js(FILE *f);

static bool contains(const char *s, size_t n, const char *word) {
  size_t w = strlen(word);
  for (size_t i = 0; i + w <= n; i++)
    if (memcmp(s + i, word, w) == 0)
      return true;
  return false;
}

/* ---- Chart.js ---- */

static int read_all(FILE *f, char **text, size_t *len) {
  size_t cap = (size_t)256 << 10, n = 0;
  char *buf = malloc(cap + 1);
  if (!buf)
    return TF_ENOMEM;
  for (;;) {
    if (n == cap) {
      if (cap >= CHARTJS_MAX_BYTES) {
        free(buf);
        return TF_EINVAL;
      }
      char *grown = realloc(buf, 2 * cap + 1);
      if (!grown) {
        free(buf);
        return TF_ENOMEM;
      }
      buf = grown;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0)
      break;
  }
  if (ferror(f)) {
    free(buf);
    return TF_EIO;
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return 0;
}

int tf_html_report_load_chartjs(const char *path, char **text, size_t *len, char *err,
                                size_t err_size) {
  assert(text && len);
  *text = NULL;
  *len = 0;
  FILE *f = NULL;
  if (path) {
    f = fopen(path, "rb");
    if (!f && errno == ENOENT)
      return tf_fail_into(err, err_size, TF_ENOTFOUND,
                          "Chart.js not found at %s: install the Debian package libjs-chart.js "
                          "(apt-get install libjs-chart.js), or name its UMD build (chart.umd.js, "
                          "chart.min.js) with --chartjs FILE",
                          path);
  } else {
    for (int i = 0; !f && tf_html_report_chartjs_paths[i]; i++)
      f = fopen(path = tf_html_report_chartjs_paths[i], "rb");
    if (!f)
      return tf_fail_into(
          err, err_size, TF_ENOTFOUND,
          "Chart.js not found in /usr/share/javascript/chart.js: install the Debian "
          "package libjs-chart.js (apt-get install libjs-chart.js), or name the file with "
          "--chartjs FILE");
  }
  if (!f)
    return tf_fail_into(err, err_size, TF_EIO, "cannot read Chart.js from %s: %s", path,
                        strerror(errno));
  int status = read_all(f, text, len);
  int saved = errno;
  fclose(f);
  if (status == TF_ENOMEM)
    return tf_fail_into(err, err_size, TF_ENOMEM, "out of memory reading Chart.js from %s", path);
  if (status == TF_EINVAL)
    return tf_fail_into(err, err_size, TF_EIO, "%s is larger than 16 MiB: not Chart.js", path);
  if (status)
    return tf_fail_into(err, err_size, TF_EIO, "cannot read Chart.js from %s: %s", path,
                        strerror(saved));
  if (!contains(*text, *len, "Chart")) {
    free(*text);
    *text = NULL;
    *len = 0;
    return tf_fail_into(err, err_size, TF_EIO,
                        "%s does not look like Chart.js (it never says `Chart`)", path);
  }
  return 0;
}

/* ---- HTML text ---- */

void tf_html_report_escape(FILE *f, const char *s, size_t n) {
  assert(f && (s || n == 0));
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    size_t len = p[i] ? tf_utf8_next(p + i, n - i, &cp) : 0;
    if (len == 0 || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7F) {
      fputs(TF_UTF8_REPLACEMENT, f);
      i += len ? len : 1;
      continue;
    }
    switch (cp) {
    case '&': fputs("&amp;", f); break;
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '"': fputs("&quot;", f); break;
    case '\'': fputs("&#39;", f); break;
    default: fwrite(p + i, 1, len, f);
    }
    i += len;
  }
}

static void esc(FILE *f, const char *s) {
  if (s)
    tf_html_report_escape(f, s, strlen(s));
}

/* "script" in any case (ASCII only: HTML's tag names), at s, which has 6 bytes. */
static bool starts_script(const char *s) {
  static const char word[] = "script";
  for (int i = 0; i < 6; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    if (c != word[i])
      return false;
  }
  return true;
}

/* A script's text inside <script>: `</script` (any case) would end the element and `<!--` would
 * change how the parser looks for its end, so `<` before them becomes `<\` (the same character
 * inside a JavaScript string, regular expression or comment, where both can only appear). */
static void write_script_text(FILE *f, const char *s, size_t n) {
  size_t from = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '<')
      continue;
    bool closes = n - i >= 8 && s[i + 1] == '/' && starts_script(s + i + 2);
    bool comment = n - i >= 4 && memcmp(s + i, "<!--", 4) == 0;
    if (!closes && !comment)
      continue;
    fwrite(s + from, 1, i - from, f);
    fputs(closes ? "<\\/" : "<\\!", f);
    from = i + 2;
  }
  fwrite(s + from, 1, n - from, f);
}

static void write_lines(FILE *f, const char *const *lines) {
  for (size_t i = 0; lines[i]; i++)
    fputs(lines[i], f);
}

/* ---- numbers for people ---- */

typedef enum fmt_kind { FMT_COUNT, FMT_SI, FMT_USD, FMT_PCT, FMT_INT } fmt_kind;

/* v formatted by kind: FMT_COUNT and FMT_SI with unit (FMT_SI scaled by scale first, as MW to
 * W), FMT_USD with unit appended ("/ M tok"), FMT_PCT, FMT_INT as a whole number. */
static void format(double v, fmt_kind kind, const char *unit, double scale, char *buf,
                   size_t size) {
  switch (kind) {
  case FMT_COUNT:
    tf_numfmt_count(v, unit, buf, size);
    break;
  case FMT_SI:
    tf_numfmt_si(v * scale, unit, buf, size);
    break;
  case FMT_USD: {
    char num[TF_NUMFMT_MAX];
    tf_numfmt_usd(v, num, sizeof num);
    snprintf(buf, size, "%s%s%s", num, unit[0] && isfinite(v) ? " " : "",
             isfinite(v) ? unit : "");
    break;
  }
  case FMT_PCT:
    tf_numfmt_percent(v, buf, size);
    break;
  case FMT_INT:
    if (isfinite(v) && fabs(v) < 9e15)
      snprintf(buf, size, "%.0f", v);
    else
      snprintf(buf, size, "%s", TF_NUMFMT_NA);
    break;
  }
}

/* A table cell with the number for people and its exact value for sorting (data-v). */
static void num_cell(FILE *f, double v, fmt_kind kind, const char *unit, double scale,
                     const char *cls) {
  char text[TF_NUMFMT_MAX + 32];
  format(v, kind, unit, scale, text, sizeof text);
  fputs("<td", f);
  if (cls)
    fprintf(f, " class=\"%s\"", cls);
  if (isfinite(v))
    fprintf(f, " data-v=\"%.17g\"", v);
  else
    fputs(" data-v=\"\"", f);
  fputc('>', f);
  esc(f, text);
  fputs("</td>", f);
}

/* One headline tile; sub may be NULL. */
static void tile(FILE *f, const char *label, const char *value, const char *sub) {
  fputs("<div class=\"tile\"><dt>", f);
  esc(f, label);
  fputs("</dt><dd>", f);
  esc(f, value);
  if (sub && sub[0]) {
    fputs("<small>", f);
    esc(f, sub);
    fputs("</small>", f);
  }
  fputs("</dd></div>\n", f);
}

/* A tile of metric name from m (NaN: "n/a", with why_na as its line). */
static void metric_tile(FILE *f, const char *label, double v, fmt_kind kind, const char *unit,
                        double scale, const char *sub, const char *why_na) {
  char text[TF_NUMFMT_MAX + 32];
  format(v, kind, unit, scale, text, sizeof text);
  tile(f, label, text, isfinite(v) ? sub : why_na);
}

static void kv_row(FILE *f, const char *key, const char *value, bool mono) {
  fputs("<tr><th>", f);
  esc(f, key);
  fputs(mono ? "</th><td class=\"mono\">" : "</th><td>", f);
  esc(f, value);
  fputs("</td></tr>\n", f);
}

/* A chart's place: a canvas sized by its box, with text for browsers without scripts. */
static void chart_box(FILE *f, const char *id, const char *label, const char *caption,
                      bool small) {
  fprintf(f, "<figure><div class=\"chart%s\"><canvas id=\"%s\" role=\"img\" aria-label=\"",
          small ? " small" : "", id);
  esc(f, label);
  fputs("\">", f);
  esc(f, label);
  fputs(": this chart needs JavaScript; the numbers are in the tables.</canvas></div>", f);
  if (caption) {
    fputs("<figcaption>", f);
    esc(f, caption);
    fputs("</figcaption>", f);
  }
  fputs("</figure>\n", f);
}

/* ---- the page's frame ---- */

static void page_head(FILE *f, const char *title) {
  fputs("<!DOCTYPE html>\n<html lang=\"en\" data-report-status=\"pending\">\n<head>\n"
        "<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"generator\" content=\"tokenfab report\">\n<title>",
        f);
  esc(f, title);
  fputs("</title>\n<style>\n", f);
  write_page_css(f);
  /* Before anything else runs: a script error anywhere becomes the page's status (the browser
   * test reads it) and a visible sentence. */
  fputs("</style>\n<script>\n"
        "window.addEventListener('error', function (e) {\n"
        "  var s = 'js-error: ' + (e.message || 'unknown error');\n"
        "  document.documentElement.setAttribute('data-report-status', s);\n"
        "  var b = document.getElementById('js-error');\n"
        "  if (b) { b.hidden = false; b.textContent = 'The charts could not be drawn: ' + "
        "s.slice(10); }\n"
        "});\n"
        "</script>\n</head>\n<body>\n",
        f);
}

static void page_top(FILE *f, const char *heading, const char *sub) {
  fputs("<header>\n<h1>", f);
  esc(f, heading);
  fputs("</h1>\n<p class=\"sub\">", f);
  esc(f, sub);
  fputs("</p>\n<p id=\"js-error\" class=\"error\" hidden></p>\n"
        "<noscript><p class=\"note\">JavaScript is off: the charts are not drawn; every number is "
        "in the tables.</p></noscript>\n"
        "<output id=\"report-status\" hidden>pending</output>\n</header>\n",
        f);
}

/* The data, then Chart.js, then the page's script, then the end of the page. */
static void page_end(FILE *f, const tf_html_report_opts *o, void (*data)(tf_json *, const void *),
                     const void *ctx) {
  fputs("<footer>Written by tokenfab ", f);
  esc(f, o->version);
  fputs(" from the results database <span class=\"mono\">", f);
  esc(f, o->db_name);
  fputs("</span>. Charts by Chart.js (MIT licence), inlined: the page needs no network. "
        "Numbers: three significant digits; k = thousand, M = million. Columns and units: "
        "docs/RESULTS.md.</footer>\n",
        f);
  fputs("<script type=\"application/json\" id=\"report-data\">", f);
  tf_json j;
  tf_json_init(&j, f);
  data(&j, ctx);
  fputs("</script>\n<script>\n", f);
  write_script_text(f, o->chartjs, o->chartjs_len);
  fputs("\n</script>\n<script>\n", f);
  write_page_js(f);
  fputs("</script>\n</body>\n</html>\n", f);
}

/* ---- a run ---- */

typedef struct cost_label {
  const char *component, *label;
} cost_label;
/* The cost lines of docs/RESULTS.md, in words. */
static const cost_label COST_LABELS[] = {
    {"capex_systems", "Systems (capital)"},   {"capex_networking", "Networking (capital)"},
    {"capex_storage", "Storage (capital)"},   {"capex_facility", "Facility (capital)"},
    {"maintenance", "Maintenance"},           {"energy", "Energy"},
    {"colocation", "Colocation"},             {"staff_software", "Staff and software"},
    {"rental", "GPU rental"},                 {"total", "Total"},
};

static const char *cost_label_of(const char *component) {
  for (size_t i = 0; i < sizeof COST_LABELS / sizeof COST_LABELS[0]; i++)
    if (strcmp(COST_LABELS[i].component, component) == 0)
      return COST_LABELS[i].label;
  return component;
}

static double run_value(const tf_report_run *r, const char *name) {
  return tf_report_value(r->metrics, r->n_metrics, name);
}

static double group_value(const tf_report_group *g, const char *name) {
  return tf_report_value(g->metrics, g->n_metrics, name);
}

/* The cost lines largest first, `total` last: the order of the table and the chart. */
static int compare_costs(const void *pa, const void *pb) {
  const tf_report_group *a = *(const tf_report_group *const *)pa;
  const tf_report_group *b = *(const tf_report_group *const *)pb;
  bool ta = strcmp(a->key, "total") == 0, tb = strcmp(b->key, "total") == 0;
  if (ta != tb)
    return ta ? 1 : -1;
  double x = group_value(a, "usd_per_year"), y = group_value(b, "usd_per_year");
  x = isfinite(x) ? x : -INFINITY;
  y = isfinite(y) ? y : -INFINITY;
  if (x != y)
    return x > y ? -1 : 1;
  return strcmp(a->key, b->key);
}

typedef struct run_page {
  const tf_report_run *r;
  const tf_report_group **costs; /* sorted */
} run_page;

static void run_data(tf_json *j, const void *ctx) {
  const run_page *pg = ctx;
  const tf_report_run *r = pg->r;
  tf_json_begin_object(j);
  tf_json_key(j, "kind");
  tf_json_string(j, "run");
  tf_json_key(j, "run_id");
  tf_json_int(j, r->run_id);
  tf_json_key(j, "scenario");
  tf_json_string(j, r->scenario_name);
  tf_json_key(j, "metrics");
  tf_json_begin_object(j);
  for (size_t i = 0; i < r->n_metrics; i++) {
    if (r->metrics[i].text)
      continue;
    tf_json_key(j, r->metrics[i].name);
    tf_json_number(j, r->metrics[i].value);
  }
  tf_json_end_object(j);
  tf_json_key(j, "classes");
  tf_json_begin_array(j);
  for (size_t c = 0; c < r->n_classes; c++) {
    const tf_report_group *g = &r->classes[c];
    tf_json_begin_object(j);
    tf_json_key(j, "class");
    tf_json_string(j, g->key);
    tf_json_key(j, "m");
    tf_json_begin_object(j);
    for (size_t i = 0; i < g->n_metrics; i++) {
      if (g->metrics[i].text)
        continue;
      tf_json_key(j, g->metrics[i].name);
      tf_json_number(j, g->metrics[i].value);
    }
    tf_json_end_object(j);
    tf_json_end_object(j);
  }
  tf_json_end_array(j);
  tf_json_key(j, "series");
  tf_json_begin_object(j);
  tf_json_key(j, "t_s");
  tf_json_begin_array(j);
  for (size_t t = 0; t < r->n_times; t++)
    tf_json_number(j, r->t_s[t]);
  tf_json_end_array(j);
  tf_json_key(j, "cols");
  tf_json_begin_object(j);
  for (size_t k = 0; k < r->n_series; k++) {
    tf_json_key(j, r->series_names[k]);
    tf_json_begin_array(j);
    for (size_t t = 0; t < r->n_times; t++)
      tf_json_number(j, r->series_values[t * r->n_series + k]);
    tf_json_end_array(j);
  }
  tf_json_end_object(j);
  tf_json_end_object(j);
  tf_json_key(j, "costs");
  tf_json_begin_array(j);
  for (size_t c = 0; c < r->n_costs; c++) {
    const tf_report_group *g = pg->costs[c];
    tf_json_begin_object(j);
    tf_json_key(j, "component");
    tf_json_string(j, g->key);
    tf_json_key(j, "label");
    tf_json_string(j, cost_label_of(g->key));
    static const char *const names[] = {"usd_per_year", "share", "cost_per_mtok_out_usd"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
      tf_json_key(j, names[i]);
      tf_json_number(j, group_value(g, names[i]));
    }
    tf_json_end_object(j);
  }
  tf_json_end_array(j);
  tf_json_end_object(j);
}

static void run_headline(FILE *f, const tf_report_run *r) {
  char a[TF_NUMFMT_MAX], b[TF_NUMFMT_MAX], c[TF_NUMFMT_MAX], sub[3 * TF_NUMFMT_MAX + 64];
  const char *no_econ = "no economics section in the scenario";
  fputs("<section id=\"headline\">\n<h2>Headline</h2>\n<dl class=\"tiles\">\n", f);
  tf_numfmt_count(run_value(r, "input_tokens_per_s"), "tok/s", a, sizeof a);
  tf_numfmt_count(run_value(r, "requests_per_s"), "req/s", b, sizeof b);
  snprintf(sub, sizeof sub, "input %s; %s completed", a, b);
  metric_tile(f, "Output tokens/s", run_value(r, "output_tokens_per_s"), FMT_COUNT, "tok/s", 1,
              sub, NULL);
  metric_tile(f, "Goodput", run_value(r, "goodput_output_tokens_per_s"), FMT_COUNT, "tok/s", 1,
              "output tokens of requests meeting their SLO", NULL);
  metric_tile(f, "SLO attainment", run_value(r, "slo_attainment"), FMT_PCT, "", 1,
              "of completed requests", "no request completed");
  tf_numfmt_count(run_value(r, "output_tokens_per_s_per_mw_it"), "tok/s/MW", a, sizeof a);
  snprintf(sub, sizeof sub, "of facility power; %s of IT power", a);
  metric_tile(f, "Output tokens/s per MW", run_value(r, "output_tokens_per_s_per_mw_facility"),
              FMT_COUNT, "tok/s/MW", 1, sub, NULL);
  metric_tile(f, "Energy per output token", run_value(r, "joules_per_output_token"), FMT_SI, "J",
              1, "IT energy over the window", NULL);
  tf_numfmt_si(run_value(r, "it_power_avg_mw") * 1e6, "W", a, sizeof a);
  tf_numfmt_si(run_value(r, "it_power_peak_mw") * 1e6, "W", b, sizeof b);
  tf_numfmt_si(run_value(r, "it_envelope_mw") * 1e6, "W", c, sizeof c);
  snprintf(sub, sizeof sub, "IT %s mean, %s peak, envelope %s", a, b, c);
  metric_tile(f, "Facility power", run_value(r, "facility_power_avg_mw"), FMT_SI, "W", 1e6, sub,
              NULL);
  const char *alloc = tf_report_text(r->metrics, r->n_metrics, "allocation");
  snprintf(sub, sizeof sub, "allocation rule: %s", alloc ? alloc : "n/a");
  metric_tile(f, "Cost per million output tokens", run_value(r, "cost_per_mtok_out_usd"),
              FMT_USD, "/ M tok", 1, sub, no_econ);
  metric_tile(f, "Cost per million input tokens", run_value(r, "cost_per_mtok_in_usd"), FMT_USD,
              "/ M tok", 1, sub, no_econ);
  tf_numfmt_usd(run_value(r, "capex_usd"), a, sizeof a);
  tf_numfmt_usd(run_value(r, "cost_per_gpu_hour_usd"), b, sizeof b);
  snprintf(sub, sizeof sub, "capex %s; %s per GPU-hour all in", a, b);
  metric_tile(f, "TCO per year", run_value(r, "tco_per_year_usd"), FMT_USD, "/ year", 1, sub,
              no_econ);
  const char *binding = tf_report_text(r->metrics, r->n_metrics, "binding_constraint");
  tile(f, "Binding constraint", binding ? binding : TF_NUMFMT_NA,
       "what limits the factory (docs/RESULTS.md)");
  fputs("</dl>\n</section>\n", f);
}

static void run_scenario(FILE *f, const tf_report_run *r) {
  char buf[64];
  fputs("<section id=\"scenario\">\n<h2>Scenario</h2>\n<table class=\"kv\">\n", f);
  kv_row(f, "scenario", r->scenario_name, false);
  if (r->scenario_path)
    kv_row(f, "file", r->scenario_path, true);
  kv_row(f, "SHA-256", r->scenario_sha256, true);
  snprintf(buf, sizeof buf, "%" PRIu64, r->seed);
  kv_row(f, "seed", buf, true);
  kv_row(f, "tokenfab version", r->version, false);
  kv_row(f, "started (UTC)", r->started_utc, false);
  char wall[TF_NUMFMT_MAX];
  tf_numfmt_si(r->wall_s, "s", wall, sizeof wall);
  kv_row(f, "wall time", wall, false);
  tf_numfmt_si(run_value(r, "window_s"), "s", wall, sizeof wall);
  kv_row(f, "measured window (simulated)", wall, false);
  if (r->overrides && r->overrides[0])
    kv_row(f, "overrides (--set)", r->overrides, true);
  if (r->sweep_id >= 0) {
    snprintf(buf, sizeof buf, "sweep %" PRId64 ", point %" PRId64, r->sweep_id, r->sweep_point);
    kv_row(f, "part of", buf, false);
  }
  fputs("</table>\n<details><summary>Scenario file as run</summary>\n<pre>", f);
  tf_html_report_escape(f, r->scenario_text, r->scenario_len);
  fputs("</pre></details>\n</section>\n", f);
}

/* One latency figure's cells: p50, p90, p99, then the target; p99 above the target marked. */
static void latency_cells(FILE *f, const tf_report_group *g, const char *what) {
  char name[32];
  double target = group_value(g, strcmp(what, "ttft") == 0 ? "slo_ttft_s" : "slo_tpot_s");
  static const char *const pcts[] = {"p50", "p90", "p99"};
  for (size_t i = 0; i < 3; i++) {
    snprintf(name, sizeof name, "%s_%s_s", what, pcts[i]);
    double v = group_value(g, name);
    num_cell(f, v, FMT_SI, "s", 1, i == 2 && isfinite(target) && v > target ? "over" : NULL);
  }
  num_cell(f, target, FMT_SI, "s", 1, NULL);
}

static void run_latency(FILE *f, const tf_report_run *r) {
  fputs("<section id=\"latency\">\n<h2>Latency per class</h2>\n<div class=\"charts\">\n", f);
  chart_box(f, "chart-ttft", "Time to first token per class, p50, p90 and p99",
            "Bars: percentiles over the class's completed requests; red marks: the class's SLO "
            "target.",
            false);
  chart_box(f, "chart-tpot", "Time per output token per class, p50, p90 and p99",
            "Bars: percentiles over the class's completed requests; red marks: the class's SLO "
            "target.",
            false);
  fputs("</div>\n<div class=\"wide\"><table id=\"classes\">\n<thead><tr><th>class</th>"
        "<th>requests/s</th><th>output tokens/s</th><th>SLO attainment</th>"
        "<th>TTFT p50</th><th>TTFT p90</th><th>TTFT p99</th><th>TTFT target</th>"
        "<th>TPOT p50</th><th>TPOT p90</th><th>TPOT p99</th><th>TPOT target</th>"
        "<th>completed</th><th>preempted</th><th>rejected</th></tr></thead>\n<tbody>\n",
        f);
  for (size_t c = 0; c < r->n_classes; c++) {
    const tf_report_group *g = &r->classes[c];
    fputs("<tr><td>", f);
    esc(f, g->key);
    fputs("</td>", f);
    num_cell(f, group_value(g, "requests_per_s"), FMT_COUNT, "", 1, NULL);
    num_cell(f, group_value(g, "output_tokens_per_s"), FMT_COUNT, "", 1, NULL);
    num_cell(f, group_value(g, "slo_attainment"), FMT_PCT, "", 1, NULL);
    latency_cells(f, g, "ttft");
    latency_cells(f, g, "tpot");
    num_cell(f, group_value(g, "completed"), FMT_INT, "", 1, NULL);
    num_cell(f, group_value(g, "preemptions"), FMT_INT, "", 1, NULL);
    num_cell(f, group_value(g, "rejected"), FMT_INT, "", 1, NULL);
    fputs("</tr>\n", f);
  }
  fputs("</tbody></table></div>\n<p class=\"note\">A p99 in red is above its class's target. "
        "TTFT: arrival to first output token; TPOT: time per output token after the first.</p>\n"
        "</section>\n",
        f);
}

static void run_series(FILE *f) {
  fputs("<section id=\"series\">\n<h2>Power and load over time</h2>\n<div class=\"charts\">\n", f);
  chart_box(f, "chart-power", "IT and facility power against the IT envelope",
            "Means over each interval of the time series; facility power is IT power times "
            "the PUE.",
            false);
  chart_box(f, "chart-queue", "Requests waiting and in the system",
            "At the end of each interval: waiting for admission to a batch, and all requests in "
            "the system.",
            false);
  fputs("</div>\n</section>\n", f);
}

static void run_costs(FILE *f, const tf_report_run *r, const tf_report_group *const *costs) {
  fputs("<section id=\"costs\">\n<h2>Cost breakdown</h2>\n", f);
  if (r->n_costs == 0) {
    fputs("<p class=\"note\">No costs: the scenario has no economics section "
          "(docs/ECONOMICS.md).</p>\n</section>\n",
          f);
    return;
  }
  fputs("<div class=\"charts\">\n", f);
  chart_box(f, "chart-costs", "Cost a year by component",
            "Each line of the total cost of ownership a year; capital lines are capital charges "
            "over the assets' lives.",
            false);
  fputs("<div class=\"wide\"><table id=\"cost-table\">\n<thead><tr><th>component</th>"
        "<th>USD a year</th><th>share</th><th>USD per M output tokens</th></tr></thead>\n"
        "<tbody>\n",
        f);
  for (size_t c = 0; c < r->n_costs; c++) {
    const tf_report_group *g = costs[c];
    fputs(strcmp(g->key, "total") == 0 ? "<tr class=\"total\"><td>" : "<tr><td>", f);
    esc(f, cost_label_of(g->key));
    fputs("</td>", f);
    num_cell(f, group_value(g, "usd_per_year"), FMT_USD, "", 1, NULL);
    num_cell(f, group_value(g, "share"), FMT_PCT, "", 1, NULL);
    num_cell(f, group_value(g, "cost_per_mtok_out_usd"), FMT_USD, "", 1, NULL);
    fputs("</tr>\n", f);
  }
  fputs("</tbody></table>\n<p class=\"note\">Per M output tokens: each line's cost over the "
        "window's output tokens, as if all cost fell on output tokens; the headline figures "
        "follow the allocation rule.</p></div>\n</div>\n</section>\n",
        f);
}

/* Failure impact, when the scenario has failures (docs/FAILURES.md). */
static void run_failures(FILE *f, const tf_report_run *r) {
  double failures = run_value(r, "failures");
  double without = run_value(r, "output_tokens_per_s_no_failures");
  if (!(isfinite(without) || (isfinite(failures) && failures > 0)))
    return;
  char a[TF_NUMFMT_MAX], b[TF_NUMFMT_MAX];
  fputs("<section id=\"failures\">\n<h2>Failure impact</h2>\n<table class=\"kv\">\n", f);
  tf_numfmt_percent(run_value(r, "availability"), a, sizeof a);
  kv_row(f, "availability (replica time up)", a, false);
  format(failures, FMT_INT, "", 1, a, sizeof a);
  kv_row(f, "component failures", a, false);
  format(run_value(r, "requests_retried"), FMT_INT, "", 1, a, sizeof a);
  kv_row(f, "requests retried", a, false);
  tf_numfmt_count(run_value(r, "tokens_lost"), "tokens", a, sizeof a);
  kv_row(f, "tokens computed and lost", a, false);
  tf_numfmt_count(run_value(r, "output_tokens_per_s"), "tok/s", a, sizeof a);
  tf_numfmt_count(without, "tok/s", b, sizeof b);
  char line[2 * TF_NUMFMT_MAX + 32];
  snprintf(line, sizeof line, "%s with failures, %s without", a, b);
  kv_row(f, "output tokens/s", line, false);
  tf_numfmt_percent(run_value(r, "slo_attainment"), a, sizeof a);
  tf_numfmt_percent(run_value(r, "slo_attainment_no_failures"), b, sizeof b);
  snprintf(line, sizeof line, "%s with failures, %s without", a, b);
  kv_row(f, "SLO attainment", line, false);
  fputs("</table>\n</section>\n", f);
}

int tf_html_report_write_run(FILE *f, const tf_report_run *r, const tf_html_report_opts *o) {
  assert(f && r && o && o->chartjs);
  const tf_report_group **costs = malloc((r->n_costs ? r->n_costs : 1) * sizeof *costs);
  if (!costs)
    return TF_FAIL(TF_ENOMEM, "out of memory writing the report");
  for (size_t c = 0; c < r->n_costs; c++)
    costs[c] = &r->costs[c];
  qsort(costs, r->n_costs, sizeof *costs, compare_costs);
  char title[512], sub[512];
  snprintf(title, sizeof title, "%s: run %" PRId64 " (tokenfab report)", r->scenario_name,
           r->run_id);
  page_head(f, title);
  snprintf(title, sizeof title, "%s: run %" PRId64, r->scenario_name, r->run_id);
  snprintf(sub, sizeof sub, "seed %" PRIu64 ", started %s, tokenfab %s, scenario SHA-256 %.12s",
           r->seed, r->started_utc, r->version, r->scenario_sha256);
  page_top(f, title, sub);
  run_headline(f, r);
  run_latency(f, r);
  run_series(f);
  run_costs(f, r, costs);
  run_failures(f, r);
  run_scenario(f, r);
  run_page pg = {r, costs};
  page_end(f, o, run_data, &pg);
  free(costs);
  return ferror(f) ? TF_FAIL(TF_EIO, "cannot write the report") : 0;
}

/* ---- a sweep ---- */

/* The points table's metric columns. */
typedef struct sweep_column {
  tf_report_sweep_metric m;
  const char *title;
  fmt_kind kind;
  const char *unit;
  double scale;
} sweep_column;
static const sweep_column SWEEP_COLUMNS[] = {
    {TF_RSM_OUTPUT_TOKENS_PER_S, "output tokens/s", FMT_COUNT, "", 1},
    {TF_RSM_GOODPUT_OUTPUT_TOKENS_PER_S, "goodput tokens/s", FMT_COUNT, "", 1},
    {TF_RSM_SLO_ATTAINMENT, "SLO attainment", FMT_PCT, "", 1},
    {TF_RSM_TTFT_P99_S, "p99 TTFT", FMT_SI, "s", 1},
    {TF_RSM_TPOT_P99_S, "p99 TPOT", FMT_SI, "s", 1},
    {TF_RSM_OUTPUT_TOKENS_PER_S_PER_USER, "tokens/s per user", FMT_COUNT, "", 1},
    {TF_RSM_IT_POWER_AVG_MW, "IT power", FMT_SI, "W", 1e6},
    {TF_RSM_OUTPUT_TOKENS_PER_S_PER_MW_FACILITY, "tokens/s per MW", FMT_COUNT, "", 1},
    {TF_RSM_JOULES_PER_OUTPUT_TOKEN, "J per token", FMT_SI, "J", 1},
    {TF_RSM_COST_PER_MTOK_OUT_USD, "USD per M output tokens", FMT_USD, "", 1},
    {TF_RSM_TCO_PER_YEAR_USD, "TCO a year", FMT_USD, "", 1},
};
enum { N_SWEEP_COLUMNS = sizeof SWEEP_COLUMNS / sizeof SWEEP_COLUMNS[0] };

/* The frontiers as plotted: x across, y up (a frontier is the same set whichever objective is
 * called x), with the words of docs/SWEEPS.md. */
static const struct {
  const char *name, *title;
  tf_report_sweep_metric x, y;
} FRONT_PLOTS[TF_REPORT_FRONTS] = {
    [TF_REPORT_FRONT_POWER] = {"power", "efficiency against interactivity",
                               TF_RSM_OUTPUT_TOKENS_PER_S_PER_USER,
                               TF_RSM_OUTPUT_TOKENS_PER_S_PER_MW_FACILITY},
    [TF_REPORT_FRONT_COST_TTFT] = {"cost_ttft", "cost against p99 TTFT", TF_RSM_TTFT_P99_S,
                                   TF_RSM_COST_PER_MTOK_OUT_USD},
    [TF_REPORT_FRONT_COST_TPOT] = {"cost_tpot", "cost against p99 TPOT", TF_RSM_TPOT_P99_S,
                                   TF_RSM_COST_PER_MTOK_OUT_USD},
};

typedef struct sweep_page {
  const tf_report_sweep *s;
  size_t *order[TF_REPORT_FRONTS]; /* each frontier's points in plotting order */
  size_t n_order[TF_REPORT_FRONTS];
} sweep_page;

static void sweep_data(tf_json *j, const void *ctx) {
  const sweep_page *pg = ctx;
  const tf_report_sweep *s = pg->s;
  tf_json_begin_object(j);
  tf_json_key(j, "kind");
  tf_json_string(j, "sweep");
  tf_json_key(j, "sweep_id");
  tf_json_int(j, s->sweep_id);
  tf_json_key(j, "axes");
  tf_json_begin_array(j);
  for (size_t a = 0; a < s->n_axes; a++)
    tf_json_string(j, s->axes[a]);
  tf_json_end_array(j);
  tf_json_key(j, "metrics");
  tf_json_begin_array(j);
  for (int m = 0; m < TF_RSM_COUNT; m++)
    tf_json_string(j, tf_report_sweep_metric_names[m]);
  tf_json_end_array(j);
  tf_json_key(j, "points");
  tf_json_begin_array(j);
  for (size_t p = 0; p < s->n_pts; p++) {
    const tf_report_sweep_point *pt = &s->pts[p];
    tf_json_begin_object(j);
    tf_json_key(j, "point");
    tf_json_int(j, pt->point);
    tf_json_key(j, "reps");
    tf_json_int(j, pt->replications);
    tf_json_key(j, "labels");
    tf_json_begin_array(j);
    for (size_t a = 0; a < s->n_axes; a++)
      tf_json_string(j, pt->labels[a]);
    tf_json_end_array(j);
    tf_json_key(j, "m");
    tf_json_begin_array(j);
    for (int m = 0; m < TF_RSM_COUNT; m++)
      tf_json_number(j, pt->mean[m]);
    tf_json_end_array(j);
    tf_json_key(j, "binding");
    tf_json_string(j, pt->binding);
    tf_json_key(j, "front");
    tf_json_begin_array(j);
    for (int f = 0; f < TF_REPORT_FRONTS; f++)
      tf_json_bool(j, pt->front[f]);
    tf_json_end_array(j);
    tf_json_end_object(j);
  }
  tf_json_end_array(j);
  tf_json_key(j, "fronts");
  tf_json_begin_array(j);
  for (int f = 0; f < TF_REPORT_FRONTS; f++) {
    tf_json_begin_object(j);
    tf_json_key(j, "name");
    tf_json_string(j, FRONT_PLOTS[f].name);
    tf_json_key(j, "x");
    tf_json_string(j, tf_report_sweep_metric_names[FRONT_PLOTS[f].x]);
    tf_json_key(j, "y");
    tf_json_string(j, tf_report_sweep_metric_names[FRONT_PLOTS[f].y]);
    tf_json_key(j, "order");
    tf_json_begin_array(j);
    for (size_t k = 0; k < pg->n_order[f]; k++)
      tf_json_int(j, (int64_t)pg->order[f][k]);
    tf_json_end_array(j);
    tf_json_end_object(j);
  }
  tf_json_end_array(j);
  tf_json_key(j, "effects");
  tf_json_begin_array(j);
  for (size_t a = 0; a < s->n_axes; a++) {
    const tf_report_axis_effect *e = &s->effects[a];
    tf_json_begin_object(j);
    tf_json_key(j, "axis");
    tf_json_string(j, s->axes[a]);
    tf_json_key(j, "values");
    tf_json_begin_array(j);
    for (size_t k = 0; k < e->n_values; k++)
      tf_json_string(j, e->values[k]);
    tf_json_end_array(j);
    tf_json_key(j, "mean_cost");
    tf_json_begin_array(j);
    for (size_t k = 0; k < e->n_values; k++)
      tf_json_number(j, e->mean_cost_usd[k]);
    tf_json_end_array(j);
    tf_json_key(j, "n");
    tf_json_begin_array(j);
    for (size_t k = 0; k < e->n_values; k++)
      tf_json_int(j, (int64_t)e->n_points[k]);
    tf_json_end_array(j);
    tf_json_end_object(j);
  }
  tf_json_end_array(j);
  tf_json_end_object(j);
}

/* The point with the best (largest, or smallest when min) finite mean of m; -1: none. */
static long best_point(const tf_report_sweep *s, tf_report_sweep_metric m, bool min) {
  long best = -1;
  for (size_t p = 0; p < s->n_pts; p++) {
    double v = s->pts[p].mean[m];
    if (isfinite(v) && (best < 0 || (min ? v < s->pts[best].mean[m] : v > s->pts[best].mean[m])))
      best = (long)p;
  }
  return best;
}

/* "rate = 10/s, max_batch_seqs = 64" for point p. */
static void point_params(FILE *f, const tf_report_sweep *s, size_t p) {
  for (size_t a = 0; a < s->n_axes; a++) {
    fputs(a ? ", " : "", f);
    esc(f, s->axes[a]);
    fputs(" = ", f);
    esc(f, s->pts[p].labels[a]);
  }
}

static void best_tile(FILE *f, const tf_report_sweep *s, const char *label, long p,
                      tf_report_sweep_metric m, fmt_kind kind, const char *unit) {
  char text[TF_NUMFMT_MAX + 32];
  format(p >= 0 ? s->pts[p].mean[m] : NAN, kind, unit, 1, text, sizeof text);
  fputs("<div class=\"tile\"><dt>", f);
  esc(f, label);
  fputs("</dt><dd>", f);
  esc(f, text);
  if (p >= 0) {
    fprintf(f, "<small>point %" PRId64 ": ", s->pts[p].point);
    point_params(f, s, (size_t)p);
    fputs("</small>", f);
  } else {
    fputs("<small>no point has this figure</small>", f);
  }
  fputs("</dd></div>\n", f);
}

static void sweep_headline(FILE *f, const tf_report_sweep *s) {
  char text[64], sub[128];
  fputs("<section id=\"headline\">\n<h2>Headline</h2>\n<dl class=\"tiles\">\n", f);
  snprintf(text, sizeof text, "%zu of %" PRId64, s->n_pts, s->points);
  snprintf(sub, sizeof sub, "%zu axes, %" PRId64 " replication%s per point", s->n_axes,
           s->replications, s->replications == 1 ? "" : "s");
  tile(f, "Points with results", text, sub);
  best_tile(f, s, "Most output tokens/s per MW",
            best_point(s, TF_RSM_OUTPUT_TOKENS_PER_S_PER_MW_FACILITY, false),
            TF_RSM_OUTPUT_TOKENS_PER_S_PER_MW_FACILITY, FMT_COUNT, "tok/s/MW");
  best_tile(f, s, "Most output tokens/s per user",
            best_point(s, TF_RSM_OUTPUT_TOKENS_PER_S_PER_USER, false),
            TF_RSM_OUTPUT_TOKENS_PER_S_PER_USER, FMT_COUNT, "tok/s");
  best_tile(f, s, "Lowest cost per million output tokens",
            best_point(s, TF_RSM_COST_PER_MTOK_OUT_USD, true), TF_RSM_COST_PER_MTOK_OUT_USD,
            FMT_USD, "/ M tok");
  best_tile(f, s, "Lowest p99 TTFT", best_point(s, TF_RSM_TTFT_P99_S, true), TF_RSM_TTFT_P99_S,
            FMT_SI, "s");
  fputs("</dl>\n</section>\n", f);
}

static void sweep_fronts(FILE *f) {
  fputs("<section id=\"frontiers\">\n<h2>Pareto frontiers</h2>\n<p class=\"sub\">Every point of "
        "the sweep (means over its replications); the frontier's points, which no other point "
        "beats in both figures, in red and joined in x order. Hover a point for its parameters "
        "and metrics.</p>\n<div class=\"charts\">\n",
        f);
  chart_box(f, "chart-front-power",
            "Output tokens/s per MW of facility power against output tokens/s per user",
            "Efficiency against interactivity: up and to the right is better.", false);
  chart_box(f, "chart-front-ttft", "Cost per million output tokens against p99 TTFT",
            "Cost against latency: down and to the left is better.", false);
  chart_box(f, "chart-front-tpot", "Cost per million output tokens against p99 TPOT",
            "Cost against latency: down and to the left is better.", false);
  fputs("</div>\n</section>\n", f);
}

static void sweep_effects(FILE *f, const tf_report_sweep *s) {
  fputs("<section id=\"sensitivity\">\n<h2>Cost per token by parameter</h2>\n<p class=\"sub\">"
        "For each swept parameter, the mean cost per million output tokens of the points with "
        "each of its values, averaging over the other parameters.</p>\n",
        f);
  if (s->n_axes == 0) {
    fputs("<p class=\"note\">The sweep has no axes.</p>\n</section>\n", f);
    return;
  }
  fputs("<div class=\"charts\">\n", f);
  for (size_t a = 0; a < s->n_axes; a++) {
    char id[48];
    snprintf(id, sizeof id, "chart-effect-%zu", a);
    fputs("<div>", f);
    chart_box(f, id, s->axes[a], NULL, true);
    const tf_report_axis_effect *e = &s->effects[a];
    fputs("<table><thead><tr><th class=\"text\">", f);
    esc(f, s->axes[a]);
    fputs("</th><th>mean USD per M output tokens</th><th>points</th></tr></thead><tbody>\n", f);
    for (size_t k = 0; k < e->n_values; k++) {
      fputs("<tr><td class=\"mono\">", f);
      esc(f, e->values[k]);
      fputs("</td>", f);
      num_cell(f, e->mean_cost_usd[k], FMT_USD, "", 1, NULL);
      num_cell(f, (double)e->n_points[k], FMT_INT, "", 1, NULL);
      fputs("</tr>\n", f);
    }
    fputs("</tbody></table></div>\n", f);
  }
  fputs("</div>\n</section>\n", f);
}

static void sweep_table(FILE *f, const tf_report_sweep *s) {
  static const char *const front_words[TF_REPORT_FRONTS] = {"efficiency", "cost-TTFT",
                                                            "cost-TPOT"};
  fputs("<section id=\"points\">\n<h2>Points</h2>\n<p class=\"sub\">Means over each point's "
        "replications. Click a column's header to sort by it; &#9670; marks a point on a "
        "frontier.</p>\n<div class=\"wide\"><table id=\"points-table\" class=\"sortable\">\n"
        "<thead><tr><th data-type=\"num\">point</th>",
        f);
  for (size_t a = 0; a < s->n_axes; a++) {
    fputs("<th class=\"text\">", f);
    esc(f, s->axes[a]);
    fputs("</th>", f);
  }
  fputs("<th data-type=\"num\">replications</th>", f);
  for (int c = 0; c < N_SWEEP_COLUMNS; c++) {
    fputs("<th data-type=\"num\">", f);
    esc(f, SWEEP_COLUMNS[c].title);
    fputs("</th>", f);
  }
  fputs("<th class=\"text\">binding</th><th class=\"text\">frontiers</th></tr></thead>\n<tbody>\n",
        f);
  for (size_t p = 0; p < s->n_pts; p++) {
    const tf_report_sweep_point *pt = &s->pts[p];
    bool any = false;
    for (int k = 0; k < TF_REPORT_FRONTS; k++)
      any = any || pt->front[k];
    fprintf(f, "<tr%s><td data-v=\"%" PRId64 "\">%" PRId64 "</td>", any ? " class=\"front\"" : "",
            pt->point, pt->point);
    for (size_t a = 0; a < s->n_axes; a++) {
      fputs("<td class=\"text mono\">", f);
      esc(f, pt->labels[a]);
      fputs("</td>", f);
    }
    num_cell(f, (double)pt->replications, FMT_INT, "", 1, NULL);
    for (int c = 0; c < N_SWEEP_COLUMNS; c++) {
      const sweep_column *col = &SWEEP_COLUMNS[c];
      num_cell(f, pt->mean[col->m], col->kind, col->unit, col->scale, NULL);
    }
    fputs("<td class=\"text\">", f);
    esc(f, pt->binding ? pt->binding : "");
    fputs("</td><td class=\"text\">", f);
    for (int k = 0, n = 0; k < TF_REPORT_FRONTS; k++)
      if (pt->front[k])
        fprintf(f, "%s%s", n++ ? ", " : "", front_words[k]);
    fputs("</td></tr>\n", f);
  }
  fputs("</tbody></table></div>\n</section>\n", f);
}

static void sweep_about(FILE *f, const tf_report_sweep *s) {
  char buf[160];
  fputs("<section id=\"scenario\">\n<h2>Sweep</h2>\n<table class=\"kv\">\n", f);
  kv_row(f, "scenario", s->scenario_name, false);
  kv_row(f, "scenario SHA-256", s->scenario_sha256, true);
  kv_row(f, "sweep key", s->key, true);
  snprintf(buf, sizeof buf, "%" PRIu64, s->master_seed);
  kv_row(f, "master seed", buf, true);
  snprintf(buf, sizeof buf, "%" PRId64 " points x %" PRId64 " replications", s->points,
           s->replications);
  kv_row(f, "defined", buf, false);
  if (s->version_first) {
    if (strcmp(s->version_first, s->version_last) == 0)
      snprintf(buf, sizeof buf, "%s", s->version_first);
    else
      snprintf(buf, sizeof buf, "%s to %s", s->version_first, s->version_last);
    kv_row(f, "tokenfab version", buf, false);
    snprintf(buf, sizeof buf, "%s to %s", s->started_first, s->started_last);
    kv_row(f, "runs started (UTC)", buf, false);
  }
  fputs("</table>\n<details><summary>Sweep definition</summary>\n<pre>", f);
  esc(f, s->definition);
  fputs("</pre></details>\n</section>\n", f);
}

int tf_html_report_write_sweep(FILE *f, const tf_report_sweep *s, const tf_html_report_opts *o) {
  assert(f && s && o && o->chartjs);
  sweep_page pg = {.s = s};
  size_t n = s->n_pts;
  double *x = malloc((n ? n : 1) * sizeof *x), *y = malloc((n ? n : 1) * sizeof *y);
  bool *on = malloc((n ? n : 1) * sizeof *on);
  int status = x && y && on ? 0 : TF_ENOMEM;
  for (int k = 0; status == 0 && k < TF_REPORT_FRONTS; k++) {
    for (size_t p = 0; p < n; p++) {
      x[p] = s->pts[p].mean[FRONT_PLOTS[k].x];
      y[p] = s->pts[p].mean[FRONT_PLOTS[k].y];
      on[p] = s->pts[p].front[k];
    }
    pg.order[k] = malloc((n ? n : 1) * sizeof *pg.order[k]);
    if (!pg.order[k])
      status = TF_ENOMEM;
    else
      pg.n_order[k] = tf_pareto_order(n, x, y, on, pg.order[k], n);
  }
  free(x);
  free(y);
  free(on);
  if (status == 0) {
    char title[512], sub[512];
    snprintf(title, sizeof title, "%s: sweep %" PRId64 " (tokenfab report)", s->scenario_name,
             s->sweep_id);
    page_head(f, title);
    snprintf(title, sizeof title, "%s: sweep %" PRId64, s->scenario_name, s->sweep_id);
    snprintf(sub, sizeof sub,
             "%zu of %" PRId64 " points with results, %" PRId64 " replication%s each, master "
             "seed %" PRIu64 ", scenario SHA-256 %.12s",
             s->n_pts, s->points, s->replications, s->replications == 1 ? "" : "s",
             s->master_seed, s->scenario_sha256);
    page_top(f, title, sub);
    sweep_headline(f, s);
    sweep_fronts(f);
    sweep_effects(f, s);
    sweep_table(f, s);
    sweep_about(f, s);
    page_end(f, o, sweep_data, &pg);
  }
  for (int k = 0; k < TF_REPORT_FRONTS; k++)
    free(pg.order[k]);
  if (status)
    return TF_FAIL(status, "out of memory writing the report");
  return ferror(f) ? TF_FAIL(TF_EIO, "cannot write the report") : 0;
}

/* ---- the file ---- */

/* mkstemp makes files readable by their owner only; the page gets what any new file would
 * (0666 less the umask), like csv_out.c's files. */
static mode_t file_mode(void) {
  mode_t mask = umask(0);
  umask(mask);
  return 0666 & ~mask;
}

int tf_html_report_save(const char *path, const tf_report_run *run, const tf_report_sweep *sweep,
                        const tf_html_report_opts *o, char *err, size_t err_size) {
  assert(path && o && (run != NULL) != (sweep != NULL));
  char tmp[4096];
  const char *slash = strrchr(path, '/');
  int dir_len = slash ? (int)(slash - path) : 1;
  int m = snprintf(tmp, sizeof tmp, "%.*s/.%s.XXXXXX", dir_len, slash ? path : ".",
                   slash ? slash + 1 : path);
  if (m < 0 || (size_t)m >= sizeof tmp || (slash && slash[1] == '\0'))
    return tf_fail_into(err, err_size, TF_EIO, "%s: not a file name the report can be written to",
                        path);
  int fd = mkstemp(tmp);
  if (fd >= 0 && fchmod(fd, file_mode()) != 0) {
    close(fd);
    remove(tmp);
    fd = -1;
  }
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!f) {
    int status = tf_fail_into(err, err_size, TF_EIO, "cannot create a file in the folder of %s: %s",
                              path, strerror(errno));
    if (fd >= 0) {
      close(fd);
      remove(tmp);
    }
    return status;
  }
  int rc = run ? tf_html_report_write_run(f, run, o) : tf_html_report_write_sweep(f, sweep, o);
  int saved = errno;
  if (rc == 0 && (fflush(f) != 0 || fsync(fileno(f)) != 0)) {
    rc = TF_EIO;
    saved = errno;
  }
  if (fclose(f) != 0 && rc == 0) {
    rc = TF_EIO;
    saved = errno;
  }
  if (rc == 0 && rename(tmp, path) != 0) {
    rc = TF_EIO;
    saved = errno;
  }
  if (rc) {
    remove(tmp);
    return tf_fail_into(err, err_size, rc == TF_ENOMEM ? TF_ENOMEM : TF_EIO, "cannot write %s: %s",
                        path, rc == TF_ENOMEM ? "out of memory" : strerror(saved));
  }
  return 0;
}

/* ---- the page's style and script ---- */

/* The page's style: readable on screen and on paper, no web fonts (the page works offline). */
static const char *const PAGE_CSS[] = {
    ":root {\n",
    "  --ink: #1b1f24;\n",
    "  --muted: #57606a;\n",
    "  --line: #d0d7de;\n",
    "  --bg: #f6f8fa;\n",
    "  --accent: #1f77b4;\n",
    "  --bad: #b42318;\n",
    "}\n",
    "* { box-sizing: border-box; }\n",
    "body {\n",
    "  margin: 0 auto;\n",
    "  max-width: 1200px;\n",
    "  padding: 24px;\n",
    "  font: 15px/1.45 system-ui, -apple-system, \"Segoe UI\", Roboto, sans-serif;\n",
    "  color: var(--ink);\n",
    "  background: #fff;\n",
    "}\n",
    "h1 { font-size: 26px; margin: 0 0 4px; }\n",
    "h2 {\n",
    "  font-size: 19px;\n",
    "  margin: 32px 0 10px;\n",
    "  padding-bottom: 4px;\n",
    "  border-bottom: 1px solid var(--line);\n",
    "}\n",
    "h3 { font-size: 15px; margin: 16px 0 6px; }\n",
    ".sub { color: var(--muted); margin: 0 0 8px; }\n",
    ".tiles {\n",
    "  display: grid;\n",
    "  grid-template-columns: repeat(auto-fill, minmax(210px, 1fr));\n",
    "  gap: 10px;\n",
    "  margin: 0;\n",
    "}\n",
    ".tile {\n",
    "  background: var(--bg);\n",
    "  border: 1px solid var(--line);\n",
    "  border-radius: 8px;\n",
    "  padding: 10px 12px;\n",
    "}\n",
    ".tile dt { color: var(--muted); font-size: 13px; }\n",
    ".tile dd { margin: 2px 0 0; font-size: 20px; font-weight: 600; }\n",
    ".tile dd small { display: block; font-size: 12px; font-weight: 400; color: var(--muted); }\n",
    "table { border-collapse: collapse; margin: 8px 0; font-size: 14px; }\n",
    "th, td {\n",
    "  padding: 4px 10px;\n",
    "  border-bottom: 1px solid var(--line);\n",
    "  text-align: right;\n",
    "  vertical-align: top;\n",
    "}\n",
    "th { background: var(--bg); font-weight: 600; }\n",
    "th:first-child, td:first-child, td.text, th.text { text-align: left; }\n",
    "table.kv th { text-align: left; font-weight: 500; color: var(--muted); background: none; }\n",
    "table.kv td { text-align: left; }\n",
    "table.sortable th { cursor: pointer; user-select: none; }\n",
    "table.sortable th[aria-sort=ascending]::after { content: \" \\25B2\"; }\n",
    "table.sortable th[aria-sort=descending]::after { content: \" \\25BC\"; }\n",
    ".wide { overflow-x: auto; }\n",
    "td[data-v], td.text { white-space: nowrap; }\n",
    "td.over { color: var(--bad); font-weight: 600; }\n",
    "tr.total td { font-weight: 600; }\n",
    "tr.front td:first-child::before { content: \"\\25C6 \"; color: #d62728; }\n",
    ".charts {\n",
    "  display: grid;\n",
    "  grid-template-columns: repeat(auto-fit, minmax(480px, 1fr));\n",
    "  gap: 16px;\n",
    "}\n",
    ".chart {\n",
    "  position: relative;\n",
    "  height: 320px;\n",
    "  border: 1px solid var(--line);\n",
    "  border-radius: 8px;\n",
    "  padding: 8px;\n",
    "}\n",
    ".chart.small { height: 240px; }\n",
    "figure { margin: 0; }\n",
    "figcaption { font-size: 13px; color: var(--muted); margin: 4px 0 0; }\n",
    "pre {\n",
    "  background: var(--bg);\n",
    "  border: 1px solid var(--line);\n",
    "  border-radius: 6px;\n",
    "  padding: 10px;\n",
    "  overflow-x: auto;\n",
    "  font-size: 13px;\n",
    "}\n",
    "details summary { cursor: pointer; color: var(--accent); }\n",
    ".note { color: var(--muted); font-style: italic; }\n",
    ".error { color: var(--bad); font-weight: 600; }\n",
    "code, .mono {\n",
    "  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;\n",
    "  font-size: 13px;\n",
    "}\n",
    "footer {\n",
    "  margin-top: 40px;\n",
    "  color: var(--muted);\n",
    "  font-size: 12px;\n",
    "  border-top: 1px solid var(--line);\n",
    "  padding-top: 8px;\n",
    "}\n",
    "@media print { .chart { break-inside: avoid; } details { display: none; } }\n",
    NULL,
};

/* The page's script, run after Chart.js: formatters mirroring numfmt.c, the charts from the
 * JSON data, the sortable table, and the status the browser test reads. */
static const char *const PAGE_JS[] = {
    "'use strict';\n",
    "/* The report's charts, drawn by the inlined Chart.js from the JSON in #report-data.\n",
    " * Once drawn, <html data-report-status> reads \"charts-ok N\": N charts, each with data\n",
    " * elements at finite places and painted pixels on its canvas (getImageData), and each\n",
    " * chart's tooltip built for its first point; a script error reads \"js-error: ...\".\n",
    " * tests/cli/report.sh reads it in headless Chromium. */\n",
    "(function () {\n",
    "  var D = JSON.parse(document.getElementById('report-data').textContent);\n",
    "  var charts = [];\n",
    "  var MIN_PIXELS = 500; /* axes and labels alone paint thousands; a blank canvas none */\n",
    "  var COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b',\n",
    "                '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];\n",
    "  var RED = '#d62728';\n",
    "\n",
    "  /* Numbers for people, by the rules of reports/numfmt.c: 3 significant digits. */\n",
    "  function finite(v) { return typeof v === 'number' && isFinite(v); }\n",
    "  function sig3(a) {\n",
    "    var s = a.toExponential(2), i = s.indexOf('e');\n",
    "    return {d: s.charAt(0) + s.slice(2, i), e: parseInt(s.slice(i + 1), 10)};\n",
    "  }\n",
    "  function place(d, k) {\n",
    "    var s, z;\n",
    "    if (k >= 3) {\n",
    "      s = d;\n",
    "      for (z = 3; z < k; z++) s += '0';\n",
    "      return s;\n",
    "    }\n",
    "    if (k >= 1) {\n",
    "      s = d.slice(0, k) + '.' + d.slice(k);\n",
    "    } else {\n",
    "      s = '0.';\n",
    "      for (z = 0; z < -k; z++) s += '0';\n",
    "      s += d;\n",
    "    }\n",
    "    return s.replace(/0+$/, '').replace(/\\.$/, '');\n",
    "  }\n",
    "  var PREFIX = {'-4': 'p', '-3': 'n', '-2': '\\u00b5', '-1': 'm', '0': '', '1': 'k',\n",
    "                '2': 'M', '3': 'G', '4': 'T'};\n",
    "  function fmtSI(v, unit) {\n",
    "    if (!finite(v)) return 'n/a';\n",
    "    var r = sig3(Math.abs(v)), g = v === 0 ? 0 : Math.floor(r.e / 3);\n",
    "    if (g < -4 || g > 4) return v.toPrecision(3) + ' ' + unit;\n",
    "    return (v < 0 ? '-' : '') + place(r.d, r.e - 3 * g + 1) + ' ' + PREFIX[g] + unit;\n",
    "  }\n",
    "  function countNumber(v) {\n",
    "    var r = sig3(Math.abs(v)), g = r.e >= 3 ? Math.floor(r.e / 3) : 0;\n",
    "    if (g > 4 || r.e < -6) return v.toPrecision(3);\n",
    "    var mult = ['', ' k', ' M', ' G', ' T'][g];\n",
    "    return (v < 0 ? '-' : '') + place(r.d, r.e - 3 * g + 1) + mult;\n",
    "  }\n",
    "  function fmtCount(v, unit) {\n",
    "    if (!finite(v)) return 'n/a';\n",
    "    return countNumber(v) + (unit ? ' ' + unit : '');\n",
    "  }\n",
    "  function fmtUSD(v) {\n",
    "    if (!finite(v)) return 'n/a';\n",
    "    return (v < 0 ? '-$' : '$') + countNumber(Math.abs(v));\n",
    "  }\n",
    "  function fmtPct(v) {\n",
    "    if (!finite(v)) return 'n/a';\n",
    "    var r = sig3(Math.abs(v * 100));\n",
    "    if (r.e < -6 || r.e > 5) return (v * 100).toPrecision(3) + ' %';\n",
    "    return (v < 0 ? '-' : '') + place(r.d, r.e + 1) + ' %';\n",
    "  }\n",
    "  window.tfFormat = {si: fmtSI, count: fmtCount, usd: fmtUSD, pct: fmtPct};\n",
    "\n",
    "  function setStatus(s, detail, tips) {\n",
    "    var root = document.documentElement;\n",
    "    if (/^js-error/.test(root.getAttribute('data-report-status') || '')) return;\n",
    "    root.setAttribute('data-report-status', s);\n",
    "    if (detail) root.setAttribute('data-report-detail', detail);\n",
    "    if (tips) root.setAttribute('data-report-tooltips', tips);\n",
    "    var el = document.getElementById('report-status');\n",
    "    if (el) el.textContent = s + (detail ? ' (' + detail + ')' : '');\n",
    "  }\n",
    "\n",
    "  function title(text) { return {display: true, text: text}; }\n",
    "  function tip(label, head) {\n",
    "    return {callbacks: head ? {label: label, title: head} : {label: label}};\n",
    "  }\n",
    "  /* A time series tooltip's heading: the interval's start. */\n",
    "  function at(ta) {\n",
    "    return function (items) {\n",
    "      return items.length ? 'interval from ' + fmtCount(items[0].parsed.x, ta.unit) : '';\n",
    "    };\n",
    "  }\n",
    "  function make(id, config) {\n",
    "    var canvas = document.getElementById(id);\n",
    "    if (!canvas) return;\n",
    "    config.options = config.options || {};\n",
    "    config.options.animation = false;\n",
    "    config.options.responsive = true;\n",
    "    config.options.maintainAspectRatio = false;\n",
    "    charts.push(new Chart(canvas, config));\n",
    "  }\n",
    "  /* A chart without data becomes a sentence in its place. */\n",
    "  function note(id, text) {\n",
    "    var canvas = document.getElementById(id);\n",
    "    if (!canvas) return;\n",
    "    var p = document.createElement('p');\n",
    "    p.className = 'note';\n",
    "    p.textContent = text;\n",
    "    canvas.parentNode.parentNode.replaceChild(p, canvas.parentNode);\n",
    "  }\n",
    "  function anyFinite(a) {\n",
    "    for (var i = 0; i < a.length; i++) if (finite(a[i])) return true;\n",
    "    return false;\n",
    "  }\n",
    "\n",
    "  /* ---- a run ---- */\n",
    "\n",
    "  /* p50, p90 and p99 bars per class, in ms; the class's SLO target a red mark across. */\n",
    "  function latencyChart(id, what, words) {\n",
    "    var classes = D.classes, sets = [], any = false;\n",
    "    ['p50', 'p90', 'p99'].forEach(function (p, k) {\n",
    "      var data = classes.map(function (c) {\n",
    "        var v = c.m[what + '_' + p + '_s'];\n",
    "        return finite(v) ? v * 1e3 : null;\n",
    "      });\n",
    "      any = any || anyFinite(data);\n",
    "      sets.push({label: p, data: data, backgroundColor: COLORS[k], order: 2});\n",
    "    });\n",
    "    if (!any) return note(id, 'No ' + words + ': no request of any class completed.');\n",
    "    var targets = classes.map(function (c) {\n",
    "      var v = c.m['slo_' + what + '_s'];\n",
    "      return finite(v) ? v * 1e3 : null;\n",
    "    });\n",
    "    if (anyFinite(targets))\n",
    "      sets.push({type: 'line', label: 'SLO target', data: targets, showLine: false,\n",
    "                 pointStyle: 'line', pointRadius: 40, pointHoverRadius: 40,\n",
    "                 borderWidth: 3, borderColor: RED, backgroundColor: RED, order: 1});\n",
    "    /* Targets far above the bars (a 5 s target, 60 ms percentiles) would flatten them on a\n",
    "     * linear axis: past a factor of 20, the axis is logarithmic. */\n",
    "    var lo = Infinity, hi = 0;\n",
    "    sets.forEach(function (d) {\n",
    "      d.data.forEach(function (v) {\n",
    "        if (finite(v) && v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }\n",
    "      });\n",
    "    });\n",
    "    var log = hi / lo > 20;\n",
    "    make(id, {type: 'bar',\n",
    "      data: {labels: classes.map(function (c) { return c['class']; }), datasets: sets},\n",
    "      options: {\n",
    "        scales: {x: {title: title('request class')},\n",
    "                 y: log ? {type: 'logarithmic', title: title(words + ' (ms, log scale)')}\n",
    "                        : {beginAtZero: true, title: title(words + ' (ms)')}},\n",
    "        plugins: {tooltip: tip(function (ctx) {\n",
    "          return ctx.dataset.label + ': ' + fmtSI(ctx.parsed.y / 1e3, 's');\n",
    "        })}}});\n",
    "  }\n",
    "\n",
    "  /* Time in seconds, or in minutes when the series runs past 10 minutes. */\n",
    "  function timeAxis(t) {\n",
    "    var last = t.length ? t[t.length - 1] : 0;\n",
    "    return last > 600 ? {div: 60, unit: 'min', title: 'time (min)'}\n",
    "                      : {div: 1, unit: 's', title: 'time (s)'};\n",
    "  }\n",
    "  function xy(t, v, div, scale) {\n",
    "    var out = [];\n",
    "    for (var i = 0; i < t.length; i++)\n",
    "      out.push({x: t[i] / div, y: finite(v[i]) ? v[i] * scale : null});\n",
    "    return out;\n",
    "  }\n",
    "  function line(label, data, color, dash) {\n",
    "    return {label: label, data: data, borderColor: color, backgroundColor: color,\n",
    "            borderDash: dash || [], pointRadius: 0, borderWidth: 2};\n",
    "  }\n",
    "  function powerChart() {\n",
    "    var S = D.series, t = S.t_s;\n",
    "    var it = S.cols.it_power_mw || [], fac = S.cols.facility_power_mw || [];\n",
    "    if (!t.length || !(anyFinite(it) || anyFinite(fac)))\n",
    "      return note('chart-power', 'This run has no power time series.');\n",
    "    var env = D.metrics.it_envelope_mw, max = 0;\n",
    "    it.concat(fac).concat([env]).forEach(function (v) {\n",
    "      if (finite(v) && v > max) max = v;\n",
    "    });\n",
    "    var u = max < 1 ? {scale: 1e3, unit: 'kW'} : {scale: 1, unit: 'MW'};\n",
    "    var ta = timeAxis(t), first = t[0] / ta.div, last = t[t.length - 1] / ta.div;\n",
    "    var sets = [line('IT power', xy(t, it, ta.div, u.scale), COLORS[0]),\n",
    "                line('facility power (IT x PUE)', xy(t, fac, ta.div, u.scale),\n",
    "                     COLORS[1])];\n",
    "    if (finite(env))\n",
    "      sets.push(line('IT envelope', [{x: first, y: env * u.scale},\n",
    "                                     {x: last, y: env * u.scale}], RED, [6, 4]));\n",
    "    make('chart-power', {type: 'line', data: {datasets: sets},\n",
    "      options: {\n",
    "        interaction: {mode: 'nearest', intersect: false},\n",
    "        scales: {x: {type: 'linear', title: title(ta.title)},\n",
    "                 y: {beginAtZero: true, title: title('power (' + u.unit + ')')}},\n",
    "        plugins: {tooltip: tip(function (ctx) {\n",
    "          return ctx.dataset.label + ': ' + fmtSI(ctx.parsed.y * 1e6 / u.scale, 'W');\n",
    "        }, at(ta))}}});\n",
    "  }\n",
    "  function queueChart() {\n",
    "    var S = D.series, t = S.t_s, w = S.cols.waiting || [], n = S.cols.in_system || [];\n",
    "    if (!t.length || !(anyFinite(w) || anyFinite(n)))\n",
    "      return note('chart-queue', 'This run has no load time series.');\n",
    "    var ta = timeAxis(t);\n",
    "    make('chart-queue', {type: 'line', data: {datasets: [\n",
    "        line('in the system', xy(t, n, ta.div, 1), COLORS[2]),\n",
    "        line('waiting for admission', xy(t, w, ta.div, 1), COLORS[3])]},\n",
    "      options: {\n",
    "        interaction: {mode: 'nearest', intersect: false},\n",
    "        scales: {x: {type: 'linear', title: title(ta.title)},\n",
    "                 y: {beginAtZero: true,\n",
    "                     title: title('requests at interval end (count)')}},\n",
    "        plugins: {tooltip: tip(function (ctx) {\n",
    "          return ctx.dataset.label + ': ' + fmtCount(ctx.parsed.y, 'requests');\n",
    "        }, at(ta))}}});\n",
    "  }\n",
    "  function costChart() {\n",
    "    var rows = D.costs.filter(function (c) {\n",
    "      return c.component !== 'total' && finite(c.usd_per_year) && c.usd_per_year > 0;\n",
    "    });\n",
    "    if (!rows.length)\n",
    "      return note('chart-costs', 'No costs: the scenario has no economics section.');\n",
    "    var total = rows.reduce(function (s, c) { return s + c.usd_per_year; }, 0);\n",
    "    make('chart-costs', {type: 'doughnut', data: {\n",
    "        labels: rows.map(function (c) { return c.label; }),\n",
    "        datasets: [{label: 'cost a year (USD)',\n",
    "                    data: rows.map(function (c) { return c.usd_per_year; }),\n",
    "                    backgroundColor: rows.map(function (c, i) {\n",
    "                      return COLORS[i % COLORS.length];\n",
    "                    })}]},\n",
    "      options: {plugins: {legend: {position: 'right'}, tooltip: tip(function (ctx) {\n",
    "        return ctx.label + ': ' + fmtUSD(ctx.parsed) + ' a year (' +\n",
    "               fmtPct(ctx.parsed / total) + ')';\n",
    "      })}}});\n",
    "  }\n",
    "\n",
    "  /* ---- a sweep ---- */\n",
    "\n",
    "  function metric(p, name) { return p.m[D.metrics.indexOf(name)]; }\n",
    "  function params(p) {\n",
    "    return D.axes.map(function (a, k) { return a + ' = ' + p.labels[k]; });\n",
    "  }\n",
    "  function pointLines(p) {\n",
    "    return ['output: ' + fmtCount(metric(p, 'output_tokens_per_s'), 'tok/s') +\n",
    "              ', per user: ' +\n",
    "              fmtCount(metric(p, 'output_tokens_per_s_per_user'), 'tok/s'),\n",
    "            'per MW of facility power: ' +\n",
    "              fmtCount(metric(p, 'output_tokens_per_s_per_mw_facility'), 'tok/s/MW'),\n",
    "            'p99 TTFT: ' + fmtSI(metric(p, 'ttft_p99_s'), 's') +\n",
    "              ', p99 TPOT: ' + fmtSI(metric(p, 'tpot_p99_s'), 's'),\n",
    "            'SLO attainment: ' + fmtPct(metric(p, 'slo_attainment')),\n",
    "            'cost: ' + fmtUSD(metric(p, 'cost_per_mtok_out_usd')) +\n",
    "              ' per M output tokens',\n",
    "            'binding: ' + (p.binding || 'n/a') + ', replications: ' + p.reps];\n",
    "  }\n",
    "  /* How each frontier is drawn. Chart.js's 'after' steps vertically first, 'before'\n",
    "   * horizontally first: the edge of what the frontier dominates. */\n",
    "  var FRONT_LOOK = {\n",
    "    power: {xtitle: 'output per user (tok/s)',\n",
    "            ytitle: 'output per MW of facility (tok/s/MW)',\n",
    "            xscale: 1, yscale: 1, stepped: 'after', empty: 'No point has both figures.',\n",
    "            ytick: function (v) { return fmtCount(v, ''); }},\n",
    "    cost_ttft: {xtitle: 'p99 time to first token (ms)',\n",
    "                ytitle: 'cost per M output tokens (USD)',\n",
    "                xscale: 1e3, yscale: 1, stepped: 'before',\n",
    "                empty: 'No point has a cost: the scenario has no economics section.',\n",
    "                ytick: function (v) { return fmtUSD(v); }},\n",
    "    cost_tpot: {xtitle: 'p99 time per output token (ms)',\n",
    "                ytitle: 'cost per M output tokens (USD)',\n",
    "                xscale: 1e3, yscale: 1, stepped: 'before',\n",
    "                empty: 'No point has a cost: the scenario has no economics section.',\n",
    "                ytick: function (v) { return fmtUSD(v); }}\n",
    "  };\n",
    "  /* Every point; the frontier's marked and joined by a step line in x order; the tooltip\n",
    "   * of a point gives its parameters and metrics. */\n",
    "  function frontChart(id, f) {\n",
    "    var F = D.fronts[f], L = FRONT_LOOK[F.name], others = [], front = [], edge = [];\n",
    "    function pointAt(i) {\n",
    "      var p = D.points[i];\n",
    "      return {x: metric(p, F.x) * L.xscale, y: metric(p, F.y) * L.yscale, i: i};\n",
    "    }\n",
    "    D.points.forEach(function (p, i) {\n",
    "      var q = pointAt(i);\n",
    "      if (finite(q.x) && finite(q.y)) (p.front[f] ? front : others).push(q);\n",
    "    });\n",
    "    F.order.forEach(function (i) { edge.push(pointAt(i)); });\n",
    "    if (!others.length && !front.length) return note(id, L.empty);\n",
    "    make(id, {type: 'scatter', data: {datasets: [\n",
    "        {label: 'on the frontier', data: front, pointRadius: 6, pointHoverRadius: 8,\n",
    "         backgroundColor: RED, borderColor: '#7f1d1d', pointStyle: 'rectRot', order: 1},\n",
    "        {label: 'other points', data: others, pointRadius: 4, pointHoverRadius: 6,\n",
    "         backgroundColor: 'rgba(31,119,180,0.6)', borderColor: COLORS[0], order: 2},\n",
    "        {label: 'frontier', data: edge, showLine: true, stepped: L.stepped,\n",
    "         pointRadius: 0, pointHitRadius: 0, borderColor: RED, backgroundColor: RED,\n",
    "         borderWidth: 2,\n",
    "         isEdge: true, order: 3}]},\n",
    "      options: {\n",
    "        scales: {x: {title: title(L.xtitle)},\n",
    "                 y: {title: title(L.ytitle), ticks: {callback: L.ytick}}},\n",
    "        plugins: {tooltip: {\n",
    "          filter: function (item) { return !item.dataset.isEdge; },\n",
    "          callbacks: {\n",
    "            title: function (items) {\n",
    "              var p = D.points[items[0].raw.i];\n",
    "              return 'point ' + p.point + (p.front[f] ? ', on the frontier' : '');\n",
    "            },\n",
    "            label: function (ctx) { return params(D.points[ctx.raw.i]); },\n",
    "            afterLabel: function (ctx) { return pointLines(D.points[ctx.raw.i]); }}}}}});\n",
    "  }\n",
    "  function effectCharts() {\n",
    "    D.effects.forEach(function (e, a) {\n",
    "      var id = 'chart-effect-' + a;\n",
    "      if (!anyFinite(e.mean_cost))\n",
    "        return note(id, 'No costs: the scenario has no economics section.');\n",
    "      make(id, {type: 'bar', data: {labels: e.values, datasets: [{\n",
    "          label: 'mean USD per M output tokens', data: e.mean_cost,\n",
    "          backgroundColor: COLORS[a % COLORS.length]}]},\n",
    "        options: {\n",
    "          plugins: {legend: {display: false}, tooltip: tip(function (ctx) {\n",
    "            var n = e.n[ctx.dataIndex];\n",
    "            return fmtUSD(ctx.parsed.y) + ' per M output tokens, mean of ' + n +\n",
    "                   (n === 1 ? ' point' : ' points');\n",
    "          })},\n",
    "          scales: {x: {title: title(e.axis + ' (as written)')},\n",
    "                   y: {beginAtZero: true, title: title('cost per M output tokens (USD)'),\n",
    "                       ticks: {callback: function (v) { return fmtUSD(v); }}}}}});\n",
    "    });\n",
    "  }\n",
    "\n",
    "  /* The points table sorts on a header click: numbers by value (n/a last), text as\n",
    "   * text. */\n",
    "  function sortable(table) {\n",
    "    var heads = table.querySelectorAll('thead th');\n",
    "    Array.prototype.forEach.call(heads, function (th, col) {\n",
    "      th.addEventListener('click', function () {\n",
    "        var asc = th.getAttribute('aria-sort') !== 'ascending';\n",
    "        Array.prototype.forEach.call(heads, function (h) {\n",
    "          h.removeAttribute('aria-sort');\n",
    "        });\n",
    "        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');\n",
    "        var numeric = th.getAttribute('data-type') === 'num';\n",
    "        var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);\n",
    "        rows.sort(function (a, b) {\n",
    "          var x = a.cells[col].getAttribute('data-v');\n",
    "          var y = b.cells[col].getAttribute('data-v');\n",
    "          if (numeric) {\n",
    "            var u = x === null || x === '' ? NaN : parseFloat(x);\n",
    "            var v = y === null || y === '' ? NaN : parseFloat(y);\n",
    "            if (isNaN(u) || isNaN(v)) return isNaN(u) - isNaN(v);\n",
    "            return asc ? u - v : v - u;\n",
    "          }\n",
    "          x = x === null ? a.cells[col].textContent : x;\n",
    "          y = y === null ? b.cells[col].textContent : y;\n",
    "          return asc ? x.localeCompare(y) : y.localeCompare(x);\n",
    "        });\n",
    "        rows.forEach(function (r) { body.appendChild(r); });\n",
    "      });\n",
    "    });\n",
    "  }\n",
    "\n",
    "  /* The tooltip of a chart's first point, built as a hover builds it, then hidden again:\n",
    "   * its callbacks run, and its text goes into the status for the test. */\n",
    "  function tooltipText(c) {\n",
    "    var ds = -1;\n",
    "    c.data.datasets.forEach(function (d, k) {\n",
    "      if (ds < 0 && !d.isEdge && c.getDatasetMeta(k).data.length) ds = k;\n",
    "    });\n",
    "    if (ds < 0) return '';\n",
    "    var el = c.getDatasetMeta(ds).data[0];\n",
    "    c.tooltip.setActiveElements([{datasetIndex: ds, index: 0}], {x: el.x, y: el.y});\n",
    "    var t = c.tooltip, lines = [].concat(t.title || []);\n",
    "    (t.body || []).forEach(function (b) {\n",
    "      lines = lines.concat(b.before, b.lines, b.after);\n",
    "    });\n",
    "    c.tooltip.setActiveElements([], {x: 0, y: 0});\n",
    "    c.draw();\n",
    "    return lines.join('; ');\n",
    "  }\n",
    "\n",
    "  /* Every chart drew: data elements at finite places and painted pixels on its canvas. */\n",
    "  function verify() {\n",
    "    var bad = [], detail = [], tips = [];\n",
    "    charts.forEach(function (c) {\n",
    "      var canvas = c.canvas, px = 0, el = 0, w = canvas.width, h = canvas.height;\n",
    "      var data = canvas.getContext('2d').getImageData(0, 0, w, h).data;\n",
    "      for (var i = 3; i < data.length; i += 4) if (data[i] !== 0) px++;\n",
    "      c.data.datasets.forEach(function (ds, k) {\n",
    "        c.getDatasetMeta(k).data.forEach(function (e) {\n",
    "          if (finite(e.x) && finite(e.y)) el++;\n",
    "        });\n",
    "      });\n",
    "      detail.push(canvas.id + '=' + px + 'px,' + el + 'el');\n",
    "      tips.push(canvas.id + ': ' + tooltipText(c));\n",
    "      if (px < MIN_PIXELS || el === 0) bad.push(canvas.id);\n",
    "    });\n",
    "    var ok = 'charts-ok ' + charts.length;\n",
    "    setStatus(bad.length ? 'charts-failed ' + bad.join(' ') : ok, detail.join(' '),\n",
    "              tips.join(' | '));\n",
    "  }\n",
    "\n",
    "  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), sortable);\n",
    "  if (typeof Chart === 'undefined') throw new Error('Chart.js did not load');\n",
    "  Chart.defaults.font.family = 'system-ui, \"Segoe UI\", Roboto, sans-serif';\n",
    "  if (D.kind === 'run') {\n",
    "    latencyChart('chart-ttft', 'ttft', 'time to first token');\n",
    "    latencyChart('chart-tpot', 'tpot', 'time per output token');\n",
    "    powerChart();\n",
    "    queueChart();\n",
    "    costChart();\n",
    "  } else {\n",
    "    frontChart('chart-front-power', 0);\n",
    "    frontChart('chart-front-ttft', 1);\n",
    "    frontChart('chart-front-tpot', 2);\n",
    "    effectCharts();\n",
    "  }\n",
    "  /* Chart.js draws at once without animation; the wait lets a responsive resize land. */\n",
    "  setTimeout(verify, 200);\n",
    "})();\n",
    NULL,
};

static void write_page_css(FILE *f) { write_lines(f, PAGE_CSS); }
static void write_page_js(FILE *f) { write_lines(f, PAGE_JS); }
