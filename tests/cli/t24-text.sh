#!/usr/bin/env bash
# t24-text.sh -- picket text: the text register fingerprints, one rendered
# line an output line (a Fountain screenplay without its markup, an HTML
# page without tags, script and style), --lines places, stdin, and errors.
source "$(dirname "$0")/lib.sh"

cat > s.fountain <<'EOF'
Title: The Test
Author: A. Writer

INT. KITCHEN - NIGHT

Rain on the window. Dee scrapes the grill.

DEE
(quietly)
Nobody's awake.

TEO
Then nobody's hungry.

CUT TO:

EXT. LOT - CONTINUOUS

A truck idles.
EOF
run text s.fountain
expect_eq "$rc" 0 "fountain: exit 0"
expect_eq "$out" "Rain on the window. Dee scrapes the grill.
Nobody's awake.
Then nobody's hungry.
A truck idles." "fountain: action and dialogue; no title page, headings, cues, parentheticals, transitions"
run text --lines s.fountain
expect_eq "$out" "p1 s1 l6	Rain on the window. Dee scrapes the grill.
p1 s1 l10	Nobody's awake.
p1 s1 l13	Then nobody's hungry.
p1 s2 l19	A truck idles." "fountain --lines: page, scene and source line, then a tab"

# Exactly what register fingerprints: the printed text, registered as plain
# text, gives the same words and fingerprints as the file itself.
json() { "$PICKET" register --db "$T/$1.db" --json "${@:2}" 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["words"], d["fingerprints"])'; }
"$PICKET" text "$PK_SRC/sample/works/night-shift.fountain" > night.txt
fp_file=$(json b "$PK_SRC/sample/works/night-shift.fountain")
expect_match "$fp_file" "^[0-9]{3,} [0-9]{2,}$" "night-shift.fountain registers: $fp_file (words, fingerprints)"
expect_eq "$(json a night.txt)" "$fp_file" "its text, registered as text: the same words and fingerprints"

cat > p.html <<'EOF'
<!DOCTYPE html>
<html><head><title>Page title</title>
<style>p { color: red }</style>
<script>var x = "<p>not text</p>";</script>
</head>
<body>
<h1>A  Heading</h1>
<p>First paragraph with <b>bold</b> and <a href="x">a link</a>.</p>
<p>Don&rsquo;t &amp; won&#x2019;t</p>
<ul><li>one<li>two</ul>
</body></html>
EOF
run text p.html
expect_eq "$out" "A Heading
First paragraph with bold and a link.
Don’t & won’t
one
two" "html: text only (no title, style, script or markup), entities decoded, white space collapsed"
run text --lines p.html
expect_eq "$out" "7	A Heading
8	First paragraph with bold and a link.
9	Don’t & won’t
10	one
10	two" "html --lines: the source line, then a tab"

cp p.html page.txt
run text --format html page.txt
expect_eq "$(sed -n 1p <<<"$out")" "A Heading" "--format html over a .txt name"
run text page.txt
expect_eq "$(sed -n 1p <<<"$out")" "<!DOCTYPE html>" ".txt is plain text: printed as it is"
run text --lines page.txt
expect_eq "$(sed -n 7p <<<"$out")" "7	<h1>A  Heading</h1>" "plain text --lines: line i is line i"
run text --format html - < p.html
expect_eq "$(sed -n 1p <<<"$out")" "A Heading" "'-' reads stdin"
printf '\xef\xbb\xbfone\ntwo' > bom.txt
run text --lines bom.txt
expect_eq "$out" "1	one
2	two" "a byte-order mark skipped, a last line without a newline ended"

run text --lines s.fountain p.html
expect_eq "$(sed -n '1p;5p' <<<"$out")" "s.fountain	p1 s1 l6	Rain on the window. Dee scrapes the grill.
p.html	7	A Heading" "--lines with several files: the file name first"

run text nosuch.html
expect_eq "$rc" 2 "a missing file: exit 2"
expect_eq "$errs" "picket: nosuch.html: No such file or directory" "one line naming the file"
expect_eq "$out" "" "and nothing on stdout"
run text s.fountain nosuch.html p.html
expect_eq "$rc" 2 "a missing file among others: exit 2"
expect_eq "$(wc -l <<<"$out")" 9 "the others are still printed"
run text --format nosuch p.html
expect_eq "$rc" 2 "an unknown --format: exit 2"
expect_match "$errs" "^picket: --format: expected auto, text, fountain.*got 'nosuch'$" "it names the formats"
run text
expect_eq "$rc" 2 "no FILE: exit 2"
expect_match "$errs" "^usage: picket text" "and the usage"
finish
