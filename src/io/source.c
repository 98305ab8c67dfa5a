/* source.c -- byte sources: plain, gzip and zstd files, and a line chunker.
 *
 * A pk_source reads one file (or stdin for "-") front to back.  The first
 * bytes decide the kind: 1f 8b is gzip, 28 b5 2f fd (or a zstd skippable
 * frame) is zstd, anything else is plain; the file name is never looked
 * at, so "corpus.jsonl" holding gzip data still reads right.  gzip input
 * may be several members back to back (WARC.gz, `cat a.gz b.gz`), and
 * then can be inflated on several threads (pk_source_parallel, below);
 * zstd input may be several frames.  Plain input is read with read(2) straight
 * into the caller's buffer, or, a regular file nothing was read from yet,
 * mapped whole (pk_source_map; at the end of this file: a process-wide
 * SIGBUS handler and a table of live mappings make a file cut short under
 * its mapping read as zeros there, and say so, instead of killing the
 * process).
 *
 * Invariants:
 *   - in[in_pos..in_len) holds compressed bytes read from fd but not yet
 *     given to the decoder; `offset` counts every byte read from fd, so the
 *     compressed offset of the decoder is offset - (in_len - in_pos);
 *   - the end of a compressed stream is only accepted at a member or frame
 *     boundary: hitting end of file inside one is an error ("truncated"),
 *     never a silent short read, and bytes after a gzip member that do not
 *     start another member are an error ("trailing garbage");
 *   - an error is sticky: the decoder state is not trusted after one, so
 *     every later read fails with the same code;
 *   - pk_source_peek decodes into `ahead`, and reads drain ahead before
 *     asking the decoder again, so peeking never changes what is read.
 *
 * pk_lines keeps the tail of the last read (a partial line) in its own
 * buffer between calls and hands out only whole lines; the buffer never
 * holds more than max_line + 1 bytes of one unfinished line.  A chunk is
 * handed out in the memory it was read into (out's memory takes its place
 * and the unfinished line moves there).  An error met
 * after some whole lines were gathered is held back: the call returns those
 * lines, and the next call reports the error (and so does every call after
 * it). */
#include "pk.h"

#ifdef PK_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define SNIFF_BLOCK ((size_t)1 << 12) /* first read, enough for plain files */
#define IN_BLOCK ((size_t)1 << 18)    /* compressed read size */
#define MIN_BLOCK ((size_t)1 << 16)   /* first decompressed read in pk_lines */
/* Zero bytes kept after the input buffered in `in`: igzip loads words
 * past its avail_in and let them sway how it ends a corrupt stream (which
 * error, at which byte), so the bytes there are always the same; the
 * allocation has room for them (igzip's loads are at most 64 bytes). */
#define IN_GUARD 256
#define LINES_BLOCK ((size_t)1 << 20) /* largest one */
#define LINES_MIN_READ ((size_t)1 << 12) /* smallest read pk_lines asks for */

enum kind { K_PLAIN, K_GZIP, K_ZSTD };

struct pk_source {
    int fd;
    bool own_fd;
    bool eof;              /* read(2) returned 0 */
    bool done;             /* decoder reached a clean end */
    enum kind kind;
    int failed;            /* sticky error code, 0 if none */
    pk_error saved;        /* and its message */
    char *path;            /* for messages */
    unsigned char *in;     /* in_cap bytes: SNIFF_BLOCK, IN_BLOCK once compressed */
    size_t in_pos, in_len, in_cap;
    uint64_t offset;       /* bytes read from fd */
    uint64_t given;        /* bytes handed out by pk_source_read */
    uint64_t file_size;    /* st_size of a regular file, else 0 */
    z_stream z;
    bool z_ready;          /* inflateInit2 done */
#ifdef PK_HAVE_ISAL
    struct inflate_state *isal; /* ISA-L's inflate, used instead of zlib's */
#endif
    bool member_open;      /* inside a gzip member */
    ZSTD_DStream *zd;
    bool frame_open;       /* inside a zstd frame */
    pk_buf ahead;          /* peeked: ahead.data[ahead_pos..len) not yet read */
    size_t ahead_pos;
    int par_want;          /* pk_source_parallel's threads, 0 when off */
    size_t par_block;      /* and its block size */
    bool par_switch;       /* read_gzip stopped between members to start it */
    struct par *par;       /* the parallel inflate, while it runs */
};

/* Compressed offset of the next byte the decoder would take. */
static uint64_t consumed(const pk_source *s)
{
    return s->offset - (uint64_t)(s->in_len - s->in_pos);
}

