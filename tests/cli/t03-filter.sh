#!/usr/bin/env bash
# t03-filter.sh -- the do-not-train filter accounts for every record:
# kept lines byte-identical, removed ones with the reason, malformed ones
# with the error, counts that reconcile, no half-written output.
source "$(dirname "$0")/lib.sh"

ids=$(cd "$BROWN" && ls c[a-c]?? | head -50)
mkdir works
for id in $ids; do brown $id > works/$id.txt; done
"$PICKET" register works/*.txt > /dev/null
python3 "$PK_SRC/tests/cli/mkdocs.py" "$BROWN" "$NLP" "$T" $(echo $ids | tr ' ' '\n' | sed -n '3,15p')

run filter --keep kept.jsonl --removed removed.jsonl corpus.jsonl
expect_eq "$rc" 0 "filter exits 0"
in=$(grep -c . corpus.jsonl)
kept=$(grep -c . kept.jsonl)
removed=$(grep -c . removed.jsonl)
expect_eq "$((kept + removed))" "$in" "every record in exactly one output"
expect_eq "$removed" 11 "eleven documents carry a registered passage of 25+ words"
expect_match "$errs" "in $in = kept $kept \+ removed $removed \(11 registered, 0 malformed\)" "counts printed and reconciled"
# Kept lines are byte-identical and in input order.
expect_eq "$(grep -Fxf kept.jsonl corpus.jsonl | md5sum)" "$(md5sum < kept.jsonl)" "kept lines byte-identical, in order"
python3 - <<'PY' && ok "removed records carry the reason and the original line" || fail "removed records"
import json
orig = {l.rstrip("\n") for l in open("corpus.jsonl")}
for l in open("removed.jsonl"):
    r = json.loads(l)
    assert r["reason"] == "registered" and r["works"] and r["record"] in orig, r
    assert all(w["matched_words"] >= 25 and 0 < w["work_coverage"] <= 1 for w in r["works"]), r
PY

# Malformed records go to the removed side with the error; blank lines are not records.
{ head -3 corpus.jsonl; echo '{"id":"bad1","text":"unterminated}'; echo; echo '{"id":"notext","body":"x"}'; echo '[1,2]'; sed -n '4,10p' corpus.jsonl; } > mixed.jsonl
run filter --keep k2.jsonl --removed r2.jsonl mixed.jsonl
expect_eq "$rc" 2 "malformed records make the exit status 2"
expect_eq "$(( $(grep -c . k2.jsonl) + $(grep -c . r2.jsonl) ))" 13 "13 records accounted for"
expect_eq "$(grep -c '"reason":"malformed"' r2.jsonl)" 3 "three malformed records removed with the error"
expect_match "$(grep bad1 r2.jsonl)" '"error":"mixed.jsonl:4: malformed JSON at byte [0-9]+' "the error names the file, line and byte"
expect_match "$errs" "mixed.jsonl:6: " "stderr names the line without a text field"
expect_match "$errs" "3 malformed\\)" "summary counts the malformed"

# A failed run leaves no output and no temporary file behind.
printf 'not gzip at all' | gzip | head -c 20 > trunc.jsonl.gz
run filter --keep k3.jsonl --removed r3.jsonl trunc.jsonl.gz
expect_eq "$rc" 2 "a truncated input fails"
run filter --keep /nonexistent/dir/k.jsonl --removed r4.jsonl corpus.jsonl
expect_eq "$rc" 2 "an unwritable output fails"
expect_eq "$(ls r4.jsonl* k.jsonl* 2>/dev/null | wc -l)" 0 "no half-written output left"

# A device is written in place, never replaced; a link keeps pointing at its file.
mkfifo fifo
cat fifo > fifo.out &
run filter --keep fifo --removed r6.jsonl corpus.jsonl
wait
expect_eq "$(test -p fifo && echo fifo)" fifo "a FIFO target stays a FIFO"
expect_eq "$(grep -c . fifo.out)" "$kept" "the FIFO received the kept records"
touch real.jsonl && ln -s real.jsonl link.jsonl
run filter --keep link.jsonl --removed r7.jsonl corpus.jsonl
expect_eq "$(test -L link.jsonl && echo link)" link "a symbolic link stays a link"
expect_eq "$(grep -c . real.jsonl)" "$kept" "the link's file received the kept records"

# The same file for both outputs is refused before anything is written.
cp corpus.jsonl same.jsonl
run filter --keep same.jsonl --removed ./same.jsonl corpus.jsonl
expect_eq "$rc" 2 "--keep and --removed naming one file is refused"
expect_match "$errs" "name the same file" "and says why"
expect_eq "$(md5sum < same.jsonl)" "$(md5sum < corpus.jsonl)" "the file is untouched"

# Text inputs: each file is a record; outputs list paths.
run filter --keep kt.txt --removed rt.jsonl docs
expect_eq "$(( $(grep -c . kt.txt) + $(grep -c . rt.jsonl) ))" "$(ls docs | wc -l)" "text files: every file accounted for"

# --min-coverage: only works covered at least that much are removed.
run filter --min-coverage 0.08 --keep k5.jsonl --removed r5.jsonl corpus.jsonl
expect_eq "$(grep -c . r5.jsonl)" 1 "only the 200-word passage covers 8% of a work"

finish
