#!/usr/bin/env python3
"""screenplaygen.py -- Fountain screenplays for bench/pdf.sh, generated.

Each script: a title page, then scenes until about --pages pages of
Courier 12 at 55 lines a page (counted roughly the way picket's layout
estimate does: action 60 columns, dialogue 35, parentheticals 30, a blank
line between elements).  Scene headings are INT./EXT. with places made of
words of the Brown corpus; action is one to three Brown sentences;
characters are invented names; dialogue is one or two Brown sentences with
now and then a parenthetical; a transition ends a scene now and then.
The sentences come from the Brown corpus in .deps (tags stripped), so no
two scripts share their order of text, and nothing is copied from any
screenplay.  Deterministic: one seed a script.

  python3 screenplaygen.py --brown DIR --out DIR --scripts 8 --pages 120
"""
import argparse
import os
import random
import re
import sys
import textwrap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from warcgen import brown_paragraphs  # noqa: E402

NAMES = ["MARGO", "TEODOR", "ISKRA", "BENEDICT", "LUZ", "ODHRAN", "PRIYA", "WENDELL", "SAOIRSE",
         "CASIMIR", "NELL", "AUGUSTIN", "YUNA", "FERGUS", "DELPHINE", "HAMISH"]
TIMES = ["DAY", "NIGHT", "MORNING", "EVENING", "LATER", "CONTINUOUS"]
PARENS = ["(quietly)", "(beat)", "(not looking up)", "(to himself)", "(to herself)", "(laughing)", "(off screen)"]


def sentences(paras):
    out = []
    for p in paras:
        for s in re.split(r"(?<=[.?!])\s+(?=[A-Z])", p):
            if 4 <= len(s.split()) <= 40 and not re.search(r"[\[\]{}<>=*_#~^@|\\]", s):
                out.append(s)
    return out


def lines(text, width):
    return len(textwrap.wrap(text, width)) or 1


def script(rng, sents, places, pages, n):
    cast = rng.sample(NAMES, 5)
    title = "%s %s" % (rng.choice(places).title(), rng.choice(["Road", "Harbour", "Winter", "Hours", "Station"]))
    out = ["Title: %s" % title, "Credit: Written by", "Author: screenplaygen.py (picket bench)",
           "Draft date: 27 November 2026", ""]
    total, target, scene, last = 0, pages * 55, 0, None
    while total < target:
        scene += 1
        place = " ".join(rng.sample(places, rng.choice([1, 2]))).upper()
        out += ["%s %s - %s" % (rng.choice(["INT.", "EXT."]), place, rng.choice(TIMES)), ""]
        total += 2
        for _ in range(rng.randrange(3, 12)):
            if rng.random() < 0.35:
                a = " ".join(rng.choice(sents) for _ in range(rng.randrange(1, 4)))
                out += [a, ""]
                total += lines(a, 60) + 1
            else:
                d = " ".join(rng.choice(sents) for _ in range(rng.randrange(1, 3)))
                last = rng.choice([c for c in cast if c != last])
                out.append(last)
                total += 1
                if rng.random() < 0.15:
                    out.append(rng.choice(PARENS))
                    total += 1
                out += [d, ""]
                total += lines(d, 35) + 1
        if rng.random() < 0.2:
            out += ["CUT TO:", ""]
            total += 2
    return title, "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--brown", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--scripts", type=int, default=8)
    ap.add_argument("--pages", type=int, default=120)
    ap.add_argument("--seed", type=int, default=1127)
    a = ap.parse_args()
    paras = brown_paragraphs(a.brown)
    sents = sentences(paras)
    places = sorted({w.strip(",.;:?!'()") for p in paras[:3000] for w in p.split()
                     if re.fullmatch(r"[a-z]{5,10}", w.strip(",.;:?!'()"))})
    os.makedirs(a.out, exist_ok=True)
    for i in range(a.scripts):
        rng = random.Random(a.seed * 1000 + i)
        title, text = script(rng, sents, places, a.pages, i)
        with open(os.path.join(a.out, "script%02d.fountain" % i), "w", encoding="utf-8") as f:
            f.write(text)
    print("screenplaygen: %d scripts of about %d pages in %s" % (a.scripts, a.pages, a.out), file=sys.stderr)


if __name__ == "__main__":
    main()
