/* fp.c -- k-gram hashes and winnowing.
 *
 * A k-gram hash combines the XXH3 hashes of k consecutive tokens with a
 * cyclic polynomial (each token hash rotated by its distance from the end
 * of the k-gram, then XORed), which rolls in O(1) per token, and is then
 * finalized with XXH3 so that every bit depends on every token.  Rotation
 * amounts are below 64 for k <= 64, so no two positions cancel.
 *
 * Winnowing keeps the minimum hash of each window of w consecutive k-gram
 * hashes, each selected position once.  Ties follow robust winnowing
 * (Schleimer et al.): keep the previous window's selection if it is still
 * a minimum in this window, else take the rightmost minimum.  Any run of
 * w + k - 1 shared tokens therefore shares at least one selected
 * fingerprint on both sides, and the expected density is about
 * 2 / (w + 1).  Rescanning only when the minimum expires makes it O(1)
 * amortized per k-gram.
 *
 * Both have a scalar loop, the definition, and an AVX-512 path chosen at
 * run time (simd.h).  AVX2 has a k-gram path too: the roll stays scalar
 * and the finalizer runs in four lanes (kgrams_avx2); its winnowing is
 * the scalar loop (without 64-bit rotates and unsigned minima, vector
 * winnowing lost to the scalar loop's predicted compare: BENCHMARKS.md,
 * session 8).  The AVX-512 k-gram path
 * computes the same values from prefix XORs, eight lanes at a time; the
 * winnowing path finds, from vector minima, where the selection changes,
 * and hands any stretch with ties to the scalar loop (kgrams_avx512,
 * winnow_avx512 say why that is exact).  test_fp compares every level with
 * the scalar one and with a brute-force reference.  Measured
 * (bench/stages.c, Intel Xeon SPR-class VM, 2.1 GHz, 5 KB documents of
 * English, k = 8, w = 18), ns per token: k-grams 2.1 scalar, 0.9 AVX-512;
 * winnowing 2.7 scalar, 1.7 AVX-512.  AMD EPYC Zen 3 (AVX2), same bench,
 * alternating runs: k-grams 2.25-2.95 scalar, 1.75-2.28 AVX2. */
#include "pk.h"
#include "simd.h"

#include <string.h>


#define XXH_INLINE_ALL
#include <xxhash.h>

static inline uint64_t rotl64(uint64_t x, unsigned r)
{
    return (x << (r & 63)) | (x >> ((64 - r) & 63));
}

/* XXH3_64bits(&h, 8) (seed 0, little-endian bytes), written out so it
 * inlines into the k-gram loop: through the library call it cost about as
 * much as tokenizing.  test_fp checks it equals XXH3_64bits. */
static inline uint64_t finalize(uint64_t h)
{
    uint64_t s8, s16;
    memcpy(&s8, XXH3_kSecret + 8, 8);
    memcpy(&s16, XXH3_kSecret + 16, 8);
    uint64_t x = ((h >> 32) | (h << 32)) ^ (s8 ^ s16);
    x ^= ((x << 49) | (x >> 15)) ^ ((x << 24) | (x >> 40));
    x *= 0x9FB21C651E98DF25ULL;
    x ^= (x >> 35) + 8;
    x *= 0x9FB21C651E98DF25ULL;
    return x ^ (x >> 28);
}

uint64_t pk_kgram_finalize(uint64_t h) { return finalize(h); }

static void kgrams_scalar(const pk_tok *tok, size_t n, uint32_t k, uint64_t *out)
{
    uint64_t h = 0;
    for (uint32_t j = 0; j < k; j++) h = rotl64(h, 1) ^ tok[j].h;
    out[0] = finalize(h);
    for (size_t i = 1; i + k <= n; i++) {
        h = rotl64(h, 1) ^ rotl64(tok[i - 1].h, k) ^ tok[i + k - 1].h;
        out[i] = finalize(h);
    }
}

#if PK_X86_SIMD
#include <immintrin.h>

#define PK_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,bmi,bmi2,popcnt")))

