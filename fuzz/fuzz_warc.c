/* fuzz_warc.c -- the WARC splitter, reader and HTTP payload decoders on
 * arbitrary bytes.
 *
 * pk_warc_head answers 0, more, or an error with a reason, and never
 * claims more header than it was given.  The input is written to a file
 * and read with pk_warc_reader twice, with chunk targets of 1 byte and
 * 4 KiB: every chunk must split into whole records by pk_warc_parse (an
 * oversized record's chunk is its header alone), both reads must hand out
 * the same bytes and end the same way, every error must name the file,
 * and for plain input the records must be the input's bytes in order.
 * Each record's block goes through pk_http_parse, pk_http_dechunk and
 * pk_http_inflate (capped at 1 MiB, so a bomb stays cheap). */
#include "pk.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pk_buf scratch;

static void payload(const pk_warc_rec *w)
{
    pk_http_msg m;
    const char *why = NULL;
    int rc = pk_http_parse(w->block, w->block_len, &m, &why);
    if (rc && (rc != PK_EFORMAT || !why)) abort();
    if (rc) return;
    if (m.body < w->block || m.body + m.body_len > w->block + w->block_len) abort();
    rc = pk_http_dechunk(m.body, m.body_len, &scratch, &why);
    if (rc && !why) abort();
    if (!rc && scratch.len > m.body_len) abort();
    rc = pk_http_inflate(m.body, m.body_len, &scratch, &why);
    if (rc && !why) abort();
}

/* Read path in chunks of about target bytes into all; returns the end code. */
static int read_all(const char *path, size_t target, pk_buf *all, int *plain, pk_error *e)
{
    pk_source *src = NULL;
    pk_warc_reader *r = NULL;
    pk_buf chunk;
    pk_buf_init(&chunk, 0);
    pk_buf_reset(all);
    int rc = pk_source_open(&src, path, e);
    if (!rc) {
        *plain = strcmp(pk_source_kind(src), "plain") == 0;
        rc = pk_warc_reader_open(&r, src, path, 4096, e);
    }
    while (!rc) {
        uint64_t first;
        bool over;
        rc = pk_warc_chunk(r, &chunk, target, &first, &over, e);
        if (rc || chunk.len == 0) break;
        size_t off = 0;
        while (off < chunk.len) {
            pk_warc_rec w;
            const char *why = NULL;
            int x = pk_warc_parse(chunk.data + off, chunk.len - off, &w, &why);
            if (over) {
                size_t hl;
                uint64_t bl;
                if (pk_warc_head(chunk.data, chunk.len, &hl, &bl, &why) != 0 || hl != chunk.len || bl <= 4096) abort();
                off = chunk.len;
                break;
            }
            if (x || w.total == 0 || w.total > chunk.len - off) abort();
            payload(&w);
            off += w.total;
        }
        if (pk_buf_append(all, chunk.data, chunk.len)) abort();
    }
    if (rc && (rc != e->code || !strstr(e->msg, path))) abort();
    pk_buf_free(&chunk);
    pk_warc_reader_close(r);
    pk_source_close(src);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        pk_buf_init(&scratch, (size_t)1 << 20);
        ready = true;
    }
    size_t hl;
    uint64_t bl;
    const char *why = NULL;
    int rc = pk_warc_head((const char *)data, size, &hl, &bl, &why);
    if (rc == 0 && (hl > size || hl < 10 || why)) abort();
    if (rc != 0 && rc != PK_WARC_MORE && rc != PK_EFORMAT && rc != PK_ETOOBIG) abort();
    if ((rc == PK_EFORMAT || rc == PK_ETOOBIG) && !why) abort();

    char path[64];
    snprintf(path, sizeof path, "/tmp/pk_fuzz_warc.%ld", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    if (fwrite(data, 1, size, f) != size) { fclose(f); return 0; }
    fclose(f);
    pk_buf a, b;
    pk_buf_init(&a, 0);
    pk_buf_init(&b, 0);
    pk_error e1, e2;
    int plain = 0;
    int r1 = read_all(path, 1, &a, &plain, &e1);
    int r2 = read_all(path, 4096, &b, &plain, &e2);
    if (r1 != r2 || a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0) || (r1 && strcmp(e1.msg, e2.msg) != 0)) {
        fprintf(stderr, "r1=%d r2=%d a=%zu b=%zu\n m1=%s\n m2=%s\n", r1, r2, a.len, b.len, r1 ? e1.msg : "", r2 ? e2.msg : "");
        abort();
    }
    if (plain && a.len > size) abort();
    pk_buf_free(&a);
    pk_buf_free(&b);
    unlink(path);
    return 0;
}
