// Writes one accepted submission, inside the caller's transaction: the current report, its
// revision, the cycle status, the project's stage/milestones/year-to-date and any problem raised.
// All or nothing: a report without its revision, or a problem without its report, cannot exist.
import type { Transaction } from 'kysely';
import type { Database, Project } from '../db/schema.js';
import { markReported } from '../cycle/cycle.repository.js';
import { localDay } from '../cards/format.js';
import { raiseProblem, resolveDepartment, sameProblemOnReport, type RaisedProblem } from '../problems/problem.repository.js';
import type { FilingContext } from './filing.repository.js';
import { loadDepartments } from '../cycle/report-card.data.js';
import type { ValidReport } from './report-form.js';
import { sinceStartOf } from '../domain/league/since-start.js';

export type StoreInput = {
  ctx: FilingContext;
  report: ValidReport;
  noChange: boolean;
  personId: number;
  at: Date;
  tz: string;
  via: 'card' | 'chat';
  late: boolean;
  sourceMessageId: string | null;
  sourceEventId: string;
};

export type StoredReport = { reportId: number; revision: number; late: boolean; problem: RaisedProblem | null };

/** What a submission writes, decided before writing: the report's fields, revision and lateness, and the project's changes. */
export type ReportPlan = {
  fields: {
    period_investment: string;
    ytd_investment: string;
    since_start_investment: string | null;
    stage: ValidReport['stage'];
    started: boolean;
    completed: boolean;
    registered: boolean;
    progress: string;
    no_change: boolean;
    submitted_by: number;
    submitted_at: Date;
    via: 'card' | 'chat';
    source_message_id: string | null;
    source_event_id: string;
  };
  /** The existing report's id for a correction; null for a first submission. */
  reportId: number | null;
  revision: number;
  /** The report's lateness (its first submission's) and this revision's own. */
  reportLate: boolean;
  revisionLate: boolean;
  reason: string | null;
  /** The registry update, or null when the report changes nothing there. */
  project: { set: ProjectSet; changes: Record<string, { from: unknown; to: unknown }> } | null;
};

type ProjectSet = Partial<Pick<Project, 'stage' | 'started' | 'completed' | 'registered' | 'started_on' | 'completed_on' | 'registered_on' | 'ytd_investment' | 'ytd_year' | 'since_start_investment'>>;

/** Pure: what storing this submission writes (storeReport and the one-statement writeReportOnce). */
export function planReport(s: StoreInput): ReportPlan {
  const { ctx, report: r } = s;
  const sinceStart = sinceStartOf({
    kind: ctx.cycle.kind,
    periodInvestment: r.periodInvestment,
    registry: ctx.project.since_start_investment,
    existing: ctx.existing ? { periodInvestment: ctx.existing.period_investment, sinceStart: ctx.existing.since_start_investment ?? null } : null,
    laterMonthly: Boolean(ctx.laterSameKind),
  });
  const fields = {
    period_investment: r.periodInvestment,
    ytd_investment: r.ytd,
    since_start_investment: sinceStart,
    stage: r.stage,
    started: r.started,
    completed: r.completed,
    registered: r.registered,
    progress: r.progress,
    no_change: s.noChange,
    submitted_by: s.personId,
    submitted_at: s.at,
    via: s.via,
    source_message_id: s.sourceMessageId,
    source_event_id: s.sourceEventId,
  };
  const next = projectNext(s, sinceStart);
  const changes = diff(ctx.project, next);
  return {
    fields,
    reportId: ctx.existing ? ctx.existing.id : null,
    revision: ctx.existing ? ctx.existing.revision + 1 : 1,
    // The report's own lateness is its first submission's; each revision records its own.
    reportLate: ctx.existing ? ctx.existing.late : s.late,
    revisionLate: s.late,
    reason: r.stageReason,
    project: Object.keys(changes).length === 0 ? null : { set: next, changes },
  };
}

