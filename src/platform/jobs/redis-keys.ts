// Everything a deployment keeps in Redis lives under its QUEUE_PREFIX (BullMQ queues, send-pacing
// windows); removing a prefix wipes one run's state (tests, benchmarks, the demo) and nothing else.
import { Redis } from 'ioredis';

/** Deletes every key under `prefix:` with SCAN (never KEYS, which blocks a shared server). */
export async function deleteKeysByPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
