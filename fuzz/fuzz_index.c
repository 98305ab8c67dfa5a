/* fuzz_index.c -- a damaged index file must be refused, never trusted.
 *
 * The input is written to a file and opened as an index.  When it is
 * accepted, every work's id and title, lookups of many hashes and the
 * decoding of every posting they return must stay inside the mapping
 * (ASan watches). */
#include "pk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/pk-fuzz-index-%ld.pkx", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    pk_index *ix = NULL;
    pk_error e;
    if (pk_index_open_file(&ix, path, &e) == 0) {
        uint32_t nw = pk_index_nworks(ix);
        volatile size_t sink = 0;
        for (uint32_t w = 0; w < nw; w++)
            sink += strlen(pk_index_work_id(ix, w)) + strlen(pk_index_work_title(ix, w)) + pk_index_work_kgrams(ix, w) +
                    pk_index_work_tokens(ix, w);
        for (uint64_t h = 0; h < 4096; h++) {
            size_t first, n = pk_index_lookup(ix, h * 0x9E3779B97F4A7C15ull, &first);
            pk_posting p;
            for (size_t x = first; x < first + n; x = pk_index_work_run(ix, x, first + n))
                if (pk_index_posting(ix, x, &p) == 0) sink += p.work + p.pos + p.nb;
        }
        (void)sink;
        pk_index_close(ix);
    }
    unlink(path);
    return 0;
}
