/* The self-check that opens every calibration run: small GEMMs (BF16, and FP8 where the GPU has
 * it), grouped GEMMs, paged decode attention (GQA and MLA, BF16 and FP8 caches, pages out of
 * order, contexts of different lengths and several chunks) and the HBM stream, computed on the GPU
 * and by the CPU references (ref.h), compared element by element. A GPU that disagrees is not
 * measured: timings of wrong results calibrate nothing. */
#ifndef TF_SELFCHECK_H
#define TF_SELFCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Runs the comparisons on the current device (dev from tf_device_open); thorough adds larger and
 * odder cases (the `gpu` tests use it). One line per comparison goes to log when not NULL.
 * 0; TF_ENUMERIC when a result disagrees (err names the case, the element and both values);
 * TF_EIO or TF_ENOMEM when a comparison could not run. */
int tf_selfcheck_run(const tf_device_info *dev, bool thorough, FILE *log, char *err,
                     size_t err_size);

#ifdef __cplusplus
}
#endif

#endif
