"""pantok.py -- picket's tokenizer re-implemented in Python (stdlib only), so
that the PAN-style benchmark can turn the word indexes picket reports for a
work (work_start_word, work_end_word) into byte offsets of the work's file.

The definition followed is src/text.c's scalar_step():
  - a token is a maximal run of word characters: Unicode letters (L*),
    numbers (N*) and marks (M*); default-ignorable characters inside a word
    are skipped (approximated here by category Cf); characters of scripts
    written without spaces (Han, kana, Thai, Lao, Khmer, Myanmar) are one
    token each;
  - an apostrophe (' U+2019 U+02BC) followed by a word character joins;
  - a hyphen (- U+2010 U+2011), then blanks, an optional CR, a LF, blanks,
    and a word character joins ("some-\\nthing" is one token);
  - a run longer than 255 bytes is cut.
Offsets are UTF-8 byte offsets.  The benchmark checks the result against the
word counts `picket register --json` prints for every work (score.py).

fountain_tokens() gives the tokens of a Fountain screenplay *as written by
gen.py* (a small subset of Fountain): picket fingerprints the rendered text
(action and dialogue only: no title page, scene headings, character cues,
parentheticals or transitions), so the word indexes it reports count only
those tokens; their byte offsets are offsets into the .fountain file.
"""
import unicodedata

MAXLEN = 255
APOS = {"'", "\u2019", "\u02bc"}
HYPH = {"-", "\u2010", "\u2011"}


def _single(c):
    return ((0x3040 <= c <= 0x30FF) or (0x31F0 <= c <= 0x31FF) or (0x3400 <= c <= 0x4DBF) or
            (0x4E00 <= c <= 0x9FFF) or (0xF900 <= c <= 0xFAFF) or (0xFF66 <= c <= 0xFF9F) or
            (0x20000 <= c <= 0x3FFFF) or (0x0E00 <= c <= 0x0EFF) or (0x1780 <= c <= 0x17FF) or
            (0x1000 <= c <= 0x109F))


_cls_cache = {}


def cclass(ch):
    """'w' word, 's' single-character token, 'i' ignorable, 'a' apostrophe,
    'h' hyphen, '.' separator."""
    r = _cls_cache.get(ch)
    if r is not None:
        return r
    o = ord(ch)
    if o < 0x80:
        r = 'w' if ch.isalnum() else ('a' if ch == "'" else ('h' if ch == '-' else '.'))
    elif ch in APOS:
        r = 'a'
    elif ch in HYPH:
        r = 'h'
    else:
        cat = unicodedata.category(ch)
        if cat == 'Cf' or (0xFE00 <= o <= 0xFE0F) or (0x180B <= o <= 0x180F) or o == 0x34F:
            r = 'i'
        elif cat[0] in 'LN':
            r = 's' if _single(o) else 'w'
        elif cat[0] == 'M':
            r = 'w'
        else:
            r = '.'
    _cls_cache[ch] = r
    return r


def _hyphen_join(s, n, q):
    """After a hyphen ending at q: index of the word character on the next
    line that the hyphen joins to, or -1."""
    while q < n and s[q] in ' \t':
        q += 1
    if q < n and s[q] == '\r':
        q += 1
    if q >= n or s[q] != '\n':
        return -1
    q += 1
    while q < n and s[q] in ' \t':
        q += 1
    if q >= n:
        return -1
    return q if cclass(s[q]) == 'w' else -1


def tokens(text):
    """[(start, end, normalized)] of text (a str): character offsets and the
    lower-cased word (apostrophes and joining hyphens dropped)."""
    out = []
    s = text
    n = len(s)
    p = 0
    blen = (lambda ch: 1 if ord(ch) < 0x80 else len(ch.encode('utf-8')))
    while p < n:
        c = cclass(s[p])
        if c == 's':
            out.append((p, p + 1, s[p].casefold()))
            p += 1
            continue
        if c != 'w':
            p += 1
            continue
        start = p
        nbytes = 0
        buf = []
        while p < n:
            ch = s[p]
            c = cclass(ch)
            if c == 'w':
                l = blen(ch)
                if ord(ch) < 0x80:
                    if nbytes >= MAXLEN:
                        break
                elif nbytes + l > MAXLEN:
                    break
                buf.append(ch)
                nbytes += l
                p += 1
                continue
            if c == 'i':
                nbytes += blen(ch)
                p += 1
                continue
            if c == 'a' and p + 1 < n and cclass(s[p + 1]) == 'w':
                nbytes += blen(ch)
                p += 1
                continue
            if c == 'h':
                q = _hyphen_join(s, n, p + 1)
                if q >= 0:
                    nbytes += len(s[p:q].encode('utf-8'))
                    p = q
                    continue
            break
        out.append((start, p, unicodedata.normalize('NFKC', ''.join(buf)).casefold()))
    return out


def byte_offsets(text):
    """Character index -> UTF-8 byte offset table (a list of len(text)+1),
    or None when the text is ASCII (offsets are equal)."""
    if text.isascii():
        return None
    tab = [0] * (len(text) + 1)
    b = 0
    for i, ch in enumerate(text):
        tab[i] = b
        b += len(ch.encode('utf-8'))
    tab[len(text)] = b
    return tab


def byte_tokens(text):
    """[(byte_start, byte_end, normalized)] of text."""
    toks = tokens(text)
    tab = byte_offsets(text)
    if tab is None:
        return toks
    return [(tab[a], tab[b], w) for a, b, w in toks]


def fountain_tokens(text):
    """Tokens of the rendered lines (action, dialogue) of a screenplay
    written by gen.py: it marks nothing else than a title page (first
    paragraph, Key: lines), scene headings (INT./EXT.), character cues
    (a line without lower-case letters, after a blank line, before a
    non-blank one), parentheticals ('(...)' inside dialogue) and
    transitions (upper case ending in 'TO:').  Character offsets."""
    lines = text.split('\n')
    out = []
    pos = 0
    starts = []
    for ln in lines:
        starts.append(pos)
        pos += len(ln) + 1
    i = 0
    # title page: first paragraph
    if lines and ':' in lines[0]:
        while i < len(lines) and lines[i].strip():
            i += 1
    in_dialogue = False
    prev_blank = True
    while i < len(lines):
        ln = lines[i]
        st = ln.strip()
        if not st:
            in_dialogue = False
            prev_blank = True
            i += 1
            continue
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ''
        render = False
        if in_dialogue:
            render = not (st.startswith('(') and st.endswith(')'))
        elif prev_blank and st.upper().startswith(('INT.', 'EXT.', 'INT ', 'EXT ')):
            render = False
        elif prev_blank and st.isupper() and st.endswith('TO:') and not nxt:
            render = False
        elif prev_blank and not any(ch.islower() for ch in st) and any(ch.isupper() for ch in st) and nxt:
            in_dialogue = True
            render = False
        else:
            render = True
        if render:
            base = starts[i]
            for a, b, w in tokens(ln):
                out.append((base + a, base + b, w))
        prev_blank = False
        i += 1
    return out


def work_tokens(path):
    """Byte-offset tokens of a registered work file."""
    with open(path, encoding='utf-8', newline='') as f:
        text = f.read()
    if path.endswith('.fountain'):
        toks = fountain_tokens(text)
        tab = byte_offsets(text)
        if tab is not None:
            toks = [(tab[a], tab[b], w) for a, b, w in toks]
        return toks
    return byte_tokens(text)
