// What a feature hands the scheduler: named steps, each a pure function from the tick's clock to
// the jobs to enqueue. The scheduler (src/app/scheduler.ts) only leads and ticks; when a step's
// work is due is decided by the feature, either here (a daily job id) or by the job it enqueues.
import type { JobName, JobPayload } from './catalogue.js';

/** One job a tick enqueues. The id makes repeats idempotent: every tick of a minute (or day) maps to one job. */
export type ScheduledJob = { [N in JobName]: { name: N; payload: JobPayload<N>; jobId: string } }[JobName];

export type ScheduleStep = {
  /** Unique across the application; two steps of one name are refused at start. */
  name: string;
  jobs(now: Date): ScheduledJob[];
};

/** Typed constructor for one scheduled job (keeps name and payload in step). */
export function scheduledJob<N extends JobName>(name: N, payload: JobPayload<N>, jobId: string): ScheduledJob {
  return { name, payload, jobId } as ScheduledJob;
}

/** The UTC date of `now`: a job id ending in it is enqueued once a day, whatever the ticks. */
export const dailyJobId = (prefix: string, now: Date): string => `${prefix}-${now.toISOString().slice(0, 10)}`;

/** Concatenates the features' steps in order; throws naming the step if two share a name. */
export function composeScheduleSteps(groups: readonly (readonly ScheduleStep[])[]): ScheduleStep[] {
  const seen = new Set<string>();
  const steps = groups.flat();
  for (const step of steps) {
    if (seen.has(step.name)) throw new Error(`schedule step ${step.name} is registered twice`);
    seen.add(step.name);
  }
  return steps;
}