/* Record the source's (sticky) error in s->saved. */
static int src_fail(pk_source *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int src_fail(pk_source *s, int code, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->failed = code;
    return pk_fail(&s->saved, code, "%s: %s", s->path, msg);
}

/* read(2) that retries on EINTR.  Returns bytes read, 0 at end, -1 on
 * error with errno set. */
static ssize_t read_some(int fd, void *buf, size_t cap)
{
    for (;;) {
        ssize_t r = read(fd, buf, cap);
        if (r >= 0 || errno != EINTR) return r;
    }
}

/* Top up the compressed buffer: move the unread tail to the front and read
 * once.  Sets s->eof at end of file. */
static int refill(pk_source *s)
{
    if (s->in_pos > 0) {
        memmove(s->in, s->in + s->in_pos, s->in_len - s->in_pos);
        s->in_len -= s->in_pos;
        s->in_pos = 0;
    }
    if (s->eof || s->in_len == s->in_cap) {
        memset(s->in + s->in_len, 0, IN_GUARD);
        return 0;
    }
    ssize_t r = read_some(s->fd, s->in + s->in_len, s->in_cap - s->in_len);
    if (r < 0)
        return src_fail(s, PK_EIO, "read error at byte %llu: %s",
                        (unsigned long long)s->offset, strerror(errno));
    if (r == 0) s->eof = true;
    s->in_len += (size_t)r;
    s->offset += (uint64_t)r;
    memset(s->in + s->in_len, 0, IN_GUARD);
    return 0;
}

static void par_free(pk_source *s);

void pk_source_close(pk_source *s)
{
    if (!s) return;
    par_free(s);
    if (s->own_fd && s->fd >= 0) close(s->fd);
    if (s->z_ready) inflateEnd(&s->z);
#ifdef PK_HAVE_ISAL
    free(s->isal);
#endif
    ZSTD_freeDStream(s->zd);
    pk_buf_free(&s->ahead);
    free(s->in);
    free(s->path);
    free(s);
}

int pk_source_open(pk_source **out, const char *path, pk_error *err)
{
    *out = NULL;
    if (!path || !*path) return pk_fail(err, PK_EINVAL, "empty path");
    pk_source *s = calloc(1, sizeof *s);
    if (!s) return pk_fail(err, PK_ENOMEM, "out of memory");
    s->fd = -1;
    pk_buf_init(&s->ahead, 0);
    bool is_stdin = strcmp(path, "-") == 0;
    s->path = strdup(is_stdin ? "stdin" : path);
    s->in = calloc(1, SNIFF_BLOCK + IN_GUARD);
    s->in_cap = SNIFF_BLOCK;
    if (!s->path || !s->in) {
        pk_source_close(s);
        return pk_fail(err, PK_ENOMEM, "out of memory");
    }
    int rc;
    if (is_stdin) {
        s->fd = STDIN_FILENO;
    } else {
        s->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->fd < 0) {
            int e = errno;
            rc = src_fail(s, e == ENOENT ? PK_ENOTFOUND : PK_EIO, "%s", strerror(e));
            goto fail;
        }
        s->own_fd = true;
        struct stat st;
        if (fstat(s->fd, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                rc = src_fail(s, PK_EINVAL, "is a directory");
                goto fail;
            }
            if (S_ISREG(st.st_mode) && st.st_size > 0) s->file_size = (uint64_t)st.st_size;
        }
    }
    /* Sniff: a pipe may deliver fewer than 4 bytes per read. */
    while (s->in_len < 4 && !s->eof)
        if ((rc = refill(s))) goto fail;
    const unsigned char *m = s->in;
    bool gz = s->in_len >= 2 && m[0] == 0x1f && m[1] == 0x8b;
    bool zst = s->in_len >= 4 &&
               ((m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) ||
                ((m[0] & 0xf0) == 0x50 && m[1] == 0x2a && m[2] == 0x4d && m[3] == 0x18));
    if (gz || zst) {
        /* compressed input is read in bigger blocks */
        unsigned char *big = realloc(s->in, IN_BLOCK + IN_GUARD);
        if (!big) {
            rc = src_fail(s, PK_ENOMEM, "out of memory");
            goto fail;
        }
        s->in = big;
        s->in_cap = IN_BLOCK;
    }
    if (gz) {
        s->kind = K_GZIP;
#ifdef PK_HAVE_ISAL
        /* Zeroed: on a corrupt stream igzip may copy from history it never
         * wrote (a distance reaching before the output), and that must not
         * be whatever the heap held. */
        if (!(s->isal = calloc(1, sizeof *s->isal))) {
            rc = src_fail(s, PK_ENOMEM, "out of memory");
            goto fail;
        }
        isal_inflate_init(s->isal);
        s->isal->crc_flag = ISAL_GZIP;
#else
        if (inflateInit2(&s->z, 15 + 16) != Z_OK) {
            rc = src_fail(s, PK_ENOMEM, "cannot initialise zlib");
            goto fail;
        }
        s->z_ready = true;
#endif
    } else if (zst) {
        s->kind = K_ZSTD;
        s->zd = ZSTD_createDStream();
        if (!s->zd || ZSTD_isError(ZSTD_initDStream(s->zd))) {
            rc = src_fail(s, PK_ENOMEM, "cannot initialise zstd");
            goto fail;
        }
    } else {
        s->kind = K_PLAIN;
    }
    *out = s;
    return 0;
fail:
    if (err) *err = s->saved;
    pk_source_close(s);
    return rc;
}

const char *pk_source_kind(const pk_source *s)
{
    switch (s->kind) {
    case K_GZIP: return "gzip";
    case K_ZSTD: return "zstd";
    default: return "plain";
    }
}

uint64_t pk_source_offset(const pk_source *s) { return consumed(s); }

uint64_t pk_source_size_hint(const pk_source *s) { return s->kind == K_PLAIN ? s->file_size : 0; }

static int read_plain(pk_source *s, unsigned char *buf, size_t cap, size_t *got)
{
    /* First hand out what the sniffing left in the buffer. */
    if (s->in_pos < s->in_len) {
        size_t n = PK_MIN(cap, s->in_len - s->in_pos);
        memcpy(buf, s->in + s->in_pos, n);
        s->in_pos += n;
        *got = n;
        return 0;
    }
    if (s->eof) return 0;
    ssize_t r = read_some(s->fd, buf, PK_MIN(cap, (size_t)1 << 30));
    if (r < 0)
        return src_fail(s, PK_EIO, "read error at byte %llu: %s",
                        (unsigned long long)s->offset, strerror(errno));
    if (r == 0) s->eof = true;
    s->offset += (uint64_t)r;
    *got = (size_t)r;
    return 0;
}

#ifdef PK_HAVE_ISAL
/* gzip through ISA-L's igzip: 300 MB of JSONL decompressed at 140 MB/s
 * through zlib's inflate (the reading thread's whole time, and the limit
 * of a .gz scan on any number of threads), about 2.5 times that through
 * igzip on the same machine (BENCHMARKS.md).  Same members, same checks
 * (header, CRC and length in the trailer), same messages as the zlib
 * path below, which is built when ISA-L is not installed. */
static const char *isal_why(int r)
{
    switch (r) {
    case ISAL_INVALID_BLOCK: return "invalid deflate block";
    case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK: return "invalid distance";
    case ISAL_INVALID_WRAPPER: return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD: return "unsupported compression method";
    case ISAL_INCORRECT_CHECKSUM: return "incorrect data check";
    default: return "bad data";
    }
}

/* Start a gzip member: reset the decoder. */
static int member_start(pk_source *s)
{
    isal_inflate_reset(s->isal);
    s->isal->crc_flag = ISAL_GZIP;
    return 0;
}

/* Inflate the buffered input into out[0..cap), *made bytes; at the end of
 * the member, member_open goes false. */
