// A project's 包保领导 replaced in the registry while its level-1 case is open: the case follows
// the registry. 我的督办 / 待办 list it for the new leader and no longer for the former one, the
// daily refresh hands the new leader its card once (with the former leader's 已阅 on it) and
// keeps his card fresh after that, and sends the former leader nothing more about it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escalationFields } from '../../src/cards/escalation.card.js';
import { closeCycle as closeCycleService } from '../../src/cycle/cycle.service.js';
import { refreshAgingCards } from '../../src/escalation/escalation-refresh.js';
import type { SandboxMessage } from '../../src/sandbox/index.js';
import { drained } from '../cycle/cycle-env.js';
import { addDepartment, addPerson, addProject, openCycle, startScenario, until, type Scenario, type TestPerson } from '../submission/scenario.js';

type Body = { toast?: { type: string; content: string } };

let h: Scenario;
const people: Record<string, TestPerson> = {};
const projects: Record<string, { id: number; code: string; name: string }> = {};
let caseA: number;

const cardsTo = (p: TestPerson) => h.fake.messages({ receive_id: p.openId, msg_type: 'interactive' }).filter((m: SandboxMessage) => m.raw_content.includes('escalation.acknowledge'));
const ackOf = (m: SandboxMessage, id: number) => m.raw_content.includes(`"a":"escalation.acknowledge","escalationId":${id}`);

async function say(who: TestPerson, text: string): Promise<void> {
  const r = await h.driver.sendMessageEvent({ senderOpenId: who.openId, text, chatType: 'p2p', chatId: h.fake.p2pChatId(who.openId)! });
  expect(r.status).toBe(200);
}
const replyTo = (who: TestPerson, needle: string, after = 0) =>
  until(() => h.fake.messages({ chat_id: h.fake.p2pChatId(who.openId)! }).slice(after).find((m) => m.raw_content.includes(needle)));
const chatCount = (who: TestPerson) => h.fake.messages({ chat_id: h.fake.p2pChatId(who.openId)! }).length;

async function refresh(at: string) {
  h.clock.set(at);
  const r = await refreshAgingCards(h.ctx);
  await drained(h.ctx);
  return r;
}

beforeAll(async () => {
  h = await startScenario('2026-10-20T09:00');
  const db = h.ctx.db;
  for (const name of ['杜磊秀', '周敏', '孙新', '王建国']) people[name] = await addPerson(h, name);
  const dept = await addDepartment(db, '市发改委', null);
  // 周敏 leads 甲 and 乙; nobody files either in October, so both reach him at the close.
  for (const [k, name] of [['A', '项目甲'], ['B', '项目乙']] as const) {
    projects[k] = await addProject(db, { name, region: '天城县', departmentId: dept, ownerId: people['杜磊秀'].id, leaderId: people['周敏'].id, viceMayorId: people['王建国'].id });
  }
  const october = await openCycle(db, '2026-10');
  h.clock.set('2026-10-26T18:00');
  await closeCycleService(h.ctx, october);
  await drained(h.ctx);
  caseA = (await db.selectFrom('escalations').select('id').where('project_id', '=', projects.A.id).where('level', '=', 1).executeTakeFirstOrThrow()).id;

  // 周敏 reads 甲's case, then the registry's next import names 孙新 as 甲's 包保领导.
  h.clock.set('2026-10-27T09:00');
  const [digest] = cardsTo(people['周敏']);
  const read = await h.driver.cardAction({ operatorOpenId: people['周敏'].openId, messageId: digest.message_id, value: { a: 'escalation.acknowledge', escalationId: caseA } });
  expect((read.body as Body).toast?.type).toBe('success');
  await drained(h.ctx);
  // registry-store's write of a re-imported 清单 (as in test/reliability/authorisation.test.ts).
  await db.updateTable('projects').set({ leader_id: people['孙新'].id }).where('id', '=', projects.A.id).execute();
}, 90_000);

afterAll(async () => {
  await h?.stop();
});

