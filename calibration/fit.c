/* Fitting measurements into a GPU profile (fit.h): GSL's trust-region nonlinear least squares
 * for the time and power curves, a log-log line for the clock exponent. */
#include "fit.h"

#include <assert.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* ---- Names and defaults ---- */

static const char *const curve_names[TF_FIT_N_CURVES] = {
    "hbm_stream", "gemm", "grouped_gemm", "attn_decode", "idle", "power_activity",
    "power_clock"};

static const struct param_info {
  const char *name, *unit;
  const char *default_source; /* where the default comes from */
} param_info[TF_FIT_N_PARAMS] = {
    [TF_FIT_GEMM_EFF] = {"gemm_eff", "1", "default (docs/PERF_MODEL.md)"},
    [TF_FIT_ATTN_EFF] = {"attn_eff", "1", "default (docs/PERF_MODEL.md); not measured yet"},
    [TF_FIT_HBM_EFF] = {"hbm_eff", "1", "default (docs/PERF_MODEL.md)"},
    [TF_FIT_SCALE_UP_EFF] = {"scale_up_eff", "1", "default (docs/PERF_MODEL.md); not measured yet"},
    [TF_FIT_SCALE_OUT_EFF] = {"scale_out_eff", "1",
                              "default (docs/PERF_MODEL.md); not measured yet"},
    [TF_FIT_SCALE_UP_LATENCY_S] = {"scale_up_latency_s", "s",
                                   "default (docs/PERF_MODEL.md); not measured yet"},
    [TF_FIT_SCALE_OUT_LATENCY_S] = {"scale_out_latency_s", "s",
                                    "default (docs/PERF_MODEL.md); not measured yet"},
    [TF_FIT_KERNEL_GAP_S] = {"kernel_gap_s", "s", "default (docs/PERF_MODEL.md); not measured yet"},
    [TF_FIT_KERNELS_PER_LAYER] = {"kernels_per_layer", "kernels",
                                  "default (docs/PERF_MODEL.md); not measured yet"},
    [TF_FIT_STEP_OVERHEAD_S] = {"step_overhead_s", "s",
                                "default (docs/PERF_MODEL.md); not measured yet"},
    [TF_FIT_GEMM_M_HALF] = {"gemm_m_half", "tokens",
                            "default: 0, the perf model's constant gemm_eff"},
    [TF_FIT_GROUPED_GEMM_EFF] = {"grouped_gemm_eff", "1",
                                 "default: gemm_eff, which the perf model uses for experts"},
    [TF_FIT_GROUPED_GEMM_M_HALF] = {"grouped_gemm_m_half", "tokens",
                                    "default: 0, the perf model's constant gemm_eff"},
    [TF_FIT_ATTN_DECODE_BW_EFF] = {"attn_decode_bw_eff", "1",
                                   "default: hbm_eff, which the perf model uses for decode "
                                   "attention"},
    [TF_FIT_ATTN_DECODE_LATENCY_S] = {"attn_decode_latency_s", "s",
                                      "default: 0, none in the perf model"},
    [TF_FIT_HBM_LATENCY_S] = {"hbm_latency_s", "s", "default: 0, none in the perf model"},
    [TF_FIT_HBM_EFF_LARGE_MEDIAN] = {"hbm_eff_large_median", "1", "no default (a cross-check)"},
    [TF_FIT_IDLE_POWER_W] = {"idle_power_w", "W", "default: the catalogue's idle_power"},
    [TF_FIT_ACTIVITY_COMPUTE] = {"activity_compute", "1", "default (docs/POWER.md)"},
    [TF_FIT_ACTIVITY_HBM] = {"activity_hbm", "1", "default (docs/POWER.md)"},
    [TF_FIT_ACTIVITY_SCALE_UP] = {"activity_scale_up", "1",
                                  "default (docs/POWER.md); not measured yet"},
    [TF_FIT_ACTIVITY_SCALE_OUT] = {"activity_scale_out", "1",
                                   "default (docs/POWER.md); not measured yet"},
    [TF_FIT_ACTIVITY_LATENCY] = {"activity_latency", "1",
                                 "default (docs/POWER.md); not measured yet"},
    [TF_FIT_CLOCK_EXPONENT] = {"clock_exponent", "1", "default (docs/POWER.md)"},
    [TF_FIT_MIN_CLOCK] = {"min_clock", "1", "default (docs/POWER.md); not measured yet"},
};

int tf_fit_param_find(const char *name) {
  for (int i = 0; i < TF_FIT_N_PARAMS; i++)
    if (strcmp(param_info[i].name, name) == 0)
      return i;
  return -1;
}

int tf_fit_curve_find(const char *name) {
  for (int i = 0; i < TF_FIT_N_CURVES; i++)
    if (strcmp(curve_names[i], name) == 0)
      return i;
  return -1;
}

const char *tf_fit_default_source(tf_fit_param_id id) {
  assert(id >= 0 && id < TF_FIT_N_PARAMS);
  return param_info[id].default_source;
}

static const char *const status_names[] = {"no data", "fitted", "refused"};

const char *tf_fit_status_name(tf_fit_status s) {
  assert(s >= TF_FIT_NO_DATA && s <= TF_FIT_REFUSED);
  return status_names[s];
}

int tf_fit_status_parse(const char *word) {
  for (int i = 0; i < 3; i++)
    if (strcmp(status_names[i], word) == 0)
      return i;
  return -1;
}

static void set_default(tf_fit_param *p, tf_fit_param_id id, double v) {
  p->name = param_info[id].name;
  p->unit = param_info[id].unit;
  p->present = !isnan(v);
  p->fitted = false;
  p->value = v;
  p->std_error = NAN;
  p->default_value = v;
  snprintf(p->source, sizeof p->source, "%s", param_info[id].default_source);
}

