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
 * lower-cased (OR 0x20) and hashed, which gives the same bytes utf8proc
 * would (NFKC and case folding of ASCII letters and digits are plain
 * lower-casing).  Nor does a word of ASCII and the two-byte letters of
 * fold2 (Latin-1, Latin Extended, Greek, Cyrillic: French, German,
 * Russian, ...): each such letter normalizes on its own, by a table
 * indexed by its 11-bit code point, folded and hashed in the same pass
 * that reads the word.  Words with any other non-ASCII character take
 * the full path.  All paths are tested to agree.
 *
 * The definition of a token is scalar_step(): one separator or one whole
 * word, byte by byte.  PK_TOK_SCALAR tokenizes with it alone, as the
 * reference.  Otherwise a block path (text_block.h) classifies 64 bytes at
 * a time into bit masks, cuts plain ASCII words, words joined by an
 * apostrophe and hyphens that cannot join straight from the masks, and
 * hands every byte it cannot decide (non-ASCII other than fold2
 * letters, a hyphen before a line break, ...) to scalar_step, so every
 * path gives the same tokens by construction.  Two-byte fold2 letters
 * are word bytes in the masks (a bit table of fold2 looked up per lead
 * byte), and a word with one is cut from the masks like an ASCII word;
 * AVX-512 folds the whole block at once (each letter's two bytes
 * replaced by its fold2 entry, dropped bytes compressed out) and hashes
 * its words in the lanes as ASCII ones.  The block path has one
 * instance per vector level, chosen at run time (simd.h: PICKET_SIMD,
 * pk_simd_force): portable C (eight
 * bytes at a time in a 64-bit word), SSE2, AVX2 and AVX-512, where the
 * compares land straight in 64-bit masks, the words of a block are hashed
 * eight at a time in vector lanes, and typographic punctuation (’ “ ” – —
 * …) is decided in the masks too.  test_text and fuzz_text compare every
 * level this CPU has with the reference.
 *
 * Measured (bench/stages.c, Intel Xeon SPR-class VM at 2.1 GHz, 200 MB of
 * English web text cut into 5 KB documents, no line numbers, as the
 * scanner runs; ns per token, 5.7 bytes a token):
 *   reference steps 43, portable 11, SSE2 7.2, AVX2 6.2, AVX-512 3.8
 *   (the SSE2 block path before this one: 11.3); with curly quotes for
 *   every apostrophe, AVX-512 4.3.
 * Two-byte letters (issue 9; same VM, shared with other builds: best of
 * 6 alternating runs of 8; bench/stages.c, 5 KB documents, no lines).
 * 30% mixed text (python3 bench/mixed.py en.txt mixed.txt 0.30 25: 7.6
 * MB, 7.42 bytes a token), tokenize alone, MB/s and ns/token, before ->
 * now (the three stages together in brackets):
 *   AVX-512  82 (80), 90 ns   ->  580 (481), 12.8 ns
 *   AVX2     84 (80), 88 ns   ->  233 (203), 32 ns
 *   SSE2     80 (76), 93 ns   ->  237 (207), 31 ns
 *   portable 58 (56), 128 ns  ->  210 (186), 35 ns
 *   steps    84 (81), 89 ns   ->  104 (100), 71 ns
 * ASCII English (Brown c*, 6.2 MB, 6.03 bytes a token), before -> now,
 * MB/s: AVX-512 1684 -> 1649 (3.58 -> 3.66 ns; another run 1671 ->
 * 1687), AVX2 1125 -> 1070, SSE2 943 -> 925, portable 613 -> 606, steps
 * 163 -> 159.  Runs of the same binary differ by 5% and more on this
 * machine; only AVX2 came out lower in every run (2-5%), not resolved.
 * What paid, AVX-512 on the mixed text, each step measured against the
 * one before it in alternating runs: fold2 letters decided in the masks
 * instead of scalar steps, with a per-word fold in a register, 50 -> 240
 * MB/s (a busy moment); the block folded at once and its words hashed
 * in the lanes, 240 -> 360 (same moment); dropped bytes (homoglyphs'
 * second bytes, apostrophes) compressed out of the folded block, so no
 * word needs a fix-up, 481 -> 566 (a quiet one).  A byte loop with a
 * branch per byte folding each word (hash_block_word before it was made
 * branch-free) took 69% of the time. */
#include "pk.h"
#include "simd.h"

#include <pthread.h>
#include <stddef.h>
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
static void build_tb_next(void);

static void build_uclass2(void);
#if PK_X86_SIMD
static void build_pack8(void);
#endif

