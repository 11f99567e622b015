/* The HTML report: one self-contained page for a run or a sweep (report_data.h), with the
 * headline numbers and tables in plain HTML, the data as JSON in a <script type="application/json">
 * element, and charts drawn by Chart.js inlined into the page, so it opens offline in any browser
 * and can be mailed or archived (docs/REPORTS.md). */
#ifndef TF_HTML_REPORT_H
#define TF_HTML_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "report_data.h"

/* Where Debian's libjs-chart.js keeps a build that defines the global `Chart` (UMD), tried in
 * order when no file is named: Chart.js 4 calls it chart.umd.js, 3 chart.min.js. NULL-ended. */
extern const char *const tf_html_report_chartjs_paths[];

/* Reads Chart.js from path, or from the first of tf_html_report_chartjs_paths that exists when
 * path is NULL, into *text (*len bytes, NUL-terminated; free it). 0; TF_ENOTFOUND with a
 * sentence saying to install libjs-chart.js or name the file; TF_EIO; TF_ENOMEM. */
int tf_html_report_load_chartjs(const char *path, char **text, size_t *len, char *err,
                                size_t err_size);

/* What goes into every page besides the data. */
typedef struct tf_html_report_opts {
  const char *chartjs;   /* the Chart.js source to inline */
  size_t chartjs_len;
  const char *db_name;   /* the results database, named in the page */
  const char *version;   /* the tokenfab that wrote the page */
} tf_html_report_opts;

/* Writes the page of a run or of a sweep to f. 0, or TF_EIO when f reports an error. */
int tf_html_report_write_run(FILE *f, const tf_report_run *r, const tf_html_report_opts *o);
int tf_html_report_write_sweep(FILE *f, const tf_report_sweep *s, const tf_html_report_opts *o);

/* Writes the page (exactly one of run and sweep) as the file path: to a temporary file in the
 * same folder, flushed to disk, then renamed over path, so path is the old file or the whole
 * new page. On failure no temporary file remains. 0 or TF_EIO with err. */
int tf_html_report_save(const char *path, const tf_report_run *run, const tf_report_sweep *sweep,
                        const tf_html_report_opts *o, char *err, size_t err_size);

/* Writes s[0..n) as HTML text: & < > " ' as character references, bytes that are not UTF-8 and
 * control characters other than tab, line feed and carriage return as U+FFFD. */
void tf_html_report_escape(FILE *f, const char *s, size_t n);

#endif
