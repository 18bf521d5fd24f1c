#!/usr/bin/env bash
# Time `heapsnap leaks` on three snapshots of one process against `heapsnap summary` on the
# largest of them (the issue's budget: at most 2x), with wall time and peak RSS (GNU time).
#
#   scripts/leak-scenarios/bench.sh [-n RUNS] BASELINE TARGET FINAL
#
# HEAPSNAP=path/to/heapsnap (default target/release/heapsnap; build it with
# `cargo build --release --bin heapsnap`). Inputs: scripts/leak-scenarios/big3.js writes
# three ~1 GB snapshots to /tmp/heapsnap-bench/. Prints a markdown report on stdout.
set -euo pipefail
RUNS=1
if [ "${1:-}" = "-n" ]; then RUNS=$2; shift 2; fi
[ "$#" -eq 3 ] || { echo "usage: $0 [-n RUNS] BASELINE TARGET FINAL" >&2; exit 2; }
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="${HEAPSNAP:-$ROOT/target/release/heapsnap}"
B=$1 T=$2 F=$3
largest=$(ls -S "$B" "$T" "$F" | head -1)
cat "$B" "$T" "$F" > /dev/null   # into the page cache
timeit() {   # label, command...: prints "wall_s rss_kb" (median wall over RUNS, max RSS)
  local label=$1; shift
  local walls=() rss=0
  for _ in $(seq "$RUNS"); do
    local out
    out=$( { /usr/bin/time -f "%e %M" "$@" > /dev/null; } 2>&1 | tail -1 )
    walls+=("${out% *}")
    local r=${out#* }
    [ "$r" -gt "$rss" ] && rss=$r
  done
  local median
  median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$label $median $rss ${walls[*]}"
}
echo "# heapsnap leaks benchmark"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB RAM, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- heapsnap: $BIN ($("$BIN" --version))"
for f in "$B" "$T" "$F"; do echo "- input: $f, $(stat -c %s "$f") bytes, $(head -c 4096 "$f" | grep -o '"node_count":[0-9]*,"edge_count":[0-9]*' | head -1)"; done
echo
s=$(timeit summary "$BIN" summary "$largest")
l1=$(timeit leaks1 "$BIN" leaks "$F")
l3=$(timeit leaks3 "$BIN" leaks "$B" "$T" "$F")
sw=$(echo "$s" | cut -d' ' -f2)
echo "| command | median wall (s) | vs summary | peak RSS (MiB) | runs (s) |"
echo "|---|---|---|---|---|"
for row in "$s" "$l1" "$l3"; do
  set -- $row
  label=$1 wall=$2 rss=$3; shift 3
  case $label in
    summary) cmd="summary FINAL" ;;
    leaks1) cmd="leaks FINAL" ;;
    leaks3) cmd="leaks BASELINE TARGET FINAL" ;;
  esac
  echo "| \`heapsnap $cmd\` | $wall | $(awk -v a="$wall" -v b="$sw" 'BEGIN{printf "%.2fx", a/b}') | $((rss / 1024)) | $* |"
done
echo
echo "- load after: $(cut -d' ' -f1-3 /proc/loadavg)"
