// Two Feishu behaviours the escalation ladder leans on, seen from the simulated tenant:
// a 2.0 card can be clicked for 14 days only (the client refuses a click on an older card, so a
// department contact needs a fresh card to act on a problem raised weeks ago), and a level-2
// escalation is followed by an urgent (加急) notice only when ESCALATION_URGENT is on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_FIELDS as F, YES } from '../../src/cards/card-actions.js';
import { MAX_DIGEST_ITEMS } from '../../src/cards/escalation.card.js';
import { closeCycle as closeCycleService } from '../../src/cycle/cycle.service.js';
import { CallbackRefusedError } from '../../src/sandbox/callback-rules.js';
import type { SandboxMessage } from '../../src/sandbox/index.js';
import { drained } from '../cycle/cycle-env.js';
import { startHarness } from '../helpers/harness.js';
import {
  addDepartment, addPerson, addProject, openCycle, promptCards, reportForm, shanghai, TestClock, until,
  type Scenario, type TestPerson,
} from '../submission/scenario.js';

type Body = { toast?: { type: string; content: string } };
type World = { h: Scenario; people: Record<string, TestPerson>; problemId: number };

const DAY_MS = 24 * 3600 * 1000;

/**
 * 杜磊秀 never files project 甲 nor ten more (level 1 to 周敏 at the close, more than one card
 * holds: MAX_DIGEST_ITEMS); 钱多多 files 丁 with a problem
 * needing the city (level 2 to 王建国 at the close), handled by 发改委联络人.
 */
async function world(env: Record<string, string>): Promise<World> {
  const clock = new TestClock(shanghai('2026-10-20T09:00'));
  const t0 = Date.now();
  // The tenant (and the driver clicking for users) keeps the harness's time, still moving in real
  // time between steps so rate windows and token lifetimes behave: card ages follow the clock.
  const tenantNow = () => clock.now().getTime() + (Date.now() - t0);
  const h: Scenario = Object.assign(await startHarness({ now: clock.now, env, fake: { now: tenantNow } }), { clock });
  const db = h.ctx.db;
  const people: Record<string, TestPerson> = {};
  for (const name of ['杜磊秀', '钱多多', '周敏', '孙包保', '王建国', '发改委联络人']) people[name] = await addPerson(h, name);
  const dept = await addDepartment(db, '市发改委', people['发改委联络人'].id);
  await addProject(db, { name: '项目甲', region: '天城县', departmentId: dept, ownerId: people['杜磊秀'].id, leaderId: people['周敏'].id, viceMayorId: people['王建国'].id });
  for (let i = 1; i <= MAX_DIGEST_ITEMS; i++) await addProject(db, { name: `项目甲${i}`, region: '天城县', departmentId: dept, ownerId: people['杜磊秀'].id, leaderId: people['周敏'].id, viceMayorId: people['王建国'].id });
  const d = await addProject(db, { name: '项目丁', region: '天城县', departmentId: dept, ownerId: people['钱多多'].id, leaderId: people['孙包保'].id, viceMayorId: people['王建国'].id });
  const october = await openCycle(db, '2026-10');
  const prompts = await promptCards(h, october, people['钱多多']);
  h.clock.set('2026-10-22T10:00');
  const r = await h.driver.cardAction({
    operatorOpenId: people['钱多多'].openId,
    messageId: prompts.get('项目丁')!,
    value: { a: 'report.submit', projectId: d.id, cycleId: october },
    formValue: reportForm({ [F.problemCategory]: '用地', [F.problemDescription]: '跨区县用地指标需市级统筹', [F.problemDepartment]: String(dept), [F.problemNeedsCity]: YES }),
  });
  expect((r.body as Body).toast?.type).toBe('success');
  await drained(h.ctx);
  h.clock.set('2026-10-26T18:00');
  await closeCycleService(h.ctx, october);
  await drained(h.ctx);
  const problemId = (await db.selectFrom('problems').select('id').where('project_id', '=', d.id).executeTakeFirstOrThrow()).id;
  return { h, people, problemId };
}

const leaderCards = (w: World, who: string) =>
  w.h.fake.messages({ receive_id: w.people[who].openId, msg_type: 'interactive' }).filter((m: SandboxMessage) => m.raw_content.includes('escalation.acknowledge'));
const problemCards = (w: World, who: string) =>
  w.h.fake.messages({ receive_id: w.people[who].openId, msg_type: 'interactive' }).filter((m: SandboxMessage) => m.raw_content.includes('problem.accept'));

