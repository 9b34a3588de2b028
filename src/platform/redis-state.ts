// The small coordination state features keep in Redis: once-only markers and expiring id sets.
// Features name what they keep (their keys) and call these; only the platform speaks Redis
// commands. Every key lives under the deployment's QUEUE_PREFIX, so deleteKeysByPrefix
// (jobs/redis-keys.ts) wipes it with the rest of a run's state.
import type { Redis } from 'ioredis';

/** A key under the deployment's prefix: `prefix:part:part…`. */
export function prefixedKey(prefix: string, ...parts: (string | number)[]): string {
  return [prefix, ...parts].join(':');
}

/**
 * Claims a once-only marker: true for the one caller that set it, false while it is held (until
 * `ttlSeconds` pass or it is released). SET NX EX is atomic, so two instances cannot both win.
 */
export async function claimMarker(redis: Redis, key: string, ttlSeconds: number): Promise<boolean> {
  return (await redis.set(key, '1', 'EX', ttlSeconds, 'NX')) === 'OK';
}

/** Gives a marker back, so the next claim succeeds (e.g. what it guarded failed). */
export async function releaseMarker(redis: Redis, key: string): Promise<void> {
  await redis.del(key);
}

/** Adds an id to a set whose lifetime restarts at each addition. */
export async function addToExpiringSet(redis: Redis, key: string, id: number, ttlSeconds: number): Promise<void> {
  await redis.multi().sadd(key, String(id)).expire(key, ttlSeconds).exec();
}

/** The integer ids in a set (anything else in it is ignored); empty when the key is gone. */
export async function setIds(redis: Redis, key: string): Promise<number[]> {
  return (await redis.smembers(key)).map(Number).filter(Number.isInteger);
}

export async function removeFromSet(redis: Redis, key: string, ids: readonly number[]): Promise<void> {
  if (ids.length > 0) await redis.srem(key, ...ids.map(String));
}
