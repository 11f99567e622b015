/* Known-answer tests of the fit: the recorded H100 fixture (simulated from known curves with
 * deterministic noise, see README.md) must give back those curves within a 99.9% confidence
 * interval of each parameter; curves the data cannot support are refused with their sentence. */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "diag.h"
#include "error.h"
#include "fit.h"
#include "measurements.h"
#include "tf_test.h"

#ifndef TF_CALIB_FIXTURES
#error "TF_CALIB_FIXTURES is defined by the build"
#endif
#ifndef TF_CATALOG_DIR
#error "TF_CATALOG_DIR is defined by the build"
#endif

/* The truth of gen_fixtures.c, which wrote the fixtures. */
#define TRUE_HBM_EFF (3000.0 / 3350.0)
#define TRUE_HBM_LATENCY_S 2.5e-6
#define TRUE_GEMM_EFF (1550.0 / 1979.0)
#define TRUE_GEMM_M_HALF 40.0
#define TRUE_GROUPED_EFF 0.70
#define TRUE_GROUPED_M_HALF 90.0
#define TRUE_ATTN_BW_EFF 0.82
#define TRUE_ATTN_LATENCY_S 8e-6
#define TRUE_IDLE_W 72.5
#define TRUE_ACTIVITY_COMPUTE 0.92
#define TRUE_ACTIVITY_HBM ((380.0 - 75.0) / (700.0 - 75.0))
#define TRUE_CLOCK_EXPONENT 2.6
#define TIME_NOISE 0.03 /* the fixture's medians lie within +-3% of the curve */

/* Two-sided probability outside the interval a fitted parameter must contain its truth in. */
#define OUTSIDE_PROBABILITY 0.001
/* A recovered parameter's standard error must be below this share of its value: the fixture has
 * enough rows to pin every curve down. */
#define MAX_REL_STD_ERROR 0.05

static const tf_catalog_gpu *h100;

static tf_meas *load(const char *dir) {
  tf_meas *m = NULL;
  TF_CHECK_INT(tf_meas_load(dir, &m, NULL, NULL), 0);
  return m;
}

/* The fitted parameter id must contain truth in its 99.9% interval: Student t with the curve's
 * degrees of freedom (its rows minus its parameters) times the standard error. */
static void check_recovered(const tf_fit *f, tf_fit_param_id id, tf_fit_curve_id curve,
                            size_t n_params, double truth) {
  const tf_fit_param *p = &f->param[id];
  const tf_fit_curve *c = &f->curve[curve];
  TF_CHECK(p->fitted);
  TF_CHECK(p->std_error > 0);
  TF_CHECK(p->std_error < MAX_REL_STD_ERROR * fabs(p->value));
  double dof = (double)(c->n_points - n_params);
  double t = gsl_cdf_tdist_Qinv(OUTSIDE_PROBABILITY / 2, dof);
  if (!(fabs(p->value - truth) <= t * p->std_error))
    fprintf(stderr, "%s = %.6g +- %.3g, truth %.6g (%.2f standard errors, t = %.2f)\n", p->name,
            p->value, p->std_error, truth, fabs(p->value - truth) / p->std_error, t);
  TF_CHECK_NEAR(p->value, truth, t * p->std_error);
}

