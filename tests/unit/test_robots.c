/* test_robots.c -- robots.txt as RFC 9309 defines it, one rule per test.
 *
 * The RFC's own examples (2.2.1 groups, 2.2.3 special characters, 5.1 the
 * simple example, 5.2 longest match, 2.2.2 percent-encoding table), then
 * each parsing and matching rule: merged groups, the '*' fallback, case,
 * ties, wildcards, rules before any group, /robots.txt, BOM, line ends,
 * comments, long lines, the size limit; and Content-Usage lines. */
#include "reserve/reserve.h"
#include "test.h"

#include <stdlib.h>

static pk_robots *parse(const char *body)
{
    pk_robots *r = NULL;
    pk_error e;
    int rc = pk_robots_parse(&r, body, strlen(body), &e);
    CHECK_EQ_I(rc, 0);
    return r;
}

/* 1 allowed, 0 disallowed */
static int ok(const pk_robots *r, const char *agent, const char *path)
{
    pk_robots_verdict v;
    pk_robots_check(r, agent, path, &v);
    return v.allowed;
}

static pk_robots_verdict verdict(const pk_robots *r, const char *agent, const char *path)
{
    pk_robots_verdict v;
    pk_robots_check(r, agent, path, &v);
    return v;
}

/* RFC 9309 5.1 */
static const char SIMPLE[] = "User-Agent: *\n"
                             "Disallow: *.gif$\n"
                             "Disallow: /example/\n"
                             "Allow: /publications/\n"
                             "\n"
                             "User-Agent: foobot\n"
                             "Disallow:/\n"
                             "Allow:/example/page.html\n"
                             "Allow:/example/allowed.gif\n"
                             "\n"
                             "User-Agent: barbot\n"
                             "User-Agent: bazbot\n"
                             "Disallow: /example/page.html\n"
                             "\n"
                             "User-Agent: quxbot\n";

static void test_rfc_simple_example(void)
{
    pk_robots *r = parse(SIMPLE);
    /* foobot: everything disallowed but the two allowed pages */
    CHECK_EQ_I(ok(r, "foobot", "/example/page.html"), 1);
    CHECK_EQ_I(ok(r, "foobot", "/example/allowed.gif"), 1);
    CHECK_EQ_I(ok(r, "foobot", "/example/other.html"), 0);
    CHECK_EQ_I(ok(r, "foobot", "/"), 0);
    CHECK_EQ_I(ok(r, "foobot", "/publications/"), 0); /* the '*' group is not its */
    /* barbot and bazbot share one group */
    CHECK_EQ_I(ok(r, "barbot", "/example/page.html"), 0);
    CHECK_EQ_I(ok(r, "bazbot", "/example/page.html"), 0);
    CHECK_EQ_I(ok(r, "barbot", "/example/"), 1);
    CHECK_EQ_I(ok(r, "bazbot", "/a.gif"), 1);
    /* quxbot: an empty last group allows everything */
    CHECK_EQ_I(ok(r, "quxbot", "/example/"), 1);
    CHECK_EQ_I(ok(r, "quxbot", "/a.gif"), 1);
    /* anyone else obeys '*' */
    CHECK_EQ_I(ok(r, "otherbot", "/a.gif"), 0);
    CHECK_EQ_I(ok(r, "otherbot", "/a.gif?x"), 1); /* '$': .gif must end the path */
    CHECK_EQ_I(ok(r, "otherbot", "/example/x"), 0);
    CHECK_EQ_I(ok(r, "otherbot", "/publications/x"), 1);
    CHECK_EQ_I(ok(r, "otherbot", "/other"), 1);
    CHECK_EQ_U(pk_robots_group_count(r), 4);
    pk_robots_free(r);
}

/* RFC 9309 5.2 */
static void test_rfc_longest_match_example(void)
{
    pk_robots *r = parse("User-Agent: foobot\n"
                         "Allow: /example/page/\n"
                         "Disallow: /example/page/disallowed.gif\n");
    CHECK_EQ_I(ok(r, "foobot", "/example/page/"), 1);
    CHECK_EQ_I(ok(r, "foobot", "/example/page/ok.gif"), 1);
    CHECK_EQ_I(ok(r, "foobot", "/example/page/disallowed.gif"), 0);
    pk_robots_free(r);
}

