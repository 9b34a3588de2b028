import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.js';
import { migrateDown, migrateToLatest } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';

async function tableNames(t: TestDatabase): Promise<string[]> {
  const r = await sql<{ tablename: string }>`
    select tablename from pg_tables where schemaname = 'public' and tablename not like 'kysely_%' order by 1`.execute(t.db);
  return r.rows.map((x) => x.tablename);
}

describe('migrations', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await t.drop();
  });

  it('apply on an empty database, are idempotent, and roll back to empty', async () => {
    expect(await tableNames(t)).toEqual([]);
    const applied = await migrateToLatest(t.db);
    expect(applied).toContain('Up 20261121T0800-core-schema');
    expect(await tableNames(t)).toEqual(
      expect.arrayContaining(['projects', 'reports', 'report_revisions', 'problems', 'escalations', 'outbound_messages', 'inbound_events', 'league_snapshots', 'cycles']),
    );
    expect(await migrateToLatest(t.db)).toEqual([]);
    // Down, one migration at a time, to an empty database.
    const reverted: string[] = [];
    for (let r = await migrateDown(t.db); r.length; r = await migrateDown(t.db)) reverted.push(...r);
    // Every registered migration, newest first (each helper's branch adds its own).
    expect(reverted).toEqual(Object.keys(migrations).reverse().map((name) => `Down ${name}`));
    expect(reverted.slice(-2)).toEqual(['Down 20261121T0900-lookup-indexes', 'Down 20261121T0800-core-schema']);
    expect(await tableNames(t)).toEqual([]);
    await migrateToLatest(t.db);
  });

  it('enforces money and identity constraints in the database itself', async () => {
    const region = await t.db.insertInto('regions').values({ name: '天城县' }).returning('id').executeTakeFirstOrThrow();
    const base = {
      code: 'XM1', name: '测试项目', region_id: region.id, stage: '续建' as const,
      dispatch_frequency: 'monthly' as const, total_investment: '100', annual_plan: '50',
    };
    await expect(t.db.insertInto('projects').values({ ...base, total_investment: '-1', annual_plan: '0' }).execute()).rejects.toThrow(/check/);
    await expect(t.db.insertInto('projects').values({ ...base, annual_plan: '101' }).execute()).rejects.toThrow(/check/);
    await expect(t.db.insertInto('projects').values({ ...base, stage: '施工' as never }).execute()).rejects.toThrow(/check/);
    await t.db.insertInto('projects').values(base).execute();
    await expect(t.db.insertInto('projects').values(base).execute()).rejects.toThrow(/unique/);
    const p = await t.db.selectFrom('projects').select(['total_investment', 'annual_plan']).executeTakeFirstOrThrow();
    expect(p).toEqual({ total_investment: '100.0000', annual_plan: '50.0000' });
    await expect(t.db.insertInto('people').values({ name: '张三', mobile: '138-0000' }).execute()).rejects.toThrow(/check/);
  });

  it('taking back the drop of projects.last_import_id fills it from the change rows', async () => {
    const region = await t.db.insertInto('regions').values({ name: '南湖县' }).returning('id').executeTakeFirstOrThrow();
    const project = await t.db.insertInto('projects').values({
      code: 'XM-LAST', name: '测试项目二', region_id: region.id, stage: '续建', dispatch_frequency: 'monthly', total_investment: '100', annual_plan: '0',
    }).returning('id').executeTakeFirstOrThrow();
    const imports = await t.db.insertInto('imports')
      .values([1, 2].map((n) => ({ file_name: `清单${n}.xlsx`, file_sha256: String(n), actor: '张科长', row_count: 1 })))
      .returning('id').execute();
    // Changed by the first import, then the second, then by hand (no import).
    for (const importId of [imports[0].id, imports[1].id, null]) {
      await t.db.insertInto('project_changes').values({ project_id: project.id, import_id: importId, changed_by: '张科长', changes: JSON.stringify({}) }).execute();
    }
    expect(await migrateDown(t.db)).toEqual(['Down 20261204T0900-changes-as-json']);
    expect(await migrateDown(t.db)).toEqual(['Down 20261203T0900-drop-last-import']);
    const rows = await sql<{ code: string; last_import_id: number | null }>`select code, last_import_id from projects order by code`.execute(t.db);
    expect(rows.rows).toEqual([{ code: 'XM-LAST', last_import_id: imports[1].id }, { code: 'XM1', last_import_id: null }]);
    await migrateToLatest(t.db);
    const columns = await sql<{ n: number }>`select count(*)::int as n from information_schema.columns where table_name = 'projects' and column_name = 'last_import_id'`.execute(t.db);
    expect(columns.rows[0]?.n).toBe(0);
  });

  it('keeps change rows as written when their column turns from jsonb to json, and back', async () => {
    const region = await t.db.insertInto('regions').values({ name: '东城区' }).returning('id').executeTakeFirstOrThrow();
    const project = await t.db.insertInto('projects').values({
      code: 'XM-JSON', name: '测试项目三', region_id: region.id, stage: '续建', dispatch_frequency: 'monthly', total_investment: '100', annual_plan: '0',
    }).returning('id').executeTakeFirstOrThrow();
    const changes = { name: { from: '旧名', to: '测试项目三' }, total_investment: { from: '90.5000', to: '100.0000' } };
    const columnType = async () => (await sql<{ t: string }>`
      select data_type as t from information_schema.columns where table_name = 'project_changes' and column_name = 'changes'`.execute(t.db)).rows[0]?.t;
    const stored = async () => (await t.db.selectFrom('project_changes').select('changes').where('project_id', '=', project.id).execute()).map((r) => r.changes);

    expect(await columnType()).toBe('json');
    await t.db.insertInto('project_changes').values({ project_id: project.id, changed_by: '张科长', changes: JSON.stringify(changes) }).execute();
    await expect(t.db.insertInto('project_changes').values({ project_id: project.id, changed_by: '张科长', changes: '{"name": ' }).execute())
      .rejects.toThrow(/json/);
    expect(await migrateDown(t.db)).toEqual(['Down 20261204T0900-changes-as-json']);
    expect(await columnType()).toBe('jsonb');
    expect(await stored()).toEqual([changes]);
    await migrateToLatest(t.db);
    expect(await columnType()).toBe('json');
    expect(await stored()).toEqual([changes]);
  });
});
