/* test_jsonl.c -- dotted field paths in the JSONL extractor, and the tar
 * member reader.
 *
 * Paths: nested objects, array indexes, the whole dotted name as a
 * top-level key winning over the path, duplicates (last wins at every
 * level), an id reached by a path, and that malformed lines still fail at
 * the same byte with the same message whatever the field names.  Each
 * path result is also checked against jansson following the same path.
 * Tar: archives are built here byte by byte (ustar headers) so every test
 * owns its exact offsets. */
#include "pk.h"
#include "simd.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int passed, failed;

#define CHECK(expr)                                                          \
    do {                                                                     \
        if (expr) passed++;                                                  \
        else {                                                               \
            failed++;                                                        \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, \
                    #expr);                                                  \
        }                                                                    \
    } while (0)

static pk_buf text, id;

static bool buf_is(const pk_buf *b, const char *s)
{
    size_t n = strlen(s);
    return b->len == n && (n == 0 || memcmp(b->data, s, n) == 0);
}

typedef struct jres {
    int rc;
    size_t off;
    const char *why;
    bool has_id;
} jres;

static jres jp(const char *line, const char *tf, const char *idf)
{
    jres r;
    r.rc = pk_jsonl_extract(line, strlen(line), tf, idf, &text, &id, &r.has_id, &r.off, &r.why);
    return r;
}

/* jansson following the same rules: the whole name at the top level
 * wins, else each part is an object key or (a plain number) an array
 * index.  NULL when absent. */
static json_t *jansson_path(json_t *root, const char *name)
{
    json_t *v = json_object_get(root, name);
    if (v || !strchr(name, '.')) return v;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", name);
    v = root;
    for (char *save = NULL, *p = strtok_r(buf, ".", &save); p && v; p = strtok_r(NULL, ".", &save)) {
        if (json_is_object(v)) v = json_object_get(v, p);
        else if (json_is_array(v) && p[0] >= '0' && p[0] <= '9' && (p[0] != '0' || !p[1]))
            v = json_array_get(v, (size_t)strtoul(p, NULL, 10));
        else v = NULL;
    }
    return v;
}

/* Our text for (line, name) is jansson's string at that path. */
static bool agrees(const char *line, const char *name)
{
    json_error_t je;
    json_t *root = json_loads(line, 0, &je);
    if (!root) return false;
    json_t *v = jansson_path(root, name);
    jres r = jp(line, name, NULL);
    bool ok = json_is_string(v) ? r.rc == 0 && text.len == json_string_length(v) &&
                                      memcmp(text.data, json_string_value(v), text.len) == 0
                                : r.rc == PK_ENOTFOUND;
    json_decref(root);
    return ok;
}

static void test_path_follows_nested_objects(void)
{
    const char *l = "{\"id\":1,\"meta\":{\"lang\":\"en\",\"content\":\"deep \\u0041\"},\"text\":\"top\"}";
    jres r = jp(l, "meta.content", "id");
    CHECK(r.rc == 0 && buf_is(&text, "deep A") && r.has_id && buf_is(&id, "1"));
    r = jp("{\"a\":{\"b\":{\"c\":{\"d\":\"four\"}}}}", "a.b.c.d", NULL);
    CHECK(r.rc == 0 && buf_is(&text, "four"));
    r = jp("{\"a\":{\"b\":\"x\"}}", "a.c", NULL);
    CHECK(r.rc == PK_ENOTFOUND && strcmp(r.why, "no text member") == 0);
    r = jp("{\"a\":{\"b\":7}}", "a.b", NULL);
    CHECK(r.rc == PK_ENOTFOUND && strcmp(r.why, "text member is not a string") == 0);
    r = jp("{\"a\":{\"b\":{\"c\":\"x\"}}}", "a.b", NULL);
    CHECK(r.rc == PK_ENOTFOUND && strcmp(r.why, "text member is not a string") == 0);
    r = jp("{\"a\":\"scalar\"}", "a.b", NULL);
    CHECK(r.rc == PK_ENOTFOUND && strcmp(r.why, "no text member") == 0);
    /* a key written with escapes on the path */
    r = jp("{\"m\\u0065ta\":{\"c\\u006fntent\":\"esc\"}}", "meta.content", NULL);
    CHECK(r.rc == 0 && buf_is(&text, "esc"));
}

