/* extract.c -- every piece of text in an LLM API request, and redaction.
 *
 * A request body is parsed by json.c into a node table over its bytes
 * (duplicate keys refused: a body where the guard and the upstream read
 * different values for one key would let text past the check).  Then the places where each API keeps
 * text are walked in document order (DESIGN.md, "Guarding LLM traffic"):
 * OpenAI chat messages (string or list content, file parts, names, tool
 * calls whose arguments are JSON inside a string), legacy prompts,
 * Responses input items and instructions, embeddings input, Anthropic
 * system prompts and content blocks (text, tool_use input of any shape,
 * tool_result content, text and base64 documents, search results).
 * Then a catch-all walk takes every string and object key that the typed
 * walk did not (of the body and of each decoded document): the typed
 * walk gives good pointers and joins message text in reading order, the
 * catch-all makes sure a field it does not list still gets checked.  A
 * string that holds a JSON object or array is also decoded, its strings
 * taken as nested pieces (a tool result made with json.dumps: the raw
 * text's "\n" escapes would glue words together).
 *
 * Each piece keeps the JSON pointer of the string it came from, and all
 * pieces are joined into one text, separated by a blank line, which is
 * what the engine scans: a passage that lies whole in one piece is whole
 * in the joined text, and a passage split across two messages becomes one
 * run of words across the separator (the tokenizer reads "\n\n" as
 * whitespace), so one scan covers both.  The piece table maps a passage's
 * byte range back to the strings it touches, for redaction: each string
 * touched is re-encoded and spliced into the body in place of its literal
 * (a nested argument document is spliced first, then re-encoded as the
 * string that held it); every other byte goes upstream as the client sent
 * it.
 *
 * Invariants: pieces are in increasing order of start, separated by
 * exactly "\n\n", and do not overlap; ptr strings live in one buffer owned
 * by the request; a piece names its node in the body (doc -1) or in the
 * nested document nest[doc] (a document piece: the base64 string it was
 * decoded from); every string node of the body and of each nested
 * document is taken by exactly one piece, or is the outer string of a
 * nested document (taken raw by at most one). */
#include "guard/guard.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define SEP "\n\n"
#define SEPN 2

typedef struct piece {
    pk_guard_piece pub;
    size_t ptr_off;
    uint32_t node; /* the string node (in the body or a nested document) */
    int nest;      /* index in nest[] for PK_PIECE_NESTED, else -1 */
} piece;

typedef struct nested {
    uint32_t outer; /* the body's string node holding the document */
    char *ptr;      /* the outer string's pointer (for the catch-all walk) */
    pk_buf text;    /* the document, unescaped (j.s points here) */
    pk_gj j;
} nested;

struct pk_guard_req {
    pk_gj j; /* the body */
    int api;
    pk_guard_xopts o;
    pk_buf text;
    pk_buf ptrs; /* NUL-terminated pointers, back to back */
    pk_buf path; /* the pointer being built */
    piece *p;
    size_t np, pcap;
    nested *nest;
    size_t nn, ncap;
    pk_buf note;
    int cur_nest; /* while walking inside a nested document */
};

int pk_guard_api_of(const char *method, const char *path)
{
    size_t n = strcspn(path, "?");
#define IS(s) (n == sizeof(s) - 1 && memcmp(path, s, n) == 0)
    if (strcmp(method, "GET") == 0) return IS("/v1/models") ? PK_API_MODELS : PK_API_NONE;
    if (strcmp(method, "POST") != 0) return PK_API_NONE;
    if (IS("/v1/chat/completions")) return PK_API_CHAT;
    if (IS("/v1/completions")) return PK_API_COMPLETIONS;
    if (IS("/v1/responses")) return PK_API_RESPONSES;
    if (IS("/v1/embeddings")) return PK_API_EMBEDDINGS;
    if (IS("/v1/messages")) return PK_API_MESSAGES;
#undef IS
    return PK_API_NONE;
}

int pk_guard_api_anthropic(int api) { return api == PK_API_MESSAGES; }

/* ---- the pointer being built ---------------------------------------------- */

static int push_key(pk_guard_req *r, const char *k, size_t *mark)
{
    if (mark) *mark = r->path.len;
    if (pk_buf_putc(&r->path, '/')) return PK_ENOMEM;
    for (const char *c = k; *c; c++) {
        int e = 0;
        if (*c == '~') e = pk_buf_append(&r->path, "~0", 2);
        else if (*c == '/') e = pk_buf_append(&r->path, "~1", 2);
        else e = pk_buf_putc(&r->path, *c);
        if (e) return e;
    }
    return 0;
}

static int push_idx(pk_guard_req *r, size_t i, size_t *mark)
{
    if (mark) *mark = r->path.len;
    return pk_buf_printf(&r->path, "/%zu", i);
}

static void pop(pk_guard_req *r, size_t mark)
{
    r->path.len = mark;
    if (r->path.data) r->path.data[mark] = 0;
}

/* ---- pieces ----------------------------------------------------------------- */

/* The document being walked: the body, or the nested one. */
#define D (r->cur_nest >= 0 ? &r->nest[r->cur_nest].j : &r->j)
#define TYPE(n_) ((n_) == PK_GJ_NONE ? -1 : (int)D->v[n_].type)
#define IS_STR(v) (TYPE(v) == PK_GJ_STR)
#define IS_ARR(v) (TYPE(v) == PK_GJ_ARR)
#define IS_OBJ(v) (TYPE(v) == PK_GJ_OBJ)
#define ABSENT(v) ((v) == PK_GJ_NONE || TYPE(v) == PK_GJ_NULL)
#define GET(o, k) pk_gj_get(D, o, k)
/* Elements of an array: index i, node x. */
#define EACH(arr, i, x) for (i = 0, x = (arr) + 1; i < D->v[arr].count; i++, x = D->v[x].next)

