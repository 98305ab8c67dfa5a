/* test_fdx.c -- the Final Draft reader: what is rendered, from which XML
 * line, on which page, in which scene; that a screenplay gets the same
 * words, scenes and pages as a .fdx as it gets in Fountain; and that a
 * file that is not what it claims is refused quickly, quietly and with the
 * line.
 *
 * Every screenplay here is written for this test (the sample one is
 * sample/works-fdx/the-crossing.fdx, the Fountain sample converted). */
#include "fmt/fmt.h"
#include "test.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static pk_doc doc;
static pk_error err;
static char shown[1 << 16];

static int render_n(const char *s, size_t n)
{
    pk_doc_free(&doc);
    pk_doc_init(&doc);
    memset(&err, 0, sizeof err);
    return pk_fdx_render(&doc, s, n, &err);
}

/* d's rendering as rows "line page scene|text\n". */
static const char *rows(const pk_doc *d, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = 0;
    const char *p = d->text.data;
    for (size_t i = 0; i < d->nlines && k < cap - 256; i++) {
        const char *nl = strchr(p, '\n');
        int len = (int)(nl - p);
        k += (size_t)snprintf(out + k, cap - k, "%u %u %u|%.*s\n", d->line[i], d->page[i], d->scene[i],
                              len > 200 ? 200 : len, p);
        p = nl + 1;
    }
    return out;
}

/* Render s and show it, or the error. */
static const char *show(const char *s)
{
    int rc = render_n(s, strlen(s));
    if (rc) {
        snprintf(shown, sizeof shown, "error %d: %s", rc, err.msg);
        return shown;
    }
    return rows(&doc, shown, sizeof shown);
}

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\" ?>\n" \
             "<FinalDraft DocumentType=\"Script\" Template=\"No\" Version=\"5\">\n"

static void check_invariants(void)
{
    size_t nl = 0;
    for (size_t i = 0; i < doc.text.len; i++) nl += doc.text.data[i] == '\n';
    CHECK_EQ_U(nl, doc.nlines);
    for (size_t i = 0; i < doc.nlines; i++) {
        CHECK(doc.page[i] >= 1);
        if (i) {
            CHECK(doc.line[i] >= doc.line[i - 1]);
            CHECK(doc.page[i] >= doc.page[i - 1]);
            CHECK(doc.scene[i] >= doc.scene[i - 1]);
        }
    }
}

/* ---- elements ------------------------------------------------------------ */

static void element_types(void)
{
    const char *s = HEAD
        "<Content>\n"                                                                           /* 3 */
        "<Paragraph Type=\"General\"><Text>Before any scene.</Text></Paragraph>\n"              /* 4 */
        "<Paragraph Type=\"Scene Heading\" Number=\"1\"><SceneProperties Length=\"1/8\" Page=\"1\" "
        "Title=\"\"/><Text>EXT. MUDFLATS - DAWN</Text></Paragraph>\n"                            /* 5 */
        "<Paragraph Type=\"Action\"><Text>Gulls argue over a bucket.</Text></Paragraph>\n"      /* 6 */
        "<Paragraph Type=\"Shot\"><Text>CLOSE ON THE BUCKET</Text></Paragraph>\n"               /* 7 */
        "<Paragraph Type=\"Character\"><Text>MARA</Text></Paragraph>\n"                         /* 8 */
        "<Paragraph Type=\"Parenthetical\"><Text>(to the gulls)</Text></Paragraph>\n"           /* 9 */
        "<Paragraph Type=\"Dialogue\"><Text>It is not yours.</Text></Paragraph>\n"              /* 10 */
        "<Paragraph Type=\"Lyrics\"><Text>La la la.</Text></Paragraph>\n"                       /* 11 */
        "<Paragraph Type=\"Transition\"><Text>CUT TO:</Text></Paragraph>\n"                     /* 12 */
        "<Paragraph Type=\"Scene Heading\"><Text>INT. BAIT SHOP - DAY</Text></Paragraph>\n"     /* 13 */
        "<Paragraph Type=\"Cast List\"><Text>MARA, OLD FISHERMAN</Text></Paragraph>\n"          /* 14 */
        "<Paragraph Type=\"New Act\"><Text>ACT TWO</Text></Paragraph>\n"                        /* 15 */
        "<Paragraph Type=\"End of Act\"><Text>END OF ACT TWO</Text></Paragraph>\n"              /* 16 */
        "<Paragraph Type=\"Outline 1\"><Text>A type not listed is words.</Text></Paragraph>\n"  /* 17 */
        "<Paragraph><Text>No type either.</Text></Paragraph>\n"                                 /* 18 */
        "<Paragraph Type=\"Action\"><Text>   </Text></Paragraph>\n"                             /* 19 */
        "<Paragraph Type=\"Action\"/>\n"                                                        /* 20 */
        "</Content>\n"
        "</FinalDraft>\n";
    CHECK_STR(show(s), "4 1 0|Before any scene.\n"
                       "6 1 1|Gulls argue over a bucket.\n"
                       "7 1 1|CLOSE ON THE BUCKET\n"
                       "10 1 1|It is not yours.\n"
                       "11 1 1|La la la.\n"
                       "17 1 2|A type not listed is words.\n"
                       "18 1 2|No type either.\n");
    CHECK_EQ_I(doc.format, PK_WORK_FDX);
    CHECK_STR(doc.title, "");
    CHECK_STR(doc.author, "");
    check_invariants();
}

