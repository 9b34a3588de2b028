// The one status loader against Postgres: 1,000 projects' light, streak and open problems as of a
// cycle in the same fixed number of queries as one project's; the missed streak counts only the
// cycle's own cadence (domain/streak.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyPlugin } from 'kysely';
import type { Db } from '../../src/db/database.js';
import type { CycleKind, ReportStatus } from '../../src/db/schema.js';
import { PRESETS } from '../../src/domain/lights.js';
import { missedStreak } from '../../src/domain/streak.js';
import { loadProjectStatuses, type StatusCycle } from '../../src/status/project-status.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.js';
import { makePerson, makeRegion } from '../helpers/factories.js';

const at = (local: string): Date => new Date(`${local}:00+08:00`);
const DAY = 24 * 3600 * 1000;
const N = 1000;
const settings = { tz: 'Asia/Shanghai', thresholds: PRESETS.yinchuan };
const NOW = at('2026-11-21T10:00');

let t: TestDatabase;
let db: Db;
let ids: number[] = [];
let current: StatusCycle;

function counting(): { db: Db; count: () => number } {
  let n = 0;
  const plugin: KyselyPlugin = {
    // Counted per executed statement: transformQuery also runs for every subquery a statement holds.
    transformQuery: (args) => args.node,
    transformResult: async (args) => {
      n += 1;
      return args.result;
    },
  };
  return { db: db.withPlugin(plugin), count: () => n };
}

async function addCycle(kind: CycleKind, key: string, due: string, state: 'open' | 'closed') {
  const dueAt = at(due);
  return db
    .insertInto('cycles')
    .values({ kind, period_key: key, open_at: new Date(dueAt.getTime() - 5 * DAY), remind_at: new Date(dueAt.getTime() - 2 * DAY), due_at: dueAt, opened_at: new Date(dueAt.getTime() - 5 * DAY), state })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Project i: 0 → missed the last two monthly cycles, 1 → missed only the last, 2 → reported. */
const pattern = (i: number): ReportStatus[] => [i % 3 === 2 ? 'reported' : 'missed', i % 3 === 0 ? 'missed' : 'reported'];

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.db;
  const regionId = await makeRegion(db);
  const rows = await db
    .insertInto('projects')
    .values(
      Array.from({ length: N }, (_, i) => ({
        code: `ST${String(i).padStart(5, '0')}`,
        name: `状态项目${i}`,
        region_id: regionId,
        stage: '续建' as const,
        lists: ['在建项目'],
        dispatch_frequency: 'monthly' as const,
        total_investment: '100000',
        // Plans no one lags behind, so the light here is the streak's.
        annual_plan: i % 3 === 2 ? '0' : '12000',
        planned_start: '2024-03-01',
        started: true,
        ytd_year: 2026,
        ytd_investment: '11000',
        active: true,
        updated_by: 'test',
      })),
    )
    .returning('id')
    .execute();
  ids = rows.map((r) => r.id).sort((a, b) => a - b);
  const sep = await addCycle('monthly', '2026-09', '2026-09-25T18:00', 'closed');
  const oct = await addCycle('monthly', '2026-10', '2026-10-26T18:00', 'closed');
  // A weekly cycle every project missed, after the last monthly one: not part of a monthly streak.
  const w46 = await addCycle('weekly', '2026-W46', '2026-11-13T18:00', 'closed');
  const nov = await addCycle('monthly', '2026-11', '2026-11-25T18:00', 'open');
  current = { id: nov.id, kind: 'monthly', periodKey: '2026-11', dueAt: nov.due_at, openAt: nov.open_at };
  const cp = (cycleId: number, status: (i: number) => ReportStatus) =>
    db.insertInto('cycle_projects').values(ids.map((projectId, i) => ({ cycle_id: cycleId, project_id: projectId, owner_id: null, region_id: regionId, status: status(i) }))).execute();
  await cp(oct.id, (i) => pattern(i)[0]);
  await cp(sep.id, (i) => pattern(i)[1]);
  await cp(w46.id, () => 'missed');
  await cp(nov.id, () => 'pending');
  // Open problems on every tenth project, one closed problem that does not count.
  const raiser = await makePerson(db, { name: '提出人' });
  const base = { category: '用地' as const, description: '用地指标未落实', raised_by: raiser.id, raised_at: NOW, cycle_id: oct.id, report_id: null, department_id: null };
  let seq = 0;
  const problem = (projectId: number, status: 'open' | 'confirmed') =>
    ({ ...base, number: `WT2026-${String(++seq).padStart(4, '0')}`, project_id: projectId, status });
  await db.insertInto('problems').values([...ids.filter((_, i) => i % 10 === 0).map((id) => problem(id, 'open')), problem(ids[1], 'confirmed')]).execute();
}, 120_000);

afterAll(async () => {
  await t?.drop();
});

describe('project status as of a cycle', () => {
  it('loads 1,000 projects in the same few queries as one', { timeout: 60_000 }, async () => {
    const one = counting();
    const single = await loadProjectStatuses(one.db, settings, current, ids.slice(0, 1), NOW, { withOpenProblems: true });
    const many = counting();
    const all = await loadProjectStatuses(many.db, settings, current, ids, NOW, { withOpenProblems: true });
    expect(single.size).toBe(1);
    expect(all.size).toBe(N);
    expect(one.count()).toBeGreaterThan(0);
    expect(many.count()).toBe(one.count());
    expect(many.count()).toBeLessThanOrEqual(6);
  });

  it('counts the streak in the cycle’s own cadence and judges the light on it', async () => {
    const all = await loadProjectStatuses(db, settings, current, ids, NOW, { withOpenProblems: true });
    for (const [i, id] of ids.entries()) {
      const s = all.get(id)!;
      expect(s.missedStreak, `project ${i}`).toBe(missedStreak(pattern(i)));
      expect(s.light.light, `project ${i}`).toBe(i % 3 === 0 ? 'red' : i % 3 === 1 ? 'yellow' : 'none');
      expect(s.openProblems, `project ${i}`).toBe(i % 10 === 0 ? 1 : 0);
      expect(s.ytd).toEqual({ year: 2026, investment: '11000' });
    }
  });

  it('leaves the problem count out unless asked', async () => {
    const some = await loadProjectStatuses(db, settings, current, ids.slice(0, 3), NOW);
    expect([...some.values()].map((s) => s.openProblems)).toEqual([null, null, null]);
  });
});

describe('missed streak rule', () => {
  it('counts missed reports from the newest until the first filed one, up to the window', () => {
    expect(missedStreak([])).toBe(0);
    expect(missedStreak(['missed', 'missed', 'late', 'missed'])).toBe(2);
    expect(missedStreak(['reported', 'missed'])).toBe(0);
    expect(missedStreak(Array.from({ length: 20 }, () => 'missed' as const))).toBe(12);
  });
});
