/* pdf.c -- PDF works, read with poppler-glib.
 *
 * The text of each page in reading order (poppler_page_get_text), one
 * rendered line per text line, each naming its line in the whole
 * extraction (1-based, blank lines counted) and its PDF page (index + 1).
 * Dropped: running headers and footers (a line among the first or last
 * two of a page whose text, digits masked, recurs there on at least half
 * the pages, three at least) and bare page numbers ("12.", "Page 3 of 9",
 * "- 4 -").  A word hyphenated across a line end stays split over two
 * lines: the tokenizer joins "some-\nthing".
 *
 * A PDF with at least two scene headings (INT. EXT. EST. INT./EXT. I/E in
 * capitals, after an optional scene number) is read as a screenplay, like
 * Fountain: headings count scenes and are dropped, as are character cues
 * (a short all-caps line followed by a line that is not), parentheticals
 * ("(MORE)" too), transitions ("CUT TO:") and a title page (page 1 when
 * the first heading is on a later page).
 *
 * Bounds: the input must start with "%PDF-" and have "%%EOF" in its last
 * KiB (a truncated file is refused before poppler sees it: poppler would
 * rebuild what it could); at most PK_PDF_MAX_PAGES pages and
 * PK_PDF_MAX_TEXT bytes of text.  Poppler's own messages go to GLib's log
 * under the "Poppler" domain and are silenced while a PDF is read.
 * libpoppler-glib is opened the first time a PDF is read (lazy.c). */
#include "fmt/fmt.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wundef"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#define PK_LAZY_POPPLER /* poppler opened on first use: lazy.c */
#include "lazy.h"
#pragma GCC diagnostic pop

#define PK_PDF_MAX_PAGES 10000u
#define PK_PDF_MAX_TEXT ((size_t)64 << 20)
#define EDGE 2 /* lines at the top and at the bottom looked at for running heads */

typedef struct pline {
    size_t off, len;   /* trimmed, in the text; len 0: blank */
    uint32_t no, page; /* line of the extraction, PDF page */
    int drop;
} pline;

typedef struct edge {
    uint64_t hash;
    uint32_t page;
    int top;
} edge;

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

/* No lowercase ASCII letter, at least one uppercase one. */
static int all_caps(const char *p, size_t n)
{
    int upper = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= 'a' && p[i] <= 'z') return 0;
        if (p[i] >= 'A' && p[i] <= 'Z') upper = 1;
    }
    return upper;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* "12", "12.", "Page 3", "page 3 of 9", "- 4 -". */
static int is_page_number(const char *p, size_t n)
{
    size_t i = 0;
    if (n >= 5 && strncasecmp(p, "page ", 5) == 0) i = 5;
    else if (n >= 2 && p[0] == '-' && p[n - 1] == '-') {
        i = 1;
        n--;
    }
    while (i < n && p[i] == ' ') i++;
    size_t d = i;
    while (i < n && is_digit(p[i])) i++;
    if (i == d || i - d > 6) return 0;
    if (i + 4 <= n && strncasecmp(p + i, " of ", 4) == 0) {
        i += 4;
        d = i;
        while (i < n && is_digit(p[i])) i++;
        if (i == d) return 0;
    }
    if (i < n && p[i] == '.') i++;
    while (i < n && p[i] == ' ') i++;
    return i == n;
}

/* A scene heading in capitals, after an optional scene number ("12 ",
 * "12A. "). */
static int is_heading(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && is_digit(p[i])) i++;
    if (i) {
        if (i < n && p[i] >= 'A' && p[i] <= 'Z' && i + 1 < n && (p[i + 1] == '.' || p[i + 1] == ' ')) i++;
        if (i < n && p[i] == '.') i++;
        if (i == n || p[i] != ' ') return 0;
        while (i < n && p[i] == ' ') i++;
    }
    p += i;
    n -= i;
    static const char *const pre[] = {"INT./EXT", "INT/EXT", "I./E", "I/E", "INT", "EXT", "EST"};
    for (size_t k = 0; k < sizeof pre / sizeof pre[0]; k++) {
        size_t l = strlen(pre[k]);
        if (n > l && strncmp(p, pre[k], l) == 0 && (p[l] == '.' || p[l] == ' ')) return all_caps(p, n);
    }
    return 0;
}

static int is_transition(const char *p, size_t n)
{
    return n >= 3 && memcmp(p + n - 3, "TO:", 3) == 0 && all_caps(p, n);
}

/* FNV-1a of the line with digits masked and runs of spaces as one. */
static uint64_t mask_hash(const char *p, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    int sp = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (is_ws((char)c)) {
            sp = 1;
            continue;
        }
        if (sp) h = (h ^ ' ') * 1099511628211ull;
        sp = 0;
        if (is_digit((char)c)) c = '#';
        h = (h ^ c) * 1099511628211ull;
    }
    return h;
}

