/* check.h -- `picket reserve check`: is a URL reserved from AI training?
 *
 * Internal to libpicket (used by cli/reserve_check.c, the unit tests and
 * fuzz/fuzz_tdmrep.c).  Two layers:
 *   - signals.c parses what a page and its site say, with no network:
 *     /.well-known/tdmrep.json (TDMRep), response header fields and HTML
 *     meta tags (TDMRep, IETF aipref Content-Usage, Cloudflare
 *     Content-Signal, X-Robots-Tag / robots meta noai);
 *   - check.c fetches what a compliant crawler would (http.c) and weighs
 *     the signals per AI crawler.
 * Nothing here prints or exits.  Ownership is stated per declaration. */
#ifndef PK_RESERVE_CHECK_H
#define PK_RESERVE_CHECK_H

#include "pk.h"
#include "reserve/reserve.h"

#include <stddef.h>
#include <stdint.h>

/* ---- TDMRep's /.well-known/tdmrep.json (signals.c) ------------------------ */

/* A TDMRep value: tdm-reservation absent (or a protocol error: anything
 * but 0 or 1 counts as absent, as TDMRep says), 0 or 1. */
enum { PK_TDM_UNSET = -1, PK_TDM_OPEN = 0, PK_TDM_RESERVED = 1 };

#define PK_TDMREP_MAX_RULES 4096 /* rules past this are ignored */

typedef struct pk_tdmrep pk_tdmrep;

/* Parse a tdmrep.json body: a JSON array of objects {location,
 * tdm-reservation, tdm-policy}.  PK_EFORMAT (err says why) when it is not
 * JSON or not an array; an element that is not an object or has no
 * string location is skipped and counted (pk_tdmrep_skipped).  A location
 * without a leading '/' or '*' is read as if it had one (counted in
 * pk_tdmrep_fixed).  tdm-reservation may be the number 0 or 1 (or, as
 * some sites write it, the string "0" or "1"); anything else makes the
 * rule's value PK_TDM_UNSET.  The body may hold anything; it is copied. */
int pk_tdmrep_parse(pk_tdmrep **out, const char *body, size_t n, pk_error *err);
void pk_tdmrep_free(pk_tdmrep *t); /* accepts NULL */
size_t pk_tdmrep_count(const pk_tdmrep *t);
size_t pk_tdmrep_skipped(const pk_tdmrep *t);
size_t pk_tdmrep_fixed(const pk_tdmrep *t);

/* The first rule whose location matches path (the URL's path, without
 * the query): its 0-based index, or -1 when none does.  *reservation and
 * *policy (the rule's, NULL when it has none; valid while t lives) are
 * set when a rule matches; either pointer may be NULL. */
long pk_tdmrep_lookup(const pk_tdmrep *t, const char *path, int *reservation, const char **policy);

/* Does a TDMRep location pattern match path?  As TDMRep says (reusing the
 * robots.txt wording): matched from the start of the path, octet by
 * octet, case-sensitively; the path matches when the pattern ends first
 * (a prefix match); '*' matches any run of octets; a '$' that ends the
 * pattern anchors it to the end of the path.  Before comparing, both are
 * normalized the same way: %XX of an unreserved character (RFC 3986:
 * letters, digits, "-._~") is decoded, other %xx escapes are upper-cased,
 * and octets that a URL cannot hold bare (controls, space, non-ASCII) are
 * %-encoded; so "%24" and "%2A" in a pattern match a literal '$' and '*'
 * in the path. */
int pk_tdmrep_match(const char *pattern, const char *path);

/* ---- header fields and HTML meta (signals.c) ------------------------------ */

enum {
    PK_NOAI = 1u,      /* "noai": no AI training on this content */
    PK_NOIMAGEAI = 2u, /* "noimageai": no AI training on its images */
};

#define PK_SIG_SCOPED_MAX 16

/* What one source (the response's header fields, or the page's meta tags)
 * says.  Strings are raw values as found, cut to fit, "" when absent. */
typedef struct pk_signals {
    int tdm;                /* tdm-reservation: PK_TDM_*, the first valid one */
    int tdm_invalid;        /* a tdm-reservation with another value was seen */
    char tdm_raw[32];       /* the first tdm-reservation value as written */
    char tdm_policy[512];   /* tdm-policy */
    char usage[256];        /* Content-Usage (IETF aipref), "; " between fields */
    int train_ai;           /* what Content-Usage says of AI training: -1 nothing, 0 y, 1 n */
    char signal[256];       /* Content-Signal (Cloudflare) */
    int ai_train;           /* what Content-Signal says: -1 nothing, 0 yes, 1 no */
    unsigned robots;        /* PK_NOAI | PK_NOIMAGEAI for every agent (X-Robots-Tag, meta robots) */
    char robots_raw[256];   /* the X-Robots-Tag / meta robots values that carried them */
    size_t nscoped;         /* directives for one agent: "GPTBot: noai", <meta name="GPTBot"> */
    struct {
        char agent[64];
        unsigned flags;
    } scoped[PK_SIG_SCOPED_MAX];
} pk_signals;

