/* scan.c -- find registered works in one document: seed, extend, chain.
 *
 * Seeding: the document is tokenized, its k-gram hashes winnowed with the
 * registry's parameters, and every selected fingerprint looked up in the
 * index.  A fingerprint found in more than max_df works is a stock phrase
 * and seeds nothing.  Each remaining posting is a seed: (document k-gram
 * i, work w, work k-gram j).
 *
 * Extension: from a seed, walk along the diagonal in both directions,
 * comparing the document's k-gram hashes with the work's 16-bit sketch
 * (one per k-gram, stored at registration, no text).  On a mismatch (an
 * edit kills the k k-grams that cover it), look ahead up to GAP k-grams on
 * both sides for the nearest point where two consecutive k-grams agree
 * again, and go on from there: small insertions, deletions and
 * substitutions do not split a passage.  Every matched k-gram covers k
 * tokens on both sides, so passage edges are exact to the token.
 *
 * A false step needs a 16-bit collision (1 in 65536 a step) and a false
 * resynchronization two in a row (1 in 2^32 a try), so passages do not
 * wander into unrelated text.
 *
 * Around every span found, pairs of document k-grams are compared with the
 * work's nearby (densify): pieces of a reworded passage that no
 * fingerprint seeded are found too.  Spans of one work close in the
 * document are then chained into passages (chain_spans), reordered
 * sentences included.  Passages shorter than min_words matched words are
 * dropped; what stays is reported per work with the words matched and the
 * fraction of the work's tokens covered.
 *
 * With normalize_identifiers, the document scanned is its normalization as
 * source code (fmt/code.c), made whole before any windowing, and the
 * offsets found in it are mapped back through the normalization's word
 * map to the document's own bytes at the end; without it, none of this
 * code runs. */
#include "fmt/fmt.h"
#include "pk.h"
#include "simd.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEEDS_PER_WORK 8

/* Documents larger than this are scanned in windows of it, each with
 * SCAN_REACH bytes of context on both sides, so memory stays bounded
 * (about 50 bytes a word of the window, not of the document).  A passage
 * is reported by the window it starts in, which sees it whole when it is
 * shorter than SCAN_REACH (about 170,000 words); longer ones are cut
 * there into passages that touch. */
#ifndef PK_SCAN_WINDOW
#define PK_SCAN_WINDOW ((uint64_t)16 << 20)
#define PK_SCAN_REACH ((uint64_t)1 << 20)
#endif

typedef struct seed {
    uint32_t work;
    uint32_t d; /* document k-gram */
    uint32_t j; /* work k-gram */
    uint32_t strong; /* the neighbour check agreed on a side */
} seed;

/* A work's sketch, and its place maps (lines, pages, scenes: (token,
 * value) pairs), read from the registry; the maps only once a passage of
 * the work is reported. */
enum { MAP_LINES, MAP_PAGES, MAP_SCENES, NMAPS };
typedef struct wcache {
    uint32_t work; /* UINT32_MAX: empty */
    uint32_t nkg;
    int have_maps;
    uint16_t *sk;
    size_t skcap;
    uint32_t *map[NMAPS];
    uint32_t nmap[NMAPS];
    size_t mapcap[NMAPS];
} wcache;
#define WCACHE 64

/* A window of a work's k-gram pairs around a lone seed (lone_seed_agrees). */
#define LONE_REACH 48 /* document k-grams looked at on each side */
#define LONE_BAND 8   /* words inserted or deleted between them */
#define LONE_FAR (LONE_REACH + LONE_BAND)
#define LONE_SETS 8192 /* two windows a set: 3.7 MB, allocated on first use */
typedef struct lone_win {
    uint16_t sk[2 * LONE_FAR + 2]; /* the work's sketch from j - LONE_FAR (zeros outside the work) */
} lone_win;

typedef struct match {
    uint32_t d, j;
} match;

/* A token's bytes in the window: [a, b). */
typedef struct tok_span {
    uint32_t a, b;
} tok_span;

typedef struct span {
    uint32_t d0, d1; /* document k-grams, inclusive */
    uint32_t j0, j1; /* work k-grams, inclusive */
    uint32_t words;
    size_t m0, m1; /* range in the scanner's match array */
} span;

/* Spans of one work chained into one passage (see chain_spans). */
typedef struct chain {
    size_t a, b;     /* spans [a, b) */
    uint32_t d0, d1; /* document k-grams, inclusive */
    uint32_t j0, j1; /* work k-grams, inclusive: the union of the spans' */
    uint32_t words;  /* document words matched (spans overlap little) */
} chain;

struct pk_scanner {
    const pk_index *ix;
    pk_scan_opts o;
    pk_params p;
    pk_buf conv;
    pk_tok *tbuf[2];   /* TOK_ROUND + k tokens each: rounds of the tokenizer, in turn (seed_document) */
    const pk_tok *tone; /* the window's tokens when one round held them all (else NULL, and */
    tok_span *tspan;    /* this holds the bytes of every token of the window) */
    size_t ntok, tokcap;
    size_t ndk; /* document k-grams */
    uint64_t *kg;
    size_t kgbufcap;
    pk_fp *fp;
    uint32_t *fpdf; /* per selected fingerprint: works it is in (0: absent) */
    uint32_t *pass_ix; /* fingerprints that passed the Bloom filters */
    size_t passcap2;
    size_t nfp;
    size_t kgcap;
    seed *seeds;
    size_t nseeds, seedcap;
    seed *seedtmp; /* sort_seeds' other half */
    size_t seedtmpcap;
    match *m;
    size_t nm, mcap;
    match *left;
    size_t leftcap;
    span *spans;
    size_t nspans, spancap;
    chain *chains;
    size_t nchains, chaincap;
    pk_finding *f;
    size_t nf, fcap;
    pk_passage *pass;
    size_t npass, passcap;
    uint32_t *ivals; /* work token intervals for coverage */
    size_t nivals, ivcap;
    uint32_t *dvals; /* document token intervals for matched words */
    size_t ndvals, dvcap;
    uint64_t *runs; /* matched byte runs of all passages, pairs */
    size_t nruns, runcap;
    struct sqlite3 *db;   /* the registry, opened on the first alignment */
    struct sqlite3_blob *blob;
    wcache wc[WCACHE];
    struct sqlite3_blob *lone_blob; /* works.sketch, moved from row to row */
    void *lone;      /* bytes of a work's sketch (lone_seed_agrees) */
    lone_win *lonec; /* 2 * LONE_SETS windows, allocated on first use */
    uint64_t *lonetag; /* theirs: (work + 1) << 32 | j; 0: empty */
    size_t lonecap;
    uint64_t sketch_reads, alignments;
    double seed_s, align_s;
    const char *utf16_u8; /* the document was UTF-16: its UTF-8 conversion */
    /* The window being scanned (scan_window): its place in the prepared
     * text, the absolute number of its first token, and the local byte
     * range whose passages it reports (passages starting elsewhere belong
     * to a neighbouring window). */
    uint64_t win_off, own_a, own_b;
    uint32_t tok_base;
    uint64_t window, reach; /* PK_SCAN_WINDOW, PK_SCAN_REACH; tests change them */
    /* Per finding, its work intervals and absolute document token
     * intervals (pairs in fiv / fdv), so that findings of one work from
     * several windows merge exactly. */
    size_t *fmeta; /* 4 per finding: iv0, iv1, dv0, dv1 (pair indexes) */
    size_t fmetacap;
    uint32_t *fiv, *fdv;
    size_t nfiv, fivcap, nfdv, fdvcap;
    uint64_t **offs;      /* offsets to translate back to UTF-16 bytes */
    size_t offcap;
    pk_code_norm norm;    /* normalize_identifiers: the normalized document */
    uint64_t norm_base;   /* where the normalized bytes begin in the prepared text */
    int threads;          /* windows of one document scanned at once (pk_scanner_set_threads) */
    pk_scanner **helper;  /* threads - 1 scanners of their own, made on first use */
    int nhelpers;
};

void pk_scan_opts_default(pk_scan_opts *o)
{
    o->min_words = 25;
    o->max_df = 10;
    o->tok_flags = 0;
    o->timing = 0;
    o->normalize_identifiers = 0;
    o->thorough = 0;
}

int pk_scanner_new(pk_scanner **out, const pk_index *ix, const pk_scan_opts *o, pk_error *err)
{
    pk_scanner *s = calloc(1, sizeof *s);
    if (!s) return pk_fail(err, PK_ENOMEM, "out of memory");
    s->ix = ix;
    if (o) s->o = *o; else pk_scan_opts_default(&s->o);
    if (s->o.min_words == 0) s->o.min_words = 1;
    pk_index_get_params(ix, &s->p);
    pk_buf_init(&s->conv, 0);
    pk_code_norm_init(&s->norm);
    for (int i = 0; i < WCACHE; i++) s->wc[i].work = UINT32_MAX;
    s->window = PK_SCAN_WINDOW;
    s->reach = PK_SCAN_REACH;
    s->threads = 1;
    *out = s;
    return 0;
}

static int grow(void *pp, size_t *cap, size_t need, size_t sz);

void pk_scanner_free(pk_scanner *s)
{
    if (!s) return;
    pk_buf_free(&s->conv);
    pk_code_norm_free(&s->norm);
    free(s->tbuf[0]);
    free(s->tbuf[1]);
    free(s->tspan);
    free(s->kg);
    free(s->lone);
    free(s->lonec);
    free(s->lonetag);
    if (s->lone_blob) sqlite3_blob_close(s->lone_blob);
    free(s->fp);
    free(s->fpdf);
    free(s->pass_ix);
    free(s->seeds);
    free(s->seedtmp);
    free(s->m);
    free(s->left);
    free(s->spans);
    free(s->chains);
    free(s->f);
    free(s->pass);
    free(s->ivals);
    free(s->dvals);
    free(s->runs);
    free(s->offs);
    free(s->fmeta);
    free(s->fiv);
    free(s->fdv);
    for (int i = 0; i < WCACHE; i++) {
        free(s->wc[i].sk);
        for (int m = 0; m < NMAPS; m++) free(s->wc[i].map[m]);
    }
    if (s->blob) sqlite3_blob_close(s->blob);
    if (s->db) sqlite3_close(s->db);
    for (int i = 0; i < s->nhelpers; i++) pk_scanner_free(s->helper[i]);
    free(s->helper);
    free(s);
}

/* Read column col of work w's registry row into *buf (grown as needed);
 * *n: its size in bytes.  Returns 0, or PK_ENOTFOUND when the work is no
 * longer registered, or another error. */
static int read_blob_range(pk_scanner *s, uint32_t w, const char *col, size_t off, size_t want, void **buf,
                           size_t *cap, size_t *n, pk_error *err);
static int read_blob(pk_scanner *s, uint32_t w, const char *col, void **buf, size_t *cap, size_t *n, pk_error *err)
{
    return read_blob_range(s, w, col, 0, SIZE_MAX, buf, cap, n, err);
}

/* Bytes [off, off + want) of work w's column col (clipped to its length;
 * want SIZE_MAX: to the end), through SQLite's incremental blob I/O, so
 * that a few hundred bytes of a long work's sketch cost no more than
 * that. */
static int read_blob_range(pk_scanner *s, uint32_t w, const char *col, size_t off, size_t want, void **buf,
                           size_t *cap, size_t *n, pk_error *err)
{
    const char *path = pk_index_db_path(s->ix);
    if (!path) return pk_fail(err, PK_EINVAL, "index opened without its registry: no sketches to align with");
    if (!s->db) {
        if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
            int rc = pk_fail(err, PK_EDB, "%s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
            sqlite3_close(s->db);
            s->db = NULL;
            return rc;
        }
        sqlite3_busy_timeout(s->db, 60000);
        /* Sketches are read a window at a time (lone_seed_agrees) all over
         * the registry: map it rather than pread a page per read. */
        sqlite3_exec(s->db, "PRAGMA mmap_size=1073741824", NULL, NULL, NULL);
    }
    if (s->blob) {
        sqlite3_blob_close(s->blob);
        s->blob = NULL;
    }
    int64_t rowid = pk_index_work_rowid(s->ix, w);
    int r = sqlite3_blob_open(s->db, "main", "works", col, rowid, 0, &s->blob);
    if (r != SQLITE_OK) {
        s->blob = NULL;
        if (r == SQLITE_ERROR) return PK_ENOTFOUND; /* the row is gone */
        return pk_fail(err, PK_EDB, "%s: reading work %s: %s", path, pk_index_work_id(s->ix, w), sqlite3_errmsg(s->db));
    }
    size_t len = (size_t)sqlite3_blob_bytes(s->blob);
    off = PK_MIN(off, len);
    len = PK_MIN(len - off, want);
    if (grow(buf, cap, len + 1, 1)) return pk_fail(err, PK_ENOMEM, "out of memory");
    if (len && sqlite3_blob_read(s->blob, *buf, (int)len, (int)off) != SQLITE_OK)
        return pk_fail(err, PK_EDB, "%s: reading work %s: %s", path, pk_index_work_id(s->ix, w), sqlite3_errmsg(s->db));
    *n = len;
    return 0;
}

