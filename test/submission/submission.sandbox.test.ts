// Filing through the whole bot: signed callbacks from the simulated tenant, the real HTTP intake,
// Postgres, and the card the owner ends up looking at.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_FIELDS as F, NO, YES } from '../../src/cards/card-actions.js';
import { createIntakeHandlers } from '../../src/app/intake-handlers.js';
import {
  addPerson, addProject, cardText, closeCycle, grant, openCycle, promptCards, reportForm, shanghai, snapshot, startScenario, until,
  type Scenario, type TestPerson,
} from './scenario.js';

type Body = { toast?: { type: string; content: string }; card?: { type: string; data: Record<string, unknown> } };

let h: Scenario;
let owner: TestPerson;
let delegate: TestPerson;
let admin: TestPerson;
let stranger: TestPerson;
let october: number;
let september: number;
const projects: Record<string, { id: number; name: string }> = {};
let cards = new Map<string, string>();

const submit = (who: TestPerson, project: string, formValue: Record<string, string>, cycleId = october) =>
  h.driver.cardAction({
    operatorOpenId: who.openId,
    messageId: cards.get(projects[project].name)!,
    value: { a: 'report.submit', projectId: projects[project].id, cycleId },
    formValue,
    name: 'report_submit',
  });

/** A project added after the cycle opened, put into its coverage by hand. */
async function coveredProject(name: string): Promise<{ id: number; name: string }> {
  const p = await addProject(h.ctx.db, { name, ownerId: owner.id });
  const { region_id } = await h.ctx.db.selectFrom('projects').select('region_id').where('id', '=', p.id).executeTakeFirstOrThrow();
  await h.ctx.db.insertInto('cycle_projects').values({ cycle_id: october, project_id: p.id, owner_id: owner.id, region_id }).execute();
  return p;
}

const reportRows = (projectId: number) =>
  h.ctx.db.selectFrom('reports').selectAll().where('project_id', '=', projectId).orderBy('cycle_id').execute();