static int nested_parse(pk_guard_req *r, uint32_t s, int *parsed);

static int add_string(pk_guard_req *r, uint32_t s)
{
    if (r->np == r->pcap) {
        size_t nc = r->pcap ? 2 * r->pcap : 16;
        piece *np = realloc(r->p, nc * sizeof *np);
        if (!np) return PK_ENOMEM;
        r->p = np;
        r->pcap = nc;
    }
    int e = 0;
    if (r->np && (e = pk_buf_append(&r->text, SEP, SEPN))) return e;
    piece *p = &r->p[r->np];
    memset(p, 0, sizeof *p);
    p->pub.start = r->text.len;
    p->pub.kind = r->cur_nest >= 0 ? PK_PIECE_NESTED : PK_PIECE_STRING;
    p->node = s;
    p->nest = r->cur_nest;
    p->ptr_off = r->ptrs.len;
    if (s == PK_GJ_NONE) p->pub.kind = PK_PIECE_DOCUMENT;
    else if ((e = pk_gj_str(D, s, &r->text))) return e;
    p->pub.len = r->text.len - p->pub.start;
    if (r->path.len == 0) e = pk_buf_putc(&r->ptrs, 0); /* the root: "" */
    else e = pk_buf_append(&r->ptrs, r->path.data, r->path.len + 1);
    if (e) return e;
    r->np++;
    /* A string of the body that holds a JSON object or array (a tool
     * result made with json.dumps, say): its raw text has the inner
     * strings' escapes ("\n" glues two words into one), so the strings
     * inside it are pieces too, as for tool call arguments. */
    if (s != PK_GJ_NONE && r->cur_nest < 0) {
        const char *t = r->text.data + p->pub.start;
        size_t k = 0, n = p->pub.len;
        while (k < n && (t[k] == ' ' || t[k] == '\t' || t[k] == '\n' || t[k] == '\r')) k++;
        if (k < n && (t[k] == '{' || t[k] == '[')) return nested_parse(r, s, NULL);
    }
    return 0;
}

/* Text decoded from base64: a piece that is not a string of the body
 * (node: the base64 string, so the catch-all walk skips it). */
static int add_doc_text(pk_guard_req *r, uint32_t node, const char *t, size_t n)
{
    int e = add_string(r, PK_GJ_NONE);
    if (e) return e;
    piece *p = &r->p[r->np - 1];
    if ((e = pk_buf_append(&r->text, t, n))) return e;
    p->pub.len = n;
    p->node = node;
    return 0;
}

static int add_note(pk_guard_req *r, const char *what)
{
    if (r->note.len && pk_buf_append(&r->note, "; ", 2)) return PK_ENOMEM;
    return pk_buf_printf(&r->note, "%s at %s", what, r->path.len ? r->path.data : "/");
}

/* The key of member node k, into the pointer. */
static int push_member(pk_guard_req *r, uint32_t k)
{
    pk_buf kb;
    pk_buf_init(&kb, 0);
    int e = pk_gj_str(D, k, &kb);
    if (!e) e = push_key(r, kb.data ? kb.data : "", NULL);
    pk_buf_free(&kb);
    return e;
}

/* Drop the last segment of the pointer (a key's '/' is escaped as "~1",
 * so the last '/' starts it). */
static void pop_seg(pk_guard_req *r)
{
    size_t n = r->path.len;
    while (n > 0 && r->path.data[n - 1] != '/') n--;
    pop(r, n ? n - 1 : 0);
}

/* Every string value under v (keys are not text the guard redacts). */
static int all_strings(pk_guard_req *r, uint32_t v)
{
    int e = 0;
    uint32_t i, x;
    if (IS_STR(v)) return add_string(r, v);
    if (IS_ARR(v)) {
        EACH(v, i, x) {
            if ((e = push_idx(r, i, NULL)) || (e = all_strings(r, x))) return e;
            pop_seg(r);
        }
    } else if (IS_OBJ(v)) {
        uint32_t k = v + 1;
        for (i = 0; i < D->v[v].count; i++) {
            x = D->v[k].next;
            if ((e = push_member(r, k)) || (e = all_strings(r, x))) return e;
            pop_seg(r);
            k = D->v[x].next;
        }
    }
    return 0;
}

/* obj[key] when it is a string: a piece.  Another type: PK_EFORMAT. */
static int field_str(pk_guard_req *r, uint32_t obj, const char *key, pk_error *err)
{
    uint32_t v = GET(obj, key);
    if (ABSENT(v)) return 0;
    int e = push_key(r, key, NULL);
    if (e) return e;
    if (!IS_STR(v)) return pk_fail(err, PK_EFORMAT, "%s: expected a string", r->path.data);
    if ((e = add_string(r, v))) return e;
    pop_seg(r);
    return 0;
}

/* The strings of the JSON document inside body string s, as nested
 * pieces; *parsed (when not NULL) says whether s held JSON. */
static int nested_parse(pk_guard_req *r, uint32_t s, int *parsed)
{
    if (parsed) *parsed = 0;
    if (r->nn == r->ncap) {
        size_t nc = r->ncap ? 2 * r->ncap : 4;
        nested *nn = realloc(r->nest, nc * sizeof *nn);
        if (!nn) return PK_ENOMEM;
        r->nest = nn;
        r->ncap = nc;
    }
    nested *d = &r->nest[r->nn];
    memset(d, 0, sizeof *d);
    d->outer = s;
    pk_buf_init(&d->text, 0);
    int e = pk_gj_str(&r->j, s, &d->text);
    if (e) {
        pk_buf_free(&d->text);
        return e;
    }
    if (pk_gj_parse(&d->j, d->text.data ? d->text.data : "", d->text.len, NULL, NULL) != 0) {
        pk_gj_free(&d->j);
        pk_buf_free(&d->text);
        return 0;
    }
    if (!(d->ptr = strdup(r->path.data ? r->path.data : ""))) {
        pk_gj_free(&d->j);
        pk_buf_free(&d->text);
        return PK_ENOMEM;
    }
    if (parsed) *parsed = 1;
    r->cur_nest = (int)r->nn++;
    e = pk_buf_putc(&r->path, '#');
    size_t mark = r->path.len - 1;
    if (!e) e = all_strings(r, 0);
    pop(r, mark);
    r->cur_nest = -1;
    return e;
}

