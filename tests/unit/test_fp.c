/* test_fp.c -- k-gram hashing and winnowing, against brute force. */
#include "pk.h"
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
          TEST(guarantee_and_density))
