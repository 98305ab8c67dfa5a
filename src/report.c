/* report.c -- findings read back from JSON lines, and the HTML report.
 *
 * The findings file is outside input (it may have been edited, or come
 * from elsewhere): every line is parsed by jansson, every field checked
 * for type and range, and every string that reaches HTML goes through
 * pk_html_escape.  The pages also carry a Content-Security-Policy that
 * allows no script and no load at all, so a missed escape could still
 * not run anything.
 *
 * Shape, so that 100,000 findings stay readable: works are grouped and
 * ordered by matched words; page 1 holds a summary (works, documents,
 * coverage, the strongest passages) and, for the first max_works works,
 * their per_work strongest findings with each passage beside the work's
 * passage; pages 2.. list every finding, page_rows to a page, as table
 * rows.  So page 1 is bounded whatever the input, and the rest grows
 * linearly.
 *
 * Side by side: both passages are tokenized as the scanner does
 * (pk_tokenize: normalized word hashes), aligned word by word (longest
 * common subsequence up to PK_LCS_CELLS, a greedy resynchronizing walk
 * beyond), and words on one side only are marked as differences.  The
 * work's passage comes from its kept text (register --keep-text),
 * rendered again by its format's reader so that word numbers match;
 * without kept text only its location is shown. */
#include "pk.h"
#include "picket_report.h"

#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define PK_LCS_CELLS ((size_t)4 << 20) /* past this, the greedy walk */
#define PK_SIDE_MAX 16384              /* bytes of a passage shown per side */
#define PK_EXCERPT 240                 /* bytes of text in a table row */
#define LIT(b, s) pk_buf_append((b), (s), sizeof(s) - 1)

/* ---- reading findings ---------------------------------------------------- */

void pk_findings_init(pk_findings *fs) { memset(fs, 0, sizeof *fs); }

static void finding_free(pk_rfinding *f)
{
    free(f->doc);
    free(f->source);
    free(f->url);
    free(f->date);
    free(f->work);
    free(f->title);
    for (size_t i = 0; i < f->npassages; i++) free(f->passages[i].text);
    free(f->passages);
}

void pk_findings_free(pk_findings *fs)
{
    if (!fs) return;
    for (size_t i = 0; i < fs->n; i++) finding_free(&fs->f[i]);
    free(fs->f);
    free(fs->line);
    free(fs->line_len);
    memset(fs, 0, sizeof *fs);
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

/* A string member (or a number, written as it reads) into *out; absent
 * or null leaves NULL.  -1: present with another type; -2: no memory. */
static int get_str(const json_t *o, const char *key, char **out)
{
    const json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v || json_is_null(v)) return 0;
    if (json_is_string(v)) {
        *out = dup_n(json_string_value(v), json_string_length(v));
    } else if (json_is_integer(v)) {
        char b[32];
        snprintf(b, sizeof b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        *out = dup_n(b, strlen(b));
    } else {
        return -1;
    }
    return *out ? 0 : -2;
}

/* An integer member in [0, max] into *out; absent gives 0 unless required. */
static int get_uint(const json_t *o, const char *key, uint64_t max, int required, uint64_t *out)
{
    const json_t *v = json_object_get(o, key);
    *out = 0;
    if (!v) return required ? -1 : 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max) return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int get_u32(const json_t *o, const char *key, int required, uint32_t *out)
{
    uint64_t v;
    int rc = get_uint(o, key, UINT32_MAX, required, &v);
    *out = (uint32_t)v;
    return rc;
}

static int parse_passage(const json_t *p, pk_rpassage *r, const char **why)
{
    memset(r, 0, sizeof *r);
    if (!json_is_object(p)) return *why = "a passage is not an object", -1;
    if (get_uint(p, "doc_start", UINT64_MAX >> 1, 1, &r->doc_start) || get_uint(p, "doc_end", UINT64_MAX >> 1, 1, &r->doc_end) ||
        r->doc_end < r->doc_start)
        return *why = "a passage has no valid doc_start/doc_end", -1;
    if (get_u32(p, "work_start_word", 1, &r->work_start_word) || get_u32(p, "work_end_word", 1, &r->work_end_word) ||
        r->work_end_word < r->work_start_word)
        return *why = "a passage has no valid work_start_word/work_end_word", -1;
    if (get_u32(p, "work_start_line", 0, &r->work_start_line) || get_u32(p, "work_end_line", 0, &r->work_end_line) ||
        get_u32(p, "work_start_page", 0, &r->work_start_page) || get_u32(p, "work_end_page", 0, &r->work_end_page) ||
        get_u32(p, "work_start_scene", 0, &r->work_start_scene) || get_u32(p, "work_end_scene", 0, &r->work_end_scene) ||
        get_u32(p, "words", 0, &r->words))
        return *why = "a passage has a line, page, scene or words that is not a 32-bit count", -1;
    const json_t *t = json_object_get(p, "text");
    if (t && !json_is_null(t)) {
        if (!json_is_string(t)) return *why = "a passage's text is not a string", -1;
        r->text_len = json_string_length(t);
        if (!(r->text = dup_n(json_string_value(t), r->text_len))) return -2;
    }
    return 0;
}

/* One finding from o; doc fields from outer when o has none (a filter
 * --removed line's works[] entries). */
static int parse_finding(const json_t *o, const json_t *outer, pk_rfinding *f, const char **why)
{
    int rc;
    memset(f, 0, sizeof *f);
    const json_t *d = json_object_get(o, "doc") ? o : outer;
    if ((rc = get_str(d, "doc", &f->doc)) || (rc = get_str(d, "source", &f->source)) || (rc = get_str(d, "url", &f->url)) ||
        (rc = get_str(d, "date", &f->date)) || (rc = get_str(o, "work", &f->work)) || (rc = get_str(o, "title", &f->title))) {
        if (rc == -1) *why = "doc, source, url, date, work or title is not a string";
        return rc;
    }
    if (!f->work || !f->work[0]) return *why = "no work", -1;
    if (!f->doc && !(f->doc = dup_n("", 0))) return -2;
    if (!f->title && !(f->title = dup_n(f->work, strlen(f->work)))) return -2;
    if (get_uint(d, "line", UINT64_MAX >> 1, 0, &f->line) || get_u32(o, "matched_words", 0, &f->matched_words) ||
        get_u32(o, "work_words", 0, &f->work_words))
        return *why = "line, matched_words or work_words is not a count", -1;
    const json_t *c = json_object_get(o, "work_coverage");
    if (c) {
        if (!json_is_number(c) || !(json_number_value(c) >= 0.0) || json_number_value(c) > 1.0)
            return *why = "work_coverage is not a number from 0 to 1", -1;
        f->coverage = json_number_value(c);
    }
    const json_t *ps = json_object_get(o, "passages");
    if (ps && !json_is_array(ps)) return *why = "passages is not an array", -1;
    size_t np = ps ? json_array_size(ps) : 0;
    if (np) {
        if (!(f->passages = calloc(np, sizeof *f->passages))) return -2;
        for (size_t i = 0; i < np; i++) {
            if ((rc = parse_passage(json_array_get(ps, i), &f->passages[i], why))) return rc;
            f->npassages++;
        }
    }
    return 0;
}

static int push_finding(pk_findings *fs, const pk_rfinding *f)
{
    if (fs->n == fs->cap) {
        size_t cap = fs->cap ? fs->cap * 2 : 64;
        if (cap > PK_FINDINGS_MAX) return PK_ETOOBIG;
        pk_rfinding *p = realloc(fs->f, cap * sizeof *p);
        if (!p) return PK_ENOMEM;
        fs->f = p;
        fs->cap = cap;
    }
    fs->f[fs->n++] = *f;
    return 0;
}

static int push_line(pk_findings *fs, const char *p, size_t n)
{
    if (fs->nlines == fs->line_cap) {
        size_t cap = fs->line_cap ? fs->line_cap * 2 : 64;
        if (cap > PK_FINDINGS_MAX) return PK_ETOOBIG;
        const char **l = realloc(fs->line, cap * sizeof *l);
        if (!l) return PK_ENOMEM;
        fs->line = l;
        size_t *ll = realloc(fs->line_len, cap * sizeof *ll);
        if (!ll) return PK_ENOMEM;
        fs->line_len = ll;
        fs->line_cap = cap;
    }
    fs->line[fs->nlines] = p;
    fs->line_len[fs->nlines++] = n;
    return 0;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

int pk_findings_parse(pk_findings *fs, const char *data, size_t n, pk_error *err)
{
    size_t at = 0;
    uint64_t lineno = 0;
    while (at < n) {
        const char *nl = memchr(data + at, '\n', n - at);
        size_t end = nl ? (size_t)(nl - data) : n;
        const char *s = data + at;
        size_t len = end - at;
        at = end + (nl ? 1 : 0);
        lineno++;
        while (len && is_space(s[0])) s++, len--;
        while (len && is_space(s[len - 1])) len--;
        if (!len) continue;
        json_error_t je;
        json_t *o = json_loadb(s, len, 0, &je);
        if (!o) return pk_fail(err, PK_EFORMAT, "line %llu: not JSON: %s", (unsigned long long)lineno, je.text);
        int rc = 0;
        const char *why = NULL;
        const json_t *works = json_object_get(o, "works");
        if (!json_is_object(o)) {
            rc = -1, why = "not a JSON object";
        } else if (json_object_get(o, "work") || !works) {
            pk_rfinding f;
            rc = parse_finding(o, o, &f, &why);
            if (rc == 0) f.from_line = lineno, rc = push_finding(fs, &f);
            if (rc) finding_free(&f);
        } else if (!json_is_array(works)) {
            rc = -1, why = "works is not an array";
        } else { /* a filter --removed line: one finding per work */
            for (size_t i = 0; i < json_array_size(works) && rc == 0; i++) {
                pk_rfinding f;
                const json_t *w = json_array_get(works, i);
                if (!json_is_object(w)) { rc = -1, why = "a works entry is not an object"; break; }
                rc = parse_finding(w, o, &f, &why);
                if (rc == 0) f.from_line = lineno, rc = push_finding(fs, &f);
                if (rc) finding_free(&f);
            }
        }
        json_decref(o);
        if (rc == 0) rc = push_line(fs, s, len);
        if (rc == -1) return pk_fail(err, PK_EFORMAT, "line %llu: not a finding: %s", (unsigned long long)lineno, why);
        if (rc == -2 || rc == PK_ENOMEM) return pk_fail(err, PK_ENOMEM, "out of memory");
        if (rc) return pk_fail(err, PK_ETOOBIG, "line %llu: more than %zu findings", (unsigned long long)lineno, PK_FINDINGS_MAX);
    }
    return 0;
}

/* ---- HTML helpers ----------------------------------------------------------- */

int pk_html_escape(pk_buf *b, const char *s, size_t n)
{
    int rc = 0;
    size_t run = 0; /* bytes copied as they are, pending */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default:
            if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) rep = "\xef\xbf\xbd";
        }
        if (!rep) { run++; continue; }
        if (run) rc |= pk_buf_append(b, s + i - run, run);
        run = 0;
        rc |= pk_buf_append(b, rep, strlen(rep));
    }
    if (run) rc |= pk_buf_append(b, s + n - run, run);
    return rc ? PK_ENOMEM : 0;
}

