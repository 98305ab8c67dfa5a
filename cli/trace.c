/* trace.c -- `picket trace`: name the recipient whose marked copy a leak
 * derives from, or say that it cannot tell (src/mark.c). */
#include "cli.h"
#include "picket_mark.h"

#include <stdlib.h>
#include <string.h>

int cmd_trace(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},     {"work", required_argument, NULL, 'w'},
                                         {"json", no_argument, NULL, 'j'},         {"alpha", required_argument, NULL, 'a'},
                                         {"format", required_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
    const char *db = NULL, *work = NULL;
    int json = 0, format = PK_WORK_AUTO, c;
    double alpha = PK_MARK_ALPHA;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'w': work = optarg; break;
        case 'j': json = 1; break;
        case 'a': {
            char *end;
            alpha = strtod(optarg, &end);
            if (*end || !(alpha > 0 && alpha < 1)) return cli_error("--alpha %s: expected a number between 0 and 1", optarg);
            break;
        }
        case 'f':
            if ((format = pk_work_format_parse(optarg)) < 0) return cli_error("--format %s: unknown format", optarg);
            break;
        default: return cli_usage("trace");
        }
    }
    if (argc - optind > 1) return cli_usage("trace");
    const char *file = optind < argc ? argv[optind] : "-";
    const char *path = cli_db_path(db, 0);
    if (!path) return EXIT_ERR;
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_registry *r = NULL;
    pk_buf in;
    pk_buf_init(&in, 0);
    pk_doc doc;
    pk_doc_init(&doc);
    pk_trace_result res;
    int status = EXIT_ERR;
    if (pk_source_slurp(file, &in, (size_t)1 << 30, &e) ||
        pk_doc_read(&doc, file, in.data ? in.data : "", in.len, format, PK_TOK_LOSSY, &e) ||
        pk_registry_open(&r, path, 0, NULL, &e) ||
        pk_trace_text(r, doc.text.data ? doc.text.data : "", doc.text.len, work, alpha, &res, &e)) {
        cli_perror(&e);
        goto cleanup;
    }
    const pk_trace_suspect *top = res.nsuspects ? &res.suspects[0] : NULL;
    if (json) {
        pk_buf j;
        pk_buf_init(&j, 0);
        pk_buf_printf(&j, "{\"leak\":");
        pk_buf_json_str(&j, file, strlen(file));
        pk_buf_printf(&j, ",\"work\":");
        if (res.work_id[0]) pk_buf_json_str(&j, res.work_id, strlen(res.work_id)); else pk_buf_printf(&j, "null");
        pk_buf_printf(&j, ",\"sha256\":");
        if (res.sha256[0]) pk_buf_printf(&j, "\"%s\"", res.sha256); else pk_buf_printf(&j, "null");
        pk_buf_printf(&j, ",\"points_read\":%zu,\"points_used\":%zu,\"points_work\":%zu,\"recipients\":%zu,\"alpha\":%g,"
                      "\"candidates\":%zu,\"accused\":", res.points_read, res.points_known, res.points_work, res.recipients,
                      res.alpha, res.candidates);
        if (res.accused) pk_buf_json_str(&j, top->recipient, strlen(top->recipient)); else pk_buf_printf(&j, "null");
        pk_buf_printf(&j, ",\"suspects\":[");
        for (size_t i = 0; i < res.nsuspects; i++) {
            const pk_trace_suspect *s = &res.suspects[i];
            pk_buf_printf(&j, "%s{\"recipient\":", i ? "," : "");
            pk_buf_json_str(&j, s->recipient, strlen(s->recipient));
            pk_buf_printf(&j, ",\"mark\":\"%s\",\"date\":\"%s\",\"matches\":%u,\"points\":%zu,\"score\":%.3f,"
                          "\"p\":%.3g,\"bound\":%.3g}", s->mark_id, s->date, s->matches, (size_t)s->points, s->score,
                          s->p, s->bound);
        }
        pk_buf_printf(&j, "]}\n");
        fwrite(j.data, 1, j.len, stdout);
        pk_buf_free(&j);
    } else {
        if (!res.sha256[0])
            printf("%s: none of the %zu choice points read is a marked work's\n", file, res.points_read);
        else
            printf("%s: from %s: %zu choice points read, %zu of the work's %zu used, %zu recipients scored\n", file,
                   res.work_id[0] ? res.work_id : res.sha256, res.points_read, res.points_known, res.points_work,
                   res.recipients);
        for (size_t i = 0; i < res.nsuspects && i < 3; i++) {
            const pk_trace_suspect *s = &res.suspects[i];
            printf("  %-24s matches %u/%u  score %.1f  P(innocent scores this) <= %.2g, x %zu %s = %.2g\n",
                   s->recipient, s->matches, s->points, s->score, s->p, res.candidates,
                   res.candidates > res.recipients ? "candidates (joined line breaks read two ways)" : "recipients",
                   s->bound);
        }
        if (res.accused)
            printf("leaked by: %s (mark %s, %s); chance that an innocent recipient is named <= %g\n", top->recipient,
                   top->mark_id, top->date, res.alpha);
        else
            printf("cannot tell: no recipient's evidence reaches the bound %g\n", res.alpha);
    }
    status = res.accused ? EXIT_FOUND : EXIT_NONE;
cleanup:
    pk_registry_close(r);
    pk_doc_free(&doc);
    pk_buf_free(&in);
    return status;
}
