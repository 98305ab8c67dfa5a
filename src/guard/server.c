/* server.c -- the guard proxy: libmicrohttpd in front, libcurl behind.
 *
 * Threads.  libmicrohttpd runs one thread per client connection
 * (MHD_USE_THREAD_PER_CONNECTION), so a connection may block: the access
 * handler checks the prompt and then drives the upstream transfer itself,
 * and the response's content reader goes on driving it, chunk by chunk, as
 * the client takes the bytes.  Each connection owns one curl easy handle
 * in its own curl multi handle (its connection pool, so keep-alive to the
 * upstream is reused across the requests of a client connection) and one
 * pk_scanner.  The transfer is driven with curl_multi_perform/poll on the
 * connection's own thread, so the upstream's status and headers are known
 * before the response is queued, and its body is read only as fast as the
 * client drains it: a bounded window (WINDOW bytes; curl's write callback
 * pauses the transfer past it), never the whole response, is held.
 * Server-sent events thus go through as they come.  A thread pool would
 * need suspend/resume and a separate curl event loop for the same effect;
 * a thread per connection costs a stack per client, which the `threads`
 * limit bounds.
 *
 * Index.  The current index is a reference-counted holder swapped under a
 * mutex by the reloader thread, which looks at the registry every second
 * (pk_registry_generation) and opens the new index when it changed; a
 * connection's scanner keeps a reference to the index it was made for
 * until its next request sees a newer one, so requests in flight finish
 * on the old index and no connection is dropped.  When the registry
 * cannot be opened or its index read, the holder is NULL and requests get
 * 503 (or pass unchecked with fail_open).  The same thread reloads the
 * client token table (SHA-256 hashes) from the guard database.
 *
 * Decisions.  The request's pieces are joined (extract.c) and scanned
 * once; any finding refuses the request (403, the API's error format), or
 * in redact mode the passages are replaced in their strings, spliced into
 * the body.  With check_responses, a whole response is read and checked
 * before it is sent, and an event stream is checked as it goes (sse_step:
 * held back by min_words words, ended with an error event on a match).
 * Responses fail closed too: with check_responses the upstream is asked
 * for identity coding, and a response the guard cannot check (encoded,
 * not JSON, no index, a scanner error) is a 502, or an error event once
 * a stream has started.  The client token is checked on the first call,
 * from the headers, before any of the body is read.
 * Every request ends in one audit row (audit.c), queued in the completion
 * callback (401s at most one a second, the rest counted).  Nothing here
 * logs prompt text or tokens. */
#include "guard/guard.h"

#include <arpa/inet.h>
#define PK_LAZY_CURL /* libcurl and libmicrohttpd opened on first use: lazy.c */
#define PK_LAZY_MHD
#include "lazy.h"
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#define WINDOW ((size_t)256 << 10)      /* response bytes held per connection */
#define MAX_CHECKED ((size_t)64 << 20)  /* largest response checked whole */
#define MAX_HEADERS 64

typedef struct gindex {
    pk_index *ix;
    atomic_int refs;
    int64_t gen;
} gindex;

typedef struct tokent {
    char sha[65];
    char name[129];
} tokent;

struct pk_guard_server {
    pk_guard_config c;
    char base[1100]; /* upstream without a trailing "/" or "/v1" */
    struct MHD_Daemon *d;
    pthread_mutex_t mu;
    gindex *cur; /* NULL: no index (503) */
    int64_t gen;
    tokent *toks;
    size_t ntoks;
    pk_guard_db *gdb;
    pk_audit_writer *aw;
    pthread_t reloader;
    pthread_mutex_t stop_mu;
    pthread_cond_t stop_cv;
    int stop;
    pk_guard_log_fn log;
    void *log_ud;
    /* 401s are audited at most one a second (a flood of bad tokens must
     * not fill the log); the ones skipped are counted in the next row. */
    int64_t last401;
    uint64_t skipped401;
};

typedef struct conn {
    pk_guard_server *s;
    CURL *easy;
    CURLM *multi;
    gindex *gi;
    pk_scanner *sc;
} conn;

typedef struct req {
    pk_guard_server *s;
    conn *cn;
    int api, anthropic;
    char endpoint[160];
    char method[16];
    char url[1024];
    double t0;
    pk_buf body;
    int too_big;
    char client[129];
    int status;
    const char *action;
    pk_buf works, passages, note;
    /* upstream */
    struct curl_slist *hdrs;
    pk_buf fwd;
    int in_multi;
    pk_buf rbuf;
    size_t rpos;
    int got_status, body_started, done, paused, whole;
    CURLcode result;
    long ustatus;
    char *hname[MAX_HEADERS], *hval[MAX_HEADERS];
    int nh;
    char ctype[128];
    char cenc[64]; /* the upstream's Content-Encoding, "" when none */
    long long clen;
    /* check_responses on a server-sent event stream (see sse_step) */
    int sse_check, sse_hit, sse_end;
    pk_buf sse_in;      /* bytes from upstream not yet cut into events */
    pk_buf held;        /* whole events not yet released to the client */
    size_t *held_end;   /* per held event: its end in held, */
    size_t *held_text;  /* and the length of stream text after it */
    size_t nheld, cheld;
    pk_buf stext;       /* the stream's text so far */
} req;

