// Card actions on the problem ledger: the department accepts and resolves, the owner confirms or
// sends back. Who may act: the responsible department's contact (or an admin) for the
// department's steps; the project's owner, a delegate of the project (or an admin) for the owner's.
import { z } from 'zod';
import type { Card } from '../platform/feishu/lark-client.js';
import type { CardCallbackResponse } from '../platform/feishu/lark-intake.js';
import { buildDepartmentProblemCard, buildOwnerProblemCard, MAX_PROBLEM_NOTE_CHARS, PROBLEM_FIELDS } from '../cards/problem.card.js';
import { cycleSettings } from '../cycle/cycle-config.js';
import { accessTo, canFile, isAdmin } from '../registry/access.js';
import { Refusal, reply, writeOncePerEvent } from '../platform/feishu/callback-answer.js';
import type { CallbackDeps as SubmissionDeps } from '../platform/app-context.js';
import type { CallbackOrigin } from '../platform/feishu/callback-answer.js';
import { applyProblemAction, findProblem, type ProblemRecord } from './problem.repository.js';
import { enqueueProblemNotice } from './problem.notify.js';
import { ACTION_LABELS, PROBLEM_RULES, type ProblemAction } from '../domain/problem-state.js';
import { hasLoneSurrogate, loneSurrogateMessage } from '../domain/text-input.js';

const DONE: Record<ProblemAction, string> = {
  accept: '已受理，请协调办理后在卡片中填写办理情况并办结',
  resolve: '已办结，已通知项目方确认',
  confirm: '已确认解决，问题闭环',
  reopen: '已退回，已通知责任单位重新办理',
};

const noteSchema = z.record(z.string(), z.unknown());

function noteFrom(action: ProblemAction, formValue: unknown): string | null {
  const field = action === 'resolve' ? PROBLEM_FIELDS.resolutionNote : action === 'reopen' ? PROBLEM_FIELDS.reopenReason : null;
  if (!field) return null;
  const parsed = noteSchema.safeParse(formValue ?? {});
  const v = parsed.success ? parsed.data[field] : undefined;
  return typeof v === 'string' ? v.trim() : null;
}

/** The card the acting side sees, in the problem's current state. */
export function cardFor(problem: ProblemRecord, action: ProblemAction, tz: string): Card {
  return PROBLEM_RULES[action].side === 'department' ? buildDepartmentProblemCard(problem, { tz }) : buildOwnerProblemCard(problem, { tz });
}

async function mayAct(deps: SubmissionDeps, personId: number, problem: ProblemRecord, action: ProblemAction): Promise<boolean> {
  if (PROBLEM_RULES[action].side === 'department') {
    return problem.departmentContactId === personId || (await isAdmin(deps.db, personId));
  }
  return canFile(await accessTo(deps.db, personId, problem.projectId));
}

export async function actOnProblem(deps: SubmissionDeps, origin: CallbackOrigin, action: ProblemAction, problemId: number, formValue: unknown): Promise<CardCallbackResponse> {
  const { tz } = cycleSettings(deps.config);
  const problem = await findProblem(deps.db, problemId);
  if (!problem) return reply('error', '问题不存在，请联系项目中心');
  if (!(await mayAct(deps, origin.operator.id, problem, action))) {
    deps.logger.warn({ personId: origin.operator.id, problemId, action }, 'problem action by someone not entitled');
    const who = PROBLEM_RULES[action].side === 'department' ? '只有责任单位联系人或管理员' : '只有项目负责人、联络员或管理员';
    return reply('error', `${who}可以${ACTION_LABELS[action]}此问题`);
  }
  const note = noteFrom(action, formValue);
  if (note && [...note].length > MAX_PROBLEM_NOTE_CHARS) return reply('error', `说明最多 ${MAX_PROBLEM_NOTE_CHARS} 字`);
  if (note && hasLoneSurrogate(note)) return reply('error', loneSurrogateMessage(action === 'resolve' ? '办理情况' : '退回原因'));

  return writeOncePerEvent(deps, origin.eventId, `problem.${action}`, async (trx, afterCommit) => {
    const verdict = await applyProblemAction(trx, { problemId, action, note, actorId: origin.operator.id, at: deps.now(), sourceEventId: origin.eventId });
    if (!verdict.ok) {
      // A second click, or the other side moved first: show the card as it now stands.
      const current = (await findProblem(trx, problemId)) ?? problem;
      throw new Refusal(reply(verdict.already ? 'info' : 'error', verdict.reason, cardFor(current, action, tz)), `problem ${action} refused: ${verdict.reason}`);
    }
    await enqueueProblemNotice(afterCommit, problemId, verdict.eventId!);
    // The escalation feature (above this one) listens on its job, enqueued once this write commits.
    await afterCommit.enqueue('escalation.recheck', { projectId: problem.projectId });
    deps.logger.info({ problemId, number: problem.number, action, to: verdict.to }, 'problem moved');
    const updated = await findProblem(trx, problemId);
    return reply('success', DONE[action], cardFor(updated!, action, tz));
  });
}
