/* fuzz_guard_extract.c -- the guard's request parser and redactor.
 *
 * The first byte picks the API (chat, completions, responses,
 * embeddings, Anthropic messages) and its low bit whether token-id
 * prompts pass; the rest is the request body.  On a body that parses:
 * pieces lie inside the joined text, in order, separated by "\n\n", each
 * pointer is "" or starts with '/'; redacting every redactable piece
 * whole gives valid JSON which parses again (as the same API) into
 * pieces that are all the replacement (or empty, or documents, or keys,
 * or a string holding a JSON document whose strings were replaced).  The
 * JSON reader (json.c) must agree with jansson on whether the body is
 * JSON, but for the documented differences: jansson refuses numbers that
 * overflow and NUL in keys, allows nesting past 512, and drops a raw NUL
 * after a number (so inputs with a NUL byte are only checked one way).
 * Any failure aborts; so does any crash, leak or overread under the
 * sanitizers. */
#include "guard/guard.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int apis[] = {PK_API_CHAT, PK_API_COMPLETIONS, PK_API_RESPONSES, PK_API_EMBEDDINGS, PK_API_MESSAGES};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1 << 16)) return 0;
    int api = apis[(data[0] >> 1) % 5];
    pk_guard_xopts o;
    memset(&o, 0, sizeof o);
    o.token_prompts_pass = data[0] & 1;
    o.max_doc = 1 << 16;
    pk_guard_req *r = NULL;
    pk_error e;
    memset(&e, 0, sizeof e);
    int rc = pk_guard_req_parse(&r, api, (const char *)data + 1, size - 1, &o, &e);
    int mine = !(rc == PK_EFORMAT && strncmp(e.msg, "malformed JSON", 14) == 0);
    json_error_t je;
    json_t *jj = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
                            &je);
    if (mine && !jj && !strstr(je.text, "too big") && !strstr(je.text, "overflow") && !strstr(je.text, "NUL"))
        abort();
    if (!mine && jj && !memchr(data + 1, 0, size - 1) && !strstr(e.msg, "nested too deep")) abort();
    json_decref(jj);
    if (rc) {
        if (r || !e.msg[0]) abort();
        return 0;
    }
    size_t n, np = pk_guard_req_npieces(r), k = 0;
    const char *t = pk_guard_req_text(r, &n);
    uint64_t *rg = calloc(2 * np + 1, sizeof *rg);
    if (!rg) abort();
    size_t end = 0, ndoc = 0;
    for (size_t i = 0; i < np; i++) {
        const pk_guard_piece *p = pk_guard_req_piece(r, i);
        if (p->start + p->len > n) abort();
        if (i && (p->start != end + 2 || memcmp(t + end, "\n\n", 2) != 0)) abort();
        if (!i && p->start != 0) abort();
        if (p->ptr[0] && p->ptr[0] != '/') abort();
        end = p->start + p->len;
        ndoc += p->kind == PK_PIECE_DOCUMENT;
        if (p->kind != PK_PIECE_DOCUMENT && p->kind != PK_PIECE_KEY && p->len) {
            rg[k++] = p->start;
            rg[k++] = p->start + p->len;
        }
    }
    if (end != n) abort();
    pk_buf out;
    pk_buf_init(&out, 0);
    if (pk_guard_req_redact(r, rg, k / 2, "[R]", &out, &e)) abort();
    pk_guard_req *r2 = NULL;
    if (pk_guard_req_parse(&r2, api, out.data, out.len, &o, &e)) abort();
    const char *t2 = pk_guard_req_text(r2, &n);
    for (size_t i = 0; i < pk_guard_req_npieces(r2); i++) {
        const pk_guard_piece *p = pk_guard_req_piece(r2, i);
        if (p->kind == PK_PIECE_DOCUMENT || p->kind == PK_PIECE_KEY || p->len == 0) continue;
        /* A string holding JSON is also read as a nested document; when
         * both are touched the nested rewrite wins, so its raw piece is
         * the rewritten document, not the replacement. */
        size_t b = 0;
        while (b < p->len && memchr(" \t\r\n", t2[p->start + b], 4)) b++;
        if (b < p->len && (t2[p->start + b] == '{' || t2[p->start + b] == '[')) continue;
        /* A base64 document is not redacted; once the block's "type" is
         * replaced, its string is read as a plain string. */
        int was_doc = 0;
        for (size_t d = 0; ndoc && d < np && !was_doc; d++) {
            const pk_guard_piece *q = pk_guard_req_piece(r, d);
            was_doc = q->kind == PK_PIECE_DOCUMENT && strcmp(q->ptr, p->ptr) == 0;
        }
        if (was_doc) continue;
        if (p->len != 3 || memcmp(t2 + p->start, "[R]", 3) != 0) abort();
    }
    pk_guard_req_free(r2);
    pk_buf_free(&out);
    free(rg);
    pk_guard_req_free(r);
    return 0;
}
