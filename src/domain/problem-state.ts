// The problem ledger's (问题台账) state machine. Pure: who may do what, from which status, and
// what it needs. The department accepts (受理) and resolves (办结, with a note); the owner
// confirms (确认解决) or reopens (退回, with a reason). A reopened problem waits for the
// department to accept it again, exactly like a new one, so the ledger shows it was bounced.
import type { ProblemStatus } from './vocabulary.js';

export type ProblemAction = 'accept' | 'resolve' | 'confirm' | 'reopen';
/** Which side of the problem an action belongs to; the caller maps people to sides. */
export type ProblemSide = 'department' | 'owner';

type Rule = { from: readonly ProblemStatus[]; to: ProblemStatus; side: ProblemSide; needsNote: boolean };

export const PROBLEM_RULES: Record<ProblemAction, Rule> = {
  accept: { from: ['open', 'reopened'], to: 'in_coordination', side: 'department', needsNote: false },
  resolve: { from: ['in_coordination'], to: 'resolved', side: 'department', needsNote: true },
  confirm: { from: ['resolved'], to: 'confirmed', side: 'owner', needsNote: false },
  reopen: { from: ['resolved'], to: 'reopened', side: 'owner', needsNote: true },
};

export const STATUS_LABELS: Record<ProblemStatus, string> = {
  open: '待受理',
  in_coordination: '协调中',
  resolved: '已办结待确认',
  confirmed: '已解决',
  reopened: '已退回待受理',
};

export const ACTION_LABELS: Record<ProblemAction, string> = { accept: '受理', resolve: '办结', confirm: '确认解决', reopen: '退回' };

export type ProblemEventAction = 'raised' | 'accepted' | 'resolved' | 'confirmed' | 'reopened' | 'noted' | 'escalated';

export const EVENT_LABELS: Record<ProblemEventAction, string> = {
  raised: '提出',
  accepted: '受理',
  resolved: '办结',
  confirmed: '确认解决',
  reopened: '退回',
  noted: '备注',
  escalated: '上报',
};

/** Statuses still on someone's desk (everything but confirmed). */
export const OPEN_STATUSES: readonly ProblemStatus[] = ['open', 'in_coordination', 'resolved', 'reopened'];

/** Position in the normal flow; reopened counts as open. */
const FLOW_RANK: Record<ProblemStatus, number> = { open: 0, reopened: 0, in_coordination: 1, resolved: 2, confirmed: 3 };

export type TransitionResult =
  | { ok: true; to: ProblemStatus }
  /** `already`: the action had already happened (a second click); show the current state, not an error. */
  | { ok: false; already: boolean; reason: string };

export function transition(status: ProblemStatus, action: ProblemAction, note: string | null): TransitionResult {
  const rule = PROBLEM_RULES[action];
  if (!rule.from.includes(status)) {
    // A second click after the step happened (or after the flow moved past it) is not an error.
    const already = status === rule.to || (action !== 'reopen' && FLOW_RANK[status] > FLOW_RANK[rule.to]);
    return { ok: false, already, reason: already ? `该问题${STATUS_LABELS[status]}，无需重复操作` : `该问题当前为“${STATUS_LABELS[status]}”，不能${ACTION_LABELS[action]}` };
  }
  if (rule.needsNote && !note?.trim()) {
    return { ok: false, already: false, reason: action === 'resolve' ? '请填写办理情况说明' : '请填写退回原因' };
  }
  return { ok: true, to: rule.to };
}

/** The problem_events.action recorded for a transition. */
export const EVENT_ACTION: Record<ProblemAction, ProblemEventAction> = {
  accept: 'accepted',
  resolve: 'resolved',
  confirm: 'confirmed',
  reopen: 'reopened',
};
