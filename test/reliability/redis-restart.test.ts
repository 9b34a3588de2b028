// (d) Redis restarted (killed, down a moment, started again on its append-only file) during a
// cycle's fan-out, more than once: the worker process keeps running, the cycle completes, every
// owner has exactly one prompt in the sandbox, and the recovery is measured — from Redis being
// back to the first prompt sent, and to the fan-out's end. The worker is the real child process
// (worker-child.ts) with BullMQ's own lock times, so the figures are the ones production sees;
// Then submissions stream in while Redis restarts: each is stored once and answered truthfully,
// and the follow-up job each stored one hands to the queue (escalation.recheck, for a project with
// an open escalation) is not lost.
// Redis is a private instance (private-services.ts), Postgres the shared one under a database of
// this file's own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCycle } from '../../src/cycle/cycle.service.js';
import { countPrompts, FANOUT_PERIOD, startFanoutScenario, stopFanoutScenario, unfinishedJobs, type FanoutScenario } from './fanout-fixture.js';
import { printFigures } from './figures.js';
import { startPrivateRedis, type PrivateRedis } from './private-services.js';
import { killAllWorkers, startWorker, waitFor, type WorkerProcess } from './worker-process.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { addPerson, addProject, openCycle as openTestCycle, promptCards, reportForm, shanghai, TestClock, type TestPerson } from '../submission/scenario.js';

const PROMPTS = Number(process.env.RELIABILITY_REDIS_PROMPTS ?? 600);
/** Where in the fan-out (share of the prompts sent) Redis is restarted. */
const RESTART_AT = [0.25, 0.6];
const DOWN_MS = 2000;

let redis: PrivateRedis;
let scenario: FanoutScenario;

beforeAll(async () => {
  redis = await startPrivateRedis();
  scenario = await startFanoutScenario({ owners: PROMPTS, tag: 'RRS', redisUrl: redis.url, queuePrefix: 'redis-restart' });
}, 120_000);

afterAll(async () => {
  killAllWorkers();
  await stopFanoutScenario(scenario);
  await redis?.stop();
});

describe('(d) Redis restarted during a fan-out', () => {
  it('completes the cycle with one prompt per owner, and says how long recovery took', async () => {
    const { fake, config, ctx, owners } = scenario;
    const worker: WorkerProcess = await startWorker(config);
    let exited: string | undefined;
    void worker.exited.then((e) => {
      exited = `worker exited (${e.code ?? e.signal}): ${worker.stderr.join('').slice(-1500)}`;
    });
    const t0 = Date.now();
    await openCycle(ctx, 'weekly', FANOUT_PERIOD);
    const backAt: number[] = [];
    for (const share of RESTART_AT) {
      await waitFor(`${share * 100}% of the prompts`, () => fake.stats().messages >= share * PROMPTS || exited !== undefined, 120_000);
      await redis.restart({ downMs: DOWN_MS });
      backAt.push(Date.now());
    }
    await waitFor('the fan-out to finish', async () => exited !== undefined || (await unfinishedJobs(ctx).catch(() => 1)) === 0, 180_000);
    const times = fake.messages().map((m) => m.created_at);
    const firstAfter = backAt.map((b) => Math.min(...times.filter((t) => t >= b)) - b);
    const finishAfter = Math.max(...times) - backAt[backAt.length - 1];

    const { lost, duplicates, delivered } = countPrompts(fake, owners);
    const failedJobs = (await ctx.queues.queue('outbound').getFailedCount()) + (await ctx.queues.queue('control').getFailedCount());
    printFigures('(d) redis restarts', {
      cases: RESTART_AT.length,
      failures: (exited ? 1 : 0) + failedJobs,
      lost,
      duplicates,
      prompts: PROMPTS,
      delivered,
      downMs: DOWN_MS,
      firstPromptAfterMs: firstAfter.join('/'),
      finishedAfterMs: finishAfter,
      totalSeconds: Math.round((Math.max(...times) - t0) / 100) / 10,
    });
    expect(exited).toBeUndefined();
    expect(failedJobs).toBe(0);
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
    await worker.kill();
  }, 400_000);
});

const SUBMISSIONS = 16;

