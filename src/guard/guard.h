/* guard.h -- internal API of `picket guard`, the proxy that keeps
 * registered works out of LLM prompts (docs/guard.md).
 *
 * Four parts, one file each:
 *   extract.c  every piece of text in an API request body, with the JSON
 *              pointer it came from, and redaction in place;
 *   config.c   the `key = value` configuration file;
 *   audit.c    the guard's own SQLite database: client tokens (hashes
 *              only) and the hash-chained, append-only audit log;
 *   server.c   the HTTP proxy (libmicrohttpd in, libcurl out), the index
 *              reloader and the decision per request.
 * Conventions as in picket.h: 0 or a negative PK_E* code, a one-line
 * message in pk_error, destructors accept NULL, nothing prints. */
#ifndef PK_GUARD_H
#define PK_GUARD_H

#include "pk.h"

#include <stdint.h>

/* ---- JSON (json.c) --------------------------------------------------------
 * A validated document as a flat table of nodes over its bytes (which the
 * caller keeps).  Node 0 is the root; a container's children follow it
 * (an object's as key, value pairs); v[i].next is the index just past
 * node i's subtree, so siblings are walked with next. */
enum { PK_GJ_NULL, PK_GJ_FALSE, PK_GJ_TRUE, PK_GJ_NUM, PK_GJ_STR, PK_GJ_ARR, PK_GJ_OBJ };
#define PK_GJ_NONE UINT32_MAX
#define PK_GJ_MAX_DEPTH 512

typedef struct pk_gj_node {
    uint32_t start, end; /* the literal's bytes (a string's quotes included) */
    uint32_t next;       /* past the subtree */
    uint32_t count;      /* elements, or members */
    uint8_t type;        /* PK_GJ_* */
    uint8_t esc;         /* a string with escapes */
} pk_gj_node;

typedef struct pk_gj {
    const char *s;
    size_t n;
    pk_gj_node *v;
    size_t nv, cap;
} pk_gj;

/* Parse s[0..n) (any JSON value) into j (zeroed before first use, reused
 * after).  PK_EFORMAT with *err_off and a static *why; PK_ENOMEM. */
int pk_gj_parse(pk_gj *j, const char *s, size_t n, size_t *err_off, const char **why);
void pk_gj_free(pk_gj *j);
/* Append string node i unescaped to out. */
int pk_gj_str(const pk_gj *j, uint32_t i, pk_buf *out);
/* String node i equals lit (after unescaping); 0 for PK_GJ_NONE. */
int pk_gj_str_is(const pk_gj *j, uint32_t i, const char *lit);
/* The value of member key in object obj, or PK_GJ_NONE. */
uint32_t pk_gj_get(const pk_gj *j, uint32_t obj, const char *key);

/* ---- request bodies (extract.c) ----------------------------------------- */

/* The APIs the guard understands, by path. */
enum {
    PK_API_NONE = 0,
    PK_API_CHAT,        /* OpenAI POST /v1/chat/completions */
    PK_API_COMPLETIONS, /* OpenAI POST /v1/completions (legacy) */
    PK_API_RESPONSES,   /* OpenAI POST /v1/responses */
    PK_API_EMBEDDINGS,  /* OpenAI POST /v1/embeddings */
    PK_API_MESSAGES,    /* Anthropic POST /v1/messages */
    PK_API_MODELS       /* OpenAI GET /v1/models: passes through */
};
/* The API of a method and path (query string ignored), PK_API_NONE if
 * the guard does not serve it. */
int pk_guard_api_of(const char *method, const char *path);
/* 1 for the Anthropic API (its error format and key header), 0 else. */
int pk_guard_api_anthropic(int api);

typedef struct pk_guard_xopts {
    int token_prompts_pass; /* legacy prompt as token ids: pass (1) or
                               refuse (0, default: fail closed) */
    int pdf_refuse;         /* a base64 PDF: refuse (1) or read it (0) */
    int binary_pass;        /* a base64 file neither PDF nor text: pass
                               with a note (1) or refuse (0, default) */
    int remote_pass;        /* a document given by URL: pass with a note
                               (1) or refuse (0, default) */
    size_t max_doc;         /* largest decoded document (default 16 MiB) */
} pk_guard_xopts;

/* Where a piece came from. */
enum {
    PK_PIECE_STRING = 0, /* a JSON string in the body: redactable */
    PK_PIECE_NESTED,     /* a JSON string inside a JSON string (tool call
                            arguments): redactable, re-serialized */
    PK_PIECE_DOCUMENT,   /* text read from base64 (a PDF, a text file):
                            not redactable (the request is refused) */
    PK_PIECE_KEY         /* an object key (the catch-all walk): not
                            redactable (a replaced key could collide
                            with another; the request is refused) */
};

