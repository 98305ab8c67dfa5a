#!/usr/bin/env bash
# t21-probe-calibration.sh -- the statistics of picket probe's dataset
# inference hold up on a real model (a lighter bench/probe.sh): pk-lm
# trained on the fixture of tests/lm/make-fixture.sh (40% of the Brown
# files of each genre), 60 trials on non-member Brown files and 12 on
# members, each against 20 reference documents drawn from a pool of 80
# other non-members (never the probed file), with a fixed seed.  Checks:
# every member is found at p < 0.01; the non-members' p-values look
# uniform: at most 8 of 60 below 0.05 (a binomial(60, 0.05) exceeds 8 with
# probability 0.3%), at most 4 named as evidence at 0.01 (a binomial(60,
# 0.01) exceeds 4 with probability 0.03%; bench/probe.sh measures 0.005
# over 200 trials), and
# the Kolmogorov-Smirnov distance to the uniform distribution under its 1%
# critical value 1.63 / sqrt(60).
source "$(dirname "$0")/lib.sh"
LM_PID=""
trap 'kill $LM_PID 2>/dev/null; wait $LM_PID 2>/dev/null; rm -rf "$T"' EXIT

serve_lm_fixture

python3 - "$PICKET" "$URL" "$T/fx/fixture.json" >"$T/stats" <<'PY'
import json, math, random, subprocess, sys
picket, url, fx = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
rng = random.Random(21)
members = [m["text"] for m in fx["members"]]
nonmembers = [m["text"] for m in fx["nonmembers"]]
rng.shuffle(nonmembers)
pool, probed = nonmembers[:80], nonmembers[80:140]
def di(work):
    refs = rng.sample([d for d in pool if d != work], 20)
    cmd = [picket, "probe", "-q", "--json", "--endpoint", url, "--samples", "10", "--no-canaries",
           "--no-extraction", "--no-min-k-pp"] + sum((["--nonmember", r] for r in refs), []) + [work]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        sys.exit(r.stderr)
    d = json.loads(r.stdout)
    return d["dataset_inference"]["p"], d["evidence"]
mp = [di(w) for w in rng.sample(members, 12)]
np_ = [di(w) for w in probed]
ps = sorted(p for p, _ in np_)
ks = max(max((i + 1) / len(ps) - p, p - i / len(ps)) for i, p in enumerate(ps))
print(sum(p < 0.01 for p, _ in mp), sum(p < 0.05 for p, _ in np_), sum(e for _, e in np_),
      "%.4f" % ks, "%.4f" % (1.63 / math.sqrt(len(ps))))
PY
read -r found fp05 fpev ks crit <"$T/stats"
echo "members found: $found of 12; non-members: $fp05 of 60 below 0.05, $fpev named; KS $ks (1% critical $crit)"
expect_eq "$found" 12 "every member found at p < 0.01"
[ "$fp05" -le 8 ] && ok "non-members: $fp05 of 60 p-values below 0.05" || fail "non-members: $fp05 of 60 below 0.05"
[ "$fpev" -le 4 ] && ok "non-members: $fpev of 60 named as evidence at 0.01" || fail "non-members: $fpev of 60 named"
python3 -c "import sys; sys.exit(0 if $ks < $crit else 1)" && ok "non-member p-values: KS $ks < $crit" \
  || fail "non-member p-values not uniform: KS $ks >= $crit"
finish
