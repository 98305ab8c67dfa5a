/* test_report.c -- findings read back, the HTML report (escaping, word
 * alignment, paging), the registry's canonical hash, keys, and evidence
 * bundles that fail to verify after any byte of them changes. */
#include "pk.h"
#include "picket_report.h"
#include "test.h"
#include <jansson.h>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen.h"

static const char *scan_line =
    "{\"doc\":\"d1\",\"source\":\"c.jsonl\",\"line\":3,\"url\":\"https://example.com/a?b=1&c=2\",\"date\":\"2024-01-02T03:04:05Z\","
    "\"work\":\"w1\",\"title\":\"T\",\"matched_words\":30,\"work_words\":100,\"work_coverage\":0.3,"
    "\"passages\":[{\"doc_start\":5,\"doc_end\":50,\"work_start_word\":10,\"work_end_word\":40,\"work_start_line\":2,"
    "\"work_end_line\":4,\"work_start_page\":1,\"work_end_page\":1,\"work_start_scene\":2,\"work_end_scene\":3,"
    "\"text\":\"some <b>text</b>\",\"words\":30}]}";

static void escape_html_specials(void)
{
    pk_buf b;
    pk_buf_init(&b, 0);
    const char *in = "<script>a&b\"c'd</script>\x01\n";
    CHECK_EQ_I(pk_html_escape(&b, in, strlen(in)), 0);
    CHECK_STR(b.data, "&lt;script&gt;a&amp;b&quot;c&#39;d&lt;/script&gt;\xef\xbf\xbd\n");
    pk_buf_free(&b);
}

static void parse_scan_line(void)
{
    pk_findings fs;
    pk_findings_init(&fs);
    pk_error e;
    CHECK_EQ_I(pk_findings_parse(&fs, scan_line, strlen(scan_line), &e), 0);
    CHECK_EQ_U(fs.n, 1);
    CHECK_EQ_U(fs.nlines, 1);
    const pk_rfinding *f = &fs.f[0];
    CHECK_STR(f->doc, "d1");
    CHECK_STR(f->work, "w1");
    CHECK_STR(f->url, "https://example.com/a?b=1&c=2");
    CHECK_EQ_U(f->line, 3);
    CHECK_EQ_U(f->matched_words, 30);
    CHECK(f->coverage == 0.3);
    CHECK_EQ_U(f->npassages, 1);
    CHECK_EQ_U(f->passages[0].work_end_scene, 3);
    CHECK_STR(f->passages[0].text, "some <b>text</b>");
    pk_findings_free(&fs);
}

static void parse_filter_removed_line(void)
{
    const char *l = "\n  {\"source\":\"s\",\"line\":1,\"doc\":\"x\",\"reason\":\"registered\",\"works\":["
                    "{\"work\":\"a\",\"title\":\"A\",\"matched_words\":5,\"work_coverage\":0.5,\"passages\":[]},"
                    "{\"work\":\"b\",\"matched_words\":7,\"passages\":[]}],\"record\":\"{}\"}\r\n\n";
    pk_findings fs;
    pk_findings_init(&fs);
    pk_error e;
    CHECK_EQ_I(pk_findings_parse(&fs, l, strlen(l), &e), 0);
    CHECK_EQ_U(fs.n, 2);
    CHECK_EQ_U(fs.nlines, 1);
    CHECK_STR(fs.f[1].doc, "x");
    CHECK_STR(fs.f[1].title, "b"); /* no title: the id */
    CHECK_EQ_U(fs.f[1].from_line, 2);
    CHECK(fs.line[0][0] == '{' && fs.line[0][fs.line_len[0] - 1] == '}');
    pk_findings_free(&fs);
}

static void parse_refuses_malformed(void)
{
    static const char *bad[] = {
        "{\"work\":\"w\"",                                          /* not JSON */
        "[1,2]",                                                    /* not an object */
        "{\"doc\":\"d\"}",                                          /* no work */
        "{\"work\":\"w\",\"work_coverage\":1.5}",                     /* coverage past 1 */
        "{\"work\":\"w\",\"matched_words\":-1}",                      /* negative */
        "{\"work\":\"w\",\"passages\":[{\"doc_start\":9,\"doc_end\":2,\"work_start_word\":0,\"work_end_word\":1}]}",
        "{\"work\":\"w\",\"passages\":[{\"doc_start\":0,\"doc_end\":2,\"work_start_word\":0,\"work_end_word\":1,\"text\":5}]}",
        "{\"work\":\"w\",\"passages\":{}}",
        "{\"work\":\"w\",\"matched_words\":4294967296}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pk_findings fs;
        pk_findings_init(&fs);
        pk_error e;
        char in[512];
        snprintf(in, sizeof in, "%s\n%s\n", scan_line, bad[i]);
        CHECK_EQ_I(pk_findings_parse(&fs, in, strlen(in), &e), PK_EFORMAT);
        CHECK(strncmp(e.msg, "line 2: ", 8) == 0);
        pk_findings_free(&fs);
    }
}

