/* compile.c -- `picket compile`: build the scan index now. */
#include "cli.h"

#include <string.h>

int cmd_compile(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'}, {NULL, 0, NULL, 0}};
    const char *db = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else return cli_usage("compile");
    }
    if (optind != argc) return cli_usage("compile");
    const char *path = cli_db_path(db, 0);
    if (!path) return EXIT_ERR;
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_registry *r = NULL;
    if (pk_registry_open(&r, path, 0, NULL, &e)) return cli_perror(&e); /* writable: upgrades an older registry */
    char ipath[4200];
    snprintf(ipath, sizeof ipath, "%s.pkx", path);
    double t0 = cli_now();
    int rc = pk_index_compile(r, ipath, &e);
    pk_registry_close(r);
    if (rc) return cli_perror(&e);
    pk_index *ix = NULL;
    if (pk_index_open(&ix, path, &e)) return cli_perror(&e);
    char b[32];
    printf("compiled %s: %u works, %s, in %.2f s\n", ipath, pk_index_nworks(ix), cli_bytes((double)pk_index_size(ix), b),
           cli_now() - t0);
    pk_index_close(ix);
    return 0;
}
