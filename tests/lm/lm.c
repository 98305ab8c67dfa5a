/* lm.c -- pk-lm's Kneser-Ney n-gram model: tokenizer, training, the model
 * file, probabilities and whole distributions (lm.h says what the model
 * is).
 *
 * Training keeps the token stream in memory (surface ids, documents
 * separated by a marker), makes one row per position of the highest order
 * (order-1 history keys, <s>-padded at a document's start, then the
 * surface id), sorts the rows and counts runs: the distinct rows and their
 * counts are the top order.  Each lower order is the top's distinct rows
 * with their first key dropped, sorted and counted again, so that a
 * lower-order count is a continuation count (distinct keys before it).
 * Sorting 1.5 million rows of 5 words takes about a second, a hash table
 * would save little and need more memory.
 *
 * The model file is one zstd frame (level 3: a third of the raw size,
 * read back through pk_source_slurp) holding a 64-byte header (magic, version, order, sizes, the
 * length and XXH64 of the payload), then the payload in 8-byte-aligned
 * sections of little-endian u32: surface strings (offsets, bytes), the key
 * of each surface token, key strings, and per order m the contexts (m-1
 * keys each, sorted), the first entry of each context, and the entries
 * (surface id, count; sorted by id within a context), with the three
 * discounts as doubles.  Reading checks the checksum, then every offset
 * and id against the sizes and the sort order, so a damaged or crafted
 * file is refused before any lookup trusts it.  Per-context totals and
 * back-off weights are computed at load, in double precision.
 *
 * Invariants after pk_lm_open: every id in a table is < its vocabulary;
 * contexts are strictly increasing, entries strictly increasing within a
 * context, every count >= 1; order 1 has exactly one (empty) context and
 * every surface token but <unk> in it, so each p_m sums to 1. */
#include "lm.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include <xxhash.h>

#define SEP UINT32_MAX
#define MAGIC "PKLMODEL"
#define VERSION 1u
#define ENDIAN_MARK 0x01020304u
#define HEADER_BYTES 64

/* ---- text ----------------------------------------------------------------- */

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int pk_lm_normalize(const char *s, size_t n, pk_buf *out)
{
    size_t i = 0;
    int rc;
    while (i < n) {
        if (is_ws((unsigned char)s[i])) {
            int nl = 0;
            while (i < n && is_ws((unsigned char)s[i])) {
                if (s[i] == '\n' || s[i] == '\r') nl = 1;
                i++;
            }
            if ((rc = pk_buf_putc(out, nl ? '\n' : ' '))) return rc;
        } else {
            size_t j = i;
            while (j < n && !is_ws((unsigned char)s[j])) j++;
            if ((rc = pk_buf_append(out, s + i, j - i))) return rc;
            i = j;
        }
    }
    return 0;
}

/* The code point at s[i..n): its length, with *cp = -1 for an invalid
 * byte (length 1). */
static size_t cp_at(const char *s, size_t n, size_t i, int32_t *cp)
{
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) { *cp = c; return 1; }
    size_t l = pk_utf8_decode((const uint8_t *)s + i, n - i, cp);
    if (l == 0) { *cp = -1; return 1; }
    return l;
}

static int is_word_cp(int32_t cp)
{
    if (cp < 0) return 0;
    if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return 1;
    default:
        return 0;
    }
}

int pk_lm_split(const char *s, size_t n, pk_lm_span **out, size_t *count, pk_error *err)
{
    *out = NULL;
    *count = 0;
    if (n > UINT32_MAX) return pk_fail(err, PK_ETOOBIG, "text of %zu bytes is over 4 GiB", n);
    size_t cap = 0, k = 0, i = 0;
    pk_lm_span *v = NULL;
    while (i < n) {
        size_t start = i;
        while (i < n && is_ws((unsigned char)s[i])) i++;
        size_t ws = i - start;
        if (i < n) {
            int32_t cp;
            size_t l = cp_at(s, n, i, &cp);
            i += l;
            if (is_word_cp(cp)) {
                while (i < n) {
                    l = cp_at(s, n, i, &cp);
                    if (is_word_cp(cp)) { i += l; continue; }
                    if (cp == '\'' || cp == 0x2019) {
                        int32_t cp2;
                        if (i + l < n) {
                            size_t l2 = cp_at(s, n, i + l, &cp2);
                            if (is_word_cp(cp2)) { i += l + l2; continue; }
                        }
                    }
                    break;
                }
            }
        }
        if (k == cap) {
            size_t nc = cap ? cap * 2 : 256;
            if (nc > PK_LM_MAX_TOKENS) { free(v); return pk_fail(err, PK_ETOOBIG, "over 2^30 tokens"); }
            pk_lm_span *nv = realloc(v, nc * sizeof *nv);
            if (!nv) { free(v); return pk_fail(err, PK_ENOMEM, "out of memory"); }
            v = nv;
            cap = nc;
        }
        v[k].off = (uint32_t)start;
        v[k].len = (uint32_t)(i - start);
        v[k].ws = (uint32_t)ws;
        k++;
    }
    *out = v;
    *count = k;
    return 0;
}

int pk_lm_keyform(const char *s, const pk_lm_span *t, pk_buf *out)
{
    pk_buf_reset(out);
    const char *w = s + t->off + t->ws;
    size_t n = t->len - t->ws;
    if (n == 0) return pk_buf_append(out, s + t->off, t->ws);
    int rc;
    for (size_t i = 0; i < n;) {
        int32_t cp;
        size_t l = cp_at(w, n, i, &cp);
        if (cp < 0) {
            if ((rc = pk_buf_putc(out, (unsigned char)w[i]))) return rc;
        } else if (cp < 0x80) {
            if ((rc = pk_buf_putc(out, cp >= 'A' && cp <= 'Z' ? cp + 32 : cp))) return rc;
        } else {
            uint8_t enc[4];
            utf8proc_ssize_t el = utf8proc_encode_char(utf8proc_tolower(cp), enc);
            if (el <= 0) { /* not encodable: keep the original bytes */
                if ((rc = pk_buf_append(out, w + i, l))) return rc;
            } else if ((rc = pk_buf_append(out, enc, (size_t)el))) {
                return rc;
            }
        }
        i += l;
    }
    return 0;
}