static int esc(pk_buf *b, const char *s) { return s ? pk_html_escape(b, s, strlen(s)) : 0; }

void pk_report_page_name(unsigned no, char out[32])
{
    if (no <= 1) snprintf(out, 32, "report.html");
    else snprintf(out, 32, "report-%u.html", no);
}

/* The longest prefix of s[0..n) of at most max bytes that ends on a
 * UTF-8 character boundary. */
static size_t utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max) return n;
    size_t m = max;
    while (m > 0 && ((unsigned char)s[m] & 0xC0) == 0x80) m--;
    return m;
}

static const char *css =
    "body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;color:#222;background:#fff}"
    "h1{margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}"
    "table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border-bottom:1px solid #e4e4e4;padding:.25em .5em;"
    "text-align:left;vertical-align:top}th{background:#f4f4f4}td.n{text-align:right;white-space:nowrap}"
    ".bar{display:inline-block;height:.7em;background:#c0392b;margin-right:.4em;vertical-align:middle}"
    ".meta{color:#555;font-size:.9em}.meta b{color:#222}"
    "article{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:1em 0}"
    ".pair{display:grid;grid-template-columns:1fr 1fr;gap:1em;margin:.6em 0}"
    ".side{background:#fafafa;border:1px solid #eee;border-radius:4px;padding:.5em .8em;overflow-wrap:anywhere}"
    ".side h4{margin:0 0 .3em;font-size:.85em;color:#555;font-weight:600}"
    ".txt{white-space:pre-wrap;font-family:Georgia,serif}"
    "mark{background:#ffe08a;color:inherit}"
    "ins.x{background:#d6f5d6;text-decoration:none;border-bottom:2px solid #2e8b57}"
    "del.x{background:#f9d6d5;text-decoration:line-through}"
    ".none{color:#777;font-style:italic}.legend span{margin-right:1em}"
    "nav.pages a{margin-right:.5em}td.x{font-family:Georgia,serif;font-size:.9em}"
    "@media(max-width:800px){.pair{grid-template-columns:1fr}}";

static int page_head(pk_buf *b, const char *title)
{
    int rc = 0;
    rc |= pk_buf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                           "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">"
                           "<meta name=\"referrer\" content=\"no-referrer\"><meta name=\"generator\" content=\"picket %s\">"
                           "<title>",
                        pk_version());
    rc |= esc(b, title);
    rc |= pk_buf_printf(b, "</title><style>%s</style></head>\n<body>\n", css);
    return rc ? PK_ENOMEM : 0;
}

