// Loads one cycle's figures for the league table and computes it with the pure functions of
// domain/league/. Every table, card, spreadsheet and 通报 reads its figures from computeLeague,
// so a number in the text can never differ from the same number in the table.
import type { Kysely } from 'kysely';
import type { Database, Cycle } from '../db/schema.js';
import { periodDays, periodYear, parsePeriodKey } from '../domain/period.js';
import { completionRate, lagPoints, timeProgress } from '../domain/schedule-lag.js';
import { light, lightRules, type LightRules, type Light } from '../domain/lights.js';
import { regionIndicators, type CycleFrame, type Indicators, type ProjectFigures, type RegionInfo } from '../domain/league/indicators.js';
import { rankLeague, type League, type LeagueRules } from '../domain/league/ranking.js';
import { AppError } from '../errors.js';
import { anyId } from '../status/project-status.js';

type Q = Kysely<Database>;

export type LeagueProject = ProjectFigures & {
  regionName: string;
  progress: string;
  ownerName: string | null;
  submittedByName: string | null;
  submittedAt: Date | null;
  late: boolean;
  periodInvestment: string | null;
};

export type LeagueResult = {
  cycle: Cycle;
  frame: CycleFrame & { month: number };
  regions: RegionInfo[];
  projects: LeagueProject[];
  byRegion: Map<number, Indicators>;
  city: Indicators;
  league: League;
};

export type LeagueOptions = { rules?: Partial<LeagueRules>; lightRules?: LightRules };

/** The month a cycle's figures run through (weekly: the month its last day falls in). */
export function throughMonth(cycle: Pick<Cycle, 'kind' | 'period_key'>): number {
  const p = parsePeriodKey(cycle.period_key, cycle.kind);
  return p.kind === 'monthly' ? p.month : Number(periodDays(cycle.kind, cycle.period_key).lastDay.slice(5, 7));
}

export async function loadCycle(db: Q, ref: number | { kind: Cycle['kind']; periodKey: string }): Promise<Cycle> {
  const q = db.selectFrom('cycles').selectAll();
  const cycle = typeof ref === 'number'
    ? await q.where('id', '=', ref).executeTakeFirst()
    : await q.where('kind', '=', ref.kind).where('period_key', '=', ref.periodKey).executeTakeFirst();
  if (!cycle) {
    const what = typeof ref === 'number' ? `编号 ${ref}` : ref.periodKey;
    throw new AppError('NOT_FOUND', `cycle ${JSON.stringify(ref)} not found`, { userMessage: `找不到调度期次 ${what}` });
  }
  return cycle;
}

/** Ranks of the cycle of the same kind before this one, from its snapshot. */
async function previousRanks(db: Q, cycle: Cycle): Promise<Map<number, number | null>> {
  const prev = await db
    .selectFrom('league_snapshots as s')
    .innerJoin('cycles as c', 'c.id', 's.cycle_id')
    .select('s.data')
    .where('c.kind', '=', cycle.kind)
    .where('c.period_key', '<', cycle.period_key)
    .where('s.scope', '=', 'city')
    .orderBy('c.period_key', 'desc')
    .limit(1)
    .executeTakeFirst();
  const rows = (prev?.data as SnapshotData | undefined)?.rows ?? [];
  return new Map(rows.map((r) => [r.regionId, r.rank]));
}

