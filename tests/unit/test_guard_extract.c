/* test_guard_extract.c -- the guard's request extractor (src/guard/extract.c):
 * for each API shape, the exact strings found and the JSON pointer of
 * each; token-id prompts refused or passed; malformed bodies refused with
 * the byte offset; redaction rewriting exactly the passage, inside the
 * string (and the nested argument document) it came from, into valid
 * JSON; the config parser's errors naming file and line. */
#include "guard/guard.h"
#include "test.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>

static pk_guard_req *parse(int api, const char *body)
{
    pk_guard_req *r = NULL;
    pk_error e;
    memset(&e, 0, sizeof e);
    int rc = pk_guard_req_parse(&r, api, body, strlen(body), NULL, &e);
    if (rc) fprintf(stderr, "parse: %s\n", e.msg);
    CHECK_EQ_I(rc, 0);
    return r;
}

/* Piece i's text and pointer. */
static void check_piece(pk_guard_req *r, size_t i, const char *text, const char *ptr, int kind)
{
    const pk_guard_piece *p = pk_guard_req_piece(r, i);
    CHECK(p != NULL);
    if (!p) return;
    size_t n;
    const char *t = pk_guard_req_text(r, &n);
    char buf[512];
    snprintf(buf, sizeof buf, "%.*s", (int)p->len, t + p->start);
    CHECK_STR(buf, text);
    CHECK_STR(p->ptr, ptr);
    CHECK_EQ_I(p->kind, kind);
}

/* The pieces from index from on (the catch-all walk's: every string the
 * typed walk did not take, keys included), as "pointer=text" joined by
 * " | ". */
static void check_rest(pk_guard_req *r, size_t from, const char *want)
{
    pk_buf b;
    pk_buf_init(&b, 0);
    size_t n;
    const char *t = pk_guard_req_text(r, &n);
    for (size_t i = from; i < pk_guard_req_npieces(r); i++) {
        const pk_guard_piece *p = pk_guard_req_piece(r, i);
        pk_buf_printf(&b, "%s%s=%.*s", i > from ? " | " : "", p->ptr, (int)p->len, t + p->start);
    }
    if (getenv("PK_SHOW_REST")) fprintf(stderr, "REST %s\n", b.data ? b.data : "");
    CHECK_STR(b.data ? b.data : "", want);
    pk_buf_free(&b);
}

static void test_chat_shapes(void)
{
    pk_guard_req *r = parse(PK_API_CHAT,
                            "{\"model\":\"m\",\"messages\":["
                            "{\"role\":\"system\",\"content\":\"Be brief.\"},"
                            "{\"role\":\"user\",\"name\":\"ann\",\"content\":[{\"type\":\"text\",\"text\":\"part one\"},"
                            "{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://x/y.png\"}},"
                            "{\"type\":\"text\",\"text\":\"part two\"}]},"
                            "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
                            "\"function\":{\"name\":\"lookup\",\"arguments\":\"{\\\"q\\\":\\\"the ferry\\\",\\\"n\\\":3,"
                            "\\\"tags\\\":[\\\"a/b\\\"]}\"}}]},"
                            "{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"tool said this\"}]}");
    if (!r) return;
    check_piece(r, 0, "Be brief.", "/messages/0/content", PK_PIECE_STRING);
    check_piece(r, 1, "ann", "/messages/1/name", PK_PIECE_STRING);
    check_piece(r, 2, "part one", "/messages/1/content/0/text", PK_PIECE_STRING);
    check_piece(r, 3, "part two", "/messages/1/content/2/text", PK_PIECE_STRING);
    check_piece(r, 4, "the ferry", "/messages/2/tool_calls/0/function/arguments#/q", PK_PIECE_NESTED);
    check_piece(r, 5, "a/b", "/messages/2/tool_calls/0/function/arguments#/tags/0", PK_PIECE_NESTED);
    check_piece(r, 6, "tool said this", "/messages/3/content", PK_PIECE_STRING);
    size_t n;
    const char *t = pk_guard_req_text(r, &n);
    const char *typed = "Be brief.\n\nann\n\npart one\n\npart two\n\nthe ferry\n\na/b\n\ntool said this\n\n";
    CHECK(n > strlen(typed) && memcmp(t, typed, strlen(typed)) == 0);
    check_rest(r, 7, "/model=model | /model=m | /messages=messages | /messages/0/role=role | /messages/0/role=system | /me"
               "ssages/0/content=content | /messages/1/role=role | /messages/1/role=user | /messages/1/name=name | /"
               "messages/1/content=content | /messages/1/content/0/type=type | /messages/1/content/0/type=text | /me"
               "ssages/1/content/0/text=text | /messages/1/content/1/type=type | /messages/1/content/1/type=image_ur"
               "l | /messages/1/content/1/image_url=image_url | /messages/1/content/1/image_url/url=url | /messages/"
               "1/content/1/image_url/url=http://x/y.png | /messages/1/content/2/type=type | /messages/1/content/2/t"
               "ype=text | /messages/1/content/2/text=text | /messages/2/role=role | /messages/2/role=assistant | /m"
               "essages/2/content=content | /messages/2/tool_calls=tool_calls | /messages/2/tool_calls/0/id=id | /me"
               "ssages/2/tool_calls/0/id=c1 | /messages/2/tool_calls/0/type=type | /messages/2/tool_calls/0/type=fun"
               "ction | /messages/2/tool_calls/0/function=function | /messages/2/tool_calls/0/function/name=name | /"
               "messages/2/tool_calls/0/function/name=lookup | /messages/2/tool_calls/0/function/arguments=arguments"
               " | /messages/3/role=role | /messages/3/role=tool | /messages/3/tool_call_id=tool_call_id | /messages"
               "/3/tool_call_id=c1 | /messages/3/content=content | /messages/2/tool_calls/0/function/arguments#/q=q "
               "| /messages/2/tool_calls/0/function/arguments#/n=n | /messages/2/tool_calls/0/function/arguments#/ta"
               "gs=tags");
    pk_guard_req_free(r);
}