typedef struct pages {
    pk_buf html[8];
    unsigned n;
} pages;

static int keep_page(unsigned no, const pk_buf *html, void *ud)
{
    pages *p = ud;
    if (no != p->n + 1 || no > 8) return PK_EINTERNAL;
    pk_buf_init(&p->html[p->n], 0);
    pk_buf_append(&p->html[p->n], html->data, html->len);
    p->n++;
    return 0;
}

static void pages_free(pages *p)
{
    for (unsigned i = 0; i < p->n; i++) pk_buf_free(&p->html[i]);
    p->n = 0;
}

static int has_tag(const pk_buf *b, const char *tag) /* case-insensitive "<tag" */
{
    size_t n = strlen(tag);
    for (size_t i = 0; i + n + 1 <= b->len; i++)
        if (b->data[i] == '<' && strncasecmp(b->data + i + 1, tag, n) == 0) return 1;
    return 0;
}

static void hostile_text_is_escaped(void)
{
    const char *l = "{\"doc\":\"<img src=x onerror=alert(1)>\",\"url\":\"javascript:alert(1)\",\"work\":\"w<script>\","
                    "\"title\":\"<script>alert('t')</script>\",\"matched_words\":3,\"work_coverage\":0.1,"
                    "\"passages\":[{\"doc_start\":0,\"doc_end\":30,\"work_start_word\":0,\"work_end_word\":3,"
                    "\"text\":\"</div><script>alert(1)</script><!--\",\"words\":3}]}\n";
    pk_findings fs;
    pk_findings_init(&fs);
    pk_error e;
    CHECK_EQ_I(pk_findings_parse(&fs, l, strlen(l), &e), 0);
    pages p = {0};
    CHECK_EQ_I(pk_report_html(&fs, NULL, NULL, keep_page, &p, &e), 0);
    CHECK_EQ_U(p.n, 2);
    for (unsigned i = 0; i < p.n; i++) {
        CHECK(!has_tag(&p.html[i], "script"));
        CHECK(!has_tag(&p.html[i], "img"));
        CHECK(strstr(p.html[i].data, "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;") != NULL);
        CHECK(strstr(p.html[i].data, "alert(1)&lt;/script") != NULL);
        CHECK(strstr(p.html[i].data, "href=\"javascript") == NULL);
        CHECK(strstr(p.html[i].data, "&lt;!--") != NULL);
        CHECK(strstr(p.html[i].data, "Content-Security-Policy") != NULL);
    }
    pages_free(&p);
    pk_findings_free(&fs);
}

/* The work's side comes from its kept text; words on one side only are
 * marked as differences, the others highlighted. */
