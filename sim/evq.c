/* The pending-event set: a radix heap over event times with a short sorted run at its front. */
#include "evq.h"

#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "rng.h"

/* Why a radix heap. A discrete-event simulation pops events in non-decreasing time, the monotone
 * case radix heaps exploit (Ahuja, Mehlhorn, Orlin, Tarjan, "Faster algorithms for the shortest
 * path problem", JACM 1990). Keys are times mapped to unsigned 64-bit and read as 16 hexadecimal
 * digits. An event whose key first differs from `last` in digit position p, where its digit is d
 * (necessarily greater than last's), lives in bucket 16p + d; pushing is an append. Bucket order
 * is key order: every event of a bucket is smaller than every event of a higher bucket. When the
 * front empties, the lowest bucket's minimum becomes `last` and only that bucket's events move:
 * the others still differ from the new `last` first where they did before. Base 16 instead of 2
 * means an event moves about a quarter as often; against a 4-ary heap this trades log4(n)
 * dependent, cache-missing sift steps per pop for a few sequential appends, which is what holds
 * up at 10^6 pending.
 *
 * The front run. When the lowest non-empty bucket holds at most RUN_MAX events they are sorted
 * once into the run and leave from it in order; only larger buckets are split. Since bucket
 * order is key order, the run's events are all smaller than anything left in the buckets.
 * Pushes at or below the run's largest key join the run in order; the rest go to the buckets.
 *
 * Invariants:
 *  - the run is sorted by (key, order) descending, so the minimum is its last element; every key
 *    in it is <= run_max_key; every key in a bucket is > last, and > run_max_key if the run is
 *    non-empty; an event in bucket b has bucket_index(key, last) == b; min_key is its bucket's
 *    minimum;
 *  - bit b of `nonempty` is set iff bucket b holds events;
 *  - cancelled events stay stored until they reach the front, their sequence numbers in
 *    `cancelled` (an open-addressing set); `stored - cancelled.count` events are pending. */

#define DIGIT_BITS 4
#define DIGITS (1 << DIGIT_BITS)
#define NBUCKETS (64 / DIGIT_BITS * DIGITS) /* 256; buckets 16p + 0 stay empty */
#define NWORDS (NBUCKETS / 64)

/* Largest bucket sorted into the run rather than split. Insertion sort of up to this many
 * 32-byte events costs less than moving them through the levels below; measured with
 * bench/bench_evq (16 to 64 perform alike; 32 is in the middle of that plateau). */
#define RUN_MAX 32

typedef struct bucket {
  tf_event *ev;
  size_t len, cap;
  uint64_t min_key; /* smallest key stored; meaningless when empty */
} bucket;

/* Memory. As time advances, different buckets take turns holding most of the events; if each kept
 * the capacity of its busiest moment, the queue would grow to many times what is pending (seen:
 * 16 million slots for 10^6 pending). So a large array left empty by a split goes to a small pool
 * of spares, and a bucket that must grow takes a spare instead of allocating, when one is large
 * enough and not wastefully so: capacity stays within a small factor of what is pending, and the
 * spares' pages are already mapped. */
#define SPARE_MIN 1024 /* arrays smaller than this are kept by their bucket */
#define SPARES 4
#define SPARE_WASTE 4 /* a spare serves a need of at least cap / SPARE_WASTE */

typedef struct spare {
  tf_event *ev;
  size_t cap;
} spare;

/* Open addressing with linear probing and backward-shift deletion; 0 marks an empty slot (0 is
 * never a handle). Capacity is a power of two, load <= 1/2. */
typedef struct seqset {
  uint64_t *slot;
  size_t cap, count;
} seqset;

struct tf_evq {
  bucket b[NBUCKETS];
  bucket run;        /* sorted descending by (key, order); min_key unused */
  uint64_t run_max_key; /* largest key in the run while it is non-empty */
  uint64_t nonempty[NWORDS]; /* bit b: bucket b non-empty */
  uint64_t last;     /* the key buckets are relative to: the minimum taken at the last refill */
  uint64_t now_key;  /* key of the last popped event: nothing may be pushed below it */
  bool popped_any;
  size_t stored; /* events stored, cancelled ones included */
  size_t peak;
  uint64_t next_seq;
  seqset cancelled;
  spare spares[SPARES]; /* unused arrays; ev == NULL for an empty slot */
};

