// (b) The worker killed (SIGKILL) at seeded random points of a 2,000-prompt fan-out, several
// times, and started again each time: at the end every owner has exactly one prompt in the
// sandbox (counted per receiver from what the sandbox stored, not from our outbound log), none
// lost, none doubled, and no job failed. The worker is a real child process
// (worker-child.ts) on the shared Postgres and Redis under this file's own database and queue
// prefix; the sandbox runs here. Its jobs' lock is shortened (WORKER_LOCK_MS) so the jobs a
// killed worker held are taken over in seconds rather than BullMQ's 30 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCycle } from '../../src/cycle/cycle.service.js';
import { countPrompts, FANOUT_PERIOD, startFanoutScenario, stopFanoutScenario, unfinishedJobs, type FanoutScenario } from './fanout-fixture.js';
import { printFigures } from './figures.js';
import { seeded } from './seeded.js';
import { killAllWorkers, startWorker, waitFor, type WorkerProcess } from './worker-process.js';

const PROMPTS = Number(process.env.RELIABILITY_KILL_PROMPTS ?? 2000);
const KILLS = Number(process.env.RELIABILITY_KILLS ?? 3);
const SEED = Number(process.env.RELIABILITY_SEED ?? 20261129);
const LOCK_MS = 4000;

let scenario: FanoutScenario;

beforeAll(async () => {
  scenario = await startFanoutScenario({ owners: PROMPTS, tag: 'KILL' });
}, 120_000);

afterAll(async () => {
  killAllWorkers();
  await stopFanoutScenario(scenario);
});

describe('(b) the worker killed during a fan-out', () => {
  it('leaves every owner exactly one prompt', async () => {
    const { database, fake, config, ctx, owners } = scenario;
    const rnd = seeded(SEED);
    // One kill in each of KILLS equal stretches of the fan-out, at a seeded place within it.
    const killAt = Array.from({ length: KILLS }, (_, k) => Math.floor((PROMPTS * (k + 0.1 + 0.8 * rnd())) / (KILLS + 1)));
    let crashes = 0;
    const crashLog: string[] = [];

    const t0 = Date.now();
    await openCycle(ctx, 'weekly', FANOUT_PERIOD);
    let worker = await startWorker(config, { WORKER_LOCK_MS: String(LOCK_MS) });
    const watch = (w: WorkerProcess) =>
      void w.exited.then((e) => {
        if (e.signal !== 'SIGKILL') {
          crashes++;
          crashLog.push(`exit ${e.code ?? e.signal}: ${w.stderr.join('').slice(-1500)}`);
        }
      });
    watch(worker);
    const killedAfter: number[] = [];
    for (const point of killAt) {
      await waitFor(`${point} prompts before a kill`, () => fake.stats().messages >= point || worker.proc.exitCode !== null, 240_000);
      killedAfter.push(fake.stats().messages);
      await worker.kill();
      worker = await startWorker(config, { WORKER_LOCK_MS: String(LOCK_MS) });
      watch(worker);
    }
    await waitFor('the fan-out to finish', async () => (await unfinishedJobs(ctx)) === 0, 240_000);
    const last = Math.max(...fake.messages().map((m) => m.created_at));

    const { lost, duplicates, delivered } = countPrompts(fake, owners);
    const failedJobs = (await ctx.queues.queue('outbound').getFailedCount()) + (await ctx.queues.queue('control').getFailedCount());
    const sentRows = Number(
      (await database.db.selectFrom('outbound_messages').select((eb) => eb.fn.countAll<string>().as('n')).where('kind', '=', 'prompt').where('state', '=', 'sent').executeTakeFirstOrThrow()).n,
    );
    printFigures('(b) worker kills', {
      cases: KILLS,
      seed: SEED,
      failures: crashes + failedJobs,
      lost,
      duplicates,
      prompts: PROMPTS,
      delivered,
      killedAfter: killedAfter.join('/'),
      finishSeconds: Math.round((last - t0) / 100) / 10,
    });
    if (crashLog.length) console.log(crashLog.join('\n'));
    expect(crashes).toBe(0);
    expect(failedJobs).toBe(0);
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
    expect(sentRows).toBe(PROMPTS);
  }, 600_000);
});