/* Work w's sketch, from the cache or the registry.  NULL with *rc 0 when
 * the work is gone or changed since the index was built (it is then
 * skipped), NULL with *rc set on an error. */
static wcache *work_data(pk_scanner *s, uint32_t w, int *rc, pk_error *err)
{
    wcache *c = &s->wc[w % WCACHE];
    *rc = 0;
    if (c->work == w) return c;
    c->work = UINT32_MAX;
    c->have_maps = 0;
    size_t n = 0, cap = c->skcap * 2;
    void *p = c->sk;
    int r = read_blob(s, w, "sketch", &p, &cap, &n, err);
    c->sk = p;
    c->skcap = cap / 2;
    if (r) { *rc = r == PK_ENOTFOUND ? 0 : r; return NULL; }
    if (n / 2 != pk_index_work_kgrams(s->ix, w)) return NULL; /* not the work the index knows */
    c->nkg = (uint32_t)(n / 2);
    /* Little-endian u16s: already in host order on the machines picket
     * builds for (the conversion loop was 0.8% of a crawl scan there);
     * a big-endian host converts. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    const uint8_t *b = (const uint8_t *)c->sk;
    for (uint32_t i = 0; i < c->nkg; i++) c->sk[i] = (uint16_t)(b[2 * i] | b[2 * i + 1] << 8);
#endif
    c->work = w;
    s->sketch_reads++;
    return c;
}

/* The place maps of the cached work c. */
static int work_maps(pk_scanner *s, wcache *c, pk_error *err)
{
    static const char *const cols[NMAPS] = {"lines", "pages", "scenes"};
    if (c->have_maps) return 0;
    for (int m = 0; m < NMAPS; m++) {
        size_t n = 0, cap = c->mapcap[m] * 4;
        void *p = c->map[m];
        int r = read_blob(s, c->work, cols[m], &p, &cap, &n, err);
        c->map[m] = p;
        c->mapcap[m] = cap / 4;
        if (r == PK_ENOTFOUND) n = 0; /* removed meanwhile: no places */
        else if (r) return r;
        c->nmap[m] = (uint32_t)(n / 8);
        const uint8_t *b = (const uint8_t *)c->map[m];
        for (uint32_t i = 0; i < 2 * c->nmap[m]; i++)
            c->map[m][i] = (uint32_t)b[4 * i] | (uint32_t)b[4 * i + 1] << 8 | (uint32_t)b[4 * i + 2] << 16 |
                           (uint32_t)b[4 * i + 3] << 24;
    }
    c->have_maps = 1;
    return 0;
}

uint64_t pk_scanner_alignments(const pk_scanner *s)
{
    uint64_t n = s->alignments;
    for (int i = 0; i < s->nhelpers; i++) n += s->helper[i]->alignments;
    return n;
}

void pk_scanner_set_window(pk_scanner *s, uint64_t window, uint64_t reach)
{
    s->window = window;
    s->reach = reach;
}

void pk_scanner_set_threads(pk_scanner *s, int threads) { s->threads = threads < 1 ? 1 : threads; }

void pk_scanner_times(const pk_scanner *s, double *seed_s, double *align_s)
{
    *seed_s = s->seed_s;
    *align_s = s->align_s;
    for (int i = 0; i < s->nhelpers; i++) {
        *seed_s += s->helper[i]->seed_s;
        *align_s += s->helper[i]->align_s;
    }
}

/* The place of the work's token t in map m: the value of the last pair
 * at or before t; 0 before the first (for lines, 1). */
static uint32_t work_place(const wcache *c, int m, uint32_t t)
{
    const uint32_t *l = c->map[m];
    uint32_t lo = 0, hi = c->nmap[m];
    if (hi == 0 || l[0] > t) return m == MAP_LINES ? 1 : 0;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (l[2 * mid] <= t) lo = mid; else hi = mid;
    }
    return l[2 * lo + 1];
}

/* Grow *p (of elements of size sz, capacity *cap) to hold need. */
static int grow(void *pp, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 64;
    while (nc < need) nc *= 2;
    size_t bytes;
    if (!pk_mul_ok(nc, sz, &bytes)) return PK_ENOMEM;
    void *np = realloc(*(void **)pp, bytes);
    if (!np) return PK_ENOMEM;
    *(void **)pp = np;
    *cap = nc;
    return 0;
}

/* Seeds of one work in document order (then by diagonal), so that a seed
 * inside a passage already found is recognized in O(1). */
static int cmp_seed(const void *a, const void *b)
{
    const seed *x = a, *y = b;
    if (x->work != y->work) return x->work < y->work ? -1 : 1;
    if (x->d != y->d) return x->d < y->d ? -1 : 1;
    int64_t dx = (int64_t)x->d - x->j, dy = (int64_t)y->d - y->j;
    return (dx > dy) - (dx < dy);
}

static int cmp_span(const void *a, const void *b)
{
    const span *x = a, *y = b;
    if (x->d0 != y->d0) return x->d0 < y->d0 ? -1 : 1;
    return (x->words < y->words) - (x->words > y->words);
}