static inline uint64_t key_of(tf_time_ns t) { return (uint64_t)t ^ (UINT64_C(1) << 63); }
static inline tf_time_ns time_of(uint64_t key) { return (tf_time_ns)(key ^ (UINT64_C(1) << 63)); }

/* 16p + d: p the highest hexadecimal digit position where key and last differ, d key's digit
 * there. Requires key > last. */
static inline unsigned bucket_index(uint64_t key, uint64_t last) {
  unsigned p = (63u - (unsigned)__builtin_clzll(key ^ last)) / DIGIT_BITS;
  unsigned d = (unsigned)(key >> (p * DIGIT_BITS)) & (DIGITS - 1);
  return p * DIGITS + d;
}

static inline void mark_nonempty(tf_evq *q, unsigned b) {
  q->nonempty[b / 64] |= UINT64_C(1) << (b % 64);
}

/* The lowest non-empty bucket, or NBUCKETS if none. */
static inline unsigned lowest_nonempty(const tf_evq *q) {
  for (unsigned w = 0; w < NWORDS; w++)
    if (q->nonempty[w])
      return w * 64 + (unsigned)__builtin_ctzll(q->nonempty[w]);
  return NBUCKETS;
}

/* (key, order) comparison: does a come before b? */
static inline bool earlier(const tf_event *a, const tf_event *b) {
  uint64_t ka = key_of(a->time_ns), kb = key_of(b->time_ns);
  return ka < kb || (ka == kb && a->order < b->order);
}

/* Gives an array to the spare pool, evicting (freeing) the smallest spare if the pool is full and
 * the array is larger; otherwise frees it. */
static void spare_put(tf_evq *q, tf_event *ev, size_t cap) {
  spare *smallest = &q->spares[0];
  for (int k = 0; k < SPARES; k++) {
    if (!q->spares[k].ev) {
      smallest = &q->spares[k];
      break;
    }
    if (q->spares[k].cap < smallest->cap)
      smallest = &q->spares[k];
  }
  if (smallest->ev && smallest->cap >= cap) {
    free(ev);
    return;
  }
  free(smallest->ev);
  *smallest = (spare){ev, cap};
}

/* Takes the smallest spare that holds need events without wasting more than SPARE_WASTE x. */
static spare spare_take(tf_evq *q, size_t need) {
  spare *best = NULL;
  for (int k = 0; k < SPARES; k++) {
    spare *sp = &q->spares[k];
    if (sp->ev && sp->cap >= need && sp->cap / SPARE_WASTE <= need &&
        (!best || sp->cap < best->cap))
      best = sp;
  }
  spare got = {0};
  if (best) {
    got = *best;
    *best = (spare){0};
  }
  return got;
}

static int bucket_reserve(tf_evq *q, bucket *bk, size_t need) {
  if (need <= bk->cap)
    return 0;
  size_t cap = bk->cap ? bk->cap : 16;
  while (cap < need)
    cap *= 2;
  spare sp = cap >= SPARE_MIN ? spare_take(q, cap) : (spare){0};
  if (sp.ev) {
    if (bk->ev) {
      memcpy(sp.ev, bk->ev, bk->len * sizeof *bk->ev);
      spare_put(q, bk->ev, bk->cap);
    }
    bk->ev = sp.ev;
    bk->cap = sp.cap;
    return 0;
  }
  tf_event *ev = realloc(bk->ev, cap * sizeof *ev);
  if (!ev)
    return TF_FAIL(TF_ENOMEM, "event queue bucket of %zu events", cap);
  bk->ev = ev;
  bk->cap = cap;
  return 0;
}

/* Appending while events move between buckets cannot fail gracefully: half of them would have
 * moved. Like Redis's zmalloc, a failed allocation there reports and aborts; pushes report
 * TF_ENOMEM as usual. */
static void grow_or_die(tf_evq *q, bucket *bk, size_t need) {
  if (bucket_reserve(q, bk, need)) {
    fprintf(stderr, "tokenfab: out of memory growing the event queue to %zu events\n", need);
    abort();
  }
}

