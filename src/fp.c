/* fp.c -- k-gram hashes and winnowing.
 *
 * A k-gram hash combines the XXH3 hashes of k consecutive tokens with a
 * cyclic polynomial (each token hash rotated by its distance from the end
 * of the k-gram, then XORed), which rolls in O(1) per token, and is then
 * finalized with XXH3 so that every bit depends on every token.  Rotation
 * amounts are below 64 for k <= 64, so no two positions cancel.
 *
 * Winnowing keeps the minimum hash of each window of w consecutive k-gram
 * hashes (rightmost on ties, "robust winnowing"), each selected position
 * once.  Any run of w + k - 1 shared tokens therefore shares at least one
 * selected fingerprint on both sides, and the expected density is about
 * 2 / (w + 1).  A monotone deque makes it O(1) amortized per k-gram. */
#include "pk.h"

#include <stdlib.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

static inline uint64_t rotl64(uint64_t x, unsigned r)
{
    r &= 63;
    return r ? (x << r) | (x >> (64 - r)) : x;
}

static inline uint64_t finalize(uint64_t h)
{
    return XXH3_64bits(&h, sizeof h);
}

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
    if (n == 0 || w == 0) return 0;
    if (n < w) w = (uint32_t)n; /* a short text: one window over all of it */
    /* Deque of positions with increasing hash values; ring of size w. */
    uint32_t ringbuf[256];
    uint32_t *dq = w <= 256 ? ringbuf : malloc(sizeof(uint32_t) * w);
    if (!dq) return 0;
    size_t head = 0, len = 0, cnt = 0;
    int64_t last = -1;
    for (size_t i = 0; i < n; i++) {
        /* Drop from the back every position whose hash is >= the new one
         * (rightmost minimum wins ties). */
        if (len && dq[head] + w <= i) { head = (head + 1) % w; len--; }
        while (len && kg[dq[(head + len - 1) % w]] >= kg[i]) len--;
        dq[(head + len) % w] = (uint32_t)i;
        len++;
        if (i + 1 >= w) {
            uint32_t m = dq[head];
            if ((int64_t)m != last) {
                out[cnt].h = kg[m];
                out[cnt].pos = m;
                cnt++;
                last = m;
            }
        }
    }
    if (dq != ringbuf) free(dq);
    return cnt;
}
