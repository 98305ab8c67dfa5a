/* probe.c -- `picket probe`: did a model behind an HTTP API train on a work?
 *
 * Three tests, each with a p-value that holds up (DESIGN.md, "Finding out
 * whether a model was trained on a work"); a single-text membership score
 * is never reported alone.
 *
 * Extraction.  N non-overlapping windows of P + S words of the work
 * (drawn without replacement by a PRNG seeded with the work's SHA-256, so
 * a re-run asks the same questions and hits the cache; non-overlapping, so
 * no two samples share words) are cut into a prefix of P words and the S
 * words after it; the
 * model continues the prefix greedily and the continuation is compared with
 * the true words after normalization (letters, digits and apostrophes,
 * lower-cased): "extractable" when all S words come back in order (Carlini
 * et al. 2022), and the longest common run of words.  The same is done on
 * control text the model cannot have seen: the work's own words shuffled
 * (always, twice as many passages: the test's power grows with the
 * control's size at no risk) and the user's --control files.  p-value: Fisher's exact test,
 * one-sided, of extractable passages in the work against the controls.  Its
 * null: the work's passages are reproduced no more often than the
 * controls' (the shuffled words, which no model can have seen in that
 * order); it does not model text that is easy to continue without having
 * been seen (quotations, lists), which the summary's examples let a reader
 * judge.
 *
 * Canaries.  Every canary set of the work in the registry: each published
 * sequence and each of its never-published nulls is scored by the model,
 * by its loss after PK_CANARY_PREFIX (the summed negative log-probability
 * of the prompt; the prefix is the same for all sequences of a set, so the
 * ranking is that of the sequences' own tokens) when the server gives
 * prompt log-probabilities, else by completion (the first 4 words given,
 * minus the number of the other 4 that greedy decoding gets right).  The
 * exact rank p-value comes from canary.c (the rank-sum one when it can be
 * computed exactly, else the best-rank one).
 *
 * Dataset inference (after Maini et al. 2024).  The unit is a document:
 * passages of one text are not independent (one topic, one writer), so a
 * t-test over passages of one work against passages of other texts finds
 * "differences" in non-members far more often than alpha says
 * (bench/probe.sh: Welch over passage losses named 20% of 100 non-members
 * at 0.05 on pk-lm; the document-level test 5%).
 * Features per passage -- mean loss, zlib ratio (the model's bits over
 * zlib's bits), Min-K% (mean of the 20% highest token losses), Min-K%++
 * (mean of the 20% lowest (log p - mu) / sigma, when the server gives mu
 * and sigma) -- are averaged over the passages of each document: the work
 * and every --nonmember reference document, over the SAME number of
 * passages k for all of them (the fewest any has, at most --samples):
 * means over different numbers of passages have different variances, so a
 * short work would not be exchangeable with long references under H0 and
 * would be named far more often than alpha.  Each feature is standardized
 * over all these documents together (a rule symmetric in the documents)
 * and the composite is minus their mean (equal fixed weights: nothing is
 * learned, so nothing can overfit, and one test, not four, is corrected
 * for).  The work's composite is tested against the reference documents'
 * by the prediction t-test (one new observation against a normal sample,
 * m - 1 degrees of freedom); the exact rank p-value (1 + #refs at least as
 * member-like) / (m + 1) is reported beside it, distribution-free but
 * never below 1 / (m + 1).  Both rest on one assumption, printed every
 * time: the reference documents are of the same kind as the work.
 *
 * The decision: evidence when any test's p-value is below alpha divided by
 * the number of tests run on the work (Bonferroni, per work; with several
 * works the CLI's exit status says whether ANY work showed evidence, so the
 * chance of a false "evidence" over W works is up to W * alpha: the docs
 * say to give alpha / W to hold it at alpha). */
#include "probe/probe.h"
#include "canary.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define NF 4 /* dataset inference features */
static const char *const feat_name[NF] = {"loss", "zlib_ratio", "min_k", "min_k_pp"};

typedef struct {
    char *name;
    char *text;
    size_t n;
    char sha[65];
} doc_t;

/* Per-passage features of one document (pf: passages x NF, only the
 * passages with enough tokens), and their means over the k passages that
 * doc_mean chose (f, passages = k). */
typedef struct {
    double (*pf)[NF];
    size_t np;
    double f[NF];
    size_t passages;
} docfeat;

struct pk_probe {
    pk_probe_opts o;
    pk_probe_client *cl;
    char model[256];
    int api;   /* PK_PROBE_API_OPENAI (completions), _LLAMACPP, or CHAT below */
    int chat;  /* completions refused: chat completions, one prompt a request */
    int lp;    /* PK_PROBE_LP_* */
    int full;  /* mu and sigma given */
    uint64_t ptok, ctok;
    doc_t *ctl;
    size_t nctl;
    doc_t *ref;
    size_t nref;
    docfeat *reff;
    int ref_done;
    char ref_why[256];
};

/* ---- small helpers ------------------------------------------------------------ */

static uint64_t mix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t seed_of(const char *sha, uint64_t salt)
{
    uint64_t s = salt;
    for (size_t i = 0; sha[i]; i++) s = s * 1099511628211ull ^ (unsigned char)sha[i];
    return s;
}

static void oneline(pk_buf *b, const char *s, size_t max);

static int is_word_byte(unsigned char c) { return isalnum(c) || c == '\'' || c >= 0x80; }

int pk_probe_norm_words(const char *s, size_t n, pk_buf *out, size_t **starts, size_t *nwords)
{
    pk_buf_reset(out);
    *starts = NULL;
    *nwords = 0;
    size_t cap = 0, k = 0;
    size_t *st = NULL;
    for (size_t i = 0; i < n;) {
        if (!is_word_byte((unsigned char)s[i])) { i++; continue; }
        size_t j = i;
        while (j < n && is_word_byte((unsigned char)s[j])) j++;
        if (k == cap) {
            cap = cap ? cap * 2 : 64;
            size_t *t = realloc(st, cap * sizeof *st);
            if (!t) { free(st); return PK_ENOMEM; }
            st = t;
        }
        st[k++] = out->len;
        for (size_t q = i; q < j; q++)
            if (pk_buf_putc(out, tolower((unsigned char)s[q]))) { free(st); return PK_ENOMEM; }
        if (pk_buf_putc(out, 0)) { free(st); return PK_ENOMEM; }
        i = j;
    }
    *starts = st;
    *nwords = k;
    return 0;
}

size_t pk_probe_common_run(const char *abuf, const size_t *a, size_t na, const char *bbuf, const size_t *b,
                           size_t nb)
{
    if (!na || !nb) return 0;
    size_t *row = calloc(nb + 1, sizeof *row), best = 0;
    if (!row) return 0;
    for (size_t i = 1; i <= na; i++) {
        size_t prev = 0; /* row[j-1] of the previous i */
        for (size_t j = 1; j <= nb; j++) {
            size_t cur = row[j];
            row[j] = strcmp(abuf + a[i - 1], bbuf + b[j - 1]) == 0 ? prev + 1 : 0;
            if (row[j] > best) best = row[j];
            prev = cur;
        }
    }
    free(row);
    return best;
}

