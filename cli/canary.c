/* canary.c -- `picket canary`: plant secret canaries in a copy for
 * publication (WORK), list the sets kept in the registry (--list), or find
 * canaries in files, crawls and datasets (--find).  The generator, the
 * placement and the statistics are in src/canary.c. */
#include "cli.h"

#include "canary.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The copy's default name: WORK's base name with ".canary" before its
 * extension, in the current directory (never beside WORK, which may be
 * read-only or shared). */
static void default_out(const char *file, char *out, size_t cap)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base) snprintf(out, cap, "%s.canary", base);
    else snprintf(out, cap, "%.*s.canary%s", (int)(dot - base), base, dot);
}

static void json_set(pk_buf *b, const pk_canary_set *s, int with_seqs, int with_nulls)
{
    pk_buf_reset(b);
    pk_buf_printf(b, "{\"set\":%lld,\"work\":", (long long)s->id);
    pk_buf_json_str(b, s->work, strlen(s->work));
    pk_buf_printf(b,
                  ",\"sha256\":\"%s\",\"copy_sha256\":\"%s\",\"format\":\"%s\",\"generator\":\"%s\",\"bits\":%d,"
                  "\"count\":%u,\"nulls\":%u,\"created\":\"%s\"",
                  s->sha256, s->copy_sha256, s->format, PK_CANARY_GENERATOR, PK_CANARY_BITS, s->count, s->nulls,
                  s->created);
    if (with_seqs && s->seq) {
        pk_buf_append(b, ",\"prefix\":", 10);
        pk_buf_json_str(b, PK_CANARY_PREFIX, strlen(PK_CANARY_PREFIX));
        pk_buf_append(b, ",\"canaries\":[", 13);
        for (uint32_t i = 0; i < s->count; i++) {
            if (i) pk_buf_putc(b, ',');
            pk_buf_json_str(b, s->seq[i], strlen(s->seq[i]));
        }
        pk_buf_putc(b, ']');
        if (with_nulls) {
            pk_buf_append(b, ",\"null_set\":[", 13);
            for (uint32_t i = 0; i < s->nulls; i++) {
                if (i) pk_buf_putc(b, ',');
                pk_buf_json_str(b, s->seq[s->count + i], strlen(s->seq[s->count + i]));
            }
            pk_buf_putc(b, ']');
        }
    }
    pk_buf_append(b, "}\n", 2);
}

/* ---- picket canary WORK ---------------------------------------------------- */

static int make(pk_registry *r, const char *file, int format, uint32_t count, uint32_t nulls, int visible,
                const char *outpath, int json)
{
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_buf raw, copy, js;
    pk_buf_init(&raw, 0);
    pk_buf_init(&copy, 0);
    pk_buf_init(&js, 0);
    pk_doc doc;
    pk_doc_init(&doc);
    pk_canary_set s;
    pk_canary_set_init(&s);
    FILE *f = NULL;
    int status = EXIT_ERR;
    char outbuf[4096];
    if (pk_source_slurp(file, &raw, (size_t)1 << 30, &e)) { cli_perror(&e); goto cleanup; }
    const char *data = raw.data ? raw.data : "";
    if (pk_doc_read(&doc, file, data, raw.len, format, PK_TOK_LOSSY, &e)) {
        pk_error_prefix(&e, "%s", file);
        cli_perror(&e);
        goto cleanup;
    }
    pk_sha256_hex(data, raw.len, s.sha256);
    if (pk_canary_work_of(r, s.sha256, s.work, &e)) {
        if (e.code != PK_ENOTFOUND) { cli_perror(&e); goto cleanup; }
        const char *base = strrchr(file, '/');
        snprintf(s.work, sizeof s.work, "%s", base ? base + 1 : file);
        fprintf(stderr, "picket: warning: %s is not registered; the canary set names it '%s'\n", file, s.work);
    }
    snprintf(s.format, sizeof s.format, "%s", pk_work_format_name(doc.format));
    if (pk_canary_new(&s, count, nulls, &e) || pk_canary_publish(&s, doc.format, data, raw.len, visible, &copy, &e)) {
        pk_error_prefix(&e, "%s", file);
        cli_perror(&e);
        goto cleanup;
    }
    pk_sha256_hex(copy.data ? copy.data : "", copy.len, s.copy_sha256);
    if (!outpath) {
        default_out(file, outbuf, sizeof outbuf);
        outpath = outbuf;
    }
    /* Write the copy first: a set in the registry whose copy was never
     * written would only be noise; a copy without a set is caught below. */
    int to_stdout = strcmp(outpath, "-") == 0;
    f = to_stdout ? stdout : fopen(outpath, "wb");
    if (!f) { cli_error("%s: %s", outpath, strerror(errno)); goto cleanup; }
    if ((copy.len && fwrite(copy.data, 1, copy.len, f) != copy.len) || fflush(f) != 0) {
        cli_error("%s: write failed", outpath);
        goto cleanup;
    }
    if (!to_stdout) {
        int bad = fclose(f) != 0;
        f = NULL;
        if (bad) { cli_error("%s: write failed", outpath); goto cleanup; }
    }
    if (pk_canary_store(r, &s, &e)) {
        cli_perror(&e);
        if (!to_stdout) remove(outpath);
        goto cleanup;
    }
    if (json) {
        json_set(&js, &s, 1, 0);
        fwrite(js.data, 1, js.len, to_stdout ? stderr : stdout);
    } else {
        fprintf(to_stdout ? stderr : stdout,
                "canary set %lld for %s: %u canaries of %d bits, %u null sequences; %s copy written to %s\n",
                (long long)s.id, s.work, s.count, PK_CANARY_BITS, s.nulls, s.format, outpath);
    }
    status = 0;
cleanup:
    if (f && f != stdout) fclose(f);
    pk_canary_set_free(&s);
    pk_doc_free(&doc);
    pk_buf_free(&raw);
    pk_buf_free(&copy);
    pk_buf_free(&js);
    return status;
}

