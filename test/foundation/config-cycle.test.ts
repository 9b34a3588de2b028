// The schedule and light settings are parsed once, with the rest of the configuration: a bad
// WEEKLY_*/MONTHLY_*/LIGHT_* value stops start-up naming the variable, and what the cycle code
// reads afterwards is that one typed result, not a fresh parse.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config.js';
import { cycleSettings } from '../../src/cycle/cycle-config.js';

const valid = {
  LARK_APP_ID: 'cli_x',
  LARK_APP_SECRET: 's',
  LARK_VERIFICATION_TOKEN: 'v',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x',
  REDIS_URL: 'redis://127.0.0.1:6379',
};

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    parseConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('cycle settings in the configuration', () => {
  it('refuses WEEKLY_OPEN="8 25:00" at start-up, naming the variable and both faults', () => {
    const problems = problemsOf({ ...valid, WEEKLY_OPEN: '8 25:00' });
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.startsWith('WEEKLY_OPEN: "8 25:00"'))).toBe(true);
    expect(problems.join('\n')).toMatch(/HH:MM/);
    expect(problems.join('\n')).toMatch(/7/);
    expect(problems.join('\n')).toContain("'<weekday 1-7> HH:MM'");
  });

  it('names a bad monthly day and the order of the points', () => {
    expect(problemsOf({ ...valid, MONTHLY_DUE: '31 18:00' })).toEqual([expect.stringMatching(/^MONTHLY_DUE: "31 18:00": .*'<day 1-28> HH:MM'/)]);
    const order = problemsOf({ ...valid, WEEKLY_OPEN: '5 09:00', WEEKLY_DUE: '1 18:00' });
    expect(order).toEqual([expect.stringMatching(/^WEEKLY_OPEN: expected open ≤ remind ≤ due.*WEEKLY_DUE="1 18:00"/)]);
  });

  it('refuses light thresholds where red comes before yellow', () => {
    const problems = problemsOf({ ...valid, LIGHT_YELLOW_LAG_POINTS: '20', LIGHT_RED_LAG_POINTS: '10' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^LIGHT_YELLOW_LAG_POINTS: LIGHT_\* settings: /);
  });

  it('carries the parsed schedule and thresholds, the same object on every read', () => {
    const config = parseConfig({ ...valid, WEEKLY_OPEN: '2 08:30', LIGHT_RED_CONSECUTIVE_MISSED: '3', DISPATCH_TZ: 'Asia/Urumqi' });
    expect(config.cycle.schedule.weekly.open).toEqual({ weekday: 2, time: '08:30' });
    expect(config.cycle.schedule.monthly.due).toEqual({ day: 25, time: '18:00' });
    expect(config.cycle.thresholds.redMissed).toBe(3);
    expect(config.cycle.thresholds.preset).toBe('yinchuan');
    expect(config.cycle.tz).toBe('Asia/Urumqi');
    expect(cycleSettings(config)).toBe(config.cycle);
    expect(cycleSettings(config)).toBe(cycleSettings(config));
  });
});
