// Warning lights by published city rules, as named presets. Pure and table-driven: a preset is a
// LightRules value, configuration may override any threshold of it, and judgeLight() applies it.
//
//   yinchuan (银川, default): lag behind 序时进度 in percentage points — under 10 green, 10 to 30
//     yellow, more than 30 red; not started in the month of the planned start yellow, three
//     months after it red; started but not 入统 one month later yellow, more than two months red.
//   sanya (三亚): shortfall of the year-to-date against 序时进度 in percent of it — none green, up to
//     50% yellow, more than 50% red; one missed report yellow, two in a row red.
// Missed reports count in every preset. A project without an annual plan or under an exemption
// is not judged ('none') and the reason says why.
import type { Decimal } from 'decimal.js';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { Dec, type DecimalLike } from './amount.js';
import { completionRate, describeLag, lagPoints, type Light } from './schedule-lag.js';
import { assertDay } from './work-calendar.js';

export type { Light } from './schedule-lag.js';
export const LIGHT_PRESETS = ['yinchuan', 'sanya'] as const;
export type LightPreset = (typeof LIGHT_PRESETS)[number];

export const lightRulesSchema = z
  .object({
    preset: z.enum(LIGHT_PRESETS),
    /** 'points': 序时进度 − completion, in percentage points; 'share': (1 − completion/序时进度) × 100. */
    lagMeasure: z.enum(['points', 'share']),
    /** Yellow from this lag on (inclusive), or above it when yellowStrict. */
    yellowLag: z.number().min(0),
    yellowStrict: z.boolean(),
    /** Red above this lag (strict), or from it when !redStrict. */
    redLag: z.number().min(0),
    redStrict: z.boolean(),
    yellowMissed: z.number().int().min(1),
    redMissed: z.number().int().min(1),
    /** Months (calendar months, the planned start's month being 0) after which a project not started is yellow / red; null: rule off. */
    notStartedYellowMonths: z.number().int().min(0).nullable(),
    notStartedRedMonths: z.number().int().min(0).nullable(),
    /** Started but not 入统: yellow from this many months after the start day, red after more than redMonths; null: off. */
    unregisteredYellowMonths: z.number().int().min(0).nullable(),
    unregisteredRedMonths: z.number().int().min(0).nullable(),
  })
  .refine((r) => r.yellowLag <= r.redLag, { message: 'the yellow lag threshold must not exceed the red one' })
  .refine((r) => r.yellowMissed <= r.redMissed, { message: 'yellow missed-report count must not exceed the red one' })
  .refine((r) => r.notStartedYellowMonths === null || r.notStartedRedMonths === null || r.notStartedYellowMonths <= r.notStartedRedMonths, {
    message: 'not-started yellow months must not exceed red months',
  })
  .refine((r) => r.unregisteredYellowMonths === null || r.unregisteredRedMonths === null || r.unregisteredYellowMonths <= r.unregisteredRedMonths, {
    message: 'not-registered yellow months must not exceed red months',
  });
export type LightRules = z.infer<typeof lightRulesSchema>;

export const PRESETS: Record<LightPreset, LightRules> = {
  yinchuan: {
    preset: 'yinchuan',
    lagMeasure: 'points',
    yellowLag: 10,
    yellowStrict: false,
    redLag: 30,
    redStrict: true,
    yellowMissed: 1,
    redMissed: 2,
    notStartedYellowMonths: 0,
    notStartedRedMonths: 3,
    unregisteredYellowMonths: 1,
    unregisteredRedMonths: 2,
  },
  sanya: {
    preset: 'sanya',
    lagMeasure: 'share',
    yellowLag: 0,
    yellowStrict: true,
    redLag: 50,
    redStrict: true,
    yellowMissed: 1,
    redMissed: 2,
    notStartedYellowMonths: null,
    notStartedRedMonths: null,
    unregisteredYellowMonths: null,
    unregisteredRedMonths: null,
  },
};

/** A preset with some thresholds replaced; throws CONFIG_INVALID naming what is inconsistent. */
export function lightRules(preset: LightPreset, overrides: Partial<Omit<LightRules, 'preset'>> = {}): LightRules {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const parsed = lightRulesSchema.safeParse({ ...PRESETS[preset], ...defined, preset });
  if (!parsed.success) throw new AppError('CONFIG_INVALID', `invalid light rules: ${parsed.error.issues.map((i) => i.message).join('; ')}`, { userMessage: '预警灯规则配置有误，请检查 LIGHT_* 设置' });
  return parsed.data;
}

export type Exemption = { reason: string; until: string };

/** What a light is judged from; stored with the light so the judgement can be shown and checked later. */
export interface LightFacts {
  ytd: string | null;
  annualPlan: string | null;
  /** 序时进度 as a ratio in [0, 1]. */
  timeProgress: string;
  plannedStart: string | null;
  started: boolean;
  startedOn: string | null;
  registered: boolean;
  /** The day judged, "YYYY-MM-DD" local. */
  asOfDay: string;
  consecutiveMissed: number;
  exemption: Exemption | null;
}

export interface JudgedLight {
  light: Light;
  reasons: string[];
  /** The lag in the preset's measure at 1 decimal, when computable. */
  lag: string | null;
  completionRate: string | null;
  /** Why it was not judged, when light is 'none' for a plan missing or an exemption. */
  notJudged: 'no_plan' | 'exempt' | 'no_data' | null;
}

const RANK: Record<Light, number> = { none: 0, green: 1, yellow: 2, red: 3 };
export const lightRank = (l: Light): number => RANK[l];

