/* signals.c -- what a site says about AI training, read without the network.
 *
 * Three readers, each total (any bytes in, a bounded answer out):
 *   - TDMRep's /.well-known/tdmrep.json (jansson): an array of rules
 *     {location, tdm-reservation, tdm-policy}, the first whose location
 *     matches the path winning.  Locations are normalized once, when the
 *     file is parsed; a path once per lookup.  Matching is the robots.txt
 *     kind TDMRep borrows: a prefix match, octet by octet, with '*' for any
 *     run and a final '$' for the end.  The matcher keeps one backtrack
 *     point (the last '*'), so it runs in O(pattern x path) at worst and
 *     never recurses.
 *   - the response's header fields: tdm-reservation, tdm-policy,
 *     Content-Usage (IETF aipref), Content-Signal (Cloudflare) and
 *     X-Robots-Tag, whose directives may be scoped to one crawler
 *     ("GPTBot: noai").
 *   - the page's meta tags, through libxml2's HTML parser (recovering,
 *     never touching the network), walked iteratively.
 * Every value is copied into fixed-size fields, cut to fit: a page cannot
 * make this allocate more than its parse tree. */
#include "reserve/check.h"

#include <ctype.h>
#include <jansson.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#define PK_LAZY_XML /* libxml2 opened on first use: lazy.c */
#include "lazy.h"
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOCATION_MAX 2048 /* a longer location is skipped */

/* ---- normalization and matching ------------------------------------------ */


/* Normalize s[0..n) into out (room for 3n + 1).  In a pattern, bare '*'
 * and a final '$' stay special; everywhere else '*' and '$' are written
 * %2A and %24, so a special character can never match a literal one. */
static size_t norm(const char *s, size_t n, int pattern, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%' && i + 2 < n && pk_url_hexval((unsigned char)s[i + 1]) >= 0 && pk_url_hexval((unsigned char)s[i + 2]) >= 0) {
            unsigned v = (unsigned)(pk_url_hexval((unsigned char)s[i + 1]) * 16 + pk_url_hexval((unsigned char)s[i + 2]));
            if (pk_url_unreserved(v)) out[o++] = (char)v;
            else {
                out[o++] = '%';
                out[o++] = hex[v >> 4];
                out[o++] = hex[v & 15];
            }
            i += 2;
        } else if (c <= 0x20 || c >= 0x7f || (c == '*' && !pattern) || (c == '$' && !(pattern && i + 1 == n))) {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = 0;
    return o;
}

/* p (normalized pattern, its final '$' already taken off into anchored)
 * against s (normalized path). */
static int wmatch(const char *p, size_t pn, int anchored, const char *s, size_t sn)
{
    size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;
    for (;;) {
        if (pi == pn) {
            if (!anchored || si == sn) return 1;
        } else if (p[pi] == '*') {
            star = pi++;
            mark = si;
            continue;
        } else if (si < sn && p[pi] == s[si]) {
            pi++;
            si++;
            continue;
        }
        if (star == SIZE_MAX || mark >= sn) return 0;
        pi = star + 1;
        si = ++mark;
    }
}

static int match_norm(const char *np, size_t pn, const char *ns, size_t sn)
{
    int anchored = pn > 0 && np[pn - 1] == '$';
    return wmatch(np, anchored ? pn - 1 : pn, anchored, ns, sn);
}

int pk_tdmrep_match(const char *pattern, const char *path)
{
    size_t pn = strlen(pattern), sn = strlen(path);
    if (pn > LOCATION_MAX || sn > LOCATION_MAX) return 0;
    char np[3 * LOCATION_MAX + 1], ns[3 * LOCATION_MAX + 1];
    size_t a = norm(pattern, pn, 1, np), b = norm(path, sn, 0, ns);
    return match_norm(np, a, ns, b);
}

/* ---- tdmrep.json ---------------------------------------------------------- */

typedef struct trule {
    char *raw;    /* as written */
    char *loc;    /* normalized */
    size_t loc_len;
    int tdm;      /* PK_TDM_* */
    char *policy; /* NULL if none */
} trule;

