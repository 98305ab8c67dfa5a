/* check.c -- is a URL reserved from AI training?  Fetch what a compliant
 * crawler would, then weigh it per crawler.
 *
 * For each URL: its origin's robots.txt (RFC 9309), /.well-known/
 * tdmrep.json (TDMRep) and /ai.txt (Spawning), and the page itself (its
 * header fields and meta tags).  URLs go in chunks of CHUNK; each chunk's
 * fetches (the site files not cached yet and the pages) run as one batch
 * in http.c, at most `jobs` at once; each body is parsed as soon as it
 * arrives and then freed, so memory is bounded by the chunk, not the
 * list.  Site files are cached per origin (scheme, host, port) for 24
 * hours, RFC 9309's cap, and at most SITES_KEEP origins are kept between
 * chunks.
 *
 * robots.txt as RFC 9309 says: up to 5 redirects followed; 2xx parsed
 * (PK_ROBOTS_MAX_BYTES, 512 KiB, at least); 4xx or more than 5 redirects:
 * "unavailable", everything allowed; 5xx, no answer or a timeout:
 * "unreachable", everything disallowed, which keeps crawlers away only
 * until it answers, so it is reported ("blocked") and never counted as a
 * reservation.  429 is read as unreachable, as Google reads it.
 *
 * Weighing: a crawler is reserved when any lasting signal reserves it --
 * robots.txt disallows it the URL, TDMRep says 1 (meta over header fields
 * over tdmrep.json, TDMRep's order), Content-Usage says train-ai=n or
 * Content-Signal ai-train=no (header fields, or robots.txt lines for it),
 * noai (X-Robots-Tag or meta, for all or for it), or ai.txt disallows it.
 * A reservation by any machine-readable means is one (CDSM Art. 4(3)), so
 * when another signal says yes, the most restrictive counts and the
 * result says there is a conflict. */
#include "reserve/check.h"
#include "reserve/http.h"

#define PK_LAZY_CURL /* libcurl opened on first use: lazy.c */
#include "lazy.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CHUNK 256
#define SITES_KEEP 1024
#define SITE_TTL (24.0 * 3600.0)
#define MAX_REDIRS 5
#define PAGE_MAX ((size_t)1 << 20)
#define TDMREP_MAX ((size_t)1 << 20)
#define ROBOTS_FETCH_MAX (PK_ROBOTS_MAX_BYTES + (size_t)64 * 1024)
#define URL_MAX 2000

enum { F_ROBOTS, F_TDMREP, F_AITXT, F_PAGE };

typedef struct fref {
    int kind;
    void *owner;
} fref;

typedef struct site {
    char origin[URL_MAX + 32];
    double fetched_at; /* 0: never */
    int used, fetching;
    pk_check_file file[3]; /* F_ROBOTS, F_TDMREP, F_AITXT; file[i].url is what is fetched */
    pk_fetch fetch[3];
    fref ref[3];
    pk_robots *robots, *aitxt;
    pk_tdmrep *tdmrep;
    size_t groups;
} site;

typedef struct job {
    const char *url;
    char norm[URL_MAX + 32];
    char path[URL_MAX + 32];      /* path and query */
    char path_only[URL_MAX + 32];
    char origin[URL_MAX + 32];
    site *site;
    int bad;
    char why[256];
    pk_fetch page;
    fref ref;
    pk_signals head, meta;
    int have_meta;
} job;

struct pk_checker {
    pk_check_opts o;
    pk_fetch_opts fo;
    site **sites;
    size_t nsites, cap;
    pk_check_agent *tmpl;
    size_t nagents;
};

/* ---- names ------------------------------------------------------------ */

const char *pk_sv_name(int sv)
{
    static const char *const n[] = {"absent", "reserved", "allowed", "unknown", "blocked"};
    return sv >= 0 && sv <= PK_SV_BLOCKED ? n[sv] : "?";
}

const char *pk_file_state_name(int st)
{
    static const char *const n[] = {"found", "absent", "too-many-redirects", "error", "timed-out", "invalid", "skipped"};
    return st >= 0 && st <= PK_FILE_SKIPPED ? n[st] : "?";
}

