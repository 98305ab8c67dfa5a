/* warc.c -- WARC records (ISO 28500, WARC/1.0 and WARC/1.1): splitting a
 * stream into records, reading their headers, and the HTTP payload of a
 * response record.
 *
 * A record is
 *     "WARC/1.x" CRLF *(field CRLF) CRLF  block  CRLF CRLF
 * where the block is exactly Content-Length bytes.  Content-Length is the
 * only way to find the end of a record (a block may hold anything), so a
 * record without one, or with one that runs past the end of the input, is
 * an error, and reading stops there: there is no safe way to resynchronize
 * on "WARC/" inside arbitrary bytes.
 *
 * Tolerance, for writers seen in the wild:
 *   - header lines may end in LF alone (the blank line too);
 *   - field names are matched case-insensitively, values are trimmed;
 *     continuation lines (leading space or tab) belong to the field above;
 *   - the separator after the block is taken as whatever CR and LF bytes
 *     follow it, up to four; a missing separator at the end of the input
 *     is accepted; CR and LF bytes beyond those four, before the next
 *     "WARC/", are not part of any record and are dropped.
 * A record is the bytes from its "WARC/" through its separator, exactly
 * as read: `picket filter` writes kept records back byte for byte.
 *
 * The reader (pk_warc_reader) hands out chunks of whole records read from
 * a pk_source, which has already undone gzip (one member per record, as
 * wget and Common Crawl write, or one for the whole file) or zstd.  A
 * record whose block is larger than max_record is not buffered: its header
 * alone comes back in a chunk of its own, flagged, and the block is read
 * and dropped.  Errors are held back until the good records before them
 * were handed out, as pk_lines does. */
#include "pk.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <limits.h>
#include <zlib.h>

#define READ_BLOCK ((size_t)1 << 20)

/* ---- headers ---------------------------------------------------------------- */

static bool is_sep(char c) { return c == '\r' || c == '\n'; }

int pk_warc_head(const char *p, size_t n, size_t *head_len, uint64_t *block_len, const char **why)
{
    *head_len = 0;
    *block_len = 0;
    *why = NULL;
    if (n < 5) {
        if (memcmp(p, "WARC/", n) != 0) goto notwarc;
        return PK_WARC_MORE;
    }
    if (memcmp(p, "WARC/", 5) != 0) goto notwarc;
    size_t lim = PK_MIN(n, (size_t)PK_WARC_MAX_HEADER);
    const char *nl = memchr(p, '\n', lim);
    if (!nl) goto more_or_big;
    bool have_len = false;
    uint64_t len = 0;
    size_t pos = (size_t)(nl - p) + 1;
    for (;;) {
        nl = memchr(p + pos, '\n', lim - pos);
        if (!nl) goto more_or_big;
        size_t e = (size_t)(nl - p), le = e;
        if (le > pos && p[le - 1] == '\r') le--;
        if (le == pos) { /* the blank line */
            pos = e + 1;
            break;
        }
        static const char cl[] = "content-length:";
        if (le - pos >= sizeof cl - 1 && strncasecmp(p + pos, cl, sizeof cl - 1) == 0) {
            size_t i = pos + sizeof cl - 1;
            while (i < le && (p[i] == ' ' || p[i] == '\t')) i++;
            if (i == le) { *why = "empty Content-Length"; return PK_EFORMAT; }
            len = 0;
            for (; i < le && p[i] >= '0' && p[i] <= '9'; i++) {
                if (len > (UINT64_MAX - 9) / 10) { *why = "Content-Length out of range"; return PK_EFORMAT; }
                len = len * 10 + (uint64_t)(p[i] - '0');
            }
            while (i < le && (p[i] == ' ' || p[i] == '\t')) i++;
            if (i != le) { *why = "Content-Length is not a number"; return PK_EFORMAT; }
            have_len = true;
        }
        pos = e + 1;
    }
    if (!have_len) { *why = "no Content-Length"; return PK_EFORMAT; }
    *head_len = pos;
    *block_len = len;
    return 0;
more_or_big:
    if (n >= PK_WARC_MAX_HEADER) { *why = "header longer than 1 MiB"; return PK_ETOOBIG; }
    return PK_WARC_MORE;
notwarc:
    *why = "not a WARC record (no \"WARC/\" version line)";
    return PK_EFORMAT;
}

