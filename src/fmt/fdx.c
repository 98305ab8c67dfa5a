/* fdx.c -- the Final Draft screenplay reader (.fdx, XML).
 *
 * A .fdx is <FinalDraft DocumentType="Script"> holding <Content>, a list of
 * <Paragraph Type="..."> each with one or more <Text> runs (one per style:
 * the runs are joined), and a <TitlePage> with a <Content> of its own.  A
 * <DualDialogue> (inside a paragraph without a type, or straight in the
 * content) holds the two blocks of dual dialogue.  Everything else
 * (<SceneProperties>, <ScriptNote>, <ElementSettings>, headers, smart
 * type lists ...) is skipped with its whole subtree.
 *
 * Rendered, as the Fountain reader renders the same screenplay (what is
 * said and done): Action, Dialogue, General, Shot, Lyrics, and paragraphs
 * of a type not listed here (a template's own types hold the writer's
 * words).  Not rendered: Scene Heading, Character, Parenthetical,
 * Transition, Cast List, New Act, End of Act.  Scenes are counted from
 * Scene Heading paragraphs, pages by the shared layout (layout.c):
 * dialogue and parentheticals follow their cue, every other paragraph has
 * a blank line before it; StartsNewPage="Yes" forces a page break; a
 * paragraph without words is a blank line.  A paragraph with line breaks
 * in its text is laid out a line at a time, as Fountain lines are (cues,
 * headings and transitions as one element).  Title and author: the first
 * line of the title page, and the line after "Written by" (or "by",
 * "Screenplay by" ...) or the rest of a later line "by Name".
 *
 * Source lines are the XML lines: the line of a paragraph's first <Text>,
 * plus the line breaks inside its text (never past the paragraph's end),
 * so they never go back.
 *
 * Parsing is libxml2's SAX2 interface in one pass over the input: nothing
 * of the document is kept but the paragraph being read, so memory is
 * libxml2's copy of the input, the rendered text, its maps and one
 * paragraph (a 54 MB file of a million paragraphs: 125 MB at the peak,
 * the caller's copy of the input included).  Safety: no DOCTYPE at all
 * (Final Draft writes none), so no entity is ever declared, expanded or
 * loaded: a billion-laughs or external-entity file is refused at its
 * DOCTYPE, before any declaration is read (and the SAX handlers neither
 * keep nor look up entities, so none exists even after an earlier error
 * has silenced the callbacks); no network (XML_PARSE_NONET),
 * no DTD loading, no XML_PARSE_HUGE (libxml2's limits on names, depth and
 * attribute sizes stay); at most PK_FDX_MAX_BYTES of input and
 * PK_FDX_MAX_PARAGRAPHS paragraphs.  libxml2 prints nothing: its errors
 * are caught (the first one, with its line, becomes the message), for the
 * parse and for the thread's global handlers, which are put back after. */
#include "fmt/fmt.h"

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#define PK_LAZY_XML /* libxml2 opened on first use: lazy.c */
#include "lazy.h"
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 1024 /* libxml2 stops at 256 without XML_PARSE_HUGE */

#if LIBXML_VERSION >= 21200
typedef const xmlError *pk_xml_error;
#else
typedef xmlErrorPtr pk_xml_error;
#endif

/* Paragraph types: how each is laid out and whether its words count. */
enum { T_LYRICS = -1 };
static const struct ptype {
    const char *name;
    int el;       /* PK_EL_*, or T_LYRICS: as dialogue inside a block, else action */
    int rendered;
    int scene;    /* starts a scene */
} ptypes[] = {
    {"Scene Heading", PK_EL_HEADING, 0, 1}, {"Action", PK_EL_ACTION, 1, 0},
    {"Character", PK_EL_CUE, 0, 0},         {"Dialogue", PK_EL_DIALOGUE, 1, 0},
    {"Parenthetical", PK_EL_PAREN, 0, 0},   {"Transition", PK_EL_TRANSITION, 0, 0},
    {"Shot", PK_EL_ACTION, 1, 0},           {"General", PK_EL_ACTION, 1, 0},
    {"Lyrics", T_LYRICS, 1, 0},             {"Cast List", PK_EL_ACTION, 0, 0},
    {"New Act", PK_EL_TRANSITION, 0, 0},    {"End of Act", PK_EL_TRANSITION, 0, 0},
    {NULL, PK_EL_ACTION, 1, 0}, /* no type, or one not listed */
};
#define T_OTHER (sizeof ptypes / sizeof ptypes[0] - 1)

