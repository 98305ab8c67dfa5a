/* fountain.c -- the Fountain screenplay reader (fountain.io syntax 1.1).
 *
 * Renders what is said and done: action (forced '!' too), dialogue,
 * lyrics ('~') and centered text ('>text<'), one rendered line per source
 * line, markup dropped: the forcing character, emphasis markers (*, **,
 * ***, _ in pairs on one line; \* and \_ are literal), leading and trailing
 * white space.  Not rendered: the title page (its Title goes to d->title,
 * its Author/Authors to d->author), scene headings, character cues,
 * parentheticals, transitions, sections ('#'), synopses ('='), page breaks
 * ('==='), notes ([[...]]) and the boneyard (slash-star ... star-slash).
 *
 * One pass, one line of lookahead, no recursion:
 *   - The reader cuts notes and boneyard out of each line as it goes (a
 *     boneyard spans any lines and an unterminated one runs to the end; a
 *     note spans lines but, as the spec says, not a blank line, so an
 *     unclosed "[[" runs to the end of its paragraph).  A line that held
 *     only a note or boneyard is gone, not blank: it neither separates nor
 *     joins elements.  A blank line is one of only white space, except
 *     exactly two spaces, which "connects" (keeps a dialogue block going).
 *   - Elements are told apart as the spec says, on the line with leading
 *     white space ignored: a scene heading (INT, EXT, EST, INT./EXT,
 *     INT/EXT, I/E, I./E then '.' or ' ', case-insensitive; or '.' and an
 *     alphanumeric) needs a blank line before it; a character cue (no
 *     lowercase letter and at least one uppercase one before any '(', so
 *     extensions may be in any case; '@' forces; '^' at the end marks dual
 *     dialogue) needs a blank line before and a non-blank line after; a
 *     transition (all caps ending in "TO:") needs blank lines around; '>'
 *     forces one.  Lines after a cue up to a blank line are dialogue, those
 *     wrapped in parentheses parentheticals.
 *   - Title page: the first paragraph, when its first line is "Key:" with a
 *     key the spec lists (Title, Credit, Author ...); values may continue
 *     on indented lines.  Page 1 starts after it.
 *
 * Pages are the shared estimate of layout.c (55 lines a page of Courier
 * 12, standard widths, keep-with-next, (CONT'D), dual dialogue); '==='
 * forces a page break.  The widths are measured on the line as written,
 * emphasis markers included.
 *
 * Scenes are counted: 0 before the first heading, then 1, 2, ... whatever
 * scene numbers (#12A#) the headings carry.
 *
 * Input: UTF-8, a BOM skipped; UTF-16 with a BOM is converted first (line
 * numbers are the same).  Lines end in LF or CRLF.  Other bytes, invalid
 * UTF-8 and NUL included, pass through (the tokenizer judges them); only
 * a malformed UTF-16 text is refused, and more than 2^32 - 1 lines.
 * Memory: the rendered text (at most the input plus a newline per line),
 * the pk_doc's three words a rendered line, and four scratch buffers no
 * larger than the longest line that needs rewriting (a note or boneyard
 * cut out, emphasis removed). */
#include "fmt/fmt.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#define EMPH_DEPTH 32 /* unmatched emphasis openers remembered per kind */

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

static int ws_only(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_ws(p[i])) return 0;
    return 1;
}

static void trim(const char **p, size_t *n)
{
    while (*n && is_ws(**p)) (*p)++, (*n)--;
    while (*n && is_ws((*p)[*n - 1])) (*n)--;
}

/* ---- source lines, notes and boneyard cut out ---------------------------- */

enum { L_TEXT, L_BLANK, L_SPACER, L_GONE };

typedef struct fline {
    const char *p; /* the text: into the input, or into buf when cut */
    size_t n;
    uint32_t no;   /* 1-based source line */
    int kind;      /* L_TEXT, L_BLANK or L_SPACER */
    pk_buf buf;
} fline;

typedef struct reader {
    const char *s;
    size_t n, pos;
    uint32_t lineno;
    int boneyard, note; /* inside one at the start of the next line */
} reader;

/* Index of the first "slash-star" or "[[" in p[i..n), or n. */
static size_t next_open(const char *p, size_t i, size_t n)
{
    for (; i + 1 < n; i++)
        if ((p[i] == '/' && p[i + 1] == '*') || (p[i] == '[' && p[i + 1] == '[')) return i;
    return n;
}

/* Classify one raw line (no newline) and cut notes and boneyard out of it.
 * Returns an L_* kind or PK_ENOMEM. */
