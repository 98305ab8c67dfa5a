/* corpus.c -- scan many documents on many threads, in input order.
 *
 * The inputs are walked first (directories recursively, in name order),
 * then read by reading threads that cut them into jobs: a whole text
 * file, or a chunk of about 1 MiB of whole JSONL lines or WARC records.
 * Workers, each with its own scanner, turn a job's records into output in
 * the job's sink through the record callback.  Finished jobs go to the
 * flush callback strictly in input order, and within an input in the
 * order they were made (one thread flushes at a time: whichever reader
 * finds the next one finished), so output is the same whatever the
 * number of threads.  Each reader has at most (2 * threads + 2) / readers
 * jobs in flight (at least 2), which bounds memory to about 2 * threads
 * + 2 chunks (or text files).
 *
 * Readers: the calling thread, and with several threads and several
 * inputs, one more per thread up to the number of inputs (at most
 * MAX_READERS), each taking the next input whole.  Cutting records is
 * sequential within a file, and so was inflating gzip: with one reader,
 * igzip on per-record gzip WARC files (Common Crawl's) capped a whole scan
 * at about 270 MB/s of WARC whatever the number of threads, once HTML
 * rendering stopped being the bottleneck.  Now a crawl of many files has
 * a reader a thread, and a gzip file of many members inflates on the
 * threads the readers leave (pk_source_parallel, io/source.c).  On the
 * 2-core VM of BENCHMARKS.md a whole scan is bound by the CPU either way
 * (two 61 MB WARC.gz files, 2 threads: 0.88-1.12 s with one reader,
 * 0.83-1.12 s with two); inflating alone goes 1.78x on 2 threads.  A
 * reader waiting for its jobs to be flushed helps flush; jobs of a later
 * input wait, finished, until every earlier input is flushed.
 *
 * Errors in one record (malformed JSON, no text field, invalid UTF-8) are
 * reported through the record callback with rec->error set, and the scan
 * goes on.  A file that cannot be read, or a compressed stream that ends
 * early, is reported the same way with line 0, after the records that
 * were read from it.
 *
 * WARC and WET files (by name, or by a first line "WARC/") are cut into
 * chunks of whole records (io/warc.c).  A worker turns each record into a
 * document, or passes it over (rec->skipped, counted apart from errors):
 *   - response records holding an HTTP response: the body, de-chunked and
 *     un-gzipped as the server sent it, when its Content-Type (else
 *     WARC-Identified-Payload-Type, else a sniffed "<html") is text/html,
 *     application/xhtml+xml or text/plain;
 *   - resource and conversion (WET) records of those types, the block;
 *   - anything else (request, warcinfo, metadata, revisit, continuation,
 *     images, scripts, style sheets, JSON ...) is passed over.
 * HTML is rendered to text (fmt/html.c) and that text is what is scanned
 * and what passage offsets refer to.  text/plain in a charset other than
 * UTF-8 is converted with iconv(3); one iconv does not know is read as
 * UTF-8.  The document id is the WARC-Record-ID; WARC-Target-URI and
 * WARC-Date come along in the record.
 *
 * A plain text file is mapped whole (pk_source_map, MAP_POPULATE): read(2)
 * into a buffer of its size cost the kernel's zeroing of the buffer's
 * fresh pages and the copy, 0.13-0.36 s of a 1.1 s scan of 198 MB of text
 * on one thread (BENCHMARKS.md, session 8).  A file cut short while it is
 * scanned (log rotation, a writer starting over) must not kill the run
 * with SIGBUS: source.c's handler puts zero pages where the lost ones
 * were, and the document is then reported as an input that failed
 * (do_text), never scanned as if whole.  no_map, stdin, pipes,
 * compressed files, tar members and the rare file no guard slot is left
 * for are read with read(2) into one buffer of their size, backed by huge
 * pages where the kernel allows (presize): page faults were most of the
 * cost of reading it.  JSONL and WARC files are read in chunks. */
#include "pk.h"
#include "fmt/fmt.h"
#include "lazy.h" /* pk_lazy_xml: WARC pages are HTML */

#include <stdarg.h>
#include <strings.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK_TARGET ((size_t)1 << 20)
#define MAX_LINE ((size_t)256 << 20)
#define MAX_RECORD ((size_t)256 << 20)
#define MAX_READERS 8 /* reading threads, each on a whole input at a time */

enum { JOB_TEXT, JOB_JSONL, JOB_WARC, JOB_ERROR, JOB_SKIP };

typedef struct job {
    uint64_t seq;
    int kind;
    const char *path;
    const char *name;    /* for ids and messages: path, or "ARCHIVE:MEMBER" */
    const char *member;  /* tar: the member's name (inside name), else NULL */
    char *owned;         /* name, when it is not path */
    const char *skip_why; /* JOB_SKIP: why the member is passed over */
    uint64_t first_line; /* JSONL: first line; WARC: first record number */
    bool oversize;       /* WARC: data is the header of a record over max_record */
    bool alone;          /* JOB_TEXT: the run's only job, so its windows take every thread */
    pk_buf data;
    pk_map *map;         /* JOB_TEXT: the file mapped (then data is empty) */
    int errcode;
    char errmsg[1024];
    pk_sink sink;
    int done;
    int rc; /* a callback's failure */
    size_t in;         /* the input it was made from (run.in) */
    struct reader *rd; /* the reader that made it */
    struct job *next;  /* work queue */
    struct job *fnext; /* flush order, within its input */
} job;

/* One input file (or a path the walk could not read), in walk order. */
typedef struct input {
    char *path;       /* owned; jobs point at it for the whole run */
    int code;         /* the walk's error, 0 if none */
    char *why;        /* its message (owned), or NULL */
    job *head, *tail; /* its jobs in flight, in the order made */
    bool read;        /* its reader is done with it */
} input;

typedef struct run {
    const pk_index *ix;
    const pk_corpus_opts *o;
    pk_corpus_stats *stats;
    pthread_mutex_t mu;
    pthread_cond_t work_cv, done_cv;
    job *queue_head, *queue_tail; /* waiting for a worker */
    input *in;                    /* every input, walked before reading */
    size_t nin, incap;
    size_t next_in;               /* the next input a reader takes */
    size_t flush_at;              /* the input whose jobs are flushed next */
    int flushing;                 /* a thread is flushing (output is written by one at a time) */
    size_t max_inflight;          /* a reader's jobs made and not yet flushed, at most */
    int stop;
    int failed;
    int nthreads;
    int nreaders; /* reading threads */
    int single;   /* one input, a regular file or stdin: a text there is the run's only job */
} run;

