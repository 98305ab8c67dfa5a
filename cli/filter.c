/* filter.c -- `picket filter`: the do-not-train filter.
 *
 * Every record read lands in exactly one output: kept records byte for
 * byte, dropped ones as a JSON line with the reason.  WARC records are
 * kept whole (header, block, separator), so the kept output of a WARC
 * input is itself a WARC file; records that are not documents (requests,
 * images, warcinfo ...) are kept.  A dropped WARC record is described by
 * its WARC header (as "warc_header"), not copied: the block may be
 * megabytes of anything.  An output named .gz or .zst is compressed:
 * kept WARC records one gzip member (zstd frame) each, as crawls are
 * kept, anything else one member a batch of records.  Outputs go to
 * temporary files next to their targets and are renamed into place only
 * when the whole run succeeded, so a crash or an error leaves no
 * half-written output.
 *
 * That takes an fsync before the rename, and an fsync of a few hundred
 * megabytes written at the end took a quarter of a filter's time (198 MB
 * of JSONL: 0.28 s of 1.09 s, BENCHMARKS.md).  So the kernel is told to
 * start writing every WRITEBACK bytes as they are written
 * (sync_file_range), while the scan goes on, and the fsync at the end
 * waits for the last stretch only. */
#include "cli.h"
#include "scanopts.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct filt {
    scanopts so;
    const char *keep, *removed;
    double min_cov;
    FILE *out[2];
    char *tmp[2], *dst[2];
    pk_compressor *comp[2]; /* NULL: written as is */
    pk_buf zbuf;            /* compressed bytes on their way out */
    uint64_t written[2];    /* bytes written to tmp[i] ... */
    uint64_t started[2];    /* ... and how many of them are being written back */
    uint64_t kept, dropped, malformed, input_errors;
} filt;

static int on_extra(int c, const char *arg, void *ud)
{
    filt *f = ud;
    char *end;
    switch (c) {
    case 'k': f->keep = arg; return 0;
    case 'r': f->removed = arg; return 0;
    case 'c':
        f->min_cov = strtod(arg, &end);
        if (*end || end == arg || f->min_cov < 0 || f->min_cov > 1) {
            cli_error("--min-coverage: expected a number from 0 to 1, got '%s'", arg);
            return -1;
        }
        return 0;
    default: return -1;
    }
}

static int filter_record(const pk_record *rec, pk_sink *sink, void *ud)
{
    filt *f = ud;
    pk_buf *keep = &sink->out[0], *rem = &sink->out[1];
    int rc = 0;
    if (rec->error && !rec->text && !rec->raw) {
        /* The input itself failed: not a record. */
        sink->n[3]++;
        return pk_buf_printf(&sink->out[2], "picket: %s\n", rec->errmsg);
    }
    int drop = 0;
    for (size_t i = 0; i < rec->nfindings; i++)
        if (rec->findings[i].coverage >= f->min_cov) drop = 1;
    if (!rec->error && !drop) {
        sink->n[0]++;
        if (rec->format == PK_FMT_WARC) {
            rc |= pk_buf_append(keep, rec->raw, rec->raw_len);
            sink->n[4] = 1; /* WARC records in keep: a member each */
        } else if (rec->raw) {
            rc |= pk_buf_append(keep, rec->raw, rec->raw_len);
            rc |= pk_buf_putc(keep, '\n');
        } else {
            rc |= pk_buf_printf(keep, "%s\n", rec->path);
        }
        return rc ? PK_ENOMEM : 0;
    }
    sink->n[1]++;
    rc |= pk_buf_append(rem, "{\"source\":", 10);
    rc |= pk_buf_json_str(rem, rec->path, strlen(rec->path));
    if (rec->line) rc |= pk_buf_printf(rem, ",\"line\":%llu", (unsigned long long)rec->line);
    if (rec->record) rc |= pk_buf_printf(rem, ",\"record_number\":%llu", (unsigned long long)rec->record);
    rc |= pk_buf_append(rem, ",\"doc\":", 7);
    rc |= pk_buf_json_str(rem, rec->id, rec->id_len);
    if (rec->url) {
        rc |= pk_buf_append(rem, ",\"url\":", 7);
        rc |= pk_buf_json_str(rem, rec->url, rec->url_len);
    }
    if (rec->date) {
        rc |= pk_buf_append(rem, ",\"date\":", 8);
        rc |= pk_buf_json_str(rem, rec->date, rec->date_len);
    }
    if (rec->error) {
        sink->n[2]++;
        rc |= pk_buf_append(rem, ",\"reason\":\"malformed\",\"error\":", 30);
        rc |= pk_buf_json_str(rem, rec->errmsg, strlen(rec->errmsg));
        rc |= pk_buf_printf(&sink->out[2], "picket: %s (moved to removed)\n", rec->errmsg);
    } else {
        rc |= pk_buf_append(rem, ",\"reason\":\"registered\",\"works\":[", 32);
        for (size_t i = 0; i < rec->nfindings; i++) {
            const pk_finding *fi = &rec->findings[i];
            const char *id = pk_index_work_id(f->so.ix, fi->work), *t = pk_index_work_title(f->so.ix, fi->work);
            rc |= pk_buf_append(rem, i ? ",{\"work\":" : "{\"work\":", i ? 9 : 8);
            rc |= pk_buf_json_str(rem, id, strlen(id));
            rc |= pk_buf_append(rem, ",\"title\":", 9);
            rc |= pk_buf_json_str(rem, t, strlen(t));
            rc |= pk_buf_printf(rem, ",\"matched_words\":%u,\"work_coverage\":%.6f,\"passages\":%zu}", fi->matched_words,
                                fi->coverage, fi->npassages);
        }
        rc |= pk_buf_putc(rem, ']');
    }
    if (rec->format == PK_FMT_WARC) {
        rc |= pk_buf_append(rem, ",\"warc_header\":", 15);
        rc |= pk_buf_json_str(rem, rec->raw, rec->raw_head_len);
    } else if (rec->raw) {
        rc |= pk_buf_append(rem, ",\"record\":", 10);
        rc |= pk_buf_json_str(rem, rec->raw, rec->raw_len);
    }
    rc |= pk_buf_append(rem, "}\n", 2);
    return rc ? PK_ENOMEM : 0;
}

