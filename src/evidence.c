/* evidence.c -- the evidence bundle: hashes, Ed25519 keys, signing and
 * verifying.
 *
 * A bundle is a directory: the HTML pages, evidence.json and, when signed,
 * evidence.json.sig.  evidence.json records the tool version, the
 * fingerprint parameters, the time (RFC 3339, UTC), the SHA-256 of the
 * findings file as stored, a canonical hash of the registry's
 * fingerprints, the registered works found (with the SHA-256 of their
 * bytes), the SHA-256 of every page written, and the findings themselves
 * (each line of the findings file, as read).  The signature is detached
 * and over the exact bytes of evidence.json, so one check covers every
 * file of the bundle: a changed page fails its hash, a changed
 * evidence.json or .sig fails the signature.
 *
 * Why a canonical hash of the registry and not of its file: SQLite
 * rewrites pages (WAL checkpoints, vacuum) without changing what is
 * registered, and the file holds registration times that say nothing
 * about the works.  The fingerprints, parameters and each work's SHA-256
 * are what a finding rests on; their hash (picket_report.h) is the same
 * for the same registry content on any machine.
 *
 * Key and signature files are one strict line per value; they are parsed
 * by re-encoding and comparing byte for byte, so no edit to them (an
 * ignored padding bit, a trailing space) passes unnoticed. */
#include "pk.h"
#include "picket_report.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KEY_MAX 4096 /* a key or signature file is a line or two */

static const char SECRET_TAG[] = "picket-ed25519-secret ";
static const char PUBLIC_TAG[] = "picket-ed25519-public ";
static const char SIG_TAG[] = "picket-ed25519-signature ";
static const char REG_HASH_NAME[] = "picket-registry-fingerprints-v1";

static void hex(const unsigned char *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = 0;
}

int pk_sha256_file(const char *path, char out[65], uint64_t *bytes, pk_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return pk_fail(err, errno == ENOENT ? PK_ENOTFOUND : PK_EIO, "%s: %s", path, strerror(errno));
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char buf[1 << 16];
    uint64_t total = 0;
    int rc = 0;
    for (;;) {
        ssize_t got = read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) { rc = pk_fail(err, PK_EIO, "%s: %s", path, strerror(errno)); break; }
        if (got == 0) break;
        crypto_hash_sha256_update(&st, buf, (unsigned long long)got);
        total += (uint64_t)got;
    }
    close(fd);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, h);
    hex(h, sizeof h, out);
    if (bytes) *bytes = total;
    return rc;
}

int pk_registry_fingerprints_sha256(pk_registry *r, char out[65], uint64_t *nworks, pk_error *err)
{
    pk_params p;
    pk_registry_get_params(r, &p);
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    char head[96];
    int hn = snprintf(head, sizeof head, "%s\nk=%u w=%u scheme=%u\n", REG_HASH_NAME, p.k, p.w, p.scheme);
    crypto_hash_sha256_update(&st, (const unsigned char *)head, (unsigned long long)hn);
    sqlite3 *db = pk_registry_db(r);
    sqlite3_stmt *q = NULL;
    uint64_t n = 0;
    if (sqlite3_prepare_v2(db, "SELECT id, sha256, fps FROM works ORDER BY id", -1, &q, NULL) != SQLITE_OK)
        return pk_fail(err, PK_EDB, "%s: reading fingerprints: %s", pk_registry_path(r), sqlite3_errmsg(db));
    int s;
    while ((s = sqlite3_step(q)) == SQLITE_ROW) {
        const unsigned char *id = sqlite3_column_text(q, 0), *sha = sqlite3_column_text(q, 1);
        const void *fps = sqlite3_column_blob(q, 2);
        uint64_t len = (uint64_t)sqlite3_column_bytes(q, 2);
        unsigned char le[8];
        for (int i = 0; i < 8; i++) le[i] = (unsigned char)(len >> (8 * i));
        crypto_hash_sha256_update(&st, id ? id : (const unsigned char *)"", strlen(id ? (const char *)id : "") + 1);
        crypto_hash_sha256_update(&st, sha ? sha : (const unsigned char *)"", strlen(sha ? (const char *)sha : "") + 1);
        crypto_hash_sha256_update(&st, le, 8);
        if (len) crypto_hash_sha256_update(&st, fps, len);
        n++;
    }
    int rc = s == SQLITE_DONE ? 0 : pk_fail(err, PK_EDB, "%s: reading fingerprints: %s", pk_registry_path(r), sqlite3_errmsg(db));
    sqlite3_finalize(q);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, h);
    hex(h, sizeof h, out);
    if (nworks) *nworks = n;
    return rc;
}

