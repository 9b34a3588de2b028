// Cards of the problem ledger (问题台账). The responsible department's contact gets one card per
// problem that moves with it: 受理 → a form to write how it was resolved → read-only. The owner
// gets a card to confirm the resolution or send it back with a reason. Pure functions.
import type { ProblemStatus } from '../db/schema.js';
import { formatLocalTime } from './format.js';
import { EVENT_LABELS, STATUS_LABELS, type ProblemEventAction } from '../domain/problem-state.js';
import { truncate } from '../platform/text-table.js';
import type { Card } from '../platform/feishu/lark-client.js';
import type { CardActionValue } from './card-actions.js';
import { callbackButton, escapeMarkdown, markdown, noticeElement, plain, plainDiv, type CardNotice } from './elements.js';
export { PROBLEM_FIELDS } from './card-actions.js';
import { PROBLEM_FIELDS } from './card-actions.js';

/** `name`s of the problem forms' inputs: the callback reads form_value by these. */
export const MAX_PROBLEM_NOTE_CHARS = 500;

export type ProblemView = {
  id: number;
  number: string;
  status: ProblemStatus;
  project: { code: string; name: string };
  category: string;
  description: string;
  department: string | null;
  needsCityCoordination: boolean;
  raisedBy: string;
  raisedAt: Date;
  resolutionNote: string | null;
  /** The owner's reason the last time the problem was sent back. */
  reopenReason: string | null;
};

export type ProblemHistoryEntry = { action: ProblemEventAction; actor: string | null; at: Date; note: string | null };

const STATUS_TEMPLATE: Record<ProblemStatus, string> = {
  open: 'orange',
  reopened: 'red',
  in_coordination: 'blue',
  resolved: 'turquoise',
  confirmed: 'green',
};

function facts(view: ProblemView, tz: string): unknown[] {
  const lines = [
    `**项目**：${escapeMarkdown(view.project.name)}（${escapeMarkdown(view.project.code)}）`,
    `**类别**：${escapeMarkdown(view.category)} ｜ **状态**：${STATUS_LABELS[view.status]}`,
    `**责任单位**：${view.department ? escapeMarkdown(view.department) : '待项目中心分派'}${view.needsCityCoordination ? ' ｜ ⚠ 需市级协调' : ''}`,
    `**提出**：${escapeMarkdown(view.raisedBy)}，${formatLocalTime(view.raisedAt, tz)}`,
  ];
  const out: unknown[] = [markdown(lines.join('\n')), plainDiv(`问题描述：${view.description}`)];
  if (view.reopenReason && (view.status === 'reopened' || view.status === 'in_coordination')) out.push(plainDiv(`退回原因：${view.reopenReason}`, { text_color: 'red' }));
  if (view.resolutionNote && (view.status === 'resolved' || view.status === 'confirmed')) out.push(plainDiv(`办理情况：${view.resolutionNote}`));
  return out;
}

function noteForm(name: string, field: string, placeholder: string, buttons: { text: string; value: CardActionValue; type: string; name: string }[]) {
  return {
    tag: 'form',
    name,
    elements: [
      { tag: 'input', name: field, placeholder: plain(placeholder), input_type: 'multiline_text', rows: 2, auto_resize: true, max_rows: 6, max_length: MAX_PROBLEM_NOTE_CHARS },
      ...buttons.map((b) => ({ tag: 'button', name: b.name, text: plain(b.text), type: b.type, form_action_type: 'submit', behaviors: [{ type: 'callback', value: b.value }] })),
    ],
  };
}

function shell(view: ProblemView, title: string, elements: unknown[], notice?: CardNotice): Card {
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: { title: plain(title), subtitle: plain(`${view.number} · ${STATUS_LABELS[view.status]}`), template: STATUS_TEMPLATE[view.status] },
    body: { elements: [...(notice ? [noticeElement(notice)] : []), ...elements] },
  };
}

