/* container.c -- works in zip containers: EPUB and DOCX.
 *
 * libarchive reads the zip from memory (its seeking reader, from the
 * central directory); only the entries a reader needs are inflated (XML,
 * XHTML and HTML files), into memory, with hard limits so a zip bomb is
 * refused in bounded time and memory: at most PK_ZIP_MAX_ENTRIES entries,
 * and at most PK_ZIP_MAX_BYTES inflated in all and no more than
 * PK_ZIP_MAX_RATIO times the container's size (but always 1 MiB).  The
 * bytes are counted as they come out of the inflater, so an entry that
 * lies about its size is stopped all the same.
 *
 * XML (container.xml, the OPF, document.xml, core.xml) is parsed by
 * libxml2 with no network, no DTD loading and no entity substitution;
 * and a DOCTYPE is refused outright (none of these files has one), so no
 * entity is ever declared.  XHTML items of an EPUB go through html.c's
 * HTML parser (which reads no internal subset); one with an internal
 * subset (a DOCTYPE with '[') is refused all the same.
 *
 * EPUB: META-INF/container.xml names the OPF (the first rootfile); the
 * OPF's spine gives the reading order of manifest items (at most
 * PK_ZIP_MAX_ENTRIES of each); each XHTML/HTML item is rendered by
 * html.c (at most PK_ZIP_MAX_BYTES in all, so a spine naming one big item
 * ten thousand times is refused too).  Title: the OPF's first dc:title
 * (else the first item's <title>); author: its dc:creator elements joined
 * by "; ".
 * Lines: the source lines of the spine's files as if read one after
 * another (an item's line k is the lines of the items before it plus k),
 * so they never go back; no pages (a spine item is a file, not a page),
 * no scenes.
 *
 * DOCX: word/document.xml; each w:p paragraph is one rendered line of its
 * w:t runs (w:tab: a space; w:br, w:cr: a new rendered line of the same
 * paragraph); deleted text (w:delText) and the fallback copies of
 * drawings (mc:Fallback) are not rendered.  A rendered line's "line" is
 * its paragraph's number (document.xml is usually one long XML line, so
 * that is what a writer can find again); no pages, no scenes.  Title and
 * author: dc:title and dc:creator of docProps/core.xml. */
#include "fmt/fmt.h"

#include <archive.h>
#include <archive_entry.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#define PK_LAZY_XML /* libxml2 and libarchive opened on first use: lazy.c */
#define PK_LAZY_ARCHIVE
#include "lazy.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PK_ZIP_MAX_ENTRIES 10000
#define PK_ZIP_MAX_BYTES ((size_t)256 << 20)
#define PK_ZIP_MAX_RATIO 100

static void quiet(void *ctx, const char *msg, ...) { PK_UNUSED(ctx); PK_UNUSED(msg); }

typedef struct zentry {
    char *name;
    pk_buf data;
} zentry;

typedef struct zip {
    zentry *e;
    size_t n, cap;
    int first_mimetype_epub; /* the first entry is "mimetype" saying EPUB */
} zip;

static void zip_free(zip *z)
{
    for (size_t i = 0; i < z->n; i++) {
        free(z->e[i].name);
        pk_buf_free(&z->e[i].data);
    }
    free(z->e);
    memset(z, 0, sizeof *z);
}

static int wanted(const char *name)
{
    static const char *const ext[] = {".xml", ".opf", ".xhtml", ".html", ".htm", NULL};
    if (strcmp(name, "mimetype") == 0) return 1;
    for (int i = 0; ext[i]; i++) {
        size_t l = strlen(name), e = strlen(ext[i]);
        if (l >= e && strcasecmp(name + l - e, ext[i]) == 0) return 1;
    }
    return 0;
}

/* Inflate the wanted entries of the zip s[0..n) (all of them when
 * only == NULL, else those whose name passes only()). */
