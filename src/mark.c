/* mark.c -- per-recipient marks carried in the wording of a copy.
 *
 * A choice point is a place where two forms read the same to a person:
 * ' or U+2019 inside a word, -- or U+2014 and spaces around it or none,
 * ... or U+2026, one or two spaces after a sentence, optional commas
 * (after a sentence-initial adverb; serial; before a conjunction; after a
 * short introductory phrase or clause), equivalent spellings
 * (toward/towards, okay/OK, all right/alright, someone/somebody, gray/grey
 * ...), contractions (does not/doesn't) in screenplay action and in prose
 * narration outside quotation marks (classify_narration()), "that" after a
 * verb of saying or knowing in that narration (that_point()), and in
 * screenplay action a line break or a space between two sentences:
 * dialogue is the writer's voice and keeps its own words.  A line break
 * survives PDF rendering, where spacing does not: renderers wrap
 * greedily, so in extracted text a sentence-ending line the next word
 * would have fitted on was broken by hand (broken_by_hand()).
 * The wrapping of a line of action or dialogue is a choice as well: a
 * copy is laid out for every usual page width at once and ends a line
 * where all of them end it, or a word earlier (wrap_layout(), read back
 * by read_wraps()); so is a plain-text work's paragraph written on one
 * line, at action widths (prose_line()).
 * Picket's normalizer ignores every one of these differences, so the
 * fingerprints of every copy are the work's.
 *
 * A point is named by content, not offset: ctx = hash(channel, the word at
 * the point, up to CTX_WORDS following words in the same sentence), over
 * canonical forms (the variants of a point map to one form, and a "that"
 * before he/she/we/they/I is no word, so the bit of one point never
 * changes another's name).  Context stops at . ! ? and
 * U+2026, a blank line, a line with no lowercase letter (a cue, a heading,
 * a page number after PDF extraction) and markup that holds words.  So an
 * excerpt, a re-wrap or a PDF round trip finds the same names; a typo
 * inside a context loses that point rather than flipping it.
 *
 * The form at a point is one bit of the recipient's codeword, as in a
 * Tardos code: p = bias(ctx) from the arcsine density cut to [t, 1-t]
 * (SipHash keyed by the registry's mark key), x = [SipHash(k_j, ctx) <
 * p], k_j derived from the copy's secret.  New registries take t = 1/2,
 * p = 1/2 everywhere: fewer points name a single leaker and 2 colluders
 * (docs/mark.md, "Why flat"); older ones keep the t = 0.2 they stored,
 * and mark --tardos asks for it on a registry's first mark.
 * Two points with the same name
 * get the same bit, so a work's repeated phrases stay consistent.
 *
 * Trace reads (ctx, bit) from the leak, keeps the points the marked work
 * has (the table mark_points), drops a typographic channel whose forms all
 * read alike (it died in the leak: quotes straightened, spaces collapsed),
 * and computes for every recipient, on what its copy shows (the channels
 * it was marked with; spacing only where its copy has no line break, which
 * its own secret decides; when the leak shows no break at all, a re-wrap
 * joined them, and each recipient is scored twice, a joined break read as
 * one space and as two), the symmetric Tardos score
 *   S_j = sum_i U(y_i, x_ji, p_i),  U = +sqrt((1-p)/p) when y = x = 1,
 *   -sqrt(p/(1-p)) when y = 1, x = 0, and symmetrically for y = 0.
 * For an innocent j the x_ji are independent of the leak (they come from
 * j's secret, which the leak never saw), so S_j is a sum of independent
 * two-valued variables with known laws, and the Chernoff bound
 *   P(S_j >= s) <= min_l exp(-l s) prod_i E exp(l U_i)
 * is exact to compute.  Trace accuses the top recipient only when that
 * bound times the number of recipients scored is <= alpha (1e-6): a union
 * bound (over the candidates: recipients, twice when breaks were
 * joined), so the chance that any innocent is named is at most alpha, for
 * any leak, colluders' mixes included.  The work is chosen from the leak's
 * point names alone, which do not depend on any codeword. */
#include "picket_mark.h"
#include "pk.h"

#include <math.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CTX_WORDS 5
/* The page widths a screenplay's lines are laid out for (wrap_layout()). */
#define WRAP_ACTION_MIN 58
#define WRAP_ACTION_MAX 61
#define WRAP_VOICE_MIN 35
#define WRAP_VOICE_MAX 36
#define MAX_POINTS ((size_t)1 << 24)

/* Byte classes of a work's file (mark side). */
enum {
    C_NONE = 0,   /* not text: title page, headings, cues; words there stop context */
    C_VOICE = 1,  /* dialogue: typographic channels only */
    C_PROSE = 2,  /* narration: + commas and spellings */
    C_ACTION = 3, /* screenplay action: + contractions */
    C_MARKUP = 4, /* tags: invisible, as a space */
    C_NARR = 5    /* prose narration outside quotation marks: C_PROSE + contractions (classify_narration()) */
};

const char *pk_mark_channel_name(int ch)
{
    static const char *names[] = {"?",        "apostrophe", "dash",         "ellipsis",     "space",
                                  "comma",    "spelling",   "contraction",  "quotes",       "line break",
                                  "serial comma", "clause comma", "intro comma", "comma break", "wrap",
                                  "narration contraction", "dash spacing", "clause-intro comma",
                                  "conjunction comma", "prose wrap", "adverb comma", "that", "spelling 2",
                                  "contraction 2"};
    return ch > 0 && ch < PK_MARK_NCHANNELS ? names[ch] : "?";
}

/* ---- canonical words ---------------------------------------------------- */

typedef struct variant {
    const char *a, *b;   /* form 0, form 1 (lowercase; b may be "OK") */
    const char *canon;   /* canonical words, space separated */
} variant;

static const variant spellings[] = {
    {"toward", "towards", "toward"},        {"afterward", "afterwards", "afterward"},
    {"okay", "OK", "okay"},                 {"all right", "alright", "all right"},
    {"someone", "somebody", "someone"},     {"anyone", "anybody", "anyone"},
    {"everyone", "everybody", "everyone"},
};
/* More spellings, a channel of their own (PK_MARK_SPELL2) so that copies
 * made before them are scored without them.  Forms a US reader takes in
 * his stride; no British-only form (learnt, amongst, whilst).  "till" is
 * no point after a determiner ("the till"), and a capitalized form only
 * opens a sentence ("Gray" is a name). */
static const variant spellings2[] = {
    {"gray", "grey", "gray"},           {"until", "till", "until"},         {"backward", "backwards", "backward"},
    {"upward", "upwards", "upward"},    {"downward", "downwards", "downward"}, {"inward", "inwards", "inward"},
    {"outward", "outwards", "outward"}, {"dreamed", "dreamt", "dreamed"},   {"leaped", "leapt", "leaped"},
    {"some day", "someday", "some day"},
};
static const variant contractions[] = {
    {"does not", "doesn't", "does not"}, {"do not", "don't", "do not"},       {"did not", "didn't", "did not"},
    {"is not", "isn't", "is not"},       {"are not", "aren't", "are not"},     {"was not", "wasn't", "was not"},
    {"were not", "weren't", "were not"}, {"has not", "hasn't", "has not"},     {"have not", "haven't", "have not"},
    {"could not", "couldn't", "could not"}, {"would not", "wouldn't", "would not"}, {"cannot", "can't", "cannot"},
    {"will not", "won't", "will not"},   {"should not", "shouldn't", "should not"}, {"had not", "hadn't", "had not"},
    /* from here on, a contracted original is ambiguous ("he's" is also
     * "he has") or cannot end a sentence: only a full form followed by a
     * lowercase word is a choice point (FULL_ONLY) */
    {"it is", "it's", "it is"},          {"he is", "he's", "he is"},           {"she is", "she's", "she is"},
    {"that is", "that's", "that is"},    {"there is", "there's", "there is"},  {"they are", "they're", "they are"},
    {"we are", "we're", "we are"},       {"you are", "you're", "you are"},     {"I am", "I'm", "I am"},
};
#define FULL_ONLY 15 /* contractions[FULL_ONLY..] */
static const char *adverbs[] = {"Then", "Now", "Still", "Suddenly", "Finally", "Slowly", "Later", "Meanwhile",
                                "Outside", "Inside", "Instead", "Again", "Soon", "Eventually", "Quietly", "Carefully",
                                "Together", "Nearby", "Somewhere", "Behind", "Across", "Downstairs", "Upstairs",
                                "Abruptly", "Gradually", "Briefly", "Silently", "Nervously", "Immediately", "Instantly",
                                "Sometimes", "Usually", "Otherwise", "Afterward", "Tonight", "Today", "Moments later",
                                "At last", "In the end", "For a moment", "Without a word", "After a moment"};
/* More opening adverbs (PK_MARK_ADVERB): a point only before one of
 * determiners ("Perhaps he", "Apparently the").  Not "However" ("However
 * he tried"), "Once" (a subordinator), "After all" ("After all he had
 * done"), nor a phrase that opens with one of intro_preps (an intro
 * comma point). */
static const char *adverbs2[] = {"Perhaps", "Probably", "Maybe", "Therefore", "Certainly", "Naturally", "Surely",
                                 "Obviously", "Unfortunately", "Fortunately", "Actually", "Anyway", "Luckily",
                                 "Apparently", "Clearly", "Evidently", "Somehow", "Presently", "Occasionally",
                                 "Often", "Lately", "Recently", "Nevertheless", "Yesterday", "Tomorrow", "Thus",
                                 "Indeed", "Undoubtedly", "Someday", "Already", "Of course", "Even so", "Even then",
                                 "Even now", "Just then", "Last night", "That night", "That evening", "This time",
                                 "Next morning", "The next day", "The next morning", "All the same", "Long ago",
                                 "All at once", "Years later", "Minutes later", "Hours later", "A moment later"};
/* Verbs (and adjectives) a clause follows with "that" or without it:
 * "knew that he" / "knew he" (PK_MARK_THAT). */
static const char *that_verbs[] = {"said", "knew", "thought", "felt", "believed", "realized", "realised", "guessed",
                                   "hoped", "decided", "suspected", "supposed", "noticed", "admitted", "figured",
                                   "wished", "understood", "remembered", "promised", "sensed", "discovered",
                                   "learned", "found", "heard", "saw", "insisted", "claimed", "explained", "agreed",
                                   "swore", "doubted", "pretended", "assumed", "concluded", "imagined", "reckoned",
                                   "announced", "say", "says", "know", "knows", "think", "thinks", "feel", "feels",
                                   "believe", "hope", "suppose", "guess", "wish", "remember", "realize", "sure",
                                   "afraid", "glad", "certain", "sorry"};
/* More contractions (PK_MARK_CONTRACT2), where contractions are points.
 * From FULL2_ONLY on, only a full form followed by a lowercase word other
 * than "not" ("he would not" is no "he'd not"), as FULL_ONLY: "he'd" may
 * be "he had". */
static const variant contractions2[] = {
    {"must not", "mustn't", "must not"},
    {"he would", "he'd", "he would"},    {"she would", "she'd", "she would"}, {"they would", "they'd", "they would"},
    {"we would", "we'd", "we would"},    {"I would", "I'd", "I would"},       {"you would", "you'd", "you would"},
    {"he will", "he'll", "he will"},     {"she will", "she'll", "she will"},  {"they will", "they'll", "they will"},
    {"we will", "we'll", "we will"},     {"I will", "I'll", "I will"},        {"you will", "you'll", "you will"},
};
#define FULL2_ONLY 1
/* Adverbs that are also prepositions ("Behind the door, he"): a comma
 * after them is a point only where the original has one. */
static const char *prep_adverbs[] = {"Behind", "Across", "Outside", "Inside", "Downstairs", "Upstairs", "Nearby",
                                     "Together", "Somewhere"};
/* An introductory phrase "At the stern, the doors": one of these, 2 to 4
 * words, a comma, then a word that cannot continue the phrase. */
static const char *intro_preps[] = {"At", "In", "On", "By", "With", "After", "Before", "During", "For", "From",
                                    "Under", "Behind", "Across", "Inside", "Outside", "Through", "Over", "Along",
                                    "Near", "Beyond", "Past", "Above", "Below", "Beside", "Among", "Against",
                                    "Around", "Within", "Without", "Until", "Since", "Beneath", "Toward", "Towards"};
/* An introductory clause "When he came, she": one of these, 2 to 6
 * words, a comma, then one of clause_subjects (intro_point() says why).
 * ("After", "Before", "Since" and "Until" open phrases as well:
 * intro_preps has them.) */
static const char *subordinators[] = {"When", "If", "As", "Although", "Though", "While", "Because", "Once",
                                      "Unless", "Whenever", "Wherever"};
static const char *clause_subjects[] = {"he", "she", "we", "they", "I"};
static const char *subjects[] = {"he", "she", "it", "they", "we", "I", "you", "there", "then"};
static const char *determiners[] = {"the", "a", "an", "he", "she", "it", "they", "we", "I", "you", "his", "her",
                                    "their", "its", "our", "my", "your", "this", "these", "those", "there"};
/* Ends of abbreviations: no line break after them ("Mr. Smith"). */
static const char *abbreviations[] = {"mr", "mrs", "ms", "dr", "st", "jr", "sr", "mt", "ft", "lt", "col", "gen",
                                      "sgt", "capt", "cpl", "rev", "prof", "vs", "etc", "inc", "ltd", "co", "no",
                                      "vol", "pp", "ca", "cf", "al", "ave", "blvd", "rd", "approx", "dept", "est",
                                      "fig", "ed", "eds", "op", "pt", "sq", "gov", "sen", "rep", "hon", "messrs"};
/* Conjunctions: no comma break before one, and no line wrapped before
 * one (a comma may be added there) */
static const char *conjunctions[] = {"and", "or", "but", "so", "yet", "nor"};
/* "but" after these is a preposition ("nothing but he"): no comma there */
static const char *but_prep[] = {"all", "nothing", "nobody", "anyone", "none", "everyone", "everything",
                                 "anything", "one", "last", "first", "next", "everybody", "anybody", "somebody",
                                 "someone", "who", "something", "each", "any", "no"};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t mix(uint64_t h, uint64_t x)
{
    h ^= x + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 29;
    return h;
}

static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_lower(int c) { return c >= 'a' && c <= 'z'; }
static int is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static int is_digit(int c) { return c >= '0' && c <= '9'; }

/* U+2019 (right single quote) at p? */
static int at_rsquo(const unsigned char *s, size_t n, size_t i)
{
    return i + 2 < n && s[i] == 0xE2 && s[i + 1] == 0x80 && s[i + 2] == 0x99;
}
/* Any U+2000..U+206F punctuation (E2 80..81 xx): not part of a word. */
static int at_genpunct(const unsigned char *s, size_t n, size_t i)
{
    return i + 2 < n && s[i] == 0xE2 && (s[i + 1] == 0x80 || s[i + 1] == 0x81);
}

/* A word character: ASCII letter or digit, or a byte of a non-ASCII
 * character that is not general punctuation.  *len: bytes it takes. */
static int word_char(const unsigned char *s, size_t n, size_t i, size_t *len)
{
    *len = 1;
    if (s[i] < 0x80) return is_alpha(s[i]) || is_digit(s[i]);
    if (at_genpunct(s, n, i)) return *len = 3, 0;
    if (s[i] == 0xC2 && i + 1 < n && s[i + 1] == 0xA0) return *len = 2, 0; /* NBSP */
    return 1;
}

/* Lowercase ASCII of a word without apostrophes into buf (cap); 0 if it
 * does not fit or holds non-ASCII. */
static size_t word_key(const unsigned char *s, size_t a, size_t b, char *buf, size_t cap)
{
    size_t k = 0;
    for (size_t i = a; i < b; i++) {
        if (s[i] == '\'') continue;
        if (at_rsquo(s, b, i)) { i += 2; continue; }
        if (s[i] >= 0x80 || k + 1 >= cap) return 0;
        buf[k++] = (char)(s[i] | (is_upper(s[i]) ? 0x20 : 0));
    }
    buf[k] = 0;
    return k;
}

static int key_eq(const char *key, const char *form)
{
    for (; *key && *form; key++, form++) {
        char f = *form == '\'' ? *++form : *form;
        if (f >= 'A' && f <= 'Z') f = (char)(f | 0x20);
        if (*key != f) return 0;
    }
    return *key == 0 && *form == 0;
}

static uint64_t str_hash(const char *s) { return pk_word_hash(s, strlen(s)); }

/* ---- scanning ----------------------------------------------------------- */

typedef struct mword {
    size_t s, e;
    uint64_t h[2];
    uint8_t nh;
} mword;

typedef struct scan {
    const unsigned char *s;
    size_t n;
    uint8_t *cls; /* NULL: a leak, every channel everywhere */
    mword *w;
    size_t nw, wcap;
    pk_mark_point *pt;
    size_t np, pcap;
    int unwrapped; /* a leak whose lines were never wrapped (see broken_by_hand()) */
    int ungreedy;  /* a leak wrapped by a tool that does not fill lines (fmt): its line ends say nothing */
    int rendered;  /* a leak with no line wider than the widest page (read_wraps()) */
    int breaks;  /* line breaks are choice points: a Fountain work, or a leak */
    int prose_wrap; /* a plain-text work: a paragraph on one line is laid out (prose_line()) */
    size_t line_a, line_e; /* prose_line()'s cache: the line [line_a, line_e) */
    int line_ok;
    size_t nb_a, nb_at; /* no_break_here()'s cache: its line's start, where it counted to */
    unsigned nb_star, nb_under;
    int nb_paren, nb_valid;
    uint32_t channels; /* the copy's channels (PK_MARK_CHANNELS_*): which channel owns an apostrophe */
} scan;

static int cls_at(const scan *sc, size_t i) { return sc->cls ? sc->cls[i] : C_ACTION; }
/* Is channel ch looked for?  A leak: every channel.  A work's file: the
 * channels of the copy (one made before a channel is laid out as before:
 * its points would keep wrap points away). */
static int chan_on(const scan *sc, int ch) { return !sc->cls || (sc->channels >> ch & 1); }

