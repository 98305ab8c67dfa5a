/* test_scan.c -- index and scanner: exact passages, edits, thresholds,
 * stock phrases, and a damaged index. */
#include "pk.h"
#include "simd.h"
#include "test.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen.h"

#define NWORKS 6
static pk_buf works[NWORKS];
static char db[512];

static void setup(void)
{
    if (db[0]) return;
    tmp_db(db, sizeof db, "scan");
    pk_registry *r = NULL;
    pk_error e;
    if (pk_registry_open(&r, db, PK_REG_CREATE, NULL, &e)) { fprintf(stderr, "%s\n", e.msg); exit(1); }
    uint64_t seed = 77;
    for (int i = 0; i < NWORKS; i++) {
        pk_buf_init(&works[i], 0);
        gen_words(&works[i], &seed, 1500);
        pk_register_opts o;
        memset(&o, 0, sizeof o);
        char id[16];
        snprintf(id, sizeof id, "work%d", i);
        o.id = id;
        pk_register_result res;
        if (pk_registry_add(r, works[i].data, works[i].len, &o, &res, &e)) { fprintf(stderr, "%s\n", e.msg); exit(1); }
    }
    pk_registry_close(r);
}

static pk_index *open_ix(void)
{
    pk_index *ix = NULL;
    pk_error e;
    if (pk_index_open(&ix, db, &e)) fprintf(stderr, "%s\n", e.msg);
    return ix;
}

/* Words [w0, w0 + n) of work w appended to d; returns the byte offset
 * where they start (*end: where they end). */
static size_t put_work_words(pk_buf *d, int w, size_t w0, size_t n, size_t *end)
{
    size_t a = word_start(works[w].data, works[w].len, w0);
    size_t b = word_end(works[w].data, works[w].len, w0 + n - 1);
    size_t at = d->len;
    pk_buf_append(d, works[w].data + a, b - a);
    *end = d->len;
    return at;
}

/* A document: made-up filler, then words [w0, w0+n) of work `w`, then filler. */
static void make_doc(pk_buf *d, int w, size_t w0, size_t n, size_t *ds, size_t *de, uint64_t seed)
{
    pk_buf_reset(d);
    gen_words(d, &seed, 200);
    pk_buf_append(d, " zzfiller ... ", 14);
    *ds = put_work_words(d, w, w0, n, de);
    pk_buf_append(d, " ... zzfiller ", 14);
    gen_words(d, &seed, 200);
}

static void verbatim_passage_exact_offsets(void)
{
    setup();
    pk_index *ix = open_ix();
    CHECK(ix != NULL);
    if (!ix) return;
    CHECK_EQ_U(pk_index_nworks(ix), NWORKS);
    pk_scanner *s = NULL;
    pk_error e;
    CHECK_EQ_I(pk_scanner_new(&s, ix, NULL, &e), 0);
    pk_buf d;
    pk_buf_init(&d, 0);
    size_t lens[] = {25, 26, 40, 100, 700};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        for (int w = 0; w < NWORKS; w += 2) {
            size_t w0 = 37 + li * 101, ds, de;
            make_doc(&d, w, w0, lens[li], &ds, &de, 900 + li);
            pk_finding *f;
            size_t nf;
            CHECK_EQ_I(pk_scan_text(s, d.data, d.len, &f, &nf, &e), 0);
            CHECK_EQ_U(nf, 1);
            if (nf != 1) continue;
            CHECK_EQ_U(f[0].work, (uint32_t)w);
            CHECK_EQ_U(f[0].npassages, 1);
            CHECK_EQ_U(f[0].passages[0].doc_start, ds);
            CHECK_EQ_U(f[0].passages[0].doc_end, de);
            CHECK_EQ_U(f[0].passages[0].work_start_word, w0);
            CHECK_EQ_U(f[0].passages[0].work_end_word, w0 + lens[li]);
            CHECK_EQ_U(f[0].passages[0].words, lens[li]);
            CHECK_EQ_U(f[0].matched_words, lens[li]);
            CHECK_EQ_U(f[0].passages[0].work_start_line, 1 + w0 / 12);
            CHECK(f[0].coverage > (double)lens[li] / 1500 - 1e-9 && f[0].coverage < (double)lens[li] / 1500 + 1e-9);
        }
    }
    pk_buf_free(&d);
    pk_scanner_free(s);
    pk_index_close(ix);
}

/* The index's neighbour check lets a lone seed through only when the
 * k-gram k places before or after it matches too; any verbatim run of
 * k + w - 1 = 25 words has such a seed wherever it starts in the work,
 * the first words of the work included (no neighbour before them). */
static void every_25_word_run_found(void)
{
    setup();
    pk_index *ix = open_ix();
    CHECK(ix != NULL);
    if (!ix) return;
    pk_scanner *s = NULL;
    pk_error e;
    CHECK_EQ_I(pk_scanner_new(&s, ix, NULL, &e), 0);
    pk_buf d;
    pk_buf_init(&d, 0);
    int missed = 0;
    for (size_t w0 = 0; w0 < 300; w0++) {
        for (int w = 1; w < NWORKS; w += 2) {
            size_t ds, de;
            size_t start = w0 < 150 ? w0 : 1500 - 25 - (w0 - 150); /* the first and the last 150 */
            make_doc(&d, w, start, 25, &ds, &de, 7000 + w0);
            pk_finding *f;
            size_t nf;
            CHECK_EQ_I(pk_scan_text(s, d.data, d.len, &f, &nf, &e), 0);
            if (nf != 1 || f[0].work != (uint32_t)w || f[0].passages[0].doc_start != ds || f[0].passages[0].doc_end != de) {
                if (missed++ < 5) fprintf(stderr, "  25 words at %zu of work %d: %zu findings\n", start, w, nf);
            }
        }
    }
    CHECK_EQ_I(missed, 0);
    pk_buf_free(&d);
    pk_scanner_free(s);
    pk_index_close(ix);
}

/* A document that is one registered 8-gram of a work and nothing more
 * (so the 8-gram is the document's only fingerprint, and a seed) must
 * not make the scanner align it with the work (reading the work's sketch
 * from the registry): its neighbour check fails but by chance (8 bits a
 * side). */
static void lone_seed_reads_nothing(void)
{
    setup();
    pk_index *ix = open_ix();
    CHECK(ix != NULL);
    if (!ix) return;
    pk_scanner *s = NULL;
    pk_error e;
    CHECK_EQ_I(pk_scanner_new(&s, ix, NULL, &e), 0);
    pk_params p;
    pk_params_default(&p);
    pk_work_fp wf;
    CHECK_EQ_I(pk_fingerprint_text(works[2].data, works[2].len, 0, &p, &wf, &e), 0);
    size_t docs = 0;
    for (size_t i = 0; i < wf.nfp; i++) {
        uint32_t pos = wf.fp[i].pos;
        size_t a = word_start(works[2].data, works[2].len, pos);
        size_t b = word_end(works[2].data, works[2].len, pos + p.k - 1);
        pk_finding *f;
        size_t nf;
        CHECK_EQ_I(pk_scan_text(s, works[2].data + a, b - a, &f, &nf, &e), 0);
        CHECK_EQ_U(nf, 0);
        docs++;
    }
    CHECK(docs > 100);
    CHECK(pk_scanner_alignments(s) <= 6);
    /* --thorough aligns them all, and still reports nothing: one 8-gram
     * is no passage. */
    pk_scanner_free(s);
    pk_scan_opts so;
    pk_scan_opts_default(&so);
    so.thorough = 1;
    CHECK_EQ_I(pk_scanner_new(&s, ix, &so, &e), 0);
    for (size_t i = 0; i < wf.nfp; i++) {
        uint32_t pos = wf.fp[i].pos;
        size_t a = word_start(works[2].data, works[2].len, pos);
        size_t b = word_end(works[2].data, works[2].len, pos + p.k - 1);
        pk_finding *f;
        size_t nf;
        CHECK_EQ_I(pk_scan_text(s, works[2].data + a, b - a, &f, &nf, &e), 0);
        CHECK_EQ_U(nf, 0);
    }
    CHECK(pk_scanner_alignments(s) >= docs);
    pk_work_fp_free(&wf);
    pk_scanner_free(s);
    pk_index_close(ix);
}

