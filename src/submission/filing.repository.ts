// What the submission side reads: who someone is, what they may file for, and everything a
// report for (project, cycle) is judged against. Works on the pool or inside a transaction.
import type { Kysely } from 'kysely';
import type { CycleKind, Cycle, Database, Person, Project, Report, Stage } from '../db/schema.js';
import { periodYear } from '../domain/period.js';

type Q = Kysely<Database>;

export async function findPersonByOpenId(db: Q, openId: string): Promise<Person | undefined> {
  if (!openId) return undefined;
  return db.selectFrom('people').selectAll().where('open_id', '=', openId).executeTakeFirst();
}

export async function findPerson(db: Q, personId: number): Promise<Person | undefined> {
  return db.selectFrom('people').selectAll().where('id', '=', personId).executeTakeFirst();
}

/** How a person relates to a project. Admins (person_grants role admin) may act for every project. */
export type Access = { owner: boolean; delegate: boolean; admin: boolean };
export const canFile = (a: Access): boolean => a.owner || a.delegate || a.admin;

export async function isAdmin(db: Q, personId: number): Promise<boolean> {
  const row = await db.selectFrom('person_grants').select('id').where('person_id', '=', personId).where('role', '=', 'admin').executeTakeFirst();
  return row !== undefined;
}

export async function accessTo(db: Q, personId: number, projectId: number): Promise<Access> {
  const [project, grants] = await Promise.all([
    db.selectFrom('projects').select('owner_id').where('id', '=', projectId).executeTakeFirst(),
    db
      .selectFrom('person_grants')
      .select(['role', 'project_id'])
      .where('person_id', '=', personId)
      .where((eb) => eb.or([eb('role', '=', 'admin'), eb.and([eb('role', '=', 'delegate'), eb('project_id', '=', projectId)])]))
      .execute(),
  ]);
  return {
    owner: project !== undefined && project.owner_id === personId,
    delegate: grants.some((g) => g.role === 'delegate'),
    admin: grants.some((g) => g.role === 'admin'),
  };
}

/** Projects a person files for: owned, or delegated to them. */
export async function filableProjectIds(db: Q, personId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('projects')
    .select('id')
    .where('active', '=', true)
    .where((eb) =>
      eb.or([
        eb('owner_id', '=', personId),
        eb('id', 'in', eb.selectFrom('person_grants').select('project_id').where('person_id', '=', personId).where('role', '=', 'delegate').where('project_id', 'is not', null).$narrowType<{ project_id: number }>()),
      ]),
    )
    .orderBy('code')
    .execute();
  return rows.map((r) => r.id);
}

/** A report with its cycle's kind, period and due time: what the chains are built from. */
export type ReportRef = {
  id: number;
  cycleId: number;
  kind: CycleKind;
  periodKey: string;
  dueAt: Date;
  periodInvestment: string;
  ytd: string;
  stage: Stage;
  started: boolean;
  completed: boolean;
  registered: boolean;
  progress: string;
  submittedAt: Date;
};

export type ReportNeighbours = {
  /** Nearest earlier report of the same cadence in the same period year. */
  previousSameKind: ReportRef | undefined;
  /** Nearest later report of the same cadence in the same period year. */
  laterSameKind: ReportRef | undefined;
  /** Latest report for a cycle due before this one, any cadence: the state "before this period". */
  latestBefore: ReportRef | undefined;
  /** Whether any report exists for a cycle due after this one (then the project's state is newer). */
  laterAny: boolean;
};

