// Finding 1: a Postgres restart while a client is checked out (a callback's transaction in
// flight) made pg emit 'error' on that client with nobody listening, which ended the process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createDb, type Db } from '../../src/db/database.js';
import { startPrivatePostgres, type PrivatePostgres } from './private-services.js';

let pgp: PrivatePostgres;
let db: Db;
const lost: string[] = [];
const uncaught: unknown[] = [];
const onUncaught = (e: unknown) => uncaught.push(e);

beforeAll(async () => {
  pgp = await startPrivatePostgres();
  db = createDb(await pgp.createDatabase('client_error'), { max: 4, onClientError: (e) => lost.push(e.message) });
  process.on('uncaughtException', onUncaught);
}, 90_000);

afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  await db?.destroy().catch(() => undefined);
  await pgp?.stop();
});

describe('a Postgres restart with clients checked out', () => {
  it('fails the in-flight work with an error, tells the log, and the pool serves again', async () => {
    // Three transactions hold their clients between statements when the server goes away.
    const held = [1, 2, 3].map(() => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const work = db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        await gate;
        await sql`select 2`.execute(trx);
      });
      return { release, work: work.then(() => 'ok', (e: Error) => `failed: ${e.message}`) };
    });
    await new Promise((r) => setTimeout(r, 200));
    await pgp.restart();
    // Give pg time to notice the dead sockets (this is where the unhandled 'error' fired).
    const deadline = Date.now() + 10_000;
    while (lost.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    held.forEach((h) => h.release());
    const outcomes = await Promise.all(held.map((h) => h.work));
    expect(uncaught).toEqual([]);
    expect(lost.length).toBeGreaterThanOrEqual(3);
    expect(outcomes.every((o) => o.startsWith('failed'))).toBe(true);
    const r = await sql<{ n: number }>`select 41 + 1 as n`.execute(db);
    expect(r.rows[0].n).toBe(42);
  });
});