static void test_chat_file_part(void)
{
    /* A text file sent as a base64 data URL: decoded, not redactable. */
    const char *txt = "A plain text attachment.";
    char b64[128];
    sodium_bin2base64(b64, sizeof b64, (const unsigned char *)txt, strlen(txt), sodium_base64_VARIANT_ORIGINAL);
    char body[512];
    snprintf(body, sizeof body,
             "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"file\",\"file\":{\"filename\":\"a.txt\","
             "\"file_data\":\"data:text/plain;base64,%s\"}}]}]}",
             b64);
    pk_guard_req *r = parse(PK_API_CHAT, body);
    if (!r) return;
    check_piece(r, 0, txt, "/messages/0/content/0/file/file_data", PK_PIECE_DOCUMENT);
    check_rest(r, 1, "/messages=messages | /messages/0/role=role | /messages/0/role=user | /messages/0/content=content | /"
               "messages/0/content/0/type=type | /messages/0/content/0/type=file | /messages/0/content/0/file=file |"
               " /messages/0/content/0/file/filename=filename | /messages/0/content/0/file/filename=a.txt | /message"
               "s/0/content/0/file/file_data=file_data");
    pk_guard_req_free(r);
}

/* pdf = refuse: a base64 PDF is refused before it is read. */
static void test_pdf_refused(void)
{
    const char *pdf = "%PDF-1.4 not really a PDF";
    char b64[128], body[512];
    sodium_bin2base64(b64, sizeof b64, (const unsigned char *)pdf, strlen(pdf), sodium_base64_VARIANT_ORIGINAL);
    snprintf(body, sizeof body,
             "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"document\",\"source\":"
             "{\"type\":\"base64\",\"media_type\":\"application/pdf\",\"data\":\"%s\"}}]}]}",
             b64);
    pk_guard_xopts o;
    memset(&o, 0, sizeof o);
    o.pdf_refuse = 1;
    pk_guard_req *r = NULL;
    pk_error e;
    memset(&e, 0, sizeof e);
    CHECK_EQ_I(pk_guard_req_parse(&r, PK_API_MESSAGES, body, strlen(body), &o, &e), PK_EINVAL);
    CHECK_STR(e.msg, "/messages/0/content/0/source/data: PDF documents are refused by this guard (pdf = refuse)");
    CHECK(r == NULL);
}

