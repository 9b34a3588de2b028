// After a busy spell the idle-memory release gives the heap's emptied pages back, and only when
// the loop is quiet: never while it is busy, and not twice for the same growth.
import { afterEach, describe, expect, it } from 'vitest';
import { committedHeap, startIdleMemory, type IdleMemory, type MemoryRelease } from '../../src/platform/idle-memory.js';

const MB = 1024 * 1024;

let idle: IdleMemory | undefined;
afterEach(() => idle?.stop());

/** Old-space garbage that a plain GC cannot give back: every page keeps a few live objects. */
function fragmentedHeap(): { keep: unknown[] } {
  const all: { id: number; text: string; parts: number[] }[] = [];
  for (let i = 0; i < 400_000; i++) all.push({ id: i, text: `item ${i} `.repeat(4), parts: [i, i + 1, i + 2] });
  // One in twenty survives, spread over every page the rest sat on.
  return { keep: all.filter((_, i) => i % 20 === 0) };
}

/** Checks until a quiet window releases memory, each window a short idle wait (the loop does nothing). */
async function releaseWhenQuiet(m: IdleMemory, timeoutMs = 20_000): Promise<MemoryRelease> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    const r = m.check();
    if (r) return r;
  }
  throw new Error('no release within the time allowed');
}

describe('idle memory release', () => {
  it('compacts the heap once the loop is quiet, and gives the emptied pages back', async () => {
    // The timer never fires here; the test drives the checks.
    idle = startIdleMemory({ windowMs: 3_600_000, minGrowthBytes: 16 * MB });
    const survivors = fragmentedHeap();
    const release = await releaseWhenQuiet(idle);
    expect(release.heapBefore - release.heapAfter).toBeGreaterThan(16 * MB);
    expect(committedHeap()).toBeLessThan(release.heapBefore - 16 * MB);
    expect(survivors.keep.length).toBe(20_000);

    // Nothing has grown since: quiet windows do not compact again.
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      expect(idle.check()).toBeUndefined();
    }
  });

  it('does nothing while the loop is busy, however much the heap has grown', () => {
    idle = startIdleMemory({ windowMs: 3_600_000, minGrowthBytes: 16 * MB });
    const survivors = fragmentedHeap();
    expect(committedHeap()).toBeGreaterThan(16 * MB);
    // Every window below is almost all work: a synchronous spin between two checks.
    for (let i = 0; i < 3; i++) {
      const until = performance.now() + 60;
      while (performance.now() < until);
      expect(idle.check()).toBeUndefined();
    }
    expect(survivors.keep.length).toBe(20_000);
  });
});
