/* test_text.c -- normalization and tokenization: what counts as the same. */
#include "pk.h"
#include "test.h"

#include <stdlib.h>
#include <utf8proc.h>

/* Tokenize s; returns count, tokens in out (cap 64). */
static size_t toks(const char *s, pk_tok *out, unsigned flags, int *rc)
{
    pk_tokenizer t;
    pk_tokenizer_init(&t, s, strlen(s), flags);
    size_t n = 0, got;
    pk_error e;
    *rc = 0;
    while (n < 64 && (*rc = pk_tokenize(&t, out + n, 64 - n, &got, &e)) == 0 && got) n += got;
    return n;
}

static uint64_t H(const char *s) { return pk_word_hash(s, strlen(s)); }

static void ascii_words_and_offsets(void)
{
    pk_tok t[64];
    int rc;
    const char *s = "Hello, World!  It's  9 o'clock.";
    size_t n = toks(s, t, 0, &rc);
    CHECK_EQ_U(rc, 0);
    CHECK_EQ_U(n, 5);
    CHECK_EQ_U(t[0].off, 0);
    CHECK_EQ_U(t[0].len, 5);
    CHECK_EQ_U(t[1].off, 7);
    CHECK_EQ_U(t[1].len, 5);
    CHECK_EQ_U(t[2].off, 15); /* It's */
    CHECK_EQ_U(t[2].len, 4);
    CHECK_EQ_U(t[2].h, H("its"));
    CHECK_EQ_U(t[3].h, H("9"));
    CHECK_EQ_U(t[4].h, H("oclock"));
    CHECK_EQ_U(t[0].h, H("hello"));
    CHECK(H("hello") != H("world"));
}

static void case_and_width_fold(void)
{
    CHECK_EQ_U(H("HeLLo"), H("hello"));
    CHECK_EQ_U(H("\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3"), H("abc")); /* fullwidth ABC */
    CHECK_EQ_U(H("Stra\xC3\x9F" "e"), H("STRASSE"));                 /* sharp s folds to ss */
    CHECK_EQ_U(H("caf\xC3\xA9"), H("cafe\xCC\x81"));                  /* NFC == NFD */
    CHECK_EQ_U(H("CAF\xC3\x89"), H("caf\xC3\xA9"));
    CHECK(H("caf\xC3\xA9") != H("cafe"));                              /* accents are kept */
    CHECK_EQ_U(H("\xEF\xAC\x81" "nd"), H("find"));                     /* fi ligature */
}

static void invisible_characters_removed(void)
{
    CHECK_EQ_U(H("pass\xE2\x80\x8B" "age"), H("passage")); /* zero-width space */
    CHECK_EQ_U(H("pas\xC2\xAD" "sage"), H("passage"));     /* soft hyphen */
    CHECK_EQ_U(H("pa\xE2\x80\xAE" "ss\xE2\x80\xAC" "age"), H("passage")); /* bidi override */
    CHECK_EQ_U(H("pass\xE2\x80\x8D" "age"), H("passage")); /* zero-width joiner */
    pk_tok t[64];
    int rc;
    size_t n = toks("a\xE2\x80\x8B" "b c", t, 0, &rc);
    CHECK_EQ_U(n, 2);
    CHECK_EQ_U(t[0].len, 5); /* the invisible character is inside the token's bytes */
}

static void homoglyphs_folded(void)
{
    /* "passage" with Cyrillic a (U+0430), e (U+0435) and Greek omicron */
    CHECK_EQ_U(H("p\xD0\xB0ss\xD0\xB0g\xD0\xB5"), H("passage"));
    CHECK_EQ_U(H("h\xCE\xBFme"), H("home"));
    CHECK_EQ_U(H("\xD0\xA0\xD0\x90SS"), H("pass")); /* capital Cyrillic ER, A */
}

static void apostrophes_and_hyphens(void)
{
    CHECK_EQ_U(H("don\xE2\x80\x99t"), H("dont"));
    CHECK_EQ_U(H("don't"), H("dont"));
    pk_tok t[64];
    int rc;
    size_t n = toks("some-\nthing well-known", t, 0, &rc);
    CHECK_EQ_U(n, 3);
    CHECK_EQ_U(t[0].h, H("something"));
    CHECK_EQ_U(t[0].off, 0);
    CHECK_EQ_U(t[0].len, 11);
    CHECK_EQ_U(t[0].line, 1);
    CHECK_EQ_U(t[1].h, H("well"));
    CHECK_EQ_U(t[1].line, 2);
    CHECK_EQ_U(t[2].h, H("known"));
    n = toks("some- \r\n   thing", t, 0, &rc);
    CHECK_EQ_U(n, 1);
    CHECK_EQ_U(t[0].h, H("something"));
    n = toks("end-\n\nnext", t, 0, &rc); /* a blank line does not join */
    CHECK_EQ_U(n, 2);
    n = toks("'quoted' words'", t, 0, &rc);
    CHECK_EQ_U(n, 2);
    CHECK_EQ_U(t[0].h, H("quoted"));
}