static void test_completions_prompts(void)
{
    pk_guard_req *r = parse(PK_API_COMPLETIONS, "{\"prompt\":[\"first\",\"second\"],\"suffix\":\"end\"}");
    if (r) {
        check_piece(r, 0, "first", "/prompt/0", PK_PIECE_STRING);
        check_piece(r, 1, "second", "/prompt/1", PK_PIECE_STRING);
        check_piece(r, 2, "end", "/suffix", PK_PIECE_STRING);
        check_rest(r, 3, "/prompt=prompt | /suffix=suffix");
        pk_guard_req_free(r);
    }
    /* Token ids: refused by default (fail closed), passed with a note. */
    pk_error e;
    memset(&e, 0, sizeof e);
    const char *tok = "{\"prompt\":[[1,2,3]]}";
    CHECK_EQ_I(pk_guard_req_parse(&r, PK_API_COMPLETIONS, tok, strlen(tok), NULL, &e), PK_EINVAL);
    CHECK(r == NULL);
    CHECK_STR(e.msg, "/prompt: a prompt given as token ids cannot be checked; send text");
    pk_guard_xopts o;
    memset(&o, 0, sizeof o);
    o.token_prompts_pass = 1;
    CHECK_EQ_I(pk_guard_req_parse(&r, PK_API_COMPLETIONS, tok, strlen(tok), &o, &e), 0);
    if (r) {
        check_rest(r, 0, "/prompt=prompt");
        CHECK_STR(pk_guard_req_note(r), "token-id prompt passed unchecked at /prompt");
        pk_guard_req_free(r);
    }
}

static void test_responses_and_embeddings(void)
{
    pk_guard_req *r = parse(PK_API_RESPONSES,
                            "{\"instructions\":\"Answer well.\",\"input\":["
                            "{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"question\"}]},"
                            "{\"type\":\"function_call\",\"call_id\":\"x\",\"name\":\"f\",\"arguments\":\"{\\\"a\\\":\\\"arg\\\"}\"},"
                            "{\"type\":\"function_call_output\",\"call_id\":\"x\",\"output\":\"result text\"}],"
                            "\"prompt\":{\"id\":\"p\",\"variables\":{\"city\":\"Brennock\"}}}");
    if (r) {
        check_piece(r, 0, "Answer well.", "/instructions", PK_PIECE_STRING);
        check_piece(r, 1, "question", "/input/0/content/0/text", PK_PIECE_STRING);
        check_piece(r, 2, "arg", "/input/1/arguments#/a", PK_PIECE_NESTED);
        check_piece(r, 3, "result text", "/input/2/output", PK_PIECE_STRING);
        check_piece(r, 4, "Brennock", "/prompt/variables/city", PK_PIECE_STRING);
        check_rest(r, 5, "/instructions=instructions | /input=input | /input/0/role=role | /input/0/role=user | /input/0/conte"
               "nt=content | /input/0/content/0/type=type | /input/0/content/0/type=input_text | /input/0/content/0/"
               "text=text | /input/1/type=type | /input/1/type=function_call | /input/1/call_id=call_id | /input/1/c"
               "all_id=x | /input/1/name=name | /input/1/name=f | /input/1/arguments=arguments | /input/2/type=type "
               "| /input/2/type=function_call_output | /input/2/call_id=call_id | /input/2/call_id=x | /input/2/outp"
               "ut=output | /prompt=prompt | /prompt/id=id | /prompt/id=p | /prompt/variables=variables | /prompt/va"
               "riables/city=city | /input/1/arguments#/a=a");
        pk_guard_req_free(r);
    }
    r = parse(PK_API_RESPONSES, "{\"input\":\"just a string\"}");
    if (r) {
        check_piece(r, 0, "just a string", "/input", PK_PIECE_STRING);
        pk_guard_req_free(r);
    }
    r = parse(PK_API_EMBEDDINGS, "{\"input\":[\"one\",\"two\"],\"model\":\"e\"}");
    if (r) {
        check_piece(r, 1, "two", "/input/1", PK_PIECE_STRING);
        check_rest(r, 2, "/input=input | /model=model | /model=e");
        pk_guard_req_free(r);
    }
}

