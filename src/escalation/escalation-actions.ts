// A leader's actions on the escalation card: 已阅, 督办 (deadline), 批示 (text). Each is stored
// once per callback event with who and when, the card answers updated at once, and 督办/批示 are
// passed down (a job) to the owner and the responsible department with who decided what.
import type { AppContext } from '../platform/app-context.js';
import type { CardCallbackResponse } from '../platform/feishu/lark-intake.js';
import { sendOnce } from '../platform/feishu/outbound.js';
import { actionLine, buildDecisionNoticeCard, buildEscalationCard, escalationFields, LEVEL_LABEL, MAX_INSTRUCTION_CHARS } from '../cards/escalation.card.js';
import { cycleSettings } from '../cycle/cycle-config.js';
import { formatLocalTime, localDay } from '../cards/format.js';
import { isAdmin } from '../registry/access.js';
import { Refusal, reply, writeOncePerEvent } from '../platform/feishu/callback-answer.js';
import type { CallbackOrigin, SubmissionDeps } from '../submission/report.service.js';
import { AppError } from '../errors.js';
import { cardByMessageId, findEscalations } from './escalation.repository.js';
import { cardView } from './escalation-view.js';
import { refreshShownCards } from './escalation.service.js';
import { hasLoneSurrogate, loneSurrogateMessage } from '../domain/text-input.js';

export type EscalationAction = 'acknowledge' | 'supervise' | 'instruct';
const DONE: Record<EscalationAction, string> = {
  acknowledge: '已标记为已阅',
  supervise: '已督办，已通知项目负责人和责任单位',
  instruct: '批示已转项目负责人和责任单位',
};
const NEXT_STATE = { acknowledge: 'acknowledged', supervise: 'supervising', instruct: 'instructed' } as const;

/** "2026-12-10 +0800" (Feishu's date picker) or "2026-12-10" → "2026-12-10"; undefined if not a date. */
export function pickedDay(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})(?:\s+[+-]\d{4})?$/.exec(v.trim());
  if (!m) return undefined;
  const d = new Date(`${m[1]}T00:00:00Z`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== m[1] ? undefined : m[1];
}

/**
 * The project's 包保领导 (level 1) or 分管副市长 (level 2) as the registry names them now, not the
 * person the card was first sent to: once the registry hands a project to someone else, the
 * former leader (who may lead other projects) can no longer 督办 or 批示 on it.
 */
async function mayAct(deps: Pick<SubmissionDeps, 'db'>, personId: number, e: { level: 1 | 2; project: { id: number } }): Promise<boolean> {
  const p = await deps.db.selectFrom('projects').select(['leader_id', 'vice_mayor_id']).where('id', '=', e.project.id).executeTakeFirst();
  return (e.level === 1 ? p?.leader_id : p?.vice_mayor_id) === personId;
}

export async function actOnEscalation(
  deps: SubmissionDeps,
  origin: CallbackOrigin,
  action: EscalationAction,
  escalationId: number,
  formValue: unknown,
): Promise<CardCallbackResponse> {
  const { tz } = cycleSettings(deps.config);
  const [e] = await findEscalations(deps.db, [escalationId]);
  if (!e) return reply('error', '督办事项不存在，请联系项目中心');
  if (!(await mayAct(deps, origin.operator.id, e)) && !(await isAdmin(deps.db, origin.operator.id))) {
    deps.logger.warn({ personId: origin.operator.id, escalationId, action }, 'escalation action by someone not its leader');
    return reply('error', `只有该事项的${LEVEL_LABEL[e.level]}或管理员可以操作`);
  }
  // The card the click came from: a digest is re-rendered whole.
  const shown = (origin.messageId ? await cardByMessageId(deps.db, origin.messageId) : undefined) ?? [escalationId];
  const form = (formValue ?? {}) as Record<string, unknown>;
  const f = escalationFields(escalationId);
  const text = typeof form[f.instruction] === 'string' ? (form[f.instruction] as string).trim() : '';
  let deadline: string | null = null;
  const render = async (db: typeof deps.db) => {
    const view = await cardView(db, shown, tz);
    return view ? buildEscalationCard(view) : undefined;
  };
  if (e.state === 'resolved') return reply('info', '该事项已自动解除，无需操作', await render(deps.db));
  if (action === 'supervise') {
    const day = pickedDay(form[f.deadline]);
    if (!day) return reply('error', '督办请先选择办结期限');
    if (day < localDay(deps.now(), tz)) return reply('error', '办结期限不能早于今天');
    deadline = day;
  }
  if (action === 'instruct' && !text) return reply('error', '请填写批示内容');
  if ([...text].length > MAX_INSTRUCTION_CHARS) return reply('error', `内容最多 ${MAX_INSTRUCTION_CHARS} 字`);
  if (hasLoneSurrogate(text)) return reply('error', loneSurrogateMessage(action === 'supervise' ? '督办要求' : '批示内容'));

  return writeOncePerEvent(deps, origin.eventId, `escalation.${action}`, async (trx, afterCommit) => {
    if (action === 'acknowledge') {
      const already = await trx.selectFrom('escalation_actions').select('id').where('escalation_id', '=', escalationId).where('actor_id', '=', origin.operator.id).where('action', '=', 'acknowledge').executeTakeFirst();
      if (already) throw new Refusal(reply('info', '您已阅过此事项', await render(trx)), 'acknowledged already');
    }
    const row = await trx
      .insertInto('escalation_actions')
      .values({ escalation_id: escalationId, actor_id: origin.operator.id, action, text: text || null, deadline, passed_down_at: null, source_event_id: origin.eventId })
      .returning('id')
      .executeTakeFirstOrThrow();
    // 已阅 does not undo a 督办 or 批示 already given.
    await trx
      .updateTable('escalations')
      .set({ state: NEXT_STATE[action], updated_at: deps.now() })
      .where('id', '=', escalationId)
      .where('state', action === 'acknowledge' ? '=' : '!=', action === 'acknowledge' ? 'open' : 'resolved')
      .execute();
    if (action !== 'acknowledge') await afterCommit.enqueue('escalation.passdown', { actionId: row.id }, { jobId: `esc-action-${row.id}` });
    // Other cards showing this escalation (a fresh copy, the digest) follow after the commit.
    await afterCommit.enqueue('escalation.cards', { escalationIds: [escalationId], skipMessageId: origin.messageId ?? undefined });
    deps.logger.info({ escalationId, action, actor: origin.operator.id }, 'escalation action stored');
    return reply('success', DONE[action], await render(trx));
  });
}