static void logf_(pk_guard_server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(pk_guard_server *s, const char *fmt, ...)
{
    if (!s->log) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s->log(s->log_ud, line);
}

/* ---- the index holder ------------------------------------------------------------ */

static void gi_release(gindex *g)
{
    if (g && atomic_fetch_sub(&g->refs, 1) == 1) {
        pk_index_close(g->ix);
        free(g);
    }
}

static gindex *gi_acquire(pk_guard_server *s)
{
    pthread_mutex_lock(&s->mu);
    gindex *g = s->cur;
    if (g) atomic_fetch_add(&g->refs, 1);
    pthread_mutex_unlock(&s->mu);
    return g;
}

static void gi_set(pk_guard_server *s, gindex *g)
{
    pthread_mutex_lock(&s->mu);
    gindex *old = s->cur;
    s->cur = g;
    pthread_mutex_unlock(&s->mu);
    gi_release(old);
}

/* Look at the registry; open a new index when it changed.  Called at
 * start and every second. */
static void refresh_index(pk_guard_server *s)
{
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_registry *r = NULL;
    int64_t gen = -1;
    struct stat st;
    int have = s->cur != NULL; /* only this thread writes cur */
    if (stat(s->c.db, &st) != 0) {
        pk_fail(&e, PK_ENOTFOUND, "%s: %s", s->c.db, strerror(errno));
        goto unavailable;
    }
    if (pk_registry_open(&r, s->c.db, PK_REG_READONLY, NULL, &e) || pk_registry_generation(r, &gen, &e)) {
        pk_registry_close(r);
        goto unavailable;
    }
    pk_registry_close(r);
    if (have && gen == s->gen) return;
    gindex *g = calloc(1, sizeof *g);
    if (!g) return;
    if (pk_index_open(&g->ix, s->c.db, &e)) {
        free(g);
        goto unavailable;
    }
    atomic_init(&g->refs, 1);
    g->gen = gen;
    s->gen = gen;
    gi_set(s, g);
    logf_(s, "index loaded: %u works (registry generation %lld)", pk_index_nworks(g->ix), (long long)gen);
    return;
unavailable:
    if (have || s->gen != -1) logf_(s, "index unavailable, refusing requests%s: %s",
                                     s->c.fail_open ? " (fail_open: passing them unchecked)" : "", e.msg);
    s->gen = -1;
    if (have) gi_set(s, NULL);
}

static int tok_cmp(const void *a, const void *b) { return strcmp(((const tokent *)a)->sha, ((const tokent *)b)->sha); }

typedef struct tokacc {
    tokent *t;
    size_t n, cap;
} tokacc;

static int tok_cb(const char *sha, const char *name, void *ud)
{
    tokacc *a = ud;
    if (a->n == a->cap) {
        size_t nc = a->cap ? 2 * a->cap : 16;
        tokent *nt = realloc(a->t, nc * sizeof *nt);
        if (!nt) return PK_ENOMEM;
        a->t = nt;
        a->cap = nc;
    }
    snprintf(a->t[a->n].sha, sizeof a->t[a->n].sha, "%s", sha);
    snprintf(a->t[a->n].name, sizeof a->t[a->n].name, "%s", name);
    a->n++;
    return 0;
}

static void refresh_tokens(pk_guard_server *s)
{
    tokacc a = {NULL, 0, 0};
    pk_error e;
    if (pk_guard_token_hashes(s->gdb, tok_cb, &a, &e)) {
        free(a.t);
        return;
    }
    if (a.n) qsort(a.t, a.n, sizeof *a.t, tok_cmp);
    pthread_mutex_lock(&s->mu);
    tokent *old = s->toks;
    s->toks = a.t;
    s->ntoks = a.n;
    pthread_mutex_unlock(&s->mu);
    free(old);
}

static void *reloader_main(void *arg)
{
    pk_guard_server *s = arg;
    pthread_mutex_lock(&s->stop_mu);
    while (!s->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&s->stop_cv, &s->stop_mu, &ts);
        if (s->stop) break;
        pthread_mutex_unlock(&s->stop_mu);
        refresh_index(s);
        refresh_tokens(s);
        pthread_mutex_lock(&s->stop_mu);
    }
    pthread_mutex_unlock(&s->stop_mu);
    return NULL;
}

/* ---- responses of the guard's own ------------------------------------------------ */

static enum MHD_Result send_json(struct MHD_Connection *c, int status, const char *json, size_t n)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)(uintptr_t)json, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

/* An error in the API's own format.  otype/ocode: OpenAI's type and code
 * (ocode NULL: null); atype: Anthropic's error type. */
static enum MHD_Result send_error(req *q, struct MHD_Connection *c, int status, const char *otype, const char *ocode,
                                  const char *atype, const char *msg)
{
    pk_buf b;
    pk_buf_init(&b, 0);
    if (q->anthropic) {
        pk_buf_printf(&b, "{\"type\":\"error\",\"error\":{\"type\":\"%s\",\"message\":", atype);
        pk_buf_json_str(&b, msg, strlen(msg));
        pk_buf_append(&b, "}}", 2);
    } else {
        pk_buf_append(&b, "{\"error\":{\"message\":", 20);
        pk_buf_json_str(&b, msg, strlen(msg));
        pk_buf_printf(&b, ",\"type\":\"%s\",\"param\":null,\"code\":", otype);
        if (ocode) pk_buf_printf(&b, "\"%s\"}}", ocode);
        else pk_buf_append(&b, "null}}", 6);
    }
    q->status = status;
    enum MHD_Result r = send_json(c, status, b.data ? b.data : "{}", b.len);
    pk_buf_free(&b);
    return r;
}

/* ---- the per-connection state ------------------------------------------------------ */

static void conn_free(conn *cn)
{
    if (!cn) return;
    pk_scanner_free(cn->sc);
    gi_release(cn->gi);
    if (cn->multi) curl_multi_cleanup(cn->multi);
    if (cn->easy) curl_easy_cleanup(cn->easy);
    free(cn);
}

static void notify_conn(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode toe)
{
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        conn *cn = calloc(1, sizeof *cn);
        if (cn) cn->s = cls;
        *socket_context = cn;
    } else {
        conn_free(*socket_context);
        *socket_context = NULL;
    }
}

/* The scanner for the current index (made anew after a reload). */
static pk_scanner *conn_scanner(conn *cn, gindex *g, pk_error *err)
{
    if (cn->gi == g && cn->sc) {
        gi_release(g);
        return cn->sc;
    }
    pk_scanner_free(cn->sc);
    cn->sc = NULL;
    gi_release(cn->gi);
    cn->gi = g;
    pk_scan_opts so;
    pk_scan_opts_default(&so);
    so.thorough = 1; /* as `picket check`: recall over speed */
    so.min_words = cn->s->c.min_words;
    so.tok_flags |= PK_TOK_LOSSY;
    if (pk_scanner_new(&cn->sc, g->ix, &so, err)) return NULL;
    return cn->sc;
}

/* ---- upstream ---------------------------------------------------------------------- */

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    req *q = ud;
    size_t n = size * nmemb;
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) { /* a new response (after 100 Continue) */
        for (int i = 0; i < q->nh; i++) {
            free(q->hname[i]);
            free(q->hval[i]);
        }
        q->nh = 0;
        q->ctype[0] = 0;
        q->cenc[0] = 0;
        q->clen = -1;
        q->got_status = 1;
        return n;
    }
    const char *colon = memchr(p, ':', n);
    if (!colon) return n;
    size_t kn = (size_t)(colon - p);
    const char *v = colon + 1;
    size_t vn = n - kn - 1;
    while (vn && (*v == ' ' || *v == '\t')) v++, vn--;
    while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' ')) vn--;
    static const char *const hop[] = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                                      "trailer", "transfer-encoding", "upgrade", "content-length", "date"};
    for (size_t i = 0; i < sizeof hop / sizeof hop[0]; i++) {
        if (strlen(hop[i]) == kn && strncasecmp(p, hop[i], kn) == 0) {
            if (i == 8) {
                char tmp[32];
                snprintf(tmp, sizeof tmp, "%.*s", (int)PK_MIN(vn, sizeof tmp - 1), v);
                q->clen = strtoll(tmp, NULL, 10);
            }
            return n;
        }
    }
    if (kn == 12 && strncasecmp(p, "content-type", 12) == 0)
        snprintf(q->ctype, sizeof q->ctype, "%.*s", (int)PK_MIN(vn, sizeof q->ctype - 1), v);
    if (kn == 16 && strncasecmp(p, "content-encoding", 16) == 0)
        snprintf(q->cenc, sizeof q->cenc, "%.*s", (int)PK_MIN(vn, sizeof q->cenc - 1), v);
    if (q->nh < MAX_HEADERS) {
        q->hname[q->nh] = strndup(p, kn);
        q->hval[q->nh] = strndup(v, vn);
        if (q->hname[q->nh] && q->hval[q->nh]) q->nh++;
    }
    return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    req *q = ud;
    size_t n = size * nmemb;
    q->body_started = 1;
    if (q->sse_check) {
        if (q->sse_in.len >= WINDOW) {
            q->paused = 1;
            return CURL_WRITEFUNC_PAUSE;
        }
        return pk_buf_append(&q->sse_in, p, n) ? 0 : n;
    }
    if (!q->whole && q->rbuf.len - q->rpos >= WINDOW) {
        q->paused = 1;
        return CURL_WRITEFUNC_PAUSE;
    }
    if (q->rpos && q->rpos == q->rbuf.len) {
        pk_buf_reset(&q->rbuf);
        q->rpos = 0;
    }
    if (pk_buf_append(&q->rbuf, p, n)) return 0; /* over MAX_CHECKED: fails the transfer */
    return n;
}

