/* help.c -- `picket help [CMD]`, `picket version`, and the help texts.
 * The texts here and docs/picket.1 say the same things; keep them in step. */
#include "cli.h"
#include "simd.h"

#include <stdlib.h>

#include <string.h>

static const struct help {
    const char *cmd, *text;
} helps[] = {
    {NULL,
     "usage: picket <command> [options] [args]\n"
     "\n"
     "Keep written work out of AI training data, and find it when it was used.\n"
     "\n"
     "Registry:\n"
     "  register    add works (screenplays, prose, code) to the do-not-train registry\n"
     "  unregister  remove works\n"
     "  works       list registered works\n"
     "  compile     build the scan index now (scans rebuild it when needed)\n"
     "\n"
     "Finding works:\n"
     "  scan        find registered works in text files and JSONL corpora\n"
     "  filter      split a corpus into records to keep and records to drop\n"
     "  check       show the registered passages reused in one text\n"
     "\n"
     "Evidence:\n"
     "  report      findings to an HTML report and signed evidence.json\n"
     "  keygen      make an Ed25519 key pair for signing reports\n"
     "  verify      check a report's signature and the hashes of its files\n"
     "\n"
     "  demo        register the bundled sample works and scan the sample corpus\n"
     "  help        show help for a command: picket help scan\n"
     "  version     print the version\n"
     "\n"
     "The registry is --db PATH, else $PICKET_DB, else\n"
     "$XDG_DATA_HOME/picket/registry.db (~/.local/share/picket/registry.db).\n"
     "Exit status: 0 found or success, 1 nothing found, 2 error.\n"},
    {"register",
     "usage: picket register [--db PATH] [--format F] [--title T] [--author A]\n"
     "                       [--id ID] [--keep-text] [--lossy] [--k K] [--w W]\n"
     "                       [--normalize-identifiers] [--json] FILE...\n"
     "\n"
     "Fingerprint each FILE (UTF-8, or UTF-16 with a byte-order mark; '-' reads\n"
     "stdin; a directory registers every file in it, recursively, as scan reads\n"
     "directories; gzip and zstd are read transparently) and store the fingerprints,\n"
     "the file's SHA-256 and its word count in the registry.  No text is stored\n"
     "unless --keep-text.  The same content registered twice is stored once.\n"
     "\n"
     "  --format F     auto (default), text, fountain, fdx, html, markdown, epub,\n"
     "                 docx, pdf, code or code-normalized.  auto: .fountain and\n"
     "                 .spmd are Fountain\n"
     "                 screenplays, .fdx Final Draft, .html .htm .xhtml HTML,\n"
     "                 .md .markdown Markdown, .epub EPUB, .docx Word, .pdf\n"
     "                 PDF, source files (.c .h .cpp .java .js .ts .go .rs .cs\n"
     "                 .swift .kt .php .py .rb .sh .pl .lua .sql ...) code,\n"
     "                 .txt is text, anything else is code when it starts\n"
     "                 with #!, PDF when it starts\n"
     "                 with %PDF-, Final Draft when it has a\n"
     "                 <FinalDraft> element in its first KiB, EPUB or DOCX when\n"
     "                 it is a zip holding one, Fountain when it\n"
     "                 opens with a title page or has scene headings\n"
     "                 (INT./EXT.), else text.  A screenplay is fingerprinted on\n"
     "                 what is said and done (action, dialogue, lyrics), not its\n"
     "                 markup, and findings name its scenes and estimated pages\n"
     "                 as well as lines.  HTML, Markdown, EPUB and DOCX are\n"
     "                 fingerprinted on their text, markup dropped; findings name\n"
     "                 source lines (DOCX: paragraphs); a PDF its pages too, and\n"
     "                 one with scene headings is read as a screenplay.  Code\n"
     "                 is fingerprinted as the text it is (identifiers, words of\n"
     "                 comments and strings), so a plain scan finds a verbatim\n"
     "                 copy anywhere; a binary file (a NUL byte, much invalid\n"
     "                 UTF-8) is refused\n"
     "  --title T      title (default: the title page's, else the file name);\n"
     "                 only with one FILE\n"
     "  --author A     author or rights holder\n"
     "  --id ID        work id (default: the file name without extension,\n"
     "                 made unique with a hash suffix); only with one FILE\n"
     "  --keep-text    also store the text itself\n"
     "  --lossy        replace invalid UTF-8 instead of refusing the file\n"
     "  --k K, --w W   fingerprint parameters of a NEW registry (default 8 and\n"
     "                 18: any shared run of k+w-1 = 25 words is found)\n"
     "  --normalize-identifiers\n"
     "                 read every FILE as code and register it normalized\n"
     "                 (format code-normalized, as MOSS does): comments dropped,\n"
     "                 keywords, numbers and operators kept, every other\n"
     "                 identifier and every string one placeholder.  Found only\n"
     "                 by scan, filter and check --normalize-identifiers, which\n"
     "                 then find copies with names changed and comments\n"
     "                 rewritten; findings name the work's source lines\n"
     "  --json         print one JSON line per file\n"},
    {"unregister",
     "usage: picket unregister [--db PATH] ID...\n"
     "\n"
     "Remove works and their fingerprints from the registry.  The scan index\n"
     "is rebuilt by the next scan.\n"},
    {"works",
     "usage: picket works [--db PATH] [--json]\n"
     "\n"
     "List registered works: id, words, fingerprints, title, author.\n"
     "  --db PATH   the registry (default: $PICKET_DB, else\n"
     "              $XDG_DATA_HOME/picket/registry.db)\n"
     "  --json      one JSON object per line: id, title, author, source,\n"
     "              sha256, bytes, words, fingerprints, added (UTC)\n"},
    {"compile",
     "usage: picket compile [--db PATH]\n"
     "\n"
     "Build the immutable scan index (PATH.pkx) from the registry now.  scan,\n"
     "filter and check keep it current by themselves: works registered since\n"
     "it was built are compiled in memory and works removed are skipped, and\n"
     "the file is rebuilt once more than a quarter of it changed.\n"},
    {"scan",
     "usage: picket scan [--db PATH] [--threads N] [--format auto|text|jsonl|warc|tar]\n"
     "                   [--text-field F] [--id-field F] [--min-words N]\n"
     "                   [--max-df N] [--lossy] [--quiet] [--no-progress]\n"
     "                   [--stats] [--thorough] [--normalize-identifiers] PATH...\n"
     "\n"
     "Find registered works in documents.  PATH is a file, a directory (read\n"
     "recursively in name order; hidden files skipped; links to files\n"
     "followed, links to directories not) or '-' for stdin.  gzip and zstd\n"
     "are recognized by their first bytes and read transparently.  Plain text\n"
     "is one document a file; JSONL is one document a line; WARC and WET (wget\n"
     "--warc-file, Common Crawl; gzip per record or whole) are one document a\n"
     "response, resource or conversion record of text/html, xhtml or\n"
     "text/plain: HTML is rendered to text (scripts, styles, head dropped), and\n"
     "chunked, gzip and deflate bodies decoded.  Other records (requests,\n"
     "images, warcinfo, metadata ...) are passed over and counted.  A WARC\n"
     "document is named by its WARC-Record-ID.  A tar archive (.tar, .tar.gz,\n"
     ".tgz, .tar.zst, or any file with a ustar header) is opened: each regular\n"
     "member is a text document named ARCHIVE:MEMBER, a .jsonl/.ndjson member\n"
     "one document a line; directories, links and devices are passed over and\n"
     "counted; a member over 1 GiB is an error for that member; an archive\n"
     "cut short or damaged is an error naming the byte, after the members\n"
     "before it.  Members are read as stored (an archive in an archive is not\n"
     "opened).\n"
     "\n"
     "  --db PATH        the registry (default: $PICKET_DB, else\n"
     "                   $XDG_DATA_HOME/picket/registry.db)\n"
     "  --format F       auto (default): .jsonl .ndjson .json are JSONL and\n"
     "                   .txt .text .md are text, .warc .wet are WARC (after\n"
     "                   any .gz .zst .zstd); anything else is WARC when it\n"
     "                   starts with \"WARC/\", JSONL when its first non-blank\n"
     "                   byte (after a byte-order mark) is '{', else text;\n"
     "                   .tar .tgz .tzst are tar, as is a ustar header;\n"
     "                   or text, jsonl, warc, tar\n"
     "  --text-field F   JSONL member holding the text (default \"text\").  A\n"
     "                   dotted name is a path into nested objects:\n"
     "                   meta.content; a number part indexes an array:\n"
     "                   messages.0.content.  A top-level key spelled like the\n"
     "                   whole name (\"meta.content\") wins over the path\n"
     "  --id-field F     JSONL member naming the document (default \"id\"; a\n"
     "                   path likewise); without it a record is named PATH:LINE\n"
     "  --threads N      worker threads (default: one per core)\n"
     "  --min-words N    shortest passage reported, in words (default 25)\n"
     "  --max-df N       fingerprints found in more than N works are stock\n"
     "                   phrases and seed nothing (default 10)\n"
     "  --lossy          replace invalid UTF-8 instead of skipping the document\n"
     "  --quiet          no summary and no progress line on stderr\n"
     "  --no-progress    no progress line (shown on a terminal by default)\n"
     "  --with-text      each passage also carries \"text\": the document's bytes\n"
     "                   of it (for picket report)\n"
     "  --stats          after the summary, where the time went: reading and\n"
     "                   decompressing, decoding (JSON, WARC, HTML), fingerprinting,\n"
     "                   alignment, output (thread seconds and MB/s each)\n"
     "  --thorough       align every work a fingerprint points at, even a lone\n"
     "                   8-gram whose neighbours differ: finds more short,\n"
     "                   heavily reworded passages (PAN-style plagdet 0.89 to\n"
     "                   0.91 in BENCHMARKS.md) for about 2.5 times the CPU on\n"
     "                   web text; for evidence runs, not crawl-scale filtering\n"
     "  --normalize-identifiers\n"
     "                   scan every document normalized as source code (see\n"
     "                   register --normalize-identifiers), to find works\n"
     "                   registered so; doc_start and doc_end stay offsets of\n"
     "                   the document as given.  A passage is then counted in\n"
     "                   code tokens, and 25 is about two lines: --min-words 40\n"
     "                   or more keeps chance matches of boilerplate out\n"
     "\n"
     "Output: one JSON line per (document, work) found, in input order:\n"
     "  doc, source, member (tar), line (JSONL), url and date (WARC), work,\n"
     "  title,\n"
     "  matched_words, work_words,\n"
     "  work_coverage, passages: [{doc_start, doc_end, work_start_word,\n"
     "  work_end_word, work_start_line, work_end_line, [work_start_page,\n"
     "  work_end_page, work_start_scene, work_end_scene (screenplays),] words}]\n"
     "doc_start and doc_end are byte offsets into the document text as the\n"
     "input held it (for JSONL, into the decoded string; for WARC, into the\n"
     "text scanned: an HTML page rendered to text).\n"
     "\n"
     "Exit status: 0 when a registered work was found, 1 when none was, 2 on\n"
     "error, including any record skipped as malformed or unreadable.\n"},
    {"filter",
     "usage: picket filter --keep FILE --removed FILE [--db PATH] [--threads N]\n"
     "                     [--format auto|text|jsonl|warc] [--text-field F]\n"
     "                     [--id-field F] [--min-words N] [--max-df N]\n"
     "                     [--min-coverage X] [--lossy] [--quiet]\n"
     "                     [--no-progress] [--stats] [--thorough]\n"
     "                     [--normalize-identifiers]\n"
     "                     PATH...\n"
     "\n"
     "The do-not-train filter.  Every input record lands in exactly one output:\n"
     "  --keep FILE     records with no registered passage, byte for byte\n"
     "  --removed FILE  one JSON line per dropped record: {\"source\", \"line\",\n"
     "                  \"doc\", \"reason\": \"registered\"|\"malformed\",\n"
     "                  \"works\": [{work, title, matched_words, work_coverage,\n"
     "                  passages}], \"error\", \"record\": the line as a string}\n"
     "                  (WARC: \"url\", \"date\", \"record_number\" and\n"
     "                  \"warc_header\", the WARC header, instead of \"record\")\n"
     "  --min-coverage X  drop only when some work's coverage is at least X\n"
     "                    (0..1, default 0: any passage of --min-words)\n"
     "The other options are scan's.  Outputs are written to temporary files and\n"
     "renamed at the end, so a failed run leaves no half-written output ('-'\n"
     "writes to stdout; a device or FIFO is written in place).  The counts\n"
     "printed at the end reconcile: in = kept + removed.  For text inputs each\n"
     "file is a record and the outputs list paths.  WARC records are kept\n"
     "whole, byte for byte, so --keep is a valid (uncompressed) WARC file;\n"
     "records that are not documents (requests, images ...) are kept.  tar\n"
     "archives are refused (an input error, exit 2; the other inputs are still\n"
     "filtered): the kept stream holds records one after another and cannot be\n"
     "an archive of the kept members.  Unpack the archive and filter its files.\n"
     "Exit status: 0 success, 2 if any record was malformed or any input\n"
     "unreadable (malformed records are in --removed with the error).\n"},
    {"check",
     "usage: picket check [--db PATH] [--json] [--min-words N] [--lossy]\n"
     "                    [--normalize-identifiers] [FILE|-]\n"
     "\n"
     "Check one text (a model's output, a draft, a page) and print each reused\n"
     "registered passage for a person to read, matched text highlighted on a\n"
     "terminal, with the work's title, lines and coverage.  Reads stdin when no\n"
     "FILE is given.  --json prints the findings as scan does.  Every work a\n"
     "fingerprint points at is aligned (scan --thorough).\n"
     "--normalize-identifiers reads the text as source code, normalized, to find\n"
     "works registered with register --normalize-identifiers (renamed copies).\n"
     "Exit status: 0 found, 1 clean, 2 error.\n"},
    {"demo",
     "usage: picket demo [--sample DIR] [--keep DIR]\n"
     "\n"
     "Register the sample works shipped with picket in a fresh registry, scan\n"
     "the sample corpus (text and JSONL) and print what was found.  The\n"
     "registry lives in a temporary directory unless --keep DIR is given.\n"},
    {"report",
     "usage: picket report [--db PATH] [--out DIR] [--sign KEY] [--per-work N]\n"
     "                     [--max-works N] [--page-rows N] FINDINGS|-\n"
     "\n"
     "Turn scan's findings (JSON lines, or filter's --removed lines) into an\n"
     "evidence bundle in DIR (default picket-report):\n"
     "  report.html     for people: works found, documents, coverage, the\n"
     "                  strongest passages, and each work's strongest findings\n"
     "                  with the document's passage beside the work's, matching\n"
     "                  words highlighted and differences marked.  One file, no\n"
     "                  script, nothing loaded from anywhere.  The document side\n"
     "                  needs scan --with-text; the work side needs the work\n"
     "                  registered with --keep-text (else its location only)\n"
     "  report-N.html   every finding, --page-rows to a page (default 1000)\n"
     "  evidence.json   for machines: picket version, fingerprint parameters,\n"
     "                  UTC time, SHA-256 of the findings file, a canonical hash\n"
     "                  of the registry's fingerprints, the works found with the\n"
     "                  SHA-256 of their bytes, the SHA-256 of every page, and\n"
     "                  the findings themselves\n"
     "  evidence.json.sig  with --sign KEY (from picket keygen): an Ed25519\n"
     "                  signature over the exact bytes of evidence.json\n"
     "\n"
     "  --db PATH       the registry the scan used (default: $PICKET_DB ...)\n"
     "  --per-work N    findings shown in full per work on report.html (5)\n"
     "  --max-works N   works given a section on report.html (50)\n"
     "SOURCE_DATE_EPOCH, when set, is the time recorded.\n"},
    {"keygen",
     "usage: picket keygen [--out FILE] [--force]\n"
     "\n"
     "Make an Ed25519 key pair for signing reports: FILE (default picket.key),\n"
     "the secret key, mode 0600, and FILE.pub, the public key to hand to whoever\n"
     "verifies.  Refuses to replace existing files unless --force.\n"},
    {"verify",
     "usage: picket verify [--key PUB] [--findings FILE] [--db PATH] BUNDLE\n"
     "\n"
     "Check an evidence bundle (the report directory, or its evidence.json):\n"
     "the signature over evidence.json (by the key in PUB when given), the\n"
     "SHA-256 of every report page, and, when they are at hand (at the paths\n"
     "recorded, or --findings and --db), the findings file's SHA-256 and the\n"
     "registry's fingerprints.  Prints each check.\n"
     "Exit status: 0 all checks passed, 1 any failed (a missing or bad\n"
     "signature, another key, a changed file), 2 error.\n"},
    {"help", "usage: picket help [COMMAND]\n"},
    {"version", "usage: picket version\n"},
};

int cli_help(const char *cmd, FILE *f)
{
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
        if ((cmd == NULL && helps[i].cmd == NULL) || (cmd && helps[i].cmd && strcmp(cmd, helps[i].cmd) == 0)) {
            fputs(helps[i].text, f);
            return 0;
        }
    }
    return -1;
}

int cli_usage(const char *cmd)
{
    cli_help(cmd, stderr);
    return EXIT_ERR;
}

int cmd_help(int argc, char **argv)
{
    if (argc < 2) return cli_help(NULL, stdout), 0;
    if (cli_help(argv[1], stdout) != 0) return cli_error("no help for '%s': not a command", argv[1]);
    return 0;
}

int cmd_version(int argc, char **argv)
{
    PK_UNUSED(argc);
    PK_UNUSED(argv);
    pk_params p;
    pk_params_default(&p);
    printf("picket %s (fingerprint scheme %u, default k=%u w=%u; %s path%s)\n", pk_version(), p.scheme, p.k, p.w,
           pk_simd_name(), getenv("PICKET_SIMD") ? ", set by PICKET_SIMD" : "");
    return 0;
}
