#!/usr/bin/env bash
# The whole speed table of issue 14 in one run: heapsnap against the tools we compete with, one
# tool right after the other on the same machine, each under GNU time (wall time, user + system
# CPU time, peak RSS), with the load average (`/proc/loadavg`, 1 minute) printed next to every
# row, since the machine may be shared.
#
#   scripts/bench/analysis.sh [-n RUNS] BIG [BEFORE AFTER [THIRD]]
#
# Rows (each RUNS times; median wall time, the CPU time of that run, max peak RSS):
#   parse        heapsnap info BIG                  v8-heap-parser BIG
#   summary      heapsnap summary BIG               DevTools (load.mjs BIG), dinfuehr summary BIG
#   gz           heapsnap info / summary BIG.gz     against plain (only when BIG.gz exists)
# with a pair (two snapshots of one process, `HEAPSNAP_BENCH_GROWTH=2 gen-big.js big OUT`):
#   diff         heapsnap diff BEFORE AFTER         DevTools (diff.mjs), dinfuehr diff AFTER BEFORE
#                heapsnap diff --no-retained --paths 0 (DevTools' Comparison alone) against both
# with a third snapshot of the same process (`HEAPSNAP_BENCH_STEPS=2` as well):
#   leaks        heapsnap leaks BEFORE AFTER THIRD  against heapsnap summary THIRD
#   report       heapsnap report BEFORE AFTER THIRD against heapsnap leaks on the same three
# and last, in a table of its own, the capture rows: scripts/bench/capture.sh --heap-mb
# CAPTURE_MB (default 400) --no-build (heapsnap capture of a live node process, over the
# inspector and written by the target, against the target's own v8.writeHeapSnapshot()).
#
# "ratio" is the competitor's median wall time over heapsnap's (how many times faster heapsnap
# is), or for the leaks / report / gz rows heapsnap's own time over the reference row's.
#
# Tools (build first; each row is skipped with a note when its tool is missing):
#   HEAPSNAP   target/release/heapsnap                     (cargo build --release)
#   V8HP       scripts/bench/v8-heap-parser-bench/target/release/v8-heap-parser-bench
#              (cd scripts/bench/v8-heap-parser-bench && cargo build --release)
#   DEVTOOLS   scripts/devtools (npm ci --prefix scripts/devtools), run by `node`
#   DINFUEHR   dinfuehr/heap-snapshot's binary, built OUTSIDE the workspace:
#              git clone https://github.com/dinfuehr/heap-snapshot /tmp/dinfuehr
#              (cd /tmp/dinfuehr && cargo build --release --locked --bin heap-snapshot)
#              default /tmp/dinfuehr/target/release/heap-snapshot
# SKIP="devtools dinfuehr v8hp report capture" (any of them) leaves rows out (DevTools' diff of two
# 1 GB snapshots takes minutes). Inputs stay outside the repository (scripts/bench/gen-big.js).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUNS=1
if [ "${1:-}" = "-n" ]; then RUNS="$2"; shift 2; fi
BIG="${1:?usage: analysis.sh [-n RUNS] BIG [BEFORE AFTER [THIRD]]}"
BEFORE="${2:-}"; AFTER="${3:-}"; THIRD="${4:-}"
HS="${HEAPSNAP:-$ROOT/target/release/heapsnap}"
V8HP="${V8HP:-$ROOT/scripts/bench/v8-heap-parser-bench/target/release/v8-heap-parser-bench}"
DINFUEHR="${DINFUEHR:-/tmp/dinfuehr/target/release/heap-snapshot}"
SKIP="${SKIP:-}"
NODE=(node --max-old-space-size=16000)
LOG="$(mktemp -d)"
trap 'rm -rf "$LOG"' EXIT

