// Against the sandbox: a close posts the league card to the dispatch group and one card to each
// bound region group; running the post again (or closing again) posts nothing twice; the cards
// are JSON 2.0 and a 200-region league still fits Feishu's limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeCycle } from '../../src/cycle/cycle.service.js';
import { bindGroup } from '../../src/league/groups.repository.js';
import { postLeague } from '../../src/league/league.post.js';
import { buildLeagueCards, type LeagueView } from '../../src/bot/cards/league.card.js';
import { cardStats } from '../../src/bot/cards/report-form.card.js';
import { sendOnce } from '../../src/bot/outbound.js';
import { addPerson, addProject, openCycle, startScenario, until, type Scenario } from '../submission/scenario.js';

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
