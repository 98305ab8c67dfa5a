/* robots.c -- robots.txt as RFC 9309 defines it.
 *
 * Parsing turns the body into groups: a run of user-agent lines, then the
 * rules up to the next user-agent line that follows a rule.  Rules before
 * any user-agent line belong to no group and are dropped; lines that are
 * not "key: value" are dropped; keys are case-insensitive; '#' starts a
 * comment; lines end in LF, CR or CRLF; a UTF-8 byte-order mark is
 * skipped.  Only the first PK_ROBOTS_MAX_BYTES are read, cut at a line
 * end, as RFC 9309 2.5 allows past 500 KiB.
 *
 * Patterns are stored percent-normalized (section 2.2.2): escapes of
 * unreserved characters are decoded, other escapes get uppercase hex,
 * bytes outside printable ASCII are escaped, a stray '%' becomes "%25".
 * The path being checked is normalized the same way, and its '*' and '$'
 * become "%2A" and "%24", so that a pattern's "%2A" matches a literal
 * '*' as the RFC's examples in 2.2.3 say.  The comparison is then a plain
 * byte match where '*' in a pattern matches any run of bytes and a final
 * '$' anchors it at the end (another '$' in a pattern is literal).  Other
 * reserved characters and their escapes stay distinct (RFC 3986 2.2:
 * they are not equivalent).
 *
 * Checking merges every group that names the agent, else every '*' group
 * (2.2.1), and takes the matching rule with the longest normalized
 * pattern, an allow winning a tie (2.2.2).  All strings live in one arena
 * addressed by 32-bit offsets (the body is bounded, so they fit); the
 * parsed form is read-only after pk_robots_parse and safe to share
 * between threads. */
#include "reserve/reserve.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { R_ALLOW = 1, R_DISALLOW, R_USAGE, R_SIGNAL };

typedef struct rrule {
    uint32_t line;
    uint8_t kind;
    uint8_t anchored;      /* pattern ended in '$' */
    uint8_t haspath;       /* Content-Usage/-Signal: a path was given */
    uint32_t pat, pat_len; /* normalized pattern, '$' dropped */
    uint32_t raw, raw_len; /* the line as written, comment and blanks trimmed */
    uint32_t val, val_len; /* Content-Usage/-Signal value */
} rrule;

typedef struct ragent {
    uint32_t name, name_len; /* product token, cut at '/' */
    uint8_t star;
} ragent;

typedef struct rgroup {
    size_t agent0, nagent, rule0, nrule;
} rgroup;

struct pk_robots {
    char *arena;
    size_t alen, acap;
    ragent *ag;
    size_t nag, capag;
    rrule *ru;
    size_t nru, capru;
    rgroup *gr;
    size_t ngr, capgr;
    int truncated;
};

/* ---- storage -------------------------------------------------------------- */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 16, bytes;
    while (nc < need) nc *= 2;
    if (!pk_mul_ok(nc, elem, &bytes)) return PK_ENOMEM;
    void *q = realloc(*p, bytes);
    if (!q) return PK_ENOMEM;
    *p = q;
    *cap = nc;
    return 0;
}

/* Room for n more arena bytes; returns the write position or NULL. */
static char *arena_room(pk_robots *r, size_t n)
{
    size_t need;
    if (!pk_add_ok(r->alen, n, &need) || need > UINT32_MAX) return NULL;
    if (grow((void **)&r->arena, &r->acap, need, 1)) return NULL;
    return r->arena + r->alen;
}

static int arena_put(pk_robots *r, const char *s, size_t n, uint32_t *off)
{
    char *w = arena_room(r, n);
    if (!w) return PK_ENOMEM;
    if (n) memcpy(w, s, n);
    *off = (uint32_t)r->alen;
    r->alen += n;
    return 0;
}

/* ---- percent-encoding (RFC 9309 2.2.2) ------------------------------------ */

static const char HEX[] = "0123456789ABCDEF";

