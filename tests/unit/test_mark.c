/* test_mark.c -- per-recipient marks (src/mark.c): every channel is set
 * and read back, names of choice points survive marking, excerpting and
 * re-wrapping, the code is keyed and deterministic, and the trace
 * statistic never accuses an innocent recipient. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "picket_mark.h"
#include "pk.h"
#include "test.h"
#include "gen.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A short screenplay written for this test, with every channel in it. */
static const char script[] =
    "Title: The Lamp Room\n"
    "Author: picket tests\n"
    "\n"
    "INT. LAMP ROOM - NIGHT\n"
    "\n"
    "Rain hammers the glass. Nobody has swept the floor in weeks. Then a gull lands on the rail outside.\n"
    "\n"
    "At the far wall, the logbook lies open beside a kettle, a tin mug, and a coil of rope. The lamp turns, and it "
    "throws long shadows across the ceiling.\n"
    "\n"
    "JUNE sits by the lens. She does not look up. She is counting the seconds between flashes, and the count is wrong.\n"
    "\n"
    "JUNE\n"
    "It's late -- he's never this late. I don't like it... not one bit.\n"
    "\n"
    "Suddenly the radio crackles. Someone is calling toward the rocks, okay, all right, but the voice is thin.\n"
    "\n"
    "TOMAS (O.S.)\n"
    "June? June, it's Tomas. The boat's fine. I'll be there by morning.\n"
    "\n"
    "June cannot answer. Her hand is not steady on the switch. Slowly she turns the dial toward the harbor frequency and waits.\n"
    "\n"
    "Outside the storm does not ease. Everyone in the village is asleep. Afterward, nobody will believe the light went out.\n"
    "\n"
    "JUNE\n"
    "Tomas, you're breaking up. Say it again -- slower.\n"
    "\n"
    "A sign on the door reads \"Keep the light burning\" in flaking paint.\n"
    "\n"
    "When the static clears, she counts again. Finally the static clears. It is quiet. There is a knock at the door, and anybody could be standing there.\n";

static int cmp_u64_t(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* A re-wrap at 20 columns that turns a space into a line end (single
 * spaces only: not one of two after a sentence). */
static void wrap_spaces(const pk_buf *in, pk_buf *out, int single_only)
{
    pk_buf_reset(out);
    size_t col = 0;
    for (size_t i = 0; i < in->len; i++) {
        char ch = in->data[i];
        if (ch == '\n') col = 0;
        else if (ch == ' ' && col >= 20 && i + 1 < in->len && in->data[i + 1] != '\n' &&
                 !(single_only && (in->data[i + 1] == ' ' || in->data[i - 1] == ' ')))
            ch = '\n', col = 0;
        else col++;
        CHECK_EQ_I(pk_buf_putc(out, ch), 0);
    }
}

static void code_for(pk_mark_code *c, int who)
{
    uint8_t key[32], secret[32];
    for (int i = 0; i < 32; i++) key[i] = (uint8_t)(i * 7 + 1), secret[i] = (uint8_t)(who * 31 + i);
    pk_mark_code_init(c, key, secret, PK_MARK_CUTOFF);
}

static int point_known(const pk_mark_point *q, size_t nq, uint64_t ctx)
{
    for (size_t j = 0; j < nq; j++)
        if (q[j].ctx == ctx) return 1;
    return 0;
}

/* Read text as a leak; count points of the original that read back with
 * the code's bit (*ok) and with the other bit (*bad). */
static void read_back(const char *text, size_t n, const pk_mark_code *c, const pk_mark_point *q, size_t nq,
                      unsigned skip, int *ok, int *bad)
{
    pk_mark_point *p = NULL;
    size_t np = 0;
    *ok = *bad = 0;
    CHECK_EQ_I(pk_mark_points(text, n, PK_WORK_AUTO, &p, &np, NULL), 0);
    for (size_t i = 0; i < np; i++) {
        if (!point_known(q, nq, p[i].ctx) || (skip & (1u << p[i].channel))) continue;
        if (!(c->channels & (1u << p[i].channel))) continue; /* not in this copy: as the original */
        /* a spacing point where the copy has a line break instead */
        if (p[i].dep && point_known(q, nq, p[i].dep) && pk_mark_bit(c, p[i].dep)) continue;
        if (p[i].bit == pk_mark_bit(c, p[i].ctx)) (*ok)++;
        else (*bad)++;
    }
    free(p);
}

static void test_every_channel_found(void)
{
    pk_mark_point *q = NULL;
    size_t nq = 0;
    CHECK_EQ_I(pk_mark_points(script, sizeof script - 1, PK_WORK_FOUNTAIN, &q, &nq, NULL), 0);
    int seen[PK_MARK_NCHANNELS] = {0};
    for (size_t i = 0; i < nq; i++) seen[q[i].channel]++;
    for (int ch = PK_MARK_APOS; ch < PK_MARK_NCHANNELS; ch++) {
        if (ch == PK_MARK_NCONTRACT || ch == PK_MARK_PWRAP || ch == PK_MARK_THAT) /* prose only: test_prose_* */
            continue;
        if (ch == PK_MARK_ADVERB || ch == PK_MARK_SPELL2 || ch == PK_MARK_CONTRACT2) continue; /* test_prose_wording */
        if (!seen[ch]) fprintf(stderr, "no %s point\n", pk_mark_channel_name(ch));
        CHECK(seen[ch] > 0);
    }
    /* dialogue keeps its contractions: "don't" in June's line is an
     * apostrophe point, never a contraction point */
    const char *dont = strstr(script, "don't");
    for (size_t i = 0; i < nq; i++)
        if (q[i].start >= (size_t)(dont - script) && q[i].start < (size_t)(dont - script) + 5)
            CHECK_EQ_I(q[i].channel, PK_MARK_APOS);
    /* nothing on the title page, headings or cues */
    for (size_t i = 0; i < nq; i++) CHECK(q[i].start > (size_t)(strstr(script, "Rain") - script));
    free(q);
}

static void test_apply_reads_back(void)
{
    pk_mark_point *q = NULL;
    size_t nq = 0;
    pk_buf out;
    pk_buf_init(&out, 0);
    CHECK_EQ_I(pk_mark_points(script, sizeof script - 1, PK_WORK_FOUNTAIN, &q, &nq, NULL), 0);
    for (int who = 0; who < 20; who++) {
        pk_mark_code c;
        code_for(&c, who);
        size_t used = 0;
        CHECK_EQ_I(pk_mark_apply(script, sizeof script - 1, PK_WORK_FOUNTAIN, &c, &out, &used, NULL), 0);
        CHECK(used > 20);
        /* the names in the marked copy are the original's, each with the
         * code's bit (a contracted "it's" is no longer a point of the
         * copy as a work: "it's" may be "it has") */
        pk_mark_point *p = NULL;
        size_t np = 0, known = 0;
        CHECK_EQ_I(pk_mark_points(out.data, out.len, PK_WORK_FOUNTAIN, &p, &np, NULL), 0);
        /* (wrap points are the spaces of the copy read as a work: its
         * layout is read as a leak's, by read_back) */
        for (size_t i = 0; i < np; i++) {
            if (!point_known(q, nq, p[i].ctx) || p[i].channel == PK_MARK_WRAP) continue;
            known++;
            if (c.channels & (1u << p[i].channel)) CHECK_EQ_I(p[i].bit, pk_mark_bit(&c, p[i].ctx));
        }
        size_t broken = 0, wraps = 0, dropped = 0; /* line breaks, and the spacing they replaced: a work's own breaks are no points */
        for (size_t i = 0; i < nq; i++) {
            broken += (q[i].dep && pk_mark_bit(&c, q[i].dep)) || (q[i].channel == PK_MARK_BREAK && pk_mark_bit(&c, q[i].ctx));
            wraps += q[i].channel == PK_MARK_WRAP;
            /* a comma that is a point only where a work has it, dropped */
            dropped += (q[i].channel == PK_MARK_SUBCLAUSE || q[i].channel == PK_MARK_CONJ) && !pk_mark_bit(&c, q[i].ctx);
        }
        /* and few are lost: read as a work, a copy's file has no point
         * where it took the form a work's file never offers (a comma
         * dropped where only a present one is a point, "it's" for "it
         * is"), or where its layout broke the line */
        CHECK(known + 8 + dropped + broken + wraps >= nq);
        free(p);
        int ok, bad;
        read_back(out.data, out.len, &c, q, nq, 0, &ok, &bad);
        CHECK_EQ_I(bad, 0);
        CHECK(ok >= (int)used - 2);
        /* picket's fingerprints do not see the mark: same words */
        pk_work_fp a, b;
        pk_params pp;
        pk_params_default(&pp);
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        CHECK_EQ_I(pk_fingerprint_text(script, sizeof script - 1, 0, &pp, &a, NULL), 0);
        CHECK_EQ_I(pk_fingerprint_text(out.data, out.len, 0, &pp, &b, NULL), 0);
        /* contractions change the token count; everything else is equal */
        CHECK(b.ntok + 12 >= a.ntok && b.ntok <= a.ntok + 12);
        pk_work_fp_free(&a);
        pk_work_fp_free(&b);
    }
    free(q);
    pk_buf_free(&out);
}

static void test_keyed_and_deterministic(void)
{
    pk_buf a, b, c2;
    pk_buf_init(&a, 0);
    pk_buf_init(&b, 0);
    pk_buf_init(&c2, 0);
    pk_mark_code c, d;
    code_for(&c, 1);
    code_for(&d, 2);
    CHECK_EQ_I(pk_mark_apply(script, sizeof script - 1, PK_WORK_FOUNTAIN, &c, &a, NULL, NULL), 0);
    CHECK_EQ_I(pk_mark_apply(script, sizeof script - 1, PK_WORK_FOUNTAIN, &c, &b, NULL, NULL), 0);
    CHECK_EQ_I(pk_mark_apply(script, sizeof script - 1, PK_WORK_FOUNTAIN, &d, &c2, NULL, NULL), 0);
    CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    CHECK(a.len != c2.len || memcmp(a.data, c2.data, a.len) != 0);
    /* the biases are the registry key's, the same for every recipient */
    CHECK(pk_mark_bias(&c, 12345) == pk_mark_bias(&d, 12345));
    CHECK(pk_mark_bias(&c, 99) == 0.5); /* flat, the default */
    /* Tardos biases (mark --tardos, older registries): within [0.2, 0.8]
     * and spread over it */
    pk_mark_code tc = c;
    tc.cutoff = PK_MARK_CUTOFF_TARDOS;
    double lo = 1, hi = 0;
    for (uint64_t x = 0; x < 1000; x++) {
        double p = pk_mark_bias(&tc, x);
        lo = p < lo ? p : lo, hi = p > hi ? p : hi;
    }
    CHECK(lo >= PK_MARK_CUTOFF_TARDOS - 1e-12 && hi <= 1 - PK_MARK_CUTOFF_TARDOS + 1e-12);
    CHECK(lo < 0.25 && hi > 0.75);
    /* bits follow the bias: about p of them are 1 */
    int ones = 0;
    for (uint64_t x = 0; x < 20000; x++) ones += pk_mark_bit(&c, x);
    CHECK(ones > 9000 && ones < 11000);
    pk_buf_free(&a);
    pk_buf_free(&b);
    pk_buf_free(&c2);
}

/* Re-wrap to width w at spaces, as fmt does. */
static void rewrap(const char *s, size_t n, size_t w, pk_buf *out)
{
    pk_buf_reset(out);
    size_t col = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] == '\n' && i + 1 < n && s[i + 1] == '\n') { pk_buf_append(out, "\n\n", 2); col = 0; i += 2; continue; }
        if (s[i] == ' ' || s[i] == '\n') {
            size_t j = i + 1;
            while (j < n && s[j] != ' ' && s[j] != '\n') j++;
            if (col + (j - i) > w) { pk_buf_putc(out, '\n'); col = 0; }
            else { pk_buf_putc(out, ' '); col++; }
            i++;
            continue;
        }
        pk_buf_putc(out, s[i]);
        col++;
        i++;
    }
}