/* ---- picket canary --list ---------------------------------------------------- */

typedef struct list_ctx {
    pk_registry *r;
    int json, nulls, n;
    pk_buf b;
} list_ctx;

static int list_one(const pk_canary_set *meta, void *ud)
{
    list_ctx *c = ud;
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_canary_set s;
    pk_canary_set_init(&s);
    int rc = pk_canary_load(c->r, meta->id, &s, &e);
    if (rc) {
        cli_perror(&e);
        return rc;
    }
    c->n++;
    if (c->json) {
        json_set(&c->b, &s, 1, c->nulls);
        fwrite(c->b.data, 1, c->b.len, stdout);
    } else {
        printf("set %lld  %s  %s  %u canaries, %u nulls, %d bits each  %s\n  sha256 %s\n  copy   %s\n",
               (long long)s.id, s.work, s.format, s.count, s.nulls, PK_CANARY_BITS, s.created, s.sha256,
               s.copy_sha256);
        for (uint32_t i = 0; i < s.count; i++) printf("  canary %u: %s %s\n", i, PK_CANARY_PREFIX, s.seq[i]);
        if (c->nulls)
            for (uint32_t i = 0; i < s.nulls; i++) printf("  null %u: %s\n", s.count + i, s.seq[s.count + i]);
    }
    pk_canary_set_free(&s);
    return 0;
}

static int list(pk_registry *r, const char *work, int json, int nulls)
{
    pk_error e;
    memset(&e, 0, sizeof e);
    char sha[65];
    const char *key = work;
    struct stat st;
    if (work && stat(work, &st) == 0 && S_ISREG(st.st_mode)) {
        /* A file: its sets, as the work or as the published copy. */
        pk_buf raw;
        pk_buf_init(&raw, 0);
        int rc = pk_source_slurp(work, &raw, (size_t)1 << 30, &e);
        if (!rc) pk_sha256_hex(raw.data ? raw.data : "", raw.len, sha);
        pk_buf_free(&raw);
        if (rc) return cli_perror(&e);
        key = sha;
    }
    list_ctx c;
    memset(&c, 0, sizeof c);
    c.r = r;
    c.json = json;
    c.nulls = nulls;
    pk_buf_init(&c.b, 0);
    int rc = pk_canary_each(r, key, list_one, &c, &e);
    pk_buf_free(&c.b);
    if (rc) return e.msg[0] ? cli_perror(&e) : EXIT_ERR;
    if (fflush(stdout) != 0) return cli_error("stdout: write failed");
    if (!c.n && work) return cli_error("no canary set for '%s'", work), EXIT_NONE;
    return c.n ? EXIT_FOUND : EXIT_NONE;
}

/* ---- picket canary --find ---------------------------------------------------- */

typedef struct find_ctx {
    pk_canary_set *sets;
    size_t nsets;
    unsigned max_miss;
    uint64_t published, nulls, errors;
} find_ctx;

