// One card listing an owner's projects for a cycle, each with a "填报" button that opens that
// project's form (the callback side answers `report.pick` with buildReportFormCard).
//
// Why an owner with many projects gets this instead of one form per project: a form card is
// ~40 components and ~5 KB, and Feishu allows one card ≤ 200 components and ≤ 30 KB with forms
// only at the card root — so several forms cannot share a card — while ten form cards in a row
// bury the chat (and each other). A list with pick buttons stays small, and the owner opens
// the forms one at a time. Pure function; Chinese text.
import type { Light } from '../domain/schedule-lag.js';
import { completionRate } from '../domain/schedule-lag.js';
import { formatPercent, formatWan } from '../domain/amount.js';
import { periodLabel } from '../domain/period.js';
import { formatLocalTime, kindLabel } from './format.js';
import type { Card } from '../platform/feishu/lark-client.js';
import type { ReportCardCycle } from './report-form.card.js';
import { callbackButton, escapeMarkdown, lightLine, markdown, noticeElement, plain, type CardNotice } from './elements.js';

/** Rows per card: 3 components each keeps a full card near 100 components and ~12 KB. */
export const PROJECTS_PER_CONSOLIDATED_CARD = 30;

export type ConsolidatedRow = {
  projectId: number;
  code: string;
  name: string;
  light: { light: Light; reasons: string[] };
  annualPlan: string;
  ytdInvestment: string | null;
};

export type ConsolidatedPromptInput = {
  cycle: ReportCardCycle;
  tz: string;
  /** Projects still to report in this card (a page of at most PROJECTS_PER_CONSOLIDATED_CARD). */
  rows: ConsolidatedRow[];
  /** How many projects the owner has to report in all, and which page this is (1-based). */
  total: number;
  page: { index: number; count: number };
  notice?: CardNotice;
};

export function buildConsolidatedPromptCard(input: ConsolidatedPromptInput): Card {
  const { cycle, rows, page } = input;
  const year = Number(cycle.periodKey.slice(0, 4));
  const due = formatLocalTime(cycle.dueAt, input.tz, year);
  const label = `${kindLabel(cycle.kind)} ${periodLabel(cycle.kind, cycle.periodKey)}`;
  const pageNote = page.count > 1 ? `（第${page.index}/${page.count}页）` : '';
  const elements: unknown[] = [];
  if (input.notice) elements.push(noticeElement(input.notice));
  elements.push(markdown(`本期您负责的 **${input.total}** 个项目需要填报${pageNote}，请逐个点击“填报”。截止时间：**${due}**。`));
  rows.forEach((row, i) => {
    const n = (page.index - 1) * PROJECTS_PER_CONSOLIDATED_CARD + i + 1;
    const rate = row.ytdInvestment === null ? null : completionRate(row.ytdInvestment, row.annualPlan);
    const ytd = row.ytdInvestment === null
      ? `本年累计：暂无 / 计划 ${formatWan(row.annualPlan)} 万元`
      : `本年累计 ${formatWan(row.ytdInvestment)} / 计划 ${formatWan(row.annualPlan)} 万元${rate ? `（${formatPercent(rate)}）` : ''}`;
    elements.push(markdown(`**${n}. ${escapeMarkdown(row.name)}**（${escapeMarkdown(row.code)}）\n${lightLine(row.light)}\n${ytd}`));
    elements.push(callbackButton('填报', { a: 'report.pick', projectId: row.projectId, cycleId: cycle.id }, { type: 'primary', name: `pick_${row.projectId}` }));
  });
  elements.push(markdown(`<font color='grey'>逾期仍可补报，将记为迟报。</font>`));
  const prefix = input.notice?.level === 'final' ? '【截止提醒】' : input.notice?.level === 'reminder' ? '【催报】' : '';
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: {
      title: plain(`${prefix}请填报本期项目进展`),
      subtitle: plain(`${label} · 截止 ${due}`),
      template: input.notice?.level === 'final' ? 'red' : input.notice?.level === 'reminder' ? 'orange' : 'blue',
    },
    body: { elements },
  };
}

/** Splits an owner's rows into the pages that become separate cards. */
export function consolidatedPages(rows: ConsolidatedRow[]): ConsolidatedRow[][] {
  const pages: ConsolidatedRow[][] = [];
  for (let i = 0; i < rows.length; i += PROJECTS_PER_CONSOLIDATED_CARD) pages.push(rows.slice(i, i + PROJECTS_PER_CONSOLIDATED_CARD));
  return pages;
}
