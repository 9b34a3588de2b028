// Reliability suite (e): Feishu faults from the sandbox, table-driven over every outbound path the
// bot uses — the prompt at open, the reminder, the final reminder's 加急, a card's delayed update and
// its patch, contact look-ups, the league post to a group — and every fault Feishu (or a proxy in
// front of it) can answer with: 5xx, no answer within the client's timeout, a dropped connection,
// a lost answer to a request that did take effect, 429 with Feishu's rate-limit code, with an
// unknown code and with no code at all, and a tenant token expiring as the call arrives. Each
// transient fault outlasts one call's own retries, so the job's retry is exercised too (except the
// token, which expires once as it does in life, and 加急, see below). Then the permanent cases: an
// owner and a group Feishu refuses for good. What must hold: every transient fault ends in the message
// delivered exactly once (the sandbox's stored messages per receiver); a permanent failure is
// reported to the admins and shown by `cycle status`; nothing is retried for ever (the job ends,
// and the attempts the sandbox saw stay within the configured bound).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from 'bullmq';
import type { AppContext } from '../../src/platform/app-context.js';
import type { FaultSpec } from '../../src/sandbox/faults.js';
import { createCycleWithCoverage, findCycle } from '../../src/cycle/cycle.repository.js';
import { cycleStatus, formatCycleStatus } from '../../src/cycle/cycle-status.js';
import { jobIds } from '../../src/cycle/job-ids.js';
import { submissionProcessors } from '../../src/submission/submission.processors.js';
import { peopleProcessors } from '../../src/registry/people.processors.js';
import { bindGroup } from '../../src/league/groups.repository.js';
import { makePerson, makeProject } from '../helpers/factories.js';
import { cycleOnlyProcessors, shanghai, startCycleEnv, waitFor, type CycleEnv } from '../cycle/cycle-env.js';
import { printFigures } from './figures.js';

// Short settings through the configuration (src/config.ts), so every case ends within seconds.
const LARK_ATTEMPTS = 3;
const JOB_ATTEMPTS = 4;
// Long enough that an ordinary answer on a loaded machine is not taken for a stall.
const TIMEOUT_MS = 1000;
/** Attempts one message may cost at most: every try of every run, plus one after a token refresh. */
const BOUND = LARK_ATTEMPTS * JOB_ATTEMPTS + 1;
/** One fault more than a call tries: the first run of the job fails, a later run delivers. */
const OUTLAST_ONE_CALL = LARK_ATTEMPTS + 1;

type Match = { method: string; path: RegExp };
const SEND: Match = { method: 'POST', path: /^\/open-apis\/im\/v1\/messages$/ };
const PATCH: Match = { method: 'PATCH', path: /^\/open-apis\/im\/v1\/messages\/[^/]+$/ };
const URGENT: Match = { method: 'PATCH', path: /^\/open-apis\/im\/v1\/messages\/[^/]+\/urgent_app$/ };
const CARD_UPDATE: Match = { method: 'POST', path: /^\/open-apis\/interactive\/v1\/card\/update$/ };
const CONTACTS: Match = { method: 'POST', path: /^\/open-apis\/contact\/v3\/users\/batch_get_id$/ };

type Fault = { name: string; spec: Omit<FaultSpec, 'match' | 'times'>; times?: number };
const TRANSIENT: Fault[] = [
  { name: 'HTTP 503', spec: { kind: 'status', status: 503 } },
  { name: 'timeout', spec: { kind: 'slow', delayMs: TIMEOUT_MS * 2 } },
  { name: 'dropped connection', spec: { kind: 'drop' } },
  { name: 'answer lost', spec: { kind: 'drop', after: true } },
  { name: '429 99991400', spec: { kind: 'code', status: 429, code: 99991400 } },
  { name: '429 unknown code', spec: { kind: 'code', status: 429, code: 123456 } },
  { name: '429 no code', spec: { kind: 'status', status: 429, text: 'Too Many Requests' } },
  // The tenant token expires as the call arrives (99991663): the client fetches a new one and retries.
  { name: 'token expired', spec: { kind: 'expire' }, times: 1 },
];

