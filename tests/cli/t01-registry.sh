#!/usr/bin/env bash
# t01-registry.sh -- register, list, dedup, unregister, parameters,
# concurrent writers, and a missing or damaged registry.
source "$(dirname "$0")/lib.sh"

for id in ca01 ca02 ca03 ca04 ca05 ca06 ca07 ca08 ca09 ca10; do brown $id > $id.txt; done

run register --author "Brown corpus" ca0*.txt ca10.txt
expect_eq "$rc" 0 "register exits 0"
expect_eq "$(grep -c '^registered ' "$T/out")" 10 "ten works registered"
expect_match "$out" 'registered ca01  \(ca01.txt: text, [0-9]+ words, [0-9]+ fingerprints\)' "register reports format, words and fingerprints"

run register ca01.txt ca02.txt
expect_eq "$(grep -c '^unchanged ' "$T/out")" 2 "same content is not registered twice"

run works --json
expect_eq "$rc" 0 "works --json exits 0"
expect_eq "$(wc -l < "$T/out")" 10 "works lists ten"
expect_eq "$(python3 -c 'import json,sys; print(",".join(json.loads(l)["id"] for l in open(sys.argv[1])))' "$T/out")" \
  "ca01,ca02,ca03,ca04,ca05,ca06,ca07,ca08,ca09,ca10" "works sorted by id"
expect_eq "$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["sha256"])' "$T/out")" \
  "$(sha256sum ca01.txt | cut -d' ' -f1)" "sha256 of the registered file"
expect_eq "$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["author"])' "$T/out")" \
  "Brown corpus" "author stored"
expect_eq "$(sqlite3 "$PICKET_DB" 'select count(*) from works where text is not null')" 0 "no text stored by default"

run register --id mine --title "My Title" --keep-text ca10.txt ca09.txt
expect_eq "$rc" 2 "--id with two files is refused"

brown cb01 > cb01.txt
run register --id mine --title "My Title" --keep-text cb01.txt
expect_eq "$rc" 0 "register with --id"
expect_eq "$(sqlite3 "$PICKET_DB" "select title from works where id='mine'")" "My Title" "title stored"
expect_eq "$(sqlite3 "$PICKET_DB" "select length(text) from works where id='mine'")" "$(wc -c < cb01.txt)" "--keep-text stores the text"

run unregister ca05
expect_eq "$rc" 0 "unregister exits 0"
run works
expect_eq "$(grep -c '^ca' "$T/out")" 9 "nine Brown works left"
run unregister nosuchwork
expect_eq "$rc" 2 "unregister of an unknown id fails"
expect_match "$errs" "^picket: no work with id 'nosuchwork'$" "unregister names the id"

# A directory registers every file under it, in name order, hidden ones skipped.
mkdir -p tree/sub tree/.hidden
brown cd01 > tree/b.txt; brown cd02 > tree/sub/a.txt; brown cd03 > tree/.hidden/c.txt
run register --db "$T/tree.db" tree
expect_eq "$rc" 0 "register a directory"
expect_eq "$(sqlite3 "$T/tree.db" 'select group_concat(id) from (select id from works order by rowid)')" "b,a" "files in name order, hidden skipped"
run register --db "$T/tree.db" --title X tree
expect_eq "$rc" 2 "--title with a directory is refused"

# Parameters are fixed at creation.
run register --k 6 ca05.txt
expect_eq "$rc" 2 "other parameters on an existing registry are refused"
expect_match "$errs" "built with k=8 w=18" "the error names the registry's parameters"
run register --db "$T/small.db" --k 6 --w 10 ca05.txt
expect_eq "$rc" 0 "a new registry takes --k and --w"
expect_eq "$(sqlite3 "$T/small.db" "select value from meta where key='k'")" 6 "k stored in meta"

# Two writers at once: nothing lost.
for id in cc01 cc02 cc03 cc04 cc05 cc06 cc07 cc08 cc09 cc10 cc11 cc12; do brown $id > $id.txt; done
"$PICKET" register --db "$T/conc.db" cc0[1-6].txt > a.out 2>&1 &
p1=$!
"$PICKET" register --db "$T/conc.db" cc0[7-9].txt cc1[0-2].txt > b.out 2>&1 &
p2=$!
r1=0; wait $p1 || r1=$?   # not "wait; r=$?": under set -e a failure would end the script unreported
r2=0; wait $p2 || r2=$?
[ "$r1$r2" = 00 ] || cat a.out b.out >&2
expect_eq "$r1$r2" "00" "concurrent registers succeed"
expect_eq "$(sqlite3 "$T/conc.db" 'select count(*) from works')" 12 "concurrent registers keep every work"

# A registry deleted and made again at the same path, with the same number
# of changes, never reuses the old index.
"$PICKET" register --db "$T/re.db" ca01.txt > /dev/null
run scan --db "$T/re.db" ca01.txt
expect_match "$out" '"work":"ca01"' "scan against the first registry"
rm "$T/re.db"
"$PICKET" register --db "$T/re.db" ca02.txt > /dev/null
run scan --db "$T/re.db" ca02.txt ca01.txt
expect_match "$out" '"work":"ca02"' "the new registry's work is found"
expect_eq "$(grep -c '"work":"ca01"' "$T/out")" 0 "the old registry's index is not used"

# One more work does not rewrite the index file; the new work is found.
brown cc01 > inc1.txt
"$PICKET" register --db "$T/inc.db" ca0*.txt > /dev/null
"$PICKET" compile --db "$T/inc.db" > /dev/null
before=$(stat -c '%i %Y %s' "$T/inc.db.pkx")
"$PICKET" register --db "$T/inc.db" inc1.txt > /dev/null
run scan --db "$T/inc.db" inc1.txt
expect_match "$out" '"work":"inc1"' "a work registered after the index was built is found"
expect_eq "$(stat -c '%i %Y %s' "$T/inc.db.pkx")" "$before" "the index file was not rewritten for one work"
"$PICKET" unregister --db "$T/inc.db" ca02 > /dev/null
run scan --db "$T/inc.db" ca02.txt
expect_eq "$rc" 1 "a removed work is not found"

# Missing and damaged registries.
run scan --db "$T/none/registry.db" ca01.txt
expect_eq "$rc" 2 "scan without a registry fails"
expect_match "$errs" "^picket: $T/none/registry.db: no registry" "the error names the path"
head -c 5000 /dev/urandom > "$T/junk.db"
run works --db "$T/junk.db"
expect_eq "$rc" 2 "a damaged registry is an error"
expect_eq "$(wc -l < "$T/err")" 1 "one line of error"
expect_match "$errs" "junk.db" "the error names the file"

finish
