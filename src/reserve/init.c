/* init.c -- the files that publish a reservation from AI training.
 *
 * `picket reserve init` writes robots.txt, /.well-known/tdmrep.json,
 * ai.txt, server header snippets and HTML meta tags.  Everything here
 * builds bytes in a pk_buf; only pk_write_atomic touches the disk.
 *
 * robots.txt is the delicate one: the site's own groups must keep their
 * meaning.  picket's groups live in one block between two marker lines at
 * the end of the file, so a second run finds and replaces exactly what
 * the first wrote (idempotent: the text outside the block is kept byte
 * for byte).  Three traps, each handled:
 *   - a new group naming a crawler takes it away from the '*' group, so a
 *     crawler left allowed (--allow search) gets a copy of the '*' rules,
 *     and one the site already names gets no group at all;
 *   - user-agent lines appended after a file that ends in user-agent
 *     lines would join that open group, so an empty "Disallow:" (a rule
 *     that matches nothing) closes it first;
 *   - parsers that only end a run of user-agent lines at Allow/Disallow
 *     (Google's) must not merge picket's groups with each other: every
 *     picket group has an Allow or Disallow rule, and the rule-less '*'
 *     group carrying Content-Usage comes last.
 * pk_reserve_robots_diff shows the before and after verdicts so that the
 * claim can be checked rather than trusted. */
#include "reserve/reserve.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define BEGIN_MARK "# BEGIN picket reserve"
#define END_MARK "# END picket reserve"

static const struct {
    const char *name;
    unsigned bit;
} purposes[] = {
    {"training", PK_PURPOSE_TRAINING},
    {"corpus", PK_PURPOSE_CORPUS},
    {"search", PK_PURPOSE_SEARCH},
    {"user-fetch", PK_PURPOSE_USER_FETCH},
};

unsigned pk_purpose_bit(const char *purpose, size_t n)
{
    for (size_t i = 0; i < sizeof purposes / sizeof purposes[0]; i++)
        if (strlen(purposes[i].name) == n && strncasecmp(purposes[i].name, purpose, n) == 0) return purposes[i].bit;
    return 0;
}

int pk_reserve_opts_check(const pk_reserve_opts *o, pk_error *err)
{
    const char *p = o->policy;
    if (!p) return 0;
    if (strncmp(p, "https://", 8) != 0 && strncmp(p, "http://", 7) != 0)
        return pk_fail(err, PK_EINVAL, "policy '%s': not an http:// or https:// URL", p);
    if (strlen(p) > 2000) return pk_fail(err, PK_EINVAL, "policy URL over 2000 bytes");
    for (const unsigned char *c = (const unsigned char *)p; *c; c++)
        if (*c <= 0x20 || *c >= 0x7f || strchr("\"'<>\\`{}|^", *c))
            return pk_fail(err, PK_EINVAL, "policy '%s': character 0x%02X is not allowed in the URL (percent-encode it)", p,
                           *c);
    return 0;
}

/* ---- the marked block ------------------------------------------------------ */

/* Find picket's block in s[0..n): [*b, *e) covers the BEGIN line through
 * the END line and its line end.  0 found, 1 none, PK_EFORMAT half a block. */
static int find_block(const char *s, size_t n, size_t *b, size_t *e, pk_error *err)
{
    size_t bl = strlen(BEGIN_MARK), el = strlen(END_MARK);
    for (size_t i = 0; i + bl <= n; i++) {
        if ((i > 0 && s[i - 1] != '\n' && s[i - 1] != '\r') || memcmp(s + i, BEGIN_MARK, bl) != 0) continue;
        for (size_t j = i + bl; j + el <= n; j++) {
            if ((s[j - 1] != '\n' && s[j - 1] != '\r') || memcmp(s + j, END_MARK, el) != 0) continue;
            size_t k = j + el;
            while (k < n && s[k] != '\n' && s[k] != '\r') k++;
            if (k < n) k += (s[k] == '\r' && k + 1 < n && s[k + 1] == '\n') ? 2 : 1;
            *b = i;
            *e = k;
            return 0;
        }
        return pk_fail(err, PK_EFORMAT, "'%s' without its '%s' line: fix the file by hand", BEGIN_MARK, END_MARK);
    }
    return 1;
}

