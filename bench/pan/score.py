#!/usr/bin/env python3
"""score.py -- PAN text alignment measures (Potthast et al. 2010; PAN 2013/
2014) of picket's findings on the data of bench/pan/gen.py.

  score.py DATA SCAN.jsonl UNREL.jsonl [--json OUT]

DATA holds works/, register.jsonl (picket register --json), truth.jsonl,
meta.jsonl and unrelated.jsonl.  SCAN is picket's output on DATA/docs.jsonl,
UNREL its output on DATA/unrelated.jsonl.

A case s and a detection r are each a pair of byte ranges: one in the
suspicious document (picket's doc_start/doc_end), one in the registered
work's file (picket's work_start_word/work_end_word turned into bytes by
tokenizing the work as picket does: pantok.py; checked against the word
counts of register --json).  r detects s when they name the same document
and work and overlap on both sides.  With |x| the number of bytes of x on
both sides together (PAN's characters):
  recall      = mean over cases s of |U_{r detects s} (s n r)| / |s|
  precision   = mean over detections r of |U_{s detected by r} (s n r)| / |r|
                (a detection that detects nothing counts 0)
  granularity = mean over detected cases of the number of detections of it
  plagdet     = F1(precision, recall) / log2(1 + granularity)
"Doc side" is the same on the suspicious document's bytes alone.
Per obfuscation: the cases of that obfuscation and the detections in the
documents that hold them (every document holds one obfuscation);
"overall": all cases and all detections, those in documents without reuse
included.
"""
import argparse
import json
import math
import os
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pantok  # noqa: E402

ORDER = ["none", "recase", "ocr", "typos", "edit05", "edit10", "edit20", "reorder", "dialogue"]
BUCKETS = [(25, 49), (50, 149), (150, 10 ** 9)]


def union_len(iv):
    """Total length of the union of [a, b) intervals."""
    tot, ca, cb = 0, None, None
    for x, y in sorted(v for v in iv if v[1] > v[0]):
        if cb is None or x > cb:
            if cb is not None:
                tot += cb - ca
            ca, cb = x, y
        else:
            cb = max(cb, y)
    if cb is not None:
        tot += cb - ca
    return tot


def inter(a0, a1, b0, b1):
    return (max(a0, b0), min(a1, b1))


def measures(cases, dets, sides):
    """PAN measures of cases and detections (dicts with d0 d1 w0 w1, doc,
    work).  sides: 2 = both, 1 = document side only."""
    by = defaultdict(list)
    for i, r in enumerate(dets):
        by[(r["doc"], r["work"])].append(i)
    r_hits = defaultdict(list)  # detection -> cases it detects
    rec_sum = 0.0
    gran_sum = 0
    ndet = 0
    for s in cases:
        hits = []
        for i in by.get((s["doc"], s["work"]), ()):
            r = dets[i]
            if r["d0"] < s["d1"] and s["d0"] < r["d1"] and (
                    sides == 1 or r["w0"] is None or (r["w0"] < s["w1"] and s["w0"] < r["w1"])):
                hits.append(i)
                r_hits[i].append(s)
        s["hits"] = len(hits)
        if hits:
            ndet += 1
            gran_sum += len(hits)
            du = union_len([inter(s["d0"], s["d1"], dets[i]["d0"], dets[i]["d1"]) for i in hits])
            num, den = du, s["d1"] - s["d0"]
            if sides == 2:
                wu = union_len([inter(s["w0"], s["w1"], dets[i]["w0"], dets[i]["w1"]) for i in hits
                                if dets[i]["w0"] is not None])
                num += wu
                den += s["w1"] - s["w0"]
            rec_sum += num / den
    prec_sum = 0.0
    for i, r in enumerate(dets):
        ss = r_hits.get(i)
        if not ss:
            continue
        du = union_len([inter(s["d0"], s["d1"], r["d0"], r["d1"]) for s in ss])
        num, den = du, r["d1"] - r["d0"]
        if sides == 2 and r["w0"] is not None:
            num += union_len([inter(s["w0"], s["w1"], r["w0"], r["w1"]) for s in ss])
            den += r["w1"] - r["w0"]
        prec_sum += num / den if den else 0.0
    rec = rec_sum / len(cases) if cases else None
    prec = prec_sum / len(dets) if dets else None
    gran = gran_sum / ndet if ndet else None
    if rec is None or prec is None or gran is None or rec + prec == 0:
        pd = 0.0 if cases else None
        f1 = 0.0
    else:
        f1 = 2 * prec * rec / (prec + rec)
        pd = f1 / math.log2(1 + gran)
    return {"cases": len(cases), "detections": len(dets), "detected": ndet, "recall": rec, "precision": prec,
            "granularity": gran, "f1": f1, "plagdet": pd,
            "spurious": sum(1 for i in range(len(dets)) if i not in r_hits)}


