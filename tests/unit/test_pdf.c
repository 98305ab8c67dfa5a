/* test_pdf.c -- the PDF reader's page rules on PDFs written by cairo.
 *
 * cairo's PDF surface is what GTK applications print with; the tests draw
 * pages the way a book or a manuscript prints them (a running header, body
 * lines, a page number or a running footer) and check what pk_pdf_render
 * keeps: running heads and page numbers dropped, the body kept with its
 * PDF page, a header that does not recur kept, a hyphenated word joined by
 * the tokenizer.  Screenplay PDFs made by afterwriting are tested in
 * tests/cli/t11-pdf.sh. */
#include <stdlib.h>
#include <unistd.h>

#include "fmt/fmt.h"
#include "gen.h"
#include "test.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>

typedef struct page_spec {
    const char *header;  /* '#' stands for the page number; NULL: none */
    const char *footer;  /* likewise */
    const char **body;   /* lines, NULL-terminated */
} page_spec;

static cairo_status_t collect(void *ud, const unsigned char *data, unsigned int len)
{
    return pk_buf_append(ud, data, len) ? CAIRO_STATUS_NO_MEMORY : CAIRO_STATUS_SUCCESS;
}

static void text_at(cairo_t *cr, double x, double y, const char *s)
{
    cairo_move_to(cr, x, y);
    cairo_show_text(cr, s);
}

/* fmt with '#' replaced by the page number p. */
static void with_page(char *out, size_t cap, const char *fmt, int p)
{
    size_t o = 0;
    for (; *fmt && o + 12 < cap; fmt++) {
        if (*fmt == '#') o += (size_t)snprintf(out + o, cap - o, "%d", p);
        else out[o++] = *fmt;
    }
    out[o] = 0;
}

/* cairo's toy font API leaves fontconfig's caches behind; free them at
 * exit so LeakSanitizer sees only picket's memory. */
static void release_fonts(void)
{
    cairo_debug_reset_static_data();
    FcFini();
}

