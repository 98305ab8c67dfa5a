/* html.c -- HTML to text, as a reader sees the page.
 *
 * libxml2's HTML parser (recovering from anything, never touching the
 * network) builds the tree; a walk over it writes the text a browser would
 * show, one rendered line per block:
 *   - script, style, noscript, template, head (title included), iframe,
 *     object and comments are dropped;
 *   - block elements (p, div, br, li, h1-h6, tr, td, blockquote, ...) end
 *     the current line; everything else flows into it;
 *   - runs of white space collapse to one space, except inside pre (and
 *     textarea), where line breaks stay line breaks;
 *   - character references are decoded by the parser, so "&rsquo;" is
 *     U+2019 in the output, which is always UTF-8.
 * Each rendered line carries the source line of its first text (libxml2
 * counts lines, and gives a text node the line where it ends; past 65535
 * it says 65535: libxml2 2.9's HTML parser has no big-lines option).
 *
 * Encoding: the caller's (an HTTP charset) when libxml2 knows it, over
 * any the page declares, as browsers do; else
 * what the page declares (<meta charset>, http-equiv, a byte-order mark);
 * else UTF-8, where libxml2 falls back to ISO-8859-1 from the first byte
 * that is not valid UTF-8.
 *
 * The walk is iterative (parent pointers), so a deeply nested page cannot
 * exhaust the stack. */
#include "fmt/fmt.h"

#include <libxml/HTMLparser.h>
#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#define PK_LAZY_XML /* libxml2 opened on first use: lazy.c */
#include "lazy.h"
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init_kinds(void);
static void init_parser(void)
{
    xmlInitParser();
    init_kinds();
}

/* libxml2 reports some problems (encoder errors) on its generic error
 * channel whatever the parser options say; the library never prints. */
static void quiet(void *ctx, const char *msg, ...) { PK_UNUSED(ctx); PK_UNUSED(msg); }

enum { E_FLOW, E_BLOCK, E_SKIP, E_PRE };

/* Element names by kind, looked up in a small hash table made once
 * (pthread_once with the parser): a linear strcasecmp over these lists,
 * per element, was a tenth of a WARC scan. */
static const char *const skip_names[] = {"script", "style", "noscript", "template", "head", "title",
                                         "iframe", "object", "embed", "select"};
static const char *const pre_names[] = {"pre", "textarea", "listing", "plaintext", "xmp"};
static const char *const block_names[] = {
    "address", "article", "aside", "blockquote", "body", "br", "caption", "center", "dd", "details",
    "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li",
    "main", "menu", "nav", "ol", "option", "p", "section", "summary", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "ul"};
#define KIND_SLOTS 256 /* a power of two, over 4 times the names */
#define KIND_MAXLEN 16 /* longer than any name above */
static struct { const char *name; int kind; } kind_tab[KIND_SLOTS];

static uint32_t name_hash(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

static void kind_add(const char *const *names, size_t n, int kind)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t h = name_hash(names[i], strlen(names[i])) & (KIND_SLOTS - 1);
        while (kind_tab[h].name) h = (h + 1) & (KIND_SLOTS - 1);
        kind_tab[h].name = names[i];
        kind_tab[h].kind = kind;
    }
}

static void init_kinds(void)
{
    kind_add(skip_names, sizeof skip_names / sizeof skip_names[0], E_SKIP);
    kind_add(pre_names, sizeof pre_names / sizeof pre_names[0], E_PRE);
    kind_add(block_names, sizeof block_names / sizeof block_names[0], E_BLOCK);
}

static int element_kind(const char *name)
{
    /* The HTML parser lower-cases names already; other callers may not. */
    char low[KIND_MAXLEN];
    size_t n = 0;
    for (; name[n]; n++) {
        if (n == KIND_MAXLEN) return E_FLOW;
        char c = name[n];
        low[n] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
    }
    for (uint32_t h = name_hash(low, n) & (KIND_SLOTS - 1); kind_tab[h].name; h = (h + 1) & (KIND_SLOTS - 1))
        if (strncmp(kind_tab[h].name, low, n) == 0 && kind_tab[h].name[n] == 0) return kind_tab[h].kind;
    return E_FLOW;
}

typedef struct render {
    pk_doc *d;
    pk_buf cur;     /* the line being built */
    uint32_t line;  /* source line of its first text */
    bool space;     /* a space is owed before the next word */
    int pre;        /* depth of pre-like elements */
} render;

static int flush(render *r)
{
    r->space = false;
    if (r->cur.len == 0) return 0;
    int rc = pk_doc_line(r->d, r->cur.data, r->cur.len, r->line, 0, 0);
    pk_buf_reset(&r->cur);
    return rc;
}

