/* serve.c -- pk-lm's HTTP server: the model behind the wire formats of
 * vLLM, llama.cpp server and OpenAI, on loopback, for `picket probe`'s
 * tests.
 *
 * libmicrohttpd with its internal polling thread and a pool of 2 threads;
 * the model is read-only once loaded, so requests share it without locks;
 * the counters are atomics.  A request body is collected whole (over
 * 8 MiB: 413), parsed by request.c, run by complete() (tokenize the
 * normalized prompt, score its tokens when asked, generate), and written
 * by one of the three formatters with jansson.  Scoring uses the sparse
 * form of the distributions (lm.h: cost per token proportional to the
 * tokens seen after the context, not to the vocabulary); only sampling at
 * temperature > 0 fills the whole distribution.
 *
 * Wire formats (fields implemented; the shapes of vLLM's protocol.py and
 * serving_completion.py / serving_chat.py, llama.cpp server's README of
 * its b2xxx-b3xxx releases, and the OpenAI API):
 *   vLLM  GET /v1/models: object, data[{id, object, created, owned_by,
 *           root, max_model_len}].
 *         POST /v1/completions: id, object "text_completion", created,
 *           model, choices[{index, text, logprobs{text_offset,
 *           token_logprobs, tokens, top_logprobs} | null, finish_reason
 *           "length" | "stop", stop_reason, prompt_logprobs}], usage
 *           {prompt_tokens, completion_tokens, total_tokens}.  With echo,
 *           the prompt's tokens come first in logprobs, the first with a
 *           null logprob and null top_logprobs.  text_offset counts
 *           characters (code points) of the returned text, as vLLM's
 *           Python strings do.  top_logprobs holds the chosen token and
 *           the top N.
 *         prompt_logprobs (vLLM extension): [null, {"<id>": {logprob,
 *           rank, decoded_token}, ...}, ...], the prompt's token and the
 *           top N; in the choice for completions, at the top level of the
 *           response for chat, as vLLM puts them.
 *         pk_full_stats (pk-lm's own, not in any real server): each
 *           prompt_logprobs entry also carries "mu" and "sigma", the mean
 *           and standard deviation of log p(z) for z ~ p over the whole
 *           vocabulary (Min-K%++).
 *         POST /v1/chat/completions: id, object "chat.completion", created,
 *           model, choices[{index, message{role "assistant", content},
 *           logprobs{content[{token, logprob, bytes, top_logprobs[{token,
 *           logprob, bytes}]}]} | null, finish_reason}], usage.  The model
 *           sees the message contents joined with "\n": no chat template,
 *           it is an n-gram model.
 *   llama.cpp  POST /completion (and /completions): content, id_slot,
 *           stop true, model, tokens_predicted, tokens_evaluated,
 *           generation_settings, prompt, truncated, stopped_eos,
 *           stopped_word, stopped_limit, stopping_word, tokens_cached,
 *           timings, completion_probabilities[{content, probs[{tok_str,
 *           prob}]}] (generated tokens only, with n_probs > 0).
 *           GET /props: default_generation_settings, total_slots,
 *           chat_template.  GET /health: {"status":"ok"}.
 *   OpenAI  as vLLM without prompt log-probabilities (request.c refuses
 *           them), logprobs 0..5.
 * All modes: GET /health, GET /stats ({requests, completions,
 * prompt_tokens, completion_tokens}; requests counts every request but
 * /health and /stats), errors as {"error":{"message", "type", "param",
 * "code"}}: 400 invalid_request_error, 404, 405, 413, and with
 * --fail-every N every Nth POST 429 (Retry-After: 0) and 503 in turn.
 * Prompts plus max_tokens are limited to 4096 tokens (max_model_len). */
#include "serve.h"

#include "request.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_BODY ((size_t)8 << 20)
#define MAX_MODEL_LEN 4096

typedef struct server {
    const pk_lm *m;
    const lm_serve_opts *o;
    atomic_uint_fast64_t requests, completions, prompt_tokens, completion_tokens, posts, ids;
} server;

typedef struct conn {
    pk_buf body;
    int too_big;
} conn;

/* One token scored or generated. */
typedef struct scored {
    uint32_t id;
    uint32_t off, len; /* bytes in the text it belongs to */
    double lp;
    uint32_t rank;
    double mu, sigma;
    uint32_t ntop;
    uint32_t top[LM_MAX_TOP];
    double toplp[LM_MAX_TOP];
} scored;

