// Reporting periods: "周调度" uses ISO weeks (2026-W47), "月通报" uses calendar months (2026-11).
// Keys are storage identifiers, so only the canonical, zero-padded form is accepted.
// Instants are converted in an explicit IANA zone (the dispatch office's, Asia/Shanghai by
// default), never the process zone.
import { DateTime } from 'luxon';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { memoByKey } from './memo.js';

import type { CycleKind } from './vocabulary.js';
export type { CycleKind } from './vocabulary.js';
export const DEFAULT_TZ = 'Asia/Shanghai';

export type ParsedPeriod =
  | { kind: 'weekly'; key: string; year: number; week: number }
  | { kind: 'monthly'; key: string; year: number; month: number };

// Years outside this range are typos ("206-11") or test data gone wrong, not dispatch cycles.
const MIN_YEAR = 2000;
const MAX_YEAR = 2100;

const periodKeySchema = z
  .string()
  .regex(/^\d{4}-(W\d{2}|\d{2})$/, 'expected YYYY-Www (ISO week) or YYYY-MM (month)')
  .transform((key, ctx): ParsedPeriod => {
    const year = Number(key.slice(0, 4));
    const bad = (message: string): never => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    if (year < MIN_YEAR || year > MAX_YEAR) return bad(`year ${year} outside ${MIN_YEAR}..${MAX_YEAR}`);
    if (key[5] === 'W') {
      const week = Number(key.slice(6));
      const weeks = DateTime.fromObject({ weekYear: year, weekNumber: 1 }, { zone: 'utc' }).weeksInWeekYear;
      if (week < 1 || week > weeks) return bad(`ISO year ${year} has weeks 01..${weeks}, not ${week}`);
      return { kind: 'weekly', key, year, week };
    }
    const month = Number(key.slice(5));
    if (month < 1 || month > 12) return bad(`month must be 01..12, not ${month}`);
    return { kind: 'monthly', key, year, month };
  });

const parsedKeys = memoByKey<ReturnType<typeof periodKeySchema.safeParse>>();
const frozen = <R extends { success: boolean; data?: unknown }>(r: R): R => {
  if (r.success) Object.freeze(r.data);
  return Object.freeze(r);
};

/** Parses "2026-W47" or "2026-11"; throws AppError VALIDATION on anything else. */
export function parsePeriodKey(key: string, expectedKind?: CycleKind): ParsedPeriod {
  // Parsed once per key (frozen: the one object is handed to every caller); anything not a
  // string is parsed each time, as it is refused.
  const result = typeof key === 'string' ? parsedKeys(key, () => frozen(periodKeySchema.safeParse(key))) : periodKeySchema.safeParse(key);
  if (!result.success) {
    throw new AppError('VALIDATION', `invalid period key ${JSON.stringify(key)}: ${result.error.issues.map((i) => i.message).join('; ')}`, {
      userMessage: `期次“${String(key)}”格式不正确，周调度应为如 2026-W47，月通报应为如 2026-11`,
    });
  }
  const parsed = result.data;
  if (expectedKind && parsed.kind !== expectedKind) {
    throw new AppError('VALIDATION', `period key ${key} is ${parsed.kind}, expected ${expectedKind}`, {
      userMessage: `期次“${key}”不是${expectedKind === 'weekly' ? '周调度（如 2026-W47）' : '月通报（如 2026-11）'}期次`,
    });
  }
  return parsed;
}