/* Does the gap text[a..b) end a sentence or block? */
static int gap_stops(const scan *sc, size_t a, size_t b)
{
    const unsigned char *s = sc->s;
    for (size_t i = a; i < b && i < sc->n; i++) {
        unsigned char c = s[i];
        if (c == '.' || c == '!' || c == '?') return 1;
        if (c == 0xE2 && i + 2 < sc->n && s[i + 1] == 0x80 && s[i + 2] == 0xA6) return 1;
        if (sc->cls && sc->cls[i] == C_NONE && (is_alpha(c) || is_digit(c))) return 1;
        if (c == '\n') {
            size_t j = i + 1;
            while (j < sc->n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r')) j++;
            if (j >= sc->n || s[j] == '\n') return 1;
            int lower = 0;
            for (size_t k = j; k < sc->n && s[k] != '\n'; k++)
                if (is_lower(s[k]) || s[k] >= 0x80) { lower = 1; break; }
            if (!lower) return 1;
        }
    }
    return 0;
}

static int push_word(scan *sc, size_t a, size_t b)
{
    if (sc->nw == sc->wcap) {
        size_t nc = sc->wcap ? sc->wcap * 2 : 1024;
        if (nc > MAX_POINTS * 4) return PK_ETOOBIG;
        mword *nw = realloc(sc->w, nc * sizeof *nw);
        if (!nw) return PK_ENOMEM;
        sc->w = nw, sc->wcap = nc;
    }
    mword *w = &sc->w[sc->nw++];
    w->s = a, w->e = b, w->nh = 1;
    char key[32];
    const char *canon = NULL;
    if (word_key(sc->s, a, b, key, sizeof key)) {
        for (size_t i = 0; i < NELEM(spellings) && !canon; i++)
            if (strchr(spellings[i].b, ' ') == NULL && key_eq(key, spellings[i].b)) canon = spellings[i].canon;
        for (size_t i = 0; i < NELEM(spellings2) && !canon && (sc->channels >> PK_MARK_SPELL2 & 1); i++)
            if (strchr(spellings2[i].b, ' ') == NULL && key_eq(key, spellings2[i].b)) canon = spellings2[i].canon;
        for (size_t i = 0; i < NELEM(contractions) && !canon; i++)
            if (key_eq(key, contractions[i].b)) canon = contractions[i].canon;
        int apos = memchr(sc->s + a, '\'', b - a) || memmem(sc->s + a, b - a, "\xE2\x80\x99", 3); /* not "well" */
        for (size_t i = 0; i < NELEM(contractions2) && !canon && apos && (sc->channels >> PK_MARK_CONTRACT2 & 1); i++)
            if (key_eq(key, contractions2[i].b)) canon = contractions2[i].canon;
    }
    if (canon) {
        const char *sp = strchr(canon, ' ');
        if (sp) {
            w->h[0] = pk_word_hash(canon, (size_t)(sp - canon));
            w->h[1] = str_hash(sp + 1);
            w->nh = 2;
        } else
            w->h[0] = str_hash(canon);
    } else
        w->h[0] = pk_word_hash((const char *)sc->s + a, b - a);
    return 0;
}

static size_t that_subject(const unsigned char *s, size_t n, size_t j);

static int find_words(scan *sc)
{
    const unsigned char *s = sc->s;
    size_t i = 0, len;
    while (i < sc->n) {
        if (!word_char(s, sc->n, i, &len) || (sc->cls && (sc->cls[i] == C_NONE || sc->cls[i] == C_MARKUP))) {
            i += len;
            continue;
        }
        size_t a = i;
        for (;;) {
            while (i < sc->n && word_char(s, sc->n, i, &len) && !(sc->cls && sc->cls[i] == C_MARKUP)) i += len;
            /* an apostrophe between letters joins */
            if (i + 1 < sc->n && s[i] == '\'' && is_alpha(s[i + 1])) { i += 1; continue; }
            if (at_rsquo(s, sc->n, i) && i + 3 < sc->n && is_alpha(s[i + 3])) { i += 3; continue; }
            break;
        }
        int rc = push_word(sc, a, i);
        if (rc) return rc;
    }
    /* "that he": "he" (that_subject()); in a copy made before the channel
     * as it was, so that marking it again writes the same copy */
    for (size_t k = 0; k + 1 < sc->nw && (sc->channels >> PK_MARK_THAT & 1); k++)
        if (sc->w[k].e - sc->w[k].s == 4 && that_subject(s, sc->n, sc->w[k].s) == sc->w[k + 1].s) sc->w[k].nh = 0;
    return 0;
}

/* Index of the first word starting at or after off. */
static size_t word_after(const scan *sc, size_t off)
{
    size_t lo = 0, hi = sc->nw;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sc->w[mid].s < off) lo = mid + 1; else hi = mid;
    }
    return lo;
}
/* Index of the word containing or ending before off, or SIZE_MAX. */
static size_t word_before(const scan *sc, size_t off)
{
    size_t i = word_after(sc, off + 1);
    return i == 0 ? SIZE_MAX : i - 1;
}

static uint64_t context(const scan *sc, int ch, uint64_t self, size_t anchor)
{
    uint64_t h = mix(mix(0x7069636b65746dull, (uint64_t)ch), self);
    size_t i = word_after(sc, anchor), prev = anchor;
    unsigned got = 0;
    while (i < sc->nw && got < CTX_WORDS) {
        if (gap_stops(sc, prev, sc->w[i].s)) break;
        for (unsigned k = 0; k < sc->w[i].nh && got < CTX_WORDS; k++) h = mix(h, sc->w[i].h[k]), got++;
        prev = sc->w[i].e;
        i++;
    }
    return mix(h, got);
}

/* The second name of a point at a: from up to CTX_WORDS words before it in
 * its sentence (not the word that holds a), last first; 0 with fewer than
 * 3 (too common a name to stand for one point). */
static uint64_t context_before(const scan *sc, int ch, uint64_t self, size_t a)
{
    uint64_t h = mix(mix(0x7069636b6574616cull, (uint64_t)ch), self);
    size_t i = word_after(sc, a), next = a;
    unsigned got = 0;
    while (i > 0 && got < CTX_WORDS) {
        const mword *w = &sc->w[i - 1];
        i--;
        if (w->e > a) { next = w->s; continue; } /* the word holding a */
        if (gap_stops(sc, w->e, next)) break;
        for (unsigned k = w->nh; k > 0 && got < CTX_WORDS; k--) h = mix(h, w->h[k - 1]), got++;
        next = w->s;
    }
    return got >= 3 ? mix(h, got) : 0;
}

static int push_point(scan *sc, int ch, size_t a, size_t b, int bit, uint64_t self, size_t anchor)
{
    if (sc->np == sc->pcap) {
        size_t nc = sc->pcap ? sc->pcap * 2 : 256;
        if (nc > MAX_POINTS) return PK_ETOOBIG;
        pk_mark_point *np = realloc(sc->pt, nc * sizeof *np);
        if (!np) return PK_ENOMEM;
        sc->pt = np, sc->pcap = nc;
    }
    pk_mark_point *p = &sc->pt[sc->np++];
    p->ctx = context(sc, ch, self, anchor);
    p->dep = 0;
    p->start = a, p->end = b;
    p->channel = (uint8_t)ch;
    p->bit = (uint8_t)bit;
    p->naming = 0;
    p->alt = context_before(sc, ch, self, a);
    return 0;
}

/* A double quote at i: 1 for ", 3 for U+201C or U+201D, else 0. */
static int at_dquote(const unsigned char *s, size_t n, size_t i)
{
    if (s[i] == '"') return 1;
    return i + 2 < n && s[i] == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0x9C || s[i + 2] == 0x9D) ? 3 : 0;
}

/* An opening double quote at i (after a space, a line start or a
 * bracket, before a letter) and its closing quote before the next blank
 * line: a pair, both points named by the words inside.  Returns the
 * opening quote's length, 0 when there is no pair. */
static int quote_pair(scan *sc, size_t i, int *rc)
{
    const unsigned char *s = sc->s;
    size_t n = sc->n;
    int q = at_dquote(s, n, i);
    if (!q || (i > 0 && s[i - 1] != ' ' && s[i - 1] != '\n' && s[i - 1] != '(' && s[i - 1] != '\t')) return 0;
    if (!(i + (size_t)q < n && (is_alpha(s[i + (size_t)q]) || s[i + (size_t)q] >= 0x80))) return 0;
    if (q == 3 && s[i + 2] != 0x9C) return 0;
    for (size_t j = i + (size_t)q; j < n; j++) {
        if (s[j] == '\n' && j + 1 < n && s[j + 1] == '\n') return 0;
        if (sc->cls && sc->cls[j] == C_NONE) return 0;
        int c = at_dquote(s, n, j);
        if (!c) continue;
        if (c == 3 && s[j + 2] != 0x9D) return 0;
        if (j == i + (size_t)q) return 0;
        if ((*rc = push_point(sc, PK_MARK_QUOTE, i, i + (size_t)q, q == 3, 0, i + (size_t)q))) return q;
        uint64_t ctx = sc->pt[sc->np - 1].ctx;
        if ((*rc = push_point(sc, PK_MARK_QUOTE, j, j + (size_t)c, c == 3, 0, i + (size_t)q))) return q;
        sc->pt[sc->np - 1].ctx = ctx;
        return q;
    }
    return 0;
}

/* Match form (lowercase, may hold one space and an apostrophe) at s[i]
 * case-insensitively on word boundaries; the length matched or 0.  A
 * space in the form matches one space. */
static size_t match_form(const scan *sc, size_t i, const char *form)
{
    const unsigned char *s = sc->s;
    size_t n = sc->n, j = i, len;
    if (i > 0 && (word_char(s, n, i - 1, &len) || s[i - 1] == '\'')) return 0;
    if (i >= 3 && at_rsquo(s, n, i - 3)) return 0;
    for (const char *f = form; *f; f++) {
        if (j >= n) return 0;
        if (*f == '\'') {
            if (s[j] == '\'') j++;
            else if (at_rsquo(s, n, j)) j += 3;
            else return 0;
            continue;
        }
        int c = s[j];
        if (is_upper(c)) c |= 0x20;
        char fc = *f >= 'A' && *f <= 'Z' ? (char)(*f | 0x20) : *f;
        if (c != fc) return 0;
        j++;
    }
    if (j < n && (word_char(s, n, j, &len) || s[j] == '\'' || at_rsquo(s, n, j))) {
        if (!(s[j] == '\'' || at_rsquo(s, n, j))) return 0;
        /* someone's: fine; don't'x: not */
        size_t k = j + (s[j] == '\'' ? 1 : 3);
        if (strchr(form, '\'') || !(k < n && is_alpha(s[k]))) return 0;
    }
    return j - i;
}


/* ---- optional commas and line breaks -------------------------------------- */

/* End of the plain word at i (ASCII letters and digits, inner apostrophes
 * and hyphens), or i when none starts there. */
static size_t plain_word(const unsigned char *s, size_t n, size_t i)
{
    size_t j = i;
    while (j < n && (is_alpha(s[j]) || is_digit(s[j]) ||
                     ((s[j] == '\'' || s[j] == '-') && j > i && j + 1 < n && is_alpha(s[j + 1]))))
        j++;
    return j;
}

static int word_is(const unsigned char *s, size_t a, size_t b, const char *const *list, size_t nl)
{
    for (size_t k = 0; k < nl; k++)
        if (strlen(list[k]) == b - a && memcmp(s + a, list[k], b - a) == 0) return 1;
    return 0;
}

static int word_is_nocase(const unsigned char *s, size_t a, size_t b, const char *const *list, size_t nl)
{
    for (size_t k = 0; k < nl; k++)
        if (strlen(list[k]) == b - a && strncasecmp((const char *)s + a, list[k], b - a) == 0) return 1;
    return 0;
}

/* Hash of the plain word [a, b) as picket's words are hashed. */
static uint64_t plain_hash(const scan *sc, size_t a)
{
    size_t w = word_after(sc, a);
    return w < sc->nw && sc->w[w].s == a ? sc->w[w].h[0] : 0;
}

/* Does the line holding i have a lowercase letter from i on? */
static int line_has_lower(const unsigned char *s, size_t n, size_t i)
{
    for (; i < n && s[i] != '\n'; i++)
        if (is_lower(s[i])) return 1;
    return 0;
}

static size_t chars(const unsigned char *s, size_t a, size_t b)
{
    size_t k = 0;
    for (size_t i = a; i < b; i++) k += (s[i] & 0xC0) != 0x80;
    return k;
}

/* Characters of the line holding i, trailing spaces and \r dropped. */
static size_t line_chars(const unsigned char *s, size_t n, size_t i)
{
    size_t a = i, e = i;
    while (a > 0 && s[a - 1] != '\n') a--;
    while (e < n && s[e] != '\n') e++;
    while (e > a && (s[e - 1] == '\r' || s[e - 1] == ' ')) e--;
    return chars(s, a, e);
}

/* In a rendered leak, text extraction runs action on after dialogue with
 * no blank line: a "dialogue" line [b, z) wider than a dialogue column, or
 * followed (at next) by one, is action.  read_layout() and read_wraps()
 * tell them apart by this one rule. */
static int wider_than_voice(const unsigned char *s, size_t n, size_t b, size_t z, size_t next)
{
    return chars(s, b, z) > WRAP_VOICE_MAX || (next < n && line_chars(s, n, next) > WRAP_VOICE_MAX);
}

/* A leak's line ends a sentence at e and the next line's first word
 * starts at k: was the line broken by hand?  Renderers wrap greedily, so
 * a line that the next word would have fitted on was ended on purpose.
 * The width is bounded from below by the lines around: the next line (the
 * same paragraph, when this is a point of the work) and the one before (a
 * screenplay's narrower dialogue column follows a cue, never a wider
 * column).  In a text that was never wrapped (read_layout()) every such
 * line end is a break. */
static int broken_by_hand(const scan *sc, size_t e, size_t k)
{
    const unsigned char *s = sc->s;
    size_t a = e;
    while (a > 0 && s[a - 1] != '\n') a--;
    if (sc->unwrapped) return 1;
    if (sc->ungreedy) return 0;
    size_t need = chars(s, a, e) + 1 + chars(s, k, plain_word(s, sc->n, k));
    size_t width = line_chars(s, sc->n, k);
    if (a >= 2 && s[a - 2] != '\n') {
        size_t prev = line_chars(s, sc->n, a - 2);
        if (prev > width) width = prev;
    }
    return need <= width;
}

/* The characters of the line t[a, e) (code points, as renderers count
 * them): their byte offsets in cp[0..N), cp[N] = e.  Returns N, or
 * SIZE_MAX when out of memory. */
static size_t line_cps(const unsigned char *t, size_t a, size_t e, size_t **cp, size_t *cap)
{
    size_t need = e - a + 1;
    if (*cap < need) {
        size_t *x = realloc(*cp, need * sizeof *x);
        if (!x) return SIZE_MAX;
        *cp = x, *cap = need;
    }
    size_t N = 0;
    for (size_t i = a; i < e; i++)
        if ((t[i] & 0xC0) != 0x80) (*cp)[N++] = i;
    (*cp)[N] = e;
    return N;
}

/* The last space among characters [from, to] (to clipped to N - 1), or -1:
 * where a renderer cuts a line of the rest from `from` at to - from
 * columns (afterwriting: the last space in the first max + 1 characters). */
static long last_space(const unsigned char *t, const size_t *cp, size_t N, size_t from, size_t to)
{
    if (to >= N) to = N - 1;
    for (size_t i = to + 1; i > from; i--)
        if (t[cp[i - 1]] == ' ') return (long)(i - 1);
    return -1;
}

static void wrap_widths(int dialogue, size_t *wmin, size_t *wmax)
{
    *wmin = dialogue ? WRAP_VOICE_MIN : WRAP_ACTION_MIN;
    *wmax = dialogue ? WRAP_VOICE_MAX : WRAP_ACTION_MAX;
}

/* The line b[0, N) as the pages of [wmin, wmax] cut it, where they agree:
 * the characters of its last piece, or SIZE_MAX where they cut it
 * differently. */
static size_t tail_chars(const unsigned char *t, const size_t *cp, size_t N, size_t wmin, size_t wmax)
{
    size_t pos = 0;
    while (N - pos > wmax) {
        long p1 = last_space(t, cp, N, pos, pos + wmin), p2 = last_space(t, cp, N, pos, pos + wmax);
        if (p1 <= (long)pos || p1 != p2) return SIZE_MAX;
        pos = (size_t)p1 + 1;
    }
    return N - pos > wmin ? SIZE_MAX : N - pos;
}

/* A line with letters and no lowercase one: a heading or a transition
 * (action follows) or a cue (dialogue follows)?  Returns 1 for a cue. */
static int cue_line(const unsigned char *s, size_t b, size_t z)
{
    int heading = (z - b >= 4 && (memcmp(s + b, "INT", 3) == 0 || memcmp(s + b, "EXT", 3) == 0 ||
                                  memcmp(s + b, "EST", 3) == 0 || memcmp(s + b, "I/E", 3) == 0)) ||
                  (z - b >= 3 && memcmp(s + z - 3, "TO:", 3) == 0);
    return !heading;
}

/* How a leak's lines were laid out, from one pass over them.
 * unwrapped: it never breaks a line inside a sentence (a line ending in a
 * letter or digit, the next starting lowercase) more than 1 in 20 times,
 * or it breaks lines inside sentences only as a copy's layout does
 * (wrap_layout(): 3 or more, 9 in 10 of them but one) and has lines wider than any
 * page or two spaces after a sentence, which no page shows (or 5 or more
 * such breaks and no other: a page's own wraps are half of them), or has
 * 3 or more lines wider than any page and 3 in 4 of its (3 or more)
 * breaks inside sentences are a copy's (a layout's fallback breaks are not always
 * recognized): a text copied from the source, where every line end after
 * a sentence is a break.
 * ungreedy: wrapped, but its line ends are no evidence of a copy's breaks.
 * Text extracted from a PDF keeps the renderer's lines, wrapped greedily,
 * and never two spaces after a sentence.  A text re-wrapped by a tool (GNU
 * fmt, an editor's fill) joined the copy's breaks, kept its spacing, and
 * may break early at sentence ends (fmt prefers to): two or more sentence
 * ends followed by two spaces, or more than 1 in 10 line ends inside
 * sentences with room for the next word (a greedy wrap leaves none, by the
 * width the lines around show) that a copy's layout did not make, say so.
 * rendered: hardly a line wider than the widest page (a PDF's text); there
 * a line of "dialogue" wider than a dialogue column, or followed by one,
 * is action that text extraction ran on after it (read_wraps() reads it
 * so too; judged by dialogue widths, a PDF's action lines looked like a
 * re-wrap and 1 in 50 two-page excerpts lost every wrap reading).
 * Returns 0, or PK_ENOMEM. */
