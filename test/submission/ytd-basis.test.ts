// The filing basis against Postgres, for a registry of projects reporting in both cadences across
// a year boundary: the batched loader narrows what it reads yet places every cycle exactly as
// the project's whole history does; the report card data agrees with the store's basis for every
// (project, cycle); and a fan-out costs the same few queries for six projects as for one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyPlugin } from 'kysely';
import type { Db } from '../../src/db/database.js';
import type { CycleKind } from '../../src/db/schema.js';
import { parseConfig } from '../../src/config.js';
import { cycleSettings } from '../../src/cycle/cycle-config.js';
import type { CycleRow } from '../../src/cycle/cycle.repository.js';
import { loadReportCardInputs } from '../../src/cycle/report-card.data.js';
import { loadFilingContext } from '../../src/submission/filing.repository.js';
import { filingBasis } from '../../src/submission/filing-basis.js';
import { loadBases, loadChainBases, neighbours, reportRefs, toReportRef, type BasisCycle, type ReportRef } from '../../src/status/ytd-basis.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.js';
import { testRedisUrl } from '../helpers/services.js';
import { makePerson, makeProject } from '../helpers/factories.js';

const at = (local: string): Date => new Date(`${local}:00+08:00`);
const DAY = 24 * 3600 * 1000;

// Due times; a weekly and a monthly cycle share one (2026-10-23 18:00) on purpose: neither is
// "before" the other.
const CYCLES: [CycleKind, string, string][] = [
  ['monthly', '2025-11', '2025-11-25T18:00'],
  ['weekly', '2025-W52', '2025-12-26T18:00'],
  ['monthly', '2025-12', '2025-12-25T18:00'],
  ['weekly', '2026-W01', '2026-01-02T18:00'],
  ['monthly', '2026-01', '2026-01-26T18:00'],
  ['weekly', '2026-W40', '2026-10-02T18:00'],
  ['monthly', '2026-09', '2026-09-25T18:00'],
  ['weekly', '2026-W42', '2026-10-16T18:00'],
  ['weekly', '2026-W43', '2026-10-23T18:00'],
  ['monthly', '2026-10', '2026-10-23T18:00'],
  ['weekly', '2026-W47', '2026-11-20T18:00'],
  ['monthly', '2026-11', '2026-11-25T18:00'],
  ['weekly', '2026-W48', '2026-11-27T18:00'],
];

let testDb: TestDatabase;
let db: Db;
const projectIds: number[] = [];
const cycles: CycleRow[] = [];
const settings = cycleSettings(
  parseConfig({ NODE_ENV: 'test', LARK_APP_ID: 'cli_basis', LARK_APP_SECRET: 's', LARK_VERIFICATION_TOKEN: 't', DATABASE_URL: 'postgres://unused/x', REDIS_URL: testRedisUrl() }),
);

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = testDb.db;
  const owner = await makePerson(db);
  // The registry's year-to-date: for 2026, for last year, or none.
  const registry: [number | null, string][] = [[2026, '3700'], [2026, '0'], [2025, '8800'], [null, '0'], [2026, '1250.5'], [2026, '500']];
  for (const [year, ytd] of registry) {
    const p = await makeProject(db, { ownerId: owner.id, frequency: 'weekly', annualPlan: '6000' });
    await db.updateTable('projects').set({ ytd_year: year, ytd_investment: ytd }).where('id', '=', p.id).execute();
    projectIds.push(p.id);
  }
  for (const [kind, key, due] of CYCLES) {
    const dueAt = at(due);
    const row = await db
      .insertInto('cycles')
      .values({ kind, period_key: key, open_at: new Date(dueAt.getTime() - 4 * DAY), remind_at: new Date(dueAt.getTime() - 2 * DAY), due_at: dueAt, opened_at: new Date(dueAt.getTime() - 4 * DAY) })
      .returningAll()
      .executeTakeFirstOrThrow();
    cycles.push(row);
  }
  // A sparse, uneven history: each project misses different cycles; the last project has none.
  for (const [i, projectId] of projectIds.slice(0, -1).entries()) {
    for (const [j, c] of cycles.entries()) {
      if ((i + 2 * j) % 3 === 0) continue;
      await db
        .insertInto('reports')
        .values({
          cycle_id: c.id,
          project_id: projectId,
          period_investment: String(100 * (j + 1)),
          ytd_investment: String(1000 * (i + 1) + 10 * j),
          stage: '续建',
          started: j % 2 === 0,
          completed: false,
          registered: false,
          progress: `p${i}-${c.period_key}`,
          submitted_by: owner.id,
          // W43 and October share due and submission time: for every later cycle the latest
          // report before it is a tie, which the loader and neighbours() must break alike.
          submitted_at: new Date(c.due_at.getTime() - DAY + (j === 8 || j === 9 ? 0 : i * 60_000)),
          via: 'card',
          source_message_id: null,
          source_event_id: null,
        })
        .execute();
    }
  }
}, 60_000);

