#!/usr/bin/env bash
# t20-lm.sh -- pk-lm, the test language model `picket probe` is tested
# against (tests/lm/): a small model trains, its distributions sum to 1,
# damaged model files are refused; make-fixture.sh builds the probe
# fixture (members and non-members split within each Brown genre, two
# screenplays seen 8 times, canary sets at 1..32 repetitions) and the
# blind check finds its member and non-member passages inseparable by
# text alone (and separates two different genres, so it can see a
# difference); then the fixture model is served over real HTTP in each
# wire format and checked with curl and jq: tokens that concatenate to the
# prompt, prompt_logprobs with a leading null and the prompt's own token
# in every entry, mu and sigma, greedy extraction of a member seen 8
# times (and none from a non-member), stop strings, seeded sampling,
# chat, llama.cpp's shape, OpenAI's refusals, errors (400, 404, 413),
# /stats counts and --fail-every's 429 and 503.
source "$(dirname "$0")/lib.sh"
unset http_proxy https_proxy all_proxy HTTPS_PROXY ALL_PROXY
: "${PK_LM:?PK_LM must point at the pk-lm binary}"
LM=$PK_LM
WORKS=$PK_SRC/sample/works

# ---- a small model ------------------------------------------------------------
brown ca01 >ca01.txt
brown ca02 >ca02.txt
brown cb01 >cb01.txt
set +e
"$LM" train --order 3 --out small.bin ca01.txt ca02.txt --repeat 3 cb01.txt >train.out 2>&1
rc=$?
set -e
expect_eq "$rc" 0 "train a small model"
expect_match "$(cat train.out)" '^trained an order-3 model on [0-9]+ tokens \(5 documents\) in [0-9.]+ s: vocabulary [0-9]+, keys [0-9]+, n-grams [0-9]+ [0-9]+ [0-9]+; small.bin: [0-9]+ bytes$' \
  "train reports order, documents (2 + 3 repeats), vocabulary and n-grams"
out=$("$LM" selftest small.bin --contexts 300)
expect_match "$out" '^selftest: 300 distributions over [0-9]+ tokens \(order 3\): max \|sum - 1\| = [0-9.e-]+, max relative \|p\(v\) - dist\[v\]\| = [0-9.e-]+, sparse form: 0 disagreements, moments within [0-9.e-]+: ok$' \
  "every distribution sums to 1 within 1e-6, agrees with single-token probabilities and with its sparse form"

# The tokenizer: a token is a word or one punctuation mark with the white
# space before it; white space runs become one space or one newline.
printf 'Don'"'"'t  stop,\tnow!\n\n  Caf\xc3\xa9 x' >tok.txt
toks=$("$LM" tokenize small.bin tok.txt | jq -r '.text' | jq -Rs .)
expect_eq "$toks" '"Don'"'"'t\n stop\n,\n now\n!\n\nCafé\n x\n"' "tokens: words keep inner apostrophes, punctuation alone, leading white space normalized"
expect_eq "$("$LM" tokenize small.bin tok.txt | jq -r '.offset' | tr '\n' ' ')" "0 5 10 11 15 16 22 " "tokens carry byte offsets in the normalized text"

# Damaged and foreign model files are refused with a clear error.
cp small.bin damaged.bin
printf '\x55\x55\x55\x55' | dd of=damaged.bin bs=1 seek=$(( $(wc -c <small.bin) / 2 )) conv=notrunc 2>/dev/null
set +e
"$LM" selftest damaged.bin >/dev/null 2>err.txt; rc=$?
set -e
expect_eq "$rc" 2 "a damaged model is refused (exit 2)"
expect_match "$(cat err.txt)" '^pk-lm: damaged.bin: (damaged model file: checksum mismatch|corrupt zstd stream at byte [0-9]+)' "the error names the file and what is wrong"
head -c 1000 small.bin >cut.bin
set +e
"$LM" selftest cut.bin >/dev/null 2>err.txt; rc=$?
set -e
expect_eq "$rc" 2 "a truncated model is refused"
expect_match "$(cat err.txt)" '^pk-lm: cut.bin: truncated zstd stream at byte 1000' "truncation is reported with the byte offset"
set +e
"$LM" selftest ca01.txt >/dev/null 2>err.txt; rc=$?
set -e
expect_eq "$(cat err.txt) $rc" "pk-lm: ca01.txt: not a pk-lm model (bad magic at byte 0) 2" "a text file is not a model"

