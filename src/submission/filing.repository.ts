// What the submission side reads: who someone is, what they may file for, and everything a
// report for (project, cycle) is judged against. Works on the pool or inside a transaction.
import type { Kysely } from 'kysely';
import type { Cycle, Database, Project, Report } from '../db/schema.js';
import { periodYear } from '../domain/period.js';
import type { Exemption } from '../domain/lights.js';
import { loadBases, type ReportNeighbours } from '../status/ytd-basis.js';
import { exemptionOf } from '../status/exemptions.js';

type Q = Kysely<Database>;

export type FilingContext = {
  project: Project;
  cycle: Cycle;
  /** The cycle's period year: the year whose cumulative the report counts toward. */
  year: number;
  /** Whether the cycle covers the project (a cycle_projects row). */
  covered: boolean;
  existing: Report | undefined;
  /** The project's latest-ending exemption from the lights, for the summary's light (status/exemptions.ts). */
  exemption: Exemption | null;
} & ReportNeighbours;

/**
 * Everything a submission for (project, cycle) is judged against. Inside the storing transaction
 * call with `lock` so two people filing for one project at once are serialised on its row.
 */
export async function loadFilingContext(db: Q, projectId: number, cycleId: number, opts: { lock?: boolean } = {}): Promise<FilingContext | undefined> {
  let pq = db.selectFrom('projects').selectAll().select((eb) => exemptionOf(eb.ref('projects.id')).as('x_exemption')).where('id', '=', projectId);
  if (opts.lock) pq = pq.forUpdate();
  const row = await pq.executeTakeFirst();
  const cycle = await db.selectFrom('cycles').selectAll().where('id', '=', cycleId).executeTakeFirst();
  if (!row || !cycle) return undefined;
  const { x_exemption: exemption, ...project } = row;
  const [coverage, existing, bases] = await Promise.all([
    db.selectFrom('cycle_projects').select('status').where('cycle_id', '=', cycleId).where('project_id', '=', projectId).executeTakeFirst(),
    db.selectFrom('reports').selectAll().where('cycle_id', '=', cycleId).where('project_id', '=', projectId).executeTakeFirst(),
    // The same loader the report card uses (ytd-basis.ts), so the form shows what is stored.
    loadBases(db, { id: cycle.id, kind: cycle.kind, periodKey: cycle.period_key, dueAt: cycle.due_at }, [projectId]),
  ]);
  const { previousSameKind, laterSameKind, latestBefore, laterAny } = bases.get(projectId)!;
  return {
    project,
    cycle,
    year: periodYear(cycle.kind, cycle.period_key),
    covered: coverage !== undefined,
    existing,
    exemption,
    previousSameKind,
    laterSameKind,
    latestBefore,
    laterAny,
  };
}