static void test_h100(void) {
  tf_meas *m = load("h100");
  if (!m)
    return;
  tf_fit f;
  TF_CHECK_INT(tf_fit_run(m, h100, &f), 0);
  TF_CHECK_STR(f.why, "");
  TF_CHECK_INT(f.n_refused, 0);
  TF_CHECK_STR(f.gpu, "h100-sxm");
  static const size_t rows[TF_FIT_N_CURVES] = {12, 72, 32, 36, 5, 152, 10};
  for (int i = 0; i < TF_FIT_N_CURVES; i++) {
    TF_CHECK_INT(f.curve[i].status, TF_FIT_FITTED);
    TF_CHECK_INT(f.curve[i].n_points, rows[i]);
    /* The fixture's noise is +-3% uniform (RMS 1.7%) on times, +-1% on power. */
    TF_CHECK(f.curve[i].rms_rel_error < TIME_NOISE);
  }
  check_recovered(&f, TF_FIT_HBM_EFF, TF_FIT_CURVE_HBM_STREAM, 2, TRUE_HBM_EFF);
  check_recovered(&f, TF_FIT_HBM_LATENCY_S, TF_FIT_CURVE_HBM_STREAM, 2, TRUE_HBM_LATENCY_S);
  check_recovered(&f, TF_FIT_GEMM_EFF, TF_FIT_CURVE_GEMM, 2, TRUE_GEMM_EFF);
  check_recovered(&f, TF_FIT_GEMM_M_HALF, TF_FIT_CURVE_GEMM, 2, TRUE_GEMM_M_HALF);
  check_recovered(&f, TF_FIT_GROUPED_GEMM_EFF, TF_FIT_CURVE_GROUPED_GEMM, 2, TRUE_GROUPED_EFF);
  check_recovered(&f, TF_FIT_GROUPED_GEMM_M_HALF, TF_FIT_CURVE_GROUPED_GEMM, 2,
                  TRUE_GROUPED_M_HALF);
  check_recovered(&f, TF_FIT_ATTN_DECODE_BW_EFF, TF_FIT_CURVE_ATTN_DECODE, 2, TRUE_ATTN_BW_EFF);
  check_recovered(&f, TF_FIT_ATTN_DECODE_LATENCY_S, TF_FIT_CURVE_ATTN_DECODE, 2,
                  TRUE_ATTN_LATENCY_S);
  check_recovered(&f, TF_FIT_IDLE_POWER_W, TF_FIT_CURVE_IDLE, 1, TRUE_IDLE_W);
  check_recovered(&f, TF_FIT_ACTIVITY_COMPUTE, TF_FIT_CURVE_POWER_ACTIVITY, 2,
                  TRUE_ACTIVITY_COMPUTE);
  check_recovered(&f, TF_FIT_ACTIVITY_HBM, TF_FIT_CURVE_POWER_ACTIVITY, 2, TRUE_ACTIVITY_HBM);
  /* Two configurations: the exponent and two levels. */
  check_recovered(&f, TF_FIT_CLOCK_EXPONENT, TF_FIT_CURVE_POWER_CLOCK, 3, TRUE_CLOCK_EXPONENT);
  /* The cross-check has no standard error: the median of four large streams, each within the
   * noise of the truth. */
  TF_CHECK(f.param[TF_FIT_HBM_EFF_LARGE_MEDIAN].present);
  TF_CHECK(isnan(f.param[TF_FIT_HBM_EFF_LARGE_MEDIAN].std_error));
  TF_CHECK_NEAR(f.param[TF_FIT_HBM_EFF_LARGE_MEDIAN].value, TRUE_HBM_EFF,
                TIME_NOISE * TRUE_HBM_EFF);

  /* Sources and defaults. */
  TF_CHECK_STR(f.param[TF_FIT_GEMM_EFF].source, "fit of 72 gemm rows, rms 1.7%");
  TF_CHECK_STR(f.param[TF_FIT_CLOCK_EXPONENT].source,
               "log-log fit of 10 rows of 2 compute-bound GEMMs at 5 power limits, rms 0.5%");
  TF_CHECK_STR(f.param[TF_FIT_IDLE_POWER_W].source, "mean of 5 idle rows, rms 0.6%");
  TF_CHECK_NEAR(f.param[TF_FIT_GEMM_EFF].default_value, tf_gpu_profile_default()->gemm_eff, 0);
  TF_CHECK_NEAR(f.param[TF_FIT_IDLE_POWER_W].default_value, 70, 0);
  TF_CHECK(!f.param[TF_FIT_ATTN_EFF].fitted);
  TF_CHECK_NEAR(f.param[TF_FIT_ATTN_EFF].value, tf_gpu_profile_default()->attn_eff, 0);
  TF_CHECK_STR(f.param[TF_FIT_ATTN_EFF].source, "default (docs/PERF_MODEL.md); not measured yet");

  /* The fitted profiles pass the models' own checks. */
  tf_gpu_profile gpu = *tf_gpu_profile_default();
  tf_power_profile power = *tf_power_profile_default();
  tf_fit_apply(f.param, &gpu, &power);
  TF_CHECK_NEAR(gpu.gemm_eff, f.param[TF_FIT_GEMM_EFF].value, 0);
  TF_CHECK_NEAR(gpu.hbm_eff, f.param[TF_FIT_HBM_EFF].value, 0);
  TF_CHECK_NEAR(power.clock_exponent, f.param[TF_FIT_CLOCK_EXPONENT].value, 0);
  TF_CHECK_INT(tf_gpu_profile_check(&gpu), 0);
  TF_CHECK_INT(tf_power_profile_check(&power), 0);

  /* Same data, same fit, bit for bit. */
  tf_fit again;
  TF_CHECK_INT(tf_fit_run(m, h100, &again), 0);
  for (int i = 0; i < TF_FIT_N_PARAMS; i++)
    TF_CHECK(memcmp(&again.param[i].value, &f.param[i].value, sizeof(double)) == 0);
  tf_meas_destroy(m);
}