export async function computeLeague(db: Q, cycleRef: number | { kind: Cycle['kind']; periodKey: string }, opts: LeagueOptions = {}): Promise<LeagueResult> {
  const cycle = await loadCycle(db, cycleRef);
  const year = periodYear(cycle.kind, cycle.period_key);
  const periodEnd = periodDays(cycle.kind, cycle.period_key).lastDay;
  const month = throughMonth(cycle);
  const frame = { year, periodEnd, month, timeProgress: timeProgress(cycle.kind, cycle.period_key) };

  const rows = await db
    .selectFrom('cycle_projects as cp')
    .innerJoin('projects as p', 'p.id', 'cp.project_id')
    .innerJoin('regions as g', 'g.id', 'cp.region_id')
    .leftJoin('reports as r', (j) => j.onRef('r.cycle_id', '=', 'cp.cycle_id').onRef('r.project_id', '=', 'cp.project_id'))
    .leftJoin('people as o', 'o.id', 'p.owner_id')
    .leftJoin('people as s', 's.id', 'r.submitted_by')
    .select([
      'p.id', 'p.code', 'p.name', 'cp.region_id', 'g.name as region_name', 'p.total_investment', 'p.annual_plan', 'p.ytd_investment', 'p.ytd_year',
      'p.since_start_investment', 'p.investor_type', 'p.planned_start', 'p.started', 'p.started_on', 'p.completed', 'p.registered', 'p.stage',
      'cp.status', 'r.ytd_investment as r_ytd', 'r.since_start_investment as r_since', 'r.period_investment as r_period', 'r.started as r_started',
      'r.completed as r_completed', 'r.registered as r_registered', 'r.stage as r_stage', 'r.progress', 'r.submitted_at', 'r.late',
      'o.name as owner_name', 's.name as submitted_by_name',
    ])
    .where('cp.cycle_id', '=', cycle.id)
    .orderBy('p.code')
    .execute();
  const ids = rows.map((r) => r.id);

  // The lights stored at close (escalation) are the record; a rule change later must not rewrite a past table.
  const stored = new Map(
    (await db.selectFrom('project_lights').select(['project_id', 'light', 'reasons']).where('cycle_id', '=', cycle.id).execute()).map((l) => [l.project_id, l]),
  );
  // Consecutive misses up to this cycle, of the same cadence (light rule): only a project without
  // a stored light is judged here, so only their history is read (after a close, none).
  const unjudged = ids.filter((id) => !stored.has(id));
  const history = unjudged.length === 0 ? [] : await db
    .selectFrom('cycle_projects as cp')
    .innerJoin('cycles as c', 'c.id', 'cp.cycle_id')
    .select(['cp.project_id', 'cp.status'])
    .where(anyId('cp.project_id', unjudged))
    .where('c.kind', '=', cycle.kind)
    .where('c.period_key', '<=', cycle.period_key)
    .orderBy('c.period_key', 'desc')
    .execute();
  const missedRun = new Map<number, number>();
  const broken = new Set<number>();
  for (const h of history) {
    if (broken.has(h.project_id)) continue;
    if (h.status === 'missed') missedRun.set(h.project_id, (missedRun.get(h.project_id) ?? 0) + 1);
    else broken.add(h.project_id);
  }

  const yearStart = `${year}-01-01`;
  const problems = ids.length === 0 ? [] : await db
    .selectFrom('problems')
    .select(['project_id', 'status'])
    .where(anyId('project_id', ids))
    .where('raised_at', '>=', new Date(`${yearStart}T00:00:00+08:00`))
    .where('raised_at', '<=', cycle.due_at)
    .execute();
  const raised = new Map<number, number>();
  const resolved = new Map<number, number>();
  for (const pr of problems) {
    raised.set(pr.project_id, (raised.get(pr.project_id) ?? 0) + 1);
    if (pr.status === 'resolved' || pr.status === 'confirmed') resolved.set(pr.project_id, (resolved.get(pr.project_id) ?? 0) + 1);
  }

  const rulesForLights = opts.lightRules ?? lightRules('yinchuan');
  const projects: LeagueProject[] = rows.map((r) => {
    const registryYtd = r.ytd_year === year ? r.ytd_investment : null;
    const ytd = r.r_ytd ?? registryYtd;
    const started = r.r_started ?? r.started;
    const record = stored.get(r.id);
    const computed = record ?? light({
      ytd, annualPlan: r.annual_plan, timeProgress: frame.timeProgress, plannedStart: r.planned_start, started,
      asOfDay: periodEnd, consecutiveMissed: missedRun.get(r.id) ?? 0, thresholds: rulesForLights,
    });
    const rate = ytd === null ? null : completionRate(ytd, r.annual_plan);
    const judged: { light: Light; reasons: string[]; lagPoints: ReturnType<typeof lagPoints> | null } = {
      light: record?.light ?? computed.light,
      reasons: record?.reasons ?? computed.reasons,
      // The league always speaks of points behind 序时进度, whatever measure the light preset uses.
      lagPoints: rate ? lagPoints(frame.timeProgress, rate) : null,
    };
    return {
      projectId: r.id, code: r.code, name: r.name, regionId: r.region_id, regionName: r.region_name,
      totalInvestment: r.total_investment, annualPlan: r.annual_plan, ytd, sinceStart: r.r_since ?? r.since_start_investment,
      investorType: r.investor_type, plannedStart: r.planned_start, started, startedOn: r.started_on,
      completed: r.r_completed ?? r.completed, registered: r.r_registered ?? r.registered, stage: r.r_stage ?? r.stage,
      status: r.status, light: judged.light, lagPoints: judged.lagPoints?.toFixed(1) ?? null, lightReasons: judged.reasons,
      problemsRaised: raised.get(r.id) ?? 0, problemsResolved: resolved.get(r.id) ?? 0,
      progress: r.progress ?? '', ownerName: r.owner_name, submittedByName: r.submitted_by_name, submittedAt: r.submitted_at,
      late: r.late ?? false, periodInvestment: r.r_period,
    };
  });

  const regionIds = [...new Set(rows.map((r) => r.region_id))];
  const [regionRows, baselines, exemptions] = regionIds.length === 0 ? [[], [], []] : await Promise.all([
    db.selectFrom('regions').select(['id', 'name', 'sort_order']).where('id', 'in', regionIds).orderBy('sort_order').orderBy('id').execute(),
    db.selectFrom('region_baselines').select(['region_id', 'amount']).where('region_id', 'in', regionIds)
      .where('year', '=', year - 1).where('through_month', '=', month).execute(),
    db.selectFrom('region_league_exemptions').select(['region_id', 'reason']).where('region_id', 'in', regionIds).execute(),
  ]);
  const base = new Map(baselines.map((b) => [b.region_id, b.amount]));
  const exempt = new Map(exemptions.map((e) => [e.region_id, e.reason]));
  const regions: RegionInfo[] = regionRows.map((g) => ({
    regionId: g.id, name: g.name, sortOrder: g.sort_order, lastYearSamePeriod: base.get(g.id) ?? null, exemptReason: exempt.get(g.id) ?? null,
  }));
  const { byRegion, city } = regionIndicators(projects, regions, frame);
  const league = rankLeague(regions, byRegion, await previousRanks(db, cycle), opts.rules);
  return { cycle, frame, regions, projects, byRegion, city, league };
}