static void text_runs_and_entities(void)
{
    const char *s = HEAD
        "<Content>\n"
        "<Paragraph Type=\"Action\">\n"
        "  <Text>John enters, </Text>\n"                         /* 5: the paragraph's line */
        "  <Text Style=\"Italic\">soaked</Text>\n"
        "  <Text>. He drops his </Text><Text Style=\"Bold+Underline\">keys</Text><Text>.</Text>\n"
        "</Paragraph>\n"
        "<Paragraph Type=\"Action\"><Text>Tom &amp; Jerry &lt;3 &#233;t&#xE9; &quot;x&quot; "
        "it&apos;s <![CDATA[<raw> & ready]]></Text></Paragraph>\n" /* 9 */
        "<Paragraph Type=\"Action\"><Text>Outside</Text> text <Text>is not</Text> read.</Paragraph>\n"
        "</Content>\n"
        "</FinalDraft>\n";
    CHECK_STR(show(s), "5 1 0|John enters, soaked. He drops his keys.\n"
                       "9 1 0|Tom & Jerry <3 \xC3\xA9t\xC3\xA9 \"x\" it's <raw> & ready\n"
                       "10 1 0|Outsideis not\n");
    /* Other encodings come out as UTF-8: ISO-8859-1 as declared, UTF-16
     * by its byte-order mark. */
    CHECK_STR(show("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<FinalDraft><Content><Paragraph>"
                   "<Text>Caf\xE9.</Text></Paragraph></Content></FinalDraft>"),
              "2 1 0|Caf\xC3\xA9.\n");
    const char *a = "<FinalDraft>\n<Content><Paragraph><Text>Wide.</Text></Paragraph></Content></FinalDraft>";
    char u16[256];
    size_t k = 0;
    u16[k++] = (char)0xFF, u16[k++] = (char)0xFE;
    for (const char *c = a; *c; c++) u16[k++] = *c, u16[k++] = 0;
    CHECK_EQ_I(render_n(u16, k), 0);
    CHECK_STR(rows(&doc, shown, sizeof shown), "2 1 0|Wide.\n");
}

static void line_breaks_in_text(void)
{
    /* Lines of one paragraph are laid out one by one, with no blank line
     * between them, as consecutive Fountain lines are. */
    const char *s = HEAD
        "<Content>\n"
        "<Paragraph Type=\"Action\"><Text>One.\n"    /* 4 */
        "Two.\n"                                     /* 5 */
        "\n"
        "Four.&#10;Same line.</Text></Paragraph>\n"  /* 7: a character reference is no new line */
        "<Paragraph Type=\"Action\"><Text>Next.</Text></Paragraph>\n"
        "</Content></FinalDraft>\n";
    CHECK_STR(show(s), "4 1 0|One.\n5 1 0|Two.\n7 1 0|Four.\n7 1 0|Same line.\n8 1 0|Next.\n");
}

static void skipped_elements(void)
{
    const char *s = HEAD
        "<Content>\n"
        "<Paragraph Type=\"Action\"><ScriptNote><Paragraph><Text>A note.</Text></Paragraph></ScriptNote>"
        "<Text>Kept.</Text><DynamicLabel Type=\"Page #\"/></Paragraph>\n"
        "<Paragraph Type=\"Scene Heading\"><SceneProperties><SceneArcBeats><CharacterArcBeat Name=\"M\">"
        "<Paragraph><Text>Arc beat.</Text></Paragraph></CharacterArcBeat></SceneArcBeats>"
        "</SceneProperties><Text>INT. HOUSE - DAY</Text></Paragraph>\n"
        "<?some-instruction data?><!-- a comment -->\n"
        "<Paragraph Type=\"Action\"><Text>Also kept.</Text></Paragraph>\n"
        "</Content>\n"
        "<HeaderAndFooter><Header><Paragraph><Text>Page header</Text></Paragraph></Header></HeaderAndFooter>\n"
        "<ScriptNotes><ScriptNote><Paragraph><Text>Note.</Text></Paragraph></ScriptNote></ScriptNotes>\n"
        "<ElementSettings Type=\"Action\"><FontSpec Font=\"Courier Final Draft\"/></ElementSettings>\n"
        "<Content><Paragraph Type=\"Action\"><Text>A second content is read too.</Text></Paragraph></Content>\n"
        "</FinalDraft>\n";
    CHECK_STR(show(s), "4 1 0|Kept.\n7 1 1|Also kept.\n12 1 1|A second content is read too.\n");
}

