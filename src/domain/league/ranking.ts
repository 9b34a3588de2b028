// The composite ranking ("根据各指标排位进行综合考核"): each indicator ranks the regions (higher is
// better, equal values share a rank: 1, 2, 2, 4), the ranks combine by weight into a score (lower
// is better), and the scores rank the regions again with the same tie rule. A region missing an
// indicator (no last-year figure, no problems raised) is scored on the ones it has: an unknown is
// neither a good nor a bad mark. Regions exempted or without an annual plan are listed, not
// ranked, with the reason. Pure.
import type { Decimal } from 'decimal.js';
import { z } from 'zod';
import { Dec } from '../amount.js';
import type { Indicators, RegionInfo } from './indicators.js';

export const RANKED_INDICATORS = [
  'completionRate', 'yoyGrowth', 'startRate', 'largeShare', 'privateShare', 'registeredRate', 'onTimeRate', 'problemResolutionRate',
] as const;
export type RankedIndicator = (typeof RANKED_INDICATORS)[number];

export const INDICATOR_LABELS: Record<RankedIndicator, string> = {
  completionRate: '年度计划完成率',
  yoyGrowth: '同比增速',
  startRate: '开复工率',
  largeShare: '5000万元以上项目投资占比',
  privateShare: '民间投资占比',
  registeredRate: '入统率',
  onTimeRate: '按时报送率',
  problemResolutionRate: '问题解决率',
};

export const leagueRulesSchema = z.object({
  /** Weight per indicator; missing = 1, 0 leaves it out. */
  weights: z.partialRecord(z.enum(RANKED_INDICATORS), z.number().min(0)).default({}),
  redCount: z.number().int().min(0).default(3),
  blackCount: z.number().int().min(0).default(3),
  /** 绵阳's rule: 红榜 only for regions at or ahead of 序时进度 (and 黑榜 only for those behind it). */
  requireBeatTarget: z.boolean().default(false),
});
export type LeagueRules = z.infer<typeof leagueRulesSchema>;
export const DEFAULT_LEAGUE_RULES: LeagueRules = leagueRulesSchema.parse({});

export type Movement = { kind: 'new' } | { kind: 'same' } | { kind: 'up' | 'down'; by: number };

export type LeagueRow = {
  regionId: number;
  name: string;
  indicators: Indicators;
  /** Per indicator rank among ranked regions that have it. */
  ranks: Partial<Record<RankedIndicator, number>>;
  score: Decimal | null;
  rank: number | null;
  /** Another ranked region has the same rank. */
  tied: boolean;
  movement: Movement | null;
  notRankedReason: string | null;
};

export type League = { rows: LeagueRow[]; red: number[]; black: number[] };

/** Competition ranking ("1224") of values, higher first; equal Decimals share a rank. */
export function competitionRanks<K>(entries: readonly { key: K; value: Decimal }[], higherFirst = true): Map<K, number> {
  const sorted = [...entries].sort((a, b) => (higherFirst ? b.value.comparedTo(a.value) : a.value.comparedTo(b.value)));
  const out = new Map<K, number>();
  sorted.forEach((e, i) => {
    const prev = sorted[i - 1];
    out.set(e.key, prev && prev.value.eq(e.value) ? (out.get(prev.key) as number) : i + 1);
  });
  return out;
}

export function movementOf(rank: number | null, previous: number | null | undefined): Movement | null {
  if (rank === null) return null;
  if (previous === null || previous === undefined) return { kind: 'new' };
  if (previous === rank) return { kind: 'same' };
  return previous > rank ? { kind: 'up', by: previous - rank } : { kind: 'down', by: rank - previous };
}

/** "↑2" / "↓1" / "新" / "—". */
export function movementText(m: Movement | null): string {
  if (!m) return '';
  if (m.kind === 'new') return '新';
  if (m.kind === 'same') return '—';
  return `${m.kind === 'up' ? '↑' : '↓'}${m.by}`;
}

