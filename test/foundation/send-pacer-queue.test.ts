// The pacer's queue windows (the per-app ones): waiting calls reserve their slots in order, one
// script call each, rather than asking again whenever a slot might have freed.
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisSendPacer, type RateWindow } from '../../src/platform/feishu/send-pacer.js';
import { testRedisUrl } from '../helpers/services.js';
import { uniqueQueuePrefix } from '../helpers/test-db.js';

describe('RedisSendPacer queue windows', () => {
  const redis = new Redis(testRedisUrl());
  const other = redis.duplicate();
  const prefix = uniqueQueuePrefix();
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    other.disconnect();
  });

  /** Counts the pacer's script calls on a real connection. */
  function counted(r: Redis): { calls: () => number } {
    let calls = 0;
    const target = r as Redis & { dispatchPaceAcquire: (...a: unknown[]) => Promise<unknown> };
    const original = target.dispatchPaceAcquire.bind(target);
    target.dispatchPaceAcquire = (...a: unknown[]) => {
      calls++;
      return original(...a);
    };
    return { calls: () => calls };
  }

  it('asks Redis once per call however many wait, and never puts more than the limit in any window', async () => {
    // Two instances sharing Redis, as two service replicas would; 120 calls against 50 per second.
    const a = new RedisSendPacer(redis, `${prefix}:one`);
    const b = new RedisSendPacer(other, `${prefix}:one`);
    const ca = counted(redis);
    const cb = counted(other);
    const windows: RateWindow[] = [{ key: 'app:s', limit: 50, windowMs: 1000, queue: true }];
    await Promise.all(Array.from({ length: 120 }, (_, i) => (i % 2 ? a : b).acquire(windows)));
    expect(ca.calls() + cb.calls()).toBe(120);
    // The reservations as recorded (Redis's clock): at most 50 in any second, spread evenly.
    // (Those older than a window when the last call asked are pruned: on a slow machine, a few.)
    const scores = (await redis.zrange(`${prefix}:one:app:s`, '0', '-1', 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number);
    expect(scores.length).toBeGreaterThan(50);
    for (let i = 0; i + 50 < scores.length; i++) expect(scores[i + 50] - scores[i]).toBeGreaterThanOrEqual(1000);
    for (let i = 0; i + 1 < scores.length; i++) expect(scores[i + 1] - scores[i]).toBeGreaterThanOrEqual(Math.floor(1015 / 50));
  });

  it('does not let a call held up by its receiver reserve the app window meanwhile', async () => {
    const conn = redis.duplicate();
    try {
      const p = new RedisSendPacer(conn, `${prefix}:two`);
      const c = counted(conn);
      const windows = (to: string): RateWindow[] => [
        { key: 'app:s', limit: 50, windowMs: 1000, queue: true },
        { key: `to:${to}`, limit: 1, windowMs: 1000 },
      ];
      await p.acquire(windows('busy'));
      const order: string[] = [];
      const busy = p.acquire(windows('busy')).then(() => order.push('busy'));
      // The busy receiver's call asks first (and is sent back to wait); then the free one goes ahead.
      for (let i = 0; c.calls() < 2 && i < 1000; i++) await new Promise((r) => setTimeout(r, 5));
      await p.acquire(windows('free')).then(() => order.push('free'));
      await busy;
      // Had busy's call reserved the app's slot while it waited for its receiver, free's would
      // have been the next one after it.
      expect(order).toEqual(['free', 'busy']);
    } finally {
      conn.disconnect();
    }
  });

  it('lets a receiver window take a burst up to its limit, each call admitted at its first ask', async () => {
    const conn = redis.duplicate();
    try {
      const p = new RedisSendPacer(conn, `${prefix}:three`);
      const c = counted(conn);
      const windows: RateWindow[] = [{ key: 'to:ou_burst', limit: 5, windowMs: 1000 }];
      await Promise.all(Array.from({ length: 5 }, () => p.acquire(windows)));
      // Spread 200 ms apart, four of them would have been sent back to wait and asked again.
      expect(c.calls()).toBe(5);
    } finally {
      conn.disconnect();
    }
  });
  it('reserves several calls to one receiver in one ask, as that many asks in a row would, and no more than its window holds', async () => {
    const conn = redis.duplicate();
    try {
      const p = new RedisSendPacer(conn, `${prefix}:four`);
      const c = counted(conn);
      const windows: RateWindow[] = [
        { key: 'app:s', limit: 50, windowMs: 1000, queue: true },
        { key: 'to:ou_five', limit: 3, windowMs: 1000 },
      ];
      const asked = Date.now();
      const slots = await p.reserve(windows, 5);
      expect(c.calls()).toBe(1);
      // The receiver's window holds three: the other two must ask again.
      expect(slots).toHaveLength(3);
      for (let i = 0; i + 1 < slots.length; i++) expect(slots[i + 1] - slots[i]).toBeGreaterThanOrEqual(Math.floor(1015 / 50));
      const app = (await redis.zrange(`${prefix}:four:app:s`, '0', '-1', 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number);
      const to = await redis.zcard(`${prefix}:four:to:ou_five`);
      expect(app).toHaveLength(3);
      expect(to).toBe(3);
      // The receiver is full for a second (and the margin) after the first; the next call waits for that.
      const [next] = await p.reserve(windows, 1);
      expect(Date.now() + next - asked).toBeGreaterThanOrEqual(1000);
    } finally {
      conn.disconnect();
    }
  });
});
