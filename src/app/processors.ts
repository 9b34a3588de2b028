// Every catalogued job's processor, gathered from the features that own them. A feature exports
// a function returning its processors; register it in FEATURE_PROCESSORS. Two features claiming
// one job is refused here, a job nobody claims by QueueRegistry.startWorkers — both at start-up.
import type { AppContext } from '../platform/app-context.js';
import type { JobName } from '../platform/jobs/catalogue.js';
import type { Processors, StalledOutHandler } from '../platform/jobs/queue-registry.js';
import { maintenanceProcessors } from '../platform/jobs/maintenance.processors.js';
import { peopleProcessors } from '../registry/people.processors.js';
import { cycleProcessors, reportStalledOut } from '../cycle/cycle.processors.js';
import { problemProcessors } from '../problems/problem.processors.js';
import { submissionProcessors } from '../submission/submission.processors.js';
import { chatProcessors } from '../chat/chat.processors.js';
import { leagueProcessors } from '../league/league.processors.js';
import { escalationProcessors } from '../escalation/escalation.processors.js';

type ProcessorGroup = (ctx: AppContext) => Partial<Processors>;

/** Owner name (for the error message) → the feature's processors. */
const FEATURE_PROCESSORS: Record<string, ProcessorGroup> = {
  maintenance: maintenanceProcessors,
  registry: peopleProcessors,
  cycle: cycleProcessors,
  problems: problemProcessors,
  submission: submissionProcessors,
  league: leagueProcessors,
  escalation: escalationProcessors,
  chat: chatProcessors,
};

/** Merges groups into one map; throws naming both owners if a job is claimed twice. */
export function composeProcessors(ctx: AppContext, groups: Record<string, ProcessorGroup>): Partial<Processors> {
  const merged: Partial<Record<JobName, unknown>> = {};
  const owner = new Map<JobName, string>();
  for (const [name, group] of Object.entries(groups)) {
    for (const [job, processor] of Object.entries(group(ctx)) as [JobName, unknown][]) {
      const first = owner.get(job);
      if (first !== undefined) throw new Error(`job ${job} has two processors: ${first} and ${name}`);
      owner.set(job, name);
      merged[job] = processor;
    }
  }
  return merged as Partial<Processors>;
}

export function createProcessors(ctx: AppContext): Partial<Processors> {
  return composeProcessors(ctx, FEATURE_PROCESSORS);
}

/** What is done about a job failed after stalling too often: the cycle's sends are reported. */
export function createStalledOutHandler(ctx: AppContext): StalledOutHandler {
  return (name, data, reason) => reportStalledOut(ctx, name, data, reason);
}

/** Starts the workers with every processor and the stalled-out handler. */
export function startAppWorkers(ctx: AppContext): void {
  ctx.queues.startWorkers(createProcessors(ctx), { onStalledOut: createStalledOutHandler(ctx) });
}