/* Run the transfer until want() holds or it ends. */
static void drive(req *q, int (*want)(const req *q))
{
    CURLM *m = q->cn->multi;
    while (!q->done && !want(q)) {
        int running = 0;
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left)))
            if (msg->msg == CURLMSG_DONE) {
                q->done = 1;
                q->result = msg->data.result;
            }
        if (q->done || want(q)) break;
        curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
}

static int want_headers(const req *q) { return q->body_started; }
static int want_data(const req *q) { return q->rbuf.len > q->rpos; }
static int want_end(const req *q)
{
    (void)q;
    return 0;
}

static void sse_step(req *q);
static size_t sse_event_end(const char *s, size_t n, int final);
static int want_event(const req *q) { return q->sse_in.len && sse_event_end(q->sse_in.data, q->sse_in.len, 0); }

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    req *q = cls;
    (void)pos;
    while (q->sse_check && q->rbuf.len == q->rpos && !q->sse_end) {
        sse_step(q);
        if (q->rbuf.len > q->rpos || q->sse_end) break;
        if (q->paused) {
            q->paused = 0;
            curl_easy_pause(q->cn->easy, CURLPAUSE_CONT);
        }
        drive(q, want_event);
    }
    if (q->sse_check) {
        size_t have = q->rbuf.len - q->rpos;
        if (!have) return MHD_CONTENT_READER_END_OF_STREAM;
        size_t n = PK_MIN(have, max);
        memcpy(buf, q->rbuf.data + q->rpos, n);
        q->rpos += n;
        if (q->rpos == q->rbuf.len) {
            pk_buf_reset(&q->rbuf);
            q->rpos = 0;
        }
        return (ssize_t)n;
    }
    if (q->rbuf.len == q->rpos && !q->done) {
        if (q->paused) {
            q->paused = 0;
            curl_easy_pause(q->cn->easy, CURLPAUSE_CONT);
        }
        drive(q, want_data);
    }
    size_t have = q->rbuf.len - q->rpos;
    if (have) {
        size_t n = PK_MIN(have, max);
        memcpy(buf, q->rbuf.data + q->rpos, n);
        q->rpos += n;
        if (q->rpos == q->rbuf.len) {
            pk_buf_reset(&q->rbuf);
            q->rpos = 0;
        }
        return (ssize_t)n;
    }
    if (q->result != CURLE_OK) {
        q->action = "error";
        pk_buf_printf(&q->note, "%supstream: %s", q->note.len ? "; " : "", curl_easy_strerror(q->result));
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    return MHD_CONTENT_READER_END_OF_STREAM;
}

typedef struct hdrctx {
    req *q;
    int fail, ctype;
} hdrctx;

static enum MHD_Result fwd_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    hdrctx *h = cls;
    static const char *const pass[] = {"content-type", "accept", "anthropic-version", "anthropic-beta",
                                       "openai-organization", "openai-project", "openai-beta"};
    (void)kind;
    for (size_t i = 0; i < sizeof pass / sizeof pass[0]; i++) {
        if (strcasecmp(key, pass[i]) == 0 && !strchr(value, '\n') && !strchr(value, '\r')) {
            char line[1024];
            snprintf(line, sizeof line, "%s: %s", key, value);
            struct curl_slist *n = curl_slist_append(h->q->hdrs, line);
            if (!n) h->fail = 1;
            else h->q->hdrs = n;
            if (i == 0) h->ctype = 1;
        }
    }
    return MHD_YES;
}

/* ---- checking a stream of server-sent events ----------------------------------------
 *
 * With check_responses, a text/event-stream response is cut into events
 * ("\n\n"); the text each event adds (string values under the keys that
 * carry generated text in either API: content, text, delta, arguments,
 * partial_json, refusal) is appended to the stream's text, whose last
 * SCAN_TAIL bytes are scanned after every event.  Events are held back
 * until the text after them holds min_words words: a passage becomes
 * detectable when its min_words-th word arrives, and by then none of its
 * words has reached the client.  On a match the held events are dropped,
 * an `event: error` in the API's format is sent and the stream ends.  At
 * the upstream's end everything held is released. */
#define SCAN_TAIL ((size_t)16 << 10)
#define MAX_HELD ((size_t)4 << 20) /* events held back at most (bytes) */

static void text_of(json_t *v, const char *key, pk_buf *out)
{
    static const char *const keys[] = {"content", "text",      "delta",     "arguments",
                                       "partial_json", "refusal", "thinking", "reasoning_content",
                                       "reasoning"};
    if (json_is_string(v)) {
        for (size_t i = 0; key && i < sizeof keys / sizeof keys[0]; i++)
            if (!strcmp(key, keys[i])) {
                pk_buf_append(out, json_string_value(v), json_string_length(v));
                return;
            }
        return;
    }
    size_t i;
    const char *k;
    json_t *x;
    if (json_is_array(v)) json_array_foreach(v, i, x) text_of(x, key, out);
    if (json_is_object(v)) json_object_foreach(v, k, x) text_of(x, k, out);
}

/* Where the stream's text holds back min_words words: text before it may go. */
static size_t release_point(const pk_buf *t, uint32_t words)
{
    size_t i = t->len;
    uint32_t n = 0;
    while (i > 0) {
        unsigned char c = (unsigned char)t->data[i - 1];
        int w = c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (w) {
            while (i > 0) {
                c = (unsigned char)t->data[i - 1];
                if (!(c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      c == '\''))
                    break;
                i--;
            }
            if (++n >= words) return i;
        } else {
            i--;
        }
    }
    return 0;
}

static void release(req *q, size_t upto_text, int all)
{
    size_t k = 0;
    while (k < q->nheld && (all || q->held_text[k] <= upto_text)) k++;
    if (!k) return;
    size_t bytes = q->held_end[k - 1];
    pk_buf_append(&q->rbuf, q->held.data, bytes);
    memmove(q->held.data, q->held.data + bytes, q->held.len - bytes);
    q->held.len -= bytes;
    for (size_t j = k; j < q->nheld; j++) {
        q->held_end[j - k] = q->held_end[j] - bytes;
        q->held_text[j - k] = q->held_text[j];
    }
    q->nheld -= k;
}

