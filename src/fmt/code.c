/* code.c -- source code as a work, and its MOSS-style normalization.
 *
 * Two renderings.  The default (format "code") is the source itself,
 * line i of the rendering being line i of the file, so the words picket
 * fingerprints are the words any plain-text scan of a verbatim copy sees:
 * identifiers, keywords, numbers, the words of strings and comments
 * (operators are not words to the text tokenizer).  A copy of the code
 * pasted into a JSONL training set, a web page or a model's answer is then
 * found by an ordinary `picket scan`, with no option and no knowledge of
 * the language.  Only binary files are refused: a NUL byte, or invalid
 * UTF-8 in more than one byte in BINARY_RATIO (a few stray Latin-1 bytes
 * are text with an encoding slip, which --lossy accepts).
 *
 * The normalized rendering ("code-normalized"; scan and check with
 * --normalize-identifiers) is what MOSS does against renamed copies:
 * comments dropped, keywords kept, every other identifier one placeholder
 * word, every string literal one placeholder word, numbers kept, every
 * operator or punctuation mark a word of its own.  Placeholders are ASCII
 * letters and digits starting "zq" (zqid, zqstr, zqo<hex of the
 * operator>, zqpp<directive>), so each is one token to the text tokenizer
 * and no normalized k-gram plausibly equals a k-gram of prose.  Tokens of
 * source line i go on rendered line i, so findings in a registered
 * normalized work still name source lines, and every rendered word keeps
 * the byte range of its source, so a scan of normalized text can report
 * offsets of the document as given.
 *
 * One lexer for every language, on purpose: registration and scanning
 * must normalize alike, and a scanned JSONL record does not say what
 * language it holds.  So the rules are a union that is right for most
 * languages and merely consistent for the rest: comments are //, slash-star
 * (to the end of the input when unclosed) and '#' to the line end, except
 * '#' first on a line before a C preprocessor word, which is a directive
 * token; strings are Python's triple-quoted ones, and "..." '...' `...`
 * with backslash escapes, where "..." and '...' end at a line end (so a
 * Rust lifetime or an apostrophe cannot run away) and an unclosed
 * triple-quoted or backquoted string is read as its first quote alone;
 * three or more backquotes are a Markdown code fence, dropped with the
 * rest of their line, since code in training data is mostly fenced;
 * numbers are decimal, hex, octal and binary, with fractions, exponents,
 * suffixes and digit separators; identifiers are [A-Za-z_$] then
 * [A-Za-z0-9_$], plus non-ASCII letters, marks and digits; operators are
 * the longest match in a table of multi-character operators, else one
 * character.  Python's // is a comment here, Rust's #[attr] too: both
 * sides read them so.
 *
 * The lexer never fails and never allocates; invalid UTF-8 is white space
 * to it (the renderers decide whether to refuse it first).  Memory of a
 * normalization: the rendered text (about one byte a source byte) and 24
 * bytes a rendered word for the offset map. */
#include "fmt/fmt.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define BINARY_RATIO 16    /* invalid UTF-8 in over 1 byte in 16: binary */
#define BINARY_MIN_INVALID 8 /* ... and at least this many sequences */

/* Keywords of C, C++, Java, C#, JavaScript/TypeScript, Go, Rust, Python,
 * Ruby, PHP, Swift, Kotlin and shell, sorted (strcmp) for bsearch.
 * Contextual words that are also common variable names (value, get, set,
 * data, type, list, record ...) are left out: a renamed variable must not
 * stay visible. */
