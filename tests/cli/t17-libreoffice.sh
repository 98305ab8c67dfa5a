#!/usr/bin/env bash
# t17-libreoffice.sh -- a screenplay PDF made by LibreOffice (headless,
# from a flat ODF text document) is registered with its scenes and its own
# pages, and agrees with the Fountain source it was made from.
#
# mkfodt.py lays sample/works/the-crossing.fountain out as a screenplay
# (Courier 12, fixed 12 pt lines, 55 lines a page, screenplay indents,
# page numbers in the header, a hard page break before every page, so the
# PDF's pages are the layout's); soffice --convert-to pdf makes the PDF.
# A text quoting two passages (scene 6, and scene 9 across a page break)
# is found in both forms.  Scenes must agree exactly.  Pages: the PDF's
# must be exactly the layout's (LibreOffice kept every page as laid out);
# picket's estimate for the .fountain may differ from them by one page at
# either end: it sets the dual dialogue of scene 6 side by side (the
# layout here one block after the other, three lines more) and wraps lines
# its own way, so lines near a page's foot can move a page.
source "$(dirname "$0")/lib.sh"
F=$PK_SRC/sample/works/the-crossing.fountain

SOFFICE=$(command -v soffice || command -v libreoffice || true)
if [ -z "$SOFFICE" ]; then
  echo "SKIP: LibreOffice (soffice) is not installed (./setup.sh installs libreoffice-writer-nogui); LibreOffice PDF test not run"
  exit 0
fi

python3 "$PK_SRC/tests/cli/mkfodt.py" "$F" crossing.fodt layout.map
mkdir -p home
set +e
HOME=$T/home timeout 180 "$SOFFICE" -env:UserInstallation="file://$T/lo-profile" --headless --norestore \
  --convert-to pdf --outdir "$T" crossing.fodt </dev/null >lo.log 2>&1
lrc=$?
set -e
[ "$lrc" = 0 ] && [ -s crossing.pdf ] && ok "soffice made crossing.pdf" \
  || { cat lo.log >&2; fail "soffice --convert-to pdf failed (exit $lrc)"; finish; }

# The PDF has the layout's pages, each starting with the layout's line.
python3 - <<'PY' && ok "the PDF has as many pages as the layout" || fail "PDF pages differ from the layout"
import re, sys, zlib
# Page count from the PDF's page tree (no poppler-utils needed).
data = open("crossing.pdf", "rb").read()
counts = [int(m) for m in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)] \
       + [int(m) for m in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", data)]
want = int([l.split()[1] for l in open("layout.map") if l.startswith("pages ")][0])
assert counts and max(counts) == want, (counts, want)
PY
run register --id crossing-lo crossing.pdf
expect_eq "$rc" 0 "register LibreOffice's PDF"
expect_match "$out" 'registered crossing-lo  \(.*: pdf, [0-9]+ words' "read as PDF"
run works --json
expect_match "$(grep crossing-lo <<<"$out")" '"title":"The Crossing"' "title from the PDF's metadata"
run register --id crossing-fountain "$F"
expect_eq "$rc" 0 "register the Fountain source"
q() { sqlite3 "$PICKET_DB" "select $1 from works where id='$2'"; }
pw=$(q tokens crossing-lo); fw=$(q tokens crossing-fountain)
# Page numbers, the header, cues and scene headings are not words of the
# work: the PDF's words are the Fountain's, give or take the (CONT'D) cue.
[ $((pw * 100)) -ge $((fw * 98)) ] && [ $((pw * 100)) -le $((fw * 102)) ] \
  && ok "about the same words as the Fountain form ($pw vs $fw)" || fail "words: pdf $pw, fountain $fw"

# Two quotes: t07's of scene 6 (lines 129-137), and scene 9 (lines 184-196),
# which the layout breaks across two pages.
{ echo "Fan transcript, posted without permission."; sed -n 129,137p "$F"
  echo "And later, the ending:"; sed -n 184,196p "$F"; echo "Thoughts?"; } > quote.txt
run scan quote.txt
expect_eq "$rc" 0 "the quotes are found"
echo "$out" > scan.jsonl
python3 - <<'PY' && ok "scenes agree; PDF pages are the layout's; the Fountain estimate within one page" || fail "scenes or pages"
import json
pages = {}
for l in open("layout.map"):
    a = l.split()
    if a[0] != "pages": pages[int(a[0])] = (int(a[1]), int(a[2]))
def expect(lo, hi):  # pages of the first and last printed line quoted
    ln = [n for n in pages if lo <= n <= hi]
    return pages[min(ln)][0], pages[max(ln)][1]
want = [(6, 6) + expect(129, 137), (9, 9) + expect(184, 196)]
f = {}
for l in open("scan.jsonl"):
    d = json.loads(l)
    f[d["work"]] = [(p["work_start_scene"], p["work_end_scene"], p["work_start_page"], p["work_end_page"]) for p in d["passages"]]
print("layout (= PDF expected):", want)
print("PDF:     ", f.get("crossing-lo"))
print("Fountain:", f.get("crossing-fountain"))
pdf, ftn = f["crossing-lo"], f["crossing-fountain"]
assert len(pdf) == len(ftn) == 2, (pdf, ftn)
assert pdf == want, "PDF pages or scenes"
for (s0, s1, p0, p1), (t0, t1, q0, q1) in zip(pdf, ftn):
    assert (s0, s1) == (t0, t1), "scenes differ"
    assert abs(p0 - q0) <= 1 and abs(p1 - q1) <= 1, "pages differ by more than one"
PY
run check quote.txt
expect_match "$out" "scene 9, pages? [0-9]" "check names the scene and pages"

finish
