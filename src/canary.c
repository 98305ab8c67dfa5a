/* canary.c -- secret canaries: planted random sequences that make later
 * training on a work provable with an exact p-value (data watermarks, Wei
 * et al. 2024; copyright traps, Meeus et al. 2024).
 *
 * Generator ("pk-canary-v1").  A sequence is 8 words drawn uniformly and
 * independently from a fixed public list of 4096 made-up words, so it
 * carries 8 x 12 = 96 bits.  The list is a rule, not a file: word c
 * (0..4095) is consonant, vowel, consonant, vowel, from the 16 consonants
 * "bdfghjklmnprstvz" and the 4 vowels "aiou", taking bits 11-8, 7-6, 5-2
 * and 1-0 of c ("bazu", "kilo", "vodi").  Such words are pronounceable
 * and short, so a model can memorize a sequence verbatim in a few dozen
 * subword tokens; they are rare enough in real text that finding eight in
 * a row by chance is impossible in practice; and every word has the same
 * shape, so a sequence's loss says nothing about which ones were chosen.
 * Sequence i of a set is the first 16 bytes of the ChaCha20-IETF stream
 * keyed by the set's 32-byte seed with nonce i (little-endian, 12 bytes):
 * word j is bytes 2j, 2j+1 read little-endian, low 12 bits.  A sequence
 * equal to an earlier one is skipped (chance 2^-96 a pair).  The seed
 * comes from randombytes_buf and is kept in the registry, so any sequence
 * can be re-derived; the stored sequences are checked against it on load.
 * Sequences [0, count) are published, [count, count + nulls) never are:
 * since all are independent draws from one generator, which indexes are
 * published makes no difference to the statistics, only that the null
 * ones stay secret.
 *
 * Placement.  Every published sequence follows PK_CANARY_PREFIX on its
 * own line or paragraph, at the end of the work, where a reader has
 * finished and every text extractor still looks:
 *   - plain text: a colophon after a blank line;
 *   - Markdown: a colophon, one paragraph a sequence;
 *   - HTML: one <p class="picket-colophon"> a sequence, small and grey,
 *     at the end of the main content (before the last </article>, else
 *     </main>, else </body>, else at the end).  Not display:none or
 *     hidden: boilerplate removers and renderers that honour CSS drop
 *     those, and a page's main text (what trafilatura and its kin keep)
 *     is where a colophon still counts as content;
 *   - Fountain: one note ([[Catalogue reference: ...]]) a sequence after
 *     the last line: invisible in print and in any PDF made from it, kept
 *     by whoever scrapes the .fountain file itself; with visible, action
 *     lines instead, which a PDF and its text extraction keep.
 *
 * Lookup.  Text is cut into words at every byte that is not an ASCII
 * letter, lowercased; a word of the list has a code, any other word none.
 * An index maps (position in a sequence, word) to the sequences with that
 * word there; each run of 8 words votes for the sequences its words index,
 * and a sequence with at least 8 - max_miss votes is a hit.  Runs with too
 * few list words are skipped without a lookup, so ordinary prose costs
 * one pass.
 *
 * Statistics.  A probe scores every sequence (lower = more likely
 * memorized).  Under the null hypothesis (the model never saw the
 * published sequences) the N published and M null scores are
 * exchangeable, so the published ones take a uniformly random N-subset of
 * the N + M ranks.  Two exact tests, ties always counted against the
 * canaries (so both stay valid, if conservative, with ties):
 *   - min-rank: t = nulls scoring <= the best canary;
 *     p = P(T <= t) = 1 - C(N + M - t - 1, N) / C(N + M, N), which is
 *     (t + 1) / (M + 1) for one canary.  Strong when a few canaries were
 *     memorized well.
 *   - rank sum: U = sum over canaries of nulls scoring <= it (Mann-Whitney
 *     U); P(U <= u) from the exact null distribution, the coefficients of
 *     the Gaussian binomial [N+M choose N]_q, built as the product of
 *     (1 - q^(M+i)) / (1 - q^i) for i = 1..N, each factor scaled to sum 1,
 *     in long double (N M <= PK_CANARY_MAX_EXACT_SUM for memory and
 *     N^2 M <= PK_CANARY_MAX_EXACT_WORK for time: under 2 s).  The
 *     coefficients below M + 1 only ever get additions, so small p-values
 *     keep their relative precision (N = 100, M = 10000, all canaries in
 *     the top three ranks: 8.2e-234); cancellation only touches the
 *     upper tail, where P(U <= u) + P(U <= NM - u - 1) = 1 holds to
 *     double precision.  Strong when all
 *     canaries were memorized a little.
 * Report one chosen in advance, or the smaller of the two doubled
 * (Bonferroni). */
