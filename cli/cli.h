/* cli.h -- what the command files share: option helpers, paths, output.
 *
 * Each command lives in its own file as `int cmd_NAME(int argc, char
 * **argv)` and returns the process exit status.  Commands parse options,
 * call the library and print; no algorithm lives here. */
#ifndef PK_CLI_H
#define PK_CLI_H

#include "picket.h"
#include "pk.h"

#include <getopt.h>
#include <stdio.h>

/* Exit statuses, as grep: 0 found (or success), 1 not found, 2 error. */
enum { EXIT_FOUND = 0, EXIT_NONE = 1, EXIT_ERR = 2 };

/* Print "picket: <msg>" on stderr.  Returns EXIT_ERR. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_perror(const pk_error *e);
/* The registry path: --db, else $PICKET_DB, else
 * $XDG_DATA_HOME/picket/registry.db (~/.local/share/...).  When create is
 * set, the parent directory is made.  Returns NULL (after printing) on
 * failure.  The result is static. */
const char *cli_db_path(const char *opt, int create);
/* Parse a positive integer option; prints and returns -1 when invalid. */
long cli_num(const char *opt, const char *val, long lo, long hi);
/* The work format named by --format (pk_work_format_parse); prints the
 * accepted names and returns -1 when val is none of them. */
int cli_work_format(const char *val);
/* Is p a directory ("-" is not)? */
int cli_is_dir(const char *p);
/* Print the help text of a command (from help.c) on f. */
int cli_help(const char *cmd, FILE *f);
/* Exit status for "--help" / unknown option: prints usage. */
int cli_usage(const char *cmd);

/* Human-readable byte count ("1.5 MB"). */
const char *cli_bytes(double n, char buf[32]);
double cli_now(void);

/* Write one finding as a JSON line into b. */
int cli_finding_json(pk_buf *b, const pk_index *ix, const pk_record *rec, const pk_finding *f);
/* The same, with_text: each passage also carries "text", its bytes of the
 * document text (scan --with-text, for picket report). */
int cli_finding_json_ex(pk_buf *b, const pk_index *ix, const pk_record *rec, const pk_finding *f, int with_text);

int cmd_register(int argc, char **argv);
int cmd_unregister(int argc, char **argv);
int cmd_works(int argc, char **argv);
int cmd_text(int argc, char **argv); /* cli/text.c */
int cmd_compile(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_filter(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_robots(int argc, char **argv);
int cmd_reserve(int argc, char **argv);
/* picket reserve check (cli/reserve_check.c); argv[0] is "check". */
int cmd_reserve_check(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_mark(int argc, char **argv);  /* cli/mark.c */
int cmd_trace(int argc, char **argv); /* cli/trace.c */
int cmd_canary(int argc, char **argv);
int cmd_probe(int argc, char **argv); /* cli/probe.c */
int cmd_guard(int argc, char **argv); /* cli/guard.c */

#endif
