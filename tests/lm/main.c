/* main.c -- pk-lm, the test language model's command line: train a model,
 * serve it, check it, run the blind check.  Options and printing only; the
 * model is lm.c, the server serve.c, the blind check blind.c.
 *
 *   pk-lm train [--order N] --out MODEL [--repeat K FILE]... [--list LIST]... FILE...
 *   pk-lm serve --model MODEL --port PORT [--host ADDR] [--api vllm|llamacpp|openai]
 *               [--model-name NAME] [--fail-every N] [--ready-file FILE]
 *   pk-lm selftest MODEL [--contexts N]
 *   pk-lm blind --members LIST --nonmembers LIST [--folds F] [--passage T] [--seed S] [--json]
 *   pk-lm tokenize MODEL [FILE]      tokens of a text as JSON lines
 *   pk-lm canary-words               the 4096 words of picket's canary generator
 *
 * Exit status: 0 success (blind: not separable), 1 selftest or blind check
 * failed, 2 usage or input error. */
#include "blind.h"
#include "canary.h"
#include "lm.h"
#include "request.h"
#include "serve.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *usage_text =
    "usage: pk-lm train [--order N] --out MODEL [--repeat K FILE]... [--list LISTFILE]... FILE...\n"
    "       pk-lm serve --model MODEL --port PORT [--host 127.0.0.1] [--api vllm|llamacpp|openai]\n"
    "                   [--model-name NAME] [--fail-every N] [--ready-file FILE]\n"
    "       pk-lm selftest MODEL [--contexts N]\n"
    "       pk-lm blind --members LIST --nonmembers LIST [--folds F] [--passage T] [--seed S] [--json]\n"
    "       pk-lm tokenize MODEL [FILE]\n"
    "       pk-lm canary-words\n";

static int usage(void)
{
    fputs(usage_text, stderr);
    return 2;
}

static int fail(const pk_error *e)
{
    fprintf(stderr, "pk-lm: %s\n", e->msg);
    return 2;
}