void pk_corpus_opts_default(pk_corpus_opts *o)
{
    memset(o, 0, sizeof *o);
    o->threads = 1;
    o->format = PK_FMT_AUTO;
    o->text_field = "text";
    o->id_field = "id";
    o->max_doc = (size_t)1 << 30;
    o->max_record = MAX_RECORD;
    pk_scan_opts_default(&o->scan);
}

static void sink_init(pk_sink *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < 3; i++) pk_buf_init(&s->out[i], 0);
}

static void sink_free(pk_sink *s)
{
    for (int i = 0; i < 3; i++) pk_buf_free(&s->out[i]);
}

static void job_free(job *j)
{
    if (!j) return;
    pk_map_free(j->map);
    pk_buf_free(&j->data);
    sink_free(&j->sink);
    free(j->owned);
    free(j);
}

static job *job_new(run *r, int kind, const char *path)
{
    job *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->kind = kind;
    j->path = path;
    j->name = path;
    pk_buf_init(&j->data, r->o->max_doc);
    sink_init(&j->sink);
    return j;
}

/* ---- workers -------------------------------------------------------------- */

typedef struct worker {
    run *r;
    pk_scanner *sc;
    pthread_t th;
    double json_s, output_s; /* thread time decoding JSON and in callbacks */
} worker;

/* A reading thread: the calling thread, and with several inputs and
 * threads, more of them, each reading whole inputs (see the top). */
typedef struct reader {
    run *r;
    worker *ws;
    int nthreads;
    pthread_t th;
    size_t in;          /* the input being read */
    size_t inflight;    /* its jobs not yet flushed */
    double read_s, wait_s;
    uint64_t files;
    int rc;
} reader;

static int emit(run *r, job *j, pk_record *rec, worker *w)
{
    const int timing = r->o->stats;
    const double t0 = timing ? pk_now() : 0;
    int rc;
    if (rec->skipped) j->sink.skipped++;
    else j->sink.docs++;
    j->sink.bytes += rec->text_len;
    if (rec->error) j->sink.errors++;
    j->sink.findings += rec->nfindings;
    rc = r->o->record(rec, &j->sink, r->o->ud);
    if (timing) w->output_s += pk_now() - t0;
    return rc;
}

static int do_text(run *r, job *j, worker *w)
{
    pk_scanner *sc = w->sc;
    pk_record rec;
    memset(&rec, 0, sizeof rec);
    rec.path = j->path;
    rec.member = j->member;
    rec.format = PK_FMT_TEXT;
    rec.id = j->name;
    rec.id_len = strlen(j->name);
    rec.text = j->data.data ? j->data.data : "";
    rec.text_len = j->data.len;
    if (j->map) {
        rec.text = pk_map_data(j->map);
        rec.text_len = pk_map_size(j->map);
    }
    pk_error e;
    pk_finding *f = NULL;
    size_t nf = 0;
    /* A text file given alone would otherwise keep one thread busy and
     * the others idle: its windows are scanned on all of them. */
    pk_scanner_set_threads(sc, j->alone ? r->nthreads : 1);
    int rc = pk_scan_text(sc, rec.text, rec.text_len, &f, &nf, &e);
    if (rc != PK_ENOMEM && j->map && pk_map_cut(j->map)) {
        /* The file was cut short while it was read: what was scanned is
         * not its content (zeros in place of the lost pages).  The input
         * failed, as when read(2) fails. */
        rec.text = NULL;
        rec.text_len = 0;
        rec.error = PK_EIO;
        pk_fail(&e, PK_EIO, "%s: the file shrank while it was scanned", j->name);
        rec.errmsg = e.msg;
        return emit(r, j, &rec, w);
    }
    if (rc) {
        if (rc == PK_ENOMEM) return rc;
        pk_error_prefix(&e, "%s", j->name);
        rec.error = rc;
        rec.errmsg = e.msg;
    } else {
        rec.findings = f;
        rec.nfindings = nf;
    }
    return emit(r, j, &rec, w);
}

