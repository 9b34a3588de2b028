import { describe, it, expect } from 'vitest';
import { isAppError } from '../../src/errors.js';
import {
  type CycleScheduleConfig,
  DEFAULT_CYCLE_SCHEDULE,
  cycleScheduleFromStrings,
  cycleTimes,
  parseCycleScheduleConfig,
  periodForOpeningAt,
} from '../../src/domain/cycle-schedule.js';
import { nextPeriodKey } from '../../src/domain/period.js';
import { WorkCalendar } from '../../src/domain/work-calendar.js';

const cal = new WorkCalendar();
const SH = 'Asia/Shanghai';

/** Local Shanghai wall time → ISO instant, to keep expectations readable. */
const sh = (local: string): string => new Date(`${local}:00+08:00`).toISOString();

function makeConfig(overrides: { weekly?: Partial<CycleScheduleConfig['weekly']>; monthly?: Partial<CycleScheduleConfig['monthly']> } = {}): CycleScheduleConfig {
  return {
    weekly: { ...DEFAULT_CYCLE_SCHEDULE.weekly, ...overrides.weekly },
    monthly: { ...DEFAULT_CYCLE_SCHEDULE.monthly, ...overrides.monthly },
  };
}

function times(kind: 'weekly' | 'monthly', key: string, config = DEFAULT_CYCLE_SCHEDULE, tz = SH) {
  const t = cycleTimes(kind, key, config, cal, tz);
  return {
    open: t.openAt.toISOString(),
    remind: t.remindAt.toISOString(),
    due: t.dueAt.toISOString(),
    shifted: t.shifted,
    missing: t.calendarMissingYears,
    allDaysOff: t.allDaysOff,
  };
}

describe('cycleTimes with the default schedule', () => {
  it.each([
    // An ordinary week: Monday 09:00, Wednesday 15:00, Friday 18:00.
    ['weekly', '2026-W47', '2026-11-16T09:00', '2026-11-18T15:00', '2026-11-20T18:00', [false, false, false]],
    // National Day week: Monday 10-05 and Wednesday 10-07 are off (10/1–10/7) → Thursday 10-08.
    ['weekly', '2026-W41', '2026-10-08T09:00', '2026-10-08T15:00', '2026-10-09T18:00', [true, true, false]],
    // The week before: due Friday 10-02 is off → 10-08 (Thursday).
    ['weekly', '2026-W40', '2026-09-28T09:00', '2026-09-30T15:00', '2026-10-08T18:00', [false, false, true]],
    // Spring Festival 2/15–2/23: the whole of W08 is off, everything lands on Tuesday 02-24.
    ['weekly', '2026-W08', '2026-02-24T09:00', '2026-02-24T15:00', '2026-02-24T18:00', [true, true, true]],
    ['weekly', '2026-W09', '2026-02-24T09:00', '2026-02-25T15:00', '2026-02-27T18:00', [true, false, false]],
    // Monthly: opens the 20th, reminds the 23rd, due the 25th.
    ['monthly', '2026-11', '2026-11-20T09:00', '2026-11-23T15:00', '2026-11-25T18:00', [false, false, false]],
    // 09-20 is a Sunday but a make-up workday: no shift. 09-25 (Mid-Autumn) is off → Monday 09-28.
    ['monthly', '2026-09', '2026-09-20T09:00', '2026-09-23T15:00', '2026-09-28T18:00', [false, false, true]],
    // 04-25 is a plain Saturday → Monday 04-27.
    ['monthly', '2026-04', '2026-04-20T09:00', '2026-04-23T15:00', '2026-04-27T18:00', [false, false, true]],
    // 2026-12-20 is a Sunday.
    ['monthly', '2026-12', '2026-12-21T09:00', '2026-12-23T15:00', '2026-12-25T18:00', [true, false, false]],
  ] as const)('%s %s opens %s, reminds %s, due %s', (kind, key, open, remind, due, [o, r, d]) => {
    expect(times(kind, key)).toEqual({
      open: sh(open),
      remind: sh(remind),
      due: sh(due),
      shifted: { open: o, remind: r, due: d },
      missing: [],
      allDaysOff: key === '2026-W08',
    });
  });

  it('keeps the configured times as nominal, for "顺延" messages', () => {
    const t = cycleTimes('weekly', '2026-W41', DEFAULT_CYCLE_SCHEDULE, cal, SH);
    expect(t.nominal.openAt.toISOString()).toBe(sh('2026-10-05T09:00'));
    expect(t.openAt.toISOString()).toBe(sh('2026-10-08T09:00'));
  });

  it('counts a make-up Saturday (2026-10-10) as a working day', () => {
    const config = makeConfig({ weekly: { due: { weekday: 6, time: '12:00' } } });
    const t = times('weekly', '2026-W41', config);
    expect(t.due).toBe(sh('2026-10-10T12:00'));
    expect(t.shifted.due).toBe(false);
  });

  it('uses the given zone', () => {
    expect(times('weekly', '2026-W47', DEFAULT_CYCLE_SCHEDULE, 'UTC').open).toBe('2026-11-16T09:00:00.000Z');
  });

  it('reports years without holiday data instead of trusting them', () => {
    // 2026-W53 is due on Friday 2027-01-01, which is surely a holiday, but 2027 is not published.
    const t = times('weekly', '2026-W53');
    expect(t.missing).toEqual([2027]);
    expect(t.due).toBe(sh('2027-01-01T18:00'));
    expect(times('monthly', '2027-01').missing).toEqual([2027]);
    expect(times('monthly', '2026-12').missing).toEqual([]);
  });
});

