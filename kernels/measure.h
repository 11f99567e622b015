/* Measuring one configuration of the sweep on the GPU: operands allocated and filled, the launch
 * timed (timing.h), board power and SM clock sampled through NVML while it keeps running
 * (nvml.h), the results written into a measurements.csv row (mfile.h). */
#ifndef TF_MEASURE_H
#define TF_MEASURE_H

#include <stddef.h>

#include "device.h"
#include "mfile.h"
#include "nvml.h"
#include "plan.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tf_measure tf_measure;

/* Measures on the CUDA device described by dev (already opened by tf_device_open) with the plan's
 * timing policy; nvml may be NULL (no power or clock readings then). Keeps a pointer to each.
 * 0, TF_ENOMEM or TF_EIO (err says why). */
int tf_measure_create(tf_measure **out, const tf_device_info *dev, const tf_plan_timing *timing,
                      tf_nvml *nvml, char *err, size_t err_size);
void tf_measure_destroy(tf_measure *m);

/* Runs it and fills the measured columns of row (reps, times, power, clock; the rest is
 * tf_mfile_row_from_item's). 0; TF_ENOTFOUND when this GPU cannot run it (FP8 before compute
 * capability 8.9, no cuBLASLt algorithm) and TF_EFULL when it does not fit in memory: skip it,
 * err says why; TF_EIO or TF_ENOMEM: the run cannot go on. */
int tf_measure_run(tf_measure *m, const tf_plan_item *it, tf_mfile_row *row, char *err,
                   size_t err_size);

#ifdef __cplusplus
}
#endif

#endif
