// Indicators of the league table (擂台) for one cycle, per region and for the whole city. Pure:
// the figures come in (league/league.data.ts loads them), ratios go out as exact decimals.
// Every rate is null when its denominator is zero: "no projects planned to start" is not 0%.
import type { Decimal } from 'decimal.js';
import { Dec } from '../amount.js';
import type { Light } from '../schedule-lag.js';

/** Projects of 5000万元 or more (总投资) are the "亿元以上" watch list's smaller sibling. */
export const LARGE_PROJECT_WAN = 5000;
export const PRIVATE_INVESTOR = '民间投资';

export type ProjectFigures = {
  projectId: number;
  code: string;
  name: string;
  regionId: number;
  totalInvestment: string;
  annualPlan: string;
  /** Year-to-date at the cycle (the cycle's report, else the latest known); null when nothing is known. */
  ytd: string | null;
  sinceStart: string | null;
  investorType: string | null;
  plannedStart: string | null;
  started: boolean;
  startedOn: string | null;
  completed: boolean;
  registered: boolean;
  stage: string;
  /** The project's status in the cycle. */
  status: 'pending' | 'reported' | 'late' | 'missed';
  light: Light;
  lagPoints: string | null;
  lightReasons: string[];
  /** Problems raised this year up to the cycle, and how many of them are resolved or confirmed. */
  problemsRaised: number;
  problemsResolved: number;
};

export type RegionInfo = {
  regionId: number;
  name: string;
  sortOrder: number;
  /** 上年同期 completed investment (万元) for the same months; null when unknown. */
  lastYearSamePeriod: string | null;
  /** Why the region is shown but not ranked; null when it is ranked. */
  exemptReason: string | null;
};

export type Indicators = {
  projectCount: number;
  annualPlan: Decimal;
  ytd: Decimal;
  /** ytd / annual plan. */
  completionRate: Decimal | null;
  /** (序时进度 − completion) × 100; positive = behind. */
  lagPoints: Decimal | null;
  yoyGrowth: Decimal | null;
  /** 开复工率: started among projects planned to start by the cycle's end (or already started). */
  startRate: Decimal | null;
  startDue: number;
  startedCount: number;
  newStarts: number;
  largeUnderConstruction: number;
  /** Their year-to-date over the region's. */
  largeShare: Decimal | null;
  privateShare: Decimal | null;
  /** 入统率 among started projects. */
  registeredRate: Decimal | null;
  onTimeRate: Decimal | null;
  problemResolutionRate: Decimal | null;
  problemsRaised: number;
  problemsResolved: number;
  lights: Record<Light, number>;
};

export type CycleFrame = {
  year: number;
  /** Last day of the cycle's period, "YYYY-MM-DD": what "by now" means for planned starts. */
  periodEnd: string;
  /** 序时进度 as a ratio. */
  timeProgress: Decimal;
};

const ratio = (num: Decimal | number, den: Decimal | number): Decimal | null => {
  const d = new Dec(den);
  return d.lte(0) ? null : new Dec(num).dividedBy(d);
};

export function indicatorsOf(projects: readonly ProjectFigures[], frame: CycleFrame, lastYear: string | null = null): Indicators {
  const sum = (xs: readonly ProjectFigures[], f: (p: ProjectFigures) => string | null) =>
    xs.reduce((acc, p) => acc.plus(f(p) ?? '0'), new Dec(0));
  const annualPlan = sum(projects, (p) => p.annualPlan);
  const ytd = sum(projects, (p) => p.ytd);
  const completionRate = ratio(ytd, annualPlan);
  const lagPoints = completionRate === null ? null : new Dec(frame.timeProgress).minus(completionRate).times(100);
  const last = lastYear === null ? null : new Dec(lastYear);
  const yoyGrowth = last === null || last.lte(0) ? null : ytd.minus(last).dividedBy(last);

  const due = projects.filter((p) => p.started || (p.plannedStart !== null && p.plannedStart <= frame.periodEnd));
  const startedDue = due.filter((p) => p.started);
  const started = projects.filter((p) => p.started);
  const yearPrefix = `${frame.year}-`;
  const newStarts = started.filter((p) => (p.startedOn !== null ? p.startedOn.startsWith(yearPrefix) : p.stage === '新开工')).length;
  const large = started.filter((p) => !p.completed && new Dec(p.totalInvestment).gte(LARGE_PROJECT_WAN));
  const privates = projects.filter((p) => p.investorType === PRIVATE_INVESTOR);
  const onTime = projects.filter((p) => p.status === 'reported').length;
  const raised = projects.reduce((a, p) => a + p.problemsRaised, 0);
  const resolved = projects.reduce((a, p) => a + p.problemsResolved, 0);
  const lights: Record<Light, number> = { green: 0, yellow: 0, red: 0, none: 0 };
  for (const p of projects) lights[p.light] += 1;
  return {
    projectCount: projects.length,
    annualPlan,
    ytd,
    completionRate,
    lagPoints,
    yoyGrowth,
    startRate: ratio(startedDue.length, due.length),
    startDue: due.length,
    startedCount: started.length,
    newStarts,
    largeUnderConstruction: large.length,
    largeShare: ratio(sum(large, (p) => p.ytd), ytd),
    privateShare: ratio(sum(privates, (p) => p.ytd), ytd),
    registeredRate: ratio(started.filter((p) => p.registered).length, started.length),
    onTimeRate: ratio(onTime, projects.length),
    problemResolutionRate: ratio(resolved, raised),
    problemsRaised: raised,
    problemsResolved: resolved,
    lights,
  };
}

/** Per region (every region given, even one without projects) and the whole city. */
export function regionIndicators(
  projects: readonly ProjectFigures[], regions: readonly RegionInfo[], frame: CycleFrame, cityLastYear: string | null = null,
): { byRegion: Map<number, Indicators>; city: Indicators } {
  const byRegion = new Map<number, Indicators>();
  for (const r of regions) {
    byRegion.set(r.regionId, indicatorsOf(projects.filter((p) => p.regionId === r.regionId), frame, r.lastYearSamePeriod));
  }
  // The city's last year is the regions' sum only when every region's is known.
  const allKnown = regions.length > 0 && regions.every((r) => r.lastYearSamePeriod !== null);
  const cityLast = cityLastYear ?? (allKnown ? regions.reduce((a, r) => a.plus(r.lastYearSamePeriod ?? '0'), new Dec(0)).toFixed() : null);
  return { byRegion, city: indicatorsOf(projects, frame, cityLast) };
}
