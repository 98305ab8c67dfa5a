#!/usr/bin/env bash
# t16-reserve-check.sh -- `picket reserve check` against a real nginx on
# loopback, one server (port) per case, since robots.txt, tdmrep.json and
# ai.txt belong to an origin: robots.txt allowing and disallowing, 404
# and 500, redirect chains of 5 (followed) and 6 (read as unavailable),
# a robots.txt over 500 KiB with a rule before and a rule after 512 KiB,
# tdmrep.json with first-match rules, signals in header fields only, in
# meta tags only, conflicting signals, ai.txt, a page redirect loop, and a
# server that accepts and never answers (timed out, quickly); what
# `reserve init --allow search` publishes, served.  Then many
# URLs at once: robots.txt and tdmrep.json fetched once per host, the
# User-Agent, no cookies, exit statuses, --agent, --file and stdin.
source "$(dirname "$0")/lib.sh"
# Loopback only: a proxy from the environment must not see these requests.
unset http_proxy https_proxy all_proxy HTTPS_PROXY ALL_PROXY

NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; }
if [ -z "$NGINX" ]; then
  echo "SKIP: nginx is not installed (./setup.sh installs it); reserve check test not run"
  exit 0
fi

# Training crawlers (training and corpus), from the list picket is built with.
TRAINING=$(sed -nE 's/^PK_AGENT\("([^"]+)", "[^"]*", "(training|corpus)".*/\1/p' "$PK_SRC/data/ai-agents.def")
NTRAIN=$(wc -l <<<"$TRAINING")
[ "$NTRAIN" -ge 5 ] || { echo "FAIL: could not read the training crawlers from data/ai-agents.def" >&2; exit 1; }

# ---- the sites ----------------------------------------------------------------
sites="allow disallow r404 r500 redir5 redir6 big tdmrep headers meta conflict"
for s in $sites; do mkdir -p "site/$s/.well-known"; done
mkdir -p ng/tmp

page() { # file [head extra]
  mkdir -p "$(dirname "$1")"
  printf '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>A page</title>%s</head>\n<body><p>Scene one. The ferry leaves at dawn.</p></body></html>\n' "${2:-}" >"$1"
}
for s in $sites; do page "site/$s/index.html"; done

