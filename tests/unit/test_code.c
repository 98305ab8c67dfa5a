/* test_code.c -- source code works: the lexer, the MOSS-style
 * normalization, its offset map, the two renderings, binary refusal, and
 * a scan with normalize_identifiers reporting offsets of the original.
 *
 * Every snippet here is written for this test.  Normalizations are
 * compared whole, so what is dropped is checked as exactly as what is
 * kept. */
#include "fmt/fmt.h"
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

static pk_code_norm cn;
static pk_error err;

/* The normalization of s as one string (rendered lines joined by '|'). */
static const char *norm(const char *s)
{
    static char out[8192];
    static int ready;
    if (!ready) pk_code_norm_init(&cn), ready = 1;
    memset(&err, 0, sizeof err);
    if (pk_code_normalize(&cn, s, strlen(s), &err)) return "error";
    size_t k = 0;
    for (size_t i = 0; i < cn.text.len && k < sizeof out - 1; i++)
        out[k++] = cn.text.data[i] == '\n' ? '|' : cn.text.data[i];
    if (k && out[k - 1] == '|') k--;
    out[k] = 0;
    return out;
}

/* The kinds of the lexemes of s, one letter each: i ident, k keyword,
 * s string, n number, d directive, o operator. */
static const char *kinds(const char *s)
{
    static char out[1024];
    pk_code_lexer L;
    pk_code_lexeme t;
    size_t k = 0;
    pk_code_lexer_init(&L, s, strlen(s));
    while (k < sizeof out - 1 && pk_code_next(&L, &t)) out[k++] = "?iksndo"[t.kind];
    out[k] = 0;
    return out;
}

/* The i-th lexeme of s as text. */
static const char *lexeme(const char *s, int i)
{
    static char out[256];
    pk_code_lexer L;
    pk_code_lexeme t;
    pk_code_lexer_init(&L, s, strlen(s));
    for (int j = 0; pk_code_next(&L, &t); j++) {
        if (j == i) {
            snprintf(out, sizeof out, "%.*s", (int)t.len, s + t.off);
            return out;
        }
    }
    return "(none)";
}

static void test_comments_dropped(void)
{
    CHECK_STR(norm("a = 1; // note b c\n/* x\n y */ c = 2;\n# hash comment\nd"),
              "zqid zqo3d 1 zqo3b|zqid zqo3d 2 zqo3b|zqid");
    /* An unclosed block comment runs to the end. */
    CHECK_STR(norm("x /* open\ny z"), "zqid");
    /* A comment inside a string is string. */
    CHECK_STR(norm("s = \"// not a comment\";"), "zqid zqo3d zqstr zqo3b");
}

static void test_preprocessor_words(void)
{
    CHECK_STR(norm("#include <stdio.h>\n  #  define N 10\n#if N\n#endif"),
              "zqppinclude zqo3c zqid zqo2e zqid zqo3e|zqppdefine zqid 10|zqppif zqid|zqppendif");
    /* Not first on its line, or not a directive word: a comment. */
    CHECK_STR(norm("x # define y\n#includes z\n#!/bin/sh"), "zqid");
    /* Token pasting. */
    CHECK_STR(kinds("a ## b"), "ioi");
}

static void test_strings(void)
{
    CHECK_STR(kinds("\"a\\\"b\" 'c' `d\ne` x"), "sssi");
    CHECK_STR(lexeme("\"a\\\"b\" 'c'", 0), "\"a\\\"b\"");
    /* Python triple quotes span lines, quotes inside them too. */
    CHECK_STR(norm("d = \"\"\"doc \" string\nmore\"\"\"\ne = '''x\n'''"), "zqid zqo3d zqstr|zqid zqo3d zqstr");
    /* A single or double quote ends at the line end: a Rust lifetime or an
     * apostrophe does not swallow the next lines. */
    CHECK_STR(norm("fn f<'a>(x: &'a str)\ny = 1"), "fn zqid zqo3c zqstr zqid zqid zqo29|zqid zqo3d 1");
    CHECK_STR(norm("it's\nz"), "zqid zqstr|zqid");
    /* An unclosed backquote is punctuation. */
    CHECK_STR(norm("a ` b\nc"), "zqid zqo60 zqid|zqid");
}

