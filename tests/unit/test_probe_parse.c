/* test_probe_parse.c -- the probe's readers of server responses, on
 * bodies written by hand in the shapes the servers send (vLLM's
 * prompt_logprobs, OpenAI's legacy echo + logprobs, chat completions,
 * llama.cpp's /completion), the malformed ones they must refuse, and the
 * word comparison the extraction test uses. */
#include "probe/probe.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>

static int parse(int kind, const char *body, const size_t *echo, size_t np, pk_probe_resp *r, pk_error *e)
{
    return pk_probe_parse(kind, body, strlen(body), echo, np, r, e);
}

static void vllm_prompt_logprobs_skip_the_leading_null(void)
{
    const char *b =
        "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\",\"choices\":["
        "{\"index\":1,\"text\":\" b\",\"logprobs\":null,\"finish_reason\":\"length\",\"prompt_logprobs\":[null,"
        "{\"17\":{\"logprob\":-0.5,\"rank\":1,\"decoded_token\":\" dog\"}}]},"
        "{\"index\":0,\"text\":\" a\",\"logprobs\":null,\"finish_reason\":\"length\",\"prompt_logprobs\":[null,"
        "{\"5\":{\"logprob\":-1.25,\"rank\":3,\"decoded_token\":\" cat\",\"mu\":-7.5,\"sigma\":2.0}},"
        "{\"9\":{\"logprob\":-2.0,\"rank\":1,\"decoded_token\":\" sat\",\"mu\":-6.0,\"sigma\":1.5}}]}],"
        "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}";
    pk_probe_resp r = {0};
    pk_error e;
    CHECK_EQ_I(parse(PK_PROBE_R_COMPLETION, b, NULL, 0, &r, &e), 0);
    CHECK_EQ_U(r.nchoice, 2);
    CHECK_STR(r.choice[0].text, " a"); /* placed by "index", not by order */
    CHECK_STR(r.choice[1].text, " b");
    CHECK_EQ_U(r.choice[0].ntok, 2);
    CHECK(r.choice[0].lp[0] == -1.25 && r.choice[0].lp[1] == -2.0);
    CHECK(r.choice[0].mu && r.choice[0].mu[1] == -6.0 && r.choice[0].sigma[0] == 2.0);
    CHECK(r.choice[1].mu == NULL); /* no mu there */
    CHECK_EQ_U(r.choice[1].ntok, 1);
    CHECK_EQ_U(r.prompt_tokens, 5);
    CHECK_EQ_U(r.completion_tokens, 2);
    pk_probe_resp_free(&r);
}

static void echo_logprobs_split_prompt_from_generation(void)
{
    /* prompt "The cat" (7 bytes), generated " sat" */
    const char *b = "{\"choices\":[{\"index\":0,\"text\":\"The cat sat\",\"logprobs\":{"
                    "\"tokens\":[\"The\",\" cat\",\" sat\"],\"token_logprobs\":[null,-3.5,-0.25],"
                    "\"top_logprobs\":[null,{\" cat\":-3.5},{\" sat\":-0.25}],\"text_offset\":[0,3,7]},"
                    "\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":1}}";
    size_t plen = 7;
    pk_probe_resp r = {0};
    pk_error e;
    CHECK_EQ_I(parse(PK_PROBE_R_COMPLETION, b, &plen, 1, &r, &e), 0);
    CHECK_EQ_U(r.choice[0].ntok, 1);
    CHECK(r.choice[0].lp[0] == -3.5);
    CHECK_STR(r.choice[0].text, " sat");
    CHECK(r.choice[0].has_lp);
    pk_probe_resp_free(&r);
}

