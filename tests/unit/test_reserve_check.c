/* test_reserve_check.c -- reserve check without the network: TDMRep
 * location matching and tdmrep.json rules, header fields and meta tags,
 * and how the signals are weighed (TDMRep's precedence, robots.txt
 * status rules, conflicts, the verdict). */
#include "reserve/check.h"
#include "test.h"

#include <stdlib.h>

/* ---- TDMRep locations ----------------------------------------------------- */

static void match_is_a_prefix_match(void)
{
    CHECK(pk_tdmrep_match("/", "/"));
    CHECK(pk_tdmrep_match("/", "/any/thing.html"));
    CHECK(pk_tdmrep_match("/images/", "/images/a.png"));
    CHECK(!pk_tdmrep_match("/images/", "/image"));
    CHECK(!pk_tdmrep_match("/images/", "/img/images/a.png"));
    CHECK(pk_tdmrep_match("/fish", "/fish.html"));
    CHECK(pk_tdmrep_match("/fish", "/fishheads/yummy.html"));
}

static void match_is_case_sensitive(void)
{
    CHECK(!pk_tdmrep_match("/Images/", "/images/a.png"));
    CHECK(!pk_tdmrep_match("/fish", "/Fish.asp"));
}

static void match_star_is_any_run(void)
{
    CHECK(pk_tdmrep_match("/*.pdf", "/a/b/c.pdf"));
    CHECK(pk_tdmrep_match("/*.pdf", "/c.pdf.html")); /* still a prefix match */
    CHECK(!pk_tdmrep_match("/*.pdf", "/c.PDF"));
    CHECK(pk_tdmrep_match("/a*b*c", "/aXXbYYcZZ"));
    CHECK(pk_tdmrep_match("/a*b*c$", "/abbbcbc"));
    CHECK(!pk_tdmrep_match("/a*b*c$", "/abbbcbd"));
    CHECK(pk_tdmrep_match("*", "/anything"));
    CHECK(pk_tdmrep_match("/**", "/"));
}

static void match_dollar_anchors_the_end(void)
{
    CHECK(pk_tdmrep_match("/*.pdf$", "/a/b.pdf"));
    CHECK(!pk_tdmrep_match("/*.pdf$", "/a/b.pdf.html"));
    CHECK(pk_tdmrep_match("/exact$", "/exact"));
    CHECK(!pk_tdmrep_match("/exact$", "/exactly"));
    /* A '$' inside the pattern is a literal '$'. */
    CHECK(pk_tdmrep_match("/a$b", "/a$b"));
    CHECK(!pk_tdmrep_match("/a$b", "/ab"));
}

static void match_percent_encoding(void)
{
    /* Unreserved characters are decoded on both sides. */
    CHECK(pk_tdmrep_match("/%7Euser/", "/~user/notes"));
    CHECK(pk_tdmrep_match("/~user/", "/%7euser/notes"));
    CHECK(pk_tdmrep_match("/a%2Db", "/a-b"));
    /* Reserved ones stay encoded; hex case does not matter. */
    CHECK(pk_tdmrep_match("/a%2fb", "/a%2Fb"));
    CHECK(!pk_tdmrep_match("/a%2Fb", "/a/b"));
    /* TDMRep's example: "%24" in a pattern is a literal '$' in the URL. */
    CHECK(pk_tdmrep_match("/path/foo-%24", "/path/foo-$"));
    CHECK(pk_tdmrep_match("/a%2Ab", "/a*b"));
    CHECK(!pk_tdmrep_match("/a%2Ab", "/aXb"));
    /* Non-ASCII matches its encoded form. */
    CHECK(pk_tdmrep_match("/caf\xc3\xa9/", "/caf%C3%A9/menu"));
    CHECK(pk_tdmrep_match("/caf%c3%a9/", "/caf\xc3\xa9/menu"));
}

/* ---- tdmrep.json ---------------------------------------------------------- */

static pk_tdmrep *tparse(const char *json)
{
    pk_tdmrep *t = NULL;
    pk_error e = {0};
    CHECK_EQ_I(pk_tdmrep_parse(&t, json, strlen(json), &e), 0);
    return t;
}

