/* request.c -- the request bodies pk-lm accepts, checked field by field.
 *
 * Fields read (others are ignored, as vLLM ignores unknown fields):
 *   /v1/completions (vLLM, OpenAI): model, prompt (string or list of
 *     strings; token-id prompts are refused), max_tokens (default 16),
 *     temperature (default 1), seed, stop (string or list), logprobs (int
 *     top-N, 0..20; OpenAI 0..5), echo, n (must be 1), stream (must be
 *     false); vLLM only: prompt_logprobs (int 0..20) and pk-lm's
 *     pk_full_stats (bool).  OpenAI mode refuses prompt_logprobs and
 *     pk_full_stats as unrecognized, and echo together with logprobs, the
 *     way the OpenAI API does, naming the parameter.
 *   /v1/chat/completions: messages (content a string, null, or a list of
 *     {"type":"text","text":...} parts), max_tokens or
 *     max_completion_tokens (default 16), temperature, seed, stop,
 *     logprobs (bool), top_logprobs (0..20, needs logprobs), n, stream;
 *     vLLM only: prompt_logprobs, pk_full_stats.
 *   llama.cpp /completion: prompt (string), n_predict (default -1: up to
 *     LM_LLAMA_DEFAULT_PREDICT), temperature (default 0.8), n_probs
 *     (0..20), stop (list), seed (-1: random); cache_prompt and
 *     post_sampling_probs accepted (the old API's probs are already
 *     probabilities after sampling settings).
 * Every string is copied out, so nothing points into jansson's tree. */
#include "request.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void lm_req_init(lm_req *r)
{
    memset(r, 0, sizeof *r);
    r->logprobs = -1;
    r->prompt_logprobs = -1;
    r->max_tokens = 16;
    r->temperature = 1.0;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

void lm_req_free(lm_req *r)
{
    if (!r) return;
    free_list(r->prompts, r->nprompts);
    free_list(r->stops, r->nstops);
    r->prompts = r->stops = NULL;
    r->nprompts = r->nstops = 0;
}

typedef struct pctx {
    const char **param;
    pk_error *err;
} pctx;

static int bad(pctx *c, const char *param, const char *msg)
{
    *c->param = param;
    return pk_fail(c->err, PK_EINVAL, "%s", msg);
}

/* "<param> <what>" */
static int badt(pctx *c, const char *param, const char *what)
{
    *c->param = param;
    return pk_fail(c->err, PK_EINVAL, "%s %s", param, what);
}

static int push(char ***v, size_t *n, const char *s, size_t len)
{
    char **nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv) return PK_ENOMEM;
    *v = nv;
    char *c = malloc(len + 1);
    if (!c) return PK_ENOMEM;
    memcpy(c, s, len);
    c[len] = 0;
    nv[(*n)++] = c;
    return 0;
}

/* An integer field in [lo, hi]; absent or null leaves *out. */
static int get_int(pctx *c, json_t *o, const char *name, long lo, long hi, long *out)
{
    json_t *v = json_object_get(o, name);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_integer(v)) return badt(c, name, "must be an integer");
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi) {
        *c->param = name;
        return pk_fail(c->err, PK_EINVAL, "%s must be between %ld and %ld, got %lld", name, lo, hi, (long long)x);
    }
    *out = (long)x;
    return 0;
}

static int get_bool(pctx *c, json_t *o, const char *name, int *out)
{
    json_t *v = json_object_get(o, name);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_boolean(v)) return badt(c, name, "must be a boolean");
    *out = json_is_true(v);
    return 0;
}

static int get_num(pctx *c, json_t *o, const char *name, double lo, double hi, double *out)
{
    json_t *v = json_object_get(o, name);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_number(v)) return badt(c, name, "must be a number");
    double x = json_number_value(v);
    if (!isfinite(x) || x < lo || x > hi) {
        *c->param = name;
        return pk_fail(c->err, PK_EINVAL, "%s must be between %g and %g", name, lo, hi);
    }
    *out = x;
    return 0;
}

static int get_stop(pctx *c, json_t *o, lm_req *r)
{
    json_t *v = json_object_get(o, "stop");
    if (!v || json_is_null(v)) return 0;
    if (json_is_string(v)) v = json_pack("[O]", v);
    else if (json_is_array(v)) json_incref(v);
    else return bad(c, "stop", "stop must be a string or a list of strings");
    int rc = 0;
    size_t i;
    json_t *s;
    if (json_array_size(v) > LM_MAX_STOPS) { rc = bad(c, "stop", "stop: at most 16 strings"); goto done; }
    json_array_foreach(v, i, s) {
        if (!json_is_string(s)) { rc = bad(c, "stop", "stop must be a string or a list of strings"); goto done; }
        size_t l = json_string_length(s);
        if (l == 0 || l > LM_MAX_STOP_LEN) { rc = bad(c, "stop", "a stop string must be 1 to 1024 bytes"); goto done; }
        if (push(&r->stops, &r->nstops, json_string_value(s), l)) { rc = pk_fail(c->err, PK_ENOMEM, "out of memory"); goto done; }
    }
done:
    json_decref(v);
    return rc;
}

