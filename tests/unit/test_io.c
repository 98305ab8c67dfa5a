/* test_io.c -- byte sources (plain, gzip, zstd), whole-file mappings, the
 * line chunker, and the JSONL member extractor.
 *
 * Compressed inputs are made here with zlib and libzstd so every test owns
 * its exact bytes (and so the exact offsets in error messages).  The JSONL
 * part checks exact unescaped bytes and exact error offsets, then compares
 * validity and text with jansson over a list of hand-written lines. */
#include "pk.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

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

/* ---- helpers --------------------------------------------------------------- */

static char tmpdir[256];

static void tmp_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
}

/* Append one gzip member holding p[0..n) to out. */
static void gz_member(pk_buf *out, const void *p, size_t n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) exit(2);
    size_t bound = deflateBound(&z, (uLong)n) + 32;
    if (pk_buf_reserve(out, bound)) exit(2);
    z.next_in = (Bytef *)(uintptr_t)p;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out->data + out->len;
    z.avail_out = (uInt)bound;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) exit(2);
    out->len += bound - z.avail_out;
    deflateEnd(&z);
}

/* Append one zstd frame holding p[0..n) to out. */
static void zstd_frame(pk_buf *out, const void *p, size_t n)
{
    size_t bound = ZSTD_compressBound(n);
    if (pk_buf_reserve(out, bound)) exit(2);
    size_t r = ZSTD_compress(out->data + out->len, bound, p, n, 3);
    if (ZSTD_isError(r)) exit(2);
    out->len += r;
}

/* Read all of path through pk_source with reads of `step` bytes, with
 * pk_source_parallel(threads, block) when threads is not 0. */
static int read_par_all(const char *path, int threads, size_t block, size_t step, pk_buf *out, const char **kind,
                        pk_error *err)
{
    pk_source *s = NULL;
    int rc = pk_source_open(&s, path, err);
    if (rc) return rc;
    if (kind) *kind = pk_source_kind(s);
    if (threads) pk_source_parallel(s, threads, block);
    pk_buf_reset(out);
    for (;;) {
        size_t got = 0;
        if ((rc = pk_buf_reserve(out, step))) break;
        if ((rc = pk_source_read(s, out->data + out->len, step, &got, err))) break;
        if (got == 0) break;
        out->len += got;
    }
    pk_source_close(s);
    return rc;
}

static int read_all(const char *path, size_t step, pk_buf *out, const char **kind, pk_error *err)
{
    return read_par_all(path, 0, 0, step, out, kind, err);
}

/* Deterministic text with lines of varying length (some empty). */
static void make_lines(pk_buf *out, size_t total, bool final_newline)
{
    uint32_t x = 12345;
    size_t line = 0;
    while (out->len < total) {
        x = x * 1103515245u + 12345u;
        size_t len = (x >> 16) % 3000;
        if ((x >> 8) % 17 == 0) len = 0;
        pk_buf_printf(out, "L%zu:", line++);
        for (size_t i = 0; i < len; i++) pk_buf_putc(out, 'a' + (int)((i + line) % 26));
        pk_buf_putc(out, '\n');
    }
    if (!final_newline) pk_buf_append(out, "tail-without-newline", 20);
}

static bool buf_eq(const pk_buf *b, const void *p, size_t n)
{
    return b->len == n && (n == 0 || memcmp(b->data, p, n) == 0);
}

