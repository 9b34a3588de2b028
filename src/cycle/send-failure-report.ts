// Tells the admins when owners' prompts or reminders are given up: refused for good by Feishu,
// still failing when the job's last attempt is spent, or failed by BullMQ without running after
// its worker stalled too often. Each give-up is recorded (delivery_failures, which `cycle status`
// lists) and the admins get one notice per cycle listing the owners given up in a short window,
// not a message per failure: a fan-out refused for many receivers would otherwise bury them.
import { sql } from 'kysely';
import type { Job } from 'bullmq';
import type { AppContext } from '../platform/app-context.js';
import { isAppError } from '../errors.js';
import { periodLabel } from '../domain/period.js';
import { findCycle } from './cycle.repository.js';
import { kindLabel } from '../cards/format.js';
import { notifyAdmins } from './admin-notify.js';
import { PERMANENT_FAILURE_MARK } from '../platform/feishu/outbound.js';

export type UndeliveredKind = 'prompt' | 'reminder' | 'final-reminder';

/** What each kind is called to the office. */
export const UNDELIVERED_LABEL: Record<UndeliveredKind, string> = { prompt: '填报通知', reminder: '催报提醒', 'final-reminder': '截止提醒' };

/**
 * How long the notice waits for more give-ups of the same cycle: a fan-out's refusals arrive
 * within seconds of each other and go out as one list.
 */
export const SEND_FAILURE_NOTICE_DELAY_MS = 5_000;

/** BullMQ's reason for a job failed without running because its worker stalled too often. */
export const STALLED_OUT_REASON = 'job stalled more than allowable limit';

/** True when this run of the job is its last: a permanent error, or no attempt left. */
export function isFinalAttempt(e: unknown, job: Pick<Job, 'attemptsMade' | 'opts'> | undefined): boolean {
  if (isAppError(e) && !e.retryable) return true;
  if (!job) return true;
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** Why, in the office's words where the cause is known. */
function reasonText(error: unknown, kind: UndeliveredKind): string {
  const raw = (error instanceof Error ? error.message : String(error)).slice(0, 200);
  if (raw.includes(STALLED_OUT_REASON)) {
    // The recovery tick re-prompts owners never prompted; nothing re-sends a reminder by itself.
    return `发送任务多次中断（进程重启或崩溃）后被队列放弃；${kind === 'prompt' ? '恢复任务会在稍后自动重发填报通知' : '可运行 cycle resend 重发'}`;
  }
  return raw.startsWith(PERMANENT_FAILURE_MARK) ? raw.slice(PERMANENT_FAILURE_MARK.length) : raw;
}

/** Records a give-up and schedules the cycle's notice (one job per cycle while it waits). */
export async function reportGivenUpSend(
  ctx: Pick<AppContext, 'db' | 'queues' | 'logger'>,
  kind: UndeliveredKind,
  cycleId: number,
  ownerId: number,
  error: unknown,
): Promise<void> {
  const reason = reasonText(error, kind);
  ctx.logger.error({ code: 'SEND_GIVEN_UP', what: kind, cycleId, ownerId, err: reason }, `${kind} to an owner given up; admins to be notified`);
  // The wall clock, as the outbound log's: it orders give-ups, whatever clock the service runs on.
  const at = new Date();
  await ctx.db
    .insertInto('delivery_failures')
    .values({ cycle_id: cycleId, person_id: ownerId, kind, reason, failed_at: at, notified_at: null })
    .onConflict((oc) => oc.columns(['cycle_id', 'person_id', 'kind']).doUpdateSet({ reason, failed_at: at, notified_at: null }))
    .execute();
  await scheduleNotice(ctx, cycleId, `send-failures-${cycleId}`);
}

/**
 * A job id per cycle while the notice waits: give-ups meanwhile join it. The job is removed once
 * done, so a later give-up schedules a new one.
 */
async function scheduleNotice(ctx: Pick<AppContext, 'queues'>, cycleId: number, jobId: string): Promise<void> {
  await ctx.queues.enqueue('cycle.send-failures', { cycleId }, { jobId, delay: SEND_FAILURE_NOTICE_DELAY_MS, removeOnComplete: true, removeOnFail: true });
}

/**
 * Give-ups the admins were not told of well after their notice should have gone: one recorded just
 * as the previous notice finished joins that finishing job and is not listed by it. The scheduler's
 * tick calls this, so such a give-up waits a minute, not until the next one.
 */
export async function scheduleMissedSendFailureNotices(ctx: Pick<AppContext, 'db' | 'queues'>): Promise<number> {
  // The wall clock, as failed_at's.
  const before = new Date(Date.now() - 2 * SEND_FAILURE_NOTICE_DELAY_MS);
  const rows = await ctx.db
    .selectFrom('delivery_failures')
    .select(['cycle_id', sql<Date>`max(failed_at)`.as('newest')])
    .where('notified_at', 'is', null)
    .where('failed_at', '<', before)
    .groupBy('cycle_id')
    .execute();
  for (const r of rows) await scheduleNotice(ctx, r.cycle_id, `send-failures-${r.cycle_id}-missed-${new Date(r.newest).getTime()}`);
  return rows.length;
}

/** The notice: every give-up of the cycle the admins were not told of yet, as one list. */
export async function notifySendFailures(ctx: Pick<AppContext, 'db' | 'lark' | 'logger' | 'queues'>, cycleId: number): Promise<{ listed: number }> {
  const cycle = await findCycle(ctx.db, cycleId);
  if (!cycle) return { listed: 0 };
  const rows = await ctx.db
    .selectFrom('delivery_failures as f')
    .innerJoin('people as p', 'p.id', 'f.person_id')
    .select(['f.person_id', 'f.kind', 'f.reason', 'f.failed_at', 'p.name'])
    .where('f.cycle_id', '=', cycleId)
    .where('f.notified_at', 'is', null)
    .orderBy('f.kind')
    .orderBy('p.name')
    .execute();
  if (rows.length === 0) return { listed: 0 };
  const newest = Math.max(...rows.map((r) => r.failed_at.getTime()));
  const label = `${kindLabel(cycle.kind)}${periodLabel(cycle.kind, cycle.period_key)}`;
  const lines = rows.map((r) => `· ${r.name}（${UNDELIVERED_LABEL[r.kind]}）：${r.reason}`);
  const text =
    `【发送失败】${label}：以下 ${rows.length} 名负责人的通知未能送达，系统已停止自动重试：\n${lines.join('\n')}\n` +
    `请排除原因（如该负责人已离职或不在应用可用范围内）后运行 npm run cli -- cycle resend --kind ${cycle.kind} 重发这些通知；` +
    `cycle status 列出所有未能送达的负责人及原因。`;
  // Keyed by the newest give-up listed: a retried job sends nothing twice, a later list is new.
  await notifyAdmins(ctx, `send-failures-c${cycleId}-${newest}`, text);
  await ctx.db
    .updateTable('delivery_failures')
    .set({ notified_at: sql`now()` })
    .where('cycle_id', '=', cycleId)
    .where('notified_at', 'is', null)
    .where('failed_at', '<=', new Date(newest))
    .execute();
  // Give-ups recorded while this ran would otherwise wait for the next one.
  const left = await ctx.db.selectFrom('delivery_failures').select('person_id').where('cycle_id', '=', cycleId).where('notified_at', 'is', null).limit(1).executeTakeFirst();
  if (left) await scheduleNotice(ctx, cycleId, `send-failures-${cycleId}-after-${newest}`);
  return { listed: rows.length };
}
