'use strict';
// Fixture "shapes": class instances, arrays of objects, Map/Set, closures sharing
// a context, WeakMap pairs, non-ASCII / lone-surrogate / long strings.
// Default snapshot options.
// Usage: node snapshots/shapes.js [OUT.heapsnapshot]
const path = require('path');
const v8 = require('v8');
const { build } = require('./common/shapes-data.js');

const out = process.argv[2] || path.join(__dirname, 'shapes.heapsnapshot');
build();
v8.writeHeapSnapshot(out);
