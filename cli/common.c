/* common.c -- helpers shared by the command files. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("picket: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_ERR;
}

int cli_perror(const pk_error *e)
{
    return cli_error("%s", e->msg[0] ? e->msg : pk_strerror(e->code));
}

static int mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        int r = mkdir(path, 0755);
        *p = '/';
        if (r != 0 && errno != EEXIST) return -1;
    }
    return 0;
}

const char *cli_db_path(const char *opt, int create)
{
    static char buf[PATH_MAX];
    const char *env = getenv("PICKET_DB");
    if (opt && *opt) snprintf(buf, sizeof buf, "%s", opt);
    else if (env && *env) snprintf(buf, sizeof buf, "%s", env);
    else {
        const char *x = getenv("XDG_DATA_HOME");
        const char *home = getenv("HOME");
        if (x && *x) snprintf(buf, sizeof buf, "%s/picket/registry.db", x);
        else if (home && *home) snprintf(buf, sizeof buf, "%s/.local/share/picket/registry.db", home);
        else { cli_error("no registry: set --db, PICKET_DB or HOME"); return NULL; }
    }
    if (create && mkdirs(buf) != 0) {
        cli_error("%s: cannot create directory: %s", buf, strerror(errno));
        return NULL;
    }
    return buf;
}

long cli_num(const char *opt, const char *val, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(val, &end, 10);
    if (errno || end == val || *end || v < lo || v > hi) {
        cli_error("%s: expected a number from %ld to %ld, got '%s'", opt, lo, hi, val);
        return -1;
    }
    return v;
}

int cli_work_format(const char *val)
{
    int f = pk_work_format_parse(val);
    if (f < 0)
        cli_error("--format: expected auto, text, fountain, fdx, html, markdown, epub, docx, pdf, code or "
                  "code-normalized, got '%s'", val);
    return f;
}

int cli_is_dir(const char *p)
{
    struct stat st;
    return strcmp(p, "-") != 0 && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *cli_bytes(double n, char buf[32])
{
    const char *u[] = {"B", "kB", "MB", "GB", "TB"};
    int i = 0;
    while (n >= 1000 && i < 4) { n /= 1000; i++; }
    snprintf(buf, 32, i ? "%.1f %s" : "%.0f %s", n, u[i]);
    return buf;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cli_finding_json(pk_buf *b, const pk_index *ix, const pk_record *rec, const pk_finding *f)
{
    return cli_finding_json_ex(b, ix, rec, f, 0);
}

int cli_finding_json_ex(pk_buf *b, const pk_index *ix, const pk_record *rec, const pk_finding *f, int with_text)
{
    int rc = 0;
    const char *wid = pk_index_work_id(ix, f->work);
    const char *title = pk_index_work_title(ix, f->work);
    rc |= pk_buf_append(b, "{\"doc\":", 7);
    rc |= pk_buf_json_str(b, rec->id, rec->id_len);
    rc |= pk_buf_append(b, ",\"source\":", 10);
    rc |= pk_buf_json_str(b, rec->path, strlen(rec->path));
    if (rec->member) {
        rc |= pk_buf_append(b, ",\"member\":", 10);
        rc |= pk_buf_json_str(b, rec->member, strlen(rec->member));
    }
    if (rec->line) rc |= pk_buf_printf(b, ",\"line\":%llu", (unsigned long long)rec->line);
    if (rec->url) {
        rc |= pk_buf_append(b, ",\"url\":", 7);
        rc |= pk_buf_json_str(b, rec->url, rec->url_len);
    }
    if (rec->date) {
        rc |= pk_buf_append(b, ",\"date\":", 8);
        rc |= pk_buf_json_str(b, rec->date, rec->date_len);
    }
    rc |= pk_buf_append(b, ",\"work\":", 8);
    rc |= pk_buf_json_str(b, wid, strlen(wid));
    rc |= pk_buf_append(b, ",\"title\":", 9);
    rc |= pk_buf_json_str(b, title, strlen(title));
    rc |= pk_buf_printf(b, ",\"matched_words\":%u,\"work_words\":%u,\"work_coverage\":%.6f,\"passages\":[",
                        f->matched_words, pk_index_work_tokens(ix, f->work), f->coverage);
    for (size_t i = 0; i < f->npassages; i++) {
        const pk_passage *p = &f->passages[i];
        rc |= pk_buf_printf(b,
                            "%s{\"doc_start\":%llu,\"doc_end\":%llu,\"work_start_word\":%u,\"work_end_word\":%u,"
                            "\"work_start_line\":%u,\"work_end_line\":%u,",
                            i ? "," : "", (unsigned long long)p->doc_start, (unsigned long long)p->doc_end,
                            p->work_start_word, p->work_end_word, p->work_start_line, p->work_end_line);
        /* Pages and scenes only for works that have them (screenplays). */
        if (p->work_start_page)
            rc |= pk_buf_printf(b, "\"work_start_page\":%u,\"work_end_page\":%u,", p->work_start_page, p->work_end_page);
        if (p->work_start_scene || p->work_end_scene)
            rc |= pk_buf_printf(b, "\"work_start_scene\":%u,\"work_end_scene\":%u,", p->work_start_scene,
                                p->work_end_scene);
        /* --with-text: the document's own bytes of the passage, for reports. */
        if (with_text && rec->text && p->doc_start <= p->doc_end && p->doc_end <= rec->text_len) {
            rc |= pk_buf_append(b, "\"text\":", 7);
            rc |= pk_buf_json_str(b, rec->text + p->doc_start, (size_t)(p->doc_end - p->doc_start));
            rc |= pk_buf_putc(b, ',');
        }
        rc |= pk_buf_printf(b, "\"words\":%u}", p->words);
    }
    rc |= pk_buf_append(b, "]}\n", 3);
    return rc ? PK_ENOMEM : 0;
}