/* p[0..n) compressed into f->zbuf: WARC records (warc) a member each,
 * anything else one member. */
static int compress_out(filt *f, int i, const char *p, size_t n, bool warc)
{
    pk_error e;
    pk_buf_reset(&f->zbuf);
    size_t at = 0;
    while (warc && at < n) {
        pk_warc_rec w;
        const char *why;
        if (pk_warc_parse(p + at, n - at, &w, &why) || w.total == 0 || w.total > n - at) break; /* not expected */
        if (pk_compress_member(f->comp[i], &f->zbuf, p + at, w.total, &e)) return e.code;
        at += w.total;
    }
    if (at < n && pk_compress_member(f->comp[i], &f->zbuf, p + at, n - at, &e)) return e.code;
    return 0;
}

#define WRITEBACK ((uint64_t)8 << 20)

/* Have the kernel start writing tmp[i]'s bytes not yet started, without
 * waiting for them.  Only a hint: a failure shows at the fsync. */
static void start_writeback(filt *f, int i)
{
    if (fflush(f->out[i]) != 0) return;
#ifdef SYNC_FILE_RANGE_WRITE
    (void)sync_file_range(fileno(f->out[i]), (off_t)f->started[i], (off_t)(f->written[i] - f->started[i]),
                          SYNC_FILE_RANGE_WRITE);
#endif
    f->started[i] = f->written[i];
}

/* The directory holding path, fsynced, so that a rename into it survives
 * a crash.  Only after every output is renamed (a rename cannot be taken
 * back), and best effort: a directory that may be written but not read
 * (mode -wx) cannot be opened, some file systems refuse the fsync
 * (EINVAL); a failed fsync is said, and the run still succeeds. */
/* Are a and b in the same directory (by name)? */
static int same_dir(const char *a, const char *b)
{
    const char *sa = strrchr(a, '/'), *sb = strrchr(b, '/');
    const size_t la = sa ? (size_t)(sa - a) : 0, lb = sb ? (size_t)(sb - b) : 0;
    return la == lb && memcmp(a, b, la) == 0;
}

static void sync_dir_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy) return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        if (fsync(fd) != 0 && errno != EINVAL) {
            const int e = errno;
            fprintf(stderr, "picket: warning: %s: the directory could not be synced: %s\n", path, strerror(e));
        }
        close(fd);
    }
    free(copy);
}

static int filter_flush(pk_sink *sink, void *ud)
{
    filt *f = ud;
    f->kept += sink->n[0];
    f->dropped += sink->n[1];
    f->malformed += sink->n[2];
    f->input_errors += sink->n[3];
    f->so.findings += sink->findings;
    f->so.docs_found += sink->n[1] - sink->n[2];
    if (sink->out[2].len) {
        if (f->so.progress) fputs("\r\033[K", stderr);
        fwrite(sink->out[2].data, 1, sink->out[2].len, stderr);
    }
    for (int i = 0; i < 2; i++) {
        const pk_buf *b = &sink->out[i];
        if (!b->len) continue;
        if (f->comp[i]) {
            int rc = compress_out(f, i, b->data, b->len, i == 0 && sink->n[4]);
            if (rc) return rc;
            b = &f->zbuf;
        }
        if (fwrite(b->data, 1, b->len, f->out[i]) != b->len) return PK_EIO;
        f->written[i] += b->len;
        if (f->tmp[i] && f->written[i] - f->started[i] >= WRITEBACK) start_writeback(f, i);
    }
    scanopts_progress(&f->so, sink, 0);
    return 0;
}

/* Outputs go to a temporary file renamed over the target at the end, so
 * no half-written file is ever seen.  A target that exists and is not a
 * regular file (a device such as /dev/null, a FIFO) is written in place;
 * a symbolic link is followed, so the link stays and its file is replaced. */
