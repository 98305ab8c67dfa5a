/* lm.h -- pk-lm's language model: a word-level interpolated modified
 * Kneser-Ney n-gram model (Chen and Goodman 1998) with a known training
 * set, for testing `picket probe` against a real model.
 *
 * Tokens.  Text is first normalized: every run of white space (space, tab,
 * CR, LF, VT, FF) becomes one "\n" when it holds a line break, else one
 * " ".  A token is then a word (letters, digits and combining marks, by
 * Unicode category, with apostrophes ' and U+2019 allowed between two
 * word characters) or one other code point (punctuation, symbols; an
 * invalid UTF-8 byte is a token of its own), each carrying the white space
 * before it (" word", "\n.", "word"), as GPT-2's tokens do; white space at
 * the very end of a text is a token by itself.  So the tokens of a
 * normalized text concatenate to exactly that text, and each has a byte
 * offset in it.
 *
 * Vocabulary.  Two: surface tokens (the exact bytes, case and leading
 * white space included: what is predicted and generated) and keys (the
 * lower-cased token without its white space: what the model conditions
 * on, so "The" after a newline and " the" share their contexts).  Every
 * token seen in training is in the vocabulary, count-1 words included:
 * a work seen once must be reproducible by greedy decoding, and mapping
 * its rare words to <unk> would make that impossible.  Surface id 0 and
 * key id 0 are <unk> (anything not seen in training); key id 1 is <s>,
 * the padding before the start of a document (a prompt starts a
 * document).  <unk> gets probability only from the uniform base
 * distribution and is never generated.
 *
 * Model.  The n-gram of order m is (m-1 history keys, surface token).
 * The highest order uses raw counts, lower orders continuation counts
 * (how many distinct keys precede the (m-1)-gram), each order has three
 * discounts D1, D2, D3+ from its counts of counts, and
 *   p_m(v|h) = max(c(h v) - D(c), 0) / c(h) + gamma(h) p_{m-1}(v|h')
 * with gamma(h) = (D1 N1(h) + D2 N2(h) + D3 N3+(h)) / c(h), down to a
 * uniform distribution over the whole vocabulary (<unk> included), so
 * every distribution is normalized over the vocabulary.  A history never
 * seen at order m backs off to order m-1 with weight 1. */
#ifndef PK_LM_H
#define PK_LM_H

#include "pk.h"

#define PK_LM_MAX_ORDER 8
#define PK_LM_UNK 0u /* surface id and key id of <unk> */
#define PK_LM_BOS 1u /* key id of <s> */
#define PK_LM_MAX_TOKENS ((size_t)1 << 30)

/* ---- text --------------------------------------------------------------- */

/* Append s[0..n) with white space normalized (see above) to out. */
int pk_lm_normalize(const char *s, size_t n, pk_buf *out);

/* A token of a normalized text: bytes [off, off+len), the word (without
 * its white space) from off+ws. */
typedef struct pk_lm_span {
    uint32_t off, len, ws;
} pk_lm_span;

/* Split normalized text into tokens; *out is malloc'ed (free it).  Fails
 * with PK_ETOOBIG past 2^30 tokens or 4 GiB of text. */
int pk_lm_split(const char *s, size_t n, pk_lm_span **out, size_t *count, pk_error *err);

/* The key of a token: the word lower-cased (utf8proc), appended to out
 * (reset first).  For a white-space-only token, the white space. */
int pk_lm_keyform(const char *s, const pk_lm_span *t, pk_buf *out);

/* ---- training ----------------------------------------------------------- */

typedef struct pk_lm_trainer pk_lm_trainer;

int pk_lm_trainer_new(pk_lm_trainer **out, int order, pk_error *err);
/* Add one document (normalized here) `repeat` times (>= 1). */
int pk_lm_trainer_add(pk_lm_trainer *t, const char *text, size_t n, unsigned repeat, pk_error *err);
/* Count, estimate and write the model file.  The trainer can then only be
 * freed. */
typedef struct pk_lm_train_stats {
    uint64_t tokens, documents, vocab, keys;
    uint64_t ngrams[PK_LM_MAX_ORDER + 1]; /* distinct n-grams per order */
    uint64_t file_bytes;
} pk_lm_train_stats;
int pk_lm_trainer_write(pk_lm_trainer *t, const char *path, pk_lm_train_stats *st, pk_error *err);
void pk_lm_trainer_free(pk_lm_trainer *t);

