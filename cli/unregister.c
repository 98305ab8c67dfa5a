/* unregister.c -- `picket unregister`: remove works from the registry. */
#include "cli.h"

#include <string.h>

int cmd_unregister(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'}, {NULL, 0, NULL, 0}};
    const char *db = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'd') db = optarg;
        else return cli_usage("unregister");
    }
    if (optind >= argc) return cli_usage("unregister");
    const char *path = cli_db_path(db, 0);
    if (!path) return EXIT_ERR;
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_registry *r = NULL;
    if (pk_registry_open(&r, path, 0, NULL, &e)) return cli_perror(&e);
    int status = 0;
    for (int i = optind; i < argc; i++) {
        if (pk_registry_remove(r, argv[i], &e)) { cli_perror(&e); status = EXIT_ERR; continue; }
        printf("removed %s\n", argv[i]);
    }
    pk_registry_close(r);
    return status;
}