int pk_url_hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int pk_url_unreserved(unsigned c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* Normalize s[0..n) into out, which has room for 3n bytes; returns the
 * length written.  In a pattern '*' stays the wildcard and '$' (the
 * caller has stripped a final one) is escaped; in a path both are
 * escaped. */
static size_t norm(const char *s, size_t n, int is_path, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%' && i + 2 < n) {
            int h = pk_url_hexval((unsigned char)s[i + 1]), l = pk_url_hexval((unsigned char)s[i + 2]);
            if (h >= 0 && l >= 0) {
                unsigned v = (unsigned)(h * 16 + l);
                if (pk_url_unreserved(v)) {
                    out[o++] = (char)v;
                } else {
                    out[o++] = '%';
                    out[o++] = HEX[v >> 4];
                    out[o++] = HEX[v & 15];
                }
                i += 2;
                continue;
            }
        }
        if (c == '%' || c <= 0x20 || c >= 0x7f || c == '$' || (c == '*' && is_path)) {
            out[o++] = '%';
            out[o++] = HEX[c >> 4];
            out[o++] = HEX[c & 15];
        } else {
            out[o++] = (char)c;
        }
    }
    return o;
}

/* Does pattern p[0..pn) ('*' any run of bytes) match s from its start:
 * to its end when anchored, else any prefix of it?  Greedy matching that
 * backs up to the last '*': O(pn * sn) at worst, no allocation. */
static int match(const char *p, size_t pn, int anchored, const char *s, size_t sn)
{
    size_t pi = 0, si = 0, sp = 0, ss = 0;
    int star = 0;
    for (;;) {
        if (pi < pn && p[pi] == '*') {
            star = 1;
            sp = ++pi;
            ss = si;
            continue;
        }
        if (pi == pn) {
            if (!anchored || si == sn) return 1;
        } else if (si < sn && p[pi] == s[si]) {
            pi++;
            si++;
            continue;
        }
        if (!star || ss >= sn) return 0;
        pi = sp;
        si = ++ss;
    }
}

/* ---- parsing -------------------------------------------------------------- */

static int is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }

static void trim(const char **s, size_t *n)
{
    while (*n && is_ws((unsigned char)**s)) (*s)++, (*n)--;
    while (*n && is_ws((unsigned char)(*s)[*n - 1])) (*n)--;
}

static int key_is(const char *k, size_t kn, const char *want)
{
    return strlen(want) == kn && strncasecmp(k, want, kn) == 0;
}

/* The product token of a user-agent value or a caller's agent: up to the
 * first '/' (a version, as Google's parser does), blanks trimmed. */
static void agent_name(const char **s, size_t *n)
{
    const char *slash = memchr(*s, '/', *n);
    if (slash) *n = (size_t)(slash - *s);
    trim(s, n);
}

static int new_group(pk_robots *r)
{
    if (grow((void **)&r->gr, &r->capgr, r->ngr + 1, sizeof *r->gr)) return PK_ENOMEM;
    r->gr[r->ngr++] = (rgroup){r->nag, 0, r->nru, 0};
    return 0;
}

static int add_agent(pk_robots *r, const char *v, size_t vn)
{
    if (grow((void **)&r->ag, &r->capag, r->nag + 1, sizeof *r->ag)) return PK_ENOMEM;
    ragent a = {0, 0, 0};
    if (vn >= 1 && v[0] == '*' && (vn == 1 || is_ws((unsigned char)v[1]))) {
        a.star = 1;
    } else {
        agent_name(&v, &vn);
        if (arena_put(r, v, vn, &a.name)) return PK_ENOMEM;
        a.name_len = (uint32_t)vn;
    }
    r->ag[r->nag++] = a;
    r->gr[r->ngr - 1].nagent++;
    return 0;
}

/* Store pattern p[0..pn) normalized into the rule. */
static int put_pattern(pk_robots *r, rrule *ru, const char *p, size_t pn)
{
    if (pn && p[pn - 1] == '$') {
        ru->anchored = 1;
        pn--;
    }
    size_t room;
    if (!pk_mul_ok(pn, 3, &room)) return PK_ENOMEM;
    char *w = arena_room(r, room);
    if (!w) return PK_ENOMEM;
    size_t len = norm(p, pn, 0, w);
    ru->pat = (uint32_t)r->alen;
    ru->pat_len = (uint32_t)len;
    r->alen += len;
    return 0;
}

