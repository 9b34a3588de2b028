// Three filing rules against Postgres, through submitReport itself:
// - the year-to-date seed (projects.ytd_*) is the sheet's figure or the latest monthly total,
//   never a weekly running total, so the first monthly report of a year is not double-counted;
// - late is decided by the clock (due_at), not by whether the close job has run yet, and a
//   missed row that then gets a report becomes 'late', never 'reported';
// - a second identical 提交 (a new event) stores no new revision.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_FIELDS as F } from '../../src/cards/card-actions.js';
import { createCycleWithCoverage, markReported } from '../../src/cycle/cycle.repository.js';
import type { CycleKind, Person } from '../../src/db/schema.js';
import { loadFilingContext } from '../../src/submission/filing.repository.js';
import { filingBasis } from '../../src/submission/filing-basis.js';
import { submitReport } from '../../src/submission/report.service.js';
import { addPerson, addProject, cardText, closeCycle, grant, reportForm, shanghai, startScenario, type Scenario } from './scenario.js';

let h: Scenario;
let owner: Person;
let admin: Person;
const p: Record<'weekly' | 'january' | 'late' | 'missed' | 'dup', number> = { weekly: 0, january: 0, late: 0, missed: 0, dup: 0 };
const c: Record<string, number> = {};

/** A cycle opened four days before and reminded two days before its due time. */
async function cycle(kind: CycleKind, periodKey: string, dueLocal: string): Promise<number> {
  const due = shanghai(dueLocal);
  const open = new Date(due.getTime() - 4 * 86_400_000);
  const { cycle: row } = await createCycleWithCoverage(h.ctx.db, {
    kind, periodKey, openAt: open, remindAt: new Date(due.getTime() - 2 * 86_400_000), dueAt: due, openedAt: open,
  });
  return row.id;
}

const submit = (who: Person, projectId: number, cycleId: number, form: Record<string, string>) =>
  submitReport(h.ctx, { eventId: randomUUID(), messageId: null, operator: who }, { projectId, cycleId }, form, 'submit');

const report = (projectId: number, cycleId: number) =>
  h.ctx.db.selectFrom('reports').selectAll().where('project_id', '=', projectId).where('cycle_id', '=', cycleId).executeTakeFirstOrThrow();

const status = async (projectId: number, cycleId: number) =>
  (await h.ctx.db.selectFrom('cycle_projects').select('status').where('project_id', '=', projectId).where('cycle_id', '=', cycleId).executeTakeFirstOrThrow()).status;

const registry = (projectId: number) =>
  h.ctx.db.selectFrom('projects').select(['ytd_investment', 'ytd_year']).where('id', '=', projectId).executeTakeFirstOrThrow();

