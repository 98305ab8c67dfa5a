/* fuzz_tdmrep.c -- the readers of `reserve check` on any bytes: the
 * tdmrep.json parser and its location matcher, the header field reader
 * and the HTML meta reader.
 *
 * The input is read three ways at once: as a tdmrep.json body, as a
 * response's header block, and as an HTML page.  Up to its first NUL it
 * is also a URL path: it is looked up in the rules, and matched as a
 * location against itself.  Besides the sanitizers' checks, it aborts
 * when a value leaves its range (a TDMRep value other than unset, 0 or 1;
 * a field that is not NUL-terminated within its size; more scoped
 * directives than room), when a lookup names a rule past the end, or when
 * a location with no '*' or '$' fails to match itself as a path (it is a
 * prefix of itself, and both sides are normalized the same way). */
#include "reserve/check.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_field(const char *f, size_t cap)
{
    if (!memchr(f, 0, cap)) abort();
}

static void check_signals(const pk_signals *s)
{
    if (s->tdm < PK_TDM_UNSET || s->tdm > PK_TDM_RESERVED) abort();
    if (s->train_ai < -1 || s->train_ai > 1 || s->ai_train < -1 || s->ai_train > 1) abort();
    if (s->nscoped > PK_SIG_SCOPED_MAX) abort();
    if (s->robots & ~(unsigned)(PK_NOAI | PK_NOIMAGEAI)) abort();
    check_field(s->tdm_raw, sizeof s->tdm_raw);
    check_field(s->tdm_policy, sizeof s->tdm_policy);
    check_field(s->usage, sizeof s->usage);
    check_field(s->signal, sizeof s->signal);
    check_field(s->robots_raw, sizeof s->robots_raw);
    for (size_t i = 0; i < s->nscoped; i++) check_field(s->scoped[i].agent, sizeof s->scoped[i].agent);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    char *path = malloc(size + 2);
    if (!path) return 0;
    /* the path: the bytes up to the first NUL, with a leading '/' */
    size_t pn = 0;
    path[pn++] = '/';
    for (size_t i = 0; i < size && data[i]; i++) path[pn++] = p[i];
    path[pn] = 0;

    pk_tdmrep *t = NULL;
    pk_error e;
    memset(&e, 0, sizeof e);
    if (pk_tdmrep_parse(&t, p, size, &e) == 0) {
        int res = 5;
        const char *pol = NULL;
        long i = pk_tdmrep_lookup(t, path, &res, &pol);
        if (i >= (long)pk_tdmrep_count(t) || i < -1) abort();
        if (i >= 0 && (res < PK_TDM_UNSET || res > PK_TDM_RESERVED)) abort();
        for (size_t k = 0; k < pk_tdmrep_count(t); k++) (void)strlen(pk_tdmrep_location(t, k));
        pk_tdmrep_free(t);
    } else if (t != NULL || !e.msg[0]) {
        abort();
    }

    if (!strpbrk(path, "*$") && pn <= 2048 && !pk_tdmrep_match(path, path)) abort();
    (void)pk_tdmrep_match(path, "/a/b.pdf");
    (void)pk_tdmrep_match("/*b*$", path);

    pk_signals s;
    pk_signals_init(&s);
    pk_signals_headers(&s, p, size);
    check_signals(&s);
    (void)pk_signals_noai(&s, "GPTBot");

    pk_signals m;
    pk_signals_init(&m);
    if (pk_signals_html(&m, p, size, &e) != 0) abort();
    check_signals(&m);
    free(path);
    return 0;
}