static void test_anthropic_shapes(void)
{
    pk_guard_req *r = parse(PK_API_MESSAGES,
                            "{\"system\":[{\"type\":\"text\",\"text\":\"sys block\"}],\"messages\":["
                            "{\"role\":\"user\",\"content\":\"plain\"},"
                            "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"n\","
                            "\"input\":{\"k\":[\"deep\",{\"x\":\"deeper\"}],\"n\":1}}]},"
                            "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t\",\"content\":["
                            "{\"type\":\"text\",\"text\":\"result block\"}]},"
                            "{\"type\":\"document\",\"source\":{\"type\":\"text\",\"media_type\":\"text/plain\","
                            "\"data\":\"doc text\"},\"title\":\"T\"}]}]}");
    if (!r) return;
    check_piece(r, 0, "sys block", "/system/0/text", PK_PIECE_STRING);
    check_piece(r, 1, "plain", "/messages/0/content", PK_PIECE_STRING);
    check_piece(r, 2, "deep", "/messages/1/content/0/input/k/0", PK_PIECE_STRING);
    check_piece(r, 3, "deeper", "/messages/1/content/0/input/k/1/x", PK_PIECE_STRING);
    check_piece(r, 4, "result block", "/messages/2/content/0/content/0/text", PK_PIECE_STRING);
    check_piece(r, 5, "T", "/messages/2/content/1/title", PK_PIECE_STRING);
    check_piece(r, 6, "doc text", "/messages/2/content/1/source/data", PK_PIECE_STRING);
    check_rest(r, 7, "/system=system | /system/0/type=type | /system/0/type=text | /system/0/text=text | /messages=message"
               "s | /messages/0/role=role | /messages/0/role=user | /messages/0/content=content | /messages/1/role=r"
               "ole | /messages/1/role=assistant | /messages/1/content=content | /messages/1/content/0/type=type | /"
               "messages/1/content/0/type=tool_use | /messages/1/content/0/id=id | /messages/1/content/0/id=t | /mes"
               "sages/1/content/0/name=name | /messages/1/content/0/name=n | /messages/1/content/0/input=input | /me"
               "ssages/1/content/0/input/k=k | /messages/1/content/0/input/k/1/x=x | /messages/1/content/0/input/n=n"
               " | /messages/2/role=role | /messages/2/role=user | /messages/2/content=content | /messages/2/content"
               "/0/type=type | /messages/2/content/0/type=tool_result | /messages/2/content/0/tool_use_id=tool_use_i"
               "d | /messages/2/content/0/tool_use_id=t | /messages/2/content/0/content=content | /messages/2/conten"
               "t/0/content/0/type=type | /messages/2/content/0/content/0/type=text | /messages/2/content/0/content/"
               "0/text=text | /messages/2/content/1/type=type | /messages/2/content/1/type=document | /messages/2/co"
               "ntent/1/source=source | /messages/2/content/1/source/type=type | /messages/2/content/1/source/type=t"
               "ext | /messages/2/content/1/source/media_type=media_type | /messages/2/content/1/source/media_type=t"
               "ext/plain | /messages/2/content/1/source/data=data | /messages/2/content/1/title=title");
    pk_guard_req_free(r);
    /* A system prompt as a plain string, and a key with '/' and '~'. */
    r = parse(PK_API_MESSAGES,
              "{\"system\":\"s\",\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\","
              "\"input\":{\"a/b~c\":\"v\"}}]}]}");
    if (r) {
        check_piece(r, 0, "s", "/system", PK_PIECE_STRING);
        check_piece(r, 1, "v", "/messages/0/content/0/input/a~1b~0c", PK_PIECE_STRING);
        pk_guard_req_free(r);
    }
}

static void test_malformed(void)
{
    pk_guard_req *r = NULL;
    pk_error e;
    memset(&e, 0, sizeof e);
    const char *bad = "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}";
    CHECK_EQ_I(pk_guard_req_parse(&r, PK_API_CHAT, bad, strlen(bad), NULL, &e), PK_EFORMAT);
    CHECK(strncmp(e.msg, "malformed JSON at byte 42:", 26) == 0);
    const char *dup = "{\"messages\":[],\"messages\":[{\"role\":\"user\",\"content\":\"hidden\"}]}";
    CHECK_EQ_I(pk_guard_req_parse(&r, PK_API_CHAT, dup, strlen(dup), NULL, &e), PK_EFORMAT);
    const char *wrong = "{\"messages\":[{\"role\":\"user\",\"content\":7}]}";
    CHECK_EQ_I(pk_guard_req_parse(&r, PK_API_CHAT, wrong, strlen(wrong), NULL, &e), PK_EFORMAT);
    CHECK_STR(e.msg, "/messages/0/content: expected an array");
    const char *none = "{\"model\":\"m\"}";
    CHECK_EQ_I(pk_guard_req_parse(&r, PK_API_MESSAGES, none, strlen(none), NULL, &e), PK_EFORMAT);
    CHECK_STR(e.msg, "/messages: missing");
}

