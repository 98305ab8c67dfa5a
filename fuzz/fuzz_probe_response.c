/* fuzz_probe_response.c -- the probe's readers of server responses.
 *
 * The first byte picks the shape (completion, completion with echo, chat,
 * llama.cpp); the rest is the body.  Whatever the bytes, the parser must
 * return 0 or PK_EFORMAT without crashing, leaking or reading out of
 * bounds, and a parse that succeeds must hold together: as many choices as
 * echoed prompts, each with a NUL-terminated text, log-probabilities that
 * are numbers exactly when has_lp says so, and mu/sigma only beside them.
 * Any broken invariant aborts. */
#include "probe/probe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int sel = data[0] & 3;
    const char *body = (const char *)data + 1;
    size_t n = size - 1;
    int kind = sel == 3 ? PK_PROBE_R_LLAMACPP : sel == 2 ? PK_PROBE_R_CHAT : PK_PROBE_R_COMPLETION;
    size_t echo[4] = {0, 3, 7, 40};
    size_t nprompt = 1 + (data[0] >> 2 & 3);
    pk_probe_resp r;
    memset(&r, 0, sizeof r);
    pk_error e;
    int rc = pk_probe_parse(kind, body, n, sel == 1 ? echo : NULL, nprompt, &r, &e);
    if (rc != 0 && rc != PK_EFORMAT && rc != PK_ENOMEM) abort();
    if (rc == 0) {
        if (r.nchoice == 0 || !r.choice) abort();
        if (sel == 1 && r.nchoice != nprompt) abort();
        for (size_t i = 0; i < r.nchoice; i++) {
            const pk_probe_out *o = &r.choice[i];
            if (!o->text) abort();
            (void)strlen(o->text);
            if (!o->has_lp && (o->ntok || o->mu)) abort();
            if ((o->mu == NULL) != (o->sigma == NULL)) abort();
            for (size_t k = 0; k < o->ntok; k++) {
                if (isnan(o->lp[k])) abort();
                if (o->mu && (isnan(o->mu[k]) || isnan(o->sigma[k]))) abort();
            }
        }
    } else if (r.choice || r.nchoice) abort(); /* nothing left behind on failure */
    pk_probe_resp_free(&r);
    return 0;
}
