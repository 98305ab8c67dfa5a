/* register.c -- `picket register`: add works to the registry. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

int cmd_register(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},     {"title", required_argument, NULL, 't'},
        {"author", required_argument, NULL, 'a'}, {"id", required_argument, NULL, 'i'},
        {"keep-text", no_argument, NULL, 'K'},    {"lossy", no_argument, NULL, 'L'},
        {"k", required_argument, NULL, 'k'},      {"w", required_argument, NULL, 'w'},
        {"json", no_argument, NULL, 'j'},         {NULL, 0, NULL, 0},
    };
    const char *db = NULL;
    pk_register_opts ro;
    memset(&ro, 0, sizeof ro);
    pk_params params;
    pk_params_default(&params);
    int set_params = 0, json = 0, c;
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
        default: return cli_usage("register");
        }
    }
    int nfiles = argc - optind;
    if (nfiles < 1) return cli_usage("register");
    if (nfiles > 1 && (ro.title || ro.id)) return cli_error("--title and --id name one work: give one FILE");
    const char *path = cli_db_path(db, 1);
    if (!path) return EXIT_ERR;

    pk_error e;
    memset(&e, 0, sizeof e);
    pk_registry *r = NULL;
    if (pk_registry_open(&r, path, PK_REG_CREATE, set_params ? &params : NULL, &e)) return cli_perror(&e);
    int status = 0;
    pk_buf text, out;
    pk_buf_init(&text, 0);
    pk_buf_init(&out, 0);
    for (int i = optind; i < argc; i++) {
        const char *file = argv[i];
        pk_buf_reset(&text);
        if (pk_source_slurp(file, &text, (size_t)1 << 32, &e)) {
            cli_perror(&e);
            status = EXIT_ERR;
            continue;
        }
        ro.source = file;
        pk_register_result res;
        if (pk_registry_add(r, text.data ? text.data : "", text.len, &ro, &res, &e)) {
            if (strncmp(e.msg, file, strlen(file)) != 0) pk_error_prefix(&e, "%s", file);
            cli_perror(&e);
            status = EXIT_ERR;
            continue;
        }
        if (json) {
            pk_buf_reset(&out);
            pk_buf_append(&out, "{\"file\":", 8);
            pk_buf_json_str(&out, file, strlen(file));
            pk_buf_append(&out, ",\"id\":", 6);
            pk_buf_json_str(&out, res.id, strlen(res.id));
            pk_buf_printf(&out, ",\"sha256\":\"%s\",\"words\":%llu,\"fingerprints\":%llu,\"status\":\"%s\"}\n", res.sha256,
                          (unsigned long long)res.tokens, (unsigned long long)res.fingerprints,
                          res.existed ? "unchanged" : "registered");
            fwrite(out.data, 1, out.len, stdout);
        } else if (res.existed) {
            printf("unchanged  %s  (%s: same content already registered)\n", res.id, file);
        } else {
            printf("registered %s  (%s: %llu words, %llu fingerprints)\n", res.id, file,
                   (unsigned long long)res.tokens, (unsigned long long)res.fingerprints);
        }
    }
    pk_buf_free(&text);
    pk_buf_free(&out);
    pk_registry_close(r);
    if (fflush(stdout) != 0) return cli_error("stdout: write failed");
    return status;
}
