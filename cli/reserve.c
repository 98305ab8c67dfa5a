/* reserve.c -- `picket reserve init|agents|stamp|check`: publish a
 * reservation from AI training and embed it in documents.  The files are
 * built by src/reserve/ (init.c, stamp.c); this file reads and writes
 * them, and prints.  `check` lives in reserve_check.c. */
#include "cli.h"
#include "reserve/reserve.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- agents ------------------------------------------------------------------ */

static int reserve_agents(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'j') json = 1;
        else return cli_usage("reserve");
    }
    if (optind != argc) return cli_usage("reserve");
    size_t n;
    const char *ver, *date;
    const pk_agent *a = pk_agents(&n, &ver, &date);
    static const char *const order[] = {"training", "corpus", "search", "user-fetch"};
    if (json) {
        pk_buf b;
        pk_buf_init(&b, 0);
        pk_buf_printf(&b, "{\"version\":\"%s\",\"date\":\"%s\",\"agents\":[", ver, date);
        size_t k = 0;
        for (size_t p = 0; p < 4; p++)
            for (size_t i = 0; i < n; i++) {
                if (strcmp(a[i].purpose, order[p]) != 0) continue;
                pk_buf_printf(&b, "%s{\"token\":", k++ ? "," : "");
                pk_buf_json_str(&b, a[i].token, strlen(a[i].token));
                pk_buf_printf(&b, ",\"operator\":");
                pk_buf_json_str(&b, a[i].op, strlen(a[i].op));
                pk_buf_printf(&b, ",\"purpose\":\"%s\",\"note\":", a[i].purpose);
                pk_buf_json_str(&b, a[i].note, strlen(a[i].note));
                pk_buf_putc(&b, '}');
            }
        pk_buf_printf(&b, "]}\n");
        fwrite(b.data, 1, b.len, stdout);
        pk_buf_free(&b);
        return 0;
    }
    printf("AI crawlers: list %s (%s), %zu tokens\n", ver, date, n);
    for (size_t p = 0; p < 4; p++) {
        printf("\n%s\n", order[p]);
        for (size_t i = 0; i < n; i++)
            if (strcmp(a[i].purpose, order[p]) == 0)
                printf("  %-30s %-24s %s\n", a[i].token, a[i].op, a[i].note);
    }
    return 0;
}

/* ---- init --------------------------------------------------------------------- */

static int parse_allow(const char *s, unsigned *bits)
{
    while (*s) {
        size_t n = strcspn(s, ",");
        unsigned b = pk_purpose_bit(s, n);
        if (!b) return cli_error("--allow: '%.*s' is not a purpose (search, user-fetch, corpus)", (int)n, s);
        if (b == PK_PURPOSE_TRAINING) return cli_error("--allow: training is what reserve init reserves");
        *bits |= b;
        s += n;
        if (*s == ',') s++;
    }
    return 0;
}

/* Read path into b; a missing file leaves b empty and *exists 0. */
static int read_old(const char *path, pk_buf *b, int *exists, pk_error *e)
{
    pk_buf_reset(b);
    struct stat st;
    *exists = stat(path, &st) == 0;
    if (!*exists) return 0;
    return pk_source_slurp(path, b, b->max, e);
}

typedef struct init_out {
    const char *root;
    int dry;
    int changed;
} init_out;

/* Write one generated file if it differs; prints what happened. */
static int put_file(init_out *io, const char *rel, const char *path, const pk_buf *old, int existed, const pk_buf *nw)
{
    int same = existed && old->len == nw->len && (nw->len == 0 || memcmp(old->data, nw->data, nw->len) == 0);
    const char *what = same ? "unchanged" : io->dry ? (existed ? "would update" : "would create") : existed ? "updated" : "created";
    if (!same) io->changed++;
    if (!same && !io->dry) {
        pk_error e;
        memset(&e, 0, sizeof e);
        if (pk_write_atomic(path, nw->data ? nw->data : "", nw->len, &e)) return cli_perror(&e);
    }
    printf("  %-13s %s\n", what, rel);
    return 0;
}

typedef struct agent_tally {
    const char *agent, *purpose;
    size_t paths, before_ok, after_ok, changed;
    char still[256];  /* reserved but still allowed: paths */
    char changes[256];
    int bad;          /* an agent whose verdicts must not change did change */
} agent_tally;

typedef struct diff_ctx {
    agent_tally cur;
    unsigned allow;
    size_t bad, weak;
    int started;
} diff_ctx;

static void append_path(char *buf, size_t cap, const char *p)
{
    size_t l = strlen(buf);
    if (l + strlen(p) + 6 >= cap) {
        if (!strstr(buf, "...")) snprintf(buf + l, cap - l, "%s...", l ? " " : "");
        return;
    }
    snprintf(buf + l, cap - l, "%s%s", l ? " " : "", p);
}

