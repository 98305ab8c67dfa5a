#!/usr/bin/env bash
# t21-probe-server.sh -- picket probe against a server that misbehaves: a
# small Python proxy in front of pk-lm (tests/lm/) that logs the
# Authorization header of every request, and on demand answers one
# generation with a 200 whose body is not JSON, or puts terminal control
# bytes (ESC) into the generated text.  Checks (review findings P2b, P4,
# P5):
#   * $OPENAI_API_KEY is not sent to an endpoint other than api.openai.com;
#     a key named by --api-key-env is sent to a loopback http:// server;
#   * a key is never sent in clear text to a host that is not loopback:
#     exit 2 and an error naming the endpoint, before any request;
#   * a 200 with a body that does not parse is not cached: the first run
#     fails (exit 2, the parse error), the second run with the same cache
#     asks again and succeeds;
#   * ESC and other control bytes from the server are printed escaped
#     (\x1b), never raw, in the summary.
source "$(dirname "$0")/lib.sh"
: "${PK_LM:?PK_LM must point at the pk-lm binary}"
[ -x "$PK_LM" ] || { echo "FAIL: pk-lm not built at $PK_LM" >&2; exit 1; }
PIDS=""
trap 'kill $PIDS 2>/dev/null; wait $PIDS 2>/dev/null || true; rm -rf "$T"' EXIT

mkdir docs
for f in $(cd "$BROWN" && ls | grep -E '^ca0[1-8]$'); do brown "$f" > "docs/$f.txt"; done
"$PK_LM" train --order 5 --out model.bin --repeat 8 docs/ca0[1-8].txt >/dev/null 2>"$T/train.log" \
  || { cat "$T/train.log" >&2; echo "FAIL: pk-lm train" >&2; exit 1; }
"$PK_LM" serve --model model.bin --port 0 --api vllm --model-name pk-test --ready-file "$T/ready-lm" 2>"$T/lm.log" &
PIDS="$PIDS $!"
for _ in $(seq 300); do [ -s "$T/ready-lm" ] && break; sleep 0.05; done
[ -s "$T/ready-lm" ] || { cat "$T/lm.log" >&2; echo "FAIL: pk-lm serve not ready" >&2; exit 1; }
UP=http://127.0.0.1:$(tr -dc 0-9 <"$T/ready-lm")

# the proxy: MODE file "garbage-once" (the next generation, max_tokens > 1,
# answered 200 "this is not JSON {", then the mode is cleared) or "esc"
# (every generated text prefixed with ESC [2J and a BEL); every request's
# Authorization header (or "-") appended to AUTH, generations counted in GEN
cat > proxy.py <<'PY'
import http.server, json, os, sys, urllib.request
up, d = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def relay(self, body):
        with open(os.path.join(d, "AUTH"), "a") as f:
            f.write((self.headers.get("Authorization") or "-") + "\n")
        gen = False
        if body is not None:
            try: gen = json.loads(body).get("max_tokens", 0) > 1
            except Exception: pass
        if gen:
            with open(os.path.join(d, "GEN"), "a") as f: f.write("x\n")
        mode = open(os.path.join(d, "MODE")).read().strip() if os.path.exists(os.path.join(d, "MODE")) else ""
        if gen and mode == "garbage-once":
            os.remove(os.path.join(d, "MODE"))
            return self.send(200, b"this is not JSON {")
        req = urllib.request.Request(up + self.path, data=body, method=self.command,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req) as r: st, out = r.status, r.read()
        except urllib.error.HTTPError as e: st, out = e.code, e.read()
        if gen and mode == "esc" and st == 200:
            j = json.loads(out)
            for c in j.get("choices", []):
                if isinstance(c.get("text"), str): c["text"] = "\x1b[2J\x07" + c["text"]
            out = json.dumps(j).encode()
        self.send(st, out)
    def send(self, st, out):
        self.send_response(st)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    def do_GET(self): self.relay(None)
    def do_POST(self): self.relay(self.rfile.read(int(self.headers.get("Content-Length", 0))))
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(os.path.join(d, "ready-proxy.tmp"), "w").write(str(s.server_address[1]))
os.rename(os.path.join(d, "ready-proxy.tmp"), os.path.join(d, "ready-proxy"))
s.serve_forever()
PY
python3 proxy.py "$UP" "$T" 2>"$T/proxy.log" &
PIDS="$PIDS $!"
for _ in $(seq 300); do [ -s "$T/ready-proxy" ] && break; sleep 0.05; done
[ -s "$T/ready-proxy" ] || { cat "$T/proxy.log" >&2; echo "FAIL: proxy not ready" >&2; exit 1; }
URL=http://127.0.0.1:$(cat "$T/ready-proxy")
P=(probe --endpoint "$URL" --samples 4 --no-canaries)

