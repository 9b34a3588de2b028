// A bulk write's parts are queued behind one another on the transaction's connection. When one
// fails, the parts already queued behind it must fail inside the transaction too, not run after
// its ROLLBACK and commit on their own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Db } from '../../src/db/database.js';
import { pipelined, together } from '../../src/db/together.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.js';

let t: TestDatabase;
let db: Db;
beforeAll(async () => {
  t = await createTestDatabase({ migrate: false });
  db = t.db;
  await sql`create table written (part int not null)`.execute(db);
});
afterAll(async () => {
  await t.drop();
});

const count = async () => (await sql<{ n: number }>`select count(*)::int as n from written`.execute(db)).rows[0].n;

describe('pipelined', () => {
  it('a failed part leaves the parts queued behind it inside the transaction: nothing is written', async () => {
    // The first part fails only after a second on the server, long after the others are queued.
    const attempt = db.transaction().execute(async (trx) => {
      await pipelined([0, 1, 2, 3, 4, 5, 6], (part) => part === 0
        ? sql`select 1 / length(pg_sleep(1)::text)`.execute(trx)
        : sql`insert into written values (${part})`.execute(trx));
    });
    // The first failure, not the "transaction is aborted" of the statements behind it.
    await expect(attempt).rejects.toThrow(/division by zero/);
    // Anything queued and run after the ROLLBACK would have committed by now.
    expect(await count()).toBe(0);
    await db.transaction().execute(async (trx) => {
      await pipelined([1, 2], (part) => sql`insert into written values (${part})`.execute(trx));
    });
    expect(await count()).toBe(2);
  });

  it('stops encoding parts once one has failed', async () => {
    // Endless but for the failure: only stopping at it ends the write.
    const LIMIT = 1_000_000;
    let encoded = 0;
    function* parts() {
      while (encoded < LIMIT) yield encoded++;
    }
    const attempt = db.transaction().execute(async (trx) => {
      await pipelined(parts(), (part) => (part === 0 ? sql`select 1 / 0`.execute(trx) : sql`select 1`.execute(trx)));
    });
    await expect(attempt).rejects.toThrow(/division by zero/);
    expect(encoded).toBeLessThan(LIMIT);
  });
});

describe('together', () => {
  it('on a transaction, a failed statement leaves the ones queued behind it inside it', async () => {
    const before = await count();
    const attempt = db.transaction().execute(async (trx) => {
      // Several behind it: Kysely may hand the next one to the connection just before the ROLLBACK.
      await together([
        sql`select 1 / length(pg_sleep(1)::text)`.execute(trx),
        ...[100, 101, 102].map((v) => sql`insert into written values (${v})`.execute(trx)),
      ]);
    });
    await expect(attempt).rejects.toThrow(/division by zero/);
    expect(await count()).toBe(before);
  });

  it('gives every result in order, as Promise.all does', async () => {
    const [a, b] = await together([
      sql<{ n: number }>`select 1 as n from pg_sleep(0.2)`.execute(db),
      sql<{ s: string }>`select 'b' as s`.execute(db),
    ]);
    expect([a.rows[0].n, b.rows[0].s]).toEqual([1, 'b']);
  });
});