describe('with ESCALATION_URGENT=true', () => {
  let w: World;
  beforeAll(async () => {
    w = await world({ ESCALATION_URGENT: 'true' });
  }, 90_000);
  afterAll(async () => {
    await w?.h.stop();
  });

  it('follows a level-2 card with an urgent (加急) notice to the vice-mayor, and a level-1 card with none', () => {
    const wang = leaderCards(w, '王建国');
    expect(wang).toHaveLength(1);
    expect(wang[0].raw_content).toContain('项目丁');
    expect(wang[0].urgent).toEqual([expect.objectContaining({ kind: 'app', user_ids: [w.people['王建国'].openId] })]);
    const zhou = leaderCards(w, '周敏');
    expect(zhou.every((m) => m.urgent.length === 0)).toBe(true);
  });

  it('splits a digest of more escalations than one card holds, each escalation on exactly one card', () => {
    const zhou = leaderCards(w, '周敏');
    expect(zhou).toHaveLength(2);
    const ids = zhou.flatMap((m) => [...m.raw_content.matchAll(/"a":"escalation\.acknowledge","escalationId":(\d+)/g)].map((x) => Number(x[1])));
    expect(ids).toHaveLength(MAX_DIGEST_ITEMS + 1);
    expect(new Set(ids).size).toBe(MAX_DIGEST_ITEMS + 1);
    expect(zhou.map((m) => m.raw_content.length).every((n) => n < 30 * 1024)).toBe(true);
    expect(w.h.fake.messages({}).filter((m) => m.urgent.length > 0)).toHaveLength(1);
  });

  it('refuses a click on a problem card older than 14 days; a fresh card from 待办 works and resolves the problem', async () => {
    const [old] = problemCards(w, '发改委联络人');
    expect(old.raw_content).toContain('跨区县用地指标需市级统筹');
    w.h.clock.set('2026-11-12T10:00');
    expect(w.h.clock.now().getTime() - old.created_at).toBeGreaterThan(20 * DAY_MS);

    const click = w.h.driver.cardAction({ operatorOpenId: w.people['发改委联络人'].openId, messageId: old.message_id, value: { a: 'problem.accept', problemId: w.problemId } });
    await expect(click).rejects.toThrow(CallbackRefusedError);
    await expect(click).rejects.toThrow(/14 days only/);
    // The bot never heard of the click: nothing changed.
    const before = await w.h.ctx.db.selectFrom('problems').select('status').where('id', '=', w.problemId).executeTakeFirstOrThrow();
    expect(before.status).toBe('open');

    const contact = w.people['发改委联络人'];
    const sent = await w.h.driver.sendMessageEvent({ senderOpenId: contact.openId, text: '待办', chatType: 'p2p', chatId: w.h.fake.p2pChatId(contact.openId)! });
    expect(sent.status).toBe(200);
    const fresh = await until(() => problemCards(w, '发改委联络人').find((m) => m.message_id !== old.message_id && m.raw_content.includes('待办问题（最新卡片')));
    expect(w.h.clock.now().getTime() - fresh.created_at).toBeLessThan(DAY_MS);

    const accept = await w.h.driver.cardAction({ operatorOpenId: contact.openId, messageId: fresh.message_id, value: { a: 'problem.accept', problemId: w.problemId } });
    expect((accept.body as Body).toast?.type).toBe('success');
    const resolve = await w.h.driver.cardAction({
      operatorOpenId: contact.openId,
      messageId: fresh.message_id,
      value: { a: 'problem.resolve', problemId: w.problemId },
      formValue: { resolution_note: '市级协调会已明确用地指标' },
    });
    expect((resolve.body as Body).toast?.type).toBe('success');
    const after = await w.h.ctx.db.selectFrom('problems').select('status').where('id', '=', w.problemId).executeTakeFirstOrThrow();
    expect(after.status).toBe('resolved');
    // The old card stays unclickable even now.
    await expect(w.h.driver.cardAction({ operatorOpenId: contact.openId, messageId: old.message_id, value: { a: 'problem.resolve', problemId: w.problemId } })).rejects.toThrow(CallbackRefusedError);
  });
});

describe('with ESCALATION_URGENT at its default', () => {
  let w: World;
  beforeAll(async () => {
    w = await world({});
  }, 90_000);
  afterAll(async () => {
    await w?.h.stop();
  });

  it('sends the level-2 card without any urgent notice', () => {
    const wang = leaderCards(w, '王建国');
    expect(wang).toHaveLength(1);
    expect(wang[0].raw_content).toContain('项目丁');
    expect(w.h.fake.messages({}).flatMap((m) => m.urgent)).toEqual([]);
  });
});