/* out = s[0..n) without picket's block, trailing blank lines dropped. */
static int strip_block(const char *s, size_t n, pk_buf *out, pk_error *err)
{
    pk_buf_reset(out);
    size_t b = 0, e = 0;
    int rc = s ? find_block(s, n, &b, &e, err) : 1;
    if (rc < 0) return rc;
    if (rc == 0) {
        if (pk_buf_append(out, s, b) || pk_buf_append(out, s + e, n - e)) goto nomem;
    } else if (n && pk_buf_append(out, s, n)) {
        goto nomem;
    }
    while (out->len && strchr("\r\n \t", out->data[out->len - 1])) out->len--;
    if (out->data) out->data[out->len] = '\0';
    return 0;
nomem:
    return pk_fail(err, PK_ENOMEM, "out of memory");
}

static int put_head(pk_buf *b, const pk_reserve_opts *o, const char *what)
{
    const char *ver, *date;
    pk_agents(NULL, &ver, &date);
    int rc = pk_buf_printf(b,
                           BEGIN_MARK " -- written by `picket reserve init`; edits inside are replaced\n"
                           "# %s.  AI crawler list %s (%s).\n"
                           "# Text and data mining reserved by machine-readable means (EU DSM\n"
                           "# Directive 2019/790 Art. 4(3)).\n",
                           what, ver, date);
    if (!rc && o->policy) rc = pk_buf_printf(b, "# Policy: %s\n", o->policy);
    return rc;
}

/* ---- robots.txt ------------------------------------------------------------ */

typedef struct copy_ctx {
    pk_buf *b;
    size_t n;
} copy_ctx;

static int copy_rule(void *ud, int allow, const char *line, size_t ln, const char *v, size_t vn, uint32_t lineno)
{
    copy_ctx *c = ud;
    c->n++;
    if (pk_buf_append(c->b, line, ln) || pk_buf_putc(c->b, '\n')) return PK_ENOMEM;
    return 0;
}

int pk_reserve_robots(const char *old, size_t n, const pk_reserve_opts *o, pk_buf *out, pk_error *err)
{
    pk_buf rest;
    pk_buf_init(&rest, 0);
    pk_robots *r = NULL;
    int rc = strip_block(old, n, &rest, err);
    if (rc) goto cleanup;
    if ((rc = pk_robots_parse(&r, rest.data ? rest.data : "", rest.len, err))) goto cleanup;
    pk_buf_reset(out);
    rc = PK_ENOMEM;
    if (rest.len && (pk_buf_append(out, rest.data, rest.len) || pk_buf_append(out, "\n\n", 2))) goto nomem;
    if (put_head(out, o, "robots.txt (RFC 9309): AI crawlers by purpose")) goto nomem;
    if (pk_robots_open_group(r) &&
        pk_buf_printf(out, "Disallow:\n# (the empty Disallow above closes the site's last group; it matches nothing)\n"))
        goto nomem;
    size_t na;
    const pk_agent *ag = pk_agents(&na, NULL, NULL);
    for (size_t p = 0; p < sizeof purposes / sizeof purposes[0]; p++) {
        int allowed = (o->allow & purposes[p].bit) != 0;
        size_t count = 0;
        for (size_t i = 0; i < na; i++) {
            if (strcmp(ag[i].purpose, purposes[p].name) != 0) continue;
            if (allowed && pk_robots_names_agent(r, ag[i].token)) continue; /* the site's own group stands */
            if (count++ == 0) {
                if (allowed && pk_buf_printf(out, "\n# %s: allowed (--allow), as the site's '*' group says\n",
                                             purposes[p].name))
                    goto nomem;
                if (!allowed && pk_buf_printf(out, "\n# %s: reserved\n", purposes[p].name)) goto nomem;
            }
            if (pk_buf_printf(out, "User-agent: %s\n", ag[i].token)) goto nomem;
        }
        if (!count) continue;
        if (pk_buf_printf(out, "Content-Usage: train-ai=n\n")) goto nomem;
        if (!allowed) {
            if (pk_buf_printf(out, "Disallow: /\n")) goto nomem;
            continue;
        }
        copy_ctx c = {out, 0};
        int crc = pk_robots_each_rule(r, NULL, 0, copy_rule, &c);
        if (crc) goto nomem;
        if (!c.n && pk_buf_printf(out, "Allow: /\n")) goto nomem;
    }
    if (pk_buf_printf(out, "\n# every other crawler: no AI training (IETF aipref, Cloudflare content signals)\n"
                           "User-agent: *\n"
                           "Content-Usage: train-ai=n\n"
                           "Content-Signal: ai-train=no\n" END_MARK "\n"))
        goto nomem;
    rc = 0;
    goto cleanup;
nomem:
    rc = pk_fail(err, PK_ENOMEM, "out of memory");
cleanup:
    pk_robots_free(r);
    pk_buf_free(&rest);
    return rc;
}