void tf_fit_defaults(const tf_catalog_gpu *g, tf_fit *out) {
  memset(out, 0, sizeof *out);
  const tf_gpu_profile *d = tf_gpu_profile_default();
  const tf_power_profile *pw = tf_power_profile_default();
  const double v[TF_FIT_N_PARAMS] = {
      [TF_FIT_GEMM_EFF] = d->gemm_eff,
      [TF_FIT_ATTN_EFF] = d->attn_eff,
      [TF_FIT_HBM_EFF] = d->hbm_eff,
      [TF_FIT_SCALE_UP_EFF] = d->scale_up_eff,
      [TF_FIT_SCALE_OUT_EFF] = d->scale_out_eff,
      [TF_FIT_SCALE_UP_LATENCY_S] = d->scale_up_latency_s,
      [TF_FIT_SCALE_OUT_LATENCY_S] = d->scale_out_latency_s,
      [TF_FIT_KERNEL_GAP_S] = d->kernel_gap_s,
      [TF_FIT_KERNELS_PER_LAYER] = d->kernels_per_layer,
      [TF_FIT_STEP_OVERHEAD_S] = d->step_overhead_s,
      [TF_FIT_GEMM_M_HALF] = 0,
      [TF_FIT_GROUPED_GEMM_EFF] = d->gemm_eff,
      [TF_FIT_GROUPED_GEMM_M_HALF] = 0,
      [TF_FIT_ATTN_DECODE_BW_EFF] = d->hbm_eff,
      [TF_FIT_ATTN_DECODE_LATENCY_S] = 0,
      [TF_FIT_HBM_LATENCY_S] = 0,
      [TF_FIT_HBM_EFF_LARGE_MEDIAN] = NAN,
      [TF_FIT_IDLE_POWER_W] = g && g->has.idle_power ? g->idle_power_w : NAN,
      [TF_FIT_ACTIVITY_COMPUTE] = pw->activity_compute,
      [TF_FIT_ACTIVITY_HBM] = pw->activity_hbm,
      [TF_FIT_ACTIVITY_SCALE_UP] = pw->activity_scale_up,
      [TF_FIT_ACTIVITY_SCALE_OUT] = pw->activity_scale_out,
      [TF_FIT_ACTIVITY_LATENCY] = pw->activity_latency,
      [TF_FIT_CLOCK_EXPONENT] = pw->clock_exponent,
      [TF_FIT_MIN_CLOCK] = pw->min_clock,
  };
  for (int i = 0; i < TF_FIT_N_PARAMS; i++)
    set_default(&out->param[i], (tf_fit_param_id)i, v[i]);
  for (int i = 0; i < TF_FIT_N_CURVES; i++) {
    out->curve[i].name = curve_names[i];
    out->curve[i].status = TF_FIT_NO_DATA;
    out->curve[i].rms_rel_error = NAN;
  }
  if (g)
    snprintf(out->gpu, sizeof out->gpu, "%s", g->entry.name);
}

void tf_fit_apply(const tf_fit_param *p, tf_gpu_profile *gpu, tf_power_profile *power) {
#define SET(dst, id)                                                                           \
  do {                                                                                         \
    if (p[id].present)                                                                         \
      (dst) = p[id].value;                                                                     \
  } while (0)
  SET(gpu->gemm_eff, TF_FIT_GEMM_EFF);
  SET(gpu->attn_eff, TF_FIT_ATTN_EFF);
  SET(gpu->hbm_eff, TF_FIT_HBM_EFF);
  SET(gpu->scale_up_eff, TF_FIT_SCALE_UP_EFF);
  SET(gpu->scale_out_eff, TF_FIT_SCALE_OUT_EFF);
  SET(gpu->scale_up_latency_s, TF_FIT_SCALE_UP_LATENCY_S);
  SET(gpu->scale_out_latency_s, TF_FIT_SCALE_OUT_LATENCY_S);
  SET(gpu->kernel_gap_s, TF_FIT_KERNEL_GAP_S);
  SET(gpu->kernels_per_layer, TF_FIT_KERNELS_PER_LAYER);
  SET(gpu->step_overhead_s, TF_FIT_STEP_OVERHEAD_S);
  SET(power->activity_compute, TF_FIT_ACTIVITY_COMPUTE);
  SET(power->activity_hbm, TF_FIT_ACTIVITY_HBM);
  SET(power->activity_scale_up, TF_FIT_ACTIVITY_SCALE_UP);
  SET(power->activity_scale_out, TF_FIT_ACTIVITY_SCALE_OUT);
  SET(power->activity_latency, TF_FIT_ACTIVITY_LATENCY);
  SET(power->clock_exponent, TF_FIT_CLOCK_EXPONENT);
  SET(power->min_clock, TF_FIT_MIN_CLOCK);
#undef SET
}

/* ---- One curve's data and model ---- */

enum { MAX_PARAMS = 2 }; /* every curve here has one or two parameters */

/* The rows of one curve with their targets and weights, and what the model needs besides its
 * parameters. Built by collect(), freed by data_fini(). */
typedef struct curve_data {
  size_t n;
  const tf_meas_row **row;
  double *y, *sigma;
  double *aux; /* per row: the dtype's peak FLOP/s (GEMMs) or the compute share (power) */
  double hbm_bps;   /* the catalogue's HBM bandwidth, bytes/s */
  double hbm_eff;   /* GEMMs: the HBM efficiency held fixed */
  double idle_w, tdp_w;      /* power: the catalogue's */
  bool free_param[MAX_PARAMS]; /* power: which activities are fitted */
  double fixed[MAX_PARAMS];    /* power: the values of the others */
  /* The model at row i for the fitted parameters theta (fitted ones only, in order); grad, when
   * not NULL, gets d model / d theta. */
  double (*model)(const struct curve_data *d, size_t i, const double *theta, double *grad);
} curve_data;

static void data_fini(curve_data *d) {
  free(d->row);
  free(d->y);
  free(d->sigma);
  free(d->aux);
  memset(d, 0, sizeof *d);
}

/* Allocates room for n rows. 0 or TF_ENOMEM. */
static int data_init(curve_data *d, size_t n) {
  memset(d, 0, sizeof *d);
  size_t k = n ? n : 1;
  d->row = calloc(k, sizeof *d->row);
  d->y = calloc(k, sizeof *d->y);
  d->sigma = calloc(k, sizeof *d->sigma);
  d->aux = calloc(k, sizeof *d->aux);
  if (!d->row || !d->y || !d->sigma || !d->aux) {
    data_fini(d);
    return TF_ENOMEM;
  }
  return 0;
}

/* A measured time's standard deviation for weighting (fit.h: TF_FIT_P10_P90_SIGMAS and
 * TF_FIT_SIGMA_FLOOR_REL). */
static double time_sigma(const tf_meas_row *r) {
  double spread = (r->time_p90_s - r->time_p10_s) / TF_FIT_P10_P90_SIGMAS;
  double floor_s = TF_FIT_SIGMA_FLOOR_REL * r->time_s;
  return spread > floor_s ? spread : floor_s;
}

/* Microseconds per second: latencies are fitted in microseconds, so that every parameter the
 * solver sees is of order one. */
#define US_PER_S 1e6

/* GEMM: t = F (m + h) / (P e m) + B / (HBM hbm_eff); theta = {e, h}. */
static double gemm_model(const curve_data *d, size_t i, const double *th, double *grad) {
  const tf_meas_row *r = d->row[i];
  double peak = d->aux[i], e = th[0], h = th[1];
  double tc = r->flops * (r->m + h) / (peak * e * r->m);
  if (grad) {
    grad[0] = -tc / e;
    grad[1] = r->flops / (peak * e * r->m);
  }
  return tc + r->bytes_moved / (d->hbm_bps * d->hbm_eff);
}

/* Streaming (HBM stream, decode attention): t = B / (HBM eff) + t0; theta = {eff, t0 in us}. B
 * is aux[i]. */
static double stream_model(const curve_data *d, size_t i, const double *th, double *grad) {
  double tb = d->aux[i] / (d->hbm_bps * th[0]);
  if (grad) {
    grad[0] = -tb / th[0];
    grad[1] = 1 / US_PER_S;
  }
  return tb + th[1] / US_PER_S;
}

/* Power: P = idle + (TDP - idle) (c a_compute + (1 - c) a_hbm), c = aux[i]; theta holds the
 * free activities in that order. */