static void build_all(void)
{
    build_tables();
    build_tb_next();
    build_uclass2();
    build_fold2();
#if PK_X86_SIMD
    build_pack8();
#endif
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

static __attribute__((noinline)) uint64_t hash_unicode_full(const uint8_t *s, size_t n)
{
    utf8proc_int32_t buf[NORM_CAP];
    ptrdiff_t m = normalize_full(s, n, buf);
    return m < 0 ? word_hash_bytes(s, n) : word_hash_bytes((const uint8_t *)buf, (size_t)m);
}

/* Letters of Latin-1, Latin Extended, IPA, Greek and Cyrillic
 * (U+00C0..U+052F) that are word characters (uclass U_WORD), not combining
 * marks, whose full normalization is at most three UTF-8 bytes of
 * characters that are not combining marks either (one letter, or two as
 * for sharp s: "ss"), and that cannot compose with a neighbour: a word
 * made of these and ASCII letters and digits normalizes one character at
 * a time, through this table, with no call into utf8proc.  Indexed by the
 * 11-bit code point of the two-byte sequence (lead & 0x1F, continuation &
 * 0x3F), so the lookup needs no range check: entry [0..3) the normalized
 * UTF-8 bytes, [3] their count, 0 for anything else (all of U+0000..
 * U+00BF and U+0530..U+07FF).  fold2_bits has one bit per entry (bit
 * cp & 7 of byte cp >> 3: 256 bytes, four AVX-512 registers) for the
 * block paths' masks.  Measured on French/German/Russian-like text:
 * utf8proc on every word ran at 28 MB/s.  test_text checks every pair of
 * these against the full path. */
#define FOLD_LO 0xC0
#define FOLD_HI 0x530
static uint8_t fold2[0x880][4]; /* and at 0x800 + c, for hash_block_word: ASCII c | 0x20 (none for ') */
static uint8_t fold2_bits[256] __attribute__((aligned(64)));

static void build_fold2(void)
{
    for (int c = 0; c < 0x80; c++) {
        fold2[0x800 + c][0] = (uint8_t)(c | 0x20);
        fold2[0x800 + c][3] = c != '\'';
    }
    for (int32_t c = FOLD_LO; c < FOLD_HI; c++) {
        const utf8proc_property_t *p = utf8proc_get_property(c);
        if (p->combining_class != 0 || p->category < UTF8PROC_CATEGORY_LU || p->category > UTF8PROC_CATEGORY_LO ||
            uclass(c) != U_WORD)
            continue;
        uint8_t u[4];
        utf8proc_ssize_t l = utf8proc_encode_char(c, u);
        utf8proc_int32_t buf[NORM_CAP];
        ptrdiff_t m = normalize_full(u, (size_t)l, buf);
        if (m <= 0 || m > 3) continue;
        const uint8_t *r = (const uint8_t *)buf;
        int ok = 1;
        for (size_t i = 0; ok && i < (size_t)m;) {
            int32_t cp;
            size_t rl = pk_utf8_decode(r + i, (size_t)m - i, &cp);
            ok = rl > 0 && cp > 0 && utf8proc_get_property(cp)->combining_class == 0;
            i += rl ? rl : 1;
        }
        if (!ok) continue;
        memcpy(fold2[c], r, (size_t)m);
        fold2[c][3] = (uint8_t)m;
        fold2_bits[c >> 3] = (uint8_t)(fold2_bits[c >> 3] | 1u << (c & 7));
    }
}

/* The fold2 entry of the two-byte sequence c d (c in 0xC0..0xDF). */
static inline const uint8_t *fold2_of(uint8_t c, uint8_t d) { return fold2[(c & 0x1Fu) << 6 | (d & 0x3Fu)]; }

static uint64_t hash_unicode_word(const uint8_t *s, size_t n)
{
    uint8_t out[PK_TOK_MAXLEN * 2 + 16];
    size_t o = 0;
    if (n > PK_TOK_MAXLEN + 8) return hash_unicode_full(s, n); /* out would not hold it */
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        if (c < 0x80) {
            out[o++] = ascii_lower[c];
            i++;
            continue;
        }
        if ((c & 0xE0) != 0xC0 || i + 1 >= n || (s[i + 1] & 0xC0) != 0x80) return hash_unicode_full(s, n);
        const uint8_t *f = fold2_of(c, s[i + 1]);
        if (!f[3]) return hash_unicode_full(s, n);
        memcpy(out + o, f, 4);
        o += f[3];
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


/* Whether a word that starts at start may take in the characters up to
 * q that join it without being letters (apostrophes, a hyphen at a line
 * break, invisible characters): a token spans at most PK_TOK_MAXLEN bytes
 * of text, whatever it holds (the fuzzer found 250 letters and ten soft
 * hyphens made one of 271).  A joiner that does not fit separates.  One
 * that fits leaves room for at least one more byte; when the letter after
 * it is longer than that, the token ends with the joiner (every path
 * alike: the block paths hand such long words to scalar_step). */
static inline int joins(size_t start, size_t q)
{
    return q - start < PK_TOK_MAXLEN;
}

/* One scalar step at p, which is between words: skip one separator
 * character, or read one whole word into out[*kp] (room for one).  This
 * is the definition of a token; the block paths hand it every byte they
 * cannot decide.  Returns the new position, or SIZE_MAX with err filled
 * for invalid UTF-8 in strict mode.  With lines == 0 the token's line is
 * written as 0. */
static __attribute__((noinline)) size_t scalar_step(pk_tokenizer *t, size_t p, uint32_t *linep, pk_tok *out,
                                                    size_t *kp, int lines, pk_error *err)
{
    const uint8_t *s = t->s;
    const size_t n = t->n;
    uint32_t line = *linep;
    /* The word being built, in one pass: its normalized bytes in wb
     * while every character is ASCII or in fold2 (fast); once it has a
     * non-ASCII character, also its source bytes (minus removed
     * characters) in ub, for the full path should a later character not
     * be in fold2. */
    uint8_t wb[PK_TOK_MAXLEN * 2 + 16];
    uint8_t ub[PK_TOK_MAXLEN + 8];
    uint8_t c = s[p];
    if (c < 0x80) {
        uint8_t cl = ascii_class[c];
        if (cl != C_WORD) {
            *linep = line + (cl == C_NL);
            return p + 1;
        }
    } else {
        int32_t cp;
        size_t l = pk_utf8_decode(s + p, n - p, &cp);
        if (!l) {
            if (!(t->flags & PK_TOK_LOSSY)) {
                pk_fail(err, PK_EUTF8, "invalid UTF-8 at byte %zu", p);
                return SIZE_MAX;
            }
            t->invalid++;
            return p + 1;
        }
        int u = uclass(cp);
        if (u == U_SINGLE) {
            out[*kp].h = hash_unicode_word(s + p, l);
            out[*kp].off = p;
            out[*kp].len = (uint32_t)l;
            out[*kp].line = lines ? line : 0;
            ++*kp;
            return p + l;
        }
        if (u != U_WORD) {
            *linep = line + (u == U_NL);
            return p + l;
        }
    }

    /* A word starts at p. */
    size_t start = p, wn = 0, un = 0;
    uint32_t start_line = line;
    int ascii = 1, fast = 1;
    for (;;) {
        if (p >= n) break;
        c = s[p];
        if (c < 0x80) {
            uint8_t cl = ascii_class[c];
            if (cl == C_WORD) {
                if (p - start >= PK_TOK_MAXLEN) break;
                wb[wn++] = ascii_lower[c];
                if (!ascii) ub[un++] = c;
                p++;
                continue;
            }
            if (cl == C_APOS && joins(start, p + 1) && word_at(s, n, p + 1)) { p++; continue; }
            if (cl == C_HYPH) {
                size_t q = hyphen_join(s, n, p + 1);
                if (q && joins(start, q)) { line += (uint32_t)count_newlines(s, p, q); p = q; continue; }
            }
            break;
        }
        int32_t cp;
        size_t l = pk_utf8_decode(s + p, n - p, &cp);
        if (!l) break; /* handled as a separator by the next step */
        int u = uclass(cp);
        if (u == U_IGNORE) {
            if (!joins(start, p + l)) break;
            p += l;
            continue;
        }
        if (u == U_APOS && joins(start, p + l) && word_at(s, n, p + l)) { p += l; continue; }
        if (u == U_HYPH) {
            size_t q = hyphen_join(s, n, p + l);
            if (q && joins(start, q)) { line += (uint32_t)count_newlines(s, p, q); p = q; continue; }
            break;
        }
        if (u != U_WORD) break;
        if (p - start + l > PK_TOK_MAXLEN) break;
        if (ascii) {
            /* Keep the source too from here: the word so far (lower-cased
             * ASCII normalizes to itself). */
            memcpy(ub, wb, wn);
            un = wn;
            ascii = 0;
        }
        memcpy(ub + un, s + p, l);
        un += l;
        if (fast) {
            const uint8_t *f = l == 2 ? fold2_of(c, s[p + 1]) : fold2[0];
            memcpy(wb + wn, f, 4);
            wn += f[3];
            fast = f[3] != 0;
        }
        p += l;
    }
    out[*kp].h = fast ? word_hash_bytes(wb, wn) : hash_unicode_full(ub, un);
    out[*kp].off = start;
    out[*kp].len = (uint32_t)(p - start);
    out[*kp].line = lines ? start_line : 0;
    ++*kp;
    *linep = line;
    return p;
}

/* The reference tokenizer: scalar steps only (PK_TOK_SCALAR). */
static int tokenize_steps(pk_tokenizer *t, pk_tok *out, size_t cap, size_t *got, pk_error *err)
{
    const int lines = !(t->flags & PK_TOK_NOLINES);
    size_t p = t->pos, k = 0;
    uint32_t line = t->line;
    while (k < cap && p < t->n) {
        size_t q = scalar_step(t, p, &line, out, &k, lines, err);
        if (q == SIZE_MAX) {
            t->pos = p;
            t->line = line;
            *got = k;
            return PK_EUTF8;
        }
        p = q;
    }
    t->pos = p;
    t->line = line;
    *got = k;
    return 0;
}

/* ---- the block paths --------------------------------------------------------
 * text_block.h holds the loop; each level below gives it the class masks
 * of 64 bytes and the hash of a short ASCII word (and, for AVX-512, a
 * writer of a whole block's words).  Masks, bit i for byte i: w letters
 * and digits, a apostrophes, h hyphens, x non-ASCII bytes, n newlines
 * (only when lines are kept), b bytes <= 0x20 or >= 0x80 (a superset of
 * the blanks that may follow a joining hyphen). */
_Static_assert(sizeof(pk_tok) == 24 && offsetof(pk_tok, off) == 8 && offsetof(pk_tok, len) == 16 &&
                   offsetof(pk_tok, line) == 20,
               "emit_avx512 writes tokens as three qwords: h, off, len | line << 32");

typedef struct tb_masks {
    uint64_t w, a, h, x, n, b;
} tb_masks;

/* The same classes for the byte after the 64: 1 letter or digit, 2
 * non-ASCII, 4 the b class. */
static uint8_t tb_next[256];

/* The class of U+2000 + i (UTF-8 E2 80 80+i): 1 a separator, 2 an
 * apostrophe, 0 anything else (hyphens, line separators, invisible
 * characters).  From uclass(), so the block paths cannot disagree. */
static uint8_t uni3_class[64] __attribute__((aligned(64)));

static void build_tb_next(void)
{
    for (int c = 0; c < 256; c++)
        tb_next[c] = (uint8_t)((ascii_class[c] == C_WORD) | (c >= 0x80) << 1 | (c <= 0x20 || c >= 0x80) << 2);
    for (int i = 0; i < 64; i++) {
        int u = uclass(0x2000 + i);
        uni3_class[i] = (uint8_t)(u == U_SEP ? 1 : u == U_APOS ? 2 : 0);
    }
}

#if PK_X86_SIMD
/* An ASCII word of e-mask bytes w[0..len) (len < 64) that is long or has
 * joining apostrophes (bit i of skip: drop w[i]).  Only the AVX-512 path
 * (TB_BATCH) uses it; the others hash such words with hash_block_word. */
static __attribute__((noinline)) uint64_t hash_ascii_slow(const uint8_t *w, unsigned len, uint64_t skip)
{
    uint8_t b[64 + 16];
    size_t o = 0;
    memset(b, 0, 16);
    for (unsigned i = 0; i < len; i++) {
        b[o] = (uint8_t)(w[i] | 0x20);
        o += !((skip >> i) & 1);
    }
    if (o > 16) return XXH3_64bits(b, o);
    uint64_t lo, hi;
    memcpy(&lo, b, 8);
    memcpy(&hi, b + 8, 8);
    return hash16(lo, hi, o);
}
#endif

/* A word the block masks cut that is not plain short ASCII: w[0..len)
 * (len < 128, w[len] readable) holds ASCII letters and digits, joining
 * apostrophes (' or U+2019) and two-byte letters of fold2, nothing else.
 * Folds and hashes it in one pass, a byte at a time with no branch on
 * the text: an ASCII byte gives itself lower-cased (none for '), the lead
 * of a two-byte letter its fold2 entry, any other byte (a continuation,
 * the E2 of U+2019: fold2[0x80] is empty) nothing.  Branch-free: with
 * a branch per byte it took 61% of the AVX2 path's time on the 30% mixed
 * text; without, that path went from 160 to 230 MB/s. */
static __attribute__((noinline)) uint64_t hash_block_word(const uint8_t *w, unsigned len)
{
    uint8_t b[128 * 3 / 2 + 16];
    size_t o = 0;
    memset(b, 0, 16);
    for (unsigned i = 0; i < len; i++) {
        /* the entry: ASCII 0x800 + c; lead c of c d: its code point;
         * anything else 0 (empty) */
        const uint32_t c = w[i], d = w[i + 1];
        const uint32_t idx = (-(uint32_t)(c < 0x80) & (0x800 | c)) | (-(uint32_t)(c >= 0xC0) & ((c & 0x1F) << 6 | (d & 0x3F)));
        memcpy(b + o, fold2[idx], 4);
        o += fold2[idx][3];
    }
    if (o > 16) return XXH3_64bits(b, o);
    /* the first o bytes (the entries' stores leave bytes past o) */
    uint64_t lo, hi;
    memcpy(&lo, b, 8);
    memcpy(&hi, b + 8, 8);
    lo &= o >= 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * o)) - 1;
    hi &= o >= 16 ? ~(uint64_t)0 : o <= 8 ? 0 : ((uint64_t)1 << (8 * (o - 8))) - 1;
    return hash16(lo, hi, o);
}