static void test_excerpt_and_rewrap(void)
{
    pk_mark_point *q = NULL;
    size_t nq = 0;
    pk_buf out, w;
    pk_buf_init(&out, 0);
    pk_buf_init(&w, 0);
    pk_mark_code c;
    code_for(&c, 7);
    CHECK_EQ_I(pk_mark_points(script, sizeof script - 1, PK_WORK_FOUNTAIN, &q, &nq, NULL), 0);
    CHECK_EQ_I(pk_mark_apply(script, sizeof script - 1, PK_WORK_FOUNTAIN, &c, &out, NULL, NULL), 0);
    int ok, bad;
    /* an excerpt from the middle of a line to the middle of another */
    const char *a = strstr(out.data, "hammers"), *b = strstr(out.data, "Afterward");
    CHECK(a && b);
    read_back(a, (size_t)(b - a), &c, q, nq, 0, &ok, &bad);
    CHECK_EQ_I(bad, 0);
    CHECK(ok >= 15);
    /* re-wrapped to 30 columns: the line breaks are joined and the
     * sentence-space channel may die (trace then drops them); the others
     * all read back */
    rewrap(out.data, out.len, 30, &w);
    read_back(w.data, w.len, &c, q, nq, (1u << PK_MARK_BREAK) | (1u << PK_MARK_WRAP), &ok, &bad);
    CHECK(ok >= 20);
    CHECK(bad <= 2);
    free(q);
    pk_buf_free(&out);
    pk_buf_free(&w);
}

/* The Chernoff bound is valid: over many innocent codewords, the fraction
 * with bound <= a is at most a; and nobody innocent reaches 1e-6 / N.  For
 * flat codes (new registries) and Tardos biases cut at 0.2 (older ones). */
static void innocent_never_accused(double cutoff)
{
    enum { L = 60, TRIALS = 20000 };
    double p[L];
    uint8_t y[L], x[L];
    uint64_t seed = 42;
    int under_01 = 0, accused = 0;
    for (int t = 0; t < TRIALS; t++) {
        if (t % 100 == 0) /* a fresh leak: biases and the leaked bits */
            for (int i = 0; i < L; i++) {
                double r = (double)(t_rand(&seed) >> 11) / 9007199254740992.0;
                double lo = asin(sqrt(cutoff)), s = sin(lo + (M_PI / 2 - 2 * lo) * r);
                p[i] = s * s;
                y[i] = (uint8_t)(t_rand(&seed) & 1);
            }
        for (int i = 0; i < L; i++) x[i] = (double)(t_rand(&seed) >> 11) / 9007199254740992.0 < p[i];
        double sc = pk_mark_score(p, y, x, L), b = pk_mark_tail(p, y, L, sc);
        under_01 += b <= 0.01;
        accused += b * 1000 <= PK_MARK_ALPHA;
    }
    CHECK(under_01 <= TRIALS / 100);
    CHECK_EQ_I(accused, 0);
    /* and the guilty one, who leaked y itself, is named */
    double sc = pk_mark_score(p, y, y, L);
    CHECK(pk_mark_tail(p, y, L, sc) * 1000 <= PK_MARK_ALPHA);
    /* perfect agreement on few points is not enough */
    CHECK(pk_mark_tail(p, y, 10, pk_mark_score(p, y, y, 10)) > 1e-4);
}

static void test_innocent_never_accused(void)
{
    innocent_never_accused(0.2);
    innocent_never_accused(PK_MARK_CUTOFF);
    /* flat: all 30 points agreeing is 2^-30, enough among 1,000 */
    double p[30];
    uint8_t y[30];
    for (int i = 0; i < 30; i++) p[i] = 0.5, y[i] = (uint8_t)(i % 3 == 0);
    double b = pk_mark_tail(p, y, 30, pk_mark_score(p, y, y, 30));
    CHECK(b <= 1.0 / (1u << 30) * 1.01 && b * 1000 <= PK_MARK_ALPHA);
}

/* A leak whose only readings are its lines (wrap points, no sentence-end
 * break read) keeps a copy's layout: its wrap points are scored, not
 * skipped as a re-wrap's (they were, before session 7). */
static void test_wrap_alone_names(void)
{
    enum { N = 100, L = 40 };
    pk_mark_code codes[N];
    for (int j = 0; j < N; j++) code_for(&codes[j], j);
    pk_mark_point pts[L];
    memset(pts, 0, sizeof pts);
    for (size_t i = 0; i < L; i++) {
        pts[i].ctx = (uint64_t)0x9e3779b97f4a7c15u * (i + 1);
        pts[i].channel = PK_MARK_WRAP;
        pts[i].bit = (uint8_t)pk_mark_bit(&codes[3], pts[i].ctx);
    }
    pk_mark_verdict v;
    pk_error e;
    CHECK_EQ_I(pk_mark_judge(pts, L, NULL, 0, codes, N, 0, &v, &e), 0);
    CHECK_EQ_U(v.used, L);
    CHECK(v.accused);
    CHECK_EQ_U(v.who[0], 3);
    CHECK_EQ_U(v.candidates, N); /* one reading of the lines: not scored twice */
}

/* pdftotext often runs action on after dialogue with no blank line: a
 * line wider than a dialogue column is action, read at action widths.
 * Read at dialogue widths (before session 7), the early breaks below
 * looked like a re-wrap's room and nothing was read. */
static void test_pdf_action_after_dialogue(void)
{
    static const char leak[] = "MARGARET\n"
                               "I told him twice already and he\n"
                               "still would not listen to a word.\n"
                               "The harbour lights blink out one by one along the quay as\n"
                               "passengers watch the ferry slide past the\n"
                               "breakwater silently, and the gulls settle on the old shed\n"
                               "where the rusty crane that nobody has moved in\n"
                               "years swings its hook over the black water of the harbour\n"
                               "while the fishing boats tie up at dawn beside\n"
                               "everything that once belonged to the cannery and its men.\n";
    pk_mark_point *p = NULL;
    size_t np = 0, wraps = 0, early = 0;
    CHECK_EQ_I(pk_mark_points(leak, sizeof leak - 1, PK_WORK_AUTO, &p, &np, NULL), 0);
    for (size_t i = 0; i < np; i++) {
        if (p[i].channel != PK_MARK_WRAP) continue;
        wraps++;
        /* each short line ended a word early: 1 at the next line's word */
        if (!strncmp(leak + p[i].start, "breakwater", 10) || !strncmp(leak + p[i].start, "years", 5) ||
            !strncmp(leak + p[i].start, "everything", 10))
        {
            CHECK_EQ_I(p[i].bit, 1);
            early++;
        }
    }
    CHECK(wraps >= 6);
    CHECK_EQ_U(early, 3);
    free(p);
}

