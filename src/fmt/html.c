/* html.c -- HTML to text, as a reader sees the page.
 *
 * One pass over the page, following the tokenizer of the WHATWG HTML
 * standard (section 13.2.5) for everything that decides which bytes are
 * text: tags (attribute values quoted with ' or " may hold '>'),
 * comments (<!-- ... -->, and the short forms <!--> and <!--->), bogus
 * comments (<!DOCTYPE ...>, <?xml ...?>, <![CDATA[...]>, </ followed by a
 * non-letter), a '<' that opens nothing (it is text), raw text elements
 * (script, style, xmp, iframe, noembed, noframes, noscript: no markup
 * inside, up to their end tag; a script's escaped states too), RCDATA elements (title, textarea:
 * references decoded, no markup) and plaintext (the rest of the page).
 * No tree is built.  What the page shows is then:
 *   - script, style, noscript, iframe, noembed, noframes, title (which
 *     goes to d->title), and everything inside template, object and
 *     select (counted to their own end tag) are dropped, and so are
 *     comments;
 *   - block elements (p, div, br, li, h1-h6, tr, td, blockquote, ...) end
 *     the current line at their start and end tags; everything else flows
 *     into it ("<b>a</b><i>b</i>" is one word, as in a browser);
 *   - runs of white space collapse to one space, except inside pre,
 *     listing, textarea, xmp and plaintext, where line breaks stay line
 *     breaks (the first line break right after <pre>, <listing> or
 *     <textarea> is dropped, as the standard says);
 *   - character references are decoded in text and in RCDATA: numeric
 *     ones (&#233; &#xE9;, with the standard's windows-1252 mapping of
 *     0x80-0x9F and U+FFFD for 0, surrogates and anything past U+10FFFF)
 *     and named ones from libxml2's table of HTML 4 entities, plus &apos;;
 *     without the ';' only the legacy names (those of Latin-1 and amp, lt,
 *     gt, quot), longest first, as browsers do ("&copy 2020", "&notit;");
 *   - NUL bytes are dropped.
 * The head needs no rule of its own: everything a head may hold is either
 * dropped (title, script, style, template, noscript, noframes) or void
 * (meta, link, base), and text or another element there ends the head in
 * a browser, which shows it.  Not modelled, as they do not change which
 * words a page shows or their order, apart from rare pages: the tree
 * builder's moves (foster parenting of text inside a table, the adoption
 * agency), CSS (display: none, the hidden attribute: a crawler's text
 * extraction keeps such text too), foreign content (CDATA sections in SVG
 * and MathML are dropped), and named references that only HTML5 has
 * (&percnt;: libxml2's table is HTML 4's; the common ones, &apos; aside,
 * are all in it).  A start tag closed with "/>"
 * opens no raw text or skipped element, as in XHTML (EPUB chapters), where
 * the HTML standard would swallow the rest of the page: the one place
 * this follows XML.  tests/cli/t23-html-browser.sh compares the words of
 * every test page with Chromium's innerText.
 *
 * Why not libxml2's HTML parser, which this file used before: it builds a
 * tree of the page, node by node, and was 80% of a WARC scan (decode 19
 * MB/s of HTML, fingerprinting 344 MB/s; bench/warc.sh).  On the pages of
 * bench/warcgen.py its parse and the walk over the tree rendered 55 MB/s,
 * and the parser alone with SAX callbacks that do nothing 100 MB/s; this
 * pass renders the same pages at 730 MB/s (bench/html_render.c, all in
 * one run; BENCHMARKS.md, session 12), and a WARC.gz scan went 3.4x
 * faster.  Gumbo (libgumbo1, the only HTML5 parser Debian 12 has) also
 * builds a whole tree.  libxml2 still supplies the entity names
 * (htmlEntityValueLookup).
 *
 * Each rendered line carries the source line of its first text: the
 * number of line feeds before it, plus one, counted lazily (only for the
 * first character of each rendered line).
 *
 * Encoding, as browsers decide it (WHATWG Encoding, "decode"): a
 * byte-order mark; else the caller's charset (an HTTP Content-Type) when
 * iconv knows it; else what a <meta charset> or <meta http-equiv
 * content-type> in the first 1024 bytes declares; else UTF-8 when the
 * bytes are UTF-8, or when they hold at least as many UTF-8 sequences of
 * two or more bytes as bytes that fit none (a UTF-8 page with a stray
 * byte); else windows-1252, the default of browsers in the West.
 * Labels as the Encoding standard reads them: iso-8859-1, latin1, ascii
 * and the like are windows-1252, gb2312 is GBK, utf-16 in a meta is
 * UTF-8.  Anything not UTF-8 goes through iconv(3) first; bytes that do
 * not decode become U+FFFD, so the output is always UTF-8. */
#include "fmt/fmt.h"

#include <libxml/HTMLparser.h>
#define PK_LAZY_XML /* libxml2 opened on first use: lazy.c */
#include "lazy.h"
#include <stdint.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---- element kinds ------------------------------------------------------ */

