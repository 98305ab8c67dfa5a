/* tar_read.c -- reading a compressed tar: pk_source under libarchive, or
 * libarchive's own decompression filter.
 *
 * Reads every member of the archive to its end both ways and prints the
 * seconds (best of 3) and MB/s of tar: (a) io/tar.c, libarchive parsing
 * bytes that pk_source decompressed (ISA-L's igzip for gzip when built
 * with it, libzstd for zstd); (b) archive_read_open_filename with
 * archive_read_support_filter_all, libarchive decompressing itself (zlib
 * for gzip).  The figure is quoted in src/io/tar.c.
 *
 * Build by hand (not part of the CMake build), from a configured build dir:
 *   cc -O2 -D_GNU_SOURCE -Iinclude -Isrc bench/tar_read.c build/libpicket.a \
 *      $(pkg-config --libs libarchive libzstd zlib libsodium sqlite3 \
 *        libutf8proc libxxhash jansson) -lisal -lpthread -lm -ldl
 * Run: ./a.out ARCHIVE.tar.gz */
#include "pk.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

static char buf[1 << 20];

static double via_source(const char *path, uint64_t *bytes)
{
    pk_error e;
    pk_source *src = NULL;
    pk_tar *t = NULL;
    double t0 = pk_now();
    if (pk_source_open(&src, path, &e) || pk_tar_open(&t, src, path, &e)) { fprintf(stderr, "%s\n", e.msg); exit(1); }
    pk_tar_member m;
    int rc;
    while ((rc = pk_tar_next(t, &m, &e)) == 0) {
        size_t got;
        do {
            if (pk_tar_read(t, buf, sizeof buf, &got, &e)) { fprintf(stderr, "%s\n", e.msg); exit(1); }
            *bytes += got;
        } while (got);
    }
    if (rc != PK_TAR_END) { fprintf(stderr, "%s\n", e.msg); exit(1); }
    pk_tar_close(t);
    pk_source_close(src);
    return pk_now() - t0;
}

static double via_filter(const char *path, uint64_t *bytes)
{
    double t0 = pk_now();
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    archive_read_support_filter_all(a);
    if (archive_read_open_filename(a, path, 1 << 18) != ARCHIVE_OK) { fprintf(stderr, "%s\n", archive_error_string(a)); exit(1); }
    struct archive_entry *ae;
    while (archive_read_next_header(a, &ae) == ARCHIVE_OK) {
        la_ssize_t n;
        while ((n = archive_read_data(a, buf, sizeof buf)) > 0) *bytes += (uint64_t)n;
        if (n < 0) { fprintf(stderr, "%s\n", archive_error_string(a)); exit(1); }
    }
    archive_read_free(a);
    return pk_now() - t0;
}

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: tar_read ARCHIVE\n"); return 2; }
    double best[2] = {1e9, 1e9};
    uint64_t n[2] = {0, 0};
    for (int run = 0; run < 3; run++) {
        uint64_t b0 = 0, b1 = 0;
        double s0 = via_source(argv[1], &b0), s1 = via_filter(argv[1], &b1);
        best[0] = PK_MIN(best[0], s0);
        best[1] = PK_MIN(best[1], s1);
        n[0] = b0;
        n[1] = b1;
    }
    printf("member bytes: %llu (pk_source) %llu (libarchive filter)\n", (unsigned long long)n[0], (unsigned long long)n[1]);
    printf("pk_source + libarchive tar: %.3f s\n", best[0]);
    printf("libarchive filter + tar:    %.3f s\n", best[1]);
    return 0;
}
