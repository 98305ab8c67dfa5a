#!/usr/bin/env bash
# t08-warc.sh -- WARC and WET corpora, made by real tools: nginx serves
# pages quoting two sample works inside real HTML (markup in the quote,
# character references, a script and a style sheet whose words must not
# count), wget crawls it with --warc-file (gzip per record), and picket
# scan finds exactly the quoting pages, by WARC-Target-URI, with the
# WARC-Date; images and requests are passed over and counted; picket
# filter writes a valid WARC whose records are byte-identical to the
# input's.  Then a WET file (conversion records) built by hand, stdin,
# threads, and a WARC cut short.
source "$(dirname "$0")/lib.sh"

NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; }
if [ -z "$NGINX" ]; then
  echo "SKIP: nginx is not installed (./setup.sh installs it); WARC crawl test not run"
  exit 0
fi
command -v wget >/dev/null || { echo "FAIL: wget is not installed (./setup.sh installs it)" >&2; exit 1; }

WORKS=$PK_SRC/sample/works
"$PICKET" register "$WORKS/the-crossing.fountain" "$WORKS/salt-and-static.txt" >/dev/null

# ---- the site ----------------------------------------------------------------
mkdir -p site ng/tmp
cat > site/index.html <<'EOF'
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Reading notes</title></head>
<body><h1>Reading notes</h1>
<ul>
<li><a href="ferry.html">On ferries</a></li>
<li><a href="radio.html">On old radios</a></li>
<li><a href="clean.html">Nothing quoted</a></li>
<li><a href="notes.txt">Plain notes</a></li>
<li><img src="mast.png" alt="a mast"></li>
</ul></body></html>
EOF
# The Crossing, quoted with markup inside the quote, references for the
# apostrophes, and the screenplay's lines run together as a blog would.
cat > site/ferry.html <<'EOF'
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>On ferries</title>
<style>p.quote { font-style: italic } /* Nobody said anything about a hearse */</style>
<script>var words = "Cavernous and ringing with engine noise. A DECKHAND waves cars into tight rows with two orange batons. It's PIP ADEYEMI (20s), in a borrowed hi-vis vest with CREW printed across the back in letters slightly too large.";</script>
</head><body>
<h1>Night crossings &amp; other journeys</h1>
<p>I read a script last week that opens like this:</p>
<blockquote><p class="quote">Sodium lights buzz over a wet loading ramp. The <em>MV CORRIEMORE</em>,
a blunt, rust-streaked car ferry, swallows a slow line of vehicles: camper vans, a milk
tanker, a hearse, and a white box truck stenciled <b>HALVARD FINE ART LOGISTICS</b>.</p>
<p>Directly behind the box truck, in a battered green estate car, sit VERA KOSKINEN
(50s, silver crop, reading glasses on a chain) and OSSIE LAMB (30s, large, gentle,
hands that have fixed everything twice).</p>
<p>OSSIE<br>There&rsquo;s a hearse.</p></blockquote>
<p>What a start.</p>
</body></html>
EOF
cat > site/radio.html <<'EOF'
<html><head><title>On old radios</title></head><body>
<div class="post"><p>From a story I keep rereading:</p>
<blockquote>My grandmother ran the coast radio station at Brennock for thirty-one years,
and for the last nine of them there were no ships left to talk to. The harbor silted up
the winter I was born. The fishing fleet moved south to deeper water, the salt works
closed, and the station was struck off the official list by a letter she kept pinned
above the receiver, next to a postcard of a lighthouse she had never visited.
</blockquote><p>Unclosed paragraph <i>and a stray </b> tag
</div></body></html>
EOF
# Words of the works only inside script, style, noscript and a comment:
# none of it may count.
cat > site/clean.html <<'EOF'
<html><head><title>Nothing quoted</title>
<script type="text/javascript">
// My grandmother ran the coast radio station at Brennock for thirty-one years, and for the last nine of them there were no ships left to talk to. The harbor silted up the winter I was born.
</script></head><body>
<style>/* She went on switching the set on every night at half past eleven anyway. When I asked her why, she said a radio is like a kettle: it is company even when nobody is drinking the tea. */</style>
<noscript>Sodium lights buzz over a wet loading ramp. The MV CORRIEMORE, a blunt, rust-streaked car ferry, swallows a slow line of vehicles: camper vans, a milk tanker, a hearse.</noscript>
<!-- Directly behind the box truck, in a battered green estate car, sit VERA KOSKINEN (50s, silver crop, reading glasses on a chain) and OSSIE LAMB -->
<p>A page about lighthouses that quotes nobody at all, with a few words in it.</p>
</body></html>
EOF
{
  echo "Plain-text notes."
  sed -n '/^She died in March/,/^Brennock is a row/p' "$WORKS/salt-and-static.txt"
} > site/notes.txt
# A real PNG (1x1), made with the Python standard library.
python3 - <<'PY'
import struct, zlib
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
open("site/mast.png", "wb").write(png)
PY