static int get_seed(pctx *c, json_t *o, lm_req *r)
{
    json_t *v = json_object_get(o, "seed");
    if (!v || json_is_null(v)) return 0;
    if (!json_is_integer(v)) return bad(c, "seed", "seed must be an integer");
    json_int_t x = json_integer_value(v);
    if (r->endpoint == LM_EP_LLAMA && x == -1) return 0;
    r->has_seed = 1;
    r->seed = (uint64_t)x;
    return 0;
}

/* n and stream: only one choice, and no streaming. */
static int one_choice(pctx *c, json_t *o)
{
    long n = 1;
    int stream = 0, rc;
    if ((rc = get_int(c, o, "n", 1, 1, &n))) return bad(c, "n", "n must be 1: pk-lm returns one choice per prompt");
    if ((rc = get_bool(c, o, "stream", &stream))) return rc;
    if (stream) return bad(c, "stream", "stream is not supported by pk-lm");
    return 0;
}

static int vllm_ext(pctx *c, json_t *o, lm_req *r)
{
    int rc;
    if (r->api == LM_API_OPENAI) {
        if (json_object_get(o, "prompt_logprobs"))
            { *c->param = "prompt_logprobs"; return pk_fail(c->err, PK_EINVAL, "Unrecognized request argument supplied: prompt_logprobs"); }
        if (json_object_get(o, "pk_full_stats"))
            { *c->param = "pk_full_stats"; return pk_fail(c->err, PK_EINVAL, "Unrecognized request argument supplied: pk_full_stats"); }
        return 0;
    }
    long pl = -1;
    if ((rc = get_int(c, o, "prompt_logprobs", 0, LM_MAX_TOP, &pl))) return rc;
    r->prompt_logprobs = (int)pl;
    if ((rc = get_bool(c, o, "pk_full_stats", &r->full_stats))) return rc;
    return 0;
}

static int parse_completions(pctx *c, json_t *o, lm_req *r)
{
    int rc;
    json_t *p = json_object_get(o, "prompt");
    if (!p) return bad(c, "prompt", "prompt is required");
    if (json_is_string(p)) {
        if (push(&r->prompts, &r->nprompts, json_string_value(p), json_string_length(p))) goto oom;
    } else if (json_is_array(p)) {
        size_t i;
        json_t *s;
        if (json_array_size(p) == 0) return bad(c, "prompt", "prompt must not be an empty list");
        if (json_array_size(p) > LM_MAX_PROMPTS) return bad(c, "prompt", "prompt: at most 64 prompts a request");
        json_array_foreach(p, i, s) {
            if (json_is_integer(s) || json_is_array(s))
                return bad(c, "prompt", "token-id prompts are not supported by pk-lm: send text");
            if (!json_is_string(s)) return bad(c, "prompt", "prompt must be a string or a list of strings");
            if (push(&r->prompts, &r->nprompts, json_string_value(s), json_string_length(s))) goto oom;
        }
    } else {
        return bad(c, "prompt", "prompt must be a string or a list of strings");
    }
    if ((rc = get_int(c, o, "max_tokens", 0, LM_MAX_GEN, &r->max_tokens))) return rc;
    long lp = -1;
    if ((rc = get_int(c, o, "logprobs", 0, r->api == LM_API_OPENAI ? 5 : LM_MAX_TOP, &lp))) return rc;
    r->logprobs = (int)lp;
    if ((rc = get_bool(c, o, "echo", &r->echo))) return rc;
    if (r->api == LM_API_OPENAI && r->echo && r->logprobs >= 0)
        return bad(c, "echo", "echo is not supported together with logprobs");
    return vllm_ext(c, o, r);
oom:
    return pk_fail(c->err, PK_ENOMEM, "out of memory");
}

