// Fails fast, with a clear message, when the real services the tests need are not up.
import pg from 'pg';
import { Redis } from 'ioredis';
import { adminDatabaseUrl, testRedisUrl } from './helpers/services.js';

export default async function setup(): Promise<void> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl() });
  try {
    await client.connect();
    // Databases left behind by an interrupted earlier run.
    const stale = await client.query<{ datname: string }>(
      "select datname from pg_database where datname like 'dispatch_test_%'",
    );
    for (const row of stale.rows) {
      await client.query(`drop database if exists "${row.datname}" with (force)`);
    }
  } catch (e) {
    throw new Error(`PostgreSQL is not reachable at ${adminDatabaseUrl()}: ${(e as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    throw new Error(`Redis is not reachable at ${testRedisUrl()}: ${(e as Error).message}`);
  } finally {
    redis.disconnect();
  }
}
