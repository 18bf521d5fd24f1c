#!/usr/bin/env node
'use strict';
// Writes docs/report.png, the README's picture of `heapsnap report`: the report of a shipped
// fixture (listeners, three snapshots) opened in headless Chromium over the DevTools protocol,
// its first finding opened, the leaks section and the treemap below it captured.
//
//   scripts/report-screenshot.sh        (builds heapsnap, runs this, shrinks the PNG)
//   node scripts/report-screenshot.js REPORT.html OUT.png
//
// Needs `chromium` on PATH and a node with a WebSocket client (22+, or 18-21 with
// --experimental-websocket, which the shell script passes).
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [file, out] = process.argv.slice(2);
if (!file || !out) {
  console.error('usage: node scripts/report-screenshot.js REPORT.html OUT.png');
  process.exit(2);
}
if (typeof WebSocket === 'undefined') {
  console.error('report-screenshot.js: this node has no WebSocket (run it with --experimental-websocket)');
  process.exit(2);
}
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'heapsnap-shot-'));
const chrome = spawn(
  'chromium',
  ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0',
    `--user-data-dir=${profile}`, 'about:blank'],
  { stdio: 'ignore' },
);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function cleanup() {
  chrome.kill();
  fs.rmSync(profile, { recursive: true, force: true });
}

(async () => {
  let port;
  for (let i = 0; i < 300 && !port; i++) {
    try {
      port = fs.readFileSync(path.join(profile, 'DevToolsActivePort'), 'utf8').split('\n')[0];
    } catch {
      await sleep(100);
    }
  }
  if (!port) throw new Error('chromium did not start');
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const ws = new WebSocket(targets.find((t) => t.type === 'page').webSocketDebuggerUrl);
  await new Promise((r, j) => { ws.onopen = r; ws.onerror = j; });
  let id = 0;
  const pending = new Map();
  const loaded = [];
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.id) pending.get(msg.id)(msg);
    else if (msg.method === 'Page.loadEventFired') loaded.push(true);
  };
  const call = (method, params = {}) => new Promise((resolve, reject) => {
    const n = ++id;
    pending.set(n, (msg) => (msg.error ? reject(new Error(`${method}: ${msg.error.message}`)) : resolve(msg.result)));
    ws.send(JSON.stringify({ id: n, method, params }));
  });
  const evaluate = async (expression) => {
    const r = await call('Runtime.evaluate', { expression, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`${expression}: ${JSON.stringify(r.exceptionDetails)}`);
    return r.result.value;
  };
  await call('Page.enable');
  await call('Emulation.setDeviceMetricsOverride', { width: 1000, height: 1400, deviceScaleFactor: 1, mobile: false });
  await call('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: 'light' }] });
  await call('Page.navigate', { url: 'file://' + path.resolve(file) });
  for (let i = 0; i < 300 && !loaded.length; i++) await sleep(50);
  // Open the first finding; capture from the leaks heading down to the treemap's end.
  const clip = await evaluate(`(() => {
    document.querySelector('#finding-1').open = true;
    const top = document.querySelector('#leaks-h').getBoundingClientRect().top + scrollY - 8;
    const end = document.querySelector('.tm-frame:not([hidden])').getBoundingClientRect().bottom + scrollY + 8;
    return { x: 0, y: top, width: document.documentElement.clientWidth, height: end - top, scale: 1 };
  })()`);
  await sleep(200);
  const shot = await call('Page.captureScreenshot', { format: 'png', clip, captureBeyondViewport: true });
  fs.writeFileSync(out, Buffer.from(shot.data, 'base64'));
  console.log(`report-screenshot.js: wrote ${out} (${Math.round(clip.width)}x${Math.round(clip.height)})`);
  ws.close();
  cleanup();
})().catch((e) => {
  console.error(`report-screenshot.js: ${e.message}`);
  cleanup();
  process.exit(1);
});