/* An error event in the API's format; hit: a registered passage (else
 * the guard could not check the stream). */
static void sse_error(req *q, const char *msg, int hit)
{
#define PUT(lit) pk_buf_append(&q->rbuf, lit, sizeof(lit) - 1)
    PUT("event: error\ndata: ");
    if (q->anthropic) {
        pk_buf_printf(&q->rbuf, "{\"type\":\"error\",\"error\":{\"type\":\"%s\",\"message\":",
                      hit ? "permission_error" : "api_error");
        pk_buf_json_str(&q->rbuf, msg, strlen(msg));
        PUT("}}\n\n");
    } else {
        PUT("{\"error\":{\"message\":");
        pk_buf_json_str(&q->rbuf, msg, strlen(msg));
        pk_buf_printf(&q->rbuf, ",\"type\":\"%s\",\"param\":null,\"code\":\"%s\"}}\n\n",
                      hit ? "invalid_request_error" : "server_error",
                      hit ? "picket_registered_work" : "picket_unchecked_response");
    }
#undef PUT
}

/* The end of the first event in s[0..n): just past the blank line that
 * ends it, 0 when none has come yet.  A line ends at "\r\n", "\n" or
 * "\r" (the SSE grammar's three); a "\r" last in the buffer may be half
 * of a "\r\n", so it waits for the next byte unless the stream ended. */
static size_t sse_event_end(const char *s, size_t n, int final)
{
    size_t i = 0;
    int bol = 0; /* the previous byte ended a line */
    while (i < n) {
        char c = s[i];
        if (c != '\r' && c != '\n') {
            bol = 0;
            i++;
            continue;
        }
        if (c == '\r' && i + 1 == n && !final) return 0;
        i += c == '\r' && i + 1 < n && s[i + 1] == '\n' ? 2 : 1;
        if (bol) return i;
        bol = 1;
    }
    return 0;
}

/* The stream cannot be checked: stop it with an error event. */
static void sse_fail(req *q, const char *why)
{
    q->nheld = 0;
    pk_buf_reset(&q->held);
    sse_error(q, "The guard could not check this response, so it stopped it.", 0);
    q->action = "error";
    pk_buf_printf(&q->note, "%sresponse stream stopped: %s", q->note.len ? "; " : "", why);
    q->sse_end = 1;
}

/* Cut, check and release what has come; ends the stream on a match or at
 * the upstream's end. */
static void sse_step(req *q)
{
    size_t at = 0;
    int checked = 0;
    for (;;) {
        size_t el = q->sse_in.len > at ? sse_event_end(q->sse_in.data + at, q->sse_in.len - at, q->done) : 0;
        size_t end;
        if (el) end = at + el;
        else if (q->done && at < q->sse_in.len) end = q->sse_in.len; /* a last event unended */
        else break;
        /* The event's data lines, joined by "\n" (lines end at "\r\n",
         * "\n" or "\r"). */
        pk_buf data;
        pk_buf_init(&data, 0);
        const char *p = q->sse_in.data + at, *pe = q->sse_in.data + end;
        int ndata = 0;
        while (p < pe) {
            const char *le = p;
            while (le < pe && *le != '\n' && *le != '\r') le++;
            if (le - p >= 5 && memcmp(p, "data:", 5) == 0) {
                const char *v = p + 5;
                if (v < le && *v == ' ') v++;
                if (ndata++) pk_buf_putc(&data, '\n');
                pk_buf_append(&data, v, (size_t)(le - v));
            }
            p = le < pe && *le == '\r' && le + 1 < pe && le[1] == '\n' ? le + 2 : le < pe ? le + 1 : pe;
        }
        size_t before = q->stext.len;
        json_t *j = data.len ? json_loadb(data.data, data.len, JSON_DECODE_ANY, NULL) : NULL;
        if (j) {
            if (before) pk_buf_putc(&q->stext, ' ');
            text_of(j, NULL, &q->stext);
            if (q->stext.len == before + 1) q->stext.len = before;
            json_decref(j);
        } else if (data.len && !(data.len == 6 && memcmp(data.data, "[DONE]", 6) == 0)) {
            /* Data that is not JSON is text the client reads: checked as
             * it is. */
            if (before) pk_buf_putc(&q->stext, ' ');
            pk_buf_append(&q->stext, data.data, data.len);
        }
        pk_buf_free(&data);
        if (q->nheld == q->cheld) {
            size_t nc = q->cheld ? 2 * q->cheld : 16;
            size_t *a = realloc(q->held_end, nc * sizeof *a), *b = a ? realloc(q->held_text, nc * sizeof *b) : NULL;
            if (a) q->held_end = a;
            if (!a || !b) {
                q->sse_end = 1;
                return;
            }
            q->held_text = b;
            q->cheld = nc;
        }
        if (q->held.len + (end - at) > MAX_HELD) {
            /* Held events only wait for min_words words of text; 4 MiB of
             * events without them is no stream the guard can check. */
            sse_fail(q, "over 4 MiB of events held back without text");
            return;
        }
        pk_buf_append(&q->held, q->sse_in.data + at, end - at);
        q->held_end[q->nheld] = q->held.len;
        q->held_text[q->nheld] = q->stext.len;
        q->nheld++;
        at = end;
        checked |= q->stext.len != before;
    }
    if (at) {
        memmove(q->sse_in.data, q->sse_in.data + at, q->sse_in.len - at);
        q->sse_in.len -= at;
    }
    /* Only the last SCAN_TAIL bytes of the stream's text are scanned: keep
     * twice that, and move the held events' text offsets along. */
    if (q->stext.len > 2 * SCAN_TAIL) {
        size_t drop = q->stext.len - SCAN_TAIL;
        memmove(q->stext.data, q->stext.data + drop, q->stext.len - drop);
        q->stext.len -= drop;
        q->stext.data[q->stext.len] = 0;
        for (size_t k = 0; k < q->nheld; k++) q->held_text[k] = q->held_text[k] > drop ? q->held_text[k] - drop : 0;
    }
    if (checked && q->stext.len) {
        gindex *g = gi_acquire(q->s);
        pk_error err;
        memset(&err, 0, sizeof err);
        if (!g && !q->s->c.fail_open) {
            sse_fail(q, "index unavailable");
            return;
        }
        pk_scanner *sc = g ? conn_scanner(q->cn, g, &err) : NULL;
        if (g && !sc) {
            sse_fail(q, err.msg);
            return;
        }
        size_t from = q->stext.len > SCAN_TAIL ? q->stext.len - SCAN_TAIL : 0;
        pk_finding *f = NULL;
        size_t nf = 0;
        int se = sc ? pk_scan_text(sc, q->stext.data + from, q->stext.len - from, &f, &nf, &err) : 0;
        if (se) {
            sse_fail(q, err.msg);
            return;
        }
        if (sc && nf) {
            const pk_index *ix = q->cn->gi->ix;
            pk_buf msg;
            pk_buf_init(&msg, 0);
            pk_guard_message(q->s->c.message, pk_index_work_title(ix, f[0].work), pk_index_work_id(ix, f[0].work), &msg);
            for (size_t i = 0; i < nf; i++)
                pk_buf_printf(&q->works, "%s%s", q->works.len ? "," : "", pk_index_work_id(ix, f[i].work));
            q->nheld = 0;
            pk_buf_reset(&q->held);
            sse_error(q, msg.data ? msg.data : "registered work", 1);
            pk_buf_free(&msg);
            q->action = "refused";
            pk_buf_printf(&q->note, "%sresponse stream stopped: a registered passage", q->note.len ? "; " : "");
            q->sse_hit = q->sse_end = 1;
            return;
        }
    }
    if (q->done && !q->sse_in.len) {
        release(q, 0, 1);
        q->sse_end = 1;
        return;
    }
    release(q, release_point(&q->stext, q->s->c.min_words), 0);
}

