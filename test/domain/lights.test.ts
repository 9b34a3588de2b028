// Both presets at every threshold's edge, with the judged day (the injected clock) moved across
// the month-based rules; exemptions and a project without a plan are not judged.
import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { judgeLight, lightRules, plusMonths, PRESETS, type LightFacts } from '../../src/domain/lights.js';
import { isAppError } from '../../src/errors.js';

// 序时进度 0.5 and a plan of 1000 make the figures easy: ytd 400 → 10 points behind, 20% below.
const base: LightFacts = {
  ytd: '500',
  annualPlan: '1000',
  timeProgress: '0.5',
  plannedStart: '2024-03-01',
  started: true,
  startedOn: null,
  registered: true,
  asOfDay: '2026-06-30',
  consecutiveMissed: 0,
  exemption: null,
};
const judge = (preset: 'yinchuan' | 'sanya', o: Partial<LightFacts>) => judgeLight({ ...base, ...o }, PRESETS[preset]);

describe('yinchuan: lag in percentage points (green < 10 ≤ yellow ≤ 30 < red)', () => {
  it.each([
    ['600', 'green', '高于序时进度10.0个百分点'],
    ['500', 'green', '与序时进度持平'],
    ['401', 'green', '低于序时进度9.9个百分点'],
    ['400', 'yellow', '低于序时进度10.0个百分点'],
    ['200', 'yellow', '低于序时进度30.0个百分点'],
    ['199', 'red', '低于序时进度30.1个百分点'],
    ['0', 'red', '低于序时进度50.0个百分点'],
  ])('ytd %s of 1000 at 序时进度 50%% → %s', (ytd, light, reason) => {
    const r = judge('yinchuan', { ytd });
    expect(r.light).toBe(light);
    expect(r.reasons).toEqual([reason]);
  });

  it.each([
    // planned start in March 2026; the judged day moves across the month edges
    ['2026-02-28', 'green', null],
    ['2026-03-01', 'yellow', '计划2026年3月15日开工，至今未开工'],
    ['2026-05-31', 'yellow', '计划2026年3月15日开工，至今未开工'],
    ['2026-06-01', 'red', '计划2026年3月15日开工，至今未开工'],
  ])('not started, judged on %s → %s', (asOfDay, light, reason) => {
    const r = judge('yinchuan', { started: false, plannedStart: '2026-03-15', asOfDay, ytd: '500' });
    expect(r.light).toBe(light);
    if (reason) expect(r.reasons[0]).toBe(reason);
  });

  it.each([
    ['2026-04-09', 'green'],
    ['2026-04-10', 'yellow'],
    ['2026-05-10', 'yellow'],
    ['2026-05-11', 'red'],
  ])('started 2026-03-10 but not 入统, judged on %s → %s', (asOfDay, light) => {
    const r = judge('yinchuan', { startedOn: '2026-03-10', registered: false, asOfDay });
    expect(r.light).toBe(light);
    if (light !== 'green') expect(r.reasons[0]).toBe('已于2026年3月10日开工，尚未入统');
  });

  it.each([
    ['2026-02-27', 'green'],
    ['2026-02-28', 'yellow'],
    ['2026-03-31', 'yellow'],
    ['2026-04-01', 'red'],
  ])('started on a month’s last day (2026-01-31) but not 入统, judged on %s → %s: a month later is the next month’s last day', (asOfDay, light) => {
    const r = judge('yinchuan', { startedOn: '2026-01-31', registered: false, asOfDay });
    expect(r.light).toBe(light);
  });

  it.each([
    ['2026-01-31', 1, '2026-02-28'],
    ['2024-01-31', 1, '2024-02-29'],
    ['2026-03-10', 2, '2026-05-10'],
    ['2026-11-30', 3, '2027-02-28'],
    ['2026-12-15', 12, '2027-12-15'],
  ])('%s plus %i months is %s, as luxon counts', (day, months, expected) => {
    expect(plusMonths(day, months)).toBe(expected);
    expect(DateTime.fromISO(day, { zone: 'utc' }).plus({ months }).toISODate()).toBe(expected);
  });

  it.each([
    [0, 'green'],
    [1, 'yellow'],
    [2, 'red'],
    [5, 'red'],
  ])('%i missed reports in a row → %s', (consecutiveMissed, light) => {
    const r = judge('yinchuan', { consecutiveMissed });
    expect(r.light).toBe(light);
    if (consecutiveMissed > 0) expect(r.reasons[0]).toBe(`连续${consecutiveMissed}期未报送`);
  });
});