/* Inserts ev into the descending run, after every event that comes later. The run is short and
 * an insertion usually lands near its end (the front of time). */
static void run_insert(bucket *run, const tf_event *ev) {
  size_t i = run->len;
  while (i > 0 && earlier(&run->ev[i - 1], ev)) {
    run->ev[i] = run->ev[i - 1];
    i--;
  }
  run->ev[i] = *ev;
  run->len++;
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
  q->now_key = 0;
  q->next_seq = 1;
  *out = q;
  return 0;
}

void tf_evq_destroy(tf_evq *q) {
  if (!q)
    return;
  for (int i = 0; i < NBUCKETS; i++)
    free(q->b[i].ev);
  free(q->run.ev);
  for (int k = 0; k < SPARES; k++)
    free(q->spares[k].ev);
  free(q->cancelled.slot);
  free(q);
}

int tf_evq_push(tf_evq *q, tf_time_ns time_ns, uint16_t priority, uint32_t target, uint32_t type,
                uint64_t arg, tf_evq_handle *handle_out) {
  assert(q);
  uint64_t key = key_of(time_ns);
  if (key < q->now_key)
    return TF_FAIL(TF_EPAST, "event at %lld ns is before the current time %lld ns",
                   (long long)time_ns, (long long)time_of(q->now_key));
  if (q->next_seq > TF_EVQ_SEQ_MASK)
    return TF_FAIL(TF_EFULL, "more than 2^%d events pushed", TF_EVQ_SEQ_BITS);
  uint64_t seq = q->next_seq;
  tf_event ev = {.time_ns = time_ns,
                 .order = ((uint64_t)priority << TF_EVQ_SEQ_BITS) | seq,
                 .target = target,
                 .type = type,
                 .arg = arg};
  bool to_run = q->run.len ? key <= q->run_max_key : key == q->last;
  if (to_run) {
    if (q->run.len == q->run.cap && bucket_reserve(q, &q->run, q->run.len + 1))
      return TF_ENOMEM;
    if (q->run.len == 0)
      q->run_max_key = key;
    run_insert(&q->run, &ev);
  } else {
    unsigned i = bucket_index(key, q->last);
    bucket *bk = &q->b[i];
    if (bk->len == bk->cap && bucket_reserve(q, bk, bk->len + 1))
      return TF_ENOMEM;
    if (bk->len == 0 || key < bk->min_key)
      bk->min_key = key;
    bk->ev[bk->len++] = ev;
    mark_nonempty(q, i);
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

/* Refills the empty run from the lowest non-empty bucket: 1 if the run holds events, 0 if nothing
 * is stored. A small bucket is sorted into the run whole; a large one is split around its
 * minimum, which becomes `last`: events at that key form the run, the rest move to lower
 * buckets. */
static int refill(tf_evq *q) {
  if (q->run.len)
    return 1;
  unsigned i = lowest_nonempty(q);
  if (i == NBUCKETS)
    return 0;
  bucket *src = &q->b[i];
  bucket *run = &q->run;
  uint64_t min = src->min_key;
  q->last = min;
  if (src->len <= RUN_MAX) {
    if (run->cap < src->len)
      grow_or_die(q, run, src->len);
    uint64_t max = min;
    for (size_t k = 0; k < src->len; k++) {
      uint64_t key = key_of(src->ev[k].time_ns);
      if (key > max)
        max = key;
      run_insert(run, &src->ev[k]);
    }
    q->run_max_key = max;
  } else {
    /* Every event moves to the run or a bucket below i, so src is read to its end before
     * anything lands in it. */
    for (size_t k = 0; k < src->len; k++) {
      const tf_event *ev = &src->ev[k];
      uint64_t key = key_of(ev->time_ns);
      if (key == min) {
        if (run->len == run->cap)
          grow_or_die(q, run, run->len + 1);
        run_insert(run, ev);
        continue;
      }
      unsigned j = bucket_index(key, min);
      assert(j < i);
      bucket *dst = &q->b[j];
      if (dst->len == dst->cap)
        grow_or_die(q, dst, dst->len + 1);
      if (dst->len == 0 || key < dst->min_key)
        dst->min_key = key;
      dst->ev[dst->len++] = *ev;
      mark_nonempty(q, j);
    }
    q->run_max_key = min;
  }
  src->len = 0;
  if (src->cap >= SPARE_MIN) {
    spare_put(q, src->ev, src->cap);
    src->ev = NULL;
    src->cap = 0;
  }
  q->nonempty[i / 64] &= ~(UINT64_C(1) << (i % 64));
  return 1;
}

/* Drops cancelled events from the front: 1 if an event is pending, 0 if none. */
static int settle_front(tf_evq *q) {
  for (;;) {
    int rc = refill(q);
    if (rc <= 0)
      return rc;
    if (q->cancelled.count == 0)
      return 1;
    uint64_t seq = q->run.ev[q->run.len - 1].order & TF_EVQ_SEQ_MASK;
    if (!seqset_remove(&q->cancelled, seq))
      return 1;
    q->run.len--;
    q->stored--;
  }
}

int tf_evq_pop(tf_evq *q, tf_event *out) {
  assert(q && out);
  int rc = settle_front(q);
  if (rc <= 0)
    return rc;
  *out = q->run.ev[--q->run.len];
  q->stored--;
  q->now_key = key_of(out->time_ns);
  q->popped_any = true;
  return 1;
}

int tf_evq_peek_time(tf_evq *q, tf_time_ns *out) {
  assert(q && out);
  int rc = settle_front(q);
  if (rc <= 0)
    return rc;
  *out = q->run.ev[q->run.len - 1].time_ns;
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
  if (key_of(time_ns) < q->now_key)
    return TF_FAIL(TF_EPAST, "event rescheduled to %lld ns, before the current time %lld ns",
                   (long long)time_ns, (long long)time_of(q->now_key));
  int rc = tf_evq_cancel(q, *h);
  if (rc)
    return rc;
  return tf_evq_push(q, time_ns, priority, target, type, arg, h);
}

size_t tf_evq_size(const tf_evq *q) { return q->stored - q->cancelled.count; }
size_t tf_evq_peak(const tf_evq *q) { return q->peak; }

size_t tf_evq_capacity(const tf_evq *q) {
  size_t cap = q->run.cap;
  for (int i = 0; i < NBUCKETS; i++)
    cap += q->b[i].cap;
  for (int k = 0; k < SPARES; k++)
    cap += q->spares[k].cap;
  return cap;
}
tf_time_ns tf_evq_last_time(const tf_evq *q) {
  return q->popped_any ? time_of(q->now_key) : INT64_MIN;
}

bool tf_evq_is_valid(const tf_evq *q) {
  const bucket *run = &q->run;
  size_t total = run->len;
  for (size_t k = 0; k < run->len; k++) {
    if (key_of(run->ev[k].time_ns) > q->run_max_key || key_of(run->ev[k].time_ns) < q->now_key)
      return false;
    if (k > 0 && earlier(&run->ev[k - 1], &run->ev[k]))
      return false;
  }
  for (unsigned i = 0; i < NBUCKETS; i++) {
    const bucket *bk = &q->b[i];
    total += bk->len;
    if (((q->nonempty[i / 64] >> (i % 64)) & 1u) != (bk->len > 0))
      return false;
    for (size_t k = 0; k < bk->len; k++) {
      uint64_t key = key_of(bk->ev[k].time_ns);
      if (key <= q->last || bucket_index(key, q->last) != i || key < bk->min_key)
        return false;
      if (run->len && key <= q->run_max_key)
        return false;
    }
  }
  if (total != q->stored || q->cancelled.count > q->stored)
    return false;
  /* Every cancelled sequence number names a stored event. */
  size_t found = 0;
  for (size_t k = 0; k < run->len; k++)
    found += seqset_contains(&q->cancelled, run->ev[k].order & TF_EVQ_SEQ_MASK);
  for (unsigned i = 0; i < NBUCKETS; i++)
    for (size_t k = 0; k < q->b[i].len; k++)
      found += seqset_contains(&q->cancelled, q->b[i].ev[k].order & TF_EVQ_SEQ_MASK);
  return found == q->cancelled.count;
}
