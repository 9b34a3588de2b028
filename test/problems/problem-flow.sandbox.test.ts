// The problem ledger end to end: raised in the report card → the department's card → accepted →
// resolved → the owner confirms; a reopen; who may press which button; the CLI's view of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_FIELDS as F, YES } from '../../src/cards/card-actions.js';
import { PROBLEM_FIELDS } from '../../src/cards/problem.card.js';
import { problemCommands } from '../../src/cli/problems.commands.js';
import type { SandboxMessage } from '../../src/sandbox/index.js';
import {
  addDepartment, addPerson, addProject, cardText, grant, openCycle, promptCards, reportForm, snapshot, startScenario, until,
  type Scenario, type TestPerson,
} from '../submission/scenario.js';

type Body = { toast?: { type: string; content: string }; card?: { type: string; data: Record<string, unknown> } };

let h: Scenario;
let owner: TestPerson;
let contact: TestPerson;
let admin: TestPerson;
let stranger: TestPerson;
let october: number;
let landDept: number;
const projects: Record<string, { id: number; name: string }> = {};
let cards = new Map<string, string>();

beforeAll(async () => {
  h = await startScenario('2026-10-24T10:00');
  const db = h.ctx.db;
  owner = await addPerson(h, '杜磊秀');
  contact = await addPerson(h, '资源局联络人');
  admin = await addPerson(h, '项目中心老李');
  stranger = await addPerson(h, '路人甲');
  await grant(db, admin.id, 'admin');
  landDept = await addDepartment(db, '市自然资源局', contact.id);
  await addDepartment(db, '市住建局', null);
  projects.a = await addProject(db, { name: '项目甲', ownerId: owner.id, region: '天城县' });
  projects.b = await addProject(db, { name: '项目乙', ownerId: owner.id, region: '天城县' });
  projects.c = await addProject(db, { name: '项目丙', ownerId: owner.id, region: '云溪区' });
  october = await openCycle(db, '2026-10');
  cards = await promptCards(h, october, owner);
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

const raise = (project: string, problem: Record<string, string>) =>
  h.driver.cardAction({
    operatorOpenId: owner.openId,
    messageId: cards.get(projects[project].name)!,
    value: { a: 'report.submit', projectId: projects[project].id, cycleId: october },
    formValue: reportForm(problem),
  });

const act = (who: TestPerson, messageId: string, a: string, problemId: number, formValue?: Record<string, string>) =>
  h.driver.cardAction({ operatorOpenId: who.openId, messageId, value: { a, problemId }, ...(formValue ? { formValue } : {}) });

/** The newest card sent to a person carrying a given button. */
const cardWith = (person: TestPerson, action: string, after = 0) =>
  until(() => h.fake.messages({ receive_id: person.openId, msg_type: 'interactive' }).filter((m: SandboxMessage) => m.created_at >= after && m.raw_content.includes(`"a":"${action}"`)).at(-1));

const status = async (id: number) => (await h.ctx.db.selectFrom('problems').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

async function history(id: number) {
  return h.ctx.db
    .selectFrom('problem_events as e')
    .leftJoin('people as p', 'p.id', 'e.actor_id')
    .select(['e.action', 'p.name', 'e.note'])
    .where('e.problem_id', '=', id)
    .orderBy('e.id')
    .execute();
}

describe('the problem loop', () => {
  let problemId: number;

  it('raises a numbered problem with the report and tells the department', async () => {
    const r = await raise('a', { [F.problemCategory]: '用地', [F.problemDescription]: '用地指标未下达', [F.problemDepartment]: String(landDept), [F.problemNeedsCity]: YES });
    const body = r.body as Body;
    expect(body.toast).toEqual({ type: 'success', content: '已提交，问题 WT2026-0001 已登记' });
    expect(cardText(body.card?.data)).toContain('已登记问题 **WT2026-0001**（用地），已转 市自然资源局 办理，并标记为需市级协调');

    const p = await h.ctx.db.selectFrom('problems').selectAll().where('number', '=', 'WT2026-0001').executeTakeFirstOrThrow();
    problemId = p.id;
    expect(p).toMatchObject({ project_id: projects.a.id, cycle_id: october, category: '用地', department_id: landDept, needs_city_coordination: true, status: 'open', raised_by: owner.id });
    const deptCard = await cardWith(contact, 'problem.accept');
    expect(deptCard.raw_content).toContain('用地指标未下达');
  });

  it('lets only the department contact (or an admin) accept; a stranger and the owner are refused', async () => {
    const deptCard = await cardWith(contact, 'problem.accept');
    const before = await snapshot(h.ctx.db);
    for (const who of [stranger, owner]) {
      const r = await act(who, deptCard.message_id, 'problem.accept', problemId);
      expect((r.body as Body).toast).toMatchObject({ type: 'error', content: expect.stringMatching(/只有责任单位联系人或管理员可以受理/) });
    }
    expect(await snapshot(h.ctx.db)).toEqual(before);

    const ok = await act(contact, deptCard.message_id, 'problem.accept', problemId);
    expect((ok.body as Body).toast?.type).toBe('success');
    expect(cardText((ok.body as Body).card?.data)).toContain(`"a":"problem.resolve","problemId":${problemId}`);
    expect(await status(problemId)).toBe('in_coordination');

    const twice = await act(contact, deptCard.message_id, 'problem.accept', problemId);
    expect((twice.body as Body).toast).toMatchObject({ type: 'info', content: expect.stringMatching(/无需重复操作/) });
    expect((await history(problemId)).filter((e) => e.action === 'accepted')).toHaveLength(1);
    // The owner hears it was accepted.
    await until(() => h.fake.messages({ receive_id: owner.openId }).find((m) => m.raw_content.includes('已受理，正在协调办理')));
  });

  it('resolves with a note, then the owner confirms, and the history names everyone', async () => {
    const deptCard = await cardWith(contact, 'problem.resolve');
    const empty = await act(contact, deptCard.message_id, 'problem.resolve', problemId, { [PROBLEM_FIELDS.resolutionNote]: '' });
    expect((empty.body as Body).toast).toMatchObject({ type: 'error', content: '请填写办理情况说明' });

    const resolved = await act(contact, deptCard.message_id, 'problem.resolve', problemId, { [PROBLEM_FIELDS.resolutionNote]: '已召开协调会，指标已下达' });
    expect((resolved.body as Body).toast?.type).toBe('success');
    expect(await status(problemId)).toBe('resolved');

    const ownerCard = await cardWith(owner, 'problem.confirm');
    expect(ownerCard.raw_content).toContain('已召开协调会，指标已下达');
    const confirmed = await act(owner, ownerCard.message_id, 'problem.confirm', problemId, { [PROBLEM_FIELDS.reopenReason]: '' });
    expect((confirmed.body as Body).toast).toMatchObject({ type: 'success', content: expect.stringMatching(/闭环/) });
    expect(await status(problemId)).toBe('confirmed');
    await until(() => h.fake.messages({ receive_id: contact.openId }).find((m) => m.raw_content.includes('项目方已确认问题解决')));

    expect(await history(problemId)).toEqual([
      { action: 'raised', name: '杜磊秀', note: null },
      { action: 'accepted', name: '资源局联络人', note: null },
      { action: 'resolved', name: '资源局联络人', note: '已召开协调会，指标已下达' },
      { action: 'confirmed', name: '杜磊秀', note: null },
    ]);
  });
});

describe('a reopen', () => {
  it('goes back to the department with the reason, and round again to confirmed', async () => {
    const r = await raise('b', { [F.problemCategory]: '资金', [F.problemDescription]: '配套资金未到位', [F.problemDepartment]: '自然资源局' });
    expect((r.body as Body).toast?.content).toBe('已提交，问题 WT2026-0002 已登记');
    const id = (await h.ctx.db.selectFrom('problems').select('id').where('number', '=', 'WT2026-0002').executeTakeFirstOrThrow()).id;

    const start = Date.now();
    const accept = await until(() => h.fake.messages({ receive_id: contact.openId }).find((m) => m.raw_content.includes(`"problemId":${id}`) && m.raw_content.includes('problem.accept')));
    await act(contact, accept.message_id, 'problem.accept', id);
    await act(contact, accept.message_id, 'problem.resolve', id, { [PROBLEM_FIELDS.resolutionNote]: '已拨付首批资金' });
    const ownerCard = await until(() => h.fake.messages({ receive_id: owner.openId }).find((m) => m.raw_content.includes(`"a":"problem.reopen","problemId":${id}`)));

    const noReason = await act(owner, ownerCard.message_id, 'problem.reopen', id, { [PROBLEM_FIELDS.reopenReason]: ' ' });
    expect((noReason.body as Body).toast).toMatchObject({ type: 'error', content: '请填写退回原因' });
    const stranger_ = await act(stranger, ownerCard.message_id, 'problem.reopen', id, { [PROBLEM_FIELDS.reopenReason]: '捣乱' });
    expect((stranger_.body as Body).toast?.type).toBe('error');

    const reopened = await act(owner, ownerCard.message_id, 'problem.reopen', id, { [PROBLEM_FIELDS.reopenReason]: '第二批资金仍未到位' });
    expect((reopened.body as Body).toast?.type).toBe('success');
    expect(await status(id)).toBe('reopened');
    const again = await until(() =>
      h.fake.messages({ receive_id: contact.openId }).find((m) => m.created_at >= start && m.raw_content.includes('项目方退回了办结结果：第二批资金仍未到位') && m.raw_content.includes('problem.accept')),
    );
    await act(contact, again.message_id, 'problem.accept', id);
    await act(contact, again.message_id, 'problem.resolve', id, { [PROBLEM_FIELDS.resolutionNote]: '第二批资金已拨付' });
    const secondOwnerCard = await until(() => h.fake.messages({ receive_id: owner.openId }).filter((m) => m.raw_content.includes('第二批资金已拨付') && m.raw_content.includes('problem.confirm')).at(-1));
    await act(owner, secondOwnerCard.message_id, 'problem.confirm', id);
    expect(await status(id)).toBe('confirmed');
    expect((await history(id)).map((e) => e.action)).toEqual(['raised', 'accepted', 'resolved', 'reopened', 'accepted', 'resolved', 'confirmed']);
  });
});

describe('a department nobody can be told about', () => {
  it('tells the admins, and an admin can act for the department', async () => {
    const r = await raise('c', { [F.problemCategory]: '审批', [F.problemDescription]: '施工许可未批', [F.problemDepartment]: '住建局' });
    expect(cardText((r.body as Body).card?.data)).toContain('已转 市住建局 办理');
    const number = 'WT2026-0003';
    await until(() => h.fake.messages({ receive_id: admin.openId }).find((m) => m.raw_content.includes(number) && m.raw_content.includes('没有可通知的联系人')));
    const p = await h.ctx.db.selectFrom('problems').select(['id']).where('number', '=', number).executeTakeFirstOrThrow();
    const ok = await act(admin, cards.get(projects.c.name)!, 'problem.accept', p.id);
    expect((ok.body as Body).toast?.type).toBe('success');
  });
});

describe('CLI', () => {
  const run = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const [first, second, ...rest] = args;
    const cmd = problemCommands.find((c) => c.name === `${first} ${second}`)!;
    const code = await cmd.run(rest, h.ctx, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('lists the ledger, filtered by status and region, as a table or JSON', async () => {
    const all = await run(['problems', 'list']);
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/WT2026-0001\s+已解决\s+天城县\s+项目甲\s+用地\s+市自然资源局\s+是/);
    expect(all.out).toContain('共 3 个问题');

    const json = JSON.parse((await run(['problems', 'list', '--status', 'in_coordination', '--json'])).out) as { number: string; region: string }[];
    expect(json.map((p) => p.number)).toEqual(['WT2026-0003']);
    const region = JSON.parse((await run(['problems', 'list', '--region', '天城县', '--json'])).out) as { number: string }[];
    expect(region.map((p) => p.number).sort()).toEqual(['WT2026-0001', 'WT2026-0002']);
    await expect(run(['problems', 'list', '--status', 'bogus'])).rejects.toThrow(/bogus/);
  });

  it('shows one problem with its history', async () => {
    const r = await run(['problems', 'show', 'wt2026-0001']);
    expect(r.out).toContain('WT2026-0001  已解决  需市级协调');
    expect(r.out).toMatch(/提出 · 杜磊秀 · 10月24日/);
    expect(r.out).toMatch(/办结 · 资源局联络人 · .* · 已召开协调会，指标已下达/);
    expect(r.out).toMatch(/确认解决 · 杜磊秀/);
  });
});

describe('the notices follow the commit', () => {
  it('enqueues every problem notice and recheck without a delay, and each notice finds its problem on the first attempt', async () => {
    const jobsOf = async (queue: 'outbound' | 'control', name: string) =>
      (await h.ctx.queues.queue(queue).getJobs(['completed', 'failed', 'waiting', 'active', 'delayed', 'prioritized'])).filter((j) => j.name === name);
    // Every step above (raised, accepted, resolved, confirmed, reopened …) had its notice; wait until all have settled.
    const notices = await until(async () => {
      const all = await jobsOf('outbound', 'problem.notify');
      const settled = await Promise.all(all.map(async (j) => (await j.isCompleted()) || (await j.isFailed())));
      return all.length >= 8 && settled.every(Boolean) ? all : undefined;
    });
    for (const j of notices) {
      expect(j.opts.delay ?? 0).toBe(0);
      expect(await j.isCompleted()).toBe(true);
      // Started once, no NOT_FOUND retry: the row was committed before the job existed.
      expect(j.attemptsStarted).toBe(1);
      expect(j.stacktrace ?? []).toEqual([]);
    }
    const rechecks = await jobsOf('control', 'escalation.recheck');
    expect(rechecks.length).toBeGreaterThan(0);
    for (const j of rechecks) expect(j.opts.delay ?? 0).toBe(0);
  });
});
