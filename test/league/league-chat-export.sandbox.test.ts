// Against the sandbox: an admin's `导出` in chat comes back as the meeting spreadsheet, uploaded
// through im/v1/files and sent as a file message in reply (once, however often the job runs);
// others are refused; adding the bot to a group posts how an admin binds it, once per event.
// The sandbox's file upload keeps Feishu's documented rules (file_type values, 30 MB, not empty).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as XLSX from '@e965/xlsx';
import { closeCycle } from '../../src/cycle/cycle.service.js';
import { sendMeetingSpreadsheet, WELCOME_TEXT } from '../../src/league/league.delivery.js';
import { parseLeagueIntent } from '../../src/league/league.chat.js';
import { messageUuid } from '../../src/platform/feishu/outbound.js';
import { cardView } from '../../src/escalation/escalation-view.js';
import { buildEscalationCard } from '../../src/cards/escalation.card.js';
import { addPerson, addProject, grant, openCycle, startScenario, until, type Scenario, type TestPerson } from '../submission/scenario.js';

let h: Scenario;
let admin: TestPerson;
let someone: TestPerson;
let group: string;

const say = async (openId: string, chatId: string, text: string) =>
  h.driver.sendMessageEvent({
    senderOpenId: openId, text: `@_user_1 ${text}`, chatType: 'group', chatId,
    mentions: [{ key: '@_user_1', id: { open_id: 'ou_bot' }, name: '调度助手' }],
  });
const repliesTo = (messageId: string) => h.fake.messages().filter((m) => m.replyTo === messageId);