void pk_signals_init(pk_signals *s);

/* Read the header block of a response ("HTTP/1.1 200 OK\r\nName: value
 * ..."; LF-only lines and a missing status line are fine) into s: fields
 * tdm-reservation, tdm-policy, Content-Usage, Content-Signal and
 * X-Robots-Tag, names case-insensitive, repeated fields combined. */
void pk_signals_headers(pk_signals *s, const char *head, size_t n);

/* Read an HTML page's meta tags into s, with libxml2's HTML parser
 * (recovering, no network): name="tdm-reservation", "tdm-policy",
 * "robots" (noai, noimageai) and name="<agent token>" (noai, noimageai
 * for that agent).  Only the first n bytes are looked at.  PK_ENOMEM
 * only; a page libxml2 cannot make a tree of has no meta. */
int pk_signals_html(pk_signals *s, const char *html, size_t n, pk_error *err);

/* PK_NOAI / PK_NOIMAGEAI flags that apply to agent: the ones for every
 * agent and the ones scoped to it (token compared case-insensitively). */
unsigned pk_signals_noai(const pk_signals *s, const char *agent);

/* What an IETF aipref Content-Usage value says of AI training: 1 reserved
 * ("train-ai=n"), 0 allowed ("train-ai=y"), -1 nothing.  The most specific
 * category stated wins: train-ai, else its parents (tdm in draft-00's
 * vocabulary, bots, ai).  "train-genai=n" alone reserves only generative
 * training, which is not all training: -1. */
int pk_content_usage_train(const char *v, size_t n);
/* What a Cloudflare Content-Signal value says of AI training: 1
 * "ai-train=no", 0 "ai-train=yes", -1 nothing. */
int pk_content_signal_train(const char *v, size_t n);

/* ---- the check (check.c) ---------------------------------------------- */

/* What one signal says about one agent. */
enum {
    PK_SV_ABSENT = 0, /* nothing said */
    PK_SV_RESERVED,   /* reserved from training (robots.txt: disallowed) */
    PK_SV_ALLOWED,    /* present, and says training may go ahead */
    PK_SV_UNKNOWN,    /* could not be fetched (timed out, server error) */
    PK_SV_BLOCKED     /* robots.txt unreachable: crawlers keep away for now, no lasting reservation */
};
const char *pk_sv_name(int sv); /* "absent", "reserved", "allowed", "unknown", "blocked" */

/* What came of fetching one site-wide file. */
enum {
    PK_FILE_FOUND = 0,   /* 2xx: parsed */
    PK_FILE_ABSENT,      /* 4xx (robots.txt: "unavailable"), or not the file (an HTML page) */
    PK_FILE_REDIRECTS,   /* more than 5 redirects (robots.txt: "unavailable") */
    PK_FILE_ERROR,       /* 5xx, 429, no connection (robots.txt: "unreachable") */
    PK_FILE_TIMEOUT,     /* timed out (robots.txt: "unreachable") */
    PK_FILE_INVALID,     /* tdmrep.json that is not a JSON array */
    PK_FILE_SKIPPED      /* not fetched: the URL is not checkable */
};
const char *pk_file_state_name(int st); /* "found", "absent", "too-many-redirects", "error", "timed-out", "invalid", "skipped" */

typedef struct pk_check_file {
    char url[2100];  /* what was asked for */
    int state;       /* PK_FILE_* */
    long status;     /* the last HTTP status, 0 if none */
    long redirects;
    int truncated;   /* robots.txt: longer than PK_ROBOTS_MAX_BYTES, the rest ignored */
    double age;      /* seconds since it was fetched (cached per host for 24 h) */
    char why[256];   /* what went wrong, "" */
} pk_check_file;

/* Where the TDMRep value that counts came from (meta over header fields
 * over the file, as TDMRep says). */
enum { PK_TDMSRC_NONE = 0, PK_TDMSRC_FILE, PK_TDMSRC_HEADER, PK_TDMSRC_META };
const char *pk_tdmsrc_name(int src); /* "none", "tdmrep.json", "header", "meta" */

/* The signals a check weighs, as columns of its report. */
enum { PK_COL_ROBOTS, PK_COL_TDMREP, PK_COL_AIPREF, PK_COL_NOAI, PK_COL_AITXT, PK_NCOLS };
const char *pk_col_name(int col); /* "robots", "tdmrep", "aipref", "noai", "ai_txt" */

typedef struct pk_check_agent {
    const char *token, *op, *purpose; /* static, or the caller's --agent string */
    int training;                     /* counted in the verdict */
    int sv[PK_NCOLS];                 /* PK_SV_* per signal */
    int reserved;                     /* some lasting signal reserves it */
    uint32_t robots_line;             /* the deciding robots.txt rule, 0: none */
    char robots_rule[256];
    int robots_star;                  /* decided by the '*' group */
    char robots_usage[256];           /* robots.txt Content-Usage / Content-Signal for it */
} pk_check_agent;

