/* jsonl.c -- pull the text and id members out of one JSONL record.
 *
 * Why a hand-written scanner and not a JSON library: scan must read
 * 400+ MB/s of JSONL, and a DOM parser such as jansson manages about
 * 0.1-0.3 GB/s because it allocates a node per value, hashes every key and
 * copies every string.  Here nothing is built: one left-to-right pass
 * validates the whole line against RFC 8259 and copies out only the two
 * top-level members asked for.  bench/jsonl_vs_jansson.c measures it on
 * 200 MB of records with several KB of text each: about 1.5 GB/s here
 * against 80 MB/s for jansson's json_loadb + json_object_get (one core of
 * a Xeon, gcc -O2), a factor of about 19.
 *
 * The hot loop is the inside of a long string.  It stops only at '"',
 * '\\', a control byte (< 0x20, an error) or a non-ASCII byte (whose UTF-8
 * is then checked by a scalar decoder); SSE2 finds those 16 bytes at a time
 * with one signed compare covering both < 0x20 and >= 0x80.  Unescaped
 * runs are copied with one memcpy each, so the text of an English record
 * costs about one pass over it; with AVX-512 (simd.h's level) the member
 * asked for is searched and copied in the same 64-byte steps
 * (copy_plain_avx512), with AVX2 in 32-byte steps (copy_plain_avx2);
 * test_jsonl compares the levels.  The output buffer is reserved once per
 * string for the rest of the line (unescaping never grows a string), so
 * the copy loop checks a bound but never reallocates.
 *
 * Invariants and choices:
 *   - the whole line is validated even after both members were found; a
 *     record that jansson would reject is rejected here too, except that
 *     lone surrogate escapes become U+FFFD (jansson refuses them) and
 *     numbers of any size are accepted (jansson refuses overflow);
 *   - nesting deeper than MAX_DEPTH is an error (the recursion is bounded);
 *   - err_off is the offset of the first byte at which the line can no
 *     longer be valid JSON (len when it ends too early), except for invalid
 *     UTF-8, where it is the first byte of the bad sequence;
 *   - keys are compared after unescaping, so "t\u0065xt" is "text"; a key
 *     seen twice: the last occurrence wins.
 *
 * Field paths.  A name with a dot ("meta.content", "messages.0.content")
 * is a path: each part is a key of an object, and a part that is a plain
 * decimal number ("0", "12"; not "01") is also an index into an array, so
 * messages.0.content is the "content" of the first element of "messages".
 * A key that itself holds a dot is reached as a whole at the top level: a
 * top-level member named exactly "meta.content" wins over the path (so a
 * flattened export keeps working); a dotted key deeper down cannot be
 * named.  Path mode is a second copy of the object walk (pobject, parray)
 * that compares keys only in containers on a path; the flat walk (object)
 * is untouched, so a name without a dot costs what it did.  The path's
 * string is copied out as soon as it is met, like a flat member; the
 * whole-name key is only noted (its offset) and copied once the line is
 * valid, since it wins wherever it stands. */
#include "pk.h"

#include <string.h>

#if defined(__SSE2__) && !defined(PK_JSONL_NO_SIMD)
#include <emmintrin.h>
#define HAVE_SSE2 1
#endif

#include "../simd.h"
#if PK_X86_SIMD && !defined(PK_JSONL_NO_SIMD)
#include <immintrin.h>
#define HAVE_AVX512 1
#endif

#define MAX_DEPTH 512

typedef struct scan {
    const unsigned char *s;
    size_t n;
    size_t i;          /* next byte to look at */
    int rc;            /* first error */
    size_t err_off;
    const char *why;
} scan;

#define MAX_PARTS PK_JSONL_MAX_PARTS
#define NOT_INDEX ((size_t)-1)

/* One step of a field path: a key, and the array index it also spells
 * (NOT_INDEX when it is not a plain decimal number). */
typedef struct part {
    const char *s;
    size_t n, idx;
} part;