static int parse_chat(pctx *c, json_t *o, lm_req *r)
{
    int rc;
    json_t *msgs = json_object_get(o, "messages");
    if (!json_is_array(msgs) || json_array_size(msgs) == 0)
        return bad(c, "messages", "messages must be a non-empty list");
    pk_buf b;
    pk_buf_init(&b, (size_t)16 << 20);
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m) {
        json_t *role = json_object_get(m, "role"), *content = json_object_get(m, "content");
        if (!json_is_object(m) || !json_is_string(role)) { rc = bad(c, "messages", "each message needs a string role"); goto fail; }
        if (i && pk_buf_putc(&b, '\n')) goto oom;
        if (!content || json_is_null(content)) continue;
        if (json_is_string(content)) {
            if (pk_buf_append(&b, json_string_value(content), json_string_length(content))) goto oom;
        } else if (json_is_array(content)) {
            size_t j;
            json_t *part;
            json_array_foreach(content, j, part) {
                json_t *type = json_object_get(part, "type"), *text = json_object_get(part, "text");
                if (!json_is_string(type) || strcmp(json_string_value(type), "text") != 0 || !json_is_string(text)) {
                    rc = bad(c, "messages", "only text content parts are supported by pk-lm");
                    goto fail;
                }
                if (pk_buf_append(&b, json_string_value(text), json_string_length(text))) goto oom;
            }
        } else {
            rc = bad(c, "messages", "message content must be a string or a list of parts");
            goto fail;
        }
    }
    if (push(&r->prompts, &r->nprompts, b.data ? b.data : "", b.len)) goto oom;
    pk_buf_free(&b);
    if ((rc = get_int(c, o, "max_tokens", 0, LM_MAX_GEN, &r->max_tokens))) return rc;
    if ((rc = get_int(c, o, "max_completion_tokens", 0, LM_MAX_GEN, &r->max_tokens))) return rc;
    int lp = 0;
    long top = 0;
    if ((rc = get_bool(c, o, "logprobs", &lp))) return rc;
    if ((rc = get_int(c, o, "top_logprobs", 0, LM_MAX_TOP, &top))) return rc;
    json_t *tl = json_object_get(o, "top_logprobs");
    if (tl && !json_is_null(tl) && !lp) return bad(c, "top_logprobs", "top_logprobs needs logprobs set to true");
    r->logprobs = lp ? (int)top : -1;
    return vllm_ext(c, o, r);
oom:
    rc = pk_fail(c->err, PK_ENOMEM, "out of memory");
fail:
    pk_buf_free(&b);
    return rc;
}

static int parse_llama(pctx *c, json_t *o, lm_req *r)
{
    int rc;
    json_t *p = json_object_get(o, "prompt");
    if (!json_is_string(p)) return bad(c, "prompt", "prompt must be a string");
    if (push(&r->prompts, &r->nprompts, json_string_value(p), json_string_length(p)))
        return pk_fail(c->err, PK_ENOMEM, "out of memory");
    long np = -1, nprobs = 0;
    if ((rc = get_int(c, o, "n_predict", -1, LM_MAX_GEN, &np))) return rc;
    r->max_tokens = np < 0 ? LM_LLAMA_DEFAULT_PREDICT : np;
    r->temperature = 0.8;
    if ((rc = get_int(c, o, "n_probs", 0, LM_MAX_TOP, &nprobs))) return rc;
    r->logprobs = nprobs > 0 ? (int)nprobs : -1;
    int ignored = 0;
    if ((rc = get_bool(c, o, "cache_prompt", &ignored))) return rc;
    if ((rc = get_bool(c, o, "post_sampling_probs", &ignored))) return rc;
    int stream = 0;
    if ((rc = get_bool(c, o, "stream", &stream))) return rc;
    if (stream) return bad(c, "stream", "stream is not supported by pk-lm");
    return 0;
}

int lm_req_parse(lm_req *r, int api, int endpoint, const char *body, size_t n, const char **param, pk_error *err)
{
    lm_req_init(r);
    r->api = api;
    r->endpoint = endpoint;
    *param = NULL;
    pctx c = {param, err};
    json_error_t je;
    json_t *o = json_loadb(body, n, JSON_REJECT_DUPLICATES, &je);
    int rc;
    if (!o) return pk_fail(err, PK_EFORMAT, "invalid JSON at line %d column %d (byte %d): %s", je.line, je.column, je.position, je.text);
    if (!json_is_object(o)) { rc = pk_fail(err, PK_EINVAL, "the request body must be a JSON object"); goto done; }
    if (endpoint == LM_EP_COMPLETIONS) rc = parse_completions(&c, o, r);
    else if (endpoint == LM_EP_CHAT) rc = parse_chat(&c, o, r);
    else rc = parse_llama(&c, o, r);
    if (rc) goto done;
    double tmax = api == LM_API_OPENAI ? 2.0 : 100.0;
    if ((rc = get_num(&c, o, "temperature", 0, tmax, &r->temperature))) goto done;
    if ((rc = get_seed(&c, o, r))) goto done;
    if ((rc = get_stop(&c, o, r))) goto done;
    if (endpoint != LM_EP_LLAMA && (rc = one_choice(&c, o))) goto done;
    json_t *model = json_object_get(o, "model");
    if (model && !json_is_null(model) && !json_is_string(model)) { rc = bad(&c, "model", "model must be a string"); goto done; }
done:
    json_decref(o);
    if (rc) lm_req_free(r);
    return rc;
}