describe('(d) Redis restarted while submissions come in', () => {
  let h: Harness;
  let cycleId: number;
  const subjects: { owner: TestPerson; projectId: number; messageId: string }[] = [];

  beforeAll(async () => {
    h = await startHarness({ now: new TestClock(shanghai('2026-10-24T10:00')).now, env: { REDIS_URL: redis.url } });
    cycleId = await openTestCycle(h.ctx.db, '2026-10');
    for (let i = 0; i < SUBMISSIONS; i++) {
      const owner = await addPerson(h, `红重启${i}`);
      const p = await addProject(h.ctx.db, { code: `XMRRS${i}`, name: `红重启项目${i}`, ownerId: owner.id });
      const regionId = (await h.ctx.db.selectFrom('projects').select('region_id').where('id', '=', p.id).executeTakeFirstOrThrow()).region_id;
      await h.ctx.db.insertInto('cycle_projects').values({ cycle_id: cycleId, project_id: p.id, owner_id: owner.id, region_id: regionId, status: 'pending' }).execute().catch(() => undefined);
      // An open escalation, so each stored report hands a recheck to the queue (a project with
      // none has nothing to recheck and enqueues nothing).
      await h.ctx.db.insertInto('escalations').values({ project_id: p.id, cycle_id: cycleId, level: 1, reasons: ['连续未报'], reason_text: '连续未报', state: 'open' }).execute();
      const cards = await promptCards(h, cycleId, owner);
      subjects.push({ owner, projectId: p.id, messageId: cards.get(p.name)! });
    }
  }, 150_000);

  afterAll(async () => {
    await h?.stop();
  });

  it('stores each once, answers truthfully and keeps the follow-up jobs', async () => {
    type Body = { toast?: { content?: string } };
    const submit = (s: (typeof subjects)[number]) =>
      h.driver
        .cardAction({ operatorOpenId: s.owner.openId, messageId: s.messageId, value: { a: 'report.submit', projectId: s.projectId, cycleId }, formValue: reportForm() })
        .then((r) => ({ status: r.status, text: (r.body as Body).toast?.content ?? '' }))
        .catch((e: Error) => ({ status: 0, text: `transport: ${e.message}` }));
    const control = h.ctx.queues.queue('control');
    const rechecksBefore = await control.getCompletedCount();
    const answers: { status: number; text: string }[] = new Array(SUBMISSIONS);
    let restart: Promise<void> = Promise.resolve();
    let next = 0;
    const lane = async () => {
      while (next < SUBMISSIONS) {
        const i = next++;
        if (i === Math.floor(SUBMISSIONS / 4)) restart = redis.restart({ downMs: DOWN_MS });
        answers[i] = await submit(subjects[i]);
      }
    };
    await Promise.all([lane(), lane(), lane(), lane()]);
    await restart;

    let stored = 0, refused = 0, interim = 0, other = 0, lost = 0, duplicates = 0, storedAfterRefusal = 0;
    const counts = new Map<number, number>();
    for (const s of subjects) {
      counts.set(s.projectId, Number((await h.ctx.db.selectFrom('reports').select((eb) => eb.fn.countAll<string>().as('n')).where('cycle_id', '=', cycleId).where('project_id', '=', s.projectId).executeTakeFirstOrThrow()).n));
    }
    for (const [i, s] of subjects.entries()) {
      const n = counts.get(s.projectId)!;
      if (n > 1) duplicates++;
      const a = answers[i];
      if (a.status === 200 && a.text === '已提交') {
        stored++;
        if (n !== 1) lost++;
      } else if (a.status === 200 && a.text.includes('请稍后重试')) {
        refused++;
        if (n !== 0) storedAfterRefusal++;
      } else if (a.status === 200 && a.text.startsWith('已收到')) interim++;
      else other++;
    }
    // Every stored report's recheck runs once Redis is back (none dropped on the floor).
    const storedReports = [...counts.values()].filter((n) => n > 0).length;
    await waitFor('the follow-up jobs', async () => (await control.getCompletedCount()) - rechecksBefore >= storedReports, 60_000).catch(() => undefined);
    const followUpsLost = storedReports - ((await control.getCompletedCount()) - rechecksBefore);
    if (other > 0) console.log(answers);
    printFigures('(d) redis restart under submissions', { cases: SUBMISSIONS, failures: other + storedAfterRefusal, lost, duplicates, stored, refused, interim, followUpsLost });
    expect(other).toBe(0);
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
    expect(storedAfterRefusal).toBe(0);
    expect(followUpsLost).toBeLessThanOrEqual(0);
  }, 120_000);
});
