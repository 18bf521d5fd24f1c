'use strict';
// Fixture "hello" for every Node version: a trivial program, one snapshot.
// Usage: node --expose-gc hello.js OUT.heapsnapshot
const { takeSnapshot } = require('./take.js');

console.log('hello world');
takeSnapshot(process.argv[2]);
