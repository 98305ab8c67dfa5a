/* fuzz_pdf.c -- the PDF reader (poppler-glib) on arbitrary bytes.
 *
 * Inputs are capped at 64 KiB so poppler, which is not instrumented, stays
 * quick under ASan.  Any input either renders or is refused with one line,
 * PK_EFORMAT (or PK_ETOOBIG past the page or text limits).  A rendering
 * keeps its invariants: one '\n' per rendered line, no rendered line empty
 * or with white space at its ends, extraction lines from 1 and rising,
 * pages from 1 and never going back, scenes never going back, title and
 * author terminated.  The same bytes render the same way twice. */
#include "fmt/fmt.h"
#include "fuzz_doc.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return 0;
    const char *s = (const char *)data;
    pk_doc d, e;
    pk_error err, err2;
    pk_doc_init(&d);
    pk_doc_init(&e);
    err.msg[0] = err2.msg[0] = 0;
    int rc = pk_pdf_render(&d, s, size, &err);
    int rc2 = pk_pdf_render(&e, s, size, &err2);
    if (rc != rc2) abort();
    if (rc) {
        if (rc != PK_EFORMAT && rc != PK_ETOOBIG) abort();
        if (strcmp(err.msg, err2.msg) != 0) abort();
        if (strchr(err.msg, '\n')) abort();
    } else {
        doc_check(&d, 0, 1, 1);
        if (d.nlines != e.nlines || d.text.len != e.text.len) abort();
        if (d.text.len && memcmp(d.text.data, e.text.data, d.text.len)) abort();
    }
    pk_doc_free(&d);
    pk_doc_free(&e);
    return 0;
}