static void expect_refused(const char *dir, tf_fit_curve_id curve, const char *why) {
  tf_meas *m = load(dir);
  if (!m)
    return;
  tf_fit f;
  TF_CHECK_INT(tf_fit_run(m, h100, &f), TF_ENUMERIC);
  TF_CHECK_INT(f.curve[curve].status, TF_FIT_REFUSED);
  TF_CHECK_STR(f.curve[curve].why, why);
  TF_CHECK_STR(f.why, why);
  TF_CHECK_STR(tf_err_reason(), why);
  TF_CHECK_INT(f.n_refused, 1);
  /* The stream in the same folder is fine, and fitted. */
  TF_CHECK_INT(f.curve[TF_FIT_CURVE_HBM_STREAM].status, TF_FIT_FITTED);
  tf_meas_destroy(m);
}

static void test_refused_fixtures(void) {
  expect_refused("few_points", TF_FIT_CURVE_GEMM,
                 "gemm: 3 rows for 2 parameters (expected at least 4: the parameters + 2)");
  expect_refused("nonsense", TF_FIT_CURVE_GEMM,
                 "gemm: RMS relative error 55.8% is above the 15% a profile accepts (expected "
                 "measurements the curve describes)");
}

/* ---- Synthetic folders built in memory ---- */

static tf_meas_row blank(tf_meas_kernel k) {
  return (tf_meas_row){.kernel = k, .m = NAN, .n = NAN, .k = NAN, .groups = NAN, .batch = NAN,
                       .context = NAN, .heads = NAN, .kv_heads = NAN, .head_dim = NAN,
                       .bytes = NAN, .flops = NAN, .bytes_moved = NAN, .power_limit_w = NAN,
                       .reps = 10, .power_w = NAN, .sm_clock_mhz = NAN};
}

static void set_time(tf_meas_row *r, double t) {
  r->time_s = t;
  r->time_p10_s = 0.99 * t;
  r->time_p90_s = 1.01 * t;
}

static tf_meas make(tf_meas_row *rows, size_t n) {
  for (size_t i = 0; i < n; i++)
    rows[i].line = (int)i + 2;
  return (tf_meas){.sm_clock_max_mhz = NAN, .power_limit_default_w = NAN, .n_rows = n,
                   .rows = rows};
}

/* A stream faster than the catalogue's HBM: an efficiency above 1 is refused. */
static void test_out_of_range(void) {
  tf_meas_row rows[8];
  for (int i = 0; i < 8; i++) {
    rows[i] = blank(TF_MEAS_HBM_STREAM);
    rows[i].bytes = ldexp(1, 24 + i);
    set_time(&rows[i], 2e-6 + rows[i].bytes / (h100->hbm_bandwidth_bytes_per_s * 1.3));
  }
  tf_meas m = make(rows, 8);
  tf_fit f;
  TF_CHECK_INT(tf_fit_run(&m, h100, &f), TF_ENUMERIC);
  TF_CHECK_STR(f.why, "hbm_stream: hbm_eff = 1.3 is outside (0, 1] (expected a fraction of the "
                      "catalogue's peak)");
  TF_CHECK(!f.param[TF_FIT_HBM_EFF].fitted);

  /* A latency below zero: the stream is fine but for a negative fixed time. */
  for (int i = 0; i < 8; i++)
    set_time(&rows[i], -2e-6 + rows[i].bytes / (h100->hbm_bandwidth_bytes_per_s * 0.9));
  TF_CHECK_INT(tf_fit_run(&m, h100, &f), TF_ENUMERIC);
  TF_CHECK(strncmp(f.why, "hbm_stream: hbm_latency_s = -2e-06 s is negative (expected >= 0)",
                   strlen("hbm_stream: hbm_latency_s = -2e-06 s is negative")) == 0);
}

