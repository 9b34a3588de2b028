// "A project's status as of a cycle": its light, lag against 序时进度, year-to-date, missed
// streak and open problems — loaded for any number of projects in a fixed number of queries
// (projects, three report lookups for the year-to-date basis, one streak query, and one problem
// count when asked for), whatever the number of projects. Every place that shows a light reads it from here:
// the report cards (cycle/report-card.data.ts), the chat's 我的项目 (chat/chat.queries.ts) and
// the summary after filing (submission/report-summary.ts), and next escalation and league tables.
//
// judgeStatusLight is the one call of the light rule: to judge by other rules (the escalation
// presets), change it there.
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Database, Project } from '../db/schema.js';
import type { CycleKind, ReportStatus } from '../domain/vocabulary.js';
import { periodYear, previousPeriodKey } from '../domain/period.js';
import { completionRate, lagPoints, timeProgress, type LightInput, type LightResult } from '../domain/schedule-lag.js';
import { light, type LightRules as LightThresholds } from '../domain/lights.js';
import { missedStreak, STREAK_WINDOW } from '../domain/streak.js';
import { OPEN_STATUSES } from '../domain/problem-state.js';
import { localDay } from '../cards/format.js';
import { knownYtdBefore, loadBases, ytdChainOf, type CycleBasis } from './ytd-basis.js';

type Q = Kysely<Database>;

/** The cycle a status is taken as of. */
export type StatusCycle = { id: number; kind: CycleKind; periodKey: string; dueAt: Date; openAt: Date };

/** The light's facts without thresholds; the thresholds come from the configuration. */
export type LightFacts = Omit<LightInput, 'thresholds'>;

/** The one place the light is judged (see the file comment). */
export function judgeStatusLight(facts: LightFacts, thresholds: LightThresholds): LightResult {
  const judged = light({ ...facts, thresholds });
  const rate = facts.ytd === null ? null : completionRate(facts.ytd, facts.annualPlan);
  // Cards speak of points behind 序时进度 whatever measure the preset judges by.
  return { light: judged.light, reasons: judged.reasons, completionRate: rate, lagPoints: rate ? lagPoints(facts.timeProgress, rate).toDecimalPlaces(1) : null };
}

/**
 * Missed streaks (domain/streak.ts) of `projectIds` in closed `kind` cycles due by `before`,
 * leaving out `exceptCycleId` (and counting `includeCycleId` as closed); one query for all of them.
 */
export async function missedStreaks(
  db: Q,
  of: { kind: CycleKind; before: Date; exceptCycleId?: number; includeCycleId?: number },
  projectIds: readonly number[],
): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (projectIds.length === 0) return out;
  const rows = await db
    .selectFrom((eb) =>
      eb
        .selectFrom('cycle_projects as cp')
        .innerJoin('cycles as c', 'c.id', 'cp.cycle_id')
        .select(['cp.project_id', 'cp.status', sql<string>`row_number() over (partition by cp.project_id order by c.due_at desc)`.as('rn')])
        .where('cp.project_id', 'in', [...projectIds])
        .where('c.kind', '=', of.kind)
        // A cycle being closed counts as closed for its own streak (the close's judgement of it).
        .where((w) => (of.includeCycleId === undefined ? w('c.state', '=', 'closed') : w.or([w('c.state', '=', 'closed'), w('c.id', '=', of.includeCycleId)])))
        .$if(of.exceptCycleId !== undefined, (qb) => qb.where('c.id', '!=', of.exceptCycleId!))
        .where('c.due_at', '<=', of.before)
        .as('t'),
    )
    .select(['t.project_id', 't.status'])
    .where(sql<boolean>`t.rn <= ${STREAK_WINDOW}`)
    .orderBy('t.project_id')
    .orderBy(sql`t.rn`)
    .execute();
  const statuses = new Map<number, ReportStatus[]>();
  for (const r of rows) {
    const list = statuses.get(r.project_id) ?? [];
    list.push(r.status);
    statuses.set(r.project_id, list);
  }
  for (const [id, list] of statuses) out.set(id, missedStreak(list));
  return out;
}

