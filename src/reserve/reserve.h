/* reserve.h -- reserving works from AI training: robots.txt (RFC 9309),
 * the AI crawler list, and the files that publish a reservation.
 *
 * Internal to libpicket (used by cli/robots.c, cli/reserve.c and
 * cli/reserve_check.c).  Nothing here prints or exits.  Ownership: a
 * pk_robots owns a copy of everything it needs; the body passed to
 * pk_robots_parse may be freed after the call. */
#ifndef PK_RESERVE_H
#define PK_RESERVE_H

#include "pk.h"

#include <stddef.h>
#include <stdint.h>

/* ---- robots.txt (robots.c) ------------------------------------------------ */

/* RFC 9309 asks for at least 500 KiB; picket parses 512 KiB and ignores
 * the rest (pk_robots_truncated() says so). */
#define PK_ROBOTS_MAX_BYTES ((size_t)512 * 1024)

/* RFC 3986 helpers shared by robots.c and signals.c (defined in robots.c):
 * a hex digit's value (-1 if c is none), and whether c is unreserved. */
int pk_url_hexval(unsigned char c);
int pk_url_unreserved(unsigned c);

typedef struct pk_robots pk_robots;

/* Parse a robots.txt body (RFC 9309).  Never fails on content (junk lines
 * are ignored); PK_ENOMEM only.  At most PK_ROBOTS_MAX_BYTES are parsed
 * (cut at the last whole line before the limit); beyond that the rest is
 * ignored and pk_robots_truncated() returns 1.  body need not be
 * NUL-terminated and may hold NUL bytes. */
int pk_robots_parse(pk_robots **out, const char *body, size_t n, pk_error *err);
void pk_robots_free(pk_robots *r); /* accepts NULL */
int pk_robots_truncated(const pk_robots *r);

typedef struct pk_robots_verdict {
    int allowed;    /* 1 allowed, 0 disallowed */
    uint32_t line;  /* line of the deciding rule, 0: none matched (allowed) */
    char rule[256]; /* the deciding rule as written ("Disallow: /x"), "" if none */
    int group_star; /* 1: decided by the '*' group (no group named the agent) */
} pk_robots_verdict;

/* May `agent` (a product token such as "GPTBot"; anything from the first
 * '/' on is dropped, so "GPTBot/1.1" is GPTBot) fetch `path` (the URL's
 * path and query, as in the URL, percent-encoded or not; a full
 * "http://host/p" URL is also accepted and its path used; a fragment is
 * dropped)?  "/robots.txt" is always allowed.  Never fails: a path too
 * long to normalize in memory is matched on its first 4 KiB. */
void pk_robots_check(const pk_robots *r, const char *agent, const char *path, pk_robots_verdict *v);

/* The `Content-Usage:` (IETF aipref) and `Content-Signal:` (Cloudflare)
 * lines that apply to path for agent, in the group the agent obeys.
 * Content-Usage lines may carry a path ("Content-Usage: /p train-ai=n");
 * the longest matching path wins, a line without a path applies to all.
 * Writes "Content-Usage: VALUE" and/or "Content-Signal: VALUE" (joined by
 * "; " when both are present) into out (cap bytes, always NUL-terminated
 * when cap > 0).  Returns 1 found, 0 none. */
int pk_robots_content_usage(const pk_robots *r, const char *agent, const char *path, char *out, size_t cap);

/* Number of groups, and whether a group names this agent exactly (not
 * falling back to '*'): for reserve init's merge. */
size_t pk_robots_group_count(const pk_robots *r);
int pk_robots_names_agent(const pk_robots *r, const char *agent);

/* Call fn for each Allow/Disallow rule, in file order: of every group when
 * all, else of the groups agent obeys when a group names it (none when
 * only '*' would apply), else (agent NULL) of the '*' groups.  line is the
 * rule as written ("Disallow: /x"), value its trimmed value.  A non-zero
 * return from fn stops the walk and is returned. */
typedef int (*pk_robots_rule_fn)(void *ud, int allow, const char *line, size_t line_n, const char *value,
                                 size_t value_n, uint32_t lineno);
int pk_robots_each_rule(const pk_robots *r, const char *agent, int all, pk_robots_rule_fn fn, void *ud);
/* Call fn once for each distinct agent named in a user-agent line ('*'
 * excluded), first spelling kept. */
int pk_robots_each_agent(const pk_robots *r, int (*fn)(void *ud, const char *name, size_t n), void *ud);
/* 1 when the last group has no Allow/Disallow rule yet, so that
 * user-agent lines appended to the file would join it. */
int pk_robots_open_group(const pk_robots *r);

/* ---- the AI crawler list (agents.c, data from data/ai-agents.tsv) --------- */

typedef struct pk_agent {
    const char *token;   /* product token as the operator writes it: "GPTBot" */
    const char *op;      /* operator: "OpenAI" */
    const char *purpose; /* "training", "search", "user-fetch", "corpus", ... */
    const char *note;    /* one line, may be "" */
} pk_agent;