static void tdmrep_first_matching_rule_wins(void)
{
    pk_tdmrep *t = tparse("[{\"location\":\"/public/\",\"tdm-reservation\":0},"
                          " {\"location\":\"/*.pdf\",\"tdm-reservation\":1,\"tdm-policy\":\"https://x.test/policy.json\"},"
                          " {\"location\":\"/\",\"tdm-reservation\":1}]");
    CHECK_EQ_U(pk_tdmrep_count(t), 3);
    int res = -5;
    const char *pol = "unset";
    CHECK_EQ_I(pk_tdmrep_lookup(t, "/public/report.pdf", &res, &pol), 0);
    CHECK_EQ_I(res, PK_TDM_OPEN);
    CHECK(pol == NULL);
    CHECK_EQ_I(pk_tdmrep_lookup(t, "/papers/report.pdf", &res, &pol), 1);
    CHECK_EQ_I(res, PK_TDM_RESERVED);
    CHECK_STR(pol, "https://x.test/policy.json");
    CHECK_EQ_I(pk_tdmrep_lookup(t, "/scripts/night-shift.html", &res, &pol), 2);
    CHECK_EQ_I(res, PK_TDM_RESERVED);
    CHECK_STR(pk_tdmrep_location(t, 1), "/*.pdf");
    pk_tdmrep_free(t);
}

static void tdmrep_no_rule_matches(void)
{
    pk_tdmrep *t = tparse("[{\"location\":\"/scripts/\",\"tdm-reservation\":1}]");
    int res = 7;
    CHECK_EQ_I(pk_tdmrep_lookup(t, "/blog/", &res, NULL), -1);
    CHECK_EQ_I(res, 7); /* untouched */
    pk_tdmrep_free(t);
    pk_tdmrep *empty = tparse("[]");
    CHECK_EQ_I(pk_tdmrep_lookup(empty, "/", NULL, NULL), -1);
    pk_tdmrep_free(empty);
}

static void tdmrep_bad_values_and_rules(void)
{
    pk_tdmrep *t = tparse("[{\"tdm-reservation\":1}, 5, {\"location\":7},"
                          " {\"location\":\"/two/\",\"tdm-reservation\":2},"
                          " {\"location\":\"/str/\",\"tdm-reservation\":\"1\"},"
                          " {\"location\":\"docs/\",\"tdm-reservation\":1}]");
    CHECK_EQ_U(pk_tdmrep_count(t), 3);
    CHECK_EQ_U(pk_tdmrep_skipped(t), 3);
    CHECK_EQ_U(pk_tdmrep_fixed(t), 1);
    int res = 9;
    CHECK_EQ_I(pk_tdmrep_lookup(t, "/two/x", &res, NULL), 0);
    CHECK_EQ_I(res, PK_TDM_UNSET); /* a protocol error: unset */
    CHECK_EQ_I(pk_tdmrep_lookup(t, "/str/x", &res, NULL), 1);
    CHECK_EQ_I(res, PK_TDM_RESERVED);
    CHECK_EQ_I(pk_tdmrep_lookup(t, "/docs/a", &res, NULL), 2); /* read as "/docs/" */
    pk_tdmrep_free(t);
}

static void tdmrep_not_an_array(void)
{
    const char *bad[] = {"{\"location\":\"/\"}", "not json", "", "[1,", "\"[]\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pk_tdmrep *t = (pk_tdmrep *)1;
        pk_error e = {0};
        CHECK_EQ_I(pk_tdmrep_parse(&t, bad[i], strlen(bad[i]), &e), PK_EFORMAT);
        CHECK(t == NULL);
        CHECK(e.msg[0] != 0);
    }
}

/* ---- header fields -------------------------------------------------------- */

static pk_signals hdr(const char *h)
{
    pk_signals s;
    pk_signals_init(&s);
    pk_signals_headers(&s, h, strlen(h));
    return s;
}

