#!/usr/bin/env bash
# Regenerate snapshots/separate/: snapshots of HTTP services taken by SEPARATE
# `heapsnap capture --pid` runs with load in between, as a user without `heapsnap hunt` takes
# them. Each capture is its own inspector session, so V8's object ids do not follow objects from
# one snapshot to the next: what `heapsnap leaks` matches by structure (see
# snapshots/separate/README.md).
#
#   scripts/gen-separate-fixtures.sh              # all: sessions reports control
#   scripts/gen-separate-fixtures.sh sessions     # some
#
# Each service (snapshots/separate/NAME.js) runs with `node --stress-flush-code NAME.js 0` from
# a neutral folder, /tmp/heapsnap-separate (its scripts' paths end up in the heaps; no checkout
# path, no random name), with stdio redirected to files, on 127.0.0.1; --stress-flush-code makes
# V8 drop the bytecode of functions that are not running at each GC (the captures force one),
# which keeps the files under 1,000,000 bytes gzipped (a plain HTTP server is about 1.0 MB) and
# makes V8 compile again between the snapshots what runs again. Then: 20 requests to /health
# (warm-up), capture NAME-1, N requests to the leaky path, capture NAME-2, N more, capture
# NAME-3; the service is killed (per scenario below). For "sessions", a second process of the
# same service gets the warm-up and N/2 requests, then one capture: sessions-other (a snapshot
# of another process). Captures are written plain, then gzipped with `gzip -9n`; a scenario's
# files replace the committed ones only when all of them parse (`heapsnap info`) and each stays
# under 1,000,000 bytes.
# Needs node (made with v20.20.2) and a release build of heapsnap (built when missing, or
# HEAPSNAP=path).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/snapshots/separate"
WORK=/tmp/heapsnap-separate
HEAPSNAP="${HEAPSNAP:-$ROOT/target/release/heapsnap}"
N=60
MAX_BYTES=1000000
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(sessions reports control)

echo "node $(node -v), V8 $(node -p process.versions.v8)"
if [ "$(node -v)" != "v20.20.2" ]; then
  echo "warning: the fixtures were made with node v20.20.2; snapshots/separate/README.md would change" >&2
fi
if [ ! -x "$HEAPSNAP" ]; then
  (cd "$ROOT" && cargo build --release)
fi

PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
rm -rf "$WORK"
mkdir -p "$WORK/out"
cp "$DIR"/sessions.js "$DIR"/reports.js "$DIR"/control.js "$DIR"/load.js "$WORK/"

# start NAME: runs NAME.js in $WORK; sets PID and PORT.
start() {
  (cd "$WORK" && exec node --stress-flush-code "$1.js" 0 </dev/null >"$WORK/$1.stdout" 2>"$WORK/$1.stderr") &
  PID=$!
  PORT=
  for _ in $(seq 100); do
    PORT=$(sed -n 's/^listening //p' "$WORK/$1.stdout")
    [ -n "$PORT" ] && return 0
    sleep 0.1
  done
  echo "error: $1.js did not start:" >&2
  cat "$WORK/$1.stderr" >&2
  exit 1
}

stop() {
  kill "$PID"
  wait "$PID" 2>/dev/null || true
  PID=
}

load() { (cd "$WORK" && node load.js "$PORT" "$1" "$2"); }

capture() { "$HEAPSNAP" capture --pid "$PID" -o "$WORK/out/$1.heapsnapshot" -q; }

for s in "${SCENARIOS[@]}"; do
  start "$s"
  load 20 /health
  case "$s" in
    sessions)
      capture sessions-1
      load "$N" /login
      capture sessions-2
      load "$N" /login
      capture sessions-3
      stop
      # Another process of the same service, with half the load.
      start sessions
      load 20 /health
      load $((N / 2)) /login
      capture sessions-other
      files=(sessions-1 sessions-2 sessions-3 sessions-other)
      ;;
    reports)
      capture reports-1
      load "$N" /report
      capture reports-2
      load "$N" /report
      capture reports-3
      files=(reports-1 reports-2 reports-3)
      ;;
    control)
      # The cache is full before the first snapshot: a service at its steady state.
      load "$N" /item
      capture control-1
      load 1 /stats
      load "$N" /item
      capture control-2
      load "$N" /item
      capture control-3
      files=(control-1 control-2 control-3)
      ;;
    *)
      echo "error: unknown scenario $s" >&2
      exit 2
      ;;
  esac
  stop
  for f in "${files[@]}"; do
    raw="$WORK/out/$f.heapsnapshot"
    "$HEAPSNAP" info "$raw" >/dev/null
    gzip -9n -c "$raw" > "$raw.gz"
    size=$(stat -c %s "$raw.gz")
    printf '%-16s raw %9d  gz %8d\n' "$f" "$(stat -c %s "$raw")" "$size"
    if [ "$size" -ge "$MAX_BYTES" ]; then
      echo "error: $f.heapsnapshot.gz would be $size bytes (limit $MAX_BYTES)" >&2
      exit 1
    fi
  done
  for f in "${files[@]}"; do
    mv "$WORK/out/$f.heapsnapshot.gz" "$DIR/"
  done
done
echo "snapshots/separate: done"
