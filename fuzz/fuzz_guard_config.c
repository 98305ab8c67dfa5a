/* fuzz_guard_config.c -- the guard's `key = value` configuration parser.
 *
 * Every input is a configuration file.  A file that parses leaves every
 * string NUL-terminated within its field and every number in its range;
 * one that does not says why in a message naming the file and a line
 * that exists.  Any failure aborts. */
#include "guard/guard.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pk_guard_config c;
    pk_guard_config_default(&c);
    pk_error e;
    memset(&e, 0, sizeof e);
    if (pk_guard_config_parse(&c, "fuzz.conf", (const char *)data, size, &e) == 0) {
        if (memchr(c.listen, 0, sizeof c.listen) == NULL || memchr(c.message, 0, sizeof c.message) == NULL ||
            memchr(c.upstream, 0, sizeof c.upstream) == NULL || memchr(c.upstream_key, 0, sizeof c.upstream_key) == NULL)
            abort();
        if (c.min_words < 1 || c.max_body < 1 || c.threads < 1 || c.timeout < 1) abort();
        if (c.mode != PK_GUARD_BLOCK && c.mode != PK_GUARD_REDACT) abort();
        pk_buf m;
        pk_buf_init(&m, 0);
        pk_guard_message(c.message, "Title", "id", &m);
        pk_buf_free(&m);
        return 0;
    }
    if (strncmp(e.msg, "fuzz.conf:", 10) != 0) abort();
    unsigned long line = strtoul(e.msg + 10, NULL, 10);
    size_t lines = 1;
    for (size_t i = 0; i < size; i++) lines += data[i] == '\n';
    if (line < 1 || line > lines) abort();
    return 0;
}
