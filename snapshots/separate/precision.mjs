#!/usr/bin/env node
// Runs `heapsnap leaks --json` on every series of manifest.json (snapshots taken by separate
// captures: ids do not follow objects) and prints, per series, where the real leaks rank, how
// many findings are false, and whether each real leak's growth is exact; then the totals.
// Usage (from the repository root): node snapshots/separate/precision.mjs [HEAPSNAP]
//   HEAPSNAP defaults to target/release/heapsnap. Exit status 1 when a leak is missed, ranked
//   after a false finding, has inexact growth, or a false finding is in the top 3.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const heapsnap = process.argv[2] || join(here, '../../target/release/heapsnap');
const manifest = JSON.parse(readFileSync(join(here, 'manifest.json'), 'utf8'));

const scenarioOf = (name) => Object.entries(manifest.scenarios).find(([, s]) => name in s.snapshots);
let bad = 0;
const totals = { series: 0, leaks: 0, found: 0, exact: 0, findings: 0, falseTop3: 0, falseAll: 0 };
console.log('| series | growth basis | real leaks: rank (growth) | false findings: top 3 / all |');
console.log('|---|---|---|---|');
for (const series of manifest.series) {
  const [, scenario] = scenarioOf(series[0]);
  const files = series.map((s) => join(here, `${s}.heapsnapshot.gz`));
  const doc = JSON.parse(execFileSync(heapsnap, ['leaks', '--json', ...files], { maxBuffer: 1 << 28 }));
  const want = series.map((s) => scenario.snapshots[s]);
  const findings = doc.findings;
  const isLeak = (f, l) => f.class === l.class && (f.path?.text || '').includes(l.path);
  const ranks = [];
  for (const l of scenario.leaks) {
    const k = findings.findIndex((f) => isLeak(f, l));
    totals.leaks++;
    if (k < 0) {
      ranks.push(`${l.class} missed`);
      bad++;
      continue;
    }
    totals.found++;
    const exact = JSON.stringify(findings[k].growth) === JSON.stringify(want);
    if (exact) totals.exact++;
    else bad++;
    ranks.push(`#${k + 1} ${findings[k].category} ${l.class} (${(findings[k].growth || []).join('→')}${exact ? '' : ', want ' + want.join('→')})`);
  }
  const falseRanks = findings.map((f, k) => (scenario.leaks.some((l) => isLeak(f, l)) ? -1 : k)).filter((k) => k >= 0);
  const falseTop3 = falseRanks.filter((k) => k < 3).length;
  const firstFalse = falseRanks.length ? falseRanks[0] : Infinity;
  const lastLeak = Math.max(-1, ...scenario.leaks.map((l) => findings.findIndex((f) => isLeak(f, l))));
  if (falseTop3 > 0 || lastLeak > firstFalse) bad++;
  totals.series++;
  totals.findings += findings.length;
  totals.falseTop3 += falseTop3;
  totals.falseAll += falseRanks.length;
  console.log(`| ${series.join(' → ')} | ${doc.growth_basis} | ${ranks.join(', ') || '(none: a control)'} | ${falseTop3} / ${falseRanks.length} |`);
}
console.log();
console.log(`${totals.series} series: ${totals.found} of ${totals.leaks} real leaks found, ${totals.exact} with exact growth; ` +
  `${totals.findings} findings, ${totals.falseAll} false (${totals.falseTop3} in a top 3).`);
process.exit(bad ? 1 : 0);