# ---- the API key (P2b) -----------------------------------------------------------
rm -f "$T/AUTH"
OPENAI_API_KEY=sk-test-default-key run "${P[@]}" --no-cache docs/ca01.txt
expect_match "$rc" '^[01]$' "probe with OPENAI_API_KEY set runs"
expect_eq "$(grep -c Bearer "$T/AUTH")" 0 "OPENAI_API_KEY is not sent to a server other than api.openai.com"
expect_eq "$(grep -vc '^-$' "$T/AUTH")" 0 "no Authorization header at all"
rm -f "$T/AUTH"
MY_KEY=sk-test-explicit-key run "${P[@]}" --no-cache --api-key-env MY_KEY docs/ca01.txt
expect_match "$rc" '^[01]$' "probe with --api-key-env runs"
expect_eq "$(sort -u "$T/AUTH")" "Bearer sk-test-explicit-key" "the key named by --api-key-env goes to a loopback http:// server"
MY_KEY=sk-test-explicit-key run probe --endpoint http://192.0.2.1:9/v1 --api-key-env MY_KEY --no-cache docs/ca01.txt
expect_eq "$rc" 2 "a key is not sent over http:// to a host that is not loopback"
expect_match "$errs" 'refusing to send the API key in clear text to http://192\.0\.2\.1:9/v1' "the error names the endpoint"
OPENAI_API_KEY=sk-test-default-key run probe --endpoint http://api.openai.com --no-cache docs/ca01.txt
expect_eq "$rc" 2 "OPENAI_API_KEY is not sent to api.openai.com over http:// either"
expect_match "$errs" 'refusing to send the API key in clear text to http://api\.openai\.com' "and says so"

# ---- a 200 that does not parse is not cached (P4) --------------------------------
echo garbage-once > "$T/MODE"
run "${P[@]}" --cache "$T/c.db" docs/ca02.txt
expect_eq "$rc" 2 "a 200 answer that is not JSON is an error"
expect_match "$errs" 'v1/completions' "the error names the request"
[ ! -e "$T/MODE" ] && ok "the proxy did send the bad answer" || fail "the proxy sent no bad answer"
rm -f "$T/GEN"
run "${P[@]}" --cache "$T/c.db" docs/ca02.txt
expect_match "$rc" '^[01]$' "the second run with the same cache succeeds: the bad answer was not kept"
[ -s "$T/GEN" ] && ok "the second run asked the server again" || fail "the second run asked nothing"
rm -f "$T/GEN"
run "${P[@]}" --cache "$T/c.db" docs/ca02.txt
expect_match "$rc" '^[01]$' "a third run succeeds"
[ ! -s "$T/GEN" ] && ok "and is answered from the cache: good answers are kept" || fail "good answers were not kept"

# ---- control bytes from the server are escaped (P5) ------------------------------
echo esc > "$T/MODE"
run "${P[@]}" --no-cache docs/ca01.txt
expect_match "$rc" '^[01]$' "probe through the ESC-injecting proxy runs"
expect_match "$out" 'generated: \\x1b\[2J\\x07' "the generated text is printed with ESC and BEL escaped"
if printf '%s%s' "$out" "$errs" | LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]'; then
  fail "a raw control byte reached the output"
else
  ok "no raw control byte in the output"
fi
finish