typedef struct fpath {
    part p[MAX_PARTS];
    int np;            /* 0: no such field (no id asked for) */
} fpath;

/* What the record is searched for.  Flat mode: the top-level object's
 * members text_key and id_key.  Path mode (either name holds a '.'): the
 * paths tp and ip, plus the whole names as top-level keys (lit_*), which
 * win when present. */
typedef struct want {
    const char *text_key, *id_key;
    size_t text_klen, id_klen;
    pk_buf *text, *id;
    int text_state;    /* 0 absent, 1 string, 2 not a string */
    bool id_ok;        /* id holds a usable value */
    pk_buf key;        /* scratch for keys written with escapes */
    const fpath *tp, *ip; /* path mode only, else NULL */
    size_t lit_text_off, lit_id_off; /* value offsets of the whole-name keys */
    bool lit_text, lit_id;           /* seen */
} want;

static int fail_rc(scan *x, int rc, size_t off, const char *why)
{
    x->rc = rc;
    x->err_off = off;
    x->why = why;
    return rc;
}

static int fail_at(scan *x, size_t off, const char *why)
{
    return fail_rc(x, PK_EFORMAT, off, why);
}

/* Fail at the current byte, or say the input ended early. */
static int fail_here(scan *x, const char *why)
{
    if (x->i >= x->n) return fail_at(x, x->n, "unexpected end of input");
    return fail_at(x, x->i, why);
}

static inline void skip_ws(scan *x)
{
    while (x->i < x->n) {
        unsigned char c = x->s[x->i];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') break;
        x->i++;
    }
}

/* Index of the first byte in s[i..n) that is '"', '\\', < 0x20 or >= 0x80;
 * n if none. */
static inline size_t plain_end(const unsigned char *s, size_t i, size_t n)
{
#ifdef HAVE_SSE2
    const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
    while (n - i >= 32) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 16));
        /* signed compare: bytes >= 0x80 are negative, so "< 0x20" catches
         * control bytes and non-ASCII at once */
        __m128i ma = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(a, q), _mm_cmpeq_epi8(a, bs)),
                                  _mm_cmplt_epi8(a, sp));
        __m128i mb = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, q), _mm_cmpeq_epi8(b, bs)),
                                  _mm_cmplt_epi8(b, sp));
        unsigned m = (unsigned)_mm_movemask_epi8(ma) | ((unsigned)_mm_movemask_epi8(mb) << 16);
        if (m) return i + (size_t)__builtin_ctz(m);
        i += 32;
    }
    if (n - i >= 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i ma = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(a, q), _mm_cmpeq_epi8(a, bs)),
                                  _mm_cmplt_epi8(a, sp));
        unsigned m = (unsigned)_mm_movemask_epi8(ma);
        if (m) return i + (size_t)__builtin_ctz(m);
        i += 16;
    }
#else
    /* SWAR: a word holds a special byte iff one of these masks is set. */
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    while (n - i >= 8) {
        uint64_t v;
        memcpy(&v, s + i, 8);
        uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
        uint64_t m = (v & high) | ((v - ones * 0x20) & ~v & high) |
                     ((q - ones) & ~q & high) | ((b - ones) & ~b & high);
        if (m) break;
        i += 8;
    }
#endif
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
        i++;
    }
    return i;
}

/* Length of the valid UTF-8 sequence at s[0..n), 0 if invalid (RFC 3629:
 * no overlong forms, surrogates or code points past U+10FFFF). */
static inline size_t utf8_len(const unsigned char *s, size_t n)
{
    int32_t cp;
    return pk_utf8_decode(s, n, &cp);
}

/* Append k bytes to out, which has room reserved up to lim bytes. */
static inline int put(scan *x, pk_buf *out, size_t lim, const void *p, size_t k, size_t off)
{
    if (k > lim - out->len) return fail_rc(x, PK_ETOOBIG, off, "string too large");
    memcpy(out->data + out->len, p, k);
    out->len += k;
    return 0;
}

