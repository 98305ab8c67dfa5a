/* test_fountain.c -- the Fountain reader: what is rendered, from which
 * source line, on which page, in which scene.
 *
 * Every screenplay here is written for this test.  Most tests compare the
 * whole rendering, one "line page scene|text" row per rendered line, so
 * what is dropped is checked as exactly as what is kept. */
#include "fmt/fmt.h"
#include "test.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static pk_doc doc;
static pk_error err;
static char shown[1 << 16];

/* Render s (n bytes); returns the reader's code. */
static int render_n(const char *s, size_t n)
{
    pk_doc_free(&doc);
    pk_doc_init(&doc);
    memset(&err, 0, sizeof err);
    return pk_fountain_render(&doc, s, n, &err);
}

/* Render s and show it as rows "line page scene|text\n". */
static const char *show(const char *s)
{
    int rc = render_n(s, strlen(s));
    if (rc) {
        snprintf(shown, sizeof shown, "error %d: %s", rc, err.msg);
        return shown;
    }
    size_t k = 0;
    shown[0] = 0;
    const char *p = doc.text.data;
    for (size_t i = 0; i < doc.nlines && k < sizeof shown - 256; i++) {
        const char *nl = strchr(p, '\n');
        int len = (int)(nl - p);
        k += (size_t)snprintf(shown + k, sizeof shown - k, "%u %u %u|%.*s\n", doc.line[i], doc.page[i],
                              doc.scene[i], len > 200 ? 200 : len, p);
        p = nl + 1;
    }
    return shown;
}

/* The index of the rendered line from source line no, or -1. */
static long find_line(uint32_t no)
{
    for (size_t i = 0; i < doc.nlines; i++)
        if (doc.line[i] == no) return (long)i;
    return -1;
}

static void check_invariants(void)
{
    size_t nl = 0;
    for (size_t i = 0; i < doc.text.len; i++) nl += doc.text.data[i] == '\n';
    CHECK_EQ_U(nl, doc.nlines);
    for (size_t i = 0; i < doc.nlines; i++) {
        CHECK(doc.page[i] >= 1);
        if (i) {
            CHECK(doc.line[i] > doc.line[i - 1]);
            CHECK(doc.page[i] >= doc.page[i - 1]);
            CHECK(doc.scene[i] >= doc.scene[i - 1]);
        }
    }
}

/* ---- elements ------------------------------------------------------------ */

static void a_short_scene(void)
{
    const char *s = "Title: Low Tide\n"
                    "Author: Test Writer\n"
                    "\n"
                    "EXT. MUDFLATS - DAWN\n"
                    "\n"
                    "Gulls argue over a bucket.\n"
                    "A boot sinks to the ankle.\n"
                    "\n"
                    "MARA\n"
                    "(to the gulls)\n"
                    "It is not yours.\n"
                    "It was never yours.\n"
                    "\n"
                    "CUT TO:\n"
                    "\n"
                    "INT. BAIT SHOP - DAY\n"
                    "\n"
                    "Mara drops the bucket on the counter.\n";
    CHECK_STR(show(s), "6 1 1|Gulls argue over a bucket.\n"
                       "7 1 1|A boot sinks to the ankle.\n"
                       "11 1 1|It is not yours.\n"
                       "12 1 1|It was never yours.\n"
                       "18 1 2|Mara drops the bucket on the counter.\n");
    CHECK_STR(doc.title, "Low Tide");
    CHECK_STR(doc.author, "Test Writer");
    CHECK_EQ_I(doc.format, PK_WORK_FOUNTAIN);
    check_invariants();
}

