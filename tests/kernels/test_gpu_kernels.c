/* GPU test (label `gpu`): the kernels against their CPU references on small and odd sizes (the
 * self-check's thorough set), then one small configuration of every kernel through the measuring
 * path (allocation, fill, timing, NVML where present) with sane results. */
#include <math.h>
#include <stdio.h>

#include "device.h"
#include "error.h"
#include "measure.h"
#include "mfile.h"
#include "nvml.h"
#include "plan.h"
#include "selfcheck.h"
#include "tf_test.h"

int main(void) {
  tf_device_info dev;
  char err[1024] = "";
  if (tf_device_open(0, &dev, err, sizeof err) != 0) {
    fprintf(stderr, "gpu_kernels: %s\n", err);
    return 1;
  }
  int rc = tf_selfcheck_run(&dev, true, stdout, err, sizeof err);
  TF_CHECK_INT(rc, 0);
  if (rc)
    fprintf(stderr, "gpu_kernels: %s\n", err);

  tf_nvml *nvml = NULL;
  if (tf_nvml_open(&nvml, NULL, dev.uuid, 0, err, sizeof err) != 0)
    printf("no NVML (%s): power and clocks stay empty\n", err);
  tf_plan plan;
  TF_CHECK_INT(tf_plan_init(&plan, TF_PLAN_QUICK), 0);
  tf_measure *m = NULL;
  rc = tf_measure_create(&m, &dev, &plan.timing, nvml, err, sizeof err);
  TF_CHECK_INT(rc, 0);
  bool fp8 = dev.cc_major * 10 + dev.cc_minor >= 89;
  const tf_plan_item items[] = {
      {.kernel = TF_KERNEL_IDLE, .idle_s = 0.2, .groups = 1},
      {.kernel = TF_KERNEL_HBM_STREAM, .bytes = 1 << 20, .groups = 1},
      {.kernel = TF_KERNEL_GEMM, .dtype = TF_DTYPE_BF16, .m = 16, .n = 256, .k = 512, .groups = 1},
      {.kernel = TF_KERNEL_GEMM, .dtype = TF_DTYPE_E4M3, .m = 16, .n = 256, .k = 512, .groups = 1},
      {.kernel = TF_KERNEL_GROUPED_GEMM, .dtype = TF_DTYPE_BF16, .m = 4, .n = 256, .k = 512,
       .groups = 8},
      {.kernel = TF_KERNEL_ATTN_DECODE, .dtype = TF_DTYPE_BF16, .batch = 4, .context = 1000,
       .heads = 64, .kv_heads = 8, .head_dim = 128, .layout = TF_LAYOUT_GQA, .page_size = 64,
       .groups = 1},
      {.kernel = TF_KERNEL_ATTN_DECODE, .dtype = TF_DTYPE_E4M3, .batch = 2, .context = 2048,
       .heads = 128, .kv_heads = 1, .head_dim = 512, .rope_dim = 64, .layout = TF_LAYOUT_MLA,
       .page_size = 64, .groups = 1},
  };
  for (size_t i = 0; m && i < sizeof items / sizeof items[0]; i++) {
    tf_mfile_row row;
    tf_mfile_row_from_item(&row, &items[i]);
    err[0] = '\0';
    rc = tf_measure_run(m, &items[i], &row, err, sizeof err);
    bool may_skip = (items[i].kernel == TF_KERNEL_IDLE && !nvml) ||
                    (items[i].dtype == TF_DTYPE_E4M3 && items[i].kernel == TF_KERNEL_GEMM && !fp8);
    if (rc == TF_ENOTFOUND && may_skip) {
      printf("%s: skipped as expected (%s)\n", row.kernel, err);
      continue;
    }
    TF_CHECK_INT(rc, 0);
    if (rc) {
      fprintf(stderr, "%s: %s\n", row.kernel, err);
      continue;
    }
    TF_CHECK(row.reps >= 1);
    TF_CHECK(row.time_s > 0 && row.time_p10_s <= row.time_s && row.time_s <= row.time_p90_s);
    TF_CHECK(isfinite(row.power_w) == (nvml != NULL));
    printf("%s %s: %.3g s (p10 %.3g, p90 %.3g), %lld reps, %.0f W\n", row.kernel, row.dtype,
           row.time_s, row.time_p10_s, row.time_p90_s, (long long)row.reps, row.power_w);
  }
  tf_measure_destroy(m);
  tf_nvml_close(nvml);
  tf_plan_fini(&plan);
  return tf_test_report("gpu_kernels");
}
