// (h) Authorisation, table-driven: every state-changing action a card or a chat message can take,
// tried by every role, through the real intake (signed callback / message event → router →
// service). Each case clicks the card the bot sent to the person the action is meant for, so a
// "someone else" row is also the forwarded-card case. Allowed: the effect is stored. Refused: a
// Chinese answer, and the case's rows are exactly as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_FIELDS as F, YES } from '../../src/cards/card-actions.js';
import { PROBLEM_FIELDS } from '../../src/cards/problem.card.js';
import { escalationFields } from '../../src/cards/escalation.card.js';
import { closeCycle } from '../../src/cycle/cycle.service.js';
import { sendOwnerPrompts } from '../../src/cycle/prompt.service.js';
import { sendPickedCard } from '../../src/submission/report.service.js';
import { bindGroup } from '../../src/league/groups.repository.js';
import { messageUuid } from '../../src/platform/feishu/outbound.js';
import { drained } from '../cycle/cycle-env.js';
import { addDepartment, addPerson, addProject, grant, openCycle, reportForm, startScenario, until, type Scenario, type TestPerson } from '../submission/scenario.js';
import { printFigures } from './figures.js';

// ---------------------------------------------------------------------------------------------
// The policy. ✓ allowed, · refused. Roles are relative to the case's project (and its problem):
//   owner      项目负责人                     delegate  联络员 (person_grants delegate for the project)
//   contact    责任单位联系人 (the problem's department)   leader  包保领导 of the project
//   vice       分管副市长 of the project         admin     管理员 (person_grants admin)
//   stranger   a tenant user not in the registry
//   other      包保领导 of a project in another region
//   former     the 包保领导 / 分管副市长 the case was sent to, replaced in the registry since (the
//              escalation projects are led by him until the close, by leader / vice after it)
// Chat commands are not about a project: only admins bind groups and export.
// ---------------------------------------------------------------------------------------------
const POLICY = `
  action        owner delegate contact leader vice admin stranger other former
  submit          ✓      ✓        ·      ·     ·    ✓      ·      ·     ·     提交填报 (report.submit, first filing)
  draft           ✓      ✓        ·      ·     ·    ✓      ·      ·     ·     确认对话草稿 (draft.confirm)
  no_change       ✓      ✓        ·      ·     ·    ✓      ·      ·     ·     本期无变化 (report.no_change)
  correct         ✓      ✓        ·      ·     ·    ✓      ·      ·     ·     更正 before the due time (report.submit again: revision 2)
  correct_late    ·      ·        ·      ·     ·    ✓      ·      ·     ·     更正 after the close
  edit            ✓      ✓        ·      ·     ·    ✓      ·      ·     ·     修改: the correction form (report.edit)
  pick            ✓      ✓        ·      ·     ·    ✓      ·      ·     ·     填报 on a list: the form sent to the picker (report.pick)
  photo           ✓      ✓        ·      ·     ·    ✓      ·      ·     ·     关联照片 (photo.attach)
  accept          ·      ·        ✓      ·     ·    ✓      ·      ·     ·     受理问题 (problem.accept)
  resolve         ·      ·        ✓      ·     ·    ✓      ·      ·     ·     办结问题 (problem.resolve)
  confirm         ✓      ✓        ·      ·     ·    ✓      ·      ·     ·     确认解决 (problem.confirm)
  reopen          ✓      ✓        ·      ·     ·    ✓      ·      ·     ·     退回 (problem.reopen)
  ack1            ·      ·        ·      ✓     ·    ✓      ·      ·     ·     已阅, level 1 (the 包保领导's case)
  supervise1      ·      ·        ·      ✓     ·    ✓      ·      ·     ·     督办, level 1
  instruct1       ·      ·        ·      ✓     ·    ✓      ·      ·     ·     批示, level 1
  ack2            ·      ·        ·      ·     ✓    ✓      ·      ·     ·     已阅, level 2 (the 分管副市长's case)
  supervise2      ·      ·        ·      ·     ✓    ✓      ·      ·     ·     督办, level 2
  instruct2       ·      ·        ·      ·     ✓    ✓      ·      ·     ·     批示, level 2
  export          ·      ·        ·      ·     ·    ✓      ·      ·     ·     导出 in chat (league export)
  bind            ·      ·        ·      ·     ·    ✓      ·      ·     ·     绑定 <地区> in a group
  unbind          ·      ·        ·      ·     ·    ✓      ·      ·     ·     解绑 in a group
`;