/* A JSON document inside a string (tool call arguments): its strings, or
 * the string itself when it is not JSON. */
static int nested_json(pk_guard_req *r, uint32_t s)
{
    if (r->cur_nest >= 0) return add_string(r, s);
    int parsed = 0, e = nested_parse(r, s, &parsed);
    if (e || parsed) return e;
    return add_string(r, s);
}

/* bin[0..n) as UTF-8 text into out: valid UTF-8 as it is, any other byte
 * as the Latin-1 letter of that value, NUL as a space (lossy, but every
 * ASCII word of the file survives, and so does a passage in it). */
static int lossy_utf8(const unsigned char *bin, size_t n, pk_buf *out)
{
    size_t i = 0;
    int e = 0;
    while (i < n && !e) {
        int32_t cp;
        size_t l = pk_utf8_decode(bin + i, n - i, &cp);
        if (l && cp) {
            e = pk_buf_append(out, (const char *)bin + i, l);
            i += l;
            continue;
        }
        unsigned char c = bin[i++];
        if (c == 0) e = pk_buf_putc(out, ' ');
        else if (c < 0x80) e = pk_buf_putc(out, (char)c);
        else {
            char two[2] = {(char)(0xC0 | (c >> 6)), (char)(0x80 | (c & 0x3F))};
            e = pk_buf_append(out, two, 2);
        }
    }
    return e;
}

/* UTF-16 (bin[0..n), after its BOM; big-endian when be) as UTF-8 into
 * out; unpaired surrogates become U+FFFD. */
static int utf16_to_utf8(const unsigned char *bin, size_t n, int be, pk_buf *out)
{
    int e = 0;
    for (size_t i = 0; i + 1 < n && !e; i += 2) {
        uint32_t u = be ? (uint32_t)(bin[i] << 8 | bin[i + 1]) : (uint32_t)(bin[i + 1] << 8 | bin[i]);
        if (u >= 0xD800 && u < 0xDC00 && i + 3 < n) {
            uint32_t l = be ? (uint32_t)(bin[i + 2] << 8 | bin[i + 3]) : (uint32_t)(bin[i + 3] << 8 | bin[i + 2]);
            if (l >= 0xDC00 && l < 0xE000) {
                u = 0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00);
                i += 2;
            } else {
                u = 0xFFFD;
            }
        } else if (u >= 0xD800 && u < 0xE000) {
            u = 0xFFFD;
        }
        if (u == 0) u = ' ';
        char o[4];
        size_t k;
        if (u < 0x80) o[0] = (char)u, k = 1;
        else if (u < 0x800) o[0] = (char)(0xC0 | u >> 6), o[1] = (char)(0x80 | (u & 0x3F)), k = 2;
        else if (u < 0x10000)
            o[0] = (char)(0xE0 | u >> 12), o[1] = (char)(0x80 | (u >> 6 & 0x3F)), o[2] = (char)(0x80 | (u & 0x3F)), k = 3;
        else
            o[0] = (char)(0xF0 | u >> 18), o[1] = (char)(0x80 | (u >> 12 & 0x3F)), o[2] = (char)(0x80 | (u >> 6 & 0x3F)),
            o[3] = (char)(0x80 | (u & 0x3F)), k = 4;
        e = pk_buf_append(out, o, k);
    }
    return e;
}

/* Whether bin[0..n) looks like a binary file rather than text in a
 * single-byte or broken encoding: a NUL byte, or more than 1 in 100
 * bytes a control character other than tab, newline, form feed and
 * carriage return (ZIP containers such as DOCX, images and the like all
 * have both within their first kilobytes). */
static int looks_binary(const unsigned char *bin, size_t n)
{
    size_t ctl = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = bin[i];
        if (c == 0) return 1;
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\f' && c != '\r') ctl++;
        else if (c == 0x7F) ctl++;
    }
    return ctl * 100 > n;
}

/* Base64 (or a data: URL) holding a file: a PDF (its "%PDF-" within the
 * first KiB, as PDF readers accept) read with picket's PDF reader; UTF-16
 * with a BOM decoded; UTF-8 as it is; other text decoded lossily; a file
 * of none of these kinds (DOCX, images, ...) is refused (binary = refuse,
 * the default: the guard cannot tell what it says) or passed with a note
 * (binary = pass). */