static int cmp_u32pair(const void *a, const void *b)
{
    const uint32_t *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* Findings with more matched words first; ties by work id, so the order
 * does not depend on whether a work sits in the index file or its delta.
 * A document holds few findings: an insertion sort that can see the index
 * (qsort's comparator could only through a global, shared by threads). */
static int finding_before(const pk_index *ix, const pk_finding *x, const pk_finding *y)
{
    if (x->matched_words != y->matched_words) return x->matched_words > y->matched_words;
    return strcmp(pk_index_work_id(ix, x->work), pk_index_work_id(ix, y->work)) < 0;
}

static void sort_findings(const pk_index *ix, pk_finding *f, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        pk_finding t = f[i];
        size_t j = i;
        for (; j > 0 && finding_before(ix, &t, &f[j - 1]); j--) f[j] = f[j - 1];
        f[j] = t;
    }
}

#define GAP_EXTRA 8

/* Find the nearest (da, db), 1 <= da, db <= gap, minimizing da + db, where
 * two consecutive k-grams agree again, stepping forward (dir = 1) or
 * backward (dir = -1) from (d, j).  Returns 1 if found.  Most calls fail
 * (a seed from a common 8-gram in unrelated text ends at once on both
 * sides), so the work side's window is copied once into an array where
 * out-of-range slots can never match, and the inner loop only compares. */
#define MAX_GAP 48
static int resync(const uint64_t *K, size_t nd, const uint16_t *W, size_t nw, int64_t d, int64_t j,
                  int dir, uint32_t gap, int64_t *od, int64_t *oj)
{
    uint32_t wv[MAX_GAP + 2];
    if (gap > MAX_GAP) gap = MAX_GAP;
    for (uint32_t db = 1; db <= gap; db++) {
        int64_t b = j + dir * (int64_t)db, b2 = b + dir;
        wv[db] = (b >= 0 && b2 >= 0 && (size_t)b < nw && (size_t)b2 < nw) ? W[b] : UINT32_MAX;
    }
    uint32_t best = 2 * gap + 1;
    int64_t ba = 0, bb = 0;
    for (uint32_t da = 1; da <= gap && da + 1 < best; da++) {
        int64_t a = d + dir * (int64_t)da, a2 = a + dir;
        if (a < 0 || a2 < 0 || (size_t)a >= nd || (size_t)a2 >= nd) break;
        const uint32_t v = pk_sketch16(K[a]);
        const uint32_t lim = PK_MIN(gap, best - da - 1);
        for (uint32_t db = 1; db <= lim; db++) {
            if (wv[db] != v) continue;
            int64_t b = j + dir * (int64_t)db;
            if (pk_sketch16(K[a2]) != W[b + dir]) continue;
            best = da + db;
            ba = a;
            bb = b;
            break;
        }
    }
    if (best > 2 * gap) return 0;
    *od = ba;
    *oj = bb;
    return 1;
}

/* Extend the seed (d, j) both ways; append its matches in increasing
 * order to s->m and describe them in *sp. */
static int extend(pk_scanner *s, const uint16_t *W, size_t nw, uint32_t d, uint32_t j, span *sp)
{
    const uint64_t *K = s->kg; /* sketches: pk_sketch16 of these */
    const size_t nd = s->ndk;
    const uint32_t k = s->p.k;
    const uint32_t gap = k + GAP_EXTRA;
    size_t nl = 0;

    /* Left, collected in decreasing order. */
    int64_t a = d, b = j;
    for (;;) {
        int64_t na = a - 1, nb = b - 1;
        if (na >= 0 && nb >= 0 && pk_sketch16(K[na]) == W[nb]) {
            a = na; b = nb;
        } else if (!resync(K, nd, W, nw, a, b, -1, gap, &a, &b)) {
            break;
        }
        if (grow(&s->left, &s->leftcap, nl + 1, sizeof *s->left)) return PK_ENOMEM;
        s->left[nl].d = (uint32_t)a;
        s->left[nl].j = (uint32_t)b;
        nl++;
    }
    if (grow(&s->m, &s->mcap, s->nm + nl + 1, sizeof *s->m)) return PK_ENOMEM;
    sp->m0 = s->nm;
    for (size_t i = nl; i-- > 0;) s->m[s->nm++] = s->left[i];
    s->m[s->nm].d = d;
    s->m[s->nm].j = j;
    s->nm++;
    /* Right. */
    a = d; b = j;
    for (;;) {
        int64_t na = a + 1, nb = b + 1;
        if ((size_t)na < nd && (size_t)nb < nw && pk_sketch16(K[na]) == W[nb]) {
            a = na; b = nb;
        } else if (!resync(K, nd, W, nw, a, b, 1, gap, &a, &b)) {
            break;
        }
        if (grow(&s->m, &s->mcap, s->nm + 1, sizeof *s->m)) return PK_ENOMEM;
        s->m[s->nm].d = (uint32_t)a;
        s->m[s->nm].j = (uint32_t)b;
        s->nm++;
    }
    sp->m1 = s->nm;
    sp->d0 = s->m[sp->m0].d;
    sp->j0 = s->m[sp->m0].j;
    sp->d1 = s->m[sp->m1 - 1].d;
    sp->j1 = s->m[sp->m1 - 1].j;
    /* Words: document tokens covered by the matched k-grams. */
    uint32_t words = 0, end = 0;
    for (size_t i = sp->m0; i < sp->m1; i++) {
        uint32_t st = PK_MAX(s->m[i].d, end);
        uint32_t en = s->m[i].d + k;
        if (en > st) words += en - st;
        end = PK_MAX(end, en);
    }
    sp->words = words;
    return 0;
}

/* Distinct live works among postings [x, end) of index part ix (in work
 * order), counting at most `limit`: one bisection per work, so a phrase
 * repeated thousands of times inside one work costs log n, not n.
 * dead_ix: skip works removed since the index was compiled (NULL for the
 * delta). */
static uint32_t count_works(const pk_index *ix, const pk_index *dead_ix, size_t x, size_t end, uint32_t limit)
{
    uint32_t df = 0;
    pk_posting p;
    for (size_t y = x; y < end && df < limit; y = pk_index_work_run(ix, y, end))
        df += pk_index_posting(ix, y, &p) == 0 && !(dead_ix && pk_index_work_dead(dead_ix, p.work));
    return df;
}

/* Seeds from postings [x, end) of index part ix: every live work holding
 * the fingerprint, each with at most MAX_SEEDS_PER_WORK of its places (a
 * phrase repeated inside one work must not crowd out the others).  base
 * is added to the work numbers (the delta's works come after the index
 * file's).  A seed is strong when the k-grams k places before or after
 * agree on both sides (the neighbour check of the index entry). */
static int add_seeds(pk_scanner *s, const pk_index *ix, const pk_index *dead_ix, size_t x, size_t end, uint32_t base,
                     uint32_t d, uint16_t nb, pk_error *err)
{
    while (x < end) {
        size_t run = pk_index_work_run(ix, x, end);
        pk_posting p;
        if (pk_index_posting(ix, x, &p) == 0 && !(dead_ix && pk_index_work_dead(dead_ix, p.work))) {
            size_t take = PK_MIN(run - x, (size_t)MAX_SEEDS_PER_WORK);
            if (grow(&s->seeds, &s->seedcap, s->nseeds + take, sizeof *s->seeds)) return pk_fail(err, PK_ENOMEM, "out of memory");
            for (size_t y = x; y < x + take; y++) {
                if (pk_index_posting(ix, y, &p)) continue;
                seed *sd = &s->seeds[s->nseeds++];
                sd->work = p.work + base;
                sd->d = d;
                sd->j = p.pos;
                uint16_t agree = (uint16_t)~(p.nb ^ nb);
                sd->strong = (agree & 0xff) == 0xff || (agree >> 8) == 0xff;
            }
        }
        x = run;
    }
    return 0;
}

/* p[0..a) and p[a..a+b) are increasing fingerprint indexes: merge them
 * in place into one increasing list without duplicates; returns its size. */
static size_t merge_pass(uint32_t *p, size_t a, size_t b)
{
    /* Both lists are short (fingerprints that passed a filter): an
     * insertion merge is fine. */
    size_t n = a;
    for (size_t y = a; y < a + b; y++) {
        uint32_t v = p[y];
        size_t j = n;
        while (j > 0 && p[j - 1] > v) j--;
        if (j > 0 && p[j - 1] == v) continue;
        memmove(p + j + 1, p + j, (n - j) * sizeof *p);
        p[j] = v;
        n++;
    }
    return n;
}

/* Tokenize, hash and winnow the document; collect seeds.
 *
 * The tokenizer runs TOK_ROUND tokens at a time into a buffer that stays
 * in cache, and the k-gram hashes of each round are taken from there;
 * only the k-gram hashes and, when there is more than one round, the
 * tokens' byte ranges (8 bytes each, not the 24 of a pk_tok) are kept
 * for the window.  Tokenizing the whole window first (a 16 MB window of
 * plain text: 3 million tokens, 70 MB) and hashing its k-grams after made
 * both stream through memory: 200 MB of plain text took 0.68 s of CPU,
 * the same text as JSONL 5 kB records (whose tokens stayed in cache
 * anyway) 0.54 s; in rounds, 0.51 s and 0.48 s (AVX-512, best of 5).  A
 * document of one round (nearly every JSONL record) keeps its tokens
 * where they are (tone): copying their ranges out cost JSONL about 5%.
 * Rounds alternate between two buffers, so that the last round is still
 * whole when the tokenizer says there is no other. */
enum { TOK_ROUND = 4096 };

/* Token i's first byte in the window, and the byte after its last. */
static inline uint32_t tok_a(const pk_scanner *s, size_t i)
{
    return s->tone ? (uint32_t)s->tone[i].off : s->tspan[i].a;
}

static inline uint32_t tok_b(const pk_scanner *s, size_t i)
{
    return s->tone ? (uint32_t)(s->tone[i].off + s->tone[i].len) : s->tspan[i].b;
}

#if PK_X86_SIMD
#include <immintrin.h>

/* The ranges of tokens t[0, n) into sp[0, n), eight at a time: the
 * offsets and lengths of eight tokens from three loads and four qword
 * permutes, each range one qword (a | b << 32, the layout of tok_span on
 * this little-endian machine).  The scalar loop took 5% of a plain-text
 * scan (a store a field, 35 million tokens in 200 MB).  Returns how many
 * it wrote (n rounded down to eight). */
__attribute__((target("avx512f"))) static size_t spans_avx512(const pk_tok *t, size_t n, tok_span *sp)
{
    const __m512i offa = _mm512_set_epi64(0, 0, 0, 13, 10, 7, 4, 1), offb = _mm512_set_epi64(14, 11, 8, 4, 3, 2, 1, 0);
    const __m512i lena = _mm512_set_epi64(0, 0, 0, 14, 11, 8, 5, 2), lenb = _mm512_set_epi64(15, 12, 9, 4, 3, 2, 1, 0);
    const __m512i lo32 = _mm512_set1_epi64(0xffffffff);
    size_t i = 0;
    for (; i < n && ((uintptr_t)(sp + i) & 63); i++) {
        sp[i].a = (uint32_t)t[i].off;
        sp[i].b = (uint32_t)(t[i].off + t[i].len);
    }
    for (; i + 8 <= n; i += 8) {
        const uint64_t *q = (const uint64_t *)(const void *)(t + i);
        const __m512i z0 = _mm512_loadu_si512((const void *)q), z1 = _mm512_loadu_si512((const void *)(q + 8));
        const __m512i z2 = _mm512_loadu_si512((const void *)(q + 16));
        /* token j: qwords 3j (hash), 3j + 1 (offset), 3j + 2 (length | line << 32) */
        const __m512i off = _mm512_permutex2var_epi64(_mm512_permutex2var_epi64(z0, offa, z1), offb, z2);
        const __m512i ll = _mm512_permutex2var_epi64(_mm512_permutex2var_epi64(z0, lena, z1), lenb, z2);
        const __m512i end = _mm512_add_epi64(off, _mm512_and_si512(ll, lo32));
        _mm512_stream_si512((void *)(sp + i), _mm512_or_si512(_mm512_and_si512(off, lo32), _mm512_slli_epi64(end, 32)));
    }
    _mm_sfence();
    return i;
}

/* spans_avx512 four tokens at a time for AVX2: three loads, two blends
 * and a qword permute each for the offsets and the lengths, streamed.
 * The scalar loop was 3-5% of a plain-text scan's profile at AVX2 (AMD
 * EPYC, BENCHMARKS.md session 8), this 3.8%; with ordinary stores 4.4%. */
__attribute__((target("avx2"))) static size_t spans_avx2(const pk_tok *t, size_t n, tok_span *sp)
{
    const __m256i lo32 = _mm256_set1_epi64x(0xffffffff);
    size_t i = 0;
    for (; i < n && ((uintptr_t)(sp + i) & 31); i++) {
        sp[i].a = (uint32_t)t[i].off;
        sp[i].b = (uint32_t)(t[i].off + t[i].len);
    }
    for (; i + 4 <= n; i += 4) {
        const __m256i *q = (const __m256i *)(const void *)(t + i);
        /* token j: qwords 3j (hash), 3j + 1 (offset), 3j + 2 (length | line << 32) */
        const __m256i z0 = _mm256_loadu_si256(q), z1 = _mm256_loadu_si256(q + 1), z2 = _mm256_loadu_si256(q + 2);
        /* [off1, off0, off3, off2] and [ll2, ll1, ll0, ll3] */
        const __m256i o = _mm256_blend_epi32(_mm256_blend_epi32(z0, z1, 0xC3), z2, 0x30);
        const __m256i l = _mm256_blend_epi32(_mm256_blend_epi32(z0, z1, 0x0C), z2, 0xC3);
        const __m256i off = _mm256_permute4x64_epi64(o, 0xB1), ll = _mm256_permute4x64_epi64(l, 0xC6);
        const __m256i end = _mm256_add_epi64(off, _mm256_and_si256(ll, lo32));
        /* not through the cache (the window's ranges, 8 bytes a token,
         * are read back only when a passage is reported) */
        _mm256_stream_si256((__m256i *)(void *)(sp + i),
                            _mm256_or_si256(_mm256_and_si256(off, lo32), _mm256_slli_epi64(end, 32)));
    }
    _mm_sfence();
    return i;
}
#endif

/* The ranges of tokens t[0, n), as the window's tokens at, at + 1, ... */
static int keep_spans(pk_scanner *s, size_t at, const pk_tok *t, size_t n, pk_error *err)
{
    if (grow(&s->tspan, &s->tokcap, at + n, sizeof *s->tspan)) return pk_fail(err, PK_ENOMEM, "out of memory");
    tok_span *sp = s->tspan + at;
    size_t i = 0;
#if PK_X86_SIMD && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (pk_simd_level() >= PK_SIMD_AVX512) i = spans_avx512(t, n, sp);
    else if (pk_simd_level() >= PK_SIMD_AVX2) i = spans_avx2(t, n, sp);
#endif
    for (; i < n; i++) {
        sp[i].a = (uint32_t)t[i].off;
        sp[i].b = (uint32_t)(t[i].off + t[i].len);
    }
    return 0;
}

static int seed_document(pk_scanner *s, const char *text, size_t n, pk_error *err)
{
    const uint32_t k = s->p.k;
    s->ntok = 0;
    s->ndk = 0;
    s->nseeds = 0;
    s->nfp = 0;
    s->tone = NULL;
    if (n > UINT32_MAX) return pk_fail(err, PK_ETOOBIG, "scan window over 4 GiB");
    for (int i = 0; i < 2; i++)
        if (!s->tbuf[i] && !(s->tbuf[i] = malloc(((size_t)TOK_ROUND + k) * sizeof *s->tbuf[i])))
            return pk_fail(err, PK_ENOMEM, "out of memory");
    /* No line numbers: passages name lines of the work only.  The text is
     * a window of text already prepared (pk_scan_text). */
    pk_tokenizer tz;
    pk_tokenizer_init(&tz, text, n, s->o.tok_flags | PK_TOK_NOLINES | PK_TOK_PREPARED);
    int cur = 0;     /* the buffer of the round before */
    size_t have = 0; /* its tokens, the first of them token ntok - have */
    for (int round = 0;; round++) {
        /* The last k - 1 tokens of the round before (or all, if fewer)
         * start this one: the k-grams across the rounds. */
        pk_tok *b = s->tbuf[round ? !cur : 0];
        const size_t keep = PK_MIN(have, (size_t)(k ? k - 1 : 0));
        if (round) memcpy(b, s->tbuf[cur] + have - keep, keep * sizeof *b);
        size_t got;
        int rc = pk_tokenize(&tz, b + keep, TOK_ROUND, &got, err);
        if (rc) return rc;
        if (!got) {
            if (round == 1) s->tone = s->tbuf[cur]; /* one round: all the tokens are there */
            break;
        }
        if (round == 1 && (rc = keep_spans(s, 0, s->tbuf[cur], s->ntok, err))) return rc;
        if (round && (rc = keep_spans(s, s->ntok, b + keep, got, err))) return rc;
        s->ntok += got;
        if (s->ntok > UINT32_MAX / 2) return pk_fail(err, PK_ETOOBIG, "text over 2^31 words");
        cur = round ? !cur : 0;
        have = keep + got;
        if (k && have >= k) {
            if (grow(&s->kg, &s->kgbufcap, s->ntok - k + 1, sizeof *s->kg)) return pk_fail(err, PK_ENOMEM, "out of memory");
            pk_kgrams(b, have, k, s->kg + (s->ntok - have));
        }
    }
    s->ndk = s->ntok >= k ? s->ntok - k + 1 : 0;
    if (!s->ndk) return 0;
    size_t cap = s->kgcap;
    if (grow(&s->fp, &cap, s->ndk, sizeof *s->fp)) return pk_fail(err, PK_ENOMEM, "out of memory");
    cap = s->kgcap;
    if (grow(&s->fpdf, &cap, s->ndk, sizeof *s->fpdf)) return pk_fail(err, PK_ENOMEM, "out of memory");
    s->kgcap = cap;
    if (grow(&s->pass_ix, &s->passcap2, 2 * s->ndk, sizeof *s->pass_ix)) return pk_fail(err, PK_ENOMEM, "out of memory");
    size_t nfp = s->nfp = pk_winnow(s->kg, s->ndk, s->p.w, s->fp);
    const pk_index *delta = pk_index_delta(s->ix);
    memset(s->fpdf, 0, nfp * sizeof *s->fpdf);
    /* Only fingerprints that pass a Bloom filter are looked up: those of
     * the index file, then (rarely present) those of the delta. */
    size_t npass = pk_index_filter(s->ix, s->fp, nfp, s->pass_ix);
    if (delta) {
        size_t nd = pk_index_filter(delta, s->fp, nfp, s->pass_ix + npass);
        if (nd) {
            /* Merge the two lists in order, without duplicates. */
            npass = merge_pass(s->pass_ix, npass, nd);
        }
    }
    for (size_t x = 0; x < npass; x++) {
        const size_t i = s->pass_ix[x];
        size_t e, de = 0;
        size_t ne = pk_index_lookup(s->ix, s->fp[i].h, &e), nde = 0;
        if (delta) nde = pk_index_lookup(delta, s->fp[i].h, &de);
        if (!ne && !nde) continue;
        uint32_t df = count_works(s->ix, s->ix, e, e + ne, s->o.max_df + 1);
        if (df <= s->o.max_df && nde) df += count_works(delta, NULL, de, de + nde, s->o.max_df + 1 - df);
        s->fpdf[i] = df;
        if (df == 0 || df > s->o.max_df) continue;
        const uint32_t d = s->fp[i].pos;
        const uint16_t nb = pk_neighbours(s->kg, s->ndk, d, k);
        int rc2 = add_seeds(s, s->ix, s->ix, e, e + ne, 0, d, nb, err);
        if (!rc2 && nde) rc2 = add_seeds(s, delta, NULL, de, de + nde, pk_index_delta_base(s->ix), d, nb, err);
        if (rc2) return rc2;
    }
    return 0;
}

/* Does work group [a, b) (seeds sorted by document k-gram) deserve an
 * alignment?  Yes with a strong seed; and with two seeds at different
 * document k-grams within reach of one passage, since edits can break
 * both neighbours of a true seed but rarely leave it alone.  A lone weak
 * seed is a chance 8-gram: most documents that share an 8-gram with a
 * work share nothing more, and this keeps them from reading its sketch. */
static int worth_aligning(const pk_scanner *s, size_t a, size_t b)
{
    if (s->o.thorough) return 1;
    const uint32_t reach = 4 * (s->o.min_words + s->p.k);
    for (size_t i = a; i < b; i++) {
        if (s->seeds[i].strong) return 1;
        if (i > a && s->seeds[i].d != s->seeds[i - 1].d && s->seeds[i].d - s->seeds[i - 1].d <= reach) return 1;
    }
    return 0;
}

/* Total length of the union of n [start, end) pairs (sorted in place). */
static uint64_t union_length(uint32_t *iv, size_t n)
{
    if (n > 1) qsort(iv, n, 2 * sizeof *iv, cmp_u32pair);
    uint64_t len = 0;
    uint32_t end = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t st = PK_MAX(iv[2 * i], end), en = iv[2 * i + 1];
        if (en > st) len += en - st;
        end = PK_MAX(end, en);
    }
    return len;
}