static void test_path_indexes_arrays(void)
{
    const char *l = "{\"messages\":[{\"role\":\"user\",\"content\":\"first\"},{\"content\":\"second\"}]}";
    jres r = jp(l, "messages.0.content", NULL);
    CHECK(r.rc == 0 && buf_is(&text, "first"));
    r = jp(l, "messages.1.content", NULL);
    CHECK(r.rc == 0 && buf_is(&text, "second"));
    r = jp(l, "messages.2.content", NULL);
    CHECK(r.rc == PK_ENOTFOUND && strcmp(r.why, "no text member") == 0);
    r = jp("{\"a\":[\"x\",[\"y\",\"z\"]]}", "a.1.1", NULL);
    CHECK(r.rc == 0 && buf_is(&text, "z"));
    /* "01" and "-1" are not indexes; "0" is also an object key */
    r = jp("{\"a\":[\"x\",\"y\"]}", "a.01", NULL);
    CHECK(r.rc == PK_ENOTFOUND);
    r = jp("{\"a\":[\"x\"]}", "a.-1", NULL);
    CHECK(r.rc == PK_ENOTFOUND);
    r = jp("{\"a\":{\"0\":\"key zero\"}}", "a.0", NULL);
    CHECK(r.rc == 0 && buf_is(&text, "key zero"));
    r = jp("{\"a\":{\"01\":\"key\"}}", "a.01", NULL);
    CHECK(r.rc == 0 && buf_is(&text, "key"));
}

static void test_whole_dotted_key_wins_over_path(void)
{
    jres r = jp("{\"meta\":{\"content\":\"nested\"},\"meta.content\":\"flat\"}", "meta.content", NULL);
    CHECK(r.rc == 0 && buf_is(&text, "flat"));
    r = jp("{\"meta.content\":\"flat\",\"meta\":{\"content\":\"nested\"}}", "meta.content", NULL);
    CHECK(r.rc == 0 && buf_is(&text, "flat"));
    /* the whole key holding no string still wins: not a string */
    r = jp("{\"meta.content\":5,\"meta\":{\"content\":\"nested\"}}", "meta.content", NULL);
    CHECK(r.rc == PK_ENOTFOUND && strcmp(r.why, "text member is not a string") == 0);
    r = jp("{\"text\":\"t\",\"doc.id\":\"flat-id\",\"doc\":{\"id\":\"nested-id\"}}", "text", "doc.id");
    CHECK(r.rc == 0 && r.has_id && buf_is(&id, "flat-id"));
    /* only at the top level: a dotted key deeper down is not the path */
    r = jp("{\"a\":{\"b.c\":\"x\"}}", "a.b.c", NULL);
    CHECK(r.rc == PK_ENOTFOUND);
}

static void test_path_duplicates_last_wins_at_every_level(void)
{
    jres r = jp("{\"a\":{\"b\":\"one\"},\"a\":{\"b\":\"two\"}}", "a.b", NULL);
    CHECK(r.rc == 0 && buf_is(&text, "two"));
    r = jp("{\"a\":{\"b\":\"one\"},\"a\":{\"c\":\"x\"}}", "a.b", NULL);
    CHECK(r.rc == PK_ENOTFOUND && strcmp(r.why, "no text member") == 0);
    r = jp("{\"a\":{\"b\":\"one\",\"b\":\"two\"}}", "a.b", NULL);
    CHECK(r.rc == 0 && buf_is(&text, "two"));
    r = jp("{\"a\":{\"b\":\"one\"},\"a\":5}", "a.b", NULL);
    CHECK(r.rc == PK_ENOTFOUND && text.len == 0);
}