static int base64_doc(pk_guard_req *r, uint32_t s, pk_error *err)
{
    pk_buf raw;
    pk_buf_init(&raw, 0);
    int e = pk_gj_str(D, s, &raw);
    if (e) return e;
    const char *b = raw.data ? raw.data : "";
    size_t n = raw.len;
    unsigned char *bin = NULL;
    if (n >= 5 && memcmp(b, "data:", 5) == 0) {
        const char *c = memchr(b, ',', n);
        if (!c) {
            e = pk_fail(err, PK_EFORMAT, "%s: a data: URL without a comma", r->path.data);
            goto done;
        }
        n -= (size_t)(c + 1 - b);
        b = c + 1;
    }
    size_t cap = n / 4 * 3 + 3, got = 0;
    if (cap > r->o.max_doc) {
        e = pk_fail(err, PK_ETOOBIG, "%s: a document over %zu bytes", r->path.data, r->o.max_doc);
        goto done;
    }
    if (!(bin = malloc(cap + 1))) {
        e = PK_ENOMEM;
        goto done;
    }
    if (sodium_base642bin(bin, cap, b, n, " \r\n\t", &got, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
        e = pk_fail(err, PK_EFORMAT, "%s: not base64", r->path.data);
        goto done;
    }
    const unsigned char *pdf = got >= 5 ? memmem(bin, PK_MIN(got, (size_t)1024 + 5), "%PDF-", 5) : NULL;
    if (pdf) {
        if (r->o.pdf_refuse) {
            e = pk_fail(err, PK_EINVAL, "%s: PDF documents are refused by this guard (pdf = refuse)", r->path.data);
            goto done;
        }
        pk_doc d;
        pk_doc_init(&d);
        size_t skip = (size_t)(pdf - bin);
        e = pk_doc_read(&d, "document.pdf", (const char *)bin + skip, got - skip, PK_WORK_PDF, PK_TOK_LOSSY, err);
        if (e) pk_error_prefix(err, "%s", r->path.data);
        else e = add_doc_text(r, s, d.text.data ? d.text.data : "", d.text.len);
        pk_doc_free(&d);
        goto done;
    }
    if (got >= 2 && ((bin[0] == 0xFF && bin[1] == 0xFE) || (bin[0] == 0xFE && bin[1] == 0xFF))) {
        pk_buf u;
        pk_buf_init(&u, 0);
        e = utf16_to_utf8(bin + 2, got - 2, bin[0] == 0xFE, &u);
        if (!e) e = add_doc_text(r, s, u.data ? u.data : "", u.len);
        pk_buf_free(&u);
        goto done;
    }
    size_t i = 0, sk = got >= 3 && bin[0] == 0xEF && bin[1] == 0xBB && bin[2] == 0xBF ? 3 : 0;
    for (i = sk; i < got;) {
        int32_t cp;
        size_t l = pk_utf8_decode(bin + i, got - i, &cp);
        if (l == 0 || cp == 0) break;
        i += l;
    }
    if (i == got) {
        e = add_doc_text(r, s, (const char *)bin + sk, got - sk);
    } else if (!looks_binary(bin, got)) {
        pk_buf u;
        pk_buf_init(&u, 0);
        e = lossy_utf8(bin, got, &u);
        if (!e) e = add_doc_text(r, s, u.data ? u.data : "", u.len);
        pk_buf_free(&u);
    } else if (r->o.binary_pass) {
        e = add_note(r, "binary file not checked (binary = pass)");
    } else {
        e = pk_fail(err, PK_EINVAL,
                    "%s: a file the guard cannot read (not PDF or text) is refused (binary = refuse); send its text",
                    r->path.data);
    }
done:
    free(bin);
    pk_buf_free(&raw);
    return e;
}

/* ---- the APIs ------------------------------------------------------------------ */

#define WITH_KEY(k, body)                                  \
    do {                                                   \
        if ((e = push_key(r, k, NULL))) return e;          \
        body;                                              \
        pop_seg(r);                                        \
    } while (0)
#define WITH_IDX(i, body)                                  \
    do {                                                   \
        if ((e = push_idx(r, i, NULL))) return e;          \
        body;                                              \
        pop_seg(r);                                        \
    } while (0)

static int need_array(pk_guard_req *r, uint32_t v, pk_error *err)
{
    if (IS_ARR(v)) return 0;
    return pk_fail(err, PK_EFORMAT, "%s: expected an array", r->path.data);
}

/* A document the upstream fetches by URL (Responses input_file.file_url,
 * an Anthropic document whose source is a URL) or has from an earlier
 * upload (file_id; the guard does not serve /v1/files): the guard never
 * sees its text, so it is refused (remote_documents = refuse, the
 * default) or passed with a note in the audit log (remote_documents =
 * pass).  how: "URL" or "file id". */
static int remote_doc(pk_guard_req *r, const char *how, pk_error *err)
{
    if (r->o.remote_pass) return add_note(r, "remote document not checked (remote_documents = pass)");
    return pk_fail(err, PK_EINVAL,
                   "%s: a document given by %s cannot be checked by the guard (remote_documents = refuse); send "
                   "its text or the file itself",
                   r->path.data, how);
}

/* Chat Completions content parts, and Responses message content parts. */
static int content_part(pk_guard_req *r, uint32_t part, pk_error *err)
{
    int e = 0;
    if (IS_STR(part)) return add_string(r, part);
    if (!IS_OBJ(part)) return pk_fail(err, PK_EFORMAT, "%s: expected an object", r->path.data);
    if ((e = field_str(r, part, "text", err)) || (e = field_str(r, part, "refusal", err))) return e;
    uint32_t file = GET(part, "file");
    uint32_t fd = IS_OBJ(file) ? GET(file, "file_data") : GET(part, "file_data");
    if (IS_STR(fd)) {
        if (IS_OBJ(file)) WITH_KEY("file", WITH_KEY("file_data", e = base64_doc(r, fd, err); if (e) return e));
        else WITH_KEY("file_data", e = base64_doc(r, fd, err); if (e) return e);
    }
    uint32_t fu = IS_OBJ(file) ? GET(file, "file_url") : GET(part, "file_url");
    if (IS_STR(fu)) WITH_KEY("file_url", e = remote_doc(r, "URL", err); if (e) return e);
    uint32_t fid = IS_OBJ(file) ? GET(file, "file_id") : GET(part, "file_id");
    if (IS_STR(fid) && !IS_STR(fd)) {
        if (IS_OBJ(file)) WITH_KEY("file", WITH_KEY("file_id", e = remote_doc(r, "file id", err); if (e) return e));
        else WITH_KEY("file_id", e = remote_doc(r, "file id", err); if (e) return e);
    }
    return 0;
}

/* The shape every API uses for content: a string, or an array whose
 * elements each() reads (chat content parts, Anthropic blocks, Responses
 * input items). */
typedef int (*elem_fn)(pk_guard_req *r, uint32_t x, pk_error *err);
static int string_or_each(pk_guard_req *r, uint32_t c, elem_fn each, pk_error *err)
{
    int e = 0;
    if (ABSENT(c)) return 0;
    if (IS_STR(c)) return add_string(r, c);
    if ((e = need_array(r, c, err))) return e;
    uint32_t i, x;
    EACH(c, i, x) WITH_IDX(i, e = each(r, x, err); if (e) return e);
    return 0;
}

static int content(pk_guard_req *r, uint32_t c, pk_error *err) { return string_or_each(r, c, content_part, err); }

static int tool_calls(pk_guard_req *r, uint32_t tc, pk_error *err)
{
    int e = 0;
    if ((e = need_array(r, tc, err))) return e;
    uint32_t i, x;
    EACH(tc, i, x) {
        uint32_t f = GET(x, "function");
        uint32_t a = IS_OBJ(f) ? GET(f, "arguments") : PK_GJ_NONE;
        if (IS_STR(a))
            WITH_IDX(i, WITH_KEY("function", WITH_KEY("arguments", e = nested_json(r, a); if (e) return e)));
    }
    return 0;
}

static int chat(pk_guard_req *r, pk_error *err)
{
    int e = 0;
    uint32_t m = GET(0, "messages");
    if (m == PK_GJ_NONE) return pk_fail(err, PK_EFORMAT, "/messages: missing");
    WITH_KEY("messages", if ((e = need_array(r, m, err))) return e);
    uint32_t i, msg;
    EACH(m, i, msg) {
        WITH_KEY("messages", WITH_IDX(i, {
                     if (!IS_OBJ(msg)) return pk_fail(err, PK_EFORMAT, "%s: expected an object", r->path.data);
                     if ((e = field_str(r, msg, "name", err))) return e;
                     WITH_KEY("content", e = content(r, GET(msg, "content"), err); if (e) return e);
                     if ((e = field_str(r, msg, "refusal", err))) return e;
                     uint32_t tc = GET(msg, "tool_calls");
                     if (!ABSENT(tc)) WITH_KEY("tool_calls", e = tool_calls(r, tc, err); if (e) return e);
                     uint32_t fc = GET(msg, "function_call");
                     uint32_t a = IS_OBJ(fc) ? GET(fc, "arguments") : PK_GJ_NONE;
                     if (IS_STR(a))
                         WITH_KEY("function_call", WITH_KEY("arguments", e = nested_json(r, a); if (e) return e));
                 }));
    }
    return 0;
}

/* A prompt or an embeddings input: a string, strings, or token ids. */
static int prompt_like(pk_guard_req *r, const char *key, pk_error *err)
{
    int e = 0;
    uint32_t v = GET(0, key);
    if (ABSENT(v)) return 0;
    if ((e = push_key(r, key, NULL))) return e;
    int tokens = 0;
    if (IS_STR(v)) {
        if ((e = add_string(r, v))) return e;
    } else if (IS_ARR(v)) {
        uint32_t i, x;
        EACH(v, i, x) {
            if (IS_STR(x)) WITH_IDX(i, e = add_string(r, x); if (e) return e);
            else if (TYPE(x) == PK_GJ_NUM || IS_ARR(x)) tokens = 1;
            else return pk_fail(err, PK_EFORMAT, "%s/%u: expected a string or token ids", r->path.data, i);
        }
    } else {
        return pk_fail(err, PK_EFORMAT, "%s: expected a string or an array", r->path.data);
    }
    if (tokens) {
        if (!r->o.token_prompts_pass)
            return pk_fail(err, PK_EINVAL, "%s: a prompt given as token ids cannot be checked; send text", r->path.data);
        if ((e = add_note(r, "token-id prompt passed unchecked"))) return e;
    }
    pop_seg(r);
    return 0;
}

static int responses_item(pk_guard_req *r, uint32_t it, pk_error *err)
{
    int e = 0;
    if (IS_STR(it)) return add_string(r, it);
    if (!IS_OBJ(it)) return pk_fail(err, PK_EFORMAT, "%s: expected an object", r->path.data);
    uint32_t type = GET(it, "type");
    if (pk_gj_str_is(D, type, "function_call")) {
        uint32_t a = GET(it, "arguments");
        if (IS_STR(a)) WITH_KEY("arguments", e = nested_json(r, a); if (e) return e);
        return 0;
    }
    if (pk_gj_str_is(D, type, "function_call_output")) {
        WITH_KEY("output", e = content(r, GET(it, "output"), err); if (e) return e);
        return 0;
    }
    /* A message (type "message" or a bare role/content), or a part. */
    if ((e = field_str(r, it, "text", err))) return e;
    uint32_t c = GET(it, "content");
    if (c != PK_GJ_NONE) WITH_KEY("content", e = content(r, c, err); if (e) return e);
    return 0;
}

static int responses(pk_guard_req *r, pk_error *err)
{
    int e = 0;
    if ((e = field_str(r, 0, "instructions", err))) return e;
    uint32_t in = GET(0, "input");
    if (!ABSENT(in)) WITH_KEY("input", e = string_or_each(r, in, responses_item, err); if (e) return e);
    uint32_t p = GET(0, "prompt");
    uint32_t vars = IS_OBJ(p) ? GET(p, "variables") : PK_GJ_NONE;
    if (vars != PK_GJ_NONE) WITH_KEY("prompt", WITH_KEY("variables", e = all_strings(r, vars); if (e) return e));
    return 0;
}

static int blocks(pk_guard_req *r, uint32_t c, pk_error *err);

static int block(pk_guard_req *r, uint32_t b, pk_error *err)
{
    int e = 0;
    if (IS_STR(b)) return add_string(r, b);
    if (!IS_OBJ(b)) return pk_fail(err, PK_EFORMAT, "%s: expected an object", r->path.data);
    uint32_t type = GET(b, "type");
    if (pk_gj_str_is(D, type, "tool_use") || pk_gj_str_is(D, type, "server_tool_use")) {
        uint32_t in = GET(b, "input");
        if (in != PK_GJ_NONE) WITH_KEY("input", e = all_strings(r, in); if (e) return e);
        return 0;
    }
    if (pk_gj_str_is(D, type, "tool_result")) {
        uint32_t c = GET(b, "content");
        if (c != PK_GJ_NONE) WITH_KEY("content", e = blocks(r, c, err); if (e) return e);
        return 0;
    }
    if (pk_gj_str_is(D, type, "document")) {
        if ((e = field_str(r, b, "title", err)) || (e = field_str(r, b, "context", err))) return e;
        uint32_t src = GET(b, "source");
        if (!IS_OBJ(src)) return 0;
        uint32_t st = GET(src, "type");
        uint32_t data = GET(src, "data");
        if (pk_gj_str_is(D, st, "text"))
            WITH_KEY("source", if ((e = field_str(r, src, "data", err))) return e);
        else if (pk_gj_str_is(D, st, "base64") && IS_STR(data))
            WITH_KEY("source", WITH_KEY("data", e = base64_doc(r, data, err); if (e) return e));
        else if (pk_gj_str_is(D, st, "content"))
            WITH_KEY("source", WITH_KEY("content", e = blocks(r, GET(src, "content"), err); if (e) return e));
        else if (pk_gj_str_is(D, st, "url"))
            WITH_KEY("source", WITH_KEY("url", e = remote_doc(r, "URL", err); if (e) return e));
        else if (pk_gj_str_is(D, st, "file"))
            WITH_KEY("source", WITH_KEY("file_id", e = remote_doc(r, "file id", err); if (e) return e));
        return 0;
    }
    if (pk_gj_str_is(D, type, "search_result")) {
        if ((e = field_str(r, b, "title", err))) return e;
        uint32_t c = GET(b, "content");
        if (c != PK_GJ_NONE) WITH_KEY("content", e = blocks(r, c, err); if (e) return e);
        return 0;
    }
    if ((e = field_str(r, b, "text", err))) return e;
    if (pk_gj_str_is(D, type, "thinking") && (e = field_str(r, b, "thinking", err))) return e;
    return 0;
}

static int blocks(pk_guard_req *r, uint32_t c, pk_error *err) { return string_or_each(r, c, block, err); }

/* ---- the catch-all walk ----------------------------------------------------------
 *
 * The typed walk above knows where each API keeps its prompt text and
 * joins it in reading order with good pointers, but an API grows fields
 * faster than a list of them does (tool descriptions, JSON schemas,
 * predicted outputs, new item and block types), and text in a field the
 * list misses would reach the upstream unchecked.  So after it, every
 * string of the body (and of each nested document) that no piece took
 * yet, object keys included, becomes one more piece, with its pointer
 * (a key's pointer names its member).  Identifiers, model names and enum
 * words cannot make a min_words-word run; prose can, wherever it is. */

static int rest_walk(pk_guard_req *r, uint32_t v, const uint8_t *taken)
{
    int e = 0;
    uint32_t i, x;
    if (IS_STR(v)) return taken[v] ? 0 : add_string(r, v);
    if (IS_ARR(v)) {
        EACH(v, i, x) {
            if ((e = push_idx(r, i, NULL)) || (e = rest_walk(r, x, taken))) return e;
            pop_seg(r);
        }
    } else if (IS_OBJ(v)) {
        uint32_t k = v + 1;
        for (i = 0; i < D->v[v].count; i++) {
            x = D->v[k].next;
            if ((e = push_member(r, k))) return e;
            if (!taken[k]) {
                size_t at = r->np;
                if ((e = add_string(r, k))) return e;
                r->p[at].pub.kind = PK_PIECE_KEY;
            }
            if ((e = rest_walk(r, x, taken))) return e;
            pop_seg(r);
            k = D->v[x].next;
        }
    }
    return 0;
}

static int rest(pk_guard_req *r)
{
    uint8_t *taken = calloc(r->j.nv ? r->j.nv : 1, 1);
    if (!taken) return PK_ENOMEM;
    for (size_t i = 0; i < r->np; i++)
        if (r->p[i].nest < 0 && r->p[i].node != PK_GJ_NONE) taken[r->p[i].node] = 1;
    for (size_t i = 0; i < r->nn; i++) taken[r->nest[i].outer] = 1;
    pop(r, 0);
    int e = rest_walk(r, 0, taken);
    free(taken);
    for (size_t d = 0; d < r->nn && !e; d++) {
        nested *nd = &r->nest[d];
        if (!(taken = calloc(nd->j.nv ? nd->j.nv : 1, 1))) return PK_ENOMEM;
        for (size_t i = 0; i < r->np; i++)
            if (r->p[i].nest == (int)d) taken[r->p[i].node] = 1;
        pop(r, 0);
        e = pk_buf_append(&r->path, nd->ptr, strlen(nd->ptr));
        if (!e) e = pk_buf_putc(&r->path, '#');
        r->cur_nest = (int)d;
        if (!e) e = rest_walk(r, 0, taken);
        r->cur_nest = -1;
        free(taken);
    }
    pop(r, 0);
    return e;
}

static int messages(pk_guard_req *r, pk_error *err)
{
    int e = 0;
    uint32_t sys = GET(0, "system");
    if (sys != PK_GJ_NONE) WITH_KEY("system", e = blocks(r, sys, err); if (e) return e);
    uint32_t m = GET(0, "messages");
    if (m == PK_GJ_NONE) return pk_fail(err, PK_EFORMAT, "/messages: missing");
    WITH_KEY("messages", if ((e = need_array(r, m, err))) return e);
    uint32_t i, msg;
    EACH(m, i, msg) {
        WITH_KEY("messages", WITH_IDX(i, {
                     if (!IS_OBJ(msg)) return pk_fail(err, PK_EFORMAT, "%s: expected an object", r->path.data);
                     WITH_KEY("content", e = blocks(r, GET(msg, "content"), err); if (e) return e);
                 }));
    }
    return 0;
}

int pk_guard_req_parse(pk_guard_req **out, int api, const char *body, size_t n, const pk_guard_xopts *o,
                       pk_error *err)
{
    *out = NULL;
    pk_guard_req *r = calloc(1, sizeof *r);
    if (!r) return pk_fail(err, PK_ENOMEM, "out of memory");
    r->api = api;
    r->cur_nest = -1;
    if (o) r->o = *o;
    if (!r->o.max_doc) r->o.max_doc = (size_t)16 << 20;
    pk_buf_init(&r->text, 0);
    pk_buf_init(&r->ptrs, 0);
    pk_buf_init(&r->path, 0);
    pk_buf_init(&r->note, 4096);
    int e = 0;
    size_t off = 0;
    const char *why = NULL;
    if ((e = pk_gj_parse(&r->j, body, n, &off, &why))) {
        if (e == PK_ENOMEM) e = pk_fail(err, e, "out of memory");
        else e = pk_fail(err, e, "malformed JSON at byte %zu: %s", off, why);
        goto done;
    }
    if (r->j.v[0].type != PK_GJ_OBJ) {
        e = pk_fail(err, PK_EFORMAT, "the request body is not a JSON object");
        goto done;
    }
    pk_error le;
    memset(&le, 0, sizeof le);
    switch (api) {
    case PK_API_CHAT: e = chat(r, &le); break;
    case PK_API_COMPLETIONS:
        e = prompt_like(r, "prompt", &le);
        if (!e) e = field_str(r, 0, "suffix", &le);
        break;
    case PK_API_RESPONSES: e = responses(r, &le); break;
    case PK_API_EMBEDDINGS: e = prompt_like(r, "input", &le); break;
    case PK_API_MESSAGES: e = messages(r, &le); break;
    default: e = pk_fail(&le, PK_EINVAL, "no request body expected");
    }
    if (!e) e = rest(r);
    if (e) {
        if (e == PK_ENOMEM && !le.msg[0]) pk_fail(&le, e, "out of memory");
        if (!le.msg[0]) pk_fail(&le, e, "request text over the guard's limits");
        if (err) *err = le;
        goto done;
    }
    for (size_t i = 0; i < r->np; i++) r->p[i].pub.ptr = r->ptrs.data + r->p[i].ptr_off;
    *out = r;
    return 0;
done:
    pk_guard_req_free(r);
    return e;
}

void pk_guard_req_free(pk_guard_req *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->nn; i++) {
        free(r->nest[i].ptr);
        pk_gj_free(&r->nest[i].j);
        pk_buf_free(&r->nest[i].text);
    }
    free(r->nest);
    pk_gj_free(&r->j);
    pk_buf_free(&r->text);
    pk_buf_free(&r->ptrs);
    pk_buf_free(&r->path);
    pk_buf_free(&r->note);
    free(r->p);
    free(r);
}

