#!/usr/bin/env bash
# t19-canary.sh -- picket canary: copies for publication of a Fountain
# screenplay, an HTML page, a plain text and a Markdown essay carry their
# secret canaries where the docs say; the set and its null set are in the
# registry, the null set's sequences in no copy; what a crawler keeps is
# measured with real tools: the raw .fountain (scraped as it is) keeps the
# notes, afterwriting's PDF and pdftotext do not (with --visible they do);
# nginx serves the HTML copy and the .fountain, wget crawls them into a
# WARC, and picket's own WARC and HTML reading (canary --find) keeps the
# canaries of both, as pandoc's plain-text rendering of the HTML does.
# Also lookup with typing errors, and errors.
source "$(dirname "$0")/lib.sh"

WORKS=$PK_SRC/sample/works
"$PICKET" register "$WORKS/the-crossing.fountain" "$WORKS/salt-and-static.txt" "$WORKS/the-writers-room.md" >/dev/null
# The published canaries of set $1, one a line; the null set with $2=nulls.
canaries() { "$PICKET" canary --list --json --nulls | python3 -c '
import json, sys
want, field = int(sys.argv[1]), sys.argv[2]
for l in sys.stdin:
    s = json.loads(l)
    if s["set"] == want: print("\n".join(s[field]))' "$1" "${2:-canaries}"; }

# ---- Fountain: notes at the end ---------------------------------------------
cp "$WORKS/the-crossing.fountain" crossing.fountain
run canary crossing.fountain --count 3 --null 500
expect_eq "$rc" 0 "canary on a registered Fountain work"
expect_match "$out" "^canary set 1 for the-crossing: 3 canaries of 96 bits, 500 null sequences; fountain copy written to crossing.canary.fountain$" \
  "summary names the registered work and the default copy"
mapfile -t C1 < <(canaries 1)
expect_eq "${#C1[@]}" 3 "three published canaries listed"
expect_match "${C1[0]}" '^([bdfghjklmnprstvz][aiou][bdfghjklmnprstvz][aiou] ){7}[bdfghjklmnprstvz][aiou][bdfghjklmnprstvz][aiou]$' \
  "a canary is 8 CVCV words of the list"
expect_eq "$(tail -n 5 crossing.canary.fountain)" "[[Catalogue reference: ${C1[0]}]]

[[Catalogue reference: ${C1[1]}]]

[[Catalogue reference: ${C1[2]}]]" "Fountain: one note a canary after the last line"
expect_eq "$(head -c "$(wc -c < crossing.fountain)" crossing.canary.fountain | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' | md5sum)" \
  "$(sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' crossing.fountain | md5sum)" "the work itself is unchanged"
mapfile -t N1 < <(canaries 1 null_set)
expect_eq "${#N1[@]}" 500 "the null set is in the registry (--nulls)"
run canary --list crossing.fountain
expect_eq "$(grep -c '^  canary ' <<<"$out")" 3 "--list by file: published canaries only"
expect_eq "$(grep -c '^  null ' <<<"$out" || true)" 0 "--list shows no null sequence without --nulls"
leak=0
for n in "${N1[@]}"; do grep -qF "$n" crossing.canary.fountain && leak=1; done
expect_eq "$leak" 0 "no null sequence is in the copy"
expect_eq "$(sqlite3 "$PICKET_DB" "select count(*), sum(published) from canaries where set_id=1")" "503|3" \
  "canaries table: 503 rows, 3 published"
expect_eq "$(sqlite3 "$PICKET_DB" "select copy_sha256 from canary_sets where id=1")" \
  "$(sha256sum crossing.canary.fountain | cut -d' ' -f1)" "the registry records the copy's SHA-256"

# A scraper of the .fountain keeps the notes: found as a text file.
run canary --find crossing.canary.fountain
expect_eq "$rc" 0 "raw .fountain: canaries found (exit 0)"
expect_eq "$(grep -c '"published":true,"matched_words":8' out)" 3 "raw .fountain: all three, exactly"
# The copy is still the work: scan finds it.
run scan crossing.canary.fountain
expect_match "$out" '"work":"the-crossing"' "the canary copy still scans as the work"

# In print the notes are gone: afterwriting's PDF, through pdftotext.
AW=$PK_DEPS/node_modules/.bin/afterwriting
if [ -x "$AW" ] && command -v pdftotext >/dev/null; then
  "$AW" --source crossing.canary.fountain --pdf hidden.pdf --overwrite </dev/null >aw.log 2>&1 || cat aw.log >&2
  pdftotext hidden.pdf hidden.txt
  expect_match "$(cat hidden.txt)" "HALVARD FINE ART" "PDF: the screenplay is there"
  run canary --find hidden.txt
  expect_eq "$rc" 1 "PDF of the notes copy: no canary (notes are not printed)"
  run canary crossing.fountain --count 2 --visible --out visible.fountain
  expect_eq "$rc" 0 "canary --visible"
  mapfile -t C2 < <(canaries 2)
  expect_eq "$(tail -n 1 visible.fountain)" "Catalogue reference: ${C2[1]}" "--visible: action lines, no note brackets"
  "$AW" --source visible.fountain --pdf visible.pdf --overwrite </dev/null >aw.log 2>&1 || cat aw.log >&2
  pdftotext visible.pdf visible.txt
  run canary --find visible.txt
  expect_eq "$(grep -c '"set":2,"work":"the-crossing","canary":[01],"published":true' out)" 2 \
    "PDF of the --visible copy: both canaries kept by pdftotext"
else
  echo "SKIP: afterwriting or pdftotext missing; PDF checks not run"
fi

# ---- plain text and Markdown: a colophon --------------------------------------
run canary "$WORKS/salt-and-static.txt" --count 2 --out salt.txt --json
expect_eq "$rc" 0 "canary on plain text"
S=$(python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["set"])' <<<"$out")
mapfile -t C3 < <(canaries "$S")
expect_eq "$(tail -n 3 salt.txt)" "
Catalogue reference: ${C3[0]}
Catalogue reference: ${C3[1]}" "text: colophon lines after a blank line"
run canary "$WORKS/the-writers-room.md" --out room.md
expect_eq "$rc" 0 "canary on Markdown"
mapfile -t C4 < <(canaries "$((S + 1))")
expect_eq "$(tail -n 1 room.md)" "Catalogue reference: ${C4[0]}" "Markdown: a closing paragraph"
run canary --find salt.txt room.md
expect_eq "$(grep -c '"published":true' out)" 3 "text and Markdown copies: 3 canaries found"
if command -v pandoc >/dev/null; then
  pandoc -f markdown -t plain room.md -o room.plain
  run canary --find room.plain
  expect_eq "$rc" 0 "pandoc's rendering of the Markdown copy keeps the canary"
fi

# ---- HTML: served by nginx, crawled by wget into a WARC ---------------------------
mkdir -p site ng/tmp
cat > page.html <<'EOF'
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>The Crossing, scene one</title></head>
<body><nav><a href="/">Home</a></nav>
<main><article><h1>The Crossing</h1>
<p>Sodium lights buzz over a wet loading ramp. The MV CORRIEMORE, a blunt,
rust-streaked car ferry, swallows a slow line of vehicles.</p>
</article></main>
<footer><p>All rights reserved.</p></footer>
</body></html>
EOF
run canary page.html --count 2 --out site/index.html
expect_eq "$rc" 0 "canary on HTML"
mapfile -t C5 < <(canaries "$((S + 2))")
expect_match "$(tr -d '\n' < site/index.html)" \
  "rust-streaked car ferry, swallows a slow line of vehicles\.</p><p class=\"picket-colophon\" style=\"font-size:small;color:#767676\">Catalogue reference: ${C5[0]}</p><p class=\"picket-colophon\"[^>]*>Catalogue reference: ${C5[1]}</p></article>" \
  "HTML: small colophon paragraphs at the end of the article"
if command -v pandoc >/dev/null; then
  pandoc -f html -t plain site/index.html -o page.plain
  run canary --find page.plain
  expect_eq "$(grep -c '"published":true' out)" 2 "pandoc's plain-text rendering keeps both"
fi

NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; }
if [ -z "$NGINX" ] || ! command -v wget >/dev/null; then
  echo "SKIP: nginx or wget is not installed (./setup.sh installs them); crawl not run"
  finish
  exit 0
