/* reserve_check.c -- `picket reserve check URL...`: is each URL reserved
 * from AI training?  Reads the URLs (arguments, --file LIST, or '-' for
 * stdin; one per line, '#' comments and blank lines skipped), hands them
 * to the checker (src/reserve/check.c) in batches, and prints one report
 * per URL: a table per crawler, or one JSON object per line with --json.
 * Exit 0 when every training crawler is reserved on every URL, 1 when
 * not, 2 when a URL could not be checked (or on any other error). */
#include "cli.h"
#include "reserve/check.h"
#include "reserve/http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 256
#define LINE_MAX_LEN 8192
#define AGENTS_MAX 64

typedef struct out {
    int json;
    int worst; /* EXIT_* so far */
    int named; /* --agent given: the verdict is on those crawlers */
    pk_buf b;
} out;

/* ---- JSON ---------------------------------------------------------------- */

static void jkey(pk_buf *b, const char *k, int *first)
{
    if (!*first) pk_buf_putc(b, ',');
    *first = 0;
    pk_buf_json_str(b, k, strlen(k));
    pk_buf_putc(b, ':');
}

static void jstr(pk_buf *b, const char *k, const char *v, int *first)
{
    jkey(b, k, first);
    if (v) pk_buf_json_str(b, v, strlen(v));
    else pk_buf_append(b, "null", 4);
}

/* "" is null: a field that was not there. */
static void jstr0(pk_buf *b, const char *k, const char *v, int *first) { jstr(b, k, v && v[0] ? v : NULL, first); }

static void jnum(pk_buf *b, const char *k, long long v, int *first)
{
    jkey(b, k, first);
    pk_buf_printf(b, "%lld", v);
}

static void jbool(pk_buf *b, const char *k, int v, int *first)
{
    jkey(b, k, first);
    pk_buf_append(b, v ? "true" : "false", v ? 4 : 5);
}

static void jtdm(pk_buf *b, const char *k, int t, int *first)
{
    jkey(b, k, first);
    if (t == PK_TDM_UNSET) pk_buf_append(b, "null", 4);
    else pk_buf_printf(b, "%d", t);
}

static void json_file(pk_buf *b, const char *k, const pk_check_file *f, int *first, int robots, size_t groups)
{
    jkey(b, k, first);
    int fi = 1;
    pk_buf_putc(b, '{');
    jstr(b, "url", f->url[0] ? f->url : NULL, &fi);
    jstr(b, "state", pk_file_state_name(f->state), &fi);
    jnum(b, "status", f->status, &fi);
    jnum(b, "redirects", f->redirects, &fi);
    if (robots) {
        jbool(b, "truncated", f->truncated, &fi);
        jnum(b, "groups", (long long)groups, &fi);
    }
    jkey(b, "age_s", &fi);
    pk_buf_printf(b, "%.3f", f->state == PK_FILE_SKIPPED ? 0.0 : f->age);
    jstr0(b, "error", f->why, &fi);
    pk_buf_putc(b, '}');
}

static void json_signals(pk_buf *b, const char *k, const pk_signals *s, int header, int *first)
{
    jkey(b, k, first);
    int fi = 1;
    pk_buf_putc(b, '{');
    jstr0(b, "tdm_reservation", s->tdm_raw, &fi);
    jstr0(b, "tdm_policy", s->tdm_policy, &fi);
    if (header) {
        jstr0(b, "content_usage", s->usage, &fi);
        jstr0(b, "content_signal", s->signal, &fi);
    }
    jstr0(b, header ? "x_robots_tag" : "robots", s->robots_raw, &fi);
    pk_buf_putc(b, '}');
}

