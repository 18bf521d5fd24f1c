#!/usr/bin/env bash
# Benchmark `heapsnap capture` against the process writing the same snapshot itself.
#
#   scripts/bench/capture.sh [--heap-mb MB] [--no-build] [--keep]
#
# Starts one node process (`--inspect=127.0.0.1:0`) holding a big, realistic heap (default
# ~1000 MB of JS heap used; objects in the spirit of gen-big.js: users, orders, log entries,
# closures, Maps, duplicated strings), then, in this order, against the same heap:
#
#   1. in-process  v8.writeHeapSnapshot(FILE) inside the target (timed inside node, and the
#                  whole request round trip timed from here)
#   2. capture     heapsnap capture --port P -o FILE --no-check --via inspector   (GC forced: default)
#   3. capture     heapsnap capture --port P -o FILE --no-check --via target      (the target writes it)
#   4. capture     ... --via inspector --no-gc
#   5. capture     ... --via target --no-gc
#   6. in-process  v8.writeHeapSnapshot(FILE) again
#   7. capture.gz  heapsnap capture --port P -o FILE.gz --no-check  (default --via auto; gzip level 1)
#   8. check       heapsnap info FILE.gz  (what the default parse check after a capture costs)
#
# For each capture, the columns "snapshot s" and "GC s" are heapsnap's own figures (--json:
# from the first command to the answer, and the forced GC in it), and "target paused s" is,
# with --via target, how long v8.writeHeapSnapshot ran as the target measured it (with
# --via inspector the target is paused for the whole snapshot, GC aside: snapshot s - GC s).
#
# heapsnap runs under `/usr/bin/time -v` (GNU time: wall time, CPU time, peak RSS). Snapshots go to
# /tmp/heapsnap-bench/ (outside the repository; several GB of free space needed) and are
# deleted at the end unless --keep. Prints a markdown table on stdout; logs on stderr.
#
#   --heap-mb MB  JS heap to build, in MiB (default 1000)
#   --no-build    do not run `cargo build --release` (use target/release/heapsnap as is)
#   --keep        keep the snapshot files
#
# Environment: JOBS (cargo -j, default 1), HEAPSNAP (binary, default target/release/heapsnap).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HEAPSNAP="${HEAPSNAP:-$ROOT/target/release/heapsnap}"
OUT_DIR=/tmp/heapsnap-bench
HEAP_MB=1000
BUILD=1
KEEP=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --heap-mb) HEAP_MB="$2"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
    *) echo "capture.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v node >/dev/null || { echo "capture.sh: node not found" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "capture.sh: GNU time (/usr/bin/time) not found" >&2; exit 2; }
if [ "$BUILD" = 1 ]; then
  (cd "$ROOT" && cargo build --release -j"${JOBS:-1}" --bin heapsnap >&2)
fi
mkdir -p "$OUT_DIR"
WORK="$(mktemp -d)"
NODE_PID=""
cleanup() {
  [ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null || true
  [ "$KEEP" = 1 ] || rm -f "$OUT_DIR"/capture-bench.*
  rm -rf "$WORK"
}
trap cleanup EXIT

# The target: builds the heap, prints "ready HEAP_USED_BYTES", then on "write FILE" writes a
# snapshot itself and prints "wrote SECONDS".
cat > "$WORK/target.js" <<'JS'
'use strict';
const v8 = require('node:v8');
const readline = require('node:readline');
const targetBytes = Number(process.argv[2]) * 2 ** 20;
let seed = 0x9e3779b9;
function rand() { // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rand() * a.length)];
const NAMES = ['Ada', 'Alan', 'Grace', 'Linus', 'Barbara', 'Dennis', 'Ken', 'Margaret'];
const CITIES = ['Berlin', 'Paris', 'Lagos', 'Lima', 'Osaka', 'Austin', 'Nairobi', 'Oslo'];
const TAGS = ['admin', 'beta', 'vip', 'trial', 'eu', 'us', 'apac', 'mobile'];
class Address { constructor() { this.city = pick(CITIES); this.zip = 10000 + Math.floor(rand() * 89999); this.geo = { lat: rand() * 180 - 90, lon: rand() * 360 - 180 }; } }
class User {
  constructor(id) {
    this.id = id;
    this.name = `${pick(NAMES)} ${pick(NAMES)}`;
    this.email = `user${id}.${Math.floor(rand() * 1e9).toString(36)}@example.com`;
    this.address = new Address();
    this.tags = [pick(TAGS), pick(TAGS)];
    this.scores = [1, 2, 3, 4].map(() => Math.floor(rand() * 100));
    this.balance = rand() * 1000;
    this.friends = [];
  }
}
class Order { constructor(id, user) { this.id = `ord_${id.toString(36)}`; this.user = user; this.items = [{ sku: pick(TAGS), qty: 1 + Math.floor(rand() * 5), price: rand() * 100 }]; } }
function makeHandler(user) { const created = Date.now(); return () => user.balance + created; }
const heap = { users: [], orders: [], byId: new Map(), handlers: [], logs: [] };
globalThis.__bench = heap;
let id = 0;
while (process.memoryUsage().heapUsed < targetBytes) {
  for (let k = 0; k < 10000; k++, id++) {
    const u = new User(id);
    if (heap.users.length) u.friends.push(heap.users[Math.floor(rand() * heap.users.length)]);
    heap.users.push(u);
    heap.byId.set(id, u);
    heap.orders.push(new Order(id, u));
    if (k % 4 === 0) heap.handlers.push(makeHandler(u));
    if (k % 2 === 0) heap.logs.push(`request ${id} took ${Math.floor(rand() * 5000)}ms`);
  }
}
process.stdout.write(`ready ${process.memoryUsage().heapUsed}\n`);
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, file] = line.split(' ');
  if (cmd === 'write') {
    const t0 = process.hrtime.bigint();
    v8.writeHeapSnapshot(file);
    process.stdout.write(`wrote ${Number(process.hrtime.bigint() - t0) / 1e9}\n`);
  } else if (cmd === 'quit') {
    process.exit(0);
  }
});
JS