/* What complete() makes of one prompt. */
typedef struct result {
    pk_buf prompt;       /* normalized */
    pk_lm_tok *ptok;
    size_t nptok;
    scored *ps;          /* per prompt token when scored (ps[0] unused) */
    pk_buf gen;          /* generated text */
    scored *gs;
    size_t ngen;
    int stopped;         /* by a stop string */
    const char *stop_word;
} result;

static void result_free(result *r)
{
    pk_buf_free(&r->prompt);
    pk_buf_free(&r->gen);
    free(r->ptok);
    free(r->ps);
    free(r->gs);
}

static void fill_scored(const pk_lm_sd *sd, uint32_t id, int ntop, int stats, scored *s)
{
    s->id = id;
    s->lp = log(pk_lm_sd_prob(sd, id));
    s->rank = pk_lm_sd_rank(sd, id);
    s->ntop = ntop > 0 ? pk_lm_sd_topk(sd, (uint32_t)ntop, 0, s->top) : 0;
    for (uint32_t i = 0; i < s->ntop; i++) s->toplp[i] = log(pk_lm_sd_prob(sd, s->top[i]));
    s->mu = s->sigma = 0;
    if (stats) pk_lm_sd_moments(sd, &s->mu, &s->sigma);
}

/* Run one prompt: 0, or a PK_E* code with err filled (PK_EINVAL: the
 * client's fault). */
static int complete(server *sv, const lm_req *q, const char *prompt, uint64_t seed, result *r, pk_error *err)
{
    const pk_lm *m = sv->m;
    uint32_t V = pk_lm_vocab(m);
    double *p = NULL;
    uint32_t *hist = NULL;
    pk_lm_sd *sd = NULL;
    int rc;
    memset(r, 0, sizeof *r);
    pk_buf_init(&r->prompt, MAX_BODY * 2);
    pk_buf_init(&r->gen, MAX_BODY);
    if ((rc = pk_lm_normalize(prompt, strlen(prompt), &r->prompt))) return pk_fail(err, rc, "prompt too big");
    const char *ps = r->prompt.data ? r->prompt.data : "";
    if ((rc = pk_lm_tokenize(m, ps, r->prompt.len, &r->ptok, &r->nptok, err))) return rc;
    size_t want = r->nptok + (size_t)q->max_tokens;
    if (want > MAX_MODEL_LEN)
        return pk_fail(err, PK_EINVAL,
                       "This model's maximum context length is %d tokens. However, you requested %zu tokens (%zu in "
                       "the prompt, %ld in the completion). Please reduce the length of the prompt or completion.",
                       MAX_MODEL_LEN, want, r->nptok, q->max_tokens);
    if (q->temperature > 0 && q->max_tokens > 0) {
        p = malloc((size_t)V * sizeof *p); /* sampling needs the whole distribution */
        if (!p) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
    }
    hist = malloc((want + 1) * sizeof *hist);
    if (!hist) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
    if ((rc = pk_lm_sd_new(m, &sd, err))) goto done;
    for (size_t i = 0; i < r->nptok; i++) hist[i] = r->ptok[i].key;
    int top_p = q->prompt_logprobs > 0 ? q->prompt_logprobs : 0;
    if (q->echo && q->logprobs > top_p) top_p = q->logprobs;
    if (q->prompt_logprobs >= 0 || (q->echo && q->logprobs >= 0)) {
        r->ps = calloc(r->nptok + 1, sizeof *r->ps);
        if (!r->ps) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
        for (size_t i = 1; i < r->nptok; i++) {
            pk_lm_sd_compute(sd, hist, i);
            fill_scored(sd, r->ptok[i].id, top_p, q->full_stats, &r->ps[i]);
        }
    }
    if (q->max_tokens > 0) {
        r->gs = calloc((size_t)q->max_tokens, sizeof *r->gs);
        if (!r->gs) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
    }
    uint64_t rng = seed;
    size_t nh = r->nptok;
    for (long t = 0; t < q->max_tokens; t++) {
        pk_lm_sd_compute(sd, hist, nh);
        uint32_t id;
        if (p) {
            pk_lm_sd_dense(sd, p);
            id = pk_lm_pick(p, V, q->temperature, &rng);
        } else {
            pk_lm_sd_topk(sd, 1, 1, &id); /* greedy: argmax but <unk>, ties to the lower id */
        }
        scored *s = &r->gs[r->ngen++];
        fill_scored(sd, id, q->logprobs > 0 ? q->logprobs : 0, 0, s);
        size_t len;
        const char *txt = pk_lm_token(m, id, &len);
        size_t before = r->gen.len;
        s->off = (uint32_t)before;
        s->len = (uint32_t)len;
        if ((rc = pk_buf_append(&r->gen, txt, len))) { rc = pk_fail(err, rc, "generated text too big"); goto done; }
        hist[nh++] = pk_lm_key_of(m, id);
        /* A stop string ends the text where it starts; tokens that start
         * after that point are dropped. */
        size_t cut = SIZE_MAX;
        for (size_t k = 0; k < q->nstops; k++) {
            size_t sl = strlen(q->stops[k]);
            size_t from = before + 1 >= sl ? before + 1 - sl : 0;
            const char *hit = memmem(r->gen.data + from, r->gen.len - from, q->stops[k], sl);
            if (hit && (size_t)(hit - r->gen.data) < cut) {
                cut = (size_t)(hit - r->gen.data);
                r->stop_word = q->stops[k];
            }
        }
        if (cut != SIZE_MAX) {
            r->gen.len = cut;
            r->gen.data[cut] = 0;
            while (r->ngen > 0 && r->gs[r->ngen - 1].off >= cut) r->ngen--;
            if (r->ngen > 0) {
                scored *l = &r->gs[r->ngen - 1];
                if (l->off + l->len > cut) l->len = (uint32_t)(cut - l->off);
            }
            r->stopped = 1;
            break;
        }
    }
    rc = 0;
done:
    pk_lm_sd_free(sd);
    free(p);
    free(hist);
    return rc;
}

