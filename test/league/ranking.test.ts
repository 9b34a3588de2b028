// A fixture cycle computed by hand: three ranked regions (two tied), one without a plan, one
// exempted; movement against a previous snapshot; 红榜/黑榜 under both rules; the quarter roll-up.
import { describe, expect, it } from 'vitest';
import { Dec } from '../../src/domain/amount.js';
import { regionIndicators, type ProjectFigures, type RegionInfo } from '../../src/domain/league/indicators.js';
import { movementText, quarterRollup, rankLeague } from '../../src/domain/league/ranking.js';

const frame = { year: 2026, periodEnd: '2026-11-30', timeProgress: new Dec(11).dividedBy(12) };

const base: Omit<ProjectFigures, 'projectId' | 'code' | 'regionId' | 'annualPlan' | 'ytd' | 'totalInvestment'> = {
  name: 'p', sinceStart: null, investorType: '政府投资', plannedStart: null, started: true, startedOn: '2025-03-01', completed: false,
  registered: true, stage: '续建', status: 'reported', light: 'green', lagPoints: null, lightReasons: [], problemsRaised: 0, problemsResolved: 0,
};
let id = 0;
const p = (regionId: number, o: Partial<ProjectFigures> & Pick<ProjectFigures, 'annualPlan' | 'ytd' | 'totalInvestment'>): ProjectFigures =>
  ({ ...base, projectId: ++id, code: `P${id}`, regionId, ...o });

const A = 1, B = 2, C = 3, D = 4, E = 5;
const projects: ProjectFigures[] = [
  p(A, { annualPlan: '1000', ytd: '1000', totalInvestment: '10000', investorType: '民间投资', problemsRaised: 2, problemsResolved: 2 }),
  p(A, { annualPlan: '1000', ytd: '600', totalInvestment: '3000', startedOn: '2026-04-01', registered: false, status: 'late', light: 'yellow' }),
  p(B, { annualPlan: '2000', ytd: '1800', totalInvestment: '8000', startedOn: '2024-05-01', investorType: '民间投资', problemsRaised: 1 }),
  p(B, { annualPlan: '0', ytd: null, totalInvestment: '2000', started: false, startedOn: null, registered: false, plannedStart: '2026-12-15', status: 'missed', light: 'red' }),
  p(C, { annualPlan: '1000', ytd: '800', totalInvestment: '4000', startedOn: '2026-02-01', investorType: '民间投资' }),
  p(C, { annualPlan: '1000', ytd: '800', totalInvestment: '6000', started: false, startedOn: null, registered: false, plannedStart: '2026-12-10', problemsRaised: 1, problemsResolved: 1 }),
  p(D, { annualPlan: '0', ytd: '300', totalInvestment: '1000', light: 'none' }),
  p(E, { annualPlan: '500', ytd: '100', totalInvestment: '600', started: false, startedOn: null, registered: false }),
];
const regions: RegionInfo[] = [
  { regionId: A, name: '甲县', sortOrder: 1, lastYearSamePeriod: '1280', exemptReason: null },
  { regionId: B, name: '乙县', sortOrder: 2, lastYearSamePeriod: null, exemptReason: null },
  { regionId: C, name: '丙县', sortOrder: 3, lastYearSamePeriod: '2000', exemptReason: null },
  { regionId: D, name: '丁区', sortOrder: 4, lastYearSamePeriod: null, exemptReason: null },
  { regionId: E, name: '戊开发区', sortOrder: 5, lastYearSamePeriod: null, exemptReason: '冬季停工' },
];
const num = (d: unknown): number | null => (d === null ? null : Number(d));