static int inflate_some(pk_source *s, unsigned char *out, size_t cap, size_t *made)
{
    struct inflate_state *z = s->isal;
    z->next_in = s->in + s->in_pos;
    z->avail_in = (uint32_t)PK_MIN(s->in_len - s->in_pos, (size_t)UINT32_MAX);
    z->next_out = out;
    z->avail_out = (uint32_t)PK_MIN(cap, (size_t)UINT32_MAX);
    uint32_t in0 = z->avail_in, out0 = z->avail_out;
    int zr = isal_inflate(z);
    s->in_pos += in0 - z->avail_in;
    *made = out0 - z->avail_out;
    if (zr < 0 || zr == ISAL_NEED_DICT)
        return src_fail(s, PK_EFORMAT, "corrupt gzip stream at byte %llu: %s", (unsigned long long)consumed(s),
                        isal_why(zr));
    if (z->block_state == ISAL_BLOCK_FINISH) s->member_open = false;
    return 0;
}
#else
static int member_start(pk_source *s)
{
    if (inflateReset(&s->z) != Z_OK) return src_fail(s, PK_EINTERNAL, "inflateReset failed");
    return 0;
}

static int inflate_some(pk_source *s, unsigned char *out, size_t cap, size_t *made)
{
    s->z.next_in = s->in + s->in_pos;
    s->z.avail_in = (uInt)PK_MIN(s->in_len - s->in_pos, (size_t)UINT_MAX);
    s->z.next_out = out;
    s->z.avail_out = (uInt)PK_MIN(cap, (size_t)UINT_MAX);
    uInt in0 = s->z.avail_in, out0 = s->z.avail_out;
    int zr = inflate(&s->z, Z_NO_FLUSH);
    s->in_pos += in0 - s->z.avail_in;
    *made = out0 - s->z.avail_out;
    if (zr == Z_STREAM_END) s->member_open = false;
    else if (zr == Z_MEM_ERROR) return src_fail(s, PK_ENOMEM, "out of memory in zlib");
    else if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT || zr == Z_STREAM_ERROR)
        return src_fail(s, PK_EFORMAT, "corrupt gzip stream at byte %llu: %s", (unsigned long long)consumed(s),
                        s->z.msg ? s->z.msg : "bad data");
    /* Z_OK or Z_BUF_ERROR: the output is full or more input is needed. */
    return 0;
}
#endif

/* The length of the gzip member header (RFC 1952) at p[0..n), or 0 when
 * it does not all fit (the decoder reports a malformed one). */
static size_t gzip_header_len(const unsigned char *p, size_t n)
{
    if (n < 10) return 0;
    const unsigned flg = p[3];
    size_t at = 10;
    if (flg & 4) { /* FEXTRA */
        if (n < at + 2) return 0;
        at += 2 + ((size_t)p[at] | (size_t)p[at + 1] << 8);
    }
    for (unsigned bit = 8; bit <= 16; bit <<= 1) { /* FNAME, FCOMMENT: NUL-terminated */
        if (!(flg & bit)) continue;
        const unsigned char *z = at < n ? memchr(p + at, 0, n - at) : NULL;
        if (!z) return 0;
        at = (size_t)(z - p) + 1;
    }
    if (flg & 2) at += 2; /* FHCRC */
    return at <= n ? at : 0;
}

static int read_gzip(pk_source *s, unsigned char *buf, size_t cap, size_t *got)
{
    size_t have = 0; /* *got follows it, so an error keeps what was decoded */
    int rc;
    while (have < cap) {
        if (!s->member_open && s->par_want) {
            s->par_switch = true; /* decode() starts the parallel inflate here */
            break;
        }
        if (!s->member_open) {
            /* Between members: only another gzip header (or the end) may
             * follow. */
            if (s->in_len - s->in_pos < 2 && !s->eof)
                if ((rc = refill(s))) return rc;
            size_t avail = s->in_len - s->in_pos;
            if (avail == 0 && s->eof) { s->done = true; break; }
            if (avail < 2 && !s->eof) continue;
            const unsigned char *p = s->in + s->in_pos;
            if (avail < 2 || p[0] != 0x1f || p[1] != 0x8b)
                return src_fail(s, PK_EFORMAT, "trailing garbage after gzip member at byte %llu",
                                (unsigned long long)consumed(s));
            /* The whole member header in the buffer first: igzip reads
             * past avail_in while it parses a header cut by the end of
             * its input, and decided on those stale bytes (a WARC of
             * small members, read while other threads allocated, came
             * out corrupt; valgrind showed the uninitialised reads). */
            size_t hl = gzip_header_len(p, avail);
            if (hl == 0 && !s->eof) {
                if (s->in_pos == 0 && s->in_len == s->in_cap)
                    return src_fail(s, PK_EFORMAT, "gzip member header over %zu bytes at byte %llu", s->in_cap,
                                    (unsigned long long)consumed(s));
                if ((rc = refill(s))) return rc;
                continue;
            }
            if ((rc = member_start(s))) return rc;
            s->member_open = true;
        }
        if (s->in_pos == s->in_len) {
            if (s->eof)
                return src_fail(s, PK_EFORMAT, "truncated gzip stream at byte %llu",
                                (unsigned long long)consumed(s));
            if ((rc = refill(s))) return rc;
            continue;
        }
        size_t made = 0;
        rc = inflate_some(s, buf + have, cap - have, &made);
        have += made;
        *got = have;
        if (rc) return rc;
        /* Otherwise the output is full (the loop ends), the member ended,
         * or more input is needed (the next turn refills). */
    }
    return 0;
}

#ifdef PK_HAVE_ISAL
/* ---- gzip members inflated in parallel (pk_source_parallel) ----------------
 * A gzip stream cannot be split for inflating, but a file of many members
 * can: Common Crawl's WARC.gz is one member a record, and on one reading
 * thread igzip was the longest stage of a WARC scan (BENCHMARKS.md,
 * session 12).  The reading thread reads the compressed bytes and cuts
 * them into blocks at the first member start past par_block bytes: a gzip
 * header whose first bytes inflate (a header's bytes can occur inside
 * compressed data: such a false cut is caught below).  Threads of the
 * source inflate blocks, member by member; reads hand out their output in
 * order.  A block that does not inflate whole, ending exactly at its last
 * byte (a corrupt or truncated stream, a false cut, an output over
 * PAR_MAX_OUT: 16 MiB), and a stream with no member start within PAR_GIVE_UP
 * blocks' bytes (one big member: 8 MiB), send the source back to reading in turn from
 * that block's first byte with every compressed byte read after it.  So a
 * good file reads the same bytes, and a damaged one the same bytes up to
 * the member that fails, then the same error; where igzip stops inside a
 * damaged member (the byte the message names, the last byte or so it
 * hands out) depends on how its input was buffered, as it already did
 * between a file and a pipe. */
