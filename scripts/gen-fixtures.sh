#!/usr/bin/env bash
# Regenerate the real V8 heap snapshot fixtures in snapshots/.
#
#   scripts/gen-fixtures.sh            # all fixtures
#   scripts/gen-fixtures.sh hello numeric
#
# Each snapshots/NAME.js is run with the installed `node` (fixtures were made
# with node v20.20.2 / V8 11.3.244.8-node.38; a different node gives a
# different layout, so check `node -v` first) from a copy in the fixed neutral
# folder /tmp/heapsnap-fixture/top (with snapshots/common/), so the heap names
# /tmp/heapsnap-fixture/top/NAME.js on every machine, never a checkout's path.
# The raw snapshot is written there and compressed to snapshots/NAME.heapsnapshot.gz with
# `gzip -9n` (no file name / timestamp in the gzip header). Node ids and
# addresses vary between runs, so the output is not byte-identical.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SNAP_DIR="$ROOT/snapshots"
MAX_BYTES=1000000   # each .gz must stay under 1 MB
ALL=(hello shapes worker internals numeric tracking)

if [ "$#" -gt 0 ]; then NAMES=("$@"); else NAMES=("${ALL[@]}"); fi

# Extra node flags per fixture. worker: any V8 flag makes the worker reject
# Node's embedded code cache (see the comment in snapshots/worker.js); without
# it the gzipped worker snapshot is ~1.02 MB, over the limit.
node_flags() {
  case "$1" in
    worker) echo "--max-old-space-size=512" ;;
    *) echo "" ;;
  esac
}

echo "node $(node -v), V8 $(node -p process.versions.v8)"
if [ "$(node -v)" != "v20.20.2" ]; then
  echo "warning: fixtures were generated with node v20.20.2; snapshots/README.md would need updating" >&2
fi

TMP=/tmp/heapsnap-fixture/top
rm -rf "$TMP"
mkdir -p "$TMP"
trap 'rm -rf "$TMP"; rmdir /tmp/heapsnap-fixture 2>/dev/null || true' EXIT
cp "$SNAP_DIR"/*.js "$TMP/"
cp -r "$SNAP_DIR/common" "$TMP/"

status=0
for name in "${NAMES[@]}"; do
  script="$TMP/$name.js"
  if [ ! -f "$script" ]; then
    echo "error: no such fixture script: $script" >&2
    exit 2
  fi
  raw="$TMP/$name.heapsnapshot"
  gz="$SNAP_DIR/$name.heapsnapshot.gz"
  # stdio must be files, not pipes: a pipe on stderr makes Node load `net` and a
  # net.Socket (~1800 more nodes), so the heap would depend on how this is run.
  # shellcheck disable=SC2046
  if ! (cd "$TMP" && node $(node_flags "$name") "$script" "$raw" \
        </dev/null >/dev/null 2>"$TMP/$name.stderr"); then
    echo "error: $name.js failed:" >&2
    cat "$TMP/$name.stderr" >&2
    exit 1
  fi
  # Sanity check: valid JSON with consistent counts (and, for "tracking",
  # non-empty allocation-tracking sections).
  summary=$(node -e '
    const [file, name] = process.argv.slice(1);
    const s = JSON.parse(require("fs").readFileSync(file, "utf8"));
    const h = s.snapshot, m = h.meta;
    if (s.nodes.length !== h.node_count * m.node_fields.length) throw new Error("nodes length mismatch");
    if (s.edges.length !== h.edge_count * m.edge_fields.length) throw new Error("edges length mismatch");
    if (s.trace_function_infos.length !== h.trace_function_count * m.trace_function_info_fields.length)
      throw new Error("trace_function_infos length does not match trace_function_count");
    if (name === "tracking" && !(h.trace_function_count > 0 && s.trace_tree.length > 0 && s.samples.length > 0))
      throw new Error("tracking fixture lacks allocation-tracking data");
    console.log(`nodes ${h.node_count} edges ${h.edge_count} node_fields ${m.node_fields.length} trace_functions ${h.trace_function_count}`);
  ' "$raw" "$name")
  gzip -9n -c "$raw" > "$TMP/$name.heapsnapshot.gz"
  raw_size=$(stat -c %s "$raw")
  gz_size=$(stat -c %s "$TMP/$name.heapsnapshot.gz")
  printf '%-10s raw %9d  gz %8d  %s\n' "$name" "$raw_size" "$gz_size" "$summary"
  if [ "$gz_size" -ge "$MAX_BYTES" ]; then
    echo "error: $name.heapsnapshot.gz would be $gz_size bytes (limit $MAX_BYTES); reduce what $name.js allocates. Left $gz unchanged." >&2
    status=1
    continue
  fi
  mv "$TMP/$name.heapsnapshot.gz" "$gz"
  rm -f "$raw"
done
exit $status