static void test_registry_mark_and_trace(void)
{
    char db[512];
    tmp_db(db, sizeof db, "mark");
    pk_registry *r = NULL;
    pk_error e;
    CHECK_EQ_I(pk_registry_open(&r, db, PK_REG_CREATE, NULL, &e), 0);
    /* a longer work: the script four times over, each copy varied */
    pk_buf work, out, leak;
    pk_buf_init(&work, 0);
    pk_buf_init(&out, 0);
    pk_buf_init(&leak, 0);
    static const char *names[] = {"Ann", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hal"};
    pk_buf_append(&work, script, sizeof script - 1);
    for (int k = 0; k < 6; k++)
        pk_buf_printf(&work, "\nINT. HALL %d - DAY\n\n%s is not here. Then %s doesn't wait; she is leaving toward the "
                      "car -- and someone's dog follows... It is late.  Nobody's home.\n\nMAYA\nIt's %d o'clock, "
                      "isn't it? We're done -- I'm sure.\n",
                      k, names[k], names[k + 1], k + 2);
    pk_mark_result res;
    for (int i = 0; i < 8; i++) { /* --tardos on the first mark only: it fixes the registry's code */
        CHECK_EQ_I(pk_mark_work(r, "lamp.fountain", work.data, work.len, PK_WORK_AUTO, names[i], i ? 0 : PK_MARK_TARDOS,
                                &out, &res, &e), 0);
        CHECK(res.cutoff == PK_MARK_CUTOFF_TARDOS);
    }
    CHECK_EQ_I(res.existed, 0);
    CHECK(res.points > 40);
    pk_buf keep;
    pk_buf_init(&keep, 0);
    CHECK_EQ_I(pk_mark_work(r, "lamp.fountain", work.data, work.len, PK_WORK_AUTO, "Cleo", 0, &keep, &res, &e), 0);
    CHECK_EQ_I(res.existed, 1);
    pk_trace_result tr;
    CHECK_EQ_I(pk_trace_text(r, keep.data, keep.len, NULL, 0, &tr, &e), 0);
    CHECK_EQ_U(tr.recipients, 8);
    CHECK(tr.accused);
    CHECK_STR(tr.suspects[0].recipient, "Cleo");
    /* the unmarked original: nobody */
    CHECK_EQ_I(pk_trace_text(r, work.data, work.len, NULL, 0, &tr, &e), 0);
    CHECK(!tr.accused);
    /* unrelated text: no work */
    CHECK_EQ_I(pk_trace_text(r, "Nothing to see here.", 20, NULL, 0, &tr, &e), 0);
    CHECK(!tr.accused);
    CHECK_EQ_U(tr.recipients, 0);
    /* no recipient, or an unmarkable format */
    CHECK_EQ_I(pk_mark_work(r, "lamp.fountain", work.data, work.len, PK_WORK_AUTO, "", 0, &out, &res, &e), PK_EINVAL);
    CHECK_EQ_I(pk_mark_work(r, "x.pdf", work.data, work.len, PK_WORK_PDF, "Ann", 0, &out, &res, &e), PK_EINVAL);
    pk_registry_close(r);
    pk_buf_free(&work);
    pk_buf_free(&out);
    pk_buf_free(&leak);
    pk_buf_free(&keep);
    remove(db);
}

static void test_markup_untouched(void)
{
    static const char html[] = "<html><head><title>Don't</title></head><body><p class=\"it's\">It's a test -- "
                               "really... Then she said okay.</p><script>var a = 'b'--;</script></body></html>";
    pk_mark_point *q = NULL;
    size_t nq = 0;
    CHECK_EQ_I(pk_mark_points(html, sizeof html - 1, PK_WORK_HTML, &q, &nq, NULL), 0);
    const char *body = strstr(html, "It's"), *end = strstr(html, "</p>");
    CHECK(nq >= 4);
    for (size_t i = 0; i < nq; i++) CHECK(q[i].start >= (size_t)(body - html) && q[i].end <= (size_t)(end - html));
    free(q);
    static const char fdx[] = "<?xml version=\"1.0\"?><FinalDraft><Content>"
                              "<Paragraph Type=\"Scene Heading\"><Text>INT. IT'S - DAY</Text></Paragraph>"
                              "<Paragraph Type=\"Action\"><Text>She does not know it's over.</Text></Paragraph>"
                              "<Paragraph Type=\"Character\"><Text>BO</Text></Paragraph>"
                              "<Paragraph Type=\"Dialogue\"><Text>I do not know.</Text></Paragraph>"
                              "</Content></FinalDraft>";
    CHECK_EQ_I(pk_mark_points(fdx, sizeof fdx - 1, PK_WORK_FDX, &q, &nq, NULL), 0);
    int contract = 0;
    for (size_t i = 0; i < nq; i++) {
        CHECK(q[i].start > (size_t)(strstr(fdx, "She") - fdx));
        if (q[i].channel == PK_MARK_CONTRACT) {
            contract++;
            CHECK(q[i].start < (size_t)(strstr(fdx, "BO<") - fdx)); /* action, not dialogue */
        }
    }
    CHECK_EQ_I(contract, 1);
    free(q);
}

/* "OK" becomes "okay" mid-sentence and "Okay" opening one, never "OKAY";
 * "Does not" keeps its capital as "Doesn't". */
static void test_capitals_kept(void)
{
    static const char text[] = "INT. A - DAY\n\nHe nods, OK then. OK. Does not matter.\n";
    pk_buf out;
    pk_buf_init(&out, 0);
    int seen_lower = 0, seen_upper = 0, seen_contract = 0;
    for (int who = 0; who < 40; who++) {
        pk_mark_code c;
        code_for(&c, who);
        CHECK_EQ_I(pk_mark_apply(text, sizeof text - 1, PK_WORK_FOUNTAIN, &c, &out, NULL, NULL), 0);
        CHECK(strstr(out.data, "OKAY") == NULL);
        seen_lower += strstr(out.data, "nods, okay then") != NULL;
        seen_upper += strstr(out.data, "then. Okay.") != NULL;
        seen_contract += strstr(out.data, "Doesn't matter") != NULL;
        CHECK(strstr(out.data, "Does not matter") || strstr(out.data, "Doesn't matter"));
    }
    CHECK(seen_lower > 0 && seen_upper > 0 && seen_contract > 0);
    pk_buf_free(&out);
}

static int cmp_ctx(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Lay text out as a screenplay renderer does: lines kept, each wrapped
 * greedily at w characters (ASCII here). */
static void render_lines(const char *s, size_t n, size_t w, pk_buf *out)
{
    pk_buf_reset(out);
    size_t col = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] == '\n') { pk_buf_putc(out, '\n'); col = 0; i++; continue; }
        if (s[i] == ' ') {
            size_t j = i;
            while (j < n && s[j] == ' ') j++;
            size_t k = j;
            while (k < n && s[k] != ' ' && s[k] != '\n') k++;
            if (col > 0 && col + 1 + (k - j) > w) { pk_buf_putc(out, '\n'); col = 0; }
            else if (col > 0) { pk_buf_putc(out, ' '); col++; }
            i = j;
            continue;
        }
        pk_buf_putc(out, s[i]);
        col++;
        i++;
    }
}

/* A copy's line breaks between sentences read back from its rendered
 * lines (as from a PDF: spaces collapsed, lines wrapped at 60), and read
 * as absent everywhere once the lines are joined. */
