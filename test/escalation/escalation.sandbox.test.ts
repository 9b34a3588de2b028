// The ladder from the outside: cycles closed by the service (what `cycle close` and the close job
// call), cards recorded by the simulated tenant, the CLI's view. Owners who never answer reach
// their 包保领导 (one digest for a leader of several projects), then the right 分管副市长 at the
// next close; a city-level problem goes straight to level 2; re-running a close sends nothing
// twice; 已阅 / 督办 / 批示 are stored, passed down and shown; a late filing resolves its case.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_FIELDS as F, YES } from '../../src/cards/card-actions.js';
import { escalationFields } from '../../src/cards/escalation.card.js';
import { escalationCommands } from '../../src/cli/escalation.commands.js';
import { closeCycle as closeCycleService } from '../../src/cycle/cycle.service.js';
import type { SandboxMessage } from '../../src/sandbox/index.js';
import { drained } from '../cycle/cycle-env.js';
import {
  addDepartment, addPerson, addProject, cardText, openCycle, promptCards, reportForm, startScenario, until,
  type Scenario, type TestPerson,
} from '../submission/scenario.js';

type Body = { toast?: { type: string; content: string }; card?: { type: string; data: Record<string, unknown> } };

let h: Scenario;
const people: Record<string, TestPerson> = {};
const projects: Record<string, { id: number; code: string; name: string }> = {};
let october: number;
let november: number;
let promptsC = new Map<string, string>();

async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  const words = argv.join(' ');
  const command = [...escalationCommands].sort((a, b) => b.name.length - a.name.length).find((c) => words.startsWith(c.name))!;
  const lines: string[] = [];
  const code = await command.run(argv.slice(command.name.split(' ').length), h.ctx, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  return { code, out: lines.join('\n') };
}

const cardsTo = (p: TestPerson) => h.fake.messages({ receive_id: p.openId, msg_type: 'interactive' }).filter((m: SandboxMessage) => m.raw_content.includes('escalation.acknowledge'));
const textsTo = (p: TestPerson) => h.fake.messages({ receive_id: p.openId, msg_type: 'text' });
const allEscalationCards = () => h.fake.messages({ msg_type: 'interactive' }).filter((m: SandboxMessage) => m.raw_content.includes('escalation.acknowledge'));

async function close(cycleId: number, at: string) {
  h.clock.set(at);
  await closeCycleService(h.ctx, cycleId);
  await drained(h.ctx);
}

beforeAll(async () => {
  h = await startScenario('2026-10-20T09:00');
  const db = h.ctx.db;
  for (const name of ['杜磊秀', '赵辉敏', '钱多多', '周敏', '吴海涛', '孙包保', '王建国', '李副市长', '发改委联络人']) people[name] = await addPerson(h, name);
  const dept = await addDepartment(db, '市发改委', people['发改委联络人'].id);
  const p = (name: string, o: object) => addProject(db, { name, region: '天城县', departmentId: dept, ...o });
  // 杜磊秀 owns A and B (leader 周敏, two vice-mayors); 赵辉敏 owns C (leader 吴海涛); 钱多多 owns D (leader 孙包保), who files.
  projects.A = await p('项目甲', { ownerId: people['杜磊秀'].id, leaderId: people['周敏'].id, viceMayorId: people['王建国'].id });
  projects.B = await p('项目乙', { ownerId: people['杜磊秀'].id, leaderId: people['周敏'].id, viceMayorId: people['李副市长'].id });
  projects.C = await p('项目丙', { ownerId: people['赵辉敏'].id, leaderId: people['吴海涛'].id, viceMayorId: people['王建国'].id, region: '云溪区' });
  projects.D = await p('项目丁', { ownerId: people['钱多多'].id, leaderId: people['孙包保'].id, viceMayorId: people['王建国'].id });
  october = await openCycle(db, '2026-10');
  promptsC = await promptCards(h, october, people['赵辉敏']);
  const promptsD = await promptCards(h, october, people['钱多多']);
  // D files on time and raises a problem needing city-level coordination.
  h.clock.set('2026-10-22T10:00');
  const r = await h.driver.cardAction({
    operatorOpenId: people['钱多多'].openId,
    messageId: promptsD.get('项目丁')!,
    value: { a: 'report.submit', projectId: projects.D.id, cycleId: october },
    formValue: reportForm({ [F.problemCategory]: '用地', [F.problemDescription]: '跨区县用地指标需市级统筹', [F.problemDepartment]: String(dept), [F.problemNeedsCity]: YES }),
  });
  expect((r.body as Body).toast?.type).toBe('success');
  await drained(h.ctx);
}, 90_000);