#include "canary.h"

#include "pk.h"

#include <math.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char consonants[] = "bdfghjklmnprstvz";
static const char vowels[] = "aiou";

#define NWORDS 4096u

static const char *canary_schema =
    "CREATE TABLE IF NOT EXISTS canary_sets("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  work TEXT NOT NULL, sha256 TEXT NOT NULL, copy_sha256 TEXT NOT NULL DEFAULT '',"
    "  format TEXT NOT NULL DEFAULT '', generator TEXT NOT NULL, seed TEXT NOT NULL,"
    "  words INTEGER NOT NULL, count INTEGER NOT NULL, nulls INTEGER NOT NULL, created TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS canaries("
    "  set_id INTEGER NOT NULL REFERENCES canary_sets(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL, published INTEGER NOT NULL, text TEXT NOT NULL,"
    "  PRIMARY KEY(set_id, idx)) WITHOUT ROWID;";

void pk_canary_word(unsigned c, char out[5])
{
    out[0] = consonants[(c >> 8) & 15];
    out[1] = vowels[(c >> 6) & 3];
    out[2] = consonants[(c >> 2) & 15];
    out[3] = vowels[c & 3];
    out[4] = 0;
}

static int cons_code(int ch)
{
    const char *p = ch ? strchr(consonants, ch) : NULL;
    return p ? (int)(p - consonants) : -1;
}
static int vowel_code(int ch)
{
    const char *p = ch ? strchr(vowels, ch) : NULL;
    return p ? (int)(p - vowels) : -1;
}
static int lower(int ch) { return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch; }

int pk_canary_word_code(const char *w, size_t n)
{
    if (n != 4) return -1;
    int a = cons_code(lower((unsigned char)w[0])), b = vowel_code(lower((unsigned char)w[1]));
    int c = cons_code(lower((unsigned char)w[2])), d = vowel_code(lower((unsigned char)w[3]));
    if (a < 0 || b < 0 || c < 0 || d < 0) return -1;
    return a << 8 | b << 6 | c << 2 | d;
}

void pk_canary_set_init(pk_canary_set *s) { memset(s, 0, sizeof *s); }

static void free_seqs(pk_canary_set *s)
{
    free(s->seq);
    free(s->bucket);
    free(s->list);
    s->seq = NULL;
    s->bucket = s->list = NULL;
}

void pk_canary_set_free(pk_canary_set *s)
{
    if (!s) return;
    free_seqs(s);
    sodium_memzero(s->seed, sizeof s->seed);
}

/* The 8 word codes of stream draw i. */
static void draw(const unsigned char seed[32], uint32_t i, uint16_t codes[PK_CANARY_WORDS])
{
    unsigned char nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {0};
    unsigned char out[2 * PK_CANARY_WORDS];
    for (int b = 0; b < 4; b++) nonce[b] = (unsigned char)(i >> (8 * b));
    crypto_stream_chacha20_ietf(out, sizeof out, nonce, seed);
    for (int j = 0; j < PK_CANARY_WORDS; j++) codes[j] = (uint16_t)((out[2 * j] | out[2 * j + 1] << 8) & 0xfff);
}