/** Open problems per project (states in domain/problem-state.ts OPEN_STATUSES); one query. */
export async function openProblemCounts(db: Q, projectIds: readonly number[]): Promise<Map<number, number>> {
  if (projectIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('problems')
    .select(['project_id', (eb) => eb.fn.countAll<string>().as('n')])
    .where('project_id', 'in', [...projectIds])
    .where('status', 'in', [...OPEN_STATUSES])
    .groupBy('project_id')
    .execute();
  return new Map(rows.map((r) => [r.project_id, Number(r.n)]));
}

export type StatusProject = Pick<
  Project,
  'id' | 'code' | 'name' | 'stage' | 'started' | 'completed' | 'registered' | 'annual_plan' | 'planned_start' | 'ytd_year' | 'ytd_investment'
>;

export type ProjectStatus = {
  project: StatusProject;
  /** Where this cycle sits among the project's reports (ytd-basis.ts). */
  basis: CycleBasis;
  /** The year-to-date this cycle's report adds to, 万元, or null when nothing is known this year. */
  ytd: { year: number; investment: string | null };
  light: LightResult;
  missedStreak: number;
  /** Open problems of the project; null unless asked for (withOpenProblems), as cards do not show them. */
  openProblems: number | null;
};

/**
 * Status of each of `projectIds` as of `cycle`, judged on the local day of `now`; projects not
 * found are left out. The light is judged against the cadence's own chain: last period's
 * year-to-date as of the period before this one, the streak of this cadence before this cycle.
 */
export async function loadProjectStatuses(
  db: Q,
  settings: { tz: string; thresholds: LightThresholds },
  cycle: StatusCycle,
  projectIds: readonly number[],
  now: Date,
  opts: { withOpenProblems?: boolean } = {},
): Promise<Map<number, ProjectStatus>> {
  const out = new Map<number, ProjectStatus>();
  if (projectIds.length === 0) return out;
  const ids = [...projectIds];
  const [projects, bases, streaks, problems] = await Promise.all([
    db
      .selectFrom('projects')
      .select(['id', 'code', 'name', 'stage', 'started', 'completed', 'registered', 'annual_plan', 'planned_start', 'ytd_year', 'ytd_investment'])
      .where('id', 'in', ids)
      .execute(),
    loadBases(db, cycle, ids),
    missedStreaks(db, { kind: cycle.kind, before: cycle.openAt, exceptCycleId: cycle.id }, ids),
    opts.withOpenProblems ? openProblemCounts(db, ids) : undefined,
  ]);
  const year = periodYear(cycle.kind, cycle.periodKey);
  const asOfDay = localDay(now, settings.tz);
  for (const p of projects) {
    const basis = bases.get(p.id)!;
    // Only the chain of this cycle's cadence and year: a weekly and a monthly chain count the
    // same money, so the other cadence's cumulative is not what this period adds to.
    const previous = basis.previousSameKind;
    const ytd = knownYtdBefore(ytdChainOf({ year, project: p, previousSameKind: previous, existing: basis.current }));
    // The cumulative stands as of the chain's last period; the registry's figure (or a
    // correction's own base) as of the period before this one.
    const asOfKey = previous?.periodKey ?? previousPeriodKey(cycle.kind, cycle.periodKey);
    const streak = streaks.get(p.id) ?? 0;
    const judged = judgeStatusLight(
      {
        ytd,
        annualPlan: p.annual_plan,
        timeProgress: timeProgress(cycle.kind, asOfKey),
        plannedStart: p.planned_start,
        started: basis.latestBefore?.started ?? p.started,
        asOfDay,
        consecutiveMissed: streak,
      },
      settings.thresholds,
    );
    out.set(p.id, { project: p, basis, ytd: { year, investment: ytd }, light: judged, missedStreak: streak, openProblems: problems ? (problems.get(p.id) ?? 0) : null });
  }
  return out;
}