static int add_rule(pk_robots *r, int kind, uint32_t line, const char *raw, size_t rawn, const char *v,
                    size_t vn)
{
    if (grow((void **)&r->ru, &r->capru, r->nru + 1, sizeof *r->ru)) return PK_ENOMEM;
    rrule ru;
    memset(&ru, 0, sizeof ru);
    ru.line = line;
    ru.kind = (uint8_t)kind;
    if (arena_put(r, raw, rawn, &ru.raw)) return PK_ENOMEM;
    ru.raw_len = (uint32_t)rawn;
    if (kind == R_USAGE || kind == R_SIGNAL) {
        /* "[path] value": a path starts with '/' or '*' */
        if (vn && (v[0] == '/' || v[0] == '*')) {
            size_t pn = 0;
            while (pn < vn && !is_ws((unsigned char)v[pn])) pn++;
            ru.haspath = 1;
            if (put_pattern(r, &ru, v, pn)) return PK_ENOMEM;
            v += pn;
            vn -= pn;
            trim(&v, &vn);
        }
        if (arena_put(r, v, vn, &ru.val)) return PK_ENOMEM;
        ru.val_len = (uint32_t)vn;
    } else if (put_pattern(r, &ru, v, vn)) {
        return PK_ENOMEM;
    }
    r->ru[r->nru++] = ru;
    r->gr[r->ngr - 1].nrule++;
    return 0;
}

int pk_robots_parse(pk_robots **out, const char *body, size_t n, pk_error *err)
{
    *out = NULL;
    pk_robots *r = calloc(1, sizeof *r);
    if (!r) return pk_fail(err, PK_ENOMEM, "out of memory");
    if (!body) n = 0;
    if (n > PK_ROBOTS_MAX_BYTES) {
        /* keep whole lines: cut after the last line end within the limit */
        size_t cut = PK_ROBOTS_MAX_BYTES;
        while (cut > 0 && body[cut - 1] != '\n' && body[cut - 1] != '\r') cut--;
        n = cut ? cut : PK_ROBOTS_MAX_BYTES;
        r->truncated = 1;
    }
    const char *p = body, *end = body ? body + n : NULL;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    uint32_t line = 0;
    int in_agents = 0; /* the last group line was a user-agent line */
    while (p < end) {
        const char *q = p;
        while (q < end && *q != '\n' && *q != '\r') q++;
        line++;
        const char *s = p;
        size_t sn = (size_t)(q - p);
        if (q < end) q += (*q == '\r' && q + 1 < end && q[1] == '\n') ? 2 : 1;
        p = q;

        const char *hash = memchr(s, '#', sn);
        if (hash) sn = (size_t)(hash - s);
        trim(&s, &sn);
        const char *colon = memchr(s, ':', sn);
        if (!colon) continue;
        const char *k = s, *v = colon + 1;
        size_t kn = (size_t)(colon - s), vn = sn - kn - 1;
        trim(&k, &kn);
        trim(&v, &vn);
        int kind = 0;
        if (key_is(k, kn, "user-agent")) {
            if (!in_agents && new_group(r)) goto nomem;
            in_agents = 1;
            if (add_agent(r, v, vn)) goto nomem;
            continue;
        }
        if (key_is(k, kn, "allow")) kind = R_ALLOW;
        else if (key_is(k, kn, "disallow")) kind = R_DISALLOW;
        else if (key_is(k, kn, "content-usage")) kind = R_USAGE;
        else if (key_is(k, kn, "content-signal")) kind = R_SIGNAL;
        if (!kind || r->ngr == 0) continue; /* other records; rules before any group */
        in_agents = 0;
        if (add_rule(r, kind, line, s, sn, v, vn)) goto nomem;
    }
    *out = r;
    return 0;
nomem:
    pk_robots_free(r);
    return pk_fail(err, PK_ENOMEM, "out of memory");
}

void pk_robots_free(pk_robots *r)
{
    if (!r) return;
    free(r->arena);
    free(r->ag);
    free(r->ru);
    free(r->gr);
    free(r);
}

int pk_robots_truncated(const pk_robots *r) { return r ? r->truncated : 0; }

size_t pk_robots_group_count(const pk_robots *r) { return r ? r->ngr : 0; }

/* ---- checking ------------------------------------------------------------- */

static int group_names(const pk_robots *r, const rgroup *g, const char *a, size_t an)
{
    for (size_t i = g->agent0; i < g->agent0 + g->nagent; i++) {
        const ragent *x = &r->ag[i];
        if (!x->star && x->name_len == an && an && strncasecmp(r->arena + x->name, a, an) == 0) return 1;
    }
    return 0;
}