size_t pk_warc_sep(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && i < 4 && is_sep(p[i])) i++;
    return i;
}

/* Trim blanks (and a CR) on both sides of p[0..*n). */
static const char *trim(const char *p, size_t *n)
{
    while (*n && (*p == ' ' || *p == '\t')) { p++; (*n)--; }
    while (*n && (p[*n - 1] == ' ' || p[*n - 1] == '\t' || p[*n - 1] == '\r')) (*n)--;
    return p;
}

/* Calls cb for every field of the header block h[0..n) (after its first
 * line, up to the blank line).  A continuation line is given as a field
 * of its own with an empty name, which the callers here ignore: the fields
 * picket reads are single-line in every writer. */
typedef void (*field_fn)(const char *name, size_t nn, const char *val, size_t vn, void *ud);

static void each_field(const char *h, size_t n, field_fn cb, void *ud)
{
    const char *nl = memchr(h, '\n', n);
    size_t pos = nl ? (size_t)(nl - h) + 1 : n;
    while (pos < n) {
        nl = memchr(h + pos, '\n', n - pos);
        size_t e = nl ? (size_t)(nl - h) : n, le = e;
        if (le > pos && h[le - 1] == '\r') le--;
        if (le == pos) break;
        const char *line = h + pos;
        size_t ln = le - pos;
        const char *colon = memchr(line, ':', ln);
        if (colon && line[0] != ' ' && line[0] != '\t') {
            size_t nn = (size_t)(colon - line), vn = ln - nn - 1;
            const char *name = trim(line, &nn);
            const char *val = trim(colon + 1, &vn);
            cb(name, nn, val, vn, ud);
        }
        pos = e + 1;
    }
}

static bool name_is(const char *name, size_t nn, const char *want)
{
    size_t wn = strlen(want);
    return nn == wn && strncasecmp(name, want, wn) == 0;
}

static void warc_field(const char *name, size_t nn, const char *val, size_t vn, void *ud)
{
    pk_warc_rec *r = ud;
#define TAKE(field, text)                                              \
    if (name_is(name, nn, text)) {                                     \
        r->field = val;                                                \
        r->field##_len = vn;                                           \
        return;                                                        \
    }
    TAKE(type, "WARC-Type")
    TAKE(id, "WARC-Record-ID")
    TAKE(uri, "WARC-Target-URI")
    TAKE(date, "WARC-Date")
    TAKE(ctype, "Content-Type")
    TAKE(ptype, "WARC-Identified-Payload-Type")
    TAKE(truncated, "WARC-Truncated")
#undef TAKE
}

static void strip_brackets(pk_warc_rec *r);

int pk_warc_parse(const char *p, size_t n, pk_warc_rec *r, const char **why)
{
    memset(r, 0, sizeof *r);
    size_t hl;
    uint64_t bl;
    int rc = pk_warc_head(p, n, &hl, &bl, why);
    if (rc == PK_WARC_MORE) { *why = "truncated WARC header"; return PK_EFORMAT; }
    if (rc) return rc;
    r->head_len = hl;
    each_field(p, hl, warc_field, r);
    r->block = p + hl;
    if (bl > n - hl) {
        /* The fields are filled in: the caller may still name the record. */
        r->block_len = n - hl;
        r->total = n;
        strip_brackets(r);
        *why = "Content-Length runs past the end of the record";
        return PK_EFORMAT;
    }
    r->block_len = (size_t)bl;
    r->total = hl + (size_t)bl + pk_warc_sep(p + hl + bl, n - hl - (size_t)bl);
    strip_brackets(r);
    return 0;
}