size_t pk_guard_req_npieces(const pk_guard_req *r) { return r->np; }
const pk_guard_piece *pk_guard_req_piece(const pk_guard_req *r, size_t i) { return i < r->np ? &r->p[i].pub : NULL; }
const char *pk_guard_req_text(const pk_guard_req *r, size_t *n)
{
    *n = r->text.len;
    return r->text.data ? r->text.data : "";
}
const char *pk_guard_req_note(const pk_guard_req *r) { return r->note.data ? r->note.data : ""; }

/* ---- redaction ------------------------------------------------------------------ */

static int cmp_range(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0;
}

/* One string literal to replace: the node's bytes in its document, and
 * the new literal at lit[off..off+len) of the shared buffer. */
typedef struct splice {
    int doc; /* -1: the body */
    uint32_t start, end;
    size_t off, len;
} splice;

static int cmp_splice(const void *a, const void *b)
{
    const splice *x = a, *y = b;
    if (x->doc != y->doc) return x->doc < y->doc ? -1 : 1;
    return x->start < y->start ? -1 : x->start > y->start ? 1 : 0;
}

/* src[0..n) with the splices sp[0..k) (sorted, one document) applied. */
static int apply(const char *src, size_t n, const splice *sp, size_t k, const pk_buf *lit, pk_buf *out)
{
    size_t at = 0;
    int e = 0;
    for (size_t i = 0; i < k && !e; i++) {
        e = pk_buf_append(out, src + at, sp[i].start - at);
        if (!e) e = pk_buf_append(out, lit->data + sp[i].off, sp[i].len);
        at = sp[i].end;
    }
    if (!e) e = pk_buf_append(out, src + at, n - at);
    return e;
}

