// One service instance in a process of its own, for two-instances.test.ts: the real startService
// (intake in the LARK_MODE of its environment, all workers), the real scheduler ticking every
// second instead of every minute, and a clock the parent moves over IPC (nothing may depend on
// today's date). The parent can also make this instance act as if it led the schedule when it
// does not (a split brain), or run a cycle step by hand, to race the other instance on purpose.
//
//   node --import tsx test/reliability/instance-process.ts   (env: the service's, plus INSTANCE_CLOCK)
import { parseConfig } from '../../src/config.js';
import { startService } from '../../src/app/service.js';
import { SCHEDULE_STEPS, startScheduler } from '../../src/app/scheduler.js';
import { composeScheduleSteps } from '../../src/platform/jobs/schedule-steps.js';
import { closeCycle, openCycle } from '../../src/cycle/cycle.service.js';
import { escalateAtClose } from '../../src/escalation/escalation.service.js';
import type { CycleKind } from '../../src/db/schema.js';

export type InstanceRequest =
  | { id: number; type: 'clock'; at: string }
  | { id: number; type: 'tick' }
  | { id: number; type: 'open'; kind: CycleKind; periodKey: string }
  | { id: number; type: 'close'; cycleId: number }
  | { id: number; type: 'escalate'; cycleId: number }
  | { id: number; type: 'status' }
  | { id: number; type: 'stop' };

export type InstanceReply = { id: number; ok: true; value?: unknown } | { id: number; ok: false; error: string };

async function main(): Promise<void> {
  let clock = new Date(process.env.INSTANCE_CLOCK ?? '');
  if (Number.isNaN(clock.getTime())) throw new Error('INSTANCE_CLOCK must be an ISO time');
  const now = () => new Date(clock);
  const config = parseConfig({ ...process.env, RUN_SCHEDULER: 'false' });
  const service = await startService(config, { now, larkRetry: { baseDelayMs: 20, maxDelayMs: 200 } });
  const ctx = service.ctx;
  const scheduler = await startScheduler(ctx, { cron: '* * * * * *', leaderCheckMs: 300 });
  const steps = composeScheduleSteps(SCHEDULE_STEPS);

  const handle = async (m: InstanceRequest): Promise<unknown> => {
    switch (m.type) {
      case 'clock':
        clock = new Date(m.at);
        return undefined;
      case 'tick': {
        // What a leader's tick enqueues, whether or not this instance leads.
        let n = 0;
        for (const step of steps) {
          for (const job of step.jobs(now())) {
            await ctx.queues.enqueue(job.name, job.payload, { removeOnComplete: { age: 3600 }, jobId: job.jobId });
            n++;
          }
        }
        return n;
      }
      case 'open':
        return (await openCycle(ctx, m.kind, m.periodKey)).created;
      case 'close':
        return (await closeCycle(ctx, m.cycleId)).closed;
      case 'escalate':
        return escalateAtClose(ctx, m.cycleId);
      case 'status': {
        const counts: Record<string, number> = {};
        for (const q of ['control', 'outbound'] as const) {
          const c = await ctx.queues.queue(q).getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed');
          for (const [k, v] of Object.entries(c)) counts[k] = (counts[k] ?? 0) + v;
        }
        return { leader: scheduler.isLeader(), port: service.port, counts };
      }
      case 'stop':
        await scheduler.stop();
        await service.stop();
        setImmediate(() => process.exit(0));
        return undefined;
    }
  };

  process.on('message', (raw) => {
    const m = raw as InstanceRequest;
    handle(m).then(
      (value) => process.send?.({ id: m.id, ok: true, value } satisfies InstanceReply),
      (e: unknown) => process.send?.({ id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) } satisfies InstanceReply),
    );
  });
  // The parent going away (a failed test) must not leave this process behind.
  process.on('disconnect', () => {
    void scheduler.stop().finally(() => void service.stop().finally(() => process.exit(0)));
    setTimeout(() => process.exit(0), 5000).unref();
  });
  process.send?.({ id: 0, ok: true, value: { port: service.port } } satisfies InstanceReply);
}

main().catch((e: unknown) => {
  process.stderr.write(`instance failed to start: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
