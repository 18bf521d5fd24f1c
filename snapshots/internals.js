'use strict';
// Fixture "internals": the same data as "shapes", written with
// { exposeInternals: true }, so there is no root -> global shortcut edge
// (DevTools then sees no user roots).
// Usage: node snapshots/internals.js [OUT.heapsnapshot]
const path = require('path');
const v8 = require('v8');
const { build } = require('./common/shapes-data.js');

const out = process.argv[2] || path.join(__dirname, 'internals.heapsnapshot');
build();
v8.writeHeapSnapshot(out, { exposeInternals: true });
