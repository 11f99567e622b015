/* The pending-event set as a radix heap over event times, with an exact tie-break heap. */
#include "evq.h"

#include <assert.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "rng.h"

/* Why a radix heap. A discrete-event simulation pops events in non-decreasing time, which is the
 * monotone case radix heaps exploit (Ahuja, Mehlhorn, Orlin, Tarjan, "Faster algorithms for the
 * shortest path problem", JACM 1990). Keys are times mapped to unsigned 64-bit. Bucket b >= 1
 * holds events whose key differs from `last` (the key of the last minimum taken) first in bit
 * b-1; bucket 0 holds events whose key equals `last`. Pushing is an append. When bucket 0 is
 * empty, the lowest non-empty bucket is scanned for its minimum key, which becomes `last`, and
 * its events move to lower buckets: each event moves at most 64 times, in practice a few, and
 * every move is a sequential append. Against a 4-ary heap this trades log2(n) dependent, cache-
 * missing sift steps per pop for streaming passes, which is what holds up at 10^6 pending.
 *
 * Invariants:
 *  - every stored key >= last; an event in bucket b >= 1 has msb(key ^ last) == b - 1;
 *  - bucket 0 is a binary min-heap on `order` (priority, then sequence), so events at the same
 *    time leave in (priority, sequence) order whatever order they arrived in;
 *  - bit b-1 of `nonempty` is set iff bucket b >= 1 holds events;
 *  - cancelled events stay stored until they reach the front, their sequence numbers in
 *    `cancelled` (an open-addressing set); `stored - cancelled.count` events are pending. */

#define NBUCKETS 65

typedef struct bucket {
  tf_event *ev;
  size_t len, cap;
} bucket;

/* Open addressing with linear probing and backward-shift deletion; 0 marks an empty slot (0 is
 * never a handle). Capacity is a power of two, load <= 1/2. */
typedef struct seqset {
  uint64_t *slot;
  size_t cap, count;
} seqset;

struct tf_evq {
  bucket b[NBUCKETS];
  uint64_t nonempty; /* bit i: bucket i+1 non-empty */
  uint64_t last;     /* key of the last minimum taken */
  bool popped_any;
  size_t stored; /* events stored, cancelled ones included */
  size_t peak;
  uint64_t next_seq;
  seqset cancelled;
};

static inline uint64_t key_of(tf_time_ns t) { return (uint64_t)t ^ (UINT64_C(1) << 63); }
static inline tf_time_ns time_of(uint64_t key) { return (tf_time_ns)(key ^ (UINT64_C(1) << 63)); }

/* 1 + index of the highest bit in which key and last differ; key != last. */
static inline unsigned bucket_index(uint64_t key, uint64_t last) {
  return 64u - (unsigned)__builtin_clzll(key ^ last);
}

static int bucket_reserve(bucket *bk, size_t need) {
  if (need <= bk->cap)
    return 0;
  size_t cap = bk->cap ? bk->cap : 16;
  while (cap < need)
    cap *= 2;
  tf_event *ev = realloc(bk->ev, cap * sizeof *ev);
  if (!ev)
    return TF_FAIL(TF_ENOMEM, "event queue bucket of %zu events", cap);
  bk->ev = ev;
  bk->cap = cap;
  return 0;
}

/* Bucket 0 as a binary heap on order. */
static void heap0_push(bucket *h, const tf_event *ev) {
  size_t i = h->len++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (h->ev[parent].order <= ev->order)
      break;
    h->ev[i] = h->ev[parent];
    i = parent;
  }
  h->ev[i] = *ev;
}

static void heap0_pop(bucket *h, tf_event *out) {
  *out = h->ev[0];
  tf_event moved = h->ev[--h->len];
  size_t n = h->len, i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n)
      break;
    if (c + 1 < n && h->ev[c + 1].order < h->ev[c].order)
      c++;
    if (moved.order <= h->ev[c].order)
      break;
    h->ev[i] = h->ev[c];
    i = c;
  }
  if (n > 0)
    h->ev[i] = moved;
}

static inline size_t seq_hash(uint64_t seq, size_t cap) {
  return (size_t)tf_rng_mix64(seq) & (cap - 1);
}

static int seqset_insert(seqset *s, uint64_t seq) {
  if (2 * (s->count + 1) > s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 64;
    uint64_t *slot = calloc(cap, sizeof *slot);
    if (!slot)
      return TF_FAIL(TF_ENOMEM, "cancelled-event set of %zu slots", cap);
    for (size_t i = 0; i < s->cap; i++) {
      if (!s->slot[i])
        continue;
      size_t j = seq_hash(s->slot[i], cap);
      while (slot[j])
        j = (j + 1) & (cap - 1);
      slot[j] = s->slot[i];
    }
    free(s->slot);
    s->slot = slot;
    s->cap = cap;
  }
  size_t j = seq_hash(seq, s->cap);
  while (s->slot[j]) {
    if (s->slot[j] == seq)
      return TF_FAIL(TF_EINVAL, "event %llu cancelled twice", (unsigned long long)seq);
    j = (j + 1) & (s->cap - 1);
  }
  s->slot[j] = seq;
  s->count++;
  return 0;
}

