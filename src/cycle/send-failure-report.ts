// Tells the admins when an owner's prompt or reminder is given up: refused for good by Feishu, or
// still failing when the job's last attempt is spent. Before this, such a card simply stayed
// unsent and nobody knew. The notice names the owner, the reason and the way out (`cycle resend`).
import type { Job } from 'bullmq';
import type { AppContext } from '../platform/app-context.js';
import { isAppError } from '../errors.js';
import { periodLabel } from '../domain/period.js';
import { findCycle } from './cycle.repository.js';
import { kindLabel } from '../cards/format.js';
import { jobIds } from './job-ids.js';

/** True when this run of the job is its last: a permanent error, or no attempt left. */
export function isFinalAttempt(e: unknown, job: Pick<Job, 'attemptsMade' | 'opts'> | undefined): boolean {
  if (isAppError(e) && !e.retryable) return true;
  if (!job) return true;
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

export async function reportGivenUpSend(
  ctx: Pick<AppContext, 'db' | 'queues' | 'logger'>,
  what: 'prompt' | 'reminder',
  cycleId: number,
  ownerId: number,
  error: unknown,
): Promise<void> {
  const [cycle, owner, attempts] = await Promise.all([
    findCycle(ctx.db, cycleId),
    ctx.db.selectFrom('people').select(['name']).where('id', '=', ownerId).executeTakeFirst(),
    ctx.db
      .selectFrom('outbound_messages')
      .select((eb) => eb.fn.sum<string>('attempts').as('n'))
      .where('cycle_id', '=', cycleId)
      .where('person_id', '=', ownerId)
      .executeTakeFirst(),
  ]);
  const reason = (error instanceof Error ? error.message : String(error)).slice(0, 200);
  ctx.logger.error({ code: 'SEND_GIVEN_UP', what, cycleId, ownerId, err: reason }, `${what} to an owner given up; admins notified`);
  if (!cycle) return;
  const label = `${kindLabel(cycle.kind)}${periodLabel(cycle.kind, cycle.period_key)}`;
  const whatText = what === 'prompt' ? '填报通知' : '催报提醒';
  const text =
    `【${whatText}发送失败】${label}：负责人${owner?.name ?? `#${ownerId}`}的${whatText}未能发出，系统已停止自动重试。` +
    `原因：${reason}。请排除原因（如该负责人已离职或不在应用可用范围内）后运行 npm run cli -- cycle resend --kind ${cycle.kind} 重发；` +
    `cycle status 列出所有发送失败的负责人。`;
  // Keyed by the attempts made so far: the same give-up raised twice notifies once, a later one
  // (after a resend failed again) notifies again.
  const key = `send-given-up-${what}-${cycleId}-${ownerId}-${attempts?.n ?? 0}`;
  await ctx.queues.enqueue('admin.notify', { key, text }, { jobId: jobIds.adminNotify(key) });
}
