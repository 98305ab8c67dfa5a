/* mark_bench.c -- how often picket trace names the right recipient of a
 * leaked excerpt, and how often it names a wrong one (bench/mark.sh).
 *
 *   mark_bench WORK FORMAT COPIES SEED [--emit DIR K] [--pdf DIR K] [--collude] [--dense]
 *
 * Marks COPIES copies of WORK (FORMAT: fountain or text) in memory with
 * keys drawn from SEED, then for every copy leaks an excerpt of 1, 2 and 5
 * pages from a random place (a page: 55 lines of the screenplay wrapped
 * at 60 columns, or 250 words of prose), as copied, re-wrapped to 50
 * columns, and with 1% typing errors (a letter substituted, dropped,
 * doubled or swapped with the next, each with probability 0.01 per
 * letter), and decides it exactly as picket trace does (pk_mark_judge:
 * every recipient scored, accused only when COPIES times the Chernoff
 * bound is at most 1e-6).  The same excerpts of the unmarked original
 * are traced too: any accusation there is a false one.
 * --emit DIR K writes the first K marked copies to DIR/copyI.EXT (for
 * the PDF round trip, done by bench/mark.sh); --pdf DIR K reads
 * DIR/copyI.txt (pdftotext output, pages split by form feeds) and leaks
 * page excerpts of those, as extracted and with typing errors.
 * --dense: the copies carry line breaks after commas too, and prose is
 * laid out in lines (mark --dense).
 * --collude: 200 coalitions of 2 and of 3 recipients assemble a leak
 * paragraph by paragraph from their copies (whole work, and 5 pages), and
 * 50 coalitions set every point where their copies differ by a rule
 * (votes(); VOTES_ONLY=1 runs only those).
 * Environment: PDF_EXCERPTS=K excerpts of each length from every PDF
 * (default 1); CUTOFF=t the registry's bias cut-off (default
 * PK_MARK_CUTOFF); NO_ALTS=1 reads no second names (pk_mark_resolve);
 * MARK_BENCH_DEBUG=1 prints, for every excerpt whose leaker was not named,
 * its points per channel and how many agree with the leaker's bits, and writes the excerpt to /tmp/missN.txt.
 * Output: one TSV line per (transformation, pages): work, transformation,
 * pages, trials, named right, cannot tell, named wrong, median points. */
#include "picket_mark.h"
#include "pk.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Cut text into pages: for a screenplay, lines wrapped at 60 columns,
 * 55 a page; for prose, 250 words a page.  starts[i] is page i's offset;
 * returns the number of pages. */
static size_t paginate(const char *s, size_t n, int screenplay, size_t *starts, size_t cap)
{
    size_t np = 0, count = 0, col = 0;
    starts[np++] = 0;
    for (size_t i = 0; i < n && np < cap; i++) {
        if (screenplay) {
            if (s[i] == '\n' || ++col >= 60) {
                col = 0;
                if (++count % 55 == 0) starts[np++] = i + 1;
            }
        } else if ((s[i] == ' ' || s[i] == '\n') && i + 1 < n && s[i + 1] != ' ' && s[i + 1] != '\n') {
            if (++count % 250 == 0) starts[np++] = i + 1;
        }
    }
    return np;
}

static void rewrap(const char *s, size_t n, pk_buf *out)
{
    pk_buf_reset(out);
    size_t col = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n' && i + 1 < n && s[i + 1] == '\n') {
            pk_buf_append(out, "\n\n", 2);
            col = 0;
            while (i + 1 < n && s[i + 1] == '\n') i++;
            continue;
        }
        if (s[i] == ' ' || s[i] == '\n') {
            size_t j = i + 1;
            while (j < n && s[j] != ' ' && s[j] != '\n') j++;
            if (col + (j - i) > 50) pk_buf_putc(out, '\n'), col = 0;
            else pk_buf_putc(out, ' '), col++;
            continue;
        }
        pk_buf_putc(out, s[i]);
        col++;
    }
}

static void typos(const char *s, size_t n, pk_buf *out)
{
    pk_buf_reset(out);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (letter && rnd() % 100 == 0) {
            switch (rnd() % 4) {
            case 0: pk_buf_putc(out, 'a' + (int)(rnd() % 26)); continue; /* substituted */
            case 1: continue;                                           /* dropped */
            case 2: pk_buf_putc(out, c); break;                         /* doubled */
            default:
                if (i + 1 < n) { pk_buf_putc(out, s[i + 1]); pk_buf_putc(out, c); i++; continue; }
            }
        }
        pk_buf_putc(out, c);
    }
}