static int hexval(unsigned c)
{
    if (c - '0' < 10) return (int)(c - '0');
    c |= 0x20;
    if (c - 'a' < 6) return (int)(c - 'a' + 10);
    return -1;
}

/* Four hex digits at s[i..); returns false and sets *bad_off if not. */
static bool hex4(const unsigned char *s, size_t i, size_t n, unsigned *cp, size_t *bad_off)
{
    unsigned v = 0;
    for (size_t k = 0; k < 4; k++) {
        if (i + k >= n) { *bad_off = n; return false; }
        int h = hexval(s[i + k]);
        if (h < 0) { *bad_off = i + k; return false; }
        v = v << 4 | (unsigned)h;
    }
    *cp = v;
    return true;
}

static size_t utf8_put(unsigned cp, unsigned char *o)
{
    if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The escape whose backslash is at s[i]: validate it, append its bytes to
 * out (if any), and set *next past it. */
static int escape(scan *x, size_t i, pk_buf *out, size_t lim, size_t *next)
{
    const unsigned char *s = x->s;
    size_t n = x->n;
    if (i + 1 >= n) return fail_at(x, n, "unterminated string");
    unsigned char ch;
    switch (s[i + 1]) {
    case '"': ch = '"'; break;
    case '\\': ch = '\\'; break;
    case '/': ch = '/'; break;
    case 'b': ch = '\b'; break;
    case 'f': ch = '\f'; break;
    case 'n': ch = '\n'; break;
    case 'r': ch = '\r'; break;
    case 't': ch = '\t'; break;
    case 'u': {
        unsigned cp, lo;
        size_t bad_off;
        if (!hex4(s, i + 2, n, &cp, &bad_off)) return fail_at(x, bad_off, "invalid \\u escape");
        i += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            /* A pair only if a low surrogate escape follows; otherwise the
             * high one is lone and the next escape is read on its own. */
            if (i + 6 <= n && s[i] == '\\' && s[i + 1] == 'u' && hex4(s, i + 2, n, &lo, &bad_off) &&
                lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            } else {
                cp = 0xFFFD;
            }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = 0xFFFD;
        }
        *next = i;
        if (!out) return 0;
        unsigned char u[4];
        size_t k = utf8_put(cp, u);
        return put(x, out, lim, u, k, i);
    }
    default: return fail_at(x, i + 1, "invalid escape");
    }
    *next = i + 2;
    return out ? put(x, out, lim, &ch, 1, i) : 0;
}

#ifdef HAVE_AVX512
/* The plain bytes of a string copied out as they are found, 64 at a time:
 * each block is tested for '"', '\\', < 0x20 and >= 0x80 (a signed
 * compare), and its plain prefix stored to o with a masked store, so the
 * text of a record is read once and no memcpy is called per run (the SSE2
 * search, 32 bytes a step, then a memcpy a run: pk_jsonl_extract on 200 MB
 * of records, best of 7, 2,600-3,470 -> 3,000-3,740 MB/s).  From s[i], at
 * most room bytes out; returns the index of
 * the first special byte, or where fewer than 64 bytes (of input or of
 * room) are left; *k gets the count copied. */
__attribute__((target("avx512f,avx512bw,bmi2"))) static size_t copy_plain_avx512(const unsigned char *s, size_t i, size_t n,
                                                                            char *o, size_t room, size_t *k)
{
    const __m512i q = _mm512_set1_epi8('"'), bs = _mm512_set1_epi8('\\'), sp = _mm512_set1_epi8(0x20);
    size_t c = 0;
    while (n - i >= 64 && room - c >= 64) {
        const __m512i v = _mm512_loadu_si512((const void *)(s + i));
        const uint64_t m = _mm512_cmpeq_epi8_mask(v, q) | _mm512_cmpeq_epi8_mask(v, bs) | _mm512_cmplt_epi8_mask(v, sp);
        if (!m) {
            _mm512_storeu_si512((void *)(o + c), v);
            i += 64;
            c += 64;
            continue;
        }
        const unsigned z = (unsigned)__builtin_ctzll(m);
        _mm512_mask_storeu_epi8(o + c, _bzhi_u64(~(uint64_t)0, z), v);
        i += z;
        c += z;
        break;
    }
    *k = c;
    return i;
}