/* ---- a string table with a hash index ------------------------------------
 * (open addressing over XXH3; none of the linked libraries has a hash map,
 * and this one is 60 lines) */

typedef struct strtab {
    char *bytes;
    size_t len, cap;
    uint32_t *off; /* off[0..n]: string i is bytes[off[i], off[i+1]) */
    size_t n, ocap;
    uint32_t *slot; /* id + 1, 0 = empty; nslot a power of two */
    size_t nslot;
} strtab;

static void st_free(strtab *t)
{
    free(t->bytes);
    free(t->off);
    free(t->slot);
    memset(t, 0, sizeof *t);
}

static int st_rehash(strtab *t, size_t nslot)
{
    uint32_t *s = calloc(nslot, sizeof *s);
    if (!s) return PK_ENOMEM;
    for (size_t id = 0; id < t->n; id++) {
        uint64_t h = XXH3_64bits(t->bytes + t->off[id], t->off[id + 1] - t->off[id]);
        size_t j = (size_t)h & (nslot - 1);
        while (s[j]) j = (j + 1) & (nslot - 1);
        s[j] = (uint32_t)id + 1;
    }
    free(t->slot);
    t->slot = s;
    t->nslot = nslot;
    return 0;
}

/* The id of s[0..n), or -1. */
static int64_t st_find(const strtab *t, const char *s, size_t n)
{
    if (!t->nslot) return -1;
    size_t j = (size_t)XXH3_64bits(s, n) & (t->nslot - 1);
    while (t->slot[j]) {
        uint32_t id = t->slot[j] - 1;
        size_t l = t->off[id + 1] - t->off[id];
        if (l == n && memcmp(t->bytes + t->off[id], s, n) == 0) return id;
        j = (j + 1) & (t->nslot - 1);
    }
    return -1;
}

/* Intern s[0..n); *added says whether it is new. */
static int st_intern(strtab *t, const char *s, size_t n, uint32_t *id, int *added)
{
    int64_t f = st_find(t, s, n);
    if (added) *added = f < 0;
    if (f >= 0) { *id = (uint32_t)f; return 0; }
    if (t->n + 2 > t->ocap) {
        size_t nc = t->ocap ? t->ocap * 2 : 1024;
        uint32_t *no = realloc(t->off, nc * sizeof *no);
        if (!no) return PK_ENOMEM;
        if (!t->off) no[0] = 0;
        t->off = no;
        t->ocap = nc;
    }
    if (t->len + n > UINT32_MAX - 1) return PK_ETOOBIG;
    if (t->len + n + 1 > t->cap) {
        size_t nc = t->cap ? t->cap : 4096;
        while (nc < t->len + n + 1) nc *= 2;
        char *nb = realloc(t->bytes, nc);
        if (!nb) return PK_ENOMEM;
        t->bytes = nb;
        t->cap = nc;
    }
    memcpy(t->bytes + t->len, s, n);
    t->len += n;
    t->off[t->n + 1] = (uint32_t)t->len;
    *id = (uint32_t)t->n;
    t->n++;
    if (t->n * 2 > t->nslot) return st_rehash(t, t->nslot ? t->nslot * 2 : 4096);
    size_t j = (size_t)XXH3_64bits(s, n) & (t->nslot - 1);
    while (t->slot[j]) j = (j + 1) & (t->nslot - 1);
    t->slot[j] = *id + 1;
    return 0;
}

/* ---- training ------------------------------------------------------------- */

struct pk_lm_trainer {
    int order;
    strtab surf, keys;
    uint32_t *surf_key;
    size_t sk_cap;
    uint32_t *stream; /* surface ids, SEP before each document */
    size_t len, cap;
    uint64_t docs, tokens;
    pk_buf norm, kb;
    uint32_t *doc;
    size_t doc_cap;
};

void pk_lm_trainer_free(pk_lm_trainer *t)
{
    if (!t) return;
    st_free(&t->surf);
    st_free(&t->keys);
    free(t->surf_key);
    free(t->stream);
    free(t->doc);
    pk_buf_free(&t->norm);
    pk_buf_free(&t->kb);
    free(t);
}

static int set_surf_key(pk_lm_trainer *t, uint32_t id, uint32_t key)
{
    if (id >= t->sk_cap) {
        size_t nc = t->sk_cap ? t->sk_cap * 2 : 1024;
        uint32_t *n = realloc(t->surf_key, nc * sizeof *n);
        if (!n) return PK_ENOMEM;
        t->surf_key = n;
        t->sk_cap = nc;
    }
    t->surf_key[id] = key;
    return 0;
}

int pk_lm_trainer_new(pk_lm_trainer **out, int order, pk_error *err)
{
    *out = NULL;
    if (order < 2 || order > PK_LM_MAX_ORDER)
        return pk_fail(err, PK_EINVAL, "order %d is not in 2..%d", order, PK_LM_MAX_ORDER);
    pk_lm_trainer *t = calloc(1, sizeof *t);
    if (!t) return pk_fail(err, PK_ENOMEM, "out of memory");
    t->order = order;
    pk_buf_init(&t->norm, 0);
    pk_buf_init(&t->kb, 0);
    uint32_t id;
    if (st_intern(&t->surf, "<unk>", 5, &id, NULL) || set_surf_key(t, id, PK_LM_UNK) ||
        st_intern(&t->keys, "<unk>", 5, &id, NULL) || st_intern(&t->keys, "<s>", 3, &id, NULL)) {
        pk_lm_trainer_free(t);
        return pk_fail(err, PK_ENOMEM, "out of memory");
    }
    *out = t;
    return 0;
}