/* RFC 9309 2.2.1: groups separated, several user-agent lines in one */
static void test_rfc_group_example(void)
{
    pk_robots *r = parse("user-agent: a\n"
                         "disallow: /c\n"
                         "\n"
                         "user-agent: b\n"
                         "disallow: /d\n"
                         "\n"
                         "user-agent: e\n"
                         "user-agent: f\n"
                         "disallow: /g\n"
                         "\n"
                         "user-agent: h\n");
    CHECK_EQ_I(ok(r, "a", "/c"), 0);
    CHECK_EQ_I(ok(r, "a", "/d"), 1);
    CHECK_EQ_I(ok(r, "b", "/d"), 0);
    CHECK_EQ_I(ok(r, "b", "/c"), 1);
    CHECK_EQ_I(ok(r, "e", "/g"), 0);
    CHECK_EQ_I(ok(r, "f", "/g"), 0);
    CHECK_EQ_I(ok(r, "h", "/c"), 1);
    CHECK_EQ_I(ok(r, "h", "/g"), 1);
    pk_robots_free(r);
}

/* RFC 9309 2.2.1: groups naming the same agent are merged */
static void test_merge_groups_same_agent(void)
{
    pk_robots *r = parse("user-agent: ExampleBot\n"
                         "disallow: /foo\n"
                         "disallow: /bar\n"
                         "\n"
                         "user-agent: other\n"
                         "disallow: /other\n"
                         "\n"
                         "user-agent: examplebot\n"
                         "disallow: /baz\n");
    CHECK_EQ_I(ok(r, "ExampleBot", "/foo"), 0);
    CHECK_EQ_I(ok(r, "ExampleBot", "/bar"), 0);
    CHECK_EQ_I(ok(r, "ExampleBot", "/baz"), 0);
    CHECK_EQ_I(ok(r, "ExampleBot", "/other"), 1);
    CHECK_EQ_I(ok(r, "ExampleBot", "/qux"), 1);
    pk_robots_verdict v = verdict(r, "ExampleBot", "/baz/x");
    CHECK_EQ_U(v.line, 9);
    CHECK_STR(v.rule, "disallow: /baz");
    CHECK_EQ_I(v.group_star, 0);
    pk_robots_free(r);
}

static void test_star_groups_merged_and_fallback(void)
{
    pk_robots *r = parse("user-agent: *\n"
                         "disallow: /a\n"
                         "user-agent: GPTBot\n"
                         "disallow: /g\n"
                         "user-agent: *\n"
                         "disallow: /b\n");
    CHECK_EQ_I(ok(r, "somebot", "/a"), 0);
    CHECK_EQ_I(ok(r, "somebot", "/b"), 0);
    CHECK_EQ_I(ok(r, "somebot", "/g"), 1);
    /* a group naming the agent replaces '*': GPTBot may fetch /a and /b */
    CHECK_EQ_I(ok(r, "GPTBot", "/a"), 1);
    CHECK_EQ_I(ok(r, "GPTBot", "/b"), 1);
    CHECK_EQ_I(ok(r, "GPTBot", "/g"), 0);
    pk_robots_verdict v = verdict(r, "somebot", "/b");
    CHECK_EQ_I(v.group_star, 1);
    CHECK_EQ_U(v.line, 6);
    v = verdict(r, "somebot", "/zzz");
    CHECK_EQ_I(v.allowed, 1);
    CHECK_EQ_U(v.line, 0);
    CHECK_STR(v.rule, "");
    CHECK_EQ_I(v.group_star, 1);
    CHECK_EQ_I(pk_robots_names_agent(r, "gptbot"), 1);
    CHECK_EQ_I(pk_robots_names_agent(r, "somebot"), 0);
    pk_robots_free(r);
}

static void test_no_matching_group_allows(void)
{
    pk_robots *r = parse("user-agent: foobot\ndisallow: /\n");
    CHECK_EQ_I(ok(r, "barbot", "/x"), 1);
    CHECK_EQ_I(verdict(r, "barbot", "/x").group_star, 0);
    pk_robots_free(r);
    r = parse("");
    CHECK_EQ_I(ok(r, "barbot", "/x"), 1);
    pk_robots_free(r);
    r = parse("# only a comment\nsitemap: https://example.com/s.xml\n");
    CHECK_EQ_I(ok(r, "barbot", "/x"), 1);
    pk_robots_free(r);
}

