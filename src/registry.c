/* registry.c -- the registry of works, in SQLite.
 *
 * One database file (WAL mode, so scans read while a register writes).
 * Tables:
 *   meta(key, value)        schema version, fingerprint parameters and a
 *                           generation counter bumped by every change;
 *   works(...)              one row per work: id, metadata, SHA-256 of the
 *                           registered bytes, counts, the alignment sketch
 *                           (16 bits per k-gram, little endian), the line
 *                           map ((token, line) u32 pairs where the line
 *                           changes), the winnowed fingerprints ((hash
 *                           u64, k-gram position u32) pairs, 12 bytes
 *                           each, in position order) and, only with
 *                           keep_text, the text.
 * Fingerprints are one blob per work, not a row each (schema 1 had a
 * table): the index compiler reads them whole, a work's row is written in
 * one insert, and the 100,000-work registry (260 M fingerprints) is about
 * 3 GB smaller and registers about twice as fast.  A schema-1 registry is
 * upgraded in place, in one transaction, the first time it is opened for
 * writing.
 * Every change is one IMMEDIATE transaction, so two processes registering
 * at once serialize on SQLite's lock (busy timeout 60 s) and nothing is
 * half-written.  The same bytes registered twice are recognized by their
 * SHA-256 and stored once. */
#include "pk.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SCHEMA_VERSION "2"

struct pk_registry {
    sqlite3 *db;
    char *path;
    pk_params params;
};

static const char *schema_sql =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS works("
    "  rowid INTEGER PRIMARY KEY AUTOINCREMENT," /* never reused: the index tells new works by rowid */
    "  id TEXT NOT NULL UNIQUE,"
    "  title TEXT, author TEXT, source TEXT,"
    "  sha256 TEXT NOT NULL UNIQUE,"
    "  bytes INTEGER NOT NULL, tokens INTEGER NOT NULL, fingerprints INTEGER NOT NULL,"
    "  added TEXT NOT NULL,"
    "  sketch BLOB NOT NULL, lines BLOB NOT NULL, text BLOB,"
    "  fps BLOB NOT NULL DEFAULT x'', format TEXT NOT NULL DEFAULT 'text',"
    "  pages BLOB NOT NULL DEFAULT x'', scenes BLOB NOT NULL DEFAULT x'');";

void pk_params_default(pk_params *p)
{
    p->k = 8;
    p->w = 18;
    p->scheme = PK_SCHEME;
}

int pk_params_check(const pk_params *p, pk_error *err)
{
    if (p->k < 1 || p->k > 32) return pk_fail(err, PK_EINVAL, "k must be between 1 and 32 (got %u)", p->k);
    if (p->w < 1 || p->w > 1024) return pk_fail(err, PK_EINVAL, "w must be between 1 and 1024 (got %u)", p->w);
    if (p->scheme != PK_SCHEME) return pk_fail(err, PK_EPARAMS, "unknown fingerprint scheme %u", p->scheme);
    return 0;
}

static int db_fail(pk_registry *r, pk_error *err, const char *what)
{
    return pk_fail(err, PK_EDB, "%s: %s: %s", r->path, what, sqlite3_errmsg(r->db));
}

/* COMMIT, and if it fails, roll back: a failed COMMIT can leave the
 * transaction open, and every later BEGIN on this connection would fail. */
static int commit(pk_registry *r, pk_error *err);

static int exec(pk_registry *r, const char *sql, pk_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(r->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = pk_fail(err, PK_EDB, "%s: %s", r->path, msg ? msg : sqlite3_errmsg(r->db));
        sqlite3_free(msg);
        return rc;
    }
    return 0;
}

static int commit(pk_registry *r, pk_error *err)
{
    int rc = exec(r, "COMMIT", err);
    if (rc && !sqlite3_get_autocommit(r->db)) sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Read meta key into buf; returns 1 if found, 0 if not, <0 on error. */
static int meta_get(pk_registry *r, const char *key, char *buf, size_t cap, pk_error *err)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(r->db, "SELECT value FROM meta WHERE key=?", -1, &st, NULL) != SQLITE_OK)
        return db_fail(r, err, "reading meta");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        snprintf(buf, cap, "%s", (const char *)sqlite3_column_text(st, 0));
        found = 1;
    } else if (s != SQLITE_DONE) {
        found = db_fail(r, err, "reading meta");
    }
    sqlite3_finalize(st);
    return found;
}

