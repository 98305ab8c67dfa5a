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
    /* Block minima (van Herk, Gil and Werman): cut the k-grams into blocks
     * of w; within each block keep the running minimum from the right (R)
     * and, for the next block, from the left (L).  A window starting inside
     * block b is the tail of b plus the head of b + 1, so its minimum is
     * min(R[s], L[s + w - 1]): three compares a k-gram and no
     * data-dependent loop, where a monotone deque mispredicts its pops on
     * random hashes (measured: 3x slower).  Ties go to the rightmost
     * position, as robust winnowing asks. */
    if (n == 0 || w == 0) return 0;
    if (n < w) w = (uint32_t)n;
    if (w > 1024) w = 1024;
    uint32_t R[1024];
    uint64_t RV[1024];
    const size_t nwin = n - w + 1;
    size_t cnt = 0;
    uint32_t last = UINT32_MAX;
    for (size_t b0 = 0; b0 < nwin; b0 += w) {
        const size_t bend = b0 + w; /* block b0 is full: b0 < nwin */
        /* Minimum of [i, bend) for every i of the block, from the right;
         * its value kept in a register, not reloaded through the index. */
        uint32_t m = (uint32_t)(bend - 1);
        uint64_t mv = kg[m];
        R[w - 1] = m;
        RV[w - 1] = mv;
        for (size_t i = bend - 1; i-- > b0;) {
            uint64_t v = kg[i];
            int lt = v < mv;
            m = lt ? (uint32_t)i : m;
            mv = lt ? v : mv;
            R[i - b0] = m;
            RV[i - b0] = mv;
        }
        if (R[0] != last) {
            out[cnt].h = RV[0];
            out[cnt].pos = R[0];
            cnt++;
            last = R[0];
        }
        /* Windows starting later in the block: the tail of this block and
         * the head of the next, whose minimum grows one k-gram a step. */
        const size_t send = PK_MIN(b0 + w, nwin);
        uint32_t lm = 0;
        uint64_t lv = UINT64_MAX;
        for (size_t s0 = b0 + 1; s0 < send; s0++) {
            const size_t e = s0 + w - 1;
            uint64_t v = kg[e];
            int le = v <= lv;
            lm = le ? (uint32_t)e : lm;
            lv = le ? v : lv;
            int right = lv <= RV[s0 - b0];
            uint32_t sel = right ? lm : R[s0 - b0];
            if (sel != last) {
                out[cnt].h = right ? lv : RV[s0 - b0];
                out[cnt].pos = sel;
                cnt++;
                last = sel;
            }
        }
    }
    return cnt;
}