/* ---- before and after ------------------------------------------------------ */

#define DIFF_MAX_PATHS 64

typedef struct paths {
    char *p[DIFF_MAX_PATHS];
    size_t n;
} paths;

static int add_path(paths *ps, const char *s, size_t n)
{
    if (ps->n >= DIFF_MAX_PATHS || n == 0 || n > 512) return 0;
    char *c = malloc(n + 2);
    if (!c) return PK_ENOMEM;
    size_t o = 0;
    if (s[0] != '/') c[o++] = '/';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '$' && i + 1 == n) break;
        c[o++] = s[i] == '*' ? 'x' : s[i];
    }
    c[o] = '\0';
    for (size_t i = 0; i < ps->n; i++)
        if (strcmp(ps->p[i], c) == 0) {
            free(c);
            return 0;
        }
    ps->p[ps->n++] = c;
    return 0;
}

static int path_rule(void *ud, int allow, const char *line, size_t ln, const char *v, size_t vn, uint32_t lineno)
{
    return add_path(ud, v, vn);
}

typedef struct others {
    char *name[DIFF_MAX_PATHS];
    size_t n;
} others;

static int other_agent(void *ud, const char *name, size_t n)
{
    others *o = ud;
    char tmp[128];
    if (n >= sizeof tmp || o->n >= DIFF_MAX_PATHS) return 0;
    memcpy(tmp, name, n);
    tmp[n] = '\0';
    if (pk_agent_find(tmp)) return 0;
    if (!(o->name[o->n] = strdup(tmp))) return PK_ENOMEM;
    o->n++;
    return 0;
}