static void test_agent_case_insensitive(void)
{
    pk_robots *r = parse("USER-AGENT: gptbot\nDISALLOW: /\n");
    CHECK_EQ_I(ok(r, "GPTBot", "/x"), 0);
    CHECK_EQ_I(ok(r, "GPTBOT", "/x"), 0);
    CHECK_EQ_I(ok(r, "GPTBotX", "/x"), 1); /* whole token, not a prefix */
    CHECK_EQ_I(ok(r, "GPT", "/x"), 1);
    pk_robots_free(r);
    r = parse("uSeR-aGeNt : *\n  dIsAlLoW :   /p  \n");
    CHECK_EQ_I(ok(r, "x", "/p"), 0);
    pk_robots_free(r);
}

/* Google's practice (not the RFC): a version after '/' is dropped on both sides */
static void test_agent_version_dropped(void)
{
    pk_robots *r = parse("user-agent: GPTBot/1.1\ndisallow: /\n");
    CHECK_EQ_I(ok(r, "GPTBot", "/x"), 0);
    CHECK_EQ_I(ok(r, "GPTBot/1.2", "/x"), 0);
    pk_robots_free(r);
}

/* tokens outside RFC 9309's [a-zA-Z_-] grammar, as operators write them */
static void test_agent_tokens_outside_grammar(void)
{
    pk_robots *r = parse("user-agent: AI2Bot\n"
                         "user-agent: Meta-ExternalAgent\n"
                         "user-agent: Kangaroo Bot\n"
                         "disallow: /\n");
    CHECK_EQ_I(ok(r, "AI2Bot", "/x"), 0);
    CHECK_EQ_I(ok(r, "ai2bot", "/x"), 0);
    CHECK_EQ_I(ok(r, "AI", "/x"), 1);
    CHECK_EQ_I(ok(r, "meta-externalagent", "/x"), 0);
    CHECK_EQ_I(ok(r, "Kangaroo Bot", "/x"), 0);
    CHECK_EQ_I(ok(r, "Kangaroo", "/x"), 1);
    pk_robots_free(r);
}

/* 2.2.2: the most octets win; allow wins a tie */
static void test_longest_match_and_allow_wins_ties(void)
{
    pk_robots *r = parse("user-agent: *\n"
                         "disallow: /a\n"
                         "allow: /a/b\n"
                         "disallow: /a/b/c\n"
                         "disallow: /tie\n"
                         "allow: /tie\n"
                         "allow: /t2\n"
                         "disallow: /t2\n"
                         "disallow: /w*\n"  /* 3 octets */
                         "allow: /wx\n"); /* 3 octets: tie, allow */
    CHECK_EQ_I(ok(r, "x", "/a"), 0);
    CHECK_EQ_I(ok(r, "x", "/a/b"), 1);
    CHECK_EQ_I(ok(r, "x", "/a/b/c/d"), 0);
    CHECK_EQ_I(ok(r, "x", "/tie"), 1);
    CHECK_EQ_I(ok(r, "x", "/t2"), 1);
    CHECK_EQ_I(ok(r, "x", "/wx"), 1);
    CHECK_EQ_I(ok(r, "x", "/wy"), 0);
    pk_robots_verdict v = verdict(r, "x", "/tie");
    CHECK_STR(v.rule, "allow: /tie");
    CHECK_EQ_U(v.line, 6);
    pk_robots_free(r);
    /* "allow: /" and "disallow: /" */
    r = parse("user-agent: *\ndisallow: /\nallow: /\n");
    CHECK_EQ_I(ok(r, "x", "/anything"), 1);
    pk_robots_free(r);
}

