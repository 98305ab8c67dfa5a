#!/usr/bin/env bash
# t23-html-browser.sh -- picket's HTML text against a real browser's.
#
# For each page below (small pages written for one tokenizer or tree-builder
# rule each, and 20 realistic pages of bench/warcgen.py), `picket text
# --format html PAGE` is compared with what a headless Chromium shows of it:
# document.body.innerText of the page loaded as it is, top-level, from its
# file:// URL, with the page's own style sheets turned off, as picket reads
# no CSS (tests/cli/innertext.py: one Chromium for every page, driven over
# the DevTools protocol on a pipe).  The two are compared as sequences of
# words (tests/cli/wordsdiff.py): split on anything that is not a letter or
# digit, lower-cased, with ' and U+2019 inside a word dropped (picket reads
# "don't" as "dont").  Line structure may differ, but a word that picket
# splits across two lines where Chromium has it whole is named (SPLIT).
# Each page prints PASS or where the two word sequences part; any
# difference fails the test, except on the pages in KNOWN, which differ by
# design (each with its reason).  It is the acceptance test of the HTML
# renderer (src/fmt/html.c).  The pages, both texts and the report are left
# in test-output/t23-html-browser beside the picket binary.
source "$(dirname "$0")/lib.sh"

CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$CHROMIUM" ] || { echo "FAIL: no chromium (./setup.sh installs it)" >&2; exit 1; }

# Pages where picket and Chromium differ by design: NAME<TAB>reason.
KNOWN=$(cat <<'EOF'
select	<select>: picket drops the option list (a menu, one option shown at a time); Chromium's innerText has every option
textarea	<textarea>: picket keeps the text the box shows; Chromium's innerText leaves form-control contents out
table-foster	text inside <table> but outside a cell: the tree builder moves it before the table; picket keeps source order
entities-html5	names only HTML5 has (&percnt; &colon; &period;): picket knows libxml2's table, HTML 4's names and &apos;
self-closing	<script/>: picket closes it, as XHTML (EPUB chapters) does; HTML ignores the '/' and the script runs to the next </script>
EOF
)

mkdir -p pages
page() { cat > "pages/$1.html"; } # NAME < HTML

page ordinary <<'EOF'
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>The Evening Gazette: harbour news</title>
<link rel="stylesheet" href="site.css">
<style>
body { font-family: Georgia, serif; max-width: 40em }
.nav li { display: inline; margin: 0 .5em }
</style>
<script>
window.dataLayer = window.dataLayer || [];
function track(e) { dataLayer.push({event: e, ts: Date.now()}); }
track("view");
</script>
</head>
<body>
<header>
<nav><ul class="nav"><li><a href="/">Home</a></li><li><a href="/news/">News</a></li><li><a href="/sport/">Sport</a></li></ul></nav>
</header>
<main>
<article>
<h1>Ferry returns to the harbour</h1>
<p class="byline">By <a href="/staff/ann">Ann Smith</a>, harbour correspondent</p>
<p>The old car ferry came back on Tuesday after <em>three</em> months in dry dock,
and the queue of vans on the ramp was longer than anyone on the quay remembered.</p>
<p>Its captain, who asked not to be named, said the engines had been rebuilt
"from the keel up" and that the crossing would now take forty minutes.</p>
<blockquote><p>We missed the noise of it more than we expected.</p></blockquote>
</article>
</main>
<footer><p>Copyright 2024 The Evening Gazette. All rights reserved.</p></footer>
<script>track("end");</script>
</body>
</html>
EOF

page entities <<'EOF'
<!DOCTYPE html>
<p>Fish &amp; chips; rock&mdash;and&mdash;roll; a&nbsp;b.</p>
<p>Don&rsquo;t and won&#x2019;t, can&apos;t and it&#39;s.</p>
<p>Caf&eacute; and caf&#233; and caf&#xE9; and caf&#XE9;; na&iuml;ve; &Eacute;mile.</p>
<p>&lt;p&gt; is a tag; &quot;quoted&quot;; 10% off; &#8364;5; x&#x202F;y.</p>
EOF

