/* http.c -- many GETs at once over libcurl's multi interface.
 *
 * One multi handle runs a batch: transfers are added as others finish, so
 * no more than `jobs` are ever in flight, and the multi handle's
 * connection cache lets the requests to one host share a connection.
 * Each transfer is bounded three ways: a connect timeout, a total timeout
 * (redirects included), and a body cap past which the write callback
 * stops the transfer and keeps what it has (a cut body is not an
 * error).  Only http and https, for the first URL and every redirect; the
 * cookie engine is never switched on; the User-Agent names picket and its
 * version.  Headers are kept for the last response only: the header
 * callback starts over at each status line, so after redirects `head`
 * holds the final response's fields.
 *
 * libcurl's global setup runs once (pthread_once).  Nothing here prints. */
#include "reserve/http.h"

#define PK_LAZY_CURL /* libcurl opened on first use: lazy.c */
#include "lazy.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;
static void global_init(void) { global_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

const char *pk_fetch_user_agent(void)
{
    static char ua[96];
    if (!ua[0]) snprintf(ua, sizeof ua, "picket/%s (reserve check)", pk_version());
    return ua;
}

void pk_fetch_init(pk_fetch *f, const char *url, size_t max_body, long max_redirs)
{
    memset(f, 0, sizeof *f);
    f->url = url;
    f->max_body = max_body;
    f->max_redirs = max_redirs;
    pk_buf_init(&f->head, PK_FETCH_HEAD_MAX);
    pk_buf_init(&f->body, max_body ? max_body : 1);
}

void pk_fetch_free(pk_fetch *f)
{
    if (!f) return;
    pk_buf_free(&f->head);
    pk_buf_free(&f->body);
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    pk_fetch *f = ud;
    size_t n = size * nmemb; /* size is 1 */
    size_t room = f->max_body > f->body.len ? f->max_body - f->body.len : 0;
    if (n > room) {
        if (room && pk_buf_append(&f->body, p, room) != 0) return 0;
        f->body_cut = 1;
        return 0; /* stops the transfer: CURLE_WRITE_ERROR, read as "cut" */
    }
    if (n && pk_buf_append(&f->body, p, n) != 0) return 0;
    return n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    pk_fetch *f = ud;
    size_t n = size * nmemb;
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) pk_buf_reset(&f->head); /* a new response */
    if (f->head.len + n <= PK_FETCH_HEAD_MAX) (void)pk_buf_append(&f->head, p, n);
    return n; /* headers past the cap are dropped, not fatal */
}

static CURL *setup(pk_fetch *f, const pk_fetch_opts *o, void *priv)
{
    CURL *e = curl_easy_init();
    if (!e) return NULL;
    long total = (long)(o->timeout * 1000.0), conn = (long)(o->connect_timeout * 1000.0);
    if (total < 1) total = 1;
    if (conn < 1 || conn > total) conn = total;
    int bad = 0;
    bad |= curl_easy_setopt(e, CURLOPT_URL, f->url) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, priv) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_MAXREDIRS, f->max_redirs) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, o->user_agent ? o->user_agent : pk_fetch_user_agent()) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, total) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, conn) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK; /* what libcurl can decode */
    bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)f) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_HEADERDATA, (void *)f) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, f->why) != CURLE_OK;
    if (bad) {
        curl_easy_cleanup(e);
        return NULL;
    }
    return e;
}

static void finish(pk_fetch *f, CURL *e, CURLcode rc, double started)
{
    long status = 0, redirs = 0;
    char *eff = NULL, *ct = NULL;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(e, CURLINFO_REDIRECT_COUNT, &redirs);
    curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &eff);
    curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ct);
    f->status = status;
    f->redirects = redirs;
    snprintf(f->final_url, sizeof f->final_url, "%s", eff ? eff : f->url);
    snprintf(f->ctype, sizeof f->ctype, "%s", ct ? ct : "");
    f->seconds = pk_now() - started;
    if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && f->body_cut)) {
        f->outcome = PK_FETCH_OK;
        f->why[0] = 0;
        return;
    }
    if (!f->why[0]) snprintf(f->why, sizeof f->why, "%s", curl_easy_strerror(rc));
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT: f->outcome = PK_FETCH_TIMEOUT; break;
    case CURLE_TOO_MANY_REDIRECTS: f->outcome = PK_FETCH_REDIRECTS; break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR: f->outcome = PK_FETCH_UNREACHABLE; break;
    default: f->outcome = PK_FETCH_FAILED; break;
    }
}

int pk_fetch_run(pk_fetch *const *f, size_t n, const pk_fetch_opts *o, pk_fetch_done_fn done, void *ud,
                 pk_error *err)
{
    if (pk_lazy_curl(err)) return PK_EIO;
    pthread_once(&once, global_init);
    if (global_rc != CURLE_OK)
        return pk_fail(err, PK_EINTERNAL, "cannot start libcurl: %s", curl_easy_strerror(global_rc));
    if (n == 0) return 0;
    size_t jobs = o->jobs > 0 ? (size_t)o->jobs : 1;
    int rc = 0;
    size_t next = 0, running = 0;
    double *started = calloc(n, sizeof *started); /* CURLOPT_PRIVATE: &started[i] names fetch i */
    CURL **live = calloc(n, sizeof *live);
    CURLM *m = curl_multi_init();
    if (!m || !started || !live) {
        rc = pk_fail(err, PK_ENOMEM, "out of memory");
        goto cleanup;
    }
    for (;;) {
        while (running < jobs && next < n) {
            pk_fetch *x = f[next];
            started[next] = pk_now();
            CURL *e = setup(x, o, &started[next]);
            if (!e) {
                rc = pk_fail(err, PK_ENOMEM, "cannot set up a transfer for %s", x->url);
                goto cleanup;
            }
            if (curl_multi_add_handle(m, e) != CURLM_OK) {
                curl_easy_cleanup(e);
                rc = pk_fail(err, PK_EINTERNAL, "cannot start a transfer for %s", x->url);
                goto cleanup;
            }
            live[next++] = e;
            running++;
        }
        int still = 0;
        CURLMcode mc = curl_multi_perform(m, &still);
        if (mc != CURLM_OK) {
            rc = pk_fail(err, PK_EINTERNAL, "HTTP client: %s", curl_multi_strerror(mc));
            goto cleanup;
        }
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            CURL *e = msg->easy_handle;
            CURLcode res = msg->data.result;
            double *t0 = NULL;
            curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&t0);
            size_t i = (size_t)(t0 - started);
            pk_fetch *x = f[i];
            finish(x, e, res, *t0);
            curl_multi_remove_handle(m, e);
            curl_easy_cleanup(e);
            live[i] = NULL;
            running--;
            if (done) done(x, ud);
        }
        if (running == 0 && next == n) break;
        if (running < jobs && next < n) continue; /* a slot came free: fill it first */
        mc = curl_multi_poll(m, NULL, 0, 1000, NULL);
        if (mc != CURLM_OK) {
            rc = pk_fail(err, PK_EINTERNAL, "HTTP client: %s", curl_multi_strerror(mc));
            goto cleanup;
        }
    }
cleanup:
    /* On an error mid-run, the transfers still in flight are dropped. */
    for (size_t i = 0; live && i < next; i++) {
        if (!live[i]) continue;
        curl_multi_remove_handle(m, live[i]);
        curl_easy_cleanup(live[i]);
    }
    if (m) curl_multi_cleanup(m);
    free(live);
    free(started);
    return rc;
}
