// Every catalogued job's processor, gathered from the areas that own them.
import type { AppContext } from '../platform/app-context.js';
import type { Processors } from '../platform/jobs/queue-registry.js';
import { cycleProcessors } from '../cycle/cycle.processors.js';
import { submissionProcessors } from '../submission/submission.processors.js';
import { peopleProcessors } from '../registry/people.processors.js';
import { maintenanceProcessors } from '../platform/jobs/maintenance.processors.js';

export function createProcessors(ctx: AppContext): Processors {
  return { ...cycleProcessors(ctx), ...submissionProcessors(ctx), ...peopleProcessors(ctx), ...maintenanceProcessors(ctx) };
}
