#!/usr/bin/env python3
"""warcgen.py -- the web site that bench/warc.sh crawls with wget.

Writes, under OUT:
  site/         HTML pages (and a few text pages, a style sheet, an image)
                for nginx to serve; page text is Brown corpus paragraphs
                (tags stripped), sampled with a fixed seed, inside markup of
                a realistic weight: a head with a style sheet and a script,
                a navigation list, a footer, inline <em>/<a>, character
                references.
  urls.txt      every URL path, one a line, in crawl order (wget -i).
  planted.tsv   path <TAB> work id, for the pages that quote a registered
                work (40-120 consecutive words of it inside a <blockquote>,
                with markup inside the quote).
  texts.jsonl   the peer's input: one line a text page,
                {"id": path, "text": the page's visible text} -- what a text
                extraction (a WET file) of the crawl holds: the title, the
                navigation, headings, paragraphs and footer, no script,
                style or head.
  gen.json      options and counts.

Deterministic: the same options give the same bytes.  Standard library only.

  python3 warcgen.py --brown DIR --works DIR --out OUT --mb 1000
"""
import argparse
import html
import json
import os
import random
import re
import sys

PUNCT_ATTACH = set(",.;:?!)'%")


def brown_paragraphs(brown_dir):
    """Each paragraph of every Brown sample, tags stripped, detokenized."""
    paras = []
    for name in sorted(os.listdir(brown_dir)):
        if not re.fullmatch(r"c[a-r]\d\d", name):
            continue
        with open(os.path.join(brown_dir, name), encoding="utf-8", errors="replace") as f:
            raw = f.read()
        for block in re.split(r"\n\s*\n", raw):
            words = []
            for tok in block.split():
                w = tok.rsplit("/", 1)[0]
                if w in ("``", "''", "--"):
                    continue
                if words and (w in PUNCT_ATTACH or w == "'s" or w == "n't"):
                    words[-1] += w
                elif words and words[-1] == "(":
                    words[-1] += w
                else:
                    words.append(w)
            if len(words) >= 12:
                paras.append(" ".join(words))
    return paras


def work_passages(works_dir):
    """Per registered work: its prose as lists of words, one list a run of
    rendered text (paragraph of prose; action and dialogue lines of a
    screenplay between scene headings)."""
    runs = {}
    for name in sorted(os.listdir(works_dir)):
        path = os.path.join(works_dir, name)
        stem, ext = os.path.splitext(name)
        if ext not in (".txt", ".md", ".fountain"):
            continue
        text = open(path, encoding="utf-8").read()
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)  # boneyard: not part of the work
        text = re.sub(r"\[\[.*?\]\]", "", text, flags=re.S)  # notes
        out, cur = [], []
        if ext == ".fountain":
            paras = re.split(r"\n\s*\n", text)
            if paras and re.match(r"^[A-Za-z ]+:", paras[0]):
                paras = paras[1:]  # title page
            for p in paras:
                p = p.strip()
                if re.match(r"^(INT|EXT|EST|I/E)[. ]", p) or p.startswith(("#", "=", ".")):
                    if len(cur) >= 60:
                        out.append(cur)
                    cur = []
                    continue
                for line in p.split("\n"):
                    line = re.sub(r"\[\[.*?\]\]", "", line).strip()
                    if not re.search(r"[a-z]", line) or line.startswith("("):
                        continue  # cue, transition, parenthetical
                    cur += line.replace("*", "").replace("_", " ").lstrip("!~").split()
            if len(cur) >= 60:
                out.append(cur)
        else:
            for p in re.split(r"\n\s*\n", text):
                if p.startswith("#"):
                    continue
                w = p.replace("*", "").split()
                if len(w) >= 60:
                    out.append(w)
        if out:
            runs[stem] = out
    return runs


NAV = ["Home", "News", "Sports", "Opinion", "Arts", "Books", "Science", "Religion",
       "Letters", "Archive", "About us", "Contact", "Subscribe", "Events", "Weather"]


def render_para(text, rng):
    """A paragraph as HTML: escaped, now and then a word in <em> or <a>."""
    words = html.escape(text, quote=True).split(" ")
    if len(words) > 8 and rng.random() < 0.3:
        i = rng.randrange(1, len(words) - 2)
        words[i] = "<em>" + words[i] + "</em>"
    if len(words) > 8 and rng.random() < 0.2:
        i = rng.randrange(1, len(words) - 3)
        words[i] = '<a href="/tag/%d.html">' % rng.randrange(1000) + words[i]
        words[i + 1] = words[i + 1] + "</a>"
    return " ".join(words)


