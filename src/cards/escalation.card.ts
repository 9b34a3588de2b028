// The leader's card for escalated projects (包保领导 level 1, 分管副市长 level 2): one project, or a
// digest of several, each with why (the numbers against 序时进度, the missed dates, the problem
// text), its light history, owner and department, what was decided so far, and the actions
// 已阅 / 督办 (with a deadline) / 批示 (free text). Pure: view data in, card JSON 2.0 out.
import type { Card } from '../platform/feishu/lark-client.js';
import { callbackButton, escapeMarkdown, markdown, noticeElement, plain, type CardNotice } from './elements.js';
import { cardStats } from './limits.js';

export type EscalationLight = 'green' | 'yellow' | 'red' | 'none';
const EMOJI: Record<EscalationLight, string> = { green: '🟢', yellow: '🟡', red: '🔴', none: '⚪' };

export type EscalationActionView = { action: 'acknowledge' | 'supervise' | 'instruct'; actor: string; at: string; text: string | null; deadline: string | null };

export type EscalationItemView = {
  id: number;
  level: 1 | 2;
  project: { code: string; name: string; region: string };
  owner: string | null;
  department: string | null;
  /** Each cause in Chinese. */
  causes: string[];
  /** "年度计划 6,000 万元，累计 3,700 万元（61.7%），序时进度 83.3%" when known. */
  figures: string | null;
  /** The region's place in the latest league snapshot: "天城县在2026年10月擂台综合排名第2名（共3个地区）". */
  ranking?: string | null;
  /** Oldest first: "2026年10月 🟡". */
  lights: { period: string; light: EscalationLight }[];
  actions: EscalationActionView[];
  /** Set once the escalation closed itself: when and why. */
  resolved: { at: string; text: string } | null;
};

export type EscalationCardView = { title: string; subtitle: string; items: EscalationItemView[]; notice?: CardNotice };

/** Form field names: card-unique, one set per escalation so a digest can hold several forms. */
export const escalationFields = (id: number) => ({ deadline: `esc_deadline_${id}`, instruction: `esc_text_${id}` });

export const MAX_INSTRUCTION_CHARS = 500;
/** Escalations one card holds: each brings a form of ~14 components, and Feishu allows 200 and 30 KB. */
export const MAX_DIGEST_ITEMS = 10;
const BYTES_BUDGET = 28 * 1024;
const COMPONENTS_BUDGET = 190;
/** Text lengths tried, longest first, until the card fits: long problem texts and instructions get cut. */
const CLIP_STEPS = [Infinity, 300, 120, 50];

const clipper = (max: number) => (s: string): string => {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
};
const ACTION_LABEL: Record<EscalationActionView['action'], string> = { acknowledge: '已阅', supervise: '督办', instruct: '批示' };
type EscalationStateName = 'open' | 'acknowledged' | 'supervising' | 'instructed' | 'resolved';
export const STATE_LABEL: Record<EscalationStateName, string> = { open: '待处理', acknowledged: '已阅', supervising: '督办中', instructed: '已批示', resolved: '已解除' };
export const LEVEL_LABEL: Record<1 | 2, string> = { 1: '包保领导', 2: '分管副市长' };

export function actionLine(a: EscalationActionView): string {
  const extra = a.action === 'supervise' ? `，限${a.deadline ?? ''}前办结${a.text ? `：${a.text}` : ''}` : a.action === 'instruct' ? `：${a.text ?? ''}` : '';
  return `${ACTION_LABEL[a.action]} · ${a.actor} · ${a.at}${extra}`;
}