afterAll(async () => {
  await h?.stop();
});

describe('the first close', () => {
  it('sends level-1 cards to exactly the leaders of owners who never answered: one digest for 周敏', async () => {
    await close(october, '2026-10-26T18:00');
    const zhou = cardsTo(people['周敏']);
    expect(zhou).toHaveLength(1);
    expect(zhou[0].raw_content).toContain('项目甲');
    expect(zhou[0].raw_content).toContain('项目乙');
    expect(zhou[0].raw_content).toContain('督办事项汇总：2 个项目');
    expect(zhou[0].raw_content).toContain('2026年10月未在截止时间');
    expect(zhou[0].raw_content).toContain('序时进度');
    const wu = cardsTo(people['吴海涛']);
    expect(wu).toHaveLength(1);
    expect(wu[0].raw_content).toContain('督办提醒：项目丙');
    expect(wu[0].raw_content).not.toContain('项目甲');
    expect(cardsTo(people['孙包保'])).toHaveLength(0);
    // Every leader card is a JSON 2.0 card.
    for (const m of allEscalationCards()) expect((m.content as { schema?: string }).schema).toBe('2.0');
  });

  it('sends a city-level problem straight to the 分管副市长', async () => {
    const wang = cardsTo(people['王建国']);
    expect(wang).toHaveLength(1);
    expect(wang[0].raw_content).toContain('项目丁');
    expect(wang[0].raw_content).toContain('需市级协调：跨区县用地指标需市级统筹');
    expect(cardsTo(people['李副市长'])).toHaveLength(0);
    const listed = await cli('escalations', 'list', '--level', '2');
    expect(listed.out).toContain(projects.D.code);
    expect(listed.out).not.toContain(projects.A.code);
  });

  it('sends nothing twice when the close and the ladder run again', async () => {
    const before = allEscalationCards().length;
    const again = await cli('escalations', 'run', '--cycle', String(october));
    expect(again.out).toContain('新升级 0 项');
    expect(again.out).toContain('发出领导卡片 0 张');
    await closeCycleService(h.ctx, october);
    await drained(h.ctx);
    expect(allEscalationCards()).toHaveLength(before);
    const rows = await h.ctx.db.selectFrom('escalations').select(['project_id', 'level']).where('cycle_id', '=', october).execute();
    expect(rows).toHaveLength(4);
  });
});

