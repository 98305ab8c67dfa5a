/* scan.c -- `picket scan`: find registered works in corpora.
 * Also holds the option parsing and progress line shared with filter. */
#include "cli.h"
#include "scanopts.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Long-only options of the shared set whose letter could clash with a
 * command's extra options. */
enum { OPT_NORMALIZE = 0x7001, OPT_THOROUGH };

int scanopts_parse(scanopts *so, int argc, char **argv, const char *cmd, const struct option *extra,
                   int (*on_extra)(int c, const char *arg, void *ud), void *ud)
{
    static const struct option base[] = {
        {"db", required_argument, NULL, 'd'},         {"threads", required_argument, NULL, 'T'},
        {"format", required_argument, NULL, 'f'},     {"text-field", required_argument, NULL, 'x'},
        {"id-field", required_argument, NULL, 'I'},   {"min-words", required_argument, NULL, 'm'},
        {"max-df", required_argument, NULL, 'D'},     {"lossy", no_argument, NULL, 'L'},
        {"quiet", no_argument, NULL, 'q'},            {"no-progress", no_argument, NULL, 'P'},
        {"stats", no_argument, NULL, 'S'},            {"normalize-identifiers", no_argument, NULL, OPT_NORMALIZE},
        {"thorough", no_argument, NULL, OPT_THOROUGH},
    };
    struct option all[32];
    size_t n = 0;
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) all[n++] = base[i];
    for (size_t i = 0; extra && extra[i].name && n < 31; i++) all[n++] = extra[i];
    memset(&all[n], 0, sizeof all[n]);
    memset(so, 0, sizeof *so);
    pk_corpus_opts_default(&so->co);
    so->co.threads = 0;
    so->progress = isatty(2);
    int c;
    long v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", all, NULL)) != -1) {
        switch (c) {
        case 'd': so->db = optarg; break;
        case 'T': if ((v = cli_num("--threads", optarg, 1, 256)) < 0) return -1; so->co.threads = (int)v; break;
        case 'f':
            if (strcmp(optarg, "auto") == 0) so->co.format = PK_FMT_AUTO;
            else if (strcmp(optarg, "text") == 0) so->co.format = PK_FMT_TEXT;
            else if (strcmp(optarg, "jsonl") == 0) so->co.format = PK_FMT_JSONL;
            else if (strcmp(optarg, "warc") == 0) so->co.format = PK_FMT_WARC;
            else if (strcmp(optarg, "tar") == 0) so->co.format = PK_FMT_TAR;
            else { cli_error("--format: expected auto, text, jsonl, warc or tar, got '%s'", optarg); return -1; }
            break;
        case 'x': so->co.text_field = optarg; break;
        case 'I': so->co.id_field = optarg; break;
        case 'm': if ((v = cli_num("--min-words", optarg, 1, 1000000)) < 0) return -1; so->co.scan.min_words = (uint32_t)v; break;
        case 'D': if ((v = cli_num("--max-df", optarg, 1, 100000000)) < 0) return -1; so->co.scan.max_df = (uint32_t)v; break;
        case 'L': so->co.scan.tok_flags |= PK_TOK_LOSSY; break;
        case 'q': so->quiet = 1; so->progress = 0; break;
        case 'P': so->progress = 0; break;
        case 'S': so->stats = so->co.stats = 1; break;
        case OPT_NORMALIZE: so->co.scan.normalize_identifiers = 1; break;
        case OPT_THOROUGH: so->co.scan.thorough = 1; break;
        case '?': cli_usage(cmd); return -1;
        default:
            if (!on_extra || on_extra(c, optarg, ud) != 0) { cli_usage(cmd); return -1; }
        }
    }
    if (optind >= argc) { cli_usage(cmd); return -1; }
    so->paths = argv + optind;
    so->npaths = (size_t)(argc - optind);
    const char *path = cli_db_path(so->db, 0);
    if (!path) return -1;
    pk_error e;
    memset(&e, 0, sizeof e);
    if (pk_index_open(&so->ix, path, &e)) { cli_perror(&e); return -1; }
    so->t0 = cli_now();
    return 0;
}

void scanopts_progress(scanopts *so, const pk_sink *s, int final)
{
    so->docs += s->docs;
    so->bytes += s->bytes;
    if (!so->progress) return;
    double now = cli_now();
    if (!final && now - so->last < 0.2) return;
    so->last = now;
    char b[32];
    double dt = now - so->t0;
    fprintf(stderr, "\r\033[K%s, %llu docs, %llu findings, %.1f MB/s", cli_bytes((double)so->bytes, b),
            (unsigned long long)so->docs, (unsigned long long)so->findings, dt > 0 ? (double)so->bytes / dt / 1e6 : 0.0);
    if (final) fputs("\r\033[K", stderr);
}