typedef struct tally {
    const char *name;
    int pages;
    long trials, right, none, wrong;
    size_t *points;
} tally;

static pk_mark_code *codes;
static size_t ncodes;
static uint64_t *known;
static size_t nknown;
/* the work's second names (pk_mark_alts; NO_ALTS=1: none, as before them) */
static pk_mark_alt *alts;
static size_t nalts;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}
static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* guilty: the copy's index, or -1 for the unmarked original */
static void judge(tally *t, const char *s, size_t n, long guilty)
{
    pk_mark_point *pts = NULL;
    size_t np = 0;
    pk_mark_verdict v;
    pk_error e;
    if (pk_mark_points(s, n, PK_WORK_AUTO, &pts, &np, &e) ||
        (pk_mark_resolve(pts, np, known, nknown, alts, nalts),
         pk_mark_judge(pts, np, known, nknown, codes, ncodes, PK_MARK_ALPHA, &v, &e))) {
        fprintf(stderr, "mark_bench: %s\n", e.msg);
        exit(2);
    }
    if (getenv("MARK_BENCH_DEBUG") && guilty >= 0 && !(v.accused && (long)v.who[0] == guilty)) {
        /* why was the leaker not named: its agreement per channel */
        unsigned cnt[PK_MARK_NCHANNELS] = {0}, agree[PK_MARK_NCHANNELS] = {0};
        for (size_t i = 0; i < v.used && i < np; i++) {
            cnt[pts[i].channel]++;
            agree[pts[i].channel] += pts[i].bit == pk_mark_bit(&codes[guilty], pts[i].ctx);
        }
        fprintf(stderr, "miss %s/%d copy %ld: used %zu, top %zu score %.1f bound %.2g;", t->name, t->pages, guilty,
                v.used, v.n ? v.who[0] : 0, v.n ? v.score[0] : 0, v.n ? v.bound[0] : 1);
        for (int c = 1; c < PK_MARK_NCHANNELS; c++)
            if (cnt[c]) fprintf(stderr, " %s %u/%u", pk_mark_channel_name(c), agree[c], cnt[c]);
        fprintf(stderr, "\n");
        static int nmiss;
        char path[64];
        snprintf(path, sizeof path, "/tmp/miss%d.txt", nmiss++);
        FILE *f = fopen(path, "wb");
        if (f) fwrite(s, 1, n, f), fclose(f);
    }
    free(pts);
    if (guilty >= 0) t->points[t->trials] = v.used;
    t->trials++;
    if (!v.accused) t->none++;
    else if ((long)v.who[0] == guilty) t->right++;
    else t->wrong++;
}

static void report(const char *work, tally *t)
{
    if (!t->trials) return;
    size_t med = 0;
    if (t->points[0] || t->trials) {
        qsort(t->points, (size_t)t->trials, sizeof *t->points, cmp_size);
        med = t->points[t->trials / 2];
    }
    printf("%s\t%s\t%d\t%ld\t%ld\t%ld\t%ld\t%zu\n", work, t->name, t->pages, t->trials, t->right, t->none, t->wrong, med);
}

/* c distinct recipients, drawn at random */
static void draw_coalition(size_t *who, int c)
{
    for (int k = 0; k < c; k++) {
        int again;
        do {
            who[k] = (size_t)(rnd() % ncodes);
            again = 0;
            for (int m = 0; m < k; m++) again |= who[m] == who[k];
        } while (again);
    }
}

/* A coalition's verdict into t: named right is any colluder. */
static void count_coalition(tally *t, const pk_mark_verdict *v, const size_t *who, int c)
{
    int colluder = 0;
    for (int k = 0; k < c; k++) colluder |= v->accused && v->who[0] == who[k];
    t->points[t->trials++] = v->used;
    if (!v->accused) t->none++;
    else if (colluder) t->right++;
    else t->wrong++;
}

/* Collusion: c recipients (2, 3) assemble a leak paragraph by paragraph
 * (blank-line blocks), each from one of their copies chosen at random: the
 * whole work, and 5 pages of it.  Named right: a colluder; wrong: anyone
 * else. */