/* What an open element is. */
enum { E_SKIP, E_ROOT, E_CONTENT, E_TITLEPAGE, E_TPCONTENT, E_PARA, E_DUAL, E_TEXT };

typedef struct frame {
    unsigned char code;    /* E_* */
    unsigned char type;    /* paragraph: ptypes index */
    unsigned char newpage; /* paragraph: StartsNewPage="Yes" */
    unsigned char inner;   /* paragraph: holds paragraphs (a dual dialogue wrapper) */
    unsigned char title;   /* in the title page */
} frame;

typedef struct fdx {
    pk_doc *d;
    pk_error *err;
    xmlParserCtxtPtr ctxt;
    int rc;                 /* the first failure, 0 while none */
    int root_seen;
    unsigned depth;
    frame st[MAX_DEPTH];
    int para;               /* stack index of the innermost open paragraph, -1 */
    pk_buf text;            /* its text so far */
    uint32_t text_line;     /* the line of its first <Text>, 0 before one */
    size_t paragraphs;
    pk_layout lay;
    uint32_t scene;
    int dual_cues;          /* cues seen in the open <DualDialogue>, -1 outside */
    int want_author;        /* title page: the last line was "Written by" */
} fdx;

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == '\n'; }

static void trim(const char **p, size_t *n)
{
    while (*n && is_ws(**p)) (*p)++, (*n)--;
    while (*n && is_ws((*p)[*n - 1])) (*n)--;
}

static uint32_t cur_line(fdx *F)
{
    int l = xmlSAX2GetLineNumber(F->ctxt);
    return l > 0 ? (uint32_t)l : 1;
}