/* copy_plain_avx512 32 bytes at a time for AVX2, which has no masked byte
 * store: the whole block is stored and only its plain prefix counted
 * (the bytes after it are within the room, and overwritten or past the
 * string's end; extract_string ends the string with a zero).  The
 * SSE2 search and a memcpy a run took, on the AMD EPYC (Zen 3) of
 * BENCHMARKS.md session 8, scan_string 2.7% and memmove 2.3% of a JSONL
 * scan at AVX2. */
__attribute__((target("avx2,bmi"))) static size_t copy_plain_avx2(const unsigned char *s, size_t i, size_t n, char *o,
                                                                 size_t room, size_t *k)
{
    const __m256i q = _mm256_set1_epi8('"'), bs = _mm256_set1_epi8('\\'), sp = _mm256_set1_epi8(0x20);
    size_t c = 0;
    while (n - i >= 32 && room - c >= 32) {
        const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(s + i));
        /* signed: bytes >= 0x80 are below 0x20 too */
        const __m256i sp_or_high = _mm256_cmpgt_epi8(sp, v);
        const unsigned m = (unsigned)_mm256_movemask_epi8(
            _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v, q), _mm256_cmpeq_epi8(v, bs)), sp_or_high));
        _mm256_storeu_si256((__m256i *)(void *)(o + c), v);
        if (!m) {
            i += 32;
            c += 32;
            continue;
        }
        const unsigned z = (unsigned)__builtin_ctz(m);
        i += z;
        c += z;
        break;
    }
    *k = c;
    return i;
}
#endif

/* The string whose opening quote is at x->i: validate it and leave x->i
 * past the closing quote.  With out, append the unescaped bytes (at most
 * up to lim in all; the caller reserved that much).  *had_esc, if given,
 * says whether a backslash was seen. */
static int scan_string(scan *x, pk_buf *out, size_t lim, bool *had_esc)
{
    const unsigned char *s = x->s;
    /* run: where the plain run began (the offset errors name); cp: the
     * bytes before it are in out */
    size_t n = x->n, i = x->i + 1, run = i, cp = i;
#ifdef HAVE_AVX512
    const int level = pk_simd_level();
    int fused = out && level >= PK_SIMD_AVX2;
#endif
    for (;;) {
#ifdef HAVE_AVX512
        /* Never fails: where the room runs out, the plain path below
         * reports it as it would have (same offset, same error first). */
        if (fused && i > cp) {
            /* non-ASCII bytes were stepped over, not copied */
            if (i - cp > lim - out->len) fused = 0;
            else {
                memcpy(out->data + out->len, s + cp, i - cp);
                out->len += i - cp;
                cp = i;
            }
        }
        if (fused) {
            size_t k;
            i = level >= PK_SIMD_AVX512 ? copy_plain_avx512(s, i, n, out->data + out->len, lim - out->len, &k)
                                        : copy_plain_avx2(s, i, n, out->data + out->len, lim - out->len, &k);
            out->len += k;
            cp = i;
        }
#endif
        i = plain_end(s, i, n);
        if (i >= n) return fail_at(x, n, "unterminated string");
        unsigned char c = s[i];
        if (c == '"') {
            if (out && i > cp && put(x, out, lim, s + cp, i - cp, run)) return x->rc;
            x->i = i + 1;
            return 0;
        }
        if (c >= 0x80) {
            /* Non-ASCII text tends to come in runs: stay here for them. */
            do {
                size_t l = utf8_len(s + i, n - i);
                if (!l) return fail_at(x, i, "invalid UTF-8 in string");
                i += l;
            } while (i < n && s[i] >= 0x80);
            continue;
        }
        if (c < 0x20) return fail_at(x, i, "control character in string");
        if (had_esc) *had_esc = true;
        if (out && i > cp && put(x, out, lim, s + cp, i - cp, run)) return x->rc;
        if (escape(x, i, out, lim, &i)) return x->rc;
        run = cp = i;
    }
}

