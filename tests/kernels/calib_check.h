/* Test support: checks a measurement folder (DIR/device.csv, DIR/measurements.csv) against the
 * contract of docs/CALIBRATION.md, independently of the writer: RFC 4180 records with CRLF line
 * ends, keys and columns in order, every number finite and non-negative, time_s > 0, reps >= 1,
 * time_p10_s <= time_s <= time_p90_s, and each kernel's own columns present. */
#ifndef TF_CALIB_CHECK_H
#define TF_CALIB_CHECK_H

#include <stddef.h>

/* 0 when the folder keeps the contract (rows, when not NULL, gets the measurement rows), else -1
 * with "file:line: what is wrong" in err. */
int calib_check_dir(const char *dir, size_t *rows, char *err, size_t err_size);

#endif
