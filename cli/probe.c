/* probe.c -- `picket probe`: ask a model behind an OpenAI-compatible,
 * vLLM or llama.cpp server whether it was trained on each WORK.  Options,
 * the API key from the environment, the cache path, and printing; the
 * tests and the client are in src/probe/.
 *
 * Exit status: 0 when some work shows evidence of training (a test
 * significant at --alpha after the Bonferroni correction over that work's
 * tests: per work, so W works together can be named falsely with chance up
 * to W * alpha, as the docs say), 1 when none does, 2 on an error.  The API key is read from the environment variable
 * named by --api-key-env (else OPENAI_API_KEY, when set and the endpoint is
 * api.openai.com) and handed only to the client; it is never printed, and
 * never sent over plain http:// to a host other than loopback. */
#include "cli.h"

#include "probe/probe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static int mkdirs(const char *dir)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *q = tmp + 1; *q; q++)
        if (*q == '/') {
            *q = 0;
            if (mkdir(tmp, 0700) && errno != EEXIST) return -1;
            *q = '/';
        }
    if (mkdir(tmp, 0700) && errno != EEXIST) return -1;
    return 0;
}

static const char *default_cache(char *buf, size_t cap)
{
    const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char dir[3072];
    if (x && *x) snprintf(dir, sizeof dir, "%s/picket", x);
    else if (home && *home) snprintf(dir, sizeof dir, "%s/.cache/picket", home);
    else return NULL;
    if (mkdirs(dir)) return NULL;
    snprintf(buf, cap, "%s/probe-cache.db", dir);
    return buf;
}

static int push(char ***v, size_t *n, const char *s)
{
    char **t = realloc(*v, (*n + 1) * sizeof *t);
    if (!t) return cli_error("out of memory");
    *v = t;
    if (!(t[*n] = strdup(s))) return cli_error("out of memory");
    (*n)++;
    return 0;
}

/* Append each non-blank line of a list file to *v. */
static int read_list(const char *path, char ***v, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f) return cli_error("%s: %s", path, strerror(errno));
    char line[4096];
    unsigned long ln = 0;
    while (fgets(line, sizeof line, f)) {
        ln++;
        size_t l = strlen(line);
        if (l == sizeof line - 1 && line[l - 1] != '\n') {
            fclose(f);
            return cli_error("%s:%lu: line too long", path, ln);
        }
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' ')) line[--l] = 0;
        if (!l) continue;
        if (push(v, n, line)) {
            fclose(f);
            return EXIT_ERR;
        }
    }
    fclose(f);
    return 0;
}

/* The host of an http(s):// URL (userinfo and port left out) into host. */
static void url_host(const char *url, char *host, size_t cap)
{
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    size_t n = strcspn(h, "/?#");
    const char *at = memchr(h, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - h);
        h = at + 1;
    }
    if (*h == '[') { /* [IPv6]:port */
        const char *e = memchr(h, ']', n);
        n = e ? (size_t)(e - h - 1) : n - 1;
        h++;
    } else {
        const char *colon = memchr(h, ':', n);
        if (colon) n = (size_t)(colon - h);
    }
    snprintf(host, cap, "%.*s", (int)PK_MIN(n, cap - 1), h);
}

/* Loopback: a key sent there in clear text does not leave the machine. */
static int is_loopback(const char *host)
{
    return strcasecmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0;
}

typedef struct {
    const char *key;
    char id[256], sha[65];
    int found;
} find_work;

static int match_work(const pk_work_info *w, void *ud)
{
    find_work *f = ud;
    if (strcmp(w->id, f->key) == 0 || strcmp(w->sha256, f->key) == 0) {
        snprintf(f->id, sizeof f->id, "%s", w->id);
        snprintf(f->sha, sizeof f->sha, "%s", w->sha256);
        f->found = 1;
        return 1;
    }
    return 0;
}