static void title_page(void)
{
    const char *s = HEAD
        "<Content><Paragraph Type=\"Action\"><Text>Story.</Text></Paragraph></Content>\n"
        "<TitlePage><HeaderAndFooter/><Content>\n"
        "<Paragraph Alignment=\"Center\" Type=\"Action\"><Text>   </Text></Paragraph>\n"
        "<Paragraph Alignment=\"Center\" Type=\"Action\"><Text Style=\"Bold\">THE LONG</Text>"
        "<Text> WAY HOME</Text></Paragraph>\n"
        "<Paragraph Alignment=\"Center\" Type=\"Action\"><Text>Written by</Text></Paragraph>\n"
        "<Paragraph Alignment=\"Center\" Type=\"Action\"><Text></Text></Paragraph>\n"
        "<Paragraph Alignment=\"Center\" Type=\"Action\"><Text>Ann One &amp; Bo Two</Text></Paragraph>\n"
        "<Paragraph Alignment=\"Left\" Type=\"Action\"><Text>Draft: 1 May</Text></Paragraph>\n"
        "</Content></TitlePage>\n"
        "</FinalDraft>\n";
    CHECK_STR(show(s), "3 1 0|Story.\n");
    CHECK_STR(doc.title, "THE LONG WAY HOME");
    CHECK_STR(doc.author, "Ann One & Bo Two");
    CHECK_STR(show(HEAD "<TitlePage><Content><Paragraph><Text>Low Tide\nby Test Writer</Text></Paragraph>"
                        "</Content></TitlePage></FinalDraft>"),
              "");
    CHECK_STR(doc.title, "Low Tide");
    CHECK_STR(doc.author, "Test Writer");
    CHECK_STR(show(HEAD "<TitlePage><Content><Paragraph><Text>By the Sea</Text></Paragraph></Content>"
                        "</TitlePage></FinalDraft>"),
              "");
    CHECK_STR(doc.title, "By the Sea");
    CHECK_STR(doc.author, "");
    CHECK_STR(show(HEAD "<TitlePage><Content><Paragraph><Text>Screenplay by:</Text></Paragraph>"
                        "<Paragraph><Text>Someone</Text></Paragraph></Content></TitlePage></FinalDraft>"),
              "");
    CHECK_STR(doc.title, "");
    CHECK_STR(doc.author, "Someone");
    /* A long title is cut at a character boundary. */
    char big[1024];
    size_t k = (size_t)snprintf(big, sizeof big, HEAD "<TitlePage><Content><Paragraph><Text>");
    for (int i = 0; i < 130; i++) k += (size_t)snprintf(big + k, sizeof big - k, "\xC3\xA9");
    k += (size_t)snprintf(big + k, sizeof big - k, "</Text></Paragraph></Content></TitlePage></FinalDraft>");
    CHECK_EQ_I(render_n(big, k), 0);
    CHECK_EQ_U(strlen(doc.title), 254);
}

/* ---- pages --------------------------------------------------------------- */

/* One Action paragraph of n one-line lines (as n consecutive Fountain
 * lines: no blank lines between them). */
static size_t fdx_filler(char *s, size_t k, size_t cap, int n)
{
    k += (size_t)snprintf(s + k, cap - k, "<Paragraph Type=\"Action\"><Text>");
    for (int i = 0; i < n; i++) k += (size_t)snprintf(s + k, cap - k, "%sFiller %d.", i ? "\n" : "", i);
    k += (size_t)snprintf(s + k, cap - k, "</Text></Paragraph>\n");
    return k;
}

