#!/usr/bin/env python3
"""eval.py -- helpers of bench/run.sh (stdlib only).

  eval.py patterns WORKS_DIR OUT_PREFIX
      Write the rg peer's patterns: every work's consecutive non-overlapping
      25-word windows, words separated by single spaces (as an inserted
      passage appears in the corpus).  OUT_PREFIX.txt holds one pattern a
      line (for rg -F -f), OUT_PREFIX.tsv holds "work<TAB>pattern".

  eval.py report OUT_DIR
      Read the measurements run.sh left in OUT_DIR (metrics.env, time.*,
      the scan outputs, the peers' outputs, insertions.jsonl, gen.json) and
      print the report (run.sh saves it to OUT_DIR/report.txt).
"""
import json
import os
import re
import sys
from collections import defaultdict

WINDOW = 25


def cmd_patterns(works_dir, prefix):
    names = sorted(f for f in os.listdir(works_dir) if f.endswith(".txt"))
    n = 0
    with open(prefix + ".txt", "w", encoding="utf-8") as pt, open(prefix + ".tsv", "w", encoding="utf-8") as tsv:
        for name in names:
            with open(os.path.join(works_dir, name), encoding="utf-8") as fh:
                words = fh.read().split()
            wid = os.path.splitext(name)[0]
            for i in range(0, len(words) - WINDOW + 1, WINDOW):
                p = " ".join(words[i:i + WINDOW])
                pt.write(p + "\n")
                tsv.write(wid + "\t" + p + "\n")
                n += 1
    print("patterns: %d works, %d patterns of %d words" % (len(names), n, WINDOW), file=sys.stderr)


# ---------------------------------------------------------------- report

def load_metrics(out):
    m = {}
    p = os.path.join(out, "metrics.env")
    if os.path.exists(p):
        for line in open(p):
            line = line.rstrip("\n")
            if "=" in line:
                k, v = line.split("=", 1)
                m[k] = v
    return m


def fnum(m, k, default=None):
    try:
        return float(m[k])
    except (KeyError, ValueError):
        return default


def jsonl(path):
    if not os.path.exists(path):
        return None
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                out.append(json.loads(line))
    return out


def mb(b):
    return b / 1e6


def pct(a, b):
    return "%d/%d (%.4f)" % (a, b, a / b) if b else "%d/0 (n/a)" % a


def bucket(words):
    if words < 25:
        return "10-24"
    if words <= 30:
        return "25-30"
    if words <= 60:
        return "31-60"
    return "61-200"


WORD_RE = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")


def toks(text):
    return [t.replace("'", "").replace("\u2019", "") for t in WORD_RE.findall(text.lower())]


def read_lines(path, wanted):
    """{line number: raw line} for the wanted line numbers of a file."""
    got = {}
    if not wanted:
        return got
    last = max(wanted)
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            if i in wanted:
                got[i] = line
            if i >= last:
                break
    return got


def longest_common_run(a, b):
    """Length of the longest common contiguous token run of lists a and b."""
    best = 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, 1):
            if x == y:
                cur[j] = prev[j - 1] + 1
                if cur[j] > best:
                    best = cur[j]
        prev = cur
    return best


def verify(out, corpus, findings, limit=100):
    """For findings not explained by an insertion: is the reported text
    really in the work?  Sets f["_why"] on each finding checked:
    "in the work" (every passage occurs verbatim in the work, as tokens),
    "near copy, longest shared run N" or "NOT IN THE WORK, longest shared
    run N" (N < 8: no k-gram in common at all).  Returns counts by kind."""
    fs = findings[:limit]
    raw = read_lines(os.path.join(out, corpus), {f["line"] for f in fs})
    counts = defaultdict(int)
    cache = {}
    for f in fs:
        w = f["work"]
        if w not in cache:
            try:
                with open(os.path.join(out, "works", w + ".txt"), encoding="utf-8") as fh:
                    cache[w] = toks(fh.read())
            except OSError:
                cache[w] = []
        wt = cache[w]
        wjoined = " " + " ".join(wt) + " "
        text = json.loads(raw[f["line"]])["text"].encode("utf-8")
        why = "in the work"
        for p in f["passages"]:
            pt = toks(text[p["doc_start"]:p["doc_end"]].decode("utf-8", "replace"))
            if " " + " ".join(pt) + " " in wjoined:
                continue
            lo = max(0, p["work_start_word"] - 60)
            run = longest_common_run(pt, wt[lo:p["work_end_word"] + 60])
            why = ("near copy, longest shared run %d tokens" if run >= 8 else "NOT IN THE WORK, longest shared run %d") % run
        f["_why"] = why
        counts[why.split(",")[0]] += 1
    return counts, len(fs)