static uint64_t pack_hash(const uint16_t c[PK_CANARY_WORDS])
{
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (int j = 0; j < PK_CANARY_WORDS; j++) h = (h ^ c[j]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

/* The lookup index: bucket[j * 4096 + code] .. bucket[... + 1] in list. */
static int build_index(pk_canary_set *s, const uint16_t *codes, size_t total, pk_error *err)
{
    size_t nb = (size_t)PK_CANARY_WORDS * NWORDS + 1;
    s->bucket = calloc(nb, sizeof *s->bucket);
    s->list = malloc(total * PK_CANARY_WORDS * sizeof *s->list + 1);
    if (!s->bucket || !s->list) return pk_fail(err, PK_ENOMEM, "out of memory");
    for (size_t i = 0; i < total; i++)
        for (int j = 0; j < PK_CANARY_WORDS; j++) s->bucket[(size_t)j * NWORDS + codes[i * PK_CANARY_WORDS + (size_t)j] + 1]++;
    for (size_t b = 1; b < nb; b++) s->bucket[b] += s->bucket[b - 1];
    uint32_t *fill = malloc(nb * sizeof *fill);
    if (!fill) return pk_fail(err, PK_ENOMEM, "out of memory");
    memcpy(fill, s->bucket, nb * sizeof *fill);
    for (size_t i = 0; i < total; i++)
        for (int j = 0; j < PK_CANARY_WORDS; j++)
            s->list[fill[(size_t)j * NWORDS + codes[i * PK_CANARY_WORDS + (size_t)j]]++] = (uint32_t)i;
    free(fill);
    return 0;
}

int pk_canary_generate(pk_canary_set *s, const unsigned char seed[32], uint32_t count, uint32_t nulls,
                       pk_error *err)
{
    if (count < 1 || count > PK_CANARY_MAX_COUNT)
        return pk_fail(err, PK_EINVAL, "canary count must be between 1 and %u (got %u)", PK_CANARY_MAX_COUNT, count);
    if (nulls < 1 || nulls > PK_CANARY_MAX_NULLS)
        return pk_fail(err, PK_EINVAL, "null set size must be between 1 and %u (got %u)", PK_CANARY_MAX_NULLS, nulls);
    if (sodium_init() < 0) return pk_fail(err, PK_EINTERNAL, "libsodium failed to initialize");
    free_seqs(s);
    if (seed != s->seed) memcpy(s->seed, seed, sizeof s->seed);
    size_t total = (size_t)count + nulls, hcap = 1;
    while (hcap < 2 * total) hcap <<= 1;
    uint16_t *codes = malloc(total * PK_CANARY_WORDS * sizeof *codes);
    uint32_t *slot = malloc(hcap * sizeof *slot); /* index + 1, 0 empty */
    s->seq = malloc(total * sizeof *s->seq);
    int rc = 0;
    if (!codes || !slot || !s->seq) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto cleanup; }
    memset(slot, 0, hcap * sizeof *slot);
    uint32_t draw_i = 0;
    for (size_t i = 0; i < total;) {
        uint16_t *c = codes + i * PK_CANARY_WORDS;
        draw(s->seed, draw_i++, c);
        size_t h = (size_t)pack_hash(c) & (hcap - 1);
        int dup = 0;
        for (; slot[h]; h = (h + 1) & (hcap - 1))
            if (memcmp(codes + (size_t)(slot[h] - 1) * PK_CANARY_WORDS, c, PK_CANARY_WORDS * sizeof *c) == 0) {
                dup = 1;
                break;
            }
        if (dup) continue;
        slot[h] = (uint32_t)i + 1;
        char *o = s->seq[i];
        for (int j = 0; j < PK_CANARY_WORDS; j++) {
            pk_canary_word(c[j], o + 5 * j);
            o[5 * j + 4] = j + 1 < PK_CANARY_WORDS ? ' ' : 0;
        }
        i++;
    }
    s->count = count;
    s->nulls = nulls;
    rc = build_index(s, codes, total, err);
cleanup:
    free(codes);
    free(slot);
    if (rc) free_seqs(s);
    return rc;
}

int pk_canary_new(pk_canary_set *s, uint32_t count, uint32_t nulls, pk_error *err)
{
    if (sodium_init() < 0) return pk_fail(err, PK_EINTERNAL, "libsodium failed to initialize");
    randombytes_buf(s->seed, sizeof s->seed);
    return pk_canary_generate(s, s->seed, count, nulls, err);
}

/* ---- registry ----------------------------------------------------------- */

static int db_fail(pk_registry *r, pk_error *err, const char *what)
{
    return pk_fail(err, PK_EDB, "%s: %s: %s", pk_registry_path(r), what, sqlite3_errmsg(pk_registry_db(r)));
}

static void now_utc(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int tables_exist(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int yes = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name='canary_sets'", -1, &st,
                           NULL) == SQLITE_OK)
        yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

int pk_canary_store(pk_registry *r, pk_canary_set *s, pk_error *err)
{
    sqlite3 *db = pk_registry_db(r);
    sqlite3_stmt *st = NULL;
    int rc = 0, began = 0;
    if (!s->seq) return pk_fail(err, PK_EINVAL, "canary set has no sequences");
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return db_fail(r, err, "begin");
    began = 1;
    if (sqlite3_exec(db, canary_schema, NULL, NULL, NULL) != SQLITE_OK) { rc = db_fail(r, err, "canary tables"); goto cleanup; }
    now_utc(s->created);
    char seedhex[65];
    sodium_bin2hex(seedhex, sizeof seedhex, s->seed, sizeof s->seed);
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO canary_sets(work,sha256,copy_sha256,format,generator,seed,words,count,nulls,created)"
                           " VALUES(?,?,?,?,?,?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(r, err, "insert canary set");
        goto cleanup;
    }
    sqlite3_bind_text(st, 1, s->work, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, s->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, s->copy_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, s->format, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, PK_CANARY_GENERATOR, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, seedhex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 7, PK_CANARY_WORDS);
    sqlite3_bind_int64(st, 8, s->count);
    sqlite3_bind_int64(st, 9, s->nulls);
    sqlite3_bind_text(st, 10, s->created, -1, SQLITE_STATIC);
    sodium_memzero(seedhex, sizeof seedhex);
    if (sqlite3_step(st) != SQLITE_DONE) { rc = db_fail(r, err, "insert canary set"); goto cleanup; }
    sqlite3_finalize(st);
    st = NULL;
    s->id = sqlite3_last_insert_rowid(db);
    if (sqlite3_prepare_v2(db, "INSERT INTO canaries(set_id,idx,published,text) VALUES(?,?,?,?)", -1, &st, NULL) !=
        SQLITE_OK) {
        rc = db_fail(r, err, "insert canaries");
        goto cleanup;
    }
    for (uint32_t i = 0; i < s->count + s->nulls; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, s->id);
        sqlite3_bind_int64(st, 2, i);
        sqlite3_bind_int(st, 3, i < s->count);
        sqlite3_bind_text(st, 4, s->seq[i], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) { rc = db_fail(r, err, "insert canaries"); goto cleanup; }
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) { rc = db_fail(r, err, "commit"); goto cleanup; }
    began = 0;
