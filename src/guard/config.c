/* config.c -- the guard's configuration file.
 *
 * One `key = value` a line; blank lines and lines starting with '#' are
 * skipped; spaces round the key and the value are trimmed; a value may be
 * written in double quotes (to keep leading or trailing spaces; inside,
 * \" is a quote and \\ a backslash, everything else as written).  A
 * key given twice: the last wins.  An unknown key, a line without '=',
 * or a value out of range fails naming the file and the line: a typo in a guard's configuration must not silently weaken it.
 * The keys and their defaults are in docs/guard.md. */
#include "guard/guard.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void pk_guard_config_default(pk_guard_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen, sizeof c->listen, "127.0.0.1:8080");
    snprintf(c->message, sizeof c->message,
             "This request contains text from \"%%t\", a registered work that may not be sent to AI services.");
    snprintf(c->redaction, sizeof c->redaction, "[redacted: registered work]");
    c->mode = PK_GUARD_BLOCK;
    c->min_words = 25;
    c->max_body = (size_t)4 << 20;
    c->threads = 256;
    c->per_ip = 128;
    c->timeout = 600;
    c->x.max_doc = (size_t)16 << 20;
}

static int set_str(char *dst, size_t cap, const char *v, size_t vn, const char *name, unsigned line, const char *key,
                   pk_error *err)
{
    if (vn >= cap) return pk_fail(err, PK_EFORMAT, "%s:%u: %s: longer than %zu bytes", name, line, key, cap - 1);
    memcpy(dst, v, vn);
    dst[vn] = 0;
    return 0;
}

static int set_bool(int *dst, const char *v, const char *name, unsigned line, const char *key, pk_error *err)
{
    if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1")) *dst = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0")) *dst = 0;
    else return pk_fail(err, PK_EFORMAT, "%s:%u: %s: expected true or false, got '%s'", name, line, key, v);
    return 0;
}

/* A number with an optional K, M or G suffix (powers of 1024). */
static int set_num(uint64_t *dst, const char *v, uint64_t lo, uint64_t hi, int suffix, const char *name, unsigned line,
                   const char *key, pk_error *err)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    uint64_t mul = 1;
    if (suffix && end != v && *end && !end[1]) {
        if (*end == 'K' || *end == 'k') mul = 1024;
        else if (*end == 'M' || *end == 'm') mul = 1024 * 1024;
        else if (*end == 'G' || *end == 'g') mul = 1024 * 1024 * 1024;
        if (mul > 1) end++;
    }
    if (errno || end == v || *end || v[0] == '-' || x > hi / mul || x * mul < lo || x * mul > hi)
        return pk_fail(err, PK_EFORMAT, "%s:%u: %s: expected a number from %llu to %llu, got '%s'", name, line, key,
                       (unsigned long long)lo, (unsigned long long)hi, v);
    *dst = (uint64_t)x * mul;
    return 0;
}

static int set_key(pk_guard_config *c, const char *k, const char *v, size_t vn, const char *name, unsigned line,
                   pk_error *err)
{
    uint64_t u;
    int e;
#define STR(key, field) \
    if (!strcmp(k, key)) return set_str(c->field, sizeof c->field, v, vn, name, line, k, err)
    STR("listen", listen);
    STR("upstream", upstream);
    STR("upstream_key_env", upstream_key_env);
    STR("upstream_ca", upstream_ca);
    STR("db", db);
    STR("registry", db);
    STR("audit_db", audit_db);
    STR("message", message);
    STR("redaction", redaction);
#undef STR
    if (!strcmp(k, "upstream_key")) {
        c->key_in_file = 1;
        return set_str(c->upstream_key, sizeof c->upstream_key, v, vn, name, line, k, err);
    }
    if (!strcmp(k, "mode")) {
        if (!strcmp(v, "block")) c->mode = PK_GUARD_BLOCK;
        else if (!strcmp(v, "redact")) c->mode = PK_GUARD_REDACT;
        else return pk_fail(err, PK_EFORMAT, "%s:%u: mode: expected block or redact, got '%s'", name, line, v);
        return 0;
    }
    if (!strcmp(k, "token_prompts")) {
        if (!strcmp(v, "refuse")) c->x.token_prompts_pass = 0;
        else if (!strcmp(v, "pass")) c->x.token_prompts_pass = 1;
        else return pk_fail(err, PK_EFORMAT, "%s:%u: token_prompts: expected refuse or pass, got '%s'", name, line, v);
        return 0;
    }
    if (!strcmp(k, "pdf")) {
        if (!strcmp(v, "read")) c->x.pdf_refuse = 0;
        else if (!strcmp(v, "refuse")) c->x.pdf_refuse = 1;
        else return pk_fail(err, PK_EFORMAT, "%s:%u: pdf: expected read or refuse, got '%s'", name, line, v);
        return 0;
    }
    if (!strcmp(k, "binary") || !strcmp(k, "remote_documents")) {
        int *dst = k[0] == 'b' ? &c->x.binary_pass : &c->x.remote_pass;
        if (!strcmp(v, "refuse")) *dst = 0;
        else if (!strcmp(v, "pass")) *dst = 1;
        else return pk_fail(err, PK_EFORMAT, "%s:%u: %s: expected refuse or pass, got '%s'", name, line, k, v);
        return 0;
    }
    if (!strcmp(k, "check_responses")) return set_bool(&c->check_responses, v, name, line, k, err);
    if (!strcmp(k, "fail_open")) return set_bool(&c->fail_open, v, name, line, k, err);
    if (!strcmp(k, "store_prompts")) return set_bool(&c->store_prompts, v, name, line, k, err);
    if (!strcmp(k, "min_words")) {
        if ((e = set_num(&u, v, 1, 1000000, 0, name, line, k, err))) return e;
        c->min_words = (uint32_t)u;
        return 0;
    }
    if (!strcmp(k, "max_body")) {
        if ((e = set_num(&u, v, 1, (uint64_t)1 << 30, 1, name, line, k, err))) return e;
        c->max_body = (size_t)u;
        return 0;
    }
    if (!strcmp(k, "threads")) {
        if ((e = set_num(&u, v, 1, 65536, 0, name, line, k, err))) return e;
        c->threads = (int)u;
        return 0;
    }
    if (!strcmp(k, "per_ip_connections")) {
        if ((e = set_num(&u, v, 0, 65536, 0, name, line, k, err))) return e;
        c->per_ip = (int)u;
        return 0;
    }
    if (!strcmp(k, "timeout")) {
        if ((e = set_num(&u, v, 1, 86400, 0, name, line, k, err))) return e;
        c->timeout = (int)u;
        return 0;
    }
    return pk_fail(err, PK_EFORMAT, "%s:%u: unknown key '%s'", name, line, k);
}