int pk_guard_req_redact(pk_guard_req *r, const uint64_t *ranges, size_t nranges, const char *repl, pk_buf *out,
                        pk_error *err)
{
    pk_buf_reset(out);
    size_t bytes;
    if (!pk_mul_ok(nranges, 2 * sizeof(uint64_t), &bytes)) return pk_fail(err, PK_ENOMEM, "out of memory");
    uint64_t *rg = malloc(bytes ? bytes : 1);
    splice *sp = calloc(r->np + 1, sizeof *sp), *bsp = calloc(r->np + r->nn + 1, sizeof *bsp);
    pk_buf lit, s, doc;
    pk_buf_init(&lit, 0);
    pk_buf_init(&s, 0);
    pk_buf_init(&doc, 0);
    int e = 0;
    size_t ns = 0;
    if (!rg || !sp || !bsp) goto oom;
    memcpy(rg, ranges, bytes);
    qsort(rg, nranges, 2 * sizeof(uint64_t), cmp_range);
    /* Merge overlapping ranges. */
    size_t m = 0;
    for (size_t i = 0; i < nranges; i++) {
        if (rg[2 * i + 1] <= rg[2 * i]) continue;
        if (m && rg[2 * i] <= rg[2 * m - 1]) {
            if (rg[2 * i + 1] > rg[2 * m - 1]) rg[2 * m - 1] = rg[2 * i + 1];
        } else {
            rg[2 * m] = rg[2 * i];
            rg[2 * m + 1] = rg[2 * i + 1];
            m++;
        }
    }
    size_t replen = strlen(repl), ri = 0;
    for (size_t i = 0; i < r->np && ri < m; i++) {
        piece *p = &r->p[i];
        uint64_t ps = p->pub.start, pe = p->pub.start + p->pub.len;
        while (ri < m && rg[2 * ri + 1] <= ps) ri++;
        if (ri == m || rg[2 * ri] >= pe) continue;
        if (p->pub.kind == PK_PIECE_DOCUMENT) {
            e = pk_fail(err, PK_EINVAL, "%s: a passage in a base64 document cannot be redacted", p->pub.ptr);
            goto done;
        }
        if (p->pub.kind == PK_PIECE_KEY) {
            e = pk_fail(err, PK_EINVAL, "%s: a passage in an object key cannot be redacted", p->pub.ptr);
            goto done;
        }
        pk_buf_reset(&s);
        const char *t = r->text.data;
        uint64_t at = ps;
        for (size_t j = ri; j < m && rg[2 * j] < pe; j++) {
            uint64_t a = PK_MAX(rg[2 * j], ps), b = PK_MIN(rg[2 * j + 1], pe);
            if (pk_buf_append(&s, t + at, (size_t)(a - at)) || pk_buf_append(&s, repl, replen)) goto oom;
            at = b;
        }
        if (pk_buf_append(&s, t + at, (size_t)(pe - at))) goto oom;
        const pk_gj *dj = p->nest >= 0 ? &r->nest[p->nest].j : &r->j;
        sp[ns].doc = p->nest;
        sp[ns].start = dj->v[p->node].start;
        sp[ns].end = dj->v[p->node].end;
        sp[ns].off = lit.len;
        if (pk_buf_json_str(&lit, s.data ? s.data : "", s.len)) goto oom;
        sp[ns].len = lit.len - sp[ns].off;
        ns++;
    }
    qsort(sp, ns, sizeof *sp, cmp_splice);
    /* The body's own splices sort first (doc -1); each nested document
     * touched becomes one more splice of the body: its string re-encoded. */
    size_t body_n = 0;
    while (body_n < ns && sp[body_n].doc < 0) body_n++;
    /* A string kept raw and also read as a nested document (a JSON tool
     * result) may be touched both ways: the nested rewrite wins (it
     * re-encodes the whole string), the raw splice of it is dropped. */
    for (size_t i = body_n; i < ns; i++) {
        uint32_t os = r->j.v[r->nest[sp[i].doc].outer].start;
        for (size_t k = 0; k < body_n; k++)
            if (sp[k].start == os) {
                memmove(sp + k, sp + k + 1, (ns - k - 1) * sizeof *sp);
                body_n--, ns--, i--;
                break;
            }
    }
    size_t nb = body_n;
    for (size_t i = body_n; i < ns;) {
        size_t k = i;
        while (k < ns && sp[k].doc == sp[i].doc) k++;
        nested *d = &r->nest[sp[i].doc];
        pk_buf_reset(&doc);
        if (apply(d->text.data, d->text.len, sp + i, k - i, &lit, &doc)) goto oom;
        bsp[nb].doc = -1;
        bsp[nb].start = r->j.v[d->outer].start;
        bsp[nb].end = r->j.v[d->outer].end;
        bsp[nb].off = lit.len;
        if (pk_buf_json_str(&lit, doc.data ? doc.data : "", doc.len)) goto oom;
        bsp[nb].len = lit.len - bsp[nb].off;
        nb++;
        i = k;
    }
    memcpy(bsp, sp, body_n * sizeof *sp);
    qsort(bsp, nb, sizeof *bsp, cmp_splice);
    if (apply(r->j.s, r->j.n, bsp, nb, &lit, out)) goto oom;
    goto done;
oom:
    e = pk_fail(err, PK_ENOMEM, "out of memory");
done:
    free(rg);
    free(sp);
    free(bsp);
    pk_buf_free(&lit);
    pk_buf_free(&s);
    pk_buf_free(&doc);
    return e;
}

/* ---- responses --------------------------------------------------------------------- */

static int resp_strings(json_t *v, pk_buf *out)
{
    int e = 0;
    if (json_is_string(v)) {
        if (out->len && (e = pk_buf_append(out, SEP, SEPN))) return e;
        return pk_buf_append(out, json_string_value(v), json_string_length(v));
    }
    size_t i;
    const char *k;
    json_t *x;
    if (json_is_array(v)) json_array_foreach(v, i, x) if ((e = resp_strings(x, out))) return e;
    if (json_is_object(v)) json_object_foreach(v, k, x) if ((e = resp_strings(x, out))) return e;
    return 0;
}

int pk_guard_resp_text(const char *body, size_t n, pk_buf *out, pk_error *err)
{
    pk_buf_reset(out);
    json_error_t je;
    json_t *root = json_loadb(body, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!root) return pk_fail(err, PK_EFORMAT, "malformed JSON at byte %d: %s", je.position, je.text);
    int e = resp_strings(root, out);
    json_decref(root);
    return e ? pk_fail(err, e, "response text over %zu bytes", out->max) : 0;
}
