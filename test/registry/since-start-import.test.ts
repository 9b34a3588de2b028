// The sheet's 开工以来累计完成投资 column: written for new and changed figures with a change row
// each, left alone where the figure is the same, and not overwritten once a monthly report has
// carried it (listed instead).
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { databaseForThisFile } from '../helpers/test-db.js';
import { deps, expectOk, fixtureGrid, gridToCsv, runImport } from './registry-helpers.js';

const t = databaseForThisFile();

const COLUMN = '开工以来累计完成投资(万元)';

/** The fixture's first four projects with the column: a figure per code, '' for a blank cell. */
function sheet(figures: Record<string, string>): string {
  const [header, ...rows] = fixtureGrid();
  return gridToCsv([[...header, COLUMN], ...rows.slice(0, 4).map((r) => [...r, figures[r[0]] ?? ''])]);
}

async function sinceStart(): Promise<Record<string, string | null>> {
  const rows = await t.db.selectFrom('projects').select(['code', 'since_start_investment']).orderBy('code').execute();
  return Object.fromEntries(rows.map((r) => [r.code, r.since_start_investment]));
}

async function changeRows(code: string) {
  return t.db.selectFrom('project_changes as c').innerJoin('projects as p', 'p.id', 'c.project_id')
    .select(['c.changes', 'c.import_id']).where('p.code', '=', code).orderBy('c.id').execute();
}

describe('import of 开工以来累计完成投资', () => {
  it('writes each figure given, with a change row; a blank cell writes nothing', async () => {
    const s = expectOk(await runImport(deps(t.db), '清单.csv', sheet({ XM2026001: '40162', XM2026002: '32161.5', XM2026003: '' })));
    expect(await sinceStart()).toEqual({ XM2026001: '40162.0000', XM2026002: '32161.5000', XM2026003: null, XM2026004: null });
    const rows = await changeRows('XM2026002');
    expect(rows).toHaveLength(2);
    expect(rows[1]).toEqual({ changes: { since_start_investment: { from: null, to: '32161.5' } }, import_id: s.importId });
    expect(await changeRows('XM2026003')).toHaveLength(1);
  });

  it('a changed figure is written from → to, the same figure leaves no change row', async () => {
    const s = expectOk(await runImport(deps(t.db), '清单2.csv', sheet({ XM2026001: '40162.00', XM2026002: '33000', XM2026004: '12' })));
    expect(s.warnings).toEqual([]);
    expect(await sinceStart()).toEqual({ XM2026001: '40162.0000', XM2026002: '33000.0000', XM2026003: null, XM2026004: '12.0000' });
    expect((await changeRows('XM2026001')).map((r) => r.changes)).toEqual([
      expect.objectContaining({ name: expect.anything() }), { since_start_investment: { from: null, to: '40162' } },
    ]);
    expect((await changeRows('XM2026002')).at(-1)).toEqual({ changes: { since_start_investment: { from: '32161.5000', to: '33000' } }, import_id: s.importId });
  });

  it('once a monthly report has carried the figure, a sheet does not overwrite it and says so', async () => {
    const project = await t.db.selectFrom('projects').select(['id', 'owner_id']).where('code', '=', 'XM2026004').executeTakeFirstOrThrow();
    const cycle = await t.db.insertInto('cycles').values({
      kind: 'monthly', period_key: '2026-11', open_at: new Date('2026-11-20T00:00:00Z'), remind_at: new Date('2026-11-24T00:00:00Z'), due_at: new Date('2026-11-25T00:00:00Z'),
    }).returning('id').executeTakeFirstOrThrow();
    await sql`insert into reports (cycle_id, project_id, period_investment, ytd_investment, since_start_investment, stage, started, completed, registered, submitted_by, submitted_at, via)
      values (${cycle.id}, ${project.id}, 3, 3, 15, '续建', true, false, false, ${project.owner_id}, now(), 'card')`.execute(t.db);
    await t.db.updateTable('projects').set({ since_start_investment: '15' }).where('id', '=', project.id).execute();
    const before = await changeRows('XM2026004');

    const s = expectOk(await runImport(deps(t.db), '清单3.csv', sheet({ XM2026001: '40162', XM2026002: '33000', XM2026004: '12' })));
    expect(s.warnings).toEqual([expect.stringMatching(/XM2026004 .*已有月度填报接续开工以来累计完成投资，未用清单覆盖（清单 12万元，现为 15万元）/)]);
    expect((await sinceStart()).XM2026004).toBe('15.0000');
    expect(await changeRows('XM2026004')).toEqual(before);
  });
});
