/* parse.c -- the probe's reader of server responses.
 *
 * Three shapes, as the servers send them (field names checked against
 * vLLM's protocol.py, OpenAI's legacy completions reference and llama.cpp
 * server's README of the b2xxx-b3xxx API):
 *   /v1/completions       {"choices":[{"index","text","logprobs":
 *                          {"tokens","token_logprobs","text_offset",...}|null,
 *                          "prompt_logprobs":[null,{"ID":{"logprob","rank",
 *                          "decoded_token"}},...]}],"usage":{...}}
 *   /v1/chat/completions  {"choices":[{"index","message":{"content"},
 *                          "prompt_logprobs":...}],"usage":{...}}
 *   llama.cpp /completion {"content","tokens_evaluated","tokens_predicted",...}
 *
 * Prompt log-probabilities come either from vLLM's prompt_logprobs (each
 * entry a dict of token id -> logprob holding the prompt's own token first,
 * then the top N; we ask for N = 0 so the dict has the prompt's token
 * alone) or from the legacy echo + logprobs (token_logprobs of the prompt
 * and the generated tokens together, told apart by text_offset).  The
 * first prompt token has no log-probability (null) and is left out.
 * pk-lm's non-standard "mu" and "sigma" beside a logprob are taken when
 * every entry has them.  Anything else unexpected is PK_EFORMAT naming the
 * field (and the byte offset for JSON syntax errors); nothing is trusted:
 * sizes are capped by the body's own length. */
#include "probe/probe.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void out_free(pk_probe_out *o)
{
    free(o->text);
    free(o->lp);
    free(o->mu);
    free(o->sigma);
    memset(o, 0, sizeof *o);
}

void pk_probe_resp_free(pk_probe_resp *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->nchoice; i++) out_free(&r->choice[i]);
    free(r->choice);
    memset(r, 0, sizeof *r);
}

static int set_text(pk_probe_out *o, const char *s, size_t n, pk_error *err)
{
    free(o->text);
    o->text = malloc(n + 1);
    if (!o->text) return pk_fail(err, PK_ENOMEM, "out of memory");
    memcpy(o->text, s, n);
    o->text[n] = 0;
    return 0;
}

static int alloc_lp(pk_probe_out *o, size_t n, int stats, pk_error *err)
{
    size_t k = n ? n : 1;
    o->lp = calloc(k, sizeof *o->lp);
    if (stats) {
        o->mu = calloc(k, sizeof *o->mu);
        o->sigma = calloc(k, sizeof *o->sigma);
    }
    if (!o->lp || (stats && (!o->mu || !o->sigma))) return pk_fail(err, PK_ENOMEM, "out of memory");
    return 0;
}

static int bad(pk_error *err, size_t i, const char *what)
{
    return pk_fail(err, PK_EFORMAT, "response: choices[%zu]: %s", i, what);
}

/* vLLM prompt_logprobs: [null, {id: {logprob, ...}}, ...] */
static int take_prompt_logprobs(pk_probe_out *o, json_t *pl, size_t ci, pk_error *err)
{
    size_t n = json_array_size(pl), k = 0;
    int stats = n > 0;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(pl, i);
        if (json_is_null(e)) continue;
        if (!json_is_object(e) || json_object_size(e) < 1) return bad(err, ci, "prompt_logprobs entry is not an object");
        json_t *v = json_object_iter_value(json_object_iter(e));
        if (!json_is_object(v) || !json_is_number(json_object_get(v, "logprob")))
            return bad(err, ci, "prompt_logprobs entry has no numeric \"logprob\"");
        if (!json_is_number(json_object_get(v, "mu")) || !json_is_number(json_object_get(v, "sigma"))) stats = 0;
    }
    int rc = alloc_lp(o, n, stats, err);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(pl, i);
        if (json_is_null(e)) continue;
        json_t *v = json_object_iter_value(json_object_iter(e));
        o->lp[k] = json_number_value(json_object_get(v, "logprob"));
        if (stats) {
            o->mu[k] = json_number_value(json_object_get(v, "mu"));
            o->sigma[k] = json_number_value(json_object_get(v, "sigma"));
        }
        k++;
    }
    o->ntok = k;
    o->has_lp = 1;
    return 0;
}

/* Legacy echo: logprobs.token_logprobs with text_offset; prompt tokens are
 * those starting before plen. */
static int take_echo(pk_probe_out *o, json_t *lps, size_t plen, size_t ci, pk_error *err)
{
    json_t *tl = json_object_get(lps, "token_logprobs"), *off = json_object_get(lps, "text_offset");
    if (!json_is_array(tl) || !json_is_array(off) || json_array_size(tl) != json_array_size(off))
        return bad(err, ci, "logprobs needs token_logprobs and text_offset arrays of one length");
    size_t n = json_array_size(tl), k = 0;
    int rc = alloc_lp(o, n, 0, err);
    if (rc) return rc;
    for (size_t i = 0; i < n; i++) {
        json_t *t = json_array_get(tl, i), *of = json_array_get(off, i);
        if (!json_is_integer(of)) return bad(err, ci, "text_offset entry is not an integer");
        json_int_t at = json_integer_value(of);
        if (at < 0 || (size_t)at >= plen) continue; /* generated, or bogus */
        if (json_is_null(t)) continue;
        if (!json_is_number(t)) return bad(err, ci, "token_logprobs entry is not a number");
        o->lp[k++] = json_number_value(t);
    }
    o->ntok = k;
    o->has_lp = 1;
    return 0;
}