static void print_json(out *o, const pk_check_result *r)
{
    static const char *const outcomes[] = {"ok", "timed-out", "unreachable", "too-many-redirects", "failed"};
    pk_buf *b = &o->b;
    pk_buf_reset(b);
    int first = 1;
    pk_buf_putc(b, '{');
    jstr(b, "url", r->url, &first);
    jstr0(b, "normalized_url", r->norm_url, &first);
    jstr(b, "verdict", pk_check_verdict_name(r->verdict), &first);
    jstr0(b, "error", r->why, &first);
    jnum(b, "training_crawlers", (long long)r->training, &first);
    jnum(b, "training_reserved", (long long)r->training_reserved, &first);
    jbool(b, "conflict", r->conflict, &first);
    int skipped = r->robots.state == PK_FILE_SKIPPED;
    if (!skipped) {
        jkey(b, "page", &first);
        int fi = 1;
        pk_buf_putc(b, '{');
        jstr(b, "fetch", r->page_outcome >= 0 && r->page_outcome <= PK_FETCH_FAILED ? outcomes[r->page_outcome] : "?",
             &fi);
        jnum(b, "status", r->status, &fi);
        jstr0(b, "final_url", r->final_url, &fi);
        jnum(b, "redirects", r->redirects, &fi);
        jstr0(b, "content_type", r->ctype, &fi);
        jkey(b, "seconds", &fi);
        pk_buf_printf(b, "%.3f", r->seconds);
        pk_buf_putc(b, '}');
    }
    json_file(b, "robots_txt", &r->robots, &first, 1, r->robots_groups);
    json_file(b, "tdmrep_json", &r->tdmrep, &first, 0, 0);
    json_file(b, "ai_txt", &r->aitxt, &first, 0, 0);
    jkey(b, "tdmrep", &first);
    {
        int fi = 1;
        pk_buf_putc(b, '{');
        jtdm(b, "reservation", r->tdm, &fi);
        jstr(b, "source", r->tdm == PK_TDM_UNSET ? NULL : pk_tdmsrc_name(r->tdm_src), &fi);
        jstr(b, "policy", r->tdm_policy, &fi);
        jtdm(b, "file", r->tdm_file, &fi);
        jkey(b, "file_rule", &fi);
        if (r->tdm_rule >= 0) pk_buf_printf(b, "%ld", r->tdm_rule);
        else pk_buf_append(b, "null", 4);
        jstr(b, "file_location", r->tdm_location, &fi);
        jtdm(b, "header", r->head.tdm, &fi);
        jtdm(b, "meta", r->meta.tdm, &fi);
        pk_buf_putc(b, '}');
    }
    json_signals(b, "headers", &r->head, 1, &first);
    json_signals(b, "meta", &r->meta, 0, &first);
    jkey(b, "agents", &first);
    pk_buf_putc(b, '[');
    for (size_t i = 0; i < r->nagents; i++) {
        const pk_check_agent *a = &r->agents[i];
        int fi = 1;
        pk_buf_append(b, i ? ",{" : "{", i ? 2 : 1);
        jstr(b, "token", a->token, &fi);
        jstr0(b, "operator", a->op, &fi);
        jstr(b, "purpose", a->purpose, &fi);
        jbool(b, "training", a->training, &fi);
        jbool(b, "reserved", a->reserved, &fi);
        jkey(b, "signals", &fi);
        int fs = 1;
        pk_buf_putc(b, '{');
        for (int c = 0; c < PK_NCOLS; c++) jstr(b, pk_col_name(c), pk_sv_name(a->sv[c]), &fs);
        pk_buf_putc(b, '}');
        jstr0(b, "robots_rule", a->robots_rule, &fi);
        jnum(b, "robots_line", a->robots_line, &fi);
        jbool(b, "robots_star_group", a->robots_star, &fi);
        jstr0(b, "robots_content_usage", a->robots_usage, &fi);
        pk_buf_putc(b, '}');
    }
    pk_buf_putc(b, ']');
    jkey(b, "notes", &first);
    pk_buf_putc(b, '[');
    for (size_t i = 0; i < r->nnotes; i++) {
        if (i) pk_buf_putc(b, ',');
        pk_buf_json_str(b, r->notes[i], strlen(r->notes[i]));
    }
    pk_buf_append(b, "]}\n", 3);
    fwrite(b->data, 1, b->len, stdout);
}

/* ---- the table ------------------------------------------------------------ */

static const char *cell(int col, int sv)
{
    switch (sv) {
    case PK_SV_RESERVED: return col == PK_COL_ROBOTS ? "disallow" : "yes";
    case PK_SV_ALLOWED: return col == PK_COL_ROBOTS ? "allow" : "no";
    case PK_SV_UNKNOWN: return "?";
    case PK_SV_BLOCKED: return "blocked";
    default: return "-";
    }
}

static void print_file(const char *name, const pk_check_file *f, const char *extra)
{
    printf("  %-12s %s", name, pk_file_state_name(f->state));
    if (f->status) printf(" (HTTP %ld%s%s)", f->status, f->redirects ? ", redirected" : "", extra ? extra : "");
    char plain[32];
    snprintf(plain, sizeof plain, "HTTP %ld", f->status);
    if (f->why[0] && f->state != PK_FILE_FOUND && strcmp(f->why, plain) != 0) printf(": %s", f->why);
    putchar('\n');
}

