/* jsonl_vs_jansson.c -- throughput of pk_jsonl_extract against jansson.
 *
 * Builds about 200 MB of JSONL records in memory (an id, several KB of
 * English-like text with some escapes and accented letters, a small nested
 * meta object), then pulls the text member out of every line twice: with
 * pk_jsonl_extract, and with jansson's json_loadb + json_object_get (the
 * DOM route io/jsonl.c exists to avoid).  Prints MB/s of input for each,
 * best of three runs, and checks both saw the same number of text bytes.
 *
 * Build by hand (not part of the CMake build):
 *   cc -O2 -Iinclude -Isrc bench/jsonl_vs_jansson.c src/io/jsonl.c \
 *      src/util.c -ljansson -lsodium
 * Run: ./a.out [megabytes] */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "pk.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const words[] = {
    "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with",
    "be", "by", "on", "not", "he", "this", "are", "or", "his", "from", "at", "which",
    "but", "have", "an", "had", "they", "you", "were", "their", "one", "all", "we",
    "garden", "river", "morning", "quietly", "remembered", "letters", "window", "winter",
    "afterwards", "nevertheless", "conversation", "extraordinary", "lighthouse", "harbour",
};

static uint64_t rng = 88172645463325252u;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

/* One record of roughly `size` bytes of text. */
static void make_record(pk_buf *b, size_t docno, size_t size)
{
    pk_buf_printf(b, "{\"id\":\"doc-%zu\",\"text\":\"", docno);
    size_t start = b->len;
    while (b->len - start < size) {
        uint32_t r = next_rand();
        pk_buf_printf(b, "%s", words[r % (sizeof words / sizeof words[0])]);
        switch ((r >> 8) % 64) {
        case 0: pk_buf_printf(b, "\\n"); break;
        case 1: pk_buf_printf(b, " \\\"quoted\\\" "); break;
        case 2: pk_buf_printf(b, " caf\\u00e9 "); break;
        case 3: pk_buf_printf(b, " na\xc3\xafve "); break;
        case 4: pk_buf_printf(b, " back\\\\slash "); break;
        case 5: pk_buf_printf(b, ". "); break;
        case 6: pk_buf_printf(b, ", "); break;
        default: pk_buf_putc(b, ' '); break;
        }
    }
    pk_buf_printf(b, "\",\"meta\":{\"a\":[1,2,{\"b\":null}],\"lang\":\"en\"}}\n");
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    size_t mb = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 200;
    size_t want = mb << 20;
    pk_buf data;
    pk_buf_init(&data, 0);
    size_t nlines = 0;
    while (data.len < want) make_record(&data, nlines++, 2000 + next_rand() % 6000);

    /* line starts, so neither side pays for finding newlines */
    size_t *starts = malloc((nlines + 1) * sizeof *starts);
    if (!starts) return 1;
    size_t k = 0;
    starts[k++] = 0;
    for (const char *p = data.data, *end = data.data + data.len; (p = memchr(p, '\n', (size_t)(end - p)));)
        starts[k++] = (size_t)(++p - data.data);
    printf("input: %zu lines, %.1f MB\n", nlines, (double)data.len / 1e6);

    pk_buf text, id;
    pk_buf_init(&text, 0);
    pk_buf_init(&id, 0);
    double best_pk = 1e9, best_js = 1e9;
    size_t pk_bytes = 0, js_bytes = 0;
    for (int run = 0; run < 3; run++) {
        double t0 = now();
        size_t sum = 0;
        for (size_t i = 0; i < nlines; i++) {
            bool has_id;
            size_t off;
            const char *why;
            const char *line = data.data + starts[i];
            size_t len = starts[i + 1] - starts[i] - 1;
            if (pk_jsonl_extract(line, len, "text", "id", &text, &id, &has_id, &off, &why) != 0) {
                fprintf(stderr, "line %zu: %s at %zu\n", i + 1, why, off);
                return 1;
            }
            sum += text.len;
        }
        double t = now() - t0;
        if (t < best_pk) best_pk = t;
        pk_bytes = sum;

        t0 = now();
        sum = 0;
        for (size_t i = 0; i < nlines; i++) {
            json_error_t je;
            const char *line = data.data + starts[i];
            size_t len = starts[i + 1] - starts[i] - 1;
            json_t *root = json_loadb(line, len, 0, &je);
            if (!root) {
                fprintf(stderr, "jansson line %zu: %s\n", i + 1, je.text);
                return 1;
            }
            json_t *t1 = json_object_get(root, "text");
            sum += json_string_length(t1);
            json_decref(root);
        }
        t = now() - t0;
        if (t < best_js) best_js = t;
        js_bytes = sum;
    }
    double mbytes = (double)data.len / 1e6;
    printf("pk_jsonl_extract: %8.1f MB/s\n", mbytes / best_pk);
    printf("jansson:          %8.1f MB/s\n", mbytes / best_js);
    printf("speedup:          %8.1fx\n", best_js / best_pk);
    if (pk_bytes != js_bytes) {
        fprintf(stderr, "text bytes differ: %zu vs %zu\n", pk_bytes, js_bytes);
        return 1;
    }
    free(starts);
    pk_buf_free(&data);
    pk_buf_free(&text);
    pk_buf_free(&id);
    return 0;
}