static void flush_tally(diff_ctx *d)
{
    agent_tally *t = &d->cur;
    if (!t->agent) return;
    unsigned bit = pk_purpose_bit(t->purpose, strlen(t->purpose));
    int reserved = bit && !(d->allow & bit);
    if (t->changed)
        printf("  %-10s %-30s allowed %zu/%zu -> %zu/%zu  (%s)\n", t->purpose, t->agent, t->before_ok, t->paths,
               t->after_ok, t->paths, t->changes);
    else
        printf("  %-10s %-30s allowed %zu/%zu, unchanged\n", t->purpose, t->agent, t->before_ok, t->paths);
    if (reserved && t->still[0]) {
        fprintf(stderr, "picket: warning: %s is still allowed %s by the site's own group for it (its Allow rules are longer than Disallow: /)\n",
                t->agent, t->still);
        d->weak++;
    }
    if (!reserved && t->changed) {
        fprintf(stderr, "picket: error: the verdicts of %s changed; they should not have\n", t->agent);
        d->bad++;
    }
    memset(t, 0, sizeof *t);
}

static int diff_row(void *ud, const pk_reserve_diff_row *r)
{
    diff_ctx *d = ud;
    if (!d->cur.agent || strcmp(d->cur.agent, r->agent) != 0) {
        flush_tally(d);
        d->cur.agent = r->agent;
        d->cur.purpose = r->purpose;
    }
    agent_tally *t = &d->cur;
    t->paths++;
    t->before_ok += (size_t)r->before;
    t->after_ok += (size_t)r->after;
    if (r->before != r->after) {
        t->changed++;
        char s[300];
        snprintf(s, sizeof s, "%s%s", r->after ? "+" : "-", r->path);
        append_path(t->changes, sizeof t->changes, s);
    }
    if (r->after) append_path(t->still, sizeof t->still, r->path);
    return 0;
}

static int reserve_init(int argc, char **argv)
{
    static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
                                         {"policy", required_argument, NULL, 'p'},
                                         {"allow", required_argument, NULL, 'a'},
                                         {"conf", required_argument, NULL, 'c'},
                                         {"dry-run", no_argument, NULL, 'n'},
                                         {NULL, 0, NULL, 0}};
    const char *root = ".", *conf = NULL;
    pk_reserve_opts o = {NULL, 0};
    int dry = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n", opts, NULL)) != -1) {
        switch (c) {
        case 'd': root = optarg; break;
        case 'p': o.policy = optarg; break;
        case 'a': if (parse_allow(optarg, &o.allow)) return EXIT_ERR; break;
        case 'c': conf = optarg; break;
        case 'n': dry = 1; break;
        default: return cli_usage("reserve");
        }
    }
    if (optind != argc) return cli_usage("reserve");
    pk_error e;
    memset(&e, 0, sizeof e);
    if (pk_reserve_opts_check(&o, &e)) return cli_perror(&e);
    struct stat st;
    if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) return cli_error("%s: not a directory", root);

    char path[4096], confdir[2048];
    if (strlen(root) > 2000 || (conf && strlen(conf) > 2000)) return cli_error("path too long");
    snprintf(confdir, sizeof confdir, "%s", conf ? conf : "");
    if (!conf) snprintf(confdir, sizeof confdir, "%s/.picket", root);
    pk_buf old, nw, robots_old;
    pk_buf_init(&old, (size_t)64 << 20);
    pk_buf_init(&nw, 0);
    pk_buf_init(&robots_old, (size_t)64 << 20);
    init_out io = {root, dry, 0};
    int status = EXIT_ERR, existed;
    printf("%s %s:\n", dry ? "Would write in" : "Site root", root);

    /* robots.txt */
    snprintf(path, sizeof path, "%s/robots.txt", root);
    if (read_old(path, &robots_old, &existed, &e) || pk_reserve_robots(robots_old.data, robots_old.len, &o, &nw, &e))
        goto fail;
    pk_buf robots_new = nw;
    pk_buf_init(&nw, 0);
    if (put_file(&io, "robots.txt", path, &robots_old, existed, &robots_new)) goto out;

    /* tdmrep.json, ai.txt */
    snprintf(path, sizeof path, "%s/.well-known/tdmrep.json", root);
    if (read_old(path, &old, &existed, &e) || pk_reserve_tdmrep(old.data, old.len, &o, &nw, &e)) goto fail;
    if (put_file(&io, ".well-known/tdmrep.json", path, &old, existed, &nw)) goto out;
    snprintf(path, sizeof path, "%s/ai.txt", root);
    if (read_old(path, &old, &existed, &e) || pk_reserve_aitxt(old.data, old.len, &o, &nw, &e)) goto fail;
    if (put_file(&io, "ai.txt", path, &old, existed, &nw)) goto out;

    /* snippets */
    static const struct {
        const char *kind, *file;
    } snips[] = {{"nginx", "nginx.conf"}, {"apache", "apache.conf"}, {"caddy", "picket.caddy"}, {"html", "meta.html"}};
    for (size_t i = 0; i < sizeof snips / sizeof snips[0]; i++) {
        char rel[4200];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", confdir, snips[i].file) >= sizeof path) {
            cli_error("%s: path too long", confdir);
            goto out;
        }
        snprintf(rel, sizeof rel, "%s%s", conf ? path : ".picket/", conf ? "" : snips[i].file);
        if (read_old(path, &old, &existed, &e) || pk_reserve_snippet(snips[i].kind, &o, &nw, &e)) goto fail;
        if (put_file(&io, rel, path, &old, existed, &nw)) goto out;
    }

    /* before and after, on "/", the robots.txt paths and the site's top-level pages */
    const char *extra[24];
    size_t nextra = 0;
    char *owned[24];
    size_t nowned = 0;
    extra[nextra++] = "/ai.txt";
    extra[nextra++] = "/.well-known/tdmrep.json";
    DIR *dir = opendir(root);
    struct dirent *de;
    while (dir && (de = readdir(dir)) && nextra < 24) {
        const char *dot = strrchr(de->d_name, '.');
        if (de->d_name[0] == '.' || !dot || (strcmp(dot, ".html") && strcmp(dot, ".htm") && strcmp(dot, ".pdf") && strcmp(dot, ".epub")))
            continue;
        size_t l = strlen(de->d_name);
        char *p = malloc(l + 2);
        if (!p) break;
        p[0] = '/';
        memcpy(p + 1, de->d_name, l + 1);
        owned[nowned++] = p;
        extra[nextra++] = p;
    }
    if (dir) closedir(dir);
    printf("\nrobots.txt verdicts, before -> after, on %s and the site's paths (allowed/paths):\n", "/");
    diff_ctx d;
    memset(&d, 0, sizeof d);
    d.allow = o.allow;
    int drc = pk_reserve_robots_diff(robots_old.data, robots_old.len, robots_new.data ? robots_new.data : "",
                                     robots_new.len, extra, nextra, diff_row, &d, &e);
    if (!drc) flush_tally(&d);
    for (size_t i = 0; i < nowned; i++) free(owned[i]);
    pk_buf_free(&robots_new);
    if (drc) goto fail;
    if (d.bad) goto out;
    printf("\n%s\n", io.changed ? (dry ? "Nothing written (--dry-run)." : "Done: include .picket/nginx.conf (or the apache or caddy file) in the server configuration, and put meta.html's tags in your pages' <head>.")
                                : "Everything was already up to date.");
    status = 0;
    goto out;
