// The people of the demo, acting through Feishu as they would: clicking cards and typing to the bot.
// Every action goes through the driver, so it is signed, encrypted and answered like the real thing.
import type { DemoEnv } from './demo-env.js';
import { NO, PROBLEM_FIELDS, REPORT_FIELDS as F, YES, type CardActionValue } from '../cards/card-actions.js';
import type { SandboxMessage } from '../sandbox/index.js';

export type Actor = { name: string; openId: string; personId: number };
export type DemoProject = { id: number; code: string; name: string; annualPlan: string; stage: string; owner: Actor };

type Answer = { toast?: { type: string; content: string }; card?: { data: unknown } };

export async function loadDemoProjects(env: DemoEnv): Promise<DemoProject[]> {
  const rows = await env.service.ctx.db
    .selectFrom('projects as p')
    .innerJoin('people as o', 'o.id', 'p.owner_id')
    .select(['p.id', 'p.code', 'p.name', 'p.annual_plan', 'p.stage', 'o.id as owner_id', 'o.name as owner_name', 'o.open_id'])
    .where('p.active', '=', true)
    .orderBy('p.code')
    .execute();
  return rows
    .filter((r) => r.open_id)
    .map((r) => ({ id: r.id, code: r.code, name: r.name, annualPlan: r.annual_plan, stage: r.stage, owner: { name: r.owner_name, openId: r.open_id!, personId: r.owner_id } }));
}

export async function actorByMobile(env: DemoEnv, mobile: string): Promise<Actor> {
  const p = await env.service.ctx.db.selectFrom('people').select(['id', 'name', 'open_id']).where('mobile', '=', mobile).executeTakeFirstOrThrow();
  if (!p.open_id) throw new Error(`${p.name} (${mobile}) is not matched to a Feishu user`);
  return { name: p.name, openId: p.open_id, personId: p.id };
}

/** The newest card the bot sent this person that mentions `text`. */
export function latestCard(env: DemoEnv, openId: string, text: string): SandboxMessage {
  const m = env.fake.messages({ receive_id: openId, msg_type: 'interactive' }).filter((x) => x.raw_content.includes(text)).at(-1);
  if (!m) throw new Error(`no card mentioning ${text} was sent to ${openId}`);
  return m;
}

export function reportForm(o: { amount: string; stage: string; progress: string; problem?: { category: string; description: string; department: string; city: boolean } }): Record<string, string> {
  return {
    [F.periodInvestment]: o.amount,
    [F.stage]: o.stage,
    [F.started]: YES,
    [F.completed]: NO,
    [F.registered]: NO,
    [F.progress]: o.progress,
    ...(o.problem
      ? { [F.problemCategory]: o.problem.category, [F.problemDescription]: o.problem.description, [F.problemDepartment]: o.problem.department, [F.problemNeedsCity]: o.problem.city ? YES : NO }
      : {}),
  };
}

export async function clickCard(env: DemoEnv, who: Actor, card: SandboxMessage, value: CardActionValue, formValue?: Record<string, string>): Promise<Answer & { elapsedMs: number }> {
  const r = await env.driver.cardAction({ operatorOpenId: who.openId, messageId: card.message_id, value, formValue });
  if (r.status !== 200) throw new Error(`callback answered HTTP ${r.status}`);
  return { ...(r.body as Answer), elapsedMs: r.elapsedMs };
}

/** A short line from a card: the first text in its JSON that matches the pattern. */
export function cardLine(card: unknown, pattern: RegExp): string | undefined {
  return pattern.exec(JSON.stringify(card ?? {}))?.[0].replace(/\*\*/g, '');
}

export async function say(env: DemoEnv, who: Actor, text: string): Promise<string> {
  const r = await env.driver.sendMessageEvent({ senderOpenId: who.openId, text, chatType: 'p2p' });
  return r.messageId;
}

export function repliesTo(env: DemoEnv, messageId: string): SandboxMessage[] {
  return env.fake.messages().filter((m) => m.replyTo === messageId);
}

export const problemNote = (note: string, field: 'resolve' | 'reopen') =>
  ({ [field === 'resolve' ? PROBLEM_FIELDS.resolutionNote : PROBLEM_FIELDS.reopenReason]: note }) as Record<string, string>;

/** The fill-in card a cycle sent this owner (weekly and monthly cards name the same projects). */
export async function promptCard(env: DemoEnv, cycleId: number, owner: Actor): Promise<SandboxMessage> {
  const row = await env.service.ctx.db
    .selectFrom('outbound_messages')
    .select('message_id')
    .where('cycle_id', '=', cycleId)
    .where('person_id', '=', owner.personId)
    .where('kind', '=', 'prompt')
    .where('state', '=', 'sent')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  const m = row?.message_id ? env.fake.messages().find((x) => x.message_id === row.message_id) : undefined;
  if (!m) throw new Error(`no fill-in card of cycle ${cycleId} was sent to ${owner.name}`);
  return m;
}

/** The newest leader card showing this escalation. */
export function escalationCard(env: DemoEnv, openId: string, escalationId: number): SandboxMessage {
  const m = env.fake.messages({ receive_id: openId, msg_type: 'interactive' }).filter((x) => x.raw_content.includes(`"escalationId":${escalationId}`)).at(-1);
  if (!m) throw new Error(`no card showing escalation ${escalationId} was sent to ${openId}`);
  return m;
}

/** A message in a group that @-mentions the bot, as Feishu delivers it. */
export async function sayInGroup(env: DemoEnv, who: Actor, chatId: string, text: string): Promise<string> {
  const r = await env.driver.sendMessageEvent({
    senderOpenId: who.openId, text: `@_user_1 ${text}`, chatType: 'group', chatId,
    mentions: [{ key: '@_user_1', id: { open_id: 'ou_bot' }, name: '调度助手' }],
  });
  return r.messageId;
}
