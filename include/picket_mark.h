/* picket_mark.h -- per-recipient marks: `picket mark` and `picket trace`.
 *
 * A marked copy differs from the work only at choice points a reader does
 * not notice (apostrophe and dash forms, optional commas, equivalent
 * spellings, contractions in action lines ...).  Each choice point is
 * named by its content -- a hash of the channel and the words around it,
 * after picket's normalization -- so it is found again in an excerpt whose
 * offsets, line breaks and format changed.  The form chosen at each point
 * is a bit of the recipient's codeword: a keyed pseudo-random bit with a
 * per-point bias (1/2 in new registries, Tardos' arcsine biases in older
 * ones).  Trace reads the bits present in a
 * leak and scores every recipient of the work with the symmetric Tardos
 * score; it accuses only when a Chernoff bound on an innocent's score,
 * times the number of recipients scored, is at most alpha.  See mark.c. */
#ifndef PICKET_MARK_H
#define PICKET_MARK_H

#include "picket.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Channels (the "channel" of a choice point). */
enum {
    PK_MARK_APOS = 1, /* ' or U+2019 inside a word */
    PK_MARK_DASH,     /* -- or U+2014 */
    PK_MARK_ELLIPSIS, /* ... or U+2026 */
    PK_MARK_SPACE,    /* one or two spaces after a sentence */
    PK_MARK_COMMA,    /* "Then he" or "Then, he" */
    PK_MARK_SPELL,    /* toward/towards, okay/OK, someone/somebody ... */
    PK_MARK_CONTRACT, /* does not/doesn't ... (screenplay action only) */
    PK_MARK_QUOTE,    /* "..." or U+201C...U+201D, both marks of a pair alike */
    PK_MARK_BREAK,    /* a space or a line break between two sentences (screenplay action only) */
    PK_MARK_SERIAL,   /* "A, B, and C" or "A, B and C" */
    PK_MARK_CLAUSE,   /* "He turns, and she" or "He turns and she" */
    PK_MARK_INTRO,    /* "At the door, the" or "At the door the" */
    PK_MARK_CBREAK,   /* a space or a line break after a comma (screenplay action and dialogue; --dense only) */
    PK_MARK_WRAP,     /* a line wrapped where the page's width wraps it, or a word earlier (screenplay action
                       * and dialogue) */
    PK_MARK_NCONTRACT, /* does not/doesn't ... in prose narration, outside quotation marks */
    PK_MARK_DSPACE,    /* "A -- B" or "A--B": spaces around a dash, or none */
    PK_MARK_SUBCLAUSE, /* "When he came, she" or "When he came she" */
    PK_MARK_CONJ,      /* "He stood, and the door" or "He stood and the door" (where the work has the comma) */
    PK_MARK_PWRAP,     /* a line of a plain-text work's one-line paragraph wrapped as a screenplay's action
                        * (--dense only) */
    PK_MARK_ADVERB,    /* "Perhaps he" or "Perhaps, he": opening adverbs other than COMMA's */
    PK_MARK_THAT,      /* "knew that he" or "knew he" (prose narration) */
    PK_MARK_SPELL2,    /* gray/grey, until/till, backward/backwards ... */
    PK_MARK_CONTRACT2, /* must not/mustn't; he would/he'd, he will/he'll ... (screenplay action, prose narration) */
    PK_MARK_NCHANNELS
};
/* The channels a copy carries: a bit per channel.  Copies marked before
 * a channel existed do not carry it, and trace scores each recipient on
 * the channels of its own copy. */
#define PK_MARK_CHANNELS_V1 0x1FEu /* channels 1..8: copies marked before the mark table had a channels column */
#define PK_MARK_CHANNELS_V2 0x1FFEu /* channels 1..12: the default before line wrapping */
#define PK_MARK_CHANNELS_V3 (PK_MARK_CHANNELS_V2 | (1u << PK_MARK_WRAP)) /* the default before channels 15, 16 */
#define PK_MARK_CHANNELS_V4                                                                                      \
    (PK_MARK_CHANNELS_V3 | (1u << PK_MARK_NCONTRACT) | (1u << PK_MARK_DSPACE) |                                 \
     (1u << PK_MARK_SUBCLAUSE) | (1u << PK_MARK_CONJ)) /* the default before channels 20..23 */
#define PK_MARK_CHANNELS_ALL                                                                                     \
    (PK_MARK_CHANNELS_V4 | (1u << PK_MARK_ADVERB) | (1u << PK_MARK_THAT) |                                      \
     (1u << PK_MARK_SPELL2) | (1u << PK_MARK_CONTRACT2)) /* what a copy carries by default */