describe('sanya: shortfall in percent of 序时进度 (green ≤ 0 < yellow ≤ 50 < red)', () => {
  it.each([
    ['500', 'green', '达到序时进度（完成序时进度的100.0%）'],
    ['700', 'green', '达到序时进度（完成序时进度的140.0%）'],
    ['499', 'yellow', '低于序时进度0.2%'],
    ['250', 'yellow', '低于序时进度50.0%'],
    ['249', 'red', '低于序时进度50.2%'],
  ])('ytd %s of 1000 at 序时进度 50%% → %s', (ytd, light, reason) => {
    const r = judge('sanya', { ytd });
    expect(r.light).toBe(light);
    expect(r.reasons).toEqual([reason]);
  });

  it('has no start or 入统 rule, but counts missed reports: one yellow, two red', () => {
    expect(judge('sanya', { started: false, plannedStart: '2025-01-01' }).light).toBe('green');
    expect(judge('sanya', { startedOn: '2025-01-01', registered: false }).light).toBe('green');
    expect(judge('sanya', { consecutiveMissed: 1 }).light).toBe('yellow');
    expect(judge('sanya', { consecutiveMissed: 2 }).light).toBe('red');
  });
});

describe('not judged', () => {
  it.each(['yinchuan', 'sanya'] as const)('%s: a project without a plan says so, whatever else holds', (preset) => {
    for (const annualPlan of [null, '0']) {
      const r = judge(preset, { annualPlan, consecutiveMissed: 3, ytd: '0' });
      expect(r).toMatchObject({ light: 'none', reasons: ['无年度计划投资，不参与评灯'], notJudged: 'no_plan' });
    }
  });

  it.each(['yinchuan', 'sanya'] as const)('%s: an exemption holds through its last day, then the rules apply again', (preset) => {
    const exemption = { reason: '冬季停工', until: '2027-03-01' };
    expect(judge(preset, { ytd: '0', exemption, asOfDay: '2027-03-01' })).toMatchObject({
      light: 'none',
      reasons: ['已豁免评灯（冬季停工，至2027年3月1日）'],
      notJudged: 'exempt',
    });
    expect(judge(preset, { ytd: '0', exemption, asOfDay: '2027-03-02' }).light).toBe('red');
  });

  it('without figures this year, only the other rules can light it', () => {
    expect(judge('yinchuan', { ytd: null })).toMatchObject({ light: 'none', notJudged: 'no_data' });
    expect(judge('yinchuan', { ytd: null, consecutiveMissed: 1 }).light).toBe('yellow');
  });
});

describe('configuration', () => {
  it('overrides any threshold of a preset', () => {
    const r = lightRules('yinchuan', { yellowLag: 5, redLag: 15 });
    expect(judgeLight({ ...base, ytd: '440' }, r).light).toBe('yellow'); // 6 points
    expect(judgeLight({ ...base, ytd: '340' }, r).light).toBe('red'); // 16 points
    expect(judgeLight({ ...base, consecutiveMissed: 2 }, lightRules('sanya', { redMissed: 3 })).light).toBe('yellow');
  });

  it('refuses inconsistent thresholds with a clear error', () => {
    try {
      lightRules('yinchuan', { yellowLag: 40 });
      expect.unreachable();
    } catch (e) {
      expect(isAppError(e) && e.code).toBe('CONFIG_INVALID');
      expect((e as Error).message).toMatch(/yellow lag threshold must not exceed the red one/);
    }
  });
});
