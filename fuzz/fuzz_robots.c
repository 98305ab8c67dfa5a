/* fuzz_robots.c -- robots.txt parsing and matching against a slow reference.
 *
 * Every input is a robots.txt body.  It is parsed, then checked for a few
 * fixed agents and for the agents it names, on fixed paths and on paths
 * made from its own rule values (wildcards filled in, '$' dropped, bytes
 * of the input mixed in).  pk_robots_check must agree with a reference
 * written the obvious slow way: the rules of the groups the agent obeys
 * (walked with pk_robots_each_rule), each pattern normalized byte by byte
 * and matched by dynamic programming over (pattern, path) prefixes, the
 * longest match winning and Allow winning a tie.  Any disagreement aborts;
 * so does any crash, leak or overread under the sanitizers. */
#include "reserve/reserve.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXP 64

static int hexv(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The normalization RFC 9309 2.2.2 asks for, written out plainly. */
static size_t ref_norm(const char *s, size_t n, int is_path, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i];
        if (c == '%' && i + 2 < n && hexv((unsigned char)s[i + 1]) >= 0 && hexv((unsigned char)s[i + 2]) >= 0) {
            unsigned v = (unsigned)(hexv((unsigned char)s[i + 1]) * 16 + hexv((unsigned char)s[i + 2]));
            int unres = (v >= 'a' && v <= 'z') || (v >= 'A' && v <= 'Z') || (v >= '0' && v <= '9') || v == '-' ||
                        v == '.' || v == '_' || v == '~';
            if (unres) out[o++] = (char)v;
            else o += (size_t)sprintf(out + o, "%%%02X", v);
            i += 2;
        } else if (c == '%' || c <= 0x20 || c >= 0x7f || c == '$' || (is_path && c == '*')) {
            o += (size_t)sprintf(out + o, "%%%02X", c);
        } else {
            out[o++] = (char)c;
        }
    }
    return o;
}

/* dp over (pattern prefix, path prefix), one row per pattern byte:
 * row[j] says p[0..i) matches s[0..j). */
static int ref_match(const char *p, size_t pn, int anchored, const char *s, size_t sn)
{
    unsigned char prev[3 * MAXP + 2], cur[3 * MAXP + 2];
    memset(prev, 0, sn + 1);
    prev[0] = 1;
    for (size_t i = 1; i <= pn; i++) {
        for (size_t j = 0; j <= sn; j++) {
            if (p[i - 1] == '*') cur[j] = prev[j] || (j > 0 && cur[j - 1]);
            else cur[j] = j > 0 && prev[j - 1] && p[i - 1] == s[j - 1];
        }
        memcpy(prev, cur, sn + 1);
    }
    if (anchored) return prev[sn];
    for (size_t j = 0; j <= sn; j++)
        if (prev[j]) return 1;
    return 0;
}

typedef struct ref {
    const char *path;
    size_t path_n;
    int found, allowed, too_long;
    size_t best;
    uint32_t line;
} ref;

static int ref_rule(void *ud, int allow, const char *line, size_t ln, const char *v, size_t vn, uint32_t lineno)
{
    ref *r = ud;
    int anchored = vn && v[vn - 1] == '$';
    size_t pn = vn - (size_t)anchored;
    if (pn == 0) return 0;
    if (pn > MAXP) {
        r->too_long = 1;
        return 0;
    }
    char pat[3 * MAXP + 2];
    size_t n = ref_norm(v, pn, 0, pat);
    if (!ref_match(pat, n, anchored, r->path, r->path_n)) return 0;
    size_t len = n + (size_t)anchored;
    if (!r->found || len > r->best || (len == r->best && allow && !r->allowed)) {
        r->found = 1;
        r->best = len;
        r->allowed = allow;
        r->line = lineno;
    }
    return 0;
}

static void check_one(const pk_robots *rb, const char *agent, const char *path)
{
    size_t pl = strlen(path);
    pk_robots_verdict v;
    pk_robots_check(rb, agent, path, &v);
    char cu[128];
    pk_robots_content_usage(rb, agent, path, cu, sizeof cu);
    if (v.rule[sizeof v.rule - 1] != '\0') abort();
    if (pl == 0 || pl > MAXP || path[0] != '/' || strchr(path, '#') || strstr(path, "://") ||
        strcmp(path, "/robots.txt") == 0)
        return;
    char np[3 * MAXP + 2];
    ref r = {np, ref_norm(path, pl, 1, np), 0, 1, 0, 0, 0};
    if (r.path_n == 11 && memcmp(np, "/robots.txt", 11) == 0) return;
    if (pk_robots_names_agent(rb, agent)) pk_robots_each_rule(rb, agent, 0, ref_rule, &r);
    else pk_robots_each_rule(rb, NULL, 0, ref_rule, &r);
    if (r.too_long) return;
    int want = r.found ? r.allowed : 1;
    if (v.allowed != want || v.line != (r.found ? r.line : 0)) abort();
}

typedef struct ctx {
    const pk_robots *rb;
    char paths[8][MAXP + 1];
    size_t np;
    const uint8_t *data;
    size_t size;
} ctx;

static int collect_path(void *ud, int allow, const char *line, size_t ln, const char *v, size_t vn, uint32_t lineno)
{
    ctx *c = ud;
    if (c->np >= 8 || vn == 0 || vn > MAXP - 8) return 0;
    char *p = c->paths[c->np++];
    size_t o = 0;
    if (v[0] != '/') p[o++] = '/';
    for (size_t i = 0; i < vn; i++) {
        if (v[i] == '$' && i + 1 == vn) break;
        if (v[i] == '*') {
            /* fill a wildcard with a byte of the input, or nothing */
            uint8_t b = c->size ? c->data[(i * 7 + vn) % c->size] : 'x';
            if (b & 1) p[o++] = (char)(b >= 0x20 && b < 0x7f ? b : 'x');
            continue;
        }
        p[o++] = v[i] ? v[i] : 'x';
    }
    p[o] = '\0';
    return 0;
}

static int each_agent(void *ud, const char *name, size_t n)
{
    ctx *c = ud;
    char a[128];
    if (n >= sizeof a) return 0;
    memcpy(a, name, n);
    a[n] = '\0';
    static const char *const fixed[] = {"/", "/a", "/index.html", "/a/b?c=d", "/%41%7e"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) check_one(c->rb, a, fixed[i]);
    for (size_t i = 0; i < c->np; i++) check_one(c->rb, a, c->paths[i]);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pk_robots *rb = NULL;
    if (pk_robots_parse(&rb, (const char *)data, size, NULL)) return 0;
    ctx c = {rb, {{0}}, 0, data, size};
    pk_robots_each_rule(rb, NULL, 1, collect_path, &c);
    static const char *const agents[] = {"GPTBot", "*", "", "somebot", "Googlebot/2.1"};
    for (size_t i = 0; i < sizeof agents / sizeof agents[0]; i++) each_agent(&c, agents[i], strlen(agents[i]));
    pk_robots_each_agent(rb, each_agent, &c);
    char out[64];
    pk_robots_content_usage(rb, "GPTBot", "/", out, sizeof out);
    pk_robots_content_usage(rb, "x", "https://h/p?q#f", out, 1);
    pk_robots_free(rb);
    return 0;
}
