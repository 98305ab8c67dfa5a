/* fuzz_fdx.c -- the Final Draft reader on arbitrary bytes.
 *
 * Any input either renders or is refused with a one-line message naming
 * its line ("line N: ...", or "empty: ..."), PK_EFORMAT, or PK_ETOOBIG
 * past the paragraph limit.  A rendering keeps its invariants: one '\n'
 * per rendered line, no rendered line empty or with white space at its
 * ends, source lines from 1 and never going back, pages from 1 and never
 * going back, scenes never going back, the text no larger than the input
 * decoded to UTF-8 (three times the input) plus one, title and author
 * terminated.  The same bytes render the same way twice, and libxml2's
 * global error handlers are what they were before. */
#include "fmt/fmt.h"

#include <libxml/xmlerror.h>
#include <libxml/globals.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const pk_doc *d, size_t n)
{
    const char *p = d->text.data;
    size_t nl = 0;
    if (d->text.len > 3 * n + 1) abort();
    for (size_t i = 0; i < d->text.len; i++) nl += p[i] == '\n';
    if (nl != d->nlines) abort();
    if (d->nlines && p[d->text.len - 1] != '\n') abort();
    size_t at = 0;
    for (size_t i = 0; i < d->nlines; i++) {
        const char *e = memchr(p + at, '\n', d->text.len - at);
        size_t len = (size_t)(e - (p + at));
        if (len == 0) abort();
        char a = p[at], z = p[at + len - 1];
        if (a == ' ' || a == '\t' || a == '\r' || z == ' ' || z == '\t' || z == '\r') abort();
        at += len + 1;
        if (d->page[i] < 1 || d->line[i] < 1 || d->line[i] > n + 1) abort();
        if (i && (d->line[i] < d->line[i - 1] || d->page[i] < d->page[i - 1] || d->scene[i] < d->scene[i - 1]))
            abort();
    }
    if (d->format != PK_WORK_FDX) abort();
    if (strnlen(d->title, sizeof d->title) >= sizeof d->title) abort();
    if (strnlen(d->author, sizeof d->author) >= sizeof d->author) abort();
}

static void same(const pk_doc *a, const pk_doc *b)
{
    if (a->nlines != b->nlines || a->text.len != b->text.len) abort();
    if (a->text.len && memcmp(a->text.data, b->text.data, a->text.len)) abort();
    for (size_t i = 0; i < a->nlines; i++)
        if (a->line[i] != b->line[i] || a->page[i] != b->page[i] || a->scene[i] != b->scene[i]) abort();
    if (strcmp(a->title, b->title) || strcmp(a->author, b->author)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return 0;
    const char *s = (const char *)data;
    pk_doc d, e;
    pk_error err, err2;
    pk_doc_init(&d);
    pk_doc_init(&e);
    err.msg[0] = err2.msg[0] = 0;
    xmlStructuredErrorFunc s0 = xmlStructuredError;
    xmlGenericErrorFunc g0 = xmlGenericError;
    int rc = pk_fdx_render(&d, s, size, &err);
    if (xmlStructuredError != s0 || xmlGenericError != g0) abort();
    int rc2 = pk_fdx_render(&e, s, size, &err2);
    if (rc != rc2) abort();
    if (rc) {
        if (rc != PK_EFORMAT && rc != PK_ETOOBIG) abort();
        if (strcmp(err.msg, err2.msg) != 0) abort();
        if (strncmp(err.msg, "line ", 5) != 0 && strncmp(err.msg, "empty: ", 7) != 0) abort();
        if (strchr(err.msg, '\n')) abort();
    } else {
        check(&d, size);
        same(&d, &e);
    }
    pk_doc_free(&d);
    pk_doc_free(&e);
    return 0;
}
