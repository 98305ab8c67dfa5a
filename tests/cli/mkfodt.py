#!/usr/bin/env python3
"""mkfodt.py -- a Fountain screenplay laid out as a flat ODF text document
(.fodt) for LibreOffice to turn into a PDF (t17-libreoffice.sh).

The layout is made here, line by line, so the PDF's pages are known: US
Letter, Courier 12 (whatever monospaced face fontconfig gives for
"Courier"), a fixed 12 pt line, 55 lines a page, a page number "N." in the
header, screenplay indents (action and headings at 1.5 in, dialogue 2.5 in,
parentheticals 3.1 in, cues 3.7 in, transitions 6.0 in, measured from the
page's edge).  Lines are wrapped here (action and headings 60 columns,
dialogue 35, parentheticals 30) and every page after the first starts with
a hard page break, so LibreOffice has nothing left to decide.  The rules
are picket's page estimate's (src/fmt/layout.c): a blank line between
elements and none at the top of a page, a heading kept with two more
lines, a cue with its first line of dialogue, dialogue running onto a new
page repeats the cue with (CONT'D); a long action paragraph breaks between
lines.  Notes, boneyard (whole lines), sections and synopses are dropped
as picket drops them; '===' page breaks are not supported.  Differences:
dual dialogue is set one block after the other (not
side by side) and lines are wrapped by Python's textwrap.  No title page:
the title goes to the document's metadata.

  python3 mkfodt.py SCRIPT.fountain OUT.fodt OUT.map

OUT.map: "source-line first-page last-page" for every source line that
became printed text, and a last line "pages N".
"""
import re
import sys
import textwrap
from xml.sax.saxutils import escape

PAGE_LINES = 55
W = {"action": 60, "heading": 60, "dialogue": 35, "paren": 30, "cue": 60, "transition": 60, "centered": 60}


def parse(src):
    """(kind, text, source line) elements and ('blank',) separators."""
    lines = src.split("\n")
    title, i = "", 0
    if lines and re.match(r"^(Title|Credit|Author|Source|Draft date|Contact)\s*:", lines[0]):
        while i < len(lines) and lines[i].strip():
            m = re.match(r"^Title\s*:\s*(.*)", lines[i])
            if m:
                title = m.group(1).strip()
            i += 1
    out, in_dlg, bone = [], False, False
    for n in range(i, len(lines)):
        raw = lines[n]
        if bone or raw.strip().startswith("/*"):  # boneyard (whole lines only): gone
            bone = "*/" not in raw.split("/*", 1)[-1] if not bone else "*/" not in raw
            continue
        line = re.sub(r"\[\[.*?\]\]", "", raw).strip()
        if not line or line.startswith(("#", "=")) and not line.startswith("==="):
            if raw.strip():  # only a note, a section or a synopsis: gone, not blank
                continue
            out.append(("blank",))
            in_dlg = False
            continue
        line = line.replace("**", "").replace("*", "").replace("_", "")
        prev_blank = n == i or not lines[n - 1].strip()
        nxt = lines[n + 1].strip() if n + 1 < len(lines) else ""
        if in_dlg:
            out.append(("paren" if line.startswith("(") else "dialogue", line, n + 1))
        elif prev_blank and re.match(r"^(INT|EXT|EST|INT\./EXT|INT/EXT|I/E)[. ]", line, re.I):
            out.append(("heading", line.upper(), n + 1))
        elif prev_blank and line.startswith(">") and line.endswith("<"):
            out.append(("centered", line[1:-1].strip(), n + 1))
        elif prev_blank and not nxt and line.isupper() and line.endswith("TO:"):
            out.append(("transition", line, n + 1))
        elif prev_blank and nxt and re.fullmatch(r"[^a-z]*[A-Z][^a-z]*", line.split("(")[0]):
            out.append(("cue", line.rstrip("^").strip(), n + 1))
            in_dlg = True
        else:
            out.append(("action", line, n + 1))
    return title, out


class Layout:
    def __init__(self):
        self.pages = [[]]
        self.y = 0
        self.gap = False
        self.where = {}  # source line -> [first page, last page]

    def newpage(self, cont):
        self.pages.append([])
        self.y = 0
        for row in cont:
            self.row(*row)

    def row(self, kind, text, src=None):
        self.pages[-1].append((kind, text))
        self.y += 1
        if src is not None:
            w = self.where.setdefault(src, [len(self.pages), len(self.pages)])
            w[1] = len(self.pages)

    def place(self, kind, rows, src, keep, cont=()):
        sep = 1 if self.gap and self.y > 0 else 0
        self.gap = False
        if self.y > 0 and self.y + sep + keep > PAGE_LINES:
            self.newpage(cont)
            sep = 0
        if sep:
            self.row("blank", "")
        for r in rows:
            if self.y >= PAGE_LINES:
                self.newpage(cont)
            self.row(kind, r, src)