/* Unescape the string at x->i into out (reset first). */
static int extract_string(scan *x, pk_buf *out)
{
    pk_buf_reset(out);
    /* Unescaping never makes a string longer, so the rest of the line is
     * always enough room. */
    size_t lim = PK_MIN(x->n - x->i, out->max);
    int rc = pk_buf_reserve(out, lim);
    if (rc) return fail_rc(x, rc, x->i, rc == PK_ENOMEM ? "out of memory" : "string too large");
    rc = scan_string(x, out, lim, NULL);
    out->data[out->len] = 0;
    return rc;
}

static int literal(scan *x, const char *lit, size_t k)
{
    for (size_t j = 0; j < k; j++) {
        if (x->i + j >= x->n) return fail_at(x, x->n, "unexpected end of input");
        if (x->s[x->i + j] != (unsigned char)lit[j]) return fail_at(x, x->i + j, "invalid literal");
    }
    x->i += k;
    return 0;
}

static inline bool is_digit(const scan *x)
{
    return x->i < x->n && (unsigned)x->s[x->i] - (unsigned)'0' < 10u;
}

/* number = [ minus ] int [ frac ] [ exp ] */
static int number(scan *x)
{
    if (x->s[x->i] == '-') x->i++;
    if (!is_digit(x)) return fail_here(x, "invalid number");
    if (x->s[x->i++] != '0')
        while (is_digit(x)) x->i++;
    if (x->i < x->n && x->s[x->i] == '.') {
        x->i++;
        if (!is_digit(x)) return fail_here(x, "invalid number");
        while (is_digit(x)) x->i++;
    }
    if (x->i < x->n && (x->s[x->i] | 0x20) == 'e') {
        x->i++;
        if (x->i < x->n && (x->s[x->i] == '+' || x->s[x->i] == '-')) x->i++;
        if (!is_digit(x)) return fail_here(x, "invalid number");
        while (is_digit(x)) x->i++;
    }
    return 0;
}

static int value(scan *x, unsigned depth);

/* The key whose bytes start at kstart and whose closing quote is at
 * x->i - 1, as bytes to compare: in place, or decoded into w->key when it
 * was written with escapes (rare). */
static inline int key_bytes(scan *x, want *w, size_t kstart, bool esc, const unsigned char **k, size_t *klen)
{
    *k = x->s + kstart;
    *klen = x->i - 1 - kstart;
    if (!esc) return 0;
    size_t end = x->i;
    x->i = kstart - 1;
    pk_buf_reset(&w->key);
    int rc = pk_buf_reserve(&w->key, *klen);
    if (rc) return fail_rc(x, rc, kstart, "key too large");
    scan_string(x, &w->key, *klen, NULL); /* already validated */
    x->i = end;
    *k = (const unsigned char *)w->key.data;
    *klen = w->key.len;
    return 0;
}

/* The value at x->i is the text member (is_text), the id (is_id) or
 * both: copy it out and record what it was. */
static inline int take(scan *x, unsigned depth, want *w, bool is_text, bool is_id)
{
    if (x->i < x->n && x->s[x->i] == '"') {
        if (extract_string(x, is_text ? w->text : w->id)) return x->rc;
        if (is_text) w->text_state = 1;
        if (is_id) {
            if (is_text) {
                pk_buf_reset(w->id);
                int rc = pk_buf_append(w->id, w->text->data, w->text->len);
                if (rc) return fail_rc(x, rc, x->i, "id too large");
            }
            w->id_ok = true;
        }
        return 0;
    }
    size_t vstart = x->i;
    if (value(x, depth)) return x->rc;
    if (is_text) w->text_state = 2;
    if (is_id) {
        unsigned char c = x->s[vstart];
        pk_buf_reset(w->id);
        w->id_ok = false;
        if (c != '{' && c != '[') {
            /* number, true, false or null: copied as written */
            int rc = pk_buf_append(w->id, x->s + vstart, x->i - vstart);
            if (rc) return fail_rc(x, rc, vstart, "id too large");
            w->id_ok = true;
        }
    }
    return 0;
}

