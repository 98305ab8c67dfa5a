#!/usr/bin/env bash
# t05-check.sh -- check one text: the reused passages for a person, or JSON.
source "$(dirname "$0")/lib.sh"

brown cf01 > cf01.txt
"$PICKET" register --title "Brown sample F01" cf01.txt > /dev/null
python3 - <<'PY'
import re
t = open("cf01.txt").read()
toks = [m for m in re.finditer(r"[A-Za-z0-9]+(?:'[A-Za-z0-9]+)*", t)]
a, b = toks[300].start(), toks[349].end()
open("answer.txt", "w").write("The model answered: " + t[a:b] + " and that was all.\n")
open("span.txt", "w").write("%d %d\n" % (len("The model answered: "), len("The model answered: ") + b - a))
PY
run check answer.txt
expect_eq "$rc" 0 "check finds the passage"
expect_match "$out" '^Brown sample F01  \(cf01\): 50 words matched' "title, id and words"
expect_match "$out" "bytes $(cut -d' ' -f1 span.txt)-$(cut -d' ' -f2 span.txt) = work lines" "exact byte range"
expect_match "$out" '\[\[' "the passage is marked"
run check --json answer.txt
expect_eq "$(python3 -c 'import json,sys; f=json.loads(open(sys.argv[1]).read()); print(f["work"], f["matched_words"], len(f["passages"]))' "$T/out")" "cf01 50 1" "check --json"
set +e; "$PICKET" check < answer.txt > stdin.out; rc=$?; set -e
expect_eq "$rc" 0 "check reads stdin"
echo "Nothing registered here at all, just a sentence." > clean.txt
run check clean.txt
expect_eq "$rc" 1 "a clean text: exit 1"
expect_match "$out" "^no registered passage of 25 words or more$" "a clean text says so"
finish
