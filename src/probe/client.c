/* client.c -- the probe's HTTP client: libcurl, one easy handle per worker
 * thread (so connections are reused within a worker), at most `jobs`
 * requests in flight, retries with exponential backoff and jitter, and a
 * response cache in SQLite so that re-running a probe makes no second call.
 *
 * Retries: a 429, any 5xx, or a transport error (refused, reset, timed
 * out) is tried again up to `retries` times.  The wait is Retry-After when
 * the server sent one in seconds (capped at 60 s), else backoff_ms * 2^try
 * times a uniform factor in [0.5, 1.5) (jitter, so that workers that failed
 * together do not retry together), capped at 30 s.  Other 4xx answers are
 * final: they mean the request is wrong, and sending it again cannot help.
 *
 * Cache: key = SHA-256 of the URL (server root and path), model and body,
 * joined by NUL bytes (two servers with one model name are two models); the
 * body is the canonical JSON the probe builds (sorted keys, compact), so
 * the same question gives the same key.  Only 200 answers are kept.  The
 * API key is only ever in the Authorization header of the easy handle: it
 * is not part of the key, the cache, or any message (libcurl's verbose
 * output, which would show it, is never turned on).
 *
 * Threads: workers take the next request index from a counter under a
 * mutex; the SQLite connection is shared under the same mutex (lookups and
 * inserts are microseconds against requests of milliseconds). */
#include "probe/probe.h"