static void scene_headings(void)
{
    const char *s = "Before any scene.\n"         /* 1 */
                    "\n"
                    "int. kitchen - night\n"      /* 3: scene 1 */
                    "\n"
                    "One.\n"                      /* 5 */
                    "\n"
                    "INT./EXT. VAN - MOVING\n"    /* 7: 2 */
                    "\n"
                    "Two.\n"                      /* 9 */
                    "\n"
                    "INT/EXT GARAGE\n"            /* 11: 3 */
                    "\n"
                    "Three.\n"                    /* 13 */
                    "\n"
                    "EST. FARM - DAY #12A#\n"     /* 15: 4 */
                    "Four, right under it.\n"     /* 16 */
                    "\n"
                    "I/E TRAIN - DAY\n"           /* 18: 5 */
                    "\n"
                    ".UNDERWATER\n"               /* 20: 6, forced */
                    "\n"
                    "...and then nothing.\n"      /* 22: an ellipsis is action */
                    "\n"
                    "Interior decorating is hard.\n" /* 24: INT without . or space */
                    "EXT. NO BLANK LINE BEFORE\n" /* 25: action */
                    "\n"
                    "EXTRA. Nothing.\n";          /* 27: action */
    CHECK_STR(show(s), "1 1 0|Before any scene.\n"
                       "5 1 1|One.\n"
                       "9 1 2|Two.\n"
                       "13 1 3|Three.\n"
                       "16 1 4|Four, right under it.\n"
                       "22 1 6|...and then nothing.\n"
                       "24 1 6|Interior decorating is hard.\n"
                       "25 1 6|EXT. NO BLANK LINE BEFORE\n"
                       "27 1 6|EXTRA. Nothing.\n");
    check_invariants();
}

static void character_cues(void)
{
    const char *s = "\n"
                    "NARRATOR (V.O.)\n"           /* 2: cue, extension */
                    "Once.\n"                     /* 3 */
                    "\n"
                    "MARA (cont'd)\n"             /* 5: lowercase extension */
                    "Twice.\n"
                    "\n"
                    "@McGUIRE\n"                  /* 8: forced */
                    "Thrice.\n"
                    "\n"
                    "R2D2\n"                      /* 11: a letter is enough */
                    "Beep.\n"
                    "\n"
                    "JOSÉ ÅBERG\n"                /* 14: non-ASCII capitals */
                    "Hola.\n"
                    "\n"
                    "José walks in.\n"            /* 17: not all caps: action */
                    "He sits.\n"
                    "\n"
                    "1999\n"                      /* 20: no letter: action */
                    "A year.\n"
                    "\n"
                    "BANG\n"                      /* 23: blank after: action */
                    "\n"
                    "He looks.\n"                 /* 25 */
                    "SHE SAID\n"                  /* 26: no blank before: action */
                    "More.\n"
                    "\n"
                    "漢字のみ\n"                  /* 29: no cased letter: action */
                    "本文。\n";
    CHECK_STR(show(s), "3 1 0|Once.\n"
                       "6 1 0|Twice.\n"
                       "9 1 0|Thrice.\n"
                       "12 1 0|Beep.\n"
                       "15 1 0|Hola.\n"
                       "17 1 0|José walks in.\n"
                       "18 1 0|He sits.\n"
                       "20 1 0|1999\n"
                       "21 1 0|A year.\n"
                       "23 1 0|BANG\n"
                       "25 1 0|He looks.\n"
                       "26 1 0|SHE SAID\n"
                       "27 1 0|More.\n"
                       "29 1 0|漢字のみ\n"
                       "30 1 0|本文。\n");
    /* After a blank line, the same caps line is a cue. */
    CHECK_STR(show("\nHE SAID\nSHE SAID\nMore.\n"), "3 1 0|SHE SAID\n4 1 0|More.\n");
}

static void dialogue_blocks(void)
{
    const char *s = "\n"
                    "ODA\n"                      /* 2 */
                    "(quietly)\n"                /* 3: parenthetical */
                    "First part.\n"              /* 4 */
                    "  \n"                       /* 5: two spaces keep the block */
                    "Second part.\n"             /* 6 */
                    "(beat)\n"                   /* 7 */
                    "~A line of a song\n"        /* 8: lyric in dialogue */
                    "   \n"                      /* 9: three spaces: blank */
                    "Back to action.\n"          /* 10 */
                    "\n"
                    "ODA\n"                      /* 12 */
                    "  (aside)  \n"              /* 13: indented parenthetical */
                    "\tIndented words.\n";       /* 14 */
    CHECK_STR(show(s), "4 1 0|First part.\n"
                       "6 1 0|Second part.\n"
                       "8 1 0|A line of a song\n"
                       "10 1 0|Back to action.\n"
                       "14 1 0|Indented words.\n");
}

