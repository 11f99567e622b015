/* The discrete-event engine: clock, event queue, dispatch to entity handler tables, RNG streams and
 * run statistics. It knows nothing of GPUs, tokens or files. */
#ifndef TF_ENGINE_H
#define TF_ENGINE_H

#include <gsl/gsl_rng.h>
#include <stddef.h>
#include <stdint.h>

#include "evq.h"

typedef struct tf_engine tf_engine;

/* An entity type plugs into the engine as a handler table (ROSS tw_lptype). The engine allocates
 * state_size zeroed bytes per entity and passes them to every handler. Handlers return 0, or a
 * negative TF_E* code that stops the run and is returned from tf_engine_run. */
typedef struct tf_entity_type {
  const char *name;
  size_t state_size;
  /* Called once by tf_engine_add_entity; config is the caller's, borrowed for the call. */
  int (*init)(tf_engine *e, uint32_t id, void *state, const void *config);
  /* Called for every event delivered to the entity, in (time, priority, sequence) order. */
  int (*event)(tf_engine *e, uint32_t id, void *state, const tf_event *ev);
  /* Called once after the run, in entity id order, at the end time; may be NULL. */
  int (*final)(tf_engine *e, uint32_t id, void *state);
  /* Releases what init allocated inside state; called by tf_engine_destroy; may be NULL. */
  void (*destroy)(void *state);
} tf_entity_type;

/* Wall-clock time by phase, and what the engine did. */
typedef struct tf_engine_stats {
  uint64_t events_processed; /* events delivered to handlers */
  uint64_t events_scheduled;
  uint64_t events_cancelled;
  size_t peak_pending;   /* most events pending at once */
  double wall_setup_s;   /* engine creation to the start of tf_engine_run */
  double wall_run_s;     /* event loop */
  double wall_final_s;   /* final handlers */
  double events_per_s;   /* events_processed / wall_run_s */
  tf_time_ns end_time_ns; /* simulated time when the run stopped */
} tf_engine_stats;

int tf_engine_create(tf_engine **out, uint64_t master_seed);
/* Destroys entities (their destroy handler first), RNG streams and the queue. NULL is fine. */
void tf_engine_destroy(tf_engine *e);

/* Adds an entity of type t; its id (0, 1, 2, ... in order of addition) goes to *id_out. */
int tf_engine_add_entity(tf_engine *e, const tf_entity_type *t, const void *config, uint32_t *id_out);
void *tf_engine_state(tf_engine *e, uint32_t id);
uint32_t tf_engine_entity_count(const tf_engine *e);

/* Schedules an event for target at absolute time at_ns (>= now; TF_EPAST otherwise). handle_out
 * may be NULL. */
int tf_engine_schedule(tf_engine *e, tf_time_ns at_ns, uint16_t priority, uint32_t target,
                       uint32_t type, uint64_t arg, tf_evq_handle *handle_out);
/* Cancels a pending event (see tf_evq_cancel for the contract). */
int tf_engine_cancel(tf_engine *e, tf_evq_handle h);

tf_time_ns tf_engine_now(const tf_engine *e);
uint64_t tf_engine_seed(const tf_engine *e);

/* Stream `stream` of entity `entity`, created on first use and owned by the engine. Its sequence
 * depends only on (master seed, entity, stream). NULL only when out of memory. */
gsl_rng *tf_engine_rng(tf_engine *e, uint32_t entity, uint32_t stream);

/* Runs events with time <= until_ns (or until the queue empties or tf_engine_stop), then advances
 * the clock to until_ns (unless stopped early) and calls every final handler. Returns 0 or the
 * first handler failure. May be called once per engine. */
int tf_engine_run(tf_engine *e, tf_time_ns until_ns);
/* Asks the run to stop after the current event. */
void tf_engine_stop(tf_engine *e);

const tf_engine_stats *tf_engine_get_stats(const tf_engine *e);

#endif
