/* json.c -- the guard's JSON reader: a flat node table over the bytes.
 *
 * Why not jansson, which the rest of the guard used at first: under load
 * with 16 KB prompts, perf put 60% of the guard's CPU in jansson's
 * json_loadb (it reads a byte at a time through a stream abstraction,
 * allocates a node and hashes a key per member, copies every string), and
 * the guard reached 4,000 requests/s against a 5,000 target (bench/guard.sh,
 * 2 shared cores).  Here one pass validates the body against RFC 8259 and
 * records one 16-byte node per value (type, the byte range of its literal,
 * its child count and the index just past its subtree), with no string
 * copied: strings are unescaped only when the extractor asks, straight into
 * the text it scans.  Keeping the byte ranges also makes redaction a splice
 * of the original body: only the strings that change are re-encoded, and
 * everything else (numbers, spacing, key order) goes upstream as the
 * client wrote it.
 *
 * Choices, as jansson's where it matters to a proxy (the guard must not
 * read a body differently from the upstream):
 *   - invalid UTF-8, control bytes in strings, lone surrogate escapes and
 *     trailing garbage are errors, with the byte offset;
 *   - a key twice in one object is an error (compared after unescaping):
 *     parsers disagree on which one wins, and text could hide in the other;
 *   - numbers of any size are accepted (only their bytes are kept);
 *   - nesting deeper than PK_GJ_MAX_DEPTH is an error (bounded recursion);
 *   - a body over 4 GiB is refused (offsets are 32 bits). */
#include "guard/guard.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

typedef struct pstate {
    pk_gj *j;
    const unsigned char *s;
    size_t n, i;
    size_t err_off;
    const char *why;
    pk_buf keys; /* scratch for duplicate checks */
} pstate;

static int bad(pstate *p, size_t off, const char *why)
{
    if (!p->why) {
        p->err_off = off;
        p->why = why;
    }
    return PK_EFORMAT;
}

static void ws(pstate *p)
{
    while (p->i < p->n) {
        unsigned char c = p->s[p->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->i++;
    }
}

static int hexv(unsigned c)
{
    return c >= '0' && c <= '9' ? (int)(c - '0') : c >= 'a' && c <= 'f' ? (int)(c - 'a' + 10) : c >= 'A' && c <= 'F' ? (int)(c - 'A' + 10) : -1;
}

static int hex4(const unsigned char *s, size_t n, size_t i, unsigned *cp)
{
    if (i + 4 > n) return -1;
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexv(s[i + (size_t)k]);
        if (h < 0) return -1;
        v = v << 4 | (unsigned)h;
    }
    *cp = v;
    return 0;
}

static int new_node(pstate *p, int type, uint32_t *idx)
{
    pk_gj *j = p->j;
    if (j->nv == j->cap) {
        size_t nc = j->cap ? 2 * j->cap : 64;
        pk_gj_node *nn = realloc(j->v, nc * sizeof *nn);
        if (!nn) return PK_ENOMEM;
        j->v = nn;
        j->cap = nc;
    }
    if (j->nv >= UINT32_MAX - 1) return bad(p, p->i, "too many values");
    pk_gj_node *v = &j->v[j->nv];
    memset(v, 0, sizeof *v);
    v->type = (uint8_t)type;
    v->start = (uint32_t)p->i;
    *idx = (uint32_t)j->nv++;
    return 0;
}

/* The end of the run of plain bytes at s[i..n): printable ASCII other
 * than '"' and '\\'.  The inside of a long prompt is almost all of a
 * body, and a byte loop over it was 15% of the guard's CPU under load
 * (perf, 16 KB prompts); SSE2 looks at 16 bytes a compare, as jsonl.c
 * does (one signed compare catches both < 0x20 and >= 0x80). */
static size_t plain_end(const unsigned char *s, size_t i, size_t n)
{
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)), _mm_cmplt_epi8(v, sp));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask) return i + (size_t)__builtin_ctz(mask);
        i += 16;
    }
#endif
    while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\') i++;
    return i;
}

/* A string at p->i (the opening quote). */
static int string(pstate *p, uint32_t *idx)
{
    int e = new_node(p, PK_GJ_STR, idx);
    if (e) return e;
    const unsigned char *s = p->s;
    size_t n = p->n, i = p->i + 1;
    uint8_t esc = 0;
    for (;;) {
        i = plain_end(s, i, n);
        if (i >= n) return bad(p, n, "unterminated string");
        unsigned char c = s[i];
        if (c == '"') break;
        if (c < 0x20) return bad(p, i, "control character in a string");
        if (c == '\\') {
            esc = 1;
            if (i + 1 >= n) return bad(p, n, "unterminated string");
            unsigned char x = s[i + 1];
            if (x == 'u') {
                unsigned cp, lo;
                if (hex4(s, n, i + 2, &cp)) return bad(p, i, "bad \\u escape");
                i += 6;
                if (cp >= 0xDC00 && cp <= 0xDFFF) return bad(p, i - 6, "lone surrogate escape");
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (i + 1 >= n || s[i] != '\\' || s[i + 1] != 'u' || hex4(s, n, i + 2, &lo) || lo < 0xDC00 ||
                        lo > 0xDFFF)
                        return bad(p, i - 6, "lone surrogate escape");
                    i += 6;
                }
                continue;
            }
            if (!strchr("\"\\/bfnrt", x) || x == 0) return bad(p, i, "bad escape");
            i += 2;
            continue;
        }
        int32_t cp;
        size_t l = pk_utf8_decode(s + i, n - i, &cp);
        if (!l) return bad(p, i, "invalid UTF-8");
        i += l;
    }
    pk_gj_node *v = &p->j->v[*idx];
    v->end = (uint32_t)(i + 1);
    v->esc = esc;
    v->next = *idx + 1;
    p->i = i + 1;
    return 0;
}