static void page_breaks_and_dual_dialogue(void)
{
    static char s[16384];
    /* StartsNewPage: the paragraph starts page 2, but not a second time on
     * an empty page. */
    size_t k = (size_t)snprintf(s, sizeof s, HEAD "<Content>\n");
    k = fdx_filler(s, k, sizeof s, 3);
    k += (size_t)snprintf(s + k, sizeof s - k,
                          "<Paragraph Type=\"Action\" StartsNewPage=\"Yes\"><Text>Top of two.</Text></Paragraph>\n"
                          "<Paragraph Type=\"Action\" StartsNewPage=\"Yes\"><Text>Top of three.</Text></Paragraph>\n"
                          "<Paragraph Type=\"Action\" StartsNewPage=\"No\"><Text>Still three.</Text></Paragraph>\n"
                          "</Content></FinalDraft>\n");
    CHECK_EQ_I(render_n(s, k), 0);
    CHECK_EQ_U(doc.nlines, 6);
    CHECK_EQ_U(doc.page[3], 2);
    CHECK_EQ_U(doc.page[4], 3);
    CHECK_EQ_U(doc.page[5], 3);

    /* As test_fountain.c's page_dual_dialogue: 50 lines, a cue at 52 and
     * three lines to 55; the dual block goes beside it on page 1, what
     * follows to page 2.  Both ways Final Draft files hold it: wrapped in
     * a paragraph, or straight in the content. */
    static const char *const wrap[][2] = {{"<Paragraph><DualDialogue>", "</DualDialogue></Paragraph>"},
                                          {"<DualDialogue>", "</DualDialogue>"},
                                          {"", ""}};
    for (int w = 0; w < 3; w++) {
        k = (size_t)snprintf(s, sizeof s, HEAD "<Content>\n");
        k = fdx_filler(s, k, sizeof s, 50);
        k += (size_t)snprintf(s + k, sizeof s - k,
                              "%s<Paragraph Type=\"Character\"><Text>BRAM</Text></Paragraph>\n"
                              "<Paragraph Type=\"Dialogue\"><Text>One.\nTwo.\nThree.</Text></Paragraph>\n"
                              "<Paragraph Type=\"Character\"><Text>CORA</Text></Paragraph>\n"
                              "<Paragraph Type=\"Dialogue\"><Text>Four.</Text></Paragraph>%s\n"
                              "<Paragraph Type=\"Action\"><Text>After.</Text></Paragraph>\n"
                              "</Content></FinalDraft>\n",
                              wrap[w][0], wrap[w][1]);
        CHECK_EQ_I(render_n(s, k), 0);
        CHECK_EQ_U(doc.nlines, 55);
        CHECK_EQ_U(doc.page[53], w < 2 ? 1 : 2); /* Four.: beside BRAM, or (not dual) on page 2 */
        CHECK_EQ_U(doc.page[54], 2);             /* After. */
    }
}

static void enormous_paragraph(void)
{
    size_t n = 10u << 20;
    const char *head = HEAD "<Content><Paragraph Type=\"Action\"><Text>";
    const char *tail = "</Text></Paragraph><Paragraph Type=\"Action\"><Text>After.</Text></Paragraph></Content>"
                       "</FinalDraft>";
    size_t hn = strlen(head), tn = strlen(tail);
    char *s = malloc(hn + n + tn);
    CHECK(s != NULL);
    if (!s) return;
    memcpy(s, head, hn);
    for (size_t i = 0; i < n; i += 5) memcpy(s + hn + i, "word ", 5);
    memcpy(s + hn + n, tail, tn);
    clock_t t0 = clock();
    CHECK_EQ_I(render_n(s, hn + n + tn), 0);
    CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 5);
    CHECK_EQ_U(doc.nlines, 2);
    CHECK_EQ_U(doc.text.len, n - 1 + 1 + 7);
    /* The same pages as the same line in Fountain (test_fountain.c). */
    CHECK_EQ_U(doc.page[1], (2097152 / 12 + 1) / 55 + 1);
    free(s);
}

/* ---- the same screenplay in both formats ---------------------------------- */

/* Do a and b render the same words (line by line), on the same pages and
 * in the same scenes?  Source lines differ: they are the files'. */
static int same_rendering(const pk_doc *a, const pk_doc *b)
{
    if (a->nlines != b->nlines || a->text.len != b->text.len) return 0;
    if (a->text.len && memcmp(a->text.data, b->text.data, a->text.len) != 0) return 0;
    for (size_t i = 0; i < a->nlines; i++)
        if (a->page[i] != b->page[i] || a->scene[i] != b->scene[i]) return 0;
    return strcmp(a->title, b->title) == 0 && strcmp(a->author, b->author) == 0;
}

static void gen_words_to(pk_buf *f, pk_buf *x, uint64_t *seed, int n, int cap_first)
{
    static const char *const w[] = {"the", "tide", "comes", "in", "slowly", "and", "mara", "watches", "from",
                                    "a", "crooked", "pier", "while", "gulls", "circle", "rock&roll"};
    for (int i = 0; i < n; i++) {
        const char *word = w[t_rand(seed) % 16];
        char buf[32];
        snprintf(buf, sizeof buf, "%s", word);
        if (i == 0 && cap_first) buf[0] = (char)(buf[0] - 'a' + 'A');
        if (i) pk_buf_putc(f, ' '), pk_buf_putc(x, ' ');
        pk_buf_printf(f, "%s", buf);
        for (const char *c = buf; *c; c++)
            if (*c == '&') pk_buf_append(x, "&amp;", 5);
            else pk_buf_putc(x, *c);
    }
}

