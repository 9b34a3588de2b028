import { describe, it, expect } from 'vitest';
import { Decimal } from 'decimal.js';
import { isAppError } from '../../src/errors.js';
import {
  type LightInput,
  completionRate,
  describeLag,
  lagPoints,
  light,
  lightEmoji,
  timeProgress,
} from '../../src/domain/schedule-lag.js';

describe('timeProgress (序时进度)', () => {
  it.each([
    ['monthly', '2026-08', '0.6667'], // end of August = 8/12
    ['monthly', '2026-01', '0.0833'],
    ['monthly', '2026-12', '1.0000'],
    ['weekly', '2026-W47', (326 / 365).toFixed(4)], // through Sunday 11-22, day 326
    ['weekly', '2026-W01', (4 / 365).toFixed(4)], // 2025-12-29 … 2026-01-04: only 1–4 January count
    ['weekly', '2026-W53', '1.0000'], // ends 2027-01-03: capped
    ['weekly', '2024-W01', (7 / 366).toFixed(4)], // leap year, 2024-01-01 is a Monday
    ['weekly', '2024-W52', (364 / 366).toFixed(4)],
  ] as const)('%s %s → %s', (kind, key, expected) => {
    expect(timeProgress(kind, key).toFixed(4)).toBe(expected);
  });

  it('is exact: 8/12 is not rounded', () => {
    expect(timeProgress('monthly', '2026-08').times(12).toFixed()).toBe('8');
  });
});

describe('completionRate and lagPoints', () => {
  it('divides year-to-date by the annual plan', () => {
    expect(completionRate('4200', '6000')?.toFixed()).toBe('0.7');
    expect(completionRate(new Decimal('1200.5'), '2401')?.toFixed()).toBe('0.5');
  });

  it.each([['0'], [null], [undefined], [''], ['-100']])('has no rate for plan %j', (plan) => {
    expect(completionRate('100', plan)).toBeNull();
  });

  it('is positive when behind schedule', () => {
    expect(lagPoints(timeProgress('monthly', '2026-08'), '0.5').toFixed(4)).toBe('16.6667');
    expect(lagPoints('0.5', '0.738').toFixed()).toBe('-23.8');
  });
});

describe('describeLag', () => {
  it.each([
    ['-23.8', '高于序时进度23.8个百分点'],
    ['12.3', '低于序时进度12.3个百分点'],
    ['12.25', '低于序时进度12.3个百分点'],
    ['16.6667', '低于序时进度16.7个百分点'],
    ['5', '低于序时进度5.0个百分点'],
    ['0', '与序时进度持平'],
    ['0.04', '与序时进度持平'],
    ['-0.04', '与序时进度持平'],
  ])('%s points → %s', (points, text) => {
    expect(describeLag(points)).toBe(text);
  });
});

const base: LightInput = {
  ytd: '4200',
  annualPlan: '6000',
  timeProgress: timeProgress('monthly', '2026-08'),
  plannedStart: null,
  started: true,
  asOfDay: '2026-08-25',
  consecutiveMissed: 0,
};
const judge = (overrides: Partial<LightInput>) => light({ ...base, ...overrides });

