// (b) A worker killed twice while it holds the same prompt jobs — a crash loop, or two deploys
// in a row each cutting the process — must not lose those prompts. BullMQ fails a job that
// stalled more than `maxStalledCount` times (its default: once) without running it again, and
// without our processor ever seeing it: no retry, no report to the admins, the prompt never sent.
// Every job here is idempotent (keys in the outbound log and Feishu's uuid), so a job a dead
// worker held is simply run again, up to a bound that still stops a job that kills every worker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCycle } from '../../src/cycle/cycle.service.js';
import { countPrompts, FANOUT_PERIOD, startFanoutScenario, stopFanoutScenario, type FanoutScenario } from './fanout-fixture.js';
import { printFigures } from './figures.js';
import { killAllWorkers, startWorker, waitFor } from './worker-process.js';

// No more than the outbound worker's concurrency (20), so one worker holds them all.
const OWNERS = 20;
const LOCK_MS = 2000;
// Two kills are enough: a job taken back once and stalled again is what BullMQ gave up on.
const KILLS = 2;

let scenario: FanoutScenario;

beforeAll(async () => {
  scenario = await startFanoutScenario({ owners: OWNERS, tag: 'LOOP' });
}, 120_000);

afterAll(async () => {
  killAllWorkers();
  await stopFanoutScenario(scenario);
});

describe('(b) a worker killed again and again while it holds the same jobs', () => {
  it('still sends every prompt once', async () => {
    const { fake, config, ctx, owners } = scenario;
    const outbound = ctx.queues.queue('outbound');
    // Feishu slow to answer: every send hangs, so the worker is always holding jobs when killed.
    const slow = fake.injectFault({ kind: 'slow', delayMs: 60_000, match: { method: 'POST', path: '/open-apis/im/v1/messages' } });
    await openCycle(ctx, 'weekly', FANOUT_PERIOD);
    // The open's jobs (one per bucket of owners, prompt.batch): fewer than the owners.
    const jobs = Object.values(await outbound.getJobCounts('waiting', 'prioritized', 'delayed')).reduce((a, b) => a + b, 0);
    expect(jobs).toBeGreaterThan(0);
    for (let k = 0; k < KILLS; k++) {
      const worker = await startWorker(config, { WORKER_LOCK_MS: String(LOCK_MS) });
      // The first worker takes every job (as many as its concurrency); each later one takes
      // back what the killed one held once the stalled check has returned it (stc: times stalled).
      await waitFor(
        'the worker to hold every job',
        async () => {
          const active = (await outbound.getActive()).map((j) => j.id!);
          const stalled = await Promise.all(active.map((id) => ctx.redis.hget(`${config.QUEUE_PREFIX}:outbound:${id}`, 'stc')));
          // A job BullMQ gave up on is not taken back: it is failed (what this test is about).
          return stalled.filter((n) => Number(n ?? 0) >= k).length + (await outbound.getFailedCount()) >= jobs;
        },
        60_000,
      );
      await worker.kill();
    }
    fake.removeFault(slow);
    const last = await startWorker(config, { WORKER_LOCK_MS: String(LOCK_MS) });
    await waitFor('the fan-out to finish', async () => {
      const c = await outbound.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(c).every((n) => n === 0);
    }, 90_000);
    await last.kill();

    const failed = await outbound.getFailed();
    const { lost, duplicates } = countPrompts(fake, owners);
    printFigures('(b) worker crash loop', {
      cases: KILLS,
      failures: failed.length,
      lost,
      duplicates,
      prompts: OWNERS,
    });
    expect(failed.map((j) => j.failedReason)).toEqual([]);
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
  }, 300_000);
});
