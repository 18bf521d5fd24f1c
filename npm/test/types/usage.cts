// Type-checked by `tsc -p .` (npm run test:types): the CommonJS declarations.
import heapsnap = require('heapsnap');

async function main(): Promise<void> {
  const file: string = await heapsnap.snapshot('app.heapsnapshot.gz', { gzip: true, gc: true });
  await heapsnap.expectNoLeak(async (i: number) => i * 2, {
    iterations: 50,
    warmup: 5,
    minGrowth: 10,
    keepSnapshots: false,
    categories: ['listeners'],
  });
  try {
    await heapsnap.expectNoLeak(() => {});
  } catch (e) {
    const err = e as heapsnap.LeakError;
    const classes: string[] = err.findings.map((f) => f.class);
    const paths: string[] = err.findings.map((f) => f.path.text);
    console.log(file, classes, paths, heapsnap.binaryPath());
  }
}

// @ts-expect-error iterations is a number
heapsnap.expectNoLeak(() => {}, { iterations: '50' });
// @ts-expect-error the path is required
heapsnap.snapshot();

void main();
