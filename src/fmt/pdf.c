/* pdf.c -- PDF works (placeholder until the poppler reader lands). */
#include "fmt/fmt.h"

int pk_pdf_render(pk_doc *d, const char *s, size_t n, pk_error *err)
{
    PK_UNUSED(d); PK_UNUSED(s); PK_UNUSED(n);
    return pk_fail(err, PK_EFORMAT, "PDF works are not read yet");
}
