#!/usr/bin/env bash
# Time `heapsnap report` against `heapsnap leaks` on the same inputs (the issue's budget: at
# most 1.2x), runs interleaved (leaks, report, leaks, report, ...) so that both see the same
# machine load, with wall time, CPU time (user + system) and peak RSS (GNU time), and the
# report's size.
#
#   scripts/bench/report.sh [-n RUNS] SNAPSHOT...      (1 to 3 snapshots, oldest first)
#
# HEAPSNAP=path/to/heapsnap (default target/release/heapsnap). Inputs: scripts/bench/gen-big.js
# (one snapshot) or scripts/leak-scenarios/big3.js (three of one process), written outside the
# repository. The report goes to a temporary file, removed at the end. Prints markdown.
set -euo pipefail
RUNS=3
if [ "${1:-}" = "-n" ]; then RUNS=$2; shift 2; fi
[ "$#" -ge 1 ] && [ "$#" -le 3 ] || { echo "usage: $0 [-n RUNS] SNAPSHOT..." >&2; exit 2; }
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="${HEAPSNAP:-$ROOT/target/release/heapsnap}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
cat "$@" > /dev/null   # into the page cache
measure() {   # command...: prints "wall cpu rss_kb" of one run
  /usr/bin/time -o "$OUT/time" -f "%e %U %S %M" "$@" > /dev/null 2>&1 || true
  local w u s m
  read -r w u s m < "$OUT/time"
  echo "$w $(echo "$u + $s" | bc) $m"
}
echo "# heapsnap report against heapsnap leaks"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB RAM, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- heapsnap: $BIN ($("$BIN" --version))"
for f in "$@"; do echo "- input: $(basename "$f"), $(stat -c %s "$f") bytes"; done
echo
echo "| run | leaks wall s | report wall s | wall ratio | leaks CPU s | report CPU s | CPU ratio | leaks RSS MiB | report RSS MiB |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
ratios=()
for k in $(seq "$RUNS"); do
  l=$(measure "$BIN" leaks "$@")
  r=$(measure "$BIN" report "$@" -o "$OUT/report.html" -q)
  read -r lw lc lm <<< "$l"
  read -r rw rc rm <<< "$r"
  wr=$(printf "%.2f" "$(echo "scale=4; $rw / $lw" | bc)")
  cr=$(printf "%.2f" "$(echo "scale=4; $rc / $lc" | bc)")
  ratios+=("$wr")
  echo "| $k | $lw | $rw | ${wr}x | $lc | $rc | ${cr}x | $((lm / 1024)) | $((rm / 1024)) |"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo
echo "Median wall ratio: ${median}x; report: $(stat -c %s "$OUT/report.html") bytes; load after: $(cut -d' ' -f1-3 /proc/loadavg)."