/* finalize() in eight lanes (vpmullq for the multiplies). */
static PK_AVX512 inline __m512i finalize_avx512(__m512i h)
{
    uint64_t s8, s16;
    memcpy(&s8, XXH3_kSecret + 8, 8);
    memcpy(&s16, XXH3_kSecret + 16, 8);
    const __m512i m = _mm512_set1_epi64((long long)0x9FB21C651E98DF25ULL);
    __m512i x = _mm512_xor_si512(_mm512_ror_epi64(h, 32), _mm512_set1_epi64((long long)(s8 ^ s16)));
    x = _mm512_ternarylogic_epi64(x, _mm512_rol_epi64(x, 49), _mm512_rol_epi64(x, 24), 0x96);
    x = _mm512_mullo_epi64(x, m);
    x = _mm512_xor_si512(x, _mm512_add_epi64(_mm512_srli_epi64(x, 35), _mm512_set1_epi64(8)));
    x = _mm512_mullo_epi64(x, m);
    return _mm512_xor_si512(x, _mm512_srli_epi64(x, 28));
}

/* The hashes of tokens t[0..8) (three loads, two permutes). */
static PK_AVX512 inline __m512i token_hashes8(const pk_tok *t)
{
    const uint64_t *q = (const uint64_t *)(const void *)t;
    const __m512i z0 = _mm512_loadu_si512((const void *)q), z1 = _mm512_loadu_si512((const void *)(q + 8));
    const __m512i z2 = _mm512_loadu_si512((const void *)(q + 16));
    const __m512i a = _mm512_permutex2var_epi64(z0, _mm512_set_epi64(0, 0, 15, 12, 9, 6, 3, 0), z1);
    return _mm512_permutex2var_epi64(a, _mm512_set_epi64(13, 10, 5, 4, 3, 2, 1, 0), z2);
}

/* Eight k-grams at a time, from prefix XORs: with U_j = rotr(t_j, j) and
 * P_m = U_0 ^ ... ^ U_{m-1}, the rolled hash of tokens i..i+k-1 is
 * rotl(P_{i+k} ^ P_i, k - 1 + i) (rotations mod 64), the same value as
 * the rolling loop's.  P is computed a chunk of tokens at a time, eight
 * lanes with a log-step prefix; then each output is two loads, an XOR, a
 * rotate and finalize_avx512.  k <= 64. */
static PK_AVX512 void kgrams_avx512(const pk_tok *tok, size_t n, uint32_t k, uint64_t *out)
{
    enum { C = 512 };
    uint64_t P[C + 64 + 8] __attribute__((aligned(64)));
    const size_t nout = n - k + 1;
    const __m512i zero = _mm512_setzero_si512(), last = _mm512_set1_epi64(7), r63 = _mm512_set1_epi64(63);
    const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0), eight = _mm512_set1_epi64(8);
    for (size_t c0 = 0; c0 < nout; c0 += C) {
        const size_t cn = nout - c0 < C ? nout - c0 : C; /* outputs of this chunk */
        const size_t tn = cn + k - 1;                    /* its tokens, from c0 */
        const pk_tok *t = tok + c0;
        P[0] = 0;
        __m512i carry = zero, rot = lane;
        size_t m = 0;
        for (; m + 8 <= tn; m += 8) {
            __m512i x = _mm512_rorv_epi64(token_hashes8(t + m), rot);
            x = _mm512_xor_si512(x, _mm512_alignr_epi64(x, zero, 7));
            x = _mm512_xor_si512(x, _mm512_alignr_epi64(x, zero, 6));
            x = _mm512_ternarylogic_epi64(x, _mm512_alignr_epi64(x, zero, 4), carry, 0x96);
            _mm512_storeu_si512((void *)(P + 1 + m), x);
            carry = _mm512_permutexvar_epi64(last, x);
            rot = _mm512_and_si512(_mm512_add_epi64(rot, eight), r63);
        }
        for (uint64_t x = P[m]; m < tn; m++) {
            x ^= rotl64(t[m].h, (unsigned)(64 - (m & 63)));
            P[m + 1] = x;
        }
        size_t i = 0;
        rot = _mm512_and_si512(_mm512_add_epi64(lane, _mm512_set1_epi64(k - 1)), r63);
        for (; i + 8 <= cn; i += 8) {
            const __m512i x = _mm512_xor_si512(_mm512_loadu_si512((const void *)(P + i + k)),
                                               _mm512_loadu_si512((const void *)(P + i)));
            _mm512_storeu_si512((void *)(out + c0 + i), finalize_avx512(_mm512_rolv_epi64(x, rot)));
            rot = _mm512_and_si512(_mm512_add_epi64(rot, eight), r63);
        }
        for (; i < cn; i++) out[c0 + i] = finalize(rotl64(P[i + k] ^ P[i], (unsigned)((k - 1 + i) & 63)));
    }
}
#endif