static double power_model(const curve_data *d, size_t i, const double *th, double *grad) {
  double c = d->aux[i], a[MAX_PARAMS], share[MAX_PARAMS] = {c, 1 - c};
  size_t j = 0;
  for (int k = 0; k < MAX_PARAMS; k++)
    a[k] = d->free_param[k] ? th[j++] : d->fixed[k];
  double range = d->tdp_w - d->idle_w;
  if (grad) {
    j = 0;
    for (int k = 0; k < MAX_PARAMS; k++)
      if (d->free_param[k])
        grad[j++] = range * share[k];
  }
  return d->idle_w + range * (share[0] * a[0] + share[1] * a[1]);
}

/* ---- The solver ---- */

static int fdf_f(const gsl_vector *x, void *params, gsl_vector *f) {
  const curve_data *d = params;
  const double *th = gsl_vector_const_ptr(x, 0);
  for (size_t i = 0; i < d->n; i++)
    gsl_vector_set(f, i, (d->model(d, i, th, NULL) - d->y[i]) / d->sigma[i]);
  return GSL_SUCCESS;
}

static int fdf_df(const gsl_vector *x, void *params, gsl_matrix *J) {
  const curve_data *d = params;
  const double *th = gsl_vector_const_ptr(x, 0);
  double grad[MAX_PARAMS];
  for (size_t i = 0; i < d->n; i++) {
    d->model(d, i, th, grad);
    for (size_t j = 0; j < J->size2; j++)
      gsl_matrix_set(J, i, j, grad[j] / d->sigma[i]);
  }
  return GSL_SUCCESS;
}

static void refuse(tf_fit_curve *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void refuse(tf_fit_curve *c, const char *fmt, ...) {
  char msg[sizeof c->why - 40];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  snprintf(c->why, sizeof c->why, "%s: %s", c->name, msg);
  c->status = TF_FIT_REFUSED;
}

/* RMS relative error of the model over the data. */
static double rms_rel(const curve_data *d, const double *th) {
  double s = 0;
  for (size_t i = 0; i < d->n; i++) {
    double r = (d->model(d, i, th, NULL) - d->y[i]) / d->y[i];
    s += r * r;
  }
  return sqrt(s / (double)d->n);
}

/* A start whose scaled gradient is below this is a minimum (GSL's gradient test: the largest
 * |g_i| max(|x_i|, 1) / max(chi^2 / 2, 1)): the closed-form linear starts are accurate to
 * rounding, far below it. */
#define START_GTOL 1e-6

/* Fits p parameters starting from theta, weighted least squares with trust-region steps
 * (Levenberg-Marquardt subproblem, More scaling). On success theta holds the fit, se the
 * standard errors from the covariance scaled by the residual variance chi^2 / (n - p), and c
 * n_points and rms_rel_error; returns 0. Otherwise refuses c (too few rows, no convergence, a
 * parameter the data do not determine, RMS relative error above TF_FIT_MAX_RMS_REL) and returns
 * TF_ENUMERIC; TF_ENOMEM. names[j] names parameter j, hint says what data would determine them. */
static int nl_fit(curve_data *d, size_t p, double *theta, double *se, tf_fit_curve *c,
                  const char *const *names, const char *hint) {
  assert(p >= 1 && p <= MAX_PARAMS);
  c->n_points = d->n;
  if (d->n < p + TF_FIT_EXTRA_POINTS) {
    refuse(c, "%zu row%s for %zu parameter%s (expected at least %zu: the parameters + %d)", d->n,
           d->n == 1 ? "" : "s", p, p == 1 ? "" : "s", p + TF_FIT_EXTRA_POINTS,
           TF_FIT_EXTRA_POINTS);
    return TF_ENUMERIC;
  }
  gsl_multifit_nlinear_fdf fdf = {
      .f = fdf_f, .df = fdf_df, .fvv = NULL, .n = d->n, .p = p, .params = d};
  gsl_multifit_nlinear_parameters fp = gsl_multifit_nlinear_default_parameters();
  fp.trs = gsl_multifit_nlinear_trs_lm;
  fp.scale = gsl_multifit_nlinear_scale_more;
  gsl_multifit_nlinear_workspace *w =
      gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &fp, d->n, p);
  gsl_matrix *covar = gsl_matrix_alloc(p, p);
  if (!w || !covar) {
    if (w)
      gsl_multifit_nlinear_free(w);
    gsl_matrix_free(covar);
    return TF_FAIL(TF_ENOMEM, "out of memory fitting %s", c->name);
  }
  gsl_vector_view x0 = gsl_vector_view_array(theta, p);
  int info = 0;
  /* Stop when a step changes no parameter by more than 1e-10 relative, or the gradient is that
   * small: far below any standard error a measurement supports. */
  const double xtol = 1e-10, gtol = 1e-10, ftol = 0;
  int status = gsl_multifit_nlinear_init(&x0.vector, &fdf, w);
  if (status == GSL_SUCCESS)
    status = gsl_multifit_nlinear_driver(TF_FIT_MAX_ITER, xtol, gtol, ftol, NULL, NULL, &info, w);
  /* The driver reports GSL_EMAXITER when its first step cannot improve on the start, which
   * happens when the linear start is already the minimum: accept the start if its gradient
   * passes a test at the precision the start was computed to. */
  if (status == GSL_EMAXITER && info == GSL_ENOPROG &&
      gsl_multifit_nlinear_test(xtol, START_GTOL, ftol, &info, w) == GSL_SUCCESS)
    status = GSL_SUCCESS;
  int rc = 0;
  if (status != GSL_SUCCESS) {
    refuse(c, "the fit did not converge (%s; expected rows a smooth curve can follow)",
           gsl_strerror(status));
    rc = TF_ENUMERIC;
  }
  if (rc == 0) {
    const gsl_vector *x = gsl_multifit_nlinear_position(w);
    for (size_t j = 0; j < p; j++)
      theta[j] = gsl_vector_get(x, j);
    double chi2;
    gsl_blas_ddot(gsl_multifit_nlinear_residual(w), gsl_multifit_nlinear_residual(w), &chi2);
    /* Misfit first: a curve that does not describe the rows is the root of any other
     * symptom. */
    c->rms_rel_error = rms_rel(d, theta);
    if (!(c->rms_rel_error <= TF_FIT_MAX_RMS_REL)) {
      refuse(c, "RMS relative error %.1f%% is above the %.0f%% a profile accepts (expected "
             "measurements the curve describes)",
             100 * c->rms_rel_error, 100 * TF_FIT_MAX_RMS_REL);
      rc = TF_ENUMERIC;
    }
    status = gsl_multifit_nlinear_covar(gsl_multifit_nlinear_jac(w), TF_FIT_COVAR_EPSREL, covar);
    double s2 = chi2 / (double)(d->n - p);
    for (size_t j = 0; j < p && rc == 0; j++) {
      double cjj = gsl_matrix_get(covar, j, j);
      if (status != GSL_SUCCESS || !(cjj > 0) || !isfinite(cjj) || !isfinite(theta[j])) {
        refuse(c, "%s is not determined by the data (singular covariance; expected %s)",
               names[j], hint);
        rc = TF_ENUMERIC;
      }
      se[j] = sqrt(cjj * s2);
    }
  }
  gsl_matrix_free(covar);
  gsl_multifit_nlinear_free(w);
  if (rc == 0)
    c->status = TF_FIT_FITTED;
  return rc;
}