static void dual_dialogue(void)
{
    const char *s = "\nBRAM\nLeft.\n\nCORA ^\nRight.\n\n@dee ^\nAlso.\n";
    CHECK_STR(show(s), "3 1 0|Left.\n6 1 0|Right.\n9 1 0|Also.\n");
}

static void transitions_centered_lyrics(void)
{
    const char *s = "Action.\n"                 /* 1 */
                    "\n"
                    "SMASH CUT TO:\n"            /* 3: transition */
                    "\n"
                    "> FADE OUT.\n"              /* 5: forced transition */
                    "\n"
                    ">THE END<\n"                /* 7: centered */
                    "\n"
                    "> *Very* centered <\n"      /* 9 */
                    "\n"
                    "~Row, row, *row*\n"         /* 11: lyric */
                    "~Down the creek\n"          /* 12 */
                    "\n"
                    "!SHOUTING IN ACTION\n"      /* 14: forced action */
                    "More of it.\n"              /* 15 */
                    "\n"
                    "FADE TO:\n"                 /* 17: no blank after: a cue */
                    "Words.\n"                   /* 18 */
                    "\n"
                    "Lowercase to:\n"            /* 20: not caps: action */
                    "\n";
    CHECK_STR(show(s), "1 1 0|Action.\n"
                       "7 1 0|THE END\n"
                       "9 1 0|Very centered\n"
                       "11 1 0|Row, row, row\n"
                       "12 1 0|Down the creek\n"
                       "14 1 0|SHOUTING IN ACTION\n"
                       "15 1 0|More of it.\n"
                       "18 1 0|Words.\n"
                       "20 1 0|Lowercase to:\n");
}

static void sections_synopses_page_breaks(void)
{
    const char *s = "# Act One\n"               /* 1 */
                    "\n"
                    "## The beach\n"             /* 3 */
                    "\n"
                    "= Mara finds the boot.\n"   /* 5 */
                    "\n"
                    "EXT. BEACH - DAY\n"         /* 7: scene 1 */
                    "\n"
                    "Sand.\n"                    /* 9 */
                    "\n"
                    "===\n"                      /* 11 */
                    "\n"
                    "More sand.\n"               /* 13: page 2 */
                    "\n"
                    "=====\n"                    /* 15 */
                    "===\n"                      /* 16: no empty page */
                    "\n"
                    "Yet more.\n";               /* 18: page 3 */
    CHECK_STR(show(s), "9 1 1|Sand.\n13 2 1|More sand.\n18 3 1|Yet more.\n");
    /* A page break at the top changes nothing. */
    CHECK_STR(show("===\n\nFirst.\n"), "3 1 0|First.\n");
}

static void emphasis_removed(void)
{
    const char *s = "*Italic* and **bold** and ***both*** and _under_.\n"
                    "Escaped \\*stars\\* and \\_bars\\_ stay.\n"
                    "He dialed *69 and then *23.\n"
                    "_An *italic* word underlined_ and a * lone star.\n"
                    "snake_case_name and ____ blanks.\n"
                    "**unclosed bold\n";
    CHECK_STR(show(s), "1 1 0|Italic and bold and both and under.\n"
                       "2 1 0|Escaped *stars* and _bars_ stay.\n"
                       "3 1 0|He dialed *69 and then *23.\n"
                       "4 1 0|An italic word underlined and a * lone star.\n"
                       "5 1 0|snakecasename and ____ blanks.\n"
                       "6 1 0|**unclosed bold\n");
}

/* ---- notes and boneyard -------------------------------------------------- */

