/* audit.c -- the guard's database: client tokens and the audit log.
 *
 * One SQLite file (default "<registry>.guard.db", WAL) apart from the
 * registry, so that the registry stays a list of works and the guard's
 * log can be kept, copied and verified on its own.
 *
 * Tokens: only the SHA-256 of each token is stored, with its name and
 * dates; the token itself is shown once by `guard token add`.  A token
 * has 256 random bits, so a plain hash (not a password hash) is enough:
 * nobody can search that space from the hash.
 *
 * Audit: an append-only table; each row stores
 *     hash = SHA-256(previous row's hash (hex) || canonical row)
 * where the canonical row is every column but the hash, each written as
 * "<length>:<bytes>," (netstring-like, so no two rows serialize alike),
 * and the first row's previous hash is 64 '0's.  Rows are numbered 1, 2,
 * 3 ... without gaps and the last (seq, hash) is kept in a one-row head
 * table, so an altered row breaks its own hash, a deleted row leaves a
 * gap (or breaks the next row's hash), and a deleted last row no longer
 * matches the head.  Someone who can rewrite the whole file can cut its
 * end and rewrite the head to match, or rewrite the whole chain: keep the
 * head hash elsewhere (`guard log --verify` prints it) and verify against
 * it (pk_audit_verify_anchor, `--verify --head HASH`).
 *
 * Writes: appends run in one transaction per batch, each re-reading the
 * head inside the transaction (BEGIN IMMEDIATE), so two writers on one
 * file still make one chain.  The server appends through a writer thread
 * (below): the request path only queues a copy of the row; WAL with
 * synchronous=NORMAL means a batch costs no fsync (a power cut may lose
 * the last batches, never break the chain, since the WAL applies whole
 * transactions).  A batch that fails is retried with backoff until it is
 * written, never dropped; while it fails the queue fills, and at its cap
 * requests wait: no request is served without its audit row. */
#include "guard/guard.h"

#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct pk_guard_db {
    sqlite3 *db;
    char path[1024];
};

static int db_fail(pk_guard_db *g, pk_error *err, const char *what)
{
    return pk_fail(err, PK_EDB, "%s: %s: %s", g->path, what, sqlite3_errmsg(g->db));
}

