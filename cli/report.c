/* report.c -- `picket report`: findings to an HTML report and signed
 * evidence (src/report.c, src/evidence.c do the work). */
#include "cli.h"
#include "picket_report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FINDINGS_MAX ((size_t)1 << 32) /* 4 GiB of JSON lines */

/* The findings file's bytes as stored (no decompression: their SHA-256
 * is what the evidence records), or stdin's for "-". */
static int read_findings(const char *path, pk_buf *out, pk_error *e)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) return pk_fail(e, PK_EIO, "%s: %s", path, strerror(errno));
    int rc = 0;
    for (;;) {
        if ((rc = pk_buf_reserve(out, 1 << 20))) { rc = pk_fail(e, rc, "%s: larger than %zu bytes", path, FINDINGS_MAX); break; }
        size_t got = fread(out->data + out->len, 1, out->cap - out->len - 1, f);
        out->len += got;
        if (got == 0) {
            if (ferror(f)) rc = pk_fail(e, PK_EIO, "%s: read failed", path);
            break;
        }
    }
    if (f != stdin) fclose(f);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},        {"out", required_argument, NULL, 'o'},
        {"sign", required_argument, NULL, 's'},      {"per-work", required_argument, NULL, 'p'},
        {"max-works", required_argument, NULL, 'W'}, {"page-rows", required_argument, NULL, 'r'},
        {"probe", required_argument, NULL, 'P'},     {NULL, 0, NULL, 0}};
    const char *db = NULL, *dir = "picket-report", *key = NULL, *probe = NULL;
    pk_bundle_opts bo;
    memset(&bo, 0, sizeof bo);
    pk_report_opts_default(&bo.report);
    int c;
    long v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'o': dir = optarg; break;
        case 's': key = optarg; break;
        case 'P': probe = optarg; break;
        case 'p': if ((v = cli_num("--per-work", optarg, 0, 10000)) < 0) return EXIT_ERR; bo.report.per_work = (size_t)v; break;
        case 'W': if ((v = cli_num("--max-works", optarg, 0, 100000)) < 0) return EXIT_ERR; bo.report.max_works = (size_t)v; break;
        case 'r': if ((v = cli_num("--page-rows", optarg, 1, 1000000)) < 0) return EXIT_ERR; bo.report.page_rows = (size_t)v; break;
        default: return cli_usage("report");
        }
    }
    if (argc - optind != 1) return cli_usage("report");
    const char *in = argv[optind];
    int status = EXIT_ERR;
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_buf data, pdata;
    pk_buf_init(&data, FINDINGS_MAX);
    pk_buf_init(&pdata, FINDINGS_MAX);
    pk_findings fs;
    pk_findings_init(&fs);
    pk_registry *reg = NULL;
    const char *dbp = cli_db_path(db, 0);
    if (!dbp) goto cleanup;
    struct stat sb;
    if (stat(dbp, &sb) != 0) { cli_error("%s: no registry there: give --db PATH (the one the scan used)", dbp); goto cleanup; }
    if (pk_registry_open(&reg, dbp, PK_REG_READONLY, NULL, &e)) { cli_perror(&e); goto cleanup; }
    if (read_findings(in, &data, &e) || pk_findings_parse(&fs, data.data ? data.data : "", data.len, &e)) {
        pk_error_prefix(&e, "%s", strcmp(in, "-") ? in : "stdin");
        cli_perror(&e);
        goto cleanup;
    }
    if (probe && strcmp(probe, "-") == 0 && strcmp(in, "-") == 0) { cli_error("--probe -: stdin is the findings already"); goto cleanup; }
    if (probe && (read_findings(probe, &pdata, &e) || pk_probe_check(probe, pdata.data ? pdata.data : "", pdata.len, NULL, &e))) {
        cli_perror(&e);
        goto cleanup;
    }
    bo.probe_path = probe;
    bo.probe = probe ? (pdata.data ? pdata.data : "") : NULL;
    bo.probe_len = pdata.len;
    bo.dir = dir;
    bo.findings_path = in;
    bo.findings = data.data;
    bo.findings_len = data.len;
    bo.reg = reg;
    bo.reg_path = dbp;
    bo.sign_key = key;
    pk_bundle_result res;
    double t0 = cli_now();
    if (pk_bundle_write(&bo, &fs, &res, &e)) { cli_perror(&e); goto cleanup; }
    char b1[32], b2[32];
    fprintf(stderr, "picket: %zu findings: %s/report.html", fs.n, dir);
    if (res.pages > 1) fprintf(stderr, " and %u more pages", res.pages - 1);
    fprintf(stderr, " (%s), %s/evidence.json (%s)", cli_bytes((double)res.html_bytes, b1), dir, cli_bytes((double)res.evidence_bytes, b2));
    if (res.keyid[0]) fprintf(stderr, " signed by key %s", res.keyid);
    fprintf(stderr, " in %.2f s\n", cli_now() - t0);
    status = 0;
cleanup:
    pk_findings_free(&fs);
    pk_buf_free(&data);
    pk_buf_free(&pdata);
    pk_registry_close(reg);
    return status;
}