static uint32_t line_of(xmlNode *n)
{
    long l = xmlGetLineNo(n);
    return l > 0 && l < (long)UINT32_MAX ? (uint32_t)l : 0;
}

static bool is_space(xmlChar c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

/* SAX characters: libxml2 gives a text node the line where its first
 * chunk of characters ended (a chunk ends at a character reference or
 * after 1000 characters), which is neither its first line nor its last.
 * So, as the chunk arrives, the line of the text node's first non-space
 * character is noted in the node's psvi (unused by the HTML parser):
 * the parser's line less the line breaks after that character.  The
 * parser's line counter is an int, so this also holds past line 65535,
 * where xmlGetLineNo stops. */
static void on_chars(void *ctx, const xmlChar *ch, int len)
{
    xmlParserCtxtPtr c = ctx;
    xmlSAX2Characters(ctx, ch, len);
    xmlNodePtr t = c->node ? c->node->last : NULL;
    if (!t || t->type != XML_TEXT_NODE || t->psvi || !c->input) return;
    int i = 0;
    while (i < len && is_space(ch[i])) i++;
    if (i == len) return;
    long line = c->input->line;
    for (int j = i; j < len; j++) line -= ch[j] == '\n';
    if (line > 0 && line < (long)UINT32_MAX) t->psvi = (void *)(uintptr_t)line;
}

/* Append text, white space collapsed (outside pre).  libxml2 can let an
 * invalid UTF-8 byte through (after a broken character reference), so
 * every sequence is checked and a bad one becomes U+FFFD. */
static int text(render *r, xmlNode *n, const char *s)
{
    int rc = 0;
    size_t len = strlen(s);
    /* The line of s[i] is base + the line breaks before it.  base: from
     * the line on_chars noted for the first non-space character; else
     * (never seen: a node made another way) from libxml2's, taken for the
     * line where the text ends. */
    int64_t base;
    if (n->psvi) {
        size_t f = 0;
        int64_t before = 0;
        for (; f < len && is_space((xmlChar)s[f]); f++) before += s[f] == '\n';
        base = (int64_t)(uintptr_t)n->psvi - before;
    } else {
        base = line_of(n);
        for (size_t f = 0; f < len; f++) base -= s[f] == '\n';
    }
    for (size_t i = 0; i < len && !rc;) {
        char c = s[i];
        bool ws = is_space((xmlChar)c);
        if (c == '\n') base++;
        if (r->pre) {
            if (c == '\n') { rc = flush(r); i++; continue; }
            if (c == '\r') { i++; continue; }
        } else if (ws) {
            if (r->cur.len) r->space = true;
            i++;
            continue;
        }
        if (r->cur.len == 0) r->line = base < 1 ? 1 : base > UINT32_MAX ? UINT32_MAX : (uint32_t)base;
        if (r->space) { rc = pk_buf_putc(&r->cur, ' '); r->space = false; }
        if (rc) break;
        if ((unsigned char)c < 0x80) {
            /* A run of ASCII that is neither space nor line break goes in
             * at once (per byte, this loop was a tenth of a WARC scan). */
            size_t j = i + 1;
            while (j < len && (unsigned char)s[j] < 0x80 && s[j] > ' ') j++;
            if (c == '\t' || c == '\f') rc = pk_buf_putc(&r->cur, ' ');
            else rc = pk_buf_append(&r->cur, s + i, j - i);
            i = c == '\t' || c == '\f' ? i + 1 : j;
            continue;
        }
        int32_t cp;
        size_t k = pk_utf8_decode((const uint8_t *)s + i, len - i, &cp);
        if (k == 0) {
            rc = pk_buf_append(&r->cur, "\xEF\xBF\xBD", 3);
            i++;
        } else {
            rc = pk_buf_append(&r->cur, s + i, k);
            i += k;
        }
    }
    return rc;
}

/* The text of a <title> into d->title (the first, whitespace collapsed). */
static void take_title(pk_doc *d, xmlNode *t)
{
    if (d->title[0]) return;
    size_t k = 0;
    bool sp = false;
    for (xmlNode *c = t->children; c; c = c->next) {
        if (c->type != XML_TEXT_NODE || !c->content) continue;
        const char *s = (const char *)c->content;
        size_t len = strlen(s);
        for (size_t i = 0; i < len;) {
            char ch = s[i];
            if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f') { sp = k > 0; i++; continue; }
            int32_t cp;
            size_t n = (unsigned char)ch < 0x80 ? 1 : pk_utf8_decode((const uint8_t *)s + i, len - i, &cp);
            size_t add = n ? n : 1; /* an invalid byte is dropped */
            if (k + (sp ? 1 : 0) + (n ? n : 0) + 1 > sizeof d->title) goto done;
            if (n) {
                if (sp) d->title[k++] = ' ';
                sp = false;
                memcpy(d->title + k, s + i, n);
                k += n;
            }
            i += add;
        }
    }
done:
    d->title[k] = 0;
}

static int walk(render *r, xmlNode *root)
{
    xmlNode *n = root;
    int rc = 0;
    while (n && !rc) {
        bool descend = false;
        if (n->type == XML_ELEMENT_NODE && n->name) {
            int k = element_kind((const char *)n->name);
            if (strcasecmp((const char *)n->name, "title") == 0) take_title(r->d, n);
            if (strcasecmp((const char *)n->name, "head") == 0)
                for (xmlNode *c = n->children; c; c = c->next)
                    if (c->type == XML_ELEMENT_NODE && c->name && strcasecmp((const char *)c->name, "title") == 0)
                        take_title(r->d, c);
            if (k == E_BLOCK || k == E_PRE) rc = flush(r);
            if (k == E_PRE) r->pre++;
            descend = k != E_SKIP;
        } else if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) && n->content) {
            rc = text(r, n, (const char *)n->content);
        }
        if (rc) break;
        if (descend && n->children) {
            n = n->children;
            continue;
        }
        /* Leave n, then every ancestor whose last child we just left. */
        for (;;) {
            if (n->type == XML_ELEMENT_NODE && n->name && n != root) {
                int k = element_kind((const char *)n->name);
                if (k == E_PRE && r->pre > 0) r->pre--;
                if ((k == E_BLOCK || k == E_PRE) && (rc = flush(r))) return rc;
            }
            if (n == root) return flush(r);
            if (n->next) {
                n = n->next;
                break;
            }
            n = n->parent;
            if (!n) return flush(r);
        }
    }
    return rc ? rc : flush(r);
}