static void notes_removed(void)
{
    const char *s = "The door opens. [[Check: which door?]] She enters.\n" /* 1 */
                    "\n"
                    "MARA\n"                                               /* 3 */
                    "[[a note on its own line]]\n"                          /* 4: gone, not blank */
                    "Hello.\n"                                             /* 5 */
                    "\n"
                    "Before [[a note\n"                                    /* 7 */
                    "that runs on\n"                                       /* 8 */
                    "  \n"                                                 /* 9: two spaces stay in it */
                    "and ends]] after.\n"                                  /* 10 */
                    "\n"
                    "Open [[note with no end\n"                            /* 12 */
                    "still the note\n"                                     /* 13 */
                    "\n"                                                   /* 14: a blank line ends it */
                    "Free again.\n";                                       /* 15 */
    CHECK_STR(show(s), "1 1 0|The door opens.  She enters.\n"
                       "5 1 0|Hello.\n"
                       "7 1 0|Before\n"
                       "10 1 0|after.\n"
                       "12 1 0|Open\n"
                       "15 1 0|Free again.\n");
}

static void boneyard_removed(void)
{
    const char *s = "Kept. /* cut */ Kept too.\n"  /* 1 */
                    "\n"
                    "/*\n"                          /* 3 */
                    "INT. CUT SCENE - DAY\n"
                    "\n"
                    "Cut action.\n"
                    "*/\n"                          /* 7 */
                    "\n"
                    "INT. REAL SCENE - DAY\n"       /* 9: scene 1 */
                    "\n"
                    "Real. /* [[ not a note */ Yes.\n" /* 11 */
                    "[[ note /* not boneyard ]] Shown.\n" /* 12 */
                    "\n"
                    "Tail /* never closed\n"        /* 14 */
                    "\n"
                    "INT. GONE - DAY\n"
                    "All gone.\n";
    CHECK_STR(show(s), "1 1 0|Kept.  Kept too.\n"
                       "11 1 1|Real.  Yes.\n"
                       "12 1 1|Shown.\n"
                       "14 1 1|Tail\n");
    /* A boneyard between a cue and its dialogue does not break them. */
    CHECK_STR(show("\nMARA\n/* old line\nstill old */\nNew line.\n"), "5 1 0|New line.\n");
}

/* ---- the title page ------------------------------------------------------ */

static void title_page(void)
{
    const char *s = "Title:\n"
                    "    _**THE LONG**_\n"
                    "\t*WAY HOME*\n"
                    "Credit: Written by\n"
                    "Authors: Ann One\n"
                    "    Bo Two\n"
                    "Draft date: 1 May\n"
                    "Contact:\n"
                    "    someone@example.org\n"
                    "\n"
                    "The story.\n";
    CHECK_STR(show(s), "11 1 0|The story.\n");
    CHECK_STR(doc.title, "THE LONG WAY HOME");
    CHECK_STR(doc.author, "Ann One, Bo Two");

    /* Only a title page: nothing rendered, no error. */
    CHECK_STR(show("Title: Just This\nAuthor: Me\n"), "");
    CHECK_EQ_U(doc.nlines, 0);
    CHECK_STR(doc.title, "Just This");
    CHECK_STR(doc.author, "Me");

    /* A first line with a key the spec does not list is action. */
    CHECK_STR(show("Manhattan: the sun comes up.\n\nTitle: Not Here\n"),
              "1 1 0|Manhattan: the sun comes up.\n3 1 0|Title: Not Here\n");
    CHECK_STR(doc.title, "");

    /* Blank lines and a note before it. */
    CHECK_STR(show("[[draft notes]]\n\n\nTITLE: Late\n\nAction.\n"), "6 1 0|Action.\n");
    CHECK_STR(doc.title, "Late");

    /* A long title is cut at a character boundary: 130 two-byte
     * characters, 255 bytes of room, 127 of them kept. */
    char big[600];
    size_t k = (size_t)snprintf(big, sizeof big, "Title: ");
    for (int i = 0; i < 130; i++) k += (size_t)snprintf(big + k, sizeof big - k, "\xC3\xA9"); /* e acute */
    k += (size_t)snprintf(big + k, sizeof big - k, "\nAuthor: A\n\nGo.\n");
    CHECK_EQ_I(render_n(big, k), 0);
    CHECK_EQ_U(strlen(doc.title), 254);
    CHECK(memcmp(doc.title + 252, "\xC3\xA9", 2) == 0);
    CHECK_STR(doc.author, "A");
    /* Many authors: cut whole or at a character, never after a separator. */
    k = (size_t)snprintf(big, sizeof big, "Authors:\n");
    for (int i = 0; i < 30; i++) k += (size_t)snprintf(big + k, sizeof big - k, "  Writer Number %02d\n", i);
    CHECK_EQ_I(render_n(big, k), 0);
    size_t al = strlen(doc.author);
    CHECK(al > 200 && al <= 255);
    CHECK(memcmp(doc.author, "Writer Number 00, Writer Number 01, ", 36) == 0);
    CHECK(doc.author[al - 1] != ' ' && doc.author[al - 1] != ',');
}