describe("the leader's actions", () => {
  const act = (who: TestPerson, messageId: string, a: string, escalationId: number, formValue?: Record<string, string>) =>
    h.driver.cardAction({ operatorOpenId: who.openId, messageId, value: { a, escalationId }, ...(formValue ? { formValue } : {}) });
  const idOf = async (project: string, level: 1 | 2, cycleId = october) =>
    (await h.ctx.db.selectFrom('escalations').select('id').where('project_id', '=', projects[project].id).where('level', '=', level).where('cycle_id', '=', cycleId).executeTakeFirstOrThrow()).id;

  it('已阅, 督办 with a deadline and 批示 are stored with who and when, passed down, and shown on the updated card', async () => {
    h.clock.set('2026-10-27T09:00');
    const card = cardsTo(people['周敏'])[0];
    const a = await idOf('A', 1);
    const b = await idOf('B', 1);

    const stranger = await act(people['吴海涛'], card.message_id, 'escalation.acknowledge', a);
    expect((stranger.body as Body).toast).toMatchObject({ type: 'error', content: '只有该事项的包保领导或管理员可以操作' });

    const read = await act(people['周敏'], card.message_id, 'escalation.acknowledge', a);
    expect((read.body as Body).toast).toMatchObject({ type: 'success', content: '已标记为已阅' });
    expect(cardText((read.body as Body).card?.data)).toContain('已阅 · 周敏');

    const noDate = await act(people['周敏'], card.message_id, 'escalation.supervise', a, {});
    expect((noDate.body as Body).toast).toMatchObject({ type: 'error', content: '督办请先选择办结期限' });
    const sup = await act(people['周敏'], card.message_id, 'escalation.supervise', a, { [escalationFields(a).deadline]: '2026-11-05 +0800', [escalationFields(a).instruction]: '一周内报送' });
    expect((sup.body as Body).toast?.type).toBe('success');
    const supCard = cardText((sup.body as Body).card?.data);
    expect(supCard).toContain('督办 · 周敏');
    expect(supCard).toContain('限2026-11-05前办结');
    // The digest is re-rendered whole: B is still there with its actions.
    expect(supCard).toContain(`"escalationId":${b}`);

    const emptyText = await act(people['周敏'], card.message_id, 'escalation.instruct', b, { [escalationFields(b).instruction]: '  ' });
    expect((emptyText.body as Body).toast).toMatchObject({ type: 'error', content: '请填写批示内容' });
    const ins = await act(people['周敏'], card.message_id, 'escalation.instruct', b, { [escalationFields(b).instruction]: '请发改委牵头协调，月底前解决' });
    expect((ins.body as Body).toast).toMatchObject({ type: 'success', content: '批示已转项目负责人和责任单位' });
    expect(cardText((ins.body as Body).card?.data)).toContain('批示 · 周敏');

    const stored = await h.ctx.db.selectFrom('escalation_actions as x').innerJoin('people as p', 'p.id', 'x.actor_id').select(['x.escalation_id', 'x.action', 'p.name', 'x.text', 'x.deadline']).orderBy('x.id').execute();
    expect(stored).toEqual([
      { escalation_id: a, action: 'acknowledge', name: '周敏', text: null, deadline: null },
      { escalation_id: a, action: 'supervise', name: '周敏', text: '一周内报送', deadline: '2026-11-05' },
      { escalation_id: b, action: 'instruct', name: '周敏', text: '请发改委牵头协调，月底前解决' , deadline: null },
    ]);
    // Passed down to the owner and the department, naming who decided what.
    for (const who of [people['杜磊秀'], people['发改委联络人']]) {
      const got = await until(() => {
        const ms = h.fake.messages({ receive_id: who.openId, msg_type: 'interactive' }).filter((m) => m.raw_content.includes('包保领导周敏'));
        return ms.length >= 2 ? ms : undefined;
      });
      expect(got.map((m) => m.raw_content).join()).toContain('督办 · 周敏');
      expect(got.map((m) => m.raw_content).join()).toContain('请发改委牵头协调，月底前解决');
    }
    const shown = await cli('escalations', 'show', String(a));
    expect(shown.out).toContain('督办 · 周敏');
    expect(shown.out).toContain('（已转达）');
  });
});

