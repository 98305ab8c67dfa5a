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
/* The same for a line a reader has already written at the end of d->text
 * (from just after the last '\n', not empty, no '\n' in it): appends the
 * '\n'.  Returns 0 or PK_ENOMEM. */
int pk_doc_end_line(pk_doc *d, uint32_t line, uint32_t page, uint32_t scene);

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

/* ---- source code (code.c) -------------------------------------------------
 * One lexer for every language (see code.c for its rules and why).  A
 * lexeme is a keyword, any other identifier, a string literal (quotes
 * included), a number, a preprocessor directive ('#' first on a line and
 * its word: `word` is the word's offset) or an operator or punctuation
 * mark; comments and white space are skipped.  Offsets and lengths are
 * bytes of the lexer's input, line is 1-based. */
enum { PK_CODE_IDENT = 1, PK_CODE_KEYWORD, PK_CODE_STRING, PK_CODE_NUMBER, PK_CODE_DIRECTIVE, PK_CODE_OP };

typedef struct pk_code_lexeme {
    int kind;
    size_t off, len, word;
    uint32_t line;
} pk_code_lexeme;

typedef struct pk_code_lexer {
    const uint8_t *s;
    size_t n, pos;
    uint32_t line;
    int bol; /* nothing but white space since the line began */
    /* Where a multi-line string (`, """, ''') was found never closed:
     * later ones are not looked for again, so this stays linear. */
    size_t no_tick, no_dq3, no_sq3;
} pk_code_lexer;

void pk_code_lexer_init(pk_code_lexer *L, const char *s, size_t n);
/* The next lexeme into *t: 1, or 0 at the end.  Never fails; invalid
 * UTF-8 and NUL bytes are white space to it. */
int pk_code_next(pk_code_lexer *L, pk_code_lexeme *t);

/* A rendered word of a normalization and the source bytes it stands for. */
typedef struct pk_code_span {
    uint64_t roff;       /* offset of the word in the rendered text */
    uint64_t start, end; /* its source bytes, end exclusive */
} pk_code_span;

/* A normalization (MOSS style): text holds one rendered line per source
 * line that has tokens (lines[i] is the source line of rendered line i),
 * words separated by one space; map[0..nwords) in rendered order.  Owns
 * its arrays; reusable (each pk_code_normalize resets it). */
typedef struct pk_code_norm {
    pk_buf text;
    pk_code_span *map;
    size_t nwords, cap;
    uint32_t *lines;
    size_t nlines, lcap;
} pk_code_norm;

void pk_code_norm_init(pk_code_norm *cn);
void pk_code_norm_free(pk_code_norm *cn); /* accepts NULL */
/* Normalize s[0..n) (UTF-8; invalid bytes are white space).  PK_ENOMEM,
 * or PK_ETOOBIG past cn->text's cap. */
int pk_code_normalize(pk_code_norm *cn, const char *s, size_t n, pk_error *err);
/* A rendered byte offset back to the source: a token's start to the start
 * of the word holding it, a token's end (exclusive) to the end of the word
 * holding its last byte.  Monotonic; 0 when nothing was rendered. */
uint64_t pk_code_map_start(const pk_code_norm *cn, uint64_t roff);
uint64_t pk_code_map_end(const pk_code_norm *cn, uint64_t rend);
/* Count invalid UTF-8 sequences in s[0..n) (*first: the first one's
 * offset) and find the first NUL byte (*nul; SIZE_MAX when none).
 * Returns 1 when the text is clean UTF-8 without NUL. */
int pk_code_check_utf8(const char *s, size_t n, size_t *invalid, size_t *first, size_t *nul);
/* A work in source code: the text itself (normalize 0; format "code"), or
 * its normalization (format "code-normalized"; invalid UTF-8 refused,
 * PK_EUTF8, unless tok_flags has PK_TOK_LOSSY).  A binary file (a NUL
 * byte, or invalid UTF-8 in more than one byte in 16) is refused,
 * PK_EFORMAT, naming the byte offset.  UTF-16 with a BOM is converted. */
int pk_code_render(pk_doc *d, const char *s, size_t n, int normalize, unsigned tok_flags, pk_error *err);

#endif
