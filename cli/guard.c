/* guard.c -- `picket guard`: the LLM API proxy that refuses prompts
 * carrying registered works (src/guard/), its client tokens and its audit
 * log.  Subcommands: serve (the default), token add|list|revoke, log.
 * Everything but option handling and printing lives in src/guard/. */
#include "cli.h"
#include "guard/guard.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void log_line(void *ud, const char *line)
{
    (void)ud;
    char t[32];
    pk_audit_now(t);
    fprintf(stderr, "%s picket guard: %s\n", t, line);
}

/* Options every subcommand shares: the config file and the registry; the
 * guard database is audit_db, else "<registry>.guard.db". */
typedef struct gopts {
    pk_guard_config c;
    const char *config;
    const char *audit_db_opt; /* --audit-db, over the config's audit_db */
    char gdb[1100];
} gopts;

static int load_config(gopts *g, const char *db_opt)
{
    pk_error e;
    memset(&e, 0, sizeof e);
    if (g->config && pk_guard_config_load(&g->c, g->config, &e)) return cli_perror(&e);
    const char *path = cli_db_path(db_opt ? db_opt : g->c.db[0] ? g->c.db : NULL, 0);
    if (!path) return EXIT_ERR;
    snprintf(g->c.db, sizeof g->c.db, "%s", path);
    if (g->audit_db_opt) snprintf(g->c.audit_db, sizeof g->c.audit_db, "%s", g->audit_db_opt);
    if (g->c.audit_db[0]) snprintf(g->gdb, sizeof g->gdb, "%s", g->c.audit_db);
    else snprintf(g->gdb, sizeof g->gdb, "%s.guard.db", g->c.db);
    return 0;
}

static int print_token(const char *name, const char *created, const char *revoked, void *ud)
{
    (void)ud;
    printf("%-24s created %s%s%s\n", name, created, revoked ? "  revoked " : "", revoked ? revoked : "");
    return 0;
}

static int cmd_token(int argc, char **argv, gopts *g, const char *db)
{
    /* argv[0] is "token"; options may come anywhere after it. */
    char *pos[4];
    int np = 1;
    pos[0] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--db") || !strcmp(a, "--config") || !strcmp(a, "--audit-db")) {
            if (i + 1 >= argc) return cli_error("%s: expected a value", a);
            if (!strcmp(a, "--db")) db = argv[i + 1];
            else if (!strcmp(a, "--config")) g->config = argv[i + 1];
            else g->audit_db_opt = argv[i + 1];
            i++;
        } else if (a[0] == '-' || np == 4) {
            return cli_usage("guard");
        } else {
            pos[np++] = argv[i];
        }
    }
    argc = np;
    argv = pos;
    if (argc < 2) return cli_usage("guard");
    const char *sub = argv[1];
    int rc = load_config(g, db);
    if (rc) return rc;
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_guard_db *gd = NULL;
    int status = EXIT_ERR;
    if (pk_guard_db_open(&gd, g->gdb, 0, &e)) return cli_perror(&e);
    if (!strcmp(sub, "add") && argc == 3) {
        char tok[64];
        if (pk_guard_token_add(gd, argv[2], tok, &e)) cli_perror(&e);
        else {
            printf("%s\n", tok);
            fprintf(stderr, "picket: token '%s' added; it is shown only this once (only its SHA-256 is kept)\n",
                    argv[2]);
            status = EXIT_FOUND;
        }
    } else if (!strcmp(sub, "revoke") && argc == 3) {
        if (pk_guard_token_revoke(gd, argv[2], &e)) {
            cli_perror(&e);
            if (e.code == PK_ENOTFOUND) status = EXIT_NONE;
        } else {
            status = EXIT_FOUND;
        }
    } else if (!strcmp(sub, "list") && argc == 2) {
        if (pk_guard_token_each(gd, print_token, NULL, &e)) cli_perror(&e);
        else status = EXIT_FOUND;
    } else {
        status = cli_usage("guard");
    }
    pk_guard_db_close(gd);
    return status;
}

typedef struct logctx {
    int json;
    uint64_t n;
} logctx;

