#!/usr/bin/env bash
# Regenerate the fixtures of the small services in snapshots/: each folder's server.js is an
# HTTP server with its leaks in module-level variables, which writes NAME-<phase>.heapsnapshot
# (see each folder's README.md).
#
#   scripts/gen-app-fixtures.sh                 # all: app store agents
#   scripts/gen-app-fixtures.sh store agents    # some
#
# The programs are copied to a fixed neutral folder, /tmp/heapsnap-fixture/NAME, and run
# there: `node --expose-gc --stress-flush-code --no-lazy-feedback-allocation server.js .`,
# with stdio redirected to files (a pipe would add a net.Socket to the heap). V8 keeps each
# script's full path and the working directory in the heap, so the snapshots name
# /tmp/heapsnap-fixture/NAME/server.js on every machine, never a checkout's path. The two V8
# flags drop bytecode that is not running and keep the files under 1,000,000 bytes gzipped.
# A fixture's phases are replaced together, and only when each parses with consistent counts
# and stays under the limit. Made with node v20.20.2.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK=/tmp/heapsnap-fixture
MAX_BYTES=1000000
ALL=(app store agents)

if [ "$#" -gt 0 ]; then NAMES=("$@"); else NAMES=("${ALL[@]}"); fi

echo "node $(node -v), V8 $(node -p process.versions.v8)"
if [ "$(node -v)" != "v20.20.2" ]; then
  echo "warning: these fixtures were generated with node v20.20.2; their READMEs would change" >&2
fi

check() { # FILE: prints "nodes N edges E", fails on inconsistent counts
  node -e '
    const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const h = s.snapshot, m = h.meta;
    if (s.nodes.length !== h.node_count * m.node_fields.length) throw new Error("nodes length mismatch");
    if (s.edges.length !== h.edge_count * m.edge_fields.length) throw new Error("edges length mismatch");
    console.log(`nodes ${h.node_count} edges ${h.edge_count}`);
  ' "$1"
}

status=0
for name in "${NAMES[@]}"; do
  dir="$ROOT/snapshots/$name"
  if [ ! -f "$dir/server.js" ]; then
    echo "error: no such fixture: $dir/server.js" >&2
    exit 2
  fi
  run="$WORK/$name"
  rm -rf "$run"
  mkdir -p "$run"
  cp "$dir"/*.js "$run/"
  if ! (cd "$run" && node --expose-gc --stress-flush-code --no-lazy-feedback-allocation \
        server.js . </dev/null >"$run/stdout" 2>"$run/stderr"); then
    echo "error: $name/server.js failed:" >&2
    cat "$run/stderr" >&2
    status=1
    continue
  fi
  ok=1
  phases=()
  for raw in "$run/$name"-*.heapsnapshot; do
    [ -f "$raw" ] || { echo "error: $name wrote no snapshot" >&2; ok=0; break; }
    phase="${raw##*/$name-}"
    phase="${phase%.heapsnapshot}"
    phases+=("$phase")
    summary=$(check "$raw")
    gzip -9n -c "$raw" > "$raw.gz"
    size=$(stat -c %s "$raw.gz")
    printf '%-8s %-8s raw %9d  gz %8d  %s\n' "$name" "$phase" "$(stat -c %s "$raw")" "$size" "$summary"
    if [ "$size" -ge "$MAX_BYTES" ]; then
      echo "error: $name-$phase.heapsnapshot.gz would be $size bytes (limit $MAX_BYTES)" >&2
      ok=0
    fi
  done
  if [ "$ok" != 1 ]; then
    echo "error: left the $name fixtures unchanged" >&2
    status=1
    continue
  fi
  rm -f "$dir/$name"-*.heapsnapshot.gz
  for phase in "${phases[@]}"; do
    mv "$run/$name-$phase.heapsnapshot.gz" "$dir/"
  done
  rm -rf "$run"
  echo "snapshots/$name: done"
done
rmdir "$WORK" 2>/dev/null || true
exit $status
