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
#include "fuzz_doc.h"

#include <libxml/xmlerror.h>
#include <libxml/globals.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Source lines grow, but several paragraphs may share one (FDX). */
static void check(const pk_doc *d, size_t n)
{
    if (d->text.len > 3 * n + 1) abort();
    if (d->format != PK_WORK_FDX) abort();
    doc_check(d, n + 1, 0, 1);
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
        doc_same(&d, &e);
    }
    pk_doc_free(&d);
    pk_doc_free(&e);
    return 0;
}
