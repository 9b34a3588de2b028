// The registry's bulk writes at a size that takes several statements: every new project is
// written with its change row, and a part the server refuses fails the call (the parts after it
// are already queued on the transaction's connection) with nothing left behind.
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { RegistryValues } from '../../src/registry/registry-diff.js';
import * as store from '../../src/registry/registry-store.js';
import { databaseForThisFile } from '../helpers/test-db.js';

const t = databaseForThisFile();

const NOW = new Date('2026-11-20T02:00:00Z');

function rows(count: number, regionId: number, prefix: string): (RegistryValues & { code: string })[] {
  // A long legal entity makes each row about 700 characters of JSON: 3,000 of them are three parts.
  return Array.from({ length: count }, (_, i) => ({
    code: `${prefix}${String(i).padStart(5, '0')}`, name: `项目${i}`, legal_entity: `有限公司${'甲'.repeat(200)}`, location: null,
    region_id: regionId, industry: null, stage: '续建', lists: ['在建项目'], dispatch_frequency: 'monthly',
    total_investment: '1000.5', annual_plan: '100', ytd_investment: '0', ytd_year: null, investor_type: null,
    planned_start: '2026-01-01', planned_finish: null, owner_id: null, leader_id: null, vice_mayor_id: null, department_id: null,
  }));
}

describe('insertProjects', () => {
  it('writes every project of several parts, each with its own change row', async () => {
    const many = rows(3_000, 0, 'OK');
    expect([...store.jsonChunks(many)].length).toBeGreaterThan(1);
    // Names a line-based format could trip on: the change rows travel as lines of JSON text.
    many[1].name = '项目1\n第二行 "引号" \\ 反斜杠\r\u2028';
    const changeOf = (i: number) => JSON.stringify({ name: { from: null, to: many[i].name }, code: many[i].code });
    await t.db.transaction().execute(async (trx) => {
      const regions = await store.ensureRegions(trx, ['天城县']);
      const importId = await store.insertImport(trx, { fileName: 'a.xlsx', sha256: 'x', sheet: null, actor: 'tester', rowCount: 3_000, now: NOW });
      for (const r of many) r.region_id = regions.byName.get('天城县') as number;
      await store.insertProjects(trx, many, changeOf, { now: NOW, actor: 'tester', importId });
    });
    const counts = await sql<{ projects: number; changes: number; without: number }>`
      select (select count(*)::int from projects) as projects, (select count(*)::int from project_changes) as changes,
        (select count(*)::int from projects p where (select count(*) from project_changes c where c.project_id = p.id) <> 1) as without`.execute(t.db);
    expect(counts.rows[0]).toEqual({ projects: 3_000, changes: 3_000, without: 0 });
    // Each project has the change row given for its own row, in every part.
    const stored = await t.db.selectFrom('project_changes as c').innerJoin('projects as p', 'p.id', 'c.project_id')
      .select(['p.code', 'p.name', 'c.changes', 'c.changed_by', 'c.import_id']).orderBy('p.code').execute();
    expect(stored).toHaveLength(3_000);
    for (const [i, r] of stored.entries()) {
      expect(r.code).toBe(many[i].code);
      expect(r.changes).toEqual({ name: { from: null, to: many[i].name }, code: many[i].code });
      expect(r.name).toBe(many[i].name);
    }
    expect(stored[1].name).toContain('\n第二行 "引号" \\');
  });

  it('a part the server refuses fails the call, the parts queued after it too, and the transaction leaves nothing', async () => {
    const before = await sql<{ n: number }>`select count(*)::int as n from projects`.execute(t.db);
    const many = rows(3_000, 0, 'BAD');
    // The first part breaks a check of the table (annual plan over the total).
    const bad = many[5];
    if (bad) bad.annual_plan = '99999';
    const attempt = t.db.transaction().execute(async (trx) => {
      const regions = await store.ensureRegions(trx, ['天城县']);
      const importId = await store.insertImport(trx, { fileName: 'b.xlsx', sha256: 'y', sheet: null, actor: 'tester', rowCount: 3_000, now: NOW });
      for (const r of many) r.region_id = regions.byName.get('天城县') as number;
      await store.insertProjects(trx, many, () => '{}', { now: NOW, actor: 'tester', importId });
    });
    await expect(attempt).rejects.toThrow(/check constraint/);
    expect((await sql<{ n: number }>`select count(*)::int as n from projects`.execute(t.db)).rows[0]).toEqual(before.rows[0]);
    expect(await t.db.selectFrom('imports').select('file_name').execute()).toEqual([{ file_name: 'a.xlsx' }]);
  });
});
