/* The measurement folder's two CSV files, written atomically (docs/CALIBRATION.md). */
#include "mfile.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

#define EOL "\r\n"

void tf_mfile_row_from_item(tf_mfile_row *row, const tf_plan_item *it) {
  bool gemm = it->kernel == TF_KERNEL_GEMM || it->kernel == TF_KERNEL_GROUPED_GEMM;
  bool attn = it->kernel == TF_KERNEL_ATTN_DECODE;
  *row = (tf_mfile_row){
      .kernel = tf_plan_kernel_name(it->kernel),
      .dtype = gemm || attn ? tf_dtype_name(it->dtype) : "",
      .m = gemm ? it->m : -1,
      .n = gemm ? it->n : -1,
      .k = gemm ? it->k : -1,
      .groups = gemm ? it->groups : 1,
      .batch = attn ? it->batch : -1,
      .context = attn ? it->context : -1,
      .heads = attn ? it->heads : -1,
      .kv_heads = attn ? it->kv_heads : -1,
      .head_dim = attn ? it->head_dim : -1,
      .layout = tf_plan_layout_name(it->layout),
      .bytes = it->kernel == TF_KERNEL_HBM_STREAM ? (double)it->bytes : NAN,
      .flops = tf_plan_flops(it),
      .bytes_moved = tf_plan_bytes_moved(it),
      .power_limit_w = it->power_limit_w > 0 ? it->power_limit_w : NAN,
      .reps = -1,
      .time_s = NAN,
      .time_p10_s = NAN,
      .time_p90_s = NAN,
      .power_w = NAN,
      .sm_clock_mhz = NAN};
}

/* The same digits as reports/csv_out.c's tf_csv_number: %.14e gives the 15 significant digits,
 * which are then laid out without an exponent. */