static void test_breaks_survive_rendering(void)
{
    pk_mark_point *q = NULL, *p = NULL;
    size_t nq = 0, np = 0;
    pk_buf out, lay, w;
    pk_buf_init(&out, 0);
    pk_buf_init(&lay, 0);
    pk_buf_init(&w, 0);
    CHECK_EQ_I(pk_mark_points(script, sizeof script - 1, PK_WORK_FOUNTAIN, &q, &nq, NULL), 0);
    int breaks = 0, total_ok = 0;
    for (int who = 0; who < 10; who++) {
        pk_mark_code c;
        code_for(&c, who);
        CHECK_EQ_I(pk_mark_apply(script, sizeof script - 1, PK_WORK_FOUNTAIN, &c, &out, NULL, NULL), 0);
        render_lines(out.data, out.len, 60, &lay);
        CHECK_EQ_I(pk_mark_points(lay.data, lay.len, PK_WORK_AUTO, &p, &np, NULL), 0);
        int ok = 0, bad = 0, ones = 0;
        for (size_t i = 0; i < np; i++)
            if (p[i].channel == PK_MARK_BREAK && point_known(q, nq, p[i].ctx)) {
                if (p[i].bit == pk_mark_bit(&c, p[i].ctx)) ok++; else bad++;
                ones += p[i].bit;
            }
        free(p);
        CHECK_EQ_I(bad, 0);
        CHECK(ok >= 8);
        CHECK(ones > 0 && ones < ok);
        breaks += ones, total_ok += ok;
        /* joined into one line a paragraph (a re-wrap): no break read */
        rewrap(out.data, out.len, 1000, &w);
        CHECK_EQ_I(pk_mark_points(w.data, w.len, PK_WORK_AUTO, &p, &np, NULL), 0);
        for (size_t i = 0; i < np; i++)
            if (p[i].channel == PK_MARK_BREAK) CHECK_EQ_I(p[i].bit, 0);
        /* trace then scores every recipient twice (a joined break read as
         * one space, as this re-wrap makes it, and as two): the leaker
         * agrees on every point, spacing where its breaks were included */
        pk_mark_code codes[10];
        for (int k = 0; k < 10; k++) code_for(&codes[k], k);
        pk_mark_verdict v;
        uint64_t known[512];
        size_t nknown = nq < 512 ? nq : 512;
        for (size_t i = 0; i < nknown; i++) known[i] = q[i].ctx;
        qsort(known, nknown, sizeof *known, cmp_ctx);
        CHECK_EQ_I(pk_mark_judge(p, np, known, nknown, codes, 10, 0, &v, NULL), 0);
        CHECK_EQ_U(v.candidates, 20);
        CHECK_EQ_U(v.who[0], (size_t)who);
        CHECK_EQ_U(v.matches[0], v.points[0]);
        CHECK_EQ_U(v.points[0], v.used);
        free(p);
        /* the rendered lines: breaks visible, one candidate a recipient */
        CHECK_EQ_I(pk_mark_points(lay.data, lay.len, PK_WORK_AUTO, &p, &np, NULL), 0);
        pk_mark_point *p2 = malloc(np * sizeof *p2);
        memcpy(p2, p, np * sizeof *p2);
        size_t np2 = np;
        CHECK_EQ_I(pk_mark_judge(p, np, known, nknown, codes, 10, 0, &v, NULL), 0);
        CHECK_EQ_U(v.candidates, 10);
        CHECK_EQ_U(v.who[0], (size_t)who);
        CHECK_EQ_U(v.matches[0], v.points[0]);
        free(p);
        /* 200 recipients who did not leak it: nobody named, and nobody
         * even close (fixed keys, so this is deterministic) */
        pk_mark_code *inn = malloc(200 * sizeof *inn);
        for (int k = 0; k < 200; k++) { /* secrets unlike code_for's (which has 256 only) */
            uint8_t key[32], sec[32];
            for (int i = 0; i < 32; i++) key[i] = (uint8_t)(i * 7 + 1), sec[i] = 0xA5;
            sec[0] = (uint8_t)k, sec[1] = (uint8_t)(k >> 8);
            pk_mark_code_init(&inn[k], key, sec, PK_MARK_CUTOFF);
        }
        CHECK_EQ_I(pk_mark_judge(p2, np2, known, nknown, inn, 200, 0, &v, NULL), 0);
        CHECK(!v.accused);
        CHECK(v.bound[0] > 1e-3);
        free(inn);
        free(p2);
    }
    CHECK(breaks > total_ok / 5 && breaks < total_ok * 4 / 5);
    free(q);
    pk_buf_free(&out);
    pk_buf_free(&lay);
    pk_buf_free(&w);
}

/* --dense: line breaks after commas too, read back from rendered lines;
 * a default copy has none. */
static void test_dense_comma_breaks(void)
{
    static const char scene[] =
        "EXT. QUAY - DAWN\n"
        "\n"
        "The harbour wakes slowly, gulls circling the masts, ropes creaking against the bollards, "
        "nets drying on the rails of the sheds. A fisherman with a red cap checks his lines, coils "
        "them neatly, stacks the crates by the ramp.\n"
        "\n"
        "MARTA\n"
        "We sail at six, whatever the forecast says, whatever my brother thinks of the swell.\n";
    pk_mark_point *q = NULL, *p = NULL;
    size_t nq = 0, np = 0;
    pk_buf out, lay;
    pk_buf_init(&out, 0);
    pk_buf_init(&lay, 0);
    CHECK_EQ_I(pk_mark_points(scene, sizeof scene - 1, PK_WORK_FOUNTAIN, &q, &nq, NULL), 0);
    int cb = 0;
    for (size_t i = 0; i < nq; i++) cb += q[i].channel == PK_MARK_CBREAK;
    CHECK_EQ_I(cb, 6); /* "slowly," "masts," "bollards," "lines," "neatly," "says,"; not "We sail at six," (a short opening) */
    int ones = 0;
    for (int who = 0; who < 10; who++) {
        pk_mark_code c;
        code_for(&c, who);
        /* without comma breaks or line wrapping (which may end a line at a
         * comma where pages differ): no line ends at a comma */
        c.channels = PK_MARK_CHANNELS_V2;
        CHECK_EQ_I(pk_mark_apply(scene, sizeof scene - 1, PK_WORK_FOUNTAIN, &c, &out, NULL, NULL), 0);
        CHECK(strstr(out.data, ",\n") == NULL);
        c.channels = PK_MARK_CHANNELS_DENSE;
        CHECK_EQ_I(pk_mark_apply(scene, sizeof scene - 1, PK_WORK_FOUNTAIN, &c, &out, NULL, NULL), 0);
        render_lines(out.data, out.len, 60, &lay);
        CHECK_EQ_I(pk_mark_points(lay.data, lay.len, PK_WORK_AUTO, &p, &np, NULL), 0);
        int ok = 0, bad = 0;
        for (size_t i = 0; i < np; i++)
            if (p[i].channel == PK_MARK_CBREAK && point_known(q, nq, p[i].ctx)) {
                if (p[i].bit == pk_mark_bit(&c, p[i].ctx)) ok++; else bad++;
                ones += p[i].bit;
            }
        free(p);
        CHECK_EQ_I(bad, 0);
        CHECK(ok >= 3); /* a comma at a wrap is not read */
    }
    CHECK(ones > 10);
    free(q);
    pk_buf_free(&out);
    pk_buf_free(&lay);
}

/* Optional commas: removed only where the original has them; never added
 * where a comma would be wrong. */
static void test_optional_commas(void)
{
    static const char text[] =
        "At the far end of the pier, the boat waits. Later, Vera and Ossie leave. She packs a kettle, a tin "
        "mug, and a rope. He calls, and she comes. He calls but she stays. Nothing but he could do it. "
        "In fact, he left. Behind the door, he waits. Outside the house, rain falls. When the tide turned, they "
        "rowed out. If he calls she stays. Although it rained all through the long night, they sang. Vera rowed "
        "across the bay, and the gulls followed. His brother, John, and the dog ran. It was late, so late. "
        "He, and the boy alone, knew. When he called, Mary came. When the old car, a red Ford, stopped, they "
        "got out. His old friend, Dr. Alan Smith, and the dog left. She locked the heavy door, so the children "
        "stayed. \"I stood by the old door for an hour, and the wind came in,\" she said.\n";
    pk_mark_point *q = NULL;
    size_t nq = 0;
    CHECK_EQ_I(pk_mark_points(text, sizeof text - 1, PK_WORK_TEXT, &q, &nq, NULL), 0);
    int n[PK_MARK_NCHANNELS] = {0};
    for (size_t i = 0; i < nq; i++) {
        n[q[i].channel]++;
        const char *at = text + q[i].start;
        switch (q[i].channel) {
        case PK_MARK_INTRO: /* "At the far end of the pier," is 6 words: too long; "Behind the door," */
            CHECK(strncmp(at - 8, "the door,", 9) == 0);
            break;
        case PK_MARK_SERIAL: CHECK(strncmp(at - 7, "tin mug,", 8) == 0); break;
        case PK_MARK_CLAUSE: /* ", and she" where it is; " but she" may take one; not after "Nothing" */
            CHECK(strncmp(at - 5, "calls, and", 10) == 0 || strncmp(at - 5, "calls but", 9) == 0);
            break;
        case PK_MARK_COMMA: /* "Later," and "In fact" is not an adverb of the list; "Outside the house" has none */
            CHECK(strncmp(at - 5, "Later,", 6) == 0);
            break;
        case PK_MARK_SUBCLAUSE: /* before a subject pronoun (not a name: "called Mary"; not an apposition's
                                   "a"); not where the work has none; not after 7 words */
            CHECK(strncmp(at - 6, "turned, they", 12) == 0);
            break;
        case PK_MARK_CONJ: /* not after another comma (an apposition, "Dr." no sentence end), not "so",
                              not after one word, not in quoted dialogue */
            CHECK(strncmp(at - 3, "bay, and the", 12) == 0);
            break;
        default: break;
        }
    }
    CHECK_EQ_I(n[PK_MARK_INTRO], 1);
    CHECK_EQ_I(n[PK_MARK_SERIAL], 1);
    CHECK_EQ_I(n[PK_MARK_CLAUSE], 2);
    CHECK_EQ_I(n[PK_MARK_COMMA], 1);
    CHECK_EQ_I(n[PK_MARK_SUBCLAUSE], 1);
    CHECK_EQ_I(n[PK_MARK_CONJ], 1);
    /* a leak reads both forms, under the same names */
    pk_mark_code c;
    code_for(&c, 3);
    pk_buf out;
    pk_buf_init(&out, 0);
    for (int who = 0; who < 8; who++) {
        code_for(&c, who);
        CHECK_EQ_I(pk_mark_apply(text, sizeof text - 1, PK_WORK_TEXT, &c, &out, NULL, NULL), 0);
        int ok, bad;
        read_back(out.data, out.len, &c, q, nq, 0, &ok, &bad);
        CHECK_EQ_I(bad, 0);
        CHECK(ok >= 3); /* a comma at a wrap is not read */
    }
    free(q);
    pk_buf_free(&out);
}

