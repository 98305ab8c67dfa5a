/* fuzz_html.c -- HTML to text on arbitrary bytes.
 *
 * Any input renders (the tokenizer, like a browser's, takes any bytes), with no encoding
 * given and with one, and the rendering keeps its invariants: valid
 * UTF-8, one '\n' per rendered line and none empty, no line starting or
 * ending in a space outside <pre>-like elements (so only checked when the
 * input has none), the title terminated, valid UTF-8 and without line
 * breaks. */
#include "fmt/fmt.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void valid_utf8(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        int32_t cp;
        size_t k = pk_utf8_decode((const uint8_t *)s + i, n - i, &cp);
        if (k == 0) abort();
        i += k;
    }
}

static bool has_pre(const uint8_t *d, size_t n)
{
    static const char *const tags[] = {"<pre", "<textarea", "<listing", "<plaintext", "<xmp"};
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < 5; t++) {
            size_t k = strlen(tags[t]);
            if (i + k <= n && strncasecmp((const char *)d + i, tags[t], k) == 0) return true;
        }
    return false;
}

static void check(const pk_doc *d, bool pre)
{
    const char *p = d->text.data ? d->text.data : "";
    valid_utf8(p, d->text.len);
    size_t nl = 0;
    for (size_t i = 0; i < d->text.len; i++) nl += p[i] == '\n';
    if (nl != d->nlines) abort();
    if (d->nlines && p[d->text.len - 1] != '\n') abort();
    for (size_t i = 0, start = 0; i < d->text.len; i++) {
        if (p[i] != '\n') continue;
        if (i == start) abort();                                 /* empty line */
        if (!pre && (p[start] == ' ' || p[i - 1] == ' ')) abort(); /* untrimmed */
        start = i + 1;
    }
    size_t tl = strnlen(d->title, sizeof d->title);
    if (tl == sizeof d->title) abort();
    valid_utf8(d->title, tl);
    if (memchr(d->title, '\n', tl)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bool pre = has_pre(data, size);
    static const char *const enc[] = {NULL, "iso-8859-1", "utf-16le", "bogus"};
    for (size_t i = 0; i < 4; i++) {
        pk_doc d;
        pk_doc_init(&d);
        pk_error e;
        if (pk_html_render_enc(&d, (const char *)data, size, enc[i], &e) != 0) abort();
        check(&d, pre);
        pk_doc_free(&d);
    }
    return 0;
}
