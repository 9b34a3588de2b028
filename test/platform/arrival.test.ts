// The callback budget is counted from a delivery's arrival, carried through its async work.
import { describe, expect, it } from 'vitest';
import { sinceArrivalMs, withArrival } from '../../src/platform/feishu/arrival.js';

describe('arrival clock', () => {
  it('measures from the delivery across awaits, and is absent outside one', async () => {
    expect(sinceArrivalMs()).toBeUndefined();
    const elapsed = await withArrival(async () => {
      await new Promise((r) => setTimeout(r, 40));
      return sinceArrivalMs();
    });
    expect(elapsed).toBeGreaterThanOrEqual(39);
    expect(sinceArrivalMs()).toBeUndefined();
  });
});
