/* probe.c -- `picket probe` (placeholder while it is written). */
#include "cli.h"

int cmd_probe(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_error("probe: not built yet");
}