const ROLES = ['owner', 'delegate', 'contact', 'leader', 'vice', 'admin', 'stranger', 'other', 'former'] as const;
type Role = (typeof ROLES)[number];
const ACTIONS = [
  'submit', 'draft', 'no_change', 'correct', 'correct_late', 'edit', 'pick', 'photo', 'accept', 'resolve', 'confirm', 'reopen',
  'ack1', 'supervise1', 'instruct1', 'ack2', 'supervise2', 'instruct2', 'export', 'bind', 'unbind',
] as const;
type Action = (typeof ACTIONS)[number];

function parsePolicy(table: string): Map<Action, Map<Role, boolean>> {
  const lines = table.trim().split('\n').map((l) => l.trim().split(/\s+/));
  const [head, ...rows] = lines;
  expect(head.slice(1)).toEqual([...ROLES]);
  const out = new Map<Action, Map<Role, boolean>>();
  for (const r of rows) out.set(r[0] as Action, new Map(ROLES.map((role, i) => [role, r[i + 1] === '✓'])));
  expect([...out.keys()]).toEqual([...ACTIONS]);
  return out;
}

type Body = { toast?: { type: string; content: string }; card?: unknown };
type Answer = { kind: 'toast'; type: string; text: string } | { kind: 'card' };

const BEFORE_DUE = '2026-10-24T10:00';
const AFTER_CLOSE = '2026-10-27T10:00';
const LANES = 4;

let h: Scenario;
let october: number;
const who = {} as Record<Role, TestPerson>;
let otherOwner: TestPerson;
let dept: number;

/** One case: its project (if any), how to deliver it, what "stored" means, and when it runs. */
type Case = {
  action: Action;
  role: Role;
  allowed: boolean;
  phase: 'open' | 'closed';
  /** Cases on one key run one after the other (a shared project), others concurrently. */
  key: string;
  rows: () => Promise<unknown>;
  deliver: () => Promise<Answer>;
  /** Whether the effect is stored; `wait`: an allowed case whose effect follows in a job. */
  effect: (operator: TestPerson, wait: boolean) => Promise<boolean>;
};

const cases: Case[] = [];
const projectOf = new Map<string, { id: number; name: string }>();
const formCardOf = new Map<number, string>();

const LEVEL1 = /^(ack1|supervise1|instruct1)-/;
const LEVEL2 = /^(ack2|supervise2|instruct2)-/;

const newProject = async (label: string) => {
  // The escalation cases' cards go to `former`; the registry hands the project on after the close.
  const leaderId = LEVEL1.test(label) ? who.former.id : who.leader.id;
  const viceMayorId = LEVEL2.test(label) ? who.former.id : who.vice.id;
  const p = await addProject(h.ctx.db, { name: `授权${label}`, region: '天城县', ownerId: who.owner.id, leaderId, viceMayorId, departmentId: dept });
  await grant(h.ctx.db, who.delegate.id, 'delegate', p.id);
  projectOf.set(label, p);
  return p;
};

const answerOf = (body: unknown): Answer => {
  const b = body as Body;
  return b.toast ? { kind: 'toast', type: b.toast.type, text: b.toast.content } : { kind: 'card' };
};

let eventSeq = 0;

/** Delivers a click as Feishu does. Past the 2.5 s budget (a loaded machine) the bot answers
 *  「已收到，正在保存」 and sends its real answer later (a card update, or a refusal as a message
 *  to the clicker): that answer is read instead. */