/* White-space separated chunks of text: (start, end) byte pairs. */
static int chunks(const char *s, size_t n, size_t **out, size_t *nout)
{
    size_t cap = 0, k = 0, *v = NULL;
    for (size_t i = 0; i < n;) {
        if (isspace((unsigned char)s[i])) { i++; continue; }
        size_t j = i;
        while (j < n && !isspace((unsigned char)s[j])) j++;
        if (k + 2 > cap) {
            cap = cap ? cap * 2 : 256;
            size_t *t = realloc(v, cap * sizeof *v);
            if (!t) { free(v); return PK_ENOMEM; }
            v = t;
        }
        v[k++] = i;
        v[k++] = j;
        i = j;
    }
    *out = v;
    *nout = k / 2;
    return 0;
}

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

static void free_strs(char **v, size_t n)
{
    if (!v) return;
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

static void doc_free(doc_t *d)
{
    free(d->name);
    free(d->text);
}

static int read_doc(const char *path, doc_t *d, pk_error *err)
{
    memset(d, 0, sizeof *d);
    pk_buf raw;
    pk_buf_init(&raw, 0);
    pk_doc doc;
    pk_doc_init(&doc);
    int rc = pk_source_slurp(path, &raw, (size_t)256 << 20, err);
    if (!rc) {
        rc = pk_doc_read(&doc, path, raw.data ? raw.data : "", raw.len, PK_WORK_AUTO, PK_TOK_LOSSY, err);
        if (rc) pk_error_prefix(err, "%s", path);
    }
    if (!rc) {
        pk_sha256_hex(raw.data ? raw.data : "", raw.len, d->sha);
        d->name = strdup(path);
        d->text = dupn(doc.text.data ? doc.text.data : "", doc.text.len);
        d->n = doc.text.len;
        if (!d->name || !d->text) rc = pk_fail(err, PK_ENOMEM, "out of memory");
    }
    pk_buf_free(&raw);
    pk_doc_free(&doc);
    if (rc) doc_free(d);
    return rc;
}

/* ---- asking the model ------------------------------------------------------------ */

enum { ASK_SCORE = 1, ASK_GEN };

static char *dump(json_t *j)
{
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(j);
    return s;
}

/* The body of one request for prompts[0..n). */
static char *build(const pk_probe *p, int ask, char *const *prompts, size_t n, uint32_t max_tokens, int lp,
                   int full)
{
    json_t *j = json_object();
    if (p->api == PK_PROBE_API_LLAMACPP) {
        json_object_set_new(j, "prompt", json_string(prompts[0]));
        json_object_set_new(j, "n_predict", json_integer(max_tokens));
        json_object_set_new(j, "temperature", json_real(0));
        json_object_set_new(j, "cache_prompt", json_true());
        json_object_set_new(j, "stream", json_false()); /* the default, said out loud */
        return dump(j);
    }
    json_object_set_new(j, "model", json_string(p->model));
    json_object_set_new(j, "temperature", json_real(0));
    if (p->chat) {
        json_t *m = json_object();
        json_object_set_new(m, "role", json_string("user"));
        json_object_set_new(m, "content", json_string(prompts[0]));
        json_t *a = json_array();
        json_array_append_new(a, m);
        json_object_set_new(j, "messages", a);
        json_object_set_new(j, "max_tokens", json_integer(max_tokens));
        return dump(j);
    }
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_string(prompts[i]));
    json_object_set_new(j, "prompt", a);
    if (ask == ASK_SCORE) {
        json_object_set_new(j, "max_tokens", json_integer(1));
        if (lp == PK_PROBE_LP_PROMPT) {
            json_object_set_new(j, "prompt_logprobs", json_integer(0));
            if (full) json_object_set_new(j, "pk_full_stats", json_true());
        } else if (lp == PK_PROBE_LP_ECHO) {
            json_object_set_new(j, "echo", json_true());
            json_object_set_new(j, "logprobs", json_integer(0));
        } else if (lp == PK_PROBE_LP_GENERATED) {
            json_object_set_new(j, "logprobs", json_integer(1));
        }
    } else {
        json_object_set_new(j, "max_tokens", json_integer(max_tokens));
    }
    return dump(j);
}

static const char *path_of(const pk_probe *p)
{
    return p->api == PK_PROBE_API_LLAMACPP ? "/completion" : p->chat ? "/v1/chat/completions" : "/v1/completions";
}

static int kind_of(const pk_probe *p)
{
    return p->api == PK_PROBE_API_LLAMACPP ? PK_PROBE_R_LLAMACPP : p->chat ? PK_PROBE_R_CHAT : PK_PROBE_R_COMPLETION;
}

/* Ask about prompts[0..n); outs[i] gets prompt i's answer (caller frees
 * each with the resp helpers' out free: free text, lp, mu, sigma).  lp,
 * full: what to ask for (detection tries several). */
static int ask(pk_probe *p, int what, char *const *prompts, size_t n, uint32_t max_tokens, int lp, int full,
               pk_probe_out *outs, long *status_out, pk_error *err)
{
    size_t per = (p->api == PK_PROBE_API_LLAMACPP || p->chat) ? 1 : (p->o.batch ? p->o.batch : 16);
    size_t nreq = (n + per - 1) / per;
    pk_probe_req *reqs = calloc(nreq ? nreq : 1, sizeof *reqs);
    char **bodies = calloc(nreq ? nreq : 1, sizeof *bodies);
    size_t *elen = calloc(n ? n : 1, sizeof *elen);
    int rc = 0;
    if (!reqs || !bodies || !elen) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
    for (size_t r = 0; r < nreq; r++) {
        size_t a = r * per, k = PK_MIN(per, n - a);
        bodies[r] = build(p, what, prompts + a, k, max_tokens, lp, full);
        if (!bodies[r]) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
        reqs[r].path = path_of(p);
        reqs[r].body = bodies[r];
        pk_buf_init(&reqs[r].resp, 0); /* bounded by the client's max_response */
    }
    for (size_t i = 0; i < n; i++) elen[i] = strlen(prompts[i]);
    if ((rc = pk_probe_client_run(p->cl, p->model, reqs, nreq, err))) goto done;
    for (size_t r = 0; r < nreq; r++) {
        size_t a = r * per, k = PK_MIN(per, n - a);
        if (status_out) *status_out = reqs[r].status;
        if (reqs[r].status != 200) {
            rc = pk_fail(err, reqs[r].status ? PK_EFORMAT : PK_EIO, "%s", reqs[r].why);
            goto done;
        }
        pk_probe_resp resp;
        memset(&resp, 0, sizeof resp);
        int echo = what == ASK_SCORE && lp == PK_PROBE_LP_ECHO && !p->chat && p->api != PK_PROBE_API_LLAMACPP;
        rc = pk_probe_parse(kind_of(p), reqs[r].resp.data ? reqs[r].resp.data : "", reqs[r].resp.len,
                            echo ? elen + a : NULL, k, &resp, err);
        if (!rc && resp.nchoice < k)
            rc = pk_fail(err, PK_EFORMAT, "response: %zu choices for %zu prompts", resp.nchoice, k);
        if (rc) {
            pk_error_prefix(err, "%s", path_of(p));
            pk_probe_resp_free(&resp);
            goto done;
        }
        pk_probe_client_keep(p->cl, p->model, &reqs[r]); /* parsed: now worth keeping */
        if (!reqs[r].cached) {
            p->ptok += resp.prompt_tokens;
            p->ctok += resp.completion_tokens;
        }
        for (size_t i = 0; i < k; i++) {
            outs[a + i] = resp.choice[i];
            memset(&resp.choice[i], 0, sizeof resp.choice[i]);
        }
        pk_probe_resp_free(&resp);
    }
done:
    if (reqs)
        for (size_t r = 0; r < nreq; r++) pk_buf_free(&reqs[r].resp);
    if (bodies)
        for (size_t r = 0; r < nreq; r++) free(bodies[r]);
    free(reqs);
    free(bodies);
    free(elen);
    return rc;
}

