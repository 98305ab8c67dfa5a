#!/usr/bin/env bash
# tests/run.sh -- the whole test suite, as CI runs it.
#
# 1. A strict build (-Werror) and every test (unit, CLI, fuzz corpus replay).
# 2. The same under AddressSanitizer + UndefinedBehaviorSanitizer.
# 3. Each fuzz target under libFuzzer for PK_FUZZ_SECONDS (default 10).
# Ends with one line "N passed, N failed" over both runs.
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
pass=0; fail=0

run_suite() { # name build-dir cmake-args...
  local name=$1 dir=$2; shift 2
  echo "== $name: configure and build ($dir)"
  if ! cmake -S . -B "$dir" "$@" >"$dir.log" 2>&1 || ! cmake --build "$dir" -j"$jobs" >>"$dir.log" 2>&1; then
    cat "$dir.log"; echo "== $name: BUILD FAILED"; fail=$((fail + 1)); return
  fi
  echo "== $name: test"
  local out
  out=$(cd "$dir" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --output-on-failure -j"$jobs" 2>&1)
  echo "$out" | tail -n 40
  local p f
  p=$(echo "$out" | sed -nE 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\2 \1/p' | tail -1)
  if [ -z "$p" ]; then echo "== $name: no ctest summary"; fail=$((fail + 1)); return; fi
  set -- $p
  pass=$((pass + $1 - $2)); fail=$((fail + $2))
}

# 3. Every fuzz target under libFuzzer (clang, ASan+UBSan) for a bounded
#    time, starting from its corpus (the replays above only rerun that),
#    with a fixed seed: a run explores the same inputs in the same order
#    wherever it runs, only further on a faster machine.
#    New inputs and crash reproducers stay in build-fuzz/.
fuzz_suite() {
  local secs=${PK_FUZZ_SECONDS:-10} dir=build-fuzz
  echo "== fuzz: configure and build ($dir, clang)"
  if ! CC=clang cmake -S . -B "$dir" -DPK_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$dir.log" 2>&1 ||
     ! cmake --build "$dir" -j"$jobs" >>"$dir.log" 2>&1; then
    cat "$dir.log"; echo "== fuzz: BUILD FAILED"; fail=$((fail + 1)); return
  fi
  for f in fuzz/fuzz_*.c; do
    local t
    t=$(basename "$f" .c)
    mkdir -p "$dir/new-$t"
    if "./$dir/$t" -seed=1 -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$dir/crash-$t-" \
         "$dir/new-$t" "fuzz/corpus/$t" >"$dir/$t.log" 2>&1; then
      echo "fuzz/$t: ok ($(grep -o 'Done [0-9]* runs' "$dir/$t.log" | tail -1), ${secs} s)"
      pass=$((pass + 1))
    else
      tail -n 30 "$dir/$t.log"; echo "fuzz/$t: FAILED"
      fail=$((fail + 1))
    fi
  done
}

run_suite "strict" build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPK_WERROR=ON
run_suite "asan+ubsan" build-asan -DCMAKE_BUILD_TYPE=Debug -DPK_WERROR=ON -DPK_SANITIZE=ON
fuzz_suite
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