size() { stat -c %s "$1"; }
load1() { cut -d' ' -f1 /proc/loadavg; }
skipped() { case " $SKIP " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
have() { [ -x "$1" ]; }

echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "- heapsnap: commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- crates || echo ' (with uncommitted changes)'), $HS"
have "$DINFUEHR" && echo "- dinfuehr/heap-snapshot: $DINFUEHR, commit $(git -C "$(dirname "$DINFUEHR")/../.." rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "- uptime before: $(uptime)"
echo "- $BIG: $(size "$BIG") bytes"
[ -n "$AFTER" ] && echo "- pair: $BEFORE ($(size "$BEFORE") bytes) -> $AFTER ($(size "$AFTER") bytes)"
[ -n "$THIRD" ] && echo "- third: $THIRD ($(size "$THIRD") bytes)"
echo
echo "| work | tool | command | wall s (median of $RUNS) | CPU s | peak RSS MiB | RSS / file | ratio | load avg (1 min) at start |"
echo "|---|---|---|---:|---:|---:|---:|---:|---:|"

declare -A WALL
# row KEY WORK TOOL FILE REF command...: runs the command RUNS times; REF is the key of the row
# whose wall time the ratio compares with ("-" for none; a key starting with "/" divides this
# row by that row instead of the other way round).
row() {
  local key="$1" work="$2" tool="$3" file="$4" ref="$5"; shift 5
  local walls=() cpus=() rss=0 l; l=$(load1)
  for _ in $(seq "$RUNS"); do
    if ! /usr/bin/time -f "%e %U %S %M" -o "$LOG/t" "$@" > "$LOG/out" 2> "$LOG/err"; then
      echo "| $work | $tool | \`$(echo "$*" | sed -e "s|$ROOT/||g" -e "s|$LOG|\$TMP|g")\` | failed: $(tail -c 200 "$LOG/err" | tr '\n|' '  ') | | | | | $l |"
      return
    fi
    local w u s m; read -r w u s m < "$LOG/t"
    walls+=("$w"); cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN {printf "%.2f", u + s}')")
    [ "$m" -gt "$rss" ] && rss="$m"
  done
  local mi; mi=$(for i in "${!walls[@]}"; do echo "${walls[$i]} $i"; done | sort -n | awk '{a[NR]=$2} END {print a[int((NR+1)/2)]}')
  local med="${walls[$mi]}" cpu="${cpus[$mi]}"
  WALL[$key]="$med"
  local ratio=""
  case "$ref" in
    -) ;;
    /*) [ -n "${WALL[${ref#/}]:-}" ] && ratio=$(awk -v a="$med" -v b="${WALL[${ref#/}]}" 'BEGIN {printf "%.2fx", a / b}') ;;
    *) [ -n "${WALL[$ref]:-}" ] && ratio=$(awk -v a="${WALL[$ref]}" -v b="$med" 'BEGIN {printf "%.2fx", b / a}') ;;
  esac
  local per; per=$(awk -v r="$rss" -v s="$(size "$file")" 'BEGIN {printf "%.2f", r * 1024 / s}')
  local all; all=$(IFS=/; echo "${walls[*]}")
  echo "| $work | $tool | \`$(echo "$*" | sed -e "s|$ROOT/||g" -e "s|$LOG|\$TMP|g")\` | $med ($all) | $cpu | $((rss / 1024)) | $per | $ratio | $l |"
}
note() { echo "| $1 | $2 | | skipped: $3 | | | | | |"; }
# versus THEIRS OURS WORK TOOL: the ratio of a competitor row already run to another of ours.
versus() {
  [ -n "${WALL[$1]:-}" ] && [ -n "${WALL[$2]:-}" ] || return 0
  echo "| $3 | $4 | | ${WALL[$1]} | | | | $(awk -v a="${WALL[$2]}" -v b="${WALL[$1]}" 'BEGIN {printf "%.2fx", b / a}') | |"
}

cat "$BIG" > /dev/null
row info parse "heapsnap info" "$BIG" - "$HS" info "$BIG"
if skipped v8hp; then :; elif have "$V8HP"; then
  row v8hp parse v8-heap-parser "$BIG" info "$V8HP" "$BIG"
else note parse v8-heap-parser "not built ($V8HP)"; fi
row summary summary "heapsnap summary" "$BIG" - "$HS" summary "$BIG" --top 5
if skipped devtools; then :; else
  row devtools summary "DevTools (heap-snapshot-toolkit)" "$BIG" summary "${NODE[@]}" "$ROOT/scripts/devtools/load.mjs" "$BIG"
fi
if skipped dinfuehr; then :; elif have "$DINFUEHR"; then
  row dinfuehr summary "dinfuehr/heap-snapshot" "$BIG" summary "$DINFUEHR" summary "$BIG"
else note summary dinfuehr/heap-snapshot "not built ($DINFUEHR)"; fi
if [ -f "$BIG.gz" ]; then
  cat "$BIG.gz" > /dev/null
  row info_gz "gz: parse" "heapsnap info (gzipped, vs plain)" "$BIG.gz" /info "$HS" info "$BIG.gz"
  row summary_gz "gz: summary" "heapsnap summary (gzipped, vs plain)" "$BIG.gz" /summary "$HS" summary "$BIG.gz" --top 5
fi
if [ -n "$AFTER" ]; then
  cat "$BEFORE" "$AFTER" > /dev/null
  row diff diff "heapsnap diff" "$AFTER" - "$HS" diff "$BEFORE" "$AFTER"
  if skipped dinfuehr; then :; elif have "$DINFUEHR"; then
    # Its first argument is the newer snapshot, the second the baseline.
    row dinfuehr_diff diff "dinfuehr/heap-snapshot" "$AFTER" diff "$DINFUEHR" diff "$AFTER" "$BEFORE"
  fi
  if skipped devtools; then :; else
    row devtools_diff diff "DevTools' Comparison" "$AFTER" diff "${NODE[@]}" "$ROOT/scripts/devtools/diff.mjs" "$BEFORE" "$AFTER"
  fi
  # DevTools' Comparison alone (what dinfuehr's diff and DevTools show: no retained sizes, no
  # holders), against the same competitor runs as above.
  row diff_cmp "diff: Comparison only" "heapsnap diff --no-retained --paths 0" "$AFTER" - "$HS" diff --no-retained --paths 0 "$BEFORE" "$AFTER"
  versus dinfuehr_diff diff_cmp "diff: Comparison only" "dinfuehr/heap-snapshot (run above)"
  versus devtools_diff diff_cmp "diff: Comparison only" "DevTools' Comparison (run above)"
fi
if [ -n "$THIRD" ]; then
  cat "$BEFORE" "$AFTER" "$THIRD" > /dev/null
  row summary3 "leaks (reference)" "heapsnap summary" "$THIRD" - "$HS" summary "$THIRD" --top 5
  row leaks3 "leaks on three (vs summary)" "heapsnap leaks" "$THIRD" /summary3 "$HS" leaks "$BEFORE" "$AFTER" "$THIRD"
  if ! skipped report; then
    row report3 "report on three (vs leaks)" "heapsnap report" "$THIRD" /leaks3 "$HS" report "$BEFORE" "$AFTER" "$THIRD" -o "$LOG/report.html" -q
    row leaks2 "leaks (reference)" "heapsnap leaks" "$AFTER" - "$HS" leaks "$BEFORE" "$AFTER"
    row report2 "report on two (vs leaks)" "heapsnap report" "$AFTER" /leaks2 "$HS" report "$BEFORE" "$AFTER" -o "$LOG/report.html" -q
  fi
fi
if ! skipped capture; then
  echo
  echo "Capture: \`scripts/bench/capture.sh --heap-mb ${CAPTURE_MB:-400} --no-build\`, load average $(load1) at start:"
  echo
  HEAPSNAP="$HS" "$ROOT/scripts/bench/capture.sh" --heap-mb "${CAPTURE_MB:-400}" --no-build 2> "$LOG/capture.err" \
    || { echo "(capture.sh failed:)"; tail -5 "$LOG/capture.err" | sed 's/^/    /'; }
fi
echo
echo "- uptime after: $(uptime)"
