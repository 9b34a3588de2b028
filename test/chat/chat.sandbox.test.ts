// Talking to the bot through the whole service: signed message events, the chat job, replies in
// the simulated tenant; for people with no, one and several projects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_FIELDS as F } from '../../src/cards/card-actions.js';
import type { SandboxMessage } from '../../src/sandbox/index.js';
import { addPerson, addProject, cardText, openCycle, reportForm, startScenario, until, type Scenario, type TestPerson } from '../submission/scenario.js';

type Body = { toast?: { type: string; content: string }; card?: { type: string; data: Record<string, unknown> } };

let h: Scenario;
let nobody: TestPerson;
let single: TestPerson;
let several: TestPerson;
let unknown: TestPerson;
let october: number;
let singleProject: { id: number; name: string };
const severalProjects: { id: number; name: string }[] = [];
let groupChat: string;

beforeAll(async () => {
  h = await startScenario('2026-10-24T10:00');
  const db = h.ctx.db;
  nobody = await addPerson(h, '无项目的人');
  single = await addPerson(h, '单项目业主');
  several = await addPerson(h, '多项目业主');
  unknown = await addPerson(h, '陌生人', { registered: false });
  singleProject = await addProject(db, { name: '城东污水处理厂', ownerId: single.id });
  for (const name of ['高新区标准厂房', '滨江大道改造', '人民医院新院区']) severalProjects.push(await addProject(db, { name, ownerId: several.id }));
  october = await openCycle(db, '2026-10');
  groupChat = h.fake.addChat({ name: '天城县调度群' });
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

const p2p = (who: TestPerson) => h.fake.p2pChatId(who.openId)!;

async function say(who: TestPerson, text: string, o: { group?: boolean } = {}) {
  const chatId = o.group ? groupChat : p2p(who);
  const body = o.group ? `@_user_1 ${text}` : text;
  const r = await h.driver.sendMessageEvent({
    senderOpenId: who.openId,
    text: body,
    chatType: o.group ? 'group' : 'p2p',
    chatId,
    ...(o.group ? { mentions: [{ key: '@_user_1', id: { open_id: 'ou_bot' }, name: '调度助手' }] } : {}),
  });
  expect(r.status).toBe(200);
  return { messageId: r.messageId, delivery: r.delivery };
}

const repliesTo = (messageId: string) => h.fake.messages().filter((m) => m.replyTo === messageId);
const firstReply = (messageId: string) => until(() => repliesTo(messageId)[0]);
/** Waits for `n` replies, then a little longer to be sure there is no (n+1)th. */
async function exactlyReplies(messageId: string, n: number): Promise<SandboxMessage[]> {
  await until(() => repliesTo(messageId).length >= n || undefined);
  await new Promise((r) => setTimeout(r, 300));
  return repliesTo(messageId);
}
const textOf = (m: SandboxMessage) => (m.content as { text?: string }).text ?? '';

describe('帮助 and what the bot does not understand', () => {
  it('answers 帮助 with the help card, even to someone not in the registry', async () => {
    const { messageId } = await say(unknown, '帮助');
    const reply = await firstReply(messageId);
    expect(reply.msg_type).toBe('interactive');
    expect(reply.raw_content).toContain('项目调度助手使用说明');
  });

  it('answers anything else with help, not silence', async () => {
    const { messageId } = await say(single, '今天天气怎么样');
    expect((await firstReply(messageId)).raw_content).toContain('没有理解“今天天气怎么样”');
  });

  it('explains politely to someone not in the registry', async () => {
    for (const text of ['填报', '我的项目', '问题']) {
      const { messageId } = await say(unknown, text);
      expect(textOf(await firstReply(messageId))).toBe('没有找到您负责的项目，请联系项目中心。');
    }
  });
});

describe('someone with no projects', () => {
  it('has nothing to file, no projects and no problems', async () => {
    const fill = await say(nobody, '填报');
    expect(textOf(await firstReply(fill.messageId))).toMatch(/您目前没有待填报的项目/);
    const mine = await say(nobody, '我的项目');
    expect(textOf(await firstReply(mine.messageId))).toBe('没有找到您负责的项目，请联系项目中心。');
    const problems = await say(nobody, '问题');
    expect((await firstReply(problems.messageId)).raw_content).toContain('没有与您有关、尚未闭环的问题');
  });
});

describe('an owner with one project', () => {
  it('gets the form again on 填报, once however often the event is delivered', async () => {
    const { messageId, delivery } = await say(single, '填报');
    await h.driver.redeliver(delivery);
    const replies = await exactlyReplies(messageId, 1);
    expect(replies).toHaveLength(1);
    expect(replies[0].raw_content).toContain(singleProject.name);
    expect(replies[0].raw_content).toContain('"a":"report.submit"');
  });

  it('sees the project, its light and a 填报 button on 我的项目', async () => {
    const { messageId } = await say(single, '我的项目');
    const card = (await firstReply(messageId)).raw_content;
    expect(card).toContain(singleProject.name);
    expect(card).toContain('2026年累计 3,700 / 计划 6,000 万元');
    expect(card).toContain(`"a":"report.pick","projectId":${singleProject.id},"cycleId":${october}`);
  });

  it('gets a pre-filled form for a progress note, stores nothing until confirmed, then files it as a chat report', async () => {
    const { messageId } = await say(single, '本周完成投资500万元,主体结构封顶');
    const reply = await firstReply(messageId);
    expect(reply.raw_content).toContain('"default_value":"500万元"');
    expect(reply.raw_content).toContain('"default_value":"主体结构封顶"');
    expect(reply.raw_content).toContain('"a":"draft.confirm"');
    expect(await h.ctx.db.selectFrom('reports').select('id').where('project_id', '=', singleProject.id).execute()).toHaveLength(0);

    const confirm = await h.driver.cardAction({
      operatorOpenId: single.openId,
      messageId: reply.message_id,
      value: { a: 'draft.confirm', projectId: singleProject.id, cycleId: october },
      formValue: reportForm({ [F.periodInvestment]: '500万元', [F.progress]: '主体结构封顶', [F.problemCategory]: '资金', [F.problemDescription]: '配套资金未到位' }),
    });
    expect((confirm.body as Body).toast?.content).toMatch(/^已提交，问题 WT2026-\d{4} 已登记$/);
    const report = await h.ctx.db.selectFrom('reports').selectAll().where('project_id', '=', singleProject.id).executeTakeFirstOrThrow();
    expect(report).toMatchObject({ via: 'chat', period_investment: '500.0000', progress: '主体结构封顶' });
  });

  it('has nothing left to file afterwards, and sees the open problem on 问题', async () => {
    const fill = await say(single, '填报');
    expect(textOf(await firstReply(fill.messageId))).toMatch(/您目前没有待填报的项目/);
    const problems = await say(single, '问题');
    const card = (await firstReply(problems.messageId)).raw_content;
    expect(card).toContain('配套资金未到位');
    expect(card).toContain('待受理');
  });

  it('attaches a photo sent after filing to that report', async () => {
    const chatId = p2p(single);
    const { messageId } = await h.driver.sendMessageEvent({ senderOpenId: single.openId, chatType: 'p2p', chatId, messageType: 'image', content: JSON.stringify({ image_key: 'img_v2_site_1' }) });
    expect(textOf(await firstReply(messageId))).toBe(`已将 1 张照片关联到「${singleProject.name}」2026年10月的填报。`);
    const photos = await h.ctx.db.selectFrom('report_photos').selectAll().execute();
    expect(photos).toMatchObject([{ image_key: 'img_v2_site_1', source_message_id: messageId, sent_by: single.id }]);
  });
});

describe('an owner with several projects', () => {
  it('gets one form per project on 填报', async () => {
    const { messageId } = await say(several, '填报');
    const replies = await exactlyReplies(messageId, 3);
    expect(replies).toHaveLength(3);
    for (const p of severalProjects) expect(replies.some((r) => r.raw_content.includes(p.name))).toBe(true);
  });

  it('sees all projects on 我的项目', async () => {
    const { messageId } = await say(several, '我的项目');
    const card = (await firstReply(messageId)).raw_content;
    for (const p of severalProjects) expect(card).toContain(p.name);
    expect(card).toContain('共 3 个');
  });

  it('is asked which project a progress note belongs to, and the pick opens the pre-filled form', async () => {
    const { messageId } = await say(several, '本月完成投资1,200万元，钢结构吊装完成');
    const pick = await firstReply(messageId);
    expect(pick.raw_content).toContain('请选择项目');
    const target = severalProjects[1];
    expect(pick.raw_content).toContain(`"projectId":${target.id}`);
    const r = await h.driver.cardAction({
      operatorOpenId: several.openId,
      messageId: pick.message_id,
      value: { a: 'report.pick', projectId: target.id, cycleId: october, draftOf: messageId },
    });
    const form = cardText((r.body as Body).card?.data);
    expect(form).toContain(target.name);
    expect(form).toContain('"default_value":"1,200万元"');
    expect(form).toContain('"a":"draft.confirm"');
  });

  it('shows why an amount in a note is refused, in the pre-filled form', async () => {
    const solo = await addPerson(h, '另一位业主');
    const p = await addProject(h.ctx.db, { name: '独立项目', ownerId: solo.id });
    const region = (await h.ctx.db.selectFrom('projects').select('region_id').where('id', '=', p.id).executeTakeFirstOrThrow()).region_id;
    await h.ctx.db.insertInto('cycle_projects').values({ cycle_id: october, project_id: p.id, owner_id: solo.id, region_id: region }).execute();
    const { messageId } = await say(solo, '本周完成投资五百万元');
    const card = (await firstReply(messageId)).raw_content;
    expect(card).toContain('请用阿拉伯数字填写');
    expect(card).toContain('"default_value":"五百万元"');
  });

  it('is asked which project photos belong to when several reports are recent', async () => {
    for (const p of severalProjects.slice(0, 2)) {
      const r = await h.driver.cardAction({ operatorOpenId: several.openId, messageId: 'om_none', value: { a: 'report.submit', projectId: p.id, cycleId: october }, formValue: reportForm() });
      expect((r.body as Body).toast?.type).toBe('success');
    }
    const chatId = p2p(several);
    const { messageId } = await h.driver.sendMessageEvent({ senderOpenId: several.openId, chatType: 'p2p', chatId, messageType: 'image', content: JSON.stringify({ image_key: 'img_v2_site_2' }) });
    const pick = await firstReply(messageId);
    expect(pick.raw_content).toContain('请选择照片所属项目');
    const target = severalProjects[0];
    const r = await h.driver.cardAction({
      operatorOpenId: several.openId,
      messageId: pick.message_id,
      value: { a: 'photo.attach', projectId: target.id, cycleId: october, imageKeys: ['img_v2_site_2'], messageId },
    });
    expect((r.body as Body).toast).toEqual({ type: 'success', content: '照片已关联' });
    const photo = await h.ctx.db
      .selectFrom('report_photos as ph')
      .innerJoin('reports as r', 'r.id', 'ph.report_id')
      .select(['r.project_id'])
      .where('ph.image_key', '=', 'img_v2_site_2')
      .executeTakeFirstOrThrow();
    expect(photo.project_id).toBe(target.id);
  });
});

describe('in a group', () => {
  it('answers an @-mention privately when the answer is someone’s projects, with a pointer in the group', async () => {
    const { messageId } = await say(several, '我的项目', { group: true });
    const pointer = await firstReply(messageId);
    expect(pointer.chat_id).toBe(groupChat);
    expect(textOf(pointer)).toBe('已私信发给您，请在与我的单聊中查看。');
    const direct = await until(() => h.fake.messages({ receive_id: several.openId }).find((m) => m.receive_id === several.openId && m.raw_content.includes('多项目业主负责的项目')));
    expect(direct.raw_content).toContain(severalProjects[0].name);
  });

  it('answers 帮助 in the group itself', async () => {
    const { messageId } = await say(nobody, '帮助', { group: true });
    expect((await firstReply(messageId)).chat_id).toBe(groupChat);
  });
});