static void strip_brackets(pk_warc_rec *r)
{
    /* <urn:uuid:...>: the angle brackets are syntax, not part of the id
     * (WARC 1.1 section 5.2); WARC/1.0 writers also put them round the
     * target URI. */
    if (r->id_len >= 2 && r->id[0] == '<' && r->id[r->id_len - 1] == '>') { r->id++; r->id_len -= 2; }
    if (r->uri_len >= 2 && r->uri[0] == '<' && r->uri[r->uri_len - 1] == '>') { r->uri++; r->uri_len -= 2; }
}

/* ---- HTTP payloads ----------------------------------------------------------- */

static void http_field(const char *name, size_t nn, const char *val, size_t vn, void *ud)
{
    pk_http_msg *m = ud;
    if (name_is(name, nn, "Content-Type")) { m->ctype = val; m->ctype_len = vn; }
    else if (name_is(name, nn, "Content-Encoding")) { m->cenc = val; m->cenc_len = vn; }
    else if (name_is(name, nn, "Transfer-Encoding")) { m->tenc = val; m->tenc_len = vn; }
}

int pk_http_parse(const char *p, size_t n, pk_http_msg *m, const char **why)
{
    memset(m, 0, sizeof *m);
    if (n < 5 || memcmp(p, "HTTP/", 5) != 0) { *why = "not an HTTP response"; return PK_EFORMAT; }
    /* The status line, then fields up to a blank line (CRLF or LF). */
    size_t pos;
    const char *nl = memchr(p, '\n', n);
    if (!nl) { *why = "HTTP status line without an end"; return PK_EFORMAT; }
    const char *sp = memchr(p, ' ', (size_t)(nl - p));
    if (sp) {
        int st = 0;
        for (const char *c = sp + 1; c < nl && *c >= '0' && *c <= '9' && st < 1000; c++) st = st * 10 + (*c - '0');
        m->status = st < 1000 ? st : 0;
    }
    pos = (size_t)(nl - p) + 1;
    for (;;) {
        nl = memchr(p + pos, '\n', n - pos);
        if (!nl) { /* fields up to the end, no body */
            pos = n;
            break;
        }
        size_t e = (size_t)(nl - p), le = e;
        if (le > pos && p[le - 1] == '\r') le--;
        bool blank = le == pos;
        pos = e + 1;
        if (blank) break;
    }
    each_field(p, pos, http_field, m);
    m->body = p + pos;
    m->body_len = n - pos;
    return 0;
}

/* Undo chunked transfer coding (RFC 9112 section 7.1) into out.  Chunk
 * extensions and trailers are dropped.  A body cut short (WARC-Truncated)
 * gives what is there. */
int pk_http_dechunk(const char *p, size_t n, pk_buf *out, const char **why)
{
    pk_buf_reset(out);
    size_t pos = 0;
    while (pos < n) {
        uint64_t sz = 0;
        size_t digits = 0;
        while (pos < n) {
            char c = p[pos];
            int v = c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
            if (v < 0) break;
            if (sz >> 60) { *why = "chunk size out of range"; return PK_EFORMAT; }
            sz = sz << 4 | (uint64_t)v;
            pos++;
            digits++;
        }
        if (!digits) { *why = "malformed chunk size"; return PK_EFORMAT; }
        const char *nl = memchr(p + pos, '\n', n - pos);
        if (!nl) break; /* cut short */
        pos = (size_t)(nl - p) + 1;
        if (sz == 0) break;
        size_t take = sz > n - pos ? n - pos : (size_t)sz;
        int rc = pk_buf_append(out, p + pos, take);
        if (rc) { *why = rc == PK_ETOOBIG ? "body too large" : "out of memory"; return rc; }
        pos += take;
        if (pos < n && p[pos] == '\r') pos++;
        if (pos < n && p[pos] == '\n') pos++;
    }
    return 0;
}