static int cut_line(reader *r, const char *p, size_t n, fline *out)
{
    out->p = p;
    out->n = n;
    if (!r->boneyard && ws_only(p, n)) {
        int spacer = n == 2 && p[0] == ' ' && p[1] == ' ';
        out->n = 0;
        if (r->note) {
            if (spacer) return L_GONE;
            r->note = 0; /* a blank line ends a note */
            return L_BLANK;
        }
        return spacer ? L_SPACER : L_BLANK;
    }
    if (!r->boneyard && !r->note && next_open(p, 0, n) == n) return L_TEXT;
    pk_buf_reset(&out->buf);
    size_t i = 0;
    while (i < n) {
        if (r->boneyard || r->note) {
            const char *e = memmem(p + i, n - i, r->boneyard ? "*/" : "]]", 2);
            if (!e) break;
            i = (size_t)(e - p) + 2;
            r->boneyard = r->note = 0;
            continue;
        }
        size_t j = next_open(p, i, n);
        if (pk_buf_append(&out->buf, p + i, j - i)) return PK_ENOMEM;
        if (j == n) break;
        if (p[j] == '/') r->boneyard = 1;
        else r->note = 1;
        i = j + 2;
    }
    out->p = out->buf.data ? out->buf.data : "";
    out->n = out->buf.len;
    return ws_only(out->p, out->n) ? L_GONE : L_TEXT;
}

/* The next line that is not gone: 1, 0 at the end, or a PK_E* code. */
static int read_line(reader *r, fline *out, pk_error *err)
{
    while (r->pos < r->n) {
        const char *p = r->s + r->pos;
        size_t rest = r->n - r->pos;
        const char *nl = memchr(p, '\n', rest);
        size_t len = nl ? (size_t)(nl - p) : rest;
        r->pos += nl ? len + 1 : len;
        if (r->lineno == UINT32_MAX) return pk_fail(err, PK_ETOOBIG, "more than %u lines", UINT32_MAX);
        r->lineno++;
        if (len && p[len - 1] == '\r') len--;
        int k = cut_line(r, p, len, out);
        if (k < 0) return pk_fail(err, k, "line %u: out of memory", r->lineno);
        if (k == L_GONE) continue;
        out->kind = k;
        out->no = r->lineno;
        return 1;
    }
    return 0;
}

/* ---- what a line is ------------------------------------------------------ */

/* No lowercase letter and at least one uppercase one. */
static int all_caps(const char *p, size_t n)
{
    int upper = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x80) {
            if (c >= 'a' && c <= 'z') return 0;
            if (c >= 'A' && c <= 'Z') upper = 1;
            i++;
            continue;
        }
        int32_t cp;
        size_t l = pk_utf8_decode((const uint8_t *)p + i, n - i, &cp);
        if (!l) {
            i++;
            continue;
        }
        if (utf8proc_islower(cp)) return 0;
        if (utf8proc_isupper(cp)) upper = 1;
        i += l;
    }
    return upper;
}

/* A scene heading, or one forced by a '.' before a letter or digit (so
 * that "..." is not one). */
static int is_heading(const char *t, size_t n)
{
    if (n > 1 && t[0] == '.') {
        unsigned char c = (unsigned char)t[1];
        return c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    }
    static const char *const pre[] = {"INT./EXT", "INT/EXT", "I./E", "I/E", "INT", "EXT", "EST"};
    for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
        size_t l = strlen(pre[i]);
        if (n > l && strncasecmp(t, pre[i], l) == 0 && (t[l] == '.' || t[l] == ' ')) return 1;
    }
    return 0;
}

/* A character cue (t trimmed, any '@' removed): *dual when it ends in '^'.
 * forced: no case rule. */
static int is_cue(const char *t, size_t n, int forced, int *dual)
{
    *dual = 0;
    if (n && t[n - 1] == '^') {
        *dual = 1;
        n--;
        trim(&t, &n);
    }
    if (!n) return 0;
    if (forced) return 1;
    const char *paren = memchr(t, '(', n);
    size_t name = paren ? (size_t)(paren - t) : n;
    return name > 0 && all_caps(t, name);
}

static int is_page_break(const char *t, size_t n)
{
    if (n < 3) return 0;
    for (size_t i = 0; i < n; i++)
        if (t[i] != '=') return 0;
    return 1;
}

static int is_transition(const char *t, size_t n)
{
    return n >= 3 && memcmp(t + n - 3, "TO:", 3) == 0 && all_caps(t, n);
}

typedef struct render {
    pk_doc *d;
    pk_error *err;
    uint32_t scene;
    pk_layout lay;
    pk_buf out, mask; /* emphasis scratch */
} render;

/* ---- rendering ----------------------------------------------------------- */

/* p[0..n) with paired emphasis markers removed and \* \_ unescaped;
 * *o points into p or into R->out. */