static void passages_side_by_side(void)
{
    char db[512];
    tmp_db(db, sizeof db, "report-side");
    pk_error e;
    pk_registry *r = NULL;
    CHECK_EQ_I(pk_registry_open(&r, db, PK_REG_CREATE, NULL, &e), 0);
    const char *work = "Opening line here.\nThe quick brown fox jumps over the lazy dog near the river bank today.\nEnd.\n";
    pk_register_opts ro = {.id = "fox", .title = "Fox", .keep_text = 1};
    pk_register_result res;
    CHECK_EQ_I(pk_registry_add(r, work, strlen(work), &ro, &res, &e), 0);
    /* words 3..17: "The" .. "today" */
    const char *l = "{\"doc\":\"d\",\"work\":\"fox\",\"title\":\"Fox\",\"matched_words\":13,\"work_coverage\":0.7,"
                    "\"passages\":[{\"doc_start\":0,\"doc_end\":60,\"work_start_word\":3,\"work_end_word\":17,"
                    "\"work_start_line\":2,\"work_end_line\":2,"
                    "\"text\":\"THE quick brown fox leaps over the sleepy lazy dog near the river bank today\",\"words\":13}]}\n";
    pk_findings fs;
    pk_findings_init(&fs);
    CHECK_EQ_I(pk_findings_parse(&fs, l, strlen(l), &e), 0);
    pages p = {0};
    CHECK_EQ_I(pk_report_html(&fs, r, NULL, keep_page, &p, &e), 0);
    const char *h = p.html[0].data;
    CHECK(strstr(h, "<mark>THE quick brown fox</mark> <ins class=\"x\">leaps</ins> <mark>over the</mark> "
                    "<ins class=\"x\">sleepy</ins> <mark>lazy dog near the river bank today</mark>") != NULL);
    CHECK(strstr(h, "<mark>The quick brown fox</mark> <del class=\"x\">jumps</del> <mark>over the lazy dog near the river bank "
                    "today</mark>") != NULL);
    CHECK(strstr(h, "line 2, words 3&ndash;17") != NULL);
    pages_free(&p);
    pk_findings_free(&fs);
    /* Without kept text the work's location only, and why. */
    pk_register_opts ro2 = {.id = "nokeep"};
    CHECK_EQ_I(pk_registry_add(r, "Another text entirely, with words.", 34, &ro2, &res, &e), 0);
    const char *l2 = "{\"doc\":\"d\",\"work\":\"nokeep\",\"passages\":[{\"doc_start\":0,\"doc_end\":4,\"work_start_word\":0,"
                     "\"work_end_word\":2,\"text\":\"abcd\"}]}\n";
    pk_findings_init(&fs);
    CHECK_EQ_I(pk_findings_parse(&fs, l2, strlen(l2), &e), 0);
    CHECK_EQ_I(pk_report_html(&fs, r, NULL, keep_page, &p, &e), 0);
    CHECK(strstr(p.html[0].data, "does not keep this work") != NULL);
    pages_free(&p);
    pk_findings_free(&fs);
    pk_registry_close(r);
    remove(db);
}

static void many_findings_are_paged(void)
{
    pk_buf in;
    pk_buf_init(&in, 0);
    for (int i = 0; i < 2500; i++)
        pk_buf_printf(&in, "{\"doc\":\"doc%d\",\"work\":\"w%d\",\"matched_words\":%d,\"passages\":[{\"doc_start\":0,\"doc_end\":5,"
                           "\"work_start_word\":0,\"work_end_word\":30,\"text\":\"hello\",\"words\":%d}]}\n",
                      i % 700, i % 120, 25 + i % 50, 25 + i % 50);
    pk_findings fs;
    pk_findings_init(&fs);
    pk_error e;
    CHECK_EQ_I(pk_findings_parse(&fs, in.data, in.len, &e), 0);
    CHECK_EQ_U(fs.n, 2500);
    pages p = {0};
    pk_report_opts o;
    pk_report_opts_default(&o);
    CHECK_EQ_I(pk_report_html(&fs, NULL, &o, keep_page, &p, &e), 0);
    CHECK_EQ_U(p.n, 4); /* the summary and 3 pages of 1000 rows */
    CHECK(strstr(p.html[0].data, "<b>120</b> registered works found in <b>700</b> documents") != NULL);
    CHECK(strstr(p.html[3].data, "findings 2001 to 2500 of 2500") != NULL);
    /* page 1: 50 works of 5 findings in full, whatever the input */
    size_t articles = 0;
    for (const char *s = p.html[0].data; (s = strstr(s, "<article")); s++) articles++;
    CHECK_EQ_U(articles, 250);
    pages_free(&p);
    pk_findings_free(&fs);
    pk_buf_free(&in);
}

