import { describe, it, expect } from 'vitest';
import { isAppError } from '../../src/errors.js';
import {
  nextPeriodKey,
  parsePeriodKey,
  periodDays,
  periodKeyFor,
  periodLabel,
  periodRange,
  periodYear,
  previousPeriodKey,
} from '../../src/domain/period.js';

const SH = 'Asia/Shanghai';

describe('periodKeyFor', () => {
  it.each([
    // instant (UTC)              zone              weekly       monthly
    ['2026-11-18T02:00:00Z', SH, '2026-W47', '2026-11'],
    // Sunday 23:59 vs Monday 00:30 in Shanghai: the week turns at local midnight.
    ['2026-11-22T15:59:00Z', SH, '2026-W47', '2026-11'],
    ['2026-11-22T16:30:00Z', SH, '2026-W48', '2026-11'],
    // 2026-12-01 00:30 in Shanghai is still November in UTC.
    ['2026-11-30T16:30:00Z', SH, '2026-W49', '2026-12'],
    ['2026-11-30T16:30:00Z', 'UTC', '2026-W49', '2026-11'],
    // ISO week-years at the boundaries: 2026 has 53 weeks, 2025 has 52.
    ['2025-12-29T04:00:00Z', SH, '2026-W01', '2025-12'],
    ['2026-01-01T04:00:00Z', SH, '2026-W01', '2026-01'],
    ['2026-12-31T04:00:00Z', SH, '2026-W53', '2026-12'],
    ['2027-01-03T04:00:00Z', SH, '2026-W53', '2027-01'],
    ['2027-01-04T04:00:00Z', SH, '2027-W01', '2027-01'],
    ['2021-01-03T04:00:00Z', SH, '2020-W53', '2021-01'],
    ['2026-03-02T04:00:00Z', SH, '2026-W10', '2026-03'],
  ])('%s in %s → %s / %s', (iso, tz, weekly, monthly) => {
    expect(periodKeyFor('weekly', new Date(iso), tz)).toBe(weekly);
    expect(periodKeyFor('monthly', new Date(iso), tz)).toBe(monthly);
  });

  it('defaults to Asia/Shanghai', () => {
    expect(periodKeyFor('monthly', new Date('2026-11-30T16:30:00Z'))).toBe('2026-12');
  });

  it('refuses an unknown zone and an invalid Date', () => {
    expect(() => periodKeyFor('weekly', new Date(), 'Asia/Shanghia')).toThrow(/time zone/);
    expect(() => periodKeyFor('weekly', new Date('nope'), SH)).toThrow(/invalid Date/);
  });
});

describe('parsePeriodKey', () => {
  it('parses canonical keys', () => {
    expect(parsePeriodKey('2026-W47')).toEqual({ kind: 'weekly', key: '2026-W47', year: 2026, week: 47 });
    expect(parsePeriodKey('2026-W53')).toEqual({ kind: 'weekly', key: '2026-W53', year: 2026, week: 53 });
    expect(parsePeriodKey('2026-11')).toEqual({ kind: 'monthly', key: '2026-11', year: 2026, month: 11 });
  });

  it.each([
    ['2026-W54', /weeks 01\.\.53/],
    ['2025-W53', /weeks 01\.\.52/],
    ['2026-W00', /weeks 01\.\.53/],
    ['2026-13', /01\.\.12/],
    ['2026-00', /01\.\.12/],
    ['2026-1', /YYYY-Www/],
    ['2026-W7', /YYYY-Www/],
    ['2026-w47', /YYYY-Www/],
    ['2026W47', /YYYY-Www/],
    ['', /YYYY-Www/],
    [' 2026-11', /YYYY-Www/],
    ['1999-12', /outside/],
  ])('refuses %j with a coded error', (key, message) => {
    let caught: unknown;
    try {
      parsePeriodKey(key);
    } catch (e) {
      caught = e;
    }
    expect(isAppError(caught, 'VALIDATION')).toBe(true);
    expect((caught as Error).message).toMatch(message);
    expect(isAppError(caught) && caught.userMessage).toContain('格式不正确');
  });

  it('refuses a key of the other kind when a kind is expected', () => {
    expect(() => parsePeriodKey('2026-11', 'weekly')).toThrow(/expected weekly/);
    expect(() => periodRange('monthly', '2026-W47')).toThrow(/expected monthly/);
  });
});