/* Check a whole upstream response (check_responses): 0 when it may go
 * out, 1 when it carries a registered passage (message in msg), -1 when
 * it cannot be checked (why in msg): no index (unless fail_open), no
 * scanner, a body that is not JSON, a scan error.  A response that
 * cannot be checked does not go out (fail closed). */
static int check_response(req *q, pk_buf *msg)
{
    gindex *g = gi_acquire(q->s);
    if (!g) {
        if (q->s->c.fail_open) return 0;
        pk_buf_printf(msg, "index unavailable");
        return -1;
    }
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_scanner *sc = conn_scanner(q->cn, g, &e);
    if (!sc) {
        pk_buf_printf(msg, "scanner: %s", e.msg);
        return -1;
    }
    if (!q->rbuf.len) return 0; /* no body: nothing to check */
    pk_buf text;
    pk_buf_init(&text, MAX_CHECKED);
    int hit = 0;
    if (pk_guard_resp_text(q->rbuf.data, q->rbuf.len, &text, &e) != 0) {
        pk_buf_printf(msg, "response body: %s", e.msg);
        hit = -1;
    } else if (text.len) {
        pk_finding *f = NULL;
        size_t nf = 0;
        if (pk_scan_text(sc, text.data, text.len, &f, &nf, &e) != 0) {
            pk_buf_printf(msg, "scan: %s", e.msg);
            hit = -1;
        } else if (nf) {
            hit = 1;
            const pk_index *ix = q->cn->gi->ix;
            pk_guard_message(q->s->c.message, pk_index_work_title(ix, f[0].work), pk_index_work_id(ix, f[0].work),
                             msg);
            for (size_t i = 0; i < nf; i++)
                pk_buf_printf(&q->works, "%s%s", q->works.len ? "," : "", pk_index_work_id(ix, f[i].work));
        }
    }
    pk_buf_free(&text);
    return hit;
}

static enum MHD_Result forward(req *q, struct MHD_Connection *c, const char *body, size_t n)
{
    pk_guard_server *s = q->s;
    conn *cn = q->cn;
    if (!cn->easy && !(cn->easy = curl_easy_init()))
        return send_error(q, c, 500, "server_error", NULL, "api_error", "the guard is out of memory");
    if (!cn->multi && !(cn->multi = curl_multi_init()))
        return send_error(q, c, 500, "server_error", NULL, "api_error", "the guard is out of memory");
    CURL *h = cn->easy;
    curl_easy_reset(h);
    hdrctx hc = {q, 0, 0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, fwd_header, &hc);
    /* No 100-continue round trip; a body is JSON even when the client did
     * not say so (curl would call it a form). */
    struct curl_slist *n2 = curl_slist_append(q->hdrs, "Expect:");
    if (n2) q->hdrs = n2;
    if (!hc.ctype && q->api != PK_API_MODELS && (n2 = curl_slist_append(q->hdrs, "Content-Type: application/json")))
        q->hdrs = n2;
    /* With check_responses the guard reads the response, so it asks for it
     * uncompressed (the client's Accept-Encoding is never forwarded), and
     * refuses a response that comes encoded anyway. */
    if (s->c.check_responses && (n2 = curl_slist_append(q->hdrs, "Accept-Encoding: identity"))) q->hdrs = n2;
    else if (s->c.check_responses) hc.fail = 1;
    if (s->c.upstream_key[0]) {
        char line[600];
        /* The key header follows the path (an anthropic-version header
         * on an OpenAI path does not switch it), save for /v1/models,
         * which both APIs serve. */
        if (pk_guard_api_anthropic(q->api) || (q->api == PK_API_MODELS && q->anthropic)) snprintf(line, sizeof line, "x-api-key: %s", s->c.upstream_key);
        else snprintf(line, sizeof line, "Authorization: Bearer %s", s->c.upstream_key);
        n2 = curl_slist_append(q->hdrs, line);
        if (n2) q->hdrs = n2;
        else hc.fail = 1;
    }
    if (hc.fail) return send_error(q, c, 500, "server_error", NULL, "api_error", "the guard is out of memory");
    char url[2200];
    snprintf(url, sizeof url, "%s%s", s->base, q->url);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, q->hdrs);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, q);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, q);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)s->c.timeout);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (s->c.upstream_ca[0]) curl_easy_setopt(h, CURLOPT_CAINFO, s->c.upstream_ca);
    if (q->api == PK_API_MODELS) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
    }
    q->clen = -1;
    q->whole = s->c.check_responses; /* decided for real once the content type is known */
    pk_buf_init(&q->rbuf, MAX_CHECKED);
    if (curl_multi_add_handle(cn->multi, h) != CURLM_OK)
        return send_error(q, c, 500, "server_error", NULL, "api_error", "cannot start the upstream request");
    q->in_multi = 1;
    drive(q, want_headers);
    if (!q->got_status || (q->done && q->result != CURLE_OK)) {
        char msg[512];
        snprintf(msg, sizeof msg, "the upstream could not be reached: %s", curl_easy_strerror(q->result));
        q->action = "error";
        pk_buf_printf(&q->note, "%supstream: %s", q->note.len ? "; " : "", curl_easy_strerror(q->result));
        return send_error(q, c, 502, "server_error", "picket_upstream_error", "api_error", msg);
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &q->ustatus);
    int sse = strncasecmp(q->ctype, "text/event-stream", 17) == 0;
    struct MHD_Response *r = NULL;
    if (s->c.check_responses && q->cenc[0] && strcasecmp(q->cenc, "identity") != 0) {
        q->action = "error";
        pk_buf_printf(&q->note, "%sresponse not checked: Content-Encoding %s", q->note.len ? "; " : "", q->cenc);
        return send_error(q, c, 502, "server_error", "picket_unchecked_response", "api_error",
                          "The upstream sent a compressed response the guard cannot check, so it refused it.");
    }
    if (s->c.check_responses && !sse) {
        drive(q, want_end);
        if (q->result != CURLE_OK) {
            q->action = "error";
            return send_error(q, c, 502, "server_error", "picket_upstream_error", "api_error",
                              "the upstream response failed or was too large to check");
        }
        pk_buf msg;
        pk_buf_init(&msg, 0);
        int cr = check_response(q, &msg);
        if (cr < 0) {
            q->action = "error";
            pk_buf_printf(&q->note, "%sresponse not checked: %s", q->note.len ? "; " : "", msg.data);
            pk_buf_free(&msg);
            return send_error(q, c, 502, "server_error", "picket_unchecked_response", "api_error",
                              "The guard could not check the upstream's response, so it refused it.");
        }
        if (cr) {
            q->action = "refused";
            pk_buf_printf(&q->note, "%sresponse carried a registered passage", q->note.len ? "; " : "");
            enum MHD_Result ret = send_error(q, c, 403, "invalid_request_error", "picket_registered_work",
                                             "permission_error", msg.data ? msg.data : "registered work");
            pk_buf_free(&msg);
            return ret;
        }
        pk_buf_free(&msg);
        r = MHD_create_response_from_buffer(q->rbuf.len, q->rbuf.data ? q->rbuf.data : (void *)(uintptr_t) "",
                                            MHD_RESPMEM_MUST_COPY);
    } else {
        q->whole = 0;
        if (s->c.check_responses && sse) {
            /* What came with the headers is the start of the stream. */
            q->sse_check = 1;
            pk_buf_init(&q->sse_in, 0);
            pk_buf_init(&q->held, 0);
            pk_buf_init(&q->stext, 0);
            pk_buf_append(&q->sse_in, q->rbuf.data ? q->rbuf.data : "", q->rbuf.len);
            pk_buf_reset(&q->rbuf);
            q->clen = -1;
        }
        if (q->result == CURLE_OK && q->done && q->clen < 0 && !q->sse_check) q->clen = (long long)q->rbuf.len;
        uint64_t size = q->clen >= 0 ? (uint64_t)q->clen : MHD_SIZE_UNKNOWN;
        r = MHD_create_response_from_callback(size, 32 << 10, reader, q, NULL);
    }
    if (!r) return MHD_NO;
    for (int i = 0; i < q->nh; i++) MHD_add_response_header(r, q->hname[i], q->hval[i]);
    q->status = (int)q->ustatus;
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)q->ustatus, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- one request -------------------------------------------------------------------- */

