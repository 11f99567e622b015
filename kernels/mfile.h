/* The measurement folder tokenfab-calibrate writes and `tokenfab fit` reads: DIR/device.csv and
 * DIR/measurements.csv exactly as docs/CALIBRATION.md fixes them, in the CSV conventions of
 * docs/RESULTS.md (RFC 4180, header row, CRLF line ends, UTF-8, text quoted, numbers in plain
 * decimal notation with up to 15 significant digits, an empty field for "not applicable").
 *
 * The writer is its own (no libcsv) so that the measuring side builds on a GPU node that has only
 * the CUDA Toolkit and a C compiler; its output is what reports/csv_out.c would write. */
#ifndef TF_MFILE_H
#define TF_MFILE_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The `format` value of this layout. */
#define TF_MFILE_FORMAT "tokenfab-calibration-1"

/* device.csv's values. NULL text or a NaN number is written empty (could not be read). */
typedef struct tf_mfile_device {
  const char *gpu_name, *gpu_uuid, *compute_capability;
  const char *driver_version, *cuda_runtime_version, *cublas_version;
  double sm_count, sm_clock_max_mhz, mem_clock_max_mhz, hbm_bytes;
  double power_limit_default_w, power_limit_min_w, power_limit_max_w;
  const char *started_utc; /* ISO 8601, "2025-01-31T12:00:00Z" */
  const char *mode;        /* "quick" or "full" */
} tf_mfile_device;

/* One row of measurements.csv, its columns in order. Text NULL or "" and numbers that are NaN
 * (integers: negative) are written empty. */
typedef struct tf_mfile_row {
  const char *kernel, *dtype;
  int64_t m, n, k, groups, batch, context, heads, kv_heads, head_dim;
  const char *layout;
  double bytes, flops, bytes_moved, power_limit_w;
  int64_t reps;
  double time_s, time_p10_s, time_p90_s, power_w, sm_clock_mhz;
} tf_mfile_row;

/* The descriptive columns of a plan item (kernel to power_limit_w); the measured ones empty. */
void tf_mfile_row_from_item(tf_mfile_row *row, const tf_plan_item *it);

/* Room tf_mfile_number needs, NUL included: the longest plain notation, the smallest subnormal's
 * "-0." and 323 zeros and 15 digits. */
#define TF_MFILE_NUMBER_MAX 344

/* v in plain decimal notation with 15 significant digits, trailing zeros dropped (0.000065,
 * 2e20 as 200000000000000000000); "" for a non-finite v; "0" for zeros of either sign.
 * size >= TF_MFILE_NUMBER_MAX. */
void tf_mfile_number(double v, char *buf, size_t size);

/* Writes DIR/measurements.csv and DIR/device.csv (DIR created if missing, one level). Each goes
 * to a temporary file in DIR first and is renamed over its name only when complete, so a reader
 * sees an old file or a whole new one; on failure no temporary file is left and err says what
 * failed. 0, TF_EIO or TF_ENOMEM. */
int tf_mfile_write(const char *dir, const tf_mfile_device *dev, const tf_mfile_row *rows,
                   size_t n_rows, char *err, size_t err_size);

#ifdef __cplusplus
}
#endif

#endif