/* ---- input edge cases ---------------------------------------------------- */

static void empty_and_blank_inputs(void)
{
    CHECK_EQ_I(render_n("", 0), 0);
    CHECK_EQ_U(doc.nlines, 0);
    CHECK_EQ_I(doc.format, PK_WORK_FOUNTAIN);
    CHECK_STR(show("\n\n\n"), "");
    CHECK_STR(show("   \n\t\n  \n     \n"), "");
    CHECK_STR(show("\xEF\xBB\xBF"), "");
    CHECK_STR(show("/*"), "");
    CHECK_STR(show("[["), "");
    CHECK_STR(show("No newline at the end"), "1 1 0|No newline at the end\n");
}

static void crlf_bom_tabs(void)
{
    const char *lf = "Title: Crlf\n\nINT. ROOM - DAY\n\nA\ttabbed\taction.\n\nMARA\nSpeak.\n";
    const char *crlf = "\xEF\xBB\xBFTitle: Crlf\r\n\r\nINT. ROOM - DAY\r\n\r\nA\ttabbed\taction.\r\n\r\nMARA\r\nSpeak.\r\n";
    char a[512];
    snprintf(a, sizeof a, "%s", show(lf));
    CHECK_STR(a, "5 1 1|A\ttabbed\taction.\n8 1 1|Speak.\n");
    CHECK_STR(show(crlf), a);
    CHECK_STR(doc.title, "Crlf");
    /* UTF-16 with a BOM is converted. */
    const char *u16 = "\xFF\xFE" "H\0i\0.\0\n\0";
    CHECK_EQ_I(render_n(u16, 10), 0);
    CHECK_EQ_U(doc.nlines, 1);
    CHECK(doc.text.len == 4 && memcmp(doc.text.data, "Hi.\n", 4) == 0);
    /* Invalid UTF-8 and NUL bytes pass through. */
    CHECK_EQ_I(render_n("Bad \xFF\xC0 bytes\0here.\n", 19), 0);
    CHECK_EQ_U(doc.nlines, 1);
    CHECK_EQ_U(doc.text.len, 19);
}

static void ten_megabyte_line(void)
{
    size_t n = 10u << 20;
    char *s = malloc(n + 32);
    CHECK(s != NULL);
    if (!s) return;
    for (size_t i = 0; i < n; i += 5) memcpy(s + i, "word ", 5);
    memcpy(s + n, "\n\nAfter.\n", 9);
    clock_t t0 = clock();
    CHECK_EQ_I(render_n(s, n + 9), 0);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK(secs < 5);
    CHECK_EQ_U(doc.nlines, 2);
    CHECK_EQ_U(doc.text.len, n - 1 + 1 + 7);
    CHECK_EQ_U(doc.page[0], 1);
    /* 2 Mi words, 12 to a 60-column line: 174763 lines, 3178 pages. */
    CHECK_EQ_U(doc.page[1], (2097152 / 12 + 1) / 55 + 1);
    check_invariants();
    /* The same line full of emphasis markers and note openings. */
    for (size_t i = 0; i < n; i += 5) memcpy(s + i, (i / 5) % 2 ? "*ab* " : "_a [ ", 5);
    CHECK_EQ_I(render_n(s, n + 9), 0);
    CHECK_EQ_U(doc.nlines, 2);
    free(s);
}

/* ---- pages --------------------------------------------------------------- */