/* A passage is a stock phrase when at least half of the document's
 * fingerprints inside it that the index knows are in more than max_df
 * works.  Seeds come only from rarer fingerprints, but near the edges of a
 * shared phrase winnowing selects differently in each work, so a stock
 * phrase can still be seeded from its edges; this vote catches that. */
static int is_stock(const pk_scanner *s, uint32_t d0, uint32_t d1)
{
    size_t lo = 0, hi = s->nfp;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->fp[mid].pos < d0) lo = mid + 1; else hi = mid;
    }
    uint32_t found = 0, stock = 0;
    for (size_t i = lo; i < s->nfp && s->fp[i].pos <= d1; i++) {
        if (!s->fpdf[i]) continue;
        found++;
        stock += s->fpdf[i] > s->o.max_df;
    }
    return stock && stock * 2 >= found;
}

static int cmp_match_d(const void *a, const void *b)
{
    const match *x = a, *y = b;
    return (x->d > y->d) - (x->d < y->d);
}

/* Chain the spans of one work (in document order, none mostly inside
 * another) into passages.  Extension stops where no two consecutive
 * k-grams agree within its look-ahead: an edit every eight words or so
 * (heavy rewording, OCR noise) leaves a reused passage as pieces with
 * short gaps between them, and reordered sentences leave pieces whose
 * work ranges jump about inside the passage.  A span joins the chain
 * before it when the document gap is at most CHAIN_GAP tokens and its
 * work range lies within the chain's, widened on each side by CHAIN_GAP
 * plus the chain's document length (reordered text stays inside the
 * passage it came from), unless it covers work a span of the chain
 * already matched (a repeat).  min_words then applies to the chain, so a
 * passage of 40 edited words found as three pieces of 12 is reported,
 * once.  Each piece holds an exact 8-gram of the work (its seed) and two
 * consecutive agreeing k-grams wherever it goes on, so chaining joins
 * what alignment found; it finds nothing new. */
#define CHAIN_GAP 128
static void chain_spans(pk_scanner *s)
{
    const uint32_t k = s->p.k;
    s->nchains = 0;
    for (size_t i = 0; i < s->nspans; i++) {
        const span *c = &s->spans[i];
        if (s->nchains) {
            chain *ch = &s->chains[s->nchains - 1];
            const int64_t gap_d = (int64_t)c->d0 - ((int64_t)ch->d1 + k);
            const int64_t gap = CHAIN_GAP;
            const int64_t reach = gap + ((int64_t)ch->d1 + k - ch->d0);
            /* A repeat (the span covers work the chain already matched,
             * as when a document holds a passage twice) starts a passage
             * of its own. */
            int repeat = 0;
            for (size_t x = ch->b, look = 0; x-- > ch->a && look < 16 && !repeat; look++) {
                const span *p = &s->spans[x];
                const uint32_t lo = PK_MAX(p->j0, c->j0), hi = PK_MIN(p->j1, c->j1) + k;
                repeat = hi > lo && hi - lo >= k;
            }
            if (!repeat && gap_d <= gap && (int64_t)c->j0 >= (int64_t)ch->j0 - reach &&
                (int64_t)c->j1 <= (int64_t)ch->j1 + reach) {
                const uint32_t ov = gap_d < 0 ? (uint32_t)-gap_d : 0;
                ch->words += c->words > ov ? c->words - ov : 0;
                ch->b = i + 1;
                ch->d1 = PK_MAX(ch->d1, c->d1);
                ch->j0 = PK_MIN(ch->j0, c->j0);
                ch->j1 = PK_MAX(ch->j1, c->j1);
                continue;
            }
        }
        chain *ch = &s->chains[s->nchains++];
        *ch = (chain){i, i + 1, c->d0, c->d1, c->j0, c->j1, c->words};
    }
}

/* The span holding document k-gram d, or NULL. */
static const span *span_at(const span *sp, size_t n, uint32_t d)
{
    for (size_t i = 0; i < n; i++)
        if (d >= sp[i].d0 && d <= sp[i].d1) return &sp[i];
    return NULL;
}

/* Seed densely around the spans found.  Winnowing guarantees a seed only
 * in a run of k + w - 1 unchanged words, so in reworded text (an edit
 * every ten words or so) many pieces of the passage that still share two
 * consecutive k-grams (k + 1 words) with the work get no seed, and
 * extension cannot reach them across the edits.  Near each span, within
 * CHAIN_GAP document k-grams of its edge and 2 * CHAIN_GAP work k-grams
 * around the edge's work place, every document k-gram pair is looked up
 * in a table of the work's pairs there; a pair that agrees (32 bits) is
 * extended like a seed, and the spans it yields are looked around in
 * turn.  Unrelated text almost never gets a new span: about CHAIN_GAP *
 * 4 * CHAIN_GAP / 2^32 chances a side, and spans exist only where a seed
 * made the work worth aligning.  Cost: a table of at most 4 * CHAIN_GAP + 1
 * work pairs and CHAIN_GAP lookups a side. */
#define DENSE_LIMIT 256 /* spans looked around, per work and document */
#define DENSE_SLOTS 2048 /* > 2 * (4 * CHAIN_GAP + 1), a power of two */
static int densify(pk_scanner *s, const uint16_t *W, size_t nw, pk_error *err)
{
    const uint64_t *K = s->kg; /* sketches: pk_sketch16 of these */
    const size_t nd = s->ndk;
    if (nd < 2 || nw < 2) return 0;
    uint32_t key[DENSE_SLOTS];
    int32_t pos[DENSE_SLOTS];
    for (size_t i = 0; i < s->nspans && i < DENSE_LIMIT; i++) {
        const span base = s->spans[i];
        for (int side = 0; side < 2; side++) {
            /* The work pairs around this edge of the span. */
            const int64_t je = side ? base.j1 : base.j0;
            const int64_t jlo = PK_MAX((int64_t)0, side ? PK_MAX((int64_t)base.j0, je - 2 * CHAIN_GAP) : je - 2 * CHAIN_GAP);
            const int64_t jhi = PK_MIN((int64_t)nw - 2, side ? je + 2 * CHAIN_GAP : PK_MIN((int64_t)base.j1, je + 2 * CHAIN_GAP));
            if (jlo > jhi) continue;
            for (size_t x = 0; x < DENSE_SLOTS; x++) pos[x] = -1;
            for (int64_t j = jlo; j <= jhi; j++) {
                const uint32_t kv = (uint32_t)W[j] | (uint32_t)W[j + 1] << 16;
                size_t h = (kv * 2654435761u) >> 21 & (DENSE_SLOTS - 1);
                while (pos[h] >= 0 && key[h] != kv) h = (h + 1) & (DENSE_SLOTS - 1);
                if (pos[h] < 0) { key[h] = kv; pos[h] = (int32_t)j; }
            }
            int64_t dlo = side ? (int64_t)base.d1 + 1 : (int64_t)base.d0 - CHAIN_GAP;
            int64_t dhi = side ? (int64_t)base.d1 + CHAIN_GAP : (int64_t)base.d0 - 1;
            dlo = PK_MAX(dlo, (int64_t)0);
            dhi = PK_MIN(dhi, (int64_t)nd - 2);
            for (int64_t d = dlo; d <= dhi; d++) {
                const uint32_t kv = (uint32_t)pk_sketch16(K[d]) | (uint32_t)pk_sketch16(K[d + 1]) << 16;
                size_t h = (kv * 2654435761u) >> 21 & (DENSE_SLOTS - 1);
                while (pos[h] >= 0 && key[h] != kv) h = (h + 1) & (DENSE_SLOTS - 1);
                if (pos[h] < 0) continue;
                /* Inside a span already (this one, or another found)? */
                const span *in = span_at(s->spans, s->nspans, (uint32_t)d);
                if (in) { d = PK_MAX(d, (int64_t)in->d1); continue; }
                if (grow(&s->spans, &s->spancap, s->nspans + 1, sizeof *s->spans)) return pk_fail(err, PK_ENOMEM, "out of memory");
                if (extend(s, W, nw, (uint32_t)d, (uint32_t)pos[h], &s->spans[s->nspans])) return pk_fail(err, PK_ENOMEM, "out of memory");
                d = PK_MAX(d, (int64_t)s->spans[s->nspans].d1);
                s->nspans++;
            }
        }
    }
    return 0;
}

/* Is a chain a passage of min_words or more?  Yes when it matched that
 * many words; and when it spans that many words on both sides and matched
 * at least half of the longer side (and two k-grams' worth), since a
 * noisy copy (OCR errors, typos, an edit every ten words) of a 30-word
 * passage keeps fewer than 25 of its words in runs of k + 1 agreeing
 * words, though the passage is 30 words long.  The density on both sides
 * and the floor keep chance pieces of unrelated text (and of unrelated
 * normalized code, where chance pieces are common) from adding up to a
 * passage: no finding in bench/pan's 10,000 unrelated documents. */
static int long_enough(const pk_scanner *s, const chain *ch)
{
    const uint32_t k = s->p.k, mw = s->o.min_words;
    if (ch->words >= mw) return 1;
    const uint32_t dl = ch->d1 + k - ch->d0, jl = ch->j1 + k - ch->j0;
    return PK_MIN(dl, jl) >= mw && ch->words >= 2 * k && 2 * ch->words >= PK_MAX(dl, jl);
}

/* Align one work's seeds [a, b) into passages and, if any is long enough,
 * one finding. */
