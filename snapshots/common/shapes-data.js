'use strict';
// Shared, fixed (deterministic) data set used by shapes.js and internals.js.
// Everything is reachable from globalThis.fixture so it survives until the
// snapshot is written.  Keep it small: the gzipped snapshot must stay < 1 MB.

class Point {
  constructor(x, y) {
    this.x = x;
    this.y = y;
  }
}

class Point3D extends Point {
  constructor(x, y, z) {
    super(x, y);
    this.z = z;
  }
}

class Person {
  constructor(name, age, tags) {
    this.name = name;
    this.age = age;
    this.tags = tags;
  }
}

// Closures sharing one context: all three functions keep `count` AND `big`
// alive (the classic shared-context retention).
function makeCounter(label) {
  let count = 0;
  const big = new Array(100).fill(label);
  return {
    inc: () => ++count,
    get: function getCount() { return count; },
    size: function bigSize() { return big.length; },
  };
}

function build() {
  const points = [];
  for (let i = 0; i < 50; i++) {
    points.push(i % 2 ? new Point(i, i * 2) : new Point3D(i, i * 2, i * 3));
  }

  const people = [
    new Person('Ada', 36, ['math', 'engines']),
    new Person('Grace', 45, ['compilers']),
    new Person('Linus', 21, ['kernels', 'git']),
  ];

  // An array of plain objects (all the same shape).
  const records = [];
  for (let i = 0; i < 40; i++) {
    records.push({ id: i, label: 'record-' + i, point: points[i] });
  }

  const byName = new Map();
  for (const p of people) byName.set(p.name, p);
  byName.set('points', points);

  const tagSet = new Set(['alpha', 'beta', 'gamma', 'delta']);

  const counterA = makeCounter('A');
  const counterB = makeCounter('B');
  counterA.inc();
  counterA.inc();
  counterB.inc();

  // WeakMap with a few pairs; the keys are kept alive by `weakKeys`, so the
  // ephemeron edges ("part of key ... -> value ... pair in WeakMap") are emitted.
  const weakKeys = [{ key: 1 }, { key: 2 }, { key: 3 }];
  const weak = new WeakMap();
  weakKeys.forEach((k, i) => weak.set(k, { weakValue: i, owner: people[i] }));

  // Strings that exercise the escaping paths of the serializer.
  const nonAscii = 'caf\u00e9 \u4e2d\u6587 \u{1F600} end';   // café 中文 😀 end
  const loneSurrogate = 'lone\uD83D surrogate';             // unpaired high surrogate
  // V8 (Node 20) writes a lone surrogate held in a JS string as "???" (it
  // goes through UTF-8 first) and cuts astral code points to their low 16
  // bits, so U+1D83D is written as the escape \uD83D (a lone surrogate in the
  // JSON text) and U+1D83D U+1DE00 as \uD83D\uDE00 (which a JSON parser
  // reads as U+1F600). These exercise the lone-surrogate escape paths.
  const astralLoneHigh = 'astral-high \u{1D83D} end';        // -> "\uD83D"
  const astralLoneLow = 'astral-low \u{1DE00} end';          // -> "\uDE00"
  const astralFakePair = 'astral-pair \u{1D83D}\u{1DE00} end'; // -> "\uD83D\uDE00"
  const quoted = 'quote " backslash \\ tab \t newline \n ctrl \u0001';
  const longString = 'abcdefghij'.repeat(300);              // 3000 chars (> 1024 name limit)
  const consString = longString + ' / ' + nonAscii;         // concatenated string
  const slicedString = longString.slice(7, 1507);           // sliced string

  const misc = {
    regexp: /heap(snap)?/gi,
    symbol: Symbol('fixture-symbol'),
    bigint: 12345678901234567890n,
    typed: new Uint8Array(64),
    bound: makeCounter.bind(null, 'bound'),
    double: 3.25,
  };

  globalThis.fixture = {
    points, people, records, byName, tagSet, counterA, counterB,
    weakKeys, weak, nonAscii, loneSurrogate, astralLoneHigh, astralLoneLow,
    astralFakePair, quoted, longString, consString,
    slicedString, misc,
  };
  // Also directly on the global, so they hang off the global object.
  globalThis.nonAsciiString = nonAscii;
  globalThis.loneSurrogateString = loneSurrogate;
  globalThis.loneSurrogate = '\uD83D';
  return globalThis.fixture;
}

module.exports = { build, Point, Point3D, Person, makeCounter };
