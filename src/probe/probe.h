/* probe.h -- internal API of the model probe (`picket probe`, issue 7):
 * does a model behind an HTTP API show evidence of having been trained on
 * a work?
 *
 *   stats.c   distributions and tests (t, normal, Mann-Whitney, Fisher)
 *   parse.c   server responses: OpenAI/vLLM completions (prompt_logprobs,
 *             echo + logprobs), chat completions, llama.cpp /completion
 *   client.c  libcurl client: timeouts, retries with backoff and jitter,
 *             a concurrency limit, a response cache in SQLite
 *   probe.c   API detection and the three tests: extraction, canaries,
 *             dataset inference; results as JSON and a summary
 *
 * Conventions as in picket.h: 0 or a negative PK_E* code, a pk_error with
 * one line; nothing here prints.  The API key lives only in the client's
 * request headers: it is never copied into a cache key, a cache entry, a
 * result or an error message. */
#ifndef PK_PROBE_H
#define PK_PROBE_H

#include "pk.h"

#include <stdint.h>

/* ---- statistics (stats.c) ------------------------------------------------ */

typedef struct pk_probe_test {
    double stat; /* t, or U for Mann-Whitney */
    double df;   /* degrees of freedom (t tests) */
    double p;    /* one-sided: first sample larger */
} pk_probe_test;

double pk_probe_normal_sf(double z);                 /* P(Z > z) */
double pk_probe_ibeta(double a, double b, double x); /* regularized I_x(a, b) */
double pk_probe_t_sf(double t, double df);           /* P(T_df > t) */
void pk_probe_mean_sd(const double *x, size_t n, double *mean, double *sd);
/* Welch's unequal-variance t-test, H1: mean(x) > mean(y).  n, m >= 2. */
int pk_probe_welch(const double *x, size_t n, const double *y, size_t m, pk_probe_test *out);
/* One new observation x0 against a sample y (m >= 2), H1: x0 is larger:
 * t = (x0 - mean) / (sd sqrt(1 + 1/m)), m - 1 degrees of freedom (the
 * prediction interval of a normal sample). */
int pk_probe_predict(double x0, const double *y, size_t m, pk_probe_test *out);
/* Mann-Whitney U (mid-ranks for ties, tie-corrected variance, continuity
 * correction), H1: x tends to be larger; stat = U of x. */
int pk_probe_mann_whitney(const double *x, size_t n, const double *y, size_t m, pk_probe_test *out);
/* Fisher's exact test, one-sided: a successes of n in group 1, b of m in
 * group 2; P(>= a successes in group 1 | margins). */
double pk_probe_fisher(uint64_t a, uint64_t n, uint64_t b, uint64_t m);

/* ---- responses (parse.c) ------------------------------------------------- */

enum {
    PK_PROBE_R_COMPLETION = 1, /* /v1/completions (OpenAI, vLLM) */
    PK_PROBE_R_CHAT,           /* /v1/chat/completions */
    PK_PROBE_R_LLAMACPP        /* llama.cpp server /completion */
};

/* One choice: the generated text and, when the server gave them, the
 * prompt tokens' log-probabilities (the first prompt token, which has
 * none, is left out), with mu and sigma of the full distribution at each
 * (pk-lm's non-standard pk_full_stats, for Min-K%++). */
typedef struct pk_probe_out {
    char *text;         /* generated text (without the echoed prompt), NUL-terminated */
    size_t ntok;        /* prompt tokens with a log-probability */
    double *lp;         /* ntok log-probabilities (natural log) */
    double *mu, *sigma; /* ntok each, or NULL */
    int has_lp;         /* the prompt's log-probabilities were there */
} pk_probe_out;

typedef struct pk_probe_resp {
    pk_probe_out *choice; /* nchoice, in "index" order */
    size_t nchoice;
    uint64_t prompt_tokens, completion_tokens; /* usage, 0 when absent */
} pk_probe_resp;

/* Parse the body of a 200 response of the given kind.  echo_len: for a
 * completion requested with echo (NULL otherwise), the byte length of
 * each choice's prompt (nprompt of them): tokens whose text_offset falls
 * inside the prompt are the prompt's, and the prompt is cut off the text.
 * PK_EFORMAT with the reason and the byte offset when the body is not what
 * the API sends.  out is freed first (initialize it with zeros). */
int pk_probe_parse(int kind, const char *body, size_t n, const size_t *echo_len, size_t nprompt,
                   pk_probe_resp *out, pk_error *err);
void pk_probe_resp_free(pk_probe_resp *r);

/* ---- client (client.c) --------------------------------------------------- */

typedef struct pk_probe_client pk_probe_client;

typedef struct pk_probe_client_opts {
    const char *base;      /* server root, "http://127.0.0.1:8000" (no "/v1") */
    const char *api_key;   /* sent as "Authorization: Bearer"; may be NULL */
    int jobs;              /* requests in flight at once (default 4) */
    int retries;           /* tries after the first on 429, 5xx, network errors (default 5) */
    double backoff_ms;     /* first backoff (default 500), doubled each try, +-50% jitter, capped at 30 s */
    long connect_timeout_ms; /* default 10 s */
    long timeout_ms;       /* whole request, default 300 s */
    const char *cache;     /* SQLite cache file, NULL: no cache */
    size_t max_response;   /* default 64 MiB */
} pk_probe_client_opts;

