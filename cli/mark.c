/* mark.c -- `picket mark`: write a copy of a work carrying a mark unique
 * to one recipient, recorded in the registry (src/mark.c). */
#include "cli.h"
#include "picket_mark.h"
#include "reserve/reserve.h" /* pk_write_atomic */

#include <string.h>

int cmd_mark(int argc, char **argv)
{
    static const struct option opts[] = {{"recipient", required_argument, NULL, 'r'}, {"out", required_argument, NULL, 'o'},
                                         {"db", required_argument, NULL, 'd'},        {"format", required_argument, NULL, 'f'},
                                         {"json", no_argument, NULL, 'j'},            {"dense", no_argument, NULL, 'D'},
                                         {"tardos", no_argument, NULL, 'T'},          {NULL, 0, NULL, 0}};
    const char *recipient = NULL, *outpath = NULL, *db = NULL;
    int format = PK_WORK_AUTO, json = 0, c;
    unsigned flags = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r': recipient = optarg; break;
        case 'o': outpath = optarg; break;
        case 'd': db = optarg; break;
        case 'j': json = 1; break;
        case 'D': flags |= PK_MARK_DENSE; break;
        case 'T': flags |= PK_MARK_TARDOS; break;
        case 'f':
            if ((format = pk_work_format_parse(optarg)) < 0)
                return cli_error("--format %s: expected auto, text, fountain, fdx, html or markdown", optarg);
            break;
        default: return cli_usage("mark");
        }
    }
    if (argc - optind != 1 || !recipient) return cli_usage("mark");
    const char *file = argv[optind];
    const char *path = cli_db_path(db, 1);
    if (!path) return EXIT_ERR;
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_registry *r = NULL;
    pk_buf in, out;
    pk_buf_init(&in, 0);
    pk_buf_init(&out, 0);
    pk_mark_result res;
    int status = EXIT_ERR;
    if (pk_source_slurp(file, &in, (size_t)1 << 30, &e) || pk_registry_open(&r, path, PK_REG_CREATE, NULL, &e) ||
        pk_mark_work(r, file, in.data ? in.data : "", in.len, format, recipient, flags, &out, &res, &e)) {
        cli_perror(&e);
        goto cleanup;
    }
    if (outpath && strcmp(outpath, "-") != 0) { /* whole or not at all: a temporary file renamed into place */
        if (pk_write_atomic(outpath, out.data ? out.data : "", out.len, &e)) { cli_perror(&e); goto cleanup; }
    } else if (out.len && fwrite(out.data, 1, out.len, stdout) != out.len) {
        cli_error("stdout: write failed");
        goto cleanup;
    }
    if ((flags & PK_MARK_TARDOS) && res.cutoff != PK_MARK_CUTOFF_TARDOS)
        fprintf(stderr, "picket: warning: --tardos ignored: this registry's code was fixed by its first mark (%s)\n",
                res.cutoff >= 0.5 ? "fair coins" : "Tardos biases");
    if (res.points < 40)
        fprintf(stderr, "picket: warning: %s: only %zu choice points; a short excerpt may not be traceable\n", file,
                res.points);
    FILE *msg = outpath && strcmp(outpath, "-") != 0 ? stdout : stderr;
    if (json) {
        pk_buf j;
        pk_buf_init(&j, 0);
        pk_buf_printf(&j, "{\"file\":");
        pk_buf_json_str(&j, file, strlen(file));
        pk_buf_printf(&j, ",\"recipient\":");
        pk_buf_json_str(&j, recipient, strlen(recipient));
        pk_buf_printf(&j, ",\"mark\":\"%s\",\"work\":", res.mark_id);
        if (res.work_id[0]) pk_buf_json_str(&j, res.work_id, strlen(res.work_id)); else pk_buf_printf(&j, "null");
        pk_buf_printf(&j, ",\"sha256\":\"%s\",\"points\":%zu,\"status\":\"%s\"}\n", res.sha256, res.points,
                      res.existed ? "unchanged" : "marked");
        fwrite(j.data, 1, j.len, msg);
        pk_buf_free(&j);
    } else
        fprintf(msg, "%s %s for %s: mark %s, %zu choice points%s%s\n", res.existed ? "re-marked" : "marked", file,
                recipient, res.mark_id, res.points, res.work_id[0] ? ", work " : "", res.work_id);
    status = 0;
cleanup:
    pk_registry_close(r);
    pk_buf_free(&in);
    pk_buf_free(&out);
    return status;
}