static bool seqset_contains(const seqset *s, uint64_t seq) {
  if (s->count == 0)
    return false;
  for (size_t j = seq_hash(seq, s->cap); s->slot[j]; j = (j + 1) & (s->cap - 1))
    if (s->slot[j] == seq)
      return true;
  return false;
}

/* Removes seq if present; returns whether it was. */
static bool seqset_remove(seqset *s, uint64_t seq) {
  if (s->count == 0)
    return false;
  size_t mask = s->cap - 1, j = seq_hash(seq, s->cap);
  while (s->slot[j] != seq) {
    if (!s->slot[j])
      return false;
    j = (j + 1) & mask;
  }
  /* Backward-shift deletion keeps every probe chain unbroken without tombstones. */
  size_t hole = j;
  for (size_t k = (j + 1) & mask; s->slot[k]; k = (k + 1) & mask) {
    size_t home = seq_hash(s->slot[k], s->cap);
    /* Move slot k into the hole unless its home lies cyclically in (hole, k]. */
    bool home_between = hole <= k ? (home > hole && home <= k) : (home > hole || home <= k);
    if (!home_between) {
      s->slot[hole] = s->slot[k];
      hole = k;
    }
  }
  s->slot[hole] = 0;
  s->count--;
  return true;
}

int tf_evq_create(tf_evq **out) {
  assert(out);
  tf_evq *q = calloc(1, sizeof *q);
  if (!q)
    return TF_FAIL(TF_ENOMEM, "event queue");
  q->last = 0; /* key 0 is INT64_MIN: every time is >= it */
  q->next_seq = 1;
  *out = q;
  return 0;
}

void tf_evq_destroy(tf_evq *q) {
  if (!q)
    return;
  for (int i = 0; i < NBUCKETS; i++)
    free(q->b[i].ev);
  free(q->cancelled.slot);
  free(q);
}

int tf_evq_push(tf_evq *q, tf_time_ns time_ns, uint16_t priority, uint32_t target, uint32_t type,
                uint64_t arg, tf_evq_handle *handle_out) {
  assert(q);
  uint64_t key = key_of(time_ns);
  if (key < q->last)
    return TF_FAIL(TF_EPAST, "event at %lld ns is before the current time %lld ns",
                   (long long)time_ns, (long long)time_of(q->last));
  if (q->next_seq > TF_EVQ_SEQ_MASK)
    return TF_FAIL(TF_EFULL, "more than 2^%d events pushed", TF_EVQ_SEQ_BITS);
  uint64_t seq = q->next_seq;
  tf_event ev = {.time_ns = time_ns,
                 .order = ((uint64_t)priority << TF_EVQ_SEQ_BITS) | seq,
                 .target = target,
                 .type = type,
                 .arg = arg};
  if (key == q->last) {
    if (bucket_reserve(&q->b[0], q->b[0].len + 1))
      return TF_ENOMEM;
    heap0_push(&q->b[0], &ev);
  } else {
    unsigned i = bucket_index(key, q->last);
    bucket *bk = &q->b[i];
    if (bk->len == bk->cap && bucket_reserve(bk, bk->len + 1))
      return TF_ENOMEM;
    bk->ev[bk->len++] = ev;
    q->nonempty |= UINT64_C(1) << (i - 1);
  }
  q->next_seq++;
  q->stored++;
  size_t pending = q->stored - q->cancelled.count;
  if (pending > q->peak)
    q->peak = pending;
  if (handle_out)
    *handle_out = seq;
  return 0;
}

/* Makes room in every bucket below i for the n events about to leave bucket i, before any of
 * them moves, so running out of memory leaves the queue as it was. Capacities only grow, so after
 * the first few passes the quick check alone runs. */
static int reserve_below(tf_evq *q, unsigned i, uint64_t min) {
  const bucket *src = &q->b[i];
  bool roomy = true;
  for (unsigned j = 0; j < i && roomy; j++)
    roomy = q->b[j].cap - q->b[j].len >= src->len;
  if (roomy)
    return 0;
  size_t need[NBUCKETS] = {0};
  for (size_t k = 0; k < src->len; k++) {
    uint64_t key = key_of(src->ev[k].time_ns);
    need[key == min ? 0 : bucket_index(key, min)]++;
  }
  for (unsigned j = 0; j < i; j++)
    if (need[j] && bucket_reserve(&q->b[j], q->b[j].len + need[j]))
      return TF_ENOMEM;
  return 0;
}

/* Refills bucket 0 from the lowest non-empty bucket: 1 if bucket 0 holds events, 0 if nothing is
 * stored, TF_ENOMEM. */
