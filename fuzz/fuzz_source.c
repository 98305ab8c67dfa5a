/* fuzz_source.c -- pk_source and pk_lines over arbitrary files.
 *
 * The input is written to a file and read three ways: pk_source_slurp,
 * pk_source_read in small odd-sized steps with a peek in between, and
 * pk_lines with a small line limit.  None may crash or hang, every error
 * must name the file, and where the ways all reach the end they must
 * return the same bytes (or the same error).  Output is capped at 1 MiB so
 * a compression bomb stays cheap.  A fourth way, pk_source_map after a
 * peek, must map a plain non-empty file (and only such a file: not gzip
 * or zstd) with the bytes slurp read.  A fifth, pk_source_parallel with
 * tiny blocks, must read what reading in turn reads, or fail with the same
 * code. */
#include "pk.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP ((size_t)1 << 20)

static void check_msg(int rc, const pk_error *err, const char *path)
{
    if (rc == 0) return;
    if (err->code != rc || !strstr(err->msg, path)) abort();
    if (rc == PK_EFORMAT && !strstr(err->msg, " at byte ")) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/pk_fuzz_source.%ld", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    if (fwrite(data, 1, size, f) != size) { fclose(f); return 0; }
    fclose(f);

    pk_buf a, b, c, chunk;
    pk_buf_init(&a, 0);
    pk_buf_init(&b, 0);
    pk_buf_init(&c, 0);
    pk_buf_init(&chunk, 0);
    pk_error err;

    /* 1: slurp */
    memset(&err, 0, sizeof err);
    int rc_a = pk_source_slurp(path, &a, CAP, &err);
    check_msg(rc_a, &err, path);

    /* 2: small reads and peeks */
    pk_source *s = NULL;
    int rc_b = pk_source_open(&s, path, &err);
    bool capped_b = false;
    if (rc_b == 0) {
        size_t step = 1 + (size ? data[0] % 17 : 0);
        for (;;) {
            if (b.len > CAP) { capped_b = true; break; }
            const char *p;
            size_t n;
            if ((b.len / step) % 5 == 1) {
                memset(&err, 0, sizeof err);
                rc_b = pk_source_peek(s, step * 3, &p, &n, &err);
                if (rc_b) { check_msg(rc_b, &err, path); break; }
                if (n > step * 3) abort();
            }
            if (pk_buf_reserve(&b, step)) abort();
            size_t got = 0;
            memset(&err, 0, sizeof err);
            rc_b = pk_source_read(s, b.data + b.len, step, &got, &err);
            if (rc_b) { check_msg(rc_b, &err, path); break; }
            if (got > step) abort();
            if (got == 0) break;
            b.len += got;
        }
        pk_source_close(s);
    }

    /* 3: lines */
    s = NULL;
    int rc_c = pk_source_open(&s, path, &err);
    bool capped_c = false;
    if (rc_c == 0) {
        pk_lines *l = NULL;
        if (pk_lines_open(&l, s, 64, &err)) abort();
        uint64_t first = 0, expect = 1;
        for (;;) {
            if (c.len > CAP) { capped_c = true; break; }
            memset(&err, 0, sizeof err);
            rc_c = pk_lines_chunk(l, &chunk, 100, &first, &err);
            if (rc_c) { check_msg(rc_c, &err, path); break; }
            if (chunk.len == 0) break;
            if (first != expect) abort();
            size_t nl = 0;
            for (size_t i = 0; i < chunk.len; i++) nl += chunk.data[i] == '\n';
            if (chunk.data[chunk.len - 1] != '\n') nl++; /* the last line */
            if (chunk.len > 100 && nl != 1) abort();
            expect += nl;
            pk_buf_append(&c, chunk.data, chunk.len);
        }
        pk_lines_close(l);
        pk_source_close(s);
    }

    /* 4: mapped whole, after a peek */
    s = NULL;
    if (pk_source_open(&s, path, &err) == 0) {
        const char *p;
        size_t n;
        const int rc_p = pk_source_peek(s, 1 + (size ? data[size - 1] % 300 : 0), &p, &n, &err);
        const bool plain = strcmp(pk_source_kind(s), "plain") == 0;
        pk_map *m = rc_p == 0 ? pk_source_map(s, CAP) : NULL;
        if (m && !plain) abort();
        if (rc_p == 0 && plain && size > 0 && size <= CAP && !m) abort();
        if (m && rc_a == 0 && (pk_map_size(m) != a.len || memcmp(pk_map_data(m), a.data, a.len) != 0)) abort();
        if (m) {
            size_t got = 1;
            char one;
            if (pk_source_read(s, &one, 1, &got, &err) || got != 0) abort(); /* at the end */
        }
        pk_map_free(m);
        pk_source_close(s);
    }

    /* 5: gzip members inflated in parallel (blocks of 64 bytes, so small
     * inputs are cut too) against reading in turn, both in 4 KiB reads:
     * the same bytes, or the same error. */
    {
        pk_buf seq, par;
        pk_buf_init(&seq, 0);
        pk_buf_init(&par, 0);
        int rcs[2] = {0, 0};
        pk_error errs[2];
        memset(errs, 0, sizeof errs);
        for (int way = 0; way < 2; way++) {
            pk_buf *o = way ? &par : &seq;
            s = NULL;
            if ((rcs[way] = pk_source_open(&s, path, &errs[way]))) continue;
            if (way) pk_source_parallel(s, 2 + (size ? data[0] % 3 : 0), 64);
            for (;;) {
                if (o->len > CAP) break;
                if (pk_buf_reserve(o, 4096)) abort();
                size_t got = 0;
                if ((rcs[way] = pk_source_read(s, o->data + o->len, 4096, &got, &errs[way]))) break;
                if (!got) break;
                o->len += got;
            }
            pk_source_close(s);
        }
        if (seq.len <= CAP && par.len <= CAP) {
            if (rcs[0] != rcs[1]) abort();
            if (rcs[0] == 0 && (seq.len != par.len || (seq.len && memcmp(seq.data, par.data, seq.len) != 0))) abort();
            /* the same error; where igzip stops inside a damaged member
             * (the byte named, the last bytes handed out) depends on how
             * its input was buffered, so the message is not compared */
        }
        pk_buf_free(&seq);
        pk_buf_free(&par);
    }

    /* Compare where all reached the end. */
    if (rc_a != PK_ETOOBIG && !capped_b) {
        if (rc_a != rc_b) abort();
        if (rc_a == 0 && (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0))) abort();
    }
    if (rc_a != PK_ETOOBIG && !capped_c && rc_c != PK_ETOOBIG) {
        if (rc_a != rc_c) abort();
        if (rc_a == 0 && (a.len != c.len || (a.len && memcmp(a.data, c.data, a.len) != 0))) abort();
    }

    pk_buf_free(&a);
    pk_buf_free(&b);
    pk_buf_free(&c);
    pk_buf_free(&chunk);
    unlink(path);
    return 0;
}