static int align_work(pk_scanner *s, size_t a, size_t b, pk_error *err)
{
    const uint32_t w = s->seeds[a].work;
    const uint32_t k = s->p.k;
    int rc = 0;
    s->alignments++;
    wcache *wd = work_data(s, w, &rc, err);
    if (!wd) return rc;
    const uint32_t nw = wd->nkg;
    const uint16_t *W = wd->sk;
    s->nm = 0;
    s->nspans = 0;
    int have_long = 0;
    uint32_t long_d1 = 0;
    for (size_t i = a; i < b; i++) {
        const seed *sd = &s->seeds[i];
        if (sd->j >= nw || sd->d >= s->ndk) continue;
        /* Inside a passage of this work already found?  Seeds come in
         * document order, so one reaching furthest right decides; short
         * spans (a common 8-gram that went nowhere) suppress nothing but a
         * seed on their own diagonal.  Both checks are O(1), so repetitive
         * text ("la la la ...") cannot make this quadratic. */
        if (have_long && sd->d <= long_d1) continue;
        int inside = 0;
        for (size_t x = s->nspans, look = 0; x-- > 0 && look < 8; look++) {
            const span *p = &s->spans[x];
            if (sd->d >= p->d0 && sd->d <= p->d1 && sd->j >= p->j0 && sd->j <= p->j1) { inside = 1; break; }
        }
        if (inside) continue;
        if (grow(&s->spans, &s->spancap, s->nspans + 1, sizeof *s->spans)) return pk_fail(err, PK_ENOMEM, "out of memory");
        if (extend(s, W, nw, sd->d, sd->j, &s->spans[s->nspans])) return pk_fail(err, PK_ENOMEM, "out of memory");
        const span *ns = &s->spans[s->nspans];
        if (ns->words >= s->o.min_words && (!have_long || ns->d1 > long_d1)) {
            have_long = 1;
            long_d1 = ns->d1;
        }
        s->nspans++;
    }
    if (!s->nspans) return 0;
    if ((rc = densify(s, W, nw, err))) return rc;
    /* Where spans overlap in the document (a passage repeated in the work,
     * or two seeds of one passage), keep the one with more words. */
    qsort(s->spans, s->nspans, sizeof *s->spans, cmp_span);
    size_t keep = 0;
    for (size_t i = 0; i < s->nspans; i++) {
        span *c = &s->spans[i];
        if (keep) {
            span *p = &s->spans[keep - 1];
            if (c->d0 <= p->d1) {
                /* Mostly the same stretch of the document: keep the span
                 * with more words.  A few k-grams of overlap (the left
                 * extension of the next passage) keeps both. */
                uint32_t ov = PK_MIN(c->d1, p->d1) - c->d0 + 1;
                uint32_t cl = c->d1 - c->d0 + 1, pl = p->d1 - p->d0 + 1;
                if (ov * 2 >= PK_MIN(cl, pl)) {
                    if (c->words > p->words) *p = *c;
                    continue;
                }
            }
        }
        s->spans[keep++] = *c;
    }
    s->nspans = keep;
    if (grow(&s->chains, &s->chaincap, s->nspans, sizeof *s->chains)) return pk_fail(err, PK_ENOMEM, "out of memory");
    chain_spans(s);

    size_t pass0 = s->npass;
    s->nivals = 0;
    s->ndvals = 0;
    for (size_t i = 0; i < s->nchains; i++) {
        const chain *ch = &s->chains[i];
        if (!long_enough(s, ch) || is_stock(s, ch->d0, ch->d1)) continue;
        const uint32_t t0a = tok_a(s, ch->d0), t1b = tok_b(s, ch->d1 + k - 1);
        if (t0a < s->own_a || t0a >= s->own_b) continue; /* another window's */
        /* The chain's matches in document order. */
        size_t nmm = 0;
        for (size_t x = ch->a; x < ch->b; x++) nmm += s->spans[x].m1 - s->spans[x].m0;
        if (grow(&s->left, &s->leftcap, nmm, sizeof *s->left)) return pk_fail(err, PK_ENOMEM, "out of memory");
        match *mm = s->left;
        nmm = 0;
        for (size_t x = ch->a; x < ch->b; x++)
            for (size_t y = s->spans[x].m0; y < s->spans[x].m1; y++) mm[nmm++] = s->m[y];
        if (ch->b - ch->a > 1) qsort(mm, nmm, sizeof *mm, cmp_match_d);
        if (grow(&s->pass, &s->passcap, s->npass + 1, sizeof *s->pass)) return pk_fail(err, PK_ENOMEM, "out of memory");
        pk_passage *p = &s->pass[s->npass++];
        p->doc_start = s->win_off + t0a;
        p->doc_end = s->win_off + t1b;
        p->work_start_word = ch->j0;
        p->work_end_word = ch->j1 + k;
        if ((rc = work_maps(s, wd, err))) return rc;
        const uint32_t t0w = ch->j0, t1w = ch->j1 + k - 1;
        p->work_start_line = work_place(wd, MAP_LINES, t0w);
        p->work_end_line = work_place(wd, MAP_LINES, t1w);
        p->work_start_page = work_place(wd, MAP_PAGES, t0w);
        p->work_end_page = work_place(wd, MAP_PAGES, t1w);
        p->work_start_scene = work_place(wd, MAP_SCENES, t0w);
        p->work_end_scene = work_place(wd, MAP_SCENES, t1w);
        /* Runs of matched document tokens, as byte ranges (stored as
         * indexes into s->runs until the array stops moving); the words
         * matched are their length in tokens. */
        p->words = 0;
        p->nruns = 0;
        p->runs = (const uint64_t *)(uintptr_t)s->nruns;
        uint32_t rs = mm[0].d, re = rs + k;
        for (size_t x = 1; x <= nmm; x++) {
            if (x < nmm && mm[x].d <= re) {
                re = PK_MAX(re, mm[x].d + k);
                continue;
            }
            if (grow(&s->runs, &s->runcap, 2 * (s->nruns + 1), sizeof *s->runs)) return pk_fail(err, PK_ENOMEM, "out of memory");
            s->runs[2 * s->nruns] = s->win_off + tok_a(s, rs);
            s->runs[2 * s->nruns + 1] = s->win_off + tok_b(s, re - 1);
            s->nruns++;
            p->nruns++;
            p->words += re - rs;
            if (x < nmm) { rs = mm[x].d; re = rs + k; }
        }
        for (size_t x = 0; x < nmm; x++) {
            if (grow(&s->ivals, &s->ivcap, 2 * (s->nivals + 1), sizeof *s->ivals)) return pk_fail(err, PK_ENOMEM, "out of memory");
            s->ivals[2 * s->nivals] = mm[x].j;
            s->ivals[2 * s->nivals + 1] = mm[x].j + k;
            s->nivals++;
            if (grow(&s->dvals, &s->dvcap, 2 * (s->ndvals + 1), sizeof *s->dvals)) return pk_fail(err, PK_ENOMEM, "out of memory");
            s->dvals[2 * s->ndvals] = mm[x].d;
            s->dvals[2 * s->ndvals + 1] = mm[x].d + k;
            s->ndvals++;
        }
    }
    if (s->npass == pass0) return 0;
    /* Coverage: the union of matched work token intervals; matched words:
     * the union of matched document token intervals (passages that touch
     * are not counted twice). */
    uint64_t covered = union_length(s->ivals, s->nivals);
    uint32_t total = (uint32_t)union_length(s->dvals, s->ndvals);
    if (grow(&s->f, &s->fcap, s->nf + 1, sizeof *s->f) || grow(&s->fmeta, &s->fmetacap, 4 * (s->nf + 1), sizeof *s->fmeta) ||
        grow(&s->fiv, &s->fivcap, 2 * (s->nfiv + s->nivals), sizeof *s->fiv) ||
        grow(&s->fdv, &s->fdvcap, 2 * (s->nfdv + s->ndvals), sizeof *s->fdv))
        return pk_fail(err, PK_ENOMEM, "out of memory");
    size_t *fm = &s->fmeta[4 * s->nf];
    fm[0] = s->nfiv;
    memcpy(s->fiv + 2 * s->nfiv, s->ivals, 2 * s->nivals * sizeof *s->fiv);
    s->nfiv += s->nivals;
    fm[1] = s->nfiv;
    fm[2] = s->nfdv;
    for (size_t i = 0; i < 2 * s->ndvals; i++) s->fdv[2 * s->nfdv + i] = s->tok_base + s->dvals[i];
    s->nfdv += s->ndvals;
    fm[3] = s->nfdv;
    pk_finding *f = &s->f[s->nf++];
    uint32_t wt = pk_index_work_tokens(s->ix, w);
    f->work = w;
    f->matched_words = total;
    f->coverage = wt ? (double)covered / wt : 0.0;
    if (f->coverage > 1.0) f->coverage = 1.0;
    f->npassages = s->npass - pass0;
    f->passages = (pk_passage *)(uintptr_t)pass0; /* fixed up once s->pass stops moving */
    return 0;
}

static int cmp_offp(const void *a, const void *b)
{
    uint64_t x = **(uint64_t *const *)a, y = **(uint64_t *const *)b;
    return (x > y) - (x < y);
}

/* The document was UTF-16 and was scanned as UTF-8: turn every reported
 * offset back into a byte offset of the UTF-16 input, in one sweep over
 * the sorted offsets. */
static int offsets_to_utf16(pk_scanner *s)
{
    size_t no = 0, need = 2 * s->npass + 2 * s->nruns;
    if (grow(&s->offs, &s->offcap, need + 1, sizeof *s->offs)) return PK_ENOMEM;
    for (size_t i = 0; i < s->npass; i++) {
        s->offs[no++] = &s->pass[i].doc_start;
        s->offs[no++] = &s->pass[i].doc_end;
    }
    for (size_t i = 0; i < 2 * s->nruns; i++) s->offs[no++] = &s->runs[i];
    if (no > 1) qsort(s->offs, no, sizeof *s->offs, cmp_offp);
    const uint8_t *u = (const uint8_t *)s->utf16_u8;
    uint64_t at = 0, units = 0;
    for (size_t i = 0; i < no; i++) {
        uint64_t target = *s->offs[i];
        while (at < target) {
            uint8_t c = u[at];
            size_t l = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
            units += l == 4 ? 2 : 1;
            at += l;
        }
        *s->offs[i] = 2 + 2 * units; /* after the byte-order mark */
    }
    return 0;
}

static int align_document(pk_scanner *s, pk_error *err);

/* Scan t[a, b) of the prepared text, reporting passages that start in
 * [own_a, own_b). */
static int scan_window(pk_scanner *s, const char *t, uint64_t a, uint64_t b, uint64_t own_a, uint64_t own_b,
                       pk_error *err)
{
    s->win_off = a;
    s->own_a = own_a - a;
    s->own_b = own_b - a;
    const int timing = s->o.timing;
    const double t0 = timing ? pk_now() : 0;
    int rc = seed_document(s, t + a, (size_t)(b - a), err);
    const double t1 = timing ? pk_now() : 0;
    s->seed_s += t1 - t0;
    if (rc || !s->nseeds) return rc;
    rc = align_document(s, err);
    if (timing) s->align_s += pk_now() - t1;
    return rc;
}

/* A place to cut the text near p (p <= n): the first byte at or after p
 * that follows white space and starts a word that no hyphen at a line end
 * joins to the one before, so every window tokenizes its words as the
 * whole document does.  A text with no such place within a mebibyte is cut
 * at a character boundary. */
static uint64_t cut_at(const char *t, uint64_t n, uint64_t p)
{
    const uint64_t limit = PK_MIN(n, p + ((uint64_t)1 << 20));
    for (uint64_t q = p; q < limit; q++) {
        if (q == 0) continue;
        char c = t[q - 1];
        if (c != ' ' && c != '\n' && c != '\t' && c != '\r') continue;
        if (t[q] == ' ' || t[q] == '\n' || t[q] == '\t' || t[q] == '\r') continue;
        uint64_t r = q - 1;
        while (r > 0 && (t[r] == ' ' || t[r] == '\n' || t[r] == '\t' || t[r] == '\r')) r--;
        if (t[r] == '-') continue;
        return q;
    }
    uint64_t q = limit;
    while (q < n && ((unsigned char)t[q] & 0xC0) == 0x80) q++;
    return q;
}

static int cmp_fidx(const void *a, const void *b)
{
    const uint32_t *x = a, *y = b;
    if (x[0] != y[0]) return x[0] < y[0] ? -1 : 1;
    return (x[1] > y[1]) - (x[1] < y[1]);
}