/* GEMMs all at one token count cannot tell e_max from m_half. */
static void test_singular(void) {
  tf_meas_row rows[6];
  for (int i = 0; i < 6; i++) {
    tf_meas_row *r = &rows[i];
    *r = blank(TF_MEAS_GEMM);
    r->dtype = TF_MEAS_BF16;
    r->m = 64, r->n = 1024.0 * (i + 1), r->k = 4096, r->groups = 1;
    r->flops = 2 * r->m * r->n * r->k;
    r->bytes_moved = 2 * (r->n * r->k + r->m * r->k + r->m * r->n);
    double tc = r->flops * (64 + 40) / (h100->bf16_dense_flops * 0.78 * 64);
    double default_hbm = tf_gpu_profile_default()->hbm_eff;
    set_time(r, tc + r->bytes_moved / (h100->hbm_bandwidth_bytes_per_s * default_hbm));
  }
  tf_meas m = make(rows, 6);
  tf_fit f;
  TF_CHECK_INT(tf_fit_run(&m, h100, &f), TF_ENUMERIC);
  TF_CHECK_STR(f.why, "gemm: gemm_m_half is not determined by the data (singular covariance; "
                      "expected m from a few tokens to thousands)");
}

/* A compute-bound GEMM whose power barely follows its clock (P - idle as the square root of the
 * clock; 0.53 once the model's small activity shift is taken out): an exponent below 1 is
 * refused. */
static void test_clock_exponent_below_one(void) {
  tf_meas_row rows[5];
  for (int i = 0; i < 5; i++) {
    tf_meas_row *r = &rows[i];
    *r = blank(TF_MEAS_GEMM);
    r->dtype = TF_MEAS_BF16;
    r->m = r->n = r->k = 8192, r->groups = 1;
    r->flops = 2 * r->m * r->n * r->k;
    r->bytes_moved = 3 * 2 * 8192.0 * 8192;
    set_time(r, r->flops / (h100->bf16_dense_flops * 0.75));
    r->power_limit_w = 300 + 100 * i;
    r->sm_clock_mhz = 1000 + 200 * i;
    r->power_w = 70 + 600 * pow(r->sm_clock_mhz / 1980, 0.5);
  }
  tf_meas m = make(rows, 5);
  m.power_limit_default_w = 700;
  m.sm_clock_max_mhz = 1980;
  tf_fit f;
  TF_CHECK_INT(tf_fit_run(&m, h100, &f), TF_ENUMERIC);
  TF_CHECK_STR(f.curve[TF_FIT_CURVE_POWER_CLOCK].why,
               "power_clock: clock_exponent = 0.53 is below 1 (expected >= 1: dynamic power falls "
               "at least in proportion to the clock)");

  /* One configuration at two limits: 2 rows for 2 parameters. */
  m.n_rows = 2;
  TF_CHECK_INT(tf_fit_run(&m, h100, &f), TF_ENUMERIC);
  TF_CHECK_STR(f.curve[TF_FIT_CURVE_POWER_CLOCK].why,
               "power_clock: 2 rows of 1 compute-bound configurations at several power limits for "
               "2 parameters, the exponent and one level per configuration (expected at least 4: "
               "the parameters + 2)");
}

/* What tokenfab calibrate writes when a limit other than the default is in force (every main
 * row carries it) and in quick mode (one idle row): the main rows are the ones at the highest
 * limit; a row at a lower limit stays out of the time curves; one idle row is a mean without a
 * standard error. */
