'use strict';
// Fixture "hello": a trivial program, default snapshot options.
// Usage: node snapshots/hello.js [OUT.heapsnapshot]
const path = require('path');
const v8 = require('v8');

const out = process.argv[2] || path.join(__dirname, 'hello.heapsnapshot');
console.log('hello world');
v8.writeHeapSnapshot(out);