/* Findings of one work from several windows become one: passages in
 * document order, matched words and coverage from the union of all their
 * intervals. */
static int merge_windows(pk_scanner *s)
{
    int rc = PK_ENOMEM;
    uint32_t *order = malloc((s->nf + 1) * 2 * sizeof *order);
    pk_finding *nf = malloc((s->nf + 1) * sizeof *nf);
    pk_passage *np = malloc((s->npass + 1) * sizeof *np);
    uint32_t *iv = NULL, *dv = NULL;
    size_t ivcap = 0, dvcap = 0;
    if (!order || !nf || !np) goto done;
    for (size_t i = 0; i < s->nf; i++) {
        order[2 * i] = s->f[i].work;
        order[2 * i + 1] = (uint32_t)i;
    }
    qsort(order, s->nf, 2 * sizeof *order, cmp_fidx);
    size_t nout = 0, npout = 0;
    for (size_t a = 0; a < s->nf;) {
        size_t b = a + 1;
        while (b < s->nf && order[2 * b] == order[2 * a]) b++;
        size_t niv = 0, ndv = 0;
        pk_finding *o = &nf[nout++];
        *o = s->f[order[2 * a + 1]];
        o->passages = (pk_passage *)(uintptr_t)npout;
        o->npassages = 0;
        for (size_t x = a; x < b; x++) {
            const size_t fi = order[2 * x + 1];
            const pk_finding *f = &s->f[fi];
            memcpy(np + npout, s->pass + (uintptr_t)f->passages, f->npassages * sizeof *np);
            npout += f->npassages;
            o->npassages += f->npassages;
            const size_t *fm = &s->fmeta[4 * fi];
            if (grow(&iv, &ivcap, 2 * (niv + fm[1] - fm[0]) + 2, sizeof *iv) ||
                grow(&dv, &dvcap, 2 * (ndv + fm[3] - fm[2]) + 2, sizeof *dv))
                goto done;
            memcpy(iv + 2 * niv, s->fiv + 2 * fm[0], 2 * (fm[1] - fm[0]) * sizeof *iv);
            niv += fm[1] - fm[0];
            memcpy(dv + 2 * ndv, s->fdv + 2 * fm[2], 2 * (fm[3] - fm[2]) * sizeof *dv);
            ndv += fm[3] - fm[2];
        }
        uint32_t wt = pk_index_work_tokens(s->ix, o->work);
        o->matched_words = (uint32_t)union_length(dv, ndv);
        o->coverage = wt ? (double)union_length(iv, niv) / wt : 0.0;
        if (o->coverage > 1.0) o->coverage = 1.0;
        a = b;
    }
    memcpy(s->f, nf, nout * sizeof *nf);
    memcpy(s->pass, np, npout * sizeof *np);
    s->nf = nout;
    s->npass = npout;
    rc = 0;
done:
    free(order);
    free(nf);
    free(np);
    free(iv);
    free(dv);
    return rc;
}


/* normalize_identifiers: replace the prepared text t[skip, tn) by its
 * normalization as code (invalid UTF-8 refused as the tokenizer would,
 * unless lossy). */
static int normalize_document(pk_scanner *s, const char **t, size_t *tn, size_t *skip, pk_error *err)
{
    const double t0 = s->o.timing ? pk_now() : 0;
    const char *src = *t + *skip;
    const size_t n = *tn - *skip;
    size_t invalid, first, nul;
    if (!(s->o.tok_flags & PK_TOK_LOSSY) && !pk_code_check_utf8(src, n, &invalid, &first, &nul) && invalid)
        return pk_fail(err, PK_EUTF8, "invalid UTF-8 at byte %zu", *skip + first);
    int rc = pk_code_normalize(&s->norm, src, n, err);
    if (rc) return rc;
    s->norm_base = *skip;
    *t = s->norm.text.data ? s->norm.text.data : "";
    *tn = s->norm.text.len;
    *skip = 0;
    if (s->o.timing) s->seed_s += pk_now() - t0;
    return 0;
}

/* Offsets found in the normalized document back to the prepared text. */
static void offsets_from_normalized(pk_scanner *s)
{
    const pk_code_norm *cn = &s->norm;
    const uint64_t b = s->norm_base;
    for (size_t i = 0; i < s->npass; i++) {
        s->pass[i].doc_start = b + pk_code_map_start(cn, s->pass[i].doc_start);
        s->pass[i].doc_end = b + pk_code_map_end(cn, s->pass[i].doc_end);
    }
    for (size_t i = 0; i < s->nruns; i++) {
        s->runs[2 * i] = b + pk_code_map_start(cn, s->runs[2 * i]);
        s->runs[2 * i + 1] = b + pk_code_map_end(cn, s->runs[2 * i + 1]);
    }
}

/* Windows of one document on several threads (pk_scanner_set_threads).
 * Each window is scanned as the sequential loop scans it, by whichever
 * scanner takes it next (the document's or a helper), into that
 * scanner's arrays; the results are then put together in window order,
 * each window's document token intervals moved by the tokens of the
 * windows before it, which the sequential loop knew as it went (tok_base)
 * and this learns from each window's count.  So the findings are the
 * same, to the byte, whatever the number of threads (test_scan). */
typedef struct win_task {
    uint64_t a, b, own_a, own_b, next_a;
    pk_scanner *sc;                      /* the scanner that took it */
    size_t f0, f1, p0, p1, r0, r1, i0, i1, d0, d1; /* its results in sc's arrays */
    uint64_t count;                      /* its tokens before next_a */
    int rc;
    pk_error err;
} win_task;

typedef struct win_pool {
    const char *t;
    win_task *w;
    size_t n;
    atomic_size_t next;
    atomic_int failed;
} win_pool;

typedef struct win_thread {
    win_pool *pool;
    pk_scanner *sc;
} win_thread;

static void run_windows(win_pool *p, pk_scanner *sc)
{
    for (;;) {
        if (atomic_load(&p->failed)) return;
        const size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n) return;
        win_task *w = &p->w[i];
        w->sc = sc;
        w->f0 = sc->nf, w->p0 = sc->npass, w->r0 = sc->nruns, w->i0 = sc->nfiv, w->d0 = sc->nfdv;
        sc->tok_base = 0; /* added when the windows are put together */
        w->rc = scan_window(sc, p->t, w->a, w->b, w->own_a, w->own_b, &w->err);
        w->f1 = sc->nf, w->p1 = sc->npass, w->r1 = sc->nruns, w->i1 = sc->nfiv, w->d1 = sc->nfdv;
        if (w->rc) {
            atomic_store(&p->failed, 1);
            return;
        }
        size_t lo = 0, hi = sc->ntok;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (w->a + tok_a(sc, mid) < w->next_a) lo = mid + 1; else hi = mid;
        }
        w->count = lo;
    }
}

static void *win_thread_main(void *arg)
{
    win_thread *t = arg;
    run_windows(t->pool, t->sc);
    return NULL;
}

/* The windows' results, in window order, as s's findings. */
static int gather_windows(pk_scanner *s, const win_task *w, size_t n)
{
    size_t nf = 0, np = 0, nr = 0, ni = 0, nd = 0;
    for (size_t i = 0; i < n; i++) {
        nf += w[i].f1 - w[i].f0, np += w[i].p1 - w[i].p0, nr += w[i].r1 - w[i].r0;
        ni += w[i].i1 - w[i].i0, nd += w[i].d1 - w[i].d0;
    }
    pk_finding *f = malloc((nf + 1) * sizeof *f);
    size_t *fm = malloc((4 * nf + 1) * sizeof *fm);
    pk_passage *pa = malloc((np + 1) * sizeof *pa);
    uint64_t *ru = malloc((2 * nr + 1) * sizeof *ru);
    uint32_t *iv = malloc((2 * ni + 1) * sizeof *iv), *dv = malloc((2 * nd + 1) * sizeof *dv);
    if (!f || !fm || !pa || !ru || !iv || !dv) {
        free(f), free(fm), free(pa), free(ru), free(iv), free(dv);
        return PK_ENOMEM;
    }
    size_t xf = 0, xp = 0, xr = 0, xi = 0, xd = 0;
    uint64_t base = 0;
    for (size_t i = 0; i < n; i++) {
        const pk_scanner *c = w[i].sc;
        for (size_t x = w[i].p0; x < w[i].p1; x++) {
            pa[xp + x - w[i].p0] = c->pass[x];
            pa[xp + x - w[i].p0].runs = (const uint64_t *)(uintptr_t)((uintptr_t)c->pass[x].runs - w[i].r0 + xr);
        }
        /* (a scanner that found nothing yet may have no arrays at all) */
        if (w[i].r1 > w[i].r0) memcpy(ru + 2 * xr, c->runs + 2 * w[i].r0, 2 * (w[i].r1 - w[i].r0) * sizeof *ru);
        if (w[i].i1 > w[i].i0) memcpy(iv + 2 * xi, c->fiv + 2 * w[i].i0, 2 * (w[i].i1 - w[i].i0) * sizeof *iv);
        for (size_t x = 2 * w[i].d0; x < 2 * w[i].d1; x++) dv[2 * xd + x - 2 * w[i].d0] = (uint32_t)(base + c->fdv[x]);
        for (size_t x = w[i].f0; x < w[i].f1; x++) {
            pk_finding *g = &f[xf + x - w[i].f0];
            *g = c->f[x];
            g->passages = (pk_passage *)(uintptr_t)((uintptr_t)c->f[x].passages - w[i].p0 + xp);
            const size_t *m = &c->fmeta[4 * x];
            size_t *o = &fm[4 * (xf + x - w[i].f0)];
            o[0] = m[0] - w[i].i0 + xi, o[1] = m[1] - w[i].i0 + xi;
            o[2] = m[2] - w[i].d0 + xd, o[3] = m[3] - w[i].d0 + xd;
        }
        xf += w[i].f1 - w[i].f0, xp += w[i].p1 - w[i].p0, xr += w[i].r1 - w[i].r0;
        xi += w[i].i1 - w[i].i0, xd += w[i].d1 - w[i].d0;
        base += w[i].count;
    }
    free(s->f), free(s->fmeta), free(s->pass), free(s->runs), free(s->fiv), free(s->fdv);
    s->f = f, s->nf = nf, s->fcap = nf + 1;
    s->fmeta = fm, s->fmetacap = 4 * nf + 1;
    s->pass = pa, s->npass = np, s->passcap = np + 1;
    s->runs = ru, s->nruns = nr, s->runcap = 2 * nr + 1;
    s->fiv = iv, s->nfiv = ni, s->fivcap = 2 * ni + 1;
    s->fdv = dv, s->nfdv = nd, s->fdvcap = 2 * nd + 1;
    return 0;
}

/* Scan the windows w[0, n) of t on s and its helpers, threads of them at
 * once; their findings end in s as the sequential loop leaves them. */
static int scan_windows_parallel(pk_scanner *s, const char *t, win_task *w, size_t n, pk_error *err)
{
    const int nth = (int)PK_MIN((size_t)s->threads, n);
    if (s->nhelpers < nth - 1) {
        pk_scanner **h = realloc(s->helper, (size_t)(nth - 1) * sizeof *h);
        if (!h) return pk_fail(err, PK_ENOMEM, "out of memory");
        s->helper = h;
        for (; s->nhelpers < nth - 1; s->nhelpers++) {
            int rc = pk_scanner_new(&s->helper[s->nhelpers], s->ix, &s->o, err);
            if (rc) return rc;
        }
    }
    for (int i = 0; i < nth - 1; i++) {
        pk_scanner *h = s->helper[i];
        h->nf = h->npass = h->nruns = h->nfiv = h->nfdv = 0;
        h->window = s->window, h->reach = s->reach;
    }
    win_pool pool;
    pool.t = t;
    pool.w = w;
    pool.n = n;
    atomic_init(&pool.next, 0);
    atomic_init(&pool.failed, 0);
    win_thread th[256];
    pthread_t tid[256];
    int started = 0;
    for (int i = 0; i < nth - 1 && i < 256; i++) {
        th[i].pool = &pool;
        th[i].sc = s->helper[i];
        if (pthread_create(&tid[i], NULL, win_thread_main, &th[i]) != 0) break;
        started++;
    }
    run_windows(&pool, s);
    for (int i = 0; i < started; i++) pthread_join(tid[i], NULL);
    for (size_t i = 0; i < n; i++)
        if (w[i].rc) {
            if (err) *err = w[i].err;
            return w[i].rc;
        }
    if (atomic_load(&pool.next) < n) return pk_fail(err, PK_EINTERNAL, "windows left unscanned");
    return gather_windows(s, w, n) ? pk_fail(err, PK_ENOMEM, "out of memory") : 0;
}