def script_block(rng):
    """A page's script: code, not text; different in every page, as real
    analytics and ad code is (ids, timestamps)."""
    lines = ["(function(w,d){var cfg={site:'brown-%d',slot:%d,ts:%d,ab:'%s'};" % (
        rng.randrange(100), rng.randrange(10**6), 1700000000 + rng.randrange(10**7),
        "".join(rng.choice("abcdef0123456789") for _ in range(16)))]
    for i in range(rng.randrange(8, 30)):
        lines.append("  function f%d(x){return x&&x.%s?x.%s(%d):w.pk%d||null;}" % (
            i, rng.choice(["push", "call", "map", "bind"]), rng.choice(["push", "call", "map", "bind"]),
            rng.randrange(10**5), rng.randrange(100)))
    lines.append("  d.addEventListener('DOMContentLoaded',function(){f0(cfg);});})(window,document);")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--brown", required=True)
    ap.add_argument("--works", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--mb", type=float, default=1000.0, help="HTML to write, 10^6 bytes")
    ap.add_argument("--plant-every", type=int, default=400, help="one page in N quotes a work")
    ap.add_argument("--seed", type=int, default=20261127)
    a = ap.parse_args()

    rng = random.Random(a.seed)
    paras = brown_paragraphs(a.brown)
    runs = work_passages(a.works)
    if not paras or not runs:
        sys.exit("warcgen: no Brown paragraphs or no work passages")
    works = sorted(runs)
    rendered = [render_para(p, rng) for p in paras]
    site = os.path.join(a.out, "site")
    os.makedirs(site, exist_ok=True)
    css = "body{font-family:Georgia,serif;max-width:42em;margin:auto}\n" * 40
    open(os.path.join(site, "site.css"), "w").write(css)
    # A 1x1 PNG, passed over by the scan.
    import struct, zlib
    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    open(os.path.join(site, "logo.png"), "wb").write(png)

    urls = ["/site.css", "/logo.png"]
    planted = []
    target = int(a.mb * 1e6)
    written = 0
    n = 0
    jl = open(os.path.join(a.out, "texts.jsonl"), "w", encoding="utf-8")
    while written < target:
        sub = "s%03d" % (n // 1000)
        os.makedirs(os.path.join(site, sub), exist_ok=True)
        k = rng.randrange(3, 16)
        idx = [rng.randrange(len(paras)) for _ in range(k)]
        title = " ".join(paras[idx[0]].split()[:rng.randrange(4, 9)]).rstrip(",.;:")
        nav = rng.sample(NAV, rng.randrange(6, len(NAV)))
        quote = None
        if n % a.plant_every == 7:
            wid = works[(n // a.plant_every) % len(works)]
            run = rng.choice(runs[wid])
            ln = rng.randrange(40, min(120, len(run)) + 1)
            s = rng.randrange(0, len(run) - ln + 1)
            quote = (wid, run[s:s + ln])
        if n % 100 == 42 and quote is None:  # a plain-text page now and then
            path = "/%s/n%05d.txt" % (sub, n)
            text = title + "\n\n" + "\n\n".join(paras[i] for i in idx) + "\n"
            body = text
        else:
            path = "/%s/p%05d.html" % (sub, n)
            h = ['<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
                 '<meta name="viewport" content="width=device-width, initial-scale=1">',
                 "<title>%s</title>" % html.escape(title),
                 '<link rel="stylesheet" href="/site.css">',
                 "<style>.c%d{color:#%06x} .nav li{display:inline;margin:0 .4em}</style>" % (n, rng.randrange(1 << 24)),
                 "<script>\n%s\n</script>" % script_block(rng),
                 '</head><body><div class="wrap"><header><img src="/logo.png" alt="">',
                 '<ul class="nav">' + "".join('<li><a href="/%s/">%s</a></li>' % (x.lower().replace(" ", "-"), x) for x in nav) + "</ul></header>",
                 '<main><article class="c%d"><h1>%s</h1>' % (n, html.escape(title))]
            t = [" ".join(nav), title]
            for j, i in enumerate(idx):
                h.append("<p>%s</p>" % rendered[i])
                t.append(paras[i])
                if quote and j == k // 2:
                    wid, qw = quote
                    m = len(qw) // 2
                    h.append('<blockquote class="q"><p>%s <i>%s</i> %s</p></blockquote>' % (
                        html.escape(" ".join(qw[:m])), html.escape(qw[m]), html.escape(" ".join(qw[m + 1:]))))
                    t.append(" ".join(qw))
            foot = "Copyright %d The Brown Gazette. All rights reserved." % (1961 + rng.randrange(3))
            h.append('</article></main><footer><p>%s</p></footer></div></body></html>\n' % foot)
            t.append(foot)
            body = "\n".join(h)
            text = "\n\n".join(t)
            if quote:
                planted.append((path, quote[0]))
        with open(os.path.join(site, path.lstrip("/")), "w", encoding="utf-8") as f:
            f.write(body)
        jl.write(json.dumps({"id": path, "text": text}, ensure_ascii=False) + "\n")
        urls.append(path)
        written += len(body.encode("utf-8"))
        n += 1
    jl.close()
    with open(os.path.join(a.out, "urls.txt"), "w") as f:
        f.write("\n".join(urls) + "\n")
    with open(os.path.join(a.out, "planted.tsv"), "w") as f:
        for p, w in planted:
            f.write("%s\t%s\n" % (p, w))
    info = {"pages": n, "bytes": written, "planted": len(planted), "brown_paragraphs": len(paras),
            "works": works, "seed": a.seed, "mb": a.mb, "plant_every": a.plant_every}
    json.dump(info, open(os.path.join(a.out, "gen.json"), "w"), indent=1)
    print("warcgen: %d pages, %.1f MB of HTML/text, %d quote a work" % (n, written / 1e6, len(planted)),
          file=sys.stderr)


if __name__ == "__main__":
    main()