static int do_jsonl(run *r, job *j, worker *w)
{
    pk_scanner *sc = w->sc;
    pk_buf text, id, idbuf;
    pk_buf_init(&text, 0);
    pk_buf_init(&id, 0);
    pk_buf_init(&idbuf, 0);
    int rc = 0;
    const char *p = j->data.data, *end = j->data.data + j->data.len;
    uint64_t line = j->first_line;
    for (; p && p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        size_t len = (size_t)(le - p);
        const char *next = nl ? nl + 1 : end;
        size_t blank = 0;
        while (blank < len && (p[blank] == ' ' || p[blank] == '\t' || p[blank] == '\r')) blank++;
        if (blank == len) { j->sink.blank++; p = next; continue; }

        pk_record rec;
        memset(&rec, 0, sizeof rec);
        pk_error e;
        rec.path = j->path;
        rec.member = j->member;
        rec.format = PK_FMT_JSONL;
        rec.line = line;
        rec.raw = p;
        rec.raw_len = len;
        bool has_id = false;
        size_t off = 0;
        const char *why = NULL;
        /* A byte-order mark before the first record is not part of it. */
        size_t bom = (line == 1 && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
        const double tj = r->o->stats ? pk_now() : 0;
        int x = len > MAX_LINE ? PK_ETOOBIG
                               : pk_jsonl_extract(p + bom, len - bom, r->o->text_field, r->o->id_field, &text, &id,
                                                  &has_id, &off, &why);
        if (r->o->stats) w->json_s += pk_now() - tj;
        off += bom;
        pk_buf_reset(&idbuf);
        if ((x == 0 || x == PK_ENOTFOUND) && has_id) {
            rec.id = id.data ? id.data : "";
            rec.id_len = id.len;
            rec.id_is_string = 1; /* refined below */
        } else {
            if (pk_buf_printf(&idbuf, "%s:%llu", j->name, (unsigned long long)line)) { rc = PK_ENOMEM; break; }
            rec.id = idbuf.data;
            rec.id_len = idbuf.len;
        }
        if (x == PK_EFORMAT) {
            rec.error = x;
            pk_fail(&e, x, "%s:%llu: malformed JSON at byte %zu: %s", j->name, (unsigned long long)line, off, why);
            rec.errmsg = e.msg;
        } else if (x == PK_ENOTFOUND) {
            rec.error = x;
            pk_fail(&e, x, "%s:%llu: %s (text field \"%s\")", j->name, (unsigned long long)line,
                    why ? why : "no text member", r->o->text_field);
            rec.errmsg = e.msg;
        } else if (x == PK_ETOOBIG) {
            rec.error = x;
            pk_fail(&e, x, "%s:%llu: record larger than %zu bytes", j->name, (unsigned long long)line,
                    len > MAX_LINE ? MAX_LINE : text.max);
            rec.errmsg = e.msg;
        } else if (x) {
            rc = x;
            break;
        } else {
            rec.text = text.data ? text.data : "";
            rec.text_len = text.len;
            pk_finding *f = NULL;
            size_t nf = 0;
            int s = pk_scan_text(sc, rec.text, rec.text_len, &f, &nf, &e);
            if (s == PK_ENOMEM) { rc = s; break; }
            if (s) {
                pk_error_prefix(&e, "%s:%llu: field \"%s\"", j->name, (unsigned long long)line, r->o->text_field);
                rec.error = s;
                rec.errmsg = e.msg;
            } else {
                rec.findings = f;
                rec.nfindings = nf;
            }
        }
        if ((rc = emit(r, j, &rec, w))) break;
        p = next;
    }
    pk_buf_free(&text);
    pk_buf_free(&id);
    pk_buf_free(&idbuf);
    return rc;
}

/* ---- WARC records ------------------------------------------------------------ */

/* Buffers a worker reuses across the records of a job. */
typedef struct warc_bufs {
    pk_buf a, b, id, conv;
    pk_doc doc;
    char enc[64];
    char msg[1024]; /* a reader's error, kept apart from the pk_error it is reported in */
} warc_bufs;

/* Is v[0..n) (up to ';' and blanks) the media type want? */
static bool media_is(const char *v, size_t n, const char *want)
{
    size_t w = strlen(want), i = 0;
    while (i < n && (v[i] == ' ' || v[i] == '\t')) i++;
    if (n - i < w || strncasecmp(v + i, want, w) != 0) return false;
    i += w;
    while (i < n && (v[i] == ' ' || v[i] == '\t')) i++;
    return i == n || v[i] == ';';
}

/* The charset parameter of a Content-Type, into out ("" if none). */
static void charset_of(const char *v, size_t n, char *out, size_t cap)
{
    out[0] = 0;
    for (size_t i = 0; i + 8 <= n; i++) {
        if (strncasecmp(v + i, "charset=", 8) != 0 || (i > 0 && v[i - 1] != ';' && v[i - 1] != ' ' && v[i - 1] != '\t'))
            continue;
        size_t s = i + 8, e;
        if (s < n && (v[s] == '"' || v[s] == '\'')) s++;
        for (e = s; e < n && v[e] != ';' && v[e] != '"' && v[e] != '\'' && v[e] != ' ' && v[e] != '\t'; e++) {}
        size_t k = PK_MIN(e - s, cap - 1);
        memcpy(out, v + s, k);
        out[k] = 0;
        return;
    }
}

enum { M_SKIP, M_HTML, M_TEXT };

static int media_kind(const char *v, size_t n)
{
    if (media_is(v, n, "text/html") || media_is(v, n, "application/xhtml+xml")) return M_HTML;
    if (media_is(v, n, "text/plain")) return M_TEXT;
    return M_SKIP;
}

/* A page with no Content-Type that looks like HTML. */
static bool sniff_html(const char *p, size_t n)
{
    size_t i = 0;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) i = 3;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) i++;
    if (i >= n || p[i] != '<') return false;
    n = PK_MIN(n, i + 1024);
    for (; i + 5 <= n; i++)
        if (strncasecmp(p + i, "<html", 5) == 0 || (i + 9 <= n && strncasecmp(p + i, "<!doctype", 9) == 0)) return true;
    return false;
}

/* Convert text/plain in charset enc to UTF-8 into out.  Returns 1 when
 * converted, 0 when left as it is (UTF-8 already, or a charset iconv does
 * not know), or a PK_E* code. */
static int to_utf8(const char *enc, const char *p, size_t n, pk_buf *out)
{
    if (!enc[0] || strcasecmp(enc, "utf-8") == 0 || strcasecmp(enc, "utf8") == 0 || strcasecmp(enc, "us-ascii") == 0)
        return 0;
    pk_buf_reset(out);
    int rc = pk_iconv_utf8(enc, p, n, out);
    return rc == 1 ? 0 : rc ? rc : 1;
}

/* Make rec a document from one parsed record, or mark it skipped.
 * Returns 0, or a PK_E* code with *why for a record that cannot be read
 * (an error record), or PK_ENOMEM. */
static int warc_doc(run *r, const pk_warc_rec *w, pk_record *rec, warc_bufs *wb, const char **why, pk_error *e)
{
    const char *body = w->block, *ct = w->ctype;
    size_t blen = w->block_len, ctn = w->ctype_len;
    const char *type = w->type;
    size_t tn = w->type_len;
    wb->enc[0] = 0;
#define IS(t) (tn == sizeof t - 1 && strncasecmp(type, t, tn) == 0)
    if (!type) { rec->skipped = "no WARC-Type"; return 0; }
    if (IS("response")) {
        if (!ct || !media_is(ct, ctn, "application/http")) { rec->skipped = "response not over HTTP"; return 0; }
        pk_http_msg m;
        int x = pk_http_parse(body, blen, &m, why);
        if (x) return x;
        body = m.body;
        blen = m.body_len;
        ct = m.ctype;
        ctn = m.ctype_len;
        if (!ct && w->ptype) { ct = w->ptype; ctn = w->ptype_len; }
        if (m.tenc && media_is(m.tenc, m.tenc_len, "chunked")) {
            if ((x = pk_http_dechunk(body, blen, &wb->a, why))) return x;
            body = wb->a.data ? wb->a.data : "";
            blen = wb->a.len;
        }
        if (m.cenc && !media_is(m.cenc, m.cenc_len, "identity")) {
            if (media_is(m.cenc, m.cenc_len, "gzip") || media_is(m.cenc, m.cenc_len, "x-gzip") ||
                media_is(m.cenc, m.cenc_len, "deflate")) {
                if ((x = pk_http_inflate(body, blen, &wb->b, why))) return x;
                body = wb->b.data ? wb->b.data : "";
                blen = wb->b.len;
            } else if (ct && media_kind(ct, ctn) != M_SKIP) {
                /* Text that cannot be decoded here (br, zstd ...): an error,
                 * not a record passed over, so that filter does not keep
                 * unread text as clean. */
                *why = "text in a content coding picket cannot decode";
                return PK_EFORMAT;
            } else {
                rec->skipped = "not text";
                return 0;
            }
        }
    } else if (IS("resource") || IS("conversion")) {
        /* the block is the document */
    } else {
        rec->skipped = IS("request") ? "request record" : IS("warcinfo") ? "warcinfo record" :
                       IS("metadata") ? "metadata record" : IS("revisit") ? "revisit record" :
                       IS("continuation") ? "continuation record" : "unknown record type";
        return 0;
    }
#undef IS
    int kind = ct ? media_kind(ct, ctn) : sniff_html(body, blen) ? M_HTML : M_SKIP;
    if (kind == M_SKIP) { rec->skipped = ct ? "not text" : "no Content-Type"; return 0; }
    if (ct) charset_of(ct, ctn, wb->enc, sizeof wb->enc);
    if (kind == M_HTML) {
        pk_doc_free(&wb->doc);
        pk_doc_init(&wb->doc);
        int x = pk_html_render_enc(&wb->doc, body, blen, wb->enc, e);
        if (x) {
            snprintf(wb->msg, sizeof wb->msg, "%s", e->msg);
            *why = wb->msg;
            return x;
        }
        rec->text = wb->doc.text.data ? wb->doc.text.data : "";
        rec->text_len = wb->doc.text.len;
        return 0;
    }
    int x = to_utf8(wb->enc, body, blen, &wb->conv);
    if (x < 0) { *why = pk_strerror(x); return x; }
    if (x == 1) { body = wb->conv.data ? wb->conv.data : ""; blen = wb->conv.len; }
    rec->text = body;
    rec->text_len = blen;
    return 0;
}

