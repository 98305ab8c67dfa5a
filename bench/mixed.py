#!/usr/bin/env python3
"""mixed.py -- a stand-in for French/German/Russian text: English text with
30% of its letters replaced at random (fixed seed) by accented Latin and
Cyrillic letters.  No such corpus is on npm here; this one is pessimistic
(nearly every word gets a non-ASCII letter, and words stop repeating).

usage: mixed.py IN OUT [fraction=0.30] [megabytes=25]"""
import random
import sys

LETTERS = ("éèêëàâçîïôûùüÿœæÉÈÀÇ" "äöüßÄÖÜ" "абвгдежзийклмнопрстуфхцчшщыэюяАБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЩЭЮЯ")


def main():
    src, dst = sys.argv[1], sys.argv[2]
    frac = float(sys.argv[3]) if len(sys.argv) > 3 else 0.30
    mb = float(sys.argv[4]) if len(sys.argv) > 4 else 25
    rng = random.Random(20261127)
    text = open(src, encoding="utf-8", errors="replace").read(int(mb * 1e6))
    out = [rng.choice(LETTERS) if c.isalpha() and rng.random() < frac else c for c in text]
    open(dst, "w", encoding="utf-8").write("".join(out))


if __name__ == "__main__":
    main()