/* A link for an http(s) URL, else the URL as text. */
static int url_html(pk_buf *b, const char *u)
{
    int rc = 0;
    if (!u) return 0;
    if (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0) {
        rc |= LIT(b, "<a rel=\"noreferrer nofollow\" href=\"");
        rc |= esc(b, u);
        rc |= LIT(b, "\">");
        rc |= esc(b, u);
        rc |= LIT(b, "</a>");
    } else {
        rc |= esc(b, u);
    }
    return rc;
}

/* "scene 3, page 12, lines 140-152, words 900-960" */
static int work_where(pk_buf *b, const pk_rpassage *p)
{
    int rc = 0;
    if (p->work_start_scene || p->work_end_scene)
        rc |= p->work_start_scene == p->work_end_scene ? pk_buf_printf(b, "scene %u, ", p->work_start_scene)
                                                       : pk_buf_printf(b, "scenes %u&ndash;%u, ", p->work_start_scene, p->work_end_scene);
    if (p->work_start_page)
        rc |= p->work_start_page == p->work_end_page ? pk_buf_printf(b, "page %u, ", p->work_start_page)
                                                     : pk_buf_printf(b, "pages %u&ndash;%u, ", p->work_start_page, p->work_end_page);
    if (p->work_start_line)
        rc |= p->work_start_line == p->work_end_line ? pk_buf_printf(b, "line %u, ", p->work_start_line)
                                                     : pk_buf_printf(b, "lines %u&ndash;%u, ", p->work_start_line, p->work_end_line);
    rc |= pk_buf_printf(b, "words %u&ndash;%u", p->work_start_word, p->work_end_word);
    return rc;
}

/* ---- word alignment --------------------------------------------------------- */

typedef struct toks {
    pk_tok *t;
    size_t n, cap;
} toks;

static int tokenize(const char *s, size_t n, toks *out)
{
    pk_tokenizer tk;
    pk_tokenizer_init(&tk, s, n, PK_TOK_LOSSY | PK_TOK_NOLINES);
    out->n = 0;
    for (;;) {
        if (out->cap - out->n < 256) {
            size_t cap = out->cap ? out->cap * 2 : 512;
            pk_tok *t = realloc(out->t, cap * sizeof *t);
            if (!t) return PK_ENOMEM;
            out->t = t;
            out->cap = cap;
        }
        size_t got = 0;
        if (pk_tokenize(&tk, out->t + out->n, out->cap - out->n, &got, NULL)) return PK_EFORMAT;
        if (!got) return 0;
        out->n += got;
    }
}

/* Mark in ma[] and mb[] the words of a[] and b[] that pair up. */
static int align_words(const pk_tok *a, size_t na, const pk_tok *b, size_t nb, uint8_t *ma, uint8_t *mb)
{
    memset(ma, 0, na);
    memset(mb, 0, nb);
    size_t cells;
    if (na && nb && pk_mul_ok(na + 1, nb + 1, &cells) && cells <= PK_LCS_CELLS && na < 65535 && nb < 65535) {
        uint16_t *L = malloc(cells * sizeof *L); /* L[i][j]: LCS of a[i..], b[j..] */
        if (!L) return PK_ENOMEM;
        const size_t w = nb + 1;
        for (size_t j = 0; j <= nb; j++) L[na * w + j] = 0;
        for (size_t i = na; i-- > 0;) {
            L[i * w + nb] = 0;
            for (size_t j = nb; j-- > 0;)
                L[i * w + j] = a[i].h == b[j].h ? (uint16_t)(L[(i + 1) * w + j + 1] + 1)
                                                 : PK_MAX(L[(i + 1) * w + j], L[i * w + j + 1]);
        }
        for (size_t i = 0, j = 0; i < na && j < nb;) {
            if (a[i].h == b[j].h) ma[i++] = mb[j++] = 1;
            else if (L[(i + 1) * w + j] >= L[i * w + j + 1]) i++;
            else j++;
        }
        free(L);
        return 0;
    }
    /* Greedy: pair equal words, and on a difference skip to the nearest
     * point (fewest words skipped on both sides, up to 64) where they agree
     * again. */
    size_t i = 0, j = 0;
    while (i < na && j < nb) {
        if (a[i].h == b[j].h) { ma[i++] = mb[j++] = 1; continue; }
        int found = 0;
        for (size_t d = 1; d <= 64 && !found; d++)
            for (size_t di = 0; di <= d; di++)
                if (i + di < na && j + d - di < nb && a[i + di].h == b[j + d - di].h) {
                    i += di, j += d - di, found = 1;
                    break;
                }
        if (!found) i++, j++;
    }
    return 0;
}

/* Text s[0..n) with words tok[0..nt) (offsets from s - base) wrapped:
 * paired words in <mark>, the others in <tag class="x">. */
static int side_html(pk_buf *b, const char *s, size_t n, uint64_t base, const pk_tok *tok, size_t nt, const uint8_t *m,
                     const char *tag)
{
    int rc = 0, cur = -1;
    size_t at = 0;
    for (size_t k = 0; k < nt && !rc; k++) {
        size_t ts = (size_t)(tok[k].off - base), te = ts + tok[k].len;
        if (ts < at || te > n) break;
        int cls = m[k] ? 1 : 2;
        if (cls != cur && cur >= 0) rc |= pk_buf_printf(b, "</%s>", cur == 1 ? "mark" : tag), cur = -1;
        rc |= pk_html_escape(b, s + at, ts - at);
        if (cur < 0) rc |= pk_buf_printf(b, cls == 1 ? "<mark>" : "<%s class=\"x\">", tag), cur = cls;
        rc |= pk_html_escape(b, s + ts, te - ts);
        at = te;
    }
    if (cur >= 0) rc |= pk_buf_printf(b, "</%s>", cur == 1 ? "mark" : tag);
    rc |= pk_html_escape(b, s + at, n - at);
    return rc ? PK_ENOMEM : 0;
}

/* ---- the work's text --------------------------------------------------------- */

typedef struct worktext {
    const char *id; /* the work this holds, NULL: none yet */
    int state;      /* 0: text here, 1: not kept, 2: not in the registry, 3: unreadable */
    char why[256];  /* state 3: why, when known (a reader's error: a library missing) */
    pk_doc doc;
    pk_buf conv;
    const char *shown;
    size_t shown_n;
    pk_tok *tok;
    size_t ntok, cap;
} worktext;

static void worktext_clear(worktext *w)
{
    pk_doc_free(&w->doc);
    pk_doc_init(&w->doc);
    pk_buf_reset(&w->conv);
    w->ntok = 0;
    w->id = NULL;
    w->state = 1;
    w->why[0] = 0;
}

