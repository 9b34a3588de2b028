// Against the sandbox: the three monthly closes of a quarter (2026 Q3) in order. Only the
// quarter's last month's post carries the 季考评, ranked from the three months' snapshots; a
// month inside the quarter posts the 月通报 without it, and a weekly close posts the shorter
// table (周擂台: no chart, no monthly columns, no 季考评).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeCycle } from '../../src/cycle/cycle.service.js';
import { createCycleWithCoverage } from '../../src/cycle/cycle.repository.js';
import { bindGroup } from '../../src/league/groups.repository.js';
import type { CycleKind } from '../../src/db/schema.js';
import { addProject, shanghai, startScenario, until, type Scenario } from '../submission/scenario.js';

type Element = { tag: string; rows?: Record<string, string>[]; columns?: { name: string }[]; content?: string };
type CardJson = { schema?: string; header?: { title?: { content?: string } }; body?: { elements?: Element[] } };

let h: Scenario;
let dispatch: string;
let tiancheng: string;
const projects: Record<string, number> = {};
const REGIONS = ['天城县', '河西区', '东山县', '北川县'] as const;

const cards = (chatId: string) => h.fake.messages({ chat_id: chatId, msg_type: 'interactive' }).map((m) => m.content as CardJson);
const titled = (chatId: string, title: string) => cards(chatId).filter((c) => c.header?.title?.content?.startsWith(title));
const elements = (c: CardJson) => c.body?.elements ?? [];
const tableRows = (c: CardJson) => elements(c).find((e) => e.tag === 'table')!.rows!.map((r) => [r.rank, r.name]);

async function open(periodKey: string, kind: CycleKind, open: string, due: string): Promise<number> {
  const { cycle } = await createCycleWithCoverage(h.ctx.db, { kind, periodKey, openAt: shanghai(open), remindAt: shanghai(open), dueAt: shanghai(due), openedAt: shanghai(open) });
  return cycle.id;
}

/** Year-to-date per region (one project each, plan 10000): the completion order is the month's composite order. */
async function setYtd(ytd: Record<(typeof REGIONS)[number], string>): Promise<void> {
  for (const r of REGIONS) await h.ctx.db.updateTable('projects').set({ ytd_year: 2026, ytd_investment: ytd[r] }).where('id', '=', projects[r]).execute();
}

/** Closes the cycle at `at` and waits for its dispatch card (the league post follows the close's escalation run). */
async function closeAndWait(cycleId: number, at: string, title: string): Promise<CardJson> {
  h.clock.set(at);
  await closeCycle(h.ctx, cycleId);
  const [card] = await until(() => {
    const got = titled(dispatch, title);
    return got.length > 0 && titled(tiancheng, title).length > 0 && got;
  }, 20_000);
  return card;
}