/* Record the first failure, on the line the parser is at, and stop it. */
static void stop(fdx *F, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void stop(fdx *F, int code, const char *fmt, ...)
{
    if (F->rc) return;
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    F->rc = pk_fail(F->err, code, "line %u: %s", cur_line(F), why);
    xmlStopParser(F->ctxt);
}

/* ---- title page ---------------------------------------------------------- */

/* "Written by", "Screenplay by", "by", "By:" ... */
static int is_by_line(const char *p, size_t n)
{
    if (n && p[n - 1] == ':') n--;
    if (n < 2 || n > 40 || strncasecmp(p + n - 2, "by", 2) != 0) return 0;
    return n == 2 || p[n - 3] == ' ';
}

static void title_line(fdx *F, const char *p, size_t n)
{
    pk_doc *d = F->d;
    if (d->title[0] && !d->author[0] && n > 3 && strncasecmp(p, "by ", 3) == 0) {
        const char *a = p + 3;
        size_t an = n - 3;
        trim(&a, &an);
        pk_meta_append(d->author, sizeof d->author, "", a, an);
        F->want_author = 0;
        return;
    }
    if (is_by_line(p, n)) {
        F->want_author = !d->author[0];
        return;
    }
    if (F->want_author) {
        pk_meta_append(d->author, sizeof d->author, "", p, n);
        F->want_author = 0;
    } else if (!d->title[0]) {
        pk_meta_append(d->title, sizeof d->title, "", p, n);
    }
}

/* ---- paragraphs ---------------------------------------------------------- */

/* Lay out and render the open paragraph (frame f) with the text read so
 * far, then forget the text. */
static int flush(fdx *F, const frame *f)
{
    const char *s = F->text.data ? F->text.data : "", *p = s;
    size_t n = F->text.len, pn = n;
    uint32_t line = F->text_line ? F->text_line : cur_line(F), end = cur_line(F);
    F->text_line = 0;
    trim(&p, &pn);
    if (f->title) {
        for (size_t i = 0; i < n;) {
            const char *nl = memchr(s + i, '\n', n - i);
            size_t len = nl ? (size_t)(nl - (s + i)) : n - i;
            const char *q = s + i;
            trim(&q, &len);
            if (len) title_line(F, q, len);
            i = nl ? (size_t)(nl - s) + 1 : n;
        }
        pk_buf_reset(&F->text);
        return 0;
    }
    const struct ptype *t = &ptypes[f->type];
    int el = t->el == T_LYRICS ? (F->lay.in_dlg ? PK_EL_DIALOGUE : PK_EL_ACTION) : t->el;
    if (!pn) { /* no words: a blank line */
        pk_layout_blank(&F->lay);
        if (f->newpage) pk_layout_page_break(&F->lay);
        pk_buf_reset(&F->text);
        return 0;
    }
    if (el == PK_EL_CUE && F->dual_cues >= 0 && F->dual_cues++ > 0) el = PK_EL_DUAL_CUE;
    if (el != PK_EL_DIALOGUE && el != PK_EL_PAREN) pk_layout_blank(&F->lay);
    if (f->newpage) pk_layout_page_break(&F->lay);
    if (t->scene && F->scene < UINT32_MAX) F->scene++;
    if (el == PK_EL_HEADING || el == PK_EL_CUE || el == PK_EL_DUAL_CUE || el == PK_EL_TRANSITION) {
        pk_layout_element(&F->lay, el, p, pn);
    } else {
        for (size_t i = 0; i < n;) {
            const char *nl = memchr(s + i, '\n', n - i);
            size_t len = nl ? (size_t)(nl - (s + i)) : n - i;
            const char *q = s + i;
            i = nl ? (size_t)(nl - s) + 1 : n;
            trim(&q, &len);
            if (len) {
                uint32_t page = pk_layout_element(&F->lay, el, q, len);
                if (t->rendered && pk_doc_line(F->d, q, len, line, page, F->scene))
                    return PK_ENOMEM;
            }
            if (nl && line < end) line++;
        }
    }
    pk_buf_reset(&F->text);
    return 0;
}

static void type_of(const xmlChar **attrs, int nattrs, unsigned char *type, unsigned char *newpage)
{
    *type = (unsigned char)T_OTHER;
    *newpage = 0;
    for (int i = 0; i < nattrs; i++) {
        const char *name = (const char *)attrs[5 * i], *v = (const char *)attrs[5 * i + 3];
        size_t vn = (size_t)(attrs[5 * i + 4] - attrs[5 * i + 3]);
        if (strcmp(name, "Type") == 0) {
            for (size_t k = 0; k < T_OTHER; k++)
                if (strlen(ptypes[k].name) == vn && memcmp(ptypes[k].name, v, vn) == 0) *type = (unsigned char)k;
        } else if (strcmp(name, "StartsNewPage") == 0) {
            *newpage = vn == 3 && memcmp(v, "Yes", 3) == 0;
        }
    }
}

/* ---- SAX callbacks ------------------------------------------------------- */

static fdx *state(void *ctx) { return ((xmlParserCtxtPtr)ctx)->_private; }

static void on_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri, int nns,
                     const xmlChar **ns, int nattrs, int ndefaulted, const xmlChar **attrs)
{
    fdx *F = state(ctx);
    const char *name = (const char *)local;
    PK_UNUSED(prefix), PK_UNUSED(uri), PK_UNUSED(nns), PK_UNUSED(ns), PK_UNUSED(ndefaulted);
    if (F->rc) return;
    if (F->depth == MAX_DEPTH) {
        stop(F, PK_EFORMAT, "elements nested more than %d deep", MAX_DEPTH);
        return;
    }
    frame f = {E_SKIP, 0, 0, 0, 0};
    const frame *up = F->depth ? &F->st[F->depth - 1] : NULL;
    int code = up ? up->code : -1;
    f.title = up ? up->title : 0;
    if (!up) {
        if (strcmp(name, "FinalDraft") != 0) {
            stop(F, PK_EFORMAT, "not a Final Draft file: the root element is <%.60s>", name);
            return;
        }
        F->root_seen = 1;
        f.code = E_ROOT;
    } else if (code == E_ROOT) {
        if (strcmp(name, "Content") == 0) f.code = E_CONTENT;
        else if (strcmp(name, "TitlePage") == 0) f.code = E_TITLEPAGE, f.title = 1;
    } else if (code == E_TITLEPAGE) {
        if (strcmp(name, "Content") == 0) f.code = E_TPCONTENT;
    } else if (code == E_PARA && strcmp(name, "Text") == 0) {
        f.code = E_TEXT;
        if (!F->text_line) F->text_line = cur_line(F);
    } else if (code == E_CONTENT || code == E_TPCONTENT || code == E_DUAL || code == E_PARA) {
        /* A paragraph may wrap <DualDialogue>, or even paragraphs. */
        if (strcmp(name, "Paragraph") == 0) {
            if (++F->paragraphs > PK_FDX_MAX_PARAGRAPHS) {
                stop(F, PK_ETOOBIG, "more than %zu paragraphs, the most a Final Draft file may have",
                     PK_FDX_MAX_PARAGRAPHS);
                return;
            }
            if (F->para >= 0) { /* the words of the paragraph around it come first */
                frame *outer = &F->st[F->para];
                int rc = F->text_line ? flush(F, outer) : 0;
                outer->inner = 1;
                f.newpage = outer->newpage; /* a wrapper's page break is its first paragraph's */
                outer->newpage = 0;
                if (rc) {
                    stop(F, rc, "out of memory");
                    return;
                }
            }
            f.code = E_PARA;
            unsigned char newpage;
            type_of(attrs, nattrs, &f.type, &newpage);
            f.newpage |= newpage;
            F->para = (int)F->depth;
        } else if (strcmp(name, "DualDialogue") == 0 && !f.title) {
            f.code = E_DUAL;
            F->dual_cues = 0;
        }
    }
    F->st[F->depth++] = f;
}