/* One dialogue block, in both forms. */
static void gen_block(pk_buf *f, pk_buf *x, uint64_t *seed, const char *name, int dual)
{
    pk_buf_printf(f, "%s%s\n", name, dual ? " ^" : "");
    pk_buf_printf(x, "<Paragraph Type=\"Character\"><Text>%s</Text></Paragraph>\n", name);
    int lines = 1 + (int)(t_rand(seed) % 6);
    if (t_rand(seed) % 5 == 0) lines += 30; /* a speech running over a page */
    for (int l = 0; l < lines; l++) {
        if (t_rand(seed) % 6 == 0) {
            pk_buf_printf(f, "(beat)\n");
            pk_buf_printf(x, "<Paragraph Type=\"Parenthetical\"><Text>(beat)</Text></Paragraph>\n");
        }
        pk_buf_printf(x, "<Paragraph Type=\"Dialogue\"><Text>");
        gen_words_to(f, x, seed, 1 + (int)(t_rand(seed) % 14), 1);
        pk_buf_printf(f, "\n");
        pk_buf_printf(x, "</Text></Paragraph>\n");
    }
}

/* A made-up screenplay of `elements` elements written as Fountain (f) and
 * as Final Draft (x): headings, action (several lines in one paragraph),
 * dialogue with parentheticals, long speeches, dual dialogue, transitions,
 * centered text and forced page breaks. */
static void gen_script(pk_buf *f, pk_buf *x, uint64_t seed, int elements)
{
    pk_buf_printf(f, "Title: Generated\nCredit: Written by\nAuthor: The Test\n\n");
    pk_buf_printf(x, HEAD "<Content>\n");
    int newpage = 0, sc = 0;
    const char *np = "";
    for (int e = 0; e < elements; e++) {
        uint64_t r = t_rand(&seed) % 100;
        np = newpage ? " StartsNewPage=\"Yes\"" : "";
        newpage = 0;
        if (r < 10) {
            sc++;
            pk_buf_printf(f, "%s. PLACE %d - DAY\n", sc % 2 ? "INT" : "EXT", sc);
            pk_buf_printf(x, "<Paragraph Type=\"Scene Heading\"%s><Text>%s. PLACE %d - DAY</Text></Paragraph>\n", np,
                          sc % 2 ? "INT" : "EXT", sc);
        } else if (r < 45) {
            int lines = 1 + (int)(t_rand(&seed) % 3);
            pk_buf_printf(x, "<Paragraph Type=\"Action\"%s><Text>", np);
            for (int l = 0; l < lines; l++) { /* two words at least: "A" alone would be a cue */
                if (l) pk_buf_printf(x, "\n");
                gen_words_to(f, x, &seed, 2 + (int)(t_rand(&seed) % 40), 1);
                pk_buf_printf(f, "\n");
            }
            pk_buf_printf(x, "</Text></Paragraph>\n");
        } else if (r < 85) {
            /* np goes on the cue: the first paragraph after the break */
            size_t at = x->len;
            gen_block(f, x, &seed, t_rand(&seed) % 2 ? "MARA" : "OLD FISHERMAN (O.S.)", 0);
            if (*np) {
                char tmp[200];
                snprintf(tmp, sizeof tmp, "<Paragraph Type=\"Character\"%s>", np);
                size_t old = strlen("<Paragraph Type=\"Character\">"), add = strlen(tmp) - old;
                pk_buf_reserve(x, add);
                memmove(x->data + at + old + add, x->data + at + old, x->len - at - old + 1);
                memcpy(x->data + at, tmp, strlen(tmp));
                x->len += add;
            }
        } else if (r < 91) {
            pk_buf_printf(x, "<Paragraph%s><DualDialogue>\n", np);
            gen_block(f, x, &seed, "BRAM", 0);
            pk_buf_printf(f, "\n");
            gen_block(f, x, &seed, "CORA", 1);
            pk_buf_printf(x, "</DualDialogue></Paragraph>\n");
        } else if (r < 95) {
            pk_buf_printf(f, "CUT TO:\n");
            pk_buf_printf(x, "<Paragraph Type=\"Transition\"%s><Text>CUT TO:</Text></Paragraph>\n", np);
        } else if (r < 97) {
            pk_buf_printf(f, ">THE END<\n");
            pk_buf_printf(x, "<Paragraph Type=\"Action\" Alignment=\"Center\"%s><Text>THE END</Text></Paragraph>\n", np);
        } else if (*np) {
            newpage = 1; /* no two breaks in a row: keep the one waiting */
        } else if (e + 1 < elements) {
            pk_buf_printf(f, "===\n");
            newpage = 1;
        }
        pk_buf_printf(f, "\n");
    }
    pk_buf_printf(x, "</Content>\n<TitlePage><Content>\n"
                     "<Paragraph Alignment=\"Center\"><Text>Generated</Text></Paragraph>\n"
                     "<Paragraph Alignment=\"Center\"><Text>Written by</Text></Paragraph>\n"
                     "<Paragraph Alignment=\"Center\"><Text>The Test</Text></Paragraph>\n"
                     "</Content></TitlePage>\n</FinalDraft>\n");
}

