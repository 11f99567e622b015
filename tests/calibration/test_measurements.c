/* Reading measurement folders: a good one read exactly, and every kind of bad file reported as
 * file:line: sentence (golden messages below). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "measurements.h"
#include "tf_test.h"

#ifndef TF_CALIB_FIXTURES
#error "TF_CALIB_FIXTURES is defined by the build"
#endif

/* Every reported problem, one "file:line: msg" (or "file: msg") a line. */
typedef struct sink {
  char text[16384];
  size_t len;
} sink;

static void collect(void *ctx, const char *file, int line, const char *msg) {
  sink *s = ctx;
  int n = line > 0 ? snprintf(s->text + s->len, sizeof s->text - s->len, "%s:%d: %s\n", file,
                              line, msg)
                   : snprintf(s->text + s->len, sizeof s->text - s->len, "%s: %s\n", file, msg);
  if (n > 0 && (size_t)n < sizeof s->text - s->len)
    s->len += (size_t)n;
}

/* Loads dir, which must fail with rc and report exactly want. */
static void expect_bad(const char *dir, int rc, const char *want) {
  sink s = {.len = 0};
  s.text[0] = '\0';
  tf_meas *m = (tf_meas *)1;
  TF_CHECK_INT(tf_meas_load(dir, &m, collect, &s), rc);
  TF_CHECK(m == NULL);
  TF_CHECK_STR(s.text, want);
  /* The first problem is also the failure's context, for callers without a report function. */
  const char *nl = strchr(want, '\n');
  char first[1024];
  snprintf(first, sizeof first, "%.*s", nl ? (int)(nl - want) : (int)strlen(want), want);
  TF_CHECK(strncmp(tf_err_reason(), first, strlen(first)) == 0);
}