/* Weighted least squares for y = u x1 + v x2 (two unknowns, closed form): the starting point of
 * the curves that are linear in reciprocal parameters. 0, or -1 when the normal equations are
 * singular. */
static int linear2(size_t n, const double *x1, const double *x2, const double *y,
                   const double *sigma, double *u, double *v) {
  double a11 = 0, a12 = 0, a22 = 0, b1 = 0, b2 = 0;
  for (size_t i = 0; i < n; i++) {
    double w = 1 / (sigma[i] * sigma[i]);
    a11 += w * x1[i] * x1[i];
    a12 += w * x1[i] * x2[i];
    a22 += w * x2[i] * x2[i];
    b1 += w * x1[i] * y[i];
    b2 += w * x2[i] * y[i];
  }
  double det = a11 * a22 - a12 * a12;
  if (!(fabs(det) > 0) || !isfinite(det))
    return -1;
  *u = (b1 * a22 - b2 * a12) / det;
  *v = (a11 * b2 - a12 * b1) / det;
  return 0;
}

/* ---- Parameters from curves ---- */

static void set_fitted(tf_fit *f, tf_fit_param_id id, double value, double se, const char *fmt,
                       ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
static void set_fitted(tf_fit *f, tf_fit_param_id id, double value, double se, const char *fmt,
                       ...) {
  tf_fit_param *p = &f->param[id];
  p->present = true;
  p->fitted = true;
  p->value = value;
  p->std_error = se;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->source, sizeof p->source, fmt, ap);
  va_end(ap);
}

/* A fraction of a catalogue peak, (0, 1]. */
static bool check_fraction(tf_fit_curve *c, const char *name, double v) {
  if (v > 0 && v <= 1)
    return true;
  refuse(c, "%s = %.4g is outside (0, 1] (expected a fraction of the catalogue's peak)", name, v);
  return false;
}

static bool check_nonnegative(tf_fit_curve *c, const char *name, double v, const char *unit) {
  if (v >= 0)
    return true;
  refuse(c, "%s = %.4g %s is negative (expected >= 0)", name, v, unit);
  return false;
}

/* ---- The curves ---- */

/* The power limit a row ran under: its power_limit_w, else the default limit (unknown: no cap). */
static double row_limit_w(const tf_meas *m, const tf_meas_row *r) {
  if (tf_meas_has(r->power_limit_w))
    return r->power_limit_w;
  return tf_meas_has(m->power_limit_default_w) ? m->power_limit_default_w : INFINITY;
}

/* The main sweep's limit: the highest any kernel ran under (idle rows say nothing about it).
 * tokenfab calibrate measures everything there (the default limit, or the one in force, which it
 * then writes into every row) and a subset again at lower limits. O(rows). */
static double base_limit_w(const tf_meas *m) {
  double base = -INFINITY;
  for (size_t i = 0; i < m->n_rows; i++)
    if (m->rows[i].kernel != TF_MEAS_IDLE && row_limit_w(m, &m->rows[i]) > base)
      base = row_limit_w(m, &m->rows[i]);
  return base;
}

/* A row of kernel k the time curves use: at the main sweep's limit (a lower limit slows the
 * clock, which is the clock fit's business). */
static bool time_row(const tf_meas *m, const tf_meas_row *r, tf_meas_kernel k, double base_w) {
  return r->kernel == k && row_limit_w(m, r) >= base_w;
}

static size_t count_kernel(const tf_meas *m, tf_meas_kernel k, double base_w) {
  size_t n = 0;
  for (size_t i = 0; i < m->n_rows; i++)
    n += time_row(m, &m->rows[i], k, base_w);
  return n;
}

static double dtype_peak(const tf_catalog_gpu *g, tf_meas_dtype dt) {
  return dt == TF_MEAS_FP8 ? g->fp8_dense_flops : g->bf16_dense_flops;
}

/* HBM stream: hbm_eff, hbm_latency_s, and the median over large streams. */
static int fit_stream(const tf_meas *m, const tf_catalog_gpu *g, tf_fit *f) {
  tf_fit_curve *c = &f->curve[TF_FIT_CURVE_HBM_STREAM];
  double base_w = base_limit_w(m);
  size_t n = count_kernel(m, TF_MEAS_HBM_STREAM, base_w);
  if (n == 0)
    return 0;
  curve_data d;
  if (data_init(&d, n) != 0)
    return TF_FAIL(TF_ENOMEM, "out of memory fitting %s", c->name);
  double *x1 = calloc(n, sizeof *x1), *x2 = calloc(n, sizeof *x2), *large = calloc(n, sizeof *large);
  if (!x1 || !x2 || !large) {
    free(x1);
    free(x2);
    free(large);
    data_fini(&d);
    return TF_FAIL(TF_ENOMEM, "out of memory fitting %s", c->name);
  }
  size_t n_large = 0;
  for (size_t i = 0; i < m->n_rows; i++) {
    const tf_meas_row *r = &m->rows[i];
    if (!time_row(m, r, TF_MEAS_HBM_STREAM, base_w))
      continue;
    d.row[d.n] = r;
    d.y[d.n] = r->time_s;
    d.sigma[d.n] = time_sigma(r);
    d.aux[d.n] = r->bytes;
    x1[d.n] = r->bytes / g->hbm_bandwidth_bytes_per_s;
    x2[d.n] = 1;
    d.n++;
    if (r->bytes >= TF_FIT_STREAM_LARGE_BYTES)
      large[n_large++] = r->bytes / r->time_s / g->hbm_bandwidth_bytes_per_s;
  }
  d.hbm_bps = g->hbm_bandwidth_bytes_per_s;
  d.model = stream_model;
  double u, v, theta[2] = {f->param[TF_FIT_HBM_EFF].default_value, 0}, se[2];
  if (linear2(d.n, x1, x2, d.y, d.sigma, &u, &v) == 0 && u > 0) {
    theta[0] = 1 / u;
    theta[1] = v * US_PER_S;
  }
  static const char *const names[] = {"hbm_eff", "hbm_latency_s"};
  int rc = nl_fit(&d, 2, theta, se, c, names, "sizes from a few MB to several GB");
  if (rc == 0 && check_fraction(c, names[0], theta[0]) &&
      check_nonnegative(c, names[1], theta[1] / US_PER_S, "s")) {
    set_fitted(f, TF_FIT_HBM_EFF, theta[0], se[0], "fit of %zu hbm_stream rows, rms %.1f%%", d.n,
               100 * c->rms_rel_error);
    set_fitted(f, TF_FIT_HBM_LATENCY_S, theta[1] / US_PER_S, se[1] / US_PER_S,
               "fit of %zu hbm_stream rows, rms %.1f%%", d.n, 100 * c->rms_rel_error);
    if (n_large > 0) {
      gsl_sort(large, 1, n_large);
      set_fitted(f, TF_FIT_HBM_EFF_LARGE_MEDIAN,
                 gsl_stats_median_from_sorted_data(large, 1, n_large), NAN,
                 "median of %zu hbm_stream rows of >= 1 GiB (a cross-check of hbm_eff)", n_large);
    }
  }
  free(x1);
  free(x2);
  free(large);
  data_fini(&d);
  return rc == TF_ENOMEM ? rc : 0;
}