echo "capture.sh: building a ~${HEAP_MB} MiB heap (this takes a while)" >&2
coproc TARGET { exec node --max-old-space-size=$((HEAP_MB * 4)) --inspect=127.0.0.1:0 "$WORK/target.js" "$HEAP_MB" 2>"$WORK/node.err"; }
NODE_PID=$TARGET_PID
read -r -u "${TARGET[0]}" ready used
[ "$ready" = ready ] || { echo "capture.sh: the target did not start" >&2; cat "$WORK/node.err" >&2; exit 1; }
PORT="$(grep -o 'ws://127.0.0.1:[0-9]*' "$WORK/node.err" | head -1 | sed 's/.*://')"
echo "capture.sh: heap used $((used / 1048576)) MiB; inspector on port $PORT" >&2

ROWS=()
in_process() { # $1 = label
  local f="$OUT_DIR/capture-bench.inproc.heapsnapshot" t0 t1 line secs
  rm -f "$f"
  t0=$(date +%s.%N)
  echo "write $f" >&"${TARGET[1]}"
  read -r -u "${TARGET[0]}" line secs
  t1=$(date +%s.%N)
  ROWS+=("| $1 | v8.writeHeapSnapshot() in the target | $(printf %.2f "$secs") (round trip $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')) | | | $(printf %.2f "$secs") | (node) | (node) | $(($(stat -c %s "$f") / 1048576)) |")
  echo "capture.sh: $1: ${secs}s" >&2
}
timed() { # $1 = label, $2 = file (written, or read with --keep-file), rest = heapsnap args
  local label="$1" f="$2" log="$WORK/time.log"
  shift 2
  if [ "$1" = --keep-file ]; then shift; else rm -f "$f"; fi
  /usr/bin/time -v -o "$log" "$HEAPSNAP" "$@" >"$WORK/out.txt"
  cat "$WORK/out.txt" >&2
  local snap_s="" gc_s="" pause_s=""
  if [ "$1" = capture ]; then
    read -r snap_s gc_s pause_s < <(node -e '
      const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).snapshots[0];
      const f = (x) => (x == null ? "" : x.toFixed(2));
      console.log(f(s.seconds), f(s.gc_seconds), s.pause_seconds == null ? f(s.seconds - s.gc_seconds) : f(s.pause_seconds));
    ' "$WORK/out.txt")
  fi
  local wall rss cpu
  wall="$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}' | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')"
  rss="$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')"
  cpu="$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$log")"
  ROWS+=("| $label | heapsnap $* | $(printf %.2f "$wall") | $snap_s | $gc_s | $pause_s | $cpu | $((rss / 1024)) | $(($(stat -c %s "$f") / 1048576)) |")
  echo "capture.sh: $label: ${wall}s, ${cpu}s CPU, peak RSS $((rss / 1024)) MiB" >&2
}

SNAP="$OUT_DIR/capture-bench.heapsnapshot"
in_process "1. in-process"
timed "2. capture via inspector" "$SNAP" capture --port "$PORT" -o "$SNAP" --no-check --json --via inspector
timed "3. capture via target" "$SNAP" capture --port "$PORT" -o "$SNAP" --no-check --json --via target
timed "4. capture via inspector --no-gc" "$SNAP" capture --port "$PORT" -o "$SNAP" --no-check --json --via inspector --no-gc
timed "5. capture via target --no-gc" "$SNAP" capture --port "$PORT" -o "$SNAP" --no-check --json --via target --no-gc
in_process "6. in-process"
timed "7. capture .gz" "$SNAP.gz" capture --port "$PORT" -o "$SNAP.gz" --no-check --json
timed "8. parse check" "$SNAP.gz" --keep-file info "$SNAP.gz"
echo quit >&"${TARGET[1]}" || true

echo "Capture benchmark: $(date -u +%Y-%m-%d), $(nproc) cores, $(node --version), JS heap used $((used / 1048576)) MiB"
echo
echo "| step | command | wall s | snapshot s | GC s | target paused s | heapsnap CPU s | peak RSS MiB | file MiB |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${ROWS[@]}"