static void on_end(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
    fdx *F = state(ctx);
    PK_UNUSED(local), PK_UNUSED(prefix), PK_UNUSED(uri);
    if (F->rc || F->depth == 0) return;
    frame *f = &F->st[--F->depth];
    if (f->code == E_PARA) {
        /* A wrapper's words were laid out before its paragraphs; one without
         * words after them is no blank line. */
        int rc = f->inner && !F->text_line ? 0 : flush(F, f);
        if (rc) {
            stop(F, rc, "out of memory");
            return;
        }
        F->para = -1;
        for (unsigned i = F->depth; i-- > 0;)
            if (F->st[i].code == E_PARA) {
                F->para = (int)i;
                break;
            }
    } else if (f->code == E_DUAL) {
        F->dual_cues = -1;
    }
}

static void on_text(void *ctx, const xmlChar *ch, int len)
{
    fdx *F = state(ctx);
    if (F->rc || F->depth == 0 || F->st[F->depth - 1].code != E_TEXT || len <= 0) return;
    if (pk_buf_append(&F->text, ch, (size_t)len)) stop(F, PK_ENOMEM, "out of memory");
}

static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
    PK_UNUSED(name), PK_UNUSED(ext), PK_UNUSED(sys);
    stop(state(ctx), PK_EFORMAT, "a DOCTYPE is refused (Final Draft writes none; no entity is ever expanded)");
}

static void on_entity(void *ctx, const xmlChar *name, int type, const xmlChar *pub, const xmlChar *sys,
                      xmlChar *content)
{
    PK_UNUSED(type), PK_UNUSED(pub), PK_UNUSED(sys), PK_UNUSED(content);
    stop(state(ctx), PK_EFORMAT, "entity declarations are refused: %.60s", (const char *)name);
}

/* libxml2's errors: the first one becomes the message (its first line).
 * The parser is not stopped from here: libxml2 2.9 goes on using the input
 * it would free (an unsupported encoding crashed that way); after a fatal
 * error it calls nothing but this, and ends in time linear in the input. */