/* GEMM or grouped GEMM: e_max and m_half against the dtype's peak, HBM at hbm_eff. */
static int fit_gemm(const tf_meas *m, const tf_catalog_gpu *g, tf_fit *f, tf_meas_kernel kernel) {
  bool grouped = kernel == TF_MEAS_GROUPED_GEMM;
  tf_fit_curve *c = &f->curve[grouped ? TF_FIT_CURVE_GROUPED_GEMM : TF_FIT_CURVE_GEMM];
  double base_w = base_limit_w(m);
  size_t n = count_kernel(m, kernel, base_w);
  if (n == 0)
    return 0;
  curve_data d;
  if (data_init(&d, n) != 0)
    return TF_FAIL(TF_ENOMEM, "out of memory fitting %s", c->name);
  double *x1 = calloc(n, sizeof *x1), *x2 = calloc(n, sizeof *x2), *yc = calloc(n, sizeof *yc);
  if (!x1 || !x2 || !yc) {
    free(x1);
    free(x2);
    free(yc);
    data_fini(&d);
    return TF_FAIL(TF_ENOMEM, "out of memory fitting %s", c->name);
  }
  const tf_fit_param *hbm = &f->param[TF_FIT_HBM_EFF];
  d.hbm_bps = g->hbm_bandwidth_bytes_per_s;
  d.hbm_eff = hbm->value;
  d.model = gemm_model;
  for (size_t i = 0; i < m->n_rows; i++) {
    const tf_meas_row *r = &m->rows[i];
    if (!time_row(m, r, kernel, base_w))
      continue;
    double peak = dtype_peak(g, r->dtype);
    d.row[d.n] = r;
    d.y[d.n] = r->time_s;
    d.sigma[d.n] = time_sigma(r);
    d.aux[d.n] = peak;
    /* The start: t - B / (HBM hbm_eff) = (F / P) u + (F / (m P)) v with u = 1 / e_max and
     * v = m_half / e_max, a linear problem. */
    x1[d.n] = r->flops / peak;
    x2[d.n] = r->flops / (r->m * peak);
    yc[d.n] = r->time_s - r->bytes_moved / (d.hbm_bps * d.hbm_eff);
    d.n++;
  }
  tf_fit_param_id eff_id = grouped ? TF_FIT_GROUPED_GEMM_EFF : TF_FIT_GEMM_EFF;
  tf_fit_param_id half_id = grouped ? TF_FIT_GROUPED_GEMM_M_HALF : TF_FIT_GEMM_M_HALF;
  /* A starting m_half of 64 tokens when the linear start fails: the order of one tensor-core
   * tile's rows (64 or 128 on Hopper). */
  double u, v, theta[2] = {f->param[eff_id].default_value, 64}, se[2];
  if (linear2(d.n, x1, x2, yc, d.sigma, &u, &v) == 0 && u > 0 && v >= 0) {
    theta[0] = 1 / u;
    theta[1] = v / u;
  }
  const char *const names[] = {param_info[eff_id].name, param_info[half_id].name};
  int rc = nl_fit(&d, 2, theta, se, c, names, "m from a few tokens to thousands");
  if (rc == 0 && check_fraction(c, names[0], theta[0]) &&
      check_nonnegative(c, names[1], theta[1], "tokens")) {
    char with[64] = "";
    if (!hbm->fitted)
      snprintf(with, sizeof with, " with the default hbm_eff");
    set_fitted(f, eff_id, theta[0], se[0], "fit of %zu %s rows%s, rms %.1f%%", d.n, c->name, with,
               100 * c->rms_rel_error);
    set_fitted(f, half_id, theta[1], se[1], "fit of %zu %s rows%s, rms %.1f%%", d.n, c->name,
               with, 100 * c->rms_rel_error);
  }
  free(x1);
  free(x2);
  free(yc);
  data_fini(&d);
  return rc == TF_ENOMEM ? rc : 0;
}

/* Decode attention: its share of HBM bandwidth and fixed latency. */
static int fit_attn(const tf_meas *m, const tf_catalog_gpu *g, tf_fit *f) {
  tf_fit_curve *c = &f->curve[TF_FIT_CURVE_ATTN_DECODE];
  double base_w = base_limit_w(m);
  size_t n = count_kernel(m, TF_MEAS_ATTN_DECODE, base_w);
  if (n == 0)
    return 0;
  curve_data d;
  if (data_init(&d, n) != 0)
    return TF_FAIL(TF_ENOMEM, "out of memory fitting %s", c->name);
  double *x1 = calloc(n, sizeof *x1), *x2 = calloc(n, sizeof *x2);
  if (!x1 || !x2) {
    free(x1);
    free(x2);
    data_fini(&d);
    return TF_FAIL(TF_ENOMEM, "out of memory fitting %s", c->name);
  }
  for (size_t i = 0; i < m->n_rows; i++) {
    const tf_meas_row *r = &m->rows[i];
    if (!time_row(m, r, TF_MEAS_ATTN_DECODE, base_w))
      continue;
    d.row[d.n] = r;
    d.y[d.n] = r->time_s;
    d.sigma[d.n] = time_sigma(r);
    d.aux[d.n] = r->bytes_moved;
    x1[d.n] = r->bytes_moved / g->hbm_bandwidth_bytes_per_s;
    x2[d.n] = 1;
    d.n++;
  }
  d.hbm_bps = g->hbm_bandwidth_bytes_per_s;
  d.model = stream_model;
  double u, v, theta[2] = {f->param[TF_FIT_ATTN_DECODE_BW_EFF].default_value, 0}, se[2];
  if (linear2(d.n, x1, x2, d.y, d.sigma, &u, &v) == 0 && u > 0) {
    theta[0] = 1 / u;
    theta[1] = v * US_PER_S;
  }
  static const char *const names[] = {"attn_decode_bw_eff", "attn_decode_latency_s"};
  int rc = nl_fit(&d, 2, theta, se, c, names, "KV caches of several sizes, small and large");
  if (rc == 0 && check_fraction(c, names[0], theta[0]) &&
      check_nonnegative(c, names[1], theta[1] / US_PER_S, "s")) {
    set_fitted(f, TF_FIT_ATTN_DECODE_BW_EFF, theta[0], se[0],
               "fit of %zu attn_decode rows, rms %.1f%%", d.n, 100 * c->rms_rel_error);
    set_fitted(f, TF_FIT_ATTN_DECODE_LATENCY_S, theta[1] / US_PER_S, se[1] / US_PER_S,
               "fit of %zu attn_decode rows, rms %.1f%%", d.n, 100 * c->rms_rel_error);
  }
  free(x1);
  free(x2);
  data_fini(&d);
  return rc == TF_ENOMEM ? rc : 0;
}

