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

/* ---- page layout (layout.c) ----------------------------------------------
 * The estimate of where a screenplay's elements fall on the page, shared
 * by the screenplay readers so the same script gets the same pages in
 * every format.  A reader says what each element is, in order; the layout
 * says on which page its first printed line lands.  It never fails and
 * never allocates. */
enum {
    PK_EL_ACTION,     /* action, centered text: 60 columns */
    PK_EL_HEADING,    /* scene heading: 60 columns, kept with the next line */
    PK_EL_CUE,        /* character cue: one line, kept with its first
                         dialogue line; starts a dialogue block */
    PK_EL_DUAL_CUE,   /* the cue of a second block set beside the last one
                         (when both fit one page; else as PK_EL_CUE) */
    PK_EL_DIALOGUE,   /* 35 columns; a (CONT'D) cue on a new page */
    PK_EL_PAREN,      /* parenthetical: 30 columns, as dialogue */
    PK_EL_TRANSITION, /* one line (a forced transition too) */
    PK_EL_SPACER      /* one empty line that is not a gap (Fountain's two
                         spaces): a (CONT'D) cue on a new page in dialogue */
};

typedef struct pk_layout {
    uint64_t page, y; /* page (1-based) and lines used on it */
    int gap;          /* a blank line before the next element */
    int in_dlg;       /* a dialogue block is open (since its cue) */
    uint64_t first_y; /* where the last element's first line went */
    /* The last dialogue block, for dual dialogue. */
    int dlg_last;     /* it is the last thing laid out */
    uint64_t dlg_page, dlg_y, dlg_end_page, dlg_end_y;
    int dual;         /* laying out the second block beside it */
    uint64_t dual_end_y;
} pk_layout;

/* Page 1, nothing on it yet. */
void pk_layout_init(pk_layout *L);
/* A blank line between elements (runs of them count once, none at the top
 * of a page); ends a dialogue block. */
void pk_layout_blank(pk_layout *L);
/* A forced page break (none when the page is still empty). */
void pk_layout_page_break(pk_layout *L);
/* Lay out one element of kind PK_EL_*, its printed text p[0..n) (trimmed;
 * markup the printed page would not show is best left out): the page of
 * its first line, at most UINT32_MAX. */
uint32_t pk_layout_element(pk_layout *L, int kind, const char *p, size_t n);
/* Printed lines of p[0..n) wrapped at spaces to width columns (>= 1): tabs
 * count 4 columns, wide characters 2, a word longer than the width is
 * broken. */
uint64_t pk_layout_wrap(const char *p, size_t n, unsigned width);

/* Append sep and p[0..n) to the NUL-terminated title or author dst (cap
 * bytes), cutting at a character boundary when it does not fit; no
 * separator before the first value or before nothing. */
void pk_meta_append(char *dst, size_t cap, const char *sep, const char *p, size_t n);

/* Fountain (fountain.c). */
int pk_fountain_render(pk_doc *d, const char *s, size_t n, pk_error *err);

/* Final Draft (fdx.c): the XML of a .fdx file, at most PK_FDX_MAX_BYTES
 * and PK_FDX_MAX_PARAGRAPHS paragraphs.  Malformed XML, a DOCTYPE (so no
 * entity is ever declared, expanded or fetched) or a root that is not
 * <FinalDraft> is refused, PK_EFORMAT, with the line in the message. */
#define PK_FDX_MAX_BYTES ((size_t)64 << 20)
#define PK_FDX_MAX_PARAGRAPHS ((size_t)1 << 20)
int pk_fdx_render(pk_doc *d, const char *s, size_t n, pk_error *err);

/* HTML (html.c): the text a reader of the page sees, one rendered line per
 * block, scripts and styles dropped, references decoded, UTF-8 out.
 * Lines carry their source line; no pages or scenes.  The first <title>
 * goes to d->title.  encoding (may be NULL) is the charset the transport
 * named (HTTP Content-Type); an unknown one is ignored.  Offsets of
 * anything found are offsets into d->text. */
int pk_html_render(pk_doc *d, const char *s, size_t n, pk_error *err);
int pk_html_render_enc(pk_doc *d, const char *s, size_t n, const char *encoding, pk_error *err);

/* Works in document formats: HTML and Markdown (docs.c), EPUB and DOCX
 * (container.c), PDF (pdf.c).  HTML as a work: html.c's rendering with
 * one rendered line per block and its source line. */
int pk_html_work_render(pk_doc *d, const char *s, size_t n, pk_error *err);
int pk_markdown_render(pk_doc *d, const char *s, size_t n, pk_error *err);
int pk_epub_render(pk_doc *d, const char *s, size_t n, pk_error *err);
int pk_docx_render(pk_doc *d, const char *s, size_t n, pk_error *err);
/* A zip container's kind by content (container.c): PK_WORK_EPUB (its
 * first entry is mimetype "application/epub+zip"), PK_WORK_DOCX (it holds
 * word/document.xml) or 0. */
int pk_zip_kind(const char *s, size_t n);
int pk_pdf_render(pk_doc *d, const char *s, size_t n, pk_error *err);

#endif
