#!/usr/bin/env bash
# t21-probe.sh -- picket probe against a real language model with a known
# training set: pk-lm (a word-level Kneser-Ney model, tests/lm/) trained on
# Brown files of genre a (ca01-ca20) plus the copy for publication of ca05
# with a planted canary, seen 8 times, and served on loopback as vLLM, as
# llama.cpp server and as plain OpenAI.  Checks: a member work is found by
# all three tests (extraction reproduces its passages word for word and
# nothing of the control, its canary ranks first of 1000 nulls: exact
# p = 1/1001, dataset inference against unseen genre-a documents is
# significant); a non-member work of the same genre is not; llama.cpp and
# OpenAI servers (no prompt log-probabilities) get extraction and canaries
# by completion, no dataset inference; the cache answers a re-run with no
# call (the server's /stats); retries with backoff get through 429 and
# 503; the API key never reaches the cache or the output; errors.
source "$(dirname "$0")/lib.sh"
: "${PK_LM:?PK_LM must point at the pk-lm binary}"
[ -x "$PK_LM" ] || { echo "FAIL: pk-lm not built at $PK_LM" >&2; exit 1; }

LM_PIDS=""
trap 'kill $LM_PIDS 2>/dev/null; wait $LM_PIDS 2>/dev/null; rm -rf "$T"' EXIT
# start_lm NAME API [ARGS...]: serve model.bin; sets URL_<NAME>
start_lm() {
  local name=$1 api=$2; shift 2
  rm -f "$T/ready-$name"
  "$PK_LM" serve --model "$T/model.bin" --port 0 --api "$api" --model-name "pk-test" \
    --ready-file "$T/ready-$name" "$@" 2>"$T/lm-$name.log" &
  LM_PIDS="$LM_PIDS $!"
  local pid=$!
  for _ in $(seq 300); do
    [ -s "$T/ready-$name" ] && break
    kill -0 $pid 2>/dev/null || { cat "$T/lm-$name.log" >&2; echo "FAIL: pk-lm serve exited" >&2; exit 1; }
    sleep 0.05
  done
  [ -s "$T/ready-$name" ] || { echo "FAIL: pk-lm serve not ready" >&2; exit 1; }
  printf -v "URL_$name" 'http://127.0.0.1:%s' "$(tr -dc 0-9 < "$T/ready-$name")"
}
stat_of() { curl -s "$1/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"; }
jget() { python3 -c 'import json,sys
d=json.loads(sys.stdin.readline())
for k in sys.argv[1].split("."):
    d = d[int(k)] if isinstance(d, list) else d[k]
print(json.dumps(d) if isinstance(d,(dict,list,bool)) or d is None else d)' "$1"; }

# ---- the training set ------------------------------------------------------
mkdir docs
for f in $(cd "$BROWN" && ls | grep -E '^ca[0-9]+$'); do brown "$f" > "docs/$f.txt"; done
MEMBERS=$(for i in $(seq -w 1 20); do [ "$i" != 05 ] && echo "docs/ca$i.txt"; done)
REFS=$(for i in $(seq 31 44); do echo "docs/ca$i.txt"; done)
"$PICKET" canary docs/ca05.txt --out ca05.canary.txt >/dev/null 2>&1
CANARY=$(tail -n 1 ca05.canary.txt | sed 's/^Catalogue reference: //')
expect_match "$CANARY" '^([a-z]{4} ){7}[a-z]{4}$' "a canary planted in the copy of ca05"
# shellcheck disable=SC2086
"$PK_LM" train --order 5 --out model.bin --repeat 8 ca05.canary.txt $MEMBERS >/dev/null 2>"$T/train.log" \
  || { cat "$T/train.log" >&2; echo "FAIL: pk-lm train" >&2; exit 1; }

start_lm v vllm
export XDG_CACHE_HOME=$T/cache
# shellcheck disable=SC2086
NM=$(for f in $REFS; do printf -- '--nonmember %s ' "$f"; done)

# ---- vLLM: a member work ------------------------------------------------------
# shellcheck disable=SC2086
run probe --endpoint "$URL_v" --samples 30 $NM --json docs/ca05.txt
expect_eq "$rc" 0 "member: evidence found (exit 0)"
expect_match "$errs" 'log-probabilities: of the prompt \(prompt_logprobs\), with the full distribution' \
  "vLLM detected with prompt log-probabilities and mu/sigma"
expect_match "$errs" 'dataset inference against the --nonmember documents' "all three tests announced"
J=$(head -n 1 out)
expect_eq "$(jget evidence <<<"$J")" true "member: evidence true in JSON"
# non-overlapping windows of 50 + 50 words: at most words / 100 of them
NW=$(( $(wc -w < docs/ca05.txt) / 100 )); [ "$NW" -gt 30 ] && NW=30
expect_eq "$(jget extraction.samples <<<"$J")" "$NW" "extraction: $NW non-overlapping passages (at most 30)"
expect_eq "$(jget extraction.control.samples <<<"$J")" 60 "extraction: 60 control passages (more than one shuffle)"
X=$(jget extraction.extractable <<<"$J")
[ "$X" -ge 5 ] && ok "extraction: $X of $NW member passages reproduced word for word" \
  || fail "extraction: only $X of $NW member passages reproduced"
expect_eq "$(jget extraction.control.extractable <<<"$J")" 0 "extraction: nothing of the shuffled control"
expect_eq "$(jget canaries.sets.0.best_rank <<<"$J")" 0 "canary ranks before every one of the 1000 nulls"
expect_eq "$(jget canaries.sets.0.p <<<"$J")" 0.000999001 "canary: exact p = 1/1001"
expect_eq "$(jget dataset_inference.reference_documents <<<"$J")" 14 "dataset inference: 14 reference documents"
expect_eq "$(jget dataset_inference.features <<<"$J")" '["loss", "zlib_ratio", "min_k", "min_k_pp"]' \
  "dataset inference: four features, Min-K%++ included"
DP=$(jget dataset_inference.p <<<"$J")
python3 -c "import sys; sys.exit(0 if float('$DP') < 0.001 else 1)" && ok "dataset inference: p = $DP < 0.001" \
  || fail "dataset inference: p = $DP"
expect_match "$(jget dataset_inference.assumption <<<"$J")" 'same kind as the work' "the assumption is in the JSON"
expect_eq "$(jget significant <<<"$J")" '["extraction", "canaries", "dataset_inference"]' "all three significant"

# The readable summary says the same, with the assumption.
# shellcheck disable=SC2086
run probe --endpoint "$URL_v" --samples 30 $NM docs/ca05.txt
expect_match "$out" 'canaries \(by loss\):' "summary: canaries by loss"
expect_match "$out" 'best canary ranks 1 among the nulls; p = 0.000999' "summary: the canary's rank and p"
expect_match "$out" 'assumption: the --nonmember documents are of the same kind' "summary: the assumption"
expect_match "$out" 'verdict: EVIDENCE of training \(3 of 3 tests' "summary: the verdict"

# ---- the cache: a re-run makes no call ---------------------------------------
before=$(stat_of "$URL_v" completions)
# shellcheck disable=SC2086
run probe --endpoint "$URL_v" --samples 30 $NM --json docs/ca05.txt
expect_eq "$(stat_of "$URL_v" completions)" "$before" "re-run: the server saw no completion request"
expect_match "$errs" 'tokens spent: 0 prompt \+ 0 completion; requests: 0 sent' "re-run: no token spent, no request"
expect_eq "$(head -n 1 out)" "$J" "re-run: the same result from the cache"

# ---- the evidence report carries the probe results -----------------------------
printf '%s\n' "$J" > probe.jsonl
: > none.jsonl
"$PICKET" keygen --out rk >/dev/null 2>&1
run report --probe probe.jsonl --sign rk --out rep none.jsonl
expect_eq "$rc" 0 "report --probe: exit 0"
H=$(cat rep/report.html)
expect_match "$H" '<h2>Model probe</h2>' "report.html: a Model probe section"
expect_match "$H" '<b>Evidence of training on this work</b>' "report.html: the verdict"
expect_match "$H" "<td class=\"n\">$(python3 -c "print('%.3g' % $DP)")</td>" "report.html: the dataset inference p-value"
expect_match "$H" 'Assumption: the --nonmember documents are of the same kind' "report.html: the assumption"
expect_eq "$(jq -r .inputs.probe.sha256 rep/evidence.json)" "$(sha256sum < probe.jsonl | cut -d' ' -f1)" \
  "evidence.json: the probe file's SHA-256"
expect_eq "$(jq -c '.probe[0].significant' rep/evidence.json)" '["extraction","canaries","dataset_inference"]' \
  "evidence.json: the results themselves"
run verify --key rk.pub rep
expect_eq "$rc" 0 "verify: the signed bundle and the probe file check out"
expect_match "$out" 'probe: .*probe.jsonl: SHA-256 matches' "verify names the probe file"
echo >> probe.jsonl
run verify --key rk.pub rep
expect_eq "$rc" 1 "verify: a changed probe file fails"
# shellcheck disable=SC2086
run probe --endpoint "$URL_v/v1" --samples 5 $NM --no-cache --json docs/ca05.txt
[ "$(stat_of "$URL_v" completions)" -gt "$before" ] && ok "--no-cache asks the server again" || fail "--no-cache made no call"
expect_match "$errs" 'tokens spent: [1-9][0-9]* prompt' "tokens spent are counted from usage"

# ---- a non-member work of the same genre ------------------------------------------
# shellcheck disable=SC2086
run probe --endpoint "$URL_v" --samples 20 $NM --json docs/ca30.txt
expect_eq "$rc" 1 "non-member: no evidence (exit 1)"
J=$(head -n 1 out)
expect_eq "$(jget extraction.extractable <<<"$J")" 0 "non-member: no passage reproduced"
expect_eq "$(jget canaries.run <<<"$J")" false "non-member: no canary set"
DP=$(jget dataset_inference.p <<<"$J")
python3 -c "import sys; sys.exit(0 if float('$DP') > 0.01 else 1)" && ok "non-member: dataset inference p = $DP" \
  || fail "non-member: dataset inference p = $DP"
# without reference text, dataset inference is skipped and says why
run probe --endpoint "$URL_v" --samples 10 --json docs/ca30.txt
expect_match "$(head -n 1 out | jget dataset_inference.why)" 'no --nonmember text' "no reference text: skipped, saying why"

# user control text joins the shuffled work in the extraction control
run probe --endpoint "$URL_v" --samples 5 --no-canaries --control docs/ca40.txt --json docs/ca05.txt
J=$(head -n 1 out)
expect_eq "$(jget extraction.control.sources <<<"$J")" '["shuffled work", "docs/ca40.txt"]' "--control: named among the sources"
expect_eq "$(jget extraction.control.samples <<<"$J")" 15 "--control: 10 shuffled + 5 control passages"
expect_eq "$(jget extraction.control.extractable <<<"$J")" 0 "--control: nothing of it reproduced"
# a registered work given by id: its canaries only (the registry keeps no text)
"$PICKET" register docs/ca05.txt >/dev/null
run probe --endpoint "$URL_v" --json ca05
expect_eq "$rc" 0 "by id: the canary alone is evidence"
J=$(head -n 1 out)
expect_eq "$(jget tests_run <<<"$J")" 1 "by id: one test run"
expect_match "$(jget extraction.why <<<"$J")" '^no text of the work' "by id: extraction skipped, saying why"
expect_eq "$(jget canaries.sets.0.p <<<"$J")" 0.000999001 "by id: the canary set found through the work's SHA-256"
run probe --endpoint "$URL_v" --nonmember no-such-ref.txt docs/ca05.txt
expect_eq "$rc" 2 "a missing --nonmember file is an error"
expect_match "$errs" 'no-such-ref.txt' "the error names the file"

# ---- the API key stays out of cache and output ---------------------------------------
export PK_TEST_KEY=sk-picket-test-4f1d2c9e8b7a
run probe --endpoint "$URL_v" --api-key-env PK_TEST_KEY --samples 5 --json --cache "$T/keycache.db" docs/ca05.txt
expect_eq "$rc" 0 "a probe with an API key works"
expect_eq "$(grep -c "$PK_TEST_KEY" "$T/keycache.db" "$T/keycache.db-wal" out err 2>/dev/null | awk -F: '{s+=$2} END {print s}')" 0 \
  "the API key is in neither the cache nor the output"
run probe --endpoint "$URL_v" --api-key-env PK_NO_SUCH_VAR docs/ca05.txt
expect_eq "$rc" 2 "an unset key variable is an error"
expect_eq "$errs" "picket: --api-key-env: the environment variable PK_NO_SUCH_VAR is not set" "it names the variable"

# ---- llama.cpp server: generated tokens only ---------------------------------------------
start_lm l llamacpp
# shellcheck disable=SC2086
run probe --endpoint "$URL_l" --samples 30 $NM --json docs/ca05.txt
expect_eq "$rc" 0 "llama.cpp: member found"
expect_match "$errs" 'API llamacpp' "llama.cpp detected by /props"
expect_match "$errs" 'log-probabilities: of generated tokens only' "llama.cpp: no prompt log-probabilities"
J=$(head -n 1 out)
expect_eq "$(jget canaries.method <<<"$J")" completion "llama.cpp: canaries by completion"
expect_eq "$(jget canaries.sets.0.p <<<"$J")" 0.000999001 "llama.cpp: the canary completes, alone of 1001"
expect_match "$(jget dataset_inference.why <<<"$J")" 'no prompt log-probabilities' "llama.cpp: dataset inference skipped"
expect_eq "$(jget extraction.extractable <<<"$J")" "$X" "llama.cpp: the same $X passages reproduced as through vLLM (greedy is greedy)"

# ---- OpenAI: echo refused ------------------------------------------------------------------
start_lm o openai
run probe --endpoint "$URL_o" --samples 5 --json docs/ca05.txt
expect_match "$errs" 'API openai-completions' "OpenAI mode detected"
expect_match "$errs" 'log-probabilities: of generated tokens only' "OpenAI: prompt_logprobs and echo refused, detected"
expect_eq "$(head -n 1 out | jget canaries.method)" completion "OpenAI: canaries by completion"

# ---- retries: 429 with Retry-After and 503 -------------------------------------------------------
start_lm f vllm --fail-every 3
run probe --endpoint "$URL_f" --samples 8 --backoff 20 --no-cache --json docs/ca05.txt
expect_eq "$rc" 0 "every third POST failing: the probe still gets through"
expect_match "$errs" '\([1-9][0-9]* retries, 0 failed\)' "retries counted, none given up"
run probe --endpoint "$URL_f" --samples 8 --backoff 20 --retries 0 --no-cache --no-canaries docs/ca05.txt
expect_eq "$rc" 2 "without retries the failures are errors"
expect_match "$errs" 'HTTP (429|503)' "the error names the status"

# ---- errors ------------------------------------------------------------------------------------------
port=$(free_port)
run probe --endpoint "http://127.0.0.1:$port" --retries 0 docs/ca05.txt
expect_eq "$rc" 2 "nothing listening: error"
expect_match "$errs" "^picket: http://127.0.0.1:$port: neither GET /v1/models" "the error names the endpoint"
run probe --endpoint "$URL_v" no-such-file.txt
expect_eq "$rc" 2 "a WORK that is neither a file nor a registered work"
expect_match "$errs" 'no-such-file.txt: no such file, and no registered work' "the error names it"
run probe docs/ca05.txt
expect_eq "$rc" 2 "no endpoint: error"
finish