static void outs_free(pk_probe_out *o, size_t n)
{
    if (!o) return;
    pk_probe_resp r = {o, n, 0, 0};
    pk_probe_resp_free(&r); /* frees o too */
}

/* ---- detection -------------------------------------------------------------------- */

void pk_probe_opts_default(pk_probe_opts *o)
{
    memset(o, 0, sizeof *o);
    pk_probe_client_opts_default(&o->client);
    o->samples = 50;
    o->prefix_words = 50;
    o->suffix_words = 50;
    o->passage_words = 64;
    o->batch = 16;
    o->alpha = 0.01;
}

int pk_probe_lp_kind(const pk_probe *p) { return p->lp; }

static const char *lp_name(int lp)
{
    switch (lp) {
    case PK_PROBE_LP_PROMPT: return "prompt";
    case PK_PROBE_LP_ECHO: return "echo";
    case PK_PROBE_LP_GENERATED: return "generated";
    default: return "none";
    }
}

static const char *api_name(const pk_probe *p)
{
    return p->api == PK_PROBE_API_LLAMACPP ? "llamacpp" : p->chat ? "openai-chat" : "openai-completions";
}

static int get_json(pk_probe *p, const char *path, json_t **out, pk_error *err)
{
    *out = NULL;
    pk_buf b;
    pk_buf_init(&b, (size_t)16 << 20);
    long st = 0;
    int rc = pk_probe_client_get(p->cl, path, &st, &b, err);
    if (!rc && st == 200) *out = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
    if (!rc && (st == 401 || st == 403))
        rc = pk_fail(err, PK_EINVAL, "%s%s: HTTP %ld: the server wants an API key (--api-key-env VAR)",
                     p->o.client.base, path, st);
    pk_buf_free(&b);
    return rc;
}

/* One small request with a capability: 0 when it worked (the answer had
 * prompt log-probabilities if they were asked for), else non-zero. */
static int try_caps(pk_probe *p, int lp, int full, int *got_full)
{
    static char probe_text[] = "The committee met on Tuesday and agreed to postpone the vote.";
    char *pr[1] = {probe_text};
    pk_probe_out o;
    memset(&o, 0, sizeof o);
    pk_error e;
    long st = 0;
    int rc = ask(p, ASK_SCORE, pr, 1, 1, lp, full, &o, &st, &e);
    int okay = !rc && (lp == PK_PROBE_LP_GENERATED || lp == PK_PROBE_LP_NONE || (o.has_lp && o.ntok > 0));
    if (got_full) *got_full = okay && o.mu != NULL;
    free(o.text);
    free(o.lp);
    free(o.mu);
    free(o.sigma);
    if (rc && st == 0) return -1; /* no answer at all */
    return okay ? 0 : 1;
}

int pk_probe_new(pk_probe **out, const pk_probe_opts *o, pk_buf *info, pk_error *err)
{
    *out = NULL;
    pk_buf_reset(info);
    pk_probe *p = calloc(1, sizeof *p);
    if (!p) return pk_fail(err, PK_ENOMEM, "out of memory");
    p->o = *o;
    int rc = pk_probe_client_new(&p->cl, &o->client, err);
    if (rc) goto fail;
    json_t *models = NULL;
    int api = o->api;
    if (api != PK_PROBE_API_LLAMACPP) {
        if ((rc = get_json(p, "/v1/models", &models, err))) goto fail;
        json_t *data = models ? json_object_get(models, "data") : NULL;
        if (json_is_array(data)) {
            if (api == PK_PROBE_API_AUTO) api = PK_PROBE_API_OPENAI;
            json_t *id = json_object_get(json_array_get(data, 0), "id");
            if (!o->model && json_is_string(id)) snprintf(p->model, sizeof p->model, "%s", json_string_value(id));
        }
        json_decref(models);
    }
    if (api == PK_PROBE_API_AUTO || api == PK_PROBE_API_LLAMACPP) {
        json_t *props = NULL;
        if ((rc = get_json(p, "/props", &props, err))) goto fail;
        if (props) api = PK_PROBE_API_LLAMACPP;
        else if (api == PK_PROBE_API_AUTO) {
            rc = pk_fail(err, PK_ENOTFOUND,
                         "%s: neither GET /v1/models (OpenAI, vLLM) nor GET /props (llama.cpp) answered with JSON",
                         o->client.base);
            goto fail;
        }
        json_decref(props);
    }
    if (o->model) snprintf(p->model, sizeof p->model, "%s", o->model);
    p->api = api == PK_PROBE_API_LLAMACPP ? PK_PROBE_API_LLAMACPP : PK_PROBE_API_OPENAI;
    if (p->api != PK_PROBE_API_LLAMACPP && !p->model[0]) {
        rc = pk_fail(err, PK_EINVAL, "%s: no model named and /v1/models lists none: give --model",
                     o->client.base);
        goto fail;
    }
    /* Capabilities, best first. */
    if (p->api == PK_PROBE_API_LLAMACPP) {
        p->lp = PK_PROBE_LP_GENERATED;
        int t = try_caps(p, PK_PROBE_LP_NONE, 0, NULL);
        if (t) {
            rc = pk_fail(err, PK_EIO, "%s: POST /completion failed", o->client.base);
            goto fail;
        }
    } else {
        int full = 0, t = try_caps(p, PK_PROBE_LP_PROMPT, !o->no_full_stats, &full);
        if (t < 0) {
            rc = pk_fail(err, PK_EIO, "%s: POST /v1/completions got no answer", o->client.base);
            goto fail;
        }
        if (t == 0) {
            p->lp = PK_PROBE_LP_PROMPT;
            p->full = full;
        } else if (try_caps(p, PK_PROBE_LP_PROMPT, 0, NULL) == 0) {
            p->lp = PK_PROBE_LP_PROMPT;
        } else if (try_caps(p, PK_PROBE_LP_ECHO, 0, NULL) == 0) {
            p->lp = PK_PROBE_LP_ECHO;
        } else if (try_caps(p, PK_PROBE_LP_GENERATED, 0, NULL) == 0) {
            p->lp = PK_PROBE_LP_GENERATED;
        } else if (try_caps(p, PK_PROBE_LP_NONE, 0, NULL) == 0) {
            p->lp = PK_PROBE_LP_NONE;
        } else {
            p->chat = 1;
            if (try_caps(p, PK_PROBE_LP_NONE, 0, NULL) != 0) {
                rc = pk_fail(err, PK_EIO, "%s: neither /v1/completions nor /v1/chat/completions answered",
                             o->client.base);
                goto fail;
            }
            p->lp = PK_PROBE_LP_NONE;
        }
    }
    pk_buf_printf(info, "server: %s, API %s, model ", o->client.base, api_name(p));
    oneline(info, p->model[0] ? p->model : "(the server's)", sizeof p->model); /* the server's name, escaped */
    pk_buf_putc(info, '\n');
    pk_buf_printf(info, "log-probabilities: %s%s\n",
                  p->lp == PK_PROBE_LP_PROMPT   ? "of the prompt (prompt_logprobs)"
                  : p->lp == PK_PROBE_LP_ECHO   ? "of the prompt (echo + logprobs)"
                  : p->lp == PK_PROBE_LP_GENERATED ? "of generated tokens only"
                                                  : "none",
                  p->full ? ", with the full distribution's mu and sigma (Min-K%++)" : "");
    int has_plp = p->lp == PK_PROBE_LP_PROMPT || p->lp == PK_PROBE_LP_ECHO;
    pk_buf_printf(info, "tests: extraction %s; canaries by %s; dataset inference %s\n",
                  o->no_extraction ? "skipped (--no-extraction)" : "(greedy)", has_plp ? "loss" : "completion",
                  !has_plp ? "skipped (needs prompt log-probabilities)"
                  : o->nnonmembers ? "against the --nonmember documents"
                                   : "skipped (no --nonmember text)");
    /* Controls and reference documents. */
    if (o->ncontrols) {
        p->ctl = calloc(o->ncontrols, sizeof *p->ctl);
        if (!p->ctl) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto fail; }
        for (size_t i = 0; i < o->ncontrols; i++) {
            if ((rc = read_doc(o->controls[i], &p->ctl[i], err))) goto fail;
            p->nctl++;
        }
    }
    if (o->nnonmembers) {
        p->ref = calloc(o->nnonmembers, sizeof *p->ref);
        if (!p->ref) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto fail; }
        for (size_t i = 0; i < o->nnonmembers; i++) {
            if ((rc = read_doc(o->nonmembers[i], &p->ref[i], err))) goto fail;
            p->nref++;
        }
    }
    *out = p;
    return 0;
