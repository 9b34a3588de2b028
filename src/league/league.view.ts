// LeagueResult → the words and numbers people read (cards, 通报, spreadsheet). One place formats
// every figure, so the headline, the table and the files agree to the digit.
import type { Decimal } from 'decimal.js';
import { Dec, formatPercent } from '../domain/amount.js';
import type { Indicators } from '../domain/league/indicators.js';
import { movementText, type LeagueRow } from '../domain/league/ranking.js';
import { lightEmoji } from '../domain/schedule-lag.js';
import { periodLabel } from '../domain/period.js';
import type { LeagueTableRow, LeagueView, RegionLeagueView } from '../cards/league.card.js';
import type { LeagueResult } from './league.data.js';

export const pct = (d: Decimal | null): string => (d === null ? '—' : formatPercent(d));
export const yi = (wan: Decimal): string => wan.dividedBy(10000).toFixed(2);

/** "高于序时进度23.8个百分点" / "低于…" / "与序时进度持平"; lag positive = behind. */
export function lagPhrase(lag: Decimal | null): string {
  if (lag === null) return '无法计算序时进度';
  const p = lag.toDecimalPlaces(1);
  if (p.isZero()) return '与序时进度持平';
  return `${p.isPositive() ? '低于' : '高于'}序时进度${p.abs().toFixed(1)}个百分点`;
}

/** "+23.8" / "-12.3" points against 序时进度 (ahead positive), for tables. */
export const lagCell = (lag: Decimal | null): string => {
  if (lag === null) return '—';
  const ahead = lag.negated().toDecimalPlaces(1);
  return ahead.isZero() ? '0.0' : `${ahead.isPositive() ? '+' : ''}${ahead.toFixed(1)}`;
};

export const lightsCell = (l: Indicators['lights']): string => `🔴${l.red} 🟡${l.yellow} 🟢${l.green}`;

export const rankText = (row: Pick<LeagueRow, 'rank' | 'tied'>): string => (row.rank === null ? '—' : `${row.tied ? '并列' : ''}${row.rank}`);

export function periodSpan(r: LeagueResult): string {
  return r.cycle.kind === 'monthly' ? (r.frame.month === 1 ? '1月' : `1—${r.frame.month}月`) : `截至${periodLabel(r.cycle.kind, r.cycle.period_key)}`;
}

/** The seeds' headline: "1—11月，全市40个重点项目累计完成投资X亿元，占年度计划的Y%，高于序时进度Z个百分点；开复工率W%…" */
export function headline(r: LeagueResult, scope = '全市'): string {
  const c = r.city;
  const parts = [
    `${periodSpan(r)}，${scope}${c.projectCount}个重点项目累计完成投资${yi(c.ytd)}亿元，占年度计划的${pct(c.completionRate)}，${lagPhrase(c.lagPoints)}`,
  ];
  if (c.yoyGrowth !== null) parts.push(`同比增长${pct(c.yoyGrowth)}`);
  parts.push(`开复工率${pct(c.startRate)}`);
  parts.push(`本年新开工项目${c.newStarts}个`);
  parts.push(`5000万元以上在建项目${c.largeUnderConstruction}个，完成投资占比${pct(c.largeShare)}`);
  parts.push(`民间投资占比${pct(c.privateShare)}`);
  parts.push(`已开工项目入统率${pct(c.registeredRate)}`);
  parts.push(`按时报送率${pct(c.onTimeRate)}`);
  parts.push(`问题解决率${pct(c.problemResolutionRate)}`);
  return parts.join('；') + '。';
}

export function tableRow(row: LeagueRow): LeagueTableRow {
  const i = row.indicators;
  return {
    rank: rankText(row),
    name: row.name,
    movement: movementText(row.movement),
    completion: pct(i.completionRate),
    lag: lagCell(i.lagPoints),
    startRate: pct(i.startRate),
    registeredRate: pct(i.registeredRate),
    privateShare: pct(i.privateShare),
    yoy: pct(i.yoyGrowth),
    onTime: pct(i.onTimeRate),
    lights: lightsCell(i.lights),
    completionValue: i.completionRate === null ? null : Number(i.completionRate.times(100).toFixed(1)),
  };
}

