#!/usr/bin/env bash
# startup.sh -- how long picket takes to start, next to the tools its users
# run beside it (git, curl, ripgrep, sqlite3, jq), measured in one run.
#
# Each command is started N times (default 50) with posix_spawn from one
# Python process, its output thrown away, and the median and the fastest
# wall time are printed in milliseconds; the commands take turns, so a slow
# moment of the machine hits all of them alike.  Also prints how many
# shared libraries each one maps at start (ldd).
#
# Usage: bench/startup.sh [PICKET] [N]
#   PICKET  the binary (default build/picket, built by ./setup.sh)
# The figures of BENCHMARKS.md, "Session 11", came from this script.
set -euo pipefail
cd "$(dirname "$0")/.."
picket=${1:-build/picket}
n=${2:-50}
[ -x "$picket" ] || { echo "startup.sh: no $picket: run ./setup.sh or give the binary" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A one-line registry and document: the start of a scan (opening the
# registry and mapping its index), not the scan itself.
printf 'INT. KITCHEN - NIGHT\n\nA kettle starts to sing while the house sleeps.\n' > "$tmp/w.fountain"
"$picket" register --db "$tmp/r.db" "$tmp/w.fountain" > /dev/null 2>&1
"$picket" compile --db "$tmp/r.db" > /dev/null
echo '{"id":"1","text":"nothing registered here"}' > "$tmp/one.jsonl"
python3 - "$picket" "$n" "$tmp" <<'PY'
import os, shutil, statistics, subprocess, sys, time
picket, n, tmp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
cmds = [
    ("picket version", [picket, "version"]),
    ("picket scan (one line)", [picket, "scan", "--quiet", "--db", tmp + "/r.db", tmp + "/one.jsonl"]),
]
for name, argv in (("git --version", ["git", "--version"]), ("curl --version", ["curl", "--version"]),
                   ("rg --version", ["rg", "--version"]), ("sqlite3 -version", ["sqlite3", "-version"]),
                   ("jq --version", ["jq", "--version"])):
    if shutil.which(argv[0]):
        cmds.append((name, [shutil.which(argv[0])] + argv[1:]))
null = os.open(os.devnull, os.O_WRONLY)
acts = [(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]
times = {name: [] for name, _ in cmds}
for _ in range(n):
    for name, argv in cmds:
        t0 = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=acts)
        os.waitpid(pid, 0)
        times[name].append((time.perf_counter() - t0) * 1e3)
def libs(path):
    try:
        out = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
        return str(sum(1 for l in out.splitlines() if l.strip()))
    except OSError:
        return "?"
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"cpu: {cpu} ({os.cpu_count()} cores)")
print(f"{'command':26} {'median ms':>10} {'fastest ms':>11} {'libraries':>10}   ({n} runs each)")
for name, argv in cmds:
    t = times[name]
    print(f"{name:26} {statistics.median(t):10.2f} {min(t):11.2f} {libs(argv[0]):>10}")
PY
