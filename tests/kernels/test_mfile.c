/* The measurement files: plain-decimal numbers, the exact bytes of a small folder, rows built from
 * every configuration of both sweeps keeping the contract (checked by calib_check.c, which shares
 * no code with the writer), atomic replacement, and a folder that cannot be written. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calib_check.h"
#include "error.h"
#include "mfile.h"
#include "plan.h"
#include "tf_test.h"

static char *slurp(const char *dir, const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = calloc(1, 1 << 20);
  if (buf)
    fread(buf, 1, (1 << 20) - 1, f);
  fclose(f);
  return buf;
}

/* Files in dir whose names start with '.' (temporary files left behind). */
static int hidden_files(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    n += e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return n;
}

static void remove_dir(const char *dir) {
  char path[512];
  snprintf(path, sizeof path, "%s/device.csv", dir);
  remove(path);
  snprintf(path, sizeof path, "%s/measurements.csv", dir);
  remove(path);
  rmdir(dir);
}

static void check_number(double v, const char *want) {
  char buf[TF_MFILE_NUMBER_MAX];
  tf_mfile_number(v, buf, sizeof buf);
  TF_CHECK_STR(buf, want);
}

static void test_numbers(void) {
  check_number(0, "0");
  check_number(-0.0, "0");
  check_number(132, "132");
  check_number(0.000065, "0.000065");
  check_number(1234567.5, "1234567.5");
  check_number(2e20, "200000000000000000000");
  check_number(3.35e12, "3350000000000");
  check_number(1.0 / 3, "0.333333333333333");
  check_number(2.5e-5, "0.000025");
  check_number(NAN, "");
  check_number(INFINITY, "");
  char small[4];
  tf_mfile_number(1, small, sizeof small); /* too small a buffer: empty, not truncated */
  TF_CHECK_STR(small, "");
}

static const tf_mfile_device device = {
    .gpu_name = "NVIDIA \"Fake\" H100",
    .gpu_uuid = "GPU-12345678-9abc-def0-1234-56789abcdef0",
    .compute_capability = "9.0",
    .driver_version = NULL,
    .cuda_runtime_version = "13.0",
    .cublas_version = "13.0.2",
    .sm_count = 132,
    .sm_clock_max_mhz = 1980,
    .mem_clock_max_mhz = 2619,
    .hbm_bytes = 85045166080.0,
    .power_limit_default_w = 700,
    .power_limit_min_w = 200,
    .power_limit_max_w = NAN,
    .started_utc = "2025-01-31T12:00:00Z",
    .mode = "quick"};

static const char device_csv[] =
    "key,value\r\n"
    "\"format\",\"tokenfab-calibration-1\"\r\n"
    "\"gpu_name\",\"NVIDIA \"\"Fake\"\" H100\"\r\n"
    "\"gpu_uuid\",\"GPU-12345678-9abc-def0-1234-56789abcdef0\"\r\n"
    "\"compute_capability\",\"9.0\"\r\n"
    "\"driver_version\",\r\n"
    "\"cuda_runtime_version\",\"13.0\"\r\n"
    "\"cublas_version\",\"13.0.2\"\r\n"
    "\"sm_count\",132\r\n"
    "\"sm_clock_max_mhz\",1980\r\n"
    "\"mem_clock_max_mhz\",2619\r\n"
    "\"hbm_bytes\",85045166080\r\n"
    "\"power_limit_default_w\",700\r\n"
    "\"power_limit_min_w\",200\r\n"
    "\"power_limit_max_w\",\r\n"
    "\"started_utc\",\"2025-01-31T12:00:00Z\"\r\n"
    "\"mode\",\"quick\"\r\n";

