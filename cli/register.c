/* register.c -- `picket register`: add works to the registry. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

typedef struct reg_ctx {
    pk_registry *r;
    pk_register_opts *ro;
    int json, status, format;
    pk_buf text, out;
    pk_doc doc;
} reg_ctx;

static int register_fail(const char *path, int code, const char *why, void *ud)
{
    reg_ctx *c = ud;
    PK_UNUSED(code);
    c->status = cli_error("%s: %s", path, why);
    return 0;
}

static int register_one(const char *file, void *ud)
{
    reg_ctx *c = ud;
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_buf_reset(&c->text);
    if (pk_source_slurp(file, &c->text, (size_t)1 << 32, &e)) {
        c->status = cli_perror(&e);
        return 0;
    }
    c->ro->source = file;
    pk_register_result res;
    const char *raw = c->text.data ? c->text.data : "";
    if (pk_doc_read(&c->doc, file, raw, c->text.len, c->format, c->ro->tok_flags, &e) ||
        pk_registry_add_doc(c->r, &c->doc, raw, c->text.len, c->ro, &res, &e)) {
        if (strncmp(e.msg, file, strlen(file)) != 0) pk_error_prefix(&e, "%s", file);
        c->status = cli_perror(&e);
        return e.code == PK_ENOMEM ? PK_ENOMEM : 0;
    }
    pk_params pp;
    pk_registry_get_params(c->r, &pp);
    if (!res.existed && res.tokens < pp.k + pp.w - 1)
        fprintf(stderr, "picket: warning: %s: only %llu words, fewer than the %u a scan is sure to find\n", file,
                (unsigned long long)res.tokens, pp.k + pp.w - 1);
    if (c->json) {
        pk_buf *o = &c->out;
        pk_buf_reset(o);
        pk_buf_append(o, "{\"file\":", 8);
        pk_buf_json_str(o, file, strlen(file));
        pk_buf_append(o, ",\"id\":", 6);
        pk_buf_json_str(o, res.id, strlen(res.id));
        pk_buf_printf(o, ",\"format\":\"%s\",\"sha256\":\"%s\",\"words\":%llu,\"fingerprints\":%llu,\"status\":\"%s\"}\n",
                      pk_work_format_name(c->doc.format), res.sha256, (unsigned long long)res.tokens,
                      (unsigned long long)res.fingerprints, res.existed ? "unchanged" : "registered");
        fwrite(o->data, 1, o->len, stdout);
    } else if (res.existed) {
        printf("unchanged  %s  (%s: same content already registered)\n", res.id, file);
    } else {
        printf("registered %s  (%s: %s, %llu words, %llu fingerprints)\n", res.id, file,
               pk_work_format_name(c->doc.format), (unsigned long long)res.tokens, (unsigned long long)res.fingerprints);
    }
    return 0;
}

int cmd_register(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},     {"title", required_argument, NULL, 't'},
        {"author", required_argument, NULL, 'a'}, {"id", required_argument, NULL, 'i'},
        {"keep-text", no_argument, NULL, 'K'},    {"lossy", no_argument, NULL, 'L'},
        {"k", required_argument, NULL, 'k'},      {"w", required_argument, NULL, 'w'},
        {"json", no_argument, NULL, 'j'},         {"format", required_argument, NULL, 'f'},
        {"normalize-identifiers", no_argument, NULL, 'N'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL;
    pk_register_opts ro;
    memset(&ro, 0, sizeof ro);
    pk_params params;
    pk_params_default(&params);
    int set_params = 0, json = 0, format = PK_WORK_AUTO, normalize = 0, c;
    long v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 't': ro.title = optarg; break;
        case 'a': ro.author = optarg; break;
        case 'i': ro.id = optarg; break;
        case 'K': ro.keep_text = 1; break;
        case 'L': ro.tok_flags |= PK_TOK_LOSSY; break;
        case 'k': if ((v = cli_num("--k", optarg, 1, 32)) < 0) return EXIT_ERR; params.k = (uint32_t)v; set_params = 1; break;
        case 'w': if ((v = cli_num("--w", optarg, 1, 1024)) < 0) return EXIT_ERR; params.w = (uint32_t)v; set_params = 1; break;
        case 'j': json = 1; break;
        case 'f':
            if ((format = cli_work_format(optarg)) < 0) return EXIT_ERR;
            break;
        case 'N': normalize = 1; break;
        default: return cli_usage("register");
        }
    }
    /* Every FILE is source code then, as scan --normalize-identifiers
     * takes every document for code. */
    if (normalize) {
        if (format != PK_WORK_AUTO && format != PK_WORK_CODE && format != PK_WORK_CODE_NORM)
            return cli_error("--normalize-identifiers reads every FILE as code: not with --format %s",
                             pk_work_format_name(format));
        format = PK_WORK_CODE_NORM;
    }
    int nfiles = argc - optind;
    if (nfiles < 1) return cli_usage("register");
    if ((nfiles > 1 || cli_is_dir(argv[optind])) && (ro.title || ro.id))
        return cli_error("--title and --id name one work: give one FILE");
    const char *path = cli_db_path(db, 1);
    if (!path) return EXIT_ERR;

    pk_error e;
    memset(&e, 0, sizeof e);
    pk_registry *r = NULL;
    if (pk_registry_open(&r, path, PK_REG_CREATE, set_params ? &params : NULL, &e)) return cli_perror(&e);
    reg_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.r = r;
    ctx.ro = &ro;
    ctx.json = json;
    ctx.format = format;
    pk_buf_init(&ctx.text, 0);
    pk_buf_init(&ctx.out, 0);
    pk_doc_init(&ctx.doc);
    const pk_walk_fns fns = {register_one, register_fail};
    for (int i = optind; i < argc; i++)
        if (pk_walk(argv[i], &fns, &ctx) == PK_ENOMEM) { ctx.status = cli_error("out of memory"); break; }
    int status = ctx.status;
    pk_buf_free(&ctx.text);
    pk_buf_free(&ctx.out);
    pk_doc_free(&ctx.doc);
    pk_registry_close(r);
    if (fflush(stdout) != 0) return cli_error("stdout: write failed");
    return status;
}
