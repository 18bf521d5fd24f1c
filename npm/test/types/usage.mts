// Type-checked by `tsc -p .` (npm run test:types): the ESM declarations, named and default.
import heapsnap, { expectNoLeak, snapshot, type ExpectNoLeakOptions, type LeakError } from 'heapsnap';

const options: ExpectNoLeakOptions = { iterations: 20, warmup: 2 };
await snapshot('a.heapsnapshot');
await heapsnap.snapshot('b.heapsnapshot');
await expectNoLeak(async () => {}, options).catch((e: LeakError) => e.findings[0]?.title);

// @ts-expect-error warmup is a number
await expectNoLeak(() => {}, { warmup: true });