/* 2.2.3 and its examples */
static void test_special_characters(void)
{
    pk_robots *r = parse("user-agent: *\n"
                         "disallow: /\n"
                         "allow: /this/path/exactly$\n"
                         "allow: /that/*/exactly\n"
                         "allow: /path/file-with-a-%2A.html\n"
                         "allow: /path/foo-%24\n"
                         "allow: /money$x\n");
    CHECK_EQ_I(ok(r, "x", "/this/path/exactly"), 1);
    CHECK_EQ_I(ok(r, "x", "/this/path/exactly/"), 0);
    CHECK_EQ_I(ok(r, "x", "/this/path/exactlyx"), 0);
    CHECK_EQ_I(ok(r, "x", "/that/a/b/exactly"), 1);
    CHECK_EQ_I(ok(r, "x", "/that/a/exactly/more"), 1); /* no '$': a prefix */
    CHECK_EQ_I(ok(r, "x", "/that/exactly"), 0); /* '*' then "/exactly": needs two slashes */
    CHECK_EQ_I(ok(r, "x", "/that//exactly"), 1);
    CHECK_EQ_I(ok(r, "x", "/path/file-with-a-*.html"), 1);
    CHECK_EQ_I(ok(r, "x", "/path/file-with-a-%2a.html"), 1);
    CHECK_EQ_I(ok(r, "x", "/path/file-with-a-x.html"), 0);
    CHECK_EQ_I(ok(r, "x", "/path/foo-$"), 1);
    CHECK_EQ_I(ok(r, "x", "/money$x"), 1); /* '$' inside a pattern is literal */
    pk_robots_free(r);
}

static void test_wildcards(void)
{
    pk_robots *r = parse("user-agent: *\n"
                         "disallow: /*.php$\n"
                         "disallow: /*?\n"
                         "disallow: /a**b\n"
                         "disallow: *private\n"
                         "disallow: /end$\n");
    CHECK_EQ_I(ok(r, "x", "/index.php"), 0);
    CHECK_EQ_I(ok(r, "x", "/dir/x.php"), 0);
    CHECK_EQ_I(ok(r, "x", "/index.php5"), 1);
    CHECK_EQ_I(ok(r, "x", "/index.php/x"), 1);
    CHECK_EQ_I(ok(r, "x", "/page?q=1"), 0);
    CHECK_EQ_I(ok(r, "x", "/page"), 1);
    CHECK_EQ_I(ok(r, "x", "/ab"), 0);
    CHECK_EQ_I(ok(r, "x", "/axxxbyyy"), 0);
    CHECK_EQ_I(ok(r, "x", "/my/private/x"), 0);
    CHECK_EQ_I(ok(r, "x", "/end"), 0);
    CHECK_EQ_I(ok(r, "x", "/end/"), 1);
    CHECK_EQ_I(ok(r, "x", "/ending"), 1);
    pk_robots_free(r);
    /* many stars against a long path stays quick (no exponential backtracking) */
    r = parse("user-agent: *\ndisallow: /*a*a*a*a*a*a*a*a*a*a*a*a*b$\n");
    char path[4001];
    path[0] = '/';
    memset(path + 1, 'a', sizeof path - 2);
    path[sizeof path - 1] = '\0';
    CHECK_EQ_I(ok(r, "x", path), 1);
    pk_robots_free(r);
}

/* 2.2.2's table: encoded and unencoded forms compare equal */
static void test_percent_encoding(void)
{
    pk_robots *r = parse("user-agent: *\n"
                         "disallow: /foo/bar?baz=quz\n"
                         "disallow: /foo/bar?baz=https%3A%2F%2Ffoo.bar\n"
                         "disallow: /foo/bar/\xE3\x83\x84\n"
                         "disallow: /foo/bar/%62%61%7A\n"
                         "disallow: /low/%7e%2f\n"
                         "disallow: /sp ace\n");
    CHECK_EQ_I(ok(r, "x", "/foo/bar?baz=quz"), 0);
    CHECK_EQ_I(ok(r, "x", "/foo/bar?baz=https%3A%2F%2Ffoo.bar"), 0);
    CHECK_EQ_I(ok(r, "x", "/foo/bar?baz=https%3a%2f%2ffoo.bar"), 0);
    CHECK_EQ_I(ok(r, "x", "/foo/bar/%E3%83%84"), 0);
    CHECK_EQ_I(ok(r, "x", "/foo/bar/%e3%83%84"), 0);
    CHECK_EQ_I(ok(r, "x", "/foo/bar/\xE3\x83\x84"), 0);
    CHECK_EQ_I(ok(r, "x", "/foo/bar/baz"), 0);
    CHECK_EQ_I(ok(r, "x", "/foo/bar/%62az"), 0);
    CHECK_EQ_I(ok(r, "x", "/low/~%2F"), 0);  /* %7e is unreserved: decoded */
    CHECK_EQ_I(ok(r, "x", "/low/~/"), 1);    /* %2F is reserved: not a '/' */
    CHECK_EQ_I(ok(r, "x", "/sp%20ace"), 0);
    CHECK_EQ_I(ok(r, "x", "/foo/bar/other"), 1);
    pk_robots_free(r);
}