/* Load work id's kept text and its words (once per work). */
static int worktext_load(worktext *w, pk_registry *reg, const char *id)
{
    if (w->id && strcmp(w->id, id) == 0) return 0;
    worktext_clear(w);
    w->id = id;
    if (!reg) return 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(pk_registry_db(reg), "SELECT text, format FROM works WHERE id=?", -1, &st, NULL) != SQLITE_OK) {
        w->state = 3;
        return 0;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    if (s != SQLITE_ROW) w->state = s == SQLITE_DONE ? 2 : 3;
    else if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
        const char *raw = sqlite3_column_blob(st, 0);
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        const unsigned char *fmt = sqlite3_column_text(st, 1);
        int format = fmt ? pk_work_format_parse((const char *)fmt) : PK_WORK_TEXT;
        if (format < 0) format = PK_WORK_TEXT;
        w->state = 3;
        pk_error e;
        memset(&e, 0, sizeof e);
        if (pk_doc_read(&w->doc, NULL, raw ? raw : "", n, format, PK_TOK_LOSSY, &e) == 0 &&
            pk_tokenize_all(w->doc.text.data ? w->doc.text.data : "", w->doc.text.len, PK_TOK_LOSSY | PK_TOK_NOLINES, &w->conv,
                            &w->shown, &w->tok, &w->cap, &w->ntok, &e) == 0) {
            w->state = 0;
            /* the shown text is the rendered one unless it was UTF-16 */
            w->shown_n = w->shown == w->conv.data ? w->conv.len : w->doc.text.len;
        } else {
            snprintf(w->why, sizeof w->why, "%.*s", (int)sizeof w->why - 1, e.msg);
        }
    }
    sqlite3_finalize(st);
    return 0;
}

/* ---- the report ---------------------------------------------------------------- */

typedef struct group {
    const char *work, *title;
    size_t first, n;       /* in the sorted order */
    size_t docs, passages;
    uint64_t words;        /* matched words, summed */
    double best;           /* best coverage */
    uint32_t work_words;
} group;

typedef struct rctx {
    const pk_findings *fs;
    const pk_report_opts *o;
    pk_registry *reg;
    size_t *ord;   /* findings in report order */
    group *g;
    size_t ng;
    size_t ndocs, npassages;
    uint8_t *inl;  /* inl[place]: shown in full on page 1 */
    worktext wt;
    toks dt;
    uint8_t *ma, *mb;
    size_t mcap;
} rctx;

static int cmp_str(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : ""); }

static int by_work(const void *x, const void *y, void *ud)
{
    const pk_findings *fs = ud;
    size_t i = *(const size_t *)x, j = *(const size_t *)y;
    const pk_rfinding *a = &fs->f[i], *b = &fs->f[j];
    int c = strcmp(a->work, b->work);
    if (c) return c;
    if (a->matched_words != b->matched_words) return a->matched_words > b->matched_words ? -1 : 1;
    return i < j ? -1 : i > j;
}

static int by_doc(const void *x, const void *y, void *ud)
{
    const pk_findings *fs = ud;
    size_t i = *(const size_t *)x, j = *(const size_t *)y;
    const pk_rfinding *a = &fs->f[i], *b = &fs->f[j];
    int c = cmp_str(a->source, b->source);
    return c ? c : strcmp(a->doc, b->doc);
}

static int by_strength(const void *x, const void *y)
{
    const group *a = x, *b = y;
    if (a->words != b->words) return a->words > b->words ? -1 : 1;
    return strcmp(a->work, b->work);
}

/* The number of distinct documents among findings idx[0..n) (sorted here). */
static size_t count_docs(const pk_findings *fs, size_t *idx, size_t n)
{
    if (!n) return 0;
    qsort_r(idx, n, sizeof *idx, by_doc, (void *)(uintptr_t)fs);
    size_t d = 1;
    for (size_t i = 1; i < n; i++) d += by_doc(&idx[i - 1], &idx[i], (void *)(uintptr_t)fs) != 0;
    return d;
}

static unsigned page_of(const rctx *c, size_t place) { return 2 + (unsigned)(place / c->o->page_rows); }

static void fmt_coverage(char out[32], double cov)
{
    double pct = 100.0 * cov;
    if (pct >= 10) snprintf(out, 32, "%.0f%%", pct);
    else if (pct >= 0.1) snprintf(out, 32, "%.1f%%", pct);
    else if (pct > 0) snprintf(out, 32, "%.2f%%", pct);
    else snprintf(out, 32, "0%%");
}

/* A link to finding at place: its section on page 1 or its table row. */
static int finding_href(pk_buf *b, const rctx *c, size_t place, unsigned from_page)
{
    if (c->inl[place]) return pk_buf_printf(b, "%s#f%zu", from_page == 1 ? "" : "report.html", place + 1);
    char name[32];
    pk_report_page_name(page_of(c, place), name);
    return pk_buf_printf(b, "%s#r%zu", from_page == page_of(c, place) ? "" : name, place + 1);
}

static int ensure_marks(rctx *c, size_t n)
{
    if (n <= c->mcap) return 0;
    size_t cap = n + 256;
    uint8_t *a = realloc(c->ma, cap), *b = realloc(c->mb, cap);
    if (a) c->ma = a;
    if (b) c->mb = b;
    if (!a || !b) return PK_ENOMEM;
    c->mcap = cap;
    return 0;
}