static int parse_uint(const char *opt, const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || end == s || s[0] == '-' || v < lo || v > hi) {
        fprintf(stderr, "pk-lm: %s: '%s' is not a number in %lu..%lu\n", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Read LIST (one path a line; empty lines and lines starting with # are
 * skipped) into a growing array. */
static int read_list(const char *list, char ***v, size_t *n)
{
    FILE *f = fopen(list, "r");
    if (!f) { fprintf(stderr, "pk-lm: %s: %s\n", list, strerror(errno)); return -1; }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if (len == 0 || line[0] == '#') continue;
        char **nv = realloc(*v, (*n + 1) * sizeof *nv);
        char *c = strdup(line);
        if (!nv || !c) { free(c); free(line); fclose(f); if (nv) *v = nv; fputs("pk-lm: out of memory\n", stderr); return -1; }
        *v = nv;
        nv[(*n)++] = c;
    }
    free(line);
    fclose(f);
    return 0;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* ---- train ------------------------------------------------------------------ */

static int add_file(pk_lm_trainer *t, const char *path, unsigned repeat, pk_buf *raw)
{
    pk_error e;
    memset(&e, 0, sizeof e);
    if (pk_source_slurp(path, raw, (size_t)1 << 30, &e) || pk_lm_trainer_add(t, raw->data ? raw->data : "", raw->len, repeat, &e)) {
        if (strncmp(e.msg, path, strlen(path)) != 0) pk_error_prefix(&e, "%s", path);
        return fail(&e);
    }
    return 0;
}

static int cmd_train(int argc, char **argv)
{
    unsigned long order = 5, k = 1;
    const char *out = NULL;
    char **files = NULL;
    unsigned *reps = NULL;
    size_t nf = 0;
    int status = 2;
    pk_lm_trainer *t = NULL;
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_buf raw;
    pk_buf_init(&raw, (size_t)1 << 30);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        size_t before = nf;
        if (strcmp(a, "--order") == 0 && i + 1 < argc) {
            if (parse_uint("--order", argv[++i], 2, PK_LM_MAX_ORDER, &order)) goto done;
        } else if (strcmp(a, "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (strcmp(a, "--repeat") == 0 && i + 2 < argc) {
            if (parse_uint("--repeat", argv[++i], 1, 100000, &k)) goto done;
            char **nv = realloc(files, (nf + 1) * sizeof *nv);
            if (!nv) goto oom;
            files = nv;
            files[nf++] = strdup(argv[++i]);
        } else if (strcmp(a, "--list") == 0 && i + 1 < argc) {
            if (read_list(argv[++i], &files, &nf)) goto done;
            k = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "pk-lm train: unknown option %s\n", a);
            status = usage();
            goto done;
        } else {
            char **nv = realloc(files, (nf + 1) * sizeof *nv);
            if (!nv) goto oom;
            files = nv;
            files[nf++] = strdup(a);
            k = 1;
        }
        if (nf > before) {
            unsigned *nr = realloc(reps, nf * sizeof *nr);
            if (!nr) goto oom;
            reps = nr;
            for (size_t j = before; j < nf; j++) {
                if (!files[j]) goto oom;
                reps[j] = (unsigned)k;
            }
        }
    }
    if (!out || nf == 0) { status = usage(); goto done; }
    double t0 = now_s();
    if (pk_lm_trainer_new(&t, (int)order, &e)) { status = fail(&e); goto done; }
    for (size_t i = 0; i < nf; i++)
        if ((status = add_file(t, files[i], reps[i], &raw))) goto done;
    pk_buf_free(&raw);
    pk_lm_train_stats st;
    if (pk_lm_trainer_write(t, out, &st, &e)) { status = fail(&e); goto done; }
    double t1 = now_s();
    printf("trained an order-%lu model on %llu tokens (%llu documents) in %.2f s: vocabulary %llu, keys %llu, n-grams",
           order, (unsigned long long)st.tokens, (unsigned long long)st.documents, t1 - t0,
           (unsigned long long)st.vocab, (unsigned long long)st.keys);
    for (unsigned long m = 1; m <= order; m++) printf(" %llu", (unsigned long long)st.ngrams[m]);
    printf("; %s: %llu bytes\n", out, (unsigned long long)st.file_bytes);
    status = 0;
    goto done;
oom:
    fputs("pk-lm: out of memory\n", stderr);
done:
    pk_buf_free(&raw);
    pk_lm_trainer_free(t);
    free_list(files, nf);
    free(reps);
    return status;
}

/* ---- serve ------------------------------------------------------------------- */

static int cmd_serve(int argc, char **argv)
{
    lm_serve_opts o = {"127.0.0.1", 0, LM_API_VLLM, "pk-lm", 0, NULL};
    const char *model = NULL;
    int have_port = 0;
    unsigned long v;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) { fprintf(stderr, "pk-lm serve: %s needs a value\n", a); return usage(); }
        const char *val = argv[++i];
        if (strcmp(a, "--model") == 0) model = val;
        else if (strcmp(a, "--host") == 0) o.host = val;
        else if (strcmp(a, "--model-name") == 0) o.model_name = val;
        else if (strcmp(a, "--ready-file") == 0) o.ready_file = val;
        else if (strcmp(a, "--port") == 0) {
            if (parse_uint("--port", val, 0, 65535, &v)) return 2;
            o.port = (unsigned)v;
            have_port = 1;
        } else if (strcmp(a, "--fail-every") == 0) {
            if (parse_uint("--fail-every", val, 0, 1000000, &v)) return 2;
            o.fail_every = (unsigned)v;
        } else if (strcmp(a, "--api") == 0) {
            if (strcmp(val, "vllm") == 0) o.api = LM_API_VLLM;
            else if (strcmp(val, "llamacpp") == 0) o.api = LM_API_LLAMACPP;
            else if (strcmp(val, "openai") == 0) o.api = LM_API_OPENAI;
            else { fprintf(stderr, "pk-lm serve: --api %s: expected vllm, llamacpp or openai\n", val); return 2; }
        } else {
            fprintf(stderr, "pk-lm serve: unknown option %s\n", a);
            return usage();
        }
    }
    if (!model || !have_port) return usage();
    pk_lm *m = NULL;
    pk_error e;
    memset(&e, 0, sizeof e);
    if (pk_lm_open(&m, model, &e)) return fail(&e);
    int rc = lm_serve(m, &o, &e);
    pk_lm_close(m);
    return rc ? fail(&e) : 0;
}

/* ---- selftest ------------------------------------------------------------------ */

/* Distributions must sum to 1 and agree with pk_lm_prob, for the empty
 * history, for histories the model has seen (every order's contexts are
 * reached: a seen top-order history has seen suffixes) and for random
 * ones. */
