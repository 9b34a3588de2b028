// What the chat commands read: a person's open report slots (填报), projects with their light and
// latest figures (我的项目), and the problems that concern them (问题).
import type { Kysely } from 'kysely';
import type { CycleKind, Database } from '../db/schema.js';
import type { MyProjectRow } from '../cards/my-projects.card.js';
import { periodKeyFor, periodYear } from '../domain/period.js';
import { timeProgress } from '../domain/schedule-lag.js';
import type { LightRules as LightThresholds } from '../domain/lights.js';
import { localDay } from '../cards/format.js';
import { judgeStatusLight, missedStreaks } from '../status/project-status.js';
import { exemptionOf } from '../status/exemptions.js';
import { filableProjectIds } from '../registry/access.js';
import { listProblems, type ProblemRecord } from '../problems/problem.repository.js';
import { OPEN_STATUSES } from '../domain/problem-state.js';

type Q = Kysely<Database>;

export type OpenSlot = { cycleId: number; projectId: number; kind: CycleKind; periodKey: string; code: string; name: string };

/** (cycle, project) pairs in open cycles that the person files for and nobody has reported yet. */
export async function openSlots(db: Q, personId: number): Promise<OpenSlot[]> {
  const ids = await filableProjectIds(db, personId);
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('cycle_projects as cp')
    .innerJoin('cycles as c', 'c.id', 'cp.cycle_id')
    .innerJoin('projects as p', 'p.id', 'cp.project_id')
    .select(['cp.cycle_id', 'cp.project_id', 'c.kind', 'c.period_key', 'p.code', 'p.name'])
    .where('c.state', '=', 'open')
    .where('cp.status', '=', 'pending')
    .where('cp.project_id', 'in', ids)
    .orderBy('c.due_at')
    .orderBy('p.code')
    .execute();
  return rows.map((r) => ({ cycleId: r.cycle_id, projectId: r.project_id, kind: r.kind, periodKey: r.period_key, code: r.code, name: r.name }));
}

/** "我的项目": each project as of its latest report (or the registry), with what is still to file. */
export async function myProjectRows(db: Q, personId: number, opts: { now: Date; tz: string; thresholds: LightThresholds }): Promise<MyProjectRow[]> {
  const ids = await filableProjectIds(db, personId);
  if (ids.length === 0) return [];
  const asOfDay = localDay(opts.now, opts.tz);
  const [projects, latest, slots] = await Promise.all([
    db
      .selectFrom('projects')
      .select(['id', 'code', 'name', 'stage', 'annual_plan', 'ytd_year', 'ytd_investment', 'planned_start', 'started', 'started_on', 'registered'])
      .select((eb) => exemptionOf(eb.ref('projects.id'), asOfDay).as('exemption'))
      .where('id', 'in', ids)
      .orderBy('code')
      .execute(),
    db
      .selectFrom('reports as r')
      .innerJoin('cycles as c', 'c.id', 'r.cycle_id')
      .distinctOn('r.project_id')
      .select(['r.project_id', 'c.kind', 'c.period_key', 'r.period_investment', 'r.ytd_investment', 'r.started', 'r.registered'])
      .where('r.project_id', 'in', ids)
      .orderBy('r.project_id')
      .orderBy('c.due_at', 'desc')
      .orderBy('r.submitted_at', 'desc')
      .execute(),
    openSlots(db, personId),
  ]);
  const latestBy = new Map(latest.map((r) => [r.project_id, r]));
  const thisMonth = periodKeyFor('monthly', opts.now, opts.tz);
  const year = periodYear('monthly', thisMonth);
  // Each project is judged on the cadence of its latest report this year (monthly without one),
  // with that cadence's missed streak (domain/streak.ts): one streak query per cadence.
  const judgedKind = (id: number): CycleKind => {
    const last = latestBy.get(id);
    return last && periodYear(last.kind, last.period_key) === year ? last.kind : 'monthly';
  };
  const [weeklyStreaks, monthlyStreaks] = await Promise.all(
    (['weekly', 'monthly'] as const).map((kind) => missedStreaks(db, { kind, before: opts.now }, projects.filter((p) => judgedKind(p.id) === kind).map((p) => p.id))),
  );
  const rows: MyProjectRow[] = [];
  for (const p of projects) {
    const last = latestBy.get(p.id);
    const lastThisYear = last && periodYear(last.kind, last.period_key) === year ? last : undefined;
    // Judged as of the latest report this year; without one, as of this month with the registry's figure.
    const ytd = lastThisYear ? lastThisYear.ytd_investment : p.ytd_year === year ? p.ytd_investment : null;
    const streaks = judgedKind(p.id) === 'weekly' ? weeklyStreaks : monthlyStreaks;
    const judged = judgeStatusLight(
      {
        ytd,
        annualPlan: p.annual_plan,
        timeProgress: lastThisYear ? timeProgress(lastThisYear.kind, lastThisYear.period_key) : timeProgress('monthly', thisMonth),
        plannedStart: p.planned_start,
        started: last?.started ?? p.started,
        startedOn: p.started_on,
        registered: last?.registered ?? p.registered,
        asOfDay,
        consecutiveMissed: streaks.get(p.id) ?? 0,
        exemption: p.exemption,
      },
      opts.thresholds,
    );
    rows.push({
      projectId: p.id,
      code: p.code,
      name: p.name,
      stage: p.stage,
      light: { light: judged.light, reasons: judged.reasons },
      annualPlan: p.annual_plan,
      ytd: ytd === null ? null : { year, investment: ytd },
      last: last ? { kind: last.kind, periodKey: last.period_key, periodInvestment: last.period_investment } : null,
      pending: slots.filter((s) => s.projectId === p.id).map((s) => ({ cycleId: s.cycleId, kind: s.kind, periodKey: s.periodKey })),
    });
  }
  return rows;
}

/** Open problems of the person's projects and of the departments they are the contact for. */
export async function myOpenProblems(db: Q, personId: number): Promise<ProblemRecord[]> {
  const projectIds = await filableProjectIds(db, personId);
  return listProblems(db, { statuses: OPEN_STATUSES, projectIds, departmentContactId: personId });
}
