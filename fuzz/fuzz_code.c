/* fuzz_code.c -- the source code lexer, normalizer and readers on
 * arbitrary bytes.
 *
 * Lexemes come in order, inside the input, never empty, with lines that
 * never go back.  A normalization is ASCII (letters, digits and the
 * punctuation of number literals), one word per map entry at increasing
 * rendered offsets, each standing for source bytes inside the input that
 * do not overlap the next word's, rendered lines with strictly increasing
 * source lines; mapping any rendered offset back lands inside the input,
 * monotonically.  Normalizing again gives the same bytes.  The readers
 * either render (the text rendering is the input itself when it is UTF-8
 * without a BOM) or refuse with a message and PK_EFORMAT, PK_EUTF8. */
#include "fmt/fmt.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_lexer(const char *s, size_t n)
{
    pk_code_lexer L;
    pk_code_lexeme t;
    pk_code_lexer_init(&L, s, n);
    size_t end = 0;
    uint32_t line = 1;
    while (pk_code_next(&L, &t)) {
        if (t.len == 0 || t.off < end || t.off + t.len > n || t.line < line) abort();
        if (t.kind < PK_CODE_IDENT || t.kind > PK_CODE_OP) abort();
        if (t.kind == PK_CODE_DIRECTIVE && (t.word <= t.off || t.word > t.off + t.len)) abort();
        end = t.off + t.len;
        line = t.line;
    }
}

static void check_norm(const pk_code_norm *cn, size_t n)
{
    const char *p = cn->text.data;
    size_t nl = 0;
    for (size_t i = 0; i < cn->text.len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x80 || c < ' ') {
            if (c != '\n') abort();
            nl++;
        }
    }
    if (nl != cn->nlines) abort();
    if (cn->text.len && p[cn->text.len - 1] != '\n') abort();
    for (size_t i = 1; i < cn->nlines; i++)
        if (cn->lines[i] <= cn->lines[i - 1]) abort();
    for (size_t i = 0; i < cn->nwords; i++) {
        const pk_code_span *m = &cn->map[i];
        if (m->roff >= cn->text.len || m->start >= m->end || m->end > n) abort();
        if (p[m->roff] == ' ' || p[m->roff] == '\n') abort();
        if (m->roff && p[m->roff - 1] != ' ' && p[m->roff - 1] != '\n') abort();
        if (i && (m->roff <= cn->map[i - 1].roff || m->start < cn->map[i - 1].end)) abort();
    }
    uint64_t last_a = 0, last_b = 0;
    for (uint64_t x = 0; x <= cn->text.len; x++) {
        uint64_t a = pk_code_map_start(cn, x), b = pk_code_map_end(cn, x);
        if (a > n || b > n || a < last_a || b < last_b) abort();
        last_a = a;
        last_b = b;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return 0;
    const char *s = (const char *)data;
    pk_error err;
    pk_code_norm a, b;
    pk_doc d;
    pk_code_norm_init(&a);
    pk_code_norm_init(&b);
    pk_doc_init(&d);
    check_lexer(s, size);
    if (pk_code_normalize(&a, s, size, &err) || pk_code_normalize(&b, s, size, &err)) abort();
    check_norm(&a, size);
    if (a.text.len != b.text.len || a.nwords != b.nwords || (a.text.len && memcmp(a.text.data, b.text.data, a.text.len)))
        abort();
    for (int mode = 0; mode < 2; mode++) {
        for (unsigned flags = 0; flags <= PK_TOK_LOSSY; flags += PK_TOK_LOSSY) {
            err.msg[0] = 0;
            int rc = pk_code_render(&d, s, size, mode, flags, &err);
            if (rc) {
                if ((rc != PK_EFORMAT && rc != PK_EUTF8) || !err.msg[0]) abort();
            } else if (mode == 0) {
                int bom = size >= 2 && ((data[0] == 0xFF && data[1] == 0xFE) || (data[0] == 0xFE && data[1] == 0xFF) ||
                                        (size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0));
                if (!bom && (d.text.len != size || (size && memcmp(d.text.data, s, size)))) abort();
            } else {
                size_t nl = 0;
                for (size_t i = 0; i < d.text.len; i++) nl += d.text.data[i] == '\n';
                if (nl != d.nlines) abort();
            }
            pk_doc_free(&d);
            pk_doc_init(&d);
        }
    }
    pk_code_norm_free(&a);
    pk_code_norm_free(&b);
    pk_doc_free(&d);
    return 0;
}
