// Working days in mainland China: weekends off, except statutory holidays (法定节假日, days
// off) and make-up working days (调休上班, e.g. Saturday 2026-10-10), as published each year
// by the State Council (国务院办公厅关于…部分节假日安排的通知, usually in November).
//
// Data comes from chinese-days' own build output (dist/chinese-days.json), looked up by date
// string. We deliberately do NOT call its functions: they parse "YYYY-MM-DD" as UTC and read
// it back with local-time getters, and its holiday tables are keyed the same way, so in a
// process whose TZ is west of UTC they answer wrongly (checked: 2,220 of 8,766 days from
// 2004–2027 differ under TZ=America/New_York). Its CJS bundle also exposes no ESM named
// exports (`import { isWorkday } from 'chinese-days'` fails under plain node; only the default
// import works). The JSON is the same data, TZ-free.
//
// A year the data does not cover would otherwise look like an ordinary year (2027 until its
// notice appears), so every answer that matters carries a `calendarMissing` flag.
import { createRequire } from 'node:module';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { AppError } from '../errors.js';

/** Statutory days off and make-up workdays, keyed by "YYYY-MM-DD"; values are names. */
export interface HolidayData {
  holidays: Readonly<Record<string, string>>;
  workdays: Readonly<Record<string, string>>;
}

export type YearCheck = { ok: true; year: number } | { ok: false; year: number; reason: string };

export interface ResolvedDay {
  /** The day asked about. */
  requested: string;
  /** The first working day on or after it. */
  day: string;
  shifted: boolean;
  /** True if any day examined lies in a year the statutory data does not cover. */
  calendarMissing: boolean;
  missingYears: number[];
}

export interface WorkCalendarOptions {
  /** Statutory data; defaults to the chinese-days bundle. Merge in newer data (e.g. holiday-cn). */
  data?: HolidayData;
  /** Local extra days off (e.g. a city-wide closure), "YYYY-MM-DD". Win over statutory data. */
  localDaysOff?: string[];
  /** Local extra working days, "YYYY-MM-DD". Win over statutory data. */
  localWorkdays?: string[];
}

const holidayDataSchema = z.object({
  holidays: z.record(z.string(), z.string()),
  workdays: z.record(z.string(), z.string()),
});

let bundled: HolidayData | undefined;

/** The chinese-days data (2004–2026 in 1.5.7), loaded and validated once, on first use. */
export function bundledHolidayData(): HolidayData {
  if (!bundled) {
    const raw: unknown = createRequire(import.meta.url)('chinese-days/dist/chinese-days.json');
    const parsed = holidayDataSchema.safeParse(raw);
    if (!parsed.success) {
      throw new AppError('CALENDAR_MISSING', `chinese-days data has an unexpected shape: ${parsed.error.message}`);
    }
    bundled = parsed.data;
  }
  return bundled;
}

/**
 * Converts one year file of NateScarlet/holiday-cn ({ days: [{ name, date, isOffDay }] }),
 * the source a refresh job can fetch when a new notice is published before chinese-days updates.
 */
export function holidayDataFromHolidayCn(days: ReadonlyArray<{ name: string; date: string; isOffDay: boolean }>): HolidayData {
  const holidays: Record<string, string> = {};
  const workdays: Record<string, string> = {};
  for (const d of days) (d.isOffDay ? holidays : workdays)[assertDay(d.date)] = d.name;
  return { holidays, workdays };
}

/** Later sources win for the same date. */
export function mergeHolidayData(...sources: HolidayData[]): HolidayData {
  const holidays: Record<string, string> = {};
  const workdays: Record<string, string> = {};
  for (const src of sources) {
    for (const [day, name] of Object.entries(src.holidays)) { holidays[day] = name; delete workdays[day]; }
    for (const [day, name] of Object.entries(src.workdays)) { workdays[day] = name; delete holidays[day]; }
  }
  return { holidays, workdays };
}

// Days already found valid: a close judges ten thousand lights on one day, and parsing a date
// with luxon is most of what a light costs. Bounded, as the days a process sees are few.
const validDays = new Set<string>();