#define PAR_BLOCK ((size_t)1 << 19)
#define PAR_GIVE_UP 16 /* blocks' worth of bytes with no member start: one big member */
/* A block inflating to more than this is read in turn (streamed): with
 * 2 * threads + 2 blocks in flight, memory stays bounded on a gzip bomb. */
#define PAR_MAX_OUT(blk) PK_MAX((size_t)32 * (blk), (size_t)1 << 20)
#define PAR_MAX_THREADS 16
#define PAR_PROBE ((size_t)4096) /* compressed bytes a member start is tried on */

typedef struct par_block {
    struct par_block *next;
    unsigned char *in;  /* in_len bytes, then IN_GUARD zero bytes */
    size_t in_len;
    unsigned char *out; /* what it inflated to */
    size_t out_len, out_pos, out_cap;
    int state;          /* 0 waiting, 1 inflating, 2 done */
    bool clean;         /* inflated whole, member by member, to its end */
} par_block;

struct par {
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    pthread_t th[PAR_MAX_THREADS];
    int nth, stop;
    par_block *head, *tail; /* in file order; head is read next */
    size_t nblocks, max_blocks, max_out;
    unsigned char *stage;   /* compressed bytes read, in no block yet */
    size_t stage_len, stage_cap, scan_from;
    bool eof;               /* every byte of the file is in a block */
    bool give_up;           /* no member start found: read in turn from the stage */
    struct inflate_state *probe;
};

/* Inflate block b member by member (to at most max_out bytes); b->clean
 * when it all went. */
static void par_inflate(struct inflate_state *z, par_block *b, size_t max_out)
{
    size_t pos = 0;
    b->clean = false;
    while (pos < b->in_len) {
        const unsigned char *p = b->in + pos;
        const size_t avail = b->in_len - pos;
        if (avail < 2 || p[0] != 0x1f || p[1] != 0x8b || gzip_header_len(p, avail) == 0) return;
        isal_inflate_reset(z);
        z->crc_flag = ISAL_GZIP;
        z->next_in = (uint8_t *)(uintptr_t)p;
        z->avail_in = (uint32_t)PK_MIN(avail, (size_t)UINT32_MAX);
        for (;;) {
            if (b->out_cap - b->out_len < ((size_t)1 << 16)) {
                if (b->out_len >= max_out) return;
                size_t nc = b->out_cap ? 2 * b->out_cap : 4 * b->in_len + ((size_t)1 << 16);
                unsigned char *o = realloc(b->out, nc);
                if (!o) return; /* read in turn, which says so if it runs out too */
                b->out = o;
                b->out_cap = nc;
            }
            z->next_out = b->out + b->out_len;
            z->avail_out = (uint32_t)PK_MIN(b->out_cap - b->out_len, (size_t)UINT32_MAX);
            const uint32_t out0 = z->avail_out;
            const int r = isal_inflate(z);
            b->out_len += out0 - z->avail_out;
            if (r < 0 || r == ISAL_NEED_DICT) return;
            if (z->block_state == ISAL_BLOCK_FINISH) break;
            if (z->avail_in == 0 && z->avail_out > 0) return; /* the member runs past the block */
        }
        pos = b->in_len - z->avail_in;
    }
    b->clean = true;
}

static void *par_main(void *arg)
{
    struct par *P = arg;
    struct inflate_state *z = calloc(1, sizeof *z); /* zeroed, as read_gzip's */
    pthread_mutex_lock(&P->mu);
    for (;;) {
        par_block *b = NULL;
        while (!P->stop) {
            for (b = P->head; b && b->state != 0; b = b->next) {}
            if (b) break;
            pthread_cond_wait(&P->work, &P->mu);
        }
        if (P->stop) break;
        b->state = 1;
        pthread_mutex_unlock(&P->mu);
        if (z) {
            isal_inflate_init(z);
            par_inflate(z, b, P->max_out);
        }
        pthread_mutex_lock(&P->mu);
        b->state = 2;
        pthread_cond_broadcast(&P->done);
    }
    pthread_mutex_unlock(&P->mu);
    free(z);
    return NULL;
}

/* Stop the threads and free everything but the stage (when keep_stage). */
static void par_stop(struct par *P)
{
    pthread_mutex_lock(&P->mu);
    P->stop = 1;
    pthread_cond_broadcast(&P->work);
    pthread_mutex_unlock(&P->mu);
    for (int i = 0; i < P->nth; i++) pthread_join(P->th[i], NULL);
    P->nth = 0;
}

static void par_free(pk_source *s)
{
    struct par *P = s->par;
    if (!P) return;
    par_stop(P);
    for (par_block *b = P->head, *nb; b; b = nb) {
        nb = b->next;
        free(b->in);
        free(b->out);
        free(b);
    }
    free(P->stage);
    free(P->probe);
    pthread_mutex_destroy(&P->mu);
    pthread_cond_destroy(&P->work);
    pthread_cond_destroy(&P->done);
    free(P);
    s->par = NULL;
}

/* Back to reading in turn from the first byte of `from` (NULL: of the
 * stage), with every compressed byte read after it. */
static int par_fallback(pk_source *s, par_block *from)
{
    struct par *P = s->par;
    par_stop(P);
    size_t total = P->stage_len;
    for (par_block *b = from; b; b = b->next) total += b->in_len;
    unsigned char *in = malloc(total + IN_BLOCK + IN_GUARD);
    if (!in) {
        par_free(s);
        s->par_want = 0;
        return src_fail(s, PK_ENOMEM, "out of memory");
    }
    size_t at = 0;
    for (par_block *b = from; b; b = b->next) {
        memcpy(in + at, b->in, b->in_len);
        at += b->in_len;
    }
    if (P->stage_len) memcpy(in + at, P->stage, P->stage_len);
    memset(in + total, 0, IN_GUARD);
    free(s->in);
    s->in = in;
    s->in_pos = 0;
    s->in_len = total;
    s->in_cap = total + IN_BLOCK; /* consumed(s) is from's offset again */
    s->member_open = false;
    par_free(s);
    s->par_want = 0;
    return 0;
}

