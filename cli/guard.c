/* guard.c -- `picket guard` (placeholder while it is written). */
#include "cli.h"

int cmd_guard(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_error("guard: not built yet");
}
