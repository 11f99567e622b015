/* GPU profiles as files: a fit written as a SQLite database (tables device, measurements,
 * parameters, fits) and as CSV (profile.csv, fits.csv), each file replaced atomically; and a
 * profile file read back into the performance and power models' profiles. Schema and columns:
 * docs/CALIBRATION.md, "Profiles". The only SQLite code of calibration. */
#ifndef TF_PROFILE_IO_H
#define TF_PROFILE_IO_H

#include "fit.h"
#include "gpu_profile.h"
#include "measurements.h"
#include "power.h"

/* PRAGMA application_id of a profile database: "TFPF" in ASCII. */
#define TF_PROFILE_APPLICATION_ID 1413894214
/* PRAGMA user_version: the layout of docs/CALIBRATION.md, "Profiles". */
#define TF_PROFILE_SCHEMA_VERSION 1
/* The `format` the device table records for the profile's layout. */
#define TF_PROFILE_FORMAT "tokenfab-profile-1"

/* Writes f (with m's device keys and raw rows) as the SQLite database path: built in a temporary
 * file beside it, then renamed over path, so path is the old file or the whole new one. The
 * database holds every present parameter of f, refused or not; callers write only fits that
 * stand. 0, or TF_EIO / TF_EDB / TF_ENOMEM with the TF_FAIL context naming the file. */
int tf_profile_write_db(const char *path, const tf_meas *m, const tf_fit *f);

/* Writes dir/profile.csv (the parameters) and dir/fits.csv (the curves), RFC 4180 with CRLF line
 * ends and text always quoted (docs/RESULTS.md), numbers in plain decimal notation with as many
 * significant digits as it takes to read back the same double (up to 17, where results keep 15:
 * a profile is read back by programs, and must round-trip exactly). dir must exist. Both files go
 * to temporary files first and are renamed only when both are whole. The same fit always gives
 * the same bytes. 0, or TF_EIO / TF_ENOMEM with the TF_FAIL context. */
int tf_profile_write_csv(const char *dir, const tf_fit *f);

/* A profile read from a file. gpu and power start from the documented defaults
 * (tf_gpu_profile_default, tf_power_profile_default) and take every parameter the file holds;
 * their name and source point into this struct (source: one line per field, "gemm_eff: fit of 72
 * gemm rows, rms 1.4%" or "attn_eff: default (docs/PERF_MODEL.md); not measured yet"). param
 * holds every parameter: as read where the file has it (fitted where its source is not the
 * default's), else as tf_fit_defaults(NULL, ...) leaves it. catalog_gpu is the catalogue GPU
 * whose peaks the fit used (the database's device table, key catalog_gpu; tf_fit.gpu when it was
 * written), "" when the file does not say (a profile.csv holds the parameters only). Owned:
 * release with tf_profile_fini. */
typedef struct tf_profile {
  tf_gpu_profile gpu;
  tf_power_profile power;
  tf_fit_param param[TF_FIT_N_PARAMS];
  char catalog_gpu[sizeof ((tf_fit *)0)->gpu];
  char *name, *gpu_source, *power_source;
} tf_profile;

/* Reads path: a profile database (recognised by SQLite's file header) or a profile.csv. Unknown
 * parameter names, a unit other than the parameter's, a number that is not one, a parameter
 * twice, or values the models refuse (tf_gpu_profile_check, tf_power_profile_check) are errors:
 * TF_EPARSE / TF_ERANGE with `file:line: sentence` (CSV) or `file: sentence` (database) as the
 * TF_FAIL context; TF_EIO when it cannot be opened; TF_EDB; TF_ENOMEM. On failure *out holds
 * nothing to release. */
int tf_profile_read(const char *path, tf_profile *out);
void tf_profile_fini(tf_profile *p);

#endif