# ---- nginx on a free loopback port, as this user, in the foreground -----------
PORT=$(free_port)
{ nginx_preamble "$T/ng"; cat <<EOF
  types { text/html html; text/plain txt; image/png png; }
  default_type application/octet-stream;
  charset utf-8;
  gzip on;               # only for clients that ask (wget --compression=gzip)
  gzip_min_length 1;
  gzip_types text/plain;
  server { listen 127.0.0.1:$PORT; root $T/site; index index.html; }
}
EOF
} > ng/nginx.conf
start_nginx "$T/ng" "$PORT"
ok "nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') serving on 127.0.0.1:$PORT"

set +e
wget --quiet --warc-file=crawl --recursive --level=2 -e robots=off --no-host-directories \
  --directory-prefix=mirror "http://127.0.0.1:$PORT/"
wrc=$?
set -e
expect_eq "$wrc" 0 "wget crawled the site"
expect_eq "$(test -s crawl.warc.gz && gzip -t crawl.warc.gz && echo ok)" ok "wget wrote crawl.warc.gz"
expect_eq "$(grep -c GET ng/access.log)" 6 "nginx served six pages"

# An independent WARC splitter (Python standard library only).
cat > warcsplit.py <<'PY'
import gzip, sys
def records(path):
    data = open(path, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    pos, out = 0, []
    while pos < len(data):
        while data[pos:pos + 1] in (b"\r", b"\n"): pos += 1
        if pos >= len(data): break
        assert data.startswith(b"WARC/1.", pos), ("no WARC record at", pos)
        end = data.index(b"\r\n\r\n", pos) + 4
        fields = {}
        for line in data[pos:end].split(b"\r\n")[1:]:
            if b":" in line:
                k, v = line.split(b":", 1)
                fields[k.strip().lower().decode()] = v.strip().decode()
        n = int(fields["content-length"])
        assert data[end + n:end + n + 4] == b"\r\n\r\n", ("bad separator at", end + n)
        out.append((fields, data[pos:end + n + 4]))
        pos = end + n + 4
    return out
PY

# ---- scan ----------------------------------------------------------------------
run scan --threads 2 crawl.warc.gz
expect_eq "$rc" 0 "scan finds registered works in the crawl (exit 0)"
cp out scan2.out
python3 - "$PORT" <<'PY' && ok "exactly the quoting pages found, by URL, with record id and date" || fail "WARC findings"
import json, re, sys
sys.path.insert(0, ".")
from warcsplit import records
port = sys.argv[1]
found = [json.loads(l) for l in open("scan2.out")]
got = sorted((f["url"], f["work"]) for f in found)
base = "http://127.0.0.1:%s/" % port
want = sorted([(base + "ferry.html", "the-crossing"), (base + "radio.html", "salt-and-static"),
               (base + "notes.txt", "salt-and-static")])
assert got == want, got
ids = {r[0]["warc-target-uri"].strip("<>"): r[0]["warc-record-id"].strip("<>")
       for r in records("crawl.warc.gz") if r[0]["warc-type"] == "response"}
for f in found:
    assert f["doc"] == ids[f["url"]] and f["doc"].startswith("urn:uuid:"), f
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", f["date"]), f
    assert f["source"] == "crawl.warc.gz" and "line" not in f, f
ferry = [f for f in found if f["url"].endswith("ferry.html")][0]
# The work's first 74 words, in one passage, through "There's a hearse"
# (&rsquo;); the script's words, a little further on in the work, and
# the style sheet's do not count.
assert len(ferry["passages"]) == 1 and ferry["matched_words"] == 74, ferry
p = ferry["passages"][0]
assert (p["work_start_word"], p["work_end_word"]) == (0, 74), p
PY
expect_match "$errs" "^picket: 1 files, 7 documents, .*; 3 findings in 3 documents; 0 skipped; 9 non-text records passed over$" \
  "summary: 7 documents (5 text pages, wget's 2 text resources), 9 passed over (warcinfo, 6 requests, the PNG, metadata)"
# Passage offsets are offsets into the page rendered as text.
run scan --threads 1 crawl.warc.gz
expect_eq "$(md5sum < out)" "$(md5sum < scan2.out)" "one thread or two: the same findings"

# The same site crawled asking for gzip: nginx compresses on the fly and
# sends it chunked, and wget records the bytes as they came.  Same findings.
set +e
wget --quiet --compression=gzip --warc-file=crawl-gz --recursive --level=2 -e robots=off --no-host-directories \
  --directory-prefix=mirror-gz "http://127.0.0.1:$PORT/"
wrc=$?
set -e
expect_eq "$wrc" 0 "wget crawled the site again, asking for gzip"
expect_eq "$(zcat crawl-gz.warc.gz | grep -ac $'^Content-Encoding: gzip\r')" 5 "five responses gzip-encoded"
expect_eq "$(zcat crawl-gz.warc.gz | grep -ac $'^Transfer-Encoding: chunked\r')" 5 "and chunked"
run scan crawl-gz.warc.gz
strip() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    f = json.loads(l); del f["doc"], f["date"], f["source"]; print(json.dumps(f, sort_keys=True))' "$1"; }
expect_eq "$(strip out)" "$(strip scan2.out)" "gzip and chunked bodies decoded: the same findings, the same offsets"

# ---- filter --------------------------------------------------------------------
run filter --keep kept.warc --removed removed.jsonl crawl.warc.gz
expect_eq "$rc" 0 "filter exits 0"
expect_match "$errs" "in 16 = kept 13 \+ removed 3 \(3 registered, 0 malformed\)" "filter counts reconcile"
python3 - <<'PY' && ok "kept output is a valid WARC, records byte-identical and in order" || fail "kept WARC"
import json, sys
sys.path.insert(0, ".")
from warcsplit import records
inp = records("crawl.warc.gz")
kept = records("kept.warc")
removed = [json.loads(l) for l in open("removed.jsonl")]
rid = {r["doc"] for r in removed}
assert len(rid) == 3 and all(r["reason"] == "registered" and r["url"] and r["works"] for r in removed), removed
assert all(r["warc_header"].startswith("WARC/1.0\r\n") and r["warc_header"].endswith("\r\n\r\n") for r in removed)
expect = [raw for f, raw in inp if f["warc-record-id"].strip("<>") not in rid]
assert [raw for f, raw in kept] == expect, "kept records differ"
assert open("kept.warc", "rb").read() == b"".join(expect)
assert len(kept) + len(removed) == len(inp) == 16
assert {f["warc-type"] for f, raw in kept} >= {"warcinfo", "request", "response", "metadata", "resource"}
PY
run scan kept.warc
expect_eq "$rc" 1 "the kept WARC scans clean"
# Named .gz or .zst, the kept WARC is compressed a record a member (frame),
# as crawls are kept; the removed list a batch a member.
run filter --keep kept.warc.gz --removed removed.jsonl.zst crawl.warc.gz
expect_eq "$rc" 0 "filter to compressed outputs exits 0"
expect_eq "$(zcat kept.warc.gz | md5sum)" "$(md5sum < kept.warc)" "kept.warc.gz holds the same records"
expect_eq "$(zstdcat removed.jsonl.zst | md5sum)" "$(md5sum < removed.jsonl)" "removed.jsonl.zst holds the same lines"
members=$(python3 -c '
import zlib
d = open("kept.warc.gz", "rb").read(); n = i = 0
while i < len(d):
    o = zlib.decompressobj(31); o.decompress(d[i:]); i = len(d) - len(o.unused_data); n += 1
print(n)')
expect_eq "$members" 13 "one gzip member per kept record"
run scan kept.warc.gz
expect_eq "$rc" 1 "and it scans clean"

# ---- WET: conversion records, text/plain, built by hand; LF-only writer -------
python3 - "$WORKS/the-crossing.fountain" <<'PY'
import gzip, sys, uuid
quote = open(sys.argv[1]).read().split("INT. MV CORRIEMORE - CAR DECK - NIGHT")[1][:700]
def rec(typ, uri, body, ctype="text/plain", nl="\r\n"):
    body = body.encode()
    h = ["WARC/1.1", "WARC-Type: " + typ, "WARC-Target-URI: " + uri, "WARC-Date: 2025-04-09T10:00:00Z",
         "WARC-Record-ID: <urn:uuid:%s>" % uuid.uuid4(), "Content-Type: " + ctype, "Content-Length: %d" % len(body)]
    return (nl.join(h) + nl + nl).encode() + body + b"\r\n\r\n"
recs = [rec("warcinfo", "", "software: hand\r\n", "application/warc-fields"),
        rec("conversion", "https://example.org/deck", "Blog post.\n" + quote + "\nThe end.\n"),
        rec("conversion", "https://example.org/clean", "Nothing to see here.\n"),
        rec("conversion", "https://example.org/lf", "Written by a broken writer.\n" + quote, nl="\n")]
with open("crawl.wet.gz", "wb") as f:
    for r in recs: f.write(gzip.compress(r))
open("crawl.wet", "wb").write(b"".join(recs))
PY
run scan crawl.wet.gz
expect_eq "$rc" 0 "WET conversion records are scanned"
expect_eq "$(grep -c . out)" 2 "two WET records quote The Crossing"
expect_match "$(head -1 out)" '"url":"https://example.org/deck","date":"2025-04-09T10:00:00Z","work":"the-crossing"' "WET finding with URL and date"
expect_match "$(tail -1 out)" '"url":"https://example.org/lf"' "LF-only headers tolerated"
expect_match "$errs" "3 documents, .* 1 non-text records passed over" "warcinfo passed over"
run scan - < crawl.wet
expect_eq "$(grep -c . out)" 2 "WARC on stdin recognized by its first line"
zstd -q crawl.wet -o crawl.warc.zst
run scan crawl.warc.zst
expect_eq "$(grep -c . out)" 2 "zstd-compressed WARC"

# ---- text in a content coding picket cannot decode (br): an error, never kept ----
python3 - <<'PY'
import uuid
def resp(uri, ctype, cenc, payload):
    http = ("HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Encoding: %s\r\nContent-Length: %d\r\n\r\n"
            % (ctype, cenc, len(payload))).encode() + payload
    h = ["WARC/1.1", "WARC-Type: response", "WARC-Target-URI: " + uri, "WARC-Date: 2025-04-09T10:00:00Z",
         "WARC-Record-ID: <urn:uuid:%s>" % uuid.uuid4(), "Content-Type: application/http;msgtype=response",
         "Content-Length: %d" % len(http)]
    return ("\r\n".join(h) + "\r\n\r\n").encode() + http + b"\r\n\r\n"
open("br.warc", "wb").write(resp("https://example.org/br-page", "text/html", "br", b"\x1b\x03\x00\xf8\xa5")
                            + resp("https://example.org/br-image", "image/png", "br", b"\x1b\x03\x00"))
PY
run filter --keep kbr.warc --removed rbr.jsonl br.warc
expect_eq "$rc" 2 "undecodable text is an error"
expect_match "$(cat rbr.jsonl)" 'br-page.*cannot decode|cannot decode.*br-page' "the page goes to --removed, with the reason"
expect_eq "$(grep -c 'br-page' kbr.warc)" 0 "and is not kept as clean"
expect_eq "$(grep -c 'br-image' kbr.warc)" 1 "an image in br is passed over and kept"

# ---- a WARC cut short -----------------------------------------------------------
zcat crawl.warc.gz > plain.warc  # not a pipe into head: zcat would die of SIGPIPE under pipefail
head -c 9000 plain.warc > cut.warc
run scan cut.warc
expect_eq "$rc" 2 "a WARC cut inside a record fails (exit 2)"
expect_match "$errs" "cut.warc: record [0-9]+ at byte [0-9]+ is cut short" "the error names the record and byte"
run filter --keep k2.warc --removed r2.jsonl cut.warc
expect_eq "$rc" 2 "filter of a WARC cut short fails (exit 2)"
python3 - <<'PY' && ok "the whole records before the cut are kept, byte-identical" || fail "records before the cut"
import sys
sys.path.insert(0, ".")
from warcsplit import records
data = open("cut.warc", "rb").read()
kept = records("k2.warc")
pos = 0
for f, raw in kept:  # each kept record is in the input, in order
    pos = data.index(raw, pos) + len(raw)
assert len(kept) >= 3 and pos < len(data), len(kept)
PY

finish
