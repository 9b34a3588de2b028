// A fresh database per test file, migrated, and dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { createDb, type Db } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { deleteKeysByPrefix } from '../../src/platform/jobs/redis-keys.js';
import { adminDatabaseUrl, testRedisUrl } from './services.js';

export type TestDatabase = { db: Db; url: string; name: string; drop: () => Promise<void> };

/**
 * `dispatch_test_<created, base36 ms>_<random>`: the creation time in the name lets a later run's
 * clean-up tell a leftover from a database another run has only just created, where it cannot
 * read PostgreSQL's own record of that time (test/global-setup.ts).
 */
export function testDatabaseName(): string {
  return `dispatch_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export async function createTestDatabase(opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = testDatabaseName();
  const admin = new pg.Client({ connectionString: adminDatabaseUrl() });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const url = new URL(adminDatabaseUrl());
  url.pathname = `/${name}`;
  const db = createDb(url.toString(), { max: 5 });
  if (opts.migrate !== false) await migrateToLatest(db);
  return {
    db,
    url: url.toString(),
    name,
    drop: async () => {
      await db.destroy();
      const c = new pg.Client({ connectionString: adminDatabaseUrl() });
      await c.connect();
      await c.query(`drop database if exists "${name}" with (force)`);
      await c.end();
    },
  };
}

/**
 * This test file's own database: created before its tests and dropped after them. Read `db` and
 * `url` inside hooks and tests, not at the file's top level, where they do not exist yet.
 */
export function databaseForThisFile(): { readonly db: Db; readonly url: string } {
  let t: TestDatabase | undefined;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.drop();
  });
  const current = (): TestDatabase => {
    if (!t) throw new Error('the test database is created in beforeAll; read it inside a hook or a test');
    return t;
  };
  return {
    get db() { return current().db; },
    get url() { return current().url; },
  };
}

/** A unique prefix so each test file's BullMQ queues never meet another's. */
export function uniqueQueuePrefix(): string {
  return `test-${randomBytes(5).toString('hex')}`;
}

/** Removes a test's BullMQ and pacing keys from the shared Redis. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  await deleteKeysByPrefix(testRedisUrl(), prefix);
}