int pk_scan_text(pk_scanner *s, const char *text, size_t n, pk_finding **out, size_t *nout,
                 pk_error *err)
{
    int rc;
    *out = NULL;
    *nout = 0;
    s->nf = 0;
    s->npass = 0;
    s->nruns = 0;
    s->nfiv = 0;
    s->nfdv = 0;
    const char *t;
    size_t tn, skip;
    if ((rc = pk_text_prepare(text, n, &s->conv, &t, &tn, &skip, err))) return rc;
    s->utf16_u8 = t != text ? t : NULL;
    if (s->o.normalize_identifiers && (rc = normalize_document(s, &t, &tn, &skip, err))) return rc;
    size_t windows = 0;
    if (tn - skip <= s->window + 2 * s->reach) {
        s->tok_base = 0;
        rc = scan_window(s, t, skip, tn, skip, tn, err);
        windows = 1;
    } else if (s->threads > 1) {
        /* The same windows as below, cut first, then scanned at once. */
        win_task *w = NULL;
        size_t nw = 0, cap = 0;
        for (uint64_t own_a = skip; own_a < tn;) {
            uint64_t own_b = own_a + s->window + s->reach >= tn ? tn : cut_at(t, tn, own_a + s->window);
            uint64_t a = own_a - skip > s->reach ? cut_at(t, tn, own_a - s->reach) : skip;
            if (a > own_a) a = own_a;
            uint64_t b = own_b >= tn ? tn : cut_at(t, tn, own_b + s->reach);
            uint64_t next_a = own_b - skip > s->reach ? cut_at(t, tn, own_b - s->reach) : skip;
            if (next_a > own_b) next_a = own_b;
            if (grow(&w, &cap, nw + 1, sizeof *w)) {
                free(w);
                return pk_fail(err, PK_ENOMEM, "out of memory");
            }
            memset(&w[nw], 0, sizeof w[nw]);
            w[nw].a = a, w[nw].b = b, w[nw].own_a = own_a, w[nw].own_b = own_b, w[nw].next_a = next_a;
            nw++;
            own_a = own_b;
        }
        rc = scan_windows_parallel(s, t, w, nw, err);
        windows = nw;
        free(w);
    } else {
        uint64_t own_a = skip, base = 0;
        while (own_a < tn && !rc) {
            uint64_t own_b = own_a + s->window + s->reach >= tn ? tn : cut_at(t, tn, own_a + s->window);
            uint64_t a = own_a - skip > s->reach ? cut_at(t, tn, own_a - s->reach) : skip;
            if (a > own_a) a = own_a;
            uint64_t b = own_b >= tn ? tn : cut_at(t, tn, own_b + s->reach);
            s->tok_base = (uint32_t)base;
            rc = scan_window(s, t, a, b, own_a, own_b, err);
            windows++;
            /* The next window starts at its own context: count the tokens
             * of this window before it. */
            uint64_t next_a = own_b - skip > s->reach ? cut_at(t, tn, own_b - s->reach) : skip;
            if (next_a > own_b) next_a = own_b;
            size_t lo = 0, hi = s->ntok;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (a + tok_a(s, mid) < next_a) lo = mid + 1; else hi = mid;
            }
            base += lo;
            own_a = own_b;
        }
    }
    if (rc) return rc;
    if (windows > 1 && s->nf > 1 && merge_windows(s)) return pk_fail(err, PK_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->npass; i++) s->pass[i].runs = s->runs + 2 * (uintptr_t)s->pass[i].runs;
    if (s->o.normalize_identifiers) offsets_from_normalized(s);
    if (s->utf16_u8 && s->npass && offsets_to_utf16(s)) return pk_fail(err, PK_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->nf; i++) s->f[i].passages = s->pass + (uintptr_t)s->f[i].passages;
    sort_findings(s->ix, s->f, s->nf);
    *out = s->f;
    *nout = s->nf;
    return 0;
}

#define LONE_SEEDS 4 /* weak seeds of one work looked at */

/* The band of lone_seed_agrees: is there a document k-gram x = d -
 * LONE_REACH + t (t in [0, LONE_T), allowed by the mask) and a work
 * k-gram g = j - LONE_FAR + t + u (u in [0, 2 * LONE_BAND], g and g + 1
 * in the work) with sketch W[t + u] == D[t] and W[t + u + 1] == D[t + 1]?
 * W: the 2 * LONE_FAR + 2 sketch values from j - LONE_FAR; D: LONE_T + 1
 * values from d - LONE_REACH (both readable throughout, whatever they
 * hold outside the work and the document).  allow: bit t of the 128-bit
 * mask (lo, hi) for the document k-grams looked at; wok: bit y for the
 * work pairs that exist (g = j - LONE_FAR + y and g + 1 both in the
 * work).  The loop this replaces (17 compares per document k-gram,
 * pairs packed in 32 bits) took 6% of a crawl scan with AVX-512, a first
 * vectorized form still 6%; now AVX-512 and AVX2 compare all of it in
 * masks and the other levels filter with a bit map first.  Every level
 * gives the same answer (test_scan: lone_band_same_on_every_level calls
 * it through pk_lone_band). */
#define LONE_T (2 * LONE_REACH + 1)
#define LONE_W (2 * LONE_FAR + 2)
#define BAND_T 128 /* bits in a band_mask */
typedef struct band_mask {
    uint64_t lo, hi;
} band_mask;

static inline int bit128(band_mask m, unsigned i)
{
    return i < 64 ? (int)(m.lo >> i & 1) : i < 128 ? (int)(m.hi >> (i - 64) & 1) : 0;
}

/* The bits below a of a 128-bit mask (a <= 128). */
static inline band_mask below128(unsigned a)
{
    band_mask m;
    m.lo = a >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << a) - 1;
    m.hi = a >= 128 ? ~(uint64_t)0 : a <= 64 ? 0 : ((uint64_t)1 << (a - 64)) - 1;
    return m;
}

/* The bits [a, b) of a 128-bit mask (a <= b <= 128). */
static inline band_mask range128(unsigned a, unsigned b)
{
    const band_mask x = below128(b), y = below128(a);
    band_mask m = {x.lo & ~y.lo, x.hi & ~y.hi};
    return m;
}

/* Portable: a 1,024-entry map of the window's values (their low 10 bits)
 * rules out nearly every document k-gram with no branch (sketch values
 * are uniform: a chance pass is about 114 / 1024 a value, both values of
 * a pair about 1 in 80), and only the few it passes are compared along
 * the band.  The 17 compares at every k-gram, written for the compiler
 * to vectorize, cost the AVX2 level 19% of a crawl scan. */
static int band_portable(const uint16_t *W, const uint16_t *D, band_mask allow, band_mask wok)
{
    uint8_t map[1024]; /* a byte a value: stores that do not wait on each other */
    memset(map, 0, sizeof map);
    for (unsigned y = 0; y < LONE_W; y++) map[W[y] & 1023] = 1;
    uint64_t c0 = 0, c1 = 0; /* bit t: D[t] is in the map */
    for (unsigned t = 0; t < 64; t++) c0 |= (uint64_t)map[D[t] & 1023] << t;
    for (unsigned t = 64; t <= LONE_T; t++) c1 |= (uint64_t)map[D[t] & 1023] << (t - 64);
    band_mask cand = {c0 & (c0 >> 1 | c1 << 63) & allow.lo, c1 & (c1 >> 1) & allow.hi};
    for (int half = 0; half < 2; half++) {
        for (uint64_t m = half ? cand.hi : cand.lo; m; m &= m - 1) {
            const unsigned t = (unsigned)__builtin_ctzll(m) + 64 * (unsigned)half;
            for (unsigned u = 0; u <= 2 * LONE_BAND; u++)
                if (bit128(wok, t + u) && W[t + u] == D[t] && W[t + u + 1] == D[t + 1]) return 1;
        }
    }
    return 0;
}

#if PK_X86_SIMD
/* AVX-512: the compares land in bit masks, t in two 64-bit halves. */
__attribute__((target("avx512f,avx512bw,avx512vl,avx2,bmi,bmi2"))) static int band_avx512(const uint16_t *W,
                                                                                         const uint16_t *D,
                                                                                         band_mask allow,
                                                                                         band_mask wok)
{
    const __mmask32 two = 3; /* t = 96 and 97: the last pair */
    const __m512i d0 = _mm512_loadu_si512((const void *)D), d1 = _mm512_loadu_si512((const void *)(D + 32));
    const __m512i d2 = _mm512_loadu_si512((const void *)(D + 64));
    const __m512i d3 = _mm512_maskz_loadu_epi16(two, D + 96);
    /* A pair that agrees starts with a value that does: nearly always
     * (1,649 compares of uniform 16-bit values: 97.5% of chance seeds)
     * no value agrees anywhere in the band, found with the compares
     * alone, before any mask work. */
    uint32_t any = 0;
    for (unsigned u = 0; u <= 2 * LONE_BAND; u++) {
        const uint16_t *p = W + u;
        any |= _mm512_cmpeq_epi16_mask(_mm512_loadu_si512((const void *)p), d0) |
               _mm512_cmpeq_epi16_mask(_mm512_loadu_si512((const void *)(p + 32)), d1) |
               _mm512_cmpeq_epi16_mask(_mm512_loadu_si512((const void *)(p + 64)), d2) |
               _mm512_mask_cmpeq_epi16_mask(two, _mm512_maskz_loadu_epi16(two, p + 96), d3);
    }
    if (!any) return 0;
    uint64_t lo = 0, hi = 0, wlo = wok.lo, whi = wok.hi;
    for (unsigned u = 0; u <= 2 * LONE_BAND; u++) {
        const uint16_t *p = W + u; /* p[0 .. 98) readable: u + 97 < LONE_W */
        const uint64_t e0 = _mm512_cmpeq_epi16_mask(_mm512_loadu_si512((const void *)p), d0);
        const uint64_t e1 = _mm512_cmpeq_epi16_mask(_mm512_loadu_si512((const void *)(p + 32)), d1);
        const uint64_t e2 = _mm512_cmpeq_epi16_mask(_mm512_loadu_si512((const void *)(p + 64)), d2);
        const uint64_t e3 = _mm512_mask_cmpeq_epi16_mask(two, _mm512_maskz_loadu_epi16(two, p + 96), d3);
        const uint64_t l = e0 | e1 << 32, h = e2 | e3 << 32;
        lo |= l & (l >> 1 | h << 63) & wlo;
        hi |= h & (h >> 1) & whi;
        wlo = wlo >> 1 | whi << 63; /* bit t: the pair at t + u + 1 */
        whi >>= 1;
    }
    return ((lo & allow.lo) | (hi & allow.hi)) != 0;
}
#endif

#if PK_X86_SIMD
/* AVX2: band_avx512 with 16 values a compare; two compares' results
 * packed to bytes (and the 128-bit lanes put back in order) give 32 mask
 * bits a movemask.  The last two values (96, 97) are compared one by
 * one.  On the AMD EPYC (Zen 3) VM of BENCHMARKS.md, session 8, the
 * portable band (a bit map first) was 5.5% of a text scan at AVX2. */