beforeAll(async () => {
  h = await startScenario('2026-10-24T10:00');
  const db = h.ctx.db;
  owner = await addPerson(h, '杜磊秀');
  delegate = await addPerson(h, '联络员小王');
  admin = await addPerson(h, '项目中心老李');
  stranger = await addPerson(h, '路人甲');
  await grant(db, admin.id, 'admin');
  for (const key of ['a', 'b', 'c', 'd', 'e']) {
    projects[key] = await addProject(db, { name: `项目${key.toUpperCase()}`, ownerId: owner.id });
  }
  await grant(db, delegate.id, 'delegate', projects.b.id);
  september = await openCycle(db, '2026-09');
  await closeCycle(db, september, shanghai('2026-09-26T09:00'));
  october = await openCycle(db, '2026-10');
  cards = await promptCards(h, october, owner);
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

describe('a valid submission', () => {
  it('is stored once although the callback is delivered three times, and every delivery gets the summary card', async () => {
    const first = await submit(owner, 'a', reportForm());
    const again = await h.driver.redeliver(first.delivery);
    const third = await h.driver.redeliver(first.delivery);

    expect(first.status).toBe(200);
    const body = first.body as Body;
    expect(body.toast).toEqual({ type: 'success', content: '已提交' });
    expect(body.card?.type).toBe('raw');
    const summary = cardText(body.card?.data);
    expect(summary).toContain('已提交 · 本期完成 500 万元 · 年度累计 4,200 万元 (70.0%) · 序时进度 83.3% · 🟡');
    expect(summary).toContain('"report.edit"');
    expect(again.body).toEqual(first.body);
    expect(third.body).toEqual(first.body);

    const rows = await reportRows(projects.a.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ revision: 1, period_investment: '500.0000', ytd_investment: '4200.0000', submitted_by: owner.id, via: 'card', late: false, source_event_id: first.delivery.eventId });
    const revisions = await h.ctx.db.selectFrom('report_revisions').selectAll().where('report_id', '=', rows[0].id).execute();
    expect(revisions).toHaveLength(1);
    const cp = await h.ctx.db.selectFrom('cycle_projects').selectAll().where('cycle_id', '=', october).where('project_id', '=', projects.a.id).executeTakeFirstOrThrow();
    expect(cp.status).toBe('reported');
    const project = await h.ctx.db.selectFrom('projects').selectAll().where('id', '=', projects.a.id).executeTakeFirstOrThrow();
    expect(project).toMatchObject({ ytd_investment: '4200.0000', ytd_year: 2026, stage: '续建' });
    // The owner's card is now the read-only summary.
    expect(cardText(h.fake.message(cards.get(projects.a.name)!)?.content)).toContain('年度累计 4,200 万元');
  });

  it('is stored once when two deliveries of one event race each other', async () => {
    const p = await coveredProject('项目H');
    const deliver = () =>
      h.driver.cardAction({
        operatorOpenId: owner.openId,
        messageId: cards.get(projects.a.name)!,
        value: { a: 'report.submit', projectId: p.id, cycleId: october },
        formValue: reportForm(),
        eventId: `race-${p.id}`,
      });
    const [x, y] = await Promise.all([deliver(), deliver()]);
    for (const r of [x, y]) {
      expect((r.body as Body).toast).toEqual({ type: 'success', content: '已提交' });
      expect(cardText((r.body as Body).card?.data)).toContain('已提交 · 本期完成 500 万元 · 年度累计 4,200 万元');
    }
    expect(await h.ctx.db.selectFrom('report_revisions').select('id').where('project_id', '=', p.id).execute()).toHaveLength(1);
  });

  it('records stage and milestones on the project with the day they were first reported', async () => {
    const r = await submit(owner, 'e', reportForm({ [F.stage]: '竣工', [F.completed]: YES, [F.registered]: YES }));
    expect((r.body as Body).toast?.type).toBe('success');
    const p = await h.ctx.db.selectFrom('projects').selectAll().where('id', '=', projects.e.id).executeTakeFirstOrThrow();
    expect(p).toMatchObject({ stage: '竣工', completed: true, registered: true, completed_on: '2026-10-24', registered_on: '2026-10-24' });
    const changes = await h.ctx.db.selectFrom('project_changes').selectAll().where('project_id', '=', projects.e.id).execute();
    expect(changes[0]?.changes).toMatchObject({ stage: { from: '续建', to: '竣工' } });
  });
});

describe('invalid input', () => {
  it.each<[string, Record<string, string>, RegExp]>([
    ['not a number', { [F.periodInvestment]: '五百' }, /阿拉伯数字/],
    ['negative', { [F.periodInvestment]: '-5' }, /不能为负数/],
    ['over 总投资 for the year', { [F.periodInvestment]: '7000' }, /超过项目总投资 10,000 万元/],
    ['stage backwards without reason', { [F.stage]: '前期' }, /属于倒退，请填写变更原因/],
    ['problem category without description', { [F.problemCategory]: '用地' }, /请填写问题描述/],
    ['problem description without category', { [F.problemDescription]: '用地指标未下达' }, /请选择问题类别/],
  ])('%s: refused with its own message, the form kept with what was typed, nothing stored', async (_name, override, message) => {
    const before = await snapshot(h.ctx.db);
    const typed = reportForm(override);
    const r = await submit(owner, 'c', typed);
    const body = r.body as Body;
    expect(r.status).toBe(200);
    expect(body.toast?.type).toBe('error');
    expect(body.toast?.content).toMatch(message);
    const card = cardText(body.card?.data);
    expect(card).toMatch(message);
    const typedShown = typed[F.periodInvestment];
    expect(card).toContain(`"default_value":"${typedShown}"`);
    expect(card).toContain('"form_action_type":"submit"');
    expect(await snapshot(h.ctx.db)).toEqual(before);
  });

  it('refuses changing an older period amount once a later period carried it forward, and changes nothing', async () => {
    // September (closed) filed late by the admin, then October by the owner: the chain 3,700 → 4,000 → 4,500.
    await submit(admin, 'd', reportForm({ [F.periodInvestment]: '300' }), september);
    await submit(owner, 'd', reportForm({ [F.periodInvestment]: '500' }));
    const [sep, oct] = await reportRows(projects.d.id);
    expect([sep?.ytd_investment, oct?.ytd_investment]).toEqual(['4000.0000', '4500.0000']);

    const before = await snapshot(h.ctx.db);
    const r = await submit(admin, 'd', reportForm({ [F.periodInvestment]: '200' }), september);
    expect((r.body as Body).toast).toMatchObject({ type: 'error' });
    expect((r.body as Body).toast?.content).toMatch(/2026年10月已在本期年度累计的基础上继续填报（累计 4,500 万元）/);
    expect(await snapshot(h.ctx.db)).toEqual(before);

    // Everything else about September can still be corrected (by an admin, the cycle being closed).
    const ok = await submit(admin, 'd', reportForm({ [F.periodInvestment]: '300', [F.progress]: '更正：基础施工完成' }), september);
    expect((ok.body as Body).toast).toEqual({ type: 'success', content: '已更正' });
  });
});

describe('who may file', () => {
  it('refuses someone who is neither owner, delegate nor admin, and changes nothing', async () => {
    const before = await snapshot(h.ctx.db);
    const r = await submit(stranger, 'b', reportForm());
    expect((r.body as Body).toast).toMatchObject({ type: 'error', content: expect.stringMatching(/不是该项目的负责人或联络员/) });
    expect(await snapshot(h.ctx.db)).toEqual(before);
  });

  it('refuses someone unknown to the registry', async () => {
    const ghost = await addPerson(h, '未登记', { registered: false });
    const r = await submit(ghost, 'b', reportForm());
    expect((r.body as Body).toast).toMatchObject({ type: 'error', content: expect.stringMatching(/没有找到您的人员信息/) });
  });

  it.each([['forged signature', { forgeSignature: true }], ['unsigned', { unsigned: true }], ['tampered body', { tamper: true }]])(
    'rejects a %s callback and changes nothing',
    async (_name, opts) => {
      const before = await snapshot(h.ctx.db);
      const r = await h.driver.cardAction(
        { operatorOpenId: owner.openId, messageId: cards.get(projects.b.name)!, value: { a: 'report.submit', projectId: projects.b.id, cycleId: october }, formValue: reportForm() },
        opts,
      );
      expect(r.status).toBe(401);
      expect(await snapshot(h.ctx.db)).toEqual(before);
    },
  );
});

describe('corrections', () => {
  it('keeps every revision with its author and its card; the delegate corrects through "修改"', async () => {
    const first = await submit(owner, 'b', reportForm());
    expect((first.body as Body).toast?.content).toBe('已提交');

    const edit = await h.driver.cardAction({ operatorOpenId: delegate.openId, messageId: cards.get(projects.b.name)!, value: { a: 'report.edit', projectId: projects.b.id, cycleId: october } });
    const form = cardText((edit.body as Body).card?.data);
    expect(form).toContain('"default_value":"500"');
    expect(form).toContain('保存为新的版本');

    const second = await submit(delegate, 'b', reportForm({ [F.periodInvestment]: '450' }));
    expect((second.body as Body).toast).toEqual({ type: 'success', content: '已更正' });
    expect(cardText((second.body as Body).card?.data)).toContain('已更正 · 本期完成 450 万元 · 年度累计 4,150 万元');

    const [report] = await reportRows(projects.b.id);
    expect(report).toMatchObject({ revision: 2, period_investment: '450.0000', submitted_by: delegate.id });
    const history = await h.ctx.db
      .selectFrom('report_revisions as v')
      .innerJoin('people as p', 'p.id', 'v.submitted_by')
      .select(['v.revision', 'p.name', 'v.period_investment', 'v.ytd_investment', 'v.source_event_id', 'v.source_message_id'])
      .where('v.report_id', '=', report.id)
      .orderBy('v.revision')
      .execute();
    expect(history).toEqual([
      { revision: 1, name: '杜磊秀', period_investment: '500.0000', ytd_investment: '4200.0000', source_event_id: first.delivery.eventId, source_message_id: cards.get(projects.b.name) },
      { revision: 2, name: '联络员小王', period_investment: '450.0000', ytd_investment: '4150.0000', source_event_id: second.delivery.eventId, source_message_id: cards.get(projects.b.name) },
    ]);
    const cp = await h.ctx.db.selectFrom('cycle_projects').select(['status']).where('cycle_id', '=', october).where('project_id', '=', projects.b.id).executeTakeFirstOrThrow();
    expect(cp.status).toBe('reported');
  });
});

describe('after the cycle closed', () => {
  it('accepts a first submission as late, refuses the owner a correction, and lets an admin correct', async () => {
    const db = h.ctx.db;
    const november = await openCycle(db, '2026-11');
    const nov = await promptCards(h, november, owner);
    await closeCycle(db, november, shanghai('2026-11-26T09:00'));
    h.clock.set('2026-11-27T10:00');
    const card = nov.get(projects.c.name)!;
    const send = (who: TestPerson, amount: string) =>
      h.driver.cardAction({ operatorOpenId: who.openId, messageId: card, value: { a: 'report.submit', projectId: projects.c.id, cycleId: november }, formValue: reportForm({ [F.periodInvestment]: amount }) });

    const late = await send(owner, '100');
    expect((late.body as Body).toast).toEqual({ type: 'success', content: '已补报（记为迟报）' });
    const summary = cardText((late.body as Body).card?.data);
    expect(summary).toContain('已提交（逾期）');
    expect(summary).not.toContain('"report.edit"');
    const cp = await db.selectFrom('cycle_projects').select('status').where('cycle_id', '=', november).where('project_id', '=', projects.c.id).executeTakeFirstOrThrow();
    expect(cp.status).toBe('late');

    const before = await snapshot(db);
    const refused = await send(owner, '120');
    expect((refused.body as Body).toast).toMatchObject({ type: 'error', content: expect.stringMatching(/本期已截止，更正已提交的数据需由管理员办理/) });
    expect(await snapshot(db)).toEqual(before);

    const corrected = await send(admin, '120');
    expect((corrected.body as Body).toast).toEqual({ type: 'success', content: '已更正' });
    const report = await db.selectFrom('reports').selectAll().where('cycle_id', '=', november).where('project_id', '=', projects.c.id).executeTakeFirstOrThrow();
    expect(report).toMatchObject({ revision: 2, late: true, submitted_by: admin.id });
    h.clock.set('2026-10-24T10:00');
  });
});

describe('本期无变化', () => {
  it('files zero with the last known stage and progress', async () => {
    const p = await coveredProject('项目F');
    const r = await h.driver.cardAction({ operatorOpenId: owner.openId, messageId: cards.get(projects.a.name)!, value: { a: 'report.no_change', projectId: p.id, cycleId: october } });
    expect((r.body as Body).toast?.content).toBe('已提交');
    expect(cardText((r.body as Body).card?.data)).toContain('已提交（本期无变化） · 本期完成 0 万元 · 年度累计 3,700 万元');
    const report = await h.ctx.db.selectFrom('reports').selectAll().where('project_id', '=', p.id).executeTakeFirstOrThrow();
    expect(report).toMatchObject({ no_change: true, period_investment: '0.0000', stage: '续建', started: true });
  });
});

describe('answering within the deadline', () => {
  it('answers early when the work is slow, then replaces the card by delayed update, storing once', async () => {
    const p = await coveredProject('项目G');
    const messageId = cards.get(projects.a.name)!;
    // A zero budget: the interim answer always wins the race, as it would against a slow database.
    const handlers = createIntakeHandlers(h.ctx, { callbackBudgetMs: 0 });
    const answer = await handlers.onCardAction({
      event_id: `slow-${p.id}`,
      token: h.fake.issueCardToken(messageId),
      operator: { open_id: owner.openId },
      action: { value: { a: 'report.submit', projectId: p.id, cycleId: october }, form_value: reportForm({ [F.periodInvestment]: '250', [F.started]: YES, [F.completed]: NO }) },
      context: { open_message_id: messageId },
    });
    expect(answer).toEqual({ toast: { type: 'info', content: '已收到，正在保存' } });
    const updated = await until(() => h.fake.message(messageId)?.patches.find((x) => x.via === 'card_update' && x.raw_content.includes('本期完成 250 万元')));
    expect(updated.raw_content).toContain('年度累计 3,950 万元');
    expect(await h.ctx.db.selectFrom('reports').select('id').where('project_id', '=', p.id).execute()).toHaveLength(1);
  });
});

describe('buttons that do not fit', () => {
  it('answers an escalation button for an escalation that does not exist with a clear refusal', async () => {
    const r = await h.driver.cardAction({ operatorOpenId: owner.openId, messageId: cards.get(projects.a.name)!, value: { a: 'escalation.acknowledge', escalationId: 1 } });
    expect(r.body).toEqual({ toast: { type: 'error', content: '督办事项不存在，请联系项目中心' } });
  });

  it('answers a malformed value with an error toast, not an error status', async () => {
    const r = await h.driver.cardAction({ operatorOpenId: owner.openId, messageId: cards.get(projects.a.name)!, value: { a: 'report.submit', projectId: 'x' } });
    expect(r.status).toBe(200);
    expect((r.body as Body).toast?.type).toBe('error');
  });
});