fail:
    pk_probe_free(p);
    return rc;
}

void pk_probe_free(pk_probe *p)
{
    if (!p) return;
    pk_probe_client_free(p->cl);
    for (size_t i = 0; i < p->nctl; i++) doc_free(&p->ctl[i]);
    for (size_t i = 0; i < p->nref; i++) doc_free(&p->ref[i]);
    free(p->ctl);
    free(p->ref);
    for (size_t i = 0; p->reff && i < p->nref; i++) free(p->reff[i].pf);
    free(p->reff);
    free(p);
}

void pk_probe_spent(const pk_probe *p, uint64_t *prompt_tokens, uint64_t *completion_tokens,
                    pk_probe_client_stats *cs)
{
    *prompt_tokens = p->ptok;
    *completion_tokens = p->ctok;
    pk_probe_client_get_stats(p->cl, cs);
}

/* ---- extraction --------------------------------------------------------------------- */

typedef struct {
    size_t at;      /* byte offset of the prefix in its text */
    size_t run;     /* longest common run of words */
    int exact;
    char *prefix, *truth, *gen;
} sample_t;

typedef struct {
    size_t n, exact;
    double mean_run;
    sample_t *s;
} extr_t;

static void extr_free(extr_t *x)
{
    for (size_t i = 0; i < x->n; i++) {
        free(x->s[i].prefix);
        free(x->s[i].truth);
        free(x->s[i].gen);
    }
    free(x->s);
    memset(x, 0, sizeof *x);
}

/* Compare a continuation with the truth; fills exact and run. */
static int compare(const char *truth, const char *gen, size_t want, sample_t *s)
{
    pk_buf tb, gb;
    pk_buf_init(&tb, 0);
    pk_buf_init(&gb, 0);
    size_t *tw = NULL, *gw = NULL, nt = 0, ng = 0;
    int rc = pk_probe_norm_words(truth, strlen(truth), &tb, &tw, &nt);
    if (!rc) rc = pk_probe_norm_words(gen, strlen(gen), &gb, &gw, &ng);
    if (!rc) {
        if (nt > want) nt = want;
        int ex = nt > 0 && ng >= nt;
        for (size_t i = 0; ex && i < nt; i++)
            if (strcmp(tb.data + tw[i], gb.data + gw[i]) != 0) ex = 0;
        s->exact = ex;
        s->run = pk_probe_common_run(tb.data, tw, nt, gb.data, gw, PK_MIN(ng, 2 * want + 8));
    }
    free(tw);
    free(gw);
    pk_buf_free(&tb);
    pk_buf_free(&gb);
    return rc;
}

/* Sample up to want passages of text (seeded), ask, compare; appends to x. */
static int extract(pk_probe *p, const char *text, size_t n, uint64_t seed, size_t want, extr_t *x, pk_error *err)
{
    size_t *ch = NULL, nch = 0;
    size_t P = p->o.prefix_words, S = p->o.suffix_words;
    int rc = chunks(text, n, &ch, &nch);
    if (rc) return pk_fail(err, rc, "out of memory");
    if (nch < P + S) { free(ch); return 0; }
    /* non-overlapping windows of P + S words, so that the samples share no
     * words (overlapping ones are not independent, and Fisher's test counts
     * them as if they were): nslot slots after a seeded shift, want of them
     * drawn without replacement (a partial Fisher-Yates shuffle) */
    size_t W = P + S, nslot = nch / W;
    if (want > nslot) want = nslot;
    size_t *pos = malloc(nslot * sizeof *pos);
    char **prompts = calloc(want ? want : 1, sizeof *prompts);
    pk_probe_out *outs = calloc(want ? want : 1, sizeof *outs);
    size_t base = x->n;
    sample_t *ns = realloc(x->s, (x->n + want + 1) * sizeof *ns);
    if (!pos || !prompts || !outs || !ns) {
        if (ns) x->s = ns;
        rc = pk_fail(err, PK_ENOMEM, "out of memory");
        goto done;
    }
    x->s = ns;
    uint64_t st = seed;
    size_t shift = (size_t)(mix64(&st) % (nch - nslot * W + 1));
    for (size_t i = 0; i < nslot; i++) pos[i] = i;
    for (size_t i = 0; i < want; i++) {
        size_t j = i + (size_t)(mix64(&st) % (nslot - i)), t = pos[i];
        pos[i] = pos[j];
        pos[j] = t;
    }
    for (size_t i = 0; i < want; i++) pos[i] = shift + pos[i] * W;
    for (size_t i = 0; i < want; i++) {
        size_t a = pos[i];
        prompts[i] = dupn(text + ch[2 * a], ch[2 * (a + P - 1) + 1] - ch[2 * a]);
        if (!prompts[i]) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
    }
    if ((rc = ask(p, ASK_GEN, prompts, want, (uint32_t)(2 * S + 16), p->lp, 0, outs, NULL, err))) goto done;
    for (size_t i = 0; i < want; i++) {
        size_t a = pos[i];
        sample_t *s = &x->s[base + i];
        memset(s, 0, sizeof *s);
        x->n++;
        s->at = ch[2 * a];
        s->prefix = prompts[i];
        prompts[i] = NULL;
        s->truth = dupn(text + ch[2 * (a + P)], ch[2 * (a + P + S - 1) + 1] - ch[2 * (a + P)]);
        s->gen = strdup(outs[i].text ? outs[i].text : "");
        if (!s->truth || !s->gen) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
        if ((rc = compare(s->truth, s->gen, S, s))) { rc = pk_fail(err, rc, "out of memory"); goto done; }
        x->exact += (size_t)s->exact;
        x->mean_run += (double)s->run;
    }
done:
    free(ch);
    free(pos);
    free_strs(prompts, want);
    outs_free(outs, want);
    return rc;
}

/* The work's chunks in a seeded random order, joined by spaces. */
static char *shuffled(const char *text, size_t n, uint64_t seed)
{
    size_t *ch = NULL, nch = 0;
    if (chunks(text, n, &ch, &nch)) return NULL;
    size_t *ord = malloc((nch ? nch : 1) * sizeof *ord);
    char *out = malloc(n + 1);
    if (!ord || !out) { free(ch); free(ord); free(out); return NULL; }
    for (size_t i = 0; i < nch; i++) ord[i] = i;
    uint64_t st = seed;
    for (size_t i = nch; i > 1; i--) {
        size_t j = (size_t)(mix64(&st) % i), t = ord[i - 1];
        ord[i - 1] = ord[j];
        ord[j] = t;
    }
    size_t k = 0;
    for (size_t i = 0; i < nch; i++) {
        size_t a = ch[2 * ord[i]], b = ch[2 * ord[i] + 1];
        if (k) out[k++] = ' ';
        memcpy(out + k, text + a, b - a);
        k += b - a;
    }
    out[k] = 0;
    free(ch);
    free(ord);
    return out;
}