int pk_guard_db_open(pk_guard_db **out, const char *path, int readonly, pk_error *err)
{
    *out = NULL;
    pk_guard_db *g = calloc(1, sizeof *g);
    if (!g) return pk_fail(err, PK_ENOMEM, "out of memory");
    snprintf(g->path, sizeof g->path, "%s", path);
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    int e = 0;
    if (sqlite3_open_v2(path, &g->db, flags | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        e = db_fail(g, err, "cannot open");
        goto fail;
    }
    sqlite3_busy_timeout(g->db, 10000);
    if (!readonly) {
        static const char *schema =
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "CREATE TABLE IF NOT EXISTS tokens(id INTEGER PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL UNIQUE,"
            " created TEXT NOT NULL, revoked TEXT);"
            "CREATE TABLE IF NOT EXISTS audit(seq INTEGER PRIMARY KEY, time TEXT NOT NULL, client TEXT NOT NULL,"
            " endpoint TEXT NOT NULL, req_bytes INTEGER NOT NULL, status INTEGER NOT NULL, works TEXT NOT NULL,"
            " passages TEXT NOT NULL, action TEXT NOT NULL, latency_us INTEGER NOT NULL, note TEXT NOT NULL,"
            " prompt TEXT NOT NULL, hash TEXT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS head(one INTEGER PRIMARY KEY CHECK(one = 1), seq INTEGER NOT NULL,"
            " hash TEXT NOT NULL);";
        if (sqlite3_exec(g->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
            e = db_fail(g, err, "cannot create the guard tables");
            goto fail;
        }
    } else {
        sqlite3_stmt *st = NULL;
        int ok = sqlite3_prepare_v2(g->db, "SELECT 1 FROM audit, tokens, head LIMIT 1", -1, &st, NULL) == SQLITE_OK;
        sqlite3_finalize(st);
        if (!ok) {
            e = pk_fail(err, PK_ENOTFOUND, "%s: not a guard database (%s)", path, sqlite3_errmsg(g->db));
            goto fail;
        }
    }
    *out = g;
    return 0;
fail:
    pk_guard_db_close(g);
    return e;
}

void pk_guard_db_close(pk_guard_db *g)
{
    if (!g) return;
    sqlite3_close(g->db);
    free(g);
}

void pk_audit_now(char out[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char s[24];
    strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%s.%03dZ", s, (int)(ts.tv_nsec / 1000000));
}

/* ---- tokens ----------------------------------------------------------------------- */

int pk_guard_token_add(pk_guard_db *g, const char *name, char tok[64], pk_error *err)
{
    if (!*name || strlen(name) > 128) return pk_fail(err, PK_EINVAL, "a token name is 1 to 128 bytes");
    for (const char *c = name; *c; c++)
        if ((unsigned char)*c < 0x21 || *c == 0x7f)
            return pk_fail(err, PK_EINVAL, "a token name has no spaces or control characters");
    sqlite3_stmt *st = NULL;
    int e = 0;
    if (sqlite3_prepare_v2(g->db, "SELECT 1 FROM tokens WHERE name = ?1 AND revoked IS NULL", -1, &st, NULL))
        return db_fail(g, err, "tokens");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int exists = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    if (exists) return pk_fail(err, PK_EEXIST, "a token named '%s' exists: revoke it first", name);
    unsigned char raw[32];
    if (sodium_init() < 0) return pk_fail(err, PK_EINTERNAL, "libsodium cannot start (no random source)");
    randombytes_buf(raw, sizeof raw);
    memcpy(tok, "pkg_", 4);
    sodium_bin2base64(tok + 4, 60, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    char sha[65], now[32];
    pk_sha256_hex(tok, strlen(tok), sha);
    pk_audit_now(now);
    if (sqlite3_prepare_v2(g->db, "INSERT INTO tokens(name, sha256, created) VALUES(?1, ?2, ?3)", -1, &st, NULL))
        return db_fail(g, err, "tokens");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sha, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) e = db_fail(g, err, "cannot store the token");
    sqlite3_finalize(st);
    return e;
}

int pk_guard_token_revoke(pk_guard_db *g, const char *name, pk_error *err)
{
    sqlite3_stmt *st = NULL;
    char now[32];
    pk_audit_now(now);
    if (sqlite3_prepare_v2(g->db, "UPDATE tokens SET revoked = ?2 WHERE name = ?1 AND revoked IS NULL", -1, &st, NULL))
        return db_fail(g, err, "tokens");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    int e = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(g, err, "cannot revoke");
    sqlite3_finalize(st);
    if (!e && sqlite3_changes(g->db) == 0) e = pk_fail(err, PK_ENOTFOUND, "no live token named '%s'", name);
    return e;
}

int pk_guard_token_each(pk_guard_db *g,
                        int (*cb)(const char *name, const char *created, const char *revoked, void *ud), void *ud,
                        pk_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(g->db, "SELECT name, created, revoked FROM tokens ORDER BY id", -1, &st, NULL))
        return db_fail(g, err, "tokens");
    int e = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        e = cb((const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
               (const char *)sqlite3_column_text(st, 2), ud);
        if (e) break;
    }
    if (!e && rc != SQLITE_DONE) e = db_fail(g, err, "tokens");
    sqlite3_finalize(st);
    return e;
}

int pk_guard_token_hashes(pk_guard_db *g, int (*cb)(const char *sha_hex, const char *name, void *ud), void *ud,
                          pk_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(g->db, "SELECT sha256, name FROM tokens WHERE revoked IS NULL", -1, &st, NULL))
        return db_fail(g, err, "tokens");
    int e = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        e = cb((const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1), ud);
        if (e) break;
    }
    if (!e && rc != SQLITE_DONE) e = db_fail(g, err, "tokens");
    sqlite3_finalize(st);
    return e;
}

/* ---- the chain ----------------------------------------------------------------------- */

static void canon_str(crypto_hash_sha256_state *h, const char *s)
{
    if (!s) s = "";
    char len[24];
    int n = snprintf(len, sizeof len, "%zu:", strlen(s));
    crypto_hash_sha256_update(h, (const unsigned char *)len, (unsigned long long)n);
    crypto_hash_sha256_update(h, (const unsigned char *)s, strlen(s));
    crypto_hash_sha256_update(h, (const unsigned char *)",", 1);
}

static void canon_num(crypto_hash_sha256_state *h, long long v)
{
    char s[24];
    snprintf(s, sizeof s, "%lld", v);
    canon_str(h, s);
}