static void headers_tdmrep_fields(void)
{
    pk_signals s = hdr("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTDM-Reservation: 1\r\n"
                       "tdm-policy:  https://x.test/policy.json \r\n\r\n");
    CHECK_EQ_I(s.tdm, PK_TDM_RESERVED);
    CHECK_STR(s.tdm_policy, "https://x.test/policy.json");
    CHECK_EQ_I(s.tdm_invalid, 0);
    pk_signals z = hdr("tdm-reservation: 0\n");
    CHECK_EQ_I(z.tdm, PK_TDM_OPEN);
    pk_signals bad = hdr("HTTP/2 200\r\ntdm-reservation: yes\r\n");
    CHECK_EQ_I(bad.tdm, PK_TDM_UNSET);
    CHECK_EQ_I(bad.tdm_invalid, 1);
    CHECK_STR(bad.tdm_raw, "yes");
    pk_signals none = hdr("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n");
    CHECK_EQ_I(none.tdm, PK_TDM_UNSET);
    CHECK_EQ_I(none.train_ai, -1);
    CHECK_EQ_I(none.ai_train, -1);
    CHECK_EQ_U(none.robots, 0);
}

static void headers_content_usage_and_signal(void)
{
    pk_signals s = hdr("Content-Usage: train-ai=n\r\nContent-Signal: search=yes, ai-train=no\r\n");
    CHECK_EQ_I(s.train_ai, 1);
    CHECK_EQ_I(s.ai_train, 1);
    CHECK_STR(s.usage, "train-ai=n");
    /* Repeated fields are one list. */
    pk_signals two = hdr("Content-Usage: search=y\r\nContent-Usage: train-ai=n\r\n");
    CHECK_STR(two.usage, "search=y, train-ai=n");
    CHECK_EQ_I(two.train_ai, 1);
    CHECK_EQ_I(pk_content_usage_train("train-ai=y", 10), 0);
    CHECK_EQ_I(pk_content_usage_train("tdm=n", 5), 1);
    /* The most specific category stated wins. */
    CHECK_EQ_I(pk_content_usage_train("tdm=n, train-ai=y", 17), 0);
    CHECK_EQ_I(pk_content_usage_train("train-ai=n;reason=x, tdm=y", 26), 1);
    CHECK_EQ_I(pk_content_usage_train("train-genai=n", 13), -1); /* generative only: not all training */
    CHECK_EQ_I(pk_content_usage_train("search=n", 8), -1);
    CHECK_EQ_I(pk_content_signal_train("ai-train=yes", 12), 0);
    CHECK_EQ_I(pk_content_signal_train("ai-input=no", 11), -1);
}

static void headers_x_robots_tag(void)
{
    pk_signals s = hdr("X-Robots-Tag: noindex, noai\r\nX-Robots-Tag: GPTBot: noimageai\r\n"
                       "X-Robots-Tag: unavailable_after: 25 Jun 2030 15:00:00 PST\r\n");
    CHECK_EQ_U(s.robots, PK_NOAI);
    CHECK_EQ_U(s.nscoped, 1);
    CHECK_EQ_U(pk_signals_noai(&s, "gptbot"), PK_NOAI | PK_NOIMAGEAI);
    CHECK_EQ_U(pk_signals_noai(&s, "CCBot"), PK_NOAI);
    pk_signals scoped = hdr("X-Robots-Tag: CCBot: noai, noimageai\r\n");
    CHECK_EQ_U(scoped.robots, 0);
    CHECK_EQ_U(pk_signals_noai(&scoped, "CCBot"), PK_NOAI | PK_NOIMAGEAI);
    CHECK_EQ_U(pk_signals_noai(&scoped, "GPTBot"), 0);
    CHECK_STR(scoped.robots_raw, "CCBot: noai, noimageai");
    pk_signals other = hdr("X-Robots-Tag: googlebot: noindex\r\n");
    CHECK_EQ_U(other.nscoped, 0);
    CHECK_STR(other.robots_raw, "");
}

/* ---- meta tags ------------------------------------------------------------ */

static pk_signals html(const char *h)
{
    pk_signals s;
    pk_signals_init(&s);
    CHECK_EQ_I(pk_signals_html(&s, h, strlen(h), NULL), 0);
    return s;
}

static void meta_tags(void)
{
    pk_signals s = html("<!DOCTYPE html><html><head><title>x</title>"
                        "<META NAME=\"TDM-Reservation\" CONTENT=\" 1 \">"
                        "<meta name=\"tdm-policy\" content=\"https://x.test/p.json\">"
                        "<meta name=\"robots\" content=\"index, noimageai\">"
                        "<meta name=\"GPTBot\" content=\"noai\">"
                        "<meta name=\"googlebot\" content=\"noindex\">"
                        "</head><body><p>text</body></html>");
    CHECK_EQ_I(s.tdm, PK_TDM_RESERVED);
    CHECK_STR(s.tdm_policy, "https://x.test/p.json");
    CHECK_EQ_U(s.robots, PK_NOIMAGEAI);
    CHECK_EQ_U(pk_signals_noai(&s, "GPTBot"), PK_NOAI | PK_NOIMAGEAI);
    CHECK_EQ_U(pk_signals_noai(&s, "ClaudeBot"), PK_NOIMAGEAI);
    CHECK_EQ_U(s.nscoped, 1);
}