static int read_layout(scan *sc)
{
    const unsigned char *s = sc->s;
    const size_t n = sc->n;
    size_t lines = 0, inside = 0, early = 0, slack = 0, dspace = 0, prev = 0, longer = 0, *cp = NULL, cap = 0;
    size_t filled = 0, wide = 0; /* lines with characters, and wider than the widest page */
    int dialogue = 0;
    for (size_t i = 0; i + 3 < n; i++)
        dspace += (s[i] == '.' || s[i] == '!' || s[i] == '?') && i > 0 && is_lower(s[i - 1]) && s[i + 1] == ' ' &&
                  s[i + 2] == ' ' && is_upper(s[i + 3]);
    for (size_t a = 0; a < n;) { /* rendered? */
        size_t e = a, b = a;
        while (e < n && s[e] != '\n') e++;
        while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\f')) b++;
        size_t full = chars(s, b, e);
        filled += full > 0, wide += full > WRAP_ACTION_MAX + 2;
        a = e < n ? e + 1 : n;
    }
    const int rendered = sc->rendered = wide * 50 < filled;
    for (size_t a = 0; a < n;) {
        size_t e = a;
        while (e < n && s[e] != '\n') e++;
        size_t next = e < n ? e + 1 : n, b = a, z = e;
        while (b < z && (s[b] == ' ' || s[b] == '\t' || s[b] == '\f')) b++;
        while (z > b && (s[z - 1] == '\r' || s[z - 1] == ' ' || s[z - 1] == '\t')) z--;
        size_t len = chars(s, a, z), k = next;
        while (k < n && (s[k] == ' ' || s[k] == '\t')) k++;
        int lower = 0, letter = 0;
        for (size_t q = b; q < z; q++) lower |= is_lower(s[q]), letter |= is_alpha(s[q]);
        if (b == z) dialogue = 0;
        else if (!lower && letter) dialogue = cue_line(s, b, z);
        else if (s[b] == '(') dialogue = 1;
        else if (rendered && dialogue && wider_than_voice(s, n, b, z, next))
            dialogue = 0;
        if (z > a && e < n) {
            lines++;
            longer += chars(s, b, z) > WRAP_ACTION_MAX + 4; /* (indentation apart: pdftotext -layout) */
            if ((is_alpha(s[z - 1]) || is_digit(s[z - 1])) && k < n && is_lower(s[k])) {
                size_t kw = k;
                while (kw < n && s[kw] != ' ' && s[kw] != '\n') kw++;
                size_t nextw = chars(s, k, kw), nl = line_chars(s, n, k), y = kw, yw = 0;
                while (y < n && s[y] == ' ') y++;
                if (y > kw && y < n && s[y] != '\n') {
                    size_t ye = y;
                    while (ye < n && s[ye] != ' ' && s[ye] != '\n') ye++;
                    yw = chars(s, y, ye);
                }
                size_t width = nl > prev ? nl : prev, wmin, wmax, N = line_cps(s, b, z, &cp, &cap);
                if (N == SIZE_MAX) { free(cp); return PK_ENOMEM; }
                wrap_widths(dialogue, &wmin, &wmax);
                size_t tail = tail_chars(s, cp, N, wmin, wmax);
                inside++;
                /* a copy's layout broke it (a sync break, or a word early),
                 * or else with room for the next word */
                int copy = tail != SIZE_MAX && tail + 1 + nextw <= wmax &&
                           (tail + 1 + nextw > wmin || !yw || tail + nextw + yw + 2 > wmin);
                early += (size_t)copy;
                slack += !copy && len + 1 + chars(s, k, plain_word(s, n, k)) <= width;
            }
        }
        prev = len;
        a = next;
    }
    free(cp);
    sc->unwrapped = inside * 20 < lines ||
                    (inside >= 3 && (early + 1) * 10 >= inside * 9 && (longer || dspace || (inside >= 5 && early == inside))) ||
                    (inside >= 3 && longer >= 3 && early * 4 >= inside * 3);
    sc->ungreedy = !sc->unwrapped && (dspace >= 2 || slack * 10 > inside);
    return 0;
}

/* Start of the plain word (letters, digits, inner ' and -) ending at e. */
static size_t plain_word_back(const unsigned char *s, size_t e)
{
    while (e > 0 && (is_alpha(s[e - 1]) || is_digit(s[e - 1]) || s[e - 1] == '\'' || s[e - 1] == '-')) e--;
    return e;
}

/* The serial comma before the "and" or "or" at
 * [i, e): the item before it is 2 or 3 words after a comma (not one: "His
 * brother, John, and Mary" is an apposition, "Yes, sir, and" a vocative).
 * Returns 1 when it pushed a point. */
static int serial_point(scan *sc, size_t i, size_t e, int cl, int comma, size_t end, size_t pw, int next,
                        uint64_t self, int *rc)
{
    static const char *conj_list[] = {"and", "or"};
    const unsigned char *s = sc->s;
    if (!word_is(s, i, e, conj_list, NELEM(conj_list)) || !next || (sc->cls && !comma)) return 0;
    size_t b = pw;
    for (int words = 1;; words++) {
        if (b >= 3 && (s[b - 1] == ' ' || s[b - 1] == '\n') && s[b - 2] == ',' &&
            (is_alpha(s[b - 3]) || is_digit(s[b - 3]))) {
            if (words < 2) return 0;
            break;
        }
        if (words == 3 || b < 2 || s[b - 1] != ' ' || !(is_alpha(s[b - 2]) || is_digit(s[b - 2]))) return 0;
        b = plain_word_back(s, b - 1);
    }
    for (size_t k = b; k < end; k++)
        if (sc->cls && sc->cls[k] != cl) return 0;
    *rc = push_point(sc, PK_MARK_SERIAL, end, end + (size_t)comma, comma, self, e);
    return 1;
}

/* May the word at i (a form of spellings2 whose first form is a) be a
 * point?  A capital only opens a sentence ("Gray" is a name); "till" not
 * after a determiner ("the till"). */
static int spell2_here(const scan *sc, size_t i, const char *a, size_t len, int bform)
{
    /* after -ward(s), an adverb's company: "looked backward at", not "an outward sign" */
    static const char *adv_next[] = {"at", "to", "from", "into", "onto", "toward", "towards", "and", "or", "the",
                                     "a", "in", "on", "over", "through", "across", "with", "as", "until", "till"};
    size_t z = i + len;
    if (strstr(a, "ward") && z + 1 < sc->n && sc->s[z] == ' ' && is_lower(sc->s[z + 1]) &&
        !word_is(sc->s, z + 1, plain_word(sc->s, sc->n, z + 1), adv_next, NELEM(adv_next)))
        return 0;
    if (sc->cls && strcmp(a, "until") == 0 && bform) return 0;     /* "to till the field": only an "until" */
    if (sc->cls && strcmp(a, "some day") == 0 && !bform) return 0; /* "some day that suits": only a "someday" */
    if (strcmp(a, "gray") == 0 && is_upper(sc->s[i])) return 0;    /* "Gray" may be a name anywhere */
    static const char *dets[] = {"the", "a", "his", "her", "their", "its", "our", "my", "your", "this", "that"};
    const unsigned char *s = sc->s;
    size_t b = i;
    while (b > 0 && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '"')) b--;
    int initial = b == 0 || s[b - 1] == '\n' || s[b - 1] == '!' || s[b - 1] == '?' ||
                  (s[b - 1] == '.' && !word_is_nocase(s, plain_word_back(s, b - 1), b - 1, abbreviations,
                                                       NELEM(abbreviations))); /* "Mr. Gray" */
    if (is_upper(s[i]) && !initial) return 0;
    if (strcmp(a, "until") == 0 && b > 0 && is_alpha(s[b - 1]) &&
        word_is_nocase(s, plain_word_back(s, b), b, dets, NELEM(dets)))
        return 0;
    return 1;
}

/* Past spaces, tabs and at most one line end from i (not a blank line). */
static size_t skip_gap(const unsigned char *s, size_t n, size_t i)
{
    int nl = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || (s[i] == '\n' && !nl++))) i++;
    return i;
}

/* The end of one of clause_subjects as a whole word at k ("he", not
 * "he's" nor "Iâll": find_words joins those), or 0. */
static size_t subject_end(const unsigned char *s, size_t n, size_t k)
{
    size_t z = k, len;
    while (z < n && is_alpha(s[z])) z++;
    if (z == k || !word_is(s, k, z, clause_subjects, NELEM(clause_subjects))) return 0;
    size_t q = z < n && s[z] == '\'' ? z + 1 : at_rsquo(s, n, z) ? z + 3 : z; /* he's, he'd, I'll, they're */
    if (q > z) {
        size_t y = q;
        while (y < n && is_lower(s[y])) y++;
        static const char *tails[] = {"s", "d", "ll", "re", "m", "ve"};
        if (!word_is(s, q, y, tails, NELEM(tails))) return 0;
        z = y;
    }
    if (z < n && (word_char(s, n, z, &len) || s[z] == '\'' || s[z] == '-' || at_rsquo(s, n, z))) return 0;
    return z;
}

/* "that" at j as a whole lowercase word, then a gap and one of
 * clause_subjects: find_words gives it no canonical word, so adding or
 * dropping it (PK_MARK_THAT) renames no other point.  Returns where the
 * subject starts, or 0. */
static size_t that_subject(const unsigned char *s, size_t n, size_t j)
{
    size_t len;
    if (!(j + 4 < n && memcmp(s + j, "that", 4) == 0) || word_char(s, n, j + 4, &len) || s[j + 4] == '\'' ||
        (j > 0 && (is_alpha(s[j - 1]) || is_digit(s[j - 1]) || s[j - 1] == '\'' ||
                   (s[j - 1] >= 0x80 && !(j >= 3 && at_genpunct(s, n, j - 3)) &&
                    !(j >= 2 && s[j - 2] == 0xC2 && s[j - 1] == 0xA0))))) /* (not after a dash, an ellipsis) */
        return 0;
    size_t k = skip_gap(s, n, j + 4);
    return k > j + 4 && subject_end(s, n, k) ? k : 0;
}

/* "knew that he" or "knew he" at the word at i (one of that_verbs) in
 * narration: then "that" or not, then a subject and a space and a
 * lowercase word ("knew he was"; not "said he." nor "said he, turning").
 * The verb follows a word, not a quotation or a comma: "'Come,' said he
 * softly" is no point.  The point is "that " or the empty place before
 * the subject, named by the verb and the words from the subject on.
 * Returns the verb's length when it made a point. */
static size_t that_point(scan *sc, size_t i, int *rc)
{
    const unsigned char *s = sc->s;
    size_t n = sc->n, e = plain_word(s, n, i), b = i;
    if (e == i || !word_is(s, i, e, that_verbs, NELEM(that_verbs))) return 0;
    while (b > 0 && (s[b - 1] == ' ' || s[b - 1] == '\t')) b--;
    if (b == 0 || !is_alpha(s[b - 1])) return 0;
    /* not in a sentence opened by a free relative or a subordinate clause:
     * "Everything he knew (that) he had learned", "While he thought we waited" */
    static const char *openers[] = {"What", "Whatever", "Everything", "All", "Anything", "Nothing", "Whoever",
                                    "While", "When", "If", "As", "Because", "Although", "Though", "Since", "Until",
                                    "Before", "After", "Once", "Unless", "Whenever", "Wherever", "Whether"};
    size_t a = b;
    while (a > 0 && b - a < 400 && s[a - 1] != '.' && s[a - 1] != '!' && s[a - 1] != '?' && s[a - 1] != '"' &&
           !(s[a - 1] == '\n' && a >= 2 && s[a - 2] == '\n'))
        a--;
    while (a < b && !is_alpha(s[a])) a++;
    if (word_is(s, a, plain_word(s, n, a), openers, NELEM(openers))) return 0;
    size_t j = skip_gap(s, n, e);
    if (j == e || j >= n) return 0;
    size_t k = that_subject(s, n, j), that = k != 0;
    if (!that) k = j;
    size_t z = subject_end(s, n, k);
    if (!z || !(z + 1 < n && s[z] == ' ' && is_lower(s[z + 1]))) return 0;
    if (sc->cls)
        for (size_t q = i; q <= z + 1; q++)
            if (sc->cls[q] != C_NARR) return 0;
    size_t w = word_before(sc, i);
    *rc = push_point(sc, PK_MARK_THAT, that ? j : k, k, (int)that, w == SIZE_MAX ? 0 : sc->w[w].h[0], k);
    return e - i;
}

/* A conjunction at i (a word start): a serial comma ("A, B, and C" or
 * "A, B and C"), a comma joining clauses (", and he" or " and he"), or in
 * narration and action any other comma before and, but, or, so, yet and
 * a determiner, a name or (not after "so") a lowercase word, in a
 * sentence with no comma, quote, colon or bracket before it (", and the",
 * ", but slowly"; a comma that may close an apposition is not touched).
 * The work's own file gets a point where the comma is there (and, for
 * "but" and "yet" before a subject, where it may be added); a leak reads
 * both forms.
 * Returns the conjunction's length when it made a point. */
static size_t conj_point(scan *sc, size_t i, int cl, int *rc)
{
    static const char *conj_clause[] = {"and", "but", "so", "yet"}, *conj_more[] = {"and", "but", "or", "yet"};
    const unsigned char *s = sc->s;
    size_t n = sc->n, e = plain_word(s, n, i);
    /* (a leak's line may end before it or after it: a page's wrap) */
    if (e == i || e - i > 3 || i < 3 || !(s[i - 1] == ' ' || (s[i - 1] == '\n' && !sc->cls)) || e + 2 >= n ||
        !(s[e] == ' ' || (s[e] == '\n' && !sc->cls)))
        return 0;
    int comma = s[i - 2] == ',';
    size_t end = comma ? i - 2 : i - 1; /* where the comma is or would go */
    if (!(is_alpha(s[end - 1]) || is_digit(s[end - 1]))) return 0;
    size_t pw = plain_word_back(s, end);
    size_t nx = e + 1, nz = plain_word(s, n, nx);
    uint64_t self = mix(plain_hash(sc, pw), pk_word_hash((const char *)s + i, e - i));
    if (cl >= C_PROSE && word_is(s, i, e, conj_clause, NELEM(conj_clause)) && nz > nx &&
        word_is(s, nx, nz, subjects, NELEM(subjects))) {
        if (sc->cls && !comma) { /* add a comma only before "but" or "yet" after a word that is not "all" ... */
            if (!(s[i] == 'b' || s[i] == 'y') || !is_lower(s[end - 1]) || word_is_nocase(s, pw, end, but_prep, NELEM(but_prep)))
                return 0;
        }
        *rc = push_point(sc, PK_MARK_CLAUSE, end, end + (size_t)comma, comma, self, e);
        return e - i;
    }
    /* a leak reads on: a copy's added comma ("Then, he ran, and the dog")
     * may make a serial item of what the work reads as one clause */
    size_t made = serial_point(sc, i, e, cl, comma, end, pw, nz > nx, self, rc) ? e - i : 0;
    if (made && (*rc || sc->cls)) return made;
    if (cl < C_PROSE || nz == nx || (sc->cls && !comma)) return made;
    if (sc->cls && cl != C_NARR && cl != C_ACTION) return made; /* quoted dialogue in prose keeps its commas */
    if (!word_is(s, i, e, conj_more, NELEM(conj_more))) return made;
    int name = nz > nx + 1 && is_upper(s[nx]) && is_lower(s[nx + 1]);
    if (!(name || word_is(s, nx, nz, determiners, NELEM(determiners)) || is_lower(s[nx]))) return made;
    if (sc->cls) { /* no comma before it in the sentence (it may close an apposition), 3 words or more */
        size_t k = end, words = 1;
        while (k > 0 && end - k < 400 && !(s[k - 1] == '\n' && k >= 2 && s[k - 2] == '\n')) {
            if (s[k - 1] == '!' || s[k - 1] == '?') break;
            if (s[k - 1] == '.') { /* a sentence's end, unless an abbreviation's or an initial's */
                size_t wa = k - 1;
                while (wa > 0 && is_alpha(s[wa - 1])) wa--;
                if (!(k - 1 - wa == 1 && is_upper(s[wa])) &&
                    !word_is_nocase(s, wa, k - 1, abbreviations, NELEM(abbreviations)))
                    break;
            }
            if (s[k - 1] == ',' || s[k - 1] == '"' || s[k - 1] == ';' || s[k - 1] == ':' || s[k - 1] == '(' ||
                sc->cls[k - 1] != cl)
                return made;
            if (k >= 3 && s[k - 3] == 0xE2 && s[k - 2] == 0x80 && (s[k - 1] == 0x9C || s[k - 1] == 0x9D))
                return made; /* a curly quote */
            words += (s[k - 1] == ' ' || s[k - 1] == '\n') && k < end && s[k] != ' ';
            k--;
        }
        if ((k > 0 && end - k >= 400) || words < 3) return made;
    }
    *rc = push_point(sc, PK_MARK_CONJ, end, end + (size_t)comma, comma, self, e);
    return e - i;
}

/* A sentence-initial preposition at i and 2 to 4 words, then a comma (or,
 * in a leak, none) and a word that cannot continue the phrase ("At the
 * stern, the doors").  Returns 1 when it made a point. */
static int intro_point(scan *sc, size_t i, int *rc)
{
    const unsigned char *s = sc->s;
    size_t n = sc->n, e = plain_word(s, n, i);
    if (e == i) return 0;
    int ch = word_is(s, i, e, intro_preps, NELEM(intro_preps))       ? PK_MARK_INTRO
             : word_is(s, i, e, subordinators, NELEM(subordinators)) ? PK_MARK_SUBCLAUSE
                                                                     : 0;
    if (!ch) return 0;
    /* (a clause's comma only in narration and action: quoted dialogue in
     * prose keeps its commas) */
    if (ch == PK_MARK_SUBCLAUSE && sc->cls && sc->cls[i] != C_NARR && sc->cls[i] != C_ACTION) return 0;
    uint64_t self = pk_word_hash((const char *)s + i, e - i);
    int made = 0;
    for (int k = 1; k <= (ch == PK_MARK_INTRO ? 4 : 6); k++) {
        if (e + 1 >= n || s[e] != ' ') return made;
        size_t a = e + 1, z = plain_word(s, n, a);
        if (z == a || (sc->cls && sc->cls[a] != sc->cls[i])) return made;
        self = mix(self, plain_hash(sc, a));
        e = z;
        if (k < 2) continue;
        int comma = e < n && s[e] == ',';
        size_t after = e + (size_t)comma;
        if (after + 1 >= n || s[after] != ' ') { if (comma) return made; continue; }
        size_t da = after + 1, dz = plain_word(s, n, da);
        /* after a clause, a subject that cannot be the clause's object
         * ("When he called, Mary came" without its comma reads "called
         * Mary"; "When the car, a red Ford, stopped" is an apposition) */
        int next = ch == PK_MARK_SUBCLAUSE ? word_is(s, da, dz, clause_subjects, NELEM(clause_subjects))
                                           : word_is(s, da, dz, determiners, NELEM(determiners));
        if (next && (comma || !sc->cls)) {
            if ((*rc = push_point(sc, ch, e, after, comma, self, after))) return 1;
            made = 1;
        }
        if (comma) return made;
    }
    return made;
}

/* A work's line holding i is a parenthetical or a lyric, or i is inside
 * emphasis (an odd number of * or _ before it on the line): no line
 * break may go there. */