/* ---- dataset inference features ----------------------------------------------------------- */

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Features of one passage from its prompt log-probabilities; 0 when the
 * passage has too few tokens. */
static int passage_features(const char *text, const pk_probe_out *o, int full, double f[NF])
{
    size_t n = o->ntok;
    if (n < 5) return 0;
    double *v = malloc(n * sizeof *v);
    if (!v) return 0;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        v[i] = -o->lp[i];
        sum += v[i];
    }
    f[0] = sum / (double)n;
    uLongf zl = compressBound((uLong)strlen(text));
    unsigned char *z = malloc(zl);
    if (z && compress2(z, &zl, (const Bytef *)text, (uLong)strlen(text), 9) == Z_OK && zl > 0)
        f[1] = sum / log(2.0) / (8.0 * (double)zl);
    else
        f[1] = NAN;
    free(z);
    size_t k = (n + 4) / 5; /* 20% */
    qsort(v, n, sizeof *v, cmp_dbl);
    double s = 0;
    for (size_t i = n - k; i < n; i++) s += v[i]; /* the 20% highest losses */
    f[2] = s / (double)k;
    f[3] = NAN;
    if (full && o->mu && o->sigma) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (o->sigma[i] > 0) v[m++] = (o->lp[i] - o->mu[i]) / o->sigma[i];
        if (m > 0) {
            qsort(v, m, sizeof *v, cmp_dbl);
            size_t km = (m + 4) / 5;
            s = 0;
            for (size_t i = 0; i < km; i++) s += v[i];
            f[3] = -s / (double)km; /* negated: lower = more member-like, like the others */
        }
    }
    free(v);
    return 1;
}

/* Features of up to want non-overlapping passages of a text (evenly
 * spread over it) into df->pf; the means are doc_mean's. */
static int doc_features(pk_probe *p, const char *text, size_t n, size_t want, docfeat *df, pk_error *err)
{
    free(df->pf);
    memset(df, 0, sizeof *df);
    size_t *ch = NULL, nch = 0, L = p->o.passage_words;
    if (chunks(text, n, &ch, &nch)) return pk_fail(err, PK_ENOMEM, "out of memory");
    size_t avail = nch / L, np = PK_MIN(avail, want);
    char **prompts = calloc(np ? np : 1, sizeof *prompts);
    pk_probe_out *outs = calloc(np ? np : 1, sizeof *outs);
    int rc = 0;
    if (!prompts || !outs) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
    for (size_t i = 0; i < np; i++) {
        size_t a = (i * avail / np) * L; /* evenly spread over the text */
        prompts[i] = dupn(text + ch[2 * a], ch[2 * (a + L - 1) + 1] - ch[2 * a]);
        if (!prompts[i]) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
    }
    if (np && (rc = ask(p, ASK_SCORE, prompts, np, 1, p->lp, p->full, outs, NULL, err))) goto done;
    df->pf = calloc(np ? np : 1, sizeof *df->pf);
    if (!df->pf) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
    for (size_t i = 0; i < np; i++)
        if (passage_features(prompts[i], &outs[i], p->full, df->pf[df->np])) df->np++;
done:
    free(ch);
    free_strs(prompts, np);
    outs_free(outs, np);
    return rc;
}

/* Means of the features over k of the document's passages (k <= df->np),
 * evenly spread over the ones it has: the same rule for the work and every
 * reference, so that under H0 the work's mean is exchangeable with theirs.
 * Averages over different numbers of passages are not: a mean over 1
 * passage varies far more than one over 50, and a short work would be
 * named far more often than alpha says.  A feature missing from one of
 * the k passages is NAN. */
static void doc_mean(docfeat *df, size_t k)
{
    double acc[NF] = {0};
    size_t cnt[NF] = {0};
    for (size_t i = 0; i < k; i++) {
        const double *f = df->pf[(2 * i + 1) * df->np / (2 * k)]; /* the middle of each k-th */
        for (int j = 0; j < NF; j++)
            if (!isnan(f[j])) { acc[j] += f[j]; cnt[j]++; }
    }
    df->passages = k;
    for (int j = 0; j < NF; j++) df->f[j] = k && cnt[j] == k ? acc[j] / (double)k : NAN;
}

static int reference_features(pk_probe *p, pk_error *err)
{
    if (p->ref_done) return 0;
    p->reff = calloc(p->nref ? p->nref : 1, sizeof *p->reff);
    if (!p->reff) return pk_fail(err, PK_ENOMEM, "out of memory");
    for (size_t i = 0; i < p->nref; i++) {
        int rc = doc_features(p, p->ref[i].text, p->ref[i].n, p->o.samples, &p->reff[i], err);
        if (rc) {
            pk_error_prefix(err, "%s", p->ref[i].name);
            return rc;
        }
    }
    p->ref_done = 1;
    return 0;
}

/* ---- canaries ------------------------------------------------------------------------------ */

typedef struct {
    int64_t *ids;
    size_t n, cap;
} idlist;

static int collect_set(const pk_canary_set *s, void *ud)
{
    idlist *l = ud;
    for (size_t i = 0; i < l->n; i++)
        if (l->ids[i] == s->id) return 0;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 8;
        int64_t *t = realloc(l->ids, nc * sizeof *t);
        if (!t) return PK_ENOMEM;
        l->ids = t;
        l->cap = nc;
    }
    l->ids[l->n++] = s->id;
    return 0;
}

/* Scores (lower = more memorized) of every sequence of s into score. */
static int canary_scores(pk_probe *p, const pk_canary_set *s, double *score, pk_error *err)
{
    size_t n = (size_t)s->count + s->nulls;
    int by_loss = p->lp == PK_PROBE_LP_PROMPT || p->lp == PK_PROBE_LP_ECHO;
    char **prompts = calloc(n, sizeof *prompts);
    pk_probe_out *outs = calloc(n, sizeof *outs);
    int rc = 0;
    if (!prompts || !outs) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
    for (size_t i = 0; i < n; i++) {
        char buf[128];
        if (by_loss) snprintf(buf, sizeof buf, "%s %s", PK_CANARY_PREFIX, s->seq[i]);
        else snprintf(buf, sizeof buf, "%s %.19s", PK_CANARY_PREFIX, s->seq[i]); /* 4 words of 4 letters */
        prompts[i] = strdup(buf);
        if (!prompts[i]) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
    }
    if ((rc = ask(p, by_loss ? ASK_SCORE : ASK_GEN, prompts, n, 12, p->lp, 0, outs, NULL, err))) goto done;
    for (size_t i = 0; i < n; i++) {
        if (by_loss) {
            if (!outs[i].has_lp || outs[i].ntok == 0) {
                rc = pk_fail(err, PK_EFORMAT, "canary %zu: the server gave no prompt log-probabilities", i);
                goto done;
            }
            double t = 0;
            for (size_t k = 0; k < outs[i].ntok; k++) t -= outs[i].lp[k];
            score[i] = t;
        } else {
            pk_buf wb;
            pk_buf_init(&wb, 0);
            size_t *w = NULL, nw = 0;
            if (pk_probe_norm_words(outs[i].text ? outs[i].text : "", strlen(outs[i].text ? outs[i].text : ""),
                                    &wb, &w, &nw)) {
                pk_buf_free(&wb);
                rc = pk_fail(err, PK_ENOMEM, "out of memory");
                goto done;
            }
            int right = 0;
            for (size_t k = 0; k < 4 && k < nw; k++)
                if (strncmp(wb.data + w[k], s->seq[i] + 20 + 5 * k, 4) == 0 && wb.data[w[k] + 4] == 0) right++;
            score[i] = -(double)right;
            free(w);
            pk_buf_free(&wb);
        }
    }
done:
    free_strs(prompts, n);
    outs_free(outs, n);
    return rc;
}

