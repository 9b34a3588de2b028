// Picking a project: on a list (consolidated prompt) the list stays and the form comes as a new
// message, once; on a chat "which project?" card the buttons name the note's message instead of
// carrying it, so a long note and many projects stay within Feishu's card size.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARD_LIMITS } from '../../src/cards/limits.js';
import type { SandboxMessage } from '../../src/sandbox/index.js';
import { addPerson, addProject, cardText, openCycle, promptCards, startScenario, until, type Scenario, type TestPerson } from '../submission/scenario.js';

type Body = { toast?: { type: string; content: string }; card?: { type: string; data: Record<string, unknown> } };

let h: Scenario;
let listOwner: TestPerson;
let noteOwner: TestPerson;
let october: number;
const listProjects: { id: number; name: string }[] = [];
const noteProjects: { id: number; name: string }[] = [];

beforeAll(async () => {
  // Lists from three projects up, so a small owner gets the consolidated prompt.
  h = await startScenario('2026-10-24T10:00', { CONSOLIDATE_ABOVE: '2' });
  const db = h.ctx.db;
  listOwner = await addPerson(h, '清单业主');
  noteOwner = await addPerson(h, '进展业主');
  for (const name of ['东区供水管网', '西区学校扩建', '北区农贸市场']) listProjects.push(await addProject(db, { name, ownerId: listOwner.id }));
  for (let i = 1; i <= 15; i++) noteProjects.push(await addProject(db, { name: `进展项目第${i}号工程`, ownerId: noteOwner.id }));
  october = await openCycle(db, '2026-10');
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

const toOwner = (who: TestPerson) => h.fake.messages({ receive_id: who.openId, msg_type: 'interactive' });

describe('a pick on the consolidated prompt', () => {
  it('keeps the list, sends the form as a new message, and sends it only once', async () => {
    await promptCards(h, october, listOwner);
    const list = toOwner(listOwner).find((m) => m.raw_content.includes('"a":"report.pick"'));
    expect(list).toBeDefined();
    const listBefore = list!.raw_content;
    const target = listProjects[1];
    const pick = () => h.driver.cardAction({ operatorOpenId: listOwner.openId, messageId: list!.message_id, value: { a: 'report.pick', projectId: target.id, cycleId: october } });

    const first = await pick();
    expect(first.status).toBe(200);
    expect(first.body as Body).toEqual({ toast: { type: 'info', content: `已发送「${target.name}」的填报卡片` } });
    const form = await until(() => toOwner(listOwner).find((m) => m.message_id !== list!.message_id && m.raw_content.includes('"a":"report.submit"')));
    expect(form.raw_content).toContain(target.name);
    expect(form.raw_content).toContain(`"projectId":${target.id}`);

    const second = await pick();
    expect((second.body as Body).card).toBeUndefined();
    await new Promise((r) => setTimeout(r, 500));
    const forms = toOwner(listOwner).filter((m) => m.raw_content.includes('"a":"report.submit"'));
    expect(forms).toHaveLength(1);
    expect(h.fake.message(list!.message_id)?.raw_content).toBe(listBefore);
    expect(h.fake.message(list!.message_id)?.patches).toHaveLength(0);
  });
});

describe('a long progress note with many open projects', () => {
  it('is asked about in a card within the size limit, and the pick opens the form pre-filled with the whole note', async () => {
    const progress = `主体结构施工${'钢筋绑扎与混凝土浇筑持续推进，'.repeat(60)}`.slice(0, 900);
    const chatId = h.fake.p2pChatId(noteOwner.openId)!;
    const { messageId } = await h.driver.sendMessageEvent({ senderOpenId: noteOwner.openId, chatType: 'p2p', chatId, text: `本月完成投资500万元，${progress}` });
    const pickCard: SandboxMessage = await until(() => h.fake.messages().find((m) => m.replyTo === messageId));
    expect(pickCard.raw_content).toContain('请选择项目');
    expect(Buffer.byteLength(pickCard.raw_content, 'utf8')).toBeLessThan(CARD_LIMITS.bytes);
    expect(Buffer.byteLength(pickCard.raw_content, 'utf8')).toBeLessThan(30 * 1024);
    for (const p of noteProjects) expect(pickCard.raw_content).toContain(`"projectId":${p.id}`);
    expect(pickCard.raw_content).toContain(`"draftOf":"${messageId}"`);

    const target = noteProjects[14];
    const r = await h.driver.cardAction({ operatorOpenId: noteOwner.openId, messageId: pickCard.message_id, value: { a: 'report.pick', projectId: target.id, cycleId: october, draftOf: messageId } });
    const form = cardText((r.body as Body).card?.data);
    expect(form).toContain(target.name);
    expect(form).toContain('"default_value":"500万元"');
    expect(form).toContain(progress);
    expect(form).toContain('"a":"draft.confirm"');
  });

  it('refuses a pick naming a message that is not the operator’s', async () => {
    const chatId = h.fake.p2pChatId(listOwner.openId)!;
    const { messageId } = await h.driver.sendMessageEvent({ senderOpenId: listOwner.openId, chatType: 'p2p', chatId, text: '本月完成投资80万元' });
    await until(() => h.fake.messages().find((m) => m.replyTo === messageId));
    const r = await h.driver.cardAction({ operatorOpenId: noteOwner.openId, messageId: 'om_none', value: { a: 'report.pick', projectId: noteProjects[0].id, cycleId: october, draftOf: messageId } });
    expect((r.body as Body).toast?.type).toBe('error');
    expect((r.body as Body).card).toBeUndefined();
  });
});