static int edge_cmp(const void *a, const void *b)
{
    const edge *x = a, *y = b;
    if (x->top != y->top) return x->top < y->top ? -1 : 1;
    if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
    return x->page < y->page ? -1 : x->page > y->page;
}

static void quiet(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer u)
{
    PK_UNUSED(domain); PK_UNUSED(level); PK_UNUSED(msg); PK_UNUSED(u);
}

typedef struct reader {
    pk_buf text;
    pline *ln;
    size_t n, cap;
    edge *ed;
    size_t ne;
} reader;

static int add_line(reader *r, const char *p, size_t len, uint32_t page)
{
    if (r->n == r->cap) {
        size_t nc = r->cap ? 2 * r->cap : 1024, bytes;
        if (!pk_mul_ok(nc, sizeof *r->ln, &bytes)) return PK_ENOMEM;
        pline *a = realloc(r->ln, bytes);
        if (!a) return PK_ENOMEM;
        r->ln = a;
        r->cap = nc;
    }
    if (r->n >= UINT32_MAX - 1) return PK_ETOOBIG;
    while (len && is_ws(*p)) p++, len--;
    while (len && is_ws(p[len - 1])) len--;
    pline *l = &r->ln[r->n];
    l->off = r->text.len;
    l->len = len;
    l->no = (uint32_t)(r->n + 1);
    l->page = page;
    l->drop = len == 0;
    r->n++;
    return pk_buf_append(&r->text, p, len);
}

/* The text of one page, split into lines. */
static int add_page(reader *r, const char *t, uint32_t page)
{
    const char *p = t;
    for (;;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (nl || len) {
            int rc = add_line(r, p, len, page);
            if (rc) return rc;
        }
        if (!nl) return 0;
        p = nl + 1;
    }
}

/* Mark running headers and footers, and bare page numbers, as dropped. */
static int drop_running(reader *r, uint32_t npages)
{
    const char *t = r->text.data;
    for (size_t i = 0; i < r->n; i++)
        if (!r->ln[i].drop && is_page_number(t + r->ln[i].off, r->ln[i].len)) r->ln[i].drop = 1;
    if (npages < 3) return 0;
    size_t bytes;
    if (!pk_mul_ok((size_t)npages * 2 * EDGE, sizeof *r->ed, &bytes) || !(r->ed = malloc(bytes))) return PK_ENOMEM;
    /* The first and last EDGE kept lines of each page. */
    for (size_t i = 0; i < r->n;) {
        size_t j = i;
        while (j < r->n && r->ln[j].page == r->ln[i].page) j++;
        for (int top = 0; top < 2; top++) {
            int got = 0;
            for (size_t k = 0; k < j - i && got < EDGE; k++) {
                pline *l = &r->ln[top ? i + k : j - 1 - k];
                if (l->drop) continue;
                r->ed[r->ne++] = (edge){mask_hash(t + l->off, l->len), l->page, top};
                got++;
            }
        }
        i = j;
    }
    qsort(r->ed, r->ne, sizeof *r->ed, edge_cmp);
    for (size_t i = 0; i < r->ne;) {
        size_t j = i, pages = 0;
        for (; j < r->ne && r->ed[j].hash == r->ed[i].hash && r->ed[j].top == r->ed[i].top; j++)
            pages += j == i || r->ed[j].page != r->ed[j - 1].page;
        if (pages >= 3 && 2 * pages >= npages) {
            /* Drop that text where it is at the edge of a page. */
            for (size_t k = 0; k < r->n;) {
                size_t e = k;
                while (e < r->n && r->ln[e].page == r->ln[k].page) e++;
                int got = 0;
                for (size_t m = 0; m < e - k && got < EDGE; m++) {
                    pline *l = &r->ln[r->ed[i].top ? k + m : e - 1 - m];
                    if (!l->len || (l->drop && is_page_number(t + l->off, l->len))) continue;
                    got++;
                    if (mask_hash(t + l->off, l->len) == r->ed[i].hash) l->drop = 2;
                }
                k = e;
            }
        }
        i = j;
    }
    return 0;
}

/* Screenplay: drop headings (counting scenes), cues, parentheticals,
 * transitions and a title page; scene of each kept line in scene[]. */
