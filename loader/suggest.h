/* "Did you mean ...?": the nearest known word to a misspelt one, by edit distance. */
#ifndef TF_SUGGEST_H
#define TF_SUGGEST_H

#include <stddef.h>

/* Optimal-string-alignment distance (Levenshtein plus adjacent transposition) between a and b,
 * ASCII letters compared without case, plus 1 when the two differ only in case somewhere (so an
 * exact match always wins). O(|a| |b|) time; words longer than 64 bytes count as far away. */
size_t tf_suggest_distance(const char *a, const char *b);

/* The candidate nearest to word when it is near enough to be a plausible typo (distance at most
 * 1 for words up to 4 bytes, 2 up to 8, 3 beyond; case ignored), else NULL. A candidate that
 * differs only in case wins; other ties go to the earliest candidate.
 * NULL entries in candidates are skipped. */
const char *tf_suggest_nearest(const char *word, const char *const *candidates, size_t n);

#endif