beforeAll(async () => {
  h = await startScenario('2026-11-26T10:00');
  const db = h.ctx.db;
  await addProject(db, { region: '天城县', name: '天城一号项目', annualPlan: '10000', total: '50000', ytd: '8000' });
  await addProject(db, { region: '河西区', name: '河西项目', annualPlan: '10000', total: '30000', ytd: '3000' });
  const cycleId = await openCycle(db, '2026-11');
  h.clock.set('2026-11-25T18:01');
  await closeCycle(h.ctx, cycleId);
  admin = await addPerson(h, '林主任');
  await grant(db, admin.id, 'admin');
  someone = await addPerson(h, '路人甲');
  group = h.fake.addChat({ name: '市重点项目调度群' });
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

describe('导出 in chat', () => {
  it('parses 导出 with or without a period', () => {
    expect(parseLeagueIntent('@_user_1 导出')).toEqual({ kind: 'export' });
    expect(parseLeagueIntent('导出 2026-11')).toEqual({ kind: 'export', periodKey: '2026-11' });
    expect(parseLeagueIntent('导出一下项目')).toBeNull();
  });

  it('an admin gets the spreadsheet as a file in reply, with the figures of the cycle', async () => {
    const r = await say(admin.openId, group, '导出 2026-11');
    const msg = await until(() => repliesTo(r.messageId).find((m) => m.msg_type === 'file'), 20_000);
    expect(msg.chat_id).toBe(group);
    const fileKey = (msg.content as { file_key: string }).file_key;
    const file = h.fake.uploadedFiles().find((f) => f.file_key === fileKey)!;
    expect(file).toMatchObject({ file_type: 'xls', file_name: '2026年11月调度表.xlsx' });
    const wb = XLSX.read(file.data);
    expect(wb.SheetNames).toEqual(['项目调度表', '擂台排名', '问题与督办']);
    const rows = XLSX.utils.sheet_to_json<unknown[]>(wb.Sheets['项目调度表'], { header: 1 });
    expect(rows[0][0]).toContain('2026年11月重点项目调度表');
    const head = rows[1] as string[];
    expect(rows.slice(2).map((row) => [row[head.indexOf('项目名称')], row[head.indexOf('本年累计完成投资（万元）')]]).sort()).toEqual([['天城一号项目', 8000], ['河西项目', 3000]]);
    // The job again (a BullMQ retry, a restart), once the first run has recorded its send: no second upload, no second message.
    await until(async () => (await h.ctx.db.selectFrom('outbound_messages').select('state').where('uuid', '=', messageUuid(`chat:${r.messageId}:export-file`)).executeTakeFirst())?.state === 'sent', 20_000);
    const uploads = h.fake.uploadedFiles().length;
    await sendMeetingSpreadsheet(h.ctx, { messageId: r.messageId, chatId: group, periodKey: '2026-11' });
    expect(h.fake.uploadedFiles()).toHaveLength(uploads);
    expect(repliesTo(r.messageId)).toHaveLength(1);
  });

  it('without a period it exports the latest closed cycle', async () => {
    const r = await h.driver.sendMessageEvent({ senderOpenId: admin.openId, text: '导出', chatType: 'p2p' });
    const msg = await until(() => repliesTo(r.messageId).find((m) => m.msg_type === 'file'), 20_000);
    const file = h.fake.uploadedFiles().find((f) => f.file_key === (msg.content as { file_key: string }).file_key)!;
    expect(file.file_name).toBe('2026年11月调度表.xlsx');
  });

  it('refuses non-admins, and says what is wrong with a bad or unknown period', async () => {
    const files = h.fake.uploadedFiles().length;
    const denied = await say(someone.openId, group, '导出');
    expect((await until(() => repliesTo(denied.messageId)[0])).content).toEqual({ text: '只有管理员可以导出调度表。' });
    const bad = await say(admin.openId, group, '导出 2026-13');
    expect(((await until(() => repliesTo(bad.messageId)[0])).content as { text: string }).text).toContain('“2026-13”不是期次');
    const missing = await say(admin.openId, group, '导出 2025-03');
    expect((await until(() => repliesTo(missing.messageId)[0], 20_000)).content).toEqual({ text: '找不到调度期次 2025-03' });
    expect(h.fake.uploadedFiles()).toHaveLength(files);
  });
});

describe('the sandbox file upload', () => {
  it('keeps the documented rules: file_type values, not empty, at most 30 MB', async () => {
    await expect(h.ctx.lark.uploadFile({ file: Buffer.from('x'), fileName: 'a.txt', fileType: 'txt' as 'stream' })).rejects.toMatchObject({ code: expect.any(String) });
    await expect(h.ctx.lark.uploadFile({ file: Buffer.alloc(0), fileName: 'a.txt', fileType: 'stream' })).rejects.toMatchObject({ userMessage: '文件为空' });
    await expect(h.ctx.lark.uploadFile({ file: Buffer.alloc(30 * 1024 * 1024 + 1), fileName: 'a.bin', fileType: 'stream' })).rejects.toMatchObject({ userMessage: '文件不能超过 30 MB' });
    const key = await h.ctx.lark.uploadFile({ file: Buffer.alloc(30 * 1024 * 1024, 1), fileName: 'big.bin', fileType: 'stream' });
    expect(h.fake.uploadedFiles().find((f) => f.file_key === key)?.bytes).toBe(30 * 1024 * 1024);
  });

  it('refuses a file message naming no uploaded file', async () => {
    await expect(h.ctx.lark.send({ receiveId: group, receiveIdType: 'chat_id', msgType: 'file', content: { file_key: 'file_v3_nothing' }, uuid: 'file-nothing-1' })).rejects.toBeTruthy();
  });
});

describe('added to a group', () => {
  it('posts how an admin binds the group, once per event', async () => {
    const chat = h.fake.addChat({ name: '东山县项目群' });
    const r = await h.driver.botAdded({ chatId: chat, operatorOpenId: admin.openId });
    expect(r.status).toBe(200);
    const note = await until(() => h.fake.messages({ chat_id: chat, msg_type: 'text' })[0]);
    expect((note.content as { text: string }).text).toBe(WELCOME_TEXT);
    expect(WELCOME_TEXT).toContain('@机器人 绑定 天城县');
    expect(WELCOME_TEXT).toContain('绑定 调度群');
    // Feishu re-delivers an event it did not see ACKed: the same event id posts nothing more.
    await h.driver.redeliver(h.driver.last!);
    const again = await h.driver.sendMessageEvent({ senderOpenId: someone.openId, text: '@_user_1 帮助', chatType: 'group', chatId: chat, mentions: [{ key: '@_user_1', id: { open_id: 'ou_bot' }, name: '调度助手' }] });
    await until(() => repliesTo(again.messageId)[0]);
    expect(h.fake.messages({ chat_id: chat, msg_type: 'text' }).filter((m) => (m.content as { text?: string }).text === WELCOME_TEXT)).toHaveLength(1);
  });
});

describe("a leader's escalation card", () => {
  it("names the region's place in the latest league snapshot", async () => {
    const db = h.ctx.db;
    const snap = await until(() => db.selectFrom('league_snapshots').select('data').where('scope', '=', 'city').executeTakeFirst(), 20_000);
    const row = (snap.data as { rows: { name: string; rank: number | null; tied: boolean }[] }).rows.find((r) => r.name === '河西区')!;
    const esc = await until(() => db.selectFrom('escalations as e').innerJoin('projects as p', 'p.id', 'e.project_id').select('e.id').where('p.name', '=', '河西项目').executeTakeFirst(), 20_000);
    const view = (await cardView(db, [esc.id], 'Asia/Shanghai'))!;
    expect(view.items[0].ranking).toBe(`河西区在2026年11月擂台综合排名第${row.rank}名${row.tied ? '（并列）' : ''}（共2个地区）`);
    expect(JSON.stringify(buildEscalationCard(view))).toContain('擂台综合排名');
  });
});
