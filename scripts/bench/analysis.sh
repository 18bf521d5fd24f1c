#!/usr/bin/env bash
# Whole-tool benchmark of heapsnap's analysis commands against the tools we compete with,
# one run after another on the same machine, each under GNU time (wall time, peak RSS).
#
#   scripts/bench/analysis.sh [-n RUNS] BIG.heapsnapshot [BEFORE.heapsnapshot AFTER.heapsnapshot]
#
# Rows (each RUNS times, median wall time and max peak RSS reported):
#   heapsnap info            parse only
#   v8-heap-parser           parse only (crate v8-heap-parser, scripts/bench/v8-heap-parser-bench)
#   heapsnap summary         parse + DevTools' full analysis + class aggregates
#   v8-heap-parser retained  parse + its dominators and retained sizes
#   devtools                 DevTools' own loader + analysis (heap-snapshot-toolkit, load.mjs)
# and with a pair (two snapshots of one process, e.g. from
# `HEAPSNAP_BENCH_GROWTH=5 node --max-old-space-size=16000 scripts/bench/gen-big.js big OUT`):
#   heapsnap diff            BEFORE AFTER
#   devtools diff            DevTools' Comparison (scripts/devtools/diff.mjs)
# Build first: cargo build --release; (cd scripts/bench/v8-heap-parser-bench && cargo build --release);
# npm ci --prefix scripts/devtools. Inputs stay outside the repository (scripts/bench/gen-big.js).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUNS=1
if [ "${1:-}" = "-n" ]; then RUNS="$2"; shift 2; fi
BIG="${1:?usage: analysis.sh [-n RUNS] BIG [BEFORE AFTER]}"
BEFORE="${2:-}"; AFTER="${3:-}"
HS="$ROOT/target/release/heapsnap"
V8HP="$ROOT/scripts/bench/v8-heap-parser-bench/target/release/v8-heap-parser-bench"
NODE="node --max-old-space-size=16000"
LOG="$(mktemp -d)"

size() { stat -c %s "$1"; }
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "- commit: $(git -C "$ROOT" rev-parse --short HEAD); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $BIG: $(size "$BIG") bytes"
[ -n "$AFTER" ] && echo "- pair: $BEFORE ($(size "$BEFORE") bytes) -> $AFTER ($(size "$AFTER") bytes)"
echo
echo "| tool | command | wall s (median of $RUNS) | peak RSS MiB | RSS / file |"
echo "|---|---|---:|---:|---:|"
run() {
  local name="$1" file="$2"; shift 2
  local walls=() rss=0
  for i in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o "$LOG/t" "$@" > "$LOG/out" 2> "$LOG/err" || { echo "| $name | \`$*\` | failed | | |"; return; }
    read -r w m < "$LOG/t"
    walls+=("$w"); [ "$m" -gt "$rss" ] && rss="$m"
  done
  local med; med=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  local ratio; ratio=$(awk -v r="$rss" -v s="$(size "$file")" 'BEGIN {printf "%.2f", r*1024/s}')
  echo "| $name | \`$(echo "$*" | sed "s|$ROOT/||g")\` | $med | $((rss / 1024)) | $ratio |"
}
cat "$BIG" > /dev/null
run "heapsnap info" "$BIG" "$HS" info "$BIG"
run "v8-heap-parser" "$BIG" "$V8HP" "$BIG"
run "heapsnap summary" "$BIG" "$HS" summary "$BIG" --top 5
run "v8-heap-parser retained" "$BIG" "$V8HP" --retained "$BIG"
run "devtools (load + analysis)" "$BIG" $NODE "$ROOT/scripts/devtools/load.mjs" "$BIG"
if [ -n "$AFTER" ]; then
  cat "$BEFORE" "$AFTER" > /dev/null
  run "heapsnap diff" "$AFTER" "$HS" diff "$BEFORE" "$AFTER"
  run "devtools diff" "$AFTER" $NODE "$ROOT/scripts/devtools/diff.mjs" "$BEFORE" "$AFTER"
fi
rm -rf "$LOG"
