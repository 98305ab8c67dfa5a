/* tar.c -- read the members of a tar archive from a pk_source.
 *
 * libarchive parses the headers (ustar, pax, GNU long names, old v7) and
 * hands out member data; the bytes come from picket's own pk_source
 * through archive_read_open callbacks, so a .tar.gz or .tar.zst is
 * decompressed by the same code as every other input (ISA-L's igzip for
 * gzip when present) and its errors (a gzip stream cut short) carry the
 * same messages.  The other way, libarchive's own filter over
 * archive_read_open_filename, is slower for gzip: on a 207 MB tar of
 * 10,000 text files (the Brown corpus 20 times; gzip -6: 57 MB), reading
 * every member to its end, best of 3, one core of a Xeon (this machine):
 * pk_source with ISA-L 0.30 s (690 MB/s of tar), libarchive's gzip filter
 * (zlib) 0.90 s (230 MB/s).  zstd (-3, 55 MB): 0.28 s both ways, both
 * being libzstd; the plain tar 0.05 s (bench/tar_read.c).
 *
 * Invariants:
 *   - only regular files have data; everything else (directories,
 *     symbolic and hard links, devices, FIFOs) is reported with a kind,
 *     to be passed over and counted by the caller;
 *   - `fed` counts the tar bytes handed to libarchive, so when the input
 *     ends inside the archive the message says at which byte it was cut;
 *   - an error is sticky: after one, pk_tar_next and pk_tar_read fail
 *     again with the same message (libarchive's state is not trusted);
 *   - a member is read at most to its size: a header that lies about it
 *     cannot make a read run past the member. */
#include "pk.h"

#include <archive.h>
#include <archive_entry.h>
#define PK_LAZY_ARCHIVE /* libarchive opened on first use: lazy.c */
#include "lazy.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TAR_BLOCK ((size_t)1 << 18) /* decompressed bytes handed over at a time */

struct pk_tar {
    struct archive *a;
    pk_source *src;
    const char *name;      /* the archive, for messages */
    unsigned char *buf;    /* TAR_BLOCK bytes */
    uint64_t fed;          /* tar bytes handed to libarchive */
    bool src_failed;       /* the source failed: its message is in e */
    bool in_member;        /* a member's header was read */
    bool eof;              /* the source ended */
    int failed;            /* sticky error */
    pk_error e;
    char member[1024];     /* the current member's name, for messages */
};

static la_ssize_t feed(struct archive *a, void *ud, const void **out)
{
    pk_tar *t = ud;
    size_t got = 0;
    if (t->src_failed) return -1;
    if (pk_source_read(t->src, t->buf, TAR_BLOCK, &got, &t->e)) {
        t->src_failed = true;
        archive_set_error(a, EIO, "%s", t->e.msg);
        return -1;
    }
    if (!got) t->eof = true;
    t->fed += got;
    *out = t->buf;
    return (la_ssize_t)got;
}

int pk_tar_open(pk_tar **out, pk_source *src, const char *name, pk_error *err)
{
    *out = NULL;
    if (pk_lazy_archive(err)) {
        pk_error_prefix(err, "%s", name ? name : "tar");
        return PK_EIO;
    }
    pk_tar *t = calloc(1, sizeof *t);
    if (!t) return pk_fail(err, PK_ENOMEM, "out of memory");
    t->src = src;
    t->name = name;
    t->buf = malloc(TAR_BLOCK);
    t->a = archive_read_new();
    int rc = 0;
    if (!t->buf || !t->a) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto fail; }
    archive_read_support_format_tar(t->a);
    archive_read_support_format_gnutar(t->a);
    if (archive_read_open(t->a, t, NULL, feed, NULL) != ARCHIVE_OK) {
        rc = t->src_failed ? pk_fail(err, t->e.code, "%s", t->e.msg)
                           : pk_fail(err, PK_EFORMAT, "%s: not a tar archive: %s", name, archive_error_string(t->a));
        goto fail;
    }
    *out = t;
    return 0;
fail:
    pk_tar_close(t);
    return rc;
}

void pk_tar_close(pk_tar *t)
{
    if (!t) return;
    if (t->a) archive_read_free(t->a);
    free(t->buf);
    free(t);
}

/* The error after libarchive gave up: the source's own, or where the tar
 * ends or goes wrong (at byte `at`).  Sticky. */