/* A paragraph of `lines` one-line action lines, after a blank line. */
static size_t filler(char *s, size_t k, size_t cap, int lines)
{
    for (int i = 0; i < lines; i++) k += (size_t)snprintf(s + k, cap - k, "Filler %d.\n", i);
    return k;
}

static void page_keep_rules(void)
{
    static char s[8192];
    size_t k;
    /* 51 lines, blank, heading (keep 3: it, a blank, a line) fits: page 1. */
    k = filler(s, 0, sizeof s, 51);
    k += (size_t)snprintf(s + k, sizeof s - k, "\nINT. HALL - DAY\n\nShe waits.\n");
    CHECK_EQ_I(render_n(s, k), 0);
    CHECK_EQ_U(doc.nlines, 52);
    CHECK_EQ_U(doc.page[51], 1);
    CHECK_EQ_U(doc.scene[51], 1);
    /* 52 lines: the heading and the action after it go to page 2. */
    k = filler(s, 0, sizeof s, 52);
    k += (size_t)snprintf(s + k, sizeof s - k, "\nINT. HALL - DAY\n\nShe waits.\n");
    CHECK_EQ_I(render_n(s, k), 0);
    CHECK_EQ_U(doc.page[51], 1);
    CHECK_EQ_U(doc.page[52], 2);
    /* A cue and its first line stay together: 52 lines fit them, 53 not. */
    k = filler(s, 0, sizeof s, 52);
    k += (size_t)snprintf(s + k, sizeof s - k, "\nMARA\nHi.\n");
    CHECK_EQ_I(render_n(s, k), 0);
    CHECK_EQ_U(doc.page[52], 1);
    k = filler(s, 0, sizeof s, 53);
    k += (size_t)snprintf(s + k, sizeof s - k, "\nMARA\nHi.\n");
    CHECK_EQ_I(render_n(s, k), 0);
    CHECK_EQ_U(doc.page[53], 2);
    /* Dialogue running over a page: 54 lines under the cue on page 1, the
     * 55th on page 2 (after the repeated cue). */
    k = (size_t)snprintf(s, sizeof s, "\nMARA\n");
    for (int i = 0; i < 60; i++) k += (size_t)snprintf(s + k, sizeof s - k, "Line %d.\n", i);
    CHECK_EQ_I(render_n(s, k), 0);
    CHECK_EQ_U(doc.page[53], 1);
    CHECK_EQ_U(doc.page[54], 2);
}

static void page_wrapping(void)
{
    static char s[16384];
    size_t k = 0;
    /* 61 characters: two printed lines.  27 of them fill 54 lines; the
     * 28th starts on page 1, the 29th on page 2. */
    for (int i = 0; i < 29; i++)
        k += (size_t)snprintf(s + k, sizeof s - k, "%s\n",
                              "aaaaaaaaa bbbbbbbbb ccccccccc ddddddddd eeeeeeeee fffffffff ggg");
    CHECK_EQ_I(render_n(s, k), 0);
    CHECK_EQ_U(doc.page[27], 1);
    CHECK_EQ_U(doc.page[28], 2);
    /* Exactly 60: one line each, 55 on page 1. */
    k = 0;
    for (int i = 0; i < 56; i++)
        k += (size_t)snprintf(s + k, sizeof s - k, "%s\n",
                              "aaaaaaaaa bbbbbbbbb ccccccccc ddddddddd eeeeeeeee ffffffffff");
    CHECK_EQ_I(render_n(s, k), 0);
    CHECK_EQ_U(doc.page[54], 1);
    CHECK_EQ_U(doc.page[55], 2);
    /* Dialogue wraps at 35: 36 characters are two lines.  The cue is one,
     * so 27 of them fill page 1 up to line 55. */
    k = (size_t)snprintf(s, sizeof s, "\nMARA\n");
    for (int i = 0; i < 28; i++)
        k += (size_t)snprintf(s + k, sizeof s - k, "%s\n", "aaaaaaaaa bbbbbbbbb ccccccccc dddddd");
    CHECK_EQ_I(render_n(s, k), 0);
    CHECK_EQ_U(doc.page[26], 1);
    CHECK_EQ_U(doc.page[27], 2);
}

