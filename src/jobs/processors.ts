// Every catalogued job's processor, gathered from the areas that own them.
import type { AppContext } from '../app-context.js';
import type { Processors } from './queue-registry.js';
import { cycleProcessors } from '../cycle/cycle.processors.js';
import { submissionProcessors } from '../submission/submission.processors.js';
import { peopleProcessors } from '../registry/people.processors.js';
import { maintenanceProcessors } from './maintenance.processors.js';
import { leagueProcessors } from '../league/league.processors.js';
import { escalationProcessors } from '../escalation/escalation.processors.js';

export function createProcessors(ctx: AppContext): Processors {
  return { ...cycleProcessors(ctx), ...submissionProcessors(ctx), ...peopleProcessors(ctx), ...maintenanceProcessors(ctx), ...escalationProcessors(ctx), ...leagueProcessors(ctx) };
}