cleanup:
    sqlite3_finalize(st);
    if (began) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    if (rc) s->id = 0;
    return rc;
}

int pk_canary_work_of(pk_registry *r, const char *sha256, char out[256], pk_error *err)
{
    sqlite3_stmt *st = NULL;
    out[0] = 0;
    if (sqlite3_prepare_v2(pk_registry_db(r), "SELECT id FROM works WHERE sha256=?", -1, &st, NULL) != SQLITE_OK)
        return db_fail(r, err, "works");
    sqlite3_bind_text(st, 1, sha256, -1, SQLITE_STATIC);
    int step = sqlite3_step(st), rc = 0;
    if (step == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        snprintf(out, 256, "%s", v ? (const char *)v : "");
    } else if (step == SQLITE_DONE) {
        rc = pk_fail(err, PK_ENOTFOUND, "no registered work has SHA-256 %.16s...", sha256);
    } else {
        rc = db_fail(r, err, "works");
    }
    sqlite3_finalize(st);
    return rc;
}

static void copy_col(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
    const unsigned char *v = sqlite3_column_text(st, col);
    snprintf(dst, cap, "%s", v ? (const char *)v : "");
}

/* Fill s's metadata from a row of SELECT id,work,sha256,copy_sha256,
 * format,seed,count,nulls,created,generator,words. */