static bool has(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

/* ---- sources ------------------------------------------------------------- */

/* A gzip file of many members, read by pk_source_parallel with small
 * blocks and by one thread in turn, gives the same bytes; and the same
 * bytes before the same error when a member is corrupt, the file is cut
 * short or garbage follows (the messages too on these files, where the
 * buffers of both ways end alike in the member that fails; in general
 * where igzip stops in it may differ);
 * and the same when a member holds a whole gzip member stored in it
 * (a member start inside a member: a false cut, caught), or the file is
 * one big member, or a member inflates to more than a block may hold. */
static void test_gzip_parallel_reads_as_in_turn(void)
{
    pk_buf text, gz, a, b;
    pk_buf_init(&text, 0);
    pk_buf_init(&gz, 0);
    pk_buf_init(&a, 0);
    pk_buf_init(&b, 0);
    make_lines(&text, 3000000, true);
    char path[512];
    tmp_path(path, sizeof path, "par.gz");
    for (int kind = 0; kind < 7; kind++) {
        pk_buf_reset(&gz);
        uint32_t x = 777;
        pk_buf noise;
        pk_buf_init(&noise, 0);
        bool bombed = false;
        if (kind == 5) {
            /* one big member that does not compress: no member start
             * for many blocks, so it is read in turn */
            for (size_t i = 0; i < 600000; i++) {
                x = x * 1103515245u + 12345u;
                pk_buf_putc(&noise, (int)(x >> 24));
            }
            gz_member(&gz, noise.data, noise.len);
        } else {
            for (size_t at = 0; at < text.len;) {
                x = x * 1103515245u + 12345u;
                size_t n = PK_MIN(text.len - at, (size_t)(1 + (x >> 8) % 9000));
                if (kind == 4 && at > 1000000 && at < 1010000) {
                    /* a member stored (level 0) whose bytes are 100 whole
                     * gzip members: member starts inside a member */
                    pk_buf inner, outer;
                    pk_buf_init(&inner, 0);
                    pk_buf_init(&outer, 0);
                    for (size_t k = 0; k < 100; k++) gz_member(&inner, text.data + k * 2000, 2000);
                    z_stream z;
                    memset(&z, 0, sizeof z);
                    if (deflateInit2(&z, 0, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) exit(2);
                    size_t bound = deflateBound(&z, (uLong)inner.len) + 64;
                    if (pk_buf_reserve(&gz, bound)) exit(2);
                    z.next_in = (Bytef *)inner.data;
                    z.avail_in = (uInt)inner.len;
                    z.next_out = (Bytef *)gz.data + gz.len;
                    z.avail_out = (uInt)bound;
                    if (deflate(&z, Z_FINISH) != Z_STREAM_END) exit(2);
                    gz.len += bound - z.avail_out;
                    deflateEnd(&z);
                    pk_buf_free(&inner);
                    pk_buf_free(&outer);
                }
                if (kind == 6 && at > 500000 && !bombed) {
                    bombed = true;
                    /* a member inflating to 4 MB (a small gzip bomb): more
                     * than a block may hold, so read in turn */
                    char *zeros = calloc(1, (size_t)4 << 20);
                    if (!zeros) exit(2);
                    gz_member(&gz, zeros, (size_t)4 << 20);
                    free(zeros);
                }
                gz_member(&gz, text.data + at, n);
                at += n;
            }
        }
        if (kind == 1) gz.data[gz.len / 2] ^= 0x55;       /* corrupt inside a member */
        if (kind == 2) gz.len = gz.len * 2 / 3;           /* cut short */
        if (kind == 3) pk_buf_append(&gz, "garbage!", 8); /* trailing garbage */
        write_file(path, gz.data, gz.len);
        pk_error e1, e2;
        memset(&e1, 0, sizeof e1);
        memset(&e2, 0, sizeof e2);
        int r1 = read_par_all(path, 0, 0, 65536, &a, NULL, &e1);
        for (int threads = 2; threads <= 3; threads++) {
            const size_t block = 4096 * (size_t)threads;
            int r2 = read_par_all(path, threads, block, 65536, &b, NULL, &e2);
            CHECK(r1 == r2);
            CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
            CHECK(strcmp(e1.msg, e2.msg) == 0 || r1 == 0);
            if (r1 != r2 || a.len != b.len || (r1 && strcmp(e1.msg, e2.msg) != 0))
                fprintf(stderr, "  kind %d, %d threads: rc %d/%d, %zu/%zu bytes, \"%s\" / \"%s\"\n", kind, threads, r1,
                        r2, a.len, b.len, r1 ? e1.msg : "", r2 ? e2.msg : "");
        }
        if (kind == 0) CHECK(r1 == 0 && buf_eq(&a, text.data, text.len));
        else if (kind == 5) CHECK(r1 == 0 && buf_eq(&a, noise.data, noise.len));
        else if (kind == 4) CHECK(r1 == 0 && a.len > text.len);
        else if (kind == 6) CHECK(r1 == 0 && a.len == text.len + ((size_t)4 << 20));
        else CHECK(r1 != 0);
        pk_buf_free(&noise);
    }
    pk_buf_free(&text);
    pk_buf_free(&gz);
    pk_buf_free(&a);
    pk_buf_free(&b);
}

static void test_plain_file_reads_back_exactly(void)
{
    char path[512];
    tmp_path(path, sizeof path, "plain.txt");
    write_file(path, "hello\nworld", 11);
    pk_buf b;
    pk_buf_init(&b, 0);
    const char *kind = NULL;
    for (size_t step = 1; step <= 4096; step *= 4) {
        pk_error err = { 0 };
        CHECK(read_all(path, step, &b, &kind, &err) == 0);
        CHECK(buf_eq(&b, "hello\nworld", 11));
        CHECK(kind && strcmp(kind, "plain") == 0);
    }
    pk_source *s = NULL;
    CHECK(pk_source_open(&s, path, NULL) == 0);
    CHECK(pk_source_size_hint(s) == 11); /* what reading it gives */
    char tmp[64];
    size_t got = 0;
    CHECK(pk_source_read(s, tmp, sizeof tmp, &got, NULL) == 0 && got == 11);
    CHECK(pk_source_read(s, tmp, sizeof tmp, &got, NULL) == 0 && got == 0);
    CHECK(pk_source_offset(s) == 11);
    pk_source_close(s);
    pk_buf_free(&b);
}

static void test_empty_and_tiny_files_are_plain(void)
{
    char path[512];
    tmp_path(path, sizeof path, "empty.txt");
    write_file(path, "", 0);
    pk_buf b;
    pk_buf_init(&b, 0);
    const char *kind = NULL;
    CHECK(read_all(path, 100, &b, &kind, NULL) == 0 && b.len == 0);
    CHECK(kind && strcmp(kind, "plain") == 0);
    /* one byte of the gzip magic is not gzip */
    write_file(path, "\x1f", 1);
    CHECK(read_all(path, 100, &b, &kind, NULL) == 0 && buf_eq(&b, "\x1f", 1));
    CHECK(kind && strcmp(kind, "plain") == 0);
    pk_buf_free(&b);
}

static void test_missing_file_names_the_path(void)
{
    char path[512];
    tmp_path(path, sizeof path, "does-not-exist.jsonl");
    pk_source *s = (pk_source *)1;
    pk_error err = { 0 };
    CHECK(pk_source_open(&s, path, &err) == PK_ENOTFOUND);
    CHECK(s == NULL);
    CHECK(has(err.msg, path));
    CHECK(pk_source_open(&s, tmpdir, &err) == PK_EINVAL); /* a directory */
}

static void test_gzip_single_and_multi_member(void)
{
    char path[512];
    tmp_path(path, sizeof path, "data.jsonl"); /* no .gz: sniffed, not named */
    pk_buf gz, b;
    pk_buf_init(&gz, 0);
    pk_buf_init(&b, 0);
    gz_member(&gz, "first member\n", 13);
    write_file(path, gz.data, gz.len);
    const char *kind = NULL;
    CHECK(read_all(path, 4096, &b, &kind, NULL) == 0);
    CHECK(kind && strcmp(kind, "gzip") == 0);
    CHECK(buf_eq(&b, "first member\n", 13));
    pk_source *s = NULL;
    CHECK(pk_source_open(&s, path, NULL) == 0);
    CHECK(pk_source_size_hint(s) == 0); /* compressed: the file's size says nothing */
    pk_source_close(s);

    gz_member(&gz, "", 0); /* an empty member in the middle */
    gz_member(&gz, "second\n", 7);
    write_file(path, gz.data, gz.len);
    for (size_t step = 1; step <= 65536; step *= 8) {
        pk_error err = { 0 };
        CHECK(read_all(path, step, &b, NULL, &err) == 0);
        CHECK(buf_eq(&b, "first member\nsecond\n", 20));
    }
    pk_buf_free(&gz);
    pk_buf_free(&b);
}

static void test_gzip_large_members_cross_read_blocks(void)
{
    char path[512];
    tmp_path(path, sizeof path, "big.gz");
    pk_buf text, gz, b;
    pk_buf_init(&text, 0);
    pk_buf_init(&gz, 0);
    pk_buf_init(&b, 0);
    make_lines(&text, 3u << 20, true);
    size_t half = text.len / 2;
    gz_member(&gz, text.data, half);
    gz_member(&gz, text.data + half, text.len - half);
    write_file(path, gz.data, gz.len);
    CHECK(read_all(path, 100000, &b, NULL, NULL) == 0);
    CHECK(buf_eq(&b, text.data, text.len));
    pk_source *s = NULL;
    CHECK(pk_source_open(&s, path, NULL) == 0);
    size_t got;
    do { CHECK(pk_source_read(s, b.data, 1 << 16, &got, NULL) == 0); } while (got);
    CHECK(pk_source_offset(s) == gz.len);
    pk_source_close(s);
    pk_buf_free(&text);
    pk_buf_free(&gz);
    pk_buf_free(&b);
}

/* Many small members, with every optional header field (FEXTRA, FNAME,
 * FCOMMENT, FHCRC) on some: their headers fall across the 256 KiB reads
 * of compressed input at every offset, and each must be read whole before
 * the decoder sees it (igzip read past its input while parsing a header
 * cut short, and decoded a WARC of small members wrongly). */
static void test_gzip_member_headers_across_reads(void)
{
    char path[512];
    tmp_path(path, sizeof path, "members.gz");
    pk_buf text, gz, b;
    pk_buf_init(&text, 0);
    pk_buf_init(&gz, 0);
    pk_buf_init(&b, 0);
    make_lines(&text, 3u << 20, true);
    uint64_t seed = 5;
    unsigned char extra[300];
    for (size_t i = 0; i < sizeof extra; i++) extra[i] = (unsigned char)(i * 7);
    for (size_t at = 0, m = 0; at < text.len; m++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        size_t n = PK_MIN(text.len - at, (size_t)(1 + (seed >> 33) % 3000));
        z_stream z;
        memset(&z, 0, sizeof z);
        if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) exit(2);
        gz_header h;
        memset(&h, 0, sizeof h);
        char name[64];
        snprintf(name, sizeof name, "member-%zu.txt", m);
        if (m % 2) h.name = (Bytef *)name;
        if (m % 3 == 1) { h.extra = extra; h.extra_len = (uInt)(m % sizeof extra); }
        if (m % 5 == 2) h.comment = (Bytef *)"a comment";
        h.hcrc = m % 7 == 3;
        if (m % 11) deflateSetHeader(&z, &h);
        size_t bound = deflateBound(&z, (uLong)n) + 512;
        if (pk_buf_reserve(&gz, bound)) exit(2);
        z.next_in = (Bytef *)(uintptr_t)(text.data + at);
        z.avail_in = (uInt)n;
        z.next_out = (Bytef *)gz.data + gz.len;
        z.avail_out = (uInt)bound;
        if (deflate(&z, Z_FINISH) != Z_STREAM_END) exit(2);
        gz.len += bound - z.avail_out;
        deflateEnd(&z);
        at += n;
    }
    write_file(path, gz.data, gz.len);
    size_t caps[] = {100, 4096, 65536, 1u << 20};
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        CHECK(read_all(path, caps[c], &b, NULL, NULL) == 0);
        CHECK(buf_eq(&b, text.data, text.len));
    }
    pk_buf_free(&text);
    pk_buf_free(&gz);
    pk_buf_free(&b);
}