/* A document larger than the scan window is scanned in windows with
 * context on both sides; what is found must not depend on where the
 * windows fall.  Small windows here (32 kB, 8 kB of context) so that a
 * 600 kB document has about twenty and many passages straddle their
 * edges. */
static void windows_find_what_whole_scan_finds(void)
{
    setup();
    pk_index *ix = open_ix();
    CHECK(ix != NULL);
    if (!ix) return;
    pk_scanner *whole = NULL, *win = NULL;
    pk_error e;
    CHECK_EQ_I(pk_scanner_new(&whole, ix, NULL, &e), 0);
    CHECK_EQ_I(pk_scanner_new(&win, ix, NULL, &e), 0);
    pk_scanner_set_window(win, 32 << 10, 8 << 10);
    pk_buf d;
    pk_buf_init(&d, 0);
    uint64_t seed = 4242;
    /* Passages of 25 to 900 words (under 8 kB) from every work, two of
     * them from the same place of work 0, and one of 1,400 words (over 8
     * kB: cut into touching passages, counted the same). */
    for (int i = 0; i < 60; i++) {
        gen_words(&d, &seed, 300 + (size_t)(seed % 1700));
        pk_buf_putc(&d, '\n');
        int w = i % NWORKS;
        size_t len = i == 30 ? 1400 : 25 + (size_t)((seed >> 8) % 876);
        size_t w0 = i == 7 || i == 13 ? 100 : (size_t)((seed >> 20) % (1500 - len));
        if (i == 30) w0 = 50;
        size_t a = word_start(works[w].data, works[w].len, w0);
        size_t b = word_end(works[w].data, works[w].len, w0 + len - 1);
        pk_buf_append(&d, works[w].data + a, b - a);
        pk_buf_putc(&d, '\n');
    }
    CHECK(d.len > 400000);
    pk_finding *fa, *fb;
    size_t na, nb;
    CHECK_EQ_I(pk_scan_text(whole, d.data, d.len, &fa, &na, &e), 0);
    CHECK_EQ_I(pk_scan_text(win, d.data, d.len, &fb, &nb, &e), 0);
    CHECK_EQ_U(na, NWORKS);
    CHECK_EQ_U(nb, na);
    for (size_t i = 0; i < na && i < nb; i++) {
        CHECK_EQ_U(fb[i].work, fa[i].work);
        CHECK_EQ_U(fb[i].matched_words, fa[i].matched_words);
        CHECK(fb[i].coverage > fa[i].coverage - 1e-12 && fb[i].coverage < fa[i].coverage + 1e-12);
        if (fa[i].work == 0) continue; /* work 0 has the long passage */
        CHECK_EQ_U(fb[i].npassages, fa[i].npassages);
        for (size_t p = 0; p < fa[i].npassages && p < fb[i].npassages; p++) {
            CHECK_EQ_U(fb[i].passages[p].doc_start, fa[i].passages[p].doc_start);
            CHECK_EQ_U(fb[i].passages[p].doc_end, fa[i].passages[p].doc_end);
            CHECK_EQ_U(fb[i].passages[p].work_start_word, fa[i].passages[p].work_start_word);
            CHECK_EQ_U(fb[i].passages[p].words, fa[i].passages[p].words);
            CHECK_EQ_U(fb[i].passages[p].work_start_line, fa[i].passages[p].work_start_line);
        }
    }
    pk_buf_free(&d);
    pk_scanner_free(whole);
    pk_scanner_free(win);
    pk_index_close(ix);
}

/* The windows of one document scanned on several threads at once
 * (pk_scanner_set_threads): every finding, passage and matched run the
 * same as one thread gives, to the byte, for 2, 3 and 8 threads (more
 * threads than some windows need), and again on the same scanners (their
 * helpers reused). */
static void windows_on_threads_find_the_same(void)
{
    setup();
    pk_index *ix = open_ix();
    CHECK(ix != NULL);
    if (!ix) return;
    pk_error e;
    pk_buf d;
    pk_buf_init(&d, 0);
    uint64_t seed = 777;
    for (int i = 0; i < 60; i++) {
        gen_words(&d, &seed, 200 + (size_t)(seed % 1500));
        pk_buf_putc(&d, '\n');
        int w = i % NWORKS;
        size_t len = 25 + (size_t)((seed >> 8) % 876);
        size_t w0 = i == 9 || i == 21 ? 200 : (size_t)((seed >> 20) % (1500 - len));
        size_t a = word_start(works[w].data, works[w].len, w0);
        size_t b = word_end(works[w].data, works[w].len, w0 + len - 1);
        pk_buf_append(&d, works[w].data + a, b - a);
        pk_buf_putc(&d, '\n');
    }
    pk_scanner *one = NULL;
    CHECK_EQ_I(pk_scanner_new(&one, ix, NULL, &e), 0);
    pk_scanner_set_window(one, 32 << 10, 8 << 10);
    pk_finding *fa;
    size_t na;
    CHECK_EQ_I(pk_scan_text(one, d.data, d.len, &fa, &na, &e), 0);
    CHECK_EQ_U(na, NWORKS);
    const int threads[] = {2, 3, 8};
    for (size_t ti = 0; ti < sizeof threads / sizeof threads[0]; ti++) {
        pk_scanner *many = NULL;
        CHECK_EQ_I(pk_scanner_new(&many, ix, NULL, &e), 0);
        pk_scanner_set_window(many, 32 << 10, 8 << 10);
        pk_scanner_set_threads(many, threads[ti]);
        for (int again = 0; again < 2; again++) {
            pk_finding *fb;
            size_t nb;
            CHECK_EQ_I(pk_scan_text(many, d.data, d.len, &fb, &nb, &e), 0);
            CHECK_EQ_U(nb, na);
            for (size_t i = 0; i < na && i < nb; i++) {
                CHECK_EQ_U(fb[i].work, fa[i].work);
                CHECK_EQ_U(fb[i].matched_words, fa[i].matched_words);
                CHECK(fb[i].coverage == fa[i].coverage);
                CHECK_EQ_U(fb[i].npassages, fa[i].npassages);
                for (size_t p = 0; p < fa[i].npassages && p < fb[i].npassages; p++) {
                    const pk_passage *x = &fa[i].passages[p], *y = &fb[i].passages[p];
                    CHECK_EQ_U(y->doc_start, x->doc_start);
                    CHECK_EQ_U(y->doc_end, x->doc_end);
                    CHECK_EQ_U(y->work_start_word, x->work_start_word);
                    CHECK_EQ_U(y->work_end_word, x->work_end_word);
                    CHECK_EQ_U(y->work_start_line, x->work_start_line);
                    CHECK_EQ_U(y->words, x->words);
                    CHECK_EQ_U(y->nruns, x->nruns);
                    for (uint32_t r = 0; r < x->nruns && r < y->nruns; r++) {
                        CHECK_EQ_U(y->runs[2 * r], x->runs[2 * r]);
                        CHECK_EQ_U(y->runs[2 * r + 1], x->runs[2 * r + 1]);
                    }
                }
            }
        }
        pk_scanner_free(many);
    }
    pk_buf_free(&d);
    pk_scanner_free(one);
    pk_index_close(ix);
}

static void short_passages_not_reported(void)
{
    setup();
    pk_index *ix = open_ix();
    pk_scanner *s = NULL;
    pk_error e;
    pk_scan_opts o;
    pk_scan_opts_default(&o);
    CHECK_EQ_I(pk_scanner_new(&s, ix, &o, &e), 0);
    pk_buf d;
    pk_buf_init(&d, 0);
    size_t ds, de;
    make_doc(&d, 1, 500, 24, &ds, &de, 31);
    pk_finding *f;
    size_t nf;
    CHECK_EQ_I(pk_scan_text(s, d.data, d.len, &f, &nf, &e), 0);
    CHECK_EQ_U(nf, 0);
    pk_scanner_free(s);
    o.min_words = 10;
    CHECK_EQ_I(pk_scanner_new(&s, ix, &o, &e), 0);
    make_doc(&d, 1, 500, 40, &ds, &de, 31);
    CHECK_EQ_I(pk_scan_text(s, d.data, d.len, &f, &nf, &e), 0);
    CHECK_EQ_U(nf, 1);
    pk_buf_free(&d);
    pk_scanner_free(s);
    pk_index_close(ix);
}