const click = async (operator: TestPerson, messageId: string, value: Record<string, unknown>, formValue?: Record<string, unknown>, eventId = `auth-${process.pid}-${eventSeq++}`): Promise<Answer> => {
  const r = await h.driver.cardAction({ operatorOpenId: operator.openId, messageId, value, eventId, ...(formValue ? { formValue } : {}) }, { allowLate: true });
  if (r.status !== 200) throw new Error(`callback answered HTTP ${r.status}`);
  const first = answerOf(r.body);
  if (first.kind !== 'toast' || first.text !== '已收到，正在保存') return first;
  // A card answer updates the card; a toast-only one (a refusal) goes to the clicker as a message.
  const outbound = h.ctx.queues.queue('outbound');
  const job = await until(async () => (await outbound.getJob(`card-update-${eventId}`)) ?? (await outbound.getJob(`late-answer-${eventId}`)), 20_000);
  if (job.name === 'card.update') return { kind: 'card' };
  const late = job.data as { type: string; text: string };
  return { kind: 'toast', type: late.type, text: late.text };
};

/** Every row the case's project owns, in the tables an action could write. */
async function projectRows(projectId: number): Promise<unknown> {
  const db = h.ctx.db;
  const reportIds = db.selectFrom('reports').select('id').where('project_id', '=', projectId);
  const problemIds = db.selectFrom('problems').select('id').where('project_id', '=', projectId);
  const escalationIds = db.selectFrom('escalations').select('id').where('project_id', '=', projectId);
  const [reports, revisions, photos, problems, events, escalations, actions, coverage, project] = await Promise.all([
    db.selectFrom('reports').selectAll().where('project_id', '=', projectId).orderBy('id').execute(),
    db.selectFrom('report_revisions').selectAll().where('report_id', 'in', reportIds).orderBy('id').execute(),
    db.selectFrom('report_photos').selectAll().where('report_id', 'in', reportIds).orderBy('id').execute(),
    db.selectFrom('problems').selectAll().where('project_id', '=', projectId).orderBy('id').execute(),
    db.selectFrom('problem_events').selectAll().where('problem_id', 'in', problemIds).orderBy('id').execute(),
    db.selectFrom('escalations').selectAll().where('project_id', '=', projectId).orderBy('id').execute(),
    db.selectFrom('escalation_actions').selectAll().where('escalation_id', 'in', escalationIds).orderBy('id').execute(),
    db.selectFrom('cycle_projects').selectAll().where('project_id', '=', projectId).execute(),
    db.selectFrom('projects').selectAll().where('id', '=', projectId).execute(),
  ]);
  return { reports, revisions, photos, problems, events, escalations, actions, coverage, project };
}

const reportBy = async (projectId: number) =>
  h.ctx.db.selectFrom('reports').select(['submitted_by', 'revision']).where('project_id', '=', projectId).where('cycle_id', '=', october).executeTakeFirst();

const problemOf = async (projectId: number) => h.ctx.db.selectFrom('problems').select(['id', 'status']).where('project_id', '=', projectId).executeTakeFirstOrThrow();

/**
 * The newest card a person got carrying a button `a` with this `"<idKey>":<id>` (JSON ends the id,
 * so 1 ≠ 12). Remembered: a refusal answered late replaces the clicked card's content with its
 * notice, and the next role clicks the same message.
 */
const cardSeen = new Map<string, string>();
const cardTo = async (p: TestPerson, a: string, idKey: string, id: number): Promise<string> => {
  const key = `${p.openId}|${a}|${idKey}|${id}`;
  const known = cardSeen.get(key);
  if (known) return known;
  const found = await until(() => h.fake.messages({ receive_id: p.openId, msg_type: 'interactive' }).filter((m) => m.raw_content.includes(`"a":"${a}"`) && new RegExp(`"${idKey}":${id}[,}]`).test(m.raw_content)).at(-1)?.message_id, 30_000);
  cardSeen.set(key, found);
  return found;
};