describe('periodRange: [start, end) at local midnight', () => {
  it.each([
    ['weekly', '2026-W47', SH, '2026-11-15T16:00:00.000Z', '2026-11-22T16:00:00.000Z'],
    ['weekly', '2026-W01', SH, '2025-12-28T16:00:00.000Z', '2026-01-04T16:00:00.000Z'],
    ['weekly', '2026-W53', 'UTC', '2026-12-28T00:00:00.000Z', '2027-01-04T00:00:00.000Z'],
    ['monthly', '2026-11', SH, '2026-10-31T16:00:00.000Z', '2026-11-30T16:00:00.000Z'],
    ['monthly', '2026-02', SH, '2026-01-31T16:00:00.000Z', '2026-02-28T16:00:00.000Z'],
    // New York leaves daylight time on 2026-11-01: the two ends have different offsets.
    ['monthly', '2026-11', 'America/New_York', '2026-11-01T04:00:00.000Z', '2026-12-01T05:00:00.000Z'],
  ] as const)('%s %s in %s', (kind, key, tz, start, end) => {
    const r = periodRange(kind, key, tz);
    expect(r.start.toISOString()).toBe(start);
    expect(r.end.toISOString()).toBe(end);
  });

  it('gives first and last days, inclusive', () => {
    expect(periodDays('weekly', '2026-W41')).toEqual({ firstDay: '2026-10-05', lastDay: '2026-10-11' });
    expect(periodDays('monthly', '2024-02')).toEqual({ firstDay: '2024-02-01', lastDay: '2024-02-29' });
  });
});

describe('previous and next period', () => {
  it.each([
    ['weekly', '2026-W47', '2026-W46', '2026-W48'],
    ['weekly', '2026-W01', '2025-W52', '2026-W02'],
    ['weekly', '2026-W53', '2026-W52', '2027-W01'],
    ['weekly', '2021-W01', '2020-W53', '2021-W02'],
    ['monthly', '2026-11', '2026-10', '2026-12'],
    ['monthly', '2026-01', '2025-12', '2026-02'],
    ['monthly', '2026-12', '2026-11', '2027-01'],
  ] as const)('%s %s: previous %s, next %s', (kind, key, prev, next) => {
    expect(previousPeriodKey(kind, key)).toBe(prev);
    expect(nextPeriodKey(kind, key)).toBe(next);
  });
});

describe('periodYear: the ISO week-year for weeks, the calendar year for months', () => {
  it.each([
    ['weekly', '2026-W01', 2026], // 2025-12-29 … 2026-01-04
    ['weekly', '2026-W47', 2026],
    ['weekly', '2026-W53', 2026], // 2026-12-28 … 2027-01-03
    ['weekly', '2020-W53', 2020], // 2020-12-28 … 2021-01-03
    ['monthly', '2026-12', 2026],
    ['monthly', '2027-01', 2027],
  ] as const)('%s %s → %d', (kind, key, year) => {
    expect(periodYear(kind, key)).toBe(year);
  });
});

describe('periodLabel', () => {
  it.each([
    ['weekly', '2026-W47', '2026年第47周（11月16日—11月22日）'],
    ['weekly', '2026-W41', '2026年第41周（10月5日—10月11日）'],
    ['weekly', '2026-W01', '2026年第1周（2025年12月29日—1月4日）'],
    ['weekly', '2026-W53', '2026年第53周（12月28日—2027年1月3日）'],
    ['monthly', '2026-11', '2026年11月'],
    ['monthly', '2027-01', '2027年1月'],
  ] as const)('%s %s → %s', (kind, key, label) => {
    expect(periodLabel(kind, key)).toBe(label);
  });
});