enum {
    E_FLOW,    /* flows into the line */
    E_BLOCK,   /* ends the line at its start and end tags */
    E_PRE,     /* a block whose line breaks stay (pre, listing) */
    E_SKIP,    /* dropped with everything inside, to its own end tag */
    E_RAW,     /* raw text, dropped (script, style, ...) */
    E_RAWPRE,  /* raw text, shown as preformatted (xmp) */
    E_TITLE,   /* RCDATA, to d->title */
    E_TEXTAREA, /* RCDATA, shown as preformatted */
    E_PLAIN    /* plaintext: the rest of the page, preformatted */
};

static const char *const block_names[] = {
    "address", "article", "aside", "blockquote", "body", "br", "caption", "center", "dd", "details",
    "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li",
    "main", "menu", "nav", "ol", "option", "p", "section", "summary", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "ul"};
static const char *const raw_names[] = {"script", "style", "noscript", "iframe", "noembed", "noframes"};
static const char *const skip_names[] = {"template", "object", "select"};

#define KIND_SLOTS 256 /* a power of two, over 4 times the names */
#define KIND_MAXLEN 16 /* longer than any name above */
static struct { const char *name; unsigned char len, kind; } kind_tab[KIND_SLOTS];

static uint32_t name_hash(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

static void kind_add(const char *name, int kind)
{
    size_t n = strlen(name);
    uint32_t h = name_hash(name, n) & (KIND_SLOTS - 1);
    while (kind_tab[h].name) h = (h + 1) & (KIND_SLOTS - 1);
    kind_tab[h].name = name;
    kind_tab[h].len = (unsigned char)n;
    kind_tab[h].kind = (unsigned char)kind;
}

/* The kind of a lower-cased name of n bytes. */
static int element_kind(const char *low, size_t n)
{
    if (n == 0 || n >= KIND_MAXLEN) return E_FLOW;
    for (uint32_t h = name_hash(low, n) & (KIND_SLOTS - 1); kind_tab[h].name; h = (h + 1) & (KIND_SLOTS - 1))
        if (kind_tab[h].len == n && memcmp(kind_tab[h].name, low, n) == 0) return kind_tab[h].kind;
    return E_FLOW;
}

/* ---- named character references ----------------------------------------- */

/* Names of libxml2's HTML 4 table (and apos) by hash; made once from
 * htmlEntityValueLookup over every code point the table can hold, since
 * libxml2 exports no walk over it, and htmlEntityLookup is a linear
 * search a reference. */
#define ENT_SLOTS 1024 /* a power of two, over 4 times the 254 names */
#define ENT_MAXLEN 8   /* the longest HTML 4 name is 6 bytes ("thetasym" is 8) */
#define ENT_MAXCP 0x2666
static struct { const char *name; unsigned char len; int32_t cp; } ent_tab[ENT_SLOTS];

static void ent_add(const char *name, int32_t cp)
{
    size_t n = strlen(name);
    if (n == 0 || n > ENT_MAXLEN) return;
    uint32_t h = name_hash(name, n) & (ENT_SLOTS - 1);
    while (ent_tab[h].name) {
        if (ent_tab[h].len == n && memcmp(ent_tab[h].name, name, n) == 0) return;
        h = (h + 1) & (ENT_SLOTS - 1);
    }
    ent_tab[h].name = name;
    ent_tab[h].len = (unsigned char)n;
    ent_tab[h].cp = cp;
}

/* The code point of name[0, n), or -1. */
static int32_t ent_lookup(const char *name, size_t n)
{
    if (n == 0 || n > ENT_MAXLEN) return -1;
    for (uint32_t h = name_hash(name, n) & (ENT_SLOTS - 1); ent_tab[h].name; h = (h + 1) & (ENT_SLOTS - 1))
        if (ent_tab[h].len == n && memcmp(ent_tab[h].name, name, n) == 0) return ent_tab[h].cp;
    return -1;
}

/* Legacy names, which browsers take without the ';': those of Latin-1
 * (U+00A0-U+00FF) and amp, lt, gt, quot, in either case for the four and
 * copy and reg (the standard's list is exactly these). */
static bool ent_legacy(const char *name, size_t n, int32_t cp)
{
    if (cp >= 0xA0 && cp <= 0xFF) return true;
    static const char *const ascii[] = {"amp", "lt", "gt", "quot", "AMP", "LT", "GT", "QUOT"};
    for (size_t i = 0; i < sizeof ascii / sizeof ascii[0]; i++)
        if (strlen(ascii[i]) == n && memcmp(ascii[i], name, n) == 0) return true;
    return false;
}

/* What show() does with a byte. */
enum { K_TEXT, K_SPACE, K_LF, K_CR, K_NUL };
static uint8_t byte_kind[256];

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_tables(void)
{
    byte_kind[' '] = byte_kind['\t'] = byte_kind['\f'] = K_SPACE;
    byte_kind['\n'] = K_LF;
    byte_kind['\r'] = K_CR;
    byte_kind[0] = K_NUL;
    for (size_t i = 0; i < sizeof block_names / sizeof block_names[0]; i++) kind_add(block_names[i], E_BLOCK);
    for (size_t i = 0; i < sizeof raw_names / sizeof raw_names[0]; i++) kind_add(raw_names[i], E_RAW);
    for (size_t i = 0; i < sizeof skip_names / sizeof skip_names[0]; i++) kind_add(skip_names[i], E_SKIP);
    kind_add("pre", E_PRE);
    kind_add("listing", E_PRE);
    kind_add("xmp", E_RAWPRE);
    kind_add("title", E_TITLE);
    kind_add("textarea", E_TEXTAREA);
    kind_add("plaintext", E_PLAIN);
    for (int32_t cp = 1; cp <= ENT_MAXCP; cp++) {
        const htmlEntityDesc *e = htmlEntityValueLookup((unsigned int)cp);
        if (e && e->name && (int32_t)e->value == cp) ent_add(e->name, cp);
    }
    ent_add("apos", '\''); /* HTML5 and XML, not HTML 4: pages use it */
    ent_add("AMP", '&');
    ent_add("LT", '<');
    ent_add("GT", '>');
    ent_add("QUOT", '"');
    ent_add("COPY", 0xA9);
    ent_add("REG", 0xAE);
}

/* ---- the renderer ---------------------------------------------------------- */

typedef struct render {
    pk_doc *d;
    const char *s;  /* the page, UTF-8 */
    size_t n;
    size_t lstart;  /* the line being built: d->text from here */
    uint32_t line;  /* source line of its first text */
    bool space;     /* a space is owed before the next word */
    int pre;        /* depth of pre-like elements */
    int skip;       /* depth of the skipped element skip_kind */
    char skip_name[KIND_MAXLEN];
    size_t skip_len;
    size_t lpos;    /* line feeds are counted up to here */
    uint64_t lines; /* line feeds before lpos */
    pk_buf title;   /* the first title's text, when d->title is still empty */
} render;

static bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

static bool is_alpha(unsigned char c) { return (unsigned char)((c | 0x20) - 'a') < 26; }
static bool is_alnum(unsigned char c) { return is_alpha(c) || (unsigned char)(c - '0') < 10; }

/* The source line of byte pos (asked in page order: a pos before the
 * last one asked counts as that one). */
static uint32_t line_at(render *r, size_t pos)
{
    if (pos < r->lpos) pos = r->lpos;
    const char *p = r->s + r->lpos, *e = r->s + pos;
    while (p < e && (p = memchr(p, '\n', (size_t)(e - p)))) {
        r->lines++;
        p++;
    }
    r->lpos = pos;
    return r->lines + 1 > UINT32_MAX ? UINT32_MAX : (uint32_t)(r->lines + 1);
}

static int flush(render *r)
{
    r->space = false;
    if (r->d->text.len == r->lstart) return 0;
    int rc = pk_doc_end_line(r->d, r->line, 0, 0);
    r->lstart = r->d->text.len;
    return rc;
}

/* Show p[0, len) (UTF-8), which stands at byte pos of the page: written
 * straight into d->text, the line being built is its tail from lstart.
 * Each byte gives at most one, and a space owed one more, so len + 1
 * bytes of room do (a 16-byte store starts at most i + 1 bytes in and
 * ends before len + 1); NUL bytes are dropped.  Outside pre, 16 bytes at
 * a time while they hold no control byte and no white space but single
 * spaces: such a block is copied as it is.  (Word by word through a line
 * buffer, this was half of the renderer's time; one byte at a time, 60%
 * of it.) */
static int show(render *r, const char *p, size_t len, size_t pos)
{
    pk_buf *t = &r->d->text;
    if (pk_buf_reserve(t, len + 1)) return PK_ENOMEM;
    char *o = t->data + t->len;
    char *const line0 = t->data + r->lstart;
    if (!r->pre) {
        bool sp = r->space;
        size_t i = 0;
        while (i < len) {
#if defined(__SSE2__)
            if (i + 16 <= len) {
                const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
                const unsigned ctl = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x20)), v));
                const unsigned spc = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
                size_t run = 16, take = 16;
                bool ends_sp = false;
                if (ctl && (ctl != spc || (spc & 1) || (spc & (spc >> 1)))) {
                    run = take = (size_t)__builtin_ctz(ctl); /* up to the first byte to decide alone */
                } else if (spc >> 15) {
                    take = 15; /* a block ending in a space: that space is owed */
                    ends_sp = true;
                }
                if (run) {
                    if (o == line0) r->line = line_at(r, pos + i);
                    *o = ' ';
                    o += sp;
                    _mm_storeu_si128((__m128i *)(void *)o, v);
                    o += take;
                    sp = ends_sp;
                    i += run;
                    if (run == 16) continue;
                }
            }