static void meta_in_broken_html(void)
{
    /* No head, unclosed tags, the meta in the body: still read. */
    pk_signals s = html("<p>hello <b>world<meta name=robots content=noai><div><meta name=tdm-reservation content=0");
    CHECK_EQ_U(s.robots, PK_NOAI);
    CHECK_EQ_I(s.tdm, PK_TDM_OPEN);
    pk_signals none = html("not html at all \x01\x02\xff");
    CHECK_EQ_I(none.tdm, PK_TDM_UNSET);
    pk_signals empty = html("");
    CHECK_EQ_I(empty.tdm, PK_TDM_UNSET);
}

/* ---- weighing ------------------------------------------------------------- */

typedef struct fixture {
    pk_check_result r;
    pk_check_input in;
    pk_robots *robots;
    pk_tdmrep *tdmrep;
    pk_signals head, meta;
} fixture;

static void fx_init(fixture *f, const char *robots, const char *tdmrep, const char *head, const char *meta_html)
{
    memset(f, 0, sizeof *f);
    pk_check_opts o;
    memset(&o, 0, sizeof o);
    pk_error e = {0};
    CHECK_EQ_I(pk_check_agents(&o, &f->r.agents, &f->r.nagents, &e), 0);
    f->r.robots.state = robots ? PK_FILE_FOUND : PK_FILE_ABSENT;
    f->r.robots.status = robots ? 200 : 404;
    if (robots) CHECK_EQ_I(pk_robots_parse(&f->robots, robots, strlen(robots), &e), 0);
    f->r.tdmrep.state = tdmrep ? PK_FILE_FOUND : PK_FILE_ABSENT;
    if (tdmrep) f->tdmrep = tparse(tdmrep);
    f->r.aitxt.state = PK_FILE_ABSENT;
    f->r.status = 200;
    f->head = hdr(head ? head : "");
    f->meta = html(meta_html ? meta_html : "");
    f->in.path = "/scripts/night-shift.html?draft=2";
    f->in.path_only = "/scripts/night-shift.html";
    f->in.robots = f->robots;
    f->in.tdmrep = f->tdmrep;
    f->in.head = &f->head;
    f->in.meta = &f->meta;
}

static void fx_free(fixture *f)
{
    pk_robots_free(f->robots);
    pk_tdmrep_free(f->tdmrep);
    free(f->r.agents);
}

static const pk_check_agent *agent(const fixture *f, const char *token)
{
    for (size_t i = 0; i < f->r.nagents; i++)
        if (strcmp(f->r.agents[i].token, token) == 0) return &f->r.agents[i];
    return NULL;
}

static int has_note(const pk_check_result *r, const char *part)
{
    for (size_t i = 0; i < r->nnotes; i++)
        if (strstr(r->notes[i], part)) return 1;
    return 0;
}

static void weigh_nothing_is_not_reserved(void)
{
    fixture f;
    fx_init(&f, NULL, NULL, NULL, NULL);
    pk_check_weigh(&f.in, &f.r);
    CHECK_EQ_I(f.r.verdict, PK_CHECK_NOT_RESERVED);
    CHECK(f.r.training > 5);
    CHECK_EQ_U(f.r.training_reserved, 0);
    CHECK_EQ_I(agent(&f, "GPTBot")->sv[PK_COL_ROBOTS], PK_SV_ALLOWED); /* 404: unavailable */
    CHECK(has_note(&f.r, "unavailable"));
    fx_free(&f);
}