static void row_hash(const char prev[65], const pk_audit_row *r, int64_t seq, char out[65])
{
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, (const unsigned char *)prev, 64);
    canon_num(&h, (long long)seq);
    canon_str(&h, r->time);
    canon_str(&h, r->client);
    canon_str(&h, r->endpoint);
    canon_num(&h, (long long)r->req_bytes);
    canon_num(&h, r->status);
    canon_str(&h, r->works);
    canon_str(&h, r->passages);
    canon_str(&h, r->action);
    canon_num(&h, (long long)r->latency_us);
    canon_str(&h, r->note);
    canon_str(&h, r->prompt);
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&h, d);
    sodium_bin2hex(out, 65, d, sizeof d);
}

static const char ZERO_HASH[65] = "0000000000000000000000000000000000000000000000000000000000000000";

int pk_audit_append(pk_guard_db *g, const pk_audit_row *rows, size_t n, pk_error *err)
{
    sqlite3_stmt *hd = NULL, *ins = NULL, *up = NULL;
    int e = 0;
    if (sqlite3_exec(g->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return db_fail(g, err, "begin");
    if (sqlite3_prepare_v2(g->db, "SELECT seq, hash FROM head WHERE one = 1", -1, &hd, NULL) ||
        sqlite3_prepare_v2(g->db,
                           "INSERT INTO audit(seq, time, client, endpoint, req_bytes, status, works, passages, action,"
                           " latency_us, note, prompt, hash) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
                           -1, &ins, NULL) ||
        sqlite3_prepare_v2(g->db, "INSERT OR REPLACE INTO head(one, seq, hash) VALUES(1, ?1, ?2)", -1, &up, NULL)) {
        e = db_fail(g, err, "audit");
        goto done;
    }
    int64_t seq = 0;
    char prev[65];
    memcpy(prev, ZERO_HASH, 65);
    if (sqlite3_step(hd) == SQLITE_ROW) {
        seq = sqlite3_column_int64(hd, 0);
        const char *h = (const char *)sqlite3_column_text(hd, 1);
        if (h && strlen(h) == 64) memcpy(prev, h, 65);
    }
    for (size_t i = 0; i < n; i++) {
        const pk_audit_row *r = &rows[i];
        char h[65];
        seq++;
        row_hash(prev, r, seq, h);
        sqlite3_reset(ins);
        sqlite3_bind_int64(ins, 1, seq);
        sqlite3_bind_text(ins, 2, r->time, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, r->client ? r->client : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 4, r->endpoint ? r->endpoint : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 5, (sqlite3_int64)r->req_bytes);
        sqlite3_bind_int(ins, 6, r->status);
        sqlite3_bind_text(ins, 7, r->works ? r->works : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 8, r->passages ? r->passages : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 9, r->action ? r->action : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 10, (sqlite3_int64)r->latency_us);
        sqlite3_bind_text(ins, 11, r->note ? r->note : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 12, r->prompt ? r->prompt : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 13, h, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            e = db_fail(g, err, "cannot append to the audit log");
            goto done;
        }
        memcpy(prev, h, 65);
    }
    sqlite3_bind_int64(up, 1, seq);
    sqlite3_bind_text(up, 2, prev, -1, SQLITE_STATIC);
    if (sqlite3_step(up) != SQLITE_DONE) e = db_fail(g, err, "cannot update the audit head");
done:
    sqlite3_finalize(hd);
    sqlite3_finalize(ins);
    sqlite3_finalize(up);
    sqlite3_exec(g->db, e ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
    return e;
}

static void read_row(sqlite3_stmt *st, pk_audit_row *r)
{
    memset(r, 0, sizeof *r);
    r->seq = sqlite3_column_int64(st, 0);
    snprintf(r->time, sizeof r->time, "%s", (const char *)sqlite3_column_text(st, 1));
    r->client = (const char *)sqlite3_column_text(st, 2);
    r->endpoint = (const char *)sqlite3_column_text(st, 3);
    r->req_bytes = (uint64_t)sqlite3_column_int64(st, 4);
    r->status = sqlite3_column_int(st, 5);
    r->works = (const char *)sqlite3_column_text(st, 6);
    r->passages = (const char *)sqlite3_column_text(st, 7);
    r->action = (const char *)sqlite3_column_text(st, 8);
    r->latency_us = (uint64_t)sqlite3_column_int64(st, 9);
    r->note = (const char *)sqlite3_column_text(st, 10);
    r->prompt = (const char *)sqlite3_column_text(st, 11);
    r->hash = (const char *)sqlite3_column_text(st, 12);
}

#define ROW_COLS "seq, time, client, endpoint, req_bytes, status, works, passages, action, latency_us, note, prompt, hash"

int pk_audit_each(pk_guard_db *g, const char *since, int (*cb)(const pk_audit_row *row, void *ud), void *ud,
                  pk_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(g->db, "SELECT " ROW_COLS " FROM audit WHERE ?1 IS NULL OR time >= ?1 ORDER BY seq", -1,
                           &st, NULL))
        return db_fail(g, err, "audit");
    if (since) sqlite3_bind_text(st, 1, since, -1, SQLITE_STATIC);
    int e = 0, rc;
    pk_audit_row r;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        read_row(st, &r);
        if ((e = cb(&r, ud))) break;
    }
    if (!e && rc != SQLITE_DONE) e = db_fail(g, err, "audit");
    sqlite3_finalize(st);
    return e;
}

int pk_audit_verify(pk_guard_db *g, int64_t *bad, char why[256], uint64_t *n, pk_error *err)
{
    return pk_audit_verify_anchor(g, NULL, bad, why, n, NULL, err);
}

int pk_audit_verify_anchor(pk_guard_db *g, const char *anchor, int64_t *bad, char why[256], uint64_t *n,
                           char head[65], pk_error *err)
{
    *bad = 0;
    *n = 0;
    why[0] = 0;
    if (head) head[0] = 0;
    int found = 0;
    sqlite3_stmt *st = NULL, *hd = NULL;
    int e = 0, rc;
    if (sqlite3_prepare_v2(g->db, "SELECT " ROW_COLS " FROM audit ORDER BY seq", -1, &st, NULL) ||
        sqlite3_prepare_v2(g->db, "SELECT seq, hash FROM head WHERE one = 1", -1, &hd, NULL)) {
        e = db_fail(g, err, "audit");
        goto done;
    }
    sqlite3_exec(g->db, "BEGIN", NULL, NULL, NULL); /* one snapshot for both reads */
    char prev[65];
    memcpy(prev, ZERO_HASH, 65);
    int64_t expect = 1;
    pk_audit_row r;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        read_row(st, &r);
        if (r.seq != expect) {
            *bad = expect;
            snprintf(why, 256, "entry %lld is missing (the next entry is %lld)", (long long)expect, (long long)r.seq);
            goto end;
        }
        char h[65];
        row_hash(prev, &r, r.seq, h);
        if (!r.hash || strcmp(h, r.hash) != 0) {
            *bad = r.seq;
            snprintf(why, 256, "entry %lld does not match its hash (altered, or an entry before it was)",
                     (long long)r.seq);
            goto end;
        }
        memcpy(prev, h, 65);
        if (anchor && strcasecmp(anchor, h) == 0) found = 1;
        (*n)++;
        expect++;
    }
    if (rc != SQLITE_DONE) {
        e = db_fail(g, err, "audit");
        goto end;
    }
    if (sqlite3_step(hd) == SQLITE_ROW) {
        int64_t hseq = sqlite3_column_int64(hd, 0);
        const char *hh = (const char *)sqlite3_column_text(hd, 1);
        if (hseq != expect - 1 || !hh || strcmp(hh, prev) != 0) {
            *bad = expect;
            snprintf(why, 256, "the log ends at entry %lld but its head says %lld: entries at the end were removed",
                     (long long)(expect - 1), (long long)hseq);
        }
    } else if (expect > 1) {
        *bad = 1;
        snprintf(why, 256, "the head of the chain is missing");
    }
    if (!*bad && anchor && !found) {
        /* The chain and its head agree, but the hash kept elsewhere is not
         * in it: the end was cut and the head rewritten to match. */
        *bad = expect;
        snprintf(why, 256,
                 "the anchored hash %.16s... is not in the chain (%lld entries): entries were removed or rewritten",
                 anchor, (long long)(expect - 1));
    }
    if (head && expect > 1) memcpy(head, prev, 65);
end:
    sqlite3_exec(g->db, "COMMIT", NULL, NULL, NULL);
done:
    sqlite3_finalize(st);
    sqlite3_finalize(hd);
    return e;
}