#define PK_MARK_CHANNELS_DENSE                                                                                   \
    (PK_MARK_CHANNELS_ALL | (1u << PK_MARK_CBREAK) | (1u << PK_MARK_PWRAP)) /* pk_mark_work(..., PK_MARK_DENSE) */
const char *pk_mark_channel_name(int channel);

/* One choice point as found in a text: its content hash, channel, the
 * form found there (bit), and the bytes [start, end) it occupies.  dep:
 * for a sentence-spacing point in screenplay action, the name of the line
 * break point at the same place (a copy with a break there has no spacing
 * to read; trace skips the point for such a recipient); else 0. */
typedef struct pk_mark_point {
    uint64_t ctx;
    uint64_t dep;
    size_t start, end;
    uint8_t channel;
    uint8_t bit;
    uint8_t naming; /* 0; in trace, PK_MARK_NAMING_OLD or _NEW when the name differs between the two namings */
    uint64_t alt;   /* a second name, from up to 5 words before the point in its sentence (3 at least; else 0) */
} pk_mark_point;
/* Canonical words changed with channels 20..23 ("that" before a subject is
 * no word; "grey", "he'd" ... read as "gray", "he would"): copies without
 * PK_MARK_NAMING_CHANNELS name their points the old way.  Trace reads a
 * leak both ways, and scores each recipient on the names of its copy. */
#define PK_MARK_NAMING_OLD 1
#define PK_MARK_NAMING_NEW 2
#define PK_MARK_NAMING_CHANNELS ((1u << PK_MARK_THAT) | (1u << PK_MARK_SPELL2) | (1u << PK_MARK_CONTRACT2))

/* The choice points of text[0..n).  format (PK_WORK_*) says which parts of
 * the bytes are markup or dialogue: for a work's own file, to choose where
 * marks go; PK_WORK_AUTO reads every channel everywhere (a leak).
 * *out is malloc'ed (free it), *np points. */
int pk_mark_points(const char *text, size_t n, int format, pk_mark_point **out, size_t *np, pk_error *err);

/* The codeword: keys derived from a registry's mark key and a copy's
 * secret.  cutoff: the Tardos bias cutoff t (biases in [t, 1-t]). */
typedef struct pk_mark_code {
    uint8_t bias_key[16];
    uint8_t bit_key[16];
    double cutoff;
    uint32_t channels; /* PK_MARK_CHANNELS_*: set to _ALL by init */
} pk_mark_code;
void pk_mark_code_init(pk_mark_code *c, const uint8_t mark_key[32], const uint8_t secret[32], double cutoff);
double pk_mark_bias(const pk_mark_code *c, uint64_t ctx);
int pk_mark_bit(const pk_mark_code *c, uint64_t ctx);

/* Write the n bytes of a work with every choice point set to the code's
 * bit into out (reset first).  *npoints: choice points set (may be NULL). */
int pk_mark_apply(const char *data, size_t n, int format, const pk_mark_code *code, pk_buf *out, size_t *npoints,
                  pk_error *err);

/* Score an observation (bits y at points with biases p) against a
 * codeword x: the symmetric Tardos score, and a Chernoff bound on the
 * probability that an innocent recipient (x_i ~ Bernoulli(p_i),
 * independent of y) scores at least as much. */
typedef struct pk_mark_obs {
    uint64_t ctx;
    uint8_t bit;
} pk_mark_obs;
double pk_mark_score(const double *p, const uint8_t *y, const uint8_t *x, size_t n);
double pk_mark_tail(const double *p, const uint8_t *y, size_t n, double score);

/* The decision of trace, without a registry (trace, tests, bench): pts,
 * the np points read from a leak, are filtered in place -- one reading per
 * name, names in known (sorted ascending; NULL: all) only, typographic
 * channels whose forms all read alike dropped -- and every code scored on
 * what its copy shows (its channels; a spacing point not where its copy
 * has a visible line break; where the leak's breaks were joined, each code
 * is scored twice, a joined break read as one space and as two).  The top
 * PK_TRACE_TOP recipients are in who[] by bound; accused when bound[0] =
 * candidates * p[0] <= alpha (<= 0: PK_MARK_ALPHA). */
#define PK_TRACE_TOP 5
typedef struct pk_mark_verdict {
    size_t used;       /* points scored */
    size_t candidates; /* the union bound's count: the codes, twice when the leak's line breaks were joined */
    size_t n;    /* entries in who[] */
    size_t who[PK_TRACE_TOP];
    uint32_t matches[PK_TRACE_TOP], points[PK_TRACE_TOP]; /* points: scored for that recipient */
    double score[PK_TRACE_TOP], p[PK_TRACE_TOP], bound[PK_TRACE_TOP];
    int accused;
} pk_mark_verdict;
int pk_mark_judge(pk_mark_point *pts, size_t np, const uint64_t *known, size_t nknown, const pk_mark_code *codes,
                  size_t ncodes, double alpha, pk_mark_verdict *v, pk_error *err);