/* A key written with escapes is the key the upstream reads: the text
 * under "m\u0065ssages" is checked, and redaction keeps the rest of the
 * body byte for byte (spacing, numbers as written). */
static void test_escaped_key_and_splice(void)
{
    const char *body = "{ \"m\\u0065ssages\" : [ {\"role\":\"user\", \"content\": \"caf\\u00e9 SECRET\"} ],"
                       " \"temperature\": 0.70 }";
    pk_guard_req *r = parse(PK_API_CHAT, body);
    if (!r) return;
    check_piece(r, 0, "caf\xc3\xa9 SECRET", "/messages/0/content", PK_PIECE_STRING);
    check_rest(r, 1, "/messages=messages | /messages/0/role=role | /messages/0/role=user | /messages/0/content=content | /"
               "temperature=temperature");
    uint64_t rg[2] = {6, 12};
    pk_buf out;
    pk_buf_init(&out, 0);
    pk_error e;
    CHECK_EQ_I(pk_guard_req_redact(r, rg, 1, "[R]", &out, &e), 0);
    CHECK_STR(out.data, "{ \"m\\u0065ssages\" : [ {\"role\":\"user\", \"content\": \"caf\xc3\xa9 [R]\"} ],"
                        " \"temperature\": 0.70 }");
    pk_buf_free(&out);
    pk_guard_req_free(r);
}

static void test_redact(void)
{
    const char *body = "{\"messages\":[{\"role\":\"user\",\"content\":\"keep this SECRET WORDS keep\"},"
                       "{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"f\","
                       "\"arguments\":\"{\\\"q\\\":\\\"more SECRET\\\"}\"}}]},"
                       "{\"role\":\"user\",\"content\":\"WORDS end\"}]}";
    pk_guard_req *r = parse(PK_API_CHAT, body);
    if (!r) return;
    size_t n;
    const char *t = pk_guard_req_text(r, &n);
    const char *typed = "keep this SECRET WORDS keep\n\nmore SECRET\n\nWORDS end\n\n";
    CHECK(n > strlen(typed) && memcmp(t, typed, strlen(typed)) == 0);
    check_rest(r, 3, "/messages=messages | /messages/0/role=role | /messages/0/role=user | /messages/0/content=content | /"
               "messages/1/role=role | /messages/1/role=assistant | /messages/1/tool_calls=tool_calls | /messages/1/"
               "tool_calls/0/function=function | /messages/1/tool_calls/0/function/name=name | /messages/1/tool_call"
               "s/0/function/name=f | /messages/1/tool_calls/0/function/arguments=arguments | /messages/2/role=role "
               "| /messages/2/role=user | /messages/2/content=content | /messages/1/tool_calls/0/function/arguments#"
               "/q=q");
    /* One passage inside the first message, one across the nested argument
     * and the next message. */
    const char *a = strstr(t, "SECRET WORDS"), *b = strstr(t, "SECRET\n\nWORDS");
    uint64_t rg[4] = {(uint64_t)(a - t), (uint64_t)(a - t + 12), (uint64_t)(b - t), (uint64_t)(b - t + 13)};
    pk_buf out;
    pk_buf_init(&out, 0);
    pk_error e;
    CHECK_EQ_I(pk_guard_req_redact(r, rg, 2, "[R]", &out, &e), 0);
    CHECK_STR(out.data, "{\"messages\":[{\"role\":\"user\",\"content\":\"keep this [R] keep\"},"
                        "{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"f\","
                        "\"arguments\":\"{\\\"q\\\":\\\"more [R]\\\"}\"}}]},"
                        "{\"role\":\"user\",\"content\":\"[R] end\"}]}");
    json_t *j = json_loads(out.data, 0, NULL);
    CHECK(j != NULL);
    json_decref(j);
    pk_buf_free(&out);
    pk_guard_req_free(r);
}

