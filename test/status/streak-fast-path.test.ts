// The close's fast paths against the plain rules on a seeded random history: the missed streak
// read from the newest cycles by key (with its fallback to a project's own history), the light
// stored at close, and the previous close's light, each compared with what the pure domain
// functions give from the whole history. The history has gaps (projects left out of cycles),
// late joiners, runs longer than the streak window and two interleaved cadences, so every branch
// of the fast path is taken.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/database.js';
import type { CycleKind, ReportStatus } from '../../src/db/schema.js';
import { parseConfig } from '../../src/config.js';
import { judgeLight, type Light } from '../../src/domain/lights.js';
import { missedStreak, STREAK_WINDOW } from '../../src/domain/streak.js';
import { missedStreaks, projectStreakRows, type StreakOf } from '../../src/status/project-status.js';
import { judgeAndStoreCycleLights, previousLights } from '../../src/escalation/lights.repository.js';
import { findCycle, type CycleRow } from '../../src/cycle/cycle.repository.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.js';
import { makeRegion } from '../helpers/factories.js';

const DAY = 24 * 3600 * 1000;
const PROJECTS = 80;
const WEEKS = 24;

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Cyc = { id: number; kind: CycleKind; dueAt: Date; state: 'open' | 'closed' };
type Row = { cycleId: number; projectId: number; status: ReportStatus };

let t: TestDatabase;
let db: Db;
let ids: number[] = [];
const cycles: Cyc[] = [];
const rows: Row[] = [];
let current: CycleRow;
const storedLights: { projectId: number; cycleId: number; light: Light }[] = [];

/** The rule on the whole history: statuses of the cycles that count, newest first, per project. */
function expectedStreaks(of: StreakOf): Map<number, number> {
  const counts = (c: Cyc) =>
    c.kind === of.kind && (c.state === 'closed' || c.id === of.includeCycleId) && c.id !== of.exceptCycleId && c.dueAt.getTime() <= of.before.getTime();
  const byId = new Map(cycles.map((c) => [c.id, c]));
  const lists = new Map<number, { due: number; status: ReportStatus }[]>();
  for (const r of rows) {
    const c = byId.get(r.cycleId)!;
    if (!counts(c)) continue;
    lists.set(r.projectId, [...(lists.get(r.projectId) ?? []), { due: c.dueAt.getTime(), status: r.status }]);
  }
  return new Map([...lists].map(([id, l]) => [id, missedStreak(l.sort((a, b) => b.due - a.due).map((x) => x.status))]));
}

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.db;
  const random = mulberry32(20261202);
  const regionId = await makeRegion(db);
  const projects = await db
    .insertInto('projects')
    .values(
      Array.from({ length: PROJECTS }, (_, i) => ({
        code: `SF${String(i).padStart(4, '0')}`,
        name: `快路项目${i}`,
        region_id: regionId,
        stage: '续建' as const,
        lists: ['在建项目'],
        dispatch_frequency: 'weekly' as const,
        total_investment: '100000',
        annual_plan: i % 9 === 0 ? '0' : '12000',
        planned_start: '2025-03-01',
        started: i % 7 !== 0,
        ytd_year: 2026,
        ytd_investment: String(Math.round(random() * 9000)),
        active: true,
        updated_by: 'test',
      })),
    )
    .returning('id')
    .execute();
  ids = projects.map((p) => p.id).sort((a, b) => a - b);
  // Weekly cycles W01..W24 closed and W25 open (being closed), with the monthly ones between them.
  const firstDue = new Date('2026-01-02T10:00:00Z').getTime();
  const specs: { kind: CycleKind; key: string; due: Date; state: 'open' | 'closed' }[] = [];
  for (let w = 1; w <= WEEKS + 1; w++) {
    specs.push({ kind: 'weekly', key: `2026-W${String(w).padStart(2, '0')}`, due: new Date(firstDue + (w - 1) * 7 * DAY), state: w <= WEEKS ? 'closed' : 'open' });
  }
  for (let m = 1; m <= 5; m++) specs.push({ kind: 'monthly', key: `2026-${String(m).padStart(2, '0')}`, due: new Date(Date.UTC(2026, m - 1, 27, 10)), state: 'closed' });
  // Inserted out of due order, so ids do not follow due times.
  specs.sort(() => random() - 0.5);
  for (const s of specs) {
    const c = await db
      .insertInto('cycles')
      .values({ kind: s.kind, period_key: s.key, open_at: new Date(s.due.getTime() - 4 * DAY), remind_at: new Date(s.due.getTime() - 2 * DAY), due_at: s.due, opened_at: new Date(s.due.getTime() - 4 * DAY), state: s.state, closed_at: s.state === 'closed' ? s.due : null })
      .returning(['id'])
      .executeTakeFirstOrThrow();
    cycles.push({ id: c.id, kind: s.kind, dueAt: s.due, state: s.state });
  }
  for (const [i, projectId] of ids.entries()) {
    // A fifth of the projects join late; a third skip cycles now and then; most miss a lot.
    const joins = i % 5 === 0 ? firstDue + (WEEKS - 4) * 7 * DAY : 0;
    const skips = i % 3 === 0 ? 0.3 : 0;
    const missRate = i % 4 === 0 ? 0.97 : 0.6;
    for (const c of cycles) {
      if (c.dueAt.getTime() < joins || random() < skips) continue;
      const status: ReportStatus = c.state === 'open' ? (random() < 0.5 ? 'missed' : 'reported') : random() < missRate ? 'missed' : random() < 0.5 ? 'late' : 'reported';
      rows.push({ cycleId: c.id, projectId, status });
    }
  }
  await db.insertInto('cycle_projects').values(rows.map((r) => ({ cycle_id: r.cycleId, project_id: r.projectId, owner_id: null, region_id: regionId, status: r.status }))).execute();
  // Lights stored at earlier weekly closes, not for every project at every close.
  for (const c of cycles.filter((x) => x.kind === 'weekly' && x.state === 'closed')) {
    for (const r of rows.filter((x) => x.cycleId === c.id)) {
      if (random() < 0.3) continue;
      storedLights.push({ projectId: r.projectId, cycleId: c.id, light: (['green', 'yellow', 'red', 'none'] as const)[Math.floor(random() * 4)] });
    }
  }
  await db
    .insertInto('project_lights')
    .values(storedLights.map((l) => ({ project_id: l.projectId, cycle_id: l.cycleId, preset: 'yinchuan', light: l.light, reasons: [], inputs: '{}', judged_at: new Date() })))
    .execute();
  current = (await findCycle(db, cycles.find((c) => c.state === 'open')!.id))!;
}, 120_000);