static int is_sp(int ch) { return ch == ' ' || ch == '\t' || ch == '\r'; }

int pk_guard_config_parse(pk_guard_config *c, const char *name, const char *text, size_t n, pk_error *err)
{
    char key[64], val[2048];
    unsigned line = 0;
    size_t i = 0;
    while (i < n) {
        line++;
        const char *ls = text + i;
        const char *nl = memchr(ls, '\n', n - i);
        size_t ll = nl ? (size_t)(nl - ls) : n - i;
        i += ll + (nl ? 1 : 0);
        size_t a = 0, b = ll;
        while (a < b && is_sp((unsigned char)ls[a])) a++;
        while (b > a && is_sp((unsigned char)ls[b - 1])) b--;
        if (a == b || ls[a] == '#') continue;
        if (memchr(ls + a, 0, b - a)) return pk_fail(err, PK_EFORMAT, "%s:%u: a NUL byte", name, line);
        const char *eq = memchr(ls + a, '=', b - a);
        if (!eq) return pk_fail(err, PK_EFORMAT, "%s:%u: expected 'key = value'", name, line);
        size_t ke = (size_t)(eq - ls);
        while (ke > a && is_sp((unsigned char)ls[ke - 1])) ke--;
        if (ke == a) return pk_fail(err, PK_EFORMAT, "%s:%u: a value without a key", name, line);
        if (ke - a >= sizeof key) return pk_fail(err, PK_EFORMAT, "%s:%u: unknown key (too long)", name, line);
        for (size_t j = a; j < ke; j++) {
            char ch = ls[j];
            if (!((ch >= 'a' && ch <= 'z') || ch == '_' || (ch >= '0' && ch <= '9')))
                return pk_fail(err, PK_EFORMAT, "%s:%u: a key is lowercase letters, digits and '_'", name, line);
        }
        memcpy(key, ls + a, ke - a);
        key[ke - a] = 0;
        size_t vs = (size_t)(eq - ls) + 1;
        while (vs < b && is_sp((unsigned char)ls[vs])) vs++;
        size_t vn = b - vs;
        const char *v = ls + vs;
        if (vn >= sizeof val) return pk_fail(err, PK_EFORMAT, "%s:%u: %s: value too long", name, line, key);
        if (vn >= 1 && v[0] == '"') {
            /* Quoted: \" is a quote, \\ a backslash; nothing may follow
             * the closing quote. */
            size_t o = 0, j = 1;
            int closed = 0;
            for (; j < vn; j++) {
                if (v[j] == '\\' && j + 1 < vn && (v[j + 1] == '"' || v[j + 1] == '\\')) val[o++] = v[++j];
                else if (v[j] == '"') {
                    closed = 1;
                    break;
                } else val[o++] = v[j];
            }
            if (!closed || j + 1 != vn)
                return pk_fail(err, PK_EFORMAT, "%s:%u: %s: a quoted value must end with its closing quote", name,
                               line, key);
            vn = o;
        } else {
            memcpy(val, v, vn);
        }
        val[vn] = 0;
        int e = set_key(c, key, val, vn, name, line, err);
        if (e) return e;
    }
    return 0;
}

int pk_guard_config_load(pk_guard_config *c, const char *path, pk_error *err)
{
    pk_buf b;
    pk_buf_init(&b, (size_t)1 << 20);
    int e = pk_source_slurp(path, &b, (size_t)1 << 20, err);
    if (!e) e = pk_guard_config_parse(c, path, b.data ? b.data : "", b.len, err);
    pk_buf_free(&b);
    return e;
}

void pk_guard_message(const char *tmpl, const char *title, const char *id, pk_buf *out)
{
    pk_buf_reset(out);
    for (const char *p = tmpl; *p; p++) {
        if (p[0] == '%' && p[1] == 't') {
            pk_buf_append(out, title, strlen(title));
            p++;
        } else if (p[0] == '%' && p[1] == 'i') {
            pk_buf_append(out, id, strlen(id));
            p++;
        } else if (p[0] == '%' && p[1] == '%') {
            pk_buf_putc(out, '%');
            p++;
        } else {
            pk_buf_putc(out, *p);
        }
    }
}