#endif
            const unsigned char c = (unsigned char)p[i++];
            const int k = byte_kind[c];
            if (k == K_TEXT) {
                if (o == line0) r->line = line_at(r, pos + i - 1);
                *o = ' '; /* the space owed, if any */
                o += sp;
                sp = false;
                *o++ = (char)c;
            } else if (k != K_NUL) {
                sp = o != line0;
            }
        }
        r->space = sp;
        t->len = (size_t)(o - t->data);
        return 0;
    }
    /* pre: line breaks end lines, a tab or form feed is a space, CR goes */
    for (size_t i = 0; i < len; i++) {
        const unsigned char c = (unsigned char)p[i];
        const int k = byte_kind[c];
        if (k == K_NUL || k == K_CR) continue;
        if (k == K_LF) {
            t->len = (size_t)(o - t->data);
            int rc = flush(r); /* its '\n' takes this byte's room */
            if (rc) return rc;
            o = t->data + t->len;
            continue;
        }
        if (o == t->data + r->lstart) r->line = line_at(r, pos + i);
        *o++ = k == K_SPACE ? ' ' : (char)c;
    }
    t->len = (size_t)(o - t->data);
    return 0;
}

/* Code point cp as text at pos (a reference's '&'). */
static int show_cp(render *r, int32_t cp, size_t pos, pk_buf *to)
{
    utf8proc_uint8_t u[4];
    utf8proc_ssize_t k = utf8proc_encode_char(cp, u);
    if (k <= 0) return 0;
    if (to) return pk_buf_append(to, u, (size_t)k);
    return show(r, (const char *)u, (size_t)k, pos);
}

