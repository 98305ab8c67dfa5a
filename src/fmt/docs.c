/* docs.c -- works in document formats: HTML, Markdown, EPUB, DOCX
 * (placeholders until their readers land: each refuses with a clear
 * error, so --format names them already). */
#include "fmt/fmt.h"

int pk_html_work_render(pk_doc *d, const char *s, size_t n, pk_error *err)
{
    PK_UNUSED(d); PK_UNUSED(s); PK_UNUSED(n);
    return pk_fail(err, PK_EFORMAT, "HTML works are not read yet: use --format text");
}

int pk_markdown_render(pk_doc *d, const char *s, size_t n, pk_error *err)
{
    PK_UNUSED(d); PK_UNUSED(s); PK_UNUSED(n);
    return pk_fail(err, PK_EFORMAT, "Markdown works are not read yet: use --format text");
}

int pk_epub_render(pk_doc *d, const char *s, size_t n, pk_error *err)
{
    PK_UNUSED(d); PK_UNUSED(s); PK_UNUSED(n);
    return pk_fail(err, PK_EFORMAT, "EPUB works are not read yet");
}

int pk_docx_render(pk_doc *d, const char *s, size_t n, pk_error *err)
{
    PK_UNUSED(d); PK_UNUSED(s); PK_UNUSED(n);
    return pk_fail(err, PK_EFORMAT, "DOCX works are not read yet");
}