static int strip_emphasis(render *R, const char *p, size_t n, const char **o, size_t *on)
{
    *o = p;
    *on = n;
    size_t i = 0;
    while (i < n && p[i] != '*' && p[i] != '_' && p[i] != '\\') i++;
    if (i == n) return 0;
    pk_buf_reset(&R->mask);
    pk_buf_reset(&R->out);
    if (pk_buf_reserve(&R->mask, n) || pk_buf_reserve(&R->out, n)) return PK_ENOMEM;
    char *drop = R->mask.data;
    memset(drop, 0, n);
    size_t open[4][EMPH_DEPTH];
    unsigned depth[4] = {0, 0, 0, 0};
    while (i < n) {
        char c = p[i];
        if (c == '\\' && i + 1 < n && (p[i + 1] == '*' || p[i + 1] == '_')) {
            drop[i] = 1;
            i += 2;
            continue;
        }
        if (c != '*' && c != '_') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && p[j] == c) j++;
        size_t len = j - i;
        int kind = c == '_' ? (len == 1 ? 3 : -1) : (len <= 3 ? (int)len - 1 : -1);
        if (kind >= 0) {
            int closes = i > 0 && !is_ws(p[i - 1]) && depth[kind] > 0;
            int opens = j < n && !is_ws(p[j]);
            if (closes) {
                memset(drop + open[kind][--depth[kind]], 1, len);
                memset(drop + i, 1, len);
            } else if (opens && depth[kind] < EMPH_DEPTH) {
                open[kind][depth[kind]++] = i;
            }
        }
        i = j;
    }
    char *w = R->out.data;
    size_t k = 0;
    for (i = 0; i < n; i++)
        if (!drop[i]) w[k++] = p[i];
    *o = w;
    *on = k;
    return 0;
}

/* Render one line of text (markup still in it) from source line no. */
static int emit(render *R, const char *p, size_t n, uint32_t no, uint32_t page)
{
    const char *o;
    size_t on;
    if (strip_emphasis(R, p, n, &o, &on)) return pk_fail(R->err, PK_ENOMEM, "line %u: out of memory", no);
    trim(&o, &on);
    if (!on) return 0;
    if (pk_doc_line(R->d, o, on, no, page, R->scene))
        return pk_fail(R->err, PK_ENOMEM, "line %u: out of memory", no);
    return 0;
}

/* Render and lay out text printed as a PK_EL_* element. */
static int printed(render *R, const char *p, size_t n, uint32_t no, int kind)
{
    trim(&p, &n);
    return emit(R, p, n, no, pk_layout_element(&R->lay, kind, p, n));
}

/* ---- the title page ------------------------------------------------------ */

enum { K_OTHER, K_TITLE, K_AUTHOR };

/* The key of a "Key: value" line: K_* and the value, or -1 when the line
 * has no key.  known: the key is one the spec lists. */
static int title_key(const char *p, size_t n, const char **val, size_t *vn, int *known)
{
    static const char *const keys[] = {"title",   "credit", "author",    "authors", "source",
                                       "notes",   "date",   "draft date", "contact", "copyright",
                                       "revision"};
    *known = 0;
    if (!n || is_ws(p[0])) return -1;
    const char *colon = memchr(p, ':', n);
    if (!colon) return -1;
    const char *k = p;
    size_t kn = (size_t)(colon - p);
    trim(&k, &kn);
    *val = colon + 1;
    *vn = n - (size_t)(colon + 1 - p);
    trim(val, vn);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strlen(keys[i]) == kn && strncasecmp(k, keys[i], kn) == 0) {
            *known = 1;
            if (i == 0) return K_TITLE;
            if (i == 2 || i == 3) return K_AUTHOR;
        }
    return K_OTHER;
}

static int title_value(render *R, int key, const char *v, size_t vn, uint32_t no)
{
    const char *o;
    size_t on;
    if (key != K_TITLE && key != K_AUTHOR) return 0;
    if (strip_emphasis(R, v, vn, &o, &on)) return pk_fail(R->err, PK_ENOMEM, "line %u: out of memory", no);
    trim(&o, &on);
    if (key == K_TITLE) pk_meta_append(R->d->title, sizeof R->d->title, " ", o, on);
    else pk_meta_append(R->d->author, sizeof R->d->author, ", ", o, on);
    return 0;
}

/* ---- the whole screenplay ------------------------------------------------ */

typedef struct lines {
    reader r;
    fline a, b, *cur, *next;
    int more; /* next holds a line */
} lines;

static int advance(lines *L, pk_error *err)
{
    fline *t = L->cur;
    L->cur = L->next;
    L->next = t;
    L->more = read_line(&L->r, L->next, err);
    return L->more < 0 ? L->more : 0;
}

