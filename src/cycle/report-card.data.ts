// Gathers what a report card shows for a batch of projects in one cycle — the registry row, the
// basis the report will be filed against (the cadence's chain: last period's figure and the
// year-to-date this period adds to; the latest report before it, which pre-fills the form), the
// light — in a handful of queries, and hands plain data to the pure card builders.
//
// The light, year-to-date and basis come from the one status loader (status/project-status.ts),
// on the rules the store itself uses, so what a prompt shows is what the summary builds on.
//
// Exported for the callback side too: `report.pick` and a refused submission render the same
// card with loadReportCardInput(...) plus `typed`/`errors`.
import type { Db } from '../db/database.js';
import type { ReportFormCardInput } from '../cards/report-form.card.js';
import type { ConsolidatedRow } from '../cards/consolidated-prompt.card.js';
import type { CycleSettings } from './cycle-config.js';
import { findCycle, type CycleRow } from './cycle.repository.js';
import { AppError } from '../errors.js';
import { loadProjectStatuses } from '../status/project-status.js';

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
  const [statuses, departments] = await Promise.all([
    loadProjectStatuses(db, settings, { id: cycle.id, kind: cycle.kind, periodKey: cycle.period_key, dueAt: cycle.due_at, openAt: cycle.open_at }, projectIds, now),
    loadDepartments(db),
  ]);
  for (const { project: p, basis, ytd, light: judged } of statuses.values()) {
    const previous = basis.previousSameKind;
    const latest = basis.latestBefore;
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
      ytd,
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
