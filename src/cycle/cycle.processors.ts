// The processors of the cycle's jobs: thin adapters from a job payload to the service function
// the CLI calls too.
import type { AppContext } from '../platform/app-context.js';
import type { Processor } from '../platform/jobs/queue-registry.js';
import { notifyAdmins } from './admin-notify.js';
import { runTick } from './cycle-tick.js';
import { closeCycle, openCycle, remindCycle } from './cycle.service.js';
import { sendOwnerPrompts, sendOwnerReminder } from './prompt.service.js';
import { isFinalAttempt, notifySendFailures, reportGivenUpSend, type UndeliveredKind } from './send-failure-report.js';
import type { Job } from 'bullmq';
import type { JobName } from '../platform/jobs/catalogue.js';

/** Runs an owner's send; when it fails for the last time, the admins are told before it fails. */
async function reportingGiveUp<T>(ctx: AppContext, what: UndeliveredKind, cycleId: number, ownerId: number, job: Job, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (e) {
    if (isFinalAttempt(e, job)) {
      await reportGivenUpSend(ctx, what, cycleId, ownerId, e).catch((err: unknown) =>
        ctx.logger.error({ cycleId, ownerId, err: (err as Error).message }, 'could not report a given-up send to the admins'),
      );
    }
    throw e;
  }
}

export type CycleJobName = 'cycle.tick' | 'cycle.open' | 'cycle.remind' | 'cycle.close' | 'prompt.send' | 'reminder.send' | 'admin.notify' | 'cycle.send-failures';
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
    'prompt.send': (p, job) => reportingGiveUp(ctx, 'prompt', p.cycleId, p.ownerId, job, () => sendOwnerPrompts(ctx, p.cycleId, p.ownerId)),
    'reminder.send': (p, job) => reportingGiveUp(ctx, p.final ? 'final-reminder' : 'reminder', p.cycleId, p.ownerId, job, () => sendOwnerReminder(ctx, p.cycleId, p.ownerId, p.final)),
    'admin.notify': (p) => notifyAdmins(ctx, p.key, p.text),
    'cycle.send-failures': (p) => notifySendFailures(ctx, p.cycleId),
  };
}

/**
 * A prompt or reminder job BullMQ failed without running it, its worker having stalled more
 * often than allowed (queue-registry.ts MAX_STALLED_COUNT): no processor ran to tell anyone, so
 * the queue registry hands it here. Recorded and listed to the admins like any other give-up.
 */
export async function reportStalledOut(ctx: AppContext, name: JobName, data: unknown, reason: string): Promise<void> {
  if (name !== 'prompt.send' && name !== 'reminder.send') return;
  const p = data as { cycleId: number; ownerId: number; final?: boolean };
  const kind: UndeliveredKind = name === 'prompt.send' ? 'prompt' : p.final ? 'final-reminder' : 'reminder';
  await reportGivenUpSend(ctx, kind, p.cycleId, p.ownerId, new Error(reason));
}
