/* works.c -- `picket works`: list the registry. */
#include "cli.h"

#include <string.h>

static int print_json(const pk_work_info *w, void *ud)
{
    pk_buf *b = ud;
    pk_buf_reset(b);
    pk_buf_append(b, "{\"id\":", 6);
    pk_buf_json_str(b, w->id, strlen(w->id));
    pk_buf_append(b, ",\"title\":", 9);
    pk_buf_json_str(b, w->title ? w->title : "", w->title ? strlen(w->title) : 0);
    pk_buf_append(b, ",\"author\":", 10);
    if (w->author) pk_buf_json_str(b, w->author, strlen(w->author)); else pk_buf_append(b, "null", 4);
    pk_buf_append(b, ",\"source\":", 10);
    if (w->source) pk_buf_json_str(b, w->source, strlen(w->source)); else pk_buf_append(b, "null", 4);
    pk_buf_printf(b, ",\"format\":\"%s\",\"sha256\":\"%s\",\"bytes\":%llu,\"words\":%llu,\"fingerprints\":%llu,\"added\":\"%s\"}\n",
                  w->format, w->sha256,
                  (unsigned long long)w->bytes, (unsigned long long)w->tokens, (unsigned long long)w->fingerprints,
                  w->added);
    fwrite(b->data, 1, b->len, stdout);
    return 0;
}

static int print_row(const pk_work_info *w, void *ud)
{
    int *n = ud;
    if ((*n)++ == 0) printf("%-24s %-8s %8s %6s  %s\n", "ID", "FORMAT", "WORDS", "FPS", "TITLE");
    printf("%-24s %-8s %8llu %6llu  %s%s%s\n", w->id, w->format, (unsigned long long)w->tokens,
           (unsigned long long)w->fingerprints, w->title ? w->title : "", w->author ? " -- " : "", w->author ? w->author : "");
    return 0;
}

int cmd_works(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'}, {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    const char *db = NULL;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else if (c == 'j') json = 1;
        else return cli_usage("works");
    }
    if (optind != argc) return cli_usage("works");
    const char *path = cli_db_path(db, 0);
    if (!path) return EXIT_ERR;
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_registry *r = NULL;
    if (pk_registry_open(&r, path, PK_REG_READONLY, NULL, &e)) return cli_perror(&e);
    pk_buf b;
    pk_buf_init(&b, 0);
    int n = 0, rc = json ? pk_registry_each(r, print_json, &b, &e) : pk_registry_each(r, print_row, &n, &e);
    pk_buf_free(&b);
    pk_registry_close(r);
    if (rc) return cli_perror(&e);
    return 0;
}
