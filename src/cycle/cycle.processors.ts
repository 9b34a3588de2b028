// The processors of the cycle's jobs: thin adapters from a job payload to the service function
// the CLI calls too.
import type { AppContext } from '../platform/app-context.js';
import type { Processor } from '../platform/jobs/queue-registry.js';
import { notifyAdmins } from './admin-notify.js';
import { runTick } from './cycle-tick.js';
import { closeCycle, openCycle, remindCycle } from './cycle.service.js';
import { sendOwnerPrompts, sendOwnerReminder, sendPromptsOfOwners } from './prompt.service.js';
import { jobIds } from './job-ids.js';
import { isAppError } from '../errors.js';
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

export type CycleJobName = 'cycle.tick' | 'cycle.open' | 'cycle.remind' | 'cycle.close' | 'prompt.send' | 'prompt.batch' | 'reminder.send' | 'admin.notify' | 'cycle.send-failures';
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
    'prompt.batch': (p) => sendBatchPrompts(ctx, p.cycleId, p.ownerIds),
    'reminder.send': (p, job) => reportingGiveUp(ctx, p.final ? 'final-reminder' : 'reminder', p.cycleId, p.ownerId, job, () => sendOwnerReminder(ctx, p.cycleId, p.ownerId, p.final)),
    'admin.notify': (p) => notifyAdmins(ctx, p.key, p.text),
    'cycle.send-failures': (p) => notifySendFailures(ctx, p.cycleId),
  };
}

export type BatchResult = { sent: number; alreadySent: number; handedOver: number[]; givenUp: number[] };

/**
 * The open's prompts for several owners ('prompt.batch'), each owner's cards as its own
 * 'prompt.send' job would send them (sendPromptsOfOwners). One owner's failure touches no other:
 * an owner refused for good is recorded as given up (as that job's last attempt would), one that
 * failed for a passing reason is handed to its own job (jobIds.prompt), which retries it with the
 * usual backoff and records it if it gives up. The batch itself then succeeds; run again (a worker
 * died mid-batch), it skips what the outbound log holds as sent, as any retried prompt does.
 */
export async function sendBatchPrompts(ctx: AppContext, cycleId: number, ownerIds: number[]): Promise<BatchResult> {
  const result: BatchResult = { sent: 0, alreadySent: 0, handedOver: [], givenUp: [] };
  for (const [ownerId, outcome] of await sendPromptsOfOwners(ctx, cycleId, ownerIds)) {
    if ('result' in outcome) {
      result.sent += outcome.result.sent;
      result.alreadySent += outcome.result.alreadySent;
    } else if (isAppError(outcome.error) && !outcome.error.retryable) {
      result.givenUp.push(ownerId);
      await reportGivenUpSend(ctx, 'prompt', cycleId, ownerId, outcome.error).catch((err: unknown) =>
        ctx.logger.error({ cycleId, ownerId, err: (err as Error).message }, 'could not report a given-up send to the admins'),
      );
    } else {
      result.handedOver.push(ownerId);
    }
  }
  if (result.handedOver.length > 0) {
    ctx.logger.warn({ cycleId, owners: result.handedOver }, 'prompts not all sent; each owner handed to a job of its own to retry');
    await ctx.queues.enqueueBulk('prompt.send', result.handedOver.map((ownerId) => ({ payload: { cycleId, ownerId }, jobId: jobIds.prompt(cycleId, ownerId) })));
  }
  return result;
}

/**
 * A prompt or reminder job BullMQ failed without running it, its worker having stalled more
 * often than allowed (queue-registry.ts MAX_STALLED_COUNT): no processor ran to tell anyone, so
 * the queue registry hands it here. Recorded and listed to the admins like any other give-up.
 */
export async function reportStalledOut(ctx: AppContext, name: JobName, data: unknown, reason: string): Promise<void> {
  if (name === 'prompt.batch') {
    // Each owner as its own job's stall-out would be; the recovery tick prompts them later.
    const p = data as { cycleId: number; ownerIds: number[] };
    for (const ownerId of p.ownerIds) await reportGivenUpSend(ctx, 'prompt', p.cycleId, ownerId, new Error(reason));
    return;
  }
  if (name !== 'prompt.send' && name !== 'reminder.send') return;
  const p = data as { cycleId: number; ownerId: number; final?: boolean };
  const kind: UndeliveredKind = name === 'prompt.send' ? 'prompt' : p.final ? 'final-reminder' : 'reminder';
  await reportGivenUpSend(ctx, kind, p.cycleId, p.ownerId, new Error(reason));
}