/* 2.1: rules before the first user-agent line belong to no group */
static void test_rules_before_user_agent_ignored(void)
{
    pk_robots *r = parse("disallow: /\n"
                         "allow: /x\n"
                         "user-agent: *\n"
                         "disallow: /private\n");
    CHECK_EQ_I(ok(r, "x", "/public"), 1);
    CHECK_EQ_I(ok(r, "x", "/private"), 0);
    pk_robots_free(r);
}

/* 2.2.2: /robots.txt is implicitly allowed */
static void test_robots_txt_always_allowed(void)
{
    pk_robots *r = parse("user-agent: *\ndisallow: /\ndisallow: /robots.txt\n");
    CHECK_EQ_I(ok(r, "x", "/robots.txt"), 1);
    CHECK_EQ_I(ok(r, "x", "https://example.com/robots.txt"), 1);
    CHECK_EQ_I(ok(r, "x", "/robots.txt.bak"), 0);
    CHECK_EQ_I(ok(r, "x", "/index.html"), 0);
    pk_robots_free(r);
}

static void test_bom_and_line_ends(void)
{
    pk_robots *r = parse("\xEF\xBB\xBFuser-agent: a\rdisallow: /cr\r\n"
                         "user-agent: b\r\ndisallow: /crlf\r\n"
                         "user-agent: c\ndisallow: /lf");
    CHECK_EQ_I(ok(r, "a", "/cr"), 0);
    CHECK_EQ_I(ok(r, "b", "/crlf"), 0);
    CHECK_EQ_I(ok(r, "c", "/lf"), 0); /* no final newline */
    CHECK_EQ_I(ok(r, "a", "/lf"), 1);
    CHECK_EQ_I(ok(r, "c", "/crlf"), 1);
    CHECK_EQ_U(verdict(r, "a", "/cr").line, 2);
    CHECK_EQ_U(verdict(r, "b", "/crlf").line, 4);
    CHECK_EQ_U(verdict(r, "c", "/lf").line, 6);
    pk_robots_free(r);
    /* "\n\r" is two line ends: a blank line between */
    r = parse("user-agent: a\n\rdisallow: /x\n");
    CHECK_EQ_U(verdict(r, "a", "/x").line, 3);
    pk_robots_free(r);
}

static void test_comments(void)
{
    pk_robots *r = parse("# a robots file\n"
                         "user-agent: a # the a bot\n"
                         "disallow: /x#y  # comment\n"
                         "#disallow: /z\n");
    CHECK_EQ_I(ok(r, "a", "/x"), 0);
    CHECK_EQ_I(ok(r, "a", "/z"), 1);
    CHECK_STR(verdict(r, "a", "/x").rule, "disallow: /x");
    pk_robots_free(r);
}

static void test_junk_lines_ignored(void)
{
    pk_robots *r = parse("<html>\n"
                         "user-agent: a\n"
                         "this is not a rule\n"
                         "disallow /nocolon\n"
                         "crawl-delay: 10\n"
                         "sitemap: https://example.com/s.xml\n"
                         "disallow: /x\n"
                         "\x01\x02\xff: junk\n");
    CHECK_EQ_I(ok(r, "a", "/x"), 0);
    CHECK_EQ_I(ok(r, "a", "/nocolon"), 1);
    pk_robots_free(r);
}

/* lines that are not rules do not end a run of user-agent lines */
static void test_user_agent_run_and_new_group(void)
{
    pk_robots *r = parse("user-agent: a\n"
                         "sitemap: /s.xml\n"
                         "user-agent: b\n"
                         "disallow: /x\n"
                         "user-agent: c\n" /* after a rule: a new group */
                         "disallow: /y\n");
    CHECK_EQ_I(ok(r, "a", "/x"), 0);
    CHECK_EQ_I(ok(r, "b", "/x"), 0);
    CHECK_EQ_I(ok(r, "a", "/y"), 1);
    CHECK_EQ_I(ok(r, "c", "/y"), 0);
    CHECK_EQ_I(ok(r, "c", "/x"), 1);
    CHECK_EQ_U(pk_robots_group_count(r), 2);
    pk_robots_free(r);
}