describe('light', () => {
  it.each([
    // rate 70% vs 66.7% elapsed
    [{}, 'green', ['高于序时进度3.3个百分点']],
    [{ ytd: '4000' }, 'green', ['与序时进度持平']],
    [{ ytd: '3600' }, 'yellow', ['低于序时进度6.7个百分点']],
    [{ ytd: '3000' }, 'red', ['低于序时进度16.7个百分点']],
    // Thresholds are inclusive and judged on the shown (1-decimal) figure.
    [{ ytd: '45', annualPlan: '100', timeProgress: '0.5' }, 'yellow', ['低于序时进度5.0个百分点']],
    [{ ytd: '45.04', annualPlan: '100', timeProgress: '0.5' }, 'yellow', ['低于序时进度5.0个百分点']],
    [{ ytd: '45.06', annualPlan: '100', timeProgress: '0.5' }, 'green', ['低于序时进度4.9个百分点']],
    [{ ytd: '35', annualPlan: '100', timeProgress: '0.5' }, 'red', ['低于序时进度15.0个百分点']],
  ] as const)('%j → %s', (overrides, expected, reasons) => {
    const r = judge(overrides);
    expect(r.light).toBe(expected);
    expect(r.reasons).toEqual(reasons);
  });

  it('turns yellow after one missed report and red after two', () => {
    expect(judge({ consecutiveMissed: 1 })).toMatchObject({ light: 'yellow', reasons: ['连续1期未报送'] });
    expect(judge({ consecutiveMissed: 2 })).toMatchObject({ light: 'red', reasons: ['连续2期未报送'] });
    expect(judge({ consecutiveMissed: 3 })).toMatchObject({ light: 'red', reasons: ['连续3期未报送'] });
  });

  it('turns red when the planned start has passed without a start', () => {
    const notStarted = { plannedStart: '2026-03-01', started: false };
    expect(judge({ ...notStarted, asOfDay: '2026-03-02' })).toMatchObject({
      light: 'red',
      reasons: ['已过计划开工日期（2026年3月1日）仍未开工'],
    });
    expect(judge({ ...notStarted, asOfDay: '2026-03-01' }).light).toBe('green');
    expect(judge({ plannedStart: '2026-03-01', started: true }).light).toBe('green');
  });

  it('lists every warning, worst first', () => {
    const r = judge({ consecutiveMissed: 2, ytd: '3600', plannedStart: '2026-03-01', started: false });
    expect(r.light).toBe('red');
    expect(r.reasons).toEqual(['连续2期未报送', '已过计划开工日期（2026年3月1日）仍未开工', '低于序时进度6.7个百分点']);
  });

  it('exposes the completion rate and the shown lag', () => {
    const r = judge({ ytd: '3000' });
    expect(r.completionRate?.toFixed()).toBe('0.5');
    expect(r.lagPoints?.toFixed()).toBe('16.7');
  });

  it('has nothing to judge without a plan or without figures', () => {
    expect(judge({ annualPlan: null })).toMatchObject({ light: 'none', reasons: ['无年度计划投资，无法计算序时进度'] });
    expect(judge({ annualPlan: '0', ytd: null })).toMatchObject({ light: 'none', reasons: ['无年度计划投资，无法计算序时进度'] });
    expect(judge({ ytd: null })).toMatchObject({
      light: 'none',
      reasons: ['本年尚无累计完成投资数据，无法计算序时进度'],
      lagPoints: null,
    });
    // …but other rules still apply.
    expect(judge({ annualPlan: null, consecutiveMissed: 2 })).toMatchObject({ light: 'red', reasons: ['连续2期未报送'] });
  });

  it('takes thresholds from configuration', () => {
    expect(judge({ ytd: '3600', thresholds: { yellowLagPoints: 10 } }).light).toBe('green');
    expect(judge({ ytd: '3600', thresholds: { redLagPoints: 6 } }).light).toBe('red');
    expect(judge({ consecutiveMissed: 2, thresholds: { redConsecutiveMissed: 3 } }).light).toBe('yellow');
  });

  it('refuses inconsistent thresholds and bad dates', () => {
    let caught: unknown;
    try {
      judge({ thresholds: { yellowLagPoints: 20, redLagPoints: 15 } });
    } catch (e) {
      caught = e;
    }
    expect(isAppError(caught, 'CONFIG_INVALID')).toBe(true);
    expect(() => judge({ asOfDay: '2026/08/25' })).toThrow(/YYYY-MM-DD/);
    expect(() => judge({ plannedStart: '2026-3-1', started: false })).toThrow(/YYYY-MM-DD/);
  });
});

describe('lightEmoji', () => {
  it.each([
    ['green', '🟢'],
    ['yellow', '🟡'],
    ['red', '🔴'],
    ['none', '⚪'],
  ] as const)('%s → %s', (l, emoji) => {
    expect(lightEmoji(l)).toBe(emoji);
  });
});