static void reformatted_and_edited(void)
{
    setup();
    pk_index *ix = open_ix();
    pk_scanner *s = NULL;
    pk_error e;
    CHECK_EQ_I(pk_scanner_new(&s, ix, NULL, &e), 0);
    pk_buf d;
    pk_buf_init(&d, 0);
    size_t ds, de;
    make_doc(&d, 3, 200, 120, &ds, &de, 8);
    /* Upper-case, swap spaces and newlines, add punctuation. */
    for (size_t i = ds; i < de; i++) {
        char c = d.data[i];
        if (c >= 'a' && c <= 'z') d.data[i] = (char)(c - 32);
        else if (c == ' ') d.data[i] = (i % 3) ? '\n' : ' ';
        else if (c == '\n') d.data[i] = ' ';
    }
    pk_finding *f;
    size_t nf;
    CHECK_EQ_I(pk_scan_text(s, d.data, d.len, &f, &nf, &e), 0);
    CHECK_EQ_U(nf, 1);
    if (nf) {
        CHECK_EQ_U(f[0].npassages, 1);
        CHECK_EQ_U(f[0].passages[0].doc_start, ds);
        CHECK_EQ_U(f[0].passages[0].doc_end, de);
        CHECK_EQ_U(f[0].matched_words, 120);
    }
    /* Replace one word in the middle with another: one passage, not two. */
    make_doc(&d, 3, 200, 120, &ds, &de, 8);
    size_t mid = ds + (de - ds) / 2;
    while (d.data[mid] != ' ' && d.data[mid] != '\n') mid++;
    mid++;
    d.data[mid] = 'X';
    d.data[mid + 1] = 'Y';
    CHECK_EQ_I(pk_scan_text(s, d.data, d.len, &f, &nf, &e), 0);
    CHECK_EQ_U(nf, 1);
    if (nf) {
        CHECK_EQ_U(f[0].npassages, 1);
        CHECK_EQ_U(f[0].passages[0].doc_start, ds);
        CHECK_EQ_U(f[0].passages[0].doc_end, de);
        CHECK_EQ_U(f[0].matched_words, 119);
    }
    /* Delete a word and insert two: still one passage. */
    make_doc(&d, 3, 200, 120, &ds, &de, 8);
    pk_buf d2;
    pk_buf_init(&d2, 0);
    size_t cut = ds + (de - ds) / 3;
    while (d.data[cut] != ' ' && d.data[cut] != '\n') cut++;
    size_t cut_end = cut + 1;
    while (d.data[cut_end] != ' ' && d.data[cut_end] != '\n') cut_end++;
    pk_buf_append(&d2, d.data, cut);
    size_t cut2 = ds + 2 * (de - ds) / 3;
    while (d.data[cut2] != ' ' && d.data[cut2] != '\n') cut2++;
    pk_buf_append(&d2, d.data + cut_end, cut2 - cut_end);
    pk_buf_append(&d2, " zzyzx qwerty", 13);
    pk_buf_append(&d2, d.data + cut2, d.len - cut2);
    CHECK_EQ_I(pk_scan_text(s, d2.data, d2.len, &f, &nf, &e), 0);
    CHECK_EQ_U(nf, 1);
    if (nf) CHECK_EQ_U(f[0].npassages, 1);
    pk_buf_free(&d2);
    pk_buf_free(&d);
    pk_scanner_free(s);
    pk_index_close(ix);
}

/* A reused passage reworded every dozen words keeps few exact 8-grams,
 * often only one fingerprint: a lone seed, which by default is aligned
 * only when a pair of k-grams near it agrees with the work (the check
 * reads a window of the work's sketch).  By default, then, such passages
 * are found exactly as --thorough finds them, while lone_seed_reads_nothing
 * shows chance 8-grams are still not aligned. */
static void edited_passages_found_as_thorough(void)
{
    setup();
    pk_index *ix = open_ix();
    pk_scanner *s = NULL, *t = NULL;
    pk_error e;
    pk_scan_opts so;
    pk_scan_opts_default(&so);
    CHECK_EQ_I(pk_scanner_new(&s, ix, &so, &e), 0);
    so.thorough = 1;
    CHECK_EQ_I(pk_scanner_new(&t, ix, &so, &e), 0);
    pk_buf d;
    pk_buf_init(&d, 0);
    size_t found = 0, found_thorough = 0, same_passage = 0;
    for (size_t c = 0; c < 40; c++) {
        /* 45 words of work 4: unchanged runs of 20, 11 and 12 words
         * between two replaced words. */
        const size_t w0 = 30 + 31 * c;
        size_t ds, de;
        pk_buf_reset(&d);
        uint64_t seed = 1000 + c;
        gen_words(&d, &seed, 150);
        pk_buf_append(&d, " ", 1);
        ds = put_work_words(&d, 4, w0, 20, &de);
        pk_buf_append(&d, " quorbly ", 9);
        put_work_words(&d, 4, w0 + 21, 11, &de);
        pk_buf_append(&d, " zentrix ", 9);
        put_work_words(&d, 4, w0 + 33, 12, &de);
        pk_buf_append(&d, " ", 1);
        gen_words(&d, &seed, 150);
        pk_finding *f, *g;
        size_t nf, ng;
        CHECK_EQ_I(pk_scan_text(s, d.data, d.len, &f, &nf, &e), 0);
        uint64_t fs = nf ? f[0].passages[0].doc_start : 0, fe = nf ? f[0].passages[0].doc_end : 0;
        CHECK_EQ_I(pk_scan_text(t, d.data, d.len, &g, &ng, &e), 0);
        found += nf;
        found_thorough += ng;
        if (nf && ng && fs == g[0].passages[0].doc_start && fe == g[0].passages[0].doc_end) same_passage++;
        if (nf) CHECK(fs >= ds && fe <= de);
    }
    CHECK_EQ_U(found, found_thorough);
    CHECK_EQ_U(same_passage, found);
    CHECK(found >= 30);
    pk_buf_free(&d);
    pk_scanner_free(s);
    pk_scanner_free(t);
    pk_index_close(ix);
}

/* The lone-seed check (a pair of k-grams near a lone seed agreeing with
 * the work, within a band of shifts) has one vector form per level and a
 * clipped form at the edges of the document and of the work.  Passages
 * reworded every dozen words (runs of 11, 12 and 11 words: mostly one
 * seed, none with an agreeing neighbour) placed in the middle, at the
 * very start and end of the document, and taken from the first and last
 * words of the work; and lone registered 8-grams with nothing around
 * them, at the same places: every level must report the same passages
 * at the same bytes and align as many works as the portable level, find
 * every passage --thorough finds (it aligns without the check), and
 * align fewer works than --thorough (the lone 8-grams turned away). */
