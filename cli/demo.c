/* demo.c -- `picket demo`: the main job on the bundled sample data.
 *
 * Registers the sample works in a fresh registry, scans the sample corpus
 * and prints what a user would see from `picket scan`, narrated.  Uses the
 * library directly, as the other commands do. */
#include "cli.h"
#include "scanopts.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef PK_SAMPLE_DIR
#define PK_SAMPLE_DIR "sample"
#endif

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

typedef struct demo {
    pk_index *ix;
    const char *corpus;
} demo;

static int demo_record(const pk_record *rec, pk_sink *sink, void *ud)
{
    demo *d = ud;
    pk_index *ix = d->ix;
    if (rec->error) return pk_buf_printf(&sink->out[2], "  skipped %s\n", rec->errmsg);
    /* Show text files by their name under the corpus directory. */
    const char *id = rec->id;
    size_t idlen = rec->id_len, cl = strlen(d->corpus);
    if (!rec->line && idlen > cl + 1 && strncmp(id, d->corpus, cl) == 0 && id[cl] == '/') {
        id += cl + 1;
        idlen -= cl + 1;
    }
    for (size_t i = 0; i < rec->nfindings; i++) {
        const pk_finding *f = &rec->findings[i];
        pk_buf_printf(&sink->out[1], "  %-24.*s %-22s %5u words  %5.1f%% of the work  %zu passage%s\n",
                      (int)idlen, id, pk_index_work_id(ix, f->work), f->matched_words,
                      100.0 * f->coverage, f->npassages, f->npassages == 1 ? "" : "s");
    }
    return 0;
}

static int demo_flush(pk_sink *sink, void *ud)
{
    PK_UNUSED(ud);
    fwrite(sink->out[1].data ? sink->out[1].data : "", 1, sink->out[1].len, stdout);
    fwrite(sink->out[2].data ? sink->out[2].data : "", 1, sink->out[2].len, stdout);
    return 0;
}

int cmd_demo(int argc, char **argv)
{
    static const struct option opts[] = {{"sample", required_argument, NULL, 's'}, {"keep", required_argument, NULL, 'k'},
                                         {NULL, 0, NULL, 0}};
    const char *sample = getenv("PICKET_SAMPLE_DIR");
    const char *keep = NULL;
    int c;
    if (!sample) sample = PK_SAMPLE_DIR;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 's') sample = optarg;
        else if (c == 'k') keep = optarg;
        else return cli_usage("demo");
    }
    char dir[4096], works[4200], corpus[4200], db[4300];
    if (keep) {
        if (mkdir(keep, 0755) != 0 && errno != EEXIST) return cli_error("%s: %s", keep, strerror(errno));
        snprintf(dir, sizeof dir, "%s", keep);
    } else {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/picket-demo-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(dir)) return cli_error("%s: %s", dir, strerror(errno));
    }
    snprintf(works, sizeof works, "%s/works", sample);
    snprintf(corpus, sizeof corpus, "%s/corpus", sample);
    snprintf(db, sizeof db, "%s/registry.db", dir);
    unlink(db);

    pk_error e;
    memset(&e, 0, sizeof e);
    pk_registry *r = NULL;
    pk_index *ix = NULL;
    int status = EXIT_ERR;
    char **names = NULL;
    size_t n = 0;
    DIR *d = opendir(works);
    if (!d) { cli_error("%s: %s (use --sample DIR)", works, strerror(errno)); goto done; }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char **nn = realloc(names, (n + 1) * sizeof *nn);
        if (!nn) break;
        names = nn;
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    if (n > 1) qsort(names, n, sizeof *names, cmp);

    printf("picket demo: registry %s\n\n1. Register the sample works (fingerprints only, no text kept):\n", db);
    if (pk_registry_open(&r, db, PK_REG_CREATE, NULL, &e)) { cli_perror(&e); goto done; }
    pk_buf text;
    pk_buf_init(&text, 0);
    pk_doc doc;
    pk_doc_init(&doc);
    for (size_t i = 0; i < n; i++) {
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", works, names[i]);
        pk_buf_reset(&text);
        pk_register_opts ro;
        memset(&ro, 0, sizeof ro);
        ro.source = names[i];
        pk_register_result res;
        const char *raw;
        if (pk_source_slurp(p, &text, (size_t)1 << 30, &e) ||
            pk_doc_read(&doc, names[i], (raw = text.data ? text.data : ""), text.len, PK_WORK_AUTO, 0, &e) ||
            pk_registry_add_doc(r, &doc, raw, text.len, &ro, &res, &e)) {
            pk_buf_free(&text);
            pk_doc_free(&doc);
            cli_perror(&e);
            goto done;
        }
        printf("  %-22s %-8s %6llu words  %5llu fingerprints  sha256 %.16s...\n", res.id, pk_work_format_name(doc.format),
               (unsigned long long)res.tokens, (unsigned long long)res.fingerprints, res.sha256);
    }
    pk_buf_free(&text);
    pk_doc_free(&doc);
    pk_registry_close(r);
    r = NULL;

    double t0 = cli_now();
    if (pk_index_open(&ix, db, &e)) { cli_perror(&e); goto done; }
    char b[32];
    printf("\n2. Compile the scan index: %s in %.3f s\n", cli_bytes((double)pk_index_size(ix), b), cli_now() - t0);
    printf("\n3. Scan the sample corpus %s (text files and JSONL):\n", corpus);
    pk_corpus_opts co;
    pk_corpus_opts_default(&co);
    co.threads = 2;
    co.record = demo_record;
    co.flush = demo_flush;
    demo dm = {ix, corpus};
    co.ud = &dm;
    pk_corpus_stats st;
    char *paths[1] = {corpus};
    t0 = cli_now();
    if (pk_corpus_scan(ix, paths, 1, &co, &st, &e)) { cli_perror(&e); goto done; }
    printf("\n   %llu documents, %s, %llu findings, %.3f s.\n", (unsigned long long)st.docs, cli_bytes((double)st.bytes, b),
           (unsigned long long)st.findings, cli_now() - t0);
    printf("\nNext: picket scan --db %s %s  (JSON lines with exact byte offsets)\n"
           "      picket check --db %s FILE   (the reused passages, highlighted)\n",
           db, corpus, db);
    status = st.findings ? 0 : EXIT_NONE;
done:
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    pk_registry_close(r);
    pk_index_close(ix);
    return status;
}
