// The intake gate: a bounded number of callbacks at once, the rest wait in arrival order for a
// bounded time and are then refused at once, never run.
import { describe, expect, it } from 'vitest';
import { IntakeGate } from '../../src/platform/feishu/intake-gate.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('IntakeGate', () => {
  it('runs at most maxInFlight at once and admits waiters in arrival order as slots free', async () => {
    const gate = new IntakeGate({ maxInFlight: 2, maxWaitMs: 5000 });
    const release = [deferred(), deferred(), deferred(), deferred()];
    const order: number[] = [];
    let running = 0;
    let peak = 0;
    const runs = release.map((d, i) =>
      gate.run(async () => {
        order.push(i);
        running++;
        peak = Math.max(peak, running);
        await d.promise;
        running--;
        return `done ${i}`;
      }, () => `busy ${i}`),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual([0, 1]);
    expect(gate.stats()).toMatchObject({ inFlight: 2, waiting: 2 });
    release[1].resolve();
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual([0, 1, 2]);
    release[0].resolve();
    release[2].resolve();
    release[3].resolve();
    expect(await Promise.all(runs)).toEqual(['done 0', 'done 1', 'done 2', 'done 3']);
    expect(peak).toBe(2);
    expect(gate.stats()).toEqual({ inFlight: 0, waiting: 0, admitted: 4, refused: 0 });
  });

  it('refuses without running the work once the wait limit passes, and tells admitted work how long it waited', async () => {
    const gate = new IntakeGate({ maxInFlight: 1, maxWaitMs: 50 });
    const hold = deferred();
    const first = gate.run(async () => {
      await hold.promise;
      return 'first';
    }, () => 'busy');
    let ran = false;
    const t0 = performance.now();
    const refused = await gate.run(async () => {
      ran = true;
      return 'second';
    }, () => 'busy');
    expect(refused).toBe('busy');
    expect(ran).toBe(false);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
    expect(gate.stats()).toMatchObject({ inFlight: 1, waiting: 0, refused: 1 });

    const waited: number[] = [];
    const third = gate.run(async (w) => {
      waited.push(w);
      return 'third';
    }, () => 'busy');
    await new Promise((r) => setTimeout(r, 20));
    hold.resolve();
    expect(await first).toBe('first');
    expect(await third).toBe('third');
    expect(waited[0]).toBeGreaterThanOrEqual(15);
    // Admitted by the release, before its own 50 ms wait limit would have refused it.
    expect(third).toBeDefined();
    expect(gate.stats()).toEqual({ inFlight: 0, waiting: 0, admitted: 2, refused: 1 });
  });

  it('with no wait allowed refuses at once when full, and frees the slot when the work throws', async () => {
    const gate = new IntakeGate({ maxInFlight: 1, maxWaitMs: 0 });
    const hold = deferred();
    const first = gate.run(async () => {
      await hold.promise;
      throw new Error('boom');
    }, () => 'busy');
    expect(await gate.run(async () => 'x', () => 'busy')).toBe('busy');
    hold.resolve();
    await expect(first).rejects.toThrow('boom');
    expect(await gate.run(async () => 'x', () => 'busy')).toBe('x');
  });
});
