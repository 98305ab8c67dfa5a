/* scanopts.h -- options and progress shared by scan and filter. */
#ifndef PK_SCANOPTS_H
#define PK_SCANOPTS_H

#include "cli.h"

typedef struct scanopts {
    const char *db;
    pk_corpus_opts co;
    pk_index *ix;
    char **paths;
    size_t npaths;
    int quiet, progress, stats;
    int with_text; /* scan --with-text */
    double t0, last;
    uint64_t docs, bytes, findings, docs_found;
} scanopts;

/* Parse the shared options plus `extra` (passed to on_extra by their
 * val), and open the index.  Returns -1 after printing on error. */
int scanopts_parse(scanopts *so, int argc, char **argv, const char *cmd, const struct option *extra,
                   int (*on_extra)(int c, const char *arg, void *ud), void *ud);
void scanopts_progress(scanopts *so, const pk_sink *s, int final);
void scanopts_summary(scanopts *so, const pk_corpus_stats *st, const char *extra);

#endif