static int open_out(filt *f, int i, const char *path)
{
    if (strcmp(path, "-") == 0) { f->out[i] = stdout; return 0; }
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        f->out[i] = fopen(path, "wb");
        if (!f->out[i]) return cli_error("%s: %s", path, strerror(errno));
        return 0;
    }
    char *real = realpath(path, NULL); /* NULL when it does not exist yet */
    const char *target = real ? real : path;
    size_t n = strlen(target) + 16;
    f->tmp[i] = malloc(n);
    f->dst[i] = strdup(target);
    free(real);
    if (!f->tmp[i] || !f->dst[i]) return cli_error("out of memory");
    if (i == 1 && f->dst[0] && strcmp(f->dst[0], f->dst[1]) == 0)
        return cli_error("--keep and --removed name the same file: %s", path);
    snprintf(f->tmp[i], n, "%s.XXXXXX", f->dst[i]);
    int fd = mkstemp(f->tmp[i]); /* a fresh name: no two runs share it */
    if (fd < 0) {
        int e = errno;
        free(f->tmp[i]);
        f->tmp[i] = NULL;
        return cli_error("%s: %s", path, strerror(e));
    }
    fchmod(fd, 0644);
    f->out[i] = fdopen(fd, "wb");
    if (!f->out[i]) { close(fd); return cli_error("%s: %s", path, strerror(errno)); }
    return 0;
}

int cmd_filter(int argc, char **argv)
{
    static const struct option extra[] = {{"keep", required_argument, NULL, 'k'},
                                          {"removed", required_argument, NULL, 'r'},
                                          {"min-coverage", required_argument, NULL, 'c'},
                                          {NULL, 0, NULL, 0}};
    filt f;
    memset(&f, 0, sizeof f);
    if (scanopts_parse(&f.so, argc, argv, "filter", extra, on_extra, &f) != 0) return EXIT_ERR;
    int status = EXIT_ERR, rc = 0;
    pk_error e;
    memset(&e, 0, sizeof e);
    if (!f.keep || !f.removed) { cli_error("filter needs --keep FILE and --removed FILE"); goto done; }
    if (strcmp(f.keep, "-") == 0 && strcmp(f.removed, "-") == 0) { cli_error("--keep and --removed cannot both be stdout"); goto done; }
    pk_buf_init(&f.zbuf, 0);
    if (open_out(&f, 0, f.keep) || open_out(&f, 1, f.removed)) goto done;
    for (int i = 0; i < 2; i++) {
        int kind = pk_compress_kind_of_name(i ? f.removed : f.keep);
        if (kind != PK_COMP_NONE && pk_compressor_new(&f.comp[i], kind, &e)) { cli_perror(&e); goto done; }
    }
    /* Kept members could only go back into an archive, which the kept
     * stream (records as read, one after another) cannot be: refused. */
    f.so.co.no_tar = 1;
    f.so.co.record = filter_record;
    f.so.co.flush = filter_flush;
    f.so.co.ud = &f;
    pk_corpus_stats st;
    rc = pk_corpus_scan(f.so.ix, f.so.paths, f.so.npaths, &f.so.co, &st, &e);
    for (int i = 0; i < 2; i++) {
        if (!f.out[i]) continue;
        int bad = fflush(f.out[i]) != 0 || ferror(f.out[i]);
        if (f.out[i] != stdout) {
            bad |= fsync(fileno(f.out[i])) != 0;
            bad |= fclose(f.out[i]) != 0;
        }
        f.out[i] = NULL;
        if (bad && !rc) rc = pk_fail(&e, PK_EIO, "%s: write failed: %s", i ? f.removed : f.keep, strerror(errno));
    }
    char extra_msg[256];
    snprintf(extra_msg, sizeof extra_msg, "in %llu = kept %llu + removed %llu (%llu registered, %llu malformed)%s",
             (unsigned long long)(f.kept + f.dropped), (unsigned long long)f.kept, (unsigned long long)f.dropped,
             (unsigned long long)(f.dropped - f.malformed), (unsigned long long)f.malformed,
             f.input_errors ? "; input errors, see above" : "");
    scanopts_summary(&f.so, &st, extra_msg);
    if (rc) { cli_perror(&e); goto done; }
    for (int i = 0; i < 2; i++) {
        if (!f.tmp[i]) continue;
        if (rename(f.tmp[i], f.dst[i]) != 0) { cli_error("%s: %s", i ? f.removed : f.keep, strerror(errno)); goto done; }
        free(f.tmp[i]);
        f.tmp[i] = NULL;
    }
    for (int i = 0; i < 2; i++)
        if (f.dst[i] && (i == 0 || !f.dst[0] || !same_dir(f.dst[0], f.dst[1]))) sync_dir_of(f.dst[i]);
    status = (f.malformed || f.input_errors) ? EXIT_ERR : 0;
done:
    for (int i = 0; i < 2; i++) {
        if (f.out[i] && f.out[i] != stdout) fclose(f.out[i]);
        if (f.tmp[i]) { unlink(f.tmp[i]); free(f.tmp[i]); }
        free(f.dst[i]);
        pk_compressor_free(f.comp[i]);
    }
    pk_buf_free(&f.zbuf);
    pk_index_close(f.so.ix);
    return status;
}