static int no_break_here(scan *sc, size_t i)
{
    const unsigned char *s = sc->s;
    /* the marks before i on its line, counted on from the last call's i
     * when it is on the same line before i (a long line stays linear) */
    if (!(sc->nb_valid && sc->nb_a <= sc->nb_at && sc->nb_at <= i && !memchr(s + sc->nb_at, '\n', i - sc->nb_at))) {
        size_t a = i;
        while (a > 0 && s[a - 1] != '\n') a--;
        size_t f = a;
        while (f < i && (s[f] == ' ' || s[f] == '\t')) f++;
        sc->nb_a = sc->nb_at = a, sc->nb_star = sc->nb_under = 0, sc->nb_valid = 1;
        sc->nb_paren = f < sc->n && (s[f] == '(' || s[f] == '~');
    }
    for (size_t k = sc->nb_at; k < i; k++) sc->nb_star += s[k] == '*', sc->nb_under += s[k] == '_';
    sc->nb_at = i;
    return sc->nb_paren || ((sc->nb_star | sc->nb_under) & 1);
}

/* Is the comma at i itself a choice point (an adverb's or a phrase's)? */
static int comma_is_point(const scan *sc, size_t i)
{
    for (size_t k = sc->np; k > 0 && sc->pt[k - 1].start + 64 >= i; k--)
        if (sc->pt[k - 1].start == i && sc->pt[k - 1].end == i + 1) return 1;
    return 0;
}

/* ---- line wrapping ----------------------------------------------------- */

/* Screenplay renderers wrap greedily at a fixed number of columns, the
 * same within a tool for a page size but not across them: afterwriting
 * wraps action at 58 columns on A4 and 61 on US letter, dialogue at 36;
 * Final Draft's pages hold 60 and 35.  A work's line is laid out for the
 * whole range at once (wrap_layout()): where the widest and the narrowest
 * page end a line after the same word X, the copy either lets it end
 * there or ends it one word earlier, before X (bit 1), which a reader
 * sees as a line a word short in ragged-right text; where they end it at
 * different words, the copy ends it at the narrower one (a sync break)
 * after its last word X, or (bit 1) before X, so every page of the range
 * shows the same lines, all within the narrowest.
 * A leak's lines are read back the same way (read_wraps()).  The widths
 * are WRAP_* at the top. */

/* Does a point of another channel touch the space at i? */
static int point_near(const scan *sc, size_t i)
{
    for (size_t k = sc->np; k > 0 && sc->pt[k - 1].end + 4 >= i; k--)
        if (sc->pt[k - 1].start <= i + 1 && sc->pt[k - 1].end >= i) return 1;
    return 0;
}

/* Does the line [a, e) end with ^ (a dual-dialogue cue)? */
static int caret_line(const unsigned char *s, size_t a, size_t e)
{
    while (e > a && (s[e - 1] == ' ' || s[e - 1] == '\r' || s[e - 1] == '\t')) e--;
    return e > a && s[e - 1] == '^';
}

/* Is the dialogue at i one of two side by side (its cue ends with ^, or
 * the next cue after it does)?  Renderers set those in narrower columns. */
static int dual_dialogue(const scan *sc, size_t i)
{
    const unsigned char *s = sc->s;
    size_t a = i;
    while (a > 0 && s[a - 1] != '\n') a--;
    while (a > 0 && cls_at(sc, a - 1) == C_VOICE) { /* up to the block's first line */
        a--;
        while (a > 0 && s[a - 1] != '\n') a--;
    }
    if (a > 0) { /* the cue above */
        size_t c = a - 1;
        while (c > 0 && s[c - 1] != '\n') c--;
        if (caret_line(s, c, a - 1)) return 1;
    }
    size_t e = i;
    while (e < sc->n && cls_at(sc, e) == C_VOICE) e++; /* past the block */
    while (e < sc->n && (s[e] == '\n' || s[e] == ' ' || s[e] == '\r' || s[e] == '\t')) e++;
    size_t f = e;
    while (f < sc->n && s[f] != '\n') f++;
    return e < sc->n && caret_line(s, e, f);
}

/* A work's space at i in action or dialogue, between a word ending in a
 * letter or digit and a word X starting with a letter, outside
 * parentheticals, lyrics and emphasis, no other channel's point next to
 * it, X no conjunction (a comma may go before one), not in dual dialogue:
 * a place a copy may end a line.  Named by X and the words after it. */
static int wrap_point(scan *sc, size_t i, int cl)
{
    const unsigned char *s = sc->s;
    if (i == 0 || i + 1 >= sc->n || !(is_alpha(s[i - 1]) || is_digit(s[i - 1])) || !is_alpha(s[i + 1])) return 0;
    if (cls_at(sc, i - 1) != cl || cls_at(sc, i + 1) != cl || no_break_here(sc, i) || point_near(sc, i)) return 0;
    if (cl == C_VOICE && dual_dialogue(sc, i)) return 0;
    size_t w = word_after(sc, i + 1);
    if (w >= sc->nw || sc->w[w].s != i + 1) return 0;
    if (word_is(s, i + 1, plain_word(s, sc->n, i + 1), conjunctions, NELEM(conjunctions))) return 0;
    size_t we = i + 1;
    while (we < sc->n && s[we] != ' ' && s[we] != '\n') we++;
    if (s[we - 1] == '-') return 0; /* a prose line never ends after it (hard_cut()): not before it either */
    int ch = cl == C_PROSE || cl == C_NARR ? PK_MARK_PWRAP : PK_MARK_WRAP;
    return push_point(sc, ch, i, i + 1, 0, sc->w[w].h[0], sc->w[w].e);
}

/* Does the word t[a, e) end a clause (. ! ? , or a closing bracket)?
 * A line end after it may be another channel's break. */
static int ends_clause(const unsigned char *t, size_t a, size_t e)
{
    while (e > a && (t[e - 1] == '"' || t[e - 1] == '\'' || t[e - 1] == ')')) e--;
    return e > a && (t[e - 1] == '.' || t[e - 1] == '!' || t[e - 1] == '?' || t[e - 1] == ',' || t[e - 1] == ';' ||
                     t[e - 1] == ':' || t[e - 1] >= 0x80);
}

/* A leak's reading at the word starting at byte x: push it, as a
 * screenplay's point and as a prose copy's (a channel of its own). */
static int wrap_reading(scan *sc, size_t x, int bit)
{
    size_t w = word_after(sc, x);
    if (w >= sc->nw || sc->w[w].s != x || !is_alpha(sc->s[x])) return 0;
    int rc = push_point(sc, PK_MARK_WRAP, x, sc->w[w].e, bit, sc->w[w].h[0], sc->w[w].e);
    return rc ? rc : push_point(sc, PK_MARK_PWRAP, x, sc->w[w].e, bit, sc->w[w].h[0], sc->w[w].e);
}

/* Line wrapping read back from a leak.  Lines are screenplay action, or
 * dialogue when a cue (a line with letters and no lowercase one) or a
 * parenthetical stands above them in their block.  A line the leak broke
 * itself (text copied from the source, a paragraph a line) is cut as the
 * widest and the narrowest page would, where they agree, each cut a
 * reading 0 for the word it leaves last.  At the end of a line that the
 * next line continues: the next word X would have fitted even the
 * narrowest page (counting two spaces after each sentence on the line,
 * as a copy may have had and text extraction shows as one, unless the
 * text is the source's): the line was
 * ended early, a reading 1 for X; it would not have fitted the narrowest:
 * ended where every page ends it, or at a sync break (both are as the
 * copy laid it out), a reading 0 for the line's last word.  A copy ends a
 * line early only before a word whose next word would not have fitted the
 * narrowest page as well; when more than 1 line end in 10 leaves room for
 * both (and 3 or more do), the lines are not a copy's (a re-wrap at another width) and
 * nothing is read. */
static int read_wraps(scan *sc)
{
    const unsigned char *s = sc->s;
    const size_t n = sc->n;
    size_t *cp = NULL, cap = 0, ends = 0, odd = 0, first = sc->np;
    int rc = 0, dialogue = 0;
    if (sc->ungreedy) return 0; /* re-wrapped by a tool: its lines are not a copy's */
    /* Rendered (a PDF's text: no line wider than the widest page), text
     * extraction runs action on after dialogue with no blank line between:
     * a line wider than a dialogue column, or followed by one, is action. */
    const int rendered = sc->rendered;
    for (size_t a = 0; a < n && !rc;) {
        size_t e = a;
        while (e < n && s[e] != '\n') e++;
        size_t next = e < n ? e + 1 : n, b = a, z = e;
        while (b < z && (s[b] == ' ' || s[b] == '\t' || s[b] == '\f')) b++;
        while (z > b && (s[z - 1] == ' ' || s[z - 1] == '\r' || s[z - 1] == '\t')) z--;
        int lower = 0, letter = 0;
        for (size_t k = b; k < z; k++) lower |= is_lower(s[k]), letter |= is_alpha(s[k]);
        if (b == z) { dialogue = 0; a = next; continue; }
        if (!lower) { /* a heading or a transition (action follows), a cue, a page number */
            if (letter) dialogue = cue_line(s, b, z);
            a = next;
            continue;
        }
        if (s[b] == '(') { dialogue = 1; a = next; continue; }
        size_t wmin, wmax, N = line_cps(s, b, z, &cp, &cap);
        if (N == SIZE_MAX) { rc = PK_ENOMEM; break; }
        if (rendered && dialogue && wider_than_voice(s, n, b, z, next)) dialogue = 0;
        wrap_widths(dialogue, &wmin, &wmax);
        size_t pos = 0;
        int stop = 0;
        while (N - pos > wmax) {
            long p1 = last_space(s, cp, N, pos, pos + wmin), p2 = last_space(s, cp, N, pos, pos + wmax);
            if (p1 < 0 || p1 != p2) { stop = 1; break; }
            long p0 = (size_t)p1 > pos ? last_space(s, cp, N, pos, (size_t)p1 - 1) : -1;
            if (p0 > (long)pos && !ends_clause(s, cp[p0 + 1], cp[p1]) &&
                (rc = wrap_reading(sc, cp[p0 + 1], 0)))
                break;
            pos = (size_t)p1 + 1;
        }
        if (rc || stop || N - pos > wmin) { a = next; continue; }
        /* the next line: the same paragraph? */
        size_t b2 = next, z2 = next;
        while (b2 < n && (s[b2] == ' ' || s[b2] == '\t')) b2++;
        while (z2 < n && s[z2] != '\n') z2++;
        int lower2 = 0;
        for (size_t k = b2; k < z2; k++) lower2 |= is_lower(s[k]);
        if (b2 < z2 && lower2 && s[b2] != '(' && is_alpha(s[b2])) {
            size_t q = b2;
            while (q < z2 && s[q] != ' ') q++;
            size_t n1 = N - pos + 1 + chars(s, b2, q), k = 0;
            long p0 = last_space(s, cp, N, pos, N - 1);
            /* a sentence end and one space: the copy may have had two there,
             * which renderers count and text extraction drops */
            for (size_t i = cp[pos]; !sc->unwrapped && i + 2 < z; i++)
                k += (s[i] == '.' || s[i] == '!' || s[i] == '?') && s[i + 1] == ' ' && s[i + 2] != ' ';
            size_t y = q, ye;
            while (y < z2 && s[y] == ' ') y++;
            for (ye = y; ye < z2 && s[ye] != ' ';) ye++;
            /* a copy ends a line early only where the next two words would
             * not fit the narrowest page (one more than a page's wrap
             * leaves room for): a leak whose line ends often leave room
             * for two was laid out otherwise (a re-wrap) */
            const int inner = is_alpha(s[z - 1]) || is_digit(s[z - 1]); /* not another channel's break */
            const int counts = inner && is_lower(s[b2]); /* surely the same paragraph */
            ends += (size_t)counts;
            odd += counts && n1 <= wmin && ye > y && n1 + 1 + chars(s, y, ye) <= wmin;
            if (n1 + k <= wmin) {
                if (inner) rc = wrap_reading(sc, b2, 1);
            } else if (n1 > wmin && p0 > (long)pos && !ends_clause(s, cp[p0 + 1], z)) {
                rc = wrap_reading(sc, cp[p0 + 1], 0);
            }
        }
        a = next;
    }
    free(cp);
    /* not a copy's layout: no readings (a copy's own source, unwrapped,
     * shows its fallback breaks, which may leave room for two words) */
    if (!rc && !sc->unwrapped && odd >= 3 && odd * 10 > ends) sc->np = first;
    return rc;
}

/* Spaces around the dash [i, e) between two words: "A -- B" (bit 0) or
 * "A--B" (bit 1), a point on each side with one name (both alike in a
 * copy; a leak whose sides differ reads nothing: judge_filter drops a
 * name read both ways).  A work's dash is a point only when its sides
 * agree (one space each, or none); a leak's side at a line end tells
 * nothing (a re-wrap or a page may break there). */
static int dash_spacing(scan *sc, size_t i, size_t e, uint64_t self)
{
    const unsigned char *s = sc->s;
    size_t n = sc->n;
    if (i < 2 || e + 1 >= n) return 0;
    int sp0 = s[i - 1] == ' ', sp1 = s[e] == ' ';
    size_t l = sp0 ? i - 2 : i - 1, r = sp1 ? e + 1 : e; /* the characters beside */
    int left = is_alpha(s[l]) || is_digit(s[l]) || s[l] == ',' || s[l] == '.' || s[l] == '!' || s[l] == '?' ||
               s[l] >= 0x80, right = is_alpha(s[r]) || s[r] >= 0x80;
    const int eol = s[e] == '\n' || s[e] == '\r' || (sp1 && (s[e + 1] == '\n' || s[e + 1] == '\r'));
    if ((!right && !(eol && !sc->cls)) || s[r] == 0xE2)
        return 0; /* not before a word (a leak's line end: its left side), nor before another dash or quote */
    if (sc->cls) {
        if (!left || sp0 != sp1 || (sp0 && (s[l] == ' ' || s[r] == ' '))) return 0;
        int rc = push_point(sc, PK_MARK_DSPACE, sp0 ? i - 1 : i, i, !sp0, self, e);
        return rc ? rc : push_point(sc, PK_MARK_DSPACE, e, sp1 ? e + 1 : e, !sp1, self, e);
    }
    int rc = 0;
    if (left || sp0) { /* after a line break: nothing */
        int nl = s[i - 1] == '\n' || s[i - 1] == '\r' || (sp0 && (s[l] == '\n' || s[l] == ' '));
        if (!nl) rc = push_point(sc, PK_MARK_DSPACE, sp0 ? i - 1 : i, i, !sp0, self, e);
    }
    if (!rc && !eol && !(sp1 && s[e + 1] == ' '))
        rc = push_point(sc, PK_MARK_DSPACE, e, sp1 ? e + 1 : e, !sp1, self, e);
    return rc;
}

/* A plain-text work's paragraph that is one line (a blank line or the
 * file's end on both sides) is laid out like a screenplay's action
 * (wrap_layout(), at action widths): a text written a paragraph a line
 * shows the same words in lines of 58 to 61 columns, and its line ends
 * are choices that a printed or copied text keeps.  A paragraph of several
 * lines (hard-wrapped by its writer, or verse) keeps its lines. */
static int prose_line(scan *sc, size_t i)
{
    const unsigned char *s = sc->s;
    if (i < sc->line_a || i >= sc->line_e) {
        size_t a = i, e = i;
        while (a > 0 && s[a - 1] != '\n') a--;
        while (e < sc->n && s[e] != '\n') e++;
        sc->line_a = a, sc->line_e = e;
        int blank_before = 1, blank_after = 1; /* the lines around: blank, or none */
        for (size_t k = a > 0 ? a - 1 : 0; k > 0 && s[k - 1] != '\n' && blank_before; k--)
            blank_before = s[k - 1] == ' ' || s[k - 1] == '\t' || s[k - 1] == '\r';
        for (size_t k = e + 1; k < sc->n && s[k] != '\n' && blank_after; k++)
            blank_after = s[k] == ' ' || s[k] == '\t' || s[k] == '\r';
        sc->line_ok = blank_before && blank_after;
    }
    return sc->line_ok;
}

