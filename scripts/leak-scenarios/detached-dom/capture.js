#!/usr/bin/env node
'use strict';
// Capture the "detached-dom" fixture: open page.html in headless Chromium, and take
// baseline / target / final heap snapshots of the page over the DevTools protocol (one
// renderer, one isolate, no HeapProfiler.disable in between: ids are comparable).
//
//   node --experimental-websocket scripts/leak-scenarios/detached-dom/capture.js OUTDIR
//
// Needs Debian's `chromium` (apt-get install -y chromium) or CHROMIUM=/path/to/chrome.
// Writes OUTDIR/detached-dom-<phase>.heapsnapshot (plain JSON; gen.sh gzips them).
// Snapshot options as for the Node fixtures: no numeric values, no exposeInternals, after
// HeapProfiler.collectGarbage (awaited) twice.
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const N = 50;
const outDir = process.argv[2] || '.';
const page = 'file://' + path.join(__dirname, 'page.html');
const chrome = process.env.CHROMIUM || 'chromium';

function fail(msg) {
  console.error('capture.js: ' + msg);
  process.exit(1);
}

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'heapsnap-chromium-'));
  const proc = spawn(chrome, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run', '--disable-extensions',
    '--user-data-dir=' + profile, '--remote-debugging-port=0', '--remote-allow-origins=*',
    'about:blank',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  const cleanup = async () => {
    proc.kill('SIGKILL');
    await exited;
    fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  };
  try {
    const port = await new Promise((resolve, reject) => {
      let err = '';
      proc.stderr.on('data', (d) => {
        err += d;
        const m = /DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(err);
        if (m) resolve(m[1]);
      });
      proc.on('exit', (code) => reject(new Error('chromium exited with ' + code + ':\n' + err)));
      setTimeout(() => reject(new Error('no DevTools port after 30 s:\n' + err)), 30000);
    });
    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    const target = targets.find((t) => t.type === 'page');
    if (!target) fail('no page target');
    const ws = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    let nextId = 1;
    const pending = new Map();
    const listeners = [];
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.id && pending.has(msg.id)) {
        const { resolve, reject } = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) reject(new Error(JSON.stringify(msg.error)));
        else resolve(msg.result);
      } else if (msg.method) {
        for (const l of listeners) l(msg);
      }
    };
    const send = (method, params = {}) => new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
    const evaluate = async (expression) => {
      const r = await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
      if (r.exceptionDetails) fail('page error: ' + JSON.stringify(r.exceptionDetails));
      return r.result.value;
    };
    await send('Page.enable');
    const loaded = new Promise((resolve) => listeners.push((m) => m.method === 'Page.loadEventFired' && resolve()));
    await send('Page.navigate', { url: page });
    await loaded;
    await send('HeapProfiler.enable');
    const snapshot = async (phase) => {
      await send('HeapProfiler.collectGarbage');
      await send('HeapProfiler.collectGarbage');
      const chunks = [];
      const onChunk = (m) => { if (m.method === 'HeapProfiler.addHeapSnapshotChunk') chunks.push(m.params.chunk); };
      listeners.push(onChunk);
      await send('HeapProfiler.takeHeapSnapshot', {
        reportProgress: false, captureNumericValue: false, exposeInternals: false,
      });
      listeners.splice(listeners.indexOf(onChunk), 1);
      const file = path.join(outDir, `detached-dom-${phase}.heapsnapshot`);
      fs.writeFileSync(file, chunks.join(''));
      console.log(`${phase}: ${file}`);
    };
    console.log('attached widgets after warm-up: ' + await evaluate('warmUp()'));
    await snapshot('baseline');
    console.log('cached widgets: ' + await evaluate(`step(${N})`));
    await snapshot('target');
    console.log('cached widgets: ' + await evaluate(`step(${N})`));
    await snapshot('final');
    const version = await send('Browser.getVersion').catch(() => null);
    if (version) console.log('browser: ' + version.product + ', V8 ' + version.jsVersion);
    ws.close();
  } finally {
    await cleanup();
  }
}

main().catch((e) => fail(e.stack || String(e)));
