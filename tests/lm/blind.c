/* blind.c -- the blind check of a membership test set (Das et al. 2024:
 * many membership benchmarks are solved by a classifier that never
 * queries the model, because members and non-members differ as text).
 *
 * Each document is normalized and tokenized as the model does (lm.h), its
 * keys (lower-cased words and punctuation) cut into passages of a fixed
 * number of tokens (a shorter tail is dropped unless the document has no
 * full passage).  Features: word unigrams and bigrams, hashed (XXH3) into
 * 2^18 buckets.  Classifier: multinomial naive Bayes with add-one
 * smoothing.  Cross-validation is by document (all passages of a document
 * in one fold, documents of each class dealt round-robin into folds after
 * a seeded shuffle), so a passage is never scored by a model that saw its
 * own document.  The score is the log-likelihood ratio; the AUC is the
 * Mann-Whitney statistic over all passages (ties count half).  Its 95%
 * interval: a cluster bootstrap, resampling documents of each class with
 * replacement (passages of a document are not independent), the 2.5 and
 * 97.5 percentiles of the resampled AUCs.  Everything is seeded: the same
 * inputs give the same figures. */
#include "blind.h"

#include "lm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define BUCKET_BITS 18
#define NBUCKET ((size_t)1 << BUCKET_BITS)

typedef struct passage {
    uint32_t doc, first, n; /* features feat[first, first+n) */
    int label;
    double score;
} passage;

typedef struct corpus {
    uint32_t *feat;
    size_t nfeat, cap;
    passage *ps;
    size_t nps, pcap;
    int *doc_label;
    unsigned *doc_fold;
    uint32_t *doc_first, *doc_count; /* passages of each document */
    size_t ndocs;
} corpus;

static int push_feat(corpus *c, uint32_t f)
{
    if (c->nfeat == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 1 << 16;
        uint32_t *n = realloc(c->feat, nc * sizeof *n);
        if (!n) return PK_ENOMEM;
        c->feat = n;
        c->cap = nc;
    }
    c->feat[c->nfeat++] = f;
    return 0;
}

static int add_doc(corpus *c, const char *path, int label, unsigned plen, pk_error *err)
{
    pk_buf raw, norm, key;
    pk_buf_init(&raw, (size_t)1 << 30);
    pk_buf_init(&norm, 0);
    pk_buf_init(&key, 0);
    pk_lm_span *sp = NULL;
    size_t ns = 0;
    uint64_t *kh = NULL;
    int rc;
    if ((rc = pk_source_slurp(path, &raw, (size_t)1 << 30, err))) goto done;
    if ((rc = pk_lm_normalize(raw.data ? raw.data : "", raw.len, &norm))) { rc = pk_fail(err, rc, "%s: too big", path); goto done; }
    const char *s = norm.data ? norm.data : "";
    if ((rc = pk_lm_split(s, norm.len, &sp, &ns, err))) { pk_error_prefix(err, "%s", path); goto done; }
    kh = malloc((ns ? ns : 1) * sizeof *kh);
    if (!kh) goto oom;
    size_t nk = 0;
    for (size_t i = 0; i < ns; i++) {
        if (sp[i].len == sp[i].ws) continue; /* trailing white space */
        if (pk_lm_keyform(s, &sp[i], &key)) goto oom;
        kh[nk++] = XXH3_64bits(key.data, key.len);
    }
    uint32_t d = (uint32_t)c->ndocs;
    size_t np = nk / plen;
    if (np == 0 && nk > 0) np = 1;
    c->doc_first[d] = (uint32_t)c->nps;
    for (size_t p = 0; p < np; p++) {
        size_t a = p * plen, b = p + 1 == np && nk < plen ? nk : a + plen;
        if (c->nps == c->pcap) {
            size_t nc = c->pcap ? c->pcap * 2 : 1024;
            passage *n = realloc(c->ps, nc * sizeof *n);
            if (!n) goto oom;
            c->ps = n;
            c->pcap = nc;
        }
        passage *ps = &c->ps[c->nps++];
        ps->doc = d;
        ps->label = label;
        ps->first = (uint32_t)c->nfeat;
        for (size_t i = a; i < b; i++) {
            if (push_feat(c, (uint32_t)(kh[i] & (NBUCKET - 1)))) goto oom;
            if (i > a && push_feat(c, (uint32_t)(XXH3_64bits_withSeed(&kh[i - 1], sizeof kh[i - 1], kh[i]) & (NBUCKET - 1))))
                goto oom;
        }
        ps->n = (uint32_t)(c->nfeat - ps->first);
        ps->score = 0;
    }
    c->doc_count[d] = (uint32_t)np;
    c->doc_label[d] = label;
    c->ndocs++;
    rc = 0;
    goto done;
oom:
    rc = pk_fail(err, PK_ENOMEM, "out of memory");
done:
    free(kh);
    free(sp);
    pk_buf_free(&raw);
    pk_buf_free(&norm);
    pk_buf_free(&key);
    return rc;
}

/* Weighted Mann-Whitney AUC over passages sorted by score (idx), each
 * passage counted w[doc] times. */
static double auc_weighted(const corpus *c, const uint32_t *idx, const double *w)
{
    double neg_below = 0, sum = 0, pos_total = 0, neg_total = 0;
    size_t i = 0;
    while (i < c->nps) {
        size_t j = i;
        double pos = 0, neg = 0;
        while (j < c->nps && c->ps[idx[j]].score == c->ps[idx[i]].score) {
            const passage *p = &c->ps[idx[j]];
            if (p->label) pos += w[p->doc];
            else neg += w[p->doc];
            j++;
        }
        sum += pos * (neg_below + 0.5 * neg);
        neg_below += neg;
        pos_total += pos;
        neg_total += neg;
        i = j;
    }
    return pos_total > 0 && neg_total > 0 ? sum / (pos_total * neg_total) : 0.5;
}