static int find_points(scan *sc)
{
    const unsigned char *s = sc->s;
    size_t n = sc->n, i = 0;
    int rc = 0;
    while (i < n && !rc) {
        int c = s[i], cl = cls_at(sc, i);
        if (cl == C_NONE || cl == C_MARKUP) { i++; continue; }
        if (c == ' ' && sc->cls &&
            ((sc->breaks && (cl == C_ACTION || cl == C_VOICE)) ||
             (sc->prose_wrap && (cl == C_PROSE || cl == C_NARR) && prose_line(sc, i)))) {
            if ((rc = wrap_point(sc, i, cl))) break;
            i++;
            continue;
        }
        /* apostrophe inside a word with a lowercase letter */
        int apos = c == '\'' ? 1 : at_rsquo(s, n, i) ? 3 : 0;
        if (apos && i > 0 && is_alpha(s[i - 1]) && i + (size_t)apos < n && is_alpha(s[i + (size_t)apos]) &&
            (is_lower(s[i - 1]) || is_lower(s[i + (size_t)apos]))) {
            size_t w = word_before(sc, i);
            if (w != SIZE_MAX && sc->w[w].s <= i && sc->w[w].e > i) {
                int skip = 0;
                /* the contraction channel owns it (a copy made before
                 * narration contractions keeps its apostrophe point) */
                if ((cl == C_ACTION || (cl == C_NARR && (sc->channels >> PK_MARK_NCONTRACT & 1))) && sc->cls)
                    for (size_t k = 0; k < FULL_ONLY && !skip; k++)
                        skip = match_form(sc, sc->w[w].s, contractions[k].b) != 0;
                if ((cl == C_ACTION || cl == C_NARR) && sc->cls && (sc->channels >> PK_MARK_CONTRACT2 & 1))
                    for (size_t k = 0; k < FULL2_ONLY && !skip; k++)
                        skip = match_form(sc, sc->w[w].s, contractions2[k].b) != 0;
                if (!skip) rc = push_point(sc, PK_MARK_APOS, i, i + (size_t)apos, apos == 3, sc->w[w].h[0], sc->w[w].e);
            }
            i += (size_t)apos;
            continue;
        }
        /* double quotes, in pairs (the closing one is pushed with its
         * opening one; points are sorted by start afterwards) */
        if (at_dquote(s, n, i)) {
            int q = quote_pair(sc, i, &rc);
            i += q ? (size_t)q : (size_t)at_dquote(s, n, i);
            continue;
        }
        /* dashes: exactly two hyphens, or an em dash */
        int dash = (c == '-' && i + 1 < n && s[i + 1] == '-' && (i == 0 || s[i - 1] != '-') &&
                    (i + 2 >= n || s[i + 2] != '-')) ? 2
                   : (i + 2 < n && c == 0xE2 && s[i + 1] == 0x80 && s[i + 2] == 0x94) ? 3 : 0;
        if (dash) {
            size_t w = word_before(sc, i), e = i + (size_t)dash;
            uint64_t self = w == SIZE_MAX ? 0 : sc->w[w].h[0];
            rc = push_point(sc, PK_MARK_DASH, i, e, dash == 3, self, e);
            if (!rc) rc = dash_spacing(sc, i, e, self);
            i = e;
            continue;
        }
        int ell = (c == '.' && i + 2 < n && s[i + 1] == '.' && s[i + 2] == '.' && (i == 0 || s[i - 1] != '.') &&
                   (i + 3 >= n || s[i + 3] != '.')) ? 3
                  : (i + 2 < n && c == 0xE2 && s[i + 1] == 0x80 && s[i + 2] == 0xA6) ? 4 : 0;
        if (ell) {
            size_t len = ell == 4 ? 3 : 3;
            size_t w = word_before(sc, i);
            rc = push_point(sc, PK_MARK_ELLIPSIS, i, i + len, ell == 4, w == SIZE_MAX ? 0 : sc->w[w].h[0], i + len);
            i += len;
            continue;
        }
        /* after a comma in a screenplay's action or dialogue, before a
         * lowercase word that is no conjunction: a space or a line break */
        if (c == ',' && sc->breaks && (cl == C_ACTION || cl == C_VOICE) && i > 0 && is_alpha(s[i - 1]) && i + 2 < n) {
            size_t j = i + 1, k;
            int nl = 0;
            while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r')) j++;
            if (j < n && s[j] == '\n') nl = 1, j++;
            for (k = j; k < n && (s[k] == ' ' || s[k] == '\t'); k++) {}
            size_t z = plain_word(s, n, k), b = i; /* not after a short opening ("Then,") */
            while (b > 0 && i - b < 15 && s[b - 1] != '.' && s[b - 1] != '!' && s[b - 1] != '?' &&
                   !(s[b - 1] == '\n' && sc->cls && (b < 2 || sc->cls[b - 2] != cl))) /* a leak: across lines */
                b--;
            /* the work: only where it has a space (its own breaks stay),
             * not where the comma is itself a point, not in a
             * parenthetical, a lyric or emphasis */
            int ok = i - b >= 15 && k < n && is_lower(s[k]) && z > k && !word_is(s, k, z, conjunctions, NELEM(conjunctions)) &&
                     cls_at(sc, k) == cl && (nl ? (!sc->cls && broken_by_hand(sc, i + 1, k)) : j == i + 2) &&
                     !(sc->cls && (comma_is_point(sc, i) || no_break_here(sc, i)));
            if (ok) {
                size_t w = word_before(sc, i);
                if ((rc = push_point(sc, PK_MARK_CBREAK, i + 1, k, nl, w == SIZE_MAX ? 0 : sc->w[w].h[0], k))) break;
                i = k;
                continue;
            }
        }
        if (is_lower(c) && (i == 0 || !is_alpha(s[i - 1]))) {
            size_t m = conj_point(sc, i, cl, &rc);
            if (m) { i += m; continue; }
        }
        /* after a sentence, before a capital: one or two spaces (narration
         * and action; after a word of 4+ letters, which no abbreviation
         * is), and in a screenplay's action and dialogue a line break or
         * not (after a word of 2+ letters that is no abbreviation) */
        if ((c == '.' || c == '!' || c == '?') && i >= 2 && is_lower(s[i - 1]) && is_alpha(s[i - 2]) && i + 2 < n) {
            size_t w = word_before(sc, i);
            uint64_t self = w == SIZE_MAX ? 0 : sc->w[w].h[0];
            int word4 = i >= 4 && is_alpha(s[i - 3]) && is_alpha(s[i - 4]);
            size_t wa = i;
            while (wa > 0 && is_alpha(s[wa - 1])) wa--;
            int brk = sc->breaks && (cl == C_ACTION || cl == C_VOICE) &&
                      !word_is_nocase(s, wa, i, abbreviations, NELEM(abbreviations)) &&
                      !(sc->cls && no_break_here(sc, i));
            if (!word4 && !brk) { i++; continue; }
            if (s[i + 1] == ' ') {
                size_t sp = s[i + 2] == ' ' ? 2 : 1, nx = i + 1 + sp;
                if (nx < n && is_upper(s[nx]) && ((cl >= C_PROSE && word4) || brk)) {
                    uint64_t dep = 0;
                    if (brk && cls_at(sc, nx) == cl && line_has_lower(s, n, nx)) {
                        if ((rc = push_point(sc, PK_MARK_BREAK, i + 1, nx, 0, self, nx))) break;
                        dep = sc->pt[sc->np - 1].ctx;
                    }
                    if (cl >= C_PROSE && word4 && cls_at(sc, nx) >= C_PROSE) {
                        if ((rc = push_point(sc, PK_MARK_SPACE, i + 1, nx, sp == 2, self, nx))) break;
                        sc->pt[sc->np - 1].dep = dep;
                    }
                    i = nx;
                    continue;
                }
            } else if (brk && !sc->cls) { /* a leak's line break (a work's own breaks are kept) */
                size_t j = i + 1;
                while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r')) j++;
                size_t k = j + 1;
                while (k < n && (s[k] == ' ' || s[k] == '\t')) k++;
                if (j < n && s[j] == '\n' && k < n && is_upper(s[k]) && line_has_lower(s, n, k) &&
                    broken_by_hand(sc, i + 1, k)) {
                    if ((rc = push_point(sc, PK_MARK_BREAK, i + 1, k, 1, self, k))) break;
                    i = k;
                    continue;
                }
            }
        }
        if (cl < C_PROSE) { i++; continue; }
        if (is_alpha(c) && (i == 0 || !is_alpha(s[i - 1]))) {
            size_t m = 0;
            /* comma after a sentence-initial adverb */
            if (is_upper(c)) {
                size_t b = i;
                while (b > 0 && (s[b - 1] == ' ' || s[b - 1] == '\t')) b--;
                int initial = b == 0 || s[b - 1] == '\n' || s[b - 1] == '.' || s[b - 1] == '!' || s[b - 1] == '?';
                for (size_t k = 0; initial && k < NELEM(adverbs); k++) {
                    size_t al = strlen(adverbs[k]);
                    if (i + al + 2 < n && memcmp(s + i, adverbs[k], al) == 0) {
                        size_t e = i + al;
                        int comma = s[e] == ',';
                        size_t after = e + (size_t)comma;
                        if (!comma && sc->cls && word_is(s, i, e, prep_adverbs, NELEM(prep_adverbs))) break;
                        if (after + 1 < n && s[after] == ' ' && is_alpha(s[after + 1])) {
                            rc = push_point(sc, PK_MARK_COMMA, e, after, comma, str_hash(adverbs[k]), after);
                            m = al;
                        }
                        break;
                    }
                }
                for (size_t k = 0; initial && !m && !rc && chan_on(sc, PK_MARK_ADVERB) && k < NELEM(adverbs2); k++) {
                    size_t al = strlen(adverbs2[k]), e = i + al;
                    if (!(e + 2 < n && memcmp(s + i, adverbs2[k], al) == 0)) continue;
                    int comma = s[e] == ',';
                    size_t after = e + (size_t)comma, z = after + 1 < n ? plain_word(s, n, after + 1) : after;
                    /* before a determiner or a name; where the work has the
                     * comma, before any word ("Probably, as in") */
                    int next = word_is(s, after + 1, z, determiners, NELEM(determiners)) ||
                               (z > after + 1 && (is_upper(s[after + 1]) || comma || !sc->cls));
                    if (s[after] == ' ' && next && !(z < n && (s[z] == '\'' || at_rsquo(s, n, z)))) {
                        rc = push_point(sc, PK_MARK_ADVERB, e, after, comma, str_hash(adverbs2[k]), after);
                        m = al;
                    }
                    break;
                }
                /* an introductory phrase; a leak reads one after "Behind" and
                 * the like as well (the work has no adverb point there) */
                int prep = m && word_is(s, i, i + m, prep_adverbs, NELEM(prep_adverbs));
                if (initial && !rc && (!m || prep)) (void)intro_point(sc, i, &rc);
                if (prep && !sc->cls) m = 0;
            }
            for (size_t k = 0; k < NELEM(spellings) && !m && !rc; k++) {
                size_t l0 = match_form(sc, i, spellings[k].a), l1 = l0 ? 0 : match_form(sc, i, spellings[k].b);
                if (l0 || l1) {
                    rc = push_point(sc, PK_MARK_SPELL, i, i + (l0 ? l0 : l1), l1 != 0, str_hash(spellings[k].canon),
                                    i + (l0 ? l0 : l1));
                    m = l0 ? l0 : l1;
                }
            }
            for (size_t k = 0; k < NELEM(spellings2) && !m && !rc && chan_on(sc, PK_MARK_SPELL2); k++) {
                size_t l0 = match_form(sc, i, spellings2[k].a), l1 = l0 ? 0 : match_form(sc, i, spellings2[k].b);
                if (!(l0 || l1) || !spell2_here(sc, i, spellings2[k].a, l0 ? l0 : l1, l1 != 0)) continue;
                rc = push_point(sc, PK_MARK_SPELL2, i, i + (l0 ? l0 : l1), l1 != 0, str_hash(spellings2[k].canon),
                                i + (l0 ? l0 : l1));
                m = l0 ? l0 : l1;
            }
            if (!m && !rc && is_lower(c) && (cl == C_NARR || !sc->cls) && chan_on(sc, PK_MARK_THAT))
                m = that_point(sc, i, &rc);
            if (cl == C_ACTION || cl == C_NARR)
                for (size_t k = 0; k < NELEM(contractions) && !m && !rc; k++) {
                    size_t l0 = match_form(sc, i, contractions[k].a), l1 = l0 ? 0 : match_form(sc, i, contractions[k].b);
                    if (k >= FULL_ONLY && sc->cls && (l1 || !(i + l0 + 1 < n && s[i + l0] == ' ' && is_lower(s[i + l0 + 1]))))
                        l0 = l1 = 0; /* see FULL_ONLY */
                    if (l0 || l1) {
                        /* a leak reads it as both: a screenplay's and a novel's point */
                        size_t e = i + (l0 ? l0 : l1);
                        uint64_t h = str_hash(contractions[k].canon);
                        rc = push_point(sc, cl == C_NARR ? PK_MARK_NCONTRACT : PK_MARK_CONTRACT, i, e, l1 != 0, h, e);
                        if (!rc && !sc->cls) rc = push_point(sc, PK_MARK_NCONTRACT, i, e, l1 != 0, h, e);
                        m = l0 ? l0 : l1;
                    }
                }
            if ((cl == C_ACTION || cl == C_NARR) && chan_on(sc, PK_MARK_CONTRACT2))
                for (size_t k = 0; k < NELEM(contractions2) && !m && !rc; k++) {
                    size_t l0 = match_form(sc, i, contractions2[k].a);
                    size_t l1 = l0 ? 0 : match_form(sc, i, contractions2[k].b), x = i + l0 + 1; /* the next word */
                    int not = x + 3 < n && memcmp(s + x, "not", 3) == 0 && !is_alpha(s[x + 3]);
                    if (k >= FULL2_ONLY && l0 && not) l0 = 0; /* (a leak too: "will not" is a contraction point) */
                    if (k == 0 && l0 && x + 4 < n && memcmp(s + x, "only", 4) == 0) l0 = 0; /* "must not only" */
                    if (k >= FULL2_ONLY && sc->cls && (l1 || !(x < n && s[x - 1] == ' ' && is_lower(s[x]))))
                        l0 = l1 = 0; /* see FULL2_ONLY */
                    if (l0 || l1) {
                        size_t e = i + (l0 ? l0 : l1);
                        rc = push_point(sc, PK_MARK_CONTRACT2, i, e, l1 != 0, str_hash(contractions2[k].canon), e);
                        m = l0 ? l0 : l1;
                    }
                }
            /* a leak: a contraction's apostrophe may also be a dialogue
             * apostrophe point; read on inside the word */
            if (m) {
                int contracted = memchr(s + i, '\'', m) || memmem(s + i, m, "\xE2\x80\x99", 3);
                if (sc->cls || !contracted) { i += m; continue; }
            }
            while (i < n && is_alpha(s[i])) i++;
            continue;
        }
        i++;
    }
    return rc;
}

/* ---- byte classes of a work's file ------------------------------------- */

static int line_blank(const unsigned char *s, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return 0;
    return 1;
}

static void classify_fountain(const unsigned char *s, size_t n, uint8_t *cls)
{
    size_t i = 0;
    int in_dialogue = 0, prev_blank = 1, boneyard = 0;
    /* a title page: "Key: value" lines up to the first blank line */
    size_t colon = 0;
    while (colon < n && colon < 40 && s[colon] != '\n' && s[colon] != ':') colon++;
    if (colon < n && s[colon] == ':' && colon > 0 && colon < 40) {
        while (i < n) {
            size_t e = i;
            while (e < n && s[e] != '\n') e++;
            int blank = line_blank(s, i, e);
            memset(cls + i, C_NONE, (e < n ? e + 1 : e) - i);
            i = e < n ? e + 1 : e;
            if (blank) break;
        }
    }
    while (i < n) {
        size_t e = i;
        while (e < n && s[e] != '\n') e++;
        size_t a = i;
        while (a < e && (s[a] == ' ' || s[a] == '\t')) a++;
        size_t z = e;
        while (z > a && (s[z - 1] == ' ' || s[z - 1] == '\r')) z--;
        int blank = a == z, lower = 0, letter = 0;
        for (size_t k = a; k < z; k++) lower |= is_lower(s[k]), letter |= is_alpha(s[k]);
        int next_blank = 1;
        if (e < n) {
            size_t f = e + 1, g = f;
            while (g < n && s[g] != '\n') g++;
            next_blank = line_blank(s, f, g);
        }
        uint8_t c = C_ACTION;
        if (boneyard || (z - a >= 2 && s[a] == '/' && s[a + 1] == '*')) c = C_NONE;
        if (memmem(s + a, z - a, "/*", 2)) boneyard = 1;
        if (memmem(s + a, z - a, "*/", 2)) boneyard = 0, c = C_NONE;
        if (blank) in_dialogue = 0;
        else if (c == C_NONE) {
        } else if (in_dialogue)
            c = C_VOICE;
        else if ((z - a >= 4 && (memcmp(s + a, "INT", 3) == 0 || memcmp(s + a, "EXT", 3) == 0 ||
                                 memcmp(s + a, "EST", 3) == 0 || memcmp(s + a, "I/E", 3) == 0) &&
                  (s[a + 3] == '.' || s[a + 3] == ' ' || s[a + 3] == '/')) ||
                 (s[a] == '.' && a + 1 < z && is_alpha(s[a + 1])) || s[a] == '#' || s[a] == '=' || s[a] == '>' ||
                 s[a] == '[' || (!lower && letter && z - a >= 3 && memcmp(s + z - 3, "TO:", 3) == 0))
            c = C_NONE;
        else if (prev_blank && !next_blank && ((!lower && letter) || s[a] == '@')) {
            c = C_NONE; /* a character cue: dialogue follows */
            in_dialogue = 1;
        } else if (s[a] == '~')
            c = C_VOICE;
        memset(cls + i, c, (e < n ? e + 1 : e) - i);
        prev_blank = blank;
        i = e < n ? e + 1 : e;
    }
}

/* HTML, FDX (XML) and Markdown: tags are markup; script, style, head and
 * FDX's title page are not text; FDX paragraphs by their Type. */
static void classify_markup(const unsigned char *s, size_t n, int format, uint8_t *cls)
{
    uint8_t text = format == PK_WORK_FDX ? C_MARKUP : C_PROSE, para = C_PROSE;
    int skip = 0, fence = 0;
    size_t i = 0;
    while (i < n) {
        if (format == PK_WORK_MARKDOWN && (i == 0 || s[i - 1] == '\n') && i + 3 <= n && memcmp(s + i, "```", 3) == 0)
            fence = !fence;
        if (s[i] == '<') {
            size_t e = i;
            while (e < n && s[e] != '>') e++;
            size_t len = e - i;
#define TAG(t) (len >= strlen(t) && strncasecmp((const char *)s + i, t, strlen(t)) == 0)
            if (TAG("<script") || TAG("<style") || TAG("<head") || TAG("<TitlePage")) skip = 1;
            if (TAG("</script") || TAG("</style") || TAG("</head") || TAG("</TitlePage")) skip = 0;
            if (format == PK_WORK_FDX) {
                if (TAG("<Paragraph")) {
                    para = C_NONE;
                    if (memmem(s + i, len, "\"Action\"", 8)) para = C_ACTION;
                    else if (memmem(s + i, len, "\"Dialogue\"", 10) || memmem(s + i, len, "\"Parenthetical\"", 15))
                        para = C_VOICE;
                    else if (memmem(s + i, len, "\"General\"", 9)) para = C_PROSE;
                }
                if (TAG("<Text")) text = para;
                if (TAG("</Text")) text = C_MARKUP;
                if (TAG("</Paragraph")) para = C_NONE;
            }
#undef TAG
            size_t end = e < n ? e + 1 : e;
            memset(cls + i, C_MARKUP, end - i);
            i = end;
            continue;
        }
        cls[i] = skip || fence ? C_NONE : (s[i] == '&' ? C_MARKUP : text);
        if (s[i] == '&') { /* an entity is markup */
            size_t e = i + 1;
            while (e < n && e < i + 10 && (is_alpha(s[e]) || is_digit(s[e]) || s[e] == '#')) e++;
            if (e < n && s[e] == ';') {
                memset(cls + i, C_MARKUP, e + 1 - i);
                i = e + 1;
                continue;
            }
        }
        i++;
    }
}

static int sniff_format(const char *data, size_t n, int format)
{
    if (format != PK_WORK_AUTO) return format;
    size_t m = n < 1024 ? n : 1024;
    if (memmem(data, m, "<FinalDraft", 11)) return PK_WORK_FDX;
    if (memmem(data, m, "<html", 5) || memmem(data, m, "<HTML", 5) || memmem(data, m, "<!DOCTYPE", 9))
        return PK_WORK_HTML;
    if (memmem(data, n < 65536 ? n : 65536, "\nINT. ", 6) || memmem(data, n < 65536 ? n : 65536, "\nEXT. ", 6))
        return PK_WORK_FOUNTAIN;
    return PK_WORK_TEXT;
}

/* Prose narration: in a paragraph (up to a blank line or a block tag)
 * whose double quotes pair up, the C_PROSE bytes outside them become
 * C_NARR.  A paragraph with an odd count (a quotation running on into the
 * next paragraph), a single quote opening a word ('Go,' he said: British
 * dialogue) or an entity (&quot; may be a quote) keeps C_PROSE: there a
 * quotation's bounds are not known, and dialogue keeps its words. */
static int block_tag(const unsigned char *s, size_t n, size_t i)
{
    static const char *tags[] = {"<p", "</p", "<br", "<div", "</div", "<li", "<h", "</h", "<blockquote",
                                 "</blockquote", "<td", "<tr"};
    for (size_t k = 0; k < NELEM(tags); k++) {
        size_t l = strlen(tags[k]);
        if (i + l < n && strncasecmp((const char *)s + i, tags[k], l) == 0 &&
            (s[i + l] == '>' || s[i + l] == ' ' || s[i + l] == '/' || (tags[k][l - 1] == 'h' && is_digit(s[i + l]))))
            return 1;
    }
    return 0;
}

