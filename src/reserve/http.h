/* http.h -- fetching many URLs at once for `reserve check` (http.c).
 *
 * Internal to libpicket.  A pk_fetch is one GET: the caller fills in the
 * URL and the limits, pk_fetch_run() runs a batch of them over one curl
 * multi handle, at most `jobs` at a time, and fills in what came back.
 * Nothing here prints.  Ownership: a pk_fetch owns its head and body
 * buffers (pk_fetch_free); the URL string stays the caller's and must
 * outlive the run. */
#ifndef PK_RESERVE_HTTP_H
#define PK_RESERVE_HTTP_H

#include "pk.h"

#include <stddef.h>

/* How a fetch ended.  PK_FETCH_OK means an HTTP response arrived (any
 * status, 4xx and 5xx included); the others mean none did. */
enum {
    PK_FETCH_OK = 0,
    PK_FETCH_TIMEOUT,     /* the connect or total timeout ran out */
    PK_FETCH_UNREACHABLE, /* no such host, connection refused or reset, empty reply */
    PK_FETCH_REDIRECTS,   /* more redirects than max_redirs */
    PK_FETCH_FAILED       /* anything else (TLS, a malformed response, a bad URL) */
};

#define PK_FETCH_HEAD_MAX ((size_t)64 * 1024) /* header bytes kept per response */

typedef struct pk_fetch {
    /* in (pk_fetch_init) */
    const char *url;
    size_t max_body;  /* body bytes kept; past it the transfer stops, body_cut = 1 */
    long max_redirs;  /* redirects followed; one more is PK_FETCH_REDIRECTS */
    void *ud;         /* the caller's, untouched */
    /* out */
    int outcome;        /* PK_FETCH_* */
    long status;        /* the last response's HTTP status, 0 when none */
    long redirects;     /* redirects followed */
    int body_cut;       /* the body was longer than max_body */
    double seconds;     /* wall time of the whole fetch */
    char final_url[2048];
    char ctype[128];    /* Content-Type of the last response, "" if none */
    char why[256];      /* what went wrong when outcome != PK_FETCH_OK */
    pk_buf head;        /* the last response's header block, status line first */
    pk_buf body;        /* its body, decoded (gzip, deflate), at most max_body bytes */
} pk_fetch;

typedef struct pk_fetch_opts {
    double timeout;         /* seconds for a whole fetch, redirects included */
    double connect_timeout; /* seconds for each connection */
    int jobs;               /* transfers at once, >= 1 */
    const char *user_agent;
} pk_fetch_opts;

void pk_fetch_init(pk_fetch *f, const char *url, size_t max_body, long max_redirs);
void pk_fetch_free(pk_fetch *f); /* the buffers; accepts NULL */

/* Called as each fetch ends, in the order they end; it may free or keep
 * the fetch's buffers. */
typedef void (*pk_fetch_done_fn)(pk_fetch *f, void *ud);

/* Run the n fetches, at most o->jobs at once, HTTP and HTTPS only, no
 * cookies, redirects followed up to each one's max_redirs.  A fetch that
 * fails is not an error of the run: see its outcome.  Returns 0, or
 * PK_ENOMEM / PK_EINTERNAL when the HTTP client itself cannot run. */
int pk_fetch_run(pk_fetch *const *f, size_t n, const pk_fetch_opts *o, pk_fetch_done_fn done, void *ud,
                 pk_error *err);

/* "picket/VERSION (+reserve check)": the User-Agent picket sends. */
const char *pk_fetch_user_agent(void);

#endif
