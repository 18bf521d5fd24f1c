'use strict';
// Request timings in a module-level array. An interval is meant to flush them but only ever
// drops them when there are far too many: the array grows with every request.
const samples = [];

class Sample {
  constructor(route, ms) {
    this.route = route;
    this.ms = ms;
  }
}

setInterval(function flushSamples() {
  if (samples.length > 1e6) samples.length = 0;
}, 60000);

function record(route, ms) {
  samples.push(new Sample(route, ms));
}

module.exports = { record };
