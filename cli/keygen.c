/* keygen.c -- `picket keygen`: an Ed25519 key pair for signing evidence. */
#include "cli.h"
#include "picket_report.h"

#include <string.h>

int cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, NULL, 'o'}, {"force", no_argument, NULL, 'f'},
                                         {NULL, 0, NULL, 0}};
    const char *out = "picket.key";
    int force = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'f': force = 1; break;
        default: return cli_usage("keygen");
        }
    }
    if (optind != argc) return cli_usage("keygen");
    pk_error e;
    memset(&e, 0, sizeof e);
    char id[PK_KEYID_LEN];
    if (pk_keygen(out, force, id, &e)) return cli_perror(&e);
    printf("secret key %s (mode 0600: keep it private)\npublic key %s.pub (give it to whoever verifies)\nkey id %s\n", out, out, id);
    return 0;
}
