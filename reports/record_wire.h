/* A run record (results.h) as bytes and back: how the workers of an MPI sweep send their runs to
 * rank 0, the only process that writes the results database. The byte format is specified at the
 * top of record_wire.c; a buffer is only ever read by the tokenfab that wrote its version. */
#ifndef TF_RECORD_WIRE_H
#define TF_RECORD_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "results.h"

/* Packs r into a newly allocated buffer (*buf, *len; the caller frees *buf): a self-describing
 * little-endian format with a magic and a version, every string length-prefixed (NULL pointers
 * kept apart from empty strings), doubles as their IEEE-754 bits (NaN payloads, infinities and
 * -0.0 exactly), int64 and uint64 as 8 bytes. The same record always gives the same bytes.
 * 0, or TF_ENOMEM (*buf NULL, *len 0). r must be consistent: scenario_text non-NULL whenever
 * scenario_len > 0, the two fixed arrays NUL-terminated (asserted). */
int tf_record_pack(const tf_run_record *r, uint8_t **buf, size_t *len);

/* Rebuilds into *out a record from len bytes made by tf_record_pack. Everything in *out is then
 * owned by it, including what is a static string in a record built by a run: the identity
 * strings (scenario_text gets a terminating NUL after its scenario_len bytes), each table's name,
 * its column array and the columns' names and units, and the cells (text cells malloc'd one by
 * one, as tf_cell_set_text does). Free it with tf_record_unpacked_free, never with
 * tf_run_record_fini alone. A truncated, corrupted or foreign buffer is TF_EPARSE, found without
 * reading outside [buf, buf + len); out of memory is TF_ENOMEM; on failure *out is zeroed and
 * nothing is left allocated. The tables' rows can still be appended to (tf_table_add_row). */
int tf_record_unpack(const uint8_t *buf, size_t len, tf_run_record *out);

/* Frees a record made by tf_record_unpack (or a zeroed one): the identity strings, the tables'
 * names and columns, then the cells with tf_run_record_fini; *r is zeroed. */
void tf_record_unpacked_free(tf_run_record *r);

#endif