/* The leads of the two-byte letters of fold2 in b[0..64) (b[64] readable),
 * a byte at a time over the non-ASCII bytes x. */
static __attribute__((noinline)) uint64_t uni2_portable(const uint8_t *b, uint64_t x)
{
    uint64_t u = 0;
    for (uint64_t r = x; r;) {
        const unsigned i = (unsigned)__builtin_ctzll(r);
        const uint8_t c = b[i], d = b[i + 1];
        if ((c & 0xE0) == 0xC0 && (d & 0xC0) == 0x80 && fold2_of(c, d)[3]) {
            u |= (uint64_t)1 << i;
            r &= ~((uint64_t)3 << i);
        } else {
            r &= r - 1;
        }
    }
    return u;
}

static inline uint64_t lowmask_portable(unsigned n) { return n >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1; }

/* For the 16-byte word loads: 16 bytes of ones, then 16 of zeros; the
 * 16 bytes from ones + 16 - len keep the first len bytes. */
static const uint8_t keep_ones[32] __attribute__((aligned(32))) = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* Portable C: eight bytes at a time in a 64-bit word (SWAR), each test
 * leaving the top bit of a byte, gathered by a multiply; a class table
 * on big-endian machines. */
#define B8(c) (0x0101010101010101ull * (uint8_t)(c))
static inline uint64_t swar_eq(uint64_t x, uint8_t c) /* byte == c */
{
    const uint64_t y = x ^ B8(c);
    return ~(((y & B8(0x7f)) + B8(0x7f)) | y) & B8(0x80);
}
static inline uint64_t swar_ge(uint64_t x7, uint8_t c) /* byte >= c, bytes and c below 0x80 */
{
    return (x7 + B8(0x80 - c)) & B8(0x80);
}
static inline uint64_t swar_bits(uint64_t m) { return ((m >> 7) * 0x0102040810204080ull) >> 56; }

static inline void masks_scalar(const uint8_t *b, tb_masks *m, int lines)
{
    uint64_t w = 0, a = 0, h = 0, x = 0, nl = 0, bl = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (unsigned j = 0; j < 64; j += 8) {
        uint64_t v;
        memcpy(&v, b + j, 8);
        const uint64_t hi = v & B8(0x80), v7 = v & B8(0x7f), l7 = (v | B8(0x20)) & B8(0x7f);
        const uint64_t word = ((swar_ge(l7, 'a') & ~swar_ge(l7, 'z' + 1)) | (swar_ge(v7, '0') & ~swar_ge(v7, '9' + 1))) & ~hi;
        w |= swar_bits(word) << j;
        a |= swar_bits(swar_eq(v, '\'')) << j;
        h |= swar_bits(swar_eq(v, '-')) << j;
        x |= swar_bits(hi) << j;
        bl |= swar_bits((~swar_ge(v7, 0x21) & B8(0x80)) | hi) << j;
        if (lines) nl |= swar_bits(swar_eq(v, '\n')) << j;
    }
#else
    for (unsigned i = 0; i < 64; i++) {
        const uint8_t c = b[i], cl = ascii_class[c];
        w |= (uint64_t)(cl == C_WORD) << i;
        a |= (uint64_t)(cl == C_APOS) << i;
        h |= (uint64_t)(cl == C_HYPH) << i;
        x |= (uint64_t)(c >> 7) << i;
        nl |= (uint64_t)(cl == C_NL) << i;
        bl |= (uint64_t)(tb_next[c] >> 2) << i;
    }
#endif
    m->w = w;
    m->a = a;
    m->h = h;
    m->x = x;
    m->n = lines ? nl : 0;
    m->b = bl;
}

static inline uint64_t hash16_scalar(const uint8_t *w, size_t len)
{
    uint64_t lo, hi, kl, kh;
    memcpy(&lo, w, 8);
    memcpy(&hi, w + 8, 8);
    memcpy(&kl, keep_ones + 16 - len, 8);
    memcpy(&kh, keep_ones + 24 - len, 8);
    const uint64_t lower = 0x2020202020202020ull;
    return hash16((lo | lower) & kl, (hi | lower) & kh, len);
}

#define TB_FN tokenize_scalar
#define TB_IMPL tokenize_scalar_impl
#define TB_ATTR
#define TB_MASKS masks_scalar
#define TB_HASH16 hash16_scalar
#define TB_LOWMASK lowmask_portable
#define TB_READ 80
#define TB_UNI2 uni2_portable
#define TB_HASHU hash_block_word
#include "text_block.h"

#if PK_X86_SIMD
#include <immintrin.h>

/* SSE2 (the x86-64 baseline): four 16-byte compares. */
static inline void masks_sse2(const uint8_t *b, tb_masks *m, int lines)
{
    const __m128i c0 = _mm_set1_epi8('0' - 1), c9 = _mm_set1_epi8('9' + 1);
    const __m128i ca = _mm_set1_epi8('a' - 1), cz = _mm_set1_epi8('z' + 1), c20 = _mm_set1_epi8(0x20);
    const __m128i ap = _mm_set1_epi8('\''), hy = _mm_set1_epi8('-'), nl = _mm_set1_epi8('\n');
    const __m128i c21 = _mm_set1_epi8(0x21);
    uint64_t w = 0, a = 0, h = 0, x = 0, n = 0, bl = 0;
    for (unsigned j = 0; j < 4; j++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + 16 * j));
        __m128i lc = _mm_or_si128(v, c20);
        __m128i dig = _mm_and_si128(_mm_cmpgt_epi8(v, c0), _mm_cmplt_epi8(v, c9));
        __m128i alp = _mm_and_si128(_mm_cmpgt_epi8(lc, ca), _mm_cmplt_epi8(lc, cz));
        const unsigned sh = 16 * j;
        w |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(dig, alp)) << sh;
        a |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, ap)) << sh;
        h |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, hy)) << sh;
        x |= (uint64_t)(unsigned)_mm_movemask_epi8(v) << sh;
        bl |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(v, c21)) << sh;
        if (lines) n |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl)) << sh;
    }
    m->w = w;
    m->a = a;
    m->h = h;
    m->x = x;
    m->n = n;
    m->b = bl;
}

static inline uint64_t hash16_sse2(const uint8_t *w, size_t len)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)w);
    __m128i keep = _mm_loadu_si128((const __m128i *)(const void *)(keep_ones + 16 - len));
    v = _mm_and_si128(_mm_or_si128(v, _mm_set1_epi8(0x20)), keep);
    return hash16((uint64_t)_mm_cvtsi128_si64(v), (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v)), len);
}

#define TB_FN tokenize_sse2
#define TB_IMPL tokenize_sse2_impl
#define TB_ATTR
#define TB_MASKS masks_sse2
#define TB_HASH16 hash16_sse2
#define TB_LOWMASK lowmask_portable
#define TB_READ 80
#define TB_UNI2 uni2_portable
#define TB_HASHU hash_block_word
#include "text_block.h"

/* AVX2: two 32-byte compares; BMI for the bit work. */
#define PK_AVX2 __attribute__((target("avx2,bmi,bmi2,popcnt")))

