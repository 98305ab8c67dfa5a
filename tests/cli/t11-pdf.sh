#!/usr/bin/env bash
# t11-pdf.sh -- a screenplay PDF made by a real screenplay tool
# (afterwriting, from npm: Fountain to PDF) is registered with its scenes
# and its own PDF pages; a PDF that is not what it claims is refused,
# quickly, with one line.  The PDF is made here, at run time, from
# sample/works/the-crossing.fountain.
source "$(dirname "$0")/lib.sh"
F=$PK_SRC/sample/works/the-crossing.fountain
AW=$PK_DEPS/node_modules/.bin/afterwriting
[ -x "$AW" ] || { echo "missing $AW: run ./setup.sh" >&2; exit 1; }

"$AW" --source "$F" --pdf "$T/the-crossing.pdf" --overwrite </dev/null >aw.log 2>&1 \
  || { cat aw.log >&2; fail "afterwriting failed"; finish; }
run register the-crossing.pdf
expect_eq "$rc" 0 "register the afterwriting PDF"
expect_match "$out" 'registered the-crossing  \(.*: pdf, [0-9]+ words' "read as PDF by its extension"
run works --json
expect_match "$out" '"title":"The Crossing"' "title from the PDF's metadata"
expect_match "$out" '"format":"pdf"' "format listed"
run register --id crossing-fountain "$F"
expect_eq "$rc" 0 "register the Fountain form"
q() { sqlite3 "$PICKET_DB" "select $1 from works where id='$2'"; }
pw=$(q tokens the-crossing); fw=$(q tokens crossing-fountain)
echo "words: pdf $pw, fountain $fw"
# The words of a screenplay, not its headings, cues and page numbers:
# within 2% of the Fountain form's.
[ $((pw * 100)) -ge $((fw * 98)) ] && [ $((pw * 100)) -le $((fw * 102)) ] \
  && ok "about the same words as the Fountain form ($pw vs $fw)" || fail "words: pdf $pw, fountain $fw"

# t07's quote of scene 6 (Fountain lines 129-136) is found in both forms,
# in scene 6.  Pages: the PDF's are afterwriting's real pages; the
# .fountain's are picket's estimate.  They are reported, not forced to agree.
{ echo "Fan transcript, posted without permission."; sed -n 129,137p "$F"; echo "Thoughts?"; } > quote.txt
run scan quote.txt
expect_eq "$rc" 0 "the quote is found"
pdf=$(grep '"work":"the-crossing"' <<<"$out" || true)
ftn=$(grep '"work":"crossing-fountain"' <<<"$out" || true)
expect_match "$pdf" '"work_start_scene":6,"work_end_scene":6' "scene 6 in the PDF"
expect_match "$ftn" '"work_start_scene":6,"work_end_scene":6' "scene 6 in the .fountain"
pages() { sed -E 's/.*"work_start_page":([0-9]+),"work_end_page":([0-9]+).*/\1-\2/' <<<"$1"; }
expect_match "$(pages "$pdf")" '^[0-9]+-[0-9]+$' "PDF pages reported"
echo "pages: afterwriting PDF $(pages "$pdf") (page 1 is its title page), picket's estimate for the .fountain $(pages "$ftn")"
run check quote.txt
expect_match "$out" "scene 6, page $(pages "$pdf" | cut -d- -f1)" "check names the scene and the PDF page"

# LibreOffice, when there, makes a PDF of the plain-text screenplay.
if command -v soffice >/dev/null 2>&1; then
  cp "$PK_SRC/sample/works/salt-and-static.txt" .
  if timeout 120 soffice --headless --convert-to pdf salt-and-static.txt >lo.log 2>&1; then
    run register salt-and-static.pdf
    expect_eq "$rc" 0 "register LibreOffice's PDF"
  else fail "soffice failed: $(cat lo.log)"; fi
else
  echo "SKIP: LibreOffice (soffice) is not installed; its PDF is not tested"
fi

# Content sniffing: a PDF without its extension.
cp the-crossing.pdf crossing-draft
PICKET_DB=$T/sniff.db run register crossing-draft
expect_match "$out" ': pdf, ' "recognized by %PDF-"

# Refusals, each in one line, fast: a truncated PDF, garbage after a PDF
# header, a text file forced to pdf.
head -c 30000 the-crossing.pdf > truncated.pdf
{ printf '%%PDF-1.4\n'; head -c 4096 /dev/urandom; printf '\n%%%%EOF\n'; } > garbage.pdf
rm -f "$PICKET_DB" "$PICKET_DB".pkx
start=$(date +%s)
run register truncated.pdf garbage.pdf the-crossing.pdf
secs=$(($(date +%s) - start))
[ "$rc" -ne 0 ] && ok "refusals fail the command (rc $rc)" || fail "rc 0 with refusals"
[ "$secs" -le 5 ] && ok "refused within ${secs}s" || fail "refusals took ${secs}s"
expect_match "$errs" 'truncated.pdf: truncated PDF: no %%EOF' "truncated PDF refused"
expect_match "$errs" 'garbage.pdf: not a readable PDF: ' "garbage refused with poppler's message"
[ "$(grep -c . <<<"$errs")" -eq 2 ] && ok "one line each, poppler's warnings silenced" || fail "errors: $errs"
expect_match "$out" 'registered the-crossing  \(.*: pdf, ' "the good file still registered"
run register --format pdf "$F"
[ "$rc" -ne 0 ] && ok "a Fountain file is not a PDF (rc $rc)" || fail "--format pdf read a Fountain file"
expect_match "$errs" "not a PDF file" "and says so"
run register --format nonsense crossing-draft
expect_match "$errs" "expected auto, .*pdf" "--format lists pdf"
finish
