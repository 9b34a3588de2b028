// Fails fast, with a clear message, when the real services the tests need are not up.
import pg from 'pg';
import { Redis } from 'ioredis';
import { adminDatabaseUrl, testRedisUrl } from './helpers/services.js';

export default async function setup(): Promise<void> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl() });
  try {
    await client.connect();
    // Databases left behind by an interrupted earlier run: only those nobody is connected to,
    // so a second test run going on at the same time keeps its own.
    const stale = await client.query<{ datname: string }>(
      `select d.datname from pg_database d
        where d.datname like 'dispatch_test_%'
          and not exists (select 1 from pg_stat_activity a where a.datname = d.datname)`,
    );
    for (const row of stale.rows) {
      await client.query(`drop database if exists "${row.datname}"`).catch(() => undefined);
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
