/* fuzz_lm_request.c -- pk-lm's request parser (tests/lm/request.c) and
 * tokenizer (tests/lm/lm.c), without a socket.
 *
 * pk-lm is an executable, not part of the library, so its two source files
 * are compiled into this target.  The first byte picks the wire format and
 * endpoint, the rest is the request body.  A body that parses must give
 * values inside the documented bounds (one or more NUL-free prompts,
 * max_tokens 0..4096, logprobs and prompt_logprobs -1..20, temperature
 * finite and >= 0, stop strings non-empty); one that does not must say
 * why, and name a parameter only for a field error.  Every prompt is then
 * normalized and split into tokens, which must tile the normalized text
 * exactly (each token: white space, then a non-empty rest, except a
 * trailing white-space token).  Anything else, a crash, a leak or an
 * overread under the sanitizers, is a bug. */
#include "../tests/lm/lm.c"
#include "../tests/lm/request.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_tokens(const char *p)
{
    pk_buf norm;
    pk_buf_init(&norm, 0);
    if (pk_lm_normalize(p, strlen(p), &norm)) abort();
    const char *s = norm.data ? norm.data : "";
    pk_lm_span *sp = NULL;
    size_t n = 0;
    if (pk_lm_split(s, norm.len, &sp, &n, NULL)) abort();
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (sp[i].off != at || sp[i].len == 0 || sp[i].ws > sp[i].len) abort();
        if (sp[i].ws > 1) abort(); /* runs were normalized to one character */
        if (sp[i].ws == sp[i].len && i + 1 != n) abort();
        at += sp[i].len;
    }
    if (at != norm.len) abort();
    free(sp);
    pk_buf_free(&norm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static const int combos[][2] = {
        {LM_API_VLLM, LM_EP_COMPLETIONS}, {LM_API_VLLM, LM_EP_CHAT},     {LM_API_OPENAI, LM_EP_COMPLETIONS},
        {LM_API_OPENAI, LM_EP_CHAT},      {LM_API_LLAMACPP, LM_EP_LLAMA},
    };
    const int *c = combos[data[0] % 5];
    lm_req r;
    const char *param = NULL;
    pk_error err;
    memset(&err, 0, sizeof err);
    int rc = lm_req_parse(&r, c[0], c[1], (const char *)data + 1, size - 1, &param, &err);
    if (rc) {
        if (rc != PK_EFORMAT && rc != PK_EINVAL && rc != PK_ENOMEM) abort();
        if (!err.msg[0]) abort();
        if (rc == PK_EFORMAT && param) abort();
        return 0;
    }
    if (r.nprompts < 1 || r.nprompts > LM_MAX_PROMPTS || !r.prompts) abort();
    if (r.max_tokens < 0 || r.max_tokens > LM_MAX_GEN) abort();
    if (r.logprobs < -1 || r.logprobs > LM_MAX_TOP || r.prompt_logprobs < -1 || r.prompt_logprobs > LM_MAX_TOP) abort();
    if (!(r.temperature >= 0) || !isfinite(r.temperature)) abort();
    if (c[0] == LM_API_OPENAI && (r.prompt_logprobs >= 0 || (r.echo && r.logprobs >= 0))) abort();
    for (size_t i = 0; i < r.nstops; i++)
        if (!r.stops[i][0]) abort();
    for (size_t i = 0; i < r.nprompts; i++) check_tokens(r.prompts[i]);
    lm_req_free(&r);
    return 0;
}