static int token_name(pk_guard_server *s, const char *tok, char name[129])
{
    if (!tok || !*tok) return 0;
    char sha[65];
    pk_sha256_hex(tok, strlen(tok), sha);
    tokent key;
    snprintf(key.sha, sizeof key.sha, "%s", sha);
    int found = 0;
    pthread_mutex_lock(&s->mu);
    tokent *t = s->ntoks ? bsearch(&key, s->toks, s->ntoks, sizeof *s->toks, tok_cmp) : NULL;
    if (t) {
        snprintf(name, 129, "%s", t->name);
        found = 1;
    }
    pthread_mutex_unlock(&s->mu);
    return found;
}

/* A pointer for the audit log: object keys are client text too (a whole
 * passage can be a key), so a segment over 24 bytes is cut to its first
 * 8 and "...": the log names where a passage was, never its words. */
static void put_ptr(pk_buf *b, const char *p)
{
    while (*p) {
        size_t n = strcspn(p + 1, "/#") + 1; /* one segment with its '/' or '#' */
        if (n > 25) {
            size_t k = 9;
            while (k > 1 && ((unsigned char)p[k] & 0xC0) == 0x80) k--; /* whole UTF-8 characters */
            pk_buf_append(b, p, k);
            pk_buf_append(b, "...", 3);
        } else {
            pk_buf_append(b, p, n);
        }
        p += n;
    }
}

/* Where a passage (bytes s..e of the joined text) lies in the request:
 * "POINTER:START-END" per string it touches (offsets in that string),
 * joined by '+' when it spans strings. */
static void passage_where(pk_buf *b, const pk_guard_req *pr, uint64_t s, uint64_t e)
{
    size_t lo = 0, hi = pk_guard_req_npieces(pr);
    while (lo < hi) { /* the first piece ending after s */
        size_t mid = lo + (hi - lo) / 2;
        const pk_guard_piece *p = pk_guard_req_piece(pr, mid);
        if (p->start + p->len <= s) lo = mid + 1;
        else hi = mid;
    }
    int first = 1;
    for (size_t k = lo; k < pk_guard_req_npieces(pr); k++) {
        const pk_guard_piece *p = pk_guard_req_piece(pr, k);
        if (p->start >= e) break;
        uint64_t a = PK_MAX(s, p->start), z = PK_MIN(e, p->start + p->len);
        if (a >= z) continue;
        if (!first) pk_buf_putc(b, '+');
        put_ptr(b, p->ptr);
        pk_buf_printf(b, ":%llu-%llu", (unsigned long long)(a - p->start), (unsigned long long)(z - p->start));
        first = 0;
    }
}

static const char *client_token(struct MHD_Connection *c)
{
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    const char *tok = NULL;
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0) tok = auth + 7;
    if (!tok) tok = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-api-key");
    return tok;
}

/* The request's token is live: its name goes to q->client. */
static int client_ok(req *q, struct MHD_Connection *c) { return token_name(q->s, client_token(c), q->client); }

static enum MHD_Result send_401(req *q, struct MHD_Connection *c)
{
    const char *tok = client_token(c);
    q->action = "refused";
    pk_buf_printf(&q->note, tok ? "unknown token" : "no token");
    return send_error(q, c, 401, "invalid_request_error", "invalid_api_key", "authentication_error",
                      tok ? "Invalid API key: this guard does not know the token."
                          : "Missing API key: send a token issued by `picket guard token add`.");
}