int pk_lm_trainer_add(pk_lm_trainer *t, const char *text, size_t n, unsigned repeat, pk_error *err)
{
    pk_lm_span *sp = NULL;
    size_t ns = 0;
    int rc;
    if (repeat < 1) return pk_fail(err, PK_EINVAL, "repeat must be at least 1");
    pk_buf_reset(&t->norm);
    if ((rc = pk_lm_normalize(text, n, &t->norm))) return pk_fail(err, rc, "document too big");
    const char *s = t->norm.data ? t->norm.data : "";
    if ((rc = pk_lm_split(s, t->norm.len, &sp, &ns, err))) return rc;
    if (ns > t->doc_cap) {
        uint32_t *d = realloc(t->doc, ns * sizeof *d);
        if (!d) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
        t->doc = d;
        t->doc_cap = ns;
    }
    for (size_t i = 0; i < ns; i++) {
        uint32_t id, key;
        int added;
        if ((rc = st_intern(&t->surf, s + sp[i].off, sp[i].len, &id, &added))) goto oom;
        if (added) {
            if ((rc = pk_lm_keyform(s, &sp[i], &t->kb))) goto oom;
            if ((rc = st_intern(&t->keys, t->kb.data, t->kb.len, &key, NULL))) goto oom;
            if ((rc = set_surf_key(t, id, key))) goto oom;
        }
        t->doc[i] = id;
    }
    size_t need = (ns + 1) * repeat;
    if (t->len + need > PK_LM_MAX_TOKENS) {
        rc = pk_fail(err, PK_ETOOBIG, "training set over 2^30 tokens");
        goto done;
    }
    if (t->len + need > t->cap) {
        size_t nc = t->cap ? t->cap : 1 << 16;
        while (nc < t->len + need) nc *= 2;
        uint32_t *st = realloc(t->stream, nc * sizeof *st);
        if (!st) goto oom;
        t->stream = st;
        t->cap = nc;
    }
    for (unsigned r = 0; r < repeat; r++) {
        t->stream[t->len++] = SEP;
        memcpy(t->stream + t->len, t->doc, ns * sizeof *t->doc);
        t->len += ns;
    }
    t->docs += repeat;
    t->tokens += (uint64_t)ns * repeat;
    rc = 0;
    goto done;
oom:
    rc = pk_fail(err, rc == PK_ETOOBIG ? PK_ETOOBIG : PK_ENOMEM, rc == PK_ETOOBIG ? "vocabulary over 4 GiB" : "out of memory");
done:
    free(sp);
    return rc;
}

static int cmp_rows(const void *a, const void *b, void *w)
{
    const uint32_t *x = a, *y = b;
    size_t n = *(const size_t *)w;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
}

/* Sort rows (nrows x w u32) and keep the distinct ones, in place; cnt[i]
 * gets how many times row i occurred.  Returns the distinct count. */
static size_t sort_count(uint32_t *rows, size_t nrows, size_t w, uint32_t *cnt)
{
    if (!nrows) return 0;
    qsort_r(rows, nrows, w * sizeof *rows, cmp_rows, &w);
    size_t d = 0;
    for (size_t i = 0; i < nrows; i++) {
        if (d && memcmp(rows + (d - 1) * w, rows + i * w, w * sizeof *rows) == 0) {
            if (cnt[d - 1] < UINT32_MAX) cnt[d - 1]++;
            continue;
        }
        if (d != i) memmove(rows + d * w, rows + i * w, w * sizeof *rows);
        cnt[d++] = 1;
    }
    return d;
}

/* Writing with a running checksum. */
typedef struct wr {
    FILE *f;
    XXH64_state_t *h;
    uint64_t n;
    int bad;
} wr;

static void wr_put(wr *w, const void *p, size_t n)
{
    if (!n || w->bad) return;
    if (fwrite(p, 1, n, w->f) != n) { w->bad = 1; return; }
    XXH64_update(w->h, p, n);
    w->n += n;
}

static void wr_pad(wr *w)
{
    static const char z[8];
    if (w->n % 8) wr_put(w, z, 8 - w->n % 8);
}

static void wr_u32s(wr *w, const uint32_t *p, size_t n)
{
    wr_put(w, p, n * sizeof *p);
    wr_pad(w);
}

/* Modified Kneser-Ney discounts from counts of counts (Chen and Goodman
 * 1998, eq. 26), clamped into (0, i) so every back-off weight is positive
 * (no token gets probability 0) and a seen n-gram keeps some mass. */
static void discounts(const uint32_t *cnt, size_t n, double D[4])
{
    double c[5] = {0, 0, 0, 0, 0};
    for (size_t i = 0; i < n; i++)
        if (cnt[i] <= 4) c[cnt[i]]++;
    const double fallback[4] = {0, 0.5, 1.0, 1.5};
    double Y = c[1] + 2 * c[2] > 0 ? c[1] / (c[1] + 2 * c[2]) : 0;
    for (int i = 1; i <= 3; i++) {
        double d = c[i] > 0 && c[i + 1] > 0 ? (double)i - (double)(i + 1) * Y * c[i + 1] / c[i] : fallback[i];
        if (!(d > 0.05)) d = 0.05;
        if (d > (double)i - 0.05) d = (double)i - 0.05;
        D[i] = d;
    }
    D[0] = 0;
}

