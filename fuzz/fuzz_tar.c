/* fuzz_tar.c -- the tar member reader on arbitrary bytes.
 *
 * The input is written to a file (so gzip and zstd seeds go through
 * pk_source as in a scan) and read with pk_tar twice, with read sizes of
 * 1 byte and 64 KiB: both reads must see the same members, kinds and data
 * (a member cut short aside) and end the same way; a member's data is never more than its header's
 * size; a member that is not a regular file has no data; every error
 * names the archive and a byte ("at byte"), or comes from the source; and
 * after an error every call fails again.  pk_tar_sniff must not read past
 * the bytes it is given. */
#include "pk.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Members as "name|kind|size|data" into all; returns the end code. */
static int read_all(const char *path, size_t step, pk_buf *all, pk_error *e)
{
    static char buf[1 << 16];
    pk_source *src = NULL;
    pk_tar *t = NULL;
    pk_buf_reset(all);
    int rc = pk_source_open(&src, path, e);
    if (!rc) rc = pk_tar_open(&t, src, path, e);
    int members = 0;
    size_t mark = 0; /* where the member being read starts in all */
    while (!rc && members++ < 10000) {
        pk_tar_member m;
        mark = all->len;
        rc = pk_tar_next(t, &m, e);
        if (rc) break;
        if (!m.name) abort();
        pk_buf_printf(all, "%s|%s|%llu|", m.name, m.kind ? m.kind : "file", (unsigned long long)m.size);
        uint64_t n = 0;
        size_t got;
        do {
            rc = pk_tar_read(t, buf, step, &got, e);
            if (rc) break;
            if (got > step) abort();
            n += got;
            pk_buf_append(all, buf, got);
        } while (got);
        if (!rc && n > m.size) abort();
        if (!rc && m.kind && n) abort();
    }
    if (rc && rc != PK_TAR_END) {
        if (!e->msg[0]) abort();
        /* How much of a member cut short comes out depends on the read
         * size: only whole members are compared. */
        all->len = mark;
        pk_tar_member m;
        pk_error e2;
        size_t got;
        /* sticky: the same code again */
        if (t && pk_tar_next(t, &m, &e2) != rc) abort();
        if (t && pk_tar_read(t, buf, 1, &got, &e2) != rc) abort();
    }
    pk_tar_close(t);
    pk_source_close(src);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pk_buf a, b;
    static bool ready;
    if (!ready) {
        pk_buf_init(&a, 0);
        pk_buf_init(&b, 0);
        ready = true;
    }
    /* sniff on an exact-size copy, so a read past the end is caught */
    char *copy = malloc(size ? size : 1);
    if (!copy) abort();
    if (size) memcpy(copy, data, size);
    (void)pk_tar_sniff(copy, size);
    free(copy);

    char path[64];
    snprintf(path, sizeof path, "/tmp/pk_fuzz_tar.%ld", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    fclose(f);
    pk_error e1, e2;
    memset(&e1, 0, sizeof e1);
    memset(&e2, 0, sizeof e2);
    int r1 = read_all(path, 1, &a, &e1);
    int r2 = read_all(path, (size_t)1 << 16, &b, &e2);
    if (r1 != r2 || a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0)) abort();
    if (r1 && r1 != PK_TAR_END && strcmp(e1.msg, e2.msg) != 0) abort();
    if (r1 == PK_EFORMAT && !strstr(e1.msg, path)) abort();
    unlink(path);
    return 0;
}
