/* doc.c -- a work as a reader rendered it, and the choice of reader.
 *
 * Readers turn the bytes a writer has (a Fountain or Final Draft
 * screenplay, later PDF, HTML ...) into the text picket fingerprints plus,
 * for each rendered line, where it came from: the source line, the page, the
 * scene.  The registry keeps those as maps from token to place, so a
 * finding can say "scene 12, page 31, lines 840-852" of the file the
 * writer registered.
 *
 * Plain text is rendered as itself (no copy of the mapping: line i of the
 * text is line i of the file), so registering a .txt gives exactly what
 * it gave before readers existed.
 *
 * The format: --format when given; else by extension (.fountain,
 * .spmd; .fdx; .html, .htm, .xhtml; .md, .markdown; .epub; .docx; .pdf;
 * source code: code_exts below);
 * else by content: "%PDF-" at the start is PDF; "<FinalDraft" in the
 * first KiB is Final Draft; a zip whose
 * first entry is mimetype "application/epub+zip" is EPUB, one holding
 * word/document.xml is DOCX; "#!" at the start is a script (code); a
 * Fountain title page ("Title:" on the
 * first line) or two scene headings at the start of a line is taken for
 * Fountain; anything else is text.  Code is read as text unless the
 * caller asks for "code-normalized" (code.c). */
#include "fmt/fmt.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const names[PK_WORK_NFORMATS] = {"auto", "text", "fountain", "fdx", "html", "markdown",
                                                     "epub", "docx", "pdf", "code", "code-normalized"};

/* Source code by extension (lower case; has_ext ignores case). */
static const char *const code_exts[] = {
    ".c",    ".h",   ".cc",    ".cpp", ".cxx",  ".c++", ".hpp",  ".hh",    ".hxx",  ".ipp",   ".inl", ".m",
    ".mm",   ".java", ".js",   ".mjs", ".cjs",  ".jsx", ".ts",   ".tsx",   ".mts",  ".cts",   ".go",  ".rs",
    ".cs",   ".swift", ".kt",  ".kts", ".scala", ".sc", ".groovy", ".dart", ".php", ".py",    ".pyw", ".pyi",
    ".rb",   ".rake", ".sh",   ".bash", ".zsh", ".ksh", ".fish", ".pl",    ".pm",   ".lua",   ".sql", ".r",
    ".jl",   ".ex",   ".exs",  ".erl", ".hs",   ".ml",  ".mli",  ".fs",    ".fsx",  ".clj",   ".cljs", ".el",
    ".lisp", ".scm",  ".zig",  ".nim", ".v",    ".sv",  ".vhd",  ".vhdl",  ".ps1",  ".psm1",  ".tcl", ".awk",
    ".f",    ".f90",  ".f95",  ".for", ".pas",  ".pp",  ".d",    ".cu",    ".cuh",  ".glsl",  ".hlsl", ".wgsl",
    ".sol",  ".vb",   ".asm",  ".s",   ".cmake", ".gradle", ".proto", ".cob", ".cbl", ".ada",  ".adb", ".ads",
};

static int is_code_name(const char *name);

const char *pk_work_format_name(int format)
{
    return format >= 0 && format < PK_WORK_NFORMATS ? names[format] : "unknown";
}

int pk_work_format_parse(const char *name)
{
    for (int i = 0; i < PK_WORK_NFORMATS; i++)
        if (strcmp(name, names[i]) == 0) return i;
    return -1;
}

void pk_doc_init(pk_doc *d)
{
    memset(d, 0, sizeof *d);
    pk_buf_init(&d->text, 0);
}

void pk_doc_free(pk_doc *d)
{
    pk_buf_free(&d->text);
    free(d->line);
    free(d->page);
    free(d->scene);
    memset(d, 0, sizeof *d);
}

/* Room for one more line in the line, page and scene arrays. */
static int line_room(pk_doc *d)
{
    if (d->nlines == d->cap) {
        size_t nc = d->cap ? 2 * d->cap : 256, bytes;
        if (!pk_mul_ok(nc, sizeof(uint32_t), &bytes)) return PK_ENOMEM;
        uint32_t *a = realloc(d->line, bytes);
        if (!a) return PK_ENOMEM;
        d->line = a;
        uint32_t *b = realloc(d->page, bytes);
        if (!b) return PK_ENOMEM;
        d->page = b;
        uint32_t *c = realloc(d->scene, bytes);
        if (!c) return PK_ENOMEM;
        d->scene = c;
        d->cap = nc;
    }
    return 0;
}

int pk_doc_line(pk_doc *d, const char *s, size_t len, uint32_t line, uint32_t page, uint32_t scene)
{
    if (line_room(d) || pk_buf_append(&d->text, s, len) || pk_buf_putc(&d->text, '\n')) return PK_ENOMEM;
    d->line[d->nlines] = line;
    d->page[d->nlines] = page;
    d->scene[d->nlines] = scene;
    d->nlines++;
    return 0;
}

