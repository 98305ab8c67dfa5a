/* picket_report.h -- reports and signed evidence over scan findings.
 *
 * `picket scan` writes findings as JSON lines; this part of libpicket
 * reads them back (report.c), renders them for people as self-contained
 * HTML pages (report.c), and for machines as evidence.json: the tool
 * version, fingerprint parameters, SHA-256 of every input and output, the
 * findings themselves and a UTC time, optionally signed with Ed25519
 * (evidence.c).  The conventions of picket.h hold: 0 or a negative PK_E*
 * code, a pk_error for the reason, nothing printed. */
#ifndef PICKET_REPORT_H
#define PICKET_REPORT_H

#include "picket.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- findings read back (report.c) --------------------------------------- */

/* One passage as scan wrote it.  text is the document's bytes of the
 * passage (scan --with-text), NULL when the findings do not carry it. */
typedef struct pk_rpassage {
    uint64_t doc_start, doc_end;
    uint32_t work_start_word, work_end_word;
    uint32_t work_start_line, work_end_line;
    uint32_t work_start_page, work_end_page;   /* 0: none */
    uint32_t work_start_scene, work_end_scene; /* 0: none */
    uint32_t words;
    char *text;
    size_t text_len;
} pk_rpassage;

/* One (document, work) finding.  Strings are owned, NUL-terminated;
 * url, date and source may be NULL. */
typedef struct pk_rfinding {
    char *doc, *source, *url, *date, *work, *title;
    uint64_t line;       /* the document's line in a JSONL corpus, 0: none */
    uint64_t from_line;  /* the line of the findings file it came from */
    uint32_t matched_words, work_words;
    double coverage;     /* 0..1 */
    pk_rpassage *passages;
    size_t npassages;
} pk_rfinding;

/* Findings, and each non-blank line of the findings file as read (its
 * JSON, whitespace trimmed), pointing into the caller's bytes: those must
 * outlive the set.  A `filter --removed` line counts as one line and
 * gives a finding per work it names. */
typedef struct pk_findings {
    pk_rfinding *f;
    size_t n, cap;
    const char **line;
    size_t *line_len;
    size_t nlines, line_cap;
} pk_findings;

#define PK_FINDINGS_MAX ((size_t)1 << 26) /* a larger set fails PK_ETOOBIG */

void pk_findings_init(pk_findings *fs);
void pk_findings_free(pk_findings *fs);
/* Parse data[0..n), JSON lines, appending to fs.  Blank lines are
 * skipped; anything else that is not a finding fails PK_EFORMAT naming
 * the line. */
int pk_findings_parse(pk_findings *fs, const char *data, size_t n, pk_error *err);

/* ---- the HTML report (report.c) ------------------------------------------ */

typedef struct pk_report_opts {
    size_t per_work;      /* findings shown side by side per work on the
                             first page (default 5) */
    size_t max_works;     /* works given a section on the first page
                             (default 50); the rest are in the summary */
    size_t page_rows;     /* findings per further page (default 1000) */
    size_t top;           /* strongest passages listed in the summary
                             (default 20) */
    const char *source;   /* the findings file, as shown; may be NULL */
    const char *source_sha256;
    const char *created;  /* RFC 3339 time shown; may be NULL */
    const char *probe;    /* picket probe --json output (JSON lines, one
                             object a work), checked with pk_probe_check;
                             NULL: no model probe section */
    size_t probe_len;
    const char *probe_source; /* its file, as shown */
} pk_report_opts;
void pk_report_opts_default(pk_report_opts *o);

/* Render fs as HTML pages: page 1 (report.html) holds the summary and
 * the strongest findings of each work side by side with the work; pages
 * 2.. (report-2.html ...) list every finding, page_rows a page.  page()
 * gets each in turn; a non-zero return stops and is returned.  reg (may
 * be NULL) is where works' kept text comes from.  Every string from the
 * findings is HTML-escaped; the pages load nothing and run no script. */
int pk_report_html(const pk_findings *fs, pk_registry *reg, const pk_report_opts *o,
                   int (*page)(unsigned no, const pk_buf *html, void *ud), void *ud, pk_error *err);
/* Check data[0..n), the JSON lines of `picket probe --json`: each
 * non-blank line an object with a string "work".  *nresults: how many.
 * Anything else fails PK_EFORMAT naming the line (name: the file). */
