// The cycle's steps — open, remind, close — as service functions. The job processors and the CLI
// call these same functions, so a step run by hand behaves exactly like the scheduled one.
// Each step changes the database idempotently and fans the per-owner work out as jobs with
// deterministic ids.
import type { AppContext } from '../platform/app-context.js';
import type { CycleKind } from '../db/schema.js';
import { cycleTimes } from '../domain/cycle-schedule.js';
import { parsePeriodKey, periodLabel, periodYear } from '../domain/period.js';
import { AppError } from '../errors.js';
import { loadWorkCalendar } from './calendar.repository.js';
import { cycleSettings } from './cycle-config.js';
import {
  closeCycleRow,
  createCycleWithCoverage,
  findCycle,
  markReminded,
  openCycles,
  ownersOfCycle,
  rescheduleCycle,
  type CycleRow,
} from './cycle.repository.js';
import { kindLabel } from '../cards/format.js';
import { cycleStatus } from './cycle-status.js';
import { jobCatalogue } from '../platform/jobs/catalogue.js';
import { jobIds, promptBatchOwners, promptBucket } from './job-ids.js';
import { groupBy } from '../domain/group-by.js';
import { unmatchedOwnersKey } from './prompt.service.js';
import { PERMANENT_FAILURE_MARK } from '../platform/feishu/outbound.js';
import { removeFromSet, setIds } from '../platform/redis-state.js';

export type CycleDeps = Pick<AppContext, 'db' | 'redis' | 'config' | 'logger' | 'queues' | 'now' | 'lark'>;

export type OpenResult = {
  cycle: CycleRow;
  created: boolean;
  projects: number;
  owners: number;
  /** Owners without an open_id: their prompt waits until they are matched. */
  unmatchedOwners: number;
  /** Covered projects without an owner in the registry: nobody can be prompted for them. */
  ownerlessProjects: number;
  calendarMissingYears: number[];
};

/**
 * Opens the cycle of (kind, period) — or finds it open already — and enqueues one prompt job per
 * owner. Opening twice is harmless: the cycle row is unique per (kind, period), coverage is
 * frozen in the same transaction, and the prompt jobs and messages are keyed.
 */
export async function openCycle(
  deps: CycleDeps, kind: CycleKind, periodKey: string, override: { remindAt?: Date; dueAt?: Date } = {},
): Promise<OpenResult> {
  const { times, calendar } = await plannedCycleTimes(deps, kind, periodKey);
  const year = periodYear(kind, periodKey);
  const missing = [...new Set([...times.calendarMissingYears, ...(calendar.hasDataForYear(year) ? [] : [year])])].sort((a, b) => a - b);
  if (missing.length > 0) await reportCalendarGap(deps, missing, kind, periodKey);

  const { cycle, created } = await createCycleWithCoverage(deps.db, {
    kind,
    periodKey,
    openAt: times.openAt,
    // An admin opening a period late gives it a new due time (`cycle open --due`).
    remindAt: override.remindAt ?? times.remindAt,
    dueAt: override.dueAt ?? times.dueAt,
    openedAt: deps.now(),
  });
  const owners = await ownersOfCycle(deps.db, cycle.id);
  if (cycle.state === 'open') {
    // One job per bucket of owner ids, not per owner: BullMQ's cost per job (its scripts, locks
    // and events) was a large part of a fan-out's; the owners of a bucket go out a few at a time.
    const size = promptBatchOwners(deps.lark.sendPerSecond);
    const buckets = groupBy(owners.map((o) => o.ownerId), (id) => promptBucket(id, size));
    await deps.queues.enqueueBulk(
      'prompt.batch',
      [...buckets].map(([b, ownerIds]) => ({ payload: { cycleId: cycle.id, ownerIds }, jobId: jobIds.promptBatch(cycle.id, size, b) })),
    );
  }
  // Counted after the prompts are queued: the first cards need not wait for the totals.
  const { totals } = await cycleStatus(deps.db, cycle);
  const result: OpenResult = {
    cycle,
    created,
    projects: totals.covered,
    owners: owners.length,
    unmatchedOwners: totals.unmatchedOwners,
    ownerlessProjects: totals.ownerless,
    calendarMissingYears: missing,
  };
  deps.logger.info(
    { cycleId: cycle.id, kind, periodKey, created, state: cycle.state, projects: result.projects, owners: result.owners, unmatchedOwners: result.unmatchedOwners, ownerlessProjects: result.ownerlessProjects },
    created ? 'cycle opened' : 'cycle was open already; prompts re-enqueued',
  );
  return result;
}

