/* lazy.c -- libraries opened when first needed: libpoppler-glib,
 * libcurl, libqpdf, libmicrohttpd, libxml2 and libarchive.
 *
 * Linked at build time, they brought 80 of picket's 91 shared libraries
 * (cairo, gio, fontconfig, NSS, X11 for poppler; OpenSSL, GnuTLS,
 * Kerberos, LDAP, SSH for curl; libstdc++ and GnuTLS for qpdf and
 * libmicrohttpd; ICU for libxml2; lzma, bz2, lz4, nettle for
 * libarchive), and the dynamic loader's work on them was most of the
 * cost of starting picket.  `picket version` and a scan of a one-line
 * file (AMD EPYC VM, Release, perf stat -r 20-30; BENCHMARKS.md):
 *
 *   all linked                          33   ms   38   ms
 *   poppler and curl opened when needed 9.5-13   12-16
 *   and qpdf and libmicrohttpd          4.2-5.6  6.3-8.9
 *   and libxml2 and libarchive          1.7      3.9-4.4
 *
 * Only reading PDFs needs poppler, only reserve, probe and guard need
 * curl, only stamping a PDF needs qpdf, only the guard's server
 * libmicrohttpd, only HTML, Final Draft, DOCX and EPUB need libxml2 and
 * only tar, DOCX and EPUB libarchive; so they are opened with dlopen(3)
 * by the soname found at build time (CMakeLists.txt), their functions
 * looked up once into a table (lazy.h), and every other command starts
 * without them.  A library missing at run time is an error of the
 * command that needs it, naming the library, not a failure to start. */
#define PK_LAZY_POPPLER
#define PK_LAZY_CURL
#define PK_LAZY_QPDF
#define PK_LAZY_MHD
#define PK_LAZY_XML
#define PK_LAZY_ARCHIVE
#define PK_LAZY_IMPL
#include "lazy.h"

#include <dlfcn.h>
#include <stddef.h>
#include <pthread.h>
#include <string.h>

#ifndef PK_POPPLER_SONAME
#define PK_POPPLER_SONAME "libpoppler-glib.so.8"
#endif
#ifndef PK_CURL_SONAME
#define PK_CURL_SONAME "libcurl.so.4"
#endif
#ifndef PK_QPDF_SONAME
#define PK_QPDF_SONAME "libqpdf.so.29"
#endif
#ifndef PK_MHD_SONAME
#define PK_MHD_SONAME "libmicrohttpd.so.12"
#endif
#ifndef PK_XML_SONAME
#define PK_XML_SONAME "libxml2.so.2"
#endif
#ifndef PK_ARCHIVE_SONAME
#define PK_ARCHIVE_SONAME "libarchive.so.13"
#endif

pk_poppler_fns pk_poppler_fns_;
pk_curl_fns pk_curl_fns_;
pk_qpdf_fns pk_qpdf_fns_;
pk_mhd_fns pk_mhd_fns_;
pk_xml_fns pk_xml_fns_;
pk_archive_fns pk_archive_fns_;

/* A function of a table: its name, and where its pointer goes. */
typedef struct lazy_sym {
    const char *name;
    size_t off;
} lazy_sym;

#define LAZY_SYM(tab, f) {#f, offsetof(tab, f)},
static const lazy_sym poppler_syms[] = {
#define X(f) LAZY_SYM(pk_poppler_fns, f)
    PK_POPPLER_FNS(X)
#undef X
};
static const lazy_sym curl_syms[] = {
#define X(f) LAZY_SYM(pk_curl_fns, f)
    PK_CURL_FNS(X)
#undef X
};
static const lazy_sym qpdf_syms[] = {
#define X(f) LAZY_SYM(pk_qpdf_fns, f)
    PK_QPDF_FNS(X)
#undef X
};
static const lazy_sym mhd_syms[] = {
#define X(f) LAZY_SYM(pk_mhd_fns, f)
    PK_MHD_FNS(X)
#undef X
};
static const lazy_sym xml_syms[] = {
#define X(f) LAZY_SYM(pk_xml_fns, f)
    PK_XML_FNS(X)
#undef X
};
static const lazy_sym archive_syms[] = {
#define X(f) LAZY_SYM(pk_archive_fns, f)
    PK_ARCHIVE_FNS(X)
#undef X
};