int pk_probe_check(const char *name, const char *data, size_t n, size_t *nresults, pk_error *err);
/* Append s[0..n) HTML-escaped (& < > " '; C0 controls but tab and
 * newline become U+FFFD). */
int pk_html_escape(pk_buf *b, const char *s, size_t n);
/* The file name of page no: "report.html", "report-2.html" ... */
void pk_report_page_name(unsigned no, char out[32]);

/* ---- evidence (evidence.c) ----------------------------------------------- */

/* SHA-256 (hex) of a file's bytes as stored; *bytes its size (may be NULL). */
int pk_sha256_file(const char *path, char out[65], uint64_t *bytes, pk_error *err);
/* A canonical hash of a registry's fingerprints, the same for the same
 * works whatever SQLite did to the file: SHA-256 over
 * "picket-registry-fingerprints-v1\n", "k=K w=W scheme=S\n", then for
 * every work in id order its id, NUL, the SHA-256 (hex) of its bytes, NUL,
 * the length of its fingerprint blob (u64 little endian) and the blob
 * ((hash u64, position u32) little endian, in position order). */
int pk_registry_fingerprints_sha256(pk_registry *r, char out[65], uint64_t *nworks, pk_error *err);
/* The time now (or SOURCE_DATE_EPOCH when set) as RFC 3339 UTC. */
void pk_rfc3339_now(char out[32]);

/* Ed25519 keys, as one line each:
 *   picket-ed25519-secret <base64 of libsodium's 64-byte secret key>
 *   picket-ed25519-public <base64 of the 32-byte public key>
 * A key id is the first 8 bytes of the SHA-256 of the public key, in hex. */
#define PK_KEYID_LEN 17
int pk_keygen(const char *path, int force, char keyid[PK_KEYID_LEN], pk_error *err);
int pk_key_load_secret(const char *path, unsigned char sk[64], pk_error *err);
int pk_key_load_public(const char *path, unsigned char pk[32], pk_error *err);
void pk_key_id(const unsigned char pk[32], char keyid[PK_KEYID_LEN]);

typedef struct pk_bundle_opts {
    const char *dir;           /* made if missing */
    const char *findings_path; /* recorded ("-": stdin, not checkable later) */
    const char *findings;      /* its bytes as read */
    size_t findings_len;
    const char *probe_path;    /* picket probe --json results, or NULL */
    const char *probe;         /* their bytes, checked by pk_probe_check */
    size_t probe_len;
    pk_registry *reg;          /* may be NULL: no registry recorded */
    const char *reg_path;
    const char *sign_key;      /* secret key file, or NULL: not signed */
    pk_report_opts report;
} pk_bundle_opts;

typedef struct pk_bundle_result {
    unsigned pages;
    uint64_t html_bytes, evidence_bytes;
    char keyid[PK_KEYID_LEN]; /* "" when not signed */
} pk_bundle_result;

/* Write DIR/report.html (+ report-N.html), DIR/evidence.json and, with
 * sign_key, DIR/evidence.json.sig: "picket-ed25519-signature <base64>\n"
 * and the signer's public key line, a detached signature over the exact
 * bytes of evidence.json, which itself holds the SHA-256 of every page. */
int pk_bundle_write(const pk_bundle_opts *o, const pk_findings *fs, pk_bundle_result *res, pk_error *err);

enum { PK_CHECK_OK = 0, PK_CHECK_FAILED = 1, PK_CHECK_SKIPPED = 2, PK_CHECK_NOTE = 3 };
typedef struct pk_verify_opts {
    const char *bundle;   /* the directory, or its evidence.json */
    const char *pubkey;   /* trusted public key file, or NULL */
    const char *findings; /* where the findings file is now (NULL: as recorded) */
    const char *db;       /* where the registry is now (NULL: as recorded) */
    const char *probe;    /* where the probe results are now (NULL: as recorded) */
} pk_verify_opts;
/* Check the signature, every output's and input's hash that can be
 * checked; note() hears about each check (what: a short name, detail: a
 * sentence).  Returns 0 when the checks could run, with *failures the
 * count that failed (a missing signature, a bad one, another key than
 * pubkey, a changed file); a PK_E* code when the bundle cannot be read. */
int pk_bundle_verify(const pk_verify_opts *o,
                     void (*note)(int status, const char *what, const char *detail, void *ud), void *ud,
                     unsigned *failures, pk_error *err);

#ifdef __cplusplus
}
#endif

#endif