void tf_mfile_number(double v, char *buf, size_t size) {
  if (!isfinite(v) || size < TF_MFILE_NUMBER_MAX) {
    if (size)
      buf[0] = '\0';
    return;
  }
  char e[48];
  snprintf(e, sizeof e, "%.14e", v);
  const char *p = e;
  bool neg = *p == '-';
  if (neg)
    p++;
  char digits[16];
  int nd = 0;
  for (; *p && *p != 'e'; p++)
    if (*p != '.' && nd < 16)
      digits[nd++] = *p;
  int exp = atoi(p + 1);
  while (nd > 1 && digits[nd - 1] == '0')
    nd--;
  if (nd == 1 && digits[0] == '0') {
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

/* One quoted text field, inner quotes doubled (RFC 4180). Text a spreadsheet would read as a
 * formula gets a leading apostrophe inside the quotes, as docs/RESULTS.md does for all tokenfab
 * CSV (OWASP's advice against CSV injection); a GPU name never starts so, but the rule is one. */
static int put_text(FILE *f, const char *text) {
  if (fputc('"', f) == EOF)
    return TF_EIO;
  if (text[0] != '\0' && strchr("=+-@\t\r", text[0]) != NULL && fputc('\'', f) == EOF)
    return TF_EIO;
  for (const char *c = text; *c; c++)
    if ((*c == '"' && fputc('"', f) == EOF) || fputc(*c, f) == EOF)
      return TF_EIO;
  return fputc('"', f) == EOF ? TF_EIO : 0;
}

/* Text or nothing (empty: not applicable). */
static int put_opt_text(FILE *f, const char *text) {
  return text && text[0] ? put_text(f, text) : 0;
}

static int put_number(FILE *f, double v) {
  char num[TF_MFILE_NUMBER_MAX];
  tf_mfile_number(v, num, sizeof num);
  return fputs(num, f) < 0 ? TF_EIO : 0;
}

static int put_int(FILE *f, int64_t v) {
  return v < 0 ? 0 : fprintf(f, "%" PRId64, v) < 0 ? TF_EIO : 0;
}

static int sep(FILE *f) { return fputc(',', f) == EOF ? TF_EIO : 0; }

static int eol(FILE *f) { return fputs(EOL, f) < 0 ? TF_EIO : 0; }

static int device_row(FILE *f, const char *key, const char *text, double number, bool is_text) {
  int rc = put_text(f, key);
  if (rc == 0)
    rc = sep(f);
  if (rc == 0)
    rc = is_text ? put_opt_text(f, text) : put_number(f, number);
  return rc ? rc : eol(f);
}

static int write_device(FILE *f, const void *data, size_t n) {
  (void)n;
  const tf_mfile_device *d = data;
  struct {
    const char *key, *text;
    double number;
    bool is_text;
  } rows[] = {
      {"format", TF_MFILE_FORMAT, 0, true},
      {"gpu_name", d->gpu_name, 0, true},
      {"gpu_uuid", d->gpu_uuid, 0, true},
      {"compute_capability", d->compute_capability, 0, true},
      {"driver_version", d->driver_version, 0, true},
      {"cuda_runtime_version", d->cuda_runtime_version, 0, true},
      {"cublas_version", d->cublas_version, 0, true},
      {"sm_count", NULL, d->sm_count, false},
      {"sm_clock_max_mhz", NULL, d->sm_clock_max_mhz, false},
      {"mem_clock_max_mhz", NULL, d->mem_clock_max_mhz, false},
      {"hbm_bytes", NULL, d->hbm_bytes, false},
      {"power_limit_default_w", NULL, d->power_limit_default_w, false},
      {"power_limit_min_w", NULL, d->power_limit_min_w, false},
      {"power_limit_max_w", NULL, d->power_limit_max_w, false},
      {"started_utc", d->started_utc, 0, true},
      {"mode", d->mode, 0, true},
  };
  int rc = fputs("key,value" EOL, f) < 0 ? TF_EIO : 0;
  for (size_t i = 0; rc == 0 && i < sizeof rows / sizeof rows[0]; i++)
    rc = device_row(f, rows[i].key, rows[i].text, rows[i].number, rows[i].is_text);
  return rc;
}

static const char *const measurement_columns =
    "kernel,dtype,m,n,k,groups,batch,context,heads,kv_heads,head_dim,layout,bytes,flops,"
    "bytes_moved,power_limit_w,reps,time_s,time_p10_s,time_p90_s,power_w,sm_clock_mhz";

static int write_row(FILE *f, const tf_mfile_row *r) {
  int rc = put_opt_text(f, r->kernel);
  if (rc == 0)
    rc = sep(f);
  if (rc == 0)
    rc = put_opt_text(f, r->dtype);
  const int64_t ints[] = {r->m,       r->n,     r->k,     r->groups,  r->batch,
                          r->context, r->heads, r->kv_heads, r->head_dim};
  for (size_t i = 0; rc == 0 && i < sizeof ints / sizeof ints[0]; i++)
    rc = sep(f) ? TF_EIO : put_int(f, ints[i]);
  if (rc == 0)
    rc = sep(f);
  if (rc == 0)
    rc = put_opt_text(f, r->layout);
  const double mid[] = {r->bytes, r->flops, r->bytes_moved, r->power_limit_w};
  for (size_t i = 0; rc == 0 && i < sizeof mid / sizeof mid[0]; i++)
    rc = sep(f) ? TF_EIO : put_number(f, mid[i]);
  if (rc == 0)
    rc = sep(f) ? TF_EIO : put_int(f, r->reps);
  const double tail[] = {r->time_s, r->time_p10_s, r->time_p90_s, r->power_w, r->sm_clock_mhz};
  for (size_t i = 0; rc == 0 && i < sizeof tail / sizeof tail[0]; i++)
    rc = sep(f) ? TF_EIO : put_number(f, tail[i]);
  return rc ? rc : eol(f);
}

static int write_measurements(FILE *f, const void *data, size_t n) {
  const tf_mfile_row *rows = data;
  int rc = fputs(measurement_columns, f) < 0 || fputs(EOL, f) < 0 ? TF_EIO : 0;
  for (size_t i = 0; rc == 0 && i < n; i++)
    rc = write_row(f, &rows[i]);
  return rc;
}

/* mkstemp creates files readable by their owner only; the files get the permissions any new
 * file would (0666 less the umask), like those reports/csv_out.c writes. */
static mode_t file_mode(void) {
  mode_t mask = umask(0);
  umask(mask);
  return 0666 & ~mask;
}

typedef struct out_file {
  const char *name;
  int (*write)(FILE *f, const void *data, size_t n);
  const void *data;
  size_t n;
  char *path, *tmp;
} out_file;

/* Writes one file's temporary copy (o->tmp, created here). */
static int write_tmp(out_file *o, char *err, size_t err_size) {
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
  int rc = o->write(f, o->data, o->n);
  if (rc == 0 && fflush(f) != 0)
    rc = TF_EIO;
  if (rc == 0 && fsync(fileno(f)) != 0)
    rc = TF_EIO;
  if (fclose(f) != 0)
    rc = TF_EIO;
  if (rc) {
    snprintf(err, err_size, "cannot write %s: %s", o->path, strerror(errno));
    remove(o->tmp);
    o->tmp[0] = '\0';
  }
  return rc;
}

static char *join(const char *dir, const char *prefix, const char *name, const char *suffix) {
  size_t len = strlen(dir) + strlen(prefix) + strlen(name) + strlen(suffix) + 2;
  char *s = malloc(len);
  if (s)
    snprintf(s, len, "%s/%s%s%s", dir, prefix, name, suffix);
  return s;
}

int tf_mfile_write(const char *dir, const tf_mfile_device *dev, const tf_mfile_row *rows,
                   size_t n_rows, char *err, size_t err_size) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    snprintf(err, err_size, "cannot create the folder %s: %s", dir, strerror(errno));
    return TF_EIO;
  }
  /* measurements.csv first: a reader that finds the new device.csv finds its measurements. */
  out_file files[] = {{.name = "measurements.csv", .write = write_measurements, .data = rows,
                       .n = n_rows},
                      {.name = "device.csv", .write = write_device, .data = dev, .n = 1}};
  enum { N_FILES = sizeof files / sizeof files[0] };
  int rc = 0;
  for (int i = 0; rc == 0 && i < N_FILES; i++) {
    files[i].path = join(dir, "", files[i].name, "");
    files[i].tmp = join(dir, ".", files[i].name, ".XXXXXX");
    if (!files[i].path || !files[i].tmp) {
      snprintf(err, err_size, "out of memory");
      rc = TF_ENOMEM;
    }
  }
  int written = 0; /* temporary files complete so far */
  while (rc == 0 && written < N_FILES) {
    rc = write_tmp(&files[written], err, err_size);
    if (rc == 0)
      written++;
  }
  if (rc)
    for (int i = 0; i < written; i++)
      remove(files[i].tmp);
  for (int i = 0; rc == 0 && i < N_FILES; i++) {
    if (rename(files[i].tmp, files[i].path) != 0) {
      snprintf(err, err_size, "cannot rename %s to %s: %s", files[i].tmp, files[i].path,
               strerror(errno));
      for (int j = i; j < N_FILES; j++)
        remove(files[j].tmp);
      rc = TF_EIO;
    }
  }
  for (int i = 0; i < N_FILES; i++) {
    free(files[i].path);
    free(files[i].tmp);
  }
  return rc;
}