#if PK_X86_SIMD
#define PK_AVX2 __attribute__((target("avx2,bmi,bmi2,popcnt")))

/* x * m in four 64-bit lanes: AVX2 multiplies 32 x 32 -> 64 only. */
static PK_AVX2 inline __m256i mul64_avx2(__m256i x, __m256i mlo, __m256i mhi)
{
    const __m256i ll = _mm256_mul_epu32(x, mlo);
    const __m256i hl = _mm256_mul_epu32(_mm256_srli_epi64(x, 32), mlo);
    const __m256i lh = _mm256_mul_epu32(x, mhi);
    return _mm256_add_epi64(ll, _mm256_slli_epi64(_mm256_add_epi64(hl, lh), 32));
}

/* finalize() in four lanes. */
static PK_AVX2 inline __m256i finalize_avx2(__m256i h)
{
    uint64_t s8, s16;
    memcpy(&s8, XXH3_kSecret + 8, 8);
    memcpy(&s16, XXH3_kSecret + 16, 8);
    const __m256i mlo = _mm256_set1_epi64x((long long)(0x9FB21C651E98DF25ULL & 0xffffffffu));
    const __m256i mhi = _mm256_set1_epi64x((long long)(0x9FB21C651E98DF25ULL >> 32));
    __m256i x = _mm256_xor_si256(_mm256_shuffle_epi32(h, 0xB1), _mm256_set1_epi64x((long long)(s8 ^ s16)));
    const __m256i r49 = _mm256_or_si256(_mm256_slli_epi64(x, 49), _mm256_srli_epi64(x, 15));
    const __m256i r24 = _mm256_or_si256(_mm256_slli_epi64(x, 24), _mm256_srli_epi64(x, 40));
    x = _mm256_xor_si256(x, _mm256_xor_si256(r49, r24));
    x = mul64_avx2(x, mlo, mhi);
    x = _mm256_xor_si256(x, _mm256_add_epi64(_mm256_srli_epi64(x, 35), _mm256_set1_epi64x(8)));
    x = mul64_avx2(x, mlo, mhi);
    return _mm256_xor_si256(x, _mm256_srli_epi64(x, 28));
}

/* The rolling loop of kgrams_scalar for a chunk of outputs, the raw
 * values stored, then finalized four at a time in place while the chunk
 * is in L1.  The roll is a chain of a rotate and an XOR a token; the
 * finalizer (two 64-bit multiplies, about 17 instructions a k-gram in
 * scalar code) is what the lanes take. */
static PK_AVX2 void kgrams_avx2(const pk_tok *tok, size_t n, uint32_t k, uint64_t *out)
{
    enum { C = 256 };
    const size_t nout = n - k + 1;
    uint64_t h = 0;
    for (uint32_t j = 0; j < k; j++) h = rotl64(h, 1) ^ tok[j].h;
    for (size_t c0 = 0; c0 < nout; c0 += C) {
        const size_t cn = nout - c0 < C ? nout - c0 : C;
        size_t i = c0;
        if (i == 0) out[i++] = h;
        for (; i < c0 + cn; i++) {
            h = rotl64(h, 1) ^ rotl64(tok[i - 1].h, k) ^ tok[i + k - 1].h;
            out[i] = h;
        }
        size_t j = c0;
        for (; j + 4 <= c0 + cn; j += 4)
            _mm256_storeu_si256((__m256i *)(void *)(out + j),
                                finalize_avx2(_mm256_loadu_si256((const __m256i *)(const void *)(out + j))));
        for (; j < c0 + cn; j++) out[j] = finalize(out[j]);
    }
}
#endif

