/* Log-linear histogram: bucket index arithmetic and rank search. */
#include "hist.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "error.h"

enum {
  SUB_BITS = 7,                             /* significant bits kept above the exact range */
  SUB = 1 << SUB_BITS,                      /* buckets per octave: 128 */
  EXACT = 2 * SUB,                          /* values 0 .. 255 have a bucket each */
  OCTAVES = 63 - (SUB_BITS + 1),            /* octaves 2^8 .. 2^62: 55 */
  N_BUCKETS = EXACT + OCTAVES * SUB,        /* 7296 */
};

struct tf_hist {
  uint64_t n;
  int64_t min, max;
  uint64_t bucket[N_BUCKETS];
};

int tf_hist_create(tf_hist **out) {
  assert(out);
  tf_hist *h = calloc(1, sizeof *h);
  if (!h)
    return TF_FAIL(TF_ENOMEM, "histogram (%zu bytes)", sizeof *h);
  *out = h;
  return 0;
}

void tf_hist_destroy(tf_hist *h) { free(h); }

void tf_hist_merge(tf_hist *into, const tf_hist *from) {
  assert(into && from);
  if (from->n == 0)
    return;
  if (into->n == 0 || from->min < into->min)
    into->min = from->min;
  if (into->n == 0 || from->max > into->max)
    into->max = from->max;
  into->n += from->n;
  for (uint32_t i = 0; i < N_BUCKETS; i++)
    into->bucket[i] += from->bucket[i];
}

/* Index of the most significant set bit of v > 0. */
static unsigned msb(uint64_t v) {
  unsigned e = 0;
  for (unsigned step = 32; step > 0; step >>= 1) {
    if (v >> step) {
      v >>= step;
      e += step;
    }
  }
  return e;
}

static uint32_t index_of(int64_t value) {
  assert(value >= 0);
  uint64_t v = (uint64_t)value;
  if (v < EXACT)
    return (uint32_t)v;
  unsigned e = msb(v); /* >= SUB_BITS + 1 */
  unsigned shift = e - SUB_BITS;
  uint64_t top = v >> shift; /* in [SUB, 2 SUB) */
  return (uint32_t)(EXACT + (e - (SUB_BITS + 1)) * SUB + (top - SUB));
}

/* Lowest value and width of bucket i. */
static void bucket_span(uint32_t i, uint64_t *lo, uint64_t *width) {
  if (i < EXACT) {
    *lo = i;
    *width = 1;
    return;
  }
  uint32_t octave = (i - EXACT) / SUB, sub = (i - EXACT) % SUB;
  unsigned shift = octave + 1;
  *lo = (uint64_t)(SUB + sub) << shift;
  *width = (uint64_t)1 << shift;
}

void tf_hist_add(tf_hist *h, int64_t value) {
  assert(h && value >= 0);
  if (h->n == 0 || value < h->min)
    h->min = value;
  if (h->n == 0 || value > h->max)
    h->max = value;
  h->n++;
  h->bucket[index_of(value)]++;
}

uint64_t tf_hist_count(const tf_hist *h) { return h->n; }
int64_t tf_hist_min(const tf_hist *h) { return h->n ? h->min : 0; }
int64_t tf_hist_max(const tf_hist *h) { return h->n ? h->max : 0; }

int64_t tf_hist_quantile(const tf_hist *h, double p) {
  assert(h && p >= 0 && p <= 1);
  if (h->n == 0)
    return 0;
  double r = ceil(p * (double)h->n);
  uint64_t rank = r < 1 ? 1 : (r > (double)h->n ? h->n : (uint64_t)r);
  uint64_t seen = 0;
  for (uint32_t i = 0; i < N_BUCKETS; i++) {
    seen += h->bucket[i];
    if (seen >= rank) {
      uint64_t lo, width;
      bucket_span(i, &lo, &width);
      int64_t mid = (int64_t)(lo + (width - 1) / 2);
      return mid < h->min ? h->min : (mid > h->max ? h->max : mid);
    }
  }
  assert(0 && "tf_hist_quantile: counts do not add up");
  return h->max;
}

uint32_t tf_hist_buckets(void) { return N_BUCKETS; }

void tf_hist_bucket_range(int64_t value, int64_t *lo, int64_t *hi) {
  uint64_t l, w;
  bucket_span(index_of(value), &l, &w);
  *lo = (int64_t)l;
  *hi = (int64_t)(l + (w - 1));
}