/** Throws AppError VALIDATION for an unknown zone, so a typo never falls back to UTC. */
export function assertTimeZone(tz: string): void {
  if (!DateTime.now().setZone(tz).isValid) {
    throw new AppError('VALIDATION', `unknown IANA time zone ${JSON.stringify(tz)}`);
  }
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

function keyOf(kind: CycleKind, dt: DateTime): string {
  return kind === 'weekly' ? `${dt.weekYear}-W${pad2(dt.weekNumber)}` : `${dt.year}-${pad2(dt.month)}`;
}

/** The period an instant falls in, in the given zone: 2026-11-18T10:00+08:00 → 2026-W47 / 2026-11. */
export function periodKeyFor(kind: CycleKind, instant: Date, tz: string = DEFAULT_TZ): string {
  assertTimeZone(tz);
  const dt = DateTime.fromJSDate(instant, { zone: tz });
  if (!dt.isValid) throw new AppError('VALIDATION', 'periodKeyFor: invalid Date');
  return keyOf(kind, dt);
}

/** First local day of the period as a zone-free calendar date (luxon in UTC for day arithmetic). */
function firstDay(p: ParsedPeriod): DateTime {
  return p.kind === 'weekly'
    ? DateTime.fromObject({ weekYear: p.year, weekNumber: p.week, weekday: 1 }, { zone: 'utc' })
    : DateTime.fromObject({ year: p.year, month: p.month, day: 1 }, { zone: 'utc' });
}

function nextFirstDay(p: ParsedPeriod): DateTime {
  return firstDay(p).plus(p.kind === 'weekly' ? { weeks: 1 } : { months: 1 });
}

/** First and last calendar day of the period, "YYYY-MM-DD" (inclusive). */
export function periodDays(kind: CycleKind, key: string): { firstDay: string; lastDay: string } {
  const p = parsePeriodKey(key, kind);
  return { firstDay: firstDay(p).toISODate()!, lastDay: nextFirstDay(p).minus({ days: 1 }).toISODate()! };
}

/** [start, end) at local midnight in tz. End is exclusive: the next period's start. */
export function periodRange(kind: CycleKind, key: string, tz: string = DEFAULT_TZ): { start: Date; end: Date } {
  assertTimeZone(tz);
  const p = parsePeriodKey(key, kind);
  const atMidnight = (d: DateTime): Date =>
    DateTime.fromObject({ year: d.year, month: d.month, day: d.day }, { zone: tz }).toJSDate();
  return { start: atMidnight(firstDay(p)), end: atMidnight(nextFirstDay(p)) };
}

export function nextPeriodKey(kind: CycleKind, key: string): string {
  return keyOf(kind, nextFirstDay(parsePeriodKey(key, kind)));
}

const previousKeys = memoByKey<string>();

export function previousPeriodKey(kind: CycleKind, key: string): string {
  return previousKeys(`${kind}|${key}`, () => {
    const p = parsePeriodKey(key, kind);
    return keyOf(kind, firstDay(p).minus(kind === 'weekly' ? { weeks: 1 } : { months: 1 }));
  });
}

/**
 * The calendar year whose year-to-date figures (累计完成投资, 年度计划, 序时进度) a period
 * counts toward. Monthly: the month's year. Weekly: the ISO week-year, i.e. the year of the
 * week's Thursday, which is the year holding at least 4 of its 7 days.
 *
 * Why not the year of the last day: 2026-W53 runs 2026-12-28 … 2027-01-03, and would then
 * reset the year-to-date to 2027 while December's investment still belongs to 2026 — and its
 * label "2026年第53周" would contradict it. Why not the year of the Monday: 2026-W01 runs
 * 2025-12-29 … 2026-01-04 and would count toward 2025 under a "2026" label. The ISO rule
 * misattributes at most 3 days at a year boundary and always agrees with the key; the
 * monthly cycle, aligned with 统计局 calendar months, remains the authoritative year-end figure.
 */
export function periodYear(kind: CycleKind, key: string): number {
  return parsePeriodKey(key, kind).year;
}

const md = (d: DateTime): string => `${d.month}月${d.day}日`;

/** "2026年第47周（11月16日—11月22日）" / "2026年11月". Dates outside the period's year carry their year. */
const labels = memoByKey<string>();

export function periodLabel(kind: CycleKind, key: string): string {
  return labels(`${kind}|${key}`, () => computePeriodLabel(kind, key));
}

function computePeriodLabel(kind: CycleKind, key: string): string {
  const p = parsePeriodKey(key, kind);
  if (p.kind === 'monthly') return `${p.year}年${p.month}月`;
  const from = firstDay(p);
  const to = from.plus({ days: 6 });
  const show = (d: DateTime): string => (d.year === p.year ? md(d) : `${d.year}年${md(d)}`);
  return `${p.year}年第${p.week}周（${show(from)}—${show(to)}）`;
}
