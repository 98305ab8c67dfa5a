/* test_probe_client.c -- the probe's HTTP client against a real server on
 * loopback (libmicrohttpd, a thread per connection): retries through 429
 * (with Retry-After) and 503, a 400 that is final, the SQLite cache (a
 * second run makes no call once the answers are kept, none is kept before;
 * the key is not in the cache file), the API key
 * blanked out of an error body that echoes it (also where the message's
 * 160-byte cut falls inside the key, and where the body ends in the key's
 * first bytes), max_response bounding POST answers, and at most `jobs`
 * requests in flight. */
#include "probe/probe.h"
#include "test.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static atomic_int posts, inflight, max_inflight, fail_next;

typedef struct {
    char buf[4096];
    size_t len;
} body_t;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *text, const char *retry)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text,
                                                            MHD_RESPMEM_MUST_COPY);
    if (retry) MHD_add_response_header(r, "Retry-After", retry);
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *data, size_t *size, void **state)
{
    (void)cls;
    (void)version;
    if (!*state) {
        *state = calloc(1, sizeof(body_t));
        return *state ? MHD_YES : MHD_NO;
    }
    body_t *b = *state;
    if (*size) {
        size_t k = PK_MIN(*size, sizeof b->buf - 1 - b->len);
        memcpy(b->buf + b->len, data, k);
        b->len += k;
        *size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "POST") != 0) return reply(c, 404, "{}", NULL);
    int now = atomic_fetch_add(&inflight, 1) + 1;
    for (int m = atomic_load(&max_inflight); now > m && !atomic_compare_exchange_weak(&max_inflight, &m, now);) {
    }
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL); /* hold the connection, so that workers overlap */
    atomic_fetch_add(&posts, 1);
    enum MHD_Result rc;
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (strcmp(url, "/bad") == 0) rc = reply(c, 400, "{\"error\":{\"message\":\"no such parameter\"}}", NULL);
    else if (strcmp(url, "/echo-key") == 0) {
        char msg[512];
        snprintf(msg, sizeof msg, "{\"error\":{\"message\":\"Incorrect API key provided: %s\"}}",
                 auth ? auth + 7 : "");
        rc = reply(c, 401, msg, NULL);
    } else if (strcmp(url, "/echo-key-at-cut") == 0) {
        /* the key starts at byte 150 of the body: the 160-byte cut of the
         * message falls inside it */
        char msg[512];
        snprintf(msg, sizeof msg, "{\"error\":\"%.*s%s\"}", 140,
                 "........................................................................................................"
                 "..................................................",
                 auth ? auth + 7 : "");
        rc = reply(c, 401, msg, NULL);
    } else if (strcmp(url, "/echo-key-prefix") == 0) {
        /* the server itself cut the key: its first 12 bytes end the body */
        char msg[512];
        snprintf(msg, sizeof msg, "{\"error\":\"Incorrect API key provided: %.12s", auth ? auth + 7 : "");
        rc = reply(c, 401, msg, NULL);
    } else if (atomic_load(&fail_next) > 0) {
        int left = atomic_fetch_sub(&fail_next, 1);
        rc = left % 2 ? reply(c, 503, "busy", NULL) : reply(c, 429, "slow down", "0");
    } else {
        char msg[4200];
        snprintf(msg, sizeof msg, "{\"you_sent\":%d}", (int)b->len);
        rc = reply(c, 200, msg, NULL);
    }
    atomic_fetch_sub(&inflight, 1);
    return rc;
}

static void done_cb(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode t)
{
    (void)cls;
    (void)c;
    (void)t;
    free(*state);
    *state = NULL;
}

static struct MHD_Daemon *d;
static char base[64], cache[256];

static void start(void)
{
    d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler,
                         NULL, MHD_OPTION_NOTIFY_COMPLETED, done_cb, NULL, MHD_OPTION_END);
    const union MHD_DaemonInfo *i = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    snprintf(base, sizeof base, "http://127.0.0.1:%u", i ? (unsigned)i->port : 0u);
    snprintf(cache, sizeof cache, "/tmp/picket-test-probe-client-%d.db", (int)getpid());
    unlink(cache);
}

static pk_probe_client *client(int jobs, int retries, const char *key, const char *cachepath)
{
    pk_probe_client_opts o;
    pk_probe_client_opts_default(&o);
    o.base = base;
    o.jobs = jobs;
    o.retries = retries;
    o.backoff_ms = 1;
    o.api_key = key;
    o.cache = cachepath;
    pk_probe_client *c = NULL;
    pk_error e;
    CHECK_EQ_I(pk_probe_client_new(&c, &o, &e), 0);
    return c;
}