const filed = (label: string, problem?: Record<string, string>) => async () => {
  const p = projectOf.get(label)!;
  const a = await click(who.owner, formCardOf.get(p.id)!, { a: 'report.submit', projectId: p.id, cycleId: october }, reportForm(problem));
  if (a.kind === 'toast' && a.type !== 'success') throw new Error(`setup filing of ${label} failed: ${JSON.stringify(a)}`);
};

async function inLanes<T>(items: T[], lanes: number, run: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next < items.length) await run(items[next++]);
  }));
}

beforeAll(async () => {
  h = await startScenario(BEFORE_DUE);
  const db = h.ctx.db;
  who.owner = await addPerson(h, '负责人杜磊');
  who.delegate = await addPerson(h, '联络员钱敏');
  who.contact = await addPerson(h, '资源局联络人');
  who.leader = await addPerson(h, '包保领导周敏');
  who.vice = await addPerson(h, '王副市长');
  who.admin = await addPerson(h, '项目中心老李');
  who.stranger = await addPerson(h, '路人甲', { registered: false });
  who.other = await addPerson(h, '外区包保吴海涛');
  who.former = await addPerson(h, '前任领导孙包保');
  otherOwner = await addPerson(h, '外区负责人');
  await grant(db, who.admin.id, 'admin');
  dept = await addDepartment(db, '市自然资源局', who.contact.id);
  // The other leader's own project, in another region: he has escalations of his own.
  await addProject(db, { name: '云溪项目', region: '云溪区', ownerId: otherOwner.id, leaderId: who.other.id, departmentId: dept });

  const policy = parsePolicy(POLICY);
  for (const action of ACTIONS) for (const role of ROLES) {
    const allowed = policy.get(action)!.get(role)!;
    const chat = ['export', 'bind', 'unbind'].includes(action);
    // An allowed case changes its project, so it has one of its own; the refused cases of an
    // action share one (run one after the other, each compared with the state just before it).
    const key = chat || allowed ? `${action}-${role}` : `${action}-refused`;
    const shared = ['edit', 'pick', 'photo'].includes(action) ? action : key;
    if (!chat && !projectOf.has(shared)) await newProject(shared);
    cases.push({ action, role, allowed, phase: 'open', key: shared, rows: async () => undefined, deliver: async () => ({ kind: 'card' }), effect: async () => false });
  }
  october = await openCycle(db, '2026-10');

  // The cards the rightful recipients got: a form per project (as 填报 sends it), the owner's consolidated prompt (pick buttons).
  const formProjects = [...projectOf.entries()].filter(([l]) => l !== 'pick' && !LEVEL1.test(l)).map(([, p]) => p);
  await inLanes(formProjects, LANES, async (p) => {
    await sendPickedCard(h.ctx, { cycleId: october, projectId: p.id, personId: who.owner.id });
    const sent = await db.selectFrom('outbound_messages').select('message_id').where('uuid', '=', messageUuid(`pick:c${october}:p${p.id}:u${who.owner.id}`)).executeTakeFirstOrThrow();
    formCardOf.set(p.id, sent.message_id!);
  });
  await sendOwnerPrompts(h.ctx, october, who.owner.id);
  const pickCard = await cardTo(who.owner, 'report.pick', 'projectId', projectOf.get('pick')!.id);

  // Setup the owner does himself: filings, problems raised (city-level for the level-2 cases).
  const land = { [F.problemCategory]: '用地', [F.problemDescription]: '用地指标未下达', [F.problemDepartment]: String(dept) };
  const setup: (() => Promise<void>)[] = [];
  for (const [label] of projectOf) {
    const [action] = label.split('-') as [Action];
    if (['correct', 'correct_late', 'photo', 'edit'].includes(action)) setup.push(filed(label));
    if (['accept', 'resolve', 'confirm', 'reopen'].includes(action)) setup.push(filed(label, land));
    if (['ack2', 'supervise2', 'instruct2'].includes(action)) setup.push(filed(label, { ...land, [F.problemNeedsCity]: YES }));
  }
  await inLanes(setup, LANES, (f) => f());
  // The department moves the problems on as far as each case needs.
  await inLanes([...projectOf].filter(([l]) => /^(resolve|confirm|reopen)-/.test(l)), LANES, async ([label, p]) => {
    const pr = await problemOf(p.id);
    const card = await cardTo(who.contact, 'problem.accept', 'problemId', pr.id);
    await click(who.contact, card, { a: 'problem.accept', problemId: pr.id });
    if (!label.startsWith('resolve')) await click(who.contact, card, { a: 'problem.resolve', problemId: pr.id }, { [PROBLEM_FIELDS.resolutionNote]: '已协调' });
  });

  // Wire each case to its cards and effects.
  for (const c of cases) {
    const p = projectOf.get(c.key);
    if (p) c.rows = () => projectRows(p.id);
    const target = { projectId: p?.id, cycleId: october };
    switch (c.action) {
      case 'submit':
      case 'draft':
      case 'no_change': {
        const a = { submit: 'report.submit', draft: 'draft.confirm', no_change: 'report.no_change' }[c.action];
        c.deliver = () => click(who[c.role], formCardOf.get(p!.id)!, { a, ...target }, c.action === 'no_change' ? undefined : reportForm());
        c.effect = async (op) => (await reportBy(p!.id))?.submitted_by === op.id;
        break;
      }
      case 'correct':
      case 'correct_late':
        c.phase = c.action === 'correct' ? 'open' : 'closed';
        c.deliver = () => click(who[c.role], formCardOf.get(p!.id)!, { a: 'report.submit', ...target }, reportForm({ [F.periodInvestment]: '650' }));
        c.effect = async (op) => {
          const r = await reportBy(p!.id);
          return r?.revision === 2 && r.submitted_by === op.id;
        };
        break;
      case 'edit': {
        let last: Answer | undefined;
        c.deliver = async () => (last = await click(who[c.role], formCardOf.get(p!.id)!, { a: 'report.edit', ...target }));
        // Nothing is stored: the effect is the correction form in the answer.
        c.effect = async () => last?.kind === 'card';
        break;
      }
      case 'pick': {
        const eventId = `auth-pick-${c.role}-${Date.now()}`;
        c.deliver = () => click(who[c.role], pickCard, { a: 'report.pick', ...target }, undefined, eventId);
        // The form follows in a job (pick.send): the job, or the card it sent, is the effect.
        c.effect = async (op, wait) => {
          const sent = async () => (await h.ctx.db.selectFrom('outbound_messages').select('state').where('uuid', '=', messageUuid(`pick:c${october}:p${p!.id}:u${op.id}`)).executeTakeFirst())?.state === 'sent';
          if (wait) return Boolean(await until(sent, 20_000).catch(() => false));
          return (await sent()) || (await h.ctx.queues.queue('outbound').getJob(`pick-send-${eventId}`)) !== undefined;
        };
        break;
      }
      case 'photo': {
        const image = `img_v3_auth_${c.role}`;
        c.deliver = () => click(who[c.role], formCardOf.get(p!.id)!, { a: 'photo.attach', ...target, imageKeys: [image], messageId: `om_photo_${c.role}` });
        c.effect = async (op) => Boolean(await h.ctx.db.selectFrom('report_photos').select('id').where('image_key', '=', image).where('sent_by', '=', op.id).executeTakeFirst());
        break;
      }
      case 'accept':
      case 'resolve':
      case 'confirm':
      case 'reopen': {
        const side = c.action === 'accept' || c.action === 'resolve' ? who.contact : who.owner;
        const button = c.action === 'accept' ? 'problem.accept' : c.action === 'resolve' ? 'problem.resolve' : 'problem.confirm';
        const next = { accept: 'in_coordination', resolve: 'resolved', confirm: 'confirmed', reopen: 'reopened' }[c.action];
        const form = c.action === 'resolve' ? { [PROBLEM_FIELDS.resolutionNote]: '已召开协调会' } : c.action === 'reopen' ? { [PROBLEM_FIELDS.reopenReason]: '仍未落实' } : undefined;
        c.deliver = async () => {
          const pr = await problemOf(p!.id);
          return click(who[c.role], await cardTo(side, button, 'problemId', pr.id), { a: `problem.${c.action}`, problemId: pr.id }, form);
        };
        c.effect = async () => (await problemOf(p!.id)).status === next;
        break;
      }
      case 'ack1':
      case 'supervise1':
      case 'instruct1':
      case 'ack2':
      case 'supervise2':
      case 'instruct2': {
        c.phase = 'closed';
        const level = c.action.endsWith('1') ? 1 : 2;
        const action = { ack: 'acknowledge', supervise: 'supervise', instruct: 'instruct' }[c.action.slice(0, -1)]!;
        const escalation = () => h.ctx.db.selectFrom('escalations').select('id').where('project_id', '=', p!.id).where('level', '=', level).executeTakeFirstOrThrow();
        c.deliver = async () => {
          const { id } = await escalation();
          const f = escalationFields(id);
          const form = action === 'supervise' ? { [f.deadline]: '2026-11-10 +0800' } : action === 'instruct' ? { [f.instruction]: '请本周内协调解决' } : undefined;
          const card = await cardTo(who.former, 'escalation.acknowledge', 'escalationId', id);
          return click(who[c.role], card, { a: `escalation.${action}`, escalationId: id }, form);
        };
        c.effect = async (op) => {
          const { id } = await escalation();
          return Boolean(await h.ctx.db.selectFrom('escalation_actions').select('id').where('escalation_id', '=', id).where('action', '=', action as 'acknowledge').where('actor_id', '=', op.id).executeTakeFirst());
        };
        break;
      }
      case 'export':
      case 'bind':
      case 'unbind':
        c.phase = 'closed';
        chatCase(c);
        break;
    }
  }
}, 180_000);

