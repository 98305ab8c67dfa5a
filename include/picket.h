/* picket.h -- the public API of libpicket.
 *
 * picket keeps written works out of AI training data and finds them when
 * they were used anyway.  The library turns text into fingerprints, keeps
 * them in a registry (SQLite), compiles the registry into an immutable
 * memory-mapped index, and scans documents against that index.
 *
 * Conventions, for every function here:
 *   - a function that can fail returns 0 on success or a negative PK_E*
 *     code, and fills the caller's pk_error (which may be NULL) with a
 *     one-line human-readable reason;
 *   - constructors return their object through an out parameter and leave
 *     it NULL on failure; every destructor accepts NULL;
 *   - nothing in the library prints or exits; the CLI does that.
 */
#ifndef PICKET_H
#define PICKET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PK_VERSION "0.1.0"

#if defined(__GNUC__)
#define PK_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PK_PRINTF(a, b)
#endif

enum pk_code {
    PK_OK = 0,
    PK_ENOMEM = -1,    /* allocation failed */
    PK_EIO = -2,       /* read or write failed */
    PK_EINVAL = -3,    /* bad argument */
    PK_EFORMAT = -4,   /* malformed input (JSON, gzip, ...) */
    PK_EUTF8 = -5,     /* invalid UTF-8 */
    PK_EDB = -6,       /* SQLite error */
    PK_EPARAMS = -7,   /* fingerprint parameters do not match */
    PK_ENOTFOUND = -8, /* no such work, file or field */
    PK_EEXIST = -9,    /* already there */
    PK_ETOOBIG = -10,  /* input over a configured limit */
    PK_ECORRUPT = -11, /* index or registry damaged */
    PK_EINTERNAL = -12
};

typedef struct pk_error {
    int code;
    char msg[1024];
} pk_error;

/* ---- growable buffer (util.c) ------------------------------------------ */

/* A byte buffer with a hard cap.  data is always NUL-terminated when
 * len > 0 or after pk_buf_reserve; the NUL is not counted in len.
 * max == 0 means the default cap (PK_BUF_DEFAULT_MAX). */
#define PK_BUF_DEFAULT_MAX ((size_t)1 << 32) /* 4 GiB */
typedef struct pk_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
} pk_buf;

void pk_buf_init(pk_buf *b, size_t max);
void pk_buf_free(pk_buf *b);
void pk_buf_reset(pk_buf *b); /* len = 0, keeps memory */
int pk_buf_reserve(pk_buf *b, size_t extra);    /* PK_ENOMEM or PK_ETOOBIG */
int pk_buf_append(pk_buf *b, const void *p, size_t n);
int pk_buf_putc(pk_buf *b, int c);
int pk_buf_printf(pk_buf *b, const char *fmt, ...)
    PK_PRINTF(2, 3);
/* Append s as a JSON string literal (quotes included).  Invalid UTF-8 is
 * written as \ufffd so the output is always valid JSON. */
int pk_buf_json_str(pk_buf *b, const char *s, size_t n);

/* Fingerprint parameters.  A registry is built with one set and refuses to
 * be scanned with another.  Any verbatim shared run of k + w - 1 tokens
 * (after normalization) is guaranteed to share a fingerprint. */
typedef struct pk_params {
    uint32_t k;      /* tokens per k-gram (default 8) */
    uint32_t w;      /* winnowing window, in k-grams (default 18) */
    uint32_t scheme; /* normalizer + hash version (PK_SCHEME) */
} pk_params;

#define PK_SCHEME 2 /* 2: robust winnowing ties */
#define PK_TOK_LOSSY 1u /* invalid UTF-8 becomes a separator, not an error */
void pk_params_default(pk_params *p);
int pk_params_check(const pk_params *p, pk_error *err);

const char *pk_version(void);
const char *pk_strerror(int code);

/* ---- registry ------------------------------------------------------------
 * The registry of works: an SQLite database (WAL) holding metadata, the
 * SHA-256 of each registered file, winnowed fingerprints with token
 * positions and line numbers, and a 16-bit alignment sketch per k-gram.
 * No text unless asked for.  Every write is one transaction. */
typedef struct pk_registry pk_registry;

