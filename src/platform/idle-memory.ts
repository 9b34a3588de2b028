// Gives memory back to the operating system once the process has gone quiet after a busy spell.
//
// Under load V8 grows its young generation to its largest size (two 16 MB semi-spaces) and its old
// space to what the load's garbage needed, then keeps both for as long as nothing allocates: an
// idle process does no GC, so nothing shrinks them (measured: 225 MB RSS at the end of the
// callback load and still 225 MB 30 s later, README "RSS"). Node offers no idle notification, and
// V8's memory reducer did not run in that time. What gives the pages back is one full GC that
// evacuates every fragmented old-space page; V8 also shrinks the young generation in it, but only
// when the allocation rate it last sampled is low, and it samples at each GC: the interval before
// that GC must be a quiet one, not the tail of the load. So, once the heap has grown since the
// last release (or start-up):
//   - the first quiet window (event loop almost idle, no GC in it) runs a scavenge, which costs a
//     few ms and starts V8's quiet interval;
//   - the next quiet window runs the compacting full GC, once; the next release waits for the heap
//     to grow again. Any busy window in between starts over.
// The full GC pauses the loop (tens to hundreds of ms, logged), which is why it runs only when
// nothing is being worked on. The window should be 5 s or more: V8 judges its allocation rate over
// its last 5 s of samples.
import v8 from 'node:v8';
import vm from 'node:vm';
import { performance, PerformanceObserver, type EventLoopUtilization } from 'node:perf_hooks';
import type { Logger } from '../logger.js';

export type IdleMemoryOptions = {
  /** The window: the loop must have been idle, with no GC, for two whole windows before memory is released (5 s or more, see above). */
  windowMs: number;
  /** Share of the window the loop may have been busy and still count as idle. */
  idleBelow?: number;
  /** Committed heap growth since the last release (or start) worth a compacting GC. */
  minGrowthBytes?: number;
  logger?: Pick<Logger, 'info' | 'warn'>;
};

export type MemoryRelease = { ms: number; heapBefore: number; heapAfter: number; newSpaceBefore: number; newSpaceAfter: number };

export type IdleMemory = {
  /** Ends the window and runs one check now (the timer does this every window); returns the release it made, if any. */
  check: () => MemoryRelease | undefined;
  stop: () => void;
};

const DEFAULT_IDLE_BELOW = 0.05;
const DEFAULT_MIN_GROWTH = 16 * 1024 * 1024;

export function startIdleMemory(options: IdleMemoryOptions): IdleMemory {
  const idleBelow = options.idleBelow ?? DEFAULT_IDLE_BELOW;
  const minGrowth = options.minGrowthBytes ?? DEFAULT_MIN_GROWTH;
  const collect = gcFunction();
  // Start-up (migrations, loading modules) is a busy spell too: its garbage is given back once it is quiet.
  let floor = 0;
  let since: EventLoopUtilization = performance.eventLoopUtilization();
  let windowStart = performance.now();
  let lastGcEnd = 0;
  let primed = false;
  const gcs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) lastGcEnd = Math.max(lastGcEnd, e.startTime + e.duration);
  });
  gcs.observe({ entryTypes: ['gc'] });

  const check = (): MemoryRelease | undefined => {
    const window = performance.eventLoopUtilization(since);
    const quiet = window.utilization < idleBelow && lastGcEnd < windowStart;
    since = performance.eventLoopUtilization();
    windowStart = performance.now();
    if (!quiet) {
      primed = false;
      return undefined;
    }
    const before = committedHeap();
    // The floor follows the heap down as well, so a release is weighed against the smallest heap
    // seen since the last one, never against a peak that V8 already gave back by itself.
    if (before < floor) floor = before;
    if (before < floor + minGrowth) {
      primed = false;
      return undefined;
    }
    if (!primed) {
      collect({ type: 'minor' });
      primed = true;
      since = performance.eventLoopUtilization();
      windowStart = performance.now();
      return undefined;
    }
    primed = false;
    const newSpaceBefore = newSpace();
    const t0 = performance.now();
    compacting(collect);
    const release = { ms: Math.round(performance.now() - t0), heapBefore: before, heapAfter: committedHeap(), newSpaceBefore, newSpaceAfter: newSpace() };
    floor = release.heapAfter;
    // The GC's own time is not load: the next window starts after it.
    since = performance.eventLoopUtilization();
    windowStart = performance.now();
    options.logger?.info({ ...release, heapBefore: mb(release.heapBefore), heapAfter: mb(release.heapAfter), newSpaceBefore: mb(newSpaceBefore), newSpaceAfter: mb(release.newSpaceAfter) }, 'idle: heap compacted and returned to the system');
    return release;
  };

  const timer = setInterval(() => {
    try {
      check();
    } catch (e) {
      options.logger?.warn({ err: (e as Error).message }, 'idle memory release failed');
    }
  }, options.windowMs);
  // Never what keeps the process alive.
  timer.unref();
  return {
    check,
    stop: () => {
      clearInterval(timer);
      gcs.disconnect();
    },
  };
}

/** The committed size of V8's heap (what it holds from the system), bytes. */
export function committedHeap(): number {
  return v8.getHeapStatistics().total_physical_size;
}

function newSpace(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

const mb = (n: number) => Math.round(n / 1048576);

/**
 * V8's gc() without starting the process with --expose-gc: the flag only decides whether a new
 * context gets the function, so it is set for one fresh context and cleared again (nothing else
 * in the process sees a global gc). A process started with --expose-gc already has it.
 */
type Gc = (options?: { type: 'minor' | 'major' }) => void;

function gcFunction(): Gc {
  const global = (globalThis as { gc?: unknown }).gc;
  if (typeof global === 'function') return global as Gc;
  v8.setFlagsFromString('--expose-gc');
  try {
    return vm.runInNewContext('gc') as Gc;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
}

/**
 * A full GC that evacuates every fragmented old-space page (a plain full GC compacts only the
 * emptiest few, so most freed old space stays committed), then frees the emptied pages.
 */
function compacting(collect: Gc): void {
  v8.setFlagsFromString('--compact-on-every-full-gc');
  try {
    collect();
  } finally {
    v8.setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

/**
 * Caps how far V8 lets the old generation grow past what the last full GC kept, as a percentage
 * (V8's own factor is dynamic, up to 4× on a fast collector). Under the callback load the service
 * stores hundreds of reports a second; with V8's factor its old space reached 126 MB around a live
 * heap of under 60 MB (RSS 273-275 MB at the end of the load bench), with 25% it stayed near the
 * live heap (173 MB) for about the same GC time: more, smaller major GCs, each incremental.
 * The flag is read at every GC, so setting it at start-up is enough. 0 leaves V8's own factor.
 */
export function limitHeapGrowth(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
