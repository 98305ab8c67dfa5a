#!/usr/bin/env bash
# fuzz/run.sh -- build every fuzz target with libFuzzer (clang) and run each
# for SECONDS (default 60), starting from and adding to fuzz/corpus/<target>.
# Crashes are written to fuzz/crash-*; add them to the corpus once fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
CC=clang cmake -S . -B build-fuzz -DPK_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)" >/dev/null
for f in fuzz/fuzz_*.c; do
  t=$(basename "$f" .c)
  mkdir -p "fuzz/corpus/$t" build-fuzz/new-$t
  echo "== $t: $secs s"
  ./build-fuzz/$t -max_total_time="$secs" -artifact_prefix=fuzz/crash-$t- build-fuzz/new-$t "fuzz/corpus/$t" 2>&1 | tail -n 3
done
