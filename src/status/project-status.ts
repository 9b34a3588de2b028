// "A project's status as of a cycle": its light, lag against 序时进度, year-to-date, missed
// streak and open problems — loaded for any number of projects in a fixed number of queries
// (projects, three report lookups for the year-to-date basis, one streak query, and one problem
// count when asked for), whatever the number of projects. Every place that shows a light reads it from here:
// the report cards (cycle/report-card.data.ts), the chat's 我的项目 (chat/chat.queries.ts) and
// the summary after filing (submission/report-summary.ts), and next escalation and league tables.
//
// judgeStatusLight is the one call of the light rule: to judge by other rules (the escalation
// presets), change it there. An exemption (status/exemptions.ts) is judged here as at the close,
// so an exempted project shows no light on its cards while the lights stored for it are 'none'.
import { sql } from 'kysely';
import type { Kysely, QueryCreator } from 'kysely';
import type { Database, Project } from '../db/schema.js';
import type { CycleKind, ReportStatus } from '../domain/vocabulary.js';
import { periodYear, previousPeriodKey } from '../domain/period.js';
import { completionRate, lagPoints, timeProgress, type LightInput, type LightResult } from '../domain/schedule-lag.js';
import { light, type Exemption, type LightRules as LightThresholds } from '../domain/lights.js';
import { missedStreak, STREAK_WINDOW } from '../domain/streak.js';
import { OPEN_STATUSES } from '../domain/problem-state.js';
import { localDay } from '../cards/format.js';
import { exemptionOf } from './exemptions.js';
import { knownYtdBefore, loadBases, loadChainBases, ytdChainOf, type ChainBasis, type CycleBasis } from './ytd-basis.js';

type Q = Kysely<Database>;

/** The cycle a status is taken as of. */
export type StatusCycle = { id: number; kind: CycleKind; periodKey: string; dueAt: Date; openAt: Date };

/** The light's facts without thresholds; the thresholds come from the configuration. */
/** With the start date and 入统 status, so the not-registered rule judges here as it does at the close. */
export type LightFacts = Omit<LightInput, 'thresholds'> & { exemption: Exemption | null; startedOn: string | null; registered: boolean };

/** The one place the light is judged (see the file comment). */
export function judgeStatusLight(facts: LightFacts, thresholds: LightThresholds): LightResult {
  const judged = light({ ...facts, thresholds });
  const rate = facts.ytd === null ? null : completionRate(facts.ytd, facts.annualPlan);
  // Cards speak of points behind 序时进度 whatever measure the preset judges by.
  return { light: judged.light, reasons: judged.reasons, completionRate: rate, lagPoints: rate ? lagPoints(facts.timeProgress, rate).toDecimalPlaces(1) : null };
}

/** Which cycles count for a streak (see missedStreaks). */
export type StreakOf = { kind: CycleKind; before: Date; exceptCycleId?: number; includeCycleId?: number };

/** `column = any($1::int[])`: one parameter and a hashed lookup, where `in (…)` would bind one parameter per id. */
export function anyId(column: string, ids: readonly number[]) {
  return sql<boolean>`${sql.ref(column)} = any(${[...ids]}::int[])`;
}

/**
 * Missed streaks (domain/streak.ts) of `projectIds` in closed `kind` cycles due by `before`,
 * leaving out `exceptCycleId` (and counting `includeCycleId` as closed).
 *
 * A streak looks at most STREAK_WINDOW of a project's cycles back, so rather than ranking every
 * project's whole history it reads the rows of the newest STREAK_WINDOW cycles that count (the
 * primary key's cycle_id leads): a project's rows among them are its newest rows, so they decide
 * its streak unless they are all missed and fewer than the window — a project that skipped some
 * of those cycles. Only those few are looked up over their own history (projectStreakRows, the
 * by-project index), which gives what ranking everything would.
 */
