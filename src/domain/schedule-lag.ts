// 序时进度 and warning lights. 序时进度 (time-proportional schedule) is the share of the year
// elapsed at the period's end; completion rate is year-to-date investment over the annual
// plan; the lag is their difference in percentage points, as in the seed reports
// ("高于序时进度23.8个百分点"). Lights are green / yellow / red by lag thresholds, plus red for
// "past planned start and not started" and for consecutive missed reports.
import type { Decimal } from 'decimal.js';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { Dec, type DecimalLike } from './amount.js';
import { type CycleKind, parsePeriodKey, periodDays } from './period.js';
import { assertDay } from './work-calendar.js';
import { memoByKey } from './memo.js';

/**
 * Share of the period's year elapsed at the end of the period, in [0, 1].
 * - Monthly: month / 12, the official convention (end of August = 8/12 ≈ 0.6667).
 * - Weekly: calendar days from 1 January of the period's year (periodYear: the ISO
 *   week-year) through the week's Sunday, inclusive, over the days in that year. Calendar
 *   days rather than working days, consistent with the monthly 1/12 steps, which ignore
 *   holidays too. Clamped: 2026-W01 starts on 2025-12-29 but counts 4/365 (1–4 January);
 *   2026-W53 ends on 2027-01-03 and counts 365/365 = 1.
 */
const progress = memoByKey<Decimal>();

export function timeProgress(kind: CycleKind, periodKey: string): Decimal {
  // Decimals are immutable, so one answer can serve every project of the period.
  return progress(`${kind}|${periodKey}`, () => computeTimeProgress(kind, periodKey));
}

function computeTimeProgress(kind: CycleKind, periodKey: string): Decimal {
  const p = parsePeriodKey(periodKey, kind);
  if (p.kind === 'monthly') return new Dec(p.month).dividedBy(12);
  const lastDay = DateTime.fromISO(periodDays(kind, periodKey).lastDay, { zone: 'utc' });
  const jan1 = DateTime.fromObject({ year: p.year, month: 1, day: 1 }, { zone: 'utc' });
  const daysInYear = jan1.daysInYear;
  const elapsed = Math.min(daysInYear, Math.max(0, lastDay.diff(jan1, 'days').days + 1));
  return new Dec(elapsed).dividedBy(daysInYear);
}

/** Year-to-date over annual plan; null when there is no positive plan to measure against. */
export function completionRate(ytd: DecimalLike, annualPlan: DecimalLike | null | undefined): Decimal | null {
  if (annualPlan === null || annualPlan === undefined || annualPlan === '') return null;
  const plan = new Dec(annualPlan);
  if (!plan.isFinite() || plan.lte(0)) return null;
  return new Dec(ytd).dividedBy(plan);
}

/** (序时进度 − completion rate) × 100. Positive = behind schedule. */
export function lagPoints(timeProgressRatio: DecimalLike, completion: DecimalLike): Decimal {
  return new Dec(timeProgressRatio).minus(new Dec(completion)).times(100);
}

/** Rounded to the shown precision, so the text and the light always agree. */
const shown = (points: DecimalLike, digits: number): Decimal => new Dec(points).toDecimalPlaces(digits);

/** "低于序时进度12.3个百分点" (behind) / "高于序时进度23.8个百分点" (ahead) / "与序时进度持平". */
export function describeLag(points: DecimalLike, digits = 1): string {
  const p = shown(points, digits);
  if (p.isZero()) return '与序时进度持平';
  return `${p.isPositive() ? '低于' : '高于'}序时进度${p.abs().toFixed(digits)}个百分点`;
}

export type Light = 'green' | 'yellow' | 'red' | 'none';

const EMOJI: Record<Light, string> = { green: '🟢', yellow: '🟡', red: '🔴', none: '⚪' };
export const lightEmoji = (light: Light): string => EMOJI[light];

export const lightThresholdsSchema = z
  .object({
    /** Lag (points, shown precision) at or above which the light is at least yellow. */
    yellowLagPoints: z.number().min(0),
    /** Lag at or above which the light is red. */
    redLagPoints: z.number().min(0),
    /** Consecutive missed reports at or above which the light is red. */
    redConsecutiveMissed: z.number().int().min(1),
    /** Consecutive missed reports at or above which the light is at least yellow. */
    yellowConsecutiveMissed: z.number().int().min(1),
  })
  .refine((t) => t.yellowLagPoints <= t.redLagPoints, { message: 'yellowLagPoints must be ≤ redLagPoints' })
  .refine((t) => t.yellowConsecutiveMissed <= t.redConsecutiveMissed, {
    message: 'yellowConsecutiveMissed must be ≤ redConsecutiveMissed',
  });
