/* util.c -- errors, bounded buffers, JSON string output, SHA-256.
 *
 * The one error convention of the library lives here: functions return a
 * negative PK_E* code and fill a caller-owned pk_error with one line of
 * text.  pk_buf is the only growable buffer; every instance has a cap, and
 * size arithmetic is checked before any allocation. */
#include "pk.h"

#include <errno.h>
#include <iconv.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

int pk_fail(pk_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void pk_error_prefix(pk_error *err, const char *fmt, ...)
{
    if (!err) return;
    char pre[512], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t n = strlen(pre);
    if (n > sizeof err->msg - 3) n = sizeof err->msg - 3;
    memcpy(err->msg, pre, n);
    memcpy(err->msg + n, ": ", 2);
    size_t m = strlen(old);
    if (m > sizeof err->msg - n - 3) m = sizeof err->msg - n - 3;
    memcpy(err->msg + n + 2, old, m);
    err->msg[n + 2 + m] = 0;
}

const char *pk_version(void) { return PK_VERSION; }

const char *pk_strerror(int code)
{
    switch (code) {
    case PK_OK: return "success";
    case PK_ENOMEM: return "out of memory";
    case PK_EIO: return "input/output error";
    case PK_EINVAL: return "invalid argument";
    case PK_EFORMAT: return "malformed input";
    case PK_EUTF8: return "invalid UTF-8";
    case PK_EDB: return "registry database error";
    case PK_EPARAMS: return "fingerprint parameters do not match";
    case PK_ENOTFOUND: return "not found";
    case PK_EEXIST: return "already exists";
    case PK_ETOOBIG: return "input too large";
    case PK_ECORRUPT: return "corrupt index or registry";
    default: return "internal error";
    }
}

void pk_buf_init(pk_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max ? max : PK_BUF_DEFAULT_MAX;
}

void pk_buf_free(pk_buf *b)
{
    if (!b) return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void pk_buf_reset(pk_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = 0;
}

void pk_huge_pages(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    if (n < PK_HUGE_MIN) return;
    uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1), b = ((uintptr_t)p + n) & ~(huge - 1);
    if (b > a) (void)madvise((void *)a, b - a, MADV_HUGEPAGE); /* a hint: failure changes nothing */
#else
    (void)p;
    (void)n;
#endif
}

int pk_buf_reserve(pk_buf *b, size_t extra)
{
    size_t need;
    if (!pk_add_ok(b->len, extra, &need) || !pk_add_ok(need, 1, &need))
        return PK_ETOOBIG;
    if (need <= b->cap) return 0;
    if (need - 1 > b->max) return PK_ETOOBIG;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) { ncap = need; break; }
        ncap *= 2;
    }
    if (ncap > b->max + 1) ncap = b->max + 1;
    char *p = realloc(b->data, ncap);
    if (!p) return PK_ENOMEM;
    b->data = p;
    b->cap = ncap;
    b->data[b->len] = 0;
    return 0;
}

int pk_buf_append(pk_buf *b, const void *p, size_t n)
{
    int rc = pk_buf_reserve(b, n);
    if (rc) return rc;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

int pk_buf_putc(pk_buf *b, int c)
{
    char ch = (char)c;
    return pk_buf_append(b, &ch, 1);
}

int pk_buf_printf(pk_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return PK_EINTERNAL;
    int rc = pk_buf_reserve(b, (size_t)n);
    if (rc) return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

size_t pk_utf8_decode(const uint8_t *s, size_t n, int32_t *cp)
{
    uint32_t c = s[0];
    if (c < 0x80) { *cp = (int32_t)c; return 1; }
    if (c < 0xC2) return 0;
    if (c < 0xE0) {
        if (n < 2 || (s[1] & 0xC0) != 0x80) return 0;
        *cp = (int32_t)(((c & 0x1F) << 6) | (s[1] & 0x3Fu));
        return 2;
    }
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0;
        if (c == 0xED && s[1] >= 0xA0) return 0;
        *cp = (int32_t)(((c & 0x0F) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu));
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0;
        if (c == 0xF4 && s[1] >= 0x90) return 0;
        *cp = (int32_t)(((c & 0x07) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu));
        return 4;
    }
    return 0;
}

int pk_buf_json_str(pk_buf *b, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    int rc = pk_buf_reserve(b, n + 2);
    if (rc) return rc;
    b->data[b->len++] = '"';
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\') run++;
        if (run > i) {
            if ((rc = pk_buf_append(b, s + i, run - i))) return rc;
            i = run;
            continue;
        }
        unsigned char c = s[i];
        char esc[8];
        if (c == '"' || c == '\\') { esc[0] = '\\'; esc[1] = (char)c; rc = pk_buf_append(b, esc, 2); i++; }
        else if (c == '\n') { rc = pk_buf_append(b, "\\n", 2); i++; }
        else if (c == '\t') { rc = pk_buf_append(b, "\\t", 2); i++; }
        else if (c == '\r') { rc = pk_buf_append(b, "\\r", 2); i++; }
        else if (c < 0x20) {
            memcpy(esc, "\\u00", 4); esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
            rc = pk_buf_append(b, esc, 6); i++;
        } else {
            int32_t cp;
            size_t l = pk_utf8_decode(s + i, n - i, &cp);
            if (l == 0) { rc = pk_buf_append(b, "\\ufffd", 6); i++; }
            else { rc = pk_buf_append(b, s + i, l); i += l; }
        }
        if (rc) return rc;
    }
    return pk_buf_putc(b, '"');
}

void pk_sha256_hex(const void *p, size_t n, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, p, n);
    for (size_t i = 0; i < sizeof h; i++) {
        out[2 * i] = hex[h[i] >> 4];
        out[2 * i + 1] = hex[h[i] & 15];
    }
    out[64] = 0;
}

double pk_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int pk_iconv_utf8(const char *enc, const char *s, size_t n, pk_buf *out)
{
    iconv_t cd = iconv_open("UTF-8", enc);
    if (cd == (iconv_t)-1) return 1;
    char *in = (char *)(uintptr_t)s;
    size_t left = n;
    int rc = 0;
    while (left > 0) {
        if ((rc = pk_buf_reserve(out, PK_MAX(left * 2, (size_t)64)))) break;
        char *o = out->data + out->len;
        size_t room = out->cap - out->len - 1, room0 = room;
        size_t x = iconv(cd, &in, &left, &o, &room);
        out->len += room0 - room;
        if (x == (size_t)-1 && errno != E2BIG) {
            /* a byte the charset does not have, or one cut short: U+FFFD */
            if ((rc = pk_buf_append(out, "\xEF\xBF\xBD", 3))) break;
            in++;
            left--;
        }
    }
    iconv_close(cd);
    if (out->data) out->data[out->len] = 0;
    return rc;
}
