#!/usr/bin/env bash
# t22-guard.sh -- `picket guard` between a real client (curl) and real
# upstreams on loopback: nginx serving canned OpenAI and Anthropic
# responses (guard A, block mode), and a python3 server that echoes the
# request it got and streams server-sent events (guard B, redact mode,
# with an upstream key), and nginx over TLS with a self-signed certificate
# (guard C, upstream_ca, fail_open).  Checks: allowed prompts pass and the response
# arrives byte for byte as the upstream sent it; a registered passage is
# refused with 403 and the API's exact error body, also re-wrapped and
# re-cased, in list-form content, in a tool result, in an Anthropic system
# block and tool result, split across two messages, in a Responses input,
# an embeddings input and a legacy prompt; token-id prompts 400; redact
# mode forwards the passage replaced (the echo shows it) with the upstream
# key and without the client token; SSE arrives in order and the first
# event reaches the client before the upstream sends the last; 413, 400,
# 401 (missing, unknown, revoked token), 404; base64 PDF documents (read,
# refused; not redactable); check_responses on a whole response and on an
# SSE stream (stopped with an error event before any word of the passage
# gets out); a work registered while the guard runs is refused a moment
# later without a restart; the registry gone: 503 (fail_open: passed and
# logged), and back; the audit chain verifies, holds no prompt text and
# no token, and an updated or deleted entry is named by `log --verify`.
source "$(dirname "$0")/lib.sh"
unset http_proxy https_proxy all_proxy HTTPS_PROXY ALL_PROXY

NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; }
if [ -z "$NGINX" ]; then
  echo "SKIP: nginx is not installed (./setup.sh installs it); guard test not run"
  exit 0
fi
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 is not installed; guard test not run"; exit 0; }