typedef struct pk_guard_piece {
    const char *ptr;  /* JSON pointer (RFC 6901) of the string; inside
                         decoded JSON: "<pointer of the string>#<pointer
                         inside it>"; NUL-terminated, owned by the request */
    size_t start;     /* the piece's bytes in the request text */
    size_t len;
    int kind;         /* PK_PIECE_* */
} pk_guard_piece;

/* A parsed request: the JSON, its pieces, and their text joined in
 * document order, pieces separated by "\n\n" (a word boundary, so a
 * passage split across two messages is one run in the joined text). */
typedef struct pk_guard_req pk_guard_req;

/* Parse body[0..n) as a request to api.  PK_EFORMAT: malformed JSON or a
 * field of the wrong type (message names the byte offset or pointer);
 * PK_EINVAL: a request the options refuse (token-id prompts, PDF);
 * both answer 400. */
int pk_guard_req_parse(pk_guard_req **out, int api, const char *body, size_t n, const pk_guard_xopts *o,
                       pk_error *err);
void pk_guard_req_free(pk_guard_req *r);
size_t pk_guard_req_npieces(const pk_guard_req *r);
const pk_guard_piece *pk_guard_req_piece(const pk_guard_req *r, size_t i);
/* The joined text (valid until free) and its length. */
const char *pk_guard_req_text(const pk_guard_req *r, size_t *n);
/* Notes the extractor made (e.g. "token-id prompt passed unchecked"),
 * "" if none. */
const char *pk_guard_req_note(const pk_guard_req *r);
/* Replace the byte ranges ranges[2i]..ranges[2i+1] of the joined text
 * (sorted or not, overlapping or not) by repl in the strings they came
 * from, and write the request re-serialized into out (reset first).
 * A range touching a PK_PIECE_DOCUMENT or PK_PIECE_KEY piece fails
 * PK_EINVAL. */
int pk_guard_req_redact(pk_guard_req *r, const uint64_t *ranges, size_t nranges, const char *repl, pk_buf *out,
                        pk_error *err);
/* Every string value in a JSON response body, joined as above (for
 * check_responses); PK_EFORMAT when it is not JSON. */
int pk_guard_resp_text(const char *body, size_t n, pk_buf *out, pk_error *err);

/* ---- configuration (config.c) -------------------------------------------- */

enum { PK_GUARD_BLOCK = 0, PK_GUARD_REDACT = 1 };

typedef struct pk_guard_config {
    char listen[256];          /* "127.0.0.1:8080" */
    char upstream[1024];       /* "https://api.openai.com" */
    char upstream_key_env[128];
    char upstream_key[512];    /* from the file (warned about) or the env */
    char upstream_ca[1024];    /* CA bundle for the upstream's TLS ("" : the
                                  system's) */
    char db[1024];             /* the registry ("" : the CLI's default) */
    char audit_db[1024];       /* "" : "<registry>.guard.db" */
    char message[1024];        /* %t: the title, %i: the work id, %%: % */
    char redaction[256];       /* what replaces a passage in redact mode */
    int mode;                  /* PK_GUARD_BLOCK or PK_GUARD_REDACT */
    uint32_t min_words;        /* default 25 */
    size_t max_body;           /* default 4 MiB */
    int check_responses;       /* default 0 */
    int fail_open;             /* default 0 */
    int store_prompts;         /* default 0 */
    int threads;               /* most connections served at once (one
                                  thread each), default 256 */
    int per_ip;                /* most connections from one address,
                                  default 128 (0: no limit) */
    int timeout;               /* upstream timeout, seconds, default 600 */
    int key_in_file;           /* upstream_key was written in the file */
    pk_guard_xopts x;
} pk_guard_config;

void pk_guard_config_default(pk_guard_config *c);
/* Parse text[0..n) (name: the file, for messages) over c.  Unknown keys,
 * bad values and malformed lines fail PK_EFORMAT naming name:line. */
int pk_guard_config_parse(pk_guard_config *c, const char *name, const char *text, size_t n, pk_error *err);
int pk_guard_config_load(pk_guard_config *c, const char *path, pk_error *err);
/* Format the refusal message for a work (the template's %t and %i). */
void pk_guard_message(const char *tmpl, const char *title, const char *id, pk_buf *out);

/* ---- the guard database: tokens and audit log (audit.c) ------------------ */

typedef struct pk_guard_db pk_guard_db;

int pk_guard_db_open(pk_guard_db **out, const char *path, int readonly, pk_error *err);
void pk_guard_db_close(pk_guard_db *g);

/* A new token for name: "pkg_" + base64url of 32 random bytes (written
 * into tok, 64 bytes is enough), of which only the SHA-256 is stored.
 * PK_EEXIST if name has a live token. */