int pk_doc_end_line(pk_doc *d, uint32_t line, uint32_t page, uint32_t scene)
{
    if (line_room(d) || pk_buf_putc(&d->text, '\n')) return PK_ENOMEM;
    d->line[d->nlines] = line;
    d->page[d->nlines] = page;
    d->scene[d->nlines] = scene;
    d->nlines++;
    return 0;
}

static int has_ext(const char *name, const char *ext)
{
    if (!name) return 0;
    size_t n = strlen(name), e = strlen(ext);
    return n > e && strcasecmp(name + n - e, ext) == 0;
}

static int is_code_name(const char *name)
{
    for (size_t i = 0; i < sizeof code_exts / sizeof code_exts[0]; i++)
        if (has_ext(name, code_exts[i])) return 1;
    return 0;
}

/* Does a line starting at p look like a Fountain scene heading? */
static int heading_at(const char *p, const char *end)
{
    static const char *const pre[] = {"INT.", "EXT.", "INT ", "EXT ", "EST.", "EST ", "INT/EXT", "I/E"};
    for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
        size_t l = strlen(pre[i]);
        if ((size_t)(end - p) >= l && strncasecmp(p, pre[i], l) == 0) return 1;
    }
    return 0;
}

/* Final Draft: "<FinalDraft" in the first KiB.  An XML prolog alone is
 * not enough: other XML registered before readers existed stays text. */
static int looks_like_fdx(const char *s, size_t n)
{
    return memmem(s, n < 1024 ? n : 1024, "<FinalDraft", 11) != NULL;
}

/* Content sniffing: a title page, or at least two scene headings in the
 * first 64 KiB. */
static int looks_like_fountain(const char *s, size_t n)
{
    size_t lim = n < 65536 ? n : 65536;
    const char *p = s, *end = s + lim;
    if (lim >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    if ((size_t)(end - p) >= 6 && strncasecmp(p, "Title:", 6) == 0) return 1;
    int headings = 0;
    for (const char *q = p; q < end;) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        if (heading_at(q, nl ? nl : end)) headings++;
        if (!nl) break;
        q = nl + 1;
    }
    return headings >= 2;
}

int pk_doc_read(pk_doc *d, const char *name, const char *data, size_t n, int format, unsigned tok_flags,
                pk_error *err)
{
    pk_doc_free(d);
    pk_doc_init(d);
    if (format == PK_WORK_AUTO) {
        if (has_ext(name, ".fountain") || has_ext(name, ".spmd")) format = PK_WORK_FOUNTAIN;
        else if (has_ext(name, ".fdx")) format = PK_WORK_FDX;
        else if (has_ext(name, ".txt") || has_ext(name, ".text")) format = PK_WORK_TEXT;
        else if (has_ext(name, ".html") || has_ext(name, ".htm") || has_ext(name, ".xhtml")) format = PK_WORK_HTML;
        else if (has_ext(name, ".md") || has_ext(name, ".markdown")) format = PK_WORK_MARKDOWN;
        else if (has_ext(name, ".epub")) format = PK_WORK_EPUB;
        else if (has_ext(name, ".docx")) format = PK_WORK_DOCX;
        else if (has_ext(name, ".pdf")) format = PK_WORK_PDF;
        else if (is_code_name(name)) format = PK_WORK_CODE;
        else if (n >= 5 && memcmp(data, "%PDF-", 5) == 0) format = PK_WORK_PDF;
        else if (looks_like_fdx(data, n)) format = PK_WORK_FDX;
        else if (pk_zip_kind(data, n)) format = pk_zip_kind(data, n);
        else if (n >= 2 && data[0] == '#' && data[1] == '!') format = PK_WORK_CODE; /* a script */
        else format = looks_like_fountain(data, n) ? PK_WORK_FOUNTAIN : PK_WORK_TEXT;
    }
    d->format = format;
    switch (format) {
    case PK_WORK_FOUNTAIN: return pk_fountain_render(d, data, n, err);
    case PK_WORK_FDX: return pk_fdx_render(d, data, n, err);
    case PK_WORK_HTML: return pk_html_work_render(d, data, n, err);
    case PK_WORK_MARKDOWN: return pk_markdown_render(d, data, n, err);
    case PK_WORK_EPUB: return pk_epub_render(d, data, n, err);
    case PK_WORK_DOCX: return pk_docx_render(d, data, n, err);
    case PK_WORK_PDF: return pk_pdf_render(d, data, n, err);
    case PK_WORK_CODE: return pk_code_render(d, data, n, 0, tok_flags, err);
    case PK_WORK_CODE_NORM: return pk_code_render(d, data, n, 1, tok_flags, err);
    case PK_WORK_TEXT:
        /* Itself: no line arrays, line i is line i. */
        if (pk_buf_append(&d->text, data, n)) return pk_fail(err, PK_ENOMEM, "out of memory");
        return 0;
    default: return pk_fail(err, PK_EINVAL, "unknown work format %d", format);
    }
}