static void test_id_by_path(void)
{
    const char *l = "{\"text\":\"t\",\"meta\":{\"id\":\"m-7\",\"n\":42,\"o\":{},\"arr\":[true]}}";
    jres r = jp(l, "text", "meta.id");
    CHECK(r.rc == 0 && r.has_id && buf_is(&id, "m-7"));
    r = jp(l, "text", "meta.n");
    CHECK(r.rc == 0 && r.has_id && buf_is(&id, "42"));
    r = jp(l, "text", "meta.o");
    CHECK(r.rc == 0 && !r.has_id);
    r = jp(l, "text", "meta.arr.0");
    CHECK(r.rc == 0 && r.has_id && buf_is(&id, "true"));
    r = jp(l, "text", "meta.missing");
    CHECK(r.rc == 0 && !r.has_id);
    /* text and id on one path, and on the same value */
    r = jp("{\"d\":{\"t\":\"same\"}}", "d.t", "d.t");
    CHECK(r.rc == 0 && buf_is(&text, "same") && r.has_id && buf_is(&id, "same"));
    /* id found, text not: the record can still be named */
    r = jp("{\"d\":{\"id\":\"x\"}}", "d.body", "d.id");
    CHECK(r.rc == PK_ENOTFOUND && r.has_id && buf_is(&id, "x"));
}

static void test_malformed_lines_fail_the_same_with_paths(void)
{
    static const char *bad[] = {
        "{\"meta\":{\"content\":\"x\"}",  "{\"meta\":{\"content\":\"x\",}}", "{\"meta\":[1,]}",
        "{\"meta\":{\"content\":\"\\q\"}}", "{\"a\":{\"b\":tru}}",            "{\"meta\":{\"content\":\"x\"}} x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        jres flat = jp(bad[i], "text", "id");
        size_t off = flat.off;
        const char *why = flat.why;
        jres path = jp(bad[i], "meta.content", "meta.id");
        CHECK(flat.rc == PK_EFORMAT && path.rc == PK_EFORMAT && path.off == off && strcmp(path.why, why) == 0);
    }
    char deep[2700];
    size_t n = 0;
    deep[n++] = '{';
    for (int i = 0; i < 520; i++) { memcpy(deep + n, "\"a\":{", 5); n += 5; }
    deep[n] = 0;
    jres r = jp(deep, "a.a.a", NULL);
    CHECK(r.rc == PK_EFORMAT && strcmp(r.why, "nesting too deep") == 0);
}

static void test_path_with_too_many_parts_is_refused(void)
{
    char name[200];
    size_t n = 0;
    for (int i = 0; i < 65; i++) { name[n++] = 'a'; name[n++] = '.'; }
    name[n - 1] = 0;
    jres r = jp("{\"a\":1}", name, NULL);
    CHECK(r.rc == PK_EINVAL);
    name[2 * 64 - 1] = 0; /* 64 parts: fine */
    r = jp("{\"a\":1}", name, NULL);
    CHECK(r.rc == PK_ENOTFOUND);
}

static void test_paths_agree_with_jansson(void)
{
    static const char *lines[] = {
        "{\"meta\":{\"content\":\"a\"},\"meta.content\":\"b\"}",
        "{\"messages\":[{\"content\":\"m0\"},{\"content\":\"m1\"}],\"text\":\"t\"}",
        "{\"a\":{\"b\":\"one\"},\"a\":{\"b\":\"two\"}}",
        "{\"a\":[[\"x\"],{\"0\":\"k\"}]}",
        "{\"a\":{\"0\":\"k\",\"1\":[\"z\"]}}",
        "{\"a\":null,\"b\":[]}",
    };
    static const char *names[] = {"meta.content", "messages.0.content", "messages.1.content", "a.b",
                                  "a.0.0",        "a.1.0",              "a.0",                "a.1.0.0",
                                  "text",         "b.0"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) CHECK(agrees(lines[i], names[k]));
}

/* The AVX-512 path copies plain runs 64 bytes at a time (scan_string):
 * random strings of ASCII, escapes, raw UTF-8, and now and then a control
 * byte, invalid UTF-8 or a cut-off end, with runs across 64-byte
 * boundaries, give the same result, error offset and message at every
 * level, also with a text buffer too small for some of them. */