static void test_empty_disallow_allows(void)
{
    pk_robots *r = parse("user-agent: *\ndisallow:\n");
    CHECK_EQ_I(ok(r, "x", "/"), 1);
    CHECK_EQ_I(ok(r, "x", "/any"), 1);
    pk_robots_free(r);
    r = parse("user-agent: a\ndisallow:\nuser-agent: b\ndisallow: /\n");
    CHECK_EQ_I(ok(r, "a", "/x"), 1);
    CHECK_EQ_I(ok(r, "b", "/x"), 0);
    pk_robots_free(r);
}

static void test_url_forms(void)
{
    pk_robots *r = parse("user-agent: *\ndisallow: /a?b\ndisallow: /q\n");
    CHECK_EQ_I(ok(r, "x", "https://example.com/a?b=1#frag"), 0);
    CHECK_EQ_I(ok(r, "x", "http://example.com:8080/a?c"), 1);
    CHECK_EQ_I(ok(r, "x", "https://example.com"), 1);
    CHECK_EQ_I(ok(r, "x", "q"), 0); /* no leading '/': given one */
    CHECK_EQ_I(ok(r, "x", "/a#?b"), 1);
    CHECK_EQ_I(ok(r, "x", ""), 1);
    CHECK_EQ_I(ok(r, NULL, NULL), 1);
    pk_robots_free(r);
}

static void test_long_line(void)
{
    size_t n = 200000;
    char *body = malloc(n + 64);
    CHECK(body != NULL);
    if (!body) return;
    strcpy(body, "user-agent: *\ndisallow: /");
    size_t at = strlen(body);
    memset(body + at, 'x', n);
    strcpy(body + at + n, "\nallow: /ok\n");
    pk_robots *r = parse(body);
    CHECK_EQ_I(ok(r, "a", "/ok"), 1);
    CHECK_EQ_I(ok(r, "a", "/xxx"), 1);
    char *path = malloc(n + 2);
    if (path) {
        path[0] = '/';
        memset(path + 1, 'x', n);
        path[n + 1] = '\0';
        CHECK_EQ_I(ok(r, "a", path), 0); /* a path over 4 KiB is matched whole */
        pk_robots_verdict v = verdict(r, "a", path);
        CHECK_EQ_U(strlen(v.rule), 255); /* rule text is cut to fit */
    }
    free(path);
    pk_robots_free(r);
    free(body);
}

/* 2.5: at least 500 KiB parsed; the rest ignored and said so */
static void test_size_limit(void)
{
    size_t n = 700 * 1024;
    char *body = malloc(n + 1);
    CHECK(body != NULL);
    if (!body) return;
    memset(body, '#', n);
    const char head[] = "user-agent: *\n";
    memcpy(body, head, sizeof head - 1);
    size_t at = 499 * 1024;
    body[at - 1] = '\n';
    const char in[] = "disallow: /in\n";
    memcpy(body + at, in, sizeof in - 1);
    body[at + sizeof in - 1] = '#';
    at = 600 * 1024;
    body[at - 1] = '\n';
    const char out[] = "disallow: /out\n";
    memcpy(body + at, out, sizeof out - 1);
    body[n] = '\0';
    pk_robots *r = parse(body);
    CHECK_EQ_I(pk_robots_truncated(r), 1);
    CHECK_EQ_I(ok(r, "a", "/in"), 0);
    CHECK_EQ_I(ok(r, "a", "/out"), 1);
    pk_robots_free(r);
    /* a rule cut in two by the limit is not read as its first half */
    memset(body, '#', n);
    memcpy(body, head, sizeof head - 1);
    body[PK_ROBOTS_MAX_BYTES - 9] = '\n';
    memcpy(body + PK_ROBOTS_MAX_BYTES - 8, "disallow: /half\n", 16);
    r = parse(body);
    CHECK_EQ_I(ok(r, "a", "/h"), 1);
    pk_robots_free(r);
    free(body);
    r = parse("user-agent: *\n");
    CHECK_EQ_I(pk_robots_truncated(r), 0);
    pk_robots_free(r);
}