int pk_http_inflate(const char *p, size_t n, pk_buf *out, const char **why)
{
    pk_buf_reset(out);
    z_stream z;
    memset(&z, 0, sizeof z);
    /* 15 + 32: zlib or gzip, by the header.  "deflate" is meant to be
     * zlib-wrapped, but some servers send raw deflate: retry as that. */
    for (int attempt = 0; attempt < 2; attempt++) {
        if (inflateInit2(&z, attempt ? -15 : 15 + 32) != Z_OK) { *why = "cannot initialise zlib"; return PK_ENOMEM; }
        z.next_in = (Bytef *)(uintptr_t)p;
        z.avail_in = (uInt)PK_MIN(n, (size_t)UINT_MAX);
        pk_buf_reset(out);
        int zr = Z_OK;
        while (zr == Z_OK) {
            int rc = pk_buf_reserve(out, PK_MAX((size_t)1 << 16, out->len));
            if (rc) {
                inflateEnd(&z);
                *why = rc == PK_ETOOBIG ? "decompressed body too large" : "out of memory";
                return rc;
            }
            z.next_out = (Bytef *)out->data + out->len;
            z.avail_out = (uInt)PK_MIN(out->cap - out->len - 1, (size_t)UINT_MAX);
            uInt before = z.avail_out;
            zr = inflate(&z, Z_NO_FLUSH);
            out->len += before - z.avail_out;
            out->data[out->len] = 0;
            if (zr == Z_BUF_ERROR && z.avail_in == 0) break; /* cut short: keep what there is */
            if (zr == Z_BUF_ERROR) zr = Z_OK;
        }
        inflateEnd(&z);
        if (zr == Z_STREAM_END || zr == Z_BUF_ERROR) return 0;
        if (attempt == 0 && zr == Z_DATA_ERROR && out->len == 0) continue;
        *why = "corrupt gzip or deflate content";
        return PK_EFORMAT;
    }
    *why = "corrupt gzip or deflate content";
    return PK_EFORMAT;
}

/* ---- the reader ---------------------------------------------------------------- */

struct pk_warc_reader {
    pk_source *src;
    const char *name;    /* for messages */
    size_t max_record;
    pk_buf pend;         /* pend.data[start..len) read, not handed out */
    size_t start;
    bool eof;
    uint64_t offset;     /* stream offset of pend.data[start] */
    uint64_t next_rec;   /* 1-based number of the next record */
    uint64_t skip;       /* block bytes of an oversized record still to drop */
    pk_error failed;     /* sticky */
};

int pk_warc_reader_open(pk_warc_reader **out, pk_source *src, const char *name, size_t max_record, pk_error *err)
{
    *out = NULL;
    pk_warc_reader *r = calloc(1, sizeof *r);
    if (!r) return pk_fail(err, PK_ENOMEM, "out of memory");
    r->src = src;
    r->name = name;
    r->max_record = max_record;
    r->next_rec = 1;
    pk_buf_init(&r->pend, 0);
    *out = r;
    return 0;
}

void pk_warc_reader_close(pk_warc_reader *r)
{
    if (!r) return;
    pk_buf_free(&r->pend);
    free(r);
}

/* Read more behind the pending bytes; sets eof. */
static int fill(pk_warc_reader *r, size_t want, pk_error *err)
{
    pk_buf *p = &r->pend;
    if (r->start > 0) {
        memmove(p->data, p->data + r->start, p->len - r->start);
        p->len -= r->start;
        r->start = 0;
    }
    size_t block = PK_MAX(want, READ_BLOCK);
    int rc = pk_buf_reserve(p, block);
    if (rc) return pk_fail(err, rc, "%s: %s", r->name, pk_strerror(rc));
    size_t got = 0;
    if ((rc = pk_source_read(r->src, p->data + p->len, block, &got, err))) return rc;
    if (got == 0) r->eof = true;
    p->len += got;
    return 0;
}