/* ---- the model ---------------------------------------------------------- */

typedef struct pk_lm pk_lm;

/* Read a model file; a damaged or foreign file fails with PK_ECORRUPT or
 * PK_EFORMAT naming the file and what is wrong. */
int pk_lm_open(pk_lm **out, const char *path, pk_error *err);
void pk_lm_close(pk_lm *m);

int pk_lm_order(const pk_lm *m);
uint32_t pk_lm_vocab(const pk_lm *m);         /* surface tokens, <unk> included */
uint64_t pk_lm_train_tokens(const pk_lm *m);  /* tokens it was trained on */
uint64_t pk_lm_ngrams(const pk_lm *m, int order);
/* The bytes of surface token id ("<unk>" for 0); valid while m is open. */
const char *pk_lm_token(const pk_lm *m, uint32_t id, size_t *len);
uint32_t pk_lm_key_of(const pk_lm *m, uint32_t id);

/* A token of a prompt: its surface id (PK_LM_UNK when unseen), its key
 * id (PK_LM_UNK when unseen) and its span in the normalized text. */
typedef struct pk_lm_tok {
    uint32_t id, key;
    uint32_t off, len;
} pk_lm_tok;
/* Tokenize normalized text; *out malloc'ed. */
int pk_lm_tokenize(const pk_lm *m, const char *s, size_t n, pk_lm_tok **out, size_t *count, pk_error *err);

/* The history before a prediction: the keys of the tokens before it,
 * oldest first, nh of them (only the last order-1 are used; fewer means
 * the start of a document, padded with <s>). */
double pk_lm_prob(const pk_lm *m, const uint32_t *hist, size_t nh, uint32_t id);
/* The whole next-token distribution: p[0..vocab). */
void pk_lm_dist(const pk_lm *m, const uint32_t *hist, size_t nh, double *p);

/* Statistics of a distribution p[0..V) for the server: the log-prob
 * rank of token id (1 = most likely; 1 + how many are strictly more
 * likely), and Min-K%++'s mu = E_p[log p] and sigma = sqrt(Var_p[log p]). */
uint32_t pk_lm_rank(const double *p, uint32_t V, uint32_t id);
void pk_lm_moments(const double *p, uint32_t V, double *mu, double *sigma);
/* The k most likely tokens (k <= V), most likely first, ties by lower
 * id; <unk> excluded when skip_unk. Returns how many were written. */
uint32_t pk_lm_topk(const double *p, uint32_t V, uint32_t k, int skip_unk, uint32_t *ids);

/* The same distribution kept sparse: p[v] = G p1[v] (the order-1
 * distribution scaled by the product of the back-off weights) except for
 * the tokens seen after the history at orders >= 2, which are kept
 * exactly.  Rank, top-k, argmax and the moments then cost the number of
 * those tokens plus a binary search over p1 sorted once at load, not a
 * pass over the vocabulary; the values are the same as pk_lm_dist's
 * (same operations in the same order; the moments to rounding).  One
 * scratch per thread. */
typedef struct pk_lm_sd pk_lm_sd;
int pk_lm_sd_new(const pk_lm *m, pk_lm_sd **out, pk_error *err);
void pk_lm_sd_free(pk_lm_sd *s);
void pk_lm_sd_compute(pk_lm_sd *s, const uint32_t *hist, size_t nh);
double pk_lm_sd_prob(const pk_lm_sd *s, uint32_t id);
uint32_t pk_lm_sd_rank(const pk_lm_sd *s, uint32_t id);
/* k <= 64 */
uint32_t pk_lm_sd_topk(const pk_lm_sd *s, uint32_t k, int skip_unk, uint32_t *ids);
void pk_lm_sd_moments(const pk_lm_sd *s, double *mu, double *sigma);
void pk_lm_sd_dense(const pk_lm_sd *s, double *p);

/* Pick the next token: greedy (temperature <= 0: argmax, ties by lower
 * id) or sampled from p^(1/T) with the caller's generator state; never
 * <unk>. */
uint32_t pk_lm_pick(const double *p, uint32_t V, double temperature, uint64_t *rng);
/* splitmix64 */
uint64_t pk_lm_rand(uint64_t *state);

#endif