static void page_dual_dialogue(void)
{
    static char s[8192];
    /* 50 lines; cue at 52, three lines to 55.  The dual block goes beside
     * it on page 1; what follows starts page 2.  Without the caret the
     * second block would start page 2. */
    size_t k = filler(s, 0, sizeof s, 50);
    k += (size_t)snprintf(s + k, sizeof s - k, "\nBRAM\nOne.\nTwo.\nThree.\n\nCORA ^\nFour.\n\nAfter.\n");
    CHECK_EQ_I(render_n(s, k), 0);
    CHECK_EQ_U(doc.nlines, 55);
    CHECK_EQ_U(doc.page[53], 1); /* Four. */
    CHECK_EQ_U(doc.page[54], 2); /* After. */
    k = filler(s, 0, sizeof s, 50);
    k += (size_t)snprintf(s + k, sizeof s - k, "\nBRAM\nOne.\nTwo.\nThree.\n\nCORA\nFour.\n\nAfter.\n");
    CHECK_EQ_I(render_n(s, k), 0);
    CHECK_EQ_U(doc.page[53], 2);
}

/* 120 scenes of action and dialogue: about a page each, as scripts are. */
static void long_script_pages(void)
{
    size_t cap = 1 << 20, k = 0;
    char *s = malloc(cap);
    CHECK(s != NULL);
    if (!s) return;
    uint64_t seed = 7;
    k += (size_t)snprintf(s + k, cap - k, "Title: Generated\nAuthor: The test\n\n");
    static const char *const words[] = {"the", "tide", "comes", "in", "slowly", "and", "Mara", "watches",
                                        "from", "a", "crooked", "pier", "while", "gulls", "circle", "overhead"};
    for (int sc = 1; sc <= 120; sc++) {
        k += (size_t)snprintf(s + k, cap - k, "%s. PLACE %d - %s\n\n", sc % 2 ? "INT" : "EXT", sc,
                              sc % 3 ? "DAY" : "NIGHT");
        for (int para = 0; para < 4; para++) {
            for (int line = 0; line < 2; line++) { /* action: 2 lines of ~110 chars */
                for (int w = 0; w < 20; w++)
                    k += (size_t)snprintf(s + k, cap - k, "%s%s", w ? " " : "", words[t_rand(&seed) % 16]);
                k += (size_t)snprintf(s + k, cap - k, ".\n");
            }
            k += (size_t)snprintf(s + k, cap - k, "\n%s\n", para % 2 ? "MARA" : "OLD FISHERMAN (O.S.)");
            if (para == 1) k += (size_t)snprintf(s + k, cap - k, "(not looking up)\n");
            for (int line = 0; line < 2; line++) { /* dialogue: 2 lines of ~55 chars */
                for (int w = 0; w < 10; w++)
                    k += (size_t)snprintf(s + k, cap - k, "%s%s", w ? " " : "", words[t_rand(&seed) % 16]);
                k += (size_t)snprintf(s + k, cap - k, ".\n");
            }
            k += (size_t)snprintf(s + k, cap - k, "\n");
        }
    }
    CHECK(k < cap - 1024);
    CHECK_EQ_I(render_n(s, k), 0);
    check_invariants();
    CHECK_STR(doc.title, "Generated");
    CHECK_EQ_U(doc.scene[doc.nlines - 1], 120);
    /* Each scene: heading 1 + 4 x (blank, ~4 action, blank, cue, ~4
     * dialogue) + a parenthetical, about 45 lines: 120 scenes ~ 100 pages. */
    uint32_t last = doc.page[doc.nlines - 1];
    CHECK(last >= 95 && last <= 115);
    /* Pages grow evenly: scene 60 is about half-way. */
    for (size_t i = 0; i < doc.nlines; i++)
        if (doc.scene[i] == 60) {
            CHECK(doc.page[i] >= last * 45 / 100 && doc.page[i] <= last * 55 / 100);
            break;
        }
    /* The same script, a forced page break before every scene: at least
     * one page a scene, and no more than two. */
    char *t = malloc(cap + 120 * 8);
    CHECK(t != NULL);
    if (t) {
        size_t m = 0;
        for (size_t i = 0; i < k; i++) {
            if ((i == 0 || s[i - 1] == '\n') && (memcmp(s + i, "INT. ", 5) == 0 || memcmp(s + i, "EXT. ", 5) == 0)) {
                memcpy(t + m, "===\n\n", 5);
                m += 5;
            }
            t[m++] = s[i];
        }
        CHECK_EQ_I(render_n(t, m), 0);
        check_invariants();
        uint32_t first_of_scene = 0;
        for (size_t i = 0; i < doc.nlines; i++)
            if (i == 0 || doc.scene[i] != doc.scene[i - 1]) {
                CHECK(doc.page[i] > first_of_scene);
                first_of_scene = doc.page[i];
            }
        CHECK(doc.page[doc.nlines - 1] >= 120 && doc.page[doc.nlines - 1] <= 240);
        free(t);
    }
    free(s);
}