static void collusion(const char *base, const pk_buf *orig, int format, const size_t *starts, size_t npages)
{
    enum { TRIALS = 200, CMAX = 3 };
    pk_buf cp[CMAX], mix;
    pk_error e;
    for (int k = 0; k < CMAX; k++) pk_buf_init(&cp[k], 0);
    pk_buf_init(&mix, 0);
    for (int c = 2; c <= CMAX; c++) {
        tally whole = {c == 2 ? "collude2" : "collude3", 0, 0, 0, 0, 0, calloc(TRIALS, sizeof(size_t))};
        tally five = {whole.name, 5, 0, 0, 0, 0, calloc(TRIALS, sizeof(size_t))};
        for (int tr = 0; tr < TRIALS; tr++) {
            size_t who[CMAX];
            draw_coalition(who, c);
            for (int k = 0; k < c; k++)
                if (pk_mark_apply(orig->data, orig->len, format, &codes[who[k]], &cp[k], NULL, &e)) exit(2);
            /* paragraph k of every copy starts after the k-th blank line */
            pk_buf_reset(&mix);
            size_t at[CMAX] = {0};
            for (;;) {
                int pick = (int)(rnd() % (uint64_t)c), done = 0;
                for (int k = 0; k < c; k++) {
                    const char *s = cp[k].data + at[k];
                    const char *end = strstr(s, "\n\n");
                    size_t len = end ? (size_t)(end - s) + 2 : cp[k].len - at[k];
                    if (k == pick) pk_buf_append(&mix, s, len);
                    at[k] += len;
                    done |= at[k] >= cp[k].len;
                }
                if (done) break;
            }
            /* judge, then count a colluder as right */
            for (int w = 0; w < 2; w++) {
                tally *t = w ? &five : &whole;
                const char *s = mix.data;
                size_t n = mix.len;
                if (w && npages > 5) {
                    size_t p0 = (size_t)(rnd() % (npages - 4));
                    size_t a0 = starts[p0] < n ? starts[p0] : 0, a1 = p0 + 5 < npages ? starts[p0 + 5] : n;
                    if (a1 > n) a1 = n;
                    s += a0, n = a1 > a0 ? a1 - a0 : 0;
                }
                pk_mark_point *pts = NULL;
                size_t np = 0;
                pk_mark_verdict v;
                if (pk_mark_points(s, n, PK_WORK_AUTO, &pts, &np, &e) ||
                    (pk_mark_resolve(pts, np, known, nknown, alts, nalts),
                     pk_mark_judge(pts, np, known, nknown, codes, ncodes, PK_MARK_ALPHA, &v, &e)))
                    exit(2);
                free(pts);
                count_coalition(t, &v, who, c);
            }
        }
        report(base, &whole);
        report(base, &five);
    }
    for (int k = 0; k < CMAX; k++) pk_buf_free(&cp[k]);
    pk_buf_free(&mix);
}

/* Collusion with perfect knowledge, at the level of points: c colluders
 * see every point where their copies differ and set it by a rule --
 * 2 colluders: either form at random; 3: the minority's form (what lowers
 * their scores most) or the majority's -- and leak the whole work.  Rows
 * vote2, vote3min, vote3maj (pages 0). */
static void votes(const char *base, const pk_buf *orig, int format)
{
    enum { TRIALS = 50 }; /* each scores 1,000 codes on every point of the work */
    pk_mark_point *q = NULL, *leak = NULL;
    size_t nq = 0;
    pk_error e;
    if (pk_mark_points(orig->data, orig->len, format, &q, &nq, &e)) exit(2);
    if (!(leak = malloc((nq ? nq : 1) * sizeof *leak))) exit(2);
    static const char *names[] = {"vote2", "vote3min", "vote3maj"};
    for (int r = 0; r < 3; r++) {
        int c = r == 0 ? 2 : 3;
        tally t = {names[r], 0, 0, 0, 0, 0, calloc(TRIALS, sizeof(size_t))};
        for (int tr = 0; tr < TRIALS; tr++) {
            size_t who[3];
            draw_coalition(who, c);
            for (size_t i = 0; i < nq; i++) {
                int ones = 0;
                for (int k = 0; k < c; k++) ones += pk_mark_bit(&codes[who[k]], q[i].ctx);
                int y = ones == c ? 1 : ones == 0 ? 0
                        : r == 0 ? (int)(rnd() & 1)
                        : r == 1 ? ones == 1 /* the minority's form */
                                 : ones >= 2;
                leak[i] = q[i];
                leak[i].bit = (uint8_t)y;
            }
            pk_mark_verdict v;
            if (pk_mark_judge(leak, nq, known, nknown, codes, ncodes, PK_MARK_ALPHA, &v, &e)) exit(2);
            count_coalition(&t, &v, who, c);
        }
        report(base, &t);
        free(t.points);
    }
    free(q);
    free(leak);
}