/* One passage: the document's side beside the work's. */
static int passage_html(pk_buf *b, rctx *c, const pk_rfinding *f, const pk_rpassage *p)
{
    int rc = 0;
    /* The work's side: the words of the passage in its rendered text. */
    const worktext *w = &c->wt;
    const pk_tok *wt = NULL;
    size_t nwt = 0;
    if (w->state == 0 && p->work_end_word <= w->ntok && p->work_end_word > p->work_start_word) {
        wt = w->tok + p->work_start_word;
        nwt = p->work_end_word - p->work_start_word;
    }
    const char *ws = NULL;
    size_t wn = 0, wshow_words = nwt;
    if (wt) {
        ws = w->shown + wt[0].off;
        wn = (size_t)(wt[nwt - 1].off + wt[nwt - 1].len - wt[0].off);
        if (wn > PK_SIDE_MAX) {
            wn = utf8_cut(ws, wn, PK_SIDE_MAX);
            while (wshow_words && wt[wshow_words - 1].off + wt[wshow_words - 1].len - wt[0].off > wn) wshow_words--;
        }
    }
    /* The document's side. */
    size_t dn = p->text ? utf8_cut(p->text, p->text_len, PK_SIDE_MAX) : 0;
    c->dt.n = 0;
    if (p->text && (rc = tokenize(p->text, dn, &c->dt))) return rc;
    if ((rc = ensure_marks(c, PK_MAX(c->dt.n, nwt)))) return rc;
    if (p->text && wt) {
        if ((rc = align_words(c->dt.t, c->dt.n, wt, wshow_words, c->ma, c->mb))) return rc;
    } else {
        memset(c->ma, 1, c->dt.n); /* nothing to compare with: what the scanner matched */
    }

    rc |= LIT(b, "<div class=\"pair\"><div class=\"side doc\"><h4>Document, bytes ");
    rc |= pk_buf_printf(b, "%llu&ndash;%llu (%u words matched)</h4>", (unsigned long long)p->doc_start,
                        (unsigned long long)p->doc_end, p->words);
    if (p->text) {
        rc |= LIT(b, "<div class=\"txt\">");
        rc |= side_html(b, p->text, dn, 0, c->dt.t, c->dt.n, c->ma, "ins");
        if (dn < p->text_len) rc |= pk_buf_printf(b, " <span class=\"none\">&hellip; %zu more bytes not shown</span>", p->text_len - dn);
        rc |= LIT(b, "</div>");
    } else {
        rc |= pk_buf_printf(b, "<p class=\"none\">The findings do not carry the document's text (scan with --with-text).</p>");
    }
    rc |= LIT(b, "</div><div class=\"side work\"><h4>Work, ");
    rc |= work_where(b, p);
    rc |= LIT(b, "</h4>");
    if (wt) {
        rc |= LIT(b, "<div class=\"txt\">");
        if (!p->text) memset(c->mb, 1, nwt);
        rc |= side_html(b, ws, wn, wt[0].off, wt, wshow_words, c->mb, "del");
        if (wshow_words < nwt) rc |= pk_buf_printf(b, " <span class=\"none\">&hellip; %zu more words not shown</span>", nwt - wshow_words);
        rc |= LIT(b, "</div>");
    } else {
        static const char *why[] = {"The work's text does not cover these words.",
                                    "The registry does not keep this work's text (register --keep-text to show it here).",
                                    "This work is not in the registry.", "The work's text could not be read from the registry."};
        rc |= pk_buf_printf(b, "<p class=\"none\">%s", c->reg ? why[w->state] : "No registry was given: the work's text is not shown.");
        if (c->reg && w->state == 3 && w->why[0]) {
            rc |= LIT(b, " (");
            rc |= pk_html_escape(b, w->why, strlen(w->why));
            rc |= LIT(b, ")");
        }
        rc |= LIT(b, "</p>");
    }
    rc |= LIT(b, "</div></div>\n");
    PK_UNUSED(f);
    return rc ? PK_ENOMEM : 0;
}

static int doc_meta(pk_buf *b, const pk_rfinding *f)
{
    int rc = 0;
    if (f->url) rc |= LIT(b, "URL "), rc |= url_html(b, f->url), rc |= LIT(b, "; ");
    if (f->date) rc |= LIT(b, "date "), rc |= esc(b, f->date), rc |= LIT(b, "; ");
    if (f->source) {
        rc |= LIT(b, "from "), rc |= esc(b, f->source);
        if (f->line) rc |= pk_buf_printf(b, " line %llu", (unsigned long long)f->line);
        rc |= LIT(b, "; ");
    }
    return rc;
}

static int finding_html(pk_buf *b, rctx *c, size_t place)
{
    const pk_rfinding *f = &c->fs->f[c->ord[place]];
    char cov[32];
    fmt_coverage(cov, f->coverage);
    int rc = pk_buf_printf(b, "<article class=\"finding\" id=\"f%zu\"><h3>Document ", place + 1);
    rc |= esc(b, f->doc);
    rc |= LIT(b, "</h3><p class=\"meta\">");
    rc |= doc_meta(b, f);
    rc |= pk_buf_printf(b, "<b>%u</b> words matched, <b>%s</b> of the work, %zu passage%s</p>\n", f->matched_words, cov,
                        f->npassages, f->npassages == 1 ? "" : "s");
    if ((rc |= worktext_load(&c->wt, c->reg, f->work))) return PK_ENOMEM;
    for (size_t i = 0; i < f->npassages && !rc; i++) rc = passage_html(b, c, f, &f->passages[i]);
    rc |= LIT(b, "</article>\n");
    return rc ? PK_ENOMEM : 0;
}

static int nav_html(pk_buf *b, const rctx *c, unsigned cur, unsigned last)
{
    int rc = LIT(b, "<nav class=\"pages\">Pages: ");
    for (unsigned p = 1; p <= last; p++) {
        char name[32];
        pk_report_page_name(p, name);
        if (p == cur) rc |= pk_buf_printf(b, "<b>%u</b> ", p);
        else rc |= pk_buf_printf(b, "<a href=\"%s\">%u</a> ", name, p);
    }
    PK_UNUSED(c);
    return rc | LIT(b, "</nav>\n");
}

/* ---- model probe results (picket probe --json) ---------------------------- */

int pk_probe_check(const char *name, const char *data, size_t n, size_t *nresults, pk_error *err)
{
    size_t line = 0, count = 0;
    for (size_t at = 0; at < n;) {
        const char *nl = memchr(data + at, '\n', n - at);
        size_t end = nl ? (size_t)(nl - data) : n;
        line++;
        size_t a = at;
        while (a < end && is_space(data[a])) a++;
        if (a < end) {
            json_error_t je;
            json_t *o = json_loadb(data + a, end - a, JSON_REJECT_DUPLICATES, &je);
            const char *why = !o ? je.text : !json_is_object(o) ? "not a JSON object"
                              : !json_is_string(json_object_get(o, "work")) ? "no \"work\" string: not picket probe output" : NULL;
            json_decref(o);
            if (why) return pk_fail(err, PK_EFORMAT, "%s:%zu: %s", name ? name : "probe results", line, why);
            count++;
        }
        at = end + 1;
    }
    if (nresults) *nresults = count;
    return 0;
}

/* A number from the results: a count (whole), or with %.3g; a dash
 * when it is missing or not a number. */
static int num_html(pk_buf *b, const json_t *v, int whole)
{
    if (!json_is_number(v)) return LIT(b, "&ndash;");
    return whole ? pk_buf_printf(b, "%.0f", json_number_value(v)) : pk_buf_printf(b, "%.3g", json_number_value(v));
}