describe('resolution and the next close', () => {
  it('resolves a case when the owner files late, and tells the leader in one line', async () => {
    h.clock.set('2026-10-28T10:00');
    const r = await h.driver.cardAction({
      operatorOpenId: people['赵辉敏'].openId,
      messageId: promptsC.get('项目丙')!,
      value: { a: 'report.submit', projectId: projects.C.id, cycleId: october },
      formValue: reportForm(),
    });
    expect((r.body as Body).toast?.type).toBe('success');
    const told = await until(() => textsTo(people['吴海涛']).find((m) => m.raw_content.includes('督办事项已解除')));
    expect(told.raw_content).toContain('项目丙');
    expect(told.raw_content).toContain('已补报');
    const row = await h.ctx.db.selectFrom('escalations').select(['state', 'resolution']).where('project_id', '=', projects.C.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ state: 'resolved', resolution: '已补报' });
    await drained(h.ctx);
    // The card the leader holds is updated to show it.
    const card = h.fake.messages({ receive_id: people['吴海涛'].openId, msg_type: 'interactive' })[0];
    expect(card.raw_content).toContain('已解除');
    expect(card.raw_content).not.toContain('escalation.acknowledge');
  });

  it('sends unresolved cases to the right 分管副市长 at the next close, once', async () => {
    november = await openCycle(h.ctx.db, '2026-11');
    // Nobody files in November: A and B stay unanswered since October.
    await close(november, '2026-11-25T18:00');
    const wang = cardsTo(people['王建国']);
    const li = cardsTo(people['李副市长']);
    const wangNew = wang.filter((m) => m.raw_content.includes('项目甲'));
    expect(wangNew).toHaveLength(1);
    expect(wangNew[0].raw_content).toContain('2026年10月已报包保领导的事项至今未解决');
    expect(wang.some((m) => m.raw_content.includes('项目丙'))).toBe(false);
    expect(li).toHaveLength(1);
    expect(li[0].raw_content).toContain('项目乙');
    // D's city-level problem is one open case, not raised again.
    expect(wang.filter((m) => m.raw_content.includes('项目丁'))).toHaveLength(1);

    const before = allEscalationCards().length;
    await cli('escalations', 'run', '--cycle', String(november));
    await closeCycleService(h.ctx, november);
    await drained(h.ctx);
    expect(allEscalationCards()).toHaveLength(before);
    const open2 = await cli('escalations', 'list', '--level', '2', '--open', '--region', '天城县');
    expect(open2.out).toContain(projects.A.code);
    expect(open2.out).toContain(projects.B.code);
    expect(open2.out).not.toContain(projects.C.code);
  });
});

