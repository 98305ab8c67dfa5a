/* fuzz_fountain.c -- the Fountain reader on arbitrary bytes.
 *
 * Any input renders (only a malformed UTF-16 text, behind its BOM, may be
 * refused, with a message), and the rendering keeps its invariants: one
 * '\n' per rendered line, no rendered line empty or with white space at
 * its ends, source lines strictly increasing and inside the input, pages
 * from 1 and never going back, scenes never going back, the text no
 * larger than the input plus one newline, title and author terminated.
 * Differential: the same bytes with CRLF line ends, or behind a UTF-8 BOM,
 * render exactly the same. */
#include "fmt/fmt.h"
#include "fuzz_doc.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const pk_doc *d, const char *s, size_t n)
{
    size_t in_lines = 1;
    for (size_t i = 0; i < n; i++) in_lines += s[i] == '\n';
    int utf16 = n >= 2 && (((uint8_t)s[0] == 0xFF && (uint8_t)s[1] == 0xFE) ||
                           ((uint8_t)s[0] == 0xFE && (uint8_t)s[1] == 0xFF));
    if (!utf16 && d->text.len > n + 1) abort();
    if (d->format != PK_WORK_FOUNTAIN) abort();
    doc_check(d, utf16 ? 0 : in_lines, 1, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return 0;
    const char *s = (const char *)data;
    pk_doc d, e;
    pk_error err;
    pk_doc_init(&d);
    pk_doc_init(&e);
    err.msg[0] = 0;
    int rc = pk_fountain_render(&d, s, size, &err);
    int utf16 = size >= 2 && ((data[0] == 0xFF && data[1] == 0xFE) || (data[0] == 0xFE && data[1] == 0xFF));
    if (rc) {
        if (!(rc == PK_EUTF8 && utf16) || !err.msg[0]) abort();
        goto done;
    }
    check(&d, s, size);

    /* CRLF line ends: the same rendering (only for inputs without any CR,
     * where the conversion is exact). */
    if (!utf16 && !memchr(s, '\r', size)) {
        size_t lines = 0;
        for (size_t i = 0; i < size; i++) lines += s[i] == '\n';
        char *t = malloc(size + lines + 3);
        if (!t) abort();
        size_t k = 0;
        for (size_t i = 0; i < size; i++) {
            if (s[i] == '\n') t[k++] = '\r';
            t[k++] = s[i];
        }
        if (pk_fountain_render(&e, t, k, &err)) abort();
        doc_same(&d, &e);
        /* Behind a UTF-8 BOM, when the input does not start with one. */
        if (!(size >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)) {
            memcpy(t, "\xEF\xBB\xBF", 3);
            memcpy(t + 3, s, size);
            pk_doc_free(&e);
            pk_doc_init(&e);
            if (pk_fountain_render(&e, t, size + 3, &err)) abort();
            doc_same(&d, &e);
        }
        free(t);
    }
done:
    pk_doc_free(&d);
    pk_doc_free(&e);
    return 0;
}
