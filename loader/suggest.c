/* Edit distance and nearest-word suggestions for unknown keys, names and units. */
#include "suggest.h"

#include <ctype.h>
#include <string.h>

enum { MAX_WORD = 64 };

static int fold(unsigned char c) { return tolower(c); }

/* The distance with case ignored entirely. */
static size_t folded_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > MAX_WORD || lb > MAX_WORD)
    return (size_t)-1 / 2;
  /* Three rolling rows: i-2, i-1, i. */
  size_t rows[3][MAX_WORD + 1];
  size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
  for (size_t j = 0; j <= lb; j++)
    prev[j] = j;
  for (size_t i = 1; i <= la; i++) {
    cur[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      int ca = fold((unsigned char)a[i - 1]), cb = fold((unsigned char)b[j - 1]);
      size_t cost = ca == cb ? 0 : 1;
      size_t best = prev[j - 1] + cost;
      if (prev[j] + 1 < best)
        best = prev[j] + 1;
      if (cur[j - 1] + 1 < best)
        best = cur[j - 1] + 1;
      if (i > 1 && j > 1 && ca == fold((unsigned char)b[j - 2]) &&
          fold((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < best)
        best = prev2[j - 2] + 1;
      cur[j] = best;
    }
    size_t *t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[lb];
}

size_t tf_suggest_distance(const char *a, const char *b) {
  size_t d = folded_distance(a, b);
  if (d == 0 && strcmp(a, b) != 0)
    d = 1; /* same letters, different case */
  return d;
}

const char *tf_suggest_nearest(const char *word, const char *const *candidates, size_t n) {
  size_t len = strlen(word);
  size_t limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
  const char *best = NULL;
  size_t best_d = limit + 1;
  /* A word that differs only in case ("mw" for "MW") beats any real edit. */
  for (size_t i = 0; i < n; i++)
    if (candidates[i] && folded_distance(word, candidates[i]) == 0)
      return candidates[i];
  for (size_t i = 0; i < n; i++) {
    if (!candidates[i])
      continue;
    size_t d = folded_distance(word, candidates[i]);
    if (d < best_d && d < len + (len == 0)) {
      best = candidates[i];
      best_d = d;
    }
  }
  return best;
}
