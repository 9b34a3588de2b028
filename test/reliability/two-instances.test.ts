// (f) Two service instances of one deployment — one taking webhooks (LARK_MODE=webhook), one on
// the long connection (LARK_MODE=ws, the sandbox's gateway) — against one database and one Redis,
// each running its scheduler and all its workers. Each is a child process (instance-process.ts):
// two app contexts in one process would share one event loop and every module's state, which is
// exactly what could hide a race between real instances. Beyond their schedulers' leader lock,
// the test makes both act as if they led (a split brain) and runs each step on both at once:
// one cycle opens, each owner gets one prompt, a callback delivered on both paths is stored
// once, and the close raises one escalation per (project, level) with one card per leader.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FakeFeishu, FeishuDriver, type SandboxMessage } from '../../src/sandbox/index.js';
import { REPORT_FIELDS as F } from '../../src/cards/card-actions.js';
import { HARNESS_APP } from '../helpers/harness.js';
import { makePerson, makeProject } from '../helpers/factories.js';
import { createTestDatabase, deleteRedisKeys, uniqueQueuePrefix, type TestDatabase } from '../helpers/test-db.js';
import { testRedisUrl } from '../helpers/services.js';
import { machineEnv } from '../helpers/child-env.js';
import { reportForm } from '../submission/scenario.js';
import { printFigures } from './figures.js';
import type { InstanceReply, InstanceRequest } from './instance-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OWNERS = 8;
const OPEN_AT = '2026-11-20T09:00:05+08:00';
const DUE_AT = '2026-11-25T18:00:05+08:00';

type Instance = {
  name: string;
  child: ChildProcess;
  port: number;
  output: string[];
  ask(req: DistributiveOmit<InstanceRequest, 'id'>, timeoutMs?: number): Promise<unknown>;
};
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

let database: TestDatabase;
let fake: FakeFeishu;
let prefix: string;
const instances: Instance[] = [];
let webhook: FeishuDriver;
let ws: FeishuDriver;
const owners: { personId: number; openId: string; projectId: number; leader: string }[] = [];
const leaders: Record<string, string> = {};
let viceMayor: string;

async function startInstance(name: string, env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/reliability/instance-process.ts'], {
    cwd: ROOT,
    env: { ...machineEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const output: string[] = [];
  const keep = (b: Buffer) => {
    output.push(...b.toString('utf8').split('\n').filter(Boolean));
    if (output.length > 400) output.splice(0, output.length - 400);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const waiting = new Map<number, { resolve: (r: InstanceReply) => void; reject: (e: Error) => void }>();
  child.on('message', (raw) => {
    const r = raw as InstanceReply;
    waiting.get(r.id)?.resolve(r);
    waiting.delete(r.id);
  });
  child.on('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`${name} exited (${code})\n${output.slice(-20).join('\n')}`));
    waiting.clear();
  });
  let seq = 1;
  const reply = (id: number, timeoutMs: number) =>
    new Promise<InstanceReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`${name}: no answer to request ${id} within ${timeoutMs} ms\n${output.slice(-20).join('\n')}`));
      }, timeoutMs);
      const done = <T,>(f: (v: T) => void) => (v: T) => {
        clearTimeout(timer);
        f(v);
      };
      waiting.set(id, { resolve: done(resolve), reject: done(reject) });
    });
  // Starting tsx and the service can take long on a busy machine; the limit is generous.
  const ready = await reply(0, 120_000);
  if (!ready.ok) throw new Error(`${name} did not start: ${ready.error}`);
  const instance: Instance = {
    name,
    child,
    output,
    port: (ready.value as { port: number }).port,
    async ask(req, timeoutMs = 60_000) {
      const id = seq++;
      const answer = reply(id, timeoutMs);
      child.send({ ...req, id });
      const r = await answer;
      if (!r.ok) throw new Error(`${name}: ${req.type} failed: ${r.error}`);
      return r.value;
    },
  };
  instances.push(instance);
  return instance;
}