/* The object whose '{' is at x->i, at nesting level depth (the top-level
 * object is 1).  w is non-NULL only for the top-level object. */
static int object(scan *x, unsigned depth, want *w)
{
    if (depth > MAX_DEPTH) return fail_at(x, x->i, "nesting too deep");
    x->i++;
    skip_ws(x);
    if (x->i < x->n && x->s[x->i] == '}') { x->i++; return 0; }
    for (;;) {
        if (x->i >= x->n || x->s[x->i] != '"') return fail_here(x, "expected a string key");
        size_t kstart = x->i + 1;
        bool esc = false;
        if (scan_string(x, NULL, 0, w ? &esc : NULL)) return x->rc;
        bool is_text = false, is_id = false;
        if (w) {
            const unsigned char *k;
            size_t klen;
            if (key_bytes(x, w, kstart, esc, &k, &klen)) return x->rc;
            is_text = klen == w->text_klen && memcmp(k, w->text_key, klen) == 0;
            is_id = w->id_key && klen == w->id_klen && memcmp(k, w->id_key, klen) == 0;
        }
        skip_ws(x);
        if (x->i >= x->n || x->s[x->i] != ':') return fail_here(x, "expected ':'");
        x->i++;
        skip_ws(x);
        if (!is_text && !is_id) {
            if (value(x, depth)) return x->rc;
        } else if (take(x, depth, w, is_text, is_id)) {
            return x->rc;
        }
        skip_ws(x);
        if (x->i < x->n && x->s[x->i] == ',') {
            x->i++;
            skip_ws(x);
            continue;
        }
        if (x->i < x->n && x->s[x->i] == '}') { x->i++; return 0; }
        return fail_here(x, "expected ',' or '}'");
    }
}

/* ---- path mode -------------------------------------------------------------
 * The same validating walk, but every container on the way to the text or
 * the id carries how many parts of each path it has matched (tl, il; -1
 * when it is off that path).  A value reached by a key or index that
 * matches the next part goes to step(); any other value to value(), which
 * compares nothing.  A later duplicate of a key on the path replaces what
 * the earlier one gave, as in a DOM parser where the last key wins. */

static int pobject(scan *x, unsigned depth, want *w, int tl, int il);
static int parray(scan *x, unsigned depth, want *w, int tl, int il);

/* The value at x->i, reached with tn parts of the text path and in parts
 * of the id path matched (-1: not on it). */
static int step(scan *x, unsigned depth, want *w, int tn, int in)
{
    if (tn >= 0) { w->text_state = 0; pk_buf_reset(w->text); }
    if (in >= 0) { w->id_ok = false; pk_buf_reset(w->id); }
    bool te = tn == w->tp->np, ie = in == w->ip->np;
    unsigned char c = x->i < x->n ? x->s[x->i] : 0;
    if (c == '{' || c == '[') {
        if (te) w->text_state = 2; /* a container is not a string; as an id, absent */
        int tn2 = te ? -1 : tn, in2 = ie ? -1 : in;
        if (tn2 < 0 && in2 < 0) return value(x, depth);
        return c == '{' ? pobject(x, depth + 1, w, tn2, in2) : parray(x, depth + 1, w, tn2, in2);
    }
    if (te || ie) return take(x, depth, w, te, ie);
    return value(x, depth); /* a scalar where the path goes on: not there */
}

static inline bool part_is(const part *pt, const unsigned char *k, size_t klen)
{
    return klen == pt->n && memcmp(k, pt->s, klen) == 0;
}