static void generated_scripts_agree_with_fountain(void)
{
    int agree = 0, pages = 0;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        pk_buf f, x;
        pk_buf_init(&f, 0);
        pk_buf_init(&x, 0);
        gen_script(&f, &x, seed, 400);
        pk_doc a;
        pk_doc_init(&a);
        pk_error e;
        CHECK_EQ_I(pk_fountain_render(&a, f.data, f.len, &e), 0);
        CHECK_EQ_I(render_n(x.data, x.len), 0);
        if (err.msg[0]) fprintf(stderr, "seed %llu: %s\n", (unsigned long long)seed, err.msg);
        check_invariants();
        int same = same_rendering(&a, &doc);
        if (!same) {
            size_t i = 0;
            while (i < a.nlines && i < doc.nlines && a.page[i] == doc.page[i] && a.scene[i] == doc.scene[i]) i++;
            fprintf(stderr, "seed %llu differs (%zu vs %zu lines), first at %zu: page %u/%u\n",
                    (unsigned long long)seed, a.nlines, doc.nlines, i, i < a.nlines ? a.page[i] : 0,
                    i < doc.nlines ? doc.page[i] : 0);
        }
        agree += same;
        if (doc.nlines) pages += (int)doc.page[doc.nlines - 1];
        pk_doc_free(&a);
        pk_buf_free(&f);
        pk_buf_free(&x);
    }
    CHECK_EQ_I(agree, 40);
    CHECK(pages > 40 * 20); /* long scripts: page breaks of every kind were met */
    CHECK_STR(doc.author, "The Test");
}

/* sample/works/the-crossing.fountain and sample/works-fdx/the-crossing.fdx */
static int load_sample(const char *rel, pk_buf *b)
{
    char dir[1024], path[1200];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    snprintf(path, sizeof path, "%s/../../sample/%s", slash ? dir : ".", rel);
    if (access(path, R_OK) != 0 && getenv("PK_TESTDATA"))
        snprintf(path, sizeof path, "%s/../../sample/%s", getenv("PK_TESTDATA"), rel);
    pk_buf_init(b, 0);
    pk_error e;
    int rc = pk_source_slurp(path, b, 1 << 24, &e);
    if (rc) fprintf(stderr, "%s: %s\n", path, e.msg);
    return rc;
}

static void sample_forms_agree(void)
{
    pk_buf f, x;
    int rf = load_sample("works/the-crossing.fountain", &f), rx = load_sample("works-fdx/the-crossing.fdx", &x);
    CHECK_EQ_I(rf, 0);
    CHECK_EQ_I(rx, 0);
    if (!rf && !rx) {
        pk_doc a;
        pk_doc_init(&a);
        pk_error e;
        CHECK_EQ_I(pk_fountain_render(&a, f.data, f.len, &e), 0);
        CHECK_EQ_I(render_n(x.data, x.len), 0);
        check_invariants();
        /* Every rendered line: the same words, scene and page. */
        CHECK(same_rendering(&a, &doc));
        CHECK_EQ_U(doc.nlines, 77);
        CHECK_EQ_U(doc.scene[doc.nlines - 1], 11);
        CHECK_EQ_U(doc.page[doc.nlines - 1], 7);
        CHECK_STR(doc.title, "The Crossing");
        CHECK_STR(doc.author, "The picket sample authors");
        /* t07's quote: Fountain line 129, scene 6, page 4 in both. */
        for (size_t i = 0; i < a.nlines; i++)
            if (a.line[i] == 129) {
                CHECK_EQ_U(doc.scene[i], 6);
                CHECK_EQ_U(doc.page[i], 4);
                CHECK_EQ_U(doc.line[i], 240);
            }
        pk_doc_free(&a);
    }
    pk_buf_free(&f);
    pk_buf_free(&x);
}

/* ---- refusals ------------------------------------------------------------ */

/* stderr to a file while refusals run: libxml2 must print nothing. */
static int quiet_fd = -1, saved_fd = -1;
static char quiet_path[64];