#define PK_REG_READONLY 1u
#define PK_REG_CREATE 2u

/* params: used when the registry is created (NULL: defaults); for an
 * existing registry, a non-NULL params that differs fails PK_EPARAMS. */
int pk_registry_open(pk_registry **out, const char *path, unsigned flags,
                     const pk_params *params, pk_error *err);
void pk_registry_close(pk_registry *r);
void pk_registry_get_params(const pk_registry *r, pk_params *out);
/* Bumped by every change; the compiled index records the one it saw. */
int pk_registry_generation(pk_registry *r, int64_t *gen, pk_error *err);

typedef struct pk_register_opts {
    const char *id;     /* NULL: derived from the source file name */
    const char *title;  /* NULL: the file name */
    const char *author; /* may be NULL */
    const char *source; /* file name, for the record; may be NULL */
    int keep_text;      /* store the text itself */
    unsigned tok_flags; /* PK_TOK_LOSSY */
} pk_register_opts;

typedef struct pk_register_result {
    char id[256];
    char sha256[65];
    int existed;          /* same content was already registered */
    uint64_t tokens;
    uint64_t fingerprints;
} pk_register_result;

int pk_registry_add(pk_registry *r, const char *text, size_t n, const pk_register_opts *o,
                    pk_register_result *res, pk_error *err);

/* ---- works in the formats writers use ---------------------------------- */

enum {
    PK_WORK_AUTO = 0, /* by extension, then by content */
    PK_WORK_TEXT,
    PK_WORK_FOUNTAIN,
    PK_WORK_FDX, /* Final Draft */
    PK_WORK_HTML,
    PK_WORK_MARKDOWN,
    PK_WORK_EPUB,
    PK_WORK_DOCX,
    PK_WORK_PDF,
    PK_WORK_CODE,      /* source code, fingerprinted as the text it is */
    PK_WORK_CODE_NORM, /* source code, identifiers and strings normalized
                          away ("code-normalized"; see pk_scan_opts) */
    PK_WORK_NFORMATS
};
const char *pk_work_format_name(int format);
/* The format named `name` ("text", "fountain", "fdx", ...), or -1. */
int pk_work_format_parse(const char *name);

/* A work as a reader rendered it: the UTF-8 text that is fingerprinted
 * (lines separated by '\n') and, for each rendered line i, the source
 * line it came from (1-based), its estimated page and its scene (1-based;
 * 0 when the format has none). */
typedef struct pk_doc {
    pk_buf text;
    uint32_t *line, *page, *scene;
    size_t nlines, cap;
    int format;        /* what the reader took it for */
    char title[256];   /* from the work's own title page, "" if none */
    char author[256];
} pk_doc;

void pk_doc_init(pk_doc *d);
void pk_doc_free(pk_doc *d);
/* Render the n bytes of a work; name (may be NULL) is its file name, for
 * the format by extension. */
int pk_doc_read(pk_doc *d, const char *name, const char *data, size_t n, int format, unsigned tok_flags,
                pk_error *err);
/* Register a rendered work.  raw/rawn: the bytes as the writer has them
 * (their SHA-256 identifies the work; kept with keep_text). */
int pk_registry_add_doc(pk_registry *r, const pk_doc *d, const char *raw, size_t rawn, const pk_register_opts *o,
                        pk_register_result *res, pk_error *err);
int pk_registry_remove(pk_registry *r, const char *id, pk_error *err);

typedef struct pk_work_info {
    int64_t rowid;
    const char *id, *title, *author, *source, *sha256, *added;
    const char *format; /* "text", "fountain", "fdx", ..., "code", "code-normalized" */
    uint64_t bytes, tokens, fingerprints;
} pk_work_info;

/* Calls cb for every work in id order; a non-zero return from cb stops
 * the walk and is returned. */
int pk_registry_each(pk_registry *r, int (*cb)(const pk_work_info *w, void *ud), void *ud,
                     pk_error *err);

/* ---- index ---------------------------------------------------------------
 * An immutable file compiled from the registry (next to it, "<db>.pkx"),
 * memory-mapped for lookups.  pk_index_open recompiles it first when the
 * registry changed since it was built. */
typedef struct pk_index pk_index;