static int cmd_selftest(int argc, char **argv)
{
    if (argc < 3) return usage();
    unsigned long nctx = 200;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--contexts") == 0 && i + 1 < argc) {
            if (parse_uint("--contexts", argv[++i], 1, 1000000, &nctx)) return 2;
        } else {
            return usage();
        }
    }
    pk_lm *m = NULL;
    pk_error e;
    memset(&e, 0, sizeof e);
    if (pk_lm_open(&m, argv[2], &e)) return fail(&e);
    uint32_t V = pk_lm_vocab(m);
    int N = pk_lm_order(m);
    double *p = malloc((size_t)V * sizeof *p);
    uint32_t *hist = malloc((size_t)N * 4 * sizeof *hist);
    if (!p || !hist) { pk_lm_close(m); free(p); free(hist); fputs("pk-lm: out of memory\n", stderr); return 2; }
    pk_lm_sd *sd = NULL;
    if (pk_lm_sd_new(m, &sd, &e)) { pk_lm_close(m); free(p); free(hist); return fail(&e); }
    double max_sum_err = 0, max_prob_err = 0, max_mom_err = 0;
    size_t sparse_bad = 0;
    uint64_t rng = 12345;
    size_t tested = 0;
    /* Histories: generated greedily and by sampling from the model itself
     * (so they are seen ones, reaching the top order), then random keys. */
    for (unsigned long c = 0; c < nctx; c++) {
        size_t nh = (size_t)(pk_lm_rand(&rng) % (uint64_t)(N * 2));
        int random_keys = c % 4 == 3;
        for (size_t i = 0; i < nh; i++) {
            if (random_keys) {
                hist[i] = (uint32_t)(pk_lm_rand(&rng) % (V + 1u)); /* keys and beyond: <unk> too */
                continue;
            }
            pk_lm_dist(m, hist, i, p);
            hist[i] = pk_lm_key_of(m, pk_lm_pick(p, V, c % 2 ? 1.0 : 0.0, &rng));
        }
        pk_lm_dist(m, hist, nh, p);
        double s = 0, comp = 0;
        for (uint32_t v = 0; v < V; v++) { /* Kahan sum */
            double y = p[v] - comp, t2 = s + y;
            comp = (t2 - s) - y;
            s = t2;
        }
        if (fabs(s - 1) > max_sum_err) max_sum_err = fabs(s - 1);
        for (int k = 0; k < 8; k++) {
            uint32_t id = (uint32_t)(pk_lm_rand(&rng) % V);
            double a = pk_lm_prob(m, hist, nh, id), d = fabs(a - p[id]) / p[id];
            if (!(p[id] > 0)) d = 1;
            if (d > max_prob_err) max_prob_err = d;
        }
        /* The sparse form: the same probabilities, ranks, top 20 and
         * greedy pick; the moments to rounding. */
        pk_lm_sd_compute(sd, hist, nh);
        uint32_t ta[20], tb[20];
        uint32_t na = pk_lm_topk(p, V, 20, 0, ta), nb = pk_lm_sd_topk(sd, 20, 0, tb);
        if (na != nb || memcmp(ta, tb, na * sizeof *ta) != 0) sparse_bad++;
        na = pk_lm_topk(p, V, 1, 1, ta);
        nb = pk_lm_sd_topk(sd, 1, 1, tb);
        if (na != 1 || nb != 1 || ta[0] != tb[0] || ta[0] != pk_lm_pick(p, V, 0, &rng)) sparse_bad++;
        for (int k = 0; k < 8; k++) {
            uint32_t id = k < 4 ? ta[0] + (uint32_t)k : (uint32_t)(pk_lm_rand(&rng) % V);
            if (id >= V) id = 0;
            if (pk_lm_sd_prob(sd, id) != p[id] || pk_lm_sd_rank(sd, id) != pk_lm_rank(p, V, id)) sparse_bad++;
        }
        double mu1, s1, mu2, s2;
        pk_lm_moments(p, V, &mu1, &s1);
        pk_lm_sd_moments(sd, &mu2, &s2);
        if (fabs(mu1 - mu2) > max_mom_err) max_mom_err = fabs(mu1 - mu2);
        if (fabs(s1 - s2) > max_mom_err) max_mom_err = fabs(s1 - s2);
        tested++;
    }
    int ok = max_sum_err <= 1e-6 && max_prob_err <= 1e-9 && sparse_bad == 0 && max_mom_err <= 1e-9;
    printf("selftest: %zu distributions over %u tokens (order %d): max |sum - 1| = %.3g, max relative |p(v) - dist[v]| = %.3g, "
           "sparse form: %zu disagreements, moments within %.3g: %s\n",
           tested, V, N, max_sum_err, max_prob_err, sparse_bad, max_mom_err, ok ? "ok" : "FAILED");
    pk_lm_sd_free(sd);
    free(p);
    free(hist);
    pk_lm_close(m);
    return ok ? 0 : 1;
}

/* ---- blind ---------------------------------------------------------------------- */