#define PK_LAZY_CURL /* libcurl opened on first use: lazy.c */
#include "lazy.h"
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct pk_probe_client {
    pk_probe_client_opts o;
    char *base;
    char *auth; /* "Authorization: Bearer ..." or NULL */
    sqlite3 *db;
    pthread_mutex_t mu;
    pk_probe_client_stats st;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void init_curl(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

void pk_probe_client_opts_default(pk_probe_client_opts *o)
{
    memset(o, 0, sizeof *o);
    o->jobs = 4;
    o->retries = 5;
    o->backoff_ms = 500;
    o->connect_timeout_ms = 10000;
    o->timeout_ms = 300000;
    o->max_response = (size_t)64 << 20;
}

static int db_fail(pk_probe_client *c, pk_error *err, const char *what)
{
    return pk_fail(err, PK_EDB, "%s: %s: %s", c->o.cache, what, sqlite3_errmsg(c->db));
}

int pk_probe_client_new(pk_probe_client **out, const pk_probe_client_opts *o, pk_error *err)
{
    *out = NULL;
    if (pk_lazy_curl(err)) return PK_EIO;
    pthread_once(&curl_once, init_curl);
    if (curl_init_rc != CURLE_OK) return pk_fail(err, PK_EINTERNAL, "libcurl: %s", curl_easy_strerror(curl_init_rc));
    if (!o->base || !*o->base) return pk_fail(err, PK_EINVAL, "no endpoint");
    /* randombytes_uniform (the backoff's jitter) wants libsodium set up */
    if (sodium_init() < 0) return pk_fail(err, PK_EINTERNAL, "libsodium: cannot initialize");
    pk_probe_client *c = calloc(1, sizeof *c);
    if (!c) return pk_fail(err, PK_ENOMEM, "out of memory");
    c->o = *o;
    c->o.cache = NULL;
    if (c->o.jobs < 1) c->o.jobs = 1;
    if (c->o.jobs > 64) c->o.jobs = 64;
    if (c->o.retries < 0) c->o.retries = 0;
    if (!c->o.max_response) c->o.max_response = (size_t)64 << 20;
    pthread_mutex_init(&c->mu, NULL);
    c->base = strdup(o->base);
    if (!c->base) goto oom;
    size_t bl = strlen(c->base);
    while (bl > 0 && c->base[bl - 1] == '/') c->base[--bl] = 0;
    if (o->api_key && *o->api_key) {
        size_t n = strlen(o->api_key) + 32;
        c->auth = malloc(n);
        if (!c->auth) goto oom;
        snprintf(c->auth, n, "Authorization: Bearer %s", o->api_key);
    }
    if (o->cache) {
        c->o.cache = o->cache; /* the caller keeps the string alive */
        if (sqlite3_open_v2(o->cache, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                            NULL) != SQLITE_OK) {
            int rc = db_fail(c, err, "cannot open the cache");
            pk_probe_client_free(c);
            return rc;
        }
        sqlite3_busy_timeout(c->db, 10000);
        if (sqlite3_exec(c->db,
                         "PRAGMA journal_mode=WAL;"
                         "CREATE TABLE IF NOT EXISTS probe_cache(key TEXT PRIMARY KEY, path TEXT NOT NULL,"
                         " body BLOB NOT NULL, created INTEGER NOT NULL)",
                         NULL, NULL, NULL) != SQLITE_OK) {
            int rc = db_fail(c, err, "cannot set up the cache");
            pk_probe_client_free(c);
            return rc;
        }
    }
    *out = c;
    return 0;
oom:
    pk_probe_client_free(c);
    return pk_fail(err, PK_ENOMEM, "out of memory");
}

void pk_probe_client_free(pk_probe_client *c)
{
    if (!c) return;
    if (c->db) sqlite3_close(c->db);
    if (c->auth) sodium_memzero(c->auth, strlen(c->auth));
    free(c->auth);
    free(c->base);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void pk_probe_client_get_stats(const pk_probe_client *c, pk_probe_client_stats *s) { *s = c->st; }

/* ---- one transfer --------------------------------------------------------- */

typedef struct {
    pk_buf *body;
    int too_big;
    double retry_after; /* seconds, -1 none */
} xfer;

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t n = size * nmemb;
    if (pk_buf_append(x->body, p, n)) {
        x->too_big = 1;
        return 0;
    }
    return n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t n = size * nmemb;
    static const char name[] = "retry-after:";
    if (n > sizeof name - 1 && strncasecmp(p, name, sizeof name - 1) == 0) {
        char tmp[32];
        size_t k = PK_MIN(n - (sizeof name - 1), sizeof tmp - 1);
        memcpy(tmp, p + sizeof name - 1, k);
        tmp[k] = 0;
        char *end;
        errno = 0;
        double v = strtod(tmp, &end);
        if (end != tmp && errno == 0 && v >= 0 && isfinite(v)) x->retry_after = PK_MIN(v, 60.0);
    }
    return n;
}

static void sleep_s(double s)
{
    if (!(s > 0)) return;
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* A server may echo the key in an error body ("Incorrect API key
 * provided: ..."): blank it out of the body kept for the user, all of it,
 * before the message is cut to one short line (cutting first would leave
 * the part of a key that straddles the cut).  A message is cut anyway: the
 * caller masks, after cutting, a tail that is the start of the key
 * (mask_key_tail). */
static void redact(const pk_probe_client *c, char *s, size_t n)
{
    static const char pre[] = "Authorization: Bearer ";
    if (!c->auth) return;
    const char *key = c->auth + sizeof pre - 1;
    size_t kl = strlen(key);
    if (kl < 4 || n < kl) return;
    for (size_t i = 0; i + kl <= n; i++)
        if (memcmp(s + i, key, kl) == 0) {
            memset(s + i, '*', kl);
            i += kl - 1;
        }
}

/* Mask the longest tail of s (n bytes) that is a prefix of the key (at
 * least 4 bytes): what is left of a key cut off at the end of a message. */
static void mask_key_tail(const pk_probe_client *c, char *s, size_t n)
{
    static const char pre[] = "Authorization: Bearer ";
    if (!c->auth) return;
    const char *key = c->auth + sizeof pre - 1;
    size_t kl = strlen(key);
    for (size_t t = PK_MIN(kl, n); t >= 4; t--)
        if (memcmp(s + n - t, key, t) == 0) {
            memset(s + n - t, '*', t);
            return;
        }
}

/* One request with retries; method POST when body is not NULL. */
static void perform(pk_probe_client *c, CURL *h, const char *path, const char *body, int retries, pk_probe_req *r)
{
    char url[2048];
    snprintf(url, sizeof url, "%s%s", c->base, path);
    struct curl_slist *hdr = NULL;
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, "Accept: application/json");
    hdr = curl_slist_append(hdr, "Expect:");
    if (c->auth) hdr = curl_slist_append(hdr, c->auth);
    for (int attempt = 0;; attempt++) {
        xfer x = {&r->resp, 0, -1};
        pk_buf_reset(&r->resp);
        curl_easy_reset(h);
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->o.connect_timeout_ms);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->o.timeout_ms);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(h, CURLOPT_USERAGENT, "picket-probe/" PK_VERSION);
        if (body) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
        }
        CURLcode cc = curl_easy_perform(h);
        r->tries = attempt + 1;
        if (body) {
            pthread_mutex_lock(&c->mu);
            c->st.requests++;
            pthread_mutex_unlock(&c->mu);
        }
        long status = 0;
        int retry = 0;
        if (x.too_big) {
            r->status = 0;
            snprintf(r->why, sizeof r->why, "%s: response over %zu bytes", path, c->o.max_response);
            break;
        }
        if (cc != CURLE_OK) {
            r->status = 0;
            snprintf(r->why, sizeof r->why, "%s: %s", path, curl_easy_strerror(cc));
            retry = 1;
        } else {
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
            r->status = status;
            if (status != 200) {
                /* the server's own message, the key blanked out of the
                 * whole body first, then one line, trimmed */
                if (r->resp.data) redact(c, r->resp.data, r->resp.len);
                int k = (int)PK_MIN(r->resp.len, 160);
                snprintf(r->why, sizeof r->why, "%s: HTTP %ld: %.*s", path, status, k,
                         r->resp.data ? r->resp.data : "");
                for (char *q = r->why; *q; q++) /* one line, no terminal controls (ESC ...) */
                    if ((unsigned char)*q < 0x20 || *q == 0x7f) *q = ' ';
                mask_key_tail(c, r->why, strlen(r->why));
            }
            retry = status == 429 || status >= 500;
        }
        if (!retry || attempt >= retries) {
            if (retry) {
                pthread_mutex_lock(&c->mu);
                c->st.failed++;
                pthread_mutex_unlock(&c->mu);
            }
            break;
        }
        double wait = x.retry_after;
        if (wait < 0) {
            double b = c->o.backoff_ms / 1000.0 * ldexp(1.0, attempt);
            b *= 0.5 + (double)randombytes_uniform(1000000) / 1e6;
            wait = PK_MIN(b, 30.0);
        }
        pthread_mutex_lock(&c->mu);
        c->st.retries++;
        pthread_mutex_unlock(&c->mu);
        sleep_s(wait);
    }
    curl_slist_free_all(hdr);
}