/* Idle power: the mean of the idle rows (each already the mean of its sampling window; tokenfab
 * calibrate measures one at each power limit), its standard error from their scatter. A mean,
 * not a curve: one row is enough, and then it has no standard error. */
static void fit_idle(const tf_meas *m, const tf_catalog_gpu *g, tf_fit *f) {
  tf_fit_curve *c = &f->curve[TF_FIT_CURVE_IDLE];
  double sum = 0, sum2 = 0;
  size_t n = 0;
  for (size_t i = 0; i < m->n_rows; i++) {
    const tf_meas_row *r = &m->rows[i];
    if (r->kernel != TF_MEAS_IDLE)
      continue;
    sum += r->power_w;
    n++;
  }
  if (n == 0)
    return;
  c->n_points = n;
  double mean = sum / (double)n;
  for (size_t i = 0; i < m->n_rows; i++)
    if (m->rows[i].kernel == TF_MEAS_IDLE)
      sum2 += (m->rows[i].power_w - mean) * (m->rows[i].power_w - mean);
  double se = n > 1 ? sqrt(sum2 / (double)(n - 1)) / sqrt((double)n) : NAN;
  c->rms_rel_error = n == 1 ? NAN : mean > 0 ? sqrt(sum2 / (double)n) / mean : INFINITY;
  if (n > 1 && !(c->rms_rel_error <= TF_FIT_MAX_RMS_REL)) {
    refuse(c, "RMS relative error %.1f%% is above the %.0f%% a profile accepts (expected "
           "measurements the curve describes)",
           100 * c->rms_rel_error, 100 * TF_FIT_MAX_RMS_REL);
    return;
  }
  if (mean > g->tdp_w) {
    refuse(c, "idle_power_w = %.4g W is above the catalogue TDP %.4g W (expected an idle GPU "
           "below its board power)", mean, g->tdp_w);
    return;
  }
  c->status = TF_FIT_FITTED;
  if (n == 1)
    set_fitted(f, TF_FIT_IDLE_POWER_W, mean, se, "one idle row");
  else
    set_fitted(f, TF_FIT_IDLE_POWER_W, mean, se, "mean of %zu idle rows, rms %.1f%%", n,
               100 * c->rms_rel_error);
}

/* The share of a GEMM row's predicted time spent computing, from the fitted curve (or the
 * defaults where it was not fitted). */
static double compute_share(const tf_fit *f, const tf_catalog_gpu *g, const tf_meas_row *r) {
  bool grouped = r->kernel == TF_MEAS_GROUPED_GEMM;
  double e = f->param[grouped ? TF_FIT_GROUPED_GEMM_EFF : TF_FIT_GEMM_EFF].value;
  double h = f->param[grouped ? TF_FIT_GROUPED_GEMM_M_HALF : TF_FIT_GEMM_M_HALF].value;
  double tc = r->flops * (r->m + h) / (dtype_peak(g, r->dtype) * e * r->m);
  double tm = r->bytes_moved / (g->hbm_bandwidth_bytes_per_s * f->param[TF_FIT_HBM_EFF].value);
  return tc / (tc + tm);
}

static bool power_row(const tf_meas *m, const tf_meas_row *r, double base_w) {
  return tf_meas_has(r->power_w) && row_limit_w(m, r) >= base_w &&
         (r->kernel == TF_MEAS_GEMM || r->kernel == TF_MEAS_GROUPED_GEMM ||
          r->kernel == TF_MEAS_ATTN_DECODE || r->kernel == TF_MEAS_HBM_STREAM);
}

/* Activities: board power against each row's compute share of its time, at the main limit,
 * relative to the catalogue's idle and TDP (what models/power.h scales them by). */
static int fit_activity(const tf_meas *m, const tf_catalog_gpu *g, tf_fit *f) {
  tf_fit_curve *c = &f->curve[TF_FIT_CURVE_POWER_ACTIVITY];
  double base_w = base_limit_w(m);
  size_t n = 0;
  for (size_t i = 0; i < m->n_rows; i++)
    n += power_row(m, &m->rows[i], base_w);
  if (n == 0)
    return 0;
  curve_data d;
  if (data_init(&d, n) != 0)
    return TF_FAIL(TF_ENOMEM, "out of memory fitting %s", c->name);
  size_t n_compute = 0;
  for (size_t i = 0; i < m->n_rows; i++) {
    const tf_meas_row *r = &m->rows[i];
    if (!power_row(m, r, base_w))
      continue;
    double share = r->kernel == TF_MEAS_GEMM || r->kernel == TF_MEAS_GROUPED_GEMM
                       ? compute_share(f, g, r)
                       : 0; /* streams and decode attention are HBM-bound (PERF_MODEL.md) */
    d.row[d.n] = r;
    d.y[d.n] = r->power_w;
    d.sigma[d.n] = TF_FIT_POWER_SIGMA_REL * (r->power_w > 0 ? r->power_w : 1);
    d.aux[d.n] = share;
    d.n++;
    n_compute += share >= TF_FIT_COMPUTE_BOUND_SHARE;
  }
  d.idle_w = g->idle_power_w;
  d.tdp_w = g->tdp_w;
  d.model = power_model;
  /* Fit an activity only when some rows are bound by what it describes; the other keeps its
   * default (docs/CALIBRATION.md). */
  d.free_param[0] = n_compute > 0;
  d.free_param[1] = n_compute < d.n;
  d.fixed[0] = f->param[TF_FIT_ACTIVITY_COMPUTE].value;
  d.fixed[1] = f->param[TF_FIT_ACTIVITY_HBM].value;
  static const char *const all_names[] = {"activity_compute", "activity_hbm"};
  const tf_fit_param_id ids[] = {TF_FIT_ACTIVITY_COMPUTE, TF_FIT_ACTIVITY_HBM};
  const char *names[MAX_PARAMS];
  double theta[MAX_PARAMS], se[MAX_PARAMS];
  size_t p = 0;
  for (int k = 0; k < MAX_PARAMS; k++)
    if (d.free_param[k]) {
      names[p] = all_names[k];
      theta[p++] = d.fixed[k];
    }
  int rc = nl_fit(&d, p, theta, se, c, names,
                  "compute-bound and memory-bound rows with power_w at the default limit");
  if (rc == 0) {
    bool ok = true;
    for (size_t j = 0; j < p && ok; j++)
      if (!(theta[j] >= 0 && theta[j] <= 1)) {
        refuse(c, "%s = %.4g is outside [0, 1] (expected a share of TDP - idle, the catalogue's "
               "%.4g W - %.4g W)", names[j], theta[j], g->tdp_w, g->idle_power_w);
        ok = false;
      }
    for (size_t j = 0, k = 0; ok && k < MAX_PARAMS; k++)
      if (d.free_param[k]) {
        set_fitted(f, ids[k], theta[j], se[j], "fit of %zu power rows, rms %.1f%%", d.n,
                   100 * c->rms_rel_error);
        j++;
      }
  }
  data_fini(&d);
  return rc == TF_ENOMEM ? rc : 0;
}