static PK_AVX2 inline void masks_avx2(const uint8_t *b, tb_masks *m, int lines)
{
    const __m256i c0 = _mm256_set1_epi8('0' - 1), c9 = _mm256_set1_epi8('9' + 1);
    const __m256i ca = _mm256_set1_epi8('a' - 1), cz = _mm256_set1_epi8('z' + 1), c20 = _mm256_set1_epi8(0x20);
    const __m256i ap = _mm256_set1_epi8('\''), hy = _mm256_set1_epi8('-'), nl = _mm256_set1_epi8('\n');
    const __m256i c21 = _mm256_set1_epi8(0x21);
    uint64_t w = 0, a = 0, h = 0, x = 0, n = 0, bl = 0;
    for (unsigned j = 0; j < 2; j++) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(b + 32 * j));
        __m256i lc = _mm256_or_si256(v, c20);
        __m256i dig = _mm256_and_si256(_mm256_cmpgt_epi8(v, c0), _mm256_cmpgt_epi8(c9, v));
        __m256i alp = _mm256_and_si256(_mm256_cmpgt_epi8(lc, ca), _mm256_cmpgt_epi8(cz, lc));
        const unsigned sh = 32 * j;
        w |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_or_si256(dig, alp)) << sh;
        a |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, ap)) << sh;
        h |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, hy)) << sh;
        x |= (uint64_t)(uint32_t)_mm256_movemask_epi8(v) << sh;
        bl |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(c21, v)) << sh;
        if (lines) n |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, nl)) << sh;
    }
    m->w = w;
    m->a = a;
    m->h = h;
    m->x = x;
    m->n = n;
    m->b = bl;
}

static PK_AVX2 inline uint64_t hash16_avx2(const uint8_t *w, size_t len)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)w);
    __m128i keep = _mm_loadu_si128((const __m128i *)(const void *)(keep_ones + 16 - len));
    v = _mm_and_si128(_mm_or_si128(v, _mm_set1_epi8(0x20)), keep);
    return hash16((uint64_t)_mm_cvtsi128_si64(v), (uint64_t)_mm_extract_epi64(v, 1), len);
}

static PK_AVX2 inline uint64_t lowmask_bmi2(unsigned n) { return _bzhi_u64(~(uint64_t)0, n); }

/* The bytes c of b[0..64) with (c & and) == eq, as a mask, from two
 * 32-byte compares. */
static PK_AVX2 inline uint64_t bytes_avx2(const uint8_t *b, uint8_t and, uint8_t eq)
{
    const __m256i a = _mm256_set1_epi8((char)and), e = _mm256_set1_epi8((char)eq);
    const __m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)b);
    const __m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(b + 32));
    return (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(v0, a), e)) |
           (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(v1, a), e)) << 32;
}

/* What uni2_fold_avx2 leaves for emit_folded_avx2: the block's bytes
 * lower-cased, the two bytes of each two-byte letter overwritten by its
 * fold2 entry; the second bytes of one-byte entries (skip) and the leads
 * of three-byte ones (bad). */
typedef struct tb_fold {
    uint8_t fb[64 + 16] __attribute__((aligned(32)));
    uint64_t skip, bad;
} tb_fold;

/* The bytes k of the fold2 entries of the 32 positions of a half block
 * (e: four vectors of eight entries, in order), as 32 bytes in order. */
static PK_AVX2 inline __m256i entry_bytes_avx2(const __m256i e[4], int k)
{
    const __m256i m = _mm256_set1_epi32(0xff);
    __m256i q[4];
    for (int i = 0; i < 4; i++) q[i] = _mm256_and_si256(_mm256_srli_epi32(e[i], 8 * k), m);
    /* the packs work within 128-bit lanes: entries 0-3 8-11 4-7 12-15 ... */
    const __m256i w = _mm256_packus_epi16(_mm256_packus_epi32(q[0], q[1]), _mm256_packus_epi32(q[2], q[3]));
    return _mm256_permutevar8x32_epi32(w, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* A block with this many two-byte letter candidates or more (Russian
 * text: about 30 a block) has its 64 fold2 entries gathered at once
 * (uni2_gather_avx2); one with fewer (French, German: a few) looks them
 * up one at a time. */
#define FOLD_GATHER_MIN 16

/* uni2_fold_avx2's work for a block full of letters: the entries of all
 * 64 positions by eight gathers (a position that holds no letter reads
 * an entry it does not use: every index is inside fold2), their bytes
 * packed back into byte lanes and put over the lower-cased block at the
 * letters' leads (byte 0 of the entry) and the bytes after them (byte
 * 1); the entries' counts give the letters, the one-byte entries and the
 * three-byte ones.  Measured on Cyrillic text (bench/stages.c, AMD EPYC
 * Zen 3): the letter-by-letter loop took 46% of the tokenizer. */
static PK_AVX2 inline uint64_t uni2_gather_avx2(const uint8_t *b, uint64_t cand, tb_fold *f)
{
    const __m256i lc = _mm256_set1_epi8(0x20), zero = _mm256_setzero_si256();
    uint64_t u = 0, skip = 0, bad = 0;
    __m256i prev1 = zero, prevlead = zero; /* the half before's entry bytes 1 and leads */
    for (int h = 0; h < 2; h++) {
        const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(b + 32 * h));
        const __m256i n = _mm256_loadu_si256((const __m256i *)(const void *)(b + 32 * h + 1));
        /* index (lead & 0x1F) << 6 | (next & 0x3F), as fold2_of */
        const __m256i lo5 = _mm256_and_si256(v, _mm256_set1_epi8(0x1F)), lo6 = _mm256_and_si256(n, _mm256_set1_epi8(0x3F));
        __m256i e[4];
        for (int q = 0; q < 2; q++) {
            const __m256i a16 = _mm256_cvtepu8_epi16(q ? _mm256_extracti128_si256(lo5, 1) : _mm256_castsi256_si128(lo5));
            const __m256i d16 = _mm256_cvtepu8_epi16(q ? _mm256_extracti128_si256(lo6, 1) : _mm256_castsi256_si128(lo6));
            const __m256i ix = _mm256_or_si256(_mm256_slli_epi16(a16, 6), d16);
            for (int r = 0; r < 2; r++) {
                const __m256i i32 = _mm256_cvtepu16_epi32(r ? _mm256_extracti128_si256(ix, 1) : _mm256_castsi256_si128(ix));
                e[2 * q + r] = _mm256_i32gather_epi32((const int *)(const void *)fold2, i32, 4);
            }
        }
        const __m256i b0 = entry_bytes_avx2(e, 0), b1 = entry_bytes_avx2(e, 1), cnt = entry_bytes_avx2(e, 3);
        const uint32_t c32 = (uint32_t)(cand >> (32 * h));
        /* the candidates as byte lanes */
        const __m256i sel = _mm256_setr_epi64x(0, 0x0101010101010101ll, 0x0202020202020202ll, 0x0303030303030303ll);
        const __m256i bits = _mm256_set1_epi64x((long long)0x8040201008040201ull);
        const __m256i lead = _mm256_cmpeq_epi8(
            _mm256_and_si256(_mm256_shuffle_epi8(_mm256_set1_epi32((int)c32), sel), bits), bits);
        /* byte i + 1 of a lead at i: byte 1 of its entry, one lane on
         * (the lane before the first is the half before's last) */
        const __m256i carry1 = _mm256_permute2x128_si256(b1, prev1, 0x03), carryl = _mm256_permute2x128_si256(lead, prevlead, 0x03);
        const __m256i next1 = _mm256_alignr_epi8(b1, carry1, 15), nextl = _mm256_alignr_epi8(lead, carryl, 15);
        __m256i o = _mm256_or_si256(v, lc);
        o = _mm256_blendv_epi8(o, next1, nextl);
        o = _mm256_blendv_epi8(o, b0, lead);
        _mm256_store_si256((__m256i *)(void *)(f->fb + 32 * h), o);
        prev1 = b1;
        prevlead = lead;
        const uint32_t none = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(cnt, zero));
        const uint32_t one = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(cnt, _mm256_set1_epi8(1)));
        const uint32_t three = (uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(cnt, _mm256_set1_epi8(2)));
        u |= (uint64_t)(c32 & ~none) << (32 * h);
        skip |= (uint64_t)(c32 & one) << (32 * h);
        bad |= (uint64_t)(c32 & three) << (32 * h);
    }
    f->skip = skip << 1; /* the byte after a one-byte entry's lead; a lead at 63: not this block's */
    f->bad = bad;
    return u;
}