static void test_numbers(void)
{
    CHECK_STR(norm("0x1F 1.5e-3 1_000 1'000 .5 7UL 0b1010 0x1p+3"), "0x1F 1.5e-3 1000 1000 .5 7UL 0b1010 0x1p+3");
    /* A range is not a fraction; a sign after a hex digit e is an operator. */
    CHECK_STR(norm("0..10 0x1e+5"), "0 zqo2e2e 10 0x1e zqo2b 5");
    CHECK_STR(kinds("x1 1x"), "in");
}

static void test_operators_longest_match(void)
{
    CHECK_STR(lexeme("a >>>= b", 1), ">>>=");
    CHECK_STR(lexeme("a >>= b", 1), ">>=");
    CHECK_STR(lexeme("a->b", 1), "->");
    CHECK_STR(lexeme("x ?\?= y", 1), "?\?=");
    CHECK_STR(norm("a<=>b ... :: =>"), "zqid zqo3c3d3e zqid zqo2e2e2e zqo3a3a zqo3d3e");
    CHECK_STR(norm("a+++b"), "zqid zqo2b2b zqo2b zqid");
    /* Non-ASCII punctuation is an operator; non-ASCII letters are
     * identifier characters; non-ASCII space is space. */
    CHECK_STR(norm("größe \xE2\x86\x92 x\xC2\xA0y"), "zqid zqoe28692 zqid zqid");
}

static void test_keywords_kept_identifiers_replaced(void)
{
    CHECK_STR(norm("def total(items):\n    return sum(items) if items else None"),
              "def zqid zqo28 zqid zqo29 zqo3a|return zqid zqo28 zqid zqo29 if zqid else None");
    CHECK_STR(norm("for (int i = 0; i < n; i++) {}"),
              "for zqo28 int zqid zqo3d 0 zqo3b zqid zqo3c zqid zqo3b zqid zqo2b2b zqo29 zqo7b zqo7d");
    /* Keywords are case sensitive; $ is an identifier character. */
    CHECK_STR(norm("Return $this->x"), "zqid zqid zqo2d3e zqid");
    /* Renaming identifiers and rewriting comments changes nothing. */
    const char *a = "int sum(int *v, int n) { /* add */ int s = 0; while (n--) s += v[n]; return s; }";
    const char *b = "int total(int *xs, int len) { // sum them\n int acc = 0; while (len--) acc += xs[len]; return acc; }";
    char na[1024];
    snprintf(na, sizeof na, "%s", norm(a));
    const char *nb = norm(b);
    /* b has one more line break: compare with the breaks as spaces. */
    char nb2[1024];
    snprintf(nb2, sizeof nb2, "%s", nb);
    for (char *p = nb2; *p; p++)
        if (*p == '|') *p = ' ';
    CHECK_STR(na, nb2);
}