static void one(pk_probe_req *r, const char *path, const char *body)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    r->body = body;
    pk_buf_init(&r->resp, 1 << 20);
}

static void retries_get_through_429_and_503(void)
{
    pk_probe_client *c = client(1, 5, NULL, NULL);
    pk_probe_req r;
    one(&r, "/v1/completions", "{\"prompt\":\"a\"}");
    atomic_store(&fail_next, 2); /* a 429 with Retry-After: 0, then a 503 */
    int before = atomic_load(&posts);
    pk_error e;
    CHECK_EQ_I(pk_probe_client_run(c, "m", &r, 1, &e), 0);
    CHECK_EQ_I(r.status, 200);
    CHECK_EQ_I(r.tries, 3);
    CHECK_EQ_I(atomic_load(&posts) - before, 3);
    CHECK_STR(r.resp.data, "{\"you_sent\":14}");
    pk_probe_client_stats st;
    pk_probe_client_get_stats(c, &st);
    CHECK_EQ_U(st.retries, 2);
    CHECK_EQ_U(st.failed, 0);
    /* without retries the 503 is the answer */
    pk_probe_client *c0 = client(1, 0, NULL, NULL);
    atomic_store(&fail_next, 1);
    CHECK_EQ_I(pk_probe_client_run(c0, "m", &r, 1, &e), 0);
    CHECK_EQ_I(r.status, 503);
    CHECK(strstr(r.why, "HTTP 503: busy") != NULL);
    pk_probe_client_get_stats(c0, &st);
    CHECK_EQ_U(st.failed, 1);
    pk_buf_free(&r.resp);
    pk_probe_client_free(c);
    pk_probe_client_free(c0);
}

static void a_400_is_not_retried(void)
{
    pk_probe_client *c = client(1, 5, NULL, NULL);
    pk_probe_req r;
    one(&r, "/bad", "{}");
    pk_error e;
    CHECK_EQ_I(pk_probe_client_run(c, "m", &r, 1, &e), 0);
    CHECK_EQ_I(r.status, 400);
    CHECK_EQ_I(r.tries, 1);
    CHECK(strstr(r.why, "/bad: HTTP 400: {\"error\":{\"message\":\"no such parameter\"}}") != NULL);
    pk_buf_free(&r.resp);
    pk_probe_client_free(c);
}

static void the_cache_answers_a_second_run_without_the_key(void)
{
    const char *key = "sk-unit-test-7d3c1b9a5e";
    pk_probe_client *c = client(2, 0, key, cache);
    pk_probe_req r[3];
    one(&r[0], "/v1/completions", "{\"prompt\":\"one\"}");
    one(&r[1], "/v1/completions", "{\"prompt\":\"two\"}");
    one(&r[2], "/v1/completions", "{\"prompt\":\"one\"}"); /* same question: one call or two, same answer */
    pk_error e;
    CHECK_EQ_I(pk_probe_client_run(c, "m", r, 3, &e), 0);
    /* nothing is kept until the caller has parsed the answer */
    int before = atomic_load(&posts);
    CHECK_EQ_I(pk_probe_client_run(c, "m", r, 2, &e), 0);
    CHECK_EQ_I(atomic_load(&posts), before + 2);
    CHECK_EQ_I(r[0].cached + r[1].cached, 0);
    for (int i = 0; i < 3; i++) pk_probe_client_keep(c, "m", &r[i]);
    before = atomic_load(&posts);
    CHECK_EQ_I(pk_probe_client_run(c, "m", r, 3, &e), 0);
    CHECK_EQ_I(atomic_load(&posts), before); /* no call at all */
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_I(r[i].status, 200);
        CHECK_EQ_I(r[i].cached, 1);
    }
    CHECK_STR(r[1].resp.data, "{\"you_sent\":16}");
    /* another model is another question */
    CHECK_EQ_I(pk_probe_client_run(c, "other", r, 1, &e), 0);
    CHECK_EQ_I(r[0].cached, 0);
    pk_probe_client_free(c);
    /* the key is nowhere in the cache file */
    FILE *f = fopen(cache, "rb");
    CHECK(f != NULL);
    int found = 0;
    if (f) {
        static char all[1 << 20];
        size_t n = fread(all, 1, sizeof all - 1, f);
        all[n] = 0;
        for (size_t i = 0; i + strlen(key) <= n && !found; i++) found = memcmp(all + i, key, strlen(key)) == 0;
        fclose(f);
    }
    CHECK(!found);
    for (int i = 0; i < 3; i++) pk_buf_free(&r[i].resp);
}

