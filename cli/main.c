/* main.c -- the picket command: dispatch to one file per subcommand, as
 * git does.  Global work (locale, no buffering surprises) happens here. */
#include "cli.h"

#include <string.h>

static const struct cmd {
    const char *name;
    int (*fn)(int, char **);
} cmds[] = {
    {"register", cmd_register}, {"unregister", cmd_unregister}, {"works", cmd_works},
    {"compile", cmd_compile},   {"scan", cmd_scan},             {"filter", cmd_filter},
    {"check", cmd_check},       {"demo", cmd_demo},             {"help", cmd_help},
    {"version", cmd_version},   {"text", cmd_text},
    {"report", cmd_report},     {"keygen", cmd_keygen},         {"verify", cmd_verify},
    {"robots", cmd_robots},     {"reserve", cmd_reserve},
    {"mark", cmd_mark},         {"trace", cmd_trace},
    {"canary", cmd_canary},
    {"probe", cmd_probe},       {"guard", cmd_guard},
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        cli_help(NULL, stderr);
        return EXIT_ERR;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) return cli_help(NULL, stdout), 0;
    if (strcmp(name, "--version") == 0) name = "version";
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(cmds[i].name, name) == 0) {
            for (int a = 2; a < argc; a++) {
                if (strcmp(argv[a], "--") == 0) break;
                if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0)
                    return cli_help(cmds[i].name, stdout), 0;
            }
            return cmds[i].fn(argc - 1, argv + 1);
        }
    }
    return cli_error("'%s' is not a picket command; see 'picket help'", name);
}