/* ---- the sample screenplays ---------------------------------------------- */

static void sample_screenplays(void)
{
    static const char *const names[] = {"night-shift.fountain", "the-crossing.fountain",
                                        "lighthouse-keepers.fountain"};
    /* Next to this file (CMake compiles it by its full path), or from
     * PK_TESTDATA (tests/data). */
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *slash = strrchr(dir, '/');
    snprintf(slash ? slash : dir, sizeof dir - (size_t)(slash ? slash - dir : 0), "%s",
             slash ? "/../../sample/works" : "../../sample/works");
    char probe[1200];
    snprintf(probe, sizeof probe, "%s/%s", dir, names[0]);
    if (access(probe, R_OK) != 0 && getenv("PK_TESTDATA"))
        snprintf(dir, sizeof dir, "%s/../../sample/works", getenv("PK_TESTDATA"));
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        pk_buf b;
        pk_buf_init(&b, 0);
        pk_error e;
        int rc = pk_source_slurp(path, &b, 1 << 24, &e);
        CHECK_EQ_I(rc, 0);
        if (rc) {
            fprintf(stderr, "%s: %s\n", path, e.msg);
            continue;
        }
        CHECK_EQ_I(render_n(b.data, b.len), 0);
        check_invariants();
        CHECK(doc.nlines > 50);
        CHECK(doc.scene[doc.nlines - 1] > 5);
        CHECK(doc.page[doc.nlines - 1] > 3);
        CHECK(doc.title[0] != 0);
        CHECK_STR(doc.author, "The picket sample authors");
        /* Notes and the boneyard are not rendered. */
        CHECK(strstr(doc.text.data, "[[") == NULL);
        CHECK(strstr(doc.text.data, "/*") == NULL);
        pk_buf_free(&b);
    }
    /* The quoted passage of t07-screenplay.sh: scene 6 of The Crossing. */
    char path[1200];
    snprintf(path, sizeof path, "%s/the-crossing.fountain", dir);
    pk_buf b;
    pk_buf_init(&b, 0);
    if (pk_source_slurp(path, &b, 1 << 24, &err) == 0 && render_n(b.data, b.len) == 0) {
        long i = find_line(129);
        CHECK(i >= 0);
        if (i >= 0) CHECK_EQ_U(doc.scene[i], 6);
    }
    pk_buf_free(&b);
    pk_doc_free(&doc);
}

TEST_MAIN(TEST(a_short_scene), TEST(scene_headings), TEST(character_cues), TEST(dialogue_blocks), TEST(dual_dialogue),
          TEST(transitions_centered_lyrics), TEST(sections_synopses_page_breaks), TEST(emphasis_removed),
          TEST(notes_removed), TEST(boneyard_removed), TEST(title_page), TEST(empty_and_blank_inputs),
          TEST(crlf_bom_tabs), TEST(ten_megabyte_line), TEST(page_keep_rules), TEST(page_wrapping),
          TEST(page_dual_dialogue), TEST(long_script_pages), TEST(sample_screenplays))
