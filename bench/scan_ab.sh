#!/bin/bash
# scan_ab.sh -- single-threaded scan throughput of two or more picket
# binaries on the same input, for each vector level (issue 9).
#
# The machine these figures come from is shared (2 cores, other builds and
# benchmarks running), so one run says little: the binaries are run in
# turn, ROUNDS times, on every level asked for, and the best wall time and
# the best user CPU time of each are reported (a slow moment hits all of
# them alike).  Findings of every run are compared: a binary whose output
# differs from the first one's is flagged.
#
# Usage: bench/scan_ab.sh DB FILE [ROUNDS] [LEVELS] BINARY...
#   DB      the registry (its index DB.pkx next to it)
#   FILE    what to scan (JSONL or text; the format is picket's guess)
#   ROUNDS  runs of each binary on each level (default 5)
#   LEVELS  comma-separated PICKET_SIMD values (default avx512,avx2)
# Example (the figures of BENCHMARKS.md, "Crawl scale"):
#   head -c 200000000 bench/out/corpus.jsonl | head -n -1 > /tmp/c200.jsonl
#   bench/scan_ab.sh bench/out/reg.db /tmp/c200.jsonl 5 avx512,avx2 /tmp/picket.before build/picket
set -euo pipefail
if [ $# -lt 3 ]; then
    sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
db=$1 file=$2
shift 2
rounds=5 levels=avx512,avx2
if [[ $1 =~ ^[0-9]+$ ]]; then rounds=$1; shift; fi
if [[ $1 =~ ^(avx512|avx2|sse2|scalar|auto)(,(avx512|avx2|sse2|scalar|auto))*$ ]]; then levels=$1; shift; fi
[ $# -ge 1 ] || { echo "scan_ab.sh: no binary given" >&2; exit 2; }
command -v /usr/bin/time > /dev/null || { echo "scan_ab.sh: needs GNU time (/usr/bin/time)" >&2; exit 2; }
bytes=$(stat -c %s "$file")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
declare -A wall user md5
for ((r = 0; r < rounds; r++)); do
    for lv in ${levels//,/ }; do
        for i in $(seq 1 $#); do
            bin=${!i}
            key="$lv $i"
            PICKET_SIMD=$lv /usr/bin/time -f "%e %U" -o "$tmp/t" "$bin" scan --db "$db" --threads 1 --quiet \
                --no-progress "$file" > "$tmp/out" || [ $? -eq 1 ]
            read -r w u < <(tail -n 1 "$tmp/t") # GNU time says "Command exited with non-zero status 1" first when nothing was found
            m=$(md5sum < "$tmp/out" | cut -c1-32)
            if [ -z "${wall[$key]:-}" ] || awk -v a="$w" -v b="${wall[$key]}" 'BEGIN { exit !(a < b) }'; then wall[$key]=$w; fi
            if [ -z "${user[$key]:-}" ] || awk -v a="$u" -v b="${user[$key]}" 'BEGIN { exit !(a < b) }'; then user[$key]=$u; fi
            md5[$key]=$m
        done
    done
done
printf '%s: %.1f MB, best of %d runs each, 1 thread\n' "$file" "$(echo "$bytes / 1000000" | bc -l)" "$rounds"
printf 'cpu: %s (%s cores; %s)\n' "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" "$(nproc)" \
    "$(grep -qw avx512bw /proc/cpuinfo && echo AVX-512 || { grep -qw avx2 /proc/cpuinfo && echo AVX2 || echo no AVX2; })"
printf '%-8s %-40s %8s %10s %8s  %s\n' level binary wall MB/s user findings-md5
for lv in ${levels//,/ }; do
    for i in $(seq 1 $#); do
        key="$lv $i" first="$lv 1"
        note=""
        [ "${md5[$key]}" = "${md5[$first]}" ] || note="  DIFFERS FROM THE FIRST BINARY"
        printf '%-8s %-40s %7.2fs %10.1f %7.2fs  %s%s\n' "$lv" "${!i}" "${wall[$key]}" \
            "$(echo "$bytes / 1000000 / ${wall[$key]}" | bc -l)" "${user[$key]}" "${md5[$key]}" "$note"
    done
done