static void test_zstd_two_frames(void)
{
    char path[512];
    tmp_path(path, sizeof path, "data.bin");
    pk_buf z, b, text;
    pk_buf_init(&z, 0);
    pk_buf_init(&b, 0);
    pk_buf_init(&text, 0);
    make_lines(&text, 1u << 20, false);
    zstd_frame(&z, "frame one\n", 10);
    zstd_frame(&z, text.data, text.len);
    write_file(path, z.data, z.len);
    const char *kind = NULL;
    for (size_t step = 7; step <= 1u << 20; step *= 64) {
        pk_error err = { 0 };
        CHECK(read_all(path, step, &b, &kind, &err) == 0);
        CHECK(kind && strcmp(kind, "zstd") == 0);
        CHECK(b.len == 10 + text.len);
        CHECK(b.len >= 10 && memcmp(b.data, "frame one\n", 10) == 0 &&
              memcmp(b.data + 10, text.data, text.len) == 0);
    }
    pk_buf_free(&z);
    pk_buf_free(&b);
    pk_buf_free(&text);
}

static void test_truncated_gzip_is_an_error_with_offset(void)
{
    char path[512], want[700];
    tmp_path(path, sizeof path, "cut.jsonl.gz");
    pk_buf gz, b, text;
    pk_buf_init(&gz, 0);
    pk_buf_init(&b, 0);
    pk_buf_init(&text, 0);
    make_lines(&text, 200000, true);
    gz_member(&gz, text.data, text.len);
    size_t cuts[] = { gz.len - 1, gz.len - 5, gz.len / 2, 10, 3 };
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        write_file(path, gz.data, cuts[k]);
        pk_error err = { 0 };
        CHECK(read_all(path, 4096, &b, NULL, &err) == PK_EFORMAT);
        snprintf(want, sizeof want, "%s: truncated gzip stream at byte %zu", path, cuts[k]);
        CHECK(strcmp(err.msg, want) == 0);
        if (strcmp(err.msg, want) != 0) fprintf(stderr, "  got: %s\n  want: %s\n", err.msg, want);
    }
    pk_buf_free(&gz);
    pk_buf_free(&b);
    pk_buf_free(&text);
}

static void test_truncated_zstd_is_an_error_with_offset(void)
{
    char path[512], want[700];
    tmp_path(path, sizeof path, "cut.zst");
    pk_buf z, b, text;
    pk_buf_init(&z, 0);
    pk_buf_init(&b, 0);
    pk_buf_init(&text, 0);
    make_lines(&text, 200000, true);
    zstd_frame(&z, "abc\n", 4);
    size_t first = z.len;
    zstd_frame(&z, text.data, text.len);
    size_t cuts[] = { z.len - 1, z.len - 4, first + (z.len - first) / 2, first + 4, first - 1, 5 };
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        write_file(path, z.data, cuts[k]);
        pk_error err = { 0 };
        CHECK(read_all(path, 4096, &b, NULL, &err) == PK_EFORMAT);
        snprintf(want, sizeof want, "%s: truncated zstd stream at byte %zu", path, cuts[k]);
        CHECK(strcmp(err.msg, want) == 0);
        if (strcmp(err.msg, want) != 0) fprintf(stderr, "  got: %s\n  want: %s\n", err.msg, want);
    }
    pk_buf_free(&z);
    pk_buf_free(&b);
    pk_buf_free(&text);
}

static void test_gzip_trailing_garbage_is_an_error(void)
{
    char path[512], want[700];
    tmp_path(path, sizeof path, "garbage.gz");
    pk_buf gz, b;
    pk_buf_init(&gz, 0);
    pk_buf_init(&b, 0);
    gz_member(&gz, "abc\n", 4);
    size_t member = gz.len;
    const char *tails[] = { "xyz", "\x1f", "\0\0\0\0" };
    size_t tail_len[] = { 3, 1, 4 };
    for (size_t k = 0; k < 3; k++) {
        gz.len = member;
        pk_buf_append(&gz, tails[k], tail_len[k]);
        write_file(path, gz.data, gz.len);
        pk_error err = { 0 };
        CHECK(read_all(path, 4096, &b, NULL, &err) == PK_EFORMAT);
        snprintf(want, sizeof want, "%s: trailing garbage after gzip member at byte %zu", path, member);
        CHECK(strcmp(err.msg, want) == 0);
    }
    pk_buf_free(&gz);
    pk_buf_free(&b);
}

static void test_corrupt_streams_are_errors(void)
{
    char path[512];
    tmp_path(path, sizeof path, "corrupt.gz");
    pk_buf c, b;
    pk_buf_init(&c, 0);
    pk_buf_init(&b, 0);
    gz_member(&c, "hello hello hello\n", 18);
    c.data[c.len - 6] ^= 0x55; /* the CRC-32 in the trailer */
    write_file(path, c.data, c.len);
    pk_error err = { 0 };
    CHECK(read_all(path, 4096, &b, NULL, &err) == PK_EFORMAT);
    CHECK(has(err.msg, "corrupt gzip stream at byte"));
    CHECK(has(err.msg, path));

    pk_buf_reset(&c);
    zstd_frame(&c, "hello hello hello\n", 18);
    pk_buf_append(&c, "junk-after-frame", 16);
    write_file(path, c.data, c.len);
    CHECK(read_all(path, 4096, &b, NULL, &err) == PK_EFORMAT);
    CHECK(has(err.msg, "corrupt zstd stream at byte"));
    pk_buf_free(&c);
    pk_buf_free(&b);
}