int pk_lm_trainer_write(pk_lm_trainer *t, const char *path, pk_lm_train_stats *st, pk_error *err)
{
    const size_t N = (size_t)t->order;
    size_t T = (size_t)t->tokens;
    uint32_t *rows = NULL, *cnt = NULL, *low = NULL, *lowcnt = NULL;
    uint32_t *cfirst = NULL, *ckeys = NULL, *etok = NULL;
    size_t nd[PK_LM_MAX_ORDER + 1] = {0};
    uint32_t *tab[PK_LM_MAX_ORDER + 1] = {0}, *tcnt[PK_LM_MAX_ORDER + 1] = {0};
    FILE *f = NULL;
    XXH64_state_t *h = NULL;
    char *mem = NULL;
    size_t memlen = 0;
    pk_compressor *zc = NULL;
    pk_buf zbuf;
    pk_buf_init(&zbuf, 0);
    int rc = 0;
    if (T == 0) return pk_fail(err, PK_EINVAL, "no training text");
    memset(st, 0, sizeof *st);
    rows = malloc(T * N * sizeof *rows);
    cnt = malloc(T * sizeof *cnt);
    if (!rows || !cnt) goto oom;
    /* One row per position: the keys of the N-1 tokens before it, <s>
     * before the start of its document, then its surface id. */
    size_t r = 0, since = 0;
    uint32_t hist[PK_LM_MAX_ORDER];
    for (size_t i = 0; i < t->len; i++) {
        uint32_t id = t->stream[i];
        if (id == SEP) { since = 0; continue; }
        uint32_t *row = rows + r * N;
        for (size_t j = 0; j + 1 < N; j++) {
            size_t back = N - 1 - j; /* tokens back */
            row[j] = back <= since ? hist[(since - back) % N] : PK_LM_BOS;
        }
        row[N - 1] = id;
        hist[since % N] = t->surf_key[id];
        since++;
        r++;
    }
    nd[N] = sort_count(rows, T, N, cnt);
    tab[N] = rows;
    tcnt[N] = cnt;
    rows = cnt = NULL;
    for (size_t m = N - 1; m >= 1; m--) {
        size_t n = nd[m + 1];
        low = malloc(n * m * sizeof *low + 1);
        lowcnt = malloc(n * sizeof *lowcnt + 1);
        if (!low || !lowcnt) goto oom;
        for (size_t i = 0; i < n; i++) memcpy(low + i * m, tab[m + 1] + i * (m + 1) + 1, m * sizeof *low);
        nd[m] = sort_count(low, n, m, lowcnt);
        tab[m] = low;
        tcnt[m] = lowcnt;
        low = lowcnt = NULL;
    }

    /* Written to memory, then to the file as one zstd frame (a third of
     * the size; pk_source_slurp reads it back transparently). */
    f = open_memstream(&mem, &memlen);
    if (!f) goto oom;
    h = XXH64_createState();
    if (!h) goto oom;
    XXH64_reset(h, 0);
    unsigned char hdr[HEADER_BYTES];
    memset(hdr, 0, sizeof hdr);
    if (fwrite(hdr, 1, sizeof hdr, f) != sizeof hdr) goto ioerr;
    wr w = {f, h, 0, 0};
    uint32_t V = (uint32_t)t->surf.n, K = (uint32_t)t->keys.n;
    wr_u32s(&w, t->surf.off, V + 1);
    wr_put(&w, t->surf.bytes, t->surf.len);
    wr_pad(&w);
    wr_u32s(&w, t->surf_key, V);
    wr_u32s(&w, t->keys.off, K + 1);
    wr_put(&w, t->keys.bytes, t->keys.len);
    wr_pad(&w);
    for (size_t m = 1; m <= N; m++) {
        size_t n = nd[m], hw = m - 1;
        /* Contexts: runs of rows sharing their first m-1 keys. */
        free(cfirst);
        free(ckeys);
        free(etok);
        cfirst = malloc((n + 1) * sizeof *cfirst);
        ckeys = malloc(n * hw * sizeof *ckeys + 1);
        etok = malloc(n * sizeof *etok + 1);
        if (!cfirst || !ckeys || !etok) goto oom;
        uint32_t nctx = 0;
        for (size_t i = 0; i < n; i++) {
            const uint32_t *row = tab[m] + i * m;
            if (i == 0 || memcmp(row, tab[m] + (i - 1) * m, hw * sizeof *row) != 0) {
                memcpy(ckeys + (size_t)nctx * hw, row, hw * sizeof *row);
                cfirst[nctx++] = (uint32_t)i;
            }
            etok[i] = row[hw];
        }
        cfirst[nctx] = (uint32_t)n;
        double D[4];
        discounts(tcnt[m], n, D);
        uint32_t sizes[2] = {nctx, (uint32_t)n};
        wr_put(&w, sizes, sizeof sizes);
        wr_put(&w, D + 1, 3 * sizeof *D);
        wr_pad(&w);
        wr_u32s(&w, ckeys, (size_t)nctx * hw);
        wr_u32s(&w, cfirst, (size_t)nctx + 1);
        wr_u32s(&w, etok, n);
        wr_u32s(&w, tcnt[m], n);
        st->ngrams[m] = n;
    }
    if (w.bad) goto ioerr;
    memcpy(hdr, MAGIC, 8);
    uint32_t h32[6] = {VERSION, (uint32_t)N, V, K, ENDIAN_MARK, 0};
    memcpy(hdr + 8, h32, sizeof h32);
    uint64_t h64[4] = {w.n, XXH64_digest(h), t->tokens, t->docs};
    memcpy(hdr + 32, h64, sizeof h64);
    if (fclose(f)) { f = NULL; goto oom; }
    f = NULL;
    if (memlen != HEADER_BYTES + w.n) goto oom;
    memcpy(mem, hdr, sizeof hdr); /* not fseek: a memstream is cut at its position */
    free(rows); /* the tables are written: make room for the compressed copy */
    rows = NULL;
    if (pk_compressor_new(&zc, PK_COMP_ZSTD, err)) { rc = err ? err->code : PK_ENOMEM; goto done; }
    if (pk_compress_member(zc, &zbuf, mem, memlen, err)) { rc = err ? err->code : PK_ENOMEM; goto done; }
    f = fopen(path, "wb");
    if (!f) { rc = pk_fail(err, PK_EIO, "%s: %s", path, strerror(errno)); goto done; }
    if (fwrite(zbuf.data, 1, zbuf.len, f) != zbuf.len) goto ioerr;
    if (fclose(f)) { f = NULL; goto ioerr; }
    f = NULL;
    st->tokens = t->tokens;
    st->documents = t->docs;
    st->vocab = V;
    st->keys = K;
    st->file_bytes = zbuf.len;
    goto done;
oom:
    rc = pk_fail(err, PK_ENOMEM, "out of memory");
    goto done;
ioerr:
    rc = pk_fail(err, PK_EIO, "%s: write failed: %s", path, strerror(errno));
done:
    if (f) fclose(f);
    if (h) XXH64_freeState(h);
    free(mem);
    pk_compressor_free(zc);
    pk_buf_free(&zbuf);
    for (size_t m = 0; m <= PK_LM_MAX_ORDER; m++) {
        free(tab[m]);
        free(tcnt[m]);
    }
    free(rows);
    free(cnt);
    free(low);
    free(lowcnt);
    free(cfirst);
    free(ckeys);
    free(etok);
    return rc;
}

/* ---- the model ------------------------------------------------------------ */

typedef struct level {
    uint32_t nctx, nent;
    double D[4];
    const uint32_t *ckeys, *cfirst, *etok, *ecnt;
    double *gamma, *inv;
} level;

