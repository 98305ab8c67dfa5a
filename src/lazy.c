/* lazy.c -- libpoppler-glib and libcurl, opened when first needed.
 *
 * Linked at build time, these two brought 58 of picket's 91 shared
 * libraries (cairo, gio, fontconfig, NSS, X11 for poppler; OpenSSL,
 * GnuTLS, Kerberos, LDAP, SSH for curl), and loading and mapping them
 * was most of the cost of starting picket: `picket version` took 33 ms
 * and a scan of a one-line file 38 ms with them linked, 13 and 16 ms
 * without (AMD EPYC VM, Release, perf stat -r 30; BENCHMARKS.md).  Only reading PDFs needs poppler, and only
 * reserve, probe and guard need curl; so they are opened with dlopen(3)
 * by the soname found at build time (CMakeLists.txt), their functions
 * looked up once into a table (lazy.h), and every other command starts
 * without them.  A library missing at run time is an error of the
 * command that needs it, naming the library, not a failure to start. */
#define PK_LAZY_POPPLER
#define PK_LAZY_CURL
#define PK_LAZY_IMPL
#include "lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#ifndef PK_POPPLER_SONAME
#define PK_POPPLER_SONAME "libpoppler-glib.so.8"
#endif
#ifndef PK_CURL_SONAME
#define PK_CURL_SONAME "libcurl.so.4"
#endif

pk_poppler_fns pk_poppler_fns_;
pk_curl_fns pk_curl_fns_;

typedef struct lazy_lib {
    const char *soname;
    pthread_once_t once;
    int rc;
    char msg[512];
} lazy_lib;

static lazy_lib poppler_lib = {PK_POPPLER_SONAME, PTHREAD_ONCE_INIT, 0, ""};
static lazy_lib curl_lib = {PK_CURL_SONAME, PTHREAD_ONCE_INIT, 0, ""};

/* The symbol name in *slot, as a function pointer (the copy through a
 * void * is how POSIX says to take one from dlsym). */
static int lookup(lazy_lib *l, void *h, const char *name, void *slot, size_t size)
{
    dlerror();
    void *p = dlsym(h, name);
    if (!p) {
        const char *e = dlerror();
        snprintf(l->msg, sizeof l->msg, "%s: no %s in it (%s)", l->soname, name, e ? e : "not found");
        return -1;
    }
    memcpy(slot, &p, size < sizeof p ? size : sizeof p);
    return 0;
}

#define LOOKUP(tab, f)                                                            \
    if (!bad && lookup(l, h, #f, (void *)&(tab).f, sizeof(tab).f)) bad = 1;

static void *open_lib(lazy_lib *l)
{
    void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(l->msg, sizeof l->msg, "cannot load %s (%s)", l->soname, e ? e : "unknown error");
        l->rc = -1;
    }
    return h;
}

static void load_poppler(void)
{
    lazy_lib *l = &poppler_lib;
    void *h = open_lib(l);
    if (!h) return;
    int bad = 0;
#define X(f) LOOKUP(pk_poppler_fns_, f)
    PK_POPPLER_FNS(X)
#undef X
    l->rc = bad ? -1 : 0; /* h stays open for the life of the process */
}

static void load_curl(void)
{
    lazy_lib *l = &curl_lib;
    void *h = open_lib(l);
    if (!h) return;
    int bad = 0;
#define X(f) LOOKUP(pk_curl_fns_, f)
    PK_CURL_FNS(X)
#undef X
    l->rc = bad ? -1 : 0;
}

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