export async function missedStreaks(db: Q, of: StreakOf, projectIds: readonly number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (projectIds.length === 0) return out;
  // One row a project: bit i set in `present` when it was in the i-th newest cycle that counts,
  // in `missed` when it missed it. The cycles' ids are one array, so the primary key (cycle_id
  // first) finds the rows and nothing is sorted.
  // The same cycles as eligibleCycles (the fallback's), written out so the statement is one query.
  const counted = of.includeCycleId === undefined ? sql`c.state = 'closed'` : sql`(c.state = 'closed' or c.id = ${of.includeCycleId})`;
  const except = of.exceptCycleId === undefined ? sql`` : sql`and c.id <> ${of.exceptCycleId}`;
  const { rows } = await sql<{ project_id: number; present: number; missed: number; window: number }>`
    with recent as (
      select coalesce(array_agg(c.id order by c.due_at desc, c.id desc), '{}') as ids
      from (select c.id, c.due_at from cycles c
            where c.kind = ${of.kind} and ${counted} ${except} and c.due_at <= ${of.before}
            order by c.due_at desc, c.id desc limit ${STREAK_WINDOW}) c
    )
    select cp.project_id,
           bit_or(1 << (array_position(r.ids, cp.cycle_id) - 1)) as present,
           coalesce(bit_or(1 << (array_position(r.ids, cp.cycle_id) - 1)) filter (where cp.status = 'missed'), 0) as missed,
           min(cardinality(r.ids)) as window
    from recent r join cycle_projects cp on cp.cycle_id = any(r.ids)
    where ${anyId('cp.project_id', projectIds)}
    group by cp.project_id`.execute(db);
  const byProject = new Map(rows.map((r) => [r.project_id, r]));
  // Without a row the window's size is unknown: then every project is looked up on its own.
  const windowFull = rows.length === 0 || rows[0].window === STREAK_WINDOW;
  const older: number[] = [];
  for (const id of projectIds) {
    const r = byProject.get(id);
    const list: ReportStatus[] = [];
    for (let i = 0; r && i < STREAK_WINDOW; i++) if (r.present & (1 << i)) list.push(r.missed & (1 << i) ? 'missed' : 'reported');
    // Older cycles can only matter to a run that fills every row found and still falls short of the window.
    if (windowFull && list.length < STREAK_WINDOW && list.every((x) => x === 'missed')) older.push(id);
    else if (list.length > 0) out.set(id, missedStreak(list));
  }
  if (older.length > 0) {
    for (const [id, list] of await projectStreakRows(db, of, older)) out.set(id, missedStreak(list));
  }
  return out;
}

/** The cycles of `of`'s cadence that count for a streak. */
function eligibleCycles(db: QueryCreator<Database>, of: StreakOf) {
  return (
    db
      .selectFrom('cycles as c')
      .where('c.kind', '=', of.kind)
      // A cycle being closed counts as closed for its own streak (the close's judgement of it).
      .where((w) => (of.includeCycleId === undefined ? w('c.state', '=', 'closed') : w.or([w('c.state', '=', 'closed'), w('c.id', '=', of.includeCycleId)])))
      .$if(of.exceptCycleId !== undefined, (qb) => qb.where('c.id', '!=', of.exceptCycleId!))
      .where('c.due_at', '<=', of.before)
  );
}