static void scripts_without_spaces(void)
{
    pk_tok t[64];
    int rc;
    size_t n = toks("\xE6\x88\x91\xE7\x88\xB1\xE4\xBD\xA0 ok", t, 0, &rc); /* three Han characters */
    CHECK_EQ_U(n, 4);
    CHECK_EQ_U(t[0].off, 0);
    CHECK_EQ_U(t[0].len, 3);
    CHECK_EQ_U(t[1].off, 3);
    CHECK_EQ_U(t[2].off, 6);
    CHECK(t[0].h != t[1].h);
    n = toks("\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xD0\xBC\xD0\xB8\xD1\x80", t, 0, &rc); /* Russian words */
    CHECK_EQ_U(n, 2);
}

static void invalid_utf8(void)
{
    pk_tokenizer t;
    pk_tok out[8];
    size_t got;
    pk_error e;
    const char s[] = "good text \xC3\x28 more";
    pk_tokenizer_init(&t, s, sizeof s - 1, 0);
    int rc = 0;
    size_t total = 0;
    while ((rc = pk_tokenize(&t, out, 8, &got, &e)) == 0 && got) total += got;
    CHECK_EQ_I(rc, PK_EUTF8);
    CHECK(strstr(e.msg, "byte 10") != NULL);
    pk_tokenizer_init(&t, s, sizeof s - 1, PK_TOK_LOSSY);
    total = 0;
    while ((rc = pk_tokenize(&t, out + total, 8 - total, &got, &e)) == 0 && got) total += got;
    CHECK_EQ_U(rc, 0);
    CHECK_EQ_U(total, 3); /* good, text, more: the bad byte separates, "(" is punctuation */
    CHECK_EQ_U(t.invalid, 1);
    /* Overlong, surrogate and out-of-range forms are invalid. */
    const char *bad[] = {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82", "\xFF"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pk_tokenizer_init(&t, bad[i], strlen(bad[i]), 0);
        CHECK_EQ_I(pk_tokenize(&t, out, 8, &got, &e), PK_EUTF8);
    }
}

static void bom_and_utf16(void)
{
    pk_buf conv;
    pk_buf_init(&conv, 0);
    const char *o;
    size_t on, skip;
    pk_error e;
    CHECK_EQ_U(pk_text_prepare("\xEF\xBB\xBFhi", 5, &conv, &o, &on, &skip, &e), 0);
    CHECK_EQ_U(skip, 3);
    const char le[] = "\xFF\xFEh\0i\0 \0=\xD8\x00\xDE"; /* h i space U+1F600 */
    CHECK_EQ_U(pk_text_prepare(le, sizeof le - 1, &conv, &o, &on, &skip, &e), 0);
    CHECK_EQ_U(on, 7);
    CHECK(memcmp(o, "hi \xF0\x9F\x98\x80", 7) == 0);
    const char be[] = "\xFE\xFF\0h\0i";
    CHECK_EQ_U(pk_text_prepare(be, sizeof be - 1, &conv, &o, &on, &skip, &e), 0);
    CHECK_EQ_U(on, 2);
    CHECK(memcmp(o, "hi", 2) == 0);
    const char lone[] = "\xFF\xFE\x00\xD8h\0";
    CHECK_EQ_I(pk_text_prepare(lone, sizeof lone - 1, &conv, &o, &on, &skip, &e), PK_EUTF8);
    pk_buf_free(&conv);
}

static void long_runs_split(void)
{
    char s[700];
    memset(s, 'a', sizeof s - 1);
    s[sizeof s - 1] = 0;
    pk_tok t[64];
    int rc;
    size_t n = toks(s, t, 0, &rc);
    CHECK_EQ_U(n, 3); /* 255 + 255 + 189 */
    CHECK_EQ_U(t[0].len, PK_TOK_MAXLEN);
    CHECK_EQ_U(t[2].off, 2 * PK_TOK_MAXLEN);
}

/* The ASCII fast path and the Unicode path must agree: an ASCII word hashed
 * through utf8proc (forced by a trailing zero-width space, which is
 * removed) equals the fast-path hash, for many random words. */
static void fast_and_unicode_paths_agree(void)
{
    uint64_t seed = 42;
    for (int i = 0; i < 2000; i++) {
        char w[40], u[48];
        size_t len = 1 + t_rand(&seed) % 20;
        for (size_t j = 0; j < len; j++) {
            uint64_t r = t_rand(&seed) % 62;
            w[j] = (char)(r < 26 ? 'a' + r : r < 52 ? 'A' + (r - 26) : '0' + (r - 52));
        }
        w[len] = 0;
        snprintf(u, sizeof u, "%s\xE2\x80\x8B", w);
        CHECK_EQ_U(H(w), H(u));
    }
}