/* Does a gzip member start at p (avail bytes there)? */
static bool par_member_starts(struct par *P, const unsigned char *p, size_t avail)
{
    if (avail < 18 || p[0] != 0x1f || p[1] != 0x8b || p[2] != 8 || (p[3] & 0xe0) || !gzip_header_len(p, avail))
        return false;
    struct inflate_state *z = P->probe;
    isal_inflate_reset(z);
    z->crc_flag = ISAL_GZIP;
    unsigned char tmp[256];
    z->next_in = (uint8_t *)(uintptr_t)p;
    z->avail_in = (uint32_t)PK_MIN(avail, PAR_PROBE);
    z->next_out = tmp;
    z->avail_out = sizeof tmp;
    const int r = isal_inflate(z);
    return r >= 0 && r != ISAL_NEED_DICT && (z->avail_out < sizeof tmp || z->block_state == ISAL_BLOCK_FINISH);
}

/* Queue stage[0, n) as a block. */
static int par_queue(pk_source *s, size_t n)
{
    struct par *P = s->par;
    par_block *b = calloc(1, sizeof *b);
    unsigned char *in = b ? malloc(n + IN_GUARD) : NULL;
    if (!in) {
        free(b);
        return src_fail(s, PK_ENOMEM, "out of memory");
    }
    memcpy(in, P->stage, n);
    memset(in + n, 0, IN_GUARD);
    b->in = in;
    b->in_len = n;
    memmove(P->stage, P->stage + n, P->stage_len - n);
    P->stage_len -= n;
    P->scan_from = 0;
    pthread_mutex_lock(&P->mu);
    if (P->tail) P->tail->next = b; else P->head = b;
    P->tail = b;
    P->nblocks++;
    pthread_cond_signal(&P->work);
    pthread_mutex_unlock(&P->mu);
    return 0;
}

/* Cut blocks until max_blocks wait or the file is all in blocks. */
static int par_fill(pk_source *s)
{
    struct par *P = s->par;
    const size_t blk = s->par_block;
    int rc;
    while (!P->eof && !P->give_up) {
        pthread_mutex_lock(&P->mu);
        const bool full = P->nblocks >= P->max_blocks;
        pthread_mutex_unlock(&P->mu);
        if (full) return 0;
        /* the first member start past blk, tried on PAR_PROBE bytes */
        size_t q = PK_MAX(P->scan_from, blk), cut = 0;
        while (q + 18 <= P->stage_len) {
            const unsigned char *h = memchr(P->stage + q, 0x1f, P->stage_len - q);
            if (!h) { q = P->stage_len; break; }
            q = (size_t)(h - P->stage);
            if (P->stage_len - q < PAR_PROBE && !s->eof) break; /* read more first */
            if (par_member_starts(P, P->stage + q, P->stage_len - q)) { cut = q; break; }
            q++;
        }
        P->scan_from = q;
        if (cut) {
            if ((rc = par_queue(s, cut))) return rc;
            continue;
        }
        if (s->eof) {
            if (P->stage_len && (rc = par_queue(s, P->stage_len))) return rc;
            P->eof = true;
            return 0;
        }
        if (P->stage_len >= PAR_GIVE_UP * blk) {
            P->give_up = true;
            return 0;
        }
        if (P->stage_cap - P->stage_len < IN_BLOCK) {
            size_t nc = P->stage_cap + IN_BLOCK + blk;
            unsigned char *ns = realloc(P->stage, nc + IN_GUARD);
            if (!ns) return src_fail(s, PK_ENOMEM, "out of memory");
            P->stage = ns;
            P->stage_cap = nc;
        }
        ssize_t r = read_some(s->fd, P->stage + P->stage_len, P->stage_cap - P->stage_len);
        if (r < 0) {
            /* reading in turn meets it again, after every byte before */
            P->give_up = true;
            return 0;
        }
        if (r == 0) s->eof = true;
        P->stage_len += (size_t)r;
        s->offset += (uint64_t)r;
        memset(P->stage + P->stage_len, 0, IN_GUARD);
    }
    return 0;
}

/* Start at a member boundary: the bytes buffered in s->in are the stage.
 * Returns 0, 1 when not started (read in turn, nothing lost), or -1 with
 * s->failed set. */
static int par_start(pk_source *s)
{
    struct par *P = calloc(1, sizeof *P);
    if (!P) return 1;
    pthread_mutex_init(&P->mu, NULL);
    pthread_cond_init(&P->work, NULL);
    pthread_cond_init(&P->done, NULL);
    s->par = P;
    const size_t left = s->in_len - s->in_pos;
    P->stage_cap = PK_MAX(left, s->par_block) + IN_BLOCK;
    P->stage = malloc(P->stage_cap + IN_GUARD);
    P->probe = calloc(1, sizeof *P->probe);
    if (!P->stage || !P->probe) {
        par_free(s);
        return 1; /* not started: read in turn */
    }
    isal_inflate_init(P->probe);
    memcpy(P->stage, s->in + s->in_pos, left);
    P->stage_len = left;
    memset(P->stage + left, 0, IN_GUARD);
    s->in_pos = s->in_len; /* consumed(s): the end of what was read */
    P->max_blocks = 2 * (size_t)s->par_want + 2;
    P->max_out = PAR_MAX_OUT(s->par_block);
    for (; P->nth < s->par_want; P->nth++)
        if (pthread_create(&P->th[P->nth], NULL, par_main, P) != 0) break;
    if (P->nth == 0) return par_fallback(s, NULL) ? -1 : 1; /* -1: s->failed (out of memory) */
    return 0;
}

static int read_par(pk_source *s, unsigned char *buf, size_t cap, size_t *got)
{
    size_t have = 0;
    int rc = 0;
    while (have < cap && s->par) {
        struct par *P = s->par;
        if ((rc = par_fill(s))) break;
        pthread_mutex_lock(&P->mu);
        par_block *b = P->head;
        while (b && b->state != 2) pthread_cond_wait(&P->done, &P->mu);
        pthread_mutex_unlock(&P->mu);
        if (!b && P->eof) {
            s->done = true;
            break;
        }
        if (!b || !b->clean) {
            /* P->give_up (no block: the stage), or a block that did not go */
            if ((rc = par_fallback(s, b))) break;
            break;
        }
        const size_t n = PK_MIN(cap - have, b->out_len - b->out_pos);
        memcpy(buf + have, b->out + b->out_pos, n);
        b->out_pos += n;
        have += n;
        if (b->out_pos == b->out_len) {
            pthread_mutex_lock(&P->mu);
            P->head = b->next;
            if (!P->head) P->tail = NULL;
            P->nblocks--;
            pthread_mutex_unlock(&P->mu);
            free(b->in);
            free(b->out);
            free(b);
        }
    }
    *got = have;
    if (rc || s->par || s->done || have == cap) return rc;
    /* fell back: the rest in turn */
    size_t more = 0;
    rc = read_gzip(s, buf + have, cap - have, &more);
    *got = have + more;
    return rc;
}