static int pobject(scan *x, unsigned depth, want *w, int tl, int il)
{
    if (depth > MAX_DEPTH) return fail_at(x, x->i, "nesting too deep");
    x->i++;
    skip_ws(x);
    if (x->i < x->n && x->s[x->i] == '}') { x->i++; return 0; }
    for (;;) {
        if (x->i >= x->n || x->s[x->i] != '"') return fail_here(x, "expected a string key");
        size_t kstart = x->i + 1;
        bool esc = false;
        if (scan_string(x, NULL, 0, &esc)) return x->rc;
        const unsigned char *k;
        size_t klen;
        if (key_bytes(x, w, kstart, esc, &k, &klen)) return x->rc;
        int tn = tl >= 0 && part_is(&w->tp->p[tl], k, klen) ? tl + 1 : -1;
        int in = il >= 0 && part_is(&w->ip->p[il], k, klen) ? il + 1 : -1;
        bool lt = false, li = false;
        if (depth == 1) {
            lt = w->tp->np > 1 && klen == w->text_klen && memcmp(k, w->text_key, klen) == 0;
            li = w->ip->np > 1 && klen == w->id_klen && memcmp(k, w->id_key, klen) == 0;
        }
        skip_ws(x);
        if (x->i >= x->n || x->s[x->i] != ':') return fail_here(x, "expected ':'");
        x->i++;
        skip_ws(x);
        /* A top-level key that is the whole dotted name: taken at the end,
         * once the line is known to be valid. */
        if (lt) { w->lit_text = true; w->lit_text_off = x->i; }
        if (li) { w->lit_id = true; w->lit_id_off = x->i; }
        if (tn < 0 && in < 0) {
            if (value(x, depth)) return x->rc;
        } else if (step(x, depth, w, tn, in)) {
            return x->rc;
        }
        skip_ws(x);
        if (x->i < x->n && x->s[x->i] == ',') {
            x->i++;
            skip_ws(x);
            continue;
        }
        if (x->i < x->n && x->s[x->i] == '}') { x->i++; return 0; }
        return fail_here(x, "expected ',' or '}'");
    }
}

static int parray(scan *x, unsigned depth, want *w, int tl, int il)
{
    if (depth > MAX_DEPTH) return fail_at(x, x->i, "nesting too deep");
    x->i++;
    skip_ws(x);
    if (x->i < x->n && x->s[x->i] == ']') { x->i++; return 0; }
    for (size_t k = 0;; k++) {
        int tn = tl >= 0 && w->tp->p[tl].idx == k ? tl + 1 : -1;
        int in = il >= 0 && w->ip->p[il].idx == k ? il + 1 : -1;
        if (tn < 0 && in < 0) {
            if (value(x, depth)) return x->rc;
        } else if (step(x, depth, w, tn, in)) {
            return x->rc;
        }
        skip_ws(x);
        if (x->i < x->n && x->s[x->i] == ',') {
            x->i++;
            skip_ws(x);
            continue;
        }
        if (x->i < x->n && x->s[x->i] == ']') { x->i++; return 0; }
        return fail_here(x, "expected ',' or ']'");
    }
}

/* Split name at its dots.  false when it has more than MAX_PARTS parts. */
static bool path_split(const char *name, fpath *fp)
{
    fp->np = 0;
    for (const char *s = name;;) {
        const char *dot = strchr(s, '.');
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        if (fp->np == MAX_PARTS) return false;
        part *pt = &fp->p[fp->np++];
        pt->s = s;
        pt->n = n;
        pt->idx = NOT_INDEX;
        /* "0", "17": an index; "017", "-1", "" and 19+ digits are keys only */
        if (n > 0 && n < 19 && (n == 1 || s[0] != '0')) {
            size_t v = 0, i = 0;
            for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) v = v * 10 + (size_t)(s[i] - '0');
            if (i == n) pt->idx = v;
        }
        if (!dot) return true;
        s = dot + 1;
    }
}

static int array(scan *x, unsigned depth)
{
    if (depth > MAX_DEPTH) return fail_at(x, x->i, "nesting too deep");
    x->i++;
    skip_ws(x);
    if (x->i < x->n && x->s[x->i] == ']') { x->i++; return 0; }
    for (;;) {
        if (value(x, depth)) return x->rc;
        skip_ws(x);
        if (x->i < x->n && x->s[x->i] == ',') {
            x->i++;
            skip_ws(x);
            continue;
        }
        if (x->i < x->n && x->s[x->i] == ']') { x->i++; return 0; }
        return fail_here(x, "expected ',' or ']'");
    }
}