/** When the schedule and the work calendar put a period's open, reminder and due times. */
export async function plannedCycleTimes(deps: Pick<CycleDeps, 'db' | 'config'>, kind: CycleKind, periodKey: string) {
  parsePeriodKey(periodKey, kind);
  const settings = cycleSettings(deps.config);
  const calendar = await loadWorkCalendar(deps.db);
  return { times: cycleTimes(kind, periodKey, settings.schedule, calendar, settings.tz), calendar };
}

/**
 * A year without statutory holiday data would silently be treated as plain Monday–Friday. Say
 * so loudly — an error in the log and a notice to every admin, once per year — but open the
 * cycle anyway: blocking the city's reporting over a missing calendar would be worse.
 */
async function reportCalendarGap(deps: CycleDeps, years: number[], kind: CycleKind, periodKey: string): Promise<void> {
  for (const year of years) {
    deps.logger.error(
      { code: 'CALENDAR_MISSING', year, kind, periodKey },
      `no statutory holiday data for ${year}: cycle times assume Monday–Friday working days; update chinese-days`,
    );
    const key = `calendar-missing-${year}`;
    const text =
      `【节假日数据缺失】系统没有${year}年的法定节假日和调休安排数据，无法判断该年哪些日子放假、哪些周末调休上班。` +
      `${kindLabel(kind)}${periodLabel(kind, periodKey)}已照常开启，开启、催报、截止时间暂按周一至周五推算，遇法定节假日不会自动顺延。` +
      `请尽快更新节假日数据（升级 chinese-days 依赖）；本地放假日可用命令 calendar add-off 补充。`;
    await deps.queues.enqueue('admin.notify', { key, text }, { jobId: jobIds.adminNotify(key) });
  }
}

/** Stamps the reminder and enqueues one reminder job per owner with something still to report. */
export async function remindCycle(deps: CycleDeps, cycleId: number, final: boolean): Promise<{ owners: number; firstTime: boolean }> {
  const cycle = await requireCycle(deps, cycleId);
  const firstTime = await markReminded(deps.db, cycle.id, final, deps.now());
  const owners = await ownersOfCycle(deps.db, cycle.id, final ? ['pending', 'missed'] : ['pending']);
  await deps.queues.enqueueBulk(
    'reminder.send',
    owners.map((o) => ({ payload: { cycleId: cycle.id, ownerId: o.ownerId, final }, jobId: jobIds.reminder(cycle.id, o.ownerId, final) })),
  );
  deps.logger.info({ cycleId, final, owners: owners.length, firstTime }, final ? 'final reminders enqueued' : 'reminders enqueued');
  return { owners: owners.length, firstTime };
}

export async function closeCycle(deps: CycleDeps, cycleId: number): Promise<{ closed: boolean; missed: number }> {
  await requireCycle(deps, cycleId);
  const result = await closeCycleRow(deps.db, cycleId, deps.now());
  // Lights, the escalation ladder and then the league post (which reads the stored lights), also on a
  // repeated close (each is idempotent), so a run lost to a crash is made up.
  await deps.queues.enqueue('escalation.close', { cycleId }, { jobId: `escalate-${cycleId}` });
  deps.logger.info({ cycleId, ...result }, result.closed ? 'cycle closed' : 'cycle was closed already');
  return result;
}

async function requireCycle(deps: Pick<CycleDeps, 'db'>, cycleId: number): Promise<CycleRow> {
  const cycle = await findCycle(deps.db, cycleId);
  if (!cycle) throw new AppError('NOT_FOUND', `cycle ${cycleId} not found`, { userMessage: `找不到编号为 ${cycleId} 的调度期次` });
  return cycle;
}

/**
 * Owners skipped as unmatched at open who have an open_id now get their prompt. Run by every
 * open tick; cheap when nobody is waiting (one SMEMBERS per open cycle).
 */
