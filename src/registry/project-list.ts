// `projects list`: the registry as a table or as JSON, filtered by region, stage and list.
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { CycleKind, Stage } from '../db/schema.js';
import { canonical, Dec, formatWan } from '../domain/amount.js';
import { canonicalListName } from './cell-parsers.js';
import { renderTable } from '../platform/text-table.js';

export type ProjectFilter = {
  region?: string;
  stage?: Stage;
  list?: string;
  /** 'active' (default), 'inactive' (retired only) or 'all'. */
  state?: 'active' | 'inactive' | 'all';
};

export type ListedPerson = { name: string; mobile: string | null; matchStatus: 'unmatched' | 'matched' | 'not_found' };

export type ProjectListing = {
  code: string;
  name: string;
  region: string;
  stage: Stage;
  lists: string[];
  frequency: CycleKind;
  /** 万元, canonical decimal strings. */
  totalInvestment: string;
  annualPlan: string;
  /** The year ytdInvestment counts toward; null when no year-to-date is known. */
  ytdYear: number | null;
  /** 年度累计完成投资 in 万元; null when no year-to-date is known. */
  ytdInvestment: string | null;
  /** ytdInvestment as a percentage of annualPlan, one decimal ("86.7"); null without either. */
  ytdPercentOfPlan: string | null;
  plannedStart: string | null;
  plannedFinish: string | null;
  department: string | null;
  owner: ListedPerson | null;
  leader: ListedPerson | null;
  viceMayor: ListedPerson | null;
  active: boolean;
};

export async function listProjects(db: Db, filter: ProjectFilter = {}): Promise<ProjectListing[]> {
  let q = db
    .selectFrom('projects as p')
    .innerJoin('regions as r', 'r.id', 'p.region_id')
    .leftJoin('departments as d', 'd.id', 'p.department_id')
    .leftJoin('people as o', 'o.id', 'p.owner_id')
    .leftJoin('people as l', 'l.id', 'p.leader_id')
    .leftJoin('people as v', 'v.id', 'p.vice_mayor_id')
    .select([
      'p.code', 'p.name', 'r.name as region', 'p.stage', 'p.lists', 'p.dispatch_frequency', 'p.total_investment',
      'p.annual_plan', 'p.ytd_year', 'p.ytd_investment', 'p.planned_start', 'p.planned_finish', 'd.name as department', 'p.active',
      'o.name as owner_name', 'o.mobile as owner_mobile', 'o.match_status as owner_status',
      'l.name as leader_name', 'l.mobile as leader_mobile', 'l.match_status as leader_status',
      'v.name as vm_name', 'v.mobile as vm_mobile', 'v.match_status as vm_status',
    ]);
  const state = filter.state ?? 'active';
  if (state !== 'all') q = q.where('p.active', '=', state === 'active');
  if (filter.region) q = q.where('r.name', '=', filter.region.trim());
  if (filter.stage) q = q.where('p.stage', '=', filter.stage);
  if (filter.list) {
    const list = canonicalListName(filter.list);
    q = q.where(sql<boolean>`${list} = any(p.lists)`);
  }
  const rows = await q.orderBy('r.sort_order').orderBy('p.code').execute();
  const person = (name: string | null, mobile: string | null, status: ListedPerson['matchStatus'] | null): ListedPerson | null =>
    name === null ? null : { name, mobile, matchStatus: status ?? 'unmatched' };
  return rows.map((r) => ({
    code: r.code,
    name: r.name,
    region: r.region,
    stage: r.stage,
    lists: r.lists,
    frequency: r.dispatch_frequency,
    totalInvestment: canonical(r.total_investment),
    annualPlan: canonical(r.annual_plan),
    ...ytdOf(r.ytd_year, r.ytd_investment, r.annual_plan),
    plannedStart: r.planned_start,
    plannedFinish: r.planned_finish,
    department: r.department,
    owner: person(r.owner_name, r.owner_mobile, r.owner_status),
    leader: person(r.leader_name, r.leader_mobile, r.leader_status),
    viceMayor: person(r.vm_name, r.vm_mobile, r.vm_status),
    active: r.active,
  }));
}

function ytdOf(year: number | null, ytd: string, plan: string): Pick<ProjectListing, 'ytdYear' | 'ytdInvestment' | 'ytdPercentOfPlan'> {
  // Without a year the stored 0 is the column default, not a figure anyone gave.
  if (year === null) return { ytdYear: null, ytdInvestment: null, ytdPercentOfPlan: null };
  const percent = new Dec(plan).gt(0) ? new Dec(ytd).div(plan).times(100).toFixed(1) : null;
  return { ytdYear: year, ytdInvestment: canonical(ytd), ytdPercentOfPlan: percent };
}

export const MATCH_LABELS: Record<ListedPerson['matchStatus'], string> = { matched: '已匹配', not_found: '未找到', unmatched: '未匹配' };
export const FREQUENCY_LABELS: Record<CycleKind, string> = { weekly: '每周', monthly: '每月' };

/**
 * The registry as a terminal table. `year` is the current year: a year-to-date of another year
 * (last year's, before this year's first report) is not this year's progress and shows as —.
 */
export function renderProjectTable(projects: ProjectListing[], opts: { year: number; showState?: boolean }): string[] {
  const columns = [
    { header: '项目编号' },
    { header: '项目名称', maxWidth: 32 },
    { header: '所属地区' },
    { header: '阶段' },
    { header: '频次' },
    { header: '总投资(万元)', align: 'right' as const },
    { header: '年度计划(万元)', align: 'right' as const },
    { header: `${opts.year}年累计(万元)`, align: 'right' as const },
    { header: '占年度计划', align: 'right' as const },
    { header: '项目负责人' },
    { header: '飞书匹配' },
    ...(opts.showState ? [{ header: '状态' }] : []),
  ];
  const rows = projects.map((p) => [
    p.code,
    p.name,
    p.region,
    p.stage,
    FREQUENCY_LABELS[p.frequency],
    formatWan(p.totalInvestment),
    formatWan(p.annualPlan),
    ...ytdCells(p, opts.year),
    p.owner?.name ?? '—',
    p.owner ? MATCH_LABELS[p.owner.matchStatus] : '无负责人',
    ...(opts.showState ? [p.active ? '在用' : '已停用'] : []),
  ]);
  return [...renderTable(columns, rows), `共 ${projects.length} 个项目`];
}

function ytdCells(p: ProjectListing, year: number): [string, string] {
  if (p.ytdYear !== year || p.ytdInvestment === null) return ['—', '—'];
  return [formatWan(p.ytdInvestment), p.ytdPercentOfPlan === null ? '—' : `${p.ytdPercentOfPlan}%`];
}