static void test_slurp_obeys_its_cap(void)
{
    char path[512];
    tmp_path(path, sizeof path, "slurp.gz");
    pk_buf gz, b;
    pk_buf_init(&gz, 0);
    pk_buf_init(&b, 0);
    gz_member(&gz, "0123456789", 10);
    write_file(path, gz.data, gz.len);
    pk_error err = { 0 };
    CHECK(pk_source_slurp(path, &b, 10, &err) == 0 && buf_eq(&b, "0123456789", 10));
    CHECK(pk_source_slurp(path, &b, 9, &err) == PK_ETOOBIG);
    CHECK(has(err.msg, path));
    CHECK(pk_source_slurp(path, &b, 1000, &err) == 0 && buf_eq(&b, "0123456789", 10));
    CHECK(b.data[b.len] == 0);
    pk_buf_free(&gz);
    pk_buf_free(&b);
}

static void test_peek_then_read_returns_the_same_bytes(void)
{
    char path[512];
    tmp_path(path, sizeof path, "peek.gz");
    pk_buf gz, b;
    pk_buf_init(&gz, 0);
    pk_buf_init(&b, 0);
    gz_member(&gz, "{\"text\":", 8);
    gz_member(&gz, "\"x\"}\n", 6);
    write_file(path, gz.data, gz.len);
    pk_source *s = NULL;
    CHECK(pk_source_open(&s, path, NULL) == 0);
    const char *p = NULL;
    size_t n = 0;
    CHECK(pk_source_peek(s, 3, &p, &n, NULL) == 0 && n == 3 && memcmp(p, "{\"t", 3) == 0);
    char tmp[64];
    size_t got = 0;
    CHECK(pk_source_read(s, tmp, 2, &got, NULL) == 0 && got == 2 && memcmp(tmp, "{\"", 2) == 0);
    CHECK(pk_source_peek(s, 10, &p, &n, NULL) == 0 && n == 10 && memcmp(p, "text\":\"x\"}", 10) == 0);
    CHECK(pk_source_peek(s, 100, &p, &n, NULL) == 0 && n == 12); /* short only at the end */
    pk_buf_reset(&b);
    do {
        CHECK(pk_source_read(s, tmp, 5, &got, NULL) == 0);
        pk_buf_append(&b, tmp, got);
    } while (got);
    CHECK(buf_eq(&b, "text\":\"x\"}\n", 12));
    CHECK(pk_source_peek(s, 100, &p, &n, NULL) == 0 && n == 0);
    pk_source_close(s);
    pk_buf_free(&gz);
    pk_buf_free(&b);
}

/* ---- lines --------------------------------------------------------------- */

/* Open path as lines, or exit. */
static pk_lines *open_lines(const char *path, size_t max_line, pk_source **src)
{
    pk_lines *l = NULL;
    if (pk_source_open(src, path, NULL) || pk_lines_open(&l, *src, max_line, NULL)) exit(2);
    return l;
}

/* ---- whole-file mappings ------------------------------------------------ */

/* Files of 1 byte, a page less one, a page, a page and one, two pages,
 * none ending in a newline: the mapping holds the file's bytes, the
 * source is at its end after it, and the bytes past the end of the last
 * page are never needed (the scanner does not read past n). */
static void test_map_holds_the_file_exactly(void)
{
    const long ps = sysconf(_SC_PAGESIZE);
    const size_t sizes[] = { 1, 11, (size_t)ps - 1, (size_t)ps, (size_t)ps + 1, 2 * (size_t)ps, 3 * (size_t)ps + 17 };
    char path[512];
    tmp_path(path, sizeof path, "map.txt");
    pk_buf want;
    pk_buf_init(&want, 0);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        pk_buf_reset(&want);
        for (size_t i = 0; i < sizes[k]; i++) pk_buf_putc(&want, (char)('a' + (i * 7 + k) % 26));
        write_file(path, want.data, want.len);
        pk_source *s = NULL;
        CHECK(pk_source_open(&s, path, NULL) == 0);
        if (!s) continue;
        pk_map *m = pk_source_map(s, (size_t)1 << 30);
        CHECK(m != NULL);
        if (m) {
            CHECK(pk_map_size(m) == sizes[k]);
            CHECK(memcmp(pk_map_data(m), want.data, sizes[k]) == 0);
            CHECK(!pk_map_cut(m));
            char tmp[8];
            size_t got = 1;
            CHECK(pk_source_read(s, tmp, sizeof tmp, &got, NULL) == 0 && got == 0);
            CHECK(pk_source_offset(s) == sizes[k]);
        }
        pk_source_close(s); /* the mapping outlives its source */
        if (m) CHECK(memcmp(pk_map_data(m), want.data, sizes[k]) == 0);
        pk_map_free(m);
    }
    pk_buf_free(&want);
}

/* What cannot be mapped, or must not be, comes back NULL and reads as
 * before: an empty file, one over the cap, a gzip file, a source read
 * from already; peeking does not count as reading. */
static void test_map_only_whole_plain_files(void)
{
    char path[512], gz[512];
    tmp_path(path, sizeof path, "map.txt");
    tmp_path(gz, sizeof gz, "map.gz");
    pk_source *s = NULL;
    write_file(path, "", 0);
    CHECK(pk_source_open(&s, path, NULL) == 0);
    CHECK(s && pk_source_map(s, 100) == NULL);
    pk_source_close(s);

    write_file(path, "hello\nworld", 11);
    CHECK(pk_source_open(&s, path, NULL) == 0);
    CHECK(s && pk_source_map(s, 10) == NULL); /* over the cap */
    char tmp[64];
    size_t got = 0;
    CHECK(pk_source_read(s, tmp, sizeof tmp, &got, NULL) == 0 && got == 11 && memcmp(tmp, "hello\nworld", 11) == 0);
    pk_source_close(s);

    CHECK(pk_source_open(&s, path, NULL) == 0);
    CHECK(pk_source_read(s, tmp, 3, &got, NULL) == 0 && got == 3);
    CHECK(s && pk_source_map(s, 100) == NULL); /* 3 bytes handed out */
    CHECK(pk_source_read(s, tmp, sizeof tmp, &got, NULL) == 0 && got == 8 && memcmp(tmp, "lo\nworld", 8) == 0);
    pk_source_close(s);

    CHECK(pk_source_open(&s, path, NULL) == 0);
    const char *p = NULL;
    size_t n = 0;
    CHECK(pk_source_peek(s, 4096, &p, &n, NULL) == 0 && n == 11);
    pk_map *m = s ? pk_source_map(s, 100) : NULL;
    CHECK(m && pk_map_size(m) == 11 && memcmp(pk_map_data(m), "hello\nworld", 11) == 0);
    CHECK(pk_source_read(s, tmp, sizeof tmp, &got, NULL) == 0 && got == 0);
    pk_map_free(m);
    pk_source_close(s);

    pk_buf z;
    pk_buf_init(&z, 0);
    gz_member(&z, "hello\nworld", 11);
    write_file(gz, z.data, z.len);
    pk_buf_free(&z);
    CHECK(pk_source_open(&s, gz, NULL) == 0);
    CHECK(s && pk_source_map(s, 100) == NULL);
    CHECK(pk_source_read(s, tmp, sizeof tmp, &got, NULL) == 0 && got == 11);
    pk_source_close(s);
}

/* A file cut short under its mapping: reading the lost pages raises
 * SIGBUS, which must not kill the process; they read as zeros and the
 * mapping says it was cut.  The pages before the cut keep their bytes. */