export async function promptNewlyMatchedOwners(deps: CycleDeps, kind: CycleKind): Promise<number> {
  let enqueued = 0;
  for (const cycle of await openCycles(deps.db, kind)) {
    const key = unmatchedOwnersKey(deps.config.QUEUE_PREFIX, cycle.id);
    const waiting = await setIds(deps.redis, key);
    if (waiting.length === 0) continue;
    const matched = await deps.db.selectFrom('people').select('id').where('id', 'in', waiting).where('open_id', 'is not', null).execute();
    if (matched.length === 0) continue;
    await deps.queues.enqueueBulk(
      'prompt.send',
      matched.map((p) => ({ payload: { cycleId: cycle.id, ownerId: p.id }, jobId: jobIds.promptMatched(cycle.id, p.id) })),
    );
    await removeFromSet(deps.redis, key, matched.map((p) => p.id));
    enqueued += matched.length;
    deps.logger.info({ cycleId: cycle.id, owners: matched.length }, 'prompting owners matched after the cycle opened');
  }
  return enqueued;
}

/**
 * How long after its open a cycle's prompts are left to the open job: its own retries (8
 * attempts, exponential from 1 s) are over within about two minutes.
 */
export const PROMPT_RECOVERY_GRACE_MS = 5 * 60 * 1000;

/**
 * Send attempts (outbound_messages.attempts) after which recovery stops retrying a prompt that
 * keeps failing for passing reasons: about five runs of the job's own eight attempts. Past it,
 * the prompt waits for `cycle resend`, so nothing is retried for ever.
 */
export const RECOVERY_MAX_SEND_ATTEMPTS = 40;

/**
 * Owners of open cycles who were never prompted: matched (open_id), with something pending, and
 * no prompt in the outbound log (or one that failed, or was never finished). That is what is left when 'cycle.open' committed the cycle but
 * used up its attempts before its prompt jobs were enqueued (Redis down during enqueueBulk):
 * the tick sees the cycle exists and would never open it again. Run by every open tick; one
 * query, empty in the normal case (cycles younger than the grace are not looked at, so a
 * fan-out under way is left alone). Safe to repeat: the job id is the one the open uses — an
 * owner whose prompt job is still queued is skipped, one whose job failed before it sent
 * anything is retried — and sendOnce skips what was sent. Returns the job ids it added or retried.
 */
