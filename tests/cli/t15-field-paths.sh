#!/usr/bin/env bash
# t15-field-paths.sh -- --text-field and --id-field as dotted paths through
# nested JSONL objects and arrays, in scan and filter: the quoting record is
# found by its nested id, a flattened "meta.content" key wins over the
# path, records without the path are errors naming the line and the field,
# and filter keeps the other lines byte-identical.
source "$(dirname "$0")/lib.sh"

brown ca01 > work.txt
"$PICKET" register work.txt >/dev/null
python3 - <<'PY'
import json
w = open("work.txt").read().split("\n")
quote = " ".join(w[5:35])
other = "a short note about nothing in particular"
rows = [
    {"meta": {"id": "n1", "content": other}},
    {"meta": {"id": "n2", "content": quote}},
    {"meta": {"id": "n3"}, "meta.content": quote},           # the whole key wins
    {"meta": {"id": "n4", "content": quote}, "meta.content": other},
    {"meta": {"id": "n5", "body": quote}},                  # no such path
    {"messages": [{"content": other}, {"content": quote}], "meta": {"id": "n6"}},
]
with open("nested.jsonl", "w") as f:
    for r in rows: f.write(json.dumps(r) + "\n")
with open("chat.jsonl", "w") as f:
    for r in rows[5:]: f.write(json.dumps(r) + "\n")
PY

run scan --text-field meta.content --id-field meta.id nested.jsonl
expect_eq "$rc" 2 "a record without the path makes the exit status 2"
expect_eq "$(grep -o '"doc":"[^"]*"' "$T/out" | tr '\n' ' ')" '"doc":"n2" "doc":"n3" ' \
  "found by the nested path and by the whole dotted key; the whole key wins over the path"
expect_match "$errs" 'nested.jsonl:5: no text member \(text field "meta.content"\)' "the error names the line and the field path"
expect_match "$errs" 'nested.jsonl:6: no text member' "a record with the path elsewhere is an error too"

run scan --text-field messages.1.content --id-field meta.id chat.jsonl
expect_eq "$rc" 0 "a numeric part indexes an array"
expect_match "$out" '"doc":"n6","source":"chat.jsonl","line":1' "messages.1.content is the second message"
run scan --text-field messages.0.content chat.jsonl
expect_eq "$rc" 1 "messages.0.content holds no quote"

run filter --text-field meta.content --id-field meta.id --keep kept.jsonl --removed removed.jsonl nested.jsonl
expect_eq "$rc" 2 "filter: the malformed records make the exit status 2"
expect_eq "$(cat kept.jsonl)" "$(sed -n '1p;4p' nested.jsonl)" "kept lines are byte-identical"
expect_eq "$(grep -c '"reason":"registered"' removed.jsonl) $(grep -c '"reason":"malformed"' removed.jsonl)" "2 2" \
  "two registered, two without the path"
expect_match "$(grep '"doc":"n2"' removed.jsonl)" '"reason":"registered"' "the removed record carries its nested id"

too=$(printf 'a.%.0s' $(seq 70))a
run scan --text-field "$too" nested.jsonl
expect_eq "$rc" 2 "a path of more than 64 parts is refused"
expect_match "$errs" "a field path has at most 64 parts" "and the error says so"
finish