/* uni2_portable for AVX2 (TB_FOLD): the candidates (a lead byte 110xxxxx
 * before a continuation byte) from the compares, then each one's fold2
 * entry, with no branch on the text: its count says whether it is a
 * letter, and the entry is written into the folded block at once, so
 * that emit_folded_avx2 need not look the letters up again.  AVX2 has no
 * 256-entry byte permute (uni2_avx512's lookup).  Measured on the 30%
 * mixed text (bench/stages.c, AMD EPYC Zen 3): uni2_portable, a step
 * for every non-ASCII byte, took 11.7% of the tokenizer's profile; a
 * candidate loop here and another in emit_folded_avx2, 13% and about
 * 20% of its instructions (callgrind); this one loop, the figure in
 * BENCHMARKS.md.  A block with many letters takes uni2_gather_avx2.  Out
 * of line: inlined, it cost ASCII text a few percent (register pressure in
 * the block loop). */
static PK_AVX2 __attribute__((noinline)) uint64_t uni2_fold_avx2(const uint8_t *b, uint64_t x, tb_fold *f)
{
    (void)x;
    const __m256i lc = _mm256_set1_epi8(0x20);
    uint64_t cand = bytes_avx2(b, 0xE0, 0xC0) & bytes_avx2(b + 1, 0xC0, 0x80);
    if (__builtin_popcountll(cand) >= FOLD_GATHER_MIN) return uni2_gather_avx2(b, cand, f);
    _mm256_store_si256((__m256i *)(void *)f->fb,
                       _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(const void *)b), lc));
    _mm256_store_si256((__m256i *)(void *)(f->fb + 32),
                       _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(const void *)(b + 32)), lc));
    uint64_t u = cand, skip = 0, bad = 0;
    for (; cand; cand &= cand - 1) {
        const unsigned i = (unsigned)__builtin_ctzll(cand);
        const uint8_t *e = fold2_of(b[i], b[i + 1]);
        /* a candidate that is no letter (no entry) is no word byte: what
         * is written there is never read */
        memcpy(f->fb + i, e, 2);
        if (__builtin_expect(e[3] != 2, 0)) {
            /* rare: most letters fold to two bytes (a branch taken
             * seldom cost less than three flags a letter) */
            const uint64_t bit = cand & -cand;
            if (!e[3]) u &= ~bit;
            skip |= e[3] == 1 ? bit << 1 : 0; /* a lead at 63: its word is not in this block's batch */
            bad |= e[3] > 2 ? bit : 0;
        }
    }
    f->skip = skip;
    f->bad = bad;
    return u;
}

/* uni3_avx512 for AVX2: the E2 80 xx sequences from the compares, each
 * one's class from uni3_class (they are rare: a quote or a dash).  Only
 * sequences wholly in the block, as text_block.h wants: one that starts
 * at byte 62 or 63 stays hard (the masks of the bytes after the block,
 * which say whether it joins two letters, are not there). */
static PK_AVX2 __attribute__((noinline)) void uni3_avx2(const uint8_t *b, uint64_t *sep3, uint64_t *apos3)
{
    uint64_t e280 = bytes_avx2(b, 0xFF, 0xE2) & bytes_avx2(b + 1, 0xFF, 0x80) & bytes_avx2(b + 2, 0xC0, 0x80) &
                    (((uint64_t)1 << 62) - 1);
    uint64_t s = 0, a = 0;
    for (; e280; e280 &= e280 - 1) {
        const unsigned i = (unsigned)__builtin_ctzll(e280);
        const uint64_t cls = uni3_class[b[i + 2] & 0x3F];
        s |= (cls & 1) << i;
        a |= (cls >> 1) << i;
    }
    *sep3 = s;
    *apos3 = a;
}

/* For hash_uni_avx2: the byte shuffle that packs the set bits' bytes of
 * an 8-bit mask to the front (0x80, a zero byte, after them); and the one
 * that closes the gap between two packed halves, the first with n bytes. */
static uint8_t pack8[256][8] __attribute__((aligned(64)));
static uint8_t close16[9][16] __attribute__((aligned(64)));

static void build_pack8(void)
{
    for (int m = 0; m < 256; m++) {
        int o = 0;
        for (int i = 0; i < 8; i++)
            if (m >> i & 1) pack8[m][o++] = (uint8_t)i;
        while (o < 8) pack8[m][o++] = 0x80;
    }
    for (int n = 0; n <= 8; n++)
        for (int j = 0; j < 16; j++) close16[n][j] = (uint8_t)(j < n ? j : j < n + 8 ? j - n + 8 : 0x80);
}

/* hash_block_word in a register, for words of up to 16 bytes (w[0..16)
 * readable), as hash_uni_avx512 without its masked moves and compress:
 * the word lower-cased, each two-byte letter's bytes overwritten by its
 * fold2 entry, then the bytes to drop (apostrophes, U+2019, the second
 * byte of one-byte entries) packed out by two byte shuffles from tables.
 * (The entries put in a 128-bit integer by shifts instead of stored:
 * the same time, end to end.)
 * A word with a three-byte entry, or longer, takes hash_block_word.
 * pext would pack in one instruction a half, but is microcoded on AMD
 * before Zen 3.  Measured on the 30% mixed text (AMD EPYC Zen 3): the
 * byte loop of hash_block_word took 49% of the AVX2 tokenizer's time. */
static PK_AVX2 __attribute__((noinline)) uint64_t hash_uni_avx2(const uint8_t *w, unsigned len)
{
    if (len > 16) return hash_block_word(w, len);
    const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)w);
    const uint32_t in = _bzhi_u32(0xffff, len);
    const uint32_t lead = in & (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(v, _mm_set1_epi8((char)0xE0)),
                                                                          _mm_set1_epi8((char)0xC0)));
    const uint32_t e2 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8((char)0xE2)));
    uint32_t drop = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\''))) | e2 | e2 << 1 | e2 << 2;
    const __m128i lc = _mm_or_si128(v, _mm_set1_epi8(0x20)); /* non-ASCII bytes are overwritten or dropped */
    /* the letters' entries over their bytes: stored, then loaded again
     * (one wait for the stores, not a chain of 128-bit shifts) */
    uint8_t buf[32] __attribute__((aligned(16)));
    _mm_store_si128((__m128i *)(void *)buf, lc);
    for (uint32_t r = lead; r; r &= r - 1) {
        const unsigned i = (unsigned)__builtin_ctz(r);
        const uint8_t *e = fold2_of(w[i], w[i + 1]);
        memcpy(buf + i, e, 2);
        if (__builtin_expect(e[3] != 2, 0)) {
            if (e[3] > 2) return hash_block_word(w, len);
            drop |= (uint32_t)1 << (i + 1);
        }
    }
    const uint32_t keep = in & ~drop;
    uint64_t lo8, hi8;
    memcpy(&lo8, pack8[keep & 0xff], 8);
    memcpy(&hi8, pack8[keep >> 8 & 0xff], 8);
    const unsigned nlo = (unsigned)__builtin_popcount(keep & 0xff);
    __m128i p = _mm_load_si128((const __m128i *)(const void *)buf);
    p = _mm_shuffle_epi8(p, _mm_set_epi64x((long long)(hi8 | 0x0808080808080808ull), (long long)lo8));
    p = _mm_shuffle_epi8(p, _mm_load_si128((const __m128i *)(const void *)close16[nlo]));
    return hash16((uint64_t)_mm_cvtsi128_si64(p), (uint64_t)_mm_extract_epi64(p, 1), (size_t)__builtin_popcount(keep));
}

/* hash16_avx2 of bytes already lower-cased and folded (emit_avx2's
 * packed block): no OR, which would change non-ASCII bytes. */
static PK_AVX2 inline uint64_t hash16_folded_avx2(const uint8_t *w, size_t len)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)w);
    v = _mm_and_si128(v, _mm_loadu_si128((const __m128i *)(const void *)(keep_ones + 16 - len)));
    return hash16((uint64_t)_mm_cvtsi128_si64(v), (uint64_t)_mm_extract_epi64(v, 1), len);
}

/* emit_folded_avx2's words, hashed from src: the folded block with the
 * bytes in skip packed out (skip 0: the folded block itself).  Inlined
 * with skip a constant 0, the offsets' popcounts fold away: one loop for
 * both cases, hashing from either copy with the packed offsets at run
 * time, cost French text 7.95-8.65 -> 8.48-8.82 ns a token. */
