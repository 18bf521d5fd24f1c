#!/usr/bin/env bash
# Regenerates docs/report.png, the README's screenshot of `heapsnap report`, from a shipped
# fixture: builds heapsnap, writes the report of the listeners scenario (three snapshots) to a
# temporary folder, opens it in headless Chromium (scripts/report-screenshot.js) and, when
# pngquant is installed (apt-get install pngquant), shrinks the PNG to 64 colors.
# Needs chromium and node on PATH.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
cargo build --release --bin heapsnap
target/release/heapsnap report snapshots/leaks/listeners-{baseline,target,final}.heapsnapshot.gz \
  -o "$TMP/report.html"
node_flags=()
if ! node -e 'process.exit(typeof WebSocket === "undefined" ? 1 : 0)'; then
  node_flags=(--experimental-websocket)
fi
node "${node_flags[@]}" scripts/report-screenshot.js "$TMP/report.html" "$TMP/report.png"
if command -v pngquant > /dev/null 2>&1; then
  pngquant --force --strip --quality 60-90 --speed 1 --output docs/report.png 64 "$TMP/report.png"
else
  echo "report-screenshot.sh: pngquant not found: docs/report.png is not shrunk" >&2
  cp "$TMP/report.png" docs/report.png
fi
ls -l docs/report.png