static void classify_narration(const unsigned char *s, size_t n, uint8_t *cls)
{
    size_t a = 0;
    while (a < n) {
        /* the paragraph [a, e) */
        size_t e = a;
        int quotes = 0, unsure = 0;
        size_t line = a; /* where the current line starts */
        int inside = 0;
        for (; e < n; e++) {
            if (s[e] == '\n' && e + 1 < n) {
                size_t k = e + 1;
                while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r')) k++;
                if (k >= n || s[k] == '\n') break;
                if (e - line > 100) break; /* a paragraph a line, no blank lines between */
                line = e + 1;
            }
            if (cls[e] == C_MARKUP && s[e] == '<' && e > a && block_tag(s, n, e)) break;
            if (cls[e] == C_MARKUP && s[e] == '&') unsure = 1;
            if (cls[e] != C_PROSE) continue;
            int q = at_dquote(s, n, e);
            quotes += q != 0;
            if (q == 3 && (s[e + 2] == 0x9C) == inside) unsure = 1; /* an opening mark inside, a closing one outside */
            if (q) inside = q == 3 ? s[e + 2] == 0x9C : !inside;
            int sq = s[e] == '\''                                                            ? 1
                     : e + 2 < n && s[e] == 0xE2 && s[e + 1] == 0x80 && (s[e + 2] == 0x98 || s[e + 2] == 0x99) ? 3
                                                                                                           : 0;
            if (sq && (e == 0 || !is_alpha(s[e - 1])) && e + (size_t)sq < n && is_alpha(s[e + (size_t)sq])) unsure = 1;
        }
        if (!unsure && quotes % 2 == 0) {
            int in = 0;
            for (size_t i = a; i < e; i++) {
                if (cls[i] != C_PROSE) continue;
                int q = at_dquote(s, n, i);
                if (q) {
                    in = q == 3 ? s[i + 2] == 0x9C : !in;
                    i += (size_t)q - 1;
                    continue;
                }
                if (!in) cls[i] = C_NARR;
            }
        }
        a = e < n ? e + 1 : e;
    }
}

/* By start; a line break point before the spacing point at its place. */
static int cmp_start(const void *a, const void *b)
{
    const pk_mark_point *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if ((x->end == x->start) != (y->end == y->start)) return x->end == x->start ? -1 : 1; /* a dash's empty side */
    return (y->channel == PK_MARK_BREAK) - (x->channel == PK_MARK_BREAK);
}

static void scan_free(scan *sc)
{
    free(sc->w);
    free(sc->pt);
    free(sc->cls);
}

/* format < 0: a leak (no classes). */
static int scan_text(scan *sc, const char *text, size_t n, int format, uint32_t channels, pk_error *err)
{
    memset(sc, 0, sizeof *sc);
    sc->channels = channels;
    sc->s = (const unsigned char *)text;
    sc->n = n;
    if (format >= 0) {
        uint8_t *cls = malloc(n ? n : 1);
        if (!cls) return pk_fail(err, PK_ENOMEM, "out of memory");
        memset(cls, C_PROSE, n);
        if (format == PK_WORK_FOUNTAIN) classify_fountain(sc->s, n, cls);
        else if (format == PK_WORK_FDX || format == PK_WORK_HTML || format == PK_WORK_MARKDOWN)
            classify_markup(sc->s, n, format, cls);
        if (format == PK_WORK_TEXT || format == PK_WORK_HTML || format == PK_WORK_MARKDOWN)
            classify_narration(sc->s, n, cls);
        sc->cls = cls;
    }
    if (format < 0 && read_layout(sc)) return pk_fail(err, PK_ENOMEM, "out of memory");
    sc->breaks = format < 0 || format == PK_WORK_FOUNTAIN;
    sc->prose_wrap = format == PK_WORK_TEXT;
    int rc = find_words(sc);
    if (!rc) rc = find_points(sc);
    if (!rc && format < 0) rc = read_wraps(sc);
    if (!rc && sc->np > 1) qsort(sc->pt, sc->np, sizeof *sc->pt, cmp_start);
    if (rc) return pk_fail(err, rc, rc == PK_ENOMEM ? "out of memory" : "too many choice points");
    return 0;
}

int pk_mark_points(const char *text, size_t n, int format, pk_mark_point **out, size_t *np, pk_error *err)
{
    *out = NULL;
    *np = 0;
    scan sc;
    int rc = scan_text(&sc, text, n, format == PK_WORK_AUTO ? -1 : format, PK_MARK_CHANNELS_ALL, err);
    if (rc) goto cleanup;
    *out = sc.pt;
    *np = sc.np;
    sc.pt = NULL;
cleanup:
    scan_free(&sc);
    return rc;
}

/* ---- the code ----------------------------------------------------------- */

void pk_mark_code_init(pk_mark_code *c, const uint8_t mark_key[32], const uint8_t secret[32], double cutoff)
{
    static const char bias_tag[] = "picket mark bias v1", bits_tag[] = "picket mark bits v1";
    uint8_t in[64] = {0};
    crypto_generichash(c->bias_key, sizeof c->bias_key, (const uint8_t *)bias_tag, sizeof bias_tag - 1, mark_key, 32);
    memcpy(in, bits_tag, sizeof bits_tag - 1);
    memcpy(in + 32, secret, 32);
    crypto_generichash(c->bit_key, sizeof c->bit_key, in, sizeof in, mark_key, 32);
    c->cutoff = cutoff;
    c->channels = PK_MARK_CHANNELS_ALL;
    sodium_memzero(in, sizeof in);
}

static double u64_unit(const uint8_t key[16], uint64_t ctx)
{
    uint8_t in[8], out[8];
    for (int i = 0; i < 8; i++) in[i] = (uint8_t)(ctx >> (8 * i));
    crypto_shorthash(out, in, sizeof in, key);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)out[i] << (8 * i);
    return (double)(v >> 11) * (1.0 / 9007199254740992.0);
}

double pk_mark_bias(const pk_mark_code *c, uint64_t ctx)
{
    if (c->cutoff >= 0.5) return 0.5; /* flat: exactly (asin(sqrt(0.5)) is an ulp above pi/4) */
    double t = asin(sqrt(c->cutoff)), r = t + (M_PI / 2 - 2 * t) * u64_unit(c->bias_key, ctx);
    double p = sin(r);
    return p * p;
}

int pk_mark_bit(const pk_mark_code *c, uint64_t ctx) { return u64_unit(c->bit_key, ctx) < pk_mark_bias(c, ctx); }

/* ---- writing a copy ------------------------------------------------------ */

static int put_word(pk_buf *o, const unsigned char *src, size_t srcn, int initial, const char *form)
{
    /* keep the source's capital: "Okay" -> "OK", "Does not" -> "Doesn't";
     * "OK" has capitals of its own: "okay", or "Okay" opening a sentence */
    int ok = srcn == 2 && (src[0] == 'O' || src[0] == 'o') && (src[1] == 'K' || src[1] == 'k');
    int cap = ok ? initial : srcn > 0 && is_upper(src[0]);
    int all = !ok && cap && srcn > 1 && is_upper(src[1]);
    for (const char *f = form; *f; f++) {
        int c = (unsigned char)*f;
        if ((f == form && cap) || all) c = is_lower(c) ? c & ~0x20 : c;
        if (pk_buf_putc(o, c)) return PK_ENOMEM;
    }
    return 0;
}

static int render(pk_buf *o, const scan *sc, const pk_mark_point *p, int bit)
{
    const unsigned char *src = sc->s + p->start;
    size_t len = p->end - p->start;
    switch (p->channel) {
    case PK_MARK_APOS: return pk_buf_append(o, bit ? "\xE2\x80\x99" : "'", bit ? 3 : 1);
    case PK_MARK_DASH: return pk_buf_append(o, bit ? "\xE2\x80\x94" : "--", bit ? 3 : 2);
    case PK_MARK_ELLIPSIS: return pk_buf_append(o, bit ? "\xE2\x80\xA6" : "...", 3);
    case PK_MARK_SPACE: return pk_buf_append(o, "  ", bit ? 2 : 1);
    case PK_MARK_DSPACE: return bit ? 0 : pk_buf_putc(o, ' ');
    case PK_MARK_COMMA:
    case PK_MARK_ADVERB:
    case PK_MARK_SERIAL:
    case PK_MARK_CLAUSE:
    case PK_MARK_INTRO:
    case PK_MARK_SUBCLAUSE:
    case PK_MARK_CONJ: return bit ? pk_buf_putc(o, ',') : 0;
    case PK_MARK_BREAK: /* the original's line break, or a break for spaces (bit 0 there: see pk_mark_apply) */
    case PK_MARK_CBREAK:
        if (memchr(src, '\n', len)) return bit ? pk_buf_append(o, src, len) : pk_buf_putc(o, ' ');
        return bit ? pk_buf_putc(o, '\n') : pk_buf_append(o, src, len);
    case PK_MARK_QUOTE: {
        /* an opening quote is followed by a letter, a closing one not */
        int open = p->end < sc->n && (is_alpha(sc->s[p->end]) || sc->s[p->end] >= 0x80) &&
                   !(p->start > 0 && is_alpha(sc->s[p->start - 1]));
        if (!bit) return pk_buf_putc(o, '"');
        return pk_buf_append(o, open ? "\xE2\x80\x9C" : "\xE2\x80\x9D", 3);
    }
    default: break;
    }
    if (p->channel == PK_MARK_THAT) /* "that " or the empty place before the subject */
        return len ? (bit ? pk_buf_append(o, src, len) : 0) : (bit ? pk_buf_append(o, "that ", 5) : 0);
    const variant *tab = contractions;
    size_t nt = NELEM(contractions);
    if (p->channel == PK_MARK_SPELL) tab = spellings, nt = NELEM(spellings);
    if (p->channel == PK_MARK_SPELL2) tab = spellings2, nt = NELEM(spellings2);
    if (p->channel == PK_MARK_CONTRACT2) tab = contractions2, nt = NELEM(contractions2);
    for (size_t k = 0; k < nt; k++)
        if (match_form(sc, p->start, tab[k].a) == len || match_form(sc, p->start, tab[k].b) == len) {
            const char *f = bit ? tab[k].b : tab[k].a;
            if (strcmp(f, "OK") == 0) return pk_buf_append(o, "OK", 2);
            size_t b = p->start;
            while (b > 0 && (sc->s[b - 1] == ' ' || sc->s[b - 1] == '\t' || sc->s[b - 1] == '"')) b--;
            int initial = b == 0 || sc->s[b - 1] == '\n' || sc->s[b - 1] == '.' || sc->s[b - 1] == '!' ||
                          sc->s[b - 1] == '?';
            return put_word(o, src, len, initial, f);
        }
    return pk_buf_append(o, src, len);
}

/* A space of the copy where a line may end (a wrap point): its byte in
 * the copy, its name, and whether it is in dialogue. */
typedef struct wrap_at {
    size_t off;
    uint64_t ctx;
    int dialogue;
} wrap_at;

static const wrap_at *wrap_find(const wrap_at *r, size_t lo, size_t end, size_t off)
{
    size_t hi = end;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r[mid].off < off) lo = mid + 1; else hi = mid;
    }
    return lo < end && r[lo].off == off ? &r[lo] : NULL;
}

/* End the line at the space p (a code point index of the line, after
 * pos): a line break there, or, for prose (hard), before two spaces after
 * a sentence at the second (the first stays at the line's end, where
 * nobody sees it), and after a dash before it (pdftotext takes a line's
 * last hyphen for a word's and joins the lines).  Returns the index of the
 * space replaced. */
static long hard_cut(unsigned char *t, const size_t *cp, size_t N, size_t pos, long p, int hard)
{
    if (hard && t[cp[p] - 1] == '-') {
        long q = last_space(t, cp, N, pos, (size_t)p - 1);
        if (q > (long)pos) p = q;
    }
    if (hard && (size_t)p + 1 < N && t[cp[p + 1]] == ' ') p++;
    t[cp[p]] = '\n';
    return p;
}

/* Lay out the copy's lines that hold wrap points (sorted by off): on every
 * page of the range, where the widest and the narrowest end a line after
 * the same word X (not one ending a clause), end it there or, when X's
 * bit is 1, before X; where they differ, end it at the narrower after its
 * last word X, or before X when X's bit is 1 (not after a sentence, nor
 * after a comma in a copy with comma breaks; else
 * before the nearest word before it whose bit is 1, a reading of that bit,
 * and a line as short as a break between sentences makes; else lay out
 * no more of this line, which happens once in hundreds).  Lines with
 * emphasis, tabs or indentation are left alone: renderers measure them
 * otherwise.  Returns the points decided. */
static size_t wrap_layout(unsigned char *t, size_t n, const wrap_at *r, size_t nr, const pk_mark_code *code,
                          int hard, int *rc)
{
    size_t *cp = NULL, cap = 0, decided = 0;
    const int comma_breaks = (code->channels >> PK_MARK_CBREAK) & 1;
    for (size_t i = 0; i < nr;) {
        size_t a = r[i].off, e = r[i].off;
        while (a > 0 && t[a - 1] != '\n') a--;
        while (e < n && t[e] != '\n') e++;
        size_t j = i;
        while (j < nr && r[j].off < e) j++;
        size_t lo = i;
        i = j;
        /* (nor forced action, centred text, notes, boneyard: renderers
         * drop their marks) */
        int plain = t[a] != ' ' && t[a] != '\t' && t[a] != '(' && t[a] != '~' && t[a] != '!' && t[a] != '>' &&
                    t[a] != '<';
        for (size_t k = a; k < e && plain; k++)
            plain = t[k] != '*' && t[k] != '_' && t[k] != '\t' && t[k] != '\\' &&
                    !(k + 1 < e && ((t[k] == '[' && t[k + 1] == '[') || (t[k] == '/' && t[k + 1] == '*')));
        if (!plain) continue;
        size_t z = e;
        while (z > a && (t[z - 1] == '\r' || t[z - 1] == ' ')) z--;
        size_t wmin, wmax, N = line_cps(t, a, z, &cp, &cap);
        if (N == SIZE_MAX) { *rc = PK_ENOMEM; break; }
        wrap_widths(r[lo].dialogue, &wmin, &wmax);
        size_t pos = 0;
        while (N - pos > wmin) { /* (the rest fits the widest page but not the narrowest: they differ) */
            long p1 = last_space(t, cp, N, pos, pos + wmin);
            long p2 = N - pos > wmax ? last_space(t, cp, N, pos, pos + wmax) : -2;
            if (p1 <= (long)pos) break;
            if (p1 != p2) { /* the pages differ: end it at the narrowest, not where another channel may break */
                const unsigned char c = t[cp[p1] - 1];
                int ok = (is_alpha(c) || is_digit(c) || c == '"' || c == ')' || c == '\'' ||
                          (c == ',' && !comma_breaks)) && t[cp[p1] + 1] != ' ';
                long q0 = last_space(t, cp, N, pos, (size_t)p1 - 1);
                const wrap_at *y = ok && q0 > (long)pos ? wrap_find(r, lo, j, cp[q0]) : NULL;
                if (y && !ends_clause(t, cp[q0 + 1], cp[p1])) { /* there (0), or a word earlier (1) */
                    decided++;
                    if (pk_mark_bit(code, y->ctx)) p1 = q0;
                    t[cp[p1]] = '\n';
                    pos = (size_t)p1 + 1;
                    continue;
                }
                if (!ok && !hard) { /* or earlier, before a word whose bit is 1, as that bit's break */
                    for (long q = p1 - 1; q > (long)pos && !ok; q--) {
                        const wrap_at *x = t[cp[q]] == ' ' ? wrap_find(r, lo, j, cp[q]) : NULL;
                        if (x && pk_mark_bit(code, x->ctx)) ok = 1, p1 = q, decided++;
                    }
                    if (!ok) break;
                }
                /* (prose has no break channel that a line end there would
                 * mislead, nor a renderer to wrap what is left: it ends
                 * where the narrowest page does) */
                p1 = hard_cut(t, cp, N, pos, p1, hard);
                pos = (size_t)p1 + 1;
                continue;
            }
            long p0 = last_space(t, cp, N, pos, (size_t)p1 - 1);
            const wrap_at *x = p0 > (long)pos ? wrap_find(r, lo, j, cp[p0]) : NULL;
            if (x && !ends_clause(t, cp[p0 + 1], cp[p1])) {
                decided++;
                if (pk_mark_bit(code, x->ctx)) {
                    t[cp[p0]] = '\n';
                    pos = (size_t)p0 + 1;
                    continue;
                }
            }
            if (hard) p1 = hard_cut(t, cp, N, pos, p1, hard); /* no renderer will: the copy ends the line */
            pos = (size_t)p1 + 1;
        }
    }
    free(cp);
    return decided;
}

int pk_mark_apply(const char *data, size_t n, int format, const pk_mark_code *code, pk_buf *out, size_t *npoints,
                  pk_error *err)
{
    scan sc;
    pk_buf_reset(out);
    wrap_at *wr = NULL;
    size_t nwr = 0;
    int rc = scan_text(&sc, data, n, sniff_format(data, n, format), code->channels, err);
    if (rc) goto cleanup;
    size_t at = 0, used = 0;
    for (size_t i = 0; i < sc.np; i++) {
        const pk_mark_point *p = &sc.pt[i];
        if (p->start < at) continue; /* overlaps the one before */
        if (!(code->channels & (1u << p->channel))) continue; /* a copy made before the channel: as the original */
        if (p->channel == PK_MARK_WRAP || p->channel == PK_MARK_PWRAP) { /* laid out when the rest is written */
            if (!wr && !(wr = malloc(sc.np * sizeof *wr))) { rc = PK_ENOMEM; goto fail; }
            if ((rc = pk_buf_append(out, data + at, p->end - at))) goto fail;
            wr[nwr++] = (wrap_at){out->len - 1, p->ctx, cls_at(&sc, p->start) == C_VOICE};
            at = p->end;
            continue;
        }
        int bit = pk_mark_bit(code, p->ctx);
        if (p->channel == PK_MARK_BREAK && !bit && !memchr(data + p->start, '\n', p->end - p->start)) {
            used++; /* no break: the spacing point at the same place sets the spaces */
            continue;
        }
        if ((rc = pk_buf_append(out, data + at, p->start - at)) || (rc = render(out, &sc, p, bit))) goto fail;
        at = p->end;
        used++;
    }
    if ((rc = pk_buf_append(out, data + at, n - at))) goto fail;
    if (nwr) {
        used += wrap_layout((unsigned char *)out->data, out->len, wr, nwr, code, sc.prose_wrap, &rc);
        if (rc) goto fail;
    }
    if (npoints) *npoints = used;
    goto cleanup;
fail:
    rc = pk_fail(err, rc, rc == PK_ETOOBIG ? "marked copy over the size limit" : "out of memory");
cleanup:
    free(wr);
    scan_free(&sc);
    return rc;
}