int pk_guard_token_add(pk_guard_db *g, const char *name, char tok[64], pk_error *err);
int pk_guard_token_revoke(pk_guard_db *g, const char *name, pk_error *err);
/* Calls cb for every token (revoked ones with revoked != NULL). */
int pk_guard_token_each(pk_guard_db *g,
                        int (*cb)(const char *name, const char *created, const char *revoked, void *ud), void *ud,
                        pk_error *err);
/* The live tokens' (SHA-256 hex, name) pairs, for the server's table. */
int pk_guard_token_hashes(pk_guard_db *g, int (*cb)(const char *sha_hex, const char *name, void *ud), void *ud,
                          pk_error *err);

/* One audit entry.  Strings may be NULL (stored as ""). */
typedef struct pk_audit_row {
    int64_t seq;             /* filled on reading */
    char time[32];           /* UTC, ms: "2026-11-27T23:40:01.123Z" (filled
                                by pk_audit_now) */
    const char *client;      /* the token's name, "" when none */
    const char *endpoint;    /* "POST /v1/chat/completions" */
    uint64_t req_bytes;
    int status;              /* HTTP status sent to the client */
    const char *works;       /* matched work ids, comma-separated */
    const char *passages;    /* "work@pointer:start-end,...": byte offsets
                                in the string at that JSON pointer ('+'
                                joins the strings of a split passage) */
    const char *action;      /* allowed, refused, redacted, error */
    uint64_t latency_us;
    const char *note;        /* why, in a few words */
    const char *prompt;      /* the request body (store_prompts only) */
    const char *hash;        /* filled on reading: the chain hash, hex */
} pk_audit_row;

void pk_audit_now(char out[32]);
/* Append rows in one transaction, chaining each to the one before:
 * hash = SHA-256(previous hash || canonical serialization of the row). */
int pk_audit_append(pk_guard_db *g, const pk_audit_row *rows, size_t n, pk_error *err);
/* Walk the log in order (rows with time >= since when since is not NULL).
 * cb's row is valid during the call. */
int pk_audit_each(pk_guard_db *g, const char *since, int (*cb)(const pk_audit_row *row, void *ud), void *ud,
                  pk_error *err);
/* Recompute the chain.  0 and *bad = 0 when intact; else *bad is the seq
 * of the first entry that does not verify (or that is missing), why says
 * how; returns 0 (an error reading returns PK_E*).  *n: entries checked. */
int pk_audit_verify(pk_guard_db *g, int64_t *bad, char why[256], uint64_t *n, pk_error *err);
/* As pk_audit_verify; with anchor (a hash kept outside the file, e.g.
 * from an earlier `guard log --verify`), the chain must also hold an
 * entry with that hash: a chain cut short and its head rewritten to
 * match verifies by itself, but loses the anchored entry.  head (when
 * not NULL) gets the last entry's hash ("" for an empty log). */
int pk_audit_verify_anchor(pk_guard_db *g, const char *anchor, int64_t *bad, char why[256], uint64_t *n,
                           char head[65], pk_error *err);

/* Asynchronous appends: a writer thread takes queued rows and appends
 * them in batches (one transaction, WAL with synchronous=NORMAL: no fsync
 * per row on the request path).  Rows are copied.  A batch that cannot be
 * appended (disk full, the file locked or gone) is retried with backoff
 * until it is, never dropped: meanwhile the queue fills and, at its cap,
 * requests wait for the writer, so the guard stops serving rather than
 * serve without an audit trail. */
typedef struct pk_audit_writer pk_audit_writer;
int pk_audit_writer_start(pk_audit_writer **out, pk_guard_db *g, pk_error *err);
void pk_audit_writer_push(pk_audit_writer *w, const pk_audit_row *row);
/* Drain the queue and stop the thread (the db stays open).  Once stopping,
 * a batch still failing after about 5 s of retries is given up: returns
 * the rows lost (0 normally), and the last error in *err. */
uint64_t pk_audit_writer_stop(pk_audit_writer *w, pk_error *err);

/* ---- the proxy (server.c) ------------------------------------------------- */

typedef struct pk_guard_server pk_guard_server;
/* Log lines (startup, reloads, refusals: never prompt text or tokens)
 * go to log_cb when it is set. */
typedef void (*pk_guard_log_fn)(void *ud, const char *line);
/* Start serving with c (c->db must be set).  Returns after the listening
 * socket is open; serving goes on in threads. */
int pk_guard_server_start(pk_guard_server **out, const pk_guard_config *c, pk_guard_log_fn log, void *log_ud,
                          pk_error *err);
void pk_guard_server_stop(pk_guard_server *s);

#endif
