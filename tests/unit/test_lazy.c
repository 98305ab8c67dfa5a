/* test_lazy.c -- libraries opened on first use (src/lazy.c): curl opens
 * and works through its table; a library that is not there is an error
 * naming it, every time it is asked for, and nothing else breaks.  lazy.c
 * is built here with a soname that exists nowhere in place of poppler's. */
#define PK_POPPLER_SONAME "libpicket-no-such-library.so.0"
#include "../../src/lazy.c"

#include "test.h"

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

static void curl_opens_and_works(void)
{
    pk_error e;
    memset(&e, 0, sizeof e);
    CHECK_EQ_U(pk_lazy_curl(&e), 0);
    CHECK_EQ_U(pk_lazy_curl(&e), 0);
#define X(f) CHECK(pk_curl_fns_.f != NULL);
    PK_CURL_FNS(X)
#undef X
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

TEST_MAIN(TEST(missing_library_is_an_error), TEST(curl_opens_and_works))
