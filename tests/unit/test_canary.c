/* test_canary.c -- canaries: the generator is deterministic from a seed
 * and gives distinct list words, sets survive the registry, the copy
 * carries them where canary.c says, lookup finds them exactly and
 * fuzzily, and the p-values equal brute-force counts. */
#include "canary.h"
#include "pk.h"
#include "test.h"

#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen.h"

static const unsigned char seed1[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static void word_list_is_4096_distinct_cvcv_words(void)
{
    char w[5], prev[5] = "";
    for (unsigned c = 0; c < 4096; c++) {
        pk_canary_word(c, w);
        CHECK_EQ_I(pk_canary_word_code(w, 4), (int)c);
        CHECK(strcmp(w, prev) != 0);
        memcpy(prev, w, 5);
    }
    pk_canary_word(0, w);
    CHECK_STR(w, "baba");
    pk_canary_word(4095, w);
    CHECK_STR(w, "zuzu");
    CHECK_EQ_I(pk_canary_word_code("KILO", 4), pk_canary_word_code("kilo", 4));
    CHECK_EQ_I(pk_canary_word_code("kile", 4), -1); /* e is not a vowel of the list */
    CHECK_EQ_I(pk_canary_word_code("kilos", 5), -1);
    CHECK_EQ_I(pk_canary_word_code("akil", 4), -1);
}

static void generator_is_deterministic_from_its_seed(void)
{
    pk_canary_set a, b;
    pk_canary_set_init(&a);
    pk_canary_set_init(&b);
    pk_error e;
    CHECK_EQ_I(pk_canary_generate(&a, seed1, 4, 200, &e), 0);
    CHECK_EQ_I(pk_canary_generate(&b, seed1, 4, 200, &e), 0);
    for (uint32_t i = 0; i < 204; i++) CHECK_STR(a.seq[i], b.seq[i]);
    /* The first sequences do not depend on how many follow. */
    CHECK_EQ_I(pk_canary_generate(&b, seed1, 2, 50, &e), 0);
    CHECK_STR(a.seq[0], b.seq[0]);
    CHECK_STR(a.seq[3], b.seq[3]);
    /* Another seed, other sequences. */
    unsigned char seed2[32];
    memcpy(seed2, seed1, 32);
    seed2[31] ^= 1;
    CHECK_EQ_I(pk_canary_generate(&b, seed2, 4, 200, &e), 0);
    CHECK(strcmp(a.seq[0], b.seq[0]) != 0);
    /* 8 words of the list, single spaces. */
    CHECK_EQ_U(strlen(a.seq[0]), PK_CANARY_LEN - 1);
    for (int j = 0; j < PK_CANARY_WORDS; j++) CHECK(pk_canary_word_code(a.seq[0] + 5 * j, 4) >= 0);
    /* Fresh seeds differ. */
    CHECK_EQ_I(pk_canary_new(&b, 1, 10, &e), 0);
    CHECK(memcmp(b.seed, a.seed, 32) != 0);
    CHECK_EQ_I(pk_canary_generate(&b, seed1, 0, 10, &e), PK_EINVAL);
    CHECK_EQ_I(pk_canary_generate(&b, seed1, 1, 0, &e), PK_EINVAL);
    CHECK_EQ_I(pk_canary_generate(&b, seed1, PK_CANARY_MAX_COUNT + 1, 10, &e), PK_EINVAL);
    pk_canary_set_free(&a);
    pk_canary_set_free(&b);
}

static int cmp_seq(const void *x, const void *y) { return strcmp(x, y); }

static void canaries_and_nulls_are_all_distinct(void)
{
    pk_canary_set s;
    pk_canary_set_init(&s);
    pk_error e;
    CHECK_EQ_I(pk_canary_generate(&s, seed1, 100, 20000, &e), 0);
    size_t n = (size_t)s.count + s.nulls;
    char(*copy)[PK_CANARY_LEN] = malloc(n * sizeof *copy);
    memcpy(copy, s.seq, n * sizeof *copy);
    qsort(copy, n, sizeof *copy, cmp_seq);
    size_t dups = 0;
    for (size_t i = 1; i < n; i++) dups += strcmp(copy[i - 1], copy[i]) == 0;
    CHECK_EQ_U(dups, 0);
    /* Words are uniform: each of the 4096 drawn about 20100 * 8 / 4096
     * = 39 times; a chi-square with 4095 degrees of freedom stays well
     * under 4095 + 6 * sqrt(2 * 4095). */
    static unsigned hist[4096];
    memset(hist, 0, sizeof hist);
    for (size_t i = 0; i < n; i++)
        for (int j = 0; j < PK_CANARY_WORDS; j++) hist[pk_canary_word_code(s.seq[i] + 5 * j, 4)]++;
    double expect = (double)n * PK_CANARY_WORDS / 4096, chi = 0;
    for (int c = 0; c < 4096; c++) chi += (hist[c] - expect) * (hist[c] - expect) / expect;
    CHECK(chi < 4095 + 6 * sqrt(2 * 4095.0));
    CHECK(chi > 4095 - 6 * sqrt(2 * 4095.0));
    free(copy);
    pk_canary_set_free(&s);
}

static int count_cb(const pk_canary_set *x, void *ud)
{
    CHECK(x->seq == NULL);
    CHECK_EQ_U(x->count, 5);
    (*(int *)ud)++;
    return 0;
}

static void sets_round_trip_through_the_registry(void)
{
    char db[512];
    tmp_db(db, sizeof db, "canary");
    pk_registry *r = NULL;
    pk_error e;
    CHECK_EQ_I(pk_registry_open(&r, db, PK_REG_CREATE, NULL, &e), 0);
    if (!r) return;
    /* No tables yet: nothing listed, nothing loaded. */
    CHECK_EQ_I(pk_canary_load(r, 1, &(pk_canary_set){0}, &e), PK_ENOTFOUND);
    pk_canary_set s, t;
    pk_canary_set_init(&s);
    pk_canary_set_init(&t);
    snprintf(s.work, sizeof s.work, "the-crossing");
    snprintf(s.sha256, sizeof s.sha256, "%064d", 7);
    snprintf(s.copy_sha256, sizeof s.copy_sha256, "%064d", 8);
    snprintf(s.format, sizeof s.format, "fountain");
    CHECK_EQ_I(pk_canary_new(&s, 5, 500, &e), 0);
    CHECK_EQ_I(pk_canary_store(r, &s, &e), 0);
    CHECK_EQ_I(s.id, 1);
    CHECK_EQ_I(pk_canary_load(r, s.id, &t, &e), 0);
    CHECK_STR(t.work, "the-crossing");
    CHECK_STR(t.format, "fountain");
    CHECK_STR(t.created, s.created);
    CHECK_EQ_U(t.count, 5);
    CHECK_EQ_U(t.nulls, 500);
    CHECK(memcmp(t.seed, s.seed, 32) == 0);
    for (uint32_t i = 0; i < 505; i++) CHECK_STR(t.seq[i], s.seq[i]);
    CHECK_EQ_I(pk_canary_load(r, 99, &t, &e), PK_ENOTFOUND);
    /* Listed by work, by either hash, and not by another key. */
    int n = 0;
    CHECK_EQ_I(pk_canary_each(r, "the-crossing", count_cb, &n, &e), 0);
    CHECK_EQ_I(pk_canary_each(r, s.copy_sha256, count_cb, &n, &e), 0);
    CHECK_EQ_I(pk_canary_each(r, "nope", count_cb, &n, &e), 0);
    CHECK_EQ_I(pk_canary_each(r, NULL, count_cb, &n, &e), 0);
    CHECK_EQ_I(n, 3);
    /* A tampered sequence is caught on load. */
    CHECK_EQ_I(sqlite3_exec(pk_registry_db(r), "UPDATE canaries SET text='baba baba baba baba baba baba baba baba'"
                                               " WHERE idx=3", NULL, NULL, NULL), SQLITE_OK);
    CHECK_EQ_I(pk_canary_load(r, s.id, &t, &e), PK_ECORRUPT);
    CHECK(t.seq == NULL);
    pk_registry_close(r);
    pk_canary_set_free(&s);
    pk_canary_set_free(&t);
    remove(db);
}

static void copies_carry_the_canaries_where_documented(void)
{
    pk_canary_set s;
    pk_canary_set_init(&s);
    pk_error e;
    pk_buf out;
    pk_buf_init(&out, 0);
    CHECK_EQ_I(pk_canary_generate(&s, seed1, 2, 10, &e), 0);
    char want[256];
    /* Plain text: a colophon after one blank line. */
    const char *txt = "The end of the story.\n\n\n";
    CHECK_EQ_I(pk_canary_publish(&s, PK_WORK_TEXT, txt, strlen(txt), 0, &out, &e), 0);
    snprintf(want, sizeof want, "The end of the story.\n\nCatalogue reference: %s\nCatalogue reference: %s\n", s.seq[0],
             s.seq[1]);
    CHECK_STR(out.data, want);
    /* CRLF works keep CRLF. */
    const char *crlf = "One.\r\nTwo.\r\n";
    CHECK_EQ_I(pk_canary_publish(&s, PK_WORK_TEXT, crlf, strlen(crlf), 0, &out, &e), 0);
    snprintf(want, sizeof want, "One.\r\nTwo.\r\n\r\nCatalogue reference: %s\r\nCatalogue reference: %s\r\n", s.seq[0],
             s.seq[1]);
    CHECK_STR(out.data, want);
    /* Fountain: notes, or action lines with visible. */
    const char *ftn = "INT. ROOM - DAY\n\nShe leaves.\n";
    CHECK_EQ_I(pk_canary_publish(&s, PK_WORK_FOUNTAIN, ftn, strlen(ftn), 0, &out, &e), 0);
    snprintf(want, sizeof want, "\n\n[[Catalogue reference: %s]]\n\n[[Catalogue reference: %s]]\n", s.seq[0], s.seq[1]);
    CHECK(strstr(out.data, want) != NULL);
    CHECK_EQ_I(pk_canary_publish(&s, PK_WORK_FOUNTAIN, ftn, strlen(ftn), 1, &out, &e), 0);
    snprintf(want, sizeof want, "She leaves.\n\nCatalogue reference: %s\n\n", s.seq[0]);
    CHECK(strstr(out.data, want) != NULL);
    /* HTML: before the last </article>, else </body>. */
    const char *html = "<html><body><article><p>Text.</p></article><footer>f</footer></BODY></html>";
    CHECK_EQ_I(pk_canary_publish(&s, PK_WORK_HTML, html, strlen(html), 0, &out, &e), 0);
    char *at = strstr(out.data, s.seq[1]);
    CHECK(at && strstr(at, "</article>") && strstr(out.data, "<p>Text.</p>") < at);
    const char *html2 = "<html><body><p>Text.</p></BODY></html>";
    CHECK_EQ_I(pk_canary_publish(&s, PK_WORK_HTML, html2, strlen(html2), 0, &out, &e), 0);
    at = strstr(out.data, s.seq[1]);
    CHECK(at && strstr(at, "</BODY>"));
    /* No tags at all: at the end. */
    CHECK_EQ_I(pk_canary_publish(&s, PK_WORK_HTML, "x", 1, 0, &out, &e), 0);
    CHECK(strncmp(out.data, "x\n<p class=", 11) == 0);
    /* Empty work: the colophon alone. */
    CHECK_EQ_I(pk_canary_publish(&s, PK_WORK_TEXT, "", 0, 0, &out, &e), 0);
    CHECK(strncmp(out.data, "Catalogue reference: ", 21) == 0);
    CHECK_EQ_I(pk_canary_publish(&s, PK_WORK_PDF, "x", 1, 0, &out, &e), PK_EINVAL);
    pk_buf_free(&out);
    pk_canary_set_free(&s);
}

static void lookup_finds_canaries_exactly_and_fuzzily(void)
{
    pk_canary_set s;
    pk_canary_set_init(&s);
    pk_error e;
    CHECK_EQ_I(pk_canary_generate(&s, seed1, 3, 1000, &e), 0);
    char text[512];
    /* Canary 1 in upper case with punctuation, null 500 on a new line. */
    char up[PK_CANARY_LEN];
    for (int i = 0; i < PK_CANARY_LEN; i++) up[i] = (char)(s.seq[1][i] >= 'a' ? s.seq[1][i] - 32 : s.seq[1][i]);
    snprintf(text, sizeof text, "A kilo of soda. Catalogue reference: %s.\n%s\nend", up, s.seq[3 + 500 - 3]);
    pk_canary_hit *h = NULL;
    size_t nh = 0;
    CHECK_EQ_I(pk_canary_find(&s, text, strlen(text), 0, &h, &nh, &e), 0);
    CHECK_EQ_U(nh, 2);
    if (nh == 2) {
        CHECK_EQ_U(h[0].index, 1);
        CHECK_EQ_I(h[0].published, 1);
        CHECK_EQ_U(h[0].matched, 8);
        CHECK(memcmp(text + h[0].start, up, PK_CANARY_LEN - 1) == 0 && h[0].end - h[0].start == PK_CANARY_LEN - 1);
        CHECK_EQ_U(h[1].index, 500);
        CHECK_EQ_I(h[1].published, 0);
    }
    free(h);
    /* Two words mistyped: found with max_miss 2, not with 1 or 0. */
    snprintf(text, sizeof text, "%s", s.seq[0]);
    text[0] = text[0] == 'z' ? 'b' : 'z';
    text[36] = text[36] == 'a' ? 'i' : 'a';
    CHECK_EQ_I(pk_canary_find(&s, text, strlen(text), 1, &h, &nh, &e), 0);
    CHECK_EQ_U(nh, 0);
    free(h);
    CHECK_EQ_I(pk_canary_find(&s, text, strlen(text), 2, &h, &nh, &e), 0);
    CHECK_EQ_U(nh, 1);
    if (nh) CHECK_EQ_U(h[0].matched, 6);
    free(h);
    /* Ordinary prose, short text, binary: nothing. */
    const char *prose = "The ferry was late and nobody on the deck said a word about the hearse.";
    CHECK_EQ_I(pk_canary_find(&s, prose, strlen(prose), 4, &h, &nh, &e), 0);
    CHECK_EQ_U(nh, 0);
    free(h);
    CHECK_EQ_I(pk_canary_find(&s, "\xff\x00zz", 4, 0, &h, &nh, &e), 0);
    CHECK_EQ_U(nh, 0);
    free(h);
    CHECK_EQ_I(pk_canary_find(&s, "", 0, 0, &h, &nh, &e), 0);
    CHECK_EQ_I(pk_canary_find(&s, prose, 5, PK_CANARY_WORDS / 2 + 1, &h, &nh, &e), PK_EINVAL);
    pk_canary_set_free(&s);
}

/* Scores that put the canaries at the given ranks among m nulls scored
 * 0, 1, ..., m - 1: a canary of rank r scores r - 0.5. */
static pk_canary_stat ranked(const unsigned *rank, size_t n, size_t m)
{
    double *c = malloc(n * sizeof *c), *q = malloc(m * sizeof *q);
    for (size_t i = 0; i < n; i++) c[i] = rank[i] - 0.5;
    for (size_t j = 0; j < m; j++) q[j] = (double)(m - 1 - j); /* unsorted on purpose */
    pk_canary_stat st;
    pk_error e;
    CHECK_EQ_I(pk_canary_pvalue(c, n, q, m, &st, &e), 0);
    free(c);
    free(q);
    return st;
}

static void pvalue_of_one_canary_is_rank_plus_one_over_m_plus_one(void)
{
    unsigned r;
    for (r = 0; r <= 100; r += 25) {
        pk_canary_stat st = ranked(&r, 1, 100);
        CHECK_EQ_U(st.best, r);
        CHECK_EQ_U(st.u, r);
        CHECK(fabs(st.p_min - (r + 1) / 101.0) < 1e-12);
        CHECK(fabs(st.p_sum - (r + 1) / 101.0) < 1e-12);
    }
}

/* All n-subsets of n + m ranks, counted. */
static void brute(size_t n, size_t m, uint64_t best, uint64_t u, double *pmin, double *psum)
{
    size_t A = n + m;
    unsigned long long total = 0, kmin = 0, ksum = 0;
    for (unsigned long mask = 0; mask < (1ul << A); mask++) {
        if ((size_t)__builtin_popcountl(mask) != n) continue;
        total++;
        uint64_t nb = 0, b = UINT64_MAX, us = 0;
        for (size_t p = 0; p < A; p++) {
            if (mask >> p & 1) {
                if (b == UINT64_MAX) b = nb;
                us += nb;
            } else {
                nb++;
            }
        }
        kmin += b <= best;
        ksum += us <= u;
    }
    *pmin = (double)kmin / (double)total;
    *psum = (double)ksum / (double)total;
}

static void pvalues_equal_brute_force_counts(void)
{
    static const struct {
        size_t n, m;
        unsigned r[4];
    } cases[] = {
        {2, 8, {0, 1}},  {2, 8, {3, 8}},  {3, 9, {0, 0, 0}}, {3, 9, {2, 5, 9}},
        {4, 10, {1, 1, 2, 7}}, {4, 10, {10, 10, 10, 10}}, {3, 12, {6, 6, 6}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        pk_canary_stat st = ranked(cases[k].r, cases[k].n, cases[k].m);
        double pmin, psum;
        brute(cases[k].n, cases[k].m, st.best, st.u, &pmin, &psum);
        CHECK(fabs(st.p_min - pmin) < 1e-12);
        CHECK(fabs(st.p_sum - psum) < 1e-12);
    }
    /* All canaries worst: p = 1; all best: min-rank n / (n + m), rank sum
     * 1 / C(n + m, n). */
    unsigned worst[3] = {50, 50, 50}, top[3] = {0, 0, 0};
    pk_canary_stat st = ranked(worst, 3, 50);
    CHECK(st.p_min == 1.0 && fabs(st.p_sum - 1) < 1e-12);
    st = ranked(top, 3, 50);
    CHECK(fabs(st.p_min - 3.0 / 53) < 1e-12);
    CHECK(fabs(st.p_sum - 1.0 / 23426.0) < 1e-15);
}

static void rank_sum_is_a_symmetric_distribution_at_scale(void)
{
    /* U and n m - U have the same law: P(U <= u) + P(U <= n m - u - 1) = 1. */
    size_t n = 40, m = 2000;
    unsigned *r = malloc(n * sizeof *r);
    for (size_t i = 0; i < n; i++) r[i] = (unsigned)(i * 37 % 1500);
    pk_canary_stat a = ranked(r, n, m);
    uint64_t u = a.u, mirror = n * m - u - 1;
    /* Ranks that give U = mirror: raise them evenly. */
    uint64_t need = mirror;
    for (size_t i = 0; i < n; i++) {
        unsigned v = (unsigned)(need / (n - i) > m ? m : need / (n - i));
        r[i] = v;
        need -= v;
    }
    pk_canary_stat b = ranked(r, n, m);
    CHECK_EQ_U(b.u, mirror);
    CHECK(fabs(a.p_sum + b.p_sum - 1) < 1e-9);
    /* Too big for the exact sum: left at -1, min-rank still there. */
    double c = 0, *q = malloc(5000 * sizeof *q);
    for (int j = 0; j < 5000; j++) q[j] = j;
    double cs[1000];
    for (int i = 0; i < 1000; i++) cs[i] = 1e9;
    cs[0] = c;
    pk_canary_stat big;
    pk_error e;
    CHECK_EQ_I(pk_canary_pvalue(cs, 1000, q, 5000, &big, &e), 0);
    CHECK(big.p_sum == -1);
    CHECK_EQ_U(big.best, 1); /* the tie with null 0 counts against it */
    /* A whole set: published first, then the nulls. */
    pk_canary_set set;
    pk_canary_set_init(&set);
    CHECK_EQ_I(pk_canary_generate(&set, seed1, 2, 99, &e), 0);
    double sc[101];
    for (int i = 0; i < 101; i++) sc[i] = 10 + i;
    sc[0] = 1; /* memorized: best of all */
    sc[1] = 60.5; /* rank 49 among the nulls (11..109) */
    CHECK_EQ_I(pk_canary_set_pvalue(&set, sc, &big, &e), 0);
    CHECK_EQ_U(big.best, 0);
    CHECK_EQ_U(big.u, 49);
    CHECK(fabs(big.p_min - 2.0 / 101) < 1e-12);
    pk_canary_set_free(&set);
    /* Errors. */
    double nan_ = NAN;
    CHECK_EQ_I(pk_canary_pvalue(&nan_, 1, q, 5, &big, &e), PK_EINVAL);
    CHECK_EQ_I(pk_canary_pvalue(cs, 0, q, 5, &big, &e), PK_EINVAL);
    CHECK_EQ_I(pk_canary_pvalue(cs, 1, q, 0, &big, &e), PK_EINVAL);
    free(q);
    free(r);
}

TEST_MAIN(TEST(word_list_is_4096_distinct_cvcv_words), TEST(generator_is_deterministic_from_its_seed),
          TEST(canaries_and_nulls_are_all_distinct), TEST(sets_round_trip_through_the_registry),
          TEST(copies_carry_the_canaries_where_documented), TEST(lookup_finds_canaries_exactly_and_fuzzily),
          TEST(pvalue_of_one_canary_is_rank_plus_one_over_m_plus_one), TEST(pvalues_equal_brute_force_counts),
          TEST(rank_sum_is_a_symmetric_distribution_at_scale))