__attribute__((target("avx2,bmi,bmi2"))) static int band_avx2(const uint16_t *W, const uint16_t *D, band_mask allow,
                                                              band_mask wok)
{
    __m256i d[6];
    for (unsigned q = 0; q < 6; q++) d[q] = _mm256_loadu_si256((const __m256i *)(const void *)(D + 16 * q));
    const uint16_t d96 = D[96], d97 = D[97];
    /* nearly always no value agrees anywhere in the band (band_avx512) */
    __m256i any = _mm256_setzero_si256();
    unsigned any2 = 0;
    for (unsigned u = 0; u <= 2 * LONE_BAND; u++) {
        const uint16_t *p = W + u; /* p[0 .. 98) readable: u + 97 < LONE_W */
        for (unsigned q = 0; q < 6; q++) {
            const __m256i w = _mm256_loadu_si256((const __m256i *)(const void *)(p + 16 * q));
            any = _mm256_or_si256(any, _mm256_cmpeq_epi16(w, d[q]));
        }
        any2 |= (unsigned)(p[96] == d96) | (unsigned)(p[97] == d97);
    }
    if (_mm256_testz_si256(any, any) && !any2) return 0;
    uint64_t lo = 0, hi = 0, wlo = wok.lo, whi = wok.hi;
    for (unsigned u = 0; u <= 2 * LONE_BAND; u++) {
        const uint16_t *p = W + u;
        uint64_t e[3];
        for (unsigned q = 0; q < 3; q++) {
            const __m256i *v = (const __m256i *)(const void *)(p + 32 * q);
            const __m256i a = _mm256_cmpeq_epi16(_mm256_loadu_si256(v), d[2 * q]);
            const __m256i b = _mm256_cmpeq_epi16(_mm256_loadu_si256(v + 1), d[2 * q + 1]);
            e[q] = (uint32_t)_mm256_movemask_epi8(_mm256_permute4x64_epi64(_mm256_packs_epi16(a, b), 0xD8));
        }
        const uint64_t l = e[0] | e[1] << 32;
        const uint64_t h = e[2] | (uint64_t)(p[96] == d96) << 32 | (uint64_t)(p[97] == d97) << 33;
        lo |= l & (l >> 1 | h << 63) & wlo;
        hi |= h & (h >> 1) & whi;
        wlo = wlo >> 1 | whi << 63; /* bit t: the pair at t + u + 1 */
        whi >>= 1;
    }
    return ((lo & allow.lo) | (hi & allow.hi)) != 0;
}
#endif

static int band_any(const uint16_t *W, const uint16_t *D, band_mask allow, band_mask wok)
{
#if PK_X86_SIMD
    const int level = pk_simd_level();
    if (level >= PK_SIMD_AVX512) return band_avx512(W, D, allow, wok);
    if (level >= PK_SIMD_AVX2) return band_avx2(W, D, allow, wok);
#endif
    return band_portable(W, D, allow, wok);
}

int pk_lone_band(const uint16_t *W, const uint16_t *D, const uint64_t allow[2], const uint64_t wok[2])
{
    const band_mask a = {allow[0], allow[1]}, w = {wok[0], wok[1]};
    return band_any(W, D, a, w);
}

/* Does a lone weak seed have company?  worth_aligning passes over a work
 * whose only seed is one 8-gram with neither neighbour agreeing, because
 * most such seeds are chance phrases; but in heavily edited text (OCR
 * noise, a word changed in five) a reused passage of 30 to 50 words often
 * keeps exactly one seed, and alignment (densify) would find the rest.
 * So look where densify would: within LONE_REACH document k-grams of the
 * seed, outside its own words, for two consecutive k-grams that agree
 * (32 bits of sketch) with two consecutive work k-grams on the seed's
 * diagonal, give or take LONE_BAND words inserted or deleted.  Only that
 * window of the work's sketch is read (about 230 bytes, not the whole
 * work as an alignment does).  Chance agreement: about 2 * LONE_REACH *
 * (2 * LONE_BAND + 1) / 2^32, under 1e-6 a lone seed.  Returns 1 (align
 * it), 0, or a PK_E* code.
 *
 * The windows read are kept in a two-way cache of LONE_SETS sets (the
 * newest in way 0; the tags apart, 128 KB, so that looking does not
 * touch the windows' 3.7 MB): a chance phrase seeds the same place of
 * the same work in document after document.  Measured on the first 200
 * MB of bench/out's crawl: 76,362 lone seeds at 9,836 places; the
 * direct-mapped cache of 1,024 windows before this one missed 65,108
 * times, each miss a SQLite row seek (blob reopen), together 10% of the
 * scan's time; 4,096 sets missed 25,571 times, 8,192 sets 15,779. */
static int lone_seed_agrees(pk_scanner *s, const seed *sd, pk_error *err)
{
    const uint32_t k = s->p.k, nw = pk_index_work_kgrams(s->ix, sd->work);
    if (sd->j >= nw || sd->d >= s->ndk || nw < 2 || s->ndk < 2) return 0;
    const int64_t d = sd->d, j = sd->j, far = LONE_FAR;
    const int64_t jlo = PK_MAX((int64_t)0, j - far), jhi = PK_MIN((int64_t)nw - 1, j + far + 1);
    const size_t np = (size_t)(jhi - jlo);
    if (!s->lonec) {
        s->lonec = calloc(2 * LONE_SETS, sizeof *s->lonec);
        s->lonetag = calloc(2 * LONE_SETS, sizeof *s->lonetag);
        if (!s->lonec || !s->lonetag) return pk_fail(err, PK_ENOMEM, "out of memory");
    }
    const size_t set = 2 * ((sd->work * 2654435761u ^ sd->j) % LONE_SETS);
    const uint64_t tag = (uint64_t)(sd->work + 1) << 32 | sd->j;
    lone_win *lw;
    if (s->lonetag[set] == tag) {
        lw = &s->lonec[set];
    } else if (s->lonetag[set + 1] == tag) {
        lw = &s->lonec[set + 1];
    } else {
        s->lonec[set + 1] = s->lonec[set];
        s->lonetag[set + 1] = s->lonetag[set];
        s->lonetag[set] = 0;
        lw = &s->lonec[set];
        const size_t n = 2 * (np + 1);
        const uint8_t *b;
        const wcache *c = &s->wc[sd->work % WCACHE];
        if (c->work == sd->work) {
            b = NULL;
        } else if (!s->db || !s->lone_blob) {
            size_t got = 0; /* opens the registry and a blob handle on the first call */
            int rc = read_blob_range(s, sd->work, "sketch", 2 * (size_t)jlo, n, &s->lone, &s->lonecap, &got, err);
            if (rc) return rc == PK_ENOTFOUND ? 0 : rc;
            s->lone_blob = s->blob; /* keep it: s->blob is the alignments' */
            s->blob = NULL;
            if (got != n) return 0;
            b = s->lone;
        } else {
            /* sqlite3_blob_open compiles a statement (tens of
             * microseconds); sqlite3_blob_reopen only moves to another
             * row, so one handle serves every lone seed. */
            int r = sqlite3_blob_reopen(s->lone_blob, pk_index_work_rowid(s->ix, sd->work));
            if (r != SQLITE_OK) { /* the row is gone; the handle is spent */
                sqlite3_blob_close(s->lone_blob);
                s->lone_blob = NULL;
                return 0;
            }
            if ((size_t)sqlite3_blob_bytes(s->lone_blob) < 2 * (size_t)jhi + 2) return 0; /* changed meanwhile */
            if (grow(&s->lone, &s->lonecap, n, 1)) return pk_fail(err, PK_ENOMEM, "out of memory");
            if (sqlite3_blob_read(s->lone_blob, s->lone, (int)n, (int)(2 * jlo)) != SQLITE_OK)
                return pk_fail(err, PK_EDB, "reading work %s: %s", pk_index_work_id(s->ix, sd->work), sqlite3_errmsg(s->db));
            b = s->lone;
        }
        /* Sketches are little-endian u16s in the registry.  The window
         * is kept from j - LONE_FAR, zeros before the work's start. */
        const size_t at = (size_t)(jlo - (j - far));
        memset(lw->sk, 0, sizeof lw->sk);
        for (size_t y = 0; y <= np; y++)
            lw->sk[at + y] = (uint16_t)(b ? b[2 * y] | b[2 * y + 1] << 8 : c->sk[jlo + (int64_t)y]);
        s->lonetag[set] = tag;
    }
    /* The document's sketch values from d - LONE_REACH (zeros outside),
     * straight from its k-gram hashes. */
    uint16_t D[LONE_T + 1];
    const int64_t x0 = d - LONE_REACH;
    if (x0 >= 0 && (size_t)(x0 + LONE_T) < s->ndk) {
        const uint64_t *kx = s->kg + x0;
        for (unsigned t = 0; t <= LONE_T; t++) D[t] = pk_sketch16(kx[t]);
    } else {
        for (int64_t t = 0; t <= LONE_T; t++)
            D[t] = x0 + t >= 0 && (size_t)(x0 + t) < s->ndk ? pk_sketch16(s->kg[x0 + t]) : 0;
    }
    /* Document k-grams x in [max(0, d - LONE_REACH), min(ndk - 2, d +
     * LONE_REACH)], but not those sharing words with the seed (x in [d -
     * k, d + k)); work pairs g = j - LONE_FAR + y with g >= 0 and g + 1 <
     * nw. */
    const int64_t tlo = PK_MAX((int64_t)0, -x0), thi = PK_MIN((int64_t)LONE_T, (int64_t)s->ndk - 1 - x0);
    band_mask allow = thi > tlo ? range128((unsigned)tlo, (unsigned)thi) : range128(0, 0);
    const int64_t m0 = PK_MAX((int64_t)0, LONE_REACH - (int64_t)k), m1 = PK_MIN((int64_t)LONE_T, LONE_REACH + (int64_t)k);
    const band_mask seedw = range128((unsigned)m0, (unsigned)m1);
    allow.lo &= ~seedw.lo;
    allow.hi &= ~seedw.hi;
    const int64_t ylo = PK_MAX((int64_t)0, far - j), yhi = PK_MIN((int64_t)BAND_T, (int64_t)nw - 1 - (j - far));
    const band_mask wok = yhi > ylo ? range128((unsigned)ylo, (unsigned)yhi) : range128(0, 0);
    return band_any(lw->sk, D, allow, wok);
}

/* The seeds in cmp_seed's order.  seed_document makes them in document
 * order (d never decreases), so a stable radix sort on the work, a byte
 * a pass, leaves only the few seeds of one work at one d (one a posting)
 * to order by diagonal, which the insertion pass after it does; that
 * pass alone would sort any input right, so the radix passes change
 * speed only.  qsort took 18 ms of a 200 MB plain-text scan (108,000
 * seeds in windows of 9,000), this 2 ms; the same text as JSONL 5.8 ->
 * 4.3 ms.  Few seeds (a JSONL record): qsort. */
#define SEED_RADIX_MIN 512
static int sort_seeds(pk_scanner *s, pk_error *err)
{
    seed *a = s->seeds;
    const size_t n = s->nseeds;
    uint32_t works = 0; /* the bits of every work number */
    bool by_d = n >= SEED_RADIX_MIN;
    for (size_t i = 0; i < n && by_d; i++) {
        works |= a[i].work;
        by_d = i == 0 || a[i].d >= a[i - 1].d;
    }
    if (!by_d) {
        qsort(a, n, sizeof *a, cmp_seed);
        return 0;
    }
    if (grow(&s->seedtmp, &s->seedtmpcap, n, sizeof *a)) return pk_fail(err, PK_ENOMEM, "out of memory");
    seed *from = a, *to = s->seedtmp;
    for (unsigned shift = 0; shift < 32 && works >> shift; shift += 8) {
        size_t at[256] = {0};
        for (size_t i = 0; i < n; i++) at[from[i].work >> shift & 255]++;
        for (size_t b = 0, sum = 0; b < 256; b++) {
            const size_t c = at[b];
            at[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) to[at[from[i].work >> shift & 255]++] = from[i];
        seed *t = from;
        from = to;
        to = t;
    }
    if (from != a) memcpy(a, from, n * sizeof *a);
    for (size_t i = 1; i < n; i++) {
        if (cmp_seed(&a[i - 1], &a[i]) <= 0) continue;
        const seed v = a[i];
        size_t j = i;
        while (j > 0 && cmp_seed(&a[j - 1], &v) > 0) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
    return 0;
}

/* Align the seeded document with each work it has seeds in. */
static int align_document(pk_scanner *s, pk_error *err)
{
    int rc;
    if ((rc = sort_seeds(s, err))) return rc;
    for (size_t a = 0; a < s->nseeds;) {
        size_t b = a + 1;
        while (b < s->nseeds && s->seeds[b].work == s->seeds[a].work) b++;
        int worth = worth_aligning(s, a, b);
        for (size_t i = a; !worth && i < b && i < a + LONE_SEEDS; i++) {
            if ((rc = lone_seed_agrees(s, &s->seeds[i], err)) < 0) return rc;
            worth = rc;
        }
        if (worth && (rc = align_work(s, a, b, err))) return rc;
        a = b;
    }
    return 0;
}