int pk_reserve_robots_diff(const char *old, size_t on, const char *nw, size_t nn, const char *const *extra,
                           size_t nextra, pk_reserve_diff_fn fn, void *ud, pk_error *err)
{
    pk_robots *a = NULL, *b = NULL;
    paths ps = {{0}, 0};
    others ot = {{0}, 0};
    int rc;
    if ((rc = pk_robots_parse(&a, old ? old : "", old ? on : 0, err))) goto cleanup;
    if ((rc = pk_robots_parse(&b, nw, nn, err))) goto cleanup;
    if ((rc = add_path(&ps, "/", 1)) || (rc = pk_robots_each_rule(a, NULL, 1, path_rule, &ps))) goto nomem;
    for (size_t i = 0; i < nextra; i++)
        if ((rc = add_path(&ps, extra[i], strlen(extra[i])))) goto nomem;
    if ((rc = pk_robots_each_agent(a, other_agent, &ot))) goto nomem;
    size_t na;
    const pk_agent *ag = pk_agents(&na, NULL, NULL);
    for (size_t i = 0; i < na + ot.n + 1; i++) {
        const char *agent = i < na ? ag[i].token : i < na + ot.n ? ot.name[i - na] : "SomeOtherBot";
        const char *purpose = i < na ? ag[i].purpose : "other";
        for (size_t j = 0; j < ps.n; j++) {
            pk_robots_verdict va, vb;
            pk_robots_check(a, agent, ps.p[j], &va);
            pk_robots_check(b, agent, ps.p[j], &vb);
            pk_reserve_diff_row row = {agent, purpose, ps.p[j], va.allowed, vb.allowed, vb.line};
            if ((rc = fn(ud, &row))) goto cleanup;
        }
    }
    rc = 0;
    goto cleanup;
nomem:
    rc = pk_fail(err, PK_ENOMEM, "out of memory");
cleanup:
    for (size_t i = 0; i < ps.n; i++) free(ps.p[i]);
    for (size_t i = 0; i < ot.n; i++) free(ot.name[i]);
    pk_robots_free(a);
    pk_robots_free(b);
    return rc;
}

/* ---- tdmrep.json, ai.txt, snippets ------------------------------------------ */

int pk_reserve_tdmrep(const char *old, size_t n, const pk_reserve_opts *o, pk_buf *out, pk_error *err)
{
    json_t *arr = NULL, *rule = NULL;
    char *dump = NULL;
    int rc = 0;
    if (old && n) {
        json_error_t je;
        arr = json_loadb(old, n, 0, &je);
        if (!arr || !json_is_array(arr)) {
            rc = pk_fail(err, PK_EFORMAT, "tdmrep.json is not a JSON array%s%s", arr ? "" : ": ", arr ? "" : je.text);
            goto cleanup;
        }
        for (size_t i = json_array_size(arr); i-- > 0;) {
            const char *loc = json_string_value(json_object_get(json_array_get(arr, i), "location"));
            if (loc && (strcmp(loc, "/") == 0 || strcmp(loc, "/*") == 0)) json_array_remove(arr, i);
        }
    } else {
        arr = json_array();
    }
    rule = json_object();
    if (!arr || !rule || json_object_set_new(rule, "location", json_string("/*")) ||
        json_object_set_new(rule, "tdm-reservation", json_integer(1)) ||
        (o->policy && json_object_set_new(rule, "tdm-policy", json_string(o->policy))) ||
        json_array_append(arr, rule) || !(dump = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER))) {
        rc = pk_fail(err, PK_ENOMEM, "out of memory");
        goto cleanup;
    }
    pk_buf_reset(out);
    if (pk_buf_append(out, dump, strlen(dump)) || pk_buf_putc(out, '\n')) rc = pk_fail(err, PK_ENOMEM, "out of memory");
cleanup:
    free(dump);
    json_decref(rule);
    json_decref(arr);
    return rc;
}

int pk_reserve_aitxt(const char *old, size_t n, const pk_reserve_opts *o, pk_buf *out, pk_error *err)
{
    int rc = strip_block(old, n, out, err);
    if (rc) return rc;
    if ((out->len && pk_buf_append(out, "\n\n", 2)) || put_head(out, o, "ai.txt (Spawning): no AI training on this site") ||
        pk_buf_printf(out, "User-Agent: *\nDisallow: /\n" END_MARK "\n"))
        return pk_fail(err, PK_ENOMEM, "out of memory");
    return 0;
}