static int slurp(const char *path, pk_buf *b)
{
    pk_error e;
    pk_buf_reset(b);
    if (pk_source_slurp(path, b, (size_t)1 << 28, &e)) { fprintf(stderr, "mark_bench: %s\n", e.msg); return -1; }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: mark_bench WORK fountain|text COPIES SEED [--emit DIR K] [--pdf DIR K]\n");
        return 2;
    }
    if (sodium_init() < 0) return 2;
    const char *work = argv[1], *emit = NULL, *pdf = NULL;
    int collude = 0, dense = 0;
    int format = strcmp(argv[2], "fountain") == 0 ? PK_WORK_FOUNTAIN : PK_WORK_TEXT;
    ncodes = (size_t)atol(argv[3]);
    rng_state = (uint64_t)atoll(argv[4]);
    long kemit = 0, kpdf = 0;
    for (int a = 5; a < argc; a++) {
        if (!strcmp(argv[a], "--collude")) collude = 1;
        else if (!strcmp(argv[a], "--dense")) dense = 1;
        else if (a + 2 < argc && !strcmp(argv[a], "--emit")) emit = argv[a + 1], kemit = atol(argv[a + 2]), a += 2;
        else if (a + 2 < argc && !strcmp(argv[a], "--pdf")) pdf = argv[a + 1], kpdf = atol(argv[a + 2]), a += 2;
    }
    const char *base = strrchr(work, '/') ? strrchr(work, '/') + 1 : work;
    pk_buf orig, copy, ex, tmp, tmp2;
    pk_buf_init(&orig, 0), pk_buf_init(&copy, 0), pk_buf_init(&ex, 0), pk_buf_init(&tmp, 0), pk_buf_init(&tmp2, 0);
    if (slurp(work, &orig)) return 2;
    uint8_t key[32], secret[32];
    crypto_generichash(key, 32, (const uint8_t *)argv[4], strlen(argv[4]), NULL, 0);
    /* CUTOFF=t: the Tardos cutoff of the registry (default PK_MARK_CUTOFF) */
    double cutoff = getenv("CUTOFF") ? atof(getenv("CUTOFF")) : PK_MARK_CUTOFF;
    codes = calloc(ncodes, sizeof *codes);
    for (size_t j = 0; j < ncodes; j++) {
        uint8_t in[16];
        memcpy(in, &j, sizeof j);
        memset(in + 8, 0x5a, 8);
        crypto_generichash(secret, 32, in, sizeof in, key, 32);
        pk_mark_code_init(&codes[j], key, secret, cutoff);
        if (dense) codes[j].channels = PK_MARK_CHANNELS_DENSE;
    }
    pk_mark_point *q = NULL;
    pk_error e;
    if (pk_mark_points(orig.data, orig.len, format, &q, &nknown, &e)) { fprintf(stderr, "%s\n", e.msg); return 2; }
    known = malloc((nknown ? nknown : 1) * sizeof *known);
    for (size_t i = 0; i < nknown; i++) known[i] = q[i].ctx;
    qsort(known, nknown, sizeof *known, cmp_u64);
    if (!getenv("NO_ALTS") && pk_mark_alts(q, nknown, &alts, &nalts, &e)) { fprintf(stderr, "%s\n", e.msg); return 2; }
    free(q);
    size_t starts[4096];
    size_t npages = paginate(orig.data, orig.len, format == PK_WORK_FOUNTAIN, starts, 4096);
    fprintf(stderr, "%s: %zu choice points, %zu pages, %zu copies\n", base, nknown, npages, ncodes);

    if (getenv("VOTES_ONLY")) { /* only the rows vote2, vote3min, vote3maj */
        votes(base, &orig, format);
        return 0;
    }
    static const int lens[] = {1, 2, 5};
    static const char *tnames[] = {"copy", "rewrap", "typos", "original"};
    tally t[4][3];
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 3; b++)
            t[a][b] = (tally){tnames[a], lens[b], 0, 0, 0, 0, calloc((ncodes + 1) * 64, sizeof(size_t))};
    for (size_t j = 0; j < ncodes && !pdf; j++) {
        size_t used;
        if (pk_mark_apply(orig.data, orig.len, format, &codes[j], &copy, &used, &e)) { fprintf(stderr, "%s\n", e.msg); return 2; }
        if (emit && (long)j < kemit) {
            char path[4096];
            snprintf(path, sizeof path, "%s/copy%zu.%s", emit, j, format == PK_WORK_FOUNTAIN ? "fountain" : "txt");
            FILE *f = fopen(path, "wb");
            if (!f || fwrite(copy.data, 1, copy.len, f) != copy.len || fclose(f)) { perror(path); return 2; }
        }
        size_t cstarts[4096];
        size_t cp = paginate(copy.data, copy.len, format == PK_WORK_FOUNTAIN, cstarts, 4096);
        for (int b = 0; b < 3; b++) {
            size_t L = (size_t)lens[b];
            if (cp < L) continue;
            size_t p0 = (size_t)(rnd() % (cp - L + 1));
            size_t a0 = cstarts[p0], a1 = p0 + L < cp ? cstarts[p0 + L] : copy.len;
            judge(&t[0][b], copy.data + a0, a1 - a0, (long)j);
            rewrap(copy.data + a0, a1 - a0, &tmp);
            judge(&t[1][b], tmp.data, tmp.len, (long)j);
            typos(copy.data + a0, a1 - a0, &tmp2);
            judge(&t[2][b], tmp2.data, tmp2.len, (long)j);
            if (npages >= L) { /* the unmarked original: innocent everyone */
                size_t o0 = (size_t)(rnd() % (npages - L + 1));
                size_t b0 = starts[o0], b1 = o0 + L < npages ? starts[o0 + L] : orig.len;
                judge(&t[3][b], orig.data + b0, b1 - b0, -1);
            }
        }
    }
    if (pdf) {
        /* PDF_LABEL names the rows (default pdf: pdf, pdf+typos) */
        static char typos_name[64];
        const char *label = getenv("PDF_LABEL") && *getenv("PDF_LABEL") ? getenv("PDF_LABEL") : "pdf";
        snprintf(typos_name, sizeof typos_name, "%.50s+typos", label);
        tnames[0] = label, tnames[1] = typos_name;
        /* PDF_EXCERPTS=K (1..64, default 1): K excerpts of each length
         * from every PDF, for finer rates than PDF_COPIES allows (a
         * tally's points have room for 64 a copy) */
        long kex = getenv("PDF_EXCERPTS") ? atol(getenv("PDF_EXCERPTS")) : 1;
        if (kex < 1 || kex > 64) kex = 1;
        for (int b = 0; b < 3; b++) t[0][b].name = label, t[1][b].name = typos_name;
        for (long j = 0; j < kpdf; j++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/copy%ld.txt", pdf, j);
            if (slurp(path, &copy)) return 2;
            size_t ps[4096], cp = 0;
            ps[cp++] = 0;
            for (size_t i = 0; i < copy.len && cp < 4096; i++)
                if (copy.data[i] == '\f') ps[cp++] = i + 1;
            if (cp > 1 && ps[cp - 1] >= copy.len) cp--; /* after the last page */
            /* a screenplay PDF's first page is the title page: skip it */
            size_t first = format == PK_WORK_FOUNTAIN && cp > 2 ? 1 : 0;
            for (int b = 0; b < 3 * kex; b++) {
                size_t L = (size_t)lens[b % 3];
                if (cp - first < L) continue;
                size_t p0 = first + (size_t)(rnd() % (cp - first - L + 1));
                size_t a0 = ps[p0], a1 = p0 + L < cp ? ps[p0 + L] : copy.len;
                judge(&t[0][b % 3], copy.data + a0, a1 - a0, j);
                typos(copy.data + a0, a1 - a0, &tmp2);
                judge(&t[1][b % 3], tmp2.data, tmp2.len, j);
            }
        }
    }
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 3; b++) report(base, &t[a][b]);
    if (collude) collusion(base, &orig, format, starts, npages), votes(base, &orig, format);
    return 0;
}