/* A US Letter PDF of npages pages in pdf. */
static void make_pdf(pk_buf *pdf, const page_spec *pages, int npages)
{
    static int once;
    if (!once++) atexit(release_fonts);
    pk_buf_reset(pdf);
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(collect, pdf, 612, 792);
    cairo_t *cr = cairo_create(s);
    cairo_select_font_face(cr, "DejaVu Serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    for (int p = 0; p < npages; p++) {
        char line[256];
        cairo_set_font_size(cr, 9);
        if (pages[p].header) {
            with_page(line, sizeof line, pages[p].header, p + 1);
            text_at(cr, 72, 48, line);
        }
        cairo_set_font_size(cr, 11);
        double y = 96;
        for (const char **b = pages[p].body; *b; b++, y += 15) text_at(cr, 72, y, *b);
        cairo_set_font_size(cr, 9);
        if (pages[p].footer) {
            with_page(line, sizeof line, pages[p].footer, p + 1);
            text_at(cr, 290, 750, line);
        }
        cairo_show_page(cr);
    }
    cairo_destroy(cr);
    cairo_surface_finish(s);
    CHECK_EQ_I(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(s);
}

/* Body lines of made-up prose, a different set on every page: page p's
 * line i is "p<p>l<i> ..." so where each line landed can be checked. */
enum { NPAGES = 6, NLINES = 8 };
static char body_text[NPAGES][NLINES][96];
static const char *body_ptr[NPAGES][NLINES + 1];

static void make_body(void)
{
    uint64_t seed = 42;
    for (int p = 0; p < NPAGES; p++) {
        for (int i = 0; i < NLINES; i++) {
            pk_buf b;
            pk_buf_init(&b, 0);
            pk_buf_printf(&b, "pg%dln%d ", p + 1, i);
            gen_words(&b, &seed, 9);
            for (size_t k = 0; k < b.len; k++)
                if (b.data[k] == '\n') b.data[k] = ' ';
            snprintf(body_text[p][i], sizeof body_text[p][i], "%s", b.data);
            body_ptr[p][i] = body_text[p][i];
            pk_buf_free(&b);
        }
        body_ptr[p][NLINES] = NULL;
    }
}

/* The rendered line holding needle, or -1. */
static long find_line(const pk_doc *d, const char *needle)
{
    const char *t = d->text.data ? d->text.data : "";
    const char *hit = strstr(t, needle);
    if (!hit) return -1;
    long line = 0;
    for (const char *q = t; q < hit; q++) line += *q == '\n';
    return line;
}

static int render(pk_doc *d, const pk_buf *pdf)
{
    pk_error e;
    pk_doc_free(d);
    pk_doc_init(d);
    /* No name: the reader is picked by content ("%PDF-"). */
    int rc = pk_doc_read(d, NULL, pdf->data, pdf->len, PK_WORK_AUTO, 0, &e);
    if (rc) fprintf(stderr, "pk_doc_read: %s\n", e.msg);
    return rc;
}

static void book_heads_and_page_numbers_dropped(void)
{
    make_body();
    page_spec pages[NPAGES];
    for (int p = 0; p < NPAGES; p++)
        pages[p] = (page_spec){p % 2 ? "THE SALT ROAD" : "Chapter Two  #", "Page # of 6", body_ptr[p]};
    pk_buf pdf;
    pk_buf_init(&pdf, 0);
    make_pdf(&pdf, pages, NPAGES);
    pk_doc d;
    pk_doc_init(&d);
    CHECK_EQ_I(render(&d, &pdf), 0);
    CHECK_EQ_I(d.format, PK_WORK_PDF);
    /* Headers on alternate pages recur on half of them: dropped, digits
     * masked ("Chapter Two 1", "Chapter Two 3" ...).  Footers too. */
    CHECK(find_line(&d, "SALT ROAD") < 0);
    CHECK(find_line(&d, "Chapter Two") < 0);
    CHECK(find_line(&d, "of 6") < 0);
    /* Every body line kept, on its own page, in order. */
    long last = -1;
    for (int p = 0; p < NPAGES; p++)
        for (int i = 0; i < NLINES; i++) {
            char tag[32];
            snprintf(tag, sizeof tag, "pg%dln%d ", p + 1, i);
            long l = find_line(&d, tag);
            CHECK(l > last);
            if (l < 0 || (size_t)l >= d.nlines) continue;
            last = l;
            CHECK_EQ_U(d.page[l], p + 1);
            CHECK_EQ_U(d.scene[l], 0);
        }
    pk_doc_free(&d);
    pk_buf_free(&pdf);
}

static void bare_page_numbers_dropped_on_few_pages(void)
{
    make_body();
    /* Two pages: too few to call anything a running head, but "- 1 -" is a
     * page number by its shape; the header stays. */
    page_spec pages[2] = {{"A Note on Sources", "- # -", body_ptr[0]}, {NULL, "#.", body_ptr[1]}};
    pk_buf pdf;
    pk_buf_init(&pdf, 0);
    make_pdf(&pdf, pages, 2);
    pk_doc d;
    pk_doc_init(&d);
    CHECK_EQ_I(render(&d, &pdf), 0);
    CHECK(find_line(&d, "A Note on Sources") >= 0);
    CHECK(find_line(&d, "- 1 -") < 0);
    CHECK(find_line(&d, "2.") < 0);
    CHECK(find_line(&d, "pg2ln7 ") >= 0);
    pk_doc_free(&d);
    pk_buf_free(&pdf);
}

static void rare_header_kept(void)
{
    make_body();
    /* A line at the top of two pages out of six is text, not a running
     * head (it must recur on half the pages). */
    page_spec pages[NPAGES];
    for (int p = 0; p < NPAGES; p++) pages[p] = (page_spec){p < 2 ? "Interlude" : NULL, NULL, body_ptr[p]};
    pk_buf pdf;
    pk_buf_init(&pdf, 0);
    make_pdf(&pdf, pages, NPAGES);
    pk_doc d;
    pk_doc_init(&d);
    CHECK_EQ_I(render(&d, &pdf), 0);
    long l = find_line(&d, "Interlude");
    CHECK(l >= 0);
    if (l >= 0) CHECK_EQ_U(d.page[l], 1);
    pk_doc_free(&d);
    pk_buf_free(&pdf);
}

static void hyphenated_word_joined(void)
{
    const char *body[] = {"the lantern swung over the dark water of the har-", "bour while the ferry waited", NULL};
    page_spec pages[1] = {{NULL, NULL, body}};
    pk_buf pdf;
    pk_buf_init(&pdf, 0);
    make_pdf(&pdf, pages, 1);
    pk_doc d;
    pk_doc_init(&d);
    CHECK_EQ_I(render(&d, &pdf), 0);
    /* The tokenizer sees "harbour", one word, across the line break: 14
     * words, one of them with the hash of "harbour" alone. */
    pk_tokenizer t;
    pk_tok tok;
    size_t got, words = 0, found = 0;
    pk_tokenizer_init(&t, "harbour", 7, 0);
    CHECK_EQ_I(pk_tokenize(&t, &tok, 1, &got, NULL), 0);
    const uint64_t want = tok.h;
    pk_tokenizer_init(&t, d.text.data, d.text.len, 0);
    while (pk_tokenize(&t, &tok, 1, &got, NULL) == 0 && got) {
        words++;
        found += tok.h == want;
    }
    CHECK_EQ_U(words, 14);
    CHECK_EQ_U(found, 1);
    pk_doc_free(&d);
    pk_buf_free(&pdf);
}

static void truncated_pdf_refused(void)
{
    make_body();
    page_spec pages[1] = {{NULL, NULL, body_ptr[0]}};
    pk_buf pdf;
    pk_buf_init(&pdf, 0);
    make_pdf(&pdf, pages, 1);
    pk_doc d;
    pk_doc_init(&d);
    pk_error e;
    CHECK_EQ_I(pk_pdf_render(&d, pdf.data, pdf.len / 2, &e), PK_EFORMAT);
    CHECK(strstr(e.msg, "PDF") != NULL);
    pk_doc_free(&d);
    pk_buf_free(&pdf);
}

TEST_MAIN(TEST(book_heads_and_page_numbers_dropped), TEST(bare_page_numbers_dropped_on_few_pages),
          TEST(rare_header_kept), TEST(hyphenated_word_joined), TEST(truncated_pdf_refused))