/* The same configuration but for the power limit. */
static bool same_shape(const tf_meas_row *a, const tf_meas_row *b) {
  const tf_meas_column *cols;
  size_t n = tf_meas_numeric_columns(&cols);
  if (a->kernel != b->kernel || a->dtype != b->dtype || a->layout != b->layout)
    return false;
  for (size_t i = 0; i < n; i++) {
    const char *name = cols[i].name;
    if (strcmp(name, "m") && strcmp(name, "n") && strcmp(name, "k") && strcmp(name, "groups") &&
        strcmp(name, "batch") && strcmp(name, "context") && strcmp(name, "heads") &&
        strcmp(name, "kv_heads") && strcmp(name, "head_dim") && strcmp(name, "bytes"))
      continue;
    double x = *(const double *)(const void *)((const char *)a + cols[i].offset);
    double y = *(const double *)(const void *)((const char *)b + cols[i].offset);
    if (!(x == y || (isnan(x) && isnan(y))))
      return false;
  }
  return true;
}

/* A row the clock fit can use: a GEMM with power and clock whose time is at least
 * TF_FIT_COMPUTE_BOUND_SHARE compute (by the fitted curve). Memory-bound kernels are left out:
 * HBM runs on its own clock, so their power follows the SM clock less than the model's f^k. */
static bool clock_row(const tf_fit *f, const tf_catalog_gpu *g, const tf_meas_row *r) {
  return (r->kernel == TF_MEAS_GEMM || r->kernel == TF_MEAS_GROUPED_GEMM) &&
         tf_meas_has(r->power_w) && tf_meas_has(r->sm_clock_mhz) &&
         compute_share(f, g, r) >= TF_FIT_COMPUTE_BOUND_SHARE;
}

/* ln(A(f) / A(1)): how the power model's activity of a kernel with compute share c moves when
 * the clock drops to f (models/power.h: compute time stretches by 1 / f, memory time stays). */
static double activity_shift(const tf_fit *f, double c, double clock) {
  double ac = f->param[TF_FIT_ACTIVITY_COMPUTE].value, ah = f->param[TF_FIT_ACTIVITY_HBM].value;
  double at_f = (c / clock * ac + (1 - c) * ah) / (c / clock + 1 - c);
  double at_1 = c * ac + (1 - c) * ah;
  return at_f > 0 && at_1 > 0 ? log(at_f / at_1) : 0; /* no activity: nothing shifts */
}

/* The DVFS exponent k of the power model, P = idle + (TDP - idle) A(f) f^k (models/power.h),
 * from compute-bound GEMMs measured at two or more power limits: with y = ln(P - idle) -
 * ln(A(f) / A(1)) and x = ln f, one line y = ln(L_c) + k x per configuration c, a common slope k
 * and a level per configuration (fixed effects), in closed form: k = Sxy / Sxx over the
 * deviations from each configuration's means, var(k) = s^2 / Sxx with s^2 = SSR / (N - C - 1).
 * f is the clock over sm_clock_max_mhz (the slope does not depend on the reference).
 * O(rows x candidate rows) for the grouping: a few hundred GEMM rows at most. */
static double clock_x(const tf_meas_row *r, double ref) { return log(r->sm_clock_mhz / ref); }

static double clock_y(const tf_fit *f, const tf_catalog_gpu *g, const tf_meas_row *r,
                      double ref) {
  return log(r->power_w - g->idle_power_w) -
         activity_shift(f, compute_share(f, g, r), r->sm_clock_mhz / ref);
}

static int fit_clock(const tf_meas *m, const tf_catalog_gpu *g, tf_fit *f) {
  tf_fit_curve *c = &f->curve[TF_FIT_CURVE_POWER_CLOCK];
  double base_w = base_limit_w(m);
  bool any_limited = false;
  for (size_t i = 0; i < m->n_rows; i++)
    any_limited = any_limited || (m->rows[i].kernel != TF_MEAS_IDLE &&
                                  tf_meas_has(m->rows[i].power_w) &&
                                  row_limit_w(m, &m->rows[i]) < base_w);
  if (!any_limited)
    return 0; /* no limit sweep: the exponent keeps its default */
  /* group[i]: the configuration of row i (rows of the same shape at any limit), or SIZE_MAX. */
  size_t *group = malloc(m->n_rows * sizeof *group);
  size_t *size = calloc(m->n_rows, sizeof *size);
  double *mx = calloc(m->n_rows, sizeof *mx), *my = calloc(m->n_rows, sizeof *my);
  if (!group || !size || !mx || !my) {
    free(group);
    free(size);
    free(mx);
    free(my);
    return TF_FAIL(TF_ENOMEM, "out of memory fitting %s", c->name);
  }
  double ref = m->sm_clock_max_mhz;
  if (!(ref > 0)) /* the exponent does not depend on the reference clock, only the levels do */
    for (size_t i = 0; i < m->n_rows; i++)
      if (tf_meas_has(m->rows[i].sm_clock_mhz) && !(m->rows[i].sm_clock_mhz <= ref))
        ref = m->rows[i].sm_clock_mhz;
  size_t n_groups = 0;
  bool ok = true;
  for (size_t i = 0; i < m->n_rows; i++) {
    group[i] = SIZE_MAX;
    const tf_meas_row *r = &m->rows[i];
    if (!clock_row(f, g, r))
      continue;
    for (size_t j = 0; j < i && group[i] == SIZE_MAX; j++)
      if (group[j] != SIZE_MAX && same_shape(&m->rows[j], r))
        group[i] = group[j];
    if (group[i] == SIZE_MAX)
      group[i] = n_groups++;
  }
  for (size_t i = 0; i < m->n_rows; i++)
    if (group[i] != SIZE_MAX)
      size[group[i]]++;
  size_t n = 0, used = 0;
  double limits[64]; /* distinct limits, counted for the source line; calibrate sweeps a few */
  size_t n_limits = 0;
  for (size_t i = 0; i < m->n_rows && ok; i++) {
    const tf_meas_row *r = &m->rows[i];
    if (group[i] == SIZE_MAX || size[group[i]] < 2)
      continue;
    if (!(r->power_w > g->idle_power_w) || !(r->sm_clock_mhz > 0)) {
      refuse(c, "the %s row at line %d draws %.4g W at %.4g MHz (expected a loaded GPU above the "
             "catalogue's idle %.4g W, at a clock > 0)",
             tf_meas_kernel_name(r->kernel), r->line, r->power_w, r->sm_clock_mhz,
             g->idle_power_w);
      ok = false;
      break;
    }
    mx[group[i]] += clock_x(r, ref) / (double)size[group[i]];
    my[group[i]] += clock_y(f, g, r, ref) / (double)size[group[i]];
    n++;
    double lim = row_limit_w(m, r);
    bool seen = false;
    for (size_t k = 0; k < n_limits; k++)
      seen = seen || limits[k] == lim;
    if (!seen && n_limits < sizeof limits / sizeof limits[0])
      limits[n_limits++] = lim;
  }
  for (size_t gi = 0; gi < n_groups; gi++)
    used += size[gi] >= 2;
  size_t p = used + 1; /* the exponent, and one level per configuration */
  if (ok && (used == 0 || n < p + TF_FIT_EXTRA_POINTS)) {
    refuse(c, "%zu rows of %zu compute-bound configurations at several power limits for %zu "
           "parameters, the exponent and one level per configuration (expected at least %zu: "
           "the parameters + %d)",
           n, used, p, p + TF_FIT_EXTRA_POINTS, TF_FIT_EXTRA_POINTS);
    ok = false;
  }
  double sxx = 0, sxy = 0, k_exp = 0;
  if (ok) {
    for (size_t i = 0; i < m->n_rows; i++) {
      if (group[i] == SIZE_MAX || size[group[i]] < 2)
        continue;
      const tf_meas_row *r = &m->rows[i];
      double dx = clock_x(r, ref) - mx[group[i]];
      double dy = clock_y(f, g, r, ref) - my[group[i]];
      sxx += dx * dx;
      sxy += dx * dy;
    }
    if (!(sxx > 0)) {
      refuse(c, "clock_exponent is not determined by the data (sm_clock_mhz is the same at every "
             "power limit; expected a compute-bound kernel the limits slow down)");
      ok = false;
    } else {
      k_exp = sxy / sxx;
    }
  }
  c->n_points = n;
  if (ok) {
    double ssr = 0, rel = 0;
    for (size_t i = 0; i < m->n_rows; i++) {
      if (group[i] == SIZE_MAX || size[group[i]] < 2)
        continue;
      const tf_meas_row *r = &m->rows[i];
      double x = clock_x(r, ref) - mx[group[i]];
      double y = clock_y(f, g, r, ref) - my[group[i]];
      double shift = activity_shift(f, compute_share(f, g, r), r->sm_clock_mhz / ref);
      double pred = g->idle_power_w + exp(my[group[i]] + k_exp * x + shift);
      ssr += (y - k_exp * x) * (y - k_exp * x);
      rel += (pred - r->power_w) * (pred - r->power_w) / (r->power_w * r->power_w);
    }
    c->rms_rel_error = sqrt(rel / (double)n);
    double se = sqrt(ssr / (double)(n - p) / sxx);
    if (!(c->rms_rel_error <= TF_FIT_MAX_RMS_REL)) {
      refuse(c, "RMS relative error %.1f%% is above the %.0f%% a profile accepts (expected "
             "measurements the curve describes)",
             100 * c->rms_rel_error, 100 * TF_FIT_MAX_RMS_REL);
    } else if (!(k_exp >= 1)) {
      refuse(c, "clock_exponent = %.3g is below 1 (expected >= 1: dynamic power falls at least in "
             "proportion to the clock)", k_exp);
    } else {
      c->status = TF_FIT_FITTED;
      set_fitted(f, TF_FIT_CLOCK_EXPONENT, k_exp, se,
                 "log-log fit of %zu rows of %zu compute-bound GEMMs at %zu power limits, "
                 "rms %.1f%%", n, used, n_limits, 100 * c->rms_rel_error);
    }
  }
  free(group);
  free(size);
  free(mx);
  free(my);
  return 0;
}

