#!/usr/bin/env bash
# t04-errors.sh -- bad input gets one clear line naming the file and the
# line or byte offset, the scan goes on with the rest, and exits 2.
source "$(dirname "$0")/lib.sh"

brown ca01 > ca01.txt
brown ca02 > ca02.txt
"$PICKET" register ca01.txt ca02.txt > /dev/null
passage=$(tr '\n' ' ' < ca01.txt | awk '{for (i=40;i<100;i++) printf "%s ", $i}')
python3 - "$passage" <<'PY'
import json, sys
p = sys.argv[1]
with open("c.jsonl", "w") as f:
    f.write(json.dumps({"id": "a", "text": "intro " + p}) + "\n")
    f.write('{"id": "b", "text": "broken\n')
    f.write(json.dumps({"id": "c", "text": p + " outro"}) + "\n")
PY
run scan c.jsonl
expect_eq "$rc" 2 "a malformed record makes scan exit 2"
expect_eq "$(grep -c . "$T/out")" 2 "the other records are still scanned"
expect_match "$errs" '^picket: c.jsonl:2: malformed JSON at byte 27: ' "error names file, line and byte"
expect_match "$errs" '1 skipped$' "the summary counts what was skipped"

# A byte-order mark before the first JSONL record is skipped, plain or gzip.
{ printf '\xef\xbb\xbf'; sed -n 1p c.jsonl; } > bom.jsonl
run scan bom.jsonl
expect_eq "$rc" 0 "a JSONL file with a byte-order mark is read"
gzip -k bom.jsonl
run scan bom.jsonl.gz
expect_eq "$rc" 0 "and so is its gzip"

# Truncated gzip: the records before the damage are scanned.
for i in $(seq 1 200); do sed -n 1p c.jsonl; done | gzip > big.jsonl.gz
size=$(stat -c %s big.jsonl.gz)
head -c $((size - 40)) big.jsonl.gz > trunc.jsonl.gz
run scan trunc.jsonl.gz
expect_eq "$rc" 2 "truncated gzip: exit 2"
expect_match "$errs" '^picket: trunc.jsonl.gz: .*(truncated|unexpected end).* at byte [0-9]+' "truncated gzip: names the file and offset"
expect_match "$(grep -c . "$T/out")" '^[0-9]+$' "records before the damage are reported"

# Invalid UTF-8: refused with the byte offset, or read with --lossy.
{ printf 'Some text first. \xff\xfe '; cat ca02.txt; } > bad.txt
run scan bad.txt
expect_eq "$rc" 2 "invalid UTF-8: exit 2"
expect_match "$errs" '^picket: bad.txt: invalid UTF-8 at byte 17 \(skipped\)$' "invalid UTF-8: names the byte"
run scan --lossy bad.txt
expect_eq "$rc" 0 "--lossy reads it and finds the work"
run register bad.txt
expect_eq "$rc" 2 "register refuses invalid UTF-8"
expect_match "$errs" 'bad.txt: invalid UTF-8 at byte 17' "register names the byte"

# UTF-16 with a byte-order mark is converted.
{ printf '\xff\xfe'; iconv -f UTF-8 -t UTF-16LE ca02.txt; } > u16.txt
run scan u16.txt
expect_eq "$rc" 0 "UTF-16 text is read"
expect_match "$out" '"work":"ca02"' "UTF-16 text matches the UTF-8 work"
python3 - "$T/out" <<'PY' && ok "UTF-16 offsets point at the input's bytes" || fail "UTF-16 offsets"
import json, sys
f = json.loads(open(sys.argv[1]).readline())
p = f["passages"][0]
raw = open("u16.txt", "rb").read()
u8 = open("ca02.txt", "rb").read()
got = raw[p["doc_start"]:p["doc_end"]].decode("utf-16-le")
assert got[0].isalnum() and got[-1].isalnum() and got in u8.decode(), got[:80]
assert len(got.split()) >= p["words"] * 0.9, (len(got.split()), p["words"])
PY