/* ---- JSON pieces ----------------------------------------------------------- */

/* Text as JSON: each invalid UTF-8 byte (a byte token) as U+FFFD, the
 * rest as it is. */
static json_t *jtext(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    if (j) return j;
    pk_buf b;
    pk_buf_init(&b, 0);
    for (size_t i = 0; i < n;) {
        int32_t cp;
        size_t l = (unsigned char)s[i] < 0x80 ? 1 : pk_utf8_decode((const uint8_t *)s + i, n - i, &cp);
        if (l == 0 || ((unsigned char)s[i] < 0x80 && s[i] == 0)) {
            pk_buf_append(&b, "\xef\xbf\xbd", 3);
            i++;
        } else {
            pk_buf_append(&b, s + i, l);
            i += l;
        }
    }
    j = json_stringn(b.data ? b.data : "", b.len);
    pk_buf_free(&b);
    return j ? j : json_string("\xef\xbf\xbd");
}

static json_t *jstr(const pk_lm *m, uint32_t id)
{
    size_t len;
    const char *s = pk_lm_token(m, id, &len);
    return jtext(s, len);
}

static size_t count_cps(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* vLLM's prompt_logprobs: [null, {"id": {logprob, rank, decoded_token}}...] */
static json_t *prompt_logprobs_json(const pk_lm *m, const result *r, int full)
{
    json_t *a = json_array();
    const char *ps = r->prompt.data ? r->prompt.data : "";
    for (size_t i = 0; i < r->nptok; i++) {
        if (i == 0) { json_array_append_new(a, json_null()); continue; }
        const scored *s = &r->ps[i];
        json_t *d = json_object();
        char key[16];
        json_t *e = json_pack("{s:f,s:I,s:o}", "logprob", s->lp, "rank", (json_int_t)s->rank, "decoded_token",
                              jtext(ps + r->ptok[i].off, r->ptok[i].len));
        if (full) {
            json_object_set_new(e, "mu", json_real(s->mu));
            json_object_set_new(e, "sigma", json_real(s->sigma));
        }
        snprintf(key, sizeof key, "%u", s->id);
        json_object_set_new(d, key, e);
        for (uint32_t k = 0; k < s->ntop; k++) {
            snprintf(key, sizeof key, "%u", s->top[k]);
            if (json_object_get(d, key)) continue;
            json_object_set_new(d, key, json_pack("{s:f,s:I,s:o}", "logprob", s->toplp[k], "rank", (json_int_t)(k + 1),
                                                  "decoded_token", jstr(m, s->top[k])));
        }
        json_array_append_new(a, d);
    }
    return a;
}

/* Completions' logprobs object over the echoed prompt (when echo) and
 * the generated tokens. */
static json_t *completion_logprobs_json(const pk_lm *m, const lm_req *q, const result *r)
{
    json_t *off = json_array(), *tlp = json_array(), *toks = json_array(), *tops = json_array();
    size_t chars = 0;
    const char *ps = r->prompt.data ? r->prompt.data : "";
    if (q->echo) {
        for (size_t i = 0; i < r->nptok; i++) {
            const pk_lm_tok *t = &r->ptok[i];
            json_array_append_new(off, json_integer((json_int_t)chars));
            chars += count_cps(ps + t->off, t->len);
            json_array_append_new(toks, jtext(ps + t->off, t->len));
            if (i == 0) {
                json_array_append_new(tlp, json_null());
                json_array_append_new(tops, json_null());
                continue;
            }
            const scored *s = &r->ps[i];
            json_array_append_new(tlp, json_real(s->lp));
            json_t *d = json_object();
            json_object_set_new(d, json_string_value(json_array_get(toks, i)), json_real(s->lp));
            for (uint32_t k = 0; k < s->ntop && k < (uint32_t)q->logprobs; k++) {
                size_t len;
                const char *tx = pk_lm_token(m, s->top[k], &len);
                char *key = strndup(tx, len);
                if (key && !json_object_get(d, key)) json_object_set_new(d, key, json_real(s->toplp[k]));
                free(key);
            }
            json_array_append_new(tops, d);
        }
    }
    const char *gt = r->gen.data ? r->gen.data : "";
    for (size_t i = 0; i < r->ngen; i++) {
        const scored *s = &r->gs[i];
        json_array_append_new(off, json_integer((json_int_t)chars));
        chars += count_cps(gt + s->off, s->len);
        json_array_append_new(toks, jtext(gt + s->off, s->len));
        json_array_append_new(tlp, json_real(s->lp));
        json_t *d = json_object();
        json_object_set_new(d, json_string_value(json_array_get(toks, json_array_size(toks) - 1)), json_real(s->lp));
        for (uint32_t k = 0; k < s->ntop; k++) {
            size_t len;
            const char *tx = pk_lm_token(m, s->top[k], &len);
            char *key = strndup(tx, len);
            if (key && !json_object_get(d, key)) json_object_set_new(d, key, json_real(s->toplp[k]));
            free(key);
        }
        json_array_append_new(tops, d);
    }
    return json_pack("{s:o,s:o,s:o,s:o}", "text_offset", off, "token_logprobs", tlp, "tokens", toks, "top_logprobs", tops);
}

static json_t *jbytes(const char *s, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_integer((unsigned char)s[i]));
    return a;
}

