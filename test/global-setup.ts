// Fails fast, with a clear message, when the real services the tests need are not up.
import pg from 'pg';
import { Redis } from 'ioredis';
import { adminDatabaseUrl, testRedisUrl } from './helpers/services.js';

export default async function setup(): Promise<void> {
  const client = new pg.Client({ connectionString: adminDatabaseUrl() });
  try {
    await client.connect();
    // Databases left behind by an interrupted earlier run: made more than an hour ago and with
    // nobody connected, so a test run going on at the same time keeps its own. Their age is
    // PostgreSQL's, from when it wrote the database's directory, by its own clock: runs under a
    // faked date (scripts/faked-date-suite.sh) share this server with runs on the real one, and
    // by either's clock the other's just-made databases would look a month old.
    const idle = `d.datname like 'dispatch_test_%'
          and not exists (select 1 from pg_stat_activity a where a.datname = d.datname)`;
    let stale: string[];
    try {
      const r = await client.query<{ datname: string }>(
        `select d.datname from pg_database d
          where ${idle}
            and (pg_stat_file('base/' || d.oid || '/PG_VERSION', true)).modification < now() - interval '1 hour'`,
      );
      stale = r.rows.map((row) => row.datname);
    } catch {
      // pg_stat_file is for superusers and pg_read_server_files: otherwise the time in the name.
      const r = await client.query<{ datname: string }>(`select d.datname from pg_database d where ${idle}`);
      const hourAgo = Date.now() - 3600_000;
      stale = r.rows.map((row) => row.datname).filter((n) => {
        const created = parseInt(/^dispatch_test_([0-9a-z]+)_/.exec(n)?.[1] ?? '', 36);
        return !Number.isFinite(created) || created <= hourAgo;
      });
    }
    for (const datname of stale) await client.query(`drop database if exists "${datname}"`).catch(() => undefined);
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