/** The responsible department's card: accept, then resolve with a note, then read-only. */
export function buildDepartmentProblemCard(view: ProblemView, opts: { tz: string; notice?: CardNotice }): Card {
  const elements = facts(view, opts.tz);
  const id = view.id;
  if (view.status === 'open' || view.status === 'reopened') {
    elements.push(callbackButton('受理', { a: 'problem.accept', problemId: id }, { type: 'primary', name: 'problem_accept' }));
  } else if (view.status === 'in_coordination') {
    elements.push(markdown('协调办结后，请填写办理情况并点击“办结”，项目方确认后闭环。'));
    elements.push(noteForm('problem_resolve_form', PROBLEM_FIELDS.resolutionNote, '办理情况，如 已召开协调会，用地指标已下达', [
      { text: '办结', value: { a: 'problem.resolve', problemId: id }, type: 'primary_filled', name: 'problem_resolve' },
    ]));
  } else if (view.status === 'resolved') {
    elements.push(markdown("<font color='grey'>已办结，等待项目方确认。</font>"));
  } else {
    elements.push(markdown("<font color='green'>项目方已确认问题解决。</font>"));
  }
  return shell(view, `问题协调：${view.category}`, elements, opts.notice);
}

/** The owner's card: confirm the resolution, or send it back with a reason. */
export function buildOwnerProblemCard(view: ProblemView, opts: { tz: string; notice?: CardNotice }): Card {
  const elements = facts(view, opts.tz);
  const id = view.id;
  if (view.status === 'resolved') {
    elements.push(markdown('责任单位已办结。问题确已解决请点“确认解决”；未解决请填写原因后点“退回”。'));
    elements.push(noteForm('problem_confirm_form', PROBLEM_FIELDS.reopenReason, '退回原因（确认解决时不必填写）', [
      { text: '确认解决', value: { a: 'problem.confirm', problemId: id }, type: 'primary_filled', name: 'problem_confirm' },
      { text: '退回', value: { a: 'problem.reopen', problemId: id }, type: 'danger', name: 'problem_reopen' },
    ]));
  } else if (view.status === 'confirmed') {
    elements.push(markdown("<font color='green'>已确认解决，问题闭环。</font>"));
  } else {
    elements.push(markdown(`<font color='grey'>当前状态：${STATUS_LABELS[view.status]}。责任单位办结后会通知您确认。</font>`));
  }
  return shell(view, `问题进展：${view.category}`, elements, opts.notice);
}

/** Lists at most this many problems; the rest are counted (cards stay far below 30 KB). */
export const MAX_LISTED_PROBLEMS = 15;

export function buildProblemListCard(input: { title: string; problems: ProblemView[]; tz: string; empty: string }): Card {
  const shown = input.problems.slice(0, MAX_LISTED_PROBLEMS);
  const elements: unknown[] = [];
  if (shown.length === 0) elements.push(markdown(input.empty));
  for (const p of shown) {
    const dept = p.department ? escapeMarkdown(p.department) : '待分派';
    elements.push(
      markdown(`**${p.number}** ${STATUS_LABELS[p.status]}${p.needsCityCoordination ? ' ⚠市级协调' : ''}\n${escapeMarkdown(p.project.name)} ｜ ${escapeMarkdown(p.category)} ｜ ${dept} ｜ ${formatLocalTime(p.raisedAt, input.tz)}`),
      plainDiv(truncate(p.description, 160), { text_color: 'grey' }),
    );
  }
  const rest = input.problems.length - shown.length;
  if (rest > 0) elements.push(markdown(`<font color='grey'>另有 ${rest} 个问题未列出，完整台账请联系项目中心。</font>`));
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: { title: plain(input.title), subtitle: plain(`共 ${input.problems.length} 个`), template: 'blue' },
    body: { elements },
  };
}

/** History lines for the CLI and cards: "受理 · 王五 · 11月20日（周五）10:00 · 说明". */
export function historyLine(e: ProblemHistoryEntry, tz: string): string {
  return [EVENT_LABELS[e.action], e.actor ?? '系统', formatLocalTime(e.at, tz), e.note ?? ''].filter(Boolean).join(' · ');
}