fi
mkdir -p ng
PORT=$(free_port)
{ nginx_preamble "$T/ng"; cat <<EOF
  types { text/html html; text/plain fountain; }
  default_type application/octet-stream;
  charset utf-8;
  gzip on;
  gzip_min_length 1;
  server { listen 127.0.0.1:$PORT; root $T/site; index index.html; }
}
EOF
} > ng/nginx.conf
start_nginx "$T/ng" "$PORT"
set +e
cp crossing.canary.fountain site/crossing.fountain
wget --quiet --compression=gzip --warc-file=crawl -e robots=off --directory-prefix=mirror "http://127.0.0.1:$PORT/" \
  "http://127.0.0.1:$PORT/crossing.fountain"
wrc=$?
set -e
expect_eq "$wrc" 0 "wget crawled the page and the .fountain (gzip)"
run canary --find crawl.warc.gz
expect_eq "$rc" 0 "WARC: canaries found (exit 0)"
expect_eq "$(grep -c "\"url\":\"http://127.0.0.1:$PORT/\",\"set\":$((S + 2)),.*\"published\":true,\"matched_words\":8" out)" 2 \
  "WARC: picket's HTML rendering of the crawled page keeps both canaries, by URL"
expect_eq "$(grep -c "\"url\":\"http://127.0.0.1:$PORT/crossing.fountain\",\"set\":1,.*\"published\":true,\"matched_words\":8" out)" 3 \
  "WARC: the crawled .fountain keeps its three notes"
expect_match "$errs" "5 published canaries found, 0 null sequences" "summary on stderr"

# ---- lookup with typing errors -------------------------------------------------
typo=$(sed -E 's/^(.)/x\1/; s/ (.)(...)$/ q\2/' <<<"${C1[0]}")
echo "as quoted: $typo" > typo.txt
run canary --find typo.txt
expect_eq "$rc" 1 "two words mistyped: not an exact hit (exit 1)"
run canary --find --max-miss 2 typo.txt
expect_match "$out" '"canary":0,"published":true,"matched_words":6' "--max-miss 2 finds it, 6 of 8 words"

# ---- errors ------------------------------------------------------------------------
run canary "$WORKS/the-crossing.fountain" --format pdf
expect_eq "$rc" 2 "a PDF work is refused (exit 2)"
run canary --list no-such-work
expect_eq "$rc" 1 "--list of an unknown work: exit 1"
run canary crossing.fountain --count 0
expect_eq "$rc" 2 "--count 0 is refused"
run canary
expect_eq "$rc" 2 "no WORK: usage"
echo "plain words" > unreg.txt
run canary unreg.txt --out unreg.canary.txt
expect_match "$errs" "warning: unreg.txt is not registered; the canary set names it 'unreg.txt'" "unregistered work: a warning"
expect_eq "$rc" 0 "an unregistered work still gets a set"

finish