static void test_nul_bytes(void)
{
    static const char body[] = "user-agent: *\ndisallow: /a\0b\ndisallow: /c\n";
    pk_robots *r = NULL;
    CHECK_EQ_I(pk_robots_parse(&r, body, sizeof body - 1, NULL), 0);
    CHECK_EQ_I(ok(r, "x", "/c"), 0);
    CHECK_EQ_I(ok(r, "x", "/a"), 1);     /* the rule is "/a%00b" */
    CHECK_EQ_I(ok(r, "x", "/a%00bc"), 0);
    pk_robots_free(r);
}

static void test_content_usage(void)
{
    pk_robots *r = parse("user-agent: *\n"
                         "content-usage: train-ai=n\n"
                         "content-usage: /public/ train-ai=y\n"
                         "content-signal: search=yes, ai-train=no\n"
                         "allow: /\n"
                         "user-agent: GPTBot\n"
                         "disallow: /\n");
    char buf[128];
    CHECK_EQ_I(pk_robots_content_usage(r, "x", "/a", buf, sizeof buf), 1);
    CHECK_STR(buf, "Content-Usage: train-ai=n; Content-Signal: search=yes, ai-train=no");
    CHECK_EQ_I(pk_robots_content_usage(r, "x", "/public/p", buf, sizeof buf), 1);
    CHECK_STR(buf, "Content-Usage: train-ai=y; Content-Signal: search=yes, ai-train=no");
    CHECK_EQ_I(pk_robots_content_usage(r, "GPTBot", "/a", buf, sizeof buf), 0);
    CHECK_STR(buf, "");
    char tiny[8];
    CHECK_EQ_I(pk_robots_content_usage(r, "x", "/a", tiny, sizeof tiny), 1);
    CHECK_EQ_U(strlen(tiny), 7);
    /* Content-Usage is a rule line: it ends a run of user-agent lines but
     * does not change allow/disallow verdicts */
    CHECK_EQ_I(ok(r, "x", "/a"), 1);
    pk_robots_free(r);
}

static void test_agents_list(void)
{
    size_t n = 0;
    const char *ver = NULL, *date = NULL;
    const pk_agent *a = pk_agents(&n, &ver, &date);
    CHECK(n >= 20);
    CHECK(ver && *ver);
    CHECK(date && strlen(date) == 10);
    int gpt = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK(a[i].token && *a[i].token && a[i].op && *a[i].op && a[i].purpose && a[i].note);
        if (strcmp(a[i].token, "GPTBot") == 0) gpt = strcmp(a[i].purpose, "training") == 0;
        for (size_t j = 0; j < i; j++) CHECK(strcasecmp(a[i].token, a[j].token) != 0);
    }
    CHECK(gpt);
    CHECK(pk_agent_find("gptbot") != NULL);
    CHECK_STR(pk_agent_find("OAI-SearchBot")->purpose, "search");
    CHECK(pk_agent_find("nosuchbot") == NULL);
}

TEST_MAIN(TEST(test_rfc_simple_example), TEST(test_rfc_longest_match_example), TEST(test_rfc_group_example),
          TEST(test_merge_groups_same_agent), TEST(test_star_groups_merged_and_fallback),
          TEST(test_no_matching_group_allows), TEST(test_agent_case_insensitive),
          TEST(test_agent_version_dropped), TEST(test_agent_tokens_outside_grammar),
          TEST(test_longest_match_and_allow_wins_ties), TEST(test_special_characters), TEST(test_wildcards),
          TEST(test_percent_encoding), TEST(test_rules_before_user_agent_ignored),
          TEST(test_robots_txt_always_allowed), TEST(test_bom_and_line_ends), TEST(test_comments),
          TEST(test_junk_lines_ignored), TEST(test_user_agent_run_and_new_group), TEST(test_empty_disallow_allows),
          TEST(test_url_forms), TEST(test_long_line), TEST(test_size_limit), TEST(test_nul_bytes),
          TEST(test_content_usage), TEST(test_agents_list))