struct pk_tdmrep {
    trule *rules;
    size_t n, skipped, fixed;
};

void pk_tdmrep_free(pk_tdmrep *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->rules[i].raw);
        free(t->rules[i].loc);
        free(t->rules[i].policy);
    }
    free(t->rules);
    free(t);
}

size_t pk_tdmrep_count(const pk_tdmrep *t) { return t ? t->n : 0; }
size_t pk_tdmrep_skipped(const pk_tdmrep *t) { return t ? t->skipped : 0; }
size_t pk_tdmrep_fixed(const pk_tdmrep *t) { return t ? t->fixed : 0; }
const char *pk_tdmrep_location(const pk_tdmrep *t, size_t i) { return t && i < t->n ? t->rules[i].raw : ""; }

static int json_tdm(const json_t *v)
{
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        return x == 0 ? PK_TDM_OPEN : x == 1 ? PK_TDM_RESERVED : PK_TDM_UNSET;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strcmp(s, "0") == 0) return PK_TDM_OPEN;
        if (strcmp(s, "1") == 0) return PK_TDM_RESERVED;
    }
    return PK_TDM_UNSET;
}

int pk_tdmrep_parse(pk_tdmrep **out, const char *body, size_t n, pk_error *err)
{
    *out = NULL;
    int rc = 0;
    json_error_t je;
    json_t *root = json_loadb(body, n, 0, &je);
    pk_tdmrep *t = calloc(1, sizeof *t);
    char *buf = NULL;
    if (!t) {
        rc = pk_fail(err, PK_ENOMEM, "out of memory");
        goto cleanup;
    }
    if (!root) {
        rc = pk_fail(err, PK_EFORMAT, "not JSON: %s (line %d)", je.text, je.line);
        goto cleanup;
    }
    if (!json_is_array(root)) {
        rc = pk_fail(err, PK_EFORMAT, "not a JSON array of rules");
        goto cleanup;
    }
    size_t cnt = json_array_size(root);
    if (cnt > PK_TDMREP_MAX_RULES) {
        t->skipped += cnt - PK_TDMREP_MAX_RULES;
        cnt = PK_TDMREP_MAX_RULES;
    }
    t->rules = calloc(cnt ? cnt : 1, sizeof *t->rules);
    buf = malloc(3 * LOCATION_MAX + 2);
    if (!t->rules || !buf) {
        rc = pk_fail(err, PK_ENOMEM, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < cnt; i++) {
        json_t *o = json_array_get(root, i);
        json_t *loc = json_is_object(o) ? json_object_get(o, "location") : NULL;
        if (!json_is_string(loc) || json_string_length(loc) > LOCATION_MAX) {
            t->skipped++;
            continue;
        }
        const char *l = json_string_value(loc);
        size_t ln = json_string_length(loc), k = 0;
        if (l[0] != '/' && l[0] != '*') {
            buf[k++] = '/'; /* "images/x" is read as "/images/x" */
            t->fixed++;
        }
        k += norm(l, ln, 1, buf + k);
        trule *r = &t->rules[t->n];
        r->loc = malloc(k + 1);
        r->raw = strndup(l, ln);
        if (!r->loc || !r->raw) {
            t->n++; /* freed with the rest */
            rc = pk_fail(err, PK_ENOMEM, "out of memory");
            goto cleanup;
        }
        memcpy(r->loc, buf, k + 1);
        r->loc_len = k;
        r->tdm = json_tdm(json_object_get(o, "tdm-reservation"));
        json_t *pol = json_object_get(o, "tdm-policy");
        if (json_is_string(pol)) {
            r->policy = strndup(json_string_value(pol), PK_MIN(json_string_length(pol), (size_t)511));
            if (!r->policy) {
                t->n++;
                rc = pk_fail(err, PK_ENOMEM, "out of memory");
                goto cleanup;
            }
        }
        t->n++;
    }
    *out = t;
    t = NULL;
cleanup:
    free(buf);
    pk_tdmrep_free(t);
    json_decref(root);
    return rc;
}

long pk_tdmrep_lookup(const pk_tdmrep *t, const char *path, int *reservation, const char **policy)
{
    if (!t) return -1;
    size_t sn = strlen(path);
    if (sn > LOCATION_MAX) sn = LOCATION_MAX; /* a longer path is matched on its start */
    char ns[3 * LOCATION_MAX + 1];
    size_t b = norm(path, sn, 0, ns);
    for (size_t i = 0; i < t->n; i++) {
        if (!match_norm(t->rules[i].loc, t->rules[i].loc_len, ns, b)) continue;
        if (reservation) *reservation = t->rules[i].tdm;
        if (policy) *policy = t->rules[i].policy;
        return (long)i;
    }
    return -1;
}

/* ---- values ---------------------------------------------------------- */

static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s)) { (*s)++; (*n)--; }
    while (*n && isspace((unsigned char)(*s)[*n - 1])) (*n)--;
}

