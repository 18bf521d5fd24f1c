import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['vitest/**/*.test.{js,mjs,ts}', 'examples/vitest.test.mjs'],
    // Worker threads rather than child processes: expectNoLeak runs in a worker's isolate here.
    pool: 'threads',
    testTimeout: 120_000,
  },
});
