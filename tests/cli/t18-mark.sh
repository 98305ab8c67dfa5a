#!/usr/bin/env bash
# t18-mark.sh -- picket mark writes 20 copies of a screenplay, one per
# recipient, that read the same to picket's fingerprints; picket trace
# names the right recipient from a leaked copy after plain-text copying,
# re-wrapping, excerpting and a PDF round trip (afterwriting), and names
# nobody for the unmarked original or an unrelated text.
source "$(dirname "$0")/lib.sh"
W=$PK_SRC/sample/works
AW=$PK_DEPS/node_modules/.bin/afterwriting
# Two sample screenplays, one work: enough choice points for excerpts.
cat "$W/the-crossing.fountain" > work.fountain
sed '1,/^$/d' "$W/night-shift.fountain" >> work.fountain
run register --id play work.fountain
expect_eq "$rc" 0 "register the work"

for i in $(seq 1 20); do
  run mark work.fountain --recipient "Reader $i" --out "copy$i.fountain"
  [ "$rc" -eq 0 ] || fail "mark for Reader $i: $errs"
done
expect_match "$out" '^marked work.fountain for Reader 20: mark [0-9a-f]{32}, [0-9]+ choice points, work play$' "mark says what it did"
n=$(sqlite3 "$PICKET_DB" "select count(*) from marks where work_id='play'")
expect_eq "$n" 20 "20 marks recorded"
if grep -q "Reader" copy7.fountain; then fail "the copy names its recipient"; else ok "nothing in the copy names the recipient"; fi
[ "$(md5sum <copy7.fountain)" != "$(md5sum <copy8.fountain)" ] && ok "copies differ" || fail "copies 7 and 8 are the same"
run mark work.fountain --recipient "Reader 7" --out again.fountain
cmp -s again.fountain copy7.fountain && ok "marking again writes the same copy" || fail "a second mark differs"
expect_match "$out" '^re-marked ' "and says so"

# The copies read the same to picket: scan finds the work in each.
run scan copy7.fountain
expect_match "$out" '"work":"play"' "a marked copy is still the work to scan"

tr7() { # leak expected-name what
  run trace "$1"
  expect_eq "$rc" 0 "$3: named (rc)"
  expect_match "$out" "leaked by: $2 \\(mark" "$3: $2"
}
# Copy and paste into plain text.
cp copy7.fountain leak.txt
tr7 leak.txt "Reader 7" "plain-text copy"
# Re-wrapped to 50 columns.
fmt -w 50 copy7.fountain > wrapped.txt
tr7 wrapped.txt "Reader 7" "re-wrapped (fmt -w 50)"
# A three-page excerpt (180 lines of the file, from the middle). Two pages
# of this play carry about 32 choice points, at the edge of what the 1e-6
# bound allows for 20 recipients with random marks; bench/mark.sh measures
# how often shorter leaks are named.
sed -n 40,220p copy7.fountain > excerpt.txt
tr7 excerpt.txt "Reader 7" "3-page excerpt"
run trace --json excerpt.txt
expect_match "$out" '"accused":"Reader 7"' "--json names the recipient"
expect_match "$out" '"points_used":[0-9]+,"points_work":[0-9]+,"recipients":20,"alpha":1e-06' "--json reports points, recipients, bound"
# A PDF made by afterwriting, read back by picket and by pdftotext.
if [ -x "$AW" ]; then
  "$AW" --source copy12.fountain --pdf copy12.pdf --overwrite </dev/null >aw.log 2>&1 || { cat aw.log >&2; fail "afterwriting failed"; }
  tr7 copy12.pdf "Reader 12" "PDF round trip (picket's reader)"
  if command -v pdftotext >/dev/null; then
    pdftotext copy12.pdf copy12.txt
    tr7 copy12.txt "Reader 12" "PDF round trip (pdftotext)"
  fi
else
  echo "SKIP: afterwriting is not installed; no PDF round trip"
fi

# --dense: line breaks after commas as well; recorded with the mark, so
# the same recipient gets the same copy again, and trace names it.
run mark work.fountain --recipient "Reader 21" --dense --out dense21.fountain
expect_eq "$rc" 0 "mark --dense"
grep -q ',$' dense21.fountain && ok "a dense copy breaks lines after commas" || fail "no line ends with a comma"
# a default copy ends a line at a comma only where a page would (line
# wrapping ends a line where pages differ at the narrowest): full lines
if grep -q ',$' work.fountain || awk '/,$/ && length($0) < 25 { bad = 1 } END { exit !bad }' copy7.fountain; then
  fail "a default copy breaks a short line after a comma"
else
  ok "a default copy does not break short lines after commas"
fi
run mark work.fountain --recipient "Reader 21" --out dense21b.fountain
cmp -s dense21.fountain dense21b.fountain && ok "the dense copy again, without --dense" || fail "re-marking changed the dense copy"
tr7 dense21.fountain "Reader 21" "dense copy"

# The registry's code: fair coins by default, fixed by the first mark;
# --tardos on a new registry gives Tardos biases (cut-off 0.2), and the
# leaker is still named.
expect_eq "$(sqlite3 "$PICKET_DB" "select cutoff from mark_key")" 0.5 "a new registry's code: fair coins"
run mark work.fountain --recipient "Reader 22" --tardos --out tardos-ignored.fountain
expect_match "$errs" "--tardos ignored" "--tardos on a registry with a code: a warning"
expect_eq "$(sqlite3 "$PICKET_DB" "select cutoff from mark_key")" 0.5 "and the code stays"
for k in 0 1 2; do
  PICKET_DB=$T/tardos.db run mark work.fountain --recipient "T$k" --tardos --out "tardos$k.fountain"
  expect_eq "$rc" 0 "--tardos mark T$k"
  expect_eq "$errs" "" "--tardos mark T$k: no warning"
done
expect_eq "$(sqlite3 "$T/tardos.db" "select cutoff from mark_key")" 0.2 "--tardos on a new registry: Tardos biases"
PICKET_DB=$T/tardos.db run trace tardos1.fountain
expect_match "$out" "leaked by: T1 " "a Tardos registry names the leaker"

# Nobody for the unmarked original, an unrelated text, or too short a leak.
run trace work.fountain
expect_eq "$rc" 1 "unmarked original: cannot tell"
expect_match "$out" "cannot tell" "and says so"
brown ca01 > news.txt
run trace news.txt
expect_eq "$rc" 1 "unrelated text: cannot tell"
sed -n 60,64p copy7.fountain > tiny.txt
run trace tiny.txt
expect_eq "$rc" 1 "a few lines: cannot tell"
# Errors.
run mark work.fountain
expect_eq "$rc" 2 "mark without --recipient"
run trace --alpha 2 leak.txt
expect_eq "$rc" 2 "bad --alpha"
PICKET_DB=$T/empty.db run trace leak.txt
expect_eq "$rc" 2 "no registry"
finish