def describe(counts, n):
    return "checked %d: %s" % (n, ", ".join("%d %s" % (v, k) for k, v in sorted(counts.items())))


def picket_eval(truth, findings):
    """Match picket findings against the insertions."""
    by_doc = defaultdict(list)
    for f in findings:
        by_doc[f["doc"]].append(f)
    res = []
    for t in truth:
        found = False
        exact = start_ok = end_ok = False
        npass = 0
        best = None
        for f in by_doc.get(t["doc"], []):
            if f["work"] != t["work"]:
                continue
            for p in f["passages"]:
                if p["doc_start"] < t["end"] and p["doc_end"] > t["start"]:
                    found = True
                    npass += 1
                    s_ok = p["doc_start"] == t["tok_start"]
                    e_ok = p["doc_end"] == t["tok_end"]
                    start_ok |= s_ok
                    end_ok |= e_ok
                    if s_ok and e_ok:
                        exact = True
                    if best is None:
                        best = p
        res.append(dict(t=t, found=found, exact=exact, start_ok=start_ok, end_ok=end_ok, npass=npass, best=best))
    # findings not explained by an insertion: (doc, work) pairs with no
    # insertion of that work in that doc, and passages outside the insertion
    tset = defaultdict(list)
    for t in truth:
        tset[(t["doc"], t["work"])].append(t)
    unexplained = []
    stray_passages = 0
    for f in findings:
        ts = tset.get((f["doc"], f["work"]))
        if not ts:
            unexplained.append(f)
            continue
        for p in f["passages"]:
            if not any(p["doc_start"] < t["end"] and p["doc_end"] > t["start"] for t in ts):
                stray_passages += 1
    return res, unexplained, stray_passages


def recall_lines(res, kinds, label):
    lines = []
    for kind in kinds:
        rs = [r for r in res if r["t"]["kind"] == kind]
        if not rs:
            continue
        nf = sum(r["found"] for r in rs)
        lines.append("  %-9s %s" % (kind, pct(nf, len(rs))))
        bk = defaultdict(lambda: [0, 0])
        for r in rs:
            b = bucket(r["t"]["words"])
            bk[b][1] += 1
            bk[b][0] += r["found"]
        lines.append("            by length: " + ", ".join(
            "%s words %d/%d" % (b, bk[b][0], bk[b][1]) for b in ("10-24", "25-30", "31-60", "61-200") if b in bk))
    return lines


