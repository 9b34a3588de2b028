// The Redis coordination helpers against a real Redis, under a prefix of their own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { addToExpiringSet, claimMarker, prefixedKey, releaseMarker, removeFromSet, setIds } from '../../src/platform/redis-state.js';
import { deleteRedisKeys, uniqueQueuePrefix } from '../helpers/test-db.js';
import { testRedisUrl } from '../helpers/services.js';

describe('redis state', () => {
  const prefix = uniqueQueuePrefix();
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(testRedisUrl());
  });
  afterAll(async () => {
    redis.disconnect();
    await deleteRedisKeys(prefix);
  });

  it('builds keys under the prefix', () => {
    expect(prefixedKey('p', 'cycle', 7, 'unmatched-owners')).toBe('p:cycle:7:unmatched-owners');
  });

  it('lets one caller claim a marker until it is released, and expires it', async () => {
    const key = prefixedKey(prefix, 'marker');
    const claims = await Promise.all([1, 2, 3].map(() => claimMarker(redis, key, 60)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await redis.ttl(key)).toBeGreaterThan(50);
    await releaseMarker(redis, key);
    expect(await claimMarker(redis, key, 60)).toBe(true);
  });

  it('keeps integer ids in an expiring set and removes some', async () => {
    const key = prefixedKey(prefix, 'set');
    expect(await setIds(redis, key)).toEqual([]);
    await addToExpiringSet(redis, key, 3, 100);
    await addToExpiringSet(redis, key, 5, 100);
    await redis.sadd(key, 'not-an-id');
    expect((await setIds(redis, key)).sort()).toEqual([3, 5]);
    expect(await redis.ttl(key)).toBeGreaterThan(90);
    await removeFromSet(redis, key, [3]);
    await removeFromSet(redis, key, []);
    expect(await setIds(redis, key)).toEqual([5]);
  });
});