static int print_row(const pk_audit_row *r, void *ud)
{
    logctx *l = ud;
    l->n++;
    if (l->json) {
        pk_buf b;
        pk_buf_init(&b, 0);
        pk_buf_printf(&b, "{\"seq\":%lld,\"time\":\"%s\",\"client\":", (long long)r->seq, r->time);
        pk_buf_json_str(&b, r->client, strlen(r->client));
        pk_buf_append(&b, ",\"endpoint\":", 12);
        pk_buf_json_str(&b, r->endpoint, strlen(r->endpoint));
        pk_buf_printf(&b, ",\"request_bytes\":%llu,\"status\":%d,\"action\":\"%s\",\"works\":[",
                      (unsigned long long)r->req_bytes, r->status, r->action);
        const char *w = r->works;
        while (*w) {
            size_t n = strcspn(w, ",");
            if (w != r->works) pk_buf_putc(&b, ',');
            pk_buf_json_str(&b, w, n);
            w += n + (w[n] == ',');
        }
        pk_buf_append(&b, "],\"passages\":", 13);
        pk_buf_json_str(&b, r->passages, strlen(r->passages));
        pk_buf_printf(&b, ",\"latency_us\":%llu,\"note\":", (unsigned long long)r->latency_us);
        pk_buf_json_str(&b, r->note, strlen(r->note));
        if (r->prompt[0]) {
            pk_buf_append(&b, ",\"prompt\":", 10);
            pk_buf_json_str(&b, r->prompt, strlen(r->prompt));
        }
        pk_buf_printf(&b, ",\"hash\":\"%s\"}\n", r->hash);
        fwrite(b.data, 1, b.len, stdout);
        pk_buf_free(&b);
    } else {
        printf("%6lld %s %-12s %-28s %3d %-8s %7llu B %6.1f ms%s%s%s%s", (long long)r->seq, r->time,
               r->client[0] ? r->client : "-", r->endpoint, r->status, r->action, (unsigned long long)r->req_bytes,
               (double)r->latency_us / 1000.0, r->works[0] ? "  works " : "", r->works, r->note[0] ? "  (" : "",
               r->note[0] ? r->note : "");
        fputs(r->note[0] ? ")\n" : "\n", stdout);
    }
    return 0;
}

static int cmd_log(int argc, char **argv, gopts *g, const char *db)
{
    static const struct option opts[] = {{"verify", no_argument, NULL, 'v'}, {"json", no_argument, NULL, 'j'},
                                         {"since", required_argument, NULL, 's'},
                                         {"head", required_argument, NULL, 'H'},
                                         {"audit-db", required_argument, NULL, 'a'},
                                         {"db", required_argument, NULL, 'd'},
                                         {"config", required_argument, NULL, 'c'}, {NULL, 0, NULL, 0}};
    int verify = 0, json = 0, c;
    const char *since = NULL, *anchor = NULL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'v': verify = 1; break;
        case 'j': json = 1; break;
        case 's': since = optarg; break;
        case 'H': anchor = optarg; break;
        case 'a': g->audit_db_opt = optarg; break;
        case 'd': db = optarg; break;
        case 'c': g->config = optarg; break;
        default: return cli_usage("guard");
        }
    }
    if (optind != argc) return cli_usage("guard");
    if (anchor && (!verify || strlen(anchor) != 64 || strspn(anchor, "0123456789abcdefABCDEF") != 64))
        return cli_error("--head: expected the 64 hex digits of a hash printed by `guard log --verify`, with --verify");
    int rc = load_config(g, db);
    if (rc) return rc;
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_guard_db *gd = NULL;
    if (pk_guard_db_open(&gd, g->gdb, 1, &e)) return cli_perror(&e);
    int status = EXIT_ERR;
    if (verify) {
        int64_t bad;
        char why[256];
        uint64_t n;
        char head[65];
        if (pk_audit_verify_anchor(gd, anchor, &bad, why, &n, head, &e)) cli_perror(&e);
        else if (bad) {
            printf("%s: audit chain broken at entry %lld: %s\n", g->gdb, (long long)bad, why);
            status = EXIT_NONE;
        } else {
            /* The head hash, to keep elsewhere and give back with --head. */
            printf("%s: audit chain intact, %llu entries, head %s\n", g->gdb, (unsigned long long)n,
                   head[0] ? head : "(none)");
            status = EXIT_FOUND;
        }
    } else {
        logctx l = {json, 0};
        if (pk_audit_each(gd, since, print_row, &l, &e)) cli_perror(&e);
        else status = EXIT_FOUND;
    }
    pk_guard_db_close(gd);
    return status;
}

