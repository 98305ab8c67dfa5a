#!/usr/bin/env python3
"""report.py OUT_DIR -- the report of bench/scale/run.sh (stdlib only).

Reads what run.sh left in OUT_DIR (metrics.env, shards.tsv, check.out,
known.jsonl/known.tsv and the scans' outputs) and prints the report; run.sh
saves it to OUT_DIR/report.txt.  All MB and GB are 10^6 and 10^9 bytes;
throughput is bytes of input / wall time.
"""
import json
import os
import re
import sys


def load_metrics(out):
    m = {}
    with open(os.path.join(out, "metrics.env")) as fh:
        for line in fh:
            line = line.rstrip("\n")
            if "=" in line:
                k, v = line.split("=", 1)
                m[k] = v
    return m


def num(m, k, default=None):
    try:
        return float(m[k])
    except (KeyError, ValueError):
        return default


def jsonl(path):
    out = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    out.append(json.loads(line))
    return out


def mb(b):
    return "%.1f MB" % (b / 1e6)


def gb(b):
    return "%.2f GB" % (b / 1e9)


def rss(kb):
    return "%.0f MB" % (kb * 1024 / 1e6) if kb is not None else "?"


WORD = re.compile(r"[^\W_]")


def main():
    out = sys.argv[1]
    m = load_metrics(out)
    p = []
    w = p.append
    works = int(num(m, "works", 0))
    small = int(num(m, "small_works", 0))
    w("picket scale benchmark (bench/scale/run.sh)  %s" % m.get("date", "?"))
    w("=" * 78)
    w("machine:   %s, %s cores, %s" % (m.get("cpu", "?"), m.get("nproc", "?"), m.get("mem", "?")))
    w("picket:    %s (git %s; build: %s, Release)" % (m.get("picket_version", "?"), m.get("picket_git", "?"),
                                                    m.get("build_dir", "?")))
    w("note:      timings on this 2-core VM swing by up to +-40% between runs; compare figures of one run")
    w("")

    # ------------------------------------------------------------ data
    shards = []
    with open(os.path.join(out, "shards.tsv")) as fh:
        head = fh.readline().rstrip("\n").split("\t")
        for line in fh:
            shards.append(dict(zip(head, line.rstrip("\n").split("\t"))))
    words = int(num(m, "picket_words", 0))
    wbytes = int(num(m, "works_bytes", 0))
    w("DATA (bench/scale/genworks.c, seed %s)" % m.get("seed"))
    w("  model:     %s" % m.get("genworks_model", "?"))
    w("  works:     %d registered (%s), %d words as picket counts them (%.0f a work), %s of text%s"
      % (int(num(m, "registered", 0)), "reused from an earlier run" if m.get("reused") == "yes" else "this run",
         words, words / max(1, works), gb(wbytes), "" if m.get("reused") != "yes" else " (as first generated)"))
    if os.path.exists(os.path.join(out, "check.out")):
        w("  distinct:  genworks check, n-grams of works 0..%d (tokens approximately as picket makes them):"
          % (int(num(m, "check_works", 0)) - 1))
        for line in open(os.path.join(out, "check.out")):
            if line.startswith("check:") and "-grams" in line:
                w("             " + line[len("check:"):].strip())
        bl = os.path.join(out, "check_nosubst.out")
        if os.path.exists(bl):
            w("             without the per-work substitution (same chain, CHECK_BASELINE=1):")
            for line in open(bl):
                if line.startswith("check:") and "-grams" in line:
                    w("             " + line[len("check:"):].strip())
    ss = jsonl(os.path.join(out, "selfscan.jsonl"))
    if m.get("selfscan.rc") is not None:
        own = sum(1 for f in ss if os.path.splitext(os.path.basename(f["doc"]))[0] == f["work"])
        other = [f for f in ss if os.path.splitext(os.path.basename(f["doc"]))[0] != f["work"]]
        n = int(num(m, "check_works", 0))
        w("  cross:     works 0..%d scanned as documents against all %d works: own work found %d/%d; "
          "findings of ANOTHER work: %d (%d words in all)" % (n - 1, works, own, n, len(other),
                                                             sum(f["matched_words"] for f in other)))
        for f in other[:10]:
            w("               %s -> %s: %d words" % (f["doc"], f["work"], f["matched_words"]))
        w("             (%s in %.2f s, peak RSS %s)" % (mb(num(m, "selfscan.bytes", 0)), num(m, "selfscan.wall", 0),
                                                       rss(num(m, "selfscan.rss_kb"))))
    w("")

    # ------------------------------------------------------------ register
    w("GENERATE + REGISTER  shards of %s works: genworks (%s processes), then picket register --json --db reg.db SHARD_DIR,"
      % (m.get("shard"), m.get("gen_jobs")))
    w("                     then the shard is deleted (generation and registration do not overlap)")
    if m.get("reused") == "yes":
        w("  (REUSE=1: the registry of an earlier run; its shard figures follow)")
    w("  %5s %15s %7s %7s %8s %8s %7s %8s %8s %7s %9s" % ("shard", "works", "MB", "gen s", "reg s", "user s", "RSS MB",
                                                          "works/s", "MB/s", "ms/work", "db GB"))
    tot_gen = tot_reg = tot_user = 0.0
    max_rss = 0
    for s in shards:
        n = int(s["works"])
        rw, ru = float(s["reg_wall"]), float(s["reg_user"])
        tot_gen += float(s["gen_wall"])
        tot_reg += rw
        tot_user += ru
        max_rss = max(max_rss, int(s["reg_rss_kb"]))
        w("  %5s %15s %7.0f %7.1f %8.1f %8.1f %7.0f %8.0f %8.1f %7.2f %9.2f"
          % (s["shard"], "%s-%s" % (s["first"], s["last"]), int(s["bytes"]) / 1e6, float(s["gen_wall"]), rw, ru,
             int(s["reg_rss_kb"]) * 1024 / 1e6, n / rw, int(s["bytes"]) / 1e6 / rw, 1000 * rw / n,
             int(s["db_bytes"]) / 1e9))
    if shards:
        f, l = shards[0], shards[-1]
        fr = float(f["reg_wall"]) / int(f["works"])
        lr = float(l["reg_wall"]) / int(l["works"])
        w("  total: generate %.1f s (%.1f MB/s), register %.1f s (%.0f works/s, %.1f MB/s, %.1f s CPU), "
          "largest register RSS %s" % (tot_gen, wbytes / 1e6 / max(tot_gen, 1e-9), tot_reg, works / max(tot_reg, 1e-9),
                                       wbytes / 1e6 / max(tot_reg, 1e-9), tot_user, rss(max_rss)))
        w("  trend: register time a work, last shard / first shard = %.2fx (%.2f ms -> %.2f ms)"
          % (lr / fr, 1000 * fr, 1000 * lr))
    w("")

    # ------------------------------------------------------------ compile
    w("COMPILE  picket compile --db DB")
    for r, n, wd in (("small", small, int(num(m, "picket_words_small", 0))), ("big", works, words)):
        ib = num(m, "index_bytes." + r, 0)
        w("  %-5s %6d works: %.2f s (user %.2f s); peak RSS %s; index %s = %.3f bytes a registered word; "
          "registry %s = %.2f bytes a word"
          % (r, n, num(m, "compile.%s.wall" % r, 0), num(m, "compile.%s.user" % r, 0),
             rss(num(m, "compile.%s.rss_kb" % r)), mb(ib), ib / max(1, wd), gb(num(m, "db_bytes." + r, 0)),
             num(m, "db_bytes." + r, 0) / max(1, wd)))
    w("")

    # ------------------------------------------------------------ scan
    cb = num(m, "corpus_bytes", 0)
    rep = int(num(m, "repeat", 1))
    w("SCAN  picket scan --threads 1 --format jsonl %s  (%s, warm page cache, runs alternate small/big, best of %d)"
      % (os.path.relpath(m.get("corpus", "?"), os.path.dirname(os.path.dirname(out))) if m.get("corpus") else "?",
         mb(cb), rep))
    best = {}
    for r, n in (("small", small), ("big", works)):
        runs = [(num(m, "scan.%s.%d.wall" % (r, i)), i) for i in range(1, rep + 1) if num(m, "scan.%s.%d.wall" % (r, i))]
        if not runs:
            continue
        b, bi = min(runs)
        best[r] = b
        rk = num(m, "scan.%s.%d.rss_kb" % (r, bi))
        ib = num(m, "index_bytes." + r, 0)
        w("  %-5s %6d works: %.2f s  %.1f MB/s  peak RSS %s (index %s; RSS - index = %s)  findings %s"
          % (r, n, b, cb / 1e6 / b, rss(rk), mb(ib), mb(rk * 1024 - ib), m.get("scan.%s.findings" % r, "?")))
        w("        runs: %s s; picket: %s" % (", ".join("%.2f" % t for t, _ in runs), m.get("scan.%s.%d.summary" % (r, bi))))
    ratio = None
    if "small" in best and "big" in best:
        ratio = best["small"] / best["big"]
        w("  throughput with %d works / with %d works: %.3f  (target >= 0.80)" % (works, small, ratio))
    w("  findings are not expected here: the corpus's insertions are passages of bench/gen.py's works, not of these")
    for r in ("small", "big"):
        fs = jsonl(os.path.join(out, "scan.%s.jsonl" % r))
        for f in fs[:5]:
            w("    %s finding: doc %s, work %s, %d words" % (r, f["doc"], f["work"], f["matched_words"]))
    w("")

    # ------------------------------------------------------------ recall
    truth = []
    with open(os.path.join(out, "known.tsv")) as fh:
        head = fh.readline().rstrip("\n").split("\t")
        for line in fh:
            truth.append(dict(zip(head, line.rstrip("\n").split("\t"))))
    texts = {d["id"]: d["text"].encode("utf-8") for d in jsonl(os.path.join(out, "known.jsonl"))}
    w("RECALL  %d documents (known.jsonl), each holding a %s-word passage of one work (spread over all %d) between "
      "real sentences" % (len(truth), m.get("known_words"), works))
    targets_recall = None
    for r, n in (("big", works), ("small", small)):
        found = {}
        for f in jsonl(os.path.join(out, "known.%s.jsonl" % r)):
            found.setdefault((f["doc"], f["work"]), []).extend(f["passages"])
        expect = [t for t in truth if int(t["work"][1:]) < n]
        hit = exact = 0
        misses = []
        for t in expect:
            s, e = int(t["start"]), int(t["end"])
            txt = texts[t["doc"]]
            # the passage trimmed to its first and last word character (as
            # picket's doc_start/doc_end): "$1 ... and." -> "1 ... and"
            while e > s and not WORD.match(txt[e - 1:e].decode("utf-8", "ignore") or " "):
                e -= 1
            while s < e and not WORD.match(txt[s:s + 1].decode("utf-8", "ignore") or " "):
                s += 1
            ps = [q for q in found.get((t["doc"], t["work"]), []) if q["doc_start"] < e and q["doc_end"] > s]
            if ps:
                hit += 1
                if any(q["doc_start"] == s and q["doc_end"] == e for q in ps):
                    exact += 1
            else:
                misses.append(t)
        keys = {(t["doc"], t["work"]) for t in truth}
        extra = [k for k in found if k not in keys]
        w("  %-5s registry (%6d works): found %d/%d%s; exact offsets %d/%d; findings of another work: %d; "
          "scan %.2f s, peak RSS %s"
          % (r, n, hit, len(expect), "" if n == works else " (those of works < %d)" % n, exact, hit, len(extra),
             num(m, "known.%s.wall" % r, 0), rss(num(m, "known.%s.rss_kb" % r))))
        for t in misses[:10]:
            w("    MISSED %s (work %s, word %s)" % (t["doc"], t["work"], t["work_start_word"]))
        for k in extra[:10]:
            w("    EXTRA %s -> %s" % k)
        if r == "big":
            targets_recall = (hit, len(expect), len(extra))
    w("")

    # ------------------------------------------------------------ memory, disk
    ib = num(m, "index_bytes.big", 0)
    w("PEAK MEMORY (%d works; index %s)" % (works, mb(ib)))
    w("  register (largest shard run) %s; compile %s; scan %s; scan of known.jsonl %s"
      % (rss(max_rss), rss(num(m, "compile.big.rss_kb")),
         rss(min((num(m, "scan.big.%d.rss_kb" % i) or 0) for i in range(1, rep + 1)) if rep else None),
         rss(num(m, "known.big.rss_kb"))))
    w("  with %d works: register %s; compile %s; scan %s"
      % (small, rss(max(int(s["reg_rss_kb"]) for s in shards if int(s["last"]) < small) if shards else None),
         rss(num(m, "compile.small.rss_kb")), rss(num(m, "scan.small.1.rss_kb"))))
    w("DISK  registry %s + index %s (big); registry %s + index %s (small); %s under %s at the end "
      "(estimate before the run: %s); peak adds one shard of text (%s)"
      % (gb(num(m, "db_bytes.big", 0)), gb(ib), gb(num(m, "db_bytes.small", 0)), gb(num(m, "index_bytes.small", 0)),
         gb(num(m, "disk_used_kb", 0) * 1024), out, gb(num(m, "disk_estimate_kb", 0) * 1024),
         mb(max((int(s["bytes"]) for s in shards), default=0))))
    w("")

    # ------------------------------------------------------------ targets
    w("TARGETS")
    ok_build = all(m.get(k) == "0" for k in ("compile.big.rc", "compile.small.rc")) and len(shards) > 0
    w("  [%s] registry of %d works registered and compiled (compile %.1f s)"
      % ("PASS" if ok_build else "MISS", works, num(m, "compile.big.wall", 0)))
    if ratio is not None:
        w("  [%s] scan throughput with %d works within 20%% of %d works  %.1f vs %.1f MB/s (%.3f)"
          % ("PASS" if ratio >= 0.8 else "MISS", works, small, cb / 1e6 / best["big"], cb / 1e6 / best["small"], ratio))
    if targets_recall:
        h, n, x = targets_recall
        w("  [%s] recall of the known passages  %d/%d, %d findings of another work" % ("PASS" if h == n and not x else "MISS",
                                                                                    h, n, x))
    print("\n".join(p))


if __name__ == "__main__":
    main()