/* Prose: contractions only in narration, outside quotation marks and
 * never in a paragraph whose quotes do not pair up; spaces around a dash
 * where both sides agree.  Every copy reads back, re-wrapped too, and a
 * dash at a line end reads from its other side. */
static void test_prose_narration(void)
{
    static const char text[] =
        "Mara did not answer. \"I don't know,\" she said, \"and it is not my business.\" The ferry was not late "
        "-- it never was -- and the pier was empty.\n"
        "\n"
        "\"We cannot stay here. It is cold,\n"
        "\n"
        "Ossie could not hear her over the wind--the gulls had gone quiet.\n"
        "\n"
        "He said: 'it is not far.' She did not believe him.\n";
    pk_mark_point *q = NULL;
    size_t nq = 0;
    CHECK_EQ_I(pk_mark_points(text, sizeof text - 1, PK_WORK_TEXT, &q, &nq, NULL), 0);
    const char *second = strstr(text, "\"We"), *third = strstr(text, "Ossie"), *fourth = strstr(text, "He said");
    int nc = 0, nd = 0, closed = 0;
    for (size_t i = 0; i < nq; i++) {
        const char *at = text + q[i].start;
        CHECK(q[i].channel != PK_MARK_CONTRACT); /* a screenplay's channel */
        if (q[i].channel == PK_MARK_NCONTRACT) {
            nc++;
            /* "did not", "was not" of the first paragraph, "could not" of the third */
            CHECK(strncmp(at, "did not", 7) == 0 || strncmp(at, "was not", 7) == 0 ||
                  strncmp(at, "could not", 9) == 0);
            CHECK(at < second || (at > third && at < fourth)); /* not in the unpaired or single-quoted ones */
        }
        if (q[i].channel == PK_MARK_DSPACE) nd++, closed += q[i].bit;
    }
    CHECK_EQ_I(nc, 3);
    CHECK_EQ_I(nd, 6); /* three dashes, a point on each side */
    CHECK_EQ_I(closed, 2); /* "wind--the" */
    pk_mark_code c;
    pk_buf out, wrapped;
    pk_buf_init(&out, 0);
    pk_buf_init(&wrapped, 0);
    int forms[2] = {0, 0};
    for (int who = 0; who < 16; who++) {
        code_for(&c, who);
        CHECK_EQ_I(pk_mark_apply(text, sizeof text - 1, PK_WORK_TEXT, &c, &out, NULL, NULL), 0);
        /* (the words, whatever lines the layout made) */
        pk_buf_reset(&wrapped);
        for (size_t i = 0; i < out.len; i++) {
            char ch = out.data[i] == '\n' && i + 1 < out.len && out.data[i + 1] != '\n' && i > 0 &&
                              out.data[i - 1] != '\n' ? ' ' : out.data[i];
            if (!(ch == ' ' && wrapped.len && wrapped.data[wrapped.len - 1] == ' ')) CHECK_EQ_I(pk_buf_putc(&wrapped, ch), 0);
        }
        CHECK_EQ_I(pk_buf_putc(&wrapped, 0), 0);
        forms[strstr(wrapped.data, "didn't") != NULL]++;
        CHECK(strstr(wrapped.data, "I don") && strstr(wrapped.data, "it is not my business") &&
              strstr(wrapped.data, "It is cold") && strstr(wrapped.data, "'it is not far.'"));
        int ok, bad;
        read_back(out.data, out.len, &c, q, nq, 0, &ok, &bad);
        CHECK_EQ_I(bad, 0);
        CHECK(ok >= 6);
        /* re-wrapped at 20 columns: every space may be a line end */
        wrap_spaces(&out, &wrapped, 0);
        int ok2, bad2;
        read_back(wrapped.data, wrapped.len, &c, q, nq, 1u << PK_MARK_SPACE, &ok2, &bad2);
        CHECK_EQ_I(bad2, 0);
        CHECK(ok2 >= 4);
    }
    CHECK(forms[0] > 0 && forms[1] > 0);
    /* a leak's dash at a line end is read from its other side */
    static const char *const ends[] = {"The ferry was late --\nit never was.", "The ferry was late--\nit never was.",
                                       "The ferry was late\n-- it never was."};
    for (int k = 0; k < 3; k++) {
        pk_mark_point *r = NULL;
        size_t nr = 0, got = 0;
        CHECK_EQ_I(pk_mark_points(ends[k], strlen(ends[k]), PK_WORK_AUTO, &r, &nr, NULL), 0);
        for (size_t i = 0; i < nr; i++)
            if (r[i].channel == PK_MARK_DSPACE) {
                got++;
                CHECK_EQ_I(r[i].bit, k == 1);
            }
        CHECK_EQ_I(got, 1);
        free(r);
    }
    free(q);
    pk_buf_free(&out);
    pk_buf_free(&wrapped);
}

/* The wording channels of session 9: more opening adverbs, "that" after
 * a verb of saying or knowing, more spellings; each where it reads the
 * same, none where it would not; "that" renames no other point, so every
 * copy, and a re-wrap of it, reads back right. */
