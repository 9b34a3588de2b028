// The basis a report for (project, cycle) is filed against: where the cycle sits among the
// project's reports, and the year-to-date its period adds to. Loaded for one project (the
// storing transaction, loadFilingContext) or for a whole fan-out at once (the report card,
// cycle/report-card.data.ts) by the same query and placed by the same rule, so the card shows
// the figure the store will add to and the store cannot drift from what the card promised.
//
// Imports nothing but db/domain and ytd.ts: the cycle side imports this module, and the
// submission side imports the cycle side, so anything more here could close an import loop.
import { sql, type Kysely } from 'kysely';
import type { CycleKind, Database, Project, Stage } from '../db/schema.js';
import { periodYear } from '../domain/period.js';
import { ytdBase, type YtdChain } from '../domain/ytd.js';

type Q = Kysely<Database>;

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

export type BasisCycle = { id: number; kind: CycleKind; periodKey: string; dueAt: Date };

/** Pure: places a cycle among a project's reports. */
export function neighbours(reports: readonly ReportRef[], cycle: BasisCycle): ReportNeighbours {
  const year = periodYear(cycle.kind, cycle.periodKey);
  const others = reports.filter((r) => r.cycleId !== cycle.id);
  const sameChain = others.filter((r) => r.kind === cycle.kind && periodYear(r.kind, r.periodKey) === year);
  const earlier = sameChain.filter((r) => r.periodKey < cycle.periodKey).sort((a, b) => (a.periodKey < b.periodKey ? 1 : -1));
  const later = sameChain.filter((r) => r.periodKey > cycle.periodKey).sort((a, b) => (a.periodKey < b.periodKey ? -1 : 1));
  const before = others.filter((r) => r.dueAt.getTime() < cycle.dueAt.getTime()).sort(latestFirst);
  return {
    previousSameKind: earlier[0],
    laterSameKind: later[0],
    latestBefore: before[0],
    laterAny: others.some((r) => r.dueAt.getTime() > cycle.dueAt.getTime()),
  };
}

// The id breaks a tie of due and submission time, so the pure rule and the query that narrows
// its input (loadBases) pick the same row.
function latestFirst(a: ReportRef, b: ReportRef): number {
  return b.dueAt.getTime() - a.dueAt.getTime() || b.submittedAt.getTime() - a.submittedAt.getTime() || b.id - a.id;
}

/** Where a cycle sits among one project's reports, plus that project's report for the cycle itself. */
export type CycleBasis = ReportNeighbours & { current: ReportRef | undefined };

/** Every report of these projects with its cycle, as ReportRef rows (narrow it with where clauses). */
export function reportRefs(db: Q, projectIds: readonly number[]) {
  return db
    .selectFrom('reports as r')
    .innerJoin('cycles as c', 'c.id', 'r.cycle_id')
    .select([
      'r.id', 'r.project_id', 'r.cycle_id', 'c.kind', 'c.period_key', 'c.due_at', 'r.period_investment', 'r.ytd_investment',
      'r.stage', 'r.started', 'r.completed', 'r.registered', 'r.progress', 'r.submitted_at',
    ])
    // One array parameter: `in (…)` binds one per id, and planning ten thousand of them costs more than the read.
    .where(sql<boolean>`r.project_id = any(${[...projectIds]}::int[])`);
}

/**
 * The basis of `cycle` for each of `projectIds`, in one statement whatever their number. Rather
 * than every report a project ever had, it loads what neighbours() can pick from: the nearest
 * report either side in the cycle's cadence and year, the cycle's own, the latest report due
 * before the cycle and the earliest due after it. Placed by neighbours(), that is exactly what
 * the full history gives (test/submission/ytd-basis.test.ts compares the two).
 */
export async function loadBases(db: Q, cycle: BasisCycle, projectIds: readonly number[]): Promise<Map<number, CycleBasis>> {
  const out = new Map<number, CycleBasis>();
  if (projectIds.length === 0) return out;
  const year = periodYear(cycle.kind, cycle.periodKey);
  // Compared byte by byte, as neighbours() compares strings, whatever the database's collation.
  const byteKey = sql<string>`c.period_key collate "C"`;
  const chain = () => reportRefs(db, projectIds).where('c.kind', '=', cycle.kind).where('c.period_key', 'like', `${year}-%`);
  const parts = [
    // Period keys begin with their period year (ISO week-year for weeks), see domain/period.ts, and
    // sort in period order within a cadence and year; so the nearest keys either side are what
    // neighbours() would pick from the whole chain, without loading a year of reports per project.
    chain().distinctOn('r.project_id').where(byteKey, '<', cycle.periodKey).orderBy('r.project_id').orderBy(byteKey, 'desc'),
    chain().distinctOn('r.project_id').where(byteKey, '>', cycle.periodKey).orderBy('r.project_id').orderBy(byteKey),
    reportRefs(db, projectIds).where('r.cycle_id', '=', cycle.id),
    reportRefs(db, projectIds)
      .distinctOn('r.project_id')
      .where('c.due_at', '<', cycle.dueAt)
      .orderBy('r.project_id')
      .orderBy('c.due_at', 'desc')
      .orderBy('r.submitted_at', 'desc')
      .orderBy('r.id', 'desc'),
    reportRefs(db, projectIds).distinctOn('r.project_id').where('c.due_at', '>', cycle.dueAt).orderBy('r.project_id').orderBy('c.due_at'),
  ];
  // One round trip: each part is a subquery (its own DISTINCT ON and ORDER BY), joined by UNION ALL.
  const [first, ...rest] = parts.map((q, i) => db.selectFrom(q.as(`part${i}`)).selectAll());
  const rows = await rest.reduce((acc, q) => acc.unionAll(q), first).execute();
  const byProject = new Map<number, Map<number, ReportRef>>(projectIds.map((id) => [id, new Map()]));
  for (const r of rows) {
    byProject.get(r.project_id)?.set(r.id, toReportRef(r));
  }
  for (const [projectId, refs] of byProject) {
    const reports = [...refs.values()];
    out.set(projectId, { ...neighbours(reports, cycle), current: reports.find((r) => r.cycleId === cycle.id) });
  }
  return out;
}