static const char *const keywords[] = {
    "False", "None", "Self", "True", "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic",
    "_Noreturn", "_Static_assert", "_Thread_local", "abstract", "alignas", "alignof", "and", "as", "asm",
    "assert", "associatedtype", "async", "auto", "await", "base", "begin", "bool", "boolean", "break", "byte",
    "case", "catch", "chan", "char", "checked", "class", "companion", "concept", "const", "const_cast",
    "consteval", "constexpr", "constinit", "continue", "crate", "decltype", "def", "default", "defer",
    "deinit", "del", "delegate", "delete", "do", "done", "double", "dyn", "dynamic_cast", "echo", "elif",
    "else", "elsif", "end", "ensure", "enum", "esac", "event", "explicit", "export", "extends", "extension",
    "extern", "fallthrough", "false", "fi", "final", "finally", "float", "fn", "for", "foreach", "friend",
    "from", "fun", "func", "function", "global", "go", "goto", "guard", "if", "impl", "implements", "import",
    "in", "inline", "inout", "instanceof", "int", "interface", "internal", "is", "lambda", "let", "local",
    "lock", "long", "loop", "match", "mod", "module", "move", "mut", "mutable", "namespace", "native", "new",
    "next", "nil", "noexcept", "nonlocal", "not", "null", "nullptr", "object", "operator", "or", "out",
    "override", "package", "pass", "private", "protected", "protocol", "pub", "public", "raise", "range",
    "readonly", "redo", "ref", "register", "reinterpret_cast", "repeat", "require", "rescue", "restrict",
    "retry", "return", "sealed", "select", "self", "short", "signed", "sizeof", "static", "static_assert",
    "static_cast", "string", "struct", "super", "suspend", "switch", "synchronized", "template", "then",
    "this", "throw", "throws", "trait", "transient", "true", "try", "typedef", "typeid", "typename", "typeof",
    "uint", "ulong", "undef", "undefined", "union", "unless", "unsafe", "unsigned", "until", "use", "using",
    "val", "var", "virtual", "void", "volatile", "when", "where", "while", "with", "yield",
};

/* C preprocessor words that make a '#' first on a line a directive. */
static const char *const directives[] = {"define", "elif",  "else",   "endif", "error", "if",
                                         "ifdef",  "ifndef", "include", "line",  "pragma", "undef"};

/* Operators of more than one character, longest first. */
static const char *const ops[] = {
    ">>>=", "<<=", ">>=", ">>>", "...", "**=", "<=>", "===", "!==", "?\?=", "&&=", "||=", "->", "=>", "::", "++",
    "--",   "&&",  "||",  "==",  "!=",  "<=",  ">=",  "+=",  "-=",  "*=",  "/=",  "%=",  "&=", "|=", "^=", "<<",
    ">>",   "**",  "..",  "?.",  "??",  ":=",  "<-",  "|>",  "##",
};