static const char measurements_csv[] =
    "kernel,dtype,m,n,k,groups,batch,context,heads,kv_heads,head_dim,layout,bytes,flops,"
    "bytes_moved,power_limit_w,reps,time_s,time_p10_s,time_p90_s,power_w,sm_clock_mhz\r\n"
    /* a GEMM: no attention or stream columns */
    "\"gemm\",\"bf16\",16,8192,8192,1,,,,,,,,2147483648,134742016,,20,0.000025,0.000024,"
    "0.0000275,512.5,1980\r\n"
    /* MLA attention at a 350 W limit, without NVML readings; bytes: queries 2 x 128 x 576 x 2,
     * cache 2 x 1024 x 576 x 1, output 2 x 128 x 512 x 4 */
    "\"attn_decode\",\"fp8\",,,,1,2,1024,128,1,512,\"mla\",,570425344,1998848,350,10,0.001,"
    "0.0009,0.0011,,\r\n"
    "\"hbm_stream\",,,,,1,,,,,,,1048576,131072,1048576,,50,0.0000005,0.0000005,0.000001,300,"
    "1755\r\n"
    "\"idle\",,,,,1,,,,,,,,0,0,,1,2.0001,2.0001,2.0001,68.25,345\r\n";

static void test_exact_bytes(const char *dir) {
  tf_mfile_row rows[4];
  tf_plan_item gemm = {.kernel = TF_KERNEL_GEMM, .dtype = TF_DTYPE_BF16, .m = 16, .n = 8192,
                       .k = 8192, .groups = 1};
  tf_mfile_row_from_item(&rows[0], &gemm);
  TF_CHECK_INT(rows[0].batch, -1);
  TF_CHECK(isnan(rows[0].time_s));
  rows[0].reps = 20;
  rows[0].time_s = 2.5e-5;
  rows[0].time_p10_s = 2.4e-5;
  rows[0].time_p90_s = 2.75e-5;
  rows[0].power_w = 512.5;
  rows[0].sm_clock_mhz = 1980;
  tf_plan_item mla = {.kernel = TF_KERNEL_ATTN_DECODE, .dtype = TF_DTYPE_E4M3, .batch = 2,
                      .context = 1024, .heads = 128, .kv_heads = 1, .head_dim = 512,
                      .rope_dim = 64, .layout = TF_LAYOUT_MLA, .page_size = 64, .groups = 1,
                      .power_limit_w = 350};
  tf_mfile_row_from_item(&rows[1], &mla);
  rows[1].reps = 10;
  rows[1].time_s = 1e-3;
  rows[1].time_p10_s = 0.9e-3;
  rows[1].time_p90_s = 1.1e-3;
  tf_plan_item hbm = {.kernel = TF_KERNEL_HBM_STREAM, .bytes = 1 << 20, .groups = 1};
  tf_mfile_row_from_item(&rows[2], &hbm);
  rows[2].reps = 50;
  rows[2].time_s = rows[2].time_p10_s = 5e-7;
  rows[2].time_p90_s = 1e-6;
  rows[2].power_w = 300;
  rows[2].sm_clock_mhz = 1755;
  tf_plan_item idle = {.kernel = TF_KERNEL_IDLE, .idle_s = 2, .groups = 1};
  tf_mfile_row_from_item(&rows[3], &idle);
  rows[3].reps = 1;
  rows[3].time_s = rows[3].time_p10_s = rows[3].time_p90_s = 2.0001;
  rows[3].power_w = 68.25;
  rows[3].sm_clock_mhz = 345;

  char err[512] = "";
  TF_CHECK_INT(tf_mfile_write(dir, &device, rows, 4, err, sizeof err), 0);
  char *d = slurp(dir, "device.csv"), *m = slurp(dir, "measurements.csv");
  TF_CHECK_STR(d, device_csv);
  TF_CHECK_STR(m, measurements_csv);
  free(d);
  free(m);
  TF_CHECK_INT(hidden_files(dir), 0);
  size_t n = 0;
  int rc = calib_check_dir(dir, &n, err, sizeof err);
  TF_CHECK_INT(rc, 0);
  if (rc)
    fprintf(stderr, "%s\n", err);
  TF_CHECK_INT(n, 4);

  /* Text a spreadsheet would run as a formula gets an apostrophe inside its quotes. */
  tf_mfile_device formula = device;
  formula.gpu_name = "=HYPERLINK(\"x\")";
  TF_CHECK_INT(tf_mfile_write(dir, &formula, rows, 0, err, sizeof err), 0);
  d = slurp(dir, "device.csv");
  TF_CHECK(d && strstr(d, "\"gpu_name\",\"'=HYPERLINK(\"\"x\"\")\"\r\n") != NULL);
  free(d);
  m = slurp(dir, "measurements.csv"); /* replaced whole: the header alone now */
  TF_CHECK(m && strchr(m, '\n') == m + strlen(m) - 1);
  free(m);
  TF_CHECK_INT(calib_check_dir(dir, &n, err, sizeof err), 0);
  TF_CHECK_INT(n, 0);
}

