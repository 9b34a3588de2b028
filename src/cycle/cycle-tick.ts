// What a cron tick does: look at the clock and the cycles, and enqueue the step that is due.
// Ticks come every minute, so a time moved by a holiday (Thursday 09:00 instead of Monday) is
// caught within a minute; the decision is state-based, so a tick missed during a restart or a
// leader change is made up by the next one. The decisions are pure functions of (now, rows).
import type { CycleKind } from '../db/schema.js';
import type { JobName, JobPayload } from '../platform/jobs/catalogue.js';
import { jobCatalogue } from '../platform/jobs/catalogue.js';
import { claimMarker, prefixedKey, releaseMarker } from '../platform/redis-state.js';
import { cycleTimes, type CycleTimes } from '../domain/cycle-schedule.js';
import { periodKeyFor, periodLabel, previousPeriodKey } from '../domain/period.js';
import { loadWorkCalendar } from './calendar.repository.js';
import { cycleSettings } from './cycle-config.js';
import type { CycleRow } from './cycle.repository.js';
import { openCycles } from './cycle.repository.js';
import { promptNewlyMatchedOwners, promptUnpromptedOwners, type CycleDeps } from './cycle.service.js';
import { scheduleMissedSendFailureNotices } from './send-failure-report.js';
import { kindLabel } from '../cards/format.js';
import { jobIds, type TickStep } from './job-ids.js';

/** A final reminder is the last call at the due time; after a long outage it would be noise. */
export const FINAL_REMINDER_GRACE_MS = 24 * 3600 * 1000;

export type OpenCandidate = { periodKey: string; times: CycleTimes; exists: boolean };

/**
 * Periods to open now: open time reached, due time not yet (a cycle whose whole window passed
 * while the service was down is left to the office — `cycle open` by hand), not open already,
 * and not a period that lies entirely in days off (e.g. 2026-W08, the Spring Festival week:
 * nobody worked, and its times would coincide with the next week's cycle).
 */
export function periodsToOpen(now: Date, candidates: OpenCandidate[]): string[] {
  return candidates.filter((c) => !c.times.allDaysOff && dueToOpen(now, c)).map((c) => c.periodKey);
}

/** Periods that would open now but lie entirely in days off: skipped, and the admins told. */
export function periodsSkippedAsDaysOff(now: Date, candidates: OpenCandidate[]): string[] {
  return candidates.filter((c) => c.times.allDaysOff && dueToOpen(now, c)).map((c) => c.periodKey);
}

function dueToOpen(now: Date, c: OpenCandidate): boolean {
  const t = now.getTime();
  return !c.exists && c.times.openAt.getTime() <= t && t < c.times.dueAt.getTime();
}

/**
 * Open cycles whose reminder time has come. A cycle opened after its reminder time (a late or
 * manual open) gets no separate reminder: the owners have just had their prompt.
 */
export function cyclesToRemind(now: Date, cycles: CycleRow[]): CycleRow[] {
  const t = now.getTime();
  return cycles.filter(
    (c) => c.state === 'open' && c.reminded_at === null && c.remind_at.getTime() <= t && t < c.due_at.getTime() && c.opened_at.getTime() < c.remind_at.getTime(),
  );
}

/** Cycles at their due time: the last call goes out whether or not the close ran first. */
export function cyclesToFinalRemind(now: Date, cycles: CycleRow[]): CycleRow[] {
  const t = now.getTime();
  return cycles.filter(
    (c) =>
      c.final_reminded_at === null &&
      c.due_at.getTime() <= t &&
      t - c.due_at.getTime() < FINAL_REMINDER_GRACE_MS &&
      c.opened_at.getTime() < c.due_at.getTime(),
  );
}

export function cyclesToClose(now: Date, cycles: CycleRow[]): CycleRow[] {
  return cycles.filter((c) => c.state === 'open' && c.due_at.getTime() <= now.getTime());
}

