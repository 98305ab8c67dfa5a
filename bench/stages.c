/* stages.c -- time each stage of the scan loop, single thread, on every
 * vector path this CPU supports: tokenize, k-gram hashes, winnowing.
 *
 * The text is cut into documents of about CHUNK bytes (default 5000, at
 * the next blank after each mark), as the scanner sees them, and each
 * stage runs over every document in turn with the buffers of one
 * document, so they stay in cache; CHUNK 0 takes the whole file as one
 * document.  Tokens are taken as the scanner takes them (lossy, no line
 * numbers); "lines" also times the tokenizer keeping lines.  "steps" is
 * the reference tokenizer (PK_TOK_SCALAR), for comparison.  Each figure
 * is the best of the repeats; every path's output is checked against the
 * first one's.
 *
 * Build: cc -O3 -Iinclude -Isrc bench/stages.c build-bench/libpicket.a \
 *        $(pkg-config --libs sqlite3 libutf8proc libxxhash zlib libzstd libsodium jansson libisal) -lpthread -lm -ldl
 * Run:   ./stages FILE [repeats] [chunk] [paths]
 *        (FILE: plain UTF-8 text; paths: comma-separated, e.g. avx512,avx2,scalar,steps) */
#include "pk.h"
#include "simd.h"

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

static uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ull + (h >> 29); }

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: stages FILE [repeats] [chunk] [paths]\n");
        return 2;
    }
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    size_t chunk = argc > 3 ? (size_t)atol(argv[3]) : 5000;
    const char *want = argc > 4 ? argv[4] : "avx512,avx2,sse2,scalar,steps";
    pk_buf b;
    pk_buf_init(&b, 0);
    pk_error e;
    if (pk_source_slurp(argv[1], &b, (size_t)1 << 32, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    /* Document boundaries. */
    size_t ndoc = 0, dcap = 16;
    size_t *doc = malloc(dcap * sizeof *doc);
    doc[ndoc++] = 0;
    for (size_t p = 0; chunk && p + chunk < b.len;) {
        p += chunk;
        while (p < b.len && b.data[p] != ' ' && b.data[p] != '\n') p++;
        if (p >= b.len) break;
        if (ndoc + 1 >= dcap) doc = realloc(doc, (dcap *= 2) * sizeof *doc);
        doc[ndoc++] = p;
    }
    doc[ndoc] = b.len;
    size_t maxdoc = 0;
    for (size_t i = 0; i < ndoc; i++)
        if (doc[i + 1] - doc[i] > maxdoc) maxdoc = doc[i + 1] - doc[i];
    size_t cap = maxdoc / 2 + 16;
    pk_tok *tok = malloc(cap * sizeof *tok);
    uint64_t *kg = malloc(cap * sizeof *kg);
    pk_fp *fp = malloc(cap * sizeof *fp);
    char cpu[256] = "?";
    FILE *ci = fopen("/proc/cpuinfo", "r");
    for (char line[512]; ci && fgets(line, sizeof line, ci);)
        if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
            snprintf(cpu, sizeof cpu, "%s", strchr(line, ':') + 2);
            cpu[strcspn(cpu, "\n")] = 0;
            break;
        }
    if (ci) fclose(ci);
    printf("cpu: %s\n", cpu);
    printf("%s: %.1f MB in %zu documents of about %zu bytes; CPU paths supported:", argv[1], (double)b.len / 1e6, ndoc,
           chunk ? chunk : b.len);
    for (int l = 0; l < PK_SIMD_NLEVELS; l++)
        if (pk_simd_supported(l)) printf(" %s", pk_simd_level_name(l));
    printf("\n");
    /* The paths to time, best first; repeats interleave them so that a
     * slow moment of the machine hits all of them alike. */
    int paths[PK_SIMD_NLEVELS + 1], np = 0;
    char list[256];
    snprintf(list, sizeof list, ",%s,", want);
    for (int path = 0; path <= PK_SIMD_NLEVELS; path++) {
        const int steps = path == PK_SIMD_NLEVELS, level = PK_SIMD_AVX512 - path;
        char key[32];
        snprintf(key, sizeof key, ",%s,", steps ? "steps" : pk_simd_level_name(level));
        if (strstr(list, key) && (steps || pk_simd_supported(level))) paths[np++] = path;
    }
    double best[PK_SIMD_NLEVELS + 1][4];
    uint64_t sum[PK_SIMD_NLEVELS + 1] = {0};
    size_t ntok = 0, nfp = 0;
    for (int i = 0; i <= PK_SIMD_NLEVELS; i++)
        for (int j = 0; j < 4; j++) best[i][j] = 1e9;
    for (int r = 0; r < reps; r++) {
        for (int pi = 0; pi < np; pi++) {
            const int path = paths[pi], steps = path == PK_SIMD_NLEVELS;
            pk_simd_force(steps ? -1 : PK_SIMD_AVX512 - path);
            const unsigned fl = PK_TOK_LOSSY | (steps ? PK_TOK_SCALAR : 0);
            double tt[4] = {0, 0, 0, 0};
            ntok = nfp = 0;
            for (size_t d = 0; d < ndoc; d++) {
                const char *s = b.data + doc[d];
                size_t n = doc[d + 1] - doc[d], nt = 0, got;
                double t0 = now();
                pk_tokenizer t;
                pk_tokenizer_init(&t, s, n, fl | PK_TOK_NOLINES);
                while (pk_tokenize(&t, tok + nt, cap - nt, &got, &e) == 0 && got) nt += got;
                double t1 = now();
                size_t nk = nt >= 8 ? nt - 7 : 0, nf = 0;
                pk_kgrams(tok, nt, 8, kg);
                double t2 = now();
                nf = pk_winnow(kg, nk, 18, fp);
                double t3 = now();
                if (r == 0) {
                    uint64_t h = sum[path];
                    for (size_t i = 0; i < nt; i++) h = mix(mix(h, tok[i].h), tok[i].off << 8 | tok[i].len);
                    for (size_t i = 0; i < nk; i++) h = mix(h, kg[i]);
                    for (size_t i = 0; i < nf; i++) h = mix(mix(h, fp[i].h), fp[i].pos);
                    sum[path] = h;
                }
                /* With line numbers, as registering does. */
                pk_tokenizer_init(&t, s, n, fl);
                nt = 0;
                while (pk_tokenize(&t, tok + nt, cap - nt, &got, &e) == 0 && got) nt += got;
                double t4 = now();
                tt[0] += t1 - t0;
                tt[1] += t2 - t1;
                tt[2] += t3 - t2;
                tt[3] += t4 - t3;
                ntok += nt;
                nfp += nf;
            }
            for (int i = 0; i < 4; i++)
                if (tt[i] < best[path][i]) best[path][i] = tt[i];
        }
    }
    pk_simd_force(-1);
    printf("%-7s %10s %10s %10s %10s %10s | %-10s\n", "path", "tokenize", "k-grams", "winnow", "together", "+lines",
           "ns/token: tok kg win");
    const double mb = (double)b.len / 1e6, nt = (double)ntok;
    for (int pi = 0; pi < np; pi++) {
        const int path = paths[pi];
        const double *bp = best[path];
        printf("%-7s %6.0f MB/s %6.0f MB/s %6.0f MB/s %6.0f MB/s %6.0f MB/s | %5.2f %5.2f %5.2f%s\n",
               path == PK_SIMD_NLEVELS ? "steps" : pk_simd_level_name(PK_SIMD_AVX512 - path), mb / bp[0], mb / bp[1],
               mb / bp[2], mb / (bp[0] + bp[1] + bp[2]), mb / bp[3], bp[0] * 1e9 / nt, bp[1] * 1e9 / nt,
               bp[2] * 1e9 / nt, sum[path] == sum[paths[0]] ? "" : "  OUTPUT DIFFERS FROM THE FIRST PATH");
    }
    printf("(%zu tokens, %.2f bytes/token, %zu fingerprints, checksum %016llx)\n", ntok, (double)b.len / (double)ntok,
           nfp, (unsigned long long)sum[paths[0]]);
    free(tok);
    free(kg);
    free(fp);
    free(doc);
    pk_buf_free(&b);
    return 0;
}
