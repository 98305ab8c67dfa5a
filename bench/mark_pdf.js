// mark_pdf.js -- render plain-text prose files to PDF with pdfkit
// (Times-Roman 12 pt, one-inch margins, paragraphs at blank lines), for
// the PDF round trip of bench/mark.sh.  node mark_pdf.js IN.txt OUT.pdf ...
// The text's lines are kept, as printing a text file keeps them (a
// browser, a2ps, a word processor opening it); REFLOW=1 joins each
// paragraph's lines first, as pasting into a word processor and joining
// them does.
const fs = require('fs');
const path = require('path');
const PDFDocument = require(path.join(__dirname, '..', '.deps', 'node_modules', 'pdfkit'));
const args = process.argv.slice(2);
let pending = 0;
for (let i = 0; i + 1 < args.length; i += 2) {
  const doc = new PDFDocument({ size: 'LETTER', margin: 72 });
  const out = fs.createWriteStream(args[i + 1]);
  pending++;
  out.on('finish', () => { if (--pending === 0) process.exit(0); });
  doc.pipe(out);
  doc.font('Times-Roman').fontSize(12);
  const paras = fs.readFileSync(args[i], 'utf8').split(/\n\s*\n/);
  const reflow = process.env.REFLOW === '1';
  for (const p of paras) doc.text(reflow ? p.replace(/\s*\n\s*/g, ' ').trim() : p.trim(), { paragraphGap: 8 });
  doc.end();
}
