// Fails fast, with a clear message, when the real services the tests need are not up.
import pg from 'pg';
import { Redis } from 'ioredis';
import { adminDatabaseUrl, testRedisUrl } from './helpers/services.js';

export default async function setup(): Promise<void> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl() });
  try {
    await client.connect();
    // Databases left behind by an interrupted earlier run: older than an hour (by the time in
    // their name) and with nobody connected, so a test run going on at the same time keeps its own.
    const stale = await client.query<{ datname: string }>(
      `select d.datname from pg_database d
        where d.datname like 'dispatch_test_%'
          and not exists (select 1 from pg_stat_activity a where a.datname = d.datname)`,
    );
    const hourAgo = Date.now() - 3600_000;
    for (const { datname } of stale.rows) {
      const created = parseInt(/^dispatch_test_([0-9a-z]+)_/.exec(datname)?.[1] ?? '', 36);
      if (Number.isFinite(created) && created > hourAgo) continue;
      await client.query(`drop database if exists "${datname}"`).catch(() => undefined);
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
