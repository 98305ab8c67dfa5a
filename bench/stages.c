/* stages.c -- time each stage of the scan loop on one text, single thread:
 * tokenize (block path and scalar path), + k-gram hashes, + winnowing.
 * Build: cc -O3 -Iinclude -Isrc bench/stages.c build-bench/libpicket.a \
 *        $(pkg-config --libs sqlite3 libutf8proc libxxhash zlib libzstd libsodium jansson) -lpthread -lm
 * Run:   ./stages FILE [repeats] [block]  (FILE: plain UTF-8 text) */
#include "pk.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: stages FILE [repeats]\n"); return 2; }
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    pk_buf b;
    pk_buf_init(&b, 0);
    pk_error e;
    if (pk_source_slurp(argv[1], &b, (size_t)1 << 32, &e)) { fprintf(stderr, "%s\n", e.msg); return 1; }
    size_t cap = b.len / 2 + 16;
    pk_tok *tok = malloc(cap * sizeof *tok);
    uint64_t *kg = malloc(cap * sizeof *kg);
    pk_fp *fp = malloc(cap * sizeof *fp);
    const char *names[2] = {"block", "scalar"};
    int npaths = argc > 3 ? 1 : 2; /* a third argument: the block path only */
    for (int path = 0; path < npaths; path++) {
        double best[3] = {1e9, 1e9, 1e9};
        size_t ntok = 0, nfp = 0;
        for (int r = 0; r < reps; r++) {
            double t0 = now();
            pk_tokenizer t;
            pk_tokenizer_init(&t, b.data, b.len, PK_TOK_LOSSY | PK_TOK_NOLINES | (path ? PK_TOK_SCALAR : 0));
            size_t got;
            ntok = 0;
            while (pk_tokenize(&t, tok + ntok, cap - ntok, &got, &e) == 0 && got) ntok += got;
            double t1 = now();
            pk_kgrams(tok, ntok, 8, kg);
            double t2 = now();
            nfp = pk_winnow(kg, ntok - 7, 18, fp);
            double t3 = now();
            if (t1 - t0 < best[0]) best[0] = t1 - t0;
            if (t2 - t1 < best[1]) best[1] = t2 - t1;
            if (t3 - t2 < best[2]) best[2] = t3 - t2;
        }
        double mb = (double)b.len / 1e6;
        printf("%-6s path: %.1f MB, %zu tokens (%.2f bytes/token), %zu fingerprints\n", names[path], mb, ntok,
               (double)b.len / (double)ntok, nfp);
        printf("  tokenize %7.1f MB/s  %5.1f ns/token\n", mb / best[0], best[0] * 1e9 / (double)ntok);
        printf("  k-grams  %7.1f MB/s  %5.1f ns/token\n", mb / best[1], best[1] * 1e9 / (double)ntok);
        printf("  winnow   %7.1f MB/s  %5.1f ns/token\n", mb / best[2], best[2] * 1e9 / (double)ntok);
        printf("  together %7.1f MB/s\n", mb / (best[0] + best[1] + best[2]));
    }
    free(tok);
    free(kg);
    free(fp);
    pk_buf_free(&b);
    return 0;
}