static void registry_hash_is_canonical(void)
{
    char a[512], b[512];
    tmp_db(a, sizeof a, "rh-a");
    tmp_db(b, sizeof b, "rh-b");
    pk_error e;
    pk_registry *ra = NULL, *rb = NULL;
    CHECK_EQ_I(pk_registry_open(&ra, a, PK_REG_CREATE, NULL, &e), 0);
    CHECK_EQ_I(pk_registry_open(&rb, b, PK_REG_CREATE, NULL, &e), 0);
    pk_buf t1, t2;
    pk_buf_init(&t1, 0);
    pk_buf_init(&t2, 0);
    uint64_t seed = 9;
    gen_words(&t1, &seed, 400);
    gen_words(&t2, &seed, 400);
    pk_register_opts o1 = {.id = "one"}, o2 = {.id = "two"};
    pk_register_result res;
    /* the same works in another order, one with its text kept */
    CHECK_EQ_I(pk_registry_add(ra, t1.data, t1.len, &o1, &res, &e), 0);
    CHECK_EQ_I(pk_registry_add(ra, t2.data, t2.len, &o2, &res, &e), 0);
    o1.keep_text = 1;
    CHECK_EQ_I(pk_registry_add(rb, t2.data, t2.len, &o2, &res, &e), 0);
    CHECK_EQ_I(pk_registry_add(rb, t1.data, t1.len, &o1, &res, &e), 0);
    char ha[65], hb[65];
    uint64_t n = 0;
    CHECK_EQ_I(pk_registry_fingerprints_sha256(ra, ha, &n, &e), 0);
    CHECK_EQ_U(n, 2);
    CHECK_EQ_I(pk_registry_fingerprints_sha256(rb, hb, &n, &e), 0);
    CHECK_STR(ha, hb);
    CHECK_EQ_I(pk_registry_remove(rb, "one", &e), 0);
    CHECK_EQ_I(pk_registry_fingerprints_sha256(rb, hb, &n, &e), 0);
    CHECK(strcmp(ha, hb) != 0);
    pk_buf_free(&t1);
    pk_buf_free(&t2);
    pk_registry_close(ra);
    pk_registry_close(rb);
    remove(a);
    remove(b);
}

static char tdir[256];