static PK_AVX2 inline __attribute__((always_inline)) void emit_folded_words(const uint8_t *b, size_t p, uint64_t starts,
                                                                            uint64_t ends, uint64_t skip, uint64_t bad,
                                                                            const uint8_t *src, uint64_t nl,
                                                                            uint32_t line, pk_tok *out, unsigned c,
                                                                            int lines)
{
    for (unsigned g = 0; g < c; g++) {
        const unsigned ws = (unsigned)__builtin_ctzll(starts), we = (unsigned)__builtin_ctzll(ends);
        starts &= starts - 1;
        ends &= ends - 1;
        const unsigned len = we - ws;
        const uint64_t before = _bzhi_u64(~(uint64_t)0, ws), in = _bzhi_u64(~(uint64_t)0, we) & ~before;
        const unsigned fs = ws - (unsigned)__builtin_popcountll(skip & before);
        const unsigned flen = len - (unsigned)__builtin_popcountll(skip & in);
        /* longer words (Cyrillic ones of nine letters and more) are
         * hashed from the folded bytes too, as hash_block_word would */
        out[g].h = __builtin_expect((bad & in) != 0, 0) ? hash_block_word(b + ws, len)
                   : flen <= 16                        ? hash16_folded_avx2(src + fs, flen)
                                                       : XXH3_64bits(src + fs, flen);
        out[g].off = p + ws;
        out[g].len = len;
        out[g].line = lines ? line + (uint32_t)__builtin_popcountll(nl & before) : 0;
    }
}

/* TB_BATCH for AVX2, for blocks with two-byte letters only
 * (TB_BATCH_UNI): the c words of a round from the block uni2_fold_avx2
 * folded, as emit_avx512 hashes a folded block.  The bytes to drop
 * (joining apostrophes and U+2019, second bytes of one-byte entries) are
 * packed out sixteen at a time by two byte shuffles (hash_uni_avx2's);
 * each word is then hashed from the packed bytes like a plain ASCII
 * word, found where it starts less the dropped bytes before it (one of
 * more than 16 packed bytes by XXH3 of them, as hash_block_word would);
 * a word with a three-byte entry (bad) takes hash_block_word.  Measured on the 30% mixed text (bench/stages.c, AMD
 * EPYC Zen 3, best of alternating runs): the tokenizer took 37-40 ns a
 * token with hash_block_word on every such word, 33 with hash_uni_avx2
 * a word (a branch a letter, several a word), and the figure in
 * BENCHMARKS.md with this.  ASCII blocks keep text_block.h's loop (a
 * batch for them was no faster). */
static PK_AVX2 __attribute__((noinline)) void emit_folded_avx2(const uint8_t *b, size_t p, uint64_t starts,
                                                               uint64_t ends, uint64_t join, uint64_t uni, uint64_t nl,
                                                               uint32_t line, pk_tok *out, unsigned c, int lines,
                                                               const tb_fold *f)
{
    (void)uni;
    uint8_t fc[64 + 16] __attribute__((aligned(32)));
    const uint64_t skip = f->skip | join, keep = ~skip;
    if (!skip) {
        /* Nothing to drop (French, German: letters fold to two bytes, no
         * joining apostrophe): the words are hashed from the folded block
         * itself, not from a packed copy.  French-like text (bench/stages.c,
         * alternating runs): tokenize 8.73-8.87 -> 7.83-7.95 ns a token;
         * the 30% mixed text, whose Cyrillic letters often fold to one
         * byte, within noise. */
        emit_folded_words(b, p, starts, ends, 0, f->bad, f->fb, nl, line, out, c, lines);
        return;
    }
    unsigned o = 0;
    for (unsigned j = 0; j < 4; j++) {
        const unsigned m = (unsigned)(keep >> (16 * j)) & 0xffff;
        uint64_t lo8, hi8;
        memcpy(&lo8, pack8[m & 0xff], 8);
        memcpy(&hi8, pack8[m >> 8], 8);
        __m128i v = _mm_load_si128((const __m128i *)(const void *)(f->fb + 16 * j));
        v = _mm_shuffle_epi8(v, _mm_set_epi64x((long long)(hi8 | 0x0808080808080808ull), (long long)lo8));
        v = _mm_shuffle_epi8(v, _mm_load_si128((const __m128i *)(const void *)close16[__builtin_popcount(m & 0xff)]));
        _mm_storeu_si128((__m128i *)(void *)(fc + o), v);
        o += (unsigned)__builtin_popcount(m);
    }
    _mm_storeu_si128((__m128i *)(void *)(fc + o), _mm_setzero_si128()); /* a word's 16-byte load stays defined */
    emit_folded_words(b, p, starts, ends, skip, f->bad, fc, nl, line, out, c, lines);
}

#define TB_FN tokenize_avx2
#define TB_IMPL tokenize_avx2_impl
#define TB_ATTR PK_AVX2
#define TB_MASKS masks_avx2
#define TB_HASH16 hash16_avx2
#define TB_LOWMASK lowmask_bmi2
#define TB_READ 80
#define TB_BATCH emit_folded_avx2
#define TB_BATCH_UNI
#define TB_UNI3 uni3_avx2
#define TB_UNI2 uni2_portable /* unused: TB_FOLD */
#define TB_FOLD uni2_fold_avx2
#define TB_HASHJ(w, len, skip) hash_uni_avx2(w, len) /* finds the apostrophes itself */
#define TB_HASHU hash_uni_avx2
#include "text_block.h"

/* AVX-512 (F, BW, VL, DQ, VBMI, VBMI2, VPOPCNTDQ: Ice Lake, Zen 4 and
 * later): one 64-byte load, compares straight into 64-bit masks, and the
 * words of a round written eight at a time (emit_avx512). */
#define PK_AVX512                                                                                   \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,avx512vbmi2,avx512vpopcntdq," \
                           "avx2,bmi,bmi2,popcnt")))

static PK_AVX512 inline void masks_avx512(const uint8_t *b, tb_masks *m, int lines)
{
    const __m512i v = _mm512_loadu_si512((const void *)b);
    const __m512i lc = _mm512_or_si512(v, _mm512_set1_epi8(0x20));
    m->w = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(lc, _mm512_set1_epi8('a')), _mm512_set1_epi8(26)) |
           _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('0')), _mm512_set1_epi8(10));
    m->a = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\''));
    m->h = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('-'));
    m->x = _mm512_movepi8_mask(v);
    m->b = _mm512_cmplt_epi8_mask(v, _mm512_set1_epi8(0x21));
    m->n = lines ? _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n')) : 0;
}

/* E2 80 xx: the class of xx (80..BF) from its low six bits. */
static PK_AVX512 inline void uni3_avx512(const uint8_t *b, uint64_t *sep3, uint64_t *apos3)
{
    const __m512i v = _mm512_loadu_si512((const void *)b);
    const __m512i cls = _mm512_permutexvar_epi8(v, _mm512_load_si512((const void *)uni3_class));
    const uint64_t cont = _mm512_cmpge_epu8_mask(v, _mm512_set1_epi8((char)0x80)) &
                          _mm512_cmplt_epu8_mask(v, _mm512_set1_epi8((char)0xC0));
    const uint64_t e280 = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8((char)0xE2)) &
                          (_mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8((char)0x80)) >> 1);
    *sep3 = e280 & ((_mm512_test_epi8_mask(cls, _mm512_set1_epi8(1)) & cont) >> 2);
    *apos3 = e280 & ((_mm512_test_epi8_mask(cls, _mm512_set1_epi8(2)) & cont) >> 2);
}

/* The leads of the two-byte letters of fold2 in b[0..64): a lead byte
 * (110xxxxx) before a continuation byte whose code point has its bit in
 * fold2_bits, looked up by two two-register byte permutes (the byte,
 * (lead & 0x1F) << 3 | (cont >> 3 & 7), 0..255) and a third (the bit,
 * from cont & 7). */
static const uint8_t pow2_64[64] __attribute__((aligned(64))) = {
    1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128,
    1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};

static PK_AVX512 inline uint64_t uni2_avx512(const uint8_t *b, uint64_t x)
{
    (void)x;
    const __m512i v = _mm512_loadu_si512((const void *)b), v1 = _mm512_loadu_si512((const void *)(b + 1));
    const uint64_t lead = _mm512_cmpeq_epi8_mask(_mm512_and_si512(v, _mm512_set1_epi8((char)0xE0)),
                                                 _mm512_set1_epi8((char)0xC0));
    const uint64_t cont = _mm512_cmpeq_epi8_mask(_mm512_and_si512(v1, _mm512_set1_epi8((char)0xC0)),
                                                 _mm512_set1_epi8((char)0x80));
    if (!(lead & cont)) return 0;
    const __m512i idx = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_slli_epi16(v, 3), _mm512_set1_epi8((char)0xF8)),
                                                  _mm512_srli_epi16(v1, 3), _mm512_set1_epi8(7), 0xF8); /* a | (b & c) */
    const __m512i t0 = _mm512_load_si512((const void *)fold2_bits), t1 = _mm512_load_si512((const void *)(fold2_bits + 64));
    const __m512i t2 = _mm512_load_si512((const void *)(fold2_bits + 128)), t3 = _mm512_load_si512((const void *)(fold2_bits + 192));
    const __m512i lo = _mm512_permutex2var_epi8(t0, idx, t1), hi = _mm512_permutex2var_epi8(t2, idx, t3);
    const __m512i byte = _mm512_mask_blend_epi8(_mm512_movepi8_mask(idx), lo, hi);
    const __m512i bit = _mm512_permutexvar_epi8(v1, _mm512_load_si512((const void *)pow2_64));
    return lead & cont & _mm512_test_epi8_mask(byte, bit);
}

