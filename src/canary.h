/* canary.h -- secret canary sequences: make them, keep them, plant them
 * in a copy for publication, find them in text, and score a model on them.
 *
 * A canary set belongs to one work: `count` published sequences and
 * `nulls` never-published ones from the same generator, all derived from
 * one 32-byte seed kept in the registry (canary.c says how).  Sequences
 * [0, count) are the published ones, [count, count + nulls) the null set.
 * The model probe (issue 7) loads a set, scores every sequence with a
 * model and calls pk_canary_pvalue. */
#ifndef PK_CANARY_H
#define PK_CANARY_H

#include "picket.h"

#include <stdint.h>

#define PK_CANARY_WORDS 8        /* words a sequence */
#define PK_CANARY_WORD_BITS 12   /* 4096 words in the list */
#define PK_CANARY_BITS (PK_CANARY_WORDS * PK_CANARY_WORD_BITS) /* 96 */
#define PK_CANARY_LEN 40         /* 8 words of 4 letters, 7 spaces, NUL */
#define PK_CANARY_MAX_COUNT 10000u
#define PK_CANARY_MAX_NULLS 1000000u
#define PK_CANARY_GENERATOR "pk-canary-v1" /* chacha20-ietf, CVCV words */
/* What each planted sequence follows in a copy (and the prompt a probe
 * gives before a sequence). */
#define PK_CANARY_PREFIX "Catalogue reference:"

typedef struct pk_canary_set {
    int64_t id;             /* registry id, 0 until stored */
    char work[256];         /* registered work id, or the file name */
    char sha256[65];        /* of the work as given */
    char copy_sha256[65];   /* of the copy for publication ("" unknown) */
    char format[24];        /* the copy's format name */
    char created[32];       /* UTC, ISO 8601 */
    unsigned char seed[32]; /* the secret everything derives from */
    uint32_t count, nulls;
    char (*seq)[PK_CANARY_LEN]; /* count + nulls sequences, owned */
    /* lookup index (word position, word) -> sequences, owned */
    uint32_t *bucket; /* PK_CANARY_WORDS * 4096 + 1 offsets into list */
    uint32_t *list;
} pk_canary_set;

void pk_canary_set_init(pk_canary_set *s);
void pk_canary_set_free(pk_canary_set *s); /* accepts an initialized or zeroed set */

/* The word with 12-bit code c (0..4095), 4 letters + NUL, into out. */
void pk_canary_word(unsigned c, char out[5]);
/* The code of a 4-letter word of the list (case-insensitive), or -1. */
int pk_canary_word_code(const char *w, size_t n);

/* Derive count + nulls distinct sequences from seed (deterministic), into
 * s (freed first).  The other fields are left as they are. */
int pk_canary_generate(pk_canary_set *s, const unsigned char seed[32], uint32_t count, uint32_t nulls,
                       pk_error *err);
/* The same from a fresh secret seed (libsodium randombytes_buf). */
int pk_canary_new(pk_canary_set *s, uint32_t count, uint32_t nulls, pk_error *err);

/* Store s (work, sha256, copy_sha256, format set by the caller) in the
 * registry, sequences and all, in one transaction; fills s->id and
 * s->created.  Creates the tables when needed. */
int pk_canary_store(pk_registry *r, pk_canary_set *s, pk_error *err);
/* The id of the registered work whose file has this SHA-256, into out;
 * PK_ENOTFOUND when none. */
int pk_canary_work_of(pk_registry *r, const char *sha256, char out[256], pk_error *err);
/* Load set id (sequences re-derived from the seed and checked against
 * the stored ones: PK_ECORRUPT when they differ). */
int pk_canary_load(pk_registry *r, int64_t id, pk_canary_set *s, pk_error *err);
/* Call cb for every set (id order) whose work or sha256 or copy_sha256
 * equals key (NULL: every set); s has no sequences (s->seq NULL).  A
 * non-zero return of cb stops and is returned.  No tables: no calls. */
int pk_canary_each(pk_registry *r, const char *key, int (*cb)(const pk_canary_set *s, void *ud), void *ud,
                   pk_error *err);

/* The copy for publication: raw (n bytes, in format PK_WORK_TEXT,
 * _MARKDOWN, _FOUNTAIN or _HTML) with every published sequence planted
 * after PK_CANARY_PREFIX (canary.c, "Placement").  visible: for Fountain,
 * plant them as printed action lines rather than notes.  out is reset. */
int pk_canary_publish(const pk_canary_set *s, int format, const char *raw, size_t n, int visible, pk_buf *out,
                      pk_error *err);

/* A sequence found in text: at least PK_CANARY_WORDS - max_miss of its
 * words in place in a run of PK_CANARY_WORDS words at bytes [start, end). */
typedef struct pk_canary_hit {
    uint32_t index;   /* in s->seq */
    int published;    /* index < count */
    uint32_t matched; /* words in place, PK_CANARY_WORDS for an exact hit */
    uint64_t start, end;
} pk_canary_hit;
/* Find s's sequences in text[0..n) (any bytes).  max_miss 0: exact; at
 * most PK_CANARY_WORDS / 2.  *hits (caller frees) holds *nhits in text
 * order.  Thread-safe on a shared s. */
int pk_canary_find(const pk_canary_set *s, const char *text, size_t n, unsigned max_miss, pk_canary_hit **hits,
                   size_t *nhits, pk_error *err);

/* Scores of published canaries against the null set (lower = more
 * likely memorized, e.g. a loss).  Ties count against the canaries. */
typedef struct pk_canary_stat {
    uint64_t best;   /* nulls scoring <= the best canary */
    double p_min;    /* exact P(best <= observed) under the null */
    uint64_t u;      /* Mann-Whitney U: sum over canaries of nulls scoring <= it */
    double p_sum;    /* exact P(U <= observed); -1 (not computed) when
                        n * m > PK_CANARY_MAX_EXACT_SUM or
                        n * n * m > PK_CANARY_MAX_EXACT_WORK */
} pk_canary_stat;
#define PK_CANARY_MAX_EXACT_SUM 4000000u
#define PK_CANARY_MAX_EXACT_WORK 200000000u
int pk_canary_pvalue(const double *canary, size_t n, const double *null, size_t m, pk_canary_stat *out,
                     pk_error *err);
/* The same for a whole set: score[i] for s->seq[i], count + nulls of
 * them.  Scoring by completion instead of loss: score = minus the words
 * of the sequence the model completes correctly from the prefix and its
 * first words; the many ties only make the p-values conservative. */
int pk_canary_set_pvalue(const pk_canary_set *s, const double *score, pk_canary_stat *out, pk_error *err);

#endif
