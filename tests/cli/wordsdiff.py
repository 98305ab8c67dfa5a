#!/usr/bin/env python3
"""wordsdiff.py -- picket's text of each page against a browser's, as words.

    wordsdiff.py PAGES_DIR PICKET_DIR BROWSER_DIR [KNOWN_TSV]

For each PAGES_DIR/NAME.html, PICKET_DIR/NAME.txt (picket text) and
BROWSER_DIR/NAME.txt (innerText) are compared as sequences of words: runs
of letters and digits, lower-cased (NFC), with ' and U+2019 between two of
them dropped, as picket reads "don't" as "dont".  Line breaks separate
words but are not compared otherwise.

Prints one line a page, "PASS NAME", "FAIL NAME: ..." or "KNOWN NAME
(reason): ..." for a page listed in KNOWN_TSV (NAME<TAB>reason), and
under a page that differs, each place where the word sequences part: the
words before it, picket's words and the browser's.  A word picket splits
across two of its lines where the browser has it whole is marked SPLIT.
Writes NAME<TAB>PASS|FAIL|KNOWN lines to ./results.tsv.  Exit 0."""
import difflib
import os
import sys
import unicodedata


def words(text):
    """[(word, line)] of text, line 1-based."""
    out = []
    for ln, line in enumerate(unicodedata.normalize("NFC", text).lower().split("\n"), 1):
        w = ""
        for i, ch in enumerate(line):
            if ch.isalnum():
                w += ch
            elif ch in "'\u2019" and w and i + 1 < len(line) and line[i + 1].isalnum():
                continue
            elif w:
                out.append((w, ln))
                w = ""
        if w:
            out.append((w, ln))
    return out


def show(ws, n=12):
    s = " ".join(ws[:n])
    return s + (" ... (%d words)" % len(ws) if len(ws) > n else "")


def compare(p, c):
    """The report lines of a page that differs; [] when the words agree."""
    pw, cw = [w for w, _ in p], [w for w, _ in c]
    if pw == cw:
        return []
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, pw, cw, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        where = "picket line %d" % p[i1][1] if i1 < len(p) else "the end"
        out.append("    after \"%s\" (%s):" % (" ".join(pw[max(0, i1 - 3):i1]), where))
        out.append("      picket:   %s" % (show(pw[i1:i2]) or "(nothing)"))
        out.append("      browser:  %s" % (show(cw[j1:j2]) or "(nothing)"))
        theirs = set(cw[j1:j2])
        for i in range(i1, i2 - 1):
            if p[i][1] != p[i + 1][1] and pw[i] + pw[i + 1] in theirs:
                out.append("      SPLIT: \"%s\" is one word in the browser, split across picket lines %d-%d"
                           % (pw[i] + pw[i + 1], p[i][1], p[i + 1][1]))
    return out


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    pages, pdir, bdir = sys.argv[1:4]
    known = {}
    if len(sys.argv) > 4:
        for line in open(sys.argv[4], encoding="utf-8"):
            if "\t" in line:
                k, why = line.rstrip("\n").split("\t", 1)
                known[k] = why
    results = []
    for name in sorted(os.path.splitext(f)[0] for f in os.listdir(pages) if f.endswith(".html")):
        try:
            p = words(open(os.path.join(pdir, name + ".txt"), encoding="utf-8", errors="replace").read())
            c = words(open(os.path.join(bdir, name + ".txt"), encoding="utf-8").read())
        except OSError as e:
            print("FAIL %s: %s" % (name, e))
            results.append((name, "FAIL"))
            continue
        diff = compare(p, c)
        if not diff:
            print("PASS %s%s" % (name, " (listed as a known difference, but there is none now: take it off the list)"
                                 if name in known else ""))
            results.append((name, "PASS"))
            continue
        status = "KNOWN" if name in known else "FAIL"
        print("%s %s%s: %d words from picket, %d from the browser" % (
            status, name, " (%s)" % known[name] if name in known else "", len(p), len(c)))
        print("\n".join(diff))
        results.append((name, status))
    with open("results.tsv", "w") as f:
        f.writelines("%s\t%s\n" % r for r in results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