/* ---- one work -------------------------------------------------------------------------------- */

static void jnum(pk_buf *b, const char *key, double v)
{
    if (isnan(v) || isinf(v)) pk_buf_printf(b, "\"%s\":null", key);
    else pk_buf_printf(b, "\"%s\":%.6g", key, v);
}

static void jstr(pk_buf *b, const char *key, const char *s)
{
    pk_buf_printf(b, "\"%s\":", key);
    pk_buf_json_str(b, s, strlen(s));
}

static int cmp_sample(const void *a, const void *b)
{
    const sample_t *x = a, *y = b;
    if (x->run != y->run) return x->run < y->run ? 1 : -1;
    return (x->at > y->at) - (x->at < y->at);
}

/* The text of s cut to at most max bytes at a word boundary, on one line,
 * control bytes (ESC and the rest) written as \xHH: it comes from the
 * server and goes to a terminal. */
static void oneline(pk_buf *b, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && s[n] != ' ') n--;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\n' || ch == '\t') pk_buf_putc(b, ' ');
        else if (ch < 0x20 || ch == 0x7f) pk_buf_printf(b, "\\x%02x", ch);
        else pk_buf_putc(b, (char)ch);
    }
    if (n < strlen(s)) pk_buf_append(b, " ...", 4);
}

/* What one work's tests found, between running them and writing them. */
typedef struct {
    /* every p-value of a test run (the Bonferroni divisor is npv) */
    double *pv;
    const char **pvname;
    size_t npv, cap;
    /* extraction */
    int ex_run;
    char ex_why[160];
    double ex_p;
    extr_t xw, xc;
    /* canaries: JSON of the sets and summary lines */
    int ca_run;
    char ca_why[160];
    pk_buf cj, sj;
    /* dataset inference */
    int di_run;
    char di_why[200];
    docfeat wf;
    pk_probe_test dt;
    double p_rank, comp_w, ref_mean[NF];
    int use[NF];
    size_t mref;
} findings;

static int add_p(findings *f, double p, const char *name)
{
    if (f->npv == f->cap) {
        size_t nc = f->cap ? 2 * f->cap : 8;
        double *v = realloc(f->pv, nc * sizeof *v);
        if (!v) return PK_ENOMEM;
        f->pv = v;
        const char **w = realloc(f->pvname, nc * sizeof *w);
        if (!w) return PK_ENOMEM;
        f->pvname = w;
        f->cap = nc;
    }
    f->pv[f->npv] = p;
    f->pvname[f->npv++] = name;
    return 0;
}

static int run_extraction(pk_probe *p, const char *text, size_t n, const char *sha256, findings *f, pk_error *err)
{
    if (p->o.no_extraction) {
        snprintf(f->ex_why, sizeof f->ex_why, "--no-extraction");
        return 0;
    }
    if (!text) {
        snprintf(f->ex_why, sizeof f->ex_why, "no text of the work (give the file, not only its id)");
        return 0;
    }
    uint64_t seed = seed_of(sha256, 0x7072);
    int rc = extract(p, text, n, seed, p->o.samples, &f->xw, err);
    if (rc) return rc;
    if (f->xw.n == 0) {
        snprintf(f->ex_why, sizeof f->ex_why, "the work has fewer than %u words",
                 p->o.prefix_words + p->o.suffix_words);
        return 0;
    }
    /* twice as many control windows as the work's samples: a work has only
     * words / (P + S) non-overlapping windows, so further independent
     * shuffles of its words give the rest */
    size_t wantc = 2 * (size_t)p->o.samples;
    for (uint64_t r = 0; f->xc.n < wantc && r < wantc; r++) {
        uint64_t salt = r * 0x9E3779B97F4A7C15ull;
        char *shuf = shuffled(text, n, seed ^ 0x5348 ^ salt);
        if (!shuf) return pk_fail(err, PK_ENOMEM, "out of memory");
        size_t before = f->xc.n;
        rc = extract(p, shuf, strlen(shuf), seed ^ 0x4354 ^ salt, wantc - f->xc.n, &f->xc, err);
        free(shuf);
        if (rc) return rc;
        if (f->xc.n == before) break;
    }
    for (size_t i = 0; i < p->nctl; i++)
        if ((rc = extract(p, p->ctl[i].text, p->ctl[i].n, seed_of(p->ctl[i].sha, 0x7072), p->o.samples, &f->xc,
                          err))) {
            pk_error_prefix(err, "%s", p->ctl[i].name);
            return rc;
        }
    f->ex_run = 1;
    f->ex_p = pk_probe_fisher(f->xw.exact, f->xw.n, f->xc.exact, f->xc.n);
    return add_p(f, f->ex_p, "extraction") ? pk_fail(err, PK_ENOMEM, "out of memory") : 0;
}

static int run_canaries(pk_probe *p, const char *name, const char *sha256, pk_registry *reg, findings *f,
                        pk_error *err)
{
    idlist sets = {0};
    double *score = NULL;
    pk_canary_set cs;
    pk_canary_set_init(&cs);
    int rc = 0;
    pk_buf_append(&f->cj, "[", 1);
    if (p->o.no_canaries) {
        snprintf(f->ca_why, sizeof f->ca_why, "--no-canaries");
        goto done;
    }
    if (!reg) {
        snprintf(f->ca_why, sizeof f->ca_why, "no registry");
        goto done;
    }
    /* sets of the work as given (its SHA-256 is the work's or its copy's),
     * of the registered work with this SHA-256, and of the id given */
    if ((rc = pk_canary_each(reg, sha256, collect_set, &sets, err))) goto done;
    if (name && (rc = pk_canary_each(reg, name, collect_set, &sets, err))) goto done;
    char wid[256];
    pk_error e2;
    if (pk_canary_work_of(reg, sha256, wid, &e2) == 0 && (rc = pk_canary_each(reg, wid, collect_set, &sets, err)))
        goto done;
    if (sets.n == 0) snprintf(f->ca_why, sizeof f->ca_why, "no canary set for this work in the registry");
    for (size_t i = 0; i < sets.n; i++) {
        if ((rc = pk_canary_load(reg, sets.ids[i], &cs, err))) goto done;
        free(score);
        score = malloc(((size_t)cs.count + cs.nulls) * sizeof *score);
        if (!score) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
        if ((rc = canary_scores(p, &cs, score, err))) goto done;
        pk_canary_stat st;
        if ((rc = pk_canary_set_pvalue(&cs, score, &st, err))) goto done;
        /* the rank sum uses every canary; past its exact limits, the best rank */
        double pc = st.p_sum >= 0 ? st.p_sum : st.p_min;
        if (add_p(f, pc, "canaries")) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto done; }
        f->ca_run = 1;
        if (i) pk_buf_putc(&f->cj, ',');
        pk_buf_printf(&f->cj, "{\"set\":%lld,\"count\":%u,\"nulls\":%u,\"best_rank\":%llu,\"u\":%llu,",
                      (long long)cs.id, cs.count, cs.nulls, (unsigned long long)st.best, (unsigned long long)st.u);
        jnum(&f->cj, "p_min", st.p_min);
        pk_buf_putc(&f->cj, ',');
        jnum(&f->cj, "p_sum", st.p_sum);
        pk_buf_putc(&f->cj, ',');
        jnum(&f->cj, "p", pc);
        pk_buf_putc(&f->cj, '}');
        pk_buf_printf(&f->sj, "  set %lld: %u published, %u nulls; best canary ranks %llu among the nulls; p = %.3g\n",
                      (long long)cs.id, cs.count, cs.nulls, (unsigned long long)st.best + 1, pc);
        pk_canary_set_free(&cs);
        pk_canary_set_init(&cs);
    }