void pk_kgrams(const pk_tok *tok, size_t n, uint32_t k, uint64_t *out)
{
    if (k == 0 || n < k) return;
#if PK_X86_SIMD
    if (k <= 64 && pk_simd_level() >= PK_SIMD_AVX512) {
        kgrams_avx512(tok, n, k, out);
        return;
    }
    if (pk_simd_level() >= PK_SIMD_AVX2) {
        kgrams_avx2(tok, n, k, out);
        return;
    }
#endif
    kgrams_scalar(tok, n, k, out);
}

/* The scalar rule for the windows ending at i in [i0, i1), from the
 * selection *mp (value *mvp): a k-gram below the selection becomes it; on
 * a tie the selection stays while it is in the window (robust winnowing:
 * a run of equal hashes, as in "la la la", gives one fingerprint a window,
 * not one a position); when it falls out of the window, rescan the window
 * for its rightmost minimum.  About one position in w + 1 triggers a
 * rescan of w, so this is O(1) a k-gram with one predictable branch,
 * where a monotone deque mispredicts its pops on random hashes
 * (measured: 2.5x the instructions).  Appends to out[cnt..]; returns the
 * new count. */
static size_t winnow_steps(const uint64_t *kg, size_t i0, size_t i1, uint32_t w, size_t *mp, uint64_t *mvp,
                           pk_fp *out, size_t cnt)
{
    size_t m = *mp;
    uint64_t mv = *mvp;
    for (size_t i = i0; i < i1; i++) {
        const uint64_t v = kg[i];
        if (v < mv) {
            mv = v;
            m = i;
        } else if (m + w <= i) {
            /* The minimum left the window [i - w + 1, i]: rescan it. */
            size_t j = i - w + 1;
            m = j;
            mv = kg[j];
            for (j++; j <= i; j++) {
                uint64_t x = kg[j];
                int le = x <= mv;
                m = le ? j : m;
                mv = le ? x : mv;
            }
        } else {
            continue;
        }
        out[cnt].h = mv;
        out[cnt].pos = (uint32_t)m;
        cnt++;
    }
    *mp = m;
    *mvp = mv;
    return cnt;
}

#if PK_X86_SIMD
/* The rightmost j in [lo, lo + len) with kg[j] == v (there is one),
 * len <= 64: a fixed number of compares, no branch on the data. */
static PK_AVX512 inline size_t rightmost_avx512(const uint64_t *kg, size_t lo, size_t len, uint64_t v)
{
    const __m512i vv = _mm512_set1_epi64((long long)v);
    uint64_t eq = 0;
    for (size_t j = 0; j < len; j += 8) {
        const __mmask8 in = (__mmask8)_bzhi_u32(0xff, (unsigned)(len - j));
        eq |= (uint64_t)_mm512_mask_cmpeq_epu64_mask(in, _mm512_maskz_loadu_epi64(in, kg + lo + j), vv) << j;
    }
    return lo + 63 - (size_t)__builtin_clzll(eq);
}

enum { WC = 512, WMAX = 65 };

/* The event masks of the windows ending at c0 + q, q < cn, from the
 * minima mm of the w - 1 k-grams before each: lt (kg[i] below: i is
 * selected), exp (the selection expires: kg[i - w] below, kg[i] above),
 * and ties (kg[i] equal), eight windows at a time. */
static PK_AVX512 inline __mmask8 winnow_flags(const uint64_t *kg, size_t c0, size_t q, size_t cn, uint32_t w,
                                              __m512i mm, uint64_t *M, uint64_t *ev, uint64_t *isnew)
{
    const __mmask8 in = (__mmask8)_bzhi_u32(0xff, (unsigned)(cn - q < 8 ? cn - q : 8));
    const __m512i x = _mm512_maskz_loadu_epi64(in, kg + c0 + q);
    const __m512i old = _mm512_maskz_loadu_epi64(in, kg + c0 + q - w);
    _mm512_store_si512((void *)(M + q), mm);
    const __mmask8 lt = _mm512_mask_cmplt_epu64_mask(in, x, mm);
    const __mmask8 gt = _mm512_mask_cmpgt_epu64_mask(in, x, mm);
    const __mmask8 exp = _mm512_mask_cmplt_epu64_mask(gt, old, mm);
    /* one byte each, in place: no read-modify-write chain */
    ((uint8_t *)ev)[q / 8] = (uint8_t)(lt | exp);
    ((uint8_t *)isnew)[q / 8] = lt;
    return _mm512_mask_cmpeq_epu64_mask(in, x, mm);
}