const char *pk_tdmsrc_name(int src)
{
    static const char *const n[] = {"none", "tdmrep.json", "header", "meta"};
    return src >= 0 && src <= PK_TDMSRC_META ? n[src] : "?";
}

const char *pk_col_name(int col)
{
    static const char *const n[] = {"robots", "tdmrep", "aipref", "noai", "ai_txt"};
    return col >= 0 && col < PK_NCOLS ? n[col] : "?";
}

const char *pk_check_verdict_name(int v)
{
    static const char *const n[] = {"reserved", "partial", "not-reserved", "timed-out", "error"};
    return v >= 0 && v <= PK_CHECK_ERROR ? n[v] : "?";
}

/* ---- agents --------------------------------------------------------------- */

static int is_training(const char *purpose)
{
    return strcmp(purpose, "training") == 0 || strcmp(purpose, "corpus") == 0;
}

int pk_check_agents(const pk_check_opts *o, pk_check_agent **out, size_t *n, pk_error *err)
{
    size_t na = 0;
    const pk_agent *list = pk_agents(&na, NULL, NULL);
    size_t cnt = o->agents ? o->nagents : na;
    pk_check_agent *a = calloc(cnt ? cnt : 1, sizeof *a);
    if (!a) return pk_fail(err, PK_ENOMEM, "out of memory");
    for (size_t i = 0; i < cnt; i++) {
        if (o->agents) {
            const pk_agent *k = pk_agent_find(o->agents[i]);
            a[i].token = o->agents[i];
            a[i].op = k ? k->op : "";
            a[i].purpose = k ? k->purpose : "custom";
            a[i].training = 1;
        } else {
            a[i].token = list[i].token;
            a[i].op = list[i].op;
            a[i].purpose = list[i].purpose;
            a[i].training = is_training(list[i].purpose);
        }
    }
    *out = a;
    *n = cnt;
    return 0;
}

/* ---- weighing ------------------------------------------------------------- */

static void note(pk_check_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(pk_check_result *r, const char *fmt, ...)
{
    if (r->nnotes == PK_CHECK_NOTES) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->notes[r->nnotes++], sizeof r->notes[0], fmt, ap);
    va_end(ap);
}

/* Split pk_robots_content_usage()'s "Content-Usage: V; Content-Signal: W". */
static void usage_parts(const char *s, int *train_ai, int *ai_train)
{
    static const char cu[] = "Content-Usage: ", cs[] = "Content-Signal: ";
    const char *sig = strstr(s, cs);
    *train_ai = *ai_train = -1;
    if (strncmp(s, cu, sizeof cu - 1) == 0) {
        const char *v = s + sizeof cu - 1;
        size_t n = sig ? (size_t)(sig - v) : strlen(v);
        while (n && (v[n - 1] == ' ' || v[n - 1] == ';')) n--;
        *train_ai = pk_content_usage_train(v, n);
    }
    if (sig) *ai_train = pk_content_signal_train(sig + sizeof cs - 1, strlen(sig + sizeof cs - 1));
}

static const char *tdm_str(int t) { return t == PK_TDM_RESERVED ? "1" : t == PK_TDM_OPEN ? "0" : "unset"; }