/** One run of a path under a fault: what was delivered, and which requests were its attempts. */
type Outcome = { jobId: string; queue: 'control' | 'outbound'; delivered: () => Promise<number>; attempt: (r: { path: string; body?: Record<string, unknown> }) => boolean };
/** `arm` sets the fault going; a driver calls it after its own setup (which may talk to Feishu), just before the job. */
type PathDriver = { name: string; match: Match; times?: number; start: (n: number, arm: () => void) => Promise<Outcome> };

describe('Feishu faults on every outbound path', () => {
  let env: CycleEnv;
  let ctx: AppContext;
  let cycleId: number;
  let monthlyCycleId: number;
  let adminOpenId: string;
  const owners: { id: number; openId: string }[] = [];
  let ownerCursor = 0;
  const figures = { cases: 0, failures: 0, lost: 0, duplicates: 0, retries: 0, reported: 0, maxAttempts: 0, urgentRepeats: 0 };
  const problems: string[] = [];

  const interactiveTo = (openId: string, kind?: string) =>
    env.fake.messages({ receive_id: openId, msg_type: 'interactive' }).filter((m) => !kind || JSON.stringify(m.content).includes(kind)).length;

  async function jobEnded(queue: 'control' | 'outbound', jobId: string): Promise<string> {
    let state = 'unknown';
    await waitFor(`job ${jobId} to end`, async () => {
      const job = (await ctx.queues.queue(queue).getJob(jobId)) as Job | undefined;
      state = job ? await job.getState() : 'missing';
      return state === 'completed' || state === 'failed';
    }, 60_000);
    return state;
  }

  const nextOwner = () => owners[ownerCursor++];

  const prompt: PathDriver = {
    name: 'prompt at open',
    match: SEND,
    start: async (_n, arm) => {
      const o = nextOwner();
      const jobId = jobIds.prompt(cycleId, o.id);
      arm();
      await ctx.queues.enqueue('prompt.send', { cycleId, ownerId: o.id }, { jobId });
      return { jobId, queue: 'outbound', delivered: async () => interactiveTo(o.openId), attempt: (r) => !r.body || r.body.receive_id === o.openId };
    },
  };
  const reminder: PathDriver = {
    name: 'reminder',
    match: SEND,
    start: async (_n, arm) => {
      const o = nextOwner();
      const jobId = jobIds.reminder(cycleId, o.id, false);
      arm();
      await ctx.queues.enqueue('reminder.send', { cycleId, ownerId: o.id, final: false }, { jobId });
      return { jobId, queue: 'outbound', delivered: async () => interactiveTo(o.openId), attempt: (r) => !r.body || r.body.receive_id === o.openId };
    },
  };
  // The last call buzzes once (加急); the fault is on the buzz, so the card itself goes out at once.
  const urgent: PathDriver = {
    name: 'final reminder 加急',
    match: URGENT,
    start: async (_n, arm) => {
      const o = nextOwner();
      const jobId = jobIds.reminder(cycleId, o.id, true);
      arm();
      await ctx.queues.enqueue('reminder.send', { cycleId, ownerId: o.id, final: true }, { jobId });
      return {
        jobId,
        queue: 'outbound',
        delivered: async () => {
          const cards = env.fake.messages({ receive_id: o.openId, msg_type: 'interactive' });
          if (cards.length !== 1) return cards.length === 0 ? 0 : cards.length;
          // urgent_app has no idempotency key: a buzz whose answer was lost is buzzed again when
          // retried. At least once is all Feishu allows; the repeats are counted apart.
          const buzzes = cards[0].urgent.length;
          if (buzzes > 1) figures.urgentRepeats += buzzes - 1;
          return Math.min(buzzes, 1);
        },
        attempt: () => true,
      };
    },
  };
  const cardHolder = () => nextOwner().openId;
  const sharedCard = (title: string) => ({
    schema: '2.0',
    config: { update_multi: true },
    header: { title: { tag: 'plain_text', content: title } },
    body: { elements: [{ tag: 'markdown', content: title }] },
  });
  /** A card the bot sent, updated by the card.update job the way a late callback answer is. */
  const cardUpdate = (how: 'token' | 'patch'): PathDriver => ({
    name: how === 'token' ? 'card delayed update' : 'card patch',
    match: how === 'token' ? CARD_UPDATE : PATCH,
    start: async (n, arm) => {
      const { messageId } = await ctx.lark.sendCard({ receiveId: cardHolder(), card: sharedCard('已收到，正在保存'), uuid: `fault-card-${n}` });
      const title = `已提交 #${n}`;
      const jobId = `fault-card-update-${n}`;
      // A late callback answer carries the update token and the card's message id (the callback's context).
      const payload = how === 'token' ? { token: env.fake.issueCardToken(messageId), messageId, card: sharedCard(title) } : { messageId, card: sharedCard(title) };
      arm();
      await ctx.queues.enqueue('card.update', payload, { jobId });
      return {
        jobId,
        queue: 'outbound',
        // The card shows the answer (once: a card has one content, however often it was replaced).
        delivered: async () => (JSON.stringify(env.fake.message(messageId)?.content).includes(title) ? 1 : 0),
        attempt: () => true,
      };
    },
  });
  const contacts: PathDriver = {
    name: 'contact look-up',
    match: CONTACTS,
    start: async (n, arm) => {
      const mobile = `1371234${String(n).padStart(4, '0')}`;
      const openId = env.fake.addUser({ name: `待匹配${n}`, mobile });
      const person = await makePerson(env.db, { name: `待匹配${n}`, mobile, openId: null });
      const jobId = `fault-people-sync-${n}`;
      arm();
      await ctx.queues.enqueue('people.sync', {}, { jobId });
      return {
        jobId,
        queue: 'control',
        delivered: async () => {
          const row = await env.db.selectFrom('people').select('open_id').where('id', '=', person.id).executeTakeFirstOrThrow();
          return row.open_id === openId ? 1 : 0;
        },
        attempt: () => true,
      };
    },
  };
  const league: PathDriver = {
    name: 'league post to a group',
    match: SEND,
    start: async (n, arm) => {
      const chatId = env.fake.addChat({ name: `调度群${n}` });
      await bindGroup(env.db, { chatId, name: `调度群${n}`, target: '调度群', by: 'test', at: env.clock.now() });
      const jobId = `fault-league-${n}`;
      arm();
      await ctx.queues.enqueue('league.post', { cycleId: monthlyCycleId }, { jobId });
      return {
        jobId,
        queue: 'outbound',
        delivered: async () => env.fake.messages({ chat_id: chatId, msg_type: 'interactive' }).length,
        attempt: (r) => !r.body || r.body.receive_id === chatId,
      };
    },
  };
  const PATHS: PathDriver[] = [prompt, reminder, urgent, cardUpdate('token'), cardUpdate('patch'), contacts, league];
  // 加急 is best effort inside the reminder's job (a failed buzz must not resend the card), so its
  // fault stays within one call's tries; the others outlast them.
  urgent.times = LARK_ATTEMPTS - 1;

  beforeAll(async () => {
    env = await startCycleEnv({
      start: '2026-11-16T09:00:30',
      env: {
        LARK_HTTP_TIMEOUT_MS: String(TIMEOUT_MS),
        LARK_RETRY_ATTEMPTS: String(LARK_ATTEMPTS),
        JOB_ATTEMPTS: String(JOB_ATTEMPTS),
        JOB_BACKOFF_MS: '100',
      },
    });
    ctx = env.context({ workers: false });
    ctx.queues.startWorkers({ ...cycleOnlyProcessors(ctx), ...submissionProcessors(ctx), ...peopleProcessors(ctx) });
    // The sandbox's per-receiver and per-message windows would add their own 429s to the injected ones.
    env.fake.setLimits({ perReceiverPerSecond: 1000, perMessagePatchPerSecond: 1000 });

    adminOpenId = env.fake.addUser({ name: '调度管理员', mobile: '13700009999' });
    const admin = await makePerson(env.db, { name: '调度管理员', mobile: '13700009999', openId: adminOpenId });
    await env.db.insertInto('person_grants').values({ person_id: admin.id, role: 'admin', project_id: null, granted_by: 'test' }).execute();
    // One owner with one weekly project for each case that needs one (prompt, reminder, 加急,
    // card holders, permanent cases), all in one cycle.
    for (let i = 0; i < 60; i++) {
      const mobile = `1370001${String(i).padStart(4, '0')}`;
      const openId = env.fake.addUser({ name: `负责人${i}`, mobile });
      const p = await makePerson(env.db, { name: `负责人${i}`, mobile, openId });
      await makeProject(env.db, { code: `XMFF${i}`, name: `故障项目${i}`, frequency: 'weekly', ownerId: p.id });
      owners.push({ id: p.id, openId });
    }
    const at = shanghai('2026-11-16T09:00');
    const due = shanghai('2026-11-20T18:00');
    cycleId = (await createCycleWithCoverage(env.db, { kind: 'weekly', periodKey: '2026-W47', openAt: at, remindAt: at, dueAt: due, openedAt: at })).cycle.id;
    const mAt = shanghai('2026-10-20T09:00');
    monthlyCycleId = (await createCycleWithCoverage(env.db, { kind: 'monthly', periodKey: '2026-10', openAt: mAt, remindAt: mAt, dueAt: shanghai('2026-10-25T18:00'), openedAt: mAt })).cycle.id;
    await env.db.updateTable('cycles').set({ state: 'closed', closed_at: shanghai('2026-10-25T18:00') }).where('id', '=', monthlyCycleId).execute();
  }, 120_000);

  afterAll(async () => {
    printFigures('(e) feishu faults', figures);
    await env?.close();
  });

  let caseNo = 0;
  async function runCase(path: PathDriver, fault: Fault): Promise<void> {
    const n = ++caseNo;
    const label = `${path.name} / ${fault.name}`;
    env.fake.clearFaults();
    const from = env.fake.requests().length;
    let firedBefore = 0;
    const arm = () => {
      firedBefore = env.fake.stats().faultsFired;
      env.fake.injectFault({ ...fault.spec, match: path.match, times: fault.times ?? path.times ?? OUTLAST_ONE_CALL });
    };
    const out = await path.start(n, arm);
    const state = await jobEnded(out.queue, out.jobId);
    env.fake.clearFaults();
    const attemptsSeen = () =>
      env.fake
        .requests()
        .slice(from)
        .filter((r) => r.method === path.match.method && path.match.path.test(r.path) && out.attempt(r)).length;
    // A stalled request is recorded when the sandbox gives up on it, after the client has.
    const fired = env.fake.stats().faultsFired - firedBefore;
    await waitFor(`${label}: every faulted request recorded`, () => attemptsSeen() >= fired, 30_000);
    const attempts = attemptsSeen();
    const delivered = await out.delivered();
    figures.cases++;
    figures.retries += Math.max(0, attempts - 1);
    figures.maxAttempts = Math.max(figures.maxAttempts, attempts);
    const wrong: string[] = [];
    if (delivered === 0) {
      figures.lost++;
      wrong.push('lost');
    }
    if (delivered > 1) {
      figures.duplicates++;
      wrong.push(`delivered ${delivered} times`);
    }
    if (state !== 'completed') wrong.push(`job ${state}`);
    if (attempts > BOUND) wrong.push(`${attempts} attempts (bound ${BOUND})`);
    if (attempts < 2) wrong.push(`the fault was never hit (${attempts} attempt)`);
    if (wrong.length > 0) {
      figures.failures++;
      problems.push(`${label}: ${wrong.join(', ')}`);
    }
  }

  for (const path of PATHS) {
    it(`${path.name}: every transient fault ends in one delivery, within ${BOUND} attempts`, async () => {
      for (const fault of TRANSIENT) await runCase(path, fault);
      expect(problems.filter((p) => p.startsWith(path.name))).toEqual([]);
    }, 120_000);
  }

  it('a receiver refused for good is tried once, reported to the admins and shown by cycle status', async () => {
    const adminBefore = env.fake.messages({ receive_id: adminOpenId }).length;
    const cases: { what: 'prompt' | 'reminder'; owner: { id: number; openId: string }; jobId: string }[] = [];
    for (const what of ['prompt', 'reminder'] as const) {
      const owner = nextOwner();
      // The owner has resigned: Feishu answers 230013 to every send (docs/feishu.md §4).
      env.fake.findUser({ open_id: owner.openId })!.resigned = true;
      cases.push({ what, owner, jobId: what === 'prompt' ? jobIds.prompt(cycleId, owner.id) : jobIds.reminder(cycleId, owner.id, false) });
    }
    const from = env.fake.requests().length;
    for (const c of cases) {
      if (c.what === 'prompt') await ctx.queues.enqueue('prompt.send', { cycleId, ownerId: c.owner.id }, { jobId: c.jobId });
      else await ctx.queues.enqueue('reminder.send', { cycleId, ownerId: c.owner.id, final: false }, { jobId: c.jobId });
    }
    for (const c of cases) expect(await jobEnded('outbound', c.jobId)).toBe('failed');
    // One notice lists every owner of the cycle given up meanwhile, not a message per failure.
    await waitFor('the admin notice', () => env.fake.messages({ receive_id: adminOpenId }).length === adminBefore + 1, 30_000);

    const notices = env.fake.messages({ receive_id: adminOpenId }).slice(adminBefore).map((m) => JSON.stringify(m.content));
    for (const c of cases) {
      figures.cases++;
      const attempts = env.fake.requests().slice(from).filter((r) => r.method === 'POST' && SEND.path.test(r.path) && r.body?.receive_id === c.owner.openId);
      figures.maxAttempts = Math.max(figures.maxAttempts, attempts.length);
      // A refusal is not retried: one request, answered 230013.
      expect(attempts.map((r) => r.code)).toEqual([230013]);
      expect(interactiveTo(c.owner.openId)).toBe(0);
      const name = `负责人${owners.indexOf(c.owner)}`;
      const notice = notices.find((t) => t.includes(name));
      expect(notice, `admin notice for ${c.what}`).toBeDefined();
      expect(notice).toContain(`${name}（${c.what === 'prompt' ? '填报通知' : '催报提醒'}）`);
      figures.reported++;
    }

    const status = await cycleStatus(env.db, (await findCycle(env.db, cycleId))!);
    const promptCase = cases.find((c) => c.what === 'prompt')!;
    expect(status.failedPrompts).toEqual([expect.objectContaining({ personId: promptCase.owner.id, permanent: true, error: expect.stringMatching(/230013/) })]);
    expect(status.messages.reminder?.failed).toBe(1);
    // Both owners are listed as not reached, with the kind and the reason.
    const reminderCase = cases.find((c) => c.what === 'reminder')!;
    expect(status.undelivered.map((u) => [u.personId, u.kind]).sort()).toEqual([[promptCase.owner.id, 'prompt'], [reminderCase.owner.id, 'reminder']].sort());
    const shown = formatCycleStatus(status, 'Asia/Shanghai').join('\n');
    expect(shown).toMatch(/负责人\d+：催报提醒未送达（.*230013/);
    expect(shown).toMatch(/催报 [^；\n]*失败1/);
    expect(shown).toMatch(/填报通知发送失败的负责人.*\n.*负责人\d+：飞书拒收，不再自动重试/);
  }, 120_000);

  it('a group that removed the bot is tried once and reported, and does not hold back the other groups', async () => {
    const adminBefore = env.fake.messages({ receive_id: adminOpenId }).length;
    // A chat the bot is no longer in: Feishu answers 230002 to every post there.
    const gone = 'oc_bot_removed_from_this_group';
    await bindGroup(env.db, { chatId: gone, name: '已移除机器人的调度群', target: '调度群', by: 'test', at: env.clock.now() });
    const region = env.fake.addChat({ name: '天城县项目群' });
    await bindGroup(env.db, { chatId: region, name: '天城县项目群', target: '天城县', by: 'test', at: env.clock.now() });
    const from = env.fake.requests().length;
    await ctx.queues.enqueue('league.post', { cycleId: monthlyCycleId }, { jobId: 'fault-league-refused' });
    expect(await jobEnded('outbound', 'fault-league-refused')).toBe('failed');
    figures.cases++;
    expect(env.fake.messages({ chat_id: region, msg_type: 'interactive' })).toHaveLength(1);
    const tries = env.fake.requests().slice(from).filter((r) => r.method === 'POST' && SEND.path.test(r.path) && r.body?.receive_id === gone);
    expect(tries.map((r) => r.code)).toEqual([230002]);
    await waitFor('the admin notice', () => env.fake.messages({ receive_id: adminOpenId }).length === adminBefore + 1, 30_000);
    const notice = JSON.stringify(env.fake.messages({ receive_id: adminOpenId })[adminBefore].content);
    expect(notice).toContain('擂台通报发送失败');
    expect(notice).toContain('已移除机器人的调度群');
    figures.reported++;
  }, 60_000);

  it('adds up: nothing lost, nothing twice, every fault hit, every job ended', () => {
    expect(problems).toEqual([]);
    expect(figures.cases).toBe(PATHS.length * TRANSIENT.length + 3);
    expect(figures.lost).toBe(0);
    expect(figures.duplicates).toBe(0);
    expect(figures.reported).toBe(3);
  });
});