afterAll(async () => {
  await h?.stop();
});

/** Chat commands: the answer is a message in reply; the effect a file, or the group's binding. */
function chatCase(c: Case): void {
  const chatId = h.fake.addChat({ name: `授权测试群${c.action}${c.role}` });
  let replyText: string | undefined;
  let sent: string | undefined;
  const binding = () => h.ctx.db.selectFrom('chat_groups').select('region_id').where('chat_id', '=', chatId).executeTakeFirst();
  c.rows = async () => ({ binding: await binding() });
  c.deliver = async () => {
    if (c.action === 'unbind') await bindGroup(h.ctx.db, { chatId, name: chatId, target: '天城县', by: 'test', at: h.clock.now() });
    const text = { export: '导出', bind: '绑定 天城县', unbind: '解绑' }[c.action as 'export'];
    const r = await h.driver.sendMessageEvent({
      senderOpenId: who[c.role].openId, text: `@_user_1 ${text}`, chatType: 'group', chatId,
      mentions: [{ key: '@_user_1', id: { open_id: 'ou_bot' }, name: '调度助手' }],
    });
    sent = r.messageId;
    const reply = await until(() => h.fake.messages().find((m) => m.replyTo === r.messageId), 30_000);
    replyText = (reply.content as { text?: string }).text;
    const denied = replyText?.startsWith('只有管理员');
    return denied ? { kind: 'toast', type: 'error', text: replyText! } : { kind: 'toast', type: 'success', text: replyText ?? reply.msg_type };
  };
  c.effect = async () => {
    if (c.action === 'export') return h.fake.messages().some((m) => m.replyTo === sent && m.msg_type === 'file');
    const row = await binding();
    return c.action === 'bind' ? row !== undefined : row === undefined;
  };
}