/* The standard's numeric reference fix-ups: 0x80-0x9F as windows-1252. */
static const uint16_t c1_1252[32] = {
    0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D,
    0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
    0x0153, 0x9D, 0x017E, 0x0178};

/* A character reference at s[i] == '&' (in text, or RCDATA when to is
 * set): decodes it and returns the index after it, or returns i + 1 having
 * shown the '&' itself when nothing there is a reference. */
static size_t reference(render *r, size_t i, size_t end, pk_buf *to, int *rc)
{
    const char *s = r->s;
    size_t p = i + 1;
    if (p < end && s[p] == '#') {
        p++;
        bool hex = p < end && (s[p] | 0x20) == 'x';
        if (hex) p++;
        size_t d0 = p;
        uint32_t v = 0;
        for (; p < end; p++) {
            unsigned char c = (unsigned char)s[p];
            unsigned dv;
            if (c >= '0' && c <= '9') dv = c - '0';
            else if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f') dv = (c | 0x20) - 'a' + 10;
            else break;
            v = v > 0x10FFFF ? v : v * (hex ? 16 : 10) + dv; /* saturates past U+10FFFF */
        }
        if (p == d0) goto literal;
        if (p < end && s[p] == ';') p++;
        int32_t cp = (int32_t)v;
        if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) cp = 0xFFFD;
        else if (v >= 0x80 && v <= 0x9F) cp = c1_1252[v - 0x80];
        *rc = show_cp(r, cp, i, to);
        return p;
    }
    size_t q = p;
    while (q < end && q - p <= ENT_MAXLEN && is_alnum((unsigned char)s[q])) q++;
    if (q == p) goto literal;
    if (q < end && s[q] == ';') {
        int32_t cp = ent_lookup(s + p, q - p);
        if (cp >= 0) {
            *rc = show_cp(r, cp, i, to);
            return q + 1;
        }
    }
    /* without ';': the longest legacy name the run starts with */
    for (size_t len = PK_MIN(q - p, (size_t)6); len >= 2; len--) {
        int32_t cp = ent_lookup(s + p, len);
        if (cp >= 0 && ent_legacy(s + p, len, cp)) {
            *rc = show_cp(r, cp, i, to);
            return p + len;
        }
    }
literal:
    *rc = to ? pk_buf_putc(to, '&') : show(r, "&", 1, i);
    return i + 1;
}

/* Text s[a, b) with references decoded (to: into a buffer, as is). */
static int text_refs(render *r, size_t a, size_t b, pk_buf *to)
{
    const char *s = r->s;
    int rc = 0;
    while (a < b && !rc) {
        const char *amp = memchr(s + a, '&', b - a);
        size_t e = amp ? (size_t)(amp - s) : b;
        if (e > a) rc = to ? pk_buf_append(to, s + a, e - a) : show(r, s + a, e - a, a);
        if (!amp || rc) break;
        a = reference(r, e, b, to, &rc);
    }
    return rc;
}

/* After a tag's name at p: its attributes, to the '>' (quoted values may
 * hold one).  Returns the index after the '>', or SIZE_MAX when the page
 * ends inside the tag (which is then dropped, as the standard says).
 * *selfclose: the tag ends with "/>". */
static size_t tag_end(const char *s, size_t p, size_t n, bool *selfclose)
{
    *selfclose = false;
    for (;;) {
        while (p < n && (is_space((unsigned char)s[p]) || s[p] == '/')) {
            *selfclose = s[p] == '/' && p + 1 < n && s[p + 1] == '>';
            p++;
        }
        if (p >= n) return SIZE_MAX;
        if (s[p] == '>') return p + 1;
        *selfclose = false;
        p++; /* the attribute name's first character may be '=' */
        while (p < n && !is_space((unsigned char)s[p]) && s[p] != '/' && s[p] != '>' && s[p] != '=') p++;
        while (p < n && is_space((unsigned char)s[p])) p++;
        if (p >= n || s[p] != '=') continue;
        p++;
        while (p < n && is_space((unsigned char)s[p])) p++;
        if (p < n && (s[p] == '"' || s[p] == '\'')) {
            const char *q = memchr(s + p + 1, s[p], n - p - 1);
            if (!q) return SIZE_MAX;
            p = (size_t)(q - s) + 1;
        } else {
            while (p < n && !is_space((unsigned char)s[p]) && s[p] != '>') p++;
        }
    }
}

