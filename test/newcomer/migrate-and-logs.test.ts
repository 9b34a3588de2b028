// `migrate` creates a missing database and says truly what it did; `--down` asks first and refuses
// without a terminal unless given --yes. PostgreSQL being away is said in words a person can act on.
// Logs are readable lines when asked for (or on a terminal outside production).
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runMigrate } from '../../src/cli/migrate.command.js';
import type { CliIo } from '../../src/cli/command.js';
import { describeDatabaseError, redactUrl } from '../../src/db/database-setup.js';
import { createDb } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createLogger, resolveLogFormat } from '../../src/logger.js';
import { adminDatabaseUrl } from '../helpers/services.js';
import { testDatabaseName } from '../helpers/test-db.js';

const name = testDatabaseName();
const url = (() => {
  const u = new URL(adminDatabaseUrl());
  u.pathname = `/${name}`;
  return u.toString();
})();

function io(answer?: boolean): CliIo & { out_: string[]; err_: string[]; asked: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  const asked: string[] = [];
  return {
    out_, err_, asked,
    out: (l) => out_.push(l),
    err: (l) => err_.push(l),
    confirm: answer === undefined ? undefined : async (q) => {
      asked.push(q);
      return answer;
    },
  };
}

async function tableCount(): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const r = await c.query<{ n: string }>(`select count(*) n from pg_tables where schemaname = 'public' and tablename not like 'kysely_%'`);
  await c.end();
  return Number(r.rows[0].n);
}

describe('migrate', () => {
  afterAll(async () => {
    const c = new pg.Client({ connectionString: adminDatabaseUrl() });
    await c.connect();
    await c.query(`drop database if exists "${name}" with (force)`);
    await c.end();
  });

  it('creates the database, applies, and says so truly when there is nothing to do', async () => {
    const first = io();
    expect(await runMigrate(url, { down: false, yes: false }, first)).toBe(0);
    expect(first.out_[0]).toBe(`created database ${url}`);
    expect(first.out_).toContain('Up 20261121T0800-core-schema');
    const again = io();
    expect(await runMigrate(url, { down: false, yes: false }, again)).toBe(0);
    expect(again.out_).toEqual([expect.stringMatching(/^nothing to do: all \d+ migrations are applied$/)]);
  });

  it('does not go down without a confirmation, and says what going down did', async () => {
    const tables = await tableCount();
    const noTty = io();
    expect(await runMigrate(url, { down: true, yes: false }, noTty)).toBe(1);
    expect(noTty.err_.join('\n')).toMatch(/Refusing without confirmation: no terminal to ask\. Re-run with --yes/);
    const declined = io(false);
    expect(await runMigrate(url, { down: true, yes: false }, declined)).toBe(1);
    expect(declined.asked[0]).toMatch(/tables and every row in them are dropped/);
    expect(await tableCount()).toBe(tables);

    const confirmed = io(true);
    expect(await runMigrate(url, { down: true, yes: false }, confirmed)).toBe(0);
    expect(confirmed.out_[0]).toMatch(/^Down /);
    expect(confirmed.out_.at(-1)).toMatch(/migration\(s\) still applied; \d+ pending/);

    // Down to nothing: the last one is the core schema, and the warning says what that means.
    for (;;) {
      const step = io();
      expect(await runMigrate(url, { down: true, yes: true }, step)).toBe(0);
      if (step.out_.at(-1)!.startsWith('no migration is applied now')) break;
    }
    expect(await tableCount()).toBe(0);
    const nothing = io();
    expect(await runMigrate(url, { down: true, yes: false }, nothing)).toBe(0);
    expect(nothing.out_).toEqual(['nothing to revert: no migration is applied (the database has no schema of this application)']);
  });

  it('warns that reverting the core schema deletes all projects', async () => {
    const db = createDb(url, { max: 1 });
    await migrateToLatest(db);
    await db.destroy();
    // Revert all but the first, then ask about the first.
    for (let i = 0; i < 10; i++) {
      const peek = io(false);
      await runMigrate(url, { down: true, yes: false }, peek);
      if (/core schema: ALL projects/.test(peek.asked[0] ?? '')) return;
      await runMigrate(url, { down: true, yes: true }, io());
    }
    throw new Error('never warned about the core schema');
  });
});

describe('PostgreSQL unreachable', () => {
  it('names PostgreSQL, the URL without its password and what to check', async () => {
    const bad = 'postgres://dispatch:s3cret@127.0.0.1:1/dispatch';
    const c = new pg.Client({ connectionString: bad });
    const e = await c.connect().then(() => undefined, (x: unknown) => x);
    const text = describeDatabaseError(e, bad)!;
    expect(text).toMatch(/^PostgreSQL is not reachable at postgres:\/\/dispatch:\*\*\*@127\.0\.0\.1:1\/dispatch \(ECONNREFUSED\)\. Check that PostgreSQL is running/);
    expect(text).not.toContain('s3cret');
    expect(redactUrl('postgres://u@h/d')).toBe('postgres://u@h/d');
  });
});

describe('log format', () => {
  it('is JSON by default and in production, readable lines on a terminal or when asked', () => {
    expect(resolveLogFormat('auto', 'production', true)).toBe('json');
    expect(resolveLogFormat('auto', 'development', false)).toBe('json');
    expect(resolveLogFormat('auto', 'development', true)).toBe('pretty');
    expect(resolveLogFormat('pretty', 'production', false)).toBe('pretty');
    let text = '';
    const stream = new Writable({ write(chunk: Buffer, _e, cb) { text += chunk.toString(); cb(); } });
    createLogger('info', { stream, format: 'pretty' }).info({ cycleId: 7 }, 'cycle opened');
    expect(text).toMatch(/INFO.*cycle opened/);
    expect(text).toMatch(/cycleId: 7/);
    expect(() => JSON.parse(text)).toThrow();
  });
});