/* Any value at x->i, inside a container at level depth. */
static int value(scan *x, unsigned depth)
{
    if (x->i >= x->n) return fail_at(x, x->n, "unexpected end of input");
    switch (x->s[x->i]) {
    case '"': return scan_string(x, NULL, 0, NULL);
    case '{': return object(x, depth + 1, NULL);
    case '[': return array(x, depth + 1);
    case 't': return literal(x, "true", 4);
    case 'f': return literal(x, "false", 5);
    case 'n': return literal(x, "null", 4);
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9': return number(x);
    default: return fail_at(x, x->i, "expected a value");
    }
}

int pk_jsonl_extract(const char *line, size_t len, const char *text_key,
                     const char *id_key, pk_buf *text, pk_buf *id,
                     bool *has_id, size_t *err_off, const char **why)
{
    scan x = { (const unsigned char *)line, len, 0, 0, 0, NULL };
    want w = { .text_key = text_key, .id_key = id && id_key ? id_key : NULL, .text_klen = strlen(text_key),
               .id_klen = id && id_key ? strlen(id_key) : 0, .text = text, .id = id };
    pk_buf_init(&w.key, 0);
    pk_buf_reset(text);
    if (id) pk_buf_reset(id);
    if (has_id) *has_id = false;
    int rc;
    /* Uninitialized unless a name holds a dot: the flat path pays nothing. */
    fpath tp, ip;
    if (strchr(text_key, '.') || (w.id_key && strchr(w.id_key, '.'))) {
        ip.np = 0;
        if (!path_split(text_key, &tp) || (w.id_key && !path_split(w.id_key, &ip))) {
            rc = fail_rc(&x, PK_EINVAL, 0, "field path with more than 64 parts");
            goto done;
        }
        w.tp = &tp;
        w.ip = &ip;
    }

    skip_ws(&x);
    bool is_obj = x.i < x.n && x.s[x.i] == '{';
    if (x.i >= x.n) {
        rc = fail_at(&x, x.n, "empty line");
        goto done;
    }
    if (is_obj) rc = w.tp ? pobject(&x, 1, &w, 0, w.ip->np ? 0 : -1) : object(&x, 1, &w);
    else rc = value(&x, 0);
    if (rc) goto done;
    skip_ws(&x);
    if (x.i < x.n) {
        rc = fail_at(&x, x.i, is_obj ? "unexpected data after the object" : "unexpected data after the value");
        goto done;
    }
    /* Path mode: a top-level key spelled like the whole dotted name wins
     * over the path.  Its value is known to be valid now. */
    if (w.lit_text) {
        x.i = w.lit_text_off;
        w.text_state = 0;
        pk_buf_reset(text);
        if ((rc = take(&x, 1, &w, true, false))) goto done;
    }
    if (w.lit_id) {
        x.i = w.lit_id_off;
        w.id_ok = false;
        if ((rc = take(&x, 1, &w, false, true))) goto done;
    }
    x.err_off = 0;
    if (!is_obj) {
        rc = PK_ENOTFOUND;
        x.why = "not a JSON object";
    } else if (w.text_state != 1) {
        rc = PK_ENOTFOUND;
        x.why = w.text_state == 0 ? "no text member" : "text member is not a string";
        pk_buf_reset(text);
        if (has_id) *has_id = w.id_ok; /* the record can still be named */
        if (id && !w.id_ok) pk_buf_reset(id);
    } else {
        x.why = NULL;
        if (has_id) *has_id = w.id_ok;
        if (id && !w.id_ok) pk_buf_reset(id);
    }
done:
    pk_buf_free(&w.key);
    if (err_off) *err_off = x.err_off;
    if (why) *why = x.why;
    return rc;
}
