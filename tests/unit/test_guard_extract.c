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
    CHECK_EQ_U(pk_guard_req_npieces(r), 7);
    check_piece(r, 0, "Be brief.", "/messages/0/content", PK_PIECE_STRING);
    check_piece(r, 1, "ann", "/messages/1/name", PK_PIECE_STRING);
    check_piece(r, 2, "part one", "/messages/1/content/0/text", PK_PIECE_STRING);
    check_piece(r, 3, "part two", "/messages/1/content/2/text", PK_PIECE_STRING);
    check_piece(r, 4, "the ferry", "/messages/2/tool_calls/0/function/arguments#/q", PK_PIECE_NESTED);
    check_piece(r, 5, "a/b", "/messages/2/tool_calls/0/function/arguments#/tags/0", PK_PIECE_NESTED);
    check_piece(r, 6, "tool said this", "/messages/3/content", PK_PIECE_STRING);
    size_t n;
    const char *t = pk_guard_req_text(r, &n);
    CHECK_STR(t, "Be brief.\n\nann\n\npart one\n\npart two\n\nthe ferry\n\na/b\n\ntool said this");
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
    CHECK_EQ_U(pk_guard_req_npieces(r), 1);
    check_piece(r, 0, txt, "/messages/0/content/0/file/file_data", PK_PIECE_DOCUMENT);
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
        CHECK_EQ_U(pk_guard_req_npieces(r), 3);
        check_piece(r, 0, "first", "/prompt/0", PK_PIECE_STRING);
        check_piece(r, 1, "second", "/prompt/1", PK_PIECE_STRING);
        check_piece(r, 2, "end", "/suffix", PK_PIECE_STRING);
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
        CHECK_EQ_U(pk_guard_req_npieces(r), 0);
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
        CHECK_EQ_U(pk_guard_req_npieces(r), 5);
        check_piece(r, 0, "Answer well.", "/instructions", PK_PIECE_STRING);
        check_piece(r, 1, "question", "/input/0/content/0/text", PK_PIECE_STRING);
        check_piece(r, 2, "arg", "/input/1/arguments#/a", PK_PIECE_NESTED);
        check_piece(r, 3, "result text", "/input/2/output", PK_PIECE_STRING);
        check_piece(r, 4, "Brennock", "/prompt/variables/city", PK_PIECE_STRING);
        pk_guard_req_free(r);
    }
    r = parse(PK_API_RESPONSES, "{\"input\":\"just a string\"}");
    if (r) {
        check_piece(r, 0, "just a string", "/input", PK_PIECE_STRING);
        pk_guard_req_free(r);
    }
    r = parse(PK_API_EMBEDDINGS, "{\"input\":[\"one\",\"two\"],\"model\":\"e\"}");
    if (r) {
        CHECK_EQ_U(pk_guard_req_npieces(r), 2);
        check_piece(r, 1, "two", "/input/1", PK_PIECE_STRING);
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
    CHECK_EQ_U(pk_guard_req_npieces(r), 7);
    check_piece(r, 0, "sys block", "/system/0/text", PK_PIECE_STRING);
    check_piece(r, 1, "plain", "/messages/0/content", PK_PIECE_STRING);
    check_piece(r, 2, "deep", "/messages/1/content/0/input/k/0", PK_PIECE_STRING);
    check_piece(r, 3, "deeper", "/messages/1/content/0/input/k/1/x", PK_PIECE_STRING);
    check_piece(r, 4, "result block", "/messages/2/content/0/content/0/text", PK_PIECE_STRING);
    check_piece(r, 5, "T", "/messages/2/content/1/title", PK_PIECE_STRING);
    check_piece(r, 6, "doc text", "/messages/2/content/1/source/data", PK_PIECE_STRING);
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
    CHECK_EQ_U(pk_guard_req_npieces(r), 1);
    check_piece(r, 0, "caf\xc3\xa9 SECRET", "/messages/0/content", PK_PIECE_STRING);
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
    CHECK_STR(t, "keep this SECRET WORDS keep\n\nmore SECRET\n\nWORDS end");
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
    const char *noeq = "listen 1\n";
    CHECK_EQ_I(pk_guard_config_parse(&c, "g.conf", noeq, strlen(noeq), &e), PK_EFORMAT);
    CHECK_STR(e.msg, "g.conf:1: expected 'key = value'");
}

TEST_MAIN(TEST(test_chat_shapes), TEST(test_chat_file_part), TEST(test_pdf_refused), TEST(test_completions_prompts),
          TEST(test_responses_and_embeddings), TEST(test_anthropic_shapes), TEST(test_malformed), TEST(test_escaped_key_and_splice), TEST(test_redact),
          TEST(test_config))