static void test_calibrate_layouts(void) {
  tf_meas_row rows[10];
  for (int i = 0; i < 8; i++) {
    rows[i] = blank(TF_MEAS_HBM_STREAM);
    rows[i].bytes = ldexp(1, 22 + i);
    rows[i].power_limit_w = 500;
    set_time(&rows[i], 3e-6 + rows[i].bytes / (h100->hbm_bandwidth_bytes_per_s * 0.9));
  }
  rows[8] = rows[7];
  rows[8].power_limit_w = 300;
  set_time(&rows[8], 10 * rows[7].time_s); /* nothing the stream curve could follow */
  rows[9] = blank(TF_MEAS_IDLE);
  set_time(&rows[9], 0.5);
  rows[9].power_w = 71;
  tf_meas m = make(rows, 10);
  m.power_limit_default_w = 700;
  tf_fit f;
  TF_CHECK_INT(tf_fit_run(&m, h100, &f), 0);
  TF_CHECK_INT(f.curve[TF_FIT_CURVE_HBM_STREAM].n_points, 8);
  TF_CHECK_NEAR(f.param[TF_FIT_HBM_EFF].value, 0.9, 1e-9);
  TF_CHECK_NEAR(f.param[TF_FIT_HBM_LATENCY_S].value, 3e-6, 1e-15);
  TF_CHECK_INT(f.curve[TF_FIT_CURVE_IDLE].status, TF_FIT_FITTED);
  TF_CHECK_NEAR(f.param[TF_FIT_IDLE_POWER_W].value, 71, 0);
  TF_CHECK(isnan(f.param[TF_FIT_IDLE_POWER_W].std_error));
  TF_CHECK(isnan(f.curve[TF_FIT_CURVE_IDLE].rms_rel_error));
  TF_CHECK_STR(f.param[TF_FIT_IDLE_POWER_W].source, "one idle row");
  /* Streams under a limit but no GEMM: nothing the clock exponent can be fitted on. */
  TF_CHECK_INT(f.curve[TF_FIT_CURVE_POWER_CLOCK].status, TF_FIT_NO_DATA);
}

static void test_nothing_to_fit(void) {
  tf_meas_row rows[3];
  for (int i = 0; i < 3; i++) {
    rows[i] = blank(TF_MEAS_IDLE);
    set_time(&rows[i], 1);
    rows[i].power_w = 70 + i;
  }
  tf_meas m = make(rows, 3);
  tf_fit f;
  TF_CHECK_INT(tf_fit_run(&m, h100, &f), TF_ENUMERIC);
  TF_CHECK_INT(f.curve[TF_FIT_CURVE_IDLE].status, TF_FIT_FITTED);
  TF_CHECK_STR(f.why, "nothing to fit: the measurements hold no gemm, grouped_gemm, attn_decode "
                      "or hbm_stream rows (expected at least one of these kernels)");
}

/* A catalogue GPU without the peak the rows need is the caller's mistake, not a refusal. */
static void test_missing_peak(void) {
  tf_meas_row rows[1] = {blank(TF_MEAS_GEMM)};
  rows[0].dtype = TF_MEAS_FP8;
  rows[0].m = rows[0].n = rows[0].k = 16;
  rows[0].flops = 2 * 16 * 16 * 16;
  rows[0].bytes_moved = 1024;
  set_time(&rows[0], 1e-5);
  tf_meas m = make(rows, 1);
  tf_catalog_gpu g = *h100;
  g.has.fp8_dense = false;
  tf_fit f;
  TF_CHECK_INT(tf_fit_run(&m, &g, &f), TF_EINVAL);
  TF_CHECK_STR(f.why, "the catalogue GPU h100-sxm has no fp8_dense figure, which 1 measurement "
                      "rows need (expected a GPU entry with it)");
}

static int handler_calls;
static void counting_handler(const char *reason, const char *file, int line, int gsl_errno) {
  (void)reason, (void)file, (void)line, (void)gsl_errno;
  handler_calls++;
}

int main(void) {
  /* tf_fit_run turns GSL's handler off and must put back whatever the caller had. */
  gsl_set_error_handler(counting_handler);
  tf_diags *d = NULL;
  tf_catalog *cat = NULL;
  TF_CHECK_INT(tf_diags_create(&d), 0);
  TF_CHECK_INT(tf_catalog_open(TF_CATALOG_DIR, &cat, d), 0);
  tf_diags_destroy(d);
  if (!cat)
    return tf_test_report("calibration_fit");
  h100 = tf_catalog_find_gpu(cat, "h100-sxm");
  TF_CHECK(h100 != NULL);
  if (h100 && chdir(TF_CALIB_FIXTURES) == 0) {
    test_h100();
    test_refused_fixtures();
    test_out_of_range();
    test_singular();
    test_clock_exponent_below_one();
    test_calibrate_layouts();
    test_nothing_to_fit();
    test_missing_peak();
  }
  TF_CHECK(gsl_set_error_handler_off() == counting_handler);
  TF_CHECK_INT(handler_calls, 0);
  tf_catalog_destroy(cat);
  return tf_test_report("calibration_fit");
}