static void print_human(const pk_check_result *r, int named)
{
    printf("%s\n", r->norm_url[0] ? r->norm_url : r->url);
    if (r->robots.state == PK_FILE_SKIPPED) {
        printf("  verdict: error: %s\n\n", r->why);
        return;
    }
    if (r->page_outcome == PK_FETCH_OK)
        printf("  %-12s HTTP %ld%s%s, %s, %.2f s\n", "page", r->status, r->redirects ? " via " : "",
               r->redirects ? r->final_url : "", r->ctype[0] ? r->ctype : "no content type", r->seconds);
    else printf("  %-12s %s: %s\n", "page", pk_check_verdict_name(r->verdict), r->why);
    char extra[64];
    snprintf(extra, sizeof extra, ", %zu group%s%s", r->robots_groups, r->robots_groups == 1 ? "" : "s",
             r->robots.truncated ? ", cut at 512 KiB" : "");
    print_file("robots.txt", &r->robots, r->robots.state == PK_FILE_FOUND ? extra : NULL);
    print_file("tdmrep.json", &r->tdmrep, NULL);
    print_file("ai.txt", &r->aitxt, NULL);
    if (r->tdm == PK_TDM_UNSET) printf("  %-12s no tdm-reservation\n", "TDMRep");
    else {
        printf("  %-12s tdm-reservation %d from %s", "TDMRep", r->tdm, pk_tdmsrc_name(r->tdm_src));
        if (r->tdm_src == PK_TDMSRC_FILE && r->tdm_location) printf(" rule %ld (%s)", r->tdm_rule + 1, r->tdm_location);
        if (r->tdm_policy) printf(", policy %s", r->tdm_policy);
        putchar('\n');
    }
    const pk_signals *h = &r->head;
    if (h->tdm_raw[0] || h->usage[0] || h->signal[0] || h->robots_raw[0]) {
        printf("  %-12s", "headers");
        if (h->tdm_raw[0]) printf(" tdm-reservation: %s;", h->tdm_raw);
        if (h->usage[0]) printf(" Content-Usage: %s;", h->usage);
        if (h->signal[0]) printf(" Content-Signal: %s;", h->signal);
        if (h->robots_raw[0]) printf(" X-Robots-Tag: %s;", h->robots_raw);
        putchar('\n');
    }
    const pk_signals *m = &r->meta;
    if (m->tdm_raw[0] || m->robots_raw[0]) {
        printf("  %-12s", "meta");
        if (m->tdm_raw[0]) printf(" tdm-reservation=%s;", m->tdm_raw);
        if (m->robots_raw[0]) printf(" noai directives: %s;", m->robots_raw);
        putchar('\n');
    }
    if (r->verdict == PK_CHECK_TIMEOUT || r->verdict == PK_CHECK_ERROR) {
        /* Without the page there is no answer per crawler to show. */
        for (size_t i = 0; i < r->nnotes; i++) printf("  note: %s\n", r->notes[i]);
        printf("  verdict: %s: %s\n\n", pk_check_verdict_name(r->verdict), r->why);
        return;
    }
    printf("  %-30s %-10s %-8s %-7s %-7s %-5s %-7s %s\n", "CRAWLER", "PURPOSE", "ROBOTS", "TDMREP", "AIPREF", "NOAI",
           "AI.TXT", "RESERVED");
    for (size_t i = 0; i < r->nagents; i++) {
        const pk_check_agent *a = &r->agents[i];
        printf("  %-30s %-10s %-8s %-7s %-7s %-5s %-7s %s\n", a->token, a->purpose,
               cell(PK_COL_ROBOTS, a->sv[PK_COL_ROBOTS]), cell(PK_COL_TDMREP, a->sv[PK_COL_TDMREP]),
               cell(PK_COL_AIPREF, a->sv[PK_COL_AIPREF]), cell(PK_COL_NOAI, a->sv[PK_COL_NOAI]),
               cell(PK_COL_AITXT, a->sv[PK_COL_AITXT]), a->reserved ? "yes" : "NO");
    }
    for (size_t i = 0; i < r->nnotes; i++) printf("  note: %s\n", r->notes[i]);
    printf("  verdict: %s (%zu of %zu %s reserved)\n\n", pk_check_verdict_name(r->verdict), r->training_reserved,
           r->training, named ? "crawlers named" : "training crawlers");
}

static int on_result(const pk_check_result *r, void *ud)
{
    out *o = ud;
    if (o->json) print_json(o, r);
    else print_human(r, o->named);
    int code = r->verdict == PK_CHECK_RESERVED ? EXIT_FOUND
               : r->verdict == PK_CHECK_PARTIAL || r->verdict == PK_CHECK_NOT_RESERVED ? EXIT_NONE
                                                                                         : EXIT_ERR;
    if (code > o->worst) o->worst = code;
    fflush(stdout);
    return 0;
}