void scanopts_summary(scanopts *so, const pk_corpus_stats *st, const char *extra)
{
    if (so->progress) scanopts_progress(so, &(pk_sink){0}, 1);
    if (so->quiet && !so->stats) return;
    double dt = cli_now() - so->t0;
    char b[32];
    /* WARC records that are not documents (requests, images ...) are
     * counted apart from the skipped-as-malformed, and only when there
     * were some. */
    char nontext[64] = "";
    if (st->skipped_records)
        snprintf(nontext, sizeof nontext, "; %llu non-text records passed over", (unsigned long long)st->skipped_records);
    if (!so->quiet)
        fprintf(stderr, "picket: %llu files, %llu documents, %s in %.2f s (%.1f MB/s); %llu findings in %llu documents; %llu skipped%s%s%s\n",
            (unsigned long long)st->files, (unsigned long long)st->docs, cli_bytes((double)st->bytes, b), dt,
            dt > 0 ? (double)st->bytes / dt / 1e6 : 0.0, (unsigned long long)st->findings,
            (unsigned long long)so->docs_found, (unsigned long long)st->errors, nontext, extra ? "; " : "", extra ? extra : "");
    if (!so->stats) return;
    /* Thread seconds per stage, and what each would allow alone: the
     * reading thread must stay well under the workers' pace, or the input
     * is the bottleneck. */
    const double mb = (double)st->bytes / 1e6;
    const bool many = st->readers > 1;
    const struct { const char *name, *what; double s; } rows[] = {
        {"read", many ? "reading threads: read(2), gzip/zstd, cutting records" : "reading thread: read(2), gzip/zstd, cutting records", st->read_s},
        {"wait", many ? "reading threads: waiting for a free worker" : "reading thread: waiting for a free worker", st->wait_s},
        {"decode", "workers: JSON strings, WARC records, HTML to text", st->json_s},
        {"fingerprint", "workers: tokenize, k-grams, winnow, index lookups", st->fingerprint_s},
        {"align", "workers: aligning seeded documents with works", st->align_s},
        {"output", "formatting and writing findings", st->output_s},
    };
    fprintf(stderr, "picket: stages (thread seconds; %d worker%s, %d reading thread%s, wall %.2f s):\n", st->threads,
            st->threads == 1 ? "" : "s", st->readers > 0 ? st->readers : 1, st->readers > 1 ? "s" : "", st->wall_s);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (rows[i].s > 0 && i != 1)
            fprintf(stderr, "  %-12s %8.2f s %9.0f MB/s  %s\n", rows[i].name, rows[i].s, mb / rows[i].s, rows[i].what);
        else
            fprintf(stderr, "  %-12s %8.2f s %9s       %s\n", rows[i].name, rows[i].s, "", rows[i].what);
    }
}

/* ---- scan ------------------------------------------------------------------- */

static int scan_record(const pk_record *rec, pk_sink *sink, void *ud)
{
    scanopts *so = ud;
    if (rec->error) {
        pk_buf_printf(&sink->out[2], "picket: %s (skipped)\n", rec->errmsg);
        return 0;
    }
    if (rec->nfindings) sink->n[0]++;
    for (size_t i = 0; i < rec->nfindings; i++)
        if (cli_finding_json_ex(&sink->out[0], so->ix, rec, &rec->findings[i], so->with_text)) return PK_ENOMEM;
    return 0;
}

static int scan_flush(pk_sink *sink, void *ud)
{
    scanopts *so = ud;
    so->findings += sink->findings;
    so->docs_found += sink->n[0];
    if (sink->out[2].len) {
        if (so->progress) fputs("\r\033[K", stderr);
        fwrite(sink->out[2].data, 1, sink->out[2].len, stderr);
    }
    if (sink->out[0].len && fwrite(sink->out[0].data, 1, sink->out[0].len, stdout) != sink->out[0].len)
        return PK_EIO;
    scanopts_progress(so, sink, 0);
    return 0;
}

static int scan_extra(int c, const char *arg, void *ud)
{
    PK_UNUSED(arg);
    if (c != 'W') return -1;
    *(int *)ud = 1;
    return 0;
}

int cmd_scan(int argc, char **argv)
{
    static const struct option extra[] = {{"with-text", no_argument, NULL, 'W'}, {NULL, 0, NULL, 0}};
    scanopts so;
    int with_text = 0;
    if (scanopts_parse(&so, argc, argv, "scan", extra, scan_extra, &with_text) != 0) return EXIT_ERR;
    so.with_text = with_text;
    so.co.record = scan_record;
    so.co.flush = scan_flush;
    so.co.ud = &so;
    pk_corpus_stats st;
    pk_error e;
    memset(&e, 0, sizeof e);
    int rc = pk_corpus_scan(so.ix, so.paths, so.npaths, &so.co, &st, &e);
    if (fflush(stdout) != 0 && !rc) rc = pk_fail(&e, PK_EIO, "stdout: write failed");
    scanopts_summary(&so, &st, NULL);
    pk_index_close(so.ix);
    if (rc) return cli_perror(&e);
    if (st.errors) return EXIT_ERR;
    return st.findings ? EXIT_FOUND : EXIT_NONE;
}