/* ---- the writer thread ------------------------------------------------------------------- */

#define QMAX 65536 /* rows queued before a request waits for the writer */

typedef struct qrow {
    pk_audit_row row;
    struct qrow *next;
    char *s[7];
} qrow;

struct pk_audit_writer {
    pk_guard_db *g;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv, room;
    qrow *head, *tail;
    size_t n;
    int stop;
    uint64_t lost;   /* rows given up when stopping (only then) */
    pk_error lost_e; /* why */
};

static int writer_stopping(pk_audit_writer *w)
{
    pthread_mutex_lock(&w->mu);
    int s = w->stop;
    pthread_mutex_unlock(&w->mu);
    return s;
}

/* Append rows [0, n) until it works: backoff from 10 ms to 1 s; once the
 * writer is stopping, at most 5 s more, then the rows count as lost. */
static void append_until_done(pk_audit_writer *w, const pk_audit_row *rows, size_t n)
{
    pk_error e;
    unsigned ms = 10, given = 0;
    while (pk_audit_append(w->g, rows, n, &e) != 0) {
        if (writer_stopping(w) && (given += ms) > 5000) {
            w->lost += n;
            w->lost_e = e;
            return;
        }
        struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        ms = ms < 1000 ? ms * 2 : 1000;
    }
}