/* hash_block_word in a register, for words of up to 16 bytes: the word
 * lower-cased (ASCII bytes OR 0x20), the two bytes of each two-byte
 * letter overwritten by its fold2 entry (a one-byte entry drops the
 * second byte), apostrophes and U+2019 dropped, all by one byte
 * compress.  A word with a three-byte entry, or longer, takes
 * hash_block_word.  Measured on the 30% mixed text: the byte loop of
 * hash_block_word on every such word took 69% of the tokenizer's time. */
static PK_AVX512 inline uint64_t hash_uni_avx512(const uint8_t *w, unsigned len)
{
    if (len > 16) return hash_block_word(w, len);
    const __mmask16 in = (__mmask16)_bzhi_u32(0xffff, len);
    __m128i v = _mm_maskz_loadu_epi8(in, (const void *)w);
    const uint32_t lead = _mm_cmpeq_epi8_mask(_mm_and_si128(v, _mm_set1_epi8((char)0xE0)), _mm_set1_epi8((char)0xC0));
    const uint32_t e2 = _mm_cmpeq_epi8_mask(v, _mm_set1_epi8((char)0xE2));
    uint32_t drop = _mm_cmpeq_epi8_mask(v, _mm_set1_epi8('\'')) | e2 | e2 << 1 | e2 << 2;
    v = _mm_or_si128(v, _mm_set1_epi8(0x20)); /* the non-ASCII bytes are overwritten or dropped below */
    for (uint32_t r = lead; r; r &= r - 1) {
        const unsigned i = (unsigned)__builtin_ctz(r);
        const uint8_t *f = fold2_of(w[i], w[i + 1]);
        if (f[3] > 2) return hash_block_word(w, len);
        uint16_t two = (uint16_t)(f[0] | f[1] << 8);
        if (i & 1) two = (uint16_t)(two >> 8 | two << 8);
        v = _mm_mask_mov_epi8(v, (__mmask16)(3u << i), _mm_set1_epi16((short)two));
        drop |= (uint32_t)(f[3] == 1) << (i + 1);
    }
    const __mmask16 keep = (__mmask16)(in & ~drop);
    v = _mm_maskz_compress_epi8(keep, v);
    return hash16((uint64_t)_mm_cvtsi128_si64(v), (uint64_t)_mm_extract_epi64(v, 1), (size_t)__builtin_popcount(keep));
}

static PK_AVX512 inline uint64_t hash16_avx512(const uint8_t *w, size_t len)
{
    const __mmask16 keep = (__mmask16)_bzhi_u32(0xffff, (unsigned)len);
    __m128i v = _mm_maskz_mov_epi8(keep, _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)w),
                                                      _mm_set1_epi8(0x20)));
    return hash16((uint64_t)_mm_cvtsi128_si64(v), (uint64_t)_mm_extract_epi64(v, 1), len);
}

static PK_AVX512 inline uint64_t lowmask_avx512(unsigned n) { return _bzhi_u64(~(uint64_t)0, n); }

/* Byte tables for emit_avx512: 0..63; each of 0..7 eight times; 0..7
 * eight times. */
static const uint8_t iota64[64] __attribute__((aligned(64))) = {
    0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
    22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,
    44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63};
static const uint8_t spread8[64] __attribute__((aligned(64))) = {
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3,
    4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7};
static const uint8_t iota8x8[64] __attribute__((aligned(64))) = {
    0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7,
    0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7};

/* mum(a, b) ^ c in eight lanes: the 128-bit products from 32 x 32-bit
 * ones, their halves XORed. */
static PK_AVX512 inline __m512i mum_avx512(__m512i a, __m512i b, __m512i c)
{
    const __m512i lo32 = _mm512_set1_epi64(0xffffffff);
    const __m512i a1 = _mm512_srli_epi64(a, 32), b1 = _mm512_srli_epi64(b, 32);
    const __m512i p00 = _mm512_mul_epu32(a, b), p01 = _mm512_mul_epu32(a, b1);
    const __m512i p10 = _mm512_mul_epu32(a1, b), p11 = _mm512_mul_epu32(a1, b1);
    const __m512i mid = _mm512_add_epi64(_mm512_add_epi64(_mm512_srli_epi64(p00, 32), _mm512_and_si512(p01, lo32)),
                                         _mm512_and_si512(p10, lo32));
    const __m512i hi = _mm512_add_epi64(_mm512_add_epi64(p11, _mm512_srli_epi64(p01, 32)),
                                        _mm512_add_epi64(_mm512_srli_epi64(p10, 32), _mm512_srli_epi64(mid, 32)));
    const __m512i lo = _mm512_ternarylogic_epi64(_mm512_slli_epi64(mid, 32), p00, lo32, 0xF8); /* a | (b & c) */
    return _mm512_ternarylogic_epi64(lo, hi, c, 0x96);
}

/* The hash of the word of the masks at w[0..len), len < 64, whose
 * apostrophes are the set bits of skip (w[0..16) readable): dropped with
 * a compress when what is left fits in 16 bytes. */
static PK_AVX512 inline uint64_t hash_join_avx512(const uint8_t *w, unsigned len, uint64_t skip)
{
    if (len > 16) return hash_ascii_slow(w, len, skip);
    const __mmask16 keep = (__mmask16)(_bzhi_u32(0xffff, len) & ~(uint32_t)skip);
    const __m128i v = _mm_maskz_compress_epi8(keep, _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)w),
                                                                 _mm_set1_epi8(0x20)));
    return hash16((uint64_t)_mm_cvtsi128_si64(v), (uint64_t)_mm_extract_epi64(v, 1),
                  (size_t)__builtin_popcount(keep));
}

/* Write the c words of a round (starts and ends as in text_block.h) to
 * out[0..c), eight at a time: their offsets and lengths come from
 * compressing the masks; the first and the second 8 bytes of each word
 * from one two-block byte permute each; their hashes from mum_avx512;
 * three qword permutes each put them in the token layout.  Words longer
 * than 16 bytes or with a joining apostrophe are then hashed again one
 * by one.  Reads b[0..128). */