static int meta_set(pk_registry *r, const char *key, const char *val, pk_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, "INSERT OR REPLACE INTO meta(key,value) VALUES(?,?)", -1, &st, NULL) != SQLITE_OK)
        return db_fail(r, err, "writing meta");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, val, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(r, err, "writing meta");
    sqlite3_finalize(st);
    return rc;
}

/* Every change bumps the generation and draws a new random state: a
 * registry restored from a backup and then changed reaches generations it
 * had before with other works, and the state tells an index file made in
 * the other history (index.c) from one of this. */
static int bump_generation(pk_registry *r, pk_error *err)
{
    unsigned char st[16];
    char hex[33];
    randombytes_buf(st, sizeof st);
    sodium_bin2hex(hex, sizeof hex, st, sizeof st);
    int rc = exec(r, "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='generation'", err);
    if (!rc) rc = meta_set(r, "state", hex, err);
    /* and every state the registry went through, by generation (a row a
     * change), so that an index compiled at an older generation can be
     * checked to be of this history (pk_registry_state_at) */
    if (!rc) rc = exec(r, "CREATE TABLE IF NOT EXISTS states(generation INTEGER PRIMARY KEY, state TEXT NOT NULL)", err);
    if (!rc) {
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(r->db,
                               "INSERT OR REPLACE INTO states(generation, state)"
                               " SELECT CAST(value AS INTEGER), ? FROM meta WHERE key='generation'",
                               -1, &q, NULL) != SQLITE_OK)
            return db_fail(r, err, "writing states");
        sqlite3_bind_text(q, 1, hex, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(q) == SQLITE_DONE ? 0 : db_fail(r, err, "writing states");
        sqlite3_finalize(q);
    }
    return rc;
}

void pk_registry_close(pk_registry *r)
{
    if (!r) return;
    sqlite3_close(r->db);
    free(r->path);
    free(r);
}

static int load_params(pk_registry *r, pk_error *err)
{
    char v[64];
    const char *keys[3] = {"k", "w", "scheme"};
    uint32_t *dst[3] = {&r->params.k, &r->params.w, &r->params.scheme};
    for (int i = 0; i < 3; i++) {
        int f = meta_get(r, keys[i], v, sizeof v, err);
        if (f < 0) return f;
        if (!f) return pk_fail(err, PK_ECORRUPT, "%s: not a picket registry (no '%s' in meta)", r->path, keys[i]);
        *dst[i] = (uint32_t)strtoul(v, NULL, 10);
    }
    if (r->params.scheme != PK_SCHEME)
        return pk_fail(err, PK_EPARAMS,
                       "%s: registry made with fingerprint scheme %u, this picket uses %u: register the works "
                       "again into a new registry",
                       r->path, r->params.scheme, PK_SCHEME);
    return pk_params_check(&r->params, err);
}

static void put32(uint8_t *p, uint32_t v);
static void put64(uint8_t *p, uint64_t v);

/* exec, trying again for up to the busy timeout while the database is
 * locked.  Two processes creating the same registry at once: switching a
 * new file to WAL can fail with SQLITE_BUSY without SQLite's busy handler
 * being called (measured: 3 of 40 concurrent first registrations failed
 * with "database is locked"). */
static int exec_retry(pk_registry *r, const char *sql, pk_error *err)
{
    for (int tries = 0;; tries++) {
        int x = sqlite3_exec(r->db, sql, NULL, NULL, NULL);
        if (x == SQLITE_OK) return 0;
        if ((x & 0xff) != SQLITE_BUSY || tries >= 6000) return exec(r, sql, err);
        sqlite3_sleep(10);
    }
}

/* Schema 1 kept fingerprints in a table, a row each: pack them into each
 * work's fps blob and drop the table.  Runs inside the caller's
 * transaction, so an interrupted upgrade leaves schema 1 as it was. */