# allow: robots.txt allows everything but /private/; ai.txt reserves /ai-reserved/.
printf 'User-agent: *\nDisallow: /private/\n' >site/allow/robots.txt
printf '# Spawning ai.txt\nUser-Agent: *\nDisallow: /ai-reserved/\n' >site/allow/ai.txt
page site/allow/private/page.html
page site/allow/ai-reserved/page.html
# disallow: every training crawler disallowed by name, everyone else allowed.
{
  while read -r t; do echo "User-agent: $t"; done <<<"$TRAINING"
  printf 'Disallow: /\n\nUser-agent: *\nAllow: /\n'
} >site/disallow/robots.txt
page site/disallow/two.html
page site/disallow/three.html
# redir5 / redir6: the file at the end disallows everything.
printf 'User-agent: *\nDisallow: /\n' >site/redir5/final.txt
printf 'User-agent: *\nDisallow: /\n' >site/redir6/final.txt
# big: 530 KiB; a CCBot group ends before 500 KiB, a GPTBot group starts after 512 KiB.
python3 - <<'PY'
line = lambda i: ("# padding line %06d " % i).ljust(63, ".") + "\n"  # 64 bytes
pad = lambda n: "".join(line(i) for i in range(n // 64))
body = "User-agent: *\nAllow: /\n\n" + pad(490 * 1024) + "User-agent: CCBot\nDisallow: /\n\n"
body += pad(530 * 1024 - len(body)) + "User-agent: GPTBot\nDisallow: /\n"
assert 520 * 1024 < body.index("User-agent: GPTBot") and body.index("User-agent: CCBot") < 500 * 1024
open("site/big/robots.txt", "w").write(body)
PY
# tdmrep: the first matching rule wins ("/open/" before "/*.pdf$" before "/").
cat >site/tdmrep/.well-known/tdmrep.json <<'EOF'
[
  {"location": "/open/", "tdm-reservation": 0},
  {"location": "/*.pdf$", "tdm-reservation": 1, "tdm-policy": "https://rights.example/pdf-policy.json"},
  {"location": "/", "tdm-reservation": 1, "tdm-policy": "https://rights.example/policy.json"}
]
EOF
page site/tdmrep/open/page.html
printf '%%PDF-1.4 not really\n' >site/tdmrep/open/doc.pdf
mkdir -p site/tdmrep/papers
printf '%%PDF-1.4 not really\n' >site/tdmrep/papers/a.pdf
# headers: one signal per page, in header fields only (nginx add_header below).
for p in tdm usage signal xrobots scoped none; do page "site/headers/h/$p.html"; done
# meta: one signal per page, in meta tags only.
page site/meta/m/tdm.html '<meta name="tdm-reservation" content="1"><meta name="tdm-policy" content="https://rights.example/p.json">'
page site/meta/m/robots.html '<meta name="robots" content="noindex, noai, noimageai">'
page site/meta/m/agent.html '<meta name="GPTBot" content="noai">'
page site/meta/m/imageonly.html '<meta name="robots" content="noimageai">'
# conflict: tdmrep.json reserves everything; header fields and meta disagree.
echo '[{"location": "/", "tdm-reservation": 1}]' >site/conflict/.well-known/tdmrep.json
page site/conflict/c/file.html
page site/conflict/c/header-over-file.html
page site/conflict/c/meta-over-header.html '<meta name="tdm-reservation" content="1">'
page site/conflict/c/mixed.html '<meta name="tdm-reservation" content="0">'

# init: what `picket reserve init --allow search` publishes, served with its
# nginx snippet.
mkdir -p site/init
printf 'User-agent: *\nDisallow: /drafts/\n' >site/init/robots.txt
page site/init/index.html
"$PICKET" reserve init --dir site/init --policy https://rights.example/policy.html --allow search >init.out 2>&1 \
  || { cat init.out >&2; fail "reserve init"; }

# ---- nginx: one server per site, each on its own free loopback port -------------
read -r -a PORTS <<<"$(python3 -c '
import socket
ss = [socket.socket() for _ in range(14)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')"
declare -A PORT
i=0
for s in $sites silent init; do PORT[$s]=${PORTS[$i]}; i=$((i + 1)); done
url() { echo "http://127.0.0.1:${PORT[$1]}$2"; }

server() { # site extra-config
  cat <<EOF
  server {
    listen 127.0.0.1:${PORT[$1]};
    root $T/site/$1;
    access_log $T/ng/$1.log check;
    location / { add_header Set-Cookie "session=abc; Path=/"; }
    $2
  }
EOF
}
{
  nginx_preamble "$T/ng" 256
  cat <<EOF
  types { text/html html; text/plain txt; application/json json; application/pdf pdf; }
  default_type application/octet-stream;
  log_format check '\$request_method \$uri \$status "\$http_user_agent" cookie=\$http_cookie';
EOF
  server allow 'location = /hop0 { return 302 /hop1; }  location = /hop1 { return 302 /hop2; }
    location = /hop2 { return 302 /hop3; }  location = /hop3 { return 302 /hop4; }
    location = /hop4 { return 302 /hop5; }  location = /hop5 { return 302 /hop6; }
    location = /hop6 { return 302 /index.html; }'
  server disallow ''
  server r404 ''
  server r500 'location = /robots.txt { return 500; }'
  server redir5 'location = /robots.txt { return 301 /r1; }  location = /r1 { return 301 /r2; }
    location = /r2 { return 302 /r3; }  location = /r3 { return 307 /r4; }
    location = /r4 { return 308 /final.txt; }'
  server redir6 'location = /robots.txt { return 301 /r1; }  location = /r1 { return 301 /r2; }
    location = /r2 { return 302 /r3; }  location = /r3 { return 307 /r4; }
    location = /r4 { return 308 /r5; }  location = /r5 { return 301 /final.txt; }'
  server big ''
  server tdmrep ''
  server headers 'location = /h/tdm.html { add_header tdm-reservation 1; add_header tdm-policy "https://rights.example/h.json"; }
    location = /h/usage.html { add_header Content-Usage "train-ai=n"; }
    location = /h/signal.html { add_header Content-Signal "search=yes, ai-train=no"; }
    location = /h/xrobots.html { add_header X-Robots-Tag "noai, noimageai"; }
    location = /h/scoped.html { add_header X-Robots-Tag "GPTBot: noai"; }'
  server meta ''
  server conflict 'location = /c/header-over-file.html { add_header tdm-reservation 0; }
    location = /c/meta-over-header.html { add_header tdm-reservation 0; }
    location = /c/mixed.html { add_header Content-Usage "train-ai=n"; }'
  cat <<EOF
  server {
    listen 127.0.0.1:${PORT[init]};
    root $T/site/init;
    access_log $T/ng/init.log check;
    include $T/site/init/.picket/nginx.conf;
  }
}
EOF
} >ng/nginx.conf

# A server that accepts connections and never answers.
python3 - "${PORT[silent]}" >/dev/null 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)  # kept open, never read, never answered
PY
SILENT_PID=$!

EXTRA_PIDS=$SILENT_PID
start_nginx "$T/ng" "${PORT[conflict]}"
ok "nginx serving $(wc -w <<<"$sites") sites on loopback"

# jq-like checks on one JSON result, in Python: `jcheck 'expr' what` asserts
# expr over r (the object), a (crawlers by token).
jcheck() {
  if python3 - "$1" <<PY; then ok "$2"; else fail "$2: $(head -c 600 "$T/out")"; fi
import json, sys
r = json.loads(open("$T/out").readline())
a = {x["token"]: x for x in r["agents"]}
training = [x for x in r["agents"] if x["training"]]
ok = eval(sys.argv[1])
if not ok:
    print("   expression was false:", sys.argv[1], file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}

# ---- robots.txt ----------------------------------------------------------------
run reserve check --json "$(url allow /index.html)"
expect_eq "$rc" 1 "robots.txt allowing: not reserved (exit 1)"
jcheck 'r["verdict"] == "not-reserved" and r["robots_txt"]["state"] == "found" and r["robots_txt"]["status"] == 200' "robots.txt allowing: found, verdict not-reserved"
jcheck 'all(x["signals"]["robots"] == "allowed" for x in r["agents"]) and r["training_reserved"] == 0' "robots.txt allowing: every crawler allowed"
jcheck 'r["page"]["status"] == 200 and r["page"]["fetch"] == "ok" and r["ai_txt"]["state"] == "found"' "page fetched, ai.txt found"

run reserve check --json "$(url allow /private/page.html)"
expect_eq "$rc" 0 "robots.txt disallowing the path for '*': reserved (exit 0)"
jcheck 'r["verdict"] == "reserved" and a["GPTBot"]["robots_rule"] == "Disallow: /private/" and a["GPTBot"]["robots_line"] == 2 and a["GPTBot"]["robots_star_group"]' "the deciding rule and its line, from the '*' group"

run reserve check --json "$(url allow /ai-reserved/page.html)"
expect_eq "$rc" 0 "ai.txt disallowing the path: reserved"
jcheck 'all(x["signals"]["ai_txt"] == "reserved" and x["signals"]["robots"] == "allowed" for x in r["agents"])' "ai.txt reserves, robots.txt allows"

run reserve check --json "$(url disallow /index.html)"
expect_eq "$rc" 0 "robots.txt disallowing every training crawler: exit 0"
jcheck 'r["verdict"] == "reserved" and r["training_reserved"] == r["training_crawlers"] == '"$NTRAIN" "every training crawler reserved"
jcheck 'a["OAI-SearchBot"]["signals"]["robots"] == "allowed" and not a["OAI-SearchBot"]["reserved"] and not a["OAI-SearchBot"]["training"]' "search crawlers stay allowed and do not count"
jcheck 'a["GPTBot"]["signals"]["robots"] == "reserved" and not a["GPTBot"]["robots_star_group"]' "GPTBot decided by its own group"

run reserve check "$(url disallow /index.html)"
expect_match "$out" "GPTBot +training +disallow +- +- +- +- +yes" "table: GPTBot row"
expect_match "$out" "OAI-SearchBot +search +allow +- +- +- +- +NO" "table: OAI-SearchBot row"
expect_match "$out" "verdict: reserved \($NTRAIN of $NTRAIN training crawlers reserved\)" "table: verdict line"

run reserve check --json "$(url r404 /index.html)"
expect_eq "$rc" 1 "robots.txt 404: not reserved"
jcheck 'r["robots_txt"]["state"] == "absent" and r["robots_txt"]["status"] == 404 and all(x["signals"]["robots"] == "allowed" for x in r["agents"])' "robots.txt 404: unavailable, everything allowed"
jcheck 'any("2.3.1.3" in n for n in r["notes"])' "robots.txt 404: the note cites RFC 9309 2.3.1.3"

run reserve check --json "$(url r500 /index.html)"
expect_eq "$rc" 1 "robots.txt 500: no lasting reservation (exit 1)"
jcheck 'r["robots_txt"]["state"] == "error" and r["robots_txt"]["status"] == 500 and all(x["signals"]["robots"] == "blocked" and not x["reserved"] for x in r["agents"])' "robots.txt 500: unreachable, everything blocked for now, nothing reserved"
jcheck 'any("unreachable" in n and "2.3.1.4" in n for n in r["notes"])' "robots.txt 500: the note says why"

run reserve check --json "$(url redir5 /index.html)"
expect_eq "$rc" 0 "robots.txt after 5 redirects: followed, disallows everything"
jcheck 'r["robots_txt"]["state"] == "found" and r["robots_txt"]["redirects"] == 5 and r["verdict"] == "reserved"' "5 redirects followed"

run reserve check --json "$(url redir6 /index.html)"
expect_eq "$rc" 1 "robots.txt after 6 redirects: unavailable, allowed"
jcheck 'r["robots_txt"]["state"] == "too-many-redirects" and all(x["signals"]["robots"] == "allowed" for x in r["agents"])' "6 redirects: not followed, read as unavailable"
jcheck 'any("2.3.1.2" in n for n in r["notes"])' "6 redirects: the note cites RFC 9309 2.3.1.2"
expect_eq "$(grep -c 'final.txt' ng/redir6.log || true)" 0 "the sixth redirect was never fetched"

run reserve check --json "$(url big /index.html)"
jcheck 'r["robots_txt"]["truncated"] and a["CCBot"]["signals"]["robots"] == "reserved" and a["CCBot"]["robots_line"] > 7000' "robots.txt over 500 KiB: a rule before 500 KiB counts"
jcheck 'a["GPTBot"]["signals"]["robots"] == "allowed"' "robots.txt over 500 KiB: a rule after 512 KiB is ignored"
jcheck 'any("512 KiB" in n for n in r["notes"])' "robots.txt over 500 KiB: the note says so"

# ---- tdmrep.json ------------------------------------------------------------------
run reserve check --json "$(url tdmrep /open/page.html)" "$(url tdmrep /open/doc.pdf)" "$(url tdmrep /papers/a.pdf)" "$(url tdmrep /index.html)"
expect_eq "$rc" 1 "tdmrep.json: some URLs open (exit 1)"
python3 - "$T/out" <<'PY' && ok "tdmrep.json: first matching rule wins, with its policy" || fail "tdmrep.json rules: $(cat "$T/out" | head -c 800)"
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
got = [(r["url"].split("/", 3)[3], r["verdict"], r["tdmrep"]["reservation"], r["tdmrep"]["file_rule"], r["tdmrep"]["source"], r["tdmrep"]["policy"]) for r in rs]
want = [("open/page.html", "not-reserved", 0, 0, "tdmrep.json", None),
        ("open/doc.pdf", "not-reserved", 0, 0, "tdmrep.json", None),   # /open/ comes before /*.pdf$
        ("papers/a.pdf", "reserved", 1, 1, "tdmrep.json", "https://rights.example/pdf-policy.json"),
        ("index.html", "reserved", 1, 2, "tdmrep.json", "https://rights.example/policy.json")]
assert got == want, got
assert all(r["tdmrep_json"]["state"] == "found" for r in rs)
PY
expect_eq "$(grep -c 'GET /.well-known/tdmrep.json' ng/tdmrep.log)" 1 "four URLs of one host: tdmrep.json fetched once"
expect_eq "$(grep -c 'GET /robots.txt' ng/tdmrep.log)" 1 "four URLs of one host: robots.txt fetched once"
expect_eq "$(grep -c 'GET /ai.txt' ng/tdmrep.log)" 1 "four URLs of one host: ai.txt fetched once"

# ---- header fields only -----------------------------------------------------------
for p in tdm usage signal xrobots; do
  run reserve check --json "$(url headers /h/$p.html)"
  expect_eq "$rc" 0 "header only ($p): reserved"
done
run reserve check --json "$(url headers /h/tdm.html)"
jcheck 'r["tdmrep"]["source"] == "header" and r["tdmrep"]["policy"] == "https://rights.example/h.json" and r["headers"]["tdm_reservation"] == "1" and r["meta"]["tdm_reservation"] is None' "header tdm-reservation and tdm-policy"
run reserve check --json "$(url headers /h/usage.html)"
jcheck 'r["headers"]["content_usage"] == "train-ai=n" and all(x["signals"]["aipref"] == "reserved" for x in r["agents"])' "header Content-Usage: train-ai=n"
run reserve check --json "$(url headers /h/signal.html)"
jcheck 'r["headers"]["content_signal"] == "search=yes, ai-train=no" and a["ClaudeBot"]["signals"]["aipref"] == "reserved"' "header Content-Signal: ai-train=no"
run reserve check --json "$(url headers /h/xrobots.html)"
jcheck 'r["headers"]["x_robots_tag"] == "noai, noimageai" and all(x["signals"]["noai"] == "reserved" for x in r["agents"])' "header X-Robots-Tag: noai"
run reserve check --json "$(url headers /h/scoped.html)"
expect_eq "$rc" 1 "X-Robots-Tag scoped to GPTBot: partial (exit 1)"
jcheck 'r["verdict"] == "partial" and a["GPTBot"]["reserved"] and not a["ClaudeBot"]["reserved"] and r["training_reserved"] == 1' "X-Robots-Tag: GPTBot: noai reserves GPTBot only"
run reserve check --json "$(url headers /h/none.html)"
expect_eq "$rc" 1 "no signal at all: not reserved"

# ---- meta tags only -----------------------------------------------------------------
run reserve check --json "$(url meta /m/tdm.html)"
expect_eq "$rc" 0 "meta tdm-reservation: reserved"
jcheck 'r["tdmrep"]["source"] == "meta" and r["tdmrep"]["policy"] == "https://rights.example/p.json" and r["headers"]["tdm_reservation"] is None' "meta tdm-reservation and tdm-policy"
run reserve check --json "$(url meta /m/robots.html)"
expect_eq "$rc" 0 "meta robots noai: reserved"
run reserve check --json "$(url meta /m/agent.html)"
expect_eq "$rc" 1 "meta name=GPTBot noai: partial"
jcheck 'a["GPTBot"]["signals"]["noai"] == "reserved" and a["CCBot"]["signals"]["noai"] == "absent"' "meta for one crawler"
run reserve check --json "$(url meta /m/imageonly.html)"
expect_eq "$rc" 1 "meta noimageai alone: not reserved"
jcheck 'any("images only" in n for n in r["notes"])' "noimageai: the note says it covers images only"

# ---- conflicting signals --------------------------------------------------------
run reserve check --json "$(url conflict /c/file.html)"
jcheck 'r["verdict"] == "reserved" and r["tdmrep"]["source"] == "tdmrep.json"' "tdmrep.json alone reserves"
run reserve check --json "$(url conflict /c/header-over-file.html)"
expect_eq "$rc" 1 "header tdm-reservation 0 overrides tdmrep.json 1"
jcheck 'r["tdmrep"]["reservation"] == 0 and r["tdmrep"]["source"] == "header" and r["tdmrep"]["file"] == 1 and any("overrides tdmrep.json" in n for n in r["notes"])' "header over file, and the note says so"
run reserve check --json "$(url conflict /c/meta-over-header.html)"
expect_eq "$rc" 0 "meta tdm-reservation 1 overrides header 0"
jcheck 'r["tdmrep"]["source"] == "meta" and r["tdmrep"]["header"] == 0 and r["tdmrep"]["meta"] == 1' "meta over header"
run reserve check --json "$(url conflict /c/mixed.html)"
expect_eq "$rc" 0 "TDMRep 0 (meta) but Content-Usage train-ai=n: the most restrictive counts"
jcheck 'r["conflict"] and r["tdmrep"]["reservation"] == 0 and a["GPTBot"]["signals"]["tdmrep"] == "allowed" and a["GPTBot"]["signals"]["aipref"] == "reserved" and any("conflicting" in n for n in r["notes"])' "conflict reported"
run reserve check "$(url conflict /c/mixed.html)"
expect_match "$out" "note: conflicting signals" "table: conflict note"

# ---- a page that redirects too often; a URL that is not one ---------------------
run reserve check --json "$(url allow /hop0)"
expect_eq "$rc" 2 "page with 7 redirects: error (exit 2)"
jcheck 'r["verdict"] == "error" and "more than 5 redirects" in r["error"] and r["page"]["fetch"] == "too-many-redirects"' "page redirects capped at 5"
run reserve check --json "ftp://example.org/x"
expect_eq "$rc" 2 "not http: error"
jcheck 'r["verdict"] == "error" and r["robots_txt"]["state"] == "skipped"' "ftp URL: not fetched"

# ---- a server that never answers ----------------------------------------------------
t0=$(date +%s.%N)
run reserve check --timeout 1 "$(url silent /page.html)"
t1=$(date +%s.%N)
expect_eq "$rc" 2 "never answers: exit 2"
expect_match "$out" "verdict: timed-out: timed out after 1" "never answers: the verdict says timed out"
expect_match "$out" "robots.txt +timed-out" "never answers: robots.txt timed out"
expect_eq "$(python3 -c "print(int($t1 - $t0 < 4))")" 1 "never answers: done within 4 s with --timeout 1 (took $(python3 -c "print(round($t1 - $t0, 2))") s)"
run reserve check --json --timeout 1 "$(url silent /page.html)"
jcheck 'r["verdict"] == "timed-out" and r["page"]["fetch"] == "timed-out" and r["robots_txt"]["state"] == "timed-out" and r["tdmrep_json"]["state"] == "timed-out"' "never answers: JSON verdict timed-out"

# ---- what reserve init publishes --------------------------------------------------
run reserve check --json "$(url init /index.html)"
expect_eq "$rc" 0 "reserve init --allow search, served by nginx: every training crawler reserved"
jcheck 'r["verdict"] == "reserved" and all(x["signals"]["robots"] == "reserved" and x["signals"]["tdmrep"] == "reserved" and x["signals"]["aipref"] == "reserved" and x["signals"]["noai"] == "reserved" and x["signals"]["ai_txt"] == "reserved" for x in training)' "init: every signal reserves every training crawler"
jcheck 'all(x["signals"]["robots"] == "allowed" for x in r["agents"] if x["purpose"] == "search")' "init --allow search: search crawlers allowed by robots.txt"
jcheck 'all(x["signals"]["robots"] == "reserved" for x in r["agents"] if x["purpose"] == "user-fetch")' "init: user-fetch crawlers disallowed by robots.txt"
jcheck 'r["tdmrep"]["policy"] == "https://rights.example/policy.html" and not r["conflict"]' "init: the policy, and no conflict"
run reserve check --json "$(url init /drafts/x.html)"
jcheck 'a["OAI-SearchBot"]["signals"]["robots"] == "reserved" and a["OAI-SearchBot"]["robots_rule"] == "Disallow: /drafts/"' "init: the site's own '*' rules still bind search crawlers"

# ---- many URLs at once ----------------------------------------------------------------
: >ng/disallow.log
cat >list.txt <<EOF
# a comment, then a blank line

$(url disallow /index.html)
$(url disallow /two.html)
  $(url disallow /three.html)
EOF
run reserve check --json --jobs 2 --file list.txt
expect_eq "$rc" 0 "--file: three reserved URLs, exit 0"
expect_eq "$(grep -c . "$T/out")" 3 "--file: one JSON object per URL"
expect_eq "$(grep -c 'GET /robots.txt' ng/disallow.log)" 1 "--file: robots.txt fetched once for three URLs of one host"
expect_eq "$(grep -c 'GET /.well-known/tdmrep.json' ng/disallow.log)" 1 "--file: tdmrep.json fetched once"
version=$("$PICKET" version | sed -nE "1s/^picket ([^ ]+).*/\1/p")
expect_eq "$(grep -vc "\"picket/$version (reserve check)\"" ng/disallow.log)" 0 "every request names picket $version in its User-Agent"
expect_eq "$(grep -c 'cookie=-' ng/disallow.log)" 6 "no request sends a cookie (nginx sets one on every page)"

: >ng/disallow.log
run reserve check --json - <<<"$(url disallow /index.html)
$(url r404 /index.html)"
expect_eq "$rc" 1 "stdin: one reserved, one not: exit 1"
expect_eq "$(python3 -c 'import json,sys; print(" ".join(json.loads(l)["verdict"] for l in open(sys.argv[1])))' "$T/out")" "reserved not-reserved" "stdin: results in input order"

run reserve check --json --timeout 1 "$(url disallow /index.html)" "$(url silent /x)" "$(url r404 /index.html)"
expect_eq "$rc" 2 "a URL that timed out among others: exit 2"
expect_eq "$(python3 -c 'import json,sys; print(" ".join(json.loads(l)["verdict"] for l in open(sys.argv[1])))' "$T/out")" "reserved timed-out not-reserved" "mixed list: each URL its own verdict, in order"

run reserve check --json --agent GPTBot --agent MyBot "$(url headers /h/scoped.html)"
expect_eq "$rc" 1 "--agent: MyBot not reserved"
jcheck '[x["token"] for x in r["agents"]] == ["GPTBot", "MyBot"] and r["training_crawlers"] == 2 and r["training_reserved"] == 1 and a["MyBot"]["purpose"] == "custom"' "--agent: only the named crawlers, all counted"
run reserve check --agent GPTBot "$(url headers /h/scoped.html)"
expect_eq "$rc" 0 "--agent GPTBot: reserved"
expect_match "$out" "verdict: reserved \(1 of 1 crawlers named reserved\)" "--agent: verdict counts the named crawlers"

run reserve check
expect_eq "$rc" 2 "no URL: usage error"
run reserve check --timeout 0 "$(url allow /)"
expect_eq "$rc" 2 "--timeout 0 refused"
run reserve check --jobs 0 "$(url allow /)"
expect_eq "$rc" 2 "--jobs 0 refused"

finish