static int do_warc(run *r, job *j, worker *w)
{
    warc_bufs wb;
    memset(&wb, 0, sizeof wb);
    pk_buf_init(&wb.a, r->o->max_doc);
    pk_buf_init(&wb.b, r->o->max_doc);
    pk_buf_init(&wb.conv, r->o->max_doc);
    pk_buf_init(&wb.id, 0);
    pk_doc_init(&wb.doc);
    int rc = 0;
    const char *p = j->data.data, *end = j->data.data + j->data.len;
    for (uint64_t recno = j->first_line; p && p < end && !rc; recno++) {
        pk_warc_rec wr;
        const char *why = NULL;
        pk_error e;
        memset(&e, 0, sizeof e);
        int x = pk_warc_parse(p, (size_t)(end - p), &wr, &why);
        pk_record rec;
        memset(&rec, 0, sizeof rec);
        rec.path = j->path;
        rec.format = PK_FMT_WARC;
        rec.record = recno;
        rec.raw = p;
        rec.raw_len = x == 0 || j->oversize ? wr.total : (size_t)(end - p);
        rec.raw_head_len = wr.head_len ? wr.head_len : rec.raw_len;
        rec.url = wr.uri;
        rec.url_len = wr.uri_len;
        rec.date = wr.date;
        rec.date_len = wr.date_len;
        pk_buf_reset(&wb.id);
        if (wr.id) {
            rec.id = wr.id;
            rec.id_len = wr.id_len;
            rec.id_is_string = 1;
        } else {
            if (pk_buf_printf(&wb.id, "%s:%llu", j->path, (unsigned long long)recno)) { rc = PK_ENOMEM; break; }
            rec.id = wb.id.data;
            rec.id_len = wb.id.len;
        }
        if (j->oversize) {
            x = PK_ETOOBIG;
            rec.raw_len = rec.raw_head_len;
            pk_fail(&e, x, "%s: record %llu (%.*s): block larger than %zu bytes", j->path, (unsigned long long)recno,
                    (int)PK_MIN(rec.id_len, (size_t)200), rec.id, r->o->max_record);
        } else if (x) {
            /* the reader checked every record it handed out: not expected */
            pk_fail(&e, x, "%s: record %llu: %s", j->path, (unsigned long long)recno, why);
        } else {
            const double tj = r->o->stats ? pk_now() : 0;
            x = warc_doc(r, &wr, &rec, &wb, &why, &e);
            if (r->o->stats) w->json_s += pk_now() - tj;
            if (x == PK_ENOMEM) { rc = x; break; }
            if (x) pk_fail(&e, x, "%s: record %llu (%.*s): %s", j->path, (unsigned long long)recno,
                           (int)PK_MIN(rec.id_len, (size_t)200), rec.id, why ? why : pk_strerror(x));
        }
        if (x) {
            rec.error = x;
            rec.errmsg = e.msg;
        } else if (!rec.skipped) {
            pk_finding *f = NULL;
            size_t nf = 0;
            int s = pk_scan_text(w->sc, rec.text, rec.text_len, &f, &nf, &e);
            if (s == PK_ENOMEM) { rc = s; break; }
            if (s) {
                pk_error_prefix(&e, "%s: record %llu (%.*s)", j->path, (unsigned long long)recno,
                                (int)PK_MIN(rec.id_len, (size_t)200), rec.id);
                rec.error = s;
                rec.errmsg = e.msg;
            } else {
                rec.findings = f;
                rec.nfindings = nf;
            }
        }
        rc = emit(r, j, &rec, w);
        p += rec.raw_len ? rec.raw_len : (size_t)(end - p);
    }
    pk_buf_free(&wb.a);
    pk_buf_free(&wb.b);
    pk_buf_free(&wb.conv);
    pk_buf_free(&wb.id);
    pk_doc_free(&wb.doc);
    return rc;
}

static int do_error(run *r, job *j)
{
    pk_record rec;
    memset(&rec, 0, sizeof rec);
    rec.path = j->path;
    rec.member = j->member;
    rec.id = j->name;
    rec.id_len = strlen(j->name);
    rec.error = j->errcode;
    rec.errmsg = j->errmsg;
    j->sink.errors++;
    return r->o->record(&rec, &j->sink, r->o->ud);
}

/* A tar member that is not a file (a directory, a link ...). */
static int do_skip(run *r, job *j, worker *w)
{
    pk_record rec;
    memset(&rec, 0, sizeof rec);
    rec.path = j->path;
    rec.member = j->member;
    rec.format = PK_FMT_TEXT;
    rec.id = j->name;
    rec.id_len = strlen(j->name);
    rec.text = "";
    rec.skipped = j->skip_why;
    return emit(r, j, &rec, w);
}

static int process(run *r, job *j, worker *w)
{
    switch (j->kind) {
    case JOB_TEXT: return do_text(r, j, w);
    case JOB_JSONL: return do_jsonl(r, j, w);
    case JOB_WARC: return do_warc(r, j, w);
    case JOB_SKIP: return do_skip(r, j, w);
    default: return do_error(r, j);
    }
}


static void *worker_main(void *arg)
{
    worker *w = arg;
    run *r = w->r;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->queue_head && !r->stop) pthread_cond_wait(&r->work_cv, &r->mu);
        if (!r->queue_head) break;
        job *j = r->queue_head;
        r->queue_head = j->next;
        if (!r->queue_head) r->queue_tail = NULL;
        j->next = NULL;
        pthread_mutex_unlock(&r->mu);
        int rc = process(r, j, w);
        pthread_mutex_lock(&r->mu);
        j->rc = rc;
        j->done = 1;
        pthread_cond_broadcast(&r->done_cv);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* ---- the calling thread ----------------------------------------------------- */