afterAll(async () => {
  await testDb?.drop();
});

const basisCycle = (c: CycleRow): BasisCycle => ({ id: c.id, kind: c.kind, periodKey: c.period_key, dueAt: c.due_at });

/** Every report the project ever had: the input the narrowed loader must be equivalent to. */
async function fullHistory(projectId: number): Promise<ReportRef[]> {
  return (await reportRefs(db, [projectId]).execute()).map(toReportRef);
}

/** The database handle with a count of the statements run through it. */
function counting(): { db: Db; count: () => number } {
  let n = 0;
  const plugin: KyselyPlugin = {
    // Counted per executed statement: transformQuery also runs for every subquery a statement holds.
    transformQuery: (args) => args.node,
    transformResult: async (args) => {
      n++;
      return args.result;
    },
  };
  return { db: db.withPlugin(plugin), count: () => n };
}

describe('loadBases', () => {
  it('places every cycle among a batch of projects as the whole history of each does', async () => {
    for (const c of cycles) {
      const bases = await loadBases(db, basisCycle(c), projectIds);
      expect([...bases.keys()].sort()).toEqual([...projectIds].sort());
      for (const projectId of projectIds) {
        const all = await fullHistory(projectId);
        expect(bases.get(projectId), `project ${projectId}, cycle ${c.period_key}`).toEqual({
          ...neighbours(all, basisCycle(c)),
          current: all.find((r) => r.cycleId === c.id),
        });
      }
    }
  });
});

describe('loadChainBases', () => {
  it('gives the amounts of the chain\'s previous report and of the cycle\'s own as the whole history of each project does', async () => {
    for (const c of cycles) {
      const bases = await loadChainBases(db, basisCycle(c), projectIds);
      expect([...bases.keys()].sort()).toEqual([...projectIds].sort());
      for (const projectId of projectIds) {
        const all = await fullHistory(projectId);
        const previous = neighbours(all, basisCycle(c)).previousSameKind;
        const current = all.find((r) => r.cycleId === c.id);
        expect(bases.get(projectId), `project ${projectId}, cycle ${c.period_key}`).toEqual({
          previousSameKind: previous && { ytd: previous.ytd },
          current: current && { periodInvestment: current.periodInvestment, ytd: current.ytd },
        });
      }
    }
  });
});

describe('loadReportCardInputs', () => {
  it('shows, for every project and cycle, the basis the store files against', async () => {
    for (const c of cycles) {
      const inputs = await loadReportCardInputs(db, settings, c, projectIds, at('2026-11-28T10:00'));
      for (const projectId of projectIds) {
        const input = inputs.get(projectId)!;
        const ctx = (await loadFilingContext(db, projectId, c.id))!;
        const where = `project ${projectId}, cycle ${c.period_key}`;
        // Nothing known shows as 暂无; the store then starts from 0.
        expect(input.ytd.investment ?? '0', where).toBe(filingBasis(ctx).ytdBase);
        expect(input.ytd.year, where).toBe(ctx.year);
        expect(input.previousSameKind?.periodKey ?? null, where).toBe(ctx.previousSameKind?.periodKey ?? null);
        expect(input.latest?.periodKey ?? null, where).toBe(ctx.latestBefore?.periodKey ?? null);
      }
    }
  });

  it('takes the same few queries for a fan-out of six projects as for one', async () => {
    const c = cycles.find((x) => x.period_key === '2026-11')!;
    const one = counting();
    await loadReportCardInputs(one.db, settings, c, projectIds.slice(0, 1), at('2026-11-28T10:00'));
    const six = counting();
    const inputs = await loadReportCardInputs(six.db, settings, c, projectIds, at('2026-11-28T10:00'));
    expect(inputs.size).toBe(6);
    expect(one.count()).toBeGreaterThan(0);
    expect(six.count()).toBe(one.count());
    expect(six.count()).toBeLessThanOrEqual(6);
  });
});
