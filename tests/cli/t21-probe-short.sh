#!/usr/bin/env bash
# t21-probe-short.sh -- dataset inference stays calibrated when the work is
# much shorter than the references (review finding P1): a work averaged
# over 1 passage varies far more than references averaged over 10, so the
# probe must use the same number of passages k for every document.
#
# pk-lm on the fixture of tests/lm/make-fixture.sh; 40 SHORT non-member
# works (the first 64 to 320 words of non-member Brown files, so 1 to 5
# passages of 64 words) each against 20 long non-member references (about
# 2000 words each, drawn from a pool that never holds the probed file),
# --samples 10, fixed seed.  Checks:
#   * every run uses the same k for the work and the references, and k is
#     exactly min(passages of the work, 10) ("passages_per_document");
#   * at most 3 of 40 are named as evidence at alpha 0.01 (a correct test:
#     binomial(40, 0.01) exceeds 3 with probability 0.08%; before the fix
#     about 28% of 1-passage works and 10% of 5-passage works were named);
#   * at most 7 of 40 p-values below 0.05 (binomial(40, 0.05) exceeds 7
#     with probability 0.4%).
source "$(dirname "$0")/lib.sh"
LM_PID=""
trap 'kill $LM_PID 2>/dev/null; wait $LM_PID 2>/dev/null || true; rm -rf "$T"' EXIT

serve_lm_fixture

python3 - "$PICKET" "$URL" "$T/fx/fixture.json" "$T" >"$T/stats" <<'PY'
import json, os, random, re, subprocess, sys
picket, url, fx, tmp = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3])), sys.argv[4]
rng = random.Random(2101)
nonmembers = [m["text"] for m in fx["nonmembers"]]
rng.shuffle(nonmembers)
pool, probed = nonmembers[:80], nonmembers[80:120]
bad_k = fp01 = fp05 = 0
for i, src in enumerate(probed):
    text = open(src).read()
    words = [m.span() for m in re.finditer(r"\S+", text)]
    npass = 1 + i % 5                                 # 1..5 passages of 64 words
    work = os.path.join(tmp, "short-%02d.txt" % i)
    with open(work, "w") as f:                        # the file's own bytes (its line breaks kept)
        at = rng.randrange(0, len(words) - 64 * npass)  # anywhere in the file, not only its start
        f.write(text[words[at][0] : words[at + 64 * npass - 1][1]] + "\n")
    refs = rng.sample(pool, 20)
    cmd = [picket, "probe", "-q", "--json", "--endpoint", url, "--samples", "10", "--no-canaries",
           "--no-extraction", "--no-min-k-pp"] + sum((["--nonmember", r] for r in refs), []) + [work]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        sys.exit(r.stderr)
    d = json.loads(r.stdout)["dataset_inference"]
    if not d["run"] or d["passages_per_document"] != min(npass, 10) or d["passages"] != d["passages_per_document"]:
        bad_k += 1
        print("wrong k:", work, npass, d, file=sys.stderr)
    fp01 += d["p"] < 0.01
    fp05 += d["p"] < 0.05
print(bad_k, fp01, fp05)
PY
read -r bad_k fp01 fp05 <"$T/stats"
echo "short non-member works: $fp01 of 40 below 0.01, $fp05 of 40 below 0.05; runs with a wrong k: $bad_k"
expect_eq "$bad_k" 0 "every run uses k = min(work passages, --samples) for the work and every reference"
[ "$fp01" -le 3 ] && ok "short non-members: $fp01 of 40 named at 0.01" || fail "short non-members: $fp01 of 40 named at 0.01"
[ "$fp05" -le 7 ] && ok "short non-members: $fp05 of 40 below 0.05" || fail "short non-members: $fp05 of 40 below 0.05"
finish