static uint64_t uint_field(json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    if (!json_is_integer(v) || json_integer_value(v) < 0) return 0;
    return (uint64_t)json_integer_value(v);
}

int pk_probe_parse(int kind, const char *body, size_t n, const size_t *echo_len, size_t nprompt,
                   pk_probe_resp *out, pk_error *err)
{
    pk_probe_resp_free(out);
    json_error_t je;
    json_t *root = json_loadb(body, n, JSON_REJECT_DUPLICATES, &je);
    int rc = 0;
    if (!root) return pk_fail(err, PK_EFORMAT, "response: bad JSON at byte %d: %s", je.position, je.text);
    if (!json_is_object(root)) { rc = pk_fail(err, PK_EFORMAT, "response: not a JSON object"); goto done; }
    if (kind == PK_PROBE_R_LLAMACPP) {
        json_t *c = json_object_get(root, "content");
        if (!json_is_string(c)) { rc = pk_fail(err, PK_EFORMAT, "response: no \"content\" string"); goto done; }
        out->choice = calloc(1, sizeof *out->choice);
        if (!out->choice) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
        out->nchoice = 1;
        if ((rc = set_text(&out->choice[0], json_string_value(c), json_string_length(c), err))) goto done;
        out->prompt_tokens = uint_field(root, "tokens_evaluated");
        out->completion_tokens = uint_field(root, "tokens_predicted");
        goto done;
    }
    json_t *choices = json_object_get(root, "choices");
    if (!json_is_array(choices) || json_array_size(choices) == 0) {
        rc = pk_fail(err, PK_EFORMAT, "response: no \"choices\" array");
        goto done;
    }
    size_t nc = json_array_size(choices);
    if (echo_len && nc != nprompt) {
        rc = pk_fail(err, PK_EFORMAT, "response: %zu choices for %zu prompts", nc, nprompt);
        goto done;
    }
    out->choice = calloc(nc, sizeof *out->choice);
    if (!out->choice) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
    out->nchoice = nc;
    unsigned char *seen = calloc(nc, 1);
    if (!seen) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
    for (size_t i = 0; i < nc; i++) {
        json_t *c = json_array_get(choices, i);
        if (!json_is_object(c)) { rc = bad(err, i, "not an object"); break; }
        size_t at = i;
        json_t *ix = json_object_get(c, "index");
        if (ix) {
            if (!json_is_integer(ix) || json_integer_value(ix) < 0 || (size_t)json_integer_value(ix) >= nc) {
                rc = bad(err, i, "\"index\" out of range");
                break;
            }
            at = (size_t)json_integer_value(ix);
        }
        if (seen[at]) { rc = bad(err, i, "\"index\" repeated"); break; }
        seen[at] = 1;
        pk_probe_out *o = &out->choice[at];
        json_t *text;
        if (kind == PK_PROBE_R_CHAT) {
            json_t *msg = json_object_get(c, "message");
            text = json_is_object(msg) ? json_object_get(msg, "content") : NULL;
            if (json_is_null(text)) text = json_string("");
            else json_incref(text);
        } else {
            text = json_object_get(c, "text");
            json_incref(text);
        }
        if (!json_is_string(text)) {
            json_decref(text);
            rc = bad(err, i, kind == PK_PROBE_R_CHAT ? "no message.content string" : "no \"text\" string");
            break;
        }
        const char *s = json_string_value(text);
        size_t sl = json_string_length(text);
        if (echo_len) {
            size_t pl = echo_len[at];
            if (sl >= pl) {
                s += pl;
                sl -= pl;
            } else {
                s += sl;
                sl = 0;
            }
        }
        rc = set_text(o, s, sl, err);
        json_decref(text);
        if (rc) break;
        json_t *pl = json_object_get(c, "prompt_logprobs");
        json_t *lps = json_object_get(c, "logprobs");
        if (json_is_array(pl)) {
            if ((rc = take_prompt_logprobs(o, pl, i, err))) break;
        } else if (pl && !json_is_null(pl)) {
            rc = bad(err, i, "\"prompt_logprobs\" is not an array");
            break;
        } else if (echo_len && json_is_object(lps)) {
            if ((rc = take_echo(o, lps, echo_len[at], i, err))) break;
        }
    }
    free(seen);
    if (!rc) {
        json_t *u = json_object_get(root, "usage");
        if (json_is_object(u)) {
            out->prompt_tokens = uint_field(u, "prompt_tokens");
            out->completion_tokens = uint_field(u, "completion_tokens");
        }
    }
done:
    json_decref(root);
    if (rc) pk_probe_resp_free(out);
    return rc;
}
