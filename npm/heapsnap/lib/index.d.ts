// Type declarations for the heapsnap package (CommonJS entry; lib/index.d.mts is the same API
// for ESM).

/** Options of {@link snapshot}. */
export interface SnapshotOptions {
  /** Gzip the file (default: when the path ends in `.gz`). */
  gzip?: boolean;
  /** Force a full garbage collection first (default true). */
  gc?: boolean;
  /** Record the values of numbers (`captureNumericValue`; default false). */
  captureNumericValue?: boolean;
}

/**
 * Writes a heap snapshot of the calling thread's V8 heap (the main thread or a worker) to
 * `path`, gzipped when it ends in `.gz`, through an inspector session that stays open for the
 * thread's lifetime, so the object ids of all snapshots taken here are comparable. The file
 * appears only when complete. Resolves to the absolute path written.
 */
export function snapshot(path: string, options?: SnapshotOptions): Promise<string>;

/** Options of {@link expectNoLeak}. */
export interface ExpectNoLeakOptions {
  /** Iterations between the baseline and target snapshots, and again before final (default 50). */
  iterations?: number;
  /** Iterations run before the baseline, to fill caches and compile code (default 5). */
  warmup?: number;
  /**
   * A finding counts only when it gains at least this many objects between consecutive
   * snapshots (default: half the iterations, at most 10).
   */
  minGrowth?: number;
  /**
   * Keep the three snapshots and print their paths on stderr (default: the environment
   * variable HEAPSNAP_KEEP_SNAPSHOTS=1).
   */
  keepSnapshots?: boolean;
  /** Directory for the snapshots (default: the OS temporary directory). */
  tmpdir?: string;
  /** Only these detectors, as `heapsnap leaks --category` names them (e.g. `listeners`). */
  categories?: string[];
  /** The heapsnap executable (default: HEAPSNAP_BIN, else the platform package's binary). */
  bin?: string;
}

/** A retaining path of a finding (see "Paths" in docs/json.md). */
export interface RetainingPath {
  /** `server.js: sessions`, `global.cache[3]`: what holds the objects. */
  text: string;
  signature: string;
  /** Where the path starts. */
  origin: 'global' | 'module-scope' | 'script-scope' | 'handle' | 'gc-root';
  /** For a module or script scope: its script's path or URL. */
  script: string | null;
  /** When only runtime internals hold the objects: what does, in words. */
  note: string | null;
  steps: unknown[];
}

/** A finding of `heapsnap leaks --json` (schema `heapsnap.leaks/1`; see docs/json.md). */
export interface LeakFinding {
  rank: number;
  category: string;
  class: string;
  title: string;
  count: number;
  self_size: number;
  retained_size: number;
  growth: number[] | null;
  survivors: number | null;
  growing: boolean;
  path: RetainingPath;
  holders: RetainingPath[];
  retains: { class: string; count: number; size: number }[];
  ids: number[];
  [key: string]: unknown;
}

/** The Error {@link expectNoLeak} rejects with when something grows with the iterations. */
export interface LeakError extends Error {
  name: 'LeakError';
  /** The findings that grew, most important first. */
  findings: LeakFinding[];
  /** The whole `heapsnap leaks --json` report. */
  report: Record<string, unknown>;
}

/**
 * Runs `iteration` `warmup` times, snapshots (baseline), runs it `iterations` times, snapshots
 * (target), runs it `iterations` times again, snapshots (final), each after a full GC, and
 * runs `heapsnap leaks` on the three. Rejects with a {@link LeakError} whose message lists each
 * finding that grew with the iterations (class, count, retaining path) as `heapsnap leaks`
 * prints it; resolves otherwise. The snapshots are deleted unless `keepSnapshots` is set.
 */
export function expectNoLeak(
  iteration: (i: number) => unknown | Promise<unknown>,
  options?: ExpectNoLeakOptions,
): Promise<void>;

/** Path of the heapsnap executable used (HEAPSNAP_BIN, else the platform package's binary). */
export function binaryPath(): string;
