#!/usr/bin/env python3
"""mkdocs.py -- build test corpora from real text with known reuse.

Background text is nlp-corpus sentences; reused passages come from Brown
corpus samples (tags stripped).  Writes corpus.jsonl, a directory of the
same documents as text files, and truth.json: for each reusing document
the work, the exact byte range of the passage in the document text (UTF-8
bytes of the decoded string) and how it was altered.

Usage: mkdocs.py BROWN_DIR NLP_DIR OUT_DIR WORK_ID...
"""
import json, os, random, re, sys

brown_dir, nlp_dir, out = sys.argv[1], sys.argv[2], sys.argv[3]
works = sys.argv[4:]
rng = random.Random(2023)

def brown(wid):
    raw = open(os.path.join(brown_dir, wid), encoding="utf-8").read()
    return re.sub(r"/\S+", "", raw)

sentences = []
for i in range(0, 100):
    p = os.path.join(nlp_dir, "doc-%d.json" % i)
    sentences += json.load(open(p, encoding="utf-8"))

WORD = re.compile(r"[A-Za-z0-9]")
# Words as picket counts them in ASCII text: letters and digits, with
# apostrophes inside a word joined.
TOKEN = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z0-9]+)*")

def passage(text, nwords):
    """nwords consecutive words of the source text (original spacing and
    line breaks kept), starting and ending on a whole word."""
    toks = [(m.start(), m.end()) for m in TOKEN.finditer(text)]
    for _ in range(1000):
        i = rng.randrange(20, len(toks) - nwords - 20)
        a, b = toks[i][0], toks[i + nwords - 1][1]
        if not text[a - 1].isspace() or not text[b].isspace():
            continue
        return text[a:b]
    raise SystemExit("no passage found")

def background(n):
    return " ".join(rng.choice(sentences) for _ in range(n))

def upper_rewrap(p):
    words = p.split()
    out = []
    for k, w in enumerate(words):
        w = w.upper()
        if w.endswith(",") or w.endswith("."):
            w = w[:-1] + (";" if w.endswith(".") else "")
        out.append(w)
        out.append("\n" if k % 7 == 6 else " ")
    return "".join(out).strip()

def light_edit(p):
    words = p.split(" ")
    for k in range(10, len(words) - 10, 20):
        if WORD.search(words[k]):
            words[k] = "zyxt"
    return " ".join(words)

docs, truth = [], []
def add(text, reuse):
    did = "doc-%04d" % len(docs)
    docs.append({"id": did, "url": "https://example.test/" + did, "text": text})
    for r in reuse:
        r["doc"] = did
        truth.append(r)

def with_passage(kind, wid, nwords, alter=None):
    p = passage(brown(wid), nwords)
    q = alter(p) if alter else p
    pre = background(3) + " zqxj "
    post = " zqxj " + background(3)
    start = len(pre.encode())
    add(pre + q + post, [{"work": wid, "kind": kind, "words": nwords,
                          "start": start, "end": start + len(q.encode())}])

for k in range(40):
    add(background(8), [])
for n, wid in zip([25, 26, 30, 60, 200], works):
    with_passage("verbatim", wid, n)
for wid in works[5:8]:
    with_passage("rewrapped", wid, 60, upper_rewrap)
for wid in works[8:10]:
    with_passage("edited", wid, 120, light_edit)
with_passage("short", works[10], 24)
# two works in one document
p1, p2 = passage(brown(works[11]), 40), passage(brown(works[12]), 40)
pre = background(2) + " zqxj "
mid = " zqxj " + background(2) + " zqxj "
t = pre + p1 + mid + p2 + " zqxj"
s1 = len(pre.encode()); s2 = len((pre + p1 + mid).encode())
add(t, [{"work": works[11], "kind": "verbatim", "words": 40, "start": s1, "end": s1 + len(p1.encode())},
        {"work": works[12], "kind": "verbatim", "words": 40, "start": s2, "end": s2 + len(p2.encode())}])
for k in range(20):
    add(background(6), [])
rng.shuffle(docs)

os.makedirs(os.path.join(out, "docs"), exist_ok=True)
with open(os.path.join(out, "corpus.jsonl"), "w", encoding="utf-8") as f:
    for d in docs:
        f.write(json.dumps(d, ensure_ascii=False) + "\n")
        with open(os.path.join(out, "docs", d["id"] + ".txt"), "w", encoding="utf-8") as g:
            g.write(d["text"])
order = {d["id"]: k for k, d in enumerate(docs)}
truth.sort(key=lambda r: (order[r["doc"]], r["start"]))
json.dump(truth, open(os.path.join(out, "truth.json"), "w"), indent=1)
# unrelated: the remaining nlp-corpus text, none of it reused
with open(os.path.join(out, "unrelated.jsonl"), "w", encoding="utf-8") as f:
    for k in range(0, len(sentences) - 30, 30):
        f.write(json.dumps({"id": "u%05d" % k, "text": " ".join(sentences[k:k + 30])}, ensure_ascii=False) + "\n")
