/* test_registry.c -- the SQLite registry: parameters, dedup, ids,
 * removal, generations, and two writers at once. */
#include "pk.h"
#include "test.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gen.h"

static void params_stored_and_enforced(void)
{
    char db[512];
    tmp_db(db, sizeof db, "params");
    pk_error e;
    pk_registry *r = NULL;
    pk_params p = {6, 10, PK_SCHEME};
    CHECK_EQ_I(pk_registry_open(&r, db, PK_REG_CREATE, &p, &e), 0);
    pk_registry_close(r);
    r = NULL;
    CHECK_EQ_I(pk_registry_open(&r, db, 0, NULL, &e), 0);
    pk_params got;
    pk_registry_get_params(r, &got);
    CHECK_EQ_U(got.k, 6);
    CHECK_EQ_U(got.w, 10);
    pk_registry_close(r);
    r = NULL;
    pk_params other = {8, 18, PK_SCHEME};
    CHECK_EQ_I(pk_registry_open(&r, db, 0, &other, &e), PK_EPARAMS);
    CHECK(strstr(e.msg, "k=6 w=10") != NULL);
    CHECK(r == NULL);
    pk_params bad = {0, 18, PK_SCHEME};
    char db2[512];
    tmp_db(db2, sizeof db2, "params2");
    CHECK_EQ_I(pk_registry_open(&r, db2, PK_REG_CREATE, &bad, &e), PK_EINVAL);
    remove(db);
    remove(db2);
}

static int count_cb(const pk_work_info *w, void *ud)
{
    PK_UNUSED(w);
    (*(int *)ud)++;
    return 0;
}

static void dedup_ids_and_removal(void)
{
    char db[512];
    tmp_db(db, sizeof db, "dedup");
    pk_error e;
    pk_registry *r = NULL;
    CHECK_EQ_I(pk_registry_open(&r, db, PK_REG_CREATE, NULL, &e), 0);
    pk_buf a, b;
    pk_buf_init(&a, 0);
    pk_buf_init(&b, 0);
    uint64_t seed = 5;
    gen_words(&a, &seed, 300);
    gen_words(&b, &seed, 300);
    pk_register_opts o;
    memset(&o, 0, sizeof o);
    o.source = "scripts/My Script.fountain";
    pk_register_result res;
    int64_t g0, g1, g2;
    CHECK_EQ_I(pk_registry_generation(r, &g0, &e), 0);
    CHECK_EQ_I(pk_registry_add(r, a.data, a.len, &o, &res, &e), 0);
    CHECK_STR(res.id, "My-Script");
    CHECK_EQ_U(res.existed, 0);
    CHECK_EQ_U(res.tokens, 300);
    CHECK(res.fingerprints > 10 && res.fingerprints < 60);
    CHECK_EQ_I(pk_registry_generation(r, &g1, &e), 0);
    CHECK(g1 > g0);
    /* Same bytes again, under another name: stored once. */
    o.source = "elsewhere.txt";
    CHECK_EQ_I(pk_registry_add(r, a.data, a.len, &o, &res, &e), 0);
    CHECK_EQ_U(res.existed, 1);
    CHECK_STR(res.id, "My-Script");
    /* Other content, same file name: the id gets a hash suffix. */
    o.source = "My Script.txt";
    CHECK_EQ_I(pk_registry_add(r, b.data, b.len, &o, &res, &e), 0);
    CHECK(strncmp(res.id, "My-Script-", 10) == 0 && strlen(res.id) == 18);
    /* An explicit id that is taken is an error. */
    pk_buf c;
    pk_buf_init(&c, 0);
    gen_words(&c, &seed, 100);
    o.id = "My-Script";
    CHECK_EQ_I(pk_registry_add(r, c.data, c.len, &o, &res, &e), PK_EEXIST);
    int n = 0;
    CHECK_EQ_I(pk_registry_each(r, count_cb, &n, &e), 0);
    CHECK_EQ_U(n, 2);
    CHECK_EQ_I(pk_registry_remove(r, "My-Script", &e), 0);
    CHECK_EQ_I(pk_registry_remove(r, "My-Script", &e), PK_ENOTFOUND);
    CHECK_EQ_I(pk_registry_generation(r, &g2, &e), 0);
    CHECK(g2 > g1);
    n = 0;
    pk_registry_each(r, count_cb, &n, &e);
    CHECK_EQ_U(n, 1);
    /* No text stored by default, and no fingerprints left of the removed work. */
    sqlite3 *db3 = pk_registry_db(r);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db3, "SELECT count(*) FROM works WHERE text IS NOT NULL", -1, &st, NULL);
    sqlite3_step(st);
    CHECK_EQ_U(sqlite3_column_int(st, 0), 0);
    sqlite3_finalize(st);
    sqlite3_prepare_v2(db3, "SELECT count(*) FROM fingerprints WHERE work NOT IN (SELECT rowid FROM works)", -1, &st, NULL);
    sqlite3_step(st);
    CHECK_EQ_U(sqlite3_column_int(st, 0), 0);
    sqlite3_finalize(st);
    o.id = "kept";
    o.keep_text = 1;
    CHECK_EQ_I(pk_registry_add(r, c.data, c.len, &o, &res, &e), 0);
    sqlite3_prepare_v2(db3, "SELECT text FROM works WHERE id='kept'", -1, &st, NULL);
    sqlite3_step(st);
    CHECK_EQ_U((size_t)sqlite3_column_bytes(st, 0), c.len);
    sqlite3_finalize(st);
    pk_registry_close(r);
    pk_buf_free(&a);
    pk_buf_free(&b);
    pk_buf_free(&c);
    remove(db);
}

