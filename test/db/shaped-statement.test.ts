// Shaped statements run as named prepared statements (Postgres plans them once per connection,
// not on every call), and a statement prepared before its table's columns changed is prepared
// again rather than failing the call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createDb, type Db } from '../../src/db/database.js';
import { shapedStatement } from '../../src/db/shaped-statement.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.js';

let t: TestDatabase;
let one: Db;

beforeAll(async () => {
  t = await createTestDatabase({ migrate: false });
  // One connection, so the statement and the look-up of what it prepared meet the same backend.
  one = createDb(t.url, { max: 1 });
  await sql`create table shaped_t (id int primary key, a text)`.execute(one);
  await sql`insert into shaped_t values (1, 'x'), (2, 'y')`.execute(one);
});

afterAll(async () => {
  await one?.destroy();
  await t?.drop();
});

const byId = shapedStatement<{ star: boolean }, Record<string, unknown>>(
  (param, o) => (o.star ? sql`select * from shaped_t where id = ${param('id')}::int` : sql`select a from shaped_t where id = ${param('id')}::int`),
  (o) => (o.star ? 'star' : 'a'),
);

const preparedHere = async () =>
  (await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(one)).rows.filter((r) => r.name.startsWith('shaped_'));

describe('shaped statements', () => {
  it('are prepared once per connection under a name and reused with each call’s values', async () => {
    expect((await byId(one, { star: false }, { id: 1 })).rows).toEqual([{ a: 'x' }]);
    expect((await byId(one, { star: false }, { id: 2 })).rows).toEqual([{ a: 'y' }]);
    const prepared = await preparedHere();
    expect(prepared).toHaveLength(1);
    expect(prepared[0].statement).toContain('select a from shaped_t');
    // Other statements stay unnamed: nothing else is kept on the connection.
    await sql`select 1`.execute(one);
    expect(await preparedHere()).toHaveLength(1);
  });

  it('are prepared again when a table they read gained a column since', async () => {
    expect((await byId(one, { star: true }, { id: 1 })).rows).toEqual([{ id: 1, a: 'x' }]);
    await sql`alter table shaped_t add column b int default 7`.execute(one);
    expect((await byId(one, { star: true }, { id: 1 })).rows).toEqual([{ id: 1, a: 'x', b: 7 }]);
    expect((await byId(one, { star: true }, { id: 2 })).rows).toEqual([{ id: 2, a: 'y', b: 7 }]);
  });

  it('inside a transaction, a stale statement fails that transaction and works in the next', async () => {
    await byId(one, { star: true }, { id: 1 });
    await sql`alter table shaped_t add column c int default 8`.execute(one);
    await expect(one.transaction().execute((trx) => byId(trx as Db, { star: true }, { id: 1 }))).rejects.toThrow(/cached plan/);
    const rows = await one.transaction().execute((trx) => byId(trx as Db, { star: true }, { id: 1 }));
    expect(rows.rows).toEqual([{ id: 1, a: 'x', b: 7, c: 8 }]);
  });
});