int cmd_probe(int argc, char **argv)
{
    static const struct option opts[] = {
        {"endpoint", required_argument, NULL, 'e'},  {"model", required_argument, NULL, 'm'},
        {"api", required_argument, NULL, 'a'},       {"api-key-env", required_argument, NULL, 'K'},
        {"jobs", required_argument, NULL, 'j'},      {"retries", required_argument, NULL, 'r'},
        {"backoff", required_argument, NULL, 'B'},   {"timeout", required_argument, NULL, 'T'},
        {"cache", required_argument, NULL, 'c'},     {"no-cache", no_argument, NULL, 'C'},
        {"samples", required_argument, NULL, 'n'},   {"prefix-words", required_argument, NULL, 'p'},
        {"suffix-words", required_argument, NULL, 's'}, {"passage-words", required_argument, NULL, 'P'},
        /* the old names: they always counted words, not tokens */
        {"prefix-tokens", required_argument, NULL, 'p'}, {"suffix-tokens", required_argument, NULL, 's'},
        {"batch", required_argument, NULL, 'b'},     {"control", required_argument, NULL, 'x'},
        {"nonmember", required_argument, NULL, 'N'}, {"nonmember-list", required_argument, NULL, 'L'},
        {"control-list", required_argument, NULL, 'X'}, {"alpha", required_argument, NULL, 'A'},
        {"json", no_argument, NULL, 'J'},            {"db", required_argument, NULL, 'd'},
        {"no-canaries", no_argument, NULL, 'Q'},     {"quiet", no_argument, NULL, 'q'},
        {"no-extraction", no_argument, NULL, 'E'},   {"no-min-k-pp", no_argument, NULL, 'F'},
        {NULL, 0, NULL, 0},
    };
    pk_probe_opts o;
    pk_probe_opts_default(&o);
    const char *endpoint = NULL, *keyenv = NULL, *cache = NULL, *db = NULL;
    int no_cache = 0, json = 0, quiet = 0, c, status = EXIT_ERR;
    long v;
    char **ctl = NULL, **ref = NULL;
    size_t nctl = 0, nref = 0;
    char base[2048], cachebuf[4096];
    pk_probe *p = NULL;
    pk_registry *reg = NULL;
    pk_buf info, js, sum, raw;
    pk_buf_init(&info, 0);
    pk_buf_init(&js, 0);
    pk_buf_init(&sum, 0);
    pk_buf_init(&raw, 0);
    pk_error e;
    memset(&e, 0, sizeof e);
    optind = 1;
    while ((c = getopt_long(argc, argv, "e:m:j:n:q", opts, NULL)) != -1) {
        switch (c) {
        case 'e': endpoint = optarg; break;
        case 'm': o.model = optarg; break;
        case 'a':
            if (!strcmp(optarg, "auto")) o.api = PK_PROBE_API_AUTO;
            else if (!strcmp(optarg, "openai")) o.api = PK_PROBE_API_OPENAI;
            else if (!strcmp(optarg, "vllm")) o.api = PK_PROBE_API_VLLM;
            else if (!strcmp(optarg, "llamacpp")) o.api = PK_PROBE_API_LLAMACPP;
            else { cli_error("--api: expected auto, openai, vllm or llamacpp, got '%s'", optarg); goto done; }
            break;
        case 'K': keyenv = optarg; break;
        case 'j': if ((v = cli_num("--jobs", optarg, 1, 64)) < 0) goto done; o.client.jobs = (int)v; break;
        case 'r': if ((v = cli_num("--retries", optarg, 0, 20)) < 0) goto done; o.client.retries = (int)v; break;
        case 'B': if ((v = cli_num("--backoff", optarg, 1, 60000)) < 0) goto done; o.client.backoff_ms = (double)v; break;
        case 'T':
            if ((v = cli_num("--timeout", optarg, 1, 86400)) < 0) goto done;
            o.client.timeout_ms = v * 1000;
            break;
        case 'c': cache = optarg; break;
        case 'C': no_cache = 1; break;
        case 'n': if ((v = cli_num("--samples", optarg, 1, 100000)) < 0) goto done; o.samples = (uint32_t)v; break;
        case 'p': if ((v = cli_num("--prefix-words", optarg, 1, 2000)) < 0) goto done; o.prefix_words = (uint32_t)v; break;
        case 's': if ((v = cli_num("--suffix-words", optarg, 1, 2000)) < 0) goto done; o.suffix_words = (uint32_t)v; break;
        case 'P': if ((v = cli_num("--passage-words", optarg, 8, 4000)) < 0) goto done; o.passage_words = (uint32_t)v; break;
        case 'b': if ((v = cli_num("--batch", optarg, 1, 1024)) < 0) goto done; o.batch = (uint32_t)v; break;
        case 'x': if (push(&ctl, &nctl, optarg)) goto done; break;
        case 'X': if (read_list(optarg, &ctl, &nctl)) goto done; break;
        case 'N': if (push(&ref, &nref, optarg)) goto done; break;
        case 'L': if (read_list(optarg, &ref, &nref)) goto done; break;
        case 'A': {
            char *end;
            o.alpha = strtod(optarg, &end);
            if (*end || !(o.alpha > 0 && o.alpha < 1)) { cli_error("--alpha: expected a number in (0, 1), got '%s'", optarg); goto done; }
            break;
        }
        case 'J': json = 1; break;
        case 'd': db = optarg; break;
        case 'Q': o.no_canaries = 1; break;
        case 'E': o.no_extraction = 1; break;
        case 'F': o.no_full_stats = 1; break;
        case 'q': quiet = 1; break;
        default: status = cli_usage("probe"); goto done;
        }
    }
    if (!endpoint) { cli_error("probe: --endpoint URL is required (e.g. http://127.0.0.1:8000)"); goto done; }
    if (optind >= argc) { cli_error("probe: no WORK given"); goto done; }
    if (strncmp(endpoint, "http://", 7) && strncmp(endpoint, "https://", 8)) {
        cli_error("--endpoint: expected an http:// or https:// URL, got '%s'", endpoint);
        goto done;
    }
    snprintf(base, sizeof base, "%s", endpoint);
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/') base[--bl] = 0;
    if (bl >= 3 && !strcmp(base + bl - 3, "/v1")) base[bl -= 3] = 0;
    o.client.base = base;
    /* the key: from --api-key-env; OPENAI_API_KEY by default only for
     * OpenAI's own API (a key for OpenAI is not handed to another host);
     * never in clear text (http://) to a host other than this machine */
    const char *key = NULL;
    char host[256];
    url_host(base, host, sizeof host);
    if (keyenv) {
        key = getenv(keyenv);
        if (!key || !*key) { cli_error("--api-key-env: the environment variable %s is not set", keyenv); goto done; }
    } else if (strcasecmp(host, "api.openai.com") == 0)
        key = getenv("OPENAI_API_KEY");
    o.client.api_key = key && *key ? key : NULL;
    if (o.client.api_key && strncmp(base, "http://", 7) == 0 && !is_loopback(host)) {
        cli_error("--api-key-env: refusing to send the API key in clear text to %s: use https:// (or a server on "
                  "this machine)",
                  endpoint);
        goto done;
    }
    if (!no_cache) {
        o.client.cache = cache ? cache : default_cache(cachebuf, sizeof cachebuf);
        if (!o.client.cache) { cli_error("probe: no cache directory ($XDG_CACHE_HOME, $HOME): give --cache FILE or --no-cache"); goto done; }
    }
    o.controls = ctl;
    o.ncontrols = nctl;
    o.nonmembers = ref;
    o.nnonmembers = nref;
    /* the registry, for canary sets and works given by id */
    const char *dbp = cli_db_path(db, 0);
    if (dbp && access(dbp, R_OK) == 0) {
        if (pk_registry_open(&reg, dbp, PK_REG_READONLY, NULL, &e)) { cli_perror(&e); goto done; }
    } else if (db) {
        cli_error("--db: %s: %s", db, strerror(errno));
        goto done;
    }
    if (pk_probe_new(&p, &o, &info, &e)) { cli_perror(&e); goto done; }
    if (!quiet) fputs(info.data ? info.data : "", stderr);
    int any = 0;
    for (int i = optind; i < argc; i++) {
        const char *w = argv[i];
        char sha[65];
        const char *text = NULL;
        size_t n = 0;
        pk_doc doc;
        pk_doc_init(&doc);
        struct stat stt;
        if (stat(w, &stt) == 0) {
            if (pk_source_slurp(w, &raw, (size_t)256 << 20, &e) ||
                pk_doc_read(&doc, w, raw.data ? raw.data : "", raw.len, PK_WORK_AUTO, PK_TOK_LOSSY, &e)) {
                pk_error_prefix(&e, "%s", w);
                pk_doc_free(&doc);
                cli_perror(&e);
                goto done;
            }
            pk_sha256_hex(raw.data ? raw.data : "", raw.len, sha);
            text = doc.text.data ? doc.text.data : "";
            n = doc.text.len;
        } else {
            find_work fw = {w, "", "", 0};
            if (reg && pk_registry_each(reg, match_work, &fw, &e) < 0) { cli_perror(&e); pk_doc_free(&doc); goto done; }
            if (!fw.found) {
                pk_doc_free(&doc);
                cli_error("%s: no such file, and no registered work with this id or SHA-256", w);
                goto done;
            }
            snprintf(sha, sizeof sha, "%s", fw.sha);
        }
        pk_buf_reset(&js);
        pk_buf_reset(&sum);
        int ev = 0;
        int rc = pk_probe_work(p, w, text, n, sha, reg, &js, &sum, &ev, &e);
        pk_doc_free(&doc);
        if (rc) {
            pk_error_prefix(&e, "%s", w);
            cli_perror(&e);
            goto done;
        }
        any |= ev;
        if (json) printf("%s\n", js.data);
        else fputs(sum.data, stdout);
        fflush(stdout);
    }
    uint64_t pt, ct;
    pk_probe_client_stats cs;
    pk_probe_spent(p, &pt, &ct, &cs);
    if (!quiet)
        fprintf(stderr,
                "tokens spent: %llu prompt + %llu completion; requests: %llu sent (%llu retries, %llu failed), "
                "%llu answered from the cache\n",
                (unsigned long long)pt, (unsigned long long)ct, (unsigned long long)cs.requests,
                (unsigned long long)cs.retries, (unsigned long long)cs.failed, (unsigned long long)cs.cached);
    status = any ? EXIT_FOUND : EXIT_NONE;
done:
    pk_probe_free(p);
    pk_registry_close(reg);
    for (size_t i = 0; i < nctl; i++) free(ctl[i]);
    for (size_t i = 0; i < nref; i++) free(ref[i]);
    free(ctl);
    free(ref);
    pk_buf_free(&info);
    pk_buf_free(&js);
    pk_buf_free(&sum);
    pk_buf_free(&raw);
    return status;
}