export function leagueTitle(r: LeagueResult): string {
  const label = periodLabel(r.cycle.kind, r.cycle.period_key);
  return r.cycle.kind === 'monthly' ? `${label}重点项目月通报·擂台` : `${label}重点项目周擂台`;
}

export function leagueView(r: LeagueResult, quarter: LeagueView['quarter'] = null): LeagueView {
  const names = new Map(r.league.rows.map((x) => [x.regionId, x.name]));
  return {
    title: leagueTitle(r),
    subtitle: `序时进度 ${formatPercent(r.frame.timeProgress)}`,
    headline: headline(r),
    timeProgressValue: Number(new Dec(r.frame.timeProgress).times(100).toFixed(1)),
    red: r.league.red.map((id) => names.get(id) ?? ''),
    black: r.league.black.map((id) => names.get(id) ?? ''),
    rows: r.league.rows.filter((x) => x.rank !== null).map(tableRow),
    notRanked: r.league.rows.filter((x) => x.notRankedReason !== null).map((x) => ({ name: x.name, reason: x.notRankedReason as string })),
    monthly: r.cycle.kind === 'monthly',
    quarter,
  };
}

export const MAX_LAGGING_SHOWN = 30;

export type OpenEscalation = { projectId: number; projectName: string; regionId: number; level: number; state: string; reasonText: string; instructions: string[] };

const ESCALATION_STATE: Record<string, string> = { open: '待处理', acknowledged: '已知悉', supervising: '督办中', instructed: '已批示', resolved: '已办结' };

export function laggingProjects(r: LeagueResult, regionId?: number) {
  return r.projects
    .filter((p) => (regionId === undefined || p.regionId === regionId) && (p.light === 'red' || p.light === 'yellow'))
    .sort((a, b) => (a.light === b.light ? a.code.localeCompare(b.code) : a.light === 'red' ? -1 : 1));
}

export function regionView(r: LeagueResult, regionId: number, escalations: readonly OpenEscalation[]): RegionLeagueView {
  const row = r.league.rows.find((x) => x.regionId === regionId);
  if (!row) throw new Error(`region ${regionId} is not in cycle ${r.cycle.id}`);
  const ranked = r.league.rows.filter((x) => x.rank !== null).length;
  const i = row.indicators;
  const move = movementText(row.movement);
  const position = row.rank === null
    ? `未参与排名（${(row.notRankedReason ?? '').replace(/^不参与排名：/, '')}）`
    : `综合排名第${rankText(row)}名（共${ranked}个地区）${move && move !== '—' ? `，较上期${move === '新' ? '为首次排名' : move}` : ''}`;
  const lagging = laggingProjects(r, regionId);
  return {
    title: `${leagueTitle(r)}·${row.name}`,
    subtitle: `序时进度 ${formatPercent(r.frame.timeProgress)}`,
    regionName: row.name,
    position,
    figures: [
      `${periodSpan(r)}，${i.projectCount}个重点项目累计完成投资${yi(i.ytd)}亿元，占年度计划的${pct(i.completionRate)}，${lagPhrase(i.lagPoints)}`,
      `开复工率${pct(i.startRate)}，入统率${pct(i.registeredRate)}，民间投资占比${pct(i.privateShare)}，同比${pct(i.yoyGrowth)}`,
      `按时报送率${pct(i.onTimeRate)}，问题解决率${pct(i.problemResolutionRate)}，${lightsCell(i.lights)}`,
    ],
    lagging: lagging.slice(0, MAX_LAGGING_SHOWN).map((p) => ({ name: p.name, light: lightEmoji(p.light), reasons: p.lightReasons.join('；') })),
    laggingMore: Math.max(0, lagging.length - MAX_LAGGING_SHOWN),
    escalations: escalations.filter((e) => e.regionId === regionId).slice(0, 20).map((e) => ({
      name: e.projectName,
      text: `${e.level === 2 ? '二级' : '一级'}督办（${ESCALATION_STATE[e.state] ?? e.state}）：${e.reasonText}${e.instructions.length > 0 ? `；领导批示：${e.instructions.join('；')}` : ''}`,
    })),
  };
}