static void lone_seed_check_same_on_every_level(void)
{
    setup();
    pk_index *ix = open_ix();
    CHECK(ix != NULL);
    if (!ix) return;
    pk_error e;
    pk_params p;
    pk_params_default(&p);
    pk_work_fp wf[NWORKS];
    for (int w = 0; w < NWORKS; w++)
        CHECK_EQ_I(pk_fingerprint_text(works[w].data, works[w].len, 0, &p, &wf[w], &e), 0);
    pk_buf d;
    pk_buf_init(&d, 0);
    uint64_t digest[PK_SIMD_NLEVELS + 1] = {0};
    uint64_t aligned[PK_SIMD_NLEVELS + 1] = {0};
    size_t found[PK_SIMD_NLEVELS + 1] = {0};
    /* l == PK_SIMD_NLEVELS: --thorough, on the portable level */
    for (int l = 0; l <= PK_SIMD_NLEVELS; l++) {
        const int thorough = l == PK_SIMD_NLEVELS;
        if (!thorough && !pk_simd_supported(l)) continue;
        pk_simd_force(thorough ? PK_SIMD_SCALAR : l);
        pk_scan_opts so;
        pk_scan_opts_default(&so);
        so.thorough = thorough;
        pk_scanner *s = NULL;
        CHECK_EQ_I(pk_scanner_new(&s, ix, &so, &e), 0);
        uint64_t h = 1469598103934665603ull;
        for (size_t c = 0; c < 96; c++) {
            /* place: the first words of the work, its last ones, or the
             * middle; side: filler on both sides, only after, only
             * before, or a little on both. */
            const int w = (int)(c % NWORKS), place = (int)(c % 3), side = (int)(c / 3 % 4), lone = c >= 48;
            size_t de;
            pk_buf_reset(&d);
            uint64_t seed = 5000 + c;
            if (side != 1) gen_words(&d, &seed, side == 3 ? 30 : 150);
            if (d.len) pk_buf_append(&d, " ", 1);
            if (!lone) {
                const size_t w0 = place == 0 ? 0 : place == 1 ? 1500 - 36 : 200 + 17 * c;
                put_work_words(&d, w, w0, 11, &de);
                pk_buf_append(&d, " quorbly ", 9);
                put_work_words(&d, w, w0 + 12, 12, &de);
                pk_buf_append(&d, " zentrix ", 9);
                put_work_words(&d, w, w0 + 25, 11, &de);
            } else {
                /* a registered 8-gram: the work's first, last or a middle fingerprint */
                const size_t i = place == 0 ? 0 : place == 1 ? wf[w].nfp - 1 : wf[w].nfp / 2 + c % 7;
                put_work_words(&d, w, wf[w].fp[i].pos, p.k, &de);
            }
            if (side != 2) {
                pk_buf_append(&d, " ", 1);
                gen_words(&d, &seed, side == 3 ? 30 : 150);
            }
            pk_finding *f;
            size_t nf;
            CHECK_EQ_I(pk_scan_text(s, d.data, d.len, &f, &nf, &e), 0);
            if (lone) CHECK_EQ_U(nf, 0);
            found[l] += nf;
            for (size_t i = 0; i < nf; i++)
                for (size_t q = 0; q < f[i].npassages; q++)
                    h = (h ^ (f[i].work * 1000003ull + f[i].passages[q].doc_start * 7919ull + f[i].passages[q].doc_end)) *
                        1099511628211ull;
        }
        digest[l] = h;
        aligned[l] = pk_scanner_alignments(s);
        pk_scanner_free(s);
    }
    pk_simd_force(-1);
    for (int l = 1; l < PK_SIMD_NLEVELS; l++) {
        if (!pk_simd_supported(l)) continue;
        CHECK_EQ_U(digest[l], digest[PK_SIMD_SCALAR]);
        CHECK_EQ_U(aligned[l], aligned[PK_SIMD_SCALAR]);
        CHECK_EQ_U(found[l], found[PK_SIMD_SCALAR]);
    }
    CHECK_EQ_U(found[PK_SIMD_SCALAR], found[PK_SIMD_NLEVELS]);
    CHECK_EQ_U(digest[PK_SIMD_SCALAR], digest[PK_SIMD_NLEVELS]);
    /* 32 of the 48 passages are found (27 of them only through the
     * check: 5 with the check answering no to all) */
    CHECK(found[PK_SIMD_SCALAR] >= 30);
    CHECK(aligned[PK_SIMD_SCALAR] < aligned[PK_SIMD_NLEVELS]);
    for (int w = 0; w < NWORKS; w++) pk_work_fp_free(&wf[w]);
    pk_buf_free(&d);
    pk_index_close(ix);
}

/* The scanner tokenizes a document a few thousand tokens at a time and
 * hashes each round's k-grams before the next (seed_document), keeping
 * the tokens' byte ranges (with AVX-512, eight at a time): a passage
 * whose k-grams straddle the end of a round, in a document of several
 * rounds, must be found whole, at its exact bytes, as one that does not,
 * on every vector level. */
static void passages_across_tokenizer_rounds(void)
{
    setup();
    pk_index *ix = open_ix();
    CHECK(ix != NULL);
    if (!ix) return;
    pk_scanner *s = NULL;
    pk_error e;
    CHECK_EQ_I(pk_scanner_new(&s, ix, NULL, &e), 0);
    pk_buf d;
    pk_buf_init(&d, 0);
    size_t exact = 0, tried = 0;
    for (int l = 0; l < PK_SIMD_NLEVELS; l++) {
        if (!pk_simd_supported(l)) continue;
        pk_simd_force(l);
        /* gen_words' words are one token each: the passage starts at
         * token pre + 1 ("zz" before it); rounds end every 4,096 tokens */
        for (size_t pre = 4096 - 60; pre < 4096 + 10; pre += 7) {
            for (size_t r = 1; r <= 2; r++) {
                const size_t before = pre + (r - 1) * 4096;
                pk_buf_reset(&d);
                uint64_t seed = 300 + pre + r;
                gen_words(&d, &seed, before);
                pk_buf_append(&d, " zz ", 4);
                size_t de, ds = put_work_words(&d, 3, 400, 60, &de);
                pk_buf_append(&d, " zz ", 4);
                gen_words(&d, &seed, 5000);
                pk_finding *f;
                size_t nf;
                CHECK_EQ_I(pk_scan_text(s, d.data, d.len, &f, &nf, &e), 0);
                tried++;
                if (nf == 1 && f[0].work == 3 && f[0].npassages == 1 && f[0].passages[0].doc_start == ds &&
                    f[0].passages[0].doc_end == de && f[0].matched_words == 60)
                    exact++;
            }
        }
    }
    pk_simd_force(-1);
    CHECK_EQ_U(exact, tried);
    CHECK(tried >= 20);
    pk_buf_free(&d);
    pk_scanner_free(s);
    pk_index_close(ix);
}

static void unrelated_text_is_clean(void)
{
    setup();
    pk_index *ix = open_ix();
    pk_scanner *s = NULL;
    pk_error e;
    CHECK_EQ_I(pk_scanner_new(&s, ix, NULL, &e), 0);
    pk_buf d;
    pk_buf_init(&d, 0);
    uint64_t seed = 4242;
    size_t total = 0;
    for (int i = 0; i < 200; i++) {
        pk_buf_reset(&d);
        gen_words(&d, &seed, 2000);
        pk_finding *f;
        size_t nf;
        CHECK_EQ_I(pk_scan_text(s, d.data, d.len, &f, &nf, &e), 0);
        total += nf;
    }
    CHECK_EQ_U(total, 0);
    pk_buf_free(&d);
    pk_scanner_free(s);
    pk_index_close(ix);
}

/* A passage shared by more works than max_df seeds nothing: it is a stock
 * phrase.  With max_df raised it is found in every work. */
static void stock_phrases_discounted(void)
{
    char sdb[512];
    tmp_db(sdb, sizeof sdb, "stock");
    pk_registry *r = NULL;
    pk_error e;
    CHECK_EQ_I(pk_registry_open(&r, sdb, PK_REG_CREATE, NULL, &e), 0);
    pk_buf common, w;
    pk_buf_init(&common, 0);
    pk_buf_init(&w, 0);
    uint64_t seed = 555;
    gen_words(&common, &seed, 40);
    for (int i = 0; i < 12; i++) {
        pk_buf_reset(&w);
        gen_words(&w, &seed, 300);
        pk_buf_putc(&w, ' ');
        pk_buf_append(&w, common.data, common.len);
        pk_buf_putc(&w, ' ');
        gen_words(&w, &seed, 300);
        pk_register_opts o;
        memset(&o, 0, sizeof o);
        char id[16];
        snprintf(id, sizeof id, "s%02d", i);
        o.id = id;
        pk_register_result res;
        CHECK_EQ_I(pk_registry_add(r, w.data, w.len, &o, &res, &e), 0);
    }
    pk_registry_close(r);
    pk_index *ix = NULL;
    CHECK_EQ_I(pk_index_open(&ix, sdb, &e), 0);
    pk_scanner *s = NULL;
    pk_buf_reset(&w);
    gen_words(&w, &seed, 100);
    pk_buf_putc(&w, ' ');
    pk_buf_append(&w, common.data, common.len);
    pk_buf_putc(&w, ' ');
    gen_words(&w, &seed, 100);
    pk_finding *f;
    size_t nf;
    CHECK_EQ_I(pk_scanner_new(&s, ix, NULL, &e), 0);
    CHECK_EQ_I(pk_scan_text(s, w.data, w.len, &f, &nf, &e), 0);
    CHECK_EQ_U(nf, 0);
    pk_scanner_free(s);
    pk_scan_opts o;
    pk_scan_opts_default(&o);
    o.max_df = 20;
    CHECK_EQ_I(pk_scanner_new(&s, ix, &o, &e), 0);
    CHECK_EQ_I(pk_scan_text(s, w.data, w.len, &f, &nf, &e), 0);
    CHECK_EQ_U(nf, 12);
    pk_scanner_free(s);
    pk_index_close(ix);
    pk_buf_free(&common);
    pk_buf_free(&w);
    remove(sdb);
}