void pk_rfc3339_now(char out[32])
{
    time_t t = time(NULL);
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *end;
        long long v = strtoll(sde, &end, 10);
        if (!*end && v >= 0) t = (time_t)v;
    }
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- small files ------------------------------------------------------------ */

/* The bytes of path, as stored, into out (reset first); PK_ETOOBIG past max. */
static int read_raw(const char *path, pk_buf *out, size_t max, pk_error *err)
{
    pk_buf_reset(out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return pk_fail(err, errno == ENOENT ? PK_ENOTFOUND : PK_EIO, "%s: %s", path, strerror(errno));
    int rc = 0;
    for (;;) {
        if ((rc = pk_buf_reserve(out, 1 << 16))) { rc = pk_fail(err, rc, "%s: out of memory", path); break; }
        ssize_t got = read(fd, out->data + out->len, out->cap - out->len - 1);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) { rc = pk_fail(err, PK_EIO, "%s: %s", path, strerror(errno)); break; }
        if (got == 0) break;
        out->len += (size_t)got;
        if (out->len > max) { rc = pk_fail(err, PK_ETOOBIG, "%s: larger than %zu bytes", path, max); break; }
    }
    if (out->data) out->data[out->len] = 0;
    close(fd);
    return rc;
}

/* Write dir/name (or name when dir is NULL) through a temporary file and
 * a rename, so a reader never sees half of it. */
static int write_file(const char *dir, const char *name, const void *p, size_t n, mode_t mode, pk_error *err)
{
    char path[4096], tmp[4200];
    if ((size_t)snprintf(path, sizeof path, "%s%s%s", dir ? dir : "", dir ? "/" : "", name) >= sizeof path)
        return pk_fail(err, PK_EINVAL, "%s: path too long", name);
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return pk_fail(err, PK_EIO, "%s: %s", tmp, strerror(errno));
    const char *q = p;
    size_t left = n;
    while (left) {
        ssize_t w = write(fd, q, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return pk_fail(err, PK_EIO, "%s: %s", path, strerror(e));
        }
        q += w, left -= (size_t)w;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return pk_fail(err, PK_EIO, "%s: %s", path, strerror(e));
    }
    return 0;
}

/* ---- keys ---------------------------------------------------------------------- */

void pk_key_id(const unsigned char pk[32], char keyid[PK_KEYID_LEN])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, pk, 32);
    hex(h, 8, keyid);
}

/* "<tag><base64 of p[0..n)>\n" appended to out. */
static int key_line(pk_buf *out, const char *tag, const unsigned char *p, size_t n)
{
    char b64[256];
    sodium_bin2base64(b64, sizeof b64, p, n, sodium_base64_VARIANT_ORIGINAL);
    return pk_buf_printf(out, "%s%s\n", tag, b64);
}

/* Decode the line "<tag><base64>\n" at s[0..n) into exactly want bytes;
 * *used: the bytes the line took.  -1 when it is not exactly that. */
