// The demo owns what it creates: it marks its database and refuses to drop one of the same name
// it did not create. Where PostgreSQL/Redis are not running it starts private throwaway instances.
import { existsSync } from 'node:fs';
import pg from 'pg';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_DATABASE_MARK, freshDatabase } from '../../src/demo/demo-env.js';
import { findBinary, privateInstances } from '../../src/devservices/local-services.js';
import { adminDatabaseUrl } from '../helpers/services.js';
import { testDatabaseName } from '../helpers/test-db.js';

const names = [testDatabaseName(), testDatabaseName()];
async function admin<T>(f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminDatabaseUrl() });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

describe('the demo database', () => {
  afterAll(async () => {
    await admin(async (c) => {
      for (const n of names) await c.query(`drop database if exists "${n}" with (force)`);
    });
  });

  it('is marked when the demo creates it, and recreated on the next run', async () => {
    await freshDatabase(adminDatabaseUrl(), names[0]);
    const mark = await admin((c) => c.query<{ d: string }>(`select shobj_description(oid, 'pg_database') d from pg_database where datname = $1`, [names[0]]));
    expect(mark.rows[0]?.d).toBe(DEMO_DATABASE_MARK);
    await expect(freshDatabase(adminDatabaseUrl(), names[0])).resolves.toMatch(new RegExp(`/${names[0]}$`));
  });

  it('refuses to drop a database of that name it did not create', async () => {
    await admin((c) => c.query(`create database "${names[1]}"`));
    await expect(freshDatabase(adminDatabaseUrl(), names[1])).rejects.toThrow(/exists that the demo did not create, so the demo will not drop it\. Run the demo on another database with DEMO_DATABASE/);
    const still = await admin((c) => c.query(`select 1 from pg_database where datname = $1`, [names[1]]));
    expect(still.rowCount).toBe(1);
  });
});

describe.runIf(findBinary('redis-server') && findBinary('initdb'))('private throwaway services', () => {
  it('starts PostgreSQL and Redis from the installed binaries and removes them', async () => {
    const started = await Promise.allSettled([privateInstances.startPrivatePostgres(), privateInstances.startPrivateRedis()]);
    const [p, r] = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      // The one that did come up is stopped before the failure is reported.
      for (const s of [p, r]) await s?.stop();
      throw failed.reason;
    }
    try {
      const c = new pg.Client({ connectionString: p.url });
      await c.connect();
      expect((await c.query<{ v: string }>('select 1 as v')).rows[0]?.v).toBe(1);
      await c.end();
      const redis = new Redis(r.url);
      expect(await redis.ping()).toBe('PONG');
      redis.disconnect();
    } finally {
      await p.stop();
      await r.stop();
    }
    const c = new pg.Client({ connectionString: p.url, connectionTimeoutMillis: 2000 });
    await expect(c.connect()).rejects.toThrow();
    await c.end().catch(() => undefined);
    expect(existsSync(p.dir)).toBe(false);
    expect(existsSync(r.dir)).toBe(false);
  }, 90_000);
});
