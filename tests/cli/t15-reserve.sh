#!/usr/bin/env bash
# t15-reserve.sh -- publishing a reservation from AI training, end to end:
# `picket reserve init` merges AI crawler groups into a site's existing
# robots.txt (its other groups keep their meaning: checked with `picket
# robots` before and after, including a file that ends in an open group),
# writes tdmrep.json, ai.txt and server snippets, and a second run changes
# nothing.  A real nginx on loopback serves the site with the generated
# nginx snippet included, and curl checks the headers and files.  Then
# `reserve stamp` on HTML, an EPUB made by pandoc and a PDF: the PDF's XMP
# is read back with exiftool (not picket, not poppler), the EPUB's package
# document with unzip, and both still register (poppler, libarchive).
source "$(dirname "$0")/lib.sh"

POLICY='https://studio.example/tdm-policy.html?v=1&lang=en'

# ---- a site with its own robots.txt -----------------------------------------
mkdir -p site
cat > site/robots.txt <<'EOF'
# The studio's robots.txt
User-agent: *
Disallow: /drafts/
Allow: /drafts/public.html

User-agent: Googlebot
Disallow: /nogoogle/

User-agent: OAI-SearchBot
Disallow: /private-search/

User-agent: quxbot
EOF
cat > site/index.html <<'EOF'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Scripts</title></head>
<body><p>The crossing, a screenplay.</p></body></html>
EOF
mkdir -p site/drafts && echo '<html><head></head><body>draft</body></html>' > site/drafts/a.html
cp site/robots.txt robots.before

# verdicts before: "agent path -> exit status"
verdicts() {
  for a in GPTBot ClaudeBot CCBot OAI-SearchBot PerplexityBot ChatGPT-User Googlebot quxbot SomeBot; do
    for p in / /drafts/x /drafts/public.html /nogoogle/y /private-search/z /index.html; do
      set +e; "$PICKET" robots "$1" "$a" "$p" >/dev/null 2>&1; echo "$a $p $?"; set -e
    done
  done
}
verdicts site/robots.txt > verdicts.before
run robots site/robots.txt GPTBot /index.html
expect_eq "$rc" 0 "before: GPTBot may fetch /index.html"
run robots site/robots.txt GPTBot /drafts/x
expect_eq "$rc" 1 "before: GPTBot obeys '*': /drafts/ disallowed"
expect_match "$out" "line 3: Disallow: /drafts/ \\(the '\\*' group\\)" "the deciding rule and line are printed"
run robots site/robots.txt GPTBot https://studio.example/drafts/public.html
expect_eq "$rc" 0 "a whole URL: its path is used; the longer Allow wins"
run robots missing.txt GPTBot /
expect_eq "$rc" 2 "a missing robots.txt is an error"

# ---- dry run writes nothing --------------------------------------------------
run reserve init --dir site --policy "$POLICY" --allow search --dry-run
expect_eq "$rc" 0 "init --dry-run"
expect_match "$out" "would update +robots.txt" "dry run says what it would do"
cmp -s site/robots.txt robots.before && [ ! -e site/ai.txt ] && ok "dry run wrote nothing" || fail "dry run wrote files"

# ---- init ------------------------------------------------------------------------
run reserve init --dir site --policy "$POLICY" --allow search
expect_eq "$rc" 0 "reserve init"
expect_match "$out" "updated +robots.txt" "robots.txt updated"
expect_match "$out" "created +\\.well-known/tdmrep\\.json" "tdmrep.json created"
expect_match "$out" "training +GPTBot +allowed 7/8 -> 0/8" "before/after verdicts shown for GPTBot"
expect_match "$out" "other +Googlebot +allowed 7/8, unchanged" "Googlebot's verdicts unchanged"
expect_match "$out" "search +OAI-SearchBot .*unchanged" "an allowed crawler the site names keeps its group"
for f in robots.txt .well-known/tdmrep.json ai.txt .picket/nginx.conf .picket/apache.conf .picket/picket.caddy .picket/meta.html; do
  [ -s "site/$f" ] || fail "site/$f missing"
done
ok "all files written"
# the old text is kept byte for byte at the top
head -c "$(wc -c < robots.before)" site/robots.txt | cmp -s - robots.before && ok "old robots.txt kept byte for byte" \
  || fail "old robots.txt text changed"
