/* test_docs.c -- works as web pages, Markdown, EPUB and DOCX: what is
 * rendered, from which source line, title and author; that zip bombs,
 * truncated zips and entity bombs are refused quickly.
 *
 * The containers are written here with libarchive's zip writer (a real
 * zip writer: deflated entries, a central directory), from XML written
 * for this test in the shape Word and EPUB tools give. */
#include "fmt/fmt.h"
#include "test.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <time.h>

static pk_doc doc;
static pk_error err;
static char shown[1 << 16];

/* d's rendering as rows "line|text\n". */
static const char *rows(const pk_doc *d)
{
    size_t k = 0;
    shown[0] = 0;
    const char *p = d->text.data;
    for (size_t i = 0; i < d->nlines && k < sizeof shown - 256; i++) {
        const char *nl = strchr(p, '\n');
        int len = (int)(nl - p);
        k += (size_t)snprintf(shown + k, sizeof shown - k, "%u|%.*s\n", d->line[i], len > 200 ? 200 : len, p);
        CHECK_EQ_U(d->page[i], 0);
        CHECK_EQ_U(d->scene[i], 0);
        p = nl + 1;
    }
    return shown;
}

typedef int (*render_fn)(pk_doc *, const char *, size_t, pk_error *);

static const char *show_n(render_fn f, const char *s, size_t n)
{
    pk_doc_free(&doc);
    pk_doc_init(&doc);
    memset(&err, 0, sizeof err);
    int rc = f(&doc, s, n, &err);
    if (rc) {
        snprintf(shown, sizeof shown, "error %d: %s", rc, err.msg);
        return shown;
    }
    return rows(&doc);
}
static const char *show(render_fn f, const char *s) { return show_n(f, s, strlen(s)); }

/* ---- zips ------------------------------------------------------------ */

typedef struct zfile {
    const char *name;
    const char *data; /* NULL: `zeros` bytes of zeros */
    size_t zeros;
    int store;
} zfile;

