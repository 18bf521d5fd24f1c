#!/usr/bin/env bash
# Regenerate snapshots/secrets/*.heapsnapshot.gz with the installed node (v20), from a
# neutral folder so that no checkout path ends up inside the snapshots.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The fixed neutral folder the fixture generators share: the script runs as $WORK/secrets.js,
# the path the committed snapshots name. Only our own files there are replaced and removed:
# other generators use subfolders of it.
WORK=/tmp/heapsnap-fixture
mkdir -p "$WORK"
rm -f "$WORK/secrets.js" "$WORK"/secrets-*.heapsnapshot
cp "$HERE/secrets.js" "$WORK/secrets.js"
(cd "$WORK" && node secrets.js "$WORK")
for s in baseline target; do
  gzip -9n -c "$WORK/secrets-$s.heapsnapshot" > "$HERE/secrets-$s.heapsnapshot.gz"
done
rm -f "$WORK/secrets.js" "$WORK"/secrets-*.heapsnapshot
rmdir "$WORK" 2>/dev/null || true
ls -l "$HERE"/*.gz
