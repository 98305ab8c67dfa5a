/* fuzz_docs.c -- the HTML-work, Markdown, EPUB and DOCX readers on
 * arbitrary bytes.
 *
 * Each reader either renders or refuses (PK_EFORMAT, PK_ETOOBIG), never
 * anything else; a rendering keeps its invariants: one '\n' per rendered
 * line, no pages or scenes (but in screenplays sniffed by pk_doc_read), title and author terminated.  Seeds: a small
 * DOCX and EPUB (written by tests/cli/mkzipdocs.py), an HTML page and a
 * Markdown file with front matter. */
#include "fmt/fmt.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef int (*render_fn)(pk_doc *, const char *, size_t, pk_error *);

static void check(const pk_doc *d, bool placed)
{
    const char *p = d->text.data ? d->text.data : "";
    size_t nl = 0;
    for (size_t i = 0; i < d->text.len; i++) nl += p[i] == '\n';
    if (nl != d->nlines) abort();
    if (d->nlines && p[d->text.len - 1] != '\n') abort();
    for (size_t i = 0; i < d->nlines && !placed; i++)
        if (d->page[i] || d->scene[i]) abort();
    if (strnlen(d->title, sizeof d->title) == sizeof d->title) abort();
    if (strnlen(d->author, sizeof d->author) == sizeof d->author) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const render_fn fns[] = {pk_html_work_render, pk_markdown_render, pk_epub_render, pk_docx_render};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        pk_doc d;
        pk_doc_init(&d);
        pk_error e;
        int rc = fns[i](&d, (const char *)data, size, &e);
        if (rc && rc != PK_EFORMAT && rc != PK_ETOOBIG) abort();
        if (!rc) check(&d, false);
        pk_doc_free(&d);
    }
    pk_doc d;
    pk_doc_init(&d);
    pk_error e;
    (void)pk_zip_kind((const char *)data, size);
    /* Text and code are the input itself, without line arrays. */
    if (pk_doc_read(&d, NULL, (const char *)data, size, PK_WORK_AUTO, 0, &e) == 0 && d.format != PK_WORK_TEXT &&
        d.format != PK_WORK_CODE)
        check(&d, d.format == PK_WORK_FOUNTAIN || d.format == PK_WORK_FDX); /* screenplays have pages */
    pk_doc_free(&d);
    return 0;
}