# ---- the probe fixture ------------------------------------------------------------
set +e
PK_LM=$LM "$PK_SRC/tests/lm/make-fixture.sh" fx >fixture.out 2>&1
rc=$?
set -e
expect_eq "$rc" 0 "make-fixture.sh builds the fixture"
[ "$rc" -eq 0 ] || { cat fixture.out >&2; finish; }
FX=$T/fx/fixture.json
expect_eq "$(jq '(.members|length) + (.nonmembers|length)' "$FX")" 500 "all 500 Brown files are members or non-members"
expect_eq "$(jq '[.members[].name] - [.nonmembers[].name] | length' "$FX")" "$(jq '.members|length' "$FX")" "no file is both"
expect_eq "$(jq -c '[.members[].genre] | unique' "$FX")" "$(jq -c '[.nonmembers[].genre] | unique' "$FX")" "members and non-members come from the same genres"
expect_eq "$(jq -c '[.members[].genre] | unique | length' "$FX")" 15 "all 15 Brown genres are split"
expect_eq "$(jq -c '[.canaries.sets[].repeat]' "$FX")" "[1,2,4,8,16,32]" "one canary set per repetition count"
expect_eq "$(jq -c '[.canaries.sets[] | (.canaries|length)] | unique' "$FX")" "[4]" "four published canaries per set"
expect_eq "$(jq -c '[.canaries.sets[].set] | unique | length' "$FX")" 6 "each repetition count has its own set (and null set)"
c32=$(jq -r '.canaries.sets[5].canaries[0]' "$FX")
expect_eq "$(grep -c "Catalogue reference: $c32" "$(jq -r '.canaries.sets[5].copy' "$FX")")" 1 "the published copy carries its canary"
expect_eq "$(jq -c '[.repeated_works[] | [.work, .repeat]]' "$FX")" '[["the-crossing",8],["night-shift",8]]' "the two screenplays are members seen 8 times"
expect_eq "$(jq -r '[.nonmember_works[].work] | join(" ")' "$FX")" "lighthouse-keepers salt-and-static the-writers-room" "the other sample works are non-members"
expect_eq "$(jq -r '.order' "$FX")" 8 "the fixture's order"
expect_match "$("$LM" selftest fx/model.bin --contexts 100)" '^selftest: 100 distributions over [0-9]+ tokens \(order 8\): .*sparse form: 0 disagreements.*: ok$' \
  "the fixture model's distributions sum to 1 too"
expect_match "$(cat fixture.out)" "^trained an order-8 model on $(jq -r '.training.tokens' "$FX") tokens" "fixture.json records the training run"

# ---- the blind check -------------------------------------------------------------
set +e
blind=$("$LM" blind --members fx/members.lst --nonmembers fx/nonmembers.lst --json); rc=$?
set -e
expect_eq "$rc" 0 "blind check: members and non-members not separable by text alone"
expect_eq "$(jq '(.ci95[0] <= 0.5 and 0.5 <= .ci95[1]) or .auc < 0.6' <<<"$blind")" true \
  "blind AUC's 95% interval contains 0.5 or AUC < 0.6 ($(jq -c '[.auc, .ci95]' <<<"$blind"))"
expect_eq "$(jq -c '[.member_docs, .nonmember_docs]' <<<"$blind")" "[$(jq '.members|length' "$FX"),$(jq '.nonmembers|length' "$FX")]" "every document is in the blind check"
grep -hE '/c[ab][0-9]+\.txt$' fx/members.lst fx/nonmembers.lst >news.lst
grep -hE '/c[jk][0-9]+\.txt$' fx/members.lst fx/nonmembers.lst >science.lst
set +e
ctrl=$("$LM" blind --members news.lst --nonmembers science.lst --json); rc=$?
set -e
expect_eq "$rc $(jq '.ci95[0] > 0.6' <<<"$ctrl")" "1 true" "positive control: news vs learned text is separable ($(jq -c '[.auc, .ci95]' <<<"$ctrl"))"