/* htmlReadMemory, with on_chars: libxml2 2.9 builds its parser on an XML
 * memory context with the HTML handler (an HTML context would take bytes
 * for ISO-8859-1 where this one takes UTF-8 until a byte is not), so
 * that is done here too.  enc (consumed; NULL: none) is switched to
 * before parsing. */
static htmlDocPtr parse(const char *s, size_t n, xmlCharEncodingHandlerPtr enc, int opts)
{
    xmlParserCtxtPtr c = xmlCreateMemoryParserCtxt(s, (int)n);
    if (!c) {
        if (enc) xmlCharEncCloseFunc(enc);
        return NULL;
    }
    xmlSAX2InitHtmlDefaultSAXHandler(c->sax); /* the context's own copy */
    c->sax->characters = on_chars;
    htmlCtxtUseOptions(c, opts);
    c->html = 1;
    if (enc) xmlSwitchToEncoding(c, enc);
    htmlParseDocument(c);
    htmlDocPtr doc = c->myDoc;
    c->myDoc = NULL;
    if (c->dictNames && doc && doc->dict == c->dict) c->dict = NULL; /* the document owns it now */
    xmlFreeParserCtxt(c);
    return doc;
}

int pk_html_render_enc(pk_doc *d, const char *s, size_t n, const char *encoding, pk_error *err)
{
    if (pk_lazy_xml(err)) return PK_EIO;
    pthread_once(&once, init_parser);
    if (n == 0) return 0;
    if (n > INT_MAX) return pk_fail(err, PK_ETOOBIG, "HTML page larger than %d bytes", INT_MAX);
    xmlSetGenericErrorFunc(NULL, quiet); /* per thread in libxml2 */
    const int opts = HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_RECOVER;
    htmlDocPtr doc = NULL;
    if (encoding && *encoding) {
        xmlCharEncodingHandlerPtr h = xmlFindCharEncodingHandler(encoding);
        /* the transport's charset wins over the page's own meta */
        if (h) doc = parse(s, n, h, opts | HTML_PARSE_IGNORE_ENC);
    }
    if (!doc) doc = parse(s, n, NULL, opts);
    if (!doc) return 0; /* nothing libxml2 could make a tree of: no text */
    render r;
    memset(&r, 0, sizeof r);
    r.d = d;
    pk_buf_init(&r.cur, 0);
    int rc = 0;
    for (xmlNode *c = doc->children; c && !rc; c = c->next) rc = walk(&r, c);
    pk_buf_free(&r.cur);
    xmlFreeDoc(doc);
    if (rc) return pk_fail(err, rc, "rendering HTML: %s", pk_strerror(rc));
    return 0;
}

int pk_html_render(pk_doc *d, const char *s, size_t n, pk_error *err)
{
    return pk_html_render_enc(d, s, n, NULL, err);
}