async function stopInstance(i: Instance): Promise<void> {
  if (i.child.exitCode !== null || i.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => i.child.once('exit', () => resolve()));
  try {
    await i.ask({ type: 'stop' }, 20_000);
  } catch {
    // fall through to the kill
  }
  const timer = setTimeout(() => i.child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}\n${instances.map((i) => `${i.name}:\n${i.output.slice(-15).join('\n')}`).join('\n')}`);
}

/** Until nothing is waiting, active or delayed in the shared queues, twice in a row. */
async function quiet(): Promise<void> {
  let calm = 0;
  await waitFor('the queues to drain', async () => {
    const s = (await instances[0].ask({ type: 'status' })) as { counts: Record<string, number> };
    const busy = s.counts.waiting + s.counts.active + s.counts.delayed + s.counts.prioritized;
    calm = busy === 0 ? calm + 1 : 0;
    return calm >= 3;
  }, 90_000);
}

const both = (req: DistributiveOmit<InstanceRequest, 'id'>) => Promise.all(instances.map((i) => i.ask(req)));
const cards = (receiver: string): SandboxMessage[] => fake.messages({ receive_id: receiver, msg_type: 'interactive' });
const title = (m: SandboxMessage) => (m.content as { header?: { title?: { content?: string } } }).header?.title?.content ?? '';
const prompts = (receiver: string) => cards(receiver).filter((m) => !title(m).startsWith('【') && !m.raw_content.includes('escalation.acknowledge'));
const escalationCards = (receiver: string) => cards(receiver).filter((m) => m.raw_content.includes('escalation.acknowledge'));

beforeAll(async () => {
  database = await createTestDatabase();
  fake = new FakeFeishu({ apps: { [HARNESS_APP.appId]: HARNESS_APP.appSecret } });
  const fakeUrl = await fake.start();
  prefix = uniqueQueuePrefix();
  const db = database.db;
  viceMayor = fake.addUser({ name: '分管副市长', mobile: '13600000090' });
  const vm = await makePerson(db, { name: '分管副市长', mobile: '13600000090', openId: viceMayor });
  const leaderIds: Record<string, number> = {};
  for (const [k, name] of ['甲', '乙'].entries()) {
    const mobile = `1360000008${k}`;
    leaders[name] = fake.addUser({ name: `包保领导${name}`, mobile });
    leaderIds[name] = (await makePerson(db, { name: `包保领导${name}`, mobile, openId: leaders[name] })).id;
  }
  for (let i = 0; i < OWNERS; i++) {
    const mobile = `1360000000${i}`;
    const openId = fake.addUser({ name: `负责人${i}`, mobile });
    const person = await makePerson(db, { name: `负责人${i}`, mobile, openId });
    const leader = i < OWNERS / 2 ? '甲' : '乙';
    const p = await makeProject(db, { code: `XM2INST${i}`, name: `双实例项目${i}`, frequency: 'monthly', ownerId: person.id, total: '10000', annualPlan: '6000', leaderId: leaderIds[leader], viceMayorId: vm.id });
    owners.push({ personId: person.id, openId, projectId: p.id, leader });
  }
  const env = {
    NODE_ENV: 'test',
    LARK_APP_ID: HARNESS_APP.appId,
    LARK_APP_SECRET: HARNESS_APP.appSecret,
    LARK_VERIFICATION_TOKEN: HARNESS_APP.verificationToken,
    LARK_ENCRYPT_KEY: HARNESS_APP.encryptKey,
    LARK_DOMAIN: fakeUrl,
    DATABASE_URL: database.url,
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: prefix,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    INSTANCE_CLOCK: OPEN_AT,
  };
  // Started one after the other: two tsx compilations at once only slow each other down.
  const a = await startInstance('webhook', { ...env, LARK_MODE: 'webhook' });
  await startInstance('ws', { ...env, LARK_MODE: 'ws' });
  await waitFor('the ws instance to connect', () => fake.webSocketClients(HARNESS_APP.appId) === 1);
  const driver = (viaWebSocket: boolean) => {
    const d = new FeishuDriver({ targetUrl: `http://127.0.0.1:${a.port}/lark/events`, appId: HARNESS_APP.appId, verificationToken: HARNESS_APP.verificationToken, encryptKey: HARNESS_APP.encryptKey, fake });
    d.viaWebSocket = viaWebSocket;
    return d;
  };
  webhook = driver(false);
  ws = driver(true);
}, 300_000);