static int value(pstate *p, unsigned depth);

static int number(pstate *p)
{
    uint32_t idx;
    int e = new_node(p, PK_GJ_NUM, &idx);
    if (e) return e;
    const unsigned char *s = p->s;
    size_t n = p->n, i = p->i;
#define DIG(k) ((k) < n && s[k] >= '0' && s[k] <= '9')
    if (i < n && s[i] == '-') i++;
    if (!DIG(i)) return bad(p, i, "bad number");
    if (s[i] == '0') i++;
    else while (DIG(i)) i++;
    if (i < n && s[i] == '.') {
        i++;
        if (!DIG(i)) return bad(p, i, "bad number");
        while (DIG(i)) i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (!DIG(i)) return bad(p, i, "bad number");
        while (DIG(i)) i++;
    }
#undef DIG
    p->j->v[idx].end = (uint32_t)i;
    p->j->v[idx].next = idx + 1;
    p->i = i;
    return 0;
}

static int literal(pstate *p, const char *lit, int type)
{
    size_t k = strlen(lit);
    if (p->n - p->i < k || memcmp(p->s + p->i, lit, k) != 0) return bad(p, p->i, "invalid literal");
    uint32_t idx;
    int e = new_node(p, type, &idx);
    if (e) return e;
    p->i += k;
    p->j->v[idx].end = (uint32_t)p->i;
    p->j->v[idx].next = idx + 1;
    return 0;
}

typedef struct kref {
    size_t off, len; /* in keys scratch */
    size_t at;       /* the key's offset in the body, for the message */
} kref;

static int kcmp(const void *a, const void *b, void *ud)
{
    const kref *x = a, *y = b;
    const char *base = ud;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return memcmp(base + x->off, base + y->off, x->len);
}

/* Refuse an object holding one key twice.  Members are pairs of nodes
 * from first on. */
static int no_dup_keys(pstate *p, uint32_t obj)
{
    pk_gj *j = p->j;
    uint32_t nm = j->v[obj].count;
    if (nm < 2) return 0;
    pk_buf_reset(&p->keys);
    kref *kr = malloc(nm * sizeof *kr);
    if (!kr) return PK_ENOMEM;
    uint32_t k = obj + 1;
    int e = 0;
    for (uint32_t m = 0; m < nm; m++) {
        kr[m].off = p->keys.len;
        kr[m].at = j->v[k].start;
        if ((e = pk_gj_str(j, k, &p->keys))) goto done;
        kr[m].len = p->keys.len - kr[m].off;
        k = j->v[j->v[k].next].next; /* past the value */
    }
    if (nm <= 8) {
        for (uint32_t a = 0; a < nm; a++)
            for (uint32_t b = a + 1; b < nm; b++)
                if (kcmp(&kr[a], &kr[b], p->keys.data) == 0) {
                    e = bad(p, kr[b].at, "duplicate key");
                    goto done;
                }
    } else {
        qsort_r(kr, nm, sizeof *kr, kcmp, p->keys.data);
        for (uint32_t a = 1; a < nm; a++)
            if (kcmp(&kr[a - 1], &kr[a], p->keys.data) == 0) {
                e = bad(p, PK_MAX(kr[a - 1].at, kr[a].at), "duplicate key");
                goto done;
            }
    }
done:
    free(kr);
    return e;
}