static int parse_line(const char *s, size_t n, const char *tag, unsigned char *out, size_t want, size_t *used)
{
    size_t tl = strlen(tag);
    if (n < tl || memcmp(s, tag, tl) != 0) return -1;
    const char *nl = memchr(s + tl, '\n', n - tl);
    if (!nl) return -1;
    size_t bl = (size_t)(nl - s) - tl, got = 0;
    if (bl == 0 || bl >= 200) return -1;
    if (sodium_base642bin(out, want, s + tl, bl, NULL, &got, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 || got != want)
        return -1;
    /* The one encoding of these bytes, and nothing else on the line. */
    char again[256];
    sodium_bin2base64(again, sizeof again, out, want, sodium_base64_VARIANT_ORIGINAL);
    if (strlen(again) != bl || memcmp(again, s + tl, bl) != 0) return -1;
    *used = (size_t)(nl - s) + 1;
    return 0;
}

static int load_key(const char *path, const char *tag, unsigned char *out, size_t want, pk_error *err)
{
    pk_buf b;
    pk_buf_init(&b, 0);
    int rc = read_raw(path, &b, KEY_MAX, err);
    size_t used = 0;
    if (rc == 0 && (parse_line(b.data ? b.data : "", b.len, tag, out, want, &used) != 0 || used != b.len))
        rc = pk_fail(err, PK_EFORMAT, "%s: not a picket key file (expected one line \"%s<base64>\")", path, tag);
    pk_buf_free(&b);
    return rc;
}

int pk_key_load_secret(const char *path, unsigned char sk[64], pk_error *err)
{
    if (sodium_init() < 0) return pk_fail(err, PK_EINTERNAL, "libsodium failed to initialize");
    int rc = load_key(path, SECRET_TAG, sk, crypto_sign_SECRETKEYBYTES, err);
    if (rc) return rc;
    /* A libsodium secret key is seed || public key: they must agree. */
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk2[crypto_sign_SECRETKEYBYTES];
    crypto_sign_seed_keypair(pk, sk2, sk);
    rc = sodium_memcmp(sk, sk2, sizeof sk2) == 0 ? 0 : pk_fail(err, PK_EFORMAT, "%s: damaged secret key", path);
    sodium_memzero(sk2, sizeof sk2);
    return rc;
}

int pk_key_load_public(const char *path, unsigned char pk[32], pk_error *err)
{
    if (sodium_init() < 0) return pk_fail(err, PK_EINTERNAL, "libsodium failed to initialize");
    return load_key(path, PUBLIC_TAG, pk, crypto_sign_PUBLICKEYBYTES, err);
}

int pk_keygen(const char *path, int force, char keyid[PK_KEYID_LEN], pk_error *err)
{
    if (sodium_init() < 0) return pk_fail(err, PK_EINTERNAL, "libsodium failed to initialize");
    char pub[4096];
    if ((size_t)snprintf(pub, sizeof pub, "%s.pub", path) >= sizeof pub) return pk_fail(err, PK_EINVAL, "%s: path too long", path);
    struct stat sb;
    if (!force && (stat(path, &sb) == 0 || stat(pub, &sb) == 0))
        return pk_fail(err, PK_EEXIST, "%s: already exists (--force replaces it)", stat(path, &sb) == 0 ? path : pub);
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_keypair(pk, sk);
    pk_buf b;
    pk_buf_init(&b, 0);
    int rc = key_line(&b, SECRET_TAG, sk, sizeof sk) ? pk_fail(err, PK_ENOMEM, "out of memory") : 0;
    /* The secret key is created 0600 under a temporary name, never
     * readable by others even for a moment. */
    if (rc == 0) rc = write_file(NULL, path, b.data, b.len, 0600, err);
    sodium_memzero(sk, sizeof sk);
    if (b.data) sodium_memzero(b.data, b.len);
    pk_buf_reset(&b);
    if (rc == 0 && (rc = key_line(&b, PUBLIC_TAG, pk, sizeof pk)) != 0) rc = pk_fail(err, PK_ENOMEM, "out of memory");
    if (rc == 0) rc = write_file(NULL, pub, b.data, b.len, 0644, err);
    pk_buf_free(&b);
    if (rc == 0) pk_key_id(pk, keyid);
    return rc;
}

/* ---- writing a bundle ---------------------------------------------------------- */

typedef struct outctx {
    const char *dir;
    json_t *outputs;
    uint64_t bytes;
    unsigned pages;
    pk_error *err;
} outctx;

static int write_page(unsigned no, const pk_buf *html, void *ud)
{
    outctx *o = ud;
    char name[32], sha[65];
    pk_report_page_name(no, name);
    int rc = write_file(o->dir, name, html->data ? html->data : "", html->len, 0644, o->err);
    if (rc) return rc;
    pk_sha256_hex(html->data ? html->data : "", html->len, sha);
    json_t *e = json_pack("{s:s, s:s, s:I}", "path", name, "sha256", sha, "bytes", (json_int_t)html->len);
    if (!e || json_array_append_new(o->outputs, e)) return pk_fail(o->err, PK_ENOMEM, "out of memory");
    o->bytes += html->len;
    o->pages = no;
    return 0;
}

static int by_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The registered works the findings name: id, title, SHA-256 of the
 * bytes registered, format and words, as the registry has them now. */
static json_t *works_json(const pk_findings *fs, pk_registry *reg)
{
    json_t *arr = json_array();
    char **ids = malloc((fs->n + 1) * sizeof *ids);
    sqlite3_stmt *q = NULL;
    if (!arr || !ids) goto fail;
    for (size_t i = 0; i < fs->n; i++) ids[i] = fs->f[i].work;
    qsort(ids, fs->n, sizeof *ids, by_str);
    if (reg && sqlite3_prepare_v2(pk_registry_db(reg), "SELECT title, sha256, format, tokens FROM works WHERE id=?", -1, &q, NULL) != SQLITE_OK)
        goto fail;
    for (size_t i = 0; i < fs->n; i++) {
        if (i && strcmp(ids[i], ids[i - 1]) == 0) continue;
        json_t *w = json_pack("{s:s}", "id", ids[i]);
        if (!w || json_array_append_new(arr, w)) goto fail;
        if (!q) continue;
        sqlite3_reset(q);
        sqlite3_bind_text(q, 1, ids[i], -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW) {
            const char *t = (const char *)sqlite3_column_text(q, 0), *sha = (const char *)sqlite3_column_text(q, 1),
                       *fmt = (const char *)sqlite3_column_text(q, 2);
            json_object_set_new(w, "title", t ? json_string(t) : json_null());
            json_object_set_new(w, "sha256", sha ? json_string(sha) : json_null());
            json_object_set_new(w, "format", fmt ? json_string(fmt) : json_null());
            json_object_set_new(w, "words", json_integer(sqlite3_column_int64(q, 3)));
        } else {
            json_object_set_new(w, "registered", json_false());
        }
    }
    sqlite3_finalize(q);
    free(ids);
    return arr;
fail:
    sqlite3_finalize(q);
    free(ids);
    json_decref(arr);
    return NULL;
}

static char *abs_path(const char *p)
{
    char *r = realpath(p, NULL);
    return r ? r : strdup(p);
}

int pk_bundle_write(const pk_bundle_opts *o, const pk_findings *fs, pk_bundle_result *res, pk_error *err)
{
    int rc = 0;
    json_t *ev = NULL, *outputs = NULL;
    char *head = NULL, *fpath = NULL, *rpath = NULL, *ppath = NULL;
    pk_buf out;
    pk_buf_init(&out, 0);
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    memset(res, 0, sizeof *res);
    if (sodium_init() < 0) return pk_fail(err, PK_EINTERNAL, "libsodium failed to initialize");
    /* Load the key first: a bad key should fail before anything is written. */
    if (o->sign_key && (rc = pk_key_load_secret(o->sign_key, sk, err))) return rc;
    if (mkdir(o->dir, 0755) != 0 && errno != EEXIST) return pk_fail(err, PK_EIO, "%s: %s", o->dir, strerror(errno));

    char created[32], fsha[65], rsha[65] = "";
    pk_rfc3339_now(created);
    pk_sha256_hex(o->findings ? o->findings : "", o->findings_len, fsha);
    uint64_t nworks = 0;
    if (o->reg && (rc = pk_registry_fingerprints_sha256(o->reg, rsha, &nworks, err))) goto cleanup;

    outctx oc = {o->dir, json_array(), 0, 0, err};
    outputs = oc.outputs;
    pk_report_opts ro = o->report;
    ro.created = created;
    size_t nprobe = 0;
    char psha[65] = "";
    if (o->probe) {
        if ((rc = pk_probe_check(o->probe_path, o->probe, o->probe_len, &nprobe, err))) goto cleanup;
        pk_sha256_hex(o->probe, o->probe_len, psha);
        ro.probe = o->probe;
        ro.probe_len = o->probe_len;
        ro.probe_source = o->probe_path;
    }
    ro.source = o->findings_path;
    ro.source_sha256 = fsha;
    if (!outputs) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto cleanup; }
    if ((rc = pk_report_html(fs, o->reg, &ro, write_page, &oc, err))) goto cleanup;
    res->pages = oc.pages;
    res->html_bytes = oc.bytes;

    fpath = strcmp(o->findings_path, "-") ? abs_path(o->findings_path) : strdup("-");
    rpath = o->reg_path ? abs_path(o->reg_path) : NULL;
    pk_params p = {0, 0, 0};
    if (o->reg) pk_registry_get_params(o->reg, &p);
    ppath = o->probe_path && strcmp(o->probe_path, "-") ? abs_path(o->probe_path) : strdup("-");
    json_t *works = works_json(fs, o->reg);
    ev = json_pack("{s:i, s:{s:s, s:s}, s:s, s:o, s:{s:{s:s, s:s, s:I, s:I, s:I}, s:o}, s:o, s:o, s:{s:I, s:I}}",
                   "picket_evidence", 1,
                   "tool", "name", "picket", "version", pk_version(),
                   "created", created,
                   "params", o->reg ? json_pack("{s:i, s:i, s:i}", "k", (int)p.k, "w", (int)p.w, "scheme", (int)p.scheme) : json_null(),
                   "inputs", "findings", "path", fpath ? fpath : "-", "sha256", fsha, "bytes", (json_int_t)o->findings_len,
                   "lines", (json_int_t)fs->nlines, "findings", (json_int_t)fs->n,
                   "registry", o->reg ? json_pack("{s:s, s:s, s:s, s:I}", "path", rpath ? rpath : "", "hash", REG_HASH_NAME,
                                                  "fingerprints_sha256", rsha, "works", (json_int_t)nworks)
                                      : json_null(),
                   "works", works ? works : json_null(),
                   "outputs", outputs,
                   "summary", "findings", (json_int_t)fs->n, "works", (json_int_t)(works ? json_array_size(works) : 0));
    outputs = NULL; /* the pack took it, or dropped it on failure */
    if (ev && o->probe &&
        json_object_set_new(json_object_get(ev, "inputs"), "probe",
                            json_pack("{s:s, s:s, s:I, s:I}", "path", ppath ? ppath : "-", "sha256", psha, "bytes",
                                      (json_int_t)o->probe_len, "results", (json_int_t)nprobe))) {
        rc = pk_fail(err, PK_ENOMEM, "out of memory");
        goto cleanup;
    }
    if (!ev || !works || !(head = json_dumps(ev, JSON_INDENT(1) | JSON_PRESERVE_ORDER))) {
        rc = pk_fail(err, PK_ENOMEM, "out of memory");
        goto cleanup;
    }
    /* The findings go in as read: each line is a JSON value already
     * checked by pk_findings_parse, so splicing them keeps the file valid
     * JSON without a DOM of 100,000 findings in memory. */
    size_t hl = strlen(head);
    while (hl && head[hl - 1] != '}') hl--;
    if (hl) hl--;
    while (hl && (head[hl - 1] == '\n' || head[hl - 1] == ' ')) hl--;
    int brc = pk_buf_append(&out, head, hl);
    brc |= pk_buf_printf(&out, ",\n \"findings\": [");
    for (size_t i = 0; i < fs->nlines; i++) {
        brc |= pk_buf_append(&out, i ? ",\n  " : "\n  ", i ? 4 : 3);
        brc |= pk_buf_append(&out, fs->line[i], fs->line_len[i]);
    }
    brc |= pk_buf_printf(&out, "\n ]");
    if (o->probe) {
        /* The probe results likewise, as read (checked by pk_probe_check). */
        brc |= pk_buf_printf(&out, ",\n \"probe\": [");
        size_t k = 0;
        for (size_t at = 0; at < o->probe_len;) {
            const char *nl = memchr(o->probe + at, '\n', o->probe_len - at);
            size_t end = nl ? (size_t)(nl - o->probe) : o->probe_len, a = at;
            while (a < end && (o->probe[a] == ' ' || o->probe[a] == '\t' || o->probe[a] == '\r')) a++;
            size_t z = end;
            while (z > a && (o->probe[z - 1] == ' ' || o->probe[z - 1] == '\t' || o->probe[z - 1] == '\r')) z--;
            if (z > a) {
                brc |= k ? pk_buf_append(&out, ",\n  ", 4) : pk_buf_append(&out, "\n  ", 3);
                k++;
                brc |= pk_buf_append(&out, o->probe + a, z - a);
            }
            at = end + 1;
        }
        brc |= pk_buf_printf(&out, "\n ]");
    }
    brc |= pk_buf_printf(&out, "\n}\n");
    if (brc) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto cleanup; }
    if ((rc = write_file(o->dir, "evidence.json", out.data, out.len, 0644, err))) goto cleanup;
    res->evidence_bytes = out.len;

    char sigpath[4200];
    snprintf(sigpath, sizeof sigpath, "%s/evidence.json.sig", o->dir);
    if (o->sign_key) {
        unsigned char sig[crypto_sign_BYTES];
        crypto_sign_detached(sig, NULL, (const unsigned char *)out.data, out.len, sk);
        pk_buf_reset(&out);
        if (key_line(&out, SIG_TAG, sig, sizeof sig) || key_line(&out, PUBLIC_TAG, sk + 32, 32)) {
            rc = pk_fail(err, PK_ENOMEM, "out of memory");
            goto cleanup;
        }
        if ((rc = write_file(o->dir, "evidence.json.sig", out.data, out.len, 0644, err))) goto cleanup;
        pk_key_id(sk + 32, res->keyid);
    } else if (unlink(sigpath) != 0 && errno != ENOENT) {
        /* an old signature left beside new evidence would not verify */
        rc = pk_fail(err, PK_EIO, "%s: %s", sigpath, strerror(errno));
    }