page entities-html5 <<'EOF'
<!DOCTYPE html>
<p>Ten&percnt;off, a&colon;b, and &NewLine;so&period;</p>
EOF

page entities-legacy <<'EOF'
<!DOCTYPE html>
<p>&copy 2020 Acme, and &COPY 2021 too.</p>
<p>Caf&eacute au lait, cr&egrave me br&ucirc;l&eacutee.</p>
<p>I'm &notit; I tell you; &not a word.</p>
<p>Fish &amp chips; AT&T; R&D; a &foo; b &bar c.</p>
EOF

page entities-numeric <<'EOF'
<!DOCTYPE html>
<p>Decimal &#233;t&#233; and hex &#xE9;t&#xE9; and &#XE9;t&#Xe9;.</p>
<p>C1, as windows-1252: &#x8A;koda, &#138;koda, &#x9F;ear.</p>
<p>No semicolon: caf&#233 and caf&#xe9 too.</p>
<p>Bad: a&#0;b, c&#xD800;d, e&#x110000;f, g&#;h, i&#x;j, k&#xZZ;l, m&#65q.</p>
EOF

page comments <<'EOF'
<!DOCTYPE html>
<p>one <!-- a -- b --> two</p>
<p>three <!--> four</p>
<p>five <!---> six</p>
<p>seven <!-- x --!> eight</p>
<p>nine <!-- <p>hidden</p> --> ten</p>
<p>eleven <!----> twelve</p>
<p>thirteen <! bogus comment > fourteen <?php echo "pi"; ?> fifteen</p>
EOF

page script <<'EOF'
<!DOCTYPE html>
<html><head><script>
var end = "</scr" + "ipt>";
var html = "<p>not text</p>";
if (1 < 2 && 3 > 2) { var s = '<!-- not a comment -->'; }
</script></head>
<body>
<p>before script</p>
<script type="text/template"><p>template text</p></script>
<script>document.documentElement.className = "js";</script>
<p>after script</p>
</body></html>
EOF

# In a script, "<!--" then "<script" (double-escaped) makes the next
# "</script>" part of the script; "<!--" alone does not.
page script-escaped <<'EOF'
<!DOCTYPE html>
<p>visible one</p>
<script><!-- var s = "<script>hidden</script> hidden too"; --></script>
<p>visible two</p>
<script><!-- var t = 1; </script> shown words "; </script>
<p>visible three</p>
EOF

page style <<'EOF'
<!DOCTYPE html>
<html><head><style>
p::before { content: "<b>not text</b>" }
/* </p> <p>still style</p> */
</style></head>
<body><p>styled text</p>
<style>.x { color: red } </style>
<p>more text</p></body></html>
EOF

page noscript <<'EOF'
<!DOCTYPE html>
<html><head><noscript><style>.js { display: none }</style></noscript></head>
<body>
<noscript><p>Please enable JavaScript.</p></noscript>
<p>main text</p>
<noscript>plain noscript text</noscript>
<p>end</p>
</body></html>
EOF

page template <<'EOF'
<!DOCTYPE html>
<p>before</p>
<template><p>template text</p><script>no</script></template>
<p>after</p>
<table><template><tr><td>in table template</td></tr></template><tr><td>cell</td></tr></table>
EOF

page uppercase <<'EOF'
<!DOCTYPE HTML>
<HTML><HEAD><TITLE>Upper title</TITLE>
<SCRIPT>var X = "<P>no</P>";</ScRiPt>
<STYLE>P { COLOR: RED }</STYLE></HEAD>
<BODY><P>Upper <B>case</B> tags</P><Div>Mixed Case</DIV>
<STYLE>P{}</STYLE><P>End</P></BODY></HTML>
EOF

