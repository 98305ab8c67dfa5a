/* fuzz_doc.h -- what every rendered screenplay or PDF work must be, for
 * the fuzz targets of its readers (fuzz_fountain, fuzz_fdx, fuzz_pdf).
 *
 * doc_check: one '\n' per rendered line and one at the end; no line empty
 * or starting or ending with a blank (also CR when cr is set); pages and
 * source lines from 1, source lines at most max_line (0: no bound),
 * increasing (strictly when strict) as pages and scenes never go back;
 * title and author terminated.  doc_same: two renderings are identical. */
#ifndef PK_FUZZ_DOC_H
#define PK_FUZZ_DOC_H

#include "fmt/fmt.h"

#include <stdlib.h>
#include <string.h>

static void doc_check(const pk_doc *d, size_t max_line, int strict, int cr)
{
    const char *p = d->text.data;
    size_t nl = 0;
    for (size_t i = 0; i < d->text.len; i++) nl += p[i] == '\n';
    if (nl != d->nlines) abort();
    if (d->nlines && p[d->text.len - 1] != '\n') abort();
    size_t at = 0;
    for (size_t i = 0; i < d->nlines; i++) {
        const char *e = memchr(p + at, '\n', d->text.len - at);
        size_t len = (size_t)(e - (p + at));
        if (len == 0) abort();
        char a = p[at], z = p[at + len - 1];
        if (a == ' ' || a == '\t' || z == ' ' || z == '\t') abort();
        if (cr && (a == '\r' || z == '\r')) abort();
        at += len + 1;
        if (d->page[i] < 1 || d->line[i] < 1) abort();
        if (max_line && d->line[i] > max_line) abort();
        if (i && (d->line[i] < d->line[i - 1] || (strict && d->line[i] == d->line[i - 1]) ||
                  d->page[i] < d->page[i - 1] || d->scene[i] < d->scene[i - 1]))
            abort();
    }
    if (strnlen(d->title, sizeof d->title) >= sizeof d->title) abort();
    if (strnlen(d->author, sizeof d->author) >= sizeof d->author) abort();
}

static void doc_same(const pk_doc *a, const pk_doc *b)
{
    if (a->nlines != b->nlines || a->text.len != b->text.len) abort();
    if (a->text.len && memcmp(a->text.data, b->text.data, a->text.len)) abort();
    for (size_t i = 0; i < a->nlines; i++)
        if (a->line[i] != b->line[i] || a->page[i] != b->page[i] || a->scene[i] != b->scene[i]) abort();
    if (strcmp(a->title, b->title) || strcmp(a->author, b->author)) abort();
}

#endif