static int cmp_kw(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Is s[0..n) a keyword? */
static int is_keyword(const char *s, size_t n)
{
    char w[32];
    if (n == 0 || n >= sizeof w) return 0;
    memcpy(w, s, n);
    w[n] = 0;
    const char *k = w;
    return bsearch(&k, keywords, sizeof keywords / sizeof keywords[0], sizeof keywords[0], cmp_kw) != NULL;
}

static int is_alpha(uint8_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static int is_hex(uint8_t c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static int id_start(uint8_t c) { return is_alpha(c) || c == '_' || c == '$'; }
static int id_char(uint8_t c) { return id_start(c) || is_digit(c); }

/* The non-ASCII character at s[0..n): its length (0: invalid UTF-8) and
 * class: 1 a letter, mark or digit (identifier), 2 white space or a
 * control, 0 anything else (punctuation, a symbol). */
static size_t wide_char(const uint8_t *s, size_t n, int *cls)
{
    int32_t cp;
    size_t l = pk_utf8_decode(s, n, &cp);
    if (!l) return 0;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        *cls = 1;
        break;
    case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF:
        *cls = 2;
        break;
    default: *cls = 0;
    }
    return l;
}

void pk_code_lexer_init(pk_code_lexer *L, const char *s, size_t n)
{
    memset(L, 0, sizeof *L);
    L->s = (const uint8_t *)s;
    L->n = n;
    L->line = 1;
    L->bol = 1;
    L->no_tick = L->no_dq3 = L->no_sq3 = SIZE_MAX;
}

/* Advance over s[L->pos .. to), counting lines. */
static void skip_to(pk_code_lexer *L, size_t to)
{
    for (size_t i = L->pos; i < to; i++)
        if (L->s[i] == '\n') L->line++;
    L->pos = to;
}

/* The end of a quoted string opening at q (the quote at s[q]): past its
 * closing quote, or at the line end (single-line strings), or 0 when a
 * multi-line one (``` or triple quotes, qlen 3) is never closed. */
static size_t string_end(const pk_code_lexer *L, size_t q, uint8_t quote, size_t qlen, int multiline)
{
    const uint8_t *s = L->s;
    size_t i = q + qlen;
    while (i < L->n) {
        uint8_t c = s[i];
        if (c == '\\' && i + 1 < L->n) {
            if (!multiline && s[i + 1] == '\n') return i + 1; /* a line continuation ends it too */
            i += 2;
            continue;
        }
        if (c == '\n' && !multiline) return i;
        if (c == quote && (qlen == 1 || (i + 2 < L->n && s[i + 1] == quote && s[i + 2] == quote)))
            return i + qlen;
        i++;
    }
    return multiline ? 0 : L->n;
}

int pk_code_next(pk_code_lexer *L, pk_code_lexeme *t)
{
    const uint8_t *s = L->s;
    const size_t n = L->n;
    for (;;) {
        if (L->pos >= n) return 0;
        size_t p = L->pos;
        uint8_t c = s[p];
        /* White space, controls, invalid UTF-8. */
        if (c == '\n') { L->line++; L->pos++; L->bol = 1; continue; }
        if (c <= ' ' || c == 0x7f) { L->pos++; continue; }
        int cls = 0;
        size_t wl = 0;
        if (c >= 0x80) {
            wl = wide_char(s + p, n - p, &cls);
            if (!wl || cls == 2) { L->pos += wl ? wl : 1; continue; }
        }
        const int bol = L->bol;
        L->bol = 0;
        t->off = p;
        t->line = L->line;
        /* Comments. */
        if (c == '/' && p + 1 < n && s[p + 1] == '/') {
            const uint8_t *e = memchr(s + p, '\n', n - p);
            L->pos = e ? (size_t)(e - s) : n;
            continue;
        }
        if (c == '/' && p + 1 < n && s[p + 1] == '*') {
            const uint8_t *e = p + 2 < n ? memmem(s + p + 2, n - p - 2, "*/", 2) : NULL;
            skip_to(L, e ? (size_t)(e - s) + 2 : n);
            continue;
        }
        if (c == '#') {
            if (bol) {
                size_t q = p + 1;
                while (q < n && (s[q] == ' ' || s[q] == '\t')) q++;
                size_t w = q;
                while (w < n && is_alpha(s[w])) w++;
                for (size_t i = 0; i < sizeof directives / sizeof directives[0]; i++) {
                    if (strlen(directives[i]) == w - q && memcmp(directives[i], s + q, w - q) == 0 &&
                        (w >= n || !id_char(s[w]))) {
                        t->kind = PK_CODE_DIRECTIVE;
                        t->len = w - p;
                        t->word = q;
                        L->pos = w;
                        return 1;
                    }
                }
            }
            if (!(p + 1 < n && s[p + 1] == '#')) { /* ## is token pasting */
                const uint8_t *e = memchr(s + p, '\n', n - p);
                L->pos = e ? (size_t)(e - s) : n;
                continue;
            }
        }
        /* A Markdown code fence (three or more backquotes) and the rest of
         * its line (the language name): code pasted into a chat or a
         * README is mostly fenced, and its fences are not strings. */
        if (c == '`' && p + 2 < n && s[p + 1] == '`' && s[p + 2] == '`') {
            const uint8_t *e = memchr(s + p, '\n', n - p);
            L->pos = e ? (size_t)(e - s) : n;
            continue;
        }
        /* Strings. */
        if (c == '"' || c == '\'' || c == '`') {
            size_t e = 0;
            int triple = c != '`' && p + 2 < n && s[p + 1] == c && s[p + 2] == c;
            size_t *no = c == '`' ? &L->no_tick : c == '"' ? &L->no_dq3 : &L->no_sq3;
            if ((triple || c == '`') && p < *no) {
                e = string_end(L, p, c, triple ? 3 : 1, 1);
                if (!e) *no = p; /* never closed: nor is any later one */
            }
            if (!e && c != '`') e = string_end(L, p, c, 1, 0);
            if (e) {
                t->kind = PK_CODE_STRING;
                t->len = e - p;
                skip_to(L, e);
                return 1;
            }
            /* An unclosed backquote: punctuation. */
        }
        /* Numbers: a digit, or '.' before a digit. */
        if (is_digit(c) || (c == '.' && p + 1 < n && is_digit(s[p + 1]))) {
            size_t q = p;
            int hex = c == '0' && p + 1 < n && (s[p + 1] == 'x' || s[p + 1] == 'X');
            int dot = 0;
            if (hex) q += 2;
            while (q < n) {
                uint8_t d = s[q];
                if (is_alpha(d) || is_digit(d) || d == '_') {
                    q++;
                    /* An exponent's sign: e/E in decimal, p/P in hex. */
                    if (q < n && (s[q] == '+' || s[q] == '-') && q + 1 < n && is_digit(s[q + 1]) &&
                        ((!hex && (d == 'e' || d == 'E')) || (hex && (d == 'p' || d == 'P'))))
                        q++;
                } else if (d == '.' && !dot && !hex && q + 1 < n && is_digit(s[q + 1])) {
                    dot = 1;
                    q++;
                } else if (d == '\'' && q > p && q + 1 < n && is_hex(s[q - 1]) && is_hex(s[q + 1])) {
                    q++; /* C++14 digit separator */
                } else {
                    break;
                }
            }
            t->kind = PK_CODE_NUMBER;
            t->len = q - p;
            L->pos = q;
            return 1;
        }
        /* Identifiers and keywords. */
        if (id_start(c) || cls == 1) {
            size_t q = p;
            int ascii = 1;
            while (q < n) {
                if (s[q] < 0x80) {
                    if (!id_char(s[q])) break;
                    q++;
                    continue;
                }
                int k = 0;
                size_t l = wide_char(s + q, n - q, &k);
                if (!l || k != 1) break;
                ascii = 0;
                q += l;
            }
            t->kind = ascii && is_keyword((const char *)s + p, q - p) ? PK_CODE_KEYWORD : PK_CODE_IDENT;
            t->len = q - p;
            L->pos = q;
            return 1;
        }
        /* Operators and punctuation. */
        t->kind = PK_CODE_OP;
        t->len = wl ? wl : 1;
        if (c < 0x80) {
            for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
                size_t l = strlen(ops[i]);
                if (l <= n - p && memcmp(ops[i], s + p, l) == 0) {
                    t->len = l;
                    break;
                }
            }
        }
        L->pos = p + t->len;
        return 1;
    }
}

/* ---- normalization ------------------------------------------------------- */

void pk_code_norm_init(pk_code_norm *cn)
{
    memset(cn, 0, sizeof *cn);
    pk_buf_init(&cn->text, 0);
}

void pk_code_norm_free(pk_code_norm *cn)
{
    if (!cn) return;
    pk_buf_free(&cn->text);
    free(cn->map);
    free(cn->lines);
    memset(cn, 0, sizeof *cn);
}

static int put_word(pk_code_norm *cn, const pk_code_lexeme *t, const char *src)
{
    static const char hex[] = "0123456789abcdef";
    char w[64];
    size_t wn = 0;
    switch (t->kind) {
    case PK_CODE_IDENT: memcpy(w, "zqid", 4); wn = 4; break;
    case PK_CODE_STRING: memcpy(w, "zqstr", 5); wn = 5; break;
    case PK_CODE_KEYWORD: break; /* itself, below */
    case PK_CODE_NUMBER: break;
    case PK_CODE_DIRECTIVE:
        memcpy(w, "zqpp", 4);
        wn = 4;
        for (size_t i = t->word; i < t->off + t->len && wn < sizeof w; i++) w[wn++] = src[i];
        break;
    default: /* an operator: its bytes in hex (at most 4 bytes) */
        memcpy(w, "zqo", 3);
        wn = 3;
        for (size_t i = 0; i < t->len && i < 4; i++) {
            uint8_t b = (uint8_t)src[t->off + i];
            w[wn++] = hex[b >> 4];
            w[wn++] = hex[b & 15];
        }
    }
    pk_buf *o = &cn->text;
    int rc;
    if (o->len && o->data[o->len - 1] != '\n' && (rc = pk_buf_putc(o, ' '))) return rc;
    const size_t roff = o->len;
    if (t->kind == PK_CODE_KEYWORD) {
        if ((rc = pk_buf_append(o, src + t->off, t->len))) return rc;
    } else if (t->kind == PK_CODE_NUMBER) {
        /* Digit separators dropped: 1_000, 1'000 and 1000 are the same. */
        for (size_t i = 0; i < t->len; i++) {
            char c = src[t->off + i];
            if (c != '_' && c != '\'' && (rc = pk_buf_putc(o, c))) return rc;
        }
        if (o->len == roff && (rc = pk_buf_putc(o, '0'))) return rc;
    } else if ((rc = pk_buf_append(o, w, wn))) {
        return rc;
    }
    if (cn->nwords == cn->cap) {
        size_t nc = cn->cap ? 2 * cn->cap : 1024, bytes;
        if (!pk_mul_ok(nc, sizeof *cn->map, &bytes)) return PK_ENOMEM;
        pk_code_span *m = realloc(cn->map, bytes);
        if (!m) return PK_ENOMEM;
        cn->map = m;
        cn->cap = nc;
    }
    pk_code_span *m = &cn->map[cn->nwords++];
    m->roff = roff;
    m->start = t->off;
    m->end = t->off + t->len;
    return 0;
}

/* End the rendered line of source line `line`, remembering it. */
static int end_line(pk_code_norm *cn, uint32_t line)
{
    if (cn->nlines == cn->lcap) {
        size_t nc = cn->lcap ? 2 * cn->lcap : 256, bytes;
        if (!pk_mul_ok(nc, sizeof *cn->lines, &bytes)) return PK_ENOMEM;
        uint32_t *l = realloc(cn->lines, bytes);
        if (!l) return PK_ENOMEM;
        cn->lines = l;
        cn->lcap = nc;
    }
    cn->lines[cn->nlines++] = line;
    return pk_buf_putc(&cn->text, '\n');
}

int pk_code_normalize(pk_code_norm *cn, const char *s, size_t n, pk_error *err)
{
    pk_buf_reset(&cn->text);
    cn->nwords = 0;
    cn->nlines = 0;
    pk_code_lexer L;
    pk_code_lexer_init(&L, s, n);
    pk_code_lexeme t;
    uint32_t cur = 0; /* source line of the rendered line open, 0: none */
    int rc = 0;
    while (!rc && pk_code_next(&L, &t)) {
        if (cur && t.line != cur && (rc = end_line(cn, cur))) break;
        cur = t.line;
        rc = put_word(cn, &t, s);
    }
    if (!rc && cur) rc = end_line(cn, cur);
    if (rc == PK_ETOOBIG) return pk_fail(err, rc, "normalized code over %zu bytes", cn->text.len);
    if (rc) return pk_fail(err, PK_ENOMEM, "out of memory");
    return 0;
}

/* The last word whose rendered offset is <= x (strict: < x), or 0. */
static size_t word_at(const pk_code_norm *cn, uint64_t x, int strict)
{
    size_t lo = 0, hi = cn->nwords;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strict ? cn->map[mid].roff < x : cn->map[mid].roff <= x) lo = mid + 1; else hi = mid;
    }
    return lo ? lo - 1 : 0;
}

