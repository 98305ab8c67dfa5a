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

# poppler, curl, qpdf, libmicrohttpd, libxml2 and libarchive are opened only by the
# commands that need them
# (src/lazy.c): starting picket maps none of them.
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

# Help for every command.
for c in register unregister works compile scan filter check demo; do
  run help $c
  expect_match "$out" "^usage: picket $c" "help $c"
  run $c --help
  expect_match "$out" "^usage: picket $c" "$c --help"
done

finish