/* The end tag of raw text or RCDATA at e (its "</" and name of len
 * bytes): the index after it, or n. */
static size_t close_raw(const char *s, size_t e, size_t len, size_t n)
{
    if (e >= n) return n;
    bool selfclose;
    size_t after = tag_end(s, e + 2 + len, n, &selfclose);
    return after == SIZE_MAX ? n : after;
}

/* Whether s[at..] is "<script" or "</script" (end: with the '/')
 * followed by white space, '/' or '>', case aside. */
static bool script_tag(const char *s, size_t at, size_t n, bool end)
{
    const size_t k = at + 1 + end;
    if (k + 6 >= n || s[at] != '<' || (end && s[at + 1] != '/') || strncasecmp(s + k, "script", 6) != 0) return false;
    const char c = s[k + 6];
    return is_space((unsigned char)c) || c == '/' || c == '>';
}

/* The end of a script's text from p: its "</script", or n.  The standard's
 * escaped states: inside "<!--" ... "-->" a "<script" starts a part where
 * "</script" does not end the script (it ends that part), so a script
 * that writes "<!--<script>...</script>-->" into the page runs on. */
static size_t script_end(const char *s, size_t p, size_t n)
{
    enum { DATA, ESCAPED, DOUBLE } st = DATA;
    while (p < n) {
        const char c = s[p];
        if (c == '-' && st != DATA && p + 2 < n && s[p + 1] == '-' && s[p + 2] == '>') {
            st = DATA;
            p += 3;
            continue;
        }
        if (c != '<') { p++; continue; }
        if (st == DATA && p + 3 < n && s[p + 1] == '!' && s[p + 2] == '-' && s[p + 3] == '-') {
            st = ESCAPED;
            p += 2; /* its "--" may already close it: "<!-->" */
            continue;
        }
        if (script_tag(s, p, n, true)) {
            if (st != DOUBLE) return p;
            st = ESCAPED;
            p += 8;
            continue;
        }
        if (st == ESCAPED && script_tag(s, p, n, false)) {
            st = DOUBLE;
            p += 7;
            continue;
        }
        p++;
    }
    return n;
}

/* The end of raw text or RCDATA from p: the '<' of the first "</name"
 * followed by white space, '/' or '>', or n. */
static size_t raw_end(const char *s, size_t p, size_t n, const char *name, size_t len)
{
    if (len == 6 && memcmp(name, "script", 6) == 0) return script_end(s, p, n);
    while (p < n) {
        const char *q = memchr(s + p, '<', n - p);
        if (!q) return n;
        size_t at = (size_t)(q - s);
        if (at + 2 + len < n && s[at + 1] == '/' && strncasecmp(s + at + 2, name, len) == 0) {
            char c = s[at + 2 + len];
            if (is_space((unsigned char)c) || c == '/' || c == '>') return at;
        }
        p = at + 1;
    }
    return n;
}

/* Skip a line feed (or CR LF) right after a start tag of pre, listing or
 * textarea. */
static size_t skip_first_lf(const char *s, size_t p, size_t end)
{
    if (p < end && s[p] == '\n') return p + 1;
    if (p + 1 < end && s[p] == '\r' && s[p + 1] == '\n') return p + 2;
    return p;
}

/* The title: white space collapsed, trimmed, cut to fit at a character
 * boundary. */
static void take_title(pk_doc *d, const char *s, size_t len)
{
    size_t k = 0;
    bool sp = false;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (is_space(c)) { sp = k > 0; i++; continue; }
        if (c == 0) { i++; continue; }
        size_t m = 1;
        if (c >= 0x80) {
            int32_t cp;
            m = pk_utf8_decode((const uint8_t *)s + i, len - i, &cp);
            if (m == 0) { i++; continue; }
        }
        if (k + (sp ? 1 : 0) + m + 1 > sizeof d->title) break;
        if (sp) d->title[k++] = ' ';
        sp = false;
        memcpy(d->title + k, s + i, m);
        k += m;
        i += m;
    }
    d->title[k] = 0;
}

/* A start or end tag at s[i] == '<' whose name starts at name0; returns
 * the index after it. */