static void test_prose_wording(void)
{
    static const char text[] =
        "Perhaps the wind had changed. He knew that he would leave before the gray light came, and he thought she "
        "would stay. However he tried, the door stuck.\n"
        "\n"
        "\"Go,\" said he softly. \"I know that he is here,\" she said. She looked backward at the house, where "
        "Mr. Gray kept the till. Of course the house was empty, and she waited until the bell rang.\n"
        "\n"
        "Apparently they had heard that she was ill. She was sure he could find the road. Maybe the man said he.\n";
    pk_mark_point *q = NULL;
    size_t nq = 0;
    CHECK_EQ_I(pk_mark_points(text, sizeof text - 1, PK_WORK_TEXT, &q, &nq, NULL), 0);
    /* where each channel has a point, and its form in the work */
    static const struct { int ch; const char *at; int bit; } want[] = {
        {PK_MARK_ADVERB, " the wind", 0},   {PK_MARK_ADVERB, " the house was", 0}, {PK_MARK_ADVERB, " they had", 0},
        {PK_MARK_ADVERB, " the man", 0},    {PK_MARK_THAT, "that he would", 1},    {PK_MARK_THAT, "she would", 0},
        {PK_MARK_THAT, "that she was", 1},  {PK_MARK_THAT, "he could", 0},         {PK_MARK_SPELL2, "gray light", 0},
        {PK_MARK_SPELL2, "backward", 0},    {PK_MARK_SPELL2, "until the bell", 0},
    };
    int found[NELEM(want)] = {0}, others = 0;
    for (size_t i = 0; i < nq; i++) {
        int ch = q[i].channel, hit = 0;
        if (ch != PK_MARK_ADVERB && ch != PK_MARK_THAT && ch != PK_MARK_SPELL2) continue;
        for (size_t k = 0; k < NELEM(want); k++)
            if (want[k].ch == ch && q[i].start == (size_t)(strstr(text, want[k].at) - text)) {
                found[k]++, hit = 1;
                CHECK_EQ_I(q[i].bit, want[k].bit);
            }
        if (!hit) fprintf(stderr, "unexpected %s point at \"%.20s\"\n", pk_mark_channel_name(ch), text + q[i].start);
        others += !hit; /* not "However he", "said he softly", "I know that he", "Gray", "the till", "said he." */
    }
    for (size_t k = 0; k < NELEM(want); k++) CHECK_EQ_I(found[k], 1);
    CHECK_EQ_I(others, 0);

    /* "that" is no word of a point's name: "Perhaps the man knew (that) he"
     * names its adverb point the same either way */
    static const char *const pairs[][2] = {
        {"Perhaps the man knew that he was late.\n", "Perhaps the man knew he was late.\n"},
        {"Perhaps the man knew that he'd come home.\n", "Perhaps the man knew he'd come home.\n"},
        {"Perhaps she paused--that he was ill was plain.\n",
         "Perhaps she paused\xE2\x80\x94that he was ill was plain.\n"},
        {"Perhaps the man knew that he would come home.\n", "Perhaps the man knew that he'd come home.\n"},
    };
    for (size_t k = 0; k < NELEM(pairs); k++) {
        pk_mark_point *a = NULL, *b = NULL;
        size_t na = 0, nb = 0, nthat = 0;
        CHECK_EQ_I(pk_mark_points(pairs[k][0], strlen(pairs[k][0]), PK_WORK_TEXT, &a, &na, NULL), 0);
        CHECK_EQ_I(pk_mark_points(pairs[k][1], strlen(pairs[k][1]), PK_WORK_TEXT, &b, &nb, NULL), 0);
        if (k == 3) { /* different points ("he'd" is an apostrophe's), the adverb's name the same */
            uint64_t x = 0, y = 0;
            for (size_t i = 0; i < na; i++) x = a[i].channel == PK_MARK_ADVERB ? a[i].ctx : x;
            for (size_t i = 0; i < nb; i++) y = b[i].channel == PK_MARK_ADVERB ? b[i].ctx : y;
            CHECK(x != 0 && x == y);
            free(a), free(b);
            continue;
        }
        CHECK_EQ_U(na, nb);
        for (size_t i = 0; i < na && i < nb; i++) {
            CHECK_EQ_I(a[i].channel, b[i].channel);
            CHECK(a[i].ctx == b[i].ctx);
            if (a[i].channel == PK_MARK_THAT && k < 2) CHECK(a[i].bit == 1 && b[i].bit == 0 && b[i].start == b[i].end);
            nthat += a[i].channel == PK_MARK_THAT;
        }
        CHECK_EQ_U(nthat, k == 2 ? 0u : 1u);
        free(a);
        free(b);
    }
    /* none where "that" would be wrong, a leak reads "would not" as a contraction */
    static const char *const never[] = {"Everything he knew he had learned from her.\n",
                                        "While he thought we waited in the hall.\n"};
    for (size_t k = 0; k < NELEM(never); k++) {
        pk_mark_point *a = NULL;
        size_t na = 0;
        CHECK_EQ_I(pk_mark_points(never[k], strlen(never[k]), PK_WORK_TEXT, &a, &na, NULL), 0);
        for (size_t i = 0; i < na; i++) CHECK(a[i].channel != PK_MARK_THAT);
        free(a);
    }
    {
        static const char leak[] = "The old man said that he would not stay.\n";
        pk_mark_point *a = NULL;
        size_t na = 0, contr = 0;
        CHECK_EQ_I(pk_mark_points(leak, sizeof leak - 1, PK_WORK_AUTO, &a, &na, NULL), 0);
        for (size_t i = 0; i < na; i++) {
            CHECK(a[i].channel != PK_MARK_CONTRACT2);
            contr += a[i].channel == PK_MARK_NCONTRACT;
        }
        CHECK_EQ_U(contr, 1);
        free(a);
    }

    pk_mark_code c;
    pk_buf out, wrapped;
    pk_buf_init(&out, 0);
    pk_buf_init(&wrapped, 0);
    int forms[4] = {0, 0, 0, 0};
    for (int who = 0; who < 16; who++) {
        code_for(&c, who);
        CHECK_EQ_I(pk_mark_apply(text, sizeof text - 1, PK_WORK_TEXT, &c, &out, NULL, NULL), 0);
        CHECK_EQ_I(pk_buf_putc(&out, 0), 0);
        out.len--;
        forms[0] += strstr(out.data, "knew that he") != NULL;
        forms[1] += strstr(out.data, "thought that she") != NULL;
        forms[2] += strstr(out.data, "Perhaps, the") != NULL;
        forms[3] += strstr(out.data, "grey") != NULL;
        /* what must not change */
        CHECK(strstr(out.data, "However he tried") && strstr(out.data, "said he softly") &&
              strstr(out.data, "I know that he is here") && strstr(out.data, "Mr. Gray kept the till") &&
              strstr(out.data, "man said he."));
        int ok, bad;
        read_back(out.data, out.len, &c, q, nq, 0, &ok, &bad);
        CHECK_EQ_I(bad, 0);
        CHECK(ok >= 11);
        /* re-wrapped at 20 columns: "knew\nthat he", "knew\nhe" */
        wrap_spaces(&out, &wrapped, 1);
        int ok2, bad2;
        read_back(wrapped.data, wrapped.len, &c, q, nq, 1u << PK_MARK_SPACE, &ok2, &bad2);
        CHECK_EQ_I(bad2, 0);
        CHECK(ok2 >= 9);
    }
    for (int k = 0; k < 4; k++) CHECK(forms[k] > 0 && forms[k] < 16);

    /* more contractions: a full form before a lowercase word but "not",
     * "mustn't" both ways; an adverb's comma before a name, and before any
     * word where the work has it */
    static const char more[] = "He would go home. He would not stay. He mustn't wait, and she will try it.\n"
                               "\n"
                               "Someday God would choose him. Probably, as always, the bell rang.\n";
    pk_mark_point *m = NULL;
    size_t nm = 0;
    CHECK_EQ_I(pk_mark_points(more, sizeof more - 1, PK_WORK_TEXT, &m, &nm, NULL), 0);
    int c2 = 0, adv = 0;
    for (size_t i = 0; i < nm; i++) {
        const char *at = more + m[i].start;
        if (m[i].channel == PK_MARK_CONTRACT2) {
            c2++;
            CHECK(strncmp(at, "He would go", 11) == 0 || strncmp(at, "mustn't", 7) == 0 ||
                  strncmp(at, "she will", 8) == 0);
        }
        if (m[i].channel == PK_MARK_ADVERB) adv++;
    }
    CHECK_EQ_I(c2, 3);
    CHECK_EQ_I(adv, 2);
    int seen2[2] = {0, 0};
    for (int who = 0; who < 16; who++) {
        code_for(&c, who);
        CHECK_EQ_I(pk_mark_apply(more, sizeof more - 1, PK_WORK_TEXT, &c, &out, NULL, NULL), 0);
        CHECK_EQ_I(pk_buf_putc(&out, 0), 0);
        out.len--;
        seen2[strstr(out.data, "He'd go") != NULL]++;
        CHECK(strstr(out.data, "He'd not") == NULL && strstr(out.data, "He'd n't") == NULL);
        int ok, bad;
        read_back(out.data, out.len, &c, m, nm, 0, &ok, &bad);
        CHECK_EQ_I(bad, 0);
        CHECK(ok >= 5);
    }
    CHECK(seen2[0] > 0 && seen2[1] > 0);
    /* a copy made before these channels: none of them, the contractions as before */
    int wouldnt = 0;
    for (int who = 0; who < 16; who++) {
        code_for(&c, who);
        c.channels = PK_MARK_CHANNELS_V4;
        CHECK_EQ_I(pk_mark_apply(more, sizeof more - 1, PK_WORK_TEXT, &c, &out, NULL, NULL), 0);
        CHECK_EQ_I(pk_buf_putc(&out, 0), 0);
        out.len--;
        CHECK(strstr(out.data, "He would go") && strstr(out.data, "mustn") && strstr(out.data, "she will try") &&
              strstr(out.data, "Someday God") && strstr(out.data, "Probably, as"));
        wouldnt += strstr(out.data, "wouldn't") != NULL;
    }
    CHECK(wouldnt > 0 && wouldnt < 16);
    free(m);

    /* screenplay action has the adverbs and the spellings, not "that" */
    static const char scene[] = "INT. HALL - NIGHT\n\nPerhaps the gray cat knew that he was there.\n";
    pk_mark_point *r = NULL;
    size_t nr = 0;
    int seen[PK_MARK_NCHANNELS] = {0};
    CHECK_EQ_I(pk_mark_points(scene, sizeof scene - 1, PK_WORK_FOUNTAIN, &r, &nr, NULL), 0);
    for (size_t i = 0; i < nr; i++) seen[r[i].channel]++;
    CHECK(seen[PK_MARK_ADVERB] == 1 && seen[PK_MARK_SPELL2] == 1 && seen[PK_MARK_THAT] == 0);
    free(r);
    free(q);
    pk_buf_free(&out);
    pk_buf_free(&wrapped);
}

/* out: sample/works/NAME (NAME "" for the directory), found from this
 * file's place in the tree. */
static void sample_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s", __FILE__);
    char *slash = strrchr(out, '/');
    const size_t at = slash ? (size_t)(slash - out) : 0;
    snprintf(out + at, cap - at, "%s../../sample/works%s%s", slash ? "/" : "", *name ? "/" : "", name);
}

/* Prose written a paragraph a line is laid out in lines of 58 to 61
 * columns in a dense copy (not in a default one), hard-wrapped paragraphs
 * keep their lines, and a printed copy's text (one space after each
 * sentence, as text extraction gives it) reads every wrap back right; a
 * re-wrap reads none. */