static int zip_read(zip *z, const char *s, size_t n, const char *what, pk_error *err)
{
    memset(z, 0, sizeof *z);
    if (pk_lazy_archive(err) || pk_lazy_xml(err)) return PK_EIO; /* the members are XML */
    size_t budget = n > PK_ZIP_MAX_BYTES / PK_ZIP_MAX_RATIO ? PK_ZIP_MAX_BYTES : n * PK_ZIP_MAX_RATIO;
    if (budget < ((size_t)1 << 20)) budget = (size_t)1 << 20;
    struct archive *a = archive_read_new();
    if (!a) return pk_fail(err, PK_ENOMEM, "out of memory");
    archive_read_support_format_zip(a);
    int rc = 0;
    if (archive_read_open_memory(a, s, n) != ARCHIVE_OK) {
        rc = pk_fail(err, PK_EFORMAT, "%s: not a zip container: %s", what, archive_error_string(a));
        goto out;
    }
    size_t total = 0, entries = 0;
    char buf[65536];
    for (;;) {
        struct archive_entry *ae;
        int r = archive_read_next_header(a, &ae);
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            rc = pk_fail(err, PK_EFORMAT, "%s: damaged zip container: %s", what, archive_error_string(a));
            goto out;
        }
        if (++entries > PK_ZIP_MAX_ENTRIES) {
            rc = pk_fail(err, PK_ETOOBIG, "%s: more than %d entries in the zip container", what, PK_ZIP_MAX_ENTRIES);
            goto out;
        }
        const char *name = archive_entry_pathname(ae);
        if (!name || archive_entry_filetype(ae) != AE_IFREG || !wanted(name)) continue;
        if (z->n == z->cap) {
            size_t nc = z->cap ? 2 * z->cap : 16;
            zentry *ne = realloc(z->e, nc * sizeof *ne);
            if (!ne) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto out; }
            z->e = ne;
            z->cap = nc;
        }
        zentry *e = &z->e[z->n];
        e->name = strdup(name);
        pk_buf_init(&e->data, 0);
        if (!e->name) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto out; }
        z->n++;
        for (;;) {
            la_ssize_t got = archive_read_data(a, buf, sizeof buf);
            if (got == 0) break;
            if (got < 0) {
                rc = pk_fail(err, PK_EFORMAT, "%s: damaged zip entry %s: %s", what, name, archive_error_string(a));
                goto out;
            }
            total += (size_t)got;
            if (total > budget) {
                rc = pk_fail(err, PK_ETOOBIG, "%s: zip container inflates past %zu bytes (a zip bomb?)", what, budget);
                goto out;
            }
            if (pk_buf_append(&e->data, buf, (size_t)got)) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto out; }
        }
        if (entries == 1 && strcmp(name, "mimetype") == 0 && e->data.len >= 20 &&
            memcmp(e->data.data, "application/epub+zip", 20) == 0)
            z->first_mimetype_epub = 1;
    }
out:
    archive_read_free(a);
    if (rc) zip_free(z);
    return rc;
}

static const pk_buf *zip_get(const zip *z, const char *name)
{
    for (size_t i = 0; i < z->n; i++)
        if (strcmp(z->e[i].name, name) == 0) return &z->e[i].data;
    return NULL;
}

/* A DOCTYPE anywhere (any = 1) or one with an internal subset (any = 0). */
static int has_doctype(const char *s, size_t n, int any)
{
    for (const char *p = s; (p = memmem(p, n - (size_t)(p - s), "<!", 2)) != NULL; p += 2) {
        if ((size_t)(s + n - p) < 9 || strncasecmp(p, "<!DOCTYPE", 9) != 0) continue;
        if (any) return 1;
        for (const char *q = p + 9; q < s + n; q++) {
            if (*q == '>') break;
            if (*q == '[') return 1;
        }
    }
    return 0;
}

static xmlDocPtr parse_xml(const pk_buf *b, const char *what, const char *name, pk_error *err, int *rc)
{
    *rc = 0;
    if (!b || b->len == 0) {
        *rc = pk_fail(err, PK_EFORMAT, "%s: no %s in the container", what, name);
        return NULL;
    }
    if (b->len > 0x7fffffff) {
        *rc = pk_fail(err, PK_ETOOBIG, "%s: %s too large", what, name);
        return NULL;
    }
    if (has_doctype(b->data, b->len, 1)) {
        *rc = pk_fail(err, PK_EFORMAT, "%s: %s has a DOCTYPE (refused: entities)", what, name);
        return NULL;
    }
    xmlSetGenericErrorFunc(NULL, quiet);
    xmlDocPtr doc = xmlReadMemory(b->data, (int)b->len, NULL, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc || !xmlDocGetRootElement(doc)) {
        if (doc) xmlFreeDoc(doc);
        *rc = pk_fail(err, PK_EFORMAT, "%s: %s is not well-formed XML", what, name);
        return NULL;
    }
    /* The byte search above misses a DOCTYPE in UTF-16: check the parse. */
    if (doc->intSubset || doc->extSubset) {
        xmlFreeDoc(doc);
        *rc = pk_fail(err, PK_EFORMAT, "%s: %s has a DOCTYPE (refused: entities)", what, name);
        return NULL;
    }
    return doc;
}

static int named(xmlNode *n, const char *local)
{
    return n->type == XML_ELEMENT_NODE && n->name && strcmp((const char *)n->name, local) == 0;
}

