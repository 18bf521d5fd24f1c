// Type declarations for the heapsnap package's ESM entry: the same API as the CommonJS one.
import * as heapsnap from './index.js';

export * from './index.js';
export default heapsnap;