static char *make_zip(const zfile *f, size_t nf, size_t *outn)
{
    size_t cap = 64u << 20;
    char *buf = malloc(cap);
    struct archive *a = archive_write_new();
    archive_write_set_format_zip(a);
    archive_write_set_bytes_in_last_block(a, 1);
    size_t used = 0;
    if (archive_write_open_memory(a, buf, cap, &used) != ARCHIVE_OK) {
        fprintf(stderr, "zip: %s\n", archive_error_string(a));
        abort();
    }
    static char zero[1 << 20];
    for (size_t i = 0; i < nf; i++) {
        if (f[i].store) archive_write_zip_set_compression_store(a);
        else archive_write_zip_set_compression_deflate(a);
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, f[i].name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        size_t len = f[i].data ? strlen(f[i].data) : f[i].zeros;
        archive_entry_set_size(e, (la_int64_t)len);
        if (archive_write_header(a, e) != ARCHIVE_OK) {
            fprintf(stderr, "zip: %s\n", archive_error_string(a));
            abort();
        }
        if (f[i].data) {
            archive_write_data(a, f[i].data, len);
        } else {
            for (size_t k = 0; k < len; k += sizeof zero)
                archive_write_data(a, zero, len - k < sizeof zero ? len - k : sizeof zero);
        }
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    *outn = used;
    return buf;
}

#define W "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\""
#define DOCXML(body)                                                                          \
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document " W "><w:body>" \
    body "<w:sectPr/></w:body></w:document>"
#define CORE                                                                                          \
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"                                  \
    "<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" " \
    "xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>Salt and Static</dc:title>"              \
    "<dc:creator>A. Writer</dc:creator></cp:coreProperties>"

static const char *docx_of(const char *docxml, const char *core)
{
    zfile f[] = {{"[Content_Types].xml", "<Types/>", 0, 0}, {"word/document.xml", docxml, 0, 0},
                 {"docProps/core.xml", core, 0, 0}};
    size_t n;
    char *z = make_zip(f, core ? 3 : 2, &n);
    const char *r = show_n(pk_docx_render, z, n);
    free(z);
    return r;
}

static void html_work(void)
{
    const char *h = "<!DOCTYPE html>\n<html><head><title>The  Crossing</title>\n"
                    "<style>p{}</style></head>\n<body>\n<h1>Act One</h1>\n"
                    "<p>She walks in,\nlate.</p><script>x()</script>\n<p>He &amp; I <b>wait</b>.</p>\n</body></html>\n";
    /* libxml2 gives a text node that spans lines the line it ends on; the
     * reader counts back to the line of its first word. */
    CHECK_STR(show(pk_html_work_render, h), "5|Act One\n6|She walks in, late.\n8|He & I wait.\n");
    CHECK_STR(doc.title, "The Crossing");
    const char *h2 = "<html>\n<body>\n<p>first\nsecond\nthird</p>\n\n<p>\n\nfourth</p>\n"
                     "<div>a <b>bold\nword</b> after\nmore</div>\n<pre>one\n two\n\nfour</pre>\n"
                     "<p>x &lt; y\nz</p><p>\n  A &eacute;\nB</p>\n</body></html>\n";
    CHECK_STR(show(pk_html_work_render, h2), "3|first second third\n9|fourth\n10|a bold word after more\n"
                                              "13|one\n14| two\n16|four\n17|x < y z\n19|A \xC3\xA9 B\n");
    /* A paragraph longer than the parser's 1000-character chunks, and a
     * page past line 65535 (where xmlGetLineNo stops counting). */
    pk_buf big;
    pk_buf_init(&big, 0);
    pk_buf_printf(&big, "<html><body>\n<p>\nstart");
    for (int i = 0; i < 300; i++) pk_buf_printf(&big, " word%d%s", i, i % 10 == 9 ? "\n" : "");
    pk_buf_printf(&big, "</p>\n");
    for (int i = 0; i < 70000; i++) pk_buf_printf(&big, "\n");
    pk_buf_printf(&big, "<p>far\naway</p></body></html>\n");
    pk_doc_free(&doc);
    pk_doc_init(&doc);
    pk_error e;
    CHECK_EQ_I(pk_html_work_render(&doc, big.data, big.len, &e), 0);
    CHECK_EQ_U(doc.nlines, 2);
    if (doc.nlines == 2) {
        CHECK_EQ_U(doc.line[0], 3);
        CHECK_EQ_U(doc.line[1], 3 + 30 + 70001);
    }
    pk_buf_free(&big);
}

static void markdown(void)
{
    const char *m = "---\ntitle: \"The Writers' Room\"\nauthor: Sam Doe\ndate: 2024\n---\n"
                    "# Notes on *Dialogue* #\n"                               /* 6 */
                    "\n"
                    "Some **bold** and _soft_ words, a snake_case name.\n"    /* 8 */
                    "A [link](http://example.com/x \"t\") and ![pic](a.png) and [ref][1].\n"
                    "> quoted `code` and ~~struck~~ text\n"                   /* 10 */
                    "- item one\n"
                    "12. item twelve\n"
                    "```c\n"                                                   /* 13 */
                    "kept_code(x);\n"
                    "```\n"
                    "[1]: http://example.com/ref\n"
                    "Setext heading\n"                                         /* 17 */
                    "==============\n"
                    "***\n"
                    "a <em>tag</em> <!-- a\ncomment --> and \\*stars\\* &amp; <http://x.org>.\n"; /* 20 */
    CHECK_STR(show(pk_markdown_render, m),
              "6|Notes on Dialogue\n"
              "8|Some bold and soft words, a snake_case name.\n"
              "9|A link and  and ref.\n"
              "10|quoted code and struck text\n"
              "11|item one\n"
              "12|item twelve\n"
              "14|kept_code(x);\n"
              "17|Setext heading\n"
              "20|a tag\n"
              "21|and *stars* & .\n");
    CHECK_STR(doc.title, "The Writers' Room");
    CHECK_STR(doc.author, "Sam Doe");
    /* No front matter: a rule on line 1 is only a rule when not closed... */
    CHECK_STR(show(pk_markdown_render, "Plain line\r\nsecond\n"), "1|Plain line\n2|second\n");
    CHECK_STR(doc.title, "");
}

static void docx(void)
{
    const char *x = DOCXML("<w:p><w:r><w:t>Hello</w:t></w:r>"
                           "<w:r><w:tab/><w:t xml:space=\"preserve\"> there, </w:t></w:r>"
                           "<w:r><w:t>friend.</w:t></w:r></w:p>\n"
                           "<w:p/>"
                           "<w:p><w:r><w:t>Line one</w:t><w:br/><w:t>line two</w:t></w:r>"
                           "<w:del><w:r><w:delText>gone</w:delText></w:r></w:del></w:p>"
                           "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>In a cell</w:t></w:r></w:p></w:tc></w:tr></w:tbl>");
    CHECK_STR(docx_of(x, CORE), "1|Hello  there, friend.\n3|Line one\n3|line two\n4|In a cell\n");
    CHECK_STR(doc.title, "Salt and Static");
    CHECK_STR(doc.author, "A. Writer");
    CHECK_STR(docx_of(x, NULL), "1|Hello  there, friend.\n3|Line one\n3|line two\n4|In a cell\n");
    CHECK_STR(doc.title, "");
    /* An entity bomb in document.xml: refused at its DOCTYPE. */
    const char *bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE w:document [<!ENTITY a \"aaaaaaaaaa\">"
                       "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
                       "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\"><!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
                       "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\"><!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">]>"
                       "<w:document " W "><w:body><w:p><w:r><w:t>&g;&g;&g;&g;</w:t></w:r></w:p></w:body></w:document>";
    CHECK(strncmp(docx_of(bomb, CORE), "error -4: DOCX: word/document.xml has a DOCTYPE", 47) == 0);
    /* Not XML, no document.xml, not a zip. */
    CHECK(strncmp(docx_of("<w:document><w:body>", CORE), "error -4:", 9) == 0);
    zfile f[] = {{"word/other.xml", "<a/>", 0, 0}};
    size_t n;
    char *z = make_zip(f, 1, &n);
    CHECK(strstr(show_n(pk_docx_render, z, n), "no word/document.xml") != NULL);
    free(z);
    CHECK(strncmp(show(pk_docx_render, "just text"), "error -4:", 9) == 0);
}

#define OPF(spine)                                                                                  \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                                   \
    "<package xmlns=\"http://www.idpf.org/2007/opf\" version=\"3.0\" unique-identifier=\"id\">"     \
    "<metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:identifier id=\"id\">x</dc:identifier>" \
    "<dc:title>Night Shift</dc:title><dc:creator>Ann One</dc:creator><dc:creator>Bo Two</dc:creator>"  \
    "<dc:language>en</dc:language></metadata>"                                                     \
    "<manifest><item id=\"c1\" href=\"text/ch%201.xhtml\" media-type=\"application/xhtml+xml\"/>"  \
    "<item id=\"c2\" href=\"text/ch2.xhtml\" media-type=\"application/xhtml+xml\"/>"               \
    "<item id=\"css\" href=\"style.css\" media-type=\"text/css\"/></manifest>"                    \
    "<spine>" spine "</spine></package>"
#define CONTAINER                                                                                     \
    "<?xml version=\"1.0\"?>\n<container version=\"1.0\" xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\">" \
    "<rootfiles><rootfile full-path=\"OEBPS/content.opf\" media-type=\"application/oebps-package+xml\"/>" \
    "</rootfiles></container>"
#define XHTML(t, body)                                                                     \
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!DOCTYPE html>\n"                         \
    "<html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>" t "</title></head>\n<body>\n" body \
    "</body></html>\n"

static char *epub_of(const char *opf, const char *ch2, size_t *n)
{
    zfile f[] = {{"mimetype", "application/epub+zip", 0, 1},
                 {"META-INF/container.xml", CONTAINER, 0, 0},
                 {"OEBPS/content.opf", opf, 0, 0},
                 {"OEBPS/text/ch 1.xhtml", XHTML("One", "<p>First chapter line.</p>\n<p>Second.</p>\n"), 0, 0},
                 {"OEBPS/text/ch2.xhtml", ch2, 0, 0},
                 {"OEBPS/style.css", "p{}", 0, 0}};
    return make_zip(f, 6, n);
}

static void epub(void)
{
    size_t n;
    char *z = epub_of(OPF("<itemref idref=\"c2\"/><itemref idref=\"c1\"/>"),
                      XHTML("Two", "<h2>Chapter two</h2>\n<p>It was late.</p>\n"), &n);
    /* ch2 first (the spine's order): its 7 lines, then ch 1's. */
    CHECK_STR(show_n(pk_epub_render, z, n), "5|Chapter two\n6|It was late.\n12|First chapter line.\n13|Second.\n");
    CHECK_STR(doc.title, "Night Shift");
    CHECK_STR(doc.author, "Ann One; Bo Two");
    CHECK_EQ_I(pk_zip_kind(z, n), PK_WORK_EPUB);
    pk_error e;
    CHECK_EQ_I(pk_doc_read(&doc, "book", z, n, PK_WORK_AUTO, 0, &e), 0);
    CHECK_EQ_I(doc.format, PK_WORK_EPUB);
    free(z);
    /* An item declaring entities is refused. */
    z = epub_of(OPF("<itemref idref=\"c1\"/><itemref idref=\"c2\"/>"),
                "<?xml version=\"1.0\"?>\n<!DOCTYPE html [<!ENTITY a \"b\">]><html><body>&a;</body></html>", &n);
    CHECK(strstr(show_n(pk_epub_render, z, n), "declares entities") != NULL);
    free(z);
    /* A spine item missing from the container. */
    z = epub_of(OPF("<itemref idref=\"c1\"/><itemref idref=\"nope\"/>"), XHTML("", "<p>x</p>"), &n);
    CHECK_STR(show_n(pk_epub_render, z, n), "5|First chapter line.\n6|Second.\n"); /* unknown idref: skipped */
    free(z);
    /* A spine of 10001 items is refused (the manifest is searched per item). */
    pk_buf spine;
    pk_buf_init(&spine, 0);
    for (int i = 0; i < 10001; i++) pk_buf_append(&spine, "<itemref idref=\"c1\"/>", 21);
    pk_buf opf;
    pk_buf_init(&opf, 0);
    const char *tpl = OPF("\x01"), *at = strchr(tpl, 1);
    pk_buf_append(&opf, tpl, (size_t)(at - tpl));
    pk_buf_append(&opf, spine.data, spine.len);
    pk_buf_append(&opf, at + 1, strlen(at + 1));
    z = epub_of(opf.data, XHTML("", "<p>x</p>"), &n);
    const char *r = show_n(pk_epub_render, z, n);
    CHECK(strstr(r, "error -10: EPUB: more than 10000 items") != NULL);
    if (!strstr(r, "more than")) fprintf(stderr, "%.200s\n", r);
    free(z);
    pk_buf_free(&spine);
    pk_buf_free(&opf);
}

static void detection(void)
{
    pk_error e;
    CHECK_EQ_I(pk_doc_read(&doc, "a.HTM", "<p>x</p>", 8, PK_WORK_AUTO, 0, &e), 0);
    CHECK_EQ_I(doc.format, PK_WORK_HTML);
    CHECK_EQ_I(pk_doc_read(&doc, "a.md", "# x", 3, PK_WORK_AUTO, 0, &e), 0);
    CHECK_EQ_I(doc.format, PK_WORK_MARKDOWN);
    CHECK_STR(doc.text.data, "x\n");
    zfile f[] = {{"word/document.xml", DOCXML("<w:p><w:r><w:t>Hi</w:t></w:r></w:p>"), 0, 0}};
    size_t n;
    char *z = make_zip(f, 1, &n);
    CHECK_EQ_I(pk_zip_kind(z, n), PK_WORK_DOCX);
    CHECK_EQ_I(pk_doc_read(&doc, "upload-17", z, n, PK_WORK_AUTO, 0, &e), 0);
    CHECK_EQ_I(doc.format, PK_WORK_DOCX);
    CHECK_STR(doc.text.data, "Hi\n");
    free(z);
    CHECK_EQ_I(pk_work_format_parse("markdown"), PK_WORK_MARKDOWN);
    CHECK_EQ_I(pk_work_format_parse("docx"), PK_WORK_DOCX);
    pk_doc_free(&doc);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void zip_bomb_refused(void)
{
    /* 256 MiB of zeros deflates to about 256 KiB: over 100 times. */
    zfile f[] = {{"[Content_Types].xml", "<Types/>", 0, 0}, {"word/document.xml", NULL, (size_t)256 << 20, 0}};
    size_t n;
    char *z = make_zip(f, 2, &n);
    CHECK(n < (size_t)2 << 20);
    double t0 = now();
    const char *r = show_n(pk_docx_render, z, n);
    double dt = now() - t0;
    CHECK(strstr(r, "error -10: DOCX: zip container inflates past") == r);
    CHECK(dt < 2.0);
    if (t_fail) fprintf(stderr, "bomb: %s in %.3f s\n", r, dt);
    /* Truncated: every cut of a good DOCX is refused (or, if what is left
     * still parses, rendered), never crashes. */
    free(z);
    zfile g[] = {{"word/document.xml", DOCXML("<w:p><w:r><w:t>Hello there.</w:t></w:r></w:p>"), 0, 0},
                 {"docProps/core.xml", CORE, 0, 0}};
    z = make_zip(g, 2, &n);
    CHECK_STR(show_n(pk_docx_render, z, n), "1|Hello there.\n");
    for (size_t cut = 0; cut < n; cut += 7) show_n(pk_docx_render, z, cut);
    CHECK(strncmp(show_n(pk_docx_render, z, n / 2), "error -4: DOCX:", 15) == 0);
    CHECK(strncmp(show_n(pk_docx_render, z, 40), "error -4: DOCX:", 15) == 0);
    free(z);
    /* Too many entries. */
    static zfile many[10001];
    static char names[10001][16];
    for (size_t i = 0; i < 10001; i++) {
        snprintf(names[i], sizeof names[i], "f%zu", i);
        many[i] = (zfile){names[i], "", 0, 1};
    }
    z = make_zip(many, 10001, &n);
    CHECK(strstr(show_n(pk_docx_render, z, n), "more than 10000 entries") != NULL);
    free(z);
    pk_doc_free(&doc);
}

TEST_MAIN(TEST(html_work), TEST(markdown), TEST(docx), TEST(epub), TEST(detection), TEST(zip_bomb_refused))