/* A stale, truncated or damaged index is rebuilt, never trusted. */
static void damaged_index_rebuilt(void)
{
    setup();
    char ipath[600];
    snprintf(ipath, sizeof ipath, "%s.pkx", db);
    pk_index *ix = open_ix();
    CHECK(ix != NULL);
    uint64_t size = ix ? pk_index_size(ix) : 0;
    pk_index_close(ix);
    CHECK_EQ_I(truncate(ipath, (off_t)(size / 2)), 0);
    ix = open_ix();
    CHECK(ix != NULL);
    CHECK_EQ_U(ix ? pk_index_size(ix) : 0, size);
    pk_index_close(ix);
    /* Scribble over the entries. */
    FILE *f = fopen(ipath, "r+b");
    CHECK(f != NULL);
    if (f) {
        fseek(f, (long)(size * 3 / 4), SEEK_SET);
        for (int i = 0; i < 4096; i++) fputc(0xA5, f);
        fclose(f);
    }
    ix = open_ix();
    CHECK(ix != NULL);
    pk_scanner *s = NULL;
    pk_error e;
    if (ix) {
        CHECK_EQ_I(pk_scanner_new(&s, ix, NULL, &e), 0);
        pk_buf d;
        pk_buf_init(&d, 0);
        size_t ds, de;
        make_doc(&d, 5, 900, 50, &ds, &de, 3);
        pk_finding *fi;
        size_t nf;
        CHECK_EQ_I(pk_scan_text(s, d.data, d.len, &fi, &nf, &e), 0);
        CHECK_EQ_U(nf, 1);
        pk_buf_free(&d);
        pk_scanner_free(s);
    }
    pk_index_close(ix);
    /* No registry at all: a clear error, not a crash. */
    CHECK_EQ_I(pk_index_open(&ix, "/nonexistent/dir/registry.db", &e), PK_ENOTFOUND);
    CHECK(strstr(e.msg, "/nonexistent/dir/registry.db") != NULL);
}

/* A work that repeats one word, scanned in a document that repeats it ten
 * times longer: every 8-gram is the same, every position a fingerprint.
 * Postings per work and seeds inside found passages are capped, so this
 * stays linear; the whole work is reported covered. */
static void repetitive_text(void)
{
    char rdb[512];
    tmp_db(rdb, sizeof rdb, "rep");
    pk_registry *r = NULL;
    pk_error e;
    CHECK_EQ_I(pk_registry_open(&r, rdb, PK_REG_CREATE, NULL, &e), 0);
    pk_buf w, d;
    pk_buf_init(&w, 0);
    pk_buf_init(&d, 0);
    for (int i = 0; i < 3000; i++) pk_buf_append(&w, "la ", 3);
    for (int i = 0; i < 30000; i++) pk_buf_append(&d, "la ", 3);
    pk_register_opts o;
    memset(&o, 0, sizeof o);
    o.id = "la";
    pk_register_result res;
    CHECK_EQ_I(pk_registry_add(r, w.data, w.len, &o, &res, &e), 0);
    pk_registry_close(r);
    pk_index *ix = NULL;
    pk_scanner *s = NULL;
    CHECK_EQ_I(pk_index_open(&ix, rdb, &e), 0);
    CHECK_EQ_I(pk_scanner_new(&s, ix, NULL, &e), 0);
    pk_finding *f;
    size_t nf;
    CHECK_EQ_I(pk_scan_text(s, d.data, d.len, &f, &nf, &e), 0);
    CHECK_EQ_U(nf, 1);
    if (nf) {
        CHECK(f[0].coverage > 0.99);
        CHECK(f[0].npassages >= 10 && f[0].npassages <= 20);
    }
    pk_scanner_free(s);
    pk_index_close(ix);
    pk_buf_free(&w);
    pk_buf_free(&d);
    remove(rdb);
}

/* Heavy rewording leaves a reused passage as pieces too short to report
 * alone: they are chained into one passage.  A passage that a document
 * holds twice is two passages, not one. */
static void pieces_chained_repeats_not(void)
{
    setup();
    pk_index *ix = open_ix();
    CHECK(ix != NULL);
    if (!ix) return;
    pk_scanner *s = NULL;
    pk_error e;
    CHECK_EQ_I(pk_scanner_new(&s, ix, NULL, &e), 0);
    pk_buf d;
    pk_buf_init(&d, 0);
    uint64_t seed = 4242;
    gen_words(&d, &seed, 150);
    pk_buf_append(&d, " ", 1);
    /* Pieces of 22 words of work 3, each followed by 18 words of the work
     * with every third word changed (no two k-grams agree in a row). */
    size_t first = 0, last_end = 0, end;
    for (int piece = 0; piece < 3; piece++) {
        size_t w0 = 300 + (size_t)piece * 40;
        size_t at = put_work_words(&d, 3, w0, 22, &end);
        if (piece == 0) first = at;
        last_end = end;
        for (size_t x = 0; x < 18 && piece < 2; x++) {
            pk_buf_append(&d, " ", 1);
            if (x % 3 == 1) pk_buf_append(&d, "qzedit", 6);
            else put_work_words(&d, 3, w0 + 22 + x, 1, &end);
        }
        pk_buf_append(&d, " ", 1);
    }
    gen_words(&d, &seed, 150);
    pk_finding *f;
    size_t nf;
    CHECK_EQ_I(pk_scan_text(s, d.data, d.len, &f, &nf, &e), 0);
    CHECK_EQ_U(nf, 1);
    if (nf == 1) {
        CHECK_EQ_U(f[0].npassages, 1);
        CHECK_EQ_U(f[0].passages[0].doc_start, first);
        CHECK_EQ_U(f[0].passages[0].doc_end, last_end);
        CHECK_EQ_U(f[0].passages[0].work_start_word, 300);
        CHECK_EQ_U(f[0].passages[0].work_end_word, 300 + 80 + 22);
        CHECK(f[0].passages[0].nruns >= 3);
    }
    /* The same 60 words twice, ten words apart: two passages. */
    pk_buf_reset(&d);
    gen_words(&d, &seed, 100);
    size_t a1, e1, a2, e2;
    pk_buf_append(&d, " ", 1);
    a1 = put_work_words(&d, 3, 700, 60, &e1);
    pk_buf_append(&d, " ", 1);
    gen_words(&d, &seed, 10);
    pk_buf_append(&d, " ", 1);
    a2 = put_work_words(&d, 3, 700, 60, &e2);
    pk_buf_append(&d, " ", 1);
    gen_words(&d, &seed, 100);
    CHECK_EQ_I(pk_scan_text(s, d.data, d.len, &f, &nf, &e), 0);
    CHECK_EQ_U(nf, 1);
    if (nf == 1) {
        CHECK_EQ_U(f[0].npassages, 2);
        if (f[0].npassages == 2) {
            CHECK_EQ_U(f[0].passages[0].doc_start, a1);
            CHECK_EQ_U(f[0].passages[0].doc_end, e1);
            CHECK_EQ_U(f[0].passages[1].doc_start, a2);
            CHECK_EQ_U(f[0].passages[1].doc_end, e2);
        }
    }
    pk_buf_free(&d);
    pk_scanner_free(s);
    pk_index_close(ix);
}

/* A chorus repeated 100 times in one work does not hide another work
 * that holds it once. */
static void repeated_phrase_does_not_hide_others(void)
{
    char cdb[512];
    tmp_db(cdb, sizeof cdb, "chorus");
    pk_registry *r = NULL;
    pk_error e;
    CHECK_EQ_I(pk_registry_open(&r, cdb, PK_REG_CREATE, NULL, &e), 0);
    pk_buf chorus, a, b;
    pk_buf_init(&chorus, 0);
    pk_buf_init(&a, 0);
    pk_buf_init(&b, 0);
    uint64_t seed = 808;
    gen_words(&chorus, &seed, 40);
    for (int i = 0; i < 100; i++) { pk_buf_append(&a, chorus.data, chorus.len); pk_buf_append(&a, " zzz ", 5); }
    gen_words(&b, &seed, 300);
    pk_buf_putc(&b, ' ');
    pk_buf_append(&b, chorus.data, chorus.len);
    pk_buf_putc(&b, ' ');
    gen_words(&b, &seed, 300);
    pk_register_opts o;
    memset(&o, 0, sizeof o);
    pk_register_result res;
    o.id = "a-chorus";
    CHECK_EQ_I(pk_registry_add(r, a.data, a.len, &o, &res, &e), 0);
    o.id = "b-book";
    CHECK_EQ_I(pk_registry_add(r, b.data, b.len, &o, &res, &e), 0);
    pk_registry_close(r);
    pk_index *ix = NULL;
    pk_scanner *s = NULL;
    CHECK_EQ_I(pk_index_open(&ix, cdb, &e), 0);
    CHECK_EQ_I(pk_scanner_new(&s, ix, NULL, &e), 0);
    pk_finding *f;
    size_t nf;
    CHECK_EQ_I(pk_scan_text(s, chorus.data, chorus.len, &f, &nf, &e), 0);
    CHECK_EQ_U(nf, 2);
    pk_scanner_free(s);
    pk_index_close(ix);
    pk_buf_free(&chorus);
    pk_buf_free(&a);
    pk_buf_free(&b);
    remove(cdb);
}

