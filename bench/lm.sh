#!/usr/bin/env bash
# lm.sh -- figures for pk-lm, the test language model (tests/lm/): the
# probe fixture's training time and model size, the server's requests per
# second for a 64-token prompt with prompt_logprobs (wrk, DURATION seconds,
# 2 connections: the server has 2 threads), with and without pk_full_stats
# (mu and sigma cost a log per vocabulary entry per token), and greedy
# extraction rates (50-token prefix -> exact next 50 tokens, Carlini et
# al.'s "extractable") for members seen 8 times (the two screenplays),
# members seen once (Brown) and non-members (Brown, the other sample works).
#
#   bench/lm.sh                 # about a minute
#   DURATION=5 PLACES=2 bench/lm.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
B=${BUILD:-$ROOT/build-lm}
DURATION=${DURATION:-10}
PLACES=${PLACES:-5}   # random places per Brown text (screenplays: 4x as many)
W=$(mktemp -d "${TMPDIR:-/tmp}/pk-lm-bench.XXXXXX")
trap 'kill $SRV 2>/dev/null || true; rm -rf "$W"' EXIT
cmake --build "$B" -j2 --target picket pk-lm >/dev/null
PICKET=$B/picket PK_LM=$B/pk-lm "$ROOT/tests/lm/make-fixture.sh" "$W/fx" 2>/dev/null | sed 's/^/fixture: /'
echo "fixture: model.bin $(wc -c <"$W/fx/model.bin") bytes (zstd), order $(jq .order "$W/fx/fixture.json")"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$B/pk-lm" serve --model "$W/fx/model.bin" --port "$PORT" --ready-file "$W/ready" &
SRV=$!
while [ ! -s "$W/ready" ]; do sleep 0.05; done
URL=http://127.0.0.1:$PORT

# A 64-token prompt from a non-member Brown text.
P=$(curl -s "$URL/v1/completions" -d "$(jq -n --rawfile p "$(head -1 "$W/fx/nonmembers.lst")" '{prompt:$p, max_tokens:0, echo:true, logprobs:0}')" |
  jq -r '.choices[0].logprobs.tokens[100:164] | join("")')
for stats in false true; do
  jq -n --arg p "$P" --argjson s $stats '{prompt:$p, max_tokens:1, prompt_logprobs:5, pk_full_stats:$s}' >"$W/body.json"
  n=$(curl -s "$URL/v1/completions" --data-binary @"$W/body.json" | jq '.usage.prompt_tokens')
  cat >"$W/post.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$W/body.json"); wrk.body = f:read("*a"); f:close()
EOF
  rps=$(wrk -t2 -c2 -d"${DURATION}s" -s "$W/post.lua" "$URL/v1/completions" | awk '/Requests\/sec/ {print $2}')
  echo "serve: $n-token prompt, prompt_logprobs 5, pk_full_stats $stats: $rps requests/s (wrk -t2 -c2, ${DURATION} s)"
done

python3 - "$PORT" "$W/fx" "$PLACES" <<'PY'
import json, random, sys, urllib.request
port, fx, places = sys.argv[1], sys.argv[2], int(sys.argv[3])
fix = json.load(open(fx + "/fixture.json"))
def post(body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/completions", json.dumps(body).encode())
    return json.load(urllib.request.urlopen(req))
rng = random.Random(7)
def rate(files, n):
    ok = tot = 0
    for f in files:
        text = open(f).read()[:20000]
        toks = post({"prompt": text, "max_tokens": 0, "echo": True, "logprobs": 0})["choices"][0]["logprobs"]["tokens"]
        for _ in range(n):
            if len(toks) < 120:
                break
            s = rng.randrange(0, len(toks) - 100)
            got = post({"prompt": "".join(toks[s:s + 50]), "max_tokens": 50, "temperature": 0})["choices"][0]["text"]
            ok += got == "".join(toks[s + 50:s + 100])
            tot += 1
    return ok, tot
rows = [("members seen 8 times (screenplays)", [w["text"] for w in fix["repeated_works"]], places * 4),
        ("members seen once (Brown, 60 files)", [m["text"] for m in fix["members"][::3][:60]], places),
        ("non-members (Brown, 60 files)", [m["text"] for m in fix["nonmembers"][::5][:60]], places),
        ("non-member works (sample works)", [w["text"] for w in fix["nonmember_works"]], places * 4)]
for name, files, n in rows:
    ok, tot = rate(files, n)
    print(f"extraction: {name}: {ok}/{tot} = {100.0 * ok / max(tot, 1):.1f}% extractable")
PY