/** What the year-to-date before a cycle is taken from (knownYtdBefore over ytdChainOf). */
export type ChainBasis = { previousSameKind: Pick<ReportRef, 'ytd'> | undefined; current: Pick<ReportRef, 'periodInvestment' | 'ytd'> | undefined };

/**
 * Only what the year-to-date before `cycle` needs of loadBases (the close's lights of projects
 * that did not report): each project's nearest earlier report in the cycle's cadence and year, and
 * its report for the cycle itself, their amounts only, in one statement. The nearest earlier one
 * is found as the greatest period key below the cycle's (period keys are unique within a cadence)
 * grouped per project rather than sorted: a year of reports of every project is hashed, not
 * sorted to disk. The same reports loadBases places there (test/submission/ytd-basis.test.ts).
 */
export async function loadChainBases(db: Q, cycle: BasisCycle, projectIds: readonly number[]): Promise<Map<number, ChainBasis>> {
  const out = new Map<number, ChainBasis>(projectIds.map((id) => [id, { previousSameKind: undefined, current: undefined }]));
  if (projectIds.length === 0) return out;
  const year = periodYear(cycle.kind, cycle.periodKey);
  const byteKey = sql<string>`c.period_key collate "C"`;
  const ids = sql<boolean>`r.project_id = any(${[...projectIds]}::int[])`;
  const nearest = db
    .selectFrom('reports as r')
    .innerJoin('cycles as c', 'c.id', 'r.cycle_id')
    .select(['r.project_id', sql<string>`max(${byteKey})`.as('period_key')])
    .where(ids)
    .where('c.kind', '=', cycle.kind)
    .where('c.period_key', 'like', `${year}-%`)
    .where(byteKey, '<', cycle.periodKey)
    .groupBy('r.project_id');
  const previous = db
    .selectFrom(nearest.as('n'))
    .innerJoin('cycles as c', (j) => j.on('c.kind', '=', cycle.kind).onRef('c.period_key', '=', 'n.period_key'))
    .innerJoin('reports as r', (j) => j.onRef('r.cycle_id', '=', 'c.id').onRef('r.project_id', '=', 'n.project_id'))
    .select(['r.project_id', 'r.cycle_id', 'r.period_investment', 'r.ytd_investment']);
  const current = db.selectFrom('reports as r').select(['r.project_id', 'r.cycle_id', 'r.period_investment', 'r.ytd_investment']).where(ids).where('r.cycle_id', '=', cycle.id);
  for (const r of await previous.unionAll(current).execute()) {
    const basis = out.get(r.project_id);
    if (!basis) continue;
    if (r.cycle_id === cycle.id) basis.current = { periodInvestment: r.period_investment, ytd: r.ytd_investment };
    else basis.previousSameKind = { ytd: r.ytd_investment };
  }
  return out;
}

/**
 * The year-to-date chain a report of `year` joins, from what was loaded: the chain's previous
 * report, the registry's figure when it is for this year, and this cycle's report when the
 * submission would be a correction.
 */
export function ytdChainOf(o: {
  year: number;
  project: Pick<Project, 'ytd_year' | 'ytd_investment'>;
  previousSameKind: Pick<ReportRef, 'ytd'> | undefined;
  existing: Pick<ReportRef, 'periodInvestment' | 'ytd'> | undefined;
}): YtdChain {
  return {
    previousYtd: o.previousSameKind?.ytd ?? null,
    registryYtd: o.project.ytd_year === o.year ? o.project.ytd_investment : null,
    existing: o.existing ? { periodInvestment: o.existing.periodInvestment, ytd: o.existing.ytd } : null,
  };
}

/** The cumulative before this period, or null when nothing at all is known for the year. */
export function knownYtdBefore(chain: YtdChain): string | null {
  return chain.previousYtd === null && chain.registryYtd === null && chain.existing === null ? null : ytdBase(chain);
}

type ReportRefRow = Awaited<ReturnType<ReturnType<typeof reportRefs>['execute']>>[number];

export function toReportRef(r: ReportRefRow): ReportRef {
  return {
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
  };
}