int pk_index_open(pk_index **out, const char *db_path, pk_error *err);
int pk_index_compile(pk_registry *r, const char *idx_path, pk_error *err);
void pk_index_close(pk_index *ix);
uint32_t pk_index_nworks(const pk_index *ix);
void pk_index_get_params(const pk_index *ix, pk_params *out);
const char *pk_index_work_id(const pk_index *ix, uint32_t work);
const char *pk_index_work_title(const pk_index *ix, uint32_t work);
uint32_t pk_index_work_tokens(const pk_index *ix, uint32_t work);
uint64_t pk_index_size(const pk_index *ix);

/* ---- scanning ------------------------------------------------------------ */
typedef struct pk_scan_opts {
    uint32_t min_words; /* shortest passage reported (default 25) */
    uint32_t max_df;    /* fingerprints in more works are stock phrases and
                           seed nothing (default 10) */
    unsigned tok_flags; /* PK_TOK_LOSSY */
    int timing;         /* time seeding and aligning (pk_corpus_opts.stats) */
    int thorough;       /* align every work a seed points at, even from a
                           lone 8-gram whose neighbours disagree and that
                           no nearby agreeing k-gram pair confirms (by
                           default such a seed is checked against a window
                           of the work first): about 2 times the CPU on a
                           web crawl for little more recall (check uses it) */
    int normalize_identifiers; /* scan each document's MOSS-style
                           normalization as source code (comments dropped,
                           identifiers and strings replaced by
                           placeholders), to find works registered as
                           "code-normalized"; passage offsets are still
                           those of the document as given */
} pk_scan_opts;
void pk_scan_opts_default(pk_scan_opts *o);

typedef struct pk_passage {
    uint64_t doc_start, doc_end;       /* byte offsets into the text as given
                                          (UTF-16 input included) */
    uint32_t work_start_word, work_end_word; /* token indexes, end exclusive */
    uint32_t work_start_line, work_end_line;
    uint32_t work_start_page, work_end_page;   /* 0: the work has no pages */
    uint32_t work_start_scene, work_end_scene; /* 0: no scenes (or before the first) */
    uint32_t words;                    /* matched words in the passage */
    uint32_t nruns;                    /* runs of matched words inside it: */
    const uint64_t *runs;              /* nruns (start, end) byte offset pairs */
} pk_passage;

typedef struct pk_finding {
    uint32_t work;          /* index in pk_index */
    uint32_t matched_words; /* sum over passages */
    double coverage;        /* fraction of the work's words found */
    size_t npassages;
    pk_passage *passages;
} pk_finding;

/* A scanner holds one thread's working memory. */
typedef struct pk_scanner pk_scanner;
int pk_scanner_new(pk_scanner **out, const pk_index *ix, const pk_scan_opts *o, pk_error *err);
void pk_scanner_free(pk_scanner *s);
/* Scan one document.  *out stays valid until the next call on s. */
int pk_scan_text(pk_scanner *s, const char *text, size_t n, pk_finding **out, size_t *nout,
                 pk_error *err);

/* ---- corpora -------------------------------------------------------------
 * Scans many documents: files and directories (walked recursively, in
 * name order), "-" for stdin, plain or gzip or zstd, as plain text (one
 * document a file), JSONL (one document a line) or WARC/WET (one document
 * a response, resource or conversion record holding text or HTML), or a
 * tar archive (one document a regular member, or a line of a .jsonl
 * member), on N threads.  Results come back in input order whatever the
 * number of threads. */
enum { PK_FMT_AUTO = 0, PK_FMT_TEXT = 1, PK_FMT_JSONL = 2, PK_FMT_WARC = 3, PK_FMT_TAR = 4 };

