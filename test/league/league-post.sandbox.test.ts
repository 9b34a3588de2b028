// Against the sandbox: a close posts the league card to the dispatch group and one card to each
// bound region group; running the post again (or closing again) posts nothing twice; the cards
// are JSON 2.0 and a 200-region league still fits Feishu's limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeCycle } from '../../src/cycle/cycle.service.js';
import { bindGroup } from '../../src/league/groups.repository.js';
import { postLeague } from '../../src/league/league.post.js';
import { buildLeagueCards, type LeagueView } from '../../src/cards/league.card.js';
import { cardStats } from '../../src/cards/limits.js';
import { sendOnce } from '../../src/platform/feishu/outbound.js';
import { addPerson, addProject, openCycle, startScenario, until, type Scenario } from '../submission/scenario.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as XLSX from '@e965/xlsx';
import JSZip from 'jszip';
import { leagueCommands } from '../../src/cli/league.commands.js';
import { computeLeague } from '../../src/league/league.data.js';
import { headline } from '../../src/league/league.view.js';
import { runCommand } from '../registry/registry-helpers.js';
import { grant } from '../submission/scenario.js';

let h: Scenario;
let cycleId: number;
const chats: Record<string, string> = {};
type CardJson = { schema?: string; header?: { title?: { content?: string } }; body?: { elements?: { tag: string; rows?: Record<string, string>[]; content?: string }[] } };

const messagesIn = (chatId: string) => h.fake.messages({ chat_id: chatId, msg_type: 'interactive' });