/* Second names.  A typo in the five words after a point changes its name;
 * the words before it often survive.  pk_mark_alts: from a work's points,
 * the table second name -> name, sorted by alt, without the second names
 * that two different names share (*out malloc'ed).  pk_mark_resolve: a
 * leak's point whose name is not in known (sorted) but whose second name
 * is in alts takes the name it stands for (and, in trace, the new
 * naming's tag).  Which points are renamed depends on the leak and the
 * work only, never on a code.  Returns the count renamed. */
typedef struct pk_mark_alt {
    uint64_t alt, ctx;
} pk_mark_alt;
int pk_mark_alts(const pk_mark_point *pts, size_t np, pk_mark_alt **out, size_t *nout, pk_error *err);
size_t pk_mark_resolve(pk_mark_point *pts, size_t np, const uint64_t *known, size_t nknown, const pk_mark_alt *alts,
                       size_t nalts);

/* ---- with a registry -------------------------------------------------- */

#define PK_MARK_ALPHA 1e-6  /* default bound on accusing any innocent */
/* Default bias cutoff t for new registries: 0.5 makes every bit a fair
 * coin (the symmetric score is then agreements minus disagreements).
 * Registries made before 2026-11-28 keep the t = 0.2 they stored (Tardos
 * biases); docs/mark.md, "Why flat", says why. */
#define PK_MARK_CUTOFF 0.5
#define PK_MARK_CUTOFF_TARDOS 0.2 /* pk_mark_work(..., PK_MARK_TARDOS) */

typedef struct pk_mark_result {
    char mark_id[33];
    char work_id[256]; /* "" when the original is not a registered work */
    char sha256[65];   /* of the original */
    size_t points;     /* choice points marked */
    int existed;       /* the recipient already had a mark for this work */
    double cutoff;     /* the registry's bias cut-off: 0.5 flat, below it Tardos */
} pk_mark_result;

/* Mark data[0..n) (a work's file, name for the format by extension) for
 * recipient, recording the mark in r (one transaction); the copy in out.
 * flags: PK_MARK_DENSE adds line breaks after commas in a screenplay
 * and lays a plain-text work's one-line paragraphs out in lines of 58 to
 * 61 columns (denser, for short leaks, but a careful reader can see
 * ragged lines, and a prose copy is hard-wrapped).
 * A recipient marked before gets the same copy again, whatever flags. */
#define PK_MARK_DENSE 1u
/* PK_MARK_TARDOS: when this mark is the registry's first (it makes the
 * mark key), the registry's code takes Tardos biases (cut-off
 * PK_MARK_CUTOFF_TARDOS) instead of fair coins: a whole work then names
 * one of 3 colluders who compare copies point by point, and a short leak
 * needs about 5 more points.  Later marks keep the registry's code
 * (res->cutoff says which). */
#define PK_MARK_TARDOS 2u
int pk_mark_work(pk_registry *r, const char *name, const char *data, size_t n, int format, const char *recipient,
                 unsigned flags, pk_buf *out, pk_mark_result *res, pk_error *err);

typedef struct pk_trace_suspect {
    char recipient[256];
    char mark_id[33];
    char date[32];
    uint32_t matches; /* points where the leak has the recipient's bit */
    uint32_t points;  /* points scored for this recipient */
    double score;     /* symmetric Tardos score */
    double p;         /* bound on an innocent scoring this much */
    double bound;     /* p times the recipients scored */
} pk_trace_suspect;

typedef struct pk_trace_result {
    char work_id[256];
    char sha256[65];
    size_t points_read;  /* choice points found in the leak */
    size_t points_known; /* of them, points of the work, used */
    size_t points_work;  /* the work's choice points */
    size_t recipients;   /* scored */
    size_t candidates;   /* bound = p x candidates: recipients, x 2 when the leak's line breaks were joined */
    double alpha;
    int accused;         /* suspects[0] is named */
    size_t nsuspects;
    pk_trace_suspect suspects[PK_TRACE_TOP];
} pk_trace_result;

/* Trace the text of a leak (as a reader rendered it).  work: an id or
 * sha256 to restrict to, or NULL to take the marked work whose choice
 * points the leak holds most of.  alpha <= 0: PK_MARK_ALPHA.  Returns 0
 * also when nobody is accused (res->accused == 0); PK_ENOTFOUND when the
 * registry holds no marks. */
int pk_trace_text(pk_registry *r, const char *text, size_t n, const char *work, double alpha, pk_trace_result *res,
                  pk_error *err);

#ifdef __cplusplus
}
#endif
#endif
