// A project exempted from the lights (豁免) is judged 'none' at the close, with the exemption as
// its reason. Its live status — the report card's light (the status loader), 我的项目, and the
// summary after filing — must say the same, not the light the exemption suspends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { Db } from '../../src/db/database.js';
import type { CycleRow } from '../../src/cycle/cycle.repository.js';
import { addExemption, judgeAndStoreCycleLights, removeExemption } from '../../src/escalation/lights.repository.js';
import { loadProjectStatuses, type StatusCycle } from '../../src/status/project-status.js';
import { myProjectRows } from '../../src/chat/chat.queries.js';
import { loadFilingContext } from '../../src/submission/filing.repository.js';
import { readSubmission } from '../../src/submission/filing.read.js';
import { summarizeReport } from '../../src/submission/report-summary.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.js';
import { makePerson, makeProject } from '../helpers/factories.js';

const at = (local: string): Date => new Date(`${local}:00+08:00`);
const DAY = 24 * 3600 * 1000;
const NOW = at('2026-11-21T10:00');

let t: TestDatabase;
let db: Db;
let settings: ReturnType<typeof parseConfig>['cycle'];
let owner: { id: number };
let exempted: { id: number; code: string };
let other: { id: number; code: string };
let october: CycleRow;
let november: CycleRow;

async function addCycle(key: string, due: string, state: 'open' | 'closed'): Promise<CycleRow> {
  const dueAt = at(due);
  return db
    .insertInto('cycles')
    .values({ kind: 'monthly', period_key: key, open_at: new Date(dueAt.getTime() - 5 * DAY), remind_at: new Date(dueAt.getTime() - 2 * DAY), due_at: dueAt, opened_at: new Date(dueAt.getTime() - 5 * DAY), state })
    .returningAll()
    .executeTakeFirstOrThrow();
}

const asOf = (c: CycleRow): StatusCycle => ({ id: c.id, kind: c.kind, periodKey: c.period_key, dueAt: c.due_at, openAt: c.open_at });

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.db;
  settings = parseConfig({ LARK_APP_ID: 'cli_t', LARK_APP_SECRET: 's', LARK_VERIFICATION_TOKEN: 'v', DATABASE_URL: t.url, REDIS_URL: 'redis://127.0.0.1:6379' }).cycle;
  owner = await makePerson(db, { name: '豁免负责人' });
  // Two projects alike, both missing September and October (red by the streak); one exempted.
  exempted = await makeProject(db, { name: '冬季停工项目', frequency: 'monthly', ownerId: owner.id });
  other = await makeProject(db, { name: '照常评灯项目', frequency: 'monthly', ownerId: owner.id });
  const september = await addCycle('2026-09', '2026-09-25T18:00', 'closed');
  october = await addCycle('2026-10', '2026-10-26T18:00', 'closed');
  november = await addCycle('2026-11', '2026-11-25T18:00', 'open');
  const { region_id: regionId } = await db.selectFrom('projects').select('region_id').where('id', '=', exempted.id).executeTakeFirstOrThrow();
  for (const [c, status] of [[september, 'missed'], [october, 'missed'], [november, 'pending']] as const) {
    await db.insertInto('cycle_projects').values([exempted, other].map((p) => ({ cycle_id: c.id, project_id: p.id, owner_id: owner.id, region_id: regionId, status }))).execute();
  }
  await addExemption(db, { code: exempted.code, reason: '冬季停工', until: '2027-03-01', actor: 'test' });
}, 60_000);

afterAll(async () => {
  await t?.drop();
});

describe('an exempted project', () => {
  it('shows the light stored at the close on its report card, in 我的项目 and in the summary after filing', async () => {
    const stored = new Map((await judgeAndStoreCycleLights(db, settings, october, NOW)).map((l) => [l.projectId, l]));
    expect(stored.get(exempted.id)?.light).toBe('none');
    expect(stored.get(other.id)?.light).toBe('red');
    const exemptReasons = stored.get(exempted.id)!.reasons;
    expect(exemptReasons.join()).toContain('冬季停工');

    const statuses = await loadProjectStatuses(db, settings, asOf(november), [exempted.id, other.id], NOW);
    expect(statuses.get(exempted.id)?.light).toMatchObject({ light: 'none', reasons: exemptReasons });
    expect(statuses.get(other.id)?.light.light).toBe('red');

    const rows = new Map((await myProjectRows(db, owner.id, { now: NOW, tz: settings.tz, thresholds: settings.thresholds })).map((r) => [r.projectId, r]));
    expect(rows.get(exempted.id)?.light).toEqual({ light: 'none', reasons: exemptReasons });
    expect(rows.get(other.id)?.light.light).toBe('red');

    // The summary after filing reads the exemption with the filing context, on both read paths.
    const ctx = (await loadFilingContext(db, exempted.id, november.id))!;
    const read = await readSubmission(db, { eventKey: 'card:exemption-test', operator: { personId: owner.id }, projectId: exempted.id, cycleId: november.id });
    expect(read.ctx?.exemption).toEqual(ctx.exemption);
    // Behind 序时进度 by far: yellow or red, were it judged.
    const summary = summarizeReport({
      kind: 'monthly', periodKey: '2026-11', periodInvestment: '10', ytd: '10', annualPlan: '12000', started: true, startedOn: null, registered: true, plannedStart: '2024-03-01',
      asOfDay: '2026-11-21', exemption: ctx.exemption, revision: 1, late: false, noChange: false, thresholds: settings.thresholds,
    });
    expect(summary.light).toBe('none');
    expect(summary.lightReasons).toEqual(exemptReasons);
    expect((await loadFilingContext(db, other.id, november.id))!.exemption).toBeNull();
  });

  it('is judged again once the exemption is removed or over', async () => {
    const row = await db.selectFrom('light_exemptions').select('id').where('project_id', '=', exempted.id).executeTakeFirstOrThrow();
    const afterEnd = at('2027-03-02T10:00');
    expect((await loadProjectStatuses(db, settings, asOf(november), [exempted.id], afterEnd)).get(exempted.id)?.light.light).toBe('red');
    expect(await removeExemption(db, row.id, 'test', NOW)).toBe(true);
    expect((await loadProjectStatuses(db, settings, asOf(november), [exempted.id], NOW)).get(exempted.id)?.light.light).toBe('red');
    const rows = await myProjectRows(db, owner.id, { now: NOW, tz: settings.tz, thresholds: settings.thresholds });
    expect(rows.find((r) => r.projectId === exempted.id)?.light.light).toBe('red');
  });
});