/* A file's bytes into another: 0, or -1. */
static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    int ok = in && out;
    char buf[8192];
    size_t k;
    while (ok && (k = fread(buf, 1, sizeof buf, in)) > 0) ok = fwrite(buf, 1, k, out) == k;
    if (in) fclose(in);
    if (out && fclose(out) != 0) ok = 0;
    return ok ? 0 : -1;
}

/* Adding or removing a few works does not rewrite the index file: added
 * works are compiled into a delta (a file beside the index) and found,
 * removed ones are never reported; a large change rebuilds the file. */
static void incremental_updates(void)
{
    char idb[512], ipath[600];
    tmp_db(idb, sizeof idb, "incr");
    snprintf(ipath, sizeof ipath, "%s.pkx", idb);
    pk_registry *r = NULL;
    pk_error e;
    CHECK_EQ_I(pk_registry_open(&r, idb, PK_REG_CREATE, NULL, &e), 0);
    pk_buf w[30];
    uint64_t seed = 31337;
    pk_register_opts o;
    memset(&o, 0, sizeof o);
    pk_register_result res;
    char id[16];
    for (int i = 0; i < 30; i++) {
        pk_buf_init(&w[i], 0);
        gen_words(&w[i], &seed, 800);
    }
    for (int i = 0; i < 8; i++) {
        snprintf(id, sizeof id, "w%02d", i);
        o.id = id;
        CHECK_EQ_I(pk_registry_add(r, w[i].data, w[i].len, &o, &res, &e), 0);
    }
    pk_index *ix = NULL;
    CHECK_EQ_I(pk_index_open(&ix, idb, &e), 0);
    CHECK(ix && pk_index_delta(ix) == NULL);
    pk_index_close(ix);
    struct stat st0, st1;
    CHECK_EQ_I(stat(ipath, &st0), 0);

    /* One more work, one removed. */
    o.id = "w08";
    CHECK_EQ_I(pk_registry_add(r, w[8].data, w[8].len, &o, &res, &e), 0);
    CHECK_EQ_I(pk_registry_remove(r, "w03", &e), 0);
    CHECK_EQ_I(pk_index_open(&ix, idb, &e), 0);
    CHECK(ix && pk_index_delta(ix) != NULL);
    CHECK_EQ_I(stat(ipath, &st1), 0);
    CHECK(st1.st_ino == st0.st_ino && st1.st_mtime == st0.st_mtime && st1.st_size == st0.st_size);
    pk_scanner *s = NULL;
    CHECK_EQ_I(pk_scanner_new(&s, ix, NULL, &e), 0);
    pk_finding *f;
    size_t nf;
    pk_buf d;
    pk_buf_init(&d, 0);
    const int probe[3] = {8, 3, 5};
    const size_t expect[3] = {1, 0, 1};
    for (int t = 0; t < 3; t++) {
        pk_buf_reset(&d);
        gen_words(&d, &seed, 100);
        pk_buf_append(&d, " zzfiller ", 10);
        size_t a = word_start(w[probe[t]].data, w[probe[t]].len, 100), b = word_end(w[probe[t]].data, w[probe[t]].len, 159);
        pk_buf_append(&d, w[probe[t]].data + a, b - a);
        pk_buf_append(&d, " zzfiller ", 10);
        CHECK_EQ_I(pk_scan_text(s, d.data, d.len, &f, &nf, &e), 0);
        CHECK_EQ_U(nf, expect[t]);
        if (nf == 1) {
            snprintf(id, sizeof id, "w%02d", probe[t]);
            CHECK_STR(pk_index_work_id(ix, f[0].work), id);
            CHECK_EQ_U(f[0].matched_words, 60);
        }
    }
    pk_scanner_free(s);
    pk_index_close(ix);

    /* The delta was written beside the index (IPATH.delta) and the next
     * open maps it as it is, not compiled again. */
    char dpath[640], dsave[660];
    snprintf(dpath, sizeof dpath, "%s.delta", ipath);
    snprintf(dsave, sizeof dsave, "%s.saved", dpath);
    struct stat sd0, sd1;
    CHECK_EQ_I(stat(dpath, &sd0), 0);
    CHECK_EQ_I(pk_index_open(&ix, idb, &e), 0);
    CHECK(ix && pk_index_delta(ix) != NULL);
    CHECK_EQ_U(ix ? pk_index_nworks(ix) : 0, 9);
    pk_index_close(ix);
    CHECK_EQ_I(stat(dpath, &sd1), 0);
    CHECK(sd1.st_ino == sd0.st_ino && sd1.st_mtime == sd0.st_mtime);
    CHECK_EQ_I(copy_file(dpath, dsave), 0); /* kept, to be put back when it is no longer this state's */

    /* The newest work of the index file removed and a new one added: the
     * new one is never mistaken for the old (rowids are not reused).  The
     * delta of the state before is put back first: it must be compiled
     * again, not used (it lacks w29). */
    CHECK_EQ_I(pk_registry_remove(r, "w07", &e), 0);
    o.id = "w29";
    CHECK_EQ_I(pk_registry_add(r, w[29].data, w[29].len, &o, &res, &e), 0);
    CHECK_EQ_I(rename(dsave, dpath), 0);
    CHECK_EQ_I(pk_index_open(&ix, idb, &e), 0);
    CHECK(ix && pk_index_delta(ix) != NULL);
    CHECK_EQ_I(pk_scanner_new(&s, ix, NULL, &e), 0);
    const int probe2[2] = {29, 7};
    for (int t = 0; t < 2; t++) {
        pk_buf_reset(&d);
        size_t a = word_start(w[probe2[t]].data, w[probe2[t]].len, 300), b = word_end(w[probe2[t]].data, w[probe2[t]].len, 349);
        pk_buf_append(&d, w[probe2[t]].data + a, b - a);
        CHECK_EQ_I(pk_scan_text(s, d.data, d.len, &f, &nf, &e), 0);
        CHECK_EQ_U(nf, t == 0 ? 1 : 0);
        if (nf == 1) CHECK_STR(pk_index_work_id(ix, f[0].work), "w29");
    }
    pk_scanner_free(s);
    pk_index_close(ix);

    /* A registry whose rowid sequence went back (restored from a backup
     * older than the index file) is rebuilt, not patched. */
    CHECK_EQ_I(sqlite3_exec(pk_registry_db(r), "UPDATE sqlite_sequence SET seq = 1 WHERE name = 'works'", NULL, NULL, NULL),
               SQLITE_OK);
    CHECK_EQ_I(pk_index_open(&ix, idb, &e), 0);
    CHECK(ix && pk_index_delta(ix) == NULL);
    pk_index_close(ix);

    /* Many more works: the index file is rebuilt, and has no delta. */
    for (int i = 9; i < 29; i++) {
        snprintf(id, sizeof id, "w%02d", i);
        o.id = id;
        CHECK_EQ_I(pk_registry_add(r, w[i].data, w[i].len, &o, &res, &e), 0);
    }
    CHECK_EQ_I(pk_index_open(&ix, idb, &e), 0);
    CHECK(ix && pk_index_delta(ix) == NULL);
    CHECK_EQ_U(ix ? pk_index_nworks(ix) : 0, 28);
    pk_index_close(ix);
    CHECK(stat(dpath, &sd1) != 0); /* the rebuilt index holds it all: no stale delta left */
    pk_registry_close(r);
    for (int i = 0; i < 30; i++) pk_buf_free(&w[i]);
    pk_buf_free(&d);
    remove(idb);
    remove(ipath);
    remove(dpath);
}