ls site/*.picket-* site/.well-known/*.picket-* 2>/dev/null && fail "temporary files left behind" || ok "no temporary files left"

verdicts site/robots.txt > verdicts.after
# training, corpus and user-fetch crawlers: everything disallowed but /robots.txt
for a in GPTBot ClaudeBot CCBot ChatGPT-User; do
  n=$(grep -c "^$a .* 1$" verdicts.after || true)
  expect_eq "$n" 6 "after: $a disallowed on all 6 paths"
done
run robots site/robots.txt GPTBot /robots.txt
expect_eq "$rc" 0 "after: /robots.txt itself stays allowed"
# everyone else: exactly the same verdicts as before
for a in OAI-SearchBot PerplexityBot Googlebot quxbot SomeBot; do
  if diff <(grep "^$a " verdicts.before) <(grep "^$a " verdicts.after) >/dev/null; then ok "after: $a unchanged"
  else fail "after: $a changed: $(diff <(grep "^$a " verdicts.before) <(grep "^$a " verdicts.after) | tr '\n' ' ')"; fi
done
# the open last group (quxbot) was closed, so picket's groups did not join it
run robots site/robots.txt quxbot /drafts/x
expect_eq "$rc" 0 "quxbot's empty group still allows everything"
# PerplexityBot (search, allowed) got a copy of the '*' rules
run robots site/robots.txt PerplexityBot /drafts/x
expect_eq "$rc" 1 "PerplexityBot: the copied '*' Disallow: /drafts/"
expect_match "$out" "its own group" "PerplexityBot now obeys its own group"
run robots --json site/robots.txt SomeBot /index.html
expect_match "$out" '"content_usage":"Content-Usage: train-ai=n; Content-Signal: ai-train=no"' "Content-Usage for every other crawler"
python3 - site/.well-known/tdmrep.json "$POLICY" <<'PY' && ok "tdmrep.json: the whole site reserved, with the policy" || fail "tdmrep.json"
import json, sys
rules = json.load(open(sys.argv[1]))
assert rules == [{"location": "/*", "tdm-reservation": 1, "tdm-policy": sys.argv[2]}], rules
PY

# ---- idempotence -------------------------------------------------------------------
cp -a site site.1
run reserve init --dir site --policy "$POLICY" --allow search
expect_eq "$rc" 0 "second init"
expect_eq "$(grep -c '^  unchanged' <<<"$out")" 7 "second init: all 7 files unchanged"
diff -r site.1 site >/dev/null && ok "second init changed no byte" || fail "second init changed files"
# a changed policy replaces picket's block, not the site's text
run reserve init --dir site --policy "https://studio.example/other"
expect_eq "$(grep -c 'BEGIN picket reserve' site/robots.txt)" 1 "one picket block after a change"
run robots site/robots.txt OAI-SearchBot /index.html
expect_eq "$rc" 1 "without --allow search, search crawlers are reserved too"
run reserve init --dir site --policy "$POLICY" --allow search
diff -r site.1 site >/dev/null && ok "back to the first options: the same bytes" || fail "init is not a function of its options"
run reserve init --dir site --allow training
expect_eq "$rc" 2 "--allow training is refused"
run reserve init --dir site --policy 'javascript:alert(1)'
expect_eq "$rc" 2 "a policy that is not an http(s) URL is refused"
run reserve init --dir site --policy 'https://x.example/"><script>'
expect_eq "$rc" 2 "a policy URL with quotes or angle brackets is refused"

# ---- nginx serves the site with the snippet ----------------------------------------
NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; }
if [ -z "$NGINX" ] || ! command -v curl >/dev/null; then
  echo "SKIP: nginx or curl is not installed (./setup.sh installs them); serving test not run"
else
  mkdir -p ng
  PORT=$(free_port)
  { nginx_preamble "$T/ng"; cat <<EOF
  types { text/html html; text/plain txt; application/json json; }
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$PORT;
    root $T/site;
    index index.html;
    include $T/site/.picket/nginx.conf;
  }
}
EOF
  } > ng/nginx.conf
  start_nginx "$T/ng" "$PORT"
  ok "nginx serving the site on 127.0.0.1:$PORT with the generated snippet"
  B=http://127.0.0.1:$PORT
  h=$(curl -sS -D - -o /dev/null "$B/index.html" | tr -d '\r')
  expect_match "$h" '^HTTP/1.1 200' "index.html served"
  expect_match "$h" '^tdm-reservation: 1$' "tdm-reservation header"
  expect_match "$h" "^tdm-policy: https://studio.example/tdm-policy.html\\?v=1&lang=en\$" "tdm-policy header"
  expect_match "$h" '^Content-Usage: train-ai=n$' "Content-Usage header"
  expect_match "$h" '^X-Robots-Tag: noai, noimageai$' "X-Robots-Tag header"
  h=$(curl -sS -D - -o /dev/null "$B/nothing-here" | tr -d '\r')
  expect_match "$h" '^tdm-reservation: 1$' "the header on a 404 too (always)"
  curl -sS "$B/robots.txt" | cmp -s - site/robots.txt && ok "robots.txt served as written" || fail "robots.txt served"
  curl -sS "$B/.well-known/tdmrep.json" | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r[-1]["tdm-reservation"]==1' \
    && ok "tdmrep.json served and parses" || fail "tdmrep.json served"
  h=$(curl -sS -D - -o /dev/null "$B/.well-known/tdmrep.json" | tr -d '\r')
  expect_match "$h" '^Content-Type: application/json' "tdmrep.json is application/json"
  expect_match "$(curl -sS "$B/ai.txt")" '^Disallow: /$' "ai.txt served"
  curl -sS "$B/robots.txt" -o fetched-robots.txt
  run robots fetched-robots.txt GPTBot "$B/index.html"
  expect_eq "$rc" 1 "the served robots.txt disallows GPTBot"
fi

# ---- stamp: HTML ----------------------------------------------------------------------
cp site/index.html page.html
run reserve stamp --policy "$POLICY" page.html
expect_eq "$rc" 0 "stamp HTML"
expect_match "$(cat page.html)" '<head>$' "head kept"
expect_match "$(sed -n 3p page.html)" '^<meta name="tdm-reservation" content="1"/>$' "tdm-reservation meta first in <head>"
expect_match "$(cat page.html)" 'content="https://studio.example/tdm-policy.html\?v=1&amp;lang=en"' "tdm-policy meta, & escaped"
cp page.html page.1
run reserve stamp --policy "$POLICY" page.html
expect_match "$out" "already stamped" "stamping HTML twice: already stamped"
cmp -s page.html page.1 && ok "HTML unchanged the second time" || fail "HTML changed the second time"

# ---- stamp: EPUB (pandoc) ----------------------------------------------------------------
if command -v pandoc >/dev/null && command -v unzip >/dev/null; then
  brown ca01 > book.md
  pandoc book.md -o book.epub --metadata title="Press Reports"
  run reserve stamp --policy "$POLICY" -o stamped.epub book.epub
  expect_eq "$rc" 0 "stamp EPUB"
  opf=$(unzip -p stamped.epub EPUB/content.opf)
  expect_match "$opf" '<meta property="tdm:reservation">1</meta>' "OPF: tdm:reservation"
  expect_match "$opf" '<meta property="tdm:policy">https://studio.example/tdm-policy.html\?v=1&amp;lang=en</meta>' "OPF: tdm:policy"
  expect_match "$opf" 'prefix="tdm: http://www.w3.org/ns/tdmrep#' "OPF: the tdm prefix declared"
  expect_eq "$(unzip -Z1 stamped.epub | head -1)" mimetype "mimetype is the first entry"
  expect_match "$(unzip -Zv stamped.epub mimetype)" 'compression method: +none \(stored\)' "mimetype stored"
  unzip -tq stamped.epub >/dev/null && ok "EPUB zip tests clean" || fail "EPUB zip damaged"
  diff <(unzip -Z1 book.epub | sort) <(unzip -Z1 stamped.epub | sort) >/dev/null && ok "same entries" || fail "entries changed"
  diff <(unzip -p book.epub EPUB/text/ch001.xhtml) <(unzip -p stamped.epub EPUB/text/ch001.xhtml) >/dev/null \
    && ok "chapter bytes unchanged" || fail "chapter changed"
  cp stamped.epub again.epub
  run reserve stamp --policy "$POLICY" again.epub
  expect_match "$out" "already stamped" "stamping EPUB twice: already stamped"
  cmp -s again.epub stamped.epub && ok "EPUB unchanged the second time" || fail "EPUB changed the second time"
  run register --id book-stamped stamped.epub
  expect_eq "$rc" 0 "the stamped EPUB still registers"
else
  echo "SKIP: pandoc or unzip missing; EPUB stamp not tested"
fi

# ---- stamp: PDF (qpdf writes, exiftool reads) ---------------------------------------------
python3 - doc.pdf <<'PY'
import sys
lines = ["The ferry left the harbour at nine in the evening and nobody on the",
         "quay waved, not the harbour master, not the girl with the bicycle,",
         "not even the old man who had waved at every ferry for forty years."]
content = "BT /F1 11 Tf 72 720 Td 14 TL " + " ".join("(%s) '" % l for l in lines) + " ET"
objs = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        "<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
out = bytearray(b"%PDF-1.4\n"); offs = []
for i, o in enumerate(objs, 1):
    offs.append(len(out)); out += b"%d 0 obj\n%s\nendobj\n" % (i, o.encode())
x = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for o in offs: out += b"%010d 00000 n \n" % o
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
open(sys.argv[1], "wb").write(out)
PY
run reserve stamp --policy "$POLICY" -o stamped.pdf doc.pdf
expect_eq "$rc" 0 "stamp PDF"
expect_match "$out" "stamped doc.pdf \\(pdf\\) -> stamped.pdf" "stamp says what it did"
if command -v exiftool >/dev/null; then
  x=$(exiftool -s -XMP-tdm:all stamped.pdf)
  expect_match "$x" '^Reservation +: 1$' "exiftool reads tdm:reservation 1 from the XMP"
  expect_match "$x" '^Policy +: https://studio.example/tdm-policy.html\?v=1&lang=en$' "exiftool reads tdm:policy"
  expect_match "$(exiftool -s -XMP:all stamped.pdf)" 'Reservation' "XMP packet found by exiftool"
else
  fail "exiftool is not installed (./setup.sh installs libimage-exiftool-perl)"
fi
cp stamped.pdf again.pdf
run reserve stamp --policy "$POLICY" again.pdf
expect_match "$out" "already stamped" "stamping PDF twice: already stamped"
cmp -s again.pdf stamped.pdf && ok "PDF unchanged the second time" || fail "PDF changed the second time"
run reserve stamp --policy "https://studio.example/v2" again.pdf
expect_eq "$(exiftool -s -s -s -XMP-tdm:Policy again.pdf 2>/dev/null)" "https://studio.example/v2" "a new policy replaces the old"
expect_eq "$(exiftool -s -XMP-tdm:all again.pdf 2>/dev/null | grep -c Reservation)" 1 "one reservation, not two"
if command -v pdftotext >/dev/null; then
  expect_match "$(pdftotext stamped.pdf -)" "not even the old man who had waved" "poppler reads the stamped PDF's text"
fi
run register --id doc-stamped stamped.pdf
expect_eq "$rc" 0 "the stamped PDF still registers (poppler)"
expect_match "$out" "stamped.pdf: pdf" "read as PDF"

# ---- errors ----------------------------------------------------------------------------------
printf 'plain words, no markup\n' > notes.txt
run reserve stamp notes.txt
expect_eq "$rc" 2 "stamp refuses a file that is not HTML, EPUB or PDF"
expect_match "$errs" "not HTML, EPUB or PDF" "and says why"
run reserve nosuch
expect_eq "$rc" 2 "unknown reserve subcommand"
run reserve agents --json
expect_eq "$rc" 0 "reserve agents --json"
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["version"] and d["date"]; t={a["token"]:a for a in d["agents"]}; assert t["GPTBot"]["purpose"]=="training" and t["OAI-SearchBot"]["purpose"]=="search" and t["CCBot"]["operator"]=="Common Crawl"' "$out" \
  && ok "agents JSON: version, date, tokens with operator and purpose" || fail "agents JSON"
run reserve agents
expect_match "$out" "^user-fetch$" "agents grouped by purpose"

finish