/* Block paths (with and without line tracking) and the scalar path give
 * the same tokens on long mixed text: clean ASCII runs, words across block
 * edges, apostrophes, hyphens at line ends, non-ASCII letters, long runs. */
static void block_and_scalar_paths_agree(void)
{
    static const char *pieces[] = {"the ", "Quick ", "jumps ", "don't ", "caf\xc3\xa9 ", "na\xc3\xafve-\n",
                                   "\xe6\x88\x91 ", "x ", "supercalifragilisticexpialidocious ", "\n", "  ", ", ",
                                   "O'Brien's ", "end-\nof-line ", "\xe2\x80\x8bzw ", "42 ", "a'b' ", "--", "\xd0\xbf\xd1\x80\xd0\xb8 "};
    uint64_t seed = 11;
    pk_buf b;
    pk_buf_init(&b, 0);
    for (int i = 0; i < 40000; i++) {
        size_t r = t_rand(&seed) % 100;
        size_t pick = r < 60 ? r % 3 : r < 80 ? 3 + r % 5 : r < 90 ? 8 + r % 4 : 12 + r % 7;
        pk_buf_append(&b, pieces[pick], strlen(pieces[pick]));
    }
    for (int i = 0; i < 300; i++) pk_buf_putc(&b, 'q'); /* a run longer than PK_TOK_MAXLEN */
    size_t cap = b.len;
    pk_tok *x = malloc(cap * sizeof *x), *y = malloc(cap * sizeof *y), *z = malloc(cap * sizeof *z);
    size_t nx = 0, ny = 0, nz = 0, got;
    pk_tokenizer t;
    pk_error e;
    pk_tokenizer_init(&t, b.data, b.len, 0);
    while (pk_tokenize(&t, x + nx, cap - nx, &got, &e) == 0 && got) nx += got;
    pk_tokenizer_init(&t, b.data, b.len, PK_TOK_SCALAR);
    while (pk_tokenize(&t, y + ny, cap - ny, &got, &e) == 0 && got) ny += got;
    pk_tokenizer_init(&t, b.data, b.len, PK_TOK_NOLINES);
    while (pk_tokenize(&t, z + nz, cap - nz, &got, &e) == 0 && got) nz += got;
    CHECK_EQ_U(nx, ny);
    CHECK_EQ_U(nz, ny);
    int bad = 0, badz = 0;
    for (size_t i = 0; i < ny && i < nx && i < nz; i++) {
        bad += x[i].h != y[i].h || x[i].off != y[i].off || x[i].len != y[i].len || x[i].line != y[i].line;
        badz += z[i].h != y[i].h || z[i].off != y[i].off || z[i].len != y[i].len;
    }
    CHECK_EQ_U(bad, 0);
    CHECK_EQ_U(badz, 0);
    free(x);
    free(y);
    free(z);
    pk_buf_free(&b);
}

/* The table path for Latin, Greek and Cyrillic letters equals full
 * utf8proc normalization: every single letter of U+00C0..U+052F and every
 * pair of them (composition acts between neighbours), and each with ASCII
 * on either side. */
static void letter_table_equals_utf8proc(void)
{
    char w[16];
    int bad = 0;
    uint8_t u1[4], u2[4];
    for (int32_t a = 0xC0; a < 0x530; a++) {
        size_t l1 = (size_t)utf8proc_encode_char(a, u1);
        memcpy(w, u1, l1);
        bad += pk_word_hash_unicode(w, l1, 0) != pk_word_hash_unicode(w, l1, 1);
        w[0] = 'Q';
        memcpy(w + 1, u1, l1);
        w[l1 + 1] = '7';
        bad += pk_word_hash_unicode(w, l1 + 2, 0) != pk_word_hash_unicode(w, l1 + 2, 1);
        for (int32_t b = 0xC0; b < 0x530; b++) {
            size_t l2 = (size_t)utf8proc_encode_char(b, u2);
            memcpy(w, u1, l1);
            memcpy(w + l1, u2, l2);
            bad += pk_word_hash_unicode(w, l1 + l2, 0) != pk_word_hash_unicode(w, l1 + l2, 1);
        }
    }
    CHECK_EQ_U(bad, 0);
}

TEST_MAIN(TEST(letter_table_equals_utf8proc), TEST(block_and_scalar_paths_agree), TEST(ascii_words_and_offsets), TEST(case_and_width_fold), TEST(invisible_characters_removed),
          TEST(homoglyphs_folded), TEST(apostrophes_and_hyphens), TEST(scripts_without_spaces), TEST(invalid_utf8),
          TEST(bom_and_utf16), TEST(long_runs_split), TEST(fast_and_unicode_paths_agree))