static void hush(void)
{
    snprintf(quiet_path, sizeof quiet_path, "/tmp/pk-test-fdx-err.%d", (int)getpid());
    fflush(stderr);
    quiet_fd = open(quiet_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    saved_fd = dup(2);
    if (quiet_fd >= 0 && saved_fd >= 0) dup2(quiet_fd, 2);
}

static off_t unhush(void)
{
    fflush(stderr);
    if (saved_fd >= 0) dup2(saved_fd, 2), close(saved_fd);
    struct stat st;
    off_t size = quiet_fd >= 0 && fstat(quiet_fd, &st) == 0 ? st.st_size : -1;
    if (quiet_fd >= 0) close(quiet_fd);
    unlink(quiet_path);
    return size;
}

static void billion_laughs_refused(void)
{
    const char *s = "<?xml version=\"1.0\"?>\n"
                    "<!DOCTYPE FinalDraft [\n"
                    " <!ENTITY a \"lollollollollollollollollollol\">\n"
                    " <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
                    " <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
                    " <!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
                    " <!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
                    " <!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n"
                    " <!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">\n"
                    " <!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">\n"
                    " <!ENTITY i \"&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;\">\n"
                    "]>\n"
                    "<FinalDraft><Content><Paragraph Type=\"Action\"><Text>&i;&i;&i;</Text></Paragraph>"
                    "</Content></FinalDraft>\n";
    hush();
    clock_t t0 = clock();
    int rc = render_n(s, strlen(s));
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK_EQ_U(unhush(), 0);
    CHECK_EQ_I(rc, PK_EFORMAT);
    CHECK(secs < 0.5);
    CHECK_STR(err.msg, "line 2: a DOCTYPE is refused (Final Draft writes none; no entity is ever expanded)");
    CHECK_EQ_U(doc.nlines, 0);
}

static void external_entities_refused_and_never_read(void)
{
    /* The entity names a FIFO: opening it to read would block this test
     * until killed, so finishing at all shows it was never opened. */
    char dir[] = "/tmp/pk-test-fdx-XXXXXX", fifo[64], s[1024];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    CHECK_EQ_I(mkfifo(fifo, 0600), 0);
    static const char *const forms[][2] = {
        {"<?xml version=\"1.0\"?>\n<!DOCTYPE FinalDraft [\n<!ENTITY xxe SYSTEM \"file://",
         "\">\n]>\n<FinalDraft><Content><Paragraph Type=\"Action\"><Text>&xxe;</Text></Paragraph></Content>"
         "</FinalDraft>\n"},
        {"<?xml version=\"1.0\"?>\n<!DOCTYPE FinalDraft SYSTEM \"", "\">\n<FinalDraft><Content/></FinalDraft>\n"},
        {"<?xml version=\"1.0\"?>\n<!DOCTYPE FinalDraft [<!ENTITY % p SYSTEM \"", "\"> %p;]>\n<FinalDraft/>\n"},
        {"<?xml version=\"1.0\"?>\n<!DOCTYPE FinalDraft [<!ENTITY x SYSTEM \"http://127.0.0.1:9",
         "\">]>\n<FinalDraft><Content><Paragraph><Text>&x;</Text></Paragraph></Content></FinalDraft>\n"},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        snprintf(s, sizeof s, "%s%s%s", forms[i][0], fifo, forms[i][1]);
        hush();
        int rc = render_n(s, strlen(s));
        CHECK_EQ_U(unhush(), 0);
        CHECK_EQ_I(rc, PK_EFORMAT);
        CHECK(strncmp(err.msg, "line 2: a DOCTYPE is refused", 28) == 0);
        CHECK_EQ_U(doc.nlines, 0);
    }
    /* Undeclared entities (no DTD can declare them) are malformed XML. */
    CHECK_STR(show(HEAD "<Content><Paragraph><Text>&nbsp;</Text></Paragraph></Content></FinalDraft>"),
              "error -4: line 3: malformed XML: Entity 'nbsp' not defined");
    unlink(fifo);
    rmdir(dir);
}

static void malformed_files_refused(void)
{
    hush();
    /* Truncated: the line where the file ends. */
    const char *s = HEAD "<Content>\n<Paragraph Type=\"Action\">\n<Text>Cut off her";
    CHECK_EQ_I(render_n(s, strlen(s)), PK_EFORMAT);
    CHECK(strncmp(err.msg, "line 5: malformed XML: ", 23) == 0);
    /* Tags that do not match. */
    CHECK_STR(show(HEAD "<Content>\n<Paragraph><Text>x</Paragraph>\n</Content></FinalDraft>"),
              "error -4: line 4: malformed XML: Opening and ending tag mismatch: Text line 4 and Paragraph");
    /* A binary file. */
    unsigned char bin[4096];
    uint64_t seed = 3;
    for (size_t i = 0; i < sizeof bin; i++) bin[i] = (unsigned char)t_rand(&seed);
    CHECK_EQ_I(render_n((const char *)bin, sizeof bin), PK_EFORMAT);
    CHECK(strstr(err.msg, "not a Final Draft file") != NULL);
    CHECK_EQ_I(render_n("\0\0\0\0PK\3\4", 8), PK_EFORMAT);
    CHECK_EQ_I(render_n("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n", 15), PK_EFORMAT);
    CHECK(strncmp(err.msg, "line 1: not a Final Draft file: ", 32) == 0);
    /* Empty, or only a prolog. */
    CHECK_STR(show(""), "error -4: empty: not a Final Draft file");
    CHECK_EQ_I(render_n("<?xml version=\"1.0\"?>\n", 22), PK_EFORMAT);
    /* XML, but not Final Draft. */
    CHECK_STR(show("<?xml version=\"1.0\"?>\n<html><body>Hi.</body></html>"),
              "error -4: line 2: not a Final Draft file: the root element is <html>");
    /* Not UTF-8 although it says so (or says nothing). */
    s = HEAD "<Content><Paragraph><Text>Bad \xFF bytes</Text></Paragraph></Content></FinalDraft>";
    CHECK_EQ_I(render_n(s, strlen(s)), PK_EFORMAT);
    /* Nesting beyond libxml2's limit. */
    char deep[4096];
    size_t k = (size_t)snprintf(deep, sizeof deep, "<FinalDraft>");
    for (int i = 0; i < 300; i++) k += (size_t)snprintf(deep + k, sizeof deep - k, "<a>");
    CHECK_EQ_I(render_n(deep, k), PK_EFORMAT);
    CHECK_EQ_U(unhush(), 0);
}

static void limits(void)
{
    /* More paragraphs than allowed: refused as it reaches the limit. */
    size_t np = PK_FDX_MAX_PARAGRAPHS + 1, n = 21 + np * 12 + 23;
    char *s = malloc(n + 1);
    CHECK(s != NULL);
    if (!s) return;
    memcpy(s, "<FinalDraft><Content>", 21);
    for (size_t i = 0; i < np; i++) memcpy(s + 21 + i * 12, "<Paragraph/>", 12);
    memcpy(s + 21 + np * 12, "</Content></FinalDraft>", 23);
    clock_t t0 = clock();
    CHECK_EQ_I(render_n(s, n), PK_ETOOBIG);
    CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 5);
    CHECK(strstr(err.msg, "more than 1048576 paragraphs") != NULL);
    free(s);
    /* Larger than 64 MiB: refused before reading a byte. */
    char one = '<';
    CHECK_EQ_I(render_n(&one, PK_FDX_MAX_BYTES + 1), PK_ETOOBIG);
    CHECK(strstr(err.msg, "larger than the 64 MiB") != NULL);
}

