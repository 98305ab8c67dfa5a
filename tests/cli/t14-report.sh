#!/usr/bin/env bash
# t14-report.sh -- findings to an HTML report and a signed evidence bundle;
# verify passes on the bundle as written and fails, saying why, after any
# change: a byte of the bundle, an input file, the registry, another key.
source "$(dirname "$0")/lib.sh"

brown ca01 > ca01.txt
brown cb01 > cb01.txt
"$PICKET" register --keep-text --title "Brown A01" ca01.txt > /dev/null
"$PICKET" register cb01.txt > /dev/null
python3 - <<'PY'
import json, re
def words(name, a, b):
    t = open(name).read()
    toks = [m for m in re.finditer(r"\S+", t)]
    return t[toks[a].start():toks[b].end()]
# Hostile web text inside the reused passage, and one word changed.
one = (words("ca01.txt", 200, 250) + " <script>alert(1)</script> " + words("ca01.txt", 251, 300)).replace(" said ", " stated ", 1)
with open("docs.jsonl", "w") as f:
    f.write(json.dumps({"id": "page<1>", "text": "Intro. " + one + " Outro."}) + "\n")
    f.write(json.dumps({"id": "page2", "text": "Quoted: " + words("cb01.txt", 40, 120)}) + "\n")
    f.write(json.dumps({"id": "page3", "text": "Nothing registered here."}) + "\n")
PY
"$PICKET" scan --quiet --with-text docs.jsonl > findings.jsonl
expect_eq "$(wc -l < findings.jsonl)" 2 "two findings"
expect_match "$(head -1 findings.jsonl)" '"text":"[^"]*<script>alert' "scan --with-text carries the document's passage"

run report --out rep findings.jsonl
expect_eq "$rc" 0 "report writes the bundle"
expect_match "$errs" "2 findings: rep/report.html" "report says what it wrote"
[ -f rep/report.html ] && [ -f rep/report-2.html ] && [ -f rep/evidence.json ] && ok "report.html, report-2.html, evidence.json" || fail "bundle files missing"
[ ! -e rep/evidence.json.sig ] && ok "unsigned without --sign" || fail "a signature without --sign"
html=$(cat rep/report.html)
expect_match "$html" '&lt;<ins class="x">script&gt;alert\(1\)&lt;/script</ins>&gt;' "the script in the document shows as text"
if grep -qi "<script" rep/report*.html; then fail "a <script> element in the report"; else ok "no <script> element"; fi
expect_match "$html" "Content-Security-Policy\" content=\"default-src 'none'" "nothing may load or run"
expect_match "$html" "<mark>" "matching words highlighted"
expect_match "$html" '<ins class="x">stated</ins>' "a changed word marked in the document"
expect_match "$html" '<del class="x">said</del>' "and in the work"
expect_match "$html" "Brown A01" "the work's title"
expect_match "$html" "does not keep this work's text" "a work without kept text: location only, and why"
python3 - "$("$PICKET" version | cut -d' ' -f2)" > evcheck.txt <<'PY' || true
import hashlib, json, re, sys
ev = json.load(open("rep/evidence.json"))
sha = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
checks = [
    ev["picket_evidence"] == 1,
    ev["tool"]["version"] == sys.argv[1],
    ev["params"] == {"k": 8, "w": 18, "scheme": ev["params"]["scheme"]},
    re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", ev["created"]) is not None,
    ev["inputs"]["findings"]["sha256"] == sha("findings.jsonl"),
    ev["inputs"]["findings"]["path"].endswith("/findings.jsonl"),
    len(ev["inputs"]["registry"]["fingerprints_sha256"]) == 64,
    [o["sha256"] for o in ev["outputs"]] == [sha("rep/" + o["path"]) for o in ev["outputs"]],
    [f["doc"] for f in ev["findings"]] == ["page<1>", "page2"],
    [w["id"] for w in ev["works"]] == ["ca01", "cb01"] and len(ev["works"][0]["sha256"]) == 64,
]
print(" ".join("1" if c else "0" for c in checks))
PY
expect_eq "$(cat evcheck.txt)" "1 1 1 1 1 1 1 1 1 1" "evidence.json: version, params, time, hashes, works, findings"
SOURCE_DATE_EPOCH=86400 "$PICKET" report --out rep-stdin - < findings.jsonl 2> /dev/null
expect_match "$(cat rep-stdin/evidence.json)" '"path": "-"' "findings from stdin"
expect_match "$(cat rep-stdin/evidence.json)" '"created": "1970-01-02T00:00:00Z"' "SOURCE_DATE_EPOCH is the time recorded"

