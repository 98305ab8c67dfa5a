/* request.h -- pk-lm's request parser: a JSON body of a completion request
 * in one of the wire formats pk-lm serves, into one lm_req.  No socket
 * here, so fuzz/fuzz_lm_request.c calls it directly. */
#ifndef PK_LM_REQUEST_H
#define PK_LM_REQUEST_H

#include "pk.h"

enum { LM_API_VLLM, LM_API_LLAMACPP, LM_API_OPENAI };
enum { LM_EP_COMPLETIONS, LM_EP_CHAT, LM_EP_LLAMA };

#define LM_MAX_PROMPTS 64
#define LM_MAX_STOPS 16
#define LM_MAX_STOP_LEN 1024
#define LM_MAX_TOP 20 /* vLLM's default max_logprobs */
#define LM_MAX_GEN 4096
#define LM_LLAMA_DEFAULT_PREDICT 128 /* n_predict -1 (no limit there: no EOS here) */

typedef struct lm_req {
    int api, endpoint;
    char **prompts; /* chat: one, the message contents joined with "\n" */
    size_t nprompts;
    char **stops;
    size_t nstops;
    long max_tokens;
    double temperature;
    int has_seed;
    uint64_t seed;
    int logprobs;        /* top-N alternatives per generated token; -1: no logprobs */
    int echo;            /* completions: prompt prepended to the text */
    int prompt_logprobs; /* vLLM: top-N per prompt token; -1: none */
    int full_stats;      /* pk_full_stats: mu and sigma in prompt_logprobs */
} lm_req;

void lm_req_init(lm_req *r);
void lm_req_free(lm_req *r); /* accepts an initialized request */
/* Parse body[0..n) for api (LM_API_*) and endpoint (LM_EP_*).  On failure
 * returns PK_EFORMAT (not JSON: the message gives line and column) or
 * PK_EINVAL (a bad field) with *param the field's name (NULL when none);
 * r is then freed. */
int lm_req_parse(lm_req *r, int api, int endpoint, const char *body, size_t n, const char **param, pk_error *err);

#endif
