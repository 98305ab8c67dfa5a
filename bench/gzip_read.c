/* gzip_read.c -- how fast picket's byte source inflates a gzip file: in
 * turn on one thread, and with pk_source_parallel on N threads (a file of
 * many members, as a WARC.gz from Common Crawl or wget), best of REPEATS,
 * with an FNV checksum of the bytes so every way is seen to read the same.
 * The peer, `zcat FILE > /dev/null` (zlib, one core), is timed by the
 * caller (see bench/README.md).
 *
 * Build: cc -O2 -Iinclude -Isrc bench/gzip_read.c build-bench/libpicket.a \
 *          $(pkg-config --libs sqlite3 libutf8proc libxxhash zlib libzstd libsodium jansson libisal) \
 *          -lpthread -lm -ldl -o /tmp/gzip_read
 * Run:   /tmp/gzip_read FILE [REPEATS] [THREADS...]   (default: 3 repeats, threads 1 2 4) */
#include "pk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: gzip_read FILE [REPEATS] [THREADS...]\n");
        return 2;
    }
    const int reps = argc > 2 ? atoi(argv[2]) : 3;
    int threads[16] = {1, 2, 4}, nt = 3;
    if (argc > 3) {
        nt = 0;
        for (int i = 3; i < argc && nt < 16; i++) threads[nt++] = atoi(argv[i]);
    }
    enum { STEP = 1 << 20 };
    char *buf = malloc(STEP);
    if (!buf) return 2;
    for (int t = 0; t < nt; t++) {
        double best = 1e9;
        uint64_t bytes = 0, sum = 0;
        for (int r = 0; r < reps; r++) {
            pk_source *s = NULL;
            pk_error e;
            if (pk_source_open(&s, argv[1], &e)) {
                fprintf(stderr, "%s\n", e.msg);
                return 1;
            }
            if (threads[t] > 1) pk_source_parallel(s, threads[t], 0);
            const double t0 = now();
            bytes = 0;
            sum = 1469598103934665603ull;
            for (;;) {
                size_t got = 0;
                if (pk_source_read(s, buf, STEP, &got, &e)) {
                    fprintf(stderr, "%s\n", e.msg);
                    return 1;
                }
                if (!got) break;
                for (size_t i = 0; i < got; i += 4096) sum = (sum ^ (unsigned char)buf[i]) * 1099511628211ull;
                bytes += got;
            }
            const double dt = now() - t0;
            if (dt < best) best = dt;
            pk_source_close(s);
        }
        printf("%-10s %d thread%s  %8.1f MB out in %.3f s  %7.1f MB/s  checksum %016llx\n", "pk_source",
               threads[t], threads[t] == 1 ? " " : "s", (double)bytes / 1e6, best, (double)bytes / 1e6 / best,
               (unsigned long long)sum);
    }
    free(buf);
    return 0;
}