/* The AI crawler list, compiled in from data/ai-agents.tsv, with its
 * version and date (static storage; never fails).  *n gets the count. */
const pk_agent *pk_agents(size_t *n, const char **version, const char **date);
/* The entry for token (case-insensitive), or NULL. */
const pk_agent *pk_agent_find(const char *token);

/* ---- publishing a reservation (init.c) ------------------------------------ */

/* Purposes as bits, for --allow. */
enum {
    PK_PURPOSE_TRAINING = 1,
    PK_PURPOSE_CORPUS = 2,
    PK_PURPOSE_SEARCH = 4,
    PK_PURPOSE_USER_FETCH = 8,
    PK_PURPOSE_OTHER = 16
};
unsigned pk_purpose_bit(const char *purpose, size_t n); /* 0 when unknown */

typedef struct pk_reserve_opts {
    const char *policy; /* tdm-policy URL (http or https), or NULL */
    unsigned allow;     /* PK_PURPOSE_* bits left as the site's robots.txt says */
} pk_reserve_opts;

/* PK_EINVAL when the policy URL is not an http(s) URL safe to write into
 * headers, HTML and config files (no blanks, quotes, '<', '>', controls). */
int pk_reserve_opts_check(const pk_reserve_opts *o, pk_error *err);

/* robots.txt: old[0..n) (NULL or empty: none) with picket's marked block
 * (between "# BEGIN picket reserve" and "# END picket reserve") removed
 * and written anew at the end: one group per purpose.  Reserved purposes
 * get "Disallow: /"; allowed ones a copy of the '*' groups' rules, so
 * their verdicts stay what they were (an allowed crawler that the file
 * already names gets no group: it is left as it was).  The old text
 * outside the block is kept byte for byte, so running this on its own
 * output gives the same output.  out is reset first. */
int pk_reserve_robots(const char *old, size_t n, const pk_reserve_opts *o, pk_buf *out, pk_error *err);

/* One agent's verdict on one path, before and after. */
typedef struct pk_reserve_diff_row {
    const char *agent;   /* the token */
    const char *purpose; /* from the list, or "other" */
    const char *path;
    int before, after;   /* 1 allowed */
    uint32_t after_line; /* deciding line in the new file, 0 none */
} pk_reserve_diff_row;
typedef int (*pk_reserve_diff_fn)(void *ud, const pk_reserve_diff_row *row);
/* For each AI crawler on the list, each other agent the old file names,
 * and "SomeOtherBot" (an agent no group names), and each path ("/", the
 * paths of the old file's rules with '*' filled in, then extra[]): fn
 * with the verdicts under old and new. */
int pk_reserve_robots_diff(const char *old, size_t on, const char *nw, size_t nn, const char *const *extra,
                           size_t nextra, pk_reserve_diff_fn fn, void *ud, pk_error *err);

/* /.well-known/tdmrep.json: old's rules kept, except those for location
 * "/" or "/" followed by '*' (the whole site), with a rule for the whole
 * site, tdm-reservation 1 and tdm-policy when given, last (the first matching rule wins, so the site's more specific rules
 * still come first).  A malformed old file is PK_EFORMAT. */
int pk_reserve_tdmrep(const char *old, size_t n, const pk_reserve_opts *o, pk_buf *out, pk_error *err);
/* ai.txt (Spawning): old with picket's marked block replaced. */
int pk_reserve_aitxt(const char *old, size_t n, const pk_reserve_opts *o, pk_buf *out, pk_error *err);
/* A server snippet: kind is "nginx", "apache", "caddy" or "html" (meta
 * tags for a page's <head>).  PK_EINVAL for another kind. */
int pk_reserve_snippet(const char *kind, const pk_reserve_opts *o, pk_buf *out, pk_error *err);

/* Write p[0..n) to path through a temporary file in the same directory
 * and a rename, making missing parent directories; an existing file's
 * mode is kept (0644 otherwise). */
int pk_write_atomic(const char *path, const void *p, size_t n, pk_error *err);

/* ---- stamping documents (stamp.c) ------------------------------------------ */

/* Embed the reservation in the document at in_path, writing out_path
 * (may equal in_path; written atomically).  HTML: tdm-reservation and
 * tdm-policy meta tags in <head>; EPUB: TDMRep meta in the package
 * document (OPF), zip rewritten with libarchive; PDF: XMP metadata with
 * the TDMRep namespace, written with qpdf.  The kind is found from the
 * content (*kind gets "html", "epub" or "pdf").  Stamping a stamped file
 * again changes nothing (*changed 0). */
int pk_reserve_stamp(const char *in_path, const char *out_path, const pk_reserve_opts *o, const char **kind,
                     int *changed, pk_error *err);

#endif