describe('cycleTimes keeps open ≤ remind ≤ due after shifting', () => {
  it('moves a remind that would come before the shifted open up to the open', () => {
    // Remind on Wednesday 08:00 is earlier in the day than the 09:00 open; both land on 10-08.
    const config = makeConfig({ weekly: { remind: { weekday: 3, time: '08:00' } } });
    const t = times('weekly', '2026-W41', config);
    expect(t.open).toBe(sh('2026-10-08T09:00'));
    expect(t.remind).toBe(sh('2026-10-08T09:00'));
    expect(t.shifted.remind).toBe(true);
  });

  it('moves a due that would come before the shifted remind up to the remind', () => {
    const config = makeConfig({
      weekly: { remind: { weekday: 2, time: '10:00' }, due: { weekday: 3, time: '08:00' } },
    });
    const t = times('weekly', '2026-W41', config);
    expect([t.open, t.remind, t.due]).toEqual([sh('2026-10-08T09:00'), sh('2026-10-08T10:00'), sh('2026-10-08T10:00')]);
  });

  it('holds for every weekly and monthly cycle of 2026', () => {
    const check = (kind: 'weekly' | 'monthly', first: string, count: number): void => {
      let key = first;
      for (let i = 0; i < count; i++, key = nextPeriodKey(kind, key)) {
        const t = cycleTimes(kind, key, DEFAULT_CYCLE_SCHEDULE, cal, SH);
        expect(t.openAt <= t.remindAt && t.remindAt <= t.dueAt, key).toBe(true);
        for (const d of [t.openAt, t.remindAt, t.dueAt]) {
          const day = new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
          if (d.getUTCFullYear() === 2026) expect(cal.isWorkday(day), `${key} ${day}`).toBe(true);
        }
      }
    };
    check('weekly', '2026-W01', 53);
    check('monthly', '2026-01', 12);
  });
});

describe('schedule config', () => {
  it('builds from the env strings', () => {
    expect(
      cycleScheduleFromStrings({
        weekly: { open: '1 09:00', remind: '3 15:00', due: '5 18:00' },
        monthly: { open: '20 09:00', remind: '23 15:00', due: '25 18:00' },
      }),
    ).toEqual(DEFAULT_CYCLE_SCHEDULE);
  });

  it.each([
    [{ weekly: { open: { weekday: 8, time: '09:00' } } }, /weekly\.open\.weekday/],
    [{ weekly: { open: { weekday: 1, time: '9:00' } } }, /HH:MM/],
    [{ weekly: { due: { weekday: 5, time: '24:00' } } }, /HH:MM/],
    [{ monthly: { due: { day: 29, time: '18:00' } } }, /monthly\.due\.day/],
    [{ weekly: { remind: { weekday: 1, time: '08:00' } } }, /open ≤ remind ≤ due/],
    [{ monthly: { open: { day: 25, time: '18:00' }, remind: { day: 25, time: '18:00' } } }, /open < due/],
  ])('refuses %j', (overrides, message) => {
    let caught: unknown;
    try {
      parseCycleScheduleConfig(makeConfig(overrides));
    } catch (e) {
      caught = e;
    }
    expect(isAppError(caught, 'CONFIG_INVALID')).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });

  it('refuses malformed env strings', () => {
    expect(() =>
      cycleScheduleFromStrings({
        weekly: { open: 'Mon 09:00', remind: '3 15:00', due: '5 18:00' },
        monthly: { open: '20 09:00', remind: '23 15:00', due: '25 18:00' },
      }),
    ).toThrow(/weekly\.open\.weekday/);
  });
});

describe('periodForOpeningAt', () => {
  it.each([
    ['weekly', '2026-11-18T15:00', '2026-W47'],
    ['weekly', '2026-11-16T00:00', '2026-W47'],
    ['weekly', '2026-11-22T23:59', '2026-W47'],
    ['weekly', '2026-10-08T09:00', '2026-W41'],
    ['monthly', '2026-11-05T08:00', '2026-11'],
    ['monthly', '2026-11-30T23:59', '2026-11'],
    ['monthly', '2026-12-01T00:00', '2026-12'],
  ] as const)('%s at %s (Shanghai) → %s', (kind, local, key) => {
    expect(periodForOpeningAt(kind, new Date(sh(local)), DEFAULT_CYCLE_SCHEDULE, SH)).toBe(key);
  });
});