static void test_map_survives_a_file_cut_short(void)
{
    const size_t ps = (size_t)sysconf(_SC_PAGESIZE);
    char path[512];
    tmp_path(path, sizeof path, "map.txt");
    pk_buf b;
    pk_buf_init(&b, 0);
    for (size_t i = 0; i < 3 * ps + 100; i++) pk_buf_putc(&b, 'x');
    write_file(path, b.data, b.len);
    pk_source *s = NULL;
    CHECK(pk_source_open(&s, path, NULL) == 0);
    pk_map *m = s ? pk_source_map(s, (size_t)1 << 30) : NULL;
    CHECK(m != NULL);
    if (m) {
        CHECK(truncate(path, (off_t)ps) == 0);
        const volatile char *p = pk_map_data(m);
        CHECK(p[0] == 'x' && p[ps - 1] == 'x');
        CHECK(!pk_map_cut(m));
        CHECK(p[2 * ps + 5] == 0); /* a lost page: SIGBUS, caught */
        CHECK(pk_map_cut(m));
        CHECK(p[ps] == 0 && p[3 * ps + 99] == 0);
        CHECK(p[0] == 'x');
    }
    pk_map_free(m);
    pk_source_close(s);
    /* the guard slot is free again, and a new mapping starts uncut */
    write_file(path, "again", 5);
    CHECK(pk_source_open(&s, path, NULL) == 0);
    m = s ? pk_source_map(s, 100) : NULL;
    CHECK(m && !pk_map_cut(m) && memcmp(pk_map_data(m), "again", 5) == 0);
    pk_map_free(m);
    pk_source_close(s);
    pk_buf_free(&b);
}

static void test_lines_one_per_chunk_and_last_without_newline(void)
{
    char path[512];
    tmp_path(path, sizeof path, "lines.txt");
    write_file(path, "a\nbb\n\nccc", 9);
    pk_source *s;
    pk_lines *l = open_lines(path, 100, &s);
    pk_buf out;
    pk_buf_init(&out, 0);
    uint64_t first = 0;
    CHECK(pk_lines_chunk(l, &out, 1, &first, NULL) == 0 && buf_eq(&out, "a\n", 2) && first == 1);
    CHECK(pk_lines_chunk(l, &out, 1, &first, NULL) == 0 && buf_eq(&out, "bb\n", 3) && first == 2);
    CHECK(pk_lines_chunk(l, &out, 1, &first, NULL) == 0 && buf_eq(&out, "\n", 1) && first == 3);
    CHECK(pk_lines_chunk(l, &out, 1, &first, NULL) == 0 && buf_eq(&out, "ccc", 3) && first == 4);
    CHECK(pk_lines_chunk(l, &out, 1, &first, NULL) == 0 && out.len == 0);
    CHECK(pk_lines_chunk(l, &out, 1, &first, NULL) == 0 && out.len == 0);
    pk_lines_close(l);
    pk_source_close(s);
    pk_buf_free(&out);
}

static void test_lines_pack_up_to_target_and_keep_crlf(void)
{
    char path[512];
    tmp_path(path, sizeof path, "crlf.txt");
    write_file(path, "aa\r\nbb\r\ncc\r\n", 12);
    pk_source *s;
    pk_lines *l = open_lines(path, 100, &s);
    pk_buf out;
    pk_buf_init(&out, 0);
    uint64_t first = 0;
    CHECK(pk_lines_chunk(l, &out, 9, &first, NULL) == 0 && buf_eq(&out, "aa\r\nbb\r\n", 8) && first == 1);
    CHECK(pk_lines_chunk(l, &out, 9, &first, NULL) == 0 && buf_eq(&out, "cc\r\n", 4) && first == 3);
    CHECK(pk_lines_chunk(l, &out, 9, &first, NULL) == 0 && out.len == 0);
    pk_lines_close(l);
    pk_source_close(s);
    pk_buf_free(&out);
}

/* Chunks come in the reader's memory (out's is exchanged for it), but an
 * out with a cap under that memory gets a copy, and a chunk over its cap
 * is an error after the lines that fit. */
static void test_lines_into_a_capped_buffer(void)
{
    char path[512];
    tmp_path(path, sizeof path, "capped.txt");
    write_file(path, "aaaa\nbbbb\ncccccc\nd\n", 19);
    pk_source *s;
    pk_lines *l = open_lines(path, 100, &s);
    pk_buf out;
    pk_buf_init(&out, 10);
    uint64_t first = 0;
    pk_error err = { 0 };
    CHECK(pk_lines_chunk(l, &out, 100, &first, &err) == 0 && buf_eq(&out, "aaaa\nbbbb\n", 10) && first == 1);
    CHECK(out.max == 10 && out.cap <= 11);
    CHECK(pk_lines_chunk(l, &out, 100, &first, &err) == PK_ETOOBIG && has(err.msg, "line 3"));
    pk_lines_close(l);
    pk_source_close(s);
    pk_buf_free(&out);
}

static void test_lines_overlong_line_names_its_number(void)
{
    char path[512];
    tmp_path(path, sizeof path, "long.txt");
    write_file(path, "ok\n12345\ntoolong\nz\n", 19);
    pk_source *s;
    pk_lines *l = open_lines(path, 5, &s);
    pk_buf out;
    pk_buf_init(&out, 0);
    uint64_t first = 0;
    pk_error err = { 0 };
    /* the good lines come first, the error on the next call */
    CHECK(pk_lines_chunk(l, &out, 1000, &first, &err) == 0 && buf_eq(&out, "ok\n12345\n", 9));
    CHECK(pk_lines_chunk(l, &out, 1000, &first, &err) == PK_ETOOBIG);
    CHECK(has(err.msg, "line 3 ") && has(err.msg, path));
    CHECK(pk_lines_chunk(l, &out, 1000, &first, &err) == PK_ETOOBIG);
    pk_lines_close(l);
    pk_source_close(s);

    /* an overlong last line without a newline, and one longer than a read */
    pk_buf big;
    pk_buf_init(&big, 0);
    pk_buf_append(&big, "x\n", 2);
    for (size_t i = 0; i < (3u << 20); i++) pk_buf_putc(&big, 'y');
    write_file(path, big.data, big.len);
    l = open_lines(path, 1u << 20, &s);
    CHECK(pk_lines_chunk(l, &out, 1, &first, &err) == 0 && buf_eq(&out, "x\n", 2));
    CHECK(pk_lines_chunk(l, &out, 1, &first, &err) == PK_ETOOBIG && has(err.msg, "line 2 "));
    pk_lines_close(l);
    pk_source_close(s);
    l = open_lines(path, 4u << 20, &s);
    CHECK(pk_lines_chunk(l, &out, 1, &first, &err) == 0 && buf_eq(&out, "x\n", 2));
    CHECK(pk_lines_chunk(l, &out, 1, &first, &err) == 0 && out.len == big.len - 2 && first == 2);
    CHECK(pk_lines_chunk(l, &out, 1, &first, &err) == 0 && out.len == 0);
    pk_lines_close(l);
    pk_source_close(s);
    pk_buf_free(&big);
    pk_buf_free(&out);
}

/* Chunks of a multi-megabyte input: together they are the input, each
 * holds whole lines, stays under target unless it is one line, and
 * first_line counts right. */