/* Count a finished job and hand its sink to the flush callback. */
static int finish_job(run *r, job *j)
{
    r->stats->docs += j->sink.docs;
    r->stats->bytes += j->sink.bytes;
    r->stats->findings += j->sink.findings;
    r->stats->errors += j->sink.errors;
    r->stats->blank_lines += j->sink.blank;
    r->stats->skipped_records += j->sink.skipped;
    const double t0 = r->o->stats ? pk_now() : 0;
    int rc = r->o->flush(&j->sink, r->o->ud);
    if (r->o->stats) r->stats->output_s += pk_now() - t0;
    return rc;
}

/* Whether the job to flush next is finished, or the input flushed now has
 * nothing more to give.  Called with r->mu held. */
static bool flushable(const run *r)
{
    if (r->flushing || r->flush_at >= r->nin) return false;
    const input *in = &r->in[r->flush_at];
    return in->head ? in->head->done : in->read;
}

/* Flush finished jobs in input order, then in the order each input's jobs
 * were made, as far as they are finished.  One thread at a time (the
 * others go on reading).  Called with r->mu held. */
static int flush_ready(run *r)
{
    if (r->flushing) return 0;
    r->flushing = 1;
    int rc = 0;
    while (r->flush_at < r->nin) {
        input *in = &r->in[r->flush_at];
        job *j = in->head;
        if (!j) {
            if (!in->read) break;
            r->flush_at++;
            continue;
        }
        if (!j->done) break;
        in->head = j->fnext;
        if (!in->head) in->tail = NULL;
        j->rd->inflight--;
        pthread_mutex_unlock(&r->mu);
        if (j->rc) rc = j->rc;
        if (!rc) rc = finish_job(r, j);
        job_free(j);
        pthread_mutex_lock(&r->mu);
        if (rc) { r->failed = rc; break; }
    }
    r->flushing = 0;
    pthread_cond_broadcast(&r->done_cv); /* readers wait for their jobs to go */
    return rc;
}

static int submit(reader *rd, job *j)
{
    run *r = rd->r;
    j->in = rd->in;
    j->rd = rd;
    if (rd->nthreads <= 1) {
        j->rc = process(r, j, &rd->ws[0]);
        j->done = 1;
        int rc = j->rc ? j->rc : finish_job(r, j);
        job_free(j);
        return rc;
    }
    pthread_mutex_lock(&r->mu);
    while (rd->inflight >= r->max_inflight && !r->failed) {
        if (flushable(r)) {
            flush_ready(r);
            continue;
        }
        const double t0 = pk_now();
        pthread_cond_wait(&r->done_cv, &r->mu);
        rd->wait_s += pk_now() - t0;
    }
    if (r->failed) {
        int rc = r->failed;
        pthread_mutex_unlock(&r->mu);
        job_free(j);
        return rc;
    }
    input *in = &r->in[rd->in];
    j->fnext = NULL;
    if (in->tail) in->tail->fnext = j; else in->head = j;
    in->tail = j;
    rd->inflight++;
    if (r->queue_tail) r->queue_tail->next = j; else r->queue_head = j;
    r->queue_tail = j;
    pthread_cond_signal(&r->work_cv);
    int rc = flushable(r) ? flush_ready(r) : 0;
    pthread_mutex_unlock(&r->mu);
    return rc;
}

static int submit_error(reader *rd, const char *path, pk_error *e)
{
    job *j = job_new(rd->r, JOB_ERROR, path);
    if (!j) return PK_ENOMEM;
    j->errcode = e->code ? e->code : PK_EIO;
    snprintf(j->errmsg, sizeof j->errmsg, "%s", e->msg);
    return submit(rd, j);
}

static int has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Format from the file name, ignoring a compression suffix; 0 if unknown. */
static int format_by_name(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    const char *z[] = {".gz", ".zst", ".zstd"};
    for (int i = 0; i < 3; i++)
        if (has_suffix(tmp, z[i])) { tmp[strlen(tmp) - strlen(z[i])] = 0; break; }
    if (has_suffix(tmp, ".tar") || has_suffix(path, ".tgz") || has_suffix(path, ".tzst")) return PK_FMT_TAR;
    if (has_suffix(tmp, ".warc") || has_suffix(tmp, ".wet")) return PK_FMT_WARC;
    if (has_suffix(tmp, ".jsonl") || has_suffix(tmp, ".ndjson") || has_suffix(tmp, ".json")) return PK_FMT_JSONL;
    if (has_suffix(tmp, ".txt") || has_suffix(tmp, ".text") || has_suffix(tmp, ".md")) return PK_FMT_TEXT;
    return 0;
}

/* ---- tar archives ------------------------------------------------------------
 * The reading thread walks the members (io/tar.c) and makes jobs of them as
 * of files: a text member is one JOB_TEXT job, a .jsonl/.ndjson member is
 * cut into JOB_JSONL chunks of whole lines; ids and messages name
 * "ARCHIVE:MEMBER".  A member that is not a regular file is a JOB_SKIP
 * record (counted as passed over).  A member over max_doc, or with a line
 * over MAX_LINE, is an error record for that member and the archive goes
 * on; a damaged or cut-short archive is one error record naming the
 * archive and the byte, after the members read before it. */

#define TAR_BROKE 1 /* the archive failed and was reported: stop reading it */

static job *member_job(run *r, int kind, const char *path, const char *member)
{
    job *j = job_new(r, kind, path);
    if (!j) return NULL;
    size_t a = strlen(path), b = strlen(member);
    j->owned = malloc(a + b + 2);
    if (!j->owned) { job_free(j); return NULL; }
    memcpy(j->owned, path, a);
    j->owned[a] = ':';
    memcpy(j->owned + a + 1, member, b + 1);
    j->name = j->owned;
    j->member = j->owned + a + 1;
    return j;
}

/* Turn j into the error record of its member. */
static void job_to_error(job *j, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void job_to_error(job *j, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->errmsg, sizeof j->errmsg, fmt, ap);
    va_end(ap);
    j->kind = JOB_ERROR;
    j->errcode = code;
    pk_buf_free(&j->data);
}

/* Make j->data room for a text of `size` bytes read whole (0: unknown)
 * and a byte more, to see its end in: one allocation instead of a chain
 * of doublings, and huge pages.  A 200 MB text file took 71,000 page
 * faults to read, 20,000 so (bench/scan_ab.sh: 293 -> 330 MB/s).  PK_ENOMEM
 * or 0. */