/** Passes a 督办 or 批示 down to the owner and the responsible department (the project's, and the problem's). */
export async function passDown(deps: Pick<AppContext, 'db' | 'lark' | 'logger' | 'config' | 'now' | 'queues'>, actionId: string): Promise<{ sent: number }> {
  const a = await deps.db
    .selectFrom('escalation_actions as a')
    .innerJoin('people as p', 'p.id', 'a.actor_id')
    .select(['a.id', 'a.escalation_id', 'a.action', 'a.text', 'a.deadline', 'a.created_at', 'a.passed_down_at', 'p.name'])
    .where('a.id', '=', actionId)
    .executeTakeFirst();
  // Enqueued after the commit (writeOncePerEvent), so a missing row is not a matter of waiting.
  if (!a) throw new AppError('NOT_FOUND', `escalation action ${actionId} not found`, { retryable: false });
  const [e] = await findEscalations(deps.db, [a.escalation_id]);
  if (!e) throw new AppError('NOT_FOUND', `escalation ${a.escalation_id} not found`);
  const { tz } = cycleSettings(deps.config);
  const line = actionLine({ action: a.action, actor: a.name, at: formatLocalTime(a.created_at, tz), text: a.text, deadline: a.deadline });
  const card = buildDecisionNoticeCard({ project: e.project, leaderRole: `${LEVEL_LABEL[e.level]}${a.name}`, line, causes: e.causes.map((c) => c.text) });

  const recipients = new Set<number>();
  if (e.project.ownerId) recipients.add(e.project.ownerId);
  const deptIds = [e.project.departmentId];
  if (e.problemId) {
    const p = await deps.db.selectFrom('problems').select('department_id').where('id', '=', e.problemId).executeTakeFirst();
    deptIds.push(p?.department_id ?? null);
  }
  const ids = deptIds.filter((x): x is number => x !== null);
  if (ids.length) {
    for (const d of await deps.db.selectFrom('departments').select('contact_person_id').where('id', 'in', ids).execute()) if (d.contact_person_id) recipients.add(d.contact_person_id);
  }
  let sent = 0;
  const people = recipients.size ? await deps.db.selectFrom('people').select(['id', 'open_id']).where('id', 'in', [...recipients]).execute() : [];
  for (const p of people) {
    if (!p.open_id) {
      deps.logger.warn({ actionId, personId: p.id }, 'escalation decision recipient has no open_id');
      continue;
    }
    const r = await sendOnce(deps, { key: `esc-act:${a.id}:p${p.id}`, kind: 'escalation.decision', receiveId: p.open_id, personId: p.id, projectId: e.project.id, card });
    if (!r.alreadySent) sent++;
  }
  if (people.length === 0) {
    await deps.queues.enqueue('admin.notify', { key: `esc-act-${a.id}`, text: `${e.project.name}（${e.project.code}）${LEVEL_LABEL[e.level]}${line}，但项目没有可通知的负责人或责任单位联系人，请转达。` }, { jobId: `admin-esc-act-${a.id}` });
  }
  await deps.db.updateTable('escalation_actions').set({ passed_down_at: deps.now() }).where('id', '=', a.id).where('passed_down_at', 'is', null).execute();
  return { sent };
}

export { refreshShownCards };