static void test_every_word_is_one_ascii_token(void)
{
    norm("x = \"ü\" + 'y' /* c */ -> 3.5 ?. #define\n#define Q 1\n`t` größe");
    const char *p = cn.text.data;
    for (size_t i = 0; i < cn.text.len; i++) {
        unsigned char c = (unsigned char)p[i];
        CHECK(c == ' ' || c == '\n' || c == '.' || c == '-' || c == '+' || (c >= '0' && c <= '9') ||
              (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
    }
}

static void test_offset_map(void)
{
    const char *src = "int a;\n  b = \"str\";  // c\n\n  ret(a);";
    norm(src);
    CHECK_STR(cn.text.data, "int zqid zqo3b\nzqid zqo3d zqstr zqo3b\nzqid zqo28 zqid zqo29 zqo3b\n");
    CHECK_EQ_U(cn.nlines, 3);
    CHECK_EQ_U(cn.lines[0], 1);
    CHECK_EQ_U(cn.lines[1], 2);
    CHECK_EQ_U(cn.lines[2], 4);
    CHECK_EQ_U(cn.nwords, 12);
    /* "zqstr" is word 5: rendered at 26, source "\"str\"" at 13..18. */
    CHECK_EQ_U(cn.map[5].roff, 26);
    CHECK_EQ_U(cn.map[5].start, 13);
    CHECK_EQ_U(cn.map[5].end, 18);
    CHECK_EQ_U(pk_code_map_start(&cn, 26), 13);
    CHECK_EQ_U(pk_code_map_end(&cn, 31), 18);
    /* A token start inside a word maps to the word's start; an end inside
     * a word to the word's end. */
    CHECK_EQ_U(pk_code_map_start(&cn, 28), 13);
    CHECK_EQ_U(pk_code_map_end(&cn, 27), 18);
    /* The first word and the last. */
    CHECK_EQ_U(pk_code_map_start(&cn, 0), 0);
    CHECK_EQ_U(pk_code_map_end(&cn, cn.text.len - 1), strlen(src));
    for (size_t i = 0; i < cn.nwords; i++) {
        CHECK(cn.map[i].start < cn.map[i].end && cn.map[i].end <= strlen(src));
        if (i) CHECK(cn.map[i].roff > cn.map[i - 1].roff && cn.map[i].start >= cn.map[i - 1].end);
    }
    norm("");
    CHECK_EQ_U(cn.nwords, 0);
    CHECK_EQ_U(pk_code_map_start(&cn, 5), 0);
}

static void test_render_text_compatible(void)
{
    pk_doc d;
    pk_doc_init(&d);
    const char *src = "\xEF\xBB\xBF" "def f(x):\n    return x  # twice\n";
    CHECK_EQ_I(pk_doc_read(&d, "f.py", src, strlen(src), PK_WORK_AUTO, 0, &err), 0);
    CHECK_EQ_I(d.format, PK_WORK_CODE);
    CHECK_STR(pk_work_format_name(d.format), "code");
    CHECK_EQ_U(d.text.len, strlen(src) - 3);
    CHECK(memcmp(d.text.data, src + 3, d.text.len) == 0);
    CHECK_EQ_U(d.nlines, 0); /* line i is line i */
    /* By extension, case ignored; a script by its #! line. */
    CHECK_EQ_I(pk_doc_read(&d, "Main.JAVA", "class A {}", 10, PK_WORK_AUTO, 0, &err), 0);
    CHECK_EQ_I(d.format, PK_WORK_CODE);
    CHECK_EQ_I(pk_doc_read(&d, "run", "#!/bin/sh\necho hi\n", 18, PK_WORK_AUTO, 0, &err), 0);
    CHECK_EQ_I(d.format, PK_WORK_CODE);
    CHECK_EQ_I(pk_work_format_parse("code"), PK_WORK_CODE);
    CHECK_EQ_I(pk_work_format_parse("code-normalized"), PK_WORK_CODE_NORM);
    pk_doc_free(&d);
}

static void test_render_normalized_lines(void)
{
    pk_doc d;
    pk_doc_init(&d);
    const char *src = "// header\n\nint main(void)\n{\n    return 0; /* done */\n}\n";
    CHECK_EQ_I(pk_doc_read(&d, "m.c", src, strlen(src), PK_WORK_CODE_NORM, 0, &err), 0);
    CHECK_EQ_I(d.format, PK_WORK_CODE_NORM);
    CHECK_STR(d.text.data, "int zqid zqo28 void zqo29\nzqo7b\nreturn 0 zqo3b\nzqo7d\n");
    CHECK_EQ_U(d.nlines, 4);
    CHECK_EQ_U(d.line[0], 3);
    CHECK_EQ_U(d.line[1], 4);
    CHECK_EQ_U(d.line[2], 5);
    CHECK_EQ_U(d.line[3], 6);
    /* Invalid UTF-8 (a Latin-1 comment) is refused in the normalized
     * rendering unless lossy, and then is white space. */
    const char *l1 = "x = 1 # caf\xE9\n";
    CHECK_EQ_I(pk_doc_read(&d, "m.py", l1, strlen(l1), PK_WORK_CODE_NORM, 0, &err), PK_EUTF8);
    CHECK(strstr(err.msg, "byte 11") != NULL);
    CHECK_EQ_I(pk_doc_read(&d, "m.py", l1, strlen(l1), PK_WORK_CODE_NORM, PK_TOK_LOSSY, &err), 0);
    CHECK_STR(d.text.data, "zqid zqo3d 1\n");
    /* The text rendering passes it on to the tokenizer. */
    CHECK_EQ_I(pk_doc_read(&d, "m.py", l1, strlen(l1), PK_WORK_CODE, 0, &err), 0);
    pk_doc_free(&d);
}

static void test_binary_refused(void)
{
    pk_doc d;
    pk_doc_init(&d);
    static const char nul[] = "int x;\n\0\x01\x02";
    memset(&err, 0, sizeof err);
    CHECK_EQ_I(pk_doc_read(&d, "x.c", nul, sizeof nul - 1, PK_WORK_CODE, 0, &err), PK_EFORMAT);
    CHECK(strstr(err.msg, "binary") && strstr(err.msg, "byte offset 7"));
    char junk[256];
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (char)(0x80 + (i * 7) % 64);
    memcpy(junk, "abc", 3);
    CHECK_EQ_I(pk_doc_read(&d, "x.c", junk, sizeof junk, PK_WORK_CODE, 0, &err), PK_EFORMAT);
    CHECK(strstr(err.msg, "invalid UTF-8") && strstr(err.msg, "byte offset 3"));
    CHECK_EQ_I(pk_doc_read(&d, "x.c", junk, sizeof junk, PK_WORK_CODE_NORM, PK_TOK_LOSSY, &err), PK_EFORMAT);
    /* UTF-16 with a BOM is text, converted. */
    static const char u16[] = "\xFF\xFEi\0n\0t\0 \0x\0;\0";
    CHECK_EQ_I(pk_doc_read(&d, "x.c", u16, sizeof u16 - 1, PK_WORK_CODE_NORM, 0, &err), 0);
    CHECK_STR(d.text.data, "int zqid zqo3b\n");
    pk_doc_free(&d);
}

/* Deterministic pseudo-random source of 1500 lexemes: identifiers,
 * keywords, operators, strings; rename: other identifier names. */
static void gen_code(char *buf, size_t cap, unsigned seed, int rename)
{
    static const char *const kw[] = {"if", "while", "return", "for", "int", "else"};
    static const char *const op[] = {"=", "+", "(", ")", ";", "{", "}", "==", "<", "->", "[", "]", ","};
    size_t k = 0;
    unsigned x = seed;
    for (int i = 0; i < 1500 && k + 64 < cap; i++) {
        x = x * 1103515245u + 12345u;
        unsigned r = (x >> 16) % 10;
        if (r < 3) k += (size_t)snprintf(buf + k, cap - k, "%s%s%u ", rename ? "renamed_" : "v", rename ? "q" : "", (x >> 8) % 50);
        else if (r < 5) k += (size_t)snprintf(buf + k, cap - k, "%s ", kw[(x >> 8) % 6]);
        else if (r < 9) k += (size_t)snprintf(buf + k, cap - k, "%s ", op[(x >> 8) % 13]);
        else k += (size_t)snprintf(buf + k, cap - k, "\"s%u\"\n", (x >> 8) % 1000);
    }
    buf[k] = 0;
}

static void test_scan_normalized_maps_offsets(void)
{
    char dir[] = "/tmp/pk-code-XXXXXX";
    if (!mkdtemp(dir)) { CHECK(0); return; }
    char db[128], idx[128];
    snprintf(db, sizeof db, "%s/r.db", dir);
    snprintf(idx, sizeof idx, "%s/r.db.pkx", dir);
    static char work[16384], copy[48000];
    gen_code(work, sizeof work, 7, 0);
    pk_registry *r = NULL;
    pk_doc d;
    pk_doc_init(&d);
    pk_register_opts o;
    memset(&o, 0, sizeof o);
    o.id = "w";
    pk_register_result res;
    CHECK_EQ_I(pk_registry_open(&r, db, PK_REG_CREATE, NULL, &err), 0);
    CHECK_EQ_I(pk_doc_read(&d, "w.c", work, strlen(work), PK_WORK_CODE_NORM, 0, &err), 0);
    CHECK_EQ_I(pk_registry_add_doc(r, &d, work, strlen(work), &o, &res, &err), 0);
    pk_registry_close(r);
    /* The copy: the same code renamed, behind some prose. */
    static char renamed[16384], pre[24000];
    gen_code(renamed, sizeof renamed, 7, 1);
    /* Before it, prose and a long run of numbers (kept as they are, so
     * matching nothing), for the windowed scan below. */
    size_t np = (size_t)snprintf(pre, sizeof pre, "Here is the code I found:\n");
    for (int i = 0; i < 10000; i++) pre[np++] = i % 40 == 39 ? '\n' : '0', pre[np++] = ' ';
    pre[np] = 0;
    snprintf(copy, sizeof copy, "%s%s", pre, renamed);
    pk_index *ix = NULL;
    pk_scanner *sc = NULL;
    CHECK_EQ_I(pk_index_open(&ix, db, &err), 0);
    pk_scan_opts so;
    pk_scan_opts_default(&so);
    pk_finding *f;
    size_t nf;
    CHECK_EQ_I(pk_scanner_new(&sc, ix, &so, &err), 0);
    CHECK_EQ_I(pk_scan_text(sc, copy, strlen(copy), &f, &nf, &err), 0);
    CHECK_EQ_U(nf, 0); /* renamed: not found as text */
    pk_scanner_free(sc);
    so.normalize_identifiers = 1;
    CHECK_EQ_I(pk_scanner_new(&sc, ix, &so, &err), 0);
    CHECK_EQ_I(pk_scan_text(sc, copy, strlen(copy), &f, &nf, &err), 0);
    CHECK_EQ_U(nf, 1);
    if (nf == 1) {
        CHECK_EQ_U(f[0].npassages, 1);
        const pk_passage *p = &f[0].passages[0];
        /* "Here is the code I found:" normalizes to words too (prose is
         * identifiers), but they do not match: the passage starts at the
         * code, and ends at its last byte. */
        CHECK_EQ_U(p->doc_start, strlen(pre));
        CHECK_EQ_U(p->doc_end, strlen(copy) - (copy[strlen(copy) - 1] == ' ' || copy[strlen(copy) - 1] == '\n'));
        CHECK(f[0].coverage > 0.99);
        if (getenv("PK_TEST_VERBOSE"))
            for (size_t i = 0; i < f[0].npassages; i++)
                fprintf(stderr, "passage %llu-%llu words %u cov %f len %zu\n", (unsigned long long)f[0].passages[i].doc_start,
                        (unsigned long long)f[0].passages[i].doc_end, f[0].passages[i].words, f[0].coverage, strlen(copy));
        for (uint32_t i = 0; i < p->nruns; i++) CHECK(p->runs[2 * i] < p->runs[2 * i + 1] && p->runs[2 * i + 1] <= strlen(copy));
        /* In windows (the normalized text is cut, not the document):
         * the same passage, the same offsets. */
        uint64_t a = p->doc_start, b = p->doc_end;
        pk_scanner_set_window(sc, 4096, 10000);
        CHECK_EQ_I(pk_scan_text(sc, copy, strlen(copy), &f, &nf, &err), 0);
        CHECK_EQ_U(nf, 1);
        if (nf == 1) {
            CHECK_EQ_U(f[0].npassages, 1);
            CHECK_EQ_U(f[0].passages[0].doc_start, a);
            CHECK_EQ_U(f[0].passages[0].doc_end, b);
        }
    }
    /* Invalid UTF-8 refused as the tokenizer does, unless lossy. */
    CHECK_EQ_I(pk_scan_text(sc, "x \xFF y", 5, &f, &nf, &err), PK_EUTF8);
    pk_scanner_free(sc);
    pk_index_close(ix);
    pk_doc_free(&d);
    unlink(idx);
    unlink(db);
    char wal[160];
    snprintf(wal, sizeof wal, "%s-wal", db);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", db);
    unlink(wal);
    rmdir(dir);
}

static void test_norm_reuse_and_keywords_found(void)
{
    /* Reused across calls: the second result does not carry the first. */
    norm("a b c d e f g");
    CHECK_STR(norm("if"), "if");
    CHECK_EQ_U(cn.nwords, 1);
    /* The keyword table is searched by bisection: words from its start,
     * middle and end are all found, near misses are not. */
    CHECK_STR(norm("False _Bool abstract fn match nullptr self yield while with"),
              "False _Bool abstract fn match nullptr self yield while with");
    CHECK_STR(norm("false_ Yield whilst value get data"), "zqid zqid zqid zqid zqid zqid");
}

TEST_MAIN(TEST(test_comments_dropped), TEST(test_preprocessor_words), TEST(test_strings), TEST(test_numbers),
          TEST(test_operators_longest_match), TEST(test_keywords_kept_identifiers_replaced),
          TEST(test_every_word_is_one_ascii_token), TEST(test_offset_map), TEST(test_render_text_compatible),
          TEST(test_render_normalized_lines), TEST(test_binary_refused), TEST(test_scan_normalized_maps_offsets),
          TEST(test_norm_reuse_and_keywords_found))