export async function storeReport(trx: Transaction<Database>, s: StoreInput): Promise<StoredReport> {
  const { ctx, report: r } = s;
  const plan = planReport(s);
  const { fields, revision, reportLate } = plan;
  let reportId: number;
  if (plan.reportId !== null) {
    reportId = plan.reportId;
    await trx.updateTable('reports').set({ ...fields, revision, updated_at: s.at }).where('id', '=', reportId).execute();
  } else {
    const row = await trx
      .insertInto('reports')
      .values({ ...fields, cycle_id: ctx.cycle.id, project_id: ctx.project.id, revision, late: reportLate })
      .returning('id')
      .executeTakeFirstOrThrow();
    reportId = row.id;
  }
  await trx
    .insertInto('report_revisions')
    .values({ ...fields, report_id: reportId, cycle_id: ctx.cycle.id, project_id: ctx.project.id, revision, late: plan.revisionLate, reason: plan.reason })
    .execute();
  await markReported(trx, ctx.cycle.id, ctx.project.id, s.at, s.late);
  if (plan.project) {
    await trx
      .updateTable('projects')
      .set({ ...plan.project.set, updated_at: s.at, updated_by: `report:${s.personId}` })
      .where('id', '=', ctx.project.id)
      .execute();
    await trx
      .insertInto('project_changes')
      .values({ project_id: ctx.project.id, import_id: null, changed_by: `report:${s.personId}`, changes: JSON.stringify(plan.project.changes) })
      .execute();
  }

  let problem: RaisedProblem | null = null;
  const p = r.problem;
  if (p && !(ctx.existing && (await sameProblemOnReport(trx, reportId, p.category, p.description)))) {
    const departmentId = resolveDepartment(p.department, await loadDepartments(trx), ctx.project.department_id);
    problem = await raiseProblem(trx, {
      projectId: ctx.project.id,
      cycleId: ctx.cycle.id,
      reportId,
      category: p.category,
      description: p.description,
      departmentId,
      needsCityCoordination: p.needsCityCoordination,
      raisedBy: s.personId,
      at: s.at,
      tz: s.tz,
      sourceEventId: s.sourceEventId,
    });
  }
  return { reportId, revision, late: reportLate, problem };
}

/**
 * Carries the report into the registry, unless a later period has been reported already (then
 * the registry holds a newer state and an old period's correction must not roll it back).
 *
 * The year-to-date (projects.ytd_investment/ytd_year) is written by MONTHLY reports only. It is
 * the base of every chain's first report in a year (ytd-basis.ts ytdChainOf), and a weekly
 * project is in the monthly cycles too, reporting the same money in both cadences: were a weekly
 * report to write it, the first monthly report of the year would start from the weekly running
 * total and add the month on top (registry 3,700; W41 +200, W42 +300; 2026-10 from 4,200, not
 * 3,700). So the figure holds the sheet's seed (registry/ytd-apply.ts) until the first monthly
 * report, then the latest monthly total (the authoritative 月通报 figure), which a weekly
 * chain's first report may start from without counting anything twice. It is written unless a
 * later monthly report of the year holds a newer total, and never steps back into an earlier year.
 */
function projectNext(s: StoreInput, sinceStart: string | null): ProjectSet {
  const { ctx, report: r } = s;
  const p = ctx.project;
  // The local day costs a time-zone conversion (luxon/Intl); only a milestone reached now needs it.
  let day: string | undefined;
  const milestone = (now: boolean, was: boolean, on: string | null): string | null => (now ? (was && on ? on : (day ??= localDay(s.at, s.tz))) : null);
  const writesYtd = ctx.cycle.kind === 'monthly' && !ctx.laterSameKind && (p.ytd_year === null || p.ytd_year <= ctx.year);
  return {
    ...(ctx.laterAny
      ? {}
      : {
          stage: r.stage,
          started: r.started,
          completed: r.completed,
          registered: r.registered,
          started_on: milestone(r.started, p.started, p.started_on),
          completed_on: milestone(r.completed, p.completed, p.completed_on),
          registered_on: milestone(r.registered, p.registered, p.registered_on),
        }),
    ...(writesYtd ? { ytd_investment: r.ytd, ytd_year: ctx.year } : {}),
    // Carried like the year-to-date: the latest monthly total is the next month's base.
    ...(sinceStart !== null && !ctx.laterSameKind ? { since_start_investment: sinceStart } : {}),
  };
}

function diff(before: Project, after: Partial<Record<keyof Project, unknown>>): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const [k, to] of Object.entries(after)) {
    const from = before[k as keyof Project];
    const same = typeof from === 'string' && typeof to === 'string' && /^-?\d+(\.\d+)?$/.test(from) ? Number(from) === Number(to) : from === to;
    if (!same) out[k] = { from, to };
  }
  return out;
}