static void test_config(void)
{
    pk_guard_config c;
    pk_guard_config_default(&c);
    pk_error e;
    memset(&e, 0, sizeof e);
    const char *ok = "# a guard\nlisten = 127.0.0.1:9000\nmode = redact\nmin_words = 30\nmax_body = 1M\n"
                     "message = \"  %t (%i) is registered  \"\ncheck_responses = true\n";
    CHECK_EQ_I(pk_guard_config_parse(&c, "g.conf", ok, strlen(ok), &e), 0);
    CHECK_STR(c.listen, "127.0.0.1:9000");
    CHECK_EQ_I(c.mode, PK_GUARD_REDACT);
    CHECK_EQ_U(c.min_words, 30);
    CHECK_EQ_U(c.max_body, 1048576);
    CHECK_EQ_I(c.check_responses, 1);
    pk_buf m;
    pk_buf_init(&m, 0);
    pk_guard_message(c.message, "Night Shift", "night-shift", &m);
    CHECK_STR(m.data, "  Night Shift (night-shift) is registered  ");
    pk_buf_free(&m);
    const char *unknown = "mode = block\n\nmax_bdy = 3\n";
    CHECK_EQ_I(pk_guard_config_parse(&c, "g.conf", unknown, strlen(unknown), &e), PK_EFORMAT);
    CHECK_STR(e.msg, "g.conf:3: unknown key 'max_bdy'");
    const char *badv = "fail_open = maybe\n";
    CHECK_EQ_I(pk_guard_config_parse(&c, "g.conf", badv, strlen(badv), &e), PK_EFORMAT);
    CHECK_STR(e.msg, "g.conf:1: fail_open: expected true or false, got 'maybe'");
    const char *more = "binary = pass\nremote_documents = pass\nper_ip_connections = 8\n";
    CHECK_EQ_I(pk_guard_config_parse(&c, "g.conf", more, strlen(more), &e), 0);
    CHECK_EQ_I(c.x.binary_pass, 1);
    CHECK_EQ_I(c.x.remote_pass, 1);
    CHECK_EQ_I(c.per_ip, 8);
    const char *badb = "binary = maybe\n";
    CHECK_EQ_I(pk_guard_config_parse(&c, "g.conf", badb, strlen(badb), &e), PK_EFORMAT);
    CHECK_STR(e.msg, "g.conf:1: binary: expected refuse or pass, got 'maybe'");
    const char *noeq = "listen 1\n";
    CHECK_EQ_I(pk_guard_config_parse(&c, "g.conf", noeq, strlen(noeq), &e), PK_EFORMAT);
    CHECK_STR(e.msg, "g.conf:1: expected 'key = value'");
}

/* The text of the piece at pointer ptr (the first one), "" when none. */
static const char *piece_at(pk_guard_req *r, const char *ptr, char *buf, size_t cap)
{
    size_t n;
    const char *t = pk_guard_req_text(r, &n);
    buf[0] = 0;
    for (size_t i = 0; i < pk_guard_req_npieces(r); i++) {
        const pk_guard_piece *p = pk_guard_req_piece(r, i);
        if (!strcmp(p->ptr, ptr)) {
            snprintf(buf, cap, "%.*s", (int)p->len, t + p->start);
            break;
        }
    }
    return buf;
}

/* G1: text in fields the typed walk does not list is still a piece: tool
 * descriptions, predicted outputs, JSON schemas, unknown item and block
 * types, and object keys of tool input. */