static void chat_and_llamacpp_give_the_text(void)
{
    const char *c = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                    "\"message\":{\"role\":\"assistant\",\"content\":\"Hello there\"},\"logprobs\":null,"
                    "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}";
    const char *l = "{\"content\":\" and then\",\"id_slot\":0,\"stop\":true,\"model\":\"m.gguf\","
                    "\"tokens_predicted\":2,\"tokens_evaluated\":11,\"completion_probabilities\":["
                    "{\"content\":\" and\",\"probs\":[{\"tok_str\":\" and\",\"prob\":0.9}]}]}";
    pk_probe_resp r = {0};
    pk_error e;
    CHECK_EQ_I(parse(PK_PROBE_R_CHAT, c, NULL, 0, &r, &e), 0);
    CHECK_STR(r.choice[0].text, "Hello there");
    CHECK(!r.choice[0].has_lp);
    CHECK_EQ_I(parse(PK_PROBE_R_LLAMACPP, l, NULL, 0, &r, &e), 0);
    CHECK_STR(r.choice[0].text, " and then");
    CHECK_EQ_U(r.prompt_tokens, 11);
    CHECK_EQ_U(r.completion_tokens, 2);
    pk_probe_resp_free(&r);
}

static void malformed_bodies_are_refused_with_a_reason(void)
{
    pk_probe_resp r = {0};
    pk_error e;
    CHECK_EQ_I(parse(PK_PROBE_R_COMPLETION, "{\"choices\":[", NULL, 0, &r, &e), PK_EFORMAT);
    CHECK(strstr(e.msg, "bad JSON at byte 12") != NULL);
    CHECK_EQ_I(parse(PK_PROBE_R_COMPLETION, "{\"choices\":[]}", NULL, 0, &r, &e), PK_EFORMAT);
    CHECK_EQ_I(parse(PK_PROBE_R_COMPLETION, "{\"choices\":[{\"index\":3,\"text\":\"x\"}]}", NULL, 0, &r, &e),
               PK_EFORMAT);
    CHECK(strstr(e.msg, "choices[0]") != NULL);
    CHECK_EQ_I(parse(PK_PROBE_R_COMPLETION,
                     "{\"choices\":[{\"text\":\"x\",\"prompt_logprobs\":[null,{\"1\":{\"rank\":1}}]}]}", NULL, 0,
                     &r, &e),
               PK_EFORMAT);
    CHECK(strstr(e.msg, "logprob") != NULL);
    CHECK_EQ_I(parse(PK_PROBE_R_LLAMACPP, "{\"content\":5}", NULL, 0, &r, &e), PK_EFORMAT);
    CHECK_EQ_I(parse(PK_PROBE_R_COMPLETION,
                     "{\"choices\":[{\"text\":\"a\"},{\"text\":\"b\"}]}", (const size_t[]){1}, 1, &r, &e),
               PK_EFORMAT); /* two choices for one echoed prompt */
    CHECK(r.nchoice == 0 && r.choice == NULL);
}

static void words_compare_after_normalization(void)
{
    pk_buf a, b;
    pk_buf_init(&a, 0);
    pk_buf_init(&b, 0);
    size_t *wa = NULL, *wb = NULL, na = 0, nb = 0;
    CHECK_EQ_I(pk_probe_norm_words("\"Don't GO,\" she said -- now.", 28, &a, &wa, &na), 0);
    CHECK_EQ_U(na, 5);
    CHECK_STR(a.data + wa[0], "don't");
    CHECK_STR(a.data + wa[4], "now");
    CHECK_EQ_I(pk_probe_norm_words("he said: don't go she said now", 30, &b, &wb, &nb), 0);
    /* "don't go" + "she said now" share the run "don't go she said now" */
    CHECK_EQ_U(pk_probe_common_run(a.data, wa, na, b.data, wb, nb), 5);
    CHECK_EQ_U(pk_probe_common_run(a.data, wa, na, b.data, wb, 0), 0);
    free(wa);
    free(wb);
    pk_buf_free(&a);
    pk_buf_free(&b);
}

TEST_MAIN(TEST(vllm_prompt_logprobs_skip_the_leading_null), TEST(echo_logprobs_split_prompt_from_generation),
          TEST(chat_and_llamacpp_give_the_text), TEST(malformed_bodies_are_refused_with_a_reason),
          TEST(words_compare_after_normalization))
