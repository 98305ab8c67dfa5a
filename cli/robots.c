/* robots.c -- `picket robots FILE AGENT URL`: one RFC 9309 question,
 * answered offline from a robots.txt file (src/reserve/robots.c). */
#include "cli.h"
#include "reserve/reserve.h"

#include <string.h>

int cmd_robots(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'j') json = 1;
        else return cli_usage("robots");
    }
    if (argc - optind != 3) return cli_usage("robots");
    const char *file = argv[optind], *agent = argv[optind + 1], *url = argv[optind + 2];
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_buf body;
    pk_buf_init(&body, (size_t)64 << 20);
    pk_robots *r = NULL;
    int status = EXIT_ERR;
    if (pk_source_slurp(file, &body, body.max, &e)) {
        cli_perror(&e);
        goto cleanup;
    }
    if (pk_robots_parse(&r, body.data ? body.data : "", body.len, &e)) {
        cli_perror(&e);
        goto cleanup;
    }
    if (pk_robots_truncated(r))
        fprintf(stderr, "picket: %s: over %zu KiB; the rest is ignored, as RFC 9309 allows\n", file,
                PK_ROBOTS_MAX_BYTES / 1024);
    pk_robots_verdict v;
    pk_robots_check(r, agent, url, &v);
    char usage[512];
    int has_usage = pk_robots_content_usage(r, agent, url, usage, sizeof usage);
    const char *group = v.group_star ? "the '*' group" : pk_robots_names_agent(r, agent) ? "its own group" : "no group";
    if (json) {
        pk_buf b;
        pk_buf_init(&b, 0);
        pk_buf_printf(&b, "{\"agent\":");
        pk_buf_json_str(&b, agent, strlen(agent));
        pk_buf_printf(&b, ",\"url\":");
        pk_buf_json_str(&b, url, strlen(url));
        pk_buf_printf(&b, ",\"allowed\":%s,\"line\":%u,\"rule\":", v.allowed ? "true" : "false", v.line);
        pk_buf_json_str(&b, v.rule, strlen(v.rule));
        pk_buf_printf(&b, ",\"group\":\"%s\",\"content_usage\":",
                      v.group_star ? "*" : pk_robots_names_agent(r, agent) ? "agent" : "none");
        if (has_usage) pk_buf_json_str(&b, usage, strlen(usage));
        else pk_buf_printf(&b, "null");
        pk_buf_printf(&b, ",\"truncated\":%s}\n", pk_robots_truncated(r) ? "true" : "false");
        fwrite(b.data, 1, b.len, stdout);
        pk_buf_free(&b);
    } else {
        printf("%s: %s may %sfetch %s\n", v.allowed ? "allowed" : "disallowed", agent, v.allowed ? "" : "not ", url);
        if (v.line) printf("  rule: line %u: %s (%s)\n", v.line, v.rule, group);
        else if (v.allowed && strstr(url, "/robots.txt") && !v.line) printf("  no rule matched (%s); /robots.txt itself is always allowed\n", group);
        else printf("  no rule matched (%s)\n", group);
        if (has_usage) printf("  %s\n", usage);
    }
    status = v.allowed ? EXIT_FOUND : EXIT_NONE;
cleanup:
    pk_robots_free(r);
    pk_buf_free(&body);
    return status;
}
