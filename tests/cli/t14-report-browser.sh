#!/usr/bin/env bash
# t14-report-browser.sh -- the HTML report in a real headless Chromium:
# the page loads with no console message at all (it runs no script, so a
# CSP violation or an error would be one), the highlighted passages are in
# the DOM as elements, hostile text is text, and a screenshot is taken
# (into the build directory, beside the picket binary).  Runs as root
# with no display: --no-sandbox, --headless.
source "$(dirname "$0")/lib.sh"

CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$CHROMIUM" ] || { echo "FAIL: no chromium (./setup.sh installs it)" >&2; exit 1; }
OUTDIR=$(dirname "$PICKET")/test-output
mkdir -p "$OUTDIR"
chrome() { # chromium with a private profile; its log (console included) to $T/log
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
    --user-data-dir="$T/profile" --enable-logging=stderr --v=0 "$@" 2> "$T/log"
}

brown ca02 > ca02.txt
"$PICKET" register --keep-text --title "Brown A02" ca02.txt > /dev/null
python3 - <<'PY'
import json, re
t = open("ca02.txt").read()
toks = [m for m in re.finditer(r"\S+", t)]
w = lambda a, b: t[toks[a].start():toks[b].end()]
doc = "Posted by someone. " + w(300, 350) + " <script>console.error('injected')</script> " + w(351, 400)
open("docs.jsonl", "w").write(json.dumps({"id": "<img src=x onerror=console.error(1)>", "text": doc}) + "\n")
PY
"$PICKET" scan --quiet --with-text docs.jsonl > findings.jsonl
"$PICKET" report --out rep findings.jsonl 2> /dev/null

# The console check itself works: a page that logs an error is caught.
printf '<!DOCTYPE html><title>c</title><script>console.error("control-error")</script>\n' > control.html
chrome --dump-dom "file://$T/control.html" > /dev/null || true
expect_match "$(grep CONSOLE "$T/log" || true)" "control-error" "chromium's console reaches the log"

for page in report.html report-2.html; do
  if chrome --dump-dom "file://$T/rep/$page" > "$T/dom-$page"; then ok "$page: chromium loads it"; else fail "$page: chromium failed"; fi
  expect_eq "$(grep -c CONSOLE "$T/log" || true)" 0 "$page: no console message (no error, no CSP violation)"
done
dom=$(cat "$T/dom-report.html")
expect_match "$dom" "<h1>picket report</h1>" "the page rendered"
expect_match "$(grep -o '<mark>[^<]*</mark>' "$T/dom-report.html" | wc -l)" "^[1-9]" "highlighted passages are elements in the DOM"
expect_match "$(grep -c 'class="side work"><h4>Work, lines' "$T/dom-report.html")" "^1$" "the work's side, with its lines"
expect_match "$dom" "&lt;img src=x onerror=console.error\(1\)&gt;" "a hostile document id is text"
if grep -Eqi "<(script|img)[ >]" "$T/dom-report.html"; then fail "a script or img element in the DOM"; else ok "no script or img element in the DOM"; fi

rm -f "$OUTDIR/t14-report.png"
chrome --screenshot="$OUTDIR/t14-report.png" --window-size=1280,1600 --hide-scrollbars "file://$T/rep/report.html" > /dev/null
expect_eq "$(head -c 8 "$OUTDIR/t14-report.png" | od -An -tx1 | tr -d ' \n')" "89504e470d0a1a0a" "screenshot is a PNG ($OUTDIR/t14-report.png)"
expect_match "$(stat -c %s "$OUTDIR/t14-report.png")" "^[0-9]{5,}$" "and not blank (over 10 kB)"
finish