/* The verdict on one URL. */
enum {
    PK_CHECK_RESERVED = 0, /* every training crawler reserved */
    PK_CHECK_PARTIAL,      /* some */
    PK_CHECK_NOT_RESERVED, /* none */
    PK_CHECK_TIMEOUT,      /* the page timed out: cannot tell */
    PK_CHECK_ERROR         /* not a checkable URL, or the page could not be fetched */
};
const char *pk_check_verdict_name(int v); /* "reserved", "partial", "not-reserved", "timed-out", "error" */

#define PK_CHECK_NOTES 12

typedef struct pk_check_result {
    const char *url;        /* as given (the caller's string) */
    char norm_url[2100];    /* normalized; "" if it could not be parsed */
    int verdict;            /* PK_CHECK_* */
    char why[256];          /* for timed-out and error */
    /* the page */
    int page_outcome;       /* PK_FETCH_* */
    long status;
    long redirects;
    char final_url[2048];
    char ctype[128];
    double seconds;
    /* site-wide files, per origin */
    pk_check_file robots, tdmrep, aitxt;
    size_t robots_groups;
    /* TDMRep */
    int tdm;                /* PK_TDM_*, what counts */
    int tdm_src;            /* PK_TDMSRC_* */
    const char *tdm_policy; /* valid until the callback returns, NULL if none */
    long tdm_rule;          /* the tdmrep.json rule that matched, -1 */
    const char *tdm_location; /* its location as written, NULL (valid as tdm_policy) */
    int tdm_file;           /* what tdmrep.json alone says, PK_TDM_* */
    pk_signals head, meta;  /* what the header fields and meta tags say */
    /* per agent */
    size_t nagents;
    pk_check_agent *agents;
    size_t training, training_reserved;
    int conflict;           /* some signal allows what another reserves */
    size_t nnotes;
    char notes[PK_CHECK_NOTES][256];
} pk_check_result;

typedef struct pk_check_opts {
    double timeout;             /* seconds per fetch (default 10) */
    int jobs;                   /* fetches at once (default 8) */
    const char *const *agents;  /* NULL: every crawler of pk_agents(), training ones counted */
    size_t nagents;             /* with agents: these tokens only, all counted */
} pk_check_opts;

typedef struct pk_checker pk_checker;

/* A checker keeps robots.txt, tdmrep.json and ai.txt per origin (scheme,
 * host, port) for 24 hours (RFC 9309's cap on caching robots.txt), so a
 * site is asked for them once however many of its URLs are checked. */
int pk_checker_new(pk_checker **out, const pk_check_opts *o, pk_error *err);
void pk_checker_free(pk_checker *c); /* accepts NULL */

/* Called once per URL, in the order given; the result is valid during
 * the call only.  A non-zero return stops the run and is returned. */
typedef int (*pk_check_fn)(const pk_check_result *r, void *ud);

/* Check urls[0..n): fetch what is not cached yet (site files and pages,
 * all at once, at most jobs at a time), then weigh each URL.  A URL that
 * cannot be checked is a result (PK_CHECK_ERROR / PK_CHECK_TIMEOUT), not
 * a failure of the run.  Returns 0, PK_ENOMEM, PK_EINTERNAL, or what fn
 * returned. */
int pk_checker_run(pk_checker *c, const char *const *urls, size_t n, pk_check_fn fn, void *ud, pk_error *err);

/* ---- weighing, without the network (check.c; exposed for tests) --------- */

/* The agents a check reports on, for o: every crawler of pk_agents() (the
 * training and corpus ones counted in the verdict), or o's tokens (all
 * counted; a token picket does not know gets purpose "custom").  *out is
 * malloc'd: free() it. */
int pk_check_agents(const pk_check_opts *o, pk_check_agent **out, size_t *n, pk_error *err);

/* Everything fetched for one URL, already parsed.  robots / tdmrep / aitxt
 * are NULL when absent or not fetched: the result's file states (which
 * the caller fills in first) say why. */
typedef struct pk_check_input {
    const char *path;      /* path and query, for robots.txt and ai.txt */
    const char *path_only; /* path without the query, for tdmrep.json */
    const pk_robots *robots;
    const pk_tdmrep *tdmrep;
    const pk_robots *aitxt;
    const pk_signals *head, *meta; /* NULL: the page was not fetched */
} pk_check_input;

/* Fill r's TDMRep fields, head and meta, per-agent signals, counts,
 * conflict, notes and verdict from in.  The caller fills in first
 * r->robots, r->tdmrep, r->aitxt (their states), r->status, and
 * r->agents / r->nagents (from pk_check_agents: token, op, purpose,
 * training; the rest is overwritten).  r->verdict comes from the signals
 * only: a caller that could not fetch the page overrides it. */
void pk_check_weigh(const pk_check_input *in, pk_check_result *r);

/* The location of rule i as the file wrote it ("" past the end). */
const char *pk_tdmrep_location(const pk_tdmrep *t, size_t i);

#endif