static int refill(tf_evq *q) {
  if (q->b[0].len)
    return 1;
  if (!q->nonempty)
    return 0;
  unsigned i = 1u + (unsigned)__builtin_ctzll(q->nonempty);
  bucket *src = &q->b[i];
  uint64_t min = UINT64_MAX;
  for (size_t k = 0; k < src->len; k++) {
    uint64_t key = key_of(src->ev[k].time_ns);
    if (key < min)
      min = key;
  }
  int rc = reserve_below(q, i, min);
  if (rc)
    return rc;
  q->last = min;
  /* Every event moves to a bucket below i, so src is read to its end before anything lands. */
  for (size_t k = 0; k < src->len; k++) {
    const tf_event *ev = &src->ev[k];
    uint64_t key = key_of(ev->time_ns);
    if (key == min) {
      heap0_push(&q->b[0], ev);
    } else {
      unsigned j = bucket_index(key, min);
      assert(j < i);
      bucket *dst = &q->b[j];
      dst->ev[dst->len++] = *ev;
      q->nonempty |= UINT64_C(1) << (j - 1);
    }
  }
  src->len = 0;
  q->nonempty &= ~(UINT64_C(1) << (i - 1));
  return 1;
}

/* Drops cancelled events from the front: 1 if an event is pending, 0 if none, TF_ENOMEM. */
static int settle_front(tf_evq *q) {
  for (;;) {
    int rc = refill(q);
    if (rc <= 0)
      return rc;
    if (q->cancelled.count == 0)
      return 1;
    uint64_t seq = q->b[0].ev[0].order & TF_EVQ_SEQ_MASK;
    if (!seqset_remove(&q->cancelled, seq))
      return 1;
    tf_event dropped;
    heap0_pop(&q->b[0], &dropped);
    q->stored--;
  }
}

int tf_evq_pop(tf_evq *q, tf_event *out) {
  assert(q && out);
  int rc = settle_front(q);
  if (rc <= 0)
    return rc;
  heap0_pop(&q->b[0], out);
  q->stored--;
  q->popped_any = true;
  return 1;
}

int tf_evq_peek_time(tf_evq *q, tf_time_ns *out) {
  assert(q && out);
  int rc = settle_front(q);
  if (rc <= 0)
    return rc;
  *out = q->b[0].ev[0].time_ns;
  return 1;
}

int tf_evq_cancel(tf_evq *q, tf_evq_handle h) {
  assert(q);
  if (h == 0 || h >= q->next_seq)
    return TF_FAIL(TF_EINVAL, "event handle %llu was never issued", (unsigned long long)h);
  if (q->stored == q->cancelled.count)
    return TF_FAIL(TF_EINVAL, "event %llu is not pending: nothing is", (unsigned long long)h);
  return seqset_insert(&q->cancelled, h);
}

int tf_evq_reschedule(tf_evq *q, tf_evq_handle *h, tf_time_ns time_ns, uint16_t priority,
                      uint32_t target, uint32_t type, uint64_t arg) {
  assert(q && h);
  if (key_of(time_ns) < q->last)
    return TF_FAIL(TF_EPAST, "event rescheduled to %lld ns, before the current time %lld ns",
                   (long long)time_ns, (long long)time_of(q->last));
  int rc = tf_evq_cancel(q, *h);
  if (rc)
    return rc;
  return tf_evq_push(q, time_ns, priority, target, type, arg, h);
}

size_t tf_evq_size(const tf_evq *q) { return q->stored - q->cancelled.count; }
size_t tf_evq_peak(const tf_evq *q) { return q->peak; }
tf_time_ns tf_evq_last_time(const tf_evq *q) {
  return q->popped_any ? time_of(q->last) : INT64_MIN;
}

bool tf_evq_is_valid(const tf_evq *q) {
  size_t total = 0;
  for (unsigned i = 0; i < NBUCKETS; i++) {
    const bucket *bk = &q->b[i];
    total += bk->len;
    if (i >= 1 && ((q->nonempty >> (i - 1)) & 1u) != (bk->len > 0))
      return false;
    for (size_t k = 0; k < bk->len; k++) {
      uint64_t key = key_of(bk->ev[k].time_ns);
      if (i == 0) {
        if (key != q->last)
          return false;
        if (k > 0 && bk->ev[(k - 1) / 2].order > bk->ev[k].order)
          return false;
      } else if (key == q->last || bucket_index(key, q->last) != i) {
        return false;
      }
    }
  }
  if (total != q->stored || q->cancelled.count > q->stored)
    return false;
  /* Every cancelled sequence number names a stored event. */
  size_t found = 0;
  for (unsigned i = 0; i < NBUCKETS; i++)
    for (size_t k = 0; k < q->b[i].len; k++)
      found += seqset_contains(&q->cancelled, q->b[i].ev[k].order & TF_EVQ_SEQ_MASK);
  return found == q->cancelled.count;
}