/** Runs one tick step for one kind; returns the ids of the jobs it enqueued. */
export async function runTick(deps: CycleDeps, kind: CycleKind, step: TickStep): Promise<string[]> {
  const now = deps.now();
  const enqueued: string[] = [];
  if (step === 'open') {
    const settings = cycleSettings(deps.config);
    const calendar = await loadWorkCalendar(deps.db);
    // The current period, and the previous one: a holiday can push a period's opening into the
    // next period (2026-W08 would open on Tuesday 2026-02-24, in W09).
    const current = periodKeyFor(kind, now, settings.tz);
    const keys = [previousPeriodKey(kind, current), current];
    const existing = await deps.db.selectFrom('cycles').select('period_key').where('kind', '=', kind).where('period_key', 'in', keys).execute();
    const candidates = keys.map((periodKey) => ({
      periodKey,
      times: cycleTimes(kind, periodKey, settings.schedule, calendar, settings.tz),
      exists: existing.some((e) => e.period_key === periodKey),
    }));
    for (const periodKey of periodsToOpen(now, candidates)) {
      enqueued.push(await enqueueStep(deps, 'cycle.open', { kind, periodKey }, jobIds.open(kind, periodKey)));
    }
    for (const periodKey of periodsSkippedAsDaysOff(now, candidates)) {
      const notice = await reportSkippedPeriod(deps, kind, periodKey);
      if (notice) enqueued.push(notice);
    }
    // An open whose prompts were never enqueued (it failed after committing the cycle), then
    // owners matched since the open.
    enqueued.push(...(await promptUnpromptedOwners(deps, kind)));
    await promptNewlyMatchedOwners(deps, kind);
    await scheduleMissedSendFailureNotices(deps);
  } else if (step === 'remind' || step === 'close') {
    const open = await openCycles(deps.db, kind);
    const due = step === 'remind' ? cyclesToRemind(now, open) : cyclesToClose(now, open);
    for (const c of due) {
      enqueued.push(
        step === 'remind'
          ? await enqueueStep(deps, 'cycle.remind', { cycleId: c.id, final: false }, jobIds.remind(c.id, false))
          : await enqueueStep(deps, 'cycle.close', { cycleId: c.id }, jobIds.close(c.id)),
      );
    }
  } else {
    const recent = await deps.db
      .selectFrom('cycles')
      .selectAll()
      .where('kind', '=', kind)
      .where('final_reminded_at', 'is', null)
      .where('due_at', '<=', now)
      .where('due_at', '>', new Date(now.getTime() - FINAL_REMINDER_GRACE_MS))
      .execute();
    for (const c of cyclesToFinalRemind(now, recent)) {
      enqueued.push(await enqueueStep(deps, 'cycle.remind', { cycleId: c.id, final: true }, jobIds.remind(c.id, true)));
    }
  }
  if (enqueued.length > 0) deps.logger.info({ kind, step, enqueued }, 'tick enqueued cycle steps');
  return enqueued;
}

// Longer than any period stays a candidate (the current one and the one before).
const SKIP_NOTICE_TTL_SECONDS = 100 * 24 * 3600;

/**
 * A period lying entirely in days off is not opened (see periodsToOpen), but not silently: a
 * warning in the log and a notice to the admins, once per period (the Redis marker keeps the
 * minute-by-minute ticks quiet; the job id and sendOnce keep the notice single anyway).
 * Returns the notice's job id when it was raised by this call.
 */
async function reportSkippedPeriod(deps: CycleDeps, kind: CycleKind, periodKey: string): Promise<string | undefined> {
  const marker = prefixedKey(deps.config.QUEUE_PREFIX, 'cycle', 'skipped', kind, periodKey);
  if (!(await claimMarker(deps.redis, marker, SKIP_NOTICE_TTL_SECONDS))) return undefined;
  deps.logger.warn({ kind, periodKey }, 'period lies entirely in days off; not opened (open it by hand if it is needed)');
  const key = `days-off-${kind}-${periodKey}`;
  const text =
    `【调度期次未开启】${kindLabel(kind)}${periodLabel(kind, periodKey)}全部为法定节假日或休息日，系统未自动开启该期调度，不会向项目负责人发送填报卡片。` +
    `如确需该期填报，可手动开启：cycle open --kind ${kind} --period ${periodKey}`;
  const jobId = jobIds.adminNotify(key);
  try {
    await deps.queues.enqueue('admin.notify', { key, text }, { jobId });
  } catch (e) {
    // Not raised after all: let the next tick try again.
    await releaseMarker(deps.redis, marker);
    throw e;
  }
  return jobId;
}

/**
 * Enqueues a step under its deterministic id. A step that used up its attempts stays 'failed'
 * under that id (kept 14 days), which would make every later enqueue a no-op and the step never
 * happen; since the tick only asks for steps the database says are still due, it retries it.
 */
async function enqueueStep<N extends JobName>(deps: CycleDeps, name: N, payload: JobPayload<N>, jobId: string): Promise<string> {
  await deps.queues.enqueue(name, payload, { jobId });
  const job = await deps.queues.queue(jobCatalogue[name].queue).getJob(jobId);
  if (job && (await job.isFailed())) {
    deps.logger.warn({ jobId, attempts: job.attemptsMade, reason: job.failedReason }, 'cycle step had failed; retrying it');
    await job.retry('failed');
  }
  return jobId;
}
