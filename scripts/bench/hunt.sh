#!/usr/bin/env bash
# Benchmark `heapsnap hunt` on the leaky fixture service (tests/fixtures/hunt/server.js):
#
#   1. What --track-allocations costs the target: requests/s on /health (which allocates 50
#      objects per request and keeps nothing), C requests in flight for S seconds
#      (scripts/bench/rps.js), measured
#        plain     with nobody attached, before and after the hunts,
#        session   as the --drive action of `hunt --snapshots 2` (one inspector session open),
#        tracking  as the --drive action of `hunt --snapshots 2 --track-allocations`.
#   2. How long hunt takes beyond the captures: `hunt --every 1s --json` under /usr/bin/time,
#      after the service was filled with FILL /login requests (a bigger heap): wall time minus
#      the snapshots (GC included) minus the two 1 s waits, split into attaching (SIGUSR1,
#      finding the inspector, connecting), closing, and the leaks analysis.
#
#   scripts/bench/hunt.sh [--no-build] [--seconds S] [--concurrency C] [--fill N]...
#
# Several --fill values run part 2 once per heap size (default: 0 and 100000). Logs on stderr,
# a markdown table on stdout. Snapshots go to $BENCH/hunt (default /tmp/heapsnap-bench/hunt).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HEAPSNAP="${HEAPSNAP:-$ROOT/target/release/heapsnap}"
BENCH="${BENCH:-/tmp/heapsnap-bench}"
OUT="$BENCH/hunt"
SECONDS_EACH=10
CONC=8
BUILD=1
FILLS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) BUILD=0 ;;
    --seconds) SECONDS_EACH="$2"; shift ;;
    --concurrency) CONC="$2"; shift ;;
    --fill) FILLS+=("$2"); shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ ${#FILLS[@]} -gt 0 ] || FILLS=(0 100000)
[ "$BUILD" = 1 ] && (cd "$ROOT" && cargo build --release -j "${JOBS:-1}" >&2)
mkdir -p "$OUT"
rm -rf "${OUT:?}"/heapsnap-* "$OUT"/*.json "$OUT"/*.jsonl

FIX="$ROOT/tests/fixtures/hunt"
SERVER_PID=
start_server() {
  # stdin stays open (the service exits when it closes).
  sleep 100000 | node "$FIX/server.js" 0 >"$OUT/server.out" 2>"$OUT/server.err" &
  for _ in $(seq 100); do
    grep -q '^listening' "$OUT/server.out" 2>/dev/null && break
    sleep 0.1
  done
  PORT=$(awk '/^listening/{print $2}' "$OUT/server.out")
  SERVER_PID=$(pgrep -f "node $FIX/server.js 0" | head -1)
  export HUNT_URL="http://127.0.0.1:$PORT"
  echo "server $SERVER_PID on $HUNT_URL" >&2
}
stop_server() {
  pkill -P "$$" sleep 2>/dev/null || true
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  SERVER_PID=
}
trap stop_server EXIT

rps() { node "$ROOT/scripts/bench/rps.js" "$SECONDS_EACH" "$CONC" /health; }
field() { node -e "const d=JSON.parse(require('fs').readFileSync(0,'utf8'));console.log($1)"; }

# --- 1. overhead of allocation tracking -------------------------------------------------
start_server
node "$FIX/load.js" 2000 /health >&2                 # warm up (JIT, http internals)
P1=$(rps | field d.rps)
"$HEAPSNAP" hunt --pid "$SERVER_PID" --snapshots 2 -o "$OUT" --json -q \
  --drive "node '$ROOT/scripts/bench/rps.js' $SECONDS_EACH $CONC /health >> '$OUT/session.jsonl'" \
  > "$OUT/hunt-session.json"
"$HEAPSNAP" hunt --pid "$SERVER_PID" --snapshots 2 -o "$OUT" --json -q --track-allocations \
  --drive "node '$ROOT/scripts/bench/rps.js' $SECONDS_EACH $CONC /health >> '$OUT/tracking.jsonl'" \
  > "$OUT/hunt-tracking.json"
P2=$(rps | field d.rps)
S=$(field d.rps < "$OUT/session.jsonl")
T=$(field d.rps < "$OUT/tracking.jsonl")
echo "| measurement | requests/s |"
echo "| --- | ---: |"
echo "| plain, before the hunts | $P1 |"
echo "| during \`hunt\` (session open, no tracking) | $S |"
echo "| during \`hunt --track-allocations\` | $T |"
echo "| plain, after the hunts | $P2 |"
stop_server

# --- 2. time beyond the captures --------------------------------------------------------
echo
echo "| heap filled with | snapshot (gz) | wall | snapshots (GC incl.) | waits | attach | close | analysis | beyond captures |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for FILL in "${FILLS[@]}"; do
  start_server
  [ "$FILL" -gt 0 ] && node "$FIX/load.js" "$FILL" /login >&2
  /usr/bin/time -f '%e' -o "$OUT/time.txt" "$HEAPSNAP" hunt --pid "$SERVER_PID" --every 1s \
    -o "$OUT" --json -q > "$OUT/hunt-$FILL.json"
  WALL=$(cat "$OUT/time.txt")
  node -e '
    const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const wall = Number(process.argv[2]), fill = process.argv[3];
    const t = d.timings, snaps = t.snapshot_seconds, waits = t.action_seconds;
    const close = t.until_detached_seconds - t.attach_seconds - snaps - waits;
    const analysis = wall - t.until_detached_seconds;
    const mb = (d.captures[2].bytes / 1e6).toFixed(1), gz = (d.captures[2].file_bytes / 1e6).toFixed(1);
    const f = (x) => x.toFixed(2) + " s";
    console.log(`| ${fill} /login | ${mb} MB (${gz} MB) | ${f(wall)} | ${f(snaps)} | ${f(waits)} | ${f(t.attach_seconds)} | ${f(close)} | ${f(analysis)} | ${f(wall - snaps - waits)} |`);
  ' "$OUT/hunt-$FILL.json" "$WALL" "$FILL"
  stop_server
done