static int group_star(const pk_robots *r, const rgroup *g)
{
    for (size_t i = g->agent0; i < g->agent0 + g->nagent; i++)
        if (r->ag[i].star) return 1;
    return 0;
}

/* Which groups the agent obeys: 1 the groups naming it, 2 the '*' groups,
 * 0 none. */
static int select_mode(const pk_robots *r, const char *a, size_t an)
{
    int star = 0;
    for (size_t g = 0; g < r->ngr; g++) {
        if (group_names(r, &r->gr[g], a, an)) return 1;
        if (group_star(r, &r->gr[g])) star = 1;
    }
    return star ? 2 : 0;
}

static int group_selected(const pk_robots *r, const rgroup *g, int mode, const char *a, size_t an)
{
    return mode == 1 ? group_names(r, g, a, an) : mode == 2 ? group_star(r, g) : 0;
}

int pk_robots_names_agent(const pk_robots *r, const char *agent)
{
    if (!r || !agent) return 0;
    size_t an = strlen(agent);
    agent_name(&agent, &an);
    return select_mode(r, agent, an) == 1;
}

#define PATH_STACK 4096

/* A normalized path: the URL's path and query (scheme and authority
 * dropped, fragment dropped, "/" when empty). */
typedef struct npath {
    char stack[PATH_STACK * 3 + 4];
    char *heap;
    const char *s;
    size_t n;
} npath;

static void npath_make(npath *np, const char *path)
{
    const char *s = path ? path : "";
    const char *sep = strstr(s, "://");
    if (sep) {
        const char *c = s;
        while (c < sep && ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                           *c == '+' || *c == '-' || *c == '.'))
            c++;
        if (c == sep && sep > s) s = sep + 3 + strcspn(sep + 3, "/?#");
    }
    size_t n = strcspn(s, "#");
    int slash = n == 0 || s[0] != '/';
    char *buf = np->stack;
    np->heap = NULL;
    if (n > PATH_STACK) {
        size_t room;
        if (pk_mul_ok(n, 3, &room) && pk_add_ok(room, 2, &room)) np->heap = malloc(room);
        if (np->heap) buf = np->heap;
        else n = PATH_STACK; /* out of memory: match the first 4 KiB */
    }
    size_t o = 0;
    if (slash) buf[o++] = '/';
    o += norm(s, n, 1, buf + o);
    np->s = buf;
    np->n = o;
}

void pk_robots_check(const pk_robots *r, const char *agent, const char *path, pk_robots_verdict *v)
{
    memset(v, 0, sizeof *v);
    v->allowed = 1;
    if (!r) return;
    const char *a = agent ? agent : "";
    size_t an = strlen(a);
    agent_name(&a, &an);
    npath np;
    npath_make(&np, path);
    int mode = select_mode(r, a, an);
    v->group_star = mode == 2;
    if (np.n == 11 && memcmp(np.s, "/robots.txt", 11) == 0) goto done; /* 2.2.2: implicitly allowed */
    const rrule *best = NULL;
    size_t best_len = 0;
    for (size_t g = 0; g < r->ngr; g++) {
        const rgroup *gr = &r->gr[g];
        if (!group_selected(r, gr, mode, a, an)) continue;
        for (size_t i = gr->rule0; i < gr->rule0 + gr->nrule; i++) {
            const rrule *ru = &r->ru[i];
            if (ru->kind != R_ALLOW && ru->kind != R_DISALLOW) continue;
            if (ru->pat_len == 0) continue; /* "Disallow:" with no path: no rule */
            if (!match(r->arena + ru->pat, ru->pat_len, ru->anchored, np.s, np.n)) continue;
            size_t len = (size_t)ru->pat_len + ru->anchored;
            if (!best || len > best_len ||
                (len == best_len && ru->kind == R_ALLOW && best->kind == R_DISALLOW)) {
                best = ru;
                best_len = len;
            }
        }
    }
    if (best) {
        v->allowed = best->kind == R_ALLOW;
        v->line = best->line;
        size_t n = PK_MIN((size_t)best->raw_len, sizeof v->rule - 1);
        memcpy(v->rule, r->arena + best->raw, n);
        v->rule[n] = '\0';
    }
done:
    free(np.heap);
}

/* The best Content-Usage or Content-Signal rule of one kind for the path:
 * the longest matching path, a rule without a path counting as 0. */