afterAll(async () => {
  await t?.drop();
});

describe('the close’s fast paths give what the plain rules give', () => {
  it('has runs longer than the window, gaps and late joiners in the fixture', () => {
    const all = expectedStreaks({ kind: 'weekly', before: current.due_at, includeCycleId: current.id });
    expect([...all.values()].some((n) => n === STREAK_WINDOW)).toBe(true);
    expect(new Set(all.values()).size).toBeGreaterThan(4);
    expect(all.size).toBe(PROJECTS);
  });

  it('counts the same missed streaks as the rule on the whole history, for every way a streak is asked', async () => {
    const asked: StreakOf[] = [
      { kind: 'weekly', before: current.open_at, exceptCycleId: current.id },
      { kind: 'weekly', before: current.due_at, includeCycleId: current.id },
      { kind: 'weekly', before: cycles.filter((c) => c.kind === 'weekly').sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())[5].dueAt },
      { kind: 'monthly', before: new Date('2026-12-31T00:00:00Z') },
      { kind: 'monthly', before: new Date('2025-12-31T00:00:00Z') },
    ];
    for (const of of asked) {
      const expected = expectedStreaks(of);
      expect(Object.fromEntries(await missedStreaks(db, of, ids)), JSON.stringify(of)).toEqual(Object.fromEntries(expected));
      // The per-project ranking the fast path falls back on agrees too.
      const ranked = new Map([...(await projectStreakRows(db, of, ids))].map(([id, list]) => [id, missedStreak(list)]));
      expect(Object.fromEntries(ranked), JSON.stringify(of)).toEqual(Object.fromEntries(expected));
      // A few projects at a time (the chat's and the callback's case) give the same.
      expect(Object.fromEntries(await missedStreaks(db, of, ids.slice(0, 3)))).toEqual(Object.fromEntries([...expected].filter(([id]) => ids.slice(0, 3).includes(id))));
    }
  });

  it('gives the light of the previous close as the newest stored light of the cadence', async () => {
    const byId = new Map(cycles.map((c) => [c.id, c]));
    const expected = new Map<number, Light>();
    const newest = new Map<number, number>();
    for (const l of storedLights) {
      const due = byId.get(l.cycleId)!.dueAt.getTime();
      if (due >= current.due_at.getTime()) continue;
      if (due > (newest.get(l.projectId) ?? -Infinity)) {
        newest.set(l.projectId, due);
        expected.set(l.projectId, l.light);
      }
    }
    expect(Object.fromEntries(await previousLights(db, current, ids))).toEqual(Object.fromEntries(expected));
  });

  it('stores at close the light the rule gives on the streak through the closing cycle', async () => {
    const settings = parseConfig({ LARK_APP_ID: 'cli_t', LARK_APP_SECRET: 's', LARK_VERIFICATION_TOKEN: 'v', DATABASE_URL: t.url, REDIS_URL: 'redis://127.0.0.1:6379' }).cycle;
    const now = new Date(current.due_at.getTime() + 5 * 60_000);
    const streaks = expectedStreaks({ kind: 'weekly', before: current.due_at, includeCycleId: current.id });
    const lights = await judgeAndStoreCycleLights(db, settings, current, now);
    expect(lights.map((l) => l.projectId).sort((a, b) => a - b)).toEqual(rows.filter((r) => r.cycleId === current.id).map((r) => r.projectId).sort((a, b) => a - b));
    for (const l of lights) {
      expect(l.facts.consecutiveMissed, `project ${l.projectId}`).toBe(streaks.get(l.projectId) ?? 0);
      const judged = judgeLight(l.facts, settings.thresholds);
      expect({ light: l.light, reasons: l.reasons }, `project ${l.projectId}`).toEqual({ light: judged.light, reasons: judged.reasons });
    }
    // What is stored is what was returned; a second run returns the stored record unchanged.
    const again = await judgeAndStoreCycleLights(db, settings, current, new Date(now.getTime() + DAY));
    expect(new Map(again.map((l) => [l.projectId, l]))).toEqual(new Map(lights.map((l) => [l.projectId, l])));
  });
});