static enum MHD_Result decide(req *q, struct MHD_Connection *c)
{
    pk_guard_server *s = q->s;
    if (q->too_big) {
        char msg[160];
        snprintf(msg, sizeof msg, "the request body is over the guard's limit of %zu bytes", s->c.max_body);
        q->action = "refused";
        pk_buf_printf(&q->note, "body over max_body");
        return send_error(q, c, 413, "invalid_request_error", "request_too_large", "request_too_large", msg);
    }
    if (!client_ok(q, c)) return send_401(q, c);
    if (q->api == PK_API_MODELS) {
        q->action = "allowed";
        return forward(q, c, NULL, 0);
    }
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_guard_req *pr = NULL;
    int rc = pk_guard_req_parse(&pr, q->api, q->body.data ? q->body.data : "", q->body.len, &s->c.x, &e);
    if (rc) {
        q->action = rc == PK_ENOMEM ? "error" : "refused";
        pk_buf_printf(&q->note, "%s", e.msg);
        if (rc == PK_ENOMEM) return send_error(q, c, 500, "server_error", NULL, "api_error", "out of memory");
        if (rc == PK_ETOOBIG) return send_error(q, c, 413, "invalid_request_error", "request_too_large",
                                                "request_too_large", e.msg);
        return send_error(q, c, 400, "invalid_request_error", rc == PK_EINVAL ? "picket_uncheckable" : NULL,
                          "invalid_request_error", e.msg);
    }
    if (pk_guard_req_note(pr)[0]) pk_buf_printf(&q->note, "%s", pk_guard_req_note(pr));
    enum MHD_Result ret;
    size_t tn;
    const char *text = pk_guard_req_text(pr, &tn);
    gindex *g = gi_acquire(s);
    if (!g) {
        if (s->c.fail_open) {
            q->action = "allowed";
            pk_buf_printf(&q->note, "%sindex unavailable: passed unchecked (fail_open)", q->note.len ? "; " : "");
            ret = forward(q, c, q->body.data, q->body.len);
        } else {
            q->action = "error";
            pk_buf_printf(&q->note, "%sindex unavailable", q->note.len ? "; " : "");
            ret = send_error(q, c, 503, "server_error", "picket_index_unavailable", "api_error",
                             "The guard cannot read its registry of works, so it refuses requests for now.");
        }
        goto done;
    }
    pk_scanner *sc = conn_scanner(q->cn, g, &e);
    pk_finding *f = NULL;
    size_t nf = 0;
    if (!sc || (tn && pk_scan_text(sc, text, tn, &f, &nf, &e))) {
        q->action = "error";
        pk_buf_printf(&q->note, "%scheck failed: %s", q->note.len ? "; " : "", e.msg);
        ret = send_error(q, c, 500, "server_error", NULL, "api_error", "the guard could not check this request");
        goto done;
    }
    if (nf == 0) {
        q->action = "allowed";
        ret = forward(q, c, q->body.data, q->body.len);
        goto done;
    }
    const pk_index *ix = q->cn->gi->ix;
    size_t best = 0, nr = 0;
    for (size_t i = 0; i < nf; i++) {
        if (f[i].matched_words > f[best].matched_words) best = i;
        pk_buf_printf(&q->works, "%s%s", i ? "," : "", pk_index_work_id(ix, f[i].work));
        for (size_t j = 0; j < f[i].npassages; j++, nr++) {
            pk_buf_printf(&q->passages, "%s%s@", q->passages.len ? "," : "", pk_index_work_id(ix, f[i].work));
            passage_where(&q->passages, pr, f[i].passages[j].doc_start, f[i].passages[j].doc_end);
        }
    }
    pk_buf msg;
    pk_buf_init(&msg, 0);
    pk_guard_message(s->c.message, pk_index_work_title(ix, f[best].work), pk_index_work_id(ix, f[best].work), &msg);
    if (s->c.mode == PK_GUARD_REDACT) {
        uint64_t *rg = calloc(nr ? 2 * nr : 1, sizeof *rg);
        size_t k = 0;
        for (size_t i = 0; rg && i < nf; i++)
            for (size_t j = 0; j < f[i].npassages; j++) {
                rg[k++] = f[i].passages[j].doc_start;
                rg[k++] = f[i].passages[j].doc_end;
            }
        int re = rg ? pk_guard_req_redact(pr, rg, nr, s->c.redaction, &q->fwd, &e) : PK_ENOMEM;
        free(rg);
        if (re == 0) {
            q->action = "redacted";
            logf_(s, "redacted: client %s, %s, works %s", q->client, q->endpoint, q->works.data);
            ret = forward(q, c, q->fwd.data, q->fwd.len);
            pk_buf_free(&msg);
            goto done;
        }
        pk_buf_printf(&q->note, "%scannot redact: %s", q->note.len ? "; " : "", e.msg);
    }
    q->action = "refused";
    logf_(s, "refused: client %s, %s, works %s", q->client, q->endpoint, q->works.data);
    ret = send_error(q, c, 403, "invalid_request_error", "picket_registered_work", "permission_error",
                     msg.data ? msg.data : "registered work");
    pk_buf_free(&msg);
done:
    pk_guard_req_free(pr);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    pk_guard_server *s = cls;
    (void)version;
    req *q = *con_cls;
    if (!q) {
        q = calloc(1, sizeof *q);
        if (!q) return MHD_NO;
        *con_cls = q;
        q->s = s;
        q->t0 = pk_now();
        q->status = 0;
        q->action = "error";
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        q->cn = ci ? ci->socket_context : NULL;
        snprintf(q->method, sizeof q->method, "%s", method);
        snprintf(q->url, sizeof q->url, "%s", url);
        snprintf(q->endpoint, sizeof q->endpoint, "%s %.*s", method, 120, url);
        pk_buf_init(&q->body, s->c.max_body);
        pk_buf_init(&q->works, 1 << 20);
        pk_buf_init(&q->passages, 1 << 20);
        pk_buf_init(&q->note, 4096);
        pk_buf_init(&q->fwd, 0);
        q->api = pk_guard_api_of(method, url);
        q->anthropic = pk_guard_api_anthropic(q->api) ||
                       MHD_lookup_connection_value(c, MHD_HEADER_KIND, "anthropic-version") != NULL;
        if (!q->cn) return send_error(q, c, 500, "server_error", NULL, "api_error", "out of memory");
        if (strcmp(method, "GET") == 0 && strcmp(url, "/healthz") == 0) {
            gindex *g = gi_acquire(s);
            int ok = g != NULL || s->c.fail_open;
            gi_release(g);
            q->action = "health";
            q->status = ok ? 200 : 503;
            const char *b = ok ? "ok\n" : "index unavailable\n";
            struct MHD_Response *r = MHD_create_response_from_buffer(strlen(b), (void *)(uintptr_t)b,
                                                                     MHD_RESPMEM_PERSISTENT);
            if (!r) return MHD_NO;
            MHD_add_response_header(r, "Content-Type", "text/plain");
            enum MHD_Result ret = MHD_queue_response(c, (unsigned)q->status, r);
            MHD_destroy_response(r);
            return ret;
        }
        if (q->api == PK_API_NONE) {
            char msg[1200];
            snprintf(msg, sizeof msg, "Unknown request URL: %s %s. The guard serves the OpenAI and Anthropic APIs.",
                     method, url);
            q->action = "refused";
            pk_buf_printf(&q->note, "unknown path");
            return send_error(q, c, 404, "invalid_request_error", "unknown_url", "not_found_error", msg);
        }
        /* The token is in the headers: a client without a good one gets
         * its 401 before the guard reads (and holds) its body. */
        if (!client_ok(q, c)) return send_401(q, c);
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > s->c.max_body) {
            q->too_big = 1;
            return decide(q, c); /* answered without reading the body */
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!q->too_big && !q->status && pk_buf_append(&q->body, upload_data, *upload_data_size)) q->too_big = 1;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (q->status) return MHD_YES; /* already answered */
    return decide(q, c);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    pk_guard_server *s = cls;
    req *q = *con_cls;
    (void)c;
    if (!q) return;
    *con_cls = NULL;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && strcmp(q->action, "refused") != 0) {
        pk_buf_printf(&q->note, "%sconnection ended early (%d)", q->note.len ? "; " : "", (int)toe);
        if (!strcmp(q->action, "allowed") || !strcmp(q->action, "redacted")) q->action = "error";
    }
    if (q->in_multi) curl_multi_remove_handle(q->cn->multi, q->cn->easy);
    int audit = strcmp(q->action, "health") != 0 && s->aw != NULL;
    if (audit && q->status == 401) {
        int64_t now = (int64_t)time(NULL);
        uint64_t skipped = 0;
        pthread_mutex_lock(&s->mu);
        if (now == s->last401) {
            s->skipped401++;
            audit = 0;
        } else {
            s->last401 = now;
            skipped = s->skipped401;
            s->skipped401 = 0;
        }
        pthread_mutex_unlock(&s->mu);
        if (skipped)
            pk_buf_printf(&q->note, "; %llu more 401s not logged since the last one",
                          (unsigned long long)skipped);
    }
    if (audit) {
        pk_audit_row row;
        memset(&row, 0, sizeof row);
        pk_audit_now(row.time);
        row.client = q->client;
        row.endpoint = q->endpoint;
        row.req_bytes = q->too_big ? 0 : q->body.len;
        row.status = q->status;
        row.works = q->works.data;
        row.passages = q->passages.data;
        row.action = q->action;
        row.latency_us = (uint64_t)((pk_now() - q->t0) * 1e6);
        row.note = q->note.data;
        if (s->c.store_prompts) row.prompt = q->body.data;
        pk_audit_writer_push(s->aw, &row);
    }
    curl_slist_free_all(q->hdrs);
    for (int i = 0; i < q->nh; i++) {
        free(q->hname[i]);
        free(q->hval[i]);
    }
    pk_buf_free(&q->body);
    pk_buf_free(&q->works);
    pk_buf_free(&q->passages);
    pk_buf_free(&q->note);
    pk_buf_free(&q->fwd);
    pk_buf_free(&q->rbuf);
    pk_buf_free(&q->sse_in);
    pk_buf_free(&q->held);
    pk_buf_free(&q->stext);
    free(q->held_end);
    free(q->held_text);
    free(q);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    pk_guard_server *s = cls;
    if (!s->log) return;
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n') line[--n] = 0;
    s->log(s->log_ud, line);
}

