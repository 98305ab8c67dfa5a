#!/usr/bin/env python3
"""mixed.py -- stand-ins for French/German/Russian text made from English
text (no such corpus is on npm here), each with a fixed seed:

  all (default)  30% of letters (the fraction) replaced at random by
                 accented Latin and Cyrillic letters: pessimistic, nearly
                 every word gets one and words stop repeating (the issue's
                 "30% non-ASCII letters")
  fr             the fraction of letters replaced by French accented ones
                 (0.04: one or two a 64-byte block, as in French prose)
  ru             every Latin letter replaced by a Cyrillic one, case kept
                 (the fraction is not used): about 30 two-byte letters a
                 64-byte block, as in Russian text

usage: mixed.py IN OUT [fraction=0.30] [megabytes=25] [all|fr|ru]"""
import random
import sys

LETTERS = ("éèêëàâçîïôûùüÿœæÉÈÀÇ" "äöüßÄÖÜ" "абвгдежзийклмнопрстуфхцчшщыэюяАБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЩЭЮЯ")
FRENCH = "éèêàâçîôûùëïü"
RU_LOWER = "абвгдежзийклмнопрстуфхцчшщыэюя"
RU_UPPER = "АБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЫЭЮЯ"


def main():
    src, dst = sys.argv[1], sys.argv[2]
    frac = float(sys.argv[3]) if len(sys.argv) > 3 else 0.30
    mb = float(sys.argv[4]) if len(sys.argv) > 4 else 25
    mode = sys.argv[5] if len(sys.argv) > 5 else "all"
    text = open(src, encoding="utf-8", errors="replace").read(int(mb * 1e6))
    if mode == "ru":
        m = {}
        for i, c in enumerate("abcdefghijklmnopqrstuvwxyz"):
            m[c], m[c.upper()] = RU_LOWER[i], RU_UPPER[i]
        out = [m.get(c, c) for c in text]
    elif mode in ("all", "fr"):
        rng = random.Random(20261127 if mode == "all" else 5)
        letters = LETTERS if mode == "all" else FRENCH
        out = [rng.choice(letters) if c.isalpha() and rng.random() < frac else c for c in text]
    else:
        sys.exit("mixed.py: mode is all, fr or ru, not " + mode)
    open(dst, "w", encoding="utf-8").write("".join(out))


if __name__ == "__main__":
    main()
