/* fuzz_scan.c -- scan arbitrary documents against the sample works.
 *
 * The registry is built once from sample/works (our own text).  Every
 * finding must be well formed: passages inside the document, in order,
 * words and runs inside their passage, work ranges inside the work,
 * coverage in (0, 1].  Seeds in fuzz/corpus/fuzz_scan quote the works. */
#include "pk.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PK_SAMPLE_DIR
#define PK_SAMPLE_DIR "sample"
#endif

static pk_index *ix;
static pk_scanner *sc;
static char db[128];

static void remove_db(void)
{
    const char *ext[] = {"", "-wal", "-shm", ".pkx"};
    for (int i = 0; i < 4; i++) {
        char p[160];
        snprintf(p, sizeof p, "%s%s", db, ext[i]);
        unlink(p);
    }
}

static void setup(void)
{
    char dir[512];
    snprintf(db, sizeof db, "/tmp/pk-fuzz-scan-%ld.db", (long)getpid());
    remove_db();
    atexit(remove_db);
    snprintf(dir, sizeof dir, "%s/works", PK_SAMPLE_DIR);
    pk_registry *r = NULL;
    pk_error e;
    if (pk_registry_open(&r, db, PK_REG_CREATE, NULL, &e)) { fprintf(stderr, "%s\n", e.msg); abort(); }
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        pk_buf b;
        pk_buf_init(&b, 0);
        pk_register_opts o;
        memset(&o, 0, sizeof o);
        o.source = de->d_name;
        pk_register_result res;
        if (pk_source_slurp(p, &b, 1 << 24, &e) || pk_registry_add(r, b.data, b.len, &o, &res, &e)) abort();
        pk_buf_free(&b);
    }
    if (d) closedir(d);
    pk_registry_close(r);
    pk_scan_opts so;
    pk_scan_opts_default(&so);
    so.tok_flags = PK_TOK_LOSSY;
    so.min_words = 12;
    if (pk_index_open(&ix, db, &e) || pk_scanner_new(&sc, ix, &so, &e)) { fprintf(stderr, "%s\n", e.msg); abort(); }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ix) setup();
    if (size > 1 << 18) return 0;
    pk_finding *f;
    size_t nf;
    pk_error e;
    if (pk_scan_text(sc, (const char *)data, size, &f, &nf, &e)) return 0;
    for (size_t i = 0; i < nf; i++) {
        uint32_t wt = pk_index_work_tokens(ix, f[i].work);
        if (f[i].work >= pk_index_nworks(ix) || !(f[i].coverage > 0 && f[i].coverage <= 1) || !f[i].npassages) abort();
        uint64_t words = 0;
        for (size_t j = 0; j < f[i].npassages; j++) {
            const pk_passage *p = &f[i].passages[j];
            if (p->doc_start >= p->doc_end || p->doc_end > size) abort();
            if (p->work_start_word >= p->work_end_word || p->work_end_word > wt) abort();
            if (p->work_start_line > p->work_end_line || p->words == 0) abort();
            uint64_t at = p->doc_start;
            for (uint32_t r = 0; r < p->nruns; r++) {
                if (p->runs[2 * r] < at || p->runs[2 * r] >= p->runs[2 * r + 1] || p->runs[2 * r + 1] > p->doc_end) abort();
                at = p->runs[2 * r + 1];
            }
            if (j && p->doc_start < f[i].passages[j - 1].doc_start) abort();
            words += p->words;
        }
        if (f[i].matched_words == 0 || f[i].matched_words > words) abort();
    }
    return 0;
}