describe('league indicators and ranking (hand-computed)', () => {
  const { byRegion, city } = regionIndicators(projects, regions, frame);

  it('computes each indicator per region', () => {
    const a = byRegion.get(A)!;
    expect(a.annualPlan.toString()).toBe('2000');
    expect(a.ytd.toString()).toBe('1600');
    expect(num(a.completionRate)).toBe(0.8);
    // (11/12 − 0.8) × 100 = 11.666…
    expect(a.lagPoints!.toDecimalPlaces(3).toString()).toBe('11.667');
    expect(num(a.yoyGrowth)).toBe(0.25); // (1600 − 1280) / 1280
    expect(num(a.startRate)).toBe(1);
    expect(a.newStarts).toBe(1); // started 2026-04-01
    expect(a.largeUnderConstruction).toBe(1); // 总投资 10000 ≥ 5000
    expect(num(a.largeShare)).toBe(0.625); // 1000 / 1600
    expect(num(a.privateShare)).toBe(0.625);
    expect(num(a.registeredRate)).toBe(0.5);
    expect(num(a.onTimeRate)).toBe(0.5); // one late
    expect(num(a.problemResolutionRate)).toBe(1);
    expect(a.lights).toEqual({ green: 1, yellow: 1, red: 0, none: 0 });

    const b = byRegion.get(B)!;
    expect(num(b.completionRate)).toBe(0.9);
    expect(b.lagPoints!.toDecimalPlaces(3).toString()).toBe('1.667');
    expect(b.yoyGrowth).toBeNull(); // last year unknown
    expect(num(b.startRate)).toBe(1); // b2 planned for 2026-12-15: not due yet
    expect(b.startDue).toBe(1);
    expect(b.newStarts).toBe(0);
    expect(num(b.largeShare)).toBe(1);
    expect(num(b.onTimeRate)).toBe(0.5); // one missed
    expect(num(b.problemResolutionRate)).toBe(0);

    const c = byRegion.get(C)!;
    expect(num(c.completionRate)).toBe(0.8);
    expect(num(c.yoyGrowth)).toBe(-0.2); // (1600 − 2000) / 2000
    expect(num(c.startRate)).toBe(1);
    expect(c.largeUnderConstruction).toBe(0); // 6000 is not started, 4000 is below the line
    expect(num(c.largeShare)).toBe(0);
    expect(num(c.privateShare)).toBe(0.5);
    expect(num(c.registeredRate)).toBe(1);
    expect(num(c.onTimeRate)).toBe(1);

    expect(byRegion.get(D)!.completionRate).toBeNull();
    expect(city.annualPlan.toString()).toBe('6500');
    expect(city.ytd.toString()).toBe('5400');
    expect(city.completionRate!.eq(new Dec(54).dividedBy(65))).toBe(true);
    expect(city.yoyGrowth).toBeNull(); // not every region's last year is known
    expect(city.projectCount).toBe(8);
  });

  it('ranks by indicator ranks with equal weights, ties shared, unranked explained, movement shown', () => {
    // Indicator ranks (A, B, C):
    //   completion 2,1,2 · yoy 1,–,2 · start 1,1,1 · large 2,1,3 · private 2,1,3 · 入统 3,1,1 · on time 2,2,1 · problems 1,3,1
    //   A = 14/8 = 1.75, B = 10/7 ≈ 1.43, C = 14/8 = 1.75 → B 1, A 2 (tied), C 2 (tied)
    const previous = new Map<number, number | null>([[A, 1], [B, 3], [D, 2]]);
    const league = rankLeague(regions, byRegion, previous);
    const row = (rid: number) => league.rows.find((r) => r.regionId === rid)!;
    expect(row(A).ranks).toEqual({ completionRate: 2, yoyGrowth: 1, startRate: 1, largeShare: 2, privateShare: 2, registeredRate: 3, onTimeRate: 2, problemResolutionRate: 1 });
    expect(row(B).ranks).toEqual({ completionRate: 1, startRate: 1, largeShare: 1, privateShare: 1, registeredRate: 1, onTimeRate: 2, problemResolutionRate: 3 });
    expect(row(A).score!.toString()).toBe('1.75');
    expect(row(C).score!.toString()).toBe('1.75');
    expect(row(B).score!.toDecimalPlaces(4).toString()).toBe('1.4286');
    expect(league.rows.map((r) => [r.name, r.rank, r.tied])).toEqual([
      ['乙县', 1, false], ['甲县', 2, true], ['丙县', 2, true], ['丁区', null, false], ['戊开发区', null, false],
    ]);
    expect(row(D).notRankedReason).toBe('不参与排名：无年度计划投资');
    expect(row(E).notRankedReason).toBe('不参与排名：冬季停工');
    expect(movementText(row(A).movement)).toBe('↓1');
    expect(movementText(row(B).movement)).toBe('↑2');
    expect(movementText(row(C).movement)).toBe('新');
    expect(row(D).movement).toBeNull();
    // Default rules: top three and bottom three of three ranked regions: all red, none black.
    expect(league.red).toEqual([B, A, C]);
    expect(league.black).toEqual([]);
  });

  it('红榜/黑榜 take every region tied at the boundary; 绵阳 rule needs 序时进度 beaten', () => {
    const league = rankLeague(regions, byRegion, new Map(), { redCount: 1, blackCount: 1 });
    expect(league.red).toEqual([B]);
    expect(league.black).toEqual([A, C]);
    const mianyang = rankLeague(regions, byRegion, new Map(), { redCount: 1, blackCount: 1, requireBeatTarget: true });
    expect(mianyang.red).toEqual([]); // 乙县 is first but 1.7 points behind 序时进度
    expect(mianyang.black).toEqual([A, C]);
  });

  it('weights change the composite', () => {
    // Completion only: B 1, A and C 2.
    const onlyCompletion = rankLeague(regions, byRegion, new Map(), {
      weights: { yoyGrowth: 0, startRate: 0, largeShare: 0, privateShare: 0, registeredRate: 0, onTimeRate: 0, problemResolutionRate: 0 },
    });
    expect(onlyCompletion.rows.slice(0, 3).map((r) => r.rank)).toEqual([1, 2, 2]);
    // On-time reporting counted 10×: C (1) = (2+2+1+3+3+1+10+1)/17 = 23/17 ≈ 1.35; A = (2+1+1+2+2+3+20+1)/17 = 32/17; B = (1+1+1+1+1+20+3)/16 = 28/16
    const onTime = rankLeague(regions, byRegion, new Map(), { weights: { onTimeRate: 10 } });
    expect(onTime.rows.slice(0, 3).map((r) => [r.name, r.rank])).toEqual([['丙县', 1], ['乙县', 2], ['甲县', 3]]);
  });

  it('季考评 averages the months a region was ranked', () => {
    const q = quarterRollup([new Map([[A, 1], [B, 2], [C, 3]]), new Map([[A, 3], [B, 1], [C, null]]), new Map([[A, 2], [B, 3], [C, 1]])]);
    expect(q.get(A)).toMatchObject({ rank: 1, months: 3 }); // 2
    expect(q.get(B)!.rank).toBe(1); // 2 as well: tied
    expect(q.get(C)).toMatchObject({ rank: 1, months: 2 }); // (3 + 1) / 2 = 2
    expect(q.get(A)!.average.toString()).toBe('2');
  });
});