/* Text of n's subtree, whitespace collapsed, appended to a title or author. */
static void meta_of(xmlNode *n, char *dst, size_t cap, const char *sep)
{
    xmlChar *t = xmlNodeGetContent(n);
    if (!t) return;
    char tmp[512];
    size_t k = 0;
    int sp = 0;
    for (const char *p = (const char *)t; *p && k + 2 < sizeof tmp; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') { sp = k > 0; continue; }
        if (sp) tmp[k++] = ' ';
        sp = 0;
        tmp[k++] = *p;
    }
    xmlFree(t);
    /* never cut inside a character */
    while (k && ((unsigned char)tmp[k - 1] & 0xC0) == 0x80) k--;
    if (k && (unsigned char)tmp[k - 1] >= 0xC0) k--;
    pk_meta_append(dst, cap, sep, tmp, k);
}

/* Depth-first search for the first element named local under n (bounded
 * by libxml2's depth limit). */
static xmlNode *find(xmlNode *n, const char *local)
{
    for (; n; n = n->next) {
        if (named(n, local)) return n;
        if (n->type == XML_ELEMENT_NODE) {
            xmlNode *f = find(n->children, local);
            if (f) return f;
        }
    }
    return NULL;
}

/* ---- DOCX ----------------------------------------------------------------- */

typedef struct docx {
    pk_doc *d;
    pk_buf cur;
    uint32_t para;
    int rc;
} docx;

static void docx_flush(docx *x)
{
    if (x->rc) return;
    const char *p = x->cur.data ? x->cur.data : "";
    size_t n = x->cur.len;
    while (n && (*p == ' ')) p++, n--;
    while (n && p[n - 1] == ' ') n--;
    if (n) x->rc = pk_doc_line(x->d, p, n, x->para, 0, 0);
    pk_buf_reset(&x->cur);
}

static void docx_walk(docx *x, xmlNode *n)
{
    for (; n && !x->rc; n = n->next) {
        if (n->type != XML_ELEMENT_NODE || !n->name) continue;
        const char *nm = (const char *)n->name;
        if (strcmp(nm, "Fallback") == 0 || strcmp(nm, "delText") == 0 || strcmp(nm, "instrText") == 0) continue;
        if (strcmp(nm, "p") == 0) {
            docx_flush(x); /* a paragraph inside a paragraph (a text box) */
            if (x->para < UINT32_MAX) x->para++;
            docx_walk(x, n->children);
            docx_flush(x);
            continue;
        }
        if (strcmp(nm, "t") == 0) {
            xmlChar *t = xmlNodeGetContent(n);
            if (t) {
                for (const char *p = (const char *)t; *p && !x->rc; p++) {
                    char c = *p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p;
                    if (pk_buf_putc(&x->cur, c)) x->rc = PK_ENOMEM;
                }
                xmlFree(t);
            }
            continue;
        }
        if (strcmp(nm, "tab") == 0) {
            if (pk_buf_putc(&x->cur, ' ')) x->rc = PK_ENOMEM;
            continue;
        }
        if (strcmp(nm, "br") == 0 || strcmp(nm, "cr") == 0) {
            docx_flush(x);
            continue;
        }
        docx_walk(x, n->children);
    }
}

int pk_docx_render(pk_doc *d, const char *s, size_t n, pk_error *err)
{
    zip z;
    int rc = zip_read(&z, s, n, "DOCX", err);
    if (rc) return rc;
    xmlDocPtr doc = parse_xml(zip_get(&z, "word/document.xml"), "DOCX", "word/document.xml", err, &rc);
    if (!doc) goto out;
    docx x;
    memset(&x, 0, sizeof x);
    x.d = d;
    pk_buf_init(&x.cur, 0);
    xmlNode *body = find(xmlDocGetRootElement(doc), "body");
    if (body) docx_walk(&x, body->children);
    docx_flush(&x);
    pk_buf_free(&x.cur);
    xmlFreeDoc(doc);
    if (x.rc) { rc = pk_fail(err, x.rc, "DOCX: %s", pk_strerror(x.rc)); goto out; }
    const pk_buf *core = zip_get(&z, "docProps/core.xml");
    if (core && core->len) {
        int crc;
        pk_error ignore;
        xmlDocPtr c = parse_xml(core, "DOCX", "docProps/core.xml", &ignore, &crc);
        if (c) {
            xmlNode *root = xmlDocGetRootElement(c), *t;
            if ((t = find(root, "title")) != NULL) meta_of(t, d->title, sizeof d->title, "");
            if ((t = find(root, "creator")) != NULL) meta_of(t, d->author, sizeof d->author, "");
            xmlFreeDoc(c);
        }
    }
out:
    zip_free(&z);
    return rc;
}