describe('leaders in chat and cards that outlive 14 days', () => {
  async function say(who: TestPerson, text: string) {
    const r = await h.driver.sendMessageEvent({ senderOpenId: who.openId, text, chatType: 'p2p', chatId: h.fake.p2pChatId(who.openId)! });
    expect(r.status).toBe(200);
    return r.messageId;
  }
  const replyTo = (who: TestPerson, needle: string) =>
    // Chat answers are replies in the direct chat; fresh cards go to the person.
    until(() => [...h.fake.messages({ receive_id: who.openId }), ...h.fake.messages({ chat_id: h.fake.p2pChatId(who.openId)! })].find((m) => m.raw_content.includes(needle)));

  it('我的督办 lists a leader’s open cases; 项目 XM… shows status and light history only to those concerned', async () => {
    h.clock.set('2026-11-26T09:00');
    await say(people['周敏'], '我的督办');
    const list = await replyTo(people['周敏'], '待处理的督办事项');
    expect(list.raw_content).toContain('项目甲');
    expect(list.raw_content).toContain('项目乙');
    await say(people['周敏'], `项目 ${projects.A.code}`);
    const status = await replyTo(people['周敏'], '预警灯：');
    expect(status.raw_content).toContain('2026年10月🟡 → 2026年11月🔴');
    await say(people['赵辉敏'], `项目 ${projects.A.code}`);
    await replyTo(people['赵辉敏'], '不能查看该项目');
  });

  it('the daily refresh sends fresh cards for cases whose card is about to expire, once a day', async () => {
    const { refreshAgingCards } = await import('../../src/escalation/escalation-refresh.js');
    const before = cardsTo(people['王建国']).length;
    await refreshAgingCards(h.ctx);
    await drained(h.ctx);
    const fresh = cardsTo(people['王建国']).slice(before);
    expect(fresh).toHaveLength(1);
    expect(fresh[0].raw_content).toContain('原卡片即将过期');
    expect(fresh[0].raw_content).toContain('项目丁');
    // The department contact of D's problem (unchanged since 10-22) gets a fresh problem card.
    await replyTo(people['发改委联络人'], '原卡片即将过期');
    const total = h.fake.messages({}).length;
    await refreshAgingCards(h.ctx);
    await drained(h.ctx);
    expect(h.fake.messages({})).toHaveLength(total);
  });

  it('待办 answers with fresh actionable cards that work: a department resolves a problem raised a month ago, and the city-level case resolves', async () => {
    await say(people['发改委联络人'], '待办');
    await replyTo(people['发改委联络人'], '已发送最新的待办卡片');
    const problem = await h.ctx.db.selectFrom('problems').select(['id', 'raised_at']).where('project_id', '=', projects.D.id).executeTakeFirstOrThrow();
    expect(h.clock.now().getTime() - problem.raised_at.getTime()).toBeGreaterThan(20 * 24 * 3600 * 1000);
    const fresh = await replyTo(people['发改委联络人'], '待办问题（最新卡片');
    const accept = await h.driver.cardAction({ operatorOpenId: people['发改委联络人'].openId, messageId: fresh.message_id, value: { a: 'problem.accept', problemId: problem.id } });
    expect((accept.body as Body).toast?.type).toBe('success');
    const resolve = await h.driver.cardAction({
      operatorOpenId: people['发改委联络人'].openId,
      messageId: fresh.message_id,
      value: { a: 'problem.resolve', problemId: problem.id },
      formValue: { resolution_note: '市级协调会已明确用地指标' },
    });
    expect((resolve.body as Body).toast?.type).toBe('success');
    const told = await until(() => textsTo(people['王建国']).find((m) => m.raw_content.includes('项目丁')));
    expect(told.raw_content).toContain('问题已解决');

    await say(people['周敏'], '待办');
    const card = await until(() => cardsTo(people['周敏']).find((m) => m.raw_content.includes('您的待办督办事项')));
    const nov = (await h.ctx.db.selectFrom('escalations').select('id').where('project_id', '=', projects.A.id).where('cycle_id', '=', november).where('level', '=', 1).executeTakeFirstOrThrow()).id;
    const read = await h.driver.cardAction({ operatorOpenId: people['周敏'].openId, messageId: card.message_id, value: { a: 'escalation.acknowledge', escalationId: nov } });
    expect((read.body as Body).toast).toMatchObject({ type: 'success', content: '已标记为已阅' });
    // The fresh card re-renders whole: both projects, November's case marked as read.
    const shown = cardText((read.body as Body).card?.data);
    expect(shown).toContain('项目乙');
    expect(shown).toContain('已阅 · 周敏');
  });

  it('exempts a project from lights by CLI, lists and removes the exemption', async () => {
    const bad = await cli('exempt', projects.A.code, '--until', '2027-02-30', '--reason', '冬季停工').catch((e: Error) => ({ code: 1, out: e.message }));
    expect(bad.out).toMatch(/--until/);
    const ok = await cli('exempt', projects.A.code, '--until', '2027-03-01', '--reason', '冬季停工');
    expect(ok.out).toContain('冬季停工，至 2027-03-01');
    const list = await cli('exemptions', 'list');
    expect(list.out).toContain(projects.A.code);
    const id = (await h.ctx.db.selectFrom('light_exemptions').select('id').executeTakeFirstOrThrow()).id;
    expect((await cli('exempt', 'remove', String(id))).out).toContain('已撤销');
    expect((await cli('exemptions', 'list')).out).toBe('没有豁免');
  });
});