type Outcome = { c: Case; answer?: Answer; stored: boolean; unchanged: boolean; error?: string };

async function runCase(c: Case): Promise<Outcome> {
  try {
    // For unbind the group is bound inside deliver; its "before" is the bound state.
    const before = c.action === 'unbind' ? { binding: { region_id: 'bound' } } : await c.rows();
    const answer = await c.deliver();
    // An allowed write may still be committing after an interim 「已收到」 on a loaded machine.
    const stored = c.allowed ? Boolean(await until(() => c.effect(who[c.role], true), 20_000).catch(() => false)) : await c.effect(who[c.role], false);
    const after = await c.rows();
    const unchanged = c.action === 'unbind' ? (after as { binding?: unknown }).binding !== undefined : JSON.stringify(after) === JSON.stringify(before);
    return { c, answer, stored, unchanged };
  } catch (e) {
    return { c, stored: false, unchanged: false, error: (e as Error).message };
  }
}

const CHINESE = /[\u4e00-\u9fff]/;

function judge(o: Outcome): string | null {
  const { c, answer } = o;
  const tag = `${c.action} × ${c.role}`;
  if (o.error) return `${tag}: ${o.error}`;
  if (c.allowed) {
    if (answer?.kind === 'toast' && answer.type === 'error') return `${tag}: allowed but answered "${answer.text}"`;
    if (!o.stored) return `${tag}: allowed but nothing stored`;
    return null;
  }
  if (o.stored || !o.unchanged) return `${tag}: LEAK — refused role changed state (answer ${JSON.stringify(answer)})`;
  if (answer?.kind !== 'toast' || answer.type !== 'error' || !CHINESE.test(answer.text) || answer.text.includes('系统繁忙')) return `${tag}: refused without a clear Chinese answer: ${JSON.stringify(answer)}`;
  return null;
}