static int eq(const char *s, size_t n, const char *want)
{
    return strlen(want) == n && strncasecmp(s, want, n) == 0;
}

/* Append v to a fixed field, ", " between values, cut to fit. */
static void join(char *dst, size_t cap, const char *v, size_t n)
{
    size_t l = strlen(dst);
    if (l && l + 2 < cap) {
        memcpy(dst + l, ", ", 2);
        l += 2;
    }
    size_t k = PK_MIN(n, cap - 1 - l);
    memcpy(dst + l, v, k);
    dst[l + k] = 0;
}

static void copy(char *dst, size_t cap, const char *v, size_t n)
{
    size_t k = PK_MIN(n, cap - 1);
    memcpy(dst, v, k);
    dst[k] = 0;
}

/* The next comma-separated item of v[0..n) from *pos, trimmed; 0 at the end. */
static int next_item(const char *v, size_t n, size_t *pos, const char **m, size_t *mn)
{
    if (*pos >= n) return 0;
    size_t j = *pos;
    while (j < n && v[j] != ',') j++;
    *m = v + *pos;
    *mn = j - *pos;
    trim(m, mn);
    *pos = j + 1;
    return 1;
}

void pk_signals_init(pk_signals *s)
{
    memset(s, 0, sizeof *s);
    s->tdm = PK_TDM_UNSET;
    s->train_ai = -1;
    s->ai_train = -1;
}

static void set_tdm(pk_signals *s, const char *v, size_t n)
{
    trim(&v, &n);
    if (!s->tdm_raw[0]) copy(s->tdm_raw, sizeof s->tdm_raw, v, n);
    int t = eq(v, n, "1") ? PK_TDM_RESERVED : eq(v, n, "0") ? PK_TDM_OPEN : PK_TDM_UNSET;
    if (t == PK_TDM_UNSET) s->tdm_invalid = 1;
    else if (s->tdm == PK_TDM_UNSET) s->tdm = t;
}

static void set_policy(pk_signals *s, const char *v, size_t n)
{
    trim(&v, &n);
    if (!s->tdm_policy[0]) copy(s->tdm_policy, sizeof s->tdm_policy, v, n);
}

/* Read a "key=value, key=value;param" list (parameters dropped): of
 * keys, most specific first, the first given a yes or no value decides,
 * the last such value of it counting.  1 no, 0 yes, -1 none. */
static int dict_value(const char *v, size_t n, const char *const *keys, int (*yes)(const char *, size_t),
                      int (*no)(const char *, size_t))
{
    int found[8];
    size_t nk = 0;
    while (nk < 8 && keys[nk]) found[nk++] = -1;
    size_t pos = 0, mn;
    const char *m;
    while (next_item(v, n, &pos, &m, &mn)) {
        for (size_t p = 0; p < mn; p++)
            if (m[p] == ';') { mn = p; break; }
        const char *eqp = mn ? memchr(m, '=', mn) : NULL;
        if (eqp) {
            const char *k = m, *val = eqp + 1;
            size_t kn = (size_t)(eqp - m), vn = mn - kn - 1;
            trim(&k, &kn);
            trim(&val, &vn);
            if (vn >= 2 && val[0] == '"' && val[vn - 1] == '"') { val++; vn -= 2; }
            for (size_t q = 0; q < nk; q++) {
                if (!eq(k, kn, keys[q])) continue;
                if (no(val, vn)) found[q] = 1;
                else if (yes(val, vn)) found[q] = 0;
            }
        }
    }
    for (size_t q = 0; q < nk; q++)
        if (found[q] >= 0) return found[q];
    return -1;
}