static void test_bad_files(void) {
  expect_bad("bad/truncated", TF_EPARSE,
             "bad/truncated/measurements.csv:4: 18 fields (expected 22, one per header column)\n");
  expect_bad("bad/unclosed_quote", TF_EPARSE,
             "bad/unclosed_quote/measurements.csv:3: unterminated quoted field (expected a closing "
             "\")\n");
  expect_bad("bad/missing_column", TF_EPARSE,
             "bad/missing_column/measurements.csv:1: missing column \"time_p10_s\" (expected the "
             "columns of docs/CALIBRATION.md; the header is kernel,dtype,m,n,k,groups,batch,"
             "context,heads,kv_heads,head_dim,layout,bytes,flops,bytes_moved,power_limit_w,reps,"
             "time_s,time_p90_s,power_w,sm_clock_mhz)\n");
  expect_bad("bad/missing_kernel_column", TF_EPARSE,
             "bad/missing_kernel_column/measurements.csv:3: gemm needs column \"m\", which the "
             "header lacks (expected the columns of docs/CALIBRATION.md)\n");
  expect_bad("bad/unknown_kernel", TF_EPARSE,
             "bad/unknown_kernel/measurements.csv:3: unknown kernel \"gemv\" (expected gemm, "
             "grouped_gemm, attn_decode, hbm_stream, idle, p2p, all_reduce or all_to_all)\n");
  expect_bad("bad/negative_time", TF_EPARSE,
             "bad/negative_time/measurements.csv:3: time_s = -0.000005445874 (expected a median "
             "time > 0 s)\n");
  expect_bad("bad/p10_above_median", TF_EPARSE,
             "bad/p10_above_median/measurements.csv:3: time_p10_s = 0.000005536957 is above "
             "time_s = 0.000005445874 (expected p10 <= median <= p90)\n");
  expect_bad("bad/duplicate", TF_EPARSE,
             "bad/duplicate/measurements.csv:5: the same configuration as line 3 (expected each "
             "kernel, dtype, layout, shape and power limit measured once)\n");
  expect_bad("bad/empty", TF_EPARSE,
             "bad/empty/measurements.csv: empty file (expected a header row: kernel,dtype,m,n,k,"
             "... (docs/CALIBRATION.md))\n");
  expect_bad("bad/no_device", TF_EIO,
             "bad/no_device/device.csv: cannot open: No such file or directory\n");
  expect_bad("no/such/folder", TF_EIO,
             "no/such/folder/device.csv: cannot open: No such file or directory\n"
             "no/such/folder/measurements.csv: cannot open: No such file or directory\n");
  const char *missing =
      " (expected all 16 keys of docs/CALIBRATION.md, from format to mode; a file cut short "
      "loses its last keys)\n";
  char want[2048];
  snprintf(want, sizeof want,
           "bad/device_truncated/device.csv:15: 1 field (expected 2: key,value)\n"
           "bad/device_truncated/device.csv: missing key \"power_limit_max_w\"%s"
           "bad/device_truncated/device.csv: missing key \"started_utc\"%s"
           "bad/device_truncated/device.csv: missing key \"mode\"%s",
           missing, missing, missing);
  expect_bad("bad/device_truncated", TF_EPARSE, want);
  expect_bad(
      "bad/mixed", TF_EPARSE,
      "bad/mixed/device.csv:2: format \"tokenfab-calibration-2\" (expected "
      "tokenfab-calibration-1)\n"
      "bad/mixed/device.csv:9: sm_count = \"lots\" (expected a number >= 0, or empty if unknown)\n"
      "bad/mixed/measurements.csv:3: m = 1.5 (expected a whole number)\n"
      "bad/mixed/measurements.csv:4: dtype \"fp16\" (expected bf16 or fp8)\n"
      "bad/mixed/measurements.csv:5: flops = 1000, but 2 m n k = 1073741824 (expected the FLOPs "
      "of one launch)\n"
      "bad/mixed/measurements.csv:6: grouped_gemm row without groups (expected a whole number >= "
      "1)\n"
      "bad/mixed/measurements.csv:6: grouped_gemm row without flops (expected a number > 0)\n"
      "bad/mixed/measurements.csv:7: attn_decode row without layout (expected gqa or mla)\n"
      "bad/mixed/measurements.csv:8: bytes \"abc\" is not a number (expected a number > 0)\n"
      "bad/mixed/measurements.csv:8: reps = 0 (expected a whole number >= 1)\n"
      "bad/mixed/measurements.csv:9: time_s = inf (expected a median time > 0 s)\n"
      "bad/mixed/measurements.csv:10: idle row without power_w (expected a board power >= 0 W)\n"
      "bad/mixed/measurements.csv:11: power_limit_w = 0 (expected a power limit > 0 W, or empty "
      "for the default)\n"
      "bad/mixed/measurements.csv:12: misplaced quote (expected a quoted field to be quoted whole, "
      "as in \"a,b\", with \"\" for a quote inside)\n");

  /* More than TF_MEAS_MAX_REPORTED problems: 20 reported, then a count. */
  char many[8192];
  size_t at = 0;
  for (int line = 2; line <= 21; line++)
    at += (size_t)snprintf(many + at, sizeof many - at,
                           "bad/many_errors/measurements.csv:%d: time_s = -1 (expected a median "
                           "time > 0 s)\n",
                           line);
  snprintf(many + at, sizeof many - at,
           "bad/many_errors/measurements.csv: ... and 5 more errors\n");
  expect_bad("bad/many_errors", TF_EPARSE, many);
  TF_CHECK_STR(tf_err_reason(), "bad/many_errors/measurements.csv:2: time_s = -1 (expected a "
                                "median time > 0 s) (and 24 more errors)");
}

