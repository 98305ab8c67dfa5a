/* fuzz_text.c -- the tokenizer on arbitrary bytes.
 *
 * Differential: every block path this CPU supports (scalar, SSE2, AVX2,
 * AVX-512; simd.h) and the reference scalar steps must give the same
 * tokens, byte ranges and lines, in lossy mode and, when the input is
 * valid UTF-8, in strict mode; all must agree on where invalid UTF-8 is.
 * Also runs the BOM/UTF-16 preparation and the k-gram/winnow stages, and
 * compares their vector paths too. */
#include "pk.h"
#include "simd.h"

#include <stdlib.h>
#include <string.h>

static size_t batch = 7;

static size_t all_tokens(const char *s, size_t n, unsigned flags, pk_tok *out, size_t cap, int *rc, size_t *epos)
{
    pk_tokenizer t;
    pk_tokenizer_init(&t, s, n, flags);
    size_t k = 0, got;
    pk_error e;
    *rc = 0;
    /* Small batches exercise resuming mid-text. */
    while (k < cap) {
        size_t want = cap - k < batch ? cap - k : batch;
        *rc = pk_tokenize(&t, out + k, want, &got, &e);
        k += got;
        if (*rc || !got) break;
    }
    *epos = t.pos;
    return k;
}

static void same_lines(const pk_tok *a, size_t na, const pk_tok *b, size_t nb, int lines)
{
    if (na != nb) abort();
    for (size_t i = 0; i < na; i++)
        if (a[i].h != b[i].h || a[i].off != b[i].off || a[i].len != b[i].len || (lines && a[i].line != b[i].line))
            abort();
}
#define same(a, na, b, nb) same_lines(a, na, b, nb, 1)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return 0;
    const char *s = (const char *)data;
    size_t cap = size + 8;
    pk_tok *a = malloc(cap * sizeof *a), *b = malloc(cap * sizeof *b);
    if (!a || !b) abort();
    int ra, rb;
    size_t ea, eb;
    /* Small batches exercise resuming; large ones the block paths. */
    batch = size && (data[0] & 1) ? 7 : cap;
    for (int level = 0; level < PK_SIMD_NLEVELS; level++) {
        if (!pk_simd_supported(level)) continue;
        pk_simd_force(level);
        size_t na = all_tokens(s, size, PK_TOK_LOSSY, a, cap, &ra, &ea);
        size_t nb = all_tokens(s, size, PK_TOK_LOSSY | PK_TOK_SCALAR, b, cap, &rb, &eb);
        if (ra || rb || ea != eb) abort();
        same(a, na, b, nb);
        for (size_t i = 0; i < na; i++)
            if (a[i].off + a[i].len > size || a[i].len == 0 || a[i].len > PK_TOK_MAXLEN) abort();
        na = all_tokens(s, size, 0, a, cap, &ra, &ea);
        nb = all_tokens(s, size, PK_TOK_SCALAR, b, cap, &rb, &eb);
        if (ra != rb || (ra && ea != eb)) abort();
        same(a, na, b, nb);
        /* Without line numbers (as the scanner runs), the same tokens. */
        na = all_tokens(s, size, PK_TOK_LOSSY | PK_TOK_NOLINES, a, cap, &ra, &ea);
        nb = all_tokens(s, size, PK_TOK_LOSSY | PK_TOK_SCALAR | PK_TOK_NOLINES, b, cap, &rb, &eb);
        if (ra || rb) abort();
        same(a, na, b, nb);
    }
    pk_simd_force(-1);

    pk_buf conv;
    pk_buf_init(&conv, 1 << 20);
    const char *o;
    size_t on, skip;
    pk_error e;
    if (pk_text_prepare(s, size, &conv, &o, &on, &skip, &e) == 0 && (o != s || skip <= size)) {
        size_t nc = all_tokens(o + skip, on - skip, PK_TOK_LOSSY, a, cap, &ra, &ea);
        uint64_t *kg = malloc((nc + 1) * sizeof *kg);
        pk_fp *fp = malloc((nc + 1) * sizeof *fp);
        if (!kg || !fp) abort();
        uint64_t *kg2 = malloc((nc + 1) * sizeof *kg2);
        pk_fp *fp2 = malloc((nc + 1) * sizeof *fp2);
        if (!kg2 || !fp2) abort();
        if (nc >= 8) {
            pk_simd_force(PK_SIMD_SCALAR);
            pk_kgrams(a, nc, 8, kg);
            size_t nf = pk_winnow(kg, nc - 7, 18, fp);
            for (size_t i = 1; i < nf; i++)
                if (fp[i].pos <= fp[i - 1].pos || fp[i].pos - fp[i - 1].pos > 18) abort();
            for (int level = 1; level < PK_SIMD_NLEVELS; level++) {
                if (!pk_simd_supported(level)) continue;
                pk_simd_force(level);
                pk_kgrams(a, nc, 8, kg2);
                if (memcmp(kg, kg2, (nc - 7) * sizeof *kg)) abort();
                size_t nf2 = pk_winnow(kg, nc - 7, 18, fp2);
                if (nf2 != nf) abort();
                for (size_t i = 0; i < nf; i++)
                    if (fp[i].h != fp2[i].h || fp[i].pos != fp2[i].pos) abort();
            }
            pk_simd_force(-1);
        }
        free(kg);
        free(fp);
        free(kg2);
        free(fp2);
    }
    pk_buf_free(&conv);
    free(a);
    free(b);
    return 0;
}
