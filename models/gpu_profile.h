/* A GPU profile: the efficiency curves that scale a GPU's datasheet limits to what kernels reach.
 * The one narrow interface between calibration and the performance model: a profile is either
 * the documented default (tf_gpu_profile_default) or one fitted from measurements by
 * calibration; the performance model never asks which. */
#ifndef TF_GPU_PROFILE_H
#define TF_GPU_PROFILE_H

#include <stddef.h>

/* Fractions are of the catalogue's peak figures. Each field's source is in source[]; a fitted
 * profile names its calibration run there. */
typedef struct tf_gpu_profile {
  const char *name;
  /* GEMMs: time = FLOPs / (peak x gemm_eff) + bytes / (HBM x hbm_eff) (perf.h). */
  double gemm_eff;
  double attn_eff;        /* attention FLOPs (prefill), fraction of dense BF16 peak */
  double hbm_eff;         /* achieved / peak HBM bandwidth in streaming reads */
  double scale_up_eff;    /* achieved / peak scale-up bandwidth in all-to-all */
  double scale_out_eff;   /* achieved / peak NIC bandwidth in all-to-all */
  double scale_up_latency_s;  /* fixed cost of one collective inside the scale-up domain */
  double scale_out_latency_s; /* fixed cost of one collective across the scale-out fabric */
  double kernel_gap_s;        /* idle time between two dependent kernels */
  double kernels_per_layer;   /* kernel boundaries in one transformer layer */
  double step_overhead_s;     /* per-step scheduler and sampling time */
  const char *source; /* where these numbers come from, one line per field */
} tf_gpu_profile;

/* The documented datasheet default for any GPU (docs/PERF_MODEL.md): measured fractions from
 * public kernel benchmarks on Hopper, applied to every GPU's own peak figures until a calibrated
 * profile replaces them. */
const tf_gpu_profile *tf_gpu_profile_default(void);

/* Checks a profile: every fraction in (0, 1], every time >= 0. 0 or TF_ERANGE. */
int tf_gpu_profile_check(const tf_gpu_profile *p);

#endif