static void on_error(void *ctx, pk_xml_error e)
{
    fdx *F = state(ctx);
    if (F->rc || !e || e->level < XML_ERR_ERROR) return;
    const char *m = e->message ? e->message : "malformed XML";
    int mn = (int)strcspn(m, "\n");
    while (mn > 0 && is_ws(m[mn - 1])) mn--;
    F->rc = pk_fail(F->err, PK_EFORMAT, "line %d: %s%.*s", e->line > 0 ? e->line : 1,
                    F->root_seen ? "malformed XML: " : "not a Final Draft file: ", mn, m);
}

/* For messages libxml2 sends to the generic handler: none are printed. */
static void quiet(void *ctx, const char *fmt, ...)
{
    PK_UNUSED(ctx), PK_UNUSED(fmt);
}

/* ---- the whole document -------------------------------------------------- */

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

int pk_fdx_render(pk_doc *d, const char *s, size_t n, pk_error *err)
{
    if (pk_lazy_xml(err)) return PK_EIO;
    d->format = PK_WORK_FDX;
    d->title[0] = d->author[0] = 0;
    if (n == 0) return pk_fail(err, PK_EFORMAT, "empty: not a Final Draft file");
    if (n > PK_FDX_MAX_BYTES)
        return pk_fail(err, PK_ETOOBIG, "%zu bytes: larger than the %zu MiB a Final Draft file may have", n,
                       PK_FDX_MAX_BYTES >> 20);
    pthread_once(&xml_once, xmlInitParser);

    fdx *F = calloc(1, sizeof *F); /* a frame stack too large for the stack */
    if (!F) return pk_fail(err, PK_ENOMEM, "out of memory");
    F->d = d;
    F->err = err;
    F->para = -1;
    F->dual_cues = -1;
    pk_buf_init(&F->text, 0);
    pk_layout_init(&F->lay);

    xmlStructuredErrorFunc old_s = xmlStructuredError;
    void *old_sctx = xmlStructuredErrorContext;
    xmlGenericErrorFunc old_g = xmlGenericError;
    void *old_gctx = xmlGenericErrorContext;
    int rc;
    xmlParserCtxtPtr ctxt = xmlCreateMemoryParserCtxt(s, (int)n);
    if (!ctxt) {
        rc = pk_fail(err, PK_ENOMEM, "out of memory");
        goto cleanup;
    }
    F->ctxt = ctxt;
    ctxt->_private = F; /* callbacks get ctxt (userData is ctxt by default) */
    xmlSAXHandler sax;
    memset(&sax, 0, sizeof sax);
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = on_start;
    sax.endElementNs = on_end;
    sax.characters = on_text;
    sax.cdataBlock = on_text;
    sax.internalSubset = on_doctype;
    sax.entityDecl = on_entity;
    sax.serror = on_error;
    memcpy(ctxt->sax, &sax, sizeof sax);
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET);
    xmlSetStructuredErrorFunc(ctxt, on_error);
    xmlSetGenericErrorFunc(NULL, quiet);

    xmlParseDocument(ctxt);
    rc = F->rc;
    if (!rc && (!ctxt->wellFormed || !F->root_seen))
        rc = pk_fail(err, PK_EFORMAT, "line %u: not a Final Draft file: not well-formed XML", cur_line(F));

cleanup:
    xmlSetStructuredErrorFunc(old_sctx, old_s);
    xmlSetGenericErrorFunc(old_gctx, old_g);
    if (ctxt) {
        /* No startDocument handler, but libxml2 still makes a document to
         * hold a DTD when it meets an entity declaration (read before the
         * DOCTYPE refusal can stop it): free it. */
        if (ctxt->myDoc) xmlFreeDoc(ctxt->myDoc);
        ctxt->myDoc = NULL;
        xmlFreeParserCtxt(ctxt);
    }
    pk_buf_free(&F->text);
    free(F);
    return rc;
}
