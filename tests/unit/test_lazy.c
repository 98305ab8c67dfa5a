/* test_lazy.c -- libraries opened on first use (src/lazy.c): curl, qpdf,
 * libmicrohttpd, libxml2 and libarchive open and work through their
 * tables; a library that is not there is an error naming it, every time
 * it is asked for, and nothing else breaks.  lazy.c is built here with a
 * soname that exists nowhere in place of poppler's. */
#define PK_POPPLER_SONAME "libpicket-no-such-library.so.0"
#include "../../src/lazy.c"

#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>

static void missing_library_is_an_error(void)
{
    pk_error e;
    memset(&e, 0, sizeof e);
    CHECK(pk_lazy_poppler(&e) == PK_EIO);
    CHECK(strstr(e.msg, "libpicket-no-such-library.so.0") != NULL);
    CHECK(strstr(e.msg, "cannot load") != NULL);
    /* asked again: the same answer, not a crash through an empty table */
    memset(&e, 0, sizeof e);
    CHECK(pk_lazy_poppler(&e) == PK_EIO);
    CHECK(strstr(e.msg, "libpicket-no-such-library.so.0") != NULL);
    CHECK(pk_poppler_fns_.poppler_document_new_from_bytes == NULL);
}

/* loader opens its library, twice asked, and fills every pointer of
 * its table (size bytes of function pointers, and xmlFree's address). */
static void expect_opened(int (*loader)(pk_error *), const void *table, size_t size)
{
    pk_error e;
    memset(&e, 0, sizeof e);
    CHECK_EQ_U(loader(&e), 0);
    CHECK_EQ_U(loader(&e), 0);
    for (size_t i = 0; i < size / sizeof(void *); i++) {
        void *p;
        memcpy(&p, (const char *)table + i * sizeof p, sizeof p);
        CHECK(p != NULL);
    }
}

static void curl_opens_and_works(void)
{
    expect_opened(pk_lazy_curl, &pk_curl_fns_, sizeof pk_curl_fns_);
    CURLU *u = pk_curl_fns_.curl_url();
    CHECK(u != NULL);
    if (!u) return;
    CHECK(pk_curl_fns_.curl_url_set(u, CURLUPART_URL, "HTTPS://Example.ORG:443/a/../b?q=1", 0) == CURLUE_OK);
    char *host = NULL, *path = NULL;
    CHECK(pk_curl_fns_.curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK);
    CHECK(pk_curl_fns_.curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK);
    CHECK_STR(host, "Example.ORG");
    CHECK_STR(path, "/b");
    pk_curl_fns_.curl_free(host);
    pk_curl_fns_.curl_free(path);
    pk_curl_fns_.curl_url_cleanup(u);
    CHECK_STR(pk_curl_fns_.curl_easy_strerror(CURLE_OK), "No error");
}

static void qpdf_opens_and_works(void)
{
    expect_opened(pk_lazy_qpdf, &pk_qpdf_fns_, sizeof pk_qpdf_fns_);
    /* a PDF that is not one: qpdf's own error comes back through the table */
    qpdf_data q = pk_qpdf_fns_.qpdf_init();
    CHECK(q != NULL);
    if (!q) return;
    pk_qpdf_fns_.qpdf_silence_errors(q);
    const char junk[] = "not a pdf at all";
    CHECK((pk_qpdf_fns_.qpdf_read_memory(q, "junk.pdf", junk, sizeof junk - 1, NULL) & QPDF_ERRORS) != 0);
    qpdf_error qe = pk_qpdf_fns_.qpdf_get_error(q);
    CHECK(qe != NULL);
    if (qe) CHECK(strstr(pk_qpdf_fns_.qpdf_get_error_full_text(q, qe), "junk.pdf") != NULL);
    pk_qpdf_fns_.qpdf_cleanup(&q);
}

static enum MHD_Result refuse(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *data, size_t *size, void **ctx)
{
    return MHD_NO;
}

static void mhd_opens_and_listens(void)
{
    expect_opened(pk_lazy_mhd, &pk_mhd_fns_, sizeof pk_mhd_fns_);
    /* the variadic start through the table: a daemon on a free loopback port */
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = pk_mhd_fns_.MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, refuse, NULL,
                                                        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
    CHECK(d != NULL);
    if (d) pk_mhd_fns_.MHD_stop_daemon(d);
}

static void xml_opens_and_parses(void)
{
    expect_opened(pk_lazy_xml, &pk_xml_fns_, sizeof pk_xml_fns_);
    const char doc[] = "<work><title lang=\"en\">Night Shift</title></work>";
    xmlDocPtr d = pk_xml_fns_.xmlReadMemory(doc, (int)sizeof doc - 1, "w.xml", NULL, XML_PARSE_NONET);
    CHECK(d != NULL);
    if (!d) return;
    xmlNode *root = pk_xml_fns_.xmlDocGetRootElement(d);
    CHECK(root != NULL && strcmp((const char *)root->name, "work") == 0);
    xmlChar *lang = root && root->children ? pk_xml_fns_.xmlGetProp(root->children, (const xmlChar *)"lang") : NULL;
    CHECK(lang != NULL && strcmp((const char *)lang, "en") == 0);
    /* xmlFree is a variable of libxml2's: the table holds its address */
    if (lang) (*pk_xml_fns_.xmlFree)(lang);
    pk_xml_fns_.xmlFreeDoc(d);
}

static void archive_opens_and_reads(void)
{
    expect_opened(pk_lazy_archive, &pk_archive_fns_, sizeof pk_archive_fns_);
    /* a tar of one member, "a.txt" holding "hi\n", read back */
    char tar[1024];
    memset(tar, 0, sizeof tar);
    memcpy(tar, "a.txt", 5);
    memcpy(tar + 100, "0000644", 7);
    memcpy(tar + 108, "0000000", 7);
    memcpy(tar + 116, "0000000", 7);
    memcpy(tar + 124, "00000000003", 11);
    memcpy(tar + 136, "00000000000", 11);
    tar[156] = '0';
    memcpy(tar + 257, "ustar", 6);
    memcpy(tar + 263, "00", 2);
    memset(tar + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += (unsigned char)tar[i];
    snprintf(tar + 148, 8, "%06o", sum);
    memcpy(tar + 512, "hi\n", 3);
    struct archive *a = pk_archive_fns_.archive_read_new();
    CHECK(a != NULL);
    if (!a) return;
    pk_archive_fns_.archive_read_support_format_tar(a);
    CHECK(pk_archive_fns_.archive_read_open_memory(a, tar, sizeof tar) == ARCHIVE_OK);
    struct archive_entry *ae;
    CHECK(pk_archive_fns_.archive_read_next_header(a, &ae) == ARCHIVE_OK);
    CHECK_STR(pk_archive_fns_.archive_entry_pathname(ae), "a.txt");
    char buf[8] = {0};
    CHECK(pk_archive_fns_.archive_read_data(a, buf, sizeof buf) == 3);
    CHECK_STR(buf, "hi\n");
    pk_archive_fns_.archive_read_free(a);
}

TEST_MAIN(TEST(missing_library_is_an_error), TEST(curl_opens_and_works), TEST(qpdf_opens_and_works),
          TEST(mhd_opens_and_listens), TEST(xml_opens_and_parses),
          TEST(archive_opens_and_reads))