/* ---- the format, chosen ------------------------------------------------- */

static void format_detection(void)
{
    const char *x = HEAD "<Content><Paragraph Type=\"Action\"><Text>Hello there.</Text></Paragraph></Content>"
                         "</FinalDraft>\n";
    pk_error e;
    CHECK_EQ_I(pk_work_format_parse("fdx"), PK_WORK_FDX);
    CHECK_STR(pk_work_format_name(PK_WORK_FDX), "fdx");
    CHECK_EQ_I(pk_doc_read(&doc, "draft.FDX", x, strlen(x), PK_WORK_AUTO, 0, &e), 0);
    CHECK_EQ_I(doc.format, PK_WORK_FDX);
    CHECK_EQ_U(doc.nlines, 1);
    CHECK_EQ_I(pk_doc_read(&doc, "draft-3", x, strlen(x), PK_WORK_AUTO, 0, &e), 0);
    CHECK_EQ_I(doc.format, PK_WORK_FDX);
    CHECK_EQ_I(pk_doc_read(&doc, NULL, x, strlen(x), PK_WORK_AUTO, 0, &e), 0);
    CHECK_EQ_I(doc.format, PK_WORK_FDX);
    /* Other XML stays text, and --format text reads a .fdx as text. */
    const char *svg = "<?xml version=\"1.0\"?>\n<svg><text>Hi</text></svg>\n";
    CHECK_EQ_I(pk_doc_read(&doc, "pic.svg", svg, strlen(svg), PK_WORK_AUTO, 0, &e), 0);
    CHECK_EQ_I(doc.format, PK_WORK_TEXT);
    CHECK_EQ_I(pk_doc_read(&doc, "draft.fdx", x, strlen(x), PK_WORK_TEXT, 0, &e), 0);
    CHECK_EQ_I(doc.format, PK_WORK_TEXT);
    /* A .fdx that is not XML is refused, not read as text. */
    CHECK_EQ_I(pk_doc_read(&doc, "draft.fdx", "INT. HOUSE - DAY\n", 17, PK_WORK_AUTO, 0, &e), PK_EFORMAT);
    pk_doc_free(&doc);
}

TEST_MAIN(TEST(element_types), TEST(text_runs_and_entities), TEST(line_breaks_in_text), TEST(skipped_elements),
          TEST(title_page), TEST(page_breaks_and_dual_dialogue), TEST(enormous_paragraph),
          TEST(generated_scripts_agree_with_fountain), TEST(sample_forms_agree), TEST(billion_laughs_refused),
          TEST(external_entities_refused_and_never_read), TEST(malformed_files_refused), TEST(limits),
          TEST(format_detection))