static size_t tag(render *r, size_t i, size_t name0, bool end, int *rc)
{
    const char *s = r->s;
    const size_t n = r->n;
    size_t p = name0;
    char low[KIND_MAXLEN];
    size_t len = 0;
    while (p < n && !is_space((unsigned char)s[p]) && s[p] != '/' && s[p] != '>') {
        if (len < KIND_MAXLEN) low[len] = (char)(s[p] >= 'A' && s[p] <= 'Z' ? s[p] + 32 : s[p]);
        len++;
        p++;
    }
    bool selfclose;
    size_t after = tag_end(s, p, n, &selfclose);
    if (after == SIZE_MAX) return n; /* cut off inside the tag: dropped */
    int kind = len < KIND_MAXLEN ? element_kind(low, len) : E_FLOW;
    if (r->skip) {
        /* inside a skipped element: only its own tags count */
        if (len == r->skip_len && memcmp(low, r->skip_name, len) == 0) {
            if (end) r->skip--;
            else if (strcmp(r->skip_name, "select") == 0) r->skip = 0; /* <select> in a select ends it */
            else if (!selfclose) r->skip++;
            return after;
        }
        if (end || selfclose) return after;
        /* raw text and RCDATA stay raw inside: a "</template>" in a script
         * there is script */
        if (kind == E_RAW || kind == E_RAWPRE || kind == E_TITLE || kind == E_TEXTAREA) {
            return close_raw(s, raw_end(s, after, n, low, len), len, n);
        }
        if (kind == E_PLAIN) return n;
        return after;
    }
    if (end) {
        if (kind == E_BLOCK || kind == E_PRE) {
            if (kind == E_PRE && r->pre > 0) r->pre--;
            *rc = flush(r);
        }
        return after;
    }
    switch (kind) {
    case E_BLOCK:
        *rc = flush(r);
        return after;
    case E_PRE:
        *rc = flush(r);
        r->pre++;
        return skip_first_lf(s, after, n);
    case E_SKIP:
        if (selfclose) return after;
        memcpy(r->skip_name, low, len);
        r->skip_name[len] = 0;
        r->skip_len = len;
        r->skip = 1;
        return after;
    case E_RAW:
    case E_RAWPRE:
    case E_TITLE:
    case E_TEXTAREA: {
        if (selfclose) return after;
        size_t a = kind == E_TEXTAREA ? skip_first_lf(s, after, n) : after;
        size_t e = raw_end(s, a, n, low, len);
        if (kind == E_TITLE) {
            if (!r->d->title[0]) {
                pk_buf_reset(&r->title);
                if ((*rc = text_refs(r, a, e, &r->title))) return n;
                take_title(r->d, r->title.data ? r->title.data : "", r->title.len);
            }
        } else if (kind != E_RAW) {
            if ((*rc = flush(r))) return n;
            r->pre++;
            *rc = kind == E_TEXTAREA ? text_refs(r, a, e, NULL) : show(r, s + a, e - a, a);
            r->pre--;
            if (!*rc) *rc = flush(r);
        }
        return close_raw(s, e, len, n);
    }
    case E_PLAIN:
        if ((*rc = flush(r))) return n;
        r->pre++;
        *rc = show(r, s + after, n - after, after);
        return n;
    default:
        return after;
    }
}

/* Text s[a, b) of the data state: references decoded, NUL dropped. */
static int data(render *r, size_t a, size_t b)
{
    return r->skip || a >= b ? 0 : text_refs(r, a, b, NULL);
}

static int render_page(render *r)
{
    const char *s = r->s;
    const size_t n = r->n;
    size_t i = 0, t = 0; /* s[t, i) is text not yet shown */
    int rc = 0;
    while (i < n && !rc) {
        const char *lt = memchr(s + i, '<', n - i);
        if (!lt) break;
        i = (size_t)(lt - s);
        const unsigned char c1 = i + 1 < n ? (unsigned char)s[i + 1] : 0;
        size_t next;
        if (is_alpha(c1) || (c1 == '/' && i + 2 < n && is_alpha((unsigned char)s[i + 2]))) {
            if ((rc = data(r, t, i))) break;
            next = tag(r, i, c1 == '/' ? i + 2 : i + 1, c1 == '/', &rc);
        } else if (c1 == '!' && i + 3 < n && s[i + 2] == '-' && s[i + 3] == '-') {
            if ((rc = data(r, t, i))) break;
            /* a comment: to "-->" or "--!>"; "<!-->" and "<!--->" are empty */
            size_t p = i + 4;
            if (p < n && s[p] == '>') next = p + 1;
            else if (p + 1 < n && s[p] == '-' && s[p + 1] == '>') next = p + 2;
            else {
                next = n;
                for (const char *q; p + 2 < n && (q = memchr(s + p, '-', n - p - 2)); p = (size_t)(q - s) + 1) {
                    size_t at = (size_t)(q - s);
                    if (s[at + 1] != '-') continue;
                    if (s[at + 2] == '>') { next = at + 3; break; }
                    if (at + 3 < n && s[at + 2] == '!' && s[at + 3] == '>') { next = at + 4; break; }
                }
            }
        } else if (c1 == '!' || c1 == '?' || (c1 == '/' && i + 2 < n && s[i + 2] != '>')) {
            if ((rc = data(r, t, i))) break;
            /* a bogus comment (doctype, processing instruction, CDATA) */
            const char *gt = memchr(s + i + 2, '>', n - i - 2);
            next = gt ? (size_t)(gt - s) + 1 : n;
        } else if (c1 == '/' && i + 2 < n) {
            if ((rc = data(r, t, i))) break;
            next = i + 3; /* "</>" is nothing */
        } else {
            i++; /* a '<' that opens nothing is text */
            continue;
        }
        i = t = next;
    }
    if (!rc) rc = data(r, t, n);
    if (!rc) rc = flush(r);
    return rc;
}