static int cmd_blind(int argc, char **argv)
{
    char **mem = NULL, **non = NULL;
    size_t nm = 0, nn = 0;
    lm_blind_opts o = {5, 128, 1000, 1};
    int json = 0, status = 2;
    unsigned long v;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) { json = 1; continue; }
        if (i + 1 >= argc) { status = usage(); goto done; }
        const char *val = argv[++i];
        if (strcmp(a, "--members") == 0) { if (read_list(val, &mem, &nm)) goto done; }
        else if (strcmp(a, "--nonmembers") == 0) { if (read_list(val, &non, &nn)) goto done; }
        else if (strcmp(a, "--folds") == 0) { if (parse_uint(a, val, 2, 100, &v)) goto done; o.folds = (unsigned)v; }
        else if (strcmp(a, "--passage") == 0) { if (parse_uint(a, val, 8, 100000, &v)) goto done; o.passage = (unsigned)v; }
        else if (strcmp(a, "--seed") == 0) { if (parse_uint(a, val, 1, ~0ul, &v)) goto done; o.seed = v; }
        else { status = usage(); goto done; }
    }
    if (!nm || !nn) { fputs("pk-lm blind: --members and --nonmembers lists are required and must not be empty\n", stderr); goto done; }
    lm_blind_result r;
    pk_error e;
    memset(&e, 0, sizeof e);
    if (lm_blind(mem, nm, non, nn, &o, &r, &e)) { status = fail(&e); goto done; }
    int separable = !(r.lo <= 0.5 && 0.5 <= r.hi) && !(r.auc < 0.6);
    if (json)
        printf("{\"auc\":%.4f,\"ci95\":[%.4f,%.4f],\"member_docs\":%zu,\"nonmember_docs\":%zu,\"member_passages\":%zu,"
               "\"nonmember_passages\":%zu,\"folds\":%u,\"passage_tokens\":%u,\"separable\":%s}\n",
               r.auc, r.lo, r.hi, r.docs[1], r.docs[0], r.passages[1], r.passages[0], o.folds, o.passage,
               separable ? "true" : "false");
    else
        printf("blind: AUC %.3f, 95%% interval [%.3f, %.3f] (naive Bayes on word 1-2-grams, %u-fold by document, "
               "cluster bootstrap); %zu member passages of %zu documents, %zu non-member passages of %zu documents: %s\n",
               r.auc, r.lo, r.hi, o.folds, r.passages[1], r.docs[1], r.passages[0], r.docs[0],
               separable ? "SEPARABLE by text alone" : "not separable by text alone");
    status = separable ? 1 : 0;
done:
    free_list(mem, nm);
    free_list(non, nn);
    return status;
}

/* ---- tokenize, canary-words ------------------------------------------------------- */

static int cmd_tokenize(int argc, char **argv)
{
    if (argc < 3 || argc > 4) return usage();
    pk_lm *m = NULL;
    pk_error e;
    memset(&e, 0, sizeof e);
    pk_buf raw, norm, js;
    pk_buf_init(&raw, (size_t)1 << 30);
    pk_buf_init(&norm, 0);
    pk_buf_init(&js, 0);
    pk_lm_tok *t = NULL;
    size_t n = 0;
    int status = 2;
    if (pk_lm_open(&m, argv[2], &e) || pk_source_slurp(argc == 4 ? argv[3] : "-", &raw, (size_t)1 << 30, &e)) {
        status = fail(&e);
        goto done;
    }
    if (pk_lm_normalize(raw.data ? raw.data : "", raw.len, &norm)) goto done;
    const char *s = norm.data ? norm.data : "";
    if (pk_lm_tokenize(m, s, norm.len, &t, &n, &e)) { status = fail(&e); goto done; }
    for (size_t i = 0; i < n; i++) {
        pk_buf_reset(&js);
        pk_buf_printf(&js, "{\"id\":%u,\"key\":%u,\"offset\":%u,\"text\":", t[i].id, t[i].key, t[i].off);
        pk_buf_json_str(&js, s + t[i].off, t[i].len);
        pk_buf_append(&js, "}\n", 2);
        fwrite(js.data, 1, js.len, stdout);
    }
    status = 0;
done:
    free(t);
    pk_buf_free(&raw);
    pk_buf_free(&norm);
    pk_buf_free(&js);
    pk_lm_close(m);
    return status;
}

static int cmd_canary_words(void)
{
    char w[5];
    for (unsigned c = 0; c < 4096; c++) {
        pk_canary_word(c, w);
        puts(w);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage();
    const char *c = argv[1];
    int rc;
    if (strcmp(c, "train") == 0) rc = cmd_train(argc, argv);
    else if (strcmp(c, "serve") == 0) rc = cmd_serve(argc, argv);
    else if (strcmp(c, "selftest") == 0) rc = cmd_selftest(argc, argv);
    else if (strcmp(c, "blind") == 0) rc = cmd_blind(argc, argv);
    else if (strcmp(c, "tokenize") == 0) rc = cmd_tokenize(argc, argv);
    else if (strcmp(c, "canary-words") == 0) rc = cmd_canary_words();
    else if (strcmp(c, "--help") == 0 || strcmp(c, "help") == 0) { fputs(usage_text, stdout); rc = 0; }
    else rc = usage();
    if (fflush(stdout) != 0 && rc == 0) rc = 2;
    return rc;
}
