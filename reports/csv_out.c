/* CSV export of result tables (csv_out.h). */
#include "csv_out.h"

#include <csv.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

#define EOL "\r\n" /* RFC 4180 section 2 */

void tf_csv_plain(const char *sci, char *buf, size_t size) {
  if (size < TF_CSV_NUMBER_MAX) {
    if (size)
      buf[0] = '\0';
    return;
  }
  const char *p = sci;
  bool neg = *p == '-';
  if (neg)
    p++;
  char digits[TF_CSV_DIGITS_MAX];
  int nd = 0;
  for (; *p && *p != 'e' && nd < TF_CSV_DIGITS_MAX; p++)
    if (*p != '.')
      digits[nd++] = *p;
  while (*p && *p != 'e')
    p++;
  int exp = *p ? atoi(p + 1) : 0;
  while (nd > 1 && digits[nd - 1] == '0')
    nd--;
  if (nd == 0 || (nd == 1 && digits[0] == '0')) {
    snprintf(buf, size, "0");
    return;
  }
  size_t n = 0;
  if (neg)
    buf[n++] = '-';
  int point = exp + 1; /* digits before the decimal point */
  if (point <= 0) {
    buf[n++] = '0';
    buf[n++] = '.';
    for (int i = 0; i < -point; i++)
      buf[n++] = '0';
    for (int i = 0; i < nd; i++)
      buf[n++] = digits[i];
  } else {
    for (int i = 0; i < nd || i < point; i++) {
      if (i == point)
        buf[n++] = '.';
      buf[n++] = i < nd ? digits[i] : '0';
    }
  }
  buf[n] = '\0';
}

void tf_csv_number(double v, char *buf, size_t size) {
  if (!isfinite(v)) {
    if (size)
      buf[0] = '\0';
    return;
  }
  char e[48];
  snprintf(e, sizeof e, "%.14e", v); /* [-]d.dddddddddddddde[+-]XX: 15 significant digits */
  tf_csv_plain(e, buf, size);
}

int tf_csv_text(FILE *f, const char *text) {
  bool formula = strchr("=+-@\t\r", text[0]) != NULL && text[0] != '\0';
  size_t len = strlen(text);
  if (!formula)
    return csv_fwrite(f, text, len) == 0 ? 0 : TF_EIO;
  /* libcsv quotes the whole field; the apostrophe goes inside the quotes. */
  char *buf = malloc(len + 2);
  if (!buf)
    return TF_ENOMEM;
  buf[0] = '\'';
  memcpy(buf + 1, text, len + 1);
  int rc = csv_fwrite(f, buf, len + 1) == 0 ? 0 : TF_EIO;
  free(buf);
  return rc;
}

static int cell(FILE *f, const tf_cell *c) {
  char num[TF_CSV_NUMBER_MAX];
  switch (c->kind) {
  case TF_CELL_REAL:
    tf_csv_number(c->real, num, sizeof num);
    return fputs(num, f) < 0 ? TF_EIO : 0;
  case TF_CELL_INT: return fprintf(f, "%" PRId64, c->integer) < 0 ? TF_EIO : 0;
  case TF_CELL_TEXT: return tf_csv_text(f, c->text);
  default: return 0;
  }
}

static int row(FILE *f, const tf_cell *lead, size_t n_lead, const tf_cell *cells, size_t n) {
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < n_lead + n; i++) {
    if (i > 0 && fputc(',', f) == EOF)
      return TF_EIO;
    rc = cell(f, i < n_lead ? &lead[i] : &cells[i - n_lead]);
  }
  if (rc == 0 && fputs(EOL, f) < 0)
    rc = TF_EIO;
  return rc;
}

/* The header and every row of t, each row after the lead cells. */
static int table(FILE *f, const tf_table *t, const tf_column *lead_cols, const tf_cell *lead,
                 size_t n_lead) {
  for (size_t i = 0; i < n_lead + t->n_cols; i++)
    if ((i > 0 && fputc(',', f) == EOF) ||
        fputs(i < n_lead ? lead_cols[i].name : t->cols[i - n_lead].name, f) < 0)
      return TF_EIO;
  if (fputs(EOL, f) < 0)
    return TF_EIO;
  for (size_t r = 0; r < t->n_rows; r++) {
    int rc = row(f, lead, n_lead, &t->cells[r * t->n_cols], t->n_cols);
    if (rc)
      return rc;
  }
  return 0;
}

static const tf_column summary_lead_cols[] = {
    {"run_id", "1"},          {"scenario", ""},         {"scenario_sha256", ""}, {"seed", "1"},
    {"tokenfab_version", ""}, {"started_utc", ""},      {"wall_s", "s"},         {"overrides", ""}};
enum { N_SUMMARY_LEAD = sizeof summary_lead_cols / sizeof summary_lead_cols[0] };
static const tf_column lead_cols[] = {{"run_id", "1"}, {"scenario", ""}, {"seed", "1"}};
enum { N_LEAD = sizeof lead_cols / sizeof lead_cols[0] };