# ---- the registry ------------------------------------------------------------------
brown ca01 > ca01.txt
brown cb01 > cb01.txt # never registered: the allowed prompts
brown cc01 > cc01.txt # registered while the guard runs
"$PICKET" register --title "Brown A01" ca01.txt > /dev/null
"$PICKET" register "$PK_SRC"/sample/works/* > /dev/null

# Passages of N words from a text, starting at word S (python: exact words).
words() { # file start count
  python3 -c 'import re,sys; w=re.findall(r"\S+", open(sys.argv[1]).read()); s=int(sys.argv[2]); print(" ".join(w[s:s+int(sys.argv[3])]))' "$@"
}
PASS=$(words ca01.txt 200 40)         # 40 words of a registered work
CLEAN=$(words cb01.txt 100 120)       # text of no registered work
# Re-wrapped (a newline every 6 words) and re-cased.
WRAPPED=$(python3 -c 'import sys; w=sys.argv[1].upper().split(); print("\n".join(" ".join(w[i:i+6]) for i in range(0,len(w),6)))' "$PASS")

# JSON bodies, built with python's json module.
j() { python3 -c "import json,sys; a=sys.argv[1:]; print(json.dumps($1))" "${@:2}"; }

# ---- upstreams ---------------------------------------------------------------------
NG=$T/ng
mkdir -p "$NG"
NGPORT=$(free_port)
TLSPORT=$(free_port)
# A TLS upstream too: a self-signed certificate for 127.0.0.1, given to
# the guard as upstream_ca.
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 2 \
  -keyout "$NG/key.pem" -out "$NG/cert.pem" 2>/dev/null
# A completion that quotes a registered work (nginx's quoting: no ' or $).
LEAK=$(words "$PK_SRC/sample/works/salt-and-static.txt" 60 40 | tr -d "'\$;{}\\\\\"")
CHAT_RESP='{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Canned answer."},"finish_reason":"stop"}]}'
MSG_RESP='{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"Canned reply."}],"stop_reason":"end_turn"}'
LOCS="
    location = /v1/chat/completions { default_type application/json; return 200 '$CHAT_RESP'; }
    location = /v1/messages { default_type application/json; return 200 '$MSG_RESP'; }
    location = /v1/embeddings { default_type application/json; return 200 '{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.1,0.2]}]}'; }
    location = /v1/responses { default_type application/json; return 200 '{\"id\":\"resp_1\",\"object\":\"response\",\"output\":[]}'; }
    location = /v1/completions { default_type application/json; return 200 '{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"choices\":[{\"text\":\"$LEAK\"}]}'; }
    location = /v1/models { default_type application/json; return 200 '{\"object\":\"list\",\"data\":[{\"id\":\"m1\",\"object\":\"model\"}]}'; }"
{
  nginx_preamble "$NG"
  cat <<EOF
  server {
    listen 127.0.0.1:$NGPORT;
$LOCS
  }
  server {
    listen 127.0.0.1:$TLSPORT ssl;
    ssl_certificate $NG/cert.pem;
    ssl_certificate_key $NG/key.pem;
$LOCS
  }
}
EOF
} > "$NG/nginx.conf"
start_nginx "$NG" "$NGPORT"

# The python upstream: echoes what it got as JSON; "stream": true answers
# with server-sent events: the first at once, the last only after the
# client has seen the first (it creates $T/gate) or 30 s, saying which.
PYPORT=$(free_port)
cat > up.py <<'PY'
import http.server, json, os, sys, time
gate = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self): self.echo(b"")
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        self.echo(self.rfile.read(n))
    def echo(self, body):
        try: req = json.loads(body) if body else {}
        except ValueError: req = {}
        model = req.get("model") if isinstance(req, dict) else None
        if model == "gzip" or model == "text":
            # A compressed body, or one that is not JSON: the guard cannot
            # check either (check_responses refuses them).
            import gzip
            out = b"plain text, not JSON" if model == "text" else gzip.compress(b'{"ok":true}')
            self.send_response(200)
            self.send_header("Content-Type", "text/plain" if model == "text" else "application/json")
            if model == "gzip": self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
            return
        if isinstance(req, dict) and req.get("stream") and model in ("leak", "leak-crlf", "leak-think"):
            nl = "\r\n" if model == "leak-crlf" else "\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            words = ("Here is the text you asked for: " + open(sys.argv[3]).read()).split()
            try:
                anth = self.path.startswith("/v1/messages")
                for w in words:
                    if anth:
                        ev = ("event: content_block_delta" + nl + "data: %s" + nl + nl) % json.dumps(
                            {"type": "content_block_delta", "index": 0, "delta":
                             {"type": "thinking_delta", "thinking": " " + w} if model == "leak-think"
                             else {"type": "text_delta", "text": " " + w}})
                    else:
                        ev = ("data: %s" + nl + nl) % json.dumps({"choices": [{"index": 0, "delta": {"content": " " + w}}]})
                    self.wfile.write(ev.encode())
                    self.wfile.flush()
                self.wfile.write(b"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n" if anth else b"data: [DONE]\n\n")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
            return
        if isinstance(req, dict) and req.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            for i in range(5):
                if i == 4:
                    for _ in range(300):
                        if os.path.exists(gate): break
                        time.sleep(0.1)
                    state = "open" if os.path.exists(gate) else "timeout"
                    self.wfile.write(('data: {"seq":%d,"gate":"%s"}\n\n' % (i, state)).encode())
                else:
                    self.wfile.write(('data: {"seq":%d}\n\n' % i).encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True
            return
        h = {k.lower(): v for k, v in self.headers.items()}
        out = json.dumps({"path": self.path, "body": body.decode(), "authorization": h.get("authorization"),
                          "x-api-key": h.get("x-api-key"), "anthropic-version": h.get("anthropic-version"),
                          "accept-encoding": h.get("accept-encoding")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
words "$PK_SRC/sample/works/salt-and-static.txt" 200 40 > leak.txt
python3 up.py "$PYPORT" "$T/gate" leak.txt &
EXTRA_PIDS="$!"
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PYPORT/" && break; sleep 0.1; done

# ---- the guards --------------------------------------------------------------------
run guard token add alice
expect_eq "$rc" 0 "token add"
TOK=$out
expect_match "$TOK" '^pkg_[A-Za-z0-9_-]{43}$' "a token is pkg_ and 32 random bytes in base64url"
run guard token add bob
BOB=$out
run guard token add alice
expect_eq "$rc" 2 "a second live token for one name is refused"
expect_match "$errs" "a token named 'alice' exists" "and says why"

cat > a.conf <<EOF
# guard A: block mode in front of nginx
min_words = 25
max_body = 64K
check_responses = true
message = "This request contains text from \"%t\", a registered work that may not be sent to AI services."
EOF
run guard --check-config a.conf
expect_eq "$rc" 0 "check-config: a good file"
printf 'mode = block\nmax_bdy = 3\n' > bad.conf
run guard --check-config bad.conf
expect_eq "$rc" 2 "check-config: an unknown key"
expect_eq "$errs" "picket: bad.conf:2: unknown key 'max_bdy'" "names the file and the line"

APORT=$(free_port)
BPORT=$(free_port)
"$PICKET" guard --config a.conf --listen "127.0.0.1:$APORT" --upstream "http://127.0.0.1:$NGPORT" 2> a.log &
EXTRA_PIDS="$EXTRA_PIDS $!"
export PK_UPSTREAM_KEY=sk-upstream-secret
printf 'mode = redact\nupstream_key_env = PK_UPSTREAM_KEY\ncheck_responses = true\n' > b.conf
"$PICKET" guard serve --config b.conf --listen "127.0.0.1:$BPORT" --upstream "http://127.0.0.1:$PYPORT/v1" 2> b.log &
EXTRA_PIDS="$EXTRA_PIDS $!"
CPORT=$(free_port)
printf 'upstream_ca = %s\nfail_open = true\n' "$NG/cert.pem" > c.conf
"$PICKET" guard --config c.conf --listen "127.0.0.1:$CPORT" --upstream "https://127.0.0.1:$TLSPORT" 2> c.log &
EXTRA_PIDS="$EXTRA_PIDS $!"
ready() { for _ in $(seq 300); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/healthz")" = 200 ] && return 0; sleep 0.1; done; cat a.log b.log >&2; return 1; }
ready "$APORT" || { fail "guard A did not start"; finish; }
ready "$BPORT" || { fail "guard B did not start"; finish; }
ready "$CPORT" || { fail "guard C did not start"; finish; }
C=http://127.0.0.1:$CPORT

A=http://127.0.0.1:$APORT
B=http://127.0.0.1:$BPORT
post() { # base path body-file [token] -> $code, body in resp
  code=$(curl -s -o resp -w '%{http_code}' -H 'Content-Type: application/json' ${4:+-H "Authorization: Bearer $4"} \
    --data-binary @"$3" "$1$2")
}
refusal='{"error":{"message":"This request contains text from \"Brown A01\", a registered work that may not be sent to AI services.","type":"invalid_request_error","param":null,"code":"picket_registered_work"}}'
arefusal='{"type":"error","error":{"type":"permission_error","message":"This request contains text from \"Brown A01\", a registered work that may not be sent to AI services."}}'

# ---- allowed, byte for byte ---------------------------------------------------------
j '{"model":"m","messages":[{"role":"user","content":"Summarise: "+a[0]}]}' "$CLEAN" > clean.json
post "$A" /v1/chat/completions clean.json "$TOK"
expect_eq "$code" 200 "an unregistered prompt passes"
curl -s -o direct --data-binary @clean.json "http://127.0.0.1:$NGPORT/v1/chat/completions"
cmp -s resp direct && ok "the response is the upstream's, byte for byte" || fail "the response differs from the upstream's"
curl -s -o resp -H "Authorization: Bearer $TOK" "$A/v1/models"
curl -s -o direct "http://127.0.0.1:$NGPORT/v1/models"
cmp -s resp direct && ok "GET /v1/models passes through" || fail "GET /v1/models differs"
j '{"model":"m","max_tokens":10,"messages":[{"role":"user","content":a[0]}]}' "$CLEAN" > aclean.json
code=$(curl -s -o resp -w '%{http_code}' -H "x-api-key: $TOK" -H 'anthropic-version: 2023-06-01' --data-binary @aclean.json "$A/v1/messages")
curl -s -o direct --data-binary @aclean.json "http://127.0.0.1:$NGPORT/v1/messages"
expect_eq "$code" 200 "Anthropic: an unregistered prompt passes (x-api-key token)"
cmp -s resp direct && ok "Anthropic: byte for byte" || fail "Anthropic response differs"
post "$C" /v1/chat/completions clean.json "$TOK"
expect_eq "$code" 200 "TLS upstream (upstream_ca): allowed"
curl -s -o direct --cacert "$NG/cert.pem" --data-binary @clean.json "https://127.0.0.1:$TLSPORT/v1/chat/completions"
cmp -s resp direct && ok "TLS upstream: byte for byte" || fail "TLS upstream: the response differs"
j '{"model":"m","messages":[{"role":"user","content":a[0]}]}' "$PASS" > p.json
post "$C" /v1/chat/completions p.json "$TOK"
expect_eq "$code" 403 "TLS upstream: a registered passage is refused"
ct=$(curl -s -o /dev/null -w '%{content_type}' -H "Authorization: Bearer $TOK" --data-binary @clean.json "$A/v1/chat/completions")
expect_eq "$ct" "application/json" "the upstream's Content-Type is forwarded"

# ---- refused -------------------------------------------------------------------------
j '{"model":"m","messages":[{"role":"user","content":"Summarise: "+a[0]}]}' "$PASS" > p.json
post "$A" /v1/chat/completions p.json "$TOK"
expect_eq "$code" 403 "a registered passage is refused"
expect_eq "$(cat resp)" "$refusal" "with OpenAI's error body naming the work"
j '{"model":"m","messages":[{"role":"user","content":"Summarise:\n"+a[0]}]}' "$WRAPPED" > p.json
post "$A" /v1/chat/completions p.json "$TOK"
expect_eq "$code $(cat resp)" "403 $refusal" "re-wrapped and upper-cased: refused"
j '{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"Look:"},{"type":"text","text":a[0]}]}]}' "$PASS" > p.json
post "$A" /v1/chat/completions p.json "$TOK"
expect_eq "$code" 403 "list-form content: refused"
j '{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"get","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":a[0]}]}' "$PASS" > p.json
post "$A" /v1/chat/completions p.json "$TOK"
expect_eq "$code" 403 "a tool result: refused"
j '{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"save","arguments":json.dumps({"note":a[0]})}}]}]}' "$PASS" > p.json
post "$A" /v1/chat/completions p.json "$TOK"
expect_eq "$code" 403 "tool call arguments (JSON in a string): refused"
# Split: 20 words in one message, 20 in the next; neither reaches 25 alone.
H1=$(words ca01.txt 200 20); H2=$(words ca01.txt 220 20)
j '{"model":"m","messages":[{"role":"user","content":a[0]}]}' "$H1" > p.json
post "$A" /v1/chat/completions p.json "$TOK"
expect_eq "$code" 200 "20 words alone pass (under min_words)"
j '{"model":"m","messages":[{"role":"user","content":a[0]},{"role":"user","content":a[1]}]}' "$H1" "$H2" > p.json
post "$A" /v1/chat/completions p.json "$TOK"
expect_eq "$code" 403 "a passage split across two messages: refused"
j '{"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":a[0]}]}]}' "$PASS" > p.json
post "$A" /v1/responses p.json "$TOK"
expect_eq "$code" 403 "Responses input: refused"
j '{"model":"m","input":["fine",a[0]]}' "$PASS" > p.json
post "$A" /v1/embeddings p.json "$TOK"
expect_eq "$code" 403 "embeddings input array: refused"
j '{"model":"m","prompt":a[0]}' "$PASS" > p.json
post "$A" /v1/completions p.json "$TOK"
expect_eq "$code" 403 "legacy completions prompt: refused"
echo '{"model":"m","prompt":[[1,2,3]]}' > p.json
post "$A" /v1/completions p.json "$TOK"
expect_eq "$code" 400 "a prompt of token ids cannot be checked: 400"
expect_match "$(cat resp)" '"code":"picket_uncheckable"' "with its own code"
# Anthropic: system block, tool result.
j '{"model":"m","max_tokens":5,"system":[{"type":"text","text":a[0]}],"messages":[{"role":"user","content":"hi"}]}' "$PASS" > p.json
code=$(curl -s -o resp -w '%{http_code}' -H "x-api-key: $TOK" -H 'anthropic-version: 2023-06-01' --data-binary @p.json "$A/v1/messages")
expect_eq "$code $(cat resp)" "403 $arefusal" "Anthropic system block: refused in Anthropic's format"
j '{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":a[0]}]}]}]}' "$WRAPPED" > p.json
code=$(curl -s -o resp -w '%{http_code}' -H "x-api-key: $TOK" --data-binary @p.json "$A/v1/messages")
expect_eq "$code $(cat resp)" "403 $arefusal" "Anthropic tool_result, re-wrapped: refused"
# Fields the typed walk does not list are checked too (the catch-all walk).
j '{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","description":a[0],"parameters":{"type":"object"}}}]}' "$PASS" > p.json
post "$A" /v1/chat/completions p.json "$TOK"
expect_eq "$code $(cat resp)" "403 $refusal" "a chat tool description: refused"
j '{"model":"m","messages":[{"role":"user","content":"hi"}],"prediction":{"type":"content","content":a[0]}}' "$PASS" > p.json
post "$A" /v1/chat/completions p.json "$TOK"
expect_eq "$code" 403 "chat prediction.content: refused"
j '{"model":"m","max_tokens":5,"tools":[{"name":"t","description":a[0],"input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"hi"}]}' "$PASS" > p.json
code=$(curl -s -o resp -w '%{http_code}' -H "x-api-key: $TOK" --data-binary @p.json "$A/v1/messages")
expect_eq "$code $(cat resp)" "403 $arefusal" "an Anthropic tool description: refused"
j '{"model":"m","input":[{"type":"reasoning","id":"r","summary":[{"type":"summary_text","text":a[0]}]}]}' "$PASS" > p.json
post "$A" /v1/responses p.json "$TOK"
expect_eq "$code" 403 "a Responses reasoning summary: refused"
j '{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"n","input":{a[0]:1}}]}]}' "$PASS" > p.json
code=$(curl -s -o resp -w '%{http_code}' -H "x-api-key: $TOK" --data-binary @p.json "$A/v1/messages")
expect_eq "$code" 403 "an object key in tool_use.input: refused"
# A tool result that is a JSON document (json.dumps), the passage wrapped
# by newlines: its "\n" escapes do not glue the words together.
j '{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"tool","tool_call_id":"c","content":json.dumps({"doc":"\n"+a[0]+"\n"})}]}' "$WRAPPED" > p.json
post "$A" /v1/chat/completions p.json "$TOK"
expect_eq "$code $(cat resp)" "403 $refusal" "a JSON-encoded tool result: refused"
j '{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":json.dumps({"doc":"\n"+a[0]+"\n"})}]}]}' "$WRAPPED" > p.json
code=$(curl -s -o resp -w '%{http_code}' -H "x-api-key: $TOK" --data-binary @p.json "$A/v1/messages")
expect_eq "$code" 403 "a JSON-encoded Anthropic tool_result: refused"
# Base64 files: Latin-1 text read (lossy), a DOCX-like binary refused,
# a document by URL refused.
python3 - "$PASS" <<'PY'
import base64, json, sys
lat = base64.b64encode(("Caf\u00e9 notes: " + sys.argv[1]).encode("latin-1")).decode()
json.dump({"model": "m", "messages": [{"role": "user", "content": [
    {"type": "file", "file": {"filename": "n.txt", "file_data": "data:text/plain;base64," + lat}}]}]}, open("lat.json", "w"))
z = base64.b64encode(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00word/document.xml" + sys.argv[1].encode()).decode()
json.dump({"model": "m", "messages": [{"role": "user", "content": [
    {"type": "file", "file": {"filename": "n.docx", "file_data": z}}]}]}, open("docx.json", "w"))
json.dump({"model": "m", "input": [{"role": "user", "content": [
    {"type": "input_file", "file_url": "https://example.invalid/a.pdf"}]}]}, open("url.json", "w"))
PY
post "$A" /v1/chat/completions lat.json "$TOK"
expect_eq "$code $(cat resp)" "403 $refusal" "a Latin-1 text file (not UTF-8): read and refused"
post "$A" /v1/chat/completions docx.json "$TOK"
expect_eq "$code $(cat resp)" '400 {"error":{"message":"/messages/0/content/0/file/file_data: a file the guard cannot read (not PDF or text) is refused (binary = refuse); send its text","type":"invalid_request_error","param":null,"code":"picket_uncheckable"}}' \
  "a binary file the guard cannot read: 400 saying why (binary = refuse)"
post "$A" /v1/responses url.json "$TOK"
expect_eq "$code" 400 "a document by URL: 400 (remote_documents = refuse)"
expect_match "$(cat resp)" '"message":"/input/0/content/0/file_url: a document given by URL cannot be checked' "saying why"

# ---- limits and malformed input -----------------------------------------------------
python3 -c 'import json; print(json.dumps({"model":"m","messages":[{"role":"user","content":"word "*20000}]}))' > big.json
post "$A" /v1/chat/completions big.json "$TOK"
expect_eq "$code" 413 "a body over max_body (64K): 413"
expect_match "$(cat resp)" '^\{"error":\{"message":"the request body is over the guard.s limit of 65536 bytes","type":"invalid_request_error","param":null,"code":"request_too_large"\}\}$' "in OpenAI's format"
echo '{"model":"m","messages":[{"role":"user","content":"x"}' > bad.json
post "$A" /v1/chat/completions bad.json "$TOK"
expect_eq "$code" 400 "malformed JSON: 400"
expect_match "$(cat resp)" '"message":"malformed JSON at byte [0-9]+: ' "naming the byte offset"
post "$A" /v1/chat/completions clean.json
expect_eq "$code" 401 "no token: 401"
post "$A" /v1/chat/completions big.json
expect_eq "$code" 401 "no token and a body over max_body: 401 (the token is checked before the body)"
expect_match "$(cat resp)" '"code":"invalid_api_key"' "in OpenAI's format"
post "$A" /v1/chat/completions clean.json pkg_not-a-real-token
expect_eq "$code" 401 "an unknown token: 401"
code=$(curl -s -o resp -w '%{http_code}' --data-binary @aclean.json "$A/v1/messages")
expect_eq "$code" 401 "Anthropic without a token: 401"
expect_match "$(cat resp)" '^\{"type":"error","error":\{"type":"authentication_error",' "in Anthropic's format"
post "$A" /v1/nothing clean.json "$TOK"
expect_eq "$code" 404 "an unknown path: 404"
post "$A" /v1/chat/completions clean.json "$BOB"
expect_eq "$code" 200 "bob's token works"
run guard token revoke bob
expect_eq "$rc" 0 "token revoke"
for _ in $(seq 300); do post "$A" /v1/chat/completions clean.json "$BOB"; [ "$code" = 401 ] && break; sleep 0.1; done
expect_eq "$code" 401 "a revoked token is refused (without a restart)"
run guard token list
expect_match "$out" '^bob +created [0-9T:.-]+Z  revoked [0-9T:.-]+Z$' "token list shows the revocation"

# ---- redact mode, upstream key, streaming (guard B) ---------------------------------
python3 - "$PASS" <<'PY'
import json, sys
p = sys.argv[1]
json.dump({"model": "m", "messages": [{"role": "user", "content": "Please summarise this: " + p + " Thanks."},
                                      {"role": "user", "content": "And this is fine."}]}, open("r.json", "w"))
PY
post "$B" /v1/chat/completions r.json "$TOK"
expect_eq "$code" 200 "redact mode forwards"
python3 - "$PASS" <<'PY' > redact.out
import json, sys
e = json.load(open("resp"))
b = json.loads(e["body"])
print(b["messages"][0]["content"])
print(b["messages"][1]["content"])
print(e["authorization"])
PY
expect_eq "$(sed -n 1p redact.out)" "Please summarise this: [redacted: registered work] Thanks." "the passage is replaced in its string"
expect_eq "$(sed -n 2p redact.out)" "And this is fine." "other strings untouched"
expect_eq "$(sed -n 3p redact.out)" "Bearer sk-upstream-secret" "the upstream gets the guard's key, not the client token"
code=$(curl -s -o resp -w '%{http_code}' -H "x-api-key: $TOK" -H 'anthropic-version: 2023-06-01' --data-binary @aclean.json "$B/v1/messages")
expect_eq "$(python3 -c 'import json; e=json.load(open("resp")); print(e["x-api-key"], e["anthropic-version"], e["authorization"])')" \
  "sk-upstream-secret 2023-06-01 None" "Anthropic: x-api-key is the upstream key, anthropic-version passes"
# Streaming: read events as they come; the gate opens at the first one.
j '{"model":"m","stream":True,"messages":[{"role":"user","content":a[0]}]}' "$CLEAN" > s.json
curl -sN -H "Authorization: Bearer $TOK" --data-binary @s.json "$B/v1/chat/completions" | while IFS= read -r line; do
  case $line in data:*) touch "$T/gate"; echo "$line" >> events ;; esac
done
expect_eq "$(tr '\n' ' ' < events)" 'data: {"seq":0} data: {"seq":1} data: {"seq":2} data: {"seq":3} data: {"seq":4,"gate":"open"} data: [DONE] ' \
  "SSE events arrive in order, the first before the upstream sent the last"

# A PDF sent as a base64 document: read with picket's PDF reader.  Guard B
# redacts, but a passage inside a document cannot be redacted: refused.
AW=$PK_DEPS/node_modules/.bin/afterwriting
if [ -x "$AW" ] && "$AW" --source "$PK_SRC/sample/works/the-crossing.fountain" --pdf "$T/crossing.pdf" --overwrite \
  </dev/null >aw.log 2>&1; then
  python3 - <<'PY'
import base64, json
b = base64.b64encode(open("crossing.pdf", "rb").read()).decode()
json.dump({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": [
    {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": b}},
    {"type": "text", "text": "Summarise the attached screenplay."}]}]}, open("pdf-a.json", "w"))
json.dump({"model": "m", "messages": [{"role": "user", "content": [
    {"type": "file", "file": {"filename": "crossing.pdf", "file_data": "data:application/pdf;base64," + b}}]}]},
    open("pdf-o.json", "w"))
PY
  code=$(curl -s -o resp -w '%{http_code}' -H "x-api-key: $TOK" -H 'anthropic-version: 2023-06-01' --data-binary @pdf-a.json "$B/v1/messages")
  expect_eq "$code" 403 "Anthropic: a registered screenplay as a base64 PDF document is refused"
  expect_match "$(cat resp)" '^\{"type":"error","error":\{"type":"permission_error","message":"This request contains text from ' "in Anthropic's format"
  post "$B" /v1/chat/completions pdf-o.json "$TOK"
  expect_eq "$code" 403 "OpenAI: the same PDF as a file part (data URL) is refused"
else
  fail "afterwriting could not make the test PDF ($AW)"
fi

# ---- check_responses ---------------------------------------------------------------------
j '{"model":"m","prompt":"Tell me about the coast."}' > c.json
post "$A" /v1/completions c.json "$TOK"
expect_eq "$code $(cat resp)" '403 {"error":{"message":"This request contains text from \"salt-and-static.txt\", a registered work that may not be sent to AI services.","type":"invalid_request_error","param":null,"code":"picket_registered_work"}}' \
  "a response quoting a registered work is withheld (check_responses)"
j '{"model":"leak","stream":True,"messages":[{"role":"user","content":"Quote it."}]}' > l.json
curl -sN -H "Authorization: Bearer $TOK" --data-binary @l.json "$B/v1/chat/completions" > leak.out
expect_eq "$(tail -n 3 leak.out)" 'event: error
data: {"error":{"message":"This request contains text from \"salt-and-static.txt\", a registered work that may not be sent to AI services.","type":"invalid_request_error","param":null,"code":"picket_registered_work"}}' "a stream quoting a registered work ends in an SSE error event"
grep -q '\[DONE\]' leak.out && fail "the stream went on after the error" || ok "and stops there"
j '{"model":"leak","max_tokens":100,"stream":True,"messages":[{"role":"user","content":"Quote it."}]}' > la.json
curl -sN -H "x-api-key: $TOK" -H 'anthropic-version: 2023-06-01' --data-binary @la.json "$B/v1/messages" > leak-a.out
expect_eq "$(tail -n 3 leak-a.out)" 'event: error
data: {"type":"error","error":{"type":"permission_error","message":"This request contains text from \"salt-and-static.txt\", a registered work that may not be sent to AI services."}}' \
  "an Anthropic stream quoting a registered work ends in Anthropic's error event"
grep -q 'message_stop' leak-a.out && fail "the Anthropic stream went on after the error" || ok "and stops there"
j '{"model":"leak-think","max_tokens":100,"stream":True,"messages":[{"role":"user","content":"Quote it."}]}' > lt.json
curl -sN -H "x-api-key: $TOK" -H 'anthropic-version: 2023-06-01' --data-binary @lt.json "$B/v1/messages" > leak-t.out
expect_eq "$(tail -n 3 leak-t.out | head -n 1)" 'event: error' "an Anthropic stream quoting a work in thinking_delta ends in an error event"
grep -q 'message_stop' leak-t.out && fail "the thinking stream went on after the error" || ok "and stops there"
# Events that end in CRLF are still cut and checked.
j '{"model":"leak-crlf","stream":True,"messages":[{"role":"user","content":"Quote it."}]}' > lc.json
curl -sN -H "Authorization: Bearer $TOK" --data-binary @lc.json "$B/v1/chat/completions" > leak-c.out
expect_eq "$(tail -n 3 leak-c.out)" 'event: error
data: {"error":{"message":"This request contains text from \"salt-and-static.txt\", a registered work that may not be sent to AI services.","type":"invalid_request_error","param":null,"code":"picket_registered_work"}}' \
  "a CRLF stream quoting a registered work ends in an SSE error event"
grep -q '\[DONE\]' leak-c.out && fail "the CRLF stream went on after the error" || ok "and stops there"
# What the guard cannot check does not go out: 502.
post "$B" /v1/chat/completions clean.json "$TOK"
expect_eq "$(python3 -c 'import json; print(json.load(open("resp"))["accept-encoding"])')" "identity" \
  "check_responses asks the upstream for an uncompressed response"
j '{"model":"gzip","messages":[{"role":"user","content":"hi"}]}' > g.json
post "$B" /v1/chat/completions g.json "$TOK"
expect_eq "$code $(cat resp)" '502 {"error":{"message":"The upstream sent a compressed response the guard cannot check, so it refused it.","type":"server_error","param":null,"code":"picket_unchecked_response"}}' \
  "a compressed response (Content-Encoding: gzip): 502"
j '{"model":"text","messages":[{"role":"user","content":"hi"}]}' > tx.json
post "$B" /v1/chat/completions tx.json "$TOK"
expect_eq "$code $(cat resp)" '502 {"error":{"message":"The guard could not check the upstream'"'"'s response, so it refused it.","type":"server_error","param":null,"code":"picket_unchecked_response"}}' \
  "a response that is not JSON: 502"
got=$(python3 -c '
import json, sys
words = []
for line in open("leak.out"):
    if line.startswith("data: {\"choices"):
        words.append(json.loads(line[6:])["choices"][0]["delta"]["content"].strip())
leak = open("leak.txt").read().split()
print(sum(1 for w in words if w in leak))')
[ "$got" -lt 25 ] && ok "fewer than min_words words of the passage reached the client ($got)" || fail "$got words of the passage reached the client"

# ---- reload: a work registered while the guard runs ----------------------------------
NEW=$(words cc01.txt 300 40)
j '{"model":"m","messages":[{"role":"user","content":a[0]}]}' "$NEW" > n.json
post "$A" /v1/chat/completions n.json "$TOK"
expect_eq "$code" 200 "text of an unregistered work passes"
"$PICKET" register --title "Brown C01" cc01.txt > /dev/null
for _ in $(seq 300); do post "$A" /v1/chat/completions n.json "$TOK"; [ "$code" = 403 ] && break; sleep 0.1; done
expect_eq "$code" 403 "registered while running: refused a moment later, no restart"
expect_match "$(cat resp)" 'text from \\"Brown C01\\"' "naming the new work"
expect_match "$(cat a.log)" "index loaded: 7 works" "the guard logged the reload"

# ---- the registry gone: fail closed -------------------------------------------------
mv registry.db registry.db.away
for _ in $(seq 300); do post "$A" /v1/chat/completions clean.json "$TOK"; [ "$code" = 503 ] && break; sleep 0.1; done
expect_eq "$code" 503 "no registry: 503"
expect_eq "$(cat resp)" '{"error":{"message":"The guard cannot read its registry of works, so it refuses requests for now.","type":"server_error","param":null,"code":"picket_index_unavailable"}}' "with OpenAI's error body"
for _ in $(seq 300); do post "$C" /v1/chat/completions p.json "$TOK"; [ "$code" = 200 ] && break; sleep 0.1; done
expect_eq "$code" 200 "fail_open = true: passed unchecked while the registry is gone"
mv registry.db.away registry.db
for _ in $(seq 300); do post "$A" /v1/chat/completions clean.json "$TOK"; [ "$code" = 200 ] && break; sleep 0.1; done
expect_eq "$code" 200 "registry back: serving again"

# ---- the audit log ---------------------------------------------------------------------
kill $EXTRA_PIDS 2>/dev/null || true
wait $EXTRA_PIDS 2>/dev/null || true
EXTRA_PIDS=
# In a sanitizer build the guards report leaks and errors as they stop.
grep -h "Sanitizer" a.log b.log c.log >&2 && fail "the guards stopped with sanitizer reports" || ok "the guards stopped cleanly"
GDB=registry.db.guard.db
run guard log --verify
expect_eq "$rc" 0 "the audit chain verifies"
expect_match "$out" "audit chain intact, [0-9]+ entries" "and says how many entries"
run guard log --json
expect_match "$out" '"client":"alice","endpoint":"POST /v1/chat/completions","request_bytes":[0-9]+,"status":403,"action":"refused","works":\["ca01"\]' "a refusal is logged with the work"
expect_match "$out" '"action":"redacted"' "a redaction is logged"
expect_match "$out" '"passages":"ca01@/messages/0/content:[0-9]+-[0-9]+\+/messages/1/content:0-[0-9]+"' \
  "the split passage is logged in both strings, by JSON pointer and offsets"
expect_match "$out" '"status":503,"action":"error"' "the 503 is logged"
expect_match "$out" '"status":200,"action":"allowed","works":\[\],"passages":"","latency_us":[0-9]+,"note":"index unavailable: passed unchecked \(fail_open\)"' "fail_open passes are logged as such"
sqlite3 "$GDB" .dump > dump.sql
W=$(words ca01.txt 210 3)
grep -qF "$W" dump.sql && fail "prompt text found in the audit db" || ok "no prompt text in the audit db"
grep -qF "$TOK" dump.sql a.log b.log && fail "a client token was stored or logged" || ok "no client token stored or logged"
grep -qF "sk-upstream-secret" dump.sql a.log b.log && fail "the upstream key was stored or logged" || ok "no upstream key stored or logged"
sqlite3 "$GDB" ".backup upd.db"
# Hide the first refusal: make it look allowed, with no work.
R1=$(sqlite3 upd.db "SELECT MIN(seq) FROM audit WHERE action = 'refused' AND works != ''")
sqlite3 upd.db "UPDATE audit SET action = 'allowed', works = '', passages = '' WHERE seq = $R1"
run guard log --verify --audit-db upd.db
expect_eq "$rc" 1 "an updated entry: verify fails"
expect_match "$out" "audit chain broken at entry $R1: entry $R1 does not match its hash" "naming the entry"
sqlite3 "$GDB" ".backup del.db"
sqlite3 del.db "DELETE FROM audit WHERE seq = 5"
run guard log --verify --audit-db del.db
expect_eq "$rc" 1 "a deleted entry: verify fails"
expect_match "$out" "audit chain broken at entry 5: entry 5 is missing" "naming the entry"
sqlite3 "$GDB" ".backup last.db"
sqlite3 last.db "DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)"
run guard log --verify --audit-db last.db
expect_eq "$rc" 1 "the last entry deleted: verify fails"
# The end cut and the head rewritten to match: only a hash kept elsewhere
# (printed by --verify) tells.
run guard log --verify
HEAD=$(echo "$out" | sed -n 's/.*, head \([0-9a-f]\{64\}\)$/\1/p')
expect_match "$HEAD" '^[0-9a-f]{64}$' "log --verify prints the head hash"
sqlite3 "$GDB" ".backup cut.db"
sqlite3 cut.db "DELETE FROM audit WHERE seq > 8; UPDATE head SET seq = 8, hash = (SELECT hash FROM audit WHERE seq = 8)"
run guard log --verify --audit-db cut.db
expect_eq "$rc" 0 "cut and head rewritten: the file alone still verifies (documented)"
run guard log --verify --audit-db cut.db --head "$HEAD"
expect_eq "$rc" 1 "with --head: verify fails"
expect_match "$out" "audit chain broken at entry 9: the anchored hash ${HEAD:0:16}\\.\\.\\. is not in the chain \\(8 entries\\)" "naming where"
run guard log --verify --head "$HEAD"
expect_eq "$rc" 0 "the untouched log verifies against its own head"
finish