int pk_probe_client_get(pk_probe_client *c, const char *path, long *status, pk_buf *body, pk_error *err)
{
    CURL *h = curl_easy_init();
    if (!h) return pk_fail(err, PK_ENOMEM, "libcurl: cannot make a handle");
    pk_probe_req r;
    memset(&r, 0, sizeof r);
    r.path = path;
    pk_buf_init(&r.resp, c->o.max_response);
    perform(c, h, path, NULL, PK_MIN(c->o.retries, 2), &r);
    curl_easy_cleanup(h);
    *status = r.status;
    pk_buf_reset(body);
    if (r.resp.len && pk_buf_append(body, r.resp.data, r.resp.len)) {
        pk_buf_free(&r.resp);
        return pk_fail(err, PK_ENOMEM, "out of memory");
    }
    pk_buf_free(&r.resp);
    return 0;
}

/* ---- the cache -------------------------------------------------------------- */

static void cache_key(const char *base, const char *path, const char *model, const char *body, char key[65])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)base, strlen(base));
    crypto_hash_sha256_update(&st, (const unsigned char *)path, strlen(path) + 1);
    crypto_hash_sha256_update(&st, (const unsigned char *)(model ? model : ""), strlen(model ? model : "") + 1);
    crypto_hash_sha256_update(&st, (const unsigned char *)body, strlen(body));
    unsigned char h[32];
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(key, 65, h, sizeof h);
}

