/* text.c -- decoding, normalization and tokenization: what "the same text"
 * means for every verb of picket.
 *
 * A token is a maximal run of word characters (Unicode letters, marks and
 * numbers).  Its identity is the 64-bit XXH3 hash of its normalized form:
 * NFKC with case folding (utf8proc), default-ignorable characters removed
 * (zero-width space and joiners, soft hyphen, bidi controls), and common
 * Cyrillic and Greek homoglyphs of Latin letters folded to Latin.  Between
 * tokens, punctuation and white space are dropped, with two joins:
 *   - an apostrophe (' or U+2019) between word characters is dropped and
 *     the word goes on ("don't" is one token, "dont");
 *   - a hyphen at the end of a line, before the next word, joins the two
 *     halves ("some-\nthing" is "something").
 * Scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao,
 * Khmer, Myanmar) give one token per character.
 *
 * Every token keeps the byte range of its source and its line number.
 *
 * Speed: a word made only of ASCII never reaches utf8proc; it is
 * lower-cased through a table into a stack buffer and hashed, which gives
 * the same bytes utf8proc would (NFKC and case folding of ASCII letters
 * and digits are plain lower-casing).  Words with any non-ASCII character
 * take the full path.  Both paths are tested to agree. */
#include "pk.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/* ASCII classes. */
enum { C_SEP = 0, C_WORD = 1, C_APOS = 2, C_HYPH = 3, C_NL = 4, C_HI = 5 };

static uint8_t ascii_class[256];
static uint8_t ascii_lower[256];

static void build_tables(void)
{
    for (int c = 0; c < 256; c++) {
        uint8_t k = C_SEP;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) k = C_WORD;
        else if (c == '\'') k = C_APOS;
        else if (c == '-') k = C_HYPH;
        else if (c == '\n') k = C_NL;
        else if (c >= 0x80) k = C_HI;
        ascii_class[c] = k;
        ascii_lower[c] = (uint8_t)((c >= 'A' && c <= 'Z') ? c + 32 : c);
    }
}

static void build_fold2(void);

static void build_uclass2(void);

static void build_all(void)
{
    build_tables();
    build_uclass2();
    build_fold2();
}

static void init_tables(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, build_all);
}

/* Classes of non-ASCII code points. */
enum { U_SEP, U_WORD, U_SINGLE, U_IGNORE, U_APOS, U_HYPH, U_NL };

static int single_char_script(int32_t c)
{
    return (c >= 0x3040 && c <= 0x30FF) || (c >= 0x31F0 && c <= 0x31FF) ||
           (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFF66 && c <= 0xFF9F) ||
           (c >= 0x20000 && c <= 0x3FFFF) || (c >= 0x0E00 && c <= 0x0EFF) ||
           (c >= 0x1780 && c <= 0x17FF) || (c >= 0x1000 && c <= 0x109F);
}

static int uclass_slow(int32_t c);
static uint8_t uclass2[0x800 - 0x80]; /* U+0080..U+07FF, filled once */

static inline int uclass(int32_t c)
{
    if (c >= 0x80 && c < 0x800) return uclass2[c - 0x80];
    return uclass_slow(c);
}

static int uclass_slow(int32_t c)
{
    if (c == 0x2019 || c == 0x02BC) return U_APOS;
    if (c == 0x2010 || c == 0x2011) return U_HYPH;
    if (c == 0x2028 || c == 0x2029 || c == 0x85) return U_NL;
    const utf8proc_property_t *p = utf8proc_get_property(c);
    if (p->ignorable) return U_IGNORE;
    switch (p->category) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return single_char_script(c) ? U_SINGLE : U_WORD;
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
        return U_WORD;
    default:
        return U_SEP;
    }
}

static void build_uclass2(void)
{
    for (int32_t c = 0x80; c < 0x800; c++) uclass2[c - 0x80] = (uint8_t)uclass_slow(c);
}

/* Cyrillic and Greek letters that look like Latin ones, after case
 * folding.  Folding is applied to every token on both sides, so Russian
 * text still matches Russian text. */
