#!/usr/bin/env bash
# Regenerate snapshots/secrets/*.heapsnapshot.gz with the installed node (v20), from a
# neutral folder so that no checkout path ends up inside the snapshots.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK=/tmp/heapsnap-fixture
rm -rf "$WORK" && mkdir -p "$WORK"
cp "$HERE/secrets.js" "$WORK/secrets.js"
(cd "$WORK" && node secrets.js "$WORK")
for s in baseline target; do
  gzip -9n -c "$WORK/secrets-$s.heapsnapshot" > "$HERE/secrets-$s.heapsnapshot.gz"
done
rm -rf "$WORK"
ls -l "$HERE"/*.gz
