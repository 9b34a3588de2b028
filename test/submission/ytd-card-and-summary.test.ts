// The year-to-date a prompt card shows is the one the store adds to. A project dispatched weekly
// is in the monthly cycles too, and each cadence keeps its own chain (one added onto the other
// would count the same money twice), so the card follows the chain of its own cycle: after
// "本期无变化" the summary shows exactly the card's figure, after an amount the card's figure plus it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_FIELDS as F } from '../../src/cards/card-actions.js';
import { sendOwnerPrompts } from '../../src/cycle/prompt.service.js';
import { addPerson, addProject, cardText, openCycle, reportForm, startScenario, type Scenario, type TestPerson } from './scenario.js';

type Body = { toast?: { type: string; content: string }; card?: { type: string; data: Record<string, unknown> } };
type Ytd = { ytd: string; rate: string };

let h: Scenario;
let owner: TestPerson;
let project: { id: number; name: string };

beforeAll(async () => {
  h = await startScenario('2026-10-24T10:00');
  owner = await addPerson(h, '杜磊秀');
  // Plan 6,000, 3,700 imported for 2026; weekly, hence in the monthly cycles as well.
  project = await addProject(h.ctx.db, { name: '双频次项目', ownerId: owner.id, frequency: 'weekly' });
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

/** Sends the owner's prompt for the cycle; the project's card as sent. */
async function prompt(cycleId: number): Promise<{ messageId: string; text: string }> {
  await sendOwnerPrompts(h.ctx, cycleId, owner.id);
  const target = `"a":"report.submit","projectId":${project.id},"cycleId":${cycleId}`;
  const m = h.fake.messages({ receive_id: owner.openId, msg_type: 'interactive' }).find((x) => cardText(x.content).includes(target));
  if (!m) throw new Error(`no prompt card for cycle ${cycleId}`);
  return { messageId: m.message_id, text: cardText(m.content) };
}

async function act(messageId: string, a: 'report.submit' | 'report.no_change' | 'report.edit', cycleId: number, formValue?: Record<string, string>): Promise<Body> {
  const r = await h.driver.cardAction({ operatorOpenId: owner.openId, messageId, value: { a, projectId: project.id, cycleId }, ...(formValue ? { formValue } : {}) });
  return r.body as Body;
}

/** "2026年累计完成投资：4,000 / 年度计划 6,000 万元（66.7%）" on a form card. */
function formYtd(text: string): Ytd {
  const m = /2026年累计完成投资：([\d,.]+) \/ 年度计划 [\d,.]+ 万元（([\d.]+%)）/.exec(text);
  if (!m) throw new Error('no year-to-date on the form card');
  return { ytd: m[1], rate: m[2] };
}

/** "年度累计 4,000 万元 (66.7%)" on a summary card. */
function summaryYtd(text: string): Ytd {
  const m = /年度累计 ([\d,.]+) 万元 \(([\d.]+%)\)/.exec(text);
  if (!m) throw new Error('no year-to-date on the summary card');
  return { ytd: m[1], rate: m[2] };
}

const wan = (s: string): number => Number(s.replace(/,/g, ''));

describe('a project in weekly and monthly cycles of one year', () => {
  let september: number;
  let w42: number;

  beforeAll(async () => {
    const db = h.ctx.db;
    september = await openCycle(db, '2026-09');
    w42 = await openCycle(db, '2026-W42', 'weekly');
    const sep = await prompt(september);
    const filedSep = await act(sep.messageId, 'report.submit', september, reportForm({ [F.periodInvestment]: '300' }));
    expect(cardText(filedSep.card?.data)).toContain('年度累计 4,000 万元 (66.7%) · 序时进度 75.0% · 🟢'); // 8.3 points behind: green under yinchuan (yellow from 10)
    const week = await prompt(w42);
    const filedWeek = await act(week.messageId, 'report.submit', w42, reportForm({ [F.periodInvestment]: '1000', [F.progress]: '第42周：主体结构封顶' }));
    // The weekly chain: its own first report, on the registry's figure (4,000 after September).
    expect(summaryYtd(cardText(filedWeek.card?.data))).toEqual({ ytd: '5,000', rate: '83.3%' });
  }, 30_000);

  it('the monthly prompt shows the monthly chain, and 本期无变化 files exactly the figure it showed', async () => {
    const october = await openCycle(h.ctx.db, '2026-10');
    const card = await prompt(october);

    // September's cumulative, not the weekly 5,000 filed after it; the light where September's summary left it.
    expect(formYtd(card.text)).toEqual({ ytd: '4,000', rate: '66.7%' });
    expect(card.text).toContain('上期（2026年9月）完成投资：300 万元');
    expect(card.text).toContain('🟢 绿灯：低于序时进度8.3个百分点'); // green under yinchuan (yellow from 10)
    // State carries over from the latest report of either cadence, as 本期无变化 files it.
    expect(card.text).toContain('"default_value":"第42周：主体结构封顶"');

    const filed = await act(card.messageId, 'report.no_change', october);
    expect(filed.toast?.content).toBe('已提交');
    const summary = cardText(filed.card?.data);
    expect(summary).toContain('已提交（本期无变化）');
    expect(summaryYtd(summary)).toEqual(formYtd(card.text));
    const stored = await h.ctx.db.selectFrom('reports').select(['ytd_investment', 'progress']).where('cycle_id', '=', october).where('project_id', '=', project.id).executeTakeFirstOrThrow();
    expect(stored).toEqual({ ytd_investment: '4000.0000', progress: '第42周：主体结构封顶' });
  });

  it('the weekly prompt shows the weekly chain; the summary adds the week to it, and 修改 shows it again', async () => {
    // Before W43's due time (2026-10-23 18:00): on time, and the owner may still correct it.
    h.clock.set('2026-10-23T10:00');
    const w43 = await openCycle(h.ctx.db, '2026-W43', 'weekly');
    const card = await prompt(w43);

    // Week 42's cumulative, not October's monthly 4,000 (filed later, and the registry's figure now).
    const shown = formYtd(card.text);
    expect(shown).toEqual({ ytd: '5,000', rate: '83.3%' });
    expect(card.text).toContain('上期（2026年第42周（10月12日—10月18日））完成投资：1,000 万元');

    const filed = await act(card.messageId, 'report.submit', w43, reportForm({ [F.periodInvestment]: '200' }));
    expect(filed.toast?.content).toBe('已提交');
    const after = summaryYtd(cardText(filed.card?.data));
    expect(wan(after.ytd)).toBe(wan(shown.ytd) + 200);
    expect(after).toEqual({ ytd: '5,200', rate: '86.7%' });

    // A correction adds to the same base, so the form shows it, not the stored 5,200.
    const edit = await act(card.messageId, 'report.edit', w43);
    expect(formYtd(cardText(edit.card?.data))).toEqual(shown);
  });
});