/* ---- encoding ------------------------------------------------------------- */

/* The label as iconv knows it: "" for UTF-8 (nothing to convert). */
static void label_norm(const char *in, size_t n, char *out, size_t cap)
{
    while (n && is_space((unsigned char)*in)) { in++; n--; }
    while (n && is_space((unsigned char)in[n - 1])) n--;
    if (n >= cap) n = cap - 1;
    memcpy(out, in, n);
    out[n] = 0;
    static const char *const utf8[] = {"utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8"};
    static const char *const w1252[] = {"iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "l1", "ascii",
                                        "us-ascii", "cp819", "ibm819", "iso-ir-100", "csisolatin1",
                                        "x-user-defined", "cp1252", "windows-1252", "x-cp1252", "iso88591",
                                        "iso_8859-1:1987", "ansi_x3.4-1968"};
    static const char *const gbk[] = {"gb2312", "gbk", "x-gbk", "chinese", "csgb2312", "iso-ir-58"};
    for (size_t i = 0; i < sizeof utf8 / sizeof utf8[0]; i++)
        if (strcasecmp(out, utf8[i]) == 0) { out[0] = 0; return; }
    for (size_t i = 0; i < sizeof w1252 / sizeof w1252[0]; i++)
        if (strcasecmp(out, w1252[i]) == 0) { snprintf(out, cap, "WINDOWS-1252"); return; }
    for (size_t i = 0; i < sizeof gbk / sizeof gbk[0]; i++)
        if (strcasecmp(out, gbk[i]) == 0) { snprintf(out, cap, "GBK"); return; }
}

/* The value of attribute `want` in the tag whose attributes start at p,
 * for the meta prescan: into val (cut to cap - 1). */
static bool attr_value(const char *s, size_t p, size_t n, const char *want, char *val, size_t cap)
{
    const size_t wl = strlen(want);
    for (;;) {
        while (p < n && (is_space((unsigned char)s[p]) || s[p] == '/')) p++;
        if (p >= n || s[p] == '>') return false;
        size_t a = p++;
        while (p < n && !is_space((unsigned char)s[p]) && s[p] != '/' && s[p] != '>' && s[p] != '=') p++;
        bool match = p - a == wl && strncasecmp(s + a, want, wl) == 0;
        while (p < n && is_space((unsigned char)s[p])) p++;
        size_t v0 = p, v1 = p;
        if (p < n && s[p] == '=') {
            p++;
            while (p < n && is_space((unsigned char)s[p])) p++;
            if (p < n && (s[p] == '"' || s[p] == '\'')) {
                const char *q = memchr(s + p + 1, s[p], n - p - 1);
                if (!q) return false;
                v0 = p + 1;
                v1 = (size_t)(q - s);
                p = v1 + 1;
            } else {
                v0 = p;
                while (p < n && !is_space((unsigned char)s[p]) && s[p] != '>') p++;
                v1 = p;
            }
        }
        if (match) {
            size_t l = PK_MIN(v1 - v0, cap - 1);
            memcpy(val, s + v0, l);
            val[l] = 0;
            return true;
        }
    }
}

/* The charset a <meta> in the first 1024 bytes declares, into out
 * (normalized), or false.  Comments are passed over. */
static bool meta_charset(const char *s, size_t n, char *out, size_t cap)
{
    n = PK_MIN(n, (size_t)1024);
    for (size_t i = 0; i + 5 < n; i++) {
        if (s[i] != '<') continue;
        if (i + 3 < n && memcmp(s + i, "<!--", 4) == 0) {
            const char *e = memmem(s + i + 4, n - i - 4, "-->", 3);
            if (!e) return false;
            i = (size_t)(e - s) + 2;
            continue;
        }
        if (strncasecmp(s + i + 1, "meta", 4) != 0 || !(is_space((unsigned char)s[i + 5]) || s[i + 5] == '/'))
            continue;
        char v[128], he[64];
        if (attr_value(s, i + 5, n, "charset", v, sizeof v)) {
            label_norm(v, strlen(v), out, cap);
        } else if (attr_value(s, i + 5, n, "http-equiv", he, sizeof he) && strcasecmp(he, "content-type") == 0 &&
                   attr_value(s, i + 5, n, "content", v, sizeof v)) {
            const char *c = strcasestr(v, "charset");
            if (!c) continue;
            c += 7;
            while (is_space((unsigned char)*c)) c++;
            if (*c != '=') continue;
            c++;
            while (is_space((unsigned char)*c)) c++;
            size_t l = 0;
            char q = *c == '"' || *c == '\'' ? *c++ : 0;
            while (c[l] && (q ? c[l] != q : !is_space((unsigned char)c[l]) && c[l] != ';')) l++;
            label_norm(c, l, out, cap);
        } else {
            continue;
        }
        if (strncasecmp(out, "utf-16", 6) == 0) out[0] = 0; /* a page that can say so is not UTF-16 */
        return true;
    }
    return false;
}