cleanup:
    sodium_memzero(sk, sizeof sk);
    json_decref(ev);
    json_decref(outputs);
    free(head);
    free(fpath);
    free(rpath);
    free(ppath);
    pk_buf_free(&out);
    return rc;
}

/* ---- verifying a bundle ---------------------------------------------------------- */

typedef struct vctx {
    void (*note)(int, const char *, const char *, void *);
    void *ud;
    unsigned failures;
} vctx;

static void say(vctx *v, int status, const char *what, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void say(vctx *v, int status, const char *what, const char *fmt, ...)
{
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (status == PK_CHECK_FAILED) v->failures++;
    if (v->note) v->note(status, what, msg, v->ud);
}

static void check_signature(vctx *v, const pk_buf *ev, const char *sigpath, const char *pubkey)
{
    pk_buf sb;
    pk_buf_init(&sb, 0);
    pk_error e = {0, ""};
    unsigned char sig[crypto_sign_BYTES], pk[crypto_sign_PUBLICKEYBYTES], trusted[crypto_sign_PUBLICKEYBYTES];
    size_t u1 = 0, u2 = 0;
    char id[PK_KEYID_LEN], tid[PK_KEYID_LEN];
    int rc = read_raw(sigpath, &sb, KEY_MAX, &e);
    if (rc == PK_ENOTFOUND) {
        say(v, PK_CHECK_FAILED, "signature", "%s is missing: the bundle is not signed, so nothing shows it was not changed",
            sigpath);
        goto done;
    }
    if (rc) { say(v, PK_CHECK_FAILED, "signature", "%s", e.msg); goto done; }
    const char *s = sb.data ? sb.data : "";
    if (parse_line(s, sb.len, SIG_TAG, sig, sizeof sig, &u1) != 0 ||
        parse_line(s + u1, sb.len - u1, PUBLIC_TAG, pk, sizeof pk, &u2) != 0 || u1 + u2 != sb.len) {
        say(v, PK_CHECK_FAILED, "signature", "%s is not a picket signature file (damaged or changed)", sigpath);
        goto done;
    }
    pk_key_id(pk, id);
    if (pubkey) {
        if (pk_key_load_public(pubkey, trusted, &e)) { say(v, PK_CHECK_FAILED, "signature", "%s", e.msg); goto done; }
        pk_key_id(trusted, tid);
        if (sodium_memcmp(trusted, pk, sizeof pk) != 0) {
            say(v, PK_CHECK_FAILED, "signature", "signed by key %s, not by the key given (%s, %s)", id, tid, pubkey);
            goto done;
        }
    }
    if (crypto_sign_verify_detached(sig, (const unsigned char *)(ev->data ? ev->data : ""), ev->len, pk) != 0) {
        say(v, PK_CHECK_FAILED, "signature",
            "does not match evidence.json: the evidence was changed after it was signed (or the signature file was)");
        goto done;
    }
    if (pubkey) say(v, PK_CHECK_OK, "signature", "Ed25519 signature over evidence.json by key %s, the key given", id);
    else {
        say(v, PK_CHECK_OK, "signature", "Ed25519 signature over evidence.json by key %s", id);
        say(v, PK_CHECK_NOTE, "signer", "key %s is the one named in the bundle; give --key FILE.pub to check it is the key you trust", id);
    }
done:
    pk_buf_free(&sb);
}

static const char *jstr(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A page name as written by pk_bundle_write: no directory, nothing hidden. */
static int plain_name(const char *s) { return s && *s && *s != '.' && !strchr(s, '/') && strlen(s) < 256; }

static void check_outputs(vctx *v, const json_t *ev, const char *dir)
{
    const json_t *outs = json_object_get(ev, "outputs");
    if (!json_is_array(outs) || json_array_size(outs) == 0) {
        say(v, PK_CHECK_FAILED, "outputs", "evidence.json lists no report pages");
        return;
    }
    for (size_t i = 0; i < json_array_size(outs); i++) {
        const json_t *e = json_array_get(outs, i);
        const char *name = jstr(e, "path"), *want = jstr(e, "sha256");
        if (!plain_name(name) || !want) {
            say(v, PK_CHECK_FAILED, "outputs", "entry %zu is malformed", i + 1);
            continue;
        }
        char path[4500], sha[65];
        snprintf(path, sizeof path, "%s/%s", dir, name); /* fits: dir < 4200, name < 256 */
        pk_error e2 = {0, ""};
        int rc = pk_sha256_file(path, sha, NULL, &e2);
        if (rc) say(v, PK_CHECK_FAILED, name, "%s", e2.msg);
        else if (strcmp(sha, want) != 0) say(v, PK_CHECK_FAILED, name, "changed: SHA-256 %s, evidence says %s", sha, want);
        else if (i < 3 || i + 1 == json_array_size(outs)) say(v, PK_CHECK_OK, name, "SHA-256 matches");
        if (rc == 0 && i == 3 && json_array_size(outs) > 5)
            say(v, PK_CHECK_NOTE, "outputs", "checking %zu more pages quietly", json_array_size(outs) - 5);
    }
}

/* An input file recorded under inputs.<what> (findings, probe): is it
 * still what the report was made from?  given: where it is now. */
static void check_input(vctx *v, const json_t *ev, const char *what, const char *given)
{
    const json_t *in = json_object_get(json_object_get(ev, "inputs"), what);
    if (!in && strcmp(what, "findings") != 0) return; /* optional inputs */
    const char *rec = jstr(in, "path"), *want = jstr(in, "sha256");
    if (!want) { say(v, PK_CHECK_FAILED, what, "evidence.json records no %s hash", what); return; }
    const char *path = given ? given : rec;
    if (!path || strcmp(path, "-") == 0) {
        say(v, PK_CHECK_SKIPPED, what, "read from stdin when the report was made: give --%s FILE to check it", what);
        return;
    }
    char sha[65];
    pk_error e = {0, ""};
    int rc = pk_sha256_file(path, sha, NULL, &e);
    if (rc == PK_ENOTFOUND) say(v, PK_CHECK_SKIPPED, what, "%s is not at hand: give --%s FILE to check it", path, what);
    else if (rc) say(v, PK_CHECK_FAILED, what, "%s", e.msg);
    else if (strcmp(sha, want) != 0) say(v, PK_CHECK_FAILED, what, "%s changed: SHA-256 %s, evidence says %s", path, sha, want);
    else say(v, PK_CHECK_OK, what, "%s: SHA-256 matches", path);
}

static void check_registry(vctx *v, const json_t *ev, const char *given)
{
    const json_t *in = json_object_get(json_object_get(ev, "inputs"), "registry");
    if (!json_is_object(in)) { say(v, PK_CHECK_SKIPPED, "registry", "no registry recorded"); return; }
    const char *path = given ? given : jstr(in, "path"), *want = jstr(in, "fingerprints_sha256");
    if (!want || !path) { say(v, PK_CHECK_FAILED, "registry", "evidence.json records no registry hash"); return; }
    struct stat sb;
    if (stat(path, &sb) != 0) {
        say(v, PK_CHECK_SKIPPED, "registry", "%s is not at hand: give --db PATH to check it", path);
        return;
    }
    pk_registry *r = NULL;
    pk_error e = {0, ""};
    char sha[65];
    uint64_t n = 0;
    if (pk_registry_open(&r, path, PK_REG_READONLY, NULL, &e) || pk_registry_fingerprints_sha256(r, sha, &n, &e))
        say(v, PK_CHECK_FAILED, "registry", "%s", e.msg);
    else if (strcmp(sha, want) != 0)
        say(v, PK_CHECK_FAILED, "registry", "%s: its fingerprints changed since the report (%llu works now; hash %s, evidence says %s)",
            path, (unsigned long long)n, sha, want);
    else say(v, PK_CHECK_OK, "registry", "%s: fingerprints of %llu works match", path, (unsigned long long)n);
    pk_registry_close(r);
}

int pk_bundle_verify(const pk_verify_opts *o, void (*note)(int, const char *, const char *, void *), void *ud,
                     unsigned *failures, pk_error *err)
{
    vctx v = {note, ud, 0};
    char evpath[4200], sigpath[4300], dir[4200];
    struct stat sb;
    *failures = 0;
    if (sodium_init() < 0) return pk_fail(err, PK_EINTERNAL, "libsodium failed to initialize");
    if (stat(o->bundle, &sb) != 0) return pk_fail(err, PK_ENOTFOUND, "%s: %s", o->bundle, strerror(errno));
    if (S_ISDIR(sb.st_mode)) {
        snprintf(dir, sizeof dir, "%s", o->bundle);
        snprintf(evpath, sizeof evpath, "%s/evidence.json", o->bundle);
    } else {
        snprintf(evpath, sizeof evpath, "%s", o->bundle);
        snprintf(dir, sizeof dir, "%s", o->bundle);
        char *slash = strrchr(dir, '/');
        if (slash) *slash = 0;
        else snprintf(dir, sizeof dir, ".");
    }
    snprintf(sigpath, sizeof sigpath, "%s.sig", evpath);
    pk_buf evb;
    pk_buf_init(&evb, 0);
    int rc = read_raw(evpath, &evb, PK_BUF_DEFAULT_MAX - 1, err);
    if (rc) { pk_buf_free(&evb); return rc; }

    check_signature(&v, &evb, sigpath, o->pubkey);
    json_error_t je;
    json_t *ev = json_loadb(evb.data ? evb.data : "", evb.len, 0, &je);
    if (!ev) {
        say(&v, PK_CHECK_FAILED, "evidence", "%s is not valid JSON (line %d: %s)", evpath, je.line, je.text);
    } else if (!json_is_integer(json_object_get(ev, "picket_evidence")) ||
               json_integer_value(json_object_get(ev, "picket_evidence")) != 1) {
        say(&v, PK_CHECK_FAILED, "evidence", "%s is not picket evidence (version 1)", evpath);
    } else {
        const char *ver = jstr(json_object_get(ev, "tool"), "version"), *created = jstr(ev, "created");
        const json_t *fl = json_object_get(ev, "findings");
        say(&v, PK_CHECK_NOTE, "evidence", "%s: made by picket %s at %s, %zu finding line%s", evpath, ver ? ver : "?",
            created ? created : "?", json_array_size(fl), json_array_size(fl) == 1 ? "" : "s");
        check_outputs(&v, ev, dir);
        check_input(&v, ev, "findings", o->findings);
        check_input(&v, ev, "probe", o->probe);
        check_registry(&v, ev, o->db);
    }
    json_decref(ev);
    pk_buf_free(&evb);
    *failures = v.failures;
    return 0;
}
