/* The pending-event set: push, pop the earliest, cancel and reschedule by handle. */
#ifndef TF_EVQ_H
#define TF_EVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Simulated time: integer nanoseconds (DESIGN.md principle 1). */
typedef int64_t tf_time_ns;

/* An event as the queue stores and returns it. Events are totally ordered by
 * (time_ns, priority, sequence): ties never depend on memory layout. The sequence number is the
 * order of insertion and doubles as the event's handle. */
typedef struct tf_event {
  tf_time_ns time_ns; /* when it fires */
  uint64_t order;     /* (priority << TF_EVQ_SEQ_BITS) | sequence; lower fires first */
  uint32_t target;    /* entity the event is delivered to */
  uint32_t type;      /* meaning is the target entity type's business */
  uint64_t arg;       /* payload, the target entity type's business */
} tf_event;

#define TF_EVQ_SEQ_BITS 48
#define TF_EVQ_SEQ_MASK ((UINT64_C(1) << TF_EVQ_SEQ_BITS) - 1)
#define TF_EVQ_PRIO_MAX UINT16_MAX

/* A handle names one pushed event; 0 is never a valid handle. */
typedef uint64_t tf_evq_handle;

static inline uint16_t tf_event_priority(const tf_event *ev) {
  return (uint16_t)(ev->order >> TF_EVQ_SEQ_BITS);
}
static inline tf_evq_handle tf_event_handle(const tf_event *ev) {
  return ev->order & TF_EVQ_SEQ_MASK;
}

typedef struct tf_evq tf_evq;

int tf_evq_create(tf_evq **out);
void tf_evq_destroy(tf_evq *q);

/* Pushes an event at time_ns >= the time of the last popped event (TF_EPAST otherwise: the
 * queue is monotone, as a discrete-event simulation's is). Lower priority values fire first
 * among events at the same time; equal priorities fire in push order. O(1). */
int tf_evq_push(tf_evq *q, tf_time_ns time_ns, uint16_t priority, uint32_t target, uint32_t type,
                uint64_t arg, tf_evq_handle *handle_out);

/* Removes the earliest pending event into *out: 1 if one was popped, 0 if nothing is pending.
 * Amortised cost grows with the log of the spread of pending times, not with the number pending.
 * Running out of memory while events move between buckets aborts with a message. */
int tf_evq_pop(tf_evq *q, tf_event *out);

/* The time of the earliest pending event into *out: 1, or 0 if nothing is pending. */
int tf_evq_peek_time(tf_evq *q, tf_time_ns *out);

/* Cancels a pending event by handle. O(1). The handle must name an event that is still pending
 * (neither popped nor cancelled); TF_EINVAL for handles never issued. Cancelling an event that
 * already fired is a programmer error the queue cannot always detect: owners forget a handle when
 * its event fires (the way libuv timers do). */
int tf_evq_cancel(tf_evq *q, tf_evq_handle h);

/* Cancel h and push the same target/type/arg at a new time and priority; the new handle replaces
 * *h. O(1). */
int tf_evq_reschedule(tf_evq *q, tf_evq_handle *h, tf_time_ns time_ns, uint16_t priority,
                      uint32_t target, uint32_t type, uint64_t arg);

/* Events pending (cancelled ones excluded). */
size_t tf_evq_size(const tf_evq *q);
/* The most events ever pending at once. */
size_t tf_evq_peak(const tf_evq *q);
/* Event slots allocated (buckets, front run and spare arrays): stays within a small multiple of
 * the peak pending, however long the run. */
size_t tf_evq_capacity(const tf_evq *q);
/* Time of the last popped event (INT64_MIN before the first pop). */
tf_time_ns tf_evq_last_time(const tf_evq *q);

/* O(n) structural check, for asserts and tests: every stored event sits where the radix
 * invariant says, counts agree, and every cancellation names a stored event. */
bool tf_evq_is_valid(const tf_evq *q);

#endif