export type LightThresholds = z.infer<typeof lightThresholdsSchema>;

/**
 * Design defaults (yellow 5 points, red 15 points, red after 2 missed reports). A single
 * missed report turns the light yellow: it is the early warning before the red one.
 */
export const DEFAULT_LIGHT_THRESHOLDS: LightThresholds = {
  yellowLagPoints: 5,
  redLagPoints: 15,
  redConsecutiveMissed: 2,
  yellowConsecutiveMissed: 1,
};

export interface LightInput {
  /** Year-to-date completed investment, 万元; null when nothing has been reported this year. */
  ytd: DecimalLike | null;
  /** Annual planned investment, 万元; null/0 when the project has no plan for the year. */
  annualPlan: DecimalLike | null;
  timeProgress: DecimalLike;
  /** Planned start date "YYYY-MM-DD" (计划开工时间), if known. */
  plannedStart?: string | null;
  started: boolean;
  /** The day the light is judged on, "YYYY-MM-DD" (local). */
  asOfDay: string;
  /** Reports missed in a row, up to the most recent closed cycle. */
  consecutiveMissed: number;
  thresholds?: Partial<LightThresholds>;
}

export interface LightResult {
  light: Light;
  /** Chinese, in order of severity; for green the lag description; for none why. */
  reasons: string[];
  /** Lag in points at shown precision (1 decimal), when it could be computed. */
  lagPoints: Decimal | null;
  completionRate: Decimal | null;
}

const RANK: Record<Light, number> = { none: 0, green: 1, yellow: 2, red: 3 };

/** Judges one project for one cycle. Red beats yellow beats green; 'none' means nothing to judge. */
export function light(input: LightInput): LightResult {
  const parsed = lightThresholdsSchema.safeParse({ ...DEFAULT_LIGHT_THRESHOLDS, ...input.thresholds });
  if (!parsed.success) throw new AppError('CONFIG_INVALID', `invalid light thresholds: ${parsed.error.message}`);
  const t = parsed.data;
  assertDay(input.asOfDay);

  const found: { light: Light; reason: string }[] = [];
  const missed = input.consecutiveMissed;
  if (missed >= t.redConsecutiveMissed || missed >= t.yellowConsecutiveMissed) {
    found.push({ light: missed >= t.redConsecutiveMissed ? 'red' : 'yellow', reason: `连续${missed}期未报送` });
  }
  if (input.plannedStart && !input.started && input.asOfDay > assertDay(input.plannedStart)) {
    const d = DateTime.fromISO(input.plannedStart, { zone: 'utc' });
    found.push({ light: 'red', reason: `已过计划开工日期（${d.year}年${d.month}月${d.day}日）仍未开工` });
  }

  const planMissing = completionRate(0, input.annualPlan) === null;
  const rate = input.ytd === null ? null : completionRate(input.ytd, input.annualPlan);
  const lag = rate === null ? null : shown(lagPoints(input.timeProgress, rate), 1);
  if (lag === null) {
    // Not a warning by itself: the light stays 'none' unless another rule fires.
  } else if (lag.gte(t.yellowLagPoints)) {
    found.push({ light: lag.gte(t.redLagPoints) ? 'red' : 'yellow', reason: describeLag(lag) });
  } else {
    found.push({ light: 'green', reason: describeLag(lag) });
  }

  const worst = found.reduce<Light>((acc, f) => (RANK[f.light] > RANK[acc] ? f.light : acc), 'none');
  let reasons: string[];
  if (worst === 'none') {
    reasons = [planMissing ? '无年度计划投资，无法计算序时进度' : '本年尚无累计完成投资数据，无法计算序时进度'];
  } else {
    // A red or yellow light lists every warning (worst first); a green light its lag.
    reasons = found
      .filter((f) => worst === 'green' || f.light !== 'green')
      .sort((a, b) => RANK[b.light] - RANK[a.light])
      .map((f) => f.reason);
  }
  return { light: worst, reasons, lagPoints: lag, completionRate: rate };
}
