/* serve.h -- pk-lm's HTTP server (serve.c). */
#ifndef PK_LM_SERVE_H
#define PK_LM_SERVE_H

#include "lm.h"

typedef struct lm_serve_opts {
    const char *host;       /* IPv4 address to listen on (default 127.0.0.1) */
    unsigned port;          /* 0: any free port */
    int api;                /* LM_API_* */
    const char *model_name; /* "id" in /v1/models and "model" in answers */
    unsigned fail_every;    /* every Nth POST fails (429, then 503, ...); 0: never */
    const char *ready_file; /* the port is written here once listening */
} lm_serve_opts;

/* Serve m until SIGINT or SIGTERM. */
int lm_serve(const pk_lm *m, const lm_serve_opts *o, pk_error *err);

#endif