static int32_t fold_homoglyph(int32_t c)
{
    if (c < 0x3B1 || c > 0x51D) return c;
    switch (c) {
    case 0x430: return 'a'; case 0x435: return 'e'; case 0x43E: return 'o';
    case 0x440: return 'p'; case 0x441: return 'c'; case 0x443: return 'y';
    case 0x445: return 'x'; case 0x456: return 'i'; case 0x458: return 'j';
    case 0x455: return 's'; case 0x501: return 'd'; case 0x4BB: return 'h';
    case 0x51B: return 'q'; case 0x51D: return 'w'; case 0x4CF: return 'l';
    case 0x3BF: return 'o'; case 0x3B9: return 'i'; case 0x3BD: return 'v';
    case 0x3BA: return 'k'; case 0x3C1: return 'p'; case 0x3C5: return 'u';
    case 0x3B1: return 'a';
    default: return c;
    }
}


/* The hash of a normalized word (its UTF-8 bytes).  Words of up to 16
 * bytes, nearly all of them, take a multiply-fold of the zero-padded bytes
 * and the length (as in wyhash); longer ones take XXH3.  Measured on
 * shuffled Brown text: XXH3_64bits on 1-16 byte inputs cost about 40% of
 * the tokenizer's time through its length-class branches, this about a
 * quarter of that.  Fingerprints are still XXH3: k-gram hashes are
 * finalized with it (fp.c). */
static inline uint64_t mum(uint64_t a, uint64_t b)
{
    __uint128_t m = (__uint128_t)a * b;
    return (uint64_t)m ^ (uint64_t)(m >> 64);
}

static inline uint64_t hash16(uint64_t lo, uint64_t hi, size_t len)
{
    return mum(lo ^ 0xa0761d6478bd642full, hi ^ 0xe7037ed1a0b428dbull ^ len) ^ len;
}

static uint64_t word_hash_bytes(const uint8_t *b, size_t len)
{
    if (len > 16) return XXH3_64bits(b, len);
    uint8_t z[16] = {0};
    memcpy(z, b, len);
    uint64_t lo, hi;
    memcpy(&lo, z, 8);
    memcpy(&hi, z + 8, 8);
    return hash16(lo, hi, len);
}

/* Normalize the word s[0..n) (UTF-8, already validated; apostrophes
 * already removed by the caller) the full way: NFKC with case folding,
 * ignorables removed, homoglyphs folded, via utf8proc.  Writes UTF-8 into
 * out (room for 4 * (PK_TOK_MAXLEN * 4 + 16) bytes) and returns its length,
 * or -1 when the word will not fit (then it is hashed as it is). */
#define NORM_CAP (PK_TOK_MAXLEN * 4 + 16)
static ptrdiff_t normalize_full(const uint8_t *s, size_t n, utf8proc_int32_t *buf)
{
    const utf8proc_option_t base = (utf8proc_option_t)(UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE | UTF8PROC_STABLE);
    const utf8proc_option_t opt = (utf8proc_option_t)(base | UTF8PROC_COMPOSE);
    utf8proc_ssize_t r = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, buf, NORM_CAP,
                                            (utf8proc_option_t)(base | UTF8PROC_DECOMPOSE));
    if (r < 0 || r > NORM_CAP / 2) return -1;
    for (utf8proc_ssize_t i = 0; i < r; i++) buf[i] = fold_homoglyph(buf[i]);
    utf8proc_ssize_t m = utf8proc_reencode(buf, r, opt);
    return m < 0 ? -1 : (ptrdiff_t)m;
}

static uint64_t hash_unicode_full(const uint8_t *s, size_t n)
{
    utf8proc_int32_t buf[NORM_CAP];
    ptrdiff_t m = normalize_full(s, n, buf);
    return m < 0 ? word_hash_bytes(s, n) : word_hash_bytes((const uint8_t *)buf, (size_t)m);
}

/* Letters of Latin-1, Latin Extended, IPA, Greek and Cyrillic
 * (U+00C0..U+052F) whose full normalization is one code point, not a
 * combining mark, and that cannot compose with a neighbour: a word made of
 * these and ASCII letters and digits normalizes one character at a time,
 * through this table, with no call into utf8proc.  0: not such a letter.
 * Measured on French/German/Russian-like text: utf8proc on every word ran
 * at 28 MB/s.  test_text checks every pair of these against the full
 * path. */
