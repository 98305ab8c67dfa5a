/* fuzz_report.c -- the findings reader and the HTML report on outside
 * input.  Every input is a findings file (JSON lines).  Parsing must
 * succeed or fail with PK_EFORMAT/PK_ETOOBIG and a message; whatever
 * parses must render, and no input may put an element of its own in the
 * page: the template holds no <script>, <img>, <iframe> or <a href=
 * "javascript:, so finding one means an escape was missed.  The same
 * input is also read as probe results (picket probe --json lines): when
 * pk_probe_check accepts it, the probe section renders under the same
 * rules. */
#include "pk.h"
#include "picket_report.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int contains(const pk_buf *b, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= b->len; i++)
        if (strncasecmp(b->data + i, needle, n) == 0) return 1;
    return 0;
}

static int check_page(unsigned no, const pk_buf *html, void *ud)
{
    PK_UNUSED(ud);
    if (no == 0 || !html->len) abort();
    if (contains(html, "<script") || contains(html, "<img") || contains(html, "<iframe") ||
        contains(html, "href=\"javascript"))
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pk_findings fs;
    pk_findings_init(&fs);
    pk_error e = {0, ""};
    int rc = pk_findings_parse(&fs, (const char *)data, size, &e);
    if (rc != 0 && rc != PK_EFORMAT && rc != PK_ETOOBIG && rc != PK_ENOMEM) abort();
    if (rc != 0 && !e.msg[0]) abort();
    if (rc == 0 && fs.n <= 500) {
        pk_report_opts o;
        pk_report_opts_default(&o);
        o.page_rows = 7; /* several pages from small inputs */
        o.per_work = 3;
        o.max_works = 4;
        if (pk_report_html(&fs, NULL, &o, check_page, NULL, &e) != 0) abort();
    }
    size_t nres = 0;
    rc = pk_probe_check("fuzz", (const char *)data, size, &nres, &e);
    if (rc != 0 && (rc != PK_EFORMAT || !e.msg[0])) abort();
    if (rc == 0 && nres) {
        pk_findings none;
        pk_findings_init(&none);
        pk_report_opts o;
        pk_report_opts_default(&o);
        o.probe = (const char *)data;
        o.probe_len = size;
        o.probe_source = "<script>";
        if (pk_report_html(&none, NULL, &o, check_page, NULL, &e) != 0) abort();
    }
    pk_findings_free(&fs);
    return 0;
}
