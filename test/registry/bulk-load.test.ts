// The first import into an empty registry drops the foreign keys of projects and project_changes
// for the load and adds them back before commit (bulk-load.store.ts). Which way a load went shows
// in the catalog: a constraint added back is a new one (new oid) with the same name and definition.
import { beforeEach, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.js';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb } from '../../src/db/database.js';
import { BULK_LOAD_ROWS, suspendForeignKeys } from '../../src/registry/bulk-load.store.js';
import * as store from '../../src/registry/registry-store.js';
import { databaseForThisFile } from '../helpers/test-db.js';
import { deps, expectOk, fixtureGrid, gridToCsv, runImport } from './registry-helpers.js';

const t = databaseForThisFile();
beforeEach(async () => {
  await sql`truncate person_grants, project_changes, projects, imports, departments, people, regions restart identity cascade`.execute(t.db);
});

type Key = { table: string; name: string; definition: string; oid: number };

async function foreignKeys(q: Kysely<Database> = t.db): Promise<Key[]> {
  const r = await sql<Key>`
    select conrelid::regclass::text as table, conname as name, pg_get_constraintdef(oid) as definition, oid::int as oid
    from pg_constraint where contype = 'f' and conrelid in ('projects'::regclass, 'project_changes'::regclass)
    order by 1, 2`.execute(q);
  return r.rows;
}

const withoutOid = (keys: Key[]) => keys.map(({ oid: _, ...k }) => k);

/** The fixture's projects repeated under new codes (BL00001…): the same people, places and departments. */
function citySheet(count: number, prefix = 'BL'): string {
  const [header, ...rows] = fixtureGrid();
  const grid = [header];
  for (let i = 0; i < count; i++) {
    const row = [...rows[i % rows.length]];
    row[0] = `${prefix}${String(i + 1).padStart(5, '0')}`;
    grid.push(row);
  }
  return gridToCsv(grid);
}

describe('the first import into an empty registry', () => {
  it('checks its foreign keys once, at the end, and keeps every one of them as it was', async () => {
    const before = await foreignKeys();
    expect(before.map((k) => k.name)).toEqual(expect.arrayContaining(['projects_owner_id_fkey', 'project_changes_project_id_fkey']));
    const s = expectOk(await runImport(deps(t.db), 'city.csv', citySheet(BULK_LOAD_ROWS)));
    expect(s.created).toHaveLength(BULK_LOAD_ROWS);

    const after = await foreignKeys();
    expect(withoutOid(after)).toEqual(withoutOid(before));
    // Dropped and added back: every constraint is a new one.
    for (const k of after) expect(before.find((b) => b.name === k.name)?.oid).not.toBe(k.oid);
    const counts = await sql<{ projects: number; changes: number; unmatched: number }>`
      select (select count(*)::int from projects) as projects, (select count(*)::int from project_changes) as changes,
        (select count(*)::int from projects p where p.owner_id is not null and not exists (select 1 from people o where o.id = p.owner_id)) as unmatched`.execute(t.db);
    expect(counts.rows[0]).toEqual({ projects: BULK_LOAD_ROWS, changes: BULK_LOAD_ROWS, unmatched: 0 });
    // And they hold again.
    await expect(sql`update projects set owner_id = 999999 where code = 'BL00001'`.execute(t.db)).rejects.toThrow(/projects_owner_id_fkey/);
    await expect(sql`insert into project_changes (project_id, changed_by, changes) values (999999, 'x', '{}')`.execute(t.db))
      .rejects.toThrow(/project_changes_project_id_fkey/);
  });

  it('below the bulk size, and into a registry in use, loads row by row', async () => {
    const before = await foreignKeys();
    expectOk(await runImport(deps(t.db), 'small.csv', citySheet(BULK_LOAD_ROWS - 1)));
    expect(await foreignKeys()).toEqual(before);
    // A registry that has projects: the same size that would be bulk-loaded into an empty one.
    const s = expectOk(await runImport(deps(t.db), 'more.csv', citySheet(BULK_LOAD_ROWS, 'MORE')));
    expect(s.created).toHaveLength(BULK_LOAD_ROWS);
    expect(await foreignKeys()).toEqual(before);
  });

  it('as a dry run leaves the constraints, and the registry, as they were', async () => {
    const before = await foreignKeys();
    const s = expectOk(await runImport(deps(t.db), 'city.csv', citySheet(BULK_LOAD_ROWS), { dryRun: true }));
    expect(s.created).toHaveLength(BULK_LOAD_ROWS);
    expect(await foreignKeys()).toEqual(before);
    expect((await sql<{ n: number }>`select count(*)::int as n from projects`.execute(t.db)).rows[0]?.n).toBe(0);
  });

  it('goes row by row, after a short wait, while another session holds a table it would lock', async () => {
    const before = await foreignKeys();
    const other = new pg.Client({ connectionString: t.url });
    await other.connect();
    try {
      await other.query('begin');
      // A reader in the middle of a transaction on a referenced table.
      await other.query('select count(*) from regions');
      const s = expectOk(await runImport(deps(t.db), 'city.csv', citySheet(BULK_LOAD_ROWS)));
      expect(s.created).toHaveLength(BULK_LOAD_ROWS);
      expect(await foreignKeys()).toEqual(before);
      await other.query('commit');
    } finally {
      await other.end();
    }
    expect((await sql<{ n: number }>`select count(*)::int as n from projects`.execute(t.db)).rows[0]?.n).toBe(BULK_LOAD_ROWS);
  });

  it('goes row by row for a database user that may write the tables but does not own them', async () => {
    const before = await foreignKeys();
    // Roles belong to the whole server: a unique name, dropped at the end.
    const role = `dispatch_writer_${randomBytes(4).toString('hex')}`;
    await sql.raw(`create role ${role} login`).execute(t.db);
    const writer = createDb(Object.assign(new URL(t.url), { username: role }).toString(), { max: 2 });
    try {
      await sql.raw(`grant select, insert, update, delete on all tables in schema public to ${role};
        grant usage, select on all sequences in schema public to ${role}`).execute(t.db);
      const s = expectOk(await runImport(deps(writer), 'city.csv', citySheet(BULK_LOAD_ROWS)));
      expect(s.created).toHaveLength(BULK_LOAD_ROWS);
      expect(await foreignKeys()).toEqual(before);
    } finally {
      await writer.destroy();
      await sql.raw(`drop owned by ${role}; drop role ${role}`).execute(t.db);
    }
  });
});

describe('suspendForeignKeys', () => {
  it('adding the constraints back refuses rows that break them, and the transaction leaves nothing', async () => {
    const before = await foreignKeys();
    const attempt = t.db.transaction().execute(async (trx) => {
      const suspended = await suspendForeignKeys(trx);
      // Seen from inside the transaction, every one of them is gone until restore().
      expect(await foreignKeys(trx)).toEqual([]);
      const regions = await store.ensureRegions(trx, ['天城县']);
      await sql`insert into projects (code, name, region_id, stage, dispatch_frequency, total_investment, owner_id)
        values ('XM-GHOST', '无人项目', ${regions.byName.get('天城县')}, '续建', 'monthly', 100, 424242)`.execute(trx);
      await suspended?.restore();
    });
    await expect(attempt).rejects.toThrow(/projects_owner_id_fkey/);
    expect(await foreignKeys()).toEqual(before);
    expect((await sql<{ n: number }>`select count(*)::int as n from projects`.execute(t.db)).rows[0]?.n).toBe(0);
  });
});
