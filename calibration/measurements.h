/* Calibration measurements: DIR/device.csv and DIR/measurements.csv (docs/CALIBRATION.md, "The
 * measurement folder") read into memory, accepted whole or not at all. */
#ifndef TF_MEASUREMENTS_H
#define TF_MEASUREMENTS_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

/* The value of device.csv's `format` key this reader accepts. */
#define TF_MEAS_FORMAT "tokenfab-calibration-1"

/* Called once for each problem found, in file order (device.csv first). line counts from 1; 0
 * means the message concerns the whole file (cannot open, empty, a key missing, "... and N more
 * errors"), so a printer writes `file:line: msg` or `file: msg`. msg is one sentence ending in
 * what was expected, without a trailing newline; both strings live only for the call. At most
 * TF_MEAS_MAX_REPORTED problems are reported per file, then one "... and N more errors" line
 * (the convention of models/traffic.h). */
typedef void (*tf_meas_report_fn)(void *ctx, const char *file, int line, const char *msg);

#define TF_MEAS_MAX_REPORTED 20

/* The `kernel` column. Collectives are in the contract for a later issue: their rows are read and
 * checked but no curve is fitted to them yet. */
typedef enum tf_meas_kernel {
  TF_MEAS_GEMM,
  TF_MEAS_GROUPED_GEMM,
  TF_MEAS_ATTN_DECODE,
  TF_MEAS_HBM_STREAM,
  TF_MEAS_IDLE,
  TF_MEAS_P2P,
  TF_MEAS_ALL_REDUCE,
  TF_MEAS_ALL_TO_ALL,
  TF_MEAS_KERNEL_COUNT_
} tf_meas_kernel;

typedef enum tf_meas_dtype { TF_MEAS_DTYPE_NONE, TF_MEAS_BF16, TF_MEAS_FP8 } tf_meas_dtype;
typedef enum tf_meas_layout { TF_MEAS_LAYOUT_NONE, TF_MEAS_GQA, TF_MEAS_MLA } tf_meas_layout;

/* One measured configuration. Every number is as written in the file; an empty field (or a
 * column the header lacks) is NaN, so test with tf_meas_has. After a successful load the row
 * satisfies the rules of docs/CALIBRATION.md: its kernel's required fields are present, whole
 * numbers where counts are meant, every number finite and >= 0, time_s > 0 and
 * time_p10_s <= time_s <= time_p90_s. */
typedef struct tf_meas_row {
  int line; /* the line of measurements.csv the row starts on */
  tf_meas_kernel kernel;
  tf_meas_dtype dtype;
  tf_meas_layout layout;
  double m, n, k, groups;             /* GEMM shape; grouped: m tokens per group */
  double batch, context;              /* decode attention: sequences, KV tokens per sequence */
  double heads, kv_heads, head_dim;   /* decode attention layout */
  double bytes;                       /* HBM stream: bytes read and written per launch */
  double flops, bytes_moved;          /* one launch's FLOPs and minimum HBM traffic */
  double power_limit_w;               /* NaN: the default limit */
  double reps;                        /* timed launches */
  double time_s, time_p10_s, time_p90_s; /* median, 10th and 90th percentile of one launch */
  double power_w, sm_clock_mhz;       /* NVML means over the configuration; NaN without NVML */
} tf_meas_row;

/* A numeric column of measurements.csv and where it lives in tf_meas_row (for writers that copy
 * every column, such as the profile's `measurements` table). */
typedef struct tf_meas_column {
  const char *name;
  size_t offset;  /* of a double in tf_meas_row */
  bool whole;     /* a count: a whole number */
} tf_meas_column;

/* The numeric columns in the contract's order (kernel, dtype and layout are text and come
 * separately). Sets *out and returns their number. */
size_t tf_meas_numeric_columns(const tf_meas_column **out);

/* A measurement folder, read whole. Read-only for callers; strings are owned by it. */
typedef struct tf_meas {
  char *device_path;       /* DIR/device.csv */
  char *measurements_path; /* DIR/measurements.csv */
  /* device.csv in file order: n_device keys with their values ("" when empty). */
  size_t n_device;
  char **device_key, **device_value;
  /* The device keys the fit uses, parsed: NaN when empty. */
  double sm_clock_max_mhz, power_limit_default_w;
  size_t n_rows;
  tf_meas_row *rows; /* in file order */
} tf_meas;

static inline bool tf_meas_has(double v) { return !isnan(v); }

/* Reads dir/device.csv and dir/measurements.csv with libcsv. Every problem in either file is
 * reported through report(ctx, ...) (see above) and reading goes on to find them all. Returns 0
 * and *out (free with tf_meas_destroy); TF_EIO when a file cannot be opened or read; TF_EPARSE
 * when any problem was found (a row with too few or too many fields, a quoted field left open, a
 * missing column or key, an unknown kernel, dtype or layout, a number that is not one, negative,
 * not finite or not whole where a count is meant, time_p10_s > time_s or time_s > time_p90_s, a
 * FLOP count that is not 2 m n k (x groups), a configuration measured twice, an empty file);
 * TF_ENOMEM. *out is NULL on failure; the first problem is the TF_FAIL context. */
int tf_meas_load(const char *dir, tf_meas **out, tf_meas_report_fn report, void *ctx);
void tf_meas_destroy(tf_meas *m);

/* device.csv's value for key, or NULL when the file has no such key. */
const char *tf_meas_device(const tf_meas *m, const char *key);

/* "gemm", "grouped_gemm", "attn_decode", "hbm_stream", "idle", "p2p", "all_reduce",
 * "all_to_all"; and "bf16"/"fp8"/"" and "gqa"/"mla"/"". */
const char *tf_meas_kernel_name(tf_meas_kernel k);
const char *tf_meas_dtype_name(tf_meas_dtype d);
const char *tf_meas_layout_name(tf_meas_layout l);

#endif