static void screenplay(reader *r, uint32_t *scene)
{
    const char *t = r->text.data;
    uint32_t first_page = 0, sc = 0;
    for (size_t i = 0; i < r->n && !first_page; i++)
        if (!r->ln[i].drop && is_heading(t + r->ln[i].off, r->ln[i].len)) first_page = r->ln[i].page;
    int in_paren = 0;
    for (size_t i = 0; i < r->n; i++) {
        pline *l = &r->ln[i];
        scene[i] = sc;
        if (l->drop) continue;
        const char *p = t + l->off;
        size_t n = l->len;
        if (first_page > 1 && l->page == 1) {
            l->drop = 3;
            continue;
        }
        if (in_paren) {
            l->drop = 3;
            in_paren = memchr(p, ')', n) == NULL && in_paren < 4 ? in_paren + 1 : 0;
            continue;
        }
        if (is_heading(p, n)) {
            scene[i] = ++sc;
            l->drop = 3;
            continue;
        }
        if (p[0] == '(') {
            l->drop = 3;
            in_paren = memchr(p, ')', n) == NULL;
            continue;
        }
        if (is_transition(p, n)) {
            l->drop = 3;
            continue;
        }
        if (n <= 50 && all_caps(p, n) && p[n - 1] != ':') {
            size_t j = i + 1;
            while (j < r->n && r->ln[j].drop) j++;
            /* Dual dialogue: two cues side by side come out one after the other. */
            if (j < r->n && r->ln[j].len <= 50 && all_caps(t + r->ln[j].off, r->ln[j].len) &&
                !is_heading(t + r->ln[j].off, r->ln[j].len))
                for (j++; j < r->n && r->ln[j].drop;) j++;
            if (j < r->n) {
                const char *q = t + r->ln[j].off;
                if (q[0] == '(' || (!all_caps(q, r->ln[j].len) && !is_heading(q, r->ln[j].len))) l->drop = 3;
            }
        }
    }
}

int pk_pdf_render(pk_doc *d, const char *s, size_t n, pk_error *err)
{
    if (n < 5 || memcmp(s, "%PDF-", 5) != 0) return pk_fail(err, PK_EFORMAT, "not a PDF file (no %%PDF- header)");
    size_t tail = n < 1024 ? n : 1024;
    if (!memmem(s + n - tail, tail, "%%EOF", 5))
        return pk_fail(err, PK_EFORMAT, "truncated PDF: no %%%%EOF in its last KiB");
    if (pk_lazy_poppler(err)) return PK_EIO;
    guint h = g_log_set_handler("Poppler", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION, quiet, NULL);
    reader r;
    memset(&r, 0, sizeof r);
    pk_buf_init(&r.text, PK_PDF_MAX_TEXT);
    uint32_t *scene = NULL;
    int rc = 0;
    GError *gerr = NULL;
    GBytes *bytes = g_bytes_new_static(s, n);
    PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &gerr);
    if (!doc) {
        rc = pk_fail(err, PK_EFORMAT, "not a readable PDF: %s", gerr && gerr->message ? gerr->message : "unknown error");
        goto done;
    }
    int np = poppler_document_get_n_pages(doc);
    if (np < 0) np = 0;
    if ((unsigned)np > PK_PDF_MAX_PAGES) {
        rc = pk_fail(err, PK_ETOOBIG, "PDF has %d pages (at most %u)", np, PK_PDF_MAX_PAGES);
        goto done;
    }
    char *meta = poppler_document_get_title(doc);
    if (meta) pk_meta_append(d->title, sizeof d->title, "", meta, strlen(meta));
    g_free(meta);
    meta = poppler_document_get_author(doc);
    if (meta) pk_meta_append(d->author, sizeof d->author, "", meta, strlen(meta));
    g_free(meta);
    for (int i = 0; i < np && !rc; i++) {
        PopplerPage *page = poppler_document_get_page(doc, i);
        if (!page) continue;
        char *txt = poppler_page_get_text(page);
        if (txt) rc = add_page(&r, txt, (uint32_t)i + 1);
        g_free(txt);
        g_object_unref(page);
    }
    if (rc == PK_ETOOBIG) rc = pk_fail(err, rc, "PDF text over %zu MiB", PK_PDF_MAX_TEXT >> 20);
    if (!rc) rc = drop_running(&r, (uint32_t)np);
    if (!rc && r.n && !(scene = calloc(r.n, sizeof *scene))) rc = PK_ENOMEM;
    if (!rc) {
        int headings = 0;
        for (size_t i = 0; i < r.n && headings < 2; i++)
            headings += !r.ln[i].drop && is_heading(r.text.data + r.ln[i].off, r.ln[i].len);
        if (headings >= 2) screenplay(&r, scene);
        for (size_t i = 0; i < r.n && !rc; i++)
            if (!r.ln[i].drop)
                rc = pk_doc_line(d, r.text.data + r.ln[i].off, r.ln[i].len, r.ln[i].no, r.ln[i].page, scene[i]);
    }
    if (rc == PK_ENOMEM) rc = pk_fail(err, rc, "out of memory");
done:
    if (doc) g_object_unref(doc);
    if (gerr) g_error_free(gerr);
    g_bytes_unref(bytes);
    g_log_remove_handler("Poppler", h);
    free(scene);
    free(r.ln);
    free(r.ed);
    pk_buf_free(&r.text);
    return rc;
}