typedef struct lazy_lib {
    const char *soname;
    void *table;
    const lazy_sym *syms;
    size_t nsyms;
    pthread_once_t once;
    int rc;
    char msg[512];
} lazy_lib;

static lazy_lib poppler_lib = {PK_POPPLER_SONAME, &pk_poppler_fns_, poppler_syms,
                               sizeof poppler_syms / sizeof poppler_syms[0], PTHREAD_ONCE_INIT, 0, ""};
static lazy_lib curl_lib = {PK_CURL_SONAME, &pk_curl_fns_, curl_syms, sizeof curl_syms / sizeof curl_syms[0],
                            PTHREAD_ONCE_INIT, 0, ""};
static lazy_lib qpdf_lib = {PK_QPDF_SONAME, &pk_qpdf_fns_, qpdf_syms, sizeof qpdf_syms / sizeof qpdf_syms[0],
                            PTHREAD_ONCE_INIT, 0, ""};
static lazy_lib mhd_lib = {PK_MHD_SONAME, &pk_mhd_fns_, mhd_syms, sizeof mhd_syms / sizeof mhd_syms[0],
                           PTHREAD_ONCE_INIT, 0, ""};
static lazy_lib xml_lib = {PK_XML_SONAME, &pk_xml_fns_, xml_syms, sizeof xml_syms / sizeof xml_syms[0],
                           PTHREAD_ONCE_INIT, 0, ""};
static lazy_lib archive_lib = {PK_ARCHIVE_SONAME, &pk_archive_fns_, archive_syms,
                               sizeof archive_syms / sizeof archive_syms[0], PTHREAD_ONCE_INIT, 0, ""};

/* Open l's library and fill its table, each pointer taken from dlsym
 * through a void * (as POSIX says); the library stays open for the life
 * of the process.  l->rc and l->msg say how it went. */
_Static_assert(sizeof(void (*)(void)) == sizeof(void *), "function pointers the size of dlsym's void *");

static void load(lazy_lib *l)
{
    void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(l->msg, sizeof l->msg, "cannot load %s (%s)", l->soname, e ? e : "unknown error");
        l->rc = -1;
        return;
    }
    for (size_t i = 0; i < l->nsyms; i++) {
        dlerror();
        void *p = dlsym(h, l->syms[i].name);
        if (!p) {
            const char *e = dlerror();
            snprintf(l->msg, sizeof l->msg, "%s: no %s in it (%s)", l->soname, l->syms[i].name, e ? e : "not found");
            memset(l->table, 0, l->syms[l->nsyms - 1].off + sizeof p); /* no half-filled table */
            dlclose(h);
            l->rc = -1;
            return;
        }
        memcpy((char *)l->table + l->syms[i].off, &p, sizeof p);
    }
    l->rc = 0;
}

static void load_poppler(void) { load(&poppler_lib); }
static void load_curl(void) { load(&curl_lib); }
static void load_qpdf(void) { load(&qpdf_lib); }
static void load_mhd(void) { load(&mhd_lib); }
static void load_xml(void)
{
    load(&xml_lib);
    if (xml_lib.rc == 0) pk_xml_fns_.xmlInitParser(); /* once, before any thread parses */
}
static void load_archive(void) { load(&archive_lib); }

static int result(const lazy_lib *l, pk_error *err)
{
    return l->rc ? pk_fail(err, PK_EIO, "%s", l->msg) : 0;
}

int pk_lazy_poppler(pk_error *err)
{
    pthread_once(&poppler_lib.once, load_poppler);
    return result(&poppler_lib, err);
}

int pk_lazy_curl(pk_error *err)
{
    pthread_once(&curl_lib.once, load_curl);
    return result(&curl_lib, err);
}

int pk_lazy_qpdf(pk_error *err)
{
    pthread_once(&qpdf_lib.once, load_qpdf);
    return result(&qpdf_lib, err);
}

int pk_lazy_mhd(pk_error *err)
{
    pthread_once(&mhd_lib.once, load_mhd);
    return result(&mhd_lib, err);
}

int pk_lazy_xml(pk_error *err)
{
    pthread_once(&xml_lib.once, load_xml);
    return result(&xml_lib, err);
}

int pk_lazy_archive(pk_error *err)
{
    pthread_once(&archive_lib.once, load_archive);
    return result(&archive_lib, err);
}