/* ---- start and stop ------------------------------------------------------------------- */

static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static int parse_listen(const char *a, struct sockaddr_storage *ss, pk_error *err)
{
    memset(ss, 0, sizeof *ss);
    const char *colon = strrchr(a, ':');
    if (!colon) return pk_fail(err, PK_EINVAL, "listen: expected ADDR:PORT, got '%s'", a);
    char host[128];
    size_t hn = (size_t)(colon - a);
    if (hn >= sizeof host) return pk_fail(err, PK_EINVAL, "listen: address too long");
    memcpy(host, a, hn);
    host[hn] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535)
        return pk_fail(err, PK_EINVAL, "listen: bad port in '%s'", a);
    if (host[0] == '[' && hn >= 2 && host[hn - 1] == ']') {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        host[hn - 1] = 0;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
            return pk_fail(err, PK_EINVAL, "listen: bad IPv6 address in '%s'", a);
        return 0;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    if (!*host || !strcmp(host, "*")) s4->sin_addr.s_addr = htonl(INADDR_ANY);
    else if (!strcmp(host, "localhost")) s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
        return pk_fail(err, PK_EINVAL, "listen: bad IPv4 address in '%s'", a);
    return 0;
}

int pk_guard_server_start(pk_guard_server **out, const pk_guard_config *c, pk_guard_log_fn log, void *log_ud,
                          pk_error *err)
{
    *out = NULL;
    if (!c->db[0]) return pk_fail(err, PK_EINVAL, "no registry");
    if (!c->upstream[0]) return pk_fail(err, PK_EINVAL, "no upstream: set --upstream or upstream in the config");
    if (strncmp(c->upstream, "http://", 7) && strncmp(c->upstream, "https://", 8))
        return pk_fail(err, PK_EINVAL, "upstream: expected an http:// or https:// URL, got '%s'", c->upstream);
    struct sockaddr_storage ss;
    int e = parse_listen(c->listen, &ss, err);
    if (e) return e;
    if (pk_lazy_curl(err) || pk_lazy_mhd(err)) return PK_EIO;
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, curl_init_once);
    pk_guard_server *s = calloc(1, sizeof *s);
    if (!s) return pk_fail(err, PK_ENOMEM, "out of memory");
    s->c = *c;
    s->log = log;
    s->log_ud = log_ud;
    s->gen = 0;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->stop_mu, NULL);
    pthread_cond_init(&s->stop_cv, NULL);
    snprintf(s->base, sizeof s->base, "%s", c->upstream);
    size_t bl = strlen(s->base);
    while (bl && s->base[bl - 1] == '/') s->base[--bl] = 0;
    if (bl >= 3 && strcmp(s->base + bl - 3, "/v1") == 0) s->base[bl - 3] = 0;
    char adb[1100];
    if (c->audit_db[0]) snprintf(adb, sizeof adb, "%s", c->audit_db);
    else snprintf(adb, sizeof adb, "%s.guard.db", c->db);
    if ((e = pk_guard_db_open(&s->gdb, adb, 0, err))) goto fail;
    if ((e = pk_audit_writer_start(&s->aw, s->gdb, err))) goto fail;
    refresh_tokens(s);
    refresh_index(s);
    s->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
                                MHD_USE_ERROR_LOG | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
                            0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, notify_conn, s,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)c->threads, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                            (unsigned)c->per_ip, MHD_OPTION_CONNECTION_TIMEOUT,
                            (unsigned)PK_MAX(c->timeout, 120), MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
    if (!s->d) {
        e = pk_fail(err, PK_EIO, "cannot listen on %s: %s", c->listen, strerror(errno));
        goto fail;
    }
    if (pthread_create(&s->reloader, NULL, reloader_main, s) != 0) {
        MHD_stop_daemon(s->d);
        s->d = NULL;
        e = pk_fail(err, PK_EINTERNAL, "cannot start the reloader");
        goto fail;
    }
    logf_(s, "guard listening on %s, upstream %s, mode %s", c->listen, s->base,
          c->mode == PK_GUARD_REDACT ? "redact" : "block");
    *out = s;
    return 0;
fail:
    pk_audit_writer_stop(s->aw, NULL); /* nothing was queued yet */
    pk_guard_db_close(s->gdb);
    gi_set(s, NULL);
    free(s->toks);
    free(s);
    return e;
}

void pk_guard_server_stop(pk_guard_server *s)
{
    if (!s) return;
    pthread_mutex_lock(&s->stop_mu);
    s->stop = 1;
    pthread_cond_signal(&s->stop_cv);
    pthread_mutex_unlock(&s->stop_mu);
    pthread_join(s->reloader, NULL);
    MHD_stop_daemon(s->d);
    pk_error ae = {0, ""};
    uint64_t lost = pk_audit_writer_stop(s->aw, &ae);
    if (lost) logf_(s, "audit: %llu entries could not be written before stopping: %s", (unsigned long long)lost, ae.msg);
    pk_guard_db_close(s->gdb);
    gi_set(s, NULL);
    free(s->toks);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->stop_mu);
    pthread_cond_destroy(&s->stop_cv);
    free(s);
}