static void test_catch_all(void)
{
    char b[256];
    pk_guard_req *r = parse(PK_API_CHAT,
                            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                            "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"description\":\"tool prose\","
                            "\"parameters\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"string\","
                            "\"description\":\"schema prose\",\"enum\":[\"enum prose\"]}}}}}],"
                            "\"prediction\":{\"type\":\"content\",\"content\":\"predicted prose\"}}");
    if (r) {
        /* The key comes first (the member's pointer), then its value. */
        CHECK_STR(piece_at(r, "/tools/0/function/description", b, sizeof b), "description");
        CHECK_STR(piece_at(r, "/tools/0/function/parameters/properties/x/description", b, sizeof b)
                  , "description");
        CHECK_STR(piece_at(r, "/tools/0/function/parameters/properties/x/enum/0", b, sizeof b), "enum prose");
        CHECK_STR(piece_at(r, "/prediction/content", b, sizeof b), "content");
        size_t n;
        const char *t = pk_guard_req_text(r, &n);
        CHECK(strstr(t, "\n\ndescription\n\ntool prose\n\n") != NULL);
        CHECK(strstr(t, "\n\nschema prose\n\n") != NULL);
        CHECK(strstr(t, "\n\npredicted prose") != NULL);
        pk_guard_req_free(r);
    }
    r = parse(PK_API_MESSAGES,
              "{\"tools\":[{\"name\":\"t\",\"description\":\"anthropic tool prose\"}],\"messages\":[{\"role\":\"user\","
              "\"content\":[{\"type\":\"new_block\",\"body\":\"unknown block prose\"},{\"type\":\"tool_use\","
              "\"input\":{\"key prose words\":1}}]}]}");
    if (r) {
        CHECK_STR(piece_at(r, "/tools/0/description", b, sizeof b), "description");
        size_t n;
        const char *t = pk_guard_req_text(r, &n);
        CHECK(strstr(t, "\n\nanthropic tool prose") != NULL);
        CHECK_STR(piece_at(r, "/messages/0/content/0/body", b, sizeof b), "body");
        CHECK(strstr(t, "\n\nunknown block prose") != NULL);
        CHECK_STR(piece_at(r, "/messages/0/content/1/input/key prose words", b, sizeof b), "key prose words");
        pk_guard_req_free(r);
    }
    r = parse(PK_API_RESPONSES,
              "{\"input\":[{\"type\":\"reasoning\",\"summary\":[{\"type\":\"summary_text\",\"text\":\"summary prose\"}]},"
              "{\"type\":\"function_call\",\"arguments\":\"{\\\"arg key prose\\\":2}\"}]}");
    if (r) {
        CHECK_STR(piece_at(r, "/input/0/summary/0/text", b, sizeof b), "text");
        size_t n;
        const char *t = pk_guard_req_text(r, &n);
        CHECK(strstr(t, "\n\nsummary prose") != NULL);
        CHECK_STR(piece_at(r, "/input/1/arguments#/arg key prose", b, sizeof b), "arg key prose");
        pk_guard_req_free(r);
    }
}

/* G2: a tool result that is a JSON document is read as one too: its
 * strings unescaped (the "\n" escapes no longer glue words), the raw
 * string kept; redaction rewrites the inner string. */
static void test_json_tool_result(void)
{
    const char *body = "{\"messages\":[{\"role\":\"tool\",\"tool_call_id\":\"c\","
                       "\"content\":\"{\\\"doc\\\": \\\"\\\\nfirst SECRET\\\\nWORDS last\\\\n\\\"}\"}]}";
    pk_guard_req *r = parse(PK_API_CHAT, body);
    if (!r) return;
    char b[256];
    CHECK_STR(piece_at(r, "/messages/0/content", b, sizeof b), "{\"doc\": \"\\nfirst SECRET\\nWORDS last\\n\"}");
    check_piece(r, 1, "\nfirst SECRET\nWORDS last\n", "/messages/0/content#/doc", PK_PIECE_NESTED);
    size_t n;
    const char *t = pk_guard_req_text(r, &n);
    const char *a = strstr(t, "SECRET\nWORDS");
    CHECK(a != NULL);
    if (!a) goto out;
    uint64_t rg[2] = {(uint64_t)(a - t), (uint64_t)(a - t + 12)};
    pk_buf out;
    pk_buf_init(&out, 0);
    pk_error e;
    CHECK_EQ_I(pk_guard_req_redact(r, rg, 1, "[R]", &out, &e), 0);
    CHECK_STR(out.data, "{\"messages\":[{\"role\":\"tool\",\"tool_call_id\":\"c\","
                        "\"content\":\"{\\\"doc\\\": \\\"\\\\nfirst [R] last\\\\n\\\"}\"}]}");
    pk_buf_free(&out);
out:
    pk_guard_req_free(r);
}

static pk_guard_req *parse_file(const unsigned char *bin, size_t n, const pk_guard_xopts *o, int *rc, pk_error *e)
{
    char b64[1024], body[1400];
    sodium_bin2base64(b64, sizeof b64, bin, n, sodium_base64_VARIANT_ORIGINAL);
    snprintf(body, sizeof body,
             "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"file\",\"file\":{\"file_data\":\"%s\"}}]}]}",
             b64);
    pk_guard_req *r = NULL;
    memset(e, 0, sizeof *e);
    *rc = pk_guard_req_parse(&r, PK_API_CHAT, body, strlen(body), o, e);
    return r;
}

/* G3: base64 files the guard cannot read cleanly: Latin-1 and UTF-16
 * text decoded, a PDF header after a preamble found, binary refused by
 * default and passed with a note under binary = pass; documents by URL
 * refused, or passed with a note. */