beforeAll(async () => {
  h = await startScenario('2026-11-26T10:00');
  const db = h.ctx.db;
  // 天城县 on schedule-ish, 河西区 far behind, 东山县 ahead, 高新区 without an annual plan.
  await addProject(db, { region: '天城县', name: '天城一号项目', annualPlan: '10000', total: '50000', ytd: '8000' });
  const lagging = await addProject(db, { region: '天城县', name: '天城滞后项目', annualPlan: '10000', total: '50000', ytd: '2000' });
  await addProject(db, { region: '河西区', name: '河西项目', annualPlan: '10000', total: '30000', ytd: '3000' });
  await addProject(db, { region: '东山县', name: '东山项目', annualPlan: '10000', total: '30000', ytd: '9900' });
  await addProject(db, { region: '高新区', name: '高新项目', annualPlan: '0', total: '30000', ytd: null });
  cycleId = await openCycle(db, '2026-11');
  const leader = await addPerson(h, '周敏');
  const esc = await db.insertInto('escalations').values({
    project_id: lagging.id, cycle_id: cycleId, level: 1, reasons: ['lag'], reason_text: '低于序时进度71.7个百分点', target_person_id: leader.id,
  }).returning('id').executeTakeFirstOrThrow();
  await db.insertInto('escalation_actions').values({ escalation_id: esc.id, actor_id: leader.id, action: 'instruct', text: '请县政府本周内协调用地' }).execute();
  await db.insertInto('problems').values({
    number: 'WT2026-0007', project_id: lagging.id, cycle_id: cycleId, category: '用地', description: '用地指标未落实', needs_city_coordination: true,
    raised_by: leader.id, raised_at: new Date('2026-11-21T02:00:00Z'),
  }).execute();

  chats.dispatch = h.fake.addChat({ name: '市重点项目调度群' });
  chats.tiancheng = h.fake.addChat({ name: '天城县项目群' });
  chats.hexi = h.fake.addChat({ name: '河西区项目群' });
  const at = h.clock.now();
  await bindGroup(db, { chatId: chats.dispatch, name: '市重点项目调度群', target: '调度群', by: 'test', at });
  await bindGroup(db, { chatId: chats.tiancheng, name: '天城县项目群', target: '天城县', by: 'test', at });
  await bindGroup(db, { chatId: chats.hexi, name: '河西区项目群', target: '河西区', by: 'test', at });
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

describe('league posts after a close', () => {
  it('posts one table card to the dispatch group and one card to each bound region group', async () => {
    h.clock.set('2026-11-25T18:01');
    await closeCycle(h.ctx, cycleId);
    await until(() => messagesIn(chats.dispatch).length > 0 && messagesIn(chats.tiancheng).length > 0 && messagesIn(chats.hexi).length > 0, 15_000);
    const [table] = messagesIn(chats.dispatch);
    expect(messagesIn(chats.dispatch)).toHaveLength(1);
    const card = table.content as CardJson;
    expect(card.schema).toBe('2.0');
    expect(card.header?.title?.content).toBe('2026年11月重点项目月通报·擂台');
    const elements = card.body!.elements!;
    const tableEl = elements.find((e) => e.tag === 'table')!;
    // 序时进度 11/12 = 91.7%: 东山县 99.0% (+7.3), 天城县 50.0% (−41.7), 河西区 30.0% (−61.7).
    expect(tableEl.rows!.map((r) => [r.rank, r.name, r.completion, r.lag])).toEqual([
      ['1', '东山县', '99.0%', '+7.3'], ['2', '天城县', '50.0%', '-41.7'], ['3', '河西区', '30.0%', '-61.7'],
    ]);
    expect(elements.some((e) => e.tag === 'chart')).toBe(true);
    const text = JSON.stringify(card);
    expect(text).toContain('高新区（无年度计划投资）');
    expect(text).toContain('1—11月，全市5个重点项目累计完成投资2.29亿元，占年度计划的57.3%，低于序时进度34.4个百分点');
    expect(cardStats(card).bytes).toBeLessThan(30 * 1024);

    const region = JSON.stringify(messagesIn(chats.tiancheng)[0].content);
    expect(region).toContain('综合排名第2名（共3个地区），较上期为首次排名');
    expect(region).toContain('天城滞后项目');
    expect(region).toContain('请县政府本周内协调用地');
    expect(region).not.toContain('河西项目');
    expect(JSON.stringify(messagesIn(chats.hexi)[0].content)).toContain('综合排名第3名');

    const snap = await h.ctx.db.selectFrom('league_snapshots').select('data').where('cycle_id', '=', cycleId).executeTakeFirstOrThrow();
    expect((snap.data as { rows: { name: string; rank: number | null }[] }).rows.map((r) => [r.name, r.rank])).toEqual([
      ['东山县', 1], ['天城县', 2], ['河西区', 3], ['高新区', null],
    ]);
  });

  it('posts nothing twice when the post or the close runs again', async () => {
    const before = h.fake.messages({ msg_type: 'interactive' }).length;
    const again = await postLeague(h.ctx, cycleId);
    expect(again).toEqual({ dispatchCards: 0, regionCards: 0, alreadySent: 3 });
    await closeCycle(h.ctx, cycleId);
    await new Promise((r) => setTimeout(r, 500));
    expect(h.fake.messages({ msg_type: 'interactive' }).length).toBe(before);
  });

  it('keeps a 200-region league within 30 KB and 200 components per card, and the sandbox takes it', async () => {
    const view: LeagueView = {
      title: '2026年11月重点项目月通报·擂台', subtitle: '序时进度 91.7%', headline: '1—11月，全市……'.repeat(20), timeProgressValue: 91.7,
      red: ['地区1', '地区2', '地区3'], black: ['地区198', '地区199', '地区200'], monthly: true,
      notRanked: [{ name: '某开发区', reason: '不参与排名：冬季停工' }],
      quarter: { title: '2026年第4季度考评', rows: Array.from({ length: 200 }, (_, i) => ({ rank: String(i + 1), name: `地区${i + 1}`, average: '1.33' })) },
      rows: Array.from({ length: 200 }, (_, i) => ({
        rank: String(i + 1), name: `某某自治县第${i + 1}区`, movement: i % 3 === 0 ? '↑12' : '↓3', completion: '88.8%', lag: '-12.3', startRate: '100.0%',
        registeredRate: '66.7%', privateShare: '45.6%', yoy: '12.3%', onTime: '95.0%', lights: '🔴12 🟡3 🟢40', completionValue: 88.8,
      })),
    };
    const cards = buildLeagueCards(view);
    expect(cards.length).toBeGreaterThan(1);
    const shown = cards.flatMap((c) => (c.body as CardJson['body'])!.elements!.filter((e) => e.tag === 'table').flatMap((e) => e.rows!.map((r) => r.name)));
    expect(shown).toEqual(view.rows.map((r) => r.name));
    for (const [i, c] of cards.entries()) {
      const s = cardStats(c);
      expect(s.bytes).toBeLessThan(30 * 1024);
      expect(s.components).toBeLessThan(200);
      expect(c.schema).toBe('2.0');
      await sendOnce(h.ctx, { key: `test-200:${i}`, kind: 'league.table', receiveId: chats.dispatch, receiveIdType: 'chat_id', card: c });
    }
    const chart = (cards[0].body as CardJson['body'])!.elements!.find((e) => e.tag === 'chart') as unknown as { chart_spec: { data: { values: unknown[] }[] } };
    expect(chart.chart_spec.data[0].values).toHaveLength(30);
  });
});

describe('meeting papers', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'league-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exports the spreadsheet: numbers as numbers, figures equal to the database, frozen header and a title row', async () => {
    const out = join(dir, '调度表.xlsx');
    const res = await runCommand(leagueCommands, h.ctx, ['export', '--cycle', '2026-11', '--out', out]);
    expect(res.code).toBe(0);
    const bytes = readFileSync(out);
    const wb = XLSX.read(bytes, { cellNF: true });
    expect(wb.SheetNames).toEqual(['项目调度表', '擂台排名', '问题与督办']);
    const rows = XLSX.utils.sheet_to_json<unknown[]>(wb.Sheets['项目调度表'], { header: 1 });
    expect(rows[0][0]).toBe('2026年11月重点项目调度表（序时进度 91.7%）');
    const head = rows[1] as string[];
    const col = (name: string) => head.indexOf(name);
    const db = await h.ctx.db.selectFrom('projects').select(['code', 'ytd_investment', 'ytd_year', 'annual_plan', 'total_investment']).orderBy('code').execute();
    const data = rows.slice(2);
    // A project with no year-to-date known for 2026 (ytd_year null) has a blank cell, not 0.
    expect(data.map((r) => [r[col('项目编号')], r[col('本年累计完成投资（万元）')] ?? null, r[col('年度计划投资（万元）')], r[col('总投资（万元）')]])).toEqual(
      db.map((p) => [p.code, p.ytd_year === 2026 ? Number(p.ytd_investment) : null, Number(p.annual_plan), Number(p.total_investment)]),
    );
    const lagRow = data.find((r) => r[col('项目名称')] === '天城滞后项目')!;
    expect(lagRow[col('年度计划完成率')]).toBe(0.2);
    expect(lagRow[col('灯号')]).toBe('红灯');
    expect(lagRow[col('报送情况')]).toBe('缺报');
    expect(String(lagRow[col('存在问题')])).toContain('WT2026-0007 用地：用地指标未落实');
    // Formats: 万元 with two decimals, percentages as percentages.
    const sheet = wb.Sheets['项目调度表'];
    const ref = (name: string, row: number) => XLSX.utils.encode_cell({ r: row, c: col(name) });
    expect(sheet[ref('总投资（万元）', 2)]!.z).toBe('#,##0.00');
    expect(sheet[ref('年度计划完成率', 2)]!.z).toBe('0.0%');

    const league = XLSX.utils.sheet_to_json<unknown[]>(wb.Sheets['擂台排名'], { header: 1 }).slice(2);
    const total = await h.ctx.db.selectFrom('projects').select((eb) => eb.fn.sum<string>('ytd_investment').as('s')).executeTakeFirstOrThrow();
    expect(league.at(-1)!.slice(1, 6)).toEqual(['全市', '', 5, 40000, Number(total.s)]);
    expect(league.map((r) => [r[0], r[1]])).toEqual([['1', '东山县'], ['2', '天城县'], ['3', '河西区'], ['—', '高新区'], ['', '全市']]);

    const zip = await JSZip.loadAsync(bytes);
    const sheetXml = await zip.file('xl/worksheets/sheet1.xml')!.async('string');
    expect(sheetXml).toMatch(/<pane[^>]*ySplit="2"[^>]*state="frozen"/);
    expect(sheetXml).toMatch(/<col [^>]*width="32/);
    const problems = XLSX.utils.sheet_to_json<unknown[]>(wb.Sheets['问题与督办'], { header: 1 }).slice(2);
    expect(problems.filter((r) => r[0] === '问题').map((r) => r[2])).toEqual(['天城滞后项目']);
    // Every open escalation, the one made here and those the close's escalation run raised, as the database has them.
    const open = await h.ctx.db.selectFrom('escalations as e').innerJoin('projects as p', 'p.id', 'e.project_id').select('p.name').where('e.state', '!=', 'resolved').execute();
    expect(open.map((e) => e.name)).toContain('天城滞后项目');
    expect(problems.filter((r) => r[0] === '督办').map((r) => r[2]).sort()).toEqual(open.map((e) => e.name).sort());
    // The leader's 批示 stands beside the escalation it answers.
    expect(problems.filter((r) => r[0] === '督办').map((r) => r[9])).toContain('请县政府本周内协调用地');
  });

  it('writes the 通报 draft with the same figures as the tables', async () => {
    const out = join(dir, '11月通报.docx');
    const res = await runCommand(leagueCommands, h.ctx, ['report', '--cycle', '2026-11', '--out', out]);
    expect(res.code).toBe(0);
    const xml = await (await JSZip.loadAsync(readFileSync(out))).file('word/document.xml')!.async('string');
    const text = xml.replace(/<[^>]+>/g, '');
    const expected = headline(await computeLeague(h.ctx.db, { kind: 'monthly', periodKey: '2026-11' }));
    expect(expected.startsWith('1—11月，全市5个重点项目累计完成投资2.29亿元，占年度计划的57.3%，低于序时进度34.4个百分点；开复工率100.0%')).toBe(true);
    expect(text).toContain(expected);
    expect(text).toContain('2026年11月全市重点项目建设情况通报');
    expect(text).toContain('红榜：东山县、天城县、河西区。');
    expect(text).toContain('天城滞后项目天城县红灯');
    expect(text).toContain('1. 天城滞后项目（天城县）：用地，用地指标未落实');
    expect(text).toContain('领导批示：请县政府本周内协调用地');
  });

  it('refuses a bad cycle or output name with a clear message', async () => {
    await expect(runCommand(leagueCommands, h.ctx, ['export', '--cycle', '2026-13', '--out', join(dir, 'x.xlsx')])).rejects.toMatchObject({ userMessage: expect.stringContaining('不是期次') });
    await expect(runCommand(leagueCommands, h.ctx, ['report', '--cycle', '2026-11', '--out', join(dir, 'x.doc')])).rejects.toMatchObject({ userMessage: expect.stringContaining('.docx') });
  });
});

describe('groups and ranking in chat', () => {
  const say = async (openId: string, chatId: string, text: string) => {
    const r = await h.driver.sendMessageEvent({
      senderOpenId: openId, text: `@_user_1 ${text}`, chatType: 'group', chatId,
      mentions: [{ key: '@_user_1', id: { open_id: 'ou_bot' }, name: '调度助手' }],
    });
    return until(() => h.fake.messages().find((m) => m.replyTo === r.messageId));
  };

  it('an admin binds a group by typing 绑定 <地区>; others are refused; 排名 in a region group gives its own card', async () => {
    const admin = await addPerson(h, '林主任');
    await grant(h.ctx.db, admin.id, 'admin');
    const someone = await addPerson(h, '路人乙');
    const chat = h.fake.addChat({ name: '东山县项目群' });
    const refused = await say(someone.openId, chat, '绑定 东山县');
    expect((refused.content as { text: string }).text).toBe('只有管理员可以绑定或解绑群。');
    const unknown = await say(admin.openId, chat, '绑定 南山县');
    expect((unknown.content as { text: string }).text).toContain('没有名为“南山县”的地区。可绑定：调度群、');
    const ok = await say(admin.openId, chat, '绑定 东山县');
    expect((ok.content as { text: string }).text).toContain('已将本群绑定到东山县');
    const row = await h.ctx.db.selectFrom('chat_groups').innerJoin('regions', 'regions.id', 'chat_groups.region_id').select(['regions.name', 'chat_groups.purpose']).where('chat_id', '=', chat).executeTakeFirstOrThrow();
    expect(row).toEqual({ name: '东山县', purpose: 'region' });
    const ranking = await say(someone.openId, chat, '排名');
    expect(JSON.stringify(ranking.content)).toContain('综合排名第1名（共3个地区）');
    const table = await say(someone.openId, chats.dispatch, '排名');
    expect(JSON.stringify(table.content)).toContain('"tag":"table"');
    const res = await runCommand(leagueCommands, h.ctx, ['groups', 'list']);
    expect(res.out.join('\n')).toContain('东山县');
  });
});
