/* docs.c -- works written as web pages and in Markdown.
 *
 * HTML: html.c's rendering as it is (one rendered line per block, each
 * with the source line of its first text, title from <title>); no pages,
 * no scenes.
 *
 * Markdown: a small line-oriented renderer written here rather than a
 * library (Debian's cmark/md4c would be one more dependency, and they
 * build a tree and forget where each word was; picket needs each rendered
 * line to carry its source line, and prose needs nothing fancier than
 * dropping the markup).  One source line gives at most one rendered line,
 * with its line number; lines that render to nothing are left out.
 * Dropped: a front matter block (--- ... --- at the very top; its title:
 * and author: go to the title and author), heading markers (# and setext
 * underlines), thematic breaks, block quote and list markers, emphasis
 * and code markers (* _ ~~ `, an _ inside a word stays), code fence lines
 * (the code between them is kept: in a prose work it is the writer's
 * text), link URLs and titles ([text](url) and [text][ref] keep text),
 * images whole, autolinks, HTML tags and comments, reference definitions.
 * Backslash escapes give the character; a few entities (&amp; &lt; &gt;
 * &quot; &#39; &nbsp;) are decoded.  Everything else is kept as written. */
#include "fmt/fmt.h"

#include <string.h>
#include <strings.h>

int pk_html_work_render(pk_doc *d, const char *s, size_t n, pk_error *err)
{
    return pk_html_render(d, s, n, err);
}

/* ---- Markdown ------------------------------------------------------------ */

static int is_sp(char c) { return c == ' ' || c == '\t'; }
/* A letter, digit or any byte of a non-ASCII character. */
static int is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c >= 0x80;
}

static void trim(const char **p, size_t *n)
{
    while (*n && (is_sp(**p) || **p == '\r')) (*p)++, (*n)--;
    while (*n && (is_sp((*p)[*n - 1]) || (*p)[*n - 1] == '\r')) (*n)--;
}

/* A line of only c (at least 3, spaces between allowed). */
static int rule_of(const char *p, size_t n, char c)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == c) k++;
        else if (!is_sp(p[i])) return 0;
    }
    return k >= 3;
}

/* A fence: up to 3 spaces, then ``` or ~~~ (or longer).  Its char, or 0. */
static char fence_of(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && i < 3 && p[i] == ' ') i++;
    if (i + 3 <= n && (p[i] == '`' || p[i] == '~') && p[i + 1] == p[i] && p[i + 2] == p[i]) return p[i];
    return 0;
}

/* A reference definition: [label]: destination */
static int refdef(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && i < 3 && p[i] == ' ') i++;
    if (i >= n || p[i] != '[') return 0;
    const char *close = memchr(p + i, ']', n - i);
    if (!close || close == p + i + 1) return 0;
    size_t j = (size_t)(close - p) + 1;
    if (j >= n || p[j] != ':') return 0;
    j++;
    while (j < n && is_sp(p[j])) j++;
    return j < n;
}

/* Past the matching close of the bracket at p[i] ('[' or '('), or n. */
static size_t match(const char *p, size_t n, size_t i)
{
    char open = p[i], close = open == '[' ? ']' : ')';
    int depth = 0;
    for (; i < n; i++) {
        if (p[i] == '\\' && i + 1 < n) { i++; continue; }
        if (p[i] == open) depth++;
        else if (p[i] == close && --depth == 0) return i + 1;
    }
    return n;
}

/* Inline markup of p[0..n) into o.  *comment: inside an HTML comment
 * (which may span lines). */
