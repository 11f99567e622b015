/* The results database: every run appended to one SQLite file, in one transaction, so a sweep's
 * runs can be queried together (schema, views and example queries: docs/DATABASE.md). */
#ifndef TF_STORE_H
#define TF_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "results.h"

/* PRAGMA application_id of a tokenfab results database: "TFAB" in ASCII (0x54464142), which
 * tells tokenfab's files from other applications' SQLite databases. Never changes. */
#define TF_STORE_APPLICATION_ID 1413890370
/* PRAGMA user_version: the schema this build writes. Raised by one with every change to tables
 * or views; a build opens files up to its own version (migrating older ones) and refuses newer. */
#define TF_STORE_SCHEMA_VERSION 1
/* How long a writer waits for another process's transaction on the same file to finish. */
#define TF_STORE_BUSY_TIMEOUT_MS 10000

typedef struct tf_store tf_store;

/* Opens (creating when absent or empty) the results database at path. A new file gets the schema;
 * an existing one must carry TF_STORE_APPLICATION_ID and a schema version this build knows, else
 * TF_EDB with a sentence in err ("results.db: not a tokenfab results database", "results.db:
 * schema version 7 is newer than this tokenfab (1); use a newer tokenfab") and the file as it was.
 * Turns foreign keys on and waits up to TF_STORE_BUSY_TIMEOUT_MS for other writers. err may be
 * NULL; failures also pass through TF_FAIL. */
int tf_store_open(const char *path, tf_store **out, char *err, size_t err_size);

/* Writes one run in one transaction (BEGIN IMMEDIATE ... COMMIT) and sets *run_id to its id.
 * On failure (TF_EDB with err) the transaction is rolled back: nothing of the run remains, and
 * *run_id is left as it was. A process killed mid-write leaves nothing either: the next
 * connection rolls the journal back. Non-finite REAL cells are stored as NULL. */
int tf_store_write_run(tf_store *s, const tf_run_record *r, int64_t *run_id, char *err,
                       size_t err_size);

/* Closes the database; s may be NULL. */
void tf_store_close(tf_store *s);

/* Tests only: hook(ctx, rows) runs after each row tf_store_write_run inserts (the runs row
 * included, so rows is 1 after it), inside the open transaction. NULL removes it. */
void tf_store_set_row_hook(tf_store *s, void (*hook)(void *ctx, size_t rows), void *ctx);

#endif