/* Events of a chunk for any w: M from a sparse table over a copy. */
static PK_AVX512 __mmask8 winnow_events_any(const uint64_t *kg, size_t c0, size_t cn, uint32_t w, uint64_t *M,
                                            uint64_t *ev, uint64_t *isnew)
{
    uint64_t T[WC + WMAX + 16] __attribute__((aligned(64)));
    const size_t L = w - 1;
    const unsigned p = 31 - (unsigned)__builtin_clz((unsigned)L); /* 2^p <= L < 2^(p+1) */
    const size_t P = (size_t)1 << p;
    /* T[q]: kg[c0 - L + q], then mins of 2^p from there. */
    const size_t tn = cn + L - 1;
    memcpy(T, kg + c0 - L, tn * sizeof *T);
    memset(T + tn, 0xff, 16 * sizeof *T);
    size_t valid = tn;
    for (size_t d = 1; d < P; d *= 2) {
        valid -= d;
        for (size_t q = 0; q < valid; q += 8)
            _mm512_storeu_si512((void *)(T + q), _mm512_min_epu64(_mm512_loadu_si512((const void *)(T + q)),
                                                                  _mm512_loadu_si512((const void *)(T + q + d))));
    }
    __mmask8 tie = 0;
    for (size_t q = 0; q < cn; q += 8) {
        const __m512i mm = _mm512_min_epu64(_mm512_loadu_si512((const void *)(T + q)),
                                            _mm512_loadu_si512((const void *)(T + q + L - P)));
        tie |= winnow_flags(kg, c0, q, cn, w, mm, M, ev, isnew);
    }
    return tie;
}

/* Events of a chunk for w = 18 (the default), c0 >= 24: the minima of
 * the 16 k-grams ending at each j, streamed through registers (mins of 2,
 * 4, 8, 16, each from the level below and its copy shifted by a lane
 * rotate across the previous block), then M_i = min of those ending at
 * i - 1 and i - 2. */
static PK_AVX512 __mmask8 winnow_events_18(const uint64_t *kg, size_t c0, size_t cn, uint64_t *M, uint64_t *ev,
                                           uint64_t *isnew)
{
    const __m512i top = _mm512_set1_epi64(-1);
    __m512i x0 = top, m2 = top, m4 = top, m8 = top, m16 = top;
    __mmask8 tie = 0;
    for (size_t j = c0 - 24;; j += 8) {
        const size_t left = c0 + cn - j; /* > 0 */
        const __mmask8 in = (__mmask8)_bzhi_u32(0xff, (unsigned)(left < 8 ? left : 8));
        const __m512i x = _mm512_mask_loadu_epi64(top, in, kg + j);
        const __m512i n2 = _mm512_min_epu64(x, _mm512_alignr_epi64(x, x0, 7));
        const __m512i n4 = _mm512_min_epu64(n2, _mm512_alignr_epi64(n2, m2, 6));
        const __m512i n8 = _mm512_min_epu64(n4, _mm512_alignr_epi64(n4, m4, 4));
        const __m512i n16 = _mm512_min_epu64(n8, m8);
        if (j >= c0) {
            const __m512i mm = _mm512_min_epu64(_mm512_alignr_epi64(n16, m16, 7), _mm512_alignr_epi64(n16, m16, 6));
            tie |= winnow_flags(kg, c0, j - c0, cn, 18, mm, M, ev, isnew);
            if (j + 8 >= c0 + cn) break;
        }
        x0 = x;
        m2 = n2;
        m4 = n4;
        m8 = n8;
        m16 = n16;
    }
    return tie;
}

/* The same for the 17 k-grams before i. */
static PK_AVX512 inline size_t rightmost18(const uint64_t *kg, size_t i, uint64_t v)
{
    const __m512i vv = _mm512_set1_epi64((long long)v);
    const uint32_t a = _mm512_cmpeq_epu64_mask(_mm512_loadu_si512((const void *)(kg + i - 16)), vv);
    const uint32_t b = _mm512_cmpeq_epu64_mask(_mm512_loadu_si512((const void *)(kg + i - 8)), vv);
    const uint32_t all = (uint32_t)(kg[i - 17] == v) | a << 1 | b << 9;
    return i - 17 + 31 - (size_t)__builtin_clz(all);
}