static int read_gzip_any(pk_source *s, unsigned char *buf, size_t cap, size_t *got)
{
    if (s->par) return read_par(s, buf, cap, got);
    int rc = read_gzip(s, buf, cap, got);
    if (rc || !s->par_switch) return rc;
    s->par_switch = false;
    const size_t have = *got;
    size_t more = 0;
    int x = par_start(s);
    if (x < 0) return s->failed; /* the bytes read so far went with the fallback's memory */
    if (x) s->par_want = 0;      /* not started: in turn */
    rc = s->par ? read_par(s, buf + have, cap - have, &more) : read_gzip(s, buf + have, cap - have, &more);
    *got = have + more;
    return rc;
}

void pk_source_parallel(pk_source *s, int threads, size_t block_bytes)
{
    if (s->kind != K_GZIP || threads < 2 || s->par || s->failed) return;
    s->par_want = PK_MIN(threads, PAR_MAX_THREADS);
    s->par_block = block_bytes ? PK_MIN(block_bytes, (size_t)64 << 20) : PAR_BLOCK;
}
#else
static void par_free(pk_source *s) { PK_UNUSED(s); }
static int read_gzip_any(pk_source *s, unsigned char *buf, size_t cap, size_t *got)
{
    return read_gzip(s, buf, cap, got);
}
void pk_source_parallel(pk_source *s, int threads, size_t block_bytes)
{
    PK_UNUSED(s);
    PK_UNUSED(threads);
    PK_UNUSED(block_bytes);
}
#endif

static int read_zstd(pk_source *s, unsigned char *buf, size_t cap, size_t *got)
{
    size_t have = 0; /* *got follows it, so an error keeps what was decoded */
    int rc;
    while (have < cap) {
        if (s->in_pos == s->in_len && !s->eof)
            if ((rc = refill(s))) return rc;
        size_t in_avail = s->in_len - s->in_pos;
        if (in_avail == 0 && !s->frame_open) { s->done = true; break; }
        ZSTD_inBuffer zin = { s->in + s->in_pos, in_avail, 0 };
        ZSTD_outBuffer zout = { buf + have, cap - have, 0 };
        size_t zr = ZSTD_decompressStream(s->zd, &zout, &zin);
        if (ZSTD_isError(zr))
            return src_fail(s, PK_EFORMAT, "corrupt zstd stream at byte %llu: %s",
                            (unsigned long long)(consumed(s) + zin.pos), ZSTD_getErrorName(zr));
        s->in_pos += zin.pos;
        have += zout.pos;
        *got = have;
        s->frame_open = zr != 0;
        /* No input left, none coming, and the decoder made no progress
         * while still inside a frame: the frame was cut short. */
        if (in_avail == 0 && zout.pos == 0 && s->frame_open)
            return src_fail(s, PK_EFORMAT, "truncated zstd stream at byte %llu",
                            (unsigned long long)consumed(s));
    }
    return 0;
}

/* Decompressed bytes straight from the decoder, bypassing `ahead`.  An
 * error met after some bytes were decoded is held back until the next
 * call, so the caller gets every good byte first. */
static int decode(pk_source *s, void *buf, size_t cap, size_t *got, pk_error *err)
{
    *got = 0;
    if (s->failed) goto failed;
    if (cap == 0 || s->done) return 0;
    int rc;
    switch (s->kind) {
    case K_GZIP: rc = read_gzip_any(s, buf, cap, got); break;
    case K_ZSTD: rc = read_zstd(s, buf, cap, got); break;
    default: rc = read_plain(s, buf, cap, got); break;
    }
    if (rc == 0 || *got > 0) return 0;
failed:
    *got = 0;
    if (err) *err = s->saved;
    return s->failed;
}

int pk_source_read(pk_source *s, void *buf, size_t cap, size_t *got, pk_error *err)
{
    size_t have = s->ahead.len - s->ahead_pos;
    if (have > 0) {
        size_t n = PK_MIN(have, cap);
        memcpy(buf, s->ahead.data + s->ahead_pos, n);
        s->ahead_pos += n;
        if (s->ahead_pos == s->ahead.len) s->ahead_pos = s->ahead.len = 0;
        *got = n;
        s->given += n;
        return 0;
    }
    int rc = decode(s, buf, cap, got, err);
    s->given += *got;
    return rc;
}

int pk_source_peek(pk_source *s, size_t max, const char **p, size_t *n, pk_error *err)
{
    pk_buf *a = &s->ahead;
    if (s->ahead_pos > 0) {
        memmove(a->data, a->data + s->ahead_pos, a->len - s->ahead_pos);
        a->len -= s->ahead_pos;
        s->ahead_pos = 0;
    }
    int rc = 0;
    if (a->len < max) {
        if ((rc = pk_buf_reserve(a, max - a->len))) {
            rc = pk_fail(err, rc, "%s: cannot look %zu bytes ahead", s->path, max);
            goto out;
        }
        while (a->len < max) {
            size_t got = 0;
            if ((rc = decode(s, a->data + a->len, max - a->len, &got, err))) {
                /* good bytes first: the error comes when reads reach it */
                if (a->len > 0) rc = 0;
                break;
            }
            if (got == 0) break;
            a->len += got;
        }
    }
out:
    *p = a->data ? a->data : "";
    *n = PK_MIN(a->len, max);
    return rc;
}

int pk_source_slurp(const char *path, pk_buf *out, size_t max, pk_error *err)
{
    pk_source *s = NULL;
    int rc = pk_source_open(&s, path, err);
    if (rc) return rc;
    pk_buf_reset(out);
    for (;;) {
        size_t room = max - out->len, got = 0;
        if (room == 0) {
            /* At the cap: one more byte means too big. */
            unsigned char probe;
            if ((rc = pk_source_read(s, &probe, 1, &got, err))) goto done;
            if (got) rc = pk_fail(err, PK_ETOOBIG, "%s: larger than %zu bytes", s->path, max);
            goto done;
        }
        /* read in steps that grow with the content, so a small file
         * costs a small buffer */
        size_t want = PK_MIN(room, PK_MAX(MIN_BLOCK, PK_MIN(out->len, (size_t)16 << 20)));
        if ((rc = pk_buf_reserve(out, want))) {
            rc = pk_fail(err, rc, "%s: %s after %zu bytes", s->path, pk_strerror(rc), out->len);
            goto done;
        }
        if ((rc = pk_source_read(s, out->data + out->len, want, &got, err))) goto done;
        if (got == 0) break;
        out->len += got;
        out->data[out->len] = 0;
    }
done:
    pk_source_close(s);
    return rc;
}