static int presize(job *j, uint64_t size)
{
    if (size == 0) return 0;
    int x = pk_buf_reserve(&j->data, (size_t)PK_MIN(size + 1, (uint64_t)j->data.max));
    if (x) return x;
    pk_huge_pages(j->data.data, j->data.cap);
    return 0;
}

/* Read up to the room left in j->data (at most `block`) from the member. */
static int member_read(reader *rd, pk_tar *t, job *j, size_t block, size_t *got, pk_error *e)
{
    *got = 0;
    size_t room = j->data.max - j->data.len;
    if (!room) return PK_ETOOBIG;
    int x = pk_buf_reserve(&j->data, PK_MIN(room, block));
    if (x) return x;
    const double t0 = pk_now();
    x = pk_tar_read(t, j->data.data + j->data.len, j->data.cap - j->data.len - 1, got, e);
    rd->read_s += pk_now() - t0;
    if (x) return x;
    j->data.len += *got;
    j->data.data[j->data.len] = 0;
    return 0;
}

static int tar_text(reader *rd, pk_tar *t, const pk_tar_member *m, const char *path)
{
    run *r = rd->r;
    pk_error e;
    memset(&e, 0, sizeof e);
    job *j = member_job(r, JOB_TEXT, path, m->name);
    if (!j) return PK_ENOMEM;
    if (m->size > r->o->max_doc) {
        /* its data is skipped by the next pk_tar_next */
        job_to_error(j, PK_ETOOBIG, "%s: document larger than %zu bytes", j->name, r->o->max_doc);
        return submit(rd, j);
    }
    if (presize(j, m->size)) { job_free(j); return PK_ENOMEM; }
    for (;;) {
        size_t got;
        if (j->data.len == j->data.max) break; /* the header's size is what libarchive reads */
        int x = member_read(rd, t, j, (size_t)1 << 20, &got, &e);
        if (x == PK_ENOMEM) { job_free(j); return x; }
        if (x) {
            /* the archive broke inside this member: the member is not a document */
            job_free(j);
            x = submit_error(rd, path, &e);
            return x ? x : TAR_BROKE;
        }
        if (!got) break;
    }
    return submit(rd, j);
}

/* A .jsonl member, cut into chunks of about CHUNK_TARGET bytes of whole
 * lines like a JSONL file (pk_lines does the same for files).  The bytes
 * after the last newline of a chunk start the next. */
static int tar_jsonl(reader *rd, pk_tar *t, const pk_tar_member *m, const char *path)
{
    run *r = rd->r;
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_buf carry;
    pk_buf_init(&carry, MAX_LINE + ((size_t)1 << 18));
    uint64_t line = 1;
    bool end = false;
    int rc = 0;
    while (!end) {
        job *j = member_job(r, JOB_JSONL, path, m->name);
        if (!j) { rc = PK_ENOMEM; break; }
        j->first_line = line;
        if ((rc = pk_buf_append(&j->data, carry.data, carry.len))) { job_free(j); break; }
        pk_buf_reset(&carry);
        const char *last_nl = j->data.len ? memrchr(j->data.data, '\n', j->data.len) : NULL;
        size_t keep_to;
        for (;;) {
            if (last_nl && j->data.len >= CHUNK_TARGET) break;
            if (!last_nl && j->data.len > MAX_LINE) {
                job_to_error(j, PK_ETOOBIG, "%s: line %llu is longer than %zu bytes", j->name,
                             (unsigned long long)line, MAX_LINE);
                rc = submit(rd, j);
                goto done; /* the rest of the member is skipped */
            }
            size_t got, before = j->data.len;
            int x = member_read(rd, t, j, (size_t)1 << 18, &got, &e);
            if (x == PK_ENOMEM) { job_free(j); rc = x; goto done; }
            if (x == PK_ETOOBIG) { /* max_doc is under MAX_LINE */
                job_to_error(j, x, "%s: line %llu is longer than %zu bytes", j->name, (unsigned long long)line,
                             j->data.max);
                rc = submit(rd, j);
                goto done;
            }
            if (x) {
                /* Lines already whole in this chunk are records read before
                 * the archive broke; the partial last line is not. */
                if (last_nl) {
                    j->data.len = (size_t)(last_nl - j->data.data) + 1;
                    if ((rc = submit(rd, j))) goto done;
                } else {
                    job_free(j);
                }
                rc = submit_error(rd, path, &e);
                if (!rc) rc = TAR_BROKE;
                goto done;
            }
            if (!got) { end = true; break; }
            const char *nl = memrchr(j->data.data + before, '\n', got);
            if (nl) last_nl = nl;
        }
        keep_to = end || !last_nl ? j->data.len : (size_t)(last_nl - j->data.data) + 1;
        if ((rc = pk_buf_append(&carry, j->data.data + keep_to, j->data.len - keep_to))) { job_free(j); break; }
        j->data.len = keep_to;
        if (!j->data.len) { job_free(j); break; }
        for (const char *p = j->data.data, *q = p + j->data.len; (p = memchr(p, '\n', (size_t)(q - p))); p++) line++;
        if ((rc = submit(rd, j))) break;
    }
done:
    pk_buf_free(&carry);
    return rc;
}

static int scan_tar(reader *rd, const char *path, pk_source *src)
{
    run *r = rd->r;
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_tar *t = NULL;
    int rc = pk_tar_open(&t, src, path, &e);
    if (rc) return rc == PK_ENOMEM ? rc : submit_error(rd, path, &e);
    for (;;) {
        pk_tar_member m;
        const double t0 = pk_now();
        int x = pk_tar_next(t, &m, &e);
        rd->read_s += pk_now() - t0;
        if (x == PK_TAR_END) break;
        if (x) {
            rc = x == PK_ENOMEM ? x : submit_error(rd, path, &e);
            break;
        }
        if (m.kind) {
            job *j = member_job(r, JOB_SKIP, path, m.name);
            if (!j) { rc = PK_ENOMEM; break; }
            j->skip_why = m.kind; /* a static string */
            if ((rc = submit(rd, j))) break;
            continue;
        }
        /* by name alone, and only as stored: "x.jsonl.gz" is not JSONL here */
        bool jsonl = has_suffix(m.name, ".jsonl") || has_suffix(m.name, ".ndjson");
        rc = jsonl ? tar_jsonl(rd, t, &m, path) : tar_text(rd, t, &m, path);
        if (rc == TAR_BROKE) { rc = 0; break; }
        if (rc) break;
    }
    pk_tar_close(t);
    return rc;
}

