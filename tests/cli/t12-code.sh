#!/usr/bin/env bash
# t12-code.sh -- source code works.  Registered as they are, a verbatim
# copy is found by a plain scan wherever it was pasted; registered with
# --normalize-identifiers, a copy with every name changed and the comments
# rewritten is found by scan and check --normalize-identifiers, with the
# offsets of the document as given and the lines of the work.  Unrelated
# code of the same languages is not found.  The programs in
# tests/data/code were written for this test.
source "$(dirname "$0")/lib.sh"
D=$PK_SRC/tests/data/code
cp "$D"/* .

# Line where a text starts, as a byte offset into a file.
offset_of_line() { python3 -c 'import sys; print(len("".join(open(sys.argv[1]).readlines()[:int(sys.argv[2]) - 1]).encode()))' "$1" "$2"; }

run register wordfreq.c budget.py
expect_eq "$rc" 0 "register C and Python"
expect_match "$out" 'registered wordfreq  \(wordfreq.c: code, [0-9]+ words' "a .c file is code"
expect_match "$out" 'registered budget  \(budget.py: code, [0-9]+ words' "a .py file is code"
run works --json
expect_match "$out" '"format":"code"' "format listed"

# Verbatim copies: lines 30-47 of the C program inside a JSONL record (in a
# Markdown fence), lines 27-42 of the Python program in a text page.
python3 - <<'EOF'
import json
c = open("wordfreq.c").read().split("\n")
p = open("budget.py").read().split("\n")
rec = {"id": "so-123", "text": "Q: why does my hash table leak?\n\n```c\n" + "\n".join(c[29:47]) + "\n```\nThanks."}
with open("train.jsonl", "w") as f:
    f.write(json.dumps({"id": "other", "text": "nothing to see here"}) + "\n" + json.dumps(rec) + "\n")
open("page.txt", "w").write("My budget script, use freely:\n\n" + "\n".join(p[26:42]) + "\n\nEnjoy.\n")
EOF
run scan train.jsonl page.txt
expect_eq "$rc" 0 "verbatim copies found by a plain scan"
expect_match "$out" '"doc":"so-123",.*"work":"wordfreq",.*"work_start_line":30,"work_end_line":47' "C lines 30-47 in the JSONL record"
expect_match "$out" '"doc":"page.txt",.*"work":"budget",.*"work_start_line":27,"work_end_line":42' "Python lines 27-42 in the page"
expect_eq "$(grep -c '"work"' <<<"$out")" 2 "two findings, nothing in the other record"

# Renamed copies: every variable, function, macro and field renamed, the
# comments rewritten, library calls and layout kept.
python3 - <<'EOF'
import json
c = open("wordfreq-renamed.c").read()
u = open("sieve.c").read()
with open("train2.jsonl", "w") as f:
    f.write(json.dumps({"id": "leak", "text": "Here is my solution:\n" + c}) + "\n")
    f.write(json.dumps({"id": "primes", "text": u}) + "\n")
open("page2.txt", "w").write("Spending tracker I wrote:\n" + open("budget-renamed.py").read())
EOF
run scan train2.jsonl page2.txt wordfreq-renamed.c budget-renamed.py
expect_eq "$rc" 1 "renamed copies are not found as text"

export PICKET_DB=$T/norm.db
run register --normalize-identifiers wordfreq.c budget.py
expect_eq "$rc" 0 "register normalized"
expect_match "$out" 'registered wordfreq  \(wordfreq.c: code-normalized, [0-9]+ words' "stored as code-normalized"
run works --json
expect_match "$out" '"format":"code-normalized"' "normalized format listed"
run scan train2.jsonl page2.txt
expect_eq "$rc" 1 "a plain scan does not read normalized works"
run scan --normalize-identifiers train2.jsonl page2.txt sieve.c rename_photos.py
expect_eq "$rc" 0 "renamed copies found with --normalize-identifiers"
expect_eq "$(grep -c '"work"' <<<"$out")" 2 "two findings: no unrelated C or Python"
leak=$(grep '"doc":"leak"' <<<"$out" || true)
expect_match "$leak" '"work":"wordfreq",.*"work_start_line":3,"work_end_line":84' "C: lines 3-84 (from the first #include)"
# doc_start: the first #include of the copy, in the decoded JSON string.
want=$(( $(printf 'Here is my solution:\n' | wc -c) + $(offset_of_line wordfreq-renamed.c 3) ))
expect_match "$leak" "\"doc_start\":$want," "C: doc_start is the copy's first #include ($want)"
want_end=$(( $(printf 'Here is my solution:\n' | wc -c) + $(wc -c < wordfreq-renamed.c) - 1 ))
expect_match "$leak" "\"doc_end\":$want_end," "C: doc_end is the copy's last brace ($want_end)"
page=$(grep '"doc":"page2.txt"' <<<"$out" || true)
expect_match "$page" '"work":"budget",.*"work_start_line":2,"work_end_line":54' "Python: lines 2-54"
want=$(( $(printf 'Spending tracker I wrote:\n' | wc -c) + $(offset_of_line budget-renamed.py 2) ))
expect_match "$page" "\"doc_start\":$want," "Python: doc_start is the copy's docstring ($want)"
# Slicing the page at the reported offsets gives the copied code.
ds=$(sed -E 's/.*"doc_start":([0-9]+),"doc_end":([0-9]+).*/\1 \2/' <<<"$page")
read -r a b <<<"$ds"
expect_eq "$(head -c "$b" page2.txt | tail -c +$((a + 1)) | head -c 19)" '"""Sum up a spendin' "the slice starts at the copy"
expect_eq "$(head -c "$b" page2.txt | tail -c 20)" 'exit(main(sys.args))' "and ends at its last token"