#define FOLD_LO 0xC0
#define FOLD_HI 0x530
static uint16_t fold2[FOLD_HI - FOLD_LO];

static void build_fold2(void)
{
    for (int32_t c = FOLD_LO; c < FOLD_HI; c++) {
        const utf8proc_property_t *p = utf8proc_get_property(c);
        fold2[c - FOLD_LO] = 0;
        if (p->combining_class != 0 || p->category < UTF8PROC_CATEGORY_LU || p->category > UTF8PROC_CATEGORY_LO)
            continue;
        uint8_t u[4];
        utf8proc_ssize_t l = utf8proc_encode_char(c, u);
        utf8proc_int32_t buf[NORM_CAP];
        ptrdiff_t m = normalize_full(u, (size_t)l, buf);
        if (m <= 0) continue;
        int32_t r;
        size_t rl = pk_utf8_decode((const uint8_t *)buf, (size_t)m, &r);
        if (rl != (size_t)m || r <= 0 || r > 0xFFFF || utf8proc_get_property(r)->combining_class != 0) continue;
        fold2[c - FOLD_LO] = (uint16_t)r;
    }
}

static uint64_t hash_unicode_word(const uint8_t *s, size_t n)
{
    uint8_t out[PK_TOK_MAXLEN * 2 + 8];
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        if (c < 0x80) {
            out[o++] = ascii_lower[c];
            i++;
            continue;
        }
        if (c < 0xC3 || c >= 0xD5 || i + 1 >= n) return hash_unicode_full(s, n); /* not U+00C0..U+053F */
        uint32_t cp = ((uint32_t)(c & 0x1F) << 6) | (s[i + 1] & 0x3Fu);
        uint16_t f = cp < FOLD_HI ? fold2[cp - FOLD_LO] : 0;
        if (!f) return hash_unicode_full(s, n);
        if (f < 0x80) out[o++] = (uint8_t)f;
        else if (f < 0x800) { out[o++] = (uint8_t)(0xC0 | (f >> 6)); out[o++] = (uint8_t)(0x80 | (f & 0x3F)); }
        else { out[o++] = (uint8_t)(0xE0 | (f >> 12)); out[o++] = (uint8_t)(0x80 | ((f >> 6) & 0x3F)); out[o++] = (uint8_t)(0x80 | (f & 0x3F)); }
        i += 2;
    }
    return word_hash_bytes(out, o);
}

uint64_t pk_word_hash_unicode(const char *s, size_t n, int full)
{
    init_tables();
    return full ? hash_unicode_full((const uint8_t *)s, n) : hash_unicode_word((const uint8_t *)s, n);
}

uint64_t pk_word_hash(const char *s, size_t n)
{
    pk_tokenizer t;
    pk_tok tok;
    size_t got = 0;
    pk_tokenizer_init(&t, s, n, PK_TOK_LOSSY);
    if (pk_tokenize(&t, &tok, 1, &got, NULL) != 0 || got == 0) return 0;
    return tok.h;
}

void pk_tokenizer_init(pk_tokenizer *t, const char *s, size_t n, unsigned flags)
{
    init_tables();
    t->s = (const uint8_t *)s;
    t->n = n;
    t->pos = 0;
    t->line = 1;
    t->flags = flags;
    t->invalid = 0;
}

/* After a hyphen at p (hlen bytes), is there a line break followed, after
 * blanks, by a word character?  Returns the offset of that character, or
 * 0 if this hyphen does not join. */
static size_t hyphen_join(const uint8_t *s, size_t n, size_t p)
{
    size_t q = p;
    while (q < n && (s[q] == ' ' || s[q] == '\t')) q++;
    if (q < n && s[q] == '\r') q++;
    if (q >= n || s[q] != '\n') return 0;
    q++;
    while (q < n && (s[q] == ' ' || s[q] == '\t')) q++;
    if (q >= n) return 0;
    if (s[q] < 0x80) return ascii_class[s[q]] == C_WORD ? q : 0;
    int32_t cp;
    if (!pk_utf8_decode(s + q, n - q, &cp)) return 0;
    return uclass(cp) == U_WORD ? q : 0;
}

