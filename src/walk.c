/* walk.c -- the files under a path, in name order.
 *
 * One rule for every command that takes paths: "-" and anything that is
 * not a directory are visited as given; a directory is read recursively,
 * its entries sorted by name (bytewise, so the order does not depend on the
 * locale), hidden entries (a leading '.') skipped as ripgrep does, links to
 * files followed and links to directories not (no loops), anything that is
 * neither a regular file nor a directory skipped, and at most 64 levels
 * deep.  Path strings handed to the callbacks live only for the call. */
#include "pk.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(const char *path, int depth, const pk_walk_fns *fn, void *ud)
{
    struct stat st;
    if (strcmp(path, "-") == 0) return fn->file(path, ud);
    if (stat(path, &st) != 0) return fn->fail(path, PK_EIO, strerror(errno), ud);
    if (!S_ISDIR(st.st_mode)) return fn->file(path, ud);
    if (depth > 64) return 0;
    DIR *d = opendir(path);
    if (!d) return fn->fail(path, PK_EIO, strerror(errno), ud);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    int rc = 0;
    const size_t pl = strlen(path);
    const int slash = pl && path[pl - 1] == '/';
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 64;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn) { rc = PK_ENOMEM; break; }
            names = nn;
            cap = nc;
        }
        size_t l = pl + strlen(de->d_name) + 2;
        if (!(names[n] = malloc(l))) { rc = PK_ENOMEM; break; }
        snprintf(names[n], l, "%s%s%s", path, slash ? "" : "/", de->d_name);
        n++;
    }
    closedir(d);
    if (!rc && n > 1) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && !rc; i++) {
        struct stat es;
        if (lstat(names[i], &es) != 0) continue;
        if (S_ISLNK(es.st_mode) && (stat(names[i], &es) != 0 || S_ISDIR(es.st_mode))) continue;
        if (S_ISDIR(es.st_mode)) rc = walk(names[i], depth + 1, fn, ud);
        else if (S_ISREG(es.st_mode)) rc = fn->file(names[i], ud);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}

int pk_walk(const char *path, const pk_walk_fns *fn, void *ud)
{
    return walk(path, 0, fn, ud);
}