def cmd_report(out):
    m = load_metrics(out)
    gen = json.load(open(os.path.join(out, "gen.json"))) if os.path.exists(os.path.join(out, "gen.json")) else {}
    truth = jsonl(os.path.join(out, "insertions.jsonl")) or []
    L = []
    P = L.append
    targets = []

    def target(name, ok, detail):
        targets.append("  [%s] %-44s %s" % ("PASS" if ok else "MISS", name, detail))

    P("picket engine benchmark (bench/run.sh)  %s" % m.get("date", ""))
    P("=" * 78)
    P("machine:   %s, %s cores, %s" % (m.get("cpu", "?"), m.get("nproc", "?"), m.get("mem", "")))
    P("picket:    %s (build: %s, CMAKE_BUILD_TYPE=Release)" % (m.get("picket_version", "?"), m.get("build_dir", "?")))
    P("")
    P("DATA (bench/gen.py, fixed seeds)")
    gw = gen.get("works", {})
    gc = gen.get("corpus", {})
    gu = gen.get("unrelated", {})
    corpus_bytes = fnum(m, "corpus_bytes", gc.get("bytes", 0))
    unrel_bytes = fnum(m, "unrelated_bytes", gu.get("bytes", 0))
    works_bytes = fnum(m, "works_bytes", gw.get("bytes", 0))
    nworks = int(fnum(m, "works", gw.get("works", 0)))
    P("  works:      %d files, %s words (white-space), %.1f MB; order-2 Markov chain (back-off %.2f);"
      % (nworks, gw.get("words", "?"), mb(works_bytes), gen.get("options", {}).get("backoff", 0)))
    P("              %s generations rejected (and redone with the next seed) for sharing > %s tokens in %s with the training text"
      % (gw.get("regenerated", "?"), gen.get("options", {}).get("copy_max", "?"), gen.get("options", {}).get("copy_span", "?")))
    for n, c in sorted(gw.get("check", {}).items(), key=lambda kv: int(kv[0])):
        P("              check, first %d works: %2s-grams also in the training text %.3f%%, shared between works %.3f%%"
          % (gen["options"]["check_works"], n, 100.0 * c["in_training"] / max(1, c["ngrams"]),
             100.0 * c["shared_between_works"] / max(1, c["ngrams"])))
    P("  corpus:     %s, %d documents, %.1f MB; background re-sampled from a pool of %s distinct documents (%.1f MB)"
      % ("corpus.jsonl", gc.get("docs", 0), mb(corpus_bytes), gc.get("pool_docs", "?"), mb(gc.get("pool_bytes", 0))))
    P("  insertions: %d (%d verbatim 25-200 words, %d re-cased/re-punctuated 25-200 words, %d short 10-24 words)"
      % (len(truth), sum(t["kind"] == "verbatim" for t in truth), sum(t["kind"] == "recased" for t in truth),
         sum(t["kind"] == "short" for t in truth)))
    P("  unrelated:  unrelated.jsonl, %d documents of real nlp-corpus sentences, %.1f MB" % (gu.get("docs", 0), mb(unrel_bytes)))
    P("")

    # ---- register / compile
    P("REGISTER  picket register --json --db reg.db works/*.txt  (xargs batches)")
    rw = fnum(m, "register.wall")
    if rw:
        P("  time %.2f s: %.0f works/s, %.1f MB/s of work text; peak RSS %.1f MB; exit %s"
          % (rw, nworks / rw, mb(works_bytes) / rw, fnum(m, "register.rss_kb", 0) / 1024, m.get("register.rc")))
    P("COMPILE   picket compile --db reg.db")
    cw = fnum(m, "compile.wall")
    idx = fnum(m, "index_bytes", 0)
    pw = fnum(m, "picket_words", 0)
    if cw is not None:
        P("  time %.2f s; peak RSS %.1f MB; index reg.db.pkx %.1f MB = %.2f bytes per registered word "
          "(%d words as picket counts them); registry reg.db %.1f MB"
          % (cw, fnum(m, "compile.rss_kb", 0) / 1024, mb(idx), idx / pw if pw else 0, pw, mb(fnum(m, "db_bytes", 0))))
    P("")

    # ---- scan
    P("SCAN      picket scan --threads N --format jsonl corpus.jsonl  (%.1f MB, warm page cache, best of %s)"
      % (mb(corpus_bytes), m.get("repeat", "1")))
    s1 = fnum(m, "scan1.wall")
    s2 = fnum(m, "scan2.wall")
    mbs1 = mb(corpus_bytes) / s1 if s1 else 0
    mbs2 = mb(corpus_bytes) / s2 if s2 else 0
    runs = lambda tag: ", ".join(m[k] for k in sorted(m) if k.startswith(tag + ".run"))
    if s1:
        P("  1 thread:  %.2f s  %.1f MB/s  peak RSS %.1f MB  exit %s" % (s1, mbs1, fnum(m, "scan1.rss_kb", 0) / 1024, m.get("scan1.rc")))
        P("             runs: %s s; picket's summary of the best: %s" % (runs("scan1"), m.get("scan1.summary", "")))
    if s2:
        P("  %s threads: %.2f s  %.1f MB/s  peak RSS %.1f MB  exit %s  speedup %.2fx"
          % (m.get("threads2", "2"), s2, mbs2, fnum(m, "scan2.rss_kb", 0) / 1024, m.get("scan2.rc"), s1 / s2 if s1 else 0))
        P("             runs: %s s; picket's summary of the best: %s" % (runs("scan2"), m.get("scan2.summary", "")))
    P("  outputs of 1 and 2 threads identical: %s" % m.get("scan_same", "?"))
    P("")

    findings = jsonl(os.path.join(out, "scan1.jsonl")) or []
    res, unexplained, stray = picket_eval(truth, findings)
    P("RECALL (picket, corpus.jsonl): insertion found = a finding for (doc, work) with a passage")
    P("overlapping the inserted byte range")
    L.extend(recall_lines(res, ("verbatim", "recased", "short"), "picket"))
    shorts = [r for r in res if r["t"]["kind"] == "short"]
    if shorts:
        raw = read_lines(os.path.join(out, "corpus.jsonl"), {r["t"]["line"] for r in shorts})
        tab = defaultdict(int)
        for r in shorts:
            t = r["t"]
            seg = json.loads(raw[t["line"]])["text"].encode("utf-8")[t["tok_start"]:t["tok_end"]].decode("utf-8", "replace")
            tab[(len(toks(seg)) >= 25, r["found"])] += 1
        P("  short = 10-24 white-space words, below the 25-word guarantee and --min-words 25 (informational);")
        P("    of those with >= 25 tokens as picket counts them (U.S. is two): %d/%d found; with < 25: %d/%d found"
          % (tab[(True, True)], tab[(True, True)] + tab[(True, False)], tab[(False, True)],
             tab[(False, True)] + tab[(False, False)]))
    for kind in ("verbatim", "recased"):
        rs = [r for r in res if r["t"]["kind"] == kind and r["found"]]
        if rs:
            P("  offsets, %-8s of %d found: exact start and end %s; start exact %s; end exact %s; split in >1 passage %d"
              % (kind, len(rs), pct(sum(r["exact"] for r in rs), len(rs)), pct(sum(r["start_ok"] for r in rs), len(rs)),
                 pct(sum(r["end_ok"] for r in rs), len(rs)), sum(r["npass"] > 1 for r in rs)))
    misses = [r for r in res if not r["found"] and r["t"]["kind"] != "short"]
    if misses:
        P("  missed (first 10 of %d):" % len(misses))
        for r in misses[:10]:
            t = r["t"]
            P("    %s line %d: %s %s words %d, work words [%d,%d), bytes [%d,%d)"
              % (t["doc"], t["line"], t["work"], t["kind"], t["words"], t["work_start_word"], t["work_end_word"],
                 t["tok_start"], t["tok_end"]))
    inexact = [r for r in res if r["found"] and not r["exact"]]
    if inexact:
        P("  inexact offsets (first 10 of %d): truth [tok_start,tok_end) vs picket [doc_start,doc_end)" % len(inexact))
        for r in inexact[:10]:
            t, p = r["t"], r["best"]
            P("    %s %s %s %d words: truth [%d,%d) picket [%d,%d) %d words"
              % (t["doc"], t["work"], t["kind"], t["words"], t["tok_start"], t["tok_end"], p["doc_start"], p["doc_end"], p["words"]))
    P("")
    P("FALSE POSITIVES (picket)")
    unrel = jsonl(os.path.join(out, "unrel.jsonl")) or []
    ndu = gu.get("docs", 0) or 1
    P("  unrelated.jsonl: %d findings in %d documents = %.2f per 10,000 documents (exit %s)"
      % (len(unrel), ndu, len(unrel) * 10000.0 / ndu, m.get("unrel.rc")))
    if unrel:
        P("    " + describe(*verify(out, "unrelated.jsonl", unrel)))
    for f in unrel[:5]:
        P("    %s line %s: %s %d words, passages %s  %s"
          % (f["doc"], f["line"], f["work"], f["matched_words"],
             [(p["doc_start"], p["doc_end"]) for p in f["passages"]][:3], f.get("_why", "")))
    P("  corpus.jsonl: %d findings (doc, work) not explained by an insertion; %d stray passages in explained findings"
      % (len(unexplained), stray))
    if unexplained:
        P("    " + describe(*verify(out, "corpus.jsonl", unexplained)))
    for f in unexplained[:5]:
        P("    %s line %s: %s %d words, passages %s  %s"
          % (f["doc"], f["line"], f["work"], f["matched_words"],
             [(p["doc_start"], p["doc_end"]) for p in f["passages"]][:3], f.get("_why", "")))
    P("")

    # ---- peers
    P("PEERS (same run, same machine)")
    pyb = fnum(m, "py.bytes", 0)
    pys = fnum(m, "py.scan_s", 0)
    pymbs = fnum(m, "py.mbps", 0)
    pydocs = int(fnum(m, "py.docs", 0))
    P("  lmeval13.py (13-gram set, Python %s): build %.1f s, scan %.1f MB prefix (%d docs) in %.1f s = %.2f MB/s, peak RSS %.0f MB"
      % (m.get("python", "?"), fnum(m, "py.build_s", 0), mb(pyb), pydocs, pys, pymbs, fnum(m, "py.rss_kb", 0) / 1024))
    hits = jsonl(os.path.join(out, "lm_corpus.jsonl")) or []
    hit = {h["doc"]: set(h["works"]) for h in hits}
    tin = [t for t in truth if t["line"] <= pydocs]
    ins_docs = {t["doc"] for t in truth}
    for kind in ("verbatim", "recased", "short"):
        ts = [t for t in tin if t["kind"] == kind]
        if ts:
            P("    recall %-9s %s  (insertions inside the prefix)"
              % (kind, pct(sum(t["work"] in hit.get(t["doc"], ()) for t in ts), len(ts))))
    fp = [h for h in hits if h["doc"] not in ins_docs]
    P("    flagged documents without an insertion: %d of %d = %.1f per 10,000 documents"
      % (len(fp), pydocs, len(fp) * 10000.0 / max(1, pydocs)))
    pyu = jsonl(os.path.join(out, "lm_unrel.jsonl"))
    if pyu is not None:
        nu = int(fnum(m, "pyu.docs", 0))
        P("    unrelated.jsonl: %d flagged of %d documents = %.1f per 10,000" % (len(pyu), nu, len(pyu) * 10000.0 / max(1, nu)))

    rgmbs = 0
    if m.get("rg_version"):
        pat = {}
        wpat = defaultdict(list)
        with open(os.path.join(out, "patterns.tsv"), encoding="utf-8") as fh:
            for line in fh:
                w, p = line.rstrip("\n").split("\t", 1)
                pat.setdefault(p, set()).add(w)
                wpat[w].append(p)

        def rg_lines(path):
            rgl = defaultdict(set)
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as fh:
                    for line in fh:
                        ln, _, text = line.rstrip("\n").partition(":")
                        if ln.isdigit():
                            rgl[int(ln)] |= pat.get(text, set())
            return rgl

        P("  rg -F -f PATTERNS (%s); PATTERNS = every work's consecutive non-overlapping 25-word windows"
          % m.get("rg_version", "rg"))
        rgw = fnum(m, "rg.wall")
        if rgw is not None:
            rc = m.get("rg.rc")
            P("    all %s patterns (%.0f MB), %.1f MB corpus, ulimit -v %.1f GB:"
              % (m.get("rg_patterns", "?"), mb(os.path.getsize(os.path.join(out, "patterns.txt"))), mb(corpus_bytes),
                 fnum(m, "rg.mem_limit_kb", 0) / 1048576))
            if rc in ("0", "1"):
                rgmbs = mb(corpus_bytes) / rgw
                P("      %.2f s = %.1f MB/s (pattern compilation included), peak RSS %.0f MB"
                  % (rgw, rgmbs, fnum(m, "rg.rss_kb", 0) / 1024))
                rgl = rg_lines(os.path.join(out, "rg.out"))
                for kind in ("verbatim", "recased", "short"):
                    ts = [t for t in truth if t["kind"] == kind]
                    if ts:
                        P("      recall %-9s %s" % (kind, pct(sum(t["work"] in rgl.get(t["line"], ()) for t in ts), len(ts))))
                tl = {t["line"] for t in truth}
                P("      matching lines without an insertion: %d" % sum(1 for ln in rgl if ln not in tl))
            else:
                why = {"124": "timed out", "137": "killed (out of memory?)", "134": "aborted (memory allocation failed)"}
                P("      FAILED: exit %s, %s after %.1f s, peak RSS %.0f MB: %s"
                  % (rc, why.get(rc, "error"), rgw, fnum(m, "rg.rss_kb", 0) / 1024, m.get("rg.err", "")[:160]))
        sw = fnum(m, "rgsub.wall")
        if sw:
            nsub = int(fnum(m, "rgsub.docs", 0))
            sb = fnum(m, "rgsub.bytes", 0)
            bw = fnum(m, "rgbuild.wall", 0)
            P("    patterns of the first %s works only (%s patterns), first %.1f MB of the corpus (%d docs):"
              % (m.get("rgsub.works", "?"), m.get("rgsub.patterns", "?"), mb(sb), nsub))
            P("      %.2f s = %.1f MB/s, of which %.2f s compiling the patterns (%.1f MB/s without it); peak RSS %.0f MB; exit %s"
              % (sw, mb(sb) / sw, bw, mb(sb) / (sw - bw) if sw > bw else 0, fnum(m, "rgsub.rss_kb", 0) / 1024,
                 m.get("rgsub.rc")))
            pk = fnum(m, "pksub.wall")
            if pk:
                P("      picket, 1 thread, all works, same prefix: %.2f s = %.1f MB/s (index load included)" % (pk, mb(sb) / pk))
            nw = int(fnum(m, "rgsub.works", 0))
            rgl = rg_lines(os.path.join(out, "rgsub.out"))
            ts_sub = [t for t in truth if t["line"] <= nsub and int(t["work"][1:]) < nw]
            for kind in ("verbatim", "recased", "short"):
                ts = [t for t in ts_sub if t["kind"] == kind]
                if ts:
                    P("      recall %-9s %s  (insertions of those works in the prefix)"
                      % (kind, pct(sum(t["work"] in rgl.get(t["line"], ()) for t in ts), len(ts))))
        # rg -F finds a passage iff the raw JSONL line contains one of the
        # work's windows: evaluate that for every insertion (what rg with all
        # patterns would report), checked against the real rg run above.
        raw = read_lines(os.path.join(out, "corpus.jsonl"), {t["line"] for t in truth})
        emu = {(t["line"], t["work"]): any(p in raw.get(t["line"], "") for p in wpat[t["work"]]) for t in truth}
        P("    literal-window recall on ALL insertions (what rg -F with all patterns reports: a window of")
        P("    the work occurs in the raw JSONL line; computed in Python):")
        for kind in ("verbatim", "recased", "short"):
            ts = [t for t in truth if t["kind"] == kind]
            if ts:
                P("      recall %-9s %s" % (kind, pct(sum(emu[(t["line"], t["work"])] for t in ts), len(ts))))
        if sw:
            agree = sum(emu[(t["line"], t["work"])] == (t["work"] in rgl.get(t["line"], ())) for t in ts_sub)
            P("      agrees with the real rg run on %d/%d insertions of its subset" % (agree, len(ts_sub)))
    P("")
    ratio = mbs1 / pymbs if pymbs else 0
    P("RATIOS  picket 1 thread / lmeval13.py: %.0fx" % ratio)
    if m.get("pksub.wall") and m.get("rgsub.wall"):
        P("        picket 1 thread (all %d works) / rg (first %s works), same %.0f MB prefix: %.0fx"
          % (nworks, m.get("rgsub.works"), mb(fnum(m, "rgsub.bytes", 0)), fnum(m, "rgsub.wall") / fnum(m, "pksub.wall")))
    if rgmbs:
        P("        picket 1 thread / rg (all patterns): %.2fx   picket %s threads / rg: %.2fx"
          % (mbs1 / rgmbs, m.get("threads2", "2"), mbs2 / rgmbs))
    P("")

    vb = [r for r in res if r["t"]["kind"] == "verbatim"]
    target("scan >= 400 MB/s, 1 thread", mbs1 >= 400, "%.1f MB/s" % mbs1)
    target("scan speedup >= 1.8x on 2 threads", s1 and s2 and s1 / s2 >= 1.8, "%.2fx" % (s1 / s2 if s1 and s2 else 0))
    target(">= 50x the Python 13-gram method", ratio >= 50, "%.0fx" % ratio)
    nvf = sum(r["found"] for r in vb)
    target("recall 1.0 on verbatim insertions >= 25 words", vb and nvf == len(vb), "%d/%d" % (nvf, len(vb)))
    target("zero findings on the unrelated corpus", len(unrel) == 0 and m.get("unrel.rc") == "1", "%d findings" % len(unrel))
    P("TARGETS")
    L.extend(targets)
    print("\n".join(L))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "patterns":
        cmd_patterns(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "report":
        cmd_report(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