static int row_meta(pk_registry *r, sqlite3_stmt *st, pk_canary_set *s, pk_error *err)
{
    s->id = sqlite3_column_int64(st, 0);
    copy_col(s->work, sizeof s->work, st, 1);
    copy_col(s->sha256, sizeof s->sha256, st, 2);
    copy_col(s->copy_sha256, sizeof s->copy_sha256, st, 3);
    copy_col(s->format, sizeof s->format, st, 4);
    copy_col(s->created, sizeof s->created, st, 8);
    const char *hex = (const char *)sqlite3_column_text(st, 5);
    const char *gen = (const char *)sqlite3_column_text(st, 9);
    sqlite3_int64 count = sqlite3_column_int64(st, 6), nulls = sqlite3_column_int64(st, 7);
    size_t got = 0;
    if (!gen || strcmp(gen, PK_CANARY_GENERATOR) != 0 || sqlite3_column_int(st, 10) != PK_CANARY_WORDS)
        return pk_fail(err, PK_ECORRUPT, "%s: canary set %lld: unknown generator '%s'", pk_registry_path(r),
                       (long long)s->id, gen ? gen : "");
    if (!hex || sodium_hex2bin(s->seed, sizeof s->seed, hex, strlen(hex), NULL, &got, NULL) != 0 ||
        got != sizeof s->seed || count < 1 || count > PK_CANARY_MAX_COUNT || nulls < 1 || nulls > PK_CANARY_MAX_NULLS)
        return pk_fail(err, PK_ECORRUPT, "%s: canary set %lld is damaged", pk_registry_path(r), (long long)s->id);
    s->count = (uint32_t)count;
    s->nulls = (uint32_t)nulls;
    return 0;
}

#define SET_COLS "id,work,sha256,copy_sha256,format,seed,count,nulls,created,generator,words"

int pk_canary_load(pk_registry *r, int64_t id, pk_canary_set *s, pk_error *err)
{
    sqlite3 *db = pk_registry_db(r);
    sqlite3_stmt *st = NULL;
    int rc = 0;
    free_seqs(s);
    if (!tables_exist(db)) return pk_fail(err, PK_ENOTFOUND, "no canary set %lld", (long long)id);
    if (sqlite3_prepare_v2(db, "SELECT " SET_COLS " FROM canary_sets WHERE id=?", -1, &st, NULL) != SQLITE_OK)
        return db_fail(r, err, "canary sets");
    sqlite3_bind_int64(st, 1, id);
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) { rc = pk_fail(err, PK_ENOTFOUND, "no canary set %lld", (long long)id); goto cleanup; }
    if (step != SQLITE_ROW) { rc = db_fail(r, err, "canary sets"); goto cleanup; }
    if ((rc = row_meta(r, st, s, err))) goto cleanup;
    sqlite3_finalize(st);
    st = NULL;
    if ((rc = pk_canary_generate(s, s->seed, s->count, s->nulls, err))) goto cleanup;
    /* The stored sequences must be the ones the seed gives. */
    if (sqlite3_prepare_v2(db, "SELECT idx, published, text FROM canaries WHERE set_id=? ORDER BY idx", -1, &st,
                           NULL) != SQLITE_OK) {
        rc = db_fail(r, err, "canaries");
        goto cleanup;
    }
    sqlite3_bind_int64(st, 1, id);
    uint32_t n = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 2);
        if (n >= s->count + s->nulls || sqlite3_column_int64(st, 0) != n ||
            sqlite3_column_int(st, 1) != (n < s->count) || !t || strcmp(t, s->seq[n]) != 0)
            break;
        n++;
    }
    if (step != SQLITE_DONE && step != SQLITE_ROW) { rc = db_fail(r, err, "canaries"); goto cleanup; }
    if (step == SQLITE_ROW || n != s->count + s->nulls)
        rc = pk_fail(err, PK_ECORRUPT, "%s: canary set %lld: stored sequences differ from those of its seed",
                     pk_registry_path(r), (long long)id);