run keygen --out key
expect_eq "$rc" 0 "keygen"
expect_eq "$(stat -c %a key)" 600 "secret key mode 0600"
expect_match "$(cat key.pub)" "^picket-ed25519-public [A-Za-z0-9+/]{43}=$" "public key line"
run keygen --out key
expect_eq "$rc" 2 "keygen refuses to replace a key"
expect_match "$errs" "already exists \(--force" "and says how"
"$PICKET" keygen --out other > /dev/null

run report --sign key --out signed findings.jsonl
expect_eq "$rc" 0 "report --sign"
[ -f signed/evidence.json.sig ] && ok "evidence.json.sig written" || fail "no signature"
run verify --key key.pub signed
expect_eq "$rc" 0 "verify: the bundle as written"
expect_match "$out" "^ok +signature: Ed25519 signature over evidence.json by key [0-9a-f]{16}, the key given" "signature checked"
expect_match "$out" "^ok +report.html: SHA-256 matches" "pages checked"
expect_match "$out" "^ok +findings: .*findings.jsonl: SHA-256 matches" "findings file checked"
expect_match "$out" "^ok +registry: .*: fingerprints of 2 works match" "registry checked"
run verify signed/evidence.json
expect_eq "$rc" 0 "verify evidence.json, no --key"
expect_match "$out" "give --key FILE.pub" "without --key it says the signer is unchecked"

flip() { # file offset: change one byte
  python3 -c 'import sys; p, o = sys.argv[1], int(sys.argv[2]); b = bytearray(open(p, "rb").read()); b[o] ^= 1; open(p, "wb").write(b)' "$1" "$2"
}
cp -r signed t1 && flip t1/evidence.json 200
run verify --key key.pub t1
expect_eq "$rc" 1 "a byte of evidence.json changed: fails"
expect_match "$out" "^FAILED +signature: does not match evidence.json" "and says the evidence changed"
expect_match "$errs" "verification FAILED" "verdict on stderr"
cp -r signed t2 && flip t2/evidence.json.sig 40
run verify --key key.pub t2
expect_eq "$rc" 1 "a byte of the signature changed: fails"
cp -r signed t3 && flip t3/report.html 1000
run verify --key key.pub t3
expect_eq "$rc" 1 "a byte of report.html changed: fails"
expect_match "$out" "^FAILED +report.html: changed: SHA-256" "names the page"
cp -r signed t4 && rm t4/evidence.json.sig
run verify --key key.pub t4
expect_eq "$rc" 1 "no signature: fails"
expect_match "$out" "the bundle is not signed" "says it is not signed"
run verify --key other.pub signed
expect_eq "$rc" 1 "another key: fails"
expect_match "$out" "not by the key given" "says whose key signed"

cp findings.jsonl findings.orig
echo '{"doc":"x","work":"ca01","passages":[]}' >> findings.jsonl
run verify --key key.pub signed
expect_eq "$rc" 1 "the findings file changed: fails"
expect_match "$out" "^FAILED +findings: .*findings.jsonl changed" "names the findings file"
run verify --key key.pub --findings findings.orig signed
expect_eq "$rc" 0 "--findings: the file where it is now"
mv findings.orig findings.jsonl
brown cc01 > cc01.txt
"$PICKET" register cc01.txt > /dev/null
run verify --key key.pub signed
expect_eq "$rc" 1 "the registry changed: fails"
expect_match "$out" "^FAILED +registry: .*fingerprints changed" "names the registry"
run verify --key key.pub --db /nonexistent/registry.db signed
expect_eq "$rc" 0 "a registry not at hand is not checked"
expect_match "$out" "^not checked +registry" "and says so"

run verify nonexistent-bundle
expect_eq "$rc" 2 "no bundle: error"
echo '{"work": oops}' > bad.jsonl
run report --out bad bad.jsonl
expect_eq "$rc" 2 "malformed findings: error"
expect_match "$errs" "bad.jsonl: line 1: not JSON" "names the line"
run report --sign nokey --out nk findings.jsonl
expect_eq "$rc" 2 "a missing key: error"
for c in report keygen verify; do
  run help "$c"
  expect_match "$out" "^usage: picket $c" "picket help $c"
done
finish
