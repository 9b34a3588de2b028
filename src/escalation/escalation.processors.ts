// The escalation side's job processors: thin adapters to the service functions the CLI calls too.
import type { AppContext } from '../platform/app-context.js';
import type { Processor } from '../platform/jobs/queue-registry.js';
import { escalateAtClose, notifyResolved, recheckProjects, refreshShownCards } from './escalation.service.js';
import { passDown } from './escalation-actions.js';
import { refreshAgingCards } from './escalation-refresh.js';

export type EscalationJobName = 'escalation.close' | 'escalation.recheck' | 'escalation.resolved' | 'escalation.passdown' | 'escalation.cards' | 'escalation.refresh';
export type EscalationProcessors = { [N in EscalationJobName]: Processor<N> };

export function escalationProcessors(ctx: AppContext): EscalationProcessors {
  return {
    'escalation.close': async (p) => {
      await escalateAtClose(ctx, p.cycleId);
      // The league table reads the lights stored just now and lists the open escalations, so it is posted after.
      await ctx.queues.enqueue('league.post', { cycleId: p.cycleId }, { jobId: `league-post-${p.cycleId}` });
    },
    'escalation.recheck': (p) => recheckProjects(ctx, [p.projectId]),
    'escalation.resolved': (p) => notifyResolved(ctx, p.escalationId),
    'escalation.passdown': (p) => passDown(ctx, p.actionId),
    'escalation.cards': (p) => refreshShownCards(ctx, p.escalationIds, p.skipMessageId),
    'escalation.refresh': () => refreshAgingCards(ctx),
  };
}
