'use strict';
// Fixture "numeric": objects with smi and heap-number fields plus an active
// setTimeout and setInterval, written with { exposeNumericValues: true }
// (smi fields appear as "smi number" nodes, heap numbers as named edges, both
// with an internal "value" edge to the decimal string).
// Usage: node snapshots/numeric.js [OUT.heapsnapshot]
const path = require('path');
const v8 = require('v8');

const out = process.argv[2] || path.join(__dirname, 'numeric.heapsnapshot');

class Measurement {
  constructor(id, value, scale) {
    this.id = id;          // smi
    this.value = value;    // heap number (double)
    this.scale = scale;    // smi or double
    this.negative = -id;   // negative smi
  }
}

const measurements = [];
for (let i = 0; i < 20; i++) {
  measurements.push(new Measurement(i, i + 0.5, i % 2 ? 1000 : 2.5));
}
globalThis.numericFixture = {
  measurements,
  doubles: [0.1, 0.2, 0.30000000000000004, 1e21, -0, Number.MAX_SAFE_INTEGER],
  smis: [0, 1, -1, 42, 1073741823],
  big: 2 ** 40,
  nan: NaN,
  inf: Infinity,
};

const timeout = setTimeout(() => {}, 60000);
const interval = setInterval(() => {}, 30000);
globalThis.numericTimers = { timeout, interval };

v8.writeHeapSnapshot(out, { exposeNumericValues: true });
clearTimeout(timeout);
clearInterval(interval);