/* ---- line chunker -------------------------------------------------------- */

struct pk_lines {
    pk_source *src;
    size_t max_line;
    pk_buf pend;        /* pend.data[start..len) is read but not handed out */
    size_t start;
    size_t scanned;     /* pend.data[start..scanned) holds no '\n' */
    bool eof;
    uint64_t next_line; /* 1-based number of the line at `start` */
    size_t block;       /* next read size: MIN_BLOCK doubling to LINES_BLOCK */
    pk_error failed;    /* failed.code != 0: every later call fails so */
};

int pk_lines_open(pk_lines **out, pk_source *src, size_t max_line, pk_error *err)
{
    *out = NULL;
    if (!src || max_line == 0) return pk_fail(err, PK_EINVAL, "pk_lines_open: bad argument");
    pk_lines *l = calloc(1, sizeof *l);
    if (!l) return pk_fail(err, PK_ENOMEM, "out of memory");
    l->src = src;
    l->max_line = max_line;
    pk_buf_init(&l->pend, 0);
    l->next_line = 1;
    l->block = MIN_BLOCK;
    *out = l;
    return 0;
}

void pk_lines_close(pk_lines *l)
{
    if (!l) return;
    pk_buf_free(&l->pend);
    free(l);
}

/* Read more input behind the pending bytes: about `want` bytes (what the
 * chunk lacks; 0 when unknown), at most l->block.  Reading what the chunk
 * lacks, not a whole block, leaves behind it little more than the
 * unfinished line, which is what lines_hand_out moves. */
static int lines_fill(pk_lines *l, size_t want, pk_error *err)
{
    pk_buf *p = &l->pend;
    if (l->start > 0) {
        size_t keep = p->len - l->start;
        memmove(p->data, p->data + l->start, keep);
        p->len = keep;
        l->scanned -= l->start;
        l->start = 0;
    }
    const size_t size = want ? PK_MIN(l->block, PK_MAX(want, LINES_MIN_READ)) : l->block;
    int rc = pk_buf_reserve(p, size);
    if (rc) return pk_fail(err, rc, "%s: %s", l->src->path, pk_strerror(rc));
    size_t got = 0;
    if ((rc = pk_source_read(l->src, p->data + p->len, size, &got, err))) return rc;
    if (l->block < LINES_BLOCK) l->block *= 2;
    if (got == 0) l->eof = true;
    p->len += got;
    return 0;
}

/* Hand pend[start, start + n) out as the chunk: pend's memory becomes
 * out's (no copy of the lines), and the bytes after them move to the
 * front of out's old memory, which becomes pend's.  Copying the lines
 * one by one into out (and growing it by doublings) cost 2% of a JSONL
 * scan; what moves now is the unfinished line.  Errors go to l->failed. */
static void lines_hand_out(pk_lines *l, pk_buf *out, size_t n)
{
    pk_buf *p = &l->pend;
    const size_t cut = l->start + n, rest = p->len - cut;
    if (p->cap > out->max + 1) {
        /* out may not hold pend's memory (a cap under the line length
         * was checked): copy, as it may hold the lines */
        int rc = pk_buf_append(out, p->data + l->start, n);
        if (rc) { pk_fail(&l->failed, rc, "%s: %s", l->src->path, pk_strerror(rc)); return; }
        l->start = cut;
        return;
    }
    pk_buf next = *out; /* out's memory, for what follows the chunk */
    next.len = 0;
    next.max = p->max;
    int rc = pk_buf_reserve(&next, rest + l->block);
    if (rc) {
        *out = (pk_buf){next.data, 0, next.cap, out->max};
        pk_fail(&l->failed, rc, "%s: %s", l->src->path, pk_strerror(rc));
        return;
    }
    if (rest) memcpy(next.data, p->data + cut, rest);
    next.len = rest;
    next.data[rest] = 0;
    *out = (pk_buf){p->data, n, p->cap, out->max};
    if (l->start) memmove(out->data, out->data + l->start, n);
    out->data[n] = 0;
    *p = next;
    l->scanned -= cut;
    l->start = 0;
}

/* Take the whole lines buffered (reading more while they come short of
 * target) into out; errors go to l->failed, after the lines before
 * them. */
static void lines_take(pk_lines *l, pk_buf *out, size_t target)
{
    pk_buf *p = &l->pend;
    pk_error *err = &l->failed;
    size_t taken = 0; /* the chunk: pend.data[start, start + taken) */
    for (;;) {
        /* Take the complete lines already buffered. */
        while (l->start + taken < p->len) {
            const char *b = p->data + l->start + taken;
            size_t avail = p->len - l->start - taken;
            size_t from = l->scanned - l->start - taken;
            const char *nl = memchr(b + from, '\n', avail - from);
            size_t line_len; /* without the '\n' */
            size_t take;
            if (nl) {
                line_len = (size_t)(nl - b);
                take = line_len + 1;
            } else if (l->eof) {
                line_len = take = avail; /* last line, no newline */
            } else {
                l->scanned = p->len;
                line_len = take = avail; /* at least this long */
                if (taken > 0 && taken + avail > target) goto out; /* it goes in the next chunk */
                if (avail <= l->max_line) break; /* need more input */
            }
            if (line_len > l->max_line) {
                pk_fail(err, PK_ETOOBIG, "%s: line %llu is longer than %zu bytes", l->src->path,
                        (unsigned long long)l->next_line, l->max_line);
                goto out;
            }
            if (taken > 0 && taken + take > target) goto out;
            if (taken + take > out->max) {
                pk_fail(err, PK_ETOOBIG, "%s: line %llu: %s", l->src->path, (unsigned long long)l->next_line,
                        pk_strerror(PK_ETOOBIG));
                goto out;
            }
            taken += take;
            l->scanned = l->start + taken;
            l->next_line++;
            if (taken >= target) goto out;
        }
        if (l->eof) break;
        /* a byte past target: a last line that does not fit shows it */
        const size_t have = p->len - l->start;
        if (lines_fill(l, have <= target ? target - have + 1 : 0, err)) {
            if (!err->code) err->code = PK_EINTERNAL;
            break;
        }
    }
out:
    if (taken) lines_hand_out(l, out, taken);
}

