#!/usr/bin/env bash
# t13-tar.sh -- tar archives as corpora, made by the real tar tool (plain,
# gzip, zstd): every regular member is a document named ARCHIVE:MEMBER, a
# .jsonl member gives one document a line, directories and links are passed
# over and counted, an archive is known by its content when its name says
# nothing, one inside a directory is opened too, an archive cut short or
# damaged is an error naming the byte after the members read before it,
# and filter refuses tar input.
source "$(dirname "$0")/lib.sh"

brown ca01 > work.txt
"$PICKET" register work.txt >/dev/null

mkdir -p src/d/sub
for id in ca02 ca03 cb01 cb02; do brown $id > src/d/$id.txt; done
# One member quotes 25 lines of the registered work among other text.
{ brown cc01 | sed -n 1,20p; sed -n 5,30p work.txt; brown cc02 | sed -n 1,10p; } > src/d/sub/quote.txt
# A JSONL member: line 2 quotes the work in a nested field.
python3 - <<'PY'
import json
w = open("work.txt").read().split("\n")
with open("src/d/sub/docs.jsonl", "w") as f:
    f.write(json.dumps({"meta": {"id": "j1", "content": "nothing quoted here"}}) + "\n")
    f.write(json.dumps({"meta": {"id": "j2", "content": " ".join(w[40:70])}}) + "\n")
PY
ln -s ca02.txt src/d/link.txt
(cd src && tar cf ../c.tar d && tar czf ../c.tar.gz d && tar --zstd -cf ../c.tar.zst d && tar czf ../c.tgz d)

# 8 members: d/ d/sub/ and the link are passed over; 4 texts + quote + jsonl read
run scan --text-field meta.content --id-field meta.id c.tar
expect_eq "$rc" 0 "scan c.tar finds the quotes"
expect_eq "$(grep -c . "$T/out")" 2 "two findings: the text member and the JSONL line"
expect_match "$out" '"doc":"c.tar:d/sub/quote.txt","source":"c.tar","member":"d/sub/quote.txt","work":"work"' \
  "a text member is named ARCHIVE:MEMBER, with source and member"
expect_match "$out" '"doc":"j2","source":"c.tar","member":"d/sub/docs.jsonl","line":2,"work":"work"' \
  "a JSONL member's line carries its id from a nested field, the member and the line"
expect_match "$errs" "1 files, 7 documents" "seven documents: four texts, the quote and two JSONL lines"
expect_match "$errs" "3 non-text records passed over" "two directories and a symbolic link passed over and counted"
expect_match "$errs" "; 0 skipped;" "no errors: the JSONL member is read with the field path"
plain=$(cat "$T/out")

for a in c.tar.gz c.tar.zst c.tgz; do
  run scan --text-field meta.content --id-field meta.id $a
  expect_eq "$rc" 0 "scan $a"
  expect_eq "$(sed "s#$a#c.tar#g" "$T/out")" "$plain" "$a gives the same findings as the plain tar"
done

# The name says nothing: known by the ustar magic (after gzip decoding).
cp c.tar.gz blob
run scan --text-field meta.content --id-field meta.id blob
expect_eq "$(sed "s#blob#c.tar#g" "$T/out")" "$plain" "a tar.gz with no telling name is read as tar"
run scan --text-field meta.content - < c.tar.zst
expect_match "$out" '"doc":"-:d/sub/quote.txt"' "a tar.zst on stdin is read as tar"

# Inside a directory, next to a text file.
mkdir corpus && cp c.tar.zst corpus/ && brown ca04 > corpus/plain.txt
run scan --text-field meta.content corpus
expect_match "$out" '"doc":"corpus/c.tar.zst:d/sub/quote.txt"' "an archive in a directory is opened"
expect_match "$errs" "2 files" "the archive counts as one file"

# Threads give the same output in the same order.
run scan --threads 4 --text-field meta.content --id-field meta.id c.tar
expect_eq "$(cat "$T/out")" "$plain" "--threads 4 gives the same output"

# Cut short inside the last member: the members before it still count.
size=$(stat -c %s c.tar)
last=$(tar tvf c.tar | tail -1 | awk '{print $NF}')
head -c $((size - 10240 - 700)) c.tar > cut.tar
run scan --text-field meta.content cut.tar
expect_eq "$rc" 2 "a cut-short archive exits 2"
expect_match "$errs" "cut.tar: tar archive cut short at byte $((size - 10240 - 700)), in member $last" "the error names the archive, the byte and the member"
expect_match "$out" '"doc":"cut.tar:d/sub/quote.txt"' "findings before the cut are reported"

# A cut-short tar.gz: the gzip reader's own error, with the compressed offset.
gz=$(stat -c %s c.tar.gz)
head -c $((gz / 2)) c.tar.gz > cut.tar.gz
run scan cut.tar.gz
expect_eq "$rc" 2 "a cut-short tar.gz exits 2"
expect_match "$errs" "cut.tar.gz: .*(truncated|cut short).* byte [0-9]+" "the error names the archive and the byte"

# A damaged header (bad checksum): an error at that header, nothing after.
python3 - <<'PY'
d = bytearray(open("c.tar", "rb").read())
# the third header: flip a byte of its name
off = 0; n = 0
while True:
    size = int(d[off+124:off+136].strip(b"\0 ") or b"0", 8)
    if n == 2: break
    off += 512 + (size + 511) // 512 * 512; n += 1
d[off] ^= 0x20
open("bad.tar", "wb").write(d)
open("bad.off", "w").write(str(off))
PY
run scan bad.tar
expect_eq "$rc" 2 "a damaged archive exits 2"
expect_match "$errs" "bad.tar: damaged tar archive at byte $(cat bad.off)" "the error names the damaged header's byte"

# filter refuses tar input: its kept stream cannot hold members.
run filter --keep k.out --removed r.out c.tar corpus/plain.txt
expect_eq "$rc" 2 "filter with a tar input exits 2"
expect_match "$errs" "c.tar: a tar archive, not read here \(picket filter cannot write" "filter says why it refuses tar"
expect_eq "$(cat k.out)" "corpus/plain.txt" "the other inputs are still filtered"

finish