/* One test's row: what it found, and its p-value. */
static int probe_test_html(pk_buf *b, const char *name, const json_t *t)
{
    int rc = LIT(b, "<tr><td>");
    rc |= esc(b, name);
    rc |= LIT(b, "</td><td>");
    if (!json_is_object(t)) return rc | LIT(b, "<span class=\"none\">not in the results</span></td><td></td></tr>\n");
    if (!json_is_true(json_object_get(t, "run"))) {
        rc |= LIT(b, "<span class=\"none\">not run");
        const char *why = json_string_value(json_object_get(t, "why"));
        if (why) rc |= LIT(b, ": "), rc |= esc(b, why);
        return rc | LIT(b, "</span></td><td></td></tr>\n");
    }
    const json_t *p = json_object_get(t, "p");
    if (!strcmp(name, "extraction")) {
        const json_t *ctl = json_object_get(t, "control");
        rc |= num_html(b, json_object_get(t, "extractable"), 1);
        rc |= LIT(b, " of "), rc |= num_html(b, json_object_get(t, "samples"), 1);
        rc |= LIT(b, " passages continued word for word (mean longest run ");
        rc |= num_html(b, json_object_get(t, "mean_longest_run"), 0);
        rc |= LIT(b, " words); control text the model cannot have seen: ");
        rc |= num_html(b, json_object_get(ctl, "extractable"), 1);
        rc |= LIT(b, " of "), rc |= num_html(b, json_object_get(ctl, "samples"), 1);
    } else if (!strcmp(name, "canaries")) {
        const json_t *sets = json_object_get(t, "sets"), *s;
        size_t i;
        const char *m = json_string_value(json_object_get(t, "method"));
        rc |= LIT(b, "by "), rc |= esc(b, m ? m : "?"), rc |= LIT(b, ":");
        json_array_foreach(sets, i, s) {
            if (i == 20) { rc |= pk_buf_printf(b, " &hellip; (%zu sets)", json_array_size(sets)); break; }
            rc |= LIT(b, " set "), rc |= num_html(b, json_object_get(s, "set"), 1);
            rc |= LIT(b, ", "), rc |= num_html(b, json_object_get(s, "count"), 1);
            rc |= LIT(b, " canaries against "), rc |= num_html(b, json_object_get(s, "nulls"), 1);
            rc |= LIT(b, " never published, p "), rc |= num_html(b, json_object_get(s, "p"), 0);
            rc |= LIT(b, ";");
        }
        if (!p) { /* the smallest p over the sets */
            json_array_foreach(sets, i, s) {
                const json_t *q = json_object_get(s, "p");
                if (json_is_number(q) && (!p || json_number_value(q) < json_number_value(p))) p = q;
            }
        }
    } else {
        rc |= LIT(b, "passages of the work against ");
        rc |= num_html(b, json_object_get(t, "reference_documents"), 1);
        rc |= LIT(b, " reference documents: composite score "), rc |= num_html(b, json_object_get(t, "composite"), 0);
        rc |= LIT(b, ", t "), rc |= num_html(b, json_object_get(t, "t"), 0);
        const char *as = json_string_value(json_object_get(t, "assumption"));
        if (as) rc |= LIT(b, "<br><span class=\"meta\">Assumption: "), rc |= esc(b, as), rc |= LIT(b, "</span>");
    }
    rc |= LIT(b, "</td><td class=\"n\">"), rc |= num_html(b, p, 0);
    return rc | LIT(b, "</td></tr>\n");
}

/* The model probe section of page 1: per work, the verdict, each test
 * with its p-value, and the longest extracted passage beside the true
 * text.  The results were checked by pk_probe_check; fields that are
 * missing or of another type show as a dash. */
static int probe_html(pk_buf *b, const pk_report_opts *o)
{
    int rc = LIT(b, "<section id=\"probe\"><h2>Model probe</h2>\n<p class=\"meta\">");
    if (o->probe_source) rc |= LIT(b, "Results of <code>picket probe --json</code> from <b>"), rc |= esc(b, o->probe_source), rc |= LIT(b, "</b>. ");
    rc |= LIT(b, "A p-value is the chance of a result at least this strong from a model not trained on the work; "
                 "single-text membership scores are never shown alone as proof.</p>\n");
    const char *d = o->probe;
    const size_t n = o->probe_len;
    size_t shown = 0;
    for (size_t at = 0; at < n && !rc;) {
        const char *nl = memchr(d + at, '\n', n - at);
        size_t end = nl ? (size_t)(nl - d) : n;
        json_t *r = json_loadb(d + at, end - at, 0, NULL);
        at = end + 1;
        if (!json_is_object(r)) { json_decref(r); continue; }
        if (++shown > 200) { json_decref(r); rc |= LIT(b, "<p>More results are in evidence.json.</p>\n"); break; }
        rc |= LIT(b, "<article><h3>");
        rc |= esc(b, json_string_value(json_object_get(r, "work")));
        rc |= LIT(b, "</h3><p class=\"meta\">model <b>");
        const char *model = json_string_value(json_object_get(r, "model"));
        const char *api = json_string_value(json_object_get(r, "api"));
        const char *lp = json_string_value(json_object_get(r, "logprobs"));
        rc |= esc(b, model ? model : "?"), rc |= LIT(b, "</b>, API "), rc |= esc(b, api ? api : "?");
        rc |= LIT(b, ", log-probabilities: "), rc |= esc(b, lp ? lp : "?");
        rc |= LIT(b, "</p>\n<p>");
        const int ev = json_is_true(json_object_get(r, "evidence"));
        rc |= ev ? LIT(b, "<b>Evidence of training on this work</b>") : LIT(b, "<b>No evidence of training</b> at this level");
        rc |= LIT(b, " (alpha "), rc |= num_html(b, json_object_get(r, "alpha"), 0);
        rc |= LIT(b, ", divided among "), rc |= num_html(b, json_object_get(r, "tests_run"), 1);
        rc |= LIT(b, " tests run).</p>\n<table><tr><th>Test</th><th>Result</th><th>p</th></tr>\n");
        rc |= probe_test_html(b, "extraction", json_object_get(r, "extraction"));
        rc |= probe_test_html(b, "canaries", json_object_get(r, "canaries"));
        rc |= probe_test_html(b, "dataset inference", json_object_get(r, "dataset_inference"));
        rc |= LIT(b, "</table>\n");
        const json_t *ex = json_array_get(json_object_get(json_object_get(r, "extraction"), "examples"), 0);
        const char *pre = json_string_value(json_object_get(ex, "prefix"));
        const char *tru = json_string_value(json_object_get(ex, "true"));
        const char *gen = json_string_value(json_object_get(ex, "generated"));
        if (pre && tru && gen) {
            rc |= LIT(b, "<p>The longest continuation the model produced (");
            rc |= num_html(b, json_object_get(ex, "longest_run"), 1);
            rc |= LIT(b, " words in a row):</p><div class=\"side\"><h4>The prompt (its end)</h4><div class=\"txt\">&hellip;");
            size_t pl = strlen(pre), from = pl > 300 ? pl - 300 : 0; /* its last 300 bytes */
            while (from < pl && ((unsigned char)pre[from] & 0xC0) == 0x80) from++;
            rc |= pk_html_escape(b, pre + from, pl - from);
            rc |= LIT(b, "</div></div><div class=\"pair\"><div class=\"side\"><h4>The work goes on</h4><div class=\"txt\">");
            rc |= pk_html_escape(b, tru, utf8_cut(tru, strlen(tru), PK_SIDE_MAX));
            rc |= LIT(b, "</div></div><div class=\"side\"><h4>The model went on</h4><div class=\"txt\">");
            rc |= pk_html_escape(b, gen, utf8_cut(gen, strlen(gen), PK_SIDE_MAX));
            rc |= LIT(b, "</div></div></div>\n");
        }
        rc |= LIT(b, "</article>\n");
        json_decref(r);
    }
    return rc | LIT(b, "</section>\n");
}

