import { describe, it, expect } from 'vitest';
import { DateTime } from 'luxon';
import { isAppError } from '../../src/errors.js';
import {
  WorkCalendar,
  bundledHolidayData,
  holidayDataFromHolidayCn,
  mergeHolidayData,
} from '../../src/domain/work-calendar.js';

/** Every day from `from` to `to`, inclusive. */
function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = DateTime.fromISO(from, { zone: 'utc' }); d.toISODate()! <= to; d = d.plus({ days: 1 })) out.push(d.toISODate()!);
  return out;
}

// The State Council notice for 2026 (gov.cn content_7047091).
const DAYS_OFF_2026 = [
  ...days('2026-01-01', '2026-01-03'),
  ...days('2026-02-15', '2026-02-23'),
  ...days('2026-04-04', '2026-04-06'),
  ...days('2026-05-01', '2026-05-05'),
  ...days('2026-06-19', '2026-06-21'),
  ...days('2026-09-25', '2026-09-27'),
  ...days('2026-10-01', '2026-10-07'),
];
const MAKE_UP_WORKDAYS_2026 = ['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10'];

describe('WorkCalendar on the official 2026 schedule', () => {
  const cal = new WorkCalendar();

  it.each(DAYS_OFF_2026)('%s is a day off', (day) => {
    expect(cal.isWorkday(day)).toBe(false);
  });

  it.each(MAKE_UP_WORKDAYS_2026)('%s is a make-up workday', (day) => {
    expect(cal.isWorkday(day)).toBe(true);
  });

  it('agrees with Monday–Friday on every other day of 2026', () => {
    const special = new Set([...DAYS_OFF_2026, ...MAKE_UP_WORKDAYS_2026]);
    const wrong = days('2026-01-01', '2026-12-31')
      .filter((d) => !special.has(d))
      .filter((d) => cal.isWorkday(d) !== DateTime.fromISO(d, { zone: 'utc' }).weekday <= 5);
    expect(wrong).toEqual([]);
    expect(special.size).toBe(33 + 6);
  });

  it('names statutory days', () => {
    expect(cal.statutoryName('2026-10-10')).toContain('国庆节');
    expect(cal.statutoryName('2026-02-16')).toContain('春节');
    expect(cal.statutoryName('2026-11-18')).toBeUndefined();
  });

  it.each([
    ['2026-10-05', '2026-10-08', true], // National Day break 10/1–10/7
    ['2026-10-01', '2026-10-08', true],
    ['2026-10-10', '2026-10-10', false], // make-up Saturday
    ['2026-10-11', '2026-10-12', true],
    ['2026-02-15', '2026-02-24', true], // Spring Festival 2/15–2/23
    ['2026-02-14', '2026-02-14', false], // make-up Saturday
    ['2026-01-01', '2026-01-04', true], // make-up Sunday
    ['2026-11-18', '2026-11-18', false],
    ['2026-12-26', '2026-12-28', true],
  ])('next workday on or after %s is %s', (day, expected, shifted) => {
    expect(cal.nextWorkdayOnOrAfter(day)).toBe(expected);
    expect(cal.resolveWorkday(day)).toEqual({
      requested: day,
      day: expected,
      shifted,
      calendarMissing: false,
      missingYears: [],
    });
  });

  it('answers the same whatever the process time zone', () => {
    const saved = process.env.TZ;
    try {
      for (const tz of ['America/New_York', 'Pacific/Kiritimati', 'UTC']) {
        process.env.TZ = tz;
        expect(new WorkCalendar().isWorkday('2026-10-10')).toBe(true);
        expect(new WorkCalendar().isWorkday('2026-10-05')).toBe(false);
        expect(new WorkCalendar().isWorkday('2026-10-09')).toBe(true);
        expect(new WorkCalendar().nextWorkdayOnOrAfter('2026-10-05')).toBe('2026-10-08');
      }
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});

describe('years without statutory data', () => {
  const cal = new WorkCalendar();

  it('knows 2004–2026 and nothing else', () => {
    for (let y = 2004; y <= 2026; y++) expect(cal.hasDataForYear(y), String(y)).toBe(true);
    expect(cal.hasDataForYear(2003)).toBe(false);
    expect(cal.hasDataForYear(2027)).toBe(false);
  });

  it('flags 2027 loudly instead of silently treating it as an ordinary year', () => {
    expect(cal.checkYear(2026)).toEqual({ ok: true, year: 2026 });
    const check = cal.checkYear(2027);
    expect(check.ok).toBe(false);
    expect(!check.ok && check.reason).toContain('缺少2027年法定节假日安排数据');
    // 2027-01-01 is a Friday and surely a day off, but there is no data to say so.
    expect(cal.isWorkday('2027-01-01')).toBe(true);
    expect(cal.resolveWorkday('2027-01-01')).toEqual({
      requested: '2027-01-01',
      day: '2027-01-01',
      shifted: false,
      calendarMissing: true,
      missingYears: [2027],
    });
  });

  it('flags a shift that walks from a known year into an unknown one', () => {
    const local = new WorkCalendar({ localDaysOff: ['2026-12-31'] });
    expect(local.resolveWorkday('2026-12-31')).toMatchObject({ day: '2027-01-01', shifted: true, missingYears: [2027] });
  });

  it('is not fooled by a neighbouring notice leaking a few boundary days into a year', () => {
    // The 2019 notice lists 2018-12-30 and 2018-12-31; the same pattern for 2027 would
    // put 2027-01-01 in the data without the rest of 2027.
    const leaked = mergeHolidayData(bundledHolidayData(), {
      holidays: { '2027-01-01': '元旦', '2027-01-02': '元旦' },
      workdays: {},
    });
    expect(new WorkCalendar({ data: leaked }).hasDataForYear(2027)).toBe(false);
  });

  it('accepts a newer year from holiday-cn once its notice is out', () => {
    // Shape of NateScarlet/holiday-cn {year}.json; dates here are made up for the test.
    const made = [
      ...days('2027-01-01', '2027-01-03').map((date) => ({ name: '元旦', date, isOffDay: true })),
      ...days('2027-02-06', '2027-02-14').map((date) => ({ name: '春节', date, isOffDay: true })),
      { name: '春节', date: '2027-02-20', isOffDay: false },
    ];
    const cal2027 = new WorkCalendar({ data: mergeHolidayData(bundledHolidayData(), holidayDataFromHolidayCn(made)) });
    expect(cal2027.hasDataForYear(2027)).toBe(true);
    expect(cal2027.isWorkday('2027-01-01')).toBe(false);
    expect(cal2027.isWorkday('2027-02-20')).toBe(true);
    expect(cal2027.resolveWorkday('2027-02-08')).toMatchObject({ day: '2027-02-15', calendarMissing: false });
  });
});

describe('local overrides', () => {
  it('win over statutory data and weekdays', () => {
    const cal = new WorkCalendar({ localDaysOff: ['2026-11-18', '2026-10-10'], localWorkdays: ['2026-10-03'] });
    expect(cal.isWorkday('2026-11-18')).toBe(false);
    expect(cal.isWorkday('2026-10-10')).toBe(false);
    expect(cal.isWorkday('2026-10-03')).toBe(true);
    expect(cal.nextWorkdayOnOrAfter('2026-11-18')).toBe('2026-11-19');
  });

  it('refuses a date that is both a local day off and a local workday', () => {
    expect(() => new WorkCalendar({ localDaysOff: ['2026-11-18'], localWorkdays: ['2026-11-18'] })).toThrow(/2026-11-18/);
  });

  it.each(['2026-2-3', '2026-02-30', '20261118', '2026-11-18T00:00'])('refuses the malformed date %j', (day) => {
    let caught: unknown;
    try {
      new WorkCalendar().isWorkday(day);
    } catch (e) {
      caught = e;
    }
    expect(isAppError(caught, 'VALIDATION')).toBe(true);
    expect(() => new WorkCalendar({ localDaysOff: [day] })).toThrow(/YYYY-MM-DD/);
  });

  it('gives up after a month without a working day instead of looping', () => {
    const cal = new WorkCalendar({ localDaysOff: days('2026-11-01', '2026-12-31') });
    expect(() => cal.resolveWorkday('2026-11-01')).toThrow(/no working day/);
  });
});
