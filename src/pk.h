/* pk.h -- internal header shared by the modules of libpicket.
 *
 * Everything here is private to the library and may change at any time.
 * Names: pk_<module>_<verb> for functions used across files, static for
 * everything file-local.  Ownership is stated next to each declaration. */
#ifndef PK_H
#define PK_H

#include "picket.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PK_UNUSED(x) ((void)(x))
#define PK_MIN(a, b) ((a) < (b) ? (a) : (b))
#define PK_MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- errors (util.c) ---------------------------------------------------- */

/* Fill err (if not NULL) and return code.  code must be negative. */
int pk_fail(pk_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefix err->msg with "prefix: " (used to add a file name). */
void pk_error_prefix(pk_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Checked size arithmetic: return false on overflow. */
static inline bool pk_add_ok(size_t a, size_t b, size_t *r) { return !__builtin_add_overflow(a, b, r); }
static inline bool pk_mul_ok(size_t a, size_t b, size_t *r) { return !__builtin_mul_overflow(a, b, r); }

/* Ask for [p, p + n) to be backed by transparent huge pages (its 2 MiB
 * aligned part; a hint, nothing when n < PK_HUGE_MIN or the kernel says
 * no).  For a big buffer allocated once at its full size and filled
 * front to back (a text file read whole): 4 KiB pages cost a fault each,
 * 51,000 for a 200 MB file.  Not for buffers grown by realloc: a move
 * splits the huge pages again (measured: more faults, not fewer). */
#define PK_HUGE_MIN ((size_t)4 << 20)
void pk_huge_pages(void *p, size_t n);

/* Decode one UTF-8 sequence at s[0..n) (n >= 1) into *cp; returns its
 * length, or 0 when it is invalid (overlong, surrogate, past U+10FFFF,
 * truncated), as RFC 3629 says. */
size_t pk_utf8_decode(const uint8_t *s, size_t n, int32_t *cp);
/* Append s[0, n) in charset enc (a name iconv(3) knows) to out as UTF-8,
 * a byte the charset does not have (or one cut short) as U+FFFD.  Returns
 * 0, 1 when iconv does not know enc (nothing appended), or a PK_E* code. */
int pk_iconv_utf8(const char *enc, const char *s, size_t n, pk_buf *out);

/* SHA-256 as 64 lowercase hex characters + NUL (libsodium). */
void pk_sha256_hex(const void *p, size_t n, char out[65]);

/* ---- byte sources (io/source.c) ----------------------------------------- */

/* A sequential reader over a file or stdin ("-") that transparently
 * decompresses gzip (multi-member) and zstd (multi-frame), detected by
 * their magic bytes, not by the file name. */
typedef struct pk_source pk_source;

int pk_source_open(pk_source **out, const char *path, pk_error *err);
/* Read up to cap bytes.  *got == 0 means end of input.  On error (a
 * truncated or corrupt stream, an I/O error) returns a PK_E* code and the
 * message names the path and the compressed byte offset. */
int pk_source_read(pk_source *s, void *buf, size_t cap, size_t *got, pk_error *err);
/* Inflate a gzip source made of many members (WARC.gz as Common Crawl
 * writes it, one member a record) on `threads` threads of its own, blocks
 * of about block_bytes compressed (0: the default, 512 KiB) cut at member
 * starts.  A good file reads the same bytes as reading in turn, a damaged
 * one the same bytes up to the member that fails and the same error (the
 * byte it names inside that member may differ, as between a file and a
 * pipe); a source with one big member is read in turn.  No
 * effect on other sources, with threads < 2, or without ISA-L.  Call it
 * before reading, or any time: it starts at the next member. */
void pk_source_parallel(pk_source *s, int threads, size_t block_bytes);
/* "plain", "gzip" or "zstd" */
const char *pk_source_kind(const pk_source *s);
/* Bytes consumed from the underlying file so far (compressed offset). */
uint64_t pk_source_offset(const pk_source *s);
/* The size of a plain regular file when it was opened (what reading it
 * will likely give; it may grow or shrink meanwhile), else 0. */
uint64_t pk_source_size_hint(const pk_source *s);
void pk_source_close(pk_source *s);
/* Look at up to max bytes of (decompressed) content ahead without
 * consuming them: the next reads return them again.  *n < max only at the
 * end of input.  For sniffing a format on stdin.  *p is valid until the
 * next call on s. */
int pk_source_peek(pk_source *s, size_t max, const char **p, size_t *n, pk_error *err);
/* Read the whole (decompressed) content into out (reset first), failing
 * with PK_ETOOBIG past max bytes. */
int pk_source_slurp(const char *path, pk_buf *out, size_t max, pk_error *err);

/* A plain regular file mapped whole, read-only (source.c says why and how
 * a file cut short under the mapping is survived). */
typedef struct pk_map pk_map;
/* Map the content of s, a plain regular file of 1 to max bytes nothing
 * was read from yet (peeking is fine); the source is then at its end.
 * NULL, with s untouched, when it cannot be mapped (compressed, a pipe or
 * stdin, empty, over max, mmap failed, every guard slot taken): read it
 * instead. */
pk_map *pk_source_map(pk_source *s, size_t max);
const char *pk_map_data(const pk_map *m);
size_t pk_map_size(const pk_map *m);
/* Nonzero once a read of the mapping found the file cut short under it:
 * the bytes from there on read as zeros, so what was read is not the
 * file's content. */
int pk_map_cut(const pk_map *m);
void pk_map_free(pk_map *m);

/* Reads a source in chunks of whole lines, for batching JSONL.  Each call
 * puts in out (reset first) as many complete lines as fit in
 * about `target` bytes (at least one whole line, whatever its length, up to
 * max_line).  The last line of input need not end in '\n'.  *first_line is
 * the 1-based number of the first line in the chunk.  Lines keep their
 * '\n' (and any '\r'); a last line without one gets none added.  When the
 * source fails after some lines, those lines come first and the error on
 * the next call.  Returns 0 with
 * out->len == 0 at end of input. A line longer than max_line fails with
 * PK_ETOOBIG naming the line number.  out's memory may be exchanged
 * for the reader's (out->data moves; out->max stays): the lines are
 * handed out where they were read, not copied. */
typedef struct pk_lines pk_lines;
int pk_lines_open(pk_lines **out, pk_source *src, size_t max_line, pk_error *err);
int pk_lines_chunk(pk_lines *l, pk_buf *out, size_t target, uint64_t *first_line, pk_error *err);
void pk_lines_close(pk_lines *l); /* does not close the source */

/* ---- WARC records (io/warc.c) -------------------------------------------- */

#define PK_WARC_MORE 1                       /* pk_warc_head: need more bytes */
#define PK_WARC_MAX_HEADER ((size_t)1 << 20) /* a longer WARC header is an error */

/* Measure the record that starts at p[0..n): its header (the version line
 * through the blank line, LF-only lines tolerated) is *head_len bytes and
 * its block *block_len (Content-Length).  Returns 0, PK_WARC_MORE when
 * the header is not complete in n bytes, PK_EFORMAT (no "WARC/", no or a
 * bad Content-Length) or PK_ETOOBIG (header over PK_WARC_MAX_HEADER) with
 * a static *why. */
int pk_warc_head(const char *p, size_t n, size_t *head_len, uint64_t *block_len, const char **why);
/* The record separator at p[0..n): the CR and LF bytes there, at most 4. */
size_t pk_warc_sep(const char *p, size_t n);

/* One record, pointing into the caller's bytes.  Values are trimmed; the
 * angle brackets round WARC-Record-ID (and WARC/1.0's round the target
 * URI) are dropped.  Absent fields are NULL, 0. */
typedef struct pk_warc_rec {
    const char *type, *id, *uri, *date, *ctype, *ptype, *truncated;
    size_t type_len, id_len, uri_len, date_len, ctype_len, ptype_len, truncated_len;
    size_t head_len;         /* header bytes, blank line included */
    const char *block;       /* Content-Length bytes */
    size_t block_len;
    size_t total;            /* header + block + separator (<= n) */
} pk_warc_rec;
/* Parse the record at p[0..n), which must hold all of it.  PK_EFORMAT or
 * PK_ETOOBIG with a static *why.  When only the block is cut short
 * (Content-Length past n), the fields are still filled in, with the block
 * as far as it goes, and PK_EFORMAT returned. */
int pk_warc_parse(const char *p, size_t n, pk_warc_rec *r, const char **why);

/* The HTTP response in a response record's block: status, the fields
 * picket needs, and the body as recorded (still chunked or compressed as
 * the server sent it).  Lines may end in LF alone; a header with no blank
 * line gives an empty body.  PK_EFORMAT when it is not "HTTP/...". */
typedef struct pk_http_msg {
    int status;
    const char *ctype, *cenc, *tenc;
    size_t ctype_len, cenc_len, tenc_len;
    const char *body;
    size_t body_len;
} pk_http_msg;
int pk_http_parse(const char *p, size_t n, pk_http_msg *m, const char **why);
/* Undo chunked transfer coding into out (reset first); a body cut short
 * gives what is there. */
int pk_http_dechunk(const char *p, size_t n, pk_buf *out, const char **why);
/* Undo gzip or deflate (zlib or raw) content coding into out (reset
 * first, capped by out->max: PK_ETOOBIG); a stream cut short gives what
 * was decoded. */
int pk_http_inflate(const char *p, size_t n, pk_buf *out, const char **why);

/* Reads a source in chunks of whole WARC records (see warc.c).  Each call
 * fills out (reset first) with whole records, about target bytes (at least
 * one record).  *first_rec is the 1-based number of the first.  A record
 * whose block is over max_record comes alone, header only, with *oversize
 * set; its block is skipped.  Returns 0 with out->len == 0 at the end; an
 * error (malformed or cut-short record, a source error) after the good
 * records before it. */
typedef struct pk_warc_reader pk_warc_reader;
int pk_warc_reader_open(pk_warc_reader **out, pk_source *src, const char *name, size_t max_record,
                        pk_error *err);
int pk_warc_chunk(pk_warc_reader *r, pk_buf *out, size_t target, uint64_t *first_rec, bool *oversize,
                  pk_error *err);
void pk_warc_reader_close(pk_warc_reader *r); /* does not close the source */

/* ---- tar archives (io/tar.c) ------------------------------------------- */

#define PK_TAR_END 1 /* pk_tar_next: no more members */

/* One member: its name (valid until the next pk_tar_next), size, the byte
 * offset of its header in the tar, and for anything but a regular file a
 * short kind ("directory", "symbolic link", "hard link" ...): such members
 * have no data to read. */
typedef struct pk_tar_member {
    const char *name;
    const char *kind;
    uint64_t size, offset;
} pk_tar_member;

/* Reads the members of a tar archive from src (already decompressed by
 * it).  name is the archive, for messages.  pk_tar_next returns 0,
 * PK_TAR_END, or an error naming the archive and the byte offset (and the
 * member, when inside one), after which every call fails the same way.
 * pk_tar_read reads the current member's data; *got == 0 at its end. */
typedef struct pk_tar pk_tar;
int pk_tar_open(pk_tar **out, pk_source *src, const char *name, pk_error *err);
int pk_tar_next(pk_tar *t, pk_tar_member *m, pk_error *err);
int pk_tar_read(pk_tar *t, void *buf, size_t cap, size_t *got, pk_error *err);
void pk_tar_close(pk_tar *t); /* does not close the source */
/* p[0..n) starts with a ustar header (magic and checksum). */
bool pk_tar_sniff(const char *p, size_t n);

/* ---- writing compressed output (io/compress.c) ---------------------------- */

enum { PK_COMP_NONE, PK_COMP_GZIP, PK_COMP_ZSTD };
/* By the name's suffix: .gz gzip, .zst or .zstd zstd, else none. */
int pk_compress_kind_of_name(const char *path);
typedef struct pk_compressor pk_compressor;
int pk_compressor_new(pk_compressor **out, int kind, pk_error *err);
void pk_compressor_free(pk_compressor *c);
/* Append p[0..n) to out as one gzip member or zstd frame (as itself for
 * PK_COMP_NONE). */
int pk_compress_member(pk_compressor *c, pk_buf *out, const void *p, size_t n, pk_error *err);

/* ---- walking paths (walk.c) --------------------------------------------- */

/* Visit the files under path (see walk.c for the rules).  A non-zero return
 * from a callback stops the walk and is returned; fail is called for a
 * path that cannot be read, with a PK_E* code and strerror's text. */
typedef struct pk_walk_fns {
    int (*file)(const char *path, void *ud);
    int (*fail)(const char *path, int code, const char *why, void *ud);
} pk_walk_fns;
int pk_walk(const char *path, const pk_walk_fns *fn, void *ud);

/* ---- JSONL records (io/jsonl.c) ----------------------------------------- */

/* Extract two top-level string members from one JSON object held in
 * line[0..len) (without the newline).  The whole line is validated as JSON
 * (RFC 8259).  The text member must be a string; it is unescaped into
 * text (reset first).  The id member may be a string (unescaped) or a
 * number/true/false/null (copied as written); *has_id says whether it was
 * there.  Returns:
 *    0                 ok
 *    PK_EFORMAT        malformed JSON; *err_off is the byte offset in line
 *                      and *why a static message
 *    PK_ENOTFOUND      valid JSON, but no text member (or the line is not
 *                      an object, or text is not a string); *why says which
 *    PK_ETOOBIG        the text is larger than text->max
 *    PK_ENOMEM         out of memory
 * text_key must not be NULL; id_key, id, has_id, err_off and why may be.
 * An id that is an object or an array counts as absent.  With
 * PK_ENOTFOUND on an object, the id is still extracted.  *why is NULL on
 * success.
 * A duplicated key: the last occurrence wins, as in most parsers.
 * Lone surrogate escapes decode to U+FFFD.
 * A key with a '.' is a path through nested objects, a part that is a
 * decimal number ("0", "12") also indexing an array ("messages.0.content");
 * a top-level member named exactly like the whole dotted key wins over the
 * path.  More than PK_JSONL_MAX_PARTS parts: PK_EINVAL. */
#define PK_JSONL_MAX_PARTS 64
int pk_jsonl_extract(const char *line, size_t len, const char *text_key,
                     const char *id_key, pk_buf *text, pk_buf *id,
                     bool *has_id, size_t *err_off, const char **why);


/* ---- text: decoding, normalization, tokens (text.c) --------------------- */

/* One token: the hash of its normalized form and where it came from.
 * off/len are byte offsets into the text exactly as given to the
 * tokenizer; line is 1-based. */
typedef struct pk_tok {
    uint64_t h;
    uint64_t off;
    uint32_t len;
    uint32_t line;
} pk_tok;


#define PK_TOK_MAXLEN 255 /* a longer run of word characters is split */
#define PK_TOK_SCALAR 0x100u /* tests: take the scalar path everywhere */
#define PK_TOK_NOLINES 0x200u /* line numbers not needed: tok.line is not kept */
#define PK_TOK_PREPARED 0x400u /* pk_tokenize_all: the text is already UTF-8 from pk_text_prepare (no BOM, no UTF-16) */

typedef struct pk_tokenizer {
    const uint8_t *s;
    size_t n;
    size_t pos;
    uint32_t line;
    unsigned flags;
    uint64_t invalid; /* invalid UTF-8 sequences replaced (lossy mode) */
} pk_tokenizer;

void pk_tokenizer_init(pk_tokenizer *t, const char *s, size_t n, unsigned flags);
/* Append up to cap tokens to out, *got of them.  *got == 0 at the end.
 * Returns PK_EUTF8 naming the byte offset unless PK_TOK_LOSSY. */
int pk_tokenize(pk_tokenizer *t, pk_tok *out, size_t cap, size_t *got, pk_error *err);
/* The hash of a word's bytes (word characters only, apostrophes removed)
 * through the table fast path (full = 0) or always through utf8proc
 * (full = 1); the two must agree (tests). */
uint64_t pk_word_hash_unicode(const char *s, size_t n, int full);
/* Hash of one normalized word given as UTF-8 (for tests and tools). */
uint64_t pk_word_hash(const char *s, size_t n);

/* Detect a byte-order mark.  UTF-8 BOM: *skip = 3.  UTF-16 LE/BE BOM: the
 * text is converted to UTF-8 into conv and *out points there (offsets then
 * refer to the converted text).  Otherwise *out = s.  PK_EUTF8 on a
 * malformed UTF-16 surrogate, naming the byte offset. */
int pk_text_prepare(const char *s, size_t n, pk_buf *conv, const char **out,
                    size_t *outn, size_t *skip, pk_error *err);

/* All tokens of a text: BOM skipped, UTF-16 converted into conv (*shown
 * is the text the offsets then refer to), tokens appended to *tok, a
 * caller-owned array of *cap grown as needed (reusable across calls).
 * PK_ETOOBIG past 2^31 tokens. */
int pk_tokenize_all(const char *text, size_t n, unsigned flags, pk_buf *conv, const char **shown, pk_tok **tok,
                    size_t *cap, size_t *ntok, pk_error *err);

/* ---- fingerprints (fp.c) ----------------------------------------------- */

typedef struct pk_fp {
    uint64_t h;
    uint32_t pos; /* index of the k-gram's first token */
} pk_fp;

/* k-gram hashes of tokens: out[i] covers tokens i..i+k-1; n - k + 1 of
 * them (none when n < k). */
void pk_kgrams(const pk_tok *tok, size_t n, uint32_t k, uint64_t *out);
/* The last step of a k-gram hash: XXH3 of the 8 bytes of the rolled
 * value (exposed for tests). */
uint64_t pk_kgram_finalize(uint64_t h);
/* Robust winnowing (Schleimer et al. 2003): the minimum of every window of
 * w consecutive k-gram hashes, rightmost on ties, each selected position
 * once.  out must hold n entries; returns the count. */
size_t pk_winnow(const uint64_t *kg, size_t n, uint32_t w, pk_fp *out);
/* The band test of the scanner's lone-seed check (scan.c, band_any) on
 * the current vector level, for tests: W holds 114 sketch values, D 98;
 * allow and wok are 128-bit masks (low word first). */
int pk_lone_band(const uint16_t *W, const uint16_t *D, const uint64_t allow[2], const uint64_t wok[2]);
/* The 16-bit alignment sketch of a k-gram hash. */
static inline uint16_t pk_sketch16(uint64_t kgram) { return (uint16_t)(kgram >> 48); }


/* ---- registry internals (registry.c) ----------------------------------- */

/* A whole text fingerprinted: tokens, k-gram hashes, winnowed
 * fingerprints, 16-bit sketch per k-gram and the line map (pairs of
 * (token index, line) where the line changes).  Owned arrays. */
typedef struct pk_work_fp {
    pk_tok *tok;
    size_t ntok;
    uint64_t *kg;
    size_t nkg;
    pk_fp *fp;
    size_t nfp;
    uint16_t *sketch;
    uint32_t *lines;
    size_t nlines;
} pk_work_fp;

int pk_fingerprint_text(const char *text, size_t n, unsigned tok_flags, const pk_params *p,
                        pk_work_fp *w, pk_error *err);
void pk_work_fp_free(pk_work_fp *w);

/* The registry's random identity (32 hex digits, "" for none). */
int pk_registry_uuid(pk_registry *r, char out[33], pk_error *err);
/* A random value drawn at every change ("" before the first): with the
 * generation, it names the registry's state even across a restore. */
int pk_registry_state(pk_registry *r, char out[33], pk_error *err);
/* The state the registry had at generation gen: 1 and *out, or 0 when it
 * kept none for it (made or last changed by an older picket). */
int pk_registry_state_at(pk_registry *r, int64_t gen, char out[33], pk_error *err);

struct sqlite3;
struct sqlite3 *pk_registry_db(pk_registry *r);
const char *pk_registry_path(const pk_registry *r);

/* ---- index internals (index.c) ----------------------------------------- */

/* One posting: the work (a number of this index part), the k-gram in the
 * work, and the neighbour check (index.c, "entries"). */
typedef struct pk_posting {
    uint32_t work;
    uint32_t pos;
    uint16_t nb;
} pk_posting;

/* Map and validate an index file as it is, without looking at a registry
 * (for tests and fuzzing; PK_ECORRUPT for anything malformed). */
int pk_index_open_file(pk_index **out, const char *path, pk_error *err);
/* The postings of fingerprint hash h: entries [*first, *first + n), n
 * returned (0 if absent).  They are in work order. */
size_t pk_index_lookup(const pk_index *ix, uint64_t h, size_t *first);
/* Decode entry i; -1 when the entry is damaged (skip it). */
int pk_index_posting(const pk_index *ix, size_t i, pk_posting *out);
/* The end of the run of entries of the same work as entry x, among
 * entries [x, end) of one lookup (bisected). */
size_t pk_index_work_run(const pk_index *ix, size_t x, size_t end);
/* Incremental updates: works added since the index file was compiled are
 * in a delta (NULL if none), numbered from pk_index_delta_base(ix) on;
 * look them up in the delta and add the base.  Works removed since are
 * dead: their postings must be skipped. */
const pk_index *pk_index_delta(const pk_index *ix);
uint32_t pk_index_delta_base(const pk_index *ix);
int pk_index_work_dead(const pk_index *ix, uint32_t w);
/* The fingerprints among fp[0..n) that pass the index's Bloom filter:
 * their indexes in pass (room for n), the count returned.  Everything the
 * lookups of those will read first is prefetched. */
size_t pk_index_filter(const pk_index *ix, const pk_fp *fp, size_t n, uint32_t *pass);
/* Work w's k-gram count and registry rowid; the registry the index was
 * opened from (NULL for pk_index_open_file). */
uint32_t pk_index_work_kgrams(const pk_index *ix, uint32_t w);
int64_t pk_index_work_rowid(const pk_index *ix, uint32_t w);
const char *pk_index_db_path(const pk_index *ix);

/* Seconds this scanner has spent seeding (tokenize, k-grams, winnow,
 * lookups) and aligning, over all documents. */
void pk_scanner_times(const pk_scanner *s, double *seed_s, double *align_s);
double pk_now(void); /* CLOCK_MONOTONIC seconds */

/* Scan documents over window bytes in windows with reach bytes of
 * context (defaults PK_SCAN_WINDOW, PK_SCAN_REACH in scan.c; tests). */
void pk_scanner_set_window(pk_scanner *s, uint64_t window, uint64_t reach);
/* Scan the windows of a document larger than one window on this many
 * threads at once (default 1); the findings are the same whatever it is. */
void pk_scanner_set_threads(pk_scanner *s, int threads);
/* (document, work) alignments the scanner has tried (tests). */
uint64_t pk_scanner_alignments(const pk_scanner *s);

/* The neighbour check of a k-gram at position i of nkg k-gram hashes kg:
 * 8 bits of the sketch of the k-gram k places before and k places after,
 * 0 outside.  Index entries carry it for the work side (index.c). */
static inline uint16_t pk_neighbours(const uint64_t *kg, size_t nkg, size_t i, uint32_t k)
{
    uint16_t prev = i >= k ? (uint16_t)(pk_sketch16(kg[i - k]) >> 8) : 0;
    uint16_t next = i + k < nkg ? (uint16_t)(pk_sketch16(kg[i + k]) >> 8) : 0;
    return (uint16_t)(prev | next << 8);
}

#endif