export function rankLeague(
  regions: readonly RegionInfo[],
  indicators: ReadonlyMap<number, Indicators>,
  previousRanks: ReadonlyMap<number, number | null>,
  rulesInput: Partial<LeagueRules> = {},
): League {
  const rules = leagueRulesSchema.parse(rulesInput);
  const rows: LeagueRow[] = regions.map((r) => {
    const ind = indicators.get(r.regionId);
    if (!ind) throw new Error(`no indicators for region ${r.regionId}`);
    const notRankedReason = r.exemptReason !== null
      ? `不参与排名：${r.exemptReason}`
      : ind.annualPlan.lte(0) ? '不参与排名：无年度计划投资' : null;
    return { regionId: r.regionId, name: r.name, indicators: ind, ranks: {}, score: null, rank: null, tied: false, movement: null, notRankedReason };
  });
  const ranked = rows.filter((r) => r.notRankedReason === null);
  const weight = (k: RankedIndicator): number => rules.weights[k] ?? 1;
  for (const k of RANKED_INDICATORS) {
    if (weight(k) === 0) continue;
    const entries = ranked.flatMap((r) => {
      const v = r.indicators[k];
      return v === null ? [] : [{ key: r.regionId, value: v }];
    });
    const ranks = competitionRanks(entries);
    for (const r of ranked) {
      const n = ranks.get(r.regionId);
      if (n !== undefined) r.ranks[k] = n;
    }
  }
  for (const r of ranked) {
    let num = new Dec(0);
    let den = new Dec(0);
    for (const [k, n] of Object.entries(r.ranks) as [RankedIndicator, number][]) {
      num = num.plus(new Dec(n).times(weight(k)));
      den = den.plus(weight(k));
    }
    r.score = den.gt(0) ? num.dividedBy(den) : null;
  }
  const scored = ranked.filter((r) => r.score !== null);
  const finalRanks = competitionRanks(scored.map((r) => ({ key: r.regionId, value: r.score as Decimal })), false);
  for (const r of ranked) {
    r.rank = finalRanks.get(r.regionId) ?? null;
    if (r.rank === null) r.notRankedReason = '不参与排名：无可比指标';
  }
  for (const r of ranked) {
    r.tied = r.rank !== null && ranked.some((o) => o !== r && o.rank === r.rank);
    r.movement = movementOf(r.rank, previousRanks.get(r.regionId));
  }
  // Table order: by rank (a tie by completion rate, then the regions' own order), then the
  // unranked in the regions' order. Display only: tied regions keep the same rank.
  const position = new Map(regions.map((r, i) => [r.regionId, i]));
  const pos = (r: LeagueRow): number => position.get(r.regionId) ?? 0;
  const order = (a: LeagueRow, b: LeagueRow): number => {
    if (a.rank !== null && b.rank !== null) {
      return a.rank - b.rank || (b.indicators.completionRate ?? new Dec(-1)).comparedTo(a.indicators.completionRate ?? new Dec(-1)) || pos(a) - pos(b);
    }
    if (a.rank !== null) return -1;
    if (b.rank !== null) return 1;
    return pos(a) - pos(b);
  };
  const sortedRows = [...rows].sort(order);
  const rankedRows = sortedRows.filter((r) => r.rank !== null);
  const beats = (r: LeagueRow): boolean => r.indicators.lagPoints !== null && r.indicators.lagPoints.lte(0);
  const red = rankedRows.filter((r) => (r.rank as number) <= rules.redCount && (!rules.requireBeatTarget || beats(r)));
  // Bottom N counted from the end; a tie at the boundary brings in every tied region.
  const worse = (r: LeagueRow): number => rankedRows.filter((o) => (o.rank as number) > (r.rank as number)).length;
  const black = rankedRows.filter((r) => worse(r) < rules.blackCount && !red.includes(r) && (!rules.requireBeatTarget || !beats(r)));
  return { rows: sortedRows, red: red.map((r) => r.regionId), black: black.map((r) => r.regionId) };
}

/**
 * 季考评: the quarter's months' composite ranks averaged per region (a month the region was not
 * ranked is left out), ranked again, lower average first.
 */
export function quarterRollup(months: readonly ReadonlyMap<number, number | null>[]): Map<number, { average: Decimal; rank: number; months: number }> {
  const sums = new Map<number, { total: Decimal; n: number }>();
  for (const m of months) {
    for (const [regionId, rank] of m) {
      if (rank === null) continue;
      const s = sums.get(regionId) ?? { total: new Dec(0), n: 0 };
      sums.set(regionId, { total: s.total.plus(rank), n: s.n + 1 });
    }
  }
  const averages = [...sums].map(([key, s]) => ({ key, value: s.total.dividedBy(s.n), n: s.n }));
  const ranks = competitionRanks(averages, false);
  return new Map(averages.map((a) => [a.key, { average: a.value, rank: ranks.get(a.key) as number, months: a.n }]));
}
