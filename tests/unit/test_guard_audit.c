/* test_guard_audit.c -- the guard database (src/guard/audit.c): tokens are
 * stored as their SHA-256 only and revoked by name; the audit log chains
 * its rows so that an altered row, a deleted row and a deleted last row
 * are each named by pk_audit_verify; rows queued through the writer thread
 * all arrive, in order, in one chain. */
#include "guard/guard.h"
#include "test.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[] = "/tmp/pk-guard-audit.XXXXXX";

static void path_of(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", dir, name); }

static pk_guard_db *open_db(const char *name)
{
    char p[256];
    path_of(p, sizeof p, name);
    pk_guard_db *g = NULL;
    pk_error e;
    CHECK_EQ_I(pk_guard_db_open(&g, p, 0, &e), 0);
    return g;
}

static int collect(const char *sha, const char *name, void *ud)
{
    pk_buf *b = ud;
    return pk_buf_printf(b, "%s=%s;", name, sha);
}

static void test_tokens(void)
{
    pk_guard_db *g = open_db("tokens.db");
    if (!g) return;
    char tok[64];
    pk_error e;
    CHECK_EQ_I(pk_guard_token_add(g, "alice", tok, &e), 0);
    CHECK_EQ_U(strlen(tok), 47); /* "pkg_" + 43 characters of base64url */
    CHECK(strncmp(tok, "pkg_", 4) == 0);
    CHECK_EQ_I(pk_guard_token_add(g, "alice", tok + 0, &e), PK_EEXIST);
    char sha[65];
    pk_sha256_hex(tok, strlen(tok), sha);
    pk_buf b;
    pk_buf_init(&b, 0);
    CHECK_EQ_I(pk_guard_token_hashes(g, collect, &b, &e), 0);
    char want[128];
    snprintf(want, sizeof want, "alice=%s;", sha);
    CHECK_STR(b.data, want);
    CHECK_EQ_I(pk_guard_token_revoke(g, "alice", &e), 0);
    CHECK_EQ_I(pk_guard_token_revoke(g, "alice", &e), PK_ENOTFOUND);
    pk_buf_reset(&b);
    CHECK_EQ_I(pk_guard_token_hashes(g, collect, &b, &e), 0);
    CHECK_EQ_U(b.len, 0);
    pk_buf_free(&b);
    /* The token itself is nowhere in the file. */
    char p[256];
    path_of(p, sizeof p, "tokens.db");
    pk_guard_db_close(g);
    pk_buf f;
    pk_buf_init(&f, 0);
    CHECK_EQ_I(pk_source_slurp(p, &f, 1 << 24, &e), 0);
    CHECK(f.len > 0 && memmem(f.data, f.len, tok, strlen(tok)) == NULL);
    pk_buf_free(&f);
}

static void add_rows(pk_guard_db *g, int n)
{
    for (int i = 0; i < n; i++) {
        pk_audit_row r;
        memset(&r, 0, sizeof r);
        pk_audit_now(r.time);
        r.client = "alice";
        r.endpoint = "POST /v1/chat/completions";
        r.req_bytes = (uint64_t)(100 + i);
        r.status = i % 2 ? 403 : 200;
        r.action = i % 2 ? "refused" : "allowed";
        r.works = i % 2 ? "ca01" : "";
        pk_error e;
        CHECK_EQ_I(pk_audit_append(g, &r, 1, &e), 0);
    }
}

static void sql(const char *name, const char *q)
{
    char p[256];
    path_of(p, sizeof p, name);
    sqlite3 *db = NULL;
    CHECK_EQ_I(sqlite3_open(p, &db), SQLITE_OK);
    CHECK_EQ_I(sqlite3_exec(db, q, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void verify(const char *name, int64_t want_bad, const char *want_why)
{
    pk_guard_db *g = open_db(name);
    if (!g) return;
    int64_t bad = -1;
    char why[256];
    uint64_t n;
    pk_error e;
    CHECK_EQ_I(pk_audit_verify(g, &bad, why, &n, &e), 0);
    CHECK_EQ_I(bad, want_bad);
    CHECK_STR(why, want_why);
    pk_guard_db_close(g);
}

static void test_chain(void)
{
    const char *names[] = {"intact.db", "altered.db", "deleted.db", "last.db"};
    for (int i = 0; i < 4; i++) {
        pk_guard_db *g = open_db(names[i]);
        if (!g) return;
        add_rows(g, 6);
        pk_guard_db_close(g);
    }
    verify("intact.db", 0, "");
    sql("altered.db", "UPDATE audit SET action = 'allowed', works = '' WHERE seq = 4");
    verify("altered.db", 4, "entry 4 does not match its hash (altered, or an entry before it was)");
    sql("deleted.db", "DELETE FROM audit WHERE seq = 2");
    verify("deleted.db", 2, "entry 2 is missing (the next entry is 3)");
    sql("last.db", "DELETE FROM audit WHERE seq = 6");
    verify("last.db", 6, "the log ends at entry 5 but its head says 6: entries at the end were removed");
}

/* G8: the end cut and the head rewritten to match (the attacker's whole
 * edit) verifies by itself; with the head hash kept elsewhere (--head)
 * it does not. */
static void test_anchor(void)
{
    pk_guard_db *g = open_db("cut.db");
    if (!g) return;
    add_rows(g, 10);
    int64_t bad = -1;
    char why[256], head10[65], head8[65];
    uint64_t n;
    pk_error e;
    CHECK_EQ_I(pk_audit_verify_anchor(g, NULL, &bad, why, &n, head10, &e), 0);
    CHECK_EQ_I(bad, 0);
    CHECK_EQ_U(n, 10);
    CHECK_EQ_U(strlen(head10), 64);
    pk_guard_db_close(g);
    sql("cut.db", "DELETE FROM audit WHERE seq > 8; "
                  "UPDATE head SET seq = 8, hash = (SELECT hash FROM audit WHERE seq = 8)");
    g = open_db("cut.db");
    if (!g) return;
    CHECK_EQ_I(pk_audit_verify_anchor(g, NULL, &bad, why, &n, head8, &e), 0);
    CHECK_EQ_I(bad, 0); /* the file alone cannot tell */
    CHECK(strcmp(head8, head10) != 0);
    CHECK_EQ_I(pk_audit_verify_anchor(g, head10, &bad, why, &n, NULL, &e), 0);
    CHECK_EQ_I(bad, 9);
    char want[256];
    snprintf(want, sizeof want,
             "the anchored hash %.16s... is not in the chain (8 entries): entries were removed or rewritten", head10);
    CHECK_STR(why, want);
    /* An anchor taken earlier (entry 8's hash) is still in the chain. */
    CHECK_EQ_I(pk_audit_verify_anchor(g, head8, &bad, why, &n, NULL, &e), 0);
    CHECK_EQ_I(bad, 0);
    pk_guard_db_close(g);
}

typedef struct seen {
    int64_t n, last_seq;
    int ordered;
} seen;

static int count_row(const pk_audit_row *r, void *ud)
{
    seen *s = ud;
    if (r->seq != s->last_seq + 1 || r->req_bytes != (uint64_t)(1000 + s->n)) s->ordered = 0;
    s->last_seq = r->seq;
    s->n++;
    return 0;
}

static void test_writer_thread(void)
{
    pk_guard_db *g = open_db("writer.db");
    if (!g) return;
    pk_audit_writer *w = NULL;
    pk_error e;
    CHECK_EQ_I(pk_audit_writer_start(&w, g, &e), 0);
    /* Half the rows go in while the audit table is away (renamed by
     * another connection): those appends fail and must be retried, not
     * dropped, until it is back. */
    char p[256];
    path_of(p, sizeof p, "writer.db");
    sqlite3 *other = NULL;
    CHECK_EQ_I(sqlite3_open(p, &other), SQLITE_OK);
    sqlite3_busy_timeout(other, 5000);
    for (int i = 0; i < 500; i++) {
        if (i == 250) {
            usleep(100000); /* let the writer finish the first half */
            CHECK_EQ_I(sqlite3_exec(other, "ALTER TABLE audit RENAME TO audit_away", NULL, NULL, NULL), SQLITE_OK);
        }
        pk_audit_row r;
        memset(&r, 0, sizeof r);
        pk_audit_now(r.time);
        r.client = "bob";
        r.endpoint = "POST /v1/messages";
        r.req_bytes = (uint64_t)(1000 + i);
        r.status = 200;
        r.action = "allowed";
        pk_audit_writer_push(w, &r);
    }
    usleep(300000); /* the writer fails and retries meanwhile */
    CHECK_EQ_I(sqlite3_exec(other, "ALTER TABLE audit_away RENAME TO audit", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    CHECK_EQ_U(pk_audit_writer_stop(w, &e), 0); /* drains the queue; nothing lost */
    seen s = {0, 0, 1};
    CHECK_EQ_I(pk_audit_each(g, NULL, count_row, &s, &e), 0);
    CHECK_EQ_I(s.n, 500);
    CHECK(s.ordered);
    pk_guard_db_close(g);
    verify("writer.db", 0, "");
}

static void cleanup(void)
{
    const char *names[] = {"tokens.db", "intact.db", "altered.db", "deleted.db", "last.db", "writer.db", "cut.db"};
    char p[256];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *suf[] = {"", "-wal", "-shm"};
        for (int k = 0; k < 3; k++) {
            snprintf(p, sizeof p, "%s/%s%s", dir, names[i], suf[k]);
            unlink(p);
        }
    }
    CHECK_EQ_I(rmdir(dir), 0); /* nothing else was left behind */
}

static void test_setup(void) { CHECK(mkdtemp(dir) != NULL); }

TEST_MAIN(TEST(test_setup), TEST(test_tokens), TEST(test_chain), TEST(test_anchor), TEST(test_writer_thread), TEST(cleanup))