/* ---- EPUB ----------------------------------------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') return (c | 0x20) - 'a' + 10;
    return -1;
}

/* base (a directory, "" or ending in '/') + href (percent-decoded, no
 * fragment), with "." and ".." resolved, into out. */
static void resolve(const char *base, const char *href, char *out, size_t cap)
{
    char tmp[1024];
    size_t k = 0;
    if (href[0] != '/')
        for (const char *p = base; *p && k + 1 < sizeof tmp; p++) tmp[k++] = *p;
    else
        href++;
    for (const char *p = href; *p && *p != '#' && *p != '?' && k + 1 < sizeof tmp; p++) {
        if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            tmp[k++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 2;
        } else {
            tmp[k++] = *p;
        }
    }
    tmp[k] = 0;
    /* segments */
    size_t o = 0;
    out[0] = 0;
    for (char *seg = tmp; seg && *seg;) {
        char *sl = strchr(seg, '/');
        if (sl) *sl = 0;
        if (strcmp(seg, "..") == 0) {
            while (o && out[o - 1] == '/') o--;
            while (o && out[o - 1] != '/') o--;
        } else if (*seg && strcmp(seg, ".") != 0) {
            size_t l = strlen(seg);
            if (o + l + 2 < cap) {
                memcpy(out + o, seg, l);
                o += l;
                if (sl) out[o++] = '/';
            }
        }
        out[o] = 0;
        seg = sl ? sl + 1 : NULL;
    }
}

static char *attr(xmlNode *n, const char *name)
{
    return (char *)xmlGetProp(n, (const xmlChar *)name);
}

/* Is n's attribute name exactly v?  (No allocation: the spine is matched
 * against the manifest item by item.) */
static int attr_is(xmlNode *n, const char *name, const char *v)
{
    xmlAttr *a = xmlHasProp(n, (const xmlChar *)name);
    if (!a || !a->children || a->children->next || a->children->type != XML_TEXT_NODE) return 0;
    return a->children->content && strcmp((const char *)a->children->content, v) == 0;
}

static size_t count_named(xmlNode *n, const char *local)
{
    size_t k = 0;
    for (; n; n = n->next) k += (size_t)named(n, local);
    return k;
}