describe('(h) authorisation: every action × every role', () => {
  it('allows exactly the table, stores what is allowed and nothing that is refused', async () => {
    const outcomes: Outcome[] = [];
    const runPhase = async (phase: Case['phase']) => {
      const byKey = new Map<string, Case[]>();
      for (const c of cases.filter((x) => x.phase === phase)) byKey.set(c.key, [...(byKey.get(c.key) ?? []), c]);
      await inLanes([...byKey.values()], LANES, async (group) => {
        for (const c of group) outcomes.push(await runCase(c));
      });
    };
    await runPhase('open');
    // The close: the ladder sends level 1 to the 包保领导 of every project not filed, level 2 to
    // the 分管副市长 of every city-level problem, and the cycle is closed for corrections.
    h.clock.set(AFTER_CLOSE);
    await closeCycle(h.ctx, october);
    await drained(h.ctx);
    // The registry's next import names new leaders for the escalated projects (registry-store's write).
    await h.ctx.db.updateTable('projects').set({ leader_id: who.leader.id }).where('leader_id', '=', who.former.id).execute();
    await h.ctx.db.updateTable('projects').set({ vice_mayor_id: who.vice.id }).where('vice_mayor_id', '=', who.former.id).execute();
    await runPhase('closed');
    // Work a refused action might have queued has run by now: look again.
    await drained(h.ctx);
    for (const o of outcomes) if (!o.c.allowed && !o.error && (await o.c.effect(who[o.c.role], false))) o.stored = true;

    const failures = outcomes.map(judge).filter((x): x is string => x !== null);
    const allowed = outcomes.filter((o) => o.c.allowed).length;
    const leaks = outcomes.filter((o) => !o.c.allowed && (o.stored || !o.unchanged) && !o.error).length;
    printFigures('(h) authorisation', { cases: outcomes.length, failures: failures.length, lost: 0, duplicates: 0, allowed, refused: outcomes.length - allowed, leaks });
    expect(outcomes).toHaveLength(ACTIONS.length * ROLES.length);
    expect(failures).toEqual([]);
  }, 120_000);
});