static int find_record(const pk_record *rec, pk_sink *sink, void *ud)
{
    find_ctx *c = ud;
    if (rec->error) {
        pk_buf_printf(&sink->out[2], "picket: %s (skipped)\n", rec->errmsg);
        sink->n[2]++;
        return 0;
    }
    if (rec->skipped || !rec->text) return 0;
    for (size_t k = 0; k < c->nsets; k++) {
        pk_canary_hit *h = NULL;
        size_t nh = 0;
        pk_error e;
        if (pk_canary_find(&c->sets[k], rec->text, rec->text_len, c->max_miss, &h, &nh, &e)) return e.code;
        for (size_t i = 0; i < nh; i++) {
            pk_buf *b = &sink->out[0];
            pk_buf_append(b, "{\"source\":", 10);
            pk_buf_json_str(b, rec->path, strlen(rec->path));
            pk_buf_append(b, ",\"doc\":", 7);
            pk_buf_json_str(b, rec->id, rec->id_len);
            if (rec->url) {
                pk_buf_append(b, ",\"url\":", 7);
                pk_buf_json_str(b, rec->url, rec->url_len);
            }
            pk_buf_printf(b, ",\"set\":%lld,\"work\":", (long long)c->sets[k].id);
            pk_buf_json_str(b, c->sets[k].work, strlen(c->sets[k].work));
            pk_buf_printf(b,
                          ",\"canary\":%u,\"published\":%s,\"matched_words\":%u,\"words\":%d,\"start\":%llu,"
                          "\"end\":%llu,\"text\":",
                          h[i].index, h[i].published ? "true" : "false", h[i].matched, PK_CANARY_WORDS,
                          (unsigned long long)h[i].start, (unsigned long long)h[i].end);
            pk_buf_json_str(b, rec->text + h[i].start, (size_t)(h[i].end - h[i].start));
            pk_buf_append(b, "}\n", 2);
            sink->n[h[i].published ? 0 : 1]++;
        }
        free(h);
    }
    return 0;
}

static int find_flush(pk_sink *sink, void *ud)
{
    find_ctx *c = ud;
    c->published += sink->n[0];
    c->nulls += sink->n[1];
    c->errors += sink->n[2];
    if (sink->out[2].len) fwrite(sink->out[2].data, 1, sink->out[2].len, stderr);
    if (sink->out[0].len && fwrite(sink->out[0].data, 1, sink->out[0].len, stdout) != sink->out[0].len) return PK_EIO;
    return 0;
}

static int collect(const pk_canary_set *meta, void *ud)
{
    int64_t **ids = ud;
    size_t n = (size_t)(*ids)[0];
    int64_t *p = realloc(*ids, (n + 2) * sizeof *p);
    if (!p) return PK_ENOMEM;
    p[n + 1] = meta->id;
    p[0] = (int64_t)n + 1;
    *ids = p;
    return 0;
}

static int find(pk_registry *r, const char *dbpath, char **paths, size_t npaths, unsigned max_miss, int fmt,
                int threads)
{
    pk_error e;
    memset(&e, 0, sizeof e);
    int64_t *ids = calloc(1, sizeof *ids);
    find_ctx c;
    memset(&c, 0, sizeof c);
    c.max_miss = max_miss;
    pk_index *ix = NULL;
    int status = EXIT_ERR, rc;
    if (!ids) { cli_error("out of memory"); goto cleanup; }
    if ((rc = pk_canary_each(r, NULL, collect, &ids, &e))) {
        if (rc == PK_ENOMEM) cli_error("out of memory"); else cli_perror(&e);
        goto cleanup;
    }
    c.nsets = (size_t)ids[0];
    if (!c.nsets) { cli_error("no canary sets in the registry"); goto cleanup; }
    c.sets = calloc(c.nsets, sizeof *c.sets);
    if (!c.sets) { cli_error("out of memory"); goto cleanup; }
    for (size_t i = 0; i < c.nsets; i++)
        if (pk_canary_load(r, ids[i + 1], &c.sets[i], &e)) { cli_perror(&e); goto cleanup; }
    /* The corpus reader (text, JSONL, WARC with HTML rendered, tar) comes
     * with the scanner, which needs the index. */
    if (pk_index_open(&ix, dbpath, &e)) { cli_perror(&e); goto cleanup; }
    pk_corpus_opts co;
    pk_corpus_opts_default(&co);
    co.format = fmt;
    co.threads = threads;
    co.record = find_record;
    co.flush = find_flush;
    co.ud = &c;
    pk_corpus_stats st;
    rc = pk_corpus_scan(ix, paths, npaths, &co, &st, &e);
    if (fflush(stdout) != 0 && !rc) rc = pk_fail(&e, PK_EIO, "stdout: write failed");
    if (rc) { cli_perror(&e); goto cleanup; }
    fprintf(stderr, "picket: %llu documents; %llu published canaries found, %llu null sequences\n",
            (unsigned long long)st.docs, (unsigned long long)c.published, (unsigned long long)c.nulls);
    status = st.errors || c.errors ? EXIT_ERR : c.published ? EXIT_FOUND : EXIT_NONE;
cleanup:
    pk_index_close(ix);
    for (size_t i = 0; c.sets && i < c.nsets; i++) pk_canary_set_free(&c.sets[i]);
    free(c.sets);
    free(ids);
    return status;
}

