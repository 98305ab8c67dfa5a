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
 * a minimum in this window, else take the rightmost minimum.  Any run of w + k - 1 shared tokens therefore shares at least one
 * selected fingerprint on both sides, and the expected density is about
 * 2 / (w + 1).  Rescanning only when the minimum expires makes it O(1)
 * amortized per k-gram. */
#include "pk.h"

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

void pk_kgrams(const pk_tok *tok, size_t n, uint32_t k, uint64_t *out)
{
    if (k == 0 || n < k) return;
    uint64_t h = 0;
    for (uint32_t j = 0; j < k; j++) h = rotl64(h, 1) ^ tok[j].h;
    out[0] = finalize(h);
    for (size_t i = 1; i + k <= n; i++) {
        h = rotl64(h, 1) ^ rotl64(tok[i - 1].h, k) ^ tok[i + k - 1].h;
        out[i] = finalize(h);
    }
}

size_t pk_winnow(const uint64_t *kg, size_t n, uint32_t w, pk_fp *out)
{
    /* Track the selected minimum m of the current window.  A new k-gram
     * below it becomes it; on a tie the selection stays while it is in the
     * window (robust winnowing: a run of equal hashes, as in "la la la",
     * gives one fingerprint a window, not one a position); when m falls
     * out of the window, rescan the window for its rightmost minimum.  About one position in w + 1
     * triggers a rescan of w, so this is O(1) a k-gram with one
     * predictable branch, where a monotone deque mispredicts its pops on
     * random hashes (measured: 2.5x the instructions).  Selections are
     * recorded from the first full window on, each position once. */
    if (n == 0 || w == 0) return 0;
    if (n < w) w = (uint32_t)n;
    size_t cnt = 0, m = 0;
    uint64_t mv = kg[0];
    for (size_t i = 1; i < w; i++)
        if (kg[i] <= mv) { mv = kg[i]; m = i; }
    out[cnt].h = mv;
    out[cnt].pos = (uint32_t)m;
    cnt++;
    for (size_t i = w; i < n; i++) {
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
    return cnt;
}