static int container(pstate *p, unsigned depth, int obj)
{
    if (depth >= PK_GJ_MAX_DEPTH) return bad(p, p->i, "nested too deep");
    uint32_t idx;
    int e = new_node(p, obj ? PK_GJ_OBJ : PK_GJ_ARR, &idx);
    if (e) return e;
    p->i++;
    ws(p);
    uint32_t count = 0;
    unsigned char close = obj ? '}' : ']';
    if (p->i < p->n && p->s[p->i] == close) {
        p->i++;
    } else {
        for (;;) {
            if (obj) {
                uint32_t kidx;
                if (p->i >= p->n || p->s[p->i] != '"') return bad(p, p->i, "expected a key");
                if ((e = string(p, &kidx))) return e;
                ws(p);
                if (p->i >= p->n || p->s[p->i] != ':') return bad(p, p->i, "expected ':'");
                p->i++;
                ws(p);
            }
            if ((e = value(p, depth + 1))) return e;
            count++;
            ws(p);
            if (p->i < p->n && p->s[p->i] == ',') {
                p->i++;
                ws(p);
                continue;
            }
            if (p->i < p->n && p->s[p->i] == close) {
                p->i++;
                break;
            }
            return bad(p, p->i, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    pk_gj_node *v = &p->j->v[idx];
    v->end = (uint32_t)p->i;
    v->count = count;
    v->next = (uint32_t)p->j->nv;
    return obj ? no_dup_keys(p, idx) : 0;
}

static int value(pstate *p, unsigned depth)
{
    if (p->i >= p->n) return bad(p, p->i, "expected a value");
    uint32_t idx;
    switch (p->s[p->i]) {
    case '{': return container(p, depth, 1);
    case '[': return container(p, depth, 0);
    case '"': return string(p, &idx);
    case 't': return literal(p, "true", PK_GJ_TRUE);
    case 'f': return literal(p, "false", PK_GJ_FALSE);
    case 'n': return literal(p, "null", PK_GJ_NULL);
    default: return number(p);
    }
}

int pk_gj_parse(pk_gj *j, const char *s, size_t n, size_t *err_off, const char **why)
{
    j->s = s;
    j->n = n;
    j->nv = 0;
    if (n >= UINT32_MAX) {
        if (err_off) *err_off = 0;
        if (why) *why = "document over 4 GiB";
        return PK_ETOOBIG;
    }
    pstate p;
    memset(&p, 0, sizeof p);
    p.j = j;
    p.s = (const unsigned char *)s;
    p.n = n;
    pk_buf_init(&p.keys, 0);
    ws(&p);
    int e = value(&p, 0);
    if (!e) {
        ws(&p);
        if (p.i != n) e = bad(&p, p.i, "trailing data after the value");
    }
    pk_buf_free(&p.keys);
    if (e && e != PK_ENOMEM && !p.why) p.why = "malformed";
    if (err_off) *err_off = e ? p.err_off : 0;
    if (why) *why = e ? (e == PK_ENOMEM ? "out of memory" : p.why) : NULL;
    return e;
}

void pk_gj_free(pk_gj *j)
{
    if (!j) return;
    free(j->v);
    memset(j, 0, sizeof *j);
}

static size_t put_utf8(unsigned cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

int pk_gj_str(const pk_gj *j, uint32_t i, pk_buf *out)
{
    const pk_gj_node *v = &j->v[i];
    const char *s = j->s + v->start + 1;
    size_t n = v->end - v->start - 2;
    if (!v->esc) return pk_buf_append(out, s, n);
    int e = pk_buf_reserve(out, n); /* unescaping never grows a string */
    if (e) return e;
    char *o = out->data + out->len;
    size_t k = 0;
    while (k < n) {
        const char *bs = memchr(s + k, '\\', n - k);
        size_t run = bs ? (size_t)(bs - (s + k)) : n - k;
        memcpy(o, s + k, run);
        o += run;
        k += run;
        if (!bs) break;
        char x = s[k + 1];
        if (x == 'u') {
            unsigned cp = 0, lo = 0xDC00; /* set by hex4 (validated before); initialized for -O2's flow analysis */
            hex4((const unsigned char *)s, n, k + 2, &cp);
            k += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                hex4((const unsigned char *)s, n, k + 2, &lo);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                k += 6;
            }
            o += put_utf8(cp, o);
            continue;
        }
        switch (x) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        default: *o++ = x; break;
        }
        k += 2;
    }
    out->len = (size_t)(o - out->data);
    out->data[out->len] = 0;
    return 0;
}

int pk_gj_str_is(const pk_gj *j, uint32_t i, const char *lit)
{
    if (i == PK_GJ_NONE || j->v[i].type != PK_GJ_STR) return 0;
    const pk_gj_node *v = &j->v[i];
    size_t n = v->end - v->start - 2, k = strlen(lit);
    if (!v->esc) return n == k && memcmp(j->s + v->start + 1, lit, k) == 0;
    /* Escaped ("m\u0065ssages"): compared as the upstream will read it. */
    pk_buf b;
    pk_buf_init(&b, 0);
    int r = pk_gj_str(j, i, &b) == 0 && b.len == k && (k == 0 || memcmp(b.data, lit, k) == 0);
    pk_buf_free(&b);
    return r;
}

uint32_t pk_gj_get(const pk_gj *j, uint32_t obj, const char *key)
{
    if (obj == PK_GJ_NONE || j->v[obj].type != PK_GJ_OBJ) return PK_GJ_NONE;
    uint32_t k = obj + 1;
    for (uint32_t m = 0; m < j->v[obj].count; m++) {
        uint32_t val = j->v[k].next;
        if (pk_gj_str_is(j, k, key)) return val;
        k = j->v[val].next;
    }
    return PK_GJ_NONE;
}