static void check_chunks(const char *path, const pk_buf *text, size_t target)
{
    pk_source *s;
    pk_lines *l = open_lines(path, 1u << 20, &s);
    pk_buf out, all;
    pk_buf_init(&out, 0);
    pk_buf_init(&all, 0);
    uint64_t first = 0, lines = 1;
    bool ok = true;
    for (;;) {
        int rc = pk_lines_chunk(l, &out, target, &first, NULL);
        if (rc) { ok = false; break; }
        if (out.len == 0) break;
        if (first != lines) ok = false;
        size_t nl = 0;
        for (size_t i = 0; i < out.len; i++) nl += out.data[i] == '\n';
        bool ends_nl = out.data[out.len - 1] == '\n';
        if (out.len > target && nl > 1) ok = false;
        if (out.len > target && nl == 1 && !ends_nl) ok = false;
        lines += nl;
        pk_buf_append(&all, out.data, out.len);
    }
    CHECK(ok);
    CHECK(buf_eq(&all, text->data, text->len));
    pk_lines_close(l);
    pk_source_close(s);
    pk_buf_free(&out);
    pk_buf_free(&all);
}

static void test_lines_spanning_reads_plain_and_gzip(void)
{
    char path[512];
    pk_buf text, gz;
    pk_buf_init(&text, 0);
    pk_buf_init(&gz, 0);
    make_lines(&text, 5u << 20, false);
    tmp_path(path, sizeof path, "span.txt");
    write_file(path, text.data, text.len);
    check_chunks(path, &text, 1);
    check_chunks(path, &text, 10000);
    check_chunks(path, &text, 3u << 20);
    gz_member(&gz, text.data, text.len / 3);
    gz_member(&gz, text.data + text.len / 3, text.len - text.len / 3);
    tmp_path(path, sizeof path, "span.gz");
    write_file(path, gz.data, gz.len);
    check_chunks(path, &text, 65536);
    pk_buf_free(&text);
    pk_buf_free(&gz);
}

static void test_lines_report_truncated_gzip_after_good_lines(void)
{
    char path[512];
    tmp_path(path, sizeof path, "cutlines.gz");
    pk_buf gz, out;
    pk_buf_init(&gz, 0);
    pk_buf_init(&out, 0);
    gz_member(&gz, "one\ntwo\nthree\n", 14);
    write_file(path, gz.data, gz.len - 4);
    pk_source *s;
    pk_lines *l = open_lines(path, 100, &s);
    uint64_t first;
    pk_error err = { 0 };
    CHECK(pk_lines_chunk(l, &out, 1000, &first, &err) == 0 && buf_eq(&out, "one\ntwo\nthree\n", 14));
    CHECK(pk_lines_chunk(l, &out, 1000, &first, &err) == PK_EFORMAT);
    CHECK(has(err.msg, "truncated gzip stream at byte"));
    pk_lines_close(l);
    pk_source_close(s);
    pk_buf_free(&gz);
    pk_buf_free(&out);
}

/* ---- JSONL ----------------------------------------------------------------- */

typedef struct jres {
    int rc;
    size_t off;
    const char *why;
    bool has_id;
} jres;

static pk_buf jtext, jid;

static jres jx(const char *line, size_t len)
{
    jres r;
    r.rc = pk_jsonl_extract(line, len, "text", "id", &jtext, &jid, &r.has_id, &r.off, &r.why);
    return r;
}

#define JX(lit) jx(lit, sizeof(lit) - 1)

static void test_jsonl_unescapes_every_escape(void)
{
    jres r = JX("{\"text\":\"a\\nb\\\"c\\\\d\\/e\\bf\\fg\\rh\\ti\\u00e9j\\ud83d\\ude00k\\u0041\"}");
    static const char want[] = "a\nb\"c\\d/e\bf\fg\rh\ti\xc3\xa9j\xf0\x9f\x98\x80kA";
    CHECK(r.rc == 0);
    CHECK(buf_eq(&jtext, want, sizeof want - 1));
    CHECK(jtext.data[jtext.len] == 0);
    r = JX("{\"text\":\"plain ascii, caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x7f\"}");
    CHECK(r.rc == 0 && buf_eq(&jtext, "plain ascii, caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x7f", 29));
    r = JX("{\"text\":\"\\u0000x\\u07ff\\uffff\"}");
    CHECK(r.rc == 0 && buf_eq(&jtext, "\0x\xdf\xbf\xef\xbf\xbf", 7));
    r = JX("{\"text\":\"\"}");
    CHECK(r.rc == 0 && jtext.len == 0);
}

static void test_jsonl_lone_surrogates_become_replacement_char(void)
{
    jres r = JX("{\"text\":\"\\ud800x\"}");
    CHECK(r.rc == 0 && buf_eq(&jtext, "\xef\xbf\xbdx", 4));
    r = JX("{\"text\":\"\\udc00\"}");
    CHECK(r.rc == 0 && buf_eq(&jtext, "\xef\xbf\xbd", 3));
    r = JX("{\"text\":\"\\ud800\\u0041\"}");
    CHECK(r.rc == 0 && buf_eq(&jtext, "\xef\xbf\xbd" "A", 4));
    r = JX("{\"text\":\"\\ud800\\ud800\\udc00\"}");
    CHECK(r.rc == 0 && buf_eq(&jtext, "\xef\xbf\xbd\xf0\x90\x80\x80", 7));
    r = JX("{\"text\":\"\\ud800\"}");
    CHECK(r.rc == 0 && buf_eq(&jtext, "\xef\xbf\xbd", 3));
}

static void test_jsonl_id_as_string_number_and_literal(void)
{
    jres r = JX("{\"id\":\"doc-\\u0031\",\"text\":\"t\"}");
    CHECK(r.rc == 0 && r.has_id && buf_eq(&jid, "doc-1", 5));
    r = JX("{\"text\":\"t\", \"id\" : -12.5e+3 }");
    CHECK(r.rc == 0 && r.has_id && buf_eq(&jid, "-12.5e+3", 8));
    r = JX("{\"text\":\"t\",\"id\":null}");
    CHECK(r.rc == 0 && r.has_id && buf_eq(&jid, "null", 4));
    r = JX("{\"text\":\"t\",\"id\":{\"x\":1}}");
    CHECK(r.rc == 0 && !r.has_id && jid.len == 0);
    r = JX("{\"text\":\"t\"}");
    CHECK(r.rc == 0 && !r.has_id);
    r = JX("{\"id\":7,\"text\":\"t\",\"id\":[1]}"); /* last wins */
    CHECK(r.rc == 0 && !r.has_id);
    /* no id wanted */
    bool has_id = true;
    CHECK(pk_jsonl_extract("{\"id\":1,\"text\":\"t\"}", 19, "text", NULL, &jtext, NULL, &has_id,
                           NULL, NULL) == 0);
    CHECK(!has_id && buf_eq(&jtext, "t", 1));
}

