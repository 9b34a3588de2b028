// The contract between the cards we send and the callbacks they come back as:
// form field names and the `value` object every button carries. Card builders and
// callback handlers both import from here, so a renamed field cannot silently break filing.
import { z } from 'zod';

/** `name` of each form component in the report card (Feishu returns form_value keyed by these). */
/**
 * The longest text each free-text field of the report form takes: the card's max_length and the
 * validation's limit are one number, so what the client lets an owner type is what we accept.
 */
export const REPORT_TEXT_LIMITS = { progress: 1000, stageReason: 500, problemDescription: 1000 } as const;

export const REPORT_FIELDS = {
  periodInvestment: 'period_investment',
  stage: 'stage',
  started: 'started',
  completed: 'completed',
  registered: 'registered',
  progress: 'progress',
  stageReason: 'stage_reason',
  problemCategory: 'problem_category',
  problemDescription: 'problem_desc',
  problemDepartment: 'problem_dept',
  problemNeedsCity: 'problem_city',
} as const;

export const REPORT_FORM_NAME = 'report_form';

/** `name` of the note inputs in the problem cards (department's resolution, owner's reopen reason). */
export const PROBLEM_FIELDS = { resolutionNote: 'resolution_note', reopenReason: 'reopen_reason' } as const;

/** A chat message id (om_…), naming the message a draft-pick button's note came from. */
const messageRef = z.string().min(1).max(100);

/** Values of the yes/no selects (开工 / 竣工 / 入统 / 需市级协调). */
export const YES = 'yes';
export const NO = 'no';

const id = z.coerce.number().int().positive();

/** Every button's callback `value`. `a` names the action; the rest identifies what it acts on. */
export const cardActionValue = z.discriminatedUnion('a', [
  z.object({ a: z.literal('report.submit'), projectId: id, cycleId: id }),
  z.object({ a: z.literal('report.no_change'), projectId: id, cycleId: id }),
  z.object({ a: z.literal('report.edit'), projectId: id, cycleId: id }),
  // `draftOf`: the chat message holding the progress note to pre-fill from (project-pick.card.ts).
  z.object({ a: z.literal('report.pick'), projectId: id, cycleId: id, draftOf: messageRef.optional() }),
  z.object({ a: z.literal('draft.confirm'), projectId: id, cycleId: id }),
  z.object({ a: z.literal('photo.attach'), projectId: id, cycleId: id, imageKeys: z.array(z.string()).max(20), messageId: z.string() }),
  z.object({ a: z.literal('problem.accept'), problemId: id }),
  z.object({ a: z.literal('problem.resolve'), problemId: id }),
  z.object({ a: z.literal('problem.confirm'), problemId: id }),
  z.object({ a: z.literal('problem.reopen'), problemId: id }),
  z.object({ a: z.literal('escalation.acknowledge'), escalationId: id }),
  z.object({ a: z.literal('escalation.supervise'), escalationId: id }),
  z.object({ a: z.literal('escalation.instruct'), escalationId: id }),
]);

export type CardActionValue = z.infer<typeof cardActionValue>;
export type CardActionName = CardActionValue['a'];