typedef struct pk_record {
    const char *path;      /* the input file, "-" for stdin */
    const char *member;    /* tar: the member's name inside the archive
                              path (id, errors: "ARCHIVE:MEMBER"); NULL
                              elsewhere.  Members are text or JSONL. */
    uint64_t line;         /* 1-based line for JSONL, 0 for a text file */
    const char *id;        /* document id: the id field, else path:line or path */
    size_t id_len;
    int id_is_string;      /* the id field was a JSON string */
    const char *raw;       /* JSONL: the line as read, without its newline;
                              WARC: the whole record as read (header, block
                              and the CRLF CRLF after it) */
    size_t raw_len;
    const char *text;      /* the decoded text that was scanned (WARC: the
                              page rendered to text for HTML; passage
                              offsets are into this text) */
    size_t text_len;
    int format;            /* PK_FMT_TEXT, PK_FMT_JSONL or PK_FMT_WARC */
    /* WARC only (NULL, 0 elsewhere or when absent).  id is the
     * WARC-Record-ID without its angle brackets. */
    const char *url;       /* WARC-Target-URI */
    size_t url_len;
    const char *date;      /* WARC-Date */
    size_t date_len;
    size_t raw_head_len;   /* raw[0..raw_head_len) is the WARC header */
    uint64_t record;       /* 1-based record number in the file */
    /* Not a document (a WARC request, an image, a warcinfo record ...):
     * not scanned, error 0, no findings; a short reason.  Such records
     * still come to the callback, so that a filter can keep them. */
    const char *skipped;
    int error;             /* 0, or the PK_E* code why this record was skipped */
    const char *errmsg;    /* one line, naming file and line or offset */
    const pk_finding *findings;
    size_t nfindings;
} pk_record;

/* Per-batch output, filled by the record callback on a worker thread and
 * handed to the flush callback on the calling thread, in input order. */
typedef struct pk_sink {
    pk_buf out[3];
    uint64_t docs, bytes, findings, errors, blank;
    uint64_t skipped; /* records that are not documents (rec->skipped) */
    uint64_t n[8]; /* free for the callbacks (kept, removed, ...) */
} pk_sink;

typedef struct pk_corpus_opts {
    int threads;            /* <= 0: one per core */
    int format;             /* PK_FMT_* */
    const char *text_field; /* default "text"; a dotted name is a path
                               ("meta.content", "messages.0.content") */
    const char *id_field;   /* default "id"; a path likewise */
    size_t max_doc;         /* largest document read (default 1 GiB) */
    size_t max_record;      /* largest WARC record block read (default
                               256 MiB); a larger record is an error */
    int no_tar;             /* a tar archive is an input error, not read
                               (filter: its output cannot hold members) */
    int no_map;             /* read text files with read(2), never map
                               them (corpus.c) */
    pk_scan_opts scan;
    int stats;              /* time every stage (pk_corpus_stats *_s); off,
                               only wall_s and read_s are timed: the clock
                               costs about 3% a small document */
    /* Called on a worker thread for every record (and for every file-level
     * error, with line 0 and error set).  Must only touch the sink. */
    int (*record)(const pk_record *rec, pk_sink *sink, void *ud);
    /* Called on the calling thread with each batch, in input order. */
    int (*flush)(pk_sink *sink, void *ud);
    void *ud;
} pk_corpus_opts;

typedef struct pk_corpus_stats {
    uint64_t files, docs, bytes, findings, errors, blank_lines;
    uint64_t skipped_records; /* WARC records not scanned: not text (images,
                                 scripts, ...), or not documents (request,
                                 warcinfo, metadata, revisit ...) */
    /* Where the time went, in seconds of thread time: the reading threads
     * reading and decompressing input and cutting it into records
     * (read_s) and waiting for a free worker (wait_s); the workers
     * decoding records: JSON strings, WARC records, HTML (json_s);
     * tokenizing, fingerprinting and looking up
     * (fingerprint_s), aligning (align_s); formatting and writing output
     * (output_s).  wall_s: the whole run; threads: workers used; readers:
     * reading threads (one an input at a time, up to threads). */
    double wall_s, read_s, wait_s, json_s, fingerprint_s, align_s, output_s;
    int threads, readers;
} pk_corpus_stats;

void pk_corpus_opts_default(pk_corpus_opts *o);
/* Returns 0 when every input was read (records may still have had errors:
 * see stats->errors), or a PK_E* code when the run had to stop (a callback
 * failed, or memory ran out). */
int pk_corpus_scan(const pk_index *ix, char *const *paths, size_t npaths, const pk_corpus_opts *o,
                   pk_corpus_stats *stats, pk_error *err);

#ifdef __cplusplus
}
#endif
#endif
