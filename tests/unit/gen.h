/* gen.h -- deterministic made-up text for unit tests: pseudo-words from
 * syllables, separated by spaces and punctuation, with line breaks. */
#ifndef PK_TEST_GEN_H
#define PK_TEST_GEN_H

#include "pk.h"
#include "test.h"

static const char *t_syl[] = {"ka", "lo", "mi", "ren", "tu", "sa", "vor", "ne", "di", "pa", "gul", "te", "shi", "bo", "an", "qua"};

/* Append n made-up words to b; returns the byte offset where they start. */
static inline size_t gen_words(pk_buf *b, uint64_t *seed, size_t n)
{
    size_t start = b->len;
    for (size_t i = 0; i < n; i++) {
        if (i) pk_buf_putc(b, (i % 12 == 0) ? '\n' : ' ');
        int syl = 1 + (int)(t_rand(seed) % 3);
        for (int s = 0; s < syl; s++) pk_buf_printf(b, "%s", t_syl[t_rand(seed) % 16]);
        if (t_rand(seed) % 9 == 0) pk_buf_putc(b, ',');
    }
    return start;
}

/* Byte offset of the start (or the end) of word number `word` (0-based)
 * in s, as picket tokenizes it; n when there is no such word. */
static inline size_t word_edge(const char *s, size_t n, size_t word, int end)
{
    pk_tokenizer t;
    pk_tok tok;
    size_t got, i = 0;
    pk_tokenizer_init(&t, s, n, 0);
    while (pk_tokenize(&t, &tok, 1, &got, NULL) == 0 && got)
        if (i++ == word) return end ? tok.off + tok.len : tok.off;
    return n;
}
static inline size_t word_start(const char *s, size_t n, size_t word) { return word_edge(s, n, word, 0); }
static inline size_t word_end(const char *s, size_t n, size_t word) { return word_edge(s, n, word, 1); }

static inline void tmp_db(char *out, size_t cap, const char *name)
{
    const char *t = getenv("TMPDIR");
    snprintf(out, cap, "%s/pk-%s-%ld.db", t && *t ? t : "/tmp", name, (long)getpid());
    remove(out);
    char side[600];
    snprintf(side, sizeof side, "%s-wal", out); remove(side);
    snprintf(side, sizeof side, "%s-shm", out); remove(side);
    snprintf(side, sizeof side, "%s.pkx", out); remove(side);
}

#endif