cleanup:
    sqlite3_finalize(st);
    if (rc) free_seqs(s);
    return rc;
}

int pk_canary_each(pk_registry *r, const char *key, int (*cb)(const pk_canary_set *s, void *ud), void *ud,
                   pk_error *err)
{
    sqlite3 *db = pk_registry_db(r);
    sqlite3_stmt *st = NULL;
    int rc = 0, step;
    if (!tables_exist(db)) return 0;
    if (sqlite3_prepare_v2(db,
                           key ? "SELECT " SET_COLS " FROM canary_sets WHERE work=?1 OR sha256=?1 OR copy_sha256=?1"
                                 " ORDER BY id"
                               : "SELECT " SET_COLS " FROM canary_sets ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(r, err, "canary sets");
    if (key) sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    pk_canary_set s;
    pk_canary_set_init(&s);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = row_meta(r, st, &s, err))) break;
        if ((rc = cb(&s, ud))) break;
    }
    if (!rc && step != SQLITE_DONE) rc = db_fail(r, err, "canary sets");
    pk_canary_set_free(&s);
    sqlite3_finalize(st);
    return rc;
}

/* ---- the copy for publication -------------------------------------------- */

/* The last occurrence of tag (ASCII, case-insensitive) in p[0..n), or n. */
static size_t last_tag(const char *p, size_t n, const char *tag)
{
    size_t tl = strlen(tag);
    for (size_t i = n; i >= tl; i--) {
        size_t j = 0;
        while (j < tl && lower((unsigned char)p[i - tl + j]) == tag[j]) j++;
        if (j == tl) return i - tl;
    }
    return n;
}

int pk_canary_publish(const pk_canary_set *s, int format, const char *raw, size_t n, int visible, pk_buf *out,
                      pk_error *err)
{
    if (!s->seq) return pk_fail(err, PK_EINVAL, "canary set has no sequences");
    pk_buf_reset(out);
    int rc = 0;
    /* Strip trailing blank lines so the colophon sits one blank line after
     * the work, whatever the file ended with. */
    size_t end = n;
    while (end > 0 && (raw[end - 1] == '\n' || raw[end - 1] == '\r' || raw[end - 1] == ' ' || raw[end - 1] == '\t'))
        end--;
    switch (format) {
    case PK_WORK_TEXT:
    case PK_WORK_MARKDOWN:
    case PK_WORK_FOUNTAIN: {
        /* Line ends as the work has them (CRLF when its first line ends so). */
        const char *nl = memchr(raw, '\n', n);
        const char *eol = nl && nl > raw && nl[-1] == '\r' ? "\r\n" : "\n";
        const char *open = "", *close = "";
        if (format == PK_WORK_FOUNTAIN && !visible) open = "[[", close = "]]";
        rc = pk_buf_append(out, raw, end);
        if (!rc && end) rc = pk_buf_printf(out, "%s%s", eol, eol);
        for (uint32_t i = 0; i < s->count && !rc; i++)
            rc = pk_buf_printf(out, "%s%s%s %s%s%s", i && format != PK_WORK_TEXT ? eol : "", open, PK_CANARY_PREFIX,
                               s->seq[i], close, eol);
        break;
    }
    case PK_WORK_HTML: {
        size_t at = last_tag(raw, n, "</article");
        if (at == n) at = last_tag(raw, n, "</main");
        if (at == n) at = last_tag(raw, n, "</body");
        rc = pk_buf_append(out, raw, at);
        if (!rc && at == n && n && raw[n - 1] != '\n') rc = pk_buf_putc(out, '\n');
        for (uint32_t i = 0; i < s->count && !rc; i++)
            rc = pk_buf_printf(out,
                               "<p class=\"picket-colophon\" style=\"font-size:small;color:#767676\">%s %s</p>\n",
                               PK_CANARY_PREFIX, s->seq[i]);
        if (!rc) rc = pk_buf_append(out, raw + at, n - at);
        break;
    }
    default:
        return pk_fail(err, PK_EINVAL, "cannot plant canaries in %s: give text, Markdown, Fountain or HTML",
                       pk_work_format_name(format));
    }
    if (rc) return pk_fail(err, rc, rc == PK_ENOMEM ? "out of memory" : "copy too large");
    return 0;
}

