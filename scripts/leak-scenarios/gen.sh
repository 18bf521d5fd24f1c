#!/usr/bin/env bash
# Regenerate the extra leak fixtures of `heapsnap leaks` (see scripts/leak-scenarios/README.md):
#
#   scripts/leak-scenarios/gen.sh                 # steady, more-leaks, event-target and detached-dom
#   scripts/leak-scenarios/gen.sh steady          # one
#
# detached-dom is a Chromium page (detached-dom/page.html) captured over the DevTools
# protocol by detached-dom/capture.js; it needs Debian's `chromium` (apt-get install -y
# chromium) or CHROMIUM=/path/to/chrome. Tests never need a browser: they read the files.
#
# Like scripts/gen-leak-fixtures.sh: the programs are copied to the fixed neutral folder
# /tmp/heapsnap-fixture (scripts/leak-scenarios/ and the harness, snapshots/leaks/common/, in
# the checkout's layout), so the heap names /tmp/heapsnap-fixture/scripts/leak-scenarios/NAME.js
# on every machine; each program runs once with `node --expose-gc` in its own folder
# (/tmp/heapsnap-fixture/leak-scenarios/NAME), stdio redirected to files; each phase must gzip
# (-9n) under 1,000,000 bytes and count.js must find every intended count before the phases
# of a scenario replace the committed ones (all together: ids of two runs do not match).
# Finally count.js --write records the numbers in snapshots/leaks/manifest-controls.json.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/scripts/leak-scenarios"
OUT="$ROOT/snapshots/leaks"
MAX_BYTES=1000000
ALL=(steady more-leaks event-target detached-dom)
if [ "$#" -gt 0 ]; then NAMES=("$@"); else NAMES=("${ALL[@]}"); fi
echo "node $(node -v), V8 $(node -p process.versions.v8)"
WORK=/tmp/heapsnap-fixture
TMP="$WORK/leak-scenarios"
rm -rf "$TMP" "$WORK/scripts" "$WORK/snapshots"
mkdir -p "$TMP" "$WORK/scripts" "$WORK/snapshots/leaks"
trap 'rm -rf "$TMP" "$WORK/scripts" "$WORK/snapshots"; rmdir "$WORK" 2>/dev/null || true' EXIT
cp -r "$HERE" "$WORK/scripts/"
cp -r "$OUT/common" "$WORK/snapshots/leaks/"
PROGS="$WORK/scripts/leak-scenarios"
status=0
done_names=()
for name in "${NAMES[@]}"; do
  dir="$TMP/$name"
  mkdir -p "$dir"
  if [ "$name" = detached-dom ]; then
    run=(node --experimental-websocket "$PROGS/detached-dom/capture.js" .)
  else
    run=(node --expose-gc "$PROGS/$name.js" .)
  fi
  if ! (cd "$dir" && "${run[@]}" </dev/null >"$TMP/$name.stdout" 2>"$TMP/$name.stderr"); then
    echo "error: $name.js failed:" >&2
    cat "$TMP/$name.stderr" >&2
    status=1
    continue
  fi
  ok=1
  for phase in baseline target final; do
    raw="$dir/$name-$phase.heapsnapshot"
    gzip -9n -c "$raw" > "$raw.gz"
    size=$(stat -c %s "$raw.gz")
    printf '%-12s %-8s gz %8d\n' "$name" "$phase" "$size"
    rm -f "$raw"
    if [ "$size" -ge "$MAX_BYTES" ]; then
      echo "error: $name-$phase.heapsnapshot.gz is $size bytes (limit $MAX_BYTES)" >&2
      ok=0
    fi
  done
  if [ "$ok" = 1 ] && ! node "$HERE/count.js" --counts-only --dir "$dir" "$name"; then
    ok=0
  fi
  if [ "$ok" != 1 ]; then
    echo "error: left the $name fixtures unchanged" >&2
    status=1
    continue
  fi
  mv "$dir/$name"-*.heapsnapshot.gz "$OUT/"
  done_names+=("$name")
done
if [ "${#done_names[@]}" -gt 0 ]; then
  HEAPSNAP_BROWSER_VERSION="$("${CHROMIUM:-chromium}" --version 2>/dev/null || true)" \
    node "$HERE/count.js" --write "${done_names[@]}"
fi
exit $status
