#!/usr/bin/env bash
# probe.sh -- the evaluation of `picket probe` that issue 7 asks for, against
# pk-lm (a Kneser-Ney model whose training set is known: tests/lm/
# make-fixture.sh) served on loopback as vLLM and as llama.cpp server.
#
#   trials       TRIALS (default 300: 100 members, 200 non-members) Brown
#                documents drawn at random (seed SEED), each probed by
#                dataset inference (loss, zlib ratio, Min-K%: Min-K%++ makes
#                pk-lm sum over its vocabulary at every token, 10 times the
#                cost, and is exercised by tests/cli/t21-probe.sh) with REFS
#                (default 20) reference documents drawn at random from the
#                non-members, never the document itself;
#                members: the rate found and the p-values;
#                non-members: false-positive rates at 0.05 and 0.01, deciles
#                of the p-values and the Kolmogorov-Smirnov distance to the
#                uniform distribution (with its 5% critical value)
#   short works  100 non-member works of 1 to 5 passages (cut anywhere in a
#                non-member file) against REFS long references: the same
#                number of passages k for every document, and the
#                false-positive rates
#   contrast     the same non-member question with passages taken as
#                independent (Welch over passage losses): why the document
#                is the unit of dataset inference
#   extraction   word-for-word reproductions in XTRIALS (default 40)
#                members and as many non-members, XSAMPLES (5) passages
#                each, and control text; the two screenplays trained on 8
#                times and the three never trained on (50 passages each)
#   canaries     the sets planted 1, 2, 4, 8, 16, 32 times: p by loss (vLLM)
#                and by completion (llama.cpp), the smallest count detected
#   blind check  pk-lm blind on the member and non-member lists
#
# Usage: bench/probe.sh [BUILD_DIR] (default build-probe); env TRIALS, REFS,
# SAMPLES (passages a document, default 10), XTRIALS, XSAMPLES, SEED, JOBS,
# OUT (work dir).  About 15 minutes on 2 cores: pk-lm's greedy decoding
# takes the full distribution at every token.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build-probe}
PICKET=$BUILD/picket
PK_LM=$BUILD/pk-lm
TRIALS=${TRIALS:-300}
REFS=${REFS:-20}
SAMPLES=${SAMPLES:-10}
SEED=${SEED:-7}
JOBS=${JOBS:-2}
XTRIALS=${XTRIALS:-40}
XSAMPLES=${XSAMPLES:-5}
OUT=${OUT:-/tmp/picket-probe-bench}
export PICKET PK_LM PK_SRC=$SRC
mkdir -p "$OUT"
# Build what is measured (a stale binary measured an older probe once).
[ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j2 --target picket pk-lm >/dev/null
[ -f "$OUT/fx/model.bin" ] || bash "$SRC/tests/lm/make-fixture.sh" "$OUT/fx" >/dev/null 2>&1
PIDS=""
trap 'kill $PIDS 2>/dev/null; wait $PIDS 2>/dev/null || true' EXIT
serve() { # API READYFILE: starts pk-lm, sets URL
  rm -f "$2"
  "$PK_LM" serve --model "$OUT/fx/model.bin" --port 0 --api "$1" --model-name fixture --ready-file "$2" \
    >/dev/null 2>"$2.log" &
  PIDS="$PIDS $!"
  for _ in $(seq 600); do [ -s "$2" ] && break; sleep 0.05; done
  URL="http://127.0.0.1:$(tr -dc 0-9 <"$2")"
}
serve vllm "$OUT/ready-v"; V=$URL
serve llamacpp "$OUT/ready-l"; L=$URL
echo "fixture: $OUT/fx ($(wc -l <"$OUT/fx/members.lst") member and $(wc -l <"$OUT/fx/nonmembers.lst") non-member Brown files)"
echo "servers: vLLM $V, llama.cpp $L"
echo
echo "== blind check (a classifier that never queries the model) =="
"$PK_LM" blind --members "$OUT/fx/members.lst" --nonmembers "$OUT/fx/nonmembers.lst" || true
echo
export XDG_CACHE_HOME=$OUT/cache
python3 - "$PICKET" "$V" "$L" "$OUT" "$TRIALS" "$REFS" "$SAMPLES" "$SEED" "$JOBS" "$XTRIALS" "$XSAMPLES" <<'PY'
import json, math, os, random, subprocess, sys, time
picket, V, L, out, trials, nrefs, samples, seed, jobs, xtrials, xsamples = sys.argv[1:12]
trials, nrefs, samples, seed, xtrials, xsamples = int(trials), int(nrefs), int(samples), int(seed), int(xtrials), int(xsamples)
fx = json.load(open(os.path.join(out, "fx/fixture.json")))
members = [m["text"] for m in fx["members"]]
nonmembers = [m["text"] for m in fx["nonmembers"]]
rng = random.Random(seed)
n_mem = trials // 3
kinds = ["member"] * n_mem + ["nonmember"] * (trials - n_mem)
rng.shuffle(kinds)

def probe(url, work, extra, n=samples):
    cmd = [picket, "probe", "-q", "--json", "--endpoint", url, "--jobs", jobs, "--samples", str(n)] + extra + [work]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        sys.exit("probe failed: %s\n%s" % (" ".join(cmd), r.stderr))
    return json.loads(r.stdout.splitlines()[0]), r.returncode

t0 = time.time()
res = {"member": [], "nonmember": []}
for i, kind in enumerate(kinds):
    work = rng.choice(members if kind == "member" else nonmembers)
    refs = rng.sample([d for d in nonmembers if d != work], nrefs)
    extra = ["--no-canaries", "--no-extraction", "--no-min-k-pp"] + sum((["--nonmember", r] for r in refs), [])
    d, rc = probe(V, work, extra)
    di = d["dataset_inference"]
    res[kind].append({"p": di["p"], "p_rank": di["p_rank"], "evidence": d["evidence"]})
wall = time.time() - t0
print("== dataset inference, %d trials (%d members, %d non-members), %d reference documents, %d passages of %d words a document, %.0f s ==" %
      (trials, len(res["member"]), len(res["nonmember"]), nrefs, samples, 64, wall))
def rate(v, f): return sum(1 for x in v if f(x)) / len(v)
m, n = res["member"], res["nonmember"]
mp = sorted(x["p"] for x in m)
print("members found (p < 0.01): %.3f; p-values: median %.3g, 90th percentile %.3g, max %.3g" %
      (rate(m, lambda x: x["p"] < 0.01), mp[len(mp) // 2], mp[int(0.9 * len(mp))], mp[-1]))
print("members found by the exact rank test (p_rank <= 1/(REFS+1)): %.3f" % rate(m, lambda x: x["p_rank"] <= 1 / (nrefs + 1) + 1e-12))
np_ = sorted(x["p"] for x in n)
print("non-members: false positives at 0.05: %.3f, at 0.01: %.3f (rank test at 0.05: %.3f)" %
      (rate(n, lambda x: x["p"] < 0.05), rate(n, lambda x: x["p"] < 0.01), rate(n, lambda x: x["p_rank"] <= 0.05)))
print("non-member p-value deciles:", " ".join("%.2f" % rate(n, lambda x, a=a: a / 10 <= x["p"] < (a + 1) / 10) for a in range(10)))
ks = max(max((i + 1) / len(np_) - p, p - i / len(np_)) for i, p in enumerate(np_))
print("Kolmogorov-Smirnov distance to uniform: %.3f (5%% critical value %.3f)" % (ks, 1.358 / math.sqrt(len(np_))))
print("verdict 'evidence' (any test at 0.01 / tests run): members %.3f, non-members %.3f" %
      (rate(m, lambda x: x["evidence"]), rate(n, lambda x: x["evidence"])))
print()
# Short works: a non-member work of 1 to 5 passages (cut anywhere in a
# non-member file, its own bytes) against long references: the probe must
# use the same number of passages k for every document, else the short
# work's average varies more than the references' and is named too often.
import re
t0 = time.time()
sp, bad_k, skipped = [], 0, 0
for i in range(100):
    src = rng.choice(nonmembers)
    text = open(src).read()
    w = [mm.span() for mm in re.finditer(r"\S+", text)]
    npass = 1 + i % 5
    at = rng.randrange(0, len(w) - 64 * npass)
    short = os.path.join(out, "short-work.txt")
    with open(short, "w") as f: f.write(text[w[at][0] : w[at + 64 * npass - 1][1]] + "\n")
    refs = rng.sample([d for d in nonmembers if d != src], nrefs)
    d, rc = probe(V, short, ["--no-canaries", "--no-extraction", "--no-min-k-pp", "--no-cache"] + sum((["--nonmember", r] for r in refs), []))
    di = d["dataset_inference"]
    if not di.get("run"):  # the cut came out shorter than one passage after tokenizing
        skipped += 1
        continue
    bad_k += di["passages_per_document"] != min(npass, samples)
    sp.append(di["p"])
sp.sort()
ks = max(max((i + 1) / len(sp) - p, p - i / len(sp)) for i, p in enumerate(sp))
print("== short works: 100 non-member works of 1 to 5 passages against %d long references, %.0f s ==" % (nrefs, time.time() - t0))
print("same k for the work and every reference: %d of %d runs (%d skipped: shorter than one passage); "
      "false positives at 0.05: %.3f, at 0.01: %.3f; KS distance to uniform %.3f (5%% critical value %.3f)" %
      (len(sp) - bad_k, len(sp), skipped, sum(p < 0.05 for p in sp) / len(sp), sum(p < 0.01 for p in sp) / len(sp), ks,
       1.358 / math.sqrt(len(sp))))
print()
# Why the document is the unit: the same non-member trials with the passages
# taken as independent (Welch's t-test on passage losses) against the
# document-level test, mean loss alone, straight from the server.
import statistics, urllib.request
lcache = {}
def losses(path, L=64, want=samples):
    if path not in lcache:
        w = open(path).read().split()
        avail = len(w) // L; k = min(avail, want)
        ps = [" ".join(w[(i * avail // k) * L:(i * avail // k) * L + L]) for i in range(k)]
        req = {"model": "fixture", "prompt": ps, "max_tokens": 1, "prompt_logprobs": 0}
        r = json.load(urllib.request.urlopen(urllib.request.Request(V + "/v1/completions",
            data=json.dumps(req).encode(), headers={"Content-Type": "application/json"})))
        lcache[path] = [-sum(lp) / len(lp) for lp in
                        ([list(e.values())[0]["logprob"] for e in c["prompt_logprobs"] if e]
                         for c in sorted(r["choices"], key=lambda c: c["index"]))]
    return lcache[path]
def tsf(t, df):  # Student t upper tail by Simpson's rule on the density (no scipy here)
    c = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)
    f = lambda u: c * (1 + (t + u / (1 - u)) ** 2 / df) ** (-(df + 1) / 2) / (1 - u) ** 2
    h = 1 / 2000
    return sum(f(i * h) * (1 if i in (0, 2000) else 4 if i % 2 else 2) for i in range(2000)) * h / 3
cr = random.Random(seed + 1)
fp_pass = fp_doc = 0
NC = 100
for _ in range(NC):
    work = cr.choice(nonmembers); refs = cr.sample([d for d in nonmembers if d != work], nrefs)
    x = losses(work); y = [v for r in refs for v in losses(r)]
    vx, vy = statistics.variance(x) / len(x), statistics.variance(y) / len(y)
    t = (statistics.mean(y) - statistics.mean(x)) / math.sqrt(vx + vy)
    fp_pass += tsf(t, (vx + vy) ** 2 / (vx * vx / (len(x) - 1) + vy * vy / (len(y) - 1))) < 0.05
    dm = [statistics.mean(losses(r)) for r in refs]
    t2 = (statistics.mean(dm) - statistics.mean(x)) / (statistics.stdev(dm) * math.sqrt(1 + 1 / len(dm)))
    fp_doc += tsf(t2, len(dm) - 1) < 0.05
print("why documents, not passages: %d non-member trials, mean loss alone, false positives at 0.05: "
      "passages as independent (Welch) %.2f, documents (prediction t-test) %.2f" % (NC, fp_pass / NC, fp_doc / NC))
print()
t0 = time.time()
xres = {"member": [], "nonmember": []}
for kind, pool in (("member", members), ("nonmember", nonmembers)):
    for work in rng.sample(pool, xtrials):
        d, rc = probe(V, work, ["--no-canaries"], xsamples)
        ex = d["extraction"]
        xres[kind].append({"x": ex["extractable"], "n": ex["samples"], "cx": ex["control"]["extractable"],
                           "cn": ex["control"]["samples"], "run": ex["mean_longest_run"], "p": ex["p"]})
print("== extraction (%d members and %d non-members, %d passages each, 50-word prefix, next 50 words, greedy; %.0f s) ==" %
      (xtrials, xtrials, xsamples, time.time() - t0))
for k in ("member", "nonmember"):
    v = xres[k]
    print("%-10s documents with a passage reproduced word for word: %.3f; passages: %d of %d; mean longest run %.1f words; control: %d of %d; p < 0.01: %.3f" %
          (k, rate(v, lambda x: x["x"] > 0), sum(x["x"] for x in v), sum(x["n"] for x in v),
           sum(x["run"] for x in v) / len(v), sum(x["cx"] for x in v), sum(x["cn"] for x in v), rate(v, lambda x: x["p"] < 0.01)))
for w in fx["repeated_works"]:
    refs = [x["text"] for x in fx["nonmember_works"]]
    d, rc = probe(V, w["text"], ["--no-canaries"] + sum((["--nonmember", r] for r in refs), []), 50)
    ex = d["extraction"]
    print("screenplay %s (trained on %d times): %d of %d passages reproduced, mean longest run %.1f; control %d of %d; p = %.3g" %
          (w["work"], w["repeat"], ex["extractable"], ex["samples"], ex["mean_longest_run"], ex["control"]["extractable"],
           ex["control"]["samples"], ex["p"]))
for w in fx["nonmember_works"]:
    d, rc = probe(V, w["text"], ["--no-canaries"], 50)
    ex = d["extraction"]
    print("non-member work %s: %d of %d passages reproduced, mean longest run %.1f" %
          (w["work"], ex["extractable"], ex["samples"], ex["mean_longest_run"]))
print()
print("== canaries (4 published, 1000 nulls a set) ==")
db = fx["canaries"]["registry"]
smallest = {}
t0 = time.time()
for c in sorted(fx["canaries"]["sets"], key=lambda c: c["repeat"]):
    row = []
    for name, url in (("loss", V), ("completion", L)):
        d, rc = probe(url, c["host"], ["--db", db, "--no-extraction"])
        s = next(s for s in d["canaries"]["sets"] if s["set"] == c["set"])
        row.append("%s: best rank %d, p_min %.3g, p_sum %.3g, p %.3g" % (name, s["best_rank"] + 1, s["p_min"],
                   s["p_sum"] if s["p_sum"] is not None else float("nan"), s["p"]))
        if s["p"] < 0.01 and name not in smallest:
            smallest[name] = c["repeat"]
    print("repeated %2d times: %s" % (c["repeat"], "; ".join(row)))
for name in ("loss", "completion"):
    print("smallest repetition count detected at p < 0.01 by %s: %s" % (name, smallest.get(name, "none")))
print("(%.0f s)" % (time.time() - t0))
PY