static void *writer_main(void *arg)
{
    pk_audit_writer *w = arg;
    pk_audit_row *batch = NULL;
    size_t bcap = 0;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (!w->head && !w->stop) pthread_cond_wait(&w->cv, &w->mu);
        qrow *q = w->head;
        size_t n = w->n;
        w->head = w->tail = NULL;
        w->n = 0;
        int stop = w->stop;
        pthread_cond_broadcast(&w->room);
        pthread_mutex_unlock(&w->mu);
        if (!q && stop) break;
        if (n > bcap) {
            pk_audit_row *nb = realloc(batch, n * sizeof *nb);
            if (nb) {
                batch = nb;
                bcap = n;
            }
        }
        /* Every row is appended: in batches of bcap (one row at a time
         * when even a small batch could not be allocated). */
        pk_audit_row one;
        pk_audit_row *buf = bcap ? batch : &one;
        const size_t cap = bcap ? bcap : 1;
        for (qrow *x = q; x;) {
            size_t k = 0;
            for (; x && k < cap; x = x->next) buf[k++] = x->row;
            append_until_done(w, buf, k);
        }
        while (q) {
            qrow *nx = q->next;
            for (int i = 0; i < 7; i++) free(q->s[i]);
            free(q);
            q = nx;
        }
    }
    free(batch);
    return NULL;
}

int pk_audit_writer_start(pk_audit_writer **out, pk_guard_db *g, pk_error *err)
{
    *out = NULL;
    pk_audit_writer *w = calloc(1, sizeof *w);
    if (!w) return pk_fail(err, PK_ENOMEM, "out of memory");
    w->g = g;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    pthread_cond_init(&w->room, NULL);
    if (pthread_create(&w->th, NULL, writer_main, w) != 0) {
        free(w);
        return pk_fail(err, PK_EINTERNAL, "cannot start the audit writer");
    }
    *out = w;
    return 0;
}

static char *dup0(const char *s) { return strdup(s ? s : ""); }

void pk_audit_writer_push(pk_audit_writer *w, const pk_audit_row *row)
{
    qrow *q = calloc(1, sizeof *q);
    if (!q) return;
    q->row = *row;
    const char *src[7] = {row->client, row->endpoint, row->works, row->passages, row->action, row->note, row->prompt};
    for (int i = 0; i < 7; i++) {
        if (!(q->s[i] = dup0(src[i]))) {
            for (int j = 0; j < i; j++) free(q->s[j]);
            free(q);
            return;
        }
    }
    q->row.client = q->s[0];
    q->row.endpoint = q->s[1];
    q->row.works = q->s[2];
    q->row.passages = q->s[3];
    q->row.action = q->s[4];
    q->row.note = q->s[5];
    q->row.prompt = q->s[6];
    pthread_mutex_lock(&w->mu);
    while (w->n >= QMAX && !w->stop) pthread_cond_wait(&w->room, &w->mu);
    if (w->tail) w->tail->next = q;
    else w->head = q;
    w->tail = q;
    w->n++;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

uint64_t pk_audit_writer_stop(pk_audit_writer *w, pk_error *err)
{
    if (!w) return 0;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->th, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    pthread_cond_destroy(&w->room);
    uint64_t lost = w->lost;
    if (lost && err) *err = w->lost_e;
    free(w);
    return lost;
}