int cmd_canary(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},     {"count", required_argument, NULL, 'n'},
        {"null", required_argument, NULL, 'N'},   {"out", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'f'}, {"visible", no_argument, NULL, 'V'},
        {"json", no_argument, NULL, 'j'},         {"list", no_argument, NULL, 'l'},
        {"nulls", no_argument, NULL, 'S'},        {"find", no_argument, NULL, 'F'},
        {"max-miss", required_argument, NULL, 'm'}, {"input", required_argument, NULL, 'I'},
        {"threads", required_argument, NULL, 't'}, {NULL, 0, NULL, 0},
    };
    const char *db = NULL, *out = NULL;
    long count = 1, nulls = -1, v, max_miss = 0, threads = 0;
    int format = PK_WORK_AUTO, visible = 0, json = 0, mode = 0, shownulls = 0, fmt = PK_FMT_AUTO, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'n': if ((count = cli_num("--count", optarg, 1, PK_CANARY_MAX_COUNT)) < 0) return EXIT_ERR; break;
        case 'N': if ((nulls = cli_num("--null", optarg, 1, PK_CANARY_MAX_NULLS)) < 0) return EXIT_ERR; break;
        case 'o': out = optarg; break;
        case 'f':
            if ((format = pk_work_format_parse(optarg)) < 0)
                return cli_error("--format: expected auto, text, markdown, fountain or html, got '%s'", optarg);
            break;
        case 'V': visible = 1; break;
        case 'j': json = 1; break;
        case 'l': mode = 'l'; break;
        case 'S': shownulls = 1; break;
        case 'F': mode = 'F'; break;
        case 'm': if ((max_miss = cli_num("--max-miss", optarg, 0, PK_CANARY_WORDS / 2)) < 0) return EXIT_ERR; break;
        case 'I':
            if (strcmp(optarg, "auto") == 0) fmt = PK_FMT_AUTO;
            else if (strcmp(optarg, "text") == 0) fmt = PK_FMT_TEXT;
            else if (strcmp(optarg, "jsonl") == 0) fmt = PK_FMT_JSONL;
            else if (strcmp(optarg, "warc") == 0) fmt = PK_FMT_WARC;
            else if (strcmp(optarg, "tar") == 0) fmt = PK_FMT_TAR;
            else return cli_error("--input: expected auto, text, jsonl, warc or tar, got '%s'", optarg);
            break;
        case 't': if ((v = cli_num("--threads", optarg, 1, 1024)) < 0) return EXIT_ERR; threads = v; break;
        default: return cli_usage("canary");
        }
    }
    int nargs = argc - optind;
    if (mode == 'l' ? nargs > 1 : mode == 'F' ? nargs < 1 : nargs != 1) return cli_usage("canary");
    if (nulls < 0) nulls = count * 100 < 1000 ? 1000 : count * 100 > (long)PK_CANARY_MAX_NULLS ? (long)PK_CANARY_MAX_NULLS : count * 100;
    const char *path = cli_db_path(db, mode == 0);
    if (!path) return EXIT_ERR;
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_registry *r = NULL;
    if (pk_registry_open(&r, path, mode == 0 ? PK_REG_CREATE : 0, NULL, &e)) return cli_perror(&e);
    int status;
    if (mode == 'l') status = list(r, nargs ? argv[optind] : NULL, json, shownulls);
    else if (mode == 'F') status = find(r, path, argv + optind, (size_t)nargs, (unsigned)max_miss, fmt, (int)threads);
    else status = make(r, argv[optind], format, (uint32_t)count, (uint32_t)nulls, visible, out, json);
    pk_registry_close(r);
    return status;
}
