/* fmt.h -- readers of the formats writers work in (internal).
 *
 * A reader renders a work into a pk_doc: the text picket fingerprints
 * (what is said and done, markup dropped) and, for every rendered line,
 * the place it came from: the source line, the estimated page and the
 * scene.  doc.c holds the pk_doc plumbing and picks the reader; each
 * format has its own file. */
#ifndef PK_FMT_H
#define PK_FMT_H

#include "pk.h"

/* Append one rendered line (len bytes, no '\n') that came from source
 * line `line`, on `page` in `scene` (0: unknown / none).  Returns 0 or
 * PK_ENOMEM. */
int pk_doc_line(pk_doc *d, const char *s, size_t len, uint32_t line, uint32_t page, uint32_t scene);

/* Fountain (fountain.c). */
int pk_fountain_render(pk_doc *d, const char *s, size_t n, pk_error *err);

#endif