static int serve(gopts *g, const char *db, const char *cfg)
{
    int rc = load_config(g, db);
    if (rc) return rc;
    pk_guard_config *c = &g->c;
    if (c->upstream_key_env[0]) {
        const char *k = getenv(c->upstream_key_env);
        if (!k || !*k) return cli_error("upstream_key_env: $%s is not set", c->upstream_key_env);
        snprintf(c->upstream_key, sizeof c->upstream_key, "%s", k);
    } else if (c->key_in_file && cfg) {
        struct stat st;
        if (stat(cfg, &st) == 0 && (st.st_mode & 077))
            fprintf(stderr,
                    "picket: warning: %s holds the upstream key and is readable by others (chmod 600 it, or use "
                    "upstream_key_env)\n",
                    cfg);
    }
    signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* threads started below inherit the mask */
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_guard_server *s = NULL;
    if (pk_guard_server_start(&s, c, log_line, NULL, &e)) return cli_perror(&e);
    int sig = 0;
    sigwait(&set, &sig);
    log_line(NULL, sig == SIGINT ? "interrupted, stopping" : "terminated, stopping");
    pk_guard_server_stop(s);
    return EXIT_FOUND;
}

int cmd_guard(int argc, char **argv)
{
    gopts g;
    memset(&g, 0, sizeof g);
    pk_guard_config_default(&g.c);
    const char *db = NULL;
    /* Global options may come before the subcommand. */
    int i = 1;
    const char *check = NULL;
    const char *listen = NULL, *upstream = NULL, *mode = NULL, *adb = NULL;
    long minw = 0;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name, var)                                                          \
    if (!strcmp(a, name)) {                                                     \
        if (!v) return cli_error("%s: expected a value", name);                 \
        var = v;                                                                \
        i++;                                                                    \
        continue;                                                               \
    }                                                                           \
    if (!strncmp(a, name "=", sizeof(name))) {                                  \
        var = a + sizeof(name);                                                 \
        continue;                                                               \
    }
        OPT("--db", db)
        OPT("--config", g.config)
        OPT("--check-config", check)
        OPT("--audit-db", adb)
        OPT("--listen", listen)
        OPT("--upstream", upstream)
        OPT("--mode", mode)
        if (!strcmp(a, "--min-words") && v) {
            if ((minw = cli_num("--min-words", v, 1, 1000000)) < 0) return EXIT_ERR;
            i++;
            continue;
        }
#undef OPT
        break;
    }
    if (check) {
        pk_error e;
        memset(&e, 0, sizeof e);
        if (pk_guard_config_load(&g.c, check, &e)) return cli_perror(&e);
        printf("%s: ok (mode %s, min_words %u, max_body %zu, upstream %s)\n", check,
               g.c.mode == PK_GUARD_REDACT ? "redact" : "block", g.c.min_words, g.c.max_body,
               g.c.upstream[0] ? g.c.upstream : "(none: give --upstream)");
        return EXIT_FOUND;
    }
    const char *sub = i < argc ? argv[i] : "serve";
    g.audit_db_opt = adb;
    if (!strcmp(sub, "token")) return cmd_token(argc - i, argv + i, &g, db);
    if (!strcmp(sub, "log")) return cmd_log(argc - i, argv + i, &g, db);
    if (strcmp(sub, "serve") != 0) return cli_usage("guard");
    if (i < argc) { /* options after "serve" */
        for (i++; i < argc; i += 2) { /* OPTION VALUE pairs */
            const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
            if (!v) return cli_usage("guard");
            if (!strcmp(a, "--db")) db = v;
            else if (!strcmp(a, "--config")) g.config = v;
            else if (!strcmp(a, "--listen")) listen = v;
            else if (!strcmp(a, "--upstream")) upstream = v;
            else if (!strcmp(a, "--mode")) mode = v;
            else if (!strcmp(a, "--min-words")) {
                if ((minw = cli_num("--min-words", v, 1, 1000000)) < 0) return EXIT_ERR;
            } else return cli_usage("guard");
        }
    }
    /* The file first, then the command line over it. */
    if (g.config) {
        pk_error e;
        memset(&e, 0, sizeof e);
        if (pk_guard_config_load(&g.c, g.config, &e)) return cli_perror(&e);
    }
    const char *cfg = g.config;
    g.config = NULL; /* loaded: load_config in serve() must not load it again */
    if (listen) snprintf(g.c.listen, sizeof g.c.listen, "%s", listen);
    if (upstream) snprintf(g.c.upstream, sizeof g.c.upstream, "%s", upstream);
    if (mode) {
        if (!strcmp(mode, "block")) g.c.mode = PK_GUARD_BLOCK;
        else if (!strcmp(mode, "redact")) g.c.mode = PK_GUARD_REDACT;
        else return cli_error("--mode %s: expected block or redact", mode);
    }
    if (minw) g.c.min_words = (uint32_t)minw;
    return serve(&g, db, cfg);
}