/* Is there a word character at p (ASCII or not)? */
static int word_at(const uint8_t *s, size_t n, size_t p)
{
    if (p >= n) return 0;
    if (s[p] < 0x80) return ascii_class[s[p]] == C_WORD;
    int32_t cp;
    if (!pk_utf8_decode(s + p, n - p, &cp)) return 0;
    return uclass(cp) == U_WORD;
}

static size_t count_newlines(const uint8_t *s, size_t a, size_t b)
{
    size_t c = 0;
    for (size_t i = a; i < b; i++) c += s[i] == '\n';
    return c;
}


/* ---- the ASCII block path ---------------------------------------------------
 * For 64 bytes at a time, two bit masks: bytes that are ASCII letters or
 * digits, and "special" bytes that need the scalar rules (non-ASCII, the
 * apostrophe, the hyphen, the newline).  Words made of plain ASCII and
 * ended by a plain separator are cut and hashed straight from the masks;
 * everything else is handed to the scalar step, one step at a time, so
 * both paths define tokens identically (tests compare them). */
#if defined(__SSE2__)
#include <emmintrin.h>
static inline void block_masks3(const uint8_t *s, uint64_t *word, uint64_t *special, uint64_t *newline)
{
    const __m128i c0 = _mm_set1_epi8('0' - 1), c9 = _mm_set1_epi8('9' + 1);
    const __m128i ca = _mm_set1_epi8('a' - 1), cz = _mm_set1_epi8('z' + 1), c20 = _mm_set1_epi8(0x20);
    const __m128i ap = _mm_set1_epi8('\''), hy = _mm_set1_epi8('-'), nl = _mm_set1_epi8('\n');
    uint64_t w = 0, sp = 0, n = 0;
    for (int j = 0; j < 4; j++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + 16 * j));
        __m128i lc = _mm_or_si128(v, c20);
        __m128i dig = _mm_and_si128(_mm_cmpgt_epi8(v, c0), _mm_cmplt_epi8(v, c9));
        __m128i alp = _mm_and_si128(_mm_cmpgt_epi8(lc, ca), _mm_cmplt_epi8(lc, cz));
        __m128i spc = _mm_or_si128(_mm_cmpeq_epi8(v, ap), _mm_cmpeq_epi8(v, hy));
        w |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_or_si128(dig, alp)) << (16 * j);
        sp |= (uint64_t)(uint16_t)(_mm_movemask_epi8(spc) | _mm_movemask_epi8(v)) << (16 * j);
        n |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl)) << (16 * j);
    }
    *word = w;
    *special = sp;
    *newline = n;
}
#else
static inline void block_masks3(const uint8_t *s, uint64_t *word, uint64_t *special, uint64_t *newline)
{
    uint64_t w = 0, sp = 0, n = 0;
    for (int i = 0; i < 64; i++) {
        uint8_t c = ascii_class[s[i]];
        w |= (uint64_t)(c == C_WORD) << i;
        sp |= (uint64_t)(c == C_APOS || c == C_HYPH || c == C_HI) << i;
        n |= (uint64_t)(c == C_NL) << i;
    }
    *word = w;
    *special = sp;
    *newline = n;
}
#endif

/* Word and special masks, newlines counted as special. */
static inline void block_masks(const uint8_t *s, uint64_t *word, uint64_t *special)
{
    uint64_t nl;
    block_masks3(s, word, special, &nl);
    *special |= nl;
}

/* Hash the ASCII letters and digits w[0..len), lower-cased.  For these
 * bytes lower-casing is OR 0x20 (digits already have that bit). */
static inline uint64_t hash_ascii_word(const uint8_t *w, size_t len, const uint8_t *end)
{
#if defined(__SSE2__)
    if (len <= 16 && w + 16 <= end) {
        static const uint8_t ones[32] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)w);
        __m128i keep = _mm_loadu_si128((const __m128i *)(const void *)(ones + 16 - len));
        v = _mm_and_si128(_mm_or_si128(v, _mm_set1_epi8(0x20)), keep);
        uint64_t lo = (uint64_t)_mm_cvtsi128_si64(v);
        uint64_t hi = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v));
        return hash16(lo, hi, len);
    }
#endif
    uint8_t b[PK_TOK_MAXLEN + 1];
    for (size_t i = 0; i < len; i++) b[i] = (uint8_t)(w[i] | 0x20);
    return word_hash_bytes(b, len);
}