/* Under c->mu. */
static int cache_get(pk_probe_client *c, const char *key, pk_buf *out)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(c->db, "SELECT body FROM probe_cache WHERE key = ?", -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const void *p = sqlite3_column_blob(st, 0);
        int n = sqlite3_column_bytes(st, 0);
        pk_buf_reset(out);
        if (n >= 0 && pk_buf_append(out, p ? p : "", (size_t)n) == 0) found = 1;
    }
    sqlite3_finalize(st);
    return found;
}

static void cache_put(pk_probe_client *c, const char *key, const char *path, const pk_buf *body)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, "INSERT OR REPLACE INTO probe_cache(key, path, body, created) VALUES (?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, body->data ? body->data : "", (int)body->len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
    sqlite3_step(st); /* a cache that cannot be written only costs a second call later */
    sqlite3_finalize(st);
}

/* ---- the worker pool -------------------------------------------------------- */

typedef struct {
    pk_probe_client *c;
    const char *model;
    pk_probe_req *reqs;
    size_t n, next;
    int failed;
} pool;

static void *worker(void *ud)
{
    pool *pl = ud;
    pk_probe_client *c = pl->c;
    CURL *h = curl_easy_init();
    if (!h) {
        pthread_mutex_lock(&c->mu);
        pl->failed = 1;
        pthread_mutex_unlock(&c->mu);
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&c->mu);
        size_t i = pl->next < pl->n && !pl->failed ? pl->next++ : pl->n;
        pthread_mutex_unlock(&c->mu);
        if (i >= pl->n) break;
        pk_probe_req *r = &pl->reqs[i];
        char key[65];
        r->status = 0;
        r->cached = 0;
        r->why[0] = 0;
        if (c->db) {
            cache_key(c->base, r->path, pl->model, r->body, key);
            pthread_mutex_lock(&c->mu);
            int hit = cache_get(c, key, &r->resp);
            if (hit) c->st.cached++;
            pthread_mutex_unlock(&c->mu);
            if (hit) {
                r->status = 200;
                r->cached = 1;
                continue;
            }
        }
        perform(c, h, r->path, r->body, c->o.retries, r);
        /* not cached here: a 200 whose body does not parse would be
         * answered from the cache forever; the caller keeps it
         * (pk_probe_client_keep) once it has parsed it */
    }
    curl_easy_cleanup(h);
    return NULL;
}

void pk_probe_client_keep(pk_probe_client *c, const char *model, const pk_probe_req *r)
{
    if (!c->db || r->status != 200 || r->cached) return;
    char key[65];
    cache_key(c->base, r->path, model, r->body, key);
    pthread_mutex_lock(&c->mu);
    cache_put(c, key, r->path, &r->resp);
    pthread_mutex_unlock(&c->mu);
}

int pk_probe_client_run(pk_probe_client *c, const char *model, pk_probe_req *reqs, size_t n, pk_error *err)
{
    if (n == 0) return 0;
    pool pl = {c, model, reqs, n, 0, 0};
    size_t nt = PK_MIN((size_t)c->o.jobs, n);
    pthread_t th[64];
    size_t started = 0;
    for (size_t i = 0; i < n; i++)
        reqs[i].resp.max = c->o.max_response; /* every answer bounded by the client's limit */
    for (; started < nt; started++)
        if (pthread_create(&th[started], NULL, worker, &pl) != 0) break;
    if (started == 0) return pk_fail(err, PK_EINTERNAL, "cannot start a thread");
    for (size_t i = 0; i < started; i++) pthread_join(th[i], NULL);
    if (pl.failed) return pk_fail(err, PK_ENOMEM, "libcurl: cannot make a handle");
    return 0;
}