static json_t *chat_logprobs_json(const pk_lm *m, const result *r)
{
    json_t *content = json_array();
    const char *gt = r->gen.data ? r->gen.data : "";
    for (size_t i = 0; i < r->ngen; i++) {
        const scored *s = &r->gs[i];
        json_t *tops = json_array();
        for (uint32_t k = 0; k < s->ntop; k++) {
            size_t len;
            const char *tx = pk_lm_token(m, s->top[k], &len);
            json_array_append_new(tops, json_pack("{s:o,s:f,s:o}", "token", jtext(tx, len), "logprob", s->toplp[k],
                                                  "bytes", jbytes(tx, len)));
        }
        json_array_append_new(content, json_pack("{s:o,s:f,s:o,s:o}", "token", jtext(gt + s->off, s->len), "logprob",
                                                 s->lp, "bytes", jbytes(gt + s->off, s->len), "top_logprobs", tops));
    }
    return json_pack("{s:o}", "content", content);
}

static json_t *usage_json(size_t pt, size_t ct)
{
    return json_pack("{s:I,s:I,s:I}", "prompt_tokens", (json_int_t)pt, "completion_tokens", (json_int_t)ct,
                     "total_tokens", (json_int_t)(pt + ct));
}

/* ---- HTTP ---------------------------------------------------------------- */

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *j, int retry_after)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s) return MHD_NO;
    size_t n = strlen(s);
    struct MHD_Response *resp = MHD_create_response_from_buffer(n, s, MHD_RESPMEM_MUST_FREE);
    if (!resp) { free(s); return MHD_NO; }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    if (retry_after) MHD_add_response_header(resp, "Retry-After", "0");
    enum MHD_Result ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *type, const char *msg,
                                  const char *param, int retry_after)
{
    json_t *e = json_pack("{s:{s:s,s:s,s:o,s:n}}", "error", "message", msg, "type", type, "param",
                          param ? json_string(param) : json_null(), "code");
    if (!e) e = json_pack("{s:{s:s,s:s,s:n,s:n}}", "error", "message", "error", "type", type, "param", "code");
    return send_json(c, status, e, retry_after);
}