export async function promptUnpromptedOwners(deps: CycleDeps, kind: CycleKind): Promise<string[]> {
  const rows = await deps.db
    .selectFrom('cycles as c')
    .innerJoin('cycle_projects as cp', 'cp.cycle_id', 'c.id')
    .innerJoin('people as p', 'p.id', 'cp.owner_id')
    .select(['c.id as cycleId', 'p.id as ownerId'])
    .distinct()
    .where('c.kind', '=', kind)
    .where('c.state', '=', 'open')
    .where('c.opened_at', '<=', new Date(deps.now().getTime() - PROMPT_RECOVERY_GRACE_MS))
    .where('cp.status', '=', 'pending')
    .where('p.open_id', 'is not', null)
    .where((eb) =>
      eb.or([
        eb.not(
          eb.exists(
            eb
              .selectFrom('outbound_messages as m')
              .select('m.id')
              .whereRef('m.cycle_id', '=', 'c.id')
              .where('m.kind', '=', 'prompt')
              .whereRef('m.person_id', '=', 'p.id'),
          ),
        ),
        // A prompt that failed for a passing reason (5xx, 429, timeouts outlasting the job's
        // attempts) is tried again, a bounded number of times; one refused for good is not:
        // the admins were told and `cycle resend` sends it once the cause is fixed. So is one
        // left 'pending' by a worker killed mid-send whose job BullMQ then gave up (stalled
        // too often): a job still queued or running is left alone below.
        eb.exists(
          eb
            .selectFrom('outbound_messages as m')
            .select('m.id')
            .whereRef('m.cycle_id', '=', 'c.id')
            .where('m.kind', '=', 'prompt')
            .whereRef('m.person_id', '=', 'p.id')
            .where('m.state', '!=', 'sent')
            .where('m.attempts', '<', RECOVERY_MAX_SEND_ATTEMPTS)
            .where((w) => w.or([w('m.last_error', 'is', null), w('m.last_error', 'not like', `${PERMANENT_FAILURE_MARK}%`)])),
        ),
      ]),
    )
    .orderBy('c.id')
    .orderBy('p.id')
    .execute();
  if (rows.length === 0) return [];

  const queue = deps.queues.queue(jobCatalogue['prompt.send'].queue);
  const unmatched = new Map<number, Set<number>>();
  const added: { payload: { cycleId: number; ownerId: number }; jobId: string }[] = [];
  const retried: string[] = [];
  const batchSize = promptBatchOwners(deps.lark.sendPerSecond);
  // Owners of one bucket share the open's job: asked about once per tick, not once per owner.
  const batchPending = new Map<string, boolean>();
  for (const { cycleId, ownerId } of rows) {
    // Owners skipped as unmatched at open are promptNewlyMatchedOwners' (it runs after this).
    if (!unmatched.has(cycleId)) {
      unmatched.set(cycleId, new Set(await setIds(deps.redis, unmatchedOwnersKey(deps.config.QUEUE_PREFIX, cycleId))));
    }
    if (unmatched.get(cycleId)!.has(ownerId)) continue;
    const jobId = jobIds.prompt(cycleId, ownerId);
    const job = await queue.getJob(jobId);
    if (!job) {
      // The open's job for the owner's bucket has still to run (a large fan-out at Feishu's limits
      // takes longer than the grace): it prompts the owner, or hands the owner its own job.
      const batchId = jobIds.promptBatch(cycleId, batchSize, promptBucket(ownerId, batchSize));
      let pending = batchPending.get(batchId);
      if (pending === undefined) {
        const batch = await queue.getJob(batchId);
        const state = batch ? await batch.getState() : undefined;
        pending = state !== undefined && state !== 'completed' && state !== 'failed';
        batchPending.set(batchId, pending);
      }
      if (pending) continue;
      added.push({ payload: { cycleId, ownerId }, jobId });
    }
    else if (await job.isFailed()) {
      await job.retry('failed');
      retried.push(jobId);
    }
  }
  if (added.length > 0) await deps.queues.enqueueBulk('prompt.send', added);
  const ids = [...added.map((j) => j.jobId), ...retried];
  if (ids.length > 0) deps.logger.warn({ kind, jobs: ids }, 'prompting owners of open cycles who were never prompted');
  return ids;
}

export type Rescheduled = { cycleId: number; kind: CycleKind; periodKey: string; remindAt?: Date; dueAt?: Date };

/**
 * After the local calendar changed, moves the reminder and due times of open cycles that have
 * not passed yet to where the calendar now puts them. Times already passed stay as they were.
 */
export async function rescheduleOpenCycles(deps: Pick<CycleDeps, 'db' | 'config' | 'logger' | 'now'>): Promise<Rescheduled[]> {
  const now = deps.now().getTime();
  const settings = cycleSettings(deps.config);
  const calendar = await loadWorkCalendar(deps.db);
  const out: Rescheduled[] = [];
  for (const cycle of await openCycles(deps.db)) {
    const t = cycleTimes(cycle.kind, cycle.period_key, settings.schedule, calendar, settings.tz);
    let remindAt = cycle.reminded_at === null && cycle.remind_at.getTime() > now && t.remindAt.getTime() > now ? t.remindAt : cycle.remind_at;
    const dueAt = cycle.due_at.getTime() > now && t.dueAt.getTime() > now ? t.dueAt : cycle.due_at;
    if (remindAt.getTime() > dueAt.getTime()) remindAt = dueAt;
    const change: Rescheduled = { cycleId: cycle.id, kind: cycle.kind, periodKey: cycle.period_key };
    if (remindAt.getTime() !== cycle.remind_at.getTime()) change.remindAt = remindAt;
    if (dueAt.getTime() !== cycle.due_at.getTime()) change.dueAt = dueAt;
    if (!change.remindAt && !change.dueAt) continue;
    await rescheduleCycle(deps.db, cycle.id, change);
    deps.logger.info({ ...change }, 'open cycle rescheduled after a calendar change');
    out.push(change);
  }
  return out;
}