def layout(elements):
    L, cue = Layout(), None
    for e in elements:
        if e[0] == "blank":
            L.gap = True
            continue
        kind, text, src = e
        rows = textwrap.wrap(text, W[kind], break_on_hyphens=False) or [""]
        if kind == "heading":
            L.place(kind, rows, None, len(rows) + 2)
        elif kind == "cue":
            cue = text
            L.place(kind, rows, None, 2)
        elif kind in ("dialogue", "paren"):
            L.place(kind, rows, src if kind == "dialogue" else None, 1, [("cue", cue + " (CONT'D)")])
        elif kind == "transition":
            L.place(kind, rows, None, 1)
        else:
            L.place(kind, rows, src, 1)
    return L


STYLE = {  # margin from the text area's left edge (the page's 1.5 in margin)
    "action": 'fo:margin-left="0in"', "heading": 'fo:margin-left="0in"', "blank": 'fo:margin-left="0in"',
    "dialogue": 'fo:margin-left="1.0in"', "paren": 'fo:margin-left="1.6in"', "cue": 'fo:margin-left="2.2in"',
    "transition": 'fo:margin-left="4.5in"', "centered": 'fo:text-align="center"',
}


def fodt(title, pages):
    auto = []
    for k, attrs in STYLE.items():
        for brk in (0, 1):
            auto.append('<style:style style:name="%s%d" style:family="paragraph" style:parent-style-name="Screenplay">'
                        '<style:paragraph-properties %s%s/></style:style>'
                        % (k, brk, attrs, ' fo:break-before="page"' if brk else ""))
    body = []
    for pn, page in enumerate(pages):
        for j, (kind, text) in enumerate(page):
            body.append('<text:p text:style-name="%s%d">%s</text:p>' % (kind, 1 if pn and j == 0 else 0, escape(text)))
    return """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
<office:meta><dc:title>%s</dc:title></office:meta>
<office:font-face-decls>
 <style:font-face style:name="Courier" svg:font-family="Courier" style:font-family-generic="modern" style:font-pitch="fixed"/>
</office:font-face-decls>
<office:styles>
 <style:style style:name="Screenplay" style:family="paragraph">
  <style:paragraph-properties fo:line-height="12pt" fo:margin-top="0in" fo:margin-bottom="0in"
   fo:orphans="0" fo:widows="0" fo:hyphenation-ladder-count="no-limit"/>
  <style:text-properties style:font-name="Courier" fo:font-size="12pt" fo:hyphenate="false" fo:language="en" fo:country="US"/>
 </style:style>
 <style:style style:name="Header" style:family="paragraph" style:parent-style-name="Screenplay">
  <style:paragraph-properties fo:text-align="end"/>
 </style:style>
</office:styles>
<office:automatic-styles>
 <style:page-layout style:name="Letter">
  <style:page-layout-properties fo:page-width="8.5in" fo:page-height="11in" fo:margin-top="0.5in"
   fo:margin-bottom="0.75in" fo:margin-left="1.5in" fo:margin-right="0.75in"/>
  <style:header-style><style:header-footer-properties fo:min-height="0.2in" fo:margin-bottom="0.3in"/></style:header-style>
 </style:page-layout>
 %s
</office:automatic-styles>
<office:master-styles>
 <style:master-page style:name="Standard" style:page-layout-name="Letter">
  <style:header><text:p text:style-name="Header"><text:page-number text:select-page="current">1</text:page-number>.</text:p></style:header>
 </style:master-page>
</office:master-styles>
<office:body><office:text>
%s
</office:text></office:body></office:document>
""" % (escape(title), "\n ".join(auto), "\n".join(body))


def main():
    src, out, mapf = sys.argv[1:4]
    title, elements = parse(open(src, encoding="utf-8").read())
    L = layout(elements)
    open(out, "w", encoding="utf-8").write(fodt(title, L.pages))
    with open(mapf, "w") as f:
        for line in sorted(L.where):
            f.write("%d %d %d\n" % (line, *L.where[line]))
        f.write("pages %d\n" % len(L.pages))


if __name__ == "__main__":
    main()