static void test_jsonl_text_must_be_a_top_level_string(void)
{
    jres r = JX("{\"id\":\"x\"}");
    CHECK(r.rc == PK_ENOTFOUND && strcmp(r.why, "no text member") == 0);
    r = JX("{\"text\":42}");
    CHECK(r.rc == PK_ENOTFOUND && strcmp(r.why, "text member is not a string") == 0);
    r = JX("{\"text\":null}");
    CHECK(r.rc == PK_ENOTFOUND);
    r = JX("{\"meta\":{\"text\":\"nested\"},\"list\":[{\"text\":\"in array\"}]}");
    CHECK(r.rc == PK_ENOTFOUND);
    r = JX("{\"meta\":{\"text\":\"nested\"},\"text\":\"top\"}");
    CHECK(r.rc == 0 && buf_eq(&jtext, "top", 3));
    r = JX("[{\"text\":\"in array\"}]");
    CHECK(r.rc == PK_ENOTFOUND && strcmp(r.why, "not a JSON object") == 0);
    r = JX("\"text\"");
    CHECK(r.rc == PK_ENOTFOUND);
    r = JX(" 12 ");
    CHECK(r.rc == PK_ENOTFOUND);
    r = JX("{\"t\\u0065xt\":\"escaped key\"}");
    CHECK(r.rc == 0 && buf_eq(&jtext, "escaped key", 11));
    r = JX("{\"textx\":\"a\",\"tex\":\"b\"}");
    CHECK(r.rc == PK_ENOTFOUND);
}

static void test_jsonl_duplicate_key_last_wins(void)
{
    jres r = JX("{\"text\":\"first\",\"text\":\"second\"}");
    CHECK(r.rc == 0 && buf_eq(&jtext, "second", 6));
    r = JX("{\"text\":\"first\",\"text\":1}");
    CHECK(r.rc == PK_ENOTFOUND);
    r = JX("{\"text\":1,\"text\":\"x\"}");
    CHECK(r.rc == 0 && buf_eq(&jtext, "x", 1));
}

static void test_jsonl_whitespace_around_and_after(void)
{
    jres r = JX(" \t{ \"text\" :\n\"a\" , \"id\":1 } \r");
    CHECK(r.rc == 0 && buf_eq(&jtext, "a", 1) && r.has_id);
    r = JX("{\"text\":\"a\"}\r");
    CHECK(r.rc == 0);
}

typedef struct bad_case {
    const char *line;
    size_t len; /* 0: strlen */
    size_t off;
} bad_case;

static void test_jsonl_malformed_exact_offsets(void)
{
    static char deep[2000];
    size_t d = 0;
    d += (size_t)snprintf(deep, sizeof deep, "{\"a\":");
    for (int i = 0; i < 512; i++) deep[d++] = '[';
    deep[d] = 0;
    const bad_case cases[] = {
        { "{\"text\":\"abc\"", 0, 13 },
        { "{\"text\":tru}", 0, 11 },
        { "{\"text\":nul", 0, 11 },
        { "{\"a\":1,}", 0, 7 },
        { "{\"text\":\"a\x01" "b\"}", 0, 10 },
        { "{\"text\":\"a\tb\"}", 0, 10 },
        { "{\"text\":\"a\0b\"}", 14, 10 },
        { "{\"a\":1\0}", 8, 6 },           /* jansson drops this NUL */
        { "{\"text\":\"ab\xff" "cd\"}", 0, 11 },
        { "{\"text\":\"\xc3\x28\"}", 0, 9 },
        { "{\"text\":\"\xe2\x82\"}", 0, 9 },
        { "{\"text\":\"\xc0\xaf\"}", 0, 9 },         /* overlong */
        { "{\"text\":\"\xed\xa0\x80\"}", 0, 9 },     /* UTF-8 surrogate */
        { "{\"text\":\"\xf4\x90\x80\x80\"}", 0, 9 }, /* past U+10FFFF */
        { "{\"text\":\"ok\"}\xc3\xa9", 0, 13 },
        { "{\"a\":01}", 0, 6 },
        { "{\"a\":1.}", 0, 7 },
        { "{\"a\":-}", 0, 6 },
        { "{\"a\":1e+}", 0, 8 },
        { "{\"a\":+1}", 0, 5 },
        { "{\"a\":.5}", 0, 5 },
        { "{\"a\":\"\\x\"}", 0, 7 },
        { "{\"a\":\"\\u12G4\"}", 0, 10 },
        { "{\"a\":\"\\u12", 0, 10 },
        { "{\"a\":\"\\", 0, 7 },
        { "{a:1}", 0, 1 },
        { "{\"a\" 1}", 0, 5 },
        { "{\"a\":1 \"b\":2}", 0, 7 },
        { "{\"a\":[1,2}", 0, 9 },
        { "{\"a\":[1,]}", 0, 8 },
        { "{\"a\":True}", 0, 5 },
        { "{\"text\":\"a\"}}", 0, 12 },
        { "{\"text\":\"a\"} x", 0, 13 },
        { "{\"text\":\"a\"}\x0b", 0, 12 },
        { "", 0, 0 },
        { "   ", 0, 3 },
        { "{", 0, 1 },
        { "{\"a\":", 0, 5 },
        { "{'a':1}", 0, 1 },
        { "\xef\xbb\xbf{}", 0, 0 },
        { deep, 0, 5 + 511 },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const bad_case *c = &cases[k];
        size_t len = c->len ? c->len : strlen(c->line);
        jres r = jx(c->line, len);
        bool ok = r.rc == PK_EFORMAT && r.off == c->off && r.why != NULL;
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  case %zu: rc %d off %zu (want %zu) why %s\n", k, r.rc, r.off, c->off,
                    r.why ? r.why : "-");
    }
}

static void test_jsonl_depth_limit_and_big_numbers(void)
{
    pk_buf line;
    pk_buf_init(&line, 0);
    pk_buf_printf(&line, "{\"text\":\"x\",\"a\":");
    for (int i = 0; i < 511; i++) pk_buf_putc(&line, '[');
    for (int i = 0; i < 511; i++) pk_buf_putc(&line, ']');
    pk_buf_putc(&line, '}');
    jres r = jx(line.data, line.len);
    CHECK(r.rc == 0); /* depth 512 exactly */
    r = JX("{\"text\":\"a\",\"n\":1e999999,\"m\":-123456789012345678901234567890,\"z\":-0.0E-0}");
    CHECK(r.rc == 0);
    pk_buf_free(&line);
}

static void test_jsonl_text_over_buffer_cap(void)
{
    pk_buf small;
    pk_buf_init(&small, 4);
    const char *line = "{\"text\":\"abcdef\"}";
    size_t off;
    const char *why;
    CHECK(pk_jsonl_extract(line, strlen(line), "text", NULL, &small, NULL, NULL, &off, &why) == PK_ETOOBIG);
    line = "{\"text\":\"abcd\"}";
    CHECK(pk_jsonl_extract(line, strlen(line), "text", NULL, &small, NULL, NULL, &off, &why) == 0);
    CHECK(buf_eq(&small, "abcd", 4));
    pk_buf_free(&small);
}