int pk_lines_chunk(pk_lines *l, pk_buf *out, size_t target, uint64_t *first_line, pk_error *err)
{
    pk_buf_reset(out);
    *first_line = l->next_line;
    if (!l->failed.code) lines_take(l, out, target);
    /* An error after some whole lines: hand those out now and report the
     * error on the next call, so the caller sees every good line first. */
    if (l->failed.code && out->len == 0) {
        if (err) *err = l->failed;
        return l->failed.code;
    }
    return 0;
}

/* ---- whole-file mappings ------------------------------------------------- */

/* A mapping's guard slot: [a, b) is the mapped range, whole pages (a == 0:
 * the slot is not in use); cut is set by on_bus.  seq is odd while a and b
 * change (a sequence lock): on_bus reads a and b between two equal even
 * values of it, so it never takes the a of one mapping with the b of the
 * next one to use the slot. */
typedef struct map_slot {
    atomic_int used;
    atomic_uint seq;
    atomic_uintptr_t a, b;
    atomic_int cut;
} map_slot;

/* One slot a live mapping: at most 2 * threads + 2 text jobs are in
 * flight (corpus.c), and a mapping that finds no slot is not made. */
#define MAP_SLOTS 64
static map_slot map_slots[MAP_SLOTS];
static struct sigaction bus_before; /* SIGBUS's action before on_bus */
static uintptr_t page_size;
static pthread_once_t bus_once = PTHREAD_ONCE_INIT;
static atomic_int bus_ready;

struct pk_map {
    const char *p;
    size_t n;     /* the file's bytes */
    size_t span;  /* mapped: n rounded up to whole pages */
    map_slot *slot;
};

/* SIGBUS: a read of a mapping past the end of its file, cut short since
 * it was mapped.  The rest of the mapping, from the faulting page on,
 * becomes zero pages (mmap is a plain system call on Linux, safe here in
 * practice though POSIX does not list it), the slot is marked, and the
 * read is retried and reads zeros.  A SIGBUS that is not ours goes to the
 * action before ours, or, for the default one, is restored and raised
 * again by the retried access (a fault) or by raise (a signal sent). */
static void on_bus(int sig, siginfo_t *si, void *uc)
{
    const uintptr_t x = (uintptr_t)si->si_addr;
    if (si->si_code > 0) {
        for (size_t i = 0; i < MAP_SLOTS; i++) {
            map_slot *m = &map_slots[i];
            const unsigned s0 = atomic_load(&m->seq);
            const uintptr_t a = atomic_load(&m->a), b = atomic_load(&m->b);
            if ((s0 & 1) || atomic_load(&m->seq) != s0 || !a || x < a || x >= b) continue;
            const uintptr_t pg = x & ~(page_size - 1);
            if (mmap((void *)pg, b - pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
                break;
            atomic_store(&m->cut, 1);
            return;
        }
    }
    if (bus_before.sa_flags & SA_SIGINFO) {
        if (bus_before.sa_sigaction) bus_before.sa_sigaction(sig, si, uc);
        return;
    }
    if (bus_before.sa_handler != SIG_DFL && bus_before.sa_handler != SIG_IGN) {
        bus_before.sa_handler(sig);
        return;
    }
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGBUS, &dfl, NULL);
    if (si->si_code <= 0) raise(SIGBUS);
}

static void bus_install(void)
{
    long ps = sysconf(_SC_PAGESIZE);
    if (ps <= 0) return;
    page_size = (uintptr_t)ps;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, &sa, &bus_before) == 0) atomic_store(&bus_ready, 1);
}

pk_map *pk_source_map(pk_source *s, size_t max)
{
    struct stat st;
    if (s->kind != K_PLAIN || !s->own_fd || s->given || s->failed || fstat(s->fd, &st) || !S_ISREG(st.st_mode) ||
        st.st_size <= 0 || (uint64_t)st.st_size > max || (uint64_t)st.st_size > SIZE_MAX / 2)
        return NULL;
    pthread_once(&bus_once, bus_install);
    if (!atomic_load(&bus_ready)) return NULL; /* no guard: read(2) */
    map_slot *slot = NULL;
    for (size_t i = 0; i < MAP_SLOTS && !slot; i++) {
        int z = 0;
        if (atomic_compare_exchange_strong(&map_slots[i].used, &z, 1)) slot = &map_slots[i];
    }
    if (!slot) return NULL;
    pk_map *m = calloc(1, sizeof *m);
    if (!m) goto fail;
    m->n = (size_t)st.st_size;
    m->span = (m->n + page_size - 1) & ~(size_t)(page_size - 1);
    /* MAP_POPULATE: the page tables are filled here, on the reading
     * thread, not by a fault a page on the worker's. */
    void *p = mmap(NULL, m->span, PROT_READ, MAP_PRIVATE | MAP_POPULATE, s->fd, 0);
    if (p == MAP_FAILED) goto fail;
    m->p = p;
    m->slot = slot;
    atomic_store(&slot->cut, 0);
    atomic_fetch_add(&slot->seq, 1);
    atomic_store(&slot->b, (uintptr_t)p + m->span);
    atomic_store(&slot->a, (uintptr_t)p);
    atomic_fetch_add(&slot->seq, 1);
    /* the source is at its end: what was sniffed or peeked is in the map */
    s->eof = true;
    s->in_pos = s->in_len;
    s->ahead_pos = s->ahead.len = 0;
    s->offset = s->given = m->n;
    return m;
fail:
    free(m);
    atomic_store(&slot->used, 0);
    return NULL;
}

const char *pk_map_data(const pk_map *m) { return m->p; }

size_t pk_map_size(const pk_map *m) { return m->n; }

int pk_map_cut(const pk_map *m) { return atomic_load(&m->slot->cut); }

void pk_map_free(pk_map *m)
{
    if (!m) return;
    atomic_fetch_add(&m->slot->seq, 1); /* no longer ours before it is unmapped */
    atomic_store(&m->slot->a, 0);
    atomic_store(&m->slot->b, 0);
    atomic_fetch_add(&m->slot->seq, 1);
    munmap((void *)(uintptr_t)m->p, m->span);
    atomic_store(&m->slot->used, 0);
    free(m);
}