static void consume(pk_warc_reader *r, size_t n)
{
    r->start += n;
    r->offset += n;
}

/* Gather records into out; errors go to r->failed. */
static void take(pk_warc_reader *r, pk_buf *out, size_t target, bool *oversize)
{
    pk_buf *p = &r->pend;
    pk_error *err = &r->failed;
    for (;;) {
        /* Drop the rest of an oversized block. */
        while (r->skip > 0) {
            size_t avail = p->len - r->start;
            size_t d = r->skip < avail ? (size_t)r->skip : avail;
            consume(r, d);
            r->skip -= d;
            if (r->skip == 0) break;
            if (r->eof) {
                pk_fail(err, PK_EFORMAT, "%s: record %llu is cut short (Content-Length runs past the end of the input)",
                        r->name, (unsigned long long)(r->next_rec - 1));
                return;
            }
            if (fill(r, 0, err)) return;
        }
        const char *b = p->data ? p->data + r->start : ""; /* NULL until the first read */
        size_t avail = p->len - r->start;
        /* Line breaks between records belong to none. */
        size_t blank = 0;
        while (blank < avail && is_sep(b[blank])) blank++;
        if (blank) {
            consume(r, blank);
            continue;
        }
        if (avail == 0) {
            if (r->eof) return;
            if (fill(r, 0, err)) return;
            continue;
        }
        size_t hl = 0;
        uint64_t bl = 0;
        const char *why = NULL;
        int rc = pk_warc_head(b, avail, &hl, &bl, &why);
        if (rc == PK_WARC_MORE) {
            if (r->eof) {
                pk_fail(err, PK_EFORMAT, "%s: record %llu at byte %llu: truncated WARC header", r->name,
                        (unsigned long long)r->next_rec, (unsigned long long)r->offset);
                return;
            }
            if (fill(r, 0, err)) return;
            continue;
        }
        if (rc) {
            pk_fail(err, rc, "%s: record %llu at byte %llu: %s", r->name, (unsigned long long)r->next_rec,
                    (unsigned long long)r->offset, why);
            return;
        }
        if (bl > r->max_record) {
            /* Its header alone, in a chunk of its own. */
            if (out->len > 0) return;
            if (pk_buf_append(out, b, hl)) { pk_fail(err, PK_ENOMEM, "%s: out of memory", r->name); return; }
            *oversize = true;
            consume(r, hl);
            r->skip = bl;
            r->next_rec++;
            return;
        }
        size_t need = hl + (size_t)bl + 4;
        if (avail < need && !r->eof) {
            if (out->len > 0 && out->len + need > target) return;
            if (fill(r, need - avail, err)) return;
            continue;
        }
        if (avail < hl + bl) {
            pk_fail(err, PK_EFORMAT,
                    "%s: record %llu at byte %llu is cut short: Content-Length %llu runs past the end of the input",
                    r->name, (unsigned long long)r->next_rec, (unsigned long long)r->offset, (unsigned long long)bl);
            return;
        }
        size_t total = hl + (size_t)bl;
        total += pk_warc_sep(b + total, avail - total);
        if (out->len > 0 && out->len + total > target) return;
        if (pk_buf_append(out, b, total)) { pk_fail(err, PK_ENOMEM, "%s: out of memory", r->name); return; }
        consume(r, total);
        r->next_rec++;
        if (out->len >= target) return;
    }
}

int pk_warc_chunk(pk_warc_reader *r, pk_buf *out, size_t target, uint64_t *first_rec, bool *oversize, pk_error *err)
{
    pk_buf_reset(out);
    *first_rec = r->next_rec;
    *oversize = false;
    if (!r->failed.code) take(r, out, target, oversize);
    if (r->failed.code && out->len == 0) {
        if (err) *err = r->failed;
        return r->failed.code;
    }
    return 0;
}