static int is_yes(const char *v, size_t n) { return eq(v, n, "y") || eq(v, n, "yes"); }
static int is_no(const char *v, size_t n) { return eq(v, n, "n") || eq(v, n, "no"); }

int pk_content_usage_train(const char *v, size_t n)
{
    static const char *const keys[] = {"train-ai", "ai", "tdm", "bots", NULL};
    return dict_value(v, n, keys, is_yes, is_no);
}

int pk_content_signal_train(const char *v, size_t n)
{
    static const char *const keys[] = {"ai-train", NULL};
    return dict_value(v, n, keys, is_yes, is_no);
}

/* ---- robots directives (X-Robots-Tag, meta robots) ------------------------ */

static unsigned directive(const char *d, size_t n)
{
    trim(&d, &n);
    if (eq(d, n, "noai")) return PK_NOAI;
    if (eq(d, n, "noimageai")) return PK_NOIMAGEAI;
    return 0;
}

static void add_scoped(pk_signals *s, const char *agent, size_t an, unsigned flags)
{
    if (!flags) return;
    for (size_t i = 0; i < s->nscoped; i++)
        if (eq(agent, an, s->scoped[i].agent)) {
            s->scoped[i].flags |= flags;
            return;
        }
    if (s->nscoped == PK_SIG_SCOPED_MAX) return;
    copy(s->scoped[s->nscoped].agent, sizeof s->scoped[0].agent, agent, an);
    s->scoped[s->nscoped++].flags = flags;
}

/* An X-Robots-Tag value: comma-separated directives, any of them opening
 * with "agent:" to scope it and the ones after it to that crawler (as
 * Google reads "googlebot: noindex, nofollow").  Directives that carry a
 * value after a colon are not agents. */
static void x_robots(pk_signals *s, const char *v, size_t n, const char *agent, size_t an)
{
    static const char *const valued[] = {"unavailable_after", "max-snippet", "max-image-preview",
                                         "max-video-preview", NULL};
    unsigned seen = 0;
    size_t pos = 0, mn;
    const char *m;
    while (next_item(v, n, &pos, &m, &mn)) {
        const char *colon = mn ? memchr(m, ':', mn) : NULL;
        if (colon) {
            const char *k = m, *end = m + mn;
            size_t kn = (size_t)(colon - m);
            trim(&k, &kn);
            int is_valued = 0;
            for (size_t q = 0; valued[q]; q++) is_valued |= eq(k, kn, valued[q]);
            int token = kn > 0 && !memchr(k, ' ', kn) && !memchr(k, '\t', kn);
            if (!is_valued && token) {
                agent = k;
                an = kn;
                m = colon + 1;
                mn = (size_t)(end - m);
            }
        }
        unsigned f = directive(m, mn);
        seen |= f;
        if (agent) add_scoped(s, agent, an, f);
        else s->robots |= f;
    }
    if (seen) join(s->robots_raw, sizeof s->robots_raw, v, n);
}

unsigned pk_signals_noai(const pk_signals *s, const char *agent)
{
    unsigned f = s->robots;
    for (size_t i = 0; i < s->nscoped; i++)
        if (strcasecmp(s->scoped[i].agent, agent) == 0) f |= s->scoped[i].flags;
    return f;
}

/* ---- header fields -------------------------------------------------------- */