static void an_echoed_key_is_blanked_out_of_the_error(void)
{
    const char *key = "sk-unit-test-echo-0042";
    pk_probe_client *c = client(1, 0, key, NULL);
    pk_probe_req r;
    one(&r, "/echo-key", "{}");
    pk_error e;
    CHECK_EQ_I(pk_probe_client_run(c, "m", &r, 1, &e), 0);
    CHECK_EQ_I(r.status, 401);
    CHECK(strstr(r.resp.data, key) == NULL); /* blanked out of the body kept too */
    CHECK(strstr(r.why, key) == NULL);
    CHECK(strstr(r.why, "Incorrect API key provided: **********************") != NULL);
    pk_buf_free(&r.resp);
    pk_probe_client_free(c);
}

/* The key straddles the 160-byte cut of the message: the whole body is
 * redacted before it is cut, so not even the key's first bytes remain; and
 * a body that ends in the key's first bytes has them masked. */
static void a_key_cut_off_by_the_message_is_blanked_out_too(void)
{
    const char *key = "sk-unit-test-cut-0099x";
    pk_probe_client *c = client(1, 0, key, NULL);
    pk_probe_req r;
    one(&r, "/echo-key-at-cut", "{}");
    pk_error e;
    CHECK_EQ_I(pk_probe_client_run(c, "m", &r, 1, &e), 0);
    CHECK_EQ_I(r.status, 401);
    CHECK_EQ_I(r.resp.len, 150 + strlen(key) + 2);
    CHECK(strstr(r.why, "sk-u") == NULL);
    /* the message: path, status, the first 160 bytes of the body, of which the last 10 are the masked key */
    CHECK(strstr(r.why, "/echo-key-at-cut: HTTP 401: {\"error\":\"....") == r.why);
    size_t wl = strlen(r.why);
    CHECK(wl >= 11 && strcmp(r.why + wl - 11, ".**********") == 0);
    pk_buf_free(&r.resp);
    one(&r, "/echo-key-prefix", "{}");
    CHECK_EQ_I(pk_probe_client_run(c, "m", &r, 1, &e), 0);
    CHECK_EQ_I(r.status, 401);
    CHECK_STR(r.why, "/echo-key-prefix: HTTP 401: {\"error\":\"Incorrect API key provided: ************");
    pk_buf_free(&r.resp);
    pk_probe_client_free(c);
}

/* --max-response bounds POST answers too, whatever cap the caller's buffer
 * was given: the 15-byte {"you_sent":2} is over a limit of 8 bytes. */
static void max_response_bounds_a_post(void)
{
    pk_probe_client_opts o;
    pk_probe_client_opts_default(&o);
    o.base = base;
    o.retries = 0;
    o.max_response = 8;
    pk_probe_client *c = NULL;
    pk_error e;
    CHECK_EQ_I(pk_probe_client_new(&c, &o, &e), 0);
    pk_probe_req r;
    one(&r, "/v1/completions", "{}");
    CHECK_EQ_I(pk_probe_client_run(c, "m", &r, 1, &e), 0);
    CHECK_EQ_I(r.status, 0);
    CHECK_STR(r.why, "/v1/completions: response over 8 bytes");
    pk_buf_free(&r.resp);
    pk_probe_client_free(c);
}

static void no_more_than_jobs_requests_in_flight(void)
{
    pk_probe_client *c = client(3, 0, NULL, NULL);
    enum { N = 24 };
    pk_probe_req r[N];
    char bodies[N][32];
    for (int i = 0; i < N; i++) {
        snprintf(bodies[i], sizeof bodies[i], "{\"i\":%d}", i);
        one(&r[i], "/v1/completions", bodies[i]);
    }
    atomic_store(&max_inflight, 0);
    pk_error e;
    CHECK_EQ_I(pk_probe_client_run(c, "m", r, N, &e), 0);
    int all200 = 1;
    for (int i = 0; i < N; i++) all200 &= r[i].status == 200;
    CHECK(all200);
    CHECK(atomic_load(&max_inflight) <= 3);
    for (int i = 0; i < N; i++) pk_buf_free(&r[i].resp);
    pk_probe_client_free(c);
}

static void stop(void)
{
    MHD_stop_daemon(d);
    unlink(cache);
    char wal[300];
    snprintf(wal, sizeof wal, "%s-wal", cache);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", cache);
    unlink(wal);
    CHECK(d != NULL);
}

TEST_MAIN(TEST(start), TEST(retries_get_through_429_and_503), TEST(a_400_is_not_retried),
          TEST(the_cache_answers_a_second_run_without_the_key), TEST(an_echoed_key_is_blanked_out_of_the_error),
          TEST(a_key_cut_off_by_the_message_is_blanked_out_too), TEST(max_response_bounds_a_post),
          TEST(no_more_than_jobs_requests_in_flight), TEST(stop))