/** Validates a real calendar date in canonical "YYYY-MM-DD" form and returns it. */
export function assertDay(day: string): string {
  if (validDays.has(day)) return day;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || !DateTime.fromISO(day, { zone: 'utc' }).isValid) {
    throw new AppError('VALIDATION', `expected a date YYYY-MM-DD, got ${JSON.stringify(day)}`);
  }
  if (validDays.size >= 10_000) validDays.clear();
  validDays.add(day);
  return day;
}

const parseDay = (day: string): DateTime => DateTime.fromISO(assertDay(day), { zone: 'utc' });

// Longest statutory run of days off is 9 (Spring Festival 2026) plus weekends; a month without
// a working day means the local overrides are wrong, not that we should loop forever.
const MAX_SHIFT_DAYS = 31;
// A year is covered only if its own notice is in the data: New Year's Day is a statutory day
// off every year (全国年节及纪念日放假办法), and a whole notice yields 20+ entries (22–33 in
// 2004–2026). The count guards against a neighbour notice leaking a few boundary days in —
// the 2019 notice, for instance, lists 2018-12-30 and 2018-12-31.
const MIN_ENTRIES_FOR_YEAR = 10;

export class WorkCalendar {
  private readonly data: HolidayData;
  private readonly localOff: ReadonlySet<string>;
  private readonly localWork: ReadonlySet<string>;
  private readonly yearCache = new Map<number, boolean>();

  constructor(opts: WorkCalendarOptions = {}) {
    this.data = opts.data ?? bundledHolidayData();
    this.localOff = new Set((opts.localDaysOff ?? []).map(assertDay));
    this.localWork = new Set((opts.localWorkdays ?? []).map(assertDay));
    const both = [...this.localOff].filter((d) => this.localWork.has(d));
    if (both.length > 0) {
      throw new AppError('CONFIG_INVALID', `dates both local day off and local workday: ${both.join(', ')}`);
    }
  }

  /**
   * Plain answer. For a year without statutory data it falls back to Monday–Friday; use
   * resolveWorkday or checkYear when the answer drives a deadline, so a gap is reported.
   */
  isWorkday(day: string): boolean {
    assertDay(day);
    if (this.localOff.has(day)) return false;
    if (this.localWork.has(day)) return true;
    if (Object.hasOwn(this.data.workdays, day)) return true;
    if (Object.hasOwn(this.data.holidays, day)) return false;
    return parseDay(day).weekday <= 5;
  }

  /** Name of the statutory holiday or make-up day ("National Day,国庆节,3"), if any. */
  statutoryName(day: string): string | undefined {
    assertDay(day);
    return this.data.holidays[day] ?? this.data.workdays[day];
  }

  hasDataForYear(year: number): boolean {
    let known = this.yearCache.get(year);
    if (known === undefined) {
      const prefix = `${year}-`;
      const entries = Object.keys(this.data.holidays).filter((d) => d.startsWith(prefix)).length;
      known = Object.hasOwn(this.data.holidays, `${year}-01-01`) && entries >= MIN_ENTRIES_FOR_YEAR;
      this.yearCache.set(year, known);
    }
    return known;
  }

  checkYear(year: number): YearCheck {
    return this.hasDataForYear(year)
      ? { ok: true, year }
      : { ok: false, year, reason: `缺少${year}年法定节假日安排数据，工作日按周一至周五推算，请更新节假日数据` };
  }

  nextWorkdayOnOrAfter(day: string): string {
    return this.resolveWorkday(day).day;
  }

  /** The first working day on or after `day`, with whether it moved and whether data was missing. */
  resolveWorkday(day: string): ResolvedDay {
    const missing = new Set<number>();
    let d = parseDay(day);
    for (let i = 0; i <= MAX_SHIFT_DAYS; i++, d = d.plus({ days: 1 })) {
      const iso = d.toISODate()!;
      if (!this.hasDataForYear(d.year)) missing.add(d.year);
      if (this.isWorkday(iso)) {
        const missingYears = [...missing].sort((a, b) => a - b);
        return { requested: day, day: iso, shifted: i > 0, calendarMissing: missingYears.length > 0, missingYears };
      }
    }
    throw new AppError('CONFIG_INVALID', `no working day within ${MAX_SHIFT_DAYS} days after ${day}; check local days off`);
  }
}
