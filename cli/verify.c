/* verify.c -- `picket verify`: check an evidence bundle's signature and
 * the hashes of its pages and inputs. */
#include "cli.h"
#include "picket_report.h"

#include <string.h>

static void show(int status, const char *what, const char *detail, void *ud)
{
    static const char *tag[] = {"ok", "FAILED", "not checked", "note"};
    PK_UNUSED(ud);
    printf("%-12s %s: %s\n", tag[status], what, detail);
}

int cmd_verify(int argc, char **argv)
{
    static const struct option opts[] = {{"key", required_argument, NULL, 'k'}, {"findings", required_argument, NULL, 'F'},
                                         {"probe", required_argument, NULL, 'P'},
                                         {"db", required_argument, NULL, 'd'},  {NULL, 0, NULL, 0}};
    pk_verify_opts vo;
    memset(&vo, 0, sizeof vo);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'k': vo.pubkey = optarg; break;
        case 'F': vo.findings = optarg; break;
        case 'P': vo.probe = optarg; break;
        case 'd': vo.db = optarg; break;
        default: return cli_usage("verify");
        }
    }
    if (argc - optind != 1) return cli_usage("verify");
    vo.bundle = argv[optind];
    pk_error e;
    memset(&e, 0, sizeof e);
    unsigned failures = 0;
    if (pk_bundle_verify(&vo, show, NULL, &failures, &e)) return cli_perror(&e);
    fflush(stdout);
    if (failures) {
        cli_error("%s: verification FAILED (%u problem%s)", vo.bundle, failures, failures == 1 ? "" : "s");
        return EXIT_NONE;
    }
    fprintf(stderr, "picket: %s: verified\n", vo.bundle);
    return 0;
}
