// The cron side of the application: each tick enqueues the jobs of every registered schedule
// step (SCHEDULE_STEPS, one list the features contribute to) and does no work itself; e.g. the
// cycle's 'cycle.tick' processor decides from the clock which step is due (src/cycle/cycle-tick.ts).
//
// Only one instance schedules. Leader election is a Postgres session advisory lock
// (pg_try_advisory_lock) held on a dedicated connection for as long as the instance leads;
// the others retry every few seconds. Chosen over BullMQ job schedulers because:
//  - a session lock dies with its holder: a crashed leader's connection closes and Postgres
//    frees the lock, so another instance takes over on its next retry, with no lease to tune;
//  - the schedule lives in this code and stops with the process (RUN_SCHEDULER=false, stop()),
//    whereas a BullMQ job scheduler is state in Redis that outlives the process that created it
//    and must be removed explicitly when it changes or is turned off;
//  - Postgres is already where the cycle's truth is, and the one dependency every instance has.
// Split brain is harmless anyway: each tick is enqueued under a per-minute job id, every step
// under a deterministic id, and every state change is a conditional UPDATE.
import cron from 'node-cron';
import pg from 'pg';
import type { AppContext } from '../platform/app-context.js';
import { composeScheduleSteps, type ScheduleStep } from '../platform/jobs/schedule-steps.js';
import { maintenanceScheduleSteps } from '../platform/jobs/maintenance.schedule.js';
import { cycleScheduleSteps } from '../cycle/cycle.schedule.js';
import { escalationScheduleSteps } from '../escalation/escalation.schedule.js';

/**
 * Every scheduled step, in the order a tick enqueues them. A feature exports its steps and is
 * added here; two steps of one name stop start-up.
 */
export const SCHEDULE_STEPS: readonly (readonly ScheduleStep[])[] = [cycleScheduleSteps, maintenanceScheduleSteps, escalationScheduleSteps];

export type SchedulerOptions = {
  /** When ticks fire; every minute by default, so holiday-shifted times are caught within a minute. */
  cron?: string;
  /** How often a follower tries to take the lock, and a leader checks it still holds it. */
  leaderCheckMs?: number;
  /** The steps' groups; SCHEDULE_STEPS by default. */
  steps?: readonly (readonly ScheduleStep[])[];
};

export type SchedulerHandle = { stop(): Promise<void>; isLeader(): boolean };

// Ticks are kept an hour: long enough to absorb a second leader in the same minute, short
// enough that 8 ticks a minute do not pile up in Redis.
const TICK_JOB_OPTS = { removeOnComplete: { age: 3600 }, removeOnFail: { age: 24 * 3600 } };

/** First half of the two-int advisory lock key: "DISP". The second half names the deployment. */
const LOCK_NAMESPACE = 0x44495350;

function lockKey(prefix: string): number {
  let h = 0;
  for (const ch of `scheduler:${prefix}`) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return h;
}

export async function startScheduler(ctx: AppContext, opts: SchedulerOptions = {}): Promise<SchedulerHandle> {
  const log = ctx.logger.child({ component: 'scheduler' });
  const steps = composeScheduleSteps(opts.steps ?? SCHEDULE_STEPS);
  const expression = opts.cron ?? '* * * * *';
  if (!cron.validate(expression)) throw new Error(`invalid cron expression for the scheduler: ${expression}`);
  const checkMs = opts.leaderCheckMs ?? 10_000;
  const key = lockKey(ctx.config.QUEUE_PREFIX);

  let client: pg.Client | undefined;
  let task: ReturnType<typeof cron.schedule> | undefined;
  let stopped = false;
  let busy = false;

  const tick = async (): Promise<void> => {
    const now = ctx.now();
    for (const step of steps) {
      for (const job of step.jobs(now)) {
        await ctx.queues.enqueue(job.name, job.payload, { ...TICK_JOB_OPTS, jobId: job.jobId });
      }
    }
  };

  const becomeFollower = async (reason: string): Promise<void> => {
    if (task) {
      await task.destroy();
      task = undefined;
      if (reason !== 'stopped') log.warn({ reason }, 'scheduler leadership lost');
    }
    const c = client;
    client = undefined;
    // Closing the session releases the lock if the server still holds it for us.
    await c?.end().catch(() => undefined);
  };

  const becomeLeader = async (): Promise<void> => {
    log.info({ cron: expression }, 'scheduler leadership taken');
    task = cron.schedule(
      expression,
      async () => {
        try {
          await tick();
        } catch (e) {
          log.error({ err: (e as Error).message }, 'tick could not be enqueued');
        }
      },
      { timezone: ctx.config.DISPATCH_TZ, name: `cycle-tick-${ctx.config.QUEUE_PREFIX}`, noOverlap: true },
    );
    // Make up at once for whatever was due while nobody led (a restart, a failover).
    await tick().catch((e: unknown) => log.error({ err: (e as Error).message }, 'catch-up tick could not be enqueued'));
  };

  const check = async (): Promise<void> => {
    if (stopped || busy) return;
    busy = true;
    try {
      if (client) {
        // Still leading? The query fails if the session is gone (then the lock is gone too).
        await client.query('select 1');
        return;
      }
      const c = new pg.Client({ connectionString: ctx.config.DATABASE_URL });
      c.on('error', (e) => {
        log.warn({ err: e.message }, 'scheduler lock connection error');
        void becomeFollower('lock connection error');
      });
      await c.connect();
      const res = await c.query<{ locked: boolean }>('select pg_try_advisory_lock($1, $2) as locked', [LOCK_NAMESPACE, key]);
      if (!res.rows[0]?.locked || stopped) {
        await c.end();
        return;
      }
      client = c;
      await becomeLeader();
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'scheduler leadership check failed');
      await becomeFollower('leadership check failed');
    } finally {
      busy = false;
    }
  };

  await check();
  const timer = setInterval(() => void check(), checkMs);
  timer.unref();

  return {
    isLeader: () => client !== undefined && task !== undefined,
    async stop() {
      stopped = true;
      clearInterval(timer);
      while (busy) await new Promise((r) => setTimeout(r, 10));
      if (client) {
        await client.query('select pg_advisory_unlock($1, $2)', [LOCK_NAMESPACE, key]).catch(() => undefined);
      }
      await becomeFollower('stopped');
      log.info('scheduler stopped');
    },
  };
}
