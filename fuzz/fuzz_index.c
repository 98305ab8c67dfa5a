/* fuzz_index.c -- a damaged index file must be refused, never trusted.
 *
 * The input is written to a file and opened as an index.  When it is
 * accepted, every work's id, title, sketch and line map, and lookups of
 * every entry's hash, must stay inside the mapping (ASan watches). */
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
        for (uint32_t w = 0; w < nw; w++) {
            sink += strlen(pk_index_work_id(ix, w)) + strlen(pk_index_work_title(ix, w));
            uint32_t nkg;
            const uint16_t *sk = pk_index_work_sketch(ix, w, &nkg);
            for (uint32_t i = 0; i < nkg; i++) sink += sk[i];
            uint32_t nt = pk_index_work_tokens(ix, w);
            sink += pk_index_work_line(ix, w, 0) + pk_index_work_line(ix, w, nt ? nt - 1 : 0);
        }
        const pk_ix_entry *first;
        for (uint64_t h = 0; h < 64; h++) sink += pk_index_lookup(ix, h * 0x9E3779B97F4A7C15ull, &first);
        (void)sink;
        pk_index_close(ix);
    }
    unlink(path);
    return 0;
}