beforeAll(async () => {
  h = await startScenario('2026-07-20T10:00');
  // Every other indicator is equal across the regions (one started project of 30000 each, none
  // reported, no problems), so each month's composite rank is the completion rate's rank.
  for (const r of REGIONS) {
    projects[r] = (await addProject(h.ctx.db, { region: r, name: `${r}项目`, annualPlan: '10000', total: '30000', ytd: '0', frequency: 'weekly' })).id;
  }
  dispatch = h.fake.addChat({ name: '市重点项目调度群' });
  tiancheng = h.fake.addChat({ name: '天城县项目群' });
  await bindGroup(h.ctx.db, { chatId: dispatch, name: '市重点项目调度群', target: '调度群', by: 'test', at: h.clock.now() });
  await bindGroup(h.ctx.db, { chatId: tiancheng, name: '天城县项目群', target: '天城县', by: 'test', at: h.clock.now() });
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

describe('季考评 on the quarter-end 月通报', () => {
  it('posts the quarter roll-up only after the quarter\'s last month, from the three months\' ranks', async () => {
    // July: 天城 1, 河西 2, 东山 3, 北川 4.
    await setYtd({ 天城县: '7000', 河西区: '6000', 东山县: '5000', 北川县: '4000' });
    const july = await closeAndWait(await open('2026-07', 'monthly', '2026-07-20T09:00', '2026-07-25T18:00'), '2026-07-25T18:01', '2026年7月重点项目月通报');
    expect(tableRows(july)).toEqual([['1', '天城县'], ['2', '河西区'], ['3', '东山县'], ['4', '北川县']]);

    // August: 河西 1, 天城 2, 北川 3, 东山 4.
    await setYtd({ 天城县: '7500', 河西区: '8000', 东山县: '5200', 北川县: '6000' });
    const aug = await closeAndWait(await open('2026-08', 'monthly', '2026-08-20T09:00', '2026-08-25T18:00'), '2026-08-25T18:01', '2026年8月重点项目月通报');
    expect(tableRows(aug)).toEqual([['1', '河西区'], ['2', '天城县'], ['3', '北川县'], ['4', '东山县']]);

    // September: 河西 1, 东山 2, 天城 3, 北川 4.
    await setYtd({ 天城县: '7600', 河西区: '9000', 东山县: '8500', 北川县: '6100' });
    const sep = await closeAndWait(await open('2026-09', 'monthly', '2026-09-20T09:00', '2026-09-25T18:00'), '2026-09-25T18:01', '2026年9月重点项目月通报');
    expect(tableRows(sep)).toEqual([['1', '河西区'], ['2', '东山县'], ['3', '天城县'], ['4', '北川县']]);

    // Neither July nor August (inside the quarter) carries a 季考评; both are the fuller 月通报.
    for (const c of [july, aug]) {
      expect(JSON.stringify(c)).not.toContain('季度考评');
      expect(elements(c).some((e) => e.tag === 'chart')).toBe(true);
      expect(elements(c).find((e) => e.tag === 'table')!.columns!.map((x) => x.name)).toContain('yoy');
    }
    // By hand: 河西 (2+1+1)/3 = 1.33, 天城 (1+2+3)/3 = 2, 东山 (3+4+2)/3 = 3, 北川 (4+3+4)/3 = 3.67.
    const quarter = elements(sep).find((e) => e.tag === 'markdown' && e.content?.includes('季度考评'));
    expect(quarter?.content).toBe(
      '**2026年第3季度考评（3个月综合名次平均）**\n1. 河西区（月均名次 1.33）\n2. 天城县（月均名次 2）\n3. 东山县（月均名次 3）\n4. 北川县（月均名次 3.67）',
    );
    // The region's own card says where it stands in the quarter.
    const region = titled(tiancheng, '2026年9月重点项目月通报');
    expect(JSON.stringify(region[0])).toContain('2026年第3季度考评：第2名（月均名次 2）');
    expect(JSON.stringify(titled(tiancheng, '2026年8月重点项目月通报')[0])).not.toContain('季度考评');
  });

  it('a weekly close posts the shorter table without the 月通报 parts', async () => {
    await setYtd({ 天城县: '7700', 河西区: '9100', 东山县: '8600', 北川县: '6200' });
    const week = await closeAndWait(await open('2026-W39', 'weekly', '2026-09-21T09:00', '2026-09-25T18:00'), '2026-09-25T18:05', '2026年第39周');
    expect(week.header?.title?.content).toMatch(/周擂台$/);
    expect(JSON.stringify(week)).not.toContain('月通报');
    expect(JSON.stringify(week)).not.toContain('季度考评');
    expect(elements(week).some((e) => e.tag === 'chart')).toBe(false);
    const table = elements(week).find((e) => e.tag === 'table')!;
    expect(table.columns!.map((c) => c.name)).toEqual(['rank', 'name', 'movement', 'completion', 'lag', 'onTime', 'lights']);
    expect(tableRows(week)).toEqual([['1', '河西区'], ['2', '东山县'], ['3', '天城县'], ['4', '北川县']]);
  });
});