/* ---- lookup ---------------------------------------------------------------- */

typedef struct word {
    uint64_t start, end;
    int code; /* -1: not a word of the list */
} word;

int pk_canary_find(const pk_canary_set *s, const char *text, size_t n, unsigned max_miss, pk_canary_hit **hits,
                   size_t *nhits, pk_error *err)
{
    *hits = NULL;
    *nhits = 0;
    if (!s->seq || !s->bucket) return pk_fail(err, PK_EINVAL, "canary set has no sequences");
    if (max_miss > PK_CANARY_WORDS / 2)
        return pk_fail(err, PK_EINVAL, "at most %d of %d words may be missing", PK_CANARY_WORDS / 2, PK_CANARY_WORDS);
    const unsigned need = PK_CANARY_WORDS - max_miss;
    size_t total = (size_t)s->count + s->nulls;
    word *w = NULL;
    uint8_t *cnt = NULL;
    uint32_t *touched = NULL;
    pk_canary_hit *h = NULL;
    size_t nw = 0, wcap = 0, nh = 0, hcap = 0;
    int rc = 0;
    /* Words: runs of ASCII letters. */
    for (size_t i = 0; i < n;) {
        if (!((text[i] | 32) >= 'a' && (text[i] | 32) <= 'z')) { i++; continue; }
        size_t j = i;
        while (j < n && (text[j] | 32) >= 'a' && (text[j] | 32) <= 'z') j++;
        if (nw == wcap) {
            size_t nc = wcap ? 2 * wcap : 256, bytes;
            if (!pk_mul_ok(nc, sizeof *w, &bytes)) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto cleanup; }
            word *nwp = realloc(w, bytes);
            if (!nwp) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto cleanup; }
            w = nwp;
            wcap = nc;
        }
        w[nw].start = i;
        w[nw].end = j;
        w[nw].code = pk_canary_word_code(text + i, j - i);
        nw++;
        i = j;
    }
    if (nw < PK_CANARY_WORDS) goto cleanup;
    cnt = calloc(total, 1);
    touched = malloc(total * sizeof *touched);
    if (!cnt || !touched) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto cleanup; }
    unsigned inlist = 0; /* list words in the current run */
    for (size_t k = 0; k < PK_CANARY_WORDS - 1; k++) inlist += w[k].code >= 0;
    for (size_t st = 0; st + PK_CANARY_WORDS <= nw; st++) {
        inlist += w[st + PK_CANARY_WORDS - 1].code >= 0;
        if (st) inlist -= w[st - 1].code >= 0;
        if (inlist < need) continue;
        size_t nt = 0;
        for (size_t j = 0; j < PK_CANARY_WORDS; j++) {
            int c = w[st + j].code;
            if (c < 0) continue;
            size_t b = j * NWORDS + (size_t)c;
            for (uint32_t x = s->bucket[b]; x < s->bucket[b + 1]; x++) {
                uint32_t q = s->list[x];
                if (!cnt[q]++) touched[nt++] = q;
            }
        }
        for (size_t t = 0; t < nt; t++) {
            uint32_t q = touched[t];
            if (cnt[q] >= need) {
                if (nh == hcap) {
                    size_t nc = hcap ? 2 * hcap : 16, bytes;
                    if (!pk_mul_ok(nc, sizeof *h, &bytes)) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto cleanup; }
                    pk_canary_hit *nhp = realloc(h, bytes);
                    if (!nhp) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto cleanup; }
                    h = nhp;
                    hcap = nc;
                }
                h[nh].index = q;
                h[nh].published = q < s->count;
                h[nh].matched = cnt[q];
                h[nh].start = w[st].start;
                h[nh].end = w[st + PK_CANARY_WORDS - 1].end;
                nh++;
            }
            cnt[q] = 0;
        }
    }