def fmt(x, d=3):
    return "-" if x is None else ("%.*f" % (d, x))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data")
    ap.add_argument("scan")
    ap.add_argument("unrel")
    ap.add_argument("--json")
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    D = a.data

    files = {}
    words = {}
    with open(os.path.join(D, "register.jsonl")) as fh:
        for l in fh:
            r = json.loads(l)
            files[r["id"]] = r["file"] if os.path.isabs(r["file"]) else os.path.join(D, r["file"])
            words[r["id"]] = r["words"]
    wtoks = {}
    mismatch = []

    def toks_of(w):
        if w not in wtoks:
            t = pantok.work_tokens(files[w])
            if len(t) != words[w]:
                mismatch.append(w)
                t = None
            wtoks[w] = t
        return wtoks[w]

    meta = {}
    with open(os.path.join(D, "meta.jsonl")) as fh:
        for l in fh:
            r = json.loads(l)
            meta[r["doc"]] = r["obfuscation"]
    cases = []
    with open(os.path.join(D, "truth.jsonl")) as fh:
        for l in fh:
            r = json.loads(l)
            cases.append({"doc": r["doc"], "work": r["work"], "obf": r["obfuscation"], "d0": r["doc_start"],
                          "d1": r["doc_end"], "w0": r["work_start"], "w1": r["work_end"],
                          "words": r["work_words"], "source": r["source"]})
    dets = []
    nfind = 0
    with open(a.scan) as fh:
        for l in fh:
            f = json.loads(l)
            nfind += 1
            t = toks_of(f["work"])
            for p in f["passages"]:
                w0 = w1 = None
                if t is not None:
                    w0 = t[p["work_start_word"]][0]
                    w1 = t[p["work_end_word"] - 1][1]
                dets.append({"doc": f["doc"], "work": f["work"], "d0": p["doc_start"], "d1": p["doc_end"],
                             "w0": w0, "w1": w1, "obf": meta.get(f["doc"], "?"), "words": p["words"]})
    # every work's token count checked, not only those found
    for w in files:
        toks_of(w)

    n_unrel = 0
    with open(os.path.join(D, "unrelated.jsonl")) as fh:
        for _ in fh:
            n_unrel += 1
    unrel_docs = set()
    unrel_find = 0
    with open(a.unrel) as fh:
        for l in fh:
            f = json.loads(l)
            unrel_docs.add(f["doc"])
            unrel_find += 1

    res = {"label": a.label, "work_token_mismatch": mismatch, "rows": {}, "buckets": {}}
    lines = []
    hdr = ("| obfuscation | cases | detected | recall | precision | granularity | plagdet | doc-side recall |"
           " doc-side precision | doc-side plagdet | detected 25-49 / 50-149 / 150+ words |")
    lines.append(hdr)
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    groups = [(o, [c for c in cases if c["obf"] == o], [d for d in dets if d["obf"] == o]) for o in ORDER]
    groups.append(("no reuse (docs)", [], [d for d in dets if d["obf"] == "noreuse"]))
    groups.append(("overall", cases, dets))
    for name, cs, ds in groups:
        m2 = measures(cs, ds, 2)
        m1 = measures(cs, ds, 1)
        bk = []
        for lo, hi in BUCKETS:
            sub = [c for c in cs if lo <= c["words"] <= hi]
            bk.append("%d/%d" % (sum(1 for c in sub if c["hits"]), len(sub)) if sub else "-")
        res["rows"][name] = {"both": m2, "doc": m1, "buckets": bk}
        if name.startswith("no reuse"):
            lines.append("| %s | - | - | - | - | - | - | - | - | - | %d detections |" % (name, len(ds)))
            continue
        lines.append("| %s | %d | %s | %s | %s | %s | **%s** | %s | %s | %s | %s |" % (
            name, m2["cases"], "%d (%.1f%%)" % (m2["detected"], 100.0 * m2["detected"] / max(1, m2["cases"])),
            fmt(m2["recall"]), fmt(m2["precision"]), fmt(m2["granularity"], 2), fmt(m2["plagdet"]),
            fmt(m1["recall"]), fmt(m1["precision"]), fmt(m1["plagdet"]), " / ".join(bk)))
    # targets
    none = [c for c in cases if c["obf"] == "none" and c["words"] >= 25]
    nd = measures(none, [d for d in dets if d["obf"] == "none"], 1)
    exact = 0
    for c in none:
        ps = [d for d in dets if d["doc"] == c["doc"] and d["work"] == c["work"] and d["d0"] < c["d1"] and c["d0"] < d["d1"]]
        if len(ps) == 1 and ps[0]["d0"] == c["d0"] and ps[0]["d1"] == c["d1"] and ps[0]["w0"] == c["w0"] and ps[0]["w1"] == c["w1"]:
            exact += 1
    overall = res["rows"]["overall"]["both"]
    fp10k = 10000.0 * len(unrel_docs) / max(1, n_unrel)
    res["targets"] = {"plagdet_overall": overall["plagdet"], "none_detected": nd["detected"], "none_cases": nd["cases"],
                      "none_char_recall_doc": nd["recall"], "none_exact": exact,
                      "unrelated_docs": n_unrel, "unrelated_flagged": len(unrel_docs),
                      "unrelated_findings": unrel_find, "fp_per_10k": fp10k}
    lines.append("")
    lines.append("Targets:")
    lines.append("- plagdet overall (both sides) >= 0.90: %s -> %s" % (
        fmt(overall["plagdet"]), "PASS" if overall["plagdet"] and overall["plagdet"] >= 0.90 else "MISS"))
    rr = nd["detected"] / max(1, nd["cases"])
    lines.append("- recall on unobfuscated passages >= 25 words >= 0.99: %d/%d detected (%.4f), character recall "
                 "(doc side) %s, offsets exact on both sides %d/%d -> %s" % (
                     nd["detected"], nd["cases"], rr, fmt(nd["recall"], 4), exact, nd["cases"],
                     "PASS" if rr >= 0.99 and (nd["recall"] or 0) >= 0.99 else "MISS"))
    lines.append("- false-positive documents per 10,000 unrelated <= 1: %d of %d documents flagged (%d findings) "
                 "= %.2f per 10,000 -> %s" % (len(unrel_docs), n_unrel, unrel_find, fp10k,
                                               "PASS" if fp10k <= 1 else "MISS"))
    if mismatch:
        lines.append("WARNING: %d works tokenized differently from picket (work side unscored): %s"
                     % (len(mismatch), " ".join(mismatch[:10])))
    else:
        lines.append("(work-side offsets: pantok.py's token counts equal picket's for all %d works)" % len(files))
    print("\n".join(lines))
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main()