/* Windows ending at i in [c0, n), a chunk of WC at a time, given the
 * selection after c0 - 1 (c0 >= w >= 2).  Within a chunk, robust
 * winnowing selects the rightmost minimum of every window, as long as no
 * new k-gram equals the minimum of the w - 1 before it and the selection
 * it starts from is the rightmost minimum of its window: then the
 * selection changes at i exactly when kg[i] is below M = min(kg[i-w+1 ..
 * i-1]) (i is selected) or when kg[i - w] was below M and kg[i] is above
 * it (the rightmost M in the window is, found with at most eight
 * compares).  The events are bit masks, walked in order.  A chunk that
 * fails either condition (runs of equal hashes) takes winnow_steps
 * instead. */
static PK_AVX512 size_t winnow_avx512(const uint64_t *kg, size_t n, uint32_t w, size_t m, uint64_t mv, pk_fp *out,
                                      size_t cnt)
{
    uint64_t M[WC] __attribute__((aligned(64)));
    uint64_t ev[WC / 64], isnew[WC / 64];
    const size_t L = w - 1;
    size_t c0 = w;
    if (w == 18) {
        /* The streamed minima start 24 k-grams back. */
        c0 = n < 24 ? n : 24;
        cnt = winnow_steps(kg, w, c0, w, &m, &mv, out, cnt);
    }
    for (; c0 < n; c0 += WC) {
        const size_t c1 = n - c0 < WC ? n : c0 + WC, cn = c1 - c0;
        /* The selection must be the rightmost minimum of its window. */
        int ok = 1;
        for (size_t j = m + 1; j < c0; j++) ok &= kg[j] != mv;
        memset(ev + cn / 64, 0, sizeof ev - cn / 64 * sizeof *ev);
        memset(isnew + cn / 64, 0, sizeof isnew - cn / 64 * sizeof *isnew);
        const __mmask8 tie =
            w == 18 ? winnow_events_18(kg, c0, cn, M, ev, isnew) : winnow_events_any(kg, c0, cn, w, M, ev, isnew);
        if (!ok || tie) {
            cnt = winnow_steps(kg, c0, c1, w, &m, &mv, out, cnt);
            continue;
        }
        for (size_t b = 0; b < (cn + 63) / 64; b++) {
            for (uint64_t e = ev[b]; e; e &= e - 1) {
                const size_t q = 64 * b + (size_t)__builtin_ctzll(e), i = c0 + q;
                if (w == 18) {
                    /* Both candidates, then a select: the kind of event
                     * is a coin toss to the branch predictor. */
                    const size_t r = rightmost18(kg, i, M[q]);
                    const int isn = (int)((isnew[b] >> (q % 64)) & 1);
                    m = isn ? i : r;
                    mv = isn ? kg[i] : M[q];
                } else if ((isnew[b] >> (q % 64)) & 1) {
                    m = i;
                    mv = kg[i];
                } else {
                    mv = M[q];
                    m = rightmost_avx512(kg, i - L, L, mv);
                }
                out[cnt].h = mv;
                out[cnt].pos = (uint32_t)m;
                cnt++;
            }
        }
    }
    return cnt;
}
#endif

size_t pk_winnow(const uint64_t *kg, size_t n, uint32_t w, pk_fp *out)
{
    /* The first window's rightmost minimum; then every window after it,
     * each selected position recorded once. */
    if (n == 0 || w == 0) return 0;
    if (n < w) w = (uint32_t)n;
    size_t m = 0;
    uint64_t mv = kg[0];
    for (size_t i = 1; i < w; i++)
        if (kg[i] <= mv) { mv = kg[i]; m = i; }
    out[0].h = mv;
    out[0].pos = (uint32_t)m;
#if PK_X86_SIMD
    if (w >= 2 && w <= WMAX && pk_simd_level() >= PK_SIMD_AVX512) return winnow_avx512(kg, n, w, m, mv, out, 1);
#endif
    return winnow_steps(kg, w, n, w, &m, &mv, out, 1);
}