/* ---- the statistic --------------------------------------------------------- */

/* U for observed y, codeword bit x, bias p. */
static double tardos_u(double p, int y, int x)
{
    double a = sqrt((1 - p) / p), b = sqrt(p / (1 - p));
    if (y) return x ? a : -b;
    return x ? -a : b;
}

double pk_mark_score(const double *p, const uint8_t *y, const uint8_t *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += tardos_u(p[i], y[i], x[i]);
    return s;
}

/* The terms of a candidate's score.  For an innocent the terms are
 * independent, each of a known law, whatever the leak: a single point is
 * U(y, x) with x ~ Bernoulli(p); a sentence end where the copy may have a
 * line break is a pair, the break's term (0 if the leak did not read it)
 * plus, only where the copy has no break, the spacing's, so its moment
 * generating function is exactly p E[e^{l u1}] + (1-p) e^{l u0} M_space(l).
 * Which terms a candidate has depends only on its channels, never on its
 * bits, so one bound function serves every candidate of the same channels
 * and the union bound below holds by construction. */
typedef struct term {
    double p, u1, u0; /* the point, or the break of a pair: value when x = 1, x = 0 */
    double q, v1, v0; /* a pair's spacing point (added when the break's x = 0) */
    uint8_t pair, x, xs;
} term;

static double log_mgf_terms(const term *t, size_t n, double s, double l)
{
    double acc = -l * s;
    for (size_t i = 0; i < n; i++) {
        double a = log(t[i].p) + l * t[i].u1, b = log1p(-t[i].p) + l * t[i].u0;
        if (t[i].pair) {
            double c1 = log(t[i].q) + l * t[i].v1, c0 = log1p(-t[i].q) + l * t[i].v0;
            double mx = c1 > c0 ? c1 : c0;
            b += mx + log(exp(c1 - mx) + exp(c0 - mx));
        }
        double mx = a > b ? a : b;
        acc += mx + log(exp(a - mx) + exp(b - mx));
    }
    return acc;
}

/* The Chernoff bound P(S >= s) <= min_l E e^{l S} / e^{l s}, S the sum of
 * the terms for an innocent. */
static double tail_terms(const term *t, size_t n, double s)
{
    if (s <= 0 || n == 0) return 1.0;
    /* convex in l: golden-section search on [0, 64] */
    double lo = 0, hi = 64, g = (sqrt(5.0) - 1) / 2;
    double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
    double fa = log_mgf_terms(t, n, s, a), fb = log_mgf_terms(t, n, s, b);
    for (int it = 0; it < 80; it++) {
        if (fa < fb) hi = b, b = a, fb = fa, a = hi - g * (hi - lo), fa = log_mgf_terms(t, n, s, a);
        else lo = a, a = b, fa = fb, b = lo + g * (hi - lo), fb = log_mgf_terms(t, n, s, b);
    }
    double best = fa < fb ? fa : fb;
    return best >= 0 ? 1.0 : exp(best);
}

/* The bound for independent single points (tests, bench): the same search
 * over terms of one point each. */
double pk_mark_tail(const double *p, const uint8_t *y, size_t n, double s)
{
    if (s <= 0 || n == 0) return 1.0;
    term *t = calloc(n, sizeof *t);
    if (!t) return 1.0; /* no bound computed: nobody accused */
    for (size_t i = 0; i < n; i++) t[i].p = p[i], t[i].u1 = tardos_u(p[i], y[i], 1), t[i].u0 = tardos_u(p[i], y[i], 0);
    double b = tail_terms(t, n, s);
    free(t);
    return b;
}

/* ---- the registry's tables ----------------------------------------------- */

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS mark_key(id INTEGER PRIMARY KEY CHECK (id = 1), key BLOB NOT NULL,"
    "  cutoff REAL NOT NULL, created TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS marks(mark_id TEXT PRIMARY KEY, work_id TEXT, sha256 TEXT NOT NULL,"
    "  recipient TEXT NOT NULL, format TEXT NOT NULL, points INTEGER NOT NULL, secret BLOB NOT NULL,"
    "  created TEXT NOT NULL, channels INTEGER, UNIQUE(sha256, recipient));"
    "CREATE TABLE IF NOT EXISTS mark_points(sha256 TEXT NOT NULL, ctx INTEGER NOT NULL, channel INTEGER NOT NULL,"
    "  PRIMARY KEY(sha256, ctx)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS mark_points_ctx ON mark_points(ctx);"
    "CREATE TABLE IF NOT EXISTS mark_alts(sha256 TEXT NOT NULL, alt INTEGER NOT NULL, ctx INTEGER NOT NULL,"
    "  PRIMARY KEY(sha256, alt)) WITHOUT ROWID;";

static int db_fail(pk_error *err, sqlite3 *db, const char *what)
{
    return pk_fail(err, PK_EDB, "%s: %s", what, sqlite3_errmsg(db));
}

/* Has the marks table the channels column?  (Registries marked before it
 * existed: NULL or no column means PK_MARK_CHANNELS_V1.) */
static int has_channels_column(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int has = sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('marks') WHERE name = 'channels'", -1, &st,
                                 NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return has;
}

static int add_channels_column(sqlite3 *db, pk_error *err)
{
    if (!has_channels_column(db) &&
        sqlite3_exec(db, "ALTER TABLE marks ADD COLUMN channels INTEGER", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(err, db, "upgrading the marks table");
    return 0;
}

/* The registry's mark key and its code's cut-off, made on first use
 * (inside the caller's transaction) with the cut-off *cutoff asks for. */
static int mark_key(sqlite3 *db, uint8_t key[32], double *cutoff, int create, pk_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(db, "SELECT key, cutoff FROM mark_key WHERE id = 1", -1, &st, NULL) != SQLITE_OK)
        return create ? db_fail(err, db, "mark key") : pk_fail(err, PK_ENOTFOUND, "no marks in this registry");
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
        memcpy(key, sqlite3_column_blob(st, 0), 32);
        *cutoff = sqlite3_column_double(st, 1);
        if (sqlite3_column_type(st, 1) != SQLITE_FLOAT || !(*cutoff > 0 && *cutoff <= 0.5))
            rc = pk_fail(err, PK_ECORRUPT, "mark_key: bias cut-off %g out of (0, 0.5]", *cutoff);
        goto cleanup;
    }
    if (s != SQLITE_DONE && s != SQLITE_ROW) { rc = db_fail(err, db, "mark key"); goto cleanup; }
    if (!create) { rc = pk_fail(err, PK_ENOTFOUND, "no marks in this registry"); goto cleanup; }
    sqlite3_finalize(st);
    st = NULL;
    randombytes_buf(key, 32); /* the code's cut-off: *cutoff as asked */
    if (sqlite3_prepare_v2(db, "INSERT INTO mark_key(id, key, cutoff, created) VALUES (1, ?, ?, datetime('now'))", -1,
                           &st, NULL) != SQLITE_OK ||
        sqlite3_bind_blob(st, 1, key, 32, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_double(st, 2, *cutoff) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(err, db, "storing the mark key");
cleanup:
    sqlite3_finalize(st);
    return rc;
}

int pk_mark_work(pk_registry *r, const char *name, const char *data, size_t n, int format, const char *recipient,
                 unsigned flags, pk_buf *out, pk_mark_result *res, pk_error *err)
{
    sqlite3 *db = pk_registry_db(r);
    sqlite3_stmt *st = NULL;
    scan sc;
    memset(&sc, 0, sizeof sc);
    memset(res, 0, sizeof *res);
    int rc = 0, began = 0;
    uint8_t key[32], secret[32];
    pk_mark_alt *alts = NULL;
    size_t nalts = 0;
    double cutoff = flags & PK_MARK_TARDOS ? PK_MARK_CUTOFF_TARDOS : PK_MARK_CUTOFF;
    if (!recipient || !*recipient || strlen(recipient) >= 256)
        return pk_fail(err, PK_EINVAL, "a recipient name of 1 to 255 bytes is needed");
    if (format == PK_WORK_AUTO && name) {
        const char *dot = strrchr(name, '.');
        if (dot && (!strcasecmp(dot, ".fountain") || !strcasecmp(dot, ".spmd"))) format = PK_WORK_FOUNTAIN;
        else if (dot && !strcasecmp(dot, ".fdx")) format = PK_WORK_FDX;
        else if (dot && (!strcasecmp(dot, ".html") || !strcasecmp(dot, ".htm") || !strcasecmp(dot, ".xhtml")))
            format = PK_WORK_HTML;
        else if (dot && (!strcasecmp(dot, ".md") || !strcasecmp(dot, ".markdown"))) format = PK_WORK_MARKDOWN;
        else if (dot && !strcasecmp(dot, ".txt")) format = PK_WORK_TEXT;
    }
    format = sniff_format(data, n, format);
    if (format != PK_WORK_TEXT && format != PK_WORK_FOUNTAIN && format != PK_WORK_FDX && format != PK_WORK_HTML &&
        format != PK_WORK_MARKDOWN)
        return pk_fail(err, PK_EINVAL, "%s: cannot mark a %s file (text, Fountain, FDX, HTML, Markdown)",
                       name ? name : "-", pk_work_format_name(format));
    pk_sha256_hex(data, n, res->sha256);
    if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK) return db_fail(err, db, "mark tables");
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return db_fail(err, db, "begin");
    began = 1;
    if ((rc = add_channels_column(db, err)) || (rc = mark_key(db, key, &cutoff, 1, err))) goto cleanup;
    res->cutoff = cutoff;
    /* the work's id, when the original is registered */
    if (sqlite3_prepare_v2(db, "SELECT id FROM works WHERE sha256 = ?", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, res->sha256, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            snprintf(res->work_id, sizeof res->work_id, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    st = NULL;
    /* the recipient's existing mark: the same copy again */
    uint32_t channels = flags & PK_MARK_DENSE ? PK_MARK_CHANNELS_DENSE : PK_MARK_CHANNELS_ALL;
    if (sqlite3_prepare_v2(db, "SELECT mark_id, secret, coalesce(channels, ?3) FROM marks WHERE sha256 = ?1 AND"
                               " recipient = ?2", -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(err, db, "marks");
        goto cleanup;
    }
    sqlite3_bind_text(st, 1, res->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, recipient, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, PK_MARK_CHANNELS_V1);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 1) == 32) {
        snprintf(res->mark_id, sizeof res->mark_id, "%s", (const char *)sqlite3_column_text(st, 0));
        memcpy(secret, sqlite3_column_blob(st, 1), 32);
        channels = (uint32_t)sqlite3_column_int64(st, 2) & PK_MARK_CHANNELS_DENSE; /* the same copy again */
        res->existed = 1;
    } else {
        uint8_t id[16];
        randombytes_buf(secret, sizeof secret);
        randombytes_buf(id, sizeof id);
        sodium_bin2hex(res->mark_id, sizeof res->mark_id, id, sizeof id);
    }
    sqlite3_finalize(st);
    st = NULL;
    pk_mark_code code;
    pk_mark_code_init(&code, key, secret, cutoff);
    code.channels = channels;
    if ((rc = pk_mark_apply(data, n, format, &code, out, &res->points, err))) goto cleanup;
    if ((rc = scan_text(&sc, data, n, format, channels, err))) goto cleanup;
    if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO mark_points(sha256, ctx, channel) VALUES (?, ?, ?)", -1, &st,
                           NULL) != SQLITE_OK) {
        rc = db_fail(err, db, "mark points");
        goto cleanup;
    }
    for (size_t i = 0; i < sc.np; i++) {
        sqlite3_bind_text(st, 1, res->sha256, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)sc.pt[i].ctx);
        sqlite3_bind_int(st, 3, sc.pt[i].channel);
        if (sqlite3_step(st) != SQLITE_DONE) { rc = db_fail(err, db, "mark points"); goto cleanup; }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (channels & PK_MARK_NAMING_CHANNELS) { /* second names, of the naming they were made with */
        if ((rc = pk_mark_alts(sc.pt, sc.np, &alts, &nalts, err))) goto cleanup;
        if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO mark_alts(sha256, alt, ctx) VALUES (?, ?, ?)", -1, &st,
                               NULL) != SQLITE_OK) {
            rc = db_fail(err, db, "mark points");
            goto cleanup;
        }
        for (size_t i = 0; i < nalts; i++) {
            sqlite3_bind_text(st, 1, res->sha256, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, (sqlite3_int64)alts[i].alt);
            sqlite3_bind_int64(st, 3, (sqlite3_int64)alts[i].ctx);
            if (sqlite3_step(st) != SQLITE_DONE) { rc = db_fail(err, db, "mark points"); goto cleanup; }
            sqlite3_reset(st);
        }
        sqlite3_finalize(st);
        st = NULL;
    }
    if (!res->existed) {
        if (sqlite3_prepare_v2(db,
                               "INSERT INTO marks(mark_id, work_id, sha256, recipient, format, points, secret, created,"
                               " channels) VALUES (?, ?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ','now'), ?)",
                               -1, &st, NULL) != SQLITE_OK) {
            rc = db_fail(err, db, "marks");
            goto cleanup;
        }
        sqlite3_bind_text(st, 1, res->mark_id, -1, SQLITE_STATIC);
        if (res->work_id[0]) sqlite3_bind_text(st, 2, res->work_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, res->sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, recipient, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, pk_work_format_name(format), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 6, (sqlite3_int64)res->points);
        sqlite3_bind_blob(st, 7, secret, 32, SQLITE_STATIC);
        sqlite3_bind_int64(st, 8, channels);
        if (sqlite3_step(st) != SQLITE_DONE) { rc = db_fail(err, db, "recording the mark"); goto cleanup; }
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) { rc = db_fail(err, db, "commit"); goto cleanup; }
    began = 0;
cleanup:
    sqlite3_finalize(st);
    if (began) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    scan_free(&sc);
    free(alts);
    sodium_memzero(key, sizeof key);
    sodium_memzero(secret, sizeof secret);
    return rc;
}

/* ---- the decision ---------------------------------------------------------- */

static int cmp_obs(const void *a, const void *b)
{
    const pk_mark_point *x = a, *y = b;
    return x->ctx < y->ctx ? -1 : x->ctx > y->ctx;
}

static int cmp_alt(const void *a, const void *b)
{
    const pk_mark_alt *x = a, *y = b;
    if (x->alt != y->alt) return x->alt < y->alt ? -1 : 1;
    return x->ctx < y->ctx ? -1 : x->ctx > y->ctx;
}

int pk_mark_alts(const pk_mark_point *pts, size_t np, pk_mark_alt **out, size_t *nout, pk_error *err)
{
    pk_mark_alt *t = malloc((np ? np : 1) * sizeof *t);
    size_t n = 0, m = 0;
    *out = NULL, *nout = 0;
    if (!t) return pk_fail(err, PK_ENOMEM, "out of memory");
    for (size_t i = 0; i < np; i++)
        if (pts[i].alt) t[n++] = (pk_mark_alt){pts[i].alt, pts[i].ctx};
    if (n > 1) qsort(t, n, sizeof *t, cmp_alt);
    for (size_t i = 0; i < n;) { /* keep a second name only when it stands for one name */
        size_t j = i + 1;
        int one = 1;
        while (j < n && t[j].alt == t[i].alt) one &= t[j].ctx == t[i].ctx, j++;
        if (one) t[m++] = t[i];
        i = j;
    }
    *out = t, *nout = m;
    return 0;
}

static int known_has(const uint64_t *known, size_t n, uint64_t ctx);

size_t pk_mark_resolve(pk_mark_point *pts, size_t np, const uint64_t *known, size_t nknown, const pk_mark_alt *alts,
                       size_t nalts)
{
    size_t got = 0;
    for (size_t i = 0; i < np; i++) {
        if (!pts[i].alt || pts[i].naming == PK_MARK_NAMING_OLD || known_has(known, nknown, pts[i].ctx)) continue;
        size_t lo = 0, hi = nalts;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (alts[mid].alt < pts[i].alt) lo = mid + 1; else hi = mid;
        }
        if (lo < nalts && alts[lo].alt == pts[i].alt) {
            pts[i].ctx = alts[lo].ctx;
            pts[i].naming = PK_MARK_NAMING_NEW; /* second names are kept for the new naming's copies only */
            got++;
        }
    }
    return got;
}

static int known_has(const uint64_t *known, size_t n, uint64_t ctx)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (known[mid] < ctx) lo = mid + 1; else hi = mid;
    }
    return lo < n && known[lo] == ctx;
}

/* Channels a layout or a text extraction can erase everywhere at once. */
#define TYPOGRAPHIC                                                                                              \
    ((1u << PK_MARK_APOS) | (1u << PK_MARK_DASH) | (1u << PK_MARK_ELLIPSIS) | (1u << PK_MARK_SPACE) |           \
     (1u << PK_MARK_QUOTE) | (1u << PK_MARK_BREAK) | (1u << PK_MARK_CBREAK) | (1u << PK_MARK_WRAP) |             \
     (1u << PK_MARK_DSPACE) | (1u << PK_MARK_PWRAP))

/* Channels of a character's form, read one by one.  A few readings of
 * one form are no sign that a tool rewrote them all (with fair coins, a
 * live channel's k readings all agree with probability 2^(1-k): always
 * for one dash); from GLYPHS_DEAD readings on they are. */
#define GLYPHS                                                                                                   \
    ((1u << PK_MARK_APOS) | (1u << PK_MARK_DASH) | (1u << PK_MARK_ELLIPSIS) | (1u << PK_MARK_QUOTE) |            \
     (1u << PK_MARK_DSPACE))
#define GLYPHS_DEAD 4

/* Keep one reading per name (a name read both ways is dropped), only the
 * names in known (sorted; NULL: all), and no typographic channel whose
 * forms all read alike.  Returns the count kept, in pts. */
static size_t judge_filter(pk_mark_point *pts, size_t np, const uint64_t *known, size_t nknown)
{
    if (np > 1) qsort(pts, np, sizeof *pts, cmp_obs);
    size_t m = 0;
    for (size_t i = 0; i < np;) {
        size_t j = i;
        int conflict = 0;
        while (j < np && pts[j].ctx == pts[i].ctx) conflict |= pts[j].bit != pts[i].bit, j++;
        if (!conflict && (!known || known_has(known, nknown, pts[i].ctx))) pts[m++] = pts[i];
        i = j;
    }
    np = m;
    for (int ch = PK_MARK_APOS; ch < PK_MARK_NCHANNELS; ch++) {
        if (!(TYPOGRAPHIC & (1u << ch))) continue; /* wording channels do not die */
        int seen[2] = {0, 0};
        size_t k = 0;
        for (size_t i = 0; i < np; i++) /* (a point read under both namings once) */
            if (pts[i].channel == ch && pts[i].naming != PK_MARK_NAMING_OLD) seen[pts[i].bit] = 1, k++;
        if ((seen[0] && seen[1]) || ((GLYPHS & (1u << ch)) && k < GLYPHS_DEAD)) continue;
        m = 0;
        for (size_t i = 0; i < np; i++)
            if (pts[i].channel != ch) pts[m++] = pts[i];
        np = m;
    }
    return np;
}

