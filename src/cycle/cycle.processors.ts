// The processors of the cycle's jobs: thin adapters from a job payload to the service function
// the CLI calls too.
import type { AppContext } from '../platform/app-context.js';
import type { Processor } from '../platform/jobs/queue-registry.js';
import { notifyAdmins } from './admin-notify.js';
import { runTick } from './cycle-tick.js';
import { closeCycle, openCycle, remindCycle } from './cycle.service.js';
import { sendOwnerPrompts, sendOwnerReminder } from './prompt.service.js';

export type CycleJobName = 'cycle.tick' | 'cycle.open' | 'cycle.remind' | 'cycle.close' | 'prompt.send' | 'reminder.send' | 'admin.notify';
export type CycleProcessors = { [N in CycleJobName]: Processor<N> };

export function cycleProcessors(ctx: AppContext): CycleProcessors {
  return {
    'cycle.tick': (p) => runTick(ctx, p.kind, p.step),
    'cycle.open': async (p) => {
      const r = await openCycle(ctx, p.kind, p.periodKey);
      return { cycleId: r.cycle.id, created: r.created, owners: r.owners, unmatchedOwners: r.unmatchedOwners };
    },
    'cycle.remind': (p) => remindCycle(ctx, p.cycleId, p.final),
    'cycle.close': (p) => closeCycle(ctx, p.cycleId),
    'prompt.send': (p) => sendOwnerPrompts(ctx, p.cycleId, p.ownerId),
    'reminder.send': (p) => sendOwnerReminder(ctx, p.cycleId, p.ownerId, p.final),
    'admin.notify': (p) => notifyAdmins(ctx, p.key, p.text),
  };
}