static void test_prose_lines(void)
{
    char path[1200];
    sample_path(path, sizeof path, "salt-and-static.txt");
    /* a paragraph its writer wrapped at 70 columns: its lines are kept */
    static const char verse[] = "\n\nThe tide goes out along the sand and leaves the nets to dry in the\n"
                                "wind while the gulls come down to walk the wet and shining flats alone\n";
    pk_buf work, out, pdf;
    pk_buf_init(&work, 0);
    pk_buf_init(&out, 0);
    pk_buf_init(&pdf, 0);
    pk_error e;
    CHECK_EQ_I(pk_source_slurp(path, &work, 1 << 22, &e), 0);
    CHECK_EQ_I(pk_buf_append(&work, verse, sizeof verse - 1), 0);
    pk_mark_point *q = NULL, *p = NULL;
    size_t nq = 0, np = 0, wraps = 0;
    CHECK_EQ_I(pk_mark_points(work.data, work.len, PK_WORK_TEXT, &q, &nq, NULL), 0);
    for (size_t i = 0; i < nq; i++) {
        wraps += q[i].channel == PK_MARK_PWRAP;
        CHECK(q[i].channel != PK_MARK_WRAP);
    }
    CHECK(wraps > 300);
    for (int who = 0; who < 5; who++) {
        pk_mark_code c;
        code_for(&c, who);
        /* a default copy keeps the paragraphs' lines */
        CHECK_EQ_I(pk_mark_apply(work.data, work.len, PK_WORK_TEXT, &c, &out, NULL, NULL), 0);
        size_t nl = 0;
        for (size_t i = 0; i < out.len; i++) nl += out.data[i] == '\n';
        for (size_t i = 0; i < work.len; i++) nl -= work.data[i] == '\n';
        CHECK_EQ_I(nl, 0);
        c.channels = PK_MARK_CHANNELS_DENSE;
        CHECK_EQ_I(pk_mark_apply(work.data, work.len, PK_WORK_TEXT, &c, &out, NULL, NULL), 0);
        CHECK(memmem(out.data, out.len, verse, sizeof verse - 1) != NULL); /* its own lines */
        size_t col = 0, widest = 0;
        for (size_t i = 0; i + (sizeof verse - 1) < out.len; i++) { /* (the verse is at the end) */
            if (out.data[i] == '\n') col = 0;
            else if (((unsigned char)out.data[i] & 0xC0) != 0x80) col++;
            if (col > widest) widest = col;
        }
        CHECK(widest <= 61);
        /* a printed copy's text: one space after each sentence */
        pk_buf_reset(&pdf);
        for (size_t i = 0; i < out.len; i++)
            if (!(out.data[i] == ' ' && i > 0 && out.data[i - 1] == ' ')) CHECK_EQ_I(pk_buf_putc(&pdf, out.data[i]), 0);
        CHECK_EQ_I(pk_mark_points(pdf.data, pdf.len, PK_WORK_AUTO, &p, &np, NULL), 0);
        int ok = 0, bad = 0, ones = 0;
        for (size_t i = 0; i < np; i++)
            if (p[i].channel == PK_MARK_PWRAP && point_known(q, nq, p[i].ctx)) {
                if (p[i].bit == pk_mark_bit(&c, p[i].ctx)) ok++;
                else bad++;
                ones += p[i].bit;
            }
        free(p);
        CHECK_EQ_I(bad, 0);
        CHECK(ok >= 60);
        CHECK(ones > 10 && ones < ok - 10);
        /* joined into paragraphs and re-wrapped at 50 (fmt): no wrap read */
        rewrap(out.data, out.len, 50, &pdf);
        CHECK_EQ_I(pk_mark_points(pdf.data, pdf.len, PK_WORK_AUTO, &p, &np, NULL), 0);
        for (size_t i = 0; i < np; i++) CHECK(p[i].channel != PK_MARK_WRAP && p[i].channel != PK_MARK_PWRAP);
        free(p);
    }
    free(q);
    pk_buf_free(&work);
    pk_buf_free(&out);
    pk_buf_free(&pdf);
}

/* A registry made before the channels column: its copies keep the
 * channels they were made with, and trace scores each on its own. */
static void test_old_copies_keep_their_channels(void)
{
    char db[512];
    tmp_db(db, sizeof db, "markold");
    pk_registry *r = NULL;
    pk_error e;
    CHECK_EQ_I(pk_registry_open(&r, db, PK_REG_CREATE, NULL, &e), 0);
    pk_buf work, ann, ann2, ben;
    pk_buf_init(&work, 0);
    pk_buf_init(&ann, 0);
    pk_buf_init(&ann2, 0);
    pk_buf_init(&ben, 0);
    for (int k = 0; k < 4; k++) pk_buf_append(&work, script, sizeof script - 1);
    pk_mark_result res;
    CHECK_EQ_I(pk_mark_work(r, "lamp.fountain", work.data, work.len, PK_WORK_AUTO, "Ann", 0, &ann, &res, &e), 0);
    /* as if Ann's mark were made by an older picket */
    sqlite3 *h = pk_registry_db(r);
    CHECK_EQ_I(sqlite3_exec(h, "ALTER TABLE marks DROP COLUMN channels", NULL, NULL, NULL), SQLITE_OK);
    CHECK_EQ_I(pk_mark_work(r, "lamp.fountain", work.data, work.len, PK_WORK_AUTO, "Ben", 0, &ben, &res, &e), 0);
    CHECK_EQ_I(pk_mark_work(r, "lamp.fountain", work.data, work.len, PK_WORK_AUTO, "Ann", 0, &ann2, &res, &e), 0);
    CHECK_EQ_I(res.existed, 1);
    /* Ann's copy now has the old channels only: no line breaks added */
    size_t lines_work = 0, lines_ann = 0, lines_ben = 0;
    for (size_t i = 0; i < work.len; i++) lines_work += work.data[i] == '\n';
    for (size_t i = 0; i < ann2.len; i++) lines_ann += ann2.data[i] == '\n';
    for (size_t i = 0; i < ben.len; i++) lines_ben += ben.data[i] == '\n';
    CHECK_EQ_U(lines_ann, lines_work);
    CHECK(lines_ben > lines_work);
    CHECK(ann.len != ann2.len || memcmp(ann.data, ann2.data, ann.len) != 0);
    pk_trace_result tr;
    CHECK_EQ_I(pk_trace_text(r, ann2.data, ann2.len, NULL, 0, &tr, &e), 0);
    CHECK(tr.accused);
    CHECK_STR(tr.suspects[0].recipient, "Ann");
    CHECK(tr.suspects[0].points < tr.points_known);
    CHECK_EQ_I(pk_trace_text(r, ben.data, ben.len, NULL, 0, &tr, &e), 0);
    CHECK(tr.accused);
    CHECK_STR(tr.suspects[0].recipient, "Ben");
    pk_registry_close(r);
    pk_buf_free(&work);
    pk_buf_free(&ann);
    pk_buf_free(&ann2);
    pk_buf_free(&ben);
    remove(db);
}

/* A copy made before the channels that changed canonical words ("that he",
 * "he'd", "grey") is traced on its own names: every point it carries reads
 * back, though each of them has a renamed word in its context. */
static void test_old_naming(void)
{
    static const char *const things[] = {"door", "road", "river", "barn", "church", "mill", "bridge", "station",
                                         "harbor", "market", "field", "orchard", "school", "store", "hotel",
                                         "garden", "tower", "shed", "pier", "well", "forest", "hill", "lake",
                                         "farm", "camp", "fort", "inn", "yard", "gate", "wharf"};
    pk_buf work, ann, ann_old, ben;
    pk_buf_init(&work, 0), pk_buf_init(&ann, 0), pk_buf_init(&ann_old, 0), pk_buf_init(&ben, 0);
    for (size_t k = 0; k < NELEM(things); k++) {
        char line[256];
        snprintf(line, sizeof line,
                 "Then he'd walk to the grey %s. Still she knew that he was near the %s.\n\n", things[k], things[k]);
        pk_buf_append(&work, line, strlen(line));
    }
    char db[512];
    tmp_db(db, sizeof db, "marknaming");
    pk_registry *r = NULL;
    pk_error e;
    CHECK_EQ_I(pk_registry_open(&r, db, PK_REG_CREATE, NULL, &e), 0);
    pk_mark_result res;
    CHECK_EQ_I(pk_mark_work(r, "town.txt", work.data, work.len, PK_WORK_AUTO, "Ann", 0, &ann, &res, &e), 0);
    /* as if Ann's copy were made before channels 20..23 */
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE marks SET channels = %u WHERE recipient = 'Ann'", (unsigned)PK_MARK_CHANNELS_V4);
    CHECK_EQ_I(sqlite3_exec(pk_registry_db(r), sql, NULL, NULL, NULL), SQLITE_OK);
    CHECK_EQ_I(pk_mark_work(r, "town.txt", work.data, work.len, PK_WORK_AUTO, "Ann", 0, &ann_old, &res, &e), 0);
    CHECK_EQ_I(res.existed, 1);
    CHECK_EQ_I(pk_mark_work(r, "town.txt", work.data, work.len, PK_WORK_AUTO, "Ben", 0, &ben, &res, &e), 0);
    pk_trace_result tr;
    CHECK_EQ_I(pk_trace_text(r, ann_old.data, ann_old.len, NULL, 0, &tr, &e), 0);
    CHECK(tr.accused);
    CHECK_STR(tr.suspects[0].recipient, "Ann");
    CHECK_EQ_U(tr.suspects[0].matches, tr.suspects[0].points);
    CHECK(tr.suspects[0].points >= 2 * NELEM(things)); /* "Then," and "Still," at least */
    CHECK_EQ_I(pk_trace_text(r, ben.data, ben.len, NULL, 0, &tr, &e), 0);
    CHECK(tr.accused);
    CHECK_STR(tr.suspects[0].recipient, "Ben");
    CHECK_EQ_U(tr.suspects[0].matches, tr.suspects[0].points);
    pk_registry_close(r);
    pk_buf_free(&work), pk_buf_free(&ann), pk_buf_free(&ann_old), pk_buf_free(&ben);
    remove(db);
}

/* Second names: a copy of a story with a typo in the word after every
 * third point loses those points' names; the words before them give many
 * back, each with the right bit. */