/* Cells borrow the record's strings: these are never freed. */
static void lead_cells(const tf_run_record *rec, int64_t run_id, char seed_text[24], tf_cell *s,
                       tf_cell *l) {
  tf_cell id = run_id > 0 ? (tf_cell){.kind = TF_CELL_INT, .integer = run_id}
                          : (tf_cell){.kind = TF_CELL_NULL};
  /* Seeds are 64-bit unsigned: one above INT64_MAX goes out as its digits, quoted. */
  snprintf(seed_text, 24, "%" PRIu64, rec->seed);
  tf_cell seed = rec->seed <= INT64_MAX
                     ? (tf_cell){.kind = TF_CELL_INT, .integer = (int64_t)rec->seed}
                     : (tf_cell){.kind = TF_CELL_TEXT, .text = seed_text};
  tf_cell name = {.kind = TF_CELL_TEXT, .text = rec->scenario_name};
  s[0] = id;
  s[1] = name;
  s[2] = (tf_cell){.kind = TF_CELL_TEXT, .text = rec->scenario_sha256};
  s[3] = seed;
  s[4] = (tf_cell){.kind = TF_CELL_TEXT, .text = rec->version};
  s[5] = (tf_cell){.kind = TF_CELL_TEXT, .text = rec->started_utc};
  s[6] = (tf_cell){.kind = TF_CELL_REAL, .real = rec->wall_s};
  s[7] = (tf_cell){.kind = TF_CELL_TEXT, .text = rec->overrides ? rec->overrides : ""};
  l[0] = id;
  l[1] = name;
  l[2] = seed;
}

typedef struct out_file {
  const char *name;
  const tf_table *t;
  bool summary;
  char path[4096], tmp[4096];
} out_file;

/* mkstemp creates files readable by their owner only; the CSV files get the permissions any new
 * file would (0666 less the umask), like the files they replace. */
static mode_t file_mode(void) {
  mode_t mask = umask(0);
  umask(mask);
  return 0666 & ~mask;
}

static int write_one(out_file *o, const tf_cell *s, const tf_cell *l, char *err, size_t err_size) {
  int fd = mkstemp(o->tmp);
  if (fd >= 0 && fchmod(fd, file_mode()) != 0) {
    close(fd);
    remove(o->tmp);
    fd = -1;
  }
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!f) {
    snprintf(err, err_size, "cannot create a file in the folder of %s: %s", o->path,
             strerror(errno));
    if (fd >= 0) {
      close(fd);
      remove(o->tmp);
    }
    o->tmp[0] = '\0';
    return TF_EIO;
  }
  int rc = o->summary ? table(f, o->t, summary_lead_cols, s, N_SUMMARY_LEAD)
           : l        ? table(f, o->t, lead_cols, l, N_LEAD)
                      : table(f, o->t, NULL, NULL, 0);
  if (fflush(f) != 0 || fsync(fileno(f)) != 0)
    rc = TF_EIO;
  if (fclose(f) != 0)
    rc = TF_EIO;
  if (rc) {
    snprintf(err, err_size, "cannot write %s: %s", o->path,
             rc == TF_ENOMEM ? "out of memory" : strerror(errno));
    return rc;
  }
  return 0;
}

int tf_csv_write_run(const char *dir, const tf_run_record *rec, int64_t run_id, char *err,
                     size_t err_size) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    snprintf(err, err_size, "cannot create the folder %s: %s", dir, strerror(errno));
    return TF_EIO;
  }
  out_file files[] = {{.name = "summary.csv", .t = &rec->summary, .summary = true},
                      {.name = "classes.csv", .t = &rec->classes},
                      {.name = "series.csv", .t = &rec->series},
                      {.name = "costs.csv", .t = &rec->costs}};
  enum { N_FILES = sizeof files / sizeof files[0] };
  tf_cell s[N_SUMMARY_LEAD], l[N_LEAD];
  char seed_text[24];
  lead_cells(rec, run_id, seed_text, s, l);
  int rc = 0;
  for (int i = 0; i < N_FILES; i++) {
    out_file *o = &files[i];
    int n = snprintf(o->path, sizeof o->path, "%s/%s", dir, o->name);
    int m = snprintf(o->tmp, sizeof o->tmp, "%s/.%s.XXXXXX", dir, o->name);
    if (n < 0 || m < 0 || (size_t)n >= sizeof o->path || (size_t)m >= sizeof o->tmp) {
      snprintf(err, err_size, "the folder name %s is too long", dir);
      o->tmp[0] = '\0';
      rc = TF_EIO;
    }
    if (rc == 0)
      rc = write_one(o, s, l, err, err_size);
    if (rc) {
      for (int j = 0; j <= i; j++)
        if (files[j].tmp[0])
          remove(files[j].tmp);
      return rc;
    }
  }
  /* Every file is whole: now they replace the old ones. */
  for (int i = 0; i < N_FILES; i++) {
    if (rename(files[i].tmp, files[i].path) != 0) {
      snprintf(err, err_size, "cannot rename %s to %s: %s", files[i].tmp, files[i].path,
               strerror(errno));
      for (int j = i; j < N_FILES; j++)
        remove(files[j].tmp);
      return TF_EIO;
    }
  }
  return 0;
}

int tf_csv_write_table(const char *path, const tf_table *t, char *err, size_t err_size) {
  out_file o = {.name = path, .t = t};
  int n = snprintf(o.path, sizeof o.path, "%s", path);
  const char *slash = strrchr(path, '/');
  int dir_len = slash ? (int)(slash - path) : 1;
  int m = snprintf(o.tmp, sizeof o.tmp, "%.*s/.%s.XXXXXX", dir_len, slash ? path : ".",
                   slash ? slash + 1 : path);
  if (n < 0 || m < 0 || (size_t)n >= sizeof o.path || (size_t)m >= sizeof o.tmp) {
    snprintf(err, err_size, "the file name %s is too long", path);
    return TF_EIO;
  }
  int rc = write_one(&o, NULL, NULL, err, err_size);
  if (rc) {
    if (o.tmp[0])
      remove(o.tmp);
    return rc;
  }
  if (rename(o.tmp, o.path) != 0) {
    snprintf(err, err_size, "cannot rename %s to %s: %s", o.tmp, o.path, strerror(errno));
    remove(o.tmp);
    return TF_EIO;
  }
  return 0;
}
