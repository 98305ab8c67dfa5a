/* test_warc.c -- the WARC record splitter, HTTP payloads and HTML to text.
 *
 * Splitter edge cases: whole records, LF-only headers, a missing or bad
 * Content-Length, a header over 1 MiB, a record cut short, a missing
 * separator at the end, line breaks between records, an oversized block,
 * and the reader over a file cut into one gzip member per record. */
#include "fmt/fmt.h"
#include "pk.h"
#include "test.h"

#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

static const char REC1[] = "WARC/1.1\r\n"
                           "WARC-Type: conversion\r\n"
                           "WARC-Target-URI: https://example.org/a\r\n"
                           "WARC-Date: 2025-01-02T03:04:05Z\r\n"
                           "WARC-Record-ID: <urn:uuid:11111111-2222-3333-4444-555555555555>\r\n"
                           "Content-Type: text/plain\r\n"
                           "Content-Length: 11\r\n"
                           "\r\n"
                           "hello world"
                           "\r\n\r\n";

static void test_head_whole_record(void)
{
    size_t hl;
    uint64_t bl;
    const char *why;
    size_t n = sizeof REC1 - 1;
    CHECK_EQ_I(pk_warc_head(REC1, n, &hl, &bl, &why), 0);
    CHECK_EQ_U(bl, 11);
    CHECK_EQ_U(hl + bl + 4, n);
    pk_warc_rec r;
    CHECK_EQ_I(pk_warc_parse(REC1, n, &r, &why), 0);
    CHECK_EQ_U(r.total, n);
    CHECK(r.id_len == 45 && memcmp(r.id, "urn:uuid:11111111-2222-3333-4444-555555555555", 45) == 0);
    CHECK(r.uri_len == 21 && memcmp(r.uri, "https://example.org/a", 21) == 0);
    CHECK(r.date_len == 20 && memcmp(r.date, "2025-01-02T03:04:05Z", 20) == 0);
    CHECK(r.type_len == 10 && memcmp(r.type, "conversion", 10) == 0);
    CHECK(r.block_len == 11 && memcmp(r.block, "hello world", 11) == 0);
    /* Every shorter prefix of the header asks for more. */
    for (size_t k = 0; k < hl; k++) CHECK_EQ_I(pk_warc_head(REC1, k, &hl, &bl, &why), PK_WARC_MORE);
}

static void test_head_lf_only_and_case(void)
{
    static const char r[] = "WARC/1.0\nwarc-type: resource\ncontent-length:  3 \n\nabc\n\n";
    size_t hl;
    uint64_t bl;
    const char *why;
    CHECK_EQ_I(pk_warc_head(r, sizeof r - 1, &hl, &bl, &why), 0);
    CHECK_EQ_U(bl, 3);
    pk_warc_rec w;
    CHECK_EQ_I(pk_warc_parse(r, sizeof r - 1, &w, &why), 0);
    CHECK_EQ_U(w.total, sizeof r - 1); /* LF LF taken as the separator */
    CHECK(w.id == NULL && w.uri == NULL);
}

static void test_head_errors(void)
{
    size_t hl;
    uint64_t bl;
    const char *why;
    static const char nolen[] = "WARC/1.1\r\nWARC-Type: resource\r\n\r\nabc";
    CHECK_EQ_I(pk_warc_head(nolen, sizeof nolen - 1, &hl, &bl, &why), PK_EFORMAT);
    CHECK_STR(why, "no Content-Length");
    static const char badlen[] = "WARC/1.1\r\nContent-Length: 12x\r\n\r\n";
    CHECK_EQ_I(pk_warc_head(badlen, sizeof badlen - 1, &hl, &bl, &why), PK_EFORMAT);
    static const char huge[] = "WARC/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n";
    CHECK_EQ_I(pk_warc_head(huge, sizeof huge - 1, &hl, &bl, &why), PK_EFORMAT);
    CHECK_EQ_I(pk_warc_head("HTTP/1.1 200", 12, &hl, &bl, &why), PK_EFORMAT);
    CHECK_EQ_I(pk_warc_head("WARX", 4, &hl, &bl, &why), PK_EFORMAT);
    /* A header that never ends: more, until it is over 1 MiB. */
    size_t big = PK_WARC_MAX_HEADER + 100;
    char *h = malloc(big);
    memcpy(h, "WARC/1.1\r\n", 10);
    for (size_t i = 10; i < big; i += 10) memcpy(h + i, "X-Pad: 1\r\n", PK_MIN((size_t)10, big - i));
    CHECK_EQ_I(pk_warc_head(h, 4096, &hl, &bl, &why), PK_WARC_MORE);
    CHECK_EQ_I(pk_warc_head(h, big, &hl, &bl, &why), PK_ETOOBIG);
    free(h);
    /* Content-Length past the end: parse keeps the fields, says so. */
    pk_warc_rec w;
    CHECK_EQ_I(pk_warc_parse(REC1, sizeof REC1 - 10, &w, &why), PK_EFORMAT);
    CHECK(w.uri != NULL && w.block_len < 11);
}