static void test_second_names(void)
{
    char path[1200];
    sample_path(path, sizeof path, "salt-and-static.txt");
    pk_buf work, out, typo;
    pk_buf_init(&work, 0), pk_buf_init(&out, 0), pk_buf_init(&typo, 0);
    pk_error e;
    CHECK_EQ_I(pk_source_slurp(path, &work, 1 << 22, &e), 0);
    pk_mark_point *q = NULL, *p = NULL;
    pk_mark_alt *alts = NULL;
    size_t nq = 0, np = 0, nalts = 0;
    CHECK_EQ_I(pk_mark_points(work.data, work.len, PK_WORK_TEXT, &q, &nq, NULL), 0);
    CHECK_EQ_I(pk_mark_alts(q, nq, &alts, &nalts, NULL), 0);
    CHECK(nalts > nq / 3);
    for (size_t i = 1; i < nalts; i++) CHECK(alts[i - 1].alt < alts[i].alt); /* sorted, one name each */
    uint64_t *known = malloc(nq * sizeof *known);
    for (size_t i = 0; i < nq; i++) known[i] = q[i].ctx;
    qsort(known, nq, sizeof *known, cmp_u64_t);
    pk_mark_code c;
    code_for(&c, 3);
    CHECK_EQ_I(pk_mark_apply(work.data, work.len, PK_WORK_TEXT, &c, &out, NULL, NULL), 0);
    /* the last letter of the word after every third point of the copy (not prose wrap: a space each) */
    CHECK_EQ_I(pk_mark_points(out.data, out.len, PK_WORK_AUTO, &p, &np, NULL), 0);
    pk_buf_append(&typo, out.data, out.len);
    for (size_t i = 0, k3 = 0; i < np; i++) {
        if (p[i].channel == PK_MARK_PWRAP || k3++ % 3) continue;
        size_t k = p[i].end;
        while (k < typo.len && !isalpha((unsigned char)typo.data[k])) k++;
        while (k + 1 < typo.len && isalpha((unsigned char)typo.data[k]) &&
               isalpha((unsigned char)typo.data[k + 1]))
            k++;
        if (k < typo.len && isalpha((unsigned char)typo.data[k])) typo.data[k] = 'q';
    }
    free(p);
    CHECK_EQ_I(pk_mark_points(typo.data, typo.len, PK_WORK_AUTO, &p, &np, NULL), 0);
    size_t before = 0, after = 0, wrong = 0;
    for (size_t i = 0; i < np; i++) before += bsearch(&p[i].ctx, known, nq, sizeof *known, cmp_u64_t) != NULL;
    size_t renamed = pk_mark_resolve(p, np, known, nq, alts, nalts);
    for (size_t i = 0; i < np; i++)
        if (bsearch(&p[i].ctx, known, nq, sizeof *known, cmp_u64_t)) {
            after++;
            if (p[i].naming == PK_MARK_NAMING_NEW && (c.channels >> p[i].channel & 1) && p[i].channel != PK_MARK_SPACE)
                wrong += p[i].bit != pk_mark_bit(&c, p[i].ctx); /* (spacing: read_back's rule) */
        }
    CHECK(renamed >= 10);
    CHECK_EQ_U(after, before + renamed);
    CHECK_EQ_U(wrong, 0);
    free(q), free(p), free(alts), free(known);
    pk_buf_free(&work), pk_buf_free(&out), pk_buf_free(&typo);
}

/* A line of a page as pdftotext reads it: one space for two, none at
 * the ends. */
static void put_collapsed(pk_buf *out, const char *s, size_t n)
{
    while (n && s[n - 1] == ' ') n--;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] == ' ' && i + 1 < n && s[i + 1] == ' ')) pk_buf_putc(out, s[i]);
    pk_buf_putc(out, '\n');
}

/* A screenplay page as afterwriting lays it out and pdftotext reads it
 * back: every line cut at the last space within its element's width
 * (action wa, dialogue wd, parentheticals 26 columns), counted in
 * characters, two spaces as two; leading spaces of a line dropped; with
 * blanks 0, no blank lines (pdftotext often runs action on after
 * dialogue). */
static void render_page(const char *s, size_t n, size_t wa, size_t wd, int blanks, pk_buf *out)
{
    pk_buf_reset(out);
    int dialogue = 0, prev_blank = 1;
    size_t cp[4096];
    for (size_t a = 0; a < n;) {
        size_t e = a;
        while (e < n && s[e] != '\n') e++;
        size_t b = a;
        while (b < e && s[b] == ' ') b++;
        int lower = 0, letter = 0;
        for (size_t k = b; k < e; k++) lower |= islower((unsigned char)s[k]) != 0, letter |= isalpha((unsigned char)s[k]) != 0;
        if (b == e) dialogue = 0;
        else if (prev_blank && letter && !lower && strncmp(s + b, "INT", 3) != 0 && strncmp(s + b, "EXT", 3) != 0)
            dialogue = 1;
        size_t w = s[b] == '(' && dialogue ? 26 : dialogue && lower ? wd : wa, N = 0;
        for (size_t k = b; k < e && N < 4095; k++)
            if (((unsigned char)s[k] & 0xC0) != 0x80) cp[N++] = k;
        cp[N] = e;
        size_t pos = 0;
        while (N - pos > w) {
            size_t q = pos + w + 1, sp = SIZE_MAX;
            for (size_t k = pos; k < q; k++)
                if (s[cp[k]] == ' ') sp = k;
            if (sp == SIZE_MAX) sp = pos + w - 1;
            put_collapsed(out, s + cp[pos], cp[sp] - cp[pos]);
            pos = s[cp[sp]] == ' ' ? sp + 1 : sp;
        }
        if (blanks || b < e) put_collapsed(out, s + cp[pos], e - cp[pos]);
        prev_blank = b == e;
        a = e + 1;
    }
}

/* Line wrapping: a copy laid out for pages of 58 to 61 columns of action
 * and 35 to 36 of dialogue reads back the same on every one of them, and
 * from the copy itself; nothing is read from a re-wrap. */
static void test_wrap_survives_every_page(void)
{
    static const char *const names[] = {"lighthouse-keepers.fountain", "night-shift.fountain"};
    char dir[1024];
    sample_path(dir, sizeof dir, "");
    static const size_t pages[][2] = {{58, 36}, {61, 36}, {60, 35}};
    for (size_t f = 0; f < sizeof names / sizeof names[0]; f++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", dir, names[f]);
        pk_buf work, out, lay;
        pk_buf_init(&work, 0);
        pk_buf_init(&out, 0);
        pk_buf_init(&lay, 0);
        pk_error e;
        CHECK_EQ_I(pk_source_slurp(path, &work, 1 << 22, &e), 0);
        pk_mark_point *q = NULL, *p = NULL;
        size_t nq = 0, np = 0, wraps = 0;
        CHECK_EQ_I(pk_mark_points(work.data, work.len, PK_WORK_FOUNTAIN, &q, &nq, NULL), 0);
        for (size_t i = 0; i < nq; i++) wraps += q[i].channel == PK_MARK_WRAP;
        CHECK(wraps > 300);
        for (int who = 0; who < 5; who++) {
            pk_mark_code c;
            code_for(&c, who);
            CHECK_EQ_I(pk_mark_apply(work.data, work.len, PK_WORK_FOUNTAIN, &c, &out, NULL, NULL), 0);
            int okp[3] = {0, 0, 0};
            for (size_t pg = 0; pg < 5; pg++) { /* the pages, the copy itself, a page without blank lines */
                if (pg < 3) render_page(out.data, out.len, pages[pg][0], pages[pg][1], 1, &lay);
                if (pg == 4) render_page(out.data, out.len, 58, 36, 0, &lay);
                const pk_buf *t = pg == 3 ? &out : &lay;
                CHECK_EQ_I(pk_mark_points(t->data, t->len, PK_WORK_AUTO, &p, &np, NULL), 0);
                int ok = 0, bad = 0, ones = 0;
                for (size_t i = 0; i < np; i++)
                    if (p[i].channel == PK_MARK_WRAP && point_known(q, nq, p[i].ctx)) {
                        if (p[i].bit == pk_mark_bit(&c, p[i].ctx)) ok++;
                        else {
                            bad++;
                            size_t a0 = p[i].start > 70 ? p[i].start - 70 : 0;
                            fprintf(stderr, "wrap misread (page %zu, bit %d): [%.*s|%.30s]\n", pg, p[i].bit, (int)(p[i].start - a0), t->data + a0, t->data + p[i].start);
                        }
                        ones += p[i].bit;
                    }
                free(p);
                CHECK_EQ_I(bad, 0);
                CHECK(ok >= 30);
                CHECK(ones > 5 && ones < ok - 5);
                if (pg < 3) okp[pg] = ok;
            }
            /* the same points on every page */
            CHECK_EQ_I(okp[0], okp[1]);
            CHECK_EQ_I(okp[1], okp[2]);
            /* joined into paragraphs and re-wrapped at 50 (fmt): no wrap read */
            rewrap(out.data, out.len, 50, &lay);
            CHECK_EQ_I(pk_mark_points(lay.data, lay.len, PK_WORK_AUTO, &p, &np, NULL), 0);
            for (size_t i = 0; i < np; i++) CHECK(p[i].channel != PK_MARK_WRAP);
            free(p);
        }
        free(q);
        pk_buf_free(&work);
        pk_buf_free(&out);
        pk_buf_free(&lay);
    }
}

TEST_MAIN(TEST(test_capitals_kept), TEST(test_every_channel_found), TEST(test_apply_reads_back), TEST(test_keyed_and_deterministic),
          TEST(test_excerpt_and_rewrap), TEST(test_innocent_never_accused), TEST(test_wrap_alone_names), TEST(test_pdf_action_after_dialogue),
          TEST(test_registry_mark_and_trace),
          TEST(test_markup_untouched), TEST(test_breaks_survive_rendering), TEST(test_optional_commas), TEST(test_prose_narration),
          TEST(test_prose_wording), TEST(test_prose_lines), TEST(test_dense_comma_breaks),
          TEST(test_old_copies_keep_their_channels), TEST(test_old_naming), TEST(test_second_names),
          TEST(test_wrap_survives_every_page))