done:
    pk_buf_append(&f->cj, "]", 1);
    free(sets.ids);
    free(score);
    pk_canary_set_free(&cs);
    return rc;
}

static int run_inference(pk_probe *p, const char *text, size_t n, findings *f, pk_error *err)
{
    int has_plp = p->lp == PK_PROBE_LP_PROMPT || p->lp == PK_PROBE_LP_ECHO;
    if (!text) {
        snprintf(f->di_why, sizeof f->di_why, "no text of the work");
        return 0;
    }
    if (!has_plp) {
        snprintf(f->di_why, sizeof f->di_why, "the server gives no prompt log-probabilities");
        return 0;
    }
    if (p->nref == 0) {
        snprintf(f->di_why, sizeof f->di_why,
                 "no --nonmember text: dataset inference needs text of the same kind that the model cannot have seen");
        return 0;
    }
    int rc = reference_features(p, err);
    if (!rc) rc = doc_features(p, text, n, p->o.samples, &f->wf, err);
    if (rc) return rc;
    double *all = malloc((p->nref + 1) * sizeof *all), *comp = calloc(p->nref + 1, sizeof *comp);
    size_t *idx = malloc((p->nref + 1) * sizeof *idx), m = 0;
    if (!all || !comp || !idx) {
        rc = pk_fail(err, PK_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < p->nref; i++)
        if (p->reff[i].np > 0) idx[m++] = i;
    f->mref = m;
    if (f->wf.np == 0) {
        snprintf(f->di_why, sizeof f->di_why, "the work is shorter than one passage of %u words", p->o.passage_words);
        goto done;
    }
    if (m < 3) {
        snprintf(f->di_why, sizeof f->di_why, "fewer than 3 --nonmember documents of at least %u words",
                 p->o.passage_words);
        goto done;
    }
    /* the same number of passages k for every document: the fewest any of
     * them has (each already capped by --samples) */
    size_t kp = f->wf.np;
    for (size_t i = 0; i < m; i++) kp = PK_MIN(kp, p->reff[idx[i]].np);
    doc_mean(&f->wf, kp);
    for (size_t i = 0; i < m; i++) doc_mean(&p->reff[idx[i]], kp);
    /* each feature standardized over the m references and the work together
     * (symmetric in the documents), the composite minus their mean: higher
     * is more member-like */
    int nused = 0;
    for (int k = 0; k < NF; k++) {
        int ok = !isnan(f->wf.f[k]);
        for (size_t i = 0; i < m && ok; i++) ok = !isnan(p->reff[idx[i]].f[k]);
        if (!ok) continue;
        double mean, sd, sd_ref;
        for (size_t i = 0; i < m; i++) all[i] = p->reff[idx[i]].f[k];
        all[m] = f->wf.f[k];
        pk_probe_mean_sd(all, m, &f->ref_mean[k], &sd_ref);
        pk_probe_mean_sd(all, m + 1, &mean, &sd);
        if (!(sd > 0)) continue;
        f->use[k] = 1;
        nused++;
        for (size_t i = 0; i <= m; i++) comp[i] -= (all[i] - mean) / sd;
    }
    if (!nused) {
        snprintf(f->di_why, sizeof f->di_why, "the features do not vary over the documents");
        goto done;
    }
    for (size_t i = 0; i <= m; i++) comp[i] /= nused;
    f->comp_w = comp[m];
    pk_probe_predict(f->comp_w, comp, m, &f->dt);
    size_t ge = 0;
    for (size_t i = 0; i < m; i++) ge += comp[i] >= f->comp_w;
    f->p_rank = (1.0 + (double)ge) / ((double)m + 1.0);
    f->di_run = 1;
    if (add_p(f, f->dt.p, "dataset_inference")) rc = pk_fail(err, PK_ENOMEM, "out of memory");
done:
    free(all);
    free(comp);
    free(idx);
    return rc;
}

static const char assumption[] =
    "the --nonmember documents are of the same kind as the work (same genre, period, form and writer, "
    "never published); if they are not, this p-value means nothing";

static void write_json(const pk_probe *p, const char *name, const char *sha256, findings *f, size_t nsig,
                       pk_buf *json)
{
    int has_plp = p->lp == PK_PROBE_LP_PROMPT || p->lp == PK_PROBE_LP_ECHO;
    extr_t *xw = &f->xw, *xc = &f->xc;
    pk_buf_append(json, "{", 1);
    jstr(json, "work", name ? name : "");
    pk_buf_printf(json, ",\"sha256\":\"%s\",", sha256);
    jstr(json, "model", p->model);
    pk_buf_putc(json, ',');
    jstr(json, "api", api_name(p));
    pk_buf_printf(json, ",\"logprobs\":\"%s\",\"min_k_pp\":%s,", lp_name(p->lp), p->full ? "true" : "false");
    jnum(json, "alpha", p->o.alpha);
    pk_buf_printf(json, ",\"tests_run\":%zu,\"evidence\":%s,\"significant\":[", f->npv, nsig ? "true" : "false");
    for (size_t i = 0, k = 0; i < f->npv; i++)
        if (f->pv[i] < p->o.alpha / (double)f->npv) {
            if (k++) pk_buf_putc(json, ',');
            pk_buf_printf(json, "\"%s\"", f->pvname[i]);
        }
    pk_buf_append(json, "],\"extraction\":{", 16);
    if (!f->ex_run) {
        pk_buf_append(json, "\"run\":false,", 12);
        jstr(json, "why", f->ex_why);
    } else {
        pk_buf_printf(json, "\"run\":true,\"samples\":%zu,\"prefix_words\":%u,\"suffix_words\":%u,\"extractable\":%zu,",
                      xw->n, p->o.prefix_words, p->o.suffix_words, xw->exact);
        jnum(json, "rate", (double)xw->exact / (double)xw->n);
        pk_buf_putc(json, ',');
        jnum(json, "mean_longest_run", xw->mean_run / (double)xw->n);
        pk_buf_printf(json, ",\"control\":{\"samples\":%zu,\"extractable\":%zu,", xc->n, xc->exact);
        jnum(json, "rate", xc->n ? (double)xc->exact / (double)xc->n : NAN);
        pk_buf_putc(json, ',');
        jnum(json, "mean_longest_run", xc->n ? xc->mean_run / (double)xc->n : NAN);
        pk_buf_printf(json, ",\"sources\":[\"shuffled work\"");
        for (size_t i = 0; i < p->nctl; i++) {
            pk_buf_putc(json, ',');
            pk_buf_json_str(json, p->ctl[i].name, strlen(p->ctl[i].name));
        }
        pk_buf_append(json, "]},", 3);
        jnum(json, "p", f->ex_p);
        pk_buf_append(json, ",\"examples\":[", 13);
        for (size_t i = 0; i < xw->n && i < 3; i++) {
            if (i) pk_buf_putc(json, ',');
            pk_buf_printf(json, "{\"offset\":%zu,\"longest_run\":%zu,\"exact\":%s,", xw->s[i].at, xw->s[i].run,
                          xw->s[i].exact ? "true" : "false");
            jstr(json, "prefix", xw->s[i].prefix);
            pk_buf_putc(json, ',');
            jstr(json, "true", xw->s[i].truth);
            pk_buf_putc(json, ',');
            jstr(json, "generated", xw->s[i].gen);
            pk_buf_putc(json, '}');
        }
        pk_buf_putc(json, ']');
    }
    pk_buf_append(json, "},\"canaries\":{", 14);
    if (!f->ca_run) {
        pk_buf_append(json, "\"run\":false,", 12);
        jstr(json, "why", f->ca_why);
        pk_buf_putc(json, ',');
    } else
        pk_buf_append(json, "\"run\":true,", 11);
    pk_buf_printf(json, "\"method\":\"%s\",\"sets\":%s},\"dataset_inference\":{", has_plp ? "loss" : "completion",
                  f->cj.data);
    if (!f->di_run) {
        pk_buf_append(json, "\"run\":false,", 12);
        jstr(json, "why", f->di_why);
    } else {
        pk_buf_printf(json,
                      "\"run\":true,\"passages\":%zu,\"passages_per_document\":%zu,\"work_passages_available\":%zu,"
                      "\"passage_words\":%u,\"reference_documents\":%zu,\"features\":[",
                      f->wf.passages, f->wf.passages, f->wf.np, p->o.passage_words, f->mref);
        for (int k = 0, c = 0; k < NF; k++)
            if (f->use[k]) pk_buf_printf(json, "%s\"%s\"", c++ ? "," : "", feat_name[k]);
        pk_buf_append(json, "],\"work_features\":{", 19);
        for (int k = 0, c = 0; k < NF; k++)
            if (f->use[k]) {
                if (c++) pk_buf_putc(json, ',');
                jnum(json, feat_name[k], f->wf.f[k]);
            }
        pk_buf_append(json, "},\"reference_mean\":{", 20);
        for (int k = 0, c = 0; k < NF; k++)
            if (f->use[k]) {
                if (c++) pk_buf_putc(json, ',');
                jnum(json, feat_name[k], f->ref_mean[k]);
            }
        pk_buf_append(json, "},", 2);
        jnum(json, "composite", f->comp_w);
        pk_buf_putc(json, ',');
        jnum(json, "t", f->dt.stat);
        pk_buf_putc(json, ',');
        jnum(json, "df", f->dt.df);
        pk_buf_putc(json, ',');
        jnum(json, "p", f->dt.p);
        pk_buf_putc(json, ',');
        jnum(json, "p_rank", f->p_rank);
    }
    pk_buf_putc(json, ',');
    jstr(json, "assumption", assumption);
    pk_buf_append(json, "}}", 2);
}

static void write_summary(const pk_probe *p, const char *name, const char *sha256, const findings *f, size_t nsig,
                          pk_buf *summary)
{
    int has_plp = p->lp == PK_PROBE_LP_PROMPT || p->lp == PK_PROBE_LP_ECHO;
    const extr_t *xw = &f->xw, *xc = &f->xc;
    pk_buf_printf(summary, "%s (sha256 %.12s...)\n", name ? name : "", sha256);
    if (f->ex_run) {
        pk_buf_printf(summary,
                      "  extraction: %zu of %zu passages reproduced word for word (%u-word prefix, next %u words), "
                      "mean longest run %.1f words;\n"
                      "              control text: %zu of %zu, mean longest run %.1f; p = %.3g (Fisher, one-sided)\n",
                      xw->exact, xw->n, p->o.prefix_words, p->o.suffix_words, xw->mean_run / (double)xw->n,
                      xc->exact, xc->n, xc->n ? xc->mean_run / (double)xc->n : 0.0, f->ex_p);
        if (xw->n && xw->s[0].run > 0) {
            pk_buf_append(summary, "    most striking: ...", 22);
            const char *pre = xw->s[0].prefix;
            size_t pl = strlen(pre);
            oneline(summary, pl > 80 ? pre + pl - 80 : pre, 80);
            pk_buf_append(summary, "\n      true:      ", 18);
            oneline(summary, xw->s[0].truth, 160);
            pk_buf_append(summary, "\n      generated: ", 18);
            oneline(summary, xw->s[0].gen, 160);
            pk_buf_putc(summary, '\n');
        }
    } else
        pk_buf_printf(summary, "  extraction: skipped: %s\n", f->ex_why);
    if (f->ca_run) pk_buf_printf(summary, "  canaries (by %s):\n%s", has_plp ? "loss" : "completion", f->sj.data);
    else pk_buf_printf(summary, "  canaries: skipped: %s\n", f->ca_why);
    if (f->di_run)
        pk_buf_printf(summary,
                      "  dataset inference: %zu passages of each document, the work against %zu reference "
                      "documents: composite t = %.2f, "
                      "p = %.3g (rank p = %.3g)\n",
                      f->wf.passages, f->mref, f->dt.stat, f->dt.p, f->p_rank);
    else
        pk_buf_printf(summary, "  dataset inference: skipped: %s\n", f->di_why);
    pk_buf_printf(summary, "  assumption: %s\n", assumption);
    if (f->npv == 0) pk_buf_printf(summary, "  verdict: no test could run\n");
    else if (nsig)
        pk_buf_printf(summary, "  verdict: EVIDENCE of training (%zu of %zu tests significant at alpha %g / %zu)\n",
                      nsig, f->npv, p->o.alpha, f->npv);
    else
        pk_buf_printf(summary,
                      "  verdict: no evidence at alpha %g / %zu (which is not proof that the model did not train "
                      "on it)\n",
                      p->o.alpha, f->npv);
}

int pk_probe_work(pk_probe *p, const char *name, const char *text, size_t n, const char *sha256,
                  pk_registry *reg, pk_buf *json, pk_buf *summary, int *evidence, pk_error *err)
{
    *evidence = 0;
    findings f;
    memset(&f, 0, sizeof f);
    f.ex_p = f.p_rank = f.comp_w = NAN;
    f.dt.p = NAN;
    pk_buf_init(&f.cj, 0);
    pk_buf_init(&f.sj, 0);
    int rc = run_extraction(p, text, n, sha256, &f, err);
    if (!rc) rc = run_canaries(p, name, sha256, reg, &f, err);
    if (!rc) rc = run_inference(p, text, n, &f, err);
    if (!rc) {
        /* Bonferroni over every test run */
        size_t nsig = 0;
        for (size_t i = 0; i < f.npv; i++)
            if (f.pv[i] < p->o.alpha / (double)f.npv) nsig++;
        *evidence = nsig > 0;
        if (f.xw.n) qsort(f.xw.s, f.xw.n, sizeof *f.xw.s, cmp_sample); /* the most striking first */
        write_json(p, name, sha256, &f, nsig, json);
        write_summary(p, name, sha256, &f, nsig, summary);
    }
    extr_free(&f.xw);
    extr_free(&f.xc);
    free(f.wf.pf);
    pk_buf_free(&f.cj);
    pk_buf_free(&f.sj);
    free(f.pv);
    free(f.pvname);
    return rc;
}