cleanup:
    free(w);
    free(cnt);
    free(touched);
    if (rc) {
        free(h);
        return rc;
    }
    *hits = h;
    *nhits = nh;
    return 0;
}

/* ---- the p-value ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int pk_canary_pvalue(const double *canary, size_t n, const double *null, size_t m, pk_canary_stat *out,
                     pk_error *err)
{
    memset(out, 0, sizeof *out);
    out->p_sum = -1;
    if (n < 1 || m < 1) return pk_fail(err, PK_EINVAL, "need at least one canary and one null score");
    for (size_t i = 0; i < n; i++)
        if (isnan(canary[i])) return pk_fail(err, PK_EINVAL, "canary score %zu is not a number", i);
    for (size_t j = 0; j < m; j++)
        if (isnan(null[j])) return pk_fail(err, PK_EINVAL, "null score %zu is not a number", j);
    /* Ranks against the null set: sort a copy of it, count <= each. */
    double *q = malloc(m * sizeof *q);
    if (!q) return pk_fail(err, PK_ENOMEM, "out of memory");
    memcpy(q, null, m * sizeof *q);
    qsort(q, m, sizeof *q, cmp_double);
    uint64_t best = m, u = 0;
    for (size_t i = 0; i < n; i++) {
        size_t lo = 0, hi = m; /* first q > canary[i] */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (q[mid] <= canary[i]) lo = mid + 1; else hi = mid;
        }
        if (lo < best) best = lo;
        u += lo;
    }
    free(q);
    out->best = best;
    out->u = u;
    /* min-rank: 1 - prod_{i<n} (A - k - i) / (A - i), A = n + m, k = best + 1 */
    double A = (double)n + (double)m, k = (double)best + 1, lg = 0;
    int zero = 0;
    for (size_t i = 0; i < n; i++) {
        if (A - k - (double)i <= 0) { zero = 1; break; }
        lg += log1p(-k / (A - (double)i));
    }
    out->p_min = zero ? 1.0 : -expm1(lg);
    if (out->p_min > 1) out->p_min = 1;
    /* rank sum: exact distribution of U, the Gaussian binomial's
     * coefficients, each factor (1 - q^(m+i)) / (1 - q^i) scaled by
     * i / (m + i) so the array stays a probability distribution. */
    size_t deg, work;
    if (!pk_mul_ok(n, m, &deg) || deg > PK_CANARY_MAX_EXACT_SUM || !pk_mul_ok(deg, n, &work) ||
        work > PK_CANARY_MAX_EXACT_WORK)
        return 0;
    long double *c = calloc(deg + 1, sizeof *c);
    if (!c) return pk_fail(err, PK_ENOMEM, "out of memory");
    c[0] = 1;
    for (size_t i = 1; i <= n; i++) {
        size_t d = i * m, step = m + i;
        for (size_t s = d; s >= step; s--) c[s] -= c[s - step];
        for (size_t s = i; s <= d; s++) c[s] += c[s - i];
        long double f = (long double)i / (long double)step;
        for (size_t s = 0; s <= d; s++) c[s] *= f;
    }
    long double p = 0;
    for (size_t s = 0; s <= u && s <= deg; s++) p += c[s];
    free(c);
    out->p_sum = p < 0 ? 0 : p > 1 ? 1 : (double)p;
    return 0;
}

int pk_canary_set_pvalue(const pk_canary_set *s, const double *score, pk_canary_stat *out, pk_error *err)
{
    if (s->count < 1 || s->nulls < 1) return pk_fail(err, PK_EINVAL, "canary set has no sequences");
    return pk_canary_pvalue(score, s->count, score + s->count, s->nulls, out, err);
}
