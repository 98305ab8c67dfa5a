/* fuzz_trace.c -- the choice-point reader and writer of picket mark /
 * trace (src/mark.c) on arbitrary bytes.
 *
 * The first byte picks how the rest is read: as a leak (every channel
 * everywhere) or as a work in one of the markable formats, and (its high
 * bit) whether the copy is marked --dense (comma breaks, prose lines).
 * Checks: every point lies inside the text, in order, with a known
 * channel; marking the text and reading the copy as a leak never fails
 * and uses no more points than it read; the decision on the points never
 * fails and accuses nobody when no code could have made them. */
#include "picket_mark.h"
#include "pk.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 16)) return 0;
    static const int formats[] = {PK_WORK_AUTO, PK_WORK_TEXT, PK_WORK_FOUNTAIN, PK_WORK_FDX, PK_WORK_HTML,
                                  PK_WORK_MARKDOWN};
    int format = formats[data[0] % 6];
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    pk_mark_point *p = NULL, *r = NULL;
    size_t np = 0, nr = 0;
    pk_buf out;
    pk_buf_init(&out, (size_t)1 << 24);
    pk_error e;
    if (pk_mark_points(s, n, format, &p, &np, &e)) goto done;
    for (size_t i = 0; i < np; i++) {
        if (p[i].start > p[i].end || p[i].end > n || p[i].channel < 1 || p[i].channel >= PK_MARK_NCHANNELS ||
            p[i].bit > 1)
            abort();
        if (i && p[i].start < p[i - 1].start) abort();
    }
    uint8_t key[32] = {1}, secret[32] = {2};
    pk_mark_code c;
    pk_mark_code_init(&c, key, secret, PK_MARK_CUTOFF);
    if (data[0] & 0x80) c.channels = PK_MARK_CHANNELS_DENSE;
    size_t used = 0;
    if (format != PK_WORK_AUTO && pk_mark_apply(s, n, format, &c, &out, &used, &e) == 0) {
        if (used > np) abort();
        if (pk_mark_points(out.data ? out.data : "", out.len, PK_WORK_AUTO, &r, &nr, &e)) goto done;
        pk_mark_verdict v;
        if (pk_mark_judge(r, nr, NULL, 0, &c, 1, 0, &v, &e)) abort();
        if (v.used > nr) abort();
    }
    /* no codes: nobody to accuse */
    pk_mark_verdict v0;
    if (pk_mark_judge(p, np, NULL, 0, NULL, 0, 0, &v0, &e) || v0.accused) abort();
done:
    free(p);
    free(r);
    pk_buf_free(&out);
    return 0;
}