static int summary_html(pk_buf *b, rctx *c, unsigned last)
{
    const pk_report_opts *o = c->o;
    int rc = page_head(b, "picket report");
    rc |= LIT(b, "<header><h1>picket report</h1><p class=\"meta\">");
    rc |= pk_buf_printf(b, "picket %s", pk_version());
    if (o->created) rc |= LIT(b, ", "), rc |= esc(b, o->created);
    if (o->source) {
        rc |= LIT(b, "; findings from <b>"), rc |= esc(b, o->source), rc |= LIT(b, "</b>");
        if (o->source_sha256) rc |= LIT(b, " (SHA-256 "), rc |= esc(b, o->source_sha256), rc |= LIT(b, ")");
    }
    rc |= LIT(b, "</p></header>\n<section id=\"summary\"><h2>Summary</h2>\n");
    rc |= pk_buf_printf(b, "<p><b>%zu</b> registered work%s found in <b>%zu</b> document%s: %zu finding%s, %zu passage%s.</p>\n",
                        c->ng, c->ng == 1 ? "" : "s", c->ndocs, c->ndocs == 1 ? "" : "s", c->fs->n, c->fs->n == 1 ? "" : "s",
                        c->npassages, c->npassages == 1 ? "" : "s");
    if (c->fs->n == 0) rc |= LIT(b, "<p class=\"none\">No findings: no registered work was found.</p>\n");
    if (c->ng) {
        rc |= LIT(b, "<table class=\"works\"><tr><th>Work</th><th>Title</th><th>Documents</th><th>Best coverage</th>"
                               "<th>Words matched</th><th>Passages</th></tr>\n");
        size_t shown = PK_MIN(c->ng, (size_t)500);
        for (size_t i = 0; i < shown; i++) {
            const group *g = &c->g[i];
            char cov[32];
            fmt_coverage(cov, g->best);
            if (i < o->max_works) rc |= pk_buf_printf(b, "<tr><td><a href=\"#w%zu\">", i + 1);
            else rc |= LIT(b, "<tr><td><a href=\""), rc |= finding_href(b, c, g->first, 1), rc |= LIT(b, "\">");
            rc |= esc(b, g->work);
            rc |= LIT(b, "</a></td><td>");
            rc |= esc(b, g->title);
            rc |= pk_buf_printf(b, "</td><td class=\"n\">%zu</td><td class=\"n\"><span class=\"bar\" style=\"width:%.0fpx\"></span>%s</td>"
                                   "<td class=\"n\">%llu</td><td class=\"n\">%zu</td></tr>\n",
                                g->docs, 80.0 * g->best, cov, (unsigned long long)g->words, g->passages);
        }
        rc |= LIT(b, "</table>\n");
        if (shown < c->ng) rc |= pk_buf_printf(b, "<p>%zu more works are listed on the further pages.</p>\n", c->ng - shown);
    }
    /* The strongest passages of all. */
    size_t top = 0;
    if (o->top && c->npassages) {
        typedef struct { size_t place, p; uint32_t words; } ref;
        ref *best = calloc(o->top, sizeof *best);
        if (!best) return PK_ENOMEM;
        for (size_t place = 0; place < c->fs->n; place++) {
            const pk_rfinding *f = &c->fs->f[c->ord[place]];
            for (size_t p = 0; p < f->npassages; p++) {
                uint32_t wd = f->passages[p].words;
                if (top == o->top && wd <= best[top - 1].words) continue;
                size_t k = top < o->top ? top++ : top - 1;
                while (k > 0 && best[k - 1].words < wd) best[k] = best[k - 1], k--;
                best[k] = (ref){place, p, wd};
            }
        }
        rc |= LIT(b, "<h3>Strongest passages</h3>\n<ol class=\"top\">\n");
        for (size_t i = 0; i < top; i++) {
            const pk_rfinding *f = &c->fs->f[c->ord[best[i].place]];
            const pk_rpassage *p = &f->passages[best[i].p];
            rc |= pk_buf_printf(b, "<li><a href=\"");
            rc |= finding_href(b, c, best[i].place, 1);
            rc |= pk_buf_printf(b, "\">%u words</a> of <b>", p->words);
            rc |= esc(b, f->title);
            rc |= LIT(b, "</b> (");
            rc |= work_where(b, p);
            rc |= LIT(b, ") in document ");
            rc |= esc(b, f->doc);
            if (f->url) rc |= LIT(b, " &middot; "), rc |= url_html(b, f->url);
            rc |= LIT(b, "</li>\n");
        }
        rc |= LIT(b, "</ol>\n");
        free(best);
    }
    rc |= LIT(b, "<p class=\"legend\"><span><mark>matching words</mark></span><span><ins class=\"x\">only in the document</ins></span>"
                           "<span><del class=\"x\">only in the work</del></span></p>\n");
    if (last > 1) {
        if (last == 2) rc |= pk_buf_printf(b, "<p>Every finding is listed on <a href=\"report-2.html\">page 2</a>.</p>\n");
        else rc |= pk_buf_printf(b, "<p>Every finding is listed, %zu to a page, on pages 2 to %u.</p>\n", o->page_rows, last);
        rc |= nav_html(b, c, 1, last);
    }
    rc |= LIT(b, "</section>\n");
    return rc ? PK_ENOMEM : 0;
}

static int works_html(pk_buf *b, rctx *c)
{
    int rc = 0;
    for (size_t i = 0; i < c->ng && i < c->o->max_works && !rc; i++) {
        const group *g = &c->g[i];
        char cov[32];
        fmt_coverage(cov, g->best);
        rc |= pk_buf_printf(b, "<section class=\"work\" id=\"w%zu\"><h2>", i + 1);
        rc |= esc(b, g->title);
        rc |= LIT(b, " <small>(");
        rc |= esc(b, g->work);
        rc |= pk_buf_printf(b, ")</small></h2>\n<p class=\"meta\">Found in <b>%zu</b> document%s; best coverage <b>%s</b> of %u words; "
                               "%llu words matched in %zu passage%s.",
                            g->docs, g->docs == 1 ? "" : "s", cov, g->work_words, (unsigned long long)g->words, g->passages,
                            g->passages == 1 ? "" : "s");
        size_t show = PK_MIN(g->n, c->o->per_work);
        if (show < g->n) {
            rc |= pk_buf_printf(b, " The strongest %zu of %zu findings are shown; <a href=\"", show, g->n);
            rc |= finding_href(b, c, g->first + show, 1);
            rc |= LIT(b, "\">the others are listed on the further pages</a>.");
        }
        rc |= LIT(b, "</p>\n");
        for (size_t k = 0; k < show && !rc; k++) rc = finding_html(b, c, g->first + k);
        rc |= LIT(b, "</section>\n");
    }
    return rc ? PK_ENOMEM : 0;
}