/* A long string crossing the 16- and 32-byte SIMD blocks at every place. */
static void test_jsonl_specials_at_every_position(void)
{
    bool ok = true;
    for (size_t pos = 0; pos < 80 && ok; pos++) {
        for (int kind = 0; kind < 4 && ok; kind++) {
            pk_buf line, want;
            pk_buf_init(&line, 0);
            pk_buf_init(&want, 0);
            pk_buf_printf(&line, "{\"text\":\"");
            for (size_t i = 0; i < pos; i++) { pk_buf_putc(&line, 'a'); pk_buf_putc(&want, 'a'); }
            const char *ins[] = { "\\\"", "\xc3\xa9", "\\u00e9", "\x01" };
            const char *out[] = { "\"", "\xc3\xa9", "\xc3\xa9", NULL };
            pk_buf_printf(&line, "%s", ins[kind]);
            if (out[kind]) pk_buf_printf(&want, "%s", out[kind]);
            for (size_t i = 0; i < 70; i++) { pk_buf_putc(&line, 'b'); pk_buf_putc(&want, 'b'); }
            pk_buf_printf(&line, "\"}");
            jres r = jx(line.data, line.len);
            if (out[kind]) ok = r.rc == 0 && buf_eq(&jtext, want.data, want.len);
            else ok = r.rc == PK_EFORMAT && r.off == 9 + pos;
            pk_buf_free(&line);
            pk_buf_free(&want);
        }
    }
    CHECK(ok);
}

/* ---- JSONL against jansson ------------------------------------------------ */

static const char *const diff_lines[] = {
    "{}",
    "{\"text\":\"hello\"}",
    "{\"id\":\"doc-1\",\"text\":\"...\",\"meta\":{\"a\":[1,2,{\"b\":null}]}}",
    " { \"text\" : \"spaced\" } ",
    "{\"text\":\"tab\\there\"}",
    "{\"text\":\"\\u00e9\\u20ac\\ud83d\\ude00\"}",
    "{\"text\":\"caf\xc3\xa9\"}",
    "{\"text\":\"nul\\u0000inside\"}",
    "{\"text\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
    "{\"text\":1}",
    "{\"text\":[\"a\"]}",
    "{\"a\":true,\"b\":false,\"c\":null}",
    "{\"a\":-0,\"b\":0.5,\"c\":1e10,\"d\":1E-5,\"e\":-1.25e+3}",
    "{\"a\":[[[[[]]]]],\"text\":\"deep\"}",
    "{\"text\":\"a\",\"text\":\"b\"}",
    "{\"t\\u0065xt\":\"escaped key\"}",
    "{\"x\":{\"text\":\"nested\"}}",
    "[]",
    "[1,2,3]",
    "\"just a string\"",
    "42",
    "true",
    "null",
    "{\"text\":\"abc\"",
    "{\"text\":tru}",
    "{\"a\":1,}",
    "{\"text\":\"a\x01" "b\"}",
    "{\"text\":\"ab\xff" "cd\"}",
    "{\"text\":\"\xc3\x28\"}",
    "{\"text\":\"\xed\xa0\x80\"}",
    "{\"a\":01}",
    "{\"a\":1.}",
    "{\"a\":-}",
    "{\"a\":1e+}",
    "{\"a\":+1}",
    "{\"a\":.5}",
    "{\"a\":\"\\x\"}",
    "{\"a\":\"\\u12G4\"}",
    "{a:1}",
    "{\"a\" 1}",
    "{\"a\":1 \"b\":2}",
    "{\"a\":[1,2}",
    "{\"a\":[1,]}",
    "{\"a\":True}",
    "{\"text\":\"a\"}}",
    "{\"text\":\"a\"} x",
    "",
    "   ",
    "{",
    "{'a':1}",
    "\xef\xbb\xbf{}",
    "{\"text\":\"a\"}\r\n",
    "[1] [2]",
    "{\"a\":nulll}",
    "{\"a\":\"\x7f\"}",
};

/* Compare one line with jansson.  Validity must agree; for an object whose
 * text is a string, the bytes must be equal. */
static bool agrees_with_jansson(const char *line, size_t len)
{
    json_error_t je;
    json_t *root = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    bool has_id;
    size_t off;
    const char *why;
    int rc = pk_jsonl_extract(line, len, "text", "id", &jtext, &jid, &has_id, &off, &why);
    bool ok;
    if (!root) {
        ok = rc == PK_EFORMAT;
    } else if (rc == PK_EFORMAT) {
        ok = false;
    } else {
        json_t *t = json_is_object(root) ? json_object_get(root, "text") : NULL;
        if (json_is_string(t))
            ok = rc == 0 && buf_eq(&jtext, json_string_value(t), json_string_length(t));
        else
            ok = rc == PK_ENOTFOUND;
    }
    if (!ok)
        fprintf(stderr, "  disagree on [%.*s]: rc %d (%s), jansson %s\n", (int)len, line, rc,
                why ? why : "-", root ? "valid" : je.text);
    json_decref(root);
    return ok;
}

static void test_jsonl_agrees_with_jansson(void)
{
    for (size_t k = 0; k < sizeof diff_lines / sizeof diff_lines[0]; k++)
        CHECK(agrees_with_jansson(diff_lines[k], strlen(diff_lines[k])));
    CHECK(agrees_with_jansson("{\"text\":\"a\0b\"}", 14)); /* raw NUL */
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/pk_test_io_XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    pk_buf_init(&jtext, 0);
    pk_buf_init(&jid, 0);

    test_plain_file_reads_back_exactly();
    test_gzip_parallel_reads_as_in_turn();
    test_empty_and_tiny_files_are_plain();
    test_missing_file_names_the_path();
    test_gzip_single_and_multi_member();
    test_gzip_large_members_cross_read_blocks();
    test_gzip_member_headers_across_reads();
    test_zstd_two_frames();
    test_truncated_gzip_is_an_error_with_offset();
    test_truncated_zstd_is_an_error_with_offset();
    test_gzip_trailing_garbage_is_an_error();
    test_corrupt_streams_are_errors();
    test_slurp_obeys_its_cap();
    test_peek_then_read_returns_the_same_bytes();
    test_map_holds_the_file_exactly();
    test_map_only_whole_plain_files();
    test_map_survives_a_file_cut_short();
    test_lines_one_per_chunk_and_last_without_newline();
    test_lines_pack_up_to_target_and_keep_crlf();
    test_lines_into_a_capped_buffer();
    test_lines_overlong_line_names_its_number();
    test_lines_spanning_reads_plain_and_gzip();
    test_lines_report_truncated_gzip_after_good_lines();
    test_jsonl_unescapes_every_escape();
    test_jsonl_lone_surrogates_become_replacement_char();
    test_jsonl_id_as_string_number_and_literal();
    test_jsonl_text_must_be_a_top_level_string();
    test_jsonl_duplicate_key_last_wins();
    test_jsonl_whitespace_around_and_after();
    test_jsonl_malformed_exact_offsets();
    test_jsonl_depth_limit_and_big_numbers();
    test_jsonl_text_over_buffer_cap();
    test_jsonl_specials_at_every_position();
    test_jsonl_agrees_with_jansson();

    pk_buf_free(&jtext);
    pk_buf_free(&jid);
    /* remove the scratch directory and what the tests left in it */
    const char *names[] = { "plain.txt", "empty.txt", "data.jsonl", "big.gz", "data.bin",
                            "cut.jsonl.gz", "cut.zst", "garbage.gz", "corrupt.gz", "slurp.gz",
                            "lines.txt", "crlf.txt", "long.txt", "span.txt", "span.gz",
                            "cutlines.gz", "peek.gz", "map.txt", "map.gz" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char p[512];
        tmp_path(p, sizeof p, names[i]);
        unlink(p);
    }
    rmdir(tmpdir);
    printf("test_io: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
