/* Sweep definitions: a scenario's `sweep:` section and `--sweep` axes expanded into points, each
 * an ordinary run of the scenario with extra `--set PATH=VALUE` texts (docs/SWEEPS.md). */
#ifndef TF_SWEEP_H
#define TF_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* The most points one sweep may have (and the most replications of a point): a typo such as
 * `step 0.001 MW` for `step 1 MW` fails at load time instead of queueing a billion runs. */
#define TF_SWEEP_MAX_POINTS 1000000

/* The file name messages give for `--sweep` text: `--sweep:1:COL: message`, COL counting from 1
 * within the argument as typed (like `--set`). */
#define TF_SWEEP_CLI_FILE "--sweep"

/* A sweep: dimensions in expansion order (the variants, then grid and range axes in file order,
 * then `--sweep` axes, then the zip group), and the columns of the sweep table. A dimension is
 * one column except the zip group, which gives one column per PATH. Opaque; owns everything;
 * read-only after tf_sweep_load, so several threads may read one. */
typedef struct tf_sweep tf_sweep;

/* Reads the `sweep:` section of the scenario file at path (NULL path: no file; a file without
 * the section: no file axes), then adds cli_axes (`--sweep` texts, in order: "PATH=V1,V2,..."
 * with commas inside {...}, [...] or quotes not splitting, or "PATH=A..B step S") as grid axes
 * and sets the replications (0: keep the file's, whose default is 1). Every problem goes to d
 * as file:line:col (`--sweep:1:COL` for an axis text, `--replications` for replications): unknown
 * keys, zipped lists of unequal lengths, empty lists, bad ranges, variants without name or set,
 * duplicate variant names, a PATH swept by two axes, more than TF_SWEEP_MAX_POINTS points.
 * Returns 0 with *out set (free it with tf_sweep_free), TF_EPARSE (d holds errors), TF_EIO (the
 * file cannot be read; d says `path: cannot open: ...`) or TF_ENOMEM; *out is NULL on failure. */
int tf_sweep_load(const char *scenario_path, const char *const *cli_axes, size_t n_cli_axes,
                  int64_t replications, tf_sweep **out, tf_diags *d);

/* Points: the product of the dimensions' sizes, in [1, TF_SWEEP_MAX_POINTS] (1 without axes). */
size_t tf_sweep_points(const tf_sweep *s);
/* Runs per point, in [1, TF_SWEEP_MAX_POINTS]: run (p, r) for r in [0, replications). */
size_t tf_sweep_replications(const tf_sweep *s);
/* Columns of the sweep table: "variant" (if there are variants), then one per swept PATH. */
size_t tf_sweep_axes(const tf_sweep *s);
/* Column axis's name: the PATH as written, or "variant". axis < tf_sweep_axes(s). */
const char *tf_sweep_axis_name(const tf_sweep *s, size_t axis);
/* Column axis's value at point p: the variant's name; a scalar's text as written ("1 MW",
 * "hgx-h200"); a mapping or list in YAML flow style ("{process: gamma, rate: 5 /s}"). Owned by s.
 * Point p decodes as a mixed-radix number over the dimensions, the last varying fastest. */
const char *tf_sweep_label(const tf_sweep *s, size_t p, size_t axis);

/* Point p's `--set` texts ("PATH=VALUE"), in order: the variant's sets (in its mapping's order),
 * then one per column of the other dimensions. *sets is allocated (NULL when *n is 0): free it
 * and its strings with tf_sweep_sets_free. 0 or TF_ENOMEM (then *sets is NULL, *n 0). */
int tf_sweep_sets(const tf_sweep *s, size_t p, char ***sets, size_t *n);
void tf_sweep_sets_free(char **sets, size_t n);

/* A description of the whole sweep (dimensions, columns, every value's --set text, variants'
 * sets, points, replications), one item a line, for hashing: two sweeps are the same sweep iff
 * these texts are equal. It does not cover the scenario itself or its seed. Owned by s. */
const char *tf_sweep_canonical(const tf_sweep *s);

/* The seed of run (point, replication) of a sweep whose scenario seed is master_seed:
 *   f(z) = splitmix64's output function of z + 0x9E3779B97F4A7C15 (Steele, Lea, Flood 2014):
 *          z += 0x9E3779B97F4A7C15; z = (z ^ z >> 30) * 0xBF58476D1CE4E5B9;
 *          z = (z ^ z >> 27) * 0x94D049BB133111EB; return z ^ z >> 31;
 *   seed = f(f(f(master_seed) ^ point) ^ replication)
 * It depends on these three numbers only: the same run gets the same seed alone, in any sweep,
 * on any worker. f is a bijection of 64-bit integers, so for one master seed the seeds of one
 * point's replications differ, and so do the seeds of one replication across points. */
uint64_t tf_sweep_seed(uint64_t master_seed, uint64_t point, uint64_t replication);

/* NULL is fine. */
void tf_sweep_free(tf_sweep *s);

#endif