uint64_t pk_code_map_start(const pk_code_norm *cn, uint64_t roff)
{
    return cn->nwords ? cn->map[word_at(cn, roff, 0)].start : 0;
}

uint64_t pk_code_map_end(const pk_code_norm *cn, uint64_t rend)
{
    return cn->nwords ? cn->map[word_at(cn, rend, 1)].end : 0;
}

int pk_code_check_utf8(const char *s, size_t n, size_t *invalid, size_t *first, size_t *nul)
{
    const uint8_t *u = (const uint8_t *)s;
    *invalid = 0;
    *first = SIZE_MAX;
    *nul = SIZE_MAX;
    for (size_t i = 0; i < n;) {
        if (u[i] < 0x80) {
            if (u[i] == 0 && *nul == SIZE_MAX) *nul = i;
            i++;
            continue;
        }
        int32_t cp;
        size_t l = pk_utf8_decode(u + i, n - i, &cp);
        if (l) { i += l; continue; }
        if (*first == SIZE_MAX) *first = i;
        (*invalid)++;
        i++;
    }
    return *invalid == 0 && *nul == SIZE_MAX;
}

/* ---- the work reader ------------------------------------------------------ */

int pk_code_render(pk_doc *d, const char *s, size_t n, int normalize, unsigned tok_flags, pk_error *err)
{
    int rc = 0;
    pk_buf conv;
    pk_code_norm cn;
    pk_buf_init(&conv, 0);
    pk_code_norm_init(&cn);
    const char *t;
    size_t tn, skip;
    if ((rc = pk_text_prepare(s, n, &conv, &t, &tn, &skip, err))) goto cleanup;
    const size_t base = t == s ? skip : 0; /* offsets named: of the file when it was UTF-8 */
    t += skip;
    tn -= skip;
    size_t invalid, first, nul;
    if (!pk_code_check_utf8(t, tn, &invalid, &first, &nul)) {
        if (nul != SIZE_MAX) {
            rc = pk_fail(err, PK_EFORMAT, "binary file, not source code: NUL byte at byte offset %zu", base + nul);
            goto cleanup;
        }
        if (invalid >= BINARY_MIN_INVALID && invalid > tn / BINARY_RATIO) {
            rc = pk_fail(err, PK_EFORMAT,
                         "binary file, not source code: %zu invalid UTF-8 sequences, the first at byte offset %zu",
                         invalid, base + first);
            goto cleanup;
        }
        if (normalize && !(tok_flags & PK_TOK_LOSSY)) {
            /* The text renderer leaves this to the tokenizer; the
             * normalized rendering is ASCII, so it must say it here. */
            rc = pk_fail(err, PK_EUTF8, "invalid UTF-8 at byte %zu", base + first);
            goto cleanup;
        }
    }
    d->format = normalize ? PK_WORK_CODE_NORM : PK_WORK_CODE;
    if (!normalize) {
        /* Itself, as plain text: no line arrays, line i is line i. */
        if (pk_buf_append(&d->text, t, tn)) rc = pk_fail(err, PK_ENOMEM, "out of memory");
        goto cleanup;
    }
    if ((rc = pk_code_normalize(&cn, t, tn, err))) goto cleanup;
    const char *p = cn.text.data;
    for (size_t i = 0; i < cn.nlines; i++) {
        const char *e = memchr(p, '\n', (size_t)(cn.text.data + cn.text.len - p));
        if (pk_doc_line(d, p, (size_t)(e - p), cn.lines[i], 0, 0)) {
            rc = pk_fail(err, PK_ENOMEM, "out of memory");
            goto cleanup;
        }
        p = e + 1;
    }
cleanup:
    pk_buf_free(&conv);
    pk_code_norm_free(&cn);
    return rc;
}