static const rrule *best_usage(const pk_robots *r, int mode, const char *a, size_t an, int kind, const npath *np)
{
    const rrule *best = NULL;
    size_t best_len = 0;
    for (size_t g = 0; g < r->ngr; g++) {
        const rgroup *gr = &r->gr[g];
        if (!group_selected(r, gr, mode, a, an)) continue;
        for (size_t i = gr->rule0; i < gr->rule0 + gr->nrule; i++) {
            const rrule *ru = &r->ru[i];
            if (ru->kind != kind || ru->val_len == 0) continue;
            size_t len = 0;
            if (ru->haspath) {
                if (!match(r->arena + ru->pat, ru->pat_len, ru->anchored, np->s, np->n)) continue;
                len = (size_t)ru->pat_len + ru->anchored + 1;
            }
            if (!best || len > best_len) {
                best = ru;
                best_len = len;
            }
        }
    }
    return best;
}

int pk_robots_content_usage(const pk_robots *r, const char *agent, const char *path, char *out, size_t cap)
{
    if (cap) out[0] = '\0';
    if (!r) return 0;
    const char *a = agent ? agent : "";
    size_t an = strlen(a);
    agent_name(&a, &an);
    npath np;
    npath_make(&np, path);
    int mode = select_mode(r, a, an);
    const rrule *u = best_usage(r, mode, a, an, R_USAGE, &np);
    const rrule *s = best_usage(r, mode, a, an, R_SIGNAL, &np);
    free(np.heap);
    if (!u && !s) return 0;
    if (cap) {
        int w = 0;
        if (u) w = snprintf(out, cap, "Content-Usage: %.*s", (int)u->val_len, r->arena + u->val);
        if (s && w >= 0 && (size_t)w < cap)
            snprintf(out + w, cap - (size_t)w, "%sContent-Signal: %.*s", u ? "; " : "", (int)s->val_len,
                     r->arena + s->val);
    }
    return 1;
}

/* ---- walking the parsed file (for reserve init) --------------------------- */

int pk_robots_each_rule(const pk_robots *r, const char *agent, int all, pk_robots_rule_fn fn, void *ud)
{
    if (!r) return 0;
    const char *a = agent ? agent : "";
    size_t an = strlen(a);
    agent_name(&a, &an);
    int mode = all ? 0 : agent ? (select_mode(r, a, an) == 1 ? 1 : -1) : 2;
    if (mode < 0) return 0;
    for (size_t g = 0; g < r->ngr; g++) {
        const rgroup *gr = &r->gr[g];
        if (mode && !group_selected(r, gr, mode, a, an)) continue;
        for (size_t i = gr->rule0; i < gr->rule0 + gr->nrule; i++) {
            const rrule *ru = &r->ru[i];
            if (ru->kind != R_ALLOW && ru->kind != R_DISALLOW) continue;
            const char *raw = r->arena + ru->raw, *v = memchr(raw, ':', ru->raw_len);
            size_t vn = v ? ru->raw_len - (size_t)(v - raw) - 1 : 0;
            v = v ? v + 1 : raw;
            trim(&v, &vn);
            int rc = fn(ud, ru->kind == R_ALLOW, raw, ru->raw_len, v, vn, ru->line);
            if (rc) return rc;
        }
    }
    return 0;
}

int pk_robots_each_agent(const pk_robots *r, int (*fn)(void *ud, const char *name, size_t n), void *ud)
{
    if (!r) return 0;
    for (size_t i = 0; i < r->nag; i++) {
        const ragent *x = &r->ag[i];
        if (x->star || x->name_len == 0) continue;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !r->ag[j].star && r->ag[j].name_len == x->name_len &&
                   strncasecmp(r->arena + r->ag[j].name, r->arena + x->name, x->name_len) == 0;
        if (seen) continue;
        int rc = fn(ud, r->arena + x->name, x->name_len);
        if (rc) return rc;
    }
    return 0;
}

int pk_robots_open_group(const pk_robots *r)
{
    if (!r || r->ngr == 0) return 0;
    const rgroup *g = &r->gr[r->ngr - 1];
    for (size_t i = g->rule0; i < g->rule0 + g->nrule; i++)
        if (r->ru[i].kind == R_ALLOW || r->ru[i].kind == R_DISALLOW) return 0;
    return 1;
}
