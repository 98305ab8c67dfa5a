/* fuzz_canary.c -- canary lookup and placement on arbitrary bytes.
 *
 * One fixed set (seed of zeros, 3 canaries, 200 nulls).  The first byte
 * picks max_miss (0..4) and a format; the rest is a text to search and a
 * work to publish.  Invariants: every hit lies inside the text, covers
 * exactly 8 words and matches at least 8 - max_miss of them; an exact hit
 * spells its sequence (ASCII case aside); a copy for publication of the
 * input (text, Markdown, Fountain, HTML) holds every published canary
 * exactly, and no null one that the input did not already hold. */
#include "canary.h"
#include "pk.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static pk_canary_set set;
static int ready;

static int count_hits(const char *p, size_t n, unsigned max_miss, int *pub, size_t *nulls)
{
    pk_canary_hit *h = NULL;
    size_t nh = 0;
    pk_error e;
    if (pk_canary_find(&set, p, n, max_miss, &h, &nh, &e)) abort();
    *nulls = 0;
    for (size_t i = 0; i < nh; i++) {
        if (h[i].start >= h[i].end || h[i].end > n) abort();
        if (h[i].matched < PK_CANARY_WORDS - max_miss || h[i].matched > PK_CANARY_WORDS) abort();
        if (h[i].index >= set.count + set.nulls || h[i].published != (h[i].index < set.count)) abort();
        if (h[i].matched == PK_CANARY_WORDS && max_miss == 0) {
            /* Exact: the words, separated by non-letters. */
            const char *s = set.seq[h[i].index];
            const char *q = p + h[i].start;
            for (int j = 0; j < PK_CANARY_WORDS; j++) {
                if (strncasecmp(q, s + 5 * j, 4) != 0) abort();
                q += 4;
                while (j + 1 < PK_CANARY_WORDS && !(((*q | 32) >= 'a') && ((*q | 32) <= 'z'))) q++;
            }
            if (q != p + h[i].end) abort();
        }
        if (pub && h[i].published && h[i].matched == PK_CANARY_WORDS) pub[h[i].index] = 1;
        if (!h[i].published) (*nulls)++;
    }
    free(h);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) {
        static const unsigned char seed[32] = {0};
        pk_canary_set_init(&set);
        if (pk_canary_generate(&set, seed, 3, 200, NULL)) abort();
        ready = 1;
    }
    if (size < 1 || size > 1 << 16) return 0;
    unsigned max_miss = data[0] % 5;
    static const int formats[] = {PK_WORK_TEXT, PK_WORK_MARKDOWN, PK_WORK_FOUNTAIN, PK_WORK_HTML};
    int format = formats[(data[0] >> 3) & 3];
    const char *p = (const char *)data + 1;
    size_t n = size - 1, nulls_in, nulls_out;
    count_hits(p, n, max_miss, NULL, &nulls_in);
    pk_buf out;
    pk_buf_init(&out, 1 << 20);
    pk_error e;
    if (pk_canary_publish(&set, format, p, n, data[0] >> 7, &out, &e)) abort();
    int pub[3] = {0, 0, 0};
    count_hits(out.data, out.len, 0, pub, &nulls_out);
    for (int i = 0; i < 3; i++)
        if (!pub[i]) abort();
    size_t nulls_exact;
    count_hits(p, n, 0, NULL, &nulls_exact);
    /* The copy adds no null sequence: the planted lines hold no other
     * word of the list, and nothing is inserted inside a word. */
    if (nulls_out > nulls_exact) abort();
    pk_buf_free(&out);
    return 0;
}
