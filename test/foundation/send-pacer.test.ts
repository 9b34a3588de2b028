import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisSendPacer } from '../../src/platform/feishu/send-pacer.js';
import { testRedisUrl } from '../helpers/services.js';
import { uniqueQueuePrefix } from '../helpers/test-db.js';

describe('RedisSendPacer', () => {
  const redis = new Redis(testRedisUrl());
  const other = redis.duplicate();
  const prefix = uniqueQueuePrefix();
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    other.disconnect();
  });

  it('never admits more than the limit within any window, across two pacers sharing Redis', async () => {
    // Two instances, as two service replicas would be, pacing one receiver at 5 per second.
    // A margin of 100 ms over the window: admissions are timed here on this process's clock, a
    // reply's latency later than Redis's, and a burst's replies come back one after another.
    const a = new RedisSendPacer(redis, prefix, 100);
    const b = new RedisSendPacer(other, prefix, 100);
    const admitted: number[] = [];
    const window = [{ key: 'to:ou_x', limit: 5, windowMs: 1000 }];
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).acquire(window).then(() => admitted.push(Date.now()))),
    );
    admitted.sort((x, y) => x - y);
    expect(admitted).toHaveLength(12);
    for (let i = 0; i + 5 < admitted.length; i++) {
      // The sixth admission after any admission comes a full window later.
      expect(admitted[i + 5] - admitted[i]).toBeGreaterThanOrEqual(1000);
    }
  });

  it('checks every window of a call: one busy receiver does not hold up another', async () => {
    const p = new RedisSendPacer(redis, prefix);
    const windows = (to: string) => [
      { key: 'app', limit: 50, windowMs: 1000 },
      { key: `to:${to}`, limit: 1, windowMs: 1000 },
    ];
    await p.acquire(windows('busy'));
    const order: string[] = [];
    await Promise.all([
      p.acquire(windows('busy')).then(() => order.push('busy')),
      p.acquire(windows('free')).then(() => order.push('free')),
    ]);
    expect(order).toEqual(['free', 'busy']);
  });
});