static void test_http(void)
{
    static const char r[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n";
    pk_http_msg m;
    const char *why;
    CHECK_EQ_I(pk_http_parse(r, sizeof r - 1, &m, &why), 0);
    CHECK_EQ_I(m.status, 200);
    CHECK(m.ctype_len == 24 && memcmp(m.ctype, "text/html; charset=utf-8", 24) == 0);
    CHECK(m.tenc_len == 7);
    pk_buf b;
    pk_buf_init(&b, 0);
    CHECK_EQ_I(pk_http_dechunk(m.body, m.body_len, &b, &why), 0);
    CHECK(b.len == 11 && memcmp(b.data, "hello world", 11) == 0);
    /* gzip and zlib content coding */
    const char *txt = "some text that was compressed by the server";
    unsigned char z[256];
    uLongf zn = sizeof z;
    CHECK_EQ_I(compress(z, &zn, (const Bytef *)txt, strlen(txt)), Z_OK);
    CHECK_EQ_I(pk_http_inflate((const char *)z, zn, &b, &why), 0);
    CHECK(b.len == strlen(txt) && memcmp(b.data, txt, b.len) == 0);
    CHECK_EQ_I(pk_http_inflate("not compressed at all", 21, &b, &why), PK_EFORMAT);
    pk_buf_free(&b);
    CHECK_EQ_I(pk_http_parse("GET / HTTP/1.1\r\n\r\n", 18, &m, &why), PK_EFORMAT);
}

/* Write s to a scratch file, one gzip member per record when gz. */
static void write_file(const char *path, const char *const *recs, size_t n, int gz)
{
    FILE *f = fopen(path, "wb");
    for (size_t i = 0; i < n; i++) {
        if (!gz) {
            fwrite(recs[i], 1, strlen(recs[i]), f);
            continue;
        }
        unsigned char out[4096];
        z_stream z;
        memset(&z, 0, sizeof z);
        deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
        z.next_in = (Bytef *)(uintptr_t)recs[i];
        z.avail_in = (uInt)strlen(recs[i]);
        z.next_out = out;
        z.avail_out = sizeof out;
        deflate(&z, Z_FINISH);
        fwrite(out, 1, sizeof out - z.avail_out, f);
        deflateEnd(&z);
    }
    fclose(f);
}

/* Read a file through pk_warc_reader; count records and chunks. */
static int read_all(const char *path, size_t max_record, size_t *nrec, size_t *noversize, pk_buf *all, pk_error *e)
{
    pk_source *src = NULL;
    pk_warc_reader *r = NULL;
    int rc = pk_source_open(&src, path, e);
    if (!rc) rc = pk_warc_reader_open(&r, src, path, max_record, e);
    pk_buf chunk;
    pk_buf_init(&chunk, 0);
    *nrec = *noversize = 0;
    pk_buf_reset(all);
    while (!rc) {
        uint64_t first;
        bool over;
        rc = pk_warc_chunk(r, &chunk, 64, &first, &over, e);
        if (rc || chunk.len == 0) break;
        if (over) (*noversize)++;
        pk_buf_append(all, chunk.data, chunk.len);
        for (size_t off = 0; off < chunk.len;) {
            pk_warc_rec w;
            const char *why;
            int x = pk_warc_parse(chunk.data + off, chunk.len - off, &w, &why);
            if (x && !over) { rc = PK_EINTERNAL; break; }
            (*nrec)++;
            off += over ? chunk.len : w.total;
        }
    }
    pk_buf_free(&chunk);
    pk_warc_reader_close(r);
    pk_source_close(src);
    return rc;
}

static void test_reader(void)
{
    char path[] = "/tmp/pk_test_warc.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    static const char big[] = "WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:x:big>\r\n"
                              "Content-Type: text/plain\r\nContent-Length: 200\r\n\r\n"
                              "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
                              "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
                              "\r\n\r\n";
    const char *recs[] = {REC1, "\r\n", REC1, big, REC1};
    pk_buf all;
    pk_buf_init(&all, 0);
    pk_error e;
    size_t nrec, nover;
    for (int gz = 0; gz < 2; gz++) {
        write_file(path, recs, 5, gz);
        CHECK_EQ_I(read_all(path, 1000, &nrec, &nover, &all, &e), 0);
        CHECK_EQ_U(nrec, 4);
        CHECK_EQ_U(nover, 0);
        /* the stray CRLF between records is dropped, nothing else */
        CHECK_EQ_U(all.len, 3 * (sizeof REC1 - 1) + sizeof big - 1);
        /* the big record's block over max_record: its header alone */
        CHECK_EQ_I(read_all(path, 100, &nrec, &nover, &all, &e), 0);
        CHECK_EQ_U(nrec, 4);
        CHECK_EQ_U(nover, 1);
    }
    /* cut inside the last block: the good records first, then the error */
    const char *cut[] = {REC1, REC1};
    write_file(path, cut, 2, 0);
    FILE *f = fopen(path, "r+b");
    CHECK(ftruncate(fileno(f), (off_t)(2 * (sizeof REC1 - 1) - 8)) == 0);
    fclose(f);
    CHECK_EQ_I(read_all(path, 1000, &nrec, &nover, &all, &e), PK_EFORMAT);
    CHECK_EQ_U(nrec, 1);
    char want[64];
    snprintf(want, sizeof want, "record 2 at byte %zu is cut short", sizeof REC1 - 1);
    CHECK(strstr(e.msg, want) != NULL && strstr(e.msg, path) == e.msg);
    /* no separator after the last block: accepted */
    static const char nosep[] = "WARC/1.0\r\nContent-Length: 2\r\n\r\nab";
    const char *ns[] = {REC1, nosep};
    write_file(path, ns, 2, 0);
    CHECK_EQ_I(read_all(path, 1000, &nrec, &nover, &all, &e), 0);
    CHECK_EQ_U(nrec, 2);
    /* garbage where a record should start */
    const char *bad[] = {REC1, "GARBAGE\r\n"};
    write_file(path, bad, 2, 0);
    CHECK_EQ_I(read_all(path, 1000, &nrec, &nover, &all, &e), PK_EFORMAT);
    CHECK_EQ_U(nrec, 1);
    CHECK(strstr(e.msg, "not a WARC record") != NULL);
    pk_buf_free(&all);
    unlink(path);
}

/* ---- HTML ------------------------------------------------------------------- */

static const char *render(pk_doc *d, const char *html, const char *enc)
{
    pk_doc_free(d);
    pk_doc_init(d);
    pk_error e;
    int rc = pk_html_render_enc(d, html, strlen(html), enc, &e);
    CHECK_EQ_I(rc, 0);
    return d->text.data ? d->text.data : "";
}

static void test_html(void)
{
    pk_doc d;
    pk_doc_init(&d);
    CHECK_STR(render(&d,
                     "<html><head><title> The  Title </title><style>p{x:y}</style>"
                     "<script>var no = 'script words';</script></head>"
                     "<body><h1>Head&amp;line</h1><p>It&rsquo;s <em>very</em>\n   spaced,"
                     "&nbsp;and&#x21;</p><noscript>no</noscript><!-- comment -->"
                     "<ul><li>one<li>two</ul>a<br>b<template>t</template></body></html>",
                     NULL),
              "Head&line\nIt\xE2\x80\x99s very spaced,\xC2\xA0" "and!\none\ntwo\na\nb\n");
    CHECK_STR(d.title, "The Title");
    CHECK_EQ_U(d.nlines, 6);
    /* source lines of rendered lines */
    render(&d, "<p>one</p>\n\n<p>three</p>", NULL);
    CHECK_EQ_U(d.nlines, 2);
    CHECK_EQ_U(d.line[0], 1);
    CHECK_EQ_U(d.line[1], 3);
    /* pre keeps its line breaks */
    CHECK_STR(render(&d, "<pre>a  b\nc</pre>d", NULL), "a  b\nc\nd\n");
    /* malformed: unclosed, stray end tags, a lone '<' */
    CHECK_STR(render(&d, "<div><p>open <b>bold</i> text</div> < 3 </span>tail", NULL), "open bold text\n< 3 tail\n");
    /* a charset from the transport, and one from a meta */
    CHECK_STR(render(&d, "<p>caf\xE9</p>", "iso-8859-1"), "caf\xC3\xA9\n");
    CHECK_STR(render(&d, "<meta charset=\"windows-1252\"><p>\x93q\x94</p>", NULL), "\xE2\x80\x9Cq\xE2\x80\x9D\n");
    CHECK_STR(render(&d, "<p>caf\xC3\xA9</p>", "no-such-charset"), "caf\xC3\xA9\n");
    /* the transport's charset wins over the page's */
    CHECK_STR(render(&d, "<meta charset=\"utf-8\"><p>caf\xE9</p>", "iso-8859-1"), "caf\xC3\xA9\n");
    /* deep nesting does not recurse */
    size_t depth = 100000;
    char *deep = malloc(depth * 5 + 10);
    for (size_t i = 0; i < depth; i++) memcpy(deep + 5 * i, "<div>", 5);
    strcpy(deep + depth * 5, "x");
    render(&d, deep, NULL);
    free(deep);
    CHECK_STR(render(&d, "", NULL), "");
    pk_doc_free(&d);
}

/* The tokenizer's rules (html.c), each against what a browser shows. */
static void test_html_tokenizer(void)
{
    pk_doc d;
    pk_doc_init(&d);
    /* comments, their short forms, bogus comments, a '<' opening nothing */
    CHECK_STR(render(&d, "a<!-- x -- y --!> b<!--> c <!---> d <![CDATA[ e ]]> f <?pi > g </ h> i </> j < k", NULL),
              "a b c d f g i j < k\n");
    /* references: legacy names without ';', longest first; numeric fix-ups */
    CHECK_STR(render(&d, "&copy 2020 &notit; &amp;&#X41;&#0;&#x110000;&#150;&#xD800;&foo; &apos;&", NULL),
              "\xC2\xA9 2020 \xC2\xACit; &A\xEF\xBF\xBD\xEF\xBF\xBD\xE2\x80\x93\xEF\xBF\xBD&foo; '&\n");
    /* inline elements join words; blocks end lines */
    CHECK_STR(render(&d, "<b>a</b><i>b</i> <span>c</span><div>d</div>e", NULL), "ab c\nd\ne\n");
    /* raw text: a '>' in a quoted attribute, an end tag spelled in a string */
    CHECK_STR(render(&d, "x<SCRIPT type=\"a>b\">s = \"</scr\" + \"ipt>\";</SCRIPT >y<style>p{}</style >z", NULL),
              "xyz\n");
    /* a script's escaped states: "</script>" inside "<!--<script>" is text */
    CHECK_STR(render(&d, "a<script><!--<script>x</script>y--></script>b<script><!-->c</script>d", NULL), "abd\n");
    /* xmp is shown as written, textarea with references decoded and its
     * first line break dropped, template and select dropped to their own
     * end tag (nested templates counted) */
    CHECK_STR(render(&d,
                     "<xmp><b>kept</b></xmp><textarea>\n&lt;t&gt;</textarea><template><p>no<template>no"
                     "</template>no</template><select><option>no</select>yes",
                     NULL),
              "<b>kept</b>\n<t>\nyes\n");
    CHECK_EQ_U(d.line[1], 2);
    /* title in RCDATA; a later one does not replace it */
    render(&d, "<title>T &amp; <b>U</b></title><title>V</title>w", NULL);
    CHECK_STR(d.title, "T & <b>U</b>");
    /* <titl> is not a title */
    CHECK_STR(render(&d, "<titl e>ma t</titl>", NULL), "ma t\n");
    CHECK_STR(d.title, "");
    /* plaintext: the rest of the page as it is */
    CHECK_STR(render(&d, "a<plaintext><p>all &amp;\ntext", NULL), "a\n<p>all &amp;\ntext\n");
    /* a tag cut off by the end of the page is dropped; NUL bytes too */
    static const char nul[] = "a<p>b\0c<a href=\"x>";
    pk_error e;
    pk_doc_free(&d);
    pk_doc_init(&d);
    CHECK_EQ_I(pk_html_render_enc(&d, nul, sizeof nul - 1, NULL, &e), 0);
    CHECK_STR(d.text.data, "a\nbc\n");
    CHECK_STR(render(&d, "a<script>never closed", NULL), "a\n");
    /* self-closed script (XHTML) opens nothing */
    CHECK_STR(render(&d, "<script src=\"x.js\"/>shown", NULL), "shown\n");
    /* CR LF: lines counted by line feeds */
    render(&d, "<p>one</p>\r\n\r\n<p>three\r\nfour</p>", NULL);
    CHECK_STR(d.text.data, "one\nthree four\n");
    CHECK_EQ_U(d.line[1], 3);
    /* encodings: undeclared and not UTF-8 is windows-1252; UTF-8 with a
     * stray byte stays UTF-8; a meta in http-equiv form; UTF-16 by BOM */
    CHECK_STR(render(&d, "<p>caf\xE9 \x93q\x94</p>", NULL), "caf\xC3\xA9 \xE2\x80\x9Cq\xE2\x80\x9D\n");
    CHECK_STR(render(&d, "<p>caf\xC3\xA9 \xE9t\xC3\xA9</p>", NULL), "caf\xC3\xA9 \xEF\xBF\xBDt\xC3\xA9\n");
    CHECK_STR(render(&d,
                     "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\"><p>\xf0\xd2\xc9\xd7"
                     "\xc5\xd4</p>",
                     NULL),
              "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82\n");
    CHECK_STR(render(&d, "<!-- <meta charset=koi8-r> --><meta charset=latin1><p>\xE9</p>", NULL), "\xC3\xA9\n");
    pk_doc_free(&d);
    pk_doc_init(&d);
    static const char u16[] = "\xFF\xFE<\0p\0>\0\xE9\0";
    CHECK_EQ_I(pk_html_render_enc(&d, u16, sizeof u16 - 1, NULL, &e), 0);
    CHECK_STR(d.text.data ? d.text.data : "", "\xC3\xA9\n");
    pk_doc_free(&d);
}

/* Text without markup renders as its words, white space collapsed to
 * single spaces and NUL dropped: random runs of letters, spaces (single
 * and repeated), other white space, NUL, control bytes and UTF-8, so that
 * html.c's 16-byte blocks meet every case at every offset. */
static void test_html_collapse_random(void)
{
    static const char *const piece[] = {"a", "bc", "def", " ", "  ", "\t", "\n", "\r\n", "\f", "\x01", "\xC3\xA9",
                                        "\xE2\x80\x99", "x y z", "0123456789abcdef"};
    uint64_t seed = 7;
    pk_buf in, want;
    pk_buf_init(&in, 0);
    pk_buf_init(&want, 0);
    pk_doc d;
    pk_doc_init(&d);
    int bad = 0;
    for (int trial = 0; trial < 3000 && !bad; trial++) {
        pk_buf_reset(&in);
        size_t np = t_rand(&seed) % 60;
        for (size_t k = 0; k < np; k++) {
            size_t w = t_rand(&seed) % (sizeof piece / sizeof piece[0]);
            pk_buf_append(&in, piece[w], strlen(piece[w]));
            if (t_rand(&seed) % 16 == 0) pk_buf_putc(&in, 0);
        }
        /* the reference: words joined by one space, one line */
        pk_buf_reset(&want);
        bool sp = false;
        for (size_t i = 0; i < in.len; i++) {
            char c = in.data[i];
            if (c == 0) continue;
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') { sp = want.len > 0; continue; }
            if (sp) pk_buf_putc(&want, ' ');
            sp = false;
            pk_buf_putc(&want, c);
        }
        if (want.len) pk_buf_putc(&want, '\n');
        pk_doc_free(&d);
        pk_doc_init(&d);
        pk_error e;
        int rc = pk_html_render_enc(&d, in.data ? in.data : "", in.len, "utf-8", &e);
        bad = rc != 0 || d.text.len != want.len || (want.len && memcmp(d.text.data, want.data, want.len) != 0);
        if (bad) fprintf(stderr, "  trial %d: %zu bytes in, %zu out, %zu wanted\n", trial, in.len, d.text.len, want.len);
    }
    CHECK(!bad);
    pk_doc_free(&d);
    pk_buf_free(&in);
    pk_buf_free(&want);
}

TEST_MAIN(TEST(test_head_whole_record), TEST(test_head_lf_only_and_case), TEST(test_head_errors), TEST(test_http),
          TEST(test_reader), TEST(test_html), TEST(test_html_tokenizer),
          TEST(test_html_collapse_random))