static void test_string_copy_agrees_across_levels(void)
{
    static const char *pieces[] = {"\\n", "\\\"", "\\\\", "\\u00e9", "\\ud83d\\ude00", "\\ud800x", "\xc3\xa9",
                                   "\xf0\x9f\x98\x80", " ", "'", "/", "\\/"};
    static const char *bad[] = {"\x01", "\xc3", "\xff", "\\x", "\\u12"};
    pk_buf line, want;
    pk_buf_init(&line, 0);
    pk_buf_init(&want, 0);
    uint64_t r = 12345;
    for (int it = 0; it < 3000; it++) {
        pk_buf_reset(&line);
        pk_buf_printf(&line, "%s", "{\"id\":\"d\",\"text\":\"");
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        const size_t len = (size_t)(r >> 33) % 400;
        for (size_t i = 0; i < len; i++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            const unsigned x = (unsigned)(r >> 40);
            if (x % 1000 < 960) pk_buf_putc(&line, 'a' + (int)(x / 1000 % 26));
            else if (x % 1000 < 998) pk_buf_printf(&line, "%s", pieces[x / 1000 % (sizeof pieces / sizeof *pieces)]);
            else if (it % 3 == 0) pk_buf_printf(&line, "%s", bad[x / 1000 % (sizeof bad / sizeof *bad)]);
        }
        if (it % 50 != 7) pk_buf_append(&line, "\"}", 2);
        const size_t max = it % 4 == 1 ? 150 : 0; /* text buffer limit: some strings too large */
        int rc0 = 0;
        size_t off0 = 0;
        const char *why0 = NULL;
        for (int l = PK_SIMD_SCALAR; l < PK_SIMD_NLEVELS; l++) {
            if (!pk_simd_supported(l)) continue;
            pk_simd_force(l);
            pk_buf t, d;
            pk_buf_init(&t, max);
            pk_buf_init(&d, 0);
            bool has;
            size_t off = 0;
            const char *why = NULL;
            const int rc = pk_jsonl_extract(line.data, line.len, "text", "id", &t, &d, &has, &off, &why);
            if (l == PK_SIMD_SCALAR) {
                rc0 = rc;
                off0 = off;
                why0 = why;
                pk_buf_reset(&want);
                pk_buf_append(&want, t.data ? t.data : "", rc ? 0 : t.len);
            } else {
                CHECK(rc == rc0);
                CHECK(!rc || off == off0);
                CHECK(!rc || (why && why0 && strcmp(why, why0) == 0));
                CHECK(rc || (t.len == want.len && memcmp(t.data ? t.data : "", want.data ? want.data : "", t.len) == 0));
            }
            pk_buf_free(&t);
            pk_buf_free(&d);
        }
        pk_simd_force(-1);
    }
    pk_buf_free(&line);
    pk_buf_free(&want);
}

/* ---- tar ------------------------------------------------------------------- */

static char tmpdir[256];

/* A ustar header for name, typeflag and size, with its checksum. */
static void ustar_header(unsigned char h[512], const char *name, char type, size_t size)
{
    memset(h, 0, 512);
    snprintf((char *)h, 100, "%s", name);
    memcpy(h + 100, "0000644", 8);
    memcpy(h + 108, "0000000", 8);
    memcpy(h + 116, "0000000", 8);
    snprintf((char *)h + 124, 12, "%011o", (unsigned)(size & 07777777777));
    memcpy(h + 136, "00000000000", 12);
    h[156] = (unsigned char)type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    unsigned sum = 0;
    memset(h + 148, ' ', 8);
    for (int i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    h[155] = ' ';
}

static void tar_add(pk_buf *b, const char *name, char type, const char *data)
{
    unsigned char h[512];
    size_t n = data ? strlen(data) : 0;
    ustar_header(h, name, type, n);
    pk_buf_append(b, (const char *)h, 512);
    if (n) pk_buf_append(b, data, n);
    static const char zero[512];
    if (n % 512) pk_buf_append(b, zero, 512 - n % 512);
}

static void write_file(const char *path, const char *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(2); }
    fwrite(p, 1, n, f);
    fclose(f);
}

