/* compress.c -- write what the readers read: gzip members and zstd frames.
 *
 * `filter --keep out.warc.gz` must give back a crawl in the form crawls
 * are kept: one gzip member per WARC record, as Common Crawl and wget
 * write them (a reader can then start at any record).  Other kept output
 * (JSONL lines, text paths) goes as one member or frame per batch the
 * writer hands over (about a megabyte), which any gzip or zstd reader
 * reads as one stream.
 *
 * A pk_compressor holds one deflate state (zlib) or one compression
 * context (zstd), reset for every member, so a member costs no
 * allocation.  zlib's level 6 (gzip's default) and zstd's level 3
 * (zstd's default): the outputs are what `gzip` and `zstd` would make. */
#include "pk.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

struct pk_compressor {
    int kind;
    z_stream z;
    bool z_ready;
    ZSTD_CCtx *zc;
};

int pk_compress_kind_of_name(const char *path)
{
    size_t n = strlen(path);
    if (n > 3 && strcmp(path + n - 3, ".gz") == 0) return PK_COMP_GZIP;
    if (n > 4 && strcmp(path + n - 4, ".zst") == 0) return PK_COMP_ZSTD;
    if (n > 5 && strcmp(path + n - 5, ".zstd") == 0) return PK_COMP_ZSTD;
    return PK_COMP_NONE;
}

int pk_compressor_new(pk_compressor **out, int kind, pk_error *err)
{
    *out = NULL;
    pk_compressor *c = calloc(1, sizeof *c);
    if (!c) return pk_fail(err, PK_ENOMEM, "out of memory");
    c->kind = kind;
    if (kind == PK_COMP_GZIP) {
        if (deflateInit2(&c->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            free(c);
            return pk_fail(err, PK_ENOMEM, "cannot initialise zlib");
        }
        c->z_ready = true;
    } else if (kind == PK_COMP_ZSTD) {
        if (!(c->zc = ZSTD_createCCtx())) {
            free(c);
            return pk_fail(err, PK_ENOMEM, "cannot initialise zstd");
        }
    }
    *out = c;
    return 0;
}

void pk_compressor_free(pk_compressor *c)
{
    if (!c) return;
    if (c->z_ready) deflateEnd(&c->z);
    ZSTD_freeCCtx(c->zc);
    free(c);
}

int pk_compress_member(pk_compressor *c, pk_buf *out, const void *p, size_t n, pk_error *err)
{
    if (c->kind == PK_COMP_NONE) {
        if (pk_buf_append(out, p, n)) return pk_fail(err, PK_ENOMEM, "out of memory");
        return 0;
    }
    if (c->kind == PK_COMP_ZSTD) {
        size_t bound = ZSTD_compressBound(n);
        if (pk_buf_reserve(out, bound)) return pk_fail(err, PK_ENOMEM, "out of memory");
        size_t r = ZSTD_compressCCtx(c->zc, out->data + out->len, bound, p, n, 3);
        if (ZSTD_isError(r)) return pk_fail(err, PK_EINTERNAL, "zstd: %s", ZSTD_getErrorName(r));
        out->len += r;
        return 0;
    }
    /* gzip: one member, in pieces of at most UINT_MAX (zlib's counters). */
    if (deflateReset(&c->z) != Z_OK) return pk_fail(err, PK_EINTERNAL, "zlib: deflateReset failed");
    const unsigned char *in = p;
    size_t left = n;
    for (;;) {
        uInt take = (uInt)PK_MIN(left, (size_t)1 << 30);
        c->z.next_in = (Bytef *)(uintptr_t)in;
        c->z.avail_in = take;
        const int flush = take == left ? Z_FINISH : Z_NO_FLUSH;
        int zr;
        do {
            if (pk_buf_reserve(out, (size_t)deflateBound(&c->z, take) + 64)) return pk_fail(err, PK_ENOMEM, "out of memory");
            size_t room = PK_MIN(out->cap - out->len - 1, (size_t)1 << 30);
            c->z.next_out = (Bytef *)out->data + out->len;
            c->z.avail_out = (uInt)room;
            zr = deflate(&c->z, flush);
            out->len += room - c->z.avail_out;
            if (zr == Z_STREAM_ERROR) return pk_fail(err, PK_EINTERNAL, "zlib: deflate failed");
        } while (c->z.avail_in > 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
        in += take;
        left -= take;
        if (flush == Z_FINISH) return 0;
    }
}