int pk_fountain_render(pk_doc *d, const char *s, size_t n, pk_error *err)
{
    pk_buf conv;
    lines L;
    render R;
    int rc;
    memset(&L, 0, sizeof L);
    memset(&R, 0, sizeof R);
    pk_buf_init(&conv, 0);
    pk_buf_init(&L.a.buf, 0);
    pk_buf_init(&L.b.buf, 0);
    pk_buf_init(&R.out, 0);
    pk_buf_init(&R.mask, 0);
    R.d = d;
    R.err = err;
    pk_layout_init(&R.lay);
    d->format = PK_WORK_FOUNTAIN;
    d->title[0] = d->author[0] = 0;

    const char *t;
    size_t tn, skip;
    if ((rc = pk_text_prepare(s, n, &conv, &t, &tn, &skip, err))) goto cleanup;
    L.r.s = t + skip;
    L.r.n = tn - skip;
    L.cur = &L.a;
    L.next = &L.b;
    if ((L.more = read_line(&L.r, L.next, err)) < 0) {
        rc = L.more;
        goto cleanup;
    }

    /* Title page: the first paragraph, if it starts with a known key. */
    while (L.more > 0 && L.next->kind == L_BLANK)
        if ((rc = advance(&L, err))) goto cleanup;
    const char *v;
    size_t vn;
    int known;
    if (L.more > 0 && L.next->kind == L_TEXT && title_key(L.next->p, L.next->n, &v, &vn, &known) >= 0 && known) {
        int key = K_OTHER;
        while (L.more > 0 && L.next->kind != L_BLANK) {
            if ((rc = advance(&L, err))) goto cleanup;
            fline *c = L.cur;
            int k = title_key(c->p, c->n, &v, &vn, &known);
            if (k >= 0) {
                key = k;
            } else {
                v = c->p;
                vn = c->n;
                trim(&v, &vn);
            }
            if ((rc = title_value(&R, key, v, vn, c->no))) goto cleanup;
        }
    }

    int prev_blank = 1, in_dlg = 0;
    while (L.more > 0) {
        if ((rc = advance(&L, err))) goto cleanup;
        fline *c = L.cur;
        int next_blank = L.more <= 0 || L.next->kind == L_BLANK;
        if (c->kind == L_BLANK) {
            pk_layout_blank(&R.lay);
            in_dlg = 0;
            prev_blank = 1;
            continue;
        }
        int was_blank = prev_blank;
        prev_blank = 0;
        if (c->kind == L_SPACER) {
            pk_layout_element(&R.lay, PK_EL_SPACER, NULL, 0);
            continue;
        }
        const char *p = c->p;
        size_t pn = c->n;
        trim(&p, &pn);
        int dual;
        if (in_dlg) {
            if (p[0] == '(' && p[pn - 1] == ')') {
                pk_layout_element(&R.lay, PK_EL_PAREN, p, pn);
            } else if (p[0] == '~') {
                if ((rc = printed(&R, p + 1, pn - 1, c->no, PK_EL_DIALOGUE))) goto cleanup;
            } else {
                if ((rc = printed(&R, p, pn, c->no, PK_EL_DIALOGUE))) goto cleanup;
            }
        } else if (is_page_break(p, pn)) {
            pk_layout_page_break(&R.lay);
        } else if (p[0] == '#' || p[0] == '=') {
            /* section or synopsis: not printed */
        } else if (p[0] == '>' && pn >= 2 && p[pn - 1] == '<') {
            if ((rc = printed(&R, p + 1, pn - 2, c->no, PK_EL_ACTION))) goto cleanup;
        } else if (p[0] == '>') {
            pk_layout_element(&R.lay, PK_EL_TRANSITION, NULL, 0);
        } else if (p[0] == '~' || p[0] == '!') {
            if ((rc = printed(&R, p + 1, pn - 1, c->no, PK_EL_ACTION))) goto cleanup;
        } else if (was_blank && is_heading(p, pn)) {
            if (R.scene < UINT32_MAX) R.scene++;
            pk_layout_element(&R.lay, PK_EL_HEADING, p, pn);
        } else if (was_blank && next_blank && is_transition(p, pn)) {
            pk_layout_element(&R.lay, PK_EL_TRANSITION, NULL, 0);
        } else if (was_blank && !next_blank &&
                   (p[0] == '@' ? is_cue(p + 1, pn - 1, 1, &dual) : is_cue(p, pn, 0, &dual))) {
            pk_layout_element(&R.lay, dual ? PK_EL_DUAL_CUE : PK_EL_CUE, NULL, 0);
            in_dlg = 1;
        } else {
            if ((rc = printed(&R, p, pn, c->no, PK_EL_ACTION))) goto cleanup;
        }
    }

cleanup:
    pk_buf_free(&conv);
    pk_buf_free(&L.a.buf);
    pk_buf_free(&L.b.buf);
    pk_buf_free(&R.out);
    pk_buf_free(&R.mask);
    return rc;
}