static void field(pk_signals *s, const char *k, size_t kn, const char *v, size_t vn)
{
    trim(&k, &kn);
    trim(&v, &vn);
    if (eq(k, kn, "tdm-reservation")) set_tdm(s, v, vn);
    else if (eq(k, kn, "tdm-policy")) set_policy(s, v, vn);
    else if (eq(k, kn, "content-usage")) join(s->usage, sizeof s->usage, v, vn);
    else if (eq(k, kn, "content-signal")) join(s->signal, sizeof s->signal, v, vn);
    else if (eq(k, kn, "x-robots-tag")) x_robots(s, v, vn, NULL, 0);
}

static void settle(pk_signals *s)
{
    s->train_ai = pk_content_usage_train(s->usage, strlen(s->usage));
    s->ai_train = pk_content_signal_train(s->signal, strlen(s->signal));
}

void pk_signals_headers(pk_signals *s, const char *head, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(head + i, '\n', n - i);
        size_t j = nl ? (size_t)(nl - head) : n;
        const char *line = head + i;
        size_t ln = j - i;
        if (ln && line[ln - 1] == '\r') ln--;
        const char *colon = memchr(line, ':', ln);
        /* Not the status line, not an obsolete folded continuation. */
        if (colon && ln && line[0] != ' ' && line[0] != '\t' && !(ln >= 5 && memcmp(line, "HTTP/", 5) == 0))
            field(s, line, (size_t)(colon - line), colon + 1, ln - (size_t)(colon - line) - 1);
        i = j + 1;
    }
    settle(s);
}

/* ---- meta tags ------------------------------------------------------------ */

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static void xml_init(void) { xmlInitParser(); }
static void quiet(void *ctx, const char *msg, ...) { PK_UNUSED(ctx); PK_UNUSED(msg); }

static void meta(pk_signals *s, const char *name, const char *content)
{
    const char *k = name;
    size_t kn = strlen(name), cn = strlen(content);
    trim(&k, &kn);
    if (eq(k, kn, "tdm-reservation")) set_tdm(s, content, cn);
    else if (eq(k, kn, "tdm-policy")) set_policy(s, content, cn);
    else if (eq(k, kn, "robots")) x_robots(s, content, cn, NULL, 0);
    else if (kn && kn < 64) {
        /* <meta name="GPTBot" content="noai">: directives for one crawler,
         * which may not scope them again. */
        unsigned f = 0;
        size_t pos = 0, mn;
        const char *m;
        while (next_item(content, cn, &pos, &m, &mn)) f |= directive(m, mn);
        if (f) {
            add_scoped(s, k, kn, f);
            join(s->robots_raw, sizeof s->robots_raw, content, cn);
        }
    }
}

int pk_signals_html(pk_signals *s, const char *html, size_t n, pk_error *err)
{
    if (pk_lazy_xml(err)) return PK_EIO;
    pthread_once(&xml_once, xml_init);
    if (n == 0) return 0;
    if (n > INT_MAX) n = INT_MAX;
    xmlSetGenericErrorFunc(NULL, quiet);
    htmlDocPtr doc = htmlReadMemory(html, (int)n, NULL, NULL,
                                    HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_RECOVER);
    if (!doc) return 0;
    xmlNode *node = doc->children;
    while (node) {
        if (node->type == XML_ELEMENT_NODE && node->name && strcasecmp((const char *)node->name, "meta") == 0) {
            xmlChar *name = xmlGetProp(node, (const xmlChar *)"name");
            xmlChar *content = xmlGetProp(node, (const xmlChar *)"content");
            if (name && content) meta(s, (const char *)name, (const char *)content);
            xmlFree(name);
            xmlFree(content);
        }
        /* Next in document order, without recursion. */
        if (node->children && node->type == XML_ELEMENT_NODE) {
            node = node->children;
            continue;
        }
        while (node && !node->next) {
            node = node->parent;
            if (node && (xmlNode *)node == (xmlNode *)doc) node = NULL;
        }
        if (node) node = node->next;
    }
    xmlFreeDoc(doc);
    settle(s);
    PK_UNUSED(err);
    return 0;
}