static void weigh_robots_per_crawler(void)
{
    fixture f;
    fx_init(&f, "User-agent: GPTBot\nUser-agent: CCBot\nDisallow: /scripts/\n\nUser-agent: *\nAllow: /\n", NULL, NULL,
            NULL);
    pk_check_weigh(&f.in, &f.r);
    const pk_check_agent *g = agent(&f, "GPTBot"), *c = agent(&f, "ClaudeBot"), *cc = agent(&f, "CCBot");
    CHECK_EQ_I(g->sv[PK_COL_ROBOTS], PK_SV_RESERVED);
    CHECK(g->reserved);
    CHECK_EQ_U(g->robots_line, 3);
    CHECK_EQ_I(cc->reserved, 1);
    CHECK_EQ_I(cc->training, 1); /* corpus counts as training */
    CHECK_EQ_I(c->sv[PK_COL_ROBOTS], PK_SV_ALLOWED);
    CHECK_EQ_I(c->reserved, 0);
    CHECK_EQ_I(f.r.verdict, PK_CHECK_PARTIAL);
    CHECK_EQ_U(f.r.training_reserved, 2);
    fx_free(&f);
}

static void weigh_tdmrep_precedence(void)
{
    /* File alone. */
    fixture f;
    fx_init(&f, NULL, "[{\"location\":\"/scripts/\",\"tdm-reservation\":1,\"tdm-policy\":\"https://x.test/f\"}]", NULL,
            NULL);
    pk_check_weigh(&f.in, &f.r);
    CHECK_EQ_I(f.r.tdm, PK_TDM_RESERVED);
    CHECK_EQ_I(f.r.tdm_src, PK_TDMSRC_FILE);
    CHECK_STR(f.r.tdm_policy, "https://x.test/f");
    CHECK_EQ_I(f.r.tdm_rule, 0);
    CHECK_EQ_I(f.r.verdict, PK_CHECK_RESERVED);
    fx_free(&f);
    /* Header fields override the file. */
    fx_init(&f, NULL, "[{\"location\":\"/\",\"tdm-reservation\":1}]", "tdm-reservation: 0\r\n", NULL);
    pk_check_weigh(&f.in, &f.r);
    CHECK_EQ_I(f.r.tdm, PK_TDM_OPEN);
    CHECK_EQ_I(f.r.tdm_src, PK_TDMSRC_HEADER);
    CHECK_EQ_I(f.r.tdm_file, PK_TDM_RESERVED);
    CHECK(f.r.tdm_policy == NULL);
    CHECK_EQ_I(f.r.verdict, PK_CHECK_NOT_RESERVED);
    CHECK(has_note(&f.r, "overrides tdmrep.json"));
    fx_free(&f);
    /* Meta overrides header fields. */
    fx_init(&f, NULL, NULL, "tdm-reservation: 0\r\n", "<meta name=tdm-reservation content=1>");
    pk_check_weigh(&f.in, &f.r);
    CHECK_EQ_I(f.r.tdm, PK_TDM_RESERVED);
    CHECK_EQ_I(f.r.tdm_src, PK_TDMSRC_META);
    CHECK(has_note(&f.r, "meta tag's 1 overrides the header's 0"));
    CHECK_EQ_I(f.r.verdict, PK_CHECK_RESERVED);
    fx_free(&f);
    /* ... and the other way round. */
    fx_init(&f, NULL, NULL, "tdm-reservation: 1\r\ntdm-policy: https://x.test/h\r\n",
            "<meta name=tdm-reservation content=0>");
    pk_check_weigh(&f.in, &f.r);
    CHECK_EQ_I(f.r.tdm, PK_TDM_OPEN);
    CHECK(f.r.tdm_policy == NULL);
    CHECK_EQ_I(f.r.verdict, PK_CHECK_NOT_RESERVED);
    fx_free(&f);
}

static void weigh_conflict_most_restrictive_counts(void)
{
    fixture f;
    fx_init(&f, NULL, NULL, "Content-Usage: train-ai=n\r\n", "<meta name=tdm-reservation content=0>");
    pk_check_weigh(&f.in, &f.r);
    CHECK_EQ_I(f.r.verdict, PK_CHECK_RESERVED);
    CHECK_EQ_I(f.r.conflict, 1);
    CHECK_EQ_I(agent(&f, "GPTBot")->sv[PK_COL_TDMREP], PK_SV_ALLOWED);
    CHECK_EQ_I(agent(&f, "GPTBot")->sv[PK_COL_AIPREF], PK_SV_RESERVED);
    CHECK(has_note(&f.r, "conflicting signals"));
    fx_free(&f);
}