static int scan_file(reader *rd, const char *path)
{
    run *r = rd->r;
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_source *src = NULL;
    pk_lines *ln = NULL;
    int rc = 0;
    rd->files++;
    if ((rc = pk_source_open(&src, path, &e))) { rc = 0; goto error; }
    int fmt = r->o->format;
    if (fmt == PK_FMT_AUTO) fmt = format_by_name(path);
    if (fmt == PK_FMT_AUTO) {
        const char *p;
        size_t n;
        if ((rc = pk_source_peek(src, 4096, &p, &n, &e))) { rc = 0; goto error; }
        size_t i = 0;
        if (n >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF) i = 3;
        while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) i++;
        if (n - i >= 5 && memcmp(p + i, "WARC/", 5) == 0) fmt = PK_FMT_WARC;
        else if (pk_tar_sniff(p, n)) fmt = PK_FMT_TAR;
        else fmt = (i < n && p[i] == '{') ? PK_FMT_JSONL : PK_FMT_TEXT;
    }
    /* A gzip file of many members (WARC.gz) inflates on the threads no
     * other reader has (io/source.c); one big member is read in turn. */
    if (r->nthreads / PK_MAX(r->nreaders, 1) >= 2) pk_source_parallel(src, r->nthreads / PK_MAX(r->nreaders, 1), 0);
    if (fmt == PK_FMT_TAR) {
        if (r->o->no_tar) {
            pk_fail(&e, PK_EINVAL, "%s: a tar archive, not read here (picket filter cannot write its kept members "
                    "back into an archive: unpack it and filter the files, or scan it)", path);
            goto error;
        }
        rc = scan_tar(rd, path, src);
        goto done;
    }
    if (fmt == PK_FMT_TEXT) {
        job *j = job_new(r, JOB_TEXT, path);
        if (!j) { rc = PK_ENOMEM; goto done; }
        j->alone = r->single;
        if (!r->o->no_map) {
            const double t0 = pk_now();
            j->map = pk_source_map(src, r->o->max_doc);
            rd->read_s += pk_now() - t0;
            if (j->map) {
                rc = submit(rd, j);
                goto done;
            }
        }
        if ((rc = presize(j, pk_source_size_hint(src)))) { job_free(j); goto done; } /* out of memory */
        for (;;) {
            size_t got, room = j->data.max - j->data.len;
            if (room == 0) {
                /* At the limit: one more byte means the document is too big. */
                char probe;
                if ((rc = pk_source_read(src, &probe, 1, &got, &e)) == 0 && got)
                    pk_fail(&e, PK_ETOOBIG, "%s: document larger than %zu bytes", path, r->o->max_doc);
                if (rc || got) { job_free(j); rc = 0; goto error; }
                break;
            }
            int x = pk_buf_reserve(&j->data, PK_MIN(room, (size_t)1 << 20));
            if (x) { job_free(j); rc = x; goto done; } /* out of memory */
            const double t0 = pk_now();
            rc = pk_source_read(src, j->data.data + j->data.len, j->data.cap - j->data.len - 1, &got, &e);
            rd->read_s += pk_now() - t0;
            if (rc) {
                job_free(j);
                rc = 0;
                goto error;
            }
            if (!got) break;
            j->data.len += got;
            j->data.data[j->data.len] = 0;
        }
        rc = submit(rd, j);
        goto done;
    }
    if (fmt == PK_FMT_WARC) {
        /* Its pages are rendered with libxml2: a library that cannot be
         * opened is one error for the file, not one a record. */
        if (pk_lazy_xml(&e)) {
            pk_error_prefix(&e, "%s", path);
            goto error;
        }
        pk_warc_reader *wr = NULL;
        if ((rc = pk_warc_reader_open(&wr, src, path, r->o->max_record, &e))) goto done;
        for (;;) {
            job *j = job_new(r, JOB_WARC, path);
            if (!j) { rc = PK_ENOMEM; break; }
            uint64_t first = 0;
            const double t0 = pk_now();
            rc = pk_warc_chunk(wr, &j->data, CHUNK_TARGET, &first, &j->oversize, &e);
            rd->read_s += pk_now() - t0;
            if (rc) {
                job_free(j);
                if (rc == PK_ENOMEM) break;
                pk_warc_reader_close(wr);
                rc = 0;
                goto error;
            }
            if (!j->data.len) { job_free(j); break; }
            j->first_line = first;
            if ((rc = submit(rd, j))) break;
        }
        pk_warc_reader_close(wr);
        goto done;
    }
    if ((rc = pk_lines_open(&ln, src, MAX_LINE, &e))) goto done;
    for (;;) {
        job *j = job_new(r, JOB_JSONL, path);
        if (!j) { rc = PK_ENOMEM; goto done; }
        uint64_t first = 0;
        const double t0 = pk_now();
        rc = pk_lines_chunk(ln, &j->data, CHUNK_TARGET, &first, &e);
        rd->read_s += pk_now() - t0;
        if (rc) {
            job_free(j);
            if (rc == PK_ENOMEM) goto done;
            rc = 0;
            goto error;
        }
        if (!j->data.len) { job_free(j); break; }
        j->first_line = first;
        if ((rc = submit(rd, j))) goto done;
    }
    goto done;
error:
    rc = submit_error(rd, path, &e);
done:
    pk_lines_close(ln);
    pk_source_close(src);
    return rc;
}

/* The walk adds each file (or what it could not read) to r->in. */
static int add_input(run *r, const char *path, int code, const char *why)
{
    if (r->nin == r->incap) {
        size_t nc = r->incap ? 2 * r->incap : 64;
        input *ni = realloc(r->in, nc * sizeof *ni);
        if (!ni) return PK_ENOMEM;
        r->in = ni;
        r->incap = nc;
    }
    input *in = &r->in[r->nin];
    memset(in, 0, sizeof *in);
    in->path = strdup(path);
    in->code = code;
    in->why = why ? strdup(why) : NULL;
    if (!in->path || (why && !in->why)) {
        free(in->path);
        free(in->why);
        return PK_ENOMEM;
    }
    r->nin++;
    return 0;
}

static int walk_file(const char *path, void *ud) { return add_input(ud, path, 0, NULL); }

static int walk_fail(const char *path, int code, const char *why, void *ud)
{
    return add_input(ud, path, code ? code : PK_EIO, why);
}

/* Read inputs, one at a time, until none is left or the run failed. */
static int read_inputs(reader *rd)
{
    run *r = rd->r;
    int rc = 0;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        const bool stop = r->failed || r->next_in >= r->nin;
        const size_t f = stop ? 0 : r->next_in++;
        pthread_mutex_unlock(&r->mu);
        if (stop) break;
        rd->in = f;
        input *in = &r->in[f];
        if (in->code) {
            pk_error e;
            rd->files++;
            pk_fail(&e, in->code, "%s: %s", in->path, in->why ? in->why : pk_strerror(in->code));
            rc = submit_error(rd, in->path, &e);
        } else {
            rc = scan_file(rd, in->path);
        }
        pthread_mutex_lock(&r->mu);
        in->read = true;
        if (rc && !r->failed) r->failed = rc;
        if (flushable(r)) {
            int f2 = flush_ready(r);
            if (f2 && !rc) rc = f2;
        }
        pthread_cond_broadcast(&r->done_cv);
        pthread_mutex_unlock(&r->mu);
        if (rc) break;
    }
    return rc;
}

