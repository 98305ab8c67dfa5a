#!/usr/bin/env bash
# t09-fdx.sh -- a Final Draft screenplay is registered as what is said and
# done, with the same words, scenes and pages as the same screenplay in
# Fountain; a .fdx that is not what it claims is refused, quickly, with
# the line, and registers nothing.
source "$(dirname "$0")/lib.sh"
F=$PK_SRC/sample/works/the-crossing.fountain
X=$PK_SRC/sample/works-fdx/the-crossing.fdx

run register "$X"
expect_eq "$rc" 0 "register a Final Draft screenplay"
expect_match "$out" 'registered the-crossing  \(.*: fdx, [0-9]+ words' "read as Final Draft by its extension"
run works --json
expect_match "$out" '"title":"The Crossing"' "title from the title page"
expect_match "$out" '"author":"The picket sample authors"' "author from the title page"
expect_match "$out" '"format":"fdx"' "format listed"

# Both forms of the screenplay: the same words, the same fingerprints.
run register --id crossing-fountain "$F"
expect_eq "$rc" 0 "register the Fountain form"
q() { sqlite3 "$PICKET_DB" "select $1 from works where id='$2'"; }
expect_eq "$(q tokens the-crossing)" "$(q tokens crossing-fountain)" "same words ($(q tokens the-crossing))"
expect_eq "$(q fingerprints the-crossing)" "$(q fingerprints crossing-fountain)" "same fingerprints"
all=$(tr -cs 'A-Za-z0-9' '\n' < "$X" | grep -c .)
[ "$(q tokens the-crossing)" -lt "$all" ] && ok "markup not fingerprinted" || fail "markup fingerprinted"

# t07's quote of scene 6 (Fountain lines 129-136) is found in both forms,
# in scene 6, on the same pages; the .fdx names its own (XML) lines.
{ echo "Fan transcript, posted without permission."; sed -n 129,137p "$F"; echo "Thoughts?"; } > quote.txt
run scan quote.txt
expect_eq "$rc" 0 "the quote is found"
fdx=$(grep '"work":"the-crossing"' <<<"$out" || true)
ftn=$(grep '"work":"crossing-fountain"' <<<"$out" || true)
expect_match "$fdx" '"work_start_scene":6,"work_end_scene":6' "scene 6 in the .fdx"
expect_match "$ftn" '"work_start_scene":6,"work_end_scene":6' "scene 6 in the .fountain"
pages() { sed -E 's/.*"work_start_page":([0-9]+),"work_end_page":([0-9]+).*/\1-\2/' <<<"$1"; }
expect_eq "$(pages "$fdx")" "$(pages "$ftn")" "the same pages in both forms ($(pages "$fdx"))"
expect_match "$fdx" '"work_start_line":240,"work_end_line":252' "lines of the .fdx"
run check quote.txt
expect_match "$out" "scene 6, page $(pages "$fdx" | cut -d- -f1)" "check names the scene and page"

# Content sniffing: a .fdx without its extension.
rm -f "$PICKET_DB" "$PICKET_DB".pkx
sed 's/sit two identical/sit two matching/' "$X" > crossing-draft
run register crossing-draft
expect_match "$out" ': fdx, ' "recognized by its <FinalDraft> element"

# Refusals: an entity bomb, an external entity, a truncated file, a binary
# file, a Fountain file forced to fdx.  Each is reported with its line and
# the file after it is still registered.
cat > bomb.fdx <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE FinalDraft [
 <!ENTITY a "lollollollollollollollollollol">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
 <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">
]>
<FinalDraft><Content><Paragraph Type="Action"><Text>&i;&i;&i;&i;</Text></Paragraph></Content></FinalDraft>
EOF
printf '<?xml version="1.0"?>\n<!DOCTYPE FinalDraft [\n<!ENTITY x SYSTEM "file:///etc/passwd">\n]>\n<FinalDraft><Content><Paragraph Type="Action"><Text>&x;</Text></Paragraph></Content></FinalDraft>\n' > xxe.fdx
head -c 3000 "$X" > truncated.fdx
head -c 4096 /dev/urandom > binary.fdx
rm -f "$PICKET_DB" "$PICKET_DB".pkx
start=$(date +%s)
run register bomb.fdx xxe.fdx truncated.fdx binary.fdx "$X"
secs=$(($(date +%s) - start))
[ "$rc" -ne 0 ] && ok "refusals fail the command (rc $rc)" || fail "rc 0 with refusals"
[ "$secs" -le 5 ] && ok "refused within ${secs}s" || fail "refusals took ${secs}s"
expect_match "$errs" 'bomb.fdx: line 2: a DOCTYPE is refused' "entity bomb refused at its DOCTYPE"
expect_match "$errs" 'xxe.fdx: line 2: a DOCTYPE is refused' "external entity refused"
if grep -q 'root:' <<<"$out$errs"; then fail "/etc/passwd was read"; else ok "/etc/passwd not read"; fi
expect_match "$errs" 'truncated.fdx: line [0-9]+: malformed XML: ' "truncated XML refused with its line"
expect_match "$errs" 'binary.fdx: line [0-9]+: not a Final Draft file' "binary file refused"
[ "$(grep -c . <<<"$errs")" -eq 4 ] && ok "one line each" || fail "errors: $errs"
expect_match "$out" 'registered the-crossing  \(.*: fdx, ' "the good file still registered"
[ "$(sqlite3 "$PICKET_DB" 'select count(*) from works')" -eq 1 ] && ok "nothing else registered" \
  || fail "refused files registered"
run register --format fdx "$F"
[ "$rc" -ne 0 ] && ok "a Fountain file is not Final Draft (rc $rc)" || fail "--format fdx read a Fountain file"
expect_match "$errs" "the-crossing.fountain: line 1: not a Final Draft file" "and says so"
run register --format nonsense crossing-draft
expect_match "$errs" "expected auto, text, fountain, fdx, " "--format lists fdx"
finish