function item(v: EscalationItemView, numbered: number | null, clip: (s: string) => string): unknown[] {
  const head = `${numbered !== null ? `${numbered}. ` : ''}**${escapeMarkdown(v.project.name)}**（${escapeMarkdown(v.project.code)}，${escapeMarkdown(v.project.region)}）`;
  const lines = [
    head,
    `**负责人**：${v.owner ? escapeMarkdown(v.owner) : '未指定'} ｜ **责任单位**：${v.department ? escapeMarkdown(v.department) : '未指定'}`,
    ...v.causes.map((c) => `• ${escapeMarkdown(clip(c))}`),
  ];
  if (v.figures) lines.push(`<font color='grey'>${escapeMarkdown(clip(v.figures))}</font>`);
  if (v.ranking) lines.push(`<font color='grey'>${escapeMarkdown(clip(v.ranking))}</font>`);
  if (v.lights.length) lines.push(`**预警灯记录**：${v.lights.map((l) => `${l.period}${EMOJI[l.light]}`).join(' → ')}`);
  const out: unknown[] = [markdown(lines.join('\n'))];
  if (v.actions.length) out.push(markdown(v.actions.map((a) => `✅ ${escapeMarkdown(clip(actionLine(a)))}`).join('\n')));
  if (v.resolved) {
    out.push(markdown(`<font color='green'>已解除（${escapeMarkdown(v.resolved.at)}）：${escapeMarkdown(clip(v.resolved.text))}</font>`));
    return out;
  }
  const f = escalationFields(v.id);
  out.push({
    tag: 'form',
    name: `esc_form_${v.id}`,
    elements: [
      { tag: 'date_picker', name: f.deadline, placeholder: plain('督办办结期限（督办时必选）') },
      { tag: 'input', name: f.instruction, placeholder: plain('批示内容（批示时必填；督办时可作要求）'), input_type: 'multiline_text', rows: 2, auto_resize: true, max_rows: 5, max_length: MAX_INSTRUCTION_CHARS },
      {
        tag: 'column_set',
        columns: [
          ['已阅', 'escalation.acknowledge', 'default'],
          ['督办', 'escalation.supervise', 'primary'],
          ['批示', 'escalation.instruct', 'primary_filled'],
        ].map(([text, a, type]) => ({
          tag: 'column',
          width: 'auto',
          elements: [
            { ...callbackButton(text, { a: a as 'escalation.acknowledge', escalationId: v.id }), type, name: `${a.replace('.', '_')}_${v.id}`, form_action_type: 'submit' },
          ],
        })),
      },
    ],
  });
  return out;
}

/** Callers put at most MAX_DIGEST_ITEMS escalations on one card; texts are cut as far as needed to fit. */
export function buildEscalationCard(view: EscalationCardView): Card {
  let card: Card | undefined;
  for (const max of CLIP_STEPS) {
    card = renderEscalationCard(view, clipper(max));
    const s = cardStats(card);
    if (s.bytes <= BYTES_BUDGET && s.components <= COMPONENTS_BUDGET) break;
  }
  return card!;
}

function renderEscalationCard(view: EscalationCardView, clip: (s: string) => string): Card {
  const digest = view.items.length > 1;
  const elements: unknown[] = view.notice ? [noticeElement(view.notice)] : [];
  view.items.forEach((v, i) => {
    if (i > 0) elements.push({ tag: 'hr' });
    elements.push(...item(v, digest ? i + 1 : null, clip));
  });
  const open = view.items.filter((v) => !v.resolved).length;
  const level = view.items[0]?.level ?? 1;
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: {
      title: plain(view.title),
      subtitle: plain(view.subtitle),
      template: open === 0 ? 'green' : level === 2 ? 'red' : 'orange',
    },
    body: { elements },
  };
}

/** The notice to the owner and the department: who decided what. */
export function buildDecisionNoticeCard(o: { project: { code: string; name: string }; leaderRole: string; line: string; causes: string[] }): Card {
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: { title: plain(`领导${o.line.startsWith('督办') ? '督办' : '批示'}：${o.project.name}`), subtitle: plain(o.project.code), template: 'red' },
    body: {
      elements: [
        markdown(`**${escapeMarkdown(o.leaderRole)}** ${escapeMarkdown(o.line)}`),
        markdown(`<font color='grey'>事由：${o.causes.map(escapeMarkdown).join('；')}</font>`),
        markdown('请按要求抓紧办理，办理情况请在项目填报或问题台账中反馈。'),
      ],
    },
  };
}