/* Works d (w[3]) and e (w[4]) scanned against ix: e is registered, d is
 * not. */
static void e_found_d_not(pk_index *ix, const pk_buf *w)
{
    pk_error e;
    pk_scanner *s = NULL;
    CHECK_EQ_I(pk_scanner_new(&s, ix, NULL, &e), 0);
    for (int t = 3; t < 5 && s; t++) {
        pk_finding *f;
        size_t nf;
        size_t a = word_start(w[t].data, w[t].len, 100), b = word_end(w[t].data, w[t].len, 199);
        CHECK_EQ_I(pk_scan_text(s, w[t].data + a, b - a, &f, &nf, &e), 0);
        CHECK_EQ_U(nf, t == 4 ? 1 : 0);
        if (nf == 1) CHECK_STR(pk_index_work_id(ix, f[0].work), "e");
    }
    pk_scanner_free(s);
}

/* Register len bytes of w as work id in the registry at path (opened
 * for it and closed). */
static void reopen_add(const char *path, const char *id, const pk_buf *w, size_t len)
{
    pk_error e;
    pk_registry *r = NULL;
    CHECK_EQ_I(pk_registry_open(&r, path, 0, NULL, &e), 0);
    if (!r) return;
    pk_register_opts o;
    memset(&o, 0, sizeof o);
    o.id = id;
    pk_register_result res;
    CHECK_EQ_I(pk_registry_add(r, w->data, len, &o, &res, &e), 0);
    pk_registry_close(r);
}

/* A registry restored from a backup and then changed reaches a generation
 * it had before, with another work at the same rowid: the delta file of
 * the other history must not be taken (the registry's state differs),
 * nor an index file compiled in it. */
static void restored_registry_delta_not_reused(void)
{
    char idb[512], ipath[600], dpath[640], bak[600];
    tmp_db(idb, sizeof idb, "restore");
    snprintf(ipath, sizeof ipath, "%s.pkx", idb);
    snprintf(dpath, sizeof dpath, "%s.delta", ipath);
    snprintf(bak, sizeof bak, "%s.bak", idb);
    pk_error e;
    pk_buf w[5];
    uint64_t seed = 4711;
    for (int i = 0; i < 5; i++) {
        pk_buf_init(&w[i], 0);
        gen_words(&w[i], &seed, i < 3 ? 1500 : 300); /* d and e: a delta, not a rebuild */
    }
    pk_register_opts o;
    memset(&o, 0, sizeof o);
    pk_register_result res;
    pk_registry *r = NULL;
    CHECK_EQ_I(pk_registry_open(&r, idb, PK_REG_CREATE, NULL, &e), 0);
    const char *ids[5] = {"a", "b", "c", "d", "e"};
    for (int i = 0; i < 3; i++) {
        o.id = ids[i];
        CHECK_EQ_I(pk_registry_add(r, w[i].data, w[i].len, &o, &res, &e), 0);
    }
    CHECK_EQ_I(pk_index_compile(r, ipath, &e), 0);
    pk_registry_close(r);
    CHECK_EQ_I(copy_file(idb, bak), 0);
    /* history 1: d registered, a scan writes the delta */
    reopen_add(idb, "d", &w[3], w[3].len);
    pk_index *ix = NULL;
    CHECK_EQ_I(pk_index_open(&ix, idb, &e), 0);
    CHECK(ix && pk_index_delta(ix) != NULL);
    pk_index_close(ix);
    struct stat sd;
    CHECK_EQ_I(stat(dpath, &sd), 0);
    /* history 2: the backup back, e registered (same generation, same rowid) */
    CHECK_EQ_I(copy_file(bak, idb), 0);
    reopen_add(idb, "e", &w[4], w[4].len);
    CHECK_EQ_I(pk_index_open(&ix, idb, &e), 0);
    e_found_d_not(ix, w);
    pk_index_close(ix);

    /* The same for the index file itself: compiled after d was registered
     * (history 1), then the backup restored and two works registered past
     * that generation (e and f: e takes d's rowid).  The file is of the
     * other history and is rebuilt, not patched with a delta. */
    CHECK_EQ_I(copy_file(bak, idb), 0);
    reopen_add(idb, "d", &w[3], w[3].len);
    CHECK_EQ_I(pk_registry_open(&r, idb, 0, NULL, &e), 0);
    CHECK_EQ_I(pk_index_compile(r, ipath, &e), 0);
    pk_registry_close(r);
    CHECK_EQ_I(copy_file(bak, idb), 0);
    reopen_add(idb, "e", &w[4], w[4].len);
    reopen_add(idb, "f", &w[2], w[2].len / 2);
    CHECK_EQ_I(pk_index_open(&ix, idb, &e), 0);
    e_found_d_not(ix, w);
    pk_index_close(ix);
    for (int i = 0; i < 5; i++) pk_buf_free(&w[i]);
    remove(idb);
    remove(ipath);
    remove(dpath);
    remove(bak);
}

/* A registry whose works table reuses rowids (made without AUTOINCREMENT,
 * as an older picket did): replacing its newest work must not leave the
 * old text reported and the new one missed; the index is rebuilt. */
static void reused_rowids_rebuild(void)
{
    char odb[512];
    tmp_db(odb, sizeof odb, "oldschema");
    sqlite3 *sdb = NULL;
    CHECK_EQ_I(sqlite3_open(odb, &sdb), SQLITE_OK);
    CHECK_EQ_I(sqlite3_exec(sdb,
                            "CREATE TABLE works(rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT,"
                            " author TEXT, source TEXT, sha256 TEXT NOT NULL UNIQUE, bytes INTEGER NOT NULL,"
                            " tokens INTEGER NOT NULL, fingerprints INTEGER NOT NULL, added TEXT NOT NULL,"
                            " sketch BLOB NOT NULL, lines BLOB NOT NULL, text BLOB, fps BLOB NOT NULL DEFAULT x'',"
                            " format TEXT NOT NULL DEFAULT 'text', pages BLOB NOT NULL DEFAULT x'',"
                            " scenes BLOB NOT NULL DEFAULT x'');",
                            NULL, NULL, NULL),
               SQLITE_OK);
    sqlite3_close(sdb);
    pk_registry *r = NULL;
    pk_error e;
    CHECK_EQ_I(pk_registry_open(&r, odb, PK_REG_CREATE, NULL, &e), 0);
    pk_buf w[4];
    uint64_t seed = 4711;
    pk_register_opts o;
    memset(&o, 0, sizeof o);
    pk_register_result res;
    const char *ids[4] = {"a", "b", "c", "c"};
    for (int i = 0; i < 4; i++) {
        pk_buf_init(&w[i], 0);
        gen_words(&w[i], &seed, 600);
    }
    for (int i = 0; i < 3; i++) {
        o.id = ids[i];
        CHECK_EQ_I(pk_registry_add(r, w[i].data, w[i].len, &o, &res, &e), 0);
    }
    pk_index *ix = NULL;
    CHECK_EQ_I(pk_index_open(&ix, odb, &e), 0);
    pk_index_close(ix);
    CHECK_EQ_I(pk_registry_remove(r, "c", &e), 0);
    o.id = "c";
    CHECK_EQ_I(pk_registry_add(r, w[3].data, w[3].len, &o, &res, &e), 0); /* takes the old rowid */
    CHECK_EQ_I(pk_index_open(&ix, odb, &e), 0);
    CHECK(ix && pk_index_delta(ix) == NULL);
    pk_scanner *s = NULL;
    CHECK_EQ_I(pk_scanner_new(&s, ix, NULL, &e), 0);
    pk_finding *f;
    size_t nf;
    CHECK_EQ_I(pk_scan_text(s, w[3].data, w[3].len, &f, &nf, &e), 0);
    CHECK_EQ_U(nf, 1);
    CHECK_EQ_I(pk_scan_text(s, w[2].data, w[2].len, &f, &nf, &e), 0);
    CHECK_EQ_U(nf, 0);
    pk_scanner_free(s);
    pk_index_close(ix);
    pk_registry_close(r);
    for (int i = 0; i < 4; i++) pk_buf_free(&w[i]);
    remove(odb);
}

