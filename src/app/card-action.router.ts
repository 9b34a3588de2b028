// Routes a card callback by its button value (card-actions.ts, the contract) to the service that
// owns it. Identifies the operator (operator.open_id → people.open_id) once for all of them, and
// answers a repeated delivery of an event from the record of its first answer.
import type { CardCallbackResponse, LarkCardActionEvent } from '../platform/feishu/lark-intake.js';
import { cardActionValue } from '../cards/card-actions.js';
import { findPersonByOpenId } from '../registry/access.js';
import { storedAnswer } from '../platform/feishu/inbound-events.js';
import { reply, UNKNOWN_PERSON } from '../platform/feishu/callback-answer.js';
import { editReport, pickReport, submitReport, type CallbackOrigin, type SubmissionDeps } from '../submission/report.service.js';
import { attachPhotosFromCard } from '../submission/photo.service.js';
import { actOnProblem } from '../problems/problem.service.js';
import { actOnEscalation } from '../escalation/escalation-actions.js';

export async function routeCardAction(deps: SubmissionDeps, evt: LarkCardActionEvent): Promise<CardCallbackResponse> {
  const parsed = cardActionValue.safeParse(evt.action?.value);
  if (!parsed.success) {
    deps.logger.warn({ eventId: evt.event_id, issues: parsed.error.issues.map((i) => i.message) }, 'card action with an unknown value');
    return reply('error', '无法识别的操作，请使用最新收到的卡片');
  }
  const value = parsed.data;
  // Submissions read the recorded answer and the operator in their own single read (filing.read.ts).
  const call = { eventId: evt.event_id, messageId: evt.context?.open_message_id ?? null, openId: evt.operator?.open_id ?? '' };
  if (value.a === 'report.submit') return submitReport(deps, call, value, evt.action?.form_value, 'submit');
  if (value.a === 'draft.confirm') return submitReport(deps, call, value, evt.action?.form_value, 'draft');
  if (value.a === 'report.no_change') return submitReport(deps, call, value, evt.action?.form_value, 'no_change');
  const repeated = await storedAnswer(deps.db, evt.event_id);
  if (repeated) {
    deps.logger.info({ eventId: evt.event_id, action: value.a }, 'repeated card action answered from record');
    return repeated;
  }
  const operator = await findPersonByOpenId(deps.db, evt.operator?.open_id ?? '');
  if (!operator) {
    deps.logger.warn({ eventId: evt.event_id, action: value.a }, 'card action by someone not in the registry');
    return reply('error', UNKNOWN_PERSON);
  }
  const origin: CallbackOrigin = { eventId: evt.event_id, messageId: evt.context?.open_message_id ?? null, operator };
  const form = evt.action?.form_value;

  switch (value.a) {
    case 'report.edit':
      return editReport(deps, origin, value);
    case 'report.pick':
      return pickReport(deps, origin, value);
    case 'photo.attach':
      return attachPhotosFromCard(deps, origin, value);
    case 'problem.accept':
      return actOnProblem(deps, origin, 'accept', value.problemId, form);
    case 'problem.resolve':
      return actOnProblem(deps, origin, 'resolve', value.problemId, form);
    case 'problem.confirm':
      return actOnProblem(deps, origin, 'confirm', value.problemId, form);
    case 'problem.reopen':
      return actOnProblem(deps, origin, 'reopen', value.problemId, form);
    case 'escalation.acknowledge':
      return actOnEscalation(deps, origin, 'acknowledge', value.escalationId, form);
    case 'escalation.supervise':
      return actOnEscalation(deps, origin, 'supervise', value.escalationId, form);
    case 'escalation.instruct':
      return actOnEscalation(deps, origin, 'instruct', value.escalationId, form);
  }
}