static void weigh_tdmrep(const pk_check_input *in, pk_check_result *r)
{
    int file = PK_TDM_UNSET;
    const char *fpol = NULL;
    r->tdm_rule = -1;
    r->tdm_location = NULL;
    if (in->tdmrep) {
        r->tdm_rule = pk_tdmrep_lookup(in->tdmrep, in->path_only, &file, &fpol);
        if (r->tdm_rule >= 0) r->tdm_location = pk_tdmrep_location(in->tdmrep, (size_t)r->tdm_rule);
        if (pk_tdmrep_skipped(in->tdmrep))
            note(r, "tdmrep.json: %zu rules without a string location were skipped", pk_tdmrep_skipped(in->tdmrep));
        if (pk_tdmrep_fixed(in->tdmrep))
            note(r, "tdmrep.json: %zu locations do not start with '/': read as if they did",
                 pk_tdmrep_fixed(in->tdmrep));
        if (r->tdm_rule >= 0 && file == PK_TDM_UNSET)
            note(r, "tdmrep.json rule %ld matches but its tdm-reservation is not 0 or 1: unset (TDMRep)",
                 r->tdm_rule + 1);
    }
    r->tdm_file = file;
    int head = in->head ? in->head->tdm : PK_TDM_UNSET, meta = in->meta ? in->meta->tdm : PK_TDM_UNSET;
    if (in->head && in->head->tdm_invalid)
        note(r, "header tdm-reservation \"%s\" is not 0 or 1: ignored (TDMRep)", in->head->tdm_raw);
    if (in->meta && in->meta->tdm_invalid)
        note(r, "meta tdm-reservation \"%s\" is not 0 or 1: ignored (TDMRep)", in->meta->tdm_raw);
    /* TDMRep: meta over header fields over the file. */
    r->tdm = PK_TDM_UNSET;
    r->tdm_src = PK_TDMSRC_NONE;
    r->tdm_policy = NULL;
    if (meta != PK_TDM_UNSET) {
        r->tdm = meta;
        r->tdm_src = PK_TDMSRC_META;
        r->tdm_policy = in->meta->tdm_policy[0] ? in->meta->tdm_policy : NULL;
    } else if (head != PK_TDM_UNSET) {
        r->tdm = head;
        r->tdm_src = PK_TDMSRC_HEADER;
        r->tdm_policy = in->head->tdm_policy[0] ? in->head->tdm_policy : NULL;
    } else if (file != PK_TDM_UNSET) {
        r->tdm = file;
        r->tdm_src = PK_TDMSRC_FILE;
        r->tdm_policy = fpol;
    }
    if (r->tdm != PK_TDM_RESERVED) r->tdm_policy = NULL; /* a policy goes with a reservation only */
    if (meta != PK_TDM_UNSET && head != PK_TDM_UNSET && meta != head)
        note(r, "tdm-reservation: the meta tag's %s overrides the header's %s (TDMRep: meta over header)",
             tdm_str(meta), tdm_str(head));
    int below = head != PK_TDM_UNSET ? head : meta;
    if (file != PK_TDM_UNSET && below != PK_TDM_UNSET && below != file)
        note(r, "tdm-reservation: the %s's %s overrides tdmrep.json's %s (TDMRep: header and meta over the file)",
             head != PK_TDM_UNSET ? "header" : "meta tag", tdm_str(below), tdm_str(file));
}

static void weigh_files_notes(pk_check_result *r)
{
    const pk_check_file *rb = &r->robots;
    switch (rb->state) {
    case PK_FILE_ABSENT:
        note(r, "robots.txt: HTTP %ld, \"unavailable\": every crawler allowed (RFC 9309 2.3.1.3)", rb->status);
        break;
    case PK_FILE_REDIRECTS:
        note(r, "robots.txt: more than %d redirects, read as \"unavailable\": every crawler allowed "
                "(RFC 9309 2.3.1.2)", MAX_REDIRS);
        break;
    case PK_FILE_ERROR:
    case PK_FILE_TIMEOUT:
        note(r, "robots.txt: %s, \"unreachable\": crawlers must keep away until it answers (RFC 9309 "
                "2.3.1.4), which is no lasting reservation", rb->why[0] ? rb->why : "no answer");
        break;
    default: break;
    }
    if (rb->truncated)
        note(r, "robots.txt is over %zu KiB: the rest was ignored (RFC 9309 asks crawlers for 500 KiB at least)",
             PK_ROBOTS_MAX_BYTES / 1024);
    if (r->tdmrep.state == PK_FILE_INVALID) note(r, "tdmrep.json is invalid: %s", r->tdmrep.why);
    if (r->status >= 400) note(r, "the page answered HTTP %ld: its header fields and meta are the error page's", r->status);
}

