/* A run's result tables as CSV for spreadsheets (RFC 4180, through libcsv): a header row of the
 * tables' column names (units in the names), numbers in plain decimal notation, text quoted and
 * neutralised so that no spreadsheet executes it as a formula, UTF-8, CRLF line ends. The files
 * and columns: docs/RESULTS.md. */
#ifndef TF_CSV_OUT_H
#define TF_CSV_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "results.h"

/* Significant digits tf_csv_plain keeps at most: 17 read any double back exactly. */
#define TF_CSV_DIGITS_MAX 17
/* Room tf_csv_plain (and tf_csv_number) need, NUL included: the longest plain notation is the
 * smallest denormal's, "-0." then 323 zeros and 17 digits (344 bytes with the NUL). */
#define TF_CSV_NUMBER_MAX 344

/* A number printed as "%.*e" ([-]d.ddde[+-]XX, at most TF_CSV_DIGITS_MAX digits) rewritten in
 * plain decimal notation, trailing zeros dropped; "0" for zeros of either sign. size >=
 * TF_CSV_NUMBER_MAX (else ""). */
void tf_csv_plain(const char *sci, char *buf, size_t size);

/* v in plain decimal notation with 15 significant digits, trailing zeros dropped: 0.000065,
 * 1234567.5, 2e20 as 200000000000000000000; "" for a non-finite v; "0" for zeros of either
 * sign. size >= TF_CSV_NUMBER_MAX. */
void tf_csv_number(double v, char *buf, size_t size);

/* Writes text as one quoted CSV field. Text a spreadsheet would read as a formula (starting with
 * =, +, -, @, a tab or a carriage return) gets a leading apostrophe, the neutralisation OWASP
 * recommends for CSV injection. 0 or TF_EIO. */
int tf_csv_text(FILE *f, const char *text);

/* The CSV files of one run, written into dir (created if it does not exist, one level):
 * summary.csv (identity columns, then the summary table's), classes.csv, series.csv, costs.csv
 * (the columns `run_id`, `scenario`, `seed` first, then the table's). run_id <= 0 leaves run_id
 * empty (no database). Each file goes to a temporary file in dir and is renamed over its name
 * once complete, so a file is either the old one or the whole new one; on failure no temporary
 * file remains and err says what failed. 0 or TF_EIO. */
int tf_csv_write_run(const char *dir, const tf_run_record *rec, int64_t run_id, char *err,
                     size_t err_size);

/* One table as the CSV file path (header row, then its rows), written to a temporary file beside
 * it and renamed over it when complete. 0 or TF_EIO with err. */
int tf_csv_write_table(const char *path, const tf_table *t, char *err, size_t err_size);

#endif
