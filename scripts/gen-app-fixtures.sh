#!/usr/bin/env bash
# Regenerate snapshots/app/app-{baseline,target}.heapsnapshot.gz: an HTTP server whose leaks
# live in module-level variables (see snapshots/app/README.md).
#
#   scripts/gen-app-fixtures.sh
#
# Runs `node --expose-gc --stress-flush-code --no-lazy-feedback-allocation
# snapshots/app/server.js .` once in a fixed directory inside the checkout
# (snapshots/app/.gen-tmp, deleted afterwards; no random names end up in the heap), with
# stdio redirected to files (a pipe would add a net.Socket to the heap). The two V8 flags
# drop bytecode that is not running and keep the files under 1,000,000 bytes gzipped (the
# plain server is ~1.02 MB). Both phases are replaced together, and only when each parses
# with consistent counts and stays under the limit. Made with node v20.20.2.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/snapshots/app"
MAX_BYTES=1000000
PHASES=(baseline target)

echo "node $(node -v), V8 $(node -p process.versions.v8)"
if [ "$(node -v)" != "v20.20.2" ]; then
  echo "warning: the app fixtures were generated with node v20.20.2; snapshots/app/README.md would change" >&2
fi

TMP="$DIR/.gen-tmp"
rm -rf "$TMP"
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT

if ! (cd "$TMP" && node --expose-gc --stress-flush-code --no-lazy-feedback-allocation \
      "$DIR/server.js" . </dev/null >"$TMP/stdout" 2>"$TMP/stderr"); then
  echo "error: server.js failed:" >&2
  cat "$TMP/stderr" >&2
  exit 1
fi
for phase in "${PHASES[@]}"; do
  raw="$TMP/app-$phase.heapsnapshot"
  [ -f "$raw" ] || { echo "error: no app-$phase.heapsnapshot" >&2; exit 1; }
  summary=$(node -e '
    const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const h = s.snapshot, m = h.meta;
    if (s.nodes.length !== h.node_count * m.node_fields.length) throw new Error("nodes length mismatch");
    if (s.edges.length !== h.edge_count * m.edge_fields.length) throw new Error("edges length mismatch");
    console.log(`nodes ${h.node_count} edges ${h.edge_count}`);
  ' "$raw")
  gzip -9n -c "$raw" > "$raw.gz"
  size=$(stat -c %s "$raw.gz")
  printf 'app %-8s raw %9d  gz %8d  %s\n' "$phase" "$(stat -c %s "$raw")" "$size" "$summary"
  if [ "$size" -ge "$MAX_BYTES" ]; then
    echo "error: app-$phase.heapsnapshot.gz would be $size bytes (limit $MAX_BYTES)" >&2
    exit 1
  fi
done
for phase in "${PHASES[@]}"; do
  mv "$TMP/app-$phase.heapsnapshot.gz" "$DIR/"
done
echo "snapshots/app: done"