static int upgrade_from_1(pk_registry *r, pk_error *err)
{
    int rc = 0;
    sqlite3_stmt *rd = NULL, *up = NULL;
    pk_buf b;
    pk_buf_init(&b, 0);
    if ((rc = exec(r,
                   "ALTER TABLE works ADD COLUMN fps BLOB NOT NULL DEFAULT x'';"
                   "ALTER TABLE works ADD COLUMN format TEXT NOT NULL DEFAULT 'text';"
                   "ALTER TABLE works ADD COLUMN pages BLOB NOT NULL DEFAULT x'';"
                   "ALTER TABLE works ADD COLUMN scenes BLOB NOT NULL DEFAULT x''",
                   err)))
        goto done;
    if (sqlite3_prepare_v2(r->db, "SELECT work,hash,pos FROM fingerprints ORDER BY work,pos", -1, &rd, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(r->db, "UPDATE works SET fps=?2 WHERE rowid=?1", -1, &up, NULL) != SQLITE_OK) {
        rc = db_fail(r, err, "upgrading registry");
        goto done;
    }
    sqlite3_int64 cur = -1;
    for (;;) {
        int s = sqlite3_step(rd);
        if (s != SQLITE_ROW && s != SQLITE_DONE) { rc = db_fail(r, err, "upgrading registry"); goto done; }
        sqlite3_int64 w = s == SQLITE_ROW ? sqlite3_column_int64(rd, 0) : -1;
        if (w != cur && cur >= 0) {
            sqlite3_bind_int64(up, 1, cur);
            sqlite3_bind_blob64(up, 2, b.data ? b.data : "", b.len, SQLITE_STATIC);
            if (sqlite3_step(up) != SQLITE_DONE) { rc = db_fail(r, err, "upgrading registry"); goto done; }
            sqlite3_reset(up);
            pk_buf_reset(&b);
        }
        if (s == SQLITE_DONE) break;
        cur = w;
        uint8_t e[12];
        put64(e, (uint64_t)sqlite3_column_int64(rd, 1));
        put32(e + 8, (uint32_t)sqlite3_column_int64(rd, 2));
        if (pk_buf_append(&b, e, 12)) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
    }
    sqlite3_finalize(rd);
    rd = NULL;
    if ((rc = exec(r, "DROP TABLE fingerprints", err)) || (rc = meta_set(r, "schema", SCHEMA_VERSION, err)) ||
        (rc = bump_generation(r, err)))
        goto done;
done:
    sqlite3_finalize(rd);
    sqlite3_finalize(up);
    pk_buf_free(&b);
    return rc;
}

int pk_registry_open(pk_registry **out, const char *path, unsigned flags,
                     const pk_params *params, pk_error *err)
{
    int rc = 0;
    *out = NULL;
    if (sodium_init() < 0) return pk_fail(err, PK_EINTERNAL, "libsodium failed to initialize");
    pk_registry *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) { free(r); return pk_fail(err, PK_ENOMEM, "out of memory"); }
    int oflags = (flags & PK_REG_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (flags & PK_REG_CREATE) oflags |= SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &r->db, oflags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        rc = r->db ? pk_fail(err, PK_EDB, "%s: cannot open registry: %s", path, sqlite3_errmsg(r->db))
                   : pk_fail(err, PK_ENOMEM, "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(r->db, 60000);
    sqlite3_extended_result_codes(r->db, 1);

    if (!(flags & PK_REG_READONLY)) {
        if ((rc = exec_retry(r, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", err))) goto fail;
        /* Create the schema and the meta rows once, atomically: two
         * processes creating the same registry agree on its parameters. */
        if ((rc = exec_retry(r, "BEGIN IMMEDIATE", err))) goto fail;
        if ((rc = exec(r, schema_sql, err))) goto rollback;
        char v[64];
        int f = meta_get(r, "schema", v, sizeof v, err);
        if (f < 0) { rc = f; goto rollback; }
        if (!f) {
            pk_params p;
            if (params) p = *params; else pk_params_default(&p);
            if ((rc = pk_params_check(&p, err))) goto rollback;
            char k[16], w[16], s[16];
            snprintf(k, sizeof k, "%u", p.k);
            snprintf(w, sizeof w, "%u", p.w);
            snprintf(s, sizeof s, "%u", p.scheme);
            if ((rc = meta_set(r, "schema", SCHEMA_VERSION, err)) || (rc = meta_set(r, "k", k, err)) ||
                (rc = meta_set(r, "w", w, err)) || (rc = meta_set(r, "scheme", s, err)) ||
                (rc = meta_set(r, "generation", "1", err)))
                goto rollback;
            /* A random identity, so an index built for another registry at
             * the same path (deleted and made again) is never taken for
             * this one's. */
            unsigned char id[16];
            char hex[33];
            randombytes_buf(id, sizeof id);
            for (int i = 0; i < 16; i++) snprintf(hex + 2 * i, 3, "%02x", id[i]);
            if ((rc = meta_set(r, "uuid", hex, err)))
                goto rollback;
        } else if (strcmp(v, "1") == 0) {
            if ((rc = upgrade_from_1(r, err))) goto rollback;
        } else if (strcmp(v, SCHEMA_VERSION) != 0) {
            rc = pk_fail(err, PK_ECORRUPT, "%s: registry schema %s, this picket reads %s", path, v, SCHEMA_VERSION);
            goto rollback;
        }
        if ((rc = commit(r, err))) goto fail;
    } else {
        char v[64];
        int f = meta_get(r, "schema", v, sizeof v, err);
        if (f < 0) { rc = f; goto fail; }
        if (!f) { rc = pk_fail(err, PK_ECORRUPT, "%s: not a picket registry", path); goto fail; }
        if (strcmp(v, "1") == 0) {
            rc = pk_fail(err, PK_EPARAMS, "%s: registry from an older picket (schema 1): run 'picket compile --db %s' once to upgrade it",
                         path, path);
            goto fail;
        }
        if (strcmp(v, SCHEMA_VERSION) != 0) {
            rc = pk_fail(err, PK_ECORRUPT, "%s: registry schema %s, this picket reads %s", path, v, SCHEMA_VERSION);
            goto fail;
        }
    }
    if ((rc = load_params(r, err))) goto fail;
    if (params && (params->k != r->params.k || params->w != r->params.w || params->scheme != r->params.scheme)) {
        rc = pk_fail(err, PK_EPARAMS,
                     "%s: registry was built with k=%u w=%u scheme=%u, not k=%u w=%u scheme=%u", path,
                     r->params.k, r->params.w, r->params.scheme, params->k, params->w, params->scheme);
        goto fail;
    }
    *out = r;
    return 0;
rollback:
    sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
fail:
    pk_registry_close(r);
    return rc;
}

void pk_registry_get_params(const pk_registry *r, pk_params *out) { *out = r->params; }

int pk_registry_generation(pk_registry *r, int64_t *gen, pk_error *err)
{
    char v[64];
    int f = meta_get(r, "generation", v, sizeof v, err);
    if (f < 0) return f;
    if (!f) return pk_fail(err, PK_ECORRUPT, "%s: no generation in meta", r->path);
    *gen = strtoll(v, NULL, 10);
    return 0;
}

int pk_registry_state(pk_registry *r, char out[33], pk_error *err)
{
    memset(out, 0, 33);
    int f = meta_get(r, "state", out, 33, err); /* none before the first change (or an older picket) */
    return f < 0 ? f : 0;
}

int pk_registry_state_at(pk_registry *r, int64_t gen, char out[33], pk_error *err)
{
    memset(out, 0, 33);
    sqlite3_stmt *q = NULL;
    /* no such table: a registry not changed since states were kept */
    if (sqlite3_prepare_v2(r->db, "SELECT state FROM states WHERE generation=?", -1, &q, NULL) != SQLITE_OK) return 0;
    sqlite3_bind_int64(q, 1, gen);
    int s = sqlite3_step(q), f = 0;
    if (s == SQLITE_ROW) {
        snprintf(out, 33, "%s", (const char *)sqlite3_column_text(q, 0));
        f = 1;
    } else if (s != SQLITE_DONE) {
        f = db_fail(r, err, "reading states");
    }
    sqlite3_finalize(q);
    return f;
}

int pk_registry_uuid(pk_registry *r, char out[33], pk_error *err)
{
    int f = meta_get(r, "uuid", out, 33, err);
    if (f < 0) return f;
    if (!f) out[0] = 0;
    return 0;
}

sqlite3 *pk_registry_db(pk_registry *r) { return r->db; }
const char *pk_registry_path(const pk_registry *r) { return r->path; }

/* A work id from a file name: its last component without the extension,
 * with anything but [A-Za-z0-9._-] replaced by '-'. */
static void id_from_source(const char *source, char *out, size_t cap)
{
    const char *b = source ? strrchr(source, '/') : NULL;
    b = b ? b + 1 : (source ? source : "");
    size_t n = strlen(b);
    const char *dot = strrchr(b, '.');
    if (dot && dot != b) n = (size_t)(dot - b);
    if (n == 0 || strcmp(b, "-") == 0) { snprintf(out, cap, "stdin"); return; }
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < cap; i++) {
        char c = b[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                 c == '_' || c == '-';
        out[j++] = ok ? c : '-';
    }
    out[j] = 0;
}

static int id_taken(pk_registry *r, const char *id, int *taken, pk_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, "SELECT 1 FROM works WHERE id=?", -1, &st, NULL) != SQLITE_OK)
        return db_fail(r, err, "looking up id");
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    sqlite3_finalize(st);
    if (s != SQLITE_ROW && s != SQLITE_DONE) return db_fail(r, err, "looking up id");
    *taken = s == SQLITE_ROW;
    return 0;
}

void pk_work_fp_free(pk_work_fp *w)
{
    if (!w) return;
    free(w->tok);
    free(w->kg);
    free(w->fp);
    free(w->sketch);
    free(w->lines);
    memset(w, 0, sizeof *w);
}

int pk_fingerprint_text(const char *text, size_t n, unsigned tok_flags, const pk_params *p,
                        pk_work_fp *w, pk_error *err)
{
    memset(w, 0, sizeof *w);
    pk_buf conv;
    pk_buf_init(&conv, 0);
    const char *shown;
    size_t cap = 0;
    int rc = pk_tokenize_all(text, n, tok_flags, &conv, &shown, &w->tok, &cap, &w->ntok, err);
    if (rc) goto done;
    w->nkg = w->ntok >= p->k ? w->ntok - p->k + 1 : 0;
    size_t m = w->nkg ? w->nkg : 1;
    w->kg = malloc(m * sizeof *w->kg);
    w->fp = malloc(m * sizeof *w->fp);
    w->sketch = malloc(m * sizeof *w->sketch);
    w->lines = malloc(2 * sizeof *w->lines * (w->ntok ? w->ntok : 1));
    if (!w->kg || !w->fp || !w->sketch || !w->lines) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
    pk_kgrams(w->tok, w->ntok, p->k, w->kg);
    w->nfp = pk_winnow(w->kg, w->nkg, p->w, w->fp);
    for (size_t i = 0; i < w->nkg; i++) w->sketch[i] = pk_sketch16(w->kg[i]);
    uint32_t last = 0;
    for (size_t i = 0; i < w->ntok; i++) {
        if (w->tok[i].line != last) {
            w->lines[2 * w->nlines] = (uint32_t)i;
            w->lines[2 * w->nlines + 1] = w->tok[i].line;
            w->nlines++;
            last = w->tok[i].line;
        }
    }
done:
    pk_buf_free(&conv);
    if (rc) pk_work_fp_free(w);
    return rc;
}

static void now_utc(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Little-endian serialization, so registries move between machines. */
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }

int pk_registry_add(pk_registry *r, const char *text, size_t n, const pk_register_opts *o,
                    pk_register_result *res, pk_error *err)
{
    /* Plain text: rendered as itself, line i is line i. */
    pk_doc d;
    pk_doc_init(&d);
    d.format = PK_WORK_TEXT;
    d.text.data = (char *)(uintptr_t)text; /* read only, never freed or grown here */
    d.text.len = n;
    return pk_registry_add_doc(r, &d, text, n, o, res, err);
}

/* A map from token to place: (token, value) u32 pairs, little-endian,
 * where the value changes.  value(t) is the place of token t; it yields 0
 * when the place is unknown, and those stretches are stored too. */
static int place_map(const pk_work_fp *w, const pk_doc *d, int kind, pk_buf *out)
{
    uint32_t last = UINT32_MAX;
    for (size_t i = 0; i < w->ntok; i++) {
        uint32_t l = w->tok[i].line, v;
        if (!d->line) v = kind == 0 ? l : 0; /* plain text */
        else if (l == 0 || l > d->nlines) v = 0;
        else v = kind == 0 ? d->line[l - 1] : kind == 1 ? d->page[l - 1] : d->scene[l - 1];
        if (v == last) continue;
        if ((kind != 0 || d->line) && i == 0 && v == 0) { last = 0; continue; } /* 0 before anything: implied */
        uint8_t e[8];
        put32(e, (uint32_t)i);
        put32(e + 4, v);
        if (pk_buf_append(out, e, 8)) return PK_ENOMEM;
        last = v;
    }
    return 0;
}

int pk_registry_add_doc(pk_registry *r, const pk_doc *d, const char *raw, size_t rawn, const pk_register_opts *o,
                        pk_register_result *res, pk_error *err)
{
    int rc = 0;
    pk_work_fp w;
    uint8_t *sk = NULL, *fb = NULL;
    pk_buf lnb, pgb, scb;
    pk_buf_init(&lnb, 0);
    pk_buf_init(&pgb, 0);
    pk_buf_init(&scb, 0);
    sqlite3_stmt *st = NULL;
    int in_tx = 0;
    memset(res, 0, sizeof *res);
    pk_sha256_hex(raw, rawn, res->sha256);
    const char *text = d->text.data ? d->text.data : "";
    const size_t n = d->text.len;

    if ((rc = pk_fingerprint_text(text, n, o->tok_flags, &r->params, &w, err))) return rc;
    res->tokens = w.ntok;
    res->fingerprints = w.nfp;
    sk = malloc(w.nkg * 2 + 1);
    fb = malloc(w.nfp * 12 + 1);
    if (!sk || !fb || place_map(&w, d, 0, &lnb) || place_map(&w, d, 1, &pgb) || place_map(&w, d, 2, &scb)) {
        rc = pk_fail(err, PK_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < w.nkg; i++) put16(sk + 2 * i, w.sketch[i]);
    for (size_t i = 0; i < w.nfp; i++) {
        put64(fb + 12 * i, w.fp[i].h);
        put32(fb + 12 * i + 8, w.fp[i].pos);
    }

    if ((rc = exec(r, "BEGIN IMMEDIATE", err))) goto done;
    in_tx = 1;
    /* Same bytes already registered? */
    if (sqlite3_prepare_v2(r->db, "SELECT id FROM works WHERE sha256=?", -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(r, err, "looking up content");
        goto done;
    }
    sqlite3_bind_text(st, 1, res->sha256, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        snprintf(res->id, sizeof res->id, "%s", (const char *)sqlite3_column_text(st, 0));
        res->existed = 1;
        sqlite3_finalize(st);
        st = NULL;
        rc = commit(r, err);
        in_tx = 0;
        goto done;
    }
    if (s != SQLITE_DONE) { rc = db_fail(r, err, "looking up content"); goto done; }
    sqlite3_finalize(st);
    st = NULL;

    int taken = 0;
    if (o->id) {
        if (!o->id[0] || strlen(o->id) >= sizeof res->id) { rc = pk_fail(err, PK_EINVAL, "work id must be 1 to 255 bytes"); goto done; }
        snprintf(res->id, sizeof res->id, "%s", o->id);
        if ((rc = id_taken(r, res->id, &taken, err))) goto done;
        if (taken) { rc = pk_fail(err, PK_EEXIST, "work id '%s' is already registered with other content", res->id); goto done; }
    } else {
        id_from_source(o->source, res->id, sizeof res->id - 16);
        if ((rc = id_taken(r, res->id, &taken, err))) goto done;
        if (taken) {
            size_t l = strlen(res->id);
            snprintf(res->id + l, sizeof res->id - l, "-%.8s", res->sha256);
        }
    }

    char added[32];
    now_utc(added);
    const char *base = o->source ? strrchr(o->source, '/') : NULL;
    base = base ? base + 1 : o->source;
    const char *title = o->title ? o->title
                        : d->title[0]   ? d->title
                        : (base && *base && strcmp(base, "-") ? base : res->id);
    const char *author = o->author ? o->author : d->author[0] ? d->author : NULL;
    if (sqlite3_prepare_v2(r->db,
                           "INSERT INTO works(id,title,author,source,sha256,bytes,tokens,fingerprints,added,sketch,lines,text,fps,"
                           "format,pages,scenes) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(r, err, "adding work");
        goto done;
    }
    sqlite3_bind_text(st, 1, res->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, title, -1, SQLITE_STATIC);
    if (author) sqlite3_bind_text(st, 3, author, -1, SQLITE_STATIC); else sqlite3_bind_null(st, 3);
    if (o->source) sqlite3_bind_text(st, 4, o->source, -1, SQLITE_STATIC); else sqlite3_bind_null(st, 4);
    sqlite3_bind_text(st, 5, res->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)rawn);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)w.ntok);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)w.nfp);
    sqlite3_bind_text(st, 9, added, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 10, sk, w.nkg * 2, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 11, lnb.data ? lnb.data : "", lnb.len, SQLITE_STATIC);
    if (o->keep_text) sqlite3_bind_blob64(st, 12, raw, rawn, SQLITE_STATIC); else sqlite3_bind_null(st, 12);
    sqlite3_bind_blob64(st, 13, fb, w.nfp * 12, SQLITE_STATIC);
    sqlite3_bind_text(st, 14, pk_work_format_name(d->format ? d->format : PK_WORK_TEXT), -1, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 15, pgb.data ? pgb.data : "", pgb.len, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 16, scb.data ? scb.data : "", scb.len, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) { rc = db_fail(r, err, "adding work"); goto done; }
    sqlite3_finalize(st);
    st = NULL;

    if ((rc = bump_generation(r, err))) goto done;
    rc = commit(r, err);
    in_tx = 0;
done:
    sqlite3_finalize(st);
    if (in_tx) sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
    free(sk);
    free(fb);
    pk_buf_free(&lnb);
    pk_buf_free(&pgb);
    pk_buf_free(&scb);
    pk_work_fp_free(&w);
    return rc;
}

int pk_registry_remove(pk_registry *r, const char *id, pk_error *err)
{
    int rc;
    sqlite3_stmt *st = NULL;
    if ((rc = exec(r, "BEGIN IMMEDIATE", err))) return rc;
    if (sqlite3_prepare_v2(r->db, "SELECT rowid FROM works WHERE id=?", -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(r, err, "removing work");
        goto fail;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    if (s == SQLITE_DONE) { rc = pk_fail(err, PK_ENOTFOUND, "no work with id '%s'", id); goto fail; }
    if (s != SQLITE_ROW) { rc = db_fail(r, err, "removing work"); goto fail; }
    sqlite3_int64 rowid = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(r->db, "DELETE FROM works WHERE rowid=?", -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(r, err, "removing work");
        goto fail;
    }
    sqlite3_bind_int64(st, 1, rowid);
    if (sqlite3_step(st) != SQLITE_DONE) { rc = db_fail(r, err, "removing work"); goto fail; }
    sqlite3_finalize(st);
    st = NULL;
    if ((rc = bump_generation(r, err))) goto fail;
    return commit(r, err);
fail:
    sqlite3_finalize(st);
    sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : NULL;
}

int pk_registry_each(pk_registry *r, int (*cb)(const pk_work_info *w, void *ud), void *ud,
                     pk_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(r->db,
                           "SELECT rowid,id,title,author,source,sha256,added,bytes,tokens,fingerprints,format"
                           " FROM works ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(r, err, "listing works");
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        pk_work_info w;
        w.rowid = sqlite3_column_int64(st, 0);
        w.id = col(st, 1);
        w.title = col(st, 2);
        w.author = col(st, 3);
        w.source = col(st, 4);
        w.sha256 = col(st, 5);
        w.added = col(st, 6);
        w.bytes = (uint64_t)sqlite3_column_int64(st, 7);
        w.tokens = (uint64_t)sqlite3_column_int64(st, 8);
        w.fingerprints = (uint64_t)sqlite3_column_int64(st, 9);
        w.format = col(st, 10);
        if (!w.format) w.format = "text";
        if ((rc = cb(&w, ud)) != 0) break;
    }
    if (rc == 0 && s != SQLITE_DONE) rc = db_fail(r, err, "listing works");
    sqlite3_finalize(st);
    return rc;
}