/* Two processes registering 25 works each into one registry at once:
 * nothing lost, nothing duplicated, no error. */
static void concurrent_writers(void)
{
    char db[512];
    tmp_db(db, sizeof db, "conc");
    pk_error e;
    pk_registry *r = NULL;
    CHECK_EQ_I(pk_registry_open(&r, db, PK_REG_CREATE, NULL, &e), 0);
    pk_registry_close(r);
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            pk_registry *rr = NULL;
            pk_error ee;
            if (pk_registry_open(&rr, db, PK_REG_CREATE, NULL, &ee)) _exit(10);
            uint64_t seed = 1000 + (uint64_t)k;
            for (int i = 0; i < 25; i++) {
                pk_buf b;
                pk_buf_init(&b, 0);
                gen_words(&b, &seed, 500);
                pk_register_opts o;
                memset(&o, 0, sizeof o);
                char id[32];
                snprintf(id, sizeof id, "p%d-w%02d", k, i);
                o.id = id;
                pk_register_result res;
                if (pk_registry_add(rr, b.data, b.len, &o, &res, &ee)) { fprintf(stderr, "%s\n", ee.msg); _exit(11); }
                pk_buf_free(&b);
            }
            pk_registry_close(rr);
            _exit(0);
        }
    }
    for (int k = 0; k < 2; k++) {
        int st = -1;
        waitpid(kids[k], &st, 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    CHECK_EQ_I(pk_registry_open(&r, db, 0, NULL, &e), 0);
    int n = 0;
    pk_registry_each(r, count_cb, &n, &e);
    CHECK_EQ_U(n, 50);
    pk_registry_close(r);
    remove(db);
}

static void not_a_registry(void)
{
    char path[512];
    tmp_db(path, sizeof path, "junk");
    FILE *f = fopen(path, "wb");
    fputs("this is not a database, just text that someone put here\n", f);
    fclose(f);
    pk_registry *r = NULL;
    pk_error e;
    memset(&e, 0, sizeof e);
    int rc = pk_registry_open(&r, path, PK_REG_READONLY, NULL, &e);
    CHECK(rc == PK_EDB || rc == PK_ECORRUPT);
    CHECK(strstr(e.msg, path) != NULL);
    CHECK(r == NULL);
    remove(path);
}

/* A schema-1 registry (fingerprints in a table, a row each) is refused
 * for reading with a hint, upgraded by the first writer, and then scans
 * as before. */
static void schema1_upgraded(void)
{
    char db[512];
    tmp_db(db, sizeof db, "schema1");
    pk_error e;
    pk_registry *r = NULL;
    CHECK_EQ_I(pk_registry_open(&r, db, PK_REG_CREATE, NULL, &e), 0);
    pk_buf w;
    pk_buf_init(&w, 0);
    uint64_t seed = 99;
    gen_words(&w, &seed, 800);
    pk_register_opts o;
    memset(&o, 0, sizeof o);
    o.id = "old";
    pk_register_result res;
    CHECK_EQ_I(pk_registry_add(r, w.data, w.len, &o, &res, &e), 0);
    pk_registry_close(r);
    r = NULL;

    /* Turn it into what picket wrote before: fingerprint rows, no blob. */
    sqlite3 *sdb = NULL;
    CHECK_EQ_I(sqlite3_open(db, &sdb), SQLITE_OK);
    CHECK_EQ_I(sqlite3_exec(sdb,
                            "CREATE TABLE fingerprints(work INTEGER NOT NULL, hash INTEGER NOT NULL, pos INTEGER NOT NULL,"
                            " line INTEGER NOT NULL, PRIMARY KEY(work, pos)) WITHOUT ROWID",
                            NULL, NULL, NULL),
               SQLITE_OK);
    sqlite3_stmt *rd = NULL, *ins = NULL;
    CHECK_EQ_I(sqlite3_prepare_v2(sdb, "SELECT rowid, fps FROM works", -1, &rd, NULL), SQLITE_OK);
    CHECK_EQ_I(sqlite3_prepare_v2(sdb, "INSERT INTO fingerprints VALUES(?,?,?,1)", -1, &ins, NULL), SQLITE_OK);
    size_t nfp = 0;
    while (sqlite3_step(rd) == SQLITE_ROW) {
        const uint8_t *b = sqlite3_column_blob(rd, 1);
        int n = sqlite3_column_bytes(rd, 1) / 12;
        for (int i = 0; i < n; i++, nfp++) {
            uint64_t h = 0;
            uint32_t pos = 0;
            for (int j = 7; j >= 0; j--) h = h << 8 | b[12 * i + j];
            for (int j = 3; j >= 0; j--) pos = pos << 8 | b[12 * i + 8 + j];
            sqlite3_bind_int64(ins, 1, sqlite3_column_int64(rd, 0));
            sqlite3_bind_int64(ins, 2, (sqlite3_int64)h);
            sqlite3_bind_int64(ins, 3, pos);
            CHECK_EQ_I(sqlite3_step(ins), SQLITE_DONE);
            sqlite3_reset(ins);
        }
    }
    sqlite3_finalize(rd);
    sqlite3_finalize(ins);
    CHECK(nfp > 50);
    CHECK_EQ_I(sqlite3_exec(sdb, "ALTER TABLE works DROP COLUMN fps; ALTER TABLE works DROP COLUMN format;"
                            " ALTER TABLE works DROP COLUMN pages; ALTER TABLE works DROP COLUMN scenes;"
                            " UPDATE meta SET value='1' WHERE key='schema'", NULL,
                            NULL, NULL),
               SQLITE_OK);
    sqlite3_close(sdb);

    pk_index *ix = NULL;
    CHECK_EQ_I(pk_index_open(&ix, db, &e), PK_EPARAMS);
    CHECK(strstr(e.msg, "picket compile") != NULL);
    CHECK_EQ_I(pk_registry_open(&r, db, 0, NULL, &e), 0);
    pk_registry_close(r);
    CHECK_EQ_I(pk_index_open(&ix, db, &e), 0);
    if (ix) {
        pk_scanner *s = NULL;
        CHECK_EQ_I(pk_scanner_new(&s, ix, NULL, &e), 0);
        pk_finding *f;
        size_t nf;
        CHECK_EQ_I(pk_scan_text(s, w.data, w.len, &f, &nf, &e), 0);
        CHECK_EQ_U(nf, 1);
        if (nf == 1) CHECK_EQ_U(f[0].matched_words, 800);
        pk_scanner_free(s);
        pk_index_close(ix);
    }
    pk_buf_free(&w);
    char p2[600];
    remove(db);
    snprintf(p2, sizeof p2, "%s.pkx", db);
    remove(p2);
}

TEST_MAIN(TEST(params_stored_and_enforced), TEST(schema1_upgraded), TEST(dedup_ids_and_removal), TEST(concurrent_writers), TEST(not_a_registry))