/* Every configuration of both sweeps (and a power-limit subset) as a row, with made-up timings,
 * passes the independent check: each kernel's columns are where the contract wants them. */
static void test_whole_plans(const char *dir) {
  for (int mode = 0; mode < 2; mode++) {
    tf_plan p;
    TF_CHECK_INT(tf_plan_init(&p, mode ? TF_PLAN_FULL : TF_PLAN_QUICK), 0);
    TF_CHECK_INT(tf_plan_add_power_limit(&p, 400), 0);
    tf_mfile_row *rows = calloc(p.n, sizeof *rows);
    if (!rows)
      return;
    for (size_t i = 0; i < p.n; i++) {
      tf_mfile_row_from_item(&rows[i], &p.items[i]);
      rows[i].reps = 7;
      rows[i].time_s = 1e-4 * (double)(i + 1);
      rows[i].time_p10_s = 0.95 * rows[i].time_s;
      rows[i].time_p90_s = 1.05 * rows[i].time_s;
      rows[i].power_w = 400;
      rows[i].sm_clock_mhz = 1800;
    }
    tf_mfile_device dev = device;
    dev.mode = mode ? "full" : "quick";
    char err[512] = "";
    TF_CHECK_INT(tf_mfile_write(dir, &dev, rows, p.n, err, sizeof err), 0);
    size_t n = 0;
    int rc = calib_check_dir(dir, &n, err, sizeof err);
    TF_CHECK_INT(rc, 0);
    if (rc)
      fprintf(stderr, "%s\n", err);
    TF_CHECK_INT(n, p.n);
    free(rows);
    tf_plan_fini(&p);
  }
}

/* The checker refuses what the contract forbids (a check of the check). */
static void test_checker_refuses(const char *dir) {
  tf_plan_item gemm = {.kernel = TF_KERNEL_GEMM, .dtype = TF_DTYPE_BF16, .m = 1, .n = 2, .k = 3,
                       .groups = 1};
  tf_mfile_row row;
  char err[512];
  struct {
    const char *what;
    double p10, time, p90;
    int64_t reps, m;
  } cases[] = {{"p10 above the median", 2, 1, 3, 5, 1},
               {"zero time", 0, 0, 0, 5, 1},
               {"no reps", 1, 1, 1, 0, 1},
               {"m missing", 1, 1, 1, 5, -1}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    tf_mfile_row_from_item(&row, &gemm);
    row.time_p10_s = cases[i].p10;
    row.time_s = cases[i].time;
    row.time_p90_s = cases[i].p90;
    row.reps = cases[i].reps;
    row.m = cases[i].m;
    TF_CHECK_INT(tf_mfile_write(dir, &device, &row, 1, err, sizeof err), 0);
    int rc = calib_check_dir(dir, NULL, err, sizeof err);
    TF_CHECK_INT(rc, -1);
    TF_CHECK(strstr(err, "measurements.csv:2:") != NULL);
  }
}

static void test_unwritable(const char *dir) {
  char file[512], sub[600], err[512] = "";
  snprintf(file, sizeof file, "%s/plain-file", dir);
  FILE *f = fopen(file, "w");
  TF_CHECK(f != NULL);
  if (f)
    fclose(f);
  snprintf(sub, sizeof sub, "%s/inside", file); /* a folder inside a file */
  TF_CHECK_INT(tf_mfile_write(sub, &device, NULL, 0, err, sizeof err), TF_EIO);
  TF_CHECK(strstr(err, "cannot create the folder") != NULL);
  remove(file);
  TF_CHECK_INT(hidden_files(dir), 0);
}

int main(void) {
  test_numbers();
  char dir[] = "/tmp/tf-mfile-XXXXXX";
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  char out[64];
  snprintf(out, sizeof out, "%s/calib", dir); /* created by the writer */
  test_exact_bytes(out);
  test_whole_plans(out);
  test_checker_refuses(out);
  test_unwritable(dir);
  remove_dir(out);
  rmdir(dir);
  return tf_test_report("kernels_mfile");
}
