/* blind.h -- the blind check (blind.c): can member and non-member passages
 * be told apart by their text alone, without the model? */
#ifndef PK_LM_BLIND_H
#define PK_LM_BLIND_H

#include "pk.h"

typedef struct lm_blind_opts {
    unsigned folds;         /* cross-validation folds, by document (default 5) */
    unsigned passage;       /* tokens per passage (default 128) */
    unsigned resamples;     /* bootstrap resamples for the interval (default 1000) */
    uint64_t seed;          /* fold assignment and bootstrap (default 1) */
} lm_blind_opts;

typedef struct lm_blind_result {
    double auc, lo, hi; /* AUC and its 95% interval */
    size_t docs[2], passages[2]; /* [0] non-members, [1] members */
} lm_blind_result;

/* Read the files (members, nonmembers), cut them into passages, score
 * every passage with a multinomial naive Bayes classifier on hashed word
 * unigrams and bigrams trained on the other folds' documents, and compute
 * the AUC of the scores with a cluster bootstrap interval over
 * documents. */
int lm_blind(char *const *members, size_t nm, char *const *nonmembers, size_t nn, const lm_blind_opts *o,
             lm_blind_result *res, pk_error *err);

#endif