static void *reader_main(void *arg)
{
    reader *rd = arg;
    rd->rc = read_inputs(rd);
    return NULL;
}

int pk_corpus_scan(const pk_index *ix, char *const *paths, size_t npaths, const pk_corpus_opts *o,
                   pk_corpus_stats *stats, pk_error *err)
{
    const double t_start = pk_now();
    run r;
    memset(&r, 0, sizeof r);
    memset(stats, 0, sizeof *stats);
    r.ix = ix;
    r.o = o;
    r.stats = stats;
    {
        /* A field path the JSONL reader would refuse on every line. */
        const char *fields[2] = {o->text_field, o->id_field};
        for (int i = 0; i < 2; i++) {
            size_t parts = 1;
            for (const char *c = fields[i]; c && *c; c++) parts += *c == '.';
            if (parts > PK_JSONL_MAX_PARTS)
                return pk_fail(err, PK_EINVAL, "%s \"%.40s...\": a field path has at most %d parts",
                               i ? "id field" : "text field", fields[i], PK_JSONL_MAX_PARTS);
        }
    }
    int nthreads = o->threads;
    if (nthreads <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = c > 0 ? (int)c : 1;
    }
    if (nthreads > 256) nthreads = 256;
    r.nthreads = nthreads;
    struct stat st;
    r.single = nthreads > 1 && npaths == 1 &&
               (strcmp(paths[0], "-") == 0 || (stat(paths[0], &st) == 0 && S_ISREG(st.st_mode)));
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.work_cv, NULL);
    pthread_cond_init(&r.done_cv, NULL);
    worker *ws = calloc((size_t)nthreads, sizeof *ws);
    reader *rds = NULL;
    int rc = 0, started = 0, nreaders = 0, more = 1; /* more: readers running, the calling thread first */
    if (!ws) { rc = PK_ENOMEM; goto done; }
    /* Walk first: the readers then take whole inputs in turn. */
    const pk_walk_fns fns = {walk_file, walk_fail};
    for (size_t i = 0; i < npaths && !rc; i++) rc = pk_walk(paths[i], &fns, &r);
    if (rc) goto done;
    /* One reader per thread, at most one per input, at most MAX_READERS;
     * one when stdin is among the inputs (two readers of "-" would share
     * its bytes). */
    nreaders = nthreads > 1 ? (int)PK_MIN((size_t)PK_MIN(nthreads, MAX_READERS), PK_MAX(r.nin, (size_t)1)) : 1;
    for (size_t i = 0; i < r.nin; i++)
        if (strcmp(r.in[i].path, "-") == 0) nreaders = 1;
    r.max_inflight = PK_MAX((2 * (size_t)nthreads + 2) / (size_t)nreaders, (size_t)2);
    r.nreaders = nreaders;
    if (!(rds = calloc((size_t)nreaders, sizeof *rds))) { rc = PK_ENOMEM; goto done; }
    for (int i = 0; i < nthreads; i++) {
        ws[i].r = &r;
        pk_scan_opts so = o->scan;
        so.timing = o->stats;
        if ((rc = pk_scanner_new(&ws[i].sc, ix, &so, err))) goto done;
    }
    if (nthreads > 1) {
        for (; started < nthreads; started++)
            if (pthread_create(&ws[started].th, NULL, worker_main, &ws[started]) != 0) {
                rc = pk_fail(err, PK_EINTERNAL, "cannot start threads");
                goto done;
            }
    }
    for (int i = 0; i < nreaders; i++) {
        rds[i].r = &r;
        rds[i].ws = ws;
        rds[i].nthreads = nthreads;
    }
    for (; more < nreaders; more++)
        if (pthread_create(&rds[more].th, NULL, reader_main, &rds[more]) != 0) break; /* fewer readers */
    rc = read_inputs(&rds[0]); /* returns when no input is left to take */
done:
    if (nthreads > 1 && ws) {
        /* Flush as the other readers finish (their output is not held
         * back behind a join), then join them. */
        pthread_mutex_lock(&r.mu);
        while (r.flush_at < r.nin && !r.failed) {
            if (flushable(&r)) { int f = flush_ready(&r); if (f && !rc) rc = f; continue; }
            if (rc) break;
            pthread_cond_wait(&r.done_cv, &r.mu);
        }
        pthread_mutex_unlock(&r.mu);
        for (int i = 1; rds && i < more; i++) {
            pthread_join(rds[i].th, NULL);
            if (rds[i].rc && !rc) rc = rds[i].rc;
        }
        pthread_mutex_lock(&r.mu);
        r.stop = 1;
        pthread_cond_broadcast(&r.work_cv);
        pthread_mutex_unlock(&r.mu);
        for (int i = 0; i < started; i++) pthread_join(ws[i].th, NULL);
        /* After a failure, jobs may remain: free them unflushed. */
        for (size_t i = 0; i < r.nin; i++)
            while (r.in[i].head) {
                job *j = r.in[i].head;
                r.in[i].head = j->fnext;
                job_free(j);
            }
        if (!rc && r.failed) rc = r.failed;
    }
    if (rds)
        for (int i = 0; i < nreaders; i++) {
            stats->read_s += rds[i].read_s;
            stats->wait_s += rds[i].wait_s;
            stats->files += rds[i].files;
        }
    if (ws)
        for (int i = 0; i < nthreads; i++) {
            if (ws[i].sc) {
                double seed_s, align_s;
                pk_scanner_times(ws[i].sc, &seed_s, &align_s);
                stats->fingerprint_s += seed_s;
                stats->align_s += align_s;
            }
            stats->json_s += ws[i].json_s;
            stats->output_s += ws[i].output_s;
            pk_scanner_free(ws[i].sc);
        }
    stats->threads = nthreads;
    stats->readers = rds ? more : 1;
    stats->wall_s = pk_now() - t_start;
    free(ws);
    free(rds);
    for (size_t i = 0; i < r.nin; i++) {
        free(r.in[i].path);
        free(r.in[i].why);
    }
    free(r.in);
    pthread_mutex_destroy(&r.mu);
    pthread_cond_destroy(&r.work_cv);
    pthread_cond_destroy(&r.done_cv);
    if (rc && err && !err->msg[0]) pk_fail(err, rc, "%s", pk_strerror(rc));
    return rc;
}