page attributes <<'EOF'
<!DOCTYPE html>
<p><a title="a > b" href='x>y' data-x="<p>oops</p>">quoted</a> values,
<span title='it&apos;s > here' class="a&gt;b">spans</span> and
<abbr title=">">abbr</abbr>, <i data-a='"' data-b="'">quotes</i>
<b
  class="multi"
  id="line">multiline tag</b>
<input value="<p>input value</p>" type=hidden>
done</p>
EOF

page unquoted <<'EOF'
<!DOCTYPE html>
<p class=intro id=p1>Unquoted <a href=page.html?a=1&b=2 title=x>attribute</a> values
<span data-x=a"b data-y=c'd>odd</span> <em class=x/>slash</em> end</p>
<p data-empty= data-n=5>no value</p>
EOF

page lt <<'EOF'
<!DOCTYPE html>
<p>a < b and 1<2 and x <= y, a <3 heart, a<>b, c <- d,
e < /f, 5 <<6 and x< y.</p>
EOF

page end-tags <<'EOF'
<!DOCTYPE html>
<p>one</>two</p>
<p>three</ >four</p>
<p>five</6>six</p>
<p>seven</nosuch>eight</p>
<p>nine</br>ten</p>
EOF

page unclosed <<'EOF'
<!DOCTYPE html>
<p>para one
<p>para two
<ul><li>item one<li>item two<li>item three</ul>
<dl><dt>term<dd>definition</dl>
<p>end
EOF

page pre <<'EOF'
<!DOCTYPE html>
<pre>
  leading newline
    and   spaces	and tabs
</pre>
<p>between</p>
<pre>

two newlines <b>bold</b>
last</pre>
<p>after</p>
EOF

page textarea <<'EOF'
<!DOCTYPE html>
<p>before</p>
<textarea>
text in a box <b>not bold</b> &amp; more</textarea>
<p>after</p>
EOF

page self-closing <<'EOF'
<!DOCTYPE html>
<p>one</p>
<div/>two
<br/>three
<script src="nosuch.js"/>
<p>hidden in HTML</p>
<script>var end = 1;</script>
<p>four</p>
EOF

page br <<'EOF'
<!DOCTYPE html>
<p>hyphen<br>ated word<br/>s and in<br >side</p>
<p>line one<br><br>line three</p>
EOF

printf '<!DOCTYPE html>\r\n<html><head><title>crlf</title></head>\r\n<body>\r\n<p>First line\r\nsecond line of the same paragraph</p>\r\n<pre>pre one\r\npre two\r\n</pre>\r\n<p>last\rone\r</p>\r\n</body></html>\r\n' > pages/crlf.html

page outside-html <<'EOF'
Before html
<html><head><title>x</title></head>stray head text<body><p>inside</p></body></html>
after html
EOF

page no-html <<'EOF'
<title>Bare page</title>
<p>No html, head or body.</p>
<div>just divs</div>
EOF

page table <<'EOF'
<!DOCTYPE html>
<table>
<caption>Results</caption>
<tr><th>Name</th><th>Score</th></tr>
<tr><td>Ann</td><td>12</td></tr>
<tr><td>Bob</td><td>9</td></tr>
</table>
<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>
EOF

page table-foster <<'EOF'
<!DOCTYPE html>
<table><tr><td>cell</td></tr>stray table text<tr><td>last</td></tr></table>
EOF

page inline <<'EOF'
<!DOCTYPE html>
<p><b>a</b><i>b</i> <span>c</span><em>d</em> e<strong>f</strong>g</p>
<p>x</p><p>y</p><div>one</div>two<span>three</span>
<p><span>sp</span>
<span>aced</span> <a href="#">link</a><a href="#">link</a></p>
<p>h<sup>2</sup>o and co<sub>2</sub> and <code>co</code><kbd>de</kbd></p>
EOF

page select <<'EOF'
<!DOCTYPE html>
<p>Choose one:</p>
<select name="s"><option>First option<option value="2">Second option</select>
<p>after the select</p>
EOF