static PK_AVX512 inline __attribute__((always_inline)) void emit_impl_avx512(const uint8_t *b, size_t p, uint64_t starts,
                                                                             uint64_t ends, uint64_t join, uint64_t uni,
                                                                             uint64_t nl, uint32_t line, pk_tok *out,
                                                                             unsigned c, int lines, const int folded)
{
    const __m512i iota = _mm512_load_si512((const void *)iota64);
    const __m512i sp8 = _mm512_load_si512((const void *)spread8);
    const __m512i io8 = _mm512_load_si512((const void *)iota8x8);
    __m512i blk0 = _mm512_loadu_si512((const void *)b), blk1 = _mm512_loadu_si512((const void *)(b + 64));
    __m512i lc = _mm512_set1_epi8(0x20); /* what the lanes OR in: lower-casing */
    const __m512i S = _mm512_maskz_compress_epi8(starts, iota);
    const __m512i L = _mm512_sub_epi8(_mm512_maskz_compress_epi8(ends, iota), S);
    __m512i SH = S, LH = L; /* where the lanes take a word's bytes from, and how many */
    uint64_t bad = 0;
    if (folded) {
        /* Fold the block: ASCII lower-cased, the two bytes of each
         * two-byte letter replaced by its fold2 entry (a one-byte entry
         * drops the second; a three-byte one makes the word bad, for
         * hash_block_word), then the dropped bytes (those, and joining
         * apostrophes) compressed out, the word starts and ends with
         * them (pext): every word of the block hashes in the lanes from
         * the folded bytes, as ASCII words do from the block's.  Word
         * starts and ends are never dropped bytes (those are inside
         * words). */
        uint8_t fb[64] __attribute__((aligned(64)));
        _mm512_store_si512((void *)fb, _mm512_or_si512(blk0, lc));
        const uint64_t leads = uni & ~((uint64_t)1 << 63) & /* a lead at 63: its word goes on */
                               _mm512_cmpeq_epi8_mask(_mm512_and_si512(blk0, _mm512_set1_epi8((char)0xE0)),
                                                      _mm512_set1_epi8((char)0xC0));
        uint64_t skip = join;
        for (uint64_t r = leads; r; r &= r - 1) {
            const unsigned i = (unsigned)__builtin_ctzll(r);
            const uint8_t *f = fold2_of(b[i], b[i + 1]);
            memcpy(fb + i, f, 2);
            skip |= (uint64_t)(f[3] == 1) << (i + 1);
            bad |= (uint64_t)(f[3] > 2) << i;
        }
        const uint64_t keep = ~skip;
        blk0 = _mm512_maskz_compress_epi8(keep, _mm512_load_si512((const void *)fb));
        blk1 = _mm512_setzero_si512();
        lc = blk1;
        SH = _mm512_maskz_compress_epi8(_pext_u64(starts, keep), iota);
        LH = _mm512_sub_epi8(_mm512_maskz_compress_epi8(_pext_u64(ends, keep), iota), SH);
    }
    const __m512i byte0 = _mm512_set1_epi64(0xff), ones = _mm512_set1_epi64(-1);
    const __m512i k1 = _mm512_set1_epi64((long long)0xa0761d6478bd642full);
    const __m512i k2 = _mm512_set1_epi64((long long)0xe7037ed1a0b428dbull);
    /* Token layout, 8 tokens in 24 qwords: h off ll | h off ll | ... */
    const __m512i ho0 = _mm512_set_epi64(10, 2, 0 /* ll */, 9, 1, 0 /* ll */, 8, 0);
    const __m512i ho1 = _mm512_set_epi64(5, 0 /* ll */, 12, 4, 0 /* ll */, 11, 3, 0 /* ll */);
    const __m512i ho2 = _mm512_set_epi64(0 /* ll */, 15, 7, 0 /* ll */, 14, 6, 0 /* ll */, 13);
    const __m512i ll0 = _mm512_set_epi64(0, 0, 1, 0, 0, 0, 0, 0), ll1 = _mm512_set_epi64(0, 4, 0, 0, 3, 0, 0, 2);
    const __m512i ll2 = _mm512_set_epi64(7, 0, 0, 6, 0, 0, 5, 0);
    for (unsigned g = 0; g < c; g += 8) {
        /* Lane j: word g + j, its start in every byte, then its bytes. */
        const __m512i i = _mm512_add_epi8(sp8, _mm512_set1_epi8((char)g));
        const __m512i sg = _mm512_permutexvar_epi8(i, S), lg = _mm512_permutexvar_epi8(i, L);
        const __m512i st = _mm512_and_si512(sg, byte0), len = _mm512_and_si512(lg, byte0);
        const __m512i shg = folded ? _mm512_permutexvar_epi8(i, SH) : sg;
        const __m512i hlen = folded ? _mm512_and_si512(_mm512_permutexvar_epi8(i, LH), byte0) : len;
        const __m512i at = _mm512_add_epi8(shg, io8);
        const __m512i lob = _mm512_permutex2var_epi8(blk0, at, blk1);
        const __m512i hib = _mm512_permutex2var_epi8(blk0, _mm512_add_epi8(at, _mm512_set1_epi8(8)), blk1);
        /* Lower-cased, cut to the length: lo keeps 8 * len bits (all
         * from len 8), hi 8 * (len - 8) (none up to len 8). */
        const __m512i len8 = _mm512_slli_epi64(hlen, 3);
        const __m512i lo = _mm512_ternarylogic_epi64(lob, lc, _mm512_sllv_epi64(ones, len8), 0x54); /* (a|b)&~c */
        const __m512i hi = _mm512_ternarylogic_epi64(
            hib, lc, _mm512_srlv_epi64(ones, _mm512_sub_epi64(_mm512_set1_epi64(128), len8)), 0xA8); /* (a|b)&c */
        const __m512i h = mum_avx512(_mm512_xor_si512(lo, k1), _mm512_ternarylogic_epi64(hi, k2, hlen, 0x96), hlen);
        const __m512i off = _mm512_add_epi64(st, _mm512_set1_epi64((long long)p));
        __m512i ll = len;
        if (lines) {
            /* line + the newlines before the word's start */
            const __m512i before = _mm512_sllv_epi64(_mm512_set1_epi64((long long)nl),
                                                     _mm512_sub_epi64(_mm512_set1_epi64(64), st));
            const __m512i ln = _mm512_add_epi64(_mm512_popcnt_epi64(before), _mm512_set1_epi64(line));
            ll = _mm512_or_si512(len, _mm512_slli_epi64(ln, 32));
        }
        const __m512i o0 = _mm512_mask_permutexvar_epi64(_mm512_permutex2var_epi64(h, ho0, off), 0x24, ll0, ll);
        const __m512i o1 = _mm512_mask_permutexvar_epi64(_mm512_permutex2var_epi64(h, ho1, off), 0x49, ll1, ll);
        const __m512i o2 = _mm512_mask_permutexvar_epi64(_mm512_permutex2var_epi64(h, ho2, off), 0x92, ll2, ll);
        uint64_t *q = (uint64_t *)(void *)(out + g);
        if (c - g >= 8) {
            _mm512_storeu_si512((void *)q, o0);
            _mm512_storeu_si512((void *)(q + 8), o1);
            _mm512_storeu_si512((void *)(q + 16), o2);
        } else {
            const unsigned r = 3 * (c - g); /* qwords to write */
            _mm512_mask_storeu_epi64(q, (__mmask8)_bzhi_u32(0xff, r), o0);
            _mm512_mask_storeu_epi64(q + 8, (__mmask8)_bzhi_u32(0xff, r > 8 ? r - 8 : 0), o1);
            _mm512_mask_storeu_epi64(q + 16, (__mmask8)_bzhi_u32(0xff, r > 16 ? r - 16 : 0), o2);
        }
    }
    /* Words the lanes got wrong: more than 16 bytes to hash, an
     * apostrophe to drop (ASCII blocks), a bad letter (folded blocks). */
    uint64_t fix = _mm512_cmpgt_epu8_mask(LH, _mm512_set1_epi8(16)) & _bzhi_u64(~(uint64_t)0, c);
    for (uint64_t j = folded ? bad : join; j; j &= j - 1) {
        /* the word of byte ctz(j): starts up to it, itself included (a
         * bad letter may start its word) */
        const unsigned word =
            (unsigned)__builtin_popcountll(starts & _bzhi_u64(~(uint64_t)0, (unsigned)__builtin_ctzll(j) + 1)) - 1;
        if (word < c) fix |= (uint64_t)1 << word;
    }
    for (; fix; fix &= fix - 1) {
        pk_tok *t = out + __builtin_ctzll(fix);
        const unsigned ws = (unsigned)(t->off - p);
        t->h = folded ? hash_block_word(b + ws, t->len) : hash_join_avx512(b + ws, t->len, join >> ws);
    }
}

/* Blocks with two-byte letters (uni) take the folding instance, out of
 * line: inlined too, it cost ASCII text 3% (the loop's code twice as
 * big). */
static PK_AVX512 __attribute__((noinline)) void emit_folded_avx512(const uint8_t *b, size_t p, uint64_t starts,
                                                                   uint64_t ends, uint64_t join, uint64_t uni,
                                                                   uint64_t nl, uint32_t line, pk_tok *out,
                                                                   unsigned c, int lines)
{
    emit_impl_avx512(b, p, starts, ends, join, uni, nl, line, out, c, lines, 1);
}

static PK_AVX512 inline void emit_avx512(const uint8_t *b, size_t p, uint64_t starts, uint64_t ends, uint64_t join,
                                         uint64_t uni, uint64_t nl, uint32_t line, pk_tok *out, unsigned c, int lines)
{
    if (uni)
        emit_folded_avx512(b, p, starts, ends, join, uni, nl, line, out, c, lines);
    else
        emit_impl_avx512(b, p, starts, ends, join, uni, nl, line, out, c, lines, 0);
}

#define TB_FN tokenize_avx512
#define TB_IMPL tokenize_avx512_impl
#define TB_ATTR PK_AVX512
#define TB_MASKS masks_avx512
#define TB_HASH16 hash16_avx512
#define TB_LOWMASK lowmask_avx512
#define TB_READ 128
#define TB_BATCH emit_avx512
#define TB_UNI3 uni3_avx512
#define TB_UNI2 uni2_avx512
#define TB_HASHU hash_uni_avx512
#include "text_block.h"
#endif

int pk_tokenize(pk_tokenizer *t, pk_tok *out, size_t cap, size_t *got, pk_error *err)
{
    if (t->flags & PK_TOK_SCALAR) return tokenize_steps(t, out, cap, got, err);
    switch (pk_simd_level()) {
#if PK_X86_SIMD
    case PK_SIMD_AVX512: return tokenize_avx512(t, out, cap, got, err);
    case PK_SIMD_AVX2: return tokenize_avx2(t, out, cap, got, err);
    case PK_SIMD_SSE2: return tokenize_sse2(t, out, cap, got, err);
#endif
    default: return tokenize_scalar(t, out, cap, got, err);
    }
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
