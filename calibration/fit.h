/* Fitting calibration measurements into a GPU profile: the efficiency curves the performance
 * model consumes (models/gpu_profile.h), the power profile (models/power.h), and the curves a
 * later performance model can use, each with its standard error and fit quality, or a refusal
 * saying why the measurements do not support one. Equations, weights and thresholds:
 * docs/CALIBRATION.md, "Fitting". */
#ifndef TF_FIT_H
#define TF_FIT_H

#include <stdbool.h>
#include <stddef.h>

#include "catalog.h"
#include "gpu_profile.h"
#include "measurements.h"
#include "power.h"

/* ---- Thresholds (docs/CALIBRATION.md, "Quality and refusal") ---- */

/* A curve whose RMS relative error over its rows exceeds this is refused. The performance
 * model's own GEMM sum is within 9% of DeepGEMM's published timings at M = 128 (PERF_MODEL.md);
 * a curve that misses its own measurements by more than 15% would describe the GPU worse than
 * the datasheet default it replaces. */
#define TF_FIT_MAX_RMS_REL 0.15

/* A curve needs at least its parameter count plus this many rows: two degrees of freedom left for
 * the residual variance that scales the standard errors. */
#define TF_FIT_EXTRA_POINTS 2

/* The spread columns give weights: sigma = (time_p90_s - time_p10_s) / TF_FIT_P10_P90_SIGMAS,
 * the width of a normal distribution's 10-90% range in standard deviations (2 x 1.2816). */
#define TF_FIT_P10_P90_SIGMAS 2.5631

/* ... but never below this share of the median: run-to-run variation of GPU kernel times (clock
 * and thermal state, placement of allocations) is about 1% even when one run's spread is
 * narrower, and a zero spread must not give an infinite weight. */
#define TF_FIT_SIGMA_FLOOR_REL 0.01

/* Power rows have no spread: each is weighted as if known to this share of its value, equal
 * relative weights because NVML states its reading's accuracy relative to the draw
 * (nvmlDeviceGetPowerUsage: within +-5% on the GPUs it states it for). Only the relative weights
 * matter: the standard errors are rescaled by the residual variance. */
#define TF_FIT_POWER_SIGMA_REL 0.02

/* HBM stream rows at least this large give the cross-check hbm_eff_large_median: 1 GiB, 8x the
 * largest last-level cache in the catalogue (B200/B300: 126 MB), so no cache can serve them. */
#define TF_FIT_STREAM_LARGE_BYTES 1073741824.0

/* The trust-region solver gives up after this many iterations (each curve here converges in under
 * 20 from its linear start). */
#define TF_FIT_MAX_ITER 200

/* Jacobian columns whose pivot falls below this share of the largest count as linearly dependent
 * when the covariance is formed (gsl_multifit_nlinear_covar): their parameter is not determined
 * by the data. */
#define TF_FIT_COVAR_EPSREL 1e-10

/* Rows whose predicted time is at least this share compute count as compute-bound: when deciding
 * which activities the data can determine, and which GEMMs the clock exponent is fitted on. */
#define TF_FIT_COMPUTE_BOUND_SHARE 0.5


/* ---- Curves ---- */

typedef enum tf_fit_curve_id {
  TF_FIT_CURVE_HBM_STREAM,   /* t = t0 + bytes / (HBM x hbm_eff) */
  TF_FIT_CURVE_GEMM,         /* t = F / (P x e_max x m / (m + m_half)) + B / (HBM x hbm_eff) */
  TF_FIT_CURVE_GROUPED_GEMM, /* the same, m tokens per group */
  TF_FIT_CURVE_ATTN_DECODE,  /* t = B / (HBM x attn_bw_eff) + t0 */
  TF_FIT_CURVE_IDLE,         /* mean idle board power */
  TF_FIT_CURVE_POWER_ACTIVITY, /* P = idle + (TDP - idle) x (c a_compute + (1 - c) a_hbm) */
  TF_FIT_CURVE_POWER_CLOCK,  /* ln(P - idle) - ln(A(f) / A(1)) = ln(L_config) + k ln(f) */
  TF_FIT_N_CURVES
} tf_fit_curve_id;

typedef enum tf_fit_status {
  TF_FIT_NO_DATA, /* no rows for the curve: its parameters keep their defaults */
  TF_FIT_FITTED,
  TF_FIT_REFUSED, /* why says why */
} tf_fit_status;

typedef struct tf_fit_curve {
  const char *name; /* "hbm_stream", "gemm", "grouped_gemm", "attn_decode", "idle",
                       "power_activity", "power_clock" */
  tf_fit_status status;
  size_t n_points;      /* rows used */
  double rms_rel_error; /* sqrt(mean(((model - measured) / measured)^2)); NaN without a fit */
  char why[320];        /* a refusal's sentence, starting with the curve's name; "" otherwise */
} tf_fit_curve;

/* ---- Parameters ---- */

/* Every parameter a profile holds, in the order profiles list them: the perf model's profile
 * (tf_gpu_profile, same names), the curves it does not consume yet, the power profile
 * (tf_power_profile, same names). */