/* A run of "clean" blocks: 64 bytes with no byte that needs the scalar
 * rules (non-ASCII, apostrophe, hyphen; and newline, unless lines are not
 * tracked).  Word starts and ends come straight from the word mask and its
 * shift, paired in order, with no branch on the text.  Returns where to go
 * on from: the start of a word still open where the run stops, or the
 * first byte not taken.  Adds the tokens at out + *kk. */
static size_t clean_run(const uint8_t *s, size_t n, size_t p, uint64_t nl_special, pk_tok *out, size_t cap,
                        size_t *kk, uint32_t line)
{
    size_t k = *kk, base = p, wstart = 0;
    uint64_t carry = 0; /* a word is open at base */
    while (n - base >= 64 && cap - k >= 64) {
        uint64_t wm, sm, nm;
        block_masks3(s + base, &wm, &sm, &nm);
        if (sm | (nm & nl_special)) break;
        const uint64_t prev = (wm << 1) | carry;
        uint64_t starts = wm & ~prev;
        uint64_t ends = ~wm & prev; /* bit e: a word ended just before base + e */
        if (carry) {
            if (!ends) {
                if (base + 64 - wstart > PK_TOK_MAXLEN) break;
                base += 64;
                continue;
            }
            unsigned e = (unsigned)__builtin_ctzll(ends);
            ends &= ends - 1;
            size_t len = base + e - wstart;
            if (len > PK_TOK_MAXLEN) break;
            out[k].h = hash_ascii_word(s + wstart, len, s + n);
            out[k].off = wstart;
            out[k].len = (uint32_t)len;
            out[k].line = line;
            k++;
            carry = 0;
        }
        while (starts) {
            unsigned st = (unsigned)__builtin_ctzll(starts);
            starts &= starts - 1;
            if (!ends) {
                carry = 1;
                wstart = base + st;
                break;
            }
            unsigned e = (unsigned)__builtin_ctzll(ends);
            ends &= ends - 1;
            out[k].h = hash_ascii_word(s + base + st, e - st, s + n);
            out[k].off = base + st;
            out[k].len = e - st;
            out[k].line = line;
            k++;
        }
        base += 64;
    }
    *kk = k;
    return carry ? wstart : base;
}