/* The lone-seed check's band test (pk_lone_band) gives the portable
 * level's answer on every level: random sketches over small alphabets
 * (agreeing values everywhere) and over all 16 bits with planted pairs
 * (one agreeing pair, at the edges of the band and of the masks), random
 * and contiguous masks. */
static void lone_band_same_on_every_level(void)
{
    uint64_t seed = 99;
    uint16_t W[114], D[98];
    int bad = 0, yes = 0, no = 0;
    for (int trial = 0; trial < 20000; trial++) {
        const int kind = trial % 4;
        const uint64_t alpha = kind == 0 ? 3 : kind == 1 ? 40 : 65536;
        for (size_t i = 0; i < 114; i++) W[i] = (uint16_t)(t_rand(&seed) % alpha);
        for (size_t i = 0; i < 98; i++) D[i] = (uint16_t)(t_rand(&seed) % alpha);
        if (kind >= 2) {
            /* a pair at t (and t + 1) agreeing with the work at t + u */
            const size_t t = trial % 7 == 0 ? 96 : trial % 7 == 1 ? 0 : t_rand(&seed) % 97;
            const size_t u = trial % 5 == 0 ? 16 : trial % 5 == 1 ? 0 : t_rand(&seed) % 17;
            W[t + u] = D[t];
            W[t + u + 1] = D[t + 1];
        }
        uint64_t allow[2], wok[2];
        if (trial % 3 == 0) {
            allow[0] = t_rand(&seed);
            allow[1] = t_rand(&seed) & (((uint64_t)1 << 33) - 1);
            wok[0] = t_rand(&seed) | t_rand(&seed);
            wok[1] = t_rand(&seed) | t_rand(&seed);
        } else {
            const unsigned a = (unsigned)(t_rand(&seed) % 98), b = a + (unsigned)(t_rand(&seed) % (98 - a));
            allow[0] = (b >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << b) - 1) &
                       ~(a >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << a) - 1);
            allow[1] = (b <= 64 ? 0 : ((uint64_t)1 << (b - 64)) - 1) & ~(a <= 64 ? 0 : ((uint64_t)1 << (a - 64)) - 1);
            wok[0] = ~(uint64_t)0 << (t_rand(&seed) % 8);
            wok[1] = ~(uint64_t)0 >> (t_rand(&seed) % 8);
        }
        pk_simd_force(PK_SIMD_SCALAR);
        const int want = pk_lone_band(W, D, allow, wok);
        want ? yes++ : no++;
        for (int l = 0; l < PK_SIMD_NLEVELS; l++) {
            if (!pk_simd_supported(l)) continue;
            pk_simd_force(l);
            if (pk_lone_band(W, D, allow, wok) != want) {
                if (bad++ < 5) fprintf(stderr, "  band differs on %s, trial %d\n", pk_simd_level_name(l), trial);
            }
        }
    }
    pk_simd_force(-1);
    CHECK_EQ_U(bad, 0);
    CHECK(yes > 1000 && no > 1000);
}

/* pk_corpus_scan's record and flush callbacks: every record's id, error
 * and findings as text, in order. */
static int map_record(const pk_record *rec, pk_sink *sink, void *ud)
{
    (void)ud;
    pk_buf *b = &sink->out[0];
    pk_buf_printf(b, "%.*s e%d n%zu len%zu", (int)rec->id_len, rec->id, rec->error, rec->nfindings, rec->text_len);
    for (size_t i = 0; i < rec->nfindings; i++)
        for (size_t q = 0; q < rec->findings[i].npassages; q++)
            pk_buf_printf(b, " w%u:%llu-%llu", rec->findings[i].work,
                          (unsigned long long)rec->findings[i].passages[q].doc_start,
                          (unsigned long long)rec->findings[i].passages[q].doc_end);
    pk_buf_putc(b, '\n');
    return 0;
}

static int map_flush(pk_sink *sink, void *ud)
{
    return pk_buf_append(ud, sink->out[0].data, sink->out[0].len);
}

/* Text files scanned mapped (pk_source_map) and read with read(2)
 * (no_map) give the same records: files whose end is a page boundary, one
 * byte short of it or past it, without a final newline, with a work's
 * passage running to the last byte; and an empty file. */
static void mapped_text_files_scan_as_read(void)
{
    setup();
    pk_index *ix = open_ix();
    CHECK(ix != NULL);
    if (!ix) return;
    const size_t ps = (size_t)sysconf(_SC_PAGESIZE);
    char paths[6][600];
    char *argv[6];
    pk_buf d;
    pk_buf_init(&d, 0);
    uint64_t seed = 5;
    for (int f = 0; f < 6; f++) {
        snprintf(paths[f], sizeof paths[f], "%s.map%d.txt", db, f);
        argv[f] = paths[f];
        pk_buf_reset(&d);
        if (f < 5) {
            gen_words(&d, &seed, 300);
            pk_buf_putc(&d, ' ');
            size_t end;
            put_work_words(&d, f % NWORKS, 100, 60, &end);
            /* pad the front so the work's words end at the size wanted */
            const size_t want = f == 4 ? d.len : (2 + (size_t)f / 2) * ps - (size_t)(f % 2);
            pk_buf pad;
            pk_buf_init(&pad, 0);
            while (pad.len + d.len < want) pk_buf_putc(&pad, pad.len % 7 == 6 ? ' ' : 'q');
            if (pad.len) pad.data[pad.len - 1] = '\n';
            pk_buf_append(&pad, d.data, d.len);
            pk_buf_free(&d);
            d = pad;
        }
        FILE *fp = fopen(paths[f], "wb");
        CHECK(fp && fwrite(d.data ? d.data : "", 1, d.len, fp) == d.len && fclose(fp) == 0);
    }
    pk_buf out[2];
    for (int no_map = 0; no_map < 2; no_map++) {
        pk_buf_init(&out[no_map], 0);
        pk_corpus_opts o;
        pk_corpus_opts_default(&o);
        o.threads = 1;
        o.format = PK_FMT_TEXT;
        o.no_map = no_map;
        o.record = map_record;
        o.flush = map_flush;
        o.ud = &out[no_map];
        pk_corpus_stats st;
        pk_error e;
        CHECK_EQ_I(pk_corpus_scan(ix, argv, 6, &o, &st, &e), 0);
    }
    CHECK(out[0].len > 0 && out[0].len == out[1].len && memcmp(out[0].data, out[1].data, out[0].len) == 0);
    CHECK(out[0].data && strstr(out[0].data, " w0:") && strstr(out[0].data, " w4:"));
    char want[64];
    snprintf(want, sizeof want, "len%zu w3:", 3 * ps - 1); /* the passage runs to the last byte */
    CHECK(out[0].data && strstr(out[0].data, want));
    snprintf(want, sizeof want, "len%zu w2:", 3 * ps);
    CHECK(out[0].data && strstr(out[0].data, want));
    for (int f = 0; f < 6; f++) remove(paths[f]);
    pk_buf_free(&out[0]);
    pk_buf_free(&out[1]);
    pk_buf_free(&d);
    pk_index_close(ix);
}

static void cleanup(void)
{
    char side[600];
    remove(db);
    snprintf(side, sizeof side, "%s.pkx", db); remove(side);
    snprintf(side, sizeof side, "%s-wal", db); remove(side);
    snprintf(side, sizeof side, "%s-shm", db); remove(side);
    for (int i = 0; i < NWORKS; i++) pk_buf_free(&works[i]);
    CHECK(1);
}

TEST_MAIN(TEST(verbatim_passage_exact_offsets), TEST(pieces_chained_repeats_not), TEST(every_25_word_run_found), TEST(lone_seed_reads_nothing),
          TEST(windows_find_what_whole_scan_finds), TEST(windows_on_threads_find_the_same),
          TEST(short_passages_not_reported), TEST(reformatted_and_edited), TEST(edited_passages_found_as_thorough), TEST(lone_seed_check_same_on_every_level), TEST(passages_across_tokenizer_rounds),
          TEST(lone_band_same_on_every_level),
          TEST(unrelated_text_is_clean), TEST(stock_phrases_discounted), TEST(damaged_index_rebuilt), TEST(repetitive_text),
          TEST(repeated_phrase_does_not_hide_others), TEST(incremental_updates), TEST(restored_registry_delta_not_reused),
          TEST(reused_rowids_rebuild), TEST(mapped_text_files_scan_as_read), TEST(cleanup))