struct pk_lm {
    char *file;
    size_t file_len;
    int order;
    uint32_t V, K;
    uint64_t ntrain;
    strtab surf, keys;
    const uint32_t *surf_key;
    level lv[PK_LM_MAX_ORDER + 1];
    double *p1; /* the order-1 distribution, uniform interpolated in */
    uint32_t *p1_order; /* ids by p1 descending, ties by id */
    double *p1_sorted;  /* p1 in that order */
    double S1, S2;      /* sum of p1 log p1 and of p1 (log p1)^2 */
};

void pk_lm_close(pk_lm *m)
{
    if (!m) return;
    for (int i = 0; i <= PK_LM_MAX_ORDER; i++) {
        free(m->lv[i].gamma);
        free(m->lv[i].inv);
    }
    st_free(&m->surf);
    st_free(&m->keys);
    free(m->p1);
    free(m->p1_order);
    free(m->p1_sorted);
    free(m->file);
    free(m);
}

typedef struct cursor {
    const char *p;
    size_t n, at;
} cursor;

/* The next n bytes (then padded to 8), or NULL past the end. */
static const void *take(cursor *c, size_t n)
{
    size_t padded;
    if (!pk_add_ok(n, 7, &padded)) return NULL;
    padded &= ~(size_t)7;
    if (padded > c->n - c->at) return NULL;
    const void *r = c->p + c->at;
    c->at += padded;
    return r;
}

static const uint32_t *take_u32(cursor *c, size_t n)
{
    size_t b;
    if (!pk_mul_ok(n, 4, &b)) return NULL;
    return take(c, b);
}

/* Load string table i from its offsets and bytes, refusing duplicates. */
static int load_strings(strtab *t, const uint32_t *off, uint32_t n, const char *bytes, size_t blen)
{
    if (off[0] != 0) return -1;
    for (uint32_t i = 0; i < n; i++) {
        if (off[i + 1] < off[i] || off[i + 1] > blen) return -1;
        uint32_t id;
        int added;
        if (st_intern(t, bytes + off[i], off[i + 1] - off[i], &id, &added)) return -2;
        if (!added) return -1;
    }
    return 0;
}

static int row_cmp(const uint32_t *a, const uint32_t *b, size_t w)
{
    for (size_t i = 0; i < w; i++)
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
}

