/* check.c -- `picket check`: show the registered passages in one text. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The passage with some context; matched words bold red on a terminal,
 * [[between brackets]] otherwise; words inside the passage that differ
 * from the work (edits) stay plain. */
static void show_passage(const char *text, size_t n, const pk_passage *p, int color)
{
    const size_t ctx = 80;
    size_t a = p->doc_start > ctx ? (size_t)p->doc_start - ctx : 0;
    size_t b = p->doc_end + ctx < n ? (size_t)p->doc_end + ctx : n;
    /* Do not cut a UTF-8 sequence in the context. */
    while (a > 0 && ((unsigned char)text[a] & 0xC0) == 0x80) a--;
    while (b < n && ((unsigned char)text[b] & 0xC0) == 0x80) b++;
    const char *dim = color ? "\033[2m" : "", *hi = color ? "\033[0;1;31m" : "[[", *lo = color ? "\033[0m" : "]]";
    fputs("    ", stdout);
    if (a > 0) fputs("...", stdout);
    fputs(dim, stdout);
    fwrite(text + a, 1, (size_t)p->doc_start - a, stdout);
    if (color) fputs("\033[0m", stdout);
    size_t at = (size_t)p->doc_start;
    for (uint32_t r = 0; r < p->nruns; r++) {
        size_t rs = (size_t)p->runs[2 * r], re = (size_t)p->runs[2 * r + 1];
        if (rs > at) fwrite(text + at, 1, rs - at, stdout);
        fputs(hi, stdout);
        fwrite(text + rs, 1, re - rs, stdout);
        fputs(lo, stdout);
        at = re;
    }
    if ((size_t)p->doc_end > at) fwrite(text + at, 1, (size_t)p->doc_end - at, stdout);
    fputs(dim, stdout);
    fwrite(text + p->doc_end, 1, b - (size_t)p->doc_end, stdout);
    if (color) fputs("\033[0m", stdout);
    if (b < n) fputs("...", stdout);
    fputc('\n', stdout);
}

int cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},  {"json", no_argument, NULL, 'j'},
                                         {"min-words", required_argument, NULL, 'm'},
                                         {"lossy", no_argument, NULL, 'L'},
                                         {"normalize-identifiers", no_argument, NULL, 'N'},   {NULL, 0, NULL, 0}};
    const char *db = NULL;
    int json = 0, c;
    long v;
    pk_scan_opts so;
    pk_scan_opts_default(&so);
    so.thorough = 1; /* one text, read by a person: recall over speed */
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'j': json = 1; break;
        case 'm': if ((v = cli_num("--min-words", optarg, 1, 1000000)) < 0) return EXIT_ERR; so.min_words = (uint32_t)v; break;
        case 'L': so.tok_flags |= PK_TOK_LOSSY; break;
        case 'N': so.normalize_identifiers = 1; break;
        default: return cli_usage("check");
        }
    }
    if (argc - optind > 1) return cli_usage("check");
    const char *file = optind < argc ? argv[optind] : "-";
    const char *path = cli_db_path(db, 0);
    if (!path) return EXIT_ERR;
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_index *ix = NULL;
    pk_scanner *sc = NULL;
    pk_buf text;
    pk_buf_init(&text, 0);
    int status = EXIT_ERR;
    if (pk_index_open(&ix, path, &e) || pk_scanner_new(&sc, ix, &so, &e)) { cli_perror(&e); goto done; }
    if (pk_source_slurp(file, &text, (size_t)1 << 32, &e)) { cli_perror(&e); goto done; }
    /* Show UTF-16 input as UTF-8: offsets then refer to the UTF-8 text. */
    pk_buf conv;
    pk_buf_init(&conv, 0);
    const char *shown = text.data ? text.data : "";
    size_t shown_n = text.len, skip = 0;
    if (pk_text_prepare(shown, shown_n, &conv, &shown, &shown_n, &skip, &e)) {
        pk_error_prefix(&e, "%s", strcmp(file, "-") ? file : "stdin");
        cli_perror(&e);
        pk_buf_free(&conv);
        goto done;
    }
    if (shown != text.data && shown_n) {
        pk_buf_reset(&text);
        pk_buf_append(&text, shown, shown_n);
    }
    pk_buf_free(&conv);
    pk_finding *f = NULL;
    size_t nf = 0;
    if (pk_scan_text(sc, text.data ? text.data : "", text.len, &f, &nf, &e)) {
        pk_error_prefix(&e, "%s", strcmp(file, "-") ? file : "stdin");
        cli_perror(&e);
        goto done;
    }
    const char *nc = getenv("NO_COLOR");
    int color = isatty(1) && !(nc && *nc);
    pk_record rec;
    memset(&rec, 0, sizeof rec);
    rec.path = file;
    rec.id = strcmp(file, "-") ? file : "stdin";
    rec.id_len = strlen(rec.id);
    pk_buf out;
    pk_buf_init(&out, 0);
    for (size_t i = 0; i < nf; i++) {
        if (json) {
            pk_buf_reset(&out);
            cli_finding_json(&out, ix, &rec, &f[i]);
            fwrite(out.data, 1, out.len, stdout);
            continue;
        }
        printf("%s%s%s  (%s): %u words matched, %.1f%% of the work, %zu passage%s\n", color ? "\033[1m" : "",
               pk_index_work_title(ix, f[i].work), color ? "\033[0m" : "", pk_index_work_id(ix, f[i].work),
               f[i].matched_words, 100.0 * f[i].coverage, f[i].npassages, f[i].npassages == 1 ? "" : "s");
        for (size_t j = 0; j < f[i].npassages; j++) {
            const pk_passage *p = &f[i].passages[j];
            char where[96] = "";
            if (p->work_start_scene && p->work_start_scene == p->work_end_scene)
                snprintf(where, sizeof where, "scene %u, ", p->work_start_scene);
            else if (p->work_start_scene || p->work_end_scene)
                snprintf(where, sizeof where, "scenes %u-%u, ", p->work_start_scene, p->work_end_scene);
            size_t wl = strlen(where);
            if (p->work_start_page && p->work_start_page == p->work_end_page)
                snprintf(where + wl, sizeof where - wl, "page %u, ", p->work_start_page);
            else if (p->work_start_page)
                snprintf(where + wl, sizeof where - wl, "pages %u-%u, ", p->work_start_page, p->work_end_page);
            printf("  bytes %llu-%llu = work %slines %u-%u, words %u-%u (%u words)\n", (unsigned long long)p->doc_start,
                   (unsigned long long)p->doc_end, where, p->work_start_line, p->work_end_line, p->work_start_word,
                   p->work_end_word, p->words);
            show_passage(text.data, text.len, p, color);
        }
    }
    pk_buf_free(&out);
    if (!json && nf == 0) printf("no registered passage of %u words or more\n", so.min_words);
    status = nf ? EXIT_FOUND : EXIT_NONE;
done:
    pk_buf_free(&text);
    pk_scanner_free(sc);
    pk_index_close(ix);
    return status;
}
