/* fuzz_jsonl.c -- pk_jsonl_extract against jansson, as a differential oracle.
 *
 * Every input is one JSONL line.  The two parsers must agree on whether it
 * is valid JSON, and on a valid object they must agree on the text member
 * (bytes, NULs included) and on the id member.  The only disagreements
 * allowed are the documented ones: jansson refuses lone surrogate escapes
 * (we decode them to U+FFFD), numbers that overflow its integer or double
 * (we take any number), and NUL in keys; we refuse nesting deeper than 512
 * (jansson allows 2048).  And one jansson bug: a raw NUL byte right after a
 * number or a literal is dropped by its lexer ("9\0" and "[1\0]" load),
 * so for the comparison such NULs are removed before we parse.  Anything
 * else aborts.
 *
 * Field paths: on a valid object, a few dotted paths ("a.b", "a.0.b" ...)
 * are also extracted and compared with jansson walked the same way (the
 * whole dotted name as a top-level key first, then key by key, a plain
 * number indexing an array), and a line must be valid or malformed at the
 * same byte whatever the field names. */
#include "pk.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const pk_buf *b, const char *p, size_t n)
{
    return b->len == n && (n == 0 || memcmp(b->data, p, n) == 0);
}

/* Our id copy (as written) names the same value as jansson's id. */
static bool id_agrees(const json_t *jid, const pk_buf *id, bool has_id)
{
    if (!jid || json_is_object(jid) || json_is_array(jid)) return !has_id;
    if (!has_id) return false;
    if (json_is_string(jid)) return same(id, json_string_value(jid), json_string_length(jid));
    if (json_is_true(jid)) return same(id, "true", 4);
    if (json_is_false(jid)) return same(id, "false", 5);
    if (json_is_null(jid)) return same(id, "null", 4);
    if (json_is_integer(jid)) return strtoll(id->data, NULL, 10) == json_integer_value(jid);
    if (json_is_real(jid)) return strtod(id->data, NULL) == json_real_value(jid);
    return false;
}

static pk_buf text, id;

static int extract(const char *line, size_t size, bool *has_id, size_t *off, const char **why)
{
    int rc = pk_jsonl_extract(line, size, "text", "id", &text, &id, has_id, off, why);
    if (rc != 0 && rc != PK_EFORMAT && rc != PK_ENOTFOUND) abort();
    if (rc != 0 && !*why) abort();
    if (rc == PK_EFORMAT && *off > size) abort();
    return rc;
}

static bool is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* jansson's value at a dotted path, by io/jsonl.c's rules; NULL if absent. */
static json_t *jansson_path(json_t *root, const char *name)
{
    json_t *v = json_object_get(root, name);
    if (v) return v;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", name);
    v = root;
    for (char *save = NULL, *p = strtok_r(buf, ".", &save); p && v; p = strtok_r(NULL, ".", &save)) {
        if (json_is_object(v)) v = json_object_get(v, p);
        else if (json_is_array(v) && p[0] >= '0' && p[0] <= '9' && (p[0] != '0' || !p[1]))
            v = json_array_get(v, (size_t)strtoul(p, NULL, 10));
        else v = NULL;
    }
    return v;
}

static pk_buf ptext, pid; /* apart from text and id, still compared after */

static void check_paths(const char *line, size_t size, json_t *root, int flat_rc, size_t flat_off)
{
    static const char *const paths[] = {"a.b", "a.0", "a.0.b", "text.text", "a.1.a.0", "b.a"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        bool has_id = false;
        size_t off = 0;
        const char *why = NULL;
        int rc = pk_jsonl_extract(line, size, paths[i], paths[(i + 1) % 6], &ptext, &pid, &has_id, &off, &why);
        if ((rc == PK_EFORMAT) != (flat_rc == PK_EFORMAT)) abort();
        if (rc == PK_EFORMAT) {
            if (off != flat_off) abort();
            continue;
        }
        if (!root || !json_is_object(root)) continue;
        const json_t *t = jansson_path(root, paths[i]);
        if (json_is_string(t)) {
            if (rc != 0 || !same(&ptext, json_string_value(t), json_string_length(t))) abort();
            if (!id_agrees(jansson_path(root, paths[(i + 1) % 6]), &pid, has_id)) abort();
        } else if (rc != PK_ENOTFOUND) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        pk_buf_init(&text, 0);
        pk_buf_init(&id, 0);
        pk_buf_init(&ptext, 0);
        pk_buf_init(&pid, 0);
        ready = true;
    }
    const char *line = (const char *)data;
    bool has_id = false;
    size_t off = 0;
    const char *why = NULL;
    int rc = extract(line, size, &has_id, &off, &why);
    const int flat_rc = rc;
    const size_t flat_off = off;

    json_error_t je;
    json_t *root = json_loadb(line, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (root && rc == PK_EFORMAT && off < size && data[off] == 0 && off > 0 && is_alnum(data[off - 1])) {
        /* jansson's dropped NUL: drop it (and any like it) here too */
        char *copy = malloc(size ? size : 1);
        if (!copy) abort();
        memcpy(copy, data, size);
        size_t n = size;
        do {
            memmove(copy + off, copy + off + 1, n - off - 1);
            n--;
            rc = extract(copy, n, &has_id, &off, &why);
        } while (rc == PK_EFORMAT && off < n && copy[off] == 0 && off > 0 &&
                 is_alnum((unsigned char)copy[off - 1]));
        free(copy);
    }
    bool ours_valid = rc != PK_EFORMAT;
    /* With jansson's dropped NULs the bytes differ from what paths read. */
    check_paths(line, size, rc == flat_rc && off == flat_off ? root : NULL, flat_rc, flat_off);
    if (!root) {
        if (ours_valid) {
            enum json_error_code c = json_error_code(&je);
            bool excused = c == json_error_numeric_overflow || c == json_error_null_byte_in_key ||
                           strncmp(je.text, "invalid Unicode", 15) == 0;
            if (!excused) abort();
        }
        return 0;
    }
    if (!ours_valid) {
        if (strcmp(why, "nesting too deep") != 0) abort();
        json_decref(root);
        return 0;
    }
    if (!json_is_object(root)) {
        if (rc != PK_ENOTFOUND) abort();
    } else {
        const json_t *t = json_object_get(root, "text");
        if (json_is_string(t)) {
            if (rc != 0 || !same(&text, json_string_value(t), json_string_length(t))) abort();
            if (!id_agrees(json_object_get(root, "id"), &id, has_id)) abort();
        } else if (rc != PK_ENOTFOUND) {
            abort();
        }
    }
    json_decref(root);
    return 0;
}