static int cmp_ctx_pt(const void *key, const void *elem)
{
    uint64_t k = *(const uint64_t *)key, c = ((const pk_mark_point *)elem)->ctx;
    return k < c ? -1 : k > c;
}

/* Candidate c under hypothesis h (joined: the leak's breaks were joined,
 * a joined break reading as h spaces): its terms in t (np at most), the
 * score, the points scored and their matches.  gated[i]: the break point
 * i stands in a pair. */
static size_t candidate_terms(const pk_mark_code *c, const pk_mark_point *pts, size_t np, const double *p,
                              const uint8_t *dep, const uint8_t *gated, int joined, int h, term *t, double *score,
                              uint32_t *points, uint32_t *matches)
{
    size_t m = 0;
    double sc = 0;
    uint32_t pts_n = 0, mt = 0;
    const int has_break = (c->channels >> PK_MARK_BREAK) & 1;
    for (size_t i = 0; i < np; i++) {
        const pk_mark_point *pt = &pts[i];
        if (!((c->channels >> pt->channel) & 1)) continue;
        if (pt->naming && (pt->naming == PK_MARK_NAMING_NEW) != ((c->channels & PK_MARK_NAMING_CHANNELS) != 0))
            continue; /* a name of the other naming (pk_trace_text()) */
        if (pt->channel == PK_MARK_BREAK && gated[i]) continue; /* in its pair */
        if ((pt->channel == PK_MARK_WRAP || pt->channel == PK_MARK_PWRAP) && joined)
            continue; /* re-wrapped: the lines are the joiner's */
        term *e = &t[m++];
        memset(e, 0, sizeof *e);
        int y = pt->bit;
        if (dep[i] && has_break && !joined) {
            /* a pair: the break (read or not) and this spacing */
            const pk_mark_point *b = bsearch(&pt->dep, pts, np, sizeof *pts, cmp_ctx_pt);
            double pb = pk_mark_bias(c, pt->dep);
            int xb = pk_mark_bit(c, pt->dep), xs = pk_mark_bit(c, pt->ctx);
            e->pair = 1, e->p = pb, e->q = p[i];
            if (b && b->channel == PK_MARK_BREAK) e->u1 = tardos_u(pb, b->bit, 1), e->u0 = tardos_u(pb, b->bit, 0);
            e->v1 = tardos_u(p[i], y, 1), e->v0 = tardos_u(p[i], y, 0);
            e->x = (uint8_t)xb, e->xs = (uint8_t)xs;
            sc += xb ? e->u1 : e->u0 + (xs ? e->v1 : e->v0);
            if (b && b->channel == PK_MARK_BREAK) pts_n++, mt += xb == b->bit;
            if (!xb) pts_n++, mt += xs == y;
            continue;
        }
        double pe = p[i];
        int x;
        if (dep[i] && has_break) { /* joined: what the joiner made of a break, or the spacing */
            double pb = pk_mark_bias(c, pt->dep);
            pe = pb * h + (1 - pb) * p[i];
            x = pk_mark_bit(c, pt->dep) ? h : pk_mark_bit(c, pt->ctx);
        } else
            x = pk_mark_bit(c, pt->ctx);
        e->p = pe, e->u1 = tardos_u(pe, y, 1), e->u0 = tardos_u(pe, y, 0), e->x = (uint8_t)x;
        sc += x ? e->u1 : e->u0;
        pts_n++, mt += x == y;
    }
    *score = sc, *points = pts_n, *matches = mt;
    return m;
}

int pk_mark_judge(pk_mark_point *pts, size_t np, const uint64_t *known, size_t nknown, const pk_mark_code *codes,
                  size_t ncodes, double alpha, pk_mark_verdict *v, pk_error *err)
{
    memset(v, 0, sizeof *v);
    if (alpha <= 0) alpha = PK_MARK_ALPHA;
    np = judge_filter(pts, np, known, nknown); /* sorted by name */
    for (size_t i = 0; i < np; i++) v->used += pts[i].naming != PK_MARK_NAMING_OLD;
    size_t cap = np ? np : 1, nw = (ncodes ? ncodes : 1) * 2;
    double *p = malloc(cap * sizeof *p), *score = malloc(nw * sizeof *score);
    uint8_t *dep = malloc(cap), *gated = calloc(cap, 1);
    term *t = malloc(cap * sizeof *t);
    int rc = 0, joined = 1, any_dep = 0, hyp[PK_TRACE_TOP] = {0};
    if (!p || !dep || !gated || !t || !score) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto cleanup; }
    for (size_t i = 0; i < np; i++) {
        p[i] = ncodes ? pk_mark_bias(&codes[0], pts[i].ctx) : 0.5;
        dep[i] = pts[i].dep && (known ? known_has(known, nknown, pts[i].dep) : 0);
        any_dep |= dep[i];
        /* breaks read both ways, or lines read as a copy's layout
         * (read_wraps reads nothing from a re-wrap): the copy's lines */
        if (pts[i].channel == PK_MARK_BREAK || pts[i].channel == PK_MARK_WRAP || pts[i].channel == PK_MARK_PWRAP)
            joined = 0;
    }
    if (!joined)
        for (size_t i = 0; i < np; i++)
            if (dep[i]) {
                const pk_mark_point *b = bsearch(&pts[i].dep, pts, np, sizeof *pts, cmp_ctx_pt);
                if (b && b->channel == PK_MARK_BREAK) gated[b - pts] = 1;
            }
    /* With no break visible (a re-wrap joined them, or none was there), a
     * copy's break shows as whatever the joiner puts there, one space or
     * two: each recipient is scored under both, as two candidates. */
    size_t nh = joined && any_dep ? 2 : 1;
    for (size_t h = 0; h < nh; h++)
        for (size_t j = 0; j < ncodes; j++) {
            uint32_t matches, count;
            double sj;
            (void)candidate_terms(&codes[j], pts, np, p, dep, gated, joined, (int)h, t, &sj, &count, &matches);
            score[h * ncodes + j] = sj;
            /* keep the top PK_TRACE_TOP by score, highest first */
            size_t k = v->n < PK_TRACE_TOP ? v->n++ : PK_TRACE_TOP;
            while (k > 0 && score[(size_t)hyp[k - 1] * ncodes + v->who[k - 1]] < sj) {
                if (k < PK_TRACE_TOP)
                    v->who[k] = v->who[k - 1], hyp[k] = hyp[k - 1], v->matches[k] = v->matches[k - 1],
                    v->points[k] = v->points[k - 1];
                k--;
            }
            if (k < PK_TRACE_TOP) v->who[k] = j, hyp[k] = (int)h, v->matches[k] = matches, v->points[k] = count;
        }
    v->candidates = ncodes * nh;
    double cands = (double)v->candidates; /* the union bound's count */
    for (size_t k = 0; k < v->n; k++) {
        uint32_t pn, mt;
        double sj;
        size_t m = candidate_terms(&codes[v->who[k]], pts, np, p, dep, gated, joined, hyp[k], t, &sj, &pn, &mt);
        v->score[k] = sj;
        v->p[k] = tail_terms(t, m, sj);
        v->bound[k] = v->p[k] * cands > 1 ? 1 : v->p[k] * cands;
    }
    /* candidates scored on different terms: the strongest evidence first,
     * each recipient once */
    for (size_t k = 1; k < v->n; k++)
        for (size_t q = k; q > 0 && v->bound[q] < v->bound[q - 1]; q--) {
#define SWAP(f, T) do { T t_ = f[q]; f[q] = f[q - 1]; f[q - 1] = t_; } while (0)
            SWAP(v->who, size_t);
            SWAP(hyp, int);
            SWAP(v->matches, uint32_t);
            SWAP(v->points, uint32_t);
            SWAP(v->score, double);
            SWAP(v->p, double);
            SWAP(v->bound, double);
#undef SWAP
        }
    size_t m = 0;
    for (size_t k = 0; k < v->n; k++) {
        int dup = 0;
        for (size_t q = 0; q < m; q++) dup |= v->who[q] == v->who[k];
        if (dup) continue;
        v->who[m] = v->who[k], v->matches[m] = v->matches[k], v->points[m] = v->points[k];
        v->score[m] = v->score[k], v->p[m] = v->p[k], v->bound[m] = v->bound[k];
        m++;
    }
    v->n = m;
    v->accused = v->n > 0 && v->bound[0] <= alpha;
cleanup:
    free(p);
    free(dep);
    free(gated);
    free(t);
    free(score);
    return rc;
}

/* ---- tracing ------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The rows of sql (one parameter: the work's sha256) as ncol integers
 * each, one after another in *out (*n rows).  Without the table, an
 * error, or none (missing_ok). */
static int load_rows(sqlite3 *db, const char *sql, const char *sha, int ncol, int missing_ok, uint64_t **out,
                     size_t *n, pk_error *err)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc = 0;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return missing_ok ? 0 : db_fail(err, db, "mark points");
    sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 1024;
            uint64_t *nk = nc <= MAX_POINTS ? realloc(*out, nc * (size_t)ncol * sizeof *nk) : NULL;
            if (!nk) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); break; }
            *out = nk, cap = nc;
        }
        for (int c = 0; c < ncol; c++) (*out)[*n * (size_t)ncol + (size_t)c] = (uint64_t)sqlite3_column_int64(st, c);
        (*n)++;
    }
    sqlite3_finalize(st);
    return rc;
}

static int load_known(sqlite3 *db, const char *sha, uint64_t **out, size_t *n, pk_error *err)
{
    int rc = load_rows(db, "SELECT ctx FROM mark_points WHERE sha256 = ?", sha, 1, 0, out, n, err);
    if (!rc && *n > 1) qsort(*out, *n, sizeof **out, cmp_u64);
    return rc;
}

/* Read the leak sc (scanned with every channel) again with the old
 * canonical words (PK_MARK_NAMING_CHANNELS): a name of one reading only is
 * marked as of its naming, and the old reading's are appended, so that a
 * copy made before those channels is scored on its own names. */
static int old_naming(scan *sc, const char *text, size_t n, pk_error *err)
{
    scan old;
    uint64_t *a = NULL, *b = NULL;
    int rc = scan_text(&old, text, n, -1, PK_MARK_CHANNELS_ALL & ~PK_MARK_NAMING_CHANNELS, err);
    if (rc) { scan_free(&old); return rc; }
    size_t na = sc->np, nb = old.np, m = 0;
    a = malloc((na ? na : 1) * sizeof *a), b = malloc((nb ? nb : 1) * sizeof *b);
    pk_mark_point *grown = na + nb ? realloc(sc->pt, (na + nb) * sizeof *grown) : sc->pt;
    if (!a || !b || (na + nb && !grown)) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto cleanup; }
    if (na + nb) sc->pt = grown, sc->pcap = na + nb;
    for (size_t i = 0; i < na; i++) a[i] = sc->pt[i].ctx;
    for (size_t i = 0; i < nb; i++) b[i] = old.pt[i].ctx;
    if (na > 1) qsort(a, na, sizeof *a, cmp_u64);
    if (nb > 1) qsort(b, nb, sizeof *b, cmp_u64);
    for (size_t i = 0; i < na; i++)
        if (!bsearch(&sc->pt[i].ctx, b, nb, sizeof *b, cmp_u64)) sc->pt[i].naming = PK_MARK_NAMING_NEW;
    for (size_t i = 0; i < nb; i++)
        if (!bsearch(&old.pt[i].ctx, a, na, sizeof *a, cmp_u64)) {
            sc->pt[na + m] = old.pt[i];
            sc->pt[na + m++].naming = PK_MARK_NAMING_OLD;
        }
    sc->np = na + m;
cleanup:
    free(a);
    free(b);
    scan_free(&old);
    return rc;
}

/* The work's second names (a registry made before them has none). */
static int load_alts(sqlite3 *db, const char *sha, pk_mark_alt **out, size_t *n, pk_error *err)
{
    uint64_t *rows = NULL;
    *out = NULL;
    int rc = load_rows(db, "SELECT alt, ctx FROM mark_alts WHERE sha256 = ?", sha, 2, 1, &rows, n, err);
    if (!rc && *n && !(*out = malloc(*n * sizeof **out))) rc = pk_fail(err, PK_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < *n; i++) (*out)[i] = (pk_mark_alt){rows[2 * i], rows[2 * i + 1]};
    free(rows);
    if (rc) *n = 0;
    if (!rc && *n > 1) qsort(*out, *n, sizeof **out, cmp_alt); /* (unsigned order: SQLite's is signed) */
    return rc;
}

int pk_trace_text(pk_registry *r, const char *text, size_t n, const char *work, double alpha, pk_trace_result *res,
                  pk_error *err)
{
    sqlite3 *db = pk_registry_db(r);
    sqlite3_stmt *st = NULL;
    scan sc;
    memset(&sc, 0, sizeof sc);
    memset(res, 0, sizeof *res);
    res->alpha = alpha > 0 ? alpha : PK_MARK_ALPHA;
    uint8_t key[32];
    double cutoff = PK_MARK_CUTOFF;
    uint64_t *known = NULL;
    size_t nknown = 0, ncodes = 0, cap = 0, nalts = 0;
    pk_mark_alt *alts = NULL;
    pk_mark_code *codes = NULL;
    pk_trace_suspect *sus = NULL;
    int rc = mark_key(db, key, &cutoff, 0, err);
    if (rc) return rc;
    if ((rc = scan_text(&sc, text, n, -1, PK_MARK_CHANNELS_ALL, err)) || (rc = old_naming(&sc, text, n, err)))
        goto cleanup;
    for (size_t i = 0; i < sc.np; i++) res->points_read += sc.pt[i].naming != PK_MARK_NAMING_OLD;
    /* the work: given, or the one whose points the leak holds most of
     * (chosen from names only, which no codeword influences) */
    if (work) {
        if (sqlite3_prepare_v2(db, "SELECT sha256 FROM marks WHERE work_id = ?1 OR sha256 = ?1 LIMIT 1", -1, &st,
                               NULL) != SQLITE_OK) { rc = db_fail(err, db, "marks"); goto cleanup; }
        sqlite3_bind_text(st, 1, work, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW) { rc = pk_fail(err, PK_ENOTFOUND, "%s: no marked copies of this work", work); goto cleanup; }
        snprintf(res->sha256, sizeof res->sha256, "%s", (const char *)sqlite3_column_text(st, 0));
    } else {
        if (sqlite3_exec(db, "CREATE TEMP TABLE IF NOT EXISTS trace_ctx(ctx INTEGER PRIMARY KEY); DELETE FROM trace_ctx",
                         NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO trace_ctx VALUES (?)", -1, &st, NULL) != SQLITE_OK) {
            rc = db_fail(err, db, "trace");
            goto cleanup;
        }
        for (size_t i = 0; i < sc.np; i++) {
            sqlite3_bind_int64(st, 1, (sqlite3_int64)sc.pt[i].ctx);
            sqlite3_step(st);
            sqlite3_reset(st);
        }
        sqlite3_finalize(st);
        st = NULL;
        if (sqlite3_prepare_v2(db,
                               "SELECT mp.sha256, count(*) AS c FROM trace_ctx t JOIN mark_points mp ON mp.ctx = t.ctx"
                               " GROUP BY mp.sha256 ORDER BY c DESC, mp.sha256 LIMIT 1",
                               -1, &st, NULL) != SQLITE_OK) { rc = db_fail(err, db, "trace"); goto cleanup; }
        if (sqlite3_step(st) == SQLITE_ROW)
            snprintf(res->sha256, sizeof res->sha256, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    st = NULL;
    if (!res->sha256[0]) goto cleanup; /* no marked work's points: cannot tell */
    if ((rc = load_known(db, res->sha256, &known, &nknown, err)) ||
        (rc = load_alts(db, res->sha256, &alts, &nalts, err)))
        goto cleanup;
    res->points_work = nknown;
    (void)pk_mark_resolve(sc.pt, sc.np, known, nknown, alts, nalts);
    if (sqlite3_prepare_v2(db, has_channels_column(db)
                                   ? "SELECT recipient, mark_id, created, secret, coalesce(work_id, ''),"
                                     " coalesce(channels, ?2) FROM marks WHERE sha256 = ?1 ORDER BY created, mark_id"
                                   : "SELECT recipient, mark_id, created, secret, coalesce(work_id, ''), ?2"
                                     " FROM marks WHERE sha256 = ?1 ORDER BY created, mark_id",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(err, db, "marks");
        goto cleanup;
    }
    sqlite3_bind_text(st, 1, res->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, PK_MARK_CHANNELS_V1);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 3) != 32) continue;
        if (ncodes == cap) {
            size_t nc = cap ? cap * 2 : 64;
            pk_mark_code *ncd = realloc(codes, nc * sizeof *ncd);
            pk_trace_suspect *ns = ncd ? realloc(sus, nc * sizeof *ns) : NULL;
            if (ncd) codes = ncd;
            if (!ns) { rc = pk_fail(err, PK_ENOMEM, "out of memory"); goto cleanup; }
            sus = ns, cap = nc;
        }
        pk_trace_suspect *t = &sus[ncodes];
        memset(t, 0, sizeof *t);
        snprintf(t->recipient, sizeof t->recipient, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(t->mark_id, sizeof t->mark_id, "%s", (const char *)sqlite3_column_text(st, 1));
        snprintf(t->date, sizeof t->date, "%s", (const char *)sqlite3_column_text(st, 2));
        if (!res->work_id[0]) snprintf(res->work_id, sizeof res->work_id, "%s", (const char *)sqlite3_column_text(st, 4));
        pk_mark_code_init(&codes[ncodes], key, sqlite3_column_blob(st, 3), cutoff);
        codes[ncodes++].channels = (uint32_t)sqlite3_column_int64(st, 5) & PK_MARK_CHANNELS_DENSE;
    }
    if (s != SQLITE_DONE) { rc = db_fail(err, db, "marks"); goto cleanup; }
    res->recipients = ncodes;
    pk_mark_verdict v;
    if ((rc = pk_mark_judge(sc.pt, sc.np, known, nknown, codes, ncodes, res->alpha, &v, err))) goto cleanup;
    res->points_known = v.used;
    res->candidates = v.candidates;
    res->nsuspects = v.n;
    for (size_t k = 0; k < v.n; k++) {
        res->suspects[k] = sus[v.who[k]];
        res->suspects[k].matches = v.matches[k];
        res->suspects[k].points = v.points[k];
        res->suspects[k].score = v.score[k];
        res->suspects[k].p = v.p[k];
        res->suspects[k].bound = v.bound[k];
    }
    res->accused = v.accused;
cleanup:
    sqlite3_finalize(st);
    scan_free(&sc);
    free(known);
    free(alts);
    free(codes);
    free(sus);
    sodium_memzero(key, sizeof key);
    return rc;
}