/** Pure: places a cycle among a project's reports. */
export function neighbours(reports: readonly ReportRef[], cycle: { id: number; kind: CycleKind; periodKey: string; dueAt: Date }): ReportNeighbours {
  const year = periodYear(cycle.kind, cycle.periodKey);
  const others = reports.filter((r) => r.cycleId !== cycle.id);
  const sameChain = others.filter((r) => r.kind === cycle.kind && periodYear(r.kind, r.periodKey) === year);
  const earlier = sameChain.filter((r) => r.periodKey < cycle.periodKey).sort((a, b) => (a.periodKey < b.periodKey ? 1 : -1));
  const later = sameChain.filter((r) => r.periodKey > cycle.periodKey).sort((a, b) => (a.periodKey < b.periodKey ? -1 : 1));
  const before = others
    .filter((r) => r.dueAt.getTime() < cycle.dueAt.getTime())
    .sort((a, b) => b.dueAt.getTime() - a.dueAt.getTime() || b.submittedAt.getTime() - a.submittedAt.getTime());
  return {
    previousSameKind: earlier[0],
    laterSameKind: later[0],
    latestBefore: before[0],
    laterAny: others.some((r) => r.dueAt.getTime() > cycle.dueAt.getTime()),
  };
}

export async function projectReports(db: Q, projectId: number): Promise<ReportRef[]> {
  const rows = await db
    .selectFrom('reports as r')
    .innerJoin('cycles as c', 'c.id', 'r.cycle_id')
    .select([
      'r.id', 'r.cycle_id', 'c.kind', 'c.period_key', 'c.due_at', 'r.period_investment', 'r.ytd_investment',
      'r.stage', 'r.started', 'r.completed', 'r.registered', 'r.progress', 'r.submitted_at',
    ])
    .where('r.project_id', '=', projectId)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    cycleId: r.cycle_id,
    kind: r.kind,
    periodKey: r.period_key,
    dueAt: r.due_at,
    periodInvestment: r.period_investment,
    ytd: r.ytd_investment,
    stage: r.stage,
    started: r.started,
    completed: r.completed,
    registered: r.registered,
    progress: r.progress,
    submittedAt: r.submitted_at,
  }));
}

/** Closed cycles in a row, most recent first, in which the project's report was missed. */
export async function consecutiveMissed(db: Q, projectId: number): Promise<number> {
  const rows = await db
    .selectFrom('cycle_projects as cp')
    .innerJoin('cycles as c', 'c.id', 'cp.cycle_id')
    .select('cp.status')
    .where('cp.project_id', '=', projectId)
    .where('c.state', '=', 'closed')
    .orderBy('c.due_at', 'desc')
    .limit(12)
    .execute();
  let n = 0;
  for (const r of rows) {
    if (r.status !== 'missed') break;
    n++;
  }
  return n;
}

export type FilingContext = {
  project: Project;
  cycle: Cycle;
  /** The cycle's period year: the year whose cumulative the report counts toward. */
  year: number;
  /** Whether the cycle covers the project (a cycle_projects row). */
  covered: boolean;
  existing: Report | undefined;
} & ReportNeighbours;

/**
 * Everything a submission for (project, cycle) is judged against. Inside the storing transaction
 * call with `lock` so two people filing for one project at once are serialised on its row.
 */
export async function loadFilingContext(db: Q, projectId: number, cycleId: number, opts: { lock?: boolean } = {}): Promise<FilingContext | undefined> {
  let pq = db.selectFrom('projects').selectAll().where('id', '=', projectId);
  if (opts.lock) pq = pq.forUpdate();
  const project = await pq.executeTakeFirst();
  const cycle = await db.selectFrom('cycles').selectAll().where('id', '=', cycleId).executeTakeFirst();
  if (!project || !cycle) return undefined;
  const [coverage, existing, reports] = await Promise.all([
    db.selectFrom('cycle_projects').select('status').where('cycle_id', '=', cycleId).where('project_id', '=', projectId).executeTakeFirst(),
    db.selectFrom('reports').selectAll().where('cycle_id', '=', cycleId).where('project_id', '=', projectId).executeTakeFirst(),
    projectReports(db, projectId),
  ]);
  return {
    project,
    cycle,
    year: periodYear(cycle.kind, cycle.period_key),
    covered: coverage !== undefined,
    existing,
    ...neighbours(reports, { id: cycle.id, kind: cycle.kind, periodKey: cycle.period_key, dueAt: cycle.due_at }),
  };
}