beforeAll(async () => {
  h = await startScenario('2026-10-01T10:00');
  const db = h.ctx.db;
  const o = await addPerson(h, '杜磊秀');
  const a = await addPerson(h, '项目中心老李');
  await grant(db, a.id, 'admin');
  owner = await db.selectFrom('people').selectAll().where('id', '=', o.id).executeTakeFirstOrThrow();
  admin = await db.selectFrom('people').selectAll().where('id', '=', a.id).executeTakeFirstOrThrow();
  // Registry seed 3,700 for 2026 (addProject), all weekly projects: in weekly and monthly cycles.
  for (const k of Object.keys(p) as (keyof typeof p)[]) {
    p[k] = (await addProject(db, { name: `项目${k}`, ownerId: owner.id, frequency: 'weekly' })).id;
  }
  c.w41 = await cycle('weekly', '2026-W41', '2026-10-09T18:00');
  c.w42 = await cycle('weekly', '2026-W42', '2026-10-16T18:00');
  c.m10 = await cycle('monthly', '2026-10', '2026-10-26T18:00');
  c.m11 = await cycle('monthly', '2026-11', '2026-11-25T18:00');
  c.w01 = await cycle('weekly', '2027-W01', '2027-01-08T18:00');
  c.w02 = await cycle('weekly', '2027-W02', '2027-01-15T18:00');
  c.w03 = await cycle('weekly', '2027-W03', '2027-01-22T18:00');
  c.m01 = await cycle('monthly', '2027-01', '2027-01-26T18:00');
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

describe('year-to-date: weekly money is not the base of the monthly chain', () => {
  it('starts the first monthly report of the year from the registry seed, not from the weekly running total', async () => {
    h.clock.set('2026-10-08T10:00');
    expect((await submit(owner, p.weekly, c.w41, reportForm({ [F.periodInvestment]: '200' }))).toast?.type).toBe('success');
    h.clock.set('2026-10-15T10:00');
    expect((await submit(owner, p.weekly, c.w42, reportForm({ [F.periodInvestment]: '300' }))).toast?.type).toBe('success');
    expect(Number((await report(p.weekly, c.w42)).ytd_investment)).toBe(4200);
    // The weekly chain did not move the seed.
    expect(Number((await registry(p.weekly)).ytd_investment)).toBe(3700);

    h.clock.set('2026-10-24T10:00');
    const ctx = (await loadFilingContext(h.ctx.db, p.weekly, c.m10))!;
    expect(Number(filingBasis(ctx).ytdBase)).toBe(3700);
    expect((await submit(owner, p.weekly, c.m10, reportForm({ [F.periodInvestment]: '500' }))).toast?.type).toBe('success');
    expect(Number((await report(p.weekly, c.m10)).ytd_investment)).toBe(4200);
    // The monthly total is the registry's figure from now on.
    expect(await registry(p.weekly)).toMatchObject({ ytd_year: 2026 });
    expect(Number((await registry(p.weekly)).ytd_investment)).toBe(4200);
  });

  it('in January, starts the monthly chain from 0 after weekly reports W01–W03 (the seed is last year)', async () => {
    for (const [cycleId, day] of [[c.w01, '2027-01-07'], [c.w02, '2027-01-14'], [c.w03, '2027-01-21']] as const) {
      h.clock.set(`${day}T10:00`);
      expect((await submit(owner, p.january, cycleId, reportForm({ [F.periodInvestment]: '100' }))).toast?.type).toBe('success');
    }
    expect(Number((await report(p.january, c.w03)).ytd_investment)).toBe(300);
    expect((await registry(p.january)).ytd_year).toBe(2026);

    h.clock.set('2027-01-25T10:00');
    const ctx = (await loadFilingContext(h.ctx.db, p.january, c.m01))!;
    expect(Number(filingBasis(ctx).ytdBase)).toBe(0);
    expect((await submit(owner, p.january, c.m01, reportForm({ [F.periodInvestment]: '400' }))).toast?.type).toBe('success');
    expect(Number((await report(p.january, c.m01)).ytd_investment)).toBe(400);
    expect(await registry(p.january)).toMatchObject({ ytd_year: 2027 });
  });
});

describe('late is decided by the clock', () => {
  it('counts a submission after due_at as late while the cycle is still open, and refuses an owner correction then', async () => {
    h.clock.set('2026-11-25T19:00'); // due 18:00, the close job has not run
    const first = await submit(owner, p.late, c.m11, reportForm({ [F.periodInvestment]: '500' }));
    expect(first.toast).toEqual({ type: 'success', content: '已补报（记为迟报）' });
    expect((await report(p.late, c.m11)).late).toBe(true);
    expect(await status(p.late, c.m11)).toBe('late');

    const byOwner = await submit(owner, p.late, c.m11, reportForm({ [F.periodInvestment]: '600' }));
    expect(byOwner.toast?.type).toBe('error');
    expect(byOwner.toast?.content).toContain('管理员');
    expect(Number((await report(p.late, c.m11)).period_investment)).toBe(500);

    const byAdmin = await submit(admin, p.late, c.m11, reportForm({ [F.periodInvestment]: '600' }));
    expect(byAdmin.toast).toEqual({ type: 'success', content: '已更正' });
    expect(await report(p.late, c.m11)).toMatchObject({ revision: 2, late: true });
  });

  it('makes a missed row late, never reported, when a report raced the close', async () => {
    await closeCycle(h.ctx.db, c.w41, shanghai('2026-10-10T09:00'));
    expect(await status(p.missed, c.w41)).toBe('missed');
    expect(await markReported(h.ctx.db, c.w41, p.missed, shanghai('2026-10-10T09:00'), false)).toBe(true);
    expect(await status(p.missed, c.w41)).toBe('late');
  });
});

describe('an identical second 提交', () => {
  it('stores no new revision and answers with the current summary', async () => {
    h.clock.set('2026-10-24T11:00');
    const form = reportForm({ [F.periodInvestment]: '250', [F.progress]: '主体施工' });
    expect((await submit(owner, p.dup, c.m10, form)).toast).toEqual({ type: 'success', content: '已提交' });
    const again = await submit(owner, p.dup, c.m10, { ...form, [F.periodInvestment]: '250.00' });
    expect(again.toast).toEqual({ type: 'info', content: '内容与已提交的一致，未产生新版本' });
    expect(cardText(again.card)).toContain('主体施工');
    expect((await report(p.dup, c.m10)).revision).toBe(1);
    const revisions = await h.ctx.db.selectFrom('report_revisions').select('revision').where('project_id', '=', p.dup).where('cycle_id', '=', c.m10).execute();
    expect(revisions).toHaveLength(1);

    // A real change is still a correction.
    const changed = await submit(owner, p.dup, c.m10, { ...form, [F.progress]: '二次结构施工' });
    expect(changed.toast).toEqual({ type: 'success', content: '已更正' });
    expect((await report(p.dup, c.m10)).revision).toBe(2);
  });
});