/* ---- The whole fit ---- */

/* The catalogue figures the rows need. 0, or TF_EINVAL with out->why. */
static int check_gpu(const tf_meas *m, const tf_catalog_gpu *g, tf_fit *out) {
  size_t need_bf16 = 0, need_fp8 = 0, need_hbm = 0, need_power = 0;
  for (size_t i = 0; i < m->n_rows; i++) {
    const tf_meas_row *r = &m->rows[i];
    bool gemm = r->kernel == TF_MEAS_GEMM || r->kernel == TF_MEAS_GROUPED_GEMM;
    need_bf16 += gemm && r->dtype == TF_MEAS_BF16;
    need_fp8 += gemm && r->dtype == TF_MEAS_FP8;
    need_hbm += gemm || r->kernel == TF_MEAS_ATTN_DECODE || r->kernel == TF_MEAS_HBM_STREAM;
    need_power += tf_meas_has(r->power_w);
  }
  const char *missing = NULL;
  size_t rows = 0;
  if (need_bf16 && !(g->has.bf16_dense && g->bf16_dense_flops > 0))
    missing = "bf16_dense", rows = need_bf16;
  else if (need_fp8 && !(g->has.fp8_dense && g->fp8_dense_flops > 0))
    missing = "fp8_dense", rows = need_fp8;
  else if (need_hbm && !(g->has.hbm_bandwidth && g->hbm_bandwidth_bytes_per_s > 0))
    missing = "hbm_bandwidth", rows = need_hbm;
  else if (need_power && !(g->has.tdp && g->has.idle_power && g->tdp_w > g->idle_power_w))
    missing = "tdp and idle_power", rows = need_power;
  if (!missing)
    return 0;
  snprintf(out->why, sizeof out->why,
           "the catalogue GPU %s has no %s figure, which %zu measurement rows need (expected a "
           "GPU entry with it)",
           g->entry.name, missing, rows);
  return TF_FAIL(TF_EINVAL, "%s", out->why);
}

int tf_fit_run(const tf_meas *m, const tf_catalog_gpu *g, tf_fit *out) {
  assert(m && g && out);
  tf_fit_defaults(g, out);
  int rc = check_gpu(m, g, out);
  if (rc)
    return rc;
  gsl_error_handler_t *old = gsl_set_error_handler_off();
  /* Order matters: the stream gives hbm_eff to the GEMMs, and the GEMM curves give each power
   * row its compute share. */
  rc = fit_stream(m, g, out);
  if (!rc)
    rc = fit_gemm(m, g, out, TF_MEAS_GEMM);
  if (!rc)
    rc = fit_gemm(m, g, out, TF_MEAS_GROUPED_GEMM);
  if (!rc)
    rc = fit_attn(m, g, out);
  if (!rc) {
    fit_idle(m, g, out);
    rc = fit_activity(m, g, out);
  }
  if (!rc)
    rc = fit_clock(m, g, out);
  gsl_set_error_handler(old);
  if (rc)
    return rc;

  for (int i = 0; i < TF_FIT_N_CURVES; i++)
    if (out->curve[i].status == TF_FIT_REFUSED && out->n_refused++ == 0)
      snprintf(out->why, sizeof out->why, "%s", out->curve[i].why);
  if (out->n_refused)
    return TF_FAIL(TF_ENUMERIC, "%s", out->why);
  bool timed = false;
  for (int i = TF_FIT_CURVE_HBM_STREAM; i <= TF_FIT_CURVE_ATTN_DECODE; i++)
    timed = timed || out->curve[i].status == TF_FIT_FITTED;
  if (!timed) {
    snprintf(out->why, sizeof out->why,
             "nothing to fit: the measurements hold no gemm, grouped_gemm, attn_decode or "
             "hbm_stream rows (expected at least one of these kernels)");
    return TF_FAIL(TF_ENUMERIC, "%s", out->why);
  }
  return 0;
}