# Missing files, unknown options and commands.
run scan nope.txt ca02.txt
expect_eq "$rc" 2 "a missing input: exit 2"
expect_match "$errs" '^picket: nope.txt: No such file or directory' "a missing input is named"
expect_match "$out" '"work":"ca02"' "the other inputs are still scanned"
run scan --bogus x
expect_eq "$rc" 2 "an unknown option: exit 2"
run frobnicate
expect_eq "$rc" 2 "an unknown command: exit 2"
expect_match "$errs" "'frobnicate' is not a picket command" "an unknown command is named"
run scan --threads 0 x
expect_eq "$rc" 2 "--threads 0 is refused"
expect_match "$errs" '^picket: --threads: expected a number from 1 to 256' "bad numbers are explained"

# poppler, curl, qpdf, libmicrohttpd, libxml2 and libarchive are opened only by
# the commands that need them (src/lazy.c): starting picket maps none of them.
if command -v ldd > /dev/null; then
  libs=$(ldd "$PICKET")
  if grep -Eq 'libpoppler|libcurl|libqpdf|libmicrohttpd|libxml2|libarchive' <<<"$libs"; then
    fail "picket links a library it opens when needed"
  else
    ok "poppler, curl, qpdf, libmicrohttpd, libxml2 and libarchive are not linked"
  fi
fi
run version
expect_eq "$rc" 0 "picket version runs without them loaded"

# A library that cannot be opened is an error of the command that needs it,
# naming the library; the rest of picket works.  A copy of picket whose
# sonames for libxml2 and libarchive name no library (same length).
python3 - "$PICKET" nolibs <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
for old, new in ((b"libxml2.so.2\0", b"libxml0.so.2\0"), (b"libarchive.so.13\0", b"libarchiv0.so.13\0")):
    assert b.count(old) == 1, old
    b = b.replace(old, new)
open(sys.argv[2], "wb").write(b)
PY
chmod +x nolibs
python3 - <<'PY'
import io, tarfile, zipfile
with zipfile.ZipFile("upload-1", "w") as z:  # a DOCX under a name without its extension
    z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
    z.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="x"><w:body><w:p><w:r><w:t>INT. ROOM</w:t></w:r></w:p></w:body></w:document>')
with tarfile.open("works.tar", "w") as t:
    data = b"a line of text\n"
    ti = tarfile.TarInfo("a.txt"); ti.size = len(data)
    t.addfile(ti, io.BytesIO(data))
PY
printf '<html><body><p>%s</p></body></html>\n' "$(head -c 2000 ca01.txt | tr '\n<>&' '    ')" > page.html
PICKET_REAL=$PICKET
PICKET=$T/nolibs
run version
expect_eq "$rc" 0 "without libxml2 and libarchive, picket version runs"
run register --db nolib.db page.html
expect_eq "$rc" 2 "an HTML work without libxml2: exit 2"
expect_match "$errs" 'page.html.*cannot load libxml0\.so\.2' "the error names the file and the library"
run register --db nolib.db upload-1
expect_eq "$rc" 2 "a DOCX without its extension, without libarchive: exit 2"
expect_match "$errs" 'upload-1.*cannot load libarchiv0\.so\.13' "it is known for a zip and the library is named"
run scan --db "$PICKET_DB" works.tar
expect_eq "$rc" 2 "a tar without libarchive: exit 2"
expect_match "$errs" 'works\.tar.*cannot load libarchiv0\.so\.13' "the error names the archive and the library"
python3 - <<'PY'
body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body><p>a page</p></body></html>"
with open("pages.warc", "wb") as f:
    for i in range(50):
        head = ("WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:%08d-0000-0000-0000-000000000000>\r\n"
                "WARC-Target-URI: http://example.org/%d\r\nContent-Type: application/http; msgtype=response\r\n"
                "Content-Length: %d\r\n\r\n" % (i, i, len(body))).encode()
        f.write(head + body + b"\r\n\r\n")
PY
run scan --db "$PICKET_DB" pages.warc
expect_eq "$rc" 2 "a WARC without libxml2: exit 2"
expect_eq "$(grep -c 'cannot load libxml0' "$T/err")" 1 "one error for the file, not one for each of its 50 pages"
expect_match "$errs" 'pages\.warc.*cannot load libxml0\.so\.2' "it names the file and the library"
run scan --db "$PICKET_DB" ca02.txt
expect_eq "$rc" 0 "a plain text scan needs neither"
PICKET=$PICKET_REAL

# Help for every command.
for c in register unregister works text compile scan filter check demo; do
  run help $c
  expect_match "$out" "^usage: picket $c" "help $c"
  run $c --help
  expect_match "$out" "^usage: picket $c" "$c --help"
done

finish