/* One POST.  The caller owns path and body; the client fills the rest. */
typedef struct pk_probe_req {
    const char *path;  /* "/v1/completions" */
    const char *body;  /* canonical JSON (the cache key hashes it) */
    long status;       /* HTTP status, 0 when no answer came */
    int cached;        /* answered from the cache */
    int tries;
    pk_buf resp;       /* response body (initialize with pk_buf_init) */
    char why[256];     /* when status is not 200: what happened */
} pk_probe_req;

typedef struct pk_probe_client_stats {
    uint64_t requests; /* POSTs sent over the network (retries included) */
    uint64_t cached;   /* answered from the cache */
    uint64_t retries;
    uint64_t failed;   /* gave up */
} pk_probe_client_stats;

void pk_probe_client_opts_default(pk_probe_client_opts *o);
int pk_probe_client_new(pk_probe_client **out, const pk_probe_client_opts *o, pk_error *err);
void pk_probe_client_free(pk_probe_client *c);
/* GET path (not cached; at most 2 retries); *status 0
 * when the server did not answer. */
int pk_probe_client_get(pk_probe_client *c, const char *path, long *status, pk_buf *body, pk_error *err);
/* Run n POSTs, at most opts.jobs at once; each request's outcome is in
 * the request.  Answers are looked up in the cache under SHA-256(URL,
 * model, body) first.  Returns an error only when the client itself fails
 * (memory, threads); non-200 answers are reported per request. */
int pk_probe_client_run(pk_probe_client *c, const char *model, pk_probe_req *reqs, size_t n, pk_error *err);
/* Keep a 200 answer of pk_probe_client_run in the cache (nothing when it
 * came from the cache, was not 200, or there is no cache).  Called only
 * once the caller has parsed the answer: a 200 with a body that does not
 * parse is never kept, so a re-run asks again. */
void pk_probe_client_keep(pk_probe_client *c, const char *model, const pk_probe_req *r);
void pk_probe_client_get_stats(const pk_probe_client *c, pk_probe_client_stats *s);

/* ---- the probe (probe.c) ------------------------------------------------- */

enum { PK_PROBE_API_AUTO = 0, PK_PROBE_API_OPENAI, PK_PROBE_API_VLLM, PK_PROBE_API_LLAMACPP };
/* What the server gives, from best to worst. */
enum { PK_PROBE_LP_NONE = 0, PK_PROBE_LP_GENERATED, PK_PROBE_LP_ECHO, PK_PROBE_LP_PROMPT };

typedef struct pk_probe_opts {
    pk_probe_client_opts client;
    int api;                /* PK_PROBE_API_* */
    const char *model;      /* NULL: the first of /v1/models */
    uint32_t samples;       /* passages per work (default 50) */
    uint32_t prefix_words;  /* extraction prompt (default 50) */
    uint32_t suffix_words;  /* compared continuation (default 50) */
    uint32_t passage_words; /* dataset inference passage (default 64) */
    uint32_t batch;         /* prompts per request where the API takes lists (default 16) */
    double alpha;           /* default 0.01 */
    char *const *controls;  /* user control texts (paths) */
    size_t ncontrols;
    char *const *nonmembers; /* reference documents of the same kind */
    size_t nnonmembers;
    int no_canaries;
    int no_extraction;      /* skip the extraction test (its greedy generations cost the most) */
    int no_full_stats;      /* do not ask for mu and sigma (Min-K%++), which cost the
                               server a pass over the vocabulary at every token */
} pk_probe_opts;

typedef struct pk_probe pk_probe;

void pk_probe_opts_default(pk_probe_opts *o);
/* Connect, detect the API and what it offers (one small request), read
 * the control and reference files.  A description of what was detected
 * goes into info (reset first). */
int pk_probe_new(pk_probe **out, const pk_probe_opts *o, pk_buf *info, pk_error *err);
void pk_probe_free(pk_probe *p);
int pk_probe_lp_kind(const pk_probe *p);

/* Probe one work: name (for the record), its rendered text (NULL, 0 when
 * only its canaries can be tested), its SHA-256 and the registry to look
 * canary sets up in (may be NULL).  One JSON object (no newline) into
 * json and a readable summary into text (both appended to).  *evidence:
 * 1 when some test is significant at alpha after the Bonferroni
 * correction for the tests run, else 0. */
int pk_probe_work(pk_probe *p, const char *name, const char *text, size_t n, const char *sha256,
                  pk_registry *reg, pk_buf *json, pk_buf *summary, int *evidence, pk_error *err);
/* Tokens spent (usage of answers not from the cache) and client counts. */
void pk_probe_spent(const pk_probe *p, uint64_t *prompt_tokens, uint64_t *completion_tokens,
                    pk_probe_client_stats *cs);

/* ---- text helpers (probe.c; exposed for the unit tests) ------------------ */

/* Words for comparison: runs of letters, digits and apostrophes (bytes >=
 * 0x80 count as letters), ASCII lower-cased, into a NUL-separated buffer;
 * *nwords of them, start offsets into out. */
int pk_probe_norm_words(const char *s, size_t n, pk_buf *out, size_t **starts, size_t *nwords);
/* Longest common run of words between a and b (word arrays as offsets
 * into NUL-separated buffers). */
size_t pk_probe_common_run(const char *abuf, const size_t *a, size_t na, const char *bbuf, const size_t *b,
                           size_t nb);

#endif
