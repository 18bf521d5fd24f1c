#!/usr/bin/env bash
# Writes the man pages, generated from the clap definitions with clap_mangen: heapsnap.1 and
# one page per subcommand (heapsnap-leaks.1, ...), into DIR (default target/man).
#
# usage: scripts/man.sh [DIR]
#   man -l target/man/heapsnap.1                          # read one without installing
#   sudo install -m 644 target/man/*.1 /usr/local/share/man/man1/   # then: man heapsnap
#
# The pages are rendered by a unit test of the binary (crates/cli/man.rs): clap_mangen is a
# dev-dependency, so the binary itself never compiles it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/target/man}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$root"
HEAPSNAP_MAN_DIR="$out" cargo test --locked --quiet --bin heapsnap -- --exact man::man_pages >/dev/null
echo "man pages in $out:"
ls "$out"
