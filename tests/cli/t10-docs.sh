#!/usr/bin/env bash
# t10-docs.sh -- works as a web page, in Markdown, as a Word document and
# as an EPUB book: registered on their text (markup dropped), found by a
# quote, with the lines of the file the writer has; zip bombs and
# DOCTYPEs refused.
#
# The DOCX, EPUB and HTML forms of sample/works/the-writers-room.md are
# made by pandoc when it is installed; else the DOCX and EPUB are written
# by mkzipdocs.py (Python's zipfile, hand-written XML) and the HTML here
# (also with PK_NO_PANDOC=1).
source "$(dirname "$0")/lib.sh"
M=$PK_SRC/sample/works/the-writers-room.md

if [ -z "${PK_NO_PANDOC:-}" ] && command -v pandoc >/dev/null 2>&1; then
  maker=pandoc
  pandoc -s --wrap=none "$M" -o wr.docx --metadata title="The Writers Room" --metadata author="Sam Doe"
  pandoc -s --wrap=none "$M" -o wr.epub --metadata title="The Writers Room" --metadata author="Sam Doe"
  pandoc -s --wrap=none "$M" -o wr.html --metadata title="The Writers Room"
else
  maker=mkzipdocs.py
  python3 "$PK_SRC/tests/cli/mkzipdocs.py" "$M" wr.docx wr.epub "The Writers Room" "Sam Doe"
  { echo '<!DOCTYPE html>'; echo '<html><head><title>The Writers Room</title></head><body>'
    sed -E 's/^## (.*)/<h2>\1<\/h2>/; s/^# (.*)/<h1>\1<\/h1>/; s/^([A-Za-z*].*)/<p>\1<\/p>/' "$M"
    echo '</body></html>'; } > wr.html
fi
ok "DOCX, EPUB and HTML made by $maker"
# A Markdown copy with front matter (so its lines are the sample's + 4).
{ printf -- '---\ntitle: "The Writers Room (md)"\nauthor: Sam Doe\n---\n'; cat "$M"; } > wr-fm.md

run register --id md wr-fm.md
expect_match "$out" ': markdown, ' "Markdown by its extension"
run register --id docx wr.docx
expect_match "$out" ': docx, ' "DOCX by its extension"
run register --id epub wr.epub
expect_match "$out" ': epub, ' "EPUB by its extension"
run register --id html wr.html
expect_match "$out" ': html, ' "HTML by its extension"
# By content: the same containers without their extensions.
cp wr.docx upload-1; cp wr.epub upload-2
PICKET_DB=$T/sniff.db run register upload-1 upload-2
expect_match "$out" 'upload-1: docx, ' "DOCX by content (word/document.xml)"
expect_match "$out" 'upload-2: epub, ' "EPUB by content (mimetype first)"

run works --json
expect_match "$(grep '"id":"md"' <<<"$out")" '"title":"The Writers Room \(md\)","author":"Sam Doe"' "Markdown front matter"
expect_match "$(grep '"id":"docx"' <<<"$out")" '"title":"The Writers Room","author":"Sam Doe"' "DOCX core properties"
expect_match "$(grep '"id":"epub"' <<<"$out")" '"title":"The Writers Room","author":"Sam Doe"' "EPUB metadata"
expect_match "$(grep '"id":"html"' <<<"$out")" '"title":"The Writers Room"' "HTML <title>"

q() { sqlite3 "$PICKET_DB" "select $1 from works where id='$2'"; }
for w in md docx epub html; do
  n=$(q tokens $w)
  [ "$n" -ge 795 ] && [ "$n" -le 815 ] && ok "$w: the essay's words ($n)" || fail "$w: $n words, expected about 801"
done
[ "$(q fingerprints md)" = "$(q fingerprints docx)" ] && ok "same fingerprints as .md and .docx" || fail "fingerprints differ"

# A quote of one paragraph, found in every form, with its lines.
L=$(grep -n '^The first thing I tell' "$M" | cut -d: -f1)
{ echo "Someone posted this without credit:"; sed -n "${L}p" "$M"; echo "Great advice."; } > quote.txt
run scan quote.txt
expect_eq "$rc" 0 "scan"
for w in md docx epub html; do
  expect_match "$(grep "\"work\":\"$w\"" <<<"$out" || true)" '"work_start_line":[0-9]+' "found in $w"
done
expect_match "$(grep '"work":"md"' <<<"$out")" "\"work_start_line\":$((L + 4)),\"work_end_line\":$((L + 4))" "Markdown: its source line"
H=$(grep -n 'The first thing I tell' wr.html | head -1 | cut -d: -f1)
expect_match "$(grep '"work":"html"' <<<"$out")" "\"work_start_line\":$H,\"work_end_line\":$H" "HTML: its source line ($H)"

# Refusals: a zip bomb and a DOCX with an entity bomb, quickly; the file
# after them is still registered.
python3 - <<'PY'
import zipfile
with zipfile.ZipFile("bomb.docx", "w", zipfile.ZIP_DEFLATED) as z:
    with z.open("word/document.xml", "w", force_zip64=True) as f:
        block = b"\0" * (1 << 20)
        for _ in range(512):
            f.write(block)
ent = '<!ENTITY a "aaaaaaaaaa">' + "".join('<!ENTITY %s "%s">' % (c, ("&%s;" % p) * 10) for p, c in zip("abcdefgh", "bcdefghi"))
with zipfile.ZipFile("laughs.docx", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("word/document.xml", '<?xml version="1.0"?>\n<!DOCTYPE w:document [%s]><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&i;</w:t></w:r></w:p></w:body></w:document>' % ent)
PY
start=$(date +%s)
run register bomb.docx laughs.docx "$M"
took=$(( $(date +%s) - start ))
expect_eq "$rc" 2 "refusals reported"
expect_match "$errs" 'bomb.docx.*inflates past' "zip bomb refused"
expect_match "$errs" 'laughs.docx.*DOCTYPE' "entity bomb refused"
expect_match "$out" 'registered the-writers-room' "the file after them registered"
[ "$took" -le 5 ] && ok "refused in ${took}s" || fail "refusals took ${took}s"
run register --format docx "$M"
expect_eq "$rc" 2 "a Markdown file forced to docx is refused"
run register --format rtf "$M"
expect_match "$errs" 'html, markdown, epub, docx' "--format lists the formats"
finish
