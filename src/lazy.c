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

/* A function of a table: its name, and where its pointer goes. */
typedef struct lazy_sym {
    const char *name;
    size_t off;
} lazy_sym;

typedef struct lazy_lib {
    const char *soname;
    void *table;
    const lazy_sym *syms;
    size_t nsyms;
    pthread_once_t once;
    int rc;
    char msg[512];
} lazy_lib;

static void load(lazy_lib *l);

static int result(const lazy_lib *l, pk_error *err)
{
    return l->rc ? pk_fail(err, PK_EIO, "%s", l->msg) : 0;
}

/* One library: its table, the names to look up, its state, and its
 * loader pk_lazy_NAME(), which opens it once (AFTER, when not empty, runs
 * once it is open). */
#define LAZY_LIB(name, FNS, soname, AFTER)                                                              \
    pk_##name##_fns pk_##name##_fns_;                                                                   \
    static const lazy_sym name##_syms[] = {FNS(LAZY_SYM_##name)};                                       \
    static lazy_lib name##_lib = {soname, &pk_##name##_fns_, name##_syms,                               \
                                  sizeof name##_syms / sizeof name##_syms[0], PTHREAD_ONCE_INIT, 0, ""}; \
    static void load_##name(void)                                                                       \
    {                                                                                                   \
        load(&name##_lib);                                                                              \
        if (name##_lib.rc == 0) { AFTER; }                                                              \
    }                                                                                                   \
    int pk_lazy_##name(pk_error *err)                                                                   \
    {                                                                                                   \
        pthread_once(&name##_lib.once, load_##name);                                                    \
        return result(&name##_lib, err);                                                                \
    }
#define LAZY_SYM_poppler(f) {#f, offsetof(pk_poppler_fns, f)},
#define LAZY_SYM_curl(f) {#f, offsetof(pk_curl_fns, f)},
#define LAZY_SYM_qpdf(f) {#f, offsetof(pk_qpdf_fns, f)},
#define LAZY_SYM_mhd(f) {#f, offsetof(pk_mhd_fns, f)},
#define LAZY_SYM_xml(f) {#f, offsetof(pk_xml_fns, f)},
#define LAZY_SYM_archive(f) {#f, offsetof(pk_archive_fns, f)},

LAZY_LIB(poppler, PK_POPPLER_FNS, PK_POPPLER_SONAME, )
LAZY_LIB(curl, PK_CURL_FNS, PK_CURL_SONAME, )
LAZY_LIB(qpdf, PK_QPDF_FNS, PK_QPDF_SONAME, )
LAZY_LIB(mhd, PK_MHD_FNS, PK_MHD_SONAME, )
LAZY_LIB(xml, PK_XML_FNS, PK_XML_SONAME, pk_xml_fns_.xmlInitParser()) /* before any thread parses */
LAZY_LIB(archive, PK_ARCHIVE_FNS, PK_ARCHIVE_SONAME, )

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