static void weigh_noai_scoped(void)
{
    fixture f;
    fx_init(&f, NULL, NULL, "X-Robots-Tag: GPTBot: noai\r\n", "<meta name=ClaudeBot content=noai>");
    pk_check_weigh(&f.in, &f.r);
    CHECK_EQ_I(agent(&f, "GPTBot")->sv[PK_COL_NOAI], PK_SV_RESERVED);
    CHECK_EQ_I(agent(&f, "ClaudeBot")->sv[PK_COL_NOAI], PK_SV_RESERVED);
    CHECK_EQ_I(agent(&f, "CCBot")->sv[PK_COL_NOAI], PK_SV_ABSENT);
    CHECK_EQ_I(f.r.verdict, PK_CHECK_PARTIAL);
    fx_free(&f);
    fx_init(&f, NULL, NULL, "X-Robots-Tag: noai\r\n", NULL);
    pk_check_weigh(&f.in, &f.r);
    CHECK_EQ_I(f.r.verdict, PK_CHECK_RESERVED);
    fx_free(&f);
}

static void weigh_robots_unreachable_is_not_a_reservation(void)
{
    fixture f;
    fx_init(&f, NULL, NULL, NULL, NULL);
    f.r.robots.state = PK_FILE_ERROR;
    f.r.robots.status = 503;
    snprintf(f.r.robots.why, sizeof f.r.robots.why, "HTTP 503");
    pk_check_weigh(&f.in, &f.r);
    CHECK_EQ_I(agent(&f, "GPTBot")->sv[PK_COL_ROBOTS], PK_SV_BLOCKED);
    CHECK_EQ_I(agent(&f, "GPTBot")->reserved, 0);
    CHECK_EQ_I(f.r.verdict, PK_CHECK_NOT_RESERVED);
    CHECK(has_note(&f.r, "unreachable"));
    fx_free(&f);
}

static void weigh_robots_content_usage(void)
{
    fixture f;
    fx_init(&f, "User-agent: *\nAllow: /\nContent-Usage: train-ai=n\n", NULL, NULL, NULL);
    pk_check_weigh(&f.in, &f.r);
    CHECK_EQ_I(agent(&f, "GPTBot")->sv[PK_COL_ROBOTS], PK_SV_ALLOWED);
    CHECK_EQ_I(agent(&f, "GPTBot")->sv[PK_COL_AIPREF], PK_SV_RESERVED);
    CHECK_EQ_I(f.r.verdict, PK_CHECK_RESERVED);
    fx_free(&f);
}

static void weigh_named_agents_all_count(void)
{
    fixture f;
    memset(&f, 0, sizeof f);
    const char *tokens[] = {"OAI-SearchBot", "MyBot"};
    pk_check_opts o;
    memset(&o, 0, sizeof o);
    o.agents = tokens;
    o.nagents = 2;
    pk_check_agent *a = NULL;
    size_t n = 0;
    CHECK_EQ_I(pk_check_agents(&o, &a, &n, NULL), 0);
    CHECK_EQ_U(n, 2);
    CHECK_STR(a[0].purpose, "search");
    CHECK_STR(a[1].purpose, "custom");
    CHECK_EQ_I(a[0].training, 1);
    CHECK_EQ_I(a[1].training, 1);
    free(a);
}

TEST_MAIN(TEST(match_is_a_prefix_match), TEST(match_is_case_sensitive), TEST(match_star_is_any_run),
          TEST(match_dollar_anchors_the_end), TEST(match_percent_encoding), TEST(tdmrep_first_matching_rule_wins),
          TEST(tdmrep_no_rule_matches), TEST(tdmrep_bad_values_and_rules), TEST(tdmrep_not_an_array),
          TEST(headers_tdmrep_fields), TEST(headers_content_usage_and_signal), TEST(headers_x_robots_tag),
          TEST(meta_tags), TEST(meta_in_broken_html), TEST(weigh_nothing_is_not_reserved),
          TEST(weigh_robots_per_crawler), TEST(weigh_tdmrep_precedence), TEST(weigh_conflict_most_restrictive_counts),
          TEST(weigh_noai_scoped), TEST(weigh_robots_unreachable_is_not_a_reservation),
          TEST(weigh_robots_content_usage), TEST(weigh_named_agents_all_count))