static int table_page(pk_buf *b, rctx *c, unsigned no, unsigned last)
{
    size_t from = (size_t)(no - 2) * c->o->page_rows, to = PK_MIN(c->fs->n, from + c->o->page_rows);
    char title[96];
    snprintf(title, sizeof title, "picket report: findings %zu to %zu of %zu", from + 1, to, c->fs->n);
    int rc = page_head(b, title);
    rc |= LIT(b, "<h1>");
    rc |= esc(b, title);
    rc |= LIT(b, "</h1>\n<p><a href=\"report.html\">Summary</a></p>\n");
    rc |= nav_html(b, c, no, last);
    rc |= LIT(b, "<table class=\"all\"><tr><th>#</th><th>Work</th><th>Document</th><th>Words</th><th>Coverage</th>"
                           "<th>Strongest passage</th></tr>\n");
    for (size_t place = from; place < to && !rc; place++) {
        const pk_rfinding *f = &c->fs->f[c->ord[place]];
        char cov[32];
        fmt_coverage(cov, f->coverage);
        rc |= pk_buf_printf(b, "<tr id=\"r%zu\"><td class=\"n\">", place + 1);
        if (c->inl[place]) rc |= pk_buf_printf(b, "<a href=\"report.html#f%zu\">%zu</a>", place + 1, place + 1);
        else rc |= pk_buf_printf(b, "%zu", place + 1);
        rc |= LIT(b, "</td><td>");
        rc |= esc(b, f->title);
        rc |= LIT(b, " <small>(");
        rc |= esc(b, f->work);
        rc |= LIT(b, ")</small></td><td>");
        rc |= esc(b, f->doc);
        rc |= LIT(b, "<br><span class=\"meta\">");
        rc |= doc_meta(b, f);
        rc |= pk_buf_printf(b, "</span></td><td class=\"n\">%u</td><td class=\"n\">%s</td><td class=\"x\">", f->matched_words, cov);
        const pk_rpassage *best = NULL;
        for (size_t i = 0; i < f->npassages; i++)
            if (!best || f->passages[i].words > best->words) best = &f->passages[i];
        if (best) {
            rc |= LIT(b, "<span class=\"meta\">");
            rc |= work_where(b, best);
            rc |= pk_buf_printf(b, "; bytes %llu&ndash;%llu</span><br>", (unsigned long long)best->doc_start, (unsigned long long)best->doc_end);
            if (best->text) {
                size_t n = utf8_cut(best->text, best->text_len, PK_EXCERPT);
                rc |= pk_html_escape(b, best->text, n);
                if (n < best->text_len) rc |= LIT(b, "&hellip;");
            }
        }
        rc |= LIT(b, "</td></tr>\n");
    }
    rc |= LIT(b, "</table>\n");
    rc |= nav_html(b, c, no, last);
    rc |= LIT(b, "</body></html>\n");
    return rc ? PK_ENOMEM : 0;
}

void pk_report_opts_default(pk_report_opts *o)
{
    memset(o, 0, sizeof *o);
    o->per_work = 5;
    o->max_works = 50;
    o->page_rows = 1000;
    o->top = 20;
}

int pk_report_html(const pk_findings *fs, pk_registry *reg, const pk_report_opts *opts,
                   int (*page)(unsigned no, const pk_buf *html, void *ud), void *ud, pk_error *err)
{
    int rc = 0;
    pk_report_opts o;
    if (opts) o = *opts;
    else pk_report_opts_default(&o);
    if (!o.page_rows) o.page_rows = 1000;
    rctx c;
    memset(&c, 0, sizeof c);
    c.fs = fs;
    c.o = &o;
    c.reg = reg;
    pk_doc_init(&c.wt.doc);
    pk_buf_init(&c.wt.conv, 0);
    pk_buf html;
    pk_buf_init(&html, 0);
    size_t *tmp = NULL;
    const size_t n = fs->n;
    c.ord = malloc((n + 1) * sizeof *c.ord);
    c.inl = calloc(n + 1, 1);
    c.g = malloc((n + 1) * sizeof *c.g);
    tmp = malloc((n + 1) * sizeof *tmp);
    if (!c.ord || !c.inl || !c.g || !tmp) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto cleanup; }

    /* Group by work, strongest finding first; then order the groups. */
    for (size_t i = 0; i < n; i++) c.ord[i] = i;
    qsort_r(c.ord, n, sizeof *c.ord, by_work, (void *)(uintptr_t)fs);
    for (size_t i = 0; i < n;) {
        group *g = &c.g[c.ng++];
        memset(g, 0, sizeof *g);
        const pk_rfinding *f0 = &fs->f[c.ord[i]];
        g->work = f0->work;
        g->title = f0->title;
        g->work_words = f0->work_words;
        g->first = i;
        while (i < n && strcmp(fs->f[c.ord[i]].work, g->work) == 0) {
            const pk_rfinding *f = &fs->f[c.ord[i]];
            g->words += f->matched_words;
            g->passages += f->npassages;
            if (f->coverage > g->best) g->best = f->coverage;
            tmp[g->n++] = c.ord[i++];
        }
        g->docs = count_docs(fs, tmp, g->n);
        c.npassages += g->passages;
    }
    qsort(c.g, c.ng, sizeof *c.g, by_strength);
    /* Lay the findings out in group order (ord still holds the old order). */
    for (size_t i = 0; i < n; i++) tmp[i] = c.ord[i];
    size_t at = 0;
    for (size_t k = 0; k < c.ng; k++) {
        memcpy(c.ord + at, tmp + c.g[k].first, c.g[k].n * sizeof *c.ord);
        c.g[k].first = at;
        for (size_t j = 0; j < c.g[k].n && k < o.max_works && j < o.per_work; j++) c.inl[at + j] = 1;
        at += c.g[k].n;
    }
    for (size_t i = 0; i < n; i++) tmp[i] = i;
    c.ndocs = count_docs(fs, tmp, n);

    const unsigned last = n ? 1 + (unsigned)((n + o.page_rows - 1) / o.page_rows) : 1;
    if ((rc = summary_html(&html, &c, last)) || (o.probe && (rc = probe_html(&html, &o))) || (rc = works_html(&html, &c)) ||
        (rc = LIT(&html, "<footer class=\"meta\"><p>Made by picket from scan findings. Word numbers count the work's "
                         "words from 0; lines and pages are the work's own.</p></footer>\n</body></html>\n"))) {
        rc = pk_fail(err, PK_ENOMEM, "out of memory (or over the page size cap) writing the report");
        goto cleanup;
    }
    if ((rc = page(1, &html, ud))) goto cleanup;
    for (unsigned p = 2; p <= last; p++) {
        pk_buf_reset(&html);
        if ((rc = table_page(&html, &c, p, last))) {
            rc = pk_fail(err, PK_ENOMEM, "out of memory writing the report");
            goto cleanup;
        }
        if ((rc = page(p, &html, ud))) goto cleanup;
    }
cleanup:
    pk_buf_free(&html);
    pk_doc_free(&c.wt.doc);
    pk_buf_free(&c.wt.conv);
    free(c.wt.tok);
    free(c.dt.t);
    free(c.ma);
    free(c.mb);
    free(c.ord);
    free(c.inl);
    free(c.g);
    free(tmp);
    return rc;
}
