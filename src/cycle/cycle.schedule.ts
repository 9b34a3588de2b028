// The cycle's scheduled steps: every tick enqueues one 'cycle.tick' per kind and step; the tick
// processor decides from the clock whether that step is due (cycle-tick.ts).
import type { CycleKind } from '../db/schema.js';
import { scheduledJob, type ScheduleStep } from '../platform/jobs/schedule-steps.js';
import { jobIds, type TickStep } from './job-ids.js';

const KINDS: CycleKind[] = ['weekly', 'monthly'];
const STEPS: TickStep[] = ['open', 'remind', 'final-remind', 'close'];

export const cycleScheduleSteps: ScheduleStep[] = KINDS.flatMap((kind) =>
  STEPS.map((step) => ({
    name: `cycle.${kind}.${step}`,
    jobs: (now: Date) => [scheduledJob('cycle.tick', { kind, step }, jobIds.tick(kind, step, now))],
  })),
);