static void test_files(void)
{
    int rc;
    pk_error e;
    const char *ptr = "/messages/0/content/0/file/file_data";
    const unsigned char latin[] = "caf\xe9 au lait";
    pk_guard_req *r = parse_file(latin, sizeof latin - 1, NULL, &rc, &e);
    CHECK_EQ_I(rc, 0);
    if (r) {
        check_piece(r, 0, "caf\xc3\xa9 au lait", ptr, PK_PIECE_DOCUMENT);
        pk_guard_req_free(r);
    }
    const unsigned char u16[] = {0xFF, 0xFE, 'h', 0, 'i', 0, ' ', 0, 0xE9, 0};
    r = parse_file(u16, sizeof u16, NULL, &rc, &e);
    CHECK_EQ_I(rc, 0);
    if (r) {
        check_piece(r, 0, "hi \xc3\xa9", ptr, PK_PIECE_DOCUMENT);
        pk_guard_req_free(r);
    }
    const unsigned char pre[] = "\x01junk before the header %PDF-1.4 rest";
    pk_guard_xopts o;
    memset(&o, 0, sizeof o);
    o.pdf_refuse = 1;
    r = parse_file(pre, sizeof pre - 1, &o, &rc, &e);
    CHECK_EQ_I(rc, PK_EINVAL);
    CHECK_STR(e.msg, "/messages/0/content/0/file/file_data: PDF documents are refused by this guard (pdf = refuse)");
    const unsigned char zip[] = {'P', 'K', 3, 4, 20, 0, 6, 0, 8, 0, 0, 0, 'w', 'o', 'r', 'd'};
    r = parse_file(zip, sizeof zip, NULL, &rc, &e);
    CHECK_EQ_I(rc, PK_EINVAL);
    CHECK(r == NULL);
    CHECK_STR(e.msg, "/messages/0/content/0/file/file_data: a file the guard cannot read (not PDF or text) is refused "
                     "(binary = refuse); send its text");
    memset(&o, 0, sizeof o);
    o.binary_pass = 1;
    r = parse_file(zip, sizeof zip, &o, &rc, &e);
    CHECK_EQ_I(rc, 0);
    if (r) {
        CHECK_STR(pk_guard_req_note(r), "binary file not checked (binary = pass) at /messages/0/content/0/file/file_data");
        pk_guard_req_free(r);
    }
    const char *url = "{\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_file\",\"file_url\":\"https://x/a.pdf\"}]}]}";
    CHECK_EQ_I(pk_guard_req_parse(&r, PK_API_RESPONSES, url, strlen(url), NULL, &e), PK_EINVAL);
    CHECK_STR(e.msg, "/input/0/content/0/file_url: a document given by URL cannot be checked by the guard "
                     "(remote_documents = refuse); send its text or the file itself");
    const char *fid = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"file\",\"file\":{\"file_id\":\"file-1\"}}]}]}";
    CHECK_EQ_I(pk_guard_req_parse(&r, PK_API_CHAT, fid, strlen(fid), NULL, &e), PK_EINVAL);
    CHECK_STR(e.msg, "/messages/0/content/0/file/file_id: a document given by file id cannot be checked by the guard "
                     "(remote_documents = refuse); send its text or the file itself");
    const char *aurl = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"document\",\"source\":{\"type\":\"url\","
                       "\"url\":\"https://x/a.pdf\"}}]}]}";
    CHECK_EQ_I(pk_guard_req_parse(&r, PK_API_MESSAGES, aurl, strlen(aurl), NULL, &e), PK_EINVAL);
    memset(&o, 0, sizeof o);
    o.remote_pass = 1;
    CHECK_EQ_I(pk_guard_req_parse(&r, PK_API_MESSAGES, aurl, strlen(aurl), &o, &e), 0);
    if (r) {
        CHECK_STR(pk_guard_req_note(r),
                  "remote document not checked (remote_documents = pass) at /messages/0/content/0/source/url");
        pk_guard_req_free(r);
    }
}

TEST_MAIN(TEST(test_chat_shapes), TEST(test_chat_file_part), TEST(test_pdf_refused), TEST(test_completions_prompts),
          TEST(test_responses_and_embeddings), TEST(test_anthropic_shapes), TEST(test_malformed), TEST(test_escaped_key_and_splice), TEST(test_redact),
          TEST(test_config), TEST(test_catch_all), TEST(test_json_tool_result), TEST(test_files))
