#!/usr/bin/env python3
"""mkzipdocs.py -- a DOCX and an EPUB of a Markdown work, written with
Python's zipfile from hand-written XML (the shapes Word and EPUB 3 tools
write), for t10-docs.sh when no converter (pandoc) is installed.

Each non-empty source line becomes one paragraph (headings as Heading1 /
<h2>), Markdown markers dropped.  Usage: mkzipdocs.py WORK.md OUT.docx OUT.epub TITLE AUTHOR
"""
import re, sys, zipfile
from xml.sax.saxutils import escape

src, docx, epub, title, author = sys.argv[1:6]
paras = []
for line in open(src, encoding="utf-8"):
    line = line.strip()
    if not line:
        continue
    head = line.startswith("#")
    line = re.sub(r"^#+\s*", "", line).replace("*", "").replace("_", "")
    paras.append((head, line))

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
body = "".join(
    '<w:p>%s<w:r><w:t xml:space="preserve">%s</w:t></w:r></w:p>'
    % ('<w:pPr><w:pStyle w:val="Heading1"/></w:pPr>' if h else "", escape(t)) for h, t in paras)
with zipfile.ZipFile(docx, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml",
               '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
               '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
               '<Default Extension="xml" ContentType="application/xml"/>'
               '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
               '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>')
    z.writestr("_rels/.rels",
               '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
               '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
               '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>')
    z.writestr("word/document.xml",
               '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="%s"><w:body>%s<w:sectPr/></w:body></w:document>' % (W, body))
    z.writestr("docProps/core.xml",
               '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
               'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>%s</dc:title><dc:creator>%s</dc:creator></cp:coreProperties>'
               % (escape(title), escape(author)))

xhtml = "\n".join("<h2>%s</h2>" % escape(t) if h else "<p>%s</p>" % escape(t) for h, t in paras)
with zipfile.ZipFile(epub, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
    z.writestr("META-INF/container.xml",
               '<?xml version="1.0"?>\n<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
               '<rootfiles><rootfile full-path="EPUB/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>')
    z.writestr("EPUB/content.opf",
               '<?xml version="1.0" encoding="UTF-8"?>\n<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">'
               '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">urn:x-picket:test</dc:identifier>'
               '<dc:title>%s</dc:title><dc:creator>%s</dc:creator><dc:language>en</dc:language></metadata>'
               '<manifest><item id="ch1" href="text/ch1.xhtml" media-type="application/xhtml+xml"/></manifest>'
               '<spine><itemref idref="ch1"/></spine></package>' % (escape(title), escape(author)))
    z.writestr("EPUB/text/ch1.xhtml",
               '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml">'
               '<head><title>%s</title></head>\n<body>\n%s\n</body></html>\n' % (escape(title), xhtml))