/* ---- input ---------------------------------------------------------------- */

static int run_batch(pk_checker *ck, char **urls, size_t n, out *o)
{
    pk_error e;
    memset(&e, 0, sizeof e);
    int rc = pk_checker_run(ck, (const char *const *)urls, n, on_result, o, &e);
    for (size_t i = 0; i < n; i++) free(urls[i]);
    if (rc) return cli_perror(&e);
    return 0;
}

/* URLs from a list, one per line, in batches. */
static int run_list(pk_checker *ck, const char *path, out *o)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) return cli_error("%s: %s", path, strerror(errno));
    char *urls[BATCH];
    size_t n = 0;
    char line[LINE_MAX_LEN];
    unsigned long lineno = 0;
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t l = strlen(line);
        if (l == sizeof line - 1 && line[l - 1] != '\n' && !feof(f)) {
            rc = cli_error("%s: line %lu is longer than %d bytes", path, lineno, LINE_MAX_LEN - 2);
            break;
        }
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t'))
            line[--l] = 0;
        if (!*s || *s == '#') continue;
        if (!(urls[n] = strdup(s))) {
            rc = cli_error("out of memory");
            break;
        }
        if (++n == BATCH) {
            rc = run_batch(ck, urls, n, o);
            n = 0;
            if (rc) break;
        }
    }
    if (!rc && ferror(f)) rc = cli_error("%s: %s", path, strerror(errno));
    if (!rc && n) rc = run_batch(ck, urls, n, o);
    else
        for (size_t i = 0; i < n; i++) free(urls[i]);
    if (f != stdin) fclose(f);
    return rc;
}

int cmd_reserve_check(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"file", required_argument, NULL, 'f'},
                                         {"agent", required_argument, NULL, 'a'},
                                         {"timeout", required_argument, NULL, 't'},
                                         {"jobs", required_argument, NULL, 'J'},
                                         {NULL, 0, NULL, 0}};
    out o;
    memset(&o, 0, sizeof o);
    const char *list = NULL;
    const char *agents[AGENTS_MAX];
    size_t nagents = 0;
    pk_check_opts co;
    memset(&co, 0, sizeof co);
    co.timeout = 10;
    co.jobs = 8;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'j': o.json = 1; break;
        case 'f': list = optarg; break;
        case 'a':
            if (nagents == AGENTS_MAX) return cli_error("--agent: at most %d crawlers", AGENTS_MAX);
            agents[nagents++] = optarg;
            break;
        case 't': {
            char *end;
            errno = 0;
            double t = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(t >= 0.1 && t <= 600))
                return cli_error("--timeout: expected seconds from 0.1 to 600, got '%s'", optarg);
            co.timeout = t;
            break;
        }
        case 'J': {
            long j = cli_num("--jobs", optarg, 1, 64);
            if (j < 0) return EXIT_ERR;
            co.jobs = (int)j;
            break;
        }
        default: return cli_usage("reserve");
        }
    }
    int from_stdin = 0;
    for (int i = optind; i < argc; i++)
        if (strcmp(argv[i], "-") == 0) from_stdin = 1;
    if (from_stdin && list && strcmp(list, "-") == 0) list = NULL;
    if (optind == argc && !list) {
        cli_error("reserve check: no URL given (URL..., --file LIST, or - for stdin)");
        return cli_usage("reserve");
    }
    if (nagents) {
        co.agents = agents;
        co.nagents = nagents;
        o.named = 1;
    }
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_checker *ck = NULL;
    if (pk_checker_new(&ck, &co, &e)) return cli_perror(&e);
    pk_buf_init(&o.b, 0);
    int rc = 0;
    /* The URLs given as arguments, in one batch; '-' reads stdin in turn. */
    size_t n = 0;
    char **urls = calloc((size_t)(argc - optind) + 1, sizeof *urls);
    if (!urls) {
        rc = cli_error("out of memory");
        goto cleanup;
    }
    for (int i = optind; i < argc; i++) {
        if (strcmp(argv[i], "-") == 0) continue;
        if (!(urls[n++] = strdup(argv[i]))) {
            rc = cli_error("out of memory");
            goto cleanup;
        }
    }
    rc = n ? run_batch(ck, urls, n, &o) : 0; /* frees the strings */
    n = 0;
    if (!rc && from_stdin) rc = run_list(ck, "-", &o);
    if (!rc && list) rc = run_list(ck, list, &o);
cleanup:
    for (size_t i = 0; i < n; i++) free(urls[i]);
    free(urls);
    pk_buf_free(&o.b);
    pk_checker_free(ck);
    return rc ? EXIT_ERR : o.worst;
}