describe('a level-1 case whose 包保领导 the registry replaced', () => {
  it('我的督办 lists it for the new leader and not for the former one, who keeps his other case', async () => {
    await say(people['孙新'], '我的督办');
    const sun = await replyTo(people['孙新'], '待处理的督办事项');
    expect(sun.raw_content).toContain('项目甲');
    expect(sun.raw_content).not.toContain('项目乙');
    await say(people['周敏'], '我的督办');
    const zhou = await replyTo(people['周敏'], '待处理的督办事项');
    expect(zhou.raw_content).toContain('项目乙');
    expect(zhou.raw_content).not.toContain('项目甲');
  });

  it('the refresh hands the new leader the case once, with the former leader’s 已阅, and sends the former one nothing', async () => {
    const zhouBefore = cardsTo(people['周敏']).length;
    const first = await refresh('2026-10-28T08:00');
    expect(first.handovers).toBe(1);
    const handed = cardsTo(people['孙新']);
    expect(handed).toHaveLength(1);
    expect(handed[0].raw_content).toContain('项目甲');
    expect(handed[0].raw_content).not.toContain('项目乙');
    expect(handed[0].raw_content).toContain('转由您处理');
    expect(handed[0].raw_content).toContain('已阅 · 周敏');
    expect(cardsTo(people['周敏'])).toHaveLength(zhouBefore);

    // Twice the same day, and the next day: nothing more to either.
    const total = h.fake.messages({}).length;
    expect((await refresh('2026-10-28T08:30')).handovers).toBe(0);
    expect((await refresh('2026-10-29T08:00')).handovers).toBe(0);
    expect(h.fake.messages({})).toHaveLength(total);
    const row = await h.ctx.db.selectFrom('escalations').select('target_person_id').where('id', '=', caseA).executeTakeFirstOrThrow();
    expect(row.target_person_id).toBe(people['孙新'].id);
  });

  it('the new leader’s click on the handed-over card works; the former leader’s click is refused', async () => {
    h.clock.set('2026-10-29T09:00');
    const [card] = cardsTo(people['孙新']);
    const read = await h.driver.cardAction({ operatorOpenId: people['孙新'].openId, messageId: card.message_id, value: { a: 'escalation.acknowledge', escalationId: caseA } });
    expect((read.body as Body).toast).toMatchObject({ type: 'success', content: '已标记为已阅' });
    const [old] = cardsTo(people['周敏']);
    const refused = await h.driver.cardAction({
      operatorOpenId: people['周敏'].openId,
      messageId: old.message_id,
      value: { a: 'escalation.supervise', escalationId: caseA },
      formValue: { [escalationFields(caseA).deadline]: '2026-11-30' },
    });
    expect((refused.body as Body).toast?.type).toBe('error');
    const actors = await h.ctx.db.selectFrom('escalation_actions').select(['actor_id', 'action']).where('escalation_id', '=', caseA).orderBy('id').execute();
    expect(actors).toEqual([
      { actor_id: people['周敏'].id, action: 'acknowledge' },
      { actor_id: people['孙新'].id, action: 'acknowledge' },
    ]);
    await drained(h.ctx);
  });

  it('待办 sends the new leader an actionable card for it, and the former leader one without it', async () => {
    const sunBefore = cardsTo(people['孙新']).length;
    await say(people['孙新'], '待办');
    const sun = await until(() => cardsTo(people['孙新']).slice(sunBefore).find((m) => m.raw_content.includes('您的待办督办事项')));
    expect(ackOf(sun, caseA)).toBe(true);
    expect(sun.raw_content).toContain('已阅 · 周敏');
    expect(sun.raw_content).toContain('已阅 · 孙新');
    const zhouBefore = cardsTo(people['周敏']).length;
    const chat = chatCount(people['周敏']);
    await say(people['周敏'], '待办');
    await replyTo(people['周敏'], '已发送最新的待办卡片', chat);
    const zhou = await until(() => cardsTo(people['周敏']).slice(zhouBefore).find((m) => m.raw_content.includes('您的待办督办事项')));
    expect(zhou.raw_content).toContain('项目乙');
    expect(ackOf(zhou, caseA)).toBe(false);
    expect(zhou.raw_content).not.toContain('项目甲');
  });

  it('when cards age, the refresh renews the new leader’s card for it and the former leader’s only for his own case, once', async () => {
    const sunBefore = cardsTo(people['孙新']).length;
    const zhouBefore = cardsTo(people['周敏']).length;
    // Twelve days (CARD_REFRESH_DAYS) after the 待办 cards of 10-29.
    const r = await refresh('2026-11-11T08:00');
    expect(r).toMatchObject({ handovers: 0, leaders: 2 });
    const sun = cardsTo(people['孙新']).slice(sunBefore);
    expect(sun).toHaveLength(1);
    expect(sun[0].raw_content).toContain('原卡片即将过期');
    expect(ackOf(sun[0], caseA)).toBe(true);
    const zhou = cardsTo(people['周敏']).slice(zhouBefore);
    expect(zhou).toHaveLength(1);
    expect(zhou[0].raw_content).toContain('项目乙');
    expect(ackOf(zhou[0], caseA)).toBe(false);

    const total = h.fake.messages({}).length;
    await refresh('2026-11-11T09:00');
    expect(h.fake.messages({})).toHaveLength(total);
  });
});