static void make_tdir(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(tdir, sizeof tdir, "%s/pk-report-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tdir)) tdir[0] = 0;
}

static void keygen_modes_and_refusal(void)
{
    make_tdir();
    char key[512], pub[600], id[PK_KEYID_LEN], id2[PK_KEYID_LEN];
    snprintf(key, sizeof key, "%s/k", tdir);
    snprintf(pub, sizeof pub, "%s.pub", key);
    pk_error e;
    CHECK_EQ_I(pk_keygen(key, 0, id, &e), 0);
    struct stat sb;
    CHECK(stat(key, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    CHECK_EQ_I(pk_keygen(key, 0, id2, &e), PK_EEXIST);
    unsigned char sk[64], pk[32];
    CHECK_EQ_I(pk_key_load_secret(key, sk, &e), 0);
    CHECK_EQ_I(pk_key_load_public(pub, pk, &e), 0);
    CHECK(memcmp(sk + 32, pk, 32) == 0);
    pk_key_id(pk, id2);
    CHECK_STR(id, id2);
    CHECK_EQ_I(pk_key_load_public(key, pk, &e), PK_EFORMAT); /* a secret key is not a public one */
    CHECK_EQ_I(pk_keygen(key, 1, id2, &e), 0);
    CHECK(strcmp(id, id2) != 0);
    unlink(key);
    unlink(pub);
    rmdir(tdir);
}

static void count_failures(int status, const char *what, const char *detail, void *ud)
{
    PK_UNUSED(what);
    PK_UNUSED(detail);
    if (status == PK_CHECK_FAILED) (*(unsigned *)ud)++;
}

static unsigned verify_dir(const char *dir, const char *pub)
{
    pk_verify_opts vo = {dir, pub, "/nonexistent/findings", "/nonexistent/db", NULL};
    unsigned failures = 0, seen = 0;
    pk_error e;
    if (pk_bundle_verify(&vo, count_failures, &seen, &failures, &e)) return 1000;
    return failures == seen ? failures : 2000;
}

/* Flip every byte of a bundle file in turn: each change must fail. */
static void flip_each_byte(const char *dir, const char *name, const char *pub, size_t stride)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    pk_buf b;
    pk_buf_init(&b, 0);
    pk_error e;
    CHECK_EQ_I(pk_source_slurp(path, &b, 1 << 24, &e), 0);
    size_t passed = 0, tried = 0;
    for (size_t i = 0; i < b.len; i += stride) {
        for (int bit = 0; bit < 8; bit += 7) { /* the lowest and the highest bit */
            b.data[i] ^= (char)(1 << bit);
            FILE *f = fopen(path, "wb");
            fwrite(b.data, 1, b.len, f);
            fclose(f);
            tried++;
            if (verify_dir(dir, pub) == 0) passed++;
            b.data[i] ^= (char)(1 << bit);
        }
    }
    FILE *f = fopen(path, "wb");
    fwrite(b.data, 1, b.len, f);
    fclose(f);
    CHECK(tried > 0);
    CHECK_EQ_U(passed, 0);
    pk_buf_free(&b);
}

static void bundle_signed_and_tamper_evident(void)
{
    make_tdir();
    char key[512], pub[600], other[600], dir[600], db[512];
    snprintf(key, sizeof key, "%s/k", tdir);
    snprintf(pub, sizeof pub, "%s.pub", key);
    snprintf(other, sizeof other, "%s/o", tdir);
    snprintf(dir, sizeof dir, "%s/bundle", tdir);
    tmp_db(db, sizeof db, "bundle");
    pk_error e;
    char id[PK_KEYID_LEN];
    CHECK_EQ_I(pk_keygen(key, 0, id, &e), 0);
    CHECK_EQ_I(pk_keygen(other, 0, id, &e), 0);
    pk_registry *r = NULL;
    CHECK_EQ_I(pk_registry_open(&r, db, PK_REG_CREATE, NULL, &e), 0);
    pk_findings fs;
    pk_findings_init(&fs);
    CHECK_EQ_I(pk_findings_parse(&fs, scan_line, strlen(scan_line), &e), 0);
    pk_bundle_opts bo = {.dir = dir, .findings_path = "-", .findings = scan_line, .findings_len = strlen(scan_line),
                         .reg = r, .reg_path = db, .sign_key = key};
    pk_report_opts_default(&bo.report);
    pk_bundle_result res;
    CHECK_EQ_I(pk_bundle_write(&bo, &fs, &res, &e), 0);
    CHECK_EQ_U(res.pages, 2);
    CHECK(res.keyid[0] != 0);
    CHECK_EQ_U(verify_dir(dir, pub), 0);
    CHECK_EQ_U(verify_dir(dir, NULL), 0);
    char opub[700];
    snprintf(opub, sizeof opub, "%s.pub", other);
    CHECK_EQ_U(verify_dir(dir, opub), 1); /* another key */
    flip_each_byte(dir, "evidence.json.sig", pub, 1);
    flip_each_byte(dir, "evidence.json.sig", NULL, 1);
    flip_each_byte(dir, "evidence.json", pub, 1);
    flip_each_byte(dir, "report.html", pub, 7);
    flip_each_byte(dir, "report-2.html", NULL, 7);
    CHECK_EQ_U(verify_dir(dir, pub), 0); /* all restored */
    /* Unsigned: the .sig of a previous run is removed, and verify says the
     * bundle is not signed. */
    bo.sign_key = NULL;
    CHECK_EQ_I(pk_bundle_write(&bo, &fs, &res, &e), 0);
    CHECK_EQ_U(verify_dir(dir, pub), 1);
    pk_findings_free(&fs);
    pk_registry_close(r);
    remove(db);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tdir);
    CHECK(system(cmd) == 0);
}

/* Probe results (picket probe --json lines) in the report: checked line
 * by line, shown with each test's p-value and escaped, spliced into
 * evidence.json with their file's SHA-256, and checked by verify. */
static const char *probe_line =
    "{\"work\":\"crossing<b>\",\"sha256\":\"ab\",\"model\":\"m<script>\",\"api\":\"openai-completions\",\"logprobs\":\"prompt\","
    "\"alpha\":0.01,\"tests_run\":3,\"evidence\":true,\"significant\":[\"extraction\"],"
    "\"extraction\":{\"run\":true,\"samples\":50,\"extractable\":12,\"rate\":0.24,\"mean_longest_run\":31.5,"
    "\"control\":{\"samples\":100,\"extractable\":0},\"p\":1.25e-07,"
    "\"examples\":[{\"longest_run\":50,\"prefix\":\"INT. DOCK - NIGHT\",\"true\":\"the rope <slips>\",\"generated\":\"the rope slips\"}]},"
    "\"canaries\":{\"run\":false,\"why\":\"no canary set for this work\"},"
    "\"dataset_inference\":{\"run\":true,\"reference_documents\":20,\"composite\":3.1,\"t\":9.2,\"p\":4.5e-08,"
    "\"assumption\":\"the reference text is of the same kind\"}}\n";

static void probe_results_in_report(void)
{
    pk_error e;
    size_t n = 9;
    CHECK_EQ_I(pk_probe_check("p.jsonl", probe_line, strlen(probe_line), &n, &e), 0);
    CHECK_EQ_U(n, 1);
    const char *bad = "\n{\"work\":\"a\"}\n[1]\n";
    CHECK_EQ_I(pk_probe_check("p.jsonl", bad, strlen(bad), &n, &e), PK_EFORMAT);
    CHECK_STR(e.msg, "p.jsonl:3: not a JSON object");
    const char *nowork = "{\"model\":\"x\"}";
    CHECK_EQ_I(pk_probe_check("q", nowork, strlen(nowork), &n, &e), PK_EFORMAT);
    CHECK(strstr(e.msg, "q:1: no \"work\"") == e.msg);

    pk_findings fs;
    pk_findings_init(&fs);
    CHECK_EQ_I(pk_findings_parse(&fs, scan_line, strlen(scan_line), &e), 0);
    pk_report_opts o;
    pk_report_opts_default(&o);
    o.probe = probe_line;
    o.probe_len = strlen(probe_line);
    o.probe_source = "probe.jsonl";
    pages p = {0};
    CHECK_EQ_I(pk_report_html(&fs, NULL, &o, keep_page, &p, &e), 0);
    CHECK(p.n >= 1);
    if (p.n) {
        const char *h = p.html[0].data;
        CHECK(strstr(h, "<h2>Model probe</h2>") != NULL);
        CHECK(strstr(h, "<b>Evidence of training on this work</b>") != NULL);
        CHECK(strstr(h, "12 of 50 passages continued word for word") != NULL);
        CHECK(strstr(h, "<td class=\"n\">1.25e-07</td>") != NULL);
        CHECK(strstr(h, "<td class=\"n\">4.5e-08</td>") != NULL);
        CHECK(strstr(h, "not run: no canary set for this work") != NULL);
        CHECK(strstr(h, "Assumption: the reference text is of the same kind") != NULL);
        CHECK(strstr(h, "crossing&lt;b&gt;") != NULL);
        CHECK(strstr(h, "the rope &lt;slips&gt;") != NULL);
        CHECK(!has_tag(&p.html[0], "script"));
    }
    pages_free(&p);

    make_tdir();
    char dir[600], pf[600], db[512];
    snprintf(dir, sizeof dir, "%s/pbundle", tdir);
    snprintf(pf, sizeof pf, "%s/probe.jsonl", tdir);
    FILE *f = fopen(pf, "wb");
    fputs(probe_line, f);
    fclose(f);
    tmp_db(db, sizeof db, "pbundle");
    pk_registry *r = NULL;
    CHECK_EQ_I(pk_registry_open(&r, db, PK_REG_CREATE, NULL, &e), 0);
    pk_bundle_opts bo = {.dir = dir, .findings_path = "-", .findings = scan_line, .findings_len = strlen(scan_line),
                         .probe_path = pf, .probe = probe_line, .probe_len = strlen(probe_line), .reg = r, .reg_path = db};
    pk_report_opts_default(&bo.report);
    pk_bundle_result res;
    CHECK_EQ_I(pk_bundle_write(&bo, &fs, &res, &e), 0);
    char evp[700];
    snprintf(evp, sizeof evp, "%s/evidence.json", dir);
    json_error_t je;
    json_t *ev = json_load_file(evp, 0, &je);
    CHECK(ev != NULL);
    char sha[65];
    pk_sha256_hex(probe_line, strlen(probe_line), sha);
    CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(ev, "inputs"), "probe"), "sha256")), sha);
    CHECK_EQ_U(json_array_size(json_object_get(ev, "probe")), 1);
    CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(ev, "probe"), 0), "work")), "crossing<b>");
    json_decref(ev);
    unsigned failures = 9, seen = 0;
    pk_verify_opts vo = {.bundle = dir, .findings = "/nonexistent/findings"};
    CHECK_EQ_I(pk_bundle_verify(&vo, count_failures, &seen, &failures, &e), 0);
    CHECK_EQ_U(failures, 1); /* not signed: the one failure */
    f = fopen(pf, "ab");     /* the results changed since the report */
    fputs("\n", f);
    fclose(f);
    CHECK_EQ_I(pk_bundle_verify(&vo, count_failures, &seen, &failures, &e), 0);
    CHECK_EQ_U(failures, 2);
    pk_findings_free(&fs);
    pk_registry_close(r);
    remove(db);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tdir);
    CHECK(system(cmd) == 0);
}

TEST_MAIN(TEST(escape_html_specials), TEST(parse_scan_line), TEST(parse_filter_removed_line), TEST(parse_refuses_malformed),
          TEST(hostile_text_is_escaped), TEST(passages_side_by_side), TEST(many_findings_are_paged),
          TEST(registry_hash_is_canonical), TEST(keygen_modes_and_refusal), TEST(bundle_signed_and_tamper_evident),
          TEST(probe_results_in_report))