int pk_tokenize(pk_tokenizer *t, pk_tok *out, size_t cap, size_t *got, pk_error *err)
{
    const uint8_t *s = t->s;
    const size_t n = t->n;
    size_t p = t->pos;
    uint32_t line = t->line;
    size_t k = 0;
    /* The word being built: ASCII-lowered bytes in wb while it stays
     * ASCII; raw source bytes (minus removed characters) in ub otherwise. */
    uint8_t wb[PK_TOK_MAXLEN + 1];
    uint8_t ub[PK_TOK_MAXLEN + 8];

    const int fast = !(t->flags & PK_TOK_SCALAR);

    const uint64_t nl_special = (t->flags & PK_TOK_NOLINES) ? 0 : ~(uint64_t)0;

    /* The masks of the block the last scalar step was sent from: when the
     * step ends inside that block, the walk goes on with them instead of
     * computing them again (text with many non-ASCII words takes a scalar
     * step nearly every word). */
    size_t mb = SIZE_MAX;
    uint64_t mwm = 0, msm = 0;

    while (k < cap && p < n) {
        const int cached = mb != SIZE_MAX && p >= mb && p - mb < 64;
        if (fast && !cached && n - p >= 64 && cap - k >= 64) {
            size_t q = clean_run(s, n, p, nl_special, out, cap, &k, line);
            if (q != p) {
                p = q;
                continue;
            }
        }
        if (fast && (cached || n - p >= 64)) {
            /* Walk 64-byte blocks while words are plain ASCII; a word may
             * run into the next block.  Leave for one scalar step at the
             * first byte the masks cannot decide. */
            size_t base = p;
            uint64_t wm, sm, live = ~(uint64_t)0;
            int to_scalar = 0;
            if (cached) {
                base = mb;
                wm = mwm;
                sm = msm;
                live = ~(uint64_t)0 << (p - mb);
            } else {
                block_masks(s + base, &wm, &sm);
            }
            mb = SIZE_MAX;
            for (;;) {
                uint64_t any = (wm | sm) & live;
                if (!any) { p = base + 64; break; } /* the block is done: try a clean run */
                unsigned i = (unsigned)__builtin_ctzll(any);
                if ((sm >> i) & 1) {
                    /* Between words an apostrophe or hyphen is only a
                     * separator, and a newline counts a line. */
                    uint8_t c = s[base + i];
                    if (c >= 0x80) { p = base + i; to_scalar = 1; break; }
                    line += c == '\n';
                    live = i == 63 ? 0 : ~(uint64_t)0 << (i + 1);
                    continue;
                }
                const size_t ws = base + i;
                uint64_t ends = ~wm & (~(uint64_t)0 << i);
                unsigned e;
                if (ends) {
                    e = (unsigned)__builtin_ctzll(ends);
                    if ((sm >> e) & 1) { p = ws; to_scalar = 1; break; }
                } else {
                    /* The word goes on into the next block. */
                    if (n - (base + 64) < 64) { p = ws; to_scalar = 1; break; }
                    uint64_t nwm, nsm;
                    block_masks(s + base + 64, &nwm, &nsm);
                    if (!~nwm) { p = ws; to_scalar = 1; break; }
                    e = (unsigned)__builtin_ctzll(~nwm);
                    if ((nsm >> e) & 1) { p = ws; to_scalar = 1; break; }
                    base += 64;
                    wm = nwm;
                    sm = nsm;
                }
                const size_t we = base + e;
                live = ~(uint64_t)0 << e;
                out[k].h = hash_ascii_word(s + ws, we - ws, s + n);
                out[k].off = ws;
                out[k].len = (uint32_t)(we - ws);
                out[k].line = line;
                k++;
                if (k == cap) { p = we; break; }
            }
            if (!to_scalar) continue;
            mb = base;
            mwm = wm;
            msm = sm;
        }
        /* One scalar step: skip a separator, or read one whole word. */
        uint8_t c = s[p];
        if (c < 0x80) {
            uint8_t cl = ascii_class[c];
            if (cl != C_WORD) {
                if (cl == C_NL) line++;
                p++;
                continue;
            }
        } else {
            int32_t cp;
            size_t l = pk_utf8_decode(s + p, n - p, &cp);
            if (!l) {
                if (!(t->flags & PK_TOK_LOSSY)) {
                    t->pos = p;
                    t->line = line;
                    *got = k;
                    return pk_fail(err, PK_EUTF8, "invalid UTF-8 at byte %zu", p);
                }
                t->invalid++;
                p++;
                continue;
            }
            int u = uclass(cp);
            if (u == U_SINGLE) {
                out[k].h = hash_unicode_word(s + p, l);
                out[k].off = p;
                out[k].len = (uint32_t)l;
                out[k].line = line;
                k++;
                p += l;
                continue;
            }
            if (u != U_WORD) {
                if (u == U_NL) line++;
                p += l;
                continue;
            }
        }

        /* A word starts at p. */
        size_t start = p, wn = 0, un = 0;
        uint32_t start_line = line;
        int ascii = 1;
        for (;;) {
            if (p >= n) break;
            c = s[p];
            if (c < 0x80) {
                uint8_t cl = ascii_class[c];
                if (cl == C_WORD) {
                    if (p - start >= PK_TOK_MAXLEN) break;
                    if (ascii) wb[wn++] = ascii_lower[c];
                    else ub[un++] = c;
                    p++;
                    continue;
                }
                if (cl == C_APOS && word_at(s, n, p + 1)) { p++; continue; }
                if (cl == C_HYPH) {
                    size_t q = hyphen_join(s, n, p + 1);
                    if (q) { line += (uint32_t)count_newlines(s, p, q); p = q; continue; }
                }
                break;
            }
            int32_t cp;
            size_t l = pk_utf8_decode(s + p, n - p, &cp);
            if (!l) break; /* handled by the separator loop */
            int u = uclass(cp);
            if (u == U_IGNORE) { p += l; continue; }
            if (u == U_APOS && word_at(s, n, p + l)) { p += l; continue; }
            if (u == U_HYPH) {
                size_t q = hyphen_join(s, n, p + l);
                if (q) { line += (uint32_t)count_newlines(s, p, q); p = q; continue; }
                break;
            }
            if (u != U_WORD) break;
            if (p - start + l > PK_TOK_MAXLEN) break;
            if (ascii) {
                /* Switch to the Unicode path: re-copy the word so far
                 * (lower-cased ASCII normalizes to itself). */
                memcpy(ub, wb, wn);
                un = wn;
                ascii = 0;
            }
            memcpy(ub + un, s + p, l);
            un += l;
            p += l;
        }
        out[k].h = ascii ? word_hash_bytes(wb, wn) : hash_unicode_word(ub, un);
        out[k].off = start;
        out[k].len = (uint32_t)(p - start);
        out[k].line = start_line;
        k++;
    }
    t->pos = p;
    t->line = line;
    *got = k;
    return 0;
}