static int inline_md(pk_buf *o, const char *p, size_t n, int *comment)
{
    static const struct { const char *e; const char *r; } ents[] = {
        {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&nbsp;", " "}};
    int rc = 0;
    for (size_t i = 0; i < n && !rc;) {
        char c = p[i];
        if (*comment) {
            const char *e = memmem(p + i, n - i, "-->", 3);
            if (!e) return 0;
            *comment = 0;
            i = (size_t)(e - p) + 3;
            continue;
        }
        if (c == '\\' && i + 1 < n && !is_alnum((unsigned char)p[i + 1]) && !is_sp(p[i + 1])) {
            rc = pk_buf_putc(o, p[i + 1]);
            i += 2;
            continue;
        }
        if (c == '!' && i + 1 < n && p[i + 1] == '[') { /* image: dropped whole */
            size_t j = match(p, n, i + 1);
            if (j < n && p[j] == '(') j = match(p, n, j);
            else if (j < n && p[j] == '[') j = match(p, n, j);
            i = j;
            continue;
        }
        if (c == '[') { /* link: its text */
            size_t j = match(p, n, i);
            if (j < n && (p[j] == '(' || p[j] == '[') && j > i + 1) {
                size_t k = match(p, n, j);
                rc = inline_md(o, p + i + 1, j - i - 2, comment);
                i = k;
                continue;
            }
        }
        if (c == '<') {
            if (i + 3 < n && memcmp(p + i, "<!--", 4) == 0) {
                *comment = 1;
                i += 4;
                continue;
            }
            /* A tag or an autolink: '<' then a letter, '/' or '!', up to '>'. */
            if (i + 1 < n && (((p[i + 1] | 0x20) >= 'a' && (p[i + 1] | 0x20) <= 'z') || p[i + 1] == '/' ||
                              p[i + 1] == '!')) {
                const char *e = memchr(p + i, '>', n - i);
                if (e) {
                    i = (size_t)(e - p) + 1;
                    continue;
                }
            }
        }
        if (c == '&') {
            size_t e;
            for (e = 0; e < sizeof ents / sizeof ents[0]; e++) {
                size_t l = strlen(ents[e].e);
                if (i + l <= n && strncasecmp(p + i, ents[e].e, l) == 0) break;
            }
            if (e < sizeof ents / sizeof ents[0]) {
                rc = pk_buf_append(o, ents[e].r, strlen(ents[e].r));
                i += strlen(ents[e].e);
                continue;
            }
        }
        if (c == '*' || c == '`') { i++; continue; }
        if (c == '~' && i + 1 < n && p[i + 1] == '~') { i += 2; continue; }
        if (c == '_') {
            size_t j = i;
            while (j < n && p[j] == '_') j++;
            int inword = i > 0 && j < n && is_alnum((unsigned char)p[i - 1]) && is_alnum((unsigned char)p[j]);
            if (inword) rc = pk_buf_append(o, p + i, j - i);
            i = j;
            continue;
        }
        rc = pk_buf_putc(o, c == '\t' ? ' ' : c);
        i++;
    }
    return rc;
}

/* Strip block markers: quote '>', list markers, heading '#'s. */
static void block_markers(const char **pp, size_t *pn, int *heading)
{
    const char *p = *pp;
    size_t n = *pn;
    *heading = 0;
    for (;;) {
        trim(&p, &n);
        if (n && p[0] == '>') { p++, n--; continue; }
        if (n >= 2 && (p[0] == '-' || p[0] == '*' || p[0] == '+') && is_sp(p[1])) { p += 2, n -= 2; continue; }
        size_t k = 0;
        while (k < n && k < 9 && p[k] >= '0' && p[k] <= '9') k++;
        if (k && k + 1 < n && (p[k] == '.' || p[k] == ')') && is_sp(p[k + 1])) { p += k + 2, n -= k + 2; continue; }
        break;
    }
    size_t h = 0;
    while (h < n && h < 7 && p[h] == '#') h++;
    if (h >= 1 && h <= 6 && (h == n || is_sp(p[h]))) {
        *heading = 1;
        p += h, n -= h;
        trim(&p, &n);
        while (n && p[n - 1] == '#') n--; /* closing sequence */
        trim(&p, &n);
    }
    *pp = p;
    *pn = n;
}

/* "key: value" front matter line: the value, quotes dropped. */
static int fm_value(const char *p, size_t n, const char *key, const char **v, size_t *vn)
{
    size_t k = strlen(key);
    if (n <= k || strncasecmp(p, key, k) != 0 || p[k] != ':') return 0;
    p += k + 1, n -= k + 1;
    trim(&p, &n);
    if (n >= 2 && (p[0] == '"' || p[0] == '\'') && p[n - 1] == p[0]) p++, n -= 2;
    *v = p;
    *vn = n;
    return 1;
}

int pk_markdown_render(pk_doc *d, const char *s, size_t n, pk_error *err)
{
    const char *p = s, *end = s + n;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    uint32_t line = 0;
    int front = 0, comment = 0, rc = 0;
    char fence = 0;
    pk_buf o;
    pk_buf_init(&o, 0);
    while (p < end && !rc) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *q = p;
        size_t len = (size_t)((nl ? nl : end) - p);
        p = nl ? nl + 1 : end;
        if (line < UINT32_MAX) line++;
        const char *t = q;
        size_t tn = len;
        trim(&t, &tn);
        if (line == 1 && tn == 3 && memcmp(t, "---", 3) == 0) { front = 1; continue; }
        if (front) {
            const char *v;
            size_t vn;
            if (tn == 3 && (memcmp(t, "---", 3) == 0 || memcmp(t, "...", 3) == 0)) front = 0;
            else if (fm_value(t, tn, "title", &v, &vn)) pk_meta_append(d->title, sizeof d->title, "", v, vn);
            else if (fm_value(t, tn, "author", &v, &vn)) pk_meta_append(d->author, sizeof d->author, "; ", v, vn);
            continue;
        }
        char f = comment ? 0 : fence_of(q, len);
        if (fence) {
            if (f == fence) { fence = 0; continue; }
            if (tn) rc = pk_doc_line(d, t, tn, line, 0, 0);
            continue;
        }
        if (f) { fence = f; continue; }
        if (!comment) {
            if (tn == 0 || rule_of(t, tn, '-') || rule_of(t, tn, '*') || rule_of(t, tn, '_') || rule_of(t, tn, '='))
                continue;
            if (refdef(q, len)) continue;
        }
        int heading;
        if (!comment) block_markers(&t, &tn, &heading);
        pk_buf_reset(&o);
        rc = inline_md(&o, t, tn, &comment);
        if (rc) break;
        const char *r = o.data ? o.data : "";
        size_t rn = o.len;
        trim(&r, &rn);
        if (rn) rc = pk_doc_line(d, r, rn, line, 0, 0);
    }
    pk_buf_free(&o);
    if (rc) return pk_fail(err, rc, "rendering Markdown: %s", pk_strerror(rc));
    return 0;
}