int pk_reserve_snippet(const char *kind, const pk_reserve_opts *o, pk_buf *out, pk_error *err)
{
    const char *pol = o->policy;
    int rc;
    pk_buf_reset(out);
    if (strcmp(kind, "nginx") == 0) {
        rc = pk_buf_printf(out,
                           "# picket reserve: TDMRep, IETF aipref and noai headers on every response.\n"
                           "# include this file in a server block.  nginx drops a server's add_header\n"
                           "# lines in a location that has add_header lines of its own: include it\n"
                           "# there too.\n"
                           "add_header tdm-reservation \"1\" always;\n"
                           "%s%s%s"
                           "add_header Content-Usage \"train-ai=n\" always;\n"
                           "add_header X-Robots-Tag \"noai, noimageai\" always;\n",
                           pol ? "add_header tdm-policy \"" : "", pol ? pol : "", pol ? "\" always;\n" : "");
    } else if (strcmp(kind, "apache") == 0) {
        rc = pk_buf_printf(out,
                           "# picket reserve: TDMRep, IETF aipref and noai headers on every response.\n"
                           "# Put this in the server or virtual host configuration, or in .htaccess\n"
                           "# (needs mod_headers: a2enmod headers).\n"
                           "<IfModule mod_headers.c>\n"
                           "  Header always set tdm-reservation \"1\"\n"
                           "%s%s%s"
                           "  Header always set Content-Usage \"train-ai=n\"\n"
                           "  Header always set X-Robots-Tag \"noai, noimageai\"\n"
                           "</IfModule>\n",
                           pol ? "  Header always set tdm-policy \"" : "", pol ? pol : "", pol ? "\"\n" : "");
    } else if (strcmp(kind, "caddy") == 0) {
        rc = pk_buf_printf(out,
                           "# picket reserve: TDMRep, IETF aipref and noai headers on every response.\n"
                           "# Import this file inside a site block of the Caddyfile: import picket.caddy\n"
                           "header {\n"
                           "\ttdm-reservation \"1\"\n"
                           "%s%s%s"
                           "\tContent-Usage \"train-ai=n\"\n"
                           "\tX-Robots-Tag \"noai, noimageai\"\n"
                           "}\n",
                           pol ? "\ttdm-policy \"" : "", pol ? pol : "", pol ? "\"\n" : "");
    } else if (strcmp(kind, "html") == 0) {
        rc = pk_buf_printf(out,
                           "<!-- picket reserve: put these in the <head> of every page (TDMRep) -->\n"
                           "<meta name=\"tdm-reservation\" content=\"1\">\n"
                           "%s%s%s"
                           "<meta name=\"robots\" content=\"noai, noimageai\">\n",
                           pol ? "<meta name=\"tdm-policy\" content=\"" : "", pol ? pol : "", pol ? "\">\n" : "");
    } else {
        return pk_fail(err, PK_EINVAL, "no snippet for '%s' (nginx, apache, caddy or html)", kind);
    }
    return rc ? pk_fail(err, PK_ENOMEM, "out of memory") : 0;
}

/* ---- writing ------------------------------------------------------------------ */

static int mkparents(const char *path, pk_error *err)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n >= sizeof buf) return pk_fail(err, PK_EINVAL, "%s: path too long", path);
    memcpy(buf, path, n + 1);
    for (char *s = buf + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) return pk_fail(err, PK_EIO, "%s: %s", buf, strerror(errno));
        *s = '/';
    }
    return 0;
}

int pk_write_atomic(const char *path, const void *p, size_t n, pk_error *err)
{
    char tmp[4096];
    int fd = -1, rc = 0;
    if ((rc = mkparents(path, err))) return rc;
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.picket-XXXXXX", path) >= sizeof tmp)
        return pk_fail(err, PK_EINVAL, "%s: path too long", path);
    mode_t mode = 0644;
    struct stat st;
    if (stat(path, &st) == 0) mode = st.st_mode & 07777;
    if ((fd = mkstemp(tmp)) < 0) return pk_fail(err, PK_EIO, "%s: %s", tmp, strerror(errno));
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) goto fail;
        c += w;
        n -= (size_t)w;
    }
    if (fchmod(fd, mode) != 0 || fsync(fd) != 0) goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0) goto fail;
    return 0;
fail:
    rc = pk_fail(err, PK_EIO, "%s: %s", path, strerror(errno));
    if (fd >= 0) close(fd);
    unlink(tmp);
    return rc;
}