void pk_check_weigh(const pk_check_input *in, pk_check_result *r)
{
    r->nnotes = 0;
    r->conflict = 0;
    weigh_files_notes(r);
    weigh_tdmrep(in, r);
    if (in->head) r->head = *in->head;
    else pk_signals_init(&r->head);
    if (in->meta) r->meta = *in->meta;
    else pk_signals_init(&r->meta);

    /* No value, and the file that might have given one did not answer. */
    int tdm_unknown = r->tdm == PK_TDM_UNSET &&
                      (r->tdmrep.state == PK_FILE_ERROR || r->tdmrep.state == PK_FILE_TIMEOUT);
    r->training = r->training_reserved = 0;
    unsigned imageonly = 0;
    const pk_check_agent *conflicted = NULL;
    for (size_t i = 0; i < r->nagents; i++) {
        pk_check_agent *a = &r->agents[i];
        memset(a->sv, 0, sizeof a->sv);
        a->robots_line = 0;
        a->robots_rule[0] = 0;
        a->robots_star = 0;
        a->robots_usage[0] = 0;
        int rtrain = -1, rsignal = -1;
        /* robots.txt */
        switch (r->robots.state) {
        case PK_FILE_FOUND:
            if (in->robots) {
                pk_robots_verdict v;
                pk_robots_check(in->robots, a->token, in->path, &v);
                a->sv[PK_COL_ROBOTS] = v.allowed ? PK_SV_ALLOWED : PK_SV_RESERVED;
                a->robots_line = v.line;
                snprintf(a->robots_rule, sizeof a->robots_rule, "%s", v.rule);
                a->robots_star = v.group_star;
                if (pk_robots_content_usage(in->robots, a->token, in->path, a->robots_usage, sizeof a->robots_usage))
                    usage_parts(a->robots_usage, &rtrain, &rsignal);
            } else {
                a->sv[PK_COL_ROBOTS] = PK_SV_UNKNOWN;
            }
            break;
        case PK_FILE_ABSENT:
        case PK_FILE_REDIRECTS: a->sv[PK_COL_ROBOTS] = PK_SV_ALLOWED; break;
        case PK_FILE_ERROR:
        case PK_FILE_TIMEOUT: a->sv[PK_COL_ROBOTS] = PK_SV_BLOCKED; break;
        default: a->sv[PK_COL_ROBOTS] = PK_SV_UNKNOWN; break;
        }
        /* TDMRep */
        a->sv[PK_COL_TDMREP] = r->tdm == PK_TDM_RESERVED ? PK_SV_RESERVED
                               : r->tdm == PK_TDM_OPEN   ? PK_SV_ALLOWED
                               : tdm_unknown             ? PK_SV_UNKNOWN
                                                         : PK_SV_ABSENT;
        /* aipref: Content-Usage and Content-Signal, header fields and robots.txt */
        int says[4] = {r->head.train_ai, r->head.ai_train, rtrain, rsignal};
        int yes = 0, no = 0;
        for (int k = 0; k < 4; k++) {
            no |= says[k] == 1;
            yes |= says[k] == 0;
        }
        a->sv[PK_COL_AIPREF] = no ? PK_SV_RESERVED : yes ? PK_SV_ALLOWED : PK_SV_ABSENT;
        /* noai */
        unsigned f = pk_signals_noai(&r->head, a->token) | pk_signals_noai(&r->meta, a->token);
        a->sv[PK_COL_NOAI] = (f & PK_NOAI) ? PK_SV_RESERVED : PK_SV_ABSENT;
        if ((f & PK_NOIMAGEAI) && !(f & PK_NOAI)) imageonly = 1;
        /* ai.txt */
        switch (r->aitxt.state) {
        case PK_FILE_FOUND:
            if (in->aitxt) {
                pk_robots_verdict v;
                pk_robots_check(in->aitxt, a->token, in->path, &v);
                a->sv[PK_COL_AITXT] = v.allowed ? PK_SV_ALLOWED : PK_SV_RESERVED;
            }
            break;
        case PK_FILE_ERROR:
        case PK_FILE_TIMEOUT: a->sv[PK_COL_AITXT] = PK_SV_UNKNOWN; break;
        default: a->sv[PK_COL_AITXT] = PK_SV_ABSENT; break;
        }
        a->reserved = 0;
        for (int c = 0; c < PK_NCOLS; c++) a->reserved |= a->sv[c] == PK_SV_RESERVED;
        if (a->reserved && (a->sv[PK_COL_TDMREP] == PK_SV_ALLOWED || yes)) {
            r->conflict = 1;
            if (!conflicted) conflicted = a;
        }
        if (a->training) {
            r->training++;
            r->training_reserved += a->reserved != 0;
        }
    }
    if (conflicted) {
        char by[96] = "", allow[64] = "";
        for (int c = 0; c < PK_NCOLS; c++) {
            if (conflicted->sv[c] == PK_SV_RESERVED)
                snprintf(by + strlen(by), sizeof by - strlen(by), "%s%s", by[0] ? ", " : "", pk_col_name(c));
        }
        if (conflicted->sv[PK_COL_TDMREP] == PK_SV_ALLOWED) snprintf(allow, sizeof allow, "tdm-reservation 0 (%s)", pk_tdmsrc_name(r->tdm_src));
        else snprintf(allow, sizeof allow, "a Content-Usage or Content-Signal yes");
        note(r, "conflicting signals for %s: %s allows training while %s reserve%s it; a reservation by any "
                "machine-readable means counts, so picket counts it reserved",
             conflicted->token, allow, by, strchr(by, ',') ? "" : "s");
    }
    if (imageonly) note(r, "noimageai reserves images only, not the text");
    if (r->training_reserved == r->training) r->verdict = PK_CHECK_RESERVED;
    else if (r->training_reserved == 0) r->verdict = PK_CHECK_NOT_RESERVED;
    else r->verdict = PK_CHECK_PARTIAL;
}