static int by_p1(const void *a, const void *b, void *p1v)
{
    const double *p1 = p1v;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (p1[x] != p1[y]) return p1[x] > p1[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

int pk_lm_open(pk_lm **out, const char *path, pk_error *err)
{
    *out = NULL;
    pk_lm *m = calloc(1, sizeof *m);
    if (!m) return pk_fail(err, PK_ENOMEM, "out of memory");
    const char *why = NULL;
    int rc = 0;
    pk_buf raw;
    pk_buf_init(&raw, (size_t)1 << 34);
    if ((rc = pk_source_slurp(path, &raw, (size_t)1 << 34, err))) {
        pk_buf_free(&raw);
        if (err && strncmp(err->msg, path, strlen(path)) != 0) pk_error_prefix(err, "%s", path);
        goto fail;
    }
    m->file = raw.data; /* malloc'ed: 8-byte aligned */
    m->file_len = raw.len;
    if (m->file_len < HEADER_BYTES) { why = "shorter than its header"; goto corrupt; }
    if (memcmp(m->file, MAGIC, 8) != 0) {
        rc = pk_fail(err, PK_EFORMAT, "%s: not a pk-lm model (bad magic at byte 0)", path);
        goto fail;
    }
    uint32_t h32[6];
    uint64_t h64[4];
    memcpy(h32, m->file + 8, sizeof h32);
    memcpy(h64, m->file + 32, sizeof h64);
    if (h32[4] != ENDIAN_MARK) { why = "byte order mark at byte 24 is wrong"; goto corrupt; }
    if (h32[0] != VERSION) {
        rc = pk_fail(err, PK_EFORMAT, "%s: model version %u, this pk-lm reads version %u", path, h32[0], VERSION);
        goto fail;
    }
    if (h32[1] < 2 || h32[1] > PK_LM_MAX_ORDER) { why = "order in the header is out of range"; goto corrupt; }
    if (h64[0] != m->file_len - HEADER_BYTES) { why = "payload length does not match the file size (truncated?)"; goto corrupt; }
    if (XXH64(m->file + HEADER_BYTES, m->file_len - HEADER_BYTES, 0) != h64[1]) {
        why = "checksum mismatch (damaged file)";
        goto corrupt;
    }
    m->order = (int)h32[1];
    m->V = h32[2];
    m->K = h32[3];
    m->ntrain = h64[2];
    if (m->V < 2 || m->K < 3 || m->V == UINT32_MAX || m->K == UINT32_MAX) { why = "vocabulary sizes out of range"; goto corrupt; }
    cursor c = {m->file + HEADER_BYTES, m->file_len - HEADER_BYTES, 0};
    const uint32_t *soff = take_u32(&c, (size_t)m->V + 1);
    if (!soff) { why = "surface offsets cut short"; goto corrupt; }
    const char *sbytes = take(&c, soff[m->V]);
    if (!sbytes) { why = "surface strings cut short"; goto corrupt; }
    m->surf_key = take_u32(&c, m->V);
    const uint32_t *koff = m->surf_key ? take_u32(&c, (size_t)m->K + 1) : NULL;
    const char *kbytes = koff ? take(&c, koff[m->K]) : NULL;
    if (!kbytes) { why = "key table cut short"; goto corrupt; }
    int lr = load_strings(&m->surf, soff, m->V, sbytes, soff[m->V]);
    if (!lr) lr = load_strings(&m->keys, koff, m->K, kbytes, koff[m->K]);
    if (lr == -2) { rc = pk_fail(err, PK_ENOMEM, "%s: out of memory", path); goto fail; }
    if (lr) { why = "bad or duplicate vocabulary strings"; goto corrupt; }
    for (uint32_t i = 0; i < m->V; i++)
        if (m->surf_key[i] >= m->K) { why = "a token's key id is out of range"; goto corrupt; }
    for (int o = 1; o <= m->order; o++) {
        level *L = &m->lv[o];
        size_t hw = (size_t)o - 1;
        const uint32_t *sizes = take(&c, 8);
        const double *D = sizes ? take(&c, 24) : NULL;
        if (!D) { why = "level header cut short"; goto corrupt; }
        L->nctx = sizes[0];
        L->nent = sizes[1];
        memcpy(L->D + 1, D, 3 * sizeof *D);
        for (int i = 1; i <= 3; i++)
            if (!(L->D[i] > 0 && L->D[i] < i)) { why = "a discount is out of range"; goto corrupt; }
        if ((o == 1 && L->nctx != 1) || L->nctx > L->nent || L->nctx == 0) { why = "context count out of range"; goto corrupt; }
        size_t nk;
        if (!pk_mul_ok(L->nctx, hw, &nk)) { why = "context table too big"; goto corrupt; }
        L->ckeys = take_u32(&c, nk);
        L->cfirst = L->ckeys ? take_u32(&c, (size_t)L->nctx + 1) : NULL;
        L->etok = L->cfirst ? take_u32(&c, L->nent) : NULL;
        L->ecnt = L->etok ? take_u32(&c, L->nent) : NULL;
        if (!L->ecnt) { why = "n-gram tables cut short"; goto corrupt; }
        L->gamma = malloc(L->nctx * sizeof *L->gamma);
        L->inv = malloc(L->nctx * sizeof *L->inv);
        if (!L->gamma || !L->inv) { rc = pk_fail(err, PK_ENOMEM, "%s: out of memory", path); goto fail; }
        if (L->cfirst[0] != 0 || L->cfirst[L->nctx] != L->nent) { why = "context offsets do not cover the entries"; goto corrupt; }
        for (uint32_t i = 0; i < L->nctx; i++) {
            const uint32_t *k = L->ckeys + (size_t)i * hw;
            for (size_t j = 0; j < hw; j++)
                if (k[j] >= m->K) { why = "a context key is out of range"; goto corrupt; }
            if (i > 0 && row_cmp(k - hw, k, hw) >= 0) { why = "contexts are not sorted"; goto corrupt; }
            uint32_t a = L->cfirst[i], b = L->cfirst[i + 1];
            if (b <= a || b > L->nent) { why = "context offsets are not increasing"; goto corrupt; }
            double tot = 0, n1 = 0, n2 = 0, n3 = 0;
            for (uint32_t e = a; e < b; e++) {
                if (L->etok[e] >= m->V || L->etok[e] == PK_LM_UNK) { why = "an entry's token id is out of range"; goto corrupt; }
                if (e > a && L->etok[e] <= L->etok[e - 1]) { why = "entries are not sorted"; goto corrupt; }
                uint32_t cn = L->ecnt[e];
                if (cn == 0) { why = "an n-gram count is 0"; goto corrupt; }
                tot += cn;
                if (cn == 1) n1++;
                else if (cn == 2) n2++;
                else n3++;
            }
            L->inv[i] = 1.0 / tot;
            L->gamma[i] = (L->D[1] * n1 + L->D[2] * n2 + L->D[3] * n3) / tot;
        }
    }
    if (c.at != c.n) { why = "trailing bytes after the last table"; goto corrupt; }
    if (m->lv[1].nent != m->V - 1) { why = "order 1 does not hold every token"; goto corrupt; }
    m->p1 = malloc((size_t)m->V * sizeof *m->p1);
    if (!m->p1) { rc = pk_fail(err, PK_ENOMEM, "%s: out of memory", path); goto fail; }
    {
        const level *L = &m->lv[1];
        double base = L->gamma[0] / m->V;
        for (uint32_t v = 0; v < m->V; v++) m->p1[v] = base;
        for (uint32_t e = 0; e < L->nent; e++) {
            uint32_t cn = L->ecnt[e];
            m->p1[L->etok[e]] += ((double)cn - L->D[cn < 3 ? cn : 3]) * L->inv[0];
        }
    }
    m->p1_order = malloc((size_t)m->V * sizeof *m->p1_order);
    m->p1_sorted = malloc((size_t)m->V * sizeof *m->p1_sorted);
    if (!m->p1_order || !m->p1_sorted) { rc = pk_fail(err, PK_ENOMEM, "%s: out of memory", path); goto fail; }
    for (uint32_t v = 0; v < m->V; v++) {
        m->p1_order[v] = v;
        double l = log(m->p1[v]);
        m->S1 += m->p1[v] * l;
        m->S2 += m->p1[v] * l * l;
    }
    qsort_r(m->p1_order, m->V, sizeof *m->p1_order, by_p1, m->p1);
    for (uint32_t i = 0; i < m->V; i++) m->p1_sorted[i] = m->p1[m->p1_order[i]];
    *out = m;
    return 0;
corrupt:
    rc = pk_fail(err, PK_ECORRUPT, "%s: damaged model file: %s", path, why);
fail:
    pk_lm_close(m);
    return rc;
}

int pk_lm_order(const pk_lm *m) { return m->order; }
uint32_t pk_lm_vocab(const pk_lm *m) { return m->V; }
uint64_t pk_lm_train_tokens(const pk_lm *m) { return m->ntrain; }
uint64_t pk_lm_ngrams(const pk_lm *m, int order)
{
    return order >= 1 && order <= m->order ? m->lv[order].nent : 0;
}

const char *pk_lm_token(const pk_lm *m, uint32_t id, size_t *len)
{
    if (id >= m->V) id = PK_LM_UNK;
    *len = m->surf.off[id + 1] - m->surf.off[id];
    return m->surf.bytes + m->surf.off[id];
}

uint32_t pk_lm_key_of(const pk_lm *m, uint32_t id) { return id < m->V ? m->surf_key[id] : PK_LM_UNK; }

int pk_lm_tokenize(const pk_lm *m, const char *s, size_t n, pk_lm_tok **out, size_t *count, pk_error *err)
{
    pk_lm_span *sp = NULL;
    size_t ns = 0;
    int rc = pk_lm_split(s, n, &sp, &ns, err);
    *out = NULL;
    *count = 0;
    if (rc) return rc;
    pk_lm_tok *t = malloc((ns ? ns : 1) * sizeof *t);
    pk_buf kb;
    pk_buf_init(&kb, 0);
    if (!t) { free(sp); return pk_fail(err, PK_ENOMEM, "out of memory"); }
    for (size_t i = 0; i < ns; i++) {
        int64_t id = st_find(&m->surf, s + sp[i].off, sp[i].len);
        t[i].off = sp[i].off;
        t[i].len = sp[i].len;
        if (id > 0) {
            t[i].id = (uint32_t)id;
            t[i].key = m->surf_key[id];
        } else {
            t[i].id = PK_LM_UNK;
            if (pk_lm_keyform(s, &sp[i], &kb)) { free(t); free(sp); pk_buf_free(&kb); return pk_fail(err, PK_ENOMEM, "out of memory"); }
            int64_t k = st_find(&m->keys, kb.data ? kb.data : "", kb.len);
            t[i].key = k > 1 ? (uint32_t)k : PK_LM_UNK;
        }
    }
    pk_buf_free(&kb);
    free(sp);
    *out = t;
    *count = ns;
    return 0;
}

/* The context of order o (history: its o-1 keys), or -1. */
static int64_t find_ctx(const level *L, size_t hw, const uint32_t *h)
{
    size_t lo = 0, hi = L->nctx;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = row_cmp(L->ckeys + mid * hw, h, hw);
        if (c == 0) return (int64_t)mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

/* The discounted term of token id in context ci (0 when unseen there). */
static double term(const level *L, uint32_t ci, uint32_t id)
{
    size_t lo = L->cfirst[ci], hi = L->cfirst[ci + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (L->etok[mid] == id) {
            uint32_t cn = L->ecnt[mid];
            return ((double)cn - L->D[cn < 3 ? cn : 3]) * L->inv[ci];
        }
        if (L->etok[mid] < id) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

/* The contexts found for orders 2..: ctx[o]; returns the highest order
 * with a context (1 when none). */
static int contexts(const pk_lm *m, const uint32_t *hist, size_t nh, int64_t ctx[PK_LM_MAX_ORDER + 1])
{
    uint32_t pad[PK_LM_MAX_ORDER];
    size_t w = (size_t)m->order - 1;
    for (size_t j = 0; j < w; j++) {
        size_t back = w - j;
        pad[j] = back <= nh ? hist[nh - back] : PK_LM_BOS;
    }
    ctx[1] = 0;
    int top = 1;
    for (int o = 2; o <= m->order; o++) {
        size_t hw = (size_t)o - 1;
        ctx[o] = find_ctx(&m->lv[o], hw, pad + w - hw);
        if (ctx[o] < 0) break;
        top = o;
    }
    return top;
}

double pk_lm_prob(const pk_lm *m, const uint32_t *hist, size_t nh, uint32_t id)
{
    int64_t ctx[PK_LM_MAX_ORDER + 1];
    int top = contexts(m, hist, nh, ctx);
    if (id >= m->V) id = PK_LM_UNK;
    double p = m->p1[id];
    for (int o = 2; o <= top; o++) {
        const level *L = &m->lv[o];
        uint32_t ci = (uint32_t)ctx[o];
        p = term(L, ci, id) + L->gamma[ci] * p;
    }
    return p;
}

void pk_lm_dist(const pk_lm *m, const uint32_t *hist, size_t nh, double *p)
{
    int64_t ctx[PK_LM_MAX_ORDER + 1];
    int top = contexts(m, hist, nh, ctx);
    /* p = G_1 p1 + sum over o >= 2 of G_o term_o, G_o the product of the
     * back-off weights above order o: one pass over the vocabulary, then
     * only the entries of the contexts found. */
    double G[PK_LM_MAX_ORDER + 2];
    G[top] = 1;
    for (int o = top; o >= 2; o--) G[o - 1] = G[o] * m->lv[o].gamma[ctx[o]];
    for (uint32_t v = 0; v < m->V; v++) p[v] = G[1] * m->p1[v];
    for (int o = 2; o <= top; o++) {
        const level *L = &m->lv[o];
        uint32_t ci = (uint32_t)ctx[o];
        for (uint32_t e = L->cfirst[ci]; e < L->cfirst[ci + 1]; e++) {
            uint32_t cn = L->ecnt[e];
            p[L->etok[e]] += G[o] * ((double)cn - L->D[cn < 3 ? cn : 3]) * L->inv[ci];
        }
    }
}

uint32_t pk_lm_rank(const double *p, uint32_t V, uint32_t id)
{
    uint32_t r = 1;
    double x = p[id];
    for (uint32_t v = 0; v < V; v++) r += p[v] > x;
    return r;
}

void pk_lm_moments(const double *p, uint32_t V, double *mu, double *sigma)
{
    double s = 0, s2 = 0;
    for (uint32_t v = 0; v < V; v++) {
        if (p[v] <= 0) continue;
        double l = log(p[v]);
        s += p[v] * l;
        s2 += p[v] * l * l;
    }
    *mu = s;
    double var = s2 - s * s;
    *sigma = var > 0 ? sqrt(var) : 0;
}

uint32_t pk_lm_topk(const double *p, uint32_t V, uint32_t k, int skip_unk, uint32_t *ids)
{
    uint32_t n = 0;
    for (uint32_t v = skip_unk ? 1 : 0; v < V; v++) {
        if (n == k && !(p[v] > p[ids[n - 1]])) continue;
        uint32_t j = n < k ? n++ : n - 1;
        while (j > 0 && p[ids[j - 1]] < p[v]) { ids[j] = ids[j - 1]; j--; }
        ids[j] = v;
    }
    return n;
}

uint64_t pk_lm_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint32_t pk_lm_pick(const double *p, uint32_t V, double temperature, uint64_t *rng)
{
    uint32_t best = 1;
    for (uint32_t v = 2; v < V; v++)
        if (p[v] > p[best]) best = v;
    if (temperature <= 0 || V < 3) return best;
    /* p^(1/T) relative to the largest, so nothing underflows to a 0 sum. */
    double inv = 1.0 / temperature, pmax = p[best], sum = 0;
    for (uint32_t v = 1; v < V; v++) sum += pow(p[v] / pmax, inv);
    double u = (double)(pk_lm_rand(rng) >> 11) * 0x1.0p-53 * sum;
    for (uint32_t v = 1; v < V; v++) {
        u -= pow(p[v] / pmax, inv);
        if (u < 0) return v;
    }
    return best;
}

/* ---- sparse distributions -------------------------------------------------- */

#define NONE UINT32_MAX

struct pk_lm_sd {
    const pk_lm *m;
    double G;       /* p[v] = G p1[v] outside the list */
    uint32_t *slot; /* slot[v]: v's place in the list, or NONE */
    uint32_t *ids;  /* the listed tokens */
    double *p;      /* and their probabilities */
    uint32_t n;
};

int pk_lm_sd_new(const pk_lm *m, pk_lm_sd **out, pk_error *err)
{
    pk_lm_sd *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s) return pk_fail(err, PK_ENOMEM, "out of memory");
    s->m = m;
    s->slot = malloc((size_t)m->V * sizeof *s->slot);
    s->ids = malloc((size_t)m->V * sizeof *s->ids);
    s->p = malloc((size_t)m->V * sizeof *s->p);
    if (!s->slot || !s->ids || !s->p) {
        pk_lm_sd_free(s);
        return pk_fail(err, PK_ENOMEM, "out of memory");
    }
    memset(s->slot, 0xff, (size_t)m->V * sizeof *s->slot);
    *out = s;
    return 0;
}

void pk_lm_sd_free(pk_lm_sd *s)
{
    if (!s) return;
    free(s->slot);
    free(s->ids);
    free(s->p);
    free(s);
}

void pk_lm_sd_compute(pk_lm_sd *s, const uint32_t *hist, size_t nh)
{
    const pk_lm *m = s->m;
    for (uint32_t i = 0; i < s->n; i++) s->slot[s->ids[i]] = NONE;
    s->n = 0;
    int64_t ctx[PK_LM_MAX_ORDER + 1];
    int top = contexts(m, hist, nh, ctx);
    double G[PK_LM_MAX_ORDER + 2];
    G[top] = 1;
    for (int o = top; o >= 2; o--) G[o - 1] = G[o] * m->lv[o].gamma[ctx[o]];
    s->G = G[1];
    /* The same additions, in the same order, as pk_lm_dist. */
    for (int o = 2; o <= top; o++) {
        const level *L = &m->lv[o];
        uint32_t ci = (uint32_t)ctx[o];
        for (uint32_t e = L->cfirst[ci]; e < L->cfirst[ci + 1]; e++) {
            uint32_t v = L->etok[e], cn = L->ecnt[e];
            if (s->slot[v] == NONE) {
                s->slot[v] = s->n;
                s->ids[s->n] = v;
                s->p[s->n++] = G[1] * m->p1[v];
            }
            s->p[s->slot[v]] += G[o] * ((double)cn - L->D[cn < 3 ? cn : 3]) * L->inv[ci];
        }
    }
}

double pk_lm_sd_prob(const pk_lm_sd *s, uint32_t id)
{
    if (id >= s->m->V) id = PK_LM_UNK;
    return s->slot[id] != NONE ? s->p[s->slot[id]] : s->G * s->m->p1[id];
}

uint32_t pk_lm_sd_rank(const pk_lm_sd *s, uint32_t id)
{
    const pk_lm *m = s->m;
    double x = pk_lm_sd_prob(s, id);
    /* Tokens whose base value G p1 is above x: a prefix of p1's order
     * (multiplying by G > 0 keeps the order). */
    size_t lo = 0, hi = m->V;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->G * m->p1_sorted[mid] > x) lo = mid + 1;
        else hi = mid;
    }
    int64_t r = 1 + (int64_t)lo;
    for (uint32_t i = 0; i < s->n; i++) { /* listed tokens: their real value */
        uint32_t v = s->ids[i];
        r -= s->G * m->p1[v] > x;
        r += s->p[i] > x;
    }
    return (uint32_t)r;
}

/* Insert v (probability pv) into the top list ids/pp of n (max k),
 * ties to the lower id. */
static void top_insert(uint32_t *ids, double *pp, uint32_t *n, uint32_t k, uint32_t v, double pv)
{
    if (*n == k && !(pv > pp[k - 1] || (pv == pp[k - 1] && v < ids[k - 1]))) return;
    uint32_t j = *n < k ? (*n)++ : k - 1;
    while (j > 0 && (pp[j - 1] < pv || (pp[j - 1] == pv && ids[j - 1] > v))) {
        ids[j] = ids[j - 1];
        pp[j] = pp[j - 1];
        j--;
    }
    ids[j] = v;
    pp[j] = pv;
}

uint32_t pk_lm_sd_topk(const pk_lm_sd *s, uint32_t k, int skip_unk, uint32_t *ids)
{
    const pk_lm *m = s->m;
    double pp[64];
    uint32_t n = 0;
    if (k > 64) k = 64;
    if (k == 0) return 0;
    for (uint32_t i = 0; i < s->n; i++) top_insert(ids, pp, &n, k, s->ids[i], s->p[i]);
    /* Unlisted tokens in p1's order, until k of them are taken and the
     * next one's value is below the last taken (ties may reorder by id). */
    uint32_t taken = 0;
    double last = 0;
    for (uint32_t i = 0; i < m->V; i++) {
        uint32_t v = m->p1_order[i];
        if (s->slot[v] != NONE || (skip_unk && v == PK_LM_UNK)) continue;
        double pv = s->G * m->p1_sorted[i];
        if (taken >= k && pv < last) break;
        top_insert(ids, pp, &n, k, v, pv);
        taken++;
        last = pv;
    }
    return n;
}

void pk_lm_sd_moments(const pk_lm_sd *s, double *mu, double *sigma)
{
    const pk_lm *m = s->m;
    double lg = log(s->G);
    /* Over everything at the base value, then corrected for listed tokens. */
    double m1 = s->G * (lg + m->S1), m2 = s->G * (lg * lg + 2 * lg * m->S1 + m->S2);
    for (uint32_t i = 0; i < s->n; i++) {
        double b = s->G * m->p1[s->ids[i]], lb = lg + log(m->p1[s->ids[i]]), lp = log(s->p[i]);
        m1 += s->p[i] * lp - b * lb;
        m2 += s->p[i] * lp * lp - b * lb * lb;
    }
    *mu = m1;
    double var = m2 - m1 * m1;
    *sigma = var > 0 ? sqrt(var) : 0;
}

void pk_lm_sd_dense(const pk_lm_sd *s, double *p)
{
    for (uint32_t v = 0; v < s->m->V; v++) p[v] = s->G * s->m->p1[v];
    for (uint32_t i = 0; i < s->n; i++) p[s->ids[i]] = s->p[i];
}