// Calendar arithmetic on "YYYY-MM-DD" days (checked by assertDay) without luxon: every
// submission's summary card judges a light, and luxon's parsing and month arithmetic were a few
// per cent of the serving process's CPU under load.
const ymd = (day: string): [number, number, number] => [Number(day.slice(0, 4)), Number(day.slice(5, 7)), Number(day.slice(8, 10))];

const cn = (day: string): string => {
  const [y, m, d] = ymd(day);
  return `${y}年${m}月${d}日`;
};

function monthsBetween(fromDay: string, toDay: string): number {
  const [ay, am] = ymd(fromDay);
  const [by, bm] = ymd(toDay);
  return by * 12 + bm - (ay * 12 + am);
}

/** `day` plus `months` calendar months, the day kept or cut to the month's last (01-31 + 1 month = 02-28), as luxon's plus does. */
export function plusMonths(day: string, months: number): string {
  const [y, m, d] = ymd(day);
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

const reach = (v: Decimal, threshold: number, strict: boolean): boolean => (strict ? v.gt(threshold) : v.gte(threshold));

function describeShare(share: Decimal): string {
  if (share.lte(0)) return `达到序时进度（完成序时进度的${new Dec(100).minus(share).toFixed(1)}%）`;
  return `低于序时进度${share.toFixed(1)}%`;
}

export function judgeLight(f: LightFacts, rules: LightRules): JudgedLight {
  assertDay(f.asOfDay);
  if (f.exemption && f.asOfDay <= assertDay(f.exemption.until)) {
    return { light: 'none', reasons: [`已豁免评灯（${f.exemption.reason}，至${cn(f.exemption.until)}）`], lag: null, completionRate: null, notJudged: 'exempt' };
  }
  if (completionRate(0, f.annualPlan) === null) {
    return { light: 'none', reasons: ['无年度计划投资，不参与评灯'], lag: null, completionRate: null, notJudged: 'no_plan' };
  }
  const found: { light: Light; reason: string }[] = [];
  const m = f.consecutiveMissed;
  if (m >= rules.yellowMissed) found.push({ light: m >= rules.redMissed ? 'red' : 'yellow', reason: `连续${m}期未报送` });

  if (!f.started && f.plannedStart && rules.notStartedYellowMonths !== null) {
    const months = monthsBetween(assertDay(f.plannedStart), f.asOfDay);
    const red = rules.notStartedRedMonths !== null && months >= rules.notStartedRedMonths;
    if (red || months >= rules.notStartedYellowMonths) {
      found.push({ light: red ? 'red' : 'yellow', reason: `计划${cn(f.plannedStart)}开工，至今未开工` });
    }
  }
  if (f.started && !f.registered && f.startedOn && rules.unregisteredYellowMonths !== null) {
    const start = assertDay(f.startedOn);
    // Days as "YYYY-MM-DD" compare as strings.
    const red = rules.unregisteredRedMonths !== null && f.asOfDay > plusMonths(start, rules.unregisteredRedMonths);
    if (red || f.asOfDay >= plusMonths(start, rules.unregisteredYellowMonths)) {
      found.push({ light: red ? 'red' : 'yellow', reason: `已于${cn(f.startedOn)}开工，尚未入统` });
    }
  }

  const rate = f.ytd === null ? null : completionRate(f.ytd, f.annualPlan);
  let lag: Decimal | null = null;
  if (rate !== null) {
    const tp = new Dec(f.timeProgress);
    if (rules.lagMeasure === 'points') lag = lagPoints(tp, rate).toDecimalPlaces(1);
    else lag = tp.isZero() ? new Dec(0) : new Dec(1).minus(rate.dividedBy(tp)).times(100).toDecimalPlaces(1);
    const text = rules.lagMeasure === 'points' ? describeLag(lag) : describeShare(lag);
    if (reach(lag, rules.yellowLag, rules.yellowStrict)) found.push({ light: reach(lag, rules.redLag, rules.redStrict) ? 'red' : 'yellow', reason: text });
    else found.push({ light: 'green', reason: text });
  }

  const worst = found.reduce<Light>((acc, x) => (RANK[x.light] > RANK[acc] ? x.light : acc), 'none');
  const base = { lag: lag?.toFixed(1) ?? null, completionRate: rate?.toFixed(4) ?? null };
  if (worst === 'none') return { light: 'none', reasons: ['本年尚无累计完成投资数据，无法计算序时进度'], ...base, notJudged: 'no_data' };
  const reasons = found
    .filter((x) => worst === 'green' || x.light !== 'green')
    .sort((a, b) => RANK[b.light] - RANK[a.light])
    .map((x) => x.reason);
  return { light: worst, reasons, ...base, notJudged: null };
}

/** The inputs of the old light() (schedule-lag.ts), judged by preset rules: the one adapter existing callers use. */
export type LegacyLightInput = {
  ytd: DecimalLike | null;
  annualPlan: DecimalLike | null;
  timeProgress: DecimalLike;
  plannedStart?: string | null;
  started: boolean;
  startedOn?: string | null;
  registered?: boolean;
  asOfDay: string;
  consecutiveMissed: number;
  exemption?: Exemption | null;
  thresholds: LightRules;
};

export function light(input: LegacyLightInput): JudgedLight {
  const str = (v: DecimalLike | null): string | null => (v === null || v === '' ? null : new Dec(v).toString());
  return judgeLight(
    {
      ytd: str(input.ytd),
      annualPlan: str(input.annualPlan),
      timeProgress: new Dec(input.timeProgress).toString(),
      plannedStart: input.plannedStart ?? null,
      started: input.started,
      startedOn: input.startedOn ?? null,
      // Unknown 入统 is not held against a project.
      registered: input.registered ?? true,
      asOfDay: input.asOfDay,
      consecutiveMissed: input.consecutiveMissed,
      exemption: input.exemption ?? null,
    },
    input.thresholds,
  );
}