/* ---- the checker ---------------------------------------------------------- */

int pk_checker_new(pk_checker **out, const pk_check_opts *o, pk_error *err)
{
    *out = NULL;
    /* curl: parse_url, and the fetches; libxml2: the pages' meta tags (a
     * page whose meta could not be read must not count as unreserved) */
    if (pk_lazy_curl(err) || pk_lazy_xml(err)) return PK_EIO;
    pk_checker *c = calloc(1, sizeof *c);
    if (!c) return pk_fail(err, PK_ENOMEM, "out of memory");
    c->o = *o;
    if (c->o.timeout <= 0) c->o.timeout = 10;
    if (c->o.jobs <= 0) c->o.jobs = 8;
    c->fo.timeout = c->o.timeout;
    c->fo.connect_timeout = PK_MIN(c->o.timeout, 5.0);
    c->fo.jobs = c->o.jobs;
    c->fo.user_agent = pk_fetch_user_agent();
    int rc = pk_check_agents(&c->o, &c->tmpl, &c->nagents, err);
    if (rc) {
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

static void site_free(site *s)
{
    if (!s) return;
    for (int i = 0; i < 3; i++) pk_fetch_free(&s->fetch[i]);
    pk_robots_free(s->robots);
    pk_robots_free(s->aitxt);
    pk_tdmrep_free(s->tdmrep);
    free(s);
}

void pk_checker_free(pk_checker *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->nsites; i++) site_free(c->sites[i]);
    free(c->sites);
    free(c->tmpl);
    free(c);
}

/* Parse url into j: normalized URL, origin, path (+ query). */
static void parse_url(job *j)
{
    CURLU *u = curl_url();
    char *full = NULL, *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL;
    if (!u) {
        snprintf(j->why, sizeof j->why, "out of memory");
        j->bad = 1;
        return;
    }
    if (strlen(j->url) > URL_MAX) {
        snprintf(j->why, sizeof j->why, "URL longer than %d bytes", URL_MAX);
        j->bad = 1;
        goto cleanup;
    }
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, j->url, CURLU_DEFAULT_SCHEME);
    if (uc != CURLUE_OK) {
        snprintf(j->why, sizeof j->why, "not a URL: %s", curl_url_strerror(uc));
        j->bad = 1;
        goto cleanup;
    }
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)) {
        snprintf(j->why, sizeof j->why, "not an http or https URL");
        j->bad = 1;
        goto cleanup;
    }
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
        snprintf(j->why, sizeof j->why, "not a URL with a host");
        j->bad = 1;
        goto cleanup;
    }
    if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK) port = NULL;
    if (curl_url_get(u, CURLUPART_QUERY, &query, 0) != CURLUE_OK) query = NULL;
    for (char *p = host; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    for (char *p = scheme; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    snprintf(j->norm, sizeof j->norm, "%s", full);
    snprintf(j->origin, sizeof j->origin, "%s://%s%s%s", scheme, host, port ? ":" : "", port ? port : "");
    snprintf(j->path_only, sizeof j->path_only, "%s", path[0] ? path : "/");
    snprintf(j->path, sizeof j->path, "%s%s%s", j->path_only, query ? "?" : "", query ? query : "");
cleanup:
    curl_free(full);
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(query);
    curl_url_cleanup(u);
}

static site *site_get(pk_checker *c, const char *origin, pk_error *err, int *rc)
{
    for (size_t i = 0; i < c->nsites; i++)
        if (strcmp(c->sites[i]->origin, origin) == 0) return c->sites[i];
    if (c->nsites == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 64;
        site **p = realloc(c->sites, ncap * sizeof *p);
        if (!p) {
            *rc = pk_fail(err, PK_ENOMEM, "out of memory");
            return NULL;
        }
        c->sites = p;
        c->cap = ncap;
    }
    site *s = calloc(1, sizeof *s);
    if (!s) {
        *rc = pk_fail(err, PK_ENOMEM, "out of memory");
        return NULL;
    }
    snprintf(s->origin, sizeof s->origin, "%s", origin);
    c->sites[c->nsites++] = s;
    return s;
}

static int is_html(const char *ctype, const pk_buf *body)
{
    if (ctype[0]) return strncasecmp(ctype, "text/html", 9) == 0 || strncasecmp(ctype, "application/xhtml+xml", 21) == 0;
    size_t i = 0;
    while (i < body->len && (body->data[i] == ' ' || body->data[i] == '\n' || body->data[i] == '\r' || body->data[i] == '\t')) i++;
    return i < body->len && body->data[i] == '<';
}

static void site_done(site *s, int kind, pk_fetch *f)
{
    pk_check_file *cf = &s->file[kind];
    cf->status = f->status;
    cf->redirects = f->redirects;
    cf->truncated = 0;
    cf->why[0] = 0;
    switch (f->outcome) {
    case PK_FETCH_TIMEOUT:
        cf->state = PK_FILE_TIMEOUT;
        snprintf(cf->why, sizeof cf->why, "timed out after %.3g s", f->seconds);
        break;
    case PK_FETCH_REDIRECTS:
        cf->state = PK_FILE_REDIRECTS;
        snprintf(cf->why, sizeof cf->why, "more than %d redirects", MAX_REDIRS);
        break;
    case PK_FETCH_UNREACHABLE:
    case PK_FETCH_FAILED:
        cf->state = PK_FILE_ERROR;
        snprintf(cf->why, sizeof cf->why, "%s", f->why);
        break;
    default:
        if (f->status >= 200 && f->status < 300) {
            pk_error e = {0};
            if (kind != F_ROBOTS && is_html(f->ctype, &f->body)) {
                cf->state = PK_FILE_ABSENT; /* a soft 404: some page, not the file */
                snprintf(cf->why, sizeof cf->why, "HTTP %ld with an HTML page, not the file", f->status);
            } else if (kind == F_TDMREP) {
                if (f->body_cut) {
                    cf->state = PK_FILE_INVALID;
                    snprintf(cf->why, sizeof cf->why, "larger than %zu KiB", TDMREP_MAX / 1024);
                } else if (pk_tdmrep_parse(&s->tdmrep, f->body.data ? f->body.data : "", f->body.len, &e) != 0) {
                    cf->state = e.code == PK_EFORMAT ? PK_FILE_INVALID : PK_FILE_ERROR;
                    snprintf(cf->why, sizeof cf->why, "%.200s", e.msg);
                } else {
                    cf->state = PK_FILE_FOUND;
                }
            } else {
                pk_robots **rb = kind == F_ROBOTS ? &s->robots : &s->aitxt;
                if (pk_robots_parse(rb, f->body.data ? f->body.data : "", f->body.len, &e) != 0) {
                    cf->state = PK_FILE_ERROR;
                    snprintf(cf->why, sizeof cf->why, "%.200s", e.msg);
                } else {
                    cf->state = PK_FILE_FOUND;
                    cf->truncated = pk_robots_truncated(*rb) || f->body_cut;
                    if (kind == F_ROBOTS) s->groups = pk_robots_group_count(*rb);
                }
            }
        } else if (f->status == 429) {
            cf->state = PK_FILE_ERROR;
            snprintf(cf->why, sizeof cf->why, "HTTP 429 Too Many Requests (read as unreachable, as Google does)");
        } else if (f->status >= 500) {
            cf->state = PK_FILE_ERROR;
            snprintf(cf->why, sizeof cf->why, "HTTP %ld", f->status);
        } else {
            cf->state = PK_FILE_ABSENT;
            snprintf(cf->why, sizeof cf->why, "HTTP %ld", f->status);
        }
        break;
    }
    s->fetched_at = pk_now();
    pk_fetch_free(f);
}

static void page_done(job *j, pk_fetch *f)
{
    if (f->outcome == PK_FETCH_OK) {
        pk_signals_headers(&j->head, f->head.data ? f->head.data : "", f->head.len);
        if (f->body.len && is_html(f->ctype, &f->body)) {
            if (pk_signals_html(&j->meta, f->body.data, f->body.len, NULL) == 0) j->have_meta = 1;
        }
    }
    pk_buf_free(&f->head);
    pk_buf_free(&f->body);
}

static void on_done(pk_fetch *f, void *ud)
{
    PK_UNUSED(ud);
    fref *ref = f->ud;
    if (ref->kind == F_PAGE) page_done(ref->owner, f);
    else site_done(ref->owner, ref->kind, f);
}

/* Drop the sites this chunk does not use once more than SITES_KEEP are kept. */
static void evict(pk_checker *c)
{
    if (c->nsites <= SITES_KEEP) return;
    size_t k = 0;
    for (size_t i = 0; i < c->nsites; i++) {
        if (c->sites[i]->used) c->sites[k++] = c->sites[i];
        else site_free(c->sites[i]);
    }
    c->nsites = k;
}

static void site_reset(site *s)
{
    pk_robots_free(s->robots);
    pk_robots_free(s->aitxt);
    pk_tdmrep_free(s->tdmrep);
    s->robots = s->aitxt = NULL;
    s->tdmrep = NULL;
    static const char *const paths[3] = {"/robots.txt", "/.well-known/tdmrep.json", "/ai.txt"};
    static const size_t caps[3] = {ROBOTS_FETCH_MAX, TDMREP_MAX, ROBOTS_FETCH_MAX};
    for (int i = 0; i < 3; i++) {
        memset(&s->file[i], 0, sizeof s->file[i]);
        snprintf(s->file[i].url, sizeof s->file[i].url, "%s%s", s->origin, paths[i]);
        pk_fetch_free(&s->fetch[i]);
        pk_fetch_init(&s->fetch[i], s->file[i].url, caps[i], MAX_REDIRS);
        s->ref[i].kind = i;
        s->ref[i].owner = s;
        s->fetch[i].ud = &s->ref[i];
    }
}

static int run_chunk(pk_checker *c, const char *const *urls, size_t n, pk_check_fn fn, void *ud,
                     pk_check_agent *agents, pk_error *err)
{
    int rc = 0;
    job *jobs = calloc(n, sizeof *jobs);
    pk_fetch **todo = calloc(4 * n, sizeof *todo);
    size_t ntodo = 0;
    if (!jobs || !todo) {
        rc = pk_fail(err, PK_ENOMEM, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < c->nsites; i++) c->sites[i]->used = 0;
    double now = pk_now();
    for (size_t i = 0; i < n; i++) {
        job *j = &jobs[i];
        j->url = urls[i];
        pk_signals_init(&j->head);
        pk_signals_init(&j->meta);
        pk_fetch_init(&j->page, j->norm, PAGE_MAX, MAX_REDIRS);
        parse_url(j);
        if (j->bad) continue;
        j->site = site_get(c, j->origin, err, &rc);
        if (!j->site) goto cleanup;
        site *s = j->site;
        s->used = 1;
        if (!s->fetching && (s->fetched_at == 0 || now - s->fetched_at > SITE_TTL)) {
            site_reset(s);
            s->fetching = 1;
            for (int k = 0; k < 3; k++) todo[ntodo++] = &s->fetch[k];
        }
        j->ref.kind = F_PAGE;
        j->ref.owner = j;
        j->page.ud = &j->ref;
        todo[ntodo++] = &j->page;
    }
    rc = pk_fetch_run(todo, ntodo, &c->fo, on_done, NULL, err);
    for (size_t i = 0; i < c->nsites; i++) c->sites[i]->fetching = 0;
    if (rc) goto cleanup;

    for (size_t i = 0; i < n && !rc; i++) {
        job *j = &jobs[i];
        pk_check_result r;
        memset(&r, 0, sizeof r);
        r.url = j->url;
        r.tdm_rule = -1;
        r.tdm = PK_TDM_UNSET;
        r.tdm_file = PK_TDM_UNSET;
        pk_signals_init(&r.head);
        pk_signals_init(&r.meta);
        snprintf(r.norm_url, sizeof r.norm_url, "%s", j->norm);
        if (j->bad) {
            r.verdict = PK_CHECK_ERROR;
            snprintf(r.why, sizeof r.why, "%s", j->why);
            r.robots.state = r.tdmrep.state = r.aitxt.state = PK_FILE_SKIPPED;
            rc = fn(&r, ud);
            continue;
        }
        site *s = j->site;
        double t = pk_now();
        r.robots = s->file[F_ROBOTS];
        r.tdmrep = s->file[F_TDMREP];
        r.aitxt = s->file[F_AITXT];
        r.robots.age = r.tdmrep.age = r.aitxt.age = t - s->fetched_at;
        r.robots_groups = s->groups;
        r.page_outcome = j->page.outcome;
        r.status = j->page.status;
        r.redirects = j->page.redirects;
        r.seconds = j->page.seconds;
        snprintf(r.final_url, sizeof r.final_url, "%s", j->page.final_url);
        snprintf(r.ctype, sizeof r.ctype, "%s", j->page.ctype);
        memcpy(agents, c->tmpl, c->nagents * sizeof *agents);
        r.agents = agents;
        r.nagents = c->nagents;
        int got = j->page.outcome == PK_FETCH_OK;
        pk_check_input in = {j->path, j->path_only, s->robots, s->tdmrep, s->aitxt, got ? &j->head : NULL,
                             got && j->have_meta ? &j->meta : NULL};
        pk_check_weigh(&in, &r);
        if (!got) {
            r.verdict = j->page.outcome == PK_FETCH_TIMEOUT ? PK_CHECK_TIMEOUT : PK_CHECK_ERROR;
            if (j->page.outcome == PK_FETCH_TIMEOUT)
                snprintf(r.why, sizeof r.why, "timed out after %.3g s: the page's header fields and meta are unknown",
                         j->page.seconds);
            else if (j->page.outcome == PK_FETCH_REDIRECTS)
                snprintf(r.why, sizeof r.why, "more than %d redirects", MAX_REDIRS);
            else snprintf(r.why, sizeof r.why, "%s", j->page.why);
        }
        rc = fn(&r, ud);
    }
    evict(c);
cleanup:
    for (size_t i = 0; jobs && i < n; i++) pk_fetch_free(&jobs[i].page);
    free(todo);
    free(jobs);
    return rc;
}

int pk_checker_run(pk_checker *c, const char *const *urls, size_t n, pk_check_fn fn, void *ud, pk_error *err)
{
    int rc = 0;
    pk_check_agent *agents = calloc(c->nagents ? c->nagents : 1, sizeof *agents);
    if (!agents) return pk_fail(err, PK_ENOMEM, "out of memory");
    for (size_t i = 0; i < n && !rc; i += CHUNK)
        rc = run_chunk(c, urls + i, PK_MIN(CHUNK, n - i), fn, ud, agents, err);
    free(agents);
    return rc;
}
