#!/usr/bin/env bash
# Regenerate the leak fixtures in snapshots/leaks/ (see snapshots/leaks/README.md).
#
#   scripts/gen-leak-fixtures.sh                       # all scenarios
#   scripts/gen-leak-fixtures.sh listeners intervals   # some
#
# The programs (snapshots/leaks/*.js and common/) are copied to the fixed
# neutral folder /tmp/heapsnap-fixture/leaks, and each NAME.js runs there once,
# with `node --expose-gc`, in its folder NAME/ and writes
# NAME-baseline/target[/final].heapsnapshot there (all from ONE isolate, so node ids are comparable). The phases to keep
# are listed in snapshots/leaks/expectations.js. Each file must parse with
# consistent counts and gzip (-9n) to under 1,000,000 bytes; then
# snapshots/leaks/verify.js checks that every expected class has exactly the
# intended count. Only when all of that holds are a scenario's files replaced,
# all phases together (never mix phases of different runs: the ids would not
# match). At the end verify.js --write records the verified numbers in
# snapshots/leaks/manifest.json.
#
# Fixtures were made with node v20.20.2 (V8 11.3.244.8-node.38). The sockets
# scenario listens on 127.0.0.1 (ephemeral port) and connects to itself.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LEAK_DIR="$ROOT/snapshots/leaks"
MAX_BYTES=1000000      # each .gz must stay under 1 MB
BUDGET_BYTES=20000000  # all of snapshots/leaks/ should stay under ~20 MB
ALL=(listeners closure-context cycles sockets intervals map-cache worker control)

if [ "$#" -gt 0 ]; then NAMES=("$@"); else NAMES=("${ALL[@]}"); fi

echo "node $(node -v), V8 $(node -p process.versions.v8)"
if [ "$(node -v)" != "v20.20.2" ]; then
  echo "warning: leak fixtures were generated with node v20.20.2; README.md and manifest.json would change" >&2
fi

# Work in a fixed neutral directory, neither the checkout nor a random mktemp
# dir: V8 keeps each script's full path, Node its working directory (and the
# programs their output path) as strings in the heap, and the snapshots should
# name neither a machine's checkout nor random names.
TMP=/tmp/heapsnap-fixture/leaks
rm -rf "$TMP"
mkdir -p "$TMP"
trap 'rm -rf "$TMP"; rmdir /tmp/heapsnap-fixture 2>/dev/null || true' EXIT
cp "$LEAK_DIR"/*.js "$TMP/"
cp -r "$LEAK_DIR/common" "$TMP/"

phases_of() {
  node -e 'const e = require(process.argv[1])[process.argv[2]];
    if (!e) { console.error("unknown scenario " + process.argv[2]); process.exit(2); }
    console.log(e.phases.join(" "));' "$LEAK_DIR/expectations.js" "$1"
}

status=0
done_names=()
for name in "${NAMES[@]}"; do
  script="$TMP/$name.js"
  if [ ! -f "$script" ]; then
    echo "error: no such scenario script: $script" >&2
    exit 2
  fi
  read -r -a phases <<< "$(phases_of "$name")"
  out="$TMP/$name"
  mkdir -p "$out"
  start=$(date +%s)
  # stdio must not be pipes: the first console.log loads internal/util/colors,
  # which touches process.stderr; if stderr is a pipe, that loads `net` and
  # makes a net.Socket (~1800 more nodes, and one more "Socket" in sockets).
  # With files / /dev/null, stdout and stderr are SyncWriteStreams.
  if ! (cd "$out" && node --expose-gc "$script" . </dev/null >"$TMP/$name.stdout" 2>"$TMP/$name.stderr"); then
    echo "error: $name.js failed:" >&2
    cat "$TMP/$name.stderr" >&2
    status=1
    continue
  fi
  ok=1
  for phase in "${phases[@]}"; do
    raw="$out/$name-$phase.heapsnapshot"
    if [ ! -f "$raw" ]; then
      echo "error: $name did not write $name-$phase.heapsnapshot" >&2
      ok=0
      continue
    fi
    summary=$(node -e '
      const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const h = s.snapshot, m = h.meta;
      if (s.nodes.length !== h.node_count * m.node_fields.length) throw new Error("nodes length mismatch");
      if (s.edges.length !== h.edge_count * m.edge_fields.length) throw new Error("edges length mismatch");
      console.log(`nodes ${h.node_count} edges ${h.edge_count}`);
    ' "$raw")
    gzip -9n -c "$raw" > "$raw.gz"
    gz_size=$(stat -c %s "$raw.gz")
    printf '%-16s %-8s raw %9d  gz %8d  %s\n' "$name" "$phase" "$(stat -c %s "$raw")" "$gz_size" "$summary"
    rm -f "$raw"
    if [ "$gz_size" -ge "$MAX_BYTES" ]; then
      echo "error: $name-$phase.heapsnapshot.gz would be $gz_size bytes (limit $MAX_BYTES)" >&2
      ok=0
    fi
  done
  if [ "$ok" = 1 ] && ! node "$LEAK_DIR/verify.js" --counts-only --dir "$out" "$name" >/dev/null; then
    node "$LEAK_DIR/verify.js" --counts-only --dir "$out" "$name" >&2 || true
    ok=0
  fi
  if [ "$ok" != 1 ]; then
    echo "error: left the $name fixtures unchanged" >&2
    status=1
    continue
  fi
  # Replace all phases of this scenario together; drop phases no longer kept.
  rm -f "$LEAK_DIR/$name"-{baseline,target,final}.heapsnapshot.gz
  for phase in "${phases[@]}"; do
    mv "$out/$name-$phase.heapsnapshot.gz" "$LEAK_DIR/"
  done
  done_names+=("$name")
  echo "$name: done in $(( $(date +%s) - start )) s"
done

if [ "${#done_names[@]}" -gt 0 ]; then
  node "$LEAK_DIR/verify.js" --write "${done_names[@]}"
fi

total=$(cat "$LEAK_DIR"/*.heapsnapshot.gz | wc -c)
echo "snapshots/leaks/*.heapsnapshot.gz: $total bytes in total"
if [ "$total" -ge "$BUDGET_BYTES" ]; then
  echo "warning: over the ~$BUDGET_BYTES byte budget for snapshots/leaks/" >&2
fi
exit $status
