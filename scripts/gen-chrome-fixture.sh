#!/usr/bin/env bash
# Regenerates a real Chromium renderer heap (newest V8 layout: six node fields with
# detachedness, no trace_node_id, extra_native_bytes) of a page in snapshots/chrome/:
#
#   scripts/gen-chrome-fixture.sh            # page:    snapshots/chrome-page.heapsnapshot.gz
#   scripts/gen-chrome-fixture.sh widgets    # widgets: snapshots/chrome-widgets.heapsnapshot.gz
#
# page.html keeps 50 detached <div>s and 100 `ChromeLeak` objects (globals); widgets.html keeps
# 200 detached <section>s in a top-level `const widgets` (the page's script context table).
# The page is copied to the fixed neutral folder /tmp/heapsnap-fixture/chrome and opened from
# there, so the heap's URLs are file:///tmp/heapsnap-fixture/chrome/NAME.html on every machine.
# Needs Debian's chromium (apt-get install -y chromium) and a release build of heapsnap.
# Chromium listens on 127.0.0.1 only and is stopped at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NAME="${1:-page}"
case "$NAME" in
  page) TITLE=heapsnap-test-page ;;
  widgets) TITLE=heapsnap-widgets ;;
  *) echo "unknown page: $NAME (page or widgets)" >&2; exit 2 ;;
esac
PORT="${PORT:-9333}"
PROFILE="$(mktemp -d)"
PAGES=/tmp/heapsnap-fixture/chrome
rm -rf "$PAGES"
mkdir -p "$PAGES"
cp "$ROOT/snapshots/chrome/$NAME.html" "$PAGES/"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$PROFILE" --remote-debugging-address=127.0.0.1 --remote-debugging-port="$PORT" \
  "file://$PAGES/$NAME.html" > "$PROFILE/log" 2>&1 &
CHROME=$!
trap 'kill $CHROME 2>/dev/null || true; wait $CHROME 2>/dev/null || true; rm -rf "$PROFILE" "$PAGES"; rmdir /tmp/heapsnap-fixture 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/json/list" > /dev/null && break; sleep 0.2; done
sleep 1
"$ROOT/target/release/heapsnap" capture --port "$PORT" --target "$TITLE" \
  -o "$ROOT/snapshots/chrome-$NAME.heapsnapshot.gz"
