// The scheduler's steps come from the features: one list, in a fixed order, each step's jobs a
// function of the clock; a step name registered twice stops start-up.
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { AppContext } from '../../src/platform/app-context.js';
import { composeScheduleSteps, scheduledJob } from '../../src/platform/jobs/schedule-steps.js';
import { SCHEDULE_STEPS, startScheduler } from '../../src/app/scheduler.js';

const jobsAt = (iso: string) => composeScheduleSteps(SCHEDULE_STEPS).flatMap((s) => s.jobs(new Date(iso)));

describe('schedule steps', () => {
  it('enqueues, per tick, the cycle ticks of both kinds and the two daily jobs, in that order', () => {
    expect(jobsAt('2026-11-30T01:02:30Z')).toEqual([
      { name: 'cycle.tick', payload: { kind: 'weekly', step: 'open' }, jobId: 'tick-weekly-open-202611300102' },
      { name: 'cycle.tick', payload: { kind: 'weekly', step: 'remind' }, jobId: 'tick-weekly-remind-202611300102' },
      { name: 'cycle.tick', payload: { kind: 'weekly', step: 'final-remind' }, jobId: 'tick-weekly-final-remind-202611300102' },
      { name: 'cycle.tick', payload: { kind: 'weekly', step: 'close' }, jobId: 'tick-weekly-close-202611300102' },
      { name: 'cycle.tick', payload: { kind: 'monthly', step: 'open' }, jobId: 'tick-monthly-open-202611300102' },
      { name: 'cycle.tick', payload: { kind: 'monthly', step: 'remind' }, jobId: 'tick-monthly-remind-202611300102' },
      { name: 'cycle.tick', payload: { kind: 'monthly', step: 'final-remind' }, jobId: 'tick-monthly-final-remind-202611300102' },
      { name: 'cycle.tick', payload: { kind: 'monthly', step: 'close' }, jobId: 'tick-monthly-close-202611300102' },
      { name: 'maintenance.prune', payload: {}, jobId: 'prune-2026-11-30' },
      { name: 'escalation.refresh', payload: {}, jobId: 'esc-refresh-2026-11-30' },
    ]);
  });

  it('gives the daily jobs one id for every tick of a UTC day and a new one the next day', () => {
    const daily = (iso: string) => jobsAt(iso).filter((j) => j.name !== 'cycle.tick').map((j) => j.jobId);
    expect(daily('2026-11-30T00:00:00Z')).toEqual(daily('2026-11-30T23:59:00Z'));
    expect(daily('2026-12-01T00:00:00Z')).toEqual(['prune-2026-12-01', 'esc-refresh-2026-12-01']);
  });

  it('refuses a step name registered twice', () => {
    const step = { name: 'people.sync', jobs: () => [scheduledJob('people.sync', {}, 'sync')] };
    expect(() => composeScheduleSteps([[step], [step]])).toThrow('schedule step people.sync is registered twice');
    expect(() => composeScheduleSteps([...SCHEDULE_STEPS, SCHEDULE_STEPS[0]])).toThrow('schedule step cycle.weekly.open is registered twice');
  });

  it('stops the scheduler at start, before it takes any lock, when two steps share a name', async () => {
    // Only the logger is touched before the steps are checked.
    const ctx = { logger: pino({ level: 'silent' }) } as unknown as AppContext;
    const step = { name: 'x', jobs: () => [] };
    await expect(startScheduler(ctx, { steps: [[step, step]] })).rejects.toThrow('schedule step x is registered twice');
  });
});