/** Each project's newest STREAK_WINDOW statuses over its own history, newest first. */
export async function projectStreakRows(db: Q, of: StreakOf, projectIds: readonly number[]): Promise<Map<number, ReportStatus[]>> {
  const rows = await db
    .selectFrom(
      eligibleCycles(db, of)
        .innerJoin('cycle_projects as cp', 'cp.cycle_id', 'c.id')
        .select(['cp.project_id', 'cp.status', sql<string>`row_number() over (partition by cp.project_id order by c.due_at desc)`.as('rn')])
        .where(anyId('cp.project_id', projectIds))
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
  return statuses;
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
  'id' | 'code' | 'name' | 'stage' | 'started' | 'started_on' | 'completed' | 'registered' | 'annual_plan' | 'planned_start' | 'ytd_year' | 'ytd_investment'
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

/** The year-to-date a report of `year` adds to, on the chain of its own cadence (see loadProjectStatuses). */
function ytdBefore(year: number, p: Pick<Project, 'ytd_year' | 'ytd_investment'>, basis: ChainBasis): string | null {
  return knownYtdBefore(ytdChainOf({ year, project: p, previousSameKind: basis.previousSameKind, existing: basis.current }));
}

/**
 * Only the year-to-date of loadProjectStatuses (its `ytd.investment`), for the close's lights of
 * projects that did not report: from the registry rows given (the caller has read them) and the
 * two parts of the basis it depends on (loadChainBases), without the streak and the light.
 */
export async function loadYtdBefore(db: Q, cycle: StatusCycle, projects: readonly (Pick<Project, 'ytd_year' | 'ytd_investment'> & { id: number })[]): Promise<Map<number, string | null>> {
  const out = new Map<number, string | null>();
  if (projects.length === 0) return out;
  const bases = await loadChainBases(db, cycle, projects.map((p) => p.id));
  const year = periodYear(cycle.kind, cycle.periodKey);
  for (const p of projects) out.set(p.id, ytdBefore(year, p, bases.get(p.id)!));
  return out;
}

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
  const asOfDay = localDay(now, settings.tz);
  const [projects, bases, streaks, problems] = await Promise.all([
    db
      .selectFrom('projects')
      .select(['id', 'code', 'name', 'stage', 'started', 'started_on', 'completed', 'registered', 'annual_plan', 'planned_start', 'ytd_year', 'ytd_investment'])
      .select((eb) => exemptionOf(eb.ref('projects.id'), asOfDay).as('exemption'))
      .where('id', 'in', ids)
      .execute(),
    loadBases(db, cycle, ids),
    missedStreaks(db, { kind: cycle.kind, before: cycle.openAt, exceptCycleId: cycle.id }, ids),
    opts.withOpenProblems ? openProblemCounts(db, ids) : undefined,
  ]);
  const year = periodYear(cycle.kind, cycle.periodKey);
  // Computed once a period, not once a project: each is a calendar computation (a few hundred
  // microseconds), and a province's projects share one or a few periods.
  const periodBefore = previousPeriodKey(cycle.kind, cycle.periodKey);
  const progress = new Map<string, ReturnType<typeof timeProgress>>();
  const progressOf = (key: string) => {
    let tp = progress.get(key);
    if (!tp) progress.set(key, (tp = timeProgress(cycle.kind, key)));
    return tp;
  };
  for (const { exemption, ...p } of projects) {
    const basis = bases.get(p.id)!;
    // Only the chain of this cycle's cadence and year: a weekly and a monthly chain count the
    // same money, so the other cadence's cumulative is not what this period adds to.
    const previous = basis.previousSameKind;
    const ytd = ytdBefore(year, p, basis);
    // The cumulative stands as of the chain's last period; the registry's figure (or a
    // correction's own base) as of the period before this one.
    const asOfKey = previous?.periodKey ?? periodBefore;
    const streak = streaks.get(p.id) ?? 0;
    const judged = judgeStatusLight(
      {
        ytd,
        annualPlan: p.annual_plan,
        timeProgress: progressOf(asOfKey),
        plannedStart: p.planned_start,
        started: basis.latestBefore?.started ?? p.started,
        startedOn: p.started_on,
        registered: basis.latestBefore?.registered ?? p.registered,
        asOfDay,
        consecutiveMissed: streak,
        exemption,
      },
      settings.thresholds,
    );
    out.set(p.id, { project: p, basis, ytd: { year, investment: ytd }, light: judged, missedStreak: streak, openProblems: problems ? (problems.get(p.id) ?? 0) : null });
  }
  return out;
}