static void test_good_folder(void) {
  tf_meas *m = NULL;
  sink s = {.len = 0};
  s.text[0] = '\0';
  TF_CHECK_INT(tf_meas_load("h100", &m, collect, &s), 0);
  TF_CHECK_STR(s.text, "");
  if (!m)
    return;
  TF_CHECK_INT(m->n_device, 16);
  TF_CHECK_STR(tf_meas_device(m, "gpu_name"), "NVIDIA H100 80GB HBM3");
  TF_CHECK_STR(tf_meas_device(m, "format"), TF_MEAS_FORMAT);
  TF_CHECK(tf_meas_device(m, "no_such_key") == NULL);
  TF_CHECK_NEAR(m->sm_clock_max_mhz, 1980, 0);
  TF_CHECK_NEAR(m->power_limit_default_w, 700, 0);
  /* 12 streams, 72 GEMMs, 32 grouped, 36 attention, an idle row, and at each of 4 power limits
   * an idle row (repeated samples, not duplicates), a stream and two GEMMs. */
  TF_CHECK_INT(m->n_rows, 169);
  const tf_meas_row *r = &m->rows[0];
  TF_CHECK_INT(r->line, 2);
  TF_CHECK_INT(r->kernel, TF_MEAS_HBM_STREAM);
  TF_CHECK_INT(r->dtype, TF_MEAS_DTYPE_NONE);
  TF_CHECK(!tf_meas_has(r->m) && !tf_meas_has(r->flops) && !tf_meas_has(r->power_limit_w));
  TF_CHECK_NEAR(r->bytes, 4194304, 0);
  TF_CHECK_NEAR(r->time_s, 0.000003913669, 0);
  TF_CHECK_NEAR(r->power_w, 379.3, 0);
  r = &m->rows[12];
  TF_CHECK_INT(r->line, 14);
  TF_CHECK_INT(r->kernel, TF_MEAS_GEMM);
  TF_CHECK_INT(r->dtype, TF_MEAS_BF16);
  TF_CHECK_NEAR(r->m, 1, 0);
  TF_CHECK_NEAR(r->flops, 2.0 * 4096 * 4096, 0);
  size_t idle = 0, limited = 0, mla = 0;
  for (size_t i = 0; i < m->n_rows; i++) {
    idle += m->rows[i].kernel == TF_MEAS_IDLE;
    limited += tf_meas_has(m->rows[i].power_limit_w);
    mla += m->rows[i].layout == TF_MEAS_MLA;
  }
  TF_CHECK_INT(idle, 5);
  TF_CHECK_INT(limited, 16);
  TF_CHECK_INT(mla, 12);
  tf_meas_destroy(m);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  TF_CHECK(f != NULL);
  if (!f)
    return;
  fputs(text, f);
  fclose(f);
}

/* What spreadsheets and other writers do: a byte-order mark, CRLF line ends, quoted fields, an
 * extra column, columns in another order, a last line without its line end. */
static void test_tolerated(const char *tmp) {
  char dir[512], path[600];
  snprintf(dir, sizeof dir, "%s/tolerated", tmp);
  TF_CHECK_INT(mkdir(dir, 0777), 0);
  snprintf(path, sizeof path, "%s/device.csv", dir);
  write_file(path, "\xEF\xBB\xBFkey,value\r\nformat,tokenfab-calibration-1\r\ngpu_name,\"NVIDIA "
                   "H100 80GB HBM3\"\r\ngpu_uuid,\r\ncompute_capability,9.0\r\ndriver_version,"
                   "\r\ncuda_runtime_version,\r\ncublas_version,\r\nsm_count,\r\n"
                   "sm_clock_max_mhz,\r\nmem_clock_max_mhz,\r\nhbm_bytes,\r\n"
                   "power_limit_default_w,\r\npower_limit_min_w,\r\npower_limit_max_w,\r\n"
                   "started_utc,\r\nmode,quick\r\nfuture_key,anything\r\n");
  snprintf(path, sizeof path, "%s/measurements.csv", dir);
  write_file(path, "time_s,time_p10_s,time_p90_s,reps,kernel,bytes,note\r\n"
                   "0.00001,0.00001,0.00001,10,\"hbm_stream\",33554432,\"a, note\"\r\n"
                   "0.0001,0.00009,0.00011,10,hbm_stream,335544320,");
  tf_meas *m = NULL;
  TF_CHECK_INT(tf_meas_load(dir, &m, NULL, NULL), 0);
  if (m) {
    TF_CHECK_INT(m->n_rows, 2);
    TF_CHECK_INT(m->n_device, 17);
    TF_CHECK(!tf_meas_has(m->sm_clock_max_mhz));
    TF_CHECK_NEAR(m->rows[1].bytes, 335544320, 0);
    TF_CHECK_INT(m->rows[1].line, 3);
    TF_CHECK(!tf_meas_has(m->rows[1].m));
    tf_meas_destroy(m);
  }
}

int main(void) {
  if (chdir(TF_CALIB_FIXTURES) != 0) {
    perror(TF_CALIB_FIXTURES);
    return 1;
  }
  test_bad_files();
  test_good_folder();
  char tmp[] = "/tmp/tf_calib_meas_XXXXXX";
  if (mkdtemp(tmp)) {
    test_tolerated(tmp);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    TF_CHECK_INT(system(cmd), 0);
  } else {
    TF_CHECK(!"mkdtemp");
  }
  return tf_test_report("calibration_measurements");
}