int pk_epub_render(pk_doc *d, const char *s, size_t n, pk_error *err)
{
    zip z;
    int rc = zip_read(&z, s, n, "EPUB", err);
    if (rc) return rc;
    xmlDocPtr cont = NULL, opf = NULL;
    char opf_path[1024] = "", base[1024] = "";
    cont = parse_xml(zip_get(&z, "META-INF/container.xml"), "EPUB", "META-INF/container.xml", err, &rc);
    if (!cont) goto out;
    for (xmlNode *rf = find(xmlDocGetRootElement(cont), "rootfile"); rf; rf = NULL) {
        char *fp = attr(rf, "full-path");
        if (fp) resolve("", fp, opf_path, sizeof opf_path);
        xmlFree(fp);
    }
    if (!opf_path[0]) { rc = pk_fail(err, PK_EFORMAT, "EPUB: container.xml names no package (rootfile)"); goto out; }
    opf = parse_xml(zip_get(&z, opf_path), "EPUB", opf_path, err, &rc);
    if (!opf) goto out;
    const char *slash = strrchr(opf_path, '/');
    if (slash) {
        memcpy(base, opf_path, (size_t)(slash - opf_path) + 1);
        base[slash - opf_path + 1] = 0;
    }
    xmlNode *root = xmlDocGetRootElement(opf);
    xmlNode *meta = find(root, "metadata");
    if (meta) {
        for (xmlNode *m = meta->children; m; m = m->next) {
            if (named(m, "title") && !d->title[0]) meta_of(m, d->title, sizeof d->title, "");
            else if (named(m, "creator")) meta_of(m, d->author, sizeof d->author, "; ");
        }
    }
    xmlNode *manifest = find(root, "manifest"), *spine = find(root, "spine");
    if (!manifest || !spine) { rc = pk_fail(err, PK_EFORMAT, "EPUB: %s has no manifest or spine", opf_path); goto out; }
    if (count_named(manifest->children, "item") > PK_ZIP_MAX_ENTRIES ||
        count_named(spine->children, "itemref") > PK_ZIP_MAX_ENTRIES) {
        rc = pk_fail(err, PK_ETOOBIG, "EPUB: more than %d items in %s", PK_ZIP_MAX_ENTRIES, opf_path);
        goto out;
    }
    char title[sizeof d->title] = "";
    uint32_t offset = 0;
    size_t rendered = 0;
    for (xmlNode *ir = spine->children; ir && !rc; ir = ir->next) {
        if (!named(ir, "itemref")) continue;
        char *idref = attr(ir, "idref");
        char *href = NULL, *mt = NULL;
        for (xmlNode *it = manifest->children; it && idref && !href; it = it->next) {
            if (!named(it, "item") || !attr_is(it, "id", idref)) continue;
            href = attr(it, "href");
            mt = attr(it, "media-type");
        }
        xmlFree(idref);
        char path[1024] = "";
        if (href) resolve(base, href, path, sizeof path);
        int html = mt ? strcmp(mt, "application/xhtml+xml") == 0 || strcmp(mt, "text/html") == 0 : wanted(path);
        xmlFree(href);
        xmlFree(mt);
        if (!html || !path[0]) continue;
        const pk_buf *b = zip_get(&z, path);
        if (!b) { rc = pk_fail(err, PK_EFORMAT, "EPUB: spine item %s is not in the container", path); break; }
        if ((rendered += b->len) > PK_ZIP_MAX_BYTES) {
            rc = pk_fail(err, PK_ETOOBIG, "EPUB: spine renders more than %zu bytes", PK_ZIP_MAX_BYTES);
            break;
        }
        if (has_doctype(b->data ? b->data : "", b->len, 0)) {
            rc = pk_fail(err, PK_EFORMAT, "EPUB: %s declares entities in its DOCTYPE (refused)", path);
            break;
        }
        pk_doc item;
        pk_doc_init(&item);
        rc = pk_html_render(&item, b->data ? b->data : "", b->len, err);
        const char *p = item.text.data;
        for (size_t i = 0; i < item.nlines && !rc; i++) {
            const char *nl = strchr(p, '\n');
            uint64_t l = (uint64_t)offset + item.line[i];
            rc = pk_doc_line(d, p, (size_t)(nl - p), l > UINT32_MAX ? UINT32_MAX : (uint32_t)l, 0, 0);
            p = nl + 1;
        }
        if (!title[0] && item.title[0]) memcpy(title, item.title, sizeof title);
        pk_doc_free(&item);
        if (rc) { rc = pk_fail(err, rc, "EPUB: %s", pk_strerror(rc)); break; }
        /* the next item's lines follow this one's */
        size_t lines = b->len && b->data[b->len - 1] != '\n';
        for (size_t i = 0; i < b->len; i++) lines += b->data[i] == '\n';
        uint64_t no = (uint64_t)offset + lines;
        offset = no > UINT32_MAX ? UINT32_MAX : (uint32_t)no;
    }
    if (!rc && !d->title[0] && title[0]) memcpy(d->title, title, sizeof d->title);
out:
    if (cont) xmlFreeDoc(cont);
    if (opf) xmlFreeDoc(opf);
    zip_free(&z);
    return rc;
}

/* For doc.c's sniffing: is s[0..n) an EPUB (mimetype first) or a DOCX
 * (holds word/document.xml)?  Reads only the zip's directory. */
int pk_zip_kind(const char *s, size_t n)
{
    if (n < 4 || memcmp(s, "PK\3\4", 4) != 0) return 0;
    /* EPUB: the first local header is "mimetype", stored (method 0), with
     * the type as its data (after the name and any extra field). */
    if (n >= 30) {
        const unsigned char *u = (const unsigned char *)s;
        size_t method = (size_t)u[8] | (size_t)u[9] << 8, nl = (size_t)u[26] | (size_t)u[27] << 8,
               el = (size_t)u[28] | (size_t)u[29] << 8;
        if (method == 0 && nl == 8 && n >= 30 + nl + el + 20 && memcmp(s + 30, "mimetype", 8) == 0 &&
            memcmp(s + 30 + nl + el, "application/epub+zip", 20) == 0)
            return PK_WORK_EPUB;
    }
    pk_error e;
    if (pk_lazy_archive(&e)) return PK_WORK_DOCX; /* a zip: its reader then names the missing library */
    struct archive *a = archive_read_new();
    if (!a) return 0;
    archive_read_support_format_zip(a);
    int kind = 0;
    if (archive_read_open_memory(a, s, n) == ARCHIVE_OK) {
        struct archive_entry *ae;
        for (int i = 0; i < PK_ZIP_MAX_ENTRIES && archive_read_next_header(a, &ae) == ARCHIVE_OK; i++) {
            const char *name = archive_entry_pathname(ae);
            if (name && strcmp(name, "word/document.xml") == 0) { kind = PK_WORK_DOCX; break; }
        }
    }
    archive_read_free(a);
    return kind;
}
