#!/usr/bin/env bash
# t07-screenplay.sh -- a Fountain screenplay is registered as what is said
# and done, and findings name its scenes and pages as well as its lines.
source "$(dirname "$0")/lib.sh"
S=$PK_SRC/sample/works/the-crossing.fountain

run register "$S"
expect_eq "$rc" 0 "register a screenplay"
expect_match "$out" 'registered the-crossing  \(.*: fountain, [0-9]+ words' "read as Fountain by its extension"
run works --json
expect_match "$out" '"title":"The Crossing"' "title from the title page"
expect_match "$out" '"author":"The picket sample authors"' "author from the title page"
expect_match "$out" '"format":"fountain"' "format listed"

# Words of the markup are not fingerprinted: scene headings, cues and the
# title page are not among the registered words.
words=$(sqlite3 "$PICKET_DB" "select tokens from works where id='the-crossing'")
all=$(tr -cs 'A-Za-z0-9' '\n' < "$S" | grep -c .)
[ "$words" -lt "$all" ] && ok "fewer words than the file ($words < $all)" || fail "markup fingerprinted: $words of $all"

# A page that quotes scene 6 (lines 129-136: action and dialogue, with the
# character cue the reader dropped in between).
{ echo "Fan transcript, posted without permission."; sed -n 129,137p "$S"; echo "Thoughts?"; } > quote.txt
run scan quote.txt
expect_eq "$rc" 0 "the quote is found"
expect_match "$out" '"work":"the-crossing"' "found in the screenplay"
expect_match "$out" '"work_start_scene":6,"work_end_scene":6' "scene 6"
expect_match "$out" '"work_start_line":129,"work_end_line":136' "lines 129-136 of the file"
sp=$(printf '%s' "$out" | sed -E 's/.*"work_start_page":([0-9]+),"work_end_page":([0-9]+).*/\1 \2/')
read -r p0 p1 <<<"$sp"
[ "${p0:-0}" -ge 2 ] && [ "$p1" -ge "$p0" ] && [ "$p1" -le 10 ] && ok "pages $p0-$p1" || fail "pages: '$sp'"
run check quote.txt
expect_match "$out" "scene 6, page" "check names the scene and page"

# The same file read as text: the same words as the file, no scenes.
rm -f "$PICKET_DB" "$PICKET_DB".pkx
run register --format text "$S"
expect_match "$out" ': text, ' "--format text"
run scan quote.txt
expect_match "$out" '"work_start_line":129' "found as text too"
if grep -q work_start_scene <<<"$out"; then fail "text has no scenes"; else ok "text has no scenes"; fi

# Content sniffing: a screenplay without the extension.
rm -f "$PICKET_DB" "$PICKET_DB".pkx
cp "$S" crossing-draft
run register crossing-draft
expect_match "$out" ': fountain, ' "recognized by its title page"
run register --format nonsense crossing-draft
expect_eq "$rc" 2 "unknown --format refused"
expect_match "$errs" "expected auto, text, fountain, fdx, " "and explained"
finish