static int tar_fail(pk_tar *t, int64_t at, pk_error *err)
{
    if (!t->failed) {
        if (t->src_failed) {
            t->failed = t->e.code ? t->e.code : PK_EIO;
            if (t->in_member) pk_error_prefix(&t->e, "in member %s", t->member);
        } else if (t->eof) {
            t->failed = PK_EFORMAT;
            if (t->in_member)
                pk_fail(&t->e, t->failed, "%s: tar archive cut short at byte %llu, in member %s", t->name,
                        (unsigned long long)t->fed, t->member);
            else
                pk_fail(&t->e, t->failed, "%s: tar archive cut short at byte %llu", t->name, (unsigned long long)t->fed);
        } else {
            t->failed = PK_EFORMAT;
            const char *why = archive_error_string(t->a);
            pk_fail(&t->e, t->failed, "%s: damaged tar archive at byte %lld%s%s: %s", t->name, (long long)at,
                    t->in_member ? ", in member " : "",
                    t->in_member ? t->member : "", why ? why : "unknown error");
        }
    }
    return pk_fail(err, t->failed, "%s", t->e.msg);
}

static const char *kind_of(unsigned type)
{
    switch (type) {
    case AE_IFDIR: return "directory";
    case AE_IFLNK: return "symbolic link";
    case AE_IFCHR: return "character device";
    case AE_IFBLK: return "block device";
    case AE_IFIFO: return "FIFO";
    case AE_IFSOCK: return "socket";
    default: return "not a regular file";
    }
}

int pk_tar_next(pk_tar *t, pk_tar_member *m, pk_error *err)
{
    memset(m, 0, sizeof *m);
    if (t->failed) return pk_fail(err, t->failed, "%s", t->e.msg);
    struct archive_entry *ae;
    int r = archive_read_next_header(t->a, &ae);
    if (r == ARCHIVE_EOF) return PK_TAR_END;
    /* ARCHIVE_RETRY is a header that fails its checksum: libarchive would
     * skip ahead to the next good one, losing what lay between unseen.
     * Stop there instead.  ARCHIVE_WARN (an odd pax keyword ...) is fine. */
    if (r < ARCHIVE_WARN || r == ARCHIVE_RETRY) {
        t->in_member = false;
        return tar_fail(t, archive_read_header_position(t->a), err);
    }
    const char *name = archive_entry_pathname(ae);
    snprintf(t->member, sizeof t->member, "%s", name ? name : "");
    t->in_member = true;
    m->name = t->member;
    m->offset = (uint64_t)archive_read_header_position(t->a);
    m->size = archive_entry_size_is_set(ae) && archive_entry_size(ae) > 0 ? (uint64_t)archive_entry_size(ae) : 0;
    /* A hard link has no data of its own (its target was read already). */
    if (archive_entry_hardlink(ae)) m->kind = "hard link";
    else if (archive_entry_filetype(ae) != AE_IFREG) m->kind = kind_of(archive_entry_filetype(ae));
    return 0;
}

int pk_tar_read(pk_tar *t, void *buf, size_t cap, size_t *got, pk_error *err)
{
    *got = 0;
    if (t->failed) return pk_fail(err, t->failed, "%s", t->e.msg);
    la_ssize_t n = archive_read_data(t->a, buf, cap);
    if (n < 0) return tar_fail(t, archive_filter_bytes(t->a, 0), err);
    *got = (size_t)n;
    return 0;
}

bool pk_tar_sniff(const char *p, size_t n)
{
    /* POSIX "ustar\0" + "00", GNU "ustar  \0": the magic at 257, and a
     * header checksum that adds up, so a text that happens to hold
     * "ustar" there is still text. */
    if (n < 512 || memcmp(p + 257, "ustar", 5) != 0) return false;
    unsigned sum = 0, want = 0;
    for (size_t i = 0; i < 512; i++) sum += (i >= 148 && i < 156) ? ' ' : (unsigned char)p[i];
    size_t i = 148;
    while (i < 156 && p[i] == ' ') i++;
    if (i == 156 || p[i] < '0' || p[i] > '7') return false;
    for (; i < 156 && p[i] >= '0' && p[i] <= '7'; i++) want = want * 8 + (unsigned)(p[i] - '0');
    return sum == want;
}
