#!/usr/bin/env bash
# t06-demo.sh -- the sample data: `picket demo` and `picket scan` report
# exactly the (document, work, words) listed in sample/corpus/EXPECTED.md.
source "$(dirname "$0")/lib.sh"

run demo --sample "$PK_SRC/sample" --keep "$T/demo"
expect_eq "$rc" 0 "demo exits 0"
expect_match "$out" "9 findings" "demo reports nine findings"

expected=$(python3 - "$PK_SRC/sample/corpus/EXPECTED.md" <<'PY'
import re, sys
rows = []
for l in open(sys.argv[1]):
    c = [x.strip() for x in l.strip().strip("|").split("|")]
    if len(c) == 6 and c[5].isdigit():
        rows.append("%s %s %s" % (c[0].split(" ")[0], c[1], c[5]))
print("\n".join(sorted(rows)))
PY
)
"$PICKET" register "$PK_SRC"/sample/works/* > /dev/null
run scan "$PK_SRC/sample/corpus"
expect_eq "$rc" 0 "scan of the sample corpus exits 0"
got=$(python3 - "$T/out" <<'PY'
import json, sys
rows = []
for l in open(sys.argv[1]):
    f = json.loads(l)
    rows.append("%s %s %d" % (f["doc"].rsplit("/", 1)[-1], f["work"], f["matched_words"]))
print("\n".join(sorted(rows)))
PY
)
expect_eq "$got" "$expected" "findings equal EXPECTED.md"
finish
