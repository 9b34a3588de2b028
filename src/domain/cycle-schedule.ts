// When a dispatch cycle opens, reminds and is due ("周调度、月通报"). Each point is a weekday
// (weekly) or day of month (monthly) plus a local clock time; a point that lands on a day off
// moves to the next working day at the same clock time, and a make-up working day (调休上班,
// e.g. Saturday 2026-10-10) counts as a working day.
import { DateTime } from 'luxon';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { type CycleKind, DEFAULT_TZ, assertTimeZone, parsePeriodKey, periodDays, periodKeyFor } from './period.js';
import type { WorkCalendar } from './work-calendar.js';

const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM, 00:00–23:59');
const weeklyPoint = z.object({ weekday: z.number().int().min(1).max(7), time });
// Days 29–31 do not exist in every month; rather than clamp silently, the config refuses them.
const monthlyPoint = z.object({ day: z.number().int().min(1).max(28), time });

type Point = { time: string } & ({ weekday: number } | { day: number });
const ordinal = (p: Point): string => `${String('weekday' in p ? p.weekday : p.day).padStart(2, '0')} ${p.time}`;

const inOrder = (c: { open: Point; remind: Point; due: Point }): boolean =>
  ordinal(c.open) <= ordinal(c.remind) && ordinal(c.remind) <= ordinal(c.due) && ordinal(c.open) < ordinal(c.due);
const orderMessage = { message: 'expected open ≤ remind ≤ due within the period, and open < due' };

export const cycleScheduleConfigSchema = z.object({
  weekly: z.object({ open: weeklyPoint, remind: weeklyPoint, due: weeklyPoint }).refine(inOrder, orderMessage),
  monthly: z.object({ open: monthlyPoint, remind: monthlyPoint, due: monthlyPoint }).refine(inOrder, orderMessage),
});
export type CycleScheduleConfig = z.infer<typeof cycleScheduleConfigSchema>;

/**
 * Weekly: open Monday 09:00, remind Wednesday 15:00, due Friday 18:00 (design defaults).
 * Monthly: open the 20th 09:00, due the 25th 18:00 (design defaults); remind the 23rd 15:00,
 * mirroring the weekly rhythm — two days before the deadline, mid-afternoon, so an owner
 * still has the rest of that day and a full day more to collect figures.
 */
export const DEFAULT_CYCLE_SCHEDULE: CycleScheduleConfig = {
  weekly: { open: { weekday: 1, time: '09:00' }, remind: { weekday: 3, time: '15:00' }, due: { weekday: 5, time: '18:00' } },
  monthly: { open: { day: 20, time: '09:00' }, remind: { day: 23, time: '15:00' }, due: { day: 25, time: '18:00' } },
};

/** Validates a schedule config; throws AppError CONFIG_INVALID listing every problem. */
export function parseCycleScheduleConfig(input: unknown): CycleScheduleConfig {
  const result = cycleScheduleConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new AppError('CONFIG_INVALID', `invalid cycle schedule: ${problems.join('; ')}`);
}

type PointStrings = { open: string; remind: string; due: string };

/** The unvalidated config from "<weekday|day> HH:MM" strings, for cycleScheduleConfigSchema. */
export function cycleScheduleInputFromStrings(src: { weekly: PointStrings; monthly: PointStrings }): unknown {
  const split = (s: string): { n: number; time: string } => {
    const m = /^\s*(\d{1,2})\s+(\S+)\s*$/.exec(s);
    return m ? { n: Number(m[1]), time: m[2] ?? '' } : { n: Number.NaN, time: s };
  };
  const weekly = (s: string) => { const { n, time } = split(s); return { weekday: n, time }; };
  const monthly = (s: string) => { const { n, time } = split(s); return { day: n, time }; };
  return {
    weekly: { open: weekly(src.weekly.open), remind: weekly(src.weekly.remind), due: weekly(src.weekly.due) },
    monthly: { open: monthly(src.monthly.open), remind: monthly(src.monthly.remind), due: monthly(src.monthly.due) },
  };
}

/** Builds the config from "<weekday|day> HH:MM" strings, e.g. { open: '1 09:00', … } as in the env. */
export function cycleScheduleFromStrings(src: { weekly: PointStrings; monthly: PointStrings }): CycleScheduleConfig {
  return parseCycleScheduleConfig(cycleScheduleInputFromStrings(src));
}

