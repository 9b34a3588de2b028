// Gathers what a report card shows for a batch of projects in one cycle — the registry row, the
// basis the report will be filed against (the cadence's chain: last period's figure and the
// year-to-date this period adds to; the latest report before it, which pre-fills the form), the
// light — in a handful of queries, and hands plain data to the pure card builders.
//
// The basis comes from submission/ytd-basis.ts, the loader and rules the store itself uses, so
// the year-to-date, rate and light a prompt shows are those the summary after submitting builds on.
//
// Exported for the callback side too: `report.pick` and a refused submission render the same
// card with loadReportCardInput(...) plus `typed`/`errors`.
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { light as judgeLight, timeProgress } from '../domain/schedule-lag.js';
import { periodYear, previousPeriodKey } from '../domain/period.js';
import type { ReportFormCardInput } from '../cards/report-form.card.js';
import type { ConsolidatedRow } from '../cards/consolidated-prompt.card.js';
import type { CycleSettings } from './cycle-config.js';
import { findCycle, type CycleRow } from './cycle.repository.js';
import { localDay } from '../cards/format.js';
import { AppError } from '../errors.js';
import { knownYtdBefore, loadBases, ytdChainOf } from '../status/ytd-basis.js';

/** How far back a missed-report streak is counted ("连续N期未报送"). */
const STREAK_WINDOW = 12;

/** Reports missed in a row, most recent closed cycles of the same kind first. */
async function missedStreaks(db: Db, cycle: CycleRow, projectIds: number[]): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom((eb) =>
      eb
        .selectFrom('cycle_projects as cp')
        .innerJoin('cycles as c', 'c.id', 'cp.cycle_id')
        .select(['cp.project_id', 'cp.status', sql<string>`row_number() over (partition by cp.project_id order by c.due_at desc)`.as('rn')])
        .where('cp.project_id', 'in', projectIds)
        .where('c.kind', '=', cycle.kind)
        .where('c.state', '=', 'closed')
        .where('c.id', '!=', cycle.id)
        .where('c.due_at', '<=', cycle.open_at)
        .as('t'),
    )
    .select(['t.project_id', 't.status', 't.rn'])
    .where(sql<boolean>`t.rn <= ${STREAK_WINDOW}`)
    .orderBy('t.project_id')
    .orderBy(sql`t.rn`)
    .execute();
  const streaks = new Map<number, number>();
  const broken = new Set<number>();
  for (const r of rows) {
    if (broken.has(r.project_id)) continue;
    if (r.status === 'missed') streaks.set(r.project_id, (streaks.get(r.project_id) ?? 0) + 1);
    else broken.add(r.project_id);
  }
  return streaks;
}

export async function loadDepartments(db: Db): Promise<{ id: number; name: string }[]> {
  return db.selectFrom('departments').select(['id', 'name']).orderBy('name').execute();
}

/** Card data for each of `projectIds` (registry order is the caller's); projects not found are left out. */
export async function loadReportCardInputs(
  db: Db,
  settings: CycleSettings,
  cycle: CycleRow,
  projectIds: number[],
  now: Date,
): Promise<Map<number, ReportFormCardInput>> {
  const out = new Map<number, ReportFormCardInput>();
  if (projectIds.length === 0) return out;
  const [projects, bases, streaks, departments] = await Promise.all([
    db
      .selectFrom('projects')
      .select(['id', 'code', 'name', 'stage', 'started', 'completed', 'registered', 'annual_plan', 'planned_start', 'ytd_year', 'ytd_investment'])
      .where('id', 'in', projectIds)
      .execute(),
    loadBases(db, { id: cycle.id, kind: cycle.kind, periodKey: cycle.period_key, dueAt: cycle.due_at }, projectIds),
    missedStreaks(db, cycle, projectIds),
    loadDepartments(db),
  ]);
  const year = periodYear(cycle.kind, cycle.period_key);
  const asOfDay = localDay(now, settings.tz);
  for (const p of projects) {
    const basis = bases.get(p.id)!;
    // Only the chain of this cycle's cadence and year: a weekly and a monthly chain count the
    // same money, so the other cadence's cumulative is not what this period adds to.
    const previous = basis.previousSameKind;
    const ytd = knownYtdBefore(ytdChainOf({ year, project: p, previousSameKind: previous, existing: basis.current }));
    // The cumulative stands as of the chain's last period; the registry's figure (or a
    // correction's own base) as of the period before this one.
    const asOfKey = previous?.periodKey ?? previousPeriodKey(cycle.kind, cycle.period_key);
    const latest = basis.latestBefore;
    const judged = judgeLight({
      ytd,
      annualPlan: p.annual_plan,
      timeProgress: timeProgress(cycle.kind, asOfKey),
      plannedStart: p.planned_start,
      started: latest?.started ?? p.started,
      asOfDay,
      consecutiveMissed: streaks.get(p.id) ?? 0,
      thresholds: settings.thresholds,
    });
    out.set(p.id, {
      cycle: { id: cycle.id, kind: cycle.kind, periodKey: cycle.period_key, dueAt: cycle.due_at },
      tz: settings.tz,
      project: {
        id: p.id,
        code: p.code,
        name: p.name,
        stage: p.stage,
        started: p.started,
        completed: p.completed,
        registered: p.registered,
        annualPlan: p.annual_plan,
      },
      light: { light: judged.light, reasons: judged.reasons },
      ytd: { year, investment: ytd },
      latest: latest
        ? {
            kind: latest.kind,
            periodKey: latest.periodKey,
            stage: latest.stage,
            started: latest.started,
            completed: latest.completed,
            registered: latest.registered,
            progress: latest.progress,
          }
        : null,
      previousSameKind: previous ? { periodKey: previous.periodKey, periodInvestment: previous.periodInvestment } : null,
      departments,
    });
  }
  return out;
}

/** One project's card data, for the callback side (report.pick, re-render after a refusal). */
export async function loadReportCardInput(
  deps: { db: Db; settings: CycleSettings; now: Date },
  cycleId: number,
  projectId: number,
): Promise<ReportFormCardInput> {
  const cycle = await findCycle(deps.db, cycleId);
  if (!cycle) throw new AppError('NOT_FOUND', `cycle ${cycleId} not found`, { userMessage: '找不到该调度期次' });
  const input = (await loadReportCardInputs(deps.db, deps.settings, cycle, [projectId], deps.now)).get(projectId);
  if (!input) throw new AppError('NOT_FOUND', `project ${projectId} not found`, { userMessage: '找不到该项目' });
  return input;
}

export function consolidatedRow(input: ReportFormCardInput): ConsolidatedRow {
  return {
    projectId: input.project.id,
    code: input.project.code,
    name: input.project.name,
    light: input.light,
    annualPlan: input.project.annualPlan,
    ytdInvestment: input.ytd.investment,
  };
}
