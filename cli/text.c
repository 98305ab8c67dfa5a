/* text.c -- `picket text`: print the text picket reads from a work.
 *
 * The same reading as `picket register` (pk_source_slurp, pk_doc_read with
 * the same --format and auto-detection, then the byte-order mark skipped
 * or UTF-16 converted as the tokenizer does), so what is printed is
 * exactly what register fingerprints: one rendered line an output line.
 * With --lines each line is preceded by its place and a tab: the source
 * line ("12"), or, where the work has pages or scenes, "p3 s6 l12" (a
 * page or scene of 0, unknown, is left out).  With more than one FILE (or
 * a directory), --lines also puts the file name and a tab first. */
#include "cli.h"

#include <string.h>

typedef struct text_ctx {
    int format, lines, names, status;
    unsigned tok_flags;
    pk_buf raw, conv, out;
    pk_doc doc;
} text_ctx;

static int text_fail(const char *path, int code, const char *why, void *ud)
{
    text_ctx *c = ud;
    PK_UNUSED(code);
    c->status = cli_error("%s: %s", path, why);
    return 0;
}

/* The place of rendered line i (0-based), as --lines prints it. */
static int put_place(pk_buf *o, const pk_doc *d, size_t i)
{
    if (!d->line) return pk_buf_printf(o, "%zu\t", i + 1); /* plain text: line i is line i */
    uint32_t line = i < d->nlines ? d->line[i] : 0, page = i < d->nlines ? d->page[i] : 0,
             scene = i < d->nlines ? d->scene[i] : 0;
    if (!page && !scene) return pk_buf_printf(o, "%u\t", line);
    int rc = 0;
    if (page) rc = pk_buf_printf(o, "p%u ", page);
    if (!rc && scene) rc = pk_buf_printf(o, "s%u ", scene);
    return rc ? rc : pk_buf_printf(o, "l%u\t", line);
}

static int text_one(const char *file, void *ud)
{
    text_ctx *c = ud;
    pk_error e;
    memset(&e, 0, sizeof e);
    if (pk_source_slurp(file, &c->raw, (size_t)1 << 32, &e)) {
        c->status = cli_perror(&e);
        return 0;
    }
    const char *raw = c->raw.data ? c->raw.data : "", *s;
    size_t n, skip;
    if (pk_doc_read(&c->doc, file, raw, c->raw.len, c->format, c->tok_flags, &e) ||
        pk_text_prepare(c->doc.text.data ? c->doc.text.data : "", c->doc.text.len, &c->conv, &s, &n, &skip, &e)) {
        if (strncmp(e.msg, file, strlen(file)) != 0) pk_error_prefix(&e, "%s", file);
        c->status = cli_perror(&e);
        return e.code == PK_ENOMEM ? PK_ENOMEM : 0;
    }
    pk_buf *o = &c->out;
    pk_buf_reset(o);
    int rc = 0;
    for (size_t at = skip, i = 0; at < n && !rc; i++) {
        const char *nl = memchr(s + at, '\n', n - at);
        size_t len = nl ? (size_t)(nl - (s + at)) : n - at;
        if (c->lines && c->names) rc = pk_buf_printf(o, "%s\t", file);
        if (!rc && c->lines) rc = put_place(o, &c->doc, i);
        if (!rc) rc = pk_buf_append(o, s + at, len);
        if (!rc) rc = pk_buf_putc(o, '\n');
        at += len + 1;
    }
    if (rc) {
        c->status = cli_error("%s: %s", file, pk_strerror(rc));
        return rc == PK_ENOMEM ? PK_ENOMEM : 0;
    }
    if (o->len && fwrite(o->data, 1, o->len, stdout) != o->len) return PK_EIO;
    return 0;
}

int cmd_text(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"lines", no_argument, NULL, 'n'},
        {"lossy", no_argument, NULL, 'L'},
        {NULL, 0, NULL, 0},
    };
    text_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.format = PK_WORK_AUTO;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'f': if ((ctx.format = cli_work_format(optarg)) < 0) return EXIT_ERR; break;
        case 'n': ctx.lines = 1; break;
        case 'L': ctx.tok_flags |= PK_TOK_LOSSY; break;
        default: return cli_usage("text");
        }
    }
    if (optind >= argc) return cli_usage("text");
    ctx.names = argc - optind > 1 || cli_is_dir(argv[optind]);
    pk_buf_init(&ctx.raw, 0);
    pk_buf_init(&ctx.conv, 0);
    pk_buf_init(&ctx.out, 0);
    pk_doc_init(&ctx.doc);
    const pk_walk_fns fns = {text_one, text_fail};
    for (int i = optind; i < argc; i++) {
        int rc = pk_walk(argv[i], &fns, &ctx);
        if (rc == PK_ENOMEM) { ctx.status = cli_error("out of memory"); break; }
        if (rc == PK_EIO) break; /* stdout failed: reported below */
    }
    pk_buf_free(&ctx.raw);
    pk_buf_free(&ctx.conv);
    pk_buf_free(&ctx.out);
    pk_doc_free(&ctx.doc);
    if (fflush(stdout) != 0 || ferror(stdout)) return cli_error("stdout: write failed");
    return ctx.status;
}