int pk_text_prepare(const char *s, size_t n, pk_buf *conv, const char **out,
                    size_t *outn, size_t *skip, pk_error *err)
{
    const uint8_t *u = (const uint8_t *)s;
    *skip = 0;
    *out = s;
    *outn = n;
    if (n >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
        *skip = 3;
        return 0;
    }
    if (n < 2 || !((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) return 0;
    int le = u[0] == 0xFF;
    pk_buf_reset(conv);
    int rc = pk_buf_reserve(conv, n / 2 * 3 + 4);
    if (rc) return pk_fail(err, rc, "UTF-16 text too large to convert");
    for (size_t i = 2; i + 1 < n; i += 2) {
        uint32_t c = le ? (uint32_t)(u[i] | (u[i + 1] << 8)) : (uint32_t)((u[i] << 8) | u[i + 1]);
        if (c >= 0xD800 && c <= 0xDBFF) {
            if (i + 3 >= n) return pk_fail(err, PK_EUTF8, "truncated UTF-16 surrogate pair at byte %zu", i);
            uint32_t d = le ? (uint32_t)(u[i + 2] | (u[i + 3] << 8)) : (uint32_t)((u[i + 2] << 8) | u[i + 3]);
            if (d < 0xDC00 || d > 0xDFFF) return pk_fail(err, PK_EUTF8, "unpaired UTF-16 surrogate at byte %zu", i);
            c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
            i += 2;
        } else if (c >= 0xDC00 && c <= 0xDFFF) {
            return pk_fail(err, PK_EUTF8, "unpaired UTF-16 surrogate at byte %zu", i);
        }
        uint8_t e[4];
        size_t l = (size_t)utf8proc_encode_char((utf8proc_int32_t)c, e);
        if ((rc = pk_buf_append(conv, e, l))) return pk_fail(err, rc, "out of memory");
    }
    if (n % 2) return pk_fail(err, PK_EUTF8, "odd number of bytes in UTF-16 text at byte %zu", n - 1);
    *out = conv->data ? conv->data : "";
    *outn = conv->len;
    return 0;
}

int pk_tokenize_all(const char *text, size_t n, unsigned flags, pk_buf *conv, const char **shown, pk_tok **tok,
                    size_t *cap, size_t *ntok, pk_error *err)
{
    const char *t = text;
    size_t tn = n, skip = 0;
    int rc = (flags & PK_TOK_PREPARED) ? 0 : pk_text_prepare(text, n, conv, &t, &tn, &skip, err);
    if (rc) return rc;
    *shown = t;
    pk_tokenizer tz;
    pk_tokenizer_init(&tz, t, tn, flags);
    tz.pos = skip;
    *ntok = 0;
    for (;;) {
        if (*cap - *ntok < 4096) {
            size_t nc = *cap ? *cap : 4096, bytes;
            while (nc - *ntok < 4096) nc *= 2;
            if (!pk_mul_ok(nc, sizeof **tok, &bytes)) return pk_fail(err, PK_ENOMEM, "out of memory");
            pk_tok *nt = realloc(*tok, bytes);
            if (!nt) return pk_fail(err, PK_ENOMEM, "out of memory");
            *tok = nt;
            *cap = nc;
        }
        size_t got;
        if ((rc = pk_tokenize(&tz, *tok + *ntok, *cap - *ntok, &got, err))) return rc;
        if (!got) return 0;
        *ntok += got;
        if (*ntok > UINT32_MAX / 2) return pk_fail(err, PK_ETOOBIG, "text over 2^31 words");
    }
}