/* Open path as a tar; the members' names, kinds and data into out. */
static int tar_list(const char *path, pk_buf *out, pk_error *e)
{
    pk_source *src = NULL;
    pk_tar *t = NULL;
    int rc = pk_source_open(&src, path, e);
    if (!rc) rc = pk_tar_open(&t, src, path, e);
    pk_buf_reset(out);
    while (!rc) {
        pk_tar_member m;
        rc = pk_tar_next(t, &m, e);
        if (rc) break;
        pk_buf_printf(out, "[%s %s]", m.name, m.kind ? m.kind : "file");
        char buf[7];
        size_t got;
        do {
            rc = pk_tar_read(t, buf, sizeof buf, &got, e); /* small reads on purpose */
            if (!rc) pk_buf_append(out, buf, got);
        } while (!rc && got);
    }
    pk_tar_close(t);
    pk_source_close(src);
    return rc == PK_TAR_END ? 0 : rc;
}

static void test_tar_members_and_kinds(void)
{
    pk_buf b, out;
    pk_buf_init(&b, 0);
    pk_buf_init(&out, 0);
    tar_add(&b, "d/", '5', NULL);
    tar_add(&b, "d/a.txt", '0', "alpha\n");
    tar_add(&b, "d/link", '2', NULL);
    tar_add(&b, "d/fifo", '6', NULL);
    tar_add(&b, "d/empty", '0', "");
    tar_add(&b, "d/b.jsonl", '0', "{\"text\":\"x\"}\n");
    static const char end[1024];
    pk_buf_append(&b, end, sizeof end);
    CHECK(pk_tar_sniff(b.data, b.len));
    CHECK(!pk_tar_sniff(b.data, 511));
    char path[512];
    snprintf(path, sizeof path, "%s/t.tar", tmpdir);
    write_file(path, b.data, b.len);
    pk_error e;
    CHECK(tar_list(path, &out, &e) == 0);
    CHECK(buf_is(&out, "[d/ directory][d/a.txt file]alpha\n[d/link symbolic link][d/fifo FIFO][d/empty file]"
                       "[d/b.jsonl file]{\"text\":\"x\"}\n"));

    /* cut inside the data of d/a.txt: the error names the byte and member */
    write_file(path, b.data, 512 + 512 + 3);
    CHECK(tar_list(path, &out, &e) == PK_EFORMAT);
    CHECK(strcmp(e.msg, "") != 0 && strstr(e.msg, "t.tar: tar archive cut short at byte 1027, in member d/a.txt"));
    CHECK(out.len >= 28 && memcmp(out.data, "[d/ directory][d/a.txt file]", 28) == 0 && out.len <= 31);

    /* a damaged header: an error at its offset, nothing after it read */
    b.data[3 * 512 + 150] ^= 0x11; /* the checksum of d/link */
    write_file(path, b.data, b.len);
    CHECK(tar_list(path, &out, &e) == PK_EFORMAT);
    CHECK(strstr(e.msg, "t.tar: damaged tar archive at byte 1536") != NULL);
    CHECK(buf_is(&out, "[d/ directory][d/a.txt file]alpha\n"));
    unlink(path);

    /* text with "ustar" at 257 but no checksum is not a tar */
    char fake[600];
    memset(fake, 'x', sizeof fake);
    memcpy(fake + 257, "ustar", 5);
    CHECK(!pk_tar_sniff(fake, sizeof fake));
    pk_buf_free(&b);
    pk_buf_free(&out);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/pk_test_jsonl_XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    pk_buf_init(&text, 0);
    pk_buf_init(&id, 0);
    test_path_follows_nested_objects();
    test_path_indexes_arrays();
    test_whole_dotted_key_wins_over_path();
    test_path_duplicates_last_wins_at_every_level();
    test_id_by_path();
    test_malformed_lines_fail_the_same_with_paths();
    test_path_with_too_many_parts_is_refused();
    test_paths_agree_with_jansson();
    test_string_copy_agrees_across_levels();
    test_tar_members_and_kinds();
    pk_buf_free(&text);
    pk_buf_free(&id);
    rmdir(tmpdir);
    printf("test_jsonl: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
