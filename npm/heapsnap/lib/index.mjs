// ESM entry: the same module instance as `require('heapsnap')`, so both share one inspector
// session (and so comparable object ids) in a process that loads heapsnap both ways.
import api from './index.js';

export const { snapshot, expectNoLeak, binaryPath } = api;
export default api;