# A verbatim fragment is found in normalized mode too.
run scan --normalize-identifiers train.jsonl
expect_match "$out" '"work":"wordfreq",.*"work_start_line":30,"work_end_line":47' "a verbatim fragment in normalized mode"

run check --normalize-identifiers wordfreq-renamed.c
expect_eq "$rc" 0 "check --normalize-identifiers finds the renamed copy"
expect_match "$out" "bytes $(offset_of_line wordfreq-renamed.c 3)-$(( $(wc -c < wordfreq-renamed.c) - 1 )) = work lines 3-84" "check names bytes of the file and lines of the work"
expect_match "$out" '\[\[#include <ctype.h>' "check shows the original text"
run check wordfreq-renamed.c
expect_eq "$rc" 1 "check without the option: clean"
run check --normalize-identifiers sieve.c
expect_eq "$rc" 1 "unrelated C: clean"
run check --normalize-identifiers rename_photos.py
expect_eq "$rc" 1 "unrelated Python: clean"

# --format code, code-normalized; the option reads every FILE as code.
export PICKET_DB=$T/fmt.db
cp budget.py budget.txt
run register --format code budget.txt
expect_match "$out" ': code, ' "--format code"
run register --format code-normalized --id bn budget.txt
expect_eq "$rc" 0 "--format code-normalized"
run register --normalize-identifiers --format fountain budget.py
expect_eq "$rc" 2 "--normalize-identifiers with another format refused"
expect_match "$errs" "reads every FILE as code" "and explained"

# Binary files are refused, naming the byte offset.
printf 'int x;\n\0\1\2\3' > blob.c
run register blob.c
expect_eq "$rc" 2 "a binary .c refused"
expect_match "$errs" 'blob.c: binary file, not source code: NUL byte at byte offset 7' "with the offset"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(0x80 + i * 7 % 64 for i in range(3000)))' > noise.py
run register noise.py
expect_eq "$rc" 2 "random bytes refused"
expect_match "$errs" 'noise.py: binary file, not source code: [0-9]+ invalid UTF-8 sequences' "as binary"

run help scan
expect_match "$out" "--normalize-identifiers" "scan help"
run help check
expect_match "$out" "--normalize-identifiers" "check help"
run help register
expect_match "$out" "--normalize-identifiers" "register help"
expect_match "$out" "code-normalized" "register help names the format"
finish