static int by_score(const void *a, const void *b, void *cv)
{
    const corpus *c = cv;
    double x = c->ps[*(const uint32_t *)a].score, y = c->ps[*(const uint32_t *)b].score;
    return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int lm_blind(char *const *members, size_t nm, char *const *nonmembers, size_t nn, const lm_blind_opts *o,
             lm_blind_result *res, pk_error *err)
{
    corpus c;
    memset(&c, 0, sizeof c);
    memset(res, 0, sizeof *res);
    uint32_t *cnt = NULL, *idx = NULL;
    double *w = NULL, *boots = NULL;
    size_t *order = NULL;
    int rc = 0;
    unsigned folds = o->folds ? o->folds : 5, plen = o->passage ? o->passage : 128;
    unsigned B = o->resamples ? o->resamples : 1000;
    size_t nd = nm + nn;
    if (nm < folds || nn < folds) return pk_fail(err, PK_EINVAL, "need at least %u documents of each kind", folds);
    c.doc_label = calloc(nd, sizeof *c.doc_label);
    c.doc_fold = calloc(nd, sizeof *c.doc_fold);
    c.doc_first = calloc(nd, sizeof *c.doc_first);
    c.doc_count = calloc(nd, sizeof *c.doc_count);
    cnt = calloc(2 * NBUCKET, sizeof *cnt);
    w = calloc(nd, sizeof *w);
    order = malloc(nd * sizeof *order);
    if (!c.doc_label || !c.doc_fold || !c.doc_first || !c.doc_count || !cnt || !w || !order) goto oom;
    for (size_t i = 0; i < nm; i++)
        if ((rc = add_doc(&c, members[i], 1, plen, err))) goto done;
    for (size_t i = 0; i < nn; i++)
        if ((rc = add_doc(&c, nonmembers[i], 0, plen, err))) goto done;
    /* Folds: a seeded shuffle of each class, dealt round-robin. */
    uint64_t rng = o->seed ? o->seed : 1;
    for (int label = 1; label >= 0; label--) {
        size_t k = 0;
        for (size_t d = 0; d < nd; d++)
            if (c.doc_label[d] == label) order[k++] = d;
        for (size_t i = k; i > 1; i--) {
            size_t j = (size_t)(pk_lm_rand(&rng) % i);
            size_t t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        for (size_t i = 0; i < k; i++) c.doc_fold[order[i]] = (unsigned)(i % folds);
    }
    for (unsigned f = 0; f < folds; f++) {
        memset(cnt, 0, 2 * NBUCKET * sizeof *cnt);
        double tot[2] = {0, 0};
        for (size_t i = 0; i < c.nps; i++) {
            const passage *p = &c.ps[i];
            if (c.doc_fold[p->doc] == f) continue;
            for (uint32_t k = 0; k < p->n; k++) cnt[(size_t)p->label * NBUCKET + c.feat[p->first + k]]++;
            tot[p->label] += p->n;
        }
        double l1 = log(tot[1] + NBUCKET), l0 = log(tot[0] + NBUCKET);
        for (size_t i = 0; i < c.nps; i++) {
            passage *p = &c.ps[i];
            if (c.doc_fold[p->doc] != f) continue;
            double s = 0;
            for (uint32_t k = 0; k < p->n; k++) {
                uint32_t b = c.feat[p->first + k];
                s += log(cnt[NBUCKET + b] + 1.0) - l1 - log(cnt[b] + 1.0) + l0;
            }
            p->score = s;
        }
    }
    idx = malloc((c.nps ? c.nps : 1) * sizeof *idx);
    boots = malloc(B * sizeof *boots);
    if (!idx || !boots) goto oom;
    for (size_t i = 0; i < c.nps; i++) idx[i] = (uint32_t)i;
    qsort_r(idx, c.nps, sizeof *idx, by_score, &c);
    for (size_t d = 0; d < nd; d++) w[d] = 1;
    res->auc = auc_weighted(&c, idx, w);
    /* Cluster bootstrap over documents, within each class. */
    size_t km = 0, kn = 0;
    for (size_t d = 0; d < nd; d++) {
        if (c.doc_label[d]) order[km++] = d;
    }
    for (size_t d = 0; d < nd; d++) {
        if (!c.doc_label[d]) order[km + kn++] = d;
    }
    for (unsigned b = 0; b < B; b++) {
        memset(w, 0, nd * sizeof *w);
        for (size_t i = 0; i < km; i++) w[order[pk_lm_rand(&rng) % km]] += 1;
        for (size_t i = 0; i < kn; i++) w[order[km + pk_lm_rand(&rng) % kn]] += 1;
        boots[b] = auc_weighted(&c, idx, w);
    }
    qsort(boots, B, sizeof *boots, cmp_double);
    res->lo = boots[(size_t)floor(0.025 * (B - 1))];
    res->hi = boots[(size_t)ceil(0.975 * (B - 1))];
    for (size_t d = 0; d < nd; d++) {
        res->docs[c.doc_label[d]]++;
        res->passages[c.doc_label[d]] += c.doc_count[d];
    }
    goto done;
oom:
    rc = pk_fail(err, PK_ENOMEM, "out of memory");
done:
    free(c.feat);
    free(c.ps);
    free(c.doc_label);
    free(c.doc_fold);
    free(c.doc_first);
    free(c.doc_count);
    free(cnt);
    free(idx);
    free(w);
    free(boots);
    free(order);
    return rc;
}
