#!/usr/bin/env bash
# t02-scan.sh -- scan real text: Brown corpus works reused in nlp-corpus
# documents, verbatim, re-wrapped and re-cased, lightly edited, too short;
# as JSONL, as text files, compressed, from stdin, on 1, 2 and 4 threads.
source "$(dirname "$0")/lib.sh"

ids=$(cd "$BROWN" && ls c[a-c]?? | head -50)
mkdir works
for id in $ids; do brown $id > works/$id.txt; done
run register works/*.txt
expect_eq "$rc" 0 "register 50 Brown samples"

python3 "$PK_SRC/tests/cli/mkdocs.py" "$BROWN" "$NLP" "$T" $(echo $ids | tr ' ' '\n' | sed -n '3,15p')

# Compare findings with the truth: every expected (doc, work) found with
# its exact byte range for verbatim passages, overlapping for the others;
# nothing else found; 24-word passages not reported.
check_findings() { # findings.jsonl label
  python3 - "$1" "$T/truth.json" "$2" <<'PY'
import json, sys
found = [json.loads(l) for l in open(sys.argv[1])]
truth = json.load(open(sys.argv[2]))
label = sys.argv[3]
bad = 0
keyed = {}
for f in found:
    doc = f["doc"].rsplit("/", 1)[-1].removesuffix(".txt")
    keyed.setdefault((doc, f["work"]), []).append(f)
for t in truth:
    fs = keyed.pop((t["doc"], t["work"]), [])
    if t["kind"] == "short":
        if fs: print("FAIL %s: 24-word passage reported: %s" % (label, t)); bad += 1
        continue
    if len(fs) != 1 or len(fs[0]["passages"]) != 1:
        print("FAIL %s: expected one passage for %s, got %s" % (label, t, fs)); bad += 1; continue
    p = fs[0]["passages"][0]
    if t["kind"] in ("verbatim", "rewrapped"):
        if (p["doc_start"], p["doc_end"]) != (t["start"], t["end"]):
            print("FAIL %s: %s passage at %d-%d, expected %d-%d" % (label, t["kind"], p["doc_start"], p["doc_end"], t["start"], t["end"])); bad += 1
        if t["kind"] == "verbatim" and p["words"] != t["words"]:
            print("FAIL %s: %d words, expected %d" % (label, p["words"], t["words"])); bad += 1
    else:
        if p["doc_start"] >= t["end"] or p["doc_end"] <= t["start"] or p["words"] < t["words"] * 0.6:
            print("FAIL %s: edited passage %s vs %s" % (label, p, t)); bad += 1
for k, v in keyed.items():
    print("FAIL %s: unexpected finding %s" % (label, v)); bad += 1
print("%s: %d expected passages checked, %d problems" % (label, len(truth), bad))
sys.exit(1 if bad else 0)
PY
}

run scan --threads 1 corpus.jsonl
expect_eq "$rc" 0 "scan finds registered works (exit 0)"
cp "$T/out" jsonl1.out
if check_findings jsonl1.out jsonl; then ok "JSONL findings match the truth"; else fail "JSONL findings"; fi
expect_match "$errs" "^picket: 1 files, 72 documents, .* 0 skipped$" "summary on stderr"
python3 - "$T/corpus.jsonl" "$T/jsonl1.out" <<'PY' && ok "slicing the decoded text at doc_start:doc_end gives the passage" || fail "passage slices"
import json, sys
docs = {json.loads(l)["id"]: json.loads(l)["text"].encode() for l in open(sys.argv[1])}
for l in open(sys.argv[2]):
    f = json.loads(l)
    for p in f["passages"]:
        s = docs[f["doc"]][p["doc_start"]:p["doc_end"]].decode()
        assert s[0].isalnum() and s[-1].isalnum(), s
PY

for n in 2 4; do
  run scan --threads $n corpus.jsonl
  expect_eq "$(cmp -s "$T/out" jsonl1.out && echo same)" same "--threads $n gives the same output in the same order"
done

run scan docs
expect_eq "$rc" 0 "scan a directory of text files"
if check_findings "$T/out" textdir; then ok "text findings match the truth"; else fail "text findings"; fi

gzip -k corpus.jsonl
zstd -q -k corpus.jsonl
mkdir z && mv corpus.jsonl.gz corpus.jsonl.zst z/
run scan --threads 2 z/corpus.jsonl.gz
expect_eq "$(sed 's#"source":"[^"]*"##' "$T/out" | md5sum)" "$(sed 's#"source":"[^"]*"##' jsonl1.out | md5sum)" "gzip input gives the same findings"
run scan --threads 2 z/corpus.jsonl.zst
expect_eq "$(sed 's#"source":"[^"]*"##' "$T/out" | md5sum)" "$(sed 's#"source":"[^"]*"##' jsonl1.out | md5sum)" "zstd input gives the same findings"
# Several inputs on several threads: each reading thread takes whole
# inputs (gzip, zstd, plain; a broken gzip and a directory of text files
# among them), and the output is still in input order, errors included.
mkdir many
split -n l/7 -d corpus.jsonl many/part
for f in many/part0[0-6]; do mv "$f" "$f.jsonl"; done
gzip many/part00.jsonl many/part03.jsonl
zstd -q --rm many/part05.jsonl
printf '\x1f\x8b\x08\x00broken' > many/part02b.jsonl.gz
cp -r docs many/part04d
run scan --threads 1 many
expect_eq "$rc" 2 "inputs read one after another: the broken gzip is an error (exit 2)"
cp "$T/out" many1.out
cp "$T/err" many1.err
expect_match "$(cat many1.err)" "part02b.jsonl.gz" "the broken gzip is named"
expect_eq "$(grep -c . many1.out)" "$(( $(grep -c . jsonl1.out) + $(find docs -type f | xargs "$PICKET" scan 2>/dev/null | grep -c .) ))" \
  "every finding of the parts and the text files, once"
for n in 2 3 8; do
  run scan --threads $n many
  expect_eq "$(cmp -s "$T/out" many1.out && echo same)" same "$n threads reading inputs at once: the same output in the same order"
  expect_eq "$(grep -v '^picket: [0-9]* files' "$T/err")" "$(grep -v '^picket: [0-9]* files' many1.err)" "$n threads: the same errors in the same order"
  expect_eq "$(grep -o '^picket: [0-9]* files, [0-9]* documents' "$T/err")" "$(grep -o '^picket: [0-9]* files, [0-9]* documents' many1.err)" "$n threads: the same counts"
done

cp corpus.jsonl noext
run scan noext
expect_eq "$(grep -c . "$T/out")" "$(grep -c . jsonl1.out)" "JSONL detected by content"

set +e; cat corpus.jsonl | "$PICKET" scan --format jsonl - > stdin.out 2>/dev/null; rc=$?; set -e
expect_eq "$rc" 0 "scan from stdin"
expect_eq "$(sed 's#"source":"[^"]*"##' stdin.out | md5sum)" "$(sed 's#"source":"[^"]*"##' jsonl1.out | md5sum)" "stdin gives the same findings"
# stdin twice, on 4 threads: one reader, so the second "-" finds the end
set +e; cat corpus.jsonl | "$PICKET" scan --threads 4 --format jsonl - - > stdin2.out 2> stdin2.err; rc=$?; set -e
expect_eq "$rc" 0 "stdin given twice"
expect_eq "$(sed 's#"source":"[^"]*"##' stdin2.out | md5sum)" "$(sed 's#"source":"[^"]*"##' jsonl1.out | md5sum)" "stdin given twice, 4 threads: every record once, none lost"

# On a terminal, a progress line (bytes, documents, findings, MB/s) is drawn
# on stderr and cleared before the summary; --quiet drops both.
if command -v script >/dev/null; then
  tty_err=$(script -qec "'$PICKET' scan corpus.jsonl > /dev/null" /dev/null | tr '\r' '\n')
  expect_match "$tty_err" '[0-9.]+ kB, [0-9]+ docs, [0-9]+ findings, [0-9.]+ MB/s' "progress line on a terminal"
  expect_match "$tty_err" 'picket: 1 files, 72 documents' "summary after the progress line"
  tty_err=$(script -qec "'$PICKET' scan --quiet corpus.jsonl > /dev/null" /dev/null)
  expect_eq "$tty_err" "" "--quiet prints nothing on stderr"
fi

# Unrelated real text finds nothing.
run scan unrelated.jsonl
expect_eq "$rc" 1 "unrelated text: exit 1"
expect_eq "$out" "" "unrelated text: no finding"

# Custom fields.
python3 -c '
import json,sys
for l in open("corpus.jsonl"):
    d=json.loads(l); print(json.dumps({"body":d["text"],"key":d["id"]}))' > fields.jsonl
run scan --text-field body --id-field key fields.jsonl
expect_eq "$(python3 -c 'import json,sys;print(sorted({json.loads(l)["doc"] for l in open(sys.argv[1])})==sorted({json.loads(l)["doc"] for l in open(sys.argv[2])}))' "$T/out" jsonl1.out)" True "--text-field and --id-field"

# One text file larger than a scan window (16 MiB), given alone: its
# windows are scanned on every thread, and the findings are those of one
# thread, byte for byte.  Registered passages sit at many places, some
# across the windows' edges; the file is read from a path and from stdin.
brown cd01 > filler.txt # not registered
python3 - "$T/big.txt" filler.txt works/*.txt <<'PY'
import random, sys
out, works = sys.argv[1], sys.argv[3:]
rng = random.Random(9)
filler = open(sys.argv[2]).read().split()
texts = [open(w).read().split() for w in works]
words, n = [], 0
while n < 20_000_000:
    chunk = filler[rng.randrange(0, len(filler) - 400):][:400]
    words += chunk
    n += sum(len(w) + 1 for w in chunk)
    if rng.random() < 0.02:
        t = texts[rng.randrange(len(texts))]
        a = rng.randrange(0, len(t) - 80)
        words += t[a:a + 40 + rng.randrange(40)]
open(out, "w").write(" ".join(words) + "\n")
PY
expect_match "$(stat -c %s big.txt)" '^(1[89]|2[0-9])[0-9]{6}$' "a text file over 18 MB"
run scan --threads 1 big.txt
big1=$out
expect_eq "$rc" 0 "big text file, 1 thread: findings"
expect_match "$(grep -o '"doc_start"' <<<"$big1" | wc -l)" '^[0-9]{3,}$' "big text file: a hundred passages or more"
run scan --threads 2 big.txt
expect_eq "$(md5sum <<<"$out")" "$(md5sum <<<"$big1")" "big text file: 2 threads find what 1 finds"
run scan --threads 3 big.txt
expect_eq "$(md5sum <<<"$out")" "$(md5sum <<<"$big1")" "big text file: 3 threads find what 1 finds"
set +e
big_stdin=$("$PICKET" scan --threads 2 --format text - < big.txt)
set -e
expect_eq "$(sed 's#"source":"[^"]*"##; s#"doc":"[^"]*"##' <<<"$big_stdin" | md5sum)" "$(sed 's#"source":"[^"]*"##; s#"doc":"[^"]*"##' <<<"$big1" | md5sum)" "big text on stdin, 2 threads: the same findings"

# A lower threshold reports the 24-word passage.
run scan --min-words 20 corpus.jsonl
expect_eq "$(grep -c . "$T/out")" "$(( $(grep -c . jsonl1.out) + 1 ))" "--min-words 20 adds the 24-word passage"

finish