/* Whether s is UTF-8: 1 valid, 0 mostly (at least as many sequences of
 * two bytes or more as stray bytes), -1 not. */
static int utf8_verdict(const char *s, size_t n)
{
    size_t multi = 0, bad = 0;
    for (size_t i = 0; i < n;) {
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & 0x8080808080808080ull)) { i += 8; continue; }
        }
        if ((unsigned char)s[i] < 0x80) { i++; continue; }
        int32_t cp;
        size_t k = pk_utf8_decode((const uint8_t *)s + i, n - i, &cp);
        if (k) { multi++; i += k; } else { bad++; i++; }
    }
    return bad == 0 ? 1 : multi >= bad ? 0 : -1;
}

/* s as UTF-8 with each byte that fits no sequence (and NUL kept) as
 * U+FFFD, into out. */
static int utf8_clean(const char *s, size_t n, pk_buf *out)
{
    int rc = pk_buf_reserve(out, n + n / 2 + 16);
    for (size_t i = 0; i < n && !rc;) {
        size_t j = i;
        while (j < n && (unsigned char)s[j] < 0x80) j++;
        if (j > i && (rc = pk_buf_append(out, s + i, j - i))) break;
        i = j;
        if (i >= n) break;
        int32_t cp;
        size_t k = pk_utf8_decode((const uint8_t *)s + i, n - i, &cp);
        if (k) { rc = pk_buf_append(out, s + i, k); i += k; }
        else { rc = pk_buf_append(out, "\xEF\xBF\xBD", 3); i++; }
    }
    return rc;
}

/* ---- entry points -------------------------------------------------------------- */

/* Convert s into conv from charset enc, which a transport or a page
 * named: *known says whether iconv knows it ("" is UTF-8: nothing to
 * convert); one it does not know is as if not named. */
static int named_charset(const char *enc, const char *s, size_t n, pk_buf *conv, bool *known)
{
    *known = true;
    if (!enc[0]) return 0;
    int rc = pk_iconv_utf8(enc, s, n, conv);
    if (rc == 1) *known = false;
    return rc == 1 ? 0 : rc;
}

int pk_html_render_enc(pk_doc *d, const char *s, size_t n, const char *encoding, pk_error *err)
{
    if (pk_lazy_xml(err)) return PK_EIO;
    pthread_once(&once, init_tables);
    if (n == 0) return 0;
    pk_buf conv;
    pk_buf_init(&conv, 0);
    char enc[64] = ""; /* the charset to convert from; "" UTF-8 */
    int rc = 0, verdict = 2; /* utf8_verdict, 2 until needed */
    bool converted = false;  /* conv holds the page from enc */
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
        n -= 3;
    } else if (n >= 2 && (((unsigned char)s[0] == 0xFE && (unsigned char)s[1] == 0xFF) ||
                          ((unsigned char)s[0] == 0xFF && (unsigned char)s[1] == 0xFE))) {
        snprintf(enc, sizeof enc, (unsigned char)s[0] == 0xFE ? "UTF-16BE" : "UTF-16LE");
        s += 2;
        n -= 2;
    } else {
        bool known = false;
        if (encoding && *encoding) {
            label_norm(encoding, strlen(encoding), enc, sizeof enc);
            if ((rc = named_charset(enc, s, n, &conv, &known))) goto done;
        }
        if (!known && meta_charset(s, n, enc, sizeof enc) && (rc = named_charset(enc, s, n, &conv, &known)))
            goto done;
        if (!known) {
            verdict = utf8_verdict(s, n);
            snprintf(enc, sizeof enc, "%s", verdict < 0 ? "WINDOWS-1252" : "");
        }
        converted = known && enc[0];
    }
    if (enc[0] && !converted) { /* a byte-order mark's UTF-16, or windows-1252 */
        rc = pk_iconv_utf8(enc, s, n, &conv);
        if (rc == 1) rc = pk_fail(err, PK_EIO, "HTML: iconv cannot read %s", enc);
        if (rc) goto done;
    }
    if (!enc[0]) {
        if (verdict == 2) verdict = utf8_verdict(s, n);
        if (verdict != 1 && (rc = utf8_clean(s, n, &conv))) goto done;
    }
    render r;
    memset(&r, 0, sizeof r);
    r.d = d;
    r.lstart = d->text.len;
    const bool copied = enc[0] || verdict != 1;
    r.s = copied ? (conv.data ? conv.data : "") : s;
    r.n = copied ? conv.len : n;
    pk_buf_init(&r.title, 0);
    rc = render_page(&r);
    pk_buf_free(&r.title);
    if (rc) rc = pk_fail(err, rc, "rendering HTML: %s", pk_strerror(rc));
done:
    pk_buf_free(&conv);
    return rc;
}

int pk_html_render(pk_doc *d, const char *s, size_t n, pk_error *err)
{
    return pk_html_render_enc(d, s, n, NULL, err);
}