/** What a snapshot keeps: enough to show movement next time and to re-post without recomputing. */
export type SnapshotData = {
  periodKey: string;
  kind: Cycle['kind'];
  rows: { regionId: number; name: string; rank: number | null; tied: boolean; score: string | null; movement: string; notRankedReason: string | null; completionRate: string | null; lagPoints: string | null }[];
  red: number[];
  black: number[];
};

export function snapshotOf(r: LeagueResult, movementText: (m: League['rows'][number]['movement']) => string): SnapshotData {
  return {
    periodKey: r.cycle.period_key,
    kind: r.cycle.kind,
    rows: r.league.rows.map((row) => ({
      regionId: row.regionId, name: row.name, rank: row.rank, tied: row.tied, score: row.score?.toFixed() ?? null,
      movement: movementText(row.movement), notRankedReason: row.notRankedReason,
      completionRate: row.indicators.completionRate?.toFixed() ?? null, lagPoints: row.indicators.lagPoints?.toFixed() ?? null,
    })),
    red: r.league.red,
    black: r.league.black,
  };
}

/** Keeps the cycle's snapshot (the first one computed after the close stays: movement is against it). */
export async function saveSnapshot(db: Q, r: LeagueResult, data: SnapshotData, opts: { replace?: boolean } = {}): Promise<void> {
  const q = db.insertInto('league_snapshots').values({ cycle_id: r.cycle.id, scope: 'city', data: JSON.stringify(data) });
  await (opts.replace
    ? q.onConflict((oc) => oc.columns(['cycle_id', 'scope']).doUpdateSet({ data: JSON.stringify(data), computed_at: new Date() }))
    : q.onConflict((oc) => oc.columns(['cycle_id', 'scope']).doNothing())
  ).execute();
}

/** Monthly ranks of the quarter's months (for 季考评), from their snapshots. */
export async function quarterSnapshots(db: Q, year: number, quarterEndMonth: number): Promise<Map<number, number | null>[]> {
  const keys = [quarterEndMonth - 2, quarterEndMonth - 1, quarterEndMonth].map((m) => `${year}-${String(m).padStart(2, '0')}`);
  const rows = await db
    .selectFrom('league_snapshots as s')
    .innerJoin('cycles as c', 'c.id', 's.cycle_id')
    .select('s.data')
    .where('c.kind', '=', 'monthly')
    .where('c.period_key', 'in', keys)
    .where('s.scope', '=', 'city')
    .execute();
  return rows.map((r) => new Map((r.data as SnapshotData).rows.map((x) => [x.regionId, x.rank])));
}

export const isQuarterEnd = (cycle: Pick<Cycle, 'kind' | 'period_key'>): boolean =>
  cycle.kind === 'monthly' && throughMonth(cycle) % 3 === 0;