# ---- serving --------------------------------------------------------------------------
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"' EXIT
start_lm() { # NAME ARGS... -> $PORT
  local name=$1
  shift
  PORT=$(free_port)
  rm -f "$name.ready"
  "$LM" serve --model fx/model.bin --port "$PORT" --ready-file "$name.ready" "$@" 2>"$name.log" &
  PIDS="$PIDS $!"
  local pid=$!
  while [ ! -s "$name.ready" ]; do
    kill -0 "$pid" 2>/dev/null || { cat "$name.log" >&2; echo "FAIL: pk-lm serve $name did not start" >&2; exit 1; }
    sleep 0.05
  done
  expect_eq "$(cat "$name.ready")" "$PORT" "$name: the ready file holds the port"
}
# post URL JSON -> $code, response in resp.json
post() {
  code=$(curl -s -o resp.json -D headers.txt -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$2" "$1")
}
get() { curl -s "$1"; }

start_lm vllm --model-name fixture-lm
V=http://127.0.0.1:$PORT
expect_eq "$(get "$V/health")" '{"status":"ok"}' "vllm: /health"
expect_eq "$(get "$V/v1/models" | jq -c '[.object, .data[0].id, .data[0].object, .data[0].owned_by, .data[0].max_model_len]')" \
  '["list","fixture-lm","model","pk-lm",4096]' "vllm: /v1/models"

# Tokens of a prompt concatenate to the prompt (normalized), and text_offset
# counts characters.
PROMPT=$'The ferry\'s horn — twice, "long" and low.\nVera didn\'t move; 3.5 knots.'
post "$V/v1/completions" "$(jq -n --arg p "$PROMPT" '{model:"fixture-lm", prompt:$p, max_tokens:0, echo:true, logprobs:0}')"
expect_eq "$code" 200 "vllm: echo with logprobs"
expect_eq "$(jq -r '.choices[0].logprobs.tokens | join("")' resp.json)" "$PROMPT" "vllm: the prompt's tokens concatenate to the prompt"
expect_eq "$(jq -r '.choices[0].text' resp.json)" "$PROMPT" "vllm: echo returns the prompt as the text"
expect_eq "$(jq -c '.choices[0].logprobs | [.token_logprobs[0], .top_logprobs[0]]' resp.json)" '[null,null]' "vllm: the first prompt token has no logprob"
expect_eq "$(jq '.choices[0].logprobs | . as $L | [$L.tokens[] | length] as $l | [range(0; $l|length) | . as $i | ($l[0:$i] | add // 0)] == $L.text_offset' resp.json)" \
  true "vllm: text_offset is the running character count"
NTOK=$(jq '.usage.prompt_tokens' resp.json)
expect_eq "$(jq '.choices[0].logprobs.tokens | length' resp.json)" "$NTOK" "vllm: usage counts the prompt's tokens"

# prompt_logprobs: a leading null, then one dict per token holding the
# token itself (with its rank) and the top 2.
post "$V/v1/completions" "$(jq -n --arg p "$PROMPT" '{prompt:$p, max_tokens:1, prompt_logprobs:2, pk_full_stats:true}')"
expect_eq "$code" 200 "vllm: prompt_logprobs"
expect_eq "$(jq '.choices[0].prompt_logprobs | [length, (.[0] == null), ([.[1:][] | type] | unique)]' resp.json | jq -c .)" \
  "[$NTOK,true,[\"object\"]]" "vllm: prompt_logprobs has a null then one entry per prompt token"
post "$V/v1/completions" "$(jq -n --arg p "$PROMPT" '{prompt:$p, max_tokens:0, echo:true, logprobs:0, prompt_logprobs:2, pk_full_stats:true}')"
expect_eq "$(jq '.choices[0] | .logprobs.tokens as $t | .logprobs.token_logprobs as $lp | [range(1; $t|length) as $i | .prompt_logprobs[$i] | to_entries | map(select(.value.decoded_token == $t[$i] and .value.logprob == $lp[$i])) | length] | unique' resp.json | jq -c .)" \
  "[1]" "vllm: each entry holds the prompt token with the same logprob as echo gives"
expect_eq "$(jq '.choices[0] | .logprobs.tokens as $t | [range(1; $t|length) as $i | .prompt_logprobs[$i] | to_entries[0].value.decoded_token == $t[$i]] | all' resp.json)" \
  true "vllm: the prompt's token is the first key of each entry, as in vLLM"
expect_eq "$(jq '[.choices[0].prompt_logprobs[1:][] | length] | (min >= 2 and max <= 3)' resp.json)" true "vllm: the token plus the top 2 (merged when the token is among them)"
expect_eq "$(jq '[.choices[0].prompt_logprobs[1:][] | to_entries[] | select(.value.rank == 1)] | length' resp.json)" "$((NTOK - 1))" "vllm: every entry has its rank-1 token"
expect_eq "$(jq '[.choices[0].prompt_logprobs[1:][] | to_entries[0].value | (.mu < 0 and .sigma > 0)] | all' resp.json)" true "vllm: pk_full_stats adds mu < 0 and sigma > 0"

# Greedy extraction: a member screenplay seen 8 times continues exactly
# from a 50-token prefix; a non-member work does not.
extract() { # TEXTFILE START -> $prefix $want $got
  post "$V/v1/completions" "$(jq -n --rawfile p "$1" '{prompt:$p, max_tokens:0, echo:true, logprobs:0}')"
  local toks
  toks=$(jq -c '.choices[0].logprobs.tokens' resp.json)
  prefix=$(jq -r --argjson s "$2" '.[$s:$s+50] | join("")' <<<"$toks")
  want=$(jq -r --argjson s "$2" '.[$s+50:$s+100] | join("")' <<<"$toks")
  word10=$(jq -r --argjson s "$2" '.[$s+60]' <<<"$toks")
  post "$V/v1/completions" "$(jq -n --arg p "$prefix" '{prompt:$p, max_tokens:50, temperature:0}')"
  got=$(jq -r '.choices[0].text' resp.json)
}
extract fx/text/works/the-crossing.txt 300
expect_eq "$got" "$want" "vllm: greedy decoding reproduces 50 tokens of a member seen 8 times"
expect_eq "$(jq -r '.choices[0].finish_reason, .usage.completion_tokens' resp.json | tr '\n' ' ')" "length 50 " "vllm: finish_reason length after max_tokens"
extract fx/text/works/night-shift.txt 600
expect_eq "$got" "$want" "vllm: ... and of the other one"
extract fx/text/works/lighthouse-keepers.txt 300
if [ "$got" != "$want" ]; then ok "vllm: a non-member work is not reproduced"; else fail "vllm: a non-member work was reproduced"; fi
extract "$(head -1 fx/nonmembers.lst)" 300
if [ "$got" != "$want" ]; then ok "vllm: a non-member Brown text is not reproduced"; else fail "vllm: a non-member Brown text was reproduced"; fi

# Stop strings cut the text where they start.
extract fx/text/works/the-crossing.txt 300
stopw=$word10
PREFIX=$prefix
post "$V/v1/completions" "$(jq -n --arg p "$PREFIX" --arg s "$stopw" '{prompt:$p, max_tokens:50, temperature:0, stop:[$s, "zzzz"], logprobs:1}')"
expect_eq "$(jq -r '.choices[0].text' resp.json)" "${want%%"$stopw"*}" "vllm: a stop string ends the text before it"
expect_eq "$(jq -r '.choices[0] | .finish_reason + " " + .stop_reason' resp.json)" "stop $stopw" "vllm: finish_reason stop"
expect_eq "$(jq -r '.choices[0].logprobs.tokens | join("")' resp.json)" "${want%%"$stopw"*}" "vllm: logprobs tokens end with the text"

# Seeded sampling is reproducible; a list of prompts gives one choice each.
post "$V/v1/completions" '{"prompt":"The jury said","max_tokens":20,"temperature":1.0,"seed":42}'
s1=$(jq -r '.choices[0].text' resp.json)
post "$V/v1/completions" '{"prompt":"The jury said","max_tokens":20,"temperature":1.0,"seed":42}'
expect_eq "$(jq -r '.choices[0].text' resp.json)" "$s1" "vllm: the same seed samples the same text"
post "$V/v1/completions" '{"prompt":["The jury said","It was"],"max_tokens":3,"temperature":0,"logprobs":2}'
expect_eq "$(jq -c '[.choices[].index], [.choices[].logprobs.tokens | length], (.choices[0].logprobs.top_logprobs[0] | length | . >= 2 and . <= 3)' resp.json | tr '\n' ' ')" \
  "[0,1] [3,3] true " "vllm: two prompts, two choices, logprobs with the top 2"

# Chat: the message contents joined by newlines are the prompt.
post "$V/v1/chat/completions" "$(jq -n --arg p "$PREFIX" '{model:"fixture-lm", messages:[{role:"user", content:[{type:"text", text:$p}]}], max_completion_tokens:50, temperature:0, logprobs:true, top_logprobs:2}')"
expect_eq "$code" 200 "chat: 200"
expect_eq "$(jq -r '.choices[0].message.content' resp.json)" "$want" "chat: greedy content reproduces the member text"
expect_eq "$(jq -c '[.object, .choices[0].message.role, (.choices[0].logprobs.content | length), (.choices[0].logprobs.content[0].top_logprobs | length)]' resp.json)" \
  '["chat.completion","assistant",50,2]' "chat: object, role, one logprobs entry per token with the top 2"
expect_eq "$(jq -r '[.choices[0].logprobs.content[] | .token] | join("")' resp.json)" "$want" "chat: logprobs tokens spell the content"
expect_eq "$(jq '.choices[0].logprobs.content[0] | (.bytes | implode) == .token' resp.json)" true "chat: bytes are the token's UTF-8 bytes"
post "$V/v1/chat/completions" '{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello"}],"max_tokens":2,"prompt_logprobs":0}'
expect_eq "$(jq -c '[.usage.prompt_tokens, (.prompt_logprobs | length), .prompt_logprobs[0]]' resp.json)" '[4,4,null]' \
  "chat: prompt \"Be brief.\\nHello\" is 4 tokens, prompt_logprobs at the top level"

# Errors: OpenAI-style bodies.
post "$V/v1/completions" '{"prompt": "x", bad'
expect_eq "$code $(jq -c '[.error.type, .error.param, .error.code]' resp.json)" '400 ["invalid_request_error",null,null]' "malformed JSON: 400 invalid_request_error"
expect_match "$(jq -r '.error.message' resp.json)" '^invalid JSON at line 1 column [0-9]+' "malformed JSON: the message says where"
post "$V/v1/completions" '{"prompt":"x","max_tokens":"ten"}'
expect_eq "$code $(jq -r '.error.param + ": " + .error.message' resp.json)" "400 max_tokens: max_tokens must be an integer" "a bad field: 400 naming the parameter"
post "$V/v1/completions" '{"prompt":"x","n":2}'
expect_eq "$code $(jq -r '.error.param' resp.json)" "400 n" "n > 1 refused"
post "$V/v1/nothing" '{}'
expect_eq "$code" 404 "unknown path: 404"
head -c $((8 * 1024 * 1024 + 10)) /dev/zero | tr '\0' 'a' >big.txt
code=$(curl -s -o resp.json -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @big.txt "$V/v1/completions")
expect_eq "$code" 413 "a body over 8 MiB: 413"
post "$V/v1/completions" "$(jq -n --rawfile p "$(head -1 fx/members.lst)" '{prompt:($p+$p), max_tokens:1}')"
expect_eq "$code $(jq -r '.error.param' resp.json)" "400 prompt" "a prompt over max_model_len: 400"

# /stats: one completion adds exactly its request and tokens; /health and
# /stats themselves are not counted.
before=$(get "$V/stats")
get "$V/health" >/dev/null
post "$V/v1/completions" '{"prompt":"The jury said","max_tokens":7,"temperature":0}'
after=$(get "$V/stats")
expect_eq "$(jq -n --argjson a "$before" --argjson b "$after" -c '[$b.requests - $a.requests, $b.completions - $a.completions, $b.prompt_tokens - $a.prompt_tokens, $b.completion_tokens - $a.completion_tokens]')" \
  "[1,1,3,7]" "/stats counts one request, one completion, 3 prompt and 7 completion tokens"

# ---- llama.cpp ---------------------------------------------------------------------
start_lm llama --api llamacpp
L=http://127.0.0.1:$PORT
expect_eq "$(get "$L/health")" '{"status":"ok"}' "llamacpp: /health"
expect_eq "$(get "$L/props" | jq -c '[.default_generation_settings.n_ctx, .total_slots]')" "[4096,1]" "llamacpp: /props"
post "$L/completion" "$(jq -n --arg p "$PREFIX" '{prompt:$p, n_predict:50, temperature:0, n_probs:3, cache_prompt:true, post_sampling_probs:true}')"
expect_eq "$code" 200 "llamacpp: /completion"
expect_eq "$(jq -r '.content' resp.json)" "$want" "llamacpp: greedy content reproduces the member text"
expect_eq "$(jq -c '[.stop, .tokens_predicted, .tokens_evaluated, .stopped_limit, .stopped_word, (.completion_probabilities | length)]' resp.json)" \
  "[true,50,50,true,false,50]" "llamacpp: stop, token counts, one probability entry per generated token"
expect_eq "$(jq -r '[.completion_probabilities[].content] | join("")' resp.json)" "$want" "llamacpp: completion_probabilities' contents spell the text"
expect_eq "$(jq '[.completion_probabilities[] | (.probs | length == 3) and (.probs[0].prob >= .probs[1].prob) and (.probs[1].prob >= .probs[2].prob) and ([.probs[].prob] | add <= 1.0000001) and (.probs[0].tok_str == .content)] | all' resp.json)" \
  true "llamacpp: probs are the top 3 {tok_str, prob}, descending, the greedy token first"
post "$L/completion" '{"prompt":"The jury said","n_predict":40,"temperature":0,"stop":[" ."]}'
expect_eq "$(jq -c '[.stopped_word, .stopping_word, (.content | contains(" ."))]' resp.json)" '[true," .",false]' "llamacpp: stop words"
expect_eq "$(jq -c 'has("completion_probabilities")' resp.json)" false "llamacpp: no probabilities without n_probs"
post "$L/v1/completions" '{"prompt":"x"}'
expect_eq "$code" 404 "llamacpp: no OpenAI endpoint"

# ---- OpenAI -------------------------------------------------------------------------
start_lm openai --api openai
O=http://127.0.0.1:$PORT
post "$O/v1/completions" '{"model":"pk-lm","prompt":"The jury said","max_tokens":0,"echo":true,"logprobs":1}'
expect_eq "$code $(jq -c '[.error.type, .error.param]' resp.json)" '400 ["invalid_request_error","echo"]' "openai: echo with logprobs refused, naming echo"
post "$O/v1/completions" '{"model":"pk-lm","prompt":"The jury said","max_tokens":1,"prompt_logprobs":1}'
expect_eq "$code $(jq -r '.error.param + ": " + .error.message' resp.json)" "400 prompt_logprobs: Unrecognized request argument supplied: prompt_logprobs" "openai: prompt_logprobs refused"
post "$O/v1/completions" '{"model":"pk-lm","prompt":"The jury said","max_tokens":1,"logprobs":6}'
expect_eq "$code $(jq -r '.error.param' resp.json)" "400 logprobs" "openai: logprobs over 5 refused"
post "$O/v1/completions" "$(jq -n --arg p "$PREFIX" '{model:"pk-lm", prompt:$p, max_tokens:50, temperature:0, logprobs:2}')"
expect_eq "$code $(jq -r '.choices[0].text == $w' --arg w "$want" resp.json)" "200 true" "openai: generation works (and reproduces the member)"
expect_eq "$(jq -c '.choices[0] | [(.logprobs.tokens | length), (.logprobs.token_logprobs | map(. <= 0) | all), has("prompt_logprobs")]' resp.json)" \
  "[50,true,false]" "openai: generated-token logprobs, no prompt_logprobs field"
post "$O/v1/completions" '{"model":"pk-lm","prompt":"The jury said","max_tokens":3,"echo":true}'
expect_eq "$code $(jq -r '.choices[0].text | startswith("The jury said")' resp.json)" "200 true" "openai: echo without logprobs is fine"

# ---- --fail-every ---------------------------------------------------------------------
start_lm flaky --fail-every 3
F=http://127.0.0.1:$PORT
codes=""
for i in 1 2 3 4 5 6 7 8 9; do
  post "$F/v1/completions" '{"prompt":"The jury","max_tokens":1}'
  codes="$codes$code "
  if [ "$code" = 429 ]; then retry=$(grep -i '^Retry-After:' headers.txt | tr -d '\r'); fi
done
expect_eq "$codes" "200 200 429 200 200 503 200 200 429 " "--fail-every 3: every third POST fails, 429 and 503 in turn"
expect_eq "$retry" "Retry-After: 0" "429 carries Retry-After: 0"
expect_eq "$(get "$F/stats" | jq -c '[.requests, .completions]')" "[9,6]" "/stats: nine requests, six completions"
finish
