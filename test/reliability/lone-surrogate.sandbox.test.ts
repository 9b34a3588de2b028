// A lone UTF-16 surrogate (half an emoji) in a form's text has no UTF-8 form: stored, it became
// U+FFFD without a word. It is refused instead — under the field and in the toast, naming the
// field — and nothing is stored, in the report form, the problem notes and a leader's 批示.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_FIELDS as F } from '../../src/cards/card-actions.js';
import { PROBLEM_FIELDS } from '../../src/cards/problem.card.js';
import { escalationFields } from '../../src/cards/escalation.card.js';
import {
  addDepartment, addPerson, addProject, cardText, openCycle, promptCards, reportForm, snapshot, startScenario,
  type Scenario, type TestPerson,
} from '../submission/scenario.js';

type Body = { toast?: { type: string; content: string }; card?: { type: string; data: Record<string, unknown> } };

let h: Scenario;
let owner: TestPerson;
let contact: TestPerson;
let leader: TestPerson;
let october: number;
let project: { id: number; name: string };
let cards = new Map<string, string>();

beforeAll(async () => {
  h = await startScenario('2026-10-24T10:00');
  const db = h.ctx.db;
  owner = await addPerson(h, '杜磊秀');
  contact = await addPerson(h, '资源局联络人');
  leader = await addPerson(h, '周敏');
  await addDepartment(db, '市自然资源局', contact.id);
  project = await addProject(db, { name: '残字项目', ownerId: owner.id, leaderId: leader.id });
  october = await openCycle(db, '2026-10');
  cards = await promptCards(h, october, owner);
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

const HALF_EMOJI = '\ud83d'; // the first half of 😀 without its second

describe('a lone surrogate in form text', () => {
  it.each([
    [F.progress, '形象进度', `主体结构封顶${HALF_EMOJI}`],
    [F.stageReason, '变更原因', `\ude00调整`],
  ])('in the report form (%s) is refused naming %s, nothing stored', async (field, label, text) => {
    const before = await snapshot(h.ctx.db);
    const r = await h.driver.cardAction({
      operatorOpenId: owner.openId,
      messageId: cards.get(project.name)!,
      value: { a: 'report.submit', projectId: project.id, cycleId: october },
      formValue: reportForm({ [field]: text }),
    });
    const body = r.body as Body;
    expect(body.toast?.type).toBe('error');
    expect(body.toast?.content).toContain(`${label}含有无法识别的字符`);
    // Under the field as well: the form comes back with the owner's input and the reason.
    expect(cardText(body.card?.data)).toContain(`${label}含有无法识别的字符`);
    expect(await snapshot(h.ctx.db)).toEqual(before);
  });

  it('in a problem’s 办理情况 is refused naming it, the problem unchanged', async () => {
    const db = h.ctx.db;
    const p = await db.insertInto('problems').values({
      number: 'WT2026-0901', project_id: project.id, cycle_id: october, category: '用地', description: '用地指标未落实', needs_city_coordination: false,
      raised_by: owner.id, raised_at: h.clock.now(), department_id: (await db.selectFrom('departments').select('id').executeTakeFirstOrThrow()).id, status: 'in_coordination',
    }).returning('id').executeTakeFirstOrThrow();
    const before = await snapshot(db);
    const r = await h.driver.cardAction({
      operatorOpenId: contact.openId, messageId: 'om_problem_card_surrogate', value: { a: 'problem.resolve', problemId: p.id },
      formValue: { [PROBLEM_FIELDS.resolutionNote]: `已协调${HALF_EMOJI}` },
    });
    expect((r.body as Body).toast).toMatchObject({ type: 'error', content: expect.stringContaining('办理情况含有无法识别的字符') });
    expect(await snapshot(db)).toEqual(before);
  });

  it('in a leader’s 批示 is refused naming it, nothing stored', async () => {
    const db = h.ctx.db;
    const esc = await db.insertInto('escalations').values({
      project_id: project.id, cycle_id: october, level: 1, reasons: ['lag'], reason_text: '低于序时进度', target_person_id: leader.id,
    }).returning('id').executeTakeFirstOrThrow();
    const before = await snapshot(db);
    const r = await h.driver.cardAction({
      operatorOpenId: leader.openId, messageId: 'om_escalation_card_surrogate', value: { a: 'escalation.instruct', escalationId: esc.id },
      formValue: { [escalationFields(esc.id).instruction]: `请本周内协调${HALF_EMOJI}` },
    });
    expect((r.body as Body).toast).toMatchObject({ type: 'error', content: expect.stringContaining('批示内容含有无法识别的字符') });
    expect(await snapshot(db)).toEqual(before);
    expect(await db.selectFrom('escalation_actions').select('id').where('escalation_id', '=', esc.id).execute()).toEqual([]);
  });
});