# windows-1252, declared: 0x93/0x94 quotes, 0x92 an apostrophe, 0xE9 e acute,
# 0xEF i diaeresis, 0x96 a dash.
printf '<!DOCTYPE html>\n<html><head><meta charset="windows-1252"><title>cp1252</title></head>\n<body><p>\x93Quoted\x94 caf\xe9 don\x92t na\xefve \x96 dash</p></body></html>\n' > pages/cp1252.html

page utf8-undeclared <<'EOF'
<!DOCTYPE html>
<html><head><title>no charset</title></head>
<body><p>café naïve résumé don’t über</p></body></html>
EOF

page plaintext <<'EOF'
<!DOCTYPE html>
<p>before</p>
<plaintext><b>not bold</b> &amp; </plaintext> more text</p>
<p>still plain</p>
EOF

page xmp <<'EOF'
<!DOCTYPE html>
<xmp><b>raw</b> &amp; text</xmp>
<p>after</p>
<listing>listing <b>text</b></listing>
EOF

# 20 realistic pages: Brown corpus paragraphs in the markup of a news site.
python3 "$PK_SRC/bench/warcgen.py" --brown "$BROWN" --works "$PK_SRC/sample/works" --out wg --mb 0.15 \
  --plant-every 10 2>/dev/null
for f in $(find wg/site -name 'p*.html' | sort | head -20); do cp "$f" "pages/brown-$(basename "$f")"; done
expect_eq "$(ls pages/brown-* | wc -l)" 20 "20 warcgen pages"

mkdir -p picket chrome
for f in pages/*.html; do
  n=$(basename "$f" .html)
  if ! "$PICKET" text --format html "$f" > "picket/$n.txt" 2> "picket/$n.err"; then
    fail "$n: picket text failed: $(cat "picket/$n.err")"
  fi
done
if python3 "$PK_SRC/tests/cli/innertext.py" "$CHROMIUM" "$T/profile" chrome pages/*.html; then
  ok "chromium read $(ls chrome | wc -l) pages"
else
  fail "chromium (log: $(tail -3 "$T/profile/chromium.log" 2>/dev/null))"
fi

expect_match "$(cat chrome/ordinary.txt)" "Ferry returns to the harbour" "chromium's text of a page is there"
expect_match "$(cat picket/ordinary.txt)" "Ferry returns to the harbour" "and picket's"

# The comparison itself catches a difference, and names a split word.
mkdir -p ctl/pages ctl/a ctl/b
touch ctl/pages/p.html
printf 'Home\nNews and more\n' > ctl/a/p.txt
printf 'HomeNews and more\n' > ctl/b/p.txt
ctl=$(cd ctl && python3 "$PK_SRC/tests/cli/wordsdiff.py" pages a b)
expect_match "$ctl" "^FAIL p: " "a control page that differs fails"
expect_match "$ctl" 'SPLIT: "homenews" is one word in the browser, split across picket lines 1-2' "and the split word is named"

printf '%s\n' "$KNOWN" > known.tsv
python3 "$PK_SRC/tests/cli/wordsdiff.py" pages picket chrome known.tsv > report.txt
cat report.txt
# Everything, for a look at a page's two texts side by side.
OUTDIR=$(dirname "$PICKET")/test-output/t23-html-browser
rm -rf "$OUTDIR" && mkdir -p "$OUTDIR" && cp -r pages picket chrome known.tsv report.txt "$OUTDIR/"
echo "pages, both texts and this report: $OUTDIR (again: cd there; python3 $PK_SRC/tests/cli/wordsdiff.py pages picket chrome known.tsv)"
while IFS=$'\t' read -r n s; do
  case $s in
    PASS) ok "$n: the same words as chromium" ;;
    KNOWN) ok "$n: a known difference ($(grep -P "^$n\t" known.tsv | cut -f2))" ;;
    *) fail "$n: picket's words differ from chromium's (diff above)" ;;
  esac
done < results.tsv
expect_eq "$(wc -l < results.tsv)" "$(ls pages | wc -l)" "every page compared"
finish