export interface CycleTimes {
  kind: CycleKind;
  periodKey: string;
  openAt: Date;
  remindAt: Date;
  dueAt: Date;
  /** The configured times before any holiday shift, for messages like "因国庆假期顺延". */
  nominal: { openAt: Date; remindAt: Date; dueAt: Date };
  /** True where the final time differs from the nominal one. */
  shifted: { open: boolean; remind: boolean; due: boolean };
  /** Years without statutory data that were consulted; non-empty means: alert the office. */
  calendarMissingYears: number[];
  /**
   * Every day from the nominal open day to the nominal due day is a day off (e.g. 2026-W08,
   * inside the Spring Festival break): the whole cycle lands after the holiday, together with
   * the next one. The office usually skips or merges such a cycle; the caller decides.
   */
  allDaysOff: boolean;
}

/**
 * Open, remind and due instants of one cycle.
 *
 * Ordering after shifting: "next working day on or after" never reorders days, but two
 * points shifted onto the same day keep their own clock times, so a remind configured
 * earlier in the day than the open could come first. Each later point is therefore clamped
 * to be no earlier than the one before it (remind ≥ open, due ≥ remind). A remind clamped
 * onto the due time is pointless; callers skip a reminder when remindAt ≥ dueAt.
 */
export function cycleTimes(
  kind: CycleKind,
  periodKey: string,
  config: CycleScheduleConfig,
  calendar: WorkCalendar,
  tz: string = DEFAULT_TZ,
): CycleTimes {
  assertTimeZone(tz);
  parsePeriodKey(periodKey, kind);
  const points = kind === 'weekly' ? config.weekly : config.monthly;
  const nominalDay = (p: Point): string => {
    if ('weekday' in p) {
      return DateTime.fromISO(periodDays(kind, periodKey).firstDay, { zone: 'utc' }).plus({ days: p.weekday - 1 }).toISODate()!;
    }
    return `${periodKey}-${String(p.day).padStart(2, '0')}`;
  };
  const at = (day: string, clock: string): Date => DateTime.fromISO(`${day}T${clock}`, { zone: tz }).toJSDate();

  const missing = new Set<number>();
  const resolve = (p: Point): { nominal: Date; actual: Date } => {
    const r = calendar.resolveWorkday(nominalDay(p));
    r.missingYears.forEach((y) => missing.add(y));
    return { nominal: at(r.requested, p.time), actual: at(r.day, p.time) };
  };
  const open = resolve(points.open);
  const remind = resolve(points.remind);
  const due = resolve(points.due);
  const openAt = open.actual;
  const remindAt = maxDate(remind.actual, openAt);
  const dueAt = maxDate(due.actual, remindAt);

  let allDaysOff = true;
  for (let d = nominalDay(points.open); d <= nominalDay(points.due); d = nextDay(d)) {
    if (calendar.isWorkday(d)) { allDaysOff = false; break; }
  }

  return {
    kind,
    periodKey,
    openAt,
    remindAt,
    dueAt,
    nominal: { openAt: open.nominal, remindAt: remind.nominal, dueAt: due.nominal },
    shifted: {
      open: openAt.getTime() !== open.nominal.getTime(),
      remind: remindAt.getTime() !== remind.nominal.getTime(),
      due: dueAt.getTime() !== due.nominal.getTime(),
    },
    calendarMissingYears: [...missing].sort((a, b) => a - b),
    allDaysOff,
  };
}

/**
 * The period a cron tick at `now` should open: the period containing `now`. The config
 * guarantees a period's nominal open lies inside the period itself (weekday 1–7 of its ISO
 * week, day 1–28 of its month). The caller compares `now` with cycleTimes(...).openAt — a
 * holiday shift can move the open later, even into the next period (2026-W08 opens on
 * 2026-02-24, in W09), so a tick that wants such cycles also checks the previous period.
 */
export function periodForOpeningAt(kind: CycleKind, now: Date, config: CycleScheduleConfig, tz: string = DEFAULT_TZ): string {
  parseCycleScheduleConfig(config);
  return periodKeyFor(kind, now, tz);
}

const maxDate = (a: Date, b: Date): Date => (a.getTime() >= b.getTime() ? a : b);
const nextDay = (d: string): string => DateTime.fromISO(d, { zone: 'utc' }).plus({ days: 1 }).toISODate()!;