afterAll(async () => {
  try {
    await Promise.all(instances.map(stopInstance));
  } finally {
    await fake?.stop();
    if (prefix) await deleteRedisKeys(prefix);
    await database?.drop();
  }
}, 90_000);

describe('(f) two instances, one webhook and one long connection', () => {
  let cycleId: number;

  it('open the cycle once and prompt each owner once, though both tick and open at the same moment', async () => {
    // Both schedulers run; one leads and its first tick opens the cycle. Meanwhile both also
    // enqueue every tick job and open the period themselves, at once, three times over.
    for (let k = 0; k < 3; k++) await Promise.all([both({ type: 'tick' }), both({ type: 'open', kind: 'monthly', periodKey: '2026-11' })]);
    await waitFor('a prompt to every owner', () => owners.every((o) => prompts(o.openId).length >= 1));
    await quiet();

    const status = (await both({ type: 'status' })) as { leader: boolean }[];
    expect(status.filter((s) => s.leader)).toHaveLength(1);
    // 2026-11-20 also opens the weekly W47 (no weekly projects here): one row per (kind, period).
    const all = await database.db.selectFrom('cycles').select(['id', 'kind', 'period_key', 'state']).execute();
    expect(new Set(all.map((c) => `${c.kind}/${c.period_key}`)).size).toBe(all.length);
    const cycles = all.filter((c) => c.kind === 'monthly');
    expect(cycles).toEqual([expect.objectContaining({ kind: 'monthly', period_key: '2026-11', state: 'open' })]);
    cycleId = cycles[0].id;
    const perOwner = owners.map((o) => prompts(o.openId).length);
    const outbound = await database.db.selectFrom('outbound_messages').select(['kind', 'state']).where('kind', '=', 'prompt').execute();
    printFigures('(f) two instances: open', { cases: 3 * 4 + 1, failures: 0, lost: perOwner.filter((n) => n === 0).length, duplicates: perOwner.filter((n) => n > 1).length, cycles: cycles.length, prompts: perOwner.reduce((a, b) => a + b, 0), owners: OWNERS });
    expect(perOwner).toEqual(owners.map(() => 1));
    expect(outbound).toHaveLength(OWNERS);
    expect(outbound.every((r) => r.state === 'sent')).toBe(true);
  }, 180_000);

  it('store a callback delivered on both paths once, and answer both deliveries alike', async () => {
    const deliveries: string[] = [];
    for (const [i, order] of (['together', 'webhook first', 'ws first'] as const).entries()) {
      const o = owners[i];
      const prompt = prompts(o.openId)[0];
      const params = { operatorOpenId: o.openId, messageId: prompt.message_id, value: { a: 'report.submit', projectId: o.projectId, cycleId }, formValue: reportForm({ [F.progress]: `双通道${i}` }) };
      let answers;
      if (order === 'together') {
        const first = webhook.cardAction(params);
        // The same bytes (same event id) the webhook got, pushed over the long connection at once.
        const second = ws.redeliver(webhook.last!);
        answers = await Promise.all([first, second]);
      } else {
        const [a, b] = order === 'webhook first' ? [webhook, ws] : [ws, webhook];
        const r1 = await a.cardAction(params);
        answers = [r1, await b.redeliver(r1.delivery)];
      }
      deliveries.push(order);
      const toasts = answers.map((r) => ({ status: r.status, toast: (r.body as { toast?: { type: string; content: string } }).toast }));
      expect(toasts[0]).toEqual({ status: 200, toast: expect.objectContaining({ type: 'success' }) });
      expect(toasts[1]).toEqual(toasts[0]);
    }
    // A chat message on both paths: recorded once, answered once.
    const m = await webhook.sendMessageEvent({ senderOpenId: owners[0].openId, text: '帮助', chatType: 'p2p' });
    expect((await ws.redeliver(m.delivery)).status).toBe(200);
    await waitFor('the help answer', () => fake.messages().some((x) => x.replyTo === m.messageId));
    await quiet();

    const reports = await database.db.selectFrom('reports').select(['project_id', 'revision', 'progress']).where('cycle_id', '=', cycleId).orderBy('project_id').execute();
    const revisions = await database.db.selectFrom('report_revisions').select('project_id').where('cycle_id', '=', cycleId).execute();
    const replies = fake.messages().filter((x) => x.replyTo === m.messageId);
    printFigures('(f) two instances: both paths', { cases: deliveries.length * 2 + 2, failures: 0, lost: 3 - reports.length, duplicates: revisions.length - 3 + (replies.length - 1), reports: reports.length, revisions: revisions.length, replies: replies.length });
    expect(reports).toEqual([0, 1, 2].map((i) => ({ project_id: owners[i].projectId, revision: 1, progress: `双通道${i}` })));
    expect(revisions).toHaveLength(3);
    expect(replies).toHaveLength(1);
  }, 120_000);

  it('close once and raise one escalation per (project, level), one card per leader, though both close and escalate at once', async () => {
    await both({ type: 'clock', at: DUE_AT });
    // The leader's tick enqueues the close within a second; both also tick, close and run the
    // escalation ladder themselves, concurrently.
    await Promise.all([both({ type: 'tick' }), both({ type: 'close', cycleId })]);
    await Promise.all([both({ type: 'escalate', cycleId }), both({ type: 'tick' })]);
    await waitFor('escalation cards to both leaders', () => Object.values(leaders).every((l) => escalationCards(l).length >= 1));
    await quiet();
    // And once more, after everything settled: a repeated run changes nothing.
    await both({ type: 'escalate', cycleId });
    await quiet();

    const cycle = await database.db.selectFrom('cycles').select(['state']).where('id', '=', cycleId).executeTakeFirstOrThrow();
    expect(cycle.state).toBe('closed');
    const rows = await database.db.selectFrom('escalations').select(['project_id', 'level']).where('cycle_id', '=', cycleId).execute();
    const keys = rows.map((r) => `${r.project_id}/${r.level}`);
    const missed = owners.slice(3).map((o) => o.projectId);
    const perLeader = Object.fromEntries(Object.entries(leaders).map(([k, id]) => [k, escalationCards(id).length]));
    const allCards = fake.messages({ msg_type: 'interactive' }).filter((m) => m.raw_content.includes('escalation.acknowledge'));
    const perReceiver = new Map<string, number>();
    for (const c of allCards) perReceiver.set(c.receive_id, (perReceiver.get(c.receive_id) ?? 0) + 1);
    const promptsNow = owners.map((o) => prompts(o.openId).length);
    printFigures('(f) two instances: close', {
      cases: 6,
      failures: 0,
      lost: missed.filter((p) => !keys.includes(`${p}/1`)).length,
      duplicates: keys.length - new Set(keys).size + [...perReceiver.values()].filter((n) => n > 1).length,
      escalations: rows.length,
      escalationCards: allCards.length,
    });
    expect(new Set(keys).size).toBe(keys.length);
    // Every owner who never answered reaches his leader (those who filed may too, for their light).
    const level1 = rows.filter((r) => r.level === 1).map((r) => r.project_id);
    expect(missed.filter((p) => !level1.includes(p))).toEqual([]);
    expect(perLeader).toEqual({ 甲: 1, 乙: 1 });
    expect([...perReceiver.values()].every((n) => n === 1)).toBe(true);
    expect(promptsNow).toEqual(owners.map(() => 1));
  }, 180_000);
});