static uint64_t next_seed(server *sv, const lm_req *q)
{
    if (q->has_seed) return q->seed;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return ((uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec) ^ (atomic_fetch_add(&sv->ids, 1) << 40);
}

static enum MHD_Result handle_post(server *sv, struct MHD_Connection *c, int endpoint, const conn *cn)
{
    lm_req q;
    const char *param = NULL;
    pk_error err;
    memset(&err, 0, sizeof err);
    if (lm_req_parse(&q, sv->o->api, endpoint, cn->body.data ? cn->body.data : "", cn->body.len, &param, &err))
        return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid_request_error", err.msg, param, 0);
    const pk_lm *m = sv->m;
    size_t n = q.nprompts;
    result *res = calloc(n, sizeof *res);
    enum MHD_Result ret;
    if (!res) { lm_req_free(&q); return send_error(c, 500, "server_error", "out of memory", NULL, 0); }
    size_t done = 0, pt = 0, ct = 0;
    uint64_t seed = next_seed(sv, &q);
    for (; done < n; done++) {
        int rc = complete(sv, &q, q.prompts[done], seed + done, &res[done], &err);
        if (rc) {
            done++;
            ret = send_error(c, rc == PK_EINVAL ? MHD_HTTP_BAD_REQUEST : 500,
                             rc == PK_EINVAL ? "invalid_request_error" : "server_error", err.msg,
                             rc == PK_EINVAL ? "prompt" : NULL, 0);
            goto out;
        }
        pt += res[done].nptok;
        ct += res[done].ngen;
    }
    atomic_fetch_add(&sv->completions, n);
    atomic_fetch_add(&sv->prompt_tokens, pt);
    atomic_fetch_add(&sv->completion_tokens, ct);
    char id[64];
    snprintf(id, sizeof id, "%s-pklm%016llx", endpoint == LM_EP_CHAT ? "chatcmpl" : "cmpl",
             (unsigned long long)atomic_fetch_add(&sv->ids, 1));
    json_int_t now = (json_int_t)time(NULL);
    json_t *out;
    if (endpoint == LM_EP_LLAMA) {
        result *r = &res[0];
        json_t *probs = json_array();
        for (size_t i = 0; q.logprobs > 0 && i < r->ngen; i++) {
            const scored *s = &r->gs[i];
            json_t *pa = json_array();
            for (uint32_t k = 0; k < s->ntop; k++)
                json_array_append_new(pa, json_pack("{s:o,s:f}", "tok_str", jstr(m, s->top[k]), "prob", exp(s->toplp[k])));
            json_array_append_new(probs, json_pack("{s:o,s:o}", "content", jtext(r->gen.data + s->off, s->len), "probs", pa));
        }
        json_t *gs = json_pack("{s:I,s:f,s:I,s:I,s:s}", "n_predict", (json_int_t)q.max_tokens, "temperature",
                               q.temperature, "seed", (json_int_t)(q.has_seed ? (json_int_t)q.seed : -1), "n_probs",
                               (json_int_t)(q.logprobs > 0 ? q.logprobs : 0), "model", sv->o->model_name);
        out = json_pack("{s:o,s:i,s:b,s:s,s:I,s:I,s:o,s:o,s:b,s:b,s:b,s:b,s:s,s:I,s:{s:I,s:I}}", "content",
                        jtext(r->gen.data ? r->gen.data : "", r->gen.len), "id_slot", 0, "stop", 1, "model",
                        sv->o->model_name, "tokens_predicted", (json_int_t)r->ngen, "tokens_evaluated",
                        (json_int_t)r->nptok, "generation_settings", gs, "prompt", json_string(q.prompts[0]),
                        "truncated", 0, "stopped_eos", 0, "stopped_word", r->stopped, "stopped_limit", !r->stopped,
                        "stopping_word", r->stopped ? r->stop_word : "", "tokens_cached", (json_int_t)r->nptok,
                        "timings", "prompt_n", (json_int_t)r->nptok, "predicted_n", (json_int_t)r->ngen);
        if (out && q.logprobs > 0) json_object_set_new(out, "completion_probabilities", probs);
        else json_decref(probs);
    } else if (endpoint == LM_EP_CHAT) {
        result *r = &res[0];
        json_t *msg = json_pack("{s:s,s:o}", "role", "assistant", "content", jtext(r->gen.data ? r->gen.data : "", r->gen.len));
        json_t *choice = json_pack("{s:i,s:o,s:o,s:s,s:o}", "index", 0, "message", msg, "logprobs",
                                   q.logprobs >= 0 ? chat_logprobs_json(m, r) : json_null(), "finish_reason",
                                   r->stopped ? "stop" : "length", "stop_reason",
                                   r->stopped ? json_string(r->stop_word) : json_null());
        out = json_pack("{s:s,s:s,s:I,s:s,s:[o],s:o}", "id", id, "object", "chat.completion", "created", now, "model",
                        sv->o->model_name, "choices", choice, "usage", usage_json(pt, ct));
        if (out && q.prompt_logprobs >= 0) json_object_set_new(out, "prompt_logprobs", prompt_logprobs_json(m, r, q.full_stats));
    } else {
        json_t *choices = json_array();
        for (size_t i = 0; i < n; i++) {
            result *r = &res[i];
            pk_buf text;
            pk_buf_init(&text, 0);
            if (q.echo) pk_buf_append(&text, r->prompt.data ? r->prompt.data : "", r->prompt.len);
            pk_buf_append(&text, r->gen.data ? r->gen.data : "", r->gen.len);
            json_t *ch = json_pack("{s:I,s:o,s:o,s:s,s:o}", "index", (json_int_t)i, "text",
                                   jtext(text.data ? text.data : "", text.len), "logprobs",
                                   q.logprobs >= 0 ? completion_logprobs_json(m, &q, r) : json_null(), "finish_reason",
                                   r->stopped ? "stop" : "length", "stop_reason",
                                   r->stopped ? json_string(r->stop_word) : json_null());
            pk_buf_free(&text);
            if (ch && sv->o->api != LM_API_OPENAI)
                json_object_set_new(ch, "prompt_logprobs",
                                    q.prompt_logprobs >= 0 ? prompt_logprobs_json(m, r, q.full_stats) : json_null());
            json_array_append_new(choices, ch);
        }
        out = json_pack("{s:s,s:s,s:I,s:s,s:o,s:o}", "id", id, "object", "text_completion", "created", now, "model",
                        sv->o->model_name, "choices", choices, "usage", usage_json(pt, ct));
    }
    ret = out ? send_json(c, MHD_HTTP_OK, out, 0) : send_error(c, 500, "server_error", "could not build the response", NULL, 0);
out:
    for (size_t i = 0; i < done && i < n; i++) result_free(&res[i]);
    free(res);
    lm_req_free(&q);
    return ret;
}

static enum MHD_Result handle_get(server *sv, struct MHD_Connection *c, const char *url)
{
    const lm_serve_opts *o = sv->o;
    if (strcmp(url, "/health") == 0) return send_json(c, MHD_HTTP_OK, json_pack("{s:s}", "status", "ok"), 0);
    if (strcmp(url, "/stats") == 0)
        return send_json(c, MHD_HTTP_OK,
                         json_pack("{s:I,s:I,s:I,s:I}", "requests", (json_int_t)atomic_load(&sv->requests), "completions",
                                   (json_int_t)atomic_load(&sv->completions), "prompt_tokens",
                                   (json_int_t)atomic_load(&sv->prompt_tokens), "completion_tokens",
                                   (json_int_t)atomic_load(&sv->completion_tokens)),
                         0);
    atomic_fetch_add(&sv->requests, 1);
    if (o->api != LM_API_LLAMACPP && strcmp(url, "/v1/models") == 0)
        return send_json(c, MHD_HTTP_OK,
                         json_pack("{s:s,s:[{s:s,s:s,s:I,s:s,s:s,s:i}]}", "object", "list", "data", "id", o->model_name,
                                   "object", "model", "created", (json_int_t)time(NULL), "owned_by", "pk-lm", "root",
                                   o->model_name, "max_model_len", MAX_MODEL_LEN),
                         0);
    if (o->api == LM_API_LLAMACPP && strcmp(url, "/props") == 0)
        return send_json(c, MHD_HTTP_OK,
                         json_pack("{s:{s:i,s:i,s:f,s:s},s:i,s:s,s:s}", "default_generation_settings", "n_ctx",
                                   MAX_MODEL_LEN, "n_predict", -1, "temperature", 0.8, "model", o->model_name,
                                   "total_slots", 1, "chat_template", "", "model_path", o->model_name),
                         0);
    return send_error(c, MHD_HTTP_NOT_FOUND, "not_found_error", "no such endpoint", NULL, 0);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *data, size_t *size, void **con_cls)
{
    server *sv = cls;
    conn *cn = *con_cls;
    int is_post = strcmp(method, "POST") == 0;
    if (!cn) {
        cn = calloc(1, sizeof *cn);
        if (!cn) return MHD_NO;
        pk_buf_init(&cn->body, MAX_BODY);
        *con_cls = cn;
        if (is_post) {
            const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
            if (cl && strtoull(cl, NULL, 10) > MAX_BODY) cn->too_big = 1;
        }
        return MHD_YES;
    }
    if (*size) {
        if (!cn->too_big && pk_buf_append(&cn->body, data, *size)) cn->too_big = 1;
        *size = 0;
        return MHD_YES;
    }
    if (!is_post) {
        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
            atomic_fetch_add(&sv->requests, 1);
            return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "invalid_request_error", "method not allowed", NULL, 0);
        }
        return handle_get(sv, c, url);
    }
    atomic_fetch_add(&sv->requests, 1);
    int endpoint;
    if (sv->o->api == LM_API_LLAMACPP) {
        if (strcmp(url, "/completion") != 0 && strcmp(url, "/completions") != 0)
            return send_error(c, MHD_HTTP_NOT_FOUND, "not_found_error", "no such endpoint", NULL, 0);
        endpoint = LM_EP_LLAMA;
    } else if (strcmp(url, "/v1/completions") == 0) {
        endpoint = LM_EP_COMPLETIONS;
    } else if (strcmp(url, "/v1/chat/completions") == 0) {
        endpoint = LM_EP_CHAT;
    } else {
        return send_error(c, MHD_HTTP_NOT_FOUND, "not_found_error", "no such endpoint", NULL, 0);
    }
    if (cn->too_big)
        return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "invalid_request_error", "request body over 8 MiB", NULL, 0);
    uint64_t k = atomic_fetch_add(&sv->posts, 1) + 1;
    if (sv->o->fail_every && k % sv->o->fail_every == 0) {
        if ((k / sv->o->fail_every) % 2 == 1)
            return send_error(c, MHD_HTTP_TOO_MANY_REQUESTS, "rate_limit_error", "rate limited (--fail-every)", NULL, 1);
        return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "server_error", "unavailable (--fail-every)", NULL, 0);
    }
    return handle_post(sv, c, endpoint, cn);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    conn *cn = *con_cls;
    if (!cn) return;
    pk_buf_free(&cn->body);
    free(cn);
    *con_cls = NULL;
}

int lm_serve(const pk_lm *m, const lm_serve_opts *o, pk_error *err)
{
    server sv;
    memset(&sv, 0, sizeof sv);
    sv.m = m;
    sv.o = o;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)o->port);
    if (inet_pton(AF_INET, o->host, &addr.sin_addr) != 1)
        return pk_fail(err, PK_EINVAL, "--host %s: not an IPv4 address", o->host);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* the server's threads inherit it */
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL, handler,
                                            &sv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2, MHD_OPTION_NOTIFY_COMPLETED,
                                            completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
                                            MHD_OPTION_END);
    if (!d) return pk_fail(err, PK_EIO, "cannot listen on %s:%u (in use?)", o->host, o->port);
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = di ? di->port : o->port;
    if (o->ready_file) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", o->ready_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%u\n", port) < 0 || fclose(f) || rename(tmp, o->ready_file)) {
            MHD_stop_daemon(d);
            return pk_fail(err, PK_EIO, "%s: cannot write the ready file: %s", o->ready_file, strerror(errno));
        }
    }
    int sig = 0;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    if (o->ready_file) unlink(o->ready_file);
    return 0;
}
