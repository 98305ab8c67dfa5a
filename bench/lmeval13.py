#!/usr/bin/env python3
"""lmeval13.py -- the peer: 13-gram contamination check in plain Python, as
in GPT-3 (Brown et al. 2020, appendix C) and lm-evaluation-harness
(decontamination/janitor.py): lower-case, strip punctuation, split on
white space, take every 13-gram of every work; a corpus document is flagged
when any of its 13-grams is one of them.

To save memory the 13-grams are not stored as strings but as Python hash()
values of the joined 13-gram (a dict from hash to work number, so recall
can be measured per (document, work); a hash shared by two works keeps the
first).  Python's string hash is salted per process, which is fine: both
sides are hashed in the same process.

usage: lmeval13.py [--max-mb M] [--out HITS.jsonl]... [--n 13] WORKS_DIR CORPUS.jsonl...

Output (HITS.jsonl): one line per flagged document
  {"doc": id, "line": line number in the corpus, "works": ["w00012", ...]}
Stderr: build time, scan time, bytes scanned and throughput (MB/s), and a
machine-readable line per corpus starting with "lmeval13-result:" for
run.sh.
"""
import argparse
import json
import os
import string
import sys
import time

TABLE = str.maketrans("", "", string.punctuation)


def normalize(text):
    return text.lower().translate(TABLE).split()


def build(works_dir, n):
    names = sorted(f for f in os.listdir(works_dir) if f.endswith(".txt"))
    grams = {}
    setdefault = grams.setdefault
    for wi, name in enumerate(names):
        with open(os.path.join(works_dir, name), encoding="utf-8") as fh:
            words = normalize(fh.read())
        for i in range(len(words) - n + 1):
            setdefault(hash(" ".join(words[i:i + n])), wi)
    return [os.path.splitext(x)[0] for x in names], grams


def scan(corpus, grams, names, n, max_bytes, out):
    get = grams.get
    nbytes = 0
    ndocs = 0
    nflag = 0
    with open(corpus, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if max_bytes and nbytes + len(raw) > max_bytes:
                break
            nbytes += len(raw)
            ndocs += 1
            rec = json.loads(raw)
            words = normalize(rec.get("text", ""))
            hits = set()
            for i in range(len(words) - n + 1):
                w = get(hash(" ".join(words[i:i + n])))
                if w is not None:
                    hits.add(w)
            if hits:
                nflag += 1
                out.write(json.dumps({"doc": rec.get("id", lineno), "line": lineno,
                                      "works": sorted(names[w] for w in hits)}) + "\n")
    return nbytes, ndocs, nflag


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("works_dir")
    ap.add_argument("corpus", nargs="+", help="JSONL corpora, scanned one after the other")
    ap.add_argument("--max-mb", type=float, default=0,
                    help="scan only this many MB (10^6 bytes) of each corpus (whole lines)")
    ap.add_argument("--out", action="append", default=[],
                    help="hits file, once per corpus in order (default: stdout)")
    ap.add_argument("--n", type=int, default=13)
    args = ap.parse_args()

    t0 = time.perf_counter()
    names, grams = build(args.works_dir, args.n)
    t1 = time.perf_counter()
    print("lmeval13: %d works, %d distinct %d-grams, built in %.1fs"
          % (len(names), len(grams), args.n, t1 - t0), file=sys.stderr)
    for ci, corpus in enumerate(args.corpus):
        path = args.out[ci] if ci < len(args.out) else "-"
        out = sys.stdout if path == "-" else open(path, "w")
        t1 = time.perf_counter()
        nbytes, ndocs, nflag = scan(corpus, grams, names, args.n, int(args.max_mb * 1e6), out)
        t2 = time.perf_counter()
        if out is not sys.stdout:
            out.close()
        mbs = nbytes / 1e6 / (t2 - t1) if t2 > t1 else 0.0
        print("lmeval13: %s: scanned %d documents, %.1f MB in %.1fs: %.2f MB/s; %d documents flagged"
              % (corpus, ndocs, nbytes / 1e6, t2 - t1, mbs, nflag), file=sys.stderr)
        print("lmeval13-result: corpus=%s build_s=%.2f scan_s=%.3f bytes=%d docs=%d flagged=%d mbps=%.3f"
              % (corpus, t1 - t0 if ci == 0 else 0.0, t2 - t1, nbytes, ndocs, nflag, mbs), file=sys.stderr)


if __name__ == "__main__":
    main()