fail:
    cli_perror(&e);
out:
    pk_buf_free(&old);
    pk_buf_free(&nw);
    pk_buf_free(&robots_old);
    return status;
}

/* ---- stamp -------------------------------------------------------------------- */

static int reserve_stamp(int argc, char **argv)
{
    static const struct option opts[] = {
        {"policy", required_argument, NULL, 'p'}, {"output", required_argument, NULL, 'o'}, {NULL, 0, NULL, 0}};
    pk_reserve_opts o = {NULL, 0};
    const char *out = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        if (c == 'p') o.policy = optarg;
        else if (c == 'o') out = optarg;
        else return cli_usage("reserve");
    }
    if (optind >= argc) return cli_usage("reserve");
    if (out && argc - optind != 1) return cli_error("reserve stamp: -o takes one FILE");
    int status = 0;
    for (int i = optind; i < argc; i++) {
        pk_error e;
        memset(&e, 0, sizeof e);
        const char *kind = NULL, *dst = out ? out : argv[i];
        int changed = 0;
        if (pk_reserve_stamp(argv[i], dst, &o, &kind, &changed, &e)) {
            cli_perror(&e);
            status = EXIT_ERR;
            continue;
        }
        if (changed) printf("stamped %s (%s)%s%s\n", argv[i], kind, out ? " -> " : "", out ? out : "");
        else printf("%s (%s): already stamped%s%s\n", argv[i], kind, out ? "; copied to " : "", out ? out : "");
    }
    return status;
}

int cmd_reserve(int argc, char **argv)
{
    if (argc < 2) return cli_usage("reserve");
    const char *sub = argv[1];
    if (strcmp(sub, "init") == 0) return reserve_init(argc - 1, argv + 1);
    if (strcmp(sub, "agents") == 0) return reserve_agents(argc - 1, argv + 1);
    if (strcmp(sub, "stamp") == 0) return reserve_stamp(argc - 1, argv + 1);
    if (strcmp(sub, "check") == 0) return cmd_reserve_check(argc - 1, argv + 1);
    return cli_error("'reserve %s' is not a command: init, agents, stamp or check", sub);
}