typedef enum tf_fit_param_id {
  TF_FIT_GEMM_EFF,
  TF_FIT_ATTN_EFF,
  TF_FIT_HBM_EFF,
  TF_FIT_SCALE_UP_EFF,
  TF_FIT_SCALE_OUT_EFF,
  TF_FIT_SCALE_UP_LATENCY_S,
  TF_FIT_SCALE_OUT_LATENCY_S,
  TF_FIT_KERNEL_GAP_S,
  TF_FIT_KERNELS_PER_LAYER,
  TF_FIT_STEP_OVERHEAD_S,
  TF_FIT_GEMM_M_HALF,           /* tokens at which a GEMM reaches half of gemm_eff */
  TF_FIT_GROUPED_GEMM_EFF,      /* grouped GEMM e_max */
  TF_FIT_GROUPED_GEMM_M_HALF,   /* grouped GEMM m_half, tokens per group */
  TF_FIT_ATTN_DECODE_BW_EFF,    /* decode attention's share of HBM bandwidth */
  TF_FIT_ATTN_DECODE_LATENCY_S, /* decode attention's fixed time per launch */
  TF_FIT_HBM_LATENCY_S,         /* HBM stream's fixed time per launch */
  TF_FIT_HBM_EFF_LARGE_MEDIAN,  /* cross-check: median achieved / peak over large streams */
  TF_FIT_IDLE_POWER_W,
  TF_FIT_ACTIVITY_COMPUTE,
  TF_FIT_ACTIVITY_HBM,
  TF_FIT_ACTIVITY_SCALE_UP,
  TF_FIT_ACTIVITY_SCALE_OUT,
  TF_FIT_ACTIVITY_LATENCY,
  TF_FIT_CLOCK_EXPONENT,
  TF_FIT_MIN_CLOCK,
  TF_FIT_N_PARAMS
} tf_fit_param_id;

/* One parameter. present: value is known (a default or a fit); a parameter with no default that
 * was not fitted is absent and written nowhere. std_error is NaN unless fitted. */
typedef struct tf_fit_param {
  const char *name; /* as in the profile structs: "gemm_eff", "clock_exponent", ... */
  const char *unit; /* "1", "tokens", "s", "W", "kernels" */
  bool present, fitted;
  double value, std_error;
  double default_value; /* what the value replaces; NaN when there is none */
  char source[200];     /* "fit of 72 gemm rows, rms 1.4%", or where the default comes from */
} tf_fit_param;

/* A fit's result, caller-owned (no allocation inside). */
typedef struct tf_fit {
  char gpu[64]; /* the catalogue GPU whose peaks the fit used */
  tf_fit_curve curve[TF_FIT_N_CURVES];
  tf_fit_param param[TF_FIT_N_PARAMS];
  size_t n_refused; /* curves refused */
  char why[320];    /* the sentence of a refused fit: the first refused curve's, or why nothing
                       could be fitted; "" when the fit stands */
} tf_fit;

/* Fills out with every parameter at its documented default (tf_gpu_profile_default,
 * tf_power_profile_default; idle_power_w from g's catalogue figure when g is not NULL, else
 * absent; hbm_eff_large_median absent) and every curve at TF_FIT_NO_DATA. */
void tf_fit_defaults(const tf_catalog_gpu *g, tf_fit *out);

/* Fits every curve the measurements have rows for, against g's catalogue peaks (dense FLOP/s per
 * dtype, HBM bandwidth, TDP and idle power). Turns GSL's abort-on-error handler off (STYLE.md)
 * for the duration of the call and restores it. Returns:
 *   0            every curve with rows was fitted, and at least one time curve (hbm_stream, gemm,
 *                grouped_gemm, attn_decode) was: the profile stands;
 *   TF_ENUMERIC  refused: a curve failed its checks (out->curve[i].why says why, out->why holds
 *                the first) or nothing could be fitted; the data were read but support no
 *                profile;
 *   TF_EINVAL    g lacks a figure the rows need (a dtype's peak, HBM bandwidth, TDP or idle
 *                power): the wrong GPU or catalogue, the caller's input;
 * the sentence is the TF_FAIL context in each case. out is filled in all three cases. */
int tf_fit_run(const tf_meas *m, const tf_catalog_gpu *g, tf_fit *out);

/* The index of the parameter or curve called name, or -1. */
int tf_fit_param_find(const char *name);
int tf_fit_curve_find(const char *name);

/* The source a parameter carries while it holds its default (tf_fit_defaults): a profile file's
 * parameter with another source was fitted. */
const char *tf_fit_default_source(tf_fit_param_id id);

/* "no data", "fitted", "refused"; and back (-1 for another word). */
const char *tf_fit_status_name(tf_fit_status s);
int tf_fit_status_parse(const char *word);

/* Copies the present parameters of params (TF_FIT_N_PARAMS of them) into the numeric fields of
 * gpu and power; name and source are left alone. Absent parameters leave their fields as they
 * were, so start from the defaults. */
void tf_fit_apply(const tf_fit_param *params, tf_gpu_profile *gpu, tf_power_profile *power);

#endif
